//! The real Bittensor chain (Subtensor), spoken byte for byte as the
//! official Python SDK speaks it.
//!
//! Everything here works from a runtime's metadata, without a node: the
//! same metadata and arguments give the same bytes on every machine, so
//! call data, signer payloads and signed transactions can be checked
//! against the SDK's recorded vectors and inspected before anything is
//! sent.
//!
//! - [`metadata`]: loading a runtime's metadata (SCALE or hex, as nodes
//!   and SDK fixtures store it).
//! - [`calls`]: the calls a validator makes (`set_weights`,
//!   `set_mechanism_weights`, `commit_weights`, `reveal_weights`,
//!   `Commitments.set_commitment`), checked before encoding.
//! - [`runtime_api`]: the metagraph and hyperparameters decoded from the
//!   runtime API's answers.
//! - [`transaction`]: signer payloads and signed transactions, with the
//!   nonce, mortality and tip the SDK uses.
//! - [`value`]: values decoded against the runtime's types, read by name.
//! - [`timelock`]: timelocked commit-reveal (CRv4) commits, encrypted to a
//!   drand round chosen as the SDK chooses it.
//!
//! And online, against a node ([`online::Subtensor`], the [`crate::chain::Chain`]
//! of the real network):
//!
//! - [`node`]: the WebSocket JSON-RPC connection, timeouts, reconnection
//!   and the runtime tracked across upgrades.
//! - [`storage`]: storage read at one block.
//! - [`submit`]: signing with the node's nonce and a mortal era, submitting
//!   once, and the events of the block it landed in.
//! - [`dispatch`]: dispatch errors named and mapped to the devnet's rules.
//!
//! Encoding goes through `subxt`'s dynamic API: calls are named and their
//! arguments matched to the runtime's own types, so one code path serves
//! every runtime version (spec 218 as well as 4xx) instead of bindings
//! generated for one of them.

pub mod calls;
pub mod dispatch;
pub mod metadata;
pub mod node;
pub mod online;
pub mod runtime_api;
pub mod storage;
pub mod submit;
pub mod timelock;
pub mod transaction;
pub mod value;

pub use calls::{CommitmentData, SubtensorCall};
pub use metadata::RuntimeMetadata;
pub use online::Subtensor;
pub use transaction::{Mortality, TransactionParams};

/// Why a call or transaction could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The metadata bytes are not runtime metadata.
    #[error("not runtime metadata: {0}")]
    Metadata(String),
    /// The runtime has no such call, or its arguments do not fit the call's
    /// types.
    #[error("cannot encode {call} for this runtime: {reason}")]
    Call {
        /// `Pallet.call`.
        call: String,
        /// What subxt reported.
        reason: String,
    },
    /// The arguments break a rule the chain would enforce: caught before
    /// anything is sent, as the same typed rule the devnet reports.
    #[error("refused before sending: {0}")]
    Refused(crate::chain::Rule),
}
