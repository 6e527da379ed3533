//! Transcripts and replay on the real `echo-double` mechanism.
//!
//! An epoch is recorded as the validator records it (`validator/run.rs`:
//! a header, then per step the context, `challenge`, the miners' replies,
//! `score` and the state hashes, then `weights` conformed to u16) and
//! replays clean. Every kind of tampering changes the root and is either
//! refused when the transcript is decoded (a removed, duplicated or
//! reordered record, a truncated file, another mechanism) or named by the
//! replay (a changed reply, edited weights or state). The encoding itself
//! is pinned by a golden file in `tests/fixtures/transcript/`, whose root
//! is also recomputed here straight from `host/TRANSCRIPT.md`.

use std::sync::LazyLock;

use arbiter_host::replay::{ReplayError, Report, replay};
use arbiter_host::sandbox::bindings::Context;
use arbiter_host::sandbox::engine::WASMTIME_VERSION;
use arbiter_host::sandbox::{Failure, Limits, Mechanism, Sandbox, wire};
use arbiter_host::transcript::{
    self, FORMAT, Header, Record, ReplyRecord, StepRecord, Transcript, TranscriptError,
    WeightsRecord, commitment, context_record, not_run, outcome_record, parse_commitment,
    reply_status_index,
};
use arbiter_host::transport::{Reply, Status, responses};
use arbiter_host::validator::context::{StepId, step_seed};
use arbiter_host::weights::{ConformRules, conform};
use arbiter_registry::{ContentHash, PublicKey, Signature};

use crate::support::{context, echo_double_wasm, load, repo_path, sandbox, text_match_wasm};

/// The recorded epoch (the subnet and mechanism index are
/// [`context`]'s: 1 and 0).
const EPOCH: u64 = 7;
/// Steps in the recorded epoch.
const STEPS: u32 = 3;
/// Neurons in the metagraph; uid 0 is the validator.
const NEURONS: u16 = 5;
/// The validator's hotkey.
const VALIDATOR: PublicKey = PublicKey([0x11; 32]);
/// The subnet's weight rules: at least two weights, none above 70 %.
const RULES: (u16, u16) = (2, 45_875);

/// An honest epoch of `echo-double`, and what replaying it needs.
struct Recorded {
    sandbox: Sandbox,
    component: Vec<u8>,
    transcript: Transcript,
}

static HONEST: LazyLock<Recorded> = LazyLock::new(|| {
    let sandbox = sandbox();
    let component = echo_double_wasm();
    let transcript = record_epoch(&load(&sandbox, &component, Limits::default()));
    Recorded {
        sandbox,
        component,
        transcript,
    }
});

/// The context of `step` (`STEPS` for `weights`) as the validator builds
/// it: its own block, and the seed derived from that block, the mechanism
/// and the validator.
fn step_context(mechanism: &ContentHash, step: u32) -> Context {
    let mut ctx = context(NEURONS, 0);
    let id = StepId {
        netuid: ctx.netuid,
        mechid: ctx.mechid,
        epoch: EPOCH,
        step,
    };
    let block_hash = transcript::hash(&step.to_le_bytes());
    ctx.epoch = EPOCH;
    ctx.step = step;
    ctx.block += 10 * u64::from(step);
    ctx.block_time_ms += 120_000 * u64::from(step);
    ctx.block_hash = block_hash.to_vec();
    ctx.seed = step_seed(&id, &block_hash, mechanism, &VALIDATOR).to_vec();
    ctx
}

/// How the miners answer: uids 1 and 3 double the number, uid 2 adds one,
/// uid 4 times out.
fn answer(uid: u16, query: &[u8]) -> Reply {
    if uid == 4 {
        return Reply::empty(uid, Status::Timeout, 2_000);
    }
    let n: u64 = std::str::from_utf8(query).unwrap().parse().unwrap();
    let body = if uid == 2 { n + 1 } else { 2 * n };
    Reply {
        uid,
        status: Status::Ok,
        latency_ms: 10 * u32::from(uid),
        body: body.to_string().into_bytes(),
        signature: Some(Signature([u8::try_from(uid).unwrap(); 64])),
    }
}

/// The record of a miner's reply, as the validator makes it.
fn reply_record(reply: &Reply) -> ReplyRecord {
    ReplyRecord {
        uid: reply.uid,
        status: reply_status_index(reply.status.into()),
        latency_ms: reply.latency_ms,
        body: reply.body.clone(),
        signature: reply.signature.map(|s| s.0),
    }
}

/// Runs an epoch of `STEPS` steps and records it as the validator does.
fn record_epoch(mechanism: &Mechanism) -> Transcript {
    let hash = mechanism.hash();
    let mut state = mechanism.init(b"").result.expect("init");
    let mut records = vec![Record::Header(Header {
        format: FORMAT.to_string(),
        netuid: 1,
        mechid: 0,
        validator: VALIDATOR.0,
        mechanism: *hash.as_bytes(),
        epoch: EPOCH,
        wasmtime: WASMTIME_VERSION.to_string(),
        fuel_per_call: mechanism.limits().fuel_per_call,
        initial_state: state.clone(),
    })];
    for step in 0..STEPS {
        let ctx = step_context(&hash, step);
        let state_before = transcript::hash(&state);
        let challenge = mechanism.challenge(&ctx, &state);
        let queries = challenge.result.as_ref().expect("challenge");
        let replies: Vec<Reply> = wire::entries(queries)
            .map(|(uid, query)| answer(uid, query))
            .collect();
        let score = mechanism.score(&ctx, &state, queries, &responses(&replies));
        let score_outcome = outcome_record(&score.result, score.fuel_used);
        state = score.result.expect("score");
        records.push(Record::Step(Box::new(StepRecord {
            context: context_record(&ctx),
            state_before,
            challenge: outcome_record(&challenge.result, challenge.fuel_used),
            queries: wire::entries(queries)
                .map(|(uid, bytes)| (uid, bytes.to_vec()))
                .collect(),
            replies: replies.iter().map(reply_record).collect(),
            score: score_outcome,
            state_after: transcript::hash(&state),
        })));
    }
    let ctx = step_context(&hash, STEPS);
    let call = mechanism.weights(&ctx, &state);
    let floats: Vec<(u16, f64)> = call
        .result
        .as_ref()
        .expect("weights")
        .iter()
        .map(|w| (w.uid, w.value))
        .collect();
    let (uids, values): (Vec<u16>, Vec<f64>) = floats.iter().copied().unzip();
    let rules = ConformRules {
        self_uid: Some(ctx.validator_uid),
        min_allowed_weights: RULES.0,
        max_weight_limit: RULES.1,
    };
    let submitted = conform(&uids, &values, &rules).expect("the weights conform");
    records.push(Record::Weights(Box::new(WeightsRecord {
        context: context_record(&ctx),
        state: transcript::hash(&state),
        outcome: outcome_record(&call.result, call.fuel_used),
        weights: floats,
        min_allowed_weights: RULES.0,
        max_weight_limit: RULES.1,
        uids: submitted.uids,
        values: submitted.values,
        not_submitted: String::new(),
    })));
    encode(&records)
}

fn encode(records: &[Record]) -> Transcript {
    Transcript::from_encoded(records.iter().map(|r| r.encode().unwrap()).collect())
}

/// The honest transcript with its records changed by `edit`; checks that
/// the change moved the root.
fn tampered(edit: impl FnOnce(&mut Vec<Record>)) -> Transcript {
    let honest = &HONEST.transcript;
    let mut records: Vec<Record> = honest
        .encoded()
        .iter()
        .map(|bytes| Record::decode(bytes).unwrap())
        .collect();
    edit(&mut records);
    let transcript = encode(&records);
    assert_ne!(transcript.root(), honest.root(), "tampering kept the root");
    transcript
}

fn header(records: &mut [Record]) -> &mut Header {
    match &mut records[0] {
        Record::Header(header) => header,
        other => panic!("record 0 is {other:?}"),
    }
}

fn step(records: &mut [Record], index: u32) -> &mut StepRecord {
    match &mut records[1 + index as usize] {
        Record::Step(step) => step,
        other => panic!("record {} is {other:?}", 1 + index),
    }
}

fn weights(records: &mut [Record]) -> &mut WeightsRecord {
    match records.last_mut() {
        Some(Record::Weights(weights)) => weights,
        other => panic!("the last record is {other:?}"),
    }
}

/// Replays `transcript` with the honest component.
async fn replay_honestly(transcript: &Transcript) -> Result<Report, ReplayError> {
    replay(transcript, &HONEST.component, &HONEST.sandbox, None).await
}

/// Replays `transcript`, which must decode, and checks that it fails with
/// a difference at `place` whose description contains `what`.
async fn assert_differs(transcript: &Transcript, place: &str, what: &str) -> Report {
    let report = replay_honestly(transcript).await.expect("the replay runs");
    assert!(!report.ok, "a tampered transcript replayed ok");
    assert!(
        report
            .differences
            .iter()
            .any(|d| d.place == place && d.what.contains(what)),
        "no difference at {place:?} containing {what:?}: {:#?}",
        report.differences
    );
    report
}

/// Replays `transcript` and returns why it does not decode.
async fn decode_error(transcript: &Transcript) -> TranscriptError {
    match replay_honestly(transcript).await {
        Err(ReplayError::Transcript(error)) => error,
        other => panic!("expected a broken transcript, got {other:?}"),
    }
}

/// Checks that decoding names record `index` as out of order, with a
/// problem containing `problem`.
async fn assert_out_of_order(transcript: &Transcript, index: usize, problem: &str) {
    match decode_error(transcript).await {
        TranscriptError::OutOfOrder {
            index: at,
            problem: p,
        } => {
            assert_eq!(at, index, "{p}");
            assert!(p.contains(problem), "{p:?} does not say {problem:?}");
        }
        other => panic!("expected record {index} out of order, got {other}"),
    }
}

#[tokio::test]
async fn an_honest_epoch_replays_clean() {
    let report = replay_honestly(&HONEST.transcript).await.unwrap();
    assert!(report.ok, "{:#?}", report.differences);
    assert!(report.differences.is_empty());
    assert!(report.weight_differences.is_empty());
    assert_eq!(report.steps, STEPS as usize);
    assert_eq!(report.epoch, EPOCH);
    assert_eq!(report.root, hex::encode(HONEST.transcript.root()));
    assert_eq!(
        report.mechanism,
        ContentHash::of(&HONEST.component).to_string()
    );
}

#[test]
fn the_honest_epoch_scores_the_miners_that_answered_right() {
    let decoded = HONEST.transcript.decode().unwrap();
    let record = &decoded.weights;
    assert_eq!(
        record.weights.iter().map(|w| w.0).collect::<Vec<_>>(),
        [1, 3]
    );
    assert_eq!(record.uids, [1, 3]);
    assert!(record.not_submitted.is_empty());
    for step in &decoded.steps {
        assert_eq!(step.replies.len(), usize::from(NEURONS) - 1);
        assert_ne!(step.state_before, step.state_after);
    }
}

#[test]
fn recording_the_same_epoch_twice_gives_the_same_bytes_and_root() {
    let again = record_epoch(&load(&sandbox(), &echo_double_wasm(), Limits::default()));
    assert_eq!(
        again.to_file_bytes().unwrap(),
        HONEST.transcript.to_file_bytes().unwrap()
    );
    assert_eq!(again.root(), HONEST.transcript.root());
}

#[test]
fn a_stored_transcript_is_named_by_its_root_and_loads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = HONEST.transcript.store(dir.path()).unwrap();
    let name = format!("{}.arbt", hex::encode(HONEST.transcript.root()));
    assert_eq!(path.file_name().unwrap().to_str(), Some(name.as_str()));
    assert_eq!(Transcript::load(&path).unwrap(), HONEST.transcript);
}

#[tokio::test]
async fn a_changed_byte_in_a_reply_is_found_in_that_step() {
    let transcript = tampered(|records| step(records, 1).replies[0].body[0] ^= 1);
    let report = assert_differs(&transcript, "step 1", "ends in state").await;
    assert_eq!(report.differences[0].place, "step 1");
}

#[tokio::test]
async fn a_removed_step_is_named() {
    let transcript = tampered(|records| {
        records.remove(2);
    });
    assert_out_of_order(&transcript, 2, "step 2 where step 1 belongs").await;
}

#[tokio::test]
async fn a_removed_last_step_is_named() {
    let transcript = tampered(|records| {
        records.remove(STEPS as usize);
    });
    assert_out_of_order(
        &transcript,
        STEPS as usize,
        "the weights record is at step 3 but 2 steps precede it",
    )
    .await;
}

#[tokio::test]
async fn a_duplicated_step_is_named() {
    let transcript = tampered(|records| records.insert(2, records[1].clone()));
    assert_out_of_order(&transcript, 2, "step 0 where step 1 belongs").await;
}

#[tokio::test]
async fn a_duplicated_header_or_weights_record_is_named() {
    let transcript = tampered(|records| records.insert(1, records[0].clone()));
    assert_out_of_order(&transcript, 1, "a second header").await;
    let transcript = tampered(|records| records.push(records[records.len() - 1].clone()));
    assert_out_of_order(
        &transcript,
        STEPS as usize + 2,
        "a record after the weights",
    )
    .await;
}

#[tokio::test]
async fn reordered_steps_are_named() {
    let transcript = tampered(|records| records.swap(1, 2));
    assert_out_of_order(&transcript, 1, "step 1 where step 0 belongs").await;
}

#[tokio::test]
async fn a_renumbered_step_is_found_by_its_seed() {
    // Swapping two steps and their numbers keeps the order checks happy;
    // the seeds, derived from the step number, give it away.
    let transcript = tampered(|records| {
        records.swap(1, 2);
        step(records, 0).context.step = 0;
        step(records, 1).context.step = 1;
    });
    assert_differs(&transcript, "step 0", "the seed is not the one derived").await;
}

#[tokio::test]
async fn a_transcript_without_its_weights_record_is_truncated() {
    let transcript = tampered(|records| {
        records.pop();
    });
    assert_out_of_order(&transcript, STEPS as usize + 1, "truncated").await;
}

#[test]
fn a_truncated_file_does_not_parse() {
    let bytes = HONEST.transcript.to_file_bytes().unwrap();
    for len in [0, 3, 6, 8, 11, bytes.len() / 2, bytes.len() - 1] {
        match Transcript::from_file_bytes(&bytes[..len]) {
            Err(TranscriptError::NotATranscript(_)) => {}
            other => panic!("{len} of {} bytes: {other:?}", bytes.len()),
        }
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        Transcript::from_file_bytes(&longer),
        Err(TranscriptError::NotATranscript(_))
    ));
    assert_eq!(
        Transcript::from_file_bytes(&bytes).unwrap(),
        HONEST.transcript
    );
}

#[tokio::test]
async fn a_record_that_does_not_decode_is_named() {
    let mut records = HONEST.transcript.encoded().to_vec();
    records[2].pop();
    match decode_error(&Transcript::from_encoded(records)).await {
        TranscriptError::BadRecord { index, .. } => assert_eq!(index, 2),
        other => panic!("expected record 2 not to decode, got {other}"),
    }
}

#[tokio::test]
async fn replaying_with_another_component_is_refused() {
    let other = text_match_wasm();
    match replay(&HONEST.transcript, &other, &HONEST.sandbox, None).await {
        Err(ReplayError::WrongMechanism { expected, actual }) => {
            assert_eq!(expected, ContentHash::of(&HONEST.component));
            assert_eq!(actual, ContentHash::of(&other));
        }
        other => panic!("expected the wrong mechanism, got {other:?}"),
    }
}

#[tokio::test]
async fn a_header_naming_another_mechanism_is_refused() {
    let other = ContentHash::of(&text_match_wasm());
    let transcript = tampered(|records| header(records).mechanism = *other.as_bytes());
    match replay_honestly(&transcript).await {
        Err(ReplayError::WrongMechanism { expected, actual }) => {
            assert_eq!(expected, other);
            assert_eq!(actual, ContentHash::of(&HONEST.component));
        }
        other => panic!("expected the wrong mechanism, got {other:?}"),
    }
}

#[tokio::test]
async fn edited_float_weights_are_named() {
    let transcript = tampered(|records| weights(records).weights[0].1 = 0.75);
    assert_differs(&transcript, "weights", "the float weights differ").await;
}

#[tokio::test]
async fn edited_submitted_weights_are_named_per_uid() {
    let transcript = tampered(|records| weights(records).values[1] -= 1);
    let report = assert_differs(&transcript, "weights", "1 uids differ").await;
    let recorded = HONEST.transcript.decode().unwrap().weights;
    assert_eq!(report.weight_differences.len(), 1);
    let difference = &report.weight_differences[0];
    assert_eq!(difference.uid, recorded.uids[1]);
    assert_eq!(difference.recorded, Some(recorded.values[1] - 1));
    assert_eq!(difference.actual, Some(recorded.values[1]));
}

#[tokio::test]
async fn weights_claimed_as_not_submitted_are_named() {
    let transcript = tampered(|records| {
        let record = weights(records);
        record.uids.clear();
        record.values.clear();
        record.not_submitted = "no weights".to_string();
    });
    assert_differs(
        &transcript,
        "weights",
        "recorded as not submitted (no weights), but the replayed weights conform",
    )
    .await;
}

#[tokio::test]
async fn an_edited_initial_state_is_named_at_the_first_step() {
    let transcript = tampered(|records| header(records).initial_state.push(0));
    assert_differs(&transcript, "step 0", "starts from state").await;
}

#[tokio::test]
async fn an_edited_state_hash_is_named() {
    let transcript = tampered(|records| step(records, 1).state_after[0] ^= 1);
    assert_differs(&transcript, "step 1", "ends in state").await;
    let transcript = tampered(|records| step(records, 2).state_before[0] ^= 1);
    assert_differs(&transcript, "step 2", "starts from state").await;
    let transcript = tampered(|records| weights(records).state[0] ^= 1);
    assert_differs(&transcript, "weights", "on a different state").await;
}

#[tokio::test]
async fn replies_that_do_not_answer_the_queries_are_named() {
    let transcript = tampered(|records| {
        step(records, 0).replies.pop();
    });
    assert_differs(&transcript, "step 0", "the replies are from uids [1, 2, 3]").await;
    let transcript = tampered(|records| {
        let timed_out = step(records, 0).replies.last_mut().unwrap();
        assert_eq!(timed_out.status, reply_status_index(Status::Timeout.into()));
        timed_out.body = b"42".to_vec();
    });
    assert_differs(&transcript, "step 0", "has status 1 but a body").await;
}

#[tokio::test]
async fn a_weights_record_from_another_epoch_is_named() {
    let transcript = tampered(|records| weights(records).context.epoch += 1);
    let report = assert_differs(
        &transcript,
        "weights",
        "belongs to subnet 1 mechanism 0 epoch 8",
    )
    .await;
    assert!(
        report
            .differences
            .iter()
            .any(|d| d.place == "weights" && d.what.contains("seed"))
    );
}

#[test]
fn a_commitment_is_76_bytes_and_parses_back() {
    let (mechanism, root) = ([1; 32], HONEST.transcript.root());
    let data = commitment(&mechanism, &root, EPOCH);
    assert_eq!(data.len(), 76);
    assert_eq!(&data[..4], b"arb1");
    assert_eq!(parse_commitment(&data), Some((mechanism, root, EPOCH)));
}

#[test]
fn a_commitment_of_the_wrong_length_or_magic_is_refused() {
    let data = commitment(&[1; 32], &[2; 32], u64::MAX);
    assert_eq!(parse_commitment(&data[..75]), None);
    assert_eq!(parse_commitment(&[data.as_slice(), &[0]].concat()), None);
    assert_eq!(parse_commitment(&[]), None);
    assert_eq!(parse_commitment(b"arb1"), None);
    let mut wrong = data.clone();
    wrong[3] = b'2';
    assert_eq!(parse_commitment(&wrong), None);
}

/// The golden transcript's mechanism (any 32 bytes: nothing is run).
const GOLDEN_MECHANISM: [u8; 32] = [0x4d; 32];

/// The golden transcript: fixed records covering every field kind, a
/// successful step with an `ok` and a timed-out reply, a step whose
/// `challenge` ran out of fuel, and the weights.
fn golden_records() -> Vec<Record> {
    let mechanism = ContentHash::from_bytes(GOLDEN_MECHANISM);
    let ctx = |step| context_record(&step_context(&mechanism, step));
    let fuel = 5_000_000_000;
    let first = StepRecord {
        context: ctx(0),
        state_before: transcript::hash(b""),
        challenge: outcome_record(&Ok::<(), Failure>(()), Some(1_234)),
        queries: vec![(1, b"21".to_vec()), (4, b"7".to_vec())],
        replies: vec![
            reply_record(&answer(1, b"21")),
            reply_record(&answer(4, b"7")),
        ],
        score: outcome_record(&Ok::<(), Failure>(()), Some(5_678)),
        state_after: transcript::hash(b"after step 0"),
    };
    let second = StepRecord {
        context: ctx(1),
        state_before: first.state_after,
        challenge: outcome_record(&Err::<(), _>(Failure::OutOfFuel { budget: fuel }), None),
        queries: vec![],
        replies: vec![],
        score: not_run(),
        state_after: first.state_after,
    };
    let weights = WeightsRecord {
        context: ctx(2),
        state: first.state_after,
        outcome: outcome_record(&Ok::<(), Failure>(()), Some(910)),
        weights: vec![(1, 0.25), (3, 0.75)],
        min_allowed_weights: RULES.0,
        max_weight_limit: RULES.1,
        uids: vec![1, 3],
        values: vec![21_845, 65_535],
        not_submitted: String::new(),
    };
    vec![
        Record::Header(Header {
            format: FORMAT.to_string(),
            netuid: 1,
            mechid: 0,
            validator: VALIDATOR.0,
            mechanism: GOLDEN_MECHANISM,
            epoch: EPOCH,
            wasmtime: "48.0.8".to_string(),
            fuel_per_call: fuel,
            initial_state: vec![],
        }),
        Record::Step(Box::new(first)),
        Record::Step(Box::new(second)),
        Record::Weights(Box::new(weights)),
    ]
}

/// The golden file and its expected root and commitment.
fn golden() -> (Vec<u8>, serde_json::Value) {
    let dir = repo_path("tests/fixtures/transcript");
    let file = std::fs::read(dir.join("golden.arbt")).unwrap();
    let json = std::fs::read_to_string(dir.join("golden.json")).unwrap();
    (file, serde_json::from_str(&json).unwrap())
}

/// A transcript file's root, computed from `TRANSCRIPT.md` alone ("File",
/// "The chain of records and the root"); checks the record kinds' order.
fn root_by_the_specification(file: &[u8]) -> [u8; 32] {
    let take = |bytes: &mut &[u8], n: usize| {
        let (head, tail) = bytes.split_at(n);
        *bytes = tail;
        head.to_vec()
    };
    let u32_le = |bytes: &mut &[u8]| u32::from_le_bytes(take(bytes, 4).try_into().unwrap());
    let mut rest = file;
    assert_eq!(take(&mut rest, 4), b"ARBT");
    assert_eq!(u32_le(&mut rest), 1);
    let count = u32_le(&mut rest);
    let mut kinds = Vec::new();
    let mut h = *blake3::hash(b"arbiter/transcript/v1\0").as_bytes();
    for _ in 0..count {
        let len = u32_le(&mut rest) as usize;
        let record = take(&mut rest, len);
        kinds.push(record[0]);
        h = *blake3::hash(&[h.as_slice(), &record].concat()).as_bytes();
    }
    assert!(rest.is_empty(), "bytes after the records");
    assert_eq!(kinds, [0, 1, 1, 2]);
    h
}

#[test]
fn the_golden_transcript_is_rebuilt_byte_for_byte() {
    let (file, expected) = golden();
    let transcript = encode(&golden_records());
    assert_eq!(transcript.to_file_bytes().unwrap(), file);
    assert_eq!(hex::encode(transcript.root()), expected["root"]);
    let data = commitment(&GOLDEN_MECHANISM, &transcript.root(), EPOCH);
    assert_eq!(hex::encode(&data), expected["commitment"]);
    assert_eq!(
        parse_commitment(&data),
        Some((GOLDEN_MECHANISM, transcript.root(), EPOCH))
    );
}

#[test]
fn the_golden_root_follows_the_specification() {
    let (file, expected) = golden();
    assert_eq!(
        hex::encode(root_by_the_specification(&file)),
        expected["root"]
    );
    let decoded = Transcript::from_file_bytes(&file)
        .unwrap()
        .decode()
        .unwrap();
    let records = golden_records();
    assert_eq!(Record::Header(decoded.header), records[0]);
    assert_eq!(decoded.steps.len(), 2);
    assert_eq!(Record::Weights(Box::new(decoded.weights)), records[3]);
}
