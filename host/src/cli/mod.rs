//! Command-line arguments and dispatch: one module per subcommand, each
//! with an `execute` that returns the process exit code.
//!
//! Exit codes: 0 when everything held, 1 when the command ran but found a
//! problem (a refused component, a failed call, a mismatch), 2 when it could
//! not run (bad arguments, unreadable files).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod chain;
mod demo;
mod inspect;
mod keys;
mod list;
mod miner;
mod publish;
mod publish_transcript;
mod pull;
mod registry;
mod replay;
mod score;
mod subtensor;
mod validate;
mod verify;
mod weights;
mod yuma;

/// Arbiter: deterministic, verifiable incentive mechanisms for Bittensor.
#[derive(Debug, Parser)]
#[command(name = "arbiter", version, about)]
pub struct Args {
    /// More log output (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show a component's hashes, imports, exports and admission verdict.
    Inspect(inspect::InspectArgs),
    /// Run a mechanism over recorded rounds: init, challenge, score, weights.
    Score(score::ScoreArgs),
    /// Make or show an sr25519 key (a file or a Bittensor wallet hotkey).
    Keys(keys::KeysArgs),
    /// Publish a component to the registry, signed, as name@version.
    Publish(Box<publish::PublishArgs>),
    /// File an epoch transcript in the registry under its root.
    PublishTranscript(publish_transcript::PublishTranscriptArgs),
    /// Download a published component, verified.
    Pull(pull::PullArgs),
    /// List the registry's releases.
    List(list::ListArgs),
    /// Check a published component: signature, hashes, admission, rebuild.
    Verify(verify::VerifyArgs),
    /// Run the registry server.
    Registry(registry::RegistryCommandArgs),
    /// Run the whole system on this machine: devnet, registry, miners, validators.
    Demo(demo::DemoArgs),
    /// Run the devnet, or talk to one.
    Chain(chain::ChainArgs),
    /// Run a reference miner that answers with a solver component.
    Miner(miner::MinerArgs),
    /// Run a Yuma Consensus reference vector through the port.
    Yuma(yuma::YumaArgs),
    /// Run a validator: query miners, score with the mechanism, commit weights.
    Validate(validate::ValidateArgs),
    /// Re-run an epoch's transcript and check the committed weights.
    Replay(replay::ReplayArgs),
    /// What the host would send to a real Subtensor, encoded offline.
    Subtensor(subtensor::SubtensorArgs),
    /// Weight utilities (conform and quantise as the Bittensor SDK does).
    Weights(weights::WeightsArgs),
}

/// How a command prints its result.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// For people.
    #[default]
    Text,
    /// Stable JSON for programs (documented per command).
    Json,
}

/// Options for the sandbox shared by the commands that load components.
#[derive(Debug, clap::Args)]
pub struct SandboxArgs {
    /// Where compiled components are cached (default: the user's cache
    /// directory).
    #[arg(long, value_name = "DIR", global = true)]
    cache_dir: Option<PathBuf>,
    /// Compile every time instead of using the compiled cache.
    #[arg(long, global = true)]
    no_cache: bool,
}

impl SandboxArgs {
    /// The sandbox these options describe.
    fn sandbox(&self) -> anyhow::Result<arbiter_host::sandbox::Sandbox> {
        let cache_dir = if self.no_cache {
            None
        } else {
            self.cache_dir.clone().or_else(default_cache_dir)
        };
        let options = arbiter_host::sandbox::SandboxOptions {
            cache_dir,
            ..Default::default()
        };
        Ok(arbiter_host::sandbox::Sandbox::new(&options)?)
    }
}

fn default_cache_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "arbiter").map(|d| d.cache_dir().join("compiled"))
}

/// Runs the parsed command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Inspect(a) => inspect::execute(a),
        Command::Score(a) => score::execute(a),
        Command::Keys(a) => keys::execute(a),
        Command::Publish(a) => publish::execute(*a),
        Command::PublishTranscript(a) => publish_transcript::execute(a),
        Command::Pull(a) => pull::execute(a),
        Command::List(a) => list::execute(a),
        Command::Verify(a) => verify::execute(a),
        Command::Registry(a) => registry::execute(a),
        Command::Demo(a) => demo::execute(a),
        Command::Chain(a) => chain::execute(a),
        Command::Miner(a) => miner::execute(a),
        Command::Yuma(a) => yuma::execute(a),
        Command::Validate(a) => validate::execute(a),
        Command::Replay(a) => replay::execute(a),
        Command::Weights(a) => weights::execute(a),
        Command::Subtensor(a) => subtensor::execute(a),
    }
}

/// Sets up logging to stderr: warnings by default, more with `-v`, or as
/// `RUST_LOG` says.
pub fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Prints `value` as pretty JSON on stdout.
fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Reads a file, naming it in the error.
fn read(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    use anyhow::Context;
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}
