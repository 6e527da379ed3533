/* UTF-8 validation with Rust's rules (see utf8.h): the well-formed byte
 * sequences of Unicode's table 3-7. */
#include "arbiter/utf8.h"

/* The length of the valid character at bytes[0..len), or 0 if it is not
 * one (invalid or cut off). */
static size_t char_len(const uint8_t *b, size_t len) {
    uint8_t lead = b[0];
    if (lead < 0x80) {
        return 1;
    }
    size_t need;
    uint8_t lo = 0x80, hi = 0xbf; /* the range of the second byte */
    if (lead >= 0xc2 && lead <= 0xdf) {
        need = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        need = 3;
        lo = lead == 0xe0 ? 0xa0 : 0x80;
        hi = lead == 0xed ? 0x9f : 0xbf;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        need = 4;
        lo = lead == 0xf0 ? 0x90 : 0x80;
        hi = lead == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (len < 2 || b[1] < lo || b[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < need; i++) {
        if (i >= len || b[i] < 0x80 || b[i] > 0xbf) {
            return 0;
        }
    }
    return need;
}

size_t arb_utf8_valid_up_to(const uint8_t *bytes, size_t len) {
    size_t i = 0;
    while (i < len) {
        size_t n = char_len(bytes + i, len - i);
        if (n == 0) {
            return i;
        }
        i += n;
    }
    return len;
}

bool arb_utf8_valid(const uint8_t *bytes, size_t len) {
    return arb_utf8_valid_up_to(bytes, len) == len;
}
