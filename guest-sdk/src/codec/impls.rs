//! [`Codec`] for the standard types the format covers: fixed-width integers,
//! `f64`, `bool`, `String`, `Vec<T>`, `Option<T>`, `BTreeMap<K, V>`, arrays
//! and tuples. The layouts are in the table in the parent module's docs.

use std::collections::BTreeMap;

use super::{Codec, CodecError, Decoder, Encoder};
use crate::numeric::CANONICAL_NAN;

impl Codec for u8 {
    const MIN_ENCODED_LEN: usize = 1;

    fn encode(&self, out: &mut Encoder) {
        out.write_bytes(&[*self]);
    }

    fn decode(input: &mut Decoder<'_>) -> Result<Self, CodecError> {
        input.read_array("u8").map(|[byte]| byte)
    }

    fn encode_seq(items: &[Self], out: &mut Encoder) {
        out.write_bytes(items);
    }

    fn decode_seq(input: &mut Decoder<'_>, len: usize) -> Result<Vec<Self>, CodecError> {
        input.read_bytes(len, "bytes").map(<[u8]>::to_vec)
    }
}

/// Fixed-width little-endian integers.
macro_rules! int_codec {
    ($($int:ty),+) => {$(
        impl Codec for $int {
            const MIN_ENCODED_LEN: usize = size_of::<$int>();

            fn encode(&self, out: &mut Encoder) {
                out.write_bytes(&self.to_le_bytes());
            }

            fn decode(input: &mut Decoder<'_>) -> Result<Self, CodecError> {
                input.read_array(stringify!($int)).map(<$int>::from_le_bytes)
            }
        }
    )+};
}

int_codec!(u16, u32, u64, i32, i64);

impl Codec for bool {
    const MIN_ENCODED_LEN: usize = 1;

    fn encode(&self, out: &mut Encoder) {
        u8::from(*self).encode(out);
    }

    fn decode(input: &mut Decoder<'_>) -> Result<Self, CodecError> {
        let at = input.offset();
        match u8::decode(input)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(CodecError::new(at, "bool (0 or 1)")),
        }
    }
}

impl Codec for f64 {
    const MIN_ENCODED_LEN: usize = 8;

    fn encode(&self, out: &mut Encoder) {
        let value = if self.is_nan() { CANONICAL_NAN } else { *self };
        value.to_bits().encode(out);
    }

    fn decode(input: &mut Decoder<'_>) -> Result<Self, CodecError> {
        let at = input.offset();
        let value = f64::from_bits(u64::decode(input)?);
        if value.is_nan() && value.to_bits() != CANONICAL_NAN.to_bits() {
            return Err(CodecError::new(
                at,
                "f64 whose only NaN is 0x7ff8000000000000",
            ));
        }
        Ok(value)
    }
}

impl Codec for String {
    const MIN_ENCODED_LEN: usize = 4;

    fn encode(&self, out: &mut Encoder) {
        out.write_len(self.len());
        out.write_bytes(self.as_bytes());
    }

    fn decode(input: &mut Decoder<'_>) -> Result<Self, CodecError> {
        let len = input.read_len(1)?;
        let start = input.offset();
        let bytes = input.read_bytes(len, "string bytes")?;
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(text.to_owned()),
            Err(error) => Err(CodecError::new(start + error.valid_up_to(), "valid UTF-8")),
        }
    }
}

impl<T: Codec> Codec for Vec<T> {
    const MIN_ENCODED_LEN: usize = 4;

    fn encode(&self, out: &mut Encoder) {
        out.write_len(self.len());
        T::encode_seq(self, out);
    }

    fn decode(input: &mut Decoder<'_>) -> Result<Self, CodecError> {
        let len = input.read_len(T::MIN_ENCODED_LEN)?;
        T::decode_seq(input, len)
    }
}

impl<T: Codec> Codec for Option<T> {
    const MIN_ENCODED_LEN: usize = 1;

    fn encode(&self, out: &mut Encoder) {
        self.is_some().encode(out);
        if let Some(value) = self {
            value.encode(out);
        }
    }

    fn decode(input: &mut Decoder<'_>) -> Result<Self, CodecError> {
        let at = input.offset();
        match u8::decode(input)? {
            0 => Ok(None),
            1 => T::decode(input).map(Some),
            _ => Err(CodecError::new(at, "option tag (0 or 1)")),
        }
    }
}

impl<K: Codec + Ord, V: Codec> Codec for BTreeMap<K, V> {
    const MIN_ENCODED_LEN: usize = 4;

    fn encode(&self, out: &mut Encoder) {
        out.write_len(self.len());
        for (key, value) in self {
            key.encode(out);
            value.encode(out);
        }
    }

    fn decode(input: &mut Decoder<'_>) -> Result<Self, CodecError> {
        let len = input.read_len(K::MIN_ENCODED_LEN.saturating_add(V::MIN_ENCODED_LEN))?;
        let mut map = BTreeMap::new();
        for _ in 0..len {
            let at = input.offset();
            let key = K::decode(input)?;
            if map.last_key_value().is_some_and(|(last, _)| key <= *last) {
                return Err(CodecError::new(
                    at,
                    "a map key greater than the previous key",
                ));
            }
            let value = V::decode(input)?;
            map.insert(key, value);
        }
        Ok(map)
    }
}

impl<T: Codec, const N: usize> Codec for [T; N] {
    const MIN_ENCODED_LEN: usize = N.saturating_mul(T::MIN_ENCODED_LEN);

    fn encode(&self, out: &mut Encoder) {
        T::encode_seq(self, out);
    }

    fn decode(input: &mut Decoder<'_>) -> Result<Self, CodecError> {
        let at = input.offset();
        // `decode_seq` returns exactly N items or an error, so the conversion
        // cannot fail; the error only avoids a panic path.
        T::decode_seq(input, N)?
            .try_into()
            .map_err(|_| CodecError::new(at, "a fixed-size array"))
    }
}

/// Tuples: the fields in order.
macro_rules! tuple_codec {
    ($($index:tt $field:ident),+) => {
        impl<$($field: Codec),+> Codec for ($($field,)+) {
            const MIN_ENCODED_LEN: usize = 0usize $(.saturating_add($field::MIN_ENCODED_LEN))+;

            fn encode(&self, out: &mut Encoder) {
                $(self.$index.encode(out);)+
            }

            fn decode(input: &mut Decoder<'_>) -> Result<Self, CodecError> {
                Ok(($($field::decode(input)?,)+))
            }
        }
    };
}

tuple_codec!(0 A);
tuple_codec!(0 A, 1 B);
tuple_codec!(0 A, 1 B, 2 C);
tuple_codec!(0 A, 1 B, 2 C, 3 D);
tuple_codec!(0 A, 1 B, 2 C, 3 D, 4 E);
tuple_codec!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F);
