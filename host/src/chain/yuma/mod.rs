//! Yuma Consensus: a bit-exact port of Bittensor's epoch (opentensor/subtensor
//! `epoch/run_epoch.rs` and `epoch/math.rs` @ 14bc6f9f), following the team's SPEC.
//!
//! Arbiter runs subnet incentive mechanisms off-chain; to score them the way the chain
//! will, it must reproduce the chain's epoch to the last bit. [`run_epoch`] is that port
//! (the sparse path the chain runs), a pure function from [`EpochInputs`] to
//! [`EpochOutputs`]. [`vector`] reads and writes the team's reference vectors, and
//! [`dense_f64`] is a plain floating-point rendition used as a benchmark baseline.

mod bonds;
pub mod dense_f64;
mod epoch;
mod fixed;
mod masks;
mod math;
mod sparse;
mod types;
pub mod vector;

pub use bonds::BondsTrace;
pub use epoch::{EpochTrace, run_epoch, run_epoch_traced};
pub use sparse::{SparseMatrix, SparseRow};
pub use types::{Commits, EpochInputs, EpochOutputs};
pub use vector::{VectorError, run_vector_file};
