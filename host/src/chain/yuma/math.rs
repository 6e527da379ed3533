//! Vector helpers of the Yuma epoch, reproducing upstream
//! `pallets/subtensor/src/epoch/math.rs` (opentensor/subtensor @ 14bc6f9f) bit for bit:
//! normalisation, masks, top-k permits, the stake-weighted median, and the two bonds EMA
//! coefficients (constant and liquid alpha).
//!
//! Why a faithful copy rather than "the same maths": the epoch's outputs are consensus
//! values, so they must equal the chain's to the last bit. That depends on the rounding
//! of every step (see [`super::fixed`]) and on upstream's edge cases (a zero sum leaves a
//! vector unnormalised, a missing mask entry masks, ties in top-k drop the lower uid).
//! Each helper names the upstream function it mirrors. Sums use `saturating_add`;
//! upstream's `Sum` is identical for every value the epoch can produce (proportions
//! summed over at most 65 535 uids).

use substrate_fixed::types::{I32F32, I64F64};

use super::fixed::{
    Divisor, ONE, ZERO, checked_mul, exp_safe, safe_div, saturating_mul, u16_proportion_to_fixed,
};

/// 0.5 as I32F32.
const HALF: I32F32 = I32F32::from_bits(1 << 31);

/// Sum of a vector (upstream `sum` / `iter().sum()`).
pub fn sum(x: &[I32F32]) -> I32F32 {
    x.iter().fold(ZERO, |acc, v| acc.saturating_add(*v))
}

/// The constant bonds EMA coefficient `α = 1 − I32F32(I64F64(bma) / 1e6)` (upstream
/// `compute_disabled_liquid_alpha` and `compute_ema_bonds_normal_sparse`, which agree).
pub fn bonds_moving_average_alpha(bonds_moving_average: u64) -> I32F32 {
    let scaled = I64F64::saturating_from_num(bonds_moving_average)
        .checked_div(I64F64::saturating_from_num(1_000_000_u32))
        .unwrap_or_default();
    ONE.saturating_sub(I32F32::saturating_from_num(scaled))
}

/// Liquid-alpha bounds and steepness, converted once per epoch.
#[derive(Debug, Clone, Copy)]
pub struct LiquidAlphaParams {
    /// `alpha_low / 65535`.
    pub low: I32F32,
    /// `alpha_high / 65535`.
    pub high: I32F32,
    /// `I32F32(alpha_sigmoid_steepness)`.
    pub steepness: I32F32,
    /// The alpha of a cell whose difference `d` is 0 (a weight at or below consensus and
    /// at or above its bond, a frequent case), computed once: each alpha costs an `exp`.
    alpha_at_zero_diff: I32F32,
}

impl LiquidAlphaParams {
    /// Converts the stored `AlphaValues` and `AlphaSigmoidSteepness` (upstream
    /// `get_alpha_values_32`, `get_alpha_sigmoid_steepness`).
    pub fn new(alpha_low: u16, alpha_high: u16, steepness: i16) -> Self {
        let mut params = Self {
            low: u16_proportion_to_fixed(alpha_low),
            high: u16_proportion_to_fixed(alpha_high),
            steepness: I32F32::saturating_from_num(steepness),
            alpha_at_zero_diff: ZERO,
        };
        params.alpha_at_zero_diff = params.alpha_for_diff(ZERO);
        params
    }

    /// Per-entry EMA coefficient (upstream `alpha_sigmoid`) for consensus `c`, weight `w`
    /// and bond `b`: `d = clamp(w − c, 0, 1)` if `w ≥ b`, else `clamp(b − w, 0, 1)`.
    pub fn alpha(&self, consensus: I32F32, weight: I32F32, bond: I32F32) -> I32F32 {
        let diff = if weight >= bond {
            clamp(weight.saturating_sub(consensus), ZERO, ONE)
        } else {
            clamp(bond.saturating_sub(weight), ZERO, ONE)
        };
        if diff == ZERO {
            self.alpha_at_zero_diff
        } else {
            self.alpha_for_diff(diff)
        }
    }

    /// `α = clamp(low + σ·(high − low), low, high)` with
    /// `σ = 1 / (1 + exp_safe((steepness / −100)·(d − 0.5)))`. Upstream's two
    /// `saturating_div`s can neither overflow nor divide by zero here, so the panic-free
    /// [`safe_div`] gives the same bits.
    fn alpha_for_diff(&self, diff: I32F32) -> I32F32 {
        let exponent = saturating_mul(
            safe_div(self.steepness, I32F32::saturating_from_num(-100)),
            diff.saturating_sub(HALF),
        );
        let sigmoid = safe_div(ONE, ONE.saturating_add(exp_safe(exponent)));
        let alpha = self
            .low
            .saturating_add(saturating_mul(sigmoid, self.high.saturating_sub(self.low)));
        clamp(alpha, self.low, self.high)
    }
}

/// `value.min(high).max(low)`, in that order (upstream `clamp_value`).
fn clamp(value: I32F32, low: I32F32, high: I32F32) -> I32F32 {
    value.min(high).max(low)
}

/// Divides every entry by `x_sum`, unless it is 0 (upstream `inplace_normalize_using_sum`).
pub fn inplace_normalize_using_sum(x: &mut [I32F32], x_sum: I32F32) {
    if x_sum == ZERO {
        return;
    }
    let divisor = Divisor::new(x_sum);
    x.iter_mut().for_each(|v| *v = divisor.divide(*v));
}

/// Normalises to sum 1 unless the sum is 0 (upstream `inplace_normalize`).
pub fn inplace_normalize(x: &mut [I32F32]) {
    let x_sum = sum(x);
    inplace_normalize_using_sum(x, x_sum);
}

/// [`inplace_normalize`] in I64F64 (upstream `inplace_normalize_64`), used for stake.
pub fn inplace_normalize_64(x: &mut [I64F64]) {
    let x_sum = x
        .iter()
        .fold(I64F64::from_bits(0), |acc, v| acc.saturating_add(*v));
    if x_sum == I64F64::from_bits(0) {
        return;
    }
    x.iter_mut()
        .for_each(|v| *v = v.checked_div(x_sum).unwrap_or_default());
}

/// Zeroes the entries whose mask is true; an entry past the end of a non-empty mask
/// counts as masked, and an empty mask masks nothing (upstream `inplace_mask_vector`).
pub fn inplace_mask_vector(mask: &[bool], vector: &mut [I32F32]) {
    if mask.is_empty() {
        return;
    }
    for (i, v) in vector.iter_mut().enumerate() {
        if mask.get(i).copied().unwrap_or(true) {
            *v = ZERO;
        }
    }
}

/// True for the `k` largest non-zero entries (upstream `is_topk_nonzero`): every non-zero
/// entry if `n < k`; otherwise the `n − k` smallest by a stable ascending sort lose, so
/// among equal values the lower index loses.
pub fn is_topk_nonzero(vector: &[I32F32], k: usize) -> Vec<bool> {
    let mut result: Vec<bool> = vector.iter().map(|v| *v != ZERO).collect();
    if vector.len() < k {
        return result;
    }
    let mut idxs: Vec<usize> = (0..vector.len()).collect();
    idxs.sort_by_key(|&i| vector.get(i).copied().unwrap_or(ZERO));
    for &i in idxs.iter().take(vector.len().saturating_sub(k)) {
        if let Some(cell) = result.get_mut(i) {
            *cell = false;
        }
    }
    result
}

/// Element-wise product, 0 where it overflows, truncated to the shorter input
/// (upstream `vec_mul`).
pub fn vec_mul(a: &[I32F32], b: &[I32F32]) -> Vec<I32F32> {
    a.iter()
        .zip(b)
        .map(|(x, y)| checked_mul(*x, *y).unwrap_or(ZERO))
        .collect()
}

/// Stake-weighted median of `(score, stake)` votes (upstream `weighted_median`, called
/// with all indices, `partition_lo = 0` and `partition_hi = stake_sum`). The votes are
/// reordered in place.
///
/// A mid-pivot quickselect on the stake integral: it returns the pivot once the stake
/// strictly below it is at most `minority` and the stake strictly above it is less than
/// `stake_sum − minority`. Partitions keep their original relative order (the kept side
/// is compacted in place, as upstream's `lower`/`upper` vectors are filled in order), and
/// the search gives up with 0 after `len + 1` partition steps (a bound it never reaches).
/// The inner loop compares and adds the raw bits, which is what I32F32's comparisons and
/// saturating additions do, without their generic dispatch.
pub fn weighted_median(
    votes: &mut [(I32F32, I32F32)],
    minority: I32F32,
    stake_sum: I32F32,
) -> I32F32 {
    let minority = minority.to_bits();
    let mut len = votes.len();
    let (mut lo, mut hi) = (0_i64, stake_sum.to_bits());
    for _ in 0..=votes.len() {
        let Some(partition) = votes.get_mut(..len) else {
            return ZERO;
        };
        let pivot = match partition {
            [] => return ZERO,
            [(only, _)] => return *only,
            _ => partition.get(len / 2).map_or(0, |v| v.0.to_bits()),
        };
        // Branch-free: adding 0 leaves a saturating sum unchanged.
        let (mut lo_stake, mut hi_stake) = (0_i64, 0_i64);
        let (mut any_lower, mut any_upper) = (false, false);
        for &(score, stake) in partition.iter() {
            let (score, stake) = (score.to_bits(), stake.to_bits());
            let (below, above) = (score < pivot, score > pivot);
            lo_stake = lo_stake.saturating_add(if below { stake } else { 0 });
            hi_stake = hi_stake.saturating_add(if above { stake } else { 0 });
            any_lower |= below;
            any_upper |= above;
        }
        if minority < lo.saturating_add(lo_stake) && any_lower {
            hi = lo.saturating_add(lo_stake);
            len = compact(partition, |score| score < pivot);
        } else if hi.saturating_sub(hi_stake) <= minority && any_upper {
            lo = hi.saturating_sub(hi_stake);
            len = compact(partition, |score| score > pivot);
        } else {
            return I32F32::from_bits(pivot);
        }
    }
    ZERO
}

/// Moves the votes whose score bits satisfy `keep` to the front, in order; returns how
/// many. Branch-free: each vote is written to the next free slot (never past its own),
/// which only advances when the vote is kept.
fn compact(votes: &mut [(I32F32, I32F32)], keep: impl Fn(i64) -> bool) -> usize {
    let mut kept = 0;
    for read in 0..votes.len() {
        if let Some(&vote) = votes.get(read) {
            if let Some(slot) = votes.get_mut(kept) {
                *slot = vote;
            }
            kept += usize::from(keep(vote.0.to_bits()));
        }
    }
    kept
}
