//! A seeded, portable pseudo-random number generator: xoshiro256\*\*.
//!
//! A mechanism must draw the same numbers on every validator, natively and in
//! WebAssembly, and in every language an SDK exists for. So the generator is
//! fixed (xoshiro256\*\*, Blackman and Vigna, 2018), seeded only from the
//! 32-byte seed the host derives for each call, and every derived operation
//! (bounded integers, floats, shuffles, samples) is a fixed sequence of
//! integer steps; the exact algorithms are in `ALGORITHMS.md` §1. There is no
//! `Default`, no OS entropy and no thread-local state: an `Rng` is always built
//! from a seed.
//!
//! Golden values: for the seed `[0, 1, 2, …, 31]` the first three outputs of
//! [`Rng::next_u64`] are `0xbc258ef861cb354d`, `0x258ef861cb349eb5` and
//! `0x013c0ee1b61e1c2d`.
//!
//! ```
//! # use arbiter_sdk::rng::Rng;
//! let mut seed = [0u8; 32];
//! seed.iter_mut().zip(0u8..).for_each(|(b, i)| *b = i);
//! let mut rng = Rng::from_seed(&seed);
//! assert_eq!(rng.next_u64(), 0xbc25_8ef8_61cb_354d);
//! ```

use std::collections::BTreeMap;

/// The splitmix64 increment (the golden ratio scaled to 64 bits).
const SPLITMIX_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// 2^-53: turns a 53-bit integer into a float in [0, 1) exactly.
const F64_UNIT: f64 = 1.0 / 9_007_199_254_740_992.0;

/// A xoshiro256\*\* generator. Cloning it forks the stream: both copies then
/// produce the same numbers.
///
/// ```
/// # use arbiter_sdk::rng::Rng;
/// let mut a = Rng::from_seed(&[7; 32]);
/// let mut b = a.clone();
/// assert_eq!(a.next_u64(), b.next_u64());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    state: [u64; 4],
}

impl Rng {
    /// Builds a generator from a 32-byte seed: state word `i` is the
    /// little-endian `u64` in seed bytes `8i..8i+8`. The all-zero state is a
    /// fixed point of xoshiro, so an all-zero seed is replaced by four
    /// successive splitmix64 outputs starting from splitmix state 0.
    ///
    /// ```
    /// # use arbiter_sdk::rng::Rng;
    /// let mut rng = Rng::from_seed(&[0; 32]);
    /// assert_eq!(rng.next_u64(), 0x99ec_5f36_cb75_f2b4);
    /// ```
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let (words, _) = seed.as_chunks::<8>();
        let mut state = [0u64; 4];
        for (word, bytes) in state.iter_mut().zip(words) {
            *word = u64::from_le_bytes(*bytes);
        }
        if state == [0; 4] {
            let mut splitmix = 0u64;
            for word in &mut state {
                *word = splitmix64(&mut splitmix);
            }
        }
        Self { state }
    }

    /// The next 64 uniformly distributed bits.
    ///
    /// ```
    /// # use arbiter_sdk::rng::Rng;
    /// let mut rng = Rng::from_seed(b"a seed the host derives per call");
    /// let first = rng.next_u64();
    /// assert_ne!(first, rng.next_u64());
    /// ```
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A float uniformly distributed in `[0, 1)` on the grid of multiples of
    /// 2^-53: `(next_u64() >> 11) · 2^-53`, which is exact. One draw.
    ///
    /// ```
    /// # use arbiter_sdk::rng::Rng;
    /// let x = Rng::from_seed(&[2; 32]).next_f64();
    /// assert!((0.0..1.0).contains(&x));
    /// ```
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * F64_UNIT
    }

    /// A uniformly distributed integer in `[0, n)`, without modulo bias: with
    /// `threshold = (2^64 − n) mod n`, draw until `x ≥ threshold`, return
    /// `x mod n`. Each call draws at least once (`n = 1` draws once and
    /// returns 0), except `n = 0`: an empty range returns 0 without drawing.
    ///
    /// ```
    /// # use arbiter_sdk::rng::Rng;
    /// let mut rng = Rng::from_seed(&[3; 32]);
    /// assert!(rng.below(6) < 6);
    /// assert_eq!(rng.below(0), 0);
    /// ```
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let threshold = n.wrapping_neg() % n;
        loop {
            let x = self.next_u64();
            if x >= threshold {
                return x % n;
            }
        }
    }

    /// A uniformly distributed integer in the half-open range `[lo, hi)`:
    /// `lo + below(hi − lo)`. An empty range (`hi ≤ lo`) returns `lo` without
    /// drawing.
    ///
    /// ```
    /// # use arbiter_sdk::rng::Rng;
    /// let mut rng = Rng::from_seed(&[4; 32]);
    /// assert!((10..20).contains(&rng.range(10, 20)));
    /// assert_eq!(rng.range(5, 5), 5);
    /// ```
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below(hi - lo)
    }

    /// Shuffles `items` in place with Fisher–Yates from the end: for `i` from
    /// `len − 1` down to 1, swap `items[i]` with `items[below(i + 1)]`. Draws
    /// `len − 1` bounded integers (none for zero or one item).
    ///
    /// ```
    /// # use arbiter_sdk::rng::Rng;
    /// let mut items = [1, 2, 3, 4];
    /// Rng::from_seed(&[5; 32]).shuffle(&mut items);
    /// items.sort();
    /// assert_eq!(items, [1, 2, 3, 4]);
    /// ```
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// `k` distinct indices drawn uniformly from `0..n`, in draw order. It is
    /// the first `k` entries of a forward partial Fisher–Yates over
    /// `a = [0, 1, …, n − 1]`: for `i` in `0..k`, `j = i + below(n − i)`, swap
    /// `a[i]` and `a[j]`; the result is `a[0..k]`. `k` larger than `n` is
    /// clamped to `n` (a random permutation of `0..n`, which is not the same
    /// permutation [`Rng::shuffle`] gives). Memory is O(k) whatever `n` is.
    ///
    /// ```
    /// # use arbiter_sdk::rng::Rng;
    /// let picks = Rng::from_seed(&[6; 32]).sample(1_000_000, 3);
    /// assert_eq!(picks.len(), 3);
    /// assert!(picks.iter().all(|&i| i < 1_000_000));
    /// ```
    pub fn sample(&mut self, n: usize, k: usize) -> Vec<usize> {
        let k = k.min(n);
        let mut picked = Vec::with_capacity(k);
        // The entries of `a` that differ from their index; positions below
        // `i` are never read again, so their entries are dropped.
        let mut moved = BTreeMap::new();
        for i in 0..k {
            let j = i + self.below((n - i) as u64) as usize;
            let at_i = moved.remove(&i).unwrap_or(i);
            let at_j = if j == i {
                at_i
            } else {
                moved.insert(j, at_i).unwrap_or(j)
            };
            picked.push(at_j);
        }
        picked
    }

    /// A uniformly chosen element: `items[below(len)]`, or `None` without
    /// drawing when `items` is empty.
    ///
    /// ```
    /// # use arbiter_sdk::rng::Rng;
    /// let mut rng = Rng::from_seed(&[8; 32]);
    /// assert!(rng.choose(&["a", "b"]).is_some());
    /// assert_eq!(rng.choose::<u8>(&[]), None);
    /// ```
    pub fn choose<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        // `below(0)` returns 0 without drawing, so an empty slice draws nothing.
        items.get(self.below(items.len() as u64) as usize)
    }
}

/// One splitmix64 step (Steele, Lea and Flood, 2014): advance `state` by the
/// gamma, then mix it.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(SPLITMIX_GAMMA);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed `[0, 1, …, 31]` used by every golden value.
    fn counting_seed() -> [u8; 32] {
        let mut seed = [0u8; 32];
        seed.iter_mut().zip(0u8..).for_each(|(b, i)| *b = i);
        seed
    }

    fn counting_rng() -> Rng {
        Rng::from_seed(&counting_seed())
    }

    #[test]
    fn golden_outputs_for_the_counting_seed() {
        let mut rng = counting_rng();
        let outputs: Vec<u64> = (0..6).map(|_| rng.next_u64()).collect();
        assert_eq!(
            outputs,
            [
                0xbc25_8ef8_61cb_354d,
                0x258e_f861_cb34_9eb5,
                0x013c_0ee1_b61e_1c2d,
                0x60e9_8016_51ad_191d,
                0x76bc_d2d5_a42e_1c5d,
                0x8998_3c77_dad1_1265,
            ]
        );
    }

    #[test]
    fn seed_words_are_little_endian() {
        assert_eq!(
            counting_rng().state,
            [
                0x0706_0504_0302_0100,
                0x0f0e_0d0c_0b0a_0908,
                0x1716_1514_1312_1110,
                0x1f1e_1d1c_1b1a_1918,
            ]
        );
    }

    #[test]
    fn zero_seed_is_expanded_with_splitmix64() {
        let mut rng = Rng::from_seed(&[0; 32]);
        assert_eq!(
            rng.state,
            [
                0xe220_a839_7b1d_cdaf,
                0x6e78_9e6a_a1b9_65f4,
                0x06c4_5d18_8009_454f,
                0xf88b_b8a8_724c_81ec,
            ]
        );
        let outputs: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(
            outputs,
            [
                0x99ec_5f36_cb75_f2b4,
                0xbf6e_1f78_4956_452a,
                0x1a5f_849d_4933_e6e0
            ]
        );
    }

    #[test]
    fn a_single_nonzero_byte_is_not_expanded() {
        let mut seed = [0u8; 32];
        seed[31] = 0x80;
        assert_eq!(
            Rng::from_seed(&seed).state,
            [0, 0, 0, 0x8000_0000_0000_0000]
        );
    }

    #[test]
    fn golden_floats() {
        let mut rng = counting_rng();
        let floats: Vec<f64> = (0..3).map(|_| rng.next_f64()).collect();
        assert_eq!(
            floats,
            [0.7349480968858131, 0.146712802768166, 0.004822664361306628]
        );
    }

    #[test]
    fn float_extremes() {
        // The all-ones word gives the largest float below 1.
        assert_eq!((u64::MAX >> 11) as f64 * F64_UNIT, 1.0 - f64::EPSILON / 2.0);
        assert_eq!(F64_UNIT, 2f64.powi(-53));
    }

    #[test]
    fn golden_below_shuffle_and_sample() {
        let mut rng = counting_rng();
        let below: Vec<u64> = (0..10).map(|_| rng.below(10)).collect();
        assert_eq!(below, [5, 3, 5, 7, 5, 9, 2, 1, 4, 1]);

        let mut items: Vec<u32> = (0..10).collect();
        counting_rng().shuffle(&mut items);
        assert_eq!(items, [6, 3, 2, 0, 4, 1, 7, 8, 9, 5]);

        assert_eq!(counting_rng().sample(100, 5), [45, 69, 21, 46, 65]);
    }

    #[test]
    fn below_zero_and_one() {
        let mut rng = counting_rng();
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng, counting_rng(), "below(0) must not draw");
        assert_eq!(rng.below(1), 0);
        assert_ne!(rng, counting_rng(), "below(1) draws once");
    }

    #[test]
    fn below_rejects_the_biased_tail() {
        // For n = 2^63 + 1 the threshold is 2^63 − 1: almost half the draws
        // are rejected, and the accepted ones still land in range.
        let n = (1u64 << 63) + 1;
        assert_eq!(n.wrapping_neg() % n, (1u64 << 63) - 1);
        let mut rng = counting_rng();
        for _ in 0..1000 {
            assert!(rng.below(n) < n);
        }
        assert!(rng.below(u64::MAX) < u64::MAX);
    }

    #[test]
    fn below_is_roughly_uniform() {
        let mut rng = counting_rng();
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            counts[rng.below(6) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_500..10_500).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn range_edges() {
        let mut rng = counting_rng();
        assert_eq!(rng.range(9, 3), 9);
        assert_eq!(rng.range(u64::MAX, u64::MAX), u64::MAX);
        assert_eq!(rng, counting_rng(), "empty ranges must not draw");
        assert_eq!(rng.range(4, 5), 4);
        assert!(rng.range(0, u64::MAX) < u64::MAX);
        let x = rng.range(u64::MAX - 2, u64::MAX);
        assert!(x == u64::MAX - 2 || x == u64::MAX - 1);
    }

    #[test]
    fn shuffle_short_slices_do_not_draw() {
        let mut rng = counting_rng();
        rng.shuffle::<u8>(&mut []);
        rng.shuffle(&mut [1]);
        assert_eq!(rng, counting_rng());
    }

    /// The dense reference of `sample`, exactly as documented.
    fn dense_sample(rng: &mut Rng, n: usize, k: usize) -> Vec<usize> {
        let mut a: Vec<usize> = (0..n).collect();
        for i in 0..k.min(n) {
            let j = i + rng.below((n - i) as u64) as usize;
            a.swap(i, j);
        }
        a.truncate(k.min(n));
        a
    }

    #[test]
    fn sample_matches_the_dense_partial_fisher_yates() {
        let mut sizes = counting_rng();
        for _ in 0..300 {
            let n = sizes.below(40) as usize;
            let k = sizes.below(45) as usize;
            let mut seed = [0u8; 32];
            seed.iter_mut().for_each(|b| *b = sizes.below(256) as u8);
            let sparse = Rng::from_seed(&seed).sample(n, k);
            assert_eq!(sparse, dense_sample(&mut Rng::from_seed(&seed), n, k));
            let mut sorted = sparse.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), k.min(n), "indices must be distinct");
        }
    }

    #[test]
    fn sample_edges() {
        let mut rng = counting_rng();
        assert!(rng.sample(0, 5).is_empty());
        assert!(rng.sample(5, 0).is_empty());
        assert_eq!(rng, counting_rng(), "nothing to pick draws nothing");
        assert_eq!(rng.sample(1, 3), [0]);
        let mut all = rng.sample(10, 100);
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        // A huge population costs memory proportional to k only.
        let huge = rng.sample(usize::MAX, 4);
        assert_eq!(huge.len(), 4);
    }

    #[test]
    fn choose_golden_and_empty() {
        let mut rng = counting_rng();
        assert_eq!(rng.choose::<u8>(&[]), None);
        assert_eq!(rng, counting_rng(), "choosing from nothing draws nothing");
        let letters = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
        // The same draws as `below(10)` above: 5, 3, 5.
        let picks: Vec<char> = (0..3)
            .filter_map(|_| rng.choose(&letters).copied())
            .collect();
        assert_eq!(picks, ['f', 'd', 'f']);
    }
}
