//! The blob files: one file per blob in `<store>/blobs/`, named by the 64
//! hex digits of its BLAKE3, reached only through a cap-std directory
//! handle (so no name can point outside it, whatever it contains).
//!
//! A blob is written to a temporary file in the same directory, fsynced,
//! renamed to its hash, and the directory fsynced: a crash leaves either no
//! blob or the whole blob (plus, perhaps, a temporary file, removed when the
//! store is next opened). Writing a blob that exists replaces it with the
//! same bytes, which also repairs a corrupted copy. Every read hashes the
//! bytes again and refuses them, naming the file, if they do not match.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use bytes::Bytes;
use cap_std::fs::{Dir, OpenOptions};

use crate::error::{Error, Result};
use crate::{ContentHash, Digester, Digests};

/// Temporary files start with this; blob names are hex, so never do.
const TEMP_PREFIX: &str = ".tmp-";

/// Read and hash in pieces of this size.
const CHUNK: usize = 1 << 20;

/// The blob directory of a store.
pub(crate) struct BlobDir {
    dir: Arc<Dir>,
    /// The directory's path, for messages only.
    path: PathBuf,
}

impl BlobDir {
    /// Opens (creating it if needed) `blobs/` under `root`, removing the
    /// temporary files a crash left behind. The caller holds the store lock,
    /// so no other writer is using them.
    pub fn open(root: &Dir, root_path: &Path) -> Result<Self> {
        let path = root_path.join("blobs");
        let io = |what: &str| Error::io(format!("cannot {what} {}", path.display()));
        root.create_dir_all("blobs").map_err(io("create"))?;
        let dir = root.open_dir("blobs").map_err(io("open"))?;
        for entry in dir.entries().map_err(io("list"))? {
            let name = entry.map_err(io("list"))?.file_name();
            if name.to_string_lossy().starts_with(TEMP_PREFIX) {
                dir.remove_file(&name).map_err(io("clean"))?;
            }
        }
        Ok(Self {
            dir: Arc::new(dir),
            path,
        })
    }

    /// A writer for a new blob of at most `limit` bytes.
    pub fn writer(&self, limit: u64) -> Result<BlobWriter> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let temp = format!(
            "{TEMP_PREFIX}{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let file = self
            .dir
            .open_with(&temp, OpenOptions::new().write(true).create_new(true))
            .map_err(Error::io(format!(
                "cannot create a file in {}",
                self.path.display()
            )))?
            .into_std();
        Ok(BlobWriter {
            dir: Arc::clone(&self.dir),
            path: self.path.clone(),
            temp: Some(temp),
            file,
            hasher: HashThread::start()?,
            size: 0,
            limit,
        })
    }

    /// The verified bytes of blob `hash`.
    pub fn read(&self, hash: &ContentHash) -> Result<Vec<u8>> {
        let bytes = self.read_unverified(hash)?;
        self.check(hash, ContentHash::of(&bytes), bytes.len() as u64)?;
        Ok(bytes)
    }

    /// The verified bytes of blob `hash`, and what `work` makes of them.
    /// `work` runs while the bytes are being hashed, on another thread, but
    /// its result is returned only if they verify.
    pub fn read_with<T>(
        &self,
        hash: &ContentHash,
        work: impl FnOnce(&[u8]) -> T,
    ) -> Result<(Vec<u8>, T)> {
        let bytes = self.read_unverified(hash)?;
        let (actual, result) = std::thread::scope(|scope| {
            let hashing = scope.spawn(|| ContentHash::of(&bytes));
            let result = work(&bytes);
            (hashing.join(), result)
        });
        let actual = actual.map_err(|_| {
            Error::io(format!("cannot hash {}", self.label(hash)))(std::io::Error::other(
                "the hashing thread stopped",
            ))
        })?;
        self.check(hash, actual, bytes.len() as u64)?;
        Ok((bytes, result))
    }

    fn read_unverified(&self, hash: &ContentHash) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.file(hash)?
            .read_to_end(&mut bytes)
            .map_err(Error::io(format!("cannot read {}", self.label(hash))))?;
        Ok(bytes)
    }

    /// Hashes blob `hash` without keeping it; its size if it verifies.
    pub fn verify(&self, hash: &ContentHash) -> Result<u64> {
        let mut file = self.file(hash)?;
        let mut hasher = blake3::Hasher::new();
        let mut buffer = vec![0u8; CHUNK];
        let mut size = 0u64;
        loop {
            let n = file
                .read(&mut buffer)
                .map_err(Error::io(format!("cannot read {}", self.label(hash))))?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
            size += n as u64;
        }
        self.check(
            hash,
            ContentHash::from_bytes(*hasher.finalize().as_bytes()),
            size,
        )?;
        Ok(size)
    }

    /// The file of blob `hash`, unverified: for streaming right after
    /// [`BlobDir::verify`].
    pub fn file(&self, hash: &ContentHash) -> Result<std::fs::File> {
        match self.dir.open(hash.to_hex()) {
            Ok(file) => Ok(file.into_std()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::NotFound {
                what: format!("blob {hash}"),
                location: self.path.display().to_string(),
            }),
            Err(e) => Err(Error::io(format!("cannot open {}", self.label(hash)))(e)),
        }
    }

    fn check(&self, hash: &ContentHash, actual: ContentHash, size: u64) -> Result<()> {
        if &actual == hash {
            return Ok(());
        }
        Err(Error::Corrupt {
            hash: *hash,
            location: format!("file {}", self.label(hash)),
            detail: format!("its {size} bytes hash to {actual}"),
        })
    }

    /// The path of blob `hash`, for messages.
    fn label(&self, hash: &ContentHash) -> String {
        self.path.join(hash.to_hex()).display().to_string()
    }
}

/// A blob being written. Dropped before [`BlobWriter::finish`], it removes
/// its temporary file.
pub(crate) struct BlobWriter {
    dir: Arc<Dir>,
    path: PathBuf,
    /// The temporary file's name, until it is renamed.
    temp: Option<String>,
    file: std::fs::File,
    hasher: HashThread,
    size: u64,
    limit: u64,
}

impl BlobWriter {
    /// Appends `chunk`; refuses it if the blob would pass its limit.
    pub fn write(&mut self, chunk: Bytes) -> Result<()> {
        let size = self.size + chunk.len() as u64;
        if size > self.limit {
            return Err(Error::TooLarge {
                size,
                limit: self.limit,
            });
        }
        self.size = size;
        self.file.write_all(&chunk).map_err(self.io("write"))?;
        self.hasher.add(chunk)
    }

    /// Copies everything `reader` gives.
    pub fn write_from(&mut self, mut reader: impl Read) -> Result<()> {
        loop {
            let mut chunk = vec![0u8; CHUNK];
            let n = reader
                .read(&mut chunk)
                .map_err(Error::io("cannot read the component"))?;
            if n == 0 {
                return Ok(());
            }
            chunk.truncate(n);
            self.write(Bytes::from(chunk))?;
        }
    }

    /// Makes the blob durable under its hash, and returns its digests.
    pub fn finish(mut self) -> Result<Digests> {
        self.file.sync_all().map_err(self.io("sync"))?;
        let digests = self.hasher.finish()?;
        if let Some(temp) = self.temp.take() {
            self.dir
                .rename(&temp, &self.dir, digests.blake3.to_hex())
                .map_err(self.io("rename"))?;
        }
        // The rename is durable once the directory is: a read-only handle
        // on it can be fsynced (cap-std's own handle cannot, on Linux).
        self.dir
            .open(".")
            .and_then(|d| d.sync_all())
            .map_err(self.io("sync"))?;
        Ok(digests)
    }

    fn io(&self, what: &str) -> impl FnOnce(std::io::Error) -> Error {
        Error::io(format!(
            "cannot {what} a new blob in {}",
            self.path.display()
        ))
    }
}

/// Digests a blob's chunks on a thread of its own, so that hashing (two
/// hashes) overlaps the file writes instead of following them.
struct HashThread {
    chunks: Option<SyncSender<Bytes>>,
    thread: Option<JoinHandle<Digests>>,
}

impl HashThread {
    fn start() -> Result<Self> {
        let (chunks, received) = sync_channel::<Bytes>(8);
        let thread = std::thread::Builder::new()
            .name("blob-digests".into())
            .spawn(move || {
                let mut digester = Digester::default();
                for chunk in received {
                    digester.update(&chunk);
                }
                digester.finish()
            })
            .map_err(Error::io("cannot start a hashing thread"))?;
        Ok(Self {
            chunks: Some(chunks),
            thread: Some(thread),
        })
    }

    fn add(&self, chunk: Bytes) -> Result<()> {
        match &self.chunks {
            Some(chunks) if chunks.send(chunk).is_ok() => Ok(()),
            _ => Err(Self::failed()),
        }
    }

    fn finish(&mut self) -> Result<Digests> {
        drop(self.chunks.take());
        self.thread
            .take()
            .ok_or_else(Self::failed)?
            .join()
            .map_err(|_| Self::failed())
    }

    fn failed() -> Error {
        Error::io("cannot hash a new blob")(std::io::Error::other("the hashing thread stopped"))
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if let Some(temp) = &self.temp {
            let _ = self.dir.remove_file(temp);
        }
    }
}
