//! Bit-exact I32F32 primitives: the operations of `substrate_fixed` 0.6.0 that the epoch
//! uses (division, multiplication, `exp`), the u16 proportion conversions of upstream
//! `epoch/math.rs`, and the constants they share.
//!
//! Why not call the library directly everywhere: its I32F32 division and multiplication
//! go through i128 arithmetic with generic overflow handling, and its `exp` divides by
//! the term index in i128 thirty times, which made liquid alpha dominate an epoch. Each
//! function here computes the *same bits* on a cheaper path (and falls back to the
//! library where the shortcut does not apply); the tests below compare them with the
//! library on hundreds of thousands of operands, edge cases and overflows included.

use substrate_fixed::transcendental::E;
use substrate_fixed::types::I32F32;

/// 0 as I32F32.
pub const ZERO: I32F32 = I32F32::from_bits(0);
/// 1 as I32F32.
pub const ONE: I32F32 = I32F32::from_bits(1 << 32);
/// 65 535 (`u16::MAX`) as I32F32: the scale of u16 proportions.
const U16_MAX: I32F32 = I32F32::from_bits(0xFFFF << 32);
/// `exp_safe` clamps its argument to [−20, 20].
const EXP_MIN_INPUT: I32F32 = I32F32::from_bits(-20 << 32);
/// Upper clamp of `exp_safe`.
const EXP_MAX_INPUT: I32F32 = I32F32::from_bits(20 << 32);

/// `a / b` truncated toward zero; 0 if `b` is 0 or the quotient overflows (upstream
/// `safe_div`, i.e. `checked_div(..).unwrap_or_default()`).
///
/// `checked_div` computes `(a << 32) / b` in i128. For the common case `0 ≤ a < 1`,
/// `b > 0` that numerator fits a u64, and the u64 quotient is the same number, so it is
/// taken there; a quotient of 2^63 or more is the same overflow `checked_div` reports.
pub fn safe_div(a: I32F32, b: I32F32) -> I32F32 {
    let (x, y) = (a.to_bits(), b.to_bits());
    if (0..1_i64 << 32).contains(&x) && y > 0 {
        let quotient = (x.unsigned_abs() << 32) / y.unsigned_abs();
        return i64::try_from(quotient).map_or(ZERO, I32F32::from_bits);
    }
    a.checked_div(b).unwrap_or(ZERO)
}

/// A divisor prepared for many [`safe_div`]s by the same value (normalising a vector, a
/// row or a column), with the same results.
///
/// For `a ≥ 0` and `b > 0`, `safe_div` is the quotient `(a·2^32) / b`. With `k` = the
/// trailing zero bits of `b`, at most 32, that equals `(a·2^(32−k)) / (b / 2^k)`, whose
/// numerator fits a u64 whenever `a < 2^(32+k)`: every proportion, and every raw u16
/// weight divided by an integer row sum. That quotient is taken with a multiply and two
/// shifts (Granlund & Montgomery 1994, fig. 4.1, exact for every u64 numerator and
/// divisor); other numerators, and non-positive divisors, use `checked_div`.
#[derive(Debug, Clone, Copy)]
pub struct Divisor {
    value: I32F32,
    /// Largest numerator bit pattern taken on the fast path (0 for a divisor ≤ 0, where
    /// only the numerator 0 is, and its quotient 0 is right whatever the divisor).
    max_fast: u64,
    /// Granlund–Montgomery multiplier `m'` for `b / 2^k`.
    magic: u64,
    /// Their shifts `sh1` and `sh2`, and the numerator's pre-shift `32 − k`.
    shifts: (u32, u32, u32),
}

impl Divisor {
    /// Prepares division by `value`.
    pub fn new(value: I32F32) -> Self {
        let Some(b) = u64::try_from(value.to_bits()).ok().filter(|b| *b > 0) else {
            return Self {
                value,
                max_fast: 0,
                magic: 0,
                shifts: (0, 0, 0),
            };
        };
        let k = b.trailing_zeros().min(32);
        let d = b >> k;
        let l = 64 - (d - 1).leading_zeros();
        // 2^l − d < d, so the quotient is below 2^64.
        let magic = ((((1_u128 << l) - u128::from(d)) << 64) / u128::from(d) + 1) as u64;
        let max_fast = if k == 32 {
            i64::MAX.unsigned_abs()
        } else {
            (1_u64 << (32 + k)) - 1
        };
        Self {
            value,
            max_fast,
            magic,
            shifts: (l.min(1), l.saturating_sub(1), 32 - k),
        }
    }

    /// `safe_div(a, value)`.
    pub fn divide(&self, a: I32F32) -> I32F32 {
        // A negative `a` reinterprets as a value above every `max_fast`.
        let x = a.to_bits().cast_unsigned();
        if x <= self.max_fast {
            let (sh1, sh2, pre_shift) = self.shifts;
            let n = x << pre_shift;
            let t1 = ((u128::from(self.magic) * u128::from(n)) >> 64) as u64;
            let quotient = (t1 + ((n - t1) >> sh1)) >> sh2;
            return i64::try_from(quotient).map_or(ZERO, I32F32::from_bits);
        }
        a.checked_div(self.value).unwrap_or(ZERO)
    }
}

/// `a · b` floored, `None` outside the I32F32 range: `checked_mul`'s result. The library
/// multiplies `a` by `b·2^32` in i128 and reports that product's overflow; the same
/// condition is the floored `a·b / 2^32` leaving i64, tested here on a single 64×64-bit
/// product, which is several times cheaper.
pub fn checked_mul(a: I32F32, b: I32F32) -> Option<I32F32> {
    let product = (i128::from(a.to_bits()) * i128::from(b.to_bits())) >> 32;
    i64::try_from(product).ok().map(I32F32::from_bits)
}

/// `a · b` floored, saturated to the I32F32 range (upstream `saturating_mul`).
pub fn saturating_mul(a: I32F32, b: I32F32) -> I32F32 {
    checked_mul(a, b).unwrap_or_else(|| {
        if (a.to_bits() < 0) != (b.to_bits() < 0) {
            I32F32::min_value()
        } else {
            I32F32::max_value()
        }
    })
}

/// `x > 0`, on the raw bits: the same answer as I32F32's `PartialOrd`, which goes through
/// a generic cross-type comparison and is slow in hot loops.
pub fn is_positive(x: I32F32) -> bool {
    x.to_bits() > 0
}

/// `I32F32(x)`, the raw value of a u16 (upstream `u16_to_fixed`): how weights and
/// Yuma2 bonds are loaded.
pub fn u16_to_fixed(x: u16) -> I32F32 {
    I32F32::saturating_from_num(x)
}

/// `I32F32(x) / 65535`, truncated (upstream `u16_proportion_to_fixed`, and
/// `fixed_to_fixed_u16_proportion` applied to a loaded u16). Both operands carry the
/// factor 2^32, so the quotient `x·2^64 / (65535·2^32)` is `x·2^32 / 65535` in i64.
pub fn u16_proportion_to_fixed(x: u16) -> I32F32 {
    I32F32::from_bits((i64::from(x) << 32) / 65535)
}

/// `trunc(x · 65535)` saturated to u16 (upstream `fixed_proportion_to_u16`): 0.99999… maps
/// to 65534, which is why a "full" validator trust is often stored as 65534.
pub fn fixed_proportion_to_u16(x: I32F32) -> u16 {
    saturating_mul(x, U16_MAX).saturating_to_num::<u16>()
}

/// `exp` of `substrate_fixed` with the argument clamped to [−20, 20]; 0 or
/// `I32F32::MAX` when the series overflows (upstream `exp_safe`).
pub fn exp_safe(input: I32F32) -> I32F32 {
    let clamped = input.max(EXP_MIN_INPUT).min(EXP_MAX_INPUT);
    exp(clamped).unwrap_or_else(|| {
        if clamped <= ZERO {
            ZERO
        } else {
            I32F32::max_value()
        }
    })
}

/// `substrate_fixed::transcendental::exp::<I32F32, I32F32>`, step for step: `exp(0) = 1`,
/// `exp(1) = e` as the library's I9F23 constant, otherwise on `|x|` the series
/// `1 + x + Σ_{i=2}^{31} t_i` with `t_i = (t_{i−1}·x) / i`, each product floored and each
/// quotient truncated, `None` where the library errs; negative `x` gives `1 / exp(|x|)`.
///
/// Faster than the library because all terms are non-negative: the product is a u128
/// multiply whose overflow test (result ≥ 2^63) is exactly the library's i128 one, and
/// `(t·2^32) / (i·2^32)` is the integer `t / i`, which the unrolled loop divides by
/// constants. The test `exp_matches_substrate_fixed_exp` checks it against the library.
fn exp(x: I32F32) -> Option<I32F32> {
    if x == ZERO {
        return Some(ONE);
    }
    if x == ONE {
        return Some(I32F32::from(E));
    }
    let operand = x.to_bits().checked_abs()?.unsigned_abs();
    let mut result = i64::try_from(operand).ok()?.checked_add(ONE.to_bits())?;
    let mut term = operand;
    macro_rules! add_terms {
        ($($i:literal)*) => {$(
            let product = (u128::from(term) * u128::from(operand)) >> 32;
            term = u64::try_from(product).ok().filter(|t| *t <= i64::MAX.unsigned_abs())? / $i;
            result = result.checked_add(i64::try_from(term).ok()?)?;
        )*};
    }
    add_terms!(2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31);
    let result = I32F32::from_bits(result);
    if x < ZERO {
        ONE.checked_div(result)
    } else {
        Some(result)
    }
}

#[cfg(test)]
mod tests {
    //! The fast paths above must give the library's bits exactly.
    use super::*;

    /// Deterministic xorshift64 bit patterns.
    fn patterns(mut seed: u64, count: usize) -> Vec<u64> {
        (0..count)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed
            })
            .collect()
    }

    #[test]
    fn exp_matches_substrate_fixed_exp() {
        let library = |x: I32F32| substrate_fixed::transcendental::exp::<I32F32, I32F32>(x).ok();
        let range = 41_i64 << 32; // [-20.5, 20.5)
        let mut inputs: Vec<I32F32> = patterns(7, 200_000)
            .into_iter()
            .map(|p| I32F32::from_bits((p % range.unsigned_abs()) as i64 - range / 2))
            .collect();
        for bits in [
            0,
            1,
            -1,
            1 << 32,
            -(1 << 32),
            1 << 31,
            -(1 << 31),
            20 << 32,
            -20 << 32,
        ] {
            inputs.push(I32F32::from_bits(bits));
        }
        for k in -2000..=2000 {
            inputs.push(I32F32::from_bits(k << 28)); // multiples of 1/16
        }
        for x in inputs {
            assert_eq!(exp(x), library(x), "exp({x})");
        }
        // Outside the clamp the library overflows; so must the port.
        for x in [
            I32F32::from_num(22),
            I32F32::from_num(30),
            I32F32::max_value(),
        ] {
            assert_eq!(exp(x), library(x), "exp({x})");
        }
    }

    #[test]
    fn safe_div_matches_checked_div() {
        let values = patterns(11, 40_000);
        for pair in values.chunks(2) {
            let [p, q] = pair else { continue };
            for (a, b) in [
                ((p % (1 << 32)) as i64, (q % (1 << 40)) as i64),
                ((p % (1 << 32)) as i64, (q % 64) as i64),
                (*p as i64, *q as i64),
                ((p % (1 << 50)) as i64, (q % (1 << 34)) as i64 + 1),
            ] {
                let (a, b) = (I32F32::from_bits(a), I32F32::from_bits(b));
                assert_eq!(
                    safe_div(a, b),
                    a.checked_div(b).unwrap_or_default(),
                    "{a} / {b}"
                );
            }
        }
    }

    #[test]
    fn divisor_matches_checked_div() {
        let values = patterns(13, 20_000);
        let mut divisors: Vec<i64> = vec![1, 2, 3, 5, 7, 255, 65535, 1 << 32, (1 << 32) + 1];
        divisors.extend([
            i64::MAX,
            i64::MAX - 1,
            1 << 62,
            (1 << 62) + 1,
            -1,
            -(1 << 32),
            0,
        ]);
        divisors.extend([65535 << 32, 3 << 40, 1 << 63 >> 1, 7 << 33]);
        for (i, p) in values.iter().take(3_000).enumerate() {
            // Mixed magnitudes and trailing zeros, including integers (≥ 32 zeros).
            let d = ((p >> (i % 40)) as i64 >> 1).max(1) << (i % 45);
            divisors.push(d.max(1));
        }
        let numerators: Vec<i64> = values
            .iter()
            .enumerate()
            .map(|(i, p)| match i % 4 {
                0 => (p % (1 << 32)) as i64,
                1 => (p >> 1) as i64,
                2 => ((p % 65536) << 32) as i64,
                _ => (p >> (1 + i % 63)) as i64,
            })
            .chain([0, 1, (1 << 32) - 1, 1 << 32, -5, 1 << 40, i64::MAX])
            .collect();
        for d in divisors {
            let divisor = Divisor::new(I32F32::from_bits(d));
            for &a in &numerators {
                let (a, b) = (I32F32::from_bits(a), I32F32::from_bits(d));
                assert_eq!(
                    divisor.divide(a),
                    a.checked_div(b).unwrap_or_default(),
                    "{a} / {b}"
                );
            }
        }
    }

    #[test]
    fn multiplication_matches_the_library() {
        let values = patterns(17, 60_000);
        let mut operands: Vec<i64> = vec![0, 1, -1, 1 << 32, -(1 << 32), i64::MAX, i64::MIN];
        operands.extend(values.iter().map(|p| *p as i64));
        operands.extend(values.iter().map(|p| (p % (1 << 40)) as i64 - (1 << 39)));
        operands.extend(values.iter().map(|p| (p % (1 << 33)) as i64));
        for pair in operands.chunks(2) {
            let [a, b] = pair else { continue };
            for (a, b) in [(*a, *b), (*a, *a), (*b, 1 << 32), (*a >> 16, *b >> 16)] {
                let (a, b) = (I32F32::from_bits(a), I32F32::from_bits(b));
                assert_eq!(checked_mul(a, b), a.checked_mul(b), "{a} * {b}");
                assert_eq!(saturating_mul(a, b), a.saturating_mul(b), "{a} * {b}");
            }
        }
    }

    #[test]
    fn u16_proportion_matches_division_by_65535() {
        for x in 0..=u16::MAX {
            let reference = I32F32::from_num(x)
                .checked_div(I32F32::from_num(u16::MAX))
                .unwrap_or_default();
            assert_eq!(u16_proportion_to_fixed(x), reference, "{x}");
        }
    }
}
