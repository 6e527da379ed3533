//! A reference miner (`arbiter miner serve`): it registers its hotkey on a
//! subnet, tells the chain where it serves, and answers validators' signed
//! queries with a solver component, so that demos and tests have real
//! miners of known, different quality.
//!
//! - [`MinerConfig`]: the documented configuration file ([`config`]);
//! - [`MinerSetup`]: what starting a miner takes, with its key and solver
//!   loaded (built from a config by [`MinerConfig::setup`], or directly by
//!   code that runs miners in-process);
//! - [`start`]: registration, the axon, the metagraph refresh and the
//!   server, returning a [`RunningMiner`].
//!
//! The protocol and the checks of who is asking are the transport's
//! ([`crate::transport`]); the miner supplies the answers
//! ([`SolverAnswerer`]) and keeps the set of permitted validators fresh.

mod answer;
mod chain;
pub mod config;
mod refresh;

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arbiter_registry::{KeyError, Keypair, PublicKey};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::chain::{Axon, ChainError, Metagraph};
use crate::sandbox::{AdmissionError, Limits, Sandbox, Solver};
use crate::transport::{PermittedValidators, ServerOptions, server};

pub use answer::SolverAnswerer;
pub use chain::MinerChain;
pub use config::{ConfigError, MinerConfig};

/// Why a miner could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MinerError {
    /// The configuration file cannot be read.
    #[error("cannot read the miner configuration {path}: {reason}")]
    ConfigUnreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The configuration is not usable.
    #[error("the miner configuration {path} is not usable: {error}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        error: ConfigError,
    },
    /// The hotkey cannot be loaded.
    #[error("cannot load the miner's hotkey: {0}")]
    Key(#[from] KeyError),
    /// The solver component cannot be read.
    #[error("cannot read the solver {path}: {reason}")]
    SolverUnreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The sandbox refused the solver component.
    #[error("the solver {path} was refused: {error}")]
    SolverRefused {
        /// The file.
        path: PathBuf,
        /// Why.
        error: AdmissionError,
    },
    /// The listening address cannot be bound.
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        reason: String,
    },
    /// A chain call failed.
    #[error("the chain refused or failed while {step}: {error}")]
    Chain {
        /// What the miner was doing.
        step: &'static str,
        /// The chain's error.
        error: ChainError,
    },
    /// Registration went through but the hotkey is not in the metagraph.
    #[error("{hotkey} is not in subnet {netuid}'s metagraph after registering")]
    NotRegistered {
        /// The hotkey.
        hotkey: PublicKey,
        /// The subnet.
        netuid: u16,
    },
    /// The HTTP server failed.
    #[error("the miner's server failed: {0}")]
    Serve(String),
}

impl MinerConfig {
    /// Reads and validates the configuration file at `path`;
    /// `default_chain` is the chain URL when the file names none.
    pub fn load(path: &Path, default_chain: &str) -> Result<Self, MinerError> {
        let text = std::fs::read_to_string(path).map_err(|e| MinerError::ConfigUnreadable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::from_toml(&text, base, default_chain).map_err(|error| MinerError::Config {
            path: path.to_path_buf(),
            error,
        })
    }

    /// Loads the hotkey and admits the solver in `sandbox` (under the
    /// default limits).
    pub fn setup(&self, sandbox: &Sandbox) -> Result<MinerSetup, MinerError> {
        let key = Keypair::load(&self.key)?;
        let bytes = std::fs::read(&self.solver).map_err(|e| MinerError::SolverUnreadable {
            path: self.solver.clone(),
            reason: e.to_string(),
        })?;
        let solver = sandbox
            .load_solver(&bytes, Limits::default())
            .map_err(|error| MinerError::SolverRefused {
                path: self.solver.clone(),
                error,
            })?;
        Ok(MinerSetup {
            netuid: self.netuid,
            key,
            coldkey: self.coldkey,
            listen: self.listen,
            advertise_ip: self.advertise_ip,
            advertise_port: self.advertise_port,
            solver,
            quality: self.quality,
            max_request_bytes: self.max_request_bytes,
            metagraph_refresh: self.metagraph_refresh,
        })
    }
}

/// Everything starting a miner takes.
#[derive(Clone)]
pub struct MinerSetup {
    /// The subnet.
    pub netuid: u16,
    /// The hotkey: registered, addressed by queries, signs replies.
    pub key: Keypair,
    /// The coldkey to register under (`None`: the hotkey).
    pub coldkey: Option<PublicKey>,
    /// Where to listen (port 0: any free port).
    pub listen: SocketAddr,
    /// The ip validators are told.
    pub advertise_ip: IpAddr,
    /// The port validators are told (`None`: the port bound).
    pub advertise_port: Option<u16>,
    /// The solver that answers.
    pub solver: Solver,
    /// The probability of a correct answer, 0 to 1.
    pub quality: f64,
    /// The largest query accepted, in bytes.
    pub max_request_bytes: usize,
    /// How often the metagraph (who may query) is re-read.
    pub metagraph_refresh: Duration,
}

/// A miner that is serving. Dropping it stops it at once; [`stop`](Self::stop)
/// lets queries in flight finish.
pub struct RunningMiner {
    /// The address it listens on.
    pub local_addr: SocketAddr,
    /// The axon it told the chain.
    pub axon: Axon,
    /// Its uid on the subnet.
    pub uid: u16,
    /// Its hotkey.
    pub hotkey: PublicKey,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<std::io::Result<()>>,
    refresh: JoinHandle<()>,
}

/// Starts a miner on `chain`: listens, registers the hotkey if it is not
/// registered yet, serves its axon if the chain does not already have it,
/// reads who may query, and serves.
#[tracing::instrument(skip_all, fields(netuid = setup.netuid, hotkey = %setup.key.public()))]
pub async fn start(
    setup: MinerSetup,
    chain: Arc<dyn MinerChain>,
) -> Result<RunningMiner, MinerError> {
    let listener = tokio::net::TcpListener::bind(setup.listen)
        .await
        .map_err(|e| MinerError::Listen {
            addr: setup.listen,
            reason: e.to_string(),
        })?;
    let local_addr = listener.local_addr().map_err(|e| MinerError::Listen {
        addr: setup.listen,
        reason: e.to_string(),
    })?;
    let hotkey = setup.key.public();
    let (uid, metagraph) = ensure_registered(chain.as_ref(), &setup).await?;
    let axon = Axon {
        ip: setup.advertise_ip.to_string(),
        port: setup.advertise_port.unwrap_or(local_addr.port()),
    };
    let served = metagraph
        .neurons
        .iter()
        .find(|n| n.uid == uid)
        .and_then(|n| n.axon.as_ref());
    if served != Some(&axon) {
        chain
            .serve_axon(&setup.key, setup.netuid, &axon)
            .await
            .map_err(during("serving the axon"))?;
    }

    let validators = Arc::new(PermittedValidators::default());
    validators.update(&metagraph);
    let refresh = refresh::spawn(
        Arc::clone(&chain),
        setup.netuid,
        hotkey,
        setup.metagraph_refresh,
        Arc::clone(&validators),
    );
    let options = ServerOptions {
        max_request_bytes: setup.max_request_bytes,
        ..ServerOptions::new(setup.netuid, setup.key.clone())
    };
    let app = server::router(
        options,
        validators,
        SolverAnswerer::new(setup.solver, setup.quality),
    );
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    tracing::info!(uid, %local_addr, ip = %axon.ip, port = axon.port, quality = setup.quality, "miner serving");
    Ok(RunningMiner {
        local_addr,
        axon,
        uid,
        hotkey,
        stop: Some(stop),
        server,
        refresh,
    })
}

/// The miner's uid and the metagraph, registering first if needed.
async fn ensure_registered(
    chain: &dyn MinerChain,
    setup: &MinerSetup,
) -> Result<(u16, Metagraph), MinerError> {
    let hotkey = setup.key.public();
    let metagraph = chain
        .metagraph(setup.netuid)
        .await
        .map_err(during("reading the metagraph"))?;
    if let Some(uid) = metagraph.uid_of(&hotkey) {
        return Ok((uid, metagraph));
    }
    let coldkey = setup.coldkey.unwrap_or(hotkey);
    let receipt = chain
        .register(&setup.key, setup.netuid, coldkey)
        .await
        .map_err(during("registering the hotkey"))?;
    let metagraph = chain
        .metagraph(setup.netuid)
        .await
        .map_err(during("reading the metagraph"))?;
    let uid = metagraph.uid_of(&hotkey).ok_or(MinerError::NotRegistered {
        hotkey,
        netuid: setup.netuid,
    })?;
    tracing::info!(uid, block = receipt.block, "registered");
    Ok((uid, metagraph))
}

impl RunningMiner {
    /// Stops serving: no new connections, queries in flight finish.
    pub async fn stop(mut self) -> Result<(), MinerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.refresh.abort();
        served((&mut self.server).await)
    }

    /// Serves until `signal` completes, then stops; or returns the
    /// server's failure if it fails first.
    pub async fn serve_until(mut self, signal: impl Future<Output = ()>) -> Result<(), MinerError> {
        tokio::select! {
            () = signal => self.stop().await,
            ended = &mut self.server => served(ended),
        }
    }
}

/// How the server task ended.
fn served(ended: Result<std::io::Result<()>, tokio::task::JoinError>) -> Result<(), MinerError> {
    match ended {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(MinerError::Serve(error.to_string())),
        Err(error) => Err(MinerError::Serve(error.to_string())),
    }
}

/// Names the step a chain error happened in.
fn during(step: &'static str) -> impl FnOnce(ChainError) -> MinerError {
    move |error| MinerError::Chain { step, error }
}

impl Drop for RunningMiner {
    fn drop(&mut self) {
        self.refresh.abort();
        self.server.abort();
    }
}
