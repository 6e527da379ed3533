/* The canonical state codec (ALGORITHMS.md §4): the byte layout every SDK
 * writes for a mechanism's state, so the host can hash it and any language
 * can read it. Values follow each other with no tags or padding:
 * little-endian fixed-width integers, f64 as its bits (every NaN written as
 * 0x7ff8000000000000), bool and option tags as 0/1, and sequences (byte
 * strings, strings, vectors, maps) as a u32 count then the elements. A
 * struct is its fields in a fixed order, so a C mechanism writes and reads
 * its fields one after another with the calls below.
 *
 * Decoding is strict (trailing bytes, bad tags, invalid UTF-8, other NaNs,
 * and length prefixes the input cannot hold are errors), and its errors
 * carry the Rust SDK's offset and wording, so a C mechanism refuses a bad
 * state with the same message as its Rust twin. Reads stop at the first
 * error: after one, every read returns false and the first error stays. */
#ifndef ARBITER_CODEC_H
#define ARBITER_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arbiter/slice.h"

/* What a map decoder reports when a key is not greater than the previous
 * one (at the key's offset): `arb_dec_fail(d, at, ARB_EXPECTED_MAP_KEY)`. */
#define ARB_EXPECTED_MAP_KEY "a map key greater than the previous key"

/* Where decoding (or encoding) failed and what was expected there. */
typedef struct arb_codec_error {
    size_t offset;
    const char *expected;
} arb_codec_error;

/* Writes "state codec: at byte <offset>: expected <expected>" (the Rust
 * SDK's wording) into buf (snprintf's rules); returns snprintf's result. */
int arb_codec_error_format(const arb_codec_error *error, char *buf, size_t size);

/* An encoding in progress; zero-initialise it (or arb_enc_init). */
typedef struct arb_encoder {
    uint8_t *bytes;
    size_t len;
    size_t cap;
    bool failed;
    arb_codec_error error;
} arb_encoder;

void arb_enc_init(arb_encoder *e);
/* Releases the buffer (unless it was taken). */
void arb_enc_free(arb_encoder *e);
/* Raw bytes, no length. */
void arb_enc_raw(arb_encoder *e, const void *bytes, size_t len);
void arb_enc_u8(arb_encoder *e, uint8_t v);
void arb_enc_u16(arb_encoder *e, uint16_t v);
void arb_enc_u32(arb_encoder *e, uint32_t v);
void arb_enc_u64(arb_encoder *e, uint64_t v);
void arb_enc_i32(arb_encoder *e, int32_t v);
void arb_enc_i64(arb_encoder *e, int64_t v);
void arb_enc_f64(arb_encoder *e, double v);
void arb_enc_bool(arb_encoder *e, bool v);
/* A sequence length (u32); above 2^32 - 1 it is an error. */
void arb_enc_len(arb_encoder *e, size_t len);
/* A byte string or a string: the length, then the bytes. */
void arb_enc_bytes(arb_encoder *e, arb_slice bytes);
/* A Vec<f64>. */
void arb_enc_f64_vec(arb_encoder *e, const double *values, size_t n);
/* Whether encoding succeeded; if not, *error says why (error may be NULL). */
bool arb_enc_finish(const arb_encoder *e, arb_codec_error *error);

/* A decoding in progress over borrowed input. */
typedef struct arb_decoder {
    const uint8_t *input;
    size_t len;
    size_t offset;
    bool failed;
    arb_codec_error error;
} arb_decoder;

arb_decoder arb_dec_new(const uint8_t *input, size_t len);
/* Records an error at `at` (if none yet) and returns false. */
bool arb_dec_fail(arb_decoder *d, size_t at, const char *expected);
/* The next `len` raw bytes (`expected` names them in the error). */
bool arb_dec_raw(arb_decoder *d, size_t len, const char *expected, arb_slice *out);
bool arb_dec_u8(arb_decoder *d, uint8_t *out);
bool arb_dec_u16(arb_decoder *d, uint16_t *out);
bool arb_dec_u32(arb_decoder *d, uint32_t *out);
bool arb_dec_u64(arb_decoder *d, uint64_t *out);
bool arb_dec_i32(arb_decoder *d, int32_t *out);
bool arb_dec_i64(arb_decoder *d, int64_t *out);
bool arb_dec_f64(arb_decoder *d, double *out);
bool arb_dec_bool(arb_decoder *d, bool *out);
/* An option tag: *present is whether a value follows. */
bool arb_dec_option(arb_decoder *d, bool *present);
/* A sequence length whose elements take at least `min_element_len` bytes
 * each (8 for f64, 4 for a string, 0 if unknown); refused if the rest of
 * the input cannot hold them. */
bool arb_dec_len(arb_decoder *d, size_t min_element_len, size_t *len);
/* A byte string (borrowed from the input). */
bool arb_dec_bytes(arb_decoder *d, arb_slice *out);
/* A string: a byte string that must be valid UTF-8. */
bool arb_dec_str(arb_decoder *d, arb_slice *out);
/* A Vec<f64>, into a new array (free it; NULL when empty). */
bool arb_dec_f64_vec(arb_decoder *d, double **values, size_t *n);
/* Succeeds if all the input has been read. */
bool arb_dec_finish(arb_decoder *d);

#endif
