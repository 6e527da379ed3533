//! The reference vector format (`shared/yuma/vectors/epoch_*.json`, schema in its
//! README): serde types for an epoch's `inputs` and `outputs`, their conversion to and
//! from [`EpochInputs`] / [`EpochOutputs`], and [`run_vector_file`], which backs
//! `arbiter yuma <vector.json> --output json`.
//!
//! The vectors name commits by hotkey; the port works on uids, so hotkeys are resolved
//! against the epoch's `hotkeys` list here (a hotkey without a uid is skipped, as
//! upstream's lookup does). Everything else maps field for field.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::epoch::run_epoch;
use super::types::{Commits, EpochInputs, EpochOutputs};

/// Errors of [`run_vector_file`].
#[derive(Debug, thiserror::Error)]
pub enum VectorError {
    /// The file is not valid JSON, or not in the vector schema.
    #[error("invalid vector file: {0}")]
    Json(#[from] serde_json::Error),
}

/// A hotkey as the vectors write it: a number (`1000 + uid` by default) or a string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Hotkey {
    /// A numeric hotkey.
    Number(u64),
    /// A textual hotkey (e.g. SS58).
    Text(String),
}

/// One epoch's `inputs` in a vector file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VectorInputs {
    /// See [`EpochInputs::n`].
    pub n: u16,
    /// See [`EpochInputs::current_block`].
    pub current_block: u64,
    /// See [`EpochInputs::tempo`].
    pub tempo: u16,
    /// `ActivityCutoffFactorMilli`, from which the cutoff in blocks is derived. (The
    /// files' own `activity_cutoff_blocks` field reads 1 everywhere, which contradicts
    /// their `fixed.inactive`; it is not read.)
    pub activity_cutoff_factor_milli: u32,
    /// See [`EpochInputs::last_update`].
    pub last_update: Vec<u64>,
    /// See [`EpochInputs::block_at_registration`].
    pub block_at_registration: Vec<u64>,
    /// The hotkey of each uid, to resolve the commit lists.
    pub hotkeys: Vec<Hotkey>,
    /// See [`EpochInputs::stake`].
    pub stake: Vec<u64>,
    /// See [`EpochInputs::stake_threshold`].
    pub stake_threshold: u64,
    /// See [`EpochInputs::validator_permit_prev`].
    pub validator_permit_prev: Vec<bool>,
    /// See [`EpochInputs::max_allowed_validators`].
    pub max_allowed_validators: u16,
    /// See [`EpochInputs::weights`].
    pub weights_sparse_u16: Vec<Vec<(u16, u16)>>,
    /// See [`EpochInputs::bonds_prev`].
    pub bonds_sparse_u16_prev: Vec<Vec<(u16, u16)>>,
    /// See [`EpochInputs::kappa`].
    pub kappa: u16,
    /// See [`EpochInputs::bonds_penalty`].
    pub bonds_penalty: u16,
    /// See [`EpochInputs::bonds_moving_average`].
    pub bonds_moving_average: u64,
    /// See [`EpochInputs::liquid_alpha_enabled`].
    pub liquid_alpha_enabled: bool,
    /// See [`EpochInputs::alpha_low`].
    pub alpha_low: u16,
    /// See [`EpochInputs::alpha_high`].
    pub alpha_high: u16,
    /// See [`EpochInputs::alpha_sigmoid_steepness`].
    pub alpha_sigmoid_steepness: i16,
    /// See [`EpochInputs::yuma3_enabled`].
    pub yuma3_enabled: bool,
    /// See [`EpochInputs::commit_reveal_enabled`].
    pub commit_reveal_enabled: bool,
    /// See [`EpochInputs::reveal_period`].
    pub reveal_period: u64,
    /// See [`EpochInputs::current_epoch_index_with_lookahead`].
    pub current_epoch_index_with_lookahead: u64,
    /// v2 commit queues: `[hotkey, [[commit_epoch, commit_block], ...]]`.
    pub weight_commits_v2: Vec<(Hotkey, Vec<(u64, u64)>)>,
    /// Timelocked commits: `[commit_epoch, [[hotkey, commit_block], ...]]`.
    pub timelocked_commits: Vec<(u64, Vec<(Hotkey, u64)>)>,
    /// See [`EpochInputs::last_mechanism_step_block`].
    pub last_mechanism_step_block: u64,
    /// See [`EpochInputs::owner_uid`].
    pub owner_uid: Option<u16>,
}

/// `max(1, factor_milli · tempo / 1000)`: the activity cutoff in blocks at HEAD (SPEC §2).
pub fn activity_cutoff_blocks(factor_milli: u32, tempo: u16) -> u64 {
    (u64::from(factor_milli) * u64::from(tempo) / 1000).max(1)
}

impl VectorInputs {
    /// The uid of `hotkey`, if it has one.
    fn uid_of(&self, hotkey: &Hotkey) -> Option<u16> {
        let position = self.hotkeys.iter().position(|h| h == hotkey)?;
        u16::try_from(position).ok()
    }

    /// The [`EpochInputs`] of this epoch, distributing `rao_emission`.
    pub fn to_epoch_inputs(&self, rao_emission: u64) -> EpochInputs {
        let mut v2 = vec![Vec::new(); self.hotkeys.len()];
        for (hotkey, queue) in &self.weight_commits_v2 {
            if let Some(slot) = self
                .uid_of(hotkey)
                .and_then(|uid| v2.get_mut(usize::from(uid)))
            {
                slot.extend_from_slice(queue);
            }
        }
        let timelocked = self
            .timelocked_commits
            .iter()
            .map(|(epoch, entries)| {
                let by_uid = entries
                    .iter()
                    .filter_map(|(hotkey, block)| Some((self.uid_of(hotkey)?, *block)))
                    .collect();
                (*epoch, by_uid)
            })
            .collect();
        EpochInputs {
            n: self.n,
            current_block: self.current_block,
            tempo: self.tempo,
            activity_cutoff_blocks: activity_cutoff_blocks(
                self.activity_cutoff_factor_milli,
                self.tempo,
            ),
            last_update: self.last_update.clone(),
            block_at_registration: self.block_at_registration.clone(),
            stake: self.stake.clone(),
            stake_threshold: self.stake_threshold,
            validator_permit_prev: self.validator_permit_prev.clone(),
            max_allowed_validators: self.max_allowed_validators,
            weights: self.weights_sparse_u16.clone(),
            bonds_prev: self.bonds_sparse_u16_prev.clone(),
            kappa: self.kappa,
            bonds_penalty: self.bonds_penalty,
            bonds_moving_average: self.bonds_moving_average,
            liquid_alpha_enabled: self.liquid_alpha_enabled,
            alpha_low: self.alpha_low,
            alpha_high: self.alpha_high,
            alpha_sigmoid_steepness: self.alpha_sigmoid_steepness,
            yuma3_enabled: self.yuma3_enabled,
            commit_reveal_enabled: self.commit_reveal_enabled,
            reveal_period: self.reveal_period,
            current_epoch_index_with_lookahead: self.current_epoch_index_with_lookahead,
            commits: Commits { v2, timelocked },
            last_mechanism_step_block: self.last_mechanism_step_block,
            owner_uid: self.owner_uid,
            rao_emission,
        }
    }
}

/// One epoch's `outputs` in a vector file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VectorOutputs {
    /// See [`EpochOutputs::incentive`].
    pub incentive_u16: Vec<u16>,
    /// See [`EpochOutputs::dividends`].
    pub dividends_u16: Vec<u16>,
    /// See [`EpochOutputs::consensus`].
    pub consensus_u16: Vec<u16>,
    /// See [`EpochOutputs::validator_trust`].
    pub validator_trust_u16: Vec<u16>,
    /// See [`EpochOutputs::stake_weight`].
    pub stake_weight_u16: Vec<u16>,
    /// See [`EpochOutputs::active`].
    pub active: Vec<bool>,
    /// See [`EpochOutputs::new_validator_permit`].
    pub new_validator_permit: Vec<bool>,
    /// See [`EpochOutputs::server_emission`].
    pub server_emission: Vec<u64>,
    /// See [`EpochOutputs::validator_emission`].
    pub validator_emission: Vec<u64>,
    /// See [`EpochOutputs::emission`].
    pub emission: Vec<u64>,
    /// The raw stake input, echoed.
    pub stake: Vec<u64>,
    /// See [`EpochOutputs::bonds`].
    pub bonds_u16_persisted: Vec<Vec<(u16, u16)>>,
}

impl VectorOutputs {
    /// The vector form of `outputs`, computed from `inputs`.
    pub fn new(inputs: &EpochInputs, outputs: EpochOutputs) -> Self {
        Self {
            incentive_u16: outputs.incentive,
            dividends_u16: outputs.dividends,
            consensus_u16: outputs.consensus,
            validator_trust_u16: outputs.validator_trust,
            stake_weight_u16: outputs.stake_weight,
            active: outputs.active,
            new_validator_permit: outputs.new_validator_permit,
            server_emission: outputs.server_emission,
            validator_emission: outputs.validator_emission,
            emission: outputs.emission,
            stake: inputs.stake.clone(),
            bonds_u16_persisted: outputs.bonds,
        }
    }
}

/// One epoch of a vector file: the emission and the inputs (other keys are ignored).
#[derive(Debug, Clone, Deserialize)]
pub struct VectorEpoch {
    /// Emission of the epoch, in rao.
    pub rao_emission: u64,
    /// The epoch's inputs.
    pub inputs: VectorInputs,
}

/// A vector file: its epochs (other keys are ignored).
#[derive(Debug, Clone, Deserialize)]
pub struct VectorFile {
    /// The epochs, each runnable on its own.
    pub epochs: Vec<VectorEpoch>,
}

/// Runs every epoch of a vector file and returns `{"epochs": [{"outputs": {...}}, ...]}`,
/// each `outputs` with the same field names and shapes as the file's own.
pub fn run_vector_file(json: &str) -> Result<Value, VectorError> {
    let file: VectorFile = serde_json::from_str(json)?;
    let epochs = file
        .epochs
        .iter()
        .map(|epoch| {
            let inputs = epoch.inputs.to_epoch_inputs(epoch.rao_emission);
            let outputs = VectorOutputs::new(&inputs, run_epoch(&inputs));
            Ok(json!({ "outputs": serde_json::to_value(outputs)? }))
        })
        .collect::<Result<Vec<Value>, VectorError>>()?;
    Ok(json!({ "epochs": epochs }))
}
