//! The canonical state codec: a small binary format whose bytes are the same
//! in every language.
//!
//! The host stores a mechanism's state as opaque bytes and hashes them into
//! the transcript, so the same state must always encode to the same bytes, on
//! every machine and in every SDK language. Serde formats leave too much open
//! (map order, float spelling, optional fields), so this is a fixed layout with
//! exactly one encoding per value (`ALGORITHMS.md` §4):
//!
//! | type | bytes |
//! |---|---|
//! | `u8`, `u16`, `u32`, `u64`, `i32`, `i64` | little-endian, fixed width (signed: two's complement) |
//! | `f64` | IEEE 754 bits as a little-endian `u64`; every NaN is written as `0x7ff8000000000000` |
//! | `bool` | one byte, 0 or 1 |
//! | `Vec<T>` (so also `Vec<u8>`), `String` | `u32` element (or byte) count, then the elements; `String` is UTF-8 |
//! | `Option<T>` | 0, or 1 then the value |
//! | `BTreeMap<K, V>` | `u32` count, then key, value, key, value … in strictly ascending key order |
//! | tuples, `[T; N]`, [`impl_codec!`](crate::impl_codec) structs | the fields in order, nothing else |
//!
//! Decoding is strict, so `encode(decode(b)) == b` for every `b` that decodes:
//! it rejects trailing bytes, bools and option tags other than 0 and 1,
//! invalid UTF-8, NaNs with other bits, and map keys out of order or repeated.
//! It never panics, and it never trusts a length prefix: a length that the
//! remaining input cannot hold fails at once, before anything is allocated.
//! `usize`, `HashMap` and `HashSet` have no encoding on purpose: the first
//! differs between wasm32 and 64-bit hosts, the others have no fixed order.
//!
//! ```
//! # use std::collections::BTreeMap;
//! # use arbiter_sdk::codec::{from_bytes, to_bytes};
//! # use arbiter_sdk::impl_codec;
//! #[derive(Debug, PartialEq)]
//! struct State {
//!     round: u64,
//!     scores: BTreeMap<u16, f64>,
//! }
//! impl_codec!(State { round, scores });
//!
//! let state = State { round: 3, scores: BTreeMap::from([(7, 0.5)]) };
//! let bytes = to_bytes(&state)?;
//! assert_eq!(bytes, [3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f]);
//! assert_eq!(from_bytes::<State>(&bytes)?, state);
//! # Ok::<(), arbiter_sdk::codec::CodecError>(())
//! ```

use std::fmt;

mod impls;
#[cfg(test)]
mod tests;

/// Why encoding or decoding failed: the byte offset (into the input when
/// decoding, into the output when encoding) and what was expected there. The
/// message is deterministic, so it may enter a transcript.
///
/// ```
/// # use arbiter_sdk::codec::from_bytes;
/// let err = from_bytes::<bool>(&[2]).unwrap_err();
/// assert_eq!((err.offset(), err.expected()), (0, "bool (0 or 1)"));
/// assert_eq!(err.to_string(), "state codec: at byte 0: expected bool (0 or 1)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodecError {
    offset: usize,
    expected: &'static str,
}

impl CodecError {
    /// An error at byte `offset`, where `expected` was expected. For custom
    /// [`Codec`] implementations that reject a value.
    ///
    /// ```
    /// # use arbiter_sdk::codec::CodecError;
    /// let err = CodecError::new(4, "a known variant tag");
    /// assert_eq!(err.offset(), 4);
    /// ```
    pub fn new(offset: usize, expected: &'static str) -> Self {
        Self { offset, expected }
    }

    /// The byte offset where the problem is.
    ///
    /// ```
    /// # use arbiter_sdk::codec::from_bytes;
    /// assert_eq!(from_bytes::<u8>(&[1, 2]).unwrap_err().offset(), 1);
    /// ```
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What was expected at that offset.
    ///
    /// ```
    /// # use arbiter_sdk::codec::from_bytes;
    /// assert_eq!(from_bytes::<u8>(&[1, 2]).unwrap_err().expected(), "end of input");
    /// ```
    pub fn expected(&self) -> &'static str {
        self.expected
    }
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "state codec: at byte {}: expected {}",
            self.offset, self.expected
        )
    }
}

impl std::error::Error for CodecError {}

/// A type with a canonical encoding. Implemented for the types in the module
/// table; [`impl_codec!`](crate::impl_codec) implements it for a plain struct. A hand-written
/// implementation must keep the format canonical: one encoding per value, and
/// `decode` rejecting everything `encode` cannot produce.
///
/// ```
/// # use arbiter_sdk::codec::{Codec, CodecError, Decoder, Encoder, from_bytes, to_bytes};
/// /// A verdict, encoded as one tag byte.
/// #[derive(Debug, PartialEq)]
/// enum Verdict { Pass, Fail }
///
/// impl Codec for Verdict {
///     const MIN_ENCODED_LEN: usize = 1;
///     fn encode(&self, out: &mut Encoder) {
///         (*self == Verdict::Fail).encode(out);
///     }
///     fn decode(input: &mut Decoder<'_>) -> Result<Self, CodecError> {
///         Ok(if bool::decode(input)? { Verdict::Fail } else { Verdict::Pass })
///     }
/// }
///
/// assert_eq!(to_bytes(&vec![Verdict::Fail])?, [1, 0, 0, 0, 1]);
/// assert_eq!(from_bytes::<Verdict>(&[0])?, Verdict::Pass);
/// # Ok::<(), CodecError>(())
/// ```
pub trait Codec: Sized {
    /// The fewest bytes any value of the type encodes to. Decoding a sequence
    /// rejects a length prefix that the remaining input cannot hold at this
    /// size, and reserves memory only up to what the input can hold. 0 (the
    /// default) is always correct, only less protective. (A type that really
    /// encodes to zero bytes, like `[u8; 0]`, can fill a sequence of any
    /// length: decoding one costs time in proportion, but no memory.)
    ///
    /// ```
    /// # use arbiter_sdk::codec::Codec;
    /// assert_eq!(<(u64, Option<u8>)>::MIN_ENCODED_LEN, 8 + 1);
    /// assert_eq!(String::MIN_ENCODED_LEN, 4);
    /// ```
    const MIN_ENCODED_LEN: usize = 0;

    /// Appends the encoding of `self`.
    ///
    /// ```
    /// # use arbiter_sdk::codec::{Codec, Encoder};
    /// let mut out = Encoder::new();
    /// (-1i32).encode(&mut out);
    /// assert_eq!(out.finish()?, [0xff; 4]);
    /// # Ok::<(), arbiter_sdk::codec::CodecError>(())
    /// ```
    fn encode(&self, out: &mut Encoder);

    /// Reads one value, advancing the decoder past it.
    ///
    /// ```
    /// # use arbiter_sdk::codec::{Codec, Decoder};
    /// let mut input = Decoder::new(&[1, 7]);
    /// assert_eq!(Option::<u8>::decode(&mut input)?, Some(7));
    /// # Ok::<(), arbiter_sdk::codec::CodecError>(())
    /// ```
    fn decode(input: &mut Decoder<'_>) -> Result<Self, CodecError>;

    /// Appends the encodings of `items` one after another, with no length.
    /// Override only to go faster (`u8` copies the slice); the bytes must be
    /// the same.
    ///
    /// ```
    /// # use arbiter_sdk::codec::{Codec, Encoder};
    /// let mut out = Encoder::new();
    /// u16::encode_seq(&[1, 2], &mut out);
    /// assert_eq!(out.finish()?, [1, 0, 2, 0]);
    /// # Ok::<(), arbiter_sdk::codec::CodecError>(())
    /// ```
    fn encode_seq(items: &[Self], out: &mut Encoder) {
        for item in items {
            item.encode(out);
        }
    }

    /// Reads exactly `len` values written by [`Codec::encode_seq`]. Override
    /// only to go faster, accepting exactly the same inputs.
    ///
    /// ```
    /// # use arbiter_sdk::codec::{Codec, Decoder};
    /// let mut input = Decoder::new(&[1, 0, 2, 0]);
    /// assert_eq!(u16::decode_seq(&mut input, 2)?, [1, 2]);
    /// # Ok::<(), arbiter_sdk::codec::CodecError>(())
    /// ```
    fn decode_seq(input: &mut Decoder<'_>, len: usize) -> Result<Vec<Self>, CodecError> {
        let room = input
            .remaining()
            .checked_div(Self::MIN_ENCODED_LEN)
            .unwrap_or(0);
        let mut items = Vec::with_capacity(len.min(room));
        for _ in 0..len {
            items.push(Self::decode(input)?);
        }
        Ok(items)
    }
}

/// Encodes `value`. Fails only if a sequence has more than `u32::MAX`
/// elements, which cannot happen in wasm32 (where `usize` is 32 bits) but can
/// on a 64-bit host.
///
/// ```
/// # use arbiter_sdk::codec::to_bytes;
/// assert_eq!(to_bytes(&(1u16, true))?, [1, 0, 1]);
/// assert_eq!(to_bytes(&String::from("hi"))?, [2, 0, 0, 0, b'h', b'i']);
/// # Ok::<(), arbiter_sdk::codec::CodecError>(())
/// ```
pub fn to_bytes<T: Codec>(value: &T) -> Result<Vec<u8>, CodecError> {
    let mut out = Encoder::new();
    value.encode(&mut out);
    out.finish()
}

/// Decodes a `T` that must span all of `bytes` (trailing bytes are an error).
///
/// ```
/// # use arbiter_sdk::codec::from_bytes;
/// assert_eq!(from_bytes::<Option<i32>>(&[1, 0xfe, 0xff, 0xff, 0xff])?, Some(-2));
/// assert!(from_bytes::<Option<i32>>(&[0, 0]).is_err());
/// # Ok::<(), arbiter_sdk::codec::CodecError>(())
/// ```
pub fn from_bytes<T: Codec>(bytes: &[u8]) -> Result<T, CodecError> {
    let mut input = Decoder::new(bytes);
    let value = T::decode(&mut input)?;
    input.finish()?;
    Ok(value)
}

/// The output buffer of an encoding.
///
/// ```
/// # use arbiter_sdk::codec::{Codec, Encoder};
/// let mut out = Encoder::new();
/// 7u32.encode(&mut out);
/// out.write_len(2);
/// out.write_bytes(b"ok");
/// assert_eq!(out.finish()?, [7, 0, 0, 0, 2, 0, 0, 0, b'o', b'k']);
/// # Ok::<(), arbiter_sdk::codec::CodecError>(())
/// ```
#[derive(Debug, Default)]
pub struct Encoder {
    bytes: Vec<u8>,
    /// The first length that did not fit a `u32`.
    error: Option<CodecError>,
}

impl Encoder {
    /// An empty encoder.
    ///
    /// ```
    /// # use arbiter_sdk::codec::Encoder;
    /// assert_eq!(Encoder::new().finish()?, Vec::<u8>::new());
    /// # Ok::<(), arbiter_sdk::codec::CodecError>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends raw bytes, with no length.
    ///
    /// ```
    /// # use arbiter_sdk::codec::Encoder;
    /// let mut out = Encoder::new();
    /// out.write_bytes(&[1, 2]);
    /// assert_eq!(out.finish()?, [1, 2]);
    /// # Ok::<(), arbiter_sdk::codec::CodecError>(())
    /// ```
    pub fn write_bytes(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }

    /// Appends a sequence length as a little-endian `u32`. A length above
    /// `u32::MAX` is recorded as an error that [`Encoder::finish`] returns.
    ///
    /// ```
    /// # use arbiter_sdk::codec::Encoder;
    /// let mut out = Encoder::new();
    /// out.write_len(258);
    /// assert_eq!(out.finish()?, [2, 1, 0, 0]);
    /// # Ok::<(), arbiter_sdk::codec::CodecError>(())
    /// ```
    pub fn write_len(&mut self, len: usize) {
        match u32::try_from(len) {
            Ok(len) => self.write_bytes(&len.to_le_bytes()),
            Err(_) => {
                let at = self.bytes.len();
                self.error.get_or_insert(CodecError::new(
                    at,
                    "a sequence of at most 4294967295 elements",
                ));
            }
        }
    }

    /// The encoded bytes, or the first error.
    ///
    /// ```
    /// # use arbiter_sdk::codec::{Codec, Encoder};
    /// let mut out = Encoder::new();
    /// true.encode(&mut out);
    /// assert_eq!(out.finish()?, [1]);
    /// # Ok::<(), arbiter_sdk::codec::CodecError>(())
    /// ```
    pub fn finish(self) -> Result<Vec<u8>, CodecError> {
        match self.error {
            Some(error) => Err(error),
            None => Ok(self.bytes),
        }
    }
}

/// A cursor over the input of a decoding. Every read either returns what it
/// asked for and advances, or fails with the current offset and leaves the
/// cursor where it was.
///
/// ```
/// # use arbiter_sdk::codec::{Codec, Decoder};
/// let mut input = Decoder::new(&[5, 0, 9]);
/// assert_eq!(u16::decode(&mut input)?, 5);
/// assert_eq!(input.offset(), 2);
/// assert!(input.finish().is_err(), "one byte left");
/// # Ok::<(), arbiter_sdk::codec::CodecError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Decoder<'a> {
    input: &'a [u8],
    /// Never more than `input.len()`.
    offset: usize,
}

impl<'a> Decoder<'a> {
    /// A decoder at the start of `input`.
    ///
    /// ```
    /// # use arbiter_sdk::codec::Decoder;
    /// assert_eq!(Decoder::new(&[1, 2, 3]).remaining(), 3);
    /// ```
    pub fn new(input: &'a [u8]) -> Self {
        Self { input, offset: 0 }
    }

    /// How many bytes have been read.
    ///
    /// ```
    /// # use arbiter_sdk::codec::Decoder;
    /// assert_eq!(Decoder::new(&[1]).offset(), 0);
    /// ```
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// How many bytes are left.
    ///
    /// ```
    /// # use arbiter_sdk::codec::Decoder;
    /// let mut input = Decoder::new(&[1, 2, 3]);
    /// input.read_bytes(2, "two bytes")?;
    /// assert_eq!(input.remaining(), 1);
    /// # Ok::<(), arbiter_sdk::codec::CodecError>(())
    /// ```
    pub fn remaining(&self) -> usize {
        self.input.len() - self.offset
    }

    /// The next `len` bytes; `expected` names them in the error if fewer are
    /// left.
    ///
    /// ```
    /// # use arbiter_sdk::codec::Decoder;
    /// let mut input = Decoder::new(b"abc");
    /// assert_eq!(input.read_bytes(2, "a tag")?, b"ab");
    /// assert_eq!(input.read_bytes(2, "a tag").unwrap_err().offset(), 2);
    /// # Ok::<(), arbiter_sdk::codec::CodecError>(())
    /// ```
    pub fn read_bytes(
        &mut self,
        len: usize,
        expected: &'static str,
    ) -> Result<&'a [u8], CodecError> {
        let rest = self.input.get(self.offset..).unwrap_or_default();
        let bytes = rest
            .get(..len)
            .ok_or(CodecError::new(self.offset, expected))?;
        self.offset += len;
        Ok(bytes)
    }

    /// The next `N` bytes as an array.
    ///
    /// ```
    /// # use arbiter_sdk::codec::Decoder;
    /// let mut input = Decoder::new(&[1, 2, 3]);
    /// assert_eq!(input.read_array::<2>("a pair")?, [1, 2]);
    /// # Ok::<(), arbiter_sdk::codec::CodecError>(())
    /// ```
    pub fn read_array<const N: usize>(
        &mut self,
        expected: &'static str,
    ) -> Result<[u8; N], CodecError> {
        let rest = self.input.get(self.offset..).unwrap_or_default();
        let bytes = rest
            .first_chunk::<N>()
            .ok_or(CodecError::new(self.offset, expected))?;
        self.offset += N;
        Ok(*bytes)
    }

    /// A `u32` sequence length, rejected (at the length's offset) if the
    /// remaining input cannot hold that many elements of at least
    /// `min_element_len` bytes each.
    ///
    /// ```
    /// # use arbiter_sdk::codec::Decoder;
    /// assert_eq!(Decoder::new(&[2, 0, 0, 0, 7, 7]).read_len(1)?, 2);
    /// assert!(Decoder::new(&[3, 0, 0, 0, 7, 7]).read_len(1).is_err());
    /// assert!(Decoder::new(&[0xff, 0xff, 0xff, 0xff]).read_len(8).is_err());
    /// # Ok::<(), arbiter_sdk::codec::CodecError>(())
    /// ```
    pub fn read_len(&mut self, min_element_len: usize) -> Result<usize, CodecError> {
        let at = self.offset;
        let len = u32::from_le_bytes(self.read_array("u32 length")?) as usize;
        if len
            .checked_mul(min_element_len)
            .is_none_or(|needed| needed > self.remaining())
        {
            self.offset = at;
            return Err(CodecError::new(at, "a length the remaining input can hold"));
        }
        Ok(len)
    }

    /// Succeeds if all the input has been read.
    ///
    /// ```
    /// # use arbiter_sdk::codec::Decoder;
    /// assert!(Decoder::new(&[]).finish().is_ok());
    /// assert_eq!(Decoder::new(&[0]).finish().unwrap_err().expected(), "end of input");
    /// ```
    pub fn finish(self) -> Result<(), CodecError> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err(CodecError::new(self.offset, "end of input"))
        }
    }
}

/// The minimum encoded length of the field `field` selects; lets
/// [`impl_codec!`](crate::impl_codec) sum its fields' minimums without being
/// told their types. Not part of the API.
///
/// ```
/// # use arbiter_sdk::codec::min_encoded_len_of;
/// struct S { a: (u8, u32) }
/// assert_eq!(min_encoded_len_of(|s: &S| &s.a), 5);
/// ```
#[doc(hidden)]
pub const fn min_encoded_len_of<S, T: Codec>(_field: fn(&S) -> &T) -> usize {
    T::MIN_ENCODED_LEN
}

/// Implements [`Codec`](crate::codec::Codec) for a struct with named fields:
/// the listed fields, encoded one after another in the order given (list
/// every field; the order is part of the format, so changing it changes the
/// state bytes). Every field's type must implement `Codec`. The struct's
/// minimum encoded length is the sum of its fields'.
///
/// ```
/// # use arbiter_sdk::codec::{from_bytes, to_bytes};
/// # use arbiter_sdk::impl_codec;
/// #[derive(Debug, PartialEq)]
/// struct Miner {
///     uid: u16,
///     score: f64,
///     banned: bool,
/// }
/// impl_codec!(Miner { uid, score, banned });
///
/// let miner = Miner { uid: 1, score: 1.0, banned: false };
/// let bytes = to_bytes(&miner)?;
/// assert_eq!(bytes.len(), 2 + 8 + 1);
/// assert_eq!(from_bytes::<Miner>(&bytes)?, miner);
/// # Ok::<(), arbiter_sdk::codec::CodecError>(())
/// ```
#[macro_export]
macro_rules! impl_codec {
    ($name:ident { $($field:ident),+ $(,)? }) => {
        impl $crate::codec::Codec for $name {
            const MIN_ENCODED_LEN: usize = 0usize
                $(.saturating_add($crate::codec::min_encoded_len_of(|value: &$name| &value.$field)))+;

            fn encode(&self, out: &mut $crate::codec::Encoder) {
                $($crate::codec::Codec::encode(&self.$field, out);)+
            }

            fn decode(
                input: &mut $crate::codec::Decoder<'_>,
            ) -> ::core::result::Result<Self, $crate::codec::CodecError> {
                $(let $field = $crate::codec::Codec::decode(input)?;)+
                ::core::result::Result::Ok(Self { $($field),+ })
            }
        }
    };
}
