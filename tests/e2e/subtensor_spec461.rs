//! Spec 4xx online (CRv4 and the stored epoch schedule), against the
//! spec-461 stand-in ([`crate::spec461_node`]): the backend reads the
//! subnet's epochs from `SubnetEpochIndex`/`LastEpochBlock`, reports
//! commit-reveal version 4, and commits weights timelocked exactly as the
//! SDK would (`commit_timelocked_mechanism_weights`, the round its formula
//! gives), in a ciphertext that drand round 1000's published signature
//! opens; the validator commits that way once, and after a restart
//! recognises its commit on chain, pending or already opened. Weights
//! stored before a submission was recorded do not count as its own.

use arbiter_host::chain::commit_hash::netuid_index;
use arbiter_host::chain::{Chain, ChainError, WeightsCall};
use arbiter_host::subtensor::timelock::{
    DRAND_QUICKNET_GENESIS_SECS, WeightsPayload, decrypt_commit, encrypt_commit,
};
use arbiter_host::subtensor::{Subtensor, SubtensorCall};
use arbiter_host::validator::store::Submission;
use arbiter_host::validator::submit::Target;
use arbiter_registry::{ContentHash, Keypair};
use subxt::ext::codec::Encode;

use crate::chopsticks::key;
use crate::spec461_node::{Spec461Node, metadata};
use crate::subtensor_timelock::ROUND_1000_SIGNATURE;

const NETUID: u16 = 3;
const UIDS: [u16; 3] = [0, 1, 2];
const VALUES: [u16; 3] = [65_535, 20_000, 7];
const VERSION_KEY: u64 = 2_001;

/// A subnet at block 100 in the middle of its 8th epoch (tempo 10, the
/// last epoch at block 95, 7 epochs run: a modulo schedule would say 9 and
/// 98), commit-reveal version 4 with a reveal period of 1 epoch, and the
/// block's timestamp picked so that the SDK's reveal round is 1000:
///
/// - the commit lands in block 101, still epoch index 7; index 8 starts
///   at block 105 (105 − 95 ≥ tempo), so the reveal is at 105 and the
///   round must be out by 105 + 3 = 108: 8 blocks after the head;
/// - spec 461's `Aura.SlotDuration` is 250 ms (a fast-blocks build), so
///   that is now + 2 s, and `floor((now + 2 − genesis) / 3) = 1000` for
///   now = genesis + 2999 s.
async fn subnet(validator: &Keypair) -> Spec461Node {
    let node = Spec461Node::start(100).await;
    node.set_subtensor("NetworksAdded", (NETUID,), true);
    node.set_subtensor("Tempo", (NETUID,), 10u16);
    node.set_subtensor("SubnetEpochIndex", (NETUID,), 7u64);
    node.set_subtensor("LastEpochBlock", (NETUID,), 95u64);
    node.set_subtensor("BlocksSinceLastStep", (NETUID,), 5u64);
    node.set_subtensor("RevealPeriodEpochs", (NETUID,), 1u64);
    node.set_subtensor("CommitRevealWeightsEnabled", (NETUID,), true);
    node.set_subtensor("CommitRevealWeightsVersion", (), 4u16);
    node.set_subtensor("SubnetworkN", (NETUID,), 1u16);
    node.set_subtensor("Keys", (NETUID, 0u16), validator.public().0);
    node.set(
        "Timestamp",
        "Now",
        (),
        (DRAND_QUICKNET_GENESIS_SECS + 2_999) * 1000,
    );
    node
}

fn weights() -> WeightsCall {
    WeightsCall {
        netuid: NETUID,
        mechid: 0,
        uids: UIDS.to_vec(),
        values: VALUES.to_vec(),
        version_key: VERSION_KEY,
    }
}

/// The call data of a CRv4 commit, as the SDK composes it on spec 461.
fn commit_call(commit: &[u8], reveal_round: u64) -> Vec<u8> {
    SubtensorCall::CommitTimelockedMechanismWeights {
        netuid: NETUID,
        mechid: 0,
        commit: commit.to_vec(),
        reveal_round,
        commit_reveal_version: 4,
    }
    .encode(&metadata())
    .unwrap()
}

#[tokio::test]
async fn a_timelocked_commit_on_spec_461_opens_with_its_drand_rounds_signature() {
    let validator = key("crv4-validator");
    let node = subnet(&validator).await;
    let chain = Subtensor::connect(&node.url).await.unwrap();

    let metagraph = chain.metagraph(NETUID).await.unwrap();
    assert_eq!((metagraph.epoch_index, metagraph.last_epoch_block), (7, 95));
    assert_eq!(
        metagraph.block.timestamp_ms,
        (DRAND_QUICKNET_GENESIS_SECS + 2_999) * 1000
    );
    let hyper = chain.hyperparameters(NETUID).await.unwrap();
    assert!(hyper.commit_reveal_enabled);
    assert_eq!(hyper.commit_reveal_version, 4);

    let commit = chain
        .commit_timelocked_weights(&validator, &weights(), [0x17; 32])
        .await
        .unwrap();
    assert_eq!(commit.reveal_round, 1000);
    assert_eq!(commit.block, 101);
    let sent = node.submitted();
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].ends_with(&commit_call(&commit.commit, 1000)),
        "not the SDK's commit_timelocked_mechanism_weights call"
    );
    let opened = decrypt_commit(&commit.commit, &hex::decode(ROUND_1000_SIGNATURE).unwrap())
        .expect("round 1000's signature opens it");
    let payload = WeightsPayload {
        hotkey: validator.public().0.to_vec(),
        uids: UIDS.to_vec(),
        values: VALUES.to_vec(),
        version_key: VERSION_KEY,
    };
    assert_eq!(opened, payload.encode());
}

fn target<'a>(chain: &'a Subtensor, key: &'a Keypair, version: u16) -> Target<'a> {
    Target {
        chain,
        key,
        netuid: NETUID,
        uid: 0,
        version_key: VERSION_KEY,
        mechanism: ContentHash::of(b"a mechanism"),
        commit_reveal: true,
        commit_reveal_version: version,
    }
}

fn submission(seed: [u8; 32]) -> Submission {
    Submission {
        epoch: 7,
        uids: UIDS.to_vec(),
        values: VALUES.to_vec(),
        root: [1; 32],
        salt: None,
        timelock_seed: Some(seed),
        weights_done: false,
        block: 100,
    }
}

#[tokio::test]
async fn the_validator_commits_timelocked_once_and_knows_its_commit_after_a_restart() {
    let validator = key("crv4-validator");
    let node = subnet(&validator).await;
    let chain = Subtensor::connect(&node.url).await.unwrap();
    let target = target(&chain, &validator, 4);
    let seed = [0x5a; 32];

    let now = || async { chain.metagraph(NETUID).await.unwrap() };

    let reveal = target
        .weights(&submission(seed), &now().await)
        .await
        .unwrap();
    assert!(reveal.is_none(), "the chain reveals CRv4 commits itself");
    let ours = encrypt_commit(
        validator.public().0,
        &UIDS,
        &VALUES,
        VERSION_KEY,
        1000,
        seed,
    )
    .unwrap();
    assert_eq!(node.submitted().len(), 1);
    assert!(node.submitted()[0].ends_with(&commit_call(&ours, 1000)));

    // The chain files it under (mechanism index, epoch), after another
    // validator's commit, as `TimelockedWeightCommits` holds them.
    let other = key("crv4-other");
    let pending = (netuid_index(NETUID, 0), 7u64);
    node.set_subtensor(
        "TimelockedWeightCommits",
        pending,
        vec![
            (other.public().0, 101u64, ours.clone(), 1000u64),
            (validator.public().0, 101u64, ours, 1000u64),
        ],
    );
    node.new_block();

    // A restart before the submission was marked done: nothing is resent.
    target
        .weights(&submission(seed), &now().await)
        .await
        .unwrap();
    assert_eq!(node.submitted().len(), 1, "the commit was sent twice");

    // Nor after the chain opened it: the commit is gone, the weights
    // are stored (max-upscaled) and set after the submission's block.
    node.remove("SubtensorModule", "TimelockedWeightCommits", pending);
    node.set_subtensor(
        "Weights",
        (netuid_index(NETUID, 0), 0u16),
        vec![(0u16, 65_535u16), (1, 20_000), (2, 7)],
    );
    node.set_subtensor("LastUpdate", (netuid_index(NETUID, 0),), vec![105u64]);
    target
        .weights(&submission(seed), &now().await)
        .await
        .unwrap();
    assert_eq!(
        node.submitted().len(),
        1,
        "the revealed commit was sent again"
    );

    // The same weights set before this submission was recorded do not
    // count: this epoch's commit still goes out (staying active).
    let later = Submission {
        block: 106,
        ..submission([0x5b; 32])
    };
    target.weights(&later, &now().await).await.unwrap();
    assert_eq!(node.submitted().len(), 2);
}

#[tokio::test]
async fn an_unknown_commit_reveal_version_or_a_subnet_without_epochs_sends_nothing() {
    let validator = key("crv4-validator");
    let node = subnet(&validator).await;
    let chain = Subtensor::connect(&node.url).await.unwrap();

    // Version 3 (CRv3) is neither hash commits nor CRv4.
    node.set_subtensor("CommitRevealWeightsVersion", (), 3u16);
    let hyper = chain.hyperparameters(NETUID).await.unwrap();
    assert_eq!(hyper.commit_reveal_version, 3);
    let error = target(&chain, &validator, hyper.commit_reveal_version)
        .weights(
            &submission([1; 32]),
            &chain.metagraph(NETUID).await.unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(error, ChainError::UnsupportedCommitReveal { version: 3 });

    // Tempo 0: the subnet runs no epochs, so no round would ever reveal.
    node.set_subtensor("Tempo", (NETUID,), 0u16);
    let error = chain
        .commit_timelocked_weights(&validator, &weights(), [1; 32])
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ChainError::InvalidRequest { reason } if reason.contains("tempo is zero")),
        "{error:?}"
    );
    assert!(node.submitted().is_empty());
}

#[tokio::test]
async fn bytes_that_are_not_the_declared_type_are_an_unsupported_runtime() {
    let validator = key("crv4-validator");
    let node = subnet(&validator).await;
    let chain = Subtensor::connect(&node.url).await.unwrap();
    // One byte where spec 461 declares a u16.
    node.set_subtensor("SubnetworkN", (NETUID,), 7u8);
    let error = chain.metagraph(NETUID).await.unwrap_err();
    assert!(
        matches!(
            &error,
            ChainError::UnsupportedRuntime {
                spec_version: 461,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn weights_already_set_count_only_if_set_after_the_submission_was_recorded() {
    let validator = key("crv4-validator");
    let node = subnet(&validator).await;
    node.set_subtensor("CommitRevealWeightsEnabled", (NETUID,), false);
    node.set_subtensor(
        "Weights",
        (netuid_index(NETUID, 0), 0u16),
        vec![(0u16, 65_535u16), (1, 20_000), (2, 7)],
    );
    node.set_subtensor("LastUpdate", (netuid_index(NETUID, 0),), vec![105u64]);
    let chain = Subtensor::connect(&node.url).await.unwrap();
    let plain = Target {
        commit_reveal: false,
        ..target(&chain, &validator, 2)
    };
    let metagraph = chain.metagraph(NETUID).await.unwrap();
    let recorded_at = |block| Submission {
        block,
        timelock_seed: None,
        ..submission([0; 32])
    };

    // Set at 105 for a submission recorded at 100: a restart after it
    // landed sends nothing.
    plain.weights(&recorded_at(100), &metagraph).await.unwrap();
    assert!(node.submitted().is_empty());
    // The same weights, from before a submission recorded at 106: set
    // again, or the validator would go inactive on stable scores.
    plain.weights(&recorded_at(106), &metagraph).await.unwrap();
    assert_eq!(node.submitted().len(), 1);
}
