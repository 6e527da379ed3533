//! Submitting a signed transaction to a Subtensor node and learning its
//! fate.
//!
//! A transaction is signed for the runtime at the best block, with the
//! account's next nonce from the node (which counts transactions already in
//! its pool) and a mortal era, so one that never lands stops being valid
//! after [`MORTAL_PERIOD`] blocks instead of haunting the pool. It is sent
//! once: if the connection drops or the wait runs out before it is in a
//! block, the answer is [`ChainError::Unconfirmed`] with its hash, and it
//! is not sent again (it may still land; the account's nonce tells).
//!
//! Once in a block, the block's events tell whether it dispatched: the
//! `System.ExtrinsicFailed` of a refused call is turned into the same typed
//! [`crate::chain::Rule`] the devnet reports ([`super::dispatch`]).

use std::time::Duration;

use arbiter_registry::Keypair;
use subxt::ext::scale_value::{At, Composite, Value, ValueDef};
use subxt::rpcs::rpc_params;
use subxt::transactions::DynamicPayload;

use super::node::{Node, hash_from_hex, to_hex};
use super::storage::Snapshot;
use super::transaction::{Mortality, Signable, SignedTransaction, TransactionParams};
use super::value;
use crate::chain::{ChainError, Result};

/// Blocks a transaction stays valid for (the SDK's default era is 64
/// blocks too).
pub const MORTAL_PERIOD: u64 = 64;

/// How long to wait for a transaction to be in a block by default (a few
/// 12-second blocks).
pub const INCLUSION_TIMEOUT: Duration = Duration::from_secs(60);

/// A transaction in a block, and what it did.
#[derive(Debug, Clone)]
pub struct Included {
    /// The block's hash.
    pub block_hash: [u8; 32],
    /// The block's number.
    pub block_number: u64,
    /// The transaction's hash.
    pub tx_hash: [u8; 32],
    /// `Pallet.Event` names of the events it emitted, in order.
    pub events: Vec<String>,
    /// The dispatch error, if the call failed: `(pallet, error)`.
    pub failure: Option<(String, String)>,
}

/// Signs `call` with `key` for the runtime at the best block, with the
/// account's next nonce (or `nonce`, if given), and submits it.
pub async fn sign_and_submit(
    node: &Node,
    key: &Keypair,
    call: DynamicPayload<Composite<()>>,
    nonce: Option<u64>,
    wait: Duration,
) -> Result<Included> {
    let signed = sign(node, key, call, nonce).await?;
    submit(node, &signed, wait).await
}

/// Signs `call` with `key` for the runtime at the best block.
pub async fn sign(
    node: &Node,
    key: &Keypair,
    call: DynamicPayload<Composite<()>>,
    nonce: Option<u64>,
) -> Result<SignedTransaction> {
    let at = Snapshot::best(node).await?;
    let nonce = match nonce {
        Some(nonce) => nonce,
        None => {
            node.request("system_accountNextIndex", rpc_params![key.public().ss58()])
                .await?
        }
    };
    let params = TransactionParams {
        genesis_hash: node.genesis(),
        spec_version: at.runtime.spec_version,
        transaction_version: at.runtime.transaction_version,
        nonce,
        tip: 0,
        mortality: Mortality::Mortal {
            period: MORTAL_PERIOD,
            birth_block: at.number,
            birth_hash: at.hash,
        },
    };
    Signable::new(&at.runtime.metadata, call, params)
        .sign(key)
        .map_err(|e| ChainError::InvalidRequest {
            reason: e.to_string(),
        })
}

/// Submits `signed` once and waits up to `wait` for it to be in a block.
pub async fn submit(node: &Node, signed: &SignedTransaction, wait: Duration) -> Result<Included> {
    let tx_hash = signed.hash;
    let unconfirmed = |reason: String| ChainError::Unconfirmed { tx_hash, reason };
    // A request that timed out or lost its connection may have reached the
    // node: its fate is unknown from here on.
    let mut watch = node
        .subscribe::<serde_json::Value>(
            "author_submitAndWatchExtrinsic",
            rpc_params![to_hex(&signed.bytes)],
            "author_unwatchExtrinsic",
        )
        .await
        .map_err(|e| match e {
            ChainError::Transport { .. } | ChainError::Timeout { .. } => {
                unconfirmed(format!("sending failed: {e}"))
            }
            other => other,
        })?;
    let deadline = tokio::time::Instant::now() + wait;
    let block_hash = loop {
        let status = match tokio::time::timeout_at(deadline, watch.next()).await {
            Err(_) => {
                return Err(unconfirmed(format!(
                    "not in a block within {} ms",
                    wait.as_millis()
                )));
            }
            Ok(None) => return Err(unconfirmed("the node closed the watch".into())),
            Ok(Some(Err(e))) => return Err(unconfirmed(format!("the connection failed: {e}"))),
            Ok(Some(Ok(status))) => status,
        };
        match in_block(&status, tx_hash)? {
            Some(hash) => break hash,
            None => tracing::debug!(%status, tx = %to_hex(&tx_hash), "transaction status"),
        }
    };
    // In a block: whatever goes wrong reading what it did, it must not be
    // sent again.
    outcome(node, block_hash, tx_hash)
        .await
        .map_err(|e| match e {
            ChainError::Unconfirmed { .. } => e,
            other => unconfirmed(format!(
                "in block {} but its outcome could not be read: {other}",
                to_hex(&block_hash)
            )),
        })
}

/// The block hash of an `inBlock`/`finalized` status, `None` for progress
/// (`ready`, `broadcast`, ...), an error for a status that ends the
/// watch (`invalid`, `usurped`; `dropped` is `Unconfirmed`: it may land).
fn in_block(status: &serde_json::Value, tx_hash: [u8; 32]) -> Result<Option<[u8; 32]>> {
    if let Some(object) = status.as_object() {
        for name in ["inBlock", "finalized"] {
            if let Some(hash) = object.get(name).and_then(|h| h.as_str()) {
                return hash_from_hex(hash).map(Some);
            }
        }
        if object.contains_key("usurped") {
            return Err(ChainError::BadSignature {
                reason: format!(
                    "replaced in the pool by another transaction with its nonce: {status}"
                ),
            });
        }
    }
    match status.as_str() {
        Some("invalid") => Err(ChainError::BadSignature {
            reason: "the pool found the transaction invalid (a stale nonce or an expired era)"
                .into(),
        }),
        // Dropped by this node's full pool, but perhaps already passed on
        // to others: it may still land.
        Some("dropped") => Err(ChainError::Unconfirmed {
            tx_hash,
            reason: "dropped from the node's pool".into(),
        }),
        _ => Ok(None),
    }
}

/// What the transaction `tx_hash` did in block `block_hash`.
async fn outcome(node: &Node, block_hash: [u8; 32], tx_hash: [u8; 32]) -> Result<Included> {
    #[derive(serde::Deserialize)]
    struct SignedBlock {
        block: Block,
    }
    #[derive(serde::Deserialize)]
    struct Block {
        extrinsics: Vec<String>,
    }
    let block: Option<SignedBlock> = node
        .request("chain_getBlock", rpc_params![to_hex(&block_hash)])
        .await?;
    let extrinsics = block.map(|b| b.block.extrinsics).unwrap_or_default();
    let index = extrinsics
        .iter()
        .position(|xt| {
            super::node::from_hex(xt)
                .map(|bytes| sp_hash(&bytes) == tx_hash)
                .unwrap_or(false)
        })
        .ok_or_else(|| ChainError::Unconfirmed {
            tx_hash,
            reason: format!(
                "reported in block {} but not found in it",
                to_hex(&block_hash)
            ),
        })?;
    let number = node.block_number(block_hash).await?;
    let state = Snapshot::at(node, block_hash, number).await?;
    let records = state
        .get("System", "Events", ())
        .await?
        .unwrap_or(Value::unnamed_composite([]).map_context(|_| 0));
    let mut events = Vec::new();
    let mut failure = None;
    for record in
        value::items(&records, "System.Events").map_err(|e| state.unsupported(&e.to_string()))?
    {
        if !applies_to(record, index) {
            continue;
        }
        let Some((pallet, event, fields)) = record.at("event").and_then(event_of) else {
            continue;
        };
        if pallet == "System" && event == "ExtrinsicFailed" {
            // A failure is one even when its error cannot be named.
            failure = Some(
                fields
                    .at("dispatch_error")
                    .and_then(|e| super::dispatch::name(&state.runtime.metadata, e))
                    .unwrap_or_else(|| ("System".into(), "ExtrinsicFailed".into())),
            );
        }
        events.push(format!("{pallet}.{event}"));
    }
    Ok(Included {
        block_hash,
        block_number: number,
        tx_hash,
        events,
        failure,
    })
}

/// Whether an event record's phase is `ApplyExtrinsic(index)`.
fn applies_to(record: &Value<u32>, index: usize) -> bool {
    let Some(ValueDef::Variant(phase)) = record.at("phase").map(|p| &p.value) else {
        return false;
    };
    phase.name == "ApplyExtrinsic"
        && phase
            .values
            .values()
            .next()
            .and_then(|v| v.as_u128())
            .is_some_and(|i| i == index as u128)
}

/// `(pallet, event, fields)` of a `RuntimeEvent` value.
fn event_of(event: &Value<u32>) -> Option<(&str, &str, &Value<u32>)> {
    let ValueDef::Variant(pallet) = &event.value else {
        return None;
    };
    let inner = pallet.values.values().next()?;
    let ValueDef::Variant(variant) = &inner.value else {
        return None;
    };
    Some((pallet.name.as_str(), variant.name.as_str(), inner))
}

/// BLAKE2b-256, the hash of an extrinsic.
fn sp_hash(bytes: &[u8]) -> [u8; 32] {
    use blake2::Digest;
    blake2::Blake2b::<blake2::digest::consts::U32>::digest(bytes).into()
}
