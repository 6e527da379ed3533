//! `arbiter verify <name@version | blake3:<hex> | file>`: check a
//! published component and say what was proved. `arbiter verify
//! epoch:<netuid>/<validator>/<epoch> --chain <url> [--transcripts <dir>]`
//! checks an epoch end to end instead (`arbiter_host::verify_epoch`): its
//! JSON output is `subject`, `commitment` (`mechanism`, `root`, `epoch`, or
//! null), `problems` (strings), `mechanism` (the component verification
//! below, or null), `replay` (as `arbiter replay` prints it, or null) and
//! `verified`.
//!
//! The checks are those of `arbiter_host::publishing::verify`: the
//! manifest's signature, optionally its signer (`--signer <ss58>`), the
//! component's hashes and size, the host's admission under the manifest's
//! limits and world, and optionally a reproducible rebuild
//! (`--rebuild <source-dir>`). A file is looked up in the registry by its
//! BLAKE3. The text output lists the manifest's facts (hash, signer,
//! world, limits, source) and each check with what it proved or why it
//! failed.
//!
//! JSON output (`--output json`), one object: `subject`, `registry`,
//! `verified` (bool), `manifest` (the signed manifest, or null if none was
//! found), `checks` (`[{"check", "ok", "detail"}]`, in order: `manifest`,
//! `signer`, `component`, `admission`, `rebuild`; the optional ones only
//! when asked for), `rebuild` (null, or `source_dir`, `build_command`,
//! `artifact`, `published`, `rebuilt`, `matches`, `recorded_toolchain`,
//! `local_toolchain`).
//!
//! Exits 0 when every check holds, 1 when one does not, 2 when the
//! registry cannot be asked.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use arbiter_host::publishing::SandboxAdmission;
use arbiter_host::publishing::verify::{Options, Subject, Verification, verify};
use arbiter_host::replay::render;
use arbiter_host::verify_epoch::{EpochRef, EpochVerification, Sources, verify_epoch};
use arbiter_registry::PublicKey;

use super::registry::{RegistryArgs, runtime};
use super::{Output, SandboxArgs, print_json};

/// Arguments of `arbiter verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// `name@version`, `blake3:<hex>`, a component file, or
    /// `epoch:<netuid>/<validator hotkey>/<epoch>`.
    subject: String,
    /// Also require the manifest to be signed by this key (SS58 or 0x hex).
    #[arg(long, value_name = "KEY")]
    signer: Option<PublicKey>,
    /// Also rebuild from this source directory and compare hashes.
    #[arg(long, value_name = "SOURCE_DIR")]
    rebuild: Option<PathBuf>,
    /// For an epoch: the chain holding the commitment and the weights (a
    /// devnet's `http://` URL or a Subtensor node's `ws://`/`wss://`).
    #[arg(long, value_name = "URL")]
    chain: Option<String>,
    /// For an epoch: a directory of transcripts named by root, looked in
    /// before the registry.
    #[arg(long, value_name = "DIR")]
    transcripts: Option<PathBuf>,
    #[command(flatten)]
    registry: RegistryArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    output: Output,
    #[command(flatten)]
    sandbox: SandboxArgs,
}

pub fn execute(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    if args.subject.starts_with("epoch:") {
        return execute_epoch(args);
    }
    let subject = Subject::parse(&args.subject);
    let registry = args.registry.open()?;
    let admission = SandboxAdmission::new(args.sandbox.sandbox()?);
    let options = Options {
        signer: args.signer,
        rebuild: args.rebuild,
    };
    let report = runtime()?.block_on(verify(&registry, &subject, &admission, &options))?;
    match args.output {
        Output::Json => print_json(&report)?,
        Output::Text => print_text(&report),
    }
    Ok(if report.verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn execute_epoch(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let epoch: EpochRef = args.subject.parse().map_err(anyhow::Error::msg)?;
    let endpoint = args
        .chain
        .as_deref()
        .context("verifying an epoch needs --chain <url>")?;
    let registry = args.registry.open()?;
    let sandbox = args.sandbox.sandbox()?;
    let admission = SandboxAdmission::new(sandbox.clone());
    let report = runtime()?.block_on(async {
        let chain = arbiter_host::chain::connect(endpoint).await?;
        let sources = Sources {
            chain: chain.as_ref(),
            transcripts: args.transcripts.as_deref(),
            registry: &registry,
            admission: &admission,
            sandbox: &sandbox,
        };
        anyhow::Ok(verify_epoch(&epoch, &sources).await?)
    })?;
    match args.output {
        Output::Json => print_json(&report)?,
        Output::Text => print_epoch_text(&report),
    }
    Ok(if report.verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_epoch_text(report: &EpochVerification) {
    let verdict = if report.verified {
        "VERIFIED"
    } else {
        "NOT VERIFIED"
    };
    println!("{verdict}: {}", report.subject);
    if let Some(committed) = &report.commitment {
        println!(
            "committed  mechanism {}, transcript {}, epoch {}",
            committed.mechanism, committed.root, committed.epoch
        );
    }
    for problem in &report.problems {
        println!("PROBLEM    {problem}");
    }
    if let Some(mechanism) = &report.mechanism {
        println!();
        print_text(mechanism);
    }
    if let Some(replay) = &report.replay {
        println!();
        print!("{}", render(replay));
    }
}

fn print_text(report: &Verification) {
    let verdict = if report.verified {
        "VERIFIED"
    } else {
        "NOT VERIFIED"
    };
    println!("{verdict}: {} in {}", report.subject, report.registry);
    if let Some(signed) = &report.manifest {
        let m = signed.manifest();
        println!("release    {}", m.release());
        println!(
            "component  {} ({} bytes)",
            m.component.blake3, m.component.size
        );
        println!("sha256     {}", m.component.sha256);
        println!("signer     {}", m.publisher);
        println!("world      {}", m.world);
        println!(
            "limits     {} fuel per call, {} bytes of memory",
            m.limits.fuel_per_call, m.limits.memory_bytes
        );
        match &m.source {
            Some(s) => {
                println!("source     {} at {}", s.repository, s.commit);
                println!("build      {} -> {}", s.build_command, s.artifact);
                for (tool, version) in &s.toolchain {
                    println!("toolchain  {tool}: {version}");
                }
            }
            None => println!("source     (not recorded)"),
        }
    }
    for check in &report.checks {
        let mark = if check.ok { "ok  " } else { "FAIL" };
        println!("{mark} {:<10} {}", check.check, check.detail);
    }
}
