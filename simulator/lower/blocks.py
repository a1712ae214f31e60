"""Residual blocks row by row: a block's branches never exist whole, its output takes its
input's bytes, and nothing is recomputed.

A *block* is ``ADD(main, skip)`` where ``main`` is a chain of CONV_2D / DEPTHWISE_CONV_2D ops
from a tensor ``x`` and ``skip`` is ``x`` itself (identity) or one such op on ``x`` (a
projection), ``x`` dies at the block, and the block's ops are a contiguous run of the graph
ending with the ADD (ResNet's basic block: conv-conv + skip/1x1 conv + ADD). Run row by row,
as a line-buffer pipeline (demand-driven, each layer's rows in order):

  * each main layer but the last keeps a *line buffer* of the output rows its consumer still
    reads (a 3x3 stride-1 consumer: 3 rows); rows below the consumer's next window are
    dropped by shifting the rest down;
  * the last main layer and the skip layer write one output row into a row temporary;
  * the ADD of row y writes over ``x``'s bytes at ``y * out_row_bytes``, which the schedule
    checks are dead: no later row of any layer reads them (for an identity skip, row y of x
    is read by that same ADD, element by element, as ADD in place already does).

Every layer's row is its own kernel on a window (one output row, the input rows its receptive
field covers, top padding only at the image's top), the same call lower/patches.py makes for a
patch, so the bits are the whole layer's: each output value sums the same taps in the same
order. Unlike a patch stage nothing is recomputed, since each row is kept until its last
reader has run. Only ``x`` (later the output, in the same bytes), the line buffers and the row
temporaries are in the arena while the block runs, so a block's peak is about ``x`` plus a few
rows instead of ``x`` plus two branch tensors.

The generated ``block_L<add>()`` walks a ``const`` table of steps (kernel, parameter struct
index, arena offsets: 10 bytes a step while the arena is below 64 KB), so its flash cost is a
table, not unrolled calls; it uses only the layers' own kernels and ``ck_copy``
(self-contained, no mcusim runtime symbol).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .patches import Window, _back

BLOCK_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D")
SHIFT = "shift"
ADD = "add"
MAX_ROW_PARAMS = 255             # distinct row parameter structs of a block (plus the ADD's)


@dataclass
class Step:
    kind: str            # a layer's op index as text, ADD or SHIFT
    params: tuple        # (op, in_h, pad_top) for a layer row; () otherwise
    a: tuple             # (buffer name, byte offset): the input (SHIFT: the source)
    b: tuple = ()        # ADD's second input
    out: tuple = ()
    n: int = 0           # SHIFT: bytes kept


@dataclass
class RowBlock:
    first: int
    last: int                    # the ADD
    input: int                   # x: whole in the arena, its bytes become the output's
    output: int
    main: list[int]              # op indices of the main branch, in order
    skip: int | None             # the projection op, or None (identity)
    add_order: tuple[str, str]   # which branch is the ADD's input 1 and input 2
    buffers: dict[str, int] = field(default_factory=dict)     # name -> bytes
    row_bytes: dict[int, int] = field(default_factory=dict)   # op -> one output row's bytes
    steps: list[Step] = field(default_factory=list)
    inner: list[int] = field(default_factory=list)            # tensors that never exist whole
    streamed: bool = False       # the interface lower/patches.PatchStage shares

    @property
    def ops(self) -> range:
        return range(self.first, self.last + 1)

    def describe(self) -> str:
        return f"layers {self.first}-{self.last}"

    def buffer_name(self, op: int) -> str:
        return f"BLOCK_{self.last}_L{op}"


def _readers(graph) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for op in graph.ops:
        for t in op.inputs:
            if t >= 0:
                out.setdefault(t, []).append(op.index)
    return out


def _producers(graph) -> dict[int, int]:
    return {op.outputs[0]: op.index for op in graph.ops}


def _rowable(graph, op) -> bool:
    x = graph.tensor(op.inputs[0])
    return (op.opcode in BLOCK_OPS and x.dtype == "int8" and len(x.shape) == 4
            and x.shape[0] == 1)


def _branches(graph, add, readers, producers):
    """(main ops, skip op or None, x, order) for the ADD ``add``, or None."""
    ins = [t for t in add.inputs if t >= 0]
    if len(ins) != 2 or len(set(ins)) != 2:
        return None
    y = graph.tensor(add.outputs[0])
    if any(tuple(graph.tensor(t).shape) != tuple(y.shape) for t in ins) or y.dtype != "int8":
        return None
    for main_t, skip_t in ((ins[0], ins[1]), (ins[1], ins[0])):
        order = ("main", "skip") if main_t == ins[0] else ("skip", "main")
        s = producers.get(skip_t)
        xs = [(skip_t, None)]                 # identity: x is the skip tensor
        if s is not None and _rowable(graph, graph.ops[s]) and readers.get(skip_t) == [add.index]:
            xs.append((graph.ops[s].inputs[0], s))
        for x, skip in xs:
            chain, t = [], main_t
            while t != x and t in producers and len(chain) < 8:
                p = graph.ops[producers[t]]
                if not _rowable(graph, p) or len(readers.get(t, [])) != 1:
                    break
                chain.insert(0, p.index)
                t = p.inputs[0]
            if t == x and chain:
                return chain, skip, x, order
    return None


def find_blocks(graph) -> list[RowBlock]:
    """Every residual block of ``graph`` that can run row by row (the module docstring's
    conditions; the output's bytes over x are checked by :func:`plan_rows`)."""
    readers, producers = _readers(graph), _producers(graph)
    blocks = []
    for add in graph.ops:
        if add.opcode != "ADD" or add.outputs[0] in graph.outputs:
            continue
        found = _branches(graph, add, readers, producers)
        if found is None:
            continue
        main, skip, x, order = found
        ops = set(main) | {add.index} | ({skip} if skip is not None else set())
        first = min(ops)
        if ops != set(range(first, add.index + 1)) or x in graph.outputs:
            continue
        if not set(readers.get(x, [])) <= ops:
            continue                          # x is read after the block: it does not die
        block = RowBlock(first, add.index, x, add.outputs[0], main, skip, order)
        block.inner = [graph.ops[i].outputs[0] for i in sorted(ops - {add.index})]
        if plan_rows(graph, block):
            blocks.append(block)
    return blocks


def _row_bytes(graph, t: int) -> int:
    shape = graph.tensor(t).shape
    return int(shape[2] * shape[3])


def _in_rows(graph, op: int, r: int) -> tuple[int, int, int]:
    """Input rows [lo, hi) of op's output row r, and the window's top padding."""
    w = graph.tensor(graph.ops[op].outputs[0]).shape[2]
    win, pad_top, _ = _back(graph, graph.ops[op], Window(r, r + 1, 0, w))
    return win.y0, win.y1, pad_top


def plan_rows(graph, block: RowBlock) -> bool:
    """Fill ``block.steps`` and ``block.buffers``; False when some output row would land on
    bytes of x a later row still reads (then the block is not run row by row)."""
    g, x = graph, block.input
    height = {op: g.tensor(g.ops[op].outputs[0]).shape[1] for op in block.main}
    if block.skip is not None:
        height[block.skip] = g.tensor(g.ops[block.skip].outputs[0]).shape[1]
    consumer = dict(zip(block.main, block.main[1:]))
    source = {b: a for a, b in consumer.items()}
    done = {op: 0 for op in height}
    low = {op: 0 for op in consumer}          # first row held in each line buffer
    cap = {op: 0 for op in consumer}
    steps: list[Step] = []
    x_row = _row_bytes(g, x)

    def ensure(op: int, r: int) -> None:
        while done[op] <= r:
            row = done[op]
            lo, hi, pad = _in_rows(g, op, row)
            src = source.get(op)
            if src is None:
                a = ("x", lo * x_row)
            else:
                ensure(src, hi - 1)
                a = (block.buffer_name(src), (lo - low[src]) * block.row_bytes[src])
            if op in consumer:
                out = (block.buffer_name(op), _append(op, row))
            else:
                out = (block.buffer_name(op), 0)
            steps.append(Step(str(op), (op, hi - lo, pad), a, out=out))
            done[op] += 1

    def _append(op: int, row: int) -> int:
        nxt = consumer[op]
        keep_from = (_in_rows(g, nxt, done[nxt])[0] if done[nxt] < height[nxt] else row)
        drop = min(keep_from, row) - low[op]
        rb = block.row_bytes[op]
        if drop > 0:
            kept = row - low[op] - drop
            if kept > 0:
                steps.append(Step(SHIFT, (), (block.buffer_name(op), drop * rb),
                                  out=(block.buffer_name(op), 0), n=kept * rb))
            low[op] += drop
        cap[op] = max(cap[op], row - low[op] + 1)
        return (row - low[op]) * rb

    for op in height:
        block.row_bytes[op] = _row_bytes(g, g.ops[op].outputs[0])
    out_row = _row_bytes(g, block.output)
    for y in range(g.tensor(block.output).shape[1]):
        ensure(block.main[-1], y)
        if block.skip is not None:
            ensure(block.skip, y)
        if not _dead(g, block, done, height, y, x_row, (y + 1) * out_row):
            return False
        branch = {"main": (block.buffer_name(block.main[-1]), 0),
                  "skip": ((block.buffer_name(block.skip), 0) if block.skip is not None
                           else ("x", y * x_row))}
        steps.append(Step(ADD, (), branch[block.add_order[0]], branch[block.add_order[1]],
                          ("x", y * out_row)))
    if len({st.params for st in steps}) > MAX_ROW_PARAMS:
        return False                      # the step record indexes them with a uint8_t
    block.steps = steps
    block.buffers = {block.buffer_name(op): cap[op] * block.row_bytes[op] if op in consumer
                     else block.row_bytes[op] for op in height}
    return True


def _dead(g, block, done, height, y, x_row, end: int) -> bool:
    """True when x's bytes below ``end`` are read by no later step (row y's own ADD reads
    x's row y element by element, in place, for an identity skip)."""
    needed = [y + 1] if block.skip is None else []
    for op in (block.main[0],) + ((block.skip,) if block.skip is not None else ()):
        if done[op] < height[op]:
            needed.append(_in_rows(g, op, done[op])[0])
    return not needed or end <= min(needed) * x_row


def block_buffers(block: RowBlock) -> tuple[tuple[str, int, int, int], ...]:
    """The line buffers and row temporaries as planner ``extra`` entries over the block."""
    return tuple((name, n, block.first, block.last) for name, n in block.buffers.items())


# ---- C ----------------------------------------------------------------------------------------

def step_type(arena_bytes: int) -> str:
    """The step record and the line-buffer shift, once per model.c: arena offsets in 16 bits
    when the arena allows (10-byte steps instead of 24 with pointers)."""
    off = "uint16_t" if arena_bytes <= 0xFFFF else "uint32_t"
    return f"""/* one step of a residual block run row by row (lower/blocks.py): a layer's kernel on one
 * output row, the ADD of one row, or a shift of a line buffer's rows (n bytes from a to out);
 * a, b, out are offsets into g_arena, params an index into the block's parameter table */
typedef struct {{
    uint8_t kind;
    uint8_t params;
    {off} a;
    {off} b;
    {off} out;
    {off} n;
}} block_step_t;

static void block_shift(const int8_t *src, int8_t *dst, int32_t n)
{{
    const int32_t d = (int32_t)(src - dst);      /* chunks of the distance never overlap */
    for (int32_t i = 0; i < n; i += d) {{
        ck_copy(src + i, dst + i, (size_t)(n - i < d ? n - i : d));
    }}
}}
"""


def render_block(lm, block: RowBlock, struct) -> list[str]:
    """C for one block: its per-row parameter structs, the step table and
    ``block_L<last>()``. ``struct(ctype, name, fields)`` renders a const struct."""
    from ..reference import elementwise
    g = lm.graph
    layers = {l.index: l for l in lm.layers}
    extra = lm.memory.extra
    out = [f"/* residual block, {block.describe()}, row by row (lower/blocks.py); buffers: "
           + ", ".join(f"{n} at g_arena + {extra[n].offset} ({extra[n].size} B)"
                       for n in block.buffers) + " */"]
    base = {"x": lm.memory.slots[block.input].offset,
            **{n: extra[n].offset for n in block.buffers}}
    add = layers[block.last]
    names: dict[tuple, int] = {(): 0}
    table = [f"&{add.region}_params"]
    for st in block.steps:
        if st.params and st.params not in names:
            op, in_h, pad = st.params
            name = f"B{block.last}_L{op}_h{in_h}p{pad}"
            f = dict(layers[op].call.fields)
            f.update(in_h=in_h, out_h=1, pad_top=pad)
            out.append(struct(layers[op].call.struct_type, name, f))
            names[st.params] = len(table)
            table.append(f"&{name}")
    y = g.tensor(block.output).shape
    dims, s1, s2 = elementwise.broadcast4((1, 1, y[2], y[3]), (1, 1, y[2], y[3]))
    out.append(struct("ck_broadcast4", f"B{block.last}_row_shape",
                      dict(out_dims=dims, in1_strides=s1, in2_strides=s2)))
    out.append(f"static const void *const B{block.last}_params[] = {{{', '.join(table)}}};")
    kinds = [str(op) for op in sorted(block.row_bytes)] + [ADD, SHIFT]
    code = {k: i for i, k in enumerate(kinds)}

    def off(ref) -> int:
        return 0 if not ref else base[ref[0]] + ref[1]

    rows = [f"        {{{code[st.kind]}, {names[st.params]}, {off(st.a)}, {off(st.b)}, "
            f"{off(st.out)}, {st.n}}}," for st in block.steps]
    body = [f"static ck_status block_L{block.last}(void)", "{",
            "    static const block_step_t steps[] = {"] + rows + ["    };",
            "    for (uint32_t i = 0; i < sizeof steps / sizeof steps[0]; ++i) {",
            "        const block_step_t *t = &steps[i];",
            f"        const void *p = B{block.last}_params[t->params];",
            "        const int8_t *a = g_arena + t->a, *b = g_arena + t->b;",
            "        int8_t *o = g_arena + t->out;",
            "        ck_status s = CK_OK;",
            "        switch (t->kind) {"]
    for op in sorted(block.row_bytes):
        layer = layers[op]
        args = [f"(const {layer.call.struct_type} *)p", "a"] + layer.call.args[1:-1] + ["o"]
        if layer.call.with_scratch:
            args += ["g_scratch", "CK_SCRATCH_BYTES"]
        body.append(f"        case {code[str(op)]}: s = {layer.rule.kernel}({', '.join(args)}); "
                    f"break;")
    body.append(f"        case {code[ADD]}: s = {add.rule.kernel}((const {add.call.struct_type} *)p, "
                f"&B{block.last}_row_shape, a, b, o); break;")
    body += ["        default: block_shift(a, o, (int32_t)t->n); break;", "        }",
             "        if (s != CK_OK) { return s; }", "    }", "    return CK_OK;", "}"]
    return out + [""] + body
