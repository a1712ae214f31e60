import copy

import pytest

from simulator.report.result import Analysis
from simulator.report.schema import validate_analysis


def make_analysis(cycles=True, scale=1.0, model="kws_tiny") -> dict:
    """A hand-made analysis JSON following docs/analysis-schema.md (mcusim.analysis/2)."""
    layers = [("conv2d_0", "CONV_2D", "ck_conv_s8_wrapper", [1, 8, 8, 16], 9216, 30000),
              ("depthwise_conv2d_1", "DEPTHWISE_CONV_2D", "ck_depthwise_conv_s8_wrapper", [1, 8, 8, 16], 9216, 20000),
              ("average_pool_2d_2", "AVERAGE_POOL_2D", "ck_avgpool_s8", [1, 1, 1, 16], 1024, 4000),
              ("fully_connected_3", "FULLY_CONNECTED", "ck_fully_connected_s8_wrapper", [1, 4], 64, 1000)]
    costs = [int(c * scale) for *_, c in layers]
    total = sum(costs)
    out = {
        "schema": "mcusim.analysis/2", "model": model, "board": "stm32h743", "core": "m7",
        "toolchain": "zig", "clock_hz": 480_000_000, "params": 2500, "macc": 19520,
        "context": {"toolchain": "zig ziglang 0.13.0", "flags": ["-O2", "-mcpu=cortex-m7"],
                    "libc": "picolibc 1.7.9", "memory_model": "realistic", "pass": "cold",
                    "kernel_library": "cross_kernels sha256:0123456789abcdef"},
        "inputs": [{"index": 0, "name": "input", "shape": [1, 8, 8, 1], "dtype": "int8", "scale": 0.5,
                    "zero_point": -1}],
        "outputs": [{"index": 4, "name": "output", "shape": [1, 4], "dtype": "int8", "scale": 0.00390625,
                     "zero_point": -128}],
        "flash_bytes": {"weights": 2600, "code": 9000, "total": 11600},
        "ram_bytes": {"arena": 2304, "scratch": 128, "stack": 4096, "stack_peak": 300, "static": 16,
                      "padding": 0, "weights": 0, "total": 6544},
        "ram_limit_bytes": 131072, "fits": True, "ran": True,
        "instructions": int(total * 1.4), "cycles": total if cycles else None,
        "latency_ms": total * 1e3 / 480e6 if cycles else None, "bit_exact": True,
        "layers": [{"index": i, "name": n, "op": op, "kernel": k, "output_shape": shape, "macc": macc,
                    "scratch_bytes": 0, "weight_bytes": 600 + i,
                    "instructions": int(c * 1.4), "cycles": c if cycles else None,
                    "share": 100.0 * c / total, "bit_exact": True, "cycles_warm": None, "memory": {}}
                   for i, ((n, op, k, shape, macc, _), c) in enumerate(zip(layers, costs))],
        "build": {"compiler": "zig ziglang 0.13.0", "libc": "picolibc 1.7.9", "compile": ["clang", "-O2"],
                  "link": ["zig", "cc"]},
        "cycles_warm": total - 100 if cycles else None,
        "latency_warm_ms": (total - 100) * 1e3 / 480e6 if cycles else None,
        "memory": {"model": "realistic"},
        "placement": {"code": "flash", "weights": "flash", "arena": "dtcm", "stack": "dtcm"},
        "schedule": None,
        # TFLM's arena in place of arena + scratch: 6544 - 2304 - 128 + 4000 = 8112 B of RAM
        "tflm_arena": {"bytes": 4000, "head": 2304, "tail": 1696, "source": "replica",
                       "ram_needed": 8112, "fits": True},
        "memory_plan": {"arena_bytes": 2304, "tensors": [
            {"index": 0, "name": "input", "offset": 1024, "size": 256, "first_op": 0, "last_op": 0, "region": "dtcm"},
            {"index": 1, "name": "conv2d_0", "offset": 0, "size": 1024, "first_op": 0, "last_op": 1, "region": "dtcm"},
            {"index": 2, "name": "depthwise_conv2d_1", "offset": 1024, "size": 1024, "first_op": 1, "last_op": 2, "region": "dtcm"},
            {"index": 3, "name": "average_pool_2d_2", "offset": 0, "size": 16, "first_op": 2, "last_op": 3, "region": "dtcm"},
            {"index": 4, "name": "output", "offset": 2048, "size": 4, "first_op": 3, "last_op": 3, "region": "dtcm"}]},
    }
    return copy.deepcopy(out)


def as_analysis(d: dict) -> Analysis:
    """The object every renderer takes, read back as `mcusim report` reads a file."""
    return Analysis.from_dict(validate_analysis(d, "test"))


@pytest.fixture
def analysis():
    return as_analysis(make_analysis())


def not_run(d: dict) -> dict:
    """What analyze writes for a model that does not fit: nothing measured."""
    d = copy.deepcopy(d)
    d.update(fits=False, ran=False, instructions=None, cycles=None, latency_ms=None, bit_exact=None,
             build={}, cycles_warm=None, latency_warm_ms=None)
    d["ram_bytes"]["stack_peak"] = None
    d["flash_bytes"].update(code=None, total=None)
    for layer in d["layers"]:
        layer.update(instructions=None, cycles=None, share=None, bit_exact=None)
    return d
