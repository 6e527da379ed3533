/* The golden values of guest-sdk/ALGORITHMS.md for the C SDK's helpers (the
 * same values as guest-sdk/python/tests/test_golden.py), run natively:
 *   cc -std=c11 -ffp-contract=off -Iguest-sdk/c/include \
 *       guest-sdk/c/tests/test_golden.c guest-sdk/c/src/[a-z]*.c -o test_golden
 * subnets/build-c.sh builds and runs it before building any component.
 * Prints "N passed, N failed" and exits non-zero on any failure. */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arbiter/codec.h"
#include "arbiter/numeric.h"
#include "arbiter/rng.h"
#include "arbiter/text.h"
#include "arbiter/utf8.h"

static int passed, failed;

static void check(int ok, const char *what, int line) {
    if (ok) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "FAILED line %d: %s\n", line, what);
    }
}
#define CHECK(cond) check((cond), #cond, __LINE__)

static const uint8_t *counting_seed(void) {
    static uint8_t seed[32];
    for (int i = 0; i < 32; i++) {
        seed[i] = (uint8_t)i;
    }
    return seed;
}

static void rng_golden(void) {
    static const uint64_t u64s[6] = {0xbc258ef861cb354du, 0x258ef861cb349eb5u,
                                     0x013c0ee1b61e1c2du, 0x60e9801651ad191du,
                                     0x76bcd2d5a42e1c5du, 0x89983c77dad11265u};
    arb_rng rng = arb_rng_from_seed(counting_seed());
    CHECK(rng.s[0] == 0x0706050403020100u && rng.s[3] == 0x1f1e1d1c1b1a1918u);
    for (int i = 0; i < 6; i++) {
        CHECK(arb_rng_next_u64(&rng) == u64s[i]);
    }

    static const double f64s[3] = {0.7349480968858131, 0.146712802768166, 0.004822664361306628};
    rng = arb_rng_from_seed(counting_seed());
    for (int i = 0; i < 3; i++) {
        CHECK(arb_rng_next_f64(&rng) == f64s[i]);
    }

    static const uint64_t below[10] = {5, 3, 5, 7, 5, 9, 2, 1, 4, 1};
    rng = arb_rng_from_seed(counting_seed());
    for (int i = 0; i < 10; i++) {
        CHECK(arb_rng_below(&rng, 10) == below[i]);
    }
    arb_rng fresh = arb_rng_from_seed(counting_seed());
    rng = fresh;
    CHECK(arb_rng_below(&rng, 0) == 0 && memcmp(&rng, &fresh, sizeof rng) == 0);
    CHECK(arb_rng_range(&rng, 9, 3) == 9 && memcmp(&rng, &fresh, sizeof rng) == 0);

    uint32_t items[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    static const uint32_t shuffled[10] = {6, 3, 2, 0, 4, 1, 7, 8, 9, 5};
    rng = arb_rng_from_seed(counting_seed());
    arb_rng_shuffle(&rng, items, 10, sizeof items[0]);
    CHECK(memcmp(items, shuffled, sizeof items) == 0);

    uint32_t picked[5];
    static const uint32_t sampled[5] = {45, 69, 21, 46, 65};
    rng = arb_rng_from_seed(counting_seed());
    CHECK(arb_rng_sample(&rng, 100, 5, picked) == 5);
    CHECK(memcmp(picked, sampled, sizeof picked) == 0);

    /* sample is the dense partial Fisher–Yates, whatever the sizes. */
    arb_rng sizes = arb_rng_from_seed(counting_seed());
    int dense_ok = 1;
    for (int round = 0; round < 300; round++) {
        uint32_t n = (uint32_t)arb_rng_below(&sizes, 40), k = (uint32_t)arb_rng_below(&sizes, 45);
        uint8_t seed[32];
        for (int i = 0; i < 32; i++) {
            seed[i] = (uint8_t)arb_rng_below(&sizes, 256);
        }
        uint32_t sparse[45], dense[40];
        arb_rng a = arb_rng_from_seed(seed), b = arb_rng_from_seed(seed);
        size_t got = arb_rng_sample(&a, n, k, sparse);
        for (uint32_t i = 0; i < n; i++) {
            dense[i] = i;
        }
        size_t want = k < n ? k : n;
        for (uint32_t i = 0; i < want; i++) {
            uint32_t j = i + (uint32_t)arb_rng_below(&b, n - i), t = dense[i];
            dense[i] = dense[j];
            dense[j] = t;
        }
        dense_ok &= got == want && memcmp(sparse, dense, want * sizeof dense[0]) == 0;
    }
    CHECK(dense_ok);

    uint64_t index;
    rng = fresh;
    CHECK(!arb_rng_choose(&rng, 0, &index) && memcmp(&rng, &fresh, sizeof rng) == 0);
    CHECK(arb_rng_choose(&rng, 10, &index) && index == 5);

    uint8_t zero[32] = {0};
    rng = arb_rng_from_seed(zero);
    CHECK(rng.s[0] == 0xe220a8397b1dcdafu && rng.s[1] == 0x6e789e6aa1b965f4u &&
          rng.s[2] == 0x06c45d188009454fu && rng.s[3] == 0xf88bb8a8724c81ecu);
    CHECK(arb_rng_next_u64(&rng) == 0x99ec5f36cb75f2b4u);
    CHECK(arb_rng_next_u64(&rng) == 0xbf6e1f784956452au);
    CHECK(arb_rng_next_u64(&rng) == 0x1a5f849d4933e6e0u);
}

static void numeric_golden(void) {
    CHECK(arb_f64_bits(arb_ema(0.7, 0.3, 0.1)) == 0x3fe51eb851eb851fu);

    double v[3] = {0.1, 0.2, 0.3}, out[3];
    CHECK(arb_f64_bits(arb_sum_in_order(v, 3)) == arb_f64_bits(0.6000000000000001));
    arb_normalize_l1(v, out, 3);
    CHECK(arb_f64_bits(out[0]) == 0x3fc5555555555555u && arb_f64_bits(out[1]) == 0x3fd5555555555555u &&
          arb_f64_bits(out[2]) == 0x3fdffffffffffffeu);
    double big[2] = {DBL_MAX, DBL_MAX};
    arb_normalize_l1(big, big, 2);
    CHECK(arb_f64_bits(big[0]) == 0 && arb_f64_bits(big[1]) == 0);
    double mixed[3] = {2.0, -5.0, arb_canonical_nan()};
    arb_normalize_l1(mixed, mixed, 3);
    CHECK(mixed[0] == 1.0 && mixed[1] == 0.0 && mixed[2] == 0.0);

    double s[3] = {1, 2, 3};
    arb_softmax(s, s, 3, 1.0);
    CHECK(arb_f64_bits(s[0]) == 0x3fb70c3e5f682bdau && arb_f64_bits(s[1]) == 0x3fcf534335ca4bcfu &&
          arb_f64_bits(s[2]) == 0x3fe549a766a06790u);
    double inf = arb_f64_from_bits(0x7ff0000000000000u);
    double t[4] = {arb_canonical_nan(), 2, inf, -inf};
    arb_softmax(t, t, 4, 1.0);
    CHECK(t[0] == 0 && t[1] == 1 && t[2] == 0 && t[3] == 0);
    double u[2] = {-DBL_MAX, DBL_MAX};
    arb_softmax(u, u, 2, 1.0);
    CHECK(u[0] == 0 && u[1] == 1);

    static const struct {
        uint64_t x, y;
    } exps[] = {
        {0x0000000000000000u, 0x3ff0000000000000u}, {0x8000000000000000u, 0x3ff0000000000000u},
        {0x3ff0000000000000u, 0x4005bf0a8b14576au}, {0xbff0000000000000u, 0x3fd78b56362cef38u},
        {0x3fe0000000000000u, 0x3ffa61298e1e069cu}, {0xc024000000000000u, 0x3f07cd79b5647c9au},
        {0x4059000000000000u, 0x48f3494a9b171bf5u}, {0x3fe62e42fefa39efu, 0x4000000000000000u},
        {0x40862e42fefa39efu, 0x7fefffffffffff2au}, {0xc0874910d52d3051u, 0x0000000000000001u},
        {0x7ff0000000000000u, 0x7ff0000000000000u}, {0xfff0000000000000u, 0x0000000000000000u},
        {0x7ff4000000000001u, 0x7ff8000000000000u},
    };
    int exp_ok = 1;
    for (size_t i = 0; i < sizeof exps / sizeof exps[0]; i++) {
        exp_ok &= arb_f64_bits(arb_exp(arb_f64_from_bits(exps[i].x))) == exps[i].y;
    }
    CHECK(exp_ok);
    CHECK(arb_f64_bits(arb_exp(1e-9)) == 0x3ff000000044b830u);
    CHECK(arb_f64_bits(arb_exp(-708.4)) == 0x000ff15b469edf89u);
    CHECK(arb_f64_bits(arb_exp(709.79)) == 0x7ff0000000000000u && arb_f64_bits(arb_exp(-745.14)) == 0);

    double r[4] = {5, 7, 7, 1}, rank[7];
    arb_rank_desc(r, rank, 4);
    CHECK(rank[0] == 2 && rank[1] == 0.5 && rank[2] == 0.5 && rank[3] == 3);
    double nan = arb_canonical_nan();
    double w[7] = {nan, -inf, 0.0, -0.0, inf, nan, 3};
    arb_rank_desc(w, rank, 7);
    CHECK(rank[0] == 5.5 && rank[1] == 4 && rank[2] == 2.5 && rank[3] == 2.5 && rank[4] == 0 &&
          rank[5] == 5.5 && rank[6] == 1);

    double k1[4] = {0.2, 0.9, 0.5, 0.9};
    size_t top[5];
    CHECK(arb_top_k(k1, 4, 3, top) == 3 && top[0] == 1 && top[1] == 3 && top[2] == 2);
    double k2[5] = {nan, -inf, nan, 0.0, -0.0};
    CHECK(arb_top_k(k2, 5, 5, top) == 5 && top[0] == 3 && top[1] == 4 && top[2] == 1 &&
          top[3] == 0 && top[4] == 2);
}

/* Whether the tokens of `text` are exactly `want` (n of them). */
static int tokens_are(const char *text, const char *const *want, size_t n) {
    arb_slice s = arb_slice_str(text), token;
    size_t pos = 0, i = 0;
    while (arb_next_token(s, &pos, &token)) {
        if (i >= n || token.len != strlen(want[i]) || memcmp(token.ptr, want[i], token.len)) {
            return 0;
        }
        i++;
    }
    return i == n;
}

static void text_golden(void) {
    static const char *const pi[] = {"it", "s", "3", "14\xe2\x80\x94pi"};
    CHECK(tokens_are("it's 3.14\xe2\x80\x94pi", pi, 4));
    static const char *const ab[] = {"a", "b"};
    CHECK(tokens_are("a\x0b" "b", ab, 2));
    static const char *const cjk[] = {
        "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x80\x81\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9"
        "\xe3\x83\x88\xe3\x80\x82"};
    CHECK(tokens_are(cjk[0], cjk, 1));

    arb_slice c = arb_slice_str("The cat sat on the mat.");
    arb_slice r = arb_slice_str("the Cat is on the MAT, sat!");
    arb_overlap o = arb_token_overlap(c, r);
    CHECK(o.common == 6 && o.candidate_len == 6 && o.reference_len == 7);
    CHECK(arb_f64_bits(arb_overlap_f1(o)) == 0x3fed89d89d89d89du);
    CHECK(arb_f64_bits(arb_rouge_l(c, r)) == 0x3fe89d89d89d89d8u);
    CHECK(arb_f64_bits(arb_token_f1(arb_slice_str("a b x"), arb_slice_str("a b c d e f g"))) ==
          0x3fd999999999999au);
    CHECK(arb_token_f1(arb_slice_str(""), arb_slice_str("")) == 1.0);
    CHECK(arb_rouge_l(arb_slice_str(""), arb_slice_str("")) == 1.0);
    CHECK(arb_token_f1(arb_slice_str("x"), arb_slice_str("")) == 0.0);
    CHECK(arb_token_f1(arb_slice_str("a a a"), arb_slice_str("a")) == 0.5);
    CHECK(arb_token_f1(arb_slice_str("..."), arb_slice_str(" !? ")) == 1.0);
    CHECK(arb_token_eq(arb_slice_str("\xc3\x9cNicode"), arb_slice_str("\xc3\x9cnICODE")));
}

/* The message of a decoder's error. */
static const char *message(const arb_decoder *d) {
    static char buf[128];
    arb_codec_error_format(&d->error, buf, sizeof buf);
    return buf;
}

static arb_slice hex(const char *text) {
    static uint8_t buf[64];
    size_t n = strlen(text) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned byte;
        sscanf(text + 2 * i, "%2x", &byte);
        buf[i] = (uint8_t)byte;
    }
    arb_slice s = {buf, n};
    return s;
}

static void codec_golden(void) {
    /* ALGORITHMS.md §4.3's Example, field by field. */
    arb_encoder e;
    arb_enc_init(&e);
    arb_enc_u64(&e, 7);
    double scores[2] = {0.5, -arb_canonical_nan()};
    arb_enc_f64_vec(&e, scores, 2);
    arb_enc_bytes(&e, arb_slice_str("h\xc3\xa9llo"));
    arb_enc_len(&e, 2);
    arb_enc_u16(&e, 1);
    arb_enc_bool(&e, false);
    arb_enc_u16(&e, 3);
    arb_enc_bool(&e, true);
    arb_enc_bool(&e, true);
    arb_enc_i32(&e, -2);
    arb_slice want = hex("0700000000000000"
                         "02000000000000000000e03f000000000000f87f"
                         "0600000068c3a96c6c6f"
                         "02000000010000030001"
                         "01feffffff");
    CHECK(arb_enc_finish(&e, NULL) && e.len == want.len && !memcmp(e.bytes, want.ptr, e.len));

    arb_decoder d = arb_dec_new(e.bytes, e.len);
    uint64_t round;
    double *values;
    size_t n, entries;
    arb_slice name;
    uint16_t key;
    bool seen, last_present;
    int32_t last;
    CHECK(arb_dec_u64(&d, &round) && arb_dec_f64_vec(&d, &values, &n) && arb_dec_str(&d, &name) &&
          arb_dec_len(&d, 3, &entries) && arb_dec_u16(&d, &key) && arb_dec_bool(&d, &seen) &&
          arb_dec_u16(&d, &key) && arb_dec_bool(&d, &seen) && arb_dec_option(&d, &last_present) &&
          arb_dec_i32(&d, &last) && arb_dec_finish(&d));
    CHECK(round == 7 && n == 2 && arb_f64_bits(values[1]) == 0x7ff8000000000000u && name.len == 6 &&
          entries == 2 && key == 3 && seen && last_present && last == -2);
    free(values);
    arb_enc_free(&e);

    bool flag;
    uint8_t byte;
    uint64_t word;
    double x;
    d = arb_dec_new((const uint8_t *)"\x02", 1);
    CHECK(!arb_dec_bool(&d, &flag) &&
          !strcmp(message(&d), "state codec: at byte 0: expected bool (0 or 1)"));
    d = arb_dec_new((const uint8_t *)"\x01\x02", 2);
    CHECK(arb_dec_u8(&d, &byte) && !arb_dec_finish(&d) &&
          !strcmp(message(&d), "state codec: at byte 1: expected end of input"));
    arb_slice huge = hex("ffffffff00000000000000000000");
    d = arb_dec_new(huge.ptr, huge.len);
    CHECK(!arb_dec_len(&d, 8, &n) &&
          !strcmp(message(&d),
                  "state codec: at byte 0: expected a length the remaining input can hold"));
    arb_slice other_nan = hex("010000000000f87f");
    d = arb_dec_new(other_nan.ptr, other_nan.len);
    CHECK(!arb_dec_f64(&d, &x) &&
          !strcmp(message(&d),
                  "state codec: at byte 0: expected f64 whose only NaN is 0x7ff8000000000000"));
    d = arb_dec_new((const uint8_t *)"\x00", 1);
    CHECK(!arb_dec_f64(&d, &x) && !strcmp(message(&d), "state codec: at byte 0: expected u64"));
    d = arb_dec_new((const uint8_t *)"\x00", 1);
    CHECK(!arb_dec_u64(&d, &word) && !arb_dec_u8(&d, &byte) && d.error.offset == 0);
    arb_slice bad_utf8 = hex("0300000061ff62");
    d = arb_dec_new(bad_utf8.ptr, bad_utf8.len);
    CHECK(!arb_dec_str(&d, &name) &&
          !strcmp(message(&d), "state codec: at byte 5: expected valid UTF-8"));
    arb_slice bad_tag = hex("02");
    d = arb_dec_new(bad_tag.ptr, bad_tag.len);
    CHECK(!arb_dec_option(&d, &flag) &&
          !strcmp(message(&d), "state codec: at byte 0: expected option tag (0 or 1)"));

    /* Rust's from_utf8: overlong, surrogate, too large, cut off. */
    CHECK(arb_utf8_valid((const uint8_t *)"h\xc3\xa9\xf0\x9f\x98\x80", 7));
    CHECK(arb_utf8_valid_up_to((const uint8_t *)"a\xc0\x80", 3) == 1);
    CHECK(arb_utf8_valid_up_to((const uint8_t *)"a\xed\xa0\x80", 4) == 1);
    CHECK(arb_utf8_valid_up_to((const uint8_t *)"a\xf4\x90\x80\x80", 5) == 1);
    CHECK(arb_utf8_valid_up_to((const uint8_t *)"ab\xe2\x80", 4) == 2);
}

int main(void) {
    rng_golden();
    numeric_golden();
    text_golden();
    codec_golden();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
