/* ALGORITHMS.md §2 in C: every operation is one IEEE double operation in
 * the order and grouping the spec writes, so the results are the Rust SDK's
 * bits. Floats are taken apart with memcpy (bits), never with libm. */
#include "arbiter/numeric.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arbiter/alloc.h"

uint64_t arb_f64_bits(double x) {
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

double arb_f64_from_bits(uint64_t b) {
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

static bool is_finite(double x) {
    return (arb_f64_bits(x) & 0x7ff0000000000000u) != 0x7ff0000000000000u;
}

double arb_canonical_nan(void) {
    return arb_f64_from_bits(0x7ff8000000000000u);
}

double arb_ema(double prev, double x, double alpha) {
    return (alpha * x) + ((1.0 - alpha) * prev);
}

double arb_sum_in_order(const double *values, size_t n) {
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        sum = sum + values[i];
    }
    return sum;
}

void arb_normalize_l1(const double *values, double *out, size_t n) {
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double w = values[i];
        out[i] = (is_finite(w) && w > 0.0) ? w : 0.0;
        sum = sum + out[i];
    }
    bool usable = is_finite(sum) && sum > 0.0;
    for (size_t i = 0; i < n; i++) {
        out[i] = usable ? out[i] / sum : 0.0;
    }
}

double arb_exp(double x) {
    const double ln2_hi = arb_f64_from_bits(0x3fe62e42fee00000u);
    const double ln2_lo = arb_f64_from_bits(0x3dea39ef35793c76u);
    const double inv_ln2 = arb_f64_from_bits(0x3ff71547652b82feu);
    const double p1 = arb_f64_from_bits(0x3fc555555555553eu);
    const double p2 = arb_f64_from_bits(0xbf66c16c16bebd93u);
    const double p3 = arb_f64_from_bits(0x3f11566aaf25de2cu);
    const double p4 = arb_f64_from_bits(0xbebbbd41c5d26bf1u);
    const double p5 = arb_f64_from_bits(0x3e66376972bea4d0u);
    const double overflow = arb_f64_from_bits(0x40862e42fefa39efu);
    const double underflow = arb_f64_from_bits(0xc0874910d52d3051u);
    const double half[2] = {0.5, -0.5};

    unsigned sign = (unsigned)(arb_f64_bits(x) >> 63);
    uint32_t hx = (uint32_t)(arb_f64_bits(x) >> 32) & 0x7fffffffu;
    if (hx >= 0x4086232bu) {
        if (x != x) {
            return arb_canonical_nan();
        }
        if (x > overflow) {
            return arb_f64_from_bits(0x7ff0000000000000u);
        }
        if (x < underflow) {
            return 0.0;
        }
    }
    int k;
    double hi, lo;
    if (hx > 0x3fd62e42u) {
        if (hx >= 0x3ff0a2b2u) {
            /* |k| <= 1075: the conversion truncates toward zero exactly. */
            k = (int)((inv_ln2 * x) + half[sign]);
        } else {
            k = 1 - 2 * (int)sign;
        }
        hi = x - ((double)k * ln2_hi);
        lo = (double)k * ln2_lo;
    } else if (hx > 0x3e300000u) {
        k = 0;
        hi = x;
        lo = 0.0;
    } else {
        return 1.0 + x;
    }
    double r = hi - lo;
    double rr = r * r;
    double c = r - (rr * (p1 + (rr * (p2 + (rr * (p3 + (rr * (p4 + (rr * p5)))))))));
    double y = 1.0 + ((((r * c) / (2.0 - c)) - lo) + hi);
    if (k == 0) {
        return y;
    }
    if (k > 1023) {
        y = y * arb_f64_from_bits(0x7fe0000000000000u);
        k = k - 1023;
    } else if (k < -1022) {
        y = y * arb_f64_from_bits(0x0360000000000000u);
        k = k + 969;
    }
    return y * arb_f64_from_bits((uint64_t)(0x3ff + k) << 52);
}

void arb_softmax(const double *values, double *out, size_t n, double temperature) {
    bool found = false;
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double x = values[i];
        if (is_finite(x) && (!found || x > m)) {
            m = x;
            found = true;
        }
    }
    if (!found || !is_finite(temperature) || !(temperature > 0.0)) {
        for (size_t i = 0; i < n; i++) {
            out[i] = 0.0;
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        double x = values[i];
        out[i] = is_finite(x) ? arb_exp((x - m) / temperature) : 0.0;
    }
    arb_normalize_l1(out, out, n);
}

/* §2.5's order, descending, NaNs last and equal: <0 if a comes first. */
static int order_desc(double a, double b) {
    bool a_nan = a != a, b_nan = b != b;
    if (a_nan || b_nan) {
        return (int)a_nan - (int)b_nan;
    }
    return a > b ? -1 : (a < b ? 1 : 0);
}

/* qsort's context: the values the indices point into. qsort has no context
 * argument, and a mechanism call is single-threaded. */
static const double *sort_values;

static int by_value_then_index(const void *pa, const void *pb) {
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    int c = order_desc(sort_values[a], sort_values[b]);
    return c != 0 ? c : (a < b ? -1 : (a > b ? 1 : 0));
}

/* The indices 0..n sorted by §2.6's order. */
static size_t *sorted_indices(const double *values, size_t n) {
    size_t *index = arb_alloc(n, sizeof *index);
    for (size_t i = 0; i < n; i++) {
        index[i] = i;
    }
    sort_values = values;
    qsort(index, n, sizeof *index, by_value_then_index);
    return index;
}

void arb_rank_desc(const double *values, double *out, size_t n) {
    size_t *index = sorted_indices(values, n);
    for (size_t s = 0; s < n;) {
        size_t len = 1;
        while (s + len < n && order_desc(values[index[s]], values[index[s + len]]) == 0) {
            len++;
        }
        double rank = (double)(2 * s + len - 1) / 2.0;
        for (size_t i = s; i < s + len; i++) {
            out[index[i]] = rank;
        }
        s += len;
    }
    free(index);
}

size_t arb_top_k(const double *values, size_t n, size_t k, size_t *out) {
    size_t *index = sorted_indices(values, n);
    if (k > n) {
        k = n;
    }
    memcpy(out, index, k * sizeof *out);
    free(index);
    return k;
}
