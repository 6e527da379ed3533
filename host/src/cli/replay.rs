//! `arbiter replay <transcript.arbt | blake3:<root>>`: re-run an epoch and
//! check it (see `arbiter_host::replay`). The mechanism is fetched by the
//! hash the transcript names from `--registry` (or read from
//! `--mechanism <file>`); with `--chain`, the validator's commitment and
//! on-chain weights are checked too. `blake3:<root>` looks the transcript
//! up in `--transcripts <dir>`, else in the registry.
//!
//! JSON output (`--output json`): `{root, mechanism, validator, netuid,
//! epoch, steps, chain_checked, differences: [{place, what}],
//! weight_differences: [{uid, recorded, actual}], ok}`. Exits 0 only if
//! everything matches, 1 on any difference.

use std::path::PathBuf;
use std::process::ExitCode;

use arbiter_host::replay::{render, replay};
use arbiter_host::transcript::{Transcript, published};
use arbiter_registry::{ContentHash, Reference, Registry, StoreOptions};

use super::{Output, SandboxArgs, print_json, read};

/// Arguments of `arbiter replay`.
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// A transcript file, or `blake3:<root>` (found in `--transcripts`, or
    /// in the registry).
    transcript: String,
    /// Where transcripts named by root are.
    #[arg(long, value_name = "DIR")]
    transcripts: Option<PathBuf>,
    /// The chain to check commitments and weights against: a devnet's
    /// `http://` URL or a Subtensor node's `ws://`/`wss://` endpoint.
    #[arg(long)]
    chain: Option<String>,
    /// The registry to fetch the mechanism from (URL or store directory).
    #[arg(long)]
    registry: Option<String>,
    /// The mechanism component, instead of fetching it.
    #[arg(long, value_name = "WASM")]
    mechanism: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    output: Output,
    #[command(flatten)]
    sandbox: SandboxArgs,
}

pub fn execute(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let sandbox = args.sandbox.sandbox()?;
    let runtime = tokio::runtime::Runtime::new()?;
    let report = runtime.block_on(async {
        let registry = || -> anyhow::Result<Registry> {
            let location = match &args.registry {
                Some(location) => location.clone(),
                None => arbiter_host::validator::default_registry()?,
            };
            Ok(Registry::open(&location, &StoreOptions::default())?)
        };
        let transcript = match args.transcript.parse::<ContentHash>() {
            Ok(root) => {
                let registry = match &args.transcripts {
                    Some(_) => None,
                    None => Some(registry()?),
                };
                published::find(&root, args.transcripts.as_deref(), registry.as_ref()).await?
            }
            Err(_) => Transcript::load(&PathBuf::from(&args.transcript))?,
        };
        let header = transcript.decode()?.header;
        let component = match &args.mechanism {
            Some(file) => read(file)?,
            None => {
                let registry = registry()?;
                let hash = ContentHash::from_bytes(header.mechanism);
                let manifest = registry.resolve(&Reference::Hash(hash)).await?;
                registry.fetch(&manifest.manifest().component).await?
            }
        };
        let chain = match &args.chain {
            Some(url) => Some(arbiter_host::chain::connect(url).await?),
            None => None,
        };
        anyhow::Ok(replay(&transcript, &component, &sandbox, chain.as_deref()).await?)
    })?;
    match args.output {
        Output::Json => print_json(&report)?,
        Output::Text => print!("{}", render(&report)),
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
