//! Host bindings for the `arbiter:mechanism/miner` world (a reference
//! miner's solver), generated from `wit/` by wasmtime's `bindgen!`.
//!
//! A second `bindgen!` beside [`super::bindings`] because a solver is a
//! different world; its `log` import is the `subnet` bindings' own
//! (`with`), so one linker and one log host serve both worlds.

#![allow(missing_docs, reason = "generated code; the WIT documents every item")]

wasmtime::component::bindgen!({
    world: "miner",
    path: "../wit",
    with: {
        "arbiter:mechanism/log": super::bindings::arbiter::mechanism::log,
    },
    additional_derives: [PartialEq, Eq],
});

pub use exports::arbiter::mechanism::solver::SolveError;
