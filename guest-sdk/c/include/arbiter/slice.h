/* `arb_slice`, the borrowed byte run the whole SDK speaks in: text,
 * payloads, state bytes and tokens are all views into someone else's
 * buffer, never NUL-terminated and possibly holding NULs. */
#ifndef ARBITER_SLICE_H
#define ARBITER_SLICE_H

#include <stddef.h>
#include <stdint.h>

/* A run of bytes inside someone else's buffer. */
typedef struct arb_slice {
    const uint8_t *ptr;
    size_t len;
} arb_slice;

/* The slice of a NUL-terminated string (without the NUL). */
arb_slice arb_slice_str(const char *text);

#endif
