//! The same mechanism in four languages: `text-match` in Rust, Python
//! (`subnets/text-match-py`, componentize-py), JavaScript
//! (`subnets/text-match-js`, componentize-js) and C (`subnets/text-match-c`,
//! zig cc and wit-bindgen) must give byte-identical queries, states, state
//! hashes, weights and submitted `u16` vectors on the same inputs, and
//! refuse the same bad input with the same words.
//!
//! Python and JavaScript components are 12 to 19 MB and take tens of
//! seconds to compile, so each is loaded once per test binary, through a
//! compiled cache that persists in cargo's test temporary directory: later
//! runs load the artifact instead of compiling.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;

use arbiter_host::round::RoundFile;
use arbiter_host::sandbox::bindings::{Info, Payloads, ReplyStatus, Responses, Weight};
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

/// `path`'s component loaded once into `cell` (compiled, or from the
/// cache), with `limits`.
pub(crate) fn load_once(
    cell: &'static OnceLock<Mechanism>,
    path: &str,
    limits: Limits,
) -> &'static Mechanism {
    cell.get_or_init(|| {
        let started = Instant::now();
        let loaded = cached_sandbox()
            .load(&wasm(path), limits)
            .unwrap_or_else(|e| panic!("{path} refused: {e}"));
        eprintln!(
            "{path} loaded in {:?} ({:?})",
            started.elapsed(),
            loaded.cache
        );
        loaded.mechanism
    })
}

/// The Python text-match.
fn python() -> &'static Mechanism {
    static LOADED: OnceLock<Mechanism> = OnceLock::new();
    load_once(
        &LOADED,
        env!("ARBITER_WASM_TEXT_MATCH_PY"),
        Limits::default(),
    )
}

/// The JavaScript text-match.
fn javascript() -> &'static Mechanism {
    static LOADED: OnceLock<Mechanism> = OnceLock::new();
    load_once(
        &LOADED,
        env!("ARBITER_WASM_TEXT_MATCH_JS"),
        Limits::default(),
    )
}

/// The C text-match.
fn c() -> &'static Mechanism {
    static LOADED: OnceLock<Mechanism> = OnceLock::new();
    load_once(
        &LOADED,
        env!("ARBITER_WASM_TEXT_MATCH_C"),
        Limits::default(),
    )
}

/// Every port of text-match, by language.
fn ports() -> [(&'static str, &'static Mechanism); 3] {
    [
        ("python", python()),
        ("javascript", javascript()),
        ("c", c()),
    ]
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
fn every_language_agrees_with_rust_on_every_fixture_round() {
    let rounds = fixtures();
    let rust_run = run(rust(), b"", &rounds);
    // The recordings were made by the Rust mechanism: it asks exactly them.
    for (file, asked) in rounds.iter().zip(&rust_run.queries) {
        let recorded = file.clone().into_round().unwrap().queries;
        assert_eq!(recorded.as_ref(), Some(asked));
    }
    assert!(rust_run.submitted.iter().all(|w| !w.uids.is_empty()));
    for (language, port) in ports() {
        assert_eq!(run(port, b"", &rounds), rust_run, "{language}");
    }
}

#[test]
fn every_language_agrees_with_a_sampled_subset_and_another_alpha() {
    let config = b"alpha = 0.25\r\n\n  queries_per_step=3  \n";
    let rounds = fixtures();
    let rust_run = run(rust(), config, &rounds);
    assert_eq!(rust_run.queries[0].uids.len(), 3);
    for (language, port) in ports() {
        assert_eq!(run(port, config, &rounds), rust_run, "{language}");
    }
}

#[test]
fn every_language_refuses_the_same_configurations_with_the_same_words() {
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
        for (language, port) in ports() {
            assert_eq!(
                port.init(config).result,
                rust_out,
                "{language}: {}",
                String::from_utf8_lossy(config)
            );
        }
    }
    for config in [
        &b"alpha=1"[..],
        b"alpha=.5",
        b"alpha=1e-1",
        b"queries_per_step=+7",
    ] {
        let rust_out = rust().init(config).result;
        assert!(rust_out.is_ok(), "{config:?}");
        for (language, port) in ports() {
            assert_eq!(port.init(config).result, rust_out, "{language}");
        }
    }
}

#[test]
fn every_language_refuses_bad_state_and_input_alike() {
    let ctx = context(4, 1);
    for state in [&b""[..], &[0u8; 12], &[0u8; 17]] {
        let rust_out = rust().weights(&ctx, state).result;
        assert!(rust_out.is_err());
        for (language, port) in ports() {
            assert_eq!(port.weights(&ctx, state).result, rust_out, "{language}");
        }
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
    for (language, port) in ports() {
        assert_eq!(
            port.score(&ctx, &state, &queries, &responses).result,
            rust_out,
            "{language}"
        );
    }
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
fn every_language_scores_256_replies_identically() {
    let ctx = context(257, 9);
    let state = rust().init(b"").result.unwrap();
    let queries = rust().challenge(&ctx, &state).result.unwrap();
    assert_eq!(queries.uids.len(), 256);
    for (language, port) in ports() {
        let asked = port.challenge(&ctx, &state).result.unwrap();
        assert_eq!(asked, queries, "{language}");
    }
    let responses = replies_of_every_kind(&queries);

    let mut timings = vec![];
    let mut outputs = vec![];
    for (name, mechanism) in std::iter::once(("rust", rust())).chain(ports()) {
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
    let fuel: Vec<_> = outputs.iter().map(|o| o.1).collect();
    eprintln!("fuel (rust, python, javascript, c): {fuel:?}");
    let rust_weights = rust().weights(&ctx, &outputs[0].0).result.unwrap();
    for ((language, port), (state, _)) in ports().into_iter().zip(&outputs[1..]) {
        assert_eq!(state, &outputs[0].0, "{language}: state bytes differ");
        let weights = port.weights(&ctx, state).result.unwrap();
        assert_eq!(bits(&weights), bits(&rust_weights), "{language}");
        assert_eq!(submitted(&weights), submitted(&rust_weights), "{language}");
    }
}

#[test]
fn large_components_come_from_the_compiled_cache_once_compiled() {
    // Compiled (or loaded) once already:
    let _ = (python(), javascript());
    for path in [
        env!("ARBITER_WASM_TEXT_MATCH_PY"),
        env!("ARBITER_WASM_TEXT_MATCH_JS"),
    ] {
        let started = Instant::now();
        let again = cached_sandbox()
            .load(&wasm(path), Limits::default())
            .unwrap();
        eprintln!("{path} cached load: {:?}", started.elapsed());
        assert_eq!(again.cache, CacheUse::Hit, "{path}");
        assert_eq!(again.info.name, "text-match");
    }
}
