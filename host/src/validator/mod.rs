//! The validator host: `arbiter validate`.
//!
//! - [`config`]: the `validator.toml` file.
//! - [`context`]: step contexts and the documented seed derivation.
//! - [`run`]: the loop (steps, epochs, failure policy).
//! - [`store`]: crash-safe persistence (one sled transaction per step).
//! - [`submit`]: weights, commit-reveal and the commitment, each once.
//! - [`metrics`]: Prometheus `/metrics`.

pub mod config;
pub mod context;
pub mod metrics;
pub mod run;
pub mod store;
pub mod submit;

use std::sync::Arc;
use std::time::Duration;

use arbiter_registry::{ContentHash, Keypair, Reference, Registry, StoreOptions};

pub use config::{FailurePolicy, ValidatorConfig};
pub use run::{Did, Settings, Validator};

use crate::chain::{Chain, ChainError};
use crate::publishing::{SandboxAdmission, host_limits};
use crate::sandbox::{AdmissionError, Failure, Sandbox};
use crate::transport::MinerClient;

/// Why a validator stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ValidatorError {
    /// The chain failed or refused something the validator cannot work around.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The validator's own store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// A transcript could not be stored.
    #[error(transparent)]
    Transcript(#[from] crate::transcript::TranscriptError),
    /// The mechanism could not be fetched from the registry.
    #[error("cannot fetch the mechanism: {0}")]
    Registry(#[from] arbiter_registry::Error),
    /// The fetched component was refused.
    #[error("the mechanism was refused: {0}")]
    Admission(#[from] AdmissionError),
    /// `init` failed.
    #[error("the mechanism's init failed: {0}")]
    Init(Failure),
    /// The key could not be loaded.
    #[error(transparent)]
    Key(#[from] arbiter_registry::KeyError),
    /// The validator's hotkey is not registered on the subnet.
    #[error("{hotkey} is not registered on subnet {netuid}")]
    NotRegistered {
        /// The hotkey.
        hotkey: String,
        /// The subnet.
        netuid: u16,
    },
    /// The data directory holds another mechanism's state.
    #[error(
        "the data directory holds state of mechanism {stored}, not the configured {configured}; \
         use another data directory (the state is never overwritten)"
    )]
    OtherMechanism {
        /// What the store holds.
        stored: ContentHash,
        /// What the configuration names.
        configured: ContentHash,
    },
    /// A record could not be encoded.
    #[error("cannot encode a transcript record: {0}")]
    Encode(String),
    /// No randomness for a commit's salt or seed.
    #[error("{0}")]
    Randomness(String),
    /// Anything else about the setup.
    #[error("{0}")]
    Setup(String),
}

/// Builds a validator from its configuration: loads the key, fetches the
/// mechanism by reference (its hash verified by the registry client),
/// admits it, opens the data directory.
pub async fn from_config(
    config: &ValidatorConfig,
    chain: Arc<dyn Chain>,
    sandbox: &Sandbox,
    metrics: Arc<metrics::Metrics>,
) -> Result<Validator, ValidatorError> {
    let key = Keypair::load(&config.key_path())?;
    let registry_location = match &config.mechanism.registry {
        Some(location) => location.clone(),
        None => default_registry()?,
    };
    let registry = Registry::open(&registry_location, &StoreOptions::default())?;
    let reference: Reference = config.mechanism.reference.parse()?;
    let manifest = registry.resolve(&reference).await?;
    let manifest = manifest.manifest();
    let bytes = registry.fetch(&manifest.component).await?;
    let loaded = sandbox.load(&bytes, host_limits(&manifest.limits))?;
    tracing::info!(
        mechanism = %loaded.mechanism.hash(),
        name = %loaded.info.name,
        version = %loaded.info.version,
        "mechanism loaded"
    );
    let mechanism_config = match &config.mechanism.config {
        Some(path) => std::fs::read(path)
            .map_err(|e| ValidatorError::Setup(format!("cannot read {}: {e}", path.display())))?,
        None => Vec::new(),
    };
    let data = &config.storage.data_dir;
    let store = store::ValidatorStore::open(&data.join("state"))?;
    let miners = MinerClient::new(key.clone(), config.chain.netuid, config.queries.concurrency)
        .map_err(|e| ValidatorError::Setup(e.to_string()))?;
    let settings = Settings {
        netuid: config.chain.netuid,
        version_key: config.weights.version_key,
        on_failure: config.weights.on_mechanism_failure,
        query_timeout: config
            .queries
            .timeout_ms
            .map(|ms| Duration::from_millis(u64::from(ms))),
        transcripts: data.join("transcripts"),
        publish_to: config
            .storage
            .publish_transcripts
            .then(|| (registry, SandboxAdmission::new(sandbox.clone()))),
    };
    Validator::open(
        chain,
        key,
        loaded.mechanism,
        loaded.info,
        miners,
        store,
        settings,
        &mechanism_config,
        metrics,
    )
    .await
}

/// The user's local registry store.
pub fn default_registry() -> Result<String, ValidatorError> {
    directories::ProjectDirs::from("", "", "arbiter")
        .map(|dirs| dirs.data_dir().join("registry").display().to_string())
        .ok_or_else(|| ValidatorError::Setup("no home directory for the default registry".into()))
}
