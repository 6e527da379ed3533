//! Block production: each block accrues the subnets' emission, and a subnet
//! whose tempo has passed runs its Yuma Consensus epoch and pays it out.
//!
//! Emission follows `yuma/SPEC.md` §3, simplified to one mechanism per
//! subnet and no root or delegation: per block the owner takes its cut and
//! the rest is split 50/50 into pending miner and validator emission; at the
//! epoch the pending total is handed to [`run_epoch`], and each uid's
//! `server_emission + validator_emission` is added to its stake (the owner's
//! cut to the owner's, if registered). The epoch runs at the start of the
//! block it is due in (`block − LastEpochBlock ≥ tempo`), before that
//! block's transactions.

use super::state::{Subnet, WeightCommit};
use crate::chain::yuma::{Commits, EpochInputs, EpochOutputs, run_epoch};

/// Adds one block's emission to `subnet`'s pending amounts.
pub fn accrue(subnet: &mut Subnet) {
    let emission = subnet.hyper.emission_per_block;
    let owner_cut = (u128::from(emission) * u128::from(subnet.hyper.owner_cut) / 65_535) as u64;
    let rest = emission.saturating_sub(owner_cut);
    let server = rest / 2;
    subnet.pending_server = subnet.pending_server.saturating_add(server);
    subnet.pending_validator = subnet.pending_validator.saturating_add(rest - server);
    if let Some(uid) = subnet.uid_of(&subnet.owner) {
        let owner = &mut subnet.neurons[usize::from(uid)];
        owner.stake = owner.stake.saturating_add(owner_cut);
    }
}

/// Whether the epoch is due at `block`.
pub fn due(subnet: &Subnet, block: u64) -> bool {
    subnet.hyper.tempo != 0
        && block.saturating_sub(subnet.last_epoch_block) >= u64::from(subnet.hyper.tempo)
}

/// Runs the epoch at `block` and applies its outputs.
pub fn run(subnet: &mut Subnet, block: u64) -> EpochOutputs {
    let inputs = inputs(subnet, block);
    let outputs = run_epoch(&inputs);
    apply(subnet, &outputs);
    subnet.pending_server = 0;
    subnet.pending_validator = 0;
    subnet.epoch_index += 1;
    subnet.last_epoch_block = block;
    subnet.last_mechanism_step_block = block;
    outputs
}

/// The epoch's inputs, read from the subnet as upstream reads storage.
pub fn inputs(subnet: &Subnet, block: u64) -> EpochInputs {
    let hyper = &subnet.hyper;
    let neurons = &subnet.neurons;
    let epoch = subnet.epoch_index;
    let v2 = neurons
        .iter()
        .map(|n| {
            subnet
                .commits
                .get(&n.hotkey)
                .map(|queue| {
                    queue
                        .iter()
                        .map(|c: &WeightCommit| (c.epoch, c.block))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect();
    EpochInputs {
        n: subnet.n(),
        current_block: block,
        tempo: hyper.tempo,
        activity_cutoff_blocks: hyper.activity_cutoff_blocks(),
        last_update: neurons.iter().map(|n| n.last_update).collect(),
        block_at_registration: neurons.iter().map(|n| n.registered_at).collect(),
        stake: neurons.iter().map(|n| n.stake).collect(),
        stake_threshold: hyper.stake_threshold,
        validator_permit_prev: neurons.iter().map(|n| n.validator_permit).collect(),
        max_allowed_validators: hyper.max_allowed_validators,
        weights: neurons.iter().map(|n| n.weights.clone()).collect(),
        bonds_prev: neurons.iter().map(|n| n.bonds.clone()).collect(),
        kappa: hyper.kappa,
        bonds_penalty: hyper.bonds_penalty,
        bonds_moving_average: hyper.bonds_moving_average,
        liquid_alpha_enabled: hyper.liquid_alpha_enabled,
        alpha_low: hyper.alpha_low,
        alpha_high: hyper.alpha_high,
        alpha_sigmoid_steepness: hyper.alpha_sigmoid_steepness,
        yuma3_enabled: hyper.yuma3_enabled,
        commit_reveal_enabled: hyper.commit_reveal_enabled,
        reveal_period: hyper.reveal_period_epochs,
        current_epoch_index_with_lookahead: epoch,
        commits: Commits {
            v2,
            timelocked: Vec::new(),
        },
        last_mechanism_step_block: subnet.last_mechanism_step_block,
        owner_uid: subnet.uid_of(&subnet.owner),
        rao_emission: subnet
            .pending_server
            .saturating_add(subnet.pending_validator),
    }
}

fn apply(subnet: &mut Subnet, outputs: &EpochOutputs) {
    for (uid, neuron) in subnet.neurons.iter_mut().enumerate() {
        let at = |v: &Vec<u16>| v.get(uid).copied().unwrap_or(0);
        neuron.incentive = at(&outputs.incentive);
        neuron.dividends = at(&outputs.dividends);
        neuron.consensus = at(&outputs.consensus);
        neuron.validator_trust = at(&outputs.validator_trust);
        neuron.active = outputs.active.get(uid).copied().unwrap_or(false);
        neuron.validator_permit = outputs
            .new_validator_permit
            .get(uid)
            .copied()
            .unwrap_or(false);
        neuron.bonds = outputs.bonds.get(uid).cloned().unwrap_or_default();
        let earned = outputs
            .server_emission
            .get(uid)
            .copied()
            .unwrap_or(0)
            .saturating_add(outputs.validator_emission.get(uid).copied().unwrap_or(0));
        neuron.emission = earned;
        neuron.stake = neuron.stake.saturating_add(earned);
    }
}
