//! The online backend against the official Python SDK (issue 8), on one
//! local chopsticks node running the real Subtensor runtime of
//! `tests/fixtures/subtensor/raonet.json` (spec 218), with a subnet of
//! [`NEURONS`] neurons registered by extrinsics. In the same run:
//! - a metagraph read: the host's `Subtensor::metagraph` (storage at one
//!   block, batched) vs the SDK's read of the same subnet;
//! - a `set_weights` round trip (sign, submit, wait until it is in a
//!   block, learn its outcome): the host's `Chain::set_weights` vs the
//!   SDK's.
//!
//! The SDK side is `host/benches/subtensor_sdk.py`, run with the official
//! `bittensor==11.3.0` in `target/bittensor-venv` (installed by
//! `tests/fixtures/subtensor/regenerate.sh`, which this runs first if the
//! venv is missing). Run with `cargo bench -p arbiter --bench subtensor`.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "a benchmark stops at the first broken assumption"
)]

#[path = "../../tests/e2e/chopsticks.rs"]
#[allow(
    dead_code,
    reason = "the tests' harness; the benchmark uses part of it"
)]
mod chopsticks;
mod timing;

/// What the tests' harness needs from their support module.
mod support {
    use std::path::PathBuf;

    /// A path in the repository.
    pub fn repo_path(relative: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(relative)
    }
}

use std::process::Command;
use std::time::Duration;

use arbiter_host::chain::{Chain, WeightsCall};
use arbiter_host::subtensor::Subtensor;
use timing::{Row, measure_slow, report};

/// Neurons on the subnet: the owner (validator) and 63 miners.
const NEURONS: usize = 64;

/// Runs of each operation.
const RUNS: usize = 10;

fn main() {
    let venv_python = support::repo_path("target/bittensor-venv/bin/python");
    if !venv_python.exists() {
        let status = Command::new(support::repo_path("tests/fixtures/subtensor/regenerate.sh"))
            .arg("--check")
            .status()
            .expect("regenerate.sh runs");
        assert!(status.success(), "installing the official SDK failed");
    }

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let node = chopsticks::Chopsticks::start();
    let chain = runtime.block_on(async {
        Subtensor::connect(&node.url)
            .await
            .expect("connects")
            .with_inclusion_timeout(Duration::from_secs(60))
    });
    let subnet = runtime.block_on(chopsticks::create_subnet(&chain, NEURONS - 1));
    let call = WeightsCall {
        netuid: subnet.netuid,
        mechid: 0,
        uids: (1..NEURONS as u16).collect(),
        values: (1..NEURONS as u16).map(|i| i * 1000).collect(),
        version_key: 0,
    };

    let host_metagraph = measure_slow(RUNS, || {
        let metagraph = runtime
            .block_on(chain.metagraph(subnet.netuid))
            .expect("reads");
        assert_eq!(metagraph.neurons.len(), NEURONS);
    });
    let host_set_weights = measure_slow(RUNS, || {
        runtime
            .block_on(chain.set_weights(&subnet.validator, &call))
            .expect("sets weights");
    });

    let list = |values: &[u16]| {
        values
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    let seed = blake3::hash(b"arbiter/dev-key/owner-hot");
    let output = Command::new(&venv_python)
        .arg(support::repo_path("host/benches/subtensor_sdk.py"))
        .args(["--url", &node.url])
        .args(["--netuid", &subnet.netuid.to_string()])
        .args(["--seed", &format!("0x{}", seed.to_hex())])
        .args(["--uids", &list(&call.uids)])
        .args(["--values", &list(&call.values)])
        .args(["--version-key", "0"])
        .args(["--repeat", &RUNS.to_string()])
        .output()
        .expect("the SDK script runs");
    assert!(
        output.status.success(),
        "the SDK script failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let sdk: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(sdk["hotkey"], subnet.validator.public().ss58());
    assert_eq!(sdk["neurons"], NEURONS);
    let median = |key: &str| {
        let mut ms: Vec<f64> = sdk[key]
            .as_array()
            .expect("a list of times")
            .iter()
            .map(|v| v.as_f64().expect("milliseconds"))
            .collect();
        ms.sort_by(f64::total_cmp);
        Duration::from_secs_f64(ms[ms.len() / 2] / 1000.0)
    };

    report(
        &format!("metagraph read, {NEURONS} neurons, spec 218 on chopsticks"),
        &[
            Row {
                name: format!("official SDK ({}) (baseline)", sdk["metagraph_method"]),
                time: median("metagraph_ms"),
            },
            Row {
                name: "arbiter Subtensor::metagraph".into(),
                time: host_metagraph,
            },
        ],
        None,
    );
    report(
        &format!(
            "set_weights round trip ({} uids, until in a block)",
            call.uids.len()
        ),
        &[
            Row {
                name: format!("official SDK ({}) (baseline)", sdk["set_weights_method"]),
                time: median("set_weights_ms"),
            },
            Row {
                name: "arbiter Chain::set_weights".into(),
                time: host_set_weights,
            },
        ],
        None,
    );
}
