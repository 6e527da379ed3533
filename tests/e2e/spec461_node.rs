//! A stand-in for a Subtensor node running spec 461, for what no real
//! runtime here can show: CRv4 and the stored epoch schedule exist from
//! spec 4xx on, and the only runtime that runs on this machine (raonet's,
//! under chopsticks) is spec 218 (no 4xx runtime can be built or fetched
//! here; `../shared/subtensor/README.md`).
//!
//! It speaks the node's JSON-RPC over a real WebSocket on loopback, serves
//! the recorded spec-461 metadata and whatever storage a test puts in
//! (keys and values in the runtime's own encoding), and puts each submitted
//! transaction alone in a new block, reporting `inBlock` as a node does.
//! It runs no runtime: nothing is checked or applied, there are no events
//! (so every transaction reads as dispatched), and a test that wants the
//! chain's reaction writes it into storage itself.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use arbiter_host::subtensor::RuntimeMetadata;
use arbiter_host::subtensor::storage;
use arbiter_registry::PublicKey;
use serde_json::{Value, json};
use soketto::handshake::{Server, server::Response};
use subxt::ext::codec::Encode;
use subxt::ext::frame_decode::storage::IntoEncodableValues;
use tokio::net::TcpListener;
use tokio_util::compat::TokioAsyncReadCompatExt;

use crate::support::repo_path;

/// The spec version the stand-in reports.
pub const SPEC_VERSION: u32 = 461;

/// The recorded spec-461 metadata.
pub fn metadata() -> RuntimeMetadata {
    RuntimeMetadata::from_file(&repo_path(
        "tests/fixtures/subtensor/golden_v15_spec461.scale",
    ))
    .unwrap()
}

/// The node's state: its blocks, one storage for all of them, nonces.
#[derive(Default)]
struct State {
    /// Each block's extrinsics; block 0 is genesis.
    blocks: Vec<Vec<Vec<u8>>>,
    storage: BTreeMap<Vec<u8>, Vec<u8>>,
    nonces: HashMap<String, u64>,
}

/// A running stand-in node.
pub struct Spec461Node {
    /// `ws://127.0.0.1:<port>`.
    pub url: String,
    metadata: RuntimeMetadata,
    state: Arc<Mutex<State>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Spec461Node {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The hash of block `number`.
fn block_hash(number: usize) -> [u8; 32] {
    let mut hash = [0x46; 32];
    hash[24..].copy_from_slice(&(number as u64).to_be_bytes());
    hash
}

fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

fn unhex(text: &str) -> Vec<u8> {
    hex::decode(text.trim_start_matches("0x")).unwrap()
}

impl Spec461Node {
    /// Starts serving on a free loopback port, at block `head` (blocks
    /// before it are empty).
    pub async fn start(head: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            blocks: vec![Vec::new(); head + 1],
            ..State::default()
        }));
        let metadata = metadata();
        let served = hex0x(
            &std::fs::read(repo_path(
                "tests/fixtures/subtensor/golden_v15_spec461.scale",
            ))
            .unwrap(),
        );
        let server = tokio::spawn({
            let state = state.clone();
            async move {
                while let Ok((socket, _)) = listener.accept().await {
                    tokio::spawn(serve(socket, state.clone(), served.clone()));
                }
            }
        });
        Self {
            url,
            metadata,
            state,
            server,
        }
    }

    /// Sets `pallet.entry` under `keys` to `value` (SCALE).
    pub fn set(
        &self,
        pallet: &str,
        entry: &str,
        keys: impl IntoEncodableValues,
        value: impl Encode,
    ) {
        let key = storage::key(&self.metadata, pallet, entry, keys).unwrap();
        self.state
            .lock()
            .unwrap()
            .storage
            .insert(key, value.encode());
    }

    /// Removes `pallet.entry` under `keys`.
    pub fn remove(&self, pallet: &str, entry: &str, keys: impl IntoEncodableValues) {
        let key = storage::key(&self.metadata, pallet, entry, keys).unwrap();
        self.state.lock().unwrap().storage.remove(&key);
    }

    /// Sets a `SubtensorModule` entry.
    pub fn set_subtensor(&self, entry: &str, keys: impl IntoEncodableValues, value: impl Encode) {
        self.set("SubtensorModule", entry, keys, value);
    }

    /// Every transaction submitted so far, in order.
    pub fn submitted(&self) -> Vec<Vec<u8>> {
        self.state
            .lock()
            .unwrap()
            .blocks
            .iter()
            .flatten()
            .cloned()
            .collect()
    }

    /// Appends an empty block.
    pub fn new_block(&self) {
        self.state.lock().unwrap().blocks.push(Vec::new());
    }
}

/// Serves one WebSocket connection until it closes.
async fn serve(socket: tokio::net::TcpStream, state: Arc<Mutex<State>>, metadata: String) {
    let mut server = Server::new(socket.compat());
    let Ok(request) = server.receive_request().await else {
        return;
    };
    let key = request.key();
    if server
        .send_response(&Response::Accept {
            key,
            protocol: None,
        })
        .await
        .is_err()
    {
        return;
    }
    let (mut sender, mut receiver) = server.into_builder().finish();
    let mut subscriptions = 0u64;
    loop {
        let mut message = Vec::new();
        if receiver.receive_data(&mut message).await.is_err() {
            return;
        }
        let Ok(request) = serde_json::from_slice::<Value>(&message) else {
            return;
        };
        let (id, method) = (
            request["id"].clone(),
            request["method"].as_str().unwrap_or(""),
        );
        let params = request["params"].as_array().cloned().unwrap_or_default();
        let mut replies = Vec::new();
        if method == "author_submitAndWatchExtrinsic" {
            subscriptions += 1;
            let subscription = format!("watch-{subscriptions}");
            let block = include(&state, unhex(params[0].as_str().unwrap()));
            replies.push(json!({"jsonrpc": "2.0", "id": id, "result": subscription}));
            replies.push(json!({
                "jsonrpc": "2.0",
                "method": "author_extrinsicUpdate",
                "params": {"subscription": subscription, "result": {"inBlock": hex0x(&block_hash(block))}},
            }));
        } else {
            replies.push(match answer(&state, &metadata, method, &params) {
                Some(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
                None => json!({
                    "jsonrpc": "2.0",
                    "id": id,
                    "error": {"code": -32601, "message": format!("the stand-in does not serve {method}")},
                }),
            });
        }
        for reply in replies {
            if sender.send_text(reply.to_string()).await.is_err() || sender.flush().await.is_err() {
                return;
            }
        }
    }
}

/// Puts `extrinsic` alone in a new block, counting its signer's nonce;
/// returns the block's number.
fn include(state: &Mutex<State>, extrinsic: Vec<u8>) -> usize {
    let mut state = state.lock().unwrap();
    // compact length (one byte up to 63, two up to 16383), 0x84, then
    // MultiAddress::Id: 0x00 and the signer's 32 bytes.
    let start = if extrinsic[0] & 0b11 == 0 { 1 } else { 2 } + 2;
    let signer = PublicKey(extrinsic[start..start + 32].try_into().unwrap()).ss58();
    *state.nonces.entry(signer).or_default() += 1;
    state.blocks.push(vec![extrinsic]);
    state.blocks.len() - 1
}

/// The answer to a request other than a subscription; `None` for a
/// method the stand-in does not serve.
fn answer(state: &Mutex<State>, metadata: &str, method: &str, params: &[Value]) -> Option<Value> {
    let state = state.lock().unwrap();
    let best = state.blocks.len() - 1;
    let number_of = |hash: &Value| {
        (0..=best)
            .find(|n| hex0x(&block_hash(*n)) == hash.as_str().unwrap_or(""))
            .unwrap_or(best)
    };
    let header = |n: usize| {
        json!({
            "parentHash": hex0x(&block_hash(n.saturating_sub(1))),
            "number": format!("0x{n:x}"),
            "stateRoot": hex0x(&[0; 32]),
            "extrinsicsRoot": hex0x(&[0; 32]),
            "digest": {"logs": []},
        })
    };
    Some(match method {
        "chain_getBlockHash" => {
            let n = params
                .first()
                .and_then(Value::as_u64)
                .map_or(best, |n| n as usize);
            json!(hex0x(&block_hash(n)))
        }
        "chain_getHeader" => header(number_of(&params[0])),
        "chain_getBlock" => {
            let n = number_of(&params[0]);
            let extrinsics: Vec<String> = state.blocks[n].iter().map(|x| hex0x(x)).collect();
            json!({"block": {"header": header(n), "extrinsics": extrinsics}, "justifications": null})
        }
        "state_getRuntimeVersion" => json!({
            "specName": "node-subtensor",
            "implName": "node-subtensor",
            "authoringVersion": 1,
            "specVersion": SPEC_VERSION,
            "implVersion": 1,
            "apis": [],
            "transactionVersion": 1,
            "stateVersion": 1,
        }),
        "state_getMetadata" => json!(metadata),
        "state_queryStorageAt" => {
            let changes: Vec<Value> = params[0]
                .as_array()
                .unwrap()
                .iter()
                .map(|key| {
                    let value = state.storage.get(&unhex(key.as_str().unwrap()));
                    json!([key, value.map(|v| hex0x(v))])
                })
                .collect();
            json!([{"block": params[1], "changes": changes}])
        }
        "state_getKeysPaged" => {
            let prefix = unhex(params[0].as_str().unwrap());
            let count = params[1].as_u64().unwrap() as usize;
            let after = params[2].as_str().map(unhex);
            let keys: Vec<String> = state
                .storage
                .keys()
                .filter(|k| k.starts_with(&prefix) && after.as_ref().is_none_or(|a| *k > a))
                .take(count)
                .map(|k| hex0x(k))
                .collect();
            json!(keys)
        }
        "system_accountNextIndex" => {
            json!(
                state
                    .nonces
                    .get(params[0].as_str().unwrap())
                    .copied()
                    .unwrap_or(0)
            )
        }
        "author_unwatchExtrinsic" => json!(true),
        _ => return None,
    })
}
