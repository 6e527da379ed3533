//! The local store: blobs named by hash, releases in an index, all under
//! one directory.
//!
//! ```text
//! <store>/lock      held (an OS file lock) by the one process using the store
//! <store>/blobs/    one file per blob, named by its BLAKE3 in hex (see `blobs`)
//! <store>/index/    the sled database of releases (see `index`)
//! ```
//!
//! Publishing is two steps. [`Store::writer`] (or [`Store::put`]) stores the
//! bytes as a blob; [`Store::release`] then checks a signed manifest
//! against the stored blob (hashes, size, the host's admission, the world)
//! and records it in one index transaction. A crash between the two leaves
//! a blob that no release names: harmless, reused by the next publish of
//! the same bytes, and never a half-recorded release.
//!
//! Nothing is trusted on the way out either: blobs are re-hashed on every
//! read, and stored manifests re-verified against their signatures.

mod blobs;
mod index;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions};
use serde::Serialize;

use crate::admission::Admission;
use crate::error::{Error, Result};
use crate::name::Release;
use crate::{ContentHash, Digests, SignedManifest, sha256_hex};
use blobs::{BlobDir, BlobWriter};
use index::{Index, Recorded};

/// The largest blob a store accepts by default: the host's largest
/// admissible component (Python components are about 18 MB).
pub const DEFAULT_MAX_BLOB_BYTES: u64 = 64 << 20;

/// How long opening a store waits for another process to let go of it: a
/// concurrent `arbiter publish` finishes well within this.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How to open a [`Store`].
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// The largest blob accepted ([`DEFAULT_MAX_BLOB_BYTES`]).
    pub max_blob_bytes: u64,
    /// How long to wait for another process ([`DEFAULT_BUSY_TIMEOUT`]).
    pub busy_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_blob_bytes: DEFAULT_MAX_BLOB_BYTES,
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
        }
    }
}

/// What a publish did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "manifest", rename_all = "snake_case")]
pub enum Released {
    /// A new release, with this manifest.
    Published(SignedManifest),
    /// The release already had these bytes: nothing changed; the manifest
    /// is the one stored first.
    Unchanged(SignedManifest),
}

impl Released {
    /// The release's manifest.
    pub fn manifest(&self) -> &SignedManifest {
        match self {
            Self::Published(m) | Self::Unchanged(m) => m,
        }
    }
}

/// A local registry store. Cheap to clone; one process at a time.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    blobs: BlobDir,
    index: Index,
    max_blob_bytes: u64,
    /// Held for the life of the store.
    _lock: std::fs::File,
}

impl Store {
    /// Opens the store in `path`, creating it if needed.
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_with(path, &StoreOptions::default())
    }

    /// Opens the store in `path` with `options`.
    pub fn open_with(path: &Path, options: &StoreOptions) -> Result<Self> {
        let io = |what: &str| Error::io(format!("cannot {what} the store {}", path.display()));
        Dir::create_ambient_dir_all(path, ambient_authority()).map_err(io("create"))?;
        let root = Dir::open_ambient_dir(path, ambient_authority()).map_err(io("open"))?;
        let lock = lock(&root, path, options.busy_timeout)?;
        let blobs = BlobDir::open(&root, path)?;
        let index = Index::open(&path.join("index"))?;
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                blobs,
                index,
                max_blob_bytes: options.max_blob_bytes,
                _lock: lock,
            }),
        })
    }

    /// The store's directory.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The largest blob it accepts.
    pub fn max_blob_bytes(&self) -> u64 {
        self.inner.max_blob_bytes
    }

    /// A writer for a new blob.
    pub fn writer(&self) -> Result<Upload> {
        Ok(Upload {
            blob: self.inner.blobs.writer(self.inner.max_blob_bytes)?,
            store: self.clone(),
        })
    }

    /// Stores everything `reader` gives as a blob.
    pub fn put(&self, reader: impl std::io::Read) -> Result<Digests> {
        let mut upload = self.writer()?;
        upload.blob.write_from(reader)?;
        upload.finish()
    }

    /// The verified bytes of blob `hash`.
    pub fn read(&self, hash: &ContentHash) -> Result<Vec<u8>> {
        self.inner.blobs.read(hash)
    }

    /// Verifies blob `hash` and opens it for streaming: its size and file.
    pub fn open_verified(&self, hash: &ContentHash) -> Result<(u64, std::fs::File)> {
        let size = self.inner.blobs.verify(hash)?;
        Ok((size, self.inner.blobs.file(hash)?))
    }

    /// Publishes `signed`: its blob must be stored, match the manifest and
    /// pass `admission`; then the release is recorded, unless it exists.
    pub fn release(&self, signed: SignedManifest, admission: &dyn Admission) -> Result<Released> {
        let manifest = signed.manifest();
        let release = manifest.release();
        if let Some(existing) = self.inner.index.get(&release)? {
            return self.unchanged_or_conflict(&existing, &signed);
        }
        let component = &manifest.component;
        // Admission compiles the component while the store re-hashes it.
        let (bytes, admitted) = self.inner.blobs.read_with(&component.blake3, |bytes| {
            admission.admit(bytes, &manifest.limits)
        })?;
        check("size", component.size.to_string(), bytes.len().to_string())?;
        let sha256 = match self.inner.index.digests(&component.blake3)? {
            Some(recorded) if recorded.size == component.size => recorded.sha256,
            _ => sha256_hex(&bytes),
        };
        check("sha256", component.sha256.clone(), sha256)?;
        let admitted = admitted.map_err(|reason| Error::Refused { reason })?;
        check("world", manifest.world.clone(), admitted.world)?;
        match self.inner.index.record(&signed, &signed.to_json()?)? {
            Recorded::New => {
                tracing::info!(%release, hash = %component.blake3, "published");
                Ok(Released::Published(signed))
            }
            Recorded::Existing(existing) => self.unchanged_or_conflict(&existing, &signed),
        }
    }

    /// Files an epoch transcript under the root `admission` reads from its
    /// bytes (so it cannot be filed under another transcript's root).
    /// Filing the same transcript again changes nothing.
    pub fn put_transcript(
        &self,
        bytes: &[u8],
        admission: &dyn Admission,
    ) -> Result<FiledTranscript> {
        let root = admission
            .transcript_root(bytes)
            .map_err(|reason| Error::Refused { reason })?;
        let root = ContentHash::from_bytes(root);
        let blob = self.put(bytes)?;
        self.inner.index.record_transcript(&root, &blob.blake3)?;
        tracing::info!(%root, "transcript filed");
        Ok(FiledTranscript { root, blob })
    }

    /// The verified bytes of the transcript filed under `root`.
    pub fn transcript(&self, root: &ContentHash) -> Result<Vec<u8>> {
        let blob = self
            .inner
            .index
            .transcript(root)?
            .ok_or_else(|| Error::NotFound {
                what: format!("transcript {root}"),
                location: self.location(),
            })?;
        self.read(&blob)
    }

    /// The verified manifest of `release`.
    pub fn manifest(&self, release: &Release) -> Result<SignedManifest> {
        let json = self
            .inner
            .index
            .get(release)?
            .ok_or_else(|| Error::NotFound {
                what: release.to_string(),
                location: self.location(),
            })?;
        SignedManifest::from_json(&json)
    }

    /// The verified manifests of every release of blob `hash`.
    pub fn manifests_of(&self, hash: &ContentHash) -> Result<Vec<SignedManifest>> {
        self.verify_all(self.inner.index.of_hash(hash)?)
    }

    /// Every release's verified manifest, by name then version.
    pub fn list(&self) -> Result<Vec<SignedManifest>> {
        let mut manifests = self.verify_all(self.inner.index.all()?)?;
        manifests.sort_by(|a, b| {
            let (a, b) = (a.manifest(), b.manifest());
            (&a.name, &a.version).cmp(&(&b.name, &b.version))
        });
        Ok(manifests)
    }

    fn verify_all(&self, jsons: Vec<Vec<u8>>) -> Result<Vec<SignedManifest>> {
        jsons.iter().map(|j| SignedManifest::from_json(j)).collect()
    }

    fn unchanged_or_conflict(&self, existing: &[u8], signed: &SignedManifest) -> Result<Released> {
        let existing = SignedManifest::from_json(existing)?;
        let (old, new) = (
            &existing.manifest().component.blake3,
            &signed.manifest().component.blake3,
        );
        if old == new {
            Ok(Released::Unchanged(existing))
        } else {
            Err(Error::Conflict {
                release: signed.manifest().release().to_string(),
                existing: *old,
                attempted: *new,
            })
        }
    }

    fn location(&self) -> String {
        format!("the store {}", self.inner.path.display())
    }

    /// Overwrites the stored manifest of `release`, bypassing every rule:
    /// the tests' attacker with write access to the disk.
    #[cfg(test)]
    pub(crate) fn tamper(&self, release: &Release, json: &[u8]) -> Result<()> {
        self.inner.index.tamper(release, json)
    }
}

/// A transcript as filed: its root and the blob holding it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FiledTranscript {
    /// The root its records chain to.
    pub root: ContentHash,
    /// The blob holding the file.
    pub blob: Digests,
}

/// A blob being stored: [`Upload::write`] its bytes, then
/// [`Upload::finish`]. Dropped unfinished, it leaves nothing behind.
pub struct Upload {
    blob: BlobWriter,
    store: Store,
}

impl Upload {
    /// Appends `chunk`; refuses it past the store's size limit.
    pub fn write(&mut self, chunk: bytes::Bytes) -> Result<()> {
        self.blob.write(chunk)
    }

    /// Makes the blob durable under its hash; its digests.
    pub fn finish(self) -> Result<Digests> {
        let digests = self.blob.finish()?;
        self.store.inner.index.record_digests(&digests)?;
        Ok(digests)
    }
}

/// Refuses a component whose `field` differs from its manifest's.
fn check(field: &'static str, expected: String, actual: String) -> Result<()> {
    if expected == actual {
        Ok(())
    } else {
        Err(Error::Mismatch {
            field,
            expected,
            actual,
        })
    }
}

/// Takes the store's lock file, waiting up to `timeout` for another process.
fn lock(root: &Dir, path: &Path, timeout: Duration) -> Result<std::fs::File> {
    let file = root
        .open_with(
            "lock",
            OpenOptions::new().write(true).create(true).truncate(false),
        )
        .map_err(Error::io(format!(
            "cannot open the lock of {}",
            path.display()
        )))?
        .into_std();
    let deadline = Instant::now() + timeout;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::Busy {
                    path: path.to_path_buf(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::io(format!("cannot lock {}", path.display()))(e));
            }
        }
    }
}

#[cfg(test)]
mod tests;
