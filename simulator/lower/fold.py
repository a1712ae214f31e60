"""PAD folded into the convolution that reads it: the padded tensor never exists.

A PAD (or PADV2) of an int8 NHWC tensor that pads only height and width, with the value its
output's zero point, whose one reader is a CONV_2D or DEPTHWISE_CONV_2D, is the same as that
conv with its padding grown by PAD's: the conv kernels skip a tap outside the image
(ck_valid_taps), and a tap on the zero point adds (zp + input_offset) * w = 0, so both sum
the same products and integer sums do not depend on their order. The conv then reads PAD's
input with ``pad_top``/``pad_left`` grown by PAD's top/left and ``in_h``/``in_w`` those of the
unpadded tensor (the bottom/right padding is implied: rows and columns past ``in_h``/``in_w``
are outside the image). PAD's input and output must share scale and zero point (TFLite's PAD
does not requantize), so the conv's ``input_offset`` is unchanged.

Saves PAD's output buffer (live together with the conv's output) and its copy; the schedules
that build on "inplace" use it (``lower_graph``), "plain" keeps every op as it is.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PADS = ("PAD", "PADV2")
FOLD_INTO = ("CONV_2D", "DEPTHWISE_CONV_2D")


@dataclass
class PadFold:
    pad: int                 # PAD op index
    conv: int                # the conv op that absorbs it
    input: int               # PAD's input tensor: what the conv reads now
    padded: int              # PAD's output: never exists
    top: int
    left: int

    @property
    def ops(self) -> tuple[int, int]:
        return (self.pad, self.conv)

    @property
    def last(self) -> int:
        return self.conv


def _same_quant(a, b) -> bool:
    return (a.quant is not None and b.quant is not None
            and float(a.quant.scalar_scale) == float(b.quant.scalar_scale)
            and a.quant.scalar_zero_point == b.quant.scalar_zero_point)


def _paddings(graph, op) -> np.ndarray | None:
    p = graph.tensor(op.inputs[1])
    if not p.is_const:
        return None
    pads = np.asarray(p.data, dtype=np.int64).reshape(-1, 2)
    if pads.shape != (4, 2) or (pads < 0).any() or pads[0].any() or pads[3].any():
        return None                       # batch or channel padding: not a conv's padding
    return pads


def _value_is_zero_point(graph, op, y) -> bool:
    if op.opcode == "PADV2" and len(op.inputs) > 2 and op.inputs[2] >= 0:
        v = graph.tensor(op.inputs[2])
        return v.is_const and int(np.asarray(v.data).reshape(-1)[0]) == y.quant.scalar_zero_point
    return True                           # PAD fills with the output zero point


def pad_folds(graph, skip=frozenset()) -> list[PadFold]:
    """The PADs of ``graph`` that fold into their conv (the module docstring's conditions);
    ops in ``skip`` (run by a patch stage or a row-by-row block) are left alone."""
    readers: dict[int, list[int]] = {}
    for op in graph.ops:
        for t in op.inputs:
            if t >= 0:
                readers.setdefault(t, []).append(op.index)
    folds = []
    for op in graph.ops:
        if op.opcode not in PADS or op.index in skip:
            continue
        x, y = graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])
        users = readers.get(y.index, [])
        if (x.is_const or x.dtype != "int8" or len(x.shape) != 4 or x.shape[0] != 1
                or y.index in graph.outputs or len(users) != 1 or users[0] in skip
                or not _same_quant(x, y)):
            continue
        conv = graph.ops[users[0]]
        pads = _paddings(graph, op)
        if (conv.opcode not in FOLD_INTO or conv.inputs[0] != y.index or pads is None
                or not _value_is_zero_point(graph, op, y)):
            continue
        folds.append(PadFold(op.index, conv.index, x.index, y.index, int(pads[1][0]),
                             int(pads[2][0])))
    return folds


def fold_into_call(call, fold: PadFold, graph, ptr) -> None:
    """Make the conv's ``call`` read PAD's input: its input pointer ``ptr(input)``, the
    unpadded height and width, the top/left padding grown by PAD's."""
    x = graph.tensor(fold.input)
    call.fields["in_h"], call.fields["in_w"] = int(x.shape[1]), int(x.shape[2])
    call.fields["pad_top"] = int(call.fields["pad_top"]) + fold.top
    call.fields["pad_left"] = int(call.fields["pad_left"]) + fold.left
    call.args[0] = ptr(fold.input)
