//! `arbiter publish-transcript <file.arbt>`: file an epoch transcript in
//! the registry under its root, so anyone holding the chain's commitment
//! can fetch and replay it (`arbiter replay blake3:<root> --registry …`,
//! `arbiter verify epoch:…`). The registry reads the root from the bytes
//! with the host's checks: a transcript that does not decode is refused.
//!
//! JSON output (`--output json`): `{"root": "blake3:<hex>", "blob":
//! {"blake3", "sha256", "size"}}`.

use std::path::PathBuf;
use std::process::ExitCode;

use arbiter_host::publishing::SandboxAdmission;
use arbiter_host::transcript::{Transcript, published};

use super::registry::{RegistryArgs, runtime};
use super::{Output, SandboxArgs, print_json};

/// Arguments of `arbiter publish-transcript`.
#[derive(Debug, clap::Args)]
pub struct PublishTranscriptArgs {
    /// The transcript file.
    file: PathBuf,
    #[command(flatten)]
    registry: RegistryArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    output: Output,
    #[command(flatten)]
    sandbox: SandboxArgs,
}

pub fn execute(args: PublishTranscriptArgs) -> anyhow::Result<ExitCode> {
    let transcript = Transcript::load(&args.file)?;
    let registry = args.registry.open()?;
    let admission = SandboxAdmission::new(args.sandbox.sandbox()?);
    let filed = runtime()?.block_on(published::publish(&transcript, &registry, &admission))?;
    match args.output {
        Output::Json => print_json(&filed)?,
        Output::Text => println!(
            "filed transcript {} in {} ({} bytes)",
            filed.root,
            registry.location(),
            filed.blob.size
        ),
    }
    Ok(ExitCode::SUCCESS)
}
