//! Yuma Consensus speed (issue 4): one epoch of the bit-exact fixed-point
//! port on subnets of 256 and 4096 uids, against the naive dense f64
//! rendition of the same epoch (`run_epoch_dense_f64`) measured in the same
//! run.
//!
//! The subnets are synthetic but shaped like real ones: 64 permitted
//! validators holding all the stake, each weighting every uid with
//! pseudo-random values, previous bonds present, liquid alpha off (the
//! default), Yuma3 on and off. Run with
//! `cargo bench -p arbiter --bench chain`.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a benchmark stops at the first broken assumption"
)]

mod timing;

use arbiter_host::chain::yuma::dense_f64::run_epoch_dense_f64;
use arbiter_host::chain::yuma::{EpochInputs, run_epoch};
use timing::{Row, measure_slow, report};

/// Validators in every synthetic subnet.
const VALIDATORS: u16 = 64;

/// A deterministic stream of u16s (xorshift), so every run measures the
/// same subnet.
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> u16 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 48) as u16
    }
}

/// A subnet of `n` uids, the first [`VALIDATORS`] of them staked validators.
fn subnet(n: u16, yuma3: bool) -> EpochInputs {
    let mut stream = Stream(0x9e37_79b9_7f4a_7c15 ^ u64::from(n));
    let rows = |stream: &mut Stream| -> Vec<Vec<(u16, u16)>> {
        (0..n)
            .map(|uid| {
                if uid < VALIDATORS {
                    (0..n).map(|j| (j, stream.next())).collect()
                } else {
                    Vec::new()
                }
            })
            .collect()
    };
    let weights = rows(&mut stream);
    let bonds_prev = rows(&mut stream);
    let n_usize = usize::from(n);
    EpochInputs {
        n,
        current_block: 10_000,
        tempo: 360,
        activity_cutoff_blocks: 5_000,
        last_update: vec![9_990; n_usize],
        block_at_registration: vec![1; n_usize],
        stake: (0..n)
            .map(|uid| {
                if uid < VALIDATORS {
                    1_000_000_000_000 + u64::from(stream.next()) * 1_000_000
                } else {
                    0
                }
            })
            .collect(),
        stake_threshold: 0,
        validator_permit_prev: (0..n).map(|uid| uid < VALIDATORS).collect(),
        max_allowed_validators: VALIDATORS,
        weights,
        bonds_prev,
        kappa: 32_767,
        bonds_penalty: 65_535,
        bonds_moving_average: 900_000,
        yuma3_enabled: yuma3,
        ..EpochInputs::default()
    }
}

fn main() {
    for n in [256, 4096] {
        for yuma3 in [false, true] {
            let inputs = subnet(n, yuma3);
            let runs = if n > 1000 { 5 } else { 30 };
            let dense = measure_slow(runs, || run_epoch_dense_f64(&inputs));
            let port = measure_slow(runs, || run_epoch(&inputs));
            report(
                &format!(
                    "Yuma epoch, {n} uids, {VALIDATORS} validators, {}",
                    if yuma3 { "Yuma3" } else { "Yuma2" }
                ),
                &[
                    Row {
                        name: "dense f64 (baseline)".into(),
                        time: dense,
                    },
                    Row {
                        name: "bit-exact fixed-point port".into(),
                        time: port,
                    },
                ],
                None,
            );
        }
    }
}
