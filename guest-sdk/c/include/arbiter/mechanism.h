/* Writing a mechanism in C: the five functions a mechanism defines
 * (arb_mechanism_describe ... arb_mechanism_weights, at the end of this
 * file), and the types they speak: the step's context, typed views over the
 * contract's flat payload buffers, a query builder, weights and errors.
 *
 * The SDK's export glue (src/wit/export.c, the only file that includes the
 * bindings `wit-bindgen c` generates for world `subnet`) calls them. Each
 * call runs in a fresh instance, and everything given to a mechanism
 * function is borrowed for that call only. */
#ifndef ARBITER_MECHANISM_H
#define ARBITER_MECHANISM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arbiter/codec.h"
#include "arbiter/rng.h"
#include "arbiter/slice.h"

/* Static facts about the mechanism (wit `info`). */
typedef struct arb_info {
    const char *name;
    const char *version;
    /* How long the host waits for each reply; default 12000. */
    uint32_t query_timeout_ms;
    /* Longer replies arrive as ARB_REPLY_OVERSIZED; default 65536. */
    uint32_t max_response_bytes;
    /* Query/score steps per epoch; default 4. */
    uint32_t steps_per_epoch;
} arb_info;

/* One neuron of the metagraph (wit `neuron`). */
typedef struct arb_neuron {
    uint16_t uid;
    /* Stake weight in rao. */
    uint64_t stake;
    bool validator_permit;
    /* Set weights within the activity cutoff. */
    bool active;
    /* Its hotkey changed since the previous step: forget its history. */
    bool replaced;
} arb_neuron;

/* Everything a call may depend on besides its arguments (wit `context`). */
typedef struct arb_context {
    uint16_t netuid;
    uint8_t mechid;
    uint64_t epoch;
    uint32_t step;
    uint64_t block;
    uint64_t block_time_ms;
    arb_slice block_hash;
    /* The step's seed (zeros unless the host sent 32 bytes, as in Rust). */
    uint8_t seed[32];
    uint16_t validator_uid;
    /* The metagraph, in ascending uid order. */
    const arb_neuron *neurons;
    size_t neuron_count;
    /* 32 bytes per neuron, in the order of `neurons`. */
    arb_slice hotkeys;
} arb_context;

/* A fresh random stream from the step's seed; draw everything from one. */
arb_rng arb_context_rng(const arb_context *ctx);

/* The largest uid plus one (0 for an empty metagraph): the length of a
 * per-uid table. */
size_t arb_context_uid_count(const arb_context *ctx);

/* The hotkey of the neuron at `index` of `neurons`, if there is one. */
bool arb_context_hotkey(const arb_context *ctx, size_t index, arb_slice *hotkey);

/* A batch of per-uid payloads in one buffer (wit `payloads`): payload i is
 * data[ends[i-1] .. ends[i]]. */
typedef struct arb_payloads {
    const uint16_t *uids;
    const uint32_t *ends;
    size_t count;
    const uint8_t *data;
    size_t data_len;
} arb_payloads;

/* Whether the batch is well formed (ends never decrease and the last is
 * the data's length). */
bool arb_payloads_valid(const arb_payloads *batch);

/* Payload i of a well-formed batch. */
arb_slice arb_payload(const arb_payloads *batch, size_t i);

/* The queries of one step, built with arb_queries_push. */
typedef struct arb_queries {
    uint16_t *uids;
    uint32_t *ends;
    size_t count;
    size_t cap;
    arb_encoder data;
} arb_queries;

/* Adds a query for `uid` (at most one per uid, only uids in the metagraph). */
void arb_queries_push(arb_queries *queries, uint16_t uid, arb_slice request);

/* What became of a query (wit `reply-status`, same order). */
typedef enum arb_reply_status {
    ARB_REPLY_OK,
    ARB_REPLY_TIMEOUT,
    ARB_REPLY_UNREACHABLE,
    ARB_REPLY_REFUSED,
    ARB_REPLY_OVERSIZED,
    ARB_REPLY_MALFORMED,
    ARB_REPLY_BAD_SIGNATURE,
} arb_reply_status;

/* A step's replies paired with the queries they answer. */
typedef struct arb_responses {
    arb_payloads queries;
    const uint8_t *status;
    const uint32_t *latency_ms;
    arb_payloads replies;
} arb_responses;

/* One miner's reply with the query it answered. */
typedef struct arb_response {
    uint16_t uid;
    arb_slice query;
    arb_reply_status status;
    /* The payload: empty unless the status is OK or BAD_SIGNATURE (whose
     * bytes must not be trusted). */
    arb_slice payload;
    uint32_t latency_ms;
} arb_response;

/* How many replies there are. */
size_t arb_responses_count(const arb_responses *responses);

/* Reply i. */
arb_response arb_responses_get(const arb_responses *responses, size_t i);

/* The reply's bytes, if the miner answered and signed them (Rust's
 * `Reply::bytes`). */
bool arb_response_bytes(const arb_response *response, arb_slice *bytes);

/* The reply as text, if it is an answer in valid UTF-8 (Rust's
 * `Reply::text`). */
bool arb_response_text(const arb_response *response, arb_slice *text);

/* One entry of a weight vector. */
typedef struct arb_weight {
    uint16_t uid;
    /* Finite and non-negative; the host normalises the vector. */
    double value;
} arb_weight;

/* The weights to commit, built with arb_weights_push. */
typedef struct arb_weights {
    arb_weight *items;
    size_t count;
    size_t cap;
} arb_weights;

void arb_weights_push(arb_weights *weights, uint16_t uid, double value);

/* The kind of a mechanism's own failure (wit `mechanism-error`). */
typedef enum arb_error_kind {
    ARB_INVALID_CONFIG,
    ARB_INVALID_STATE,
    ARB_INVALID_INPUT,
} arb_error_kind;

/* A mechanism's failure: a deterministic verdict the host records, keeping
 * the previous state. Fill it with the arb_fail functions. */
typedef struct arb_error {
    arb_error_kind kind;
    arb_encoder message;
} arb_error;

/* Sets the error from a printf format; returns false (`return arb_fail(...)`). */
bool arb_fail(arb_error *error, arb_error_kind kind, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets the error to before ‖ text ‖ after, for messages that quote bytes
 * (which may hold NULs); returns false. */
bool arb_fail_quoting(arb_error *error, arb_error_kind kind, const char *before, arb_slice text,
                      const char *after);

/* Sets an invalid-state error from a codec error, with the Rust SDK's
 * words; returns false. */
bool arb_fail_codec(arb_error *error, const arb_codec_error *codec);

/* The mechanism: define `struct arb_state` and the seven functions below.
 * The SDK's glue decodes the state bytes a call gets with arb_state_decode
 * (then requires the end of input), calls the mechanism, and encodes the
 * state it returns with arb_state_encode: in the Rust SDK's order, so a C
 * mechanism fails with the same error as its Rust twin. Memory lives until
 * the call's instance ends (every call runs in a fresh one), so the glue
 * frees nothing it hands over. */
typedef struct arb_state arb_state;

/* Reads the state's fields in their fixed order; false on a codec error
 * (the decoder keeps it). */
bool arb_state_decode(arb_decoder *input, arb_state **state);

/* Writes the state's fields in the same order. */
void arb_state_encode(const arb_state *state, arb_encoder *out);

/* Static facts; `info` holds the defaults (set name and version). */
void arb_mechanism_describe(arb_info *info);

/* The initial state from configuration bytes (empty: the defaults). */
bool arb_mechanism_init(arb_slice config, arb_state **state, arb_error *error);

/* The queries to send this step. */
bool arb_mechanism_challenge(const arb_context *ctx, const arb_state *state,
                             arb_queries *queries, arb_error *error);

/* Folds this step's replies into the state. The glue has already checked
 * that the replies match the queries one to one. */
bool arb_mechanism_score(const arb_context *ctx, arb_state *state, const arb_responses *responses,
                         arb_error *error);

/* The weights at the end of an epoch (none: no opinion). */
bool arb_mechanism_weights(const arb_context *ctx, const arb_state *state, arb_weights *weights,
                           arb_error *error);

#endif
