//! `validator.toml`: what an operator configures. Every field has a default
//! or, when missing, a clear error.
//!
//! ```toml
//! [chain]
//! endpoint = "http://127.0.0.1:9944"  # a devnet (`arbiter chain serve`), or a
//!                                     # Subtensor node: ws://… or wss://…
//! netuid = 1
//!
//! [key]
//! file = "validator.json"              # a Bittensor wallet key file, or:
//! # wallet = "validator"               # ~/.bittensor/wallets/<wallet>/hotkeys/<hotkey>
//! # hotkey = "default"
//! # wallets_dir = "/home/me/.bittensor/wallets"
//!
//! [mechanism]
//! reference = "text-match@0.1.0"       # or "blake3:<hex>"
//! registry = "http://127.0.0.1:7700"   # or a store directory (default: the user's)
//! # config = "mechanism.conf"          # bytes passed to `init`
//!
//! [storage]
//! data_dir = "validator-data"          # state, progress, transcripts
//! # publish_transcripts = true         # file each epoch's transcript in the registry
//!
//! [queries]
//! concurrency = 64                     # miners queried at once
//! # timeout_ms = 8000                  # default: the mechanism's
//!
//! [weights]
//! version_key = 0
//! on_mechanism_failure = "skip"        # or "keep-last": re-commit the last weights
//!
//! [metrics]
//! # listen = "127.0.0.1:9100"          # Prometheus /metrics
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorConfig {
    /// Which chain and subnet.
    pub chain: ChainSection,
    /// The validator's hotkey.
    pub key: KeySection,
    /// The mechanism to run.
    pub mechanism: MechanismSection,
    /// Where to keep state.
    pub storage: StorageSection,
    /// How to query miners.
    #[serde(default)]
    pub queries: QueriesSection,
    /// How to commit weights.
    #[serde(default)]
    pub weights: WeightsSection,
    /// Prometheus metrics.
    #[serde(default)]
    pub metrics: MetricsSection,
}

/// `[chain]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainSection {
    /// The devnet's URL.
    #[serde(default = "default_endpoint")]
    pub endpoint: String,
    /// The subnet.
    pub netuid: u16,
}

fn default_endpoint() -> String {
    "http://127.0.0.1:9944".into()
}

/// `[key]`: a key file, or a Bittensor wallet's hotkey.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySection {
    /// A key file.
    pub file: Option<PathBuf>,
    /// A wallet name.
    pub wallet: Option<String>,
    /// The wallet's hotkey name (default `default`).
    pub hotkey: Option<String>,
    /// Where wallets live (default `~/.bittensor/wallets`).
    pub wallets_dir: Option<PathBuf>,
}

/// `[mechanism]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MechanismSection {
    /// `name@version` or `blake3:<hex>`.
    pub reference: String,
    /// The registry (URL or store directory); default the user's local store.
    pub registry: Option<String>,
    /// A file whose bytes are the mechanism's `init` configuration.
    pub config: Option<PathBuf>,
}

/// `[storage]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSection {
    /// The validator's data directory.
    pub data_dir: PathBuf,
    /// File each epoch's transcript in the mechanism's registry before
    /// committing it, so anyone can replay it by its root (default: no).
    /// A registry that is a store directory then stays locked while the
    /// validator runs.
    #[serde(default)]
    pub publish_transcripts: bool,
}

/// `[queries]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueriesSection {
    /// Miners queried at once.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Per-query timeout in ms (default: the mechanism's).
    pub timeout_ms: Option<u32>,
}

fn default_concurrency() -> usize {
    64
}

impl Default for QueriesSection {
    fn default() -> Self {
        Self {
            concurrency: default_concurrency(),
            timeout_ms: None,
        }
    }
}

/// What to do at an epoch whose `weights` call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailurePolicy {
    /// Commit nothing this epoch (the chain keeps the last weights).
    #[default]
    Skip,
    /// Commit the last successfully computed weights again.
    KeepLast,
}

/// `[weights]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightsSection {
    /// The weights version key sent with every submission.
    #[serde(default)]
    pub version_key: u64,
    /// See [`FailurePolicy`].
    #[serde(default)]
    pub on_mechanism_failure: FailurePolicy,
}

/// `[metrics]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSection {
    /// Where to serve `/metrics` (off when absent).
    pub listen: Option<SocketAddr>,
}

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read {path}: {reason}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Not valid TOML of this schema (the message names the field).
    #[error("{path}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl ValidatorConfig {
    /// Reads and checks `path`. Relative paths inside are taken relative to
    /// the file's directory.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let invalid = |reason: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        let mut config: Self = toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.resolve_paths(base);
        config.check().map_err(invalid)?;
        Ok(config)
    }

    fn resolve_paths(&mut self, base: &Path) {
        let resolve = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        resolve(&mut self.storage.data_dir);
        if let Some(file) = self.key.file.as_mut() {
            resolve(file);
        }
        if let Some(file) = self.mechanism.config.as_mut() {
            resolve(file);
        }
        if let Some(registry) = self.mechanism.registry.as_mut()
            && !registry.contains("://")
            && Path::new(registry.as_str()).is_relative()
        {
            *registry = base.join(registry.as_str()).display().to_string();
        }
    }

    fn check(&self) -> Result<(), String> {
        match (&self.key.file, &self.key.wallet) {
            (None, None) => return Err("[key] needs `file` or `wallet`".into()),
            (Some(_), Some(_)) => return Err("[key] takes `file` or `wallet`, not both".into()),
            _ => {}
        }
        if self.queries.concurrency == 0 {
            return Err("[queries] concurrency must be at least 1".into());
        }
        self.mechanism
            .reference
            .parse::<arbiter_registry::Reference>()
            .map_err(|e| format!("[mechanism] reference: {e}"))?;
        Ok(())
    }

    /// The key file to load: `file`, or the wallet's hotkey path.
    pub fn key_path(&self) -> PathBuf {
        if let Some(file) = &self.key.file {
            return file.clone();
        }
        let wallets = self.key.wallets_dir.clone().unwrap_or_else(|| {
            directories::BaseDirs::new()
                .map(|d| d.home_dir().join(".bittensor/wallets"))
                .unwrap_or_else(|| PathBuf::from(".bittensor/wallets"))
        });
        wallets
            .join(self.key.wallet.as_deref().unwrap_or("default"))
            .join("hotkeys")
            .join(self.key.hotkey.as_deref().unwrap_or("default"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<ValidatorConfig, ConfigError> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("validator.toml");
        std::fs::write(&path, text).expect("write");
        ValidatorConfig::load(&path)
    }

    const MINIMAL: &str = r#"
        [chain]
        netuid = 1
        [key]
        file = "key.json"
        [mechanism]
        reference = "text-match@0.1.0"
        [storage]
        data_dir = "data"
    "#;

    #[test]
    fn a_minimal_config_takes_the_defaults() -> Result<(), ConfigError> {
        let config = load(MINIMAL)?;
        assert_eq!(config.chain.endpoint, "http://127.0.0.1:9944");
        assert_eq!(config.queries.concurrency, 64);
        assert_eq!(config.weights.on_mechanism_failure, FailurePolicy::Skip);
        assert!(config.storage.data_dir.is_absolute());
        Ok(())
    }

    #[test]
    fn mistakes_are_named() {
        let missing = MINIMAL.replace("netuid = 1", "");
        assert!(load(&missing).is_err_and(|e| e.to_string().contains("netuid")));
        let typo = MINIMAL.replace("[storage]", "[storage]\ndatadir = 1");
        assert!(load(&typo).is_err_and(|e| e.to_string().contains("datadir")));
        let no_key = MINIMAL.replace("file = \"key.json\"", "");
        assert!(load(&no_key).is_err_and(|e| e.to_string().contains("[key]")));
        let bad_ref = MINIMAL.replace("text-match@0.1.0", "Text Match");
        assert!(load(&bad_ref).is_err_and(|e| e.to_string().contains("reference")));
    }
}
