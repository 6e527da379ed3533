//! A naive dense f64 rendition of the same epoch (SPEC §4): n × n matrices, plain
//! floating point, a sort-based weighted median. It is the benchmark baseline for the
//! fixed-point port and an independent cross-check of it; it is *not* bit-exact.
//!
//! Why keep it: it states each step in its textbook form, so a reader can see what the
//! fixed-point port computes once the rounding and sparse quirks are set aside, and
//! benchmarks can show what the sparse, bit-exact path costs or saves. Being dense, it
//! follows upstream's dense semantics where they differ from the sparse path: weight rows
//! are read in any order (no SPEC §7 Q3 effect), and with liquid alpha every bond decays,
//! whether or not the current weight row names its column (no Q2 effect). The integer masks are
//! shared with the port (module `masks`), so both agree on which cells count.

use super::masks;
use super::types::{EpochInputs, EpochOutputs};

/// A dense row-major matrix.
type Matrix = Vec<Vec<f64>>;

/// Runs the epoch in dense f64 and returns outputs in the port's format.
pub fn run_epoch_dense_f64(inputs: &EpochInputs) -> EpochOutputs {
    let n = usize::from(inputs.n);
    let inactive = masks::inactive_mask(inputs, n);

    let mut stake: Vec<f64> = (0..n)
        .map(|uid| {
            let s = inputs.stake.get(uid).copied().unwrap_or(0);
            if masks::below_stake_threshold(inputs, uid, s) {
                0.0
            } else {
                s as f64
            }
        })
        .collect();
    normalize(&mut stake);

    let permits = masks::effective_prev_permits(inputs);
    let mut new_permits = top_k_nonzero(&stake, usize::from(inputs.max_allowed_validators));
    masks::force_owner_permit(inputs, &mut new_permits);

    let excluded = masks::stake_excluded(&inactive, &permits);
    let mut active_stake: Vec<f64> = stake
        .iter()
        .zip(&excluded)
        .map(|(s, out)| if *out { 0.0 } else { *s })
        .collect();
    normalize(&mut active_stake);

    let mut weights = densify(&masks::masked_weight_rows(inputs, n, f64::from), n);
    weights.iter_mut().for_each(|row| normalize(row));

    let kappa = f64::from(inputs.kappa) / 65535.0;
    let consensus: Vec<f64> = (0..n)
        .map(|j| weighted_median(&active_stake, &weights, j, kappa))
        .collect();
    let clipped: Matrix = weights
        .iter()
        .map(|row| row.iter().zip(&consensus).map(|(w, c)| w.min(*c)).collect())
        .collect();
    let validator_trust: Vec<f64> = clipped.iter().map(|row| row.iter().sum()).collect();
    let mut incentive = column_weighted_sum(&clipped, &active_stake);
    normalize(&mut incentive);

    let beta = f64::from(inputs.bonds_penalty) / 65535.0;
    let weights_for_bonds: Matrix = weights
        .iter()
        .zip(&clipped)
        .map(|(w, c)| w.iter().zip(c).map(|(w, c)| w + beta * (c - w)).collect())
        .collect();

    let ema_alpha = 1.0 - inputs.bonds_moving_average as f64 / 1e6;
    let (dividends, stored_bonds) = if inputs.yuma3_enabled {
        let bonds = densify(
            &masks::masked_bond_rows(inputs, n, |b| f64::from(b) / 65535.0),
            n,
        );
        let liquid = inputs.liquid_alpha_enabled && consensus.iter().any(|c| *c != 0.0);
        let ema = zip_cells(&weights_for_bonds, &bonds, |j, w, b| {
            if liquid {
                let alpha = liquid_alpha(inputs, consensus.get(j).copied().unwrap_or(0.0), w, b);
                ((1.0 - alpha) * b + (alpha * w).max(0.0)).min(1.0)
            } else {
                ema_alpha * w + (1.0 - ema_alpha) * b
            }
        });
        let mut ema_norm = ema.clone();
        column_normalize(&mut ema_norm);
        let mut dividends: Vec<f64> = row_dot(&ema_norm, &incentive)
            .iter()
            .zip(&active_stake)
            .map(|(t, s)| t * s)
            .collect();
        normalize(&mut dividends);
        (dividends, ema)
    } else {
        let mut bonds = densify(&masks::masked_bond_rows(inputs, n, f64::from), n);
        column_normalize(&mut bonds);
        let mut delta: Matrix = weights_for_bonds
            .iter()
            .zip(&active_stake)
            .map(|(row, s)| row.iter().map(|w| w * s).collect())
            .collect();
        column_normalize(&mut delta);
        let mut ema = zip_cells(&delta, &bonds, |_, d, b| {
            ema_alpha * d + (1.0 - ema_alpha) * b
        });
        column_normalize(&mut ema);
        let mut dividends = row_dot(&ema, &incentive);
        normalize(&mut dividends);
        column_max_upscale(&mut ema);
        (dividends, ema)
    };

    let combined: Vec<f64> = incentive
        .iter()
        .zip(&dividends)
        .map(|(i, d)| i + d)
        .collect();
    let total: f64 = combined.iter().sum();
    let share = |v: &[f64]| -> Vec<f64> {
        v.iter()
            .map(|x| if total == 0.0 { *x } else { x / total })
            .collect()
    };
    let server_share = share(&incentive);
    let (validator_share, combined_share) = if total == 0.0 {
        let fallback = if active_stake.iter().sum::<f64>() == 0.0 {
            &stake
        } else {
            &active_stake
        };
        (fallback.clone(), fallback.clone())
    } else {
        (share(&dividends), share(&combined))
    };
    let rao = |v: &[f64]| -> Vec<u64> {
        v.iter()
            .map(|x| (x * inputs.rao_emission as f64).floor() as u64)
            .collect()
    };
    let to_u16 = |v: &[f64]| -> Vec<u16> { v.iter().map(|x| proportion_to_u16(*x)).collect() };
    EpochOutputs {
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
        bonds: new_permits
            .iter()
            .zip(&stored_bonds)
            .map(|(permitted, row)| {
                let cells = row
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| *permitted && **b > 0.0);
                cells
                    .filter_map(|(j, b)| Some((u16::try_from(j).ok()?, proportion_to_u16(*b))))
                    .collect()
            })
            .collect(),
    }
}

/// `trunc(x · 65535)`, saturated to u16.
fn proportion_to_u16(x: f64) -> u16 {
    (x * 65535.0).clamp(0.0, 65535.0) as u16
}

/// Divides by the sum unless it is 0.
fn normalize(v: &mut [f64]) {
    let total: f64 = v.iter().sum();
    if total != 0.0 {
        v.iter_mut().for_each(|x| *x /= total);
    }
}

/// The `k` largest non-zero entries; the lower index loses a tie.
fn top_k_nonzero(v: &[f64], k: usize) -> Vec<bool> {
    let mut keep: Vec<bool> = v.iter().map(|x| *x != 0.0).collect();
    if v.len() >= k {
        let mut order: Vec<usize> = (0..v.len()).collect();
        order.sort_by(|a, b| {
            let (x, y) = (v.get(*a).copied(), v.get(*b).copied());
            x.unwrap_or(0.0).total_cmp(&y.unwrap_or(0.0))
        });
        for i in order.into_iter().take(v.len() - k) {
            if let Some(cell) = keep.get_mut(i) {
                *cell = false;
            }
        }
    }
    keep
}

/// Sparse rows as a dense n × n matrix (a later duplicate overwrites).
fn densify(rows: &[Vec<(u16, f64)>], n: usize) -> Matrix {
    let mut m = vec![vec![0.0; n]; n];
    for (dense_row, row) in m.iter_mut().zip(rows) {
        for &(j, v) in row {
            if let Some(cell) = dense_row.get_mut(usize::from(j)) {
                *cell = v;
            }
        }
    }
    m
}

/// `f(j, a_ij, b_ij)` for every cell.
fn zip_cells(a: &Matrix, b: &Matrix, f: impl Fn(usize, f64, f64) -> f64) -> Matrix {
    a.iter()
        .zip(b)
        .map(|(ra, rb)| {
            ra.iter()
                .zip(rb)
                .enumerate()
                .map(|(j, (x, y))| f(j, *x, *y))
                .collect()
        })
        .collect()
}

/// `r_j = Σ_i v_i · m_ij`.
fn column_weighted_sum(m: &Matrix, v: &[f64]) -> Vec<f64> {
    let mut r = vec![0.0; m.first().map_or(0, Vec::len)];
    for (row, s) in m.iter().zip(v) {
        r.iter_mut().zip(row).for_each(|(acc, x)| *acc += s * x);
    }
    r
}

/// `d_i = Σ_j m_ij · v_j`.
fn row_dot(m: &Matrix, v: &[f64]) -> Vec<f64> {
    m.iter()
        .map(|row| row.iter().zip(v).map(|(x, y)| x * y).sum())
        .collect()
}

/// Divides each column by `aggregate(column)` unless that is 0.
fn column_scale(m: &mut Matrix, aggregate: impl Fn(f64, f64) -> f64) {
    let width = m.first().map_or(0, Vec::len);
    let divisors: Vec<f64> = (0..width)
        .map(|j| {
            m.iter()
                .map(|row| row.get(j).copied().unwrap_or(0.0))
                .fold(0.0, &aggregate)
        })
        .collect();
    for row in m.iter_mut() {
        for (x, d) in row.iter_mut().zip(&divisors) {
            if *d != 0.0 {
                *x /= d;
            }
        }
    }
}

/// Columns to sum 1.
fn column_normalize(m: &mut Matrix) {
    column_scale(m, |a, b| a + b);
}

/// Columns to maximum 1.
fn column_max_upscale(m: &mut Matrix) {
    column_scale(m, f64::max);
}

/// Largest score `s` of column `j` such that the validators scoring at least `s` hold at
/// least `kappa` of the (renormalised) positive stake; 0 without such validators.
fn weighted_median(stake: &[f64], weights: &Matrix, j: usize, kappa: f64) -> f64 {
    let mut votes: Vec<(f64, f64)> = stake
        .iter()
        .zip(weights)
        .filter(|(s, _)| **s > 0.0)
        .map(|(s, row)| (row.get(j).copied().unwrap_or(0.0), *s))
        .collect();
    let total: f64 = votes.iter().map(|(_, s)| s).sum();
    votes.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut above = 0.0;
    for (score, s) in votes {
        above += s / total;
        if above >= kappa {
            return score;
        }
    }
    0.0
}

/// Liquid alpha for one cell: the sigmoid of SPEC §4.11b in f64.
fn liquid_alpha(inputs: &EpochInputs, consensus: f64, w: f64, b: f64) -> f64 {
    let (low, high) = (
        f64::from(inputs.alpha_low) / 65535.0,
        f64::from(inputs.alpha_high) / 65535.0,
    );
    let diff = if w >= b { w - consensus } else { b - w }.clamp(0.0, 1.0);
    let exponent = f64::from(inputs.alpha_sigmoid_steepness) / -100.0 * (diff - 0.5);
    let sigmoid = 1.0 / (1.0 + exponent.clamp(-20.0, 20.0).exp());
    (low + sigmoid * (high - low)).min(high).max(low)
}

#[cfg(test)]
mod tests {
    //! The f64 baseline must agree with the bit-exact port within SPEC §8's float
    //! tolerances: ±1 on u16 values (bond cells included), ±n rao on emissions, exact
    //! booleans.
    use super::super::epoch::run_epoch;
    use super::super::types::EpochOutputs;
    use super::super::vector::VectorFile;
    use super::run_epoch_dense_f64;

    /// The `quirk_*` vectors exercise the sparse-only behaviours (Q2, Q3) that a dense
    /// epoch does not have, so their bonds differ by design; every other vector is used.
    fn vector_paths() -> Result<Vec<std::path::PathBuf>, String> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/yuma");
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| format!("{dir}: {e}"))? {
            let path = entry.map_err(|e| e.to_string())?.path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            if name.is_some_and(|n| n.starts_with("epoch_") && !n.contains("quirk")) {
                paths.push(path);
            }
        }
        paths.sort();
        Ok(paths)
    }

    fn dense_bonds(rows: &[Vec<(u16, u16)>], n: usize) -> Vec<Vec<i64>> {
        let mut m = vec![vec![0_i64; n]; n];
        for (dense_row, row) in m.iter_mut().zip(rows) {
            for &(j, b) in row {
                if let Some(cell) = dense_row.get_mut(usize::from(j)) {
                    *cell = i64::from(b);
                }
            }
        }
        m
    }

    fn assert_close(at: &str, exact: &EpochOutputs, float: &EpochOutputs, n: usize) {
        let u16_fields = [
            ("incentive", &exact.incentive, &float.incentive),
            ("dividends", &exact.dividends, &float.dividends),
            ("consensus", &exact.consensus, &float.consensus),
            (
                "validator_trust",
                &exact.validator_trust,
                &float.validator_trust,
            ),
            ("stake_weight", &exact.stake_weight, &float.stake_weight),
        ];
        for (field, a, b) in u16_fields {
            assert_eq!(a.len(), b.len(), "{at} {field}: length");
            for (uid, (x, y)) in a.iter().zip(b.iter()).enumerate() {
                assert!(x.abs_diff(*y) <= 1, "{at} {field} uid {uid}: {x} vs {y}");
            }
        }
        let rao_fields = [
            (
                "server_emission",
                &exact.server_emission,
                &float.server_emission,
            ),
            (
                "validator_emission",
                &exact.validator_emission,
                &float.validator_emission,
            ),
            ("emission", &exact.emission, &float.emission),
        ];
        for (field, a, b) in rao_fields {
            assert_eq!(a.len(), b.len(), "{at} {field}: length");
            for (uid, (x, y)) in a.iter().zip(b.iter()).enumerate() {
                assert!(
                    x.abs_diff(*y) <= n as u64,
                    "{at} {field} uid {uid}: {x} vs {y}"
                );
            }
        }
        assert_eq!(exact.active, float.active, "{at} active");
        assert_eq!(
            exact.new_validator_permit, float.new_validator_permit,
            "{at} new_validator_permit"
        );
        let (a, b) = (dense_bonds(&exact.bonds, n), dense_bonds(&float.bonds, n));
        for (i, (ra, rb)) in a.iter().zip(&b).enumerate() {
            for (j, (x, y)) in ra.iter().zip(rb).enumerate() {
                assert!((x - y).abs() <= 1, "{at} bonds ({i}, {j}): {x} vs {y}");
            }
        }
    }

    #[test]
    fn dense_f64_agrees_with_fixed_point_within_float_tolerances() -> Result<(), String> {
        let mut epochs = 0;
        for path in vector_paths()? {
            let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
            let file: VectorFile = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            for (k, epoch) in file.epochs.iter().enumerate() {
                let inputs = epoch.inputs.to_epoch_inputs(epoch.rao_emission);
                let at = format!("{} epoch {k}", path.display());
                let n = usize::from(inputs.n);
                assert_close(&at, &run_epoch(&inputs), &run_epoch_dense_f64(&inputs), n);
                epochs += 1;
            }
        }
        assert!(epochs >= 40, "only {epochs} epochs compared");
        Ok(())
    }
}
