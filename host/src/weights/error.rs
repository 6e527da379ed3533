//! Why a weight vector was refused, with the numbers that decided it.
//!
//! One variant per rule. The SDK's own wording is kept where it is clear, and
//! every message names the rule and the values involved so that a validator
//! operator can act on it; messages contain no addresses or timing, so they are
//! deterministic.

/// A weight vector that the SDK conversion or the chain's checks refuse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConformError {
    /// `uids` and `weights` differ in length (SDK `normalize`).
    #[error("uids and weights must be equal length: {uids} vs {weights}")]
    LengthMismatch {
        /// Number of uids given.
        uids: usize,
        /// Number of weights given.
        weights: usize,
    },

    /// A weight is NaN, infinite or negative (SDK `normalize`); the first such
    /// weight is reported.
    #[error("weights must be finite and non-negative: weight {weight} at index {index}")]
    InvalidWeight {
        /// Position of the weight in the input.
        index: usize,
        /// The offending weight.
        weight: f64,
    },

    /// A uid is outside `0..=65535` (SDK `normalize`); the first such uid is reported.
    #[error("uids must be in 0..=65535: uid {uid} at index {index}")]
    UidOutOfRange {
        /// Position of the uid in the input.
        index: usize,
        /// The offending uid.
        uid: i64,
    },

    /// A uid appears twice (SDK `SetWeights`, before conforming; the chain
    /// refuses it too, as `DuplicateUids`).
    #[error("each uid may appear once: uid {uid} at indices {first} and {second}")]
    DuplicateUid {
        /// The repeated uid.
        uid: i64,
        /// Position of its first occurrence.
        first: usize,
        /// Position of its second occurrence.
        second: usize,
    },

    /// The weights do not sum to a positive total, so there is nothing to clip
    /// (SDK `clip_to_max_weight`: "All weights are zero; nothing to set.").
    #[error(
        "nothing to set: the {len} weights sum to {total}; the max-weight clip needs a positive total"
    )]
    NonPositiveTotal {
        /// Number of weights.
        len: usize,
        /// Their sum, as Python's `sum()` computes it.
        total: f64,
    },

    /// A division by zero inside the max-weight clip. Python raises
    /// `ZeroDivisionError` there; it is reachable only with negative weights.
    #[error("max-weight clip divided by zero in {step} (only negative weights can cause this)")]
    ClipDivisionByZero {
        /// Which division: the cutoff search, the cutoff scale, or the final renormalisation.
        step: &'static str,
    },

    /// Every weight is zero, so the quantised vector is empty (SDK `_conform`).
    #[error("nothing to set: all {len} weights are zero")]
    AllZero {
        /// Number of weights given.
        len: usize,
    },

    /// Fewer nonzero values than the subnet's `MinAllowedWeights` survive
    /// quantisation (SDK `_conform`).
    #[error(
        "min_allowed_weights requires at least {required} nonzero weights; only {nonzero} remain after quantisation to u16"
    )]
    TooFewWeights {
        /// The subnet's `MinAllowedWeights`.
        required: u16,
        /// Nonzero values after quantisation.
        nonzero: usize,
    },

    /// The largest value exceeds `MaxWeightsLimit / 65535` of the sum, as the
    /// chain computes it in `I32F32` (`check_vec_max_limited`; the chain error
    /// is `MaxWeightExceeded`).
    #[error(
        "max weight exceeded: largest value {max_value} of sum {sum} is above max_weight_limit {max_weight_limit}/65535 (I32F32)"
    )]
    MaxWeightExceeded {
        /// The largest value.
        max_value: u16,
        /// Sum of all values.
        sum: u64,
        /// The subnet's `MaxWeightsLimit`.
        max_weight_limit: u16,
    },

    /// The values sum beyond `I32F32`'s range, where upstream's normalisation
    /// would overflow. Unreachable on chain, where a submission has at most one
    /// value per neuron and far fewer than 32769 neurons.
    #[error(
        "the {len} values sum to {sum}, beyond I32F32's largest integer 2147483647; the max-weight check cannot be computed"
    )]
    WeightSumOverflow {
        /// Number of values.
        len: usize,
        /// Their exact sum.
        sum: u64,
    },
}
