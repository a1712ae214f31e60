"""SPLIT, SPLIT_V and UNPACK (int8, float32), the multi-output ops, expanded at import into one
STRIDED_SLICE per output (frontend/multi_output.py): every output bit-exact against
tflite-micro running the original op, the expansion's refusals, and a model (split, then the
parts concatenated in another order) through the whole pipeline on M0+/M4/M7."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import movement_cases as mc
from simulator.analyze import analyze
from simulator.errors import ModelError
from simulator.frontend.builder import ModelBuilder
from simulator.frontend.multi_output import expand_multi_output
from simulator.frontend.tflite_reader import load_tflite
from simulator.frontend.tflite_writer import save_tflite
from simulator.frontend.tflm_oracle import run_tflm


def split_model(opcode, shape, axis, sizes, dtype, seed):
    """One op with len(sizes) outputs, every output a model output."""
    scale, zp = mc.oo.scale_zp(np.random.default_rng(seed))
    q = dict(scale=scale, zero_point=zp) if dtype == "int8" else {}
    b = ModelBuilder(opcode.lower())
    x = b.input(shape, dtype=dtype, **q)
    outs = []
    for size in sizes:
        s = list(shape)
        if opcode == "UNPACK":
            del s[axis]
        else:
            s[axis] = size
        outs.append(b.tensor(s, dtype, **q))
    ax = b.const(np.array(axis, np.int32), "int32")
    if opcode == "SPLIT":
        b.op("SPLIT", [ax, x], outs, num_splits=len(sizes))
    elif opcode == "SPLIT_V":
        b.op("SPLIT_V", [x, b.const(np.array(sizes, np.int32), "int32"), ax], outs,
             num_splits=len(sizes))
    else:
        b.op("UNPACK", [x], outs, num=len(sizes), axis=axis)
    b.output(*outs)
    return b.build()


def cases(n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        opcode = ("SPLIT", "SPLIT_V", "UNPACK")[i % 3]
        rank = int(rng.integers(1, 5))
        shape = [int(d) for d in rng.integers(1, 5, rank)]
        axis = int(rng.integers(0, rank))
        if opcode == "SPLIT":
            n_out = int(rng.integers(1, 4))
            shape[axis] *= n_out
            sizes = [shape[axis] // n_out] * n_out
        elif opcode == "SPLIT_V":
            sizes = [int(v) for v in rng.integers(1, 4, int(rng.integers(1, 4)))]
            shape[axis] = sum(sizes)
        else:
            sizes = [1] * shape[axis]
        dtype = mc.DTYPES[(i // 3) % 2]
        out.append(pytest.param(opcode, tuple(shape), axis, sizes, dtype, i,
                                id=f"c{i}-{opcode}-{dtype}-axis{axis}"))
    return out


@pytest.mark.parametrize("opcode,shape,axis,sizes,dtype,seed", cases(18, 1))
def test_every_output_matches_tflm(opcode, shape, axis, sizes, dtype, seed):
    g = split_model(opcode, shape, axis, sizes, dtype, seed)
    data = save_tflite(g)
    expanded = load_tflite(data)
    assert {op.opcode for op in expanded.ops} == {"STRIDED_SLICE"}
    assert expanded.outputs == g.outputs
    x = mc.values(shape, dtype, np.random.default_rng(seed))
    want = run_tflm(data, [x])
    for k, out in enumerate(g.outputs):
        got = mc.run_graph(expanded, [x])[out]
        mc.oo.assert_bits_equal(np.asarray(got).reshape(-1), want[k].reshape(-1))


def test_split_v_infers_one_size():
    g = split_model("SPLIT_V", (2, 7), 1, [3, -1], "int8", 0)
    g.tensors[g.ops[0].outputs[1]].shape = (2, 4)
    data = save_tflite(g)
    x = mc.values((2, 7), "int8", np.random.default_rng(0))
    want = run_tflm(data, [x])
    got = mc.run_graph(load_tflite(data), [x])
    for k, out in enumerate(g.outputs):
        mc.oo.assert_bits_equal(np.asarray(got[out]).reshape(-1), want[k].reshape(-1))


@pytest.mark.parametrize("opcode,sizes,err", [("SPLIT", [2, 2, 2], "equal parts"),
                                              ("SPLIT_V", [2, 3], "do not split"),
                                              ("UNPACK", [1, 1, 1], "UNPACK of size 4")])
def test_bad_splits_are_named_errors(opcode, sizes, err):
    g = split_model(opcode, (2, 4), 1, sizes, "int8", 0)
    with pytest.raises(ModelError, match=err) as info:
        expand_multi_output(g)
    assert info.value.op_index == 0 and info.value.opcode == opcode


def split_and_shuffle(dtype):
    """x [1, 6, 4, 3] -> SPLIT into 3 along H -> CONCATENATION [p2, p0, p1] on H."""
    q = dict(scale=0.04, zero_point=7) if dtype == "int8" else {}
    b = ModelBuilder("split_shuffle")
    x = b.input((1, 6, 4, 3), dtype=dtype, **q)
    parts = [b.tensor((1, 2, 4, 3), dtype, **q) for _ in range(3)]
    b.op("SPLIT", [b.const(np.array(1, np.int32), "int32"), x], parts, num_splits=3)
    y = b.tensor((1, 6, 4, 3), dtype, **q)
    b.op("CONCATENATION", [parts[2], parts[0], parts[1]], [y], axis=1)
    b.output(y)
    return b.build()


@pytest.mark.parametrize("dtype", mc.DTYPES)
def test_model_bit_exact(dtype):
    g = split_and_shuffle(dtype)
    x = mc.values((1, 6, 4, 3), dtype, np.random.default_rng(2))
    mc.oo.assert_bits_equal(mc.reference(expand_multi_output(g), [x]).reshape(-1),
                            mc.oo.tflm(g, [x]).reshape(-1))
    for board in mc.BOARDS:
        a = analyze(g, board, schedule="plain")
        kernels = [l.kernel for l in a.layers]
        assert kernels[:3] == [f"ck_strided_copy_{'x8' if dtype == 'int8' else 'x32'}"] * 3
        assert a.bit_exact and a.fits, board


def test_supported_ops_doc_names_the_expanded_ops():
    from simulator.frontend.multi_output import EXPANDERS
    from simulator.lower.rules import IMPORT_EXPANDED
    assert set(IMPORT_EXPANDED) == set(EXPANDERS)


def test_malformed_split_in_a_file_is_a_model_error():
    """A SPLIT without its data input, read from bytes: a named error, not a traceback."""
    g = split_model("SPLIT", (2, 4), 1, [2, 2], "int8", 0)
    g.ops[0].inputs = g.ops[0].inputs[:1]
    with pytest.raises(ModelError, match="SPLIT has no input 1") as info:
        load_tflite(save_tflite(g))
    assert info.value.op_index == 0 and info.value.path == "<bytes>"
