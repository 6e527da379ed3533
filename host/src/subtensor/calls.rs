//! The calls a validator makes on Subtensor, checked and encoded as call
//! data for a given runtime.
//!
//! Arguments are matched to the runtime's types by name through subxt's
//! dynamic API, so `netuid` encodes the same whether the runtime declares
//! it `u16` (spec 218) or the `NetUid(u16)` newtype (spec 4xx). Rules the
//! chain would enforce on the arguments alone are checked first and
//! refused with the same [`Rule`] the devnet uses, so nothing doomed is
//! signed or sent.

use subxt::dynamic::{Value, tx};
use subxt::ext::scale_value::Composite;
use subxt::transactions::DynamicPayload;

use super::{EncodeError, RuntimeMetadata};
use crate::chain::{MAX_COMMITMENT_BYTES, Rule};

/// What `Commitments.set_commitment` stores (one `Data` field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitmentData {
    /// Raw bytes, at most [`MAX_COMMITMENT_BYTES`] (`Raw0` to `Raw128`: the
    /// variant index carries the length).
    Raw(Vec<u8>),
    /// A SHA-256 digest.
    Sha256([u8; 32]),
}

/// One call of the subtensor and commitments pallets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubtensorCall {
    /// `SubtensorModule.set_weights(netuid, dests, weights, version_key)`.
    SetWeights {
        /// The subnet.
        netuid: u16,
        /// The uids rated.
        uids: Vec<u16>,
        /// Their u16 weights, in the order of `uids`.
        values: Vec<u16>,
        /// The subnet's weights version key.
        version_key: u64,
    },
    /// `SubtensorModule.set_mechanism_weights(netuid, mecid, dests, weights,
    /// version_key)`: weights for one mechanism of a subnet.
    SetMechanismWeights {
        /// The subnet.
        netuid: u16,
        /// The mechanism within it.
        mechid: u8,
        /// The uids rated.
        uids: Vec<u16>,
        /// Their u16 weights.
        values: Vec<u16>,
        /// The subnet's weights version key.
        version_key: u64,
    },
    /// `SubtensorModule.commit_weights(netuid, commit_hash)`.
    CommitWeights {
        /// The subnet.
        netuid: u16,
        /// The commit hash (`chain::commit_hash`).
        hash: [u8; 32],
    },
    /// `SubtensorModule.commit_timelocked_weights(netuid, commit,
    /// reveal_round, commit_reveal_version)`: CRv4, weights encrypted to a
    /// drand round ([`super::timelock`]), which the chain decrypts itself.
    CommitTimelockedWeights {
        /// The subnet.
        netuid: u16,
        /// The ciphertext ([`super::timelock::encrypt_commit`]).
        commit: Vec<u8>,
        /// The drand round it is encrypted to.
        reveal_round: u64,
        /// The commit-reveal version (4).
        commit_reveal_version: u16,
    },
    /// `SubtensorModule.commit_timelocked_mechanism_weights(netuid, mecid,
    /// commit, reveal_round, commit_reveal_version)`: CRv4 for one mechanism.
    CommitTimelockedMechanismWeights {
        /// The subnet.
        netuid: u16,
        /// The mechanism within it.
        mechid: u8,
        /// The ciphertext.
        commit: Vec<u8>,
        /// The drand round it is encrypted to.
        reveal_round: u64,
        /// The commit-reveal version (4).
        commit_reveal_version: u16,
    },
    /// `SubtensorModule.reveal_weights(netuid, uids, values, salt,
    /// version_key)`.
    RevealWeights {
        /// The subnet.
        netuid: u16,
        /// The uids committed.
        uids: Vec<u16>,
        /// Their u16 weights.
        values: Vec<u16>,
        /// The salt the commit hash was made with.
        salt: Vec<u16>,
        /// The version key the commit hash was made with.
        version_key: u64,
    },
    /// `Commitments.set_commitment(netuid, info)` with one field.
    SetCommitment {
        /// The subnet.
        netuid: u16,
        /// What to store.
        data: CommitmentData,
    },
}

impl SubtensorCall {
    /// `Pallet.call`, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Self::SetWeights { .. } => "SubtensorModule.set_weights",
            Self::SetMechanismWeights { .. } => "SubtensorModule.set_mechanism_weights",
            Self::CommitWeights { .. } => "SubtensorModule.commit_weights",
            Self::RevealWeights { .. } => "SubtensorModule.reveal_weights",
            Self::CommitTimelockedWeights { .. } => "SubtensorModule.commit_timelocked_weights",
            Self::CommitTimelockedMechanismWeights { .. } => {
                "SubtensorModule.commit_timelocked_mechanism_weights"
            }
            Self::SetCommitment { .. } => "Commitments.set_commitment",
        }
    }

    /// Refuses arguments the chain would refuse whatever its state.
    pub fn check(&self) -> Result<(), Rule> {
        match self {
            Self::SetWeights { uids, values, .. }
            | Self::SetMechanismWeights { uids, values, .. }
            | Self::RevealWeights { uids, values, .. } => check_lengths(uids, values),
            Self::SetCommitment {
                data: CommitmentData::Raw(raw),
                ..
            } if raw.len() > MAX_COMMITMENT_BYTES => {
                Err(Rule::CommitmentTooLarge { len: raw.len() })
            }
            Self::CommitWeights { .. }
            | Self::CommitTimelockedWeights { .. }
            | Self::CommitTimelockedMechanismWeights { .. }
            | Self::SetCommitment { .. } => Ok(()),
        }
    }

    /// The call as a subxt dynamic payload, after [`Self::check`].
    pub fn payload(&self) -> Result<DynamicPayload<Composite<()>>, EncodeError> {
        self.check().map_err(EncodeError::Refused)?;
        let (pallet, call) = self.name().split_once('.').unwrap_or_default();
        let fields = match self {
            Self::SetWeights {
                netuid,
                uids,
                values,
                version_key,
            } => vec![
                ("netuid", Value::u128((*netuid).into())),
                ("dests", u16s(uids)),
                ("weights", u16s(values)),
                ("version_key", Value::u128((*version_key).into())),
            ],
            Self::SetMechanismWeights {
                netuid,
                mechid,
                uids,
                values,
                version_key,
            } => vec![
                ("netuid", Value::u128((*netuid).into())),
                ("mecid", Value::u128((*mechid).into())),
                ("dests", u16s(uids)),
                ("weights", u16s(values)),
                ("version_key", Value::u128((*version_key).into())),
            ],
            Self::CommitWeights { netuid, hash } => vec![
                ("netuid", Value::u128((*netuid).into())),
                ("commit_hash", Value::from_bytes(hash)),
            ],
            Self::CommitTimelockedWeights {
                netuid,
                commit,
                reveal_round,
                commit_reveal_version,
            } => vec![
                ("netuid", Value::u128((*netuid).into())),
                ("commit", Value::from_bytes(commit)),
                ("reveal_round", Value::u128((*reveal_round).into())),
                (
                    "commit_reveal_version",
                    Value::u128((*commit_reveal_version).into()),
                ),
            ],
            Self::CommitTimelockedMechanismWeights {
                netuid,
                mechid,
                commit,
                reveal_round,
                commit_reveal_version,
            } => vec![
                ("netuid", Value::u128((*netuid).into())),
                ("mecid", Value::u128((*mechid).into())),
                ("commit", Value::from_bytes(commit)),
                ("reveal_round", Value::u128((*reveal_round).into())),
                (
                    "commit_reveal_version",
                    Value::u128((*commit_reveal_version).into()),
                ),
            ],
            Self::RevealWeights {
                netuid,
                uids,
                values,
                salt,
                version_key,
            } => vec![
                ("netuid", Value::u128((*netuid).into())),
                ("uids", u16s(uids)),
                ("values", u16s(values)),
                ("salt", u16s(salt)),
                ("version_key", Value::u128((*version_key).into())),
            ],
            Self::SetCommitment { netuid, data } => vec![
                ("netuid", Value::u128((*netuid).into())),
                (
                    "info",
                    Value::named_composite([(
                        "fields",
                        Value::unnamed_composite([data_value(data)]),
                    )]),
                ),
            ],
        };
        Ok(tx(pallet, call, Composite::named(fields)))
    }

    /// The SCALE call data (`pallet index ‖ call index ‖ arguments`) for
    /// the runtime `metadata` describes.
    pub fn encode(&self, metadata: &RuntimeMetadata) -> Result<Vec<u8>, EncodeError> {
        let payload = self.payload()?;
        subxt::ext::frame_decode::extrinsics::encode_call_data(
            payload.pallet_name(),
            payload.call_name(),
            payload.call_data(),
            metadata.subxt(),
            metadata.subxt().types(),
        )
        .map_err(|e| EncodeError::Call {
            call: self.name().to_string(),
            reason: e.to_string(),
        })
    }
}

/// The chain's `WeightVecNotEqualSize`: one value per uid.
pub fn check_lengths(uids: &[u16], values: &[u16]) -> Result<(), Rule> {
    if uids.len() == values.len() {
        Ok(())
    } else {
        Err(Rule::WeightVecNotEqualSize {
            uids: uids.len(),
            values: values.len(),
        })
    }
}

/// A `Vec<u16>` argument.
fn u16s(values: &[u16]) -> Value {
    Value::unnamed_composite(values.iter().map(|v| Value::u128((*v).into())))
}

/// A commitment field as the runtime's `Data` enum.
fn data_value(data: &CommitmentData) -> Value {
    match data {
        CommitmentData::Raw(raw) => {
            Value::unnamed_variant(format!("Raw{}", raw.len()), [Value::from_bytes(raw)])
        }
        CommitmentData::Sha256(digest) => {
            Value::unnamed_variant("Sha256", [Value::from_bytes(digest)])
        }
    }
}
