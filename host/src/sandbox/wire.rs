//! Helpers for the flat wire shapes of the contract: building a
//! [`Payloads`] batch from per-uid byte strings, reading it back, and
//! checking the invariants a batch from an untrusted guest must hold.

use std::collections::HashSet;

use super::bindings::{Context, Payloads, Weight};

/// Packs `(uid, bytes)` pairs into one batch.
pub fn pack<'a>(items: impl IntoIterator<Item = (u16, &'a [u8])>) -> Payloads {
    let mut batch = Payloads {
        uids: Vec::new(),
        ends: Vec::new(),
        data: Vec::new(),
    };
    for (uid, bytes) in items {
        batch.uids.push(uid);
        batch.data.extend_from_slice(bytes);
        batch.ends.push(batch.data.len() as u32);
    }
    batch
}

/// The `(uid, bytes)` pairs of a batch that [`check_payloads`] accepted.
pub fn entries(batch: &Payloads) -> impl Iterator<Item = (u16, &[u8])> {
    let starts = std::iter::once(0).chain(batch.ends.iter().copied());
    batch
        .uids
        .iter()
        .zip(starts.zip(batch.ends.iter().copied()))
        .map(|(&uid, (start, end))| {
            let bytes = batch.data.get(start as usize..end as usize).unwrap_or(&[]);
            (uid, bytes)
        })
}

/// Checks a batch's shape, that its uids are unique and in the metagraph,
/// and that it is no larger than `max_bytes`.
pub fn check_payloads(batch: &Payloads, ctx: &Context, max_bytes: u64) -> Result<(), String> {
    if batch.uids.len() != batch.ends.len() {
        return Err(format!(
            "payloads have {} uids but {} end offsets",
            batch.uids.len(),
            batch.ends.len()
        ));
    }
    if batch.data.len() as u64 > max_bytes {
        return Err(format!(
            "payloads hold {} bytes, over the output limit of {max_bytes}",
            batch.data.len()
        ));
    }
    let mut previous = 0u32;
    for &end in &batch.ends {
        if end < previous {
            return Err(format!(
                "end offset {end} is before the previous one ({previous})"
            ));
        }
        previous = end;
    }
    if previous as usize != batch.data.len() {
        return Err(format!(
            "the last end offset is {previous} but the data holds {} bytes",
            batch.data.len()
        ));
    }
    check_uids(batch.uids.iter().copied(), ctx)
}

/// Checks a weight vector: unique uids in the metagraph, finite and
/// non-negative values.
pub fn check_weights(weights: &[Weight], ctx: &Context) -> Result<(), String> {
    if let Some(bad) = weights
        .iter()
        .find(|w| !w.value.is_finite() || w.value < 0.0)
    {
        return Err(format!(
            "weight {} for uid {} is not a finite, non-negative number",
            bad.value, bad.uid
        ));
    }
    check_uids(weights.iter().map(|w| w.uid), ctx)
}

fn check_uids(uids: impl Iterator<Item = u16>, ctx: &Context) -> Result<(), String> {
    let known: HashSet<u16> = ctx.neurons.iter().map(|n| n.uid).collect();
    let mut seen = HashSet::new();
    for uid in uids {
        if !known.contains(&uid) {
            return Err(format!("uid {uid} is not in the metagraph"));
        }
        if !seen.insert(uid) {
            return Err(format!("uid {uid} appears twice"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::bindings::Neuron;
    use super::*;

    fn context(n: u16) -> Context {
        Context {
            netuid: 1,
            mechid: 0,
            epoch: 0,
            step: 0,
            block: 0,
            block_time_ms: 0,
            block_hash: vec![0; 32],
            seed: vec![0; 32],
            validator_uid: 0,
            neurons: (0..n)
                .map(|uid| Neuron {
                    uid,
                    stake: 0,
                    validator_permit: false,
                    active: true,
                    replaced: false,
                })
                .collect(),
            hotkeys: vec![0; 32 * n as usize],
        }
    }

    #[test]
    fn pack_and_entries_round_trip() {
        let batch = pack([(3, &b"abc"[..]), (1, b""), (2, b"z")]);
        assert_eq!(batch.ends, [3, 3, 4]);
        let back: Vec<_> = entries(&batch).collect();
        assert_eq!(back, [(3, &b"abc"[..]), (1, &b""[..]), (2, &b"z"[..])]);
        assert_eq!(check_payloads(&batch, &context(4), 1024), Ok(()));
    }

    #[test]
    fn malformed_batches_are_named() {
        let ctx = context(4);
        let mut batch = pack([(0, &b"ab"[..]), (1, b"cd")]);
        batch.ends = vec![3, 2];
        assert!(check_payloads(&batch, &ctx, 1024).is_err_and(|e| e.contains("before")));
        batch.ends = vec![2, 5];
        assert!(check_payloads(&batch, &ctx, 1024).is_err_and(|e| e.contains("last end")));
        batch.ends = vec![2];
        assert!(check_payloads(&batch, &ctx, 1024).is_err_and(|e| e.contains("end offsets")));
        let dup = pack([(1, &b""[..]), (1, b"")]);
        assert!(check_payloads(&dup, &ctx, 1024).is_err_and(|e| e.contains("twice")));
        let outside = pack([(9, &b""[..])]);
        assert!(check_payloads(&outside, &ctx, 1024).is_err_and(|e| e.contains("metagraph")));
        let big = pack([(0, &[0u8; 10][..])]);
        assert!(check_payloads(&big, &ctx, 9).is_err_and(|e| e.contains("limit")));
    }

    #[test]
    fn weights_must_be_finite_and_non_negative() {
        let ctx = context(2);
        for value in [f64::NAN, f64::INFINITY, -1.0] {
            let weights = [Weight { uid: 0, value }];
            assert!(check_weights(&weights, &ctx).is_err());
        }
        assert_eq!(
            check_weights(&[Weight { uid: 1, value: 0.5 }], &ctx),
            Ok(())
        );
    }
}
