//! The devnet against Subtensor's rules: every `set_weights` rule violated
//! once, commit-reveal's failure modes, commitments, nonces, restarts, and
//! an epoch that pays the miners the validators rate.

use arbiter_registry::{Keypair, PublicKey};

use super::calls::Call;
use super::{Devnet, Genesis};
use crate::chain::commit_hash::commit_hash;
use crate::chain::{ChainError, Hyperparameters, RevealCall, Rule, WeightsCall};

const NETUID: u16 = 1;

/// A devnet with subnet 1: owner (uid 0), validators v1, v2 (uids 1, 2,
/// staked), miners m1..m3 (uids 3..5), tempo 10, permits granted.
struct Net {
    devnet: Devnet,
    _dir: tempfile::TempDir,
    owner: Keypair,
    v1: Keypair,
    v2: Keypair,
    miners: Vec<Keypair>,
}

fn key(name: &str) -> Keypair {
    Keypair::dev(name).expect("dev key")
}

fn hyper() -> Hyperparameters {
    Hyperparameters {
        tempo: 10,
        commit_reveal_enabled: false,
        weights_set_rate_limit: 5,
        ..Hyperparameters::default()
    }
}

fn net(hyper: Hyperparameters) -> Net {
    let dir = tempfile::tempdir().expect("temp dir");
    let devnet = Devnet::open(
        dir.path(),
        &Genesis {
            seed: Some([3; 32]),
            ..Genesis::default()
        },
    )
    .expect("devnet");
    let owner = key("owner");
    devnet
        .create_subnet(NETUID, owner.public(), key("owner-cold").public(), hyper)
        .expect("subnet");
    let (v1, v2) = (key("v1"), key("v2"));
    let miners: Vec<Keypair> = (1..=3).map(|i| key(&format!("m{i}"))).collect();
    for k in [&v1, &v2].into_iter().chain(&miners) {
        register(&devnet, k);
    }
    devnet
        .add_stake(NETUID, &v1.public(), 600_000_000_000)
        .expect("stake");
    devnet
        .add_stake(NETUID, &v2.public(), 400_000_000_000)
        .expect("stake");
    // Two epochs: the first computes permits, the next can use them.
    devnet.advance(21).expect("blocks");
    Net {
        devnet,
        _dir: dir,
        owner,
        v1,
        v2,
        miners,
    }
}

fn register(devnet: &Devnet, hotkey: &Keypair) {
    let call = Call::Register {
        netuid: NETUID,
        coldkey: PublicKey([9; 32]),
    };
    devnet.sign_and_submit(hotkey, &call).expect("register");
}

fn weights(uids: &[u16], values: &[u16]) -> WeightsCall {
    WeightsCall {
        netuid: NETUID,
        mechid: 0,
        uids: uids.to_vec(),
        values: values.to_vec(),
        version_key: 0,
    }
}

fn set(net: &Net, key: &Keypair, call: WeightsCall) -> Result<u64, ChainError> {
    net.devnet
        .sign_and_submit(key, &Call::SetWeights(call))
        .map(|receipt| receipt.block)
}

fn refused(result: Result<u64, ChainError>) -> Rule {
    match result {
        Err(ChainError::Rule(rule)) => rule,
        other => panic!("expected a rule, got {other:?}"),
    }
}

#[test]
fn weights_are_stored_as_given_and_the_epoch_pays_the_rated_miners() {
    let net = net(hyper());
    set(&net, &net.v1, weights(&[3, 4, 5], &[0, 65535, 100])).expect("v1 sets");
    set(&net, &net.v2, weights(&[4, 5], &[65535, 100])).expect("v2 sets");
    let stored = net.devnet.metagraph_now(NETUID).expect("metagraph");
    assert_eq!(
        net.devnet.lock().0.subnets[&NETUID].neurons[1].weights,
        vec![(3, 0), (4, 65535), (5, 100)],
        "storage order and explicit zeros are kept"
    );
    assert!(stored.neurons[1].last_update > 0);
    net.devnet.advance(10).expect("epoch");
    let after = net.devnet.metagraph_now(NETUID).expect("metagraph");
    assert!(after.epoch_index > stored.epoch_index);
    let incentive: Vec<u16> = after.neurons.iter().map(|n| n.incentive).collect();
    assert!(
        incentive[4] > incentive[5] && incentive[5] > 0,
        "{incentive:?}"
    );
    assert_eq!(incentive[3], 0);
    assert!(after.neurons[1].validator_trust > 60_000);
    assert!(after.neurons[1].dividends > 0);
    assert!(after.neurons[4].emission > 0);
}

#[test]
fn every_set_weights_rule_is_its_own_typed_error() {
    let mut strict = hyper();
    strict.min_allowed_weights = 2;
    strict.max_weights_limit = 40_000;
    strict.weights_version_key = 7;
    let net = net(strict);
    let ok = || WeightsCall {
        version_key: 7,
        ..weights(&[3, 4], &[100, 100])
    };
    let stranger = key("stranger");
    let cases: Vec<(WeightsCall, &Keypair, Rule)> = vec![
        (
            WeightsCall { netuid: 0, ..ok() },
            &net.v1,
            Rule::CanNotSetRootNetworkWeights,
        ),
        (
            WeightsCall {
                values: vec![1],
                ..ok()
            },
            &net.v1,
            Rule::WeightVecNotEqualSize { uids: 2, values: 1 },
        ),
        (
            WeightsCall { mechid: 1, ..ok() },
            &net.v1,
            Rule::MechanismDoesNotExist {
                netuid: 1,
                mechid: 1,
            },
        ),
        (
            WeightsCall { netuid: 9, ..ok() },
            &net.v1,
            Rule::MechanismDoesNotExist {
                netuid: 9,
                mechid: 0,
            },
        ),
        (
            WeightsCall {
                uids: (0..7).collect(),
                values: vec![1; 7],
                ..ok()
            },
            &net.v1,
            Rule::UidsLengthExceedUidsInSubNet {
                given: 7,
                subnet_n: 6,
            },
        ),
        (
            ok(),
            &stranger,
            Rule::HotKeyNotRegisteredInSubNet {
                hotkey: stranger.public().ss58(),
                netuid: 1,
            },
        ),
        (
            WeightsCall {
                version_key: 6,
                ..ok()
            },
            &net.v1,
            Rule::IncorrectWeightVersionKey {
                given: 6,
                required: 7,
            },
        ),
        (
            ok(),
            &net.miners[0],
            Rule::NeuronNoValidatorPermit { uid: 3 },
        ),
        (
            WeightsCall {
                uids: vec![3, 3],
                ..ok()
            },
            &net.v1,
            Rule::DuplicateUids { uid: 3 },
        ),
        (
            WeightsCall {
                uids: vec![3, 6],
                ..ok()
            },
            &net.v1,
            Rule::UidVecContainInvalidOne { uid: 6 },
        ),
        (
            WeightsCall {
                uids: vec![3],
                values: vec![1],
                ..ok()
            },
            &net.v1,
            Rule::WeightVecLengthIsLow {
                given: 1,
                required: 2,
            },
        ),
        (
            WeightsCall {
                values: vec![65535, 1],
                ..ok()
            },
            &net.v1,
            Rule::MaxWeightExceeded { limit: 40_000 },
        ),
    ];
    for (call, key, expected) in cases {
        assert_eq!(refused(set(&net, key, call.clone())), expected, "{call:?}");
    }
    // A miner may set a single self-weight without a permit.
    set(
        &net,
        &net.miners[0],
        WeightsCall {
            uids: vec![3],
            values: vec![1],
            ..ok()
        },
    )
    .expect("self-weight");
    // The rate limit, with the blocks to wait.
    let at = set(&net, &net.v1, ok()).expect("first set");
    let rule = refused(set(&net, &net.v1, ok()));
    assert_eq!(rule, Rule::SettingWeightsTooFast { retry_in_blocks: 5 });
    assert_eq!(rule.retry_in_blocks(), Some(5));
    net.devnet.advance(5).expect("blocks");
    assert!(set(&net, &net.v1, ok()).expect("after the limit") >= at + 5);
}

#[test]
fn stake_below_the_threshold_may_not_set_weights_except_the_owner() {
    let mut high = hyper();
    high.stake_threshold = 500_000_000_000;
    let net = net(high);
    assert_eq!(
        refused(set(&net, &net.v2, weights(&[3], &[1]))),
        Rule::NotEnoughStakeToSetWeights {
            stake: net.devnet.metagraph_now(NETUID).expect("metagraph").neurons[2].stake,
            threshold: 500_000_000_000,
        }
    );
    set(&net, &net.owner, weights(&[3, 4], &[1, 1])).expect("the owner is exempt");
}

#[test]
fn timelocked_commit_reveal_is_refused_not_pretended() {
    let net = net(hyper());
    let timelocked = Hyperparameters {
        commit_reveal_enabled: true,
        commit_reveal_version: crate::chain::COMMIT_REVEAL_TIMELOCK,
        ..hyper()
    };
    for refused in [
        net.devnet.create_subnet(
            NETUID + 1,
            net.owner.public(),
            net.owner.public(),
            timelocked.clone(),
        ),
        net.devnet.set_hyperparameters(NETUID, timelocked, None),
    ] {
        assert!(
            matches!(&refused, Err(ChainError::InvalidRequest { reason }) if reason.contains("version 2")),
            "{refused:?}"
        );
    }
    let current = net.devnet.lock().0.subnets[&NETUID].hyper.clone();
    assert_eq!(current, hyper(), "nothing changed");
    assert!(!net.devnet.lock().0.subnets.contains_key(&(NETUID + 1)));
    // Without commit-reveal the version is moot: a real subnet's
    // hyperparameters (which say 4 on CRv4 runtimes) are taken.
    let copied = Hyperparameters {
        commit_reveal_version: crate::chain::COMMIT_REVEAL_TIMELOCK,
        ..hyper()
    };
    net.devnet
        .set_hyperparameters(NETUID, copied, None)
        .expect("taken");
}

fn commit_reveal() -> Hyperparameters {
    Hyperparameters {
        commit_reveal_enabled: true,
        weights_set_rate_limit: 0,
        ..hyper()
    }
}

fn commit(net: &Net, key: &Keypair, call: &WeightsCall, salt: &[u16]) -> Result<u64, ChainError> {
    let hash = commit_hash(
        &key.public(),
        NETUID,
        0,
        &call.uids,
        &call.values,
        salt,
        call.version_key,
    );
    net.devnet
        .sign_and_submit(
            key,
            &Call::CommitWeights {
                netuid: NETUID,
                mechid: 0,
                hash,
            },
        )
        .map(|r| r.block)
}

fn reveal(net: &Net, key: &Keypair, call: &WeightsCall, salt: &[u16]) -> Result<u64, ChainError> {
    let reveal = RevealCall {
        weights: call.clone(),
        salt: salt.to_vec(),
    };
    net.devnet
        .sign_and_submit(key, &Call::RevealWeights(reveal))
        .map(|r| r.block)
}

#[test]
fn commit_reveal_takes_weights_only_in_the_reveal_epoch_with_the_right_salt() {
    let net = net(commit_reveal());
    let call = weights(&[3, 4], &[10, 20]);
    assert_eq!(
        refused(set(&net, &net.v1, call.clone())),
        Rule::CommitRevealEnabled
    );
    assert_eq!(
        refused(reveal(&net, &net.v1, &call, &[1])),
        Rule::NoWeightsCommitFound
    );

    commit(&net, &net.v1, &call, &[1, 2]).expect("commit");
    assert_eq!(
        refused(reveal(&net, &net.v1, &call, &[1, 2])),
        Rule::RevealTooEarly { retry_in_epochs: 1 }
    );
    net.devnet.advance(10).expect("next epoch");
    assert_eq!(
        refused(reveal(&net, &net.v1, &call, &[9, 9])),
        Rule::InvalidRevealCommitHashNotMatch
    );
    reveal(&net, &net.v1, &call, &[1, 2]).expect("reveal");
    assert_eq!(
        net.devnet.lock().0.subnets[&NETUID].neurons[1].weights,
        vec![(3, 32768), (4, 65535)],
        "revealed values are max-upscaled"
    );
    assert_eq!(
        refused(reveal(&net, &net.v1, &call, &[1, 2])),
        Rule::NoWeightsCommitFound
    );
}

#[test]
fn an_unrevealed_commit_expires() {
    let net = net(commit_reveal());
    let call = weights(&[3, 4], &[10, 20]);
    commit(&net, &net.v1, &call, &[5]).expect("commit");
    commit(&net, &net.v1, &weights(&[3], &[1]), &[6]).expect("second commit");
    net.devnet.advance(20).expect("two epochs");
    assert_eq!(
        refused(reveal(&net, &net.v1, &call, &[5])),
        Rule::ExpiredWeightCommit
    );
}

#[test]
fn commits_are_rate_limited_and_capped() {
    let mut limited = commit_reveal();
    limited.weights_set_rate_limit = 3;
    let net = net(limited);
    commit(&net, &net.v1, &weights(&[3], &[1]), &[0]).expect("commit");
    assert_eq!(
        refused(commit(&net, &net.v1, &weights(&[3], &[1]), &[1])),
        Rule::CommittingWeightsTooFast { retry_in_blocks: 3 }
    );

    let net = self::net(commit_reveal());
    for salt in 0..super::MAX_UNREVEALED_COMMITS as u16 {
        commit(&net, &net.v2, &weights(&[3], &[1]), &[salt]).expect("commit");
    }
    assert_eq!(
        refused(commit(&net, &net.v2, &weights(&[3], &[1]), &[99])),
        Rule::TooManyUnrevealedCommits
    );
    let call = weights(&[3], &[1]);
    let plain = net.devnet.sign_and_submit(&net.v1, &Call::SetWeights(call));
    assert!(matches!(
        plain,
        Err(ChainError::Rule(Rule::CommitRevealEnabled))
    ));
}

#[test]
fn commitments_hold_at_most_128_bytes_from_registered_hotkeys() {
    let net = net(hyper());
    let store = |key: &Keypair, data: Vec<u8>| {
        net.devnet.sign_and_submit(
            key,
            &Call::SetCommitment {
                netuid: NETUID,
                data,
            },
        )
    };
    store(&net.v1, vec![7; 128]).expect("128 bytes");
    assert!(matches!(
        store(&net.v1, vec![7; 129]),
        Err(ChainError::Rule(Rule::CommitmentTooLarge { len: 129 }))
    ));
    assert!(matches!(
        store(&key("stranger"), vec![1]),
        Err(ChainError::Rule(Rule::HotKeyNotRegisteredInSubNet { .. }))
    ));
    let state = net.devnet.lock();
    assert_eq!(
        state.0.subnets[&NETUID].commitments[&net.v1.public()].data,
        vec![7; 128]
    );
}

#[test]
fn a_replayed_call_is_refused_and_a_refused_call_spends_its_nonce() {
    let net = net(hyper());
    let genesis = net.devnet.genesis();
    let nonce = net.devnet.nonce(&net.v1.public());
    let call = Call::SetWeights(weights(&[3, 4], &[1, 2]));
    let signed = super::calls::SignedCall::sign(&net.v1, &genesis, nonce, &call).expect("sign");
    net.devnet.submit(&signed).expect("first");
    assert!(matches!(
        net.devnet.submit(&signed),
        Err(ChainError::BadSignature { .. })
    ));
    let too_fast = net.devnet.sign_and_submit(&net.v1, &call);
    assert!(matches!(too_fast, Err(ChainError::Rule(_))));
    assert_eq!(net.devnet.nonce(&net.v1.public()), nonce + 2);
}

#[test]
fn state_survives_a_restart() {
    let net = net(hyper());
    set(&net, &net.v1, weights(&[3, 4], &[1, 2])).expect("set");
    let before = net.devnet.metagraph_now(NETUID).expect("metagraph");
    let dir = net._dir;
    drop(net.devnet);
    let reopened = Devnet::open(dir.path(), &Genesis::default()).expect("reopen");
    assert_eq!(reopened.metagraph_now(NETUID).expect("metagraph"), before);
    reopened.advance(1).expect("block");
}

#[test]
fn a_full_subnet_replaces_its_weakest_non_immune_neuron() {
    let mut small = hyper();
    small.max_allowed_uids = 6;
    let net = net(small);
    let newcomer = key("newcomer");
    let call = Call::Register {
        netuid: NETUID,
        coldkey: PublicKey([1; 32]),
    };
    assert!(matches!(
        net.devnet.sign_and_submit(&newcomer, &call),
        Err(ChainError::Rule(Rule::SubnetFull { .. }))
    ));
    // Both validators weight miners 3 and 4; after an epoch, miner 5 is
    // the only neuron with neither incentive nor dividends.
    for validator in [&net.v1, &net.v2] {
        set(&net, validator, weights(&[3, 4], &[1, 2])).expect("set");
    }
    let current = net.devnet.lock().0.subnets[&NETUID].hyper.clone();
    let tempo = u64::from(current.tempo);
    net.devnet
        .set_hyperparameters(NETUID, current, Some(0))
        .expect("no immunity");
    net.devnet.advance(tempo + 1).expect("an epoch");
    net.devnet
        .sign_and_submit(&newcomer, &call)
        .expect("replaces");
    let metagraph = net.devnet.metagraph_now(NETUID).expect("metagraph");
    let uid = metagraph.uid_of(&newcomer.public()).expect("registered");
    assert_eq!(uid, 5, "the miner without incentive is replaced");
    assert_eq!(metagraph.neurons.len(), 6);
}
