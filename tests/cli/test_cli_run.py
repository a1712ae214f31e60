"""`mcusim run` and `mcusim boards` as a user sees them: output, exit codes, one-line errors."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "machine" / "fixtures"


def mcusim(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "simulator.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_run_passes_exit_status_and_prints_output():
    p = mcusim("run", FIXTURES / "hello.c", "--board", "stm32h743", "--ram", "32K")
    assert p.returncode == 3
    assert p.stdout.startswith("hello from mcusim: -42")
    assert "stm32h743" in p.stderr and "instructions" in p.stderr


def test_run_json_has_the_documented_keys():
    p = mcusim("run", FIXTURES / "hello.c", "--board", "nrf52840", "--ram", "0x8000", "--json")
    assert p.returncode == 3
    data = json.loads(p.stdout)
    for key in ("board", "core", "toolchain", "exit_code", "stdout", "instructions", "stack_peak_bytes",
                "ram_limit_bytes", "ram_static_bytes", "cycles", "time_us"):
        assert key in data, key
    assert data["board"] == "nrf52840" and data["core"] == "m4" and data["ram_limit_bytes"] == 32768
    assert data["toolchain"].startswith("zig ")
    assert data["stdout"].startswith("hello from mcusim")


def test_profile_lists_functions():
    p = mcusim("run", FIXTURES / "hello.c", "--profile")
    assert p.returncode == 3
    assert "ck_printf" in p.stderr and "main" in p.stderr


@pytest.mark.parametrize("args, message", [
    (["--board", "nope"], "unknown board 'nope'; known boards: "),
    (["--ram", "12Q"], "--ram: cannot read '12Q' as a size"),
    (["--ram", "4M", "--board", "rp2040"], "does not fit board rp2040"),
    (["--stack", "0"], "--stack: must be positive"),
])
def test_bad_arguments_give_one_line_errors(args, message):
    p = mcusim("run", FIXTURES / "hello.c", *args)
    assert p.returncode == 2
    assert message in p.stderr
    assert "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_missing_source_file(tmp_path):
    p = mcusim("run", tmp_path / "nowhere.c")
    assert p.returncode == 2 and "source file not found" in p.stderr and "nowhere.c" in p.stderr


def test_compile_error_shows_diagnostics_and_command(tmp_path):
    bad = tmp_path / "bad.c"
    bad.write_text("int main(void) { return undefined_thing; }\n")
    p = mcusim("run", bad)
    assert p.returncode == 2
    assert "bad.c:1:" in p.stderr and "undefined_thing" in p.stderr
    assert "command: " in p.stderr and "-c " in p.stderr
    assert "Traceback" not in p.stderr


def test_fault_exits_nonzero_with_location(tmp_path):
    src = tmp_path / "crash.c"
    src.write_text("int main(void) {\n  return *(volatile int *)0x60000000;\n}\n")
    p = mcusim("run", src, "--board", "stm32h743")
    assert p.returncode == 3
    assert "invalid memory access: read of 4 bytes at 0x60000000" in p.stderr
    assert "main+0x" in p.stderr and "crash.c:2" in p.stderr
    assert "Traceback" not in p.stderr


def test_ram_overflow_at_link_time_is_reported(tmp_path):
    p = mcusim("run", FIXTURES / "big_bss.c", "-D", "BIG_BYTES=65536", "--ram", "32K", "--board", "stm32h743")
    assert p.returncode == 2
    assert "RAM overflow on stm32h743" in p.stderr and ".bss" in p.stderr and "over by" in p.stderr


def test_boards_lists_required_boards():
    p = mcusim("boards")
    assert p.returncode == 0
    for name in ("stm32h743", "stm32f746", "nrf52840", "rp2040", "generic-m0plus", "generic-m4",
                 "generic-m7", "generic-m33"):
        assert name in p.stdout
    data = json.loads(mcusim("boards", "--json").stdout)
    h7 = next(b for b in data if b["name"] == "stm32h743")
    regions = {r["name"]: (r["origin"], r["size"]) for r in h7["regions"]}
    assert regions["itcm"] == (0, 64 * 1024) and regions["flash"] == (0x08000000, 2 << 20)
    assert regions["dtcm"] == (0x20000000, 128 * 1024) and regions["axi_sram"] == (0x24000000, 512 * 1024)
    caches = {c["name"]: (c["size"], c["ways"], c["line"]) for c in h7["memory"]["caches"]}
    assert caches == {"icache": (16384, 2, 32), "dcache": (16384, 4, 32)}
    assert h7["memory"]["line_fill_cycles"]["flash"] > 0 and "dtcm" not in h7["memory"]["line_fill_cycles"]


def test_caches_off_charges_wait_states():
    on = json.loads(mcusim("run", FIXTURES / "dwt.c", "--board", "stm32f746", "--json").stdout)
    off = json.loads(mcusim("run", FIXTURES / "dwt.c", "--board", "stm32f746", "--caches", "off", "--json").stdout)
    assert on["instructions"] == off["instructions"]
    assert off["cycles"] > on["cycles"] > 0
    assert off["time_us"] == pytest.approx(off["cycles"] / 216.0)
