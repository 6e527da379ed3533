//! The records of a transcript and their canonical encoding.
//!
//! Every record is encoded with the guest SDK's canonical codec
//! (`guest-sdk/ALGORITHMS.md` §4: little-endian fixed-width integers,
//! IEEE-754 bits for floats with one NaN, `u32` length prefixes, fields in
//! declaration order), preceded by a one-byte kind. `TRANSCRIPT.md` spells
//! the layout out field by field.

use arbiter_sdk::codec::{Codec, CodecError, Decoder, Encoder};
use arbiter_sdk::impl_codec;

/// The format string of the header.
pub const FORMAT: &str = "arbiter.transcript/v1";

/// The first record: what the epoch ran and where it started.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// [`FORMAT`].
    pub format: String,
    /// The subnet.
    pub netuid: u16,
    /// The mechanism index.
    pub mechid: u8,
    /// The validator's hotkey.
    pub validator: [u8; 32],
    /// The mechanism's BLAKE3.
    pub mechanism: [u8; 32],
    /// The epoch.
    pub epoch: u64,
    /// The wasmtime release (fuel is only comparable within one).
    pub wasmtime: String,
    /// Fuel per call.
    pub fuel_per_call: u64,
    /// The mechanism state at the start of the epoch.
    pub initial_state: Vec<u8>,
}
impl_codec!(Header {
    format,
    netuid,
    mechid,
    validator,
    mechanism,
    epoch,
    wasmtime,
    fuel_per_call,
    initial_state
});

/// One neuron of a step's context.
#[derive(Debug, Clone, PartialEq)]
pub struct NeuronRecord {
    /// Its uid.
    pub uid: u16,
    /// Its hotkey.
    pub hotkey: [u8; 32],
    /// Stake weight, rao.
    pub stake: u64,
    /// Validator permit.
    pub validator_permit: bool,
    /// Active.
    pub active: bool,
    /// Hotkey changed since the previous step.
    pub replaced: bool,
}
impl_codec!(NeuronRecord {
    uid,
    hotkey,
    stake,
    validator_permit,
    active,
    replaced
});

/// The full context of a call.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextRecord {
    /// The subnet.
    pub netuid: u16,
    /// The mechanism index.
    pub mechid: u8,
    /// The epoch.
    pub epoch: u64,
    /// The step.
    pub step: u32,
    /// The block.
    pub block: u64,
    /// Its timestamp, ms.
    pub block_time_ms: u64,
    /// Its hash.
    pub block_hash: [u8; 32],
    /// The step seed.
    pub seed: [u8; 32],
    /// The validator's uid.
    pub validator_uid: u16,
    /// The metagraph.
    pub neurons: Vec<NeuronRecord>,
}
impl_codec!(ContextRecord {
    netuid,
    mechid,
    epoch,
    step,
    block,
    block_time_ms,
    block_hash,
    seed,
    validator_uid,
    neurons
});

/// How a call ended: `failure` is empty for success, else the typed
/// outcome as canonical JSON (never OS text).
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeRecord {
    /// Empty on success.
    pub failure: String,
    /// Fuel used, for calls that returned.
    pub fuel_used: Option<u64>,
}
impl_codec!(OutcomeRecord { failure, fuel_used });

/// One miner's reply.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyRecord {
    /// The miner's uid.
    pub uid: u16,
    /// Its status, as the WIT enum's index (ok = 0 … bad-signature = 6).
    pub status: u8,
    /// Latency, ms.
    pub latency_ms: u32,
    /// The reply bytes.
    pub body: Vec<u8>,
    /// The miner's signature, when present.
    pub signature: Option<[u8; 64]>,
}
impl_codec!(ReplyRecord {
    uid,
    status,
    latency_ms,
    body,
    signature
});

/// A query/score step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    /// The context both calls ran in.
    pub context: ContextRecord,
    /// BLAKE3 of the state the step started from.
    pub state_before: [u8; 32],
    /// How `challenge` ended.
    pub challenge: OutcomeRecord,
    /// The queries, `(uid, bytes)` in order.
    pub queries: Vec<(u16, Vec<u8>)>,
    /// The replies, one per query, in order.
    pub replies: Vec<ReplyRecord>,
    /// How `score` ended.
    pub score: OutcomeRecord,
    /// BLAKE3 of the state after the step (unchanged if `score` failed).
    pub state_after: [u8; 32],
}
impl_codec!(StepRecord {
    context,
    state_before,
    challenge,
    queries,
    replies,
    score,
    state_after
});

/// The epoch's weights and what was submitted.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightsRecord {
    /// The context `weights` ran in.
    pub context: ContextRecord,
    /// BLAKE3 of the state it ran on.
    pub state: [u8; 32],
    /// How `weights` ended.
    pub outcome: OutcomeRecord,
    /// The float weights, `(uid, value)`.
    pub weights: Vec<(u16, f64)>,
    /// The subnet's `min_allowed_weights` used to conform them.
    pub min_allowed_weights: u16,
    /// The subnet's `max_weights_limit`.
    pub max_weight_limit: u16,
    /// The u16 uids submitted (empty if none).
    pub uids: Vec<u16>,
    /// The u16 values submitted.
    pub values: Vec<u16>,
    /// Why nothing was submitted, if so (empty otherwise).
    pub not_submitted: String,
}
impl_codec!(WeightsRecord {
    context,
    state,
    outcome,
    weights,
    min_allowed_weights,
    max_weight_limit,
    uids,
    values,
    not_submitted
});

/// A record of a transcript.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// Kind 0.
    Header(Header),
    /// Kind 1.
    Step(Box<StepRecord>),
    /// Kind 2.
    Weights(Box<WeightsRecord>),
}

impl Record {
    /// The record's canonical bytes: its kind, then its fields.
    pub fn encode(&self) -> Result<Vec<u8>, CodecError> {
        let mut out = Encoder::new();
        match self {
            Record::Header(h) => {
                0u8.encode(&mut out);
                h.encode(&mut out);
            }
            Record::Step(s) => {
                1u8.encode(&mut out);
                s.encode(&mut out);
            }
            Record::Weights(w) => {
                2u8.encode(&mut out);
                w.encode(&mut out);
            }
        }
        out.finish()
    }

    /// Decodes one record's bytes (all of them).
    pub fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        let mut input = Decoder::new(bytes);
        let record = match u8::decode(&mut input)? {
            0 => Record::Header(Header::decode(&mut input)?),
            1 => Record::Step(Box::new(StepRecord::decode(&mut input)?)),
            2 => Record::Weights(Box::new(WeightsRecord::decode(&mut input)?)),
            _ => return Err(CodecError::new(0, "a record kind (0, 1 or 2)")),
        };
        input.finish()?;
        Ok(record)
    }
}

/// BLAKE3 of bytes, as a 32-byte array.
pub fn hash(bytes: &[u8]) -> [u8; 32] {
    *blake3::hash(bytes).as_bytes()
}
