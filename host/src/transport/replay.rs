//! The miner's defence against replayed queries: a query counts only
//! within the clock-skew window of its timestamp, and its (validator,
//! nonce) pair is remembered until that window has passed, after which the
//! timestamp check alone refuses it.
//!
//! The window's past edge follows the latest time the guard has seen, never
//! the wall clock alone: if the miner's clock stepped back, a forgotten
//! nonce would otherwise become acceptable again. Memory is bounded: with
//! `capacity` live nonces held, new queries are refused rather than an
//! old nonce forgotten early (which would let it be replayed).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

use arbiter_registry::PublicKey;

/// Why a query was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ReplayRefusal {
    /// Its timestamp is outside the window.
    Stale,
    /// Its nonce was already used by that validator within the window.
    Replayed,
    /// The guard holds `capacity` live nonces.
    Full,
}

type Key = (PublicKey, [u8; 16]);

/// Remembers recent nonces; see the module docs.
pub(super) struct ReplayGuard {
    window_ms: u64,
    capacity: usize,
    latest_ms: u64,
    seen: HashSet<Key>,
    expiries: BinaryHeap<Reverse<(u64, Key)>>,
}

impl ReplayGuard {
    /// A guard accepting timestamps within `window_ms` of its clock and
    /// holding at most `capacity` nonces.
    pub(super) fn new(window_ms: u64, capacity: usize) -> Self {
        Self {
            window_ms,
            capacity,
            latest_ms: 0,
            seen: HashSet::new(),
            expiries: BinaryHeap::new(),
        }
    }

    /// Whether `timestamp_ms` is within the window at `now_ms`.
    pub(super) fn check_fresh(
        &mut self,
        timestamp_ms: u64,
        now_ms: u64,
    ) -> Result<(), ReplayRefusal> {
        self.latest_ms = self.latest_ms.max(now_ms);
        let too_old = timestamp_ms.saturating_add(self.window_ms) < self.latest_ms;
        let too_new = timestamp_ms > now_ms.saturating_add(self.window_ms);
        if too_old || too_new {
            return Err(ReplayRefusal::Stale);
        }
        Ok(())
    }

    /// Admits the query `nonce` of `validator` stamped `timestamp_ms`, at
    /// `now_ms`: fresh, not seen before, and room to remember it.
    pub(super) fn admit(
        &mut self,
        validator: PublicKey,
        nonce: [u8; 16],
        timestamp_ms: u64,
        now_ms: u64,
    ) -> Result<(), ReplayRefusal> {
        self.check_fresh(timestamp_ms, now_ms)?;
        self.forget_expired();
        let key = (validator, nonce);
        if self.seen.contains(&key) {
            return Err(ReplayRefusal::Replayed);
        }
        if self.seen.len() >= self.capacity {
            return Err(ReplayRefusal::Full);
        }
        self.seen.insert(key);
        self.expiries
            .push(Reverse((timestamp_ms.saturating_add(self.window_ms), key)));
        Ok(())
    }

    /// Forgets the nonces whose timestamps are now out of the window.
    fn forget_expired(&mut self) {
        while let Some(Reverse((expiry, key))) = self.expiries.peek() {
            if *expiry >= self.latest_ms {
                break;
            }
            self.seen.remove(key);
            self.expiries.pop();
        }
    }

    /// How many nonces are held.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.seen.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: u64 = 60_000;
    const NOW: u64 = 1_767_225_600_000;

    fn key(byte: u8) -> PublicKey {
        PublicKey([byte; 32])
    }

    #[test]
    fn a_nonce_is_accepted_once_and_timestamps_must_be_in_the_window() {
        let mut guard = ReplayGuard::new(WINDOW, 10);
        assert_eq!(guard.admit(key(1), [1; 16], NOW, NOW), Ok(()));
        assert_eq!(
            guard.admit(key(1), [1; 16], NOW, NOW + 5),
            Err(ReplayRefusal::Replayed)
        );
        assert_eq!(guard.admit(key(2), [1; 16], NOW, NOW), Ok(()));
        // The guard's clock has reached NOW + 5; the window's past edge
        // follows it even when a later call reads an earlier time.
        let edge = NOW + 5 - WINDOW;
        assert_eq!(guard.admit(key(1), [2; 16], edge, NOW), Ok(()));
        assert_eq!(
            guard.admit(key(1), [3; 16], edge - 1, NOW),
            Err(ReplayRefusal::Stale)
        );
        assert_eq!(
            guard.admit(key(1), [3; 16], NOW + WINDOW + 1, NOW),
            Err(ReplayRefusal::Stale)
        );
    }

    #[test]
    fn nonces_are_forgotten_only_when_the_timestamp_check_refuses_them() {
        let mut guard = ReplayGuard::new(WINDOW, 10);
        assert_eq!(guard.admit(key(1), [1; 16], NOW, NOW), Ok(()));
        let later = NOW + WINDOW + 1;
        assert_eq!(guard.admit(key(1), [2; 16], later, later), Ok(()));
        assert_eq!(guard.len(), 1);
        // The clock steps back: the forgotten nonce is still refused.
        assert_eq!(
            guard.admit(key(1), [1; 16], NOW, NOW),
            Err(ReplayRefusal::Stale)
        );
    }

    #[test]
    fn a_full_guard_refuses_rather_than_forgets() {
        let mut guard = ReplayGuard::new(WINDOW, 2);
        assert_eq!(guard.admit(key(1), [1; 16], NOW, NOW), Ok(()));
        assert_eq!(guard.admit(key(1), [2; 16], NOW, NOW), Ok(()));
        assert_eq!(
            guard.admit(key(1), [3; 16], NOW, NOW),
            Err(ReplayRefusal::Full)
        );
        assert_eq!(
            guard.admit(key(1), [1; 16], NOW, NOW),
            Err(ReplayRefusal::Replayed)
        );
        let later = NOW + WINDOW + 1;
        assert_eq!(guard.admit(key(1), [3; 16], later, later), Ok(()));
    }
}
