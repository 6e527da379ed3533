//! Helpers shared by the weight-conversion test files.

use arbiter_host::weights::ConformError;
use serde::Deserialize;

/// A test's result: any failure is reported with its message.
pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A recorded outcome: `{"ok": ...}` or `{"error": "..."}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome<T> {
    /// The SDK returned this.
    Ok(T),
    /// The SDK raised; the text names the error.
    Error(String),
}

/// The variant name of an error, to compare with recorded SDK errors.
pub fn kind(error: &ConformError) -> &'static str {
    match error {
        ConformError::LengthMismatch { .. } => "LengthMismatch",
        ConformError::InvalidWeight { .. } => "InvalidWeight",
        ConformError::UidOutOfRange { .. } => "UidOutOfRange",
        ConformError::DuplicateUid { .. } => "DuplicateUid",
        ConformError::NonPositiveTotal { .. } => "NonPositiveTotal",
        ConformError::ClipDivisionByZero { .. } => "ClipDivisionByZero",
        ConformError::AllZero { .. } => "AllZero",
        ConformError::TooFewWeights { .. } => "TooFewWeights",
        ConformError::MaxWeightExceeded { .. } => "MaxWeightExceeded",
        ConformError::WeightSumOverflow { .. } => "WeightSumOverflow",
        _ => "unknown",
    }
}

/// Two float vectors are the same bits (NaN equal to NaN, -0.0 unequal to 0.0).
pub fn same_floats(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x.is_nan() && y.is_nan()) || x.to_bits() == y.to_bits())
}
