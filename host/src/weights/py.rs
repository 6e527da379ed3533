//! The Python float semantics the SDK's weight code relies on, where Rust's own
//! operators or library functions would behave differently.
//!
//! Plain `+`, `-`, `*` and `/` on two floats are IEEE-754 in both languages and
//! need nothing here. What differs is `sum()` (compensated since CPython 3.12),
//! division by zero (an exception in Python), `min()` (order-dependent with
//! NaN), `round()` (ties to even), `sorted()` (which never fails on NaN) and
//! integer-to-float promotion.

use std::cmp::Ordering;

/// Python's built-in `sum()` over floats, as CPython ≥ 3.12 computes it.
///
/// The int start value 0 is added to the first item plainly, then the rest
/// are accumulated with Neumaier's compensated summation, and the compensation
/// is added at the end only when it is nonzero and finite (so an infinite sum is
/// not turned into NaN). CPython 3.10 and 3.11 — which the SDK also supports —
/// add left to right without compensation, and can differ in the last bit.
pub(super) fn sum(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut values = values.into_iter();
    let Some(first) = values.next() else {
        return 0.0;
    };
    let mut total = 0.0 + first;
    let mut compensation = 0.0;
    for x in values {
        let t = total + x;
        if total.abs() >= x.abs() {
            compensation += (total - t) + x;
        } else {
            compensation += (x - t) + total;
        }
        total = t;
    }
    if compensation != 0.0 && compensation.is_finite() {
        total + compensation
    } else {
        total
    }
}

/// Python's `a / b` on floats: `None` where Python raises `ZeroDivisionError`
/// (a zero divisor of either sign, whatever the dividend, even NaN).
pub(super) fn div(a: f64, b: f64) -> Option<f64> {
    (b != 0.0).then(|| a / b)
}

/// Python's `min(a, b)`: `b` only if `b < a`, so a NaN `b` yields `a`.
pub(super) fn min(a: f64, b: f64) -> f64 {
    if b < a { b } else { a }
}

/// Python's `round(x)` on a float: to the nearest integer, ties to even.
pub(super) fn round(x: f64) -> f64 {
    x.round_ties_even()
}

/// Python's promotion of an `int` to `float` in mixed arithmetic; exact for
/// every length a slice can have below 2^53.
pub(super) fn int(n: usize) -> f64 {
    n as f64
}

/// Python's `list.sort()` on the normalised weights of the max-weight clip.
///
/// Without NaN it is a stable ascending sort in which `-0.0` and `0.0` compare
/// equal, exactly Python's order. Python's `<` is false whenever a NaN is
/// involved, and in the clip a NaN appears only when the weights sum to +inf
/// (every other value is then ±0) or to NaN (every value is NaN): no pair
/// compares less, timsort finds one ascending run, and the list stays as it
/// is. So a list holding a NaN is left unchanged.
pub(super) fn sort(values: &mut [f64]) {
    if values.iter().any(|v| v.is_nan()) {
        return;
    }
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sum_is_compensated_like_cpython_312() {
        // CPython 3.12: sum([0.1] * 10) == 1.0; 3.11 gives 0.9999999999999999.
        assert_eq!(sum([0.1; 10]), 1.0);
        // sum([1e100, 1.0, -1e100]) == 1.0 on 3.12 (0.0 on 3.11).
        assert_eq!(sum([1e100, 1.0, -1e100]), 1.0);
        assert_eq!(sum([]), 0.0);
        // The int start makes a lone -0.0 come back as 0.0.
        assert!(sum([-0.0]).is_sign_positive());
    }

    #[test]
    fn sum_keeps_infinities() {
        // The compensation becomes NaN here; CPython does not add it.
        assert_eq!(sum([f64::NEG_INFINITY, 1.0]), f64::NEG_INFINITY);
        assert_eq!(sum([f64::INFINITY, f64::INFINITY]), f64::INFINITY);
        assert!(sum([f64::INFINITY, f64::NEG_INFINITY]).is_nan());
        assert!(sum([1.0, f64::NAN]).is_nan());
    }

    #[test]
    fn division_by_zero_is_refused_like_python() {
        assert_eq!(div(1.0, 4.0), Some(0.25));
        assert_eq!(div(1.0, 0.0), None);
        assert_eq!(div(f64::NAN, -0.0), None);
        assert!(div(1.0, f64::NAN).is_some_and(f64::is_nan));
    }

    #[test]
    fn min_and_round_follow_python() {
        assert!(min(f64::NAN, 1.0).is_nan());
        assert_eq!(min(1.0, f64::NAN), 1.0);
        assert_eq!(min(2.0, 1.0), 1.0);
        assert_eq!(round(0.5), 0.0);
        assert_eq!(round(1.5), 2.0);
        assert_eq!(round(2.5), 2.0);
        assert_eq!(round(32767.5), 32768.0);
    }

    #[test]
    fn sort_is_stable_on_signed_zeros() {
        let mut values = [0.5, -0.0, 0.0, -1.0];
        sort(&mut values);
        assert_eq!(values[0], -1.0);
        assert!(values[1] == 0.0 && values[1].is_sign_negative());
        assert!(values[2] == 0.0 && values[2].is_sign_positive());
        assert_eq!(values[3], 0.5);
    }

    #[test]
    fn sort_keeps_a_list_with_nan_as_python_does() {
        // sorted([0.0, nan, -0.0]) == [0.0, nan, -0.0] in CPython.
        let mut values = [0.0, f64::NAN, -0.0];
        sort(&mut values);
        assert!(values[0] == 0.0 && values[0].is_sign_positive());
        assert!(values[1].is_nan());
        assert!(values[2] == 0.0 && values[2].is_sign_negative());
    }
}
