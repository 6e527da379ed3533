/* The component's exports and imports: the glue between the bindings
 * `wit-bindgen c` generates for world `subnet` (subnet.h, generated at
 * build time) and the SDK's types. It mirrors the Rust SDK's export glue
 * (mechanism.rs): decode the state (requiring the end of input), check the
 * replies against the queries, call the mechanism, encode the new state,
 * with the same error words at each step.
 *
 * Everything returned to the host is malloc'd, because the generated
 * post-return functions free it. Arguments are not freed: every call runs
 * in a fresh instance whose memory goes with it. */
#include <stdlib.h>
#include <string.h>

#include "arbiter.h"
#include "subnet.h"

typedef exports_arbiter_mechanism_mechanism_mechanism_error_t wit_error;

void arb_log(arb_log_level level, arb_slice message) {
    subnet_string_t text = {(uint8_t *)message.ptr, message.len};
    arbiter_mechanism_log_log((arbiter_mechanism_log_level_t)level, &text);
}

/* Moves the encoder's bytes into a list the host takes. */
static subnet_list_u8_t take_bytes(arb_encoder *e) {
    subnet_list_u8_t list = {e->bytes, e->len};
    arb_enc_init(e);
    return list;
}

/* The wit error for a mechanism error. */
static bool to_wit(arb_error *error, wit_error *out) {
    out->tag = (uint8_t)error->kind;
    subnet_list_u8_t text = take_bytes(&error->message);
    /* invalid_config, invalid_state and invalid_input share the place. */
    out->val.invalid_config.ptr = text.ptr;
    out->val.invalid_config.len = text.len;
    return false;
}

static arb_context context_from(const exports_arbiter_mechanism_mechanism_context_t *raw) {
    arb_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.netuid = raw->netuid;
    ctx.mechid = raw->mechid;
    ctx.epoch = raw->epoch;
    ctx.step = raw->step;
    ctx.block = raw->block;
    ctx.block_time_ms = raw->block_time_ms;
    ctx.block_hash.ptr = raw->block_hash.ptr;
    ctx.block_hash.len = raw->block_hash.len;
    /* The host always sends 32 bytes; anything else leaves zeros. */
    if (raw->seed.len >= 32) {
        memcpy(ctx.seed, raw->seed.ptr, 32);
    }
    ctx.validator_uid = raw->validator_uid;
    arb_neuron *neurons = arb_alloc(raw->neurons.len, sizeof *neurons);
    for (size_t i = 0; i < raw->neurons.len; i++) {
        const arbiter_mechanism_types_neuron_t *n = &raw->neurons.ptr[i];
        neurons[i].uid = n->uid;
        neurons[i].stake = n->stake;
        neurons[i].validator_permit = n->validator_permit;
        neurons[i].active = n->active;
        neurons[i].replaced = n->replaced;
    }
    ctx.neurons = neurons;
    ctx.neuron_count = raw->neurons.len;
    ctx.hotkeys.ptr = raw->hotkeys.ptr;
    ctx.hotkeys.len = raw->hotkeys.len;
    return ctx;
}

static arb_payloads payloads_from(const arbiter_mechanism_types_payloads_t *raw) {
    arb_payloads p = {raw->uids.ptr, raw->ends.ptr, raw->uids.len, raw->data.ptr, raw->data.len};
    return p;
}

/* The state in `bytes`, or an invalid-state error. */
static bool decode_state(const subnet_list_u8_t *bytes, arb_state **state, arb_error *error) {
    arb_decoder d = arb_dec_new(bytes->ptr, bytes->len);
    if (!arb_state_decode(&d, state) || !arb_dec_finish(&d)) {
        /* A decoder that failed without saying why names the whole state. */
        arb_dec_fail(&d, d.offset, "a valid state");
        return arb_fail_codec(error, &d.error);
    }
    return true;
}

/* The state's bytes, or an invalid-state error. */
static bool encode_state(const arb_state *state, subnet_list_u8_t *out, arb_error *error) {
    arb_encoder e;
    arb_enc_init(&e);
    arb_state_encode(state, &e);
    arb_codec_error codec;
    if (!arb_enc_finish(&e, &codec)) {
        arb_enc_free(&e);
        return arb_fail_codec(error, &codec);
    }
    *out = take_bytes(&e);
    return true;
}

/* Rust's `Responses::from_wit` checks, with its words. */
static bool check_responses(const arb_responses *r, size_t status_len, size_t latency_len,
                            arb_error *error) {
    if (!arb_payloads_valid(&r->queries)) {
        return arb_fail(error, ARB_INVALID_INPUT, "queries batch is malformed");
    }
    if (!arb_payloads_valid(&r->replies)) {
        return arb_fail(error, ARB_INVALID_INPUT, "replies batch is malformed");
    }
    size_t n = r->queries.count;
    bool same_uids = r->replies.count == n &&
                     (n == 0 || memcmp(r->replies.uids, r->queries.uids, n * sizeof(uint16_t)) == 0);
    if (!same_uids || status_len != n || latency_len != n) {
        return arb_fail(error, ARB_INVALID_INPUT,
                        "responses do not match the queries one to one");
    }
    return true;
}

/* A NUL-terminated string as a string the host takes. */
static subnet_string_t string_from(const char *text) {
    subnet_string_t s;
    subnet_string_dup(&s, text);
    return s;
}

void exports_arbiter_mechanism_mechanism_describe(exports_arbiter_mechanism_mechanism_info_t *ret) {
    arb_info info = {"", "", 12000, 64 << 10, 4};
    arb_mechanism_describe(&info);
    ret->name = string_from(info.name);
    ret->version = string_from(info.version);
    ret->query_timeout_ms = info.query_timeout_ms;
    ret->max_response_bytes = info.max_response_bytes;
    ret->steps_per_epoch = info.steps_per_epoch;
}

bool exports_arbiter_mechanism_mechanism_init(subnet_list_u8_t *config, subnet_list_u8_t *ret,
                                              wit_error *err) {
    arb_error error = {ARB_INVALID_CONFIG, {0}};
    arb_slice text = {config->ptr, config->len};
    arb_state *state = NULL;
    if (!arb_mechanism_init(text, &state, &error) || !encode_state(state, ret, &error)) {
        return to_wit(&error, err);
    }
    return true;
}

bool exports_arbiter_mechanism_mechanism_challenge(exports_arbiter_mechanism_mechanism_context_t *raw,
                                                   subnet_list_u8_t *bytes,
                                                   exports_arbiter_mechanism_mechanism_payloads_t *ret,
                                                   wit_error *err) {
    arb_error error = {ARB_INVALID_STATE, {0}};
    arb_state *state = NULL;
    if (!decode_state(bytes, &state, &error)) {
        return to_wit(&error, err);
    }
    arb_context ctx = context_from(raw);
    arb_queries queries;
    memset(&queries, 0, sizeof queries);
    if (!arb_mechanism_challenge(&ctx, state, &queries, &error)) {
        return to_wit(&error, err);
    }
    ret->uids.ptr = queries.uids;
    ret->uids.len = queries.count;
    ret->ends.ptr = queries.ends;
    ret->ends.len = queries.count;
    ret->data = take_bytes(&queries.data);
    return true;
}

bool exports_arbiter_mechanism_mechanism_score(exports_arbiter_mechanism_mechanism_context_t *raw,
                                               subnet_list_u8_t *bytes,
                                               exports_arbiter_mechanism_mechanism_payloads_t *queries,
                                               exports_arbiter_mechanism_mechanism_responses_t *responses,
                                               subnet_list_u8_t *ret, wit_error *err) {
    arb_error error = {ARB_INVALID_STATE, {0}};
    arb_state *state = NULL;
    if (!decode_state(bytes, &state, &error)) {
        return to_wit(&error, err);
    }
    arb_responses view;
    view.queries = payloads_from(queries);
    view.status = responses->status.ptr;
    view.latency_ms = responses->latency_ms.ptr;
    view.replies = payloads_from(&responses->replies);
    if (!check_responses(&view, responses->status.len, responses->latency_ms.len, &error)) {
        return to_wit(&error, err);
    }
    arb_context ctx = context_from(raw);
    if (!arb_mechanism_score(&ctx, state, &view, &error) || !encode_state(state, ret, &error)) {
        return to_wit(&error, err);
    }
    return true;
}

bool exports_arbiter_mechanism_mechanism_weights(exports_arbiter_mechanism_mechanism_context_t *raw,
                                                 subnet_list_u8_t *bytes,
                                                 exports_arbiter_mechanism_mechanism_list_weight_t *ret,
                                                 wit_error *err) {
    arb_error error = {ARB_INVALID_STATE, {0}};
    arb_state *state = NULL;
    if (!decode_state(bytes, &state, &error)) {
        return to_wit(&error, err);
    }
    arb_context ctx = context_from(raw);
    arb_weights weights;
    memset(&weights, 0, sizeof weights);
    if (!arb_mechanism_weights(&ctx, state, &weights, &error)) {
        return to_wit(&error, err);
    }
    ret->ptr = arb_alloc(weights.count, sizeof *ret->ptr);
    ret->len = weights.count;
    for (size_t i = 0; i < weights.count; i++) {
        ret->ptr[i].uid = weights.items[i].uid;
        ret->ptr[i].value = weights.items[i].value;
    }
    free(weights.items);
    return true;
}
