//! What a validator keeps on disk, and the one rule that keeps it safe:
//! everything a step changes (the mechanism state, the progress counters
//! and the step's transcript record) is written in one sled transaction,
//! and nothing is overwritten before it has been loaded. A process killed at
//! any instant restarts from the last complete step, and a submission is
//! recorded as pending before it is sent, so a restart can tell whether it
//! landed instead of sending it twice.

use std::path::Path;

use arbiter_registry::ContentHash;
use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

/// Where an epoch's weights are on their way to the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submission {
    /// The epoch they belong to.
    pub epoch: u64,
    /// The uids.
    pub uids: Vec<u16>,
    /// The u16 values.
    pub values: Vec<u16>,
    /// The epoch's transcript root.
    #[serde(with = "crate::chain::hex32")]
    pub root: [u8; 32],
    /// The commit-reveal salt (subnets with hash commit-reveal).
    pub salt: Option<Vec<u16>>,
    /// The seed of the timelocked commit's encryption (subnets with CRv4):
    /// kept so that a restart recognises the commit it already made.
    #[serde(default)]
    pub timelock_seed: Option<[u8; 32]>,
    /// Whether the weights (or their commit) are on chain.
    pub weights_done: bool,
    /// The chain's head when it was recorded (0 in stores from before this
    /// was kept): weights of the validator's set at or after it are this
    /// submission's.
    #[serde(default)]
    pub block: u64,
}

impl Submission {
    /// Whether it holds the secret a commit under `hyper` needs (a salt
    /// for hash commits, a seed for timelocked ones).
    pub fn ready_for(&self, hyper: &crate::chain::Hyperparameters) -> bool {
        !hyper.commit_reveal_enabled
            || match hyper.commit_reveal_version {
                crate::chain::COMMIT_REVEAL_HASH => self.salt.is_some(),
                crate::chain::COMMIT_REVEAL_TIMELOCK => self.timelock_seed.is_some(),
                _ => true,
            }
    }
}

/// A commit waiting for its reveal epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingReveal {
    /// The chain epoch the commit was made in.
    pub commit_epoch: u64,
    /// The uids.
    pub uids: Vec<u16>,
    /// The values.
    pub values: Vec<u16>,
    /// The salt.
    pub salt: Vec<u16>,
}

/// The validator's counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The mechanism the state belongs to.
    pub mechanism: ContentHash,
    /// The chain epoch being worked on.
    pub epoch: u64,
    /// The next step to run in it.
    pub next_step: u32,
    /// Transcript records written so far in this epoch.
    pub records: u32,
    /// Whether this epoch's weights are final (computed and recorded).
    pub finalized: bool,
    /// The hotkeys at the previous step, by uid.
    pub hotkeys: Vec<[u8; 32]>,
    /// The last epoch whose submission completed.
    pub last_submitted: Option<u64>,
    /// A submission under way.
    pub submission: Option<Submission>,
    /// A commit to reveal later.
    pub reveal: Option<PendingReveal>,
    /// The last weights submitted (for the keep-last policy).
    pub last_weights: Option<(Vec<u16>, Vec<u16>)>,
}

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// sled failed.
    #[error("validator store: {0}")]
    Sled(String),
    /// The stored progress is unreadable.
    #[error("validator store: unreadable progress: {0}")]
    Corrupt(String),
}

/// The validator's sled database.
pub struct ValidatorStore {
    db: sled::Db,
    meta: sled::Tree,
    records: sled::Tree,
}

const PROGRESS: &[u8] = b"progress";
const STATE: &[u8] = b"state";

fn sled_error(error: impl std::fmt::Display) -> StoreError {
    StoreError::Sled(error.to_string())
}

/// One atomic change: progress, optionally the state, optionally a
/// transcript record at an index.
pub struct Change<'a> {
    /// The new progress.
    pub progress: &'a Progress,
    /// The new state, if it changed.
    pub state: Option<&'a [u8]>,
    /// A record to append at `index`.
    pub record: Option<(u32, &'a [u8])>,
    /// Drop every record (a new epoch starts).
    pub clear_records: bool,
}

impl ValidatorStore {
    /// Opens (or creates) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let db = sled::open(dir).map_err(sled_error)?;
        let meta = db.open_tree("meta").map_err(sled_error)?;
        let records = db.open_tree("transcript").map_err(sled_error)?;
        Ok(Self { db, meta, records })
    }

    /// The stored progress and state, if any.
    pub fn load(&self) -> Result<Option<(Progress, Vec<u8>)>, StoreError> {
        let Some(progress) = self.meta.get(PROGRESS).map_err(sled_error)? else {
            return Ok(None);
        };
        let progress: Progress =
            serde_json::from_slice(&progress).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let state = self
            .meta
            .get(STATE)
            .map_err(sled_error)?
            .map(|s| s.to_vec())
            .unwrap_or_default();
        Ok(Some((progress, state)))
    }

    /// The current epoch's transcript records, in order.
    pub fn records(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        self.records
            .iter()
            .values()
            .map(|v| v.map(|v| v.to_vec()).map_err(sled_error))
            .collect()
    }

    /// Applies `change` atomically and durably.
    pub fn apply(&self, change: &Change<'_>) -> Result<(), StoreError> {
        let progress = serde_json::to_vec(change.progress).map_err(sled_error)?;
        let existing: Vec<sled::IVec> = if change.clear_records {
            self.records
                .iter()
                .keys()
                .collect::<Result<_, _>>()
                .map_err(sled_error)?
        } else {
            Vec::new()
        };
        let result: Result<(), TransactionError<()>> =
            (&self.meta, &self.records).transaction(|(meta, records)| {
                meta.insert(PROGRESS, progress.as_slice())?;
                if let Some(state) = change.state {
                    meta.insert(STATE, state)?;
                }
                for key in &existing {
                    records.remove(key)?;
                }
                if let Some((index, bytes)) = change.record {
                    records.insert(&index.to_be_bytes(), bytes)?;
                }
                Ok::<(), ConflictableTransactionError<()>>(())
            });
        result.map_err(|e| StoreError::Sled(format!("{e:?}")))?;
        self.db.flush().map_err(sled_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress() -> Progress {
        Progress {
            mechanism: ContentHash::of(b"m"),
            epoch: 3,
            next_step: 0,
            records: 0,
            finalized: false,
            hotkeys: vec![],
            last_submitted: None,
            submission: None,
            reveal: None,
            last_weights: None,
        }
    }

    #[test]
    fn changes_are_atomic_and_survive_reopening() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(sled_error)?;
        {
            let store = ValidatorStore::open(dir.path())?;
            assert!(store.load()?.is_none());
            let mut p = progress();
            store.apply(&Change {
                progress: &p,
                state: Some(b"s0"),
                record: Some((0, b"r0")),
                clear_records: false,
            })?;
            p.next_step = 1;
            p.records = 2;
            store.apply(&Change {
                progress: &p,
                state: Some(b"s1"),
                record: Some((1, b"r1")),
                clear_records: false,
            })?;
        }
        let store = ValidatorStore::open(dir.path())?;
        let (p, state) = store.load()?.expect("stored");
        assert_eq!((p.next_step, state.as_slice()), (1, &b"s1"[..]));
        assert_eq!(store.records()?, vec![b"r0".to_vec(), b"r1".to_vec()]);
        store.apply(&Change {
            progress: &p,
            state: None,
            record: Some((0, b"n0")),
            clear_records: true,
        })?;
        assert_eq!(store.records()?, vec![b"n0".to_vec()]);
        Ok(())
    }
}
