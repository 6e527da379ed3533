//! Bonds and dividends (SPEC §4.11): the Yuma2 column-normalised EMA and the Yuma3
//! absolute-proportion EMA with optional liquid alpha.
//!
//! The two paths store bonds on different scales (SPEC §7 Q7) and Yuma3's liquid-alpha EMA has
//! two sparse quirks that decide real outputs: it reads rows with a merge walk that
//! assumes ascending columns (Q3), and it only keeps bonds in columns present in the
//! current weight row (Q2). Both are reproduced here exactly. Upstream computes an n × n
//! alpha matrix; only the alphas of cells present in a row can reach the output, so only
//! those are computed, from the same walk.

use substrate_fixed::types::I32F32;

use super::fixed::{ONE, ZERO, is_positive, saturating_mul, u16_proportion_to_fixed, u16_to_fixed};
use super::masks;
use super::math::{LiquidAlphaParams, bonds_moving_average_alpha, inplace_normalize, vec_mul};
use super::sparse::{
    ScratchRow, SparseMatrix, SparseRow, inplace_col_max_upscale_sparse,
    inplace_col_normalize_sparse, mat_ema_sparse, matmul_transpose_sparse, row_hadamard_sparse,
};
use super::types::EpochInputs;

/// What the bonds step needs from the earlier steps.
pub(super) struct BondsInput<'a> {
    /// The epoch inputs (hyperparameters).
    pub inputs: &'a EpochInputs,
    /// Weights for bonds (SPEC §4.10).
    pub weights_for_bonds: &'a [SparseRow],
    /// Active stake S.
    pub active_stake: &'a [I32F32],
    /// Incentive I.
    pub incentive: &'a [I32F32],
    /// Consensus c.
    pub consensus: &'a [I32F32],
}

/// The intermediates of the bonds step, named as in the vectors' `fixed` block.
#[derive(Debug, Clone, Default)]
pub struct BondsTrace {
    /// Previous bonds as they enter the EMA: Yuma2 column-normalised, Yuma3 /65535.
    pub bonds_prev_masked: SparseMatrix,
    /// Yuma2 only: `ΔB = Wb ◦ S`, column-normalised.
    pub bonds_delta_normalized: Option<SparseMatrix>,
    /// Yuma3 with liquid alpha only: the alpha of every cell present in the row's weights
    /// or bonds (the only alphas that can matter), ascending columns.
    pub liquid_alphas: Option<SparseMatrix>,
    /// The EMA: Yuma2 column-normalised (before the max-upscale for storage), Yuma3 as
    /// stored.
    pub ema_bonds: SparseMatrix,
    /// Yuma3 only: the column-normalised EMA.
    pub ema_bonds_normalized: Option<SparseMatrix>,
    /// Yuma3 only: `Σ_j EMAn_ij · I_j`.
    pub total_bonds_per_validator: Option<Vec<I32F32>>,
}

/// The result of the bonds step.
pub(super) struct BondsOutput {
    /// Bonds to persist for permitted validators, as proportions to convert to u16.
    pub stored: SparseMatrix,
    /// Normalised dividends D.
    pub dividends: Vec<I32F32>,
    /// Intermediates.
    pub trace: BondsTrace,
}

/// Yuma2 (SPEC §4.11a): bonds and ΔB column-normalised, constant-α EMA, normalised
/// again, `D = EMA · I`; stored bonds are max-upscaled per column.
pub(super) fn yuma2(input: BondsInput<'_>) -> BondsOutput {
    let n = usize::from(input.inputs.n);
    let mut bonds = masks::masked_bond_rows(input.inputs, n, u16_to_fixed);
    inplace_col_normalize_sparse(&mut bonds, n);
    let mut delta = row_hadamard_sparse(input.weights_for_bonds, input.active_stake);
    inplace_col_normalize_sparse(&mut delta, n);
    let alpha = bonds_moving_average_alpha(input.inputs.bonds_moving_average);
    let mut ema = mat_ema_sparse(&delta, &bonds, alpha);
    inplace_col_normalize_sparse(&mut ema, n);
    let mut dividends = matmul_transpose_sparse(&ema, input.incentive);
    inplace_normalize(&mut dividends);
    let mut stored = ema.clone();
    inplace_col_max_upscale_sparse(&mut stored, n);
    BondsOutput {
        stored,
        dividends,
        trace: BondsTrace {
            bonds_prev_masked: bonds,
            bonds_delta_normalized: Some(delta),
            ema_bonds: ema,
            ..BondsTrace::default()
        },
    }
}

/// Yuma3 (SPEC §4.11b): bonds as proportions, EMA with liquid alpha (when on and some
/// consensus is non-zero) or constant α, `D = (EMAn · I) ◦ S` normalised; the EMA itself
/// is stored.
pub(super) fn yuma3(input: BondsInput<'_>) -> BondsOutput {
    let n = usize::from(input.inputs.n);
    let bonds = masks::masked_bond_rows(input.inputs, n, u16_proportion_to_fixed);
    let inputs = input.inputs;
    let (ema, liquid_alphas) =
        if inputs.liquid_alpha_enabled && input.consensus.iter().any(|c| *c != ZERO) {
            let params = LiquidAlphaParams::new(
                inputs.alpha_low,
                inputs.alpha_high,
                inputs.alpha_sigmoid_steepness,
            );
            let (ema, alphas) =
                liquid_alpha_ema(input.weights_for_bonds, &bonds, input.consensus, &params);
            (ema, Some(alphas))
        } else {
            let alpha = bonds_moving_average_alpha(inputs.bonds_moving_average);
            (mat_ema_sparse(input.weights_for_bonds, &bonds, alpha), None)
        };
    let mut ema_norm = ema.clone();
    inplace_col_normalize_sparse(&mut ema_norm, n);
    let total_bonds = matmul_transpose_sparse(&ema_norm, input.incentive);
    let mut dividends = vec_mul(&total_bonds, input.active_stake);
    inplace_normalize(&mut dividends);
    BondsOutput {
        stored: ema.clone(),
        dividends,
        trace: BondsTrace {
            bonds_prev_masked: bonds,
            bonds_delta_normalized: None,
            liquid_alphas,
            ema_bonds: ema,
            ema_bonds_normalized: Some(ema_norm),
            total_bonds_per_validator: Some(total_bonds),
        },
    }
}

/// Upstream's merge walk over one sparse row (in `compute_liquid_alpha_values_sparse`):
/// asked for ascending columns, it skips entries with a smaller column and reads the
/// value only if the next entry has exactly that column. On an unsorted row an entry
/// that comes after a larger column is never read (it counts as 0, quirk Q3).
struct MergeWalk<'a> {
    row: &'a [(u16, I32F32)],
    pos: usize,
}

impl MergeWalk<'_> {
    /// The walk's value at column `j`; calls must come with ascending `j`.
    fn value_at(&mut self, j: u16) -> I32F32 {
        while let Some(&(col, value)) = self.row.get(self.pos) {
            if col < j {
                self.pos += 1;
            } else {
                return if col == j { value } else { ZERO };
            }
        }
        ZERO
    }
}

/// Liquid-alpha EMA (upstream `compute_liquid_alpha_values_sparse` then
/// `mat_ema_alpha_sparse`). Per row: `decayed_j = (1 − α_ij)·b_ij` (a later duplicate
/// overwrites), then for each weight entry, in the weight row's order,
/// `min(1, decayed_j + max(0, α_ij·w_ij))` kept if > 0. A bond whose column is absent
/// from the weight row is dropped (quirk Q2). Returns the EMA and the computed alphas.
fn liquid_alpha_ema(
    weights: &[SparseRow],
    bonds: &[SparseRow],
    consensus: &[I32F32],
    params: &LiquidAlphaParams,
) -> (SparseMatrix, SparseMatrix) {
    const ALPHA: usize = 0;
    const DECAYED: usize = 1;
    let mut scratch = ScratchRow::new(consensus.len());
    weights
        .iter()
        .zip(bonds)
        .map(|(w_row, b_row)| {
            for &(j, _) in w_row.iter().chain(b_row) {
                scratch.cell(ALPHA, j);
            }
            let (mut w_walk, mut b_walk) = (
                MergeWalk { row: w_row, pos: 0 },
                MergeWalk { row: b_row, pos: 0 },
            );
            let alphas: SparseRow = scratch
                .sorted_touched()
                .into_iter()
                .map(|j| {
                    let c = consensus.get(usize::from(j)).copied().unwrap_or(ZERO);
                    (j, params.alpha(c, w_walk.value_at(j), b_walk.value_at(j)))
                })
                .collect();
            for &(j, alpha) in &alphas {
                if let Some(cell) = scratch.cell(ALPHA, j) {
                    *cell = alpha;
                }
            }
            for &(j, bond) in b_row {
                let alpha = scratch.get(ALPHA, j);
                if let Some(cell) = scratch.cell(DECAYED, j) {
                    *cell = saturating_mul(ONE.saturating_sub(alpha), bond);
                }
            }
            let ema = w_row
                .iter()
                .filter(|(j, _)| usize::from(*j) < consensus.len())
                .filter_map(|&(j, w)| {
                    let increment = saturating_mul(scratch.get(ALPHA, j), w).max(ZERO);
                    let value = scratch.get(DECAYED, j).saturating_add(increment).min(ONE);
                    is_positive(value).then_some((j, value))
                })
                .collect();
            scratch.clear();
            (ema, alphas)
        })
        .unzip()
}
