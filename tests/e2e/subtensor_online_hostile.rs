//! The online backend when things go wrong, against the real runtime
//! (chopsticks): an unreachable node, a connection dropped while a
//! transaction is in flight, transactions the pool rejects (bad proof,
//! wrong genesis, stale nonce), calls the runtime refuses (rate limit,
//! version key, not registered, no such subnet, weight vectors with a
//! duplicate or unknown uid, too few or too many weights, one too heavy),
//! hotkeys replaced between
//! reads, and a commitment too large to send. Each is a typed error, and
//! nothing is sent twice.

use std::time::Duration;

use arbiter_host::chain::{Chain, ChainError, Rule, WeightsCall};
use arbiter_host::subtensor::storage::Snapshot;
use arbiter_host::subtensor::submit::{self, sign};
use arbiter_host::subtensor::transaction::{Signable, SignedTransaction, TransactionParams};
use arbiter_host::subtensor::{Subtensor, SubtensorCall};
use serde_json::Value;
use subxt::ext::codec::{Compact, Decode};
use subxt::rpcs::rpc_params;

use crate::chopsticks::{Chopsticks, Proxy, TestSubnet, create_subnet, key, new_blocks, set_value};

async fn connect(url: &str) -> Subtensor {
    Subtensor::connect(url)
        .await
        .unwrap()
        .with_inclusion_timeout(Duration::from_secs(30))
}

fn weights(subnet: &TestSubnet) -> WeightsCall {
    WeightsCall {
        netuid: subnet.netuid,
        mechid: 0,
        uids: vec![1],
        values: vec![65_535],
        version_key: 0,
    }
}

/// The validator's `set_weights`, as a payload.
fn set_weights_payload(
    call: &WeightsCall,
) -> subxt::transactions::DynamicPayload<subxt::ext::scale_value::Composite<()>> {
    SubtensorCall::SetWeights {
        netuid: call.netuid,
        uids: call.uids.clone(),
        values: call.values.clone(),
        version_key: call.version_key,
    }
    .payload()
    .unwrap()
}

/// The validator's `set_weights` of `call`, signed for the best block with
/// the account's next nonce or `nonce`.
async fn signed_weights(
    chain: &Subtensor,
    subnet: &TestSubnet,
    call: &WeightsCall,
    nonce: Option<u64>,
) -> SignedTransaction {
    sign(
        chain.node(),
        &subnet.validator,
        set_weights_payload(call),
        nonce,
    )
    .await
    .unwrap()
}

/// Submits `signed` and expects the pool to refuse it with `why`
/// (`badProof`, `stale`).
async fn rejected(chain: &Subtensor, signed: &SignedTransaction, why: &str) {
    let error = submit::submit(chain.node(), signed, Duration::from_secs(30))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ChainError::BadSignature { reason } if reason.contains(why)),
        "{error:?}"
    );
}

async fn nonce(chain: &Subtensor, who: &arbiter_registry::Keypair) -> u64 {
    chain
        .node()
        .request("system_accountNextIndex", rpc_params![who.public().ss58()])
        .await
        .unwrap()
}

#[tokio::test]
async fn an_unreachable_node_is_a_transport_error() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}", closed.local_addr().unwrap());
    drop(closed);
    let error = Subtensor::connect(&url).await.unwrap_err();
    assert!(matches!(error, ChainError::Transport { .. }), "{error:?}");
    assert!(error.is_transient());
    let error = Subtensor::connect("http://127.0.0.1:9944")
        .await
        .unwrap_err();
    assert!(
        matches!(error, ChainError::InvalidRequest { .. }),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_rejects_bad_proofs_wrong_genesis_and_stale_nonces() {
    let node = Chopsticks::start();
    let chain = connect(&node.url).await;
    let subnet = create_subnet(&chain, 1).await;
    let call = weights(&subnet);

    // One byte of the signature flipped: `badProof`, nothing stored.
    let mut tampered = signed_weights(&chain, &subnet, &call, None).await;
    // compact(length) ‖ 0x84 ‖ MultiAddress::Id(32 bytes) ‖ 0x01 ‖ signature
    let mut rest = &tampered.bytes[..];
    Compact::<u32>::decode(&mut rest).unwrap();
    let signature_byte = tampered.bytes.len() - rest.len() + 1 + 33 + 1 + 10;
    let nonce_before = nonce(&chain, &subnet.validator).await;
    tampered.bytes[signature_byte] ^= 1;
    rejected(&chain, &tampered, "badProof").await;

    // Signed for another chain (genesis hash of zeros): `badProof` too.
    let state = Snapshot::best(chain.node()).await.unwrap();
    let params = TransactionParams {
        genesis_hash: [0; 32],
        spec_version: state.runtime.spec_version,
        transaction_version: state.runtime.transaction_version,
        nonce: nonce_before,
        ..TransactionParams::default()
    };
    let foreign = Signable::new(&state.runtime.metadata, set_weights_payload(&call), params)
        .sign(&subnet.validator)
        .unwrap();
    rejected(&chain, &foreign, "badProof").await;
    assert_eq!(nonce(&chain, &subnet.validator).await, nonce_before);
    assert!(chain.weights(subnet.netuid, 0, 0).await.unwrap().is_empty());

    // A good one lands; sending its bytes again, or signing with its
    // nonce, is `stale`.
    let good = signed_weights(&chain, &subnet, &call, None).await;
    let included = submit::submit(chain.node(), &good, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(included.failure, None);
    assert!(
        included
            .events
            .contains(&"SubtensorModule.WeightsSet".to_string())
    );
    rejected(&chain, &good, "stale").await;
    let reused = signed_weights(&chain, &subnet, &call, Some(nonce_before)).await;
    rejected(&chain, &reused, "stale").await;
    assert_eq!(nonce(&chain, &subnet.validator).await, nonce_before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_come_back_as_the_devnets_rules() {
    let node = Chopsticks::start();
    let chain = connect(&node.url).await;
    let subnet = create_subnet(&chain, 1).await;
    let netuid = subnet.netuid;
    let call = weights(&subnet);

    // Rate limit: the second call says how long to wait.
    let first = chain.set_weights(&subnet.validator, &call).await.unwrap();
    set_value(&chain, "WeightsSetRateLimit", (netuid,), 100u64).await;
    let second = chain.set_weights(&subnet.validator, &call).await;
    assert_eq!(
        second,
        Err(ChainError::Rule(Rule::SettingWeightsTooFast {
            retry_in_blocks: 100 - 1
        }))
    );
    assert_eq!(
        chain.metagraph(netuid).await.unwrap().neurons[0].last_update,
        first.block
    );
    set_value(&chain, "WeightsSetRateLimit", (netuid,), 0u64).await;

    // The subnet's version key.
    set_value(&chain, "WeightsVersionKey", (netuid,), 5u64).await;
    assert_eq!(
        chain.set_weights(&subnet.validator, &call).await,
        Err(ChainError::Rule(Rule::IncorrectWeightVersionKey {
            given: 0,
            required: 5
        }))
    );
    let current = WeightsCall {
        version_key: 5,
        ..call.clone()
    };

    // A hotkey that is not registered.
    let stranger = key("stranger");
    assert_eq!(
        chain.set_weights(&stranger, &current).await,
        Err(ChainError::Rule(Rule::HotKeyNotRegisteredInSubNet {
            hotkey: stranger.public().ss58(),
            netuid
        }))
    );

    // A subnet that does not exist.
    assert_eq!(
        chain.metagraph(999).await,
        Err(ChainError::NoSuchSubnet { netuid: 999 })
    );

    // Too large a commitment is refused before anything is signed.
    let before = nonce(&chain, &subnet.validator).await;
    assert_eq!(
        chain
            .set_commitment(&subnet.validator, netuid, &[7; 129])
            .await,
        Err(ChainError::Rule(Rule::CommitmentTooLarge { len: 129 }))
    );
    assert_eq!(nonce(&chain, &subnet.validator).await, before);
    assert_eq!(
        chain.commitment(netuid, &subnet.validator.public()).await,
        Ok(None)
    );
}

/// Weight vectors the runtime refuses, each for one reason, come back
/// with the uid or the limit that refused them, read from the chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_weight_vectors_name_the_uid_or_the_limit() {
    let node = Chopsticks::start();
    let chain = connect(&node.url).await;
    let subnet = create_subnet(&chain, 2).await;
    let netuid = subnet.netuid;
    let refusal = |uids: &[u16], values: &[u16]| {
        let call = WeightsCall {
            netuid,
            mechid: 0,
            uids: uids.to_vec(),
            values: values.to_vec(),
            version_key: 0,
        };
        let (chain, validator) = (&chain, &subnet.validator);
        async move { chain.set_weights(validator, &call).await.unwrap_err() }
    };
    let rule = |rule| ChainError::Rule(rule);

    assert_eq!(
        refusal(&[1, 2, 1], &[1, 1, 1]).await,
        rule(Rule::DuplicateUids { uid: 1 })
    );
    assert_eq!(
        refusal(&[1, 9], &[1, 1]).await,
        rule(Rule::UidVecContainInvalidOne { uid: 9 })
    );
    assert_eq!(
        refusal(&[0, 1, 2, 3], &[1, 1, 1, 1]).await,
        rule(Rule::UidsLengthExceedUidsInSubNet {
            given: 4,
            subnet_n: 3
        })
    );
    set_value(&chain, "MinAllowedWeights", (netuid,), 3u16).await;
    assert_eq!(
        refusal(&[1], &[1]).await,
        rule(Rule::WeightVecLengthIsLow {
            given: 1,
            required: 3
        })
    );
    set_value(&chain, "MinAllowedWeights", (netuid,), 1u16).await;
    set_value(&chain, "MaxWeightsLimit", (netuid,), 30_000u16).await;
    assert_eq!(
        refusal(&[1, 2], &[65_535, 1]).await,
        rule(Rule::MaxWeightExceeded { limit: 30_000 })
    );
    assert!(
        chain.weights(netuid, 0, 0).await.unwrap().is_empty(),
        "a refused vector was stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_mid_submit_is_unconfirmed_and_not_sent_again() {
    let node = Chopsticks::start();
    let direct = connect(&node.url).await;
    let subnet = create_subnet(&direct, 1).await;
    // Blocks only when asked from now on: the transaction waits in the
    // pool while the connection that sent it is cut.
    let _: Value = direct
        .node()
        .request("dev_setBlockBuildMode", rpc_params!["Manual"])
        .await
        .unwrap();
    let proxy = Proxy::start(&node.url).await;
    let chain = connect(&proxy.url).await;
    let before = nonce(&direct, &subnet.validator).await;

    let call = weights(&subnet);
    let sending = tokio::spawn({
        let validator = subnet.validator.clone();
        async move { chain.set_weights(&validator, &call).await.map(|_| chain) }
    });
    // Once the transaction is in the pool, the network fails.
    loop {
        let pending: Vec<String> = direct
            .node()
            .request("author_pendingExtrinsics", rpc_params![])
            .await
            .unwrap();
        if !pending.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    proxy.cut();
    let error = sending.await.unwrap().unwrap_err();
    assert!(matches!(error, ChainError::Unconfirmed { .. }), "{error:?}");
    assert!(!error.is_transient(), "an unconfirmed call is not retried");

    // The one transaction lands once; nothing else was sent.
    new_blocks(&direct, 1).await;
    assert_eq!(nonce(&direct, &subnet.validator).await, before + 1);
    assert_eq!(
        direct.weights(subnet.netuid, 0, 0).await.unwrap(),
        [(1, 65_535)]
    );
    let pending: Vec<String> = direct
        .node()
        .request("author_pendingExtrinsics", rpc_params![])
        .await
        .unwrap();
    assert!(pending.is_empty(), "{pending:?}");

    // The backend dials again on its next call.
    let again = connect(&proxy.url).await;
    assert!(again.head().await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_uid_whose_hotkey_changes_between_reads_is_reported_with_the_new_one() {
    let node = Chopsticks::start();
    let chain = connect(&node.url).await;
    let subnet = create_subnet(&chain, 2).await;
    let netuid = subnet.netuid;
    let before = chain.metagraph(netuid).await.unwrap();
    assert_eq!(before.neurons[2].hotkey, subnet.miners[1].public());

    // uid 2 is taken over by a new hotkey (as a deregistration and a
    // registration would do), in one block.
    let newcomer = key("newcomer");
    set_value(&chain, "Keys", (netuid, 2u16), newcomer.public().0).await;
    set_value(&chain, "Uids", (netuid, newcomer.public().0), 2u16).await;
    new_blocks(&chain, 1).await;

    let after = chain.metagraph(netuid).await.unwrap();
    assert_eq!(after.neurons.len(), before.neurons.len());
    assert_eq!(after.neurons[2].hotkey, newcomer.public());
    assert_eq!(after.uid_of(&subnet.miners[1].public()), None);
    assert_eq!(after.uid_of(&newcomer.public()), Some(2));
    assert!(after.block.number > before.block.number);
}
