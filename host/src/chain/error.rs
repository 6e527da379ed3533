//! Why the chain refused something, typed, with the upstream rule's name.
//!
//! Each variant of [`ChainError::Rule`] is one of Subtensor's dispatch
//! errors (`yuma/SPEC.md` §5), so an operator can look it up and a backend
//! for the real chain maps its errors onto the same values. Rate limits say
//! in how many blocks to retry.

use serde::{Deserialize, Serialize};

/// A chain rule that refused a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "rule")]
#[non_exhaustive]
pub enum Rule {
    /// Weights cannot be set on the root network.
    #[error("CanNotSetRootNetworkWeights: weights cannot be set on the root network")]
    CanNotSetRootNetworkWeights,
    /// `uids` and `values` differ in length.
    #[error("WeightVecNotEqualSize: {uids} uids but {values} values")]
    WeightVecNotEqualSize {
        /// Number of uids.
        uids: usize,
        /// Number of values.
        values: usize,
    },
    /// The subnet or mechanism does not exist.
    #[error("MechanismDoesNotExist: subnet {netuid} mechanism {mechid} does not exist")]
    MechanismDoesNotExist {
        /// The subnet.
        netuid: u16,
        /// The mechanism.
        mechid: u8,
    },
    /// More uids than the subnet has.
    #[error("UidsLengthExceedUidsInSubNet: {given} uids for a subnet of {subnet_n}")]
    UidsLengthExceedUidsInSubNet {
        /// Uids given.
        given: usize,
        /// Neurons in the subnet.
        subnet_n: u16,
    },
    /// The hotkey is not registered on the subnet.
    #[error("HotKeyNotRegisteredInSubNet: {hotkey} is not registered on subnet {netuid}")]
    HotKeyNotRegisteredInSubNet {
        /// The hotkey (SS58).
        hotkey: String,
        /// The subnet.
        netuid: u16,
    },
    /// Stake below the subnet's threshold.
    #[error("NotEnoughStakeToSetWeights: stake {stake} rao is below the threshold of {threshold}")]
    NotEnoughStakeToSetWeights {
        /// The hotkey's stake.
        stake: u64,
        /// The threshold.
        threshold: u64,
    },
    /// A version key below the subnet's.
    #[error("IncorrectWeightVersionKey: version key {given} is below the subnet's {required}")]
    IncorrectWeightVersionKey {
        /// The key given.
        given: u64,
        /// The subnet's key.
        required: u64,
    },
    /// Weights set again before the rate limit passed.
    #[error("SettingWeightsTooFast: retry in {retry_in_blocks} blocks")]
    SettingWeightsTooFast {
        /// Blocks until allowed.
        retry_in_blocks: u64,
    },
    /// No validator permit (and not a single self-weight or the owner).
    #[error("NeuronNoValidatorPermit: uid {uid} has no validator permit")]
    NeuronNoValidatorPermit {
        /// The uid.
        uid: u16,
    },
    /// A uid appears twice.
    #[error("DuplicateUids: uid {uid} appears more than once")]
    DuplicateUids {
        /// The repeated uid.
        uid: u16,
    },
    /// A uid that does not exist.
    #[error("UidVecContainInvalidOne: uid {uid} does not exist on the subnet")]
    UidVecContainInvalidOne {
        /// The invalid uid.
        uid: u16,
    },
    /// Fewer weights than the subnet requires.
    #[error("WeightVecLengthIsLow: {given} weights, at least {required} required")]
    WeightVecLengthIsLow {
        /// Weights given.
        given: usize,
        /// Required.
        required: usize,
    },
    /// One weight takes more than the subnet's limit.
    #[error("MaxWeightExceeded: a weight exceeds the limit of {limit}/65535")]
    MaxWeightExceeded {
        /// The limit, /65535.
        limit: u16,
    },
    /// Plain weights on a subnet that requires commit-reveal.
    #[error("CommitRevealEnabled: this subnet takes weights only by commit and reveal")]
    CommitRevealEnabled,
    /// A commit or reveal on a subnet without commit-reveal.
    #[error("CommitRevealDisabled: this subnet takes weights only by set_weights")]
    CommitRevealDisabled,
    /// Commits too close together.
    #[error("CommittingWeightsTooFast: retry in {retry_in_blocks} blocks")]
    CommittingWeightsTooFast {
        /// Blocks until allowed.
        retry_in_blocks: u64,
    },
    /// Ten commits are waiting to be revealed.
    #[error("TooManyUnrevealedCommits: reveal or let earlier commits expire first")]
    TooManyUnrevealedCommits,
    /// Nothing committed to reveal.
    #[error("NoWeightsCommitFound: no unexpired commit for this hotkey")]
    NoWeightsCommitFound,
    /// The reveal does not hash to any commit (wrong salt, uids, values or
    /// version key).
    #[error("InvalidRevealCommitHashNotMatch: the revealed weights do not match any commit")]
    InvalidRevealCommitHashNotMatch,
    /// The commit expired before the reveal.
    #[error("ExpiredWeightCommit: the commit expired before it was revealed")]
    ExpiredWeightCommit,
    /// The reveal epoch has not come yet.
    #[error("RevealTooEarly: retry in {retry_in_epochs} epochs")]
    RevealTooEarly {
        /// Epochs until the reveal epoch.
        retry_in_epochs: u64,
    },
    /// A commitment larger than `Raw` allows.
    #[error("CommitmentTooLarge: {len} bytes, at most 128")]
    CommitmentTooLarge {
        /// Its length.
        len: usize,
    },
    /// The hotkey is already registered on the subnet.
    #[error("HotKeyAlreadyRegisteredInSubNet: {hotkey} is already registered on subnet {netuid}")]
    HotKeyAlreadyRegisteredInSubNet {
        /// The hotkey (SS58).
        hotkey: String,
        /// The subnet.
        netuid: u16,
    },
    /// The subnet has `max_allowed_uids` neurons already.
    #[error("SubnetFull: subnet {netuid} has {max} neurons")]
    SubnetFull {
        /// The subnet.
        netuid: u16,
        /// Its size.
        max: u16,
    },
    /// A subnet with this netuid exists.
    #[error("SubnetExists: subnet {netuid} exists")]
    SubnetExists {
        /// The subnet.
        netuid: u16,
    },
}

impl Rule {
    /// Blocks to wait before the same call can succeed, when waiting helps.
    pub fn retry_in_blocks(&self) -> Option<u64> {
        match self {
            Rule::SettingWeightsTooFast { retry_in_blocks }
            | Rule::CommittingWeightsTooFast { retry_in_blocks } => Some(*retry_in_blocks),
            _ => None,
        }
    }
}

/// Why a chain call failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ChainError {
    /// A chain rule refused the call.
    #[error("refused by the chain: {0}")]
    Rule(Rule),
    /// The subnet does not exist.
    #[error("subnet {netuid} does not exist")]
    NoSuchSubnet {
        /// The subnet.
        netuid: u16,
    },
    /// The signature over a call did not verify, or its nonce was stale.
    #[error("bad signature or nonce: {reason}")]
    BadSignature {
        /// Which.
        reason: String,
    },
    /// The request was malformed.
    #[error("invalid request: {reason}")]
    InvalidRequest {
        /// What is wrong.
        reason: String,
    },
    /// The chain could not be reached, or answered nonsense.
    #[error("chain unreachable: {reason}")]
    Transport {
        /// What happened.
        reason: String,
    },
    /// The chain's storage failed.
    #[error("chain storage failed: {reason}")]
    Storage {
        /// What happened.
        reason: String,
    },
    /// Waiting for a block timed out.
    #[error("timed out waiting for the chain after {millis} ms")]
    Timeout {
        /// How long it waited.
        millis: u64,
    },
    /// A transaction was sent but its fate is unknown: the connection was
    /// lost or the wait timed out before it was included. It is not sent
    /// again; it may still land, and the account's nonce tells.
    #[error("transaction 0x{} sent, fate unknown: {reason}", hex::encode(tx_hash))]
    Unconfirmed {
        /// The transaction's hash.
        #[serde(with = "super::hex32")]
        tx_hash: [u8; 32],
        /// Why the wait ended.
        reason: String,
    },
    /// The chain refused a call with a dispatch error the host does not
    /// name as a [`Rule`].
    #[error("refused by the chain: {pallet}::{error}")]
    Dispatch {
        /// The pallet that refused.
        pallet: String,
        /// The error's name in that pallet.
        error: String,
    },
    /// The node runs a runtime the host cannot speak to: its metadata
    /// lacks a call or storage entry the host needs, or cannot be read.
    #[error("unsupported runtime (spec version {spec_version}): {reason}")]
    UnsupportedRuntime {
        /// The runtime's spec version.
        spec_version: u32,
        /// What is missing.
        reason: String,
    },
    /// The subnet takes weights by a commit-reveal version the host does
    /// not commit by (it commits by 2, hash commits, and 4, CRv4).
    #[error(
        "the chain requires commit-reveal version {version}; this host commits by versions 2 and 4"
    )]
    UnsupportedCommitReveal {
        /// The version the chain requires.
        version: u16,
    },
}

impl ChainError {
    /// Whether the chain could not be reached or did not answer in time:
    /// worth trying again later, unlike a refusal, which would only be
    /// refused again.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ChainError::Transport { .. } | ChainError::Timeout { .. }
        )
    }
}

impl From<Rule> for ChainError {
    fn from(rule: Rule) -> Self {
        ChainError::Rule(rule)
    }
}

/// Chain results.
pub type Result<T, E = ChainError> = std::result::Result<T, E>;
