//! What a miner needs from the chain beyond [`Chain`]: registering its
//! hotkey. On the devnet registration is a free signed call; on Subtensor
//! it is `burned_register`, which the coldkey signs and pays for.

use arbiter_registry::{Keypair, PublicKey};
use async_trait::async_trait;

use crate::chain::client::DevnetClient;
use crate::chain::devnet::Devnet;
use crate::chain::devnet::calls::Call;
use crate::chain::{self, Chain, ChainError, Receipt};
use crate::subtensor::Subtensor;

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

#[async_trait]
impl MinerChain for Subtensor {
    /// `burned_register(netuid, hotkey)`, signed by the coldkey. The host
    /// holds only the hotkey, so it registers a hotkey that is its own
    /// coldkey; any other is registered by its coldkey's owner first (then
    /// the miner finds itself registered and skips this).
    async fn register(
        &self,
        key: &Keypair,
        netuid: u16,
        coldkey: PublicKey,
    ) -> chain::Result<Receipt> {
        if coldkey != key.public() {
            return Err(ChainError::InvalidRequest {
                reason: format!(
                    "on Subtensor the coldkey {coldkey} signs the registration of {}: register it with that coldkey first",
                    key.public()
                ),
            });
        }
        self.burned_register(key, netuid).await
    }
}
