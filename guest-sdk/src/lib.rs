//! Write a Bittensor subnet's incentive mechanism in Rust, as a
//! deterministic WebAssembly component that the Arbiter validator host runs.
//!
//! Implement [`Mechanism`] for a type and [`export!`] it; build with
//! `cargo build --release --target wasm32-wasip2`. The result is a component
//! of the `arbiter:mechanism/subnet` world (`wit/` in the Arbiter
//! repository).
//!
//! The contract requires the same outputs for the same inputs on every
//! machine. The helpers here are built for that:
//! - [`Context::rng`]: a random stream derived from the step's seed
//!   ([`rng`]), the same in every language;
//! - [`numeric`]: EMA, L1 normalisation, softmax with temperature (with the
//!   SDK's own `exp`), rank with tie averaging, top-k;
//! - [`text`]: tokenisation and token-level F1 and ROUGE-L;
//! - [`codec`]: the canonical binary encoding of state.
//!
//! `guest-sdk/ALGORITHMS.md` specifies each of them byte for byte, so SDKs
//! in other languages produce identical results.
//!
//! A reference miner's solver (the `arbiter:mechanism/miner` world, which
//! `arbiter miner serve` runs) is written the same way: implement
//! [`solver::Solver`] and [`export_solver!`] it.

#[doc(hidden)]
#[path = "solver_bindings.rs"]
pub mod solver_wit;
#[doc(hidden)]
#[path = "bindings.rs"]
pub mod wit;

pub mod codec;
mod context;
mod exchange;
pub mod log;
mod mechanism;
pub mod numeric;
pub mod rng;
pub mod solver;
pub mod text;

pub use codec::Codec;
pub use context::{Context, Neuron};
pub use exchange::{Queries, Reply, Response, Responses};
pub use mechanism::{__private, Error, Info, Mechanism, Weight};
