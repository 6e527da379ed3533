/* Diagnostics for the operator (wit interface `log`): messages go to the
 * host's log and the transcript, and nothing comes back, so logging cannot
 * change a result. */
#ifndef ARBITER_LOG_H
#define ARBITER_LOG_H

#include "arbiter/slice.h"

typedef enum arb_log_level {
    ARB_LOG_DEBUG,
    ARB_LOG_INFO,
    ARB_LOG_WARN,
    ARB_LOG_ERROR,
} arb_log_level;

/* Records `message` (UTF-8) at `level`. */
void arb_log(arb_log_level level, arb_slice message);

#endif
