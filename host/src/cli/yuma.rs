//! `arbiter yuma <vector.json>`: runs every epoch of a Yuma Consensus
//! reference vector from its per-epoch `inputs` and prints
//! `{"epochs": [{"outputs": {…}}]}` with the vectors' own field names, so
//! anyone can check the port against upstream-generated vectors (for
//! example with `jq` against the file's `epochs[].outputs`).
//!
//! Text output summarises each epoch (incentive and dividends per uid as
//! fractions of 1); `--output json` prints the exact outputs.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use arbiter_host::chain::yuma::run_vector_file;

use super::{Output, print_json};

/// Arguments of `arbiter yuma`.
#[derive(Debug, clap::Args)]
pub struct YumaArgs {
    /// A vector file (`epoch_*.json`).
    vector: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    output: Output,
}

pub fn execute(args: YumaArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.vector)
        .with_context(|| format!("cannot read {}", args.vector.display()))?;
    let result = run_vector_file(&text)
        .with_context(|| format!("{} is not a Yuma vector file", args.vector.display()))?;
    match args.output {
        Output::Json => print_json(&result)?,
        Output::Text => print_summary(&result),
    }
    Ok(ExitCode::SUCCESS)
}

fn print_summary(result: &serde_json::Value) {
    let empty = Vec::new();
    let epochs = result["epochs"].as_array().unwrap_or(&empty);
    for (index, epoch) in epochs.iter().enumerate() {
        println!("epoch {index}");
        let outputs = &epoch["outputs"];
        let column = |name: &str| outputs[name].as_array().cloned().unwrap_or_default();
        let (incentive, dividends) = (column("incentive_u16"), column("dividends_u16"));
        println!("  {:>4}  {:>9}  {:>9}", "uid", "incentive", "dividends");
        for (uid, (i, d)) in incentive.iter().zip(&dividends).enumerate() {
            let fraction = |v: &serde_json::Value| v.as_f64().unwrap_or(0.0) / 65_535.0;
            println!("  {uid:>4}  {:>9.4}  {:>9.4}", fraction(i), fraction(d));
        }
    }
}
