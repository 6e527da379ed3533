"""`text-match` in Python: the same mechanism as `subnets/text-match` (Rust),
byte for byte: same queries, same state bytes, same weights.

Each step, every miner except the validator gets a question drawn from the
embedded corpus with the step's seed. A reply is scored by token F1 against
the reference answer, times a length penalty that stops padding from paying;
anything but a UTF-8 answer scores 0. Each miner's score enters an
exponential moving average; the epoch's weights are the EMA normalised to
sum 1.

Configuration (optional, `key=value` lines): `alpha` (EMA weight of a new
score, default 0.1) and `queries_per_step` (miners asked per step, 0 = all).

The corpus is `subnets/text-match/corpus.tsv`, embedded at build time into
the generated module `text_match_corpus` (the component has no files).
"""

import re

from arbiter_sdk import (
    Info,
    InvalidConfig,
    InvalidInput,
    Queries,
    Weight,
    codec,
    export,
)
from arbiter_sdk.numeric import ema, normalize_l1
from arbiter_sdk.text import token_overlap
from text_match_corpus import CORPUS_TSV

VERSION = "0.1.0"

# The state, field for field the Rust `impl_codec!(State { alpha,
# queries_per_step, ema })`.
STATE = codec.Struct(
    ("alpha", codec.F64),
    ("queries_per_step", codec.U32),
    ("ema", codec.Vec(codec.F64)),
)

DEFAULT_ALPHA = 0.1

# A reply may be this many times as long as the reference (in tokens)
# before the length penalty applies.
LENGTH_ALLOWANCE = 2


def rust_lines(text):
    """Rust's `str::lines` (for str or bytes): split at `\\n`, drop one `\\r`
    before it, no empty last line."""
    nl, cr = ("\n", "\r") if isinstance(text, str) else (b"\n", b"\r")
    parts = text.split(nl)
    last = parts.pop()
    lines = [p[:-1] if p.endswith(cr) else p for p in parts]
    if last:
        lines.append(last)
    return lines


# Rust's `char::is_whitespace` (Unicode White_Space); Python's `str.strip()`
# also strips U+001C..U+001F, so `trim` must name the set.
_RUST_WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)


def trim(s):
    return s.strip(_RUST_WHITESPACE)


# What Rust's `str::parse::<f64>` and `::<u32>` accept (ASCII digits only;
# Python's float() and int() would also take "1_0" or non-ASCII digits).
_RUST_F64 = re.compile(
    r"[+-]?(?:inf|infinity|nan|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)",
    re.ASCII | re.IGNORECASE,
)
_RUST_U32 = re.compile(r"\+?[0-9]+", re.ASCII)


def parse_f64(s):
    if not _RUST_F64.fullmatch(s):
        return None
    return float(s)


def parse_u32(s):
    if not _RUST_U32.fullmatch(s):
        return None
    value = int(s)
    return value if value <= 0xFFFF_FFFF else None


def corpus_entries():
    """(question, reference) byte pairs, in file order; lines without a tab
    are skipped."""
    out = []
    for line in rust_lines(CORPUS_TSV):
        question, tab, reference = line.partition(b"\t")
        if tab:
            out.append((question, reference))
    return out


CORPUS = corpus_entries()
REFERENCE = {}
for _question, _reference in CORPUS:
    REFERENCE.setdefault(_question, _reference)  # the first entry wins, as in Rust


def reward(reply, reference):
    """Token F1 times the length penalty for a UTF-8 answer, else 0."""
    if reply.text() is None:
        return 0.0
    overlap = token_overlap(reply.bytes(), reference)
    f1 = overlap.f1()
    if f1 == 0.0:
        return 0.0
    allowance = LENGTH_ALLOWANCE * overlap.reference_len
    length = overlap.candidate_len
    if length <= allowance:
        return f1
    return f1 * (float(allowance) / float(length))


def miners(ctx, state, rng):
    """Everyone but the validator, or a seeded sample of `queries_per_step`
    of them in ascending order."""
    everyone = [n.uid for n in ctx.neurons if n.uid != ctx.validator_uid]
    k = state["queries_per_step"]
    if k == 0 or k >= len(everyone):
        return everyone
    return sorted(everyone[i] for i in rng.sample(len(everyone), k))


class TextMatch:
    STATE = STATE

    def describe(self):
        return Info(
            "text-match",
            VERSION,
            query_timeout_ms=8_000,
            max_response_bytes=4096,
            steps_per_epoch=10,
        )

    def init(self, config):
        state = {"alpha": DEFAULT_ALPHA, "queries_per_step": 0, "ema": []}
        try:
            text = config.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidConfig("configuration is not UTF-8") from None
        for line in rust_lines(text):
            line = trim(line)
            if not line:
                continue
            invalid = InvalidConfig("cannot read `%s`" % line)
            key, eq, value = line.partition("=")
            if not eq:
                raise invalid
            key = trim(key)
            if key == "alpha":
                alpha = parse_f64(trim(value))
                if alpha is None:
                    raise invalid
                if not (alpha > 0.0 and alpha <= 1.0):
                    raise InvalidConfig("alpha must be in (0, 1]")
                state["alpha"] = alpha
            elif key == "queries_per_step":
                k = parse_u32(trim(value))
                if k is None:
                    raise invalid
                state["queries_per_step"] = k
            else:
                raise InvalidConfig("unknown key `%s`" % key)
        return state

    def challenge(self, ctx, state):
        rng = ctx.rng()
        queries = Queries()
        for uid in miners(ctx, state, rng):
            question, _ = CORPUS[rng.below(len(CORPUS))]
            queries.push(uid, question)
        return queries

    def score(self, ctx, state, responses):
        n = ctx.uid_count()
        scores = state["ema"][:n]
        scores.extend([0.0] * (n - len(scores)))
        for neuron in ctx.neurons:
            if neuron.replaced:
                scores[neuron.uid] = 0.0
        alpha = state["alpha"]
        for response in responses:
            reference = REFERENCE.get(response.query)
            if reference is None:
                raise InvalidInput(
                    "uid %d was asked a question not in the corpus" % response.uid
                )
            if response.uid >= len(scores):
                raise InvalidInput("uid %d is not in the metagraph" % response.uid)
            scores[response.uid] = ema(
                scores[response.uid], reward(response.reply, reference), alpha
            )
        state["ema"] = scores
        return state

    def weights(self, ctx, state):
        scores = state["ema"]
        uids = [n.uid for n in ctx.neurons if n.uid != ctx.validator_uid]
        values = [scores[uid] if uid < len(scores) else 0.0 for uid in uids]
        return [
            Weight(uid, value)
            for uid, value in zip(uids, normalize_l1(values))
            if value > 0.0
        ]


Mechanism = export(TextMatch)
