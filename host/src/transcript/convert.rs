//! Between the sandbox's types and transcript records: a context is
//! recorded in full and rebuilt exactly for a replay; a call's outcome is
//! recorded as its typed failure only (a host fault is recorded by kind,
//! without its message, which may hold machine-specific text).

use super::record::{ContextRecord, NeuronRecord, OutcomeRecord};
use crate::sandbox::bindings::{Context, Neuron, ReplyStatus};
use crate::sandbox::{Failure, HostFault};

/// The record of `ctx`.
pub fn context_record(ctx: &Context) -> ContextRecord {
    let array = |bytes: &[u8]| <[u8; 32]>::try_from(bytes).unwrap_or([0; 32]);
    ContextRecord {
        netuid: ctx.netuid,
        mechid: ctx.mechid,
        epoch: ctx.epoch,
        step: ctx.step,
        block: ctx.block,
        block_time_ms: ctx.block_time_ms,
        block_hash: array(&ctx.block_hash),
        seed: array(&ctx.seed),
        validator_uid: ctx.validator_uid,
        neurons: ctx
            .neurons
            .iter()
            .enumerate()
            .map(|(i, n)| NeuronRecord {
                uid: n.uid,
                hotkey: ctx
                    .hotkeys
                    .get(i * 32..i * 32 + 32)
                    .map(array)
                    .unwrap_or([0; 32]),
                stake: n.stake,
                validator_permit: n.validator_permit,
                active: n.active,
                replaced: n.replaced,
            })
            .collect(),
    }
}

/// The context a record describes.
pub fn context_from_record(record: &ContextRecord) -> Context {
    Context {
        netuid: record.netuid,
        mechid: record.mechid,
        epoch: record.epoch,
        step: record.step,
        block: record.block,
        block_time_ms: record.block_time_ms,
        block_hash: record.block_hash.to_vec(),
        seed: record.seed.to_vec(),
        validator_uid: record.validator_uid,
        neurons: record
            .neurons
            .iter()
            .map(|n| Neuron {
                uid: n.uid,
                stake: n.stake,
                validator_permit: n.validator_permit,
                active: n.active,
                replaced: n.replaced,
            })
            .collect(),
        hotkeys: record.neurons.iter().flat_map(|n| n.hotkey).collect(),
    }
}

/// The record of a call's result.
pub fn outcome_record<T>(result: &Result<T, Failure>, fuel_used: Option<u64>) -> OutcomeRecord {
    let failure = match result {
        Ok(_) => String::new(),
        Err(Failure::HostFault(fault)) => {
            let kind = match fault {
                HostFault::StackOverflow => "stack-overflow",
                HostFault::Deadline { .. } => "deadline",
                _ => "other",
            };
            format!(r#"{{"kind":"host-fault","fault":"{kind}"}}"#)
        }
        Err(failure) => serde_json::to_string(failure).unwrap_or_default(),
    };
    OutcomeRecord { failure, fuel_used }
}

/// The index of a reply status in the WIT enum.
pub fn reply_status_index(status: ReplyStatus) -> u8 {
    match status {
        ReplyStatus::Ok => 0,
        ReplyStatus::Timeout => 1,
        ReplyStatus::Unreachable => 2,
        ReplyStatus::Refused => 3,
        ReplyStatus::Oversized => 4,
        ReplyStatus::Malformed => 5,
        ReplyStatus::BadSignature => 6,
    }
}

/// The status at `index` (see [`reply_status_index`]).
pub fn reply_status_from_index(index: u8) -> Option<ReplyStatus> {
    Some(match index {
        0 => ReplyStatus::Ok,
        1 => ReplyStatus::Timeout,
        2 => ReplyStatus::Unreachable,
        3 => ReplyStatus::Refused,
        4 => ReplyStatus::Oversized,
        5 => ReplyStatus::Malformed,
        6 => ReplyStatus::BadSignature,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for i in 0..7 {
            let status = reply_status_from_index(i).expect("a status");
            assert_eq!(reply_status_index(status), i);
        }
        assert_eq!(reply_status_from_index(7), None);
    }
}
