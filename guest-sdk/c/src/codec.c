/* The canonical state codec of ALGORITHMS.md §4, with the Rust SDK's error
 * offsets and words (codec.rs, codec/impls.rs). */
#include "arbiter/codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arbiter/alloc.h"
#include "arbiter/numeric.h"
#include "arbiter/utf8.h"

int arb_codec_error_format(const arb_codec_error *error, char *buf, size_t size) {
    return snprintf(buf, size, "state codec: at byte %zu: expected %s", error->offset,
                    error->expected);
}

void arb_enc_init(arb_encoder *e) {
    memset(e, 0, sizeof *e);
}

void arb_enc_free(arb_encoder *e) {
    free(e->bytes);
    arb_enc_init(e);
}

void arb_enc_raw(arb_encoder *e, const void *bytes, size_t len) {
    if (len > e->cap - e->len) {
        size_t cap = e->cap > 0 ? e->cap : 64;
        while (cap - e->len < len) {
            cap *= 2;
        }
        e->bytes = arb_realloc(e->bytes, cap, 1);
        e->cap = cap;
    }
    if (len > 0) {
        memcpy(e->bytes + e->len, bytes, len);
        e->len += len;
    }
}

/* `v` as `width` little-endian bytes. */
static void enc_le(arb_encoder *e, uint64_t v, size_t width) {
    uint8_t b[8];
    for (size_t i = 0; i < width; i++) {
        b[i] = (uint8_t)(v >> (8 * i));
    }
    arb_enc_raw(e, b, width);
}

void arb_enc_u8(arb_encoder *e, uint8_t v) {
    enc_le(e, v, 1);
}
void arb_enc_u16(arb_encoder *e, uint16_t v) {
    enc_le(e, v, 2);
}
void arb_enc_u32(arb_encoder *e, uint32_t v) {
    enc_le(e, v, 4);
}
void arb_enc_u64(arb_encoder *e, uint64_t v) {
    enc_le(e, v, 8);
}
void arb_enc_i32(arb_encoder *e, int32_t v) {
    enc_le(e, (uint32_t)v, 4);
}
void arb_enc_i64(arb_encoder *e, int64_t v) {
    enc_le(e, (uint64_t)v, 8);
}

void arb_enc_f64(arb_encoder *e, double v) {
    enc_le(e, v == v ? arb_f64_bits(v) : 0x7ff8000000000000u, 8);
}

void arb_enc_bool(arb_encoder *e, bool v) {
    enc_le(e, v ? 1 : 0, 1);
}

void arb_enc_len(arb_encoder *e, size_t len) {
    if ((uint64_t)len > UINT32_MAX) {
        if (!e->failed) {
            e->failed = true;
            e->error.offset = e->len;
            e->error.expected = "a sequence of at most 4294967295 elements";
        }
        return;
    }
    enc_le(e, len, 4);
}

void arb_enc_bytes(arb_encoder *e, arb_slice bytes) {
    arb_enc_len(e, bytes.len);
    arb_enc_raw(e, bytes.ptr, bytes.len);
}

void arb_enc_f64_vec(arb_encoder *e, const double *values, size_t n) {
    arb_enc_len(e, n);
    for (size_t i = 0; i < n; i++) {
        arb_enc_f64(e, values[i]);
    }
}

bool arb_enc_finish(const arb_encoder *e, arb_codec_error *error) {
    if (e->failed && error != NULL) {
        *error = e->error;
    }
    return !e->failed;
}

arb_decoder arb_dec_new(const uint8_t *input, size_t len) {
    arb_decoder d = {input, len, 0, false, {0, NULL}};
    return d;
}

bool arb_dec_fail(arb_decoder *d, size_t at, const char *expected) {
    if (!d->failed) {
        d->failed = true;
        d->error.offset = at;
        d->error.expected = expected;
    }
    return false;
}

bool arb_dec_raw(arb_decoder *d, size_t len, const char *expected, arb_slice *out) {
    if (d->failed) {
        return false;
    }
    if (len > d->len - d->offset) {
        return arb_dec_fail(d, d->offset, expected);
    }
    out->ptr = d->input + d->offset;
    out->len = len;
    d->offset += len;
    return true;
}

/* A little-endian integer of `width` bytes. */
static bool dec_le(arb_decoder *d, size_t width, const char *expected, uint64_t *out) {
    arb_slice b;
    if (!arb_dec_raw(d, width, expected, &b)) {
        return false;
    }
    uint64_t v = 0;
    for (size_t i = width; i > 0; i--) {
        v = (v << 8) | b.ptr[i - 1];
    }
    *out = v;
    return true;
}

bool arb_dec_u8(arb_decoder *d, uint8_t *out) {
    uint64_t v;
    bool ok = dec_le(d, 1, "u8", &v);
    *out = ok ? (uint8_t)v : 0;
    return ok;
}
bool arb_dec_u16(arb_decoder *d, uint16_t *out) {
    uint64_t v;
    bool ok = dec_le(d, 2, "u16", &v);
    *out = ok ? (uint16_t)v : 0;
    return ok;
}
bool arb_dec_u32(arb_decoder *d, uint32_t *out) {
    uint64_t v;
    bool ok = dec_le(d, 4, "u32", &v);
    *out = ok ? (uint32_t)v : 0;
    return ok;
}
bool arb_dec_u64(arb_decoder *d, uint64_t *out) {
    uint64_t v;
    bool ok = dec_le(d, 8, "u64", &v);
    *out = ok ? v : 0;
    return ok;
}
bool arb_dec_i32(arb_decoder *d, int32_t *out) {
    uint64_t v;
    bool ok = dec_le(d, 4, "i32", &v);
    *out = ok ? (int32_t)(uint32_t)v : 0;
    return ok;
}
bool arb_dec_i64(arb_decoder *d, int64_t *out) {
    uint64_t v;
    bool ok = dec_le(d, 8, "i64", &v);
    *out = ok ? (int64_t)v : 0;
    return ok;
}

bool arb_dec_f64(arb_decoder *d, double *out) {
    size_t at = d->offset;
    uint64_t bits;
    *out = 0.0;
    /* Read as a u64, so a short input names "u64", as in Rust. */
    if (!dec_le(d, 8, "u64", &bits)) {
        return false;
    }
    bool nan = (bits & 0x7ff0000000000000u) == 0x7ff0000000000000u &&
               (bits & 0x000fffffffffffffu) != 0;
    if (nan && bits != 0x7ff8000000000000u) {
        d->offset = at;
        return arb_dec_fail(d, at, "f64 whose only NaN is 0x7ff8000000000000");
    }
    *out = arb_f64_from_bits(bits);
    return true;
}

/* A 0/1 tag byte; anything else fails at its offset with `expected`. */
static bool dec_tag(arb_decoder *d, const char *expected, bool *out) {
    size_t at = d->offset;
    uint8_t byte;
    *out = false;
    if (!arb_dec_u8(d, &byte)) {
        return false;
    }
    if (byte > 1) {
        d->offset = at;
        return arb_dec_fail(d, at, expected);
    }
    *out = byte == 1;
    return true;
}

bool arb_dec_bool(arb_decoder *d, bool *out) {
    return dec_tag(d, "bool (0 or 1)", out);
}

bool arb_dec_option(arb_decoder *d, bool *present) {
    return dec_tag(d, "option tag (0 or 1)", present);
}

bool arb_dec_len(arb_decoder *d, size_t min_element_len, size_t *len) {
    size_t at = d->offset;
    uint64_t n;
    *len = 0;
    if (!dec_le(d, 4, "u32 length", &n)) {
        return false;
    }
    size_t remaining = d->len - d->offset;
    if (min_element_len != 0 && n > remaining / min_element_len) {
        d->offset = at;
        return arb_dec_fail(d, at, "a length the remaining input can hold");
    }
    *len = (size_t)n;
    return true;
}

bool arb_dec_bytes(arb_decoder *d, arb_slice *out) {
    size_t len;
    return arb_dec_len(d, 1, &len) && arb_dec_raw(d, len, "bytes", out);
}

bool arb_dec_str(arb_decoder *d, arb_slice *out) {
    size_t len;
    if (!arb_dec_len(d, 1, &len)) {
        return false;
    }
    size_t start = d->offset;
    if (!arb_dec_raw(d, len, "string bytes", out)) {
        return false;
    }
    size_t valid = arb_utf8_valid_up_to(out->ptr, out->len);
    if (valid != out->len) {
        return arb_dec_fail(d, start + valid, "valid UTF-8");
    }
    return true;
}

bool arb_dec_f64_vec(arb_decoder *d, double **values, size_t *n) {
    *values = NULL;
    *n = 0;
    size_t len;
    if (!arb_dec_len(d, 8, &len)) {
        return false;
    }
    double *out = len > 0 ? arb_alloc(len, sizeof *out) : NULL;
    for (size_t i = 0; i < len; i++) {
        if (!arb_dec_f64(d, &out[i])) {
            free(out);
            return false;
        }
    }
    *values = out;
    *n = len;
    return true;
}

bool arb_dec_finish(arb_decoder *d) {
    if (d->failed) {
        return false;
    }
    if (d->offset != d->len) {
        return arb_dec_fail(d, d->offset, "end of input");
    }
    return true;
}
