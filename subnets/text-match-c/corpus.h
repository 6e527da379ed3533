/* text-match's embedded corpus of questions and reference answers: the
 * bytes of subnets/text-match/corpus.tsv (the file the Rust and Python
 * versions embed too, so all of them draw the same questions for the same
 * seed), compiled in by subnets/build-c.sh as `corpus_tsv`. */
#ifndef TEXT_MATCH_CORPUS_H
#define TEXT_MATCH_CORPUS_H

#include <stddef.h>

#include "arbiter.h"

/* The file's bytes; defined in the generated corpus_tsv.c. */
extern const unsigned char corpus_tsv[];
extern const size_t corpus_tsv_len;

/* One question and the answer replies are scored against. */
typedef struct entry {
    arb_slice question;
    arb_slice reference;
} entry;

/* The entries, in file order (lines without a tab are skipped); free the
 * array. Sets *count. */
entry *corpus_entries(size_t *count);

/* The reference answer to `question` (the first entry asking it), if any. */
bool corpus_reference(const entry *entries, size_t count, arb_slice question,
                      arb_slice *reference);

#endif
