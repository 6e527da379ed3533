// The seeded random stream: xoshiro256** (ALGORITHMS.md §1).
//
// The state is four u64 words held as BigInts; every `+`, `*` and `<<` is
// wrapped to 64 bits with BigInt.asUintN, which gives the Rust SDK's
// numbers (a JS Number would lose the bits above 2^53). Every random choice
// a mechanism makes must come from `ctx.rng()`, so that all languages and all
// validators make the same choices.

const wrap = (x) => BigInt.asUintN(64, x);
const rotl = (x, k) => wrap(x << k) | (x >> (64n - k));
// 2^-53, exactly (a division of 1 by a power of two).
const TWO_POW_MINUS_53 = 1 / 9007199254740992;

function splitmix64Words(count) {
  let z = 0n;
  const out = [];
  for (let i = 0; i < count; i++) {
    z = wrap(z + 0x9e3779b97f4a7c15n);
    let t = z;
    t = wrap((t ^ (t >> 30n)) * 0xbf58476d1ce4e5b9n);
    t = wrap((t ^ (t >> 27n)) * 0x94d049bb133111ebn);
    out.push(t ^ (t >> 31n));
  }
  return out;
}

// `n` as a u64 BigInt, or a RangeError: `below` and `range` take a
// non-negative safe-integer Number or a u64 BigInt.
function toU64(n, what) {
  if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) return BigInt(n);
  if (typeof n === 'bigint' && n >= 0n && n === wrap(n)) return n;
  throw new RangeError(`${what} takes a u64 (a non-negative safe integer or BigInt)`);
}

/** xoshiro256**, seeded from a 32-byte seed (normally `ctx.rng()`). */
export class Rng {
  #s;

  /** @param {Uint8Array} seed 32 bytes; the all-zero seed is expanded with splitmix64 (§1.1). */
  constructor(seed) {
    if (seed.length !== 32) throw new RangeError('an Rng seed is 32 bytes');
    // A copy: the host's arrays come from the bindings' realm, whose
    // Uint8Array is not this module's.
    const view = new DataView(Uint8Array.from(seed).buffer);
    let s = [0, 1, 2, 3].map((i) => view.getBigUint64(8 * i, true));
    if (s.every((w) => w === 0n)) s = splitmix64Words(4);
    this.#s = s;
  }

  /** The four state words (BigInts), for tests and debugging. */
  get words() {
    return [...this.#s];
  }

  /** The next 64 random bits, as a BigInt in [0, 2^64) (§1.2). */
  nextU64() {
    const s = this.#s;
    const result = wrap(rotl(wrap(s[1] * 5n), 7n) * 9n);
    const t = wrap(s[1] << 17n);
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45n);
    return result;
  }

  /** A float in [0, 1): the top 53 bits times 2^-53 (§1.3). */
  nextF64() {
    return Number(this.nextU64() >> 11n) * TWO_POW_MINUS_53;
  }

  /**
   * A uniform integer in [0, n), unbiased by rejection; 0 without drawing
   * when n is 0 (§1.4). Returns a Number for a Number `n`, a BigInt for a
   * BigInt `n`.
   */
  below(n) {
    const big = toU64(n, 'below(n)');
    if (big === 0n) return typeof n === 'bigint' ? 0n : 0;
    const threshold = ((1n << 64n) - big) % big;
    for (;;) {
      const x = this.nextU64();
      if (x >= threshold) {
        const r = x % big;
        return typeof n === 'bigint' ? r : Number(r);
      }
    }
  }

  /** A uniform integer in [lo, hi); `lo` without drawing if empty (§1.5). */
  range(lo, hi) {
    if (hi <= lo) return lo;
    if (typeof lo === 'bigint' || typeof hi === 'bigint') {
      return BigInt(lo) + this.below(toU64(hi, 'range') - toU64(lo, 'range'));
    }
    return lo + this.below(hi - lo);
  }

  /** Shuffles the array `items` in place, Fisher-Yates from the end (§1.6). */
  shuffle(items) {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
  }

  /** min(k, n) distinct indices below n, in draw order (§1.7). */
  sample(n, k) {
    k = Math.min(k, n);
    const moved = new Map();
    const picked = [];
    for (let i = 0; i < k; i++) {
      const j = i + this.below(n - i);
      const atI = moved.has(i) ? moved.get(i) : i;
      moved.delete(i);
      let atJ = atI;
      if (j !== i) {
        atJ = moved.has(j) ? moved.get(j) : j;
        moved.set(j, atI);
      }
      picked.push(atJ);
    }
    return picked;
  }

  /** items[below(length)], or undefined without drawing when empty (§1.8). */
  choose(items) {
    if (items.length === 0) return undefined;
    return items[this.below(items.length)];
  }
}
