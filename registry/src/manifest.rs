//! Manifests: what a publisher signs about a component.
//!
//! # Schema `arbiter.manifest/v1`
//!
//! A manifest is one JSON object with exactly these members:
//!
//! | member | value |
//! |---|---|
//! | `schema` | `"arbiter.manifest/v1"` |
//! | `name` | the mechanism name (see [`crate::name`]) |
//! | `version` | a semantic version without build metadata |
//! | `world` | the WIT world it implements, `namespace:package/world@version`, e.g. `"arbiter:mechanism/subnet@0.1.0"` |
//! | `component` | `{"blake3": "blake3:<hex>", "sha256": "<hex>", "size": <bytes>}` |
//! | `limits` | `{"fuel_per_call": <n>, "memory_bytes": <n>}`: what each call may use |
//! | `source` | `null`, or `{"repository", "commit", "build_command", "artifact", "toolchain"}` (below) |
//! | `publisher` | the signer's sr25519 public key as an SS58 address (prefix 42) |
//! | `signature` | `"0x"` and 128 hex digits: the sr25519 signature (below) |
//!
//! `source` says how to rebuild the component: `repository` (a URL) at
//! `commit`, run `build_command` in the source root (words separated by
//! spaces, no shell syntax; the first word, if it contains `/`, is a path
//! relative to the root), and the component is the file `artifact` (a
//! relative path with `/` separators, no `.` or `..`). `toolchain` maps
//! each tool of the build to its version; a Rust mechanism records at least
//! `rustc` and `wasm-tools`. Toolchain names are lowercase letters, digits,
//! `.` and `-`. Strings have no control characters; numbers are integers
//! from 1 to 2^53 − 1.
//!
//! # Signature
//!
//! The signature is sr25519 (schnorrkel, Substrate's `substrate` signing
//! context, as Bittensor wallets sign) over the bytes
//!
//! ```text
//! "arbiter/manifest/v1" 0x00 ‖ canonical JSON of the manifest without its `signature` member
//! ```
//!
//! where the canonical JSON is RFC 8785 (JCS), restricted as
//! [`crate::canonical`] says (sorted keys, no whitespace, integers only).
//! To verify in another language: parse the object, remove `signature`,
//! canonicalise it with any JCS library, prefix the domain, and verify
//! with the `publisher` key. `registry/golden/` holds a signed manifest and
//! the canonical bytes of its unsigned part as test vectors.
//!
//! This crate is stricter than that recipe: it refuses unknown members and
//! any member not written in its one canonical form (an SS58 address with
//! another prefix, say), so what it displays is exactly what was signed.

use std::collections::BTreeMap;

use semver::Version;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::canonical::{self, MAX_INTEGER};
use crate::error::{Error, Result};
use crate::name::{self, Name, Release};
use crate::{Digests, Keypair, PublicKey, Signature};

/// The schema this crate reads and writes.
pub const SCHEMA: &str = "arbiter.manifest/v1";

/// The prefix of the signed bytes, so a manifest signature can never be
/// mistaken for a signature of anything else made with the same key.
pub const SIGNING_DOMAIN: &[u8] = b"arbiter/manifest/v1\0";

/// The limits a mechanism's calls run under. The host turns them into its
/// own limits, keeping its policy for everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Fuel per export call.
    pub fuel_per_call: u64,
    /// Linear memory per instance, in bytes.
    pub memory_bytes: u64,
}

/// How the component was built, so anyone can build it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Where the source lives (a URL).
    pub repository: String,
    /// The commit the component was built from.
    pub commit: String,
    /// The build, run in the source root: words separated by spaces.
    pub build_command: String,
    /// The built component, relative to the source root.
    pub artifact: String,
    /// Tool name → version (`rustc`, `wasm-tools`, …).
    pub toolchain: BTreeMap<String, String>,
}

/// Everything a publisher signs about a component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The mechanism.
    pub name: Name,
    /// Its version.
    pub version: Version,
    /// The WIT world it implements, with the world's version.
    pub world: String,
    /// The component's hashes and size.
    pub component: Digests,
    /// What each call may use.
    pub limits: Limits,
    /// How to rebuild it, if the publisher says.
    pub source: Option<Source>,
    /// Who signs it.
    pub publisher: PublicKey,
}

/// A manifest before the component is stored and the key is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// The release this will be.
    pub release: Release,
    /// The world the component implements.
    pub world: String,
    /// Its limits.
    pub limits: Limits,
    /// How it was built.
    pub source: Option<Source>,
}

impl Draft {
    /// The manifest of `component`, to be signed by `publisher`.
    pub fn complete(self, component: Digests, publisher: PublicKey) -> Manifest {
        Manifest {
            name: self.release.name,
            version: self.release.version,
            world: self.world,
            component,
            limits: self.limits,
            source: self.source,
            publisher,
        }
    }
}

impl Manifest {
    /// `name@version`.
    pub fn release(&self) -> Release {
        Release {
            name: self.name.clone(),
            version: self.version.clone(),
        }
    }

    /// Checks the rules that types alone do not (see the module docs).
    pub fn validate(&self) -> Result<()> {
        name::check_version(&self.version)?;
        check_world(&self.world)?;
        let sha = &self.component.sha256;
        if sha.len() != 64
            || !sha
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(invalid(format!(
                "component.sha256 {sha:?} is not 64 lowercase hex digits"
            )));
        }
        check_integer("component.size", self.component.size, 0)?;
        check_integer("limits.fuel_per_call", self.limits.fuel_per_call, 1)?;
        check_integer("limits.memory_bytes", self.limits.memory_bytes, 1)?;
        if let Some(source) = &self.source {
            check_source(source)?;
        }
        Ok(())
    }

    /// The bytes the signature covers: [`SIGNING_DOMAIN`] and the canonical
    /// JSON of the manifest without `signature`.
    pub fn signing_bytes(&self) -> Result<Vec<u8>> {
        let mut bytes = SIGNING_DOMAIN.to_vec();
        bytes.extend(canonical::encode(&self.to_value()?).map_err(|e| invalid(e.to_string()))?);
        Ok(bytes)
    }

    /// The JSON object of the manifest, with `schema` and without
    /// `signature`.
    fn to_value(&self) -> Result<Value> {
        let mut value = serde_json::to_value(self).map_err(|e| invalid(e.to_string()))?;
        if let Value::Object(members) = &mut value {
            members.insert("schema".into(), Value::String(SCHEMA.into()));
        }
        Ok(value)
    }
}

/// A manifest with a signature that verifies against its publisher. The
/// only ways to get one are to sign a manifest or to parse and verify
/// one, so holding one proves both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedManifest {
    manifest: Manifest,
    signature: Signature,
}

impl SignedManifest {
    /// Signs `manifest` with `key`, which must be its publisher.
    pub fn sign(manifest: Manifest, key: &Keypair) -> Result<Self> {
        if manifest.publisher != key.public() {
            return Err(invalid(format!(
                "the publisher is {} but the signing key is {}",
                manifest.publisher,
                key.public()
            )));
        }
        manifest.validate()?;
        let signature = key.sign(&manifest.signing_bytes()?);
        Ok(Self {
            manifest,
            signature,
        })
    }

    /// Parses a manifest (JSON bytes), checks that it follows the schema in
    /// canonical form, and verifies its signature.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let value = serde_json::from_slice(bytes).map_err(|e| invalid(format!("not JSON: {e}")))?;
        Self::from_value(value)
    }

    /// [`SignedManifest::from_json`] on an already parsed value.
    pub fn from_value(value: Value) -> Result<Self> {
        let Value::Object(mut members) = value else {
            return Err(invalid("not a JSON object".into()));
        };
        match members.get("schema") {
            Some(Value::String(schema)) if schema == SCHEMA => {}
            Some(other) => {
                return Err(invalid(format!(
                    "schema {other} is not {SCHEMA:?}, the one this version reads"
                )));
            }
            None => return Err(invalid("no schema member".into())),
        }
        let signature: Signature = members
            .remove("signature")
            .ok_or_else(|| invalid("no signature member".into()))
            .and_then(|s| {
                serde_json::from_value(s).map_err(|e| invalid(format!("signature: {e}")))
            })?;
        let unsigned = Value::Object(members);
        let mut fields = unsigned.clone();
        if let Value::Object(members) = &mut fields {
            members.remove("schema");
        }
        let manifest: Manifest =
            serde_json::from_value(fields).map_err(|e| invalid(e.to_string()))?;
        manifest.validate()?;
        check_canonical(&unsigned, &manifest.to_value()?)?;
        if !manifest
            .publisher
            .verify(&manifest.signing_bytes()?, &signature)
        {
            return Err(Error::BadSignature {
                release: manifest.release().to_string(),
                publisher: manifest.publisher,
            });
        }
        Ok(Self {
            manifest,
            signature,
        })
    }

    /// The canonical JSON of the whole manifest, signature included: how
    /// the registry stores and sends it.
    pub fn to_json(&self) -> Result<Vec<u8>> {
        canonical::encode(&self.to_value()?).map_err(|e| invalid(e.to_string()))
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// Refuses a manifest signed by anyone but `expected`.
    pub fn check_signer(&self, expected: &PublicKey) -> Result<()> {
        if &self.manifest.publisher == expected {
            Ok(())
        } else {
            Err(Error::UnexpectedSigner {
                release: self.manifest.release().to_string(),
                publisher: self.manifest.publisher,
                expected: *expected,
            })
        }
    }

    fn to_value(&self) -> Result<Value> {
        let mut value = self.manifest.to_value()?;
        if let Value::Object(members) = &mut value {
            let signature =
                serde_json::to_value(self.signature).map_err(|e| invalid(e.to_string()))?;
            members.insert("signature".into(), signature);
        }
        Ok(value)
    }
}

impl Serialize for SignedManifest {
    /// The manifest as one JSON object, signature included.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value()
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }
}

fn invalid(reason: String) -> Error {
    Error::InvalidManifest { reason }
}

/// Refuses a manifest whose JSON is not the one this crate would write for
/// the same fields, naming the first member that differs.
fn check_canonical(received: &Value, written: &Value) -> Result<()> {
    if received == written {
        return Ok(());
    }
    let empty = Map::new();
    let (received, written) = (
        received.as_object().unwrap_or(&empty),
        written.as_object().unwrap_or(&empty),
    );
    let member = written
        .iter()
        .find(|(key, value)| received.get(*key) != Some(value))
        .map_or_else(
            || "?".to_string(),
            |(key, value)| format!("{key} (write it as {value})"),
        );
    Err(invalid(format!(
        "a member is not in canonical form: {member}"
    )))
}

fn check_integer(what: &str, value: u64, min: u64) -> Result<()> {
    if (min..=MAX_INTEGER).contains(&value) {
        Ok(())
    } else {
        Err(invalid(format!(
            "{what} is {value}, outside {min}..=2^53-1"
        )))
    }
}

/// `namespace:package/world@version`, ASCII, no spaces.
fn check_world(world: &str) -> Result<()> {
    let shape = world.split_once('@').and_then(|(id, version)| {
        let (namespace, rest) = id.split_once(':')?;
        let (package, name) = rest.split_once('/')?;
        let word = |w: &str| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        (word(namespace) && word(package) && word(name) && Version::parse(version).is_ok())
            .then_some(())
    });
    shape.ok_or_else(|| {
        invalid(format!(
            "world {world:?} is not `namespace:package/world@version`"
        ))
    })
}

fn check_source(source: &Source) -> Result<()> {
    let text = |what: &str, value: &str| {
        if value.is_empty() || value.chars().any(char::is_control) {
            Err(invalid(format!(
                "source.{what} is empty or has control characters"
            )))
        } else {
            Ok(())
        }
    };
    text("repository", &source.repository)?;
    text("commit", &source.commit)?;
    text("build_command", &source.build_command)?;
    text("artifact", &source.artifact)?;
    if !is_relative_path(&source.artifact) {
        return Err(invalid(format!(
            "source.artifact {:?} is not a relative path without `.` or `..`",
            source.artifact
        )));
    }
    if source.toolchain.is_empty() {
        return Err(invalid(
            "source.toolchain is empty: record the build's tool versions".into(),
        ));
    }
    for (tool, version) in &source.toolchain {
        let good = !tool.is_empty()
            && tool
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !good {
            return Err(invalid(format!(
                "toolchain name {tool:?} is not lowercase letters, digits, `.` and `-`"
            )));
        }
        text("toolchain version", version)?;
    }
    Ok(())
}

/// Whether `path` is `a/b/c`: relative, `/`-separated, no empty, `.` or
/// `..` parts, no backslashes. Such a path cannot leave the directory it is
/// joined to.
pub fn is_relative_path(path: &str) -> bool {
    path.split('/')
        .all(|part| !part.is_empty() && part != "." && part != ".." && !part.contains('\\'))
}

#[cfg(test)]
mod tests;
