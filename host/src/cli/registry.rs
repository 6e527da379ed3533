//! `arbiter registry serve`, and what every registry command shares: the
//! `--registry <url|dir>` option, the async runtime, and how registry
//! errors become exit codes and output.
//!
//! `serve` prints one line, `arbiter registry listening on http://<addr>`,
//! once it accepts connections (so `--listen 127.0.0.1:0` can be used and
//! the port read back), then serves until interrupted (Ctrl-C or SIGTERM).
//! The HTTP API is documented in `arbiter_registry::server`.
//!
//! A registry command that finds its subject wrong (a refused component, a
//! taken version, a corrupt blob, a bad signature, nothing found) exits 1;
//! with `--output json` it prints `{"error": {"code", "message"}}` on
//! stdout, with the codes of `arbiter_registry::Error::code`. One that
//! cannot run (bad arguments, an unreachable registry, a disk error) exits
//! 2 with the message on stderr.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use arbiter_host::publishing::SandboxAdmission;
use arbiter_registry::server::{self, ServerConfig};
use arbiter_registry::store::DEFAULT_MAX_BLOB_BYTES;
use arbiter_registry::{Registry, Store, StoreOptions};

use super::{Output, SandboxArgs, print_json};

/// Where a registry command finds the registry.
#[derive(Debug, Clone, clap::Args)]
pub struct RegistryArgs {
    /// The registry: a URL (`http://host:port`) or a store directory
    /// (default: `registry` in the user's data directory).
    #[arg(long, value_name = "URL|DIR")]
    registry: Option<String>,
}

impl RegistryArgs {
    /// Opens the registry.
    pub fn open(&self) -> anyhow::Result<Registry> {
        let location = match &self.registry {
            Some(location) => location.clone(),
            None => default_store()?.display().to_string(),
        };
        Registry::open(&location, &StoreOptions::default())
            .with_context(|| format!("cannot open the registry {location}"))
    }
}

/// The default local store: `registry` in the user's data directory.
fn default_store() -> anyhow::Result<PathBuf> {
    directories::ProjectDirs::from("", "", "arbiter")
        .map(|dirs| dirs.data_dir().join("registry"))
        .context("no home directory for the default registry; pass --registry")
}

/// Arguments of `arbiter registry`.
#[derive(Debug, clap::Args)]
pub struct RegistryCommandArgs {
    #[command(subcommand)]
    command: RegistryCommand,
}

#[derive(Debug, clap::Subcommand)]
enum RegistryCommand {
    /// Serve a store over HTTP.
    Serve(ServeArgs),
}

/// Arguments of `arbiter registry serve`.
#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:7300")]
    listen: SocketAddr,
    /// The store directory (default: `registry` in the user's data
    /// directory).
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
    /// The largest component accepted, in bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_BLOB_BYTES)]
    max_component_bytes: u64,
    #[command(flatten)]
    sandbox: SandboxArgs,
}

pub fn execute(args: RegistryCommandArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        RegistryCommand::Serve(args) => serve(args),
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let path = match args.store {
        Some(path) => path,
        None => default_store()?,
    };
    let options = StoreOptions {
        max_blob_bytes: args.max_component_bytes,
        ..StoreOptions::default()
    };
    let store = Store::open_with(&path, &options)
        .with_context(|| format!("cannot open the store {}", path.display()))?;
    let admission = Arc::new(SandboxAdmission::new(args.sandbox.sandbox()?));
    runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let address = listener.local_addr()?;
        let router = server::router(store, admission, &ServerConfig::default());
        let mut out = std::io::stdout().lock();
        writeln!(out, "arbiter registry listening on http://{address}")?;
        out.flush()?;
        drop(out);
        tracing::info!(%address, store = %path.display(), "serving");
        server::serve(listener, router, shutdown()).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::select! {
                _ = interrupt => {}
                _ = terminate.recv() => {}
            }
        }
        Err(_) => {
            let _ = interrupt.await;
        }
    }
}

/// The async runtime the registry commands run on.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The exit code for a registry command's result: findings print as
/// `output` says and exit 1; failures to run become errors (exit 2).
pub fn conclude(
    output: Output,
    result: Result<ExitCode, arbiter_registry::Error>,
) -> anyhow::Result<ExitCode> {
    match result {
        Ok(code) => Ok(code),
        Err(error) if error.is_finding() => {
            match output {
                Output::Json => print_json(&serde_json::json!({
                    "error": {"code": error.code(), "message": error.to_string()}
                }))?,
                Output::Text => eprintln!("error: {error}"),
            }
            Ok(ExitCode::from(1))
        }
        Err(error) => Err(error.into()),
    }
}
