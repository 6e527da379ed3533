//! Transcripts: what a validator did in one epoch, step by step, in a
//! canonical encoding, hash-chained so one 32-byte root commits to all of
//! it.
//!
//! A transcript is a header (mechanism, validator, epoch, the starting
//! state), one [`StepRecord`] per step (context, queries, replies with the
//! miners' signatures, both calls' outcomes, state hashes) and a
//! [`WeightsRecord`] (the float weights and the u16 vector submitted).
//! Record `i` chains as `h_i = BLAKE3(h_{i−1} ‖ record_i)` from
//! `h_0 = BLAKE3("arbiter/transcript/v1\0")`; the root is the last `h`.
//! The file is `"ARBT" ‖ version (u32 LE) ‖ the records as a codec
//! `Vec<Vec<u8>>`. `TRANSCRIPT.md` is the full specification.

mod convert;
pub mod published;
mod record;

use std::path::{Path, PathBuf};

pub use convert::{
    context_from_record, context_record, outcome_record, reply_status_from_index,
    reply_status_index,
};
pub use record::{
    ContextRecord, FORMAT, Header, NeuronRecord, OutcomeRecord, Record, ReplyRecord, StepRecord,
    WeightsRecord, hash,
};

use arbiter_sdk::codec::{self, CodecError};

/// The file magic.
const MAGIC: &[u8; 4] = b"ARBT";
/// The file layout version.
const FILE_VERSION: u32 = 1;

/// Why a transcript cannot be read or does not hold together.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TranscriptError {
    /// Not a transcript file.
    #[error("not a transcript file: {0}")]
    NotATranscript(String),
    /// A record does not decode.
    #[error("record {index} does not decode: {error}")]
    BadRecord {
        /// Its position.
        index: usize,
        /// The codec's error.
        error: CodecError,
    },
    /// The records are not a header, steps and one weights record, in order.
    #[error("record {index}: {problem}")]
    OutOfOrder {
        /// Its position.
        index: usize,
        /// What is wrong.
        problem: String,
    },
    /// Reading or writing the file failed.
    #[error("{0}")]
    Io(String),
}

/// The chaining start value.
pub fn chain_start() -> [u8; 32] {
    hash(b"arbiter/transcript/v1\0")
}

/// The chain value after `record_bytes`.
pub fn chain_next(previous: &[u8; 32], record_bytes: &[u8]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(previous);
    hasher.update(record_bytes);
    *hasher.finalize().as_bytes()
}

/// A transcript as encoded records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transcript {
    records: Vec<Vec<u8>>,
}

impl Transcript {
    /// Records, already encoded, in order.
    pub fn from_encoded(records: Vec<Vec<u8>>) -> Self {
        Self { records }
    }

    /// The encoded records.
    pub fn encoded(&self) -> &[Vec<u8>] {
        &self.records
    }

    /// The root: the chain value after the last record.
    pub fn root(&self) -> [u8; 32] {
        self.records
            .iter()
            .fold(chain_start(), |h, record| chain_next(&h, record))
    }

    /// The file bytes.
    pub fn to_file_bytes(&self) -> Result<Vec<u8>, TranscriptError> {
        let body =
            codec::to_bytes(&self.records).map_err(|e| TranscriptError::Io(e.to_string()))?;
        let mut bytes = Vec::with_capacity(8 + body.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&FILE_VERSION.to_le_bytes());
        bytes.extend_from_slice(&body);
        Ok(bytes)
    }

    /// Parses file bytes (records are checked by [`Transcript::decode`]).
    pub fn from_file_bytes(bytes: &[u8]) -> Result<Self, TranscriptError> {
        let not = |why: &str| TranscriptError::NotATranscript(why.to_string());
        let rest = bytes
            .strip_prefix(MAGIC)
            .ok_or_else(|| not("no ARBT magic"))?;
        let (version, body) = rest
            .split_at_checked(4)
            .ok_or_else(|| not("truncated header"))?;
        if version != FILE_VERSION.to_le_bytes() {
            return Err(not("unknown file version"));
        }
        let records =
            codec::from_bytes(body).map_err(|e| TranscriptError::NotATranscript(e.to_string()))?;
        Ok(Self { records })
    }

    /// Decodes and checks the structure: a header first, then steps 0, 1,
    /// 2, … in order, then exactly one weights record last, whose context
    /// is the step after the last.
    pub fn decode(&self) -> Result<Decoded, TranscriptError> {
        let mut header = None;
        let mut steps = Vec::new();
        let mut weights = None;
        for (index, bytes) in self.records.iter().enumerate() {
            let record = Record::decode(bytes)
                .map_err(|error| TranscriptError::BadRecord { index, error })?;
            let out_of_order = |problem: &str| TranscriptError::OutOfOrder {
                index,
                problem: problem.to_string(),
            };
            match record {
                Record::Header(h) if index == 0 => header = Some(h),
                Record::Header(_) => return Err(out_of_order("a second header")),
                _ if header.is_none() => {
                    return Err(out_of_order("the first record is not a header"));
                }
                _ if weights.is_some() => return Err(out_of_order("a record after the weights")),
                Record::Step(step) => {
                    if step.context.step as usize != steps.len() {
                        return Err(out_of_order(&format!(
                            "step {} where step {} belongs (removed, duplicated or reordered)",
                            step.context.step,
                            steps.len()
                        )));
                    }
                    steps.push(*step);
                }
                Record::Weights(w) => weights = Some(*w),
            }
        }
        let header = header.ok_or_else(|| TranscriptError::NotATranscript("no records".into()))?;
        if header.format != FORMAT {
            return Err(TranscriptError::NotATranscript(format!(
                "format {:?}, expected {FORMAT:?}",
                header.format
            )));
        }
        let weights = weights.ok_or_else(|| TranscriptError::OutOfOrder {
            index: self.records.len(),
            problem: "no weights record: the transcript is truncated".into(),
        })?;
        if weights.context.step as usize != steps.len() {
            return Err(TranscriptError::OutOfOrder {
                index: self.records.len() - 1,
                problem: format!(
                    "the weights record is at step {} but {} steps precede it (a step was removed or added)",
                    weights.context.step,
                    steps.len()
                ),
            });
        }
        Ok(Decoded {
            header,
            steps,
            weights,
        })
    }

    /// Writes the transcript under `dir` as `<root hex>.arbt` (atomically);
    /// its path.
    pub fn store(&self, dir: &Path) -> Result<PathBuf, TranscriptError> {
        let io = |e: std::io::Error| TranscriptError::Io(format!("cannot store a transcript: {e}"));
        std::fs::create_dir_all(dir).map_err(io)?;
        let path = dir.join(format!("{}.arbt", hex::encode(self.root())));
        let mut file = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        std::io::Write::write_all(&mut file, &self.to_file_bytes()?).map_err(io)?;
        file.as_file().sync_all().map_err(io)?;
        file.persist(&path).map_err(|e| io(e.error))?;
        Ok(path)
    }

    /// Reads a transcript file.
    pub fn load(path: &Path) -> Result<Self, TranscriptError> {
        let bytes = std::fs::read(path)
            .map_err(|e| TranscriptError::Io(format!("cannot read {}: {e}", path.display())))?;
        Self::from_file_bytes(&bytes)
    }
}

/// A transcript's records, decoded and in their places.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The header.
    pub header: Header,
    /// The steps, in order.
    pub steps: Vec<StepRecord>,
    /// The weights record.
    pub weights: WeightsRecord,
}

/// The outcome recorded for `score` when `challenge` failed, so `score`
/// never ran.
pub fn not_run() -> OutcomeRecord {
    OutcomeRecord {
        failure: r#"{"kind":"not-run"}"#.to_string(),
        fuel_used: None,
    }
}

/// The on-chain commitment of an epoch: `"arb1"` ‖ mechanism hash (32) ‖
/// transcript root (32) ‖ epoch (u64 LE): 76 bytes, within `Raw`'s 128.
pub fn commitment(mechanism: &[u8; 32], root: &[u8; 32], epoch: u64) -> Vec<u8> {
    let mut data = Vec::with_capacity(76);
    data.extend_from_slice(b"arb1");
    data.extend_from_slice(mechanism);
    data.extend_from_slice(root);
    data.extend_from_slice(&epoch.to_le_bytes());
    data
}

/// The parts of a commitment made by [`commitment`].
pub fn parse_commitment(data: &[u8]) -> Option<([u8; 32], [u8; 32], u64)> {
    let rest = data.strip_prefix(b"arb1")?;
    if rest.len() != 72 {
        return None;
    }
    let mechanism = rest[..32].try_into().ok()?;
    let root = rest[32..64].try_into().ok()?;
    let epoch = u64::from_le_bytes(rest[64..72].try_into().ok()?);
    Some((mechanism, root, epoch))
}
