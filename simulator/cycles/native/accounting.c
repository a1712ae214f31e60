/* mcusim cycle accounting: Unicorn block and memory hooks in C.
 *
 * Python decodes each translated block once (simulator/cycles/model.py) into a static cost;
 * this file adds it per execution, plus what only execution knows: whether the previous
 * block's branch was taken (an unconditional or indirect branch always is; a conditional one
 * iff the new block is not its fall-through), the M7 branch predictor (predictor.py), the edge
 * correction of the (previous, new) block pair (pipeline state carried across the branch,
 * computed once per pair by Python: model.edge_correction), data-access wait states, the
 * instruction budget and per-block totals for profiling.
 * engine.py mirrors every rule in Python (PyAccounting); tests check both agree.
 * Built for the host at first use by simulator/cycles/native.py.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oahash.h"

#define KIND_NONE 0
#define KIND_COND 1
#define KIND_DIRECT 2
#define UC_MEM_WRITE 17
#define MAX_REGIONS 64
#define MAX_BTAC 4096
#define CORRECT 0             /* predictor outcomes, as predictor.py */
#define STATIC_TAKEN 1
#define MISPREDICT 2

#define STALE UINT32_MAX       /* the size of a preloaded block forgotten before it ran */
#define USED 1
#define PRELOADED 2
#define NSUCC 2               /* successors remembered per block: 2 catch 99.97% of VWW/ResNet-8 executions */
#define SUCC_VALID 1
#define SUCC_CORR 2           /* the edge correction is known (needed only when no flush intervened) */

typedef struct {              /* a block seen right after this one: where its entry is, its edge correction */
    uint32_t addr;            /* low 32 bits (the entry found is checked against the full address) */
    uint32_t idx;             /* table index (entries move only in grow(), which forgets every successor) */
    int32_t corr;
    uint32_t flags;           /* SUCC_*; 0 = empty (a zeroed entry is empty) */
} mc_succ;

/* Mirrored by native.py Block. 128 bytes in a 64-byte aligned table: the first cache line holds
 * what finding and charging a block reads (and its successors), the second its totals and what
 * a branch ending it needs. */
typedef struct {
    uint64_t addr;
    uint32_t size;
    uint32_t ninsn;
    int32_t cycles;
    uint32_t kind;
    mc_succ succ[NSUCC];      /* most recent first: the block lookup without hashing */
    uint32_t btac_base;       /* first BTAC slot of branch_pc's set (btac_base_of) */
    uint32_t used;            /* 0 empty, USED, or PRELOADED: entered by mc_preload, not run yet */
    uint64_t execs;           /* times executed */
    uint64_t insns;           /* instructions counted for it */
    uint64_t cycles_acc;      /* cycles attributed to it (static + penalties + data waits) */
    uint64_t branch_pc;
    uint64_t branch_target;   /* a direct branch's target, 0 if none */
    int32_t taken_pen;
    int32_t nottaken_pen;
    int32_t entry_pen;
    int32_t mispredict_pen;
    uint32_t entry_checks;    /* checks.c has alignment sites to check when it starts */
    uint32_t pad;
} mc_block;

typedef struct {              /* one (previous block, next block) edge correction */
    uint64_t from, to;
    int32_t corr;
    uint32_t used;
} mc_edge;

typedef struct {              /* one BTAC way, 16 bytes: a 4-way set is one cache line */
    uint32_t tag;             /* branch pc + 1, 0 = empty (Cortex-M addresses are 32-bit) */
    uint32_t target;
    uint64_t stamp;           /* clock of last use << 2 | the 2-bit counter: clocks are unique, so
                                 stamps order as the clocks do (LRU) */
} mc_way;

static inline uint32_t ctr_of(const mc_way *w) { return (uint32_t)(w->stamp & 3); }
static inline void set_way(mc_way *w, uint64_t clock, uint32_t ctr) { w->stamp = clock << 2 | ctr; }

typedef struct {              /* mirrored by native.py Counters; first member of mc_state */
    uint64_t cycles;
    uint64_t instructions;
    uint64_t budget;          /* 0 = none */
    uint64_t blocks;
    uint64_t block_base;      /* cycles when the current block started (after branch penalties) */
    uint64_t block_mem;       /* data wait cycles charged inside the current block */
    uint64_t branches;
    uint64_t mispredicts;
    uint64_t cur_addr;
    int32_t budget_exceeded;
    int32_t error;            /* the decode callback failed; emulation was stopped */
} mc_counters;

typedef int (*miss_fn)(uint64_t addr, uint32_t size, mc_block *out);
typedef int (*edge_fn)(uint64_t from, uint64_t to, int32_t taken, int32_t *out);
typedef int (*stop_fn)(void *uc);

typedef struct {
    mc_counters c;
    mc_block *table;
    uint64_t cap, count;
    int64_t prev, cur;        /* table indices, -1 = none */
    miss_fn miss;
    edge_fn edge;
    stop_fn stop;
    mc_edge *edges;
    uint64_t edge_cap, edge_count;
    int32_t btac;             /* 1: M7 predictor, 0: static taken/not-taken penalties */
    int32_t predicted_taken;
    int32_t static_taken_penalty;
    int32_t backward_taken;
    int32_t allocate_not_taken;
    uint32_t btac_sets, btac_ways;
    uint64_t clock;
    void *mem;                /* memsys.c state, NULL = no memory system (see mc_set_memsys) */
    void *checks;             /* checks.c state for block-entry checks, NULL = none */
    uint32_t nregions;
    uint64_t rstart[MAX_REGIONS], rend[MAX_REGIONS];
    int32_t rwait[MAX_REGIONS], wwait[MAX_REGIONS];
    _Alignas(64) mc_way way[MAX_BTAC];   /* the BTAC: set s holds ways [s*ways, (s+1)*ways) */
} mc_state;

static int64_t find(const mc_state *st, uint64_t addr) {
    uint64_t i = oa_slot(addr, st->cap);
    while (st->table[i].used) {
        if (st->table[i].addr == addr) return (int64_t)i;
        i = oa_next(i, st->cap);
    }
    return -1;
}

static int64_t place(mc_state *st, const mc_block *b) {
    uint64_t i = oa_slot(b->addr, st->cap);
    while (st->table[i].used) i = oa_next(i, st->cap);
    st->table[i] = *b;
    st->table[i].used = 1;
    return (int64_t)i;
}

/* A zeroed table of n entries, each on its own two cache lines. */
static mc_block *new_table(uint64_t n) {
    void *t = NULL;
    if (posix_memalign(&t, 64, n * sizeof(mc_block)) != 0) return NULL;
    memset(t, 0, n * sizeof(mc_block));
    return t;
}

static void forget_successors(mc_state *st) {
    for (uint64_t j = 0; j < st->cap; j++) memset(st->table[j].succ, 0, sizeof(st->table[j].succ));
}

static int block_used(const void *e) { return ((const mc_block *)e)->used != 0; }
static uint64_t block_slot(const void *e, uint64_t cap) { return oa_slot(((const mc_block *)e)->addr, cap); }

static int grow(mc_state *st) {
    mc_block *old = st->table;
    uint64_t oldcap = st->cap;
    uint64_t prev_addr = st->prev >= 0 ? old[st->prev].addr : 0;
    uint64_t cur_addr = st->cur >= 0 ? old[st->cur].addr : 0;
    mc_block *fresh = new_table(oldcap * 2);
    if (!fresh) return -1;
    oa_rehash(fresh, oldcap * 2, old, oldcap, sizeof(mc_block), block_used, NULL, NULL, block_slot);
    st->table = fresh;
    st->cap = oldcap * 2;
    free(old);
    forget_successors(st);    /* they hold the old indices */
    if (st->prev >= 0) st->prev = find(st, prev_addr);
    if (st->cur >= 0) st->cur = find(st, cur_addr);
    return 0;
}

mc_state *mc_new(void) {
    mc_state *st = NULL;
    if (posix_memalign((void **)&st, 64, sizeof(mc_state)) != 0) return NULL;
    memset(st, 0, sizeof(mc_state));
    st->cap = 1024;
    st->table = new_table(st->cap);
    st->edge_cap = 1024;
    st->edges = calloc(st->edge_cap, sizeof(mc_edge));
    st->prev = st->cur = -1;
    st->btac_sets = 128;
    st->btac_ways = 1;
    if (!st->table || !st->edges) { free(st->table); free(st->edges); free(st); return NULL; }
    return st;
}

void mc_free(mc_state *st) {
    if (!st) return;
    free(st->table);
    free(st->edges);
    free(st);
}

void mc_set_callbacks(mc_state *st, miss_fn miss, edge_fn edge, stop_fn stop) {
    st->miss = miss;
    st->edge = edge;
    st->stop = stop;
}

/* The BTAC set a block's branch maps to, computed once per block rather than per execution. */
static uint32_t btac_base_of(const mc_state *st, uint64_t branch_pc) {
    return (uint32_t)((branch_pc >> 1) % st->btac_sets) * st->btac_ways;
}

/* Returns -1 when the table does not fit (entries * ways beyond MAX_BTAC). */
int mc_set_predictor(mc_state *st, int32_t on, uint32_t entries, uint32_t ways, int32_t predicted_taken,
                     int32_t static_taken_penalty, int32_t backward_taken, int32_t allocate_not_taken) {
    if (ways == 0 || entries < ways || entries > MAX_BTAC) return -1;
    st->btac = on;
    st->btac_ways = ways;
    st->btac_sets = entries / ways;
    st->predicted_taken = predicted_taken;
    st->static_taken_penalty = static_taken_penalty;
    st->backward_taken = backward_taken;
    st->allocate_not_taken = allocate_not_taken;
    for (uint64_t i = 0; i < st->cap; i++)
        if (st->table[i].used) st->table[i].btac_base = btac_base_of(st, st->table[i].branch_pc);
    return 0;
}

int mc_add_region(mc_state *st, uint64_t start, uint64_t size, int32_t read_wait, int32_t write_wait) {
    if (st->nregions >= MAX_REGIONS) return -1;
    st->rstart[st->nregions] = start;
    st->rend[st->nregions] = start + size;
    st->rwait[st->nregions] = read_wait;
    st->wwait[st->nregions] = write_wait;
    st->nregions++;
    return 0;
}

/* Forget counts and branch history; keep decoded costs (they depend only on the code). */
void mc_reset(mc_state *st, int32_t drop_blocks) {
    uint64_t budget = st->c.budget;
    memset(&st->c, 0, sizeof(st->c));
    st->c.budget = budget;
    st->prev = st->cur = -1;
    memset(st->way, 0, sizeof(st->way));
    st->clock = 0;
    for (uint64_t i = 0; i < st->cap; i++) {
        if (drop_blocks) st->table[i].used = 0;
        st->table[i].execs = st->table[i].insns = st->table[i].cycles_acc = 0;
    }
    if (drop_blocks) {
        forget_successors(st);
        st->count = 0;
        memset(st->edges, 0, st->edge_cap * sizeof(mc_edge));
        st->edge_count = 0;
    }
}

/* Copy out the used table entries (for profiling); returns how many were written. */
uint64_t mc_blocks(const mc_state *st, mc_block *out, uint64_t max) {
    uint64_t n = 0;
    for (uint64_t i = 0; i < st->cap && n < max; i++)
        if (st->table[i].used) out[n++] = st->table[i];
    return n;
}

uint64_t mc_block_count(const mc_state *st) { return st->count; }

/* M7 predictor, as predictor.py Btac: set-associative BTAC with LRU and 2-bit counters,
 * allocated on a taken execution; on a miss the static predictor. Returns the outcome. */
static int predict(mc_state *st, const mc_block *br, int taken, uint64_t target) {
    uint64_t pc = br->branch_pc;
    uint32_t base = br->btac_base, ways = st->btac_ways;
    int64_t hit = -1;
    int outcome;
    st->clock++;
    for (uint32_t k = base; k < base + ways; k++)
        if (st->way[k].tag == (uint32_t)(pc + 1)) { hit = k; break; }
    if (hit >= 0) {
        mc_way *w = &st->way[hit];
        uint32_t ctr = ctr_of(w);
        int pred_taken = ctr >= 2;
        int correct = taken ? (pred_taken && w->target == (uint32_t)target) : !pred_taken;
        outcome = correct ? CORRECT : MISPREDICT;
        if (taken) {
            if (ctr < 3) ctr++;
            w->target = (uint32_t)target;
        } else if (ctr > 0) {
            ctr--;
        }
        set_way(w, st->clock, ctr);
    } else {
        if (br->kind == KIND_DIRECT) outcome = STATIC_TAKEN;
        else if (br->kind == KIND_COND) {
            int guess = st->backward_taken && br->branch_target > 0 && br->branch_target <= pc;
            outcome = guess != taken ? MISPREDICT : (taken ? STATIC_TAKEN : CORRECT);
        } else outcome = MISPREDICT;
        if (taken || st->allocate_not_taken) {
            uint32_t victim = base;           /* an empty way, else the least recently used */
            for (uint32_t k = base; k < base + ways; k++)
                if (st->way[victim].tag != 0 && (st->way[k].tag == 0 || st->way[k].stamp < st->way[victim].stamp))
                    victim = k;
            st->way[victim].tag = (uint32_t)(pc + 1);
            st->way[victim].target = (uint32_t)(taken ? target : br->branch_target);
            set_way(&st->way[victim], st->clock, taken ? 2 : 1);
        }
    }
    st->c.branches++;
    if (outcome == MISPREDICT) st->c.mispredicts++;
    return outcome;
}

static int32_t penalty(const mc_state *st, const mc_block *br, int outcome, int taken) {
    if (outcome == MISPREDICT) return br->mispredict_pen;
    if (outcome == STATIC_TAKEN) return st->static_taken_penalty;
    return taken ? st->predicted_taken : 0;
}

static int fail(mc_state *st, void *uc) {
    st->c.error = 1;
    if (st->stop) st->stop(uc);
    return -1;
}

static uint64_t edge_slot(uint64_t from, uint64_t to, uint64_t cap) {
    return oa_slot2(from, to, cap);
}

static int edge_used(const void *e) { return ((const mc_edge *)e)->used != 0; }
static uint64_t edge_slot_of(const void *e, uint64_t cap) {
    return edge_slot(((const mc_edge *)e)->from, ((const mc_edge *)e)->to, cap);
}
static int edge_not_touching(const void *e, const void *addr) {
    const mc_edge *x = e;
    return x->from != *(const uint64_t *)addr && x->to != *(const uint64_t *)addr;
}

/* Rebuild the edge table with cap entries, leaving out the edges from or to drop (when
 * dropping). Returns -1 when out of memory (the table is then unchanged). */
static int edge_rehash(mc_state *st, uint64_t cap, int dropping, uint64_t drop) {
    mc_edge *fresh = calloc(cap, sizeof(mc_edge));
    if (!fresh) return -1;
    st->edge_count = oa_rehash(fresh, cap, st->edges, st->edge_cap, sizeof(mc_edge), edge_used,
                               dropping ? edge_not_touching : NULL, &drop, edge_slot_of);
    free(st->edges);
    st->edges = fresh;
    st->edge_cap = cap;
    return 0;
}

static int edge_grow(mc_state *st) {
    return edge_rehash(st, st->edge_cap * 2, 0, 0);
}

/* The correction for running block b right after block p, from the edge table or else
 * computed once by Python. Returns -1 (and stops emulation) when the callback or the table failed. */
static int edge_correction(mc_state *st, void *uc, const mc_block *p, const mc_block *b, int taken, int32_t *out) {
    uint64_t k = edge_slot(p->addr, b->addr, st->edge_cap);
    while (st->edges[k].used) {
        if (st->edges[k].from == p->addr && st->edges[k].to == b->addr) break;
        k = oa_next(k, st->edge_cap);
    }
    if (!st->edges[k].used) {
        int32_t corr = 0;
        if (!st->edge || st->edge(p->addr, b->addr, taken, &corr) != 0) return fail(st, uc);
        if ((st->edge_count + 1) * 4 > st->edge_cap * 3) {
            if (edge_grow(st) != 0) return fail(st, uc);
            k = edge_slot(p->addr, b->addr, st->edge_cap);
            while (st->edges[k].used) k = oa_next(k, st->edge_cap);
        }
        st->edges[k].from = p->addr;
        st->edges[k].to = b->addr;
        st->edges[k].corr = corr;
        st->edges[k].used = 1;
        st->edge_count++;
    }
    *out = st->edges[k].corr;
    return 0;
}
/* --- blocks decoded by an earlier run (engine.Accounting.preload) --------------------------- */

/* Enter block b before emulation meets it, as a miss would have (its counts zero). An address
 * already present is kept. Returns -1 when out of memory. */
int mc_preload(mc_state *st, const mc_block *b) {
    if (find(st, b->addr) >= 0) return 0;
    if ((st->count + 1) * 4 > st->cap * 3 && grow(st) != 0) return -1;
    mc_block nb = *b;
    nb.btac_base = btac_base_of(st, nb.branch_pc);
    memset(nb.succ, 0, sizeof(nb.succ));
    nb.execs = nb.insns = nb.cycles_acc = 0;
    st->count++;
    place(st, &nb);
    st->table[find(st, b->addr)].used = PRELOADED;
    return 0;
}

/* Enter the edge correction of a preloaded pair. Returns -1 when out of memory. */
int mc_preload_edge(mc_state *st, uint64_t from, uint64_t to, int32_t corr) {
    uint64_t k = edge_slot(from, to, st->edge_cap);
    while (st->edges[k].used) {
        if (st->edges[k].from == from && st->edges[k].to == to) return 0;
        k = oa_next(k, st->edge_cap);
    }
    if ((st->edge_count + 1) * 4 > st->edge_cap * 3) {
        if (edge_grow(st) != 0) return -1;
        k = edge_slot(from, to, st->edge_cap);
        while (st->edges[k].used) k = oa_next(k, st->edge_cap);
    }
    st->edges[k] = (mc_edge){from, to, corr, 1};
    st->edge_count++;
    return 0;
}

/* 1 if the block at addr is a preloaded one that has not run, 0 otherwise. With forget set,
 * such a block is marked STALE (a size no translation has) and its preloaded edges dropped,
 * so that its next execution decodes it again, as if it had never been preloaded (no
 * successor list holds it: only a block that ran is entered in one). -1: out of memory. */
int mc_preloaded_unrun(mc_state *st, uint64_t addr, int32_t forget) {
    int64_t i = find(st, addr);
    if (i < 0 || st->table[i].used != PRELOADED) return 0;
    if (forget) {
        if (edge_rehash(st, st->edge_cap, 1, addr) != 0) return -1;
        st->table[i].size = STALE;
    }
    return 1;
}

/* --- the memory system (memsys.c): the only coupling between the two files --------------- */
uint64_t ms_fetch(void *ms, uint64_t addr, uint32_t size);

void mc_set_memsys(mc_state *st, void *ms) { st->mem = ms; }

/* Stall cycles from the memory system: on the counter, the current block's totals, and the
 * in-block offset that DWT reads add (block_mem). */
void mc_charge(mc_state *st, uint64_t cycles) {
    st->c.cycles += cycles;
    st->c.block_mem += cycles;
    if (st->cur >= 0) st->table[st->cur].cycles_acc += cycles;
}

static void memsys_fetch(mc_state *st, uint64_t addr, uint32_t size) {
    uint64_t stall = ms_fetch(st->mem, addr, size);
    if (stall) mc_charge(st, stall);
}
/* ------------------------------------------------------------------------------------------- */

static int64_t lookup_or_decode(mc_state *st, void *uc, uint64_t addr, uint32_t size) {
    int64_t i = find(st, addr);
    if (i >= 0 && st->table[i].size == size) return i;
    mc_block nb;
    memset(&nb, 0, sizeof(nb));
    nb.addr = addr;
    nb.size = size;
    if (!st->miss || st->miss(addr, size, &nb) != 0) return fail(st, uc);
    nb.btac_base = btac_base_of(st, nb.branch_pc);
    memset(nb.succ, 0, sizeof(nb.succ));
    if (i >= 0) {             /* retranslated with another size: keep its totals, forget its edges */
        mc_block *old = &st->table[i];
        if (old->size != STALE) {   /* (a stale preloaded block's edges went in mc_preloaded_unrun) */
            forget_successors(st);
            memset(st->edges, 0, st->edge_cap * sizeof(mc_edge));
            st->edge_count = 0;
        }
        nb.execs = old->execs; nb.insns = old->insns; nb.cycles_acc = old->cycles_acc;
        nb.used = 1;
        *old = nb;
        return i;
    }
    if ((st->count + 1) * 4 > st->cap * 3 && grow(st) != 0) return fail(st, uc);
    st->count++;
    return place(st, &nb);
}

/* The table index of the block (addr, size) that runs after p: p's successor list holds it
 * (moved to the front), else the hash table or a decode adds it there. NULL *s when p is. */
static int64_t next_block(mc_state *st, void *uc, uint64_t addr, uint32_t size, mc_succ **s) {
    mc_block *p = st->prev >= 0 ? &st->table[st->prev] : NULL;
    *s = NULL;
    if (p) {
        for (int k = 0; k < NSUCC; k++) {
            mc_succ *e = &p->succ[k];
            if (!(e->flags & SUCC_VALID) || e->addr != (uint32_t)addr) continue;
            const mc_block *b = &st->table[e->idx];
            if (b->addr != addr || b->size != size) break;  /* retranslated: decoded again below */
            if (k) {
                mc_succ hit = *e;
                memmove(&p->succ[1], &p->succ[0], (size_t)k * sizeof(mc_succ));
                p->succ[0] = hit;
            }
            *s = &p->succ[0];
            return p->succ[0].idx;
        }
    }
    int64_t i = lookup_or_decode(st, uc, addr, size);    /* may move the table (and st->prev) */
    if (i < 0 || st->prev < 0) return i;
    p = &st->table[st->prev];
    memmove(&p->succ[1], &p->succ[0], (NSUCC - 1) * sizeof(mc_succ));
    p->succ[0] = (mc_succ){(uint32_t)addr, (uint32_t)i, 0, SUCC_VALID};
    *s = &p->succ[0];
    return i;
}

int ck_block_entry(void *checks, void *uc, uint64_t block);     /* checks.c */

void mc_set_checks(mc_state *st, void *checks) { st->checks = checks; }

void mc_block_hook(void *uc, uint64_t addr, uint32_t size, void *user) {
    mc_state *st = (mc_state *)user;
    mc_succ *s;
    int64_t i = next_block(st, uc, addr, size, &s);
    if (i < 0) return;
    mc_block *b = &st->table[i];
    if (b->entry_checks && st->checks && ck_block_entry(st->checks, uc, addr)) {
        if (st->stop) st->stop(uc);             /* before it runs, uncounted: checks.py resumes it */
        return;
    }
    if (st->prev >= 0) {
        mc_block *p = &st->table[st->prev];
        if (p->kind != KIND_NONE) {
            int taken = p->kind != KIND_COND || addr != p->addr + p->size;
            int64_t pen;
            int flushed = 0;
            if (st->btac) {
                int outcome = predict(st, p, taken, addr);
                pen = penalty(st, p, outcome, taken);
                flushed = outcome != CORRECT;
            } else {
                pen = taken ? p->taken_pen + b->entry_pen : p->nottaken_pen;
            }
            st->c.cycles += (uint64_t)pen;
            p->cycles_acc += (uint64_t)pen;
            if (!flushed) {   /* the pipeline carried on from p into b: their edge correction */
                int32_t corr = 0;
                if (s->flags & SUCC_CORR) corr = s->corr;
                else if (edge_correction(st, uc, p, b, taken, &corr) == 0) {
                    s->corr = corr;
                    s->flags |= SUCC_CORR;
                }
                st->c.cycles += (uint64_t)(int64_t)corr;
                b->cycles_acc += (uint64_t)(int64_t)corr;
            }
        }
    }
    st->c.block_base = st->c.cycles;
    st->c.block_mem = 0;
    st->c.cycles += (uint64_t)(int64_t)b->cycles;
    st->c.instructions += b->ninsn;
    st->c.blocks++;
    st->c.cur_addr = addr;
    if (b->used != USED) b->used = USED;
    b->execs++;
    b->insns += b->ninsn;
    b->cycles_acc += (uint64_t)(int64_t)b->cycles;
    st->prev = st->cur = i;
    if (st->mem) memsys_fetch(st, addr, size);
    if (st->c.budget && st->c.instructions > st->c.budget && !st->c.budget_exceeded) {
        st->c.budget_exceeded = 1;
        if (st->stop) st->stop(uc);
    }
}

void mc_mem_hook(void *uc, int type, uint64_t addr, int size, int64_t value, void *user) {
    mc_state *st = (mc_state *)user;
    (void)uc; (void)size; (void)value;
    for (uint32_t r = 0; r < st->nregions; r++) {
        if (addr >= st->rstart[r] && addr < st->rend[r]) {
            int32_t w = type == UC_MEM_WRITE ? st->wwait[r] : st->rwait[r];
            st->c.cycles += (uint64_t)w;
            st->c.block_mem += (uint64_t)w;
            if (st->cur >= 0) st->table[st->cur].cycles_acc += (uint64_t)w;
            return;
        }
    }
}

/* Cycles known only while a block executes (a data-dependent divide: checks.c), charged to
 * the running block; n < 0 when the instruction is cheaper than its static charge. Counted in
 * block_mem too, so a DWT read later in the same block sees them. */
void mc_add_cycles(void *state, int64_t n) {
    mc_state *st = (mc_state *)state;
    st->c.cycles += (uint64_t)n;
    st->c.block_mem += (uint64_t)n;
    if (st->cur >= 0) st->table[st->cur].cycles_acc += (uint64_t)n;
}

/* sizeof(mc_block), checked against native.py's Block at load (the two must stay in step). */
_Static_assert(sizeof(mc_block) == 128, "mc_block: two cache lines");
uint64_t mc_block_size(void) { return sizeof(mc_block); }
