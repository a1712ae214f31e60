"""Resources are checked before the NumPy reference allocates anything (issue 10, item 5).

Each hostile model is a few hundred bytes of .tflite made here with the builder and writer;
what it declares would take gigabytes (or terabytes) if the reference ran on it first. The
analyses run in a child process with a 3 GiB address-space limit, so a regression fails
with a MemoryError instead of taking the machine down, and the child's peak RSS is checked.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from simulator.analyze import analyze
from simulator.budget import HostBudget, check_host
from simulator.errors import FlashOverflow, HostBudgetExceeded, ModelError
from simulator.frontend.builder import ModelBuilder
from simulator.frontend.tflite_writer import save_tflite
from simulator.reference import conv
from simulator.reference.padding import compute_padding

REPO = Path(__file__).resolve().parents[2]
CHILD_ADDRESS_SPACE = 3 << 30
PEAK_RSS_LIMIT_KB = 400 * 1024      # imports (NumPy, unicorn, capstone) take ~100 MB


def _conv_model(name, shape, k=3, dilation=1, channels=None, padding="SAME"):
    b = ModelBuilder(name)
    x = b.input(shape, scale=0.05, zero_point=0)
    c_out = channels or shape[3]
    w = np.random.default_rng(0).uniform(-1, 1, (c_out, k, k, shape[3])).astype(np.float32)
    b.output(b.conv2d(x, w, None, dilation=dilation, padding=padding, out_scale=0.1, out_zp=0))
    return b.build()


def _relu_model(name, shape):
    b = ModelBuilder(name)
    b.output(b.relu(b.input(shape, scale=0.05, zero_point=0)))
    return b.build()


def _save(graph, tmp_path) -> Path:
    path = tmp_path / f"{graph.name}.tflite"
    save_tflite(graph, path)
    return path


CHILD = textwrap.dedent("""
    import json, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
    from simulator.analyze import analyze
    out = {{}}
    try:
        a = analyze(sys.argv[1], sys.argv[2])
        out = {{"fits": a.fits, "overflow": a.overflow, "ran": a.ran,
               "reference": a.reference_output is not None}}
    except Exception as err:
        out = {{"error": type(err).__name__, "message": str(err),
               "op_index": getattr(err, "op_index", None)}}
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork+exec, so it would include
    # the pytest worker's own peak at the moment it started this child
    with open("/proc/self/status") as fh:
        out["maxrss_kb"] = next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:"))
    print(json.dumps(out))
""").format(limit=CHILD_ADDRESS_SPACE)


def _analyze_in_child(path: Path, board: str) -> dict:
    p = subprocess.run([sys.executable, "-c", CHILD, str(path), board], capture_output=True,
                       text=True, timeout=300, cwd=REPO)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


# ---- the three cases of the issue -------------------------------------------------------------

def test_activations_larger_than_the_board_are_refused_before_the_reference(tmp_path):
    """1,296 bytes declaring a 1024x1024x8 conv: main used 1.3 GB and seconds of im2col first."""
    path = _save(_conv_model("big_activation", (1, 1024, 1024, 8)), tmp_path)
    assert path.stat().st_size < 2000
    out = _analyze_in_child(path, "stm32h743")
    assert out.get("fits") is False, out
    assert "does not fit the RAM of stm32h743" in out["overflow"]
    # the planner's own figures: plain needs input + output (2 x 8 MiB); in place, the conv
    # overwrites its input, leaving one 8 MiB tensor, still far over the board
    assert "plain 24580.3 KB" in out["overflow"] and "arena 8388608 B" in out["overflow"]
    assert out["reference"] is False and out["ran"] is False
    assert out["maxrss_kb"] < PEAK_RSS_LIMIT_KB, out


def test_a_gigabyte_input_is_refused_without_allocating_it(tmp_path):
    """A 1 GiB input (1 GiB output): the random input alone used to be an 8 GiB int64 array."""
    path = _save(_relu_model("huge_input", (1, 16384, 16384, 4)), tmp_path)
    assert path.stat().st_size < 1000
    out = _analyze_in_child(path, "nrf52840")
    assert out.get("fits") is False, out
    assert "does not fit the RAM of nrf52840" in out["overflow"]
    assert out["reference"] is False
    assert out["maxrss_kb"] < PEAK_RSS_LIMIT_KB, out


def test_a_dilation_beyond_int32_indexing_is_a_model_error_naming_the_op(tmp_path):
    """dilation 2^31-1 on an 8x8 image: the padded input used to be a 14 TiB array."""
    path = _save(_conv_model("dilated", (1, 8, 8, 2), dilation=2**31 - 1), tmp_path)
    out = _analyze_in_child(path, "stm32h743")
    assert out.get("error") == "ModelError", out
    assert out["op_index"] == 0
    msg = out["message"]
    assert "op #0 (CONV_2D)" in msg and "dilation 2147483647" in msg and "int32" in msg
    assert str(path) in msg
    assert out["maxrss_kb"] < PEAK_RSS_LIMIT_KB, out


def test_the_cli_says_it_in_one_line_with_exit_2(tmp_path):
    path = _save(_conv_model("dilated", (1, 8, 8, 2), dilation=2**31 - 1), tmp_path)
    p = subprocess.run([sys.executable, "-m", "simulator.cli", "analyze", str(path), "--board",
                        "stm32h743"], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mcusim: error: ") and "dilation" in lines[0]


# ---- what is still allowed stays exact ----------------------------------------------------------

def test_a_large_dilation_within_int32_runs_bit_exact_on_the_board():
    """Dilation 2^20 (SAME): only the centre tap meets the image. The kernel and the streamed
    reference (no padded copy) agree bit for bit, with nothing materialised."""
    a = analyze(_conv_model("wide_dilation", (1, 6, 5, 3), dilation=1 << 20, channels=4),
                "stm32h743")
    assert a.fits and a.ran
    assert a.bit_exact, a.mismatch


def _direct_conv(x, w, zp, stride, dil, pad, out_hw, depthwise=False, dm=1):
    """One loop per output, tap and channel: the definition, no vectorisation."""
    n, h, wd, _ = x.shape
    kh, kw = w.shape[1], w.shape[2]
    c_out = w.shape[3] if depthwise else w.shape[0]
    acc = np.zeros((n, *out_hw, c_out), np.int64)
    for oy in range(out_hw[0]):
        for ox in range(out_hw[1]):
            for ky in range(kh):
                for kx in range(kw):
                    iy, ix = oy * stride[0] - pad[0] + ky * dil[0], ox * stride[1] - pad[1] + kx * dil[1]
                    if not (0 <= iy < h and 0 <= ix < wd):
                        continue
                    v = x[:, iy, ix, :].astype(np.int64) - zp
                    if depthwise:
                        acc[:, oy, ox, :] += v[:, np.arange(c_out) // dm] * w[0, ky, kx, :]
                    else:
                        acc[:, oy, ox, :] += v @ w[:, ky, kx, :].astype(np.int64).T
    return acc


@pytest.mark.parametrize("seed", range(40))
def test_streamed_conv_reference_matches_the_direct_definition(seed):
    rng = np.random.default_rng(seed)
    h, wd = (int(v) for v in rng.integers(1, 9, 2))
    kh, kw = (int(v) for v in rng.integers(1, 5, 2))
    stride = tuple(int(v) for v in rng.integers(1, 4, 2))
    dil = tuple(int(v) for v in rng.integers(1, 6, 2))
    padding = ("SAME", "VALID")[seed % 2]
    try:
        pt, oh = compute_padding(h, kh, stride[0], dil[0], padding)
        pl, ow = compute_padding(wd, kw, stride[1], dil[1], padding)
    except ModelError:
        padding = "SAME"
        pt, oh = compute_padding(h, kh, stride[0], dil[0], padding)
        pl, ow = compute_padding(wd, kw, stride[1], dil[1], padding)
    c_in, c_out, dm = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 3))
    x = rng.integers(-128, 128, (1, h, wd, c_in)).astype(np.int8)
    w = rng.integers(-127, 128, (c_out, kh, kw, c_in)).astype(np.int8)
    wd_ = rng.integers(-127, 128, (1, kh, kw, c_in * dm)).astype(np.int8)
    q = dict(input_zp=3, output_zp=-2, multiplier=[1 << 30], shift=[-3], stride=stride,
             dilation=dil, pad=(pt, pl), out_hw=(oh, ow))
    req = lambda acc: conv.requantize_s8(acc, None, [1 << 30], [-3], -2, -128, 127)
    got = conv.conv2d_s8(x, w, None, **q)
    assert np.array_equal(got, req(_direct_conv(x, w, 3, stride, dil, (pt, pl), (oh, ow))))
    got = conv.depthwise_conv2d_s8(x, wd_, None, depth_multiplier=dm, **q)
    want = req(_direct_conv(x, wd_, 3, stride, dil, (pt, pl), (oh, ow), True, dm))
    assert np.array_equal(got, want)


# ---- the host budget and the flash --------------------------------------------------------------

def test_host_memory_budget_is_checked_before_the_reference():
    g = _conv_model("fits_board", (1, 16, 16, 8))
    with pytest.raises(HostBudgetExceeded, match=r"host memory budget of 64 KB .*MCUSIM_HOST_MEMORY"):
        analyze(g, "stm32h743", host_budget=HostBudget(memory=64 << 10))


def test_host_work_budget_names_the_heaviest_op():
    g = _conv_model("fits_board", (1, 16, 16, 8))
    need = check_host(g, HostBudget())
    assert need["macs"] == 16 * 16 * 8 * 3 * 3 * 8           # out elements x taps x c_in
    with pytest.raises(HostBudgetExceeded, match=r"op #0 \(CONV_2D\) the most.* budget of 1,000"):
        analyze(g, "stm32h743", host_budget=HostBudget(macs=1000))


def test_host_budget_from_the_environment(monkeypatch):
    monkeypatch.setenv("MCUSIM_HOST_MEMORY", "1G")
    monkeypatch.setenv("MCUSIM_HOST_MACS", "12345")
    assert HostBudget.from_env() == HostBudget(memory=1 << 30, macs=12345)
    monkeypatch.setenv("MCUSIM_HOST_MACS", "-3")
    with pytest.raises(HostBudgetExceeded, match="MCUSIM_HOST_MACS: must be positive"):
        HostBudget.from_env()


def test_weights_larger_than_flash_are_refused_before_the_reference():
    b = ModelBuilder("heavy")
    x = b.input((1, 1100), scale=0.05, zero_point=0)
    w = np.random.default_rng(0).integers(-127, 128, (1024, 1100)).astype(np.int8)
    b.output(b.fully_connected(x, w, None, weight_scales=0.01, out_scale=0.5, out_zp=0))
    with pytest.raises(FlashOverflow, match=r"does not fit the flash of nrf52840: its constants "
                                            r"and input need \d+ B .* before any code"):
        analyze(b.build(), "nrf52840")


# ---- the quantize path --------------------------------------------------------------------------

def _float_model(shape):
    from simulator.quantize.float_model import FloatBuilder
    fb = FloatBuilder("float_big")
    x = fb.input(shape)
    w = np.random.default_rng(0).uniform(-1, 1, (4, 3, 3, shape[3])).astype(np.float32)
    fb.output(fb.conv2d(x, w, np.zeros(4, np.float32), activation="RELU"))
    return fb.build()


def test_quantize_checks_the_host_budget_before_calibrating():
    from simulator.quantize.ptq import quantize_graph
    g = _float_model((1, 64, 64, 4))
    data = np.zeros((8, 64, 64, 4), np.float32)
    with pytest.raises(HostBudgetExceeded, match="host memory budget"):
        quantize_graph(g, data, host_budget=HostBudget(memory=1 << 20))
    q = quantize_graph(g, data[:1], host_budget=HostBudget())        # the same model, in budget
    assert q.tensor(q.ops[1].outputs[0]).dtype == "int8"


def test_quantize_with_a_board_refuses_what_cannot_fit_before_calibrating(tmp_path):
    g = _float_model((1, 512, 512, 4))         # int8 activations: 1 MB in, 1 MB out
    model = _save(g, tmp_path)
    np.save(tmp_path / "cal.npy", np.zeros((1, 2, 2, 4), np.float32))   # shape is never reached
    p = subprocess.run([sys.executable, "-m", "simulator.cli", "quantize", str(model),
                        "--calibration", str(tmp_path / "cal.npy"), "-o", str(tmp_path / "q.tflite"),
                        "--board", "nrf52840"], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "does not fit the RAM of nrf52840" in lines[0], p.stderr
    assert "op #0 (CONV_2D)" in lines[0]
    assert not (tmp_path / "q.tflite").exists()


# ---- ops whose output size comes from operand values -------------------------------------------

def test_paddings_larger_than_the_declared_output_are_refused_before_np_pad():
    """Paddings of 60,000 on a [1, 4, 4, 2] tensor declared [1, 4, 4, 2]: np.pad used to try
    a 6.7 GiB array before the size check."""
    b = ModelBuilder("pad_bomb")
    x = b.input((1, 4, 4, 2), scale=0.05, zero_point=0)
    p = b.const(np.array([[0, 0], [0, 60000], [0, 60000], [0, 0]], np.int32), "int32")
    y = b.tensor((1, 4, 4, 2), scale=0.05, zero_point=0)
    b.op("PAD", [x, p], [y])
    b.output(y)
    with pytest.raises(ModelError, match=r"op #0 \(PAD\).*shape \[1, 60004, 60004, 2\], the "
                                         r"output tensor declares \[1, 4, 4, 2\]"):
        analyze(b.build(), "stm32h743")


def test_a_broadcast_larger_than_the_declared_output_is_refused():
    b = ModelBuilder("broadcast_bomb")
    x = b.input((1, 1, 1, 3000), scale=0.05, zero_point=0)
    c = b.const(np.zeros((1, 1, 3000, 1), np.int8), "int8", scale=0.05)
    y = b.tensor((1, 1, 1, 3000), scale=0.05, zero_point=0)
    b.op("ADD", [x, c], [y])
    b.output(y)
    with pytest.raises(ModelError, match=r"op #0 \(ADD\).*shape \[1, 1, 3000, 3000\]"):
        analyze(b.build(), "stm32h743")
