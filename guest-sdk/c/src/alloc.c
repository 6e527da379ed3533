/* Allocation that traps instead of returning NULL (see arbiter/alloc.h). */
#include "arbiter/alloc.h"

#include <stdint.h>
#include <stdlib.h>

static size_t bytes_for(size_t count, size_t size) {
    if (size != 0 && count > SIZE_MAX / size) {
        abort();
    }
    return count * size > 0 ? count * size : 1;
}

void *arb_alloc(size_t count, size_t size) {
    void *ptr = malloc(bytes_for(count, size));
    if (ptr == NULL) {
        abort();
    }
    return ptr;
}

void *arb_alloc_zeroed(size_t count, size_t size) {
    void *ptr = calloc(bytes_for(count, size), 1);
    if (ptr == NULL) {
        abort();
    }
    return ptr;
}

void *arb_realloc(void *ptr, size_t count, size_t size) {
    void *grown = realloc(ptr, bytes_for(count, size));
    if (grown == NULL) {
        abort();
    }
    return grown;
}
