// The golden values of guest-sdk/ALGORITHMS.md for the helpers this SDK
// implements (the same values as guest-sdk/python/tests/test_golden.py),
// plus the UTF-8 and wire-view rules a port gets wrong most easily, and the
// tokeniser and the native UTF-8 decoder checked against the spec's byte
// rules on seeded random inputs. Run natively: node --test guest-sdk/js/tests/golden.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as codec from '../codec.js';
import { Context } from '../context.js';
import { InvalidInput } from '../errors.js';
import { Queries, Responses } from '../exchange.js';
import { ema, normalizeL1 } from '../numeric.js';
import { Rng } from '../rng.js';
import { tokenF1, tokenOverlap, tokens } from '../text.js';
import { decodeUtf8, encodeUtf8, validUtf8Prefix } from '../utf8.js';

const bits = (x) => {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x, true);
  return view.getBigUint64(0, true);
};
const hex = (b) => b.toString(16).padStart(16, '0');
const bytes = (h) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
const SEED = Uint8Array.from({ length: 32 }, (_, i) => i);

test('rng: next_u64, next_f64', () => {
  const rng = new Rng(SEED);
  assert.deepEqual(
    Array.from({ length: 6 }, () => hex(rng.nextU64())),
    'bc258ef861cb354d 258ef861cb349eb5 013c0ee1b61e1c2d 60e9801651ad191d 76bcd2d5a42e1c5d 89983c77dad11265'.split(' '),
  );
  const f = new Rng(SEED);
  assert.deepEqual(
    [f.nextF64(), f.nextF64(), f.nextF64()],
    [0.7349480968858131, 0.146712802768166, 0.004822664361306628],
  );
});

test('rng: below, shuffle, sample', () => {
  const rng = new Rng(SEED);
  assert.deepEqual(Array.from({ length: 10 }, () => rng.below(10)), [5, 3, 5, 7, 5, 9, 2, 1, 4, 1]);
  assert.equal(new Rng(SEED).below(10n), 5n);
  const items = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  new Rng(SEED).shuffle(items);
  assert.deepEqual(items, [6, 3, 2, 0, 4, 1, 7, 8, 9, 5]);
  assert.deepEqual(new Rng(SEED).sample(100, 5), [45, 69, 21, 46, 65]);
  assert.equal(new Rng(SEED).below(0), 0);
});

test('rng: the all-zero seed', () => {
  const rng = new Rng(new Uint8Array(32));
  assert.deepEqual(
    rng.words.map(hex),
    'e220a8397b1dcdaf 6e789e6aa1b965f4 06c45d188009454f f88bb8a8724c81ec'.split(' '),
  );
  assert.deepEqual(
    [rng.nextU64(), rng.nextU64(), rng.nextU64()].map(hex),
    '99ec5f36cb75f2b4 bf6e1f784956452a 1a5f849d4933e6e0'.split(' '),
  );
});

test('numeric: ema, normalize_l1', () => {
  assert.equal(bits(ema(0.7, 0.3, 0.1)), 0x3fe51eb851eb851fn);
  assert.deepEqual(normalizeL1([0.1, 0.2, 0.3]).map(bits), [
    0x3fc5555555555555n,
    0x3fd5555555555555n,
    0x3fdffffffffffffen,
  ]);
  assert.deepEqual(normalizeL1([Number.MAX_VALUE, Number.MAX_VALUE]), [0, 0]);
  assert.deepEqual(normalizeL1([2.0, -5.0, NaN]), [1, 0, 0]);
});

test('text: tokens', () => {
  const dec = (ts) => ts.map((t) => new TextDecoder().decode(t));
  assert.deepEqual(dec(tokens("it's 3.14—pi")), ['it', 's', '3', '14—pi']);
  assert.deepEqual(dec(tokens('a\x0bb')), ['a', 'b']);
  assert.equal(tokens('日本語、テキスト。').length, 1);
  assert.deepEqual(dec(tokens('Ünïcode ÜNïCODE')), ['Ünïcode', 'Ünïcode']);
});

test('text: token F1', () => {
  const o = tokenOverlap('The cat sat on the mat.', 'the Cat is on the MAT, sat!');
  assert.deepEqual([o.common, o.candidateLen, o.referenceLen], [6, 6, 7]);
  assert.equal(bits(o.f1()), 0x3fed89d89d89d89dn);
  assert.equal(bits(tokenF1('a b x', 'a b c d e f g')), 0x3fd999999999999an);
  assert.equal(tokenF1('', ''), 1.0);
  assert.equal(tokenF1('x', ''), 0.0);
  assert.equal(tokenF1('a a a', 'a'), 0.5);
  assert.equal(tokenF1('...', ' !? '), 1.0);
  assert.equal(tokenF1(bytes('ff41'), 'xA'), 0.0);
});

const EXAMPLE = codec.Struct(
  ['round', codec.U64],
  ['scores', codec.Vec(codec.F64)],
  ['name', codec.STR],
  ['seen', codec.BTreeMap(codec.U16, codec.BOOL)],
  ['last', codec.Option(codec.I32)],
);

test('codec: the example', () => {
  const value = {
    round: 7n,
    scores: [0.5, -NaN],
    name: 'héllo',
    seen: new Map([[3, true], [1, false]]),
    last: -2,
  };
  const expected = bytes(
    '0700000000000000' +
      '02000000000000000000e03f000000000000f87f' +
      '0600000068c3a96c6c6f' +
      '02000000010000030001' +
      '01feffffff',
  );
  const data = codec.encode(EXAMPLE, value);
  assert.deepEqual(data, expected);
  assert.deepEqual(codec.encode(EXAMPLE, codec.decode(EXAMPLE, data)), data);
  assert.deepEqual(codec.encode(codec.F64, -0), bytes('0000000000000080'));
  const keys = codec.BTreeMap(codec.STR, codec.U8);
  // By UTF-8 bytes: U+E000 (ee 80 80) before U+10000 (f0 90 80 80), though
  // JS's UTF-16 order is the reverse.
  assert.deepEqual(
    codec.encode(keys, new Map([['\u{10000}', 1], ['\ue000', 2]])),
    bytes('02000000' + '03000000ee808002' + '04000000f090808001'),
  );
});

test('codec: strict decoding, with the Rust messages', () => {
  const err = (schema, data) => {
    try {
      codec.decode(schema, data);
    } catch (e) {
      assert.ok(e instanceof codec.CodecError);
      return e.message;
    }
    assert.fail('decoded');
  };
  assert.equal(err(codec.BOOL, bytes('02')), 'state codec: at byte 0: expected bool (0 or 1)');
  assert.equal(err(codec.U8, bytes('0102')), 'state codec: at byte 1: expected end of input');
  assert.equal(
    err(codec.Vec(codec.U64), bytes('ffffffff' + '00'.repeat(10))),
    'state codec: at byte 0: expected a length the remaining input can hold',
  );
  assert.match(err(codec.F64, bytes('010000000000f87f')), /only NaN/);
  assert.match(
    err(codec.BTreeMap(codec.U16, codec.BOOL), bytes('02000000030001010000')),
    /at byte 7: expected a map key greater than the previous key/,
  );
  assert.equal(err(codec.F64, bytes('00')), 'state codec: at byte 0: expected u64');
  assert.equal(err(codec.STR, bytes('0300000061ff62')), 'state codec: at byte 5: expected valid UTF-8');
  assert.equal(err(codec.Option(codec.U8), bytes('02')), 'state codec: at byte 0: expected option tag (0 or 1)');
  assert.equal(err(codec.BYTES, bytes('0200000061')), 'state codec: at byte 0: expected a length the remaining input can hold');
  assert.equal(err(codec.I32, bytes('010203')), 'state codec: at byte 0: expected i32');
});

// §3.1 as written: a byte loop over the UTF-8 bytes (the oracle).
function specTokens(input) {
  const data = typeof input === 'string' ? encodeUtf8(input) : input;
  const isSeparator = (b) =>
    (b >= 0x09 && b <= 0x0d) || b === 0x20 || (b >= 0x21 && b <= 0x2f) ||
    (b >= 0x3a && b <= 0x40) || (b >= 0x5b && b <= 0x60) || (b >= 0x7b && b <= 0x7e);
  const out = [];
  let token = [];
  for (const b of [...data, 0x20]) {
    if (!isSeparator(b)) token.push(b >= 0x41 && b <= 0x5a ? b + 0x20 : b);
    else if (token.length > 0) {
      out.push(Uint8Array.from(token));
      token = [];
    }
  }
  return out;
}

function specOverlap(candidate, reference) {
  const key = (t) => Array.from(t).join(',');
  const counts = new Map();
  const ref = specTokens(reference);
  for (const t of ref) counts.set(key(t), (counts.get(key(t)) ?? 0) + 1);
  const cand = specTokens(candidate);
  let common = 0;
  for (const t of cand) {
    const left = counts.get(key(t)) ?? 0;
    if (left > 0) {
      counts.set(key(t), left - 1);
      common += 1;
    }
  }
  return [common, cand.length, ref.length];
}

// Seeded inputs: text from a mixed alphabet, raw bytes, lone surrogates.
function randomInput(rng) {
  const pieces = ['a', 'B', 'z', 'Z', 'é', 'É', 'ï', 'Ï', '—', '日本', '😀', ' ', '.', ',', '\x0b', '\x1c', '\x7f', '\ufeff', '\u0085', 'Ab'];
  const n = rng.below(12);
  switch (rng.below(3)) {
    case 0:
      return Array.from({ length: n }, () => rng.choose(pieces)).join('');
    case 1:
      return Uint8Array.from({ length: n }, () => rng.choose([0x41, 0x61, 0x20, 0x2e, 0x80, 0xc3, 0xa9, 0xff, 0xed, 0xa0, 0xe6, 0x97, 0xa5]));
    default:
      return rng.choose(['a\ud800b', 'A\udc00', '\ud83d']) + rng.choose(pieces);
  }
}

test('text: tokens and overlaps follow the byte rules on random inputs', () => {
  const rng = new Rng(SEED);
  for (let i = 0; i < 3000; i++) {
    const c = randomInput(rng);
    const r = randomInput(rng);
    assert.deepEqual(tokens(c), specTokens(c));
    const o = tokenOverlap(c, r);
    assert.deepEqual([o.common, o.candidateLen, o.referenceLen], specOverlap(c, r));
  }
});

test("utf8: Rust's from_utf8 rules", () => {
  const valid = ['', '41', 'c2a9', 'e282ac', 'efbbbf41', 'f09f9880', 'f48fbfbf', 'ed9fbf'];
  for (const h of valid) assert.equal(validUtf8Prefix(bytes(h)), h.length / 2, h);
  const prefix = {
    c0af: 0, // overlong
    e080af: 0, // overlong
    eda080: 0, // surrogate
    f4908080: 0, // above U+10FFFF
    f5: 0,
    '41e282': 1, // truncated
    '41c2a9ff': 3,
    '80': 0,
  };
  for (const [h, n] of Object.entries(prefix)) assert.equal(validUtf8Prefix(bytes(h)), n, h);
  assert.equal(decodeUtf8(bytes('efbbbf41')), '\ufeffA', 'a leading U+FEFF is kept');
  assert.equal(decodeUtf8(bytes('ff')), null);
  const rng = new Rng(SEED);
  const interesting = [0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0x90, 0xa0, 0x9f, 0x8f];
  for (let i = 0; i < 20000; i++) {
    const data = Uint8Array.from({ length: rng.below(6) }, () => rng.choose(interesting));
    const valid = validUtf8Prefix(data) === data.length;
    assert.equal(decodeUtf8(data) !== null, valid, Array.from(data).join(','));
  }
  assert.deepEqual(encodeUtf8('h\u00e9'), bytes('68c3a9'));
});

test('wire views: queries, responses, context', () => {
  const queries = new Queries();
  queries.push(3, bytes('0102'));
  queries.pushStr(7, 'é');
  assert.deepEqual(queries.toWit(), {
    uids: Uint16Array.of(3, 7),
    ends: Uint32Array.of(2, 4),
    data: bytes('0102c3a9'),
  });
  const wire = queries.toWit();
  const replies = {
    status: ['ok', 'bad-signature'],
    latencyMs: Uint32Array.of(5, 6),
    replies: { uids: Uint16Array.of(3, 7), ends: Uint32Array.of(1, 2), data: bytes('4142') },
  };
  const all = [...new Responses(wire, replies)];
  assert.equal(all.length, 2);
  assert.equal(all[0].reply.text(), 'A');
  assert.deepEqual(all[1].query, bytes('c3a9'));
  assert.equal(all[1].reply.bytes(), null);
  assert.deepEqual(all[1].reply.payload, bytes('42'));
  const broken = { ...wire, ends: Uint32Array.of(2, 9) };
  assert.throws(() => new Responses(broken, replies), (e) => e instanceof InvalidInput && e.payload.val === 'queries batch is malformed');
  const other = { ...replies, replies: { ...replies.replies, uids: Uint16Array.of(3, 8) } };
  assert.throws(() => new Responses(wire, other), /one to one/);

  const ctx = new Context({
    seed: new Uint8Array(31),
    neurons: [{ uid: 0 }, { uid: 4 }],
    hotkeys: new Uint8Array(64).fill(9),
  });
  assert.deepEqual(ctx.seed, new Uint8Array(32));
  assert.equal(ctx.uidCount(), 5);
  assert.deepEqual(ctx.hotkey(1), new Uint8Array(32).fill(9));
  assert.equal(ctx.hotkey(2), null);
});
