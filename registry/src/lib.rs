//! The Arbiter registry: incentive mechanisms stored by content hash.
//!
//! Every blob is addressed by its BLAKE3 hash ([`ContentHash`]); SHA-256 is
//! recorded beside it for interoperability with OCI registries and with
//! Bittensor's `Sha256` commitments. This crate never depends on the host:
//! checks that need wasmtime are handed in by the caller.

mod digest;
pub mod keys;

pub use digest::{ContentHash, ParseHashError, sha256_hex};
pub use keys::{KeyError, Keypair, PublicKey, Signature};
