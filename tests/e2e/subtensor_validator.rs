//! The whole validator on a real Subtensor runtime (spec 218 on
//! chopsticks): text-match published to a registry, three miners serving
//! it over HTTP with their axons on chain (on this machine's interface
//! address: the chain refuses loopback), and the validator, pointed at
//! `ws://`, running an epoch: it queries the miners, sets weights and
//! commits `arb1 ‖ mechanism ‖ transcript root ‖ epoch`; then `arbiter
//! verify epoch:…` checks that epoch from the real chain alone.

use std::sync::Arc;
use std::time::Duration;

use arbiter_host::chain::Chain;
use arbiter_host::miner::{self, MinerSetup};
use arbiter_host::sandbox::Limits;
use arbiter_host::subtensor::Subtensor;
use arbiter_host::transcript::parse_commitment;
use arbiter_host::validator::metrics::Metrics;
use arbiter_host::validator::{self, ValidatorConfig};

use crate::chopsticks::{Chopsticks, create_subnet, new_blocks, set_value};
use crate::registry::{Scratch, assert_exit, json};
use crate::support::{arbiter_bin, sandbox, text_match_wasm, wasm};

/// Blocks per epoch: short, so the test sees one whole epoch quickly.
const TEMPO: u16 = 20;

/// This machine's address on its network interface: Subtensor refuses
/// loopback axons (`InvalidIpAddress`), so miners advertise this one (the
/// validator, on the same machine, still reaches them directly). Found by
/// the route to an address, without sending anything.
fn machine_ip() -> std::net::IpAddr {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    socket.connect("10.255.255.255:1").unwrap();
    let ip = socket.local_addr().unwrap().ip();
    assert!(
        !ip.is_loopback(),
        "this machine has no network interface but loopback"
    );
    ip
}

#[test]
fn a_validator_runs_an_epoch_on_a_real_runtime_and_the_epoch_verifies() {
    let node = Chopsticks::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let connect = || async {
        Subtensor::connect(&node.url)
            .await
            .unwrap()
            .with_inclusion_timeout(Duration::from_secs(30))
    };
    let chain = runtime.block_on(connect());
    let subnet = runtime.block_on(create_subnet(&chain, 3));
    let netuid = subnet.netuid;
    runtime.block_on(set_value(&chain, "Tempo", (netuid,), TEMPO));

    // The mechanism, published to a registry directory.
    let scratch = Scratch::new();
    let component = scratch.path("text-match.wasm");
    std::fs::write(&component, text_match_wasm()).unwrap();
    let registry = scratch.path("registry");
    assert_exit(
        &scratch.publish(&component, "text-match@0.1.0", &registry, &[]),
        0,
    );

    // Miners: already registered; each serves its axon and answers.
    let sandbox = sandbox();
    let solver_bytes = wasm(env!("ARBITER_WASM_TEXT_MATCH_SOLVER"));
    let miners: Vec<_> = subnet
        .miners
        .iter()
        .map(|key| {
            let setup = MinerSetup {
                netuid,
                key: key.clone(),
                coldkey: None,
                listen: "0.0.0.0:0".parse().unwrap(),
                advertise_ip: machine_ip(),
                advertise_port: None,
                solver: sandbox
                    .load_solver(&solver_bytes, Limits::default())
                    .unwrap(),
                quality: 1.0,
                max_request_bytes: 1 << 20,
                metagraph_refresh: Duration::from_millis(500),
            };
            runtime.block_on(async {
                miner::start(setup, Arc::new(connect().await))
                    .await
                    .unwrap()
            })
        })
        .collect();

    // Blocks keep coming, as on a live chain (about two a second).
    let producer = runtime.spawn({
        let chain = runtime.block_on(connect());
        async move {
            loop {
                new_blocks(&chain, 1).await;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    });

    let key_file = scratch.dir.path().join("validator.json");
    subnet.validator.save(&key_file).unwrap();
    let config_file = scratch.dir.path().join("validator.toml");
    std::fs::write(
        &config_file,
        format!(
            r#"[chain]
endpoint = "{}"
netuid = {netuid}

[key]
file = "validator.json"

[mechanism]
reference = "text-match@0.1.0"
registry = "{registry}"

[storage]
data_dir = "validator-data"

[queries]
timeout_ms = 2000
"#,
            node.url
        ),
    )
    .unwrap();
    let config = ValidatorConfig::load(&config_file).unwrap();
    runtime.block_on(async {
        let chain = arbiter_host::chain::connect(&config.chain.endpoint)
            .await
            .unwrap();
        let mut validator =
            validator::from_config(&config, chain, &sandbox, Arc::new(Metrics::default()))
                .await
                .unwrap();
        validator.run(Some(1)).await.unwrap();
    });

    // On chain: the validator's weights over the miners, and its commitment.
    let hotkey = subnet.validator.public();
    let weights = runtime.block_on(chain.weights(netuid, 0, 0)).unwrap();
    assert!(!weights.is_empty(), "no weights on chain");
    assert!(
        weights.iter().all(|(uid, _)| (1..=3).contains(uid)),
        "{weights:?}"
    );
    let commitment = runtime
        .block_on(chain.commitment(netuid, &hotkey))
        .unwrap()
        .expect("a commitment");
    let (_mechanism, root, epoch) =
        parse_commitment(&commitment.data).expect("an Arbiter commitment");

    // And anyone can check that epoch from the real chain.
    let transcripts = scratch.dir.path().join("validator-data/transcripts");
    let output = std::process::Command::new(arbiter_bin())
        .args(["verify", &format!("epoch:{netuid}/{hotkey}/{epoch}")])
        .args([
            "--chain",
            &node.url,
            "--registry",
            &registry,
            "--output",
            "json",
            "--no-cache",
        ])
        .arg("--transcripts")
        .arg(&transcripts)
        .output()
        .unwrap();
    let report = json(&output);
    assert_eq!(report["verified"], true, "{report}");
    assert_eq!(report["commitment"]["root"], hex::encode(root));
    assert_eq!(report["replay"]["chain_checked"], true, "{report}");

    producer.abort();
    drop(miners);
}
