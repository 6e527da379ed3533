//! `arbiter demo` end to end: the real binary runs a devnet, a registry,
//! miners and validators on loopback, and its verdict is checked here
//! independently: the transcript it names replays through
//! `arbiter replay`, and the metagraph it prints ranks the perfect miner
//! above the poor one.

use std::process::Command;

use crate::support::arbiter_bin;

#[test]
fn the_demo_ranks_miners_by_quality_and_its_transcript_replays() {
    let dir = tempfile::tempdir().expect("temp dir");
    let demo_dir = dir.path().join("demo");
    let out = Command::new(arbiter_bin())
        .args([
            "demo",
            "--epochs",
            "2",
            "--miners",
            "4",
            "--validators",
            "2",
            "--output",
            "json",
            "--no-cache",
            "--dir",
        ])
        .arg(&demo_dir)
        .output()
        .expect("arbiter demo runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let report = &printed["report"];
    assert_eq!(report["replay"]["ok"], true, "{stdout}");
    assert_eq!(report["replay"]["chain_checked"], true, "{stdout}");
    assert_eq!(printed["problems"], serde_json::json!([]));
    assert_eq!(report["miners"].as_array().expect("miners").len(), 4);
    assert_eq!(
        report["validators"].as_array().expect("validators").len(),
        2
    );

    let transcripts: Vec<_> = std::fs::read_dir(demo_dir.join("validator-1/transcripts"))
        .expect("transcripts")
        .map(|entry| entry.expect("entry").path())
        .collect();
    assert!(!transcripts.is_empty());
    for transcript in &transcripts {
        let replay = Command::new(arbiter_bin())
            .arg("replay")
            .arg(transcript)
            .arg("--registry")
            .arg(demo_dir.join("registry"))
            .arg("--no-cache")
            .output()
            .expect("arbiter replay runs");
        assert!(
            replay.status.success(),
            "{}",
            String::from_utf8_lossy(&replay.stdout)
        );
    }

    // The perfect miner earns more than the poorest, read from the
    // metagraph rather than from the demo's own verdict.
    let incentive = |quality: f64| {
        let miner = report["miners"]
            .as_array()
            .expect("miners")
            .iter()
            .find(|m| m[1] == quality)
            .expect("the miner");
        let uid = miner[0].as_u64().expect("uid") as usize;
        report["metagraph"]["neurons"][uid]["incentive"]
            .as_u64()
            .expect("incentive")
    };
    assert!(incentive(1.0) > incentive(0.1), "{stdout}");
}

#[test]
fn the_demo_refuses_a_directory_with_something_in_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("precious.txt"), b"keep me").expect("write");
    let out = Command::new(arbiter_bin())
        .args(["demo", "--dir"])
        .arg(dir.path())
        .output()
        .expect("arbiter demo runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not empty"));
    assert_eq!(
        std::fs::read(dir.path().join("precious.txt")).expect("still there"),
        b"keep me"
    );
}
