/* arb_slice helpers (see arbiter/slice.h). */
#include "arbiter/slice.h"

#include <string.h>

arb_slice arb_slice_str(const char *text) {
    arb_slice s = {(const uint8_t *)text, strlen(text)};
    return s;
}
