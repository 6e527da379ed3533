//! A connection to a Subtensor node: JSON-RPC over WebSocket, every request
//! bounded by a timeout, and the node's runtime tracked across upgrades.
//!
//! Only the legacy RPC methods are used (`chain_*`, `state_*`,
//! `author_*`, `system_*`): every Subtensor node and chopsticks serve them,
//! while the newer `chainHead_v1`/`transactionWatch_v1` families are
//! missing from chopsticks and would hide its rejections.
//!
//! A request that fails for transport reasons drops the connection; the
//! next request dials again, so a node that restarts is picked up without
//! restarting the host. The runtime (spec version, transaction version,
//! metadata) is read again whenever the node reports a new spec version at
//! the block being used, so a runtime upgrade refreshes the metadata rather
//! than failing every call after it.

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use subxt::rpcs::RpcClient;
use subxt::rpcs::client::{RpcParams, RpcSubscription};
use subxt::rpcs::rpc_params;
use tokio::sync::Mutex;

use super::RuntimeMetadata;
use crate::chain::{ChainError, Result};

/// How long one request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A runtime version the host speaks to: its versions and metadata.
#[derive(Debug, Clone)]
pub struct Runtime {
    /// `specVersion`, signed into every transaction.
    pub spec_version: u32,
    /// `transactionVersion`, signed into every transaction.
    pub transaction_version: u32,
    /// Its metadata.
    pub metadata: RuntimeMetadata,
}

/// What a runtime must have for the host to work with it: the calls it
/// submits and the storage it reads.
const REQUIRED_CALLS: &[(&str, &str)] = &[
    ("SubtensorModule", "set_weights"),
    ("SubtensorModule", "commit_weights"),
    ("SubtensorModule", "reveal_weights"),
    ("SubtensorModule", "serve_axon"),
    ("Commitments", "set_commitment"),
];
const REQUIRED_STORAGE: &[(&str, &str)] = &[
    ("System", "Account"),
    ("System", "Events"),
    ("Timestamp", "Now"),
    ("SubtensorModule", "NetworksAdded"),
    ("SubtensorModule", "SubnetworkN"),
    ("SubtensorModule", "Keys"),
    ("SubtensorModule", "Weights"),
    ("SubtensorModule", "WeightCommits"),
    ("Commitments", "CommitmentOf"),
];

impl Runtime {
    /// The runtime described by `metadata`, refused if it lacks anything
    /// the host uses.
    pub fn new(
        spec_version: u32,
        transaction_version: u32,
        metadata: RuntimeMetadata,
    ) -> Result<Self> {
        let unsupported = |reason: String| ChainError::UnsupportedRuntime {
            spec_version,
            reason,
        };
        let runtime = Self {
            spec_version,
            transaction_version,
            metadata,
        };
        for (pallet, call) in REQUIRED_CALLS {
            if !runtime.has_call(pallet, call) {
                return Err(unsupported(format!("no call {pallet}.{call}")));
            }
        }
        for (pallet, entry) in REQUIRED_STORAGE {
            if !runtime.has_storage(pallet, entry) {
                return Err(unsupported(format!("no storage {pallet}.{entry}")));
            }
        }
        Ok(runtime)
    }

    /// Whether the runtime has `pallet.call`.
    pub fn has_call(&self, pallet: &str, call: &str) -> bool {
        self.metadata
            .subxt()
            .pallet_by_name(pallet)
            .and_then(|p| p.call_variant_by_name(call))
            .is_some()
    }

    /// Whether the runtime has storage `pallet.entry`.
    pub fn has_storage(&self, pallet: &str, entry: &str) -> bool {
        self.metadata
            .subxt()
            .pallet_by_name(pallet)
            .and_then(|p| p.storage())
            .and_then(|s| s.entry_by_name(entry))
            .is_some()
    }
}

/// A node, dialled on demand.
pub struct Node {
    url: String,
    client: Mutex<Option<RpcClient>>,
    runtime: Mutex<Arc<Runtime>>,
    genesis: [u8; 32],
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node").field("url", &self.url).finish()
    }
}

/// The fields of `state_getRuntimeVersion`'s answer the host uses.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RuntimeVersion {
    spec_version: u32,
    transaction_version: u32,
}

impl Node {
    /// Connects to the node at `url` (`ws://` or `wss://`) and reads its
    /// genesis hash and current runtime.
    pub async fn connect(url: &str) -> Result<Self> {
        if !crate::chain::is_subtensor(url) {
            return Err(ChainError::InvalidRequest {
                reason: format!("a Subtensor endpoint is ws:// or wss://, not {url}"),
            });
        }
        let client = dial(url).await?;
        let genesis: String = call(&client, "chain_getBlockHash", rpc_params![0u32]).await?;
        let genesis = hash_from_hex(&genesis)?;
        let runtime = fetch_runtime(&client, None).await?;
        Ok(Self {
            url: url.to_string(),
            client: Mutex::new(Some(client)),
            runtime: Mutex::new(Arc::new(runtime)),
            genesis,
        })
    }

    /// The chain's genesis hash (signed into every transaction).
    pub fn genesis(&self) -> [u8; 32] {
        self.genesis
    }

    /// The connection, dialled again if the last one failed.
    async fn client(&self) -> Result<RpcClient> {
        let mut slot = self.client.lock().await;
        if let Some(client) = slot.as_ref() {
            return Ok(client.clone());
        }
        let client = dial(&self.url).await?;
        *slot = Some(client.clone());
        Ok(client)
    }

    /// Passes `result` on, forgetting the connection if it failed in
    /// transport (the next request dials again).
    async fn forget_if_broken<T>(&self, result: Result<T>) -> Result<T> {
        if matches!(
            result,
            Err(ChainError::Transport { .. } | ChainError::Timeout { .. })
        ) {
            *self.client.lock().await = None;
        }
        result
    }

    /// One request, bounded by [`REQUEST_TIMEOUT`].
    pub async fn request<T: DeserializeOwned>(&self, method: &str, params: RpcParams) -> Result<T> {
        let client = self.client().await?;
        self.forget_if_broken(call(&client, method, params).await)
            .await
    }

    /// A subscription (`author_submitAndWatchExtrinsic`, ...).
    pub async fn subscribe<T: DeserializeOwned>(
        &self,
        method: &str,
        params: RpcParams,
        unsubscribe: &str,
    ) -> Result<RpcSubscription<T>> {
        let client = self.client().await?;
        let result = tokio::time::timeout(
            REQUEST_TIMEOUT,
            client.subscribe(method, params, unsubscribe),
        )
        .await
        .map_err(|_| timeout(REQUEST_TIMEOUT))
        .and_then(|r| r.map_err(rpc_error));
        self.forget_if_broken(result).await
    }

    /// The best block's hash.
    pub async fn best_hash(&self) -> Result<[u8; 32]> {
        let hash: String = self.request("chain_getBlockHash", rpc_params![]).await?;
        hash_from_hex(&hash)
    }

    /// The best block's hash and number.
    pub async fn best_block(&self) -> Result<([u8; 32], u64)> {
        let hash = self.best_hash().await?;
        Ok((hash, self.block_number(hash).await?))
    }

    /// The number of the block `hash`.
    pub async fn block_number(&self, hash: [u8; 32]) -> Result<u64> {
        #[derive(serde::Deserialize)]
        struct Header {
            number: String,
        }
        let header: Option<Header> = self
            .request("chain_getHeader", rpc_params![to_hex(&hash)])
            .await?;
        let header = header.ok_or_else(|| ChainError::InvalidRequest {
            reason: format!("the node does not know block {}", to_hex(&hash)),
        })?;
        u64::from_str_radix(header.number.trim_start_matches("0x"), 16)
            .map_err(|e| malformed("a block number", e))
    }

    /// The runtime at block `hash`, its metadata fetched again if its spec
    /// version differs from the last one seen.
    pub async fn runtime_at(&self, hash: [u8; 32]) -> Result<Arc<Runtime>> {
        let version: RuntimeVersion = self
            .request("state_getRuntimeVersion", rpc_params![to_hex(&hash)])
            .await?;
        let current = self.runtime.lock().await.clone();
        if current.spec_version == version.spec_version
            && current.transaction_version == version.transaction_version
        {
            return Ok(current);
        }
        tracing::info!(
            from = current.spec_version,
            to = version.spec_version,
            "runtime upgraded; reading its metadata"
        );
        let client = self.client().await?;
        let runtime = Arc::new(fetch_runtime(&client, Some(hash)).await?);
        *self.runtime.lock().await = runtime.clone();
        Ok(runtime)
    }
}

/// Opens a WebSocket JSON-RPC connection.
async fn dial(url: &str) -> Result<RpcClient> {
    tokio::time::timeout(REQUEST_TIMEOUT, RpcClient::from_insecure_url(url))
        .await
        .map_err(|_| timeout(REQUEST_TIMEOUT))?
        .map_err(|e| ChainError::Transport {
            reason: format!("cannot connect to {url}: {e}"),
        })
}

/// One request on `client`, bounded by [`REQUEST_TIMEOUT`].
async fn call<T: DeserializeOwned>(
    client: &RpcClient,
    method: &str,
    params: RpcParams,
) -> Result<T> {
    tokio::time::timeout(REQUEST_TIMEOUT, client.request(method, params))
        .await
        .map_err(|_| timeout(REQUEST_TIMEOUT))?
        .map_err(rpc_error)
}

/// The runtime at `at` (the best block if `None`), with its metadata.
async fn fetch_runtime(client: &RpcClient, at: Option<[u8; 32]>) -> Result<Runtime> {
    let at = at.map(|h| to_hex(&h));
    let version: RuntimeVersion =
        call(client, "state_getRuntimeVersion", rpc_params![at.clone()]).await?;
    let metadata: String = call(client, "state_getMetadata", rpc_params![at]).await?;
    let metadata = RuntimeMetadata::from_bytes(metadata.as_bytes()).map_err(|e| {
        ChainError::UnsupportedRuntime {
            spec_version: version.spec_version,
            reason: e.to_string(),
        }
    })?;
    Runtime::new(version.spec_version, version.transaction_version, metadata)
}

/// JSON-RPC error codes of a node that may take the request later, or
/// may hold the transaction already: the pool's `1012` (temporarily
/// banned), `1013` (already imported), `1016` (immediately dropped, the
/// pool is full), and `-32603` (internal error).
const NOT_NOW: [i32; 4] = [1012, 1013, 1016, -32603];

/// An RPC failure as a chain error: the node's own refusals keep their
/// words (a transaction pool's `1010 Invalid Transaction` is a bad
/// signature or nonce); a node that cannot take the request now (pool
/// full, already holding or recently seeing the transaction, an internal
/// error) fails like a transport, so that reads are retried and a
/// submission is `Unconfirmed`; anything else is the transport's.
pub fn rpc_error(error: subxt::rpcs::Error) -> ChainError {
    let subxt::rpcs::Error::User(e) = error else {
        return ChainError::Transport {
            reason: error.to_string(),
        };
    };
    let words = match &e.data {
        Some(data) => format!("{}: {}", e.message, data.get()),
        None => e.message.clone(),
    };
    if e.code == 1010 || e.code == 1014 {
        ChainError::BadSignature { reason: words }
    } else if NOT_NOW.contains(&e.code) {
        ChainError::Transport {
            reason: format!("the node cannot take the request now ({}): {words}", e.code),
        }
    } else {
        ChainError::InvalidRequest {
            reason: format!("the node refused the request ({}): {words}", e.code),
        }
    }
}

fn timeout(after: Duration) -> ChainError {
    ChainError::Timeout {
        millis: after.as_millis() as u64,
    }
}

fn malformed(what: &str, error: impl std::fmt::Display) -> ChainError {
    ChainError::Transport {
        reason: format!("the node sent {what} that cannot be read: {error}"),
    }
}

/// `0x`-prefixed hex.
pub fn to_hex(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// `0x`-prefixed hex bytes.
pub fn from_hex(text: &str) -> Result<Vec<u8>> {
    hex::decode(text.trim_start_matches("0x")).map_err(|e| malformed("hex", e))
}

/// A 32-byte hash from `0x`-prefixed hex.
pub fn hash_from_hex(text: &str) -> Result<[u8; 32]> {
    from_hex(text)?
        .try_into()
        .map_err(|_| malformed("a block hash", "not 32 bytes"))
}

#[cfg(test)]
mod tests {
    use subxt::ext::codec::{Decode, Encode};
    use subxt::ext::frame_metadata::{RuntimeMetadata as Versioned, RuntimeMetadataPrefixed};

    use super::*;

    /// Spec 218's metadata, without the pallet `drop`.
    fn spec_218_without(drop: &str) -> RuntimeMetadata {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/subtensor/raonet_v14_spec218.scale"
        );
        let bytes = std::fs::read(path).unwrap();
        let mut prefixed = RuntimeMetadataPrefixed::decode(&mut &bytes[..]).unwrap();
        let Versioned::V14(v14) = &mut prefixed.1 else {
            panic!("spec 218 has V14 metadata");
        };
        v14.pallets.retain(|p| p.name != drop);
        RuntimeMetadata::from_bytes(&prefixed.encode()).unwrap()
    }

    #[test]
    fn a_runtime_without_what_the_host_uses_is_refused_by_name() {
        assert!(Runtime::new(218, 1, spec_218_without("NoSuchPallet")).is_ok());
        let error = Runtime::new(219, 1, spec_218_without("Commitments")).unwrap_err();
        assert_eq!(
            error,
            ChainError::UnsupportedRuntime {
                spec_version: 219,
                reason: "no call Commitments.set_commitment".into()
            }
        );
    }

    #[test]
    fn pool_rejections_are_bad_signatures_busy_nodes_transient_and_other_refusals_keep_their_words()
    {
        let user = |code, data: &str| {
            subxt::rpcs::Error::User(subxt::rpcs::UserError {
                code,
                message: "Invalid Transaction".into(),
                data: Some(serde_json::value::RawValue::from_string(data.into()).unwrap()),
            })
        };
        let error = rpc_error(user(1010, r#"{"invalid":{"badProof":null}}"#));
        assert!(
            matches!(&error, ChainError::BadSignature { reason } if reason.contains("badProof"))
        );
        let error = rpc_error(user(-32601, "null"));
        assert!(
            matches!(error, ChainError::InvalidRequest { .. }),
            "{error:?}"
        );
        // Pool full, already imported, banned a while, internal error: not
        // a refusal of the request itself.
        for code in [1016, 1013, 1012, -32603] {
            let error = rpc_error(user(code, "null"));
            assert!(error.is_transient(), "{code}: {error:?}");
        }
    }
}
