//! Getting an epoch's weights onto the chain, exactly once: plain
//! `set_weights`, a hash commit (to reveal later), or a timelocked commit
//! (CRv4, which the chain reveals), then the commitment of the mechanism
//! hash and transcript root.
//!
//! Each part first asks the chain whether it is already there (a restart
//! after a crash mid-submission must not send anything twice), and a rate
//! limit is waited out and retried, with the rule in the log.

use std::time::Duration;

use arbiter_registry::{ContentHash, Keypair};

use super::store::{PendingReveal, Submission};
use crate::chain::commit_hash::commit_hash;
use crate::chain::{
    COMMIT_REVEAL_HASH, COMMIT_REVEAL_TIMELOCK, Chain, ChainError, Hyperparameters, Metagraph,
    RevealCall, Rule, TimelockedCommit, WeightsCall,
};
use crate::subtensor::timelock;
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
    /// Which commit-reveal ([`Hyperparameters::commit_reveal_version`]).
    pub commit_reveal_version: u16,
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

    /// Sends the weights part of `submission` unless the chain has it
    /// (`metagraph` is the chain now); returns the reveal to do later, for
    /// hash commit-reveal subnets. On a commit-reveal subnet the weights
    /// never go out in the clear: a submission without the secret its
    /// commit needs is an error ([`Submission::ready_for`] tells first),
    /// and so is a commit-reveal version the host does not commit by.
    pub async fn weights(
        &self,
        submission: &Submission,
        metagraph: &Metagraph,
    ) -> Result<Option<PendingReveal>, ChainError> {
        let call = self.call(&submission.uids, &submission.values);
        if !self.commit_reveal {
            if !self.landed(submission, metagraph).await? {
                self.retrying(|| self.chain.set_weights(self.key, &call))
                    .await?;
            }
            return Ok(None);
        }
        let missing = |secret: &str| ChainError::InvalidRequest {
            reason: format!("the epoch {} submission has no {secret}", submission.epoch),
        };
        match self.commit_reveal_version {
            COMMIT_REVEAL_TIMELOCK => {
                let seed = submission.timelock_seed.ok_or_else(|| missing("seed"))?;
                if !self.landed(submission, metagraph).await? {
                    self.timelocked(&call, seed).await?;
                }
                Ok(None)
            }
            COMMIT_REVEAL_HASH => {
                let salt = submission.salt.clone().ok_or_else(|| missing("salt"))?;
                let hash = commit_hash(
                    &self.key.public(),
                    self.netuid,
                    0,
                    &call.uids,
                    &call.values,
                    &salt,
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
                    commit_epoch: metagraph.epoch_index,
                    uids: call.uids,
                    values: call.values,
                    salt,
                }))
            }
            version => Err(ChainError::UnsupportedCommitReveal { version }),
        }
    }

    /// Whether `submission`'s weights are on chain already: stored for the
    /// validator's uid, set (`LastUpdate`) at or after the block the
    /// submission was recorded at. Identical weights from an earlier epoch
    /// do not count (the validator must set weights to stay active).
    /// "At" because the devnet applies a call at the head's number; on
    /// Subtensor, where a call lands after the head, identical weights
    /// revealed in that very block would count, and that epoch's send be
    /// skipped with the chain already holding them.
    async fn landed(
        &self,
        submission: &Submission,
        metagraph: &Metagraph,
    ) -> Result<bool, ChainError> {
        let last_update = metagraph
            .neurons
            .get(usize::from(self.uid))
            .map_or(0, |n| n.last_update);
        if last_update < submission.block {
            return Ok(false);
        }
        let stored = self.chain.weights(self.netuid, 0, self.uid).await?;
        let expected: Vec<(u16, u16)> = submission
            .uids
            .iter()
            .copied()
            .zip(max_upscale(&submission.values))
            .collect();
        Ok(stored == expected)
    }

    /// Commits `call` timelocked with `seed`, unless the chain holds that
    /// very commit already (re-encrypting with the chain's round gives its
    /// bytes): the chain reveals it, nothing is left to do.
    async fn timelocked(&self, call: &WeightsCall, seed: [u8; 32]) -> Result<(), ChainError> {
        let hotkey = self.key.public();
        let pending = self
            .chain
            .timelocked_commits(self.netuid, call.mechid, &hotkey)
            .await?;
        // All the encryption's randomness comes from the seed: the same
        // weights, round and seed give the same bytes.
        let mine = |commit: &TimelockedCommit| {
            timelock::encrypt_commit(
                hotkey.0,
                &call.uids,
                &call.values,
                call.version_key,
                commit.reveal_round,
                seed,
            )
            .is_ok_and(|ours| ours == commit.commit)
        };
        if let Some(commit) = pending.iter().find(|c| mine(c)) {
            tracing::info!(block = commit.block, "timelocked commit already on chain");
            return Ok(());
        }
        let commit = self
            .retrying(|| self.chain.commit_timelocked_weights(self.key, call, seed))
            .await?;
        tracing::info!(
            block = commit.block,
            reveal_round = commit.reveal_round,
            "weights committed timelocked; the chain reveals them at that drand round"
        );
        Ok(())
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
    async fn retrying<T, F, Fut>(&self, send: F) -> Result<T, ChainError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, ChainError>>,
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
/// or a transaction whose fate is unknown. Anything else stops the
/// validator with the submission kept, to be sent after a restart.
pub fn is_permanent(error: &ChainError) -> bool {
    match error {
        ChainError::Rule(rule) => {
            rule.retry_in_blocks().is_none() && !matches!(rule, Rule::RevealTooEarly { .. })
        }
        ChainError::Dispatch { .. } | ChainError::Unconfirmed { .. } => true,
        _ => false,
    }
}

/// The fresh secrets an epoch's commit will need under `hyper`: a salt (8
/// random u16) for hash commits, an encryption seed (32 random bytes) for
/// timelocked ones, neither without commit-reveal.
pub fn new_secrets(hyper: &Hyperparameters) -> Result<Secrets, String> {
    if !hyper.commit_reveal_enabled {
        return Ok(Secrets::default());
    }
    if hyper.commit_reveal_version == COMMIT_REVEAL_TIMELOCK {
        return Ok(Secrets {
            salt: None,
            timelock_seed: Some(random()?),
        });
    }
    let bytes: [u8; 16] = random()?;
    Ok(Secrets {
        salt: Some(
            bytes
                .chunks_exact(2)
                .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
                .collect(),
        ),
        timelock_seed: None,
    })
}

/// What [`new_secrets`] draws.
#[derive(Debug, Default)]
pub struct Secrets {
    /// The hash commit's salt.
    pub salt: Option<Vec<u16>>,
    /// The timelocked commit's seed.
    pub timelock_seed: Option<[u8; 32]>,
}

fn random<const N: usize>() -> Result<[u8; N], String> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a commit: {e}"))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_commit_reveal_gets_the_secret_it_needs() {
        let hyper = |enabled, version| Hyperparameters {
            commit_reveal_enabled: enabled,
            commit_reveal_version: version,
            ..Hyperparameters::default()
        };
        let plain = new_secrets(&hyper(false, COMMIT_REVEAL_TIMELOCK)).unwrap();
        assert!(plain.salt.is_none() && plain.timelock_seed.is_none());
        let hashed = new_secrets(&hyper(true, COMMIT_REVEAL_HASH)).unwrap();
        assert_eq!(hashed.salt.map(|s| s.len()), Some(8));
        assert!(hashed.timelock_seed.is_none());
        let timelocked = new_secrets(&hyper(true, COMMIT_REVEAL_TIMELOCK)).unwrap();
        assert!(timelocked.salt.is_none());
        let (a, b) = (
            timelocked.timelock_seed.unwrap(),
            new_secrets(&hyper(true, COMMIT_REVEAL_TIMELOCK))
                .unwrap()
                .timelock_seed
                .unwrap(),
        );
        assert_ne!(a, b, "a seed is never reused");
    }
}
