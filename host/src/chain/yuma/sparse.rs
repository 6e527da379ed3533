//! Sparse-matrix helpers of the Yuma epoch, reproducing the `*_sparse` functions of
//! upstream `pallets/subtensor/src/epoch/math.rs` bit for bit.
//!
//! Rows are `(column, value)` lists kept in the order their producer left them: weights in
//! storage order (unsorted, explicit zeros kept), EMA outputs in ascending column order.
//! That order is observable (liquid alpha's merge walk reads it, SPEC §7 Q3), so no helper
//! sorts a row unless upstream's output is itself sorted. Where upstream densifies a row
//! into an n-wide buffer, [`ScratchRow`] gives the same result in time proportional to the
//! row's entries, which keeps an epoch with a few validator rows and many uids cheap.

use substrate_fixed::types::I32F32;

use super::fixed::{Divisor, ONE, ZERO, is_positive, saturating_mul};
use super::math::{inplace_normalize, sum, weighted_median};

/// One sparse row: `(column, value)` pairs.
pub type SparseRow = Vec<(u16, I32F32)>;

/// A sparse matrix: one [`SparseRow`] per uid.
pub type SparseMatrix = Vec<SparseRow>;

/// Two dense planes of `columns` cells plus the list of cells written since the last
/// [`ScratchRow::clear`], so a row can be densified, combined and read back in ascending
/// column order without touching the other cells.
pub(super) struct ScratchRow {
    planes: [Vec<I32F32>; 2],
    written: Vec<bool>,
    touched: Vec<u16>,
}

impl ScratchRow {
    /// A scratch row for columns `0..columns`, all cells 0.
    pub(super) fn new(columns: usize) -> Self {
        Self {
            planes: [vec![ZERO; columns], vec![ZERO; columns]],
            written: vec![false; columns],
            touched: Vec::new(),
        }
    }

    /// The cell of `plane` at column `j`, marked as touched; `None` past the last column,
    /// which is how upstream's `get_mut` ignores such entries.
    pub(super) fn cell(&mut self, plane: usize, j: u16) -> Option<&mut I32F32> {
        let written = self.written.get_mut(usize::from(j))?;
        if !*written {
            *written = true;
            self.touched.push(j);
        }
        self.planes.get_mut(plane)?.get_mut(usize::from(j))
    }

    /// The value of `plane` at column `j` (0 if never written or out of range).
    pub(super) fn get(&self, plane: usize, j: u16) -> I32F32 {
        self.planes
            .get(plane)
            .and_then(|p| p.get(usize::from(j)))
            .copied()
            .unwrap_or(ZERO)
    }

    /// The touched columns, sorted ascending (each listed once).
    pub(super) fn sorted_touched(&mut self) -> Vec<u16> {
        self.touched.sort_unstable();
        self.touched.clone()
    }

    /// Resets every touched cell to 0 and forgets them.
    pub(super) fn clear(&mut self) {
        for j in self.touched.drain(..) {
            let j = usize::from(j);
            for plane in &mut self.planes {
                if let Some(cell) = plane.get_mut(j) {
                    *cell = ZERO;
                }
            }
            if let Some(w) = self.written.get_mut(j) {
                *w = false;
            }
        }
    }
}

/// Normalises every row whose sum is positive (upstream `inplace_row_normalize_sparse`).
pub fn inplace_row_normalize_sparse(matrix: &mut [SparseRow]) {
    for row in matrix.iter_mut() {
        let row_sum = row.iter().fold(ZERO, |acc, (_, v)| acc.saturating_add(*v));
        if row_sum > ZERO {
            let divisor = Divisor::new(row_sum);
            row.iter_mut().for_each(|(_, v)| *v = divisor.divide(*v));
        }
    }
}

/// Per-column reduction over `columns` columns; entries past the last column are ignored.
fn column_fold(
    matrix: &[SparseRow],
    columns: usize,
    fold: impl Fn(I32F32, I32F32) -> I32F32,
) -> Vec<I32F32> {
    let mut acc = vec![ZERO; columns];
    for &(j, v) in matrix.iter().flatten() {
        if let Some(cell) = acc.get_mut(usize::from(j)) {
            *cell = fold(*cell, v);
        }
    }
    acc
}

/// Divides each entry by its column's aggregate, leaving columns whose aggregate is 0
/// unchanged (they are divided by 1, which is exact).
fn inplace_col_divide(matrix: &mut [SparseRow], aggregates: &[I32F32]) {
    let divisors: Vec<Divisor> = aggregates
        .iter()
        .map(|d| Divisor::new(if *d == ZERO { ONE } else { *d }))
        .collect();
    for (j, v) in matrix.iter_mut().flatten() {
        if let Some(divisor) = divisors.get(usize::from(*j)) {
            *v = divisor.divide(*v);
        }
    }
}

/// Normalises every column to sum 1, skipping zero-sum columns (upstream
/// `inplace_col_normalize_sparse`).
pub fn inplace_col_normalize_sparse(matrix: &mut [SparseRow], columns: usize) {
    let sums = column_fold(matrix, columns, I32F32::saturating_add);
    inplace_col_divide(matrix, &sums);
}

/// Divides every column by its maximum (upstream `inplace_col_max_upscale_sparse`).
pub fn inplace_col_max_upscale_sparse(matrix: &mut [SparseRow], columns: usize) {
    let maxima = column_fold(matrix, columns, I32F32::max);
    inplace_col_divide(matrix, &maxima);
}

/// Sum of each row (upstream `row_sum_sparse`).
pub fn row_sum_sparse(matrix: &[SparseRow]) -> Vec<I32F32> {
    matrix
        .iter()
        .map(|row| row.iter().fold(ZERO, |acc, (_, v)| acc.saturating_add(*v)))
        .collect()
}

/// `r_j = Σ_i vector_i · m_ij` over `columns` columns, each product floored and summed
/// with saturation row by row (upstream `matmul_sparse`).
pub fn matmul_sparse(matrix: &[SparseRow], vector: &[I32F32], columns: usize) -> Vec<I32F32> {
    let mut result = vec![ZERO; columns];
    for (i, row) in matrix.iter().enumerate() {
        let scale = vector.get(i).copied().unwrap_or(ZERO);
        for &(j, v) in row {
            if let Some(cell) = result.get_mut(usize::from(j)) {
                *cell = cell.saturating_add(saturating_mul(scale, v));
            }
        }
    }
    result
}

/// `d_i = Σ_j vector_j · m_ij` (upstream `matmul_transpose_sparse`; also
/// `row_sum_sparse(mat_vec_mul_sparse(..))`, whose dropped zero products change nothing).
pub fn matmul_transpose_sparse(matrix: &[SparseRow], vector: &[I32F32]) -> Vec<I32F32> {
    matrix
        .iter()
        .map(|row| {
            row.iter().fold(ZERO, |acc, &(j, v)| {
                let x = vector.get(usize::from(j)).copied().unwrap_or(ZERO);
                acc.saturating_add(saturating_mul(x, v))
            })
        })
        .collect()
}

/// `m_ij · vector_i` (upstream `row_hadamard_sparse`).
pub fn row_hadamard_sparse(matrix: &[SparseRow], vector: &[I32F32]) -> SparseMatrix {
    matrix
        .iter()
        .zip(vector)
        .map(|(row, &scale)| {
            row.iter()
                .map(|&(j, v)| (j, saturating_mul(v, scale)))
                .collect()
        })
        .collect()
}

/// `min(m_ij, c_j)`; an entry above a non-positive threshold is dropped, entries at or
/// below their threshold (explicit zeros included) are kept (upstream `col_clip_sparse`).
pub fn col_clip_sparse(matrix: &[SparseRow], thresholds: &[I32F32]) -> SparseMatrix {
    matrix
        .iter()
        .map(|row| {
            row.iter()
                .filter_map(|&(j, v)| {
                    let t = thresholds.get(usize::from(j)).copied().unwrap_or(ZERO);
                    if t.cmp(&v).is_lt() {
                        is_positive(t).then_some((j, t))
                    } else {
                        Some((j, v))
                    }
                })
                .collect()
        })
        .collect()
}

/// Per-column stake-weighted median over the rows with positive stake (upstream
/// `weighted_median_col_sparse`): that stake is renormalised, `minority = Σ − majority`,
/// and a row's later duplicate of a column overwrites its earlier one. Upstream builds
/// the same `columns × validators` dense score table.
pub fn weighted_median_col_sparse(
    stake: &[I32F32],
    score: &[SparseRow],
    columns: usize,
    majority: I32F32,
) -> Vec<I32F32> {
    let mut use_stake: Vec<I32F32> = stake.iter().copied().filter(|s| is_positive(*s)).collect();
    inplace_normalize(&mut use_stake);
    let stake_sum = sum(&use_stake);
    let minority = stake_sum.saturating_sub(majority);
    let m = use_stake.len();
    if m == 0 {
        return vec![ZERO; columns];
    }
    // Column-major `(score, stake)` table: column c holds cells c·m .. c·m + m.
    let mut table: Vec<(I32F32, I32F32)> = Vec::with_capacity(columns.saturating_mul(m));
    for _ in 0..columns {
        table.extend(use_stake.iter().map(|s| (ZERO, *s)));
    }
    let positive_rows = stake.iter().zip(score).filter(|(s, _)| is_positive(**s));
    for (k, (_, row)) in positive_rows.enumerate() {
        for &(c, v) in row {
            if usize::from(c) < columns
                && let Some(cell) = table.get_mut(usize::from(c) * m + k)
            {
                cell.0 = v;
            }
        }
    }
    table
        .chunks_mut(m)
        .map(|votes| weighted_median(votes, minority, stake_sum))
        .collect()
}

/// `a + ratio·(b − a)` element-wise over `columns` columns, keeping entries > 0 in
/// ascending column order; `ratio == 0` returns `a` and `ratio == 1` returns `b` unchanged
/// (upstream `interpolate_sparse`). A later duplicate column in a row overwrites.
pub fn interpolate_sparse(
    a: &[SparseRow],
    b: &[SparseRow],
    columns: usize,
    ratio: I32F32,
) -> SparseMatrix {
    if ratio == ZERO {
        return a.to_vec();
    }
    if ratio == ONE || a.len() != b.len() {
        return b.to_vec();
    }
    let mut scratch = ScratchRow::new(columns);
    a.iter()
        .zip(b)
        .map(|(row_a, row_b)| {
            for (plane, row) in [(0, row_a), (1, row_b)] {
                for &(j, v) in row {
                    if let Some(cell) = scratch.cell(plane, j) {
                        *cell = v;
                    }
                }
            }
            let out = scratch
                .sorted_touched()
                .into_iter()
                .filter_map(|j| {
                    let (v1, v2) = (scratch.get(0, j), scratch.get(1, j));
                    let interp = v1.saturating_add(saturating_mul(ratio, v2.saturating_sub(v1)));
                    is_positive(interp).then_some((j, interp))
                })
                .collect();
            scratch.clear();
            out
        })
        .collect()
}

/// `α·new + (1 − α)·old` accumulated densely per row (duplicates add up, old bonds decay
/// where `new` has no entry), keeping entries > 0 in ascending column order; columns are
/// bounded by the row count (upstream `mat_ema_sparse`). Rows with strictly ascending
/// columns, the usual case, are merged directly, which gives the same entries.
pub fn mat_ema_sparse(new: &[SparseRow], old: &[SparseRow], alpha: I32F32) -> SparseMatrix {
    let one_minus_alpha = ONE.saturating_sub(alpha);
    let columns = new.len();
    let mut scratch = ScratchRow::new(columns);
    let empty = SparseRow::new();
    new.iter()
        .enumerate()
        .map(|(i, new_row)| {
            let old_row = old.get(i).unwrap_or(&empty);
            if is_strictly_ascending(new_row) && is_strictly_ascending(old_row) {
                return ema_merge(new_row, old_row, alpha, one_minus_alpha, columns);
            }
            for (coefficient, row) in [(alpha, new_row), (one_minus_alpha, old_row)] {
                for &(j, v) in row {
                    if let Some(cell) = scratch.cell(0, j) {
                        *cell = cell.saturating_add(saturating_mul(coefficient, v));
                    }
                }
            }
            let out = scratch
                .sorted_touched()
                .into_iter()
                .map(|j| (j, scratch.get(0, j)))
                .filter(|(_, v)| is_positive(*v))
                .collect();
            scratch.clear();
            out
        })
        .collect()
}

/// Whether a row's columns strictly increase.
fn is_strictly_ascending(row: &[(u16, I32F32)]) -> bool {
    row.windows(2).all(|pair| match pair {
        [(a, _), (b, _)] => a < b,
        _ => true,
    })
}

/// One row of [`mat_ema_sparse`] for two strictly ascending rows.
fn ema_merge(
    new: &[(u16, I32F32)],
    old: &[(u16, I32F32)],
    alpha: I32F32,
    one_minus_alpha: I32F32,
    columns: usize,
) -> SparseRow {
    let mut out = Vec::with_capacity(new.len().max(old.len()));
    let (mut a, mut b) = (new.iter().peekable(), old.iter().peekable());
    loop {
        let (j, value) = match (a.peek().copied(), b.peek().copied()) {
            (Some(&(ja, va)), Some(&(jb, vb))) if ja == jb => {
                a.next();
                b.next();
                let decayed = saturating_mul(one_minus_alpha, vb);
                (ja, saturating_mul(alpha, va).saturating_add(decayed))
            }
            (Some(&(ja, va)), next_old) if next_old.is_none_or(|&(jb, _)| ja < jb) => {
                a.next();
                (ja, saturating_mul(alpha, va))
            }
            (_, Some(&(jb, vb))) => {
                b.next();
                (jb, saturating_mul(one_minus_alpha, vb))
            }
            _ => break,
        };
        if usize::from(j) < columns && is_positive(value) {
            out.push((j, value));
        }
    }
    out
}
