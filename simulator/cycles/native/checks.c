/* mcusim per-instruction checks: one Unicorn code hook in C on the few instructions that need
 * one (simulator/machine/checks.py registers it on exactly those addresses).
 *
 * Python callbacks on these sites cost more than the whole emulation (VWW: 237,352 calls,
 * 0.75 s of 1.42 s); the same work here costs what a C call costs. Each site is one of:
 *   SITE_ALIGN   LDRD/STRD/LDM/STM/exclusive/VFP load-store whose base is not SP: the effective
 *                address (base register + displacement, 0 for post-indexed forms) must be a
 *                multiple of the site's alignment (ARMv7-M ARM A3.2.1), else: fault, stop.
 *   SITE_DIVIDE  SDIV/UDIV: a zero divisor with CCR.DIV_0_TRP set faults (ARMv7-M ARM B3.2.8);
 *                with a data-dependent divide rule in the core's timing table, the cycles the
 *                rule gives minus the static charge already in the block's cost are added to
 *                the accounting (mc_add_cycles in accounting.c).
 * A fault is recorded (kind, pc, address) and emulation stopped; Python turns the record into
 * the typed error (UnalignedAccess, DivideByZero). Unicorn's uc_reg_read, uc_mem_read and
 * uc_emu_stop arrive as function pointers from Python (the library does not link unicorn).
 */
#include <stdint.h>
#include <stdlib.h>

#include "oahash.h"

#define SITE_ALIGN 1
#define SITE_DIVIDE 2
#define FAULT_UNALIGNED 1
#define FAULT_DIVZERO 2

typedef int (*reg_read_fn)(void *uc, int regid, void *value);
typedef int (*mem_read_fn)(void *uc, uint64_t address, void *bytes, uint64_t size);
typedef int (*stop_fn)(void *uc);

void mc_add_cycles(void *acc, int64_t n);       /* accounting.c */

typedef struct {
    uint64_t addr;            /* 0 = empty slot */
    int32_t kind;             /* SITE_* */
    int32_t base_reg;         /* unicorn register id of the base (SITE_ALIGN) */
    int32_t disp;
    uint32_t align;
    uint32_t hooked;          /* has its own code hook (then no block-entry check) */
    uint32_t pad;
} ck_site;

#define BASE_AT_ENTRY 0       /* how a block-entry check finds the site's base (ck_entry.how) */
#define BASE_SP_PLUS 1        /* sp at block entry + off */
#define BASE_LOADED 2         /* the word at sp at block entry + off */

typedef struct {              /* an alignment site checked when the block holding it starts */
    uint64_t block, site;
    int32_t how, off;         /* BASE_*: the base register the site will use, from the entry state */
    uint32_t used, pad;
} ck_entry;

typedef struct {              /* mirrored by native.py CheckRecord; first member of ck_state */
    int32_t fault;            /* 0 or FAULT_* */
    int32_t div_trap;         /* CCR.DIV_0_TRP as the firmware last wrote it (Python keeps it) */
    uint64_t fault_pc;
    uint64_t fault_addr;
    uint64_t align_checks;    /* executions of alignment sites */
    uint64_t divides;         /* executions of divide sites */
    uint64_t entry_checks;    /* alignment sites checked at block entry */
    uint64_t entry_block;     /* the block stopped before it ran: a site in it would fault (0: none) */
    uint64_t entry_site;
} ck_record;

typedef struct {
    ck_record r;
    reg_read_fn reg_read;
    mem_read_fn mem_read;
    stop_fn stop;
    void *acc;                /* accounting state for divide timing, NULL: fixed charge */
    int32_t div_min, div_max, div_static;
    int32_t gpr[16];          /* unicorn register ids of r0..r15 */
    ck_site *sites;
    uint64_t cap, count;
    ck_entry *entries;        /* keyed by block; several per block */
    uint64_t ecap, ecount;
} ck_state;

static ck_site *find_site(const ck_state *st, uint64_t addr) {
    uint64_t i = oa_slot(addr, st->cap);
    while (st->sites[i].addr) {
        if (st->sites[i].addr == addr) return &st->sites[i];
        i = oa_next(i, st->cap);
    }
    return NULL;
}

ck_state *ck_new(reg_read_fn reg_read, mem_read_fn mem_read, stop_fn stop, const int32_t *gpr) {
    ck_state *st = calloc(1, sizeof(ck_state));
    if (!st) return NULL;
    st->cap = 64;
    st->sites = calloc(st->cap, sizeof(ck_site));
    st->ecap = 64;
    st->entries = calloc(st->ecap, sizeof(ck_entry));
    if (!st->sites || !st->entries) { free(st->sites); free(st->entries); free(st); return NULL; }
    st->reg_read = reg_read;
    st->mem_read = mem_read;
    st->stop = stop;
    for (int i = 0; i < 16; i++) st->gpr[i] = gpr[i];
    return st;
}

void ck_free(ck_state *st) {
    if (!st) return;
    free(st->sites);
    free(st->entries);
    free(st);
}

static int site_used(const void *e) { return ((const ck_site *)e)->addr != 0; }
static uint64_t site_slot(const void *e, uint64_t cap) { return oa_slot(((const ck_site *)e)->addr, cap); }

static int grow(ck_state *st) {
    ck_site *fresh = calloc(st->cap * 2, sizeof(ck_site));
    if (!fresh) return -1;
    oa_rehash(fresh, st->cap * 2, st->sites, st->cap, sizeof(ck_site), site_used, NULL, NULL, site_slot);
    free(st->sites);
    st->sites = fresh;
    st->cap *= 2;
    return 0;
}

/* Register a site before its hook is added; an address registered twice keeps the first. */
int ck_add_site(ck_state *st, uint64_t addr, int32_t kind, int32_t base_reg, int32_t disp, uint32_t align) {
    if (!addr || find_site(st, addr)) return addr ? 0 : -1;
    if ((st->count + 1) * 2 > st->cap && grow(st) != 0) return -1;
    uint64_t i = oa_slot(addr, st->cap);
    while (st->sites[i].addr) i = oa_next(i, st->cap);
    st->sites[i] = (ck_site){addr, kind, base_reg, disp, align};
    st->count++;
    return 0;
}

static uint32_t reg(ck_state *st, void *uc, int32_t id) {
    uint32_t v = 0;
    st->reg_read(uc, id, &v);
    return v;
}

/* --- block-entry alignment checks -------------------------------------------------------------
 * A code hook costs every execution of its instruction a walk of Unicorn's whole code-hook list
 * (checks.py). An alignment site whose base register no earlier instruction of its block
 * writes has, when the block starts, the base it will use: the accounting's block hook checks
 * it there (ck_block_entry). Aligned, the block runs unhooked; misaligned, the block is stopped
 * before it runs and Python gives the site its own code hook (checks.py resume_point), which
 * then faults at the instruction itself, exactly as before. */

static int entry_used(const void *e) { return ((const ck_entry *)e)->used != 0; }
static uint64_t entry_slot(const void *e, uint64_t cap) { return oa_slot(((const ck_entry *)e)->block, cap); }

/* Check site at the start of block, its base found as how/off say (a site already registered
 * for the block is kept). -1: no memory. */
int ck_add_entry(ck_state *st, uint64_t block, uint64_t site, int32_t how, int32_t off) {
    uint64_t i = oa_slot(block, st->ecap);
    for (; st->entries[i].used; i = oa_next(i, st->ecap))
        if (st->entries[i].block == block && st->entries[i].site == site) return 0;
    if ((st->ecount + 1) * 2 > st->ecap) {
        ck_entry *fresh = calloc(st->ecap * 2, sizeof(ck_entry));
        if (!fresh) return -1;
        oa_rehash(fresh, st->ecap * 2, st->entries, st->ecap, sizeof(ck_entry), entry_used, NULL, NULL, entry_slot);
        free(st->entries);
        st->entries = fresh;
        st->ecap *= 2;
        for (i = oa_slot(block, st->ecap); st->entries[i].used; i = oa_next(i, st->ecap)) {}
    }
    st->entries[i] = (ck_entry){block, site, how, off, 1, 0};
    st->ecount++;
    return 0;
}

/* The site got its own code hook: block-entry checks leave it to that. */
void ck_mark_hooked(ck_state *st, uint64_t site) {
    ck_site *s = find_site(st, site);
    if (s) s->hooked = 1;
}

/* Called by accounting.c when a block with entry checks starts (before it runs or is counted).
 * 1: a site of it would fault; the block and site are recorded, the caller stops emulation. */
int ck_block_entry(void *state, void *uc, uint64_t block) {
    ck_state *st = (ck_state *)state;
    if (st->r.fault) return 0;
    for (uint64_t i = oa_slot(block, st->ecap); st->entries[i].used; i = oa_next(i, st->ecap)) {
        if (st->entries[i].block != block) continue;
        const ck_site *s = find_site(st, st->entries[i].site);
        if (!s || s->hooked || s->kind != SITE_ALIGN) continue;
        st->r.entry_checks++;
        uint32_t base = 0;
        if (st->entries[i].how == BASE_AT_ENTRY) base = reg(st, uc, s->base_reg);
        else {
            uint32_t at = reg(st, uc, st->gpr[13]) + (uint32_t)st->entries[i].off;
            if (st->entries[i].how == BASE_SP_PLUS) base = at;
            else if (st->mem_read(uc, at, &base, 4) != 0) base = 1;     /* unreadable: let the hook see */
        }
        uint32_t ea = base + (uint32_t)s->disp;
        if (ea % s->align) {
            st->r.entry_block = block;
            st->r.entry_site = s->addr;
            return 1;
        }
    }
    return 0;
}

void ck_set_divide_timing(ck_state *st, void *acc, int32_t div_min, int32_t div_max, int32_t div_static) {
    st->acc = acc;
    st->div_min = div_min;
    st->div_max = div_max;
    st->div_static = div_static;
}

static uint32_t clz32(uint32_t x) {
    return x ? (uint32_t)__builtin_clz(x) : 32u;
}

/* Early-termination divide: cycles = min + ceil(q * (max - min) / 32), q the significant
 * quotient bits max(0, clz(|d|) - clz(|n|) + 1) (operand measure of the Cortex-R4 TRM,
 * DDI0363G C.8: magnitudes of signed operands). A zero divisor ends at once: min. */
int32_t ck_divide_cycles(uint32_t n, uint32_t d, int32_t is_signed, int32_t div_min, int32_t div_max) {
    if (d == 0) return div_min;
    if (is_signed) {
        if ((int32_t)n < 0) n = 0u - n;
        if ((int32_t)d < 0) d = 0u - d;
    }
    int32_t q = (int32_t)clz32(d) - (int32_t)clz32(n) + 1;
    if (q < 0) q = 0;
    return div_min + (q * (div_max - div_min) + 31) / 32;
}

static void fault(ck_state *st, void *uc, int32_t kind, uint64_t pc, uint64_t addr) {
    if (st->r.fault) return;
    st->r.fault = kind;
    st->r.fault_pc = pc;
    st->r.fault_addr = addr;
    st->stop(uc);
}


static void check_alignment(ck_state *st, void *uc, const ck_site *s, uint64_t pc) {
    st->r.align_checks++;
    uint32_t ea = reg(st, uc, s->base_reg) + (uint32_t)s->disp;
    if (ea % s->align) fault(st, uc, FAULT_UNALIGNED, pc, ea);
}

/* SDIV (FB9n Fdfm) / UDIV (FBBn Fdfm), ARMv7-M ARM A7.7.127 / A7.7.195. The encoding is read
 * again at the PC: a site is found by a byte pattern and may lie in data. */
static void check_divide(ck_state *st, void *uc, uint64_t pc, uint32_t size) {
    uint16_t hw[2];
    if (size != 4 || st->mem_read(uc, pc, hw, 4) != 0) return;
    if ((hw[0] & 0xFFD0) != 0xFB90 || (hw[1] & 0xF0F0) != 0xF0F0) return;
    uint32_t d = reg(st, uc, st->gpr[hw[1] & 0xF]);
    st->r.divides++;
    if (d == 0 && st->r.div_trap) {
        fault(st, uc, FAULT_DIVZERO, pc, 0);
        return;
    }
    if (st->acc) {
        uint32_t n = reg(st, uc, st->gpr[hw[0] & 0xF]);
        int32_t is_signed = (hw[0] & 0x0020) == 0;
        mc_add_cycles(st->acc, ck_divide_cycles(n, d, is_signed, st->div_min, st->div_max) - st->div_static);
    }
}

void ck_code_hook(void *uc, uint64_t addr, uint32_t size, void *user) {
    ck_state *st = (ck_state *)user;
    const ck_site *s = find_site(st, addr);
    if (!s || st->r.fault) return;
    if (s->kind == SITE_ALIGN) check_alignment(st, uc, s, addr);
    else if (s->kind == SITE_DIVIDE) check_divide(st, uc, addr, size);
}
