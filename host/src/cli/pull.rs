//! `arbiter pull <name@version | blake3:<hex>> -o <file>`: download a
//! published component, verified.
//!
//! The manifest's signature is verified and the bytes are hashed as they
//! arrive; the output file is replaced only by the complete, verified
//! component (written to a temporary file beside it, synced, renamed).
//!
//! JSON output (`--output json`): `{"file": "<path>", "manifest": {…},
//! "registry": "<url|dir>"}`.

use std::path::PathBuf;
use std::process::ExitCode;

use arbiter_registry::Reference;
use serde_json::json;

use super::registry::{RegistryArgs, conclude, runtime};
use super::{Output, print_json};

/// Arguments of `arbiter pull`.
#[derive(Debug, clap::Args)]
pub struct PullArgs {
    /// `name@version` or `blake3:<hex>`.
    reference: String,
    /// Where to write the component.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    out: PathBuf,
    #[command(flatten)]
    registry: RegistryArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    output: Output,
}

pub fn execute(args: PullArgs) -> anyhow::Result<ExitCode> {
    let reference: Reference = args.reference.parse()?;
    let registry = args.registry.open()?;
    let result = runtime()?.block_on(async {
        let signed = registry.resolve(&reference).await?;
        registry
            .pull(&signed.manifest().component, &args.out)
            .await?;
        Ok(signed)
    });
    let signed = match result {
        Ok(signed) => signed,
        Err(error) => return conclude(args.output, Err(error)),
    };
    let manifest = signed.manifest();
    match args.output {
        Output::Json => print_json(&json!({
            "file": args.out,
            "manifest": signed,
            "registry": registry.location(),
        }))?,
        Output::Text => {
            println!(
                "pulled     {} to {}",
                manifest.release(),
                args.out.display()
            );
            println!(
                "component  {} ({} bytes, verified)",
                manifest.component.blake3, manifest.component.size
            );
            println!("signer     {} (signature verified)", manifest.publisher);
        }
    }
    Ok(ExitCode::SUCCESS)
}
