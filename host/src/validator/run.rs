//! The validator loop: per block, do what is due.
//!
//! An epoch here is the chain's: the blocks between two runs of the
//! subnet's Yuma Consensus. Within it the validator runs the mechanism's
//! `steps_per_epoch` steps, spaced over the first part of the tempo (step
//! `k` is due `1 + k·spacing` blocks after the epoch starts, with
//! `spacing = tempo / (steps + 1)`). A step: context → `challenge` → query
//! the miners → `score` → persist (state, progress and the step's
//! transcript record in one transaction). After the last step the epoch
//! is finalised (`weights`, conformed to u16 as the Bittensor SDK does, the
//! transcript completed and stored) and submitted; when the chain's next
//! epoch starts, a commit is revealed and a new transcript begins.
//!
//! Failure policy: a mechanism failure in `challenge` or `score` is
//! recorded and the state kept; a host fault (not reproducible) is logged
//! and the step retried at the next block; a failed `weights` follows the
//! configured [`FailurePolicy`]. Other validators' weights are never
//! copied.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arbiter_registry::{Keypair, Registry};

use super::ValidatorError;
use super::config::FailurePolicy;
use super::context::{self, StepId};
use super::metrics::Metrics;
use super::store::{Change, Progress, Submission, ValidatorStore};
use super::submit::{self, Target};
use crate::chain::{Chain, Hyperparameters, Metagraph};
use crate::publishing::SandboxAdmission;
use crate::sandbox::bindings::{Context, Info, Payloads};
use crate::sandbox::engine::WASMTIME_VERSION;
use crate::sandbox::{Failure, Mechanism, wire};
use crate::transcript::{
    self, Header, Record, ReplyRecord, StepRecord, Transcript, WeightsRecord, context_record,
    outcome_record, reply_status_index,
};
use crate::transport::{MinerClient, Query, responses};
use crate::weights::{ConformRules, conform};

/// The first pause after the chain could not be reached.
pub const OUTAGE_FIRST_PAUSE: Duration = Duration::from_millis(500);

/// The longest pause between attempts to reach the chain.
pub const OUTAGE_LONGEST_PAUSE: Duration = Duration::from_secs(30);

/// How the validator behaves, from its configuration.
#[derive(Clone)]
pub struct Settings {
    /// The subnet.
    pub netuid: u16,
    /// The weights version key.
    pub version_key: u64,
    /// What to do when `weights` fails.
    pub on_failure: FailurePolicy,
    /// Per-query timeout (the mechanism's unless configured).
    pub query_timeout: Option<Duration>,
    /// Where finished transcripts are stored.
    pub transcripts: PathBuf,
    /// Where each epoch's transcript is filed before it is committed, if
    /// anywhere.
    pub publish_to: Option<(Registry, SandboxAdmission)>,
}

/// What one pass of the loop did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Did {
    /// Nothing was due.
    Nothing,
    /// Ran a step.
    Step {
        /// The epoch.
        epoch: u64,
        /// The step.
        step: u32,
    },
    /// Finalised and submitted an epoch.
    Submitted {
        /// The epoch.
        epoch: u64,
        /// Its transcript root.
        root: [u8; 32],
    },
    /// Started a new epoch.
    NewEpoch(u64),
}

/// A running validator.
pub struct Validator {
    chain: Arc<dyn Chain>,
    key: Keypair,
    mechanism: Mechanism,
    info: Info,
    miners: MinerClient,
    store: ValidatorStore,
    settings: Settings,
    metrics: Arc<Metrics>,
    progress: Progress,
    state: Vec<u8>,
}

impl Validator {
    /// Opens the validator's store: resumes from it, or starts the current
    /// chain epoch from `init(config)`. Refuses a store that belongs to
    /// another mechanism rather than overwrite its state.
    #[allow(
        clippy::too_many_arguments,
        reason = "each is a distinct part, named at the one call site"
    )]
    pub async fn open(
        chain: Arc<dyn Chain>,
        key: Keypair,
        mechanism: Mechanism,
        info: Info,
        miners: MinerClient,
        store: ValidatorStore,
        settings: Settings,
        config: &[u8],
        metrics: Arc<Metrics>,
    ) -> Result<Self, ValidatorError> {
        let (progress, state) = match store.load()? {
            Some((progress, state)) => {
                if progress.mechanism != mechanism.hash() {
                    return Err(ValidatorError::OtherMechanism {
                        stored: progress.mechanism,
                        configured: mechanism.hash(),
                    });
                }
                tracing::info!(
                    epoch = progress.epoch,
                    step = progress.next_step,
                    "resuming"
                );
                (progress, state)
            }
            None => {
                let state = mechanism
                    .init(config)
                    .result
                    .map_err(ValidatorError::Init)?;
                let metagraph = chain.metagraph(settings.netuid).await?;
                let progress = Progress {
                    mechanism: mechanism.hash(),
                    epoch: metagraph.epoch_index,
                    next_step: 0,
                    records: 0,
                    finalized: false,
                    hotkeys: context::hotkeys(&metagraph),
                    last_submitted: None,
                    submission: None,
                    reveal: None,
                    last_weights: None,
                };
                (progress, state)
            }
        };
        let mut validator = Self {
            chain,
            key,
            mechanism,
            info,
            miners,
            store,
            settings,
            metrics,
            progress,
            state,
        };
        if validator.progress.records == 0 {
            validator.start_transcript(false)?;
        } else if validator.progress.finalized {
            validator.store_transcript()?;
        }
        Ok(validator)
    }

    /// The current progress (for tests and status).
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Runs until `epochs` epochs have been submitted (forever if `None`).
    ///
    /// A chain that cannot be reached, or does not answer in time, is
    /// waited for: the pause doubles from [`OUTAGE_FIRST_PAUSE`] up to
    /// [`OUTAGE_LONGEST_PAUSE`] while the outage lasts, and every attempt is
    /// logged and counted. Nothing is lost meanwhile (progress is in the
    /// store, and each submission first asks the chain what it already
    /// has). Any other error ends the run.
    pub async fn run(&mut self, epochs: Option<u64>) -> Result<(), ValidatorError> {
        let mut submitted = 0;
        let mut seen = None;
        let mut pause = OUTAGE_FIRST_PAUSE;
        loop {
            match self.advance(&mut seen).await {
                Ok(did) => {
                    pause = OUTAGE_FIRST_PAUSE;
                    if matches!(did, Did::Submitted { .. }) {
                        submitted += 1;
                        if epochs.is_some_and(|n| submitted >= n) {
                            return Ok(());
                        }
                    }
                }
                Err(ValidatorError::Chain(error)) if error.is_transient() => {
                    self.metrics.chain_unreachable();
                    tracing::warn!(
                        %error,
                        retry_in_ms = pause.as_millis() as u64,
                        "the chain is unreachable; waiting"
                    );
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(OUTAGE_LONGEST_PAUSE);
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Does what is due ([`Self::tick`]); when nothing was, waits for the
    /// block after `seen` (the head when `None`) and remembers it.
    async fn advance(&mut self, seen: &mut Option<u64>) -> Result<Did, ValidatorError> {
        let after = match *seen {
            Some(number) => number,
            None => self.chain.head().await?.number,
        };
        *seen = Some(after);
        let did = self.tick().await?;
        if matches!(did, Did::Nothing) {
            let block = self
                .chain
                .wait_for_block(after, Duration::from_secs(120))
                .await?;
            *seen = Some(block.number);
        }
        Ok(did)
    }

    /// Does the one thing that is due now, if any.
    pub async fn tick(&mut self) -> Result<Did, ValidatorError> {
        if self.progress.submission.is_some() {
            return self.submit().await;
        }
        let metagraph = self.chain.metagraph(self.settings.netuid).await?;
        let hyper = self.chain.hyperparameters(self.settings.netuid).await?;
        if metagraph.epoch_index > self.progress.epoch {
            if !self.progress.finalized && self.progress.last_submitted != Some(self.progress.epoch)
            {
                self.finalize(&metagraph, &hyper)?;
                return self.submit().await;
            }
            return self.new_epoch(&metagraph, &hyper).await;
        }
        let steps = self.info.steps_per_epoch;
        if self.progress.next_step < steps {
            let spacing = u64::from(hyper.tempo) / (u64::from(steps) + 1);
            let due = metagraph.last_epoch_block
                + 1
                + u64::from(self.progress.next_step) * spacing.max(1);
            if metagraph.block.number >= due {
                return self.step(&metagraph).await;
            }
            return Ok(Did::Nothing);
        }
        if !self.progress.finalized {
            self.finalize(&metagraph, &hyper)?;
            return self.submit().await;
        }
        Ok(Did::Nothing)
    }

    fn validator_uid(&self, metagraph: &Metagraph) -> Result<u16, ValidatorError> {
        metagraph
            .uid_of(&self.key.public())
            .ok_or_else(|| ValidatorError::NotRegistered {
                hotkey: self.key.public().ss58(),
                netuid: self.settings.netuid,
            })
    }

    fn context(&self, metagraph: &Metagraph, step: u32) -> Result<Context, ValidatorError> {
        let id = StepId {
            netuid: self.settings.netuid,
            mechid: 0,
            epoch: self.progress.epoch,
            step,
        };
        Ok(context::build(
            &id,
            &metagraph.block,
            metagraph,
            &self.mechanism.hash(),
            &self.key.public(),
            self.validator_uid(metagraph)?,
            &self.progress.hotkeys,
        ))
    }

    /// One query/score step.
    async fn step(&mut self, metagraph: &Metagraph) -> Result<Did, ValidatorError> {
        let started = Instant::now();
        let step = self.progress.next_step;
        let ctx = self.context(metagraph, step)?;
        let state_before = transcript::hash(&self.state);

        let challenge = self.mechanism.challenge(&ctx, &self.state);
        if let Err(Failure::HostFault(fault)) = &challenge.result {
            tracing::error!(%fault, step, "host fault in challenge; retrying at the next block");
            return Ok(Did::Nothing);
        }
        let empty = Payloads {
            uids: vec![],
            ends: vec![],
            data: vec![],
        };
        let queries = challenge.result.as_ref().unwrap_or(&empty);
        let targets = wire::entries(queries)
            .map(|(uid, request)| {
                let neuron = metagraph.neurons.get(usize::from(uid));
                Query {
                    uid,
                    hotkey: neuron
                        .map(|n| n.hotkey)
                        .unwrap_or(arbiter_registry::PublicKey([0; 32])),
                    axon: neuron.and_then(|n| n.axon.clone()),
                    request: request.to_vec(),
                }
            })
            .collect();
        let timeout = self
            .settings
            .query_timeout
            .unwrap_or(Duration::from_millis(u64::from(self.info.query_timeout_ms)));
        let query_started = Instant::now();
        let replies = self
            .miners
            .query_all(targets, timeout, self.info.max_response_bytes)
            .await;
        let query_time = query_started.elapsed();
        let score = match &challenge.result {
            Ok(queries) => {
                Some(
                    self.mechanism
                        .score(&ctx, &self.state, queries, &responses(&replies)),
                )
            }
            Err(_) => None,
        };
        if let Some(Err(Failure::HostFault(fault))) = score.as_ref().map(|s| &s.result) {
            tracing::error!(%fault, step, "host fault in score; retrying at the next block");
            return Ok(Did::Nothing);
        }
        let (score_outcome, new_state) = match score {
            Some(call) => {
                let outcome = outcome_record(&call.result, call.fuel_used);
                (outcome, call.result.ok())
            }
            None => (transcript::not_run(), None),
        };
        if let Some(state) = new_state {
            self.state = state;
        }
        let record = StepRecord {
            context: context_record(&ctx),
            state_before,
            challenge: outcome_record(&challenge.result, challenge.fuel_used),
            queries: wire::entries(queries)
                .map(|(uid, bytes)| (uid, bytes.to_vec()))
                .collect(),
            replies: replies
                .iter()
                .map(|r| ReplyRecord {
                    uid: r.uid,
                    status: reply_status_index(r.status.into()),
                    latency_ms: r.latency_ms,
                    body: r.body.clone(),
                    signature: r.signature.map(|s| s.0),
                })
                .collect(),
            score: score_outcome,
            state_after: transcript::hash(&self.state),
        };
        let ok = record.challenge.failure.is_empty() && record.score.failure.is_empty();
        self.progress.next_step += 1;
        self.progress.hotkeys = context::hotkeys(metagraph);
        self.append(Record::Step(Box::new(record)), true)?;
        let host_time = started.elapsed().saturating_sub(query_time);
        self.metrics.step(ok, host_time, &replies);
        tracing::info!(
            epoch = self.progress.epoch,
            step,
            block = metagraph.block.number,
            queries = replies.len(),
            answered = replies
                .iter()
                .filter(|r| r.status == crate::transport::Status::Ok)
                .count(),
            ok,
            host_ms = host_time.as_millis() as u64,
            "step"
        );
        Ok(Did::Step {
            epoch: self.progress.epoch,
            step,
        })
    }

    /// Computes the epoch's weights, completes and stores the transcript,
    /// and records the submission as pending.
    fn finalize(
        &mut self,
        metagraph: &Metagraph,
        hyper: &Hyperparameters,
    ) -> Result<(), ValidatorError> {
        let ctx = self.context(metagraph, self.progress.next_step)?;
        let uid = ctx.validator_uid;
        let call = self.mechanism.weights(&ctx, &self.state);
        let floats: Vec<(u16, f64)> = call
            .result
            .as_ref()
            .map(|w| w.iter().map(|w| (w.uid, w.value)).collect())
            .unwrap_or_default();
        let rules = ConformRules {
            self_uid: Some(uid),
            min_allowed_weights: hyper.min_allowed_weights,
            max_weight_limit: hyper.max_weights_limit,
        };
        let conformed = match &call.result {
            Ok(_) => {
                let (uids, values): (Vec<u16>, Vec<f64>) = floats.iter().copied().unzip();
                conform(&uids, &values, &rules).map_err(|e| e.to_string())
            }
            Err(failure) => Err(format!("weights failed: {failure}")),
        };
        let (submit, not_submitted) = match (
            conformed,
            self.settings.on_failure,
            &self.progress.last_weights,
        ) {
            (Ok(w), _, _) if !w.uids.is_empty() => (Some((w.uids, w.values)), String::new()),
            (Ok(_), _, _) => (None, "no weights".to_string()),
            (Err(reason), FailurePolicy::KeepLast, Some(last)) => {
                tracing::warn!(%reason, "weights failed; keeping the last weights (policy keep-last)");
                (
                    Some(last.clone()),
                    format!("{reason}; kept the last weights"),
                )
            }
            (Err(reason), _, _) => {
                tracing::warn!(%reason, "weights failed; skipping this epoch (policy skip)");
                (None, reason)
            }
        };
        let (uids, values) = submit.clone().unwrap_or_default();
        let record = WeightsRecord {
            context: context_record(&ctx),
            state: transcript::hash(&self.state),
            outcome: outcome_record(&call.result, call.fuel_used),
            weights: floats,
            min_allowed_weights: hyper.min_allowed_weights,
            max_weight_limit: hyper.max_weights_limit,
            uids: uids.clone(),
            values: values.clone(),
            not_submitted,
        };
        let index = self.progress.records;
        let bytes = Record::Weights(Box::new(record))
            .encode()
            .map_err(|e| ValidatorError::Encode(e.to_string()))?;
        let mut records = self.store.records()?;
        records.push(bytes.clone());
        let root = Transcript::from_encoded(records).root();
        self.progress.finalized = true;
        self.progress.records += 1;
        // The commit's secret, if the subnet wants one, is drawn when the
        // submission is sent (`submit`), for commit-reveal as it is then.
        self.progress.submission = submit.map(|_| Submission {
            epoch: self.progress.epoch,
            uids,
            values,
            root,
            salt: None,
            timelock_seed: None,
            weights_done: false,
            block: metagraph.block.number,
        });
        self.store.apply(&Change {
            progress: &self.progress,
            state: None,
            record: Some((index, &bytes)),
            clear_records: false,
        })?;
        let path = self.store_transcript()?;
        tracing::info!(epoch = self.progress.epoch, root = %hex::encode(root), path = %path.display(), "epoch finalised");
        Ok(())
    }

    /// Writes the finalised epoch's transcript file from the store. The
    /// store is the record; the file is derived from it, written only after
    /// the store committed (a crash in between is repaired on open), so no
    /// file ever holds an epoch the validator might still finalise
    /// differently.
    fn store_transcript(&self) -> Result<PathBuf, ValidatorError> {
        let transcript = Transcript::from_encoded(self.store.records()?);
        Ok(transcript.store(&self.settings.transcripts)?)
    }

    /// Files the submission's transcript in the registry, if configured.
    /// Best effort: filing is idempotent, and a registry that cannot take
    /// it is logged, never a reason to miss the epoch.
    async fn publish_transcript(&self, submission: &Submission) {
        let Some((registry, admission)) = &self.settings.publish_to else {
            return;
        };
        let path = self
            .settings
            .transcripts
            .join(format!("{}.arbt", hex::encode(submission.root)));
        let filed = match Transcript::load(&path) {
            Ok(transcript) => {
                transcript::published::publish(&transcript, registry, admission).await
            }
            Err(error) => Err(error),
        };
        match filed {
            Ok(filed) => tracing::info!(root = %filed.root, "transcript published"),
            Err(error) => {
                tracing::warn!(%error, epoch = submission.epoch, "transcript not published");
            }
        }
    }

    /// Sends the pending submission (each part once).
    async fn submit(&mut self) -> Result<Did, ValidatorError> {
        let Some(mut submission) = self.progress.submission.clone() else {
            return Ok(Did::Nothing);
        };
        let metagraph = self.chain.metagraph(self.settings.netuid).await?;
        let hyper = self.chain.hyperparameters(self.settings.netuid).await?;
        if !submission.ready_for(&hyper) {
            // The secret the commit needs (a first send, or commit-reveal
            // came on or changed since the last attempt), kept before
            // anything is sent: the weights never go out in the clear, and
            // a restart recognises what was sent.
            let secrets = submit::new_secrets(&hyper).map_err(ValidatorError::Randomness)?;
            submission.salt = submission.salt.or(secrets.salt);
            submission.timelock_seed = submission.timelock_seed.or(secrets.timelock_seed);
            self.progress.submission = Some(submission.clone());
            save_progress(&self.store, &self.progress)?;
        }
        let target = Target {
            chain: self.chain.as_ref(),
            key: &self.key,
            netuid: self.settings.netuid,
            uid: self.validator_uid(&metagraph)?,
            version_key: self.settings.version_key,
            mechanism: self.mechanism.hash(),
            commit_reveal: hyper.commit_reveal_enabled,
            commit_reveal_version: hyper.commit_reveal_version,
        };
        self.publish_transcript(&submission).await;
        let result = async {
            if !submission.weights_done {
                let reveal = target.weights(&submission, &metagraph).await?;
                submission.weights_done = true;
                if reveal.is_some() {
                    self.progress.reveal = reveal;
                }
                self.progress.submission = Some(submission.clone());
                save_progress(&self.store, &self.progress)?;
            }
            target.commitment(&submission).await?;
            Ok::<(), ValidatorError>(())
        }
        .await;
        match result {
            Ok(()) => {
                self.metrics.submitted();
                tracing::info!(
                    epoch = submission.epoch,
                    uids = submission.uids.len(),
                    "weights submitted"
                );
            }
            Err(ValidatorError::Chain(error)) if submit::is_permanent(&error) => {
                self.metrics.submission_failed();
                tracing::error!(%error, epoch = submission.epoch, "the chain refused this epoch's weights; giving up on it");
            }
            Err(error) => return Err(error),
        }
        self.progress.last_weights = Some((submission.uids.clone(), submission.values.clone()));
        self.progress.last_submitted = Some(submission.epoch);
        self.progress.submission = None;
        save_progress(&self.store, &self.progress)?;
        Ok(Did::Submitted {
            epoch: submission.epoch,
            root: submission.root,
        })
    }

    /// Moves to the chain's current epoch: reveals a due commit, starts a
    /// new transcript from the current state.
    async fn new_epoch(
        &mut self,
        metagraph: &Metagraph,
        hyper: &Hyperparameters,
    ) -> Result<Did, ValidatorError> {
        if let Some(reveal) = self.progress.reveal.clone()
            && metagraph.epoch_index >= reveal.commit_epoch + hyper.reveal_period_epochs
        {
            let target = Target {
                chain: self.chain.as_ref(),
                key: &self.key,
                netuid: self.settings.netuid,
                uid: self.validator_uid(metagraph)?,
                version_key: self.settings.version_key,
                mechanism: self.mechanism.hash(),
                commit_reveal: true,
                commit_reveal_version: hyper.commit_reveal_version,
            };
            match target.reveal(&reveal).await {
                Ok(()) => tracing::info!(epoch = reveal.commit_epoch, "weights revealed"),
                Err(error) => tracing::error!(%error, "reveal failed"),
            }
            self.progress.reveal = None;
        }
        self.progress.epoch = metagraph.epoch_index;
        self.progress.next_step = 0;
        self.progress.finalized = false;
        self.start_transcript(true)?;
        tracing::info!(
            epoch = self.progress.epoch,
            block = metagraph.block.number,
            "new epoch"
        );
        Ok(Did::NewEpoch(self.progress.epoch))
    }

    /// Writes the header of a new transcript (replacing the records of the
    /// last epoch when `clear`).
    fn start_transcript(&mut self, clear: bool) -> Result<(), ValidatorError> {
        let header = Header {
            format: transcript::FORMAT.to_string(),
            netuid: self.settings.netuid,
            mechid: 0,
            validator: self.key.public().0,
            mechanism: *self.mechanism.hash().as_bytes(),
            epoch: self.progress.epoch,
            wasmtime: WASMTIME_VERSION.to_string(),
            fuel_per_call: self.mechanism.limits().fuel_per_call,
            initial_state: self.state.clone(),
        };
        self.progress.records = 0;
        if clear {
            let bytes = Record::Header(header)
                .encode()
                .map_err(|e| ValidatorError::Encode(e.to_string()))?;
            self.progress.records = 1;
            return Ok(self.store.apply(&Change {
                progress: &self.progress,
                state: Some(&self.state),
                record: Some((0, &bytes)),
                clear_records: true,
            })?);
        }
        self.append(Record::Header(header), true)
    }

    /// Appends a record, with the current progress (and state when
    /// `with_state`), in one transaction.
    fn append(&mut self, record: Record, with_state: bool) -> Result<(), ValidatorError> {
        let bytes = record
            .encode()
            .map_err(|e| ValidatorError::Encode(e.to_string()))?;
        let index = self.progress.records;
        self.progress.records += 1;
        self.store.apply(&Change {
            progress: &self.progress,
            state: with_state.then_some(self.state.as_slice()),
            record: Some((index, &bytes)),
            clear_records: index == 0,
        })?;
        Ok(())
    }
}

/// Stores the progress alone (a submission's state moved). A function of
/// the two fields, not of the validator, so it can run while a submission
/// borrows the chain and the key.
fn save_progress(store: &ValidatorStore, progress: &Progress) -> Result<(), ValidatorError> {
    Ok(store.apply(&Change {
        progress,
        state: None,
        record: None,
        clear_records: false,
    })?)
}
