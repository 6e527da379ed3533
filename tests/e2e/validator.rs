//! The validator survives being killed: `arbiter validate` runs as a real
//! process against the demo's network (devnet, registry and miners on
//! loopback), is SIGKILLed in the middle of a step sequence and right as it
//! finalises an epoch, and restarted on the same data directory each time.
//!
//! The chain's refusals, in process: a version key below the subnet's is
//! refused for good (the validator records it and goes on with the next
//! epoch), and a rate limit is waited out. Weights made final before
//! commit-reveal came on still go out only as a commit. And a chain that goes away for a
//! while (a real TCP relay between the validator and the devnet, cut and
//! restored) is waited for.
//!
//! What must hold after the kills: the last run finishes cleanly; every epoch has
//! exactly one transcript (a restart continues the epoch's transcript rather
//! than starting a second one, which would mean two different commitments
//! for one epoch); every transcript replays; and the commitment on chain
//! names the newest transcript, whose replay matches the chain's weights.

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use arbiter_host::chain::Chain as _;
use arbiter_host::chain::Hyperparameters;
use arbiter_host::chain::client::DevnetClient;
use arbiter_host::chain::commit_hash::commit_hash;
use arbiter_host::demo::{DemoOptions, NETUID, Network};
use arbiter_host::replay::replay;
use arbiter_host::sandbox::Sandbox;
use arbiter_host::transcript::{Transcript, parse_commitment};
use arbiter_host::validator::metrics::Metrics;
use arbiter_host::validator::store::{Change, Submission, ValidatorStore};
use arbiter_host::validator::{self, ValidatorConfig};

use crate::support::{arbiter_bin, sandbox, text_match_wasm};

/// Starts `arbiter validate` on `config` for `epochs` submitted epochs.
fn spawn_validator(config: &Path, epochs: u64) -> Child {
    Command::new(arbiter_bin())
        .args(["-v", "validate", "--no-cache", "--epochs"])
        .arg(epochs.to_string())
        .arg("--config")
        .arg(config)
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("arbiter validate starts")
}

/// Reads the child's log until a line satisfies `at`, then kills it with
/// SIGKILL (no chance to flush or clean up).
fn kill_when(mut child: Child, mut at: impl FnMut(&str) -> bool) {
    let stderr = child.stderr.take().expect("stderr");
    let seen = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .any(|line| at(&line));
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    assert!(seen, "the validator exited before the point to kill it");
}

/// A network in `dir` of validators with `stakes` (in TAO) and two miners.
fn two_miners(dir: &tempfile::TempDir, stakes: &[u64]) -> DemoOptions {
    DemoOptions {
        miner_qualities: vec![0.5, 1.0],
        validator_stakes: stakes.to_vec(),
        ..DemoOptions::new(dir.path().join("net"))
    }
}

/// Every transcript the validator stored.
fn transcripts(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir.join("validator-1/transcripts"))
        .map(|entries| entries.map(|e| e.expect("entry").path()).collect())
        .unwrap_or_default()
}

#[test]
fn a_killed_validator_resumes_without_a_second_transcript_for_any_epoch() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = two_miners(&dir, &[500]);
    let sandbox = sandbox();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let network = runtime
        .block_on(Network::start(&options, &sandbox))
        .expect("the network starts");
    let config = network.validator_configs[0].clone();

    // Killed after its third step of an epoch, and again as it finalises
    // one (before or after its submission: both must be safe).
    let mut steps = 0;
    kill_when(spawn_validator(&config, 3), |line| {
        steps += usize::from(line.contains("host_ms"));
        steps == 3
    });
    kill_when(spawn_validator(&config, 3), |line| {
        line.contains("epoch finalised")
    });
    let finished = spawn_validator(&config, 2)
        .wait_with_output()
        .expect("the last run ends");
    assert!(
        finished.status.success(),
        "{}",
        String::from_utf8_lossy(&finished.stderr)
    );

    let mut epochs = BTreeSet::new();
    let mut newest = None;
    for path in transcripts(&options.dir) {
        let transcript = Transcript::load(&path).expect("a stored transcript decodes");
        let epoch = transcript.decode().expect("decodes").header.epoch;
        assert!(epochs.insert(epoch), "two transcripts for epoch {epoch}");
        let report = runtime
            .block_on(replay(&transcript, &text_match_wasm(), &sandbox, None))
            .expect("replays");
        assert!(report.ok, "{path:?} does not replay: {report:?}");
        if newest.as_ref().is_none_or(|(e, _)| epoch > *e) {
            newest = Some((epoch, transcript));
        }
    }
    assert!(epochs.len() >= 2, "epochs submitted: {epochs:?}");

    let (epoch, transcript) = newest.expect("a transcript");
    let hotkey = network.validators[0].1;
    let commitment = runtime
        .block_on(network.client.commitment(NETUID, &hotkey))
        .expect("chain")
        .expect("a commitment");
    let (_, root, committed_epoch) = parse_commitment(&commitment.data).expect("arb1");
    assert_eq!((root, committed_epoch), (transcript.root(), epoch));
    let report = runtime
        .block_on(replay(
            &transcript,
            &text_match_wasm(),
            &sandbox,
            Some(network.client.as_ref()),
        ))
        .expect("replays");
    assert!(report.ok && report.chain_checked, "{report:?}");
    runtime.block_on(network.stop()).expect("stops");
}

/// A validator that ran in this process, and its network.
pub(crate) struct InProcess {
    pub network: Network,
    pub runtime: tokio::runtime::Runtime,
    pub metrics: Arc<Metrics>,
    pub sandbox: Sandbox,
    /// Holds the network's files until the test ends.
    pub dir: tempfile::TempDir,
}

/// Changes the network's subnet's hyperparameters on the devnet.
async fn adjust_subnet(network: &Network, adjust: impl FnOnce(&mut Hyperparameters)) {
    let mut hyper = network
        .client
        .hyperparameters(NETUID)
        .await
        .expect("hyperparameters");
    adjust(&mut hyper);
    network
        .devnet
        .set_hyperparameters(NETUID, hyper, None)
        .expect("adjusted");
}

/// Runs the network's first validator in this process until it has
/// submitted `epochs` epochs.
async fn run_first_validator(
    network: &Network,
    sandbox: &Sandbox,
    metrics: &Arc<Metrics>,
    epochs: u64,
) {
    let config = ValidatorConfig::load(&network.validator_configs[0]).expect("config");
    let mut validator = validator::from_config(
        &config,
        Arc::clone(&network.client) as _,
        sandbox,
        Arc::clone(metrics),
    )
    .await
    .expect("opens");
    validator.run(Some(epochs)).await.expect("runs to the end");
}

/// A network of validators with `stakes` and two miners, whose subnet
/// `adjust` changed, and the first validator run in process for `epochs`.
pub(crate) fn run_in_process(
    stakes: &[u64],
    adjust: impl FnOnce(&mut Hyperparameters),
    epochs: u64,
) -> InProcess {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = two_miners(&dir, stakes);
    let sandbox = sandbox();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let metrics = Arc::new(Metrics::default());
    let network = runtime.block_on(async {
        let network = Network::start(&options, &sandbox)
            .await
            .expect("the network starts");
        adjust_subnet(&network, adjust).await;
        run_first_validator(&network, &sandbox, &metrics, epochs).await;
        network
    });
    InProcess {
        network,
        runtime,
        metrics,
        sandbox,
        dir,
    }
}

#[test]
fn a_refused_version_key_gives_up_that_epoch_and_the_validator_goes_on() {
    let InProcess {
        network,
        runtime,
        metrics,
        dir: _dir,
        ..
    } = run_in_process(&[500], |h| h.weights_version_key = 7, 2);
    assert!(
        metrics
            .render()
            .contains("arbiter_submissions_refused_total 2"),
        "{}",
        metrics.render()
    );
    let uid = network.validators[0].0;
    let stored = runtime
        .block_on(network.client.weights(NETUID, 0, uid))
        .expect("chain");
    assert!(stored.is_empty(), "refused weights were stored: {stored:?}");
    runtime.block_on(network.stop()).expect("stops");
}

#[test]
fn a_rate_limit_is_waited_out_and_every_epoch_lands() {
    // Longer than an epoch: the second submission is refused at first.
    let InProcess {
        network,
        runtime,
        metrics,
        sandbox,
        dir: _dir,
    } = run_in_process(
        &[500],
        |h| h.weights_set_rate_limit = u64::from(h.tempo) + 6,
        2,
    );
    assert!(
        metrics
            .render()
            .contains("arbiter_submissions_refused_total 0")
    );
    assert_eq!(transcripts(&network.dir).len(), 2);
    let hotkey = network.validators[0].1;
    let commitment = runtime
        .block_on(network.client.commitment(NETUID, &hotkey))
        .expect("chain")
        .expect("a commitment");
    let (_, root, _) = parse_commitment(&commitment.data).expect("arb1");
    let path = network
        .dir
        .join("validator-1/transcripts")
        .join(format!("{}.arbt", hex::encode(root)));
    let transcript = Transcript::load(&path).expect("the committed transcript");
    let report = runtime
        .block_on(replay(
            &transcript,
            &text_match_wasm(),
            &sandbox,
            Some(network.client.as_ref()),
        ))
        .expect("replays");
    assert!(report.ok, "the second epoch's weights landed: {report:?}");
    // Register, then weights and commitment twice: any call beyond those
    // five was a refusal (a refused call spends its nonce) that was retried.
    assert!(
        network.devnet.nonce(&hotkey) > 5,
        "the rate limit was never hit"
    );
    runtime.block_on(network.stop()).expect("stops");
}

#[test]
fn weights_final_before_commit_reveal_came_on_are_committed_not_sent_in_the_clear() {
    let InProcess {
        network,
        runtime,
        sandbox,
        dir: _dir,
        ..
    } = run_in_process(&[500], |_| {}, 1);
    let hotkey = network.validators[0].1;
    let config = ValidatorConfig::load(&network.validator_configs[0]).expect("config");

    // As if the validator died right after finalising weights while the
    // subnet had commit-reveal off: a pending submission without a salt.
    let store = ValidatorStore::open(&config.storage.data_dir.join("state")).expect("store");
    let (mut progress, _) = store.load().expect("loads").expect("progress");
    let (uids, values) = progress.last_weights.clone().expect("weights set");
    let head = runtime
        .block_on(network.client.head())
        .expect("head")
        .number;
    progress.submission = Some(Submission {
        epoch: progress.epoch,
        uids: uids.clone(),
        values: values.clone(),
        root: [7; 32],
        salt: None,
        timelock_seed: None,
        weights_done: false,
        block: head,
    });
    store
        .apply(&Change {
            progress: &progress,
            state: None,
            record: None,
            clear_records: false,
        })
        .expect("stored");
    drop(store);

    // Then commit-reveal comes on, and the validator restarts.
    let metrics = Arc::new(Metrics::default());
    runtime.block_on(async {
        adjust_subnet(&network, |h| h.commit_reveal_enabled = true).await;
        run_first_validator(&network, &sandbox, &metrics, 1).await;
    });

    // The weights went out as a commit with a salt drawn then (kept for
    // the reveal), and nothing was refused (weights in the clear would have
    // been, as CommitRevealEnabled).
    let store = ValidatorStore::open(&config.storage.data_dir.join("state")).expect("store");
    let (progress, _) = store.load().expect("loads").expect("progress");
    let salt = progress.reveal.expect("a reveal to do").salt;
    let hash = commit_hash(
        &hotkey,
        NETUID,
        0,
        &uids,
        &values,
        &salt,
        config.weights.version_key,
    );
    let commits = runtime
        .block_on(network.client.weight_commits(NETUID, &hotkey))
        .expect("commits");
    assert_eq!(commits, vec![hash]);
    let metrics = metrics.render();
    assert!(
        metrics.contains("arbiter_submissions_refused_total 0")
            && metrics.contains("arbiter_epochs_submitted_total 1"),
        "{metrics}"
    );
    runtime.block_on(network.stop()).expect("stops");
}

/// A TCP relay to `target` that can be cut: while cut, its open connections
/// are closed and new ones are closed as soon as they are accepted, which
/// is what a validator sees of a chain node that went away.
struct Relay {
    url: String,
    cut: tokio::sync::watch::Sender<bool>,
}

impl Relay {
    async fn start(target: String) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let (cut, watch) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if *watch.borrow() {
                    continue;
                }
                let mut cut = watch.clone();
                let target = target.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        Relay { url, cut }
    }

    fn set_cut(&self, cut: bool) {
        self.cut.send_replace(cut);
    }
}

#[test]
fn a_chain_outage_is_waited_out_and_every_epoch_lands() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = two_miners(&dir, &[500]);
    let sandbox = sandbox();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let metrics = Arc::new(Metrics::default());
    runtime.block_on(async {
        let network = Network::start(&options, &sandbox)
            .await
            .expect("the network starts");
        let chain_address = network.chain_url.trim_start_matches("http://").to_string();
        let relay = Relay::start(chain_address).await;
        let chain = Arc::new(DevnetClient::new(&relay.url).expect("client"));
        let config = ValidatorConfig::load(&network.validator_configs[0]).expect("config");
        let mut validator = validator::from_config(&config, chain, &sandbox, Arc::clone(&metrics))
            .await
            .expect("opens");
        // Once the validator is under way, the chain is gone for 2 s.
        let outage = async {
            while metrics.steps() < 2 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            relay.set_cut(true);
            tokio::time::sleep(Duration::from_secs(2)).await;
            relay.set_cut(false);
        };
        let (run, ()) = tokio::join!(validator.run(Some(2)), outage);
        run.expect("the validator runs through the outage");
        network.stop().await.expect("stops");
    });
    let rendered = metrics.render();
    let unreachable: u64 = rendered
        .lines()
        .find_map(|line| line.strip_prefix("arbiter_chain_unreachable_total "))
        .and_then(|n| n.parse().ok())
        .expect("the outage counter");
    assert!(unreachable >= 1, "the outage was never seen:\n{rendered}");
    assert!(
        rendered.contains("arbiter_epochs_submitted_total 2"),
        "{rendered}"
    );
}
