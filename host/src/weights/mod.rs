//! Float weights → the `u16` vector a validator submits, and the chain's checks on it.
//!
//! A Bittensor validator scores miners with floats, but `set_weights` carries
//! `u16` values. Two independent pieces of upstream code decide what ends up on
//! chain, and Arbiter must reproduce both bit for bit:
//!
//! * **SDK side** — the Python SDK `bittensor==11.3.0`,
//!   `bittensor/intents/weights.py`: [`normalize`] (max-upscale to 65535 and
//!   quantise, dropping zeros), [`clip_to_max_weight`] (the max-weight cutoff in
//!   float64) and [`conform`] (`SetWeights`' duplicate check followed by
//!   `_conform`: clip unless exempt, quantise, then the minimum-weight-count
//!   check). Every float operation is done in the order Python does it, with
//!   Python's semantics (round half to even, `min`, `ZeroDivisionError`, and the
//!   compensated `sum()` of CPython ≥ 3.12).
//! * **Chain side** — subtensor's `vec_u16_max_upscale_to_u16`
//!   ([`max_upscale`]) and `check_vec_max_limited`
//!   ([`check_max_weight_limited`]), computed in `I32F32` from
//!   `substrate-fixed 0.6.0`, the exact crate and version upstream uses, so
//!   rounding matches. The embedded chain's `set_weights` calls these too.
//!
//! The 10.x SDK path (`weight_utils.py`, which casts to float32 and pads with
//! uniform weights) is deliberately not ported.

mod chain;
mod error;
mod py;
mod sdk;
mod types;

pub use chain::{check_max_weight_limited, max_upscale};
pub use error::ConformError;
pub use sdk::{clip_to_max_weight, conform, normalize};
pub use types::{ConformRules, FloatWeights, U16Weights};
