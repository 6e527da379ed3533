//! `arbiter validate --config validator.toml`: run a validator (see
//! `arbiter_host::validator` for what it does, and
//! `arbiter_host::validator::config` for the file). Progress is logged to
//! stderr, one line per step and per epoch; `--epochs N` stops after N
//! submitted epochs.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use arbiter_host::validator::metrics::{self, Metrics};
use arbiter_host::validator::{self, ValidatorConfig};

use super::SandboxArgs;

/// Arguments of `arbiter validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// The configuration file.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Stop after this many submitted epochs (default: run forever).
    #[arg(long)]
    epochs: Option<u64>,
    #[command(flatten)]
    sandbox: SandboxArgs,
}

pub fn execute(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let config = ValidatorConfig::load(&args.config)?;
    let sandbox = args.sandbox.sandbox()?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let chain = arbiter_host::chain::connect(&config.chain.endpoint).await?;
        let metrics = Arc::new(Metrics::default());
        let _server = match config.metrics.listen {
            Some(listen) => Some(
                metrics::serve(Arc::clone(&metrics), listen)
                    .await
                    .with_context(|| format!("cannot serve metrics on {listen}"))?,
            ),
            None => None,
        };
        let mut validator = validator::from_config(&config, chain, &sandbox, metrics).await?;
        validator.run(args.epochs).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
