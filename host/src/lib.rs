//! Arbiter's validator host: runs Bittensor incentive mechanisms, written
//! as WebAssembly components, in a deterministic sandbox.
//!
//! - [`sandbox`]: the engine, admission checks, virtual WASI, limits,
//!   compiled cache and typed call outcomes.
//! - [`publishing`]: the registry's admission checks, reproducible
//!   rebuilds and the checks of `arbiter verify`.
//! - [`round`]: recorded rounds (context, queries, responses) that
//!   `arbiter score` replays against a mechanism.

pub mod publishing;
pub mod round;
pub mod sandbox;
