/* ALGORITHMS.md §3 in C. Token overlap sorts the reference's tokens under
 * the folded order and looks each candidate token up by binary search (any
 * counting method gives the spec's number, and the candidate, which may be
 * long, is never stored); ROUGE-L is the dynamic programme over one row. */
#include "arbiter/text.h"

#include <stdlib.h>

#include "arbiter/alloc.h"

bool arb_is_separator(uint8_t b) {
    return (b >= 0x09 && b <= 0x0d) || (b >= 0x20 && b <= 0x2f) || (b >= 0x3a && b <= 0x40) ||
           (b >= 0x5b && b <= 0x60) || (b >= 0x7b && b <= 0x7e);
}

bool arb_next_token(arb_slice text, size_t *pos, arb_slice *token) {
    size_t i = *pos;
    while (i < text.len && arb_is_separator(text.ptr[i])) {
        i++;
    }
    if (i == text.len) {
        *pos = i;
        return false;
    }
    size_t start = i;
    while (i < text.len && !arb_is_separator(text.ptr[i])) {
        i++;
    }
    token->ptr = text.ptr + start;
    token->len = i - start;
    *pos = i;
    return true;
}

static uint8_t fold(uint8_t b) {
    return (b >= 'A' && b <= 'Z') ? (uint8_t)(b + 0x20) : b;
}

bool arb_token_eq(arb_slice a, arb_slice b) {
    if (a.len != b.len) {
        return false;
    }
    for (size_t i = 0; i < a.len; i++) {
        if (fold(a.ptr[i]) != fold(b.ptr[i])) {
            return false;
        }
    }
    return true;
}

/* A total order on tokens whose equal elements are exactly the equal
 * tokens: folded bytes lexicographically, a proper prefix first. */
static int token_cmp(const void *pa, const void *pb) {
    const arb_slice *a = pa, *b = pb;
    size_t n = a->len < b->len ? a->len : b->len;
    for (size_t i = 0; i < n; i++) {
        uint8_t x = fold(a->ptr[i]), y = fold(b->ptr[i]);
        if (x != y) {
            return x < y ? -1 : 1;
        }
    }
    return a->len < b->len ? -1 : (a->len > b->len ? 1 : 0);
}

static size_t count_tokens(arb_slice text) {
    size_t pos = 0, n = 0;
    arb_slice token;
    while (arb_next_token(text, &pos, &token)) {
        n++;
    }
    return n;
}

/* The tokens of `text` (there are `n`), in order. */
static arb_slice *collect_tokens(arb_slice text, size_t n) {
    arb_slice *tokens = arb_alloc(n, sizeof *tokens);
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        arb_next_token(text, &pos, &tokens[i]);
    }
    return tokens;
}

double arb_f_measure(size_t common, size_t candidate_len, size_t reference_len) {
    if (candidate_len == 0 && reference_len == 0) {
        return 1.0;
    }
    if (common == 0) {
        return 0.0;
    }
    double c = (double)common;
    double p = c / (double)candidate_len;
    double r = c / (double)reference_len;
    return ((2.0 * p) * r) / (p + r);
}

/* The first index of `sorted` (n tokens) not ordered before `token`. */
static size_t lower_bound(const arb_slice *sorted, size_t n, const arb_slice *token) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (token_cmp(&sorted[mid], token) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

arb_overlap arb_token_overlap(arb_slice candidate, arb_slice reference) {
    size_t nr = count_tokens(reference);
    arb_slice *r = collect_tokens(reference, nr);
    qsort(r, nr, sizeof *r, token_cmp);
    /* Equal reference tokens sit together; taken[first of the run] counts
     * how many of them candidate tokens have matched. */
    size_t *taken = arb_alloc_zeroed(nr, sizeof *taken);
    size_t nc = 0, common = 0, pos = 0;
    arb_slice token;
    while (arb_next_token(candidate, &pos, &token)) {
        nc++;
        size_t first = lower_bound(r, nr, &token);
        size_t next = first + taken[first];
        if (next < nr && token_cmp(&r[next], &token) == 0) {
            taken[first]++;
            common++;
        }
    }
    free(r);
    free(taken);
    arb_overlap out = {common, nc, nr};
    return out;
}

double arb_overlap_f1(arb_overlap o) {
    return arb_f_measure(o.common, o.candidate_len, o.reference_len);
}

double arb_token_f1(arb_slice candidate, arb_slice reference) {
    return arb_overlap_f1(arb_token_overlap(candidate, reference));
}

double arb_rouge_l(arb_slice candidate, arb_slice reference) {
    size_t nc = count_tokens(candidate), nr = count_tokens(reference);
    arb_slice *c = collect_tokens(candidate, nc);
    arb_slice *r = collect_tokens(reference, nr);
    /* One row over the reference: row[j] = LCS of the candidate so far with
     * the reference's first j tokens. */
    size_t *row = arb_alloc_zeroed(nr + 1, sizeof *row);
    for (size_t i = 0; i < nc; i++) {
        size_t diagonal = 0;
        for (size_t j = 1; j <= nr; j++) {
            size_t up = row[j];
            if (arb_token_eq(c[i], r[j - 1])) {
                row[j] = diagonal + 1;
            } else if (row[j - 1] > row[j]) {
                row[j] = row[j - 1];
            }
            diagonal = up;
        }
    }
    double result = arb_f_measure(row[nr], nc, nr);
    free(c);
    free(r);
    free(row);
    return result;
}
