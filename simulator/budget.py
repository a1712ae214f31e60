"""Resource checks that run before any reference computation or allocation.

A model file is a few hundred bytes of declarations: its shapes, strides and dilations say
how much memory and work the NumPy reference and the board would need. Those numbers are
checked here, in integers, first:

- geometry (:func:`check_geometry`): every conv-family op's padded extent must fit the int32
  index arithmetic the C kernels use (the same rule ``ck_conv_check_args`` applies:
  ``(out - 1) * stride + (k - 1) * dilation <= INT32_MAX``) and its taps
  ``CK_CONV_MAX_TAPS``; PAD's paddings and broadcasting must give the declared output size;
  a model breaking these is absurd -> ModelError naming the op;
- the host (:func:`check_host`): the reference keeps every activation and works on int64
  copies of an op's operands; the estimate of that, and the model's multiply-accumulates,
  must stay within a :class:`HostBudget` -> HostBudgetExceeded;
- the board: ``analyze`` lowers the model (integers only) and checks the planned arena
  against the RAM limit and the constants against flash before it runs the reference.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import HostBudgetExceeded, ModelError, RamOverflow
from .ir import Graph, Op
from .reference import movement, resize
from .reference.padding import compute_padding
from .sizes import format_size, parse_size

INT32_MAX = (1 << 31) - 1
CK_CONV_MAX_TAPS = 65536          # cross_kernels/include/ck_conv.h
# int64 working copies a reference op may hold per operand element: the int64 input copy,
# the int64 accumulators and one tap's product (reference/conv.py), 8 bytes each.
REFERENCE_BYTES_PER_ELEMENT = 24
DEFAULT_HOST_MEMORY = 2 << 30     # 2 GiB: a thousand times the largest board RAM mcusim ships
DEFAULT_HOST_MACS = 10 ** 10      # ten times a MobileNet-v1 1.0/224 (569 M MACs) and more
HOST_MEMORY_ENV = "MCUSIM_HOST_MEMORY"
HOST_MACS_ENV = "MCUSIM_HOST_MACS"

CONV_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D")
POOL_OPS = ("AVERAGE_POOL_2D", "MAX_POOL_2D")


@dataclass(frozen=True)
class HostBudget:
    """What the NumPy reference may use on the host: bytes held at once and MACs."""
    memory: int = DEFAULT_HOST_MEMORY
    macs: int = DEFAULT_HOST_MACS

    @classmethod
    def from_env(cls) -> "HostBudget":
        """The defaults, overridden by MCUSIM_HOST_MEMORY (a size: 8G, 512M) and
        MCUSIM_HOST_MACS (an integer)."""
        memory, macs = DEFAULT_HOST_MEMORY, DEFAULT_HOST_MACS
        if os.environ.get(HOST_MEMORY_ENV):
            text = os.environ[HOST_MEMORY_ENV].strip()
            if text[-1:].upper() == "G" and text[:-1].isdigit():
                memory = int(text[:-1]) << 30
            else:
                memory = parse_size(text, what=HOST_MEMORY_ENV)
        if os.environ.get(HOST_MACS_ENV):
            macs = _positive_int(os.environ[HOST_MACS_ENV], HOST_MACS_ENV)
        return cls(memory, macs)


def _positive_int(text: str, what: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise HostBudgetExceeded(f"{what}: cannot read {text!r} as a positive integer") from None
    if value <= 0:
        raise HostBudgetExceeded(f"{what}: must be positive, got {text!r}")
    return value


# ---- geometry -------------------------------------------------------------------------------

def _spatial(op: Op, graph: Graph):
    """(input shape, (kh, kw), (sh, sw), (dh, dw), padding) of a conv-family or pool op, or
    None when the op is too malformed to say (the reference then names the problem)."""
    if not op.inputs or op.inputs[0] < 0:
        return None
    x = graph.tensor(op.inputs[0]).shape
    o = op.options
    if op.opcode in CONV_OPS:
        if len(op.inputs) < 2 or op.inputs[1] < 0 or len(graph.tensor(op.inputs[1]).shape) != 4:
            return None
        w = graph.tensor(op.inputs[1]).shape
        k = (w[1], w[2])
        dil = (o.get("dilation_h_factor", 1), o.get("dilation_w_factor", 1))
        default_pad = "SAME"
    else:
        k = (o.get("filter_height", 1), o.get("filter_width", 1))
        dil = (1, 1)
        default_pad = "VALID"
    if len(x) != 4:
        return None
    stride = (o.get("stride_h", 1), o.get("stride_w", 1))
    return x, k, stride, dil, o.get("padding", default_pad)


def check_op_geometry(op: Op, graph: Graph) -> None:
    """ModelError if a conv/pool op's geometry is outside what the kernels can index."""
    spec = _spatial(op, graph)
    if spec is None:
        return
    x, k, stride, dil, padding = spec
    for axis, name in ((0, "H"), (1, "W")):
        ki, si, di = int(k[axis]), int(stride[axis]), int(dil[axis])
        try:
            _, out = compute_padding(int(x[1 + axis]), ki, si, di, padding)
        except ModelError as err:
            raise ModelError(err.message, path=graph.source, op_index=op.index,
                             opcode=op.opcode) from None
        span = (out - 1) * si + (ki - 1) * di
        if span > INT32_MAX:
            raise ModelError(
                f"along {name}, {out} outputs at stride {si} with a {ki}-tap kernel at dilation "
                f"{di} span {span:,} input positions: beyond the kernels' int32 indexing "
                f"(INT32_MAX {INT32_MAX:,}); the model's geometry is not meaningful",
                path=graph.source, op_index=op.index, opcode=op.opcode)
    if op.opcode in CONV_OPS:
        c_in = 1 if op.opcode == "DEPTHWISE_CONV_2D" else int(x[3])
        taps = int(k[0]) * int(k[1]) * c_in
        if taps > CK_CONV_MAX_TAPS:
            raise ModelError(f"a {k[0]}x{k[1]} kernel over {c_in} channels has {taps:,} taps per "
                             f"output; the kernels take at most {CK_CONV_MAX_TAPS:,} "
                             f"(CK_CONV_MAX_TAPS)", path=graph.source, op_index=op.index,
                             opcode=op.opcode)


PAD_OPS = ("PAD", "PADV2")
BROADCAST_OPS = ("ADD", "MUL", "SUB", "SQUARED_DIFFERENCE", "PRELU", "MAXIMUM", "MINIMUM")
# data-movement ops whose output size follows from constant operands (perm, begin/end/strides,
# indices, size) or the input count: the reference family says how
MOVEMENT_SHAPES = {**dict.fromkeys(("TRANSPOSE", "STRIDED_SLICE", "GATHER", "PACK"),
                                   movement.output_shape),
                   **dict.fromkeys(("RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR"),
                                   resize.output_shape)}


def _derived_shape(op: Op, graph: Graph):
    """The output shape the reference would build from an op's operands, for the ops whose
    output size comes from operand values or broadcasting rather than from the declaration
    (None when it cannot be told from the declarations)."""
    ins = [graph.tensor(i) for i in op.inputs if i >= 0]
    if op.opcode in PAD_OPS and len(ins) >= 2 and ins[1].data is not None:
        pads = ins[1].data.astype("int64").reshape(-1)
        if pads.size != 2 * len(ins[0].shape) or (pads < 0).any():
            raise ModelError(f"paddings {pads.tolist()} do not fit an input of rank "
                             f"{len(ins[0].shape)}", path=graph.source, op_index=op.index,
                             opcode=op.opcode, tensor_index=ins[1].index)
        return tuple(int(d) + int(pads[2 * k]) + int(pads[2 * k + 1])
                     for k, d in enumerate(ins[0].shape))
    if op.opcode in MOVEMENT_SHAPES:
        try:
            return MOVEMENT_SHAPES[op.opcode](op, graph)
        except ModelError as err:
            raise ModelError(err.message, path=graph.source, op_index=op.index,
                             opcode=op.opcode) from None
    if op.opcode in BROADCAST_OPS and len(ins) == 2:
        a, b = ins[0].shape, ins[1].shape
        out = []
        for k in range(1, max(len(a), len(b)) + 1):
            da = a[-k] if k <= len(a) else 1
            db = b[-k] if k <= len(b) else 1
            if da != db and 1 not in (da, db):
                raise ModelError(f"input shapes {list(a)} and {list(b)} do not broadcast",
                                 path=graph.source, op_index=op.index, opcode=op.opcode)
            out.append(max(da, db) if 0 not in (da, db) else 0)
        return tuple(reversed(out))
    return None


def check_op_shape(op: Op, graph: Graph) -> None:
    """ModelError if the reference would build an output of another size than declared
    (PAD's paddings, broadcasting): said before it allocates that size."""
    derived = _derived_shape(op, graph)
    if derived is None or not op.outputs:
        return
    out = graph.tensor(op.outputs[0])
    n = 1
    for d in derived:
        n *= d
    if n != out.num_elements:
        raise ModelError(f"the operands give an output of shape {list(derived)}, the output "
                         f"tensor declares {list(out.shape)}", path=graph.source,
                         op_index=op.index, opcode=op.opcode, tensor_index=out.index)


def check_geometry(graph: Graph) -> None:
    for op in graph.ops:
        if op.opcode in CONV_OPS + POOL_OPS:
            check_op_geometry(op, graph)
        check_op_shape(op, graph)


# ---- host memory and work -------------------------------------------------------------------

def op_macs(op: Op, graph: Graph) -> int:
    """Multiply-accumulates of one op as the reference computes them (elements otherwise)."""
    out = graph.tensor(op.outputs[0]).num_elements if op.outputs else 0
    spec = _spatial(op, graph) if op.opcode in CONV_OPS + POOL_OPS else None
    if spec is not None:
        x, k, _, _, _ = spec
        per_out = int(k[0]) * int(k[1])
        if op.opcode == "CONV_2D":
            per_out *= int(x[3])
        return out * per_out
    if op.opcode == "FULLY_CONNECTED" and len(op.inputs) > 1 and op.inputs[1] >= 0:
        w = graph.tensor(op.inputs[1]).shape
        return out * (int(w[-1]) if w else 1)
    return max(out, sum(graph.tensor(i).num_elements for i in op.inputs if i >= 0))


def _activations(graph: Graph) -> list:
    return [t for t in graph.tensors if not t.is_const]


def host_need(graph: Graph, batch: int = 1) -> dict:
    """Estimated peak host bytes and total MACs of running the reference on ``batch`` samples:
    every activation kept (and a second copy for the comparison), plus the largest op's int64
    working set."""
    kept = 2 * sum(t.nbytes for t in _activations(graph)) * batch
    work, worst_op = 0, None
    for op in graph.ops:
        elems = sum(graph.tensor(i).num_elements for i in list(op.inputs) + list(op.outputs)
                    if i >= 0 and not graph.tensor(i).is_const)
        if elems * REFERENCE_BYTES_PER_ELEMENT * batch > work:
            work, worst_op = elems * REFERENCE_BYTES_PER_ELEMENT * batch, op
    macs = [(op_macs(op, graph) * batch, op) for op in graph.ops]
    total_macs = sum(m for m, _ in macs)
    top = max(macs, key=lambda m: m[0], default=(0, None))[1]
    return {"memory": kept + work, "kept": kept, "working": work, "working_op": worst_op,
            "macs": total_macs, "macs_op": top}


def _op_name(op: Op | None) -> str:
    return "" if op is None else f"op #{op.index} ({op.opcode})"


def check_host(graph: Graph, budget: HostBudget | None = None, batch: int = 1) -> dict:
    """HostBudgetExceeded if the reference would need more host memory or MACs than allowed."""
    budget = budget or HostBudget.from_env()
    need = host_need(graph, batch)
    where = f"{graph.source}: " if graph.source else ""
    if need["memory"] > budget.memory:
        raise HostBudgetExceeded(
            f"{where}the NumPy reference would hold about {format_size(need['memory'])} on the "
            f"host ({format_size(need['kept'])} of activations kept for comparison, "
            f"{format_size(need['working'])} working set at {_op_name(need['working_op'])}), "
            f"over the host memory budget of {format_size(budget.memory)} "
            f"(raise it with {HOST_MEMORY_ENV} or host_budget=)")
    if need["macs"] > budget.macs:
        raise HostBudgetExceeded(
            f"{where}the model needs {need['macs']:,} multiply-accumulates "
            f"({_op_name(need['macs_op'])} the most), over the host work budget of "
            f"{budget.macs:,} (raise it with {HOST_MACS_ENV} or host_budget=)")
    return need


# ---- the board, before lowering -------------------------------------------------------------

def check_activations_fit(graph: Graph, ram_limit: int, board: str, *, dtype_bytes=None) -> None:
    """RamOverflow if one op's activations (its non-constant inputs and output, which are live
    together in any arena) exceed ``ram_limit``. ``dtype_bytes`` (e.g. 1 for a float model
    about to be quantized to int8) overrides every tensor's element size."""
    def size(t):
        return t.num_elements * dtype_bytes if dtype_bytes else t.nbytes

    for op in graph.ops:
        live = {i for i in list(op.inputs) + list(op.outputs)
                if i >= 0 and not graph.tensor(i).is_const}
        need = sum(size(graph.tensor(i)) for i in live)
        if need > ram_limit:
            names = ", ".join(f"{graph.tensor(i).name} ({size(graph.tensor(i))} B)"
                              for i in sorted(live))
            raise RamOverflow(
                f"model {graph.name} does not fit the RAM of {board}: op #{op.index} "
                f"({op.opcode}) needs {need} B ({format_size(need)}) of live tensors ({names}), "
                f"but the limit is {ram_limit} B ({format_size(ram_limit)}): over by "
                f"{need - ram_limit} B", limit=ram_limit, needed=need)
