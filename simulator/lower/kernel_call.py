"""What every emitter builds on: the call it returns and the small helpers they share.

An emitter (``emitters.py`` int8, ``emitters_float.py``, ``emitters_binary.py``,
``emitters_inplace.py``) turns one IR op into a :class:`KernelCall`; codegen turns that into C.
These names are public so the emitter modules import them from here, never from each other.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ModelError
from ..reference.padding import activation_range_s8

F32_IN, F32_OUT = "const float *", "float *"      # casts of arena pointers for float kernels


class Declined(Exception):
    """A kernel library's emitter cannot take this layer (the message says why): the lowering
    runs mcusim's kernel for it and the layer's report names the reason."""


@dataclass
class ConstArray:
    """A ``static const`` array in flash."""
    name: str
    ctype: str                 # "int8_t", "int32_t", "float"
    values: np.ndarray

    @property
    def nbytes(self) -> int:
        return int(self.values.size) * (1 if self.ctype == "int8_t" else 4)


@dataclass
class KernelCall:
    struct_type: str | None            # the params struct's C type (None: no struct)
    fields: dict                       # field -> int, float (np.float32) or list of ints,
                                       # in declaration order
    args: list[str]                    # C arguments after &params
    consts: list[ConstArray] = field(default_factory=list)
    scratch_bytes: int = 0
    macc: int = 0
    with_scratch: bool = False         # pass (g_scratch, CK_SCRATCH_BYTES) last
    structs: list = field(default_factory=list)   # more const structs: (c_type, name, fields)
    returns: str = "ck_status"         # the function's return type: another status enum is cast
                                       # to ck_status (0 = OK), "void" counts as CK_OK
    function: str | None = None        # the C function, when not the rule's kernel (a library
                                       # emitter may pick a sibling, lower/emitters_cmsis_nn.py)

    @property
    def struct_bytes(self) -> int:
        def words(fields):
            return sum(len(v) if isinstance(v, (list, tuple)) else 1 for v in fields.values())
        return 4 * (words(self.fields) + sum(words(f) for _, _, f in self.structs))


def i32(values) -> np.ndarray:
    """``values`` as a flat int32 array (wrapping, as C's conversion does)."""
    return np.asarray(values, dtype=np.int64).astype(np.int32).reshape(-1)


def op_tensors(ctx, n_in: int):
    """([first ``n_in`` input tensors, None where absent], output tensor) of ``ctx.op``."""
    op, g = ctx.op, ctx.graph
    ins = [None if i < 0 else g.tensor(i) for i in op.inputs[:n_in]]
    ins += [None] * (n_in - len(ins))
    return ins, g.tensor(op.outputs[0])


def bias_ptr(ctx, b_t, cast: str | None = None) -> str:
    return "NULL" if b_t is None else ctx.ptr(b_t.index, cast)


def fused_range_s8(ctx, out_t) -> tuple[int, int]:
    """(act_min, act_max) of the op's fused activation in ``out_t``'s int8 domain."""
    return activation_range_s8(ctx.op.options.get("fused_activation_function", "NONE"),
                               float(np.float32(out_t.quant.scalar_scale)),
                               out_t.quant.scalar_zero_point)


def f32_literal(v) -> str:
    """A C float literal with exactly the bits of float32 ``v`` (hex: no decimal rounding)."""
    f = np.float32(v)
    if not np.isfinite(f):
        raise ModelError(f"non-finite float constant {f} has no C literal")
    return float(f).hex() + "f"
