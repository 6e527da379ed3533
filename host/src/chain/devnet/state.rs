//! The devnet's state and how it is kept: the whole state is one value,
//! written to sled in one atomic insert per block (and per transaction), so
//! a process killed mid-write leaves the previous or the next state, never a
//! mix. Loaded once at open.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;

use arbiter_registry::PublicKey;
use serde::{Deserialize, Serialize};

use crate::chain::{Axon, BlockInfo, ChainError, Commitment, Hyperparameters, Result, hex32};

/// The version of the stored state's layout; a store written by another
/// version is refused rather than misread.
pub const STATE_FORMAT: u32 = 1;

/// The sled key the state lives under.
const STATE_KEY: &[u8] = b"devnet/state";

/// Everything the devnet knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainState {
    /// [`STATE_FORMAT`] when written.
    pub format: u32,
    /// The genesis block's hash (differs per devnet, so signatures for one
    /// devnet do not replay on another).
    #[serde(with = "hex32")]
    pub genesis: [u8; 32],
    /// Milliseconds between blocks (also the timestamp step).
    pub block_time_ms: u64,
    /// The head.
    pub head: BlockInfo,
    /// Subnets by netuid.
    pub subnets: BTreeMap<u16, Subnet>,
    /// The next nonce of each account that has signed a call.
    pub nonces: BTreeMap<PublicKey, u64>,
}

/// One subnet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subnet {
    /// The netuid.
    pub netuid: u16,
    /// The owner's hotkey.
    pub owner: PublicKey,
    /// Hyperparameters.
    pub hyper: Hyperparameters,
    /// Blocks a new neuron is safe from being replaced.
    pub immunity_period: u64,
    /// Neurons, index = uid.
    pub neurons: Vec<Neuron>,
    /// Epochs run so far (`SubnetEpochIndex`).
    pub epoch_index: u64,
    /// The block the last epoch ran at (`LastEpochBlock`).
    pub last_epoch_block: u64,
    /// `LastMechansimStepBlock` (0 before the first epoch).
    pub last_mechanism_step_block: u64,
    /// Emission waiting for the next epoch, in rao: miners' share.
    pub pending_server: u64,
    /// Validators' share.
    pub pending_validator: u64,
    /// Weight commits waiting to be revealed, per hotkey, oldest first.
    pub commits: BTreeMap<PublicKey, VecDeque<WeightCommit>>,
    /// Commitments, per hotkey.
    pub commitments: BTreeMap<PublicKey, Commitment>,
}

/// One neuron.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Neuron {
    /// Its hotkey.
    pub hotkey: PublicKey,
    /// The coldkey that registered it.
    pub coldkey: PublicKey,
    /// Stake, in rao.
    pub stake: u64,
    /// The block it registered at.
    pub registered_at: u64,
    /// The block it last set or committed weights at (0: never).
    pub last_update: u64,
    /// Permit stored by the last epoch (read by the next one).
    pub validator_permit: bool,
    /// Active as of the last epoch.
    pub active: bool,
    /// Its weight row, in submission order, zeros kept.
    pub weights: Vec<(u16, u16)>,
    /// Its bond row, as the last epoch stored it.
    pub bonds: Vec<(u16, u16)>,
    /// Where it serves.
    pub axon: Option<Axon>,
    /// Last epoch's outputs.
    pub incentive: u16,
    /// See `incentive`.
    pub dividends: u16,
    /// See `incentive`.
    pub consensus: u16,
    /// See `incentive`.
    pub validator_trust: u16,
    /// Rao emitted to it by the last epoch.
    pub emission: u64,
}

impl Neuron {
    /// A freshly registered neuron.
    pub fn new(hotkey: PublicKey, coldkey: PublicKey, block: u64) -> Self {
        Self {
            hotkey,
            coldkey,
            stake: 0,
            registered_at: block,
            last_update: 0,
            validator_permit: false,
            active: true,
            weights: Vec::new(),
            bonds: Vec::new(),
            axon: None,
            incentive: 0,
            dividends: 0,
            consensus: 0,
            validator_trust: 0,
            emission: 0,
        }
    }
}

/// A v2 weight commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightCommit {
    /// The commit hash.
    #[serde(with = "hex32")]
    pub hash: [u8; 32],
    /// The epoch it was made in.
    pub epoch: u64,
    /// The block it was made at.
    pub block: u64,
}

impl Subnet {
    /// The uid of `hotkey`.
    pub fn uid_of(&self, hotkey: &PublicKey) -> Option<u16> {
        self.neurons
            .iter()
            .position(|n| &n.hotkey == hotkey)
            .map(|uid| uid as u16)
    }

    /// The subnet size.
    pub fn n(&self) -> u16 {
        self.neurons.len() as u16
    }
}

/// The sled database holding the state.
pub struct Store {
    db: sled::Db,
}

impl Store {
    /// Opens (or creates) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        let db = sled::open(dir).map_err(storage)?;
        Ok(Self { db })
    }

    /// The stored state, if any.
    pub fn load(&self) -> Result<Option<ChainState>> {
        let Some(bytes) = self.db.get(STATE_KEY).map_err(storage)? else {
            return Ok(None);
        };
        let state: ChainState =
            serde_json::from_slice(&bytes).map_err(|e| ChainError::Storage {
                reason: format!("the stored devnet state is unreadable: {e}"),
            })?;
        if state.format != STATE_FORMAT {
            return Err(ChainError::Storage {
                reason: format!(
                    "the devnet state has format {}, this build reads format {STATE_FORMAT}",
                    state.format
                ),
            });
        }
        Ok(Some(state))
    }

    /// Replaces the stored state, durably.
    pub fn save(&self, state: &ChainState) -> Result<()> {
        let bytes = serde_json::to_vec(state).map_err(|e| ChainError::Storage {
            reason: e.to_string(),
        })?;
        self.db.insert(STATE_KEY, bytes).map_err(storage)?;
        self.db.flush().map_err(storage)?;
        Ok(())
    }
}

fn storage(error: sled::Error) -> ChainError {
    ChainError::Storage {
        reason: error.to_string(),
    }
}
