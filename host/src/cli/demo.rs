//! `arbiter demo`: a devnet, a registry, miners and validators on this
//! machine for a few epochs (see `arbiter_host::demo`). Prints the subnet's
//! metagraph, which miner is which, and the replay of a validator's last
//! epoch; exits 1 if better miners did not earn more, validators disagree,
//! or the replay does not match.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use arbiter_host::demo::{self, DemoOptions, DemoReport};
use arbiter_host::replay::render;

use super::chain::print_metagraph;
use super::{Output, SandboxArgs, print_json};

/// Arguments of `arbiter demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where to keep the chain, registry, keys, configs and transcripts
    /// (default: a new directory under the system's temporary directory).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Epochs each validator submits.
    #[arg(long, default_value_t = 3)]
    epochs: u64,
    /// Miners, of qualities spread evenly from 0.1 to 1.0 (default: five,
    /// of qualities 0.1, 0.3, 0.55, 0.8 and 1.0).
    #[arg(long, value_name = "M", value_parser = clap::value_parser!(u16).range(1..=200))]
    miners: Option<u16>,
    /// Validators, with stakes 100 TAO apart, the first the largest
    /// (default: three, with 500, 300 and 200 TAO).
    #[arg(long, value_name = "V", value_parser = clap::value_parser!(u16).range(1..=16))]
    validators: Option<u16>,
    /// Output format: `json` prints `{report, problems}`, where `report` has
    /// the metagraph, the miners' `[uid, quality]`, the validators'
    /// `[uid, hotkey]`, the replayed transcript and its replay report.
    #[arg(long, value_enum, default_value_t)]
    output: Output,
    #[command(flatten)]
    sandbox: SandboxArgs,
}

pub fn execute(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let dir = match args.dir {
        Some(dir) => dir,
        None => tempfile::Builder::new()
            .prefix("arbiter-demo-")
            .tempdir()
            .context("cannot make a directory for the demo")?
            .keep(),
    };
    let mut options = DemoOptions {
        epochs: args.epochs,
        ..DemoOptions::new(dir)
    };
    if let Some(miners) = args.miners {
        options.miner_qualities = DemoOptions::spread_qualities(usize::from(miners));
    }
    if let Some(validators) = args.validators {
        options.validator_stakes = DemoOptions::staggered_stakes(usize::from(validators));
    }
    let sandbox = args.sandbox.sandbox()?;
    eprintln!(
        "demo: {} miners, {} validators, {} epochs of {} blocks; files in {}",
        options.miner_qualities.len(),
        options.validator_stakes.len(),
        options.epochs,
        options.tempo,
        options.dir.display()
    );
    let runtime = tokio::runtime::Runtime::new()?;
    let report = runtime.block_on(demo::run(&options, &sandbox))?;
    let problems = report.problems();
    if let Output::Json = args.output {
        print_json(&serde_json::json!({ "report": report, "problems": problems }))?;
        return Ok(if problems.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    print_report(&report);
    if problems.is_empty() {
        println!("\nok: better miners earn more, validators agree, the replay matches the chain");
        return Ok(ExitCode::SUCCESS);
    }
    for problem in &problems {
        println!("problem: {problem}");
    }
    Ok(ExitCode::from(1))
}

fn print_report(report: &DemoReport) {
    print_metagraph(&report.metagraph);
    println!();
    for (uid, quality) in &report.miners {
        println!("miner     uid {uid}: answers correctly with probability {quality}");
    }
    for (uid, hotkey) in &report.validators {
        println!("validator uid {uid}: {hotkey}");
    }
    println!(
        "miners' incentive in the order of their quality: {}",
        if report.ranked_by_quality() {
            "yes"
        } else {
            "no (noise in the EMA; the best still beats the worst)"
        }
    );
    println!("\nreplay of {}:", report.transcript.display());
    print!("{}", render(&report.replay));
    println!(
        "\nreplay it yourself: arbiter replay {} --registry {}\n(the demo's chain is gone: add --chain <url> against a running one)",
        report.transcript.display(),
        report.dir.join("registry").display()
    );
}
