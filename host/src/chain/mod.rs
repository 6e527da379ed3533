//! The chain: what the validator host reads from and commits to.
//!
//! [`Chain`] is the one interface the validator talks to; nothing in it is
//! specific to a backend. Backends:
//! - [`devnet::Devnet`], the embedded local chain (in-process, state in
//!   sled), and [`client::DevnetClient`], the same chain served over HTTP by
//!   `arbiter chain serve`;
//! - a real Subtensor node ([`crate::subtensor::Subtensor`]), over
//!   `ws://`/`wss://`.
//!
//! [`connect`] picks the backend from an endpoint's scheme.
//!
//! Also here: [`yuma`], Yuma Consensus ported bit for bit from the upstream
//! chain, and [`commit_hash`], the weight-commit hash as the chain and the
//! Bittensor SDK compute it.

pub mod client;
pub mod commit_hash;
pub mod devnet;
mod error;
pub mod server;
mod types;
pub mod yuma;

use std::time::Duration;

use arbiter_registry::{Keypair, PublicKey};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use error::{ChainError, Result, Rule};
pub use types::{
    Axon, BlockInfo, COMMIT_REVEAL_HASH, COMMIT_REVEAL_TIMELOCK, Commitment, Hyperparameters,
    MAX_COMMITMENT_BYTES, Metagraph, NeuronInfo, Receipt, TimelockedCommit, hex_bytes, hex32,
};

/// A weight vector as submitted: `uids[i]` gets `values[i]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightsCall {
    /// The subnet.
    pub netuid: u16,
    /// The mechanism within the subnet (0 for most).
    #[serde(default)]
    pub mechid: u8,
    /// The uids rated.
    pub uids: Vec<u16>,
    /// Their weights, as u16 (the chain max-upscales them).
    pub values: Vec<u16>,
    /// The validator's weights version key.
    pub version_key: u64,
}

/// A reveal: the weights and the salt of an earlier commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevealCall {
    /// The weights committed.
    pub weights: WeightsCall,
    /// The salt the commit hash was made with.
    pub salt: Vec<u16>,
}

/// What the validator host needs from a chain.
#[async_trait]
pub trait Chain: Send + Sync {
    /// The latest block.
    async fn head(&self) -> Result<BlockInfo>;

    /// Waits until the chain is past block `after`, then returns the head;
    /// [`ChainError::Timeout`] after `timeout`.
    async fn wait_for_block(&self, after: u64, timeout: Duration) -> Result<BlockInfo>;

    /// A subnet's hyperparameters.
    async fn hyperparameters(&self, netuid: u16) -> Result<Hyperparameters>;

    /// A subnet's metagraph at the head.
    async fn metagraph(&self, netuid: u16) -> Result<Metagraph>;

    /// The weights stored for `uid` (storage order, zeros kept).
    async fn weights(&self, netuid: u16, mechid: u8, uid: u16) -> Result<Vec<(u16, u16)>>;

    /// The commitment `hotkey` made on a subnet, if any.
    async fn commitment(&self, netuid: u16, hotkey: &PublicKey) -> Result<Option<Commitment>>;

    /// The hashes of `hotkey`'s unrevealed weight commits.
    async fn weight_commits(&self, netuid: u16, hotkey: &PublicKey) -> Result<Vec<[u8; 32]>>;

    /// Sets weights directly (subnets without commit-reveal).
    async fn set_weights(&self, signer: &Keypair, call: &WeightsCall) -> Result<Receipt>;

    /// Commits the hash of weights to reveal later ([`commit_hash`]).
    async fn commit_weights(
        &self,
        signer: &Keypair,
        netuid: u16,
        mechid: u8,
        hash: [u8; 32],
    ) -> Result<Receipt>;

    /// Reveals committed weights.
    async fn reveal_weights(&self, signer: &Keypair, reveal: &RevealCall) -> Result<Receipt>;

    /// Commits weights timelock-encrypted to a drand round (commit-reveal
    /// version 4): the chain opens and applies them itself once the round
    /// is published, so nothing is revealed by the validator. The backend
    /// picks the round as the Bittensor SDK does; all the encryption's
    /// randomness comes from `seed` (secret, one per commit), so the same
    /// weights, round and seed always give the same ciphertext.
    ///
    /// Chains that run only hash commits (the devnet) refuse it, as their
    /// [`Hyperparameters::commit_reveal_version`] says they would.
    async fn commit_timelocked_weights(
        &self,
        signer: &Keypair,
        call: &WeightsCall,
        seed: [u8; 32],
    ) -> Result<TimelockedCommit> {
        let _ = (signer, seed);
        Err(hash_commits_only(call.netuid))
    }

    /// `hotkey`'s timelocked commits on a subnet's mechanism that the chain
    /// has not opened yet.
    async fn timelocked_commits(
        &self,
        netuid: u16,
        mechid: u8,
        hotkey: &PublicKey,
    ) -> Result<Vec<TimelockedCommit>> {
        let _ = (mechid, hotkey);
        Err(hash_commits_only(netuid))
    }

    /// Stores a `Raw` commitment of at most [`MAX_COMMITMENT_BYTES`].
    async fn set_commitment(&self, signer: &Keypair, netuid: u16, data: &[u8]) -> Result<Receipt>;

    /// Tells the chain where the signer's axon serves.
    async fn serve_axon(&self, signer: &Keypair, netuid: u16, axon: &Axon) -> Result<Receipt>;
}

/// The refusal of a timelocked commit by a chain that runs hash commits.
fn hash_commits_only(netuid: u16) -> ChainError {
    ChainError::InvalidRequest {
        reason: format!(
            "this chain takes commit-reveal version {COMMIT_REVEAL_HASH} (hash commits) on subnet {netuid}, not timelocked commits"
        ),
    }
}

/// Whether `endpoint` names a Subtensor node (`ws://`, `wss://`) rather
/// than a devnet (`http://`, `https://`).
pub fn is_subtensor(endpoint: &str) -> bool {
    endpoint.starts_with("ws://") || endpoint.starts_with("wss://")
}

/// The chain at `endpoint`: a devnet served by `arbiter chain serve`
/// (`http://`, `https://`) or a Subtensor node (`ws://`, `wss://`).
pub async fn connect(endpoint: &str) -> Result<std::sync::Arc<dyn Chain>> {
    if is_subtensor(endpoint) {
        Ok(std::sync::Arc::new(
            crate::subtensor::Subtensor::connect(endpoint).await?,
        ))
    } else if endpoint.starts_with("http://") || endpoint.starts_with("https://") {
        Ok(std::sync::Arc::new(client::DevnetClient::new(endpoint)?))
    } else {
        Err(ChainError::InvalidRequest {
            reason: format!(
                "{endpoint} is not a chain endpoint: http(s):// for a devnet, ws(s):// for a Subtensor node"
            ),
        })
    }
}

/// Waits until the subnet's next epoch has run, polling block by block.
pub async fn wait_for_epoch(
    chain: &dyn Chain,
    netuid: u16,
    timeout: Duration,
) -> Result<Metagraph> {
    let deadline = tokio::time::Instant::now() + timeout;
    let start = chain.metagraph(netuid).await?;
    let mut seen = start.block.number;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return Err(ChainError::Timeout {
                millis: timeout.as_millis() as u64,
            });
        }
        seen = chain.wait_for_block(seen, left).await?.number;
        let now = chain.metagraph(netuid).await?;
        if now.epoch_index > start.epoch_index {
            return Ok(now);
        }
    }
}
