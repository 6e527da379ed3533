//! The Arbiter registry: incentive mechanisms stored by content hash,
//! signed by their publishers, immutable once published.
//!
//! Every blob is addressed by its BLAKE3 hash ([`ContentHash`]); SHA-256 is
//! recorded beside it for interoperability with OCI registries and with
//! Bittensor's `Sha256` commitments. This crate never depends on the host:
//! checks that need wasmtime are handed in by the caller ([`Admission`]).
//!
//! - [`name`]: mechanism names, versions, and references to releases.
//! - [`manifest`]: the signed manifest schema and its canonical encoding.
//! - [`keys`]: sr25519 keys, SS58 addresses, Bittensor wallet files.
//! - [`store`]: the local store (blob files and a sled index).
//! - [`server`] and [`client`]: the same store over HTTP.
//! - [`Registry`]: one interface over a local store or a remote one, and
//!   [`publish`], the whole publishing sequence.

mod access;
pub mod admission;
pub mod canonical;
pub mod client;
mod digest;
mod error;
pub mod keys;
pub mod manifest;
pub mod name;
mod publish;
pub mod server;
pub mod store;

pub use access::Registry;
pub use admission::{Admission, Admitted};
pub use digest::{ContentHash, Digester, Digests, ParseHashError, sha256_hex};
pub use error::{Error, Result};
pub use keys::{KeyError, Keypair, PublicKey, Signature};
pub use manifest::{Draft, Limits, Manifest, SignedManifest, Source};
pub use name::{Name, Reference, Release};
pub use publish::publish;
pub use store::{FiledTranscript, Released, Store, StoreOptions};
