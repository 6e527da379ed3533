/* The numeric helpers of ALGORITHMS.md §2, bit for bit the Rust SDK's
 * `numeric.rs`: EMA, L1 normalisation, softmax with the SDK's own exp, and
 * ranking. Compile with -ffp-contract=off (no fused multiply-add) and, on
 * 32-bit x86, SSE2 arithmetic: then every result is the same IEEE double on
 * every machine. Never use libm's exp/log/pow for values that must match. */
#ifndef ARBITER_NUMERIC_H
#define ARBITER_NUMERIC_H

#include <stddef.h>
#include <stdint.h>

/* The canonical NaN, bits 0x7ff8000000000000. */
double arb_canonical_nan(void);

/* A double's IEEE bits, and back (memcpy: no aliasing, no libm). */
uint64_t arb_f64_bits(double x);
double arb_f64_from_bits(uint64_t b);

/* §2.1: (alpha * x) + ((1.0 - alpha) * prev). */
double arb_ema(double prev, double x, double alpha);

/* The left-to-right sum of `n` values (never a compensated sum). */
double arb_sum_in_order(const double *values, size_t n);

/* §2.2: out[i] = w[i] / sum(w), with w[i] the finite positive values[i] and
 * 0 otherwise; all zeros if the sum is not finite and positive. `out` may
 * be `values`. */
void arb_normalize_l1(const double *values, double *out, size_t n);

/* §2.4: exp, fdlibm's algorithm as musl 1.1.19 shipped it. */
double arb_exp(double x);

/* §2.3: softmax of the finite values at `temperature`; `out` may be
 * `values`. */
void arb_softmax(const double *values, double *out, size_t n, double temperature);

/* §2.5: the average 0-based rank of each value in descending order (NaNs
 * last). `out` may not be `values`. */
void arb_rank_desc(const double *values, double *out, size_t n);

/* §2.6: the indices of the min(k, n) largest values, ties by index (NaNs
 * last), written to `out` (room for min(k, n)). Returns how many. */
size_t arb_top_k(const double *values, size_t n, size_t k, size_t *out);

#endif
