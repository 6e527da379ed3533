//! What the chain reports: blocks, a subnet's hyperparameters and metagraph,
//! stored weights and commitments. Plain data, the same for every backend.

use arbiter_registry::PublicKey;
use serde::{Deserialize, Serialize};

/// A block: its number, hash and timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockInfo {
    /// The block number.
    pub number: u64,
    /// The block hash.
    #[serde(with = "hex32")]
    pub hash: [u8; 32],
    /// Its timestamp, in milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
}

/// A subnet's hyperparameters: the ones Yuma Consensus and the weight rules
/// read (`yuma/SPEC.md` §2). Defaults are the upstream runtime's, with the
/// overrides `init_new_network` applies to a new subnet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Hyperparameters {
    /// Blocks per epoch (upstream 360; fast-blocks builds 10).
    pub tempo: u16,
    /// `activity_cutoff_blocks = max(1, factor · tempo / 1000)`.
    pub activity_cutoff_factor_milli: u32,
    /// Consensus majority, /65535.
    pub kappa: u16,
    /// Bond EMA, /1e6 (α = 1 − this).
    pub bonds_moving_average: u64,
    /// How far bonds follow clipped rather than raw weights, /65535.
    pub bonds_penalty: u16,
    /// Yuma3 bonds (set at subnet creation upstream).
    pub yuma3_enabled: bool,
    /// Per-entry sigmoid bond α (Yuma3 only).
    pub liquid_alpha_enabled: bool,
    /// Liquid alpha bounds, /65535.
    pub alpha_low: u16,
    /// See `alpha_low`.
    pub alpha_high: u16,
    /// Liquid alpha sigmoid steepness.
    pub alpha_sigmoid_steepness: i16,
    /// Validator permits: the top-k by stake.
    pub max_allowed_validators: u16,
    /// The largest subnet.
    pub max_allowed_uids: u16,
    /// Stake (rao) below which a uid's stake does not count and it may not
    /// set weights.
    pub stake_threshold: u64,
    /// The largest share one uid may get in a weight vector, /65535.
    pub max_weights_limit: u16,
    /// The fewest weights a vector may have (capped at the subnet size).
    pub min_allowed_weights: u16,
    /// Blocks between two weight submissions (or commits) of one uid.
    pub weights_set_rate_limit: u64,
    /// The weights version key a submission must meet (0: any).
    pub weights_version_key: u64,
    /// Whether weights go through commit-reveal.
    pub commit_reveal_enabled: bool,
    /// Epochs between a commit and its reveal.
    pub reveal_period_epochs: u64,
    /// How commit-reveal works, in the host's terms: 2, a hash commit the
    /// validator reveals itself (the devnet; runtimes without timelocked
    /// commits); otherwise the `CommitRevealWeightsVersion` the chain
    /// requires of timelocked commits, 4 being CRv4: the weights encrypted
    /// to a drand round, which the chain opens and applies. (The devnet's
    /// default, 2, is not the upstream runtime's, 4.)
    pub commit_reveal_version: u16,
    /// Alpha emitted to the subnet per block, in rao.
    pub emission_per_block: u64,
    /// The subnet owner's cut of emission, /65535.
    pub owner_cut: u16,
}

impl Default for Hyperparameters {
    fn default() -> Self {
        Self {
            tempo: 360,
            activity_cutoff_factor_milli: 13_889,
            kappa: 32_767,
            bonds_moving_average: 900_000,
            bonds_penalty: 65_535,
            yuma3_enabled: true,
            liquid_alpha_enabled: false,
            alpha_low: 45_875,
            alpha_high: 58_982,
            alpha_sigmoid_steepness: 1_000,
            max_allowed_validators: 64,
            max_allowed_uids: 256,
            stake_threshold: 0,
            max_weights_limit: 65_535,
            min_allowed_weights: 1,
            weights_set_rate_limit: 100,
            weights_version_key: 0,
            commit_reveal_enabled: true,
            reveal_period_epochs: 1,
            commit_reveal_version: COMMIT_REVEAL_HASH,
            emission_per_block: 1_000_000_000,
            owner_cut: 11_796,
        }
    }
}

/// [`Hyperparameters::commit_reveal_version`] of hash commits and reveals.
pub const COMMIT_REVEAL_HASH: u16 = 2;

/// [`Hyperparameters::commit_reveal_version`] of timelocked commits (CRv4).
pub const COMMIT_REVEAL_TIMELOCK: u16 = 4;

impl Hyperparameters {
    /// Blocks without setting weights after which a uid is inactive.
    pub fn activity_cutoff_blocks(&self) -> u64 {
        (u64::from(self.activity_cutoff_factor_milli) * u64::from(self.tempo) / 1000).max(1)
    }
}

/// Where a miner serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Axon {
    /// IP address (v4 or v6), as text.
    pub ip: String,
    /// TCP port.
    pub port: u16,
}

/// One neuron of a metagraph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeuronInfo {
    /// The uid.
    pub uid: u16,
    /// Its hotkey.
    pub hotkey: PublicKey,
    /// The coldkey that owns it.
    pub coldkey: PublicKey,
    /// Stake weight, in rao.
    pub stake: u64,
    /// Validator permit (as the last epoch set it).
    pub validator_permit: bool,
    /// Set weights within the activity cutoff (as the last epoch saw it).
    pub active: bool,
    /// The block it registered at.
    pub registered_at: u64,
    /// The block it last set (or committed) weights at.
    pub last_update: u64,
    /// Where it serves, if it told the chain.
    pub axon: Option<Axon>,
    /// Last epoch's incentive, /65535.
    pub incentive: u16,
    /// Last epoch's dividends, /65535.
    pub dividends: u16,
    /// Last epoch's consensus, /65535.
    pub consensus: u16,
    /// Last epoch's validator trust, /65535.
    pub validator_trust: u16,
    /// Last epoch's emission, in rao.
    pub emission: u64,
}

/// A subnet as the chain sees it at one block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metagraph {
    /// The subnet.
    pub netuid: u16,
    /// The block it was read at.
    pub block: BlockInfo,
    /// Its owner's hotkey.
    pub owner: PublicKey,
    /// How many epochs have run (`SubnetEpochIndex`).
    pub epoch_index: u64,
    /// The block the last epoch ran at.
    pub last_epoch_block: u64,
    /// The neurons, in uid order.
    pub neurons: Vec<NeuronInfo>,
}

impl Metagraph {
    /// The uid of `hotkey`, if registered.
    pub fn uid_of(&self, hotkey: &PublicKey) -> Option<u16> {
        self.neurons
            .iter()
            .find(|n| &n.hotkey == hotkey)
            .map(|n| n.uid)
    }
}

/// What the chain stores for a commitment (`Raw` data of up to 128 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commitment {
    /// The block it was made at.
    pub block: u64,
    /// The data.
    #[serde(with = "hex_bytes")]
    pub data: Vec<u8>,
}

/// A timelocked weight commit (CRv4) waiting for its drand round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelockedCommit {
    /// The block it was made in.
    pub block: u64,
    /// The ciphertext.
    #[serde(with = "hex_bytes")]
    pub commit: Vec<u8>,
    /// The drand round that opens it.
    pub reveal_round: u64,
}

/// The largest `Raw` commitment the chain accepts.
pub const MAX_COMMITMENT_BYTES: usize = 128;

/// Where a transaction landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The block that includes it.
    pub block: u64,
}

/// Serde for 32 bytes as `0x` and hex.
pub mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialises.
    pub fn serialize<S: Serializer>(bytes: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("0x{}", hex::encode(bytes)))
    }

    /// Deserialises.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(d)?;
        let mut bytes = [0u8; 32];
        text.strip_prefix("0x")
            .and_then(|digits| hex::decode_to_slice(digits, &mut bytes).ok())
            .ok_or_else(|| serde::de::Error::custom("expected 0x and 64 hex digits"))?;
        Ok(bytes)
    }
}

/// Serde for byte strings as `0x` and hex.
pub mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialises.
    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("0x{}", hex::encode(bytes)))
    }

    /// Deserialises.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        text.strip_prefix("0x")
            .and_then(|digits| hex::decode(digits).ok())
            .ok_or_else(|| serde::de::Error::custom("expected 0x and hex digits"))
    }
}
