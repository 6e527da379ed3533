//! A small timing harness shared by the benchmarks: each measurement is the
//! median of several samples, each sample long enough to swamp timer
//! noise, and each benchmark prints its results as ratios to a baseline
//! measured in the same run.

#![allow(dead_code, reason = "each benchmark uses part of the harness")]

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Samples per measurement.
const SAMPLES: usize = 15;
/// The time one sample aims to take.
const SAMPLE_TARGET: Duration = Duration::from_millis(40);

/// The median time of one call of `f`.
pub fn measure<T>(mut f: impl FnMut() -> T) -> Duration {
    // Warm up and find how many iterations fill a sample.
    let mut iterations = 1u32;
    loop {
        let start = Instant::now();
        for _ in 0..iterations {
            black_box(f());
        }
        if start.elapsed() >= SAMPLE_TARGET / 4 || iterations >= 1 << 20 {
            break;
        }
        iterations *= 2;
    }
    let iterations = iterations.saturating_mul(4).max(1);
    let mut samples: Vec<Duration> = (0..SAMPLES)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iterations {
                black_box(f());
            }
            start.elapsed() / iterations
        })
        .collect();
    samples.sort();
    samples[SAMPLES / 2]
}

/// The time of one call of `f`, for things too slow to repeat many times:
/// the median of `runs` runs.
pub fn measure_slow<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut samples: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed()
        })
        .collect();
    samples.sort();
    samples[samples.len() / 2]
}

/// One line of a results table.
#[derive(Clone)]
pub struct Row {
    /// What was measured.
    pub name: String,
    /// Its median time.
    pub time: Duration,
}

/// Prints `rows` with their ratio to `baseline` (the first row when `None`).
pub fn report(title: &str, rows: &[Row], baseline: Option<Duration>) {
    let base = baseline
        .or(rows.first().map(|r| r.time))
        .unwrap_or(Duration::from_nanos(1));
    println!("\n{title}");
    for row in rows {
        let ratio = row.time.as_secs_f64() / base.as_secs_f64().max(f64::MIN_POSITIVE);
        println!(
            "  {:<58} {:>12}  {:>7.2}x",
            row.name,
            format_duration(row.time),
            ratio
        );
    }
}

/// A duration with a unit that suits it.
pub fn format_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos < 10_000 {
        format!("{nanos} ns")
    } else if nanos < 10_000_000 {
        format!("{:.2} µs", nanos as f64 / 1e3)
    } else {
        format!("{:.2} ms", nanos as f64 / 1e6)
    }
}
