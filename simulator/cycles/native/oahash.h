/* Open-addressing hash tables with linear probing over a power-of-two capacity, as
 * accounting.c (blocks, edges) and checks.c (sites) keep them: where a key hashes, the next
 * slot, and growth (rehashing every kept entry into a fresh table). A table is an array of
 * fixed-size entries; the caller says which entries are occupied and where each hashes.
 */
#ifndef MCUSIM_OAHASH_H
#define MCUSIM_OAHASH_H

#include <stddef.h>
#include <stdint.h>

/* Slot of a code address (bit 0, the Thumb bit, carries nothing): Fibonacci hashing. */
static inline uint64_t oa_slot(uint64_t addr, uint64_t cap) {
    return ((addr >> 1) * 0x9E3779B97F4A7C15ull >> 20) & (cap - 1);
}

/* Slot of a pair of code addresses. */
static inline uint64_t oa_slot2(uint64_t a, uint64_t b, uint64_t cap) {
    return (((a >> 1) * 0x9E3779B97F4A7C15ull) ^ ((b >> 1) * 0xC2B2AE3D27D4EB4Full)) >> 20 & (cap - 1);
}

static inline uint64_t oa_next(uint64_t i, uint64_t cap) {
    return (i + 1) & (cap - 1);
}

typedef int (*oa_used_fn)(const void *entry);                      /* the slot is occupied */
typedef int (*oa_keep_fn)(const void *entry, const void *ctx);     /* an occupied entry to keep */
typedef uint64_t (*oa_slot_fn)(const void *entry, uint64_t cap);   /* where the entry hashes */

/* Copy the kept occupied entries of old (oldcap entries of size bytes), in order, into fresh
 * (cap zeroed entries), each at the first free slot from where it hashes. keep NULL keeps
 * all. Returns how many were copied. fresh must have room (cap above the count). */
static inline uint64_t oa_rehash(void *fresh, uint64_t cap, const void *old, uint64_t oldcap, size_t size,
                                 oa_used_fn used, oa_keep_fn keep, const void *ctx, oa_slot_fn slot) {
    uint64_t n = 0;
    for (uint64_t i = 0; i < oldcap; i++) {
        const char *e = (const char *)old + i * size;
        if (!used(e) || (keep && !keep(e, ctx))) continue;
        uint64_t k = slot(e, cap);
        while (used((const char *)fresh + k * size)) k = oa_next(k, cap);
        char *dst = (char *)fresh + k * size;
        for (size_t b = 0; b < size; b++) dst[b] = e[b];
        n++;
    }
    return n;
}

#endif
