"""A real gdb-multiarch session against the stub: break in a kernel, read its argument with symbols."""
import io
import shutil
import subprocess

import pytest

from simulator.machine import Machine

from .conftest import FIXTURES

GDB = shutil.which("gdb-multiarch")
pytestmark = pytest.mark.skipif(GDB is None, reason="gdb-multiarch is not installed "
                                                    "(Debian/Ubuntu: apt-get install gdb-multiarch)")


@pytest.mark.parametrize("board", ["stm32h743", "rp2040"])
def test_gdb_breaks_in_kernel_and_prints_argument(board, debug_session):
    fw = Machine(board, ram="64K").build([FIXTURES / "dot_main.c"], opt="-O1")
    out = io.StringIO()
    s = debug_session(fw, out, connect=False)         # gdb is the client here
    proc = subprocess.run(
        [GDB, "-nx", "-batch", "-ex", f"file {fw.elf_path}", "-ex", f"target remote :{s.server.port}",
         "-ex", "break dot_s8", "-ex", "continue", "-ex", "print n", "-ex", "print a[2]", "-ex", "bt",
         "-ex", "info registers", "-ex", "continue"],
        capture_output=True, text=True, timeout=60)
    text = proc.stdout + proc.stderr
    assert "Breakpoint 1, dot_s8 (" in text, text
    assert "$1 = 37" in text, text
    assert "$2 = -16 '\\360'" in text, text
    assert "in main () at" in text, text
    assert "xpsr" in text, text
    assert "exited normally" in text, text
    assert s.join().exit_code == 0
    assert out.getvalue() == f"dot={sum((i - 18) ** 2 for i in range(37))}\n"


def test_cli_run_gdb_serves_a_debug_session():
    """`mcusim run FILE --gdb 0`: the command-line path to the same stub; it announces the port
    and the ELF to load, and the program's own output still reaches stdout."""
    import re
    import sys

    server = subprocess.Popen([sys.executable, "-m", "simulator.cli", "run", str(FIXTURES / "dot_main.c"),
                               "--board", "stm32h743", "-O", "1", "--gdb", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = server.stderr.readline()
        m = re.search(r"listening on 127\.0\.0\.1:(\d+); attach with: gdb-multiarch -ex 'file (\S+)'", banner)
        assert m, banner
        port, elf = m.group(1), m.group(2)
        proc = subprocess.run([GDB, "-nx", "-batch", "-ex", f"file {elf}", "-ex", f"target remote :{port}",
                               "-ex", "break dot_s8", "-ex", "continue", "-ex", "print n", "-ex", "continue"],
                              capture_output=True, text=True, timeout=60)
        out, err = server.communicate(timeout=60)
    finally:
        server.kill()
    assert "$1 = 37" in proc.stdout, proc.stdout + proc.stderr
    assert out == f"dot={sum((i - 18) ** 2 for i in range(37))}\n", (out, err)
    assert server.returncode == 0
