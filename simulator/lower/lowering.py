"""Graph + board -> a lowered model: one kernel call per op, a memory plan, flash arrays.

    lowered = lower_graph(graph, board)
    lowered.layers[i].kernel, lowered.memory.arena_bytes, lowered.scratch_bytes
    files = write_sources(lowered, out_dir, input_q)      # codegen.py: model.c, model.h, main.c

Kernel choice is the first row of ``rules.toml`` matching (opcode, signature, core has DSP);
the signature is the op's input and output kinds: "int8", "float32", "binary" (packed 1-bit
words, int32 in the IR) or "in->out" ("float32->int8" QUANTIZE, "binary->int8" BFC ...).
The planner sizes every tensor by its dtype (``Tensor.nbytes``): float32 4 bytes an element,
packed binary 4 bytes a word of 32 channels. The model's input and output may be int8 or
float32.
RESHAPE / SQUEEZE / EXPAND_DIMS whose input lives in the arena become aliases: the output
tensor gets the input's offset and no code runs. One scratch area, sized by the largest
need of any layer (only DSP conv asks for one), is shared by all layers since they run one
after another.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import cross_kernels

from ..boards import Board
from ..errors import ConfigError, ModelError
from ..ir import Graph, Op
from . import emitters, emitters_binary, emitters_float, emitters_inplace, emitters_movement
from .kernel_call import ConstArray, Declined, KernelCall
from .planner import MemoryPlan, plan_graph
from .fold import fold_into_call, pad_folds
from .inplace import choose_inplace
from .rules import INT16X8_HINT, SUPPORTED_OPS_DOC, Rule, op_signature, select_rule


@dataclass
class Layer:
    index: int
    opcode: str
    name: str                  # the output tensor's name
    kernel: str                # C function, or "alias (in place)"
    rule: Rule
    call: KernelCall
    output: int                # output tensor index
    output_shape: tuple[int, ...]
    alias: bool = False
    inplace: bool = False      # writes its output over an input (lower/inplace.py)

    @property
    def macc(self) -> int:
        return self.call.macc

    @property
    def scratch_bytes(self) -> int:
        return self.call.scratch_bytes

    @property
    def region(self) -> str:
        return f"L{self.index}"


@dataclass
class LoweredModel:
    graph: Graph
    board: Board
    layers: list[Layer]
    memory: MemoryPlan
    consts: list[ConstArray]           # weights, biases, multipliers, shifts, shapes
    decls: list[str]                   # extra C declarations (pointer tables)
    sources: list[Path]                # kernel .c files to compile
    input: int                         # tensor index
    output: int
    schedule: str = "plain"            # how it was lowered (lower_graph's schedule)
    stage: object = None               # lower/patches.PatchStage run patch by patch, or None
    blocks: list = field(default_factory=list)   # lower/blocks.RowBlock run row by row
    folds: list = field(default_factory=list)    # lower/fold.PadFold: PADs inside their conv
    library: object = None             # lower/libraries.KernelLibrary of --kernels, or None (mcusim)
    backend: object = None             # its LibraryBackend (the compiled archive), or None

    @property
    def arena_bytes(self) -> int:
        return self.memory.arena_bytes

    @property
    def scratch_bytes(self) -> int:
        return max((l.scratch_bytes for l in self.layers), default=0)

    @property
    def weights_bytes(self) -> int:
        """Everything the model puts in flash as data: tensors, requant arrays, param structs."""
        return sum(c.nbytes for c in self.consts) + sum(l.call.struct_bytes for l in self.layers) \
            + 4 * sum(d.count(",") + 1 for d in self.decls)

    @property
    def macc(self) -> int:
        return sum(l.macc for l in self.layers)

    @property
    def params(self) -> int:
        """Weights and biases, as models/README.md counts: elements of quantized int8/int32 and of
        float32 constants; a binary layer's weights count one per real (non-padding) bit, its
        thresholds one per channel."""
        return count_params(self.graph)


@dataclass
class _Context:
    """What an emitter sees: the op, the graph, its rule, and ptr() for operands."""
    graph: Graph
    op: Op
    rule: Rule
    prefix: str
    aliases: dict[int, int]
    const_names: dict[int, str]
    consts: list[ConstArray]
    extra_decls: list[str] = field(default_factory=list)
    backend: object = None             # a library emitter's LibraryBackend (scratch sizes)

    def ptr(self, t: int, cast: str | None = None) -> str:
        """The C expression for tensor ``t``; ``cast`` ("const float *" ...) converts the arena's
        byte pointer (or a flash array) to what the kernel's prototype takes."""
        text = self._ptr(t)
        return f"({cast}){text}" if cast else text

    def _ptr(self, t: int) -> str:
        tensor = self.graph.tensor(t)
        if tensor.is_const:
            if t not in self.const_names:
                ctype = CONST_CTYPES.get(tensor.dtype)
                if ctype is None:
                    raise ModelError(f"constant of dtype {tensor.dtype} has no C form",
                                     op_index=self.op.index, opcode=self.op.opcode,
                                     tensor_index=t)
                name = f"T{t}"
                self.const_names[t] = name
                self.consts.append(ConstArray(name, ctype, tensor.data.reshape(-1)))
            return self.const_names[t]
        return f"TENSOR_{t}"


# rules.toml ``emitter`` -> function, over the int8, float32, binary and in-place modules.
EMITTERS = {**emitters.EMITTERS, **emitters_float.EMITTERS, **emitters_binary.EMITTERS,
            **emitters_inplace.EMITTERS, **emitters_movement.EMITTERS}
LOWER_SCHEDULES = ("plain", "inplace")
CONST_CTYPES = {"int8": "int8_t", "int32": "int32_t", "float32": "float"}
IO_DTYPES = ("int8", "float32")


def count_params(graph: Graph) -> int:
    from ..reference import binary as bn
    binary_weights = {}
    for op in graph.ops:
        if op.opcode in (bn.OP_CONV, bn.OP_FC):
            w = graph.tensor(op.inputs[1])
            o = bn.binary_options(op)
            per_out = (int(np.prod(w.shape[1:-1])) * int(o["channels_in"])
                       if op.opcode == bn.OP_CONV else int(o["in_features"]))
            binary_weights[w.index] = w.shape[0] * per_out
            p = graph.tensor(op.inputs[2])
            if p.quant is None:                  # thresholds
                binary_weights[p.index] = p.num_elements
    total = 0
    for t in graph.tensors:
        if t.index in binary_weights:
            total += binary_weights[t.index]
        elif t.is_const and ((t.dtype in ("int8", "int32") and t.quant is not None)
                             or t.dtype == "float32"):
            total += t.num_elements
    return total


def _check_io(graph: Graph) -> None:
    graph.check_dataflow()
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise ModelError(f"code generation handles one input and one output; the model has "
                         f"{len(graph.inputs)} and {len(graph.outputs)}", path=graph.source)
    readers, writers = graph.consumers(), graph.producers()
    for idx in graph.inputs + graph.outputs:
        t = graph.tensor(idx)
        if t.dtype not in IO_DTYPES:
            # Name the op at the boundary: a 16x8 or uint8 model is refused at its first op.
            op = writers.get(idx) or next(iter(readers.get(idx, [])), None)
            side = "input" if idx in graph.inputs else "output"
            hint = f"; {INT16X8_HINT}" if t.dtype == "int16" else ""
            raise ModelError(f"model {side} {t.name!r} is {t.dtype}; code generation needs int8 "
                             f"or float32 (ops and signatures: {SUPPORTED_OPS_DOC}){hint}",
                             path=graph.source, tensor_index=idx,
                             op_index=None if op is None else op.index,
                             opcode=None if op is None else op.opcode)


def _emit(ctx: _Context, fn=None) -> KernelCall:
    """``fn`` (default: the rule's mcusim emitter) on ``ctx``, its errors as the op's ModelError."""
    fn = fn or EMITTERS[ctx.rule.emitter]
    op = ctx.op
    try:
        return fn(ctx)
    except ModelError as err:
        if err.op_index is not None:
            raise
        raise ModelError(err.message, path=ctx.graph.source, op_index=op.index,
                         opcode=op.opcode) from None
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as err:
        raise ModelError(f"cannot lower this op ({type(err).__name__}: {err})",
                         path=ctx.graph.source, op_index=op.index, opcode=op.opcode) from None


def lower_graph(graph: Graph, board: Board, schedule: str = "plain",
                keep_plain: frozenset[int] = frozenset(), stage=None,
                blocks=(), backend=None) -> LoweredModel:
    """``schedule`` "plain": one kernel call per op into its own tensor; "inplace": ops whose
    input dies there write over it where their rule allows (lower/inplace.py), except the
    op indices in ``keep_plain``. ``stage``: a lower/patches.PatchStage whose ops run patch
    by patch (its inner tensors never exist whole); ``blocks``: lower/blocks.RowBlock
    residual blocks run row by row (their output over their input's bytes). ``backend``: a
    lower/libraries/backend.LibraryBackend (--kernels): ops its table maps run its functions,
    the rest mcusim's kernels, each such layer's ``kernel`` saying why (plain schedule only)."""
    _check_io(graph)
    if backend is not None and (schedule != "plain" or stage is not None or blocks):
        raise ConfigError(f"--kernels {backend.library.name} lowers with the plain schedule only")
    has_dsp = board.core.has_dsp
    if schedule not in LOWER_SCHEDULES:
        raise ConfigError(f"unknown schedule {schedule!r} (lowering knows {LOWER_SCHEDULES})")
    rules = {}
    aliases: dict[int, int] = {}
    for op in graph.ops:
        if len(op.outputs) != 1:
            raise ModelError(f"ops with {len(op.outputs)} outputs are not supported",
                             path=graph.source, op_index=op.index, opcode=op.opcode)
        rules[op.index] = select_rule(op, op_signature(graph, op), has_dsp)
        if rules[op.index].is_alias and not graph.tensor(op.inputs[0]).is_const:
            aliases[op.outputs[0]] = op.inputs[0]
    inplace_outputs: dict[int, int] = {}
    for block in blocks:
        aliases[block.output] = block.input
    folds = []
    if schedule == "inplace":
        skip = frozenset(stage.ops) if stage is not None else frozenset()
        skip |= frozenset(i for block in blocks for i in block.ops)
        folds = pad_folds(graph, skip)
        skip |= frozenset(i for f in folds for i in f.ops)
        choice = choose_inplace(graph, rules, aliases, has_dsp, keep_plain | skip)
        rules.update(choice.rules)
        aliases.update(choice.aliases)
        inplace_outputs = choice.aliases
    const_names: dict[int, str] = {}
    consts: list[ConstArray] = []
    decls: list[str] = []
    layers: list[Layer] = []
    sources: list[str] = ["shape/ck_copy.c"]       # model_invoke copies the input and output
    fold_of = {f.conv: f for f in folds}
    folded = {f.pad: f for f in folds}
    for op in graph.ops:
        rule = rules[op.index]
        ctx = _Context(graph, op, rule, f"L{op.index}", aliases, const_names, consts)
        note = None
        if backend is not None and not rule.is_alias:
            call, rule, note = _emit_library(ctx, backend, op_signature(graph, op), has_dsp)
        else:
            call = _emit(ctx)
        if op.index in fold_of:
            fold_into_call(call, fold_of[op.index], graph, ctx.ptr)
        consts += call.consts
        decls += ctx.extra_decls
        out = op.outputs[0]
        alias = (rule.is_alias and not graph.tensor(op.inputs[0]).is_const) or op.index in folded
        kernel = "alias (in place)" if alias else ("ck_copy" if rule.is_alias else rule.kernel)
        if op.index in folded:
            kernel = f"folded into L{folded[op.index].conv}"
        if note:
            kernel += f" [mcusim: {note}]"
        elif call.function:
            kernel = call.function
        if stage is not None and op.index in stage.ops:
            kernel += f" (patches {stage.grid[0]}x{stage.grid[1]})"
        if any(op.index in block.ops for block in blocks):
            kernel += " (row by row)"
        layers.append(Layer(op.index, op.opcode, graph.tensor(out).name, kernel, rule, call,
                            out, tuple(graph.tensor(out).shape), alias,
                            inplace=out in inplace_outputs or any(out == block.output
                                                               for block in blocks)))
        sources += [s for s in rule.sources if s not in sources]
    memory = _plan(graph, aliases, stage, blocks, folds)
    return LoweredModel(graph, board, layers, memory, consts, decls,
                        [cross_kernels.SRC_DIR / s for s in sources], graph.inputs[0],
                        graph.outputs[0], schedule, stage, list(blocks), folds,
                        backend.library if backend is not None else None, backend)


def _emit_library(ctx: _Context, backend, signature: str, has_dsp: bool):
    """(call, rule, None) from the library's row for the op; mcusim's (call, rule, why) when the
    library has no row or its emitter declines the layer."""
    lib = backend.library
    row = lib.rule_for(ctx.op.opcode, signature, has_dsp)
    if row is None:
        return _emit(ctx), ctx.rule, f"{lib.title} has no {ctx.op.opcode} {signature}"
    rule = Rule(op=row.op, dtype=row.dtype, dsp=row.dsp, kernel=row.function,
                emitter=f"{lib.name}:{row.emitter}", sources=(), scratch=row.scratch, source=row.source)
    mcusim_rule, ctx.rule, ctx.backend = ctx.rule, rule, backend
    try:
        return _emit(ctx, lib.emitter(row)), rule, None
    except Declined as why:
        ctx.rule = mcusim_rule
        ctx.extra_decls.clear()
        return _emit(ctx), mcusim_rule, str(why)


def _plan(graph: Graph, aliases: dict[int, int], stage, blocks, folds=()) -> MemoryPlan:
    """The arena: a patch stage's and the blocks' inner tensors and folded PADs' outputs never
    exist whole, the stage's and blocks' buffers are extra pieces, and the tensors they read
    or write live while they run (a folded PAD's input until its conv)."""
    from .blocks import block_buffers
    from .patches import stage_buffers
    gone: set[int] = set()
    extra: tuple = ()
    spans: dict[int, tuple[int, int]] = {}
    if stage is not None:
        span = (stage.first, stage.last)
        gone |= set(stage.inner) | ({stage.input} if stage.streamed else set())
        for t in ([] if stage.streamed else [stage.input]) + [stage.output]:
            _cover(spans, t, span)
        extra += stage_buffers(stage)
    for block in blocks:
        gone |= set(block.inner)
        _cover(spans, block.input, (block.first, block.last))
        extra += block_buffers(block)
    for f in folds:
        gone.add(f.padded)
        _cover(spans, f.input, (f.pad, f.conv))
    return plan_graph(graph, aliases, exclude=frozenset(gone), extra=extra, spans=spans)


def _cover(spans: dict[int, tuple[int, int]], t: int, span: tuple[int, int]) -> None:
    """Tensor ``t`` must live over ``span`` too (a tensor may be read by a stage, a block and a
    fold at once: the union of their spans)."""
    lo, hi = spans.get(t, span)
    spans[t] = (min(lo, span[0]), max(hi, span[1]))
