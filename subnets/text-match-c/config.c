/* text-match's configuration parser (see config.h). C's strtod and strtoul
 * accept more than Rust's parsers (hex floats, leading spaces, "nan(...)",
 * signs on unsigned numbers), so the syntax is checked first against Rust's
 * grammar; strtod then only converts what Rust accepts, correctly rounded
 * like Rust's. `trim` strips Rust's whitespace: Unicode White_Space, not
 * C's isspace. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

/* Whether the code point `c` is Unicode White_Space (Rust's
 * `char::is_whitespace`). */
static bool is_whitespace(uint32_t c) {
    return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
           c == 0x205f || c == 0x3000;
}

/* The code point of the valid UTF-8 character starting at p (n bytes long). */
static uint32_t decode(const uint8_t *p, size_t n) {
    static const uint8_t lead_mask[5] = {0, 0x7f, 0x1f, 0x0f, 0x07};
    uint32_t c = p[0] & lead_mask[n];
    for (size_t i = 1; i < n; i++) {
        c = (c << 6) | (p[i] & 0x3f);
    }
    return c;
}

/* The length of the valid UTF-8 character whose lead byte is `lead`. */
static size_t char_len(uint8_t lead) {
    return lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
}

/* Rust's `str::trim` of valid UTF-8. */
static arb_slice trim(arb_slice s) {
    while (s.len > 0) {
        size_t n = char_len(s.ptr[0]);
        if (!is_whitespace(decode(s.ptr, n))) {
            break;
        }
        s.ptr += n;
        s.len -= n;
    }
    while (s.len > 0) {
        size_t start = s.len - 1;
        while ((s.ptr[start] & 0xc0) == 0x80) {
            start--;
        }
        if (!is_whitespace(decode(s.ptr + start, s.len - start))) {
            break;
        }
        s.len = start;
    }
    return s;
}

static bool is_digit(uint8_t b) {
    return b >= '0' && b <= '9';
}

/* The number of ASCII digits at s[i..]. */
static size_t digits(arb_slice s, size_t i) {
    size_t n = 0;
    while (i + n < s.len && is_digit(s.ptr[i + n])) {
        n++;
    }
    return n;
}

/* Whether s[i..] is `word`, ignoring ASCII case. */
static bool rest_is(arb_slice s, size_t i, const char *word) {
    size_t n = strlen(word);
    if (s.len - i != n) {
        return false;
    }
    for (size_t k = 0; k < n; k++) {
        uint8_t b = s.ptr[i + k];
        if ((b >= 'A' && b <= 'Z' ? b + 0x20 : b) != (uint8_t)word[k]) {
            return false;
        }
    }
    return true;
}

/* Whether Rust's `f64::from_str` accepts `s`: a sign, then inf, infinity,
 * nan (any case), or digits with an optional point and exponent. */
static bool f64_syntax(arb_slice s) {
    size_t i = (s.len > 0 && (s.ptr[0] == '+' || s.ptr[0] == '-')) ? 1 : 0;
    if (rest_is(s, i, "inf") || rest_is(s, i, "infinity") || rest_is(s, i, "nan")) {
        return true;
    }
    size_t whole = digits(s, i);
    i += whole;
    size_t fraction = 0;
    if (i < s.len && s.ptr[i] == '.') {
        fraction = digits(s, i + 1);
        i += 1 + fraction;
    }
    if (whole == 0 && fraction == 0) {
        return false;
    }
    if (i < s.len && (s.ptr[i] == 'e' || s.ptr[i] == 'E')) {
        i++;
        if (i < s.len && (s.ptr[i] == '+' || s.ptr[i] == '-')) {
            i++;
        }
        size_t exponent = digits(s, i);
        if (exponent == 0) {
            return false;
        }
        i += exponent;
    }
    return i == s.len;
}

static bool parse_f64(arb_slice s, double *out) {
    if (!f64_syntax(s)) {
        return false;
    }
    char *text = arb_alloc(s.len + 1, 1);
    memcpy(text, s.ptr, s.len);
    text[s.len] = '\0';
    *out = strtod(text, NULL);
    free(text);
    return true;
}

/* Rust's `u32::from_str`: an optional '+', then ASCII digits, at most
 * 4294967295. */
static bool parse_u32(arb_slice s, uint32_t *out) {
    size_t i = (s.len > 0 && s.ptr[0] == '+') ? 1 : 0;
    if (i == s.len) {
        return false;
    }
    uint64_t value = 0;
    for (; i < s.len; i++) {
        if (!is_digit(s.ptr[i])) {
            return false;
        }
        value = value * 10 + (uint64_t)(s.ptr[i] - '0');
        if (value > UINT32_MAX) {
            return false;
        }
    }
    *out = (uint32_t)value;
    return true;
}

/* Splits at the first `byte`: true and the parts around it, or false. */
static bool split_once(arb_slice s, uint8_t byte, arb_slice *before, arb_slice *after) {
    const uint8_t *at = s.len > 0 ? memchr(s.ptr, byte, s.len) : NULL;
    if (at == NULL) {
        return false;
    }
    before->ptr = s.ptr;
    before->len = (size_t)(at - s.ptr);
    after->ptr = at + 1;
    after->len = s.len - before->len - 1;
    return true;
}

static bool equals(arb_slice s, const char *word) {
    return s.len == strlen(word) && memcmp(s.ptr, word, s.len) == 0;
}

/* One trimmed, non-empty line. */
static bool parse_line(arb_slice line, config *out, arb_error *error) {
    arb_slice key, value;
    if (!split_once(line, '=', &key, &value)) {
        return arb_fail_quoting(error, ARB_INVALID_CONFIG, "cannot read `", line, "`");
    }
    key = trim(key);
    value = trim(value);
    if (equals(key, "alpha")) {
        if (!parse_f64(value, &out->alpha)) {
            return arb_fail_quoting(error, ARB_INVALID_CONFIG, "cannot read `", line, "`");
        }
        if (!(out->alpha > 0.0 && out->alpha <= 1.0)) {
            return arb_fail(error, ARB_INVALID_CONFIG, "alpha must be in (0, 1]");
        }
    } else if (equals(key, "queries_per_step")) {
        if (!parse_u32(value, &out->queries_per_step)) {
            return arb_fail_quoting(error, ARB_INVALID_CONFIG, "cannot read `", line, "`");
        }
    } else {
        return arb_fail_quoting(error, ARB_INVALID_CONFIG, "unknown key `", key, "`");
    }
    return true;
}

bool config_parse(arb_slice text, config *out, arb_error *error) {
    out->alpha = DEFAULT_ALPHA;
    out->queries_per_step = 0;
    if (!arb_utf8_valid(text.ptr, text.len)) {
        return arb_fail(error, ARB_INVALID_CONFIG, "configuration is not UTF-8");
    }
    /* Rust's `lines` splits at "\n" and drops a "\r" before it; `trim`
     * drops that "\r" anyway, and empty lines are skipped. */
    arb_slice rest = text, line;
    while (rest.len > 0) {
        if (!split_once(rest, '\n', &line, &rest)) {
            line = rest;
            rest.len = 0;
        }
        line = trim(line);
        if (line.len > 0 && !parse_line(line, out, error)) {
            return false;
        }
    }
    return true;
}
