"""The op -> kernel table (``rules.toml``) and the lookup that picks a row for an op."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import ModelError

RULES_PATH = Path(__file__).resolve().parent / "rules.toml"


@dataclass(frozen=True)
class Rule:
    op: str
    dtype: str
    dsp: bool | None
    kernel: str
    emitter: str
    sources: tuple[str, ...]
    scratch: str | None
    source: str
    inplace: str | None = None      # "elementwise" / "channel": see rules.toml
    variant: str | None = None      # only chosen when a schedule asks for it
    params: str | None = None       # the params struct's C type, when not <kernel>_params

    @property
    def is_alias(self) -> bool:
        return self.kernel == "alias"

    @property
    def params_struct(self) -> str:
        return self.params or f"{self.kernel}_params"


@lru_cache(maxsize=None)
def load_rules(path: Path = RULES_PATH) -> tuple[Rule, ...]:
    rows = tomllib.loads(Path(path).read_text())["rule"]
    return tuple(Rule(op=r["op"], dtype=r["dtype"], dsp=r.get("dsp"), kernel=r["kernel"],
                      emitter=r["emitter"], sources=tuple(r["sources"]),
                      scratch=r.get("scratch"), source=r["source"], inplace=r.get("inplace"),
                      variant=r.get("variant"), params=r.get("params")) for r in rows)


def tensor_kind(tensor) -> str:
    """What a tensor holds for kernel choice: int32 activations are packed binary words (the
    only int32 activations the IR has, made by the binary CUSTOM ops)."""
    return "binary" if tensor.dtype == "int32" else tensor.dtype


def op_signature(graph, op) -> str:
    """The ``dtype`` key of ``op``'s rule: its first input's kind and its output's kind, one
    name when they agree ("int8", "float32", "binary"), else "in->out" ("float32->int8")."""
    out = tensor_kind(graph.tensor(op.outputs[0]))
    if not op.inputs or op.inputs[0] < 0:
        return out
    x = graph.tensor(op.inputs[0])
    src = tensor_kind(x) if not (x.is_const and x.dtype == "int32") else out
    return out if src == out else f"{src}->{out}"


def supported_ops() -> list[str]:
    return sorted({r.op for r in load_rules()})


SUPPORTED_OPS_DOC = "docs/supported-ops.md"
# multi-output ops rewritten by frontend/multi_output.py (tests/kernels/test_split.py checks
# this list against its EXPANDERS)
IMPORT_EXPANDED = ("SPLIT", "SPLIT_V", "UNPACK")


def render_supported_ops() -> str:
    """docs/supported-ops.md, made from the rules table (lower/supported_ops.py writes it)."""
    lines = ["# Supported ops", "",
             "Generated from `simulator/lower/rules.toml` by `python -m "
             f"simulator.lower.supported_ops > {SUPPORTED_OPS_DOC}`; do not edit.",
             "An op runs when a row matches its signature (input -> output kinds) and the core; "
             "the first matching row wins. *in place*: how the kernel may write over its input "
             "(docs/scheduling.md); *(variant)*: a kernel only the in-place schedule uses.", "",
             "| op | signature | kernel | core | in place |", "|---|---|---|---|---|"]
    for r in sorted(load_rules(), key=lambda r: (r.op, r.dtype)):
        core = {True: "DSP", False: "no DSP", None: "any"}[r.dsp]
        kernel = "alias (no code)" if r.is_alias else f"`{r.kernel}`"
        place = r.inplace if r.variant is None and r.inplace else (
            f"{r.inplace} (variant)" if r.variant else "")
        lines.append(f"| {r.op} | {r.dtype} | {kernel} | {core} | {place} |")
    lines += ["", "Expanded at import into one STRIDED_SLICE per output "
              "(frontend/multi_output.py), so they run where STRIDED_SLICE does: "
              + ", ".join(IMPORT_EXPANDED) + "."]
    return "\n".join(lines) + "\n"


def select_variants(op, dtype: str, has_dsp: bool, variant: str) -> list[Rule]:
    """The ``variant`` rows matching (opcode, dtype, core feature), in table order."""
    return [r for r in load_rules() if r.variant == variant and r.op == op.opcode
            and r.dtype == dtype and (r.dsp is None or r.dsp == has_dsp)]


# What an int16 tensor means and what to do: the converter's int16x8 scheme (16-bit activations,
# 8-bit weights), which no kernel here implements bit for bit as TFLM does.
INT16X8_HINT = ("int16 activations (TFLite's int16x8 quantization) are not supported: convert "
                "with full-int8 quantization (supported_ops [TFLITE_BUILTINS_INT8], "
                "inference_input_type and inference_output_type int8)")


def select_rule(op, dtype: str, has_dsp: bool) -> Rule:
    """The first row matching (opcode, dtype, core feature); ModelError naming what is missing.
    Variant rows (in-place kernels) are left to :func:`select_variants`."""
    rows = [r for r in load_rules() if r.op == op.opcode and r.variant is None]
    if not rows:
        raise ModelError(f"no C kernel lowers {op.opcode} (lowered ops: "
                         f"{', '.join(supported_ops())}; see {SUPPORTED_OPS_DOC})",
                         op_index=op.index, opcode=op.opcode)
    typed = [r for r in rows if r.dtype == dtype]
    if not typed:
        have = ", ".join(sorted({r.dtype for r in rows}))
        hint = f"; {INT16X8_HINT}" if "int16" in dtype else ""
        raise ModelError(f"no C kernel for {op.opcode} on {dtype} tensors (kernels exist for: "
                         f"{have}; see {SUPPORTED_OPS_DOC}){hint}", op_index=op.index,
                         opcode=op.opcode)
    for r in typed:
        if r.dsp is None or r.dsp == has_dsp:
            return r
    raise ModelError(f"no C kernel for {op.opcode} {dtype} on a core "
                     f"{'with' if has_dsp else 'without'} DSP (see {SUPPORTED_OPS_DOC})", op_index=op.index,
                     opcode=op.opcode)
