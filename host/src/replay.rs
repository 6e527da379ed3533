//! Replay: re-run an epoch's transcript with the mechanism it names and
//! check, step by step, that the code produces exactly what was recorded,
//! and that the chain holds exactly what the validator claims to have
//! committed.
//!
//! In order: the records decode and form a header, steps in order, and one
//! weights record (a removed, duplicated, reordered or truncated record is
//! named); the component's BLAKE3 is the header's; every context (the
//! steps' and the weights') belongs to the header's subnet, mechanism index
//! and epoch and has the seed derived from its block, the mechanism and the
//! validator (so a record cannot be moved to another validator, epoch or
//! step); `challenge` asks exactly the recorded queries and the replies
//! answer them; `score` on the recorded replies gives the recorded outcome
//! and state hash; `weights` gives the recorded floats bit for bit, and
//! conforming them gives the recorded u16 vector (or fails, if the
//! transcript says nothing was submitted). Against
//! a chain: the validator's commitment names this mechanism, this root and
//! this epoch, and its stored weights are the recorded vector.
//! Every difference is reported with what differs; the replay is `ok` only
//! if there are none.

use arbiter_registry::{ContentHash, PublicKey, Signature};
use serde::Serialize;

use crate::chain::Chain;
use crate::sandbox::bindings::Responses;
use crate::sandbox::{Limits, Mechanism, Sandbox, wire};
use crate::transcript::{
    self, ContextRecord, Decoded, Header, OutcomeRecord, Transcript, context_from_record,
    outcome_record, parse_commitment, reply_status_from_index,
};
use crate::transport::{Reply, Status, responses};
use crate::validator::context::{StepId, step_seed};
use crate::weights::{ConformRules, conform, max_upscale};

/// One difference found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// Where: `header`, `step 3`, `weights`, `chain`.
    pub place: String,
    /// What differs, with both values.
    pub what: String,
}

/// A per-uid difference of weights.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UidDifference {
    /// The uid.
    pub uid: u16,
    /// What the transcript says.
    pub recorded: Option<u16>,
    /// What replaying (or the chain) gives.
    pub actual: Option<u16>,
}

/// The result of a replay.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The transcript root.
    pub root: String,
    /// The mechanism.
    pub mechanism: String,
    /// The validator.
    pub validator: String,
    /// The subnet.
    pub netuid: u16,
    /// The epoch.
    pub epoch: u64,
    /// Steps replayed.
    pub steps: usize,
    /// Whether the chain was checked.
    pub chain_checked: bool,
    /// Everything that differs.
    pub differences: Vec<Difference>,
    /// Per-uid weight differences (replay vs transcript, or chain vs
    /// transcript).
    pub weight_differences: Vec<UidDifference>,
    /// No differences.
    pub ok: bool,
}

/// Why a replay could not even start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The transcript does not hold together.
    #[error("the transcript is broken: {0}")]
    Transcript(#[from] transcript::TranscriptError),
    /// The component is not the transcript's mechanism.
    #[error("the component is {actual}, but the transcript was made with {expected}")]
    WrongMechanism {
        /// The header's.
        expected: ContentHash,
        /// The given component's.
        actual: ContentHash,
    },
    /// The component is refused.
    #[error("the mechanism was refused: {0}")]
    Admission(#[from] crate::sandbox::AdmissionError),
    /// The chain could not be read.
    #[error(transparent)]
    Chain(#[from] crate::chain::ChainError),
}

/// Replays `transcript` with the component `component` (and checks
/// `chain`, if given).
pub async fn replay(
    transcript: &Transcript,
    component: &[u8],
    sandbox: &Sandbox,
    chain: Option<&dyn Chain>,
) -> Result<Report, ReplayError> {
    let decoded = transcript.decode()?;
    let header = &decoded.header;
    let expected = ContentHash::from_bytes(header.mechanism);
    let actual = ContentHash::of(component);
    if expected != actual {
        return Err(ReplayError::WrongMechanism { expected, actual });
    }
    let limits = Limits {
        fuel_per_call: header.fuel_per_call,
        ..Limits::default()
    };
    let mechanism = sandbox.load(component, limits)?.mechanism;
    let mut report = Report {
        root: hex::encode(transcript.root()),
        mechanism: expected.to_string(),
        validator: PublicKey(header.validator).ss58(),
        netuid: header.netuid,
        epoch: header.epoch,
        steps: decoded.steps.len(),
        chain_checked: chain.is_some(),
        differences: Vec::new(),
        weight_differences: Vec::new(),
        ok: false,
    };
    let state = replay_steps(&decoded, &mechanism, &mut report);
    replay_weights(&decoded, &mechanism, &state, &mut report);
    if let Some(chain) = chain {
        check_chain(&decoded, transcript.root(), chain, &mut report).await?;
    }
    report.ok = report.differences.is_empty() && report.weight_differences.is_empty();
    Ok(report)
}

fn differ(report: &mut Report, place: impl Into<String>, what: impl Into<String>) {
    report.differences.push(Difference {
        place: place.into(),
        what: what.into(),
    });
}

fn compare_outcome(
    report: &mut Report,
    place: &str,
    call: &str,
    recorded: &OutcomeRecord,
    actual: &OutcomeRecord,
) {
    if recorded != actual {
        differ(
            report,
            place,
            format!(
                "{call}: recorded {:?} (fuel {:?}), replay gives {:?} (fuel {:?})",
                recorded.failure, recorded.fuel_used, actual.failure, actual.fuel_used
            ),
        );
    }
}

/// Re-runs every step; returns the state after the last.
fn replay_steps(decoded: &Decoded, mechanism: &Mechanism, report: &mut Report) -> Vec<u8> {
    let header = &decoded.header;
    let mut state = header.initial_state.clone();
    for (index, step) in decoded.steps.iter().enumerate() {
        let place = format!("step {index}");
        let ctx = &step.context;
        check_context(report, &place, header, ctx);
        let before = transcript::hash(&state);
        if before != step.state_before {
            differ(
                report,
                &place,
                format!(
                    "starts from state {}, the replay is at {}",
                    hex::encode(step.state_before),
                    hex::encode(before)
                ),
            );
        }
        let context = context_from_record(ctx);
        let challenge = mechanism.challenge(&context, &state);
        compare_outcome(
            report,
            &place,
            "challenge",
            &step.challenge,
            &outcome_record(&challenge.result, challenge.fuel_used),
        );
        let recorded_queries = wire::pack(step.queries.iter().map(|(uid, q)| (*uid, q.as_slice())));
        if let Ok(asked) = &challenge.result
            && asked != &recorded_queries
        {
            differ(
                report,
                &place,
                "challenge asks different queries than recorded",
            );
        }
        check_replies(report, &place, &step.queries, &step.replies);
        if step.challenge.failure.is_empty() {
            let responses = recorded_responses(&step.replies, report, &place);
            let call = mechanism.score(&context, &state, &recorded_queries, &responses);
            compare_outcome(
                report,
                &place,
                "score",
                &step.score,
                &outcome_record(&call.result, call.fuel_used),
            );
            if let Ok(next) = call.result {
                state = next;
            }
        } else {
            compare_outcome(report, &place, "score", &step.score, &transcript::not_run());
        }
        let after = transcript::hash(&state);
        if after != step.state_after {
            differ(
                report,
                &place,
                format!(
                    "ends in state {}, the replay in {}",
                    hex::encode(step.state_after),
                    hex::encode(after)
                ),
            );
        }
    }
    state
}

/// Checks a recorded context against the header: its subnet, mechanism
/// index and epoch, and its seed, derived from its block, the mechanism and
/// the validator (so a record cannot be moved to another validator, epoch
/// or step).
fn check_context(report: &mut Report, place: &str, header: &Header, ctx: &ContextRecord) {
    let (here, there) = (
        (ctx.netuid, ctx.mechid, ctx.epoch),
        (header.netuid, header.mechid, header.epoch),
    );
    if here != there {
        differ(
            report,
            place,
            format!(
                "belongs to subnet {} mechanism {} epoch {}, the transcript to subnet {} mechanism {} epoch {}",
                here.0, here.1, here.2, there.0, there.1, there.2
            ),
        );
    }
    let id = StepId {
        netuid: ctx.netuid,
        mechid: ctx.mechid,
        epoch: ctx.epoch,
        step: ctx.step,
    };
    let mechanism = ContentHash::from_bytes(header.mechanism);
    let seed = step_seed(
        &id,
        &ctx.block_hash,
        &mechanism,
        &PublicKey(header.validator),
    );
    if seed != ctx.seed {
        differ(
            report,
            place,
            "the seed is not the one derived from this block, mechanism and validator",
        );
    }
}

/// Checks that the replies answer the queries: one each, in the same
/// order, with a body only where the validator keeps one (`ok` and
/// `bad-signature`).
fn check_replies(
    report: &mut Report,
    place: &str,
    queries: &[(u16, Vec<u8>)],
    replies: &[transcript::ReplyRecord],
) {
    let asked: Vec<u16> = queries.iter().map(|(uid, _)| *uid).collect();
    let answered: Vec<u16> = replies.iter().map(|r| r.uid).collect();
    if asked != answered {
        differ(
            report,
            place,
            format!("the replies are from uids {answered:?}, the queries went to {asked:?}"),
        );
    }
    for reply in replies {
        let carried = matches!(
            reply_status_from_index(reply.status).map(Status::from),
            Some(Status::Ok | Status::BadSignature)
        );
        if !carried && !reply.body.is_empty() {
            differ(
                report,
                place,
                format!(
                    "reply from uid {} has status {} but a body",
                    reply.uid, reply.status
                ),
            );
        }
    }
}

/// The responses `score` was given: the recorded replies as the validator
/// passes them (`transport::responses`).
fn recorded_responses(
    replies: &[transcript::ReplyRecord],
    report: &mut Report,
    place: &str,
) -> Responses {
    let replies: Vec<Reply> = replies
        .iter()
        .map(|r| Reply {
            uid: r.uid,
            status: reply_status_from_index(r.status).map_or_else(
                || {
                    differ(
                        report,
                        place,
                        format!("reply from uid {} has unknown status {}", r.uid, r.status),
                    );
                    Status::Malformed
                },
                Status::from,
            ),
            latency_ms: r.latency_ms,
            body: r.body.clone(),
            signature: r.signature.map(Signature),
        })
        .collect();
    responses(&replies)
}

fn replay_weights(decoded: &Decoded, mechanism: &Mechanism, state: &[u8], report: &mut Report) {
    let record = &decoded.weights;
    if transcript::hash(state) != record.state {
        differ(
            report,
            "weights",
            "computed on a different state than the steps end in",
        );
    }
    check_context(report, "weights", &decoded.header, &record.context);
    let context = context_from_record(&record.context);
    let call = mechanism.weights(&context, state);
    compare_outcome(
        report,
        "weights",
        "weights",
        &record.outcome,
        &outcome_record(&call.result, call.fuel_used),
    );
    let rules = ConformRules {
        self_uid: Some(record.context.validator_uid),
        min_allowed_weights: record.min_allowed_weights,
        max_weight_limit: record.max_weight_limit,
    };
    let conformed = match &call.result {
        Ok(weights) => {
            let same_bits = weights.len() == record.weights.len()
                && weights
                    .iter()
                    .zip(&record.weights)
                    .all(|(a, b)| a.uid == b.0 && a.value.to_bits() == b.1.to_bits());
            if !same_bits {
                differ(
                    report,
                    "weights",
                    "the float weights differ from the recorded ones",
                );
            }
            let (uids, values): (Vec<u16>, Vec<f64>) =
                weights.iter().map(|w| (w.uid, w.value)).unzip();
            conform(&uids, &values, &rules).map_err(|e| e.to_string())
        }
        Err(failure) => Err(format!("weights failed: {failure}")),
    };
    // The validator submits the conformed weights when there are any, and
    // otherwise records why not (and, under `keep-last`, submits the last
    // epoch's, which this transcript cannot show).
    match (conformed, record.not_submitted.as_str()) {
        (Ok(u16s), "") => compare_vectors(
            report,
            "weights",
            (&record.uids, &record.values),
            (&u16s.uids, &u16s.values),
        ),
        (Ok(_), reason) => differ(
            report,
            "weights",
            format!("recorded as not submitted ({reason}), but the replayed weights conform"),
        ),
        (Err(error), "") => differ(
            report,
            "weights",
            format!("recorded as submitted, but the replayed weights cannot be: {error}"),
        ),
        (Err(_), _) => {}
    }
}

/// Records per-uid differences between two u16 vectors.
fn compare_vectors(
    report: &mut Report,
    place: &str,
    recorded: (&[u16], &[u16]),
    actual: (&[u16], &[u16]),
) {
    let lookup = |(uids, values): (&[u16], &[u16]), uid: u16| {
        uids.iter()
            .position(|&u| u == uid)
            .and_then(|i| values.get(i).copied())
    };
    let mut all: Vec<u16> = recorded.0.iter().chain(actual.0).copied().collect();
    all.sort_unstable();
    all.dedup();
    let before = report.weight_differences.len();
    for uid in all {
        let (r, a) = (lookup(recorded, uid), lookup(actual, uid));
        if r != a {
            report.weight_differences.push(UidDifference {
                uid,
                recorded: r,
                actual: a,
            });
        }
    }
    if report.weight_differences.len() > before {
        differ(
            report,
            place,
            format!("{} uids differ", report.weight_differences.len() - before),
        );
    }
}

async fn check_chain(
    decoded: &Decoded,
    root: [u8; 32],
    chain: &dyn Chain,
    report: &mut Report,
) -> Result<(), ReplayError> {
    let header = &decoded.header;
    let validator = PublicKey(header.validator);
    let Some(commitment) = chain.commitment(header.netuid, &validator).await? else {
        differ(
            report,
            "chain",
            format!("{validator} has no commitment on subnet {}", header.netuid),
        );
        return Ok(());
    };
    let Some((mechanism, committed_root, epoch)) = parse_commitment(&commitment.data) else {
        differ(
            report,
            "chain",
            "the validator's commitment is not an Arbiter commitment",
        );
        return Ok(());
    };
    if mechanism != header.mechanism {
        differ(
            report,
            "chain",
            format!(
                "the commitment names mechanism {}, the transcript {}",
                ContentHash::from_bytes(mechanism),
                ContentHash::from_bytes(header.mechanism)
            ),
        );
    }
    if epoch != header.epoch {
        differ(
            report,
            "chain",
            format!(
                "the commitment is for epoch {epoch}, the transcript for epoch {}",
                header.epoch
            ),
        );
        return Ok(());
    }
    if committed_root != root {
        differ(
            report,
            "chain",
            format!(
                "the commitment points at transcript {}, not this one ({})",
                hex::encode(committed_root),
                hex::encode(root)
            ),
        );
    }
    let record = &decoded.weights;
    if record.uids.is_empty() {
        return Ok(());
    }
    let stored = chain
        .weights(header.netuid, header.mechid, record.context.validator_uid)
        .await?;
    let (uids, values): (Vec<u16>, Vec<u16>) = stored.into_iter().unzip();
    let expected = max_upscale(&record.values);
    compare_vectors(report, "chain", (&record.uids, &expected), (&uids, &values));
    Ok(())
}

/// Formats a replay report for people.
pub fn render(report: &Report) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "transcript  {}", report.root);
    let _ = writeln!(out, "mechanism   {}", report.mechanism);
    let _ = writeln!(
        out,
        "validator   {} on subnet {}, epoch {}",
        report.validator, report.netuid, report.epoch
    );
    let _ = writeln!(
        out,
        "replayed    {} steps and the weights{}",
        report.steps,
        if report.chain_checked {
            ", checked against the chain"
        } else {
            ""
        }
    );
    for d in &report.differences {
        let _ = writeln!(out, "DIFFERS     {}: {}", d.place, d.what);
    }
    for d in &report.weight_differences {
        let show = |v: Option<u16>| v.map_or("-".to_string(), |v| v.to_string());
        let _ = writeln!(
            out,
            "  uid {:>5}  recorded {:>6}  actual {:>6}",
            d.uid,
            show(d.recorded),
            show(d.actual)
        );
    }
    let _ = writeln!(
        out,
        "verdict     {}",
        if report.ok {
            "VERIFIED: the committed weights are exactly what this code produces"
        } else {
            "MISMATCH"
        }
    );
    out
}
