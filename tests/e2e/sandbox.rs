//! The sandbox against hostile components: every misbehaviour ends in the
//! right typed outcome, the same one on every run, and nothing leaks.

use arbiter_host::sandbox::bindings::{ReplyStatus, Responses};
use arbiter_host::sandbox::{
    AdmissionError, CacheUse, Failure, HostFault, Limits, Mechanism, Sandbox, SandboxOptions,
};

use crate::support::{context, hostile_wasm, load, no_replies, sandbox, text_match_wasm};

/// The state `init` gives for `behaviour`.
fn init(mechanism: &Mechanism, behaviour: &str) -> Vec<u8> {
    mechanism.init(behaviour.as_bytes()).result.expect("init")
}

/// Runs the hostile mechanism's `score` acting out `behaviour`.
fn score_as(mechanism: &Mechanism, behaviour: &str) -> arbiter_host::sandbox::Call<Vec<u8>> {
    let state = init(mechanism, behaviour);
    let (queries, responses) = no_replies();
    mechanism.score(&context(4, 1), &state, &queries, &responses)
}

fn hostile(limits: Limits) -> Mechanism {
    load(&sandbox(), &hostile_wasm(), limits)
}

/// Limits small enough that hostile calls fail fast.
fn tight() -> Limits {
    Limits {
        fuel_per_call: 50_000_000,
        memory_bytes: 32 << 20,
        ..Limits::default()
    }
}

#[test]
fn an_infinite_loop_runs_out_of_fuel_the_same_way_every_run() {
    let mechanism = hostile(tight());
    for _ in 0..2 {
        let call = score_as(&mechanism, "loop");
        assert_eq!(call.result, Err(Failure::OutOfFuel { budget: 50_000_000 }));
        assert_eq!(
            call.fuel_used, None,
            "fuel after a trap is not exact, so it is not reported"
        );
    }
}

#[test]
fn unbounded_memory_growth_hits_the_memory_limit() {
    let call = score_as(&hostile(tight()), "grow");
    assert_eq!(call.result, Err(Failure::MemoryLimit { limit: 32 << 20 }));
}

#[test]
fn deep_recursion_is_a_host_fault_never_a_verdict() {
    let call = score_as(&hostile(tight()), "recurse");
    let failure = call.result.expect_err("recursion must fail");
    assert_eq!(failure, Failure::HostFault(HostFault::StackOverflow));
    assert!(!failure.is_verdict());
}

#[test]
fn a_huge_state_breaks_the_output_limit() {
    let call = score_as(&hostile(Limits::default()), "huge");
    match call.result {
        Err(Failure::InvalidOutput { reason }) => {
            assert!(reason.contains("output limit"), "{reason}")
        }
        other => panic!("expected invalid output, got {other:?}"),
    }
}

#[test]
fn a_panic_is_a_trap_and_its_message_is_logged() {
    let call = score_as(&hostile(tight()), "panic");
    assert_eq!(
        call.result,
        Err(Failure::Trap {
            code: "unreachable".into()
        })
    );
    let log: String = call.log.records.iter().map(|r| r.text.as_str()).collect();
    assert!(log.contains("panicked on purpose"), "{log}");
}

#[test]
fn a_mechanism_error_is_a_verdict_with_its_message() {
    let call = score_as(&hostile(tight()), "error");
    let failure = call.result.expect_err("must fail");
    assert!(failure.is_verdict());
    assert!(
        failure
            .to_string()
            .contains("invalid-input: hostile error on purpose"),
        "{failure}"
    );
}

#[test]
fn a_computed_nan_has_canonical_bits() {
    let state = score_as(&hostile(tight()), "nan").result.expect("nan");
    let bits = u64::from_le_bytes(state[state.len() - 8..].try_into().expect("8 bytes"));
    assert_eq!(bits, 0x7ff8_0000_0000_0000, "got {bits:#x}");
}

#[test]
fn wasi_is_virtual_and_seeded() {
    let mechanism = hostile(tight());
    let report = |seed: u8| {
        let state = init(&mechanism, "wasi");
        let (queries, responses) = no_replies();
        let out = mechanism
            .score(&context(2, seed), &state, &queries, &responses)
            .result
            .expect("wasi");
        String::from_utf8_lossy(&out).into_owned()
    };
    let first = report(1);
    assert_eq!(
        first,
        report(1),
        "the same context must read the same environment"
    );
    assert_ne!(first, report(2), "random bytes come from the context seed");
    assert!(
        first.contains("wall_ms=1767225600000"),
        "wall clock is the block time: {first}"
    );
    assert!(first.contains("env=0 args=0"), "{first}");
    assert!(first.contains("file=Err("), "no file is reachable: {first}");
}

#[test]
fn logging_is_capped_and_the_rest_counted() {
    let call = score_as(
        &hostile(Limits {
            log_bytes: 4096,
            ..tight()
        }),
        "log",
    );
    assert!(call.result.is_ok());
    let kept: usize = call.log.records.iter().map(|r| r.text.len()).sum();
    assert!(kept <= 4096, "{kept}");
    assert!(call.log.dropped_bytes > 1_000_000);
}

#[test]
fn outputs_that_break_the_contract_are_invalid_output() {
    let mechanism = hostile(tight());
    let ctx = context(4, 1);
    let queries = mechanism.challenge(&ctx, &init(&mechanism, "bad-queries"));
    assert!(
        matches!(queries.result, Err(Failure::InvalidOutput { .. })),
        "{:?}",
        queries.result
    );
    for behaviour in ["nan-weight", "dup-weight"] {
        let weights = mechanism.weights(&ctx, &init(&mechanism, behaviour));
        assert!(
            matches!(weights.result, Err(Failure::InvalidOutput { .. })),
            "{behaviour}: {:?}",
            weights.result
        );
    }
}

#[test]
fn the_wall_clock_backstop_is_a_host_fault() {
    let limits = Limits {
        fuel_per_call: u64::MAX / 2,
        wall_clock_ms: 50,
        ..tight()
    };
    let call = score_as(&hostile(limits), "loop");
    assert_eq!(
        call.result,
        Err(Failure::HostFault(HostFault::Deadline { millis: 50 }))
    );
}

#[test]
fn the_same_inputs_give_the_same_bytes_and_fuel() {
    let mechanism = load(&sandbox(), &text_match_wasm(), Limits::default());
    let ctx = context(16, 7);
    let state = mechanism.init(b"").result.expect("init");
    let queries = mechanism.challenge(&ctx, &state).result.expect("challenge");
    let replies = arbiter_host::sandbox::wire::pack(
        queries
            .uids
            .iter()
            .map(|&uid| (uid, if uid % 2 == 0 { &b"an answer"[..] } else { b"" })),
    );
    let responses = Responses {
        status: queries
            .uids
            .iter()
            .map(|&uid| {
                if uid % 3 == 0 {
                    ReplyStatus::Timeout
                } else {
                    ReplyStatus::Ok
                }
            })
            .collect(),
        latency_ms: queries
            .uids
            .iter()
            .map(|&uid| u32::from(uid) * 10)
            .collect(),
        replies,
    };
    let run = || {
        let call = mechanism.score(&ctx, &state, &queries, &responses);
        (call.result.expect("score"), call.fuel_used)
    };
    let (a, b) = (run(), run());
    assert_eq!(a, b);
    assert!(a.1.is_some_and(|fuel| fuel > 0));
    // A second, independent sandbox computes the same.
    let other = load(&sandbox(), &text_match_wasm(), Limits::default());
    let call = other.score(&ctx, &state, &queries, &responses);
    assert_eq!((call.result.expect("score"), call.fuel_used), a);
}

#[test]
fn a_failing_call_leaves_the_previous_state_untouched() {
    let mechanism = hostile(tight());
    let state = init(&mechanism, "panic");
    let before = state.clone();
    let (queries, responses) = no_replies();
    assert!(
        mechanism
            .score(&context(2, 1), &state, &queries, &responses)
            .result
            .is_err()
    );
    assert_eq!(state, before);
    // The state is still usable by a call that succeeds.
    assert!(mechanism.weights(&context(2, 1), &state).result.is_ok());
}

fn refusal(bytes: &[u8]) -> AdmissionError {
    match sandbox().load(bytes, Limits::default()) {
        Ok(_) => panic!("admitted"),
        Err(error) => error,
    }
}

#[test]
fn a_forbidden_import_is_refused_at_load_by_name() {
    let bytes = wat::parse_str(r#"(component (import "evil:net/socket@1.0.0" (func)))"#).unwrap();
    assert_eq!(
        refusal(&bytes),
        AdmissionError::ImportNotAllowed {
            import: "evil:net/socket@1.0.0".into()
        }
    );
    let http =
        wat::parse_str(r#"(component (import "wasi:http/outgoing-handler@0.2.0" (instance)))"#)
            .unwrap();
    assert!(
        refusal(&http)
            .to_string()
            .contains("wasi:http/outgoing-handler@0.2.0")
    );
}

#[test]
fn non_components_and_other_worlds_are_refused() {
    assert_eq!(refusal(b"not wasm at all"), AdmissionError::NotWasm);
    assert_eq!(
        refusal(&wat::parse_str("(module)").unwrap()),
        AdmissionError::CoreModule
    );
    assert_eq!(
        refusal(&wat::parse_str("(component)").unwrap()),
        AdmissionError::MissingExport { found: vec![] }
    );
    let wrong_types = wat::parse_str(
        r#"(component
            (core module $m (func (export "f")))
            (core instance $i (instantiate $m))
            (func $f (canon lift (core func $i "f")))
            (instance $api (export "describe" (func $f)))
            (export "arbiter:mechanism/mechanism@0.1.0" (instance $api)))"#,
    )
    .unwrap();
    assert!(matches!(
        refusal(&wrong_types),
        AdmissionError::WorldMismatch { .. }
    ));
}

#[test]
fn a_second_load_comes_from_the_compiled_cache() {
    let dir = tempfile::tempdir().unwrap();
    let options = SandboxOptions {
        cache_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let first = Sandbox::new(&options)
        .unwrap()
        .load(&text_match_wasm(), Limits::default())
        .unwrap();
    assert_eq!(first.cache, CacheUse::Compiled);
    let second = Sandbox::new(&options)
        .unwrap()
        .load(&text_match_wasm(), Limits::default())
        .unwrap();
    assert_eq!(second.cache, CacheUse::Hit);
    assert_eq!(first.info, second.info);
}
