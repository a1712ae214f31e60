"""Firmware for the float32 and binary-mixed graphs, until ``simulator/lower`` has rules for
their kernels: a small code generator for *chains* of ops (each op reads the previous op's
output), enough for the benchmark models, measured the way ``simulator.analyze`` measures.

- Arena: a chain needs only two live activations; tensor ``k`` is placed at the start of the
  arena when ``k`` is even and at its end when odd, so the arena is ``max(in + out)`` over the
  ops (what any planner reaches on a chain). RESHAPE is an alias (no copy, no bytes).
- Flash "weights": every constant array (weights, biases, requantization arrays, thresholds)
  plus the parameter structs; "code" is the rest of flash minus the embedded test input.
- Cycles: the ``model`` region (``ck_region_begin/end`` around the layer calls).
- The run is checked: the output read back from the arena must equal the NumPy reference bits.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simulator.errors import BitMismatch, ModelError
from simulator.ir import Graph
from simulator.machine import Machine
from simulator.reference import binary as bn
from simulator.reference.conv import layer_quant
from simulator.reference.padding import activation_range_s8, compute_padding
from simulator.reference.softmax import softmax_params

ACT = {"NONE": 0, "RELU": 1, "RELU6": 2, "RELU_N1_TO_1": 3}
SOURCES = {
    "conv_s8": ["conv/ck_conv_s8.c", "conv/ck_conv_s8_dsp.c", "conv/ck_conv_s8_wrapper.c",
                "conv/ck_conv_check_args.c"],
    "fc_s8": ["fully_connected/ck_fully_connected_s8.c", "fully_connected/ck_fully_connected_s8_dsp.c",
              "fully_connected/ck_fully_connected_s8_wrapper.c", "fully_connected/ck_fc_check_args.c"],
    "maxpool_s8": ["pooling/ck_maxpool_s8.c"], "softmax_s8": ["softmax/ck_softmax_s8.c"],
    "conv_f32": ["float/ck_conv_f32.c"], "fc_f32": ["float/ck_fully_connected_f32.c"],
    "maxpool_f32": ["float/ck_maxpool_f32.c"], "softmax_f32": ["float/ck_softmax_f32.c"],
    "bpack": ["binary/ck_bpack_s8.c"], "bconv_bin": ["binary/ck_bconv2d_bin.c"],
    "bconv_s8": ["binary/ck_bconv2d_s8.c"], "bfc_s8": ["binary/ck_bfc_s8.c"],
    "bfc_bin": ["binary/ck_bfc_bin.c"],
}
CTYPE = {"int8": "int8_t", "int32": "int32_t", "float32": "float", "uint32": "uint32_t"}
SRC_ROOT = Path(__file__).resolve().parents[2] / "cross_kernels" / "src"


@dataclass
class ChainFirmware:
    """Generated sources and the facts needed to read a run."""
    files: dict[str, str]
    sources: list[str]
    weights_bytes: int
    arena_bytes: int
    scratch_bytes: int
    output_offset: int
    output_bytes: int
    output_dtype: str
    output_shape: tuple
    input_bytes: int
    params: int
    layers: list[str] = field(default_factory=list)


@dataclass
class ChainResult:
    board: str
    cycles: int | None
    instructions: int
    latency_ms: float | None
    flash_weights: int
    flash_code: int
    arena: int
    scratch: int
    stack_peak: int
    ram_static: int
    ram_total: int
    params: int
    bit_exact: bool


class _Gen:
    def __init__(self, graph: Graph):
        self.g = graph
        self.consts: list[str] = []
        self.const_bytes = 0
        self.calls: list[str] = []
        self.sources: set[str] = set()
        self.n = 0
        self.scratch = 0

    def const(self, arr, ctype: str) -> str:
        arr = np.ascontiguousarray(arr).reshape(-1)
        name = f"k{self.n}"
        self.n += 1
        if ctype == "float":
            body = ", ".join(float(np.float32(v)).hex() + "f" for v in arr)
        elif ctype == "uint32_t":
            body = ", ".join(f"0x{int(v) & 0xFFFFFFFF:08x}u" for v in arr)
        else:
            body = ", ".join(str(int(v)) for v in arr)
        self.consts.append(f"static const {ctype} {name}[{max(arr.size, 1)}] "
                           f"__attribute__((aligned(4))) = {{{body or '0'}}};")
        self.const_bytes += arr.size * {"float": 4, "uint32_t": 4, "int32_t": 4, "int8_t": 1}[ctype]
        return name

    def params(self, values, struct: str) -> str:
        return f"(const {struct} *){self.const(np.asarray(values, np.int64), 'int32_t')}"

    def call(self, kind: str, text: str) -> None:
        self.sources.update(SOURCES[kind])
        self.calls.append(text)


def _geometry(o, x_shape, kh, kw, default_padding="SAME"):
    sh, sw = int(o.get("stride_h", 1)), int(o.get("stride_w", 1))
    dh, dw = int(o.get("dilation_h_factor", 1)), int(o.get("dilation_w_factor", 1))
    pad = o.get("padding", default_padding)
    pt, oh = compute_padding(x_shape[1], kh, sh, dh, pad)
    pl, ow = compute_padding(x_shape[2], kw, sw, dw, pad)
    return (sh, sw), (dh, dw), (pt, pl), (oh, ow)


def _emit(gen: _Gen, op, src: str, dst: str) -> None:
    g, o = gen.g, op.options
    x_t, out_t = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
    xs = x_t.shape
    act = o.get("fused_activation_function", "NONE")
    code = op.opcode
    if code == "CONV_2D" and x_t.dtype == "float32":
        w, b = g.tensor(op.inputs[1]).data, g.tensor(op.inputs[2]).data
        s, d, p, ohw = _geometry(o, xs, w.shape[1], w.shape[2])
        prm = gen.params([xs[0], xs[1], xs[2], xs[3], *ohw, w.shape[0], w.shape[1], w.shape[2],
                          *s, *d, *p, 1, ACT[act]], "ck_conv_f32_params")
        gen.call("conv_f32", f"ck_conv_f32({prm}, (const float *){src}, {gen.const(w, 'float')}, "
                 f"{gen.const(b, 'float')}, (float *){dst})")
    elif code == "FULLY_CONNECTED" and x_t.dtype == "float32":
        w, b = g.tensor(op.inputs[1]).data, g.tensor(op.inputs[2]).data
        prm = gen.params([x_t.num_elements // w.shape[1], w.shape[1], w.shape[0], ACT[act]],
                         "ck_fc_f32_params")
        gen.call("fc_f32", f"ck_fully_connected_f32({prm}, (const float *){src}, "
                 f"{gen.const(w, 'float')}, {gen.const(b, 'float')}, (float *){dst})")
    elif code == "MAX_POOL_2D":
        fh, fw = int(o["filter_height"]), int(o["filter_width"])
        s, _, p, ohw = _geometry(o, xs, fh, fw, "VALID")
        if x_t.dtype == "float32":
            prm = gen.params([*xs, *ohw, fh, fw, *s, *p, ACT[act]], "ck_pool_f32_params")
            gen.call("maxpool_f32", f"ck_maxpool_f32({prm}, (const float *){src}, (float *){dst})")
        else:
            lo, hi = activation_range_s8(act, float(np.float32(out_t.quant.scalar_scale)),
                                         out_t.quant.scalar_zero_point)
            prm = gen.params([*xs, *ohw, fh, fw, *s, *p, lo, hi], "ck_pool_s8_params")
            gen.call("maxpool_s8", f"ck_maxpool_s8({prm}, (const int8_t *){src}, (int8_t *){dst})")
    elif code == "SOFTMAX":
        depth = xs[-1]
        rows = x_t.num_elements // depth
        if x_t.dtype == "float32":
            beta = float(np.float32(o.get("beta", 1.0) or 1.0)).hex() + "f"
            gen.call("softmax_f32", f"ck_softmax_f32({rows}, {depth}, {beta}, (const float *){src}, "
                     f"(float *){dst})")
        else:
            m, sh, dmin = softmax_params(o.get("beta", 1.0), x_t.quant.scalar_scale)
            prm = gen.params([rows, depth, m, sh, dmin], "ck_softmax_s8_params")
            gen.call("softmax_s8", f"ck_softmax_s8({prm}, (const int8_t *){src}, (int8_t *){dst})")
    elif code == "CONV_2D":
        w_t = g.tensor(op.inputs[1])
        lq = layer_quant(op, g, x_t, w_t, out_t)
        s, d, p, ohw = _geometry(o, xs, w_t.shape[1], w_t.shape[2])
        prm = gen.params([xs[0], xs[1], xs[2], xs[3], *ohw, w_t.shape[0], w_t.shape[1],
                          w_t.shape[2], *s, *d, *p, -lq["input_zp"], lq["output_zp"],
                          lq["act_min"], lq["act_max"], 1, 1], "ck_conv_params")
        mult = np.broadcast_to(lq["multiplier"], (w_t.shape[0],))
        shift = np.broadcast_to(lq["shift"], (w_t.shape[0],))
        gen.scratch = max(gen.scratch, 4 * w_t.shape[1] * w_t.shape[2] * xs[3])
        gen.call("conv_s8", f"ck_conv_s8_wrapper({prm}, (const int8_t *){src}, "
                 f"{gen.const(w_t.data, 'int8_t')}, {gen.const(g.tensor(op.inputs[2]).data, 'int32_t')}, "
                 f"{gen.const(mult, 'int32_t')}, {gen.const(shift, 'int32_t')}, (int8_t *){dst}, "
                 f"g_scratch, (int32_t)sizeof(g_scratch))")
    elif code == "FULLY_CONNECTED":
        w_t = g.tensor(op.inputs[1])
        lq = layer_quant(op, g, x_t, w_t, out_t)
        n_out = w_t.shape[0]
        prm = gen.params([x_t.num_elements // w_t.shape[1], w_t.shape[1], n_out, -lq["input_zp"],
                          lq["output_zp"], lq["act_min"], lq["act_max"], 1], "ck_fc_params")
        gen.call("fc_s8", f"ck_fully_connected_s8_wrapper({prm}, (const int8_t *){src}, "
                 f"{gen.const(w_t.data, 'int8_t')}, {gen.const(g.tensor(op.inputs[2]).data, 'int32_t')}, "
                 f"{gen.const(np.broadcast_to(lq['multiplier'], (n_out,)), 'int32_t')}, "
                 f"{gen.const(np.broadcast_to(lq['shift'], (n_out,)), 'int32_t')}, (int8_t *){dst})")
    elif code == bn.OP_PACK:
        c = xs[-1]
        gen.call("bpack", f"ck_bpack_s8({x_t.num_elements // c}, {c}, "
                 f"{x_t.quant.scalar_zero_point}, (const int8_t *){src}, (uint32_t *){dst})")
    elif code in (bn.OP_CONV, bn.OP_FC):
        _emit_binary(gen, op, src, dst)
    else:
        raise ModelError("no firmware rule for this op", op_index=op.index, opcode=code)


def _emit_binary(gen: _Gen, op, src: str, dst: str) -> None:
    g = gen.g
    x_t, w_t = g.tensor(op.inputs[0]), g.tensor(op.inputs[1])
    ep = bn.binary_epilogue_params(op, g)
    w = gen.const(w_t.data.view(np.uint32), "uint32_t")
    if op.opcode == bn.OP_CONV:
        geo = bn.bconv_geometry(op, x_t.shape, w_t.shape)
        xs = x_t.shape
        head = [xs[0], xs[1], xs[2], geo["channels"], *geo["out_hw"], w_t.shape[0],
                w_t.shape[1], w_t.shape[2], *geo["stride"], *geo["pad"]]
        struct, fn = "ck_bconv_params", "ck_bconv2d"
    else:
        in_words = w_t.shape[1]
        head = [x_t.num_elements // in_words, in_words,
                int(bn.binary_options(op)["in_features"]), w_t.shape[0]]
        struct, fn = "ck_bfc_params", "ck_bfc"
    kind = "bconv" if op.opcode == bn.OP_CONV else "bfc"
    if "threshold" in ep:
        prm = gen.params(head + [0, -128, 127], struct)
        gen.call(f"{kind}_bin", f"{fn}_bin({prm}, (const uint32_t *){src}, {w}, "
                 f"{gen.const(ep['threshold'], 'int32_t')}, (uint32_t *){dst})")
    else:
        prm = gen.params(head + [ep["output_zp"], ep["act_min"], ep["act_max"]], struct)
        gen.call(f"{kind}_s8", f"{fn}_s8({prm}, (const uint32_t *){src}, {w}, "
                 f"{gen.const(ep['bias'], 'int32_t')}, {gen.const(ep['multiplier'], 'int32_t')}, "
                 f"{gen.const(ep['shift'], 'int32_t')}, (int8_t *){dst})")


def generate(graph: Graph, x: np.ndarray) -> ChainFirmware:
    """C sources running ``graph`` (a chain, one input, one output) once on ``x``."""
    gen = _Gen(graph)
    order, cur = [graph.inputs[0]], graph.inputs[0]
    for op in graph.ops:
        if op.inputs[0] != cur or any(i >= 0 and not graph.tensor(i).is_const
                                      for i in op.inputs[1:]):
            raise ModelError("firmware generator handles chains only: this op does not read the "
                             "previous op's output", op_index=op.index, opcode=op.opcode)
        cur = op.outputs[0]
        if op.opcode != "RESHAPE":
            order.append(cur)
    sizes = [graph.tensor(t).nbytes for t in order]
    arena = max(a + b for a, b in zip(sizes, sizes[1:]))
    arena = (arena + 3) // 4 * 4
    offset = {t: (0 if k % 2 == 0 else (arena - sizes[k]) // 4 * 4) for k, t in enumerate(order)}
    cur = graph.inputs[0]
    layers = []
    for op in graph.ops:
        if op.opcode == "RESHAPE":
            offset[op.outputs[0]] = offset[cur]
            cur = op.outputs[0]
            continue
        _emit(gen, op, f"(g_arena + {offset[cur]})", f"(g_arena + {offset[op.outputs[0]]})")
        layers.append(op.opcode)
        cur = op.outputs[0]
    in_t, out_t = graph.tensor(graph.inputs[0]), graph.tensor(cur)
    x = np.asarray(x, dtype={"int8": np.int8, "float32": np.float32}[in_t.dtype]).reshape(-1)
    body = "\n".join(f"    if ({c} != CK_OK) {{ return 1; }}" for c in gen.calls)
    in_c = ", ".join(str(int(v)) if in_t.dtype == "int8" else float(v).hex() + "f" for v in x)
    model_c = "\n".join([
        "/* generated by simulator/quantize/firmware.py */",
        "#include <stdint.h>",
        '#include "ck_runtime.h"', '#include "ck_conv.h"', '#include "ck_fully_connected.h"',
        '#include "ck_pooling.h"', '#include "ck_softmax.h"', '#include "ck_float.h"',
        '#include "ck_binary.h"',
        f"static uint8_t g_arena[{arena}] __attribute__((aligned(16)));",
        f"static uint8_t g_scratch[{max(gen.scratch, 4)}] __attribute__((aligned(4)));",
        *gen.consts,
        f"static const {CTYPE[in_t.dtype]} g_input[{x.size}] = {{{in_c}}};",
        "static int model_invoke(void)", "{", body, "    return 0;", "}",
        "int main(void)", "{",
        "    const uint8_t *src = (const uint8_t *)g_input;",
        f"    for (uint32_t i = 0; i < sizeof(g_input); ++i) {{ g_arena[{offset[graph.inputs[0]]} + i] = src[i]; }}",
        '    ck_region_begin("model");', "    int status = model_invoke();",
        '    ck_region_end("model");', "    return status;", "}", ""])
    params = sum(t.num_elements for t in graph.tensors if t.is_const and t.dtype in
                 ("int8", "int32", "float32") and t.data is not None and t.data.ndim >= 1
                 and any(t.index in op.inputs[1:3] for op in graph.ops
                         if op.opcode not in ("RESHAPE",)))
    return ChainFirmware(files={"model.c": model_c}, sources=sorted(gen.sources),
                         weights_bytes=gen.const_bytes, arena_bytes=arena,
                         scratch_bytes=max(gen.scratch, 4), output_offset=offset[cur],
                         output_bytes=out_t.nbytes, output_dtype=out_t.dtype,
                         output_shape=out_t.shape, input_bytes=x.nbytes, params=params,
                         layers=layers)


def measure(graph: Graph, x: np.ndarray, want: np.ndarray, board: str) -> ChainResult:
    """Build, run once on ``board``, check the output bits against ``want``."""
    cf = generate(graph, x)
    m = Machine(board)
    with tempfile.TemporaryDirectory(prefix="mcusim-chain-") as tmp:
        path = Path(tmp) / "model.c"
        path.write_text(cf.files["model.c"])
        fw = m.build([path, *[SRC_ROOT / s for s in cf.sources]])
        arena = fw.symbol_address("g_arena")
        got = {}

        def on_region(kind, name, emu):
            if kind == "end" and name == "model":
                got["out"] = emu.read_memory(arena + cf.output_offset, cf.output_bytes)

        run = fw.run(region_listener=on_region)
    dtype = {"int8": np.int8, "float32": np.float32, "int32": np.int32}[cf.output_dtype]
    out = np.frombuffer(got.get("out", b""), dtype=dtype)
    want = np.asarray(want, dtype=dtype).reshape(-1)
    exact = run.exit_code == 0 and out.size == want.size and np.array_equal(
        out.view(np.uint8), want.view(np.uint8))
    if not exact:
        raise BitMismatch(f"{graph.name} on {board}: firmware output {out[:8]} differs from the "
                          f"reference {want[:8]} (exit {run.exit_code})")
    region = run.regions.get("model", {})
    lay = fw.layout
    cycles = region.get("cycles")
    return ChainResult(board=board, cycles=cycles,
                       instructions=int(region.get("instructions", run.instructions)),
                       latency_ms=None if cycles is None else cycles * 1e3 / run.clock_hz,
                       flash_weights=cf.weights_bytes,
                       flash_code=max(lay.flash_used - cf.weights_bytes - cf.input_bytes, 0),
                       arena=cf.arena_bytes, scratch=cf.scratch_bytes, stack_peak=run.stack_peak,
                       ram_static=max(lay.ram_static - cf.arena_bytes - cf.scratch_bytes, 0),
                       ram_total=lay.ram_used, params=cf.params, bit_exact=True)
