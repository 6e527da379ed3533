/* The corpus entries, split as Rust's `corpus.rs` splits them:
 * `str::lines` (split at "\n", drop one "\r" before it, no empty last
 * line), then `split_once('\t')`. */
#include "corpus.h"

#include <stdint.h>
#include <string.h>

/* Appends the line text[start..end) as an entry if it has a tab. */
static void push_line(entry **entries, size_t *count, size_t *cap, size_t start, size_t tab,
                      size_t end) {
    if (tab >= end) {
        return;
    }
    if (*count == *cap) {
        *cap = *cap > 0 ? 2 * *cap : 64;
        *entries = arb_realloc(*entries, *cap, sizeof **entries);
    }
    entry *e = &(*entries)[(*count)++];
    e->question.ptr = corpus_tsv + start;
    e->question.len = tab - start;
    e->reference.ptr = corpus_tsv + tab + 1;
    e->reference.len = end - tab - 1;
}

entry *corpus_entries(size_t *count) {
    /* One pass over the bytes: this runs in every challenge and score. */
    entry *entries = NULL;
    size_t cap = 0, start = 0, tab = SIZE_MAX;
    *count = 0;
    for (size_t i = 0; i < corpus_tsv_len; i++) {
        if (corpus_tsv[i] == '\n') {
            size_t end = (i > start && corpus_tsv[i - 1] == '\r') ? i - 1 : i;
            push_line(&entries, count, &cap, start, tab, end);
            start = i + 1;
            tab = SIZE_MAX;
        } else if (corpus_tsv[i] == '\t' && tab == SIZE_MAX) {
            tab = i;
        }
    }
    /* A last line without "\n" keeps a final "\r", as in Rust. */
    push_line(&entries, count, &cap, start, tab, corpus_tsv_len);
    return entries;
}

bool corpus_reference(const entry *entries, size_t count, arb_slice question,
                      arb_slice *reference) {
    for (size_t i = 0; i < count; i++) {
        if (entries[i].question.len == question.len &&
            (question.len == 0 || memcmp(entries[i].question.ptr, question.ptr, question.len) == 0)) {
            *reference = entries[i].reference;
            return true;
        }
    }
    return false;
}
