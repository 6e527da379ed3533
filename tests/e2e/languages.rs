//! The same mechanism in two languages: `text-match` in Rust and in Python
//! (`subnets/text-match-py`, componentize-py) must give byte-identical
//! queries, states, weights and submitted `u16` vectors on the same inputs.
//! And a misbehaving Python mechanism (`hostile-py`) ends every call in a
//! typed outcome, leaving the previous state untouched.
//!
//! Python components are about 18 MB and take tens of seconds to compile, so
//! each is loaded once per test binary, through a compiled cache that
//! persists in cargo's test temporary directory: later runs load the
//! artifact instead of compiling.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;

use arbiter_host::round::RoundFile;
use arbiter_host::sandbox::bindings::{Context, Info, Payloads, ReplyStatus, Responses, Weight};
use arbiter_host::sandbox::{CacheUse, Failure, Limits, Mechanism, Sandbox, SandboxOptions};
use arbiter_host::weights::{ConformRules, U16Weights, conform};

use crate::support::{context, repo_path, text_match_wasm, wasm};

/// The compiled cache the Python components go through.
pub(crate) fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("languages-compiled")
}

pub(crate) fn cached_sandbox() -> Sandbox {
    Sandbox::new(&SandboxOptions {
        cache_dir: Some(cache_dir()),
        ..Default::default()
    })
    .expect("sandbox")
}

fn text_match_py_wasm() -> Vec<u8> {
    wasm(env!("ARBITER_WASM_TEXT_MATCH_PY"))
}

/// The Python text-match, loaded (compiled or from the cache) once.
fn python() -> &'static Mechanism {
    static LOADED: OnceLock<Mechanism> = OnceLock::new();
    LOADED.get_or_init(|| {
        let started = Instant::now();
        let loaded = cached_sandbox()
            .load(&text_match_py_wasm(), Limits::default())
            .unwrap_or_else(|e| panic!("text-match-py refused: {e}"));
        eprintln!(
            "text-match-py loaded in {:?} ({:?})",
            started.elapsed(),
            loaded.cache
        );
        loaded.mechanism
    })
}

/// The Rust text-match.
pub(crate) fn rust() -> &'static Mechanism {
    static LOADED: OnceLock<Mechanism> = OnceLock::new();
    LOADED.get_or_init(|| {
        cached_sandbox()
            .load(&text_match_wasm(), Limits::default())
            .unwrap_or_else(|e| panic!("text-match refused: {e}"))
            .mechanism
    })
}

pub(crate) fn fixtures() -> Vec<RoundFile> {
    let dir = repo_path("subnets/text-match/fixtures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
        .iter()
        .map(|p| RoundFile::parse(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect()
}

/// Weights as `(uid, f64 bits)`, so equality is bit equality.
pub(crate) fn bits(weights: &[Weight]) -> Vec<(u16, u64)> {
    weights.iter().map(|w| (w.uid, w.value.to_bits())).collect()
}

/// The `u16` vector the SDK's conversion submits for `weights`.
pub(crate) fn submitted(weights: &[Weight]) -> U16Weights {
    let uids: Vec<u16> = weights.iter().map(|w| w.uid).collect();
    let values: Vec<f64> = weights.iter().map(|w| w.value).collect();
    conform(&uids, &values, &ConformRules::default()).expect("conform")
}

/// What one language computed over a sequence of rounds.
#[derive(Debug, PartialEq)]
pub(crate) struct Run {
    info: Info,
    init: Vec<u8>,
    queries: Vec<Payloads>,
    states: Vec<Vec<u8>>,
    state_hashes: Vec<String>,
    weights: Vec<Vec<(u16, u64)>>,
    submitted: Vec<U16Weights>,
}

pub(crate) fn run(mechanism: &Mechanism, config: &[u8], rounds: &[RoundFile]) -> Run {
    let info = mechanism.describe().result.expect("describe");
    let init = mechanism.init(config).result.expect("init");
    let mut state = init.clone();
    let mut out = Run {
        info,
        init,
        queries: vec![],
        states: vec![],
        state_hashes: vec![],
        weights: vec![],
        submitted: vec![],
    };
    for file in rounds {
        let round = file.clone().into_round().expect("round");
        let queries = mechanism
            .challenge(&round.context, &state)
            .result
            .expect("challenge");
        let responses = round.responses.expect("recorded responses");
        // Recorded replies answer the recorded queries; with a configuration
        // other than the recording's, score the queries actually asked.
        let (asked, answers) = if round.queries.as_ref() == Some(&queries) {
            (queries.clone(), responses)
        } else {
            reply_to(&queries, &responses)
        };
        state = mechanism
            .score(&round.context, &state, &asked, &answers)
            .result
            .expect("score");
        let weights = mechanism
            .weights(&round.context, &state)
            .result
            .expect("weights");
        out.queries.push(queries);
        out.state_hashes
            .push(blake3::hash(&state).to_hex().to_string());
        out.states.push(state.clone());
        out.submitted.push(submitted(&weights));
        out.weights.push(bits(&weights));
    }
    out
}

/// Replies to `queries`: each uid's recorded reply if it has one, else a
/// timeout.
pub(crate) fn reply_to(queries: &Payloads, recorded: &Responses) -> (Payloads, Responses) {
    let mut by_uid = BTreeMap::new();
    for (i, &uid) in recorded.replies.uids.iter().enumerate() {
        let start = if i == 0 {
            0
        } else {
            recorded.replies.ends[i - 1] as usize
        };
        let bytes = recorded.replies.data[start..recorded.replies.ends[i] as usize].to_vec();
        by_uid.insert(uid, (recorded.status[i], recorded.latency_ms[i], bytes));
    }
    let picked: Vec<(u16, ReplyStatus, u32, Vec<u8>)> = queries
        .uids
        .iter()
        .map(|uid| {
            let (status, latency, bytes) =
                by_uid
                    .get(uid)
                    .cloned()
                    .unwrap_or((ReplyStatus::Timeout, 8000, vec![]));
            (*uid, status, latency, bytes)
        })
        .collect();
    let responses = Responses {
        status: picked.iter().map(|p| p.1).collect(),
        latency_ms: picked.iter().map(|p| p.2).collect(),
        replies: arbiter_host::sandbox::wire::pack(picked.iter().map(|p| (p.0, p.3.as_slice()))),
    };
    (queries.clone(), responses)
}

#[test]
fn python_and_rust_text_match_agree_on_every_fixture_round() {
    let rounds = fixtures();
    let rust_run = run(rust(), b"", &rounds);
    let python_run = run(python(), b"", &rounds);
    assert_eq!(python_run, rust_run);
    // The recordings were made by the Rust mechanism: both ask exactly them.
    for (file, asked) in rounds.iter().zip(&python_run.queries) {
        let recorded = file.clone().into_round().unwrap().queries;
        assert_eq!(recorded.as_ref(), Some(asked));
    }
    assert!(rust_run.submitted.iter().all(|w| !w.uids.is_empty()));
}

#[test]
fn python_and_rust_agree_with_a_sampled_subset_and_another_alpha() {
    let config = b"alpha = 0.25\r\n\n  queries_per_step=3  \n";
    let rounds = fixtures();
    let rust_run = run(rust(), config, &rounds);
    assert_eq!(rust_run.queries[0].uids.len(), 3);
    assert_eq!(run(python(), config, &rounds), rust_run);
}

#[test]
fn python_and_rust_refuse_the_same_configurations_with_the_same_words() {
    for config in [
        &b"alpha=2"[..],
        b"alpha=0",
        b"alpha=nan",
        b"alpha=1_0",
        b"alpha=0.5x",
        b"beta=1",
        b"queries_per_step=-1",
        b"queries_per_step=4294967296",
        b"no equals sign",
        b"\xff",
    ] {
        let rust_out = rust().init(config).result;
        assert!(rust_out.is_err(), "{config:?}");
        assert_eq!(
            python().init(config).result,
            rust_out,
            "{}",
            String::from_utf8_lossy(config)
        );
    }
    for config in [
        &b"alpha=1"[..],
        b"alpha=.5",
        b"alpha=1e-1",
        b"queries_per_step=+7",
    ] {
        let rust_out = rust().init(config).result;
        assert!(rust_out.is_ok(), "{config:?}");
        assert_eq!(python().init(config).result, rust_out);
    }
}

#[test]
fn python_and_rust_refuse_bad_state_and_input_alike() {
    let ctx = context(4, 1);
    for state in [&b""[..], &[0u8; 12], &[0u8; 17]] {
        let rust_out = rust().weights(&ctx, state).result;
        assert!(rust_out.is_err());
        assert_eq!(python().weights(&ctx, state).result, rust_out);
    }
    // A reply to a question that is not in the corpus.
    let state = rust().init(b"").result.unwrap();
    let queries = arbiter_host::sandbox::wire::pack([(1, &b"what?"[..])]);
    let responses = Responses {
        status: vec![ReplyStatus::Ok],
        latency_ms: vec![1],
        replies: arbiter_host::sandbox::wire::pack([(1, &b"that"[..])]),
    };
    let rust_out = rust().score(&ctx, &state, &queries, &responses).result;
    assert!(matches!(rust_out, Err(Failure::Mechanism { .. })));
    assert_eq!(
        python().score(&ctx, &state, &queries, &responses).result,
        rust_out
    );
}

/// The corpus, question to reference.
pub(crate) fn corpus() -> BTreeMap<Vec<u8>, Vec<u8>> {
    let text = std::fs::read_to_string(repo_path("subnets/text-match/corpus.tsv")).unwrap();
    text.lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(q, r)| (q.as_bytes().to_vec(), r.as_bytes().to_vec()))
        .collect()
}

/// 256 miners' replies of every kind to `queries`.
pub(crate) fn replies_of_every_kind(queries: &Payloads) -> Responses {
    let corpus = corpus();
    let mut picked: Vec<(u16, ReplyStatus, Vec<u8>)> = vec![];
    for (i, &uid) in queries.uids.iter().enumerate() {
        let start = if i == 0 {
            0
        } else {
            queries.ends[i - 1] as usize
        };
        let question = &queries.data[start..queries.ends[i] as usize];
        let reference = corpus.get(question).expect("a corpus question").clone();
        let words: Vec<&[u8]> = reference.split(|&b| b == b' ').collect();
        let (status, reply) = match uid % 8 {
            0 => (ReplyStatus::Ok, reference.clone()),
            1 => (ReplyStatus::Ok, words[..words.len() / 2].join(&b' ')),
            2 => (ReplyStatus::Ok, reference.to_ascii_uppercase()),
            3 => (
                ReplyStatus::Ok,
                [&reference[..], &b" padding"[..]].concat().repeat(5),
            ),
            4 => (ReplyStatus::Ok, vec![0xff, 0xfe, b'a']),
            5 => (ReplyStatus::Timeout, vec![]),
            6 => (ReplyStatus::BadSignature, reference.clone()),
            _ => (ReplyStatus::Ok, b"I do not know; sorry!".to_vec()),
        };
        picked.push((uid, status, reply));
    }
    Responses {
        status: picked.iter().map(|p| p.1).collect(),
        latency_ms: picked.iter().map(|p| u32::from(p.0) * 3).collect(),
        replies: arbiter_host::sandbox::wire::pack(picked.iter().map(|p| (p.0, p.2.as_slice()))),
    }
}

#[test]
fn python_and_rust_score_256_replies_identically() {
    let ctx = context(257, 9);
    let state = rust().init(b"").result.unwrap();
    let queries = rust().challenge(&ctx, &state).result.unwrap();
    assert_eq!(queries.uids.len(), 256);
    assert_eq!(python().challenge(&ctx, &state).result.unwrap(), queries);
    let responses = replies_of_every_kind(&queries);

    let mut timings = vec![];
    let mut outputs = vec![];
    for (name, mechanism) in [("rust", rust()), ("python", python())] {
        let mut micros = vec![];
        let mut last = None;
        for _ in 0..5 {
            let started = Instant::now();
            let call = mechanism.score(&ctx, &state, &queries, &responses);
            micros.push(started.elapsed().as_micros());
            last = Some((call.result.expect("score"), call.fuel_used));
        }
        micros.sort_unstable();
        timings.push((name, micros[2]));
        outputs.push(last.unwrap());
    }
    eprintln!("score of 256 replies, median of 5 calls (µs): {timings:?}");
    eprintln!("fuel: rust {:?}, python {:?}", outputs[0].1, outputs[1].1);
    assert_eq!(outputs[0].0, outputs[1].0, "state bytes differ");
    let weights = |m: &Mechanism| m.weights(&ctx, &outputs[0].0).result.unwrap();
    assert_eq!(bits(&weights(python())), bits(&weights(rust())));
    assert_eq!(submitted(&weights(python())), submitted(&weights(rust())));
}

#[test]
fn the_python_component_comes_from_the_compiled_cache_once_compiled() {
    let _ = python();
    let started = Instant::now();
    let again = cached_sandbox()
        .load(&text_match_py_wasm(), Limits::default())
        .unwrap();
    eprintln!("text-match-py cached load: {:?}", started.elapsed());
    assert_eq!(again.cache, CacheUse::Hit);
    assert_eq!(again.info.name, "text-match");
}

/// The misbehaving Python mechanism, with a fuel budget that ends a loop in
/// well under a second.
fn hostile() -> &'static Mechanism {
    static LOADED: OnceLock<Mechanism> = OnceLock::new();
    LOADED.get_or_init(|| {
        let limits = Limits {
            fuel_per_call: 1_000_000_000,
            ..Limits::default()
        };
        cached_sandbox()
            .load(&wasm(env!("ARBITER_WASM_HOSTILE_PY")), limits)
            .unwrap_or_else(|e| panic!("hostile-py refused: {e}"))
            .mechanism
    })
}

pub(crate) fn no_replies() -> (Payloads, Responses) {
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

/// `score` acting out `behaviour`: its outcome and log; the state given to
/// it is checked to be untouched and still usable.
fn act_out(behaviour: &str) -> (Result<Vec<u8>, Failure>, String) {
    let mechanism = hostile();
    let state = mechanism.init(behaviour.as_bytes()).result.expect("init");
    let before = state.clone();
    let ctx: Context = context(3, 1);
    let (queries, responses) = no_replies();
    let call = mechanism.score(&ctx, &state, &queries, &responses);
    assert_eq!(state, before);
    assert_eq!(
        mechanism.weights(&ctx, &state).result,
        Ok(vec![]),
        "the previous state still works"
    );
    let log = call.log.records.iter().map(|r| r.text.as_str()).collect();
    (call.result, log)
}

#[test]
fn a_python_exception_is_a_trap_with_its_traceback_logged() {
    let (result, log) = act_out("raise");
    let failure = result.expect_err("must fail");
    assert!(matches!(failure, Failure::Trap { .. }), "{failure:?}");
    assert!(failure.is_verdict());
    assert!(log.contains("RuntimeError: raised on purpose"), "{log}");
}

#[test]
fn a_python_endless_loop_runs_out_of_fuel() {
    let (result, _) = act_out("loop");
    assert_eq!(
        result,
        Err(Failure::OutOfFuel {
            budget: 1_000_000_000
        })
    );
}

#[test]
fn a_python_mechanism_cannot_open_a_file() {
    let (result, log) = act_out("open-file");
    let failure = result.expect_err("there is no filesystem");
    assert!(matches!(failure, Failure::Trap { .. }), "{failure:?}");
    assert!(!log.contains("root:"), "nothing leaks: {log}");
}

#[test]
fn a_python_mechanism_cannot_open_a_socket() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let (result, log) = act_out(&format!("socket:{port}"));
    let failure = result.expect_err("there is no network");
    assert!(matches!(failure, Failure::Trap { .. }), "{failure:?}");
    assert!(!log.contains("connected"), "{log}");
    listener.set_nonblocking(true).expect("nonblocking");
    assert_eq!(
        listener.accept().map(|_| ()).map_err(|e| e.kind()),
        Err(std::io::ErrorKind::WouldBlock),
        "nothing may reach the port"
    );
}

#[test]
fn a_python_mechanism_error_is_a_verdict_with_its_message() {
    let (result, _) = act_out("error");
    let failure = result.expect_err("must fail");
    assert!(failure.is_verdict());
    assert!(
        failure
            .to_string()
            .contains("invalid-input: hostile-py error on purpose"),
        "{failure}"
    );
}
