//! The shared vectors `fixtures/yuma/sdk_u16_conversion.json` (a copy of `shared/yuma/vectors/`):
//! every v11 SDK result and every chain-side result must match exactly.
//!
//! Not checked, because the 10.x SDK path is not ported: the `v10_*` results
//! of `float_to_u16` (float32 cast and float64 emit), `max_weight_clipping`'s
//! `v10_normalize_max_weight_float32` and `v10_then_convert_weights_and_uids_for_emit`,
//! and `process_weights_v10`'s `result` and `then_emit`. Their `chain_after*`
//! parts are checked, feeding the recorded v10 values to the chain functions.

use crate::weights_support::{Outcome, TestResult, kind, same_floats};
use arbiter_host::weights::{
    ConformRules, U16Weights, check_max_weight_limited, clip_to_max_weight, conform, max_upscale,
    normalize,
};
use serde::Deserialize;

const VECTORS: &str = include_str!("../fixtures/yuma/sdk_u16_conversion.json");

#[derive(Deserialize)]
struct Vectors {
    float_to_u16: Vec<FloatCase>,
    max_weight_clipping: Vec<ClipCase>,
    process_weights_v10: Vec<ProcessCase>,
    conform_v11: Vec<ConformCase>,
}

#[derive(Deserialize)]
struct ChainAfter {
    stored_max_upscaled: Vec<u16>,
    max_weight_limit_u16: u16,
    max_weight_limited_ok: bool,
}

#[derive(Deserialize)]
struct FloatCase {
    name: String,
    uids: Vec<i64>,
    weights: Vec<f64>,
    v10_convert_and_normalize_weights_and_uids_float32: Outcome<U16Weights>,
    v11_intents_weights_normalize: Outcome<U16Weights>,
    chain_after_v10_float32: Option<ChainAfter>,
}

#[derive(Deserialize)]
struct ClipCase {
    name: String,
    weights: Vec<f64>,
    limit_float: f64,
    limit_u16: u16,
    v10_then_convert_weights_and_uids_for_emit: U16Weights,
    v11_clip_to_max_weight: Outcome<Vec<f64>>,
    v11_then_normalize: Option<U16Weights>,
    chain_after_v10: ChainAfter,
    chain_after_v11: Option<ChainAfter>,
}

#[derive(Deserialize)]
struct ProcessCase {
    name: String,
    then_emit: U16Weights,
    chain_after: ChainAfter,
}

#[derive(Deserialize)]
struct Preflight {
    uid: u16,
    min_allowed_weights: u16,
    max_weight_limit: u16,
}

#[derive(Deserialize)]
struct ConformCase {
    name: String,
    uids: Vec<i64>,
    weights: Vec<f64>,
    preflight: Preflight,
    result: Outcome<U16Weights>,
    chain_after: Option<ChainAfter>,
}

fn vectors() -> Result<Vectors, serde_json::Error> {
    serde_json::from_str(VECTORS)
}

/// The variant an SDK error message corresponds to.
fn sdk_kind(message: &str) -> &'static str {
    if message.contains("must be equal length") {
        "LengthMismatch"
    } else if message.contains("finite and non-negative") {
        "InvalidWeight"
    } else if message.contains("All weights are zero") {
        "NonPositiveTotal"
    } else if message.contains("requires at least") {
        "TooFewWeights"
    } else {
        "unmapped"
    }
}

/// Compare a result with a recorded outcome; `Some(mismatch)` if they differ.
fn mismatch<T: PartialEq + std::fmt::Debug>(
    name: &str,
    got: &Result<T, arbiter_host::weights::ConformError>,
    want: &Outcome<T>,
) -> Option<String> {
    let same = match (got, want) {
        (Ok(got), Outcome::Ok(want)) => got == want,
        (Err(got), Outcome::Error(want)) => kind(got) == sdk_kind(want.as_str()),
        _ => false,
    };
    (!same).then(|| format!("{name}: got {got:?}, SDK {want:?}"))
}

/// The chain's upscale and max-weight check on `submitted`; `Some(mismatch)` if they differ.
fn chain_mismatch(name: &str, submitted: &[u16], after: &ChainAfter) -> Option<String> {
    let stored = max_upscale(submitted);
    let ok = check_max_weight_limited(&stored, after.max_weight_limit_u16).is_ok();
    (stored != after.stored_max_upscaled || ok != after.max_weight_limited_ok).then(|| {
        format!(
            "{name}: chain stored {stored:?} (ok {ok}), upstream {:?} (ok {})",
            after.stored_max_upscaled, after.max_weight_limited_ok
        )
    })
}

fn assert_none(mismatches: Vec<String>, checked: usize, expected: usize) -> TestResult {
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert_eq!(checked, expected, "number of vector cases checked");
    Ok(())
}

#[test]
fn v11_normalize_matches_every_float_to_u16_case() -> TestResult {
    let vectors = vectors()?;
    let mismatches: Vec<String> = vectors
        .float_to_u16
        .iter()
        .filter_map(|case| {
            let got = normalize(&case.uids, &case.weights);
            mismatch(&case.name, &got, &case.v11_intents_weights_normalize)
        })
        .collect();
    assert_none(mismatches, vectors.float_to_u16.len(), 15)
}

#[test]
fn v11_clip_then_normalize_matches_every_max_weight_clipping_case() -> TestResult {
    let vectors = vectors()?;
    let mut mismatches = Vec::new();
    for case in &vectors.max_weight_clipping {
        let limit = f64::from(case.limit_u16) / 65535.0;
        assert_eq!(limit.to_bits(), case.limit_float.to_bits(), "{}", case.name);
        let clipped = clip_to_max_weight(&case.weights, limit);
        let same = match (&clipped, &case.v11_clip_to_max_weight) {
            (Ok(got), Outcome::Ok(want)) => same_floats(got, want),
            (Err(got), Outcome::Error(want)) => kind(got) == sdk_kind(want.as_str()),
            _ => false,
        };
        if !same {
            mismatches.push(format!("{}: clip gave {clipped:?}", case.name));
        }
        if let (Ok(clipped), Some(want)) = (&clipped, &case.v11_then_normalize) {
            let uids: Vec<i64> = (0..).take(clipped.len()).collect();
            let got = normalize(&uids, clipped);
            if got.as_ref() != Ok(want) {
                mismatches.push(format!("{}: normalize gave {got:?}", case.name));
            }
        }
    }
    assert_none(mismatches, vectors.max_weight_clipping.len(), 5)
}

#[test]
fn v11_conform_matches_every_conform_case() -> TestResult {
    let vectors = vectors()?;
    let mismatches: Vec<String> = vectors
        .conform_v11
        .iter()
        .filter_map(|case| {
            let rules = ConformRules {
                self_uid: Some(case.preflight.uid),
                min_allowed_weights: case.preflight.min_allowed_weights,
                max_weight_limit: case.preflight.max_weight_limit,
            };
            let got = conform(&case.uids, &case.weights, &rules);
            mismatch(&case.name, &got, &case.result)
        })
        .collect();
    assert_none(mismatches, vectors.conform_v11.len(), 4)
}

#[test]
fn chain_matches_every_chain_after_case() -> TestResult {
    let vectors = vectors()?;
    let mut mismatches = Vec::new();
    let mut checked = 0;
    let mut check = |name: &str, submitted: &[u16], after: &ChainAfter| {
        checked += 1;
        mismatches.extend(chain_mismatch(name, submitted, after));
    };
    for case in &vectors.float_to_u16 {
        if let (Outcome::Ok(v10), Some(after)) = (
            &case.v10_convert_and_normalize_weights_and_uids_float32,
            &case.chain_after_v10_float32,
        ) {
            check(&case.name, &v10.values, after);
        }
    }
    for case in &vectors.max_weight_clipping {
        let v10 = &case.v10_then_convert_weights_and_uids_for_emit;
        check(&case.name, &v10.values, &case.chain_after_v10);
        if let (Some(v11), Some(after)) = (&case.v11_then_normalize, &case.chain_after_v11) {
            check(&case.name, &v11.values, after);
        }
    }
    for case in &vectors.process_weights_v10 {
        check(&case.name, &case.then_emit.values, &case.chain_after);
    }
    for case in &vectors.conform_v11 {
        if let (Outcome::Ok(v11), Some(after)) = (&case.result, &case.chain_after) {
            check(&case.name, &v11.values, after);
        }
    }
    // 12 float_to_u16 + 5 v10 and 4 v11 clipping + 4 process_weights + 3 conform.
    assert_none(mismatches, checked, 28)
}
