//! `arbiter score` and `arbiter inspect`, run as a user runs them: the real
//! binary on the example components and their recorded fixtures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{arbiter_bin, repo_path};

fn component(name: &str) -> &'static str {
    match name {
        "text-match" => env!("ARBITER_WASM_TEXT_MATCH"),
        "echo-double" => env!("ARBITER_WASM_ECHO_DOUBLE"),
        "hostile" => env!("ARBITER_WASM_HOSTILE"),
        other => panic!("no component {other}"),
    }
}

fn fixtures(subnet: &str) -> Vec<PathBuf> {
    let dir = repo_path(&format!("subnets/{subnet}/fixtures"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

fn arbiter(args: &[&str]) -> Output {
    Command::new(arbiter_bin())
        .args(args)
        .arg("--no-cache")
        .output()
        .unwrap()
}

fn score(mechanism: &str, rounds: &[PathBuf], extra: &[&str]) -> (Output, Value) {
    let mut args = vec!["score", "--mechanism", mechanism, "--output", "json"];
    args.push("--round");
    args.extend(rounds.iter().map(|p| p.to_str().unwrap()));
    args.extend_from_slice(extra);
    let output = arbiter(&args);
    let json = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)));
    (output, json)
}

fn weights(report: &Value) -> Vec<(u64, f64)> {
    report["weights"]["weights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["uid"].as_u64().unwrap(), w["value"].as_f64().unwrap()))
        .collect()
}

#[test]
fn text_match_fixtures_score_and_rank_the_miners() {
    let (output, report) = score(component("text-match"), &fixtures("text-match"), &[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(report["ok"], true);
    for round in report["rounds"].as_array().unwrap() {
        assert_eq!(round["queries_match_recording"], true);
        assert!(round["score"]["fuel_used"].as_u64().unwrap() > 0);
    }
    let w = weights(&report);
    let of = |uid| w.iter().find(|(u, _)| *u == uid).map_or(0.0, |(_, v)| *v);
    // uid 1 answers exactly, 2 half, 3 pads, 5 times out, 6 is unsigned, 7 is not UTF-8.
    assert!(of(1) > of(2) && of(2) > of(3), "{w:?}");
    assert_eq!((of(5), of(6), of(7)), (0.0, 0.0, 0.0));
    assert!((w.iter().map(|(_, v)| v).sum::<f64>() - 1.0).abs() < 1e-9);
}

#[test]
fn echo_double_rewards_the_miner_that_doubles() {
    let (output, report) = score(component("echo-double"), &fixtures("echo-double"), &[]);
    assert!(output.status.success());
    let w = weights(&report);
    assert_eq!(w.first().map(|(uid, _)| *uid), Some(1), "{w:?}");
    assert!(w[0].1 > w[1].1);
}

#[test]
fn two_runs_print_the_same_bytes() {
    let rounds = fixtures("text-match");
    let (a, _) = score(component("text-match"), &rounds, &[]);
    let (b, _) = score(component("text-match"), &rounds, &[]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn a_state_file_carries_state_between_runs() {
    let rounds = fixtures("text-match");
    let (_, whole) = score(component("text-match"), &rounds, &[]);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.bin");
    let state = state.to_str().unwrap();
    let (_, first) = score(component("text-match"), &rounds[..2], &["--state", state]);
    assert_eq!(first["start"]["source"], "init");
    let (_, second) = score(component("text-match"), &rounds[2..], &["--state", state]);
    assert_eq!(second["start"]["source"], "file");
    assert_eq!(second["state_blake3"], whole["state_blake3"]);
    assert_eq!(second["weights"], whole["weights"]);
}

#[test]
fn a_failing_score_keeps_the_previous_state_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::write(&config, "error").unwrap();
    let rounds = fixtures("echo-double");
    let (output, report) = score(
        component("hostile"),
        &rounds[..1],
        &["--config", config.to_str().unwrap()],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(report["ok"], false);
    let round = &report["rounds"][0];
    assert_eq!(round["score"]["failure"]["kind"], "mechanism");
    assert_eq!(round["state_blake3"], report["start"]["state_blake3"]);
}

#[test]
fn queries_that_differ_from_the_recording_fail_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let original = &fixtures("text-match")[0];
    let mut round: Value =
        serde_json::from_str(&std::fs::read_to_string(original).unwrap()).unwrap();
    round["queries"][0]["text"] = Value::from("What is the meaning of life?");
    let edited = dir.path().join("edited.json");
    std::fs::write(&edited, round.to_string()).unwrap();
    let (output, report) = score(component("text-match"), &[edited], &[]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(report["rounds"][0]["queries_match_recording"], false);
}

#[test]
fn inspect_reports_hashes_and_the_verdict() {
    let output = arbiter(&["inspect", component("text-match"), "--output", "json"]);
    assert!(output.status.success());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let bytes = std::fs::read(component("text-match")).unwrap();
    assert_eq!(
        report["blake3"],
        format!("blake3:{}", blake3::hash(&bytes).to_hex())
    );
    assert_eq!(report["world"], "arbiter:mechanism/subnet@0.1.0");
    assert_eq!(report["info"]["name"], "text-match");

    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("module.wasm");
    std::fs::write(&module, wat::parse_str("(module)").unwrap()).unwrap();
    let output = arbiter(&["inspect", module.to_str().unwrap(), "--output", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["admitted"], false);
    assert!(
        report["refusal"]
            .as_str()
            .unwrap()
            .contains("core WebAssembly module")
    );
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let output = arbiter(&[
        "inspect",
        Path::new("/nonexistent/x.wasm").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read /nonexistent/x.wasm"));
}
