//! The on-disk cache of compiled components, so a restart does not
//! recompile (Python and JavaScript components take seconds to compile).
//!
//! An artifact lives at `<dir>/<CACHE_FORMAT>/<engine>/<blake3>.cwasm`: keyed
//! by the component's content hash, the engine's compatibility digest (the
//! wasmtime version, target and every setting that changes code), and this
//! module's format version. The file holds wasmtime's serialised artifact
//! followed by the BLAKE3 of those bytes; the checksum is verified before
//! loading, and a file that fails it is recompiled and replaced. Files are
//! written to a temporary name and renamed, so a crash never leaves half an
//! artifact under a real name. Paths are built only from hex digests.
//!
//! Loading an artifact runs machine code, so it is `unsafe` in wasmtime;
//! this is the one place that does it, and only for files this cache wrote
//! and checksummed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use arbiter_registry::ContentHash;
use wasmtime::Engine;
use wasmtime::component::Component;

/// The cache layout version. Bump it whenever the file format or anything
/// else that makes old artifacts unusable changes.
pub const CACHE_FORMAT: &str = "v1";

/// How a component was obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheUse {
    /// Loaded from a cached artifact.
    Hit,
    /// Compiled, and the artifact stored.
    Compiled,
    /// Compiled; the cached artifact was unusable (the reason says why) and
    /// has been replaced.
    Replaced(String),
    /// Compiled; there is no cache directory, or it could not be written
    /// (the reason says why).
    Uncached(Option<String>),
}

/// Compiled artifacts on disk for one engine.
#[derive(Debug, Clone)]
pub struct CompiledCache {
    dir: Option<PathBuf>,
}

impl CompiledCache {
    /// A cache under `root` (none when `root` is `None`) for `engine`.
    pub fn new(root: Option<&Path>, engine: &Engine) -> Self {
        let dir = root.map(|root| {
            root.join(CACHE_FORMAT)
                .join(super::engine::compatibility_digest(engine))
        });
        Self { dir }
    }

    /// The directory artifacts of this engine go to.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The component with content hash `hash`, from the cache or compiled
    /// from `bytes` (which the caller has hashed to `hash`).
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        hash: &ContentHash,
        bytes: &[u8],
    ) -> wasmtime::Result<(Component, CacheUse)> {
        let Some(dir) = &self.dir else {
            return Ok((Component::new(engine, bytes)?, CacheUse::Uncached(None)));
        };
        let path = dir.join(format!("{}.cwasm", hash.to_hex()));
        let stale = match read_checked(&path) {
            Ok(Some(artifact)) => match deserialize(engine, &artifact) {
                Ok(component) => return Ok((component, CacheUse::Hit)),
                Err(error) => Some(format!("{error}")),
            },
            Ok(None) => None,
            Err(reason) => Some(reason),
        };
        let component = Component::new(engine, bytes)?;
        let stored = component
            .serialize()
            .map_err(|e| e.to_string())
            .and_then(|artifact| write_checked(dir, &path, &artifact).map_err(|e| e.to_string()));
        let used = match (stored, stale) {
            (Err(reason), _) => CacheUse::Uncached(Some(reason)),
            (Ok(()), Some(reason)) => CacheUse::Replaced(reason),
            (Ok(()), None) => CacheUse::Compiled,
        };
        Ok((component, used))
    }
}

/// Length of the checksum trailer.
const CHECKSUM_BYTES: usize = 32;

/// The artifact at `path` if it exists and its checksum holds; `Err` with a
/// reason if it exists but cannot be used.
fn read_checked(path: &Path) -> Result<Option<Vec<u8>>, String> {
    let mut bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(format!("cannot read {}: {error}", path.display())),
    };
    let Some(split) = bytes.len().checked_sub(CHECKSUM_BYTES) else {
        return Err("artifact is truncated".into());
    };
    let (artifact, checksum) = bytes.split_at(split);
    if blake3::hash(artifact).as_bytes() != checksum {
        return Err("artifact checksum does not match".into());
    }
    bytes.truncate(split);
    Ok(Some(bytes))
}

fn write_checked(dir: &Path, path: &Path, artifact: &[u8]) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(artifact)?;
    file.write_all(blake3::hash(artifact).as_bytes())?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[allow(unsafe_code)]
fn deserialize(engine: &Engine, artifact: &[u8]) -> wasmtime::Result<Component> {
    // SAFETY: `artifact` was produced by `Component::serialize` in this
    // module and written with a BLAKE3 checksum that `read_checked` has just
    // verified, so these are bytes wasmtime itself wrote; wasmtime further
    // checks that they were compiled by a compatible engine.
    unsafe { Component::deserialize(engine, artifact) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_version_is_pinned() {
        // Changing the layout without bumping the version would load old
        // artifacts as new ones.
        assert_eq!(CACHE_FORMAT, "v1");
        assert_eq!(CHECKSUM_BYTES, 32);
    }

    fn engine() -> wasmtime::Result<Engine> {
        super::super::engine::build_engine(super::super::engine::Allocation::OnDemand)
    }

    #[test]
    fn second_load_hits_and_a_corrupt_artifact_is_replaced() -> wasmtime::Result<()> {
        let engine = engine()?;
        let dir = tempfile::tempdir()?;
        let cache = CompiledCache::new(Some(dir.path()), &engine);
        let bytes = wat::parse_str("(component)")?;
        let hash = ContentHash::of(&bytes);

        assert_eq!(
            cache.load_or_compile(&engine, &hash, &bytes)?.1,
            CacheUse::Compiled
        );
        assert_eq!(
            cache.load_or_compile(&engine, &hash, &bytes)?.1,
            CacheUse::Hit
        );

        let path = cache
            .dir()
            .map(|d| d.join(format!("{}.cwasm", hash.to_hex())))
            .ok_or_else(|| wasmtime::format_err!("no cache dir"))?;
        let mut artifact = fs::read(&path)?;
        artifact[10] ^= 0xff;
        fs::write(&path, &artifact)?;
        assert_eq!(
            cache.load_or_compile(&engine, &hash, &bytes)?.1,
            CacheUse::Replaced("artifact checksum does not match".into())
        );
        assert_eq!(
            cache.load_or_compile(&engine, &hash, &bytes)?.1,
            CacheUse::Hit
        );

        fs::write(&path, b"short")?;
        assert_eq!(
            cache.load_or_compile(&engine, &hash, &bytes)?.1,
            CacheUse::Replaced("artifact is truncated".into())
        );
        Ok(())
    }
}
