//! A validator's epoch and its replay (issues 5 and 6), on the demo's
//! network: a devnet, a registry and 250 text-match miners on loopback,
//! one validator running one full epoch of 10 steps in this process.
//!
//! Reported, in the same run:
//! - the validator's own time per step, averaged over its two epochs (the mechanism's calls, the
//!   transcript and the sled store; not the wait for miners), from its
//!   metrics;
//! - the replay of that epoch's transcript (decode, 10 × challenge and
//!   score, weights, conformance), as a ratio to the validator's own compute
//!   for an epoch (10 × its mean step time);
//! - the memory of a validator process: a second validator, `arbiter
//!   validate` as its own process (text-match compiled and loaded, a sled
//!   store open), read from `/proc/<pid>/status` after three steps: its
//!   resident set then (`VmRSS`) and at its peak so far (`VmHWM`, which
//!   includes compiling the component).
//!
//! Targets: step ≤ 50 ms of host time for 256 miners; replay ≤ 1 s and
//! ≤ 1.5× the validator's compute. Run with
//! `cargo bench -p arbiter --bench validator`.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a benchmark stops at the first broken assumption"
)]

mod timing;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use arbiter_host::demo::{DemoOptions, Network};
use arbiter_host::replay::replay;
use arbiter_host::sandbox::{Sandbox, SandboxOptions};
use arbiter_host::transcript::Transcript;
use arbiter_host::validator::metrics::Metrics;
use arbiter_host::validator::{self, ValidatorConfig};
use timing::{Row, measure_slow, report};

/// Miners: with the owner and the two validators, 253 of the subnet's 256
/// uids.
const MINERS: usize = 250;

/// Steps per epoch of text-match.
const STEPS: u32 = 10;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = DemoOptions {
        miner_qualities: (0..MINERS).map(|i| i as f64 / MINERS as f64).collect(),
        validator_stakes: vec![1_000, 1_000],
        miner_refresh_secs: 600,
        tempo: 36,
        // Slow enough blocks that every step fits in the epoch on a busy
        // machine.
        block_time: Duration::from_millis(400),
        ..DemoOptions::new(dir.path().join("net"))
    };
    // As `arbiter replay` runs by default: components compiled once, then
    // loaded from the cache.
    let sandbox = Sandbox::new(&SandboxOptions {
        cache_dir: Some(dir.path().join("compiled")),
        ..SandboxOptions::default()
    })
    .expect("sandbox");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (all_steps_time, all_steps, transcript, memory) = runtime.block_on(async {
        let network = Network::start(&options, &sandbox)
            .await
            .expect("the network starts");
        let memory = validator_process_memory(&network.validator_configs[1]);
        let config = ValidatorConfig::load(&network.validator_configs[0]).expect("config");
        let metrics = Arc::new(Metrics::default());
        let mut validator = validator::from_config(
            &config,
            Arc::clone(&network.client) as _,
            &sandbox,
            Arc::clone(&metrics),
        )
        .await
        .expect("the validator opens");
        // The first epoch may start late; the second is whole.
        validator.run(Some(2)).await.expect("two epochs");
        network.stop().await.expect("stops");
        let transcripts = config.storage.data_dir.join("transcripts");
        let last = std::fs::read_dir(transcripts)
            .expect("transcripts")
            .map(|entry| Transcript::load(&entry.expect("entry").path()).expect("loads"))
            .max_by_key(|t| t.decode().expect("decodes").header.epoch)
            .expect("a transcript");
        (metrics.step_host_time(), metrics.steps(), last, memory)
    });
    let steps = transcript.decode().expect("decodes").steps.len();
    assert_eq!(steps, STEPS as usize, "the validator ran a whole epoch");
    let per_step = all_steps_time / all_steps;
    let compute = per_step * STEPS;
    let mechanism = std::fs::read(options.dir.join("text-match.wasm")).expect("component");
    let replayed = measure_slow(5, || {
        let report = runtime
            .block_on(replay(&transcript, &mechanism, &sandbox, None))
            .expect("replays");
        assert!(report.ok);
    });
    report(
        &format!("validator step, {MINERS} miners, text-match (host time, no miner wait)"),
        &[Row {
            name: "one step (ratio: to the 50 ms target)".into(),
            time: per_step,
        }],
        Some(Duration::from_millis(50)),
    );
    report(
        &format!("one epoch ({MINERS} miners × {STEPS} steps): replay vs the validator's compute"),
        &[
            Row {
                name: "validator's own compute (baseline)".into(),
                time: compute,
            },
            Row {
                name: "replay of its transcript".into(),
                time: replayed,
            },
        ],
        None,
    );
    println!(
        "\nvalidator process ({MINERS} miners, text-match loaded, after 3 steps): \
         resident {} MiB, peak {} MiB",
        memory.resident_kib / 1024,
        memory.peak_kib / 1024
    );
}

/// A process's memory, from `/proc/<pid>/status`.
struct Memory {
    /// `VmRSS`: resident now.
    resident_kib: u64,
    /// `VmHWM`: the most it has been resident.
    peak_kib: u64,
}

/// Runs `arbiter validate` on `config` until it has logged three steps,
/// reads its memory, and stops it.
fn validator_process_memory(config: &Path) -> Memory {
    let mut child = Command::new(env!("CARGO_BIN_EXE_arbiter"))
        .args(["-v", "validate", "--no-cache", "--config"])
        .arg(config)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("arbiter validate starts");
    let stderr = child.stderr.take().expect("stderr");
    let steps = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .filter(|line| line.contains("host_ms"))
        .take(3)
        .count();
    assert_eq!(steps, 3, "the validator exited before its third step");
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).expect("status");
    child.kill().expect("stopped");
    child.wait().expect("reaped");
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().strip_suffix("kB"))
            .and_then(|kib| kib.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc status"))
    };
    Memory {
        resident_kib: field("VmRSS:"),
        peak_kib: field("VmHWM:"),
    }
}
