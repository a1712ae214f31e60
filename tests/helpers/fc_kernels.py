"""Host builds of the s8 fully-connected kernels and random cases: shared by the fully-connected
and fast-path tests."""
from __future__ import annotations

import ctypes

import numpy as np

from simulator.reference import quant
from simulator.reference.padding import activation_range_s8
from tests.helpers import cstructs
from tests.helpers import hostlib


FC_SOURCES = ["fully_connected/ck_fully_connected_s8.c",
              "fully_connected/ck_fully_connected_s8_dsp.c",
              "fully_connected/ck_fully_connected_s8_wrapper.c",
              "fully_connected/ck_fc_check_args.c"]


PARAM_FIELDS = cstructs.fields("ck_fc_params")


def fc_lib(dsp: bool) -> ctypes.CDLL:
    return hostlib.build(FC_SOURCES, defines={"CK_DSP_EMULATE": None} if dsp else None)


def random_case(rng) -> dict:
    c = dict(batches=int(rng.integers(1, 4)),
             in_features=int(rng.choice([1, 2, 3, 4, 5, 7, 8, 16, 31, 64, 250])),
             out_features=int(rng.integers(1, 20)), per_channel=int(rng.integers(0, 2)))
    input_zp, output_zp = int(rng.integers(-128, 128)), int(rng.integers(-40, 40))
    c["input_offset"], c["output_offset"] = -input_zp, output_zp
    n_q = c["out_features"] if c["per_channel"] else 1
    real = np.exp(rng.uniform(np.log(0.1), np.log(10.0), n_q)) * 0.01 / np.sqrt(c["in_features"])
    if rng.random() < 0.1:
        real = rng.uniform(1.0, 300.0, n_q)
    c["multiplier"], c["shift"] = quant.quantize_multipliers(real)
    c["act_min"], c["act_max"] = activation_range_s8(
        str(rng.choice(["NONE", "NONE", "RELU", "RELU6"])), float(rng.uniform(0.01, 0.1)),
        output_zp)
    c["x"] = rng.integers(-128, 128, (c["batches"], c["in_features"]), dtype=np.int8)
    c["w"] = rng.integers(-128, 128, (c["out_features"], c["in_features"]), dtype=np.int8)
    c["bias"] = (None if rng.random() < 0.2 else
                 (rng.integers(-5000, 5000, c["out_features"])
                  * np.sqrt(c["in_features"])).astype(np.int32))
    return c


def call_fc(lib, name, c):
    params = np.array([c[f] for f in PARAM_FIELDS], dtype=np.int32)
    out = hostlib.Guarded((c["batches"], c["out_features"]))
    fn = getattr(lib, name)
    fn.restype = ctypes.c_int32
    status = fn(hostlib.ptr(params), hostlib.ptr(c["x"]), hostlib.ptr(c["w"]),
                hostlib.ptr(c["bias"]), hostlib.ptr(c["multiplier"]), hostlib.ptr(c["shift"]),
                out.ptr)
    return status, out.value(), out
