//! Getting an epoch's weights onto the chain, exactly once: plain
//! `set_weights` or a commit (to reveal next epoch), then the commitment of
//! the mechanism hash and transcript root.
//!
//! Each part first asks the chain whether it is already there (a restart
//! after a crash mid-submission must not send anything twice), and a rate
//! limit is waited out and retried, with the rule in the log.

use std::time::Duration;

use arbiter_registry::{ContentHash, Keypair};

use super::store::{PendingReveal, Submission};
use crate::chain::commit_hash::commit_hash;
use crate::chain::{Chain, ChainError, RevealCall, Rule, WeightsCall};
use crate::transcript::commitment;
use crate::weights::max_upscale;

/// How many times a rate-limited submission is retried.
const RATE_LIMIT_RETRIES: u32 = 3;

/// What a submission needs besides the weights.
pub struct Target<'a> {
    /// The chain.
    pub chain: &'a dyn Chain,
    /// The validator's key.
    pub key: &'a Keypair,
    /// The subnet.
    pub netuid: u16,
    /// The validator's uid.
    pub uid: u16,
    /// The weights version key.
    pub version_key: u64,
    /// The mechanism.
    pub mechanism: ContentHash,
    /// Whether the subnet uses commit-reveal.
    pub commit_reveal: bool,
}

impl Target<'_> {
    fn call(&self, uids: &[u16], values: &[u16]) -> WeightsCall {
        WeightsCall {
            netuid: self.netuid,
            mechid: 0,
            uids: uids.to_vec(),
            values: values.to_vec(),
            version_key: self.version_key,
        }
    }

    /// Sends the weights part of `submission` unless the chain has it;
    /// returns the reveal to do later, for commit-reveal subnets.
    pub async fn weights(
        &self,
        submission: &Submission,
        chain_epoch: u64,
    ) -> Result<Option<PendingReveal>, ChainError> {
        let call = self.call(&submission.uids, &submission.values);
        match (&submission.salt, self.commit_reveal) {
            (Some(salt), true) => {
                let hash = commit_hash(
                    &self.key.public(),
                    self.netuid,
                    0,
                    &call.uids,
                    &call.values,
                    salt,
                    self.version_key,
                );
                let already = self
                    .chain
                    .weight_commits(self.netuid, &self.key.public())
                    .await?
                    .contains(&hash);
                if !already {
                    self.retrying(|| self.chain.commit_weights(self.key, self.netuid, 0, hash))
                        .await?;
                }
                Ok(Some(PendingReveal {
                    commit_epoch: chain_epoch,
                    uids: call.uids,
                    values: call.values,
                    salt: salt.clone(),
                }))
            }
            _ => {
                let stored = self.chain.weights(self.netuid, 0, self.uid).await?;
                let expected: Vec<(u16, u16)> = call
                    .uids
                    .iter()
                    .copied()
                    .zip(max_upscale(&call.values))
                    .collect();
                if stored != expected {
                    self.retrying(|| self.chain.set_weights(self.key, &call))
                        .await?;
                }
                Ok(None)
            }
        }
    }

    /// Reveals a commit.
    pub async fn reveal(&self, reveal: &PendingReveal) -> Result<(), ChainError> {
        let call = RevealCall {
            weights: self.call(&reveal.uids, &reveal.values),
            salt: reveal.salt.clone(),
        };
        self.chain.reveal_weights(self.key, &call).await.map(drop)
    }

    /// Records the mechanism hash and transcript root on chain, unless
    /// they are there already.
    pub async fn commitment(&self, submission: &Submission) -> Result<(), ChainError> {
        let data = commitment(
            self.mechanism.as_bytes(),
            &submission.root,
            submission.epoch,
        );
        let current = self
            .chain
            .commitment(self.netuid, &self.key.public())
            .await?;
        if current.is_some_and(|c| c.data == data) {
            return Ok(());
        }
        self.retrying(|| self.chain.set_commitment(self.key, self.netuid, &data))
            .await
            .map(drop)
    }

    /// Runs `send`, waiting out rate limits (at most
    /// [`RATE_LIMIT_RETRIES`] times).
    async fn retrying<F, Fut>(&self, send: F) -> Result<crate::chain::Receipt, ChainError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<crate::chain::Receipt, ChainError>>,
    {
        let mut tries = 0;
        loop {
            match send().await {
                Err(ChainError::Rule(rule)) if tries < RATE_LIMIT_RETRIES => {
                    let Some(blocks) = rule.retry_in_blocks() else {
                        return Err(ChainError::Rule(rule));
                    };
                    tries += 1;
                    tracing::warn!(%rule, blocks, "rate limited; waiting to retry");
                    self.wait_blocks(blocks).await?;
                }
                other => return other,
            }
        }
    }

    async fn wait_blocks(&self, blocks: u64) -> Result<(), ChainError> {
        let head = self.chain.head().await?;
        let target = head.number + blocks;
        let mut seen = head.number;
        while seen < target {
            seen = self
                .chain
                .wait_for_block(seen, Duration::from_secs(120))
                .await?
                .number;
        }
        Ok(())
    }
}

/// Whether a refusal can never succeed by waiting, or a retry could send
/// the weights twice (so the epoch is given up rather than retried): a
/// rule with nothing to wait for, a dispatch error the host does not name,
/// or a transaction whose fate is unknown.
pub fn is_permanent(error: &ChainError) -> bool {
    match error {
        ChainError::Rule(rule) => {
            rule.retry_in_blocks().is_none() && !matches!(rule, Rule::RevealTooEarly { .. })
        }
        ChainError::Dispatch { .. } | ChainError::Unconfirmed { .. } => true,
        _ => false,
    }
}

/// A fresh, secret commit-reveal salt (8 random u16).
pub fn new_salt() -> Result<Vec<u16>, String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a salt: {e}"))?;
    Ok(bytes
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect())
}
