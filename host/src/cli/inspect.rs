//! `arbiter inspect <component.wasm>`: what a component is and whether the
//! host would run it.
//!
//! JSON output (`--output json`), one object:
//! `file`, `size` (bytes), `blake3` (`blake3:<hex>`), `sha256` (hex),
//! `imports` and `exports` (names; empty when it cannot be compiled),
//! `world` (the world it implements, or null), `admitted` (bool),
//! `refusal` (why not, or null), `info` (what `describe` returned, or null).
//! Exits 0 when the component is admitted, 1 when it is refused.

use std::path::PathBuf;
use std::process::ExitCode;

use arbiter_host::sandbox::admission::WORLD;
use arbiter_host::sandbox::bindings::Info;
use arbiter_host::sandbox::{Limits, Sandbox};
use arbiter_registry::{ContentHash, sha256_hex};
use serde::Serialize;

use super::{Output, SandboxArgs, print_json, read};

/// Arguments of `arbiter inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The component file.
    component: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    output: Output,
    #[command(flatten)]
    sandbox: SandboxArgs,
}

/// What `inspect` reports.
#[derive(Debug, Serialize)]
struct Report {
    file: String,
    size: u64,
    blake3: ContentHash,
    sha256: String,
    imports: Vec<String>,
    exports: Vec<String>,
    world: Option<&'static str>,
    admitted: bool,
    refusal: Option<String>,
    info: Option<Info>,
}

pub fn execute(args: InspectArgs) -> anyhow::Result<ExitCode> {
    let bytes = read(&args.component)?;
    let sandbox = args.sandbox.sandbox()?;
    let report = inspect(&sandbox, &args.component, &bytes);
    match args.output {
        Output::Json => print_json(&report)?,
        Output::Text => print_text(&report),
    }
    Ok(if report.admitted {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn inspect(sandbox: &Sandbox, path: &std::path::Path, bytes: &[u8]) -> Report {
    let interface = sandbox.interface(bytes).ok();
    let loaded = sandbox.load(bytes, Limits::default());
    let (imports, exports) = interface
        .map(|i| (i.imports, i.exports))
        .unwrap_or_default();
    let (admitted, refusal, info) = match loaded {
        Ok(loaded) => (true, None, Some(loaded.info)),
        Err(error) => (false, Some(error.to_string()), None),
    };
    Report {
        file: path.display().to_string(),
        size: bytes.len() as u64,
        blake3: ContentHash::of(bytes),
        sha256: sha256_hex(bytes),
        imports,
        exports,
        world: admitted.then_some(WORLD),
        admitted,
        refusal,
        info,
    }
}

fn print_text(report: &Report) {
    println!("component  {}", report.file);
    println!("size       {} bytes", report.size);
    println!("blake3     {}", report.blake3);
    println!("sha256     {}", report.sha256);
    println!("world      {}", report.world.unwrap_or("(none)"));
    let list = |names: &[String]| {
        if names.is_empty() {
            "(none)".to_string()
        } else {
            names.join("\n           ")
        }
    };
    println!("imports    {}", list(&report.imports));
    println!("exports    {}", list(&report.exports));
    match (&report.info, &report.refusal) {
        (Some(info), _) => println!(
            "admission  ok: {} {}, {} steps per epoch, {} ms query timeout, replies up to {} bytes",
            info.name,
            info.version,
            info.steps_per_epoch,
            info.query_timeout_ms,
            info.max_response_bytes
        ),
        (None, Some(refusal)) => println!("admission  refused: {refusal}"),
        (None, None) => println!("admission  refused"),
    }
}
