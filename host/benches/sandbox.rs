//! Sandbox speed (issue: the mechanism contract). In one run:
//! - `score` of text-match over 256 replies of 1 KiB, as a component vs the
//!   same Rust code compiled natively (target ≤ 2×);
//! - a fresh instance from the pre-instantiated template (target ≤ 10 µs);
//! - loading a component from the compiled cache vs compiling it (target
//!   ≤ 5 ms cached);
//! - the same `score` by text-match written in the other languages (issue
//!   7), each first checked to compute the Rust component's state, as
//!   ratios to native Rust and to the Rust component; and their cold
//!   compile against a load from the compiled cache.
//!
//! Run with `make bench` (release build).

#![allow(
    clippy::expect_used,
    reason = "a benchmark stops at the first broken assumption"
)]

mod timing;

use std::time::Instant;

use arbiter_host::sandbox::bindings::{Context, Neuron, Payloads, ReplyStatus, Responses};
use arbiter_host::sandbox::{Limits, Sandbox, SandboxOptions, wire};
use timing::{Row, measure, measure_slow, report};

const MINERS: u16 = 256;
const REPLY_BYTES: usize = 1024;

/// text-match in the other languages, built by `subnets/build.sh`.
const OTHER_LANGUAGES: &[(&str, &str)] = &[
    (
        "Python (componentize-py)",
        env!("ARBITER_WASM_TEXT_MATCH_PY"),
    ),
    (
        "JavaScript (componentize-js)",
        env!("ARBITER_WASM_TEXT_MATCH_JS"),
    ),
    ("C (zig cc, wit-bindgen)", env!("ARBITER_WASM_TEXT_MATCH_C")),
];

fn context() -> Context {
    Context {
        netuid: 1,
        mechid: 0,
        epoch: 3,
        step: 1,
        block: 7212,
        block_time_ms: 1_767_225_600_000,
        block_hash: vec![7; 32],
        seed: (0..32).collect(),
        validator_uid: 0,
        neurons: (0..=MINERS)
            .map(|uid| Neuron {
                uid,
                stake: 1,
                validator_permit: uid == 0,
                active: true,
                replaced: false,
            })
            .collect(),
        hotkeys: vec![0; 32 * (usize::from(MINERS) + 1)],
    }
}

/// A 1 KiB reply to `question`: the reference answer with words from the
/// corpus after it, different for each uid.
fn reply(uid: u16, question: &[u8]) -> Vec<u8> {
    let corpus = text_match::corpus::entries();
    let reference = text_match::corpus::reference_for(&corpus, question).unwrap_or("");
    let mut text = reference.to_string();
    let mut i = usize::from(uid);
    while text.len() < REPLY_BYTES {
        text.push(' ');
        text.push_str(corpus[i % corpus.len()].reference);
        i += 7;
    }
    text.truncate(REPLY_BYTES);
    while !text.is_char_boundary(text.len()) {
        text.pop();
    }
    text.into_bytes()
}

fn main() {
    let wasm = std::fs::read(env!("ARBITER_WASM_TEXT_MATCH")).expect("text-match component");
    let sandbox = Sandbox::new(&SandboxOptions::default()).expect("sandbox");
    let mechanism = sandbox
        .load(&wasm, Limits::default())
        .expect("admitted")
        .mechanism;
    let ctx = context();
    let state = mechanism.init(b"").result.expect("init");
    let queries = mechanism.challenge(&ctx, &state).result.expect("challenge");
    let replies: Vec<(u16, Vec<u8>)> = wire::entries(&queries)
        .map(|(uid, question)| (uid, reply(uid, question)))
        .collect();
    let responses = Responses {
        status: vec![ReplyStatus::Ok; replies.len()],
        latency_ms: vec![100; replies.len()],
        replies: wire::pack(replies.iter().map(|(uid, r)| (*uid, r.as_slice()))),
    };
    let wasm_score = mechanism.score(&ctx, &state, &queries, &responses);
    let fuel = wasm_score.fuel_used;
    let wasm_state = wasm_score.result.expect("score");

    // The same logic, natively: the SDK glue the component runs, called
    // with the same bytes.
    let native = || native_score(&ctx, &state, &queries, &responses);
    assert_eq!(
        native(),
        wasm_state,
        "native and wasm must compute the same state"
    );

    let score_rows = [
        Row {
            name: "native Rust (same crate, same SDK glue)".into(),
            time: measure(native),
        },
        Row {
            name: format!(
                "component, fuel + NaN canonicalisation ({} fuel)",
                fuel.unwrap_or(0)
            ),
            time: measure(|| mechanism.score(&ctx, &state, &queries, &responses)),
        },
    ];
    report(
        "score: text-match, 256 replies × 1 KiB (target ≤ 2× native)",
        &score_rows,
        None,
    );

    let mut language_rows = score_rows.to_vec();
    language_rows[1].name = "Rust component".into();
    let mut load_rows = vec![];
    for (language, path) in OTHER_LANGUAGES {
        let wasm = std::fs::read(path).expect("component");
        let dir = tempfile::tempdir().expect("temp dir");
        let cached = Sandbox::new(&SandboxOptions {
            cache_dir: Some(dir.path().to_path_buf()),
            ..Default::default()
        })
        .expect("sandbox");
        let started = Instant::now();
        let other = cached
            .load(&wasm, Limits::default())
            .expect("admitted")
            .mechanism;
        load_rows.push(Row {
            name: format!("{language}: compile ({} MB)", wasm.len() / 1_000_000),
            time: started.elapsed(),
        });
        load_rows.push(Row {
            name: format!("{language}: load from the compiled cache"),
            time: measure_slow(5, || cached.load(&wasm, Limits::default()).map(|_| ())),
        });
        let call = other.score(&ctx, &state, &queries, &responses);
        assert_eq!(
            call.result.as_ref(),
            Ok(&wasm_state),
            "{language} must compute the Rust component's state"
        );
        language_rows.push(Row {
            name: format!("{language} ({} fuel)", call.fuel_used.unwrap_or(0)),
            time: measure_slow(11, || other.score(&ctx, &state, &queries, &responses)),
        });
    }
    report(
        "score: text-match in each language, 256 replies × 1 KiB: ratio to native Rust",
        &language_rows,
        None,
    );
    report(
        "the same: ratio to the Rust component",
        &language_rows[1..],
        None,
    );
    report(
        "load: other languages' components, cold compile vs compiled cache",
        &load_rows,
        None,
    );

    let instantiate = measure(|| mechanism.instantiate_only());
    let describe = measure(|| mechanism.describe());
    report(
        "per-call fixed cost (target ≤ 10 µs to instantiate)",
        &[
            Row {
                name: "fresh store + virtual WASI + instance from InstancePre".into(),
                time: instantiate,
            },
            Row {
                name: "the same plus a `describe` call".into(),
                time: describe,
            },
        ],
        None,
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let cached = Sandbox::new(&SandboxOptions {
        cache_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    })
    .expect("sandbox");
    cached
        .load(&wasm, Limits::default())
        .expect("fills the cache");
    let compile = measure_slow(5, || sandbox.load(&wasm, Limits::default()).map(|_| ()));
    let from_cache = measure_slow(21, || cached.load(&wasm, Limits::default()).map(|_| ()));
    report(
        "load text-match (target ≤ 5 ms from the cache)",
        &[
            Row {
                name: "compile with Cranelift".into(),
                time: compile,
            },
            Row {
                name: "load from the compiled cache".into(),
                time: from_cache,
            },
        ],
        None,
    );
}

fn native_score(ctx: &Context, state: &[u8], queries: &Payloads, responses: &Responses) -> Vec<u8> {
    use arbiter_sdk::wit::arbiter::mechanism::types as sdk;
    let ctx = sdk::Context {
        netuid: ctx.netuid,
        mechid: ctx.mechid,
        epoch: ctx.epoch,
        step: ctx.step,
        block: ctx.block,
        block_time_ms: ctx.block_time_ms,
        block_hash: ctx.block_hash.clone(),
        seed: ctx.seed.clone(),
        validator_uid: ctx.validator_uid,
        neurons: ctx
            .neurons
            .iter()
            .map(|n| sdk::Neuron {
                uid: n.uid,
                stake: n.stake,
                validator_permit: n.validator_permit,
                active: n.active,
                replaced: n.replaced,
            })
            .collect(),
        hotkeys: ctx.hotkeys.clone(),
    };
    let payloads = |p: &Payloads| sdk::Payloads {
        uids: p.uids.clone(),
        ends: p.ends.clone(),
        data: p.data.clone(),
    };
    let responses = sdk::Responses {
        status: vec![sdk::ReplyStatus::Ok; responses.status.len()],
        latency_ms: responses.latency_ms.clone(),
        replies: payloads(&responses.replies),
    };
    arbiter_sdk::__private::score::<text_match::TextMatch>(
        ctx,
        state.to_vec(),
        payloads(queries),
        responses,
    )
    .expect("native score")
}
