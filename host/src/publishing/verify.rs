//! What `arbiter verify` proves about a published component, check by
//! check:
//!
//! 1. `manifest`: the registry has a release of it, and the manifest's
//!    sr25519 signature verifies against its publisher (over the canonical
//!    encoding of every other member);
//! 2. `signer` (with an expected key): the publisher is that key;
//! 3. `component`: the bytes hash to the manifest's BLAKE3 and SHA-256 and
//!    have its size (downloaded bytes are hashed as they arrive; a local
//!    file is hashed whole);
//! 4. `admission`: the host admits the bytes under the manifest's limits,
//!    as the world the manifest names;
//! 5. `rebuild` (with a source directory): the recorded build, rerun in a
//!    clean copy of the source, produces the same BLAKE3.
//!
//! A check that fails is reported with its reason and the rest still run
//! where they can, so one run shows everything that does not hold. Errors
//! that stop the registry from being asked at all (the network, the disk)
//! are returned instead.

use std::path::PathBuf;

use arbiter_registry::{
    Admission, ContentHash, Digests, Error, Manifest, PublicKey, Reference, Registry,
    SignedManifest,
};
use serde::Serialize;

use super::SandboxAdmission;
use super::rebuild::{Rebuilt, rebuild};

/// What to verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A release or a hash in the registry.
    Reference(Reference),
    /// A component file, looked up in the registry by its hash.
    File(PathBuf),
}

impl Subject {
    /// `name@version` or `blake3:<hex>` if `text` is one, else a file path
    /// (write `./name@1.0.0` for a file with such a name).
    pub fn parse(text: &str) -> Self {
        text.parse()
            .map(Self::Reference)
            .unwrap_or_else(|_| Self::File(PathBuf::from(text)))
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Reference(reference) => reference.fmt(f),
            Self::File(path) => path.display().fmt(f),
        }
    }
}

/// Optional checks.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The key the manifest must be signed by.
    pub signer: Option<PublicKey>,
    /// A source directory to rebuild from.
    pub rebuild: Option<PathBuf>,
}

/// One check and its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Which check (`manifest`, `signer`, `component`, `admission`,
    /// `rebuild`).
    pub check: &'static str,
    /// Whether it holds.
    pub ok: bool,
    /// What was proved, or why not.
    pub detail: String,
}

/// Everything `verify` found.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// What was verified, as given.
    pub subject: String,
    /// The registry asked.
    pub registry: String,
    /// Whether every check holds.
    pub verified: bool,
    /// The verified manifest, if one was found.
    pub manifest: Option<SignedManifest>,
    /// The checks, in order.
    pub checks: Vec<Check>,
    /// The rebuild, if one ran.
    pub rebuild: Option<Rebuilt>,
}

impl Verification {
    fn record(&mut self, check: &'static str, result: Result<String, String>) -> bool {
        let ok = result.is_ok();
        let detail = result.unwrap_or_else(|reason| reason);
        self.checks.push(Check { check, ok, detail });
        self.verified = self.checks.iter().all(|c| c.ok);
        ok
    }
}

/// Runs the checks on `subject` in `registry`.
pub async fn verify(
    registry: &Registry,
    subject: &Subject,
    admission: &SandboxAdmission,
    options: &Options,
) -> Result<Verification, Error> {
    let mut report = Verification {
        subject: subject.to_string(),
        registry: registry.location(),
        verified: false,
        manifest: None,
        checks: Vec::new(),
        rebuild: None,
    };
    let (local, reference) = match subject {
        Subject::File(path) => {
            let bytes = std::fs::read(path).map_err(|source| Error::Io {
                context: format!("cannot read {}", path.display()),
                source,
            })?;
            let hash = ContentHash::of(&bytes);
            (Some(bytes), Reference::Hash(hash))
        }
        Subject::Reference(reference) => (None, reference.clone()),
    };
    let signed = match findings(registry.resolve(&reference).await)? {
        Ok(signed) => signed,
        Err(reason) => {
            report.record("manifest", Err(reason));
            return Ok(report);
        }
    };
    let manifest = signed.manifest().clone();
    report.manifest = Some(signed.clone());
    report.record(
        "manifest",
        Ok(format!(
            "{} is published in {}; its sr25519 signature by {} verifies over the canonical manifest",
            manifest.release(),
            registry.location(),
            manifest.publisher
        )),
    );
    if let Some(expected) = &options.signer {
        let result = signed.check_signer(expected);
        report.record(
            "signer",
            result
                .map(|()| format!("signed by {expected}, as expected"))
                .map_err(|e| e.to_string()),
        );
    }
    let bytes = match local {
        Some(bytes) => bytes,
        None => match findings(registry.fetch(&manifest.component).await)? {
            Ok(bytes) => bytes,
            Err(reason) => {
                report.record("component", Err(reason));
                return Ok(report);
            }
        },
    };
    report.record("component", check_component(&bytes, &manifest.component));
    report.record("admission", check_admission(admission, &bytes, &manifest));
    if let Some(dir) = &options.rebuild {
        let result = match &manifest.source {
            None => Err("the manifest records no source to rebuild from".to_string()),
            Some(source) => match rebuild(dir, source, &manifest.component.blake3) {
                Ok(rebuilt) => {
                    let result = describe_rebuild(&rebuilt);
                    report.rebuild = Some(rebuilt);
                    result
                }
                Err(error) => Err(error.to_string()),
            },
        };
        report.record("rebuild", result);
    }
    Ok(report)
}

fn check_component(bytes: &[u8], expected: &Digests) -> Result<String, String> {
    let actual = Digests::of(bytes);
    if &actual == expected {
        Ok(format!(
            "its {} bytes hash to {} (sha256 {}), as the manifest says",
            actual.size, actual.blake3, actual.sha256
        ))
    } else {
        Err(format!(
            "the bytes are {actual:?}, the manifest says {expected:?}"
        ))
    }
}

fn check_admission(
    admission: &SandboxAdmission,
    bytes: &[u8],
    manifest: &Manifest,
) -> Result<String, String> {
    match admission.admit(bytes, &manifest.limits) {
        Ok(a) if a.world == manifest.world => {
            Ok(format!("the host admits it as {}: {}", a.world, a.summary))
        }
        Ok(a) => Err(format!(
            "the host admits it as {}, but the manifest says {}",
            a.world, manifest.world
        )),
        Err(reason) => Err(format!("the host refuses it: {reason}")),
    }
}

fn describe_rebuild(rebuilt: &Rebuilt) -> Result<String, String> {
    let what = format!(
        "`{}` in a clean copy of {} built {} with hash {}",
        rebuilt.build_command,
        rebuilt.source_dir.display(),
        rebuilt.artifact,
        rebuilt.rebuilt
    );
    if rebuilt.matches {
        Ok(format!("{what}, the published hash"))
    } else {
        Err(format!(
            "{what}, not the published {} (recorded toolchain {:?}, this one {:?})",
            rebuilt.published, rebuilt.recorded_toolchain, rebuilt.local_toolchain
        ))
    }
}

/// Splits a registry result into a finding (`Ok(Err(reason))`) or a
/// failure to look (`Err`).
fn findings<T>(result: Result<T, Error>) -> Result<Result<T, String>, Error> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(error) if error.is_finding() => Ok(Err(error.to_string())),
        Err(error) => Err(error),
    }
}
