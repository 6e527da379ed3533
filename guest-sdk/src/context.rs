//! The step's context: which subnet, block and epoch, the seed every random
//! choice must come from, and the metagraph.

use crate::rng::Rng;
use crate::wit::arbiter::mechanism::types as wit;

/// One registered neuron (a uid on the subnet) at the step's block: its
/// `uid`, `stake` (stake weight in rao), `validator_permit`, `active`
/// (set weights within the activity cutoff) and `replaced` (its hotkey
/// changed since the validator's previous step, so any history kept for the
/// uid belongs to someone else).
pub use wit::Neuron;

/// Everything a call may depend on besides its explicit arguments.
///
/// ```
/// # fn demo(ctx: &arbiter_sdk::Context) {
/// let mut rng = ctx.rng();
/// let pick = rng.below(ctx.neurons().len() as u64);
/// # let _ = pick;
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Context {
    raw: wit::Context,
    seed: [u8; 32],
}

impl Context {
    pub(crate) fn from_wit(raw: wit::Context) -> Self {
        let mut seed = [0u8; 32];
        // The host always sends 32 bytes; anything else leaves zeros, which
        // is still deterministic.
        if let Some(bytes) = raw.seed.get(..32) {
            seed.copy_from_slice(bytes);
        }
        Self { raw, seed }
    }

    /// A context for native unit tests of a mechanism.
    pub fn for_tests(
        netuid: u16,
        epoch: u64,
        step: u32,
        seed: [u8; 32],
        neurons: Vec<Neuron>,
    ) -> Self {
        let hotkeys = vec![0; neurons.len() * 32];
        Self::from_wit(wit::Context {
            netuid,
            mechid: 0,
            epoch,
            step,
            block: 0,
            block_time_ms: 0,
            block_hash: vec![0; 32],
            seed: seed.to_vec(),
            validator_uid: 0,
            neurons,
            hotkeys,
        })
    }

    /// The subnet.
    pub fn netuid(&self) -> u16 {
        self.raw.netuid
    }

    /// The mechanism (sub-subnet) index within the subnet.
    pub fn mechid(&self) -> u8 {
        self.raw.mechid
    }

    /// The validator's epoch this step belongs to.
    pub fn epoch(&self) -> u64 {
        self.raw.epoch
    }

    /// The step within the epoch, from 0.
    pub fn step(&self) -> u32 {
        self.raw.step
    }

    /// The block the step was taken at.
    pub fn block(&self) -> u64 {
        self.raw.block
    }

    /// That block's timestamp, in milliseconds since the Unix epoch.
    pub fn block_time_ms(&self) -> u64 {
        self.raw.block_time_ms
    }

    /// That block's hash.
    pub fn block_hash(&self) -> &[u8] {
        &self.raw.block_hash
    }

    /// The step's 32-byte seed.
    pub fn seed(&self) -> &[u8; 32] {
        &self.seed
    }

    /// A fresh random stream from the step's seed. Two calls give the same
    /// stream: draw everything a call needs from one.
    pub fn rng(&self) -> Rng {
        Rng::from_seed(&self.seed)
    }

    /// The uid of the validator running the mechanism.
    pub fn validator_uid(&self) -> u16 {
        self.raw.validator_uid
    }

    /// The metagraph, in ascending uid order.
    pub fn neurons(&self) -> &[Neuron] {
        &self.raw.neurons
    }

    /// The largest uid in the metagraph plus one (0 when it is empty): the
    /// length a per-uid table needs.
    pub fn uid_count(&self) -> usize {
        self.raw
            .neurons
            .iter()
            .map(|n| usize::from(n.uid) + 1)
            .max()
            .unwrap_or(0)
    }

    /// The hotkey (32-byte sr25519 public key) of the neuron at `index` in
    /// [`neurons`](Self::neurons).
    pub fn hotkey(&self, index: usize) -> Option<&[u8]> {
        let start = index.checked_mul(32)?;
        self.raw.hotkeys.get(start..start.checked_add(32)?)
    }
}
