//! Host bindings for the `arbiter:mechanism/subnet` world, generated once
//! from `wit/` by wasmtime's `bindgen!`.
//!
//! The generated record types (`Context`, `Payloads`, `Responses`, ...) are
//! the host's in-memory form of the contract: the validator builds them once
//! and hands references to every call, so no per-call conversion sits on the
//! hot path.

#![allow(missing_docs, reason = "generated code; the WIT documents every item")]

wasmtime::component::bindgen!({
    world: "subnet",
    path: "../wit",
    additional_derives: [PartialEq, serde::Serialize, serde::Deserialize],
});

pub use arbiter::mechanism::log::{Host as LogHost, Level as LogLevel};
pub use arbiter::mechanism::types::{
    Context, Info, MechanismError, Neuron, Payloads, ReplyStatus, Responses, Weight,
};
pub use exports::arbiter::mechanism::mechanism::Guest as MechanismExports;
