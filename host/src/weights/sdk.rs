//! The SDK's float → `u16` conversion (`bittensor==11.3.0`,
//! `bittensor/intents/weights.py`), operation for operation in float64.
//!
//! Validators using the Python SDK submit exactly what these functions
//! return, so Arbiter must compute the same vector from the same floats to agree
//! with them bit for bit. Each function names the SDK function it ports and
//! keeps its order of checks, so the same input fails on the same rule.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::error::ConformError;
use super::py;
use super::types::{ConformRules, U16Weights};

/// 65535 as a float, the scale of a `u16` weight.
const U16_MAX: f64 = 65535.0;

/// The SDK's margin in the max-weight cutoff, which lands the largest weight
/// slightly below the limit.
const EPSILON: f64 = 1e-7;

/// Max-upscale and quantise weights to `u16`, dropping zeros (SDK `normalize`).
///
/// Each weight becomes `round(w / max(weights) * 65535)`, rounded half to even
/// like Python's `round`; values that round to 0 are left out, and the input
/// order is kept. Duplicated uids are passed through as given (the SDK checks
/// them earlier, see [`conform`]). All-zero or empty input gives an empty result.
///
/// # Errors
/// In this order: [`ConformError::LengthMismatch`], [`ConformError::InvalidWeight`]
/// (NaN, ±inf or negative), [`ConformError::UidOutOfRange`] (outside `0..=65535`).
pub fn normalize<U: Copy + Into<i64>>(
    uids: &[U],
    weights: &[f64],
) -> Result<U16Weights, ConformError> {
    if uids.len() != weights.len() {
        return Err(ConformError::LengthMismatch {
            uids: uids.len(),
            weights: weights.len(),
        });
    }
    if let Some((index, &weight)) = weights
        .iter()
        .enumerate()
        .find(|(_, w)| !w.is_finite() || **w < 0.0)
    {
        return Err(ConformError::InvalidWeight { index, weight });
    }
    let uids = uids
        .iter()
        .enumerate()
        .map(|(index, &uid)| {
            let uid: i64 = uid.into();
            u16::try_from(uid).map_err(|_| ConformError::UidOutOfRange { index, uid })
        })
        .collect::<Result<Vec<u16>, _>>()?;

    // Python's `max()`: keep the first, replace only on a strictly greater item.
    let top = weights
        .iter()
        .copied()
        .reduce(|top, w| if w > top { w } else { top })
        .unwrap_or(0.0);
    let mut out = U16Weights::default();
    if top == 0.0 {
        return Ok(out);
    }
    for (&uid, &weight) in uids.iter().zip(weights) {
        let value = py::round(weight / top * U16_MAX);
        if value != 0.0 {
            out.uids.push(uid);
            // `0 <= weight <= top`, so `value` is an integer in 1..=65535.
            out.values.push(value as u16);
        }
    }
    Ok(out)
}

/// Normalise to sum 1 with no weight above `limit` (SDK `clip_to_max_weight`).
///
/// Weights already within the limit are only divided by their sum. Otherwise a
/// cutoff is searched on the sorted normalised weights so that clipping
/// everything above it and renormalising lands the largest weight just below
/// `limit` (by the SDK's ε = 1e-7). If no distribution can satisfy the limit
/// (`len · limit <= 1`) the uniform distribution is returned — which the
/// chain's check may still refuse. The result keeps the input order.
///
/// The SDK does not validate the weights here: negative or non-finite weights
/// flow through Python's float semantics and are usually refused later by
/// [`normalize`], so this port does the same.
///
/// # Errors
/// [`ConformError::NonPositiveTotal`] for empty input or a sum that is not
/// positive; [`ConformError::ClipDivisionByZero`] where Python would raise
/// `ZeroDivisionError` (only reachable with negative weights).
pub fn clip_to_max_weight(weights: &[f64], limit: f64) -> Result<Vec<f64>, ConformError> {
    let n = weights.len();
    let total = py::sum(weights.iter().copied());
    if n == 0 || total <= 0.0 {
        return Err(ConformError::NonPositiveTotal { len: n, total });
    }
    let len = py::int(n);
    if len * limit <= 1.0 {
        return Ok(vec![1.0 / len; n]);
    }

    // `total` is positive or NaN here, so these divisions cannot fail.
    let mut estimation: Vec<f64> = weights.iter().map(|&w| w / total).collect();
    py::sort(&mut estimation);
    if estimation.last().is_some_and(|&max| max <= limit) {
        return Ok(weights.iter().map(|&w| w / total).collect());
    }

    // `itertools.accumulate`: the first item as is, then running sums.
    let cumsum: Vec<f64> = estimation
        .iter()
        .scan(None, |running: &mut Option<f64>, &e| {
            let next = running.map_or(e, |acc| acc + e);
            *running = Some(next);
            Some(next)
        })
        .collect();
    let mut n_values = 0_usize;
    for (i, (&e, &c)) in estimation.iter().zip(&cumsum).enumerate() {
        let denominator = py::int(n - i - 1) * e + c + EPSILON;
        let ratio = py::div(e, denominator).ok_or(ConformError::ClipDivisionByZero {
            step: "the cutoff search",
        })?;
        if ratio < limit {
            n_values += 1;
        }
    }
    // Python reads `cumsum[n_values - 1]`, which for `n_values == 0` is
    // `cumsum[-1]`, the last sum (only NaN input gets there). `cumsum` is not
    // empty, so the lookup succeeds; the error merely replaces an index panic.
    let cut_sum = match n_values.checked_sub(1) {
        Some(index) => cumsum.get(index),
        None => cumsum.last(),
    }
    .copied()
    .ok_or(ConformError::NonPositiveTotal { len: n, total })?;
    let cutoff_scale = py::div(
        limit * cut_sum - EPSILON,
        1.0 - limit * py::int(n - n_values),
    )
    .ok_or(ConformError::ClipDivisionByZero {
        step: "the cutoff scale",
    })?;
    let cutoff = cutoff_scale * total;

    let clipped: Vec<f64> = weights.iter().map(|&w| py::min(w, cutoff)).collect();
    let clipped_total = py::sum(clipped.iter().copied());
    clipped
        .iter()
        .map(|&w| {
            py::div(w, clipped_total).ok_or(ConformError::ClipDivisionByZero {
                step: "the renormalisation",
            })
        })
        .collect()
}

/// Fit weights to a subnet's rules and quantise them, as the SDK's `SetWeights`
/// does before submitting.
///
/// In the SDK's order:
/// 1. duplicated uids are refused (`SetWeights`' input check, `_as_pairs`);
/// 2. unless the submission is exactly `[self_uid]` (a self-weight) or
///    `max_weight_limit` is 65535, the weights go through
///    [`clip_to_max_weight`] with `limit = max_weight_limit / 65535`;
/// 3. [`normalize`] quantises them to `u16`;
/// 4. an empty result is refused, and so — except for a self-weight — is one
///    with fewer than `min_allowed_weights` nonzero values.
///
/// Unlike the chain, which requires `min(n, MinAllowedWeights)` values, the SDK
/// does not know `n` and requires `MinAllowedWeights` itself.
///
/// # Errors
/// [`ConformError::DuplicateUid`], then any error of [`clip_to_max_weight`] and
/// [`normalize`], then [`ConformError::AllZero`] and [`ConformError::TooFewWeights`].
pub fn conform<U: Copy + Into<i64>>(
    uids: &[U],
    weights: &[f64],
    rules: &ConformRules,
) -> Result<U16Weights, ConformError> {
    let uids: Vec<i64> = uids.iter().map(|&uid| uid.into()).collect();
    reject_duplicates(&uids)?;

    let is_self_weight = rules.self_uid.is_some_and(|own| uids == [i64::from(own)]);
    let out = if !is_self_weight && rules.max_weight_limit < u16::MAX {
        let limit = f64::from(rules.max_weight_limit) / U16_MAX;
        normalize(&uids, &clip_to_max_weight(weights, limit)?)?
    } else {
        normalize(&uids, weights)?
    };

    if out.uids.is_empty() {
        return Err(ConformError::AllZero { len: weights.len() });
    }
    if !is_self_weight && out.uids.len() < usize::from(rules.min_allowed_weights) {
        return Err(ConformError::TooFewWeights {
            required: rules.min_allowed_weights,
            nonzero: out.uids.len(),
        });
    }
    Ok(out)
}

/// The SDK's `len(set(uids)) != len(uids)` check, reporting the first repeat.
fn reject_duplicates(uids: &[i64]) -> Result<(), ConformError> {
    let mut seen: HashMap<i64, usize> = HashMap::with_capacity(uids.len());
    for (index, &uid) in uids.iter().enumerate() {
        match seen.entry(uid) {
            Entry::Occupied(first) => {
                return Err(ConformError::DuplicateUid {
                    uid,
                    first: *first.get(),
                    second: index,
                });
            }
            Entry::Vacant(slot) => {
                slot.insert(index);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::weights::check_max_weight_limited;

    fn rules(
        self_uid: Option<u16>,
        min_allowed_weights: u16,
        max_weight_limit: u16,
    ) -> ConformRules {
        ConformRules {
            self_uid,
            min_allowed_weights,
            max_weight_limit,
        }
    }

    fn weights(uids: &[u16], values: &[u16]) -> U16Weights {
        U16Weights {
            uids: uids.to_vec(),
            values: values.to_vec(),
        }
    }

    #[test]
    fn non_finite_and_negative_weights_are_refused_with_their_index() {
        for (bad, index) in [
            (f64::NAN, 1),
            (f64::INFINITY, 1),
            (f64::NEG_INFINITY, 1),
            (-0.1, 1),
            (-f64::MIN_POSITIVE, 1),
        ] {
            let got = normalize(&[0_u16, 1, 2], &[1.0, bad, f64::NAN]);
            assert!(
                matches!(got, Err(ConformError::InvalidWeight { index: i, weight }) if i == index && weight.to_bits() == bad.to_bits()),
                "{bad}: {got:?}"
            );
        }
        // -0.0 is not negative for Python either; it quantises to 0 and is dropped.
        assert_eq!(
            normalize(&[0_u16, 1], &[-0.0, 2.0]),
            Ok(weights(&[1], &[65535]))
        );
    }

    #[test]
    fn empty_and_all_zero_input() {
        let none: [u16; 0] = [];
        assert_eq!(normalize(&none, &[]), Ok(U16Weights::default()));
        assert_eq!(
            normalize(&[4_u16, 5], &[0.0, -0.0]),
            Ok(U16Weights::default())
        );
        assert_eq!(
            clip_to_max_weight(&[], 0.5),
            Err(ConformError::NonPositiveTotal { len: 0, total: 0.0 })
        );
        // With a limit the clip refuses first; without one the empty result is refused.
        assert_eq!(
            conform(&none, &[], &rules(None, 0, 1000)),
            Err(ConformError::NonPositiveTotal { len: 0, total: 0.0 })
        );
        assert_eq!(
            conform(&[1_u16, 2], &[0.0, 0.0], &ConformRules::default()),
            Err(ConformError::AllZero { len: 2 })
        );
    }

    #[test]
    fn uids_outside_u16_are_refused() {
        assert_eq!(
            normalize(&[0_i64, -1], &[1.0, 1.0]),
            Err(ConformError::UidOutOfRange { index: 1, uid: -1 })
        );
        assert_eq!(
            normalize(&[65535_i64], &[1.0]),
            Ok(weights(&[65535], &[65535]))
        );
        // 65536 uids are fine; the 65537th cannot be a u16.
        let uids: Vec<i64> = (0..70_000).collect();
        let ones = vec![1.0; uids.len()];
        assert_eq!(
            normalize(&uids, &ones),
            Err(ConformError::UidOutOfRange {
                index: 65536,
                uid: 65536
            })
        );
        assert_eq!(
            conform(&uids, &ones, &ConformRules::default()),
            Err(ConformError::UidOutOfRange {
                index: 65536,
                uid: 65536
            })
        );
    }

    #[test]
    fn checks_run_in_the_sdk_order() {
        // Length before weights before uids.
        assert_eq!(
            normalize(&[70_000_i64, 1], &[f64::NAN]),
            Err(ConformError::LengthMismatch {
                uids: 2,
                weights: 1
            })
        );
        assert!(matches!(
            normalize(&[70_000_i64], &[f64::NAN]),
            Err(ConformError::InvalidWeight { index: 0, .. })
        ));
        // Duplicates before everything else in conform.
        assert_eq!(
            conform(&[70_000_i64, 70_000], &[f64::NAN], &ConformRules::default()),
            Err(ConformError::DuplicateUid {
                uid: 70_000,
                first: 0,
                second: 1,
            })
        );
    }

    #[test]
    fn duplicates_pass_normalize_but_not_conform() {
        // The SDK's `normalize` does not look at duplicates…
        assert_eq!(
            normalize(&[3_u16, 3, 1], &[1.0, 0.5, 0.25]),
            Ok(weights(&[3, 3, 1], &[65535, 32768, 16384]))
        );
        // …but `SetWeights` refuses them before conforming, as the chain would.
        assert_eq!(
            conform(&[3_u16, 1, 3], &[1.0, 0.5, 0.25], &ConformRules::default()),
            Err(ConformError::DuplicateUid {
                uid: 3,
                first: 0,
                second: 2,
            })
        );
    }

    #[test]
    fn self_weight_is_exempt_from_clip_and_minimum() {
        let own = rules(Some(5), 8, 1000);
        assert_eq!(conform(&[5_u16], &[0.3], &own), Ok(weights(&[5], &[65535])));
        assert_eq!(
            conform(&[5_u16], &[0.0], &own),
            Err(ConformError::AllZero { len: 1 })
        );
        // Only the exact list [self_uid] is a self-weight.
        assert_eq!(
            conform(&[5_u16], &[0.3], &rules(None, 8, 1000)),
            Err(ConformError::TooFewWeights {
                required: 8,
                nonzero: 1,
            })
        );
        assert_eq!(
            conform(&[5_u16, 6], &[1.0, 1.0], &own),
            Err(ConformError::TooFewWeights {
                required: 8,
                nonzero: 2,
            })
        );
    }

    #[test]
    fn minimum_counts_values_left_after_quantisation() {
        let got = conform(
            &[1_u16, 2, 3],
            &[1.0, 1e-9, 1e-9],
            &rules(Some(0), 2, 65535),
        );
        assert_eq!(
            got,
            Err(ConformError::TooFewWeights {
                required: 2,
                nonzero: 1,
            })
        );
    }

    #[test]
    fn sdk_quirk_uniform_fallback_accepts_nan_and_negative_weights() {
        // len · limit <= 1: the clip returns the uniform distribution without
        // looking at the weights, so `normalize` never sees the NaN or the
        // negative weight, and the SDK submits equal weights.
        let limit_100 = rules(None, 0, 100);
        assert_eq!(
            conform(&[1_u16, 2, 3], &[f64::NAN, 1.0, 1.0], &limit_100),
            Ok(weights(&[1, 2, 3], &[65535, 65535, 65535]))
        );
        assert_eq!(
            conform(&[1_u16, 2], &[1.0, -0.1], &rules(None, 0, 13107)),
            Ok(weights(&[1, 2], &[65535, 65535]))
        );
        // The chain then refuses it: 1/3 of the sum is above 100/65535.
        assert!(check_max_weight_limited(&[65535; 3], 100).is_err());
    }

    #[test]
    fn sdk_quirk_quantisation_can_break_the_limit_the_clip_aimed_for() {
        // The clip leaves the largest share 1e-7 under the limit, but rounding to
        // u16 moves the shares by up to 0.5/65535 each.
        let got = conform(&[0_u16, 1, 2], &[0.95, 0.67, 0.62], &rules(None, 0, 25949));
        assert_eq!(got, Ok(weights(&[0, 1, 2], &[65535, 51925, 48050])));
        assert!(matches!(
            check_max_weight_limited(&[65535, 51925, 48050], 25949),
            Err(ConformError::MaxWeightExceeded { .. })
        ));
    }

    #[test]
    fn sdk_quirk_result_depends_on_the_python_version() {
        // CPython 3.12+ sums with compensation (ported); 3.10 and 3.11 do not
        // and give 54613 for uid 1.
        let got = conform(&[0_u16, 1, 2], &[0.6, 0.5, 0.1], &rules(None, 0, 45432));
        assert_eq!(got, Ok(weights(&[0, 1, 2], &[65535, 54612, 10923])));
    }

    #[test]
    fn negative_weights_can_divide_by_zero_in_the_clip() {
        // 1 - limit · 3 is exactly 0 for limit 21845/65535 (Python: ZeroDivisionError).
        assert_eq!(
            clip_to_max_weight(&[3.0, 3.0, 4.0, -3.0], 21845.0 / 65535.0),
            Err(ConformError::ClipDivisionByZero {
                step: "the cutoff scale",
            })
        );
    }

    #[test]
    fn huge_vectors_conform() -> Result<(), ConformError> {
        // Every u16 uid once, with a spread of weights: clip, quantise, check.
        let uids: Vec<u16> = (0..=u16::MAX).collect();
        let floats: Vec<f64> = uids.iter().map(|&u| f64::from(u % 1000) + 0.5).collect();
        let out = conform(&uids, &floats, &rules(None, 1024, 200))?;
        assert_eq!(out.uids.len(), 65536);
        assert_eq!(out.values.iter().max(), Some(&65535));

        // A million floats through the clip alone.
        let many: Vec<f64> = (0..1_000_000_u32).map(|i| f64::from(i % 977 + 1)).collect();
        let clipped = clip_to_max_weight(&many, 1e-6)?;
        let max = clipped.iter().copied().fold(0.0, f64::max);
        assert!(max <= 1e-6, "{max}");
        assert!((py::sum(clipped.iter().copied()) - 1.0).abs() < 1e-9);
        Ok(())
    }

    #[test]
    fn error_messages_are_deterministic_and_name_the_numbers() {
        let message =
            |result: Result<U16Weights, ConformError>| result.err().map(|e| e.to_string());
        assert_eq!(
            message(normalize(&[0_u16, 1], &[1.0, f64::NAN])).as_deref(),
            Some("weights must be finite and non-negative: weight NaN at index 1")
        );
        assert_eq!(
            message(normalize(&[0_u16, 1, 2], &[1.0, 0.5])).as_deref(),
            Some("uids and weights must be equal length: 3 vs 2")
        );
        assert_eq!(
            message(conform(
                &[1_u16, 2, 3],
                &[1.0, 1e-9, 1e-9],
                &rules(None, 2, 65535)
            ))
            .as_deref(),
            Some(
                "min_allowed_weights requires at least 2 nonzero weights; only 1 remain after quantisation to u16"
            )
        );
        assert_eq!(
            message(conform(&[0_u16, 1], &[0.0, 0.0], &rules(None, 0, 1000))).as_deref(),
            Some(
                "nothing to set: the 2 weights sum to 0; the max-weight clip needs a positive total"
            )
        );
    }

    #[test]
    fn json_shapes_of_the_cli() -> Result<(), serde_json::Error> {
        let input: crate::weights::FloatWeights =
            serde_json::from_str(r#"{"uids": [7, 3, 5, 1], "weights": [0.2, 0.9, 0.4, 0.1]}"#)?;
        let out = conform(&input.uids, &input.weights, &ConformRules::default());
        assert_eq!(
            out,
            Ok(weights(&[7, 3, 5, 1], &[14563, 65535, 29127, 7282]))
        );
        assert_eq!(
            serde_json::to_string(&out.unwrap_or_default())?,
            r#"{"uids":[7,3,5,1],"values":[14563,65535,29127,7282]}"#
        );
        let typo =
            serde_json::from_str::<crate::weights::FloatWeights>(r#"{"uids": [], "weight": []}"#);
        assert!(typo.is_err());
        Ok(())
    }
}
