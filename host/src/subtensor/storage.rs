//! A Subtensor runtime's storage, read at one block.
//!
//! Keys are built from the runtime's own hashers and key types (so `u16`
//! encodes into spec 218's `u16` and spec 4xx's `NetUid` alike), values
//! are decoded against the runtime's value types and read by name through
//! [`super::value`], and an absent value reads as the default the runtime
//! declares for it, exactly as the runtime itself would see it. Reads at
//! one block hash see one state, so a metagraph assembled from many
//! entries is consistent even while blocks are being produced.

use std::collections::HashMap;
use std::sync::Arc;

use subxt::ext::frame_decode::storage::{IntoEncodableValues, StorageTypeInfo, encode_storage_key};
use subxt::ext::scale_value::Value;
use subxt::rpcs::rpc_params;

use super::node::{Node, Runtime, from_hex, to_hex};
use super::{RuntimeMetadata, value};
use crate::chain::{ChainError, Result};

/// Keys asked for in one `state_queryStorageAt` request.
const KEYS_PER_REQUEST: usize = 512;

/// Keys listed in one `state_getKeysPaged` request.
const KEYS_PER_PAGE: u32 = 1000;

/// The key of `pallet.entry` under `keys` in the runtime described by
/// `metadata`, built from its own hashers and key types.
pub fn key(
    metadata: &RuntimeMetadata,
    pallet: &str,
    entry: &str,
    keys: impl IntoEncodableValues,
) -> std::result::Result<Vec<u8>, String> {
    let metadata = metadata.subxt();
    encode_storage_key(pallet, entry, keys, metadata, metadata.types())
        .map_err(|e| format!("cannot build a key of {pallet}.{entry}: {e}"))
}

/// A value of runtime `spec_version` that is not shaped as the host reads
/// it.
pub fn unreadable(spec_version: u32, error: super::EncodeError) -> ChainError {
    ChainError::UnsupportedRuntime {
        spec_version,
        reason: error.to_string(),
    }
}

/// One storage read: an entry and a full key of it.
#[derive(Debug, Clone)]
pub struct Read {
    pallet: &'static str,
    entry: &'static str,
    key: Vec<u8>,
}

/// The state at one block.
pub struct Snapshot<'n> {
    node: &'n Node,
    /// The block's hash.
    pub hash: [u8; 32],
    /// The block's number.
    pub number: u64,
    /// The runtime at that block.
    pub runtime: Arc<Runtime>,
}

impl<'n> Snapshot<'n> {
    /// The state at the node's best block.
    pub async fn best(node: &'n Node) -> Result<Self> {
        let hash = node.best_hash().await?;
        // Two questions about one block, asked together.
        let (number, runtime) = tokio::try_join!(node.block_number(hash), node.runtime_at(hash))?;
        Ok(Self {
            node,
            hash,
            number,
            runtime,
        })
    }

    /// The state at block `hash` (number `number`).
    pub async fn at(node: &'n Node, hash: [u8; 32], number: u64) -> Result<Self> {
        let runtime = node.runtime_at(hash).await?;
        Ok(Self {
            node,
            hash,
            number,
            runtime,
        })
    }

    /// The full key of `pallet.entry` under `keys` (or the prefix of the
    /// keys under the first few of them).
    pub fn key(
        &self,
        pallet: &str,
        entry: &str,
        keys: impl IntoEncodableValues,
    ) -> Result<Vec<u8>> {
        key(&self.runtime.metadata, pallet, entry, keys).map_err(|e| self.unsupported(&e))
    }

    /// A read of `pallet.entry` under `keys`, to [`Self::fetch`] with others.
    pub fn read(
        &self,
        pallet: &'static str,
        entry: &'static str,
        keys: impl IntoEncodableValues,
    ) -> Result<Read> {
        Ok(Read {
            pallet,
            entry,
            key: self.key(pallet, entry, keys)?,
        })
    }

    /// Reads of every key of `pallet.entry` under the first of its keys,
    /// `partial` (a map's entries for one subnet, say), listed at this
    /// block page by page.
    pub async fn reads_under(
        &self,
        pallet: &'static str,
        entry: &'static str,
        partial: impl IntoEncodableValues,
    ) -> Result<Vec<Read>> {
        let prefix = to_hex(&self.key(pallet, entry, partial)?);
        let mut reads = Vec::new();
        loop {
            let start = reads.last().map(|r: &Read| to_hex(&r.key));
            let page: Vec<String> = self
                .node
                .request(
                    "state_getKeysPaged",
                    rpc_params![&prefix, KEYS_PER_PAGE, start, to_hex(&self.hash)],
                )
                .await?;
            let full = page.len() == KEYS_PER_PAGE as usize;
            for key in page {
                reads.push(Read {
                    pallet,
                    entry,
                    key: from_hex(&key)?,
                });
            }
            if !full {
                return Ok(reads);
            }
        }
    }

    /// The values of any reads, in order, in as few requests as
    /// [`KEYS_PER_REQUEST`] allows (`None` only for entries without a
    /// default).
    pub async fn fetch(&self, reads: &[Read]) -> Result<Vec<Option<Value<u32>>>> {
        let keys: Vec<Vec<u8>> = reads.iter().map(|r| r.key.clone()).collect();
        let mut raw = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(KEYS_PER_REQUEST) {
            raw.extend(self.query(chunk).await?);
        }
        reads
            .iter()
            .map(|r| self.decode(r.pallet, r.entry, raw.get(&r.key).cloned().flatten()))
            .collect()
    }

    /// One value (`None` only for entries without a default).
    pub async fn get(
        &self,
        pallet: &'static str,
        entry: &'static str,
        keys: impl IntoEncodableValues,
    ) -> Result<Option<Value<u32>>> {
        let read = self.read(pallet, entry, keys)?;
        Ok(self.fetch(&[read]).await?.pop().flatten())
    }

    /// Whether the runtime has storage `pallet.entry`.
    pub fn has(&self, pallet: &str, entry: &str) -> bool {
        self.runtime.has_storage(pallet, entry)
    }

    /// Raw values of `keys` at this block, in one request.
    async fn query(&self, keys: &[Vec<u8>]) -> Result<HashMap<Vec<u8>, Option<Vec<u8>>>> {
        #[derive(serde::Deserialize)]
        struct ChangeSet {
            changes: Vec<(String, Option<String>)>,
        }
        let hex_keys: Vec<String> = keys.iter().map(|k| to_hex(k)).collect();
        let sets: Vec<ChangeSet> = self
            .node
            .request(
                "state_queryStorageAt",
                rpc_params![hex_keys, to_hex(&self.hash)],
            )
            .await?;
        let mut values = HashMap::with_capacity(keys.len());
        for (key, value) in sets.into_iter().flat_map(|s| s.changes) {
            values.insert(from_hex(&key)?, value.as_deref().map(from_hex).transpose()?);
        }
        Ok(values)
    }

    /// A raw value decoded as `pallet.entry`'s type, or its default.
    fn decode(
        &self,
        pallet: &str,
        entry: &str,
        raw: Option<Vec<u8>>,
    ) -> Result<Option<Value<u32>>> {
        let metadata = &self.runtime.metadata;
        let info = metadata
            .subxt()
            .storage_info(pallet, entry)
            .map_err(|e| self.unsupported(&e.to_string()))?;
        let Some(bytes) = raw.or_else(|| info.default_value.map(|d| d.into_owned())) else {
            return Ok(None);
        };
        value::decode(
            metadata,
            info.value_id,
            &bytes,
            &format!("{pallet}.{entry}"),
        )
        .map(Some)
        .map_err(|e| self.unsupported(&e.to_string()))
    }

    /// A value read here that is not shaped as the host reads it.
    pub fn unreadable(&self, error: super::EncodeError) -> ChainError {
        unreadable(self.runtime.spec_version, error)
    }

    /// The runtime's storage is not shaped as the host reads it.
    pub fn unsupported(&self, reason: &str) -> ChainError {
        ChainError::UnsupportedRuntime {
            spec_version: self.runtime.spec_version,
            reason: reason.to_string(),
        }
    }
}
