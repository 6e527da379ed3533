/* `text-match` in C: the same mechanism as subnets/text-match (Rust) and
 * subnets/text-match-py (Python), byte for byte: same description, same
 * configuration errors, same queries, state bytes and weights.
 *
 * Each step, every miner except the validator gets a question drawn from
 * the embedded corpus (corpus.h) with the step's seed. A reply is scored by
 * token F1 against the reference answer, times a length penalty that stops
 * padding from paying; anything but a UTF-8 answer scores 0. Each miner's
 * score enters an exponential moving average; the epoch's weights are the
 * EMA normalised to sum 1.
 *
 * Wire format: a query is the question as UTF-8 text; a reply is the
 * answer as UTF-8 text. Configuration (optional, `key=value` lines, see
 * config.h): `alpha` (EMA weight of a new score, default 0.1) and
 * `queries_per_step` (miners asked per step, 0 = all, the default).
 *
 * Built by subnets/build-c.sh with the C SDK (guest-sdk/c). */
#include <stdlib.h>
#include <string.h>

#include "arbiter.h"
#include "config.h"
#include "corpus.h"

/* A reply may be this many times as long as the reference (in tokens)
 * before the length penalty applies. */
#define LENGTH_ALLOWANCE 2

/* What text-match keeps between calls, encoded as the Rust
 * `impl_codec!(State { alpha, queries_per_step, ema })`. */
struct arb_state {
    double alpha;
    uint32_t queries_per_step;
    /* Each uid's moving average of rewards, indexed by uid. */
    double *ema;
    size_t ema_len;
};

bool arb_state_decode(arb_decoder *input, arb_state **out) {
    arb_state *s = arb_alloc_zeroed(1, sizeof *s);
    *out = s;
    return arb_dec_f64(input, &s->alpha) && arb_dec_u32(input, &s->queries_per_step) &&
           arb_dec_f64_vec(input, &s->ema, &s->ema_len);
}

void arb_state_encode(const arb_state *s, arb_encoder *out) {
    arb_enc_f64(out, s->alpha);
    arb_enc_u32(out, s->queries_per_step);
    arb_enc_f64_vec(out, s->ema, s->ema_len);
}

void arb_mechanism_describe(arb_info *info) {
    info->name = "text-match";
    info->version = "0.1.0";
    info->query_timeout_ms = 8000;
    info->max_response_bytes = 4096;
    info->steps_per_epoch = 10;
}

bool arb_mechanism_init(arb_slice text, arb_state **out, arb_error *error) {
    config c;
    if (!config_parse(text, &c, error)) {
        return false;
    }
    arb_state *s = arb_alloc_zeroed(1, sizeof *s);
    s->alpha = c.alpha;
    s->queries_per_step = c.queries_per_step;
    *out = s;
    return true;
}

/* The uids of everyone but the validator, in metagraph order; sets *count. */
static uint16_t *miners_all(const arb_context *ctx, size_t *count) {
    uint16_t *uids = arb_alloc(ctx->neuron_count, sizeof *uids);
    size_t n = 0;
    for (size_t i = 0; i < ctx->neuron_count; i++) {
        if (ctx->neurons[i].uid != ctx->validator_uid) {
            uids[n++] = ctx->neurons[i].uid;
        }
    }
    *count = n;
    return uids;
}

/* qsort order of uids, ascending. */
static int by_uid(const void *a, const void *b) {
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* The uids to query: everyone but the validator, or a seeded sample of
 * `queries_per_step` of them in ascending order; sets *count. */
static uint16_t *miners(const arb_context *ctx, const arb_state *s, arb_rng *rng, size_t *count) {
    uint16_t *all = miners_all(ctx, count);
    size_t k = s->queries_per_step;
    if (k == 0 || k >= *count) {
        return all;
    }
    uint32_t *picks = arb_alloc(k, sizeof *picks);
    uint16_t *picked = arb_alloc(k, sizeof *picked);
    arb_rng_sample(rng, (uint32_t)*count, (uint32_t)k, picks);
    for (size_t i = 0; i < k; i++) {
        picked[i] = all[picks[i]];
    }
    qsort(picked, k, sizeof *picked, by_uid);
    free(picks);
    free(all);
    *count = k;
    return picked;
}

bool arb_mechanism_challenge(const arb_context *ctx, const arb_state *s,
                             arb_queries *queries, arb_error *error) {
    (void)error;
    size_t entries_len, count;
    entry *entries = corpus_entries(&entries_len);
    arb_rng rng = arb_context_rng(ctx);
    uint16_t *uids = miners(ctx, s, &rng, &count);
    for (size_t i = 0; i < count; i++) {
        uint64_t pick = arb_rng_below(&rng, entries_len);
        arb_queries_push(queries, uids[i], entries[pick].question);
    }
    free(uids);
    free(entries);
    return true;
}

/* The reward for a reply to a question whose answer is `reference`, in
 * [0, 1]: token F1 times the length penalty for a UTF-8 answer, else 0. The
 * penalty is 1 up to LENGTH_ALLOWANCE times the reference's token count,
 * then allowance / reply tokens. */
static double reward(const arb_response *response, arb_slice reference) {
    arb_slice answer;
    if (!arb_response_text(response, &answer)) {
        return 0.0;
    }
    arb_overlap overlap = arb_token_overlap(answer, reference);
    double f1 = arb_overlap_f1(overlap);
    if (f1 == 0.0) {
        return 0.0;
    }
    size_t allowance = LENGTH_ALLOWANCE * overlap.reference_len;
    size_t length = overlap.candidate_len;
    if (length <= allowance) {
        return f1;
    }
    return f1 * ((double)allowance / (double)length);
}

/* Resizes the EMA table to `len` uids, new ones at 0. */
static void resize(arb_state *s, size_t len) {
    double *ema = arb_alloc_zeroed(len, sizeof *ema);
    memcpy(ema, s->ema, (s->ema_len < len ? s->ema_len : len) * sizeof *ema);
    free(s->ema);
    s->ema = ema;
    s->ema_len = len;
}

bool arb_mechanism_score(const arb_context *ctx, arb_state *s, const arb_responses *responses,
                         arb_error *error) {
    resize(s, arb_context_uid_count(ctx));
    for (size_t i = 0; i < ctx->neuron_count; i++) {
        if (ctx->neurons[i].replaced) {
            s->ema[ctx->neurons[i].uid] = 0.0;
        }
    }
    size_t entries_len;
    entry *entries = corpus_entries(&entries_len);
    bool ok = true;
    for (size_t i = 0; ok && i < arb_responses_count(responses); i++) {
        arb_response r = arb_responses_get(responses, i);
        arb_slice reference;
        if (!corpus_reference(entries, entries_len, r.query, &reference)) {
            ok = arb_fail(error, ARB_INVALID_INPUT,
                          "uid %u was asked a question not in the corpus", (unsigned)r.uid);
        } else if (r.uid >= s->ema_len) {
            ok = arb_fail(error, ARB_INVALID_INPUT, "uid %u is not in the metagraph",
                          (unsigned)r.uid);
        } else {
            s->ema[r.uid] = arb_ema(s->ema[r.uid], reward(&r, reference), s->alpha);
        }
    }
    free(entries);
    return ok;
}

bool arb_mechanism_weights(const arb_context *ctx, const arb_state *s, arb_weights *weights,
                           arb_error *error) {
    (void)error;
    size_t count;
    uint16_t *uids = miners_all(ctx, &count);
    double *scores = arb_alloc(count, sizeof *scores);
    for (size_t i = 0; i < count; i++) {
        scores[i] = uids[i] < s->ema_len ? s->ema[uids[i]] : 0.0;
    }
    arb_normalize_l1(scores, scores, count);
    for (size_t i = 0; i < count; i++) {
        if (scores[i] > 0.0) {
            arb_weights_push(weights, uids[i], scores[i]);
        }
    }
    free(scores);
    free(uids);
    return true;
}
