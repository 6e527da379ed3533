//! A runtime's metadata: the pallets, calls and types a Subtensor runtime
//! speaks, which every encoding here is driven by.
//!
//! Accepted forms, as nodes and SDK fixtures store it: the SCALE bytes of
//! `RuntimeMetadataPrefixed` (what `state_getMetadata` returns, starting
//! with the `meta` magic), the same wrapped as `Option<OpaqueMetadata>`
//! (what the `Metadata_metadata_at_version` runtime API returns), and
//! either of them as `0x`-prefixed hex text.

use std::path::Path;
use std::sync::Arc;

use subxt::ext::codec::{Compact, Decode};

use super::EncodeError;

/// A decoded runtime metadata, cheap to clone.
#[derive(Debug, Clone)]
pub struct RuntimeMetadata(pub(crate) Arc<subxt::metadata::Metadata>);

/// The magic number that starts `RuntimeMetadataPrefixed`: `meta`.
const MAGIC: &[u8; 4] = b"meta";

impl RuntimeMetadata {
    /// Reads metadata from a file in any of the accepted forms.
    pub fn from_file(path: &Path) -> Result<Self, EncodeError> {
        let bytes = std::fs::read(path)
            .map_err(|e| EncodeError::Metadata(format!("cannot read {}: {e}", path.display())))?;
        Self::from_bytes(&bytes)
    }

    /// Decodes metadata in any of the accepted forms.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EncodeError> {
        let binary;
        let mut bytes = bytes;
        if let Some(text) = bytes.strip_prefix(b"0x") {
            let text = std::str::from_utf8(text)
                .map_err(|_| EncodeError::Metadata("hex text that is not UTF-8".into()))?;
            binary = hex::decode(text.trim())
                .map_err(|e| EncodeError::Metadata(format!("bad hex: {e}")))?;
            bytes = &binary;
        }
        let prefixed = unwrap_opaque(bytes)?;
        subxt::metadata::Metadata::decode_from(prefixed)
            .map(|m| Self(Arc::new(m)))
            .map_err(|e| EncodeError::Metadata(e.to_string()))
    }

    /// The underlying subxt metadata.
    pub fn subxt(&self) -> &subxt::metadata::Metadata {
        &self.0
    }
}

/// `RuntimeMetadataPrefixed` bytes, unwrapped from `Option<OpaqueMetadata>`
/// (`01 ‖ compact(len) ‖ bytes`) if they are wrapped.
fn unwrap_opaque(bytes: &[u8]) -> Result<&[u8], EncodeError> {
    if bytes.starts_with(MAGIC) {
        return Ok(bytes);
    }
    let Some(rest) = bytes.strip_prefix(&[1]) else {
        return Err(EncodeError::Metadata(
            "neither `meta`-prefixed metadata nor Some(OpaqueMetadata)".into(),
        ));
    };
    let mut input = rest;
    let len = Compact::<u32>::decode(&mut input)
        .map_err(|e| EncodeError::Metadata(format!("bad OpaqueMetadata length: {e}")))?;
    if input.len() != len.0 as usize || !input.starts_with(MAGIC) {
        return Err(EncodeError::Metadata(
            "OpaqueMetadata whose length or magic is wrong".into(),
        ));
    }
    Ok(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_refused_with_a_reason() {
        for bytes in [&b""[..], b"meta", b"\x01\x08meta", b"0xzz", b"\x00\x01\x02"] {
            let error = RuntimeMetadata::from_bytes(bytes).unwrap_err();
            assert!(matches!(error, EncodeError::Metadata(_)), "{bytes:?}");
        }
    }

    #[test]
    fn a_wrapped_length_must_match() {
        let error = unwrap_opaque(b"\x01\x14metaXYZ").unwrap_err();
        assert!(error.to_string().contains("length"), "{error}");
        assert_eq!(unwrap_opaque(b"\x01\x10meta").unwrap(), b"meta");
    }
}
