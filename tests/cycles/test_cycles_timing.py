"""Micro-kernels whose cycle counts follow by hand from the cited table rows.

Every expected value is written out as a sum of table rows; the sources are the ones in
simulator/cycles/tables/<core>.toml. Loop costs are per iteration (two iteration counts,
difference divided), so set-up and exit costs cancel. The loop overhead ``subs; bne`` (taken):
  M0+: SUBS 1 + B<cc> 1 + 1 refill          (M0+ TRM Table 3.1: B<cc> "1 or 2")      = 3
  M4:  SUB 1 + B<cc> 1 + P=1                 (M4 TRM Table 3-1: B<cc> 1+P; M3 TRM 18.1) = 3
  M33: SUB 1 + B 1 + 1 refill                (PIPE cortex_m33.md: bne.n taken 2)         = 3
  M7:  dual issued with the body's last op or alone, predicted taken costs 0 (PIPE cortex_m7.md)
"""
import pytest

from simulator.cycles.testing import FLASH, SRAM, TCM, assemble, run_snippet

LOOP = {"m0plus": 3, "m4": 3, "m33": 3}
SMLAD4 = "smlad r1, r4, r5, r1\n smlad r2, r4, r5, r2\n smlad r3, r4, r5, r3\n smlad r6, r4, r5, r6"
CHASE = "ldr r3, [r3]\n ldr r3, [r3]\n ldr r3, [r3]\n ldr r3, [r3]"
CHASE_SETUP = f"ldr r3, ={SRAM}\n str r3, [r3]"          # the word at SRAM points to itself


@pytest.mark.parametrize("core, expected", [
    ("m4", 4 * 1 + LOOP["m4"]),        # M4 TRM Table 3-1: SMLAD 1
    ("m33", 4 * 1 + LOOP["m33"]),      # PIPE m33: MAC issues every cycle (independent accumulators)
    # M7: one MAC unit, MACs never pair with each other (PIPE multiplication/MAC; LLVM M7UnitMAC):
    # cycles 0-3 one SMLAD each, SUBS pairs with the 4th, BNE alone in cycle 4, predicted taken +0.
    # The BNE does not pair with the next iteration's first SMLAD: PIPE branching requires "at least
    # 2 `.n` instructions executed prior to branch" and the SMLAD before the 16-bit SUBS is 32-bit
    # (m7.toml taken_pair_narrow_before = 2): 5 per iteration.
    ("m7", 5),
])
def test_independent_smlad_loop(iteration_cost, core, expected):
    cycles, insns = iteration_cost(core, SMLAD4)
    assert (cycles, insns) == (expected, 6)


@pytest.mark.parametrize("options, expected", [
    ((), 4 * 1 + LOOP["m0plus"]),                         # M0+ TRM Table 3.1: MULS 1 (fast multiplier)
    (("small_multiplier",), 4 * 32 + LOOP["m0plus"]),     # MULS 32 with the small multiplier
])
def test_m0plus_multiplier_option(iteration_cost, options, expected):
    body = "muls r1, r2, r1\n muls r1, r2, r1\n muls r1, r2, r1\n muls r1, r2, r1"
    assert iteration_cost("m0plus", body, options=options)[0] == expected


@pytest.mark.parametrize("core, expected", [
    ("m0plus", 4 * 2 + LOOP["m0plus"]),  # LDR 2, no load-use stall (PIPE cortex_m0.md)
    ("m4", 4 * 2 + LOOP["m4"]),          # LDR 2, not pipelined: address = previous load's destination (TRM 3.3.2)
    ("m33", 3 * 2 + 1 + 1 + 1 + 1),      # load-to-use 2 (PIPE): loads at 0,2,4,6; SUBS 7; BNE 8; refill 1
    # M7: load latency 1 + address read one cycle early (LLVM WriteLd 1, M7Read_ISS) = 2 per link:
    # loads at cycles 0,2,4,6; SUBS pairs at 6; BNE at 7.
    ("m7", 8),
])
def test_dependent_load_use_chain(iteration_cost, core, expected):
    assert iteration_cost(core, CHASE, setup=CHASE_SETUP)[0] == expected


def test_m4_consecutive_loads_pipeline(iteration_cost):
    # M4 TRM 3.3.2: "LDR R0,[R1,R5]; LDR R1,[R2]; LDR R2,[R3,#4] - normally four cycles total".
    body = "ldr r1, [r3]\n ldr r2, [r3, #4]\n ldr r4, [r3, #8]"
    assert iteration_cost("m4", body, setup=f"ldr r3, ={SRAM}")[0] == 4 + LOOP["m4"]


@pytest.mark.parametrize("core, expected", [
    ("m0plus", (1 + 8) * 2),   # M0+ TRM Table 3.1: PUSH 1+N, POP 1+N
    ("m4", (1 + 8) * 2),       # M4 TRM Table 3-1: PUSH 1+N, POP 1+N
    ("m33", 8 * 2),            # PIPE m33: "load/store multiple of x registers execute in exactly x cycles"
    ("m7", 4 * 2),             # PIPE m7: "takes ceil(regnum/2) cycles", single issue (LLVM)
])
def test_push_pop_eight_registers(core, expected):
    acc, _ = run_snippet(assemble("push {r0-r7}\n pop {r0-r7}\n bkpt #0", core), core)
    assert (acc.cycles, acc.instructions) == (expected, 2)


@pytest.mark.parametrize("core, expected", [
    ("m0plus", LOOP["m0plus"]), ("m4", LOOP["m4"]), ("m33", LOOP["m33"]),
    ("m7", 1),                 # SUBS and BNE dual issue; correctly predicted taken branch +0 (PIPE m7)
])
def test_taken_branch_loop(iteration_cost, core, expected):
    assert iteration_cost(core, "")[0] == expected


def test_m4_branch_to_unaligned_wide_instruction(iteration_cost):
    # P = 1 to a word-aligned target, 2 to a 32-bit instruction at a halfword address
    # (M4 TRM Table 3-1 definition of P; compendium.i-0.nl branch timing).
    aligned = iteration_cost("m4", "add.w r1, r1, #1", align=4)[0]
    unaligned = iteration_cost("m4", "add.w r1, r1, #1", setup=".balign 4\n nop", align=2)[0]
    assert (aligned, unaligned) == (1 + LOOP["m4"], 1 + LOOP["m4"] + 1)


def test_m7_mispredictions_in_nested_loops():
    # Inner loop of 3 inside an outer loop of 10 (m7.toml [params], simulator/cycles/predictor.py).
    # Both BNEs go backward: on their first (BTAC-miss) execution the static predictor guesses taken
    # (assumption static_backward_taken) and they are: 2 x static_taken_penalty 2. The inner BNE then
    # hits the BTAC and mispredicts each loop exit: 10 x 8 (SUBS sets the flags in the branch's cycle,
    # fewer than 3 before it: PIPE branching/cmp). The outer loop's exit is the last branch: the run
    # stops at the BKPT before its outcome is seen.
    # Static cycles (pairs per PIPE/LLVM; MOVS/SUBS as the older op forward in the same cycle):
    #   entry block  movs r2 | movs r1 ; subs r1 | bne          = 2
    #   inner block  subs r1 | bne                              = 1  (x 2 per outer iteration)
    #   outer block  subs r2 | bne                              = 1
    #   re-entry     movs r1 | subs r1 ; bne                    = 2  (outer iterations 2..10)
    # 2 + 1 + 1 + 1 + 9 * (2 + 1 + 1 + 1) = 50; every correctly predicted edge pairs the branch with
    # nothing more than it already does (each target's first two instructions already pair): +0.
    src = "movs r2, #10\n2: movs r1, #3\n1: subs r1, #1\n bne 1b\n subs r2, #1\n bne 2b\n bkpt #0"
    acc, _ = run_snippet(assemble(src, "m7"), "m7")
    assert acc.mispredicts == 10
    assert acc.cycles == 50 + 2 * 2 + 10 * 8


ADDS6 = "adds r1, #1\n" * 6


@pytest.mark.parametrize("core, body_cycles, fetch_chunks", [
    ("m4", 6 + LOOP["m4"], 16 // 4),   # 8 halfwords = 16 bytes = 4 fetches of 32 bits
    # M7: each ADDS issued as the older op runs in the early ALU and forwards to the dependent younger
    # one in the same cycle (PIPE cortex_m7.md overall): pairs at cycles 0, 1, 2; SUBS|BNE at 3 = 4;
    # 64-bit fetch
    ("m7", 4, 16 // 8),
])
def test_flash_wait_states_vs_tcm(iteration_cost, core, body_cycles, fetch_chunks):
    wait = 2
    regions = [(FLASH, 0x40000, 0, 0, wait), (TCM, 0x40000, 0, 0, 0)]
    tcm = iteration_cost(core, ADDS6, align=16, regions=regions, load_at=TCM)[0]
    flash = iteration_cost(core, ADDS6, align=16, regions=regions, load_at=FLASH)[0]
    assert (tcm, flash) == (body_cycles, body_cycles + wait * fetch_chunks)


def test_data_wait_states(iteration_cost):
    regions = [(SRAM, 0x40000, 3, 2, 0)]
    setup = f"ldr r3, ={SRAM}"
    assert iteration_cost("m4", "ldr r1, [r3]", setup=setup, regions=regions)[0] == 2 + 3 + LOOP["m4"]
    assert iteration_cost("m4", "str r1, [r3]", setup=setup, regions=regions)[0] == 1 + 2 + LOOP["m4"]
    assert iteration_cost("m4", "ldr r1, [r3]", setup=setup, regions=regions, data_waits=False)[0] \
        == 2 + LOOP["m4"]


ALIASING = """
    ldr r0, ={n}
    b 1f
    .balign 256
1:  adds r1, #1
    b 2f
    .space 252
2:  subs r0, #1
    bne 1b
    bkpt #0
    .ltorg
"""


def test_m7_unconditional_branch_is_not_mispredicted_every_time():
    # The `adds; b` block that mispredicted on 100% of its executions (issue 11): its B and the loop's
    # BNE are 256 bytes apart, so they shared an entry of the old 128-entry direct-mapped table and
    # evicted each other on every iteration, and a BTAC miss was predicted "fall through" even for an
    # unconditional branch. Now (m7.toml [params], assumptions documented in docs/cycle-model.md) the
    # BTAC is 4-way LRU and a missed B is taken at decode. Per iteration, after the first:
    #   adds | b = 1, subs | bne = 1, both branches predicted taken (+0, edge corrections 0) = 2.
    runs = [run_snippet(assemble(ALIASING.format(n=n), "m7"), "m7")[0] for n in (20, 120)]
    assert runs[0].mispredicts == runs[1].mispredicts == 0
    assert (runs[1].cycles - runs[0].cycles) == 100 * 2


@pytest.mark.parametrize("core, expected", [
    ("m0plus", 1 + 1 + 1),   # B 2 (M0+ TRM Table 3.1: B 2 = 1 + 1 refill), NOP 1
    ("m4", 1 + 1 + 1),       # B 1+P, P = 1 (M4 TRM Table 3-1), NOP 1
])
def test_branch_to_the_next_instruction_is_taken(core, expected):
    # An unconditional B always refills the pipeline, even when its target is its fall-through
    # (the taken/not-taken inference from the next block's address used to call it not taken).
    acc, _ = run_snippet(assemble("b 1f\n1: nop\n bkpt #0", core), core)
    assert (acc.cycles, acc.instructions) == (expected, 2)
