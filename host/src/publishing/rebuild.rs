//! Reproducible rebuilds: does this source build to the published bytes?
//!
//! The source directory is copied to a fresh temporary directory, leaving
//! out build outputs and tool caches (`target/`, `.git/`, `.tools/` at any
//! depth), so nothing built before can leak into the result. The
//! manifest's build command runs there, and the BLAKE3 of its artifact is
//! compared with the published hash.
//!
//! The build command is words separated by spaces, run without a shell;
//! a first word with a `/` is a path inside the copy (`subnets/build.sh
//! text-match`), otherwise a program on the `PATH`. The variables a
//! surrounding cargo sets for its own build (`CARGO_TARGET_DIR`,
//! `RUSTFLAGS`, wrappers) are removed, as `host/build.rs` does, because
//! they would change the output. The build's output goes to stderr.
//!
//! Rebuilding runs the publisher's build scripts: do it on source you have
//! read, or in a sandboxed machine.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use arbiter_registry::manifest::is_relative_path;
use arbiter_registry::{ContentHash, Source};
use serde::Serialize;

use super::toolchain;

/// Directory names never copied: build outputs, VCS data, tool caches.
pub const SKIPPED: &[&str] = &["target", ".git", ".tools"];

/// Variables of a surrounding cargo build that must not reach the rebuild.
const CLEARED_ENV: &[&str] = &[
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTFLAGS",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
];

/// What a rebuild found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rebuilt {
    /// The source directory that was copied.
    pub source_dir: PathBuf,
    /// The command that ran.
    pub build_command: String,
    /// The artifact, relative to the source root.
    pub artifact: String,
    /// The published hash.
    pub published: ContentHash,
    /// The hash of the rebuilt artifact.
    pub rebuilt: ContentHash,
    /// Whether they are equal.
    pub matches: bool,
    /// The tool versions the manifest records.
    pub recorded_toolchain: BTreeMap<String, String>,
    /// The tool versions of this rebuild.
    pub local_toolchain: BTreeMap<String, String>,
}

/// Why a rebuild could not produce an artifact.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RebuildError {
    /// Copying the source failed.
    #[error("cannot copy {path} to a temporary directory: {source}")]
    Copy {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The build command is empty or its program path leaves the source.
    #[error("cannot run the build command {command:?}: {reason}")]
    BadCommand {
        /// The command.
        command: String,
        /// Why.
        reason: String,
    },
    /// The build ran and failed.
    #[error("the build command {command:?} failed ({status}); its output is above")]
    Failed {
        /// The command.
        command: String,
        /// How it ended.
        status: String,
    },
    /// The build succeeded but the artifact is not there.
    #[error("the build did not produce {artifact}: {source}")]
    NoArtifact {
        /// The artifact path.
        artifact: String,
        /// Why it cannot be read.
        #[source]
        source: std::io::Error,
    },
}

/// Rebuilds `source` from `source_dir` in a clean copy and compares the
/// artifact with `published`.
pub fn rebuild(
    source_dir: &Path,
    source: &Source,
    published: &ContentHash,
) -> Result<Rebuilt, RebuildError> {
    let copy_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| RebuildError::Copy { path, source }
    };
    let temp = tempfile::Builder::new()
        .prefix("arbiter-rebuild-")
        .tempdir()
        .map_err(copy_error(source_dir))?;
    copy_tree(source_dir, temp.path())?;
    let root = temp.path();
    tracing::info!(from = %source_dir.display(), to = %root.display(), "source copied");
    run(root, &source.build_command)?;
    let bytes =
        std::fs::read(root.join(&source.artifact)).map_err(|e| RebuildError::NoArtifact {
            artifact: source.artifact.clone(),
            source: e,
        })?;
    let rebuilt = ContentHash::of(&bytes);
    Ok(Rebuilt {
        source_dir: source_dir.to_path_buf(),
        build_command: source.build_command.clone(),
        artifact: source.artifact.clone(),
        published: *published,
        rebuilt,
        matches: rebuilt == *published,
        recorded_toolchain: source.toolchain.clone(),
        local_toolchain: toolchain::detect(root),
    })
}

/// Runs `command` in `root`, its output on our stderr.
fn run(root: &Path, command: &str) -> Result<(), RebuildError> {
    let bad = |reason: &str| RebuildError::BadCommand {
        command: command.to_string(),
        reason: reason.to_string(),
    };
    let mut words = command.split_whitespace();
    let program = words.next().ok_or_else(|| bad("it is empty"))?;
    let program = if program.contains('/') {
        let relative = program.strip_prefix("./").unwrap_or(program);
        if !is_relative_path(relative) {
            return Err(bad("its program is not a relative path inside the source"));
        }
        root.join(relative)
    } else {
        PathBuf::from(program)
    };
    let stdout = stderr_as_stdio().map_err(|e| bad(&e.to_string()))?;
    let mut child = Command::new(&program);
    child.args(words).current_dir(root).stdout(stdout);
    for name in CLEARED_ENV {
        child.env_remove(name);
    }
    let status = child.status().map_err(|e| bad(&e.to_string()))?;
    if status.success() {
        Ok(())
    } else {
        Err(RebuildError::Failed {
            command: command.to_string(),
            status: status.to_string(),
        })
    }
}

/// Our stderr as a child's stdio, so a build's stdout cannot mix with a
/// command's JSON output.
fn stderr_as_stdio() -> std::io::Result<Stdio> {
    use std::os::fd::AsFd;
    Ok(Stdio::from(std::io::stderr().as_fd().try_clone_to_owned()?))
}

/// Copies the tree at `from` into the existing directory `to`, leaving out
/// [`SKIPPED`] directories; symbolic links are copied as links.
pub fn copy_tree(from: &Path, to: &Path) -> Result<(), RebuildError> {
    let error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| RebuildError::Copy { path, source }
    };
    for entry in std::fs::read_dir(from).map_err(error(from))? {
        let entry = entry.map_err(error(from))?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().map_err(error(&source))?;
        if kind.is_dir() {
            if SKIPPED.iter().any(|s| entry.file_name() == *s) {
                continue;
            }
            std::fs::create_dir(&target).map_err(error(&target))?;
            copy_tree(&source, &target)?;
        } else if kind.is_symlink() {
            let link = std::fs::read_link(&source).map_err(error(&source))?;
            std::os::unix::fs::symlink(link, &target).map_err(error(&target))?;
        } else if kind.is_file() {
            std::fs::copy(&source, &target).map_err(error(&source))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(command: &str, artifact: &str) -> Source {
        Source {
            repository: "https://example.invalid/repo".into(),
            commit: "abc".into(),
            build_command: command.into(),
            artifact: artifact.into(),
            toolchain: [("sh".to_string(), "any".to_string())].into(),
        }
    }

    /// A tiny "build": a script that writes its argument to `out/artifact`.
    fn project() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("build.sh");
        std::fs::write(
            &script,
            "#!/bin/sh\nmkdir -p out && printf %s \"$1\" > out/artifact\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        // Stale outputs that must not be copied.
        std::fs::create_dir_all(dir.path().join("target")).unwrap();
        std::fs::write(dir.path().join("target/stale"), "x").unwrap();
        std::fs::create_dir_all(dir.path().join("sub/.git")).unwrap();
        dir
    }

    #[test]
    fn the_same_build_gives_the_same_hash() {
        let dir = project();
        let published = ContentHash::of(b"hello");
        for command in ["./build.sh hello", "sh build.sh hello"] {
            let rebuilt =
                rebuild(dir.path(), &source(command, "out/artifact"), &published).unwrap();
            assert!(rebuilt.matches, "{rebuilt:?}");
        }
        let other = rebuild(
            dir.path(),
            &source("sh build.sh bye", "out/artifact"),
            &published,
        )
        .unwrap();
        assert!(!other.matches);
        assert_eq!(other.rebuilt, ContentHash::of(b"bye"));
    }

    #[test]
    fn failures_say_what_failed() {
        let dir = project();
        let hash = ContentHash::of(b"");
        for (command, artifact) in [
            ("sh -c false", "out/artifact"),
            ("sh build.sh x", "out/missing"),
            ("", "x"),
        ] {
            let error = rebuild(dir.path(), &source(command, artifact), &hash).unwrap_err();
            assert!(!error.to_string().is_empty());
        }
        assert!(matches!(
            rebuild(dir.path(), &source("../escape.sh", "x"), &hash),
            Err(RebuildError::BadCommand { .. })
        ));
    }

    #[test]
    fn skipped_directories_are_not_copied() {
        let dir = project();
        let to = tempfile::tempdir().unwrap();
        copy_tree(dir.path(), to.path()).unwrap();
        assert!(to.path().join("build.sh").exists());
        assert!(!to.path().join("target").exists());
        assert!(to.path().join("sub").exists() && !to.path().join("sub/.git").exists());
    }
}
