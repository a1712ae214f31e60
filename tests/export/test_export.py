"""`mcusim export`: the folder builds with its own Makefile, outside mcusim's build system, and the
resulting firmware computes analyze's output bits in analyze's cycles.

The oracle is the analysis the export ran (its output, itself checked bit-exact against the
NumPy reference): the exported library is built by `make` (arm-none-eabi-gcc, and zig's clang),
linked with the export's examples/main_semihosting.c by `mcusim run`, and run on the H743.

Cycles, two checks:
- built with MODEL_PROFILING=1 (the per-layer markers on) and linked in analyze's order
  (mcusim's runtime, model.o, main.o, then the kernels in the rules' order, the Makefile's SRCS
  order), the firmware is analyze's: the same cycles, exactly, for the model and every layer.
- built as shipped (markers compiled out), the model runs without the markers' calls, and the
  code after model_invoke moves up by their size; the M7's fetch and I-cache timing depend on
  where code sits, so the count moves by placement as well as by the markers' cost. Measured
  (analyze minus export): DS-CNN gcc +900 cycles (+0.02 %), ResNet-8 rows gcc +0.04 %, VWW patch
  gcc +0.23 %; linked from the archive in the user's order (main.o first) DS-CNN zig +1.7 %.
  Tolerance: PLACEMENT = 2 % of analyze's cycles, either way, plus nothing else.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simulator.export import LIBRARY, export_model
from simulator.lower.firmware_io import read_output

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "models"
BOARD = "stm32h743"
PLACEMENT = 0.02
RUNTIME = REPO / "cross_kernels" / "runtime"         # ck_runtime.h, for main.c and the markers
HAVE_GCC = shutil.which("arm-none-eabi-gcc") is not None
needs_gcc = pytest.mark.skipif(not HAVE_GCC, reason="arm-none-eabi-gcc is not on PATH")
ENV = {**os.environ, "PYTHONPATH": str(REPO)}

# model, export arguments, the schedule analyze must choose (issue 16: rows and patch exported too)
CASES = {
    "ds_cnn": ("ds_cnn.tflite", {}, "plain"),
    "resnet8_rows": ("resnet8.tflite", {"ram": "32K"}, "rows"),
    "vww_patch": ("vww_mobilenet_v1_025.tflite", {"ram": "32K"}, "patch"),
}


def _export(tmp_path_factory, case: str, toolchain: str):
    model, kwargs, _ = CASES[case]
    out = tmp_path_factory.mktemp(f"{case}_{toolchain}") / "export"
    return export_model(MODELS / model, BOARD, out, toolchain=toolchain, measure_plain=False, **kwargs)


def _make(folder: Path, toolchain: str, *extra: str) -> None:
    p = subprocess.run(["make", "-s", f"TOOLCHAIN={toolchain}", f"PYTHON={sys.executable}", *extra],
                       cwd=folder, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    assert (folder / "build" / LIBRARY).is_file()


def _run(folder: Path, toolchain: str, link: list[str]) -> dict:
    p = subprocess.run([sys.executable, "-m", "simulator.cli", "run", *link,
                        "-I", "include", "--board", BOARD, "--toolchain", toolchain, "--json"],
                       cwd=folder, capture_output=True, text=True, timeout=600, env=ENV)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def _analyze_order(r) -> list[str]:
    """analyze's link order after the runtime: model.o, main.o, the kernels (module doc)."""
    objects = [f"build/{s[:-2]}.o" for s in r.sources]
    return [objects[0], "build/examples/main_semihosting.o"] + objects[1:]


def _build_in_analyze_order(r, toolchain: str, *extra: str) -> dict:
    _make(r.out_dir, toolchain, f"EXTRA_CFLAGS=-I{RUNTIME}", *extra)
    _make(r.out_dir, toolchain, f"EXTRA_CFLAGS=-I{RUNTIME}", *extra, "build/examples/main_semihosting.o")
    return _run(r.out_dir, toolchain, _analyze_order(r))


def _check_bits(r, run: dict) -> None:
    a = r.analysis
    out = a.outputs[0]
    got = read_output(run["stdout"], out.shape, out.dtype)
    assert got is not None, run["stdout"][:200]
    assert np.array_equal(got, a.output) and np.array_equal(got, a.reference_output)


def _check_cycles_within_placement(r, run: dict) -> None:
    _check_bits(r, run)
    cycles = run["regions"]["model"]["cycles"]
    assert abs(r.analysis.cycles - cycles) <= PLACEMENT * r.analysis.cycles, (r.analysis.cycles, cycles)
    assert not any(name.startswith("L") for name in run["regions"])        # no markers left


def _check_profiled_is_analyze(r, toolchain: str) -> None:
    subprocess.run(["make", "-s", "clean"], cwd=r.out_dir, check=True)
    run = _build_in_analyze_order(r, toolchain, "MODEL_PROFILING=1")
    _check_bits(r, run)
    assert run["regions"]["model"]["cycles"] == r.analysis.cycles
    for layer in r.analysis.layers:
        region = run["regions"].get(f"L{layer.index}")
        if region is not None:
            assert region["first"]["cycles"] == layer.cycles, layer.index


@pytest.fixture(scope="module")
def ds_cnn_gcc(tmp_path_factory):
    if not HAVE_GCC:
        pytest.skip("arm-none-eabi-gcc is not on PATH")
    return _export(tmp_path_factory, "ds_cnn", "gcc")


@needs_gcc
def test_ds_cnn_library_builds_with_gcc_and_matches_analyze(ds_cnn_gcc):
    r = ds_cnn_gcc
    assert r.analysis.schedule.chosen == "plain" and r.analysis.bit_exact
    _make(r.out_dir, "gcc")
    as_a_user_links_it = ["examples/main_semihosting.c", f"build/{LIBRARY}"]
    _check_cycles_within_placement(r, _run(r.out_dir, "gcc", as_a_user_links_it))
    _check_profiled_is_analyze(r, "gcc")


@needs_gcc
def test_library_has_no_runtime_unless_profiling(ds_cnn_gcc, tmp_path):
    """No semihosting, markers or mcusim runtime in libmodel.a; MODEL_PROFILING=1 puts the markers back."""
    folder = tmp_path / "copy"
    shutil.copytree(ds_cnn_gcc.out_dir, folder, ignore=shutil.ignore_patterns("build"))
    _make(folder, "gcc")

    def undefined(lib: Path) -> set[str]:
        p = subprocess.run(["arm-none-eabi-nm", "-u", str(lib)], capture_output=True, text=True, check=True)
        return {line.split()[-1] for line in p.stdout.splitlines() if line.strip().startswith("U ")}
    plain = undefined(folder / "build" / LIBRARY)
    assert not {s for s in plain if s.startswith("ck_") and s not in _defined(folder / "build" / LIBRARY)}
    assert not any("region" in s or "semihost" in s or s.startswith("ck_put") for s in plain), plain
    assert "#include \"ck_runtime.h\"" not in (folder / "src" / "model.c").read_text().split("#if", 1)[0]
    subprocess.run(["make", "-s", "clean"], cwd=folder, check=True)
    _make(folder, "gcc", "MODEL_PROFILING=1", f"EXTRA_CFLAGS=-I{RUNTIME}")
    assert {"ck_region_begin", "ck_region_end"} <= undefined(folder / "build" / LIBRARY)


def _defined(lib: Path) -> set[str]:
    p = subprocess.run(["arm-none-eabi-nm", "--defined-only", str(lib)], capture_output=True, text=True,
                       check=True)
    return {line.split()[-1] for line in p.stdout.splitlines() if len(line.split()) == 3}


@pytest.mark.parametrize("case,toolchain", [pytest.param("resnet8_rows", "gcc", marks=pytest.mark.slow),
                                            ("vww_patch", "zig")])
def test_scheduled_models_export_and_match_analyze(tmp_path_factory, case, toolchain):
    """Rows (ResNet-8) and patch (VWW) schedules, under zig's clang for one of them."""
    if toolchain == "gcc" and not HAVE_GCC:
        pytest.skip("arm-none-eabi-gcc is not on PATH")
    r = _export(tmp_path_factory, case, toolchain)
    assert r.analysis.schedule.chosen == CASES[case][2]
    model_c = (r.out_dir / "src" / "model.c").read_text()
    assert ("stage_L" in model_c) == (case == "vww_patch") and ("block_L" in model_c) == (case == "resnet8_rows")
    _check_cycles_within_placement(r, _build_in_analyze_order(r, toolchain))
    _check_profiled_is_analyze(r, toolchain)


def test_info_header_and_readme_carry_the_analysis(ds_cnn_gcc):
    r = ds_cnn_gcc
    a = r.analysis
    info = (r.out_dir / "include" / "model_info.h").read_text()
    x, y = a.inputs[0], a.outputs[0]
    assert f"#define MODEL_INPUT_SHAPE {{{', '.join(map(str, x.shape))}}}" in info
    assert f"#define MODEL_OUTPUT_ZERO_POINT {y.zero_point}" in info
    assert f"#define MODEL_INPUT_ZERO_POINT {x.zero_point}" in info
    readme = (r.out_dir / "README.md").read_text()
    assert f"{a.cycles:,}" in readme and BOARD in readme and a.toolchain_version in readme
    header = (r.out_dir / "include" / "model.h").read_text()
    assert f"#define MODEL_ARENA_BYTES {a.arena}" in header
    # only the kernels the rules named, nothing from other families
    assert all(not s.startswith("src/binary/") for s in r.sources)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "simulator.cli", "export", *map(str, args)],
                          capture_output=True, text=True, timeout=300, env=ENV)


def test_unknown_board_is_a_named_error(tmp_path):
    p = _cli(MODELS / "ds_cnn.tflite", "--board", "no-such-board", "-o", tmp_path / "out")
    assert p.returncode == 2 and p.stderr.startswith("mcusim: error:") and "no-such-board" in p.stderr
    assert not (tmp_path / "out").exists()


def test_non_empty_dir_needs_force(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    p = _cli(MODELS / "ds_cnn.tflite", "--board", BOARD, "-o", tmp_path)
    assert p.returncode == 2 and "not empty" in p.stderr and "--force" in p.stderr
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_unwritable_dir_is_a_named_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    p = _cli(MODELS / "ds_cnn.tflite", "--board", BOARD, "-o", blocker / "out")
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "cannot create" in p.stderr
    p = _cli(MODELS / "ds_cnn.tflite", "--board", BOARD, "-o", blocker)
    assert p.returncode == 2 and "not a directory" in p.stderr


@needs_gcc
def test_with_profiling_ships_the_markers_and_the_runtime_header(tmp_path):
    r = export_model(MODELS / "ds_cnn.tflite", BOARD, tmp_path / "out", toolchain="gcc", with_profiling=True)
    assert (r.out_dir / "include" / "ck_runtime.h").is_file()
    assert "MODEL_PROFILING ?= 1" in (r.out_dir / "Makefile").read_text()
    _make(r.out_dir, "gcc")
    p = subprocess.run(["arm-none-eabi-nm", "-u", str(r.out_dir / "build" / LIBRARY)], capture_output=True,
                       text=True, check=True)
    assert "ck_region_begin" in p.stdout and "ck_region_end" in p.stdout


@needs_gcc
@pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake is not on PATH")
def test_cmake_builds_the_library(ds_cnn_gcc, tmp_path):
    p = subprocess.run(["cmake", "-S", str(ds_cnn_gcc.out_dir), "-B", str(tmp_path), "-DCMAKE_SYSTEM_NAME=Generic",
                        "-DCMAKE_C_COMPILER=arm-none-eabi-gcc", "-DCMAKE_TRY_COMPILE_TARGET_TYPE=STATIC_LIBRARY"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    p = subprocess.run(["cmake", "--build", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    assert (tmp_path / LIBRARY).is_file()
