//! Keeps the miner's view of who may query it current: the metagraph is
//! re-read every interval and [`PermittedValidators`] replaced with its
//! permit holders. A failed read keeps the last view (a chain hiccup must
//! not lock every validator out) and is logged.

use std::sync::Arc;
use std::time::Duration;

use arbiter_registry::PublicKey;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::chain::MinerChain;
use crate::transport::PermittedValidators;

/// Starts refreshing `validators` from `netuid`'s metagraph every
/// `interval`, until the task is aborted.
pub(super) fn spawn(
    chain: Arc<dyn MinerChain>,
    netuid: u16,
    hotkey: PublicKey,
    interval: Duration,
    validators: Arc<PermittedValidators>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            match chain.metagraph(netuid).await {
                Ok(metagraph) => {
                    validators.update(&metagraph);
                    if metagraph.uid_of(&hotkey).is_none() {
                        tracing::warn!(%hotkey, netuid, "this miner is no longer registered");
                    }
                    tracing::debug!(
                        block = metagraph.block.number,
                        permitted = validators.len(),
                        "metagraph refreshed"
                    );
                }
                Err(error) => {
                    tracing::warn!(%error, "metagraph refresh failed; keeping the last one");
                }
            }
        }
    })
}
