// Text similarity on UTF-8 bytes (ALGORITHMS.md §3): the tokeniser, token
// overlap and token F1.
//
// Everything works on bytes, with no Unicode tables: string arguments are
// encoded to UTF-8 first. Separators are ASCII whitespace (including
// vertical tab) and the 32 ASCII punctuation bytes; tokens compare after
// folding A-Z to a-z only. JS's own `split(/\s+/)`, `\w` and
// `toLowerCase()` use Unicode tables and would give different tokens.
//
// Inside the component the engine interprets JS (no JIT): a plain indexed
// loop over the bytes, with table lookups and each token's key built by one
// native call, measured cheapest (about half the fuel of regex `split` and
// `replace`, which SpiderMonkey runs as self-hosted JS).

import { encodeUtf8 } from './utf8.js';

// Per byte: 1 if it separates tokens (§3.1), else 0; and the byte folded.
const SEPARATOR = new Uint8Array(256);
const FOLD = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  SEPARATOR[b] = Number(
    (b >= 0x09 && b <= 0x0d) ||
      b === 0x20 ||
      (b >= 0x21 && b <= 0x2f) ||
      (b >= 0x3a && b <= 0x40) ||
      (b >= 0x5b && b <= 0x60) ||
      (b >= 0x7b && b <= 0x7e),
  );
  FOLD[b] = b >= 0x41 && b <= 0x5a ? b + 0x20 : b;
}

// A token's key: its folded bytes as a string, one char per byte, built
// natively in chunks below the engines' argument limits.
function keyOf(folded, start, end) {
  let key = '';
  for (let i = start; i < end; i += 8192) {
    key += String.fromCharCode.apply(null, folded.subarray(i, Math.min(i + 8192, end)));
  }
  return key;
}

// The keys of the folded tokens of `text` (string or Uint8Array).
function tokenKeys(text) {
  const bytes = typeof text === 'string' ? encodeUtf8(text) : text;
  const n = bytes.length;
  const folded = new Uint8Array(n);
  const keys = [];
  let start = -1;
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if (SEPARATOR[b] === 1) {
      if (start >= 0) keys.push(keyOf(folded, start, i));
      start = -1;
    } else {
      folded[i] = FOLD[b];
      if (start < 0) start = i;
    }
  }
  if (start >= 0) keys.push(keyOf(folded, start, n));
  return keys;
}

/** The folded tokens of `text` (string or Uint8Array), as Uint8Arrays. */
export function tokens(text) {
  return tokenKeys(text).map((key) => Uint8Array.from(key, (c) => c.charCodeAt(0)));
}

/** §3.2: 1 if both are empty, 0 without overlap, else `((2 * p) * r) / (p + r)`. */
export function fMeasure(common, candidateLen, referenceLen) {
  if (candidateLen === 0 && referenceLen === 0) return 1.0;
  if (common === 0) return 0.0;
  const p = common / candidateLen;
  const r = common / referenceLen;
  return ((2.0 * p) * r) / (p + r);
}

/** Multiset token overlap of a candidate with a reference (§3.3). */
export class Overlap {
  constructor(common, candidateLen, referenceLen) {
    this.common = common;
    this.candidateLen = candidateLen;
    this.referenceLen = referenceLen;
  }

  /** The token F1 of this overlap. */
  f1() {
    return fMeasure(this.common, this.candidateLen, this.referenceLen);
  }
}

/** The multiset intersection size and both token counts (strings or
 * Uint8Arrays). */
export function tokenOverlap(candidate, reference) {
  const referenceKeys = tokenKeys(reference);
  const candidateKeys = tokenKeys(candidate);
  const counts = new Map();
  for (let i = 0; i < referenceKeys.length; i++) {
    counts.set(referenceKeys[i], (counts.get(referenceKeys[i]) ?? 0) + 1);
  }
  let common = 0;
  for (let i = 0; i < candidateKeys.length; i++) {
    const left = counts.get(candidateKeys[i]) ?? 0;
    if (left > 0) {
      counts.set(candidateKeys[i], left - 1);
      common += 1;
    }
  }
  return new Overlap(common, candidateKeys.length, referenceKeys.length);
}

/** Token F1 of `candidate` against `reference` (strings or Uint8Arrays). */
export function tokenF1(candidate, reference) {
  return tokenOverlap(candidate, reference).f1();
}
