//! The epoch's inputs and outputs as plain data: everything `epoch_mechanism` reads from
//! chain storage for one subnet mechanism, and everything it hands back to be persisted.
//!
//! Keeping them storage-shaped (u16 proportions, u64 rao and blocks, sparse rows in
//! storage order) makes the port a pure function that a caller can feed from a chain
//! snapshot, a simulator or a test vector alike. Hotkeys are resolved to uids by the
//! caller, so nothing here depends on account types.

use serde::{Deserialize, Serialize};

/// Pending weight commits, already mapped from hotkeys to uids (SPEC §4.6 step 4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commits {
    /// `WeightCommits` (commit v2): per uid (index = uid), its queue as
    /// `(commit_epoch, commit_block)` in queue order. Missing or empty = no commits.
    pub v2: Vec<Vec<(u64, u64)>>,
    /// `TimelockedWeightCommits`: per commit epoch, its `(uid, commit_block)` entries.
    pub timelocked: Vec<(u64, Vec<(u16, u64)>)>,
}

/// Everything one run of the epoch reads (SPEC §4.1). Per-uid vectors are indexed by uid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochInputs {
    /// `SubnetworkN`: the number of uids; every output has this length.
    pub n: u16,
    /// The block the epoch runs in.
    pub current_block: u64,
    /// `Tempo` in blocks; used for `last_tempo` while `last_mechanism_step_block` is 0.
    pub tempo: u16,
    /// Blocks after its last update that a uid still counts as active:
    /// `max(1, ActivityCutoffFactorMilli · tempo / 1000)` at HEAD.
    pub activity_cutoff_blocks: u64,
    /// `LastUpdate` per uid (weights set or committed); missing entries count as 0.
    pub last_update: Vec<u64>,
    /// Block at which each uid was last registered (0 for a uid without a key).
    pub block_at_registration: Vec<u64>,
    /// Total stake weight per uid in rao (alpha stake plus `tao_weight` · root stake).
    pub stake: Vec<u64>,
    /// `StakeThreshold` in rao: smaller stakes count as 0, except the owner's.
    pub stake_threshold: u64,
    /// `ValidatorPermit` as stored by the previous epoch. It may be shorter than n (a
    /// missing entry means no permit) or empty (then it masks no stake, but every row).
    pub validator_permit_prev: Vec<bool>,
    /// `MaxAllowedValidators`: k of the top-k stake permit selection.
    pub max_allowed_validators: u16,
    /// `Weights` rows per uid as stored: `(uid, weight)` in the order given to
    /// `set_weights` (not sorted), explicit zeros kept.
    pub weights: Vec<Vec<(u16, u16)>>,
    /// `Bonds` rows per uid as the previous epoch stored them.
    pub bonds_prev: Vec<Vec<(u16, u16)>>,
    /// `Kappa` (/65535): the stake majority of consensus.
    pub kappa: u16,
    /// `BondsPenalty` (/65535): how far bonds follow clipped rather than raw weights.
    pub bonds_penalty: u16,
    /// `BondsMovingAverage` (/1e6): the EMA keeps this share of the old bonds.
    pub bonds_moving_average: u64,
    /// `LiquidAlphaOn`: per-entry sigmoid EMA coefficient (Yuma3 path only).
    pub liquid_alpha_enabled: bool,
    /// `AlphaValues.0` (/65535): lower bound of liquid alpha.
    pub alpha_low: u16,
    /// `AlphaValues.1` (/65535): upper bound of liquid alpha.
    pub alpha_high: u16,
    /// `AlphaSigmoidSteepness` of liquid alpha.
    pub alpha_sigmoid_steepness: i16,
    /// `Yuma3On`: Yuma3 bonds (stored as absolute proportions) instead of Yuma2.
    pub yuma3_enabled: bool,
    /// `CommitRevealWeightsEnabled`: applies the commit-reveal column mask.
    pub commit_reveal_enabled: bool,
    /// `RevealPeriodEpochs`: a commit expires once the current epoch exceeds
    /// `commit_epoch + reveal_period`.
    pub reveal_period: u64,
    /// The current epoch index including the lookahead, compared with commit epochs.
    pub current_epoch_index_with_lookahead: u64,
    /// Pending weight commits (used only with commit-reveal on).
    pub commits: Commits,
    /// `LastMechansimStepBlock`: block of the previous epoch (0 before the first).
    pub last_mechanism_step_block: u64,
    /// The uid of `SubnetOwnerHotkey`, if registered: keeps its self-weight, is always
    /// permitted and is exempt from the stake threshold.
    pub owner_uid: Option<u16>,
    /// Emission to distribute this epoch, in rao.
    pub rao_emission: u64,
}

/// Everything the epoch returns, per uid, as `persist_mechanism_epoch_terms` and
/// `persist_netuid_epoch_terms` store it (SPEC §4.13). u16 values are proportions ·65535.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochOutputs {
    /// `Incentive`: the normalised stake-weighted clipped weight each uid received.
    pub incentive: Vec<u16>,
    /// `Dividends`: each validator's normalised share of bonds × incentive.
    pub dividends: Vec<u16>,
    /// `Consensus`: the κ-majority stake-weighted median weight per uid.
    pub consensus: Vec<u16>,
    /// `ValidatorTrust`: the sum of each validator's consensus-clipped weights.
    pub validator_trust: Vec<u16>,
    /// `StakeWeight`: the normalised, threshold-filtered stake.
    pub stake_weight: Vec<u16>,
    /// `Active`: updated within the activity cutoff.
    pub active: Vec<bool>,
    /// `ValidatorPermit` for the next epoch: top-k non-zero stake, owner forced.
    pub new_validator_permit: Vec<bool>,
    /// Miner emission (incentive share) in rao.
    pub server_emission: Vec<u64>,
    /// Validator emission (dividend share) in rao.
    pub validator_emission: Vec<u64>,
    /// `Emission`: combined emission in rao.
    pub emission: Vec<u64>,
    /// `Bonds` rows as persisted: the new EMA row for a uid with a new permit, else empty.
    pub bonds: Vec<Vec<(u16, u16)>>,
}
