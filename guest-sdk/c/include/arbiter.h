/* Arbiter's C guest SDK: everything a mechanism author includes. See
 * guest-sdk/c/README.md, and guest-sdk/ALGORITHMS.md for the deterministic
 * helpers' exact algorithms. */
#ifndef ARBITER_H
#define ARBITER_H

#include "arbiter/alloc.h"
#include "arbiter/codec.h"
#include "arbiter/log.h"
#include "arbiter/mechanism.h"
#include "arbiter/numeric.h"
#include "arbiter/rng.h"
#include "arbiter/slice.h"
#include "arbiter/text.h"
#include "arbiter/utf8.h"

#endif
