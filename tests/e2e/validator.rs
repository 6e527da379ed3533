//! The validator survives being killed: `arbiter validate` runs as a real
//! process against the demo's network (devnet, registry and miners on
//! loopback), is SIGKILLed in the middle of a step sequence and right as it
//! finalises an epoch, and restarted on the same data directory each time.
//!
//! What must hold afterwards: the last run finishes cleanly; every epoch has
//! exactly one transcript (a restart continues the epoch's transcript rather
//! than starting a second one, which would mean two different commitments
//! for one epoch); every transcript replays; and the commitment on chain
//! names the newest transcript, whose replay matches the chain's weights.

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use arbiter_host::chain::Chain as _;
use arbiter_host::demo::{DemoOptions, NETUID, Network};
use arbiter_host::replay::replay;
use arbiter_host::transcript::{Transcript, parse_commitment};

use crate::support::{arbiter_bin, sandbox, text_match_wasm};

/// Starts `arbiter validate` on `config` for `epochs` submitted epochs.
fn spawn_validator(config: &Path, epochs: u64) -> Child {
    Command::new(arbiter_bin())
        .args(["-v", "validate", "--no-cache", "--epochs"])
        .arg(epochs.to_string())
        .arg("--config")
        .arg(config)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("arbiter validate starts")
}

/// Reads the child's log until a line satisfies `at`, then kills it with
/// SIGKILL (no chance to flush or clean up).
fn kill_when(mut child: Child, mut at: impl FnMut(&str) -> bool) {
    let stderr = child.stderr.take().expect("stderr");
    let seen = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .any(|line| at(&line));
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    assert!(seen, "the validator exited before the point to kill it");
}

/// Every transcript the validator stored.
fn transcripts(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir.join("validator-1/transcripts"))
        .map(|entries| entries.map(|e| e.expect("entry").path()).collect())
        .unwrap_or_default()
}

#[test]
fn a_killed_validator_resumes_without_a_second_transcript_for_any_epoch() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = DemoOptions {
        miner_qualities: vec![0.5, 1.0],
        validator_stakes: vec![500],
        ..DemoOptions::new(dir.path().join("net"))
    };
    let sandbox = sandbox();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let network = runtime
        .block_on(Network::start(&options, &sandbox))
        .expect("the network starts");
    let config = network.validator_configs[0].clone();

    // Killed after its third step of an epoch, and again as it finalises
    // one (before or after its submission: both must be safe).
    let mut steps = 0;
    kill_when(spawn_validator(&config, 3), |line| {
        steps += usize::from(line.contains("host_ms"));
        steps == 3
    });
    kill_when(spawn_validator(&config, 3), |line| {
        line.contains("epoch finalised")
    });
    let finished = spawn_validator(&config, 2)
        .wait_with_output()
        .expect("the last run ends");
    assert!(
        finished.status.success(),
        "{}",
        String::from_utf8_lossy(&finished.stderr)
    );

    let mut epochs = BTreeSet::new();
    let mut newest = None;
    for path in transcripts(&options.dir) {
        let transcript = Transcript::load(&path).expect("a stored transcript decodes");
        let epoch = transcript.decode().expect("decodes").header.epoch;
        assert!(epochs.insert(epoch), "two transcripts for epoch {epoch}");
        let report = runtime
            .block_on(replay(&transcript, &text_match_wasm(), &sandbox, None))
            .expect("replays");
        assert!(report.ok, "{path:?} does not replay: {report:?}");
        if newest.as_ref().is_none_or(|(e, _)| epoch > *e) {
            newest = Some((epoch, transcript));
        }
    }
    assert!(epochs.len() >= 2, "epochs submitted: {epochs:?}");

    let (epoch, transcript) = newest.expect("a transcript");
    let hotkey = network.validators[0].1;
    let commitment = runtime
        .block_on(network.client.commitment(NETUID, &hotkey))
        .expect("chain")
        .expect("a commitment");
    let (_, root, committed_epoch) = parse_commitment(&commitment.data).expect("arb1");
    assert_eq!((root, committed_epoch), (transcript.root(), epoch));
    let report = runtime
        .block_on(replay(
            &transcript,
            &text_match_wasm(),
            &sandbox,
            Some(network.client.as_ref()),
        ))
        .expect("replays");
    assert!(report.ok && report.chain_checked, "{report:?}");
    runtime.block_on(network.stop()).expect("stops");
}
