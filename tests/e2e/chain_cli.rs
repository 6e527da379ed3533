//! The devnet as its users meet it: a real `arbiter chain serve` process,
//! driven by real `arbiter chain …` processes and by raw HTTP, plus the
//! offline `arbiter yuma` and `arbiter weights quantize` commands.
//!
//! Covered: the operator's path from an empty chain to a metagraph; hostile
//! requests (malformed JSON, oversized bodies, forged signatures, unknown
//! subnets) answered with typed JSON errors; the state surviving a `kill -9`;
//! the Yuma reference vectors reproduced through the CLI; and the SDK's u16
//! weight quantisation computed independently.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use arbiter_host::chain::devnet::calls::{Call, SignedCall};
use arbiter_host::chain::server::MAX_BODY_BYTES;
use arbiter_registry::{Keypair, PublicKey};
use serde_json::{Value, json};

use crate::registry::{arbiter, assert_exit, json};
use crate::support::{arbiter_bin, repo_path};

/// The netuid every test creates.
const NETUID: &str = "1";

/// Blocks per epoch on the test subnet, so a few advances run an epoch.
const TEMPO: u64 = 10;

/// The validator's stake, in rao (1000 TAO).
const VALIDATOR_STAKE: u64 = 1_000_000_000_000;

/// A running `arbiter chain serve --manual`, killed (SIGKILL) when dropped.
struct Devnet {
    child: Child,
    url: String,
}

impl Devnet {
    /// Starts a devnet on a free port with its state in `data`.
    fn start(data: &Path) -> Self {
        let mut child = Command::new(arbiter_bin())
            .args(["chain", "serve", "--listen", "127.0.0.1:0", "--manual"])
            .args(["--genesis-seed", &"ab".repeat(32)])
            .arg("--data")
            .arg(data)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        let url = loop {
            line.clear();
            if stderr.read_line(&mut line).unwrap() == 0 {
                let _ = child.kill();
                panic!("the devnet exited before listening: {:?}", child.wait());
            }
            if let Some(url) = line.trim().strip_prefix("devnet listening on ") {
                break url.to_string();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        Self { child, url }
    }

    /// Kills the server as `kill -9` would, and reaps it.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Runs `arbiter chain <args> --chain <url>`.
    fn cli(&self, args: &[&str]) -> std::process::Output {
        let mut full = vec!["chain"];
        full.extend_from_slice(args);
        full.extend_from_slice(&["--chain", &self.url]);
        arbiter(&full)
    }

    /// Runs a `chain` subcommand that must succeed; its stdout.
    fn ok(&self, args: &[&str]) -> std::process::Output {
        let output = self.cli(args);
        assert_exit(&output, 0);
        output
    }

    fn status(&self) -> Value {
        json(&self.ok(&["status", "--output", "json"]))
    }

    fn metagraph(&self) -> Value {
        json(&self.ok(&["metagraph", "--netuid", NETUID, "--output", "json"]))
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A scratch directory with the devnet's data and three wallet key files.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    const KEYS: [&str; 3] = ["owner", "validator", "miner"];

    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for name in Self::KEYS {
            Keypair::dev(name)
                .unwrap()
                .save(&dir.path().join(format!("{name}.json")))
                .unwrap();
        }
        std::fs::write(
            dir.path().join("hyperparameters.json"),
            json!({ "tempo": TEMPO }).to_string(),
        )
        .unwrap();
        Self { dir }
    }

    fn data(&self) -> std::path::PathBuf {
        self.dir.path().join("devnet")
    }

    fn file(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_string()
    }

    fn key_file(&self, name: &str) -> String {
        self.file(&format!("{name}.json"))
    }
}

fn public(name: &str) -> PublicKey {
    Keypair::dev(name).unwrap().public()
}

/// Through the CLI: subnet 1 (tempo [`TEMPO`]) owned by `owner`, with
/// `validator` (staked) and `miner` registered; no block produced yet.
fn populate(devnet: &Devnet, scratch: &Scratch) {
    let owner = public("owner").to_string();
    let created = devnet.ok(&[
        "create-subnet",
        "--netuid",
        NETUID,
        "--owner",
        &owner,
        "--hyperparameters",
        &scratch.file("hyperparameters.json"),
    ]);
    assert!(String::from_utf8_lossy(&created.stdout).contains("created subnet 1"));
    for (name, uid) in [("validator", 1), ("miner", 2)] {
        let registered = devnet.ok(&[
            "register",
            "--netuid",
            NETUID,
            "--key",
            &scratch.key_file(name),
        ]);
        let text = String::from_utf8_lossy(&registered.stdout);
        assert!(text.contains(&format!("(uid {uid})")), "{text}");
    }
    devnet.ok(&[
        "stake",
        "--netuid",
        NETUID,
        "--hotkey",
        &public("validator").to_string(),
        "--rao",
        &VALIDATOR_STAKE.to_string(),
    ]);
}

/// Produces two epochs' worth of blocks through the CLI; the new head.
fn advance_two_epochs(devnet: &Devnet) -> Value {
    let blocks = (2 * (TEMPO + 1)).to_string();
    json(&devnet.ok(&["advance", "--blocks", &blocks, "--output", "json"]))
}

/// The metagraph's `(uid, hotkey, coldkey, stake)` rows.
fn rows(metagraph: &Value) -> Vec<(u64, String, String, u64)> {
    metagraph["neurons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["uid"].as_u64().unwrap(),
                n["hotkey"].as_str().unwrap().to_string(),
                n["coldkey"].as_str().unwrap().to_string(),
                n["stake"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_cli_builds_a_subnet_and_its_metagraph_shows_keys_and_stake() {
    let scratch = Scratch::new();
    let devnet = Devnet::start(&scratch.data());
    let start = devnet.status();
    populate(&devnet, &scratch);

    // Uids in registration order, each hotkey its own coldkey, the stake
    // exactly as added.
    let expected: Vec<(u64, String, String, u64)> = Scratch::KEYS
        .iter()
        .zip([0, VALIDATOR_STAKE, 0])
        .enumerate()
        .map(|(uid, (name, stake))| {
            let key = public(name).to_string();
            (uid as u64, key.clone(), key, stake)
        })
        .collect();
    let registered = devnet.metagraph();
    assert_eq!(rows(&registered), expected);
    assert_eq!(registered["netuid"], 1);
    assert_eq!(registered["block"], start["head"]);
    assert_eq!(registered["owner"], public("owner").to_string());

    let head = advance_two_epochs(&devnet);
    assert_eq!(
        head["number"].as_u64().unwrap(),
        start["head"]["number"].as_u64().unwrap() + 2 * (TEMPO + 1)
    );
    let status = devnet.status();
    assert_eq!(status["head"], head);
    assert_eq!(status["genesis"], start["genesis"]);

    // Epochs ran: the same neurons, the only staked hotkey holds a
    // validator permit, and emission only ever adds to stake.
    let metagraph = devnet.metagraph();
    assert_eq!(metagraph["block"], head);
    assert!(
        metagraph["epoch_index"].as_u64().unwrap() >= 1,
        "{metagraph}"
    );
    assert_eq!(
        metagraph["neurons"][1]["validator_permit"], true,
        "{metagraph}"
    );
    let after = rows(&metagraph);
    assert_eq!(after.len(), expected.len());
    for (now, before) in after.iter().zip(&expected) {
        assert_eq!((now.0, &now.1, &now.2), (before.0, &before.1, &before.2));
        assert!(now.3 >= before.3, "{now:?} lost stake since {before:?}");
    }

    // The text table names every hotkey too.
    let table = devnet.ok(&["metagraph", "--netuid", NETUID]);
    let table = String::from_utf8_lossy(&table.stdout);
    for name in Scratch::KEYS {
        assert!(table.contains(&public(name).to_string()), "{table}");
    }
}

#[test]
fn a_devnet_killed_with_sigkill_restarts_with_its_state() {
    let scratch = Scratch::new();
    let devnet = Devnet::start(&scratch.data());
    populate(&devnet, &scratch);
    advance_two_epochs(&devnet);
    let (status, metagraph) = (devnet.status(), devnet.metagraph());
    devnet.kill();

    let devnet = Devnet::start(&scratch.data());
    assert_eq!(devnet.status(), status);
    assert_eq!(devnet.metagraph(), metagraph);

    // Nonces survived too (the miner signed one call).
    let nonce = format!("/v1/nonce/{}", public("miner"));
    let (_, body) = request(&devnet, reqwest::Method::GET, &nonce, None);
    assert_eq!(body, json!({ "nonce": 1 }));

    // It carries on from there: blocks follow the old head, and registering
    // again is refused as already registered.
    let next = json(&devnet.ok(&["advance", "--output", "json"]));
    assert_eq!(
        next["number"].as_u64().unwrap(),
        status["head"]["number"].as_u64().unwrap() + 1
    );
    let again = devnet.cli(&[
        "register",
        "--netuid",
        NETUID,
        "--key",
        &scratch.key_file("miner"),
    ]);
    assert_exit(&again, 2);
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("HotKeyAlreadyRegisteredInSubNet"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

/// The status and JSON body of an HTTP request to the devnet.
fn request(
    devnet: &Devnet,
    method: reqwest::Method,
    path: &str,
    body: Option<Vec<u8>>,
) -> (u16, Value) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut request = reqwest::Client::new().request(method, format!("{}{path}", devnet.url));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "HTTP {status}: the body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&bytes)
            )
        });
        (status, body)
    })
}

fn submit(devnet: &Devnet, body: Vec<u8>) -> (u16, Value) {
    request(devnet, reqwest::Method::POST, "/v1/submit", Some(body))
}

/// A devnet with subnet 1 created and nothing else.
fn devnet_with_subnet(scratch: &Scratch) -> Devnet {
    let devnet = Devnet::start(&scratch.data());
    devnet.ok(&[
        "create-subnet",
        "--netuid",
        NETUID,
        "--owner",
        &public("owner").to_string(),
    ]);
    devnet
}

#[test]
fn malformed_and_oversized_bodies_get_json_errors() {
    let scratch = Scratch::new();
    let devnet = devnet_with_subnet(&scratch);

    let (status, body) = submit(&devnet, br#"{"signer": "#.to_vec());
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["kind"], "invalid-request", "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("JSON"), "{message}");

    let (status, body) = submit(&devnet, br#"{"signer": "nobody"}"#.to_vec());
    assert!((400..500).contains(&status), "{status} {body}");
    assert_eq!(body["error"]["kind"], "invalid-request", "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("signer"),
        "{body}"
    );

    let (status, body) = submit(&devnet, vec![b' '; MAX_BODY_BYTES + 1]);
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["kind"], "invalid-request", "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains(&MAX_BODY_BYTES.to_string()), "{message}");

    // A path parameter that is not a netuid is refused the same way.
    let (status, body) = request(
        &devnet,
        reqwest::Method::GET,
        "/v1/subnets/70000/metagraph",
        None,
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["kind"], "invalid-request", "{body}");

    // None of it changed the chain.
    assert_eq!(devnet.metagraph()["neurons"].as_array().unwrap().len(), 1);
}

#[test]
fn forged_and_replayed_signatures_are_refused_with_a_typed_error() {
    let scratch = Scratch::new();
    let devnet = devnet_with_subnet(&scratch);
    let (_, genesis) = request(&devnet, reqwest::Method::GET, "/v1/genesis", None);
    let mut hash = [0u8; 32];
    hex::decode_to_slice(&genesis["genesis"].as_str().unwrap()[2..], &mut hash).unwrap();
    let miner = Keypair::dev("miner").unwrap();
    let register = Call::Register {
        netuid: 1,
        coldkey: miner.public(),
    };
    let signed = SignedCall::sign(&miner, &hash, 0, &register).unwrap();
    let refuse = |call: &SignedCall, reason: &str| {
        let (status, body) = submit(&devnet, serde_json::to_vec(call).unwrap());
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"]["kind"], "bad-signature", "{body}");
        let message = body["error"]["reason"].as_str().unwrap();
        assert!(message.contains(reason), "{message}");
    };

    // The call text edited after signing.
    let mut edited = signed.clone();
    edited.call = edited.call.replace("\"netuid\":1", "\"netuid\":2");
    assert_ne!(edited.call, signed.call);
    refuse(&edited, "the signature is not");
    // Signed by the miner, claimed by the owner.
    let mut impostor = signed.clone();
    impostor.signer = public("owner");
    refuse(&impostor, "the signature is not");
    // Signed for another devnet.
    refuse(
        &SignedCall::sign(&miner, &[0; 32], 0, &register).unwrap(),
        "the signature is not",
    );
    // A valid signature at a nonce from the future.
    refuse(
        &SignedCall::sign(&miner, &hash, 7, &register).unwrap(),
        "stale nonce 7",
    );
    assert_eq!(devnet.metagraph()["neurons"].as_array().unwrap().len(), 1);

    // The genuine call goes through once; replaying it is refused.
    let (status, body) = submit(&devnet, serde_json::to_vec(&signed).unwrap());
    assert_eq!(status, 200, "{body}");
    refuse(&signed, "stale nonce 0");
    assert_eq!(devnet.metagraph()["neurons"].as_array().unwrap().len(), 2);
}

#[test]
fn an_unknown_netuid_is_a_clear_not_found() {
    let scratch = Scratch::new();
    let devnet = devnet_with_subnet(&scratch);
    for path in ["/v1/subnets/42/metagraph", "/v1/subnets/42/hyperparameters"] {
        let (status, body) = request(&devnet, reqwest::Method::GET, path, None);
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(
            body,
            json!({
                "error": { "kind": "no-such-subnet", "netuid": 42 },
                "message": "subnet 42 does not exist",
            })
        );
    }
    let stake = serde_json::to_vec(&json!({
        "netuid": 42,
        "hotkey": public("owner"),
        "rao": 1,
    }))
    .unwrap();
    let (status, body) = request(
        &devnet,
        reqwest::Method::POST,
        "/v1/admin/stake",
        Some(stake),
    );
    assert_eq!(
        (status, &body["error"]["kind"]),
        (404, &json!("no-such-subnet"))
    );

    let refused = devnet.cli(&["metagraph", "--netuid", "42"]);
    assert_exit(&refused, 2);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("subnet 42 does not exist"), "{stderr}");
}

#[test]
fn yuma_cli_reproduces_the_recorded_outputs_of_reference_vectors() {
    for name in [
        "epoch_basic_3v4m_yuma2.json",
        "epoch_basic_3v4m_yuma3_liquid_alpha.json",
    ] {
        let path = repo_path("tests/fixtures/yuma").join(name);
        let vector: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let output = arbiter(&["yuma", path.to_str().unwrap(), "--output", "json"]);
        assert_exit(&output, 0);
        let ran = json(&output);
        let recorded = vector["epochs"].as_array().unwrap();
        let computed = ran["epochs"].as_array().unwrap();
        assert!(!recorded.is_empty());
        assert_eq!(computed.len(), recorded.len(), "{name}");
        for (index, (computed, recorded)) in computed.iter().zip(recorded).enumerate() {
            assert_eq!(
                computed["outputs"], recorded["outputs"],
                "{name}, epoch {index}"
            );
        }
    }
}

/// The SDK's `convert_weights_and_uids_for_emit` on exactly representable
/// floats: divide by the maximum, scale to 65535, round half to even, drop
/// zeros.
fn sdk_u16(uids: &[u16], weights: &[f64]) -> Value {
    let max = weights.iter().copied().fold(0.0, f64::max);
    let (uids, values): (Vec<u16>, Vec<u16>) = uids
        .iter()
        .zip(weights)
        .map(|(&uid, &w)| (uid, (w / max * 65_535.0).round_ties_even() as u16))
        .filter(|&(_, value)| value != 0)
        .unzip();
    json!({ "uids": uids, "values": values })
}

#[test]
fn weights_quantize_matches_the_sdk_conversion() {
    let scratch = Scratch::new();
    let uids = [0, 1, 2, 3, 4];
    let weights = [4.0, 2.0, 0.0, 1.0, 1.0];
    let input = scratch.file("weights.json");
    std::fs::write(
        &input,
        json!({ "uids": uids, "weights": weights }).to_string(),
    )
    .unwrap();
    let output = arbiter(&["weights", "quantize", "--input", &input]);
    assert_exit(&output, 0);
    let expected = sdk_u16(&uids, &weights);
    assert_eq!(
        expected,
        json!({ "uids": [0, 1, 3, 4], "values": [65535, 32768, 16384, 16384] })
    );
    assert_eq!(json(&output), expected);

    // All zeros: nothing to submit, refused with a JSON error.
    std::fs::write(&input, r#"{"uids": [0, 1], "weights": [0.0, 0.0]}"#).unwrap();
    let refused = arbiter(&["weights", "quantize", "--input", &input]);
    assert_exit(&refused, 1);
    let error: Value = serde_json::from_slice(&refused.stderr).unwrap();
    assert!(error["error"].is_string(), "{error}");
}
