"""Patch-based inference (MCUNetV2, Lin et al., NeurIPS 2021): run the memory-heavy first
layers of a CNN one spatial patch at a time, so their large outputs never exist whole.

A *stage* is a chain of CONV_2D / DEPTHWISE_CONV_2D ops, ops ``first..last``, each reading
only the previous one's output (batch 1, int8). The stage's output is split into a
``gh x gw`` grid; for each patch, walking back through the stage gives every layer's
output window and the input window it needs (the receptive field, clipped to the image: the
windows of neighbouring patches overlap, that overlap is the recomputation the schedule
pays for). Per patch the generated C

  1. copies the stage input's window into patch buffer A (row by row),
  2. runs each layer's own kernel on the window, A -> B -> A ..., with a parameter struct
     whose in/out sizes and top/left padding are the window's,
  3. copies the last window into its place in the stage's output tensor.

Why the bits are those of the whole layer: a window's kernel call computes each output
value from the same taps in the same order (ck_valid_taps clips at the window's edges
exactly where the image's edges are, since a window is cut short only at an image edge)
and integer arithmetic does not depend on the tiling.
Only the stage input, the two patch buffers and the stage output are in the arena while the
stage runs; its inner tensors are excluded from the plan. When the stage input is the model
input, it is not copied into the arena at all (``streamed``): the windows are read from
model_invoke's ``input`` (NULL is then CK_ARG_ERROR and model_input_ptr() returns NULL), as
MCUNetV2 reads patches of the camera frame; mcusim's main.c keeps that input in flash.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

PATCH_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D")


@dataclass
class Window:
    y0: int
    y1: int                 # half-open rows
    x0: int
    x1: int

    @property
    def h(self) -> int:
        return self.y1 - self.y0

    @property
    def w(self) -> int:
        return self.x1 - self.x0


@dataclass
class PatchLayer:
    op: int
    out_win: Window
    in_win: Window
    pad_top: int
    pad_left: int


@dataclass
class PatchStage:
    first: int
    last: int
    grid: tuple[int, int]
    input: int                                   # tensor index (whole, in the arena)
    output: int                                  # tensor index (whole, in the arena)
    patches: list[list[PatchLayer]] = field(default_factory=list)   # [patch][layer]
    buffer_bytes: int = 0                        # each of the two patch buffers
    streamed: bool = False                       # the stage input is the model input, read
                                                 # window by window from model_invoke's
                                                 # `input` (not copied into the arena)
    macc: int = 0                                # with the recomputed halos
    macc_plain: int = 0

    @property
    def ops(self) -> range:
        return range(self.first, self.last + 1)

    @property
    def inner(self) -> list[int]:
        """Tensors that never exist whole: the outputs of every stage op but the last."""
        return [t for t in self._outs[:-1]]

    _outs: list[int] = field(default_factory=list)

    def describe(self) -> str:
        return f"{self.grid[0]}x{self.grid[1]} patch schedule for layers {self.first}-{self.last}"


def _geometry(graph, op):
    from ..reference import conv
    x, w = graph.tensor(op.inputs[0]), graph.tensor(op.inputs[1])
    _, kh, kw, _ = w.shape
    return conv._geometry(op, x.shape, kh, kw), (kh, kw)


def _back(graph, op, out: Window) -> tuple[Window, int, int]:
    """The input window ``op`` needs for output window ``out``, and the window's top/left
    padding (rows/cols of the receptive field above/left of the image)."""
    geo, (kh, kw) = _geometry(graph, op)
    (sh, sw), (dh, dw), (pt, pl) = geo["stride"], geo["dilation"], geo["pad"]
    h, w = graph.tensor(op.inputs[0]).shape[1:3]
    lo_y, hi_y = out.y0 * sh - pt, (out.y1 - 1) * sh - pt + (kh - 1) * dh + 1
    lo_x, hi_x = out.x0 * sw - pl, (out.x1 - 1) * sw - pl + (kw - 1) * dw + 1
    win = Window(max(lo_y, 0), min(hi_y, h), max(lo_x, 0), min(hi_x, w))
    return win, max(lo_y, 0) - lo_y, max(lo_x, 0) - lo_x


def chain_ops(graph) -> list[int]:
    """The longest prefix of ``graph``'s ops that can form a stage: conv/depthwise int8 ops,
    batch 1, each reading the previous one's output, which nothing else reads."""
    readers: dict[int, int] = {}
    for op in graph.ops:
        for t in op.inputs:
            readers[t] = readers.get(t, 0) + 1
    out: list[int] = []
    prev = None
    for op in graph.ops:
        x = graph.tensor(op.inputs[0])
        ok = (op.opcode in PATCH_OPS and x.dtype == "int8" and len(x.shape) == 4
              and x.shape[0] == 1 and (prev is None or op.inputs[0] == prev)
              and (prev is None or readers.get(prev, 0) == 1)
              and op.outputs[0] not in graph.outputs)
        if not ok:
            break
        out.append(op.index)
        prev = op.outputs[0]
    return out


def _splits(n: int, parts: int) -> list[tuple[int, int]]:
    edges = [round(i * n / parts) for i in range(parts + 1)]
    return [(a, b) for a, b in zip(edges, edges[1:]) if b > a]


def make_stage(graph, first: int, last: int, grid: tuple[int, int]) -> PatchStage:
    ops = [graph.ops[i] for i in range(first, last + 1)]
    y = graph.tensor(ops[-1].outputs[0])
    x = ops[0].inputs[0]
    only_reader = sum(x in op.inputs for op in graph.ops) == 1
    stage = PatchStage(first, last, grid, x, ops[-1].outputs[0],
                       streamed=x in graph.inputs and only_reader)
    stage._outs = [op.outputs[0] for op in ops]
    biggest = 0
    for ry in _splits(y.shape[1], grid[0]):
        for rx in _splits(y.shape[2], grid[1]):
            win = Window(ry[0], ry[1], rx[0], rx[1])
            layers = []
            for op in reversed(ops):
                c_out = graph.tensor(op.outputs[0]).shape[3]
                in_win, pt, pl = _back(graph, op, win)
                layers.append(PatchLayer(op.index, win, in_win, pt, pl))
                c_in = graph.tensor(op.inputs[0]).shape[3]
                biggest = max(biggest, win.h * win.w * c_out, in_win.h * in_win.w * c_in)
                stage.macc += win.h * win.w * _macc_per_pixel(graph, op)
                win = in_win
            stage.patches.append(layers[::-1])
    stage.buffer_bytes = biggest
    stage.macc_plain = sum(int(np.prod(graph.tensor(op.outputs[0]).shape[1:3]))
                           * _macc_per_pixel(graph, op) for op in ops)
    return stage


def _macc_per_pixel(graph, op) -> int:
    w = graph.tensor(op.inputs[1])
    c_out = graph.tensor(op.outputs[0]).shape[3]
    taps = w.shape[1] * w.shape[2] * (1 if op.opcode == "DEPTHWISE_CONV_2D" else w.shape[3])
    return int(c_out * taps)


def stage_buffers(stage: PatchStage) -> tuple[tuple[str, int, int, int], ...]:
    """The two patch buffers as planner ``extra`` entries, live over the stage's ops."""
    return tuple((f"PATCH_{stage.last}_{k}", stage.buffer_bytes, stage.first, stage.last)
                 for k in "AB")


# ---- C ----------------------------------------------------------------------------------------

COPY_HELPER = """/* copy `rows` rows of `row_bytes` from a tensor (row stride src_stride) into a patch
 * buffer (dense), or back (patch_put): the windows of lower/patches.py */
static void patch_get(const int8_t *src, int32_t src_stride, int8_t *dst, int32_t row_bytes,
                      int32_t rows)
{
    for (int32_t r = 0; r < rows; ++r) {
        ck_copy(src + r * src_stride, dst + r * row_bytes, (size_t)row_bytes);
    }
}

static void patch_put(const int8_t *src, int32_t row_bytes, int8_t *dst, int32_t dst_stride,
                      int32_t rows)
{
    for (int32_t r = 0; r < rows; ++r) {
        ck_copy(src + r * row_bytes, dst + r * dst_stride, (size_t)row_bytes);
    }
}
"""


def _fields(layer, pl: PatchLayer) -> dict:
    f = dict(layer.call.fields)
    f.update(in_h=pl.in_win.h, in_w=pl.in_win.w, out_h=pl.out_win.h, out_w=pl.out_win.w,
             pad_top=pl.pad_top, pad_left=pl.pad_left)
    return f


def render_stage(lm, stage: PatchStage, struct) -> list[str]:
    """C for one stage: its buffers, per-patch parameter structs, and ``stage_L<last>()``.
    ``struct(ctype, name, fields)`` renders a const struct (codegen's)."""
    g = lm.graph
    layers = {l.index: l for l in lm.layers}
    extra = lm.memory.extra
    a, b = (f"PATCH_{stage.last}_{k}" for k in "AB")
    out = [f"/* patch stage: {stage.describe()} (lower/patches.py) */"]
    out += [f"#define {n} (g_arena + {extra[n].offset})  /* {extra[n].size} B */" for n in (a, b)]
    arg = "const model_input_t *input" if stage.streamed else "void"
    body = [f"static ck_status stage_L{stage.last}({arg})", "{", "    ck_status s;"]
    x_t, y_t = g.tensor(stage.input), g.tensor(stage.output)
    for p, chain in enumerate(stage.patches):
        first, last = chain[0], chain[-1]
        c_in, c_out = x_t.shape[3], y_t.shape[3]
        w_in, w_out = x_t.shape[2], y_t.shape[2]
        base = "(const int8_t *)input" if stage.streamed else f"TENSOR_{stage.input}"
        src = f"{base} + {(first.in_win.y0 * w_in + first.in_win.x0) * c_in}"
        body.append(f"    /* patch {p}: output rows {last.out_win.y0}..{last.out_win.y1 - 1}, "
                    f"cols {last.out_win.x0}..{last.out_win.x1 - 1} */")
        body.append(f"    patch_get({src}, {w_in * c_in}, {a}, {first.in_win.w * c_in}, "
                    f"{first.in_win.h});")
        cur, nxt = a, b
        for pl in chain:
            layer = layers[pl.op]
            name = f"L{pl.op}_p{p}_params"
            out.append(struct(layer.call.struct_type, name, _fields(layer, pl)))
            args = [f"&{name}", cur] + layer.call.args[1:-1] + [nxt]
            if layer.call.with_scratch:
                args += ["g_scratch", "CK_SCRATCH_BYTES"]
            body.append(f"    s = {layer.rule.kernel}({', '.join(args)});")
            body.append("    if (s != CK_OK) { return s; }")
            cur, nxt = nxt, cur
        dst = f"TENSOR_{stage.output} + {(last.out_win.y0 * w_out + last.out_win.x0) * c_out}"
        body.append(f"    patch_put({cur}, {last.out_win.w * c_out}, {dst}, {w_out * c_out}, "
                    f"{last.out_win.h});")
    body += ["    return CK_OK;", "}"]
    return out + [""] + body
