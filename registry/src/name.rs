//! Names, versions and references: how a person points at a mechanism.
//!
//! A name is lowercase ASCII letters, digits and `-`, starting with a
//! letter or digit, at most [`MAX_NAME_LEN`] characters: it is safe in a
//! URL path, a shell and a file name, and there is no second spelling of
//! it (no case folding, no Unicode look-alikes). Names never become paths:
//! the store files blobs under their hashes. A version is a semantic
//! version without build metadata (`1.2.0+linux` and `1.2.0+mac` would have
//! the same precedence, so they would look like one version).
//!
//! A [`Reference`] is `name@version` (a [`Release`]) or `blake3:<hex>`.

use std::fmt;
use std::str::FromStr;

use semver::Version;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ContentHash;
use crate::error::{Error, Result};

/// The longest mechanism name.
pub const MAX_NAME_LEN: usize = 64;

/// A valid mechanism name.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(String);

impl Name {
    /// Checks `text` against the naming rules.
    pub fn parse(text: &str) -> Result<Self> {
        let refuse = |reason| Error::InvalidName {
            name: text.chars().take(80).collect(),
            reason,
        };
        let first = text.bytes().next().ok_or_else(|| refuse("it is empty"))?;
        if text.len() > MAX_NAME_LEN {
            return Err(refuse("it is longer than 64 characters"));
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(refuse(
                "a name may contain only lowercase letters, digits and `-`",
            ));
        }
        if first == b'-' {
            return Err(refuse("a name starts with a letter or a digit"));
        }
        Ok(Self(text.to_string()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({})", self.0)
    }
}

impl FromStr for Name {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        Self::parse(text)
    }
}

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// Parses a release version: semantic versioning, no build metadata.
pub fn parse_version(text: &str) -> Result<Version> {
    let version = Version::parse(text).map_err(|e| Error::InvalidVersion {
        version: text.chars().take(80).collect(),
        reason: format!("not a semantic version ({e})"),
    })?;
    check_version(&version)?;
    Ok(version)
}

/// Refuses build metadata, which semantic versioning ignores for ordering.
pub(crate) fn check_version(version: &Version) -> Result<()> {
    if version.build.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidVersion {
            version: version.to_string(),
            reason: "build metadata (`+…`) is not allowed: it does not order versions".into(),
        })
    }
}

/// One version of one mechanism: `name@version`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Release {
    /// The mechanism.
    pub name: Name,
    /// The version.
    pub version: Version,
}

impl Release {
    /// The index key, `name@version` as bytes.
    pub(crate) fn key(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.version)
    }
}

impl FromStr for Release {
    type Err = Error;

    /// Parses `name@version`.
    fn from_str(text: &str) -> Result<Self> {
        let (name, version) = text
            .split_once('@')
            .ok_or_else(|| Error::InvalidReference {
                text: text.chars().take(80).collect(),
            })?;
        Ok(Self {
            name: Name::parse(name)?,
            version: parse_version(version)?,
        })
    }
}

/// What a command points at: a release, or a component by hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// `name@version`.
    Release(Release),
    /// `blake3:<hex>`.
    Hash(ContentHash),
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Release(release) => release.fmt(f),
            Self::Hash(hash) => hash.fmt(f),
        }
    }
}

impl FromStr for Reference {
    type Err = Error;

    /// Parses `blake3:<hex>` or `name@version`.
    fn from_str(text: &str) -> Result<Self> {
        if text.starts_with("blake3:") {
            let hash = text.parse().map_err(|_| Error::InvalidReference {
                text: text.chars().take(80).collect(),
            })?;
            return Ok(Self::Hash(hash));
        }
        text.parse().map(Self::Release)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_names_are_accepted() -> Result<()> {
        for good in ["text-match", "a", "0x", "echo-double-2", &"a".repeat(64)] {
            assert_eq!(Name::parse(good)?.as_str(), good);
        }
        Ok(())
    }

    #[test]
    fn bad_names_are_refused_with_the_rule() {
        for (bad, rule) in [
            ("", "empty"),
            ("../etc", "only lowercase"),
            ("a/b", "only lowercase"),
            ("a\0b", "only lowercase"),
            ("Text-Match", "only lowercase"),
            ("a_b", "only lowercase"),
            ("a b", "only lowercase"),
            ("a@b", "only lowercase"),
            ("é", "only lowercase"),
            ("-a", "starts with"),
            (&"a".repeat(65), "longer than 64"),
        ] {
            match Name::parse(bad) {
                Err(Error::InvalidName { reason, .. }) => assert!(reason.contains(rule), "{bad}"),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn versions_are_semver_without_build_metadata() {
        assert!(parse_version("1.2.3").is_ok());
        assert!(parse_version("1.2.3-rc.1").is_ok());
        for bad in ["1.2", "v1.2.3", "01.2.3", "1.2.3+linux", "", "1.2.3\0"] {
            assert!(
                matches!(parse_version(bad), Err(Error::InvalidVersion { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn references_parse_both_forms() -> Result<()> {
        let hash = ContentHash::of(b"x");
        assert_eq!(
            hash.to_string().parse::<Reference>()?,
            Reference::Hash(hash)
        );
        let release: Reference = "text-match@0.1.0".parse()?;
        assert_eq!(release.to_string(), "text-match@0.1.0");
        for bad in ["text-match", "blake3:zz", "../x@1.0.0", "x@1", "@1.0.0"] {
            assert!(bad.parse::<Reference>().is_err(), "{bad}");
        }
        Ok(())
    }
}
