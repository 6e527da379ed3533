/* The types of arbiter/mechanism.h that need no bindings: the context's
 * helpers, payload views, the query and weight builders, and errors. The
 * checks and messages are the Rust SDK's (context.rs, exchange.rs). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arbiter/alloc.h"
#include "arbiter/mechanism.h"
#include "arbiter/utf8.h"

arb_rng arb_context_rng(const arb_context *ctx) {
    return arb_rng_from_seed(ctx->seed);
}

size_t arb_context_uid_count(const arb_context *ctx) {
    size_t count = 0;
    for (size_t i = 0; i < ctx->neuron_count; i++) {
        if ((size_t)ctx->neurons[i].uid + 1 > count) {
            count = (size_t)ctx->neurons[i].uid + 1;
        }
    }
    return count;
}

bool arb_context_hotkey(const arb_context *ctx, size_t index, arb_slice *hotkey) {
    if (index >= ctx->hotkeys.len / 32) {
        return false;
    }
    hotkey->ptr = ctx->hotkeys.ptr + 32 * index;
    hotkey->len = 32;
    return true;
}

bool arb_payloads_valid(const arb_payloads *batch) {
    for (size_t i = 1; i < batch->count; i++) {
        if (batch->ends[i - 1] > batch->ends[i]) {
            return false;
        }
    }
    size_t last = batch->count > 0 ? batch->ends[batch->count - 1] : 0;
    return last == batch->data_len;
}

arb_slice arb_payload(const arb_payloads *batch, size_t i) {
    uint32_t start = i == 0 ? 0 : batch->ends[i - 1];
    arb_slice s = {batch->data + start, batch->ends[i] - start};
    return s;
}

void arb_queries_push(arb_queries *queries, uint16_t uid, arb_slice request) {
    if (queries->count == queries->cap) {
        queries->cap = queries->cap > 0 ? 2 * queries->cap : 16;
        queries->uids = arb_realloc(queries->uids, queries->cap, sizeof *queries->uids);
        queries->ends = arb_realloc(queries->ends, queries->cap, sizeof *queries->ends);
    }
    arb_enc_raw(&queries->data, request.ptr, request.len);
    queries->uids[queries->count] = uid;
    queries->ends[queries->count] = (uint32_t)queries->data.len;
    queries->count++;
}

size_t arb_responses_count(const arb_responses *responses) {
    return responses->queries.count;
}

arb_response arb_responses_get(const arb_responses *responses, size_t i) {
    arb_response r;
    r.uid = responses->queries.uids[i];
    r.query = arb_payload(&responses->queries, i);
    r.status = (arb_reply_status)responses->status[i];
    r.payload = arb_payload(&responses->replies, i);
    r.latency_ms = responses->latency_ms[i];
    return r;
}

bool arb_response_bytes(const arb_response *response, arb_slice *bytes) {
    if (response->status != ARB_REPLY_OK) {
        return false;
    }
    *bytes = response->payload;
    return true;
}

bool arb_response_text(const arb_response *response, arb_slice *text) {
    return arb_response_bytes(response, text) && arb_utf8_valid(text->ptr, text->len);
}

void arb_weights_push(arb_weights *weights, uint16_t uid, double value) {
    if (weights->count == weights->cap) {
        weights->cap = weights->cap > 0 ? 2 * weights->cap : 16;
        weights->items = arb_realloc(weights->items, weights->cap, sizeof *weights->items);
    }
    weights->items[weights->count].uid = uid;
    weights->items[weights->count].value = value;
    weights->count++;
}

/* Empties the message and sets the kind. */
static void reset(arb_error *error, arb_error_kind kind) {
    error->kind = kind;
    error->message.len = 0;
}

bool arb_fail(arb_error *error, arb_error_kind kind, const char *format, ...) {
    reset(error, kind);
    va_list args;
    va_start(args, format);
    int len = vsnprintf(NULL, 0, format, args);
    va_end(args);
    if (len > 0) {
        char *text = arb_alloc((size_t)len + 1, 1);
        va_start(args, format);
        vsnprintf(text, (size_t)len + 1, format, args);
        va_end(args);
        arb_enc_raw(&error->message, text, (size_t)len);
        free(text);
    }
    return false;
}

bool arb_fail_quoting(arb_error *error, arb_error_kind kind, const char *before, arb_slice text,
                      const char *after) {
    reset(error, kind);
    arb_enc_raw(&error->message, before, strlen(before));
    arb_enc_raw(&error->message, text.ptr, text.len);
    arb_enc_raw(&error->message, after, strlen(after));
    return false;
}

bool arb_fail_codec(arb_error *error, const arb_codec_error *codec) {
    char text[160];
    arb_codec_error_format(codec, text, sizeof text);
    return arb_fail(error, ARB_INVALID_STATE, "%s", text);
}
