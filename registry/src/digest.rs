//! Content hashes: BLAKE3 names every blob, written `blake3:<64 hex digits>`;
//! [`Digests`] adds the SHA-256 and the size, computed in the same pass by a
//! [`Digester`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::Digest as _;

/// The BLAKE3 hash of a blob's bytes: its name in the registry, in
/// transcripts and in on-chain commitments.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentHash([u8; 32]);

/// The prefix of a [`ContentHash`] written as text.
const PREFIX: &str = "blake3:";

impl ContentHash {
    /// The hash of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(*blake3::hash(bytes).as_bytes())
    }

    /// A hash from its 32 raw bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32 raw bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The 64 lowercase hex digits, without the `blake3:` prefix.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// The SHA-256 of `bytes` as 64 lowercase hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// What the registry records about a blob's bytes: its BLAKE3 (its name),
/// its SHA-256 (64 lowercase hex digits, for OCI and Bittensor's `Sha256`
/// commitments) and its size. The `component` of a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Digests {
    /// The BLAKE3 hash.
    pub blake3: ContentHash,
    /// The SHA-256, as 64 lowercase hex digits.
    pub sha256: String,
    /// The size in bytes.
    pub size: u64,
}

impl Digests {
    /// The digests of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        let mut digester = Digester::default();
        digester.update(bytes);
        digester.finish()
    }
}

/// Computes [`Digests`] of a stream in one pass.
#[derive(Default)]
pub struct Digester {
    blake3: blake3::Hasher,
    sha256: sha2::Sha256,
    size: u64,
}

impl Digester {
    /// Adds the next bytes of the stream.
    pub fn update(&mut self, bytes: &[u8]) {
        self.blake3.update(bytes);
        self.sha256.update(bytes);
        self.size += bytes.len() as u64;
    }

    /// The bytes seen so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The digests of the whole stream.
    pub fn finish(self) -> Digests {
        Digests {
            blake3: ContentHash(*self.blake3.finalize().as_bytes()),
            sha256: hex::encode(self.sha256.finalize()),
            size: self.size,
        }
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{}", self.to_hex())
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Why a string is not a [`ContentHash`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a content hash: expected `blake3:` and 64 hex digits, got {0:?}")]
pub struct ParseHashError(String);

impl FromStr for ContentHash {
    type Err = ParseHashError;

    /// Parses `blake3:<64 hex digits>`; the prefix is required so a hash is
    /// never confused with a name.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || ParseHashError(text.chars().take(80).collect());
        let digits = text.strip_prefix(PREFIX).ok_or_else(error)?;
        let mut bytes = [0u8; 32];
        if digits.len() != 64 || digits.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(error());
        }
        hex::decode_to_slice(digits, &mut bytes).map_err(|_| error())?;
        Ok(Self(bytes))
    }
}

impl Serialize for ContentHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ContentHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips() -> Result<(), ParseHashError> {
        let hash = ContentHash::of(b"arbiter");
        assert_eq!(hash.to_string().parse::<ContentHash>()?, hash);
        Ok(())
    }

    #[test]
    fn known_value() {
        // BLAKE3 of the empty input, from the BLAKE3 test vectors.
        assert_eq!(
            ContentHash::of(b"").to_hex(),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn a_stream_digests_as_its_bytes() {
        let mut digester = Digester::default();
        digester.update(b"arbi");
        digester.update(b"ter");
        let digests = digester.finish();
        assert_eq!(digests, Digests::of(b"arbiter"));
        assert_eq!(digests.blake3, ContentHash::of(b"arbiter"));
        assert_eq!(digests.sha256, sha256_hex(b"arbiter"));
        assert_eq!(digests.size, 7);
    }

    #[test]
    fn malformed_text_is_refused() {
        let good = ContentHash::of(b"x").to_hex();
        for bad in [
            good.clone(),
            format!("sha256:{good}"),
            format!("blake3:{}", &good[..63]),
            format!("blake3:{}", good.to_uppercase()),
            format!("blake3:{}zz", &good[..62]),
            "blake3:../../etc/passwd".to_string(),
        ] {
            assert!(bad.parse::<ContentHash>().is_err(), "{bad}");
        }
    }
}
