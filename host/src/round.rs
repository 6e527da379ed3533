//! Recorded rounds: one step's context, the queries the mechanism asked and
//! the miners' replies, as a JSON file that `arbiter score` replays.
//!
//! ```json
//! {
//!   "context": {
//!     "netuid": 1, "mechid": 0, "epoch": 0, "step": 0,
//!     "block": 720, "block_time_ms": 1767225600000,
//!     "block_hash": "0x…32 bytes…", "seed": "0x…32 bytes…",
//!     "validator_uid": 0,
//!     "neurons": [
//!       { "uid": 0, "hotkey": "0x…32 bytes…", "stake": 1000000000000,
//!         "validator_permit": true, "active": true, "replaced": false }
//!     ]
//!   },
//!   "queries":   [ { "uid": 1, "text": "What is 2 + 2?" } ],
//!   "responses": [ { "uid": 1, "status": "ok", "latency_ms": 120, "text": "4" } ]
//! }
//! ```
//!
//! A payload is given as `"text"` (UTF-8) or `"hex"` (any bytes). `status`
//! is one of the contract's reply statuses (`ok`, `timeout`, `unreachable`,
//! `refused`, `oversized`, `malformed`, `bad-signature`). `queries` is
//! optional: when present, `arbiter score` checks that the mechanism asks
//! exactly those. Responses must answer the queries one to one, in order;
//! without `responses`, a round only shows what the mechanism would ask.

use serde::{Deserialize, Serialize};

use crate::sandbox::bindings::{Context, Neuron, Payloads, Responses};
use crate::sandbox::wire;

/// A recorded round, as read from JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundFile {
    /// The step's context.
    pub context: ContextFile,
    /// The queries the mechanism asked, if recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queries: Option<Vec<PayloadEntry>>,
    /// The miners' replies; absent for a round that only asks what the
    /// mechanism would query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responses: Option<Vec<ResponseEntry>>,
}

/// The context of a round file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextFile {
    /// The subnet.
    pub netuid: u16,
    /// The mechanism index within the subnet.
    #[serde(default)]
    pub mechid: u8,
    /// The validator's epoch.
    pub epoch: u64,
    /// The step within the epoch.
    pub step: u32,
    /// The block.
    pub block: u64,
    /// The block's timestamp, ms since the Unix epoch.
    pub block_time_ms: u64,
    /// The block hash, `0x` and 64 hex digits.
    pub block_hash: Hex32,
    /// The step's seed, `0x` and 64 hex digits.
    pub seed: Hex32,
    /// The validator's uid.
    pub validator_uid: u16,
    /// The metagraph.
    pub neurons: Vec<NeuronFile>,
}

/// One neuron of a round file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeuronFile {
    /// Its uid.
    pub uid: u16,
    /// Its hotkey public key, `0x` and 64 hex digits.
    pub hotkey: Hex32,
    /// Its stake weight in rao.
    pub stake: u64,
    /// Whether it holds a validator permit.
    pub validator_permit: bool,
    /// Whether it is active.
    pub active: bool,
    /// Whether its hotkey changed since the previous step.
    #[serde(default)]
    pub replaced: bool,
}

/// 32 bytes written as `0x` and 64 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hex32(pub [u8; 32]);

impl Serialize for Hex32 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("0x{}", hex::encode(self.0)))
    }
}

impl<'de> Deserialize<'de> for Hex32 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let mut bytes = [0u8; 32];
        text.strip_prefix("0x")
            .and_then(|digits| hex::decode_to_slice(digits, &mut bytes).ok())
            .ok_or_else(|| serde::de::Error::custom("expected 0x and 64 hex digits"))?;
        Ok(Hex32(bytes))
    }
}

/// A payload for one uid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayloadEntry {
    /// The uid.
    pub uid: u16,
    /// The bytes.
    #[serde(flatten)]
    pub body: Body,
}

/// A reply for one uid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseEntry {
    /// The miner's uid.
    pub uid: u16,
    /// What became of the query.
    pub status: Status,
    /// Milliseconds to the reply.
    #[serde(default)]
    pub latency_ms: u32,
    /// The reply bytes (empty unless `ok` or `bad-signature`).
    #[serde(flatten, default)]
    pub body: Body,
}

/// Payload bytes, as text or hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Body {
    /// UTF-8 text.
    Text {
        /// The text.
        text: String,
    },
    /// Any bytes, as lowercase hex.
    Hex {
        /// The hex digits.
        hex: String,
    },
    /// No bytes.
    Empty {},
}

impl Default for Body {
    fn default() -> Self {
        Body::Empty {}
    }
}

impl Body {
    /// The bytes, from text or hex.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        match std::str::from_utf8(bytes) {
            Ok("") => Body::Empty {},
            Ok(text) => Body::Text { text: text.into() },
            Err(_) => Body::Hex {
                hex: hex::encode(bytes),
            },
        }
    }

    fn bytes(&self) -> Result<Vec<u8>, RoundError> {
        match self {
            Body::Text { text } => Ok(text.as_bytes().to_vec()),
            Body::Hex { hex } => {
                hex::decode(hex).map_err(|e| RoundError::Invalid(format!("bad hex payload: {e}")))
            }
            Body::Empty {} => Ok(Vec::new()),
        }
    }
}

/// A reply status, as written in round files: the transport's, with the
/// same names (`ok`, `timeout`, `bad-signature`, …).
pub use crate::transport::Status;

/// Why a round file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RoundError {
    /// Not valid JSON of this format.
    #[error("not a round file: {0}")]
    Json(#[from] serde_json::Error),
    /// Valid JSON, inconsistent content.
    #[error("invalid round: {0}")]
    Invalid(String),
}

/// A round ready to feed to a mechanism.
#[derive(Debug, Clone)]
pub struct Round {
    /// The context.
    pub context: Context,
    /// The recorded queries, if any.
    pub queries: Option<Payloads>,
    /// The replies, paired with the queries by position (`None`: not
    /// recorded).
    pub responses: Option<Responses>,
}

impl RoundFile {
    /// Parses a round file.
    pub fn parse(json: &str) -> Result<Self, RoundError> {
        Ok(serde_json::from_str(json)?)
    }

    /// Checks the file and converts it to the contract's types.
    pub fn into_round(self) -> Result<Round, RoundError> {
        let context = self.context.into_context()?;
        let queries = match self.queries {
            Some(entries) => {
                let bytes = entries
                    .iter()
                    .map(|e| Ok((e.uid, e.body.bytes()?)))
                    .collect::<Result<Vec<_>, RoundError>>()?;
                let batch = wire::pack(bytes.iter().map(|(uid, b)| (*uid, b.as_slice())));
                wire::check_payloads(&batch, &context, u64::MAX).map_err(RoundError::Invalid)?;
                Some(batch)
            }
            None => None,
        };
        let responses = match self.responses {
            Some(entries) => Some(responses(&entries, &context)?),
            None => None,
        };
        if let (Some(queries), Some(responses)) = (&queries, &responses)
            && queries.uids != responses.replies.uids
        {
            return Err(RoundError::Invalid(
                "responses must answer the queries one to one, in order".into(),
            ));
        }
        Ok(Round {
            context,
            queries,
            responses,
        })
    }
}

fn responses(entries: &[ResponseEntry], context: &Context) -> Result<Responses, RoundError> {
    let bytes = entries
        .iter()
        .map(|r| Ok((r.uid, r.body.bytes()?)))
        .collect::<Result<Vec<_>, RoundError>>()?;
    let replies = wire::pack(bytes.iter().map(|(uid, b)| (*uid, b.as_slice())));
    wire::check_payloads(&replies, context, u64::MAX).map_err(RoundError::Invalid)?;
    Ok(Responses {
        status: entries.iter().map(|r| r.status.into()).collect(),
        latency_ms: entries.iter().map(|r| r.latency_ms).collect(),
        replies,
    })
}

impl ContextFile {
    fn into_context(self) -> Result<Context, RoundError> {
        let ascending = self.neurons.windows(2).all(|w| w[0].uid < w[1].uid);
        if !ascending {
            return Err(RoundError::Invalid(
                "neurons must be listed once each, in ascending uid order".into(),
            ));
        }
        let hotkeys = self.neurons.iter().flat_map(|n| n.hotkey.0).collect();
        Ok(Context {
            netuid: self.netuid,
            mechid: self.mechid,
            epoch: self.epoch,
            step: self.step,
            block: self.block,
            block_time_ms: self.block_time_ms,
            block_hash: self.block_hash.0.to_vec(),
            seed: self.seed.0.to_vec(),
            validator_uid: self.validator_uid,
            neurons: self
                .neurons
                .into_iter()
                .map(|n| Neuron {
                    uid: n.uid,
                    stake: n.stake,
                    validator_permit: n.validator_permit,
                    active: n.active,
                    replaced: n.replaced,
                })
                .collect(),
            hotkeys,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::bindings::ReplyStatus;

    const ZERO: &str = "0x0000000000000000000000000000000000000000000000000000000000000000";

    fn round_json(responses: &str) -> String {
        format!(
            r#"{{"context": {{"netuid": 1, "epoch": 0, "step": 0, "block": 1, "block_time_ms": 0,
                "block_hash": "{ZERO}", "seed": "{ZERO}", "validator_uid": 0,
                "neurons": [{{"uid": 0, "hotkey": "{ZERO}", "stake": 1, "validator_permit": true, "active": true}},
                            {{"uid": 1, "hotkey": "{ZERO}", "stake": 0, "validator_permit": false, "active": true}}]}},
               "queries": [{{"uid": 1, "text": "q"}}],
               "responses": {responses}}}"#
        )
    }

    #[test]
    fn a_round_converts_to_contract_types() -> Result<(), RoundError> {
        let json = round_json(r#"[{"uid": 1, "status": "ok", "latency_ms": 5, "hex": "ff00"}]"#);
        let round = RoundFile::parse(&json)?.into_round()?;
        let responses = round.responses.expect("recorded");
        assert_eq!(responses.replies.data, [0xff, 0x00]);
        assert_eq!(responses.status, [ReplyStatus::Ok]);
        assert_eq!(round.context.neurons.len(), 2);
        Ok(())
    }

    #[test]
    fn inconsistent_rounds_are_refused_with_a_reason() {
        for (responses, needle) in [
            (r#"[{"uid": 0, "status": "ok", "text": "a"}]"#, "one to one"),
            (r#"[{"uid": 7, "status": "ok", "text": "a"}]"#, "metagraph"),
            (r#"[{"uid": 1, "status": "bogus"}]"#, "variant"),
            (r#"[{"uid": 1, "status": "ok", "hex": "zz"}]"#, "hex"),
        ] {
            let result = RoundFile::parse(&round_json(responses)).and_then(RoundFile::into_round);
            let message = result.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(message.contains(needle), "{responses}: {message}");
        }
    }
}
