/* The seeded random stream of ALGORITHMS.md §1: xoshiro256** from a 32-byte
 * seed, and the draws built on it (below, range, shuffle, sample, choose).
 * Every random choice a mechanism makes must come from the step's seed
 * (`arb_context_rng`), so that the same seed gives the same choices in every
 * language the SDKs exist for. */
#ifndef ARBITER_RNG_H
#define ARBITER_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A xoshiro256** generator. Copying the struct forks the stream. */
typedef struct arb_rng {
    uint64_t s[4];
} arb_rng;

/* §1.1: state word i is the little-endian u64 in seed[8i .. 8i+8]; the
 * all-zero seed is replaced by four splitmix64 outputs. */
arb_rng arb_rng_from_seed(const uint8_t seed[32]);

/* §1.2: the next 64 uniformly distributed bits. */
uint64_t arb_rng_next_u64(arb_rng *rng);

/* §1.3: a float in [0, 1), (next_u64() >> 11) * 2^-53. One draw. */
double arb_rng_next_f64(arb_rng *rng);

/* §1.4: a uniform integer in [0, n) without modulo bias; 0 without drawing
 * when n is 0. */
uint64_t arb_rng_below(arb_rng *rng, uint64_t n);

/* §1.5: a uniform integer in [lo, hi); lo without drawing when hi <= lo. */
uint64_t arb_rng_range(arb_rng *rng, uint64_t lo, uint64_t hi);

/* §1.6: shuffles `count` items of `size` bytes each in place (Fisher–Yates
 * from the end). */
void arb_rng_shuffle(arb_rng *rng, void *items, size_t count, size_t size);

/* §1.7: min(k, n) distinct indices from [0, n), in draw order, written to
 * `out` (room for min(k, n) entries). Returns how many were written. Takes
 * O(k) memory and O(k^2) time: for the sizes of a metagraph. */
size_t arb_rng_sample(arb_rng *rng, uint32_t n, uint32_t k, uint32_t *out);

/* §1.8: a uniform index into `len` items: true and *index = below(len), or
 * false without drawing when len is 0. */
bool arb_rng_choose(arb_rng *rng, uint64_t len, uint64_t *index);

#endif
