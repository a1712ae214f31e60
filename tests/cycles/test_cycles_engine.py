"""The accounting engine: native == Python fallback, budget, profile, tables, debug registers."""
import pytest

from simulator.cycles import classify as cl
from simulator.cycles.engine import Accounting, PyAccounting
from simulator.cycles.table import load_table
from simulator.cycles.testing import FLASH, SRAM, TCM, assemble, run_snippet
from simulator.errors import ConfigError

CORES = ("m0plus", "m4", "m7", "m33")

# Calls, returns, loads, stores, push/pop, nested loops, an IT block (not on M0+).
MIXED = """
    ldr r7, =300
    ldr r3, ={sram}
outer:
    movs r0, #7
    bl work
    subs r7, r7, #1
    bne outer
    bkpt #0
work:
    push {{r4, r5, lr}}
1:  ldr r4, [r3]
    adds r4, r4, r0
    str r4, [r3, #4]
    ldr r5, [r3, #4]
    {cond}
    subs r0, r0, #1
    bne 1b
    pop {{r4, r5, pc}}
    .ltorg
"""
IT_BLOCK = "cmp r5, #20\n ite gt\n addgt r5, r5, #1\n suble r5, r5, #1"
REGIONS = [(FLASH, 0x40000, 0, 0, 1), (SRAM, 0x40000, 2, 1, 0), (TCM, 0x40000, 0, 0, 0)]


def _mixed(core):
    return assemble(MIXED.format(sram=SRAM, cond="" if core == "m0plus" else IT_BLOCK), core)


@pytest.mark.parametrize("core", CORES)
def test_native_and_python_engines_agree(core):
    code = _mixed(core)
    native, _ = run_snippet(code, core, regions=REGIONS)
    python, _ = run_snippet(code, core, regions=REGIONS, engine=PyAccounting)
    assert native.instructions == python.instructions > 300 * 7 * 5
    assert native.cycles == python.cycles
    assert native.mispredicts == python.mispredicts
    symbols = [("main", FLASH, 16), ("rest", FLASH + 16, len(code) - 16)]
    assert native.profile(symbols) == python.profile(symbols)


def test_profile_attributes_every_cycle_to_a_function():
    code = assemble("""
    movs r4, #10
2:  bl f
    subs r4, #1
    bne 2b
    bkpt #0
    .balign 64
f:  movs r0, #5
1:  subs r0, #1
    bne 1b
    bx lr
""", "m4")
    acc, _ = run_snippet(code, "m4")
    prof = acc.profile([("main", FLASH, 64), ("f", FLASH + 64, 16)])
    assert prof["f"][1] == 10 * (1 + 5 * 2 + 1)           # movs, 5 x (subs, bne), bx
    assert prof["main"][1] == 1 + 10 * 3                   # movs, 10 x (bl, subs, bne)
    assert sum(c for c, _ in prof.values()) == acc.cycles
    assert sum(n for _, n in prof.values()) == acc.instructions


@pytest.mark.parametrize("engine", [Accounting, PyAccounting])
def test_budget_stops_a_runaway_loop(engine):
    acc, _ = run_snippet(assemble("1: b 1b\n bkpt #0", "m4"), "m4", engine=engine, budget=1000)
    assert acc.budget_exceeded
    assert acc.instructions == 1001                        # one-instruction blocks: stops on the first over


def test_reset_clears_counts():
    code = _mixed("m4")
    acc, uc = run_snippet(code, "m4")
    first = acc.cycles
    acc.reset()
    assert (acc.cycles, acc.instructions) == (0, 0)
    uc.emu_start(FLASH | 1, FLASH + code.rfind(b"\x00\xbe"))
    assert acc.cycles == first


@pytest.mark.parametrize("core", CORES)
def test_tables_cite_a_source_for_every_row(core):
    table = load_table(core)
    assert all(row.source for row in table.rows.values())
    needed = {"alu", "load", "store", "ldm", "stm", "branch", "branch_reg", "ldm_pc", "nop"}
    assert needed <= set(table.rows)


def test_unknown_core_is_a_config_error():
    with pytest.raises(ConfigError):
        load_table("m99")


def test_classify_branch_kinds():
    code = assemble("bne 1f\n bl 1f\n bx lr\n pop {r4, pc}\n1: ldr pc, [sp], #4\n mov pc, lr\n"
                    "tbb [pc, r0]\n cbz r0, 2f\n nop\n2: nop", "m7")
    md = cl.make_disassembler()
    got = [(i.cls, i.kind) for i in map(cl.classify, md.disasm(code, 0))]
    assert got == [("branch", cl.KIND_COND), ("branch_link", cl.KIND_DIRECT), ("branch_reg", cl.KIND_INDIRECT),
                   ("ldm_pc", cl.KIND_INDIRECT), ("load_pc", cl.KIND_INDIRECT), ("branch_reg", cl.KIND_INDIRECT),
                   ("table_branch", cl.KIND_INDIRECT), ("cbz", cl.KIND_COND), ("nop", cl.KIND_NONE), ("nop", cl.KIND_NONE)]


# -- DWT CYCCNT / SysTick --------------------------------------------------------------------
DWT_PROGRAM = """
    ldr r0, =0xE000EDFC
    ldr r1, ={trcena}
    str r1, [r0]
    ldr r0, =0xE0001000
    movs r1, #1
    str r1, [r0]
    dmb
    ldr r2, [r0, #4]
    ldr r3, [r0, #4]
    subs r4, r3, r2
    ldr r5, ={n}
    ldr r2, [r0, #4]
1:  subs r5, r5, #1
    bne 1b
    ldr r3, [r0, #4]
    subs r6, r3, r2
    bkpt #0
    .ltorg
"""


def _dwt(core, n, trcena=1 << 24, engine=Accounting):
    from unicorn.arm_const import UC_ARM_REG_R4, UC_ARM_REG_R6
    code = assemble(DWT_PROGRAM.format(n=n, trcena=trcena), core)
    acc, uc = run_snippet(code, core, debug_registers=True, engine=engine)
    return uc.reg_read(UC_ARM_REG_R4), uc.reg_read(UC_ARM_REG_R6), acc


@pytest.mark.parametrize("core, back_to_back, loop", [
    ("m0plus", 2, 3),   # LDR 2 (M0+ TRM); loop SUBS 1 + BNE 1 + refill 1
    ("m4", 1, 3),       # second LDR pipelined (M4 TRM 3.3.2); loop 1 + 1 + P=1
    ("m33", 1, 3),      # LDR issues every cycle (PIPE m33); loop 1 + 1 + 1
    # M7: two loads of the same base and displacement hit the same bank and do not pair (PIPE
    # cortex_m7.md loads: loads dual issue only to different banks), so the second read is 1 later;
    # SUBS|BNE pair.
    ("m7", 1, 1),
])
@pytest.mark.parametrize("engine", [Accounting, PyAccounting])
def test_dwt_cyccnt_reads_agree_with_the_model(core, back_to_back, loop, engine):
    first, small, _ = _dwt(core, 10, engine=engine)
    _, large, _ = _dwt(core, 110, engine=engine)
    assert first == back_to_back                           # mid-block read: static prefix difference
    assert large - small == 100 * loop


def test_cyccnt_needs_trcena():
    back_to_back, loop_cycles, _ = _dwt("m4", 10, trcena=0)
    assert (back_to_back, loop_cycles) == (0, 0)


def test_cyccnt_total_matches_engine_cycles():
    # From the CYCCNT enable to the last read, CYCCNT and the engine count the same cycles:
    # the last read is the final instruction's block, so engine total - CYCCNT = cycles before enable
    # + the rest of the last block, both independent of the loop count.
    gaps = []
    for n in (10, 50):
        from unicorn.arm_const import UC_ARM_REG_R3
        code = assemble(DWT_PROGRAM.format(n=n, trcena=1 << 24), "m4")
        acc, uc = run_snippet(code, "m4", debug_registers=True)
        gaps.append(acc.cycles - uc.reg_read(UC_ARM_REG_R3))
    assert gaps[0] == gaps[1] > 0


def test_systick_counts_down_with_the_core_clock():
    from unicorn.arm_const import UC_ARM_REG_R6
    src = """
    ldr r0, =0xE000E010
    ldr r1, =0xFFFFFF
    str r1, [r0, #4]
    movs r1, #0
    str r1, [r0, #8]
    movs r1, #5
    str r1, [r0]
    ldr r5, ={n}
    ldr r2, [r0, #8]
1:  subs r5, r5, #1
    bne 1b
    ldr r3, [r0, #8]
    subs r6, r2, r3
    bkpt #0
    .ltorg
"""
    deltas = []
    for n in (10, 110):
        acc, uc = run_snippet(assemble(src.format(n=n), "m4"), "m4", debug_registers=True)
        deltas.append(uc.reg_read(UC_ARM_REG_R6))
    assert deltas[1] - deltas[0] == 100 * 3


# Six unconditional branches 64 bytes apart share one set of the M7 BTAC (m7.toml: 128 entries in
# 4 ways = 32 sets indexed by address bits 1-5): the set's LRU replacement thrashes. A function
# called from two places returns through BX LR to alternating targets (the BTAC keeps one target).
PREDICTOR_STRESS = """
    ldr r7, =200
    b 0f
    .balign 64
0:  b 1f
    .balign 64
1:  b 2f
    .balign 64
2:  b 3f
    .balign 64
3:  b 4f
    .balign 64
4:  b 5f
    .balign 64
5:  bl f
    bl f
    subs r7, #1
    bne 0b
    bkpt #0
f:  adds r0, #1
    bx lr
    .ltorg
"""


@pytest.mark.parametrize("allocate_not_taken", [False, True])
def test_native_and_python_predictors_agree_under_btac_pressure(monkeypatch, allocate_not_taken):
    import simulator.cycles.engine as engine

    def table(core, options=()):
        t = load_table(core, options)
        t.params["btac_allocate_not_taken"] = allocate_not_taken
        return t
    monkeypatch.setattr(engine, "load_table", table)
    code = assemble(PREDICTOR_STRESS, "m7")
    native, _ = run_snippet(code, "m7")
    python, _ = run_snippet(code, "m7", engine=PyAccounting)
    assert (native.cycles, native.mispredicts) == (python.cycles, python.mispredicts)
    # The six B miss every time (LRU thrash) but are taken at decode (static, not a misprediction);
    # the BNE is predicted after its first execution and its exit is not seen (the run stops at the
    # BKPT); each BX LR returns to the other call site than last time: 2 mispredictions per iteration.
    assert native.mispredicts == 2 * 200


# Round-2 rules in one loop: M4 NOP after a load, shifted constants, early-ALU shift and REV, UXTAB
# chaining, 16-bit NOP and branch pairs, VDIV/VSQRT with an integer op, VFMA blocking FP.
ROUND2 = """
    ldr r7, =200
    ldr r3, ={sram}
    vmov.f32 s2, #1.0
1:  ldr r4, [r3]
    nop
    eor r5, r5, #0x1fc0
    adds.w r6, r5, #0x1fc0
    lsl.w r6, r4, #2
    add.w r6, r6, r4
    rev r6, r6
    uxtab r6, r6, r4
    uxtab r6, r6, r4
    vdiv.f32 s0, s1, s2
    add.w r0, r0, #1
    vsqrt.f32 s3, s2
    add.w r0, r0, #1
    vfma.f32 s4, s2, s2
    mov r10, r10
    vadd.f32 s5, s2, s2
    muls r6, r4, r6
    add r1, r2
    b 2f
    nop
2:  adds r5, r5, #1
    nop
    subs r7, #1
    add r1, r2
    bne 1b
    bkpt #0
    .ltorg
"""


@pytest.mark.parametrize("core", ("m4", "m7", "m33"))
def test_native_and_python_engines_agree_on_round2_rules(core):
    code = assemble(ROUND2.format(sram=SRAM), core)
    native, _ = run_snippet(code, core, regions=REGIONS)
    python, _ = run_snippet(code, core, regions=REGIONS, engine=PyAccounting)
    assert native.instructions == python.instructions == 3 + 200 * 24   # setup + loop (BKPT stops first)
    assert native.cycles == python.cycles
    assert native.mispredicts == python.mispredicts


def _many_edges(sites: int) -> str:
    """``sites`` blocks, each ending in a forward conditional branch that falls through (predicted,
    so an edge correction applies on the M7 too) and then calling ``f``, run 3 times: ``f``'s
    return block has ``sites`` successors, so the native engine's per-block successor lists keep
    missing, and the block and edge tables grow (past 768 entries each) while a previous block
    is live."""
    calls = "\n".join(f"    cmp r7, #100\n    {'ldr r1, [r3]' if k % 2 else 'add r1, r3, #4'}\n    beq.w done\n"
                      f"    ldr r2, [r1]\n    bl f" for k in range(sites))
    return f"""
    ldr r3, ={SRAM}
    ldr r7, =3
outer:
{calls}
    subs r7, r7, #1
    beq done
    b.w outer
done:
    bkpt #0
f:  adds r0, r0, #1
    bx lr
    .ltorg
"""


@pytest.mark.parametrize("core", ("m4", "m7"))
def test_native_and_python_engines_agree_on_many_edges(core, monkeypatch):
    """The native hook's fast path (successor lists, edge cache) against the Python oracle. Each
    edge gets a synthetic correction from -1 to 3 that depends on the pair (both engines ask
    engine.edge_correction), so a
    correction served for the wrong pair, or lost when a table grows, changes the count (from -1:
    a block costs at least 1 cycle, so its native unsigned total stays non-negative)."""
    import simulator.cycles.engine as engine
    monkeypatch.setattr(engine, "edge_correction",
                        lambda prev, cur, table, taken: hash((prev[-1].address, cur[0].address, taken)) % 5 - 1)
    code = assemble(_many_edges(900), core)
    native, _ = run_snippet(code, core, regions=REGIONS)
    python, _ = run_snippet(code, core, regions=REGIONS, engine=PyAccounting)
    assert native._lib.mc_block_count(native._st) > 1800      # the block table grew
    assert len(python._edges) > 900                           # and so did the edge table
    assert set(python._edges.values()) == {-1, 0, 1, 2, 3}
    assert native.instructions == python.instructions
    assert (native.cycles, native.mispredicts) == (python.cycles, python.mispredicts)
    symbols = [("main", FLASH, len(code))]
    assert native.profile(symbols) == python.profile(symbols)
    assert sorted(native._block_totals()) == sorted(python._block_totals())
