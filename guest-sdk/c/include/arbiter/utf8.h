/* UTF-8 validity exactly as Rust's `std::str::from_utf8` judges it (no
 * overlong forms, no surrogates, nothing above U+10FFFF), because mechanisms
 * ported from Rust treat invalid text the way Rust does, and the codec's
 * error offset is Rust's `valid_up_to`. */
#ifndef ARBITER_UTF8_H
#define ARBITER_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The length of the longest valid UTF-8 prefix of `bytes` that ends at a
 * character boundary (`len` if all of it is valid). */
size_t arb_utf8_valid_up_to(const uint8_t *bytes, size_t len);

/* Whether all of `bytes` is valid UTF-8. */
bool arb_utf8_valid(const uint8_t *bytes, size_t len);

#endif
