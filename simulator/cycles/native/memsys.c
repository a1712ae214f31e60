/* mcusim memory system: set-associative LRU caches, line fills, wait states, unaligned penalties.
 *
 * The board's description (simulator/boards/memory.py) is handed over by
 * simulator/cycles/memsys.py: caches (sets x ways x line), and per memory region which cache
 * serves its instruction fetches and its data accesses, what one line fill costs, and what an
 * access costs where no cache serves it. Two entry points charge time:
 *   ms_fetch     called by accounting.c once per block execution, for the block's byte range;
 *   ms_mem_hook  a Unicorn data-access hook, registered only on the ranges that need it.
 * Stall cycles go to the accounting through mc_charge() (the cycle counter, the current block's
 * totals and the in-block offset DWT reads use). simulator/cycles/refcache.py is the same
 * policy in Python; tests check both give identical hit/miss counts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MS_MAX_CACHES 4
#define MS_MAX_REGIONS 32
#define MS_UC_MEM_WRITE 17            /* unicorn's uc_mem_type UC_MEM_WRITE */

void mc_charge(void *acc, uint64_t cycles);           /* accounting.c */

typedef struct {              /* mirrored by native.py MemCounters; first member of ms_state */
    uint64_t i_hits, i_misses, d_hits, d_misses;
    uint64_t i_stall, d_stall;        /* cycles spent waiting for fills or uncached memory */
    uint64_t writebacks;              /* dirty lines evicted: counted, not charged (eviction buffer) */
    uint64_t unaligned, unaligned_stall;
} ms_counters;

typedef struct {
    uint32_t sets, ways, line_shift, write_back, write_allocate;
    uint64_t tick;
    uint64_t *tag;            /* [sets * ways]: line number + 1, 0 = invalid */
    uint64_t *stamp;          /* last use, for LRU */
    uint8_t *dirty;
} ms_cache;

typedef struct {
    ms_counters c;
    void *acc;
    uint32_t ncaches, nregions;
    ms_cache cache[MS_MAX_CACHES];
    uint64_t rstart[MS_MAX_REGIONS], rend[MS_MAX_REGIONS];
    int32_t icache[MS_MAX_REGIONS], dcache[MS_MAX_REGIONS];   /* cache index, -1 = none */
    int32_t fill[MS_MAX_REGIONS];                              /* cycles per line fill */
    int32_t rwait[MS_MAX_REGIONS], wwait[MS_MAX_REGIONS];      /* per access where no D-cache */
    int32_t ua_load[3], ua_store[3];  /* [halfword, word at +2, word at +1/+3] */
    int32_t last;                     /* region of the previous lookup */
    uint64_t rstall[MS_MAX_REGIONS];  /* stall cycles per region (fills from it, its waits) */
} ms_state;

ms_state *ms_new(void) {
    ms_state *ms = calloc(1, sizeof(ms_state));
    if (ms) ms->last = -1;
    return ms;
}

void ms_free(ms_state *ms) {
    if (!ms) return;
    for (uint32_t i = 0; i < ms->ncaches; i++) {
        free(ms->cache[i].tag);
        free(ms->cache[i].stamp);
        free(ms->cache[i].dirty);
    }
    free(ms);
}

/* Returns the cache's index, or -1 (too many caches, bad geometry, out of memory). */
int ms_add_cache(ms_state *ms, uint32_t sets, uint32_t ways, uint32_t line,
                 int32_t write_back, int32_t write_allocate) {
    if (ms->ncaches >= MS_MAX_CACHES || !sets || !ways || (sets & (sets - 1)) || !line || (line & (line - 1)))
        return -1;
    ms_cache *k = &ms->cache[ms->ncaches];
    k->sets = sets; k->ways = ways; k->write_back = write_back; k->write_allocate = write_allocate;
    k->line_shift = 0;
    while ((1u << k->line_shift) < line) k->line_shift++;
    k->tag = calloc((size_t)sets * ways, sizeof(uint64_t));
    k->stamp = calloc((size_t)sets * ways, sizeof(uint64_t));
    k->dirty = calloc((size_t)sets * ways, 1);
    if (!k->tag || !k->stamp || !k->dirty) return -1;
    return (int)ms->ncaches++;
}

int ms_add_region(ms_state *ms, uint64_t start, uint64_t size, int32_t icache, int32_t dcache,
                  int32_t fill, int32_t read_wait, int32_t write_wait) {
    if (ms->nregions >= MS_MAX_REGIONS) return -1;
    uint32_t r = ms->nregions++;
    ms->rstart[r] = start; ms->rend[r] = start + size;
    ms->icache[r] = icache; ms->dcache[r] = dcache; ms->fill[r] = fill;
    ms->rwait[r] = read_wait; ms->wwait[r] = write_wait;
    return 0;
}

void ms_set_unaligned(ms_state *ms, int32_t l0, int32_t l1, int32_t l2, int32_t s0, int32_t s1, int32_t s2) {
    ms->ua_load[0] = l0; ms->ua_load[1] = l1; ms->ua_load[2] = l2;
    ms->ua_store[0] = s0; ms->ua_store[1] = s1; ms->ua_store[2] = s2;
}

void ms_set_accounting(ms_state *ms, void *acc) { ms->acc = acc; }

/* Empty every cache and zero the counters: the state at power-on, after invalidation. */
void ms_reset(ms_state *ms) {
    memset(&ms->c, 0, sizeof(ms->c));
    memset(ms->rstall, 0, sizeof(ms->rstall));
    for (uint32_t i = 0; i < ms->ncaches; i++) {
        ms_cache *k = &ms->cache[i];
        size_t n = (size_t)k->sets * k->ways;
        memset(k->tag, 0, n * sizeof(uint64_t));
        memset(k->stamp, 0, n * sizeof(uint64_t));
        memset(k->dirty, 0, n);
        k->tick = 0;
    }
}

static int32_t region_of(ms_state *ms, uint64_t addr) {
    int32_t r = ms->last;
    if (r >= 0 && addr >= ms->rstart[r] && addr < ms->rend[r]) return r;
    for (uint32_t i = 0; i < ms->nregions; i++)
        if (addr >= ms->rstart[i] && addr < ms->rend[i]) { ms->last = (int32_t)i; return (int32_t)i; }
    return -1;
}

/* One access to the line holding ``addr``: 1 = hit, 0 = miss (the line is then allocated,
 * unless it is a write miss without write-allocate). LRU: the way used longest ago is evicted,
 * an invalid way first. */
static int lookup(ms_state *ms, ms_cache *k, uint64_t addr, int write) {
    uint64_t line = addr >> k->line_shift;
    uint64_t *tag = k->tag + (size_t)(line & (k->sets - 1)) * k->ways;
    uint64_t *stamp = k->stamp + (tag - k->tag);
    uint8_t *dirty = k->dirty + (tag - k->tag);
    uint32_t victim = 0;
    k->tick++;
    for (uint32_t w = 0; w < k->ways; w++) {
        if (tag[w] == line + 1) {
            stamp[w] = k->tick;
            if (write && k->write_back) dirty[w] = 1;
            return 1;
        }
    }
    if (write && !k->write_allocate) return 0;
    for (uint32_t w = 0; w < k->ways; w++) {          /* first invalid way, else least recent */
        if (!tag[w]) { victim = w; break; }
        if (stamp[w] < stamp[victim]) victim = w;
    }
    if (tag[victim] && dirty[victim]) ms->c.writebacks++;
    tag[victim] = line + 1;
    stamp[victim] = k->tick;
    dirty[victim] = (uint8_t)(write && k->write_back);
    return 0;
}

/* Stall cycles per region, in ms_add_region order; returns how many were written. */
uint32_t ms_region_stalls(const ms_state *ms, uint64_t *out, uint32_t max) {
    uint32_t n = ms->nregions < max ? ms->nregions : max;
    memcpy(out, ms->rstall, n * sizeof(uint64_t));
    return n;
}

/* For the property test: one access to cache ``idx`` without charging time. */
int ms_access(ms_state *ms, int32_t idx, uint64_t addr, int32_t write) {
    if (idx < 0 || (uint32_t)idx >= ms->ncaches) return -1;
    return lookup(ms, &ms->cache[idx], addr, write);
}

/* Instruction fetch for one block execution: every line of [addr, addr + size) once. */
uint64_t ms_fetch(ms_state *ms, uint64_t addr, uint32_t size) {
    if (!size) return 0;
    int32_t r = region_of(ms, addr);
    if (r < 0 || ms->icache[r] < 0) return 0;
    ms_cache *k = &ms->cache[ms->icache[r]];
    uint64_t stall = 0;
    uint64_t first = addr >> k->line_shift, last = (addr + size - 1) >> k->line_shift;
    for (uint64_t line = first; line <= last; line++) {
        if (lookup(ms, k, line << k->line_shift, 0)) {
            ms->c.i_hits++;
        } else {
            ms->c.i_misses++;
            stall += (uint64_t)ms->fill[r];
        }
    }
    ms->c.i_stall += stall;
    ms->rstall[r] += stall;
    return stall;
}

static int32_t unaligned_cost(const ms_state *ms, uint64_t addr, int size, int write) {
    const int32_t *t = write ? ms->ua_store : ms->ua_load;
    if (size == 2) return (addr & 1) ? t[0] : 0;
    if (size == 4) return (addr & 3) == 0 ? 0 : (addr & 3) == 2 ? t[1] : t[2];
    return 0;
}

void ms_mem_hook(void *uc, int type, uint64_t addr, int size, int64_t value, void *user) {
    ms_state *ms = (ms_state *)user;
    (void)uc; (void)value;
    int write = type == MS_UC_MEM_WRITE;
    uint64_t stall = 0;
    int32_t ua = unaligned_cost(ms, addr, size, write);
    if (ua) {
        ms->c.unaligned++;
        ms->c.unaligned_stall += (uint64_t)ua;
        stall += (uint64_t)ua;
    }
    int32_t r = region_of(ms, addr);
    if (r >= 0) {
        uint64_t wait = 0;
        if (ms->dcache[r] >= 0) {
            ms_cache *k = &ms->cache[ms->dcache[r]];
            uint64_t first = addr >> k->line_shift, last = (addr + (uint64_t)(size > 0 ? size : 1) - 1) >> k->line_shift;
            for (uint64_t line = first; line <= last; line++) {
                if (lookup(ms, k, line << k->line_shift, write)) {
                    ms->c.d_hits++;
                } else {
                    ms->c.d_misses++;
                    /* a write miss that does not allocate goes to the store buffer: no stall */
                    if (!write || k->write_allocate) wait += (uint64_t)ms->fill[r];
                }
            }
        } else {
            wait = (uint64_t)(write ? ms->wwait[r] : ms->rwait[r]);
        }
        ms->c.d_stall += wait;
        ms->rstall[r] += wait;
        stall += wait;
    }
    if (stall && ms->acc) mc_charge(ms->acc, stall);
}
