//! The store's index, in sled: which releases exist and who owns each name.
//!
//! Three trees, always written together in one transaction:
//! - `releases`: `name@version` → the signed manifest (canonical JSON);
//! - `by_hash`: the 32 hash bytes followed by `name@version` → nothing, so
//!   the releases of a blob are one prefix scan (a blob may be released
//!   under several names);
//! - `owners`: `name` → the 32 bytes of the key that first published it.
//!
//! A fourth tree, `digests` (BLAKE3 → SHA-256 and size), records what the
//! store computed while writing each blob, so a release need not hash the
//! blob twice. It is a cache of facts about immutable bytes: a missing
//! entry (a crash right after the blob was written) is recomputed.
//!
//! A fifth, `transcripts`, files epoch transcripts: root → the BLAKE3 of
//! the blob holding the file. A root names one transcript's records, so an
//! entry, once written, never changes.
//!
//! The transaction is where "one hash per version, forever" and "one
//! publisher per name" are enforced: two publishers racing for the same
//! `name@version` are serialised by sled, and the second sees the first's
//! entry. A publish is durable once [`Index::record`] returns.

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError};

use crate::error::{Error, Result};
use crate::name::Release;
use crate::{ContentHash, Digests, PublicKey, SignedManifest};

/// What [`Index::record`] found.
pub(crate) enum Recorded {
    /// The release is new and now recorded.
    New,
    /// The release already existed: its stored manifest.
    Existing(Vec<u8>),
}

/// The sled trees.
pub(crate) struct Index {
    db: sled::Db,
    releases: sled::Tree,
    by_hash: sled::Tree,
    owners: sled::Tree,
    digests: sled::Tree,
    transcripts: sled::Tree,
}

impl Index {
    /// Opens the index database at `path`.
    pub fn open(path: &std::path::Path) -> Result<Self> {
        let db = sled::Config::new().path(path).open()?;
        Ok(Self {
            releases: db.open_tree("releases")?,
            by_hash: db.open_tree("by_hash")?,
            owners: db.open_tree("owners")?,
            digests: db.open_tree("digests")?,
            transcripts: db.open_tree("transcripts")?,
            db,
        })
    }

    /// The stored manifest of `release`.
    pub fn get(&self, release: &Release) -> Result<Option<Vec<u8>>> {
        Ok(self.releases.get(release.key())?.map(|v| v.to_vec()))
    }

    /// Every stored manifest, in key order.
    pub fn all(&self) -> Result<Vec<Vec<u8>>> {
        self.releases
            .iter()
            .values()
            .map(|v| Ok(v?.to_vec()))
            .collect()
    }

    /// The stored manifests of the releases of blob `hash`.
    pub fn of_hash(&self, hash: &ContentHash) -> Result<Vec<Vec<u8>>> {
        let mut manifests = Vec::new();
        for key in self.by_hash.scan_prefix(hash.as_bytes()).keys() {
            let key = key?;
            if let Some(manifest) = self.releases.get(&key[32..])? {
                manifests.push(manifest.to_vec());
            }
        }
        Ok(manifests)
    }

    /// Records the digests of a blob the store has just written.
    pub fn record_digests(&self, digests: &Digests) -> Result<()> {
        let mut value = [0u8; 40];
        hex::decode_to_slice(&digests.sha256, &mut value[..32])
            .map_err(|e| Error::Index(format!("bad SHA-256 for {}: {e}", digests.blake3)))?;
        value[32..].copy_from_slice(&digests.size.to_be_bytes());
        self.digests.insert(digests.blake3.as_bytes(), &value[..])?;
        Ok(())
    }

    /// Files the transcript with `root` as blob `blob`, durably.
    pub fn record_transcript(&self, root: &ContentHash, blob: &ContentHash) -> Result<()> {
        self.transcripts.insert(root.as_bytes(), blob.as_bytes())?;
        self.transcripts.flush()?;
        Ok(())
    }

    /// The blob holding the transcript with `root`, if it is filed.
    pub fn transcript(&self, root: &ContentHash) -> Result<Option<ContentHash>> {
        let Some(value) = self.transcripts.get(root.as_bytes())? else {
            return Ok(None);
        };
        let bytes = <[u8; 32]>::try_from(value.as_ref())
            .map_err(|_| Error::Index(format!("bad transcript record for {root}")))?;
        Ok(Some(ContentHash::from_bytes(bytes)))
    }

    /// The digests recorded for blob `hash`, if any.
    pub fn digests(&self, hash: &ContentHash) -> Result<Option<Digests>> {
        let Some(value) = self.digests.get(hash.as_bytes())? else {
            return Ok(None);
        };
        let size = <[u8; 8]>::try_from(value.get(32..40).unwrap_or_default())
            .map_err(|_| Error::Index(format!("bad digest record for {hash}")))?;
        Ok(Some(Digests {
            blake3: *hash,
            sha256: hex::encode(&value[..32]),
            size: u64::from_be_bytes(size),
        }))
    }

    /// Records `signed` (whose canonical JSON is `json`) unless its release
    /// exists; refuses a name owned by another publisher.
    pub fn record(&self, signed: &SignedManifest, json: &[u8]) -> Result<Recorded> {
        let manifest = signed.manifest();
        let key = manifest.release().key();
        let name = manifest.name.as_str().as_bytes();
        let publisher = manifest.publisher;
        let mut hash_key = manifest.component.blake3.as_bytes().to_vec();
        hash_key.extend_from_slice(&key);
        let outcome = (&self.releases, &self.by_hash, &self.owners).transaction(
            |(releases, by_hash, owners)| {
                if let Some(existing) = releases.get(&key)? {
                    return Ok(Recorded::Existing(existing.to_vec()));
                }
                if let Some(owner) = owners.get(name)? {
                    let owner = <[u8; 32]>::try_from(owner.as_ref()).map_err(|_| {
                        abort(Error::Index(format!(
                            "bad owner record for {}",
                            manifest.name
                        )))
                    })?;
                    if owner != publisher.0 {
                        return Err(abort(Error::NameTaken {
                            name: manifest.name.to_string(),
                            owner: PublicKey(owner),
                            publisher,
                        }));
                    }
                }
                releases.insert(key.as_slice(), json)?;
                by_hash.insert(hash_key.as_slice(), &[])?;
                owners.insert(name, &publisher.0)?;
                Ok(Recorded::New)
            },
        );
        let recorded = outcome.map_err(|e| match e {
            TransactionError::Abort(error) => error,
            TransactionError::Storage(error) => Error::from(error),
        })?;
        if matches!(recorded, Recorded::New) {
            self.db.flush()?;
        }
        Ok(recorded)
    }

    /// Overwrites the stored manifest of `release`, bypassing every rule:
    /// how the tests play an attacker with write access to the disk.
    #[cfg(test)]
    pub fn tamper(&self, release: &Release, json: &[u8]) -> Result<()> {
        self.releases.insert(release.key(), json)?;
        Ok(())
    }
}

fn abort(error: Error) -> ConflictableTransactionError<Error> {
    ConflictableTransactionError::Abort(error)
}
