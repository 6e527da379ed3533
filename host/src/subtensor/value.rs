//! Reading SCALE values decoded against a runtime's own types.
//!
//! Runtime-API answers and storage values are decoded with the runtime's
//! metadata into `scale_value::Value`s, then read here by field name, with
//! numbers taken through newtypes (`NetUid(u16)`, `AlphaBalance(u64)`) and
//! accounts however deeply they are wrapped. A runtime that adds, reorders
//! or compacts fields still reads; one that drops a field the host needs is
//! refused with the field's name rather than misread.

use subxt::ext::scale_value::{self, At, Composite, Value, ValueDef};

use super::{EncodeError, RuntimeMetadata};
use arbiter_registry::PublicKey;

/// `bytes` decoded as the runtime's type `type_id`, every byte used;
/// `what` names the value in errors.
pub fn decode(
    metadata: &RuntimeMetadata,
    type_id: u32,
    bytes: &[u8],
    what: &str,
) -> Result<Value<u32>, EncodeError> {
    let mut input = bytes;
    let value = scale_value::scale::decode_as_type(&mut input, type_id, metadata.subxt().types())
        .map_err(|e| malformed(what, &e.to_string()))?;
    if !input.is_empty() {
        return Err(malformed(what, &format!("{} bytes left over", input.len())));
    }
    Ok(value)
}

/// A value that could not be read as expected.
pub fn malformed(what: &str, reason: &str) -> EncodeError {
    EncodeError::Call {
        call: what.to_string(),
        reason: format!("cannot decode the answer: {reason}"),
    }
}

/// The field `name` of a composite.
pub fn field<'v>(value: &'v Value<u32>, name: &str) -> Result<&'v Value<u32>, EncodeError> {
    value
        .at(name)
        .ok_or_else(|| malformed(name, "the runtime's answer lacks this field"))
}

/// The items of a sequence.
pub fn items<'v>(value: &'v Value<u32>, name: &str) -> Result<Vec<&'v Value<u32>>, EncodeError> {
    match &value.value {
        ValueDef::Composite(composite) => Ok(composite.values().collect()),
        _ => Err(malformed(name, "not a sequence")),
    }
}

/// An unsigned field (plain or compact), checked to fit `T`.
pub fn int<T: TryFrom<u128>>(value: &Value<u32>, name: &str) -> Result<T, EncodeError> {
    number(field(value, name)?, name)
}

/// An unsigned number (plain, compact or in a newtype), checked to fit `T`.
pub fn number<T: TryFrom<u128>>(value: &Value<u32>, name: &str) -> Result<T, EncodeError> {
    let raw = unwrap_newtype(value)
        .as_u128()
        .ok_or_else(|| malformed(name, "not an unsigned integer"))?;
    T::try_from(raw).map_err(|_| malformed(name, &format!("{raw} is out of range")))
}

/// The bool field `name`.
pub fn flag(value: &Value<u32>, name: &str) -> Result<bool, EncodeError> {
    unwrap_newtype(field(value, name)?)
        .as_bool()
        .ok_or_else(|| malformed(name, "not a bool"))
}

/// A newtype's inner value (`NetUid(u16)`, `AlphaBalance(u64)`, ...).
pub fn unwrap_newtype(value: &Value<u32>) -> &Value<u32> {
    match &value.value {
        ValueDef::Composite(composite) if composite.len() == 1 => {
            composite.values().next().map_or(value, unwrap_newtype)
        }
        _ => value,
    }
}

/// An `AccountId32`: 32 bytes, however deeply the runtime wraps them.
pub fn account(value: &Value<u32>, name: &str) -> Result<PublicKey, EncodeError> {
    let bytes: [u8; 32] = bytes(value)
        .try_into()
        .map_err(|_| malformed(name, "not a 32-byte account"))?;
    Ok(PublicKey(bytes))
}

fn collect_bytes(value: &Value<u32>, out: &mut Vec<u8>) {
    match &value.value {
        ValueDef::Composite(Composite::Named(fields)) => {
            fields.iter().for_each(|(_, v)| collect_bytes(v, out));
        }
        ValueDef::Composite(Composite::Unnamed(values)) => {
            values.iter().for_each(|v| collect_bytes(v, out));
        }
        _ => out.extend(value.as_u128().and_then(|b| u8::try_from(b).ok())),
    }
}

/// A sequence of unsigned numbers (`Vec<u16>`, `Vec<u64>`, ...).
pub fn numbers<T: TryFrom<u128>>(value: &Value<u32>, name: &str) -> Result<Vec<T>, EncodeError> {
    items(value, name)?
        .into_iter()
        .map(|item| number(item, name))
        .collect()
}

/// A sequence of bools.
pub fn flags(value: &Value<u32>, name: &str) -> Result<Vec<bool>, EncodeError> {
    items(value, name)?
        .into_iter()
        .map(|item| {
            unwrap_newtype(item)
                .as_bool()
                .ok_or_else(|| malformed(name, "not a bool"))
        })
        .collect()
}

/// Every byte under `value` (a `Vec<u8>`, `[u8; N]` or `BoundedVec`).
pub fn bytes(value: &Value<u32>) -> Vec<u8> {
    let mut out = Vec::new();
    collect_bytes(value, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_read_through_any_wrapping() {
        let bytes = (0..32u8).map(|b| Value::u128(b.into()));
        let wrapped = Value::unnamed_composite([Value::unnamed_composite(bytes)]);
        let key = account(&wrapped.map_context(|_| 0u32), "hotkey").unwrap();
        assert_eq!(key.0[31], 31);
        let short = Value::unnamed_composite([Value::u128(1)]).map_context(|_| 0u32);
        assert!(account(&short, "hotkey").is_err());
    }

    #[test]
    fn numbers_out_of_range_are_refused_with_their_name() {
        let n = Value::named_composite([("uid", Value::u128(70_000))]).map_context(|_| 0u32);
        let error = int::<u16>(&n, "uid").unwrap_err();
        assert!(error.to_string().contains("uid"), "{error}");
        assert!(
            error.to_string().contains("70000 is out of range"),
            "{error}"
        );
    }
}
