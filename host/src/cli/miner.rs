//! `arbiter miner serve --config miner.toml`: a reference miner that
//! registers on the chain, serves its axon and answers validators' signed
//! queries with a solver component (see `arbiter_host::miner::config` for
//! the file, and `arbiter_host::transport` for the protocol).
//!
//! It prints one line to stderr once it serves (hotkey, uid, subnet,
//! address), logs each query at `-v`, and stops on Ctrl-C or SIGTERM,
//! letting queries in flight finish.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use arbiter_host::chain::client::DevnetClient;
use arbiter_host::miner::MinerChain;
use arbiter_host::miner::{self, MinerConfig};
use arbiter_host::subtensor::Subtensor;
use clap::Subcommand;

use super::SandboxArgs;
use super::chain::DEFAULT_CHAIN;

/// Arguments of `arbiter miner`.
#[derive(Debug, clap::Args)]
pub struct MinerArgs {
    #[command(subcommand)]
    command: MinerCommand,
}

#[derive(Debug, Subcommand)]
enum MinerCommand {
    /// Register, serve the axon and answer queries with a solver component.
    Serve {
        /// The miner's configuration file (TOML).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        #[command(flatten)]
        sandbox: SandboxArgs,
    },
}

pub fn execute(args: MinerArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        MinerCommand::Serve { config, sandbox } => {
            let config = MinerConfig::load(&config, DEFAULT_CHAIN)?;
            let setup = config.setup(&sandbox.sandbox()?)?;
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(serve(config, setup))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn serve(config: MinerConfig, setup: miner::MinerSetup) -> anyhow::Result<()> {
    let chain: Arc<dyn MinerChain> =
        if arbiter_host::chain::is_subtensor(&config.chain) {
            Arc::new(
                Subtensor::connect(&config.chain)
                    .await
                    .with_context(|| format!("cannot reach the node at {}", config.chain))?,
            )
        } else {
            Arc::new(DevnetClient::new(&config.chain).with_context(|| {
                format!("cannot make a client for the chain at {}", config.chain)
            })?)
        };
    let running = miner::start(setup, chain).await?;
    eprintln!(
        "miner {} (uid {}) serving subnet {} on http://{} (axon {}:{}, quality {})",
        running.hotkey,
        running.uid,
        config.netuid,
        running.local_addr,
        running.axon.ip,
        running.axon.port,
        config.quality
    );
    running.serve_until(shutdown_signal()).await?;
    Ok(())
}

/// Ctrl-C, or SIGTERM on Unix (how process supervisors stop services).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    () = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => ctrl_c.await,
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}
