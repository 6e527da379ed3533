//! `arbiter weights quantize --input <json>`: float weights in
//! (`{"uids": [...], "weights": [...]}`), the u16 vector the host would
//! submit out (`{"uids": [...], "values": [...]}`), exactly as the
//! Bittensor SDK 11 conforms them (`normalize`, `clip_to_max_weight`,
//! `_conform`). A refusal is printed as `{"error": "..."}` on stderr with
//! exit code 1.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use arbiter_host::weights::{ConformRules, FloatWeights, conform};
use clap::Subcommand;

use super::print_json;

/// Arguments of `arbiter weights`.
#[derive(Debug, clap::Args)]
pub struct WeightsArgs {
    #[command(subcommand)]
    command: WeightsCommand,
}

#[derive(Debug, Subcommand)]
enum WeightsCommand {
    /// Conform and quantise float weights to the submitted u16 vector.
    Quantize {
        /// JSON file with `uids` and `weights` (`-` for stdin).
        #[arg(long)]
        input: PathBuf,
        /// The subnet's MaxWeightsLimit (65535: no limit).
        #[arg(long, default_value_t = u16::MAX)]
        max_weight_limit: u16,
        /// The subnet's MinAllowedWeights.
        #[arg(long, default_value_t = 0)]
        min_allowed_weights: u16,
        /// The submitting validator's uid (a single self-weight is exempt).
        #[arg(long)]
        self_uid: Option<u16>,
    },
}

pub fn execute(args: WeightsArgs) -> anyhow::Result<ExitCode> {
    let WeightsCommand::Quantize {
        input,
        max_weight_limit,
        min_allowed_weights,
        self_uid,
    } = args.command;
    let text = if input.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(&input)
            .with_context(|| format!("cannot read {}", input.display()))?
    };
    let floats: FloatWeights = serde_json::from_str(&text)
        .context("the input is not {\"uids\": [...], \"weights\": [...]}")?;
    let rules = ConformRules {
        self_uid,
        min_allowed_weights,
        max_weight_limit,
    };
    match conform(&floats.uids, &floats.weights, &rules) {
        Ok(u16s) => {
            print_json(&u16s)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("{}", serde_json::json!({ "error": error.to_string() }));
            Ok(ExitCode::from(1))
        }
    }
}
