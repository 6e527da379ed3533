/* Allocation that never returns NULL: like malloc/calloc/realloc, but
 * running out of memory traps (abort), as it does in the Rust SDK. A
 * mechanism call whose memory runs out cannot give a result anyway, so the
 * SDK's helpers (and mechanism code) need no out-of-memory paths. Release
 * with free(). */
#ifndef ARBITER_ALLOC_H
#define ARBITER_ALLOC_H

#include <stddef.h>

/* `count` elements of `size` bytes (at least one byte is allocated). */
void *arb_alloc(size_t count, size_t size);

/* The same, zero-filled. */
void *arb_alloc_zeroed(size_t count, size_t size);

/* Resizes `ptr` to `count` elements of `size` bytes. */
void *arb_realloc(void *ptr, size_t count, size_t size);

#endif
