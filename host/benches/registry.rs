//! Registry speed (issue: the registry). In one run, for a 20 MB component
//! (text-match with a custom section appended):
//! - the baseline: BLAKE3 + SHA-256 of the file plus a copy of it (with
//!   and without the fsync a durable copy needs);
//! - `publish` through the real HTTP server on loopback (upload, hashing
//!   on both sides, fsync, the server's admission, the signed release);
//! - `pull` through it (verified by the server before sending, hashed by
//!   the client while receiving, fsynced, renamed into place).
//!
//! Target: publish and pull each ≤ 1.5× the baseline. Run with
//! `cargo bench -p arbiter --bench registry`.

#![allow(
    clippy::expect_used,
    reason = "a benchmark stops at the first broken assumption"
)]

mod timing;

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use arbiter_host::publishing::{SandboxAdmission, default_limits};
use arbiter_host::sandbox::admission::WORLD;
use arbiter_host::sandbox::{Sandbox, SandboxOptions};
use arbiter_registry::client::Client;
use arbiter_registry::server::{self, ServerConfig};
use arbiter_registry::{
    Admission, Digests, Draft, Keypair, Registry, SignedManifest, Store, publish,
};
use timing::{Row, measure_slow, report};

/// The component size the issue asks for.
const SIZE: usize = 20_000_000;
/// Runs per measurement.
const RUNS: usize = 15;

/// text-match with a custom section appended, `SIZE` bytes in all.
fn big_component() -> Vec<u8> {
    let mut bytes = std::fs::read(env!("ARBITER_WASM_TEXT_MATCH")).expect("text-match");
    let name = b"arbiter-bench-padding";
    let header = 1 + 5 + 1 + name.len();
    let payload = SIZE - bytes.len() - header;
    let mut section = vec![0u8];
    leb128_5(&mut section, (1 + name.len() + payload) as u32);
    section.push(name.len() as u8);
    section.extend_from_slice(name);
    section.extend((0..payload).map(|i| (i * 7 + i / 251) as u8));
    bytes.extend_from_slice(&section);
    assert_eq!(bytes.len(), SIZE);
    bytes
}

/// `value` as a 5-byte (padded) unsigned LEB128.
fn leb128_5(out: &mut Vec<u8>, mut value: u32) {
    for i in 0..5 {
        let mut byte = (value & 0x7f) as u8;
        value >>= 7;
        if i < 4 {
            byte |= 0x80;
        }
        out.push(byte);
    }
}

/// The baseline: hash the file both ways, copy it, optionally fsync.
fn hash_and_copy(from: &Path, to: &Path, sync: bool) -> Digests {
    let bytes = std::fs::read(from).expect("read");
    let digests = Digests::of(&bytes);
    let mut out = std::fs::File::create(to).expect("create");
    out.write_all(&bytes).expect("write");
    if sync {
        out.sync_all().expect("sync");
    }
    digests
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let component = dir.path().join("big.wasm");
    std::fs::write(&component, big_component()).expect("write component");
    let copy = dir.path().join("copy.wasm");

    let sandbox = Sandbox::new(&SandboxOptions {
        cache_dir: Some(dir.path().join("compiled")),
        ..Default::default()
    })
    .expect("sandbox");
    let admission = Arc::new(SandboxAdmission::new(sandbox));
    let bytes = std::fs::read(&component).expect("read");
    let first_admission = measure_slow(1, || admission.admit(&bytes, &default_limits()));
    let admission_cached = measure_slow(RUNS, || admission.admit(&bytes, &default_limits()));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let store = Store::open(&dir.path().join("store")).expect("store");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("listen");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let router = server::router(store, admission.clone(), &ServerConfig::default());
    runtime.spawn(server::serve(listener, router, std::future::pending()));
    let registry = Registry::Remote(Client::new(&url).expect("client"));

    let key = Keypair::dev("bench").expect("key");
    let mut versions = 0u64..;
    let mut draft = || Draft {
        release: format!("big@1.0.{}", versions.next().unwrap_or(0))
            .parse()
            .expect("release"),
        world: WORLD.into(),
        limits: default_limits(),
        source: None,
    };
    let first = runtime
        .block_on(publish(
            &registry,
            &component,
            draft(),
            &key,
            admission.as_ref(),
        ))
        .expect("publish");
    let digests = first.manifest().manifest().component.clone();
    assert_eq!(digests.size, SIZE as u64);

    let pulled = dir.path().join("pulled.wasm");
    let rows = [
        Row {
            name: "baseline: BLAKE3 + SHA-256 + copy + fsync".into(),
            time: measure_slow(RUNS, || hash_and_copy(&component, &copy, true)),
        },
        Row {
            name: "  the same without fsync".into(),
            time: measure_slow(RUNS, || hash_and_copy(&component, &copy, false)),
        },
        Row {
            name: "publish over HTTP (new version, same bytes)".into(),
            time: measure_slow(RUNS, || {
                runtime
                    .block_on(publish(
                        &registry,
                        &component,
                        draft(),
                        &key,
                        admission.as_ref(),
                    ))
                    .expect("publish")
            }),
        },
        Row {
            name: "  of which: upload (PUT /v1/blobs)".into(),
            time: measure_slow(RUNS, || {
                runtime
                    .block_on(registry.upload(&component))
                    .expect("upload")
            }),
        },
        Row {
            name: "  of which: release (POST /v1/releases)".into(),
            time: measure_slow(RUNS, || {
                let manifest = draft().complete(digests.clone(), key.public());
                let signed = SignedManifest::sign(manifest, &key).expect("sign");
                runtime
                    .block_on(registry.release(signed, admission.as_ref()))
                    .expect("release")
            }),
        },
        Row {
            name: "  of which: admission from the compiled cache".into(),
            time: admission_cached,
        },
        Row {
            name: "  first admission (compiles text-match)".into(),
            time: first_admission,
        },
        Row {
            name: "pull over HTTP (verified, fsynced)".into(),
            time: measure_slow(RUNS, || {
                runtime
                    .block_on(registry.pull(&digests, &pulled))
                    .expect("pull")
            }),
        },
    ];
    report(
        "registry: a 20 MB component on loopback (target ≤ 1.5× the baseline)",
        &rows,
        None,
    );
    assert_eq!(std::fs::read(&pulled).expect("pulled"), bytes);
}
