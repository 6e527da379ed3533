//! Misbehaving mechanisms in Python (`hostile-py`, built from
//! `guest-sdk/python/tests/hostile`) and JavaScript (`hostile-js`, from
//! `guest-sdk/js/tests/hostile`): an exception, an endless loop, a file, a
//! socket or a `fetch` each end the call in a typed outcome, nothing
//! reaches the outside, and the previous state stays untouched and usable.
//! (The Rust `hostile` component is `sandbox.rs`'s.)

use std::net::TcpListener;
use std::sync::OnceLock;

use arbiter_host::sandbox::{Failure, Limits, Mechanism};

use crate::languages::load_once;
use crate::support::{context, no_replies};

/// A fuel budget that ends an endless loop in well under a second.
const FUEL: u64 = 1_000_000_000;

fn limits() -> Limits {
    Limits {
        fuel_per_call: FUEL,
        ..Limits::default()
    }
}

fn python() -> &'static Mechanism {
    static LOADED: OnceLock<Mechanism> = OnceLock::new();
    load_once(&LOADED, env!("ARBITER_WASM_HOSTILE_PY"), limits())
}

fn javascript() -> &'static Mechanism {
    static LOADED: OnceLock<Mechanism> = OnceLock::new();
    load_once(&LOADED, env!("ARBITER_WASM_HOSTILE_JS"), limits())
}

/// `score` acting out `behaviour`: its outcome and log; the state given to
/// it is checked to be untouched and still usable.
fn act_out(mechanism: &Mechanism, behaviour: &str) -> (Result<Vec<u8>, Failure>, String) {
    let state = mechanism.init(behaviour.as_bytes()).result.expect("init");
    let before = state.clone();
    let ctx = context(3, 1);
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

/// A port nothing may reach, and the check that nothing did.
struct Watched(TcpListener);

impl Watched {
    fn new() -> Self {
        Self(TcpListener::bind("127.0.0.1:0").expect("bind"))
    }

    fn port(&self) -> u16 {
        self.0.local_addr().expect("address").port()
    }

    fn assert_untouched(&self) {
        self.0.set_nonblocking(true).expect("nonblocking");
        assert_eq!(
            self.0.accept().map(|_| ()).map_err(|e| e.kind()),
            Err(std::io::ErrorKind::WouldBlock),
            "nothing may reach the port"
        );
    }
}

#[test]
fn an_exception_is_a_trap_with_its_traceback_logged() {
    for (mechanism, expected) in [
        (python(), "RuntimeError: raised on purpose"),
        (javascript(), "Error: raised on purpose"),
    ] {
        let (result, log) = act_out(mechanism, "raise");
        let failure = result.expect_err("must fail");
        assert!(matches!(failure, Failure::Trap { .. }), "{failure:?}");
        assert!(failure.is_verdict());
        assert!(log.contains(expected), "{log}");
    }
}

#[test]
fn an_endless_loop_runs_out_of_fuel() {
    for mechanism in [python(), javascript()] {
        let (result, _) = act_out(mechanism, "loop");
        assert_eq!(result, Err(Failure::OutOfFuel { budget: FUEL }));
    }
}

#[test]
fn a_mechanism_error_is_a_verdict_with_its_message() {
    for (mechanism, expected) in [
        (python(), "invalid-input: hostile-py error on purpose"),
        (javascript(), "invalid-input: hostile-js error on purpose"),
    ] {
        let (result, _) = act_out(mechanism, "error");
        let failure = result.expect_err("must fail");
        assert!(failure.is_verdict());
        assert!(failure.to_string().contains(expected), "{failure}");
    }
}

#[test]
fn python_cannot_open_a_file() {
    let (result, log) = act_out(python(), "open-file");
    let failure = result.expect_err("there is no filesystem");
    assert!(matches!(failure, Failure::Trap { .. }), "{failure:?}");
    assert!(!log.contains("root:"), "nothing leaks: {log}");
}

#[test]
fn python_cannot_open_a_socket() {
    let watched = Watched::new();
    let (result, log) = act_out(python(), &format!("socket:{}", watched.port()));
    let failure = result.expect_err("there is no network");
    assert!(matches!(failure, Failure::Trap { .. }), "{failure:?}");
    assert!(!log.contains("connected"), "{log}");
    watched.assert_untouched();
}

#[test]
fn javascript_cannot_fetch() {
    let watched = Watched::new();
    let (result, log) = act_out(javascript(), &format!("fetch:{}", watched.port()));
    let failure = result.expect_err("there is no network");
    assert!(matches!(failure, Failure::Trap { .. }), "{failure:?}");
    assert!(!log.contains("connected"), "{log}");
    watched.assert_untouched();
}
