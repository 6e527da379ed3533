//! A real Subtensor runtime on loopback for the online backend's tests:
//! chopsticks (installed by `tests/chopsticks/install.sh`, pinned) running
//! the spec-218 runtime embedded in `tests/fixtures/subtensor/raonet.json`,
//! one process per test, killed when the test ends.
//!
//! Setting up a subnet uses chopsticks' dev RPCs only where a real chain
//! would need time or money (funding accounts, lifting rate limits,
//! granting a validator permit, producing blocks on demand); the subnet and
//! its neurons are created by real signed extrinsics (`register_network`,
//! `burned_register`) through the backend under test.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use arbiter_host::chain::Chain;
use arbiter_host::subtensor::Subtensor;
use arbiter_host::subtensor::storage::Snapshot;
use arbiter_registry::Keypair;
use serde_json::{Value, json};
use subxt::dynamic::{Value as Arg, tx};
use subxt::ext::codec::Encode;
use subxt::ext::frame_decode::storage::IntoEncodableValues;
use subxt::ext::scale_value::Composite;
use subxt::rpcs::rpc_params;

use crate::support::repo_path;

/// How long chopsticks may take to start.
const BOOT_TIMEOUT: Duration = Duration::from_secs(120);

/// chopsticks' entry script, installed once per test run.
fn entry() -> &'static PathBuf {
    static ENTRY: OnceLock<PathBuf> = OnceLock::new();
    ENTRY.get_or_init(|| {
        let output = Command::new(repo_path("tests/chopsticks/install.sh"))
            .stderr(Stdio::inherit())
            .output()
            .expect("tests/chopsticks/install.sh runs (needs node and npm)");
        assert!(output.status.success(), "installing chopsticks failed");
        PathBuf::from(String::from_utf8(output.stdout).unwrap().trim())
    })
}

/// A running chopsticks node.
pub struct Chopsticks {
    child: Child,
    /// Its `ws://` endpoint.
    pub url: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Chopsticks {
    /// Starts chopsticks on a free loopback port, making a block for each
    /// transaction at once, and waits until it serves.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.path().join("chopsticks.log");
        let child = Command::new("node")
            .arg(entry())
            .arg(format!(
                "--chain-spec={}",
                repo_path("tests/fixtures/subtensor/raonet.json").display()
            ))
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--build-block-mode", "Instant"])
            .current_dir(dir.path())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs");
        let chopsticks = Self {
            child,
            url: format!("ws://127.0.0.1:{port}"),
            log,
            _dir: dir,
        };
        let started = Instant::now();
        while !chopsticks.log().contains("RPC listening") {
            assert!(
                started.elapsed() < BOOT_TIMEOUT,
                "chopsticks did not start:\n{}",
                chopsticks.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        chopsticks
    }

    /// What chopsticks printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stops the node (the process dies; connections drop).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Chopsticks {
    fn drop(&mut self) {
        self.kill();
    }
}

/// chopsticks' `dev_setStorage`, with storage named as
/// `{"Pallet": {"Entry": value or [[[keys], value], ...]}}`.
pub async fn set_storage(chain: &Subtensor, storage: Value) {
    let _: Value = chain
        .node()
        .request("dev_setStorage", rpc_params![storage])
        .await
        .unwrap();
}

/// Stores `value` (SCALE-encoded as given) under `SubtensorModule.entry`
/// and `keys`.
pub async fn set_value(
    chain: &Subtensor,
    entry: &str,
    keys: impl IntoEncodableValues,
    value: impl Encode,
) {
    set_pallet_value(chain, "SubtensorModule", entry, keys, value).await;
}

/// Stores `value` under `pallet.entry` and `keys`, by raw key: chopsticks'
/// named form deletes a key whose value is zero or `false`, which brings
/// back the runtime's default instead.
pub async fn set_pallet_value(
    chain: &Subtensor,
    pallet: &str,
    entry: &str,
    keys: impl IntoEncodableValues,
    value: impl Encode,
) {
    let state = Snapshot::best(chain.node()).await.unwrap();
    let key = state.key(pallet, entry, keys).unwrap();
    let pair = json!([[
        format!("0x{}", hex::encode(key)),
        format!("0x{}", hex::encode(value.encode()))
    ]]);
    set_storage(chain, pair).await;
}

/// Produces `count` blocks (`dev_newBlock`).
pub async fn new_blocks(chain: &Subtensor, count: u32) {
    let _: Value = chain
        .node()
        .request("dev_newBlock", rpc_params![json!({ "count": count })])
        .await
        .unwrap();
}

/// Produces blocks until subnet `netuid`'s next epoch has run.
pub async fn next_epoch(chain: &Subtensor, netuid: u16) {
    let start = chain.metagraph(netuid).await.unwrap().epoch_index;
    while chain.metagraph(netuid).await.unwrap().epoch_index == start {
        new_blocks(chain, 1).await;
    }
}

/// Gives `keys` plenty of TAO.
pub async fn fund(chain: &Subtensor, keys: &[&Keypair]) {
    let accounts: Vec<Value> = keys
        .iter()
        .map(|k| {
            json!([[k.public().ss58()], {
                "providers": 1,
                "data": { "free": "1000000000000000000" }
            }])
        })
        .collect();
    set_storage(chain, json!({ "System": { "Account": accounts } })).await;
}

/// A subnet made for a test: its owner's hotkey is uid 0 and holds the
/// validator permit; each miner hotkey is registered after it.
pub struct TestSubnet {
    /// The subnet.
    pub netuid: u16,
    /// The owner's coldkey (it pays for everything).
    pub coldkey: Keypair,
    /// uid 0, the validator.
    pub validator: Keypair,
    /// uids 1.., in order.
    pub miners: Vec<Keypair>,
}

/// A keypair of its own for each name and test.
pub fn key(name: &str) -> Keypair {
    Keypair::dev(name).unwrap()
}

/// Creates a subnet by `register_network`, registers `miners` by
/// `burned_register`, lifts the rate limits and grants uid 0 a permit.
pub async fn create_subnet(chain: &Subtensor, miners: usize) -> TestSubnet {
    let coldkey = key("owner-cold");
    let validator = key("owner-hot");
    let miners: Vec<Keypair> = (0..miners).map(|i| key(&format!("miner-{i}"))).collect();
    let mut payers = vec![&coldkey, &validator];
    payers.extend(miners.iter());
    fund(chain, &payers).await;
    set_value(chain, "NetworkRateLimit", (), 0u64).await;
    let register = tx(
        "SubtensorModule",
        "register_network",
        // Spec 218's `register_network` also names the subnet's mechanism
        // (1: dynamic TAO).
        Composite::named([
            ("hotkey", Arg::from_bytes(validator.public().0)),
            ("mechid", Arg::u128(1)),
        ]),
    );
    let included = chain
        .submit_payload(&coldkey, register, None)
        .await
        .unwrap();
    assert_eq!(included.failure, None, "{:?}", included.events);
    let netuid = netuid_owned_by(chain, &coldkey).await;
    set_value(chain, "MaxRegistrationsPerBlock", (netuid,), 64u16).await;
    set_value(chain, "TargetRegistrationsPerInterval", (netuid,), 64u16).await;
    for miner in &miners {
        let register = tx(
            "SubtensorModule",
            "burned_register",
            Composite::named([
                ("netuid", Arg::u128(netuid.into())),
                ("hotkey", Arg::from_bytes(miner.public().0)),
            ]),
        );
        let included = chain.submit_payload(miner, register, None).await.unwrap();
        assert_eq!(included.failure, None, "{:?}", included.events);
    }
    let mut permits = vec![false; miners.len() + 1];
    permits[0] = true;
    set_value(chain, "ValidatorPermit", (netuid,), permits).await;
    set_value(chain, "WeightsSetRateLimit", (netuid,), 0u64).await;
    set_value(chain, "CommitRevealWeightsEnabled", (netuid,), false).await;
    TestSubnet {
        netuid,
        coldkey,
        validator,
        miners,
    }
}

/// The subnet whose owner is `coldkey`.
async fn netuid_owned_by(chain: &Subtensor, coldkey: &Keypair) -> u16 {
    for netuid in 1..64 {
        if let Ok(metagraph) = chain.metagraph(netuid).await
            && metagraph.owner == coldkey.public()
        {
            return netuid;
        }
    }
    panic!("no subnet is owned by {}", coldkey.public());
}

/// A TCP relay in front of a node that can cut every open connection at
/// once (a network failure), while still accepting new ones.
pub struct Proxy {
    /// Its `ws://` endpoint.
    pub url: String,
    cut: tokio::sync::watch::Sender<u64>,
}

impl Proxy {
    /// Relays `127.0.0.1:<free port>` to `upstream` (`ws://host:port`).
    pub async fn start(upstream: &str) -> Self {
        let upstream = upstream.trim_start_matches("ws://").to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}", listener.local_addr().unwrap());
        let (cut, _) = tokio::sync::watch::channel(0u64);
        let cuts = cut.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let mut cut = cuts.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Self { url, cut }
    }

    /// Drops every connection open now.
    pub fn cut(&self) {
        self.cut.send_modify(|n| *n += 1);
    }
}
