//! The epoch itself: upstream `epoch_mechanism` (the sparse path the chain runs), in the
//! order of SPEC §4, followed by what `persist_*_epoch_terms` store.
//!
//! This module only sequences the steps; the arithmetic lives in [`super::fixed`],
//! [`super::math`] and [`super::sparse`], the integer masks in [`super::masks`] and the
//! bonds in [`super::bonds`]. [`run_epoch_traced`] also returns every fixed-point intermediate,
//! which is how a divergence from the reference vectors is located step by step; keeping
//! them costs a few clones of sparse matrices, nothing quadratic.

use substrate_fixed::types::{I32F32, I64F64, I96F32};

use super::bonds::{self, BondsInput, BondsTrace};
use super::fixed::{ZERO, fixed_proportion_to_u16, u16_proportion_to_fixed, u16_to_fixed};
use super::masks;
use super::math::{
    inplace_mask_vector, inplace_normalize, inplace_normalize_64, inplace_normalize_using_sum,
    is_topk_nonzero, sum,
};
use super::sparse::{
    SparseMatrix, col_clip_sparse, inplace_row_normalize_sparse, interpolate_sparse, matmul_sparse,
    row_sum_sparse, weighted_median_col_sparse,
};
use super::types::{EpochInputs, EpochOutputs};

/// Every intermediate of one epoch, named after the vectors' `fixed` block.
#[derive(Debug, Clone, Default)]
pub struct EpochTrace {
    /// `last_update + cutoff < current_block`.
    pub inactive: Vec<bool>,
    /// Stake after the threshold filter, before normalisation.
    pub filtered_stake: Vec<I64F64>,
    /// Normalised filtered stake (`StakeWeight` before conversion).
    pub stake: Vec<I32F32>,
    /// The previous permits the epoch used (owner forced).
    pub validator_permits_prev_effective: Vec<bool>,
    /// The new permits (owner forced).
    pub new_validator_permits: Vec<bool>,
    /// Active stake S.
    pub active_stake: Vec<I32F32>,
    /// Masked, row-normalised weights W.
    pub weights: SparseMatrix,
    /// Consensus c.
    pub consensus: Vec<I32F32>,
    /// Clipped weights C.
    pub clipped_weights: SparseMatrix,
    /// Validator trust.
    pub validator_trust: Vec<I32F32>,
    /// Incentive I.
    pub incentive: Vec<I32F32>,
    /// Weights for bonds Wb.
    pub weights_for_bonds: SparseMatrix,
    /// The bonds step's intermediates.
    pub bonds: BondsTrace,
    /// Normalised dividends D.
    pub dividends: Vec<I32F32>,
    /// Server emission as a share of the epoch's emission.
    pub normalized_server_emission: Vec<I32F32>,
    /// Validator emission as a share of the epoch's emission.
    pub normalized_validator_emission: Vec<I32F32>,
    /// Combined emission as a share of the epoch's emission.
    pub normalized_combined_emission: Vec<I32F32>,
}

/// Runs one epoch of Yuma Consensus (the chain's sparse path) and returns what it
/// persists.
pub fn run_epoch(inputs: &EpochInputs) -> EpochOutputs {
    run_epoch_traced(inputs).0
}

/// [`run_epoch`], also returning every fixed-point intermediate.
pub fn run_epoch_traced(inputs: &EpochInputs) -> (EpochOutputs, EpochTrace) {
    let n = usize::from(inputs.n);

    // §4.2 Activity.
    let inactive = masks::inactive_mask(inputs, n);

    // §4.3 Stake: threshold (owner exempt), normalised in I64F64, truncated to I32F32.
    let filtered_stake: Vec<I64F64> = (0..n)
        .map(|uid| {
            let s = I64F64::saturating_from_num(inputs.stake.get(uid).copied().unwrap_or(0));
            if masks::below_stake_threshold(inputs, uid, s.saturating_to_num::<u64>()) {
                I64F64::from_bits(0)
            } else {
                s
            }
        })
        .collect();
    let mut normalized_stake = filtered_stake.clone();
    inplace_normalize_64(&mut normalized_stake);
    let stake: Vec<I32F32> = normalized_stake
        .iter()
        .map(|s| I32F32::saturating_from_num(*s))
        .collect();

    // §4.4 Permits: the epoch uses the previous ones; the new ones are for next time.
    let permits = masks::effective_prev_permits(inputs);
    let mut new_permits = is_topk_nonzero(&stake, usize::from(inputs.max_allowed_validators));
    masks::force_owner_permit(inputs, &mut new_permits);

    // §4.5 Active stake.
    let mut active_stake = stake.clone();
    inplace_mask_vector(
        &masks::stake_excluded(&inactive, &permits),
        &mut active_stake,
    );
    inplace_normalize(&mut active_stake);

    // §4.6 Weights.
    let mut weights: SparseMatrix = masks::masked_weight_rows(inputs, n, u16_to_fixed);
    inplace_row_normalize_sparse(&mut weights);

    // §4.7 Consensus, §4.8 clipping and validator trust.
    let kappa = u16_proportion_to_fixed(inputs.kappa);
    let consensus = weighted_median_col_sparse(&active_stake, &weights, n, kappa);
    let clipped_weights = col_clip_sparse(&weights, &consensus);
    let validator_trust = row_sum_sparse(&clipped_weights);

    // §4.9 Ranks and incentive.
    let mut incentive = matmul_sparse(&clipped_weights, &active_stake, n);
    inplace_normalize(&mut incentive);

    // §4.10 Weights for bonds, §4.11 bonds and dividends.
    let bonds_penalty = u16_proportion_to_fixed(inputs.bonds_penalty);
    let weights_for_bonds = interpolate_sparse(&weights, &clipped_weights, n, bonds_penalty);
    let bonds_input = BondsInput {
        inputs,
        weights_for_bonds: &weights_for_bonds,
        active_stake: &active_stake,
        incentive: &incentive,
        consensus: &consensus,
    };
    let bonds_output = if inputs.yuma3_enabled {
        bonds::yuma3(bonds_input)
    } else {
        bonds::yuma2(bonds_input)
    };
    let dividends = bonds_output.dividends;

    // §4.12 Emission.
    let combined: Vec<I32F32> = incentive
        .iter()
        .zip(&dividends)
        .map(|(i, d)| i.saturating_add(*d))
        .collect();
    let emission_sum = sum(&combined);
    let mut server_share = incentive.clone();
    let mut validator_share = dividends.clone();
    let mut combined_share = combined;
    inplace_normalize_using_sum(&mut server_share, emission_sum);
    inplace_normalize_using_sum(&mut validator_share, emission_sum);
    inplace_normalize(&mut combined_share);
    if emission_sum == ZERO {
        let fallback = if sum(&active_stake) == ZERO {
            &stake
        } else {
            &active_stake
        };
        validator_share.clone_from(fallback);
        combined_share.clone_from(fallback);
    }
    let rao = |shares: &[I32F32]| to_rao(shares, inputs.rao_emission);

    // §4.13 Outputs.
    let to_u16 = |v: &[I32F32]| v.iter().map(|x| fixed_proportion_to_u16(*x)).collect();
    let outputs = EpochOutputs {
        incentive: to_u16(&incentive),
        dividends: to_u16(&dividends),
        consensus: to_u16(&consensus),
        validator_trust: to_u16(&validator_trust),
        stake_weight: to_u16(&stake),
        active: inactive.iter().map(|x| !x).collect(),
        new_validator_permit: new_permits.clone(),
        server_emission: rao(&server_share),
        validator_emission: rao(&validator_share),
        emission: rao(&combined_share),
        bonds: persisted_bonds(&new_permits, &bonds_output.stored),
    };
    let trace = EpochTrace {
        inactive,
        filtered_stake,
        stake,
        validator_permits_prev_effective: permits,
        new_validator_permits: new_permits,
        active_stake,
        weights,
        consensus,
        clipped_weights,
        validator_trust,
        incentive,
        weights_for_bonds,
        bonds: bonds_output.trace,
        dividends,
        normalized_server_emission: server_share,
        normalized_validator_emission: validator_share,
        normalized_combined_emission: combined_share,
    };
    (outputs, trace)
}

/// `trunc(I96F32(share) · I96F32(rao_emission))` per uid.
fn to_rao(shares: &[I32F32], rao_emission: u64) -> Vec<u64> {
    let total = I96F32::saturating_from_num(rao_emission);
    shares
        .iter()
        .map(|s| {
            I96F32::saturating_from_num(*s)
                .saturating_mul(total)
                .saturating_to_num::<u64>()
        })
        .collect()
}

/// The `Bonds` rows persisted: the new EMA row (as u16) for a uid holding a new permit,
/// an empty row otherwise (whether it lost its permit or never had one).
fn persisted_bonds(new_permits: &[bool], stored: &SparseMatrix) -> Vec<Vec<(u16, u16)>> {
    new_permits
        .iter()
        .enumerate()
        .map(|(i, permitted)| match (permitted, stored.get(i)) {
            (true, Some(row)) => row
                .iter()
                .map(|&(j, b)| (j, fixed_proportion_to_u16(b)))
                .collect(),
            _ => Vec::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    //! Malformed or extreme inputs must not panic, and every output keeps length n.
    use super::super::dense_f64::run_epoch_dense_f64;
    use super::super::types::{Commits, EpochInputs};
    use super::run_epoch;

    fn extreme_inputs(n: u16, variant: u64) -> EpochInputs {
        let flag = |bit: u64| variant & (1 << bit) != 0;
        EpochInputs {
            n,
            current_block: if flag(0) { u64::MAX } else { 1_000 },
            tempo: if flag(1) { 0 } else { 360 },
            activity_cutoff_blocks: if flag(2) { u64::MAX } else { 10 },
            last_update: vec![990, u64::MAX],
            block_at_registration: vec![0, 5, u64::MAX],
            stake: vec![u64::MAX, u64::MAX, 1, 0],
            stake_threshold: if flag(3) { u64::MAX } else { 0 },
            validator_permit_prev: if flag(4) { Vec::new() } else { vec![true; 9] },
            max_allowed_validators: if flag(5) { 0 } else { u16::MAX },
            weights: vec![
                vec![(0, 7), (1, u16::MAX), (1, 3), (u16::MAX, 9), (2, 0)],
                vec![(2, 1), (0, u16::MAX)],
                vec![(1, u16::MAX)],
                vec![(0, 1)],
            ],
            bonds_prev: vec![vec![(1, u16::MAX), (1, 2), (u16::MAX, 5)], vec![(0, 1)]],
            kappa: if flag(6) { 0 } else { u16::MAX },
            bonds_penalty: if flag(7) { 12_345 } else { 0 },
            bonds_moving_average: if flag(8) { u64::MAX } else { 0 },
            liquid_alpha_enabled: flag(9),
            alpha_low: u16::MAX,
            alpha_high: 0,
            alpha_sigmoid_steepness: if flag(10) { i16::MIN } else { i16::MAX },
            yuma3_enabled: flag(11),
            commit_reveal_enabled: flag(12),
            reveal_period: u64::MAX,
            current_epoch_index_with_lookahead: u64::MAX,
            commits: Commits {
                v2: vec![vec![(0, 3)], Vec::new(), vec![(u64::MAX, 0)], vec![(1, 1)]],
                timelocked: vec![(0, vec![(1, 2), (u16::MAX, 1)])],
            },
            last_mechanism_step_block: if flag(13) { u64::MAX } else { 0 },
            owner_uid: if flag(14) { Some(u16::MAX) } else { Some(1) },
            rao_emission: u64::MAX,
        }
    }

    #[test]
    fn extreme_inputs_do_not_panic() {
        for n in [0_u16, 1, 3, 6] {
            for variant in 0..1_u64 << 15 {
                if variant % 97 != 0 && variant.count_ones() > 2 {
                    continue;
                }
                let inputs = extreme_inputs(n, variant);
                for out in [run_epoch(&inputs), run_epoch_dense_f64(&inputs)] {
                    let n = usize::from(n);
                    assert_eq!(out.incentive.len(), n);
                    assert_eq!(out.emission.len(), n);
                    assert_eq!(out.bonds.len(), n);
                    assert_eq!(out.active.len(), n);
                }
            }
        }
    }
}
