//! The chain's own treatment of a submitted `u16` vector in `set_weights`
//! (subtensor `epoch/math.rs`: `vec_u16_max_upscale_to_u16` and
//! `check_vec_max_limited`), in `I32F32` from `substrate-fixed 0.6.0`.
//!
//! The chain does not trust the submitted scale: it max-upscales the values
//! again before storing them, and checks the max-weight limit on the upscaled
//! values. Both steps round in fixed point, so they are computed with the same
//! fixed-point type and operations as upstream to store the same bits.
//! The callers' exemptions (a single self-weight, `MaxWeightsLimit == 65535`)
//! belong to `set_weights`, not to these functions.

use substrate_fixed::types::I32F32;

use super::error::ConformError;

/// Max-upscale `u16` values so that the largest becomes 65535 (upstream
/// `vec_u16_max_upscale_to_u16`).
///
/// In `I32F32`, with `max` the largest value:
/// - `max == 0`: the values are returned unchanged (all zero);
/// - `max > 32768`: `round(v · (65535 / max))`;
/// - otherwise: `round(v · 65535 / max)`;
///
/// where products floor, quotients truncate and `round` takes ties away from
/// zero. An empty input gives an empty output. Zeros are kept in place.
pub fn max_upscale(values: &[u16]) -> Vec<u16> {
    let Some(&max) = values.iter().max() else {
        return Vec::new();
    };
    let u16_max = fixed(u16::MAX);
    let max = fixed(max);
    let to_u16 = |x: I32F32| x.saturating_to_num::<u16>();
    if max == fixed(0) {
        return values
            .iter()
            .map(|&v| to_u16(fixed(v).saturating_mul(u16_max)))
            .collect();
    }
    if max > fixed(32768) {
        let scale = safe_div(u16_max, max);
        return values
            .iter()
            .map(|&v| to_u16(fixed(v).saturating_mul(scale).round()))
            .collect();
    }
    values
        .iter()
        .map(|&v| to_u16(safe_div(fixed(v).saturating_mul(u16_max), max).round()))
        .collect()
}

/// Check that no value exceeds `max_weight_limit / 65535` of the sum (upstream
/// `check_vec_max_limited`), on the values as the chain stores them, i.e.
/// after [`max_upscale`].
///
/// Upstream normalises every value by the sum in `I32F32` (quotients
/// truncate) and compares the largest with `I32F32(limit) / I32F32(65535)`.
/// Truncated division is monotone, so normalising only the largest value gives
/// the same answer. Empty and all-zero vectors pass. A limit of 65535 passes
/// every vector.
///
/// # Errors
/// [`ConformError::MaxWeightExceeded`] when the check fails;
/// [`ConformError::WeightSumOverflow`] when the sum exceeds `I32F32`'s range
/// (more than 32768 values near 65535), where upstream's sum would overflow.
pub fn check_max_weight_limited(values: &[u16], max_weight_limit: u16) -> Result<(), ConformError> {
    let Some(&max_value) = values.iter().max() else {
        return Ok(());
    };
    let sum: u64 = values.iter().map(|&v| u64::from(v)).sum();
    let sum_fixed = i32::try_from(sum)
        .map(I32F32::saturating_from_num)
        .map_err(|_| ConformError::WeightSumOverflow {
            len: values.len(),
            sum,
        })?;
    let limit = safe_div(fixed(max_weight_limit), fixed(u16::MAX));
    // Upstream leaves an all-zero vector unnormalised; its max is 0, which is
    // also what `safe_div` by a zero sum gives.
    let largest = safe_div(fixed(max_value), sum_fixed);
    if largest <= limit {
        Ok(())
    } else {
        Err(ConformError::MaxWeightExceeded {
            max_value,
            sum,
            max_weight_limit,
        })
    }
}

/// A `u16` as `I32F32` (exact).
fn fixed(x: u16) -> I32F32 {
    I32F32::saturating_from_num(x)
}

/// Upstream `safe_div`: `checked_div`, or 0 on division by zero or overflow.
fn safe_div(a: I32F32, b: I32F32) -> I32F32 {
    a.checked_div(b).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The upstream upscale computed on raw `I32F32` bits with integers, as an
    /// independent check of the `substrate-fixed` calls above.
    fn reference_upscale(values: &[u16]) -> Vec<u16> {
        let max = values.iter().copied().max().map_or(0, u64::from);
        let round_to_u16 = |bits: u64| u16::try_from((bits + (1 << 31)) >> 32).unwrap_or(u16::MAX);
        values
            .iter()
            .map(|&v| {
                let v = u64::from(v);
                match max {
                    0 => 0,
                    // I32F32(65535) / I32F32(max) truncates, then v · that floors (exactly v · bits).
                    m if m > 32768 => round_to_u16(v * ((65535 << 32) / m)),
                    m => round_to_u16(((v * 65535) << 32) / m),
                }
            })
            .collect()
    }

    /// Upstream `check_vec_max_limited` on raw bits: normalise every value, take the max.
    fn reference_check(values: &[u16], limit: u16) -> bool {
        let sum: u128 = values.iter().map(|&v| u128::from(v)).sum();
        // I32F32 division: (a_bits << 32) / b_bits, truncated.
        let limit_bits = ((u128::from(limit) << 32) << 32) / (65535 << 32);
        let normalised = values.iter().map(|&v| {
            let bits = u128::from(v) << 32;
            if sum == 0 {
                bits
            } else {
                (bits << 32) / (sum << 32)
            }
        });
        normalised.max().is_none_or(|max| max <= limit_bits)
    }

    /// A small deterministic generator (xorshift64*), so tests need no dependency.
    struct Rng(u64);

    impl Rng {
        fn next_u16(&mut self) -> u16 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 48) as u16
        }

        fn below(&mut self, bound: u16) -> u16 {
            self.next_u16() % bound.max(1)
        }
    }

    #[test]
    fn upscale_matches_the_bit_level_reference_for_every_max() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for max in 0..=u16::MAX {
            let mut values = vec![max, 0, 1, max / 2, max.saturating_sub(1)];
            values.extend((0..8).map(|_| rng.below(max.saturating_add(1))));
            values.retain(|&v| v <= max);
            assert_eq!(
                max_upscale(&values),
                reference_upscale(&values),
                "max {max}"
            );
        }
    }

    #[test]
    fn upscale_rounds_ties_away_from_zero_and_truncates_the_scale() {
        // 1 · 65535 / 2 = 32767.5, a tie: away from zero.
        assert_eq!(max_upscale(&[1, 2]), vec![32768, 65535]);
        // Exactly half again, but above 32768 the scale 65535/max is truncated
        // first, so the product falls just short of the tie.
        assert_eq!(max_upscale(&[16633, 33266]), vec![32767, 65535]);
        // The SDK's output already has max 65535: the chain keeps it as is.
        assert_eq!(max_upscale(&[65535, 1, 32768]), vec![65535, 1, 32768]);
    }

    #[test]
    fn upscale_keeps_zeros_order_and_empty() {
        assert_eq!(max_upscale(&[]), Vec::<u16>::new());
        assert_eq!(max_upscale(&[0, 0, 0]), vec![0, 0, 0]);
        assert_eq!(max_upscale(&[3, 0, 1]), vec![65535, 0, 21845]);
    }

    #[test]
    fn check_matches_the_full_normalisation_reference() {
        let mut rng = Rng(42);
        for round in 0..20_000_u32 {
            let len = usize::from(rng.below(12)) + 1;
            let ceiling = if round % 2 == 0 { u16::MAX } else { 8 };
            let values: Vec<u16> = (0..len).map(|_| rng.below(ceiling)).collect();
            let limit = rng.next_u16();
            assert_eq!(
                check_max_weight_limited(&values, limit).is_ok(),
                reference_check(&values, limit),
                "{values:?} limit {limit}"
            );
        }
    }

    #[test]
    fn check_boundaries() {
        assert_eq!(check_max_weight_limited(&[], 0), Ok(()));
        assert_eq!(check_max_weight_limited(&[0, 0], 0), Ok(()));
        assert_eq!(check_max_weight_limited(&[65535; 3], u16::MAX), Ok(()));
        // 1/2 is exactly 32767.5/65535: limit 32767 is just below, 32768 just above.
        assert!(check_max_weight_limited(&[1, 1], 32767).is_err());
        assert_eq!(check_max_weight_limited(&[1, 1], 32768), Ok(()));
        assert_eq!(
            check_max_weight_limited(&[65535, 65535, 65535, 65535], 16383),
            Err(ConformError::MaxWeightExceeded {
                max_value: 65535,
                sum: 262_140,
                max_weight_limit: 16383,
            })
        );
    }

    #[test]
    fn check_refuses_sums_beyond_i32f32_instead_of_overflowing() {
        // 32768 · 65535 = 2147450880 still fits; one more value does not.
        let fits = vec![u16::MAX; 32768];
        assert_eq!(check_max_weight_limited(&fits, u16::MAX), Ok(()));
        let mut too_many = fits;
        too_many.push(u16::MAX);
        assert_eq!(
            check_max_weight_limited(&too_many, u16::MAX),
            Err(ConformError::WeightSumOverflow {
                len: 32769,
                sum: 2_147_516_415,
            })
        );
    }

    #[test]
    fn huge_vectors_are_handled() {
        let values: Vec<u16> = (0..1_000_000_u32).map(|i| (i % 65536) as u16 / 2).collect();
        let stored = max_upscale(&values);
        assert_eq!(stored.len(), values.len());
        assert_eq!(stored.iter().max(), Some(&u16::MAX));
        assert!(matches!(
            check_max_weight_limited(&stored, 1000),
            Err(ConformError::WeightSumOverflow { len: 1_000_000, .. })
        ));
    }

    #[test]
    fn error_messages_name_the_rule_and_numbers() {
        let exceeded = check_max_weight_limited(&[65535, 1], 32767)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            exceeded.as_deref(),
            Some(
                "max weight exceeded: largest value 65535 of sum 65536 is above max_weight_limit 32767/65535 (I32F32)"
            )
        );
    }
}
