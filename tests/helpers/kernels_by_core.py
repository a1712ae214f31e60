"""The micro-kernels of test_table_coverage.py, per core, each expected value a sum of table rows.

Conventions: a kernel is one block scheduled from an empty pipeline; "dep" means the second
instruction reads the first one's result. Single-issue cores: cycles = issue(first) +
max(0, latency(first) - issue(first)) + issue(second). M7 (dual issue): see each comment.
Branch kernels also give the row's ``taken`` refill (``taken_pen``) and, on the M7, the
misprediction penalty the block would pay (``mispredict_pen``).
"""
from simulator.cycles.classify import KIND_COND

from tests.helpers.micro_kernels import K, loop_trace, round_robin

NOPS8 = "nop\n" * 8             # 16 bytes of 16-bit NOPs
CBZ = ".set tgt, . + 8\n cbz r0, tgt"   # CBZ cannot branch to the next instruction: a target 8 on

M0PLUS = [  # Cortex-M0+ TRM DDI0484C Table 3.1
    K("alu dep", "adds r1, r2, r3\n adds r4, r1, #1", 1 + 1),
    K("bitfield dep", "rev r1, r2\n adds r4, r1, #1", 1 + 1),
    K("extend dep", "uxtb r1, r2\n adds r4, r1, #1", 1 + 1),
    K("mul dep", "muls r1, r2, r1\n adds r4, r1, #1", 1 + 1),
    K("mul dep, small multiplier", "muls r1, r2, r1\n adds r4, r1, #1", 32 + 1),
    K("load dep", "ldr r1, [r0]\n adds r2, r1, #1", 2 + 1),
    K("load_narrow dep", "ldrb r1, [r0]\n adds r2, r1, #1", 2 + 1),
    K("store", "str r1, [r0]", 2),
    K("store_reg", "str r1, [r0, r2]", 2),
    K("ldm of 2", "ldm r0!, {r1, r2}\n adds r3, r2, #1", (1 + 2) + 1),
    K("stm of 2", "stm r0!, {r1, r2}", 1 + 2),
    K("branch", "bne 1f\n1:", {"cycles": 1, "taken_pen": 1}),
    K("branch_link", "bl 1f\n1:", {"cycles": 2, "taken_pen": 1}),
    K("branch_reg", "bx lr", {"cycles": 1, "taken_pen": 1}),
    K("ldm_pc", "pop {r4, pc}", {"cycles": 1 + 2, "taken_pen": 2}),
    K("nop", "nop", 1),
    K("barrier", "dmb", 3),
    K("system", "mrs r1, apsr", 3),
    K("exception", "svc #0", 1),
    K("fetch waits", NOPS8, 8 * 1 + 16 // 4 * 1, fetch_wait=1),   # 1 wait per 32-bit fetch
]

M4 = [  # Cortex-M4 TRM DDI0439 Table 3-1, 3.3.2; FPU Table 7-1; PIPE cortex_m3m4.md
    K("alu dep", "adds r1, r2, r3\n adds r4, r1, #1", 1 + 1),
    K("alu_shift dep", "add.w r1, r2, r3, lsl #2\n adds r4, r1, #1", 1 + 1),
    K("bitfield dep", "ubfx r1, r2, #4, #8\n adds r4, r1, #1", 1 + 1),
    K("extend dep", "uxtb r1, r2\n adds r4, r1, #1", 1 + 1),
    K("simd dep", "sadd16 r1, r2, r3\n adds r4, r1, #1", 1 + 1),
    K("mul dep", "mul r1, r2, r3\n adds r4, r1, #1", 1 + 1),
    K("mac dep", "mla r1, r2, r3, r4\n adds r5, r1, #1", 1 + 1),
    K("mul_long dep", "smull r1, r2, r3, r4\n adds r5, r2, #1", 1 + 1),
    K("mac_long dep", "smlal r1, r2, r3, r4\n adds r5, r2, #1", 1 + 1),
    K("div dep", "sdiv r1, r2, r3\n adds r4, r1, #1", 7 + 1),
    K("load dep", "ldr r1, [r0]\n adds r2, r1, #1", 2 + 1),
    K("load_narrow dep", "ldrb r1, [r0]\n adds r2, r1, #1", 2 + 1),
    K("load_dual dep", "ldrd r1, r2, [r0]\n adds r3, r2, #1", 3 + 1),
    K("store, base written back, dep", "str r1, [r0], #4\n adds r2, r0, #1", 1 + 1),
    K("store_reg", "str r1, [r0, r2]\n adds r3, r4, #1", 2 + 1),
    K("store_dual", "strd r1, r2, [r0]\n adds r3, r4, #1", 3 + 1),
    K("ldm of 2 dep", "ldm r0, {r1, r2}\n adds r3, r2, #1", (1 + 2) + 1),
    K("stm of 2", "stm r0, {r1, r2}\n adds r3, r4, #1", (1 + 2) + 1),
    K("branch", "bne 1f\n1:", {"cycles": 1, "taken_pen": 1}),
    K("branch_link", "bl 1f\n1:", {"cycles": 1, "taken_pen": 1}),
    K("branch_reg", "bx lr", {"cycles": 1, "taken_pen": 2}),
    K("cbz", CBZ, {"cycles": 1, "taken_pen": 1}),
    K("table_branch", "tbb [pc, r0]", {"cycles": 3, "taken_pen": 3}),
    K("load_pc", "ldr pc, [r0]", {"cycles": 2, "taken_pen": 3}),
    K("ldm_pc", "pop {r4, pc}", {"cycles": 1 + 2, "taken_pen": 3}),
    K("it", "it eq\n addeq r1, r2, r3", 1 + 1),
    K("nop", "nop", 1),
    K("barrier", "dmb", 1),
    K("system", "mrs r1, apsr", 2),
    K("exception", "svc #0", 1),
    K("fp_alu dep", "vadd.f32 s0, s1, s2\n vadd.f32 s3, s0, s4", 1 + 1),
    K("fp_mul dep", "vmul.f32 s0, s1, s2\n vadd.f32 s3, s0, s4", 1 + 1),
    K("fp_mac dep", "vfma.f32 s0, s1, s2\n vadd.f32 s3, s0, s4", 3 + 1),
    K("fp_div dep", "vdiv.f32 s0, s1, s2\n vadd.f32 s3, s0, s4", 14 + 1),
    K("fp_load dep", "vldr s0, [r0]\n vadd.f32 s1, s0, s2", 2 + 1),
    K("fp_store", "vstr s0, [r0]", 2),
    K("fp_ldm of 2 dep", "vldmia r0, {s0, s1}\n vadd.f32 s2, s1, s3", (1 + 2) + 1),
    K("fp_stm of 2", "vstmia r0, {s0, s1}", 1 + 2),
    K("fp_mov dep", "vmov s0, r1\n vadd.f32 s1, s0, s2", 1 + 1),
    K("fp_sys dep", "vmrs r1, fpscr\n adds r2, r1, #1", 1 + 1),
    # TRM 3.3.2: the second LDR is pipelined (N+1): 2 + 1; an STR-imm after an LDR costs 0 more (PIPE).
    K("alu_shifted_const dep", "eor r1, r2, #0x1fc0\n adds r4, r1, #1", 1 + 1),
    K("fp_sqrt dep", "vsqrt.f32 s0, s1\n vadd.f32 s3, s0, s4", 14 + 1),
    # PIPE: a load or register-offset store 'can eat following nop' (nop_free_after): LDR 2 + NOP 0;
    # a CMP is not eaten ('cmp, tst don't work'): 2 + 1.
    K("load, nop", "ldr r1, [r0]\n nop", 2 + 0),
    K("load_narrow, nop", "ldrb r1, [r0]\n nop", 2 + 0),
    K("store_reg, nop", "str r1, [r0, r2]\n nop", 2 + 0),
    K("load, cmp", "ldr r1, [r0]\n cmp r2, #1", 2 + 1),
    K("load pipelining", "ldr r1, [r0]\n ldr r2, [r0, #4]", 2 + 1),
    K("load then store-imm", "ldr r1, [r0]\n str r1, [r0, #4]", 2 + 0),
    K("agu stall", "adds r0, r0, #4\n ldr r1, [r0]", 1 + 1 + 2),      # agu_stall 1
    K("store then load", "str r1, [r0]\n ldr r2, [r0, #4]", 1 + 1 + 2),  # store_then_load 1
    K("unaligned wide target", "add.w r1, r1, #1", {"entry_pen": 1}, at=0x1002),
    K("fetch waits", NOPS8, 8 * 1 + 16 // 4 * 1, fetch_wait=1),
    # Edge: a load at the end of the previous block is not used early enough to stall after the
    # taken branch's refill: LDR 2, B 1 + refill 1, ADDS reads r1 at 3 >= 2: no correction.
    K("edge: load, branch | use", "adds r2, r1, #1", {"corr": 0}, prev="ldr r1, [r0]\n b 1f\n1:"),
    # The AGU stall (agu_stall) needs the address register written by the immediately preceding
    # instruction; POP {.., PC} writes SP, but the return's refill separates it from the LDR: +0.
    K("edge: pop pc | ldr [sp]", "ldr r1, [sp, #4]", {"corr": 0}, prev="pop {r4, pc}"),
    # Not taken, no refill: ADDS r0 then (BNE) ... the LDR's previous instruction is the BNE: +0.
    K("edge: adds, bne not taken | ldr", "ldr r1, [r0]", {"corr": 0}, prev="adds r0, #4\n bne 1f\n1:",
      taken=False),
]

# Cortex-M7: rows in m7.toml cite LLVM ARMScheduleM7.td and PIPE cortex_m7.md.
M7 = [
    K("alu pair", "eor r1, r2, r3\n eor r4, r5, r6", 1),                        # two ALUs: one cycle
    K("alu dep", "eor r1, r2, r3\n eor r4, r1, r6", 1 + 1),                     # latency 1
    K("early alu dep (older add)", "add r1, r2, r3\n add r4, r1, r6", 1),       # early_alu_latency 0: same cycle
    K("movw movt pair", "movw r1, #1\n movt r1, #2", 1),                        # PIPE: pair with mutual dependency
    K("WAW does not pair", "eor r1, r2, r3\n eor r1, r4, r5", 2),               # pair_same_destination false
    K("alu_shift pair", "add.w r1, r2, r3, lsl #2\n add.w r4, r5, r6, lsl #2", 2),   # nopair alu_shift
    K("alu_shift dep", "add.w r1, r2, r3, lsl #2\n eor r4, r1, r5", 1 + 1),
    K("load -> shifted operand", "ldr r1, [r0]\n add.w r2, r3, r1, lsl #2", 1 + 1 + 1),  # load 1 + load_use_extra 1
    # PIPE operand2 matrix: a shifted constant (rotated 8-bit immediate) pairs with neither another
    # shifted constant nor an inline-shifted register (nopair); as the younger op of a bitfield neither.
    K("alu_shifted_const pair", "eor r1, r2, #0x1fc0\n eor r4, r5, #0x1fc0", 2),
    K("alu_shifted_const, alu_shift", "eor r1, r2, #0x1fc0\n add.w r4, r5, r6, lsl #2", 2),
    K("alu_shifted_const dep", "eor r1, r2, #0x1fc0\n eor r4, r1, r5", 1 + 1),
    K("constant pattern pair", "eor r1, r2, #0x1b1b1b1b\n eor r4, r5, #0x1b1b1b1b", 1),   # not shifted: pairs
    K("bitfield, alu_shift", "ubfx r1, r2, #4, #8\n add.w r4, r5, r6, lsl #2", 2),
    # Early ALU (early_alu_latency 0): an older simple shift or rev feeds the younger op in its cycle;
    # a rev result reaches the AGU only at its latency 1 (+ agu_early 1): 1 + 1 + 1.
    K("early shift dep (older)", "lsl.w r1, r2, #2\n add r4, r1, r6", 1),
    K("rev dep (older)", "rev r1, r2\n eor r4, r1, r5", 1),
    K("rev -> address", "rev r1, r2\n ldr r3, [r1]", 1 + 1 + 1),
    # A younger shift runs in the early ALU too (AGU next cycle: 1 + 1), unless the older op uses the
    # early ALU's shifter (shifter_users: a bitfield): then late ALU, a bubble (1 + 1 + 1).
    K("younger shift -> address", "eor r2, r3, r4\n lsl r0, r5, #2\n ldr r1, [r0]", 1 + 1),
    K("younger shift after bitfield -> address", "ubfx r2, r3, #4, #8\n lsl r0, r5, #2\n ldr r1, [r0]",
      1 + 1 + 1),
    K("bitfield after alu (slot0)", "eor r1, r2, r3\n ubfx r4, r5, #4, #8", 2),
    K("bitfield dep", "ubfx r1, r2, #4, #8\n eor r4, r1, r5", 1 + 1),
    K("extend after alu (slot0)", "eor r1, r2, r3\n uxtb r4, r5", 2),
    K("extend dep", "uxtb r1, r2\n eor r4, r1, r5", 1 + 1),
    K("load -> extend", "ldr r1, [r0]\n uxtb r2, r1", 1 + 1 + 1),
    K("simd after alu (slot0)", "eor r1, r2, r3\n sadd16 r4, r5, r6", 2),
    K("simd dep", "sadd16 r1, r2, r3\n eor r4, r1, r5", 2 + 1),
    K("mul pair", "mul r1, r2, r3\n mul r4, r5, r6", 2),                        # one MAC unit
    K("mul dep", "mul r1, r2, r3\n eor r4, r1, r5", 2 + 1),
    K("load -> mul", "ldr r1, [r0]\n mul r2, r1, r3", 1 + 1 + 1),               # PIPE: not the next cycle
    K("mac pair", "mla r1, r2, r3, r4\n mla r5, r6, r7, r8", 2),
    K("mac dep", "mla r1, r2, r3, r4\n eor r5, r1, r6", 2 + 1),
    # Accumulator read acc_late 1 after issue: Ra = the previous MLA's Rd, another Rd: next cycle.
    K("mac acc chain (Ra != Rd)", "mla r1, r2, r3, r4\n mla r5, r6, r7, r1", (2 - 1) + 1),
    K("load -> mac", "ldr r1, [r0]\n mla r2, r1, r3, r4", 1 + 1 + 1),
    K("mul_long pair", "smull r1, r2, r3, r4\n smull r5, r6, r7, r8", 2),
    K("mul_long dep", "smull r1, r2, r3, r4\n eor r5, r2, r6", 2 + 1),
    K("load -> mul_long", "ldr r3, [r0]\n smull r1, r2, r3, r4", 1 + 1 + 1),
    K("mac_long pair", "smlal r1, r2, r3, r4\n smlal r5, r6, r7, r8", 2),
    K("mac_long dep", "smlal r1, r2, r3, r4\n eor r5, r1, r6", 2 + 1),
    K("mac_long acc chain (RdLo, RdHi)", "smlal r1, r2, r3, r4\n smlal r1, r2, r5, r6", (2 - 1) + 1),
    K("load -> mac_long", "ldr r3, [r0]\n smlal r1, r2, r3, r4", 1 + 1 + 1),
    K("div dep", "sdiv r1, r2, r3\n eor r4, r1, r5", 7 + 1),
    K("load pair, other banks", "ldr r1, [r0]\n ldr r2, [r0, #4]", 1),          # two load units
    K("load pair, same bank", "ldr r1, [r0]\n ldr r2, [r0, #8]", 2),             # load_banks
    K("load pair, unknown banks", "ldr r1, [r0]\n ldr r2, [r3]", 2),             # bank_conflict_unknown
    # Two literal loads with equal displacements at 0x1002 and 0x1004 read Align(PC, 4) + 4:
    # 0x1008 and 0x100c, other banks (the addresses, not the displacements, decide): they pair.
    K("literal pair", "ldr r1, [pc, #4]\n ldr r2, [pc, #4]", 1, at=0x1002),
    K("load dep", "ldr r1, [r0]\n eor r2, r1, r3", 1 + 1),
    K("alu -> address", "eor r0, r0, r5\n ldr r1, [r0]", 1 + 1 + 1),             # latency 1 + agu_early 1
    # PIPE overall: an ADD issued as the older op runs in the early ALU, whose result the AGU reads
    # the next cycle (no bubble: 0 + agu_early 1); as the younger op it runs in the late ALU (1 + 1).
    K("older add -> address", "add r0, r0, r5\n ldr r1, [r0]", 0 + 1 + 1),
    K("younger add -> address", "eor r2, r3, r4\n add r0, r0, r5\n ldr r1, [r0]", 1 + 1 + 1),
    K("post-index base -> address", "ldr r1, [r0], #4\n ldr r2, [r0]", 0 + 1 + 1),   # base_writeback 0 + agu_early
    K("load_narrow pair", "ldrb r1, [r0]\n ldrb r2, [r0, #4]", 1),
    K("load_narrow dep", "ldrb r1, [r0]\n eor r2, r1, r3", 2 + 1),
    K("alu -> narrow address", "eor r0, r0, r5\n ldrb r1, [r0]", 1 + 1 + 1),
    K("load_dual alone", "ldrd r1, r2, [r0]\n eor r3, r4, r5", 1 + 1),           # single issue
    K("load_dual dep", "ldrd r1, r2, [r0]\n eor r3, r2, r5", 2 + 1),
    K("alu -> dual address", "eor r0, r0, r5\n ldrd r1, r2, [r0]", 1 + 1 + 1),
    K("store pair", "str r1, [r0]\n str r2, [r0, #4]", 2),                       # one store unit
    K("load, store of it", "ldr r1, [r3]\n str r1, [r0]", 1),                    # data read data_late 1 later
    K("alu -> store address", "eor r0, r0, r5\n str r1, [r0]", 1 + 1 + 1),
    K("store_reg pair", "str r1, [r0, r2]\n str r3, [r0, r4]", 2),
    K("load, store_reg of it", "ldr r1, [r3]\n str r1, [r0, r2]", 1),
    K("alu -> store_reg index", "eor r2, r2, r5\n str r1, [r0, r2]", 1 + 1 + 1),
    K("store_dual alone", "strd r1, r2, [r0]\n eor r3, r4, r5", 1 + 1),
    K("alu -> store_dual address", "eor r0, r0, r5\n strd r1, r2, [r0]", 1 + 1 + 1),
    K("ldm of 2 dep", "ldm r0, {r1, r2}\n eor r5, r1, r6", 1 + 1),               # ceil(2/2) = 1, latency 1
    K("ldm of 2 alone", "ldm r0, {r1, r2}\n eor r5, r6, r7", 1 + 1),             # single issue
    K("alu -> ldm base", "eor r0, r0, r5\n ldm r0, {r1, r2}", 1 + 1 + 1),
    K("stm of 2", "stm r0, {r1, r2}\n eor r5, r6, r7", 1 + 1),
    K("alu -> stm base", "eor r0, r0, r5\n stm r0, {r1, r2}", 1 + 1 + 1),
    K("two branches", "b 1f\n1: b 2f\n2:", {"cycles": 2, "mispredict_pen": 6}),  # one branch unit; no flags: 6
    K("two calls", "bl 1f\n1: bl 2f\n2:", 2),
    K("two register branches", "bx r1\n bx r2", 2),
    K("two cbz", ".set tgt, . + 10\n cbz r0, tgt\n cbz r1, tgt", 2),
    K("call, branch", "bl 1f\n1: b 2f\n2:", 2),            # (two BLs would not pair anyway: both write LR)
    K("subs, bne", "subs r1, #1\n bne 1f\n1:", {"cycles": 1, "mispredict_pen": 8}),   # flags 0 cycles before
    # SUBS|MUL 0, MUL 1, MUL 2, MUL|BNE 3: flags set 3 cycles before the branch -> 6 (PIPE branching).
    K("flags 3 cycles early", "subs r1, #1\n" + "mul r2, r3, r4\n" * 4 + "bne 1f\n1:",
      {"cycles": 4, "mispredict_pen": 6}),
    K("alu -> tbb index", "eor r0, r0, r5\n tbb [pc, r0]", 1 + 1 + 2),
    K("alu -> ldr pc address", "eor r0, r0, r5\n ldr pc, [r0]", 1 + 1 + 1),
    K("pop pc alone", "pop {r4, pc}\n eor r5, r6, r7", 1 + 1),
    K("pop pc dep", "pop {r4, pc}\n eor r5, r4, r6", 1 + 1),               # ceil(2/2) = 1, latency 1
    K("alu -> ldm pc base", "eor r0, r0, r5\n ldm r0, {r4, pc}", 1 + 1 + 1),
    K("it pairs", "it eq\n addeq r1, r2, r3", 1),
    K("nop pair", "nop\n nop", 1),
    K("barrier", "dmb\n eor r1, r2, r3", 3 + 1),
    K("system dep", "mrs r1, apsr\n eor r2, r1, r3", 3 + 1),
    K("exception", "svc #0\n eor r1, r2, r3", 3 + 1),
    K("fp_alu pair", "vadd.f32 s0, s1, s2\n vadd.f32 s3, s4, s5", 2),
    K("fp_alu dep", "vadd.f32 s0, s1, s2\n vadd.f32 s3, s0, s4", 3 + 1),
    K("fp_mul pair", "vmul.f32 s0, s1, s2\n vmul.f32 s3, s4, s5", 2),
    K("fp_mul dep", "vmul.f32 s0, s1, s2\n vadd.f32 s3, s0, s4", 3 + 1),
    K("fp_mac pair", "vfma.f32 s0, s1, s2\n vfma.f32 s3, s4, s5", 2),
    K("fp_mac dep", "vfma.f32 s0, s1, s2\n vfma.f32 s3, s0, s4", 5 + 1),
    K("fp_mac acc chain", "vfma.f32 s0, s1, s2\n vfma.f32 s0, s3, s4", (5 - 2) + 1),
    K("fp_mac, vldr", "vfma.f32 s0, s1, s2\n vldr s5, [r0]", 2),                 # PIPE: no pair with vldr
    K("fp_div dep", "vdiv.f32 s0, s1, s2\n vadd.f32 s3, s0, s4", 16 + 1),
    # PIPE: VDIV/VSQRT take one integer op into their first cycle (pairs_first_cycle), no FP op (nopair).
    K("fp_div with an integer op", "vdiv.f32 s0, s1, s2\n eor r1, r2, r3", 16),
    K("fp_div, vldr", "vdiv.f32 s0, s1, s2\n vldr s5, [r0]", 16 + 1),
    K("fp_sqrt dep", "vsqrt.f32 s0, s1\n vadd.f32 s3, s0, s4", 14 + 1),
    K("fp_sqrt with an integer op", "vsqrt.f32 s0, s1\n eor r1, r2, r3", 14),
    K("fp_sqrt, vldr", "vsqrt.f32 s0, s1\n vldr s5, [r0]", 14 + 1),
    K("fp_load pair", "vldr s0, [r0]\n vldr s1, [r0, #4]", 1),
    K("fp_load dep", "vldr s0, [r0]\n vadd.f32 s1, s0, s2", 1 + 1),
    K("alu -> vldr address", "eor r0, r0, r5\n vldr s0, [r0]", 1 + 1 + 1),
    K("fp_store pair", "vstr s0, [r0]\n vstr s1, [r0, #4]", 2),
    K("alu -> vstr address", "eor r0, r0, r5\n vstr s0, [r0]", 1 + 1 + 1),
    K("fp_ldm dep", "vldmia r0, {s0, s1}\n vadd.f32 s2, s0, s3", 1 + 1),
    K("fp_ldm alone", "vldmia r0, {s0, s1}\n eor r1, r2, r3", 1 + 1),
    K("alu -> vldm base", "eor r0, r0, r5\n vldmia r0, {s0, s1}", 1 + 1 + 1),
    K("fp_stm alone", "vstmia r0, {s0, s1}\n eor r1, r2, r3", 1 + 1),
    K("alu -> vstm base", "eor r0, r0, r5\n vstmia r0, {s0, s1}", 1 + 1 + 1),
    K("fp_mov dep", "vmov s0, r1\n vadd.f32 s1, s0, s2", 3 + 1),
    K("fp_mov pair", "vmov s0, r1\n vmov s3, r2", 1),
    K("fp_sys dep", "vmrs r1, fpscr\n eor r2, r1, r4", 1 + 1),
    K("fp_sys alone", "vmrs r1, fpscr\n eor r2, r3, r4", 1 + 1),
    # Ten STRB, one per cycle while the store buffer's backlog (2 cycles of read-modify-write each,
    # narrow_store_cycles) stays within (store_buffer_depth - 1) * 2 = 6 cycles: stores 0-6 at
    # cycles 0-6, then one every 2 cycles: 8, 10, 12 -> 13.
    K("strb stream", "".join(f"strb r1, [r0, #{i}]\n" for i in range(10)), 13),
    K("fetch waits", NOPS8, 8 // 2 + 16 // 8 * 1, fetch_wait=1),   # NOPs pair; 1 wait per 64-bit fetch
    # Edges (PIPE branching: a predicted taken branch dual issues with one instruction at the target):
    # alone, SUBS|BNE 1 and EOR 1; together SUBS|BNE, EOR|... -> the EOR cannot join a full cycle: +0;
    K("edge: subs|bne -> eor", "eor r1, r2, r3", {"corr": 0}, prev="subs r0, #1\n bne 1f\n1:"),
    # ... but only after two 16-bit instructions (taken_pair_narrow_before 2): MOVS|MOVS 0, B alone
    # in cycle 1 pairs with the target EOR: -1. After a 32-bit ADD.W it does not: 0; nor after a
    # 32-bit LDRD (single issue, B alone in cycle 1): 0.
    K("edge: branch after two .n pairs with target", "eor r1, r2, r3", {"corr": -1},
      prev="movs r4, #1\n movs r5, #2\n b 1f\n1:"),
    K("edge: branch after a .w does not pair", "eor r1, r2, r3", {"corr": 0},
      prev="movs r4, #1\n add.w r5, r5, #2\n b 1f\n1:"),
    K("edge: lone branch after ldrd", "eor r1, r2, r3", {"corr": 0}, prev="ldrd r4, r5, [r0]\n b 1f\n1:"),
    # A load ending the previous block feeds a MAC at the target: LDR 0, B|... LDR|B at 0, MLA at 2
    # (load 1 + load_use_extra 1) instead of 0 on its own: +2 - 1 (the cycle the block boundary had) = +1.
    K("edge: load -> mac across the branch", "mla r2, r1, r3, r4", {"corr": 1}, prev="ldr r1, [r0]\n b 1f\n1:"),
    # Predictor traces (assumptions in m7.toml [params]): a backward loop branch, 4 iterations, 3 times:
    # first execution a BTAC miss predicted taken statically (static_taken_penalty 2), then hits;
    # each exit mispredicts (mispredict 8): 2 + 3 * 8.
    K("loop branch trace", expect={"pen": 2 + 3 * 8}, trace=loop_trace(0x2000, 4, 3)),
    # Five B in one BTAC set (128 entries / 4 ways = 32 sets, 64 bytes apart): LRU thrashes, every
    # execution a miss, taken at decode: 15 x static_taken_penalty 2.
    # A backward branch never taken, 3 executions: a miss each time (only taken executions allocate,
    # btac_allocate_not_taken false) and the static rule guesses taken: 3 x 8.
    K("never-taken backward branch", expect={"pen": 3 * 8},
      trace=tuple((KIND_COND, 0x2000, 0x1ff0, False, 0x2002) for _ in range(3))),
    K("five branches in one set", expect={"pen": 15 * 2}, trace=round_robin([0x2000 + 64 * i for i in range(5)], 3)),
]

M33 = [  # PIPE cortex_m33.md; TRM4 = Cortex-M4 TRM where no M33 measurement exists
    K("alu dep", "adds r1, r2, r3\n adds r4, r1, #1", 1 + 1),
    K("alu_shift dep", "add.w r1, r2, r3, lsl #2\n adds r4, r1, #1", 2 + 1),
    # Shifted constant: latency 2 like a shifted register; setting flags it occupies 2 cycles
    # (flags_issue 2, PIPE 'two stages ... and set a condition flags'); MOVS.W of any constant does not.
    K("alu_shifted_const dep", "eor r1, r2, #0x1fc0\n adds r4, r1, #1", 2 + 1),
    K("alu_shifted_const, indep", "eor r1, r2, #0x1fc0\n adds r4, r5, #1", 1 + 1),
    K("alu_shifted_const sets flags", "adds.w r1, r2, #0x1fc0\n adds r4, r5, #1", 2 + 1),
    K("movs.w shifted constant", "movs.w r1, #0x1fc0\n adds r4, r5, #1", 1 + 1),
    K("muls (flags)", "muls r1, r2, r1\n adds r4, r5, #1", 2 + 1),
    K("bitfield dep", "ubfx r1, r2, #4, #8\n adds r4, r1, #1", 1 + 1),
    K("extend dep", "uxtb r1, r2\n adds r4, r1, #1", 2 + 1),
    # UXTAB's Rn chains like a MAC accumulator (acc_late 1), but not from a load (acc_late_load 0).
    K("extend acc chain", "uxtab r1, r1, r2\n uxtab r1, r1, r3", (2 - 1) + 1),
    K("load -> extend acc", "ldr r1, [r0]\n uxtab r1, r1, r2", (2 - 0) + 1),
    K("simd dep", "sadd16 r1, r2, r3\n adds r4, r1, #1", 1 + 1),
    K("mul dep", "mul r1, r2, r3\n adds r4, r1, #1", 2 + 1),
    K("mac dep", "mla r1, r2, r3, r4\n adds r5, r1, #1", 2 + 1),
    K("mac acc chain", "mla r1, r2, r3, r4\n mla r5, r6, r7, r1", (2 - 1) + 1),
    K("mul_long dep", "smull r1, r2, r3, r4\n adds r5, r2, #1", 2 + 1),
    K("mac_long dep", "smlal r1, r2, r3, r4\n adds r5, r2, #1", 2 + 1),
    K("mac_long acc chain", "smlal r1, r2, r3, r4\n smlal r1, r2, r5, r6", (2 - 1) + 1),
    K("div dep", "sdiv r1, r2, r3\n adds r4, r1, #1", 7 + 1),
    K("load dep", "ldr r1, [r0]\n adds r2, r1, #1", 2 + 1),
    K("load_narrow dep", "ldrb r1, [r0]\n adds r2, r1, #1", 2 + 1),
    K("load_dual dep", "ldrd r1, r2, [r0]\n adds r3, r2, #1", 2 + 1),
    # independent successors: the issue cycles alone (the "dep" kernels above see the latency)
    K("alu_shift, indep", "add.w r1, r2, r3, lsl #2\n adds r4, r5, #1", 1 + 1),
    K("extend, indep", "uxtb r1, r2\n adds r4, r5, #1", 1 + 1),
    K("mul, indep", "mul r1, r2, r3\n adds r4, r5, #1", 1 + 1),
    K("mul_long, indep", "smull r1, r2, r3, r4\n adds r5, r6, #1", 1 + 1),
    K("load_narrow, indep", "ldrb r1, [r0]\n adds r2, r3, #1", 1 + 1),
    K("fp_load, indep", "vldr s0, [r0]\n vadd.f32 s1, s2, s3", 1 + 1),
    K("load, store of it", "ldr r1, [r0]\n str r1, [r0, #4]", 1 + 1),          # store data read 1 late
    K("store, base written back, dep", "str r1, [r0], #4\n adds r2, r0, #1", 1 + 1),
    K("load, store_reg of it", "ldr r1, [r0]\n str r1, [r0, r2]", 1 + 1),
    K("store_dual", "strd r1, r2, [r0]\n adds r3, r4, #1", 2 + 1),
    K("ldm of 2 dep", "ldm r0, {r1, r2}\n adds r3, r2, #1", 2 + 1),
    K("stm of 2", "stm r0, {r1, r2}", 2),
    # A 16-bit branch pairs only with a 16-bit instruction before it in its block ('only two 16 bit
    # instructions can dual issue'): alone, taken 1 + 1, not taken 1.
    K("branch", "bne 1f\n1:", {"cycles": 1, "taken_pen": 1, "nottaken_pen": 0}),
    # After a 16-bit flag-setting ADDS: not taken 0 (narrow_not_taken -1), taken 2 (no pair).
    K("adds, bne", "adds r1, r2\n bne 1f\n1:", {"cycles": 2, "taken_pen": 1, "nottaken_pen": -1}),
    # After a 16-bit ADD that sets no flags: taken 1 (narrow_taken_pair -1).
    K("add, b", "add r1, r2\n b 1f\n1:", {"cycles": 2, "taken_pen": 1 - 1}),
    K("add.w, bne", "add.w r1, r2, #1\n bne 1f\n1:", {"cycles": 2, "taken_pen": 1, "nottaken_pen": 0}),
    # The NOP already issued with the ADD: the branch has no partner left ('only two').
    K("add, nop, b", "add r1, r2\n nop\n b 1f\n1:", {"cycles": 1 + 0 + 1, "taken_pen": 1}),
    K("branch_link", "bl 1f\n1:", {"cycles": 1, "taken_pen": 1}),
    K("branch_reg", "bx lr", {"cycles": 1, "taken_pen": 2}),
    K("cbz", CBZ, {"cycles": 1, "taken_pen": 1}),
    K("table_branch", "tbb [pc, r0]", {"cycles": 3, "taken_pen": 2}),
    # A 16-bit NOP issues with a 16-bit arithmetic or load/store op (nop_free_after,
    # nop_free_narrow_only): 1 + 0; after a 32-bit op or another NOP it costs its cycle.
    K("adds, nop", "adds r1, r2, #1\n nop", 1 + 0),
    K("ldr, nop", "ldr r1, [r0]\n nop", 1 + 0),
    K("add.w, nop", "add.w r1, r2, #1\n nop", 1 + 1),
    K("adds, nop, nop", "adds r1, r2, #1\n nop\n nop", 1 + 0 + 1),
    K("load_pc", "ldr pc, [r0]", {"cycles": 1, "taken_pen": 2}),
    K("ldm_pc", "pop {r4, pc}", {"cycles": 2, "taken_pen": 2}),
    K("it", "it eq\n addeq r1, r2, r3", 0 + 1),
    K("nop", "nop", 1),
    K("barrier", "dmb", 1),
    K("system", "mrs r1, apsr", 2),
    K("exception", "svc #0", 1),
    K("fp_alu dep", "vadd.f32 s0, s1, s2\n vadd.f32 s3, s0, s4", 1 + 1),
    K("fp_mul dep", "vmul.f32 s0, s1, s2\n vadd.f32 s3, s0, s4", 1 + 1),
    # VFMA issues in 1, result latency 3, and no FP instruction in the next 2 cycles (blocks_fp).
    K("fp_mac dep", "vfma.f32 s0, s1, s2\n vadd.f32 s3, s0, s4", 3 + 1),
    K("fp_mac, integer op", "vfma.f32 s0, s1, s2\n adds r1, r2, #1", 1 + 1),
    K("fp_mac, independent FP op", "vfma.f32 s0, s1, s2\n vadd.f32 s3, s4, s5", 1 + 2 + 1),
    K("fp_div dep", "vdiv.f32 s0, s1, s2\n vadd.f32 s3, s0, s4", 14 + 1),
    K("fp_sqrt dep", "vsqrt.f32 s0, s1\n vadd.f32 s3, s0, s4", 14 + 1),
    K("fp_load dep", "vldr s0, [r0]\n vadd.f32 s1, s0, s2", 2 + 1),
    K("fp_store", "vstr s0, [r0]", 1),
    K("fp_ldm of 2 dep", "vldmia r0, {s0, s1}\n vadd.f32 s2, s1, s3", 2 + 1),
    K("fp_stm of 2", "vstmia r0, {s0, s1}", 2),
    K("fp_mov dep", "vmov s0, r1\n vadd.f32 s1, s0, s2", 1 + 1),
    K("fp_sys dep", "vmrs r1, fpscr\n adds r2, r1, #1", 1 + 1),
    K("fetch waits", NOPS8, 8 * 1 + 16 // 4 * 1, fetch_wait=1),
    # Edge: LDR at the end of the previous block, used right after a not-taken branch: LDR 0, BNE 1,
    # ADDS needs r1 at 2 (load-to-use 2): it would start at 2 anyway: +0.
    K("edge: load, bne not taken | use", "adds r2, r1, #1", {"corr": 0}, prev="ldr r1, [r0]\n bne 1f\n1:",
      taken=False),
]

KERNELS = {"m0plus": M0PLUS, "m4": M4, "m7": M7, "m33": M33}
