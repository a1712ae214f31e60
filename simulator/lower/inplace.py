"""Which ops may write their output over an input: the in-place half of RAM-aware scheduling.

An op runs in place when its rule says how (``inplace`` in rules.toml) and the input's bytes
die at that op: no later op and no model output reads them (after RESHAPE aliases are folded
in). The output then joins the input's buffer in the planner (planner.plan_graph sizes a
group by its largest member), exactly as a RESHAPE alias does:

* ``"elementwise"`` (RELU, RELU6, LOGISTIC, TANH, int8 QUANTIZE, ADD, MUL): the kernels read
  ``in[i]`` before writing ``out[i]`` and never read ahead of what they write, so the same
  pointer for both is safe when the input has the output's shape; ADD and MUL may take either
  input (a residual ADD overwrites the branch that dies);
* ``"channel"`` (DEPTHWISE_CONV_2D): the row's ``variant = "inplace"`` kernel overwrites its
  input channel by channel (ck_depthwise_conv_s8_inplace), for depth multiplier 1, batch 1
  and an output with no more pixels than the input;
* ``"pointwise"`` (CONV_2D 1x1, stride 1, same height and width):
  ck_conv_s8_pointwise_inplace overwrites its input row by row (in reverse when the conv
  widens the channels);
* ``"ring"`` (CONV_2D, DEPTHWISE_CONV_2D, batch 1): bands of output rows by the layer's own
  kernel into a temporary, written back over input rows no later band reads; used when the
  temporary holds fewer rows than the output. The first variant row whose conditions hold is used.

TinyEngine (Lin et al., "MCUNet: Tiny Deep Learning on IoT Devices", NeurIPS 2020, sec. 3.3)
reports the in-place depthwise as the step that lowers the peak of inverted-bottleneck models.
"""
from __future__ import annotations

from dataclasses import dataclass

from .planner import tensor_lifetimes
from .rules import Rule, op_signature, select_variants

SYMMETRIC = ("ADD", "MUL")       # either input may give its bytes


@dataclass
class InplaceChoice:
    aliases: dict[int, int]          # output tensor -> input tensor whose bytes it takes
    rules: dict[int, Rule]           # op index -> the variant rule replacing the plain one


def _root(t: int, aliases: dict[int, int]) -> int:
    while t in aliases:
        t = aliases[t]
    return t


def _same_bytes(graph, a: int, b: int) -> bool:
    ta, tb = graph.tensor(a), graph.tensor(b)
    return tuple(ta.shape) == tuple(tb.shape) and ta.dtype == tb.dtype


def _channel_ok(graph, op) -> bool:
    x, y = graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])
    if len(x.shape) != 4 or len(y.shape) != 4 or x.shape[0] != 1 or x.dtype != "int8":
        return False
    return x.shape[3] == y.shape[3] and y.shape[1] * y.shape[2] <= x.shape[1] * x.shape[2]


def _pointwise_ok(graph, op) -> bool:
    x, w, y = (graph.tensor(t) for t in (op.inputs[0], op.inputs[1], op.outputs[0]))
    o = op.options
    return (len(x.shape) == 4 and len(w.shape) == 4 and tuple(w.shape[1:3]) == (1, 1)
            and x.dtype == "int8" and tuple(x.shape[:3]) == tuple(y.shape[:3])
            and int(o.get("stride_h", 1)) == 1 and int(o.get("stride_w", 1)) == 1)


def _ring_ok(graph, op) -> bool:
    """Batch 1, and a ring smaller than the output (else nothing is saved)."""
    from ..reference import conv
    from .emitters_inplace import ring_rows
    x, w, y = (graph.tensor(t) for t in (op.inputs[0], op.inputs[1], op.outputs[0]))
    if len(x.shape) != 4 or x.shape[0] != 1 or x.dtype != "int8":
        return False
    geo = conv._geometry(op, x.shape, w.shape[1], w.shape[2])
    f = dict(in_h=x.shape[1], in_w=x.shape[2], in_c=x.shape[3], out_h=y.shape[1],
             out_w=y.shape[2], out_c=y.shape[3], k_h=w.shape[1], stride_h=geo["stride"][0],
             dilation_h=geo["dilation"][0], pad_top=geo["pad"][0])
    rows = ring_rows(f)
    return 0 < rows < y.shape[1]


def _candidates(graph, op, rule: Rule, has_dsp: bool) -> tuple[list[int], Rule | None]:
    """Inputs whose bytes the output could take, and the variant rule to use (or None)."""
    out = op.outputs[0]
    live = [t for t in op.inputs if t >= 0 and not graph.tensor(t).is_const]
    if rule.inplace == "elementwise":
        inputs = live if op.opcode in SYMMETRIC else live[:1]
        return [t for t in inputs if _same_bytes(graph, t, out)], None
    ok = {"channel": _channel_ok, "pointwise": _pointwise_ok, "ring": _ring_ok}
    if live[:1] != op.inputs[:1]:
        return [], None
    for variant in select_variants(op, op_signature(graph, op), has_dsp, "inplace"):
        if variant.inplace in ok and ok[variant.inplace](graph, op):
            return [op.inputs[0]], variant
    return [], None


def choose_inplace(graph, rules: dict[int, Rule], aliases: dict[int, int],
                   has_dsp: bool, keep_plain=frozenset()) -> InplaceChoice:
    """The in-place ops of ``graph`` given the plain ``rules`` and the RESHAPE ``aliases``;
    ops in ``keep_plain`` stay out of place."""
    aliases = dict(aliases)
    life = tensor_lifetimes(graph, aliases)
    pinned = {_root(t, aliases) for t in graph.outputs}
    added: dict[int, int] = {}
    variants: dict[int, Rule] = {}
    for op in graph.ops:
        out = op.outputs[0]
        if out in aliases or op.index in keep_plain:
            continue
        inputs, variant = _candidates(graph, op, rules[op.index], has_dsp)
        for x in inputs:
            r = _root(x, aliases)
            others = {_root(t, aliases) for t in op.inputs if t >= 0 and t != x}
            if life[r][1] != op.index or r in pinned or r in others:
                continue
            aliases[out] = added[out] = x
            lo, hi = life.pop(out)
            life[r] = (min(life[r][0], lo), max(life[r][1], hi))
            if out in pinned:                 # the model output now lives in r's bytes
                pinned.add(r)
            if variant is not None:
                variants[op.index] = variant
            break
    return InplaceChoice(added, variants)
