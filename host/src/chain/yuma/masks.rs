//! The integer-only rules of the epoch: activity, stake threshold, permits, and which
//! weight and bond cells survive the permit, diagonal, outdated, commit-reveal and
//! recently-registered masks (SPEC §4.2–§4.6, §4.11 step 1).
//!
//! None of this touches fixed point, so the bit-exact port ([`super::epoch`]) and the f64
//! baseline ([`super::dense_f64`]) share it and cannot drift apart on which cells count.
//! Masking raw u16 cells before conversion gives the same cells as upstream, which
//! converts first and then masks, since no mask looks at a value.

use super::types::EpochInputs;

/// `values[i]` for `i < n`, padded with 0 (upstream pads `LastUpdate` this way; a uid
/// without a key has registration block 0).
pub(super) fn padded(values: &[u64], n: usize) -> Vec<u64> {
    (0..n)
        .map(|i| values.get(i).copied().unwrap_or(0))
        .collect()
}

/// `inactive[i] = last_update[i] + cutoff < current_block`, saturating (SPEC §4.2).
pub(super) fn inactive_mask(inputs: &EpochInputs, n: usize) -> Vec<bool> {
    padded(&inputs.last_update, n)
        .iter()
        .map(|u| u.saturating_add(inputs.activity_cutoff_blocks) < inputs.current_block)
        .collect()
}

/// Whether uid `uid` with stake `stake_rao` (already truncated to u64) is zeroed by the
/// stake threshold: below it and not the owner (SPEC §4.3).
pub(super) fn below_stake_threshold(inputs: &EpochInputs, uid: usize, stake_rao: u64) -> bool {
    inputs.owner_uid.map(usize::from) != Some(uid) && stake_rao < inputs.stake_threshold
}

/// Sets the owner's entry to true if the vector has one (sparse path, SPEC §4.4).
pub(super) fn force_owner_permit(inputs: &EpochInputs, permits: &mut [bool]) {
    if let Some(cell) = inputs
        .owner_uid
        .and_then(|owner| permits.get_mut(usize::from(owner)))
    {
        *cell = true;
    }
}

/// The previous permits the epoch uses: as stored, owner forced (SPEC §4.4, Q4). Their
/// length is the stored vector's, which may differ from n.
pub(super) fn effective_prev_permits(inputs: &EpochInputs) -> Vec<bool> {
    let mut permits = inputs.validator_permit_prev.clone();
    force_owner_permit(inputs, &mut permits);
    permits
}

/// Which uids' stake is left out of the active stake (SPEC §4.5): the inactive ones and,
/// if any permits are stored, those without one (upstream masks with the inactive vector,
/// then with the permit vector, and an empty mask masks nothing).
pub(super) fn stake_excluded(inactive: &[bool], permits: &[bool]) -> Vec<bool> {
    inactive
        .iter()
        .enumerate()
        .map(|(i, out)| *out || (!permits.is_empty() && !permits.get(i).copied().unwrap_or(false)))
        .collect()
}

/// Per validator row, the earliest block of its unexpired commits, `u64::MAX` if none
/// (SPEC §4.6 step 4). A v2 queue contributes only its first unexpired entry; a
/// timelocked epoch contributes all its entries unless the epoch has expired.
pub(super) fn commit_blocks(inputs: &EpochInputs, n: usize) -> Vec<u64> {
    let expired = |commit_epoch: u64| {
        inputs.current_epoch_index_with_lookahead
            > commit_epoch.saturating_add(inputs.reveal_period)
    };
    let mut blocks = vec![u64::MAX; n];
    for (uid, queue) in inputs.commits.v2.iter().enumerate() {
        let first_active = queue.iter().find(|(epoch, _)| !expired(*epoch));
        if let (Some(&(_, block)), Some(cell)) = (first_active, blocks.get_mut(uid)) {
            *cell = (*cell).min(block);
        }
    }
    for (epoch, entries) in &inputs.commits.timelocked {
        if expired(*epoch) {
            continue;
        }
        for &(uid, block) in entries {
            if let Some(cell) = blocks.get_mut(usize::from(uid)) {
                *cell = (*cell).min(block);
            }
        }
    }
    blocks
}

/// The stored weight rows after loading and masking (SPEC §4.6 steps 1–4), each value
/// passed through `convert`, in storage order with explicit zeros: rows of uids ≥ n and
/// columns ≥ n are not loaded; a row goes if its (owner-forced) previous permit is false or missing; the
/// diagonal goes except the owner's; `(i, j)` goes if `last_update[i] ≤ registered[j]`, or,
/// with commit-reveal on, if `commit_block[i] < registered[j]`.
pub(super) fn masked_weight_rows<T>(
    inputs: &EpochInputs,
    n: usize,
    convert: impl Fn(u16) -> T,
) -> Vec<Vec<(u16, T)>> {
    let permits = effective_prev_permits(inputs);
    let last_update = padded(&inputs.last_update, n);
    let registered = padded(&inputs.block_at_registration, n);
    let commit_blocks = inputs
        .commit_reveal_enabled
        .then(|| commit_blocks(inputs, n));
    let owner = inputs.owner_uid.map(usize::from);
    (0..n)
        .map(|i| {
            let row = match inputs.weights.get(i) {
                Some(row) if permits.get(i).copied().unwrap_or(false) => row,
                _ => return Vec::new(),
            };
            let updated = last_update.get(i).copied().unwrap_or(0);
            let committed = commit_blocks
                .as_ref()
                .map_or(u64::MAX, |blocks| blocks.get(i).copied().unwrap_or(0));
            filter_row(row, &convert, |j| {
                let reg_j = registered.get(usize::from(j)).copied();
                let diagonal_ok = i != usize::from(j) || owner == Some(i);
                diagonal_ok && reg_j.is_some_and(|reg| updated > reg && committed >= reg)
            })
        })
        .collect()
}

/// The entries of `row` whose column passes `keep`, in order, values converted.
fn filter_row<T>(
    row: &[(u16, u16)],
    convert: &impl Fn(u16) -> T,
    keep: impl Fn(u16) -> bool,
) -> Vec<(u16, T)> {
    let mut out = Vec::with_capacity(row.len());
    out.extend(
        row.iter()
            .filter(|(j, _)| keep(*j))
            .map(|&(j, v)| (j, convert(v))),
    );
    out
}

/// `last_tempo`: `LastMechansimStepBlock + 1`, or `current_block − tempo` while that
/// storage is still 0 (SPEC §4.11a step 1).
fn last_tempo(inputs: &EpochInputs) -> u64 {
    if inputs.last_mechanism_step_block == 0 {
        inputs.current_block.saturating_sub(u64::from(inputs.tempo))
    } else {
        inputs.last_mechanism_step_block.saturating_add(1)
    }
}

/// The stored bond rows of uids < n, each value passed through `convert`, without the columns of uids registered
/// since the last epoch (`last_tempo ≤ registered[j]`, SPEC §4.11 step 1). Columns ≥ n are
/// dropped too: upstream keeps them in the loaded matrix but every later step ignores them.
pub(super) fn masked_bond_rows<T>(
    inputs: &EpochInputs,
    n: usize,
    convert: impl Fn(u16) -> T,
) -> Vec<Vec<(u16, T)>> {
    let last_tempo = last_tempo(inputs);
    let registered = padded(&inputs.block_at_registration, n);
    (0..n)
        .map(|i| {
            inputs.bonds_prev.get(i).map_or_else(Vec::new, |row| {
                filter_row(row, &convert, |j| {
                    registered
                        .get(usize::from(j))
                        .is_some_and(|reg| last_tempo > *reg)
                })
            })
        })
        .collect()
}
