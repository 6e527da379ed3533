// `text-match` in JavaScript: the same mechanism as `subnets/text-match`
// (Rust) and `subnets/text-match-py`, byte for byte: same queries, same
// state bytes, same weights, same error messages.
//
// Each step, every miner except the validator gets a question drawn from
// the embedded corpus with the step's seed. A reply is scored by token F1
// against the reference answer, times a length penalty that stops padding
// from paying; anything but a UTF-8 answer scores 0. Each miner's score
// enters an exponential moving average; the epoch's weights are the EMA
// normalised to sum 1.
//
// Configuration (optional, `key=value` lines): `alpha` (EMA weight of a new
// score, default 0.1) and `queries_per_step` (miners asked per step, 0 =
// all). It is parsed exactly as Rust parses it: Rust's `lines`, `trim` and
// number syntax, not JavaScript's.
//
// The corpus is `subnets/text-match/corpus.tsv`, the Rust version's file,
// embedded as bytes by subnets/build-js.sh's bundler (the component has no
// files).

import CORPUS_TSV from '../text-match/corpus.tsv';
import {
  Info,
  InvalidConfig,
  InvalidInput,
  Queries,
  Weight,
  codec,
  exportMechanism,
  numeric,
  text,
  utf8,
} from '../../guest-sdk/js/index.js';

const VERSION = '0.1.0';

// The state, field for field the Rust `impl_codec!(State { alpha,
// queries_per_step, ema })`.
const STATE = codec.Struct(
  ['alpha', codec.F64],
  ['queriesPerStep', codec.U32],
  ['ema', codec.Vec(codec.F64)],
);

const DEFAULT_ALPHA = 0.1;

// A reply may be this many times as long as the reference (in tokens)
// before the length penalty applies.
const LENGTH_ALLOWANCE = 2;

// Rust's `str::lines`: split at `\n`, drop one `\r` before it, no empty
// last line.
function rustLines(whole) {
  const lines = whole.split('\n');
  const last = lines.pop();
  const out = lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (last !== '') out.push(last);
  return out;
}

// Rust's `str::trim`: Unicode White_Space at both ends. (JS's `trim` also
// strips U+FEFF and keeps U+0085.)
const RUST_WHITESPACE = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const TRIM = new RegExp(`^${RUST_WHITESPACE}+|${RUST_WHITESPACE}+$`, 'g');
const trim = (s) => s.replace(TRIM, '');

// What Rust's `str::parse::<f64>` and `::<u32>` accept: ASCII only, no
// whitespace, hex, `_` or `Infinity`-only spellings (JS's Number() would
// take "0x10", " 1", "Infinity" but not "inf").
const RUST_F64 = /^[+-]?(?:[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN]|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)$/;
const RUST_U32 = /^\+?[0-9]+$/;

function parseF64(s) {
  if (!RUST_F64.test(s)) return null;
  const sign = s[0] === '-' ? -1 : 1;
  const unsigned = s.replace(/^[+-]/, '');
  if (/^[iI]/.test(unsigned)) return sign * Infinity;
  if (/^[nN]/.test(unsigned)) return NaN;
  return Number(s);
}

function parseU32(s) {
  if (!RUST_U32.test(s)) return null;
  const value = Number(s);
  return value <= 0xffffffff ? value : null;
}

// [question, reference] pairs of strings, in file order; lines without a
// tab are skipped. (Computed once, when the component is built: the
// component starts from a snapshot taken after the module's top level ran.)
const CORPUS = rustLines(utf8.decodeUtf8(CORPUS_TSV)).flatMap((line) => {
  const tab = line.indexOf('\t');
  return tab < 0 ? [] : [[line.slice(0, tab), line.slice(tab + 1)]];
});
// Question to the reference's UTF-8 bytes; the first entry wins, as in
// Rust. UTF-8 and JS strings are one-to-one on valid text, so a query
// matches a question exactly when its bytes do.
const REFERENCE = new Map();
for (const [question, reference] of CORPUS) {
  if (!REFERENCE.has(question)) REFERENCE.set(question, utf8.encodeUtf8(reference));
}

// Token F1 times the length penalty for a UTF-8 answer, else 0.
function reward(reply, reference) {
  if (reply.text() === null) return 0.0;
  const overlap = text.tokenOverlap(reply.bytes(), reference);
  const f1 = overlap.f1();
  if (f1 === 0.0) return 0.0;
  const allowance = LENGTH_ALLOWANCE * overlap.referenceLen;
  const length = overlap.candidateLen;
  if (length <= allowance) return f1;
  return f1 * (allowance / length);
}

// Everyone but the validator, or a seeded sample of `queriesPerStep` of
// them in ascending order.
function miners(ctx, state, rng) {
  const everyone = ctx.neurons.map((n) => n.uid).filter((uid) => uid !== ctx.validatorUid);
  const k = state.queriesPerStep;
  if (k === 0 || k >= everyone.length) return everyone;
  return rng
    .sample(everyone.length, k)
    .map((i) => everyone[i])
    .sort((a, b) => a - b);
}

const textMatch = {
  stateSchema: STATE,

  describe() {
    return new Info('text-match', VERSION, {
      queryTimeoutMs: 8_000,
      maxResponseBytes: 4096,
      stepsPerEpoch: 10,
    });
  },

  init(config) {
    const state = { alpha: DEFAULT_ALPHA, queriesPerStep: 0, ema: [] };
    const source = utf8.decodeUtf8(config);
    if (source === null) throw new InvalidConfig('configuration is not UTF-8');
    for (const untrimmed of rustLines(source)) {
      const line = trim(untrimmed);
      if (line === '') continue;
      const invalid = new InvalidConfig(`cannot read \`${line}\``);
      const eq = line.indexOf('=');
      if (eq < 0) throw invalid;
      const name = trim(line.slice(0, eq));
      const value = trim(line.slice(eq + 1));
      if (name === 'alpha') {
        const alpha = parseF64(value);
        if (alpha === null) throw invalid;
        if (!(alpha > 0.0 && alpha <= 1.0)) throw new InvalidConfig('alpha must be in (0, 1]');
        state.alpha = alpha;
      } else if (name === 'queries_per_step') {
        const k = parseU32(value);
        if (k === null) throw invalid;
        state.queriesPerStep = k;
      } else {
        throw new InvalidConfig(`unknown key \`${name}\``);
      }
    }
    return state;
  },

  challenge(ctx, state) {
    const rng = ctx.rng();
    const queries = new Queries();
    for (const uid of miners(ctx, state, rng)) {
      const [question] = CORPUS[rng.below(CORPUS.length)];
      queries.pushStr(uid, question);
    }
    return queries;
  },

  score(ctx, state, responses) {
    const n = ctx.uidCount();
    const scores = state.ema.slice(0, n);
    while (scores.length < n) scores.push(0.0);
    for (const neuron of ctx.neurons) {
      if (neuron.replaced) scores[neuron.uid] = 0.0;
    }
    for (const response of responses) {
      const reference = REFERENCE.get(utf8.decodeUtf8(response.query));
      if (reference === undefined) {
        throw new InvalidInput(`uid ${response.uid} was asked a question not in the corpus`);
      }
      if (response.uid >= scores.length) {
        throw new InvalidInput(`uid ${response.uid} is not in the metagraph`);
      }
      scores[response.uid] = numeric.ema(
        scores[response.uid],
        reward(response.reply, reference),
        state.alpha,
      );
    }
    return { ...state, ema: scores };
  },

  weights(ctx, state) {
    const uids = ctx.neurons.map((n) => n.uid).filter((uid) => uid !== ctx.validatorUid);
    const values = uids.map((uid) => (uid < state.ema.length ? state.ema[uid] : 0.0));
    const normalised = numeric.normalizeL1(values);
    return uids
      .map((uid, i) => new Weight(uid, normalised[i]))
      .filter((w) => w.value > 0.0);
  },
};

export const mechanism = exportMechanism(textMatch);
