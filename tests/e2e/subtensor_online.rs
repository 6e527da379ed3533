//! The online backend against a real Subtensor runtime (spec 218, run by
//! chopsticks on loopback): the host registers a subnet, reads its
//! metagraph and hyperparameters, sets weights (`WeightsSet`), commits and
//! reveals (`WeightsRevealed`), and writes a commitment (`Commitment`),
//! through the same [`Chain`] trait the validator uses on the devnet, and
//! `arbiter chain metagraph|status --chain ws://…` prints what it reads;
//! and a runtime upgrade by `System.set_code` is followed on the same
//! connection.

use std::time::Duration;

use arbiter_host::chain::commit_hash::commit_hash;
use arbiter_host::chain::{Axon, Chain, ChainError, Metagraph, RevealCall, Rule, WeightsCall};
use arbiter_host::subtensor::Subtensor;
use arbiter_host::subtensor::storage::Snapshot;
use subxt::dynamic::{Value, tx};
use subxt::ext::scale_value::Composite;

use crate::chopsticks::{
    Chopsticks, create_subnet, new_blocks, next_epoch, set_pallet_value, set_value,
};
use crate::registry::{arbiter, assert_exit, json};
use crate::support::repo_path;

async fn connect(node: &Chopsticks) -> Subtensor {
    Subtensor::connect(&node.url)
        .await
        .unwrap()
        .with_inclusion_timeout(Duration::from_secs(30))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_reads_a_subnet_and_sets_weights_on_a_real_runtime() {
    let node = Chopsticks::start();
    let chain = connect(&node).await;
    let subnet = create_subnet(&chain, 2).await;
    let netuid = subnet.netuid;

    let metagraph = chain.metagraph(netuid).await.unwrap();
    assert_eq!(metagraph.owner, subnet.coldkey.public());
    let hotkeys: Vec<_> = metagraph.neurons.iter().map(|n| n.hotkey).collect();
    assert_eq!(
        hotkeys,
        [
            subnet.validator.public(),
            subnet.miners[0].public(),
            subnet.miners[1].public()
        ]
    );
    assert_eq!(metagraph.neurons[0].coldkey, subnet.coldkey.public());
    assert_eq!(metagraph.neurons[1].coldkey, subnet.miners[0].public());
    assert!(metagraph.neurons[0].validator_permit);
    assert!(!metagraph.neurons[1].validator_permit);
    let head = chain.head().await.unwrap();
    assert_eq!(
        metagraph.block, head,
        "read at the head, with its timestamp"
    );
    assert!(head.timestamp_ms > 1_600_000_000_000, "{head:?}");

    // The same, as an operator reads it.
    let cli = arbiter(&[
        "chain",
        "metagraph",
        "--chain",
        &node.url,
        "--netuid",
        &netuid.to_string(),
        "--output",
        "json",
    ]);
    assert_exit(&cli, 0);
    let printed: Metagraph = serde_json::from_value(json(&cli)).unwrap();
    assert_eq!(printed.neurons, metagraph.neurons);
    assert_eq!(printed.owner, metagraph.owner);
    let status = arbiter(&["chain", "status", "--chain", &node.url, "--output", "json"]);
    assert_exit(&status, 0);
    assert_eq!(json(&status)["genesis"], format!("0x{}", "45".repeat(32)));

    let hyper = chain.hyperparameters(netuid).await.unwrap();
    assert_eq!(hyper.weights_set_rate_limit, 0);
    assert!(!hyper.commit_reveal_enabled);
    assert_eq!(hyper.commit_reveal_version, 2, "spec 218 has no CRv4");

    let receipt = chain
        .set_weights(
            &subnet.validator,
            &WeightsCall {
                netuid,
                mechid: 0,
                uids: vec![1, 2],
                values: vec![30_000, 65_535],
                version_key: hyper.weights_version_key,
            },
        )
        .await
        .unwrap();
    assert!(receipt.block > metagraph.block.number);
    assert_eq!(
        chain.weights(netuid, 0, 0).await.unwrap(),
        [(1, 30_000), (2, 65_535)]
    );
    let after = chain.metagraph(netuid).await.unwrap();
    assert_eq!(after.neurons[0].last_update, receipt.block);

    let data = b"arbiter:blake3:0123456789abcdef";
    let receipt = chain
        .set_commitment(&subnet.validator, netuid, data)
        .await
        .unwrap();
    let stored = chain
        .commitment(netuid, &subnet.validator.public())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.block, stored.data.as_slice()),
        (receipt.block, &data[..])
    );
    assert_eq!(
        chain
            .commitment(netuid, &subnet.miners[0].public())
            .await
            .unwrap(),
        None
    );

    // A miner tells the chain where it serves.
    let axon = Axon {
        ip: "10.1.2.3".into(),
        port: 8091,
    };
    chain
        .serve_axon(&subnet.miners[0], netuid, &axon)
        .await
        .unwrap();
    let served = chain.metagraph(netuid).await.unwrap();
    assert_eq!(served.neurons[1].axon, Some(axon));
    assert_eq!(served.neurons[2].axon, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weights_are_committed_then_revealed_on_a_real_runtime() {
    let node = Chopsticks::start();
    let chain = connect(&node).await;
    let subnet = create_subnet(&chain, 2).await;
    let netuid = subnet.netuid;
    set_value(&chain, "CommitRevealWeightsEnabled", (netuid,), true).await;
    set_value(&chain, "Tempo", (netuid,), 12u16).await;
    set_value(&chain, "RevealPeriodEpochs", (netuid,), 1u64).await;
    let weights = WeightsCall {
        netuid,
        mechid: 0,
        uids: vec![1, 2],
        values: vec![65_535, 1_000],
        version_key: chain
            .hyperparameters(netuid)
            .await
            .unwrap()
            .weights_version_key,
    };
    assert_eq!(
        chain.set_weights(&subnet.validator, &weights).await,
        Err(ChainError::Rule(Rule::CommitRevealEnabled))
    );

    // At the start of an epoch, so the commit's epoch lasts 12 blocks.
    next_epoch(&chain, netuid).await;
    let salt = vec![7, 8, 9];
    let hotkey = subnet.validator.public();
    let hash = commit_hash(
        &hotkey,
        netuid,
        0,
        &weights.uids,
        &weights.values,
        &salt,
        weights.version_key,
    );
    chain
        .commit_weights(&subnet.validator, netuid, 0, hash)
        .await
        .unwrap();
    assert_eq!(chain.weight_commits(netuid, &hotkey).await.unwrap(), [hash]);

    let reveal = RevealCall {
        weights: weights.clone(),
        salt: salt.clone(),
    };
    let early = chain.reveal_weights(&subnet.validator, &reveal).await;
    assert!(
        matches!(early, Err(ChainError::Rule(Rule::RevealTooEarly { .. }))),
        "{early:?}"
    );
    let wrong_salt = RevealCall {
        weights: weights.clone(),
        salt: vec![1, 2, 3],
    };

    // Into the next epoch: the commit's reveal window.
    next_epoch(&chain, netuid).await;
    let mismatch = chain.reveal_weights(&subnet.validator, &wrong_salt).await;
    assert!(
        matches!(
            mismatch,
            Err(ChainError::Rule(Rule::InvalidRevealCommitHashNotMatch))
        ),
        "{mismatch:?}"
    );
    chain
        .reveal_weights(&subnet.validator, &reveal)
        .await
        .unwrap();
    assert_eq!(
        chain.weights(netuid, 0, 0).await.unwrap(),
        [(1, 65_535), (2, 1_000)]
    );
    assert!(
        chain
            .weight_commits(netuid, &hotkey)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runtime_upgrade_is_followed_without_a_restart() {
    let node = Chopsticks::start();
    let chain = connect(&node).await;
    let subnet = create_subnet(&chain, 1).await;
    let before = Snapshot::best(chain.node()).await.unwrap().runtime;
    assert_eq!(before.spec_version, 218);

    // The upgrade, as the chain's governance makes one: sudo, set_code, to
    // a runtime whose only change is its spec version (219).
    let code = std::fs::read(repo_path("tests/fixtures/subtensor/raonet_spec219.code")).unwrap();
    set_pallet_value(&chain, "Sudo", "Key", (), subnet.coldkey.public().0).await;
    let set_code = Value::unnamed_variant(
        "System",
        [Value::named_variant(
            "set_code",
            [("code", Value::from_bytes(&code))],
        )],
    );
    let upgrade = tx(
        "Sudo",
        "sudo_unchecked_weight",
        Composite::named([
            ("call", set_code),
            (
                "weight",
                Value::named_composite([
                    ("ref_time", Value::u128(0)),
                    ("proof_size", Value::u128(0)),
                ]),
            ),
        ]),
    );
    let included = chain
        .submit_payload(&subnet.coldkey, upgrade, None)
        .await
        .unwrap();
    assert!(
        included.events.contains(&"System.CodeUpdated".to_string()),
        "{:?} {:?}",
        included.events,
        included.failure
    );
    new_blocks(&chain, 1).await;

    // The same backend, on the same connection, reads the new runtime and
    // its metadata, and goes on reading the subnet.
    let after = Snapshot::best(chain.node()).await.unwrap().runtime;
    assert_eq!(after.spec_version, 219);
    assert!(!std::sync::Arc::ptr_eq(&before, &after));
    assert_eq!(
        chain.metagraph(subnet.netuid).await.unwrap().neurons.len(),
        2
    );
    // (Transactions are signed with the version read here. This test's
    // runtime cannot check that: the patch changes the version it reports,
    // not the one compiled into its own signature check.)
}
