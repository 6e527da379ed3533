//! What a miner needs from the chain beyond [`Chain`]: registering its
//! hotkey. On the devnet registration is a free signed call; a real
//! Subtensor backend will burn or solve proof of work behind the same
//! method.

use arbiter_registry::{Keypair, PublicKey};
use async_trait::async_trait;

use crate::chain::client::DevnetClient;
use crate::chain::devnet::Devnet;
use crate::chain::devnet::calls::Call;
use crate::chain::{self, Chain, Receipt};

/// A chain a miner can register on.
#[async_trait]
pub trait MinerChain: Chain {
    /// Registers `key`'s hotkey on `netuid`, owned by `coldkey`.
    async fn register(
        &self,
        key: &Keypair,
        netuid: u16,
        coldkey: PublicKey,
    ) -> chain::Result<Receipt>;
}

#[async_trait]
impl MinerChain for DevnetClient {
    async fn register(
        &self,
        key: &Keypair,
        netuid: u16,
        coldkey: PublicKey,
    ) -> chain::Result<Receipt> {
        self.submit(key, &Call::Register { netuid, coldkey }).await
    }
}

#[async_trait]
impl MinerChain for Devnet {
    async fn register(
        &self,
        key: &Keypair,
        netuid: u16,
        coldkey: PublicKey,
    ) -> chain::Result<Receipt> {
        self.sign_and_submit(key, &Call::Register { netuid, coldkey })
    }
}
