//! The context a step runs in: derived from the chain, the mechanism and
//! the validator, never from anything local, so a replay rebuilds it.
//!
//! The step seed is
//! `blake3("arbiter/seed/v1" ‖ block hash (32) ‖ netuid (u16 LE) ‖ mechid (u8)
//! ‖ mechanism hash (32) ‖ validator hotkey (32) ‖ epoch (u64 LE) ‖ step (u32 LE))`:
//! a miner cannot know it before the block exists, two validators get
//! different ones, and the same step always gets the same one.

use arbiter_registry::{ContentHash, PublicKey};

use crate::chain::{BlockInfo, Metagraph};
use crate::sandbox::bindings::{Context, Neuron};

/// Where a step is, and who runs it.
#[derive(Debug, Clone, Copy)]
pub struct StepId {
    /// The subnet.
    pub netuid: u16,
    /// The mechanism index.
    pub mechid: u8,
    /// The epoch.
    pub epoch: u64,
    /// The step within the epoch.
    pub step: u32,
}

/// The seed of one step.
pub fn step_seed(
    id: &StepId,
    block_hash: &[u8; 32],
    mechanism: &ContentHash,
    validator: &PublicKey,
) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"arbiter/seed/v1");
    hasher.update(block_hash);
    hasher.update(&id.netuid.to_le_bytes());
    hasher.update(&[id.mechid]);
    hasher.update(mechanism.as_bytes());
    hasher.update(&validator.0);
    hasher.update(&id.epoch.to_le_bytes());
    hasher.update(&id.step.to_le_bytes());
    *hasher.finalize().as_bytes()
}

/// The context of a step at `block`, from `metagraph`. A uid is
/// `replaced` when its hotkey differs from `previous_hotkeys` (the
/// validator's last step), so the mechanism can forget its history.
pub fn build(
    id: &StepId,
    block: &BlockInfo,
    metagraph: &Metagraph,
    mechanism: &ContentHash,
    validator: &PublicKey,
    validator_uid: u16,
    previous_hotkeys: &[[u8; 32]],
) -> Context {
    let neurons = metagraph
        .neurons
        .iter()
        .map(|n| Neuron {
            uid: n.uid,
            stake: n.stake,
            validator_permit: n.validator_permit,
            active: n.active,
            replaced: previous_hotkeys
                .get(usize::from(n.uid))
                .is_some_and(|old| old != &n.hotkey.0),
        })
        .collect();
    Context {
        netuid: id.netuid,
        mechid: id.mechid,
        epoch: id.epoch,
        step: id.step,
        block: block.number,
        block_time_ms: block.timestamp_ms,
        block_hash: block.hash.to_vec(),
        seed: step_seed(id, &block.hash, mechanism, validator).to_vec(),
        validator_uid,
        neurons,
        hotkeys: metagraph.neurons.iter().flat_map(|n| n.hotkey.0).collect(),
    }
}

/// The hotkeys of a metagraph in uid order (what the next step compares
/// against).
pub fn hotkeys(metagraph: &Metagraph) -> Vec<[u8; 32]> {
    metagraph.neurons.iter().map(|n| n.hotkey.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(step: u32) -> StepId {
        StepId {
            netuid: 1,
            mechid: 0,
            epoch: 4,
            step,
        }
    }

    #[test]
    fn the_seed_depends_on_every_input() {
        let (hash, mech, key) = ([1; 32], ContentHash::of(b"m"), PublicKey([2; 32]));
        let base = step_seed(&id(0), &hash, &mech, &key);
        assert_eq!(base, step_seed(&id(0), &hash, &mech, &key));
        assert_ne!(base, step_seed(&id(1), &hash, &mech, &key));
        assert_ne!(base, step_seed(&id(0), &[9; 32], &mech, &key));
        assert_ne!(base, step_seed(&id(0), &hash, &ContentHash::of(b"n"), &key));
        assert_ne!(base, step_seed(&id(0), &hash, &mech, &PublicKey([3; 32])));
    }

    #[test]
    fn the_seed_is_pinned() {
        // A change here changes every mechanism's randomness: it needs a new
        // seed version, not a new expected value.
        let seed = step_seed(
            &id(2),
            &[7; 32],
            &ContentHash::from_bytes([8; 32]),
            &PublicKey([9; 32]),
        );
        assert_eq!(hex::encode(seed), PINNED_SEED);
    }

    const PINNED_SEED: &str = "2e48bd7381d79e687b67a4a1491637f354e08a39fad472eac1a5f57e37e39679";
}
