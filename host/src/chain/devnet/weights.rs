//! `set_weights`, `commit_weights` and `reveal_weights` with Subtensor's
//! checks, in Subtensor's order (`yuma/SPEC.md` §5), each failure a typed
//! [`Rule`].
//!
//! The devnet runs each epoch at the start of the block it is due in, before
//! that block's transactions, so "the current epoch" of a transaction is
//! simply the subnet's epoch counter; that is what upstream calls
//! `current_epoch_index_with_lookahead` for our purposes.

use std::collections::HashSet;

use arbiter_registry::PublicKey;

use super::state::{Subnet, WeightCommit};
use crate::chain::commit_hash::commit_hash;
use crate::chain::{Rule, WeightsCall};
use crate::weights::{check_max_weight_limited, max_upscale};

/// Unrevealed commits a hotkey may have at once.
pub const MAX_UNREVEALED_COMMITS: usize = 10;

/// The root network, where weights cannot be set this way.
const ROOT_NETUID: u16 = 0;

/// Steps 2 and 3 of `set_weights`, which come before the subnet is looked
/// up: not the root network, as many values as uids.
pub fn precheck(call: &WeightsCall) -> Result<(), Rule> {
    if call.netuid == ROOT_NETUID {
        return Err(Rule::CanNotSetRootNetworkWeights);
    }
    if call.uids.len() != call.values.len() {
        return Err(Rule::WeightVecNotEqualSize {
            uids: call.uids.len(),
            values: call.values.len(),
        });
    }
    Ok(())
}

/// Steps 4–15 of `set_weights` (after [`precheck`]), and the upscaled
/// values to store. `is_reveal` skips the rate check that does not apply to
/// a reveal.
fn checked_values(
    subnet: &Subnet,
    who: &PublicKey,
    call: &WeightsCall,
    now: u64,
    is_reveal: bool,
) -> Result<(u16, Vec<u16>), Rule> {
    let hyper = &subnet.hyper;
    if call.mechid != 0 {
        return Err(Rule::MechanismDoesNotExist {
            netuid: call.netuid,
            mechid: call.mechid,
        });
    }
    if call.uids.len() > usize::from(subnet.n()) {
        return Err(Rule::UidsLengthExceedUidsInSubNet {
            given: call.uids.len(),
            subnet_n: subnet.n(),
        });
    }
    let uid = subnet
        .uid_of(who)
        .ok_or_else(|| Rule::HotKeyNotRegisteredInSubNet {
            hotkey: who.ss58(),
            netuid: call.netuid,
        })?;
    let neuron = &subnet.neurons[usize::from(uid)];
    let is_owner = who == &subnet.owner;
    if !is_owner && neuron.stake < hyper.stake_threshold {
        return Err(Rule::NotEnoughStakeToSetWeights {
            stake: neuron.stake,
            threshold: hyper.stake_threshold,
        });
    }
    if hyper.weights_version_key != 0 && call.version_key < hyper.weights_version_key {
        return Err(Rule::IncorrectWeightVersionKey {
            given: call.version_key,
            required: hyper.weights_version_key,
        });
    }
    if !is_reveal && !hyper.commit_reveal_enabled {
        rate_limit(neuron.last_update, now, hyper.weights_set_rate_limit)
            .map_err(|retry_in_blocks| Rule::SettingWeightsTooFast { retry_in_blocks })?;
    }
    let self_weight = call.uids.len() == 1 && call.uids[0] == uid;
    if !self_weight && !is_owner && !neuron.validator_permit {
        return Err(Rule::NeuronNoValidatorPermit { uid });
    }
    let mut seen = HashSet::new();
    if let Some(&dup) = call.uids.iter().find(|u| !seen.insert(**u)) {
        return Err(Rule::DuplicateUids { uid: dup });
    }
    if let Some(&bad) = call.uids.iter().find(|&&u| u >= subnet.n()) {
        return Err(Rule::UidVecContainInvalidOne { uid: bad });
    }
    let required = usize::from(subnet.n().min(hyper.min_allowed_weights));
    if !self_weight && call.values.len() < required {
        return Err(Rule::WeightVecLengthIsLow {
            given: call.values.len(),
            required,
        });
    }
    let upscaled = max_upscale(&call.values);
    if !self_weight
        && hyper.max_weights_limit != u16::MAX
        && check_max_weight_limited(&upscaled, hyper.max_weights_limit).is_err()
    {
        return Err(Rule::MaxWeightExceeded {
            limit: hyper.max_weights_limit,
        });
    }
    Ok((uid, upscaled))
}

/// `Ok` if the rate limit has passed, else the blocks left.
fn rate_limit(last_update: u64, now: u64, limit: u64) -> Result<(), u64> {
    let since = now.saturating_sub(last_update);
    if last_update == 0 || since >= limit {
        Ok(())
    } else {
        Err(limit - since)
    }
}

/// `set_weights`: refused on commit-reveal subnets; otherwise checked,
/// stored in the given order with zeros, and `last_update` moves.
pub fn set_weights(
    subnet: &mut Subnet,
    who: &PublicKey,
    call: &WeightsCall,
    now: u64,
) -> Result<(), Rule> {
    if subnet.hyper.commit_reveal_enabled {
        return Err(Rule::CommitRevealEnabled);
    }
    let (uid, values) = checked_values(subnet, who, call, now, false)?;
    let neuron = &mut subnet.neurons[usize::from(uid)];
    neuron.weights = call.uids.iter().copied().zip(values).collect();
    neuron.last_update = now;
    Ok(())
}

/// `commit_weights` (v2): records the hash for a reveal in
/// `reveal_period_epochs` epochs; `last_update` moves at commit time.
pub fn commit_weights(
    subnet: &mut Subnet,
    who: &PublicKey,
    hash: [u8; 32],
    now: u64,
) -> Result<(), Rule> {
    if !subnet.hyper.commit_reveal_enabled {
        return Err(Rule::CommitRevealDisabled);
    }
    let uid = subnet
        .uid_of(who)
        .ok_or_else(|| Rule::HotKeyNotRegisteredInSubNet {
            hotkey: who.ss58(),
            netuid: subnet.netuid,
        })?;
    let last_update = subnet.neurons[usize::from(uid)].last_update;
    rate_limit(last_update, now, subnet.hyper.weights_set_rate_limit)
        .map_err(|retry_in_blocks| Rule::CommittingWeightsTooFast { retry_in_blocks })?;
    let (epoch, reveal_period) = (subnet.epoch_index, subnet.hyper.reveal_period_epochs);
    let queue = subnet.commits.entry(*who).or_default();
    while queue
        .front()
        .is_some_and(|c| expired(c.epoch, epoch, reveal_period))
    {
        queue.pop_front();
    }
    if queue.len() >= MAX_UNREVEALED_COMMITS {
        return Err(Rule::TooManyUnrevealedCommits);
    }
    queue.push_back(WeightCommit {
        hash,
        epoch,
        block: now,
    });
    subnet.neurons[usize::from(uid)].last_update = now;
    Ok(())
}

/// `reveal_weights` (v2): finds the commit the weights hash to, checks the
/// reveal epoch, drops that commit and every older one, and stores the
/// weights through the `set_weights` checks (without moving
/// `last_update`).
pub fn reveal_weights(
    subnet: &mut Subnet,
    who: &PublicKey,
    call: &WeightsCall,
    salt: &[u16],
    now: u64,
) -> Result<(), Rule> {
    if !subnet.hyper.commit_reveal_enabled {
        return Err(Rule::CommitRevealDisabled);
    }
    let (epoch, reveal_period) = (subnet.epoch_index, subnet.hyper.reveal_period_epochs);
    let hash = commit_hash(
        who,
        call.netuid,
        call.mechid,
        &call.uids,
        &call.values,
        salt,
        call.version_key,
    );
    let queue = subnet.commits.entry(*who).or_default();
    let mut expired_hashes = Vec::new();
    while let Some(front) = queue.front() {
        if !expired(front.epoch, epoch, reveal_period) {
            break;
        }
        expired_hashes.push(front.hash);
        queue.pop_front();
    }
    let was_expired = expired_hashes.contains(&hash);
    if queue.is_empty() {
        return Err(if was_expired {
            Rule::ExpiredWeightCommit
        } else {
            Rule::NoWeightsCommitFound
        });
    }
    let Some(position) = queue.iter().position(|c| c.hash == hash) else {
        return Err(if was_expired {
            Rule::ExpiredWeightCommit
        } else {
            Rule::InvalidRevealCommitHashNotMatch
        });
    };
    let reveal_epoch = queue[position].epoch + reveal_period;
    if epoch != reveal_epoch {
        return Err(Rule::RevealTooEarly {
            retry_in_epochs: reveal_epoch.saturating_sub(epoch),
        });
    }
    let (uid, values) = checked_values(subnet, who, call, now, true)?;
    if let Some(queue) = subnet.commits.get_mut(who) {
        queue.drain(..=position);
        if queue.is_empty() {
            subnet.commits.remove(who);
        }
    }
    subnet.neurons[usize::from(uid)].weights = call.uids.iter().copied().zip(values).collect();
    Ok(())
}

/// Whether a commit made in `commit_epoch` has expired by `epoch`.
pub fn expired(commit_epoch: u64, epoch: u64, reveal_period: u64) -> bool {
    epoch > commit_epoch.saturating_add(reveal_period)
}
