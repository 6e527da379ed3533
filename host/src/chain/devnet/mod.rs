//! The devnet: an embedded local chain that behaves like Subtensor where it
//! matters for incentives, so validators, miners and tests need no network.
//!
//! It keeps subnets with Subtensor's hyperparameters, hotkey registration,
//! stake, axons, commitments, `set_weights` and commit-reveal (hash commits,
//! version 2; not CRv4's timelocked ones) with the real rules ([`weights`]), and runs Yuma Consensus every tempo blocks
//! ([`epoch`]). State lives in sled and survives restarts ([`state`]).
//! Blocks come from [`Devnet::advance`] (tests advance by hand) or from a
//! timer ([`Devnet::spawn_block_production`]).
//!
//! Transactions are [`calls::SignedCall`]s, checked and applied at once,
//! in the block that is the head when they arrive. Administration
//! (creating subnets, staking, changing hyperparameters) is devnet-only and
//! unsigned: it is a development chain.

pub mod calls;
mod epoch;
pub mod state;
mod weights;

#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use arbiter_registry::{Keypair, PublicKey};
use async_trait::async_trait;
use tokio::sync::watch;

use self::calls::{Call, SignedCall};
use self::state::{ChainState, Neuron, STATE_FORMAT, Store, Subnet};
use super::{
    Axon, BlockInfo, COMMIT_REVEAL_HASH, Chain, ChainError, Commitment, Hyperparameters,
    MAX_COMMITMENT_BYTES, Metagraph, NeuronInfo, Receipt, Result, RevealCall, Rule, WeightsCall,
};

pub use epoch::inputs as epoch_inputs;
pub use weights::MAX_UNREVEALED_COMMITS;

/// How a new devnet starts.
#[derive(Debug, Clone)]
pub struct Genesis {
    /// Milliseconds per block (and between block timestamps).
    pub block_time_ms: u64,
    /// The genesis timestamp, ms since the Unix epoch.
    pub timestamp_ms: u64,
    /// Seeds the genesis hash; random when `None`.
    pub seed: Option<[u8; 32]>,
}

impl Default for Genesis {
    fn default() -> Self {
        Self {
            block_time_ms: 12_000,
            timestamp_ms: 1_767_225_600_000,
            seed: None,
        }
    }
}

/// The embedded chain. Cheap to share behind an `Arc`.
pub struct Devnet {
    state: Mutex<(ChainState, Store)>,
    head: watch::Sender<BlockInfo>,
}

impl Devnet {
    /// Opens the devnet stored in `dir`, or creates it from `genesis`.
    pub fn open(dir: &Path, genesis: &Genesis) -> Result<Self> {
        let store = Store::open(dir)?;
        let state = match store.load()? {
            Some(state) => state,
            None => {
                let state = genesis_state(genesis)?;
                store.save(&state)?;
                state
            }
        };
        let (head, _) = watch::channel(state.head);
        Ok(Self {
            state: Mutex::new((state, store)),
            head,
        })
    }

    fn lock(&self) -> MutexGuard<'_, (ChainState, Store)> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `change` on the state and persists the result; on error nothing
    /// changes.
    fn mutate<T>(&self, change: impl FnOnce(&mut ChainState) -> Result<T>) -> Result<T> {
        let mut guard = self.lock();
        let (state, store) = &mut *guard;
        let mut next = state.clone();
        let value = change(&mut next)?;
        store.save(&next)?;
        *state = next;
        Ok(value)
    }

    /// Reads the state.
    fn read<T>(&self, read: impl FnOnce(&ChainState) -> Result<T>) -> Result<T> {
        read(&self.lock().0)
    }

    /// The genesis hash (what signed calls commit to).
    pub fn genesis(&self) -> [u8; 32] {
        self.lock().0.genesis
    }

    /// The next nonce of `account`.
    pub fn nonce(&self, account: &PublicKey) -> u64 {
        self.lock().0.nonces.get(account).copied().unwrap_or(0)
    }

    /// Produces `blocks` blocks: each accrues emission and runs the epochs
    /// that are due. Returns the new head.
    pub fn advance(&self, blocks: u64) -> Result<BlockInfo> {
        let head = self.mutate(|state| {
            for _ in 0..blocks {
                next_block(state);
            }
            Ok(state.head)
        })?;
        self.head.send_replace(head);
        Ok(head)
    }

    /// Produces a block every `interval` until the returned task is aborted.
    pub fn spawn_block_production(
        self: &Arc<Self>,
        interval: Duration,
    ) -> tokio::task::JoinHandle<()> {
        let devnet = Arc::clone(self);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.tick().await;
            loop {
                ticker.tick().await;
                if let Err(error) = devnet.advance(1) {
                    tracing::error!(%error, "block production failed");
                }
            }
        })
    }

    /// Creates subnet `netuid`, owned by `owner` (registered as its uid 0).
    pub fn create_subnet(
        &self,
        netuid: u16,
        owner: PublicKey,
        owner_coldkey: PublicKey,
        hyper: Hyperparameters,
    ) -> Result<()> {
        supported(&hyper)?;
        self.mutate(|state| {
            if state.subnets.contains_key(&netuid) {
                return Err(Rule::SubnetExists { netuid }.into());
            }
            let block = state.head.number;
            let tempo = u64::from(hyper.tempo.max(1));
            state.subnets.insert(
                netuid,
                Subnet {
                    netuid,
                    owner,
                    hyper,
                    immunity_period: 5_000,
                    neurons: vec![Neuron::new(owner, owner_coldkey, block)],
                    epoch_index: 0,
                    last_epoch_block: block.saturating_sub(u64::from(netuid) % tempo),
                    last_mechanism_step_block: 0,
                    pending_server: 0,
                    pending_validator: 0,
                    commits: Default::default(),
                    commitments: Default::default(),
                },
            );
            Ok(())
        })
    }

    /// Replaces a subnet's hyperparameters (and its immunity period).
    pub fn set_hyperparameters(
        &self,
        netuid: u16,
        hyper: Hyperparameters,
        immunity_period: Option<u64>,
    ) -> Result<()> {
        supported(&hyper)?;
        self.mutate(|state| {
            let subnet = subnet_mut(state, netuid)?;
            subnet.hyper = hyper;
            if let Some(period) = immunity_period {
                subnet.immunity_period = period;
            }
            Ok(())
        })
    }

    /// Adds `rao` to the stake of `hotkey` on subnet `netuid`.
    pub fn add_stake(&self, netuid: u16, hotkey: &PublicKey, rao: u64) -> Result<()> {
        self.mutate(|state| {
            let subnet = subnet_mut(state, netuid)?;
            let uid = registered(subnet, hotkey)?;
            let neuron = &mut subnet.neurons[usize::from(uid)];
            neuron.stake = neuron.stake.saturating_add(rao);
            Ok(())
        })
    }

    /// Checks and applies a signed transaction. A call a chain rule refuses
    /// changes nothing but the signer's nonce, as in Substrate.
    pub fn submit(&self, signed: &SignedCall) -> Result<Receipt> {
        let outcome = self.mutate(|state| {
            let call = signed.open(&state.genesis)?;
            let expected = state.nonces.get(&signed.signer).copied().unwrap_or(0);
            if signed.nonce != expected {
                return Err(ChainError::BadSignature {
                    reason: format!("stale nonce {}, the next is {expected}", signed.nonce),
                });
            }
            state.nonces.insert(signed.signer, expected + 1);
            let mut attempt = state.clone();
            let outcome = apply(&mut attempt, &signed.signer, &call);
            if outcome.is_ok() {
                *state = attempt;
            }
            Ok(outcome)
        })?;
        outcome
            .map(|block| Receipt { block })
            .map_err(ChainError::from)
    }

    /// Signs `call` with `key` at its next nonce and submits it.
    pub fn sign_and_submit(&self, key: &Keypair, call: &Call) -> Result<Receipt> {
        let signed = SignedCall::sign(key, &self.genesis(), self.nonce(&key.public()), call)?;
        self.submit(&signed)
    }

    /// The metagraph of `netuid` at the head.
    pub fn metagraph_now(&self, netuid: u16) -> Result<Metagraph> {
        self.read(|state| Ok(metagraph(state, subnet_ref(state, netuid)?)))
    }

    /// The epoch inputs `netuid` would run with at the next block (for
    /// inspection and benchmarks).
    pub fn next_epoch_inputs(&self, netuid: u16) -> Result<super::yuma::EpochInputs> {
        self.read(|state| {
            let subnet = subnet_ref(state, netuid)?;
            Ok(epoch::inputs(subnet, state.head.number + 1))
        })
    }
}

/// The transaction's effect, or the rule that refuses it (the nonce is
/// spent either way, so this result is inside the persisted change).
fn apply(state: &mut ChainState, who: &PublicKey, call: &Call) -> std::result::Result<u64, Rule> {
    let now = state.head.number;
    match call {
        Call::SetWeights(weights) => {
            weights::precheck(weights)?;
            weights::set_weights(subnet_for(state, weights.netuid)?, who, weights, now)?
        }
        Call::CommitWeights {
            netuid,
            mechid,
            hash,
        } => {
            if *mechid != 0 {
                return Err(Rule::MechanismDoesNotExist {
                    netuid: *netuid,
                    mechid: *mechid,
                });
            }
            weights::commit_weights(subnet_for(state, *netuid)?, who, *hash, now)?
        }
        Call::RevealWeights(RevealCall { weights, salt }) => {
            weights::precheck(weights)?;
            weights::reveal_weights(subnet_for(state, weights.netuid)?, who, weights, salt, now)?
        }
        Call::SetCommitment { netuid, data } => {
            if data.len() > MAX_COMMITMENT_BYTES {
                return Err(Rule::CommitmentTooLarge { len: data.len() });
            }
            let subnet = subnet_for(state, *netuid)?;
            registered_rule(subnet, who)?;
            subnet.commitments.insert(
                *who,
                Commitment {
                    block: now,
                    data: data.clone(),
                },
            );
        }
        Call::ServeAxon { netuid, axon } => {
            let subnet = subnet_for(state, *netuid)?;
            let uid = registered_rule(subnet, who)?;
            subnet.neurons[usize::from(uid)].axon = Some(axon.clone());
        }
        Call::Register { netuid, coldkey } => {
            register(subnet_for(state, *netuid)?, who, coldkey, now)?;
        }
    }
    Ok(now)
}

/// Registers `hotkey`: appends it, or, on a full subnet, replaces the
/// non-immune neuron with the lowest incentive plus dividends (the lower uid
/// on ties), as upstream prunes.
fn register(
    subnet: &mut Subnet,
    hotkey: &PublicKey,
    coldkey: &PublicKey,
    now: u64,
) -> std::result::Result<u16, Rule> {
    if subnet.uid_of(hotkey).is_some() {
        return Err(Rule::HotKeyAlreadyRegisteredInSubNet {
            hotkey: hotkey.ss58(),
            netuid: subnet.netuid,
        });
    }
    let neuron = Neuron::new(*hotkey, *coldkey, now);
    if subnet.n() < subnet.hyper.max_allowed_uids {
        subnet.neurons.push(neuron);
        return Ok(subnet.n() - 1);
    }
    let owner = subnet.owner;
    let immunity = subnet.immunity_period;
    let prunable = subnet
        .neurons
        .iter()
        .enumerate()
        .filter(|(_, n)| n.hotkey != owner && n.registered_at.saturating_add(immunity) < now)
        .min_by_key(|(uid, n)| (u32::from(n.incentive) + u32::from(n.dividends), *uid));
    let Some((uid, _)) = prunable else {
        return Err(Rule::SubnetFull {
            netuid: subnet.netuid,
            max: subnet.hyper.max_allowed_uids,
        });
    };
    let old = std::mem::replace(&mut subnet.neurons[uid], neuron);
    subnet.commits.remove(&old.hotkey);
    subnet.commitments.remove(&old.hotkey);
    Ok(uid as u16)
}

fn subnet_for(state: &mut ChainState, netuid: u16) -> std::result::Result<&mut Subnet, Rule> {
    state
        .subnets
        .get_mut(&netuid)
        .ok_or(Rule::MechanismDoesNotExist { netuid, mechid: 0 })
}

fn registered_rule(subnet: &Subnet, hotkey: &PublicKey) -> std::result::Result<u16, Rule> {
    subnet
        .uid_of(hotkey)
        .ok_or_else(|| Rule::HotKeyNotRegisteredInSubNet {
            hotkey: hotkey.ss58(),
            netuid: subnet.netuid,
        })
}

fn registered(subnet: &Subnet, hotkey: &PublicKey) -> Result<u16> {
    registered_rule(subnet, hotkey).map_err(ChainError::from)
}

/// Refuses hyperparameters the devnet cannot run: commit-reveal by other
/// than hash commits (it has no drand beacon to open timelocked ones).
/// With commit-reveal off the version is moot, so a real subnet's
/// hyperparameters copied over are taken.
fn supported(hyper: &Hyperparameters) -> Result<()> {
    if !hyper.commit_reveal_enabled || hyper.commit_reveal_version == COMMIT_REVEAL_HASH {
        return Ok(());
    }
    Err(ChainError::InvalidRequest {
        reason: format!(
            "the devnet runs commit-reveal version {COMMIT_REVEAL_HASH} (hash commits) only, not {}",
            hyper.commit_reveal_version
        ),
    })
}

fn subnet_ref(state: &ChainState, netuid: u16) -> Result<&Subnet> {
    state
        .subnets
        .get(&netuid)
        .ok_or(ChainError::NoSuchSubnet { netuid })
}

fn subnet_mut(state: &mut ChainState, netuid: u16) -> Result<&mut Subnet> {
    state
        .subnets
        .get_mut(&netuid)
        .ok_or(ChainError::NoSuchSubnet { netuid })
}

fn genesis_state(genesis: &Genesis) -> Result<ChainState> {
    let seed = match genesis.seed {
        Some(seed) => seed,
        None => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| ChainError::Storage {
                reason: format!("no randomness for a genesis hash: {e}"),
            })?;
            seed
        }
    };
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"arbiter/devnet/genesis/v1\0");
    hasher.update(&seed);
    hasher.update(&genesis.block_time_ms.to_le_bytes());
    hasher.update(&genesis.timestamp_ms.to_le_bytes());
    let hash = *hasher.finalize().as_bytes();
    Ok(ChainState {
        format: STATE_FORMAT,
        genesis: hash,
        block_time_ms: genesis.block_time_ms,
        head: BlockInfo {
            number: 0,
            hash,
            timestamp_ms: genesis.timestamp_ms,
        },
        subnets: Default::default(),
        nonces: Default::default(),
    })
}

/// Appends one block: its hash chains the previous one; due epochs run
/// first, then the block's emission accrues.
fn next_block(state: &mut ChainState) {
    let number = state.head.number + 1;
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"arbiter/devnet/block/v1\0");
    hasher.update(&state.genesis);
    hasher.update(&state.head.hash);
    hasher.update(&number.to_le_bytes());
    state.head = BlockInfo {
        number,
        hash: *hasher.finalize().as_bytes(),
        timestamp_ms: state.head.timestamp_ms.saturating_add(state.block_time_ms),
    };
    for subnet in state.subnets.values_mut() {
        if epoch::due(subnet, number) {
            epoch::run(subnet, number);
        }
        epoch::accrue(subnet);
    }
}

fn metagraph(state: &ChainState, subnet: &Subnet) -> Metagraph {
    Metagraph {
        netuid: subnet.netuid,
        block: state.head,
        owner: subnet.owner,
        epoch_index: subnet.epoch_index,
        last_epoch_block: subnet.last_epoch_block,
        neurons: subnet
            .neurons
            .iter()
            .enumerate()
            .map(|(uid, n)| NeuronInfo {
                uid: uid as u16,
                hotkey: n.hotkey,
                coldkey: n.coldkey,
                stake: n.stake,
                validator_permit: n.validator_permit,
                active: n.active,
                registered_at: n.registered_at,
                last_update: n.last_update,
                axon: n.axon.clone(),
                incentive: n.incentive,
                dividends: n.dividends,
                consensus: n.consensus,
                validator_trust: n.validator_trust,
                emission: n.emission,
            })
            .collect(),
    }
}

#[async_trait]
impl Chain for Devnet {
    async fn head(&self) -> Result<BlockInfo> {
        Ok(*self.head.borrow())
    }

    async fn wait_for_block(&self, after: u64, timeout: Duration) -> Result<BlockInfo> {
        let mut receiver = self.head.subscribe();
        let wait = receiver.wait_for(|head| head.number > after);
        match tokio::time::timeout(timeout, wait).await {
            Ok(Ok(head)) => Ok(*head),
            Ok(Err(_)) => Err(ChainError::Storage {
                reason: "the devnet shut down".into(),
            }),
            Err(_) => Err(ChainError::Timeout {
                millis: timeout.as_millis() as u64,
            }),
        }
    }

    async fn hyperparameters(&self, netuid: u16) -> Result<Hyperparameters> {
        self.read(|state| Ok(subnet_ref(state, netuid)?.hyper.clone()))
    }

    async fn metagraph(&self, netuid: u16) -> Result<Metagraph> {
        self.metagraph_now(netuid)
    }

    async fn weights(&self, netuid: u16, mechid: u8, uid: u16) -> Result<Vec<(u16, u16)>> {
        if mechid != 0 {
            return Err(Rule::MechanismDoesNotExist { netuid, mechid }.into());
        }
        self.read(|state| {
            Ok(subnet_ref(state, netuid)?
                .neurons
                .get(usize::from(uid))
                .map(|n| n.weights.clone())
                .unwrap_or_default())
        })
    }

    async fn commitment(&self, netuid: u16, hotkey: &PublicKey) -> Result<Option<Commitment>> {
        self.read(|state| Ok(subnet_ref(state, netuid)?.commitments.get(hotkey).cloned()))
    }

    async fn weight_commits(&self, netuid: u16, hotkey: &PublicKey) -> Result<Vec<[u8; 32]>> {
        self.read(|state| {
            Ok(subnet_ref(state, netuid)?
                .commits
                .get(hotkey)
                .map(|queue| queue.iter().map(|c| c.hash).collect())
                .unwrap_or_default())
        })
    }

    async fn set_weights(&self, signer: &Keypair, call: &WeightsCall) -> Result<Receipt> {
        self.sign_and_submit(signer, &Call::SetWeights(call.clone()))
    }

    async fn commit_weights(
        &self,
        signer: &Keypair,
        netuid: u16,
        mechid: u8,
        hash: [u8; 32],
    ) -> Result<Receipt> {
        self.sign_and_submit(
            signer,
            &Call::CommitWeights {
                netuid,
                mechid,
                hash,
            },
        )
    }

    async fn reveal_weights(&self, signer: &Keypair, reveal: &RevealCall) -> Result<Receipt> {
        self.sign_and_submit(signer, &Call::RevealWeights(reveal.clone()))
    }

    async fn set_commitment(&self, signer: &Keypair, netuid: u16, data: &[u8]) -> Result<Receipt> {
        self.sign_and_submit(
            signer,
            &Call::SetCommitment {
                netuid,
                data: data.to_vec(),
            },
        )
    }

    async fn serve_axon(&self, signer: &Keypair, netuid: u16, axon: &Axon) -> Result<Receipt> {
        self.sign_and_submit(
            signer,
            &Call::ServeAxon {
                netuid,
                axon: axon.clone(),
            },
        )
    }
}
