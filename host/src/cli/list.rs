//! `arbiter list`: every release in the registry, by name then version,
//! each manifest's signature verified.
//!
//! JSON output (`--output json`): `{"registry": "<url|dir>", "releases":
//! [manifest…]}`, each a signed manifest (schema `arbiter.manifest/v1`).

use std::process::ExitCode;

use serde_json::json;

use super::registry::{RegistryArgs, conclude, runtime};
use super::{Output, print_json};

/// Arguments of `arbiter list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    output: Output,
}

pub fn execute(args: ListArgs) -> anyhow::Result<ExitCode> {
    let registry = args.registry.open()?;
    let releases = match runtime()?.block_on(registry.list()) {
        Ok(releases) => releases,
        Err(error) => return conclude(args.output, Err(error)),
    };
    match args.output {
        Output::Json => print_json(&json!({
            "registry": registry.location(),
            "releases": releases,
        }))?,
        Output::Text if releases.is_empty() => println!("no releases in {}", registry.location()),
        Output::Text => {
            for signed in &releases {
                let m = signed.manifest();
                println!(
                    "{:<40} {}  {:>9} bytes  {}",
                    m.release().to_string(),
                    m.component.blake3,
                    m.component.size,
                    m.publisher
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
