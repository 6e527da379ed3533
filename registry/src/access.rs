//! One interface over a local store and a remote registry, so every
//! command works the same with `--registry <dir>` and `--registry <url>`.
//!
//! Whichever it is, what comes out is verified: manifests by signature
//! (the store and the client both refuse a bad one), blobs by hash (the
//! store re-hashes on read, the client while downloading).

use std::io::Write;
use std::path::Path;

use crate::admission::Admission;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::store::{FiledTranscript, Released, Store, StoreOptions};
use crate::{ContentHash, Digests, Reference, SignedManifest};

/// A registry: a local store or a remote server.
#[derive(Clone)]
pub enum Registry {
    /// A store directory on this machine.
    Local(Store),
    /// A registry server.
    Remote(Client),
}

impl Registry {
    /// Opens `location`: a URL (`http://…`) or a store directory.
    pub fn open(location: &str, options: &StoreOptions) -> Result<Self> {
        if location.contains("://") {
            Client::new(location).map(Self::Remote)
        } else {
            Store::open_with(Path::new(location), options).map(Self::Local)
        }
    }

    /// Where it is, for messages.
    pub fn location(&self) -> String {
        match self {
            Self::Local(store) => store.path().display().to_string(),
            Self::Remote(client) => client.url().to_string(),
        }
    }

    /// Stores the component file at `path` as a blob; its digests.
    pub async fn upload(&self, path: &Path) -> Result<Digests> {
        match self {
            Self::Local(store) => {
                let file = std::fs::File::open(path)
                    .map_err(Error::io(format!("cannot open {}", path.display())))?;
                store.put(file)
            }
            Self::Remote(client) => client.upload(path).await,
        }
    }

    /// Publishes `signed`, whose blob is uploaded. A local store runs
    /// `admission`; a server runs its own.
    pub async fn release(
        &self,
        signed: SignedManifest,
        admission: &dyn Admission,
    ) -> Result<Released> {
        match self {
            Self::Local(store) => store.release(signed, admission),
            Self::Remote(client) => client.release(&signed).await,
        }
    }

    /// Files the epoch transcript `bytes` under its root. A local store
    /// reads the root with `admission`; a server with its own.
    pub async fn put_transcript(
        &self,
        bytes: Vec<u8>,
        admission: &dyn Admission,
    ) -> Result<FiledTranscript> {
        match self {
            Self::Local(store) => store.put_transcript(&bytes, admission),
            Self::Remote(client) => client.put_transcript(bytes).await,
        }
    }

    /// The transcript filed under `root`. A local store verifies its blob;
    /// from a server, the caller must check that it chains to `root`.
    pub async fn transcript(&self, root: &ContentHash) -> Result<Vec<u8>> {
        match self {
            Self::Local(store) => store.transcript(root),
            Self::Remote(client) => client.transcript(root).await,
        }
    }

    /// The verified manifest `reference` points at. A hash may be released
    /// under several names; this is the first by name and version.
    pub async fn resolve(&self, reference: &Reference) -> Result<SignedManifest> {
        match reference {
            Reference::Release(release) => match self {
                Self::Local(store) => store.manifest(release),
                Self::Remote(client) => client.manifest(release).await,
            },
            Reference::Hash(hash) => {
                let mut manifests = self.manifests_of(hash).await?;
                manifests.sort_by(|a, b| {
                    let (a, b) = (a.manifest(), b.manifest());
                    (&a.name, &a.version).cmp(&(&b.name, &b.version))
                });
                manifests.into_iter().next().ok_or_else(|| Error::NotFound {
                    what: format!("a release of {hash}"),
                    location: self.location(),
                })
            }
        }
    }

    /// The verified manifests of the releases of blob `hash`.
    pub async fn manifests_of(&self, hash: &ContentHash) -> Result<Vec<SignedManifest>> {
        match self {
            Self::Local(store) => store.manifests_of(hash),
            Self::Remote(client) => client.manifests_of(hash).await,
        }
    }

    /// Every release's verified manifest, by name then version.
    pub async fn list(&self) -> Result<Vec<SignedManifest>> {
        match self {
            Self::Local(store) => store.list(),
            Self::Remote(client) => client.list().await,
        }
    }

    /// Writes the blob `expected` describes into `out`, verified against
    /// its hash and size. On error, `out` holds garbage.
    pub async fn fetch_into(&self, expected: &Digests, out: &mut impl Write) -> Result<()> {
        match self {
            Self::Local(store) => {
                let bytes = store.read(&expected.blake3)?;
                if bytes.len() as u64 != expected.size {
                    return Err(Error::Mismatch {
                        field: "size",
                        expected: expected.size.to_string(),
                        actual: bytes.len().to_string(),
                    });
                }
                out.write_all(&bytes)
                    .map_err(Error::io("cannot write the component"))
            }
            Self::Remote(client) => client.download(expected, out).await,
        }
    }

    /// The verified bytes of the blob `expected` describes.
    pub async fn fetch(&self, expected: &Digests) -> Result<Vec<u8>> {
        let mut bytes = Vec::with_capacity(usize::try_from(expected.size).unwrap_or(0));
        self.fetch_into(expected, &mut bytes).await?;
        Ok(bytes)
    }

    /// Downloads the blob `expected` describes to the file `out`, verified,
    /// durably, and atomically: `out` is replaced only by the whole, right
    /// bytes.
    pub async fn pull(&self, expected: &Digests, out: &Path) -> Result<()> {
        let dir = match out.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let io = |what: &str| Error::io(format!("cannot {what} {}", out.display()));
        let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(io("write"))?;
        self.fetch_into(expected, temp.as_file_mut()).await?;
        temp.as_file().sync_all().map_err(io("write"))?;
        temp.persist(out).map_err(|e| io("write")(e.error))?;
        Ok(())
    }
}
