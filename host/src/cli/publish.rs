//! `arbiter publish <component.wasm> --name --version --key`: admit a
//! component, store it, sign its manifest, and record the release.
//!
//! The component is admitted here first (so a refusal costs no upload),
//! then by the registry again on publish (a server trusts no client). With
//! `--source-repo`, `--source-commit`, `--build-command` and `--artifact`
//! (all four, or none) the manifest records how to rebuild it, with the
//! versions of `rustc` and `wasm-tools` detected here (see
//! `arbiter_host::publishing::toolchain`), or, when `--toolchain` is given,
//! exactly the tools it names: a JavaScript or C build uses no `rustc`, so
//! detecting one would record a tool the build never ran.
//!
//! Publishing the same bytes as an existing release again changes nothing
//! (`unchanged`); other bytes under an existing `name@version` are refused
//! with the hash it is bound to.
//!
//! JSON output (`--output json`): `{"status": "published" | "unchanged",
//! "manifest": {…}, "registry": "<url|dir>"}`, where `manifest` is the
//! release's signed manifest (schema `arbiter.manifest/v1`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use arbiter_host::publishing::{SandboxAdmission, default_limits, toolchain};
use arbiter_registry::{
    Admission, Draft, Limits, Name, Release, Released, Source, name::parse_version, publish,
};

use super::keys::KeyArgs;
use super::registry::{RegistryArgs, conclude, runtime};
use super::{Output, SandboxArgs, print_json, read};

/// Arguments of `arbiter publish`.
#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    /// The component file.
    component: PathBuf,
    /// The mechanism name: lowercase letters, digits and `-`.
    #[arg(long)]
    name: String,
    /// The version (semantic versioning).
    #[arg(long)]
    version: String,
    #[command(flatten)]
    key: KeyArgs,
    /// The source repository (a URL).
    #[arg(long, value_name = "URL")]
    source_repo: Option<String>,
    /// The source commit.
    #[arg(long, value_name = "COMMIT")]
    source_commit: Option<String>,
    /// The build, run in the source root (e.g. `subnets/build.sh text-match`).
    #[arg(long, value_name = "COMMAND")]
    build_command: Option<String>,
    /// The built component, relative to the source root.
    #[arg(long, value_name = "PATH")]
    artifact: Option<String>,
    /// A tool version of the build, as `tool=version` (repeatable). Given
    /// once or more, it is the whole list: nothing is detected.
    #[arg(long, value_name = "TOOL=VERSION")]
    toolchain: Vec<String>,
    /// Fuel per call (default: the host's).
    #[arg(long)]
    fuel: Option<u64>,
    /// Linear memory per instance in bytes (default: the host's).
    #[arg(long, value_name = "BYTES")]
    memory: Option<u64>,
    #[command(flatten)]
    registry: RegistryArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    output: Output,
    #[command(flatten)]
    sandbox: SandboxArgs,
}

pub fn execute(args: PublishArgs) -> anyhow::Result<ExitCode> {
    let release = Release {
        name: Name::parse(&args.name)?,
        version: parse_version(&args.version)?,
    };
    let key = args.key.load()?;
    let defaults = default_limits();
    let limits = Limits {
        fuel_per_call: args.fuel.unwrap_or(defaults.fuel_per_call),
        memory_bytes: args.memory.unwrap_or(defaults.memory_bytes),
    };
    let source = source(&args)?;
    let bytes = read(&args.component)?;
    let admission = SandboxAdmission::new(args.sandbox.sandbox()?);
    let admitted = match admission.admit(&bytes, &limits) {
        Ok(admitted) => admitted,
        Err(reason) => {
            let refused = arbiter_registry::Error::Refused { reason };
            return conclude(args.output, Err(refused));
        }
    };
    let draft = Draft {
        release,
        world: admitted.world,
        limits,
        source,
    };
    let registry = args.registry.open()?;
    let result = runtime()?.block_on(publish(&registry, &args.component, draft, &key, &admission));
    let released = match result {
        Ok(released) => released,
        Err(error) => return conclude(args.output, Err(error)),
    };
    match args.output {
        Output::Json => {
            let mut value = serde_json::to_value(&released)?;
            value["registry"] = registry.location().into();
            print_json(&value)?;
        }
        Output::Text => print_text(&released, &registry.location()),
    }
    Ok(ExitCode::SUCCESS)
}

/// The source section, from all four options or none.
fn source(args: &PublishArgs) -> anyhow::Result<Option<Source>> {
    let given = [
        ("--source-repo", &args.source_repo),
        ("--source-commit", &args.source_commit),
        ("--build-command", &args.build_command),
        ("--artifact", &args.artifact),
    ];
    let missing: Vec<&str> = given
        .iter()
        .filter(|(_, value)| value.is_none())
        .map(|(option, _)| *option)
        .collect();
    if missing.len() == given.len() {
        if !args.toolchain.is_empty() {
            bail!("--toolchain describes a source: give --source-repo and the rest too");
        }
        return Ok(None);
    }
    if !missing.is_empty() {
        bail!(
            "a source needs all four of --source-repo, --source-commit, --build-command and --artifact; missing {}",
            missing.join(", ")
        );
    }
    let mut tools: BTreeMap<String, String> = if args.toolchain.is_empty() {
        toolchain::detect(std::path::Path::new("."))
    } else {
        BTreeMap::new()
    };
    for entry in &args.toolchain {
        let Some((tool, version)) = entry.split_once('=') else {
            bail!("--toolchain {entry:?} is not tool=version");
        };
        tools.insert(tool.to_string(), version.to_string());
    }
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    Ok(Some(Source {
        repository: text(&args.source_repo),
        commit: text(&args.source_commit),
        build_command: text(&args.build_command),
        artifact: text(&args.artifact),
        toolchain: tools,
    }))
}

fn print_text(released: &Released, registry: &str) {
    let signed = released.manifest();
    let manifest = signed.manifest();
    match released {
        Released::Published(_) => println!("published  {} in {registry}", manifest.release()),
        Released::Unchanged(_) => println!(
            "unchanged  {} in {registry}: already published with these bytes",
            manifest.release()
        ),
    }
    println!(
        "component  {} ({} bytes)",
        manifest.component.blake3, manifest.component.size
    );
    println!("sha256     {}", manifest.component.sha256);
    println!("world      {}", manifest.world);
    println!("signer     {}", manifest.publisher);
}
