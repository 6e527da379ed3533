//! The two signed messages of the protocol (see [`super`]) and the headers
//! that carry them.
//!
//! Both sides build the signed bytes here, so the layout exists once:
//! [`QueryAuth::message`] for the validator's query and [`reply_message`]
//! for the miner's reply. Header values are parsed strictly (exact lengths,
//! lowercase or uppercase hex, decimal without sign), and every parse
//! failure names the header.

use arbiter_registry::{Keypair, PublicKey, Signature};
use axum::http::{HeaderMap, HeaderValue};

/// The path queries are posted to.
pub const QUERY_PATH: &str = "/arbiter/v1/query";

/// The domain separator of a query signature.
pub const QUERY_DOMAIN: &[u8] = b"arbiter/query/v1\0";

/// The domain separator of a reply signature.
pub const REPLY_DOMAIN: &[u8] = b"arbiter/reply/v1\0";

/// `x-arbiter-netuid`: the subnet, decimal.
pub const NETUID: &str = "x-arbiter-netuid";
/// `x-arbiter-validator`: the validator's hotkey, SS58.
pub const VALIDATOR: &str = "x-arbiter-validator";
/// `x-arbiter-miner`: the miner's hotkey, SS58 (in the query and the reply).
pub const MINER: &str = "x-arbiter-miner";
/// `x-arbiter-nonce`: 16 bytes, hex.
pub const NONCE: &str = "x-arbiter-nonce";
/// `x-arbiter-timestamp`: ms since the Unix epoch, decimal.
pub const TIMESTAMP: &str = "x-arbiter-timestamp";
/// `x-arbiter-signature`: `0x` and 128 hex digits (in the query and the reply).
pub const SIGNATURE: &str = "x-arbiter-signature";

/// A header that is missing or cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// The header is absent.
    #[error("missing header {0}")]
    Missing(&'static str),
    /// The header's value is not of the required form.
    #[error("header {header} is not {expected}")]
    Invalid {
        /// The header.
        header: &'static str,
        /// What its value must be.
        expected: &'static str,
    },
}

/// What a query's signature covers besides the body: who asks whom, on
/// which subnet, with which nonce, when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryAuth {
    /// The subnet.
    pub netuid: u16,
    /// The validator's hotkey (the signer).
    pub validator: PublicKey,
    /// The queried miner's hotkey.
    pub miner: PublicKey,
    /// 16 random bytes, never reused within the replay window.
    pub nonce: [u8; 16],
    /// When the query was signed, in ms since the Unix epoch.
    pub timestamp_ms: u64,
}

impl QueryAuth {
    /// The signed bytes: `"arbiter/query/v1\0" ‖ netuid u16 LE ‖ validator
    /// (32) ‖ miner (32) ‖ nonce (16) ‖ timestamp u64 LE ‖ BLAKE3(body)`.
    pub fn message(&self, body: &[u8]) -> Vec<u8> {
        let mut message = Vec::with_capacity(QUERY_DOMAIN.len() + 2 + 32 + 32 + 16 + 8 + 32);
        message.extend_from_slice(QUERY_DOMAIN);
        message.extend_from_slice(&self.netuid.to_le_bytes());
        message.extend_from_slice(&self.validator.0);
        message.extend_from_slice(&self.miner.0);
        message.extend_from_slice(&self.nonce);
        message.extend_from_slice(&self.timestamp_ms.to_le_bytes());
        message.extend_from_slice(blake3::hash(body).as_bytes());
        message
    }

    /// The validator's signature of this query with `body`. `key` must be
    /// the validator's (it is not checked against `self.validator`).
    pub fn sign(&self, key: &Keypair, body: &[u8]) -> Signature {
        key.sign(&self.message(body))
    }

    /// Whether `signature` is the validator's signature of this query with
    /// `body`.
    pub fn verify(&self, body: &[u8], signature: &Signature) -> bool {
        self.validator.verify(&self.message(body), signature)
    }

    /// The query's headers, with `signature`.
    pub fn headers(&self, signature: &Signature) -> HeaderMap {
        self.headers_with_addresses(
            address_value(&self.validator),
            address_value(&self.miner),
            signature,
        )
    }

    /// [`Self::headers`], with the validator's and the miner's addresses
    /// already encoded by [`address_value`]: SS58 is base58, slow enough
    /// that a client encodes its own address once, not once per query.
    pub fn headers_with_addresses(
        &self,
        validator: HeaderValue,
        miner: HeaderValue,
        signature: &Signature,
    ) -> HeaderMap {
        let mut headers = HeaderMap::with_capacity(6);
        headers.insert(NETUID, HeaderValue::from(self.netuid));
        headers.insert(VALIDATOR, validator);
        headers.insert(MINER, miner);
        headers.insert(NONCE, ascii_value(hex::encode(self.nonce)));
        headers.insert(TIMESTAMP, HeaderValue::from(self.timestamp_ms));
        headers.insert(SIGNATURE, signature_value(signature));
        headers
    }

    /// Reads a query's headers: the signed facts and the signature.
    pub fn from_headers(headers: &HeaderMap) -> Result<(Self, Signature), HeaderError> {
        let netuid = decimal(text(headers, NETUID)?).ok_or(invalid(NETUID, "a decimal u16"))?;
        let mut nonce = [0u8; 16];
        hex::decode_to_slice(text(headers, NONCE)?, &mut nonce)
            .map_err(|_| invalid(NONCE, "32 hex digits"))?;
        let timestamp_ms = decimal(text(headers, TIMESTAMP)?)
            .ok_or(invalid(TIMESTAMP, "a decimal u64 of milliseconds"))?;
        let auth = Self {
            netuid,
            validator: public_key(headers, VALIDATOR)?,
            miner: public_key(headers, MINER)?,
            nonce,
            timestamp_ms,
        };
        Ok((auth, signature(headers, SIGNATURE)?))
    }
}

/// The bytes a miner signs for its reply: `"arbiter/reply/v1\0" ‖ the
/// request's signature (64) ‖ BLAKE3(reply body)`.
pub fn reply_message(request_signature: &Signature, body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(REPLY_DOMAIN.len() + 64 + 32);
    message.extend_from_slice(REPLY_DOMAIN);
    message.extend_from_slice(&request_signature.0);
    message.extend_from_slice(blake3::hash(body).as_bytes());
    message
}

/// The reply headers of a miner with hotkey `miner`: its address and its
/// `signature`.
pub fn reply_headers(miner: &PublicKey, signature: &Signature) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(2);
    headers.insert(MINER, address_value(miner));
    headers.insert(SIGNATURE, signature_value(signature));
    headers
}

/// Reads a reply's headers: the miner's hotkey and signature.
pub fn reply_from_headers(headers: &HeaderMap) -> Result<(PublicKey, Signature), HeaderError> {
    Ok((public_key(headers, MINER)?, signature(headers, SIGNATURE)?))
}

/// The wall clock in milliseconds since the Unix epoch (0 before 1970):
/// what a query's timestamp is, and what a miner checks it against.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn invalid(header: &'static str, expected: &'static str) -> HeaderError {
    HeaderError::Invalid { header, expected }
}

fn text<'h>(headers: &'h HeaderMap, name: &'static str) -> Result<&'h str, HeaderError> {
    let value = headers.get(name).ok_or(HeaderError::Missing(name))?;
    value.to_str().map_err(|_| invalid(name, "ASCII text"))
}

/// An unsigned decimal without sign or leading `+` (which `parse` allows).
fn decimal<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn public_key(headers: &HeaderMap, name: &'static str) -> Result<PublicKey, HeaderError> {
    text(headers, name)?
        .parse()
        .map_err(|_| invalid(name, "an SS58 address"))
}

fn signature(headers: &HeaderMap, name: &'static str) -> Result<Signature, HeaderError> {
    parse_signature(text(headers, name)?).ok_or(invalid(name, "0x and 128 hex digits"))
}

/// A signature written as `0x` and 128 hex digits.
pub fn parse_signature(text: &str) -> Option<Signature> {
    let mut bytes = [0u8; 64];
    hex::decode_to_slice(text.strip_prefix("0x")?, &mut bytes).ok()?;
    Some(Signature(bytes))
}

fn signature_value(signature: &Signature) -> HeaderValue {
    ascii_value(format!("0x{}", hex::encode(signature.0)))
}

/// `key`'s SS58 address as a header value.
pub fn address_value(key: &PublicKey) -> HeaderValue {
    ascii_value(key.ss58())
}

/// Hex and base58 text is always a valid header value.
fn ascii_value(text: String) -> HeaderValue {
    HeaderValue::try_from(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Result<(Keypair, QueryAuth), arbiter_registry::KeyError> {
        let validator = Keypair::dev("validator")?;
        let auth = QueryAuth {
            netuid: 7,
            validator: validator.public(),
            miner: Keypair::dev("miner")?.public(),
            nonce: [9; 16],
            timestamp_ms: 1_767_225_600_000,
        };
        Ok((validator, auth))
    }

    #[test]
    fn the_query_message_has_the_documented_layout() -> Result<(), Box<dyn std::error::Error>> {
        let (_, auth) = auth()?;
        let message = auth.message(b"21");
        assert_eq!(message.len(), 17 + 2 + 32 + 32 + 16 + 8 + 32);
        assert_eq!(&message[..17], b"arbiter/query/v1\0");
        assert_eq!(&message[17..19], &[7, 0]);
        assert_eq!(&message[19..51], &auth.validator.0);
        assert_eq!(&message[51..83], &auth.miner.0);
        assert_eq!(&message[83..99], &[9; 16]);
        assert_eq!(&message[99..107], &1_767_225_600_000u64.to_le_bytes());
        assert_eq!(&message[107..], blake3::hash(b"21").as_bytes());
        Ok(())
    }

    #[test]
    fn a_query_survives_its_headers_and_any_change_breaks_it()
    -> Result<(), Box<dyn std::error::Error>> {
        let (key, auth) = auth()?;
        let signature = auth.sign(&key, b"21");
        let (read, read_signature) = QueryAuth::from_headers(&auth.headers(&signature))?;
        assert_eq!((read, read_signature), (auth, signature));
        assert!(read.verify(b"21", &signature));
        assert!(!read.verify(b"22", &signature));
        for changed in [
            QueryAuth { netuid: 8, ..auth },
            QueryAuth {
                nonce: [8; 16],
                ..auth
            },
            QueryAuth {
                timestamp_ms: 1,
                ..auth
            },
            QueryAuth {
                miner: auth.validator,
                ..auth
            },
        ] {
            assert!(!changed.verify(b"21", &signature));
        }
        Ok(())
    }

    #[test]
    fn malformed_headers_are_named() -> Result<(), Box<dyn std::error::Error>> {
        let (key, auth) = auth()?;
        let good = auth.headers(&auth.sign(&key, b""));
        let mut headers = good.clone();
        headers.remove(NONCE);
        assert_eq!(
            QueryAuth::from_headers(&headers),
            Err(HeaderError::Missing("x-arbiter-nonce"))
        );
        for (name, value) in [
            (NETUID, "+7"),
            (NETUID, "70000"),
            (NONCE, "0909"),
            (TIMESTAMP, "-1"),
            (VALIDATOR, "alice"),
            (SIGNATURE, "0x1234"),
        ] {
            let mut headers = good.clone();
            headers.insert(name, HeaderValue::from_static(value));
            assert!(
                matches!(
                    QueryAuth::from_headers(&headers),
                    Err(HeaderError::Invalid { header, .. }) if header == name
                ),
                "{name}: {value}"
            );
        }
        Ok(())
    }

    #[test]
    fn replies_are_bound_to_the_request_signature() -> Result<(), Box<dyn std::error::Error>> {
        let miner = Keypair::dev("miner")?;
        let request = Signature([1; 64]);
        let signature = miner.sign(&reply_message(&request, b"42"));
        let (who, read) = reply_from_headers(&reply_headers(&miner.public(), &signature))?;
        assert_eq!(who, miner.public());
        assert!(who.verify(&reply_message(&request, b"42"), &read));
        assert!(!who.verify(&reply_message(&Signature([2; 64]), b"42"), &read));
        assert!(!who.verify(&reply_message(&request, b"43"), &read));
        Ok(())
    }
}
