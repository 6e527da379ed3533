//! The registry through the `arbiter` binary on a local store: keys,
//! publish, pull, list, verify, and the bad inputs (refused components,
//! taken versions and names, corrupt blobs, a crash between blob and index).
//! `registry_server` does the same over HTTP, `registry_rebuild` rebuilds
//! the example from source.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::arbiter_bin;

/// The example components built by `host/build.rs`.
pub const TEXT_MATCH: &str = env!("ARBITER_WASM_TEXT_MATCH");
pub const ECHO_DOUBLE: &str = env!("ARBITER_WASM_ECHO_DOUBLE");
pub const HOSTILE: &str = env!("ARBITER_WASM_HOSTILE");

/// Runs `arbiter` with `args` and extra environment `env`.
pub fn arbiter_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(arbiter_bin())
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// Runs `arbiter` with `args`.
pub fn arbiter(args: &[&str]) -> Output {
    arbiter_env(args, &[])
}

/// stdout as JSON, with stderr in the panic message if it is not JSON.
pub fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: stdout {:?}, stderr {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Asserts the exit code, showing the output if it differs.
#[track_caller]
pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout {}\nstderr {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A temporary directory with a key file `key.json` and room for a store.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Self {
        let scratch = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        assert_exit(
            &arbiter(&["keys", "new", "--out", &scratch.path("key.json")]),
            0,
        );
        scratch
    }

    /// A path inside, as a string.
    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_string()
    }

    /// The SS58 address of the key file `name`.
    pub fn address(&self, name: &str) -> String {
        let shown = arbiter(&["keys", "show", &self.path(name), "--output", "json"]);
        json(&shown)["ss58"].as_str().unwrap().to_string()
    }

    /// `arbiter publish <component> --name --version --key key.json
    /// --registry <registry> --output json [extra…]`.
    pub fn publish(
        &self,
        component: &str,
        release: &str,
        registry: &str,
        extra: &[&str],
    ) -> Output {
        let (name, version) = release.split_once('@').unwrap();
        let key = self.path("key.json");
        let mut args = vec![
            "publish",
            component,
            "--name",
            name,
            "--version",
            version,
            "--key",
            &key,
            "--registry",
            registry,
            "--output",
            "json",
            "--no-cache",
        ];
        args.extend_from_slice(extra);
        arbiter(&args)
    }
}

/// A component file with these bytes in `dir`.
fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path: PathBuf = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn keys_are_bittensor_wallet_hotkeys() {
    let scratch = Scratch::new();
    let wallets = scratch.path("wallets");
    let wallet = [
        "--wallet",
        "validator",
        "--hotkey",
        "default",
        "--wallets-dir",
        &wallets,
    ];
    let made = arbiter(&[&["keys", "new", "--output", "json"][..], &wallet].concat());
    assert_exit(&made, 0);
    let made = json(&made);
    let file = Path::new(&wallets).join("validator/hotkeys/default");
    assert_eq!(made["file"], file.to_str().unwrap());
    let shown = json(&arbiter(
        &[&["keys", "show", "--output", "json"][..], &wallet].concat(),
    ));
    assert_eq!(shown, made);
    assert!(shown["public_key"].as_str().unwrap().starts_with("0x"));
    // Never overwritten.
    assert_exit(&arbiter(&[&["keys", "new"][..], &wallet].concat()), 2);

    // A hotkey as the Bittensor SDK writes it from a mnemonic: Substrate's
    // well-known development phrase and its address.
    let phrase = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";
    let sdk_file = write(
        scratch.dir.path(),
        "sdk-hotkey",
        format!(r#"{{"secretPhrase": "{phrase}", "ss58Address": "5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV"}}"#).as_bytes(),
    );
    let shown = json(&arbiter(&["keys", "show", &sdk_file, "--output", "json"]));
    assert_eq!(
        shown["ss58"],
        "5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV"
    );

    let escape = arbiter(&[
        "keys",
        "show",
        "--wallet",
        "..",
        "--hotkey",
        "x",
        "--wallets-dir",
        &wallets,
    ]);
    assert_exit(&escape, 2);
    assert!(String::from_utf8_lossy(&escape.stderr).contains("bad wallet or hotkey name"));
}

#[test]
fn publish_list_pull_and_verify_on_a_local_store() {
    let scratch = Scratch::new();
    let store = scratch.path("store");
    let published = scratch.publish(TEXT_MATCH, "text-match@0.1.0", &store, &[]);
    assert_exit(&published, 0);
    let published = json(&published);
    assert_eq!(published["status"], "published");
    let manifest = &published["manifest"];
    assert_eq!(manifest["schema"], "arbiter.manifest/v1");
    assert_eq!(manifest["world"], "arbiter:mechanism/subnet@0.1.0");
    assert_eq!(manifest["publisher"], scratch.address("key.json"));
    let hash = manifest["component"]["blake3"]
        .as_str()
        .unwrap()
        .to_string();
    let bytes = std::fs::read(TEXT_MATCH).unwrap();
    assert_eq!(hash, format!("blake3:{}", blake3::hash(&bytes).to_hex()));

    // The same bytes again: nothing changes.
    let again = scratch.publish(TEXT_MATCH, "text-match@0.1.0", &store, &[]);
    assert_exit(&again, 0);
    assert_eq!(json(&again)["status"], "unchanged");
    assert_eq!(json(&again)["manifest"], *manifest);

    let listed = json(&arbiter(&[
        "list",
        "--registry",
        &store,
        "--output",
        "json",
    ]));
    assert_eq!(listed["releases"], serde_json::json!([manifest]));

    for reference in ["text-match@0.1.0", hash.as_str()] {
        let out = scratch.path("pulled.wasm");
        let pulled = arbiter(&["pull", reference, "-o", &out, "--registry", &store]);
        assert_exit(&pulled, 0);
        assert_eq!(std::fs::read(&out).unwrap(), bytes);
    }

    for subject in ["text-match@0.1.0", hash.as_str(), TEXT_MATCH] {
        let verified = arbiter(&[
            "verify",
            subject,
            "--registry",
            &store,
            "--output",
            "json",
            "--no-cache",
        ]);
        assert_exit(&verified, 0);
        let report = json(&verified);
        assert_eq!(report["verified"], true);
        let checks: Vec<&str> = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["check"].as_str().unwrap())
            .collect();
        assert_eq!(checks, ["manifest", "component", "admission"]);
    }
    let text = arbiter(&[
        "verify",
        "text-match@0.1.0",
        "--registry",
        &store,
        "--no-cache",
    ]);
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    for proved in [
        "VERIFIED",
        hash.as_str(),
        &scratch.address("key.json"),
        "arbiter:mechanism/subnet@0.1.0",
        "5000000000 fuel per call",
    ] {
        assert!(text.contains(proved), "{proved} missing from\n{text}");
    }
}

#[test]
fn a_version_binds_to_one_component_and_a_name_to_one_publisher() {
    let scratch = Scratch::new();
    let store = scratch.path("store");
    let first = json(&scratch.publish(TEXT_MATCH, "text-match@0.1.0", &store, &[]));
    let hash = first["manifest"]["component"]["blake3"].as_str().unwrap();

    let other_bytes = scratch.publish(ECHO_DOUBLE, "text-match@0.1.0", &store, &[]);
    assert_exit(&other_bytes, 1);
    let error = &json(&other_bytes)["error"];
    assert_eq!(error["code"], "conflict");
    assert!(error["message"].as_str().unwrap().contains(hash), "{error}");

    // Another key may not publish versions of a name it does not own, and
    // `verify --signer` tells keys apart.
    let intruder = scratch.path("intruder.json");
    assert_exit(&arbiter(&["keys", "new", "--out", &intruder]), 0);
    let theirs = arbiter(&[
        "publish",
        ECHO_DOUBLE,
        "--name",
        "text-match",
        "--version",
        "0.2.0",
        "--key",
        &intruder,
        "--registry",
        &store,
        "--output",
        "json",
        "--no-cache",
    ]);
    assert_exit(&theirs, 1);
    assert_eq!(json(&theirs)["error"]["code"], "name_taken");

    let intruder_address = scratch.address("intruder.json");
    let wrong_signer = arbiter(&[
        "verify",
        "text-match@0.1.0",
        "--signer",
        &intruder_address,
        "--registry",
        &store,
        "--output",
        "json",
        "--no-cache",
    ]);
    assert_exit(&wrong_signer, 1);
    let report = json(&wrong_signer);
    let signer = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "signer")
        .unwrap();
    assert_eq!(signer["ok"], false);
    assert!(
        signer["detail"]
            .as_str()
            .unwrap()
            .contains(&intruder_address)
    );
}

#[test]
fn admission_refuses_what_is_not_a_mechanism() {
    let scratch = Scratch::new();
    let store = scratch.path("store");
    let dir = scratch.dir.path();
    let cases = [
        ("garbage", write(dir, "garbage.wasm", b"not wasm at all"), "not a WebAssembly binary"),
        ("core module", write(dir, "module.wasm", &wat::parse_str("(module)").unwrap()), "core WebAssembly module"),
        (
            "another world",
            write(dir, "other.wasm", &wat::parse_str(r#"(component (core module $m (func (export "f"))) (core instance $i (instantiate $m)) (func (export "run") (canon lift (core func $i "f"))))"#).unwrap()),
            "does not export `arbiter:mechanism/mechanism@0.1.0`",
        ),
    ];
    for (what, file, reason) in cases {
        let refused = scratch.publish(&file, "mech@1.0.0", &store, &[]);
        assert_exit(&refused, 1);
        let error = &json(&refused)["error"];
        assert_eq!(error["code"], "refused", "{what}");
        assert!(
            error["message"].as_str().unwrap().contains(reason),
            "{what}: {error}"
        );
    }
    // The hostile test mechanism is a real mechanism: admitted.
    assert_exit(&scratch.publish(HOSTILE, "hostile@1.0.0", &store, &[]), 0);
}

#[test]
fn bad_names_and_versions_are_refused_before_anything_is_stored() {
    let scratch = Scratch::new();
    let store = scratch.path("store");
    for release in [
        "../etc@1.0.0",
        "Text-Match@1.0.0",
        "a/b@1.0.0",
        "text-match@1.0",
        "text-match@1.0.0+build",
    ] {
        let refused = scratch.publish(TEXT_MATCH, release, &store, &[]);
        assert_exit(&refused, 2);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            stderr.contains("invalid name") || stderr.contains("invalid version"),
            "{release}: {stderr}"
        );
    }
    assert!(!Path::new(&store).exists(), "nothing was created");
    let pulled = arbiter(&[
        "pull",
        "../x@1.0.0",
        "-o",
        &scratch.path("x"),
        "--registry",
        &store,
    ]);
    assert_exit(&pulled, 2);
}

/// The blob file of `hash` (`blake3:<hex>`) in `store`.
fn blob_file(store: &str, hash: &str) -> PathBuf {
    Path::new(store)
        .join("blobs")
        .join(hash.trim_start_matches("blake3:"))
}

#[test]
fn a_flipped_byte_or_a_truncated_blob_is_detected_and_named() {
    let scratch = Scratch::new();
    let store = scratch.path("store");
    let published = json(&scratch.publish(TEXT_MATCH, "text-match@0.1.0", &store, &[]));
    let hash = published["manifest"]["component"]["blake3"]
        .as_str()
        .unwrap()
        .to_string();
    let file = blob_file(&store, &hash);
    let good = std::fs::read(&file).unwrap();

    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 0x04;
    for (what, bytes) in [
        ("flipped", flipped),
        ("truncated", good[..good.len() - 100].to_vec()),
    ] {
        std::fs::write(&file, &bytes).unwrap();
        let out = scratch.path("pulled.wasm");
        let pulled = arbiter(&["pull", "text-match@0.1.0", "-o", &out, "--registry", &store]);
        assert_exit(&pulled, 1);
        let stderr = String::from_utf8_lossy(&pulled.stderr);
        assert!(
            stderr.contains(&hash) && stderr.contains(file.to_str().unwrap()),
            "{what}: {stderr}"
        );
        assert!(!Path::new(&out).exists(), "{what}: nothing written");

        let verified = arbiter(&[
            "verify",
            "text-match@0.1.0",
            "--registry",
            &store,
            "--output",
            "json",
            "--no-cache",
        ]);
        assert_exit(&verified, 1);
        let report = json(&verified);
        assert_eq!(report["verified"], false);
        let component = report["checks"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(component["check"], "component", "{what}");
        assert!(
            component["detail"].as_str().unwrap().contains("corrupt"),
            "{what}: {component}"
        );
    }
}

/// A real process killed (aborted) between storing the blob and recording
/// the release: the store reopens consistent and the publish can be retried.
#[test]
fn a_crash_between_blob_and_index_leaves_a_consistent_store() {
    let scratch = Scratch::new();
    let store = scratch.path("store");
    let (name, version) = ("text-match", "0.1.0");
    let key = scratch.path("key.json");
    let args = [
        "publish",
        TEXT_MATCH,
        "--name",
        name,
        "--version",
        version,
        "--key",
        &key,
        "--registry",
        &store,
        "--no-cache",
    ];
    let crashed = arbiter_env(&args, &[("ARBITER_REGISTRY_FAULT", "abort-after-blob")]);
    assert_eq!(
        crashed.status.code(),
        None,
        "killed by a signal: {crashed:?}"
    );

    let hash = format!(
        "blake3:{}",
        blake3::hash(&std::fs::read(TEXT_MATCH).unwrap()).to_hex()
    );
    assert!(blob_file(&store, &hash).exists(), "the blob was stored");
    let listed = json(&arbiter(&[
        "list",
        "--registry",
        &store,
        "--output",
        "json",
    ]));
    assert_eq!(
        listed["releases"],
        serde_json::json!([]),
        "but not released"
    );
    let missing = arbiter(&[
        "pull",
        "text-match@0.1.0",
        "-o",
        &scratch.path("x"),
        "--registry",
        &store,
    ]);
    assert_exit(&missing, 1);

    assert_exit(&arbiter(&args), 0);
    let verified = arbiter(&[
        "verify",
        "text-match@0.1.0",
        "--registry",
        &store,
        "--no-cache",
    ]);
    assert_exit(&verified, 0);
}
