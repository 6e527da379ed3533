//! Shared helpers: the built components, sandboxes and contexts.

use std::path::PathBuf;

use arbiter_host::sandbox::bindings::{Context, Neuron, Payloads, Responses};
use arbiter_host::sandbox::{Limits, Mechanism, Sandbox, SandboxOptions};

/// A component built by `host/build.rs`.
pub fn wasm(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// The hostile test mechanism.
pub fn hostile_wasm() -> Vec<u8> {
    wasm(env!("ARBITER_WASM_HOSTILE"))
}

/// The echo-double example.
pub fn echo_double_wasm() -> Vec<u8> {
    wasm(env!("ARBITER_WASM_ECHO_DOUBLE"))
}

/// The text-match example.
pub fn text_match_wasm() -> Vec<u8> {
    wasm(env!("ARBITER_WASM_TEXT_MATCH"))
}

/// A directory under the repository root.
pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

/// A sandbox without a compiled cache.
pub fn sandbox() -> Sandbox {
    Sandbox::new(&SandboxOptions::default()).expect("sandbox")
}

/// Loads `bytes` under `limits`, panicking with the refusal if refused.
pub fn load(sandbox: &Sandbox, bytes: &[u8], limits: Limits) -> Mechanism {
    match sandbox.load(bytes, limits) {
        Ok(loaded) => loaded.mechanism,
        Err(error) => panic!("refused: {error}"),
    }
}

/// A context with `n` neurons (uid 0 the validator) and a seed of `seed`.
pub fn context(n: u16, seed: u8) -> Context {
    Context {
        netuid: 1,
        mechid: 0,
        epoch: 0,
        step: 0,
        block: 1000,
        block_time_ms: 1_767_225_600_000,
        block_hash: vec![0xab; 32],
        seed: vec![seed; 32],
        validator_uid: 0,
        neurons: (0..n)
            .map(|uid| Neuron {
                uid,
                stake: if uid == 0 { 1_000_000_000_000 } else { 0 },
                validator_permit: uid == 0,
                active: true,
                replaced: false,
            })
            .collect(),
        hotkeys: (0..n).flat_map(|uid| [uid as u8; 32]).collect(),
    }
}

/// The path of the `arbiter` binary under test.
pub fn arbiter_bin() -> &'static str {
    env!("CARGO_BIN_EXE_arbiter")
}

/// A step with no queries and so no replies.
pub fn no_replies() -> (Payloads, Responses) {
    let empty = Payloads {
        uids: vec![],
        ends: vec![],
        data: vec![],
    };
    let responses = Responses {
        status: vec![],
        latency_ms: vec![],
        replies: empty.clone(),
    };
    (empty, responses)
}
