/* text-match's configuration: `key=value` lines, read exactly as the Rust
 * version reads them (`str::lines`, `str::trim`, `f64`/`u32` `FromStr`),
 * with the same error words. */
#ifndef TEXT_MATCH_CONFIG_H
#define TEXT_MATCH_CONFIG_H

#include <stdint.h>

#include "arbiter.h"

/* The EMA weight of a new score unless configured. */
#define DEFAULT_ALPHA 0.1

typedef struct config {
    /* EMA weight of a new score, in (0, 1]. */
    double alpha;
    /* Miners asked per step (0: all). */
    uint32_t queries_per_step;
} config;

/* Reads `text` into *out, or fails with an invalid-config error. */
bool config_parse(arb_slice text, config *out, arb_error *error);

#endif
