// The canonical state codec (ALGORITHMS.md §4): the same bytes as the Rust
// SDK's `codec` for the same values, and the same error messages.
//
// A state is described by a *schema*: U8 U16 U32 I32 (Numbers), U64 I64
// (BigInts), F64, BOOL, BYTES (Uint8Array), STR, Vec(t) (arrays),
// Option(t) (null for none), BTreeMap(k, v) (a JS Map with integer, BOOL,
// STR or BYTES keys) and Struct(['field', t], ...) (plain objects; fields
// in the order of the Rust `impl_codec!`).
//
//   const STATE = Struct(['alpha', F64], ['queriesPerStep', U32], ['ema', Vec(F64)]);
//   const bytes = encode(STATE, { alpha: 0.1, queriesPerStep: 0, ema: [] });
//   const state = decode(STATE, bytes);   // CodecError unless canonical

import { decodeUtf8, encodeUtf8, validUtf8Prefix } from './utf8.js';

const U32_MAX = 0xffffffff;

/** Decoding or encoding failed at `offset`, where `expected` was expected;
 * the message is the Rust SDK's, word for word. */
export class CodecError extends Error {
  constructor(offset, expected) {
    super(`state codec: at byte ${offset}: expected ${expected}`);
    this.name = 'CodecError';
    this.offset = offset;
    this.expected = expected;
  }
}

// A growable byte buffer with a DataView over it.
class Writer {
  constructor() {
    this.bytes = new Uint8Array(64);
    this.view = new DataView(this.bytes.buffer);
    this.length = 0;
  }

  // The offset of `n` more bytes, grown into.
  reserve(n) {
    const at = this.length;
    if (at + n > this.bytes.length) {
      const bigger = new Uint8Array(Math.max(2 * this.bytes.length, at + n));
      bigger.set(this.bytes.subarray(0, at));
      this.bytes = bigger;
      this.view = new DataView(bigger.buffer);
    }
    this.length = at + n;
    return at;
  }

  writeBytes(bytes) {
    this.bytes.set(bytes, this.reserve(bytes.length));
  }

  writeLen(n) {
    if (n > U32_MAX) throw new CodecError(this.length, 'a sequence of at most 4294967295 elements');
    this.view.setUint32(this.reserve(4), n, true);
  }

  finish() {
    return this.bytes.slice(0, this.length);
  }
}

class Reader {
  constructor(bytes) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    this.offset = 0;
  }

  remaining() {
    return this.bytes.length - this.offset;
  }

  // The offset of the next `n` bytes, read past.
  take(n, expected) {
    if (n > this.remaining()) throw new CodecError(this.offset, expected);
    const at = this.offset;
    this.offset += n;
    return at;
  }

  read(n, expected) {
    const at = this.take(n, expected);
    return this.bytes.slice(at, at + n);
  }

  readLen(minElementLen) {
    const at = this.offset;
    const n = this.view.getUint32(this.take(4, 'u32 length'), true);
    if (n * minElementLen > this.remaining()) {
      this.offset = at;
      throw new CodecError(at, 'a length the remaining input can hold');
    }
    return n;
  }
}

// Byte strings in Rust's order: lexicographic, a proper prefix first.
function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

const compareNumbers = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

// A fixed-width integer read and written with DataView's `get`/`set`
// (little-endian); `min`/`max` are Numbers, or BigInts for the 64-bit ones.
function integer(name, size, min, max, get, set) {
  const big = typeof min === 'bigint';
  return {
    minLen: size,
    compare: compareNumbers,
    encode(value, w) {
      if (!(value >= min && value <= max) || (!big && !Number.isInteger(value))) {
        throw new RangeError(`${value} is not a ${name}`);
      }
      set.call(w.view, w.reserve(size), big ? BigInt(value) : value, true);
    },
    decode(r) {
      return get.call(r.view, r.take(size, name), true);
    },
  };
}

const dv = DataView.prototype;
export const U8 = integer('u8', 1, 0, 0xff, dv.getUint8, dv.setUint8);
export const U16 = integer('u16', 2, 0, 0xffff, dv.getUint16, dv.setUint16);
export const U32 = integer('u32', 4, 0, U32_MAX, dv.getUint32, dv.setUint32);
export const I32 = integer('i32', 4, -0x80000000, 0x7fffffff, dv.getInt32, dv.setInt32);
export const U64 = integer('u64', 8, 0n, 2n ** 64n - 1n, dv.getBigUint64, dv.setBigUint64);
export const I64 = integer('i64', 8, -(2n ** 63n), 2n ** 63n - 1n, dv.getBigInt64, dv.setBigInt64);

export const F64 = {
  minLen: 8,
  encode(value, w) {
    const at = w.reserve(8);
    if (Number.isNaN(value)) w.view.setBigUint64(at, 0x7ff8000000000000n, true);
    else w.view.setFloat64(at, value, true);
  },
  decode(r) {
    const at = r.take(8, 'u64');
    const high = r.view.getUint32(at + 4, true);
    const low = r.view.getUint32(at, true);
    const nan = (high & 0x7ff00000) === 0x7ff00000 && ((high & 0xfffff) !== 0 || low !== 0);
    if (nan && !(high === 0x7ff80000 && low === 0)) {
      throw new CodecError(at, 'f64 whose only NaN is 0x7ff8000000000000');
    }
    return r.view.getFloat64(at, true);
  },
};

export const BOOL = {
  minLen: 1,
  compare: compareNumbers,
  encode(value, w) {
    w.bytes[w.reserve(1)] = value ? 1 : 0;
  },
  decode(r) {
    const at = r.take(1, 'u8');
    if (r.bytes[at] > 1) throw new CodecError(at, 'bool (0 or 1)');
    return r.bytes[at] === 1;
  },
};

export const BYTES = {
  minLen: 4,
  compare: compareBytes,
  encode(value, w) {
    w.writeLen(value.length);
    w.writeBytes(value);
  },
  decode(r) {
    return r.read(r.readLen(1), 'bytes');
  },
};

export const STR = {
  minLen: 4,
  compare: (a, b) => compareBytes(encodeUtf8(a), encodeUtf8(b)),
  encode(value, w) {
    BYTES.encode(encodeUtf8(value), w);
  },
  decode(r) {
    const n = r.readLen(1);
    const start = r.offset;
    const bytes = r.read(n, 'string bytes');
    const text = decodeUtf8(bytes);
    if (text === null) throw new CodecError(start + validUtf8Prefix(bytes), 'valid UTF-8');
    return text;
  },
};

/** `Vec<T>`: a u32 count, then the elements; an array. */
export function Vec(item) {
  return {
    minLen: 4,
    encode(value, w) {
      w.writeLen(value.length);
      for (const v of value) item.encode(v, w);
    },
    decode(r) {
      const n = r.readLen(item.minLen);
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = item.decode(r);
      return out;
    },
  };
}

/** `Option<T>`: 00 for null (or undefined), or 01 and the value. */
export function Option(item) {
  return {
    minLen: 1,
    encode(value, w) {
      const some = value !== null && value !== undefined;
      w.bytes[w.reserve(1)] = some ? 1 : 0;
      if (some) item.encode(value, w);
    },
    decode(r) {
      const at = r.take(1, 'u8');
      if (r.bytes[at] > 1) throw new CodecError(at, 'option tag (0 or 1)');
      return r.bytes[at] === 1 ? item.decode(r) : null;
    },
  };
}

/** `BTreeMap<K, V>`: a JS Map, encoded in ascending key order (Rust's order). */
export function BTreeMap(key, value) {
  return {
    minLen: 4,
    encode(map, w) {
      const entries = [...map].sort(([a], [b]) => key.compare(a, b));
      for (let i = 1; i < entries.length; i++) {
        if (key.compare(entries[i - 1][0], entries[i][0]) === 0) {
          throw new RangeError('a map holds the same key twice');
        }
      }
      w.writeLen(entries.length);
      for (const [k, v] of entries) {
        key.encode(k, w);
        value.encode(v, w);
      }
    },
    decode(r) {
      const n = r.readLen(key.minLen + value.minLen);
      const out = new Map();
      let previous;
      for (let i = 0; i < n; i++) {
        const at = r.offset;
        const k = key.decode(r);
        if (i > 0 && !(key.compare(k, previous) > 0)) {
          throw new CodecError(at, 'a map key greater than the previous key');
        }
        out.set(k, value.decode(r));
        previous = k;
      }
      return out;
    },
  };
}

/** A struct: its fields in order, nothing else; a plain object. */
export function Struct(...fields) {
  return {
    minLen: fields.reduce((sum, [, t]) => sum + t.minLen, 0),
    encode(value, w) {
      for (const [name, t] of fields) t.encode(value[name], w);
    },
    decode(r) {
      const out = {};
      for (const [name, t] of fields) out[name] = t.decode(r);
      return out;
    },
  };
}

/** The canonical bytes of `value` (a Uint8Array). */
export function encode(schema, value) {
  const w = new Writer();
  schema.encode(value, w);
  return w.finish();
}

/** The value `bytes` encode; a CodecError unless they are exactly one
 * canonical encoding. */
export function decode(schema, bytes) {
  const r = new Reader(bytes);
  const value = schema.decode(r);
  if (r.remaining() > 0) throw new CodecError(r.offset, 'end of input');
  return value;
}
