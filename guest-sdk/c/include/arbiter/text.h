/* Text similarity on UTF-8 bytes (ALGORITHMS.md §3): the tokeniser, token
 * overlap and F1, ROUGE-L. No Unicode tables: separators are ASCII
 * whitespace (with vertical tab) and the 32 ASCII punctuation bytes, and
 * tokens compare after folding A-Z to a-z only, exactly as the Rust SDK's
 * `text.rs` does. (C's tolower/isspace depend on the locale: not used.) */
#ifndef ARBITER_TEXT_H
#define ARBITER_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arbiter/slice.h"

/* §3.1: whether `byte` separates tokens. */
bool arb_is_separator(uint8_t byte);

/* §3.1: the next token of `text` at or after *pos: true and *token, with
 * *pos moved past it; false at the end. Start with *pos = 0. */
bool arb_next_token(arb_slice text, size_t *pos, arb_slice *token);

/* §3.1: whether two tokens are equal after folding A-Z. */
bool arb_token_eq(arb_slice a, arb_slice b);

/* §3.3's three integers: the multiset intersection size and both token
 * counts. */
typedef struct arb_overlap {
    size_t common;
    size_t candidate_len;
    size_t reference_len;
} arb_overlap;

/* §3.2: the F-measure of an overlap count. */
double arb_f_measure(size_t common, size_t candidate_len, size_t reference_len);

/* §3.3: the token overlap of `candidate` with `reference`. */
arb_overlap arb_token_overlap(arb_slice candidate, arb_slice reference);

/* §3.3: the token F1 of an overlap. */
double arb_overlap_f1(arb_overlap overlap);

/* §3.3: token F1, arb_overlap_f1(arb_token_overlap(candidate, reference)). */
double arb_token_f1(arb_slice candidate, arb_slice reference);

/* §3.4: ROUGE-L F (longest common token subsequence). */
double arb_rouge_l(arb_slice candidate, arb_slice reference);

#endif
