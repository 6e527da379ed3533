//! Plain data carried in and out of the weight conversion: the float input, the
//! subnet's rules, and the `u16` result (the JSON shapes of `arbiter weights quantize`).

use serde::{Deserialize, Serialize};

/// Float weights as a validator computes them: `{"uids": [...], "weights": [...]}`.
///
/// Uids are `i64` rather than `u16` so that out-of-range input (negative, or
/// 65536 and above) reaches [`conform`](super::conform) and is rejected with the
/// SDK's rule instead of failing to parse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloatWeights {
    /// Destination uids, parallel to `weights`.
    pub uids: Vec<i64>,
    /// Relative weights; only their ratios matter.
    pub weights: Vec<f64>,
}

/// The `u16` vector submitted on chain: `{"uids": [...], "values": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct U16Weights {
    /// Destination uids, in input order.
    pub uids: Vec<u16>,
    /// Quantised weights, parallel to `uids`.
    pub values: Vec<u16>,
}

/// The subnet state the SDK reads before conforming weights (its `_Preflight`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConformRules {
    /// The submitting validator's own uid, if it is registered. A submission
    /// that is exactly `[self_uid]` is a self-weight and is exempt from both the
    /// max-weight clip and the minimum-count check. `None` disables the exemption.
    pub self_uid: Option<u16>,
    /// The subnet's `MinAllowedWeights`: the fewest nonzero values a
    /// submission may carry after quantisation.
    pub min_allowed_weights: u16,
    /// The subnet's `MaxWeightsLimit`, as a fraction of 65535 of the weight sum;
    /// 65535 means no limit.
    pub max_weight_limit: u16,
}

impl Default for ConformRules {
    /// No constraints: no self uid, no minimum count, no max-weight limit (65535).
    fn default() -> Self {
        Self {
            self_uid: None,
            min_allowed_weights: 0,
            max_weight_limit: u16::MAX,
        }
    }
}
