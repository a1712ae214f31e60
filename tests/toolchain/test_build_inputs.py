"""The build hashes what the compile reads, from the compiler's depfiles, not a directory scan
(issue 10, item 4): special or unrelated files beside a source change nothing, while an edited
header is still a new build; a source that is not a plain file is a named error."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.errors import ConfigError
from simulator.machine import Machine
from simulator.toolchain.deps import read_depfile

ROOT = Path(__file__).resolve().parents[2]
MAIN = '#include "ck_runtime.h"\n#include "local.h"\nint main(void) { ck_printf("value %d\\n", VALUE); return 0; }\n'


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("MCUSIM_CACHE_DIR", str(tmp_path / "cache"))
    src = tmp_path / "proj"
    src.mkdir()
    (src / "main.c").write_text(MAIN)
    (src / "local.h").write_text("#define VALUE 1\n")
    return src


def _cli_run(src: Path, cache: Path, *args) -> subprocess.CompletedProcess:
    env = dict(os.environ, MCUSIM_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "simulator.cli", "run", str(src), "--board",
                           "generic-m4", *args], env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("beside", ["fifo", "dev-zero", "5000 headers"])
def test_unrelated_files_beside_the_source_are_not_read(project, tmp_path, beside):
    if beside == "fifo":
        os.mkfifo(project / "pipe.h")
    elif beside == "dev-zero":
        (project / "zero.h").symlink_to("/dev/zero")
    else:
        many = project / "vendor"
        many.mkdir()
        for i in range(5000):
            (many / f"h{i}.h").write_text(f"#define H{i} {i}\n")
    done = _cli_run(project / "main.c", tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    assert "value 1" in done.stdout and "Traceback" not in done.stderr


def test_an_edited_header_beside_the_source_is_a_new_build(project):
    m = Machine("generic-m4")
    first = m.build([project / "main.c"])
    assert "value 1" in first.run().stdout
    assert m.build([project / "main.c"]).build.cached
    (project / "local.h").write_text("#define VALUE 2\n")
    second = m.build([project / "main.c"])
    assert not second.build.cached and "value 2" in second.run().stdout
    (project / "local.h").write_text("#define VALUE 1\n")
    assert m.build([project / "main.c"]).build.cached                  # back to the first


def test_an_edited_header_in_an_include_dir_is_a_new_build(project, tmp_path):
    inc = tmp_path / "inc"
    inc.mkdir()
    (project / "local.h").unlink()
    (inc / "local.h").write_text("#define VALUE 5\n")
    m = Machine("generic-m4")
    assert "value 5" in m.build([project / "main.c"], include_dirs=[inc]).run().stdout
    (inc / "local.h").write_text("#define VALUE 6\n")
    again = m.build([project / "main.c"], include_dirs=[inc])
    assert not again.build.cached and "value 6" in again.run().stdout


@pytest.mark.parametrize("kind, message", [("fifo", "a FIFO"), ("dev-zero", "a character device")])
def test_a_source_that_is_not_a_plain_file_is_a_named_error(tmp_path, kind, message):
    src = tmp_path / "main.c"
    if kind == "fifo":
        os.mkfifo(src)
    else:
        src.symlink_to("/dev/zero")
    with pytest.raises(ConfigError, match=f"not a regular file \\({message}\\)"):
        Machine("generic-m4").build([src])


def test_depfile_parser_reads_what_clang_and_gcc_write(tmp_path):
    dep = tmp_path / "x.d"
    dep.write_text("mcusim-object: /a/main.c /b/with\\ space.h \\\n  rel.h /c/dollar$$.h \\\n"
                   "  /d/hash\\#.h\n/a/main.c:\nother.o: /not/this.h\n")
    assert read_depfile(dep, tmp_path) == [Path("/a/main.c"), Path("/b/with space.h"),
                                           tmp_path / "rel.h", Path("/c/dollar$.h"),
                                           Path("/d/hash#.h")]
