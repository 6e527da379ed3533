//! Runs every epoch of every reference vector (`tests/fixtures/yuma/epoch_*.json`, copied
//! from `shared/yuma/vectors/`) through the port and requires every output, and every
//! fixed-point intermediate the vectors record, to match exactly: no tolerance.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fmt::Debug;
use std::path::PathBuf;

use arbiter_host::chain::yuma::vector::{VectorInputs, VectorOutputs};
use arbiter_host::chain::yuma::{EpochTrace, SparseMatrix, run_epoch_traced, run_vector_file};
use serde_json::Value;
use substrate_fixed::types::I32F32;

/// Every `epoch_*.json` fixture, sorted by name, with its parsed JSON and raw text.
fn fixtures() -> Vec<(String, String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/yuma");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("epoch_") && name.ends_with(".json")
        })
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no vectors in {}", dir.display());
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let value = serde_json::from_str(&text).unwrap();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                text,
                value,
            )
        })
        .collect()
}

/// Collected differences, each naming file, epoch, field and uid, and how many values
/// were compared.
#[derive(Default)]
struct Diffs(Vec<String>, usize);

impl Diffs {
    fn vec<T: PartialEq + Debug>(&mut self, at: &str, field: &str, got: &[T], want: &[T]) {
        if got.len() != want.len() {
            self.0.push(format!(
                "{at} {field}: length {} != expected {}",
                got.len(),
                want.len()
            ));
        }
        for (uid, (g, w)) in got.iter().zip(want).enumerate() {
            self.1 += 1;
            if g != w {
                self.0
                    .push(format!("{at} {field} uid {uid}: got {g:?}, expected {w:?}"));
            }
        }
    }

    fn assert_empty(&self, what: &str) {
        if !self.0.is_empty() {
            let shown: Vec<&String> = self.0.iter().take(60).collect();
            panic!(
                "{} {what} mismatches (first {}):\n{}",
                self.0.len(),
                shown.len(),
                shown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
}

/// The vectors write each I32F32 as the f64 nearest to its shortest round-trip decimal,
/// which can sit a unit in the last place away from `bits / 2^32`; rounding `v · 2^32`
/// recovers the bit pattern exactly (|v| < 2^20), so values are compared as bits.
fn bits_of(v: f64) -> i64 {
    (v * 4_294_967_296.0).round() as i64
}

fn dense(v: &[I32F32]) -> Vec<i64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn sparse(m: &SparseMatrix) -> Vec<Vec<(u16, i64)>> {
    m.iter()
        .map(|row| row.iter().map(|&(j, v)| (j, v.to_bits())).collect())
        .collect()
}

fn want_raw<T: serde::de::DeserializeOwned>(fixed: &Value, key: &str) -> Option<T> {
    let v = fixed.get(key)?;
    (!v.is_null()).then(|| serde_json::from_value(v.clone()).unwrap())
}

/// A `fixed` vector as I32F32 bit patterns.
fn want_dense(fixed: &Value, key: &str) -> Option<Vec<i64>> {
    want_raw::<Vec<f64>>(fixed, key).map(|v| v.into_iter().map(bits_of).collect())
}

/// A `fixed` sparse matrix as I32F32 bit patterns.
fn want_sparse(fixed: &Value, key: &str) -> Option<Vec<Vec<(u16, i64)>>> {
    want_raw::<Vec<Vec<(u16, f64)>>>(fixed, key).map(|m| {
        m.into_iter()
            .map(|row| row.into_iter().map(|(j, v)| (j, bits_of(v))).collect())
            .collect()
    })
}

/// Compares the trace with the epoch's `fixed` block, as I32F32 bit patterns. A `null`
/// there means upstream did not compute (or log) that value on the path taken.
fn compare_fixed(d: &mut Diffs, at: &str, fixed: &Value, t: &EpochTrace) {
    macro_rules! cmp_dense {
        ($key:literal, $got:expr) => {
            if let Some(w) = want_dense(fixed, $key) {
                d.vec(at, concat!("fixed.", $key), &$got, &w);
            }
        };
    }
    macro_rules! cmp_sparse {
        ($key:literal, $got:expr) => {
            if let Some(w) = want_sparse(fixed, $key) {
                d.vec(at, concat!("fixed.", $key), &sparse($got), &w);
            }
        };
    }
    macro_rules! cmp_opt {
        ($key:literal, $got:expr, $want:ident, $conv:expr) => {
            match ($want(fixed, $key), $got) {
                (Some(w), Some(g)) => d.vec(at, concat!("fixed.", $key), &$conv(g), &w),
                (None, None) => {}
                (w, g) => d.0.push(format!(
                    "{at} fixed.{}: expected present={}, port present={}",
                    $key,
                    w.is_some(),
                    g.is_some()
                )),
            }
        };
    }
    if let Some(w) = want_raw::<Vec<bool>>(fixed, "inactive") {
        d.vec(at, "fixed.inactive", &t.inactive, &w);
    }
    if let Some(w) = want_raw::<Vec<bool>>(fixed, "validator_permits_prev_effective") {
        d.vec(
            at,
            "fixed.validator_permits_prev_effective",
            &t.validator_permits_prev_effective,
            &w,
        );
    }
    if let Some(w) = want_raw::<Vec<bool>>(fixed, "new_validator_permits") {
        d.vec(
            at,
            "fixed.new_validator_permits",
            &t.new_validator_permits,
            &w,
        );
    }
    // Raw stakes in rao: integers, exact in f64.
    if let Some(w) = want_raw::<Vec<f64>>(fixed, "filtered_stake_i64f64") {
        let got: Vec<f64> = t.filtered_stake.iter().map(|x| x.to_num::<f64>()).collect();
        d.vec(at, "fixed.filtered_stake_i64f64", &got, &w);
    }
    cmp_dense!("stake_normalized", dense(&t.stake));
    cmp_dense!("active_stake", dense(&t.active_stake));
    cmp_sparse!("weights_masked_normalized", &t.weights);
    cmp_dense!("consensus", dense(&t.consensus));
    cmp_sparse!("clipped_weights", &t.clipped_weights);
    cmp_dense!("validator_trust", dense(&t.validator_trust));
    cmp_dense!("incentive", dense(&t.incentive));
    // Upstream logs Wb only on the Yuma3 path, so `null` here says nothing.
    cmp_sparse!("weights_for_bonds", &t.weights_for_bonds);
    cmp_sparse!("bonds_prev_masked", &t.bonds.bonds_prev_masked);
    cmp_opt!(
        "bonds_delta_normalized_yuma2",
        t.bonds.bonds_delta_normalized.as_ref(),
        want_sparse,
        sparse
    );
    cmp_sparse!("ema_bonds", &t.bonds.ema_bonds);
    cmp_opt!(
        "ema_bonds_col_normalized_yuma3",
        t.bonds.ema_bonds_normalized.as_ref(),
        want_sparse,
        sparse
    );
    cmp_opt!(
        "total_bonds_per_validator_yuma3",
        t.bonds.total_bonds_per_validator.as_ref(),
        want_dense,
        |v: &Vec<I32F32>| dense(v)
    );
    cmp_dense!("dividends", dense(&t.dividends));
    cmp_dense!(
        "normalized_server_emission",
        dense(&t.normalized_server_emission)
    );
    cmp_dense!(
        "normalized_validator_emission",
        dense(&t.normalized_validator_emission)
    );
    cmp_dense!(
        "normalized_combined_emission",
        dense(&t.normalized_combined_emission)
    );
    // The vectors hold upstream's dense n × n alphas; the port computes those of the cells
    // present in a row, which must equal the dense matrix there.
    match (
        want_raw::<Vec<Vec<f64>>>(fixed, "liquid_alphas"),
        &t.bonds.liquid_alphas,
    ) {
        (Some(w), Some(g)) => {
            for (i, row) in g.iter().enumerate() {
                for &(j, a) in row {
                    d.1 += 1;
                    let expected = bits_of(w[i][usize::from(j)]);
                    if a.to_bits() != expected {
                        d.0.push(format!(
                            "{at} fixed.liquid_alphas ({i}, {j}): got bits {}, expected {expected}",
                            a.to_bits()
                        ));
                    }
                }
            }
        }
        (None, None) => {}
        (w, g) => d.0.push(format!(
            "{at} fixed.liquid_alphas: expected present={}, port present={}",
            w.is_some(),
            g.is_some()
        )),
    }
}

#[test]
fn every_vector_epoch_matches_exactly() {
    let mut outputs = Diffs::default();
    let mut intermediates = Diffs::default();
    let (mut files, mut epochs) = (0, 0);
    for (name, _, file) in fixtures() {
        files += 1;
        for (k, epoch) in file["epochs"].as_array().unwrap().iter().enumerate() {
            epochs += 1;
            let at = format!("{name} epoch {k}");
            let vector_inputs: VectorInputs =
                serde_json::from_value(epoch["inputs"].clone()).unwrap();
            let inputs = vector_inputs.to_epoch_inputs(epoch["rao_emission"].as_u64().unwrap());
            let (out, trace) = run_epoch_traced(&inputs);
            let got = VectorOutputs::new(&inputs, out);
            let exp: VectorOutputs = serde_json::from_value(epoch["outputs"].clone()).unwrap();
            let d = &mut outputs;
            d.vec(&at, "incentive_u16", &got.incentive_u16, &exp.incentive_u16);
            d.vec(&at, "dividends_u16", &got.dividends_u16, &exp.dividends_u16);
            d.vec(&at, "consensus_u16", &got.consensus_u16, &exp.consensus_u16);
            d.vec(
                &at,
                "validator_trust_u16",
                &got.validator_trust_u16,
                &exp.validator_trust_u16,
            );
            d.vec(
                &at,
                "stake_weight_u16",
                &got.stake_weight_u16,
                &exp.stake_weight_u16,
            );
            d.vec(&at, "active", &got.active, &exp.active);
            d.vec(
                &at,
                "new_validator_permit",
                &got.new_validator_permit,
                &exp.new_validator_permit,
            );
            d.vec(
                &at,
                "server_emission",
                &got.server_emission,
                &exp.server_emission,
            );
            d.vec(
                &at,
                "validator_emission",
                &got.validator_emission,
                &exp.validator_emission,
            );
            d.vec(&at, "emission", &got.emission, &exp.emission);
            d.vec(&at, "stake", &got.stake, &exp.stake);
            d.vec(
                &at,
                "bonds_u16_persisted",
                &got.bonds_u16_persisted,
                &exp.bonds_u16_persisted,
            );
            compare_fixed(&mut intermediates, &at, &epoch["fixed"], &trace);
        }
    }
    println!(
        "checked {epochs} epochs in {files} vector files: {} output values, {} intermediate rows/values",
        outputs.1, intermediates.1
    );
    assert_eq!(files, 20, "expected the 20 epoch vector files");
    intermediates.assert_empty("fixed-intermediate");
    outputs.assert_empty("output");
}

#[test]
fn run_vector_file_reproduces_every_outputs_block() {
    for (name, text, file) in fixtures() {
        let result = run_vector_file(&text).unwrap();
        let got = result["epochs"].as_array().unwrap();
        let expected = file["epochs"].as_array().unwrap();
        assert_eq!(got.len(), expected.len(), "{name}: epoch count");
        for (k, (g, e)) in got.iter().zip(expected).enumerate() {
            assert_eq!(
                g.as_object().unwrap().len(),
                1,
                "{name} epoch {k}: only `outputs`"
            );
            assert_eq!(
                g["outputs"], e["outputs"],
                "{name} epoch {k}: outputs differ"
            );
        }
    }
}

#[test]
fn run_vector_file_rejects_malformed_json() {
    assert!(run_vector_file("{\"epochs\": [{}]}").is_err());
    assert!(run_vector_file("not json").is_err());
}
