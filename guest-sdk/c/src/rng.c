/* xoshiro256** and the draws of ALGORITHMS.md §1, bit for bit the Rust SDK's
 * `rng.rs`. Only integer arithmetic on uint64_t (which wraps, as the spec's
 * u64 does), plus one exact int-to-double conversion in next_f64. */
#include "arbiter/rng.h"

#include <stdlib.h>

#include "arbiter/alloc.h"

static uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

static uint64_t splitmix64(uint64_t *z) {
    *z += 0x9e3779b97f4a7c15u;
    uint64_t t = *z;
    t = (t ^ (t >> 30)) * 0xbf58476d1ce4e5b9u;
    t = (t ^ (t >> 27)) * 0x94d049bb133111ebu;
    return t ^ (t >> 31);
}

arb_rng arb_rng_from_seed(const uint8_t seed[32]) {
    arb_rng rng;
    for (int i = 0; i < 4; i++) {
        uint64_t word = 0;
        for (int b = 7; b >= 0; b--) {
            word = (word << 8) | seed[8 * i + b];
        }
        rng.s[i] = word;
    }
    if ((rng.s[0] | rng.s[1] | rng.s[2] | rng.s[3]) == 0) {
        uint64_t z = 0;
        for (int i = 0; i < 4; i++) {
            rng.s[i] = splitmix64(&z);
        }
    }
    return rng;
}

uint64_t arb_rng_next_u64(arb_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double arb_rng_next_f64(arb_rng *rng) {
    /* 2^-53, exact. */
    return (double)(arb_rng_next_u64(rng) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t arb_rng_below(arb_rng *rng, uint64_t n) {
    if (n == 0) {
        return 0;
    }
    uint64_t threshold = (0 - n) % n;
    for (;;) {
        uint64_t x = arb_rng_next_u64(rng);
        if (x >= threshold) {
            return x % n;
        }
    }
}

uint64_t arb_rng_range(arb_rng *rng, uint64_t lo, uint64_t hi) {
    if (hi <= lo) {
        return lo;
    }
    return lo + arb_rng_below(rng, hi - lo);
}

void arb_rng_shuffle(arb_rng *rng, void *items, size_t count, size_t size) {
    unsigned char *bytes = items;
    for (size_t i = count > 0 ? count - 1 : 0; i >= 1; i--) {
        size_t j = (size_t)arb_rng_below(rng, (uint64_t)i + 1);
        unsigned char *a = bytes + i * size, *b = bytes + j * size;
        for (size_t k = 0; k < size; k++) {
            unsigned char t = a[k];
            a[k] = b[k];
            b[k] = t;
        }
    }
}

/* One entry of the conceptual array a = [0, 1, ..., n-1] that differs from
 * its index. */
typedef struct moved {
    uint32_t at;
    uint32_t value;
} moved;

/* The entry of `a` at position `at`, and whether `table` held it. */
static uint32_t lookup(const moved *table, size_t len, uint32_t at, size_t *slot) {
    for (size_t i = 0; i < len; i++) {
        if (table[i].at == at) {
            *slot = i;
            return table[i].value;
        }
    }
    *slot = len;
    return at;
}

size_t arb_rng_sample(arb_rng *rng, uint32_t n, uint32_t k, uint32_t *out) {
    if (k > n) {
        k = n;
    }
    if (k == 0) {
        return 0;
    }
    /* The forward partial Fisher–Yates over `a`, keeping only displaced
     * entries: each step adds at most one, so k slots suffice. */
    moved *table = arb_alloc(k, sizeof *table);
    size_t len = 0;
    for (uint32_t i = 0; i < k; i++) {
        uint32_t j = i + (uint32_t)arb_rng_below(rng, (uint64_t)(n - i));
        size_t slot_i, slot_j;
        uint32_t at_i = lookup(table, len, i, &slot_i);
        uint32_t at_j = lookup(table, len, j, &slot_j);
        /* Position i is never read again: drop it first. */
        if (slot_i < len) {
            table[slot_i] = table[--len];
            if (slot_j == len) {
                slot_j = slot_i;
            }
        }
        if (j != i) {
            if (slot_j >= len) {
                slot_j = len++;
            }
            table[slot_j].at = j;
            table[slot_j].value = at_i;
        }
        out[i] = at_j;
    }
    free(table);
    return k;
}

bool arb_rng_choose(arb_rng *rng, uint64_t len, uint64_t *index) {
    if (len == 0) {
        return false;
    }
    *index = arb_rng_below(rng, len);
    return true;
}
