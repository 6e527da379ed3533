//! The real chain behind [`Chain`]: a Subtensor node over `ws://`/`wss://`.
//!
//! Reads come from storage at one block (typed in every runtime's
//! metadata, unlike spec 218's runtime APIs, which answer opaque bytes),
//! batched into a few `state_queryStorageAt` requests: a metagraph of n
//! neurons is three storage requests after the block's hash, number and
//! runtime (up to n = 170; 512 keys a request). Writes are the offline encoder's calls
//! ([`SubtensorCall`]), signed and submitted by [`super::submit`]; a call
//! refused in its block comes back as the devnet's typed [`Rule`] with the
//! numbers filled from the chain (blocks to wait, version key required).
//!
//! A subnet's epochs are the runtime's own: `SubnetEpochIndex` and
//! `LastEpochBlock` where it stores them (spec 4xx), spec 218's modulo
//! schedule otherwise. On runtimes with timelocked commit-reveal (CRv4),
//! commit-reveal subnets report version 4 and take
//! `commit_timelocked_mechanism_weights`, the round and ciphertext made by
//! [`super::timelock`] from the schedule read at the head, as the SDK
//! makes them.
//!
//! Mechanism 0 reads and writes work on every runtime. For `mechid > 0`,
//! `set_weights` needs a runtime with `set_mechanism_weights` (spec 4xx)
//! and is refused as `MechanismDoesNotExist` elsewhere; timelocked commits
//! carry the mechanism (the runtimes that have them have mechanisms);
//! hash commits and reveals are refused for it on every runtime (not built
//! for mechanisms yet).

use std::net::Ipv4Addr;
use std::time::Duration;

use arbiter_registry::{Keypair, PublicKey};
use async_trait::async_trait;
use subxt::dynamic::{Value, tx};
use subxt::ext::scale_value::{At, Composite, ValueDef};
use subxt::transactions::DynamicPayload;

use super::dispatch::{self, Context};
use super::node::{Node, Runtime};
use super::storage::{self, Snapshot};
use super::submit::{self, INCLUSION_TIMEOUT, Included};
use super::timelock::{self, EpochSchedule};
use super::value;
use super::{CommitmentData, EncodeError, SubtensorCall};
use crate::chain::{
    Axon, BlockInfo, COMMIT_REVEAL_HASH, COMMIT_REVEAL_TIMELOCK, Chain, ChainError, Commitment,
    Hyperparameters, Metagraph, NeuronInfo, Receipt, Result, RevealCall, Rule, TimelockedCommit,
    WeightsCall,
};

/// A value decoded against the runtime's types.
type Decoded = Value<u32>;

/// How often [`Chain::wait_for_block`] asks for the best block.
const POLL: Duration = Duration::from_millis(250);

/// The pallet holding subnets, neurons and weights.
const SUBTENSOR: &str = "SubtensorModule";

/// The block's timestamp, read with a subnet's entries as `Now`.
const TIMESTAMP: (&str, &str) = ("Timestamp", "Now");

/// A Subtensor node as a [`Chain`].
#[derive(Debug)]
pub struct Subtensor {
    node: Node,
    inclusion_timeout: Duration,
}

impl Subtensor {
    /// Connects to the node at `url` (`ws://` or `wss://`).
    pub async fn connect(url: &str) -> Result<Self> {
        Ok(Self {
            node: Node::connect(url).await?,
            inclusion_timeout: INCLUSION_TIMEOUT,
        })
    }

    /// How long submissions wait to be in a block.
    pub fn with_inclusion_timeout(mut self, timeout: Duration) -> Self {
        self.inclusion_timeout = timeout;
        self
    }

    /// The connection, for reads and calls this type does not wrap.
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// Signs and submits any call (`register_network`, `burned_register`,
    /// ...), with the account's next nonce or `nonce`; dispatch failures
    /// are reported in [`Included::failure`], not as errors.
    pub async fn submit_payload(
        &self,
        key: &Keypair,
        call: DynamicPayload<Composite<()>>,
        nonce: Option<u64>,
    ) -> Result<Included> {
        submit::sign_and_submit(&self.node, key, call, nonce, self.inclusion_timeout).await
    }

    /// Registers `key`'s hotkey on `netuid`, `key` signing as the coldkey
    /// and paying the burn (`SubtensorModule.burned_register`).
    pub async fn burned_register(&self, key: &Keypair, netuid: u16) -> Result<Receipt> {
        let call = tx(
            SUBTENSOR,
            "burned_register",
            Composite::named([
                ("netuid", Value::u128(netuid.into())),
                ("hotkey", Value::from_bytes(key.public().0)),
            ]),
        );
        receipt(self.submit_payload(key, call, None).await?)
    }

    /// Submits one of the validator's calls and turns a dispatch failure
    /// into the host's typed error.
    async fn submit_call(&self, key: &Keypair, call: SubtensorCall) -> Result<Receipt> {
        let payload = call.payload().map_err(encode_error)?;
        let included = self.submit_payload(key, payload, None).await?;
        let Some((pallet, error)) = included.failure.clone() else {
            return Ok(Receipt {
                block: included.block_number,
            });
        };
        let context = self.context(key, &call, &included).await?;
        Err(dispatch::to_error(&pallet, &error, &context))
    }

    /// What a refusal's [`Rule`] needs, read at the block that refused.
    async fn context(&self, key: &Keypair, call: &SubtensorCall, at: &Included) -> Result<Context> {
        let state = Snapshot::at(&self.node, at.block_hash, at.block_number).await?;
        let (netuid, version_key, uids, values) = match call {
            SubtensorCall::SetWeights {
                netuid,
                uids,
                values,
                version_key,
            }
            | SubtensorCall::SetMechanismWeights {
                netuid,
                uids,
                values,
                version_key,
                ..
            }
            | SubtensorCall::RevealWeights {
                netuid,
                uids,
                values,
                version_key,
                ..
            } => (*netuid, *version_key, uids.clone(), values.len()),
            SubtensorCall::CommitWeights { netuid, .. }
            | SubtensorCall::CommitTimelockedWeights { netuid, .. }
            | SubtensorCall::CommitTimelockedMechanismWeights { netuid, .. }
            | SubtensorCall::SetCommitment { netuid, .. } => (*netuid, 0, Vec::new(), 0),
        };
        let uid = state
            .get(SUBTENSOR, "Uids", (netuid, key.public().0))
            .await?
            .and_then(|v| value::number::<u16>(&v, "Uids").ok());
        let e = Entries::read(
            &state,
            netuid,
            &[
                "WeightsVersionKey",
                "WeightsSetRateLimit",
                "LastUpdate",
                "SubnetworkN",
                "MinAllowedWeights",
                "MaxWeightsLimit",
            ],
            &[],
        )
        .await?;
        let rate_limit: u64 = e.int("WeightsSetRateLimit", 0)?;
        let last_update = uid
            .and_then(|uid| {
                e.ints::<u64>("LastUpdate")
                    .ok()?
                    .get(usize::from(uid))
                    .copied()
            })
            .unwrap_or(0);
        Ok(Context {
            netuid,
            hotkey: key.public().ss58(),
            uid,
            version_key,
            required_version_key: e.int("WeightsVersionKey", 0)?,
            retry_in_blocks: (last_update + rate_limit).saturating_sub(at.block_number),
            uids,
            values,
            subnet_n: e.int("SubnetworkN", 0)?,
            min_allowed_weights: e.int("MinAllowedWeights", 0)?,
            max_weights_limit: e.int("MaxWeightsLimit", u16::MAX)?,
        })
    }
}

/// The receipt of an included call, or its dispatch error by name.
fn receipt(included: Included) -> Result<Receipt> {
    match included.failure {
        None => Ok(Receipt {
            block: included.block_number,
        }),
        Some((pallet, error)) => Err(ChainError::Dispatch { pallet, error }),
    }
}

/// An encoding failure: a rule refused before sending, or a runtime that
/// cannot take the call.
fn encode_error(error: EncodeError) -> ChainError {
    match error {
        EncodeError::Refused(rule) => ChainError::Rule(rule),
        other => ChainError::InvalidRequest {
            reason: other.to_string(),
        },
    }
}

/// The epoch schedule of runtimes that do not store it (spec 218): subnet
/// `netuid` runs its epoch at the blocks where `(block + netuid + 1) %
/// (tempo + 1) == tempo` (`blocks_until_next_epoch` reaching 0), and never
/// at tempo 0. Returns `(epochs run up to block, the block of the last
/// one)`, `(0, 0)` at tempo 0.
pub fn epoch_schedule(block: u64, netuid: u16, tempo: u16) -> (u64, u64) {
    if tempo == 0 {
        return (0, 0);
    }
    let period = u64::from(tempo) + 1;
    let shifted = block + u64::from(netuid) + 2;
    (shifted / period, block.saturating_sub(shifted % period))
}

/// Where a subnet's epochs stand at `block`, `(epochs run, block of the
/// last one)`, as the runtime counts them: its `SubnetEpochIndex` and
/// `LastEpochBlock` where it stores them (spec 4xx, whose epochs follow
/// `LastEpochBlock`, owner-triggered epochs and tempo changes), else
/// [`epoch_schedule`].
fn epochs(e: &Entries, block: u64, netuid: u16) -> Result<(u64, u64)> {
    if e.value("SubnetEpochIndex").is_some() && e.value("LastEpochBlock").is_some() {
        return Ok((e.int("SubnetEpochIndex", 0)?, e.int("LastEpochBlock", 0)?));
    }
    Ok(epoch_schedule(block, netuid, e.int("Tempo", 360)?))
}

/// The call CRv4 commits go by: the SDK 11.3 sends
/// `commit_timelocked_mechanism_weights` (older runtimes' mechanism-less
/// `commit_timelocked_weights` is not used: none the host meets lacks the
/// former).
const TIMELOCK_CALL: &str = "commit_timelocked_mechanism_weights";

/// Whether the runtime takes CRv4 commits.
fn has_timelock(runtime: &Runtime) -> bool {
    runtime.has_call(SUBTENSOR, TIMELOCK_CALL)
}

/// What [`timelock::reveal_round`] needs, read at `state` as the SDK's
/// `get_encrypted_commit_v2` reads it: the subnet's epoch schedule (each
/// entry 0 where the runtime lacks it), its reveal period, the runtime's
/// block time (`Aura.SlotDuration`) and, for "now", the block's timestamp
/// where the SDK reads the wall clock; refused without the last two.
async fn timelock_inputs(
    state: &Snapshot<'_>,
    netuid: u16,
) -> Result<(EpochSchedule, u64, f64, f64)> {
    let e = Entries::read(
        state,
        netuid,
        &[
            "Tempo",
            "RevealPeriodEpochs",
            "LastEpochBlock",
            "PendingEpochAt",
            "SubnetEpochIndex",
            "BlocksSinceLastStep",
        ],
        &[TIMESTAMP],
    )
    .await?;
    let schedule = EpochSchedule {
        last_epoch_block: e.int("LastEpochBlock", 0)?,
        pending_epoch_at: e.int("PendingEpochAt", 0)?,
        subnet_epoch_index: e.int("SubnetEpochIndex", 0)?,
        tempo: e.int("Tempo", 360)?,
        blocks_since_last_step: e.int("BlocksSinceLastStep", 0)?,
        current_block: state.number,
    };
    // Without either, the round would be wrong: too early (round 1, whose
    // signature is long public, for a timestamp of 0) or too late.
    let now_ms: u64 = e.int("Now", 0)?;
    if now_ms == 0 {
        return Err(state.unsupported("no block timestamp (Timestamp.Now) to time a CRv4 commit"));
    }
    let slot_ms = state
        .runtime
        .metadata
        .subxt()
        .pallet_by_name("Aura")
        .and_then(|aura| aura.constant_by_name("SlotDuration"))
        .and_then(|slot| <[u8; 8]>::try_from(slot.value()).ok())
        .map(u64::from_le_bytes)
        .filter(|ms| *ms > 0)
        .ok_or_else(|| {
            state.unsupported("no block time (Aura.SlotDuration) to time a CRv4 commit")
        })?;
    Ok((
        schedule,
        e.int("RevealPeriodEpochs", 1)?,
        slot_ms as f64 / 1000.0,
        now_ms as f64 / 1000.0,
    ))
}

/// A CRv4 failure before anything was sent.
fn timelock_error(netuid: u16, error: timelock::Error) -> ChainError {
    ChainError::InvalidRequest {
        reason: format!("no timelocked commit on subnet {netuid}: {error}"),
    }
}

/// The values read for a metagraph, by entry name.
struct Entries {
    values: Vec<(&'static str, Option<Decoded>)>,
    /// The runtime's spec version, to name in errors.
    spec_version: u32,
}

impl Entries {
    /// Reads, in one request, whether subnet `netuid` exists and those of
    /// its `keyed` entries (`SubtensorModule`'s) and of the `plain`
    /// (unkeyed, `(pallet, entry)`) ones the runtime has, each by its entry
    /// name; [`ChainError::NoSuchSubnet`] if it does not exist.
    async fn read(
        state: &Snapshot<'_>,
        netuid: u16,
        keyed: &[&'static str],
        plain: &[(&'static str, &'static str)],
    ) -> Result<Self> {
        let mut names = Vec::new();
        let mut reads = Vec::new();
        for entry in std::iter::once(&"NetworksAdded").chain(keyed) {
            if state.has(SUBTENSOR, entry) {
                names.push(*entry);
                reads.push(state.read(SUBTENSOR, entry, (netuid,))?);
            }
        }
        for (pallet, entry) in plain {
            if state.has(pallet, entry) {
                names.push(*entry);
                reads.push(state.read(pallet, entry, ())?);
            }
        }
        let entries = Self {
            values: names.into_iter().zip(state.fetch(&reads).await?).collect(),
            spec_version: state.runtime.spec_version,
        };
        if entries.flag("NetworksAdded", false) {
            Ok(entries)
        } else {
            Err(ChainError::NoSuchSubnet { netuid })
        }
    }

    fn value(&self, entry: &str) -> Option<&Decoded> {
        self.values
            .iter()
            .find(|(name, _)| *name == entry)
            .and_then(|(_, v)| v.as_ref())
    }

    fn int<T: TryFrom<u128>>(&self, entry: &str, default: T) -> Result<T> {
        self.value(entry)
            .map(|v| value::number(v, entry).map_err(|e| self.unreadable(e)))
            .unwrap_or(Ok(default))
    }

    /// A value not shaped as the host reads it.
    fn unreadable(&self, error: EncodeError) -> ChainError {
        storage::unreadable(self.spec_version, error)
    }

    fn flag(&self, entry: &str, default: bool) -> bool {
        self.value(entry)
            .and_then(|v| value::unwrap_newtype(v).as_bool())
            .unwrap_or(default)
    }

    fn ints<T: TryFrom<u128>>(&self, entry: &str) -> Result<Vec<T>> {
        self.value(entry)
            .map(|v| value::numbers(v, entry).map_err(|e| self.unreadable(e)))
            .unwrap_or(Ok(Vec::new()))
    }

    fn flags(&self, entry: &str) -> Result<Vec<bool>> {
        self.value(entry)
            .map(|v| value::flags(v, entry).map_err(|e| self.unreadable(e)))
            .unwrap_or(Ok(Vec::new()))
    }
}

/// The first variant under `value`, depth first.
fn first_variant(value: &Decoded) -> Option<&subxt::ext::scale_value::Variant<u32>> {
    match &value.value {
        ValueDef::Variant(variant) => Some(variant),
        ValueDef::Composite(composite) => composite.values().find_map(first_variant),
        _ => None,
    }
}

/// An axon's address from `AxonInfo`, if it has served one (IPv4 only).
fn axon(info: &Decoded) -> Option<Axon> {
    let ip: u128 = value::int(info, "ip").ok()?;
    let port: u16 = value::int(info, "port").ok()?;
    let ip = u32::try_from(ip).ok().filter(|ip| *ip != 0)?;
    Some(Axon {
        ip: Ipv4Addr::from(ip).to_string(),
        port,
    })
}

#[async_trait]
impl Chain for Subtensor {
    async fn head(&self) -> Result<BlockInfo> {
        let state = Snapshot::best(&self.node).await?;
        let timestamp_ms = state
            .get("Timestamp", "Now", ())
            .await?
            .and_then(|v| value::number(&v, "Timestamp.Now").ok())
            .unwrap_or(0);
        Ok(BlockInfo {
            number: state.number,
            hash: state.hash,
            timestamp_ms,
        })
    }

    async fn wait_for_block(&self, after: u64, timeout: Duration) -> Result<BlockInfo> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let (_, number) = self.node.best_block().await?;
            if number > after {
                return self.head().await;
            }
            if tokio::time::Instant::now() + POLL > deadline {
                return Err(ChainError::Timeout {
                    millis: timeout.as_millis() as u64,
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn hyperparameters(&self, netuid: u16) -> Result<Hyperparameters> {
        let state = Snapshot::best(&self.node).await?;
        let e = Entries::read(
            &state,
            netuid,
            &[
                "Tempo",
                "ActivityCutoff",
                "Kappa",
                "BondsMovingAverage",
                "BondsPenalty",
                "Yuma3On",
                "LiquidAlphaOn",
                "AlphaValues",
                "MaxAllowedValidators",
                "MaxAllowedUids",
                "MaxWeightsLimit",
                "MinAllowedWeights",
                "WeightsSetRateLimit",
                "WeightsVersionKey",
                "CommitRevealWeightsEnabled",
                "RevealPeriodEpochs",
            ],
            &[
                (SUBTENSOR, "StakeThreshold"),
                (SUBTENSOR, "BlockEmission"),
                (SUBTENSOR, "SubnetOwnerCut"),
                (SUBTENSOR, "CommitRevealWeightsVersion"),
            ],
        )
        .await?;
        // Runtimes without CRv4's calls (spec 218) run hash commits.
        let commit_reveal_version = if has_timelock(&state.runtime) {
            e.int("CommitRevealWeightsVersion", COMMIT_REVEAL_TIMELOCK)?
        } else {
            COMMIT_REVEAL_HASH
        };
        let defaults = Hyperparameters::default();
        let tempo: u16 = e.int("Tempo", defaults.tempo)?;
        let cutoff: u64 = e.int("ActivityCutoff", 5000)?;
        let (alpha_low, alpha_high) = match e.value("AlphaValues") {
            Some(v) => (
                v.at(0)
                    .and_then(|x| value::number(x, "alpha_low").ok())
                    .unwrap_or(defaults.alpha_low),
                v.at(1)
                    .and_then(|x| value::number(x, "alpha_high").ok())
                    .unwrap_or(defaults.alpha_high),
            ),
            None => (defaults.alpha_low, defaults.alpha_high),
        };
        Ok(Hyperparameters {
            tempo,
            // The chain counts the cutoff in blocks; the host in thousandths
            // of an epoch, rounded up so that `activity_cutoff_blocks()`
            // gives the chain's count back (exact for tempos under 1000).
            activity_cutoff_factor_milli: u32::try_from(
                (cutoff * 1000).div_ceil(u64::from(tempo.max(1))),
            )
            .unwrap_or(u32::MAX),
            kappa: e.int("Kappa", defaults.kappa)?,
            bonds_moving_average: e.int("BondsMovingAverage", defaults.bonds_moving_average)?,
            // Runtimes before bonds penalties clipped bonds fully.
            bonds_penalty: e.int("BondsPenalty", u16::MAX)?,
            yuma3_enabled: e.flag("Yuma3On", false),
            liquid_alpha_enabled: e.flag("LiquidAlphaOn", false),
            alpha_low,
            alpha_high,
            alpha_sigmoid_steepness: defaults.alpha_sigmoid_steepness,
            max_allowed_validators: e
                .int("MaxAllowedValidators", defaults.max_allowed_validators)?,
            max_allowed_uids: e.int("MaxAllowedUids", defaults.max_allowed_uids)?,
            stake_threshold: e.int("StakeThreshold", 0)?,
            max_weights_limit: e.int("MaxWeightsLimit", defaults.max_weights_limit)?,
            min_allowed_weights: e.int("MinAllowedWeights", defaults.min_allowed_weights)?,
            weights_set_rate_limit: e
                .int("WeightsSetRateLimit", defaults.weights_set_rate_limit)?,
            weights_version_key: e.int("WeightsVersionKey", 0)?,
            commit_reveal_enabled: e.flag("CommitRevealWeightsEnabled", false),
            reveal_period_epochs: e.int("RevealPeriodEpochs", defaults.reveal_period_epochs)?,
            commit_reveal_version,
            emission_per_block: e.int("BlockEmission", defaults.emission_per_block)?,
            owner_cut: e.int("SubnetOwnerCut", defaults.owner_cut)?,
        })
    }

    async fn metagraph(&self, netuid: u16) -> Result<Metagraph> {
        let state = Snapshot::best(&self.node).await?;
        let e = Entries::read(
            &state,
            netuid,
            &[
                "SubnetworkN",
                "SubnetOwner",
                "Tempo",
                "SubnetEpochIndex",
                "LastEpochBlock",
                "ValidatorPermit",
                "Active",
                "LastUpdate",
                "Emission",
                "Incentive",
                "Dividends",
                "Consensus",
                "ValidatorTrust",
            ],
            &[TIMESTAMP],
        )
        .await?;
        let n: u16 = e.int("SubnetworkN", 0)?;
        let owner = e
            .value("SubnetOwner")
            .map(|v| value::account(v, "SubnetOwner").map_err(|e| state.unreadable(e)))
            .transpose()?
            .unwrap_or(PublicKey([0; 32]));
        // Per uid, then per hotkey: two more requests.
        let uids: Vec<u16> = (0..n).collect();
        let mut reads = Vec::with_capacity(2 * uids.len());
        for entry in ["Keys", "BlockAtRegistration"] {
            for uid in &uids {
                reads.push(state.read(SUBTENSOR, entry, (netuid, *uid))?);
            }
        }
        let mut registered = state.fetch(&reads).await?;
        let hotkeys = registered
            .drain(..uids.len())
            .zip(&uids)
            .map(|(v, uid)| {
                v.ok_or_else(|| {
                    state.unsupported(&format!("uid {uid} of subnet {netuid} has no hotkey"))
                })
                .and_then(|v| value::account(&v, "Keys").map_err(|e| state.unreadable(e)))
            })
            .collect::<Result<Vec<_>>>()?;
        let with_stake = state.has(SUBTENSOR, "TotalHotkeyAlpha");
        let mut reads = Vec::with_capacity(3 * hotkeys.len());
        for hotkey in &hotkeys {
            reads.push(state.read(SUBTENSOR, "Owner", (hotkey.0,))?);
            reads.push(state.read(SUBTENSOR, "Axons", (netuid, hotkey.0))?);
            if with_stake {
                reads.push(state.read(SUBTENSOR, "TotalHotkeyAlpha", (hotkey.0, netuid))?);
            }
        }
        let per_hotkey = state.fetch(&reads).await?;
        let per_hotkey: Vec<&[Option<Decoded>]> =
            per_hotkey.chunks(if with_stake { 3 } else { 2 }).collect();
        let (permits, active) = (e.flags("ValidatorPermit")?, e.flags("Active")?);
        let (last_update, emission) = (e.ints::<u64>("LastUpdate")?, e.ints::<u64>("Emission")?);
        let incentive = e.ints::<u16>("Incentive")?;
        let dividends = e.ints::<u16>("Dividends")?;
        let consensus = e.ints::<u16>("Consensus")?;
        let validator_trust = e.ints::<u16>("ValidatorTrust")?;
        let at = |all: &[u16], i: usize| all.get(i).copied().unwrap_or(0);
        let neurons = hotkeys
            .into_iter()
            .enumerate()
            .map(|(i, hotkey)| {
                let number = |v: &Option<Decoded>, name| {
                    v.as_ref()
                        .and_then(|v| value::number::<u64>(v, name).ok())
                        .unwrap_or(0)
                };
                Ok(NeuronInfo {
                    uid: i as u16,
                    hotkey,
                    coldkey: per_hotkey[i][0]
                        .as_ref()
                        .map(|v| value::account(v, "Owner").map_err(|e| state.unreadable(e)))
                        .transpose()?
                        .unwrap_or(PublicKey([0; 32])),
                    stake: per_hotkey[i]
                        .get(2)
                        .map_or(0, |v| number(v, "TotalHotkeyAlpha")),
                    validator_permit: permits.get(i).copied().unwrap_or(false),
                    active: active.get(i).copied().unwrap_or(false),
                    registered_at: number(&registered[i], "BlockAtRegistration"),
                    last_update: last_update.get(i).copied().unwrap_or(0),
                    axon: per_hotkey[i][1].as_ref().and_then(axon),
                    incentive: at(&incentive, i),
                    dividends: at(&dividends, i),
                    consensus: at(&consensus, i),
                    validator_trust: at(&validator_trust, i),
                    emission: emission.get(i).copied().unwrap_or(0),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let (epoch_index, last_epoch_block) = epochs(&e, state.number, netuid)?;
        Ok(Metagraph {
            netuid,
            block: BlockInfo {
                number: state.number,
                hash: state.hash,
                timestamp_ms: e.int("Now", 0)?,
            },
            owner,
            epoch_index,
            last_epoch_block,
            neurons,
        })
    }

    async fn weights(&self, netuid: u16, mechid: u8, uid: u16) -> Result<Vec<(u16, u16)>> {
        let state = Snapshot::best(&self.node).await?;
        let index = crate::chain::commit_hash::netuid_index(netuid, mechid);
        let Some(stored) = state.get(SUBTENSOR, "Weights", (index, uid)).await? else {
            return Ok(Vec::new());
        };
        value::items(&stored, "Weights")
            .map_err(|e| state.unreadable(e))?
            .into_iter()
            .map(|pair| {
                let part = |i: usize| {
                    pair.at(i)
                        .ok_or_else(|| state.unsupported("a weight that is not a pair"))
                        .and_then(|v| {
                            value::number::<u16>(v, "Weights").map_err(|e| state.unreadable(e))
                        })
                };
                Ok((part(0)?, part(1)?))
            })
            .collect()
    }

    async fn commitment(&self, netuid: u16, hotkey: &PublicKey) -> Result<Option<Commitment>> {
        let state = Snapshot::best(&self.node).await?;
        let Some(registration) = state
            .get("Commitments", "CommitmentOf", (netuid, hotkey.0))
            .await?
        else {
            return Ok(None);
        };
        let block = value::int(&registration, "block").map_err(|e| state.unreadable(e))?;
        let fields = registration
            .at("info")
            .and_then(|info| info.at("fields"))
            .ok_or_else(|| state.unsupported("a commitment without info.fields"))?;
        // The first `Data` field (`Raw<n>`'s bytes, `Sha256`'s digest),
        // under however many `BoundedVec` wrappers the runtime declares.
        let data = first_variant(fields)
            .map(|data| data.values.values().flat_map(value::bytes).collect())
            .unwrap_or_default();
        Ok(Some(Commitment { block, data }))
    }

    async fn weight_commits(&self, netuid: u16, hotkey: &PublicKey) -> Result<Vec<[u8; 32]>> {
        let state = Snapshot::best(&self.node).await?;
        let Some(commits) = state
            .get(SUBTENSOR, "WeightCommits", (netuid, hotkey.0))
            .await?
        else {
            return Ok(Vec::new());
        };
        value::items(&commits, "WeightCommits")
            .map_err(|e| state.unreadable(e))?
            .into_iter()
            .map(|commit| {
                commit
                    .at(0)
                    .map(value::bytes)
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .ok_or_else(|| state.unsupported("a weight commit without a 32-byte hash"))
            })
            .collect()
    }

    async fn set_weights(&self, signer: &Keypair, call: &WeightsCall) -> Result<Receipt> {
        let call = if call.mechid == 0 {
            SubtensorCall::SetWeights {
                netuid: call.netuid,
                uids: call.uids.clone(),
                values: call.values.clone(),
                version_key: call.version_key,
            }
        } else {
            let state = Snapshot::best(&self.node).await?;
            if !state.runtime.has_call(SUBTENSOR, "set_mechanism_weights") {
                return Err(Rule::MechanismDoesNotExist {
                    netuid: call.netuid,
                    mechid: call.mechid,
                }
                .into());
            }
            SubtensorCall::SetMechanismWeights {
                netuid: call.netuid,
                mechid: call.mechid,
                uids: call.uids.clone(),
                values: call.values.clone(),
                version_key: call.version_key,
            }
        };
        self.submit_call(signer, call).await
    }

    async fn commit_weights(
        &self,
        signer: &Keypair,
        netuid: u16,
        mechid: u8,
        hash: [u8; 32],
    ) -> Result<Receipt> {
        if mechid != 0 {
            return Err(Rule::MechanismDoesNotExist { netuid, mechid }.into());
        }
        self.submit_call(signer, SubtensorCall::CommitWeights { netuid, hash })
            .await
    }

    async fn reveal_weights(&self, signer: &Keypair, reveal: &RevealCall) -> Result<Receipt> {
        let w = &reveal.weights;
        if w.mechid != 0 {
            return Err(Rule::MechanismDoesNotExist {
                netuid: w.netuid,
                mechid: w.mechid,
            }
            .into());
        }
        self.submit_call(
            signer,
            SubtensorCall::RevealWeights {
                netuid: w.netuid,
                uids: w.uids.clone(),
                values: w.values.clone(),
                salt: reveal.salt.clone(),
                version_key: w.version_key,
            },
        )
        .await
    }

    async fn commit_timelocked_weights(
        &self,
        signer: &Keypair,
        call: &WeightsCall,
        seed: [u8; 32],
    ) -> Result<TimelockedCommit> {
        let state = Snapshot::best(&self.node).await?;
        let netuid = call.netuid;
        if !has_timelock(&state.runtime) {
            return Err(state.unsupported(&format!("no call {SUBTENSOR}.{TIMELOCK_CALL}")));
        }
        let (schedule, reveal_period, block_time, now) = timelock_inputs(&state, netuid).await?;
        let reveal_round = timelock::reveal_round(&schedule, reveal_period, block_time, now)
            .map_err(|e| timelock_error(netuid, e))?;
        let commit = timelock::encrypt_commit(
            signer.public().0,
            &call.uids,
            &call.values,
            call.version_key,
            reveal_round,
            seed,
        )
        .map_err(|e| timelock_error(netuid, e))?;
        let subtensor_call = SubtensorCall::CommitTimelockedMechanismWeights {
            netuid,
            mechid: call.mechid,
            commit: commit.clone(),
            reveal_round,
            commit_reveal_version: timelock::COMMIT_REVEAL_VERSION,
        };
        let receipt = self.submit_call(signer, subtensor_call).await?;
        Ok(TimelockedCommit {
            block: receipt.block,
            commit,
            reveal_round,
        })
    }

    async fn timelocked_commits(
        &self,
        netuid: u16,
        mechid: u8,
        hotkey: &PublicKey,
    ) -> Result<Vec<TimelockedCommit>> {
        let state = Snapshot::best(&self.node).await?;
        if !state.has(SUBTENSOR, "TimelockedWeightCommits") {
            return Err(state.unsupported("no storage SubtensorModule.TimelockedWeightCommits"));
        }
        // Keyed by (mechanism index, epoch): every epoch's, not guessing
        // which epoch the chain filed a commit under.
        let index = crate::chain::commit_hash::netuid_index(netuid, mechid);
        let reads = state
            .reads_under(SUBTENSOR, "TimelockedWeightCommits", (index,))
            .await?;
        let mut found = Vec::new();
        for epoch in state.fetch(&reads).await?.into_iter().flatten() {
            for commit in
                value::items(&epoch, "TimelockedWeightCommits").map_err(|e| state.unreadable(e))?
            {
                // (hotkey, commit block, ciphertext, reveal round)
                let part = |i: usize| {
                    commit
                        .at(i)
                        .ok_or_else(|| state.unsupported("a timelocked commit of under 4 parts"))
                };
                if value::account(part(0)?, "TimelockedWeightCommits")
                    .map_err(|e| state.unreadable(e))?
                    != *hotkey
                {
                    continue;
                }
                found.push(TimelockedCommit {
                    block: value::number(part(1)?, "commit block")
                        .map_err(|e| state.unreadable(e))?,
                    commit: value::bytes(part(2)?),
                    reveal_round: value::number(part(3)?, "reveal round")
                        .map_err(|e| state.unreadable(e))?,
                });
            }
        }
        Ok(found)
    }

    async fn set_commitment(&self, signer: &Keypair, netuid: u16, data: &[u8]) -> Result<Receipt> {
        self.submit_call(
            signer,
            SubtensorCall::SetCommitment {
                netuid,
                data: CommitmentData::Raw(data.to_vec()),
            },
        )
        .await
    }

    async fn serve_axon(&self, signer: &Keypair, netuid: u16, axon: &Axon) -> Result<Receipt> {
        let ip: Ipv4Addr = axon.ip.parse().map_err(|_| ChainError::InvalidRequest {
            reason: format!("an axon is served on an IPv4 address, not {}", axon.ip),
        })?;
        let call = tx(
            SUBTENSOR,
            "serve_axon",
            Composite::named([
                ("netuid", Value::u128(netuid.into())),
                ("version", Value::u128(0)),
                ("ip", Value::u128(u32::from(ip).into())),
                ("port", Value::u128(axon.port.into())),
                ("ip_type", Value::u128(4)),
                ("protocol", Value::u128(4)),
                ("placeholder1", Value::u128(0)),
                ("placeholder2", Value::u128(0)),
            ]),
        );
        receipt(self.submit_payload(signer, call, None).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_follow_the_runtime_schedule() {
        // Subnet 1, tempo 99: `blocks_until_next_epoch` is 0 at blocks
        // where (block + 2) % 100 == 99, i.e. 97, 197, ...
        assert_eq!(epoch_schedule(96, 1, 99), (0, 0));
        assert_eq!(epoch_schedule(97, 1, 99), (1, 97));
        assert_eq!(epoch_schedule(196, 1, 99), (1, 97));
        assert_eq!(epoch_schedule(197, 1, 99), (2, 197));
    }

    #[test]
    fn tempo_zero_runs_no_epochs() {
        // Not one epoch a block (period 1): never, as the runtime has it.
        for block in [0, 1, 2, 1_000_000] {
            assert_eq!(epoch_schedule(block, 1, 0), (0, 0));
        }
    }
}
