//! `arbiter demo`: the whole system on one machine, with real parts.
//!
//! One run sets up, under a directory it keeps for inspection:
//!
//! 1. a devnet (the embedded chain) with fast blocks, served over HTTP on
//!    loopback, and a subnet owned by a dev key;
//! 2. a registry (a store served over HTTP on loopback) where the owner
//!    publishes the `text-match` mechanism, signed;
//! 3. miners (`arbiter miner` in-process) answering with the
//!    `text-match-solver` component, each at a different quality;
//! 4. validators (`arbiter validate` in-process, configured by the TOML
//!    files written next to their data) that pull the mechanism from the
//!    registry by name, query the miners over HTTP, and set weights and the
//!    transcript commitment on chain for a few epochs.
//!
//! Then it waits for the epoch that turns the last weights into incentive,
//! reads the metagraph, and replays the first validator's last transcript
//! against the chain. [`DemoReport::problems`] says what did not come out
//! as it must: better miners earn more, validators agree, replay matches.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use arbiter_registry::server::ServerConfig;
use arbiter_registry::{
    self as registry, Admission as _, Draft, Keypair, Name, PublicKey, Registry, Release, Store,
    StoreOptions, name::parse_version, publish,
};
use futures::future::try_join_all;
use tokio::task::JoinHandle;

use crate::chain::client::DevnetClient;
use crate::chain::devnet::calls::Call;
use crate::chain::devnet::{Devnet, Genesis};
use crate::chain::{Chain, Hyperparameters, Metagraph, wait_for_epoch};
use crate::miner::{self, MinerConfig};
use crate::publishing::{SandboxAdmission, default_limits};
use crate::replay::{self, Report};
use crate::sandbox::Sandbox;
use crate::transcript::{Transcript, parse_commitment};
use crate::validator::metrics::Metrics;
use crate::validator::{self, ValidatorConfig};

/// The mechanism the demo publishes and runs.
const MECHANISM: &[u8] = include_bytes!(env!("ARBITER_WASM_TEXT_MATCH"));

/// The miners' solver.
const SOLVER: &[u8] = include_bytes!(env!("ARBITER_WASM_TEXT_MATCH_SOLVER"));

/// The subnet the demo creates.
pub const NETUID: u16 = 1;

/// One TAO in rao.
const TAO: u64 = 1_000_000_000;

/// What the demo runs.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Where everything is written (created; must be empty if it exists).
    pub dir: PathBuf,
    /// One miner per entry: the probability that it answers correctly.
    pub miner_qualities: Vec<f64>,
    /// Validators, with these stakes in TAO (the first is replayed).
    pub validator_stakes: Vec<u64>,
    /// Epochs each validator submits.
    pub epochs: u64,
    /// Blocks per epoch.
    pub tempo: u16,
    /// Time between blocks.
    pub block_time: Duration,
    /// How often miners re-read who may query them, in seconds.
    pub miner_refresh_secs: u64,
}

impl DemoOptions {
    /// The defaults in `dir`: five miners from poor to perfect, three
    /// validators, three epochs of 24 blocks of 100 ms.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            miner_qualities: vec![0.1, 0.3, 0.55, 0.8, 1.0],
            validator_stakes: vec![500, 300, 200],
            epochs: 3,
            tempo: 24,
            block_time: Duration::from_millis(100),
            miner_refresh_secs: 1,
        }
    }

    /// `count` miners whose qualities are spread evenly from 0.1 (poor) to
    /// 1.0 (perfect), in whole percent: 4 gives 0.1, 0.4, 0.7 and 1.0.
    pub fn spread_qualities(count: usize) -> Vec<f64> {
        let last = count.saturating_sub(1).max(1);
        (0..count)
            .map(|i| {
                let percent = if count == 1 { 100 } else { 10 + 90 * i / last };
                percent as f64 / 100.0
            })
            .collect()
    }

    /// `count` validators' stakes in TAO, 100 apart and the first the
    /// largest: 3 gives 300, 200 and 100.
    pub fn staggered_stakes(count: usize) -> Vec<u64> {
        (1..=count as u64).rev().map(|k| 100 * k).collect()
    }
}

/// What a demo run produced.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DemoReport {
    /// Where its files are.
    pub dir: PathBuf,
    /// The devnet's URL (gone when the demo ends; its data stays).
    pub chain_url: String,
    /// The subnet after the last weights reached consensus.
    pub metagraph: Metagraph,
    /// `(uid, quality)` of every miner.
    pub miners: Vec<(u16, f64)>,
    /// `(uid, hotkey)` of every validator.
    pub validators: Vec<(u16, PublicKey)>,
    /// The transcript that was replayed.
    pub transcript: PathBuf,
    /// Its replay, checked against the chain.
    pub replay: Report,
}

impl DemoReport {
    /// Everything that did not come out as it must; empty on success.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let incentive = |uid: u16| self.metagraph.neurons[usize::from(uid)].incentive;
        let mut by_quality = self.miners.clone();
        by_quality.sort_by(|a, b| a.1.total_cmp(&b.1));
        if let (Some(worst), Some(best)) = (by_quality.first(), by_quality.last())
            && incentive(best.0) <= incentive(worst.0)
        {
            problems.push(format!(
                "the best miner (uid {}) earns no more than the worst (uid {})",
                best.0, worst.0
            ));
        }
        for (uid, _) in &self.validators {
            let trust = self.metagraph.neurons[usize::from(*uid)].validator_trust;
            if f64::from(trust) / f64::from(u16::MAX) < MIN_VALIDATOR_TRUST {
                problems.push(format!(
                    "validator uid {uid} has validator trust {trust}/65535"
                ));
            }
        }
        if !self.replay.ok {
            problems.push(format!(
                "the replay of {} does not match",
                self.transcript.display()
            ));
        }
        problems
    }

    /// Whether miners' incentive is in the order of their quality.
    pub fn ranked_by_quality(&self) -> bool {
        let mut by_quality = self.miners.clone();
        by_quality.sort_by(|a, b| a.1.total_cmp(&b.1));
        by_quality.windows(2).all(|pair| {
            let incentive = |uid: u16| self.metagraph.neurons[usize::from(uid)].incentive;
            incentive(pair[0].0) <= incentive(pair[1].0)
        })
    }
}

/// Validators scoring the same miners must mostly agree: below this, the
/// consensus clipped much of a validator's weight.
const MIN_VALIDATOR_TRUST: f64 = 0.7;

/// The demo's network, up and producing blocks: a devnet and a registry
/// on loopback, the mechanism published, validators registered and staked
/// with their configuration files written, miners serving. Tests start it
/// to run validators their own way (as processes to kill, for instance).
pub struct Network {
    /// Where its files are.
    pub dir: PathBuf,
    /// The devnet, in this process.
    pub devnet: Arc<Devnet>,
    /// Its URL.
    pub chain_url: String,
    /// A client for it.
    pub client: Arc<DevnetClient>,
    /// The registry's URL.
    pub registry_url: String,
    /// `(uid, quality)` of every miner.
    pub miners: Vec<(u16, f64)>,
    /// `(uid, hotkey)` of every validator.
    pub validators: Vec<(u16, PublicKey)>,
    /// Each validator's configuration file.
    pub validator_configs: Vec<PathBuf>,
    running_miners: Vec<miner::RunningMiner>,
    servers: Vec<JoinHandle<()>>,
}

impl Network {
    /// Sets the network up in `options.dir` (see [`Network`]).
    pub async fn start(options: &DemoOptions, sandbox: &Sandbox) -> anyhow::Result<Self> {
        let dir = &options.dir;
        prepare_dir(dir)?;
        let mechanism_path = dir.join("text-match.wasm");
        write(&mechanism_path, MECHANISM)?;
        write(&dir.join("text-match-solver.wasm"), SOLVER)?;

        let devnet = Arc::new(Devnet::open(
            &dir.join("chain"),
            &Genesis {
                block_time_ms: u64::try_from(options.block_time.as_millis())?,
                seed: Some(*blake3::hash(b"arbiter/demo/genesis").as_bytes()),
                ..Genesis::default()
            },
        )?);
        let owner = dev_key(dir, "owner")?;
        devnet.create_subnet(
            NETUID,
            owner.public(),
            owner.public(),
            subnet_hyperparameters(options.tempo),
        )?;
        let (chain_url, chain_server) =
            serve_on_loopback(crate::chain::server::router(Arc::clone(&devnet))).await?;
        let client = Arc::new(DevnetClient::new(&chain_url)?);

        let store = Store::open_with(&dir.join("registry"), &StoreOptions::default())?;
        let admission = Arc::new(SandboxAdmission::new(sandbox.clone()));
        let (registry_url, registry_server) = serve_on_loopback(registry::server::router(
            store,
            admission,
            &ServerConfig::default(),
        ))
        .await?;
        publish_mechanism(&registry_url, &mechanism_path, &owner, sandbox).await?;

        let mut validator_configs = Vec::new();
        let mut validators = Vec::new();
        for (i, stake) in options.validator_stakes.iter().enumerate() {
            let name = format!("validator-{}", i + 1);
            let key = dev_key(dir, &name)?;
            let call = Call::Register {
                netuid: NETUID,
                coldkey: key.public(),
            };
            devnet.sign_and_submit(&key, &call)?;
            devnet.add_stake(NETUID, &key.public(), stake * TAO)?;
            let uid = devnet
                .metagraph_now(NETUID)?
                .uid_of(&key.public())
                .context("the validator did not register")?;
            validators.push((uid, key.public()));
            validator_configs.push(write_validator_config(
                dir,
                &name,
                &chain_url,
                &registry_url,
            )?);
        }
        // One epoch gives the validators their permits before miners read
        // who may query them.
        devnet.advance(u64::from(options.tempo) + 1)?;

        let mut running_miners = Vec::new();
        let mut miners = Vec::new();
        for (i, quality) in options.miner_qualities.iter().enumerate() {
            let name = format!("miner-{}", i + 1);
            dev_key(dir, &name)?;
            let path = write_miner_config(dir, &name, &chain_url, *quality, options)?;
            let setup = MinerConfig::load(&path, &chain_url)?.setup(sandbox)?;
            let running = miner::start(setup, Arc::clone(&client) as _).await?;
            miners.push((running.uid, *quality));
            running_miners.push(running);
        }
        let blocks = devnet.spawn_block_production(options.block_time);
        Ok(Self {
            dir: dir.clone(),
            devnet,
            chain_url,
            client,
            registry_url,
            miners,
            validators,
            validator_configs,
            running_miners,
            servers: vec![chain_server, registry_server, blocks],
        })
    }

    /// Stops the miners (letting queries in flight finish), the servers and
    /// block production.
    pub async fn stop(self) -> anyhow::Result<()> {
        for running in self.running_miners {
            running.stop().await?;
        }
        for server in self.servers {
            server.abort();
        }
        Ok(())
    }
}

/// Runs the demo (see the module docs).
pub async fn run(options: &DemoOptions, sandbox: &Sandbox) -> anyhow::Result<DemoReport> {
    let network = Network::start(options, sandbox).await?;
    let configs = network
        .validator_configs
        .iter()
        .map(|path| ValidatorConfig::load(path))
        .collect::<Result<Vec<_>, _>>()?;
    let runs = configs.iter().map(|config| {
        let chain = Arc::clone(&network.client) as Arc<dyn Chain>;
        async move {
            let mut validator =
                validator::from_config(config, chain, sandbox, Arc::new(Metrics::default()))
                    .await?;
            validator.run(Some(options.epochs)).await?;
            anyhow::Ok(())
        }
    });
    try_join_all(runs).await?;
    let epoch_timeout = options.block_time * u32::from(options.tempo) * 4;
    let metagraph = wait_for_epoch(network.client.as_ref(), NETUID, epoch_timeout).await?;
    let (transcript, replay) = replay_last_epoch(
        &configs[0],
        &network.validators[0].1,
        network.client.as_ref(),
        sandbox,
    )
    .await?;
    let report = DemoReport {
        dir: network.dir.clone(),
        chain_url: network.chain_url.clone(),
        metagraph,
        miners: network.miners.clone(),
        validators: network.validators.clone(),
        transcript,
        replay,
    };
    network.stop().await?;
    Ok(report)
}

/// The demo subnet: the SPEC defaults but a short tempo, weights set
/// directly (commit-reveal would delay them by an epoch), and a rate limit
/// that fits one submission per epoch.
fn subnet_hyperparameters(tempo: u16) -> Hyperparameters {
    Hyperparameters {
        tempo,
        commit_reveal_enabled: false,
        weights_set_rate_limit: u64::from(tempo / 2),
        ..Hyperparameters::default()
    }
}

/// Creates `dir`, refusing one with anything in it: the demo must not mix
/// its chain and stores with an earlier run's.
fn prepare_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    if std::fs::read_dir(dir)?.next().is_some() {
        bail!(
            "{} is not empty: give the demo a new directory",
            dir.display()
        );
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// The dev key `name`, saved as `keys/<name>.json` for the configs.
fn dev_key(dir: &Path, name: &str) -> anyhow::Result<Keypair> {
    let key = Keypair::dev(&format!("demo/{name}"))?;
    std::fs::create_dir_all(dir.join("keys"))?;
    key.save(&dir.join("keys").join(format!("{name}.json")))?;
    Ok(key)
}

/// Serves `router` on a free loopback port; its URL and task.
async fn serve_on_loopback(router: axum::Router) -> anyhow::Result<(String, JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let url = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::error!(%error, "a demo server failed");
        }
    });
    Ok((url, server))
}

/// Publishes the mechanism as `text-match@0.1.0`, signed by `owner`, to
/// the registry at `registry_url`.
async fn publish_mechanism(
    registry_url: &str,
    component: &Path,
    owner: &Keypair,
    sandbox: &Sandbox,
) -> anyhow::Result<()> {
    let registry = Registry::open(registry_url, &StoreOptions::default())?;
    let admission = SandboxAdmission::new(sandbox.clone());
    let limits = default_limits();
    let admitted = admission
        .admit(MECHANISM, &limits)
        .map_err(|reason| anyhow::anyhow!("the mechanism is refused: {reason}"))?;
    let draft = Draft {
        release: Release {
            name: Name::parse("text-match")?,
            version: parse_version("0.1.0")?,
        },
        world: admitted.world,
        limits,
        source: None,
    };
    publish(&registry, component, draft, owner, &admission).await?;
    Ok(())
}

/// Writes `<name>.toml`, the validator's configuration.
fn write_validator_config(
    dir: &Path,
    name: &str,
    chain_url: &str,
    registry_url: &str,
) -> anyhow::Result<PathBuf> {
    let text = format!(
        r#"[chain]
endpoint = "{chain_url}"
netuid = {NETUID}

[key]
file = "keys/{name}.json"

[mechanism]
reference = "text-match@0.1.0"
registry = "{registry_url}"

[storage]
data_dir = "{name}"
publish_transcripts = true

[queries]
timeout_ms = 2000
"#
    );
    let path = dir.join(format!("{name}.toml"));
    write(&path, text.as_bytes())?;
    Ok(path)
}

/// Writes `<name>.toml`, a miner's configuration.
fn write_miner_config(
    dir: &Path,
    name: &str,
    chain_url: &str,
    quality: f64,
    options: &DemoOptions,
) -> anyhow::Result<PathBuf> {
    let text = format!(
        r#"chain = "{chain_url}"
netuid = {NETUID}
key = "keys/{name}.json"
listen = "127.0.0.1:0"
solver = "text-match-solver.wasm"
quality = {quality}
metagraph_refresh_secs = {refresh}
"#,
        refresh = options.miner_refresh_secs,
    );
    let path = dir.join(format!("{name}.toml"));
    write(&path, text.as_bytes())?;
    Ok(path)
}

/// Finds the validator's last transcript through its commitment on chain,
/// as an auditor would, and replays it against the chain.
async fn replay_last_epoch(
    config: &ValidatorConfig,
    hotkey: &PublicKey,
    chain: &dyn Chain,
    sandbox: &Sandbox,
) -> anyhow::Result<(PathBuf, Report)> {
    let commitment = chain
        .commitment(NETUID, hotkey)
        .await?
        .context("the validator made no commitment")?;
    let (_, root, _) = parse_commitment(&commitment.data)
        .context("the validator's commitment is not an Arbiter commitment")?;
    let path = config
        .storage
        .data_dir
        .join("transcripts")
        .join(format!("{}.arbt", hex::encode(root)));
    let transcript = Transcript::load(&path)?;
    let report = replay::replay(&transcript, MECHANISM, sandbox, Some(chain)).await?;
    Ok((path, report))
}

#[cfg(test)]
mod tests {
    use super::DemoOptions;

    #[test]
    fn qualities_spread_from_poor_to_perfect_in_whole_percent() {
        assert_eq!(DemoOptions::spread_qualities(0), Vec::<f64>::new());
        assert_eq!(DemoOptions::spread_qualities(1), vec![1.0]);
        assert_eq!(DemoOptions::spread_qualities(2), vec![0.1, 1.0]);
        assert_eq!(DemoOptions::spread_qualities(4), vec![0.1, 0.4, 0.7, 1.0]);
        let many = DemoOptions::spread_qualities(200);
        assert_eq!((many[0], many[199]), (0.1, 1.0));
        assert!(many.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn stakes_are_staggered_with_the_first_largest() {
        assert_eq!(DemoOptions::staggered_stakes(3), vec![300, 200, 100]);
        assert_eq!(DemoOptions::staggered_stakes(1), vec![100]);
    }
}
