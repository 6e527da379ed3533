// UTF-8 as Rust sees it: encoding, and strict validation and decoding with
// exactly the acceptance rules of Rust's `std::str::from_utf8` (no
// overlong forms, no surrogates, nothing above U+10FFFF), which are also the
// WHATWG decoder's in fatal mode.
//
// JS strings are UTF-16, and the host passes bytes: a mechanism that must
// match Rust decodes only where Rust would, with `decodeUtf8`, which keeps a
// leading U+FEFF (a default TextDecoder would drop it; Rust keeps it). The
// decoding runs in the engine's native decoder: a byte loop in JS costs
// thousands of fuel units per byte inside the component.

const encoder = new TextEncoder();
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The UTF-8 bytes of the string `text`. */
export function encodeUtf8(text) {
  return encoder.encode(text);
}

/**
 * The length of the longest valid UTF-8 prefix of `bytes` that ends on a
 * character boundary: Rust's `Utf8Error::valid_up_to`, or `bytes.length`
 * if all of `bytes` is valid. (A JS loop: for error offsets, not for
 * checking text on the hot path.)
 */
export function validUtf8Prefix(bytes) {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i += 1;
      continue;
    }
    // The width of the character, and the range its second byte must be
    // in (the later bytes are always 80..BF).
    let width;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) width = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      width = 3;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      width = 4;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (i + 1 >= n || bytes[i + 1] < lo || bytes[i + 1] > hi) return i;
    for (let k = 2; k < width; k++) {
      if (i + k >= n || bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return i;
    }
    i += width;
  }
  return n;
}

/** The text `bytes` (a Uint8Array) encode, or null unless they are valid
 * UTF-8. */
export function decodeUtf8(bytes) {
  try {
    return strict.decode(bytes);
  } catch {
    return null;
  }
}
