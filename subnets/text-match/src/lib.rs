//! `text-match`: a text-prompting incentive mechanism in the spirit of
//! Bittensor subnet 1.
//!
//! Each step, every miner except the validator gets a question drawn from an
//! embedded corpus of question/reference pairs (`corpus.tsv`), chosen with
//! the step's seed. A reply is scored by token F1 against the reference
//! answer, times a length penalty that stops padding from paying; timeouts,
//! refusals, unsigned and malformed replies score 0. Each miner's score
//! enters an exponential moving average, and the epoch's weights are the EMA
//! normalised to sum 1.
//!
//! Wire format: a query is the question as UTF-8 text; a reply is the answer
//! as UTF-8 text. Configuration (optional, `key=value` lines): `alpha`
//! (EMA weight of a new score, default 0.1) and `queries_per_step` (miners
//! asked per step, 0 = all, the default).

pub mod corpus;
mod mechanism;
pub mod scoring;

pub use mechanism::{State, TextMatch};

#[cfg(target_arch = "wasm32")]
arbiter_sdk::export!(TextMatch);
