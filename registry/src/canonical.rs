//! The canonical JSON encoding that manifest signatures cover.
//!
//! It is RFC 8785 (the JSON Canonicalization Scheme, JCS) restricted so
//! that any JCS library, or forty lines of any language, produces the same
//! bytes:
//! - no whitespace; object members sorted by key, byte by byte;
//! - every key is ASCII (so byte order is JCS's UTF-16 order);
//! - numbers are integers from 0 to 2^53 − 1, written in decimal (JCS
//!   writes numbers as JavaScript does; in this range that is the plain
//!   integer, and no float ever appears);
//! - strings are UTF-8, with `"` and `\` escaped, U+0008, U+0009, U+000A,
//!   U+000C and U+000D written `\b \t \n \f \r`, other characters below
//!   U+0020 written `\u00xx` (lowercase hex), and everything else as is.
//!
//! Values outside the restriction (floats, negative or larger numbers,
//! non-ASCII keys) are refused rather than encoded some other way.

use serde_json::Value;

/// The largest integer the encoding allows: 2^53 − 1, the largest integer
/// every JSON implementation reads exactly.
pub const MAX_INTEGER: u64 = (1 << 53) - 1;

/// Why a value has no canonical encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no canonical encoding: {0}")]
pub struct CanonicalError(String);

/// The canonical bytes of `value`.
pub fn encode(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::with_capacity(512);
    write(value, &mut out)?;
    Ok(out)
}

fn write(value: &Value, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => match n.as_u64() {
            Some(n) if n <= MAX_INTEGER => out.extend_from_slice(n.to_string().as_bytes()),
            _ => {
                return Err(CanonicalError(format!(
                    "the number {n} is not an integer from 0 to 2^53 - 1"
                )));
            }
        },
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, item)) in sorted.into_iter().enumerate() {
                if !key.is_ascii() {
                    return Err(CanonicalError(format!("the key {key:?} is not ASCII")));
                }
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                write(item, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '\r' => out.extend_from_slice(b"\\r"),
            c if u32::from(c) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", u32::from(c)).as_bytes());
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn text(value: &Value) -> String {
        String::from_utf8(encode(value).unwrap()).unwrap()
    }

    #[test]
    fn members_are_sorted_and_nothing_is_spaced() {
        let value = json!({"b": [1, true, null], "a": {"d": "x", "c": 0}, "B": 2});
        assert_eq!(
            text(&value),
            r#"{"B":2,"a":{"c":0,"d":"x"},"b":[1,true,null]}"#
        );
    }

    /// The escapes of RFC 8785 section 3.2.2.2, and raw UTF-8 otherwise.
    #[test]
    fn strings_escape_as_jcs_does() {
        let value = json!("\"\\\u{8}\t\n\u{c}\r\u{1}\u{1f}/\u{7f}é€😀");
        assert_eq!(
            text(&value),
            "\"\\\"\\\\\\b\\t\\n\\f\\r\\u0001\\u001f/\u{7f}é€😀\""
        );
    }

    #[test]
    fn the_same_as_serde_json_for_strings() {
        // serde_json escapes exactly as JCS does; a cross-check.
        let s = "a\u{0}b\u{1b}c\"d\\e\u{2028}";
        assert_eq!(
            String::from_utf8(encode(&json!(s)).unwrap()).unwrap(),
            serde_json::to_string(s).unwrap()
        );
    }

    #[test]
    fn numbers_outside_the_safe_range_are_refused() {
        assert_eq!(text(&json!(MAX_INTEGER)), "9007199254740991");
        assert!(encode(&json!(MAX_INTEGER + 1)).is_err());
        assert!(encode(&json!(-1)).is_err());
        assert!(encode(&json!(1.5)).is_err());
        assert!(encode(&json!({"é": 1})).is_err());
    }
}
