//! Differential cases: `tests/fixtures/weights/sdk_oracle_cases.json` holds ~1000
//! inputs (random, rounding-tie-prone, and hostile) with the results of
//! `bittensor==11.3.0`'s own `normalize`, `clip_to_max_weight` and
//! `_as_pairs` + `_conform`, run unchanged under CPython ≥ 3.12 `sum()`
//! semantics (generator: `tools/gen_oracle.py`). Values must match bit for bit,
//! errors by rule.

use crate::weights_support::{Outcome, TestResult, kind, same_floats};
use arbiter_host::weights::{ConformRules, U16Weights, clip_to_max_weight, conform, normalize};
use serde::Deserialize;

const CASES: &str = include_str!("../fixtures/weights/sdk_oracle_cases.json");

#[derive(Deserialize)]
struct Cases {
    normalize: Vec<NormalizeCase>,
    clip: Vec<ClipCase>,
    conform: Vec<ConformCase>,
}

#[derive(Deserialize)]
struct NormalizeCase {
    name: String,
    uids: Vec<i64>,
    weights: Vec<String>,
    result: Outcome<U16Weights>,
}

#[derive(Deserialize)]
struct ClipCase {
    name: String,
    weights: Vec<String>,
    limit_u16: u16,
    result: Outcome<Vec<String>>,
}

#[derive(Deserialize)]
struct ConformCase {
    name: String,
    uids: Vec<i64>,
    weights: Vec<String>,
    self_uid: Option<u16>,
    min_allowed_weights: u16,
    max_weight_limit: u16,
    result: Outcome<U16Weights>,
}

/// Python `repr` strings ("0.1", "nan", "-inf") to floats, exactly.
fn floats(reprs: &[String]) -> Result<Vec<f64>, std::num::ParseFloatError> {
    reprs.iter().map(|s| s.parse()).collect()
}

fn cases() -> Result<Cases, serde_json::Error> {
    serde_json::from_str(CASES)
}

fn report(mismatches: &[String], total: usize) -> TestResult {
    assert!(
        mismatches.is_empty(),
        "{} of {total} cases differ from the SDK:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(total > 200, "only {total} cases");
    Ok(())
}

fn same_outcome(
    got: &Result<U16Weights, arbiter_host::weights::ConformError>,
    want: &Outcome<U16Weights>,
) -> bool {
    match (got, want) {
        (Ok(got), Outcome::Ok(want)) => got == want,
        (Err(got), Outcome::Error(want)) => kind(got) == want,
        _ => false,
    }
}

#[test]
fn normalize_matches_the_sdk() -> TestResult {
    let cases = cases()?;
    let mut mismatches = Vec::new();
    for case in &cases.normalize {
        let got = normalize(&case.uids, &floats(&case.weights)?);
        if !same_outcome(&got, &case.result) {
            mismatches.push(format!("{}: got {got:?}, SDK {:?}", case.name, case.result));
        }
    }
    report(&mismatches, cases.normalize.len())
}

#[test]
fn clip_to_max_weight_matches_the_sdk_bit_for_bit() -> TestResult {
    let cases = cases()?;
    let mut mismatches = Vec::new();
    for case in &cases.clip {
        let limit = f64::from(case.limit_u16) / 65535.0;
        let got = clip_to_max_weight(&floats(&case.weights)?, limit);
        let same = match (&got, &case.result) {
            (Ok(got), Outcome::Ok(want)) => same_floats(got, &floats(want)?),
            (Err(got), Outcome::Error(want)) => kind(got) == want,
            _ => false,
        };
        if !same {
            mismatches.push(format!("{}: got {got:?}, SDK {:?}", case.name, case.result));
        }
    }
    report(&mismatches, cases.clip.len())
}

#[test]
fn conform_matches_the_sdk() -> TestResult {
    let cases = cases()?;
    let mut mismatches = Vec::new();
    for case in &cases.conform {
        let rules = ConformRules {
            self_uid: case.self_uid,
            min_allowed_weights: case.min_allowed_weights,
            max_weight_limit: case.max_weight_limit,
        };
        let got = conform(&case.uids, &floats(&case.weights)?, &rules);
        if !same_outcome(&got, &case.result) {
            mismatches.push(format!("{}: got {got:?}, SDK {:?}", case.name, case.result));
        }
    }
    report(&mismatches, cases.conform.len())
}
