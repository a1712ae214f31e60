"""--kernels cmsis-nn: bundled models run CMSIS-NN's functions and every layer stays bit-exact with
the NumPy reference; ops it lacks fall back to mcusim's kernels, named per layer; a bad library
path is one line and exit 2. Tests that build CMSIS-NN skip with a reason where it is absent
(CI); the error and table tests run everywhere."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simulator.analyze import analyze
from simulator.errors import ConfigError
from simulator.lower.libraries import BUILTIN, LibraryNotAvailable, load_library, parse_spec


REPO = Path(__file__).resolve().parents[2]
DS_CNN = REPO / "models" / "ds_cnn.tflite"
DIGITS = REPO / "models" / "digits_cnn.tflite"


def _cmsis_root() -> Path | None:
    try:
        return load_library("cmsis-nn").root
    except LibraryNotAvailable:
        return None


ROOT = _cmsis_root()
needs_cmsis = pytest.mark.skipif(ROOT is None, reason="CMSIS-NN not found: set MCUSIM_CMSIS_NN or place it "
                                                      "at ../shared/third_party/CMSIS-NN beside the repo")


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "simulator.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300, cwd=REPO)


# ---- everywhere: names, errors, the table's own consistency ------------------------------------

def test_mcusim_is_no_library_and_spec_parsing():
    assert load_library(None) is None and load_library("mcusim") is None
    assert parse_spec("cmsis-nn=/x/y") == ("cmsis-nn", Path("/x/y"))
    with pytest.raises(ConfigError, match="not a known kernel library"):
        load_library("tvm")
    with pytest.raises(ConfigError, match="give a directory after"):
        load_library("cmsis-nn=")


def test_a_bad_path_is_a_named_error(tmp_path):
    with pytest.raises(LibraryNotAvailable, match=re.escape(f"cmsis-nn={tmp_path}")) as exc:
        load_library(f"cmsis-nn={tmp_path}")
    assert "Include/arm_nnfunctions.h not found" in str(exc.value)


def test_cli_bad_path_exits_2_with_one_line(tmp_path):
    missing = tmp_path / "no-such-cmsis"
    r = _cli("analyze", DIGITS, "--board", "nrf52840", "--kernels", f"cmsis-nn={missing}")
    assert r.returncode == 2
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and str(missing) in lines[0] and "Traceback" not in r.stderr


def test_every_row_names_an_emitter_that_exists():
    import tomllib

    from simulator.lower import emitters_cmsis_nn
    rows = tomllib.loads(BUILTIN["cmsis-nn"].read_text())["rule"]
    assert rows and all(r["emitter"] in emitters_cmsis_nn.EMITTERS for r in rows)
    assert all(r["source"].startswith("tflite-micro kernels/cmsis_nn/") for r in rows)


@needs_cmsis
def test_every_row_function_is_declared_in_the_public_header():
    lib = load_library("cmsis-nn")
    header = (ROOT / "Include" / lib.header).read_text()
    for r in lib.rules:
        for fn in filter(None, (r.function, r.scratch)):
            assert re.search(rf"\b{fn}\s*\(", header), fn
    assert lib.version.startswith(re.search(r"\$Revision:\s*(\S+)", header).group(1))


# ---- with CMSIS-NN: bit-exact whole models, the report names it -------------------------------

@needs_cmsis
@pytest.mark.parametrize("board", ["nrf52840", "stm32h743", "rp2040"])
def test_ds_cnn_bit_exact_with_cmsis_nn(board):
    a = analyze(DS_CNN, board, kernels="cmsis-nn", memory="ideal")
    assert a.bit_exact is True and all(l.bit_exact for l in a.layers)
    kernels = {l.op: l.kernel for l in a.layers}
    assert kernels["CONV_2D"] == "arm_convolve_wrapper_s8"
    assert kernels["DEPTHWISE_CONV_2D"] == "arm_depthwise_conv_wrapper_s8"
    assert kernels["SOFTMAX"] == "arm_softmax_s8"
    assert a.context["kernel_library"].startswith(f"CMSIS-NN {load_library('cmsis-nn').version}")
    # the scratch the library asked for is in the RAM plan
    assert a.scratch == max(l.scratch_bytes for l in a.layers) > 0


@needs_cmsis
@pytest.mark.parametrize("board", ["nrf52840", "stm32h743"])
def test_digits_cnn_bit_exact_with_cmsis_nn(board):
    a = analyze(DIGITS, board, kernels="cmsis-nn", memory="ideal")
    assert a.bit_exact is True and all(l.bit_exact for l in a.layers)
    assert np.array_equal(a.output, a.reference_output)
    assert {l.kernel for l in a.layers if l.op == "CONV_2D"} == {"arm_convolve_wrapper_s8"}


def _fallback_model():
    """conv -> RELU (no CMSIS-NN row) -> ADD of a [1,1,1,C] constant (a broadcast: declined)
    -> ADD of the conv output (same shape: CMSIS-NN)."""
    from simulator.frontend import ModelBuilder
    rng = np.random.default_rng(7)
    b = ModelBuilder("fallbacks")
    x = b.input((1, 6, 6, 4), scale=0.03, zero_point=-2)
    c = b.conv2d(x, rng.normal(0, 0.3, (8, 3, 3, 4)).astype(np.float32),
                 rng.normal(0, 0.3, 8).astype(np.float32), out_scale=0.05, out_zp=1)
    r = b.relu(c)
    k = b.const(rng.integers(-128, 128, (1, 1, 1, 8)).astype(np.int8), "int8", scale=0.02, zero_point=3)
    s = b.add(r, k, out_scale=0.06, out_zp=-4)
    b.output(b.add(s, c, out_scale=0.08, out_zp=2))
    return b.build()


@needs_cmsis
def test_ops_the_library_lacks_or_declines_fall_back_to_mcusim_and_say_so():
    a = analyze(_fallback_model(), "nrf52840", kernels="cmsis-nn", memory="ideal")
    assert a.bit_exact is True and all(l.bit_exact for l in a.layers)
    conv, relu, bcast, add = a.layers
    assert conv.kernel == "arm_convolve_wrapper_s8" and add.kernel == "arm_elementwise_add_s8"
    assert relu.kernel.startswith("ck_") and relu.kernel.endswith("[mcusim: CMSIS-NN has no RELU int8]")
    assert bcast.kernel.startswith("ck_add_s8") and "[mcusim: broadcast ADD [1, 6, 6, 8] + [1, 1, 1, 8]" in bcast.kernel


@needs_cmsis
def test_cli_json_names_the_library():
    r = _cli("analyze", DIGITS, "--board", "stm32h743", "--kernels", f"cmsis-nn={ROOT}", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["context"]["kernel_library"].startswith("CMSIS-NN V.")
    assert d["bit_exact"] is True


def test_a_table_whose_names_are_not_c_identifiers_is_refused(tmp_path):
    text = BUILTIN["cmsis-nn"].read_text().replace('function = "arm_softmax_s8"',
                                                   'function = "arm_softmax_s8(); system(\\"x\\")"')
    table = tmp_path / "evil.toml"
    table.write_text(text)
    with pytest.raises(ConfigError, match="SOFTMAX/int8 function .* is not a C identifier"):
        load_library(f"{table}=/nonexistent")


@needs_cmsis
def test_validate_runs_the_library_on_every_sample():
    from simulator.frontend import load_model
    from simulator.validate import build_once, validate
    _, lm = build_once(load_model(DIGITS), "nrf52840", memory="ideal", kernels="cmsis-nn")
    assert lm.library.name == "cmsis-nn" and any(l.kernel.startswith("arm_") for l in lm.layers)
    x = np.random.default_rng(5).integers(-128, 128, (4, 8, 8, 1), dtype=np.int8)
    v = validate(DIGITS, "nrf52840", data=x, memory="ideal", kernels="cmsis-nn")
    assert v.bit_exact and v.samples == 4


@needs_cmsis
def test_schedules_other_than_plain_are_refused_with_a_library():
    with pytest.raises(ConfigError, match="--kernels cmsis-nn runs the plain schedule"):
        analyze(DS_CNN, "nrf52840", kernels="cmsis-nn", schedule="inplace")
