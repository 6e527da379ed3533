//! `arbiter score`: runs a mechanism over recorded rounds, offline.
//!
//! For the state it starts from `--state <file>` if that file exists, or
//! else from `init` with `--config` (empty by default). For each round in
//! order: `challenge` (checked against the round's recorded queries, if
//! any), then `score` with the round's responses (skipped when the round
//! has none); a failed call keeps the previous state. After the last round: `weights`, with the last round's
//! context. With `--state`, the final state is written back to that file.
//!
//! JSON output (`--output json`) is one object, stable across releases of
//! this format:
//! - `mechanism`: `file`, `blake3`, `name`, `version`;
//! - `engine`: `wasmtime` (the release; fuel is only comparable within
//!   one), `fuel_per_call`;
//! - `start`: `source` (`"init"` or `"file"`), `state_blake3`, and `call`
//!   for init;
//! - `rounds`: per round, `file`, `epoch`, `step`, `block`, `challenge`
//!   (a call), `queries` (`[{uid, text | hex}]`), `queries_match_recording`
//!   (bool, or null when the round has none), `score` (a call),
//!   `state_blake3` (after the round);
//! - `weights`: a call, plus `weights` (`[{uid, value}]`, or null);
//! - `state_blake3`: the final state's hash; `ok`: whether every call
//!   succeeded and every recording matched.
//!
//! A call is `{"outcome": "ok" | "failed" | "skipped", "failure": null | {"kind": …},
//! "fuel_used": n | null, "log": {"records": [{source, text}],
//! "dropped_bytes": n}}`. Failure kinds are those of
//! `arbiter_host::sandbox::Failure`. Nothing in the output depends on the
//! machine or on time, so two runs print the same bytes.
//!
//! Exits 0 when `ok`, 1 otherwise.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use arbiter_host::round::{Body, RoundFile};
use arbiter_host::sandbox::bindings::{Context, Payloads, Weight};
use arbiter_host::sandbox::engine::WASMTIME_VERSION;
use arbiter_host::sandbox::log::CallLog;
use arbiter_host::sandbox::{Call, Failure, Limits, Mechanism, wire};
use arbiter_registry::ContentHash;
use serde::Serialize;

use super::{Output, SandboxArgs, print_json, read};

/// Arguments of `arbiter score`.
#[derive(Debug, clap::Args)]
pub struct ScoreArgs {
    /// The mechanism component.
    #[arg(long, value_name = "WASM")]
    mechanism: PathBuf,
    /// Round files, run in the order given.
    #[arg(long = "round", value_name = "ROUND.json", required = true, num_args = 1..)]
    rounds: Vec<PathBuf>,
    /// Start from the state in this file if it exists, and write the final
    /// state to it.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Configuration bytes for `init` (read from this file).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Fuel per call (default: the host's).
    #[arg(long)]
    fuel: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    output: Output,
    #[command(flatten)]
    sandbox: SandboxArgs,
}

#[derive(Debug, Serialize)]
struct Report {
    mechanism: MechanismReport,
    engine: EngineReport,
    start: StartReport,
    rounds: Vec<RoundReport>,
    weights: WeightsReport,
    state_blake3: ContentHash,
    ok: bool,
}

#[derive(Debug, Serialize)]
struct MechanismReport {
    file: String,
    blake3: ContentHash,
    name: String,
    version: String,
}

#[derive(Debug, Serialize)]
struct EngineReport {
    wasmtime: &'static str,
    fuel_per_call: u64,
}

#[derive(Debug, Serialize)]
struct StartReport {
    source: &'static str,
    state_blake3: ContentHash,
    call: Option<CallReport>,
}

#[derive(Debug, Serialize)]
struct RoundReport {
    file: String,
    epoch: u64,
    step: u32,
    block: u64,
    challenge: CallReport,
    queries: Vec<QueryReport>,
    queries_match_recording: Option<bool>,
    score: CallReport,
    state_blake3: ContentHash,
}

#[derive(Debug, Serialize)]
struct QueryReport {
    uid: u16,
    #[serde(flatten)]
    body: Body,
}

#[derive(Debug, Serialize)]
struct WeightsReport {
    #[serde(flatten)]
    call: CallReport,
    weights: Option<Vec<Weight>>,
}

#[derive(Debug, Serialize)]
struct CallReport {
    outcome: &'static str,
    failure: Option<Failure>,
    fuel_used: Option<u64>,
    log: CallLog,
}

impl CallReport {
    /// The report of `call`, and its value if it succeeded.
    fn of<T>(call: Call<T>) -> (Self, Option<T>) {
        let (outcome, failure, value) = match call.result {
            Ok(value) => ("ok", None, Some(value)),
            Err(failure) => ("failed", Some(failure), None),
        };
        let report = CallReport {
            outcome,
            failure,
            fuel_used: call.fuel_used,
            log: call.log,
        };
        (report, value)
    }

    fn ok(&self) -> bool {
        self.failure.is_none()
    }
}

pub fn execute(args: ScoreArgs) -> anyhow::Result<ExitCode> {
    let bytes = read(&args.mechanism)?;
    let limits = Limits {
        fuel_per_call: args.fuel.unwrap_or(Limits::default().fuel_per_call),
        ..Limits::default()
    };
    let sandbox = args.sandbox.sandbox()?;
    let loaded = sandbox
        .load(&bytes, limits)
        .with_context(|| format!("{} was refused", args.mechanism.display()))?;
    let mechanism = loaded.mechanism;

    let (start, mut state) = starting_state(&mechanism, &args)?;
    let mut ok = start.call.as_ref().is_none_or(CallReport::ok);
    let mut rounds = Vec::new();
    let mut last_context = None;
    for path in &args.rounds {
        let (report, context) = run_round(&mechanism, path, &mut state)?;
        ok &= report.challenge.ok()
            && report.score.ok()
            && report.queries_match_recording != Some(false);
        rounds.push(report);
        last_context = Some(context);
    }
    let context = last_context.context("no rounds")?;
    let (call, weights) = CallReport::of(mechanism.weights(&context, &state));
    ok &= call.ok();

    if let Some(path) = &args.state {
        write_atomically(path, &state)?;
    }
    let report = Report {
        mechanism: MechanismReport {
            file: args.mechanism.display().to_string(),
            blake3: mechanism.hash(),
            name: loaded.info.name,
            version: loaded.info.version,
        },
        engine: EngineReport {
            wasmtime: WASMTIME_VERSION,
            fuel_per_call: limits.fuel_per_call,
        },
        start,
        rounds,
        weights: WeightsReport { call, weights },
        state_blake3: ContentHash::of(&state),
        ok,
    };
    match args.output {
        Output::Json => print_json(&report)?,
        Output::Text => print_text(&report),
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The state to start from: the `--state` file if it exists, else `init`.
fn starting_state(
    mechanism: &Mechanism,
    args: &ScoreArgs,
) -> anyhow::Result<(StartReport, Vec<u8>)> {
    if let Some(path) = &args.state
        && path.exists()
    {
        let state = read(path)?;
        let report = StartReport {
            source: "file",
            state_blake3: ContentHash::of(&state),
            call: None,
        };
        return Ok((report, state));
    }
    let config = match &args.config {
        Some(path) => read(path)?,
        None => Vec::new(),
    };
    let (call, state) = CallReport::of(mechanism.init(&config));
    let state = state.unwrap_or_default();
    let report = StartReport {
        source: "init",
        state_blake3: ContentHash::of(&state),
        call: Some(call),
    };
    Ok((report, state))
}

/// Runs one round file against `state`, replacing it if `score` succeeds.
fn run_round(
    mechanism: &Mechanism,
    path: &Path,
    state: &mut Vec<u8>,
) -> anyhow::Result<(RoundReport, Context)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let round = RoundFile::parse(&text)
        .and_then(RoundFile::into_round)
        .with_context(|| format!("in {}", path.display()))?;

    let (challenge, asked) = CallReport::of(mechanism.challenge(&round.context, state));
    let queries_match_recording = match (&round.queries, &asked) {
        (Some(recorded), Some(asked)) => Some(recorded == asked),
        (Some(_), None) => Some(false),
        (None, _) => None,
    };
    let queries: Option<Payloads> = round.queries.or(asked);
    let query_reports = queries
        .as_ref()
        .map(|q| {
            wire::entries(q)
                .map(|(uid, bytes)| QueryReport {
                    uid,
                    body: Body::from_bytes(bytes),
                })
                .collect()
        })
        .unwrap_or_default();

    let score = match (&queries, &round.responses) {
        (Some(queries), Some(responses)) if queries.uids == responses.replies.uids => {
            let (report, new_state) =
                CallReport::of(mechanism.score(&round.context, state, queries, responses));
            if let Some(new_state) = new_state {
                *state = new_state;
            }
            report
        }
        (Some(_), Some(_)) => anyhow::bail!(
            "{}: the responses do not answer the mechanism's queries one to one",
            path.display()
        ),
        _ => CallReport {
            outcome: "skipped",
            failure: None,
            fuel_used: None,
            log: CallLog::default(),
        },
    };
    let report = RoundReport {
        file: path.display().to_string(),
        epoch: round.context.epoch,
        step: round.context.step,
        block: round.context.block,
        challenge,
        queries: query_reports,
        queries_match_recording,
        score,
        state_blake3: ContentHash::of(state),
    };
    Ok((report, round.context))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn print_text(report: &Report) {
    let m = &report.mechanism;
    println!("mechanism {} {} ({})", m.name, m.version, m.blake3);
    println!(
        "engine    wasmtime {}, {} fuel per call",
        report.engine.wasmtime, report.engine.fuel_per_call
    );
    println!(
        "start     {} state {}",
        report.start.source, report.start.state_blake3
    );
    if let Some(call) = &report.start.call {
        print_call("init", call);
    }
    for round in &report.rounds {
        println!(
            "\nround {} (epoch {}, step {}, block {})",
            round.file, round.epoch, round.step, round.block
        );
        print_call("challenge", &round.challenge);
        let recorded = match round.queries_match_recording {
            Some(true) => ", as recorded",
            Some(false) => ", DIFFERENT FROM THE RECORDING",
            None => "",
        };
        println!("  queries    {}{recorded}", round.queries.len());
        for query in &round.queries {
            println!("    uid {:>5}  {}", query.uid, preview(&query.body));
        }
        print_call("score", &round.score);
        println!("  state      {}", round.state_blake3);
    }
    println!();
    print_call("weights", &report.weights.call);
    for w in report.weights.weights.iter().flatten() {
        println!("  uid {:>5}  {:.6}", w.uid, w.value);
    }
    println!("\nfinal state {}", report.state_blake3);
    println!("{}", if report.ok { "ok" } else { "FAILED" });
}

/// A payload shortened to one line.
fn preview(body: &Body) -> String {
    let (text, hex) = match body {
        Body::Text { text } => (text.as_str(), false),
        Body::Hex { hex } => (hex.as_str(), true),
        Body::Empty {} => ("", false),
    };
    let mut line: String = text.chars().take(72).collect();
    if line.len() < text.len() {
        line.push('…');
    }
    if hex { format!("0x{line}") } else { line }
}

fn print_call(name: &str, call: &CallReport) {
    let fuel = call
        .fuel_used
        .map(|f| format!(", {f} fuel"))
        .unwrap_or_default();
    match &call.failure {
        None => println!("  {name:<10} {}{fuel}", call.outcome),
        Some(failure) => println!("  {name:<10} failed: {failure}"),
    }
    for record in &call.log.records {
        println!("    [{:?}] {}", record.source, record.text.trim_end());
    }
    if call.log.dropped_bytes > 0 {
        println!("    ({} log bytes dropped)", call.log.dropped_bytes);
    }
}
