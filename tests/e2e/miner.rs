//! The reference miner on a real devnet, over real HTTP on loopback: it
//! registers and serves its axon; refuses strangers, unpermitted hotkeys,
//! bad signatures, replays, stale queries, queries for someone else and
//! floods; follows permit changes; answers with its solver; runs as a real
//! `arbiter miner serve` process; and solvers of different quality score
//! in that order through the real mechanisms.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arbiter_host::chain::devnet::calls::Call;
use arbiter_host::chain::devnet::{Devnet, Genesis};
use arbiter_host::chain::{Chain, Hyperparameters, Metagraph};
use arbiter_host::miner::{self, MinerSetup, RunningMiner};
use arbiter_host::sandbox::bindings::{Context, Neuron, Payloads};
use arbiter_host::sandbox::solver_bindings::SolveError;
use arbiter_host::sandbox::{AdmissionError, Limits, Sandbox, Solver};
use arbiter_host::transport::auth::{self, QUERY_PATH, QueryAuth};
use arbiter_host::transport::{MinerClient, Query, Status, responses};
use arbiter_registry::{Keypair, PublicKey, Signature};
use axum::http::StatusCode;

use crate::support::{sandbox, text_match_wasm, wasm};

const NETUID: u16 = 1;

fn key(name: &str) -> Keypair {
    Keypair::dev(name).unwrap()
}

fn echo_double_solver_wasm() -> Vec<u8> {
    wasm(env!("ARBITER_WASM_ECHO_DOUBLE_SOLVER"))
}

fn text_match_solver_wasm() -> Vec<u8> {
    wasm(env!("ARBITER_WASM_TEXT_MATCH_SOLVER"))
}

fn load_solver(sandbox: &Sandbox, bytes: &[u8]) -> Solver {
    sandbox.load_solver(bytes, Limits::default()).unwrap()
}

/// A devnet with subnet 1 (tempo 10, one validator permit): `validator`
/// registered, staked and holding the permit, `bystander` registered
/// without one.
struct Net {
    devnet: Arc<Devnet>,
    _dir: tempfile::TempDir,
}

fn net() -> Net {
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::open(
        dir.path(),
        &Genesis {
            seed: Some([7; 32]),
            ..Genesis::default()
        },
    )
    .unwrap();
    let hyper = Hyperparameters {
        tempo: 10,
        max_allowed_validators: 1,
        commit_reveal_enabled: false,
        ..Hyperparameters::default()
    };
    let owner = key("owner");
    devnet
        .create_subnet(NETUID, owner.public(), owner.public(), hyper)
        .unwrap();
    for name in ["validator", "bystander"] {
        register(&devnet, &key(name));
    }
    devnet
        .add_stake(NETUID, &key("validator").public(), 1_000_000_000_000)
        .unwrap();
    devnet.advance(21).unwrap();
    Net {
        devnet: Arc::new(devnet),
        _dir: dir,
    }
}

fn register(devnet: &Devnet, hotkey: &Keypair) {
    let call = Call::Register {
        netuid: NETUID,
        coldkey: hotkey.public(),
    };
    devnet.sign_and_submit(hotkey, &call).unwrap();
}

fn setup(name: &str, solver: Solver, quality: f64) -> MinerSetup {
    MinerSetup {
        netuid: NETUID,
        key: key(name),
        coldkey: None,
        listen: "127.0.0.1:0".parse().unwrap(),
        advertise_ip: "127.0.0.1".parse().unwrap(),
        advertise_port: None,
        solver,
        quality,
        max_request_bytes: 1024,
        metagraph_refresh: Duration::from_millis(200),
    }
}

async fn start(net: &Net, setup: MinerSetup) -> RunningMiner {
    miner::start(setup, Arc::clone(&net.devnet) as _)
        .await
        .unwrap()
}

/// A hand-made query, to break one rule at a time.
struct Raw {
    signer: Keypair,
    auth: QueryAuth,
    body: Vec<u8>,
}

impl Raw {
    /// A correct query from `validator` to `miner`.
    fn new(validator: &Keypair, miner: &PublicKey, body: &[u8]) -> Self {
        Self {
            signer: validator.clone(),
            auth: QueryAuth {
                netuid: NETUID,
                validator: validator.public(),
                miner: *miner,
                nonce: rand_nonce(),
                timestamp_ms: auth::now_ms(),
            },
            body: body.to_vec(),
        }
    }

    /// Sends it; returns the request signature and the answer.
    async fn send(&self, miner: &RunningMiner) -> (Signature, reqwest::Response) {
        let signature = self.auth.sign(&self.signer, &self.body);
        let response = reqwest::Client::new()
            .post(format!("http://{}{QUERY_PATH}", miner.local_addr))
            .headers(self.auth.headers(&signature))
            .body(self.body.clone())
            .send()
            .await
            .unwrap();
        (signature, response)
    }

    /// The status and text of the miner's answer.
    async fn status(&self, miner: &RunningMiner) -> (StatusCode, String) {
        let (_, response) = self.send(miner).await;
        (response.status(), response.text().await.unwrap())
    }
}

fn rand_nonce() -> [u8; 16] {
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).unwrap();
    nonce
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_miner_registers_serves_its_axon_and_refuses_everyone_it_should() {
    let net = net();
    let solver = load_solver(&sandbox(), &echo_double_solver_wasm());
    let miner = start(&net, setup("miner", solver, 1.0)).await;
    let metagraph = net.devnet.metagraph(NETUID).await.unwrap();
    let me = &metagraph.neurons[usize::from(miner.uid)];
    assert_eq!(me.hotkey, miner.hotkey, "registered");
    assert_eq!(me.axon.as_ref(), Some(&miner.axon), "axon served");
    assert_eq!(miner.axon.port, miner.local_addr.port());

    let validator = key("validator");
    let good = Raw::new(&validator, &miner.hotkey, b"21");
    let (request_signature, response) = good.send(&miner).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    let body = response.bytes().await.unwrap();
    assert_eq!(&body[..], b"42");
    let (who, signature) = auth::reply_from_headers(&headers).unwrap();
    assert_eq!(who, miner.hotkey);
    assert!(who.verify(&auth::reply_message(&request_signature, &body), &signature));

    let expect = |got: (StatusCode, String), status: StatusCode, words: &str, case: &str| {
        assert_eq!(got.0, status, "{case}: {}", got.1);
        assert!(got.1.contains(words), "{case}: {:?} lacks {words:?}", got.1);
    };
    expect(
        good.status(&miner).await,
        StatusCode::UNAUTHORIZED,
        "nonce",
        "the same query again",
    );
    expect(
        Raw::new(&key("stranger"), &miner.hotkey, b"21")
            .status(&miner)
            .await,
        StatusCode::FORBIDDEN,
        "permit",
        "an unregistered caller",
    );
    expect(
        Raw::new(&key("bystander"), &miner.hotkey, b"21")
            .status(&miner)
            .await,
        StatusCode::FORBIDDEN,
        "permit",
        "a registered caller without a permit",
    );
    let mut forged = Raw::new(&validator, &miner.hotkey, b"21");
    forged.signer = key("stranger");
    expect(
        forged.status(&miner).await,
        StatusCode::UNAUTHORIZED,
        "signature",
        "a forged signature",
    );
    for (offset, case) in [
        (-120_000i64, "a stale timestamp"),
        (120_000, "a future timestamp"),
    ] {
        let mut query = Raw::new(&validator, &miner.hotkey, b"21");
        query.auth.timestamp_ms = query.auth.timestamp_ms.saturating_add_signed(offset);
        expect(
            query.status(&miner).await,
            StatusCode::UNAUTHORIZED,
            "timestamp",
            case,
        );
    }
    expect(
        Raw::new(&validator, &key("bystander").public(), b"21")
            .status(&miner)
            .await,
        StatusCode::UNAUTHORIZED,
        "axon of",
        "a query for another hotkey",
    );
    let mut other_subnet = Raw::new(&validator, &miner.hotkey, b"21");
    other_subnet.auth.netuid = 2;
    expect(
        other_subnet.status(&miner).await,
        StatusCode::UNAUTHORIZED,
        "subnet",
        "a query for another subnet",
    );
    expect(
        Raw::new(&validator, &miner.hotkey, &[b'1'; 2000])
            .status(&miner)
            .await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "1024",
        "a body over the cap",
    );
    expect(
        Raw::new(&validator, &miner.hotkey, b"twenty-one")
            .status(&miner)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "decimal",
        "a request the solver cannot read",
    );
    let unsigned = reqwest::Client::new()
        .post(format!("http://{}{QUERY_PATH}", miner.local_addr))
        .body("21")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), StatusCode::BAD_REQUEST);

    // A streamed body without a declared length is cut off at the cap too.
    let flood = Raw::new(&validator, &miner.hotkey, &[b'1'; 4096]);
    let signature = flood.auth.sign(&validator, &flood.body);
    let chunks = futures::stream::iter(
        flood
            .body
            .chunks(512)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let streamed = reqwest::Client::new()
        .post(format!("http://{}{QUERY_PATH}", miner.local_addr))
        .headers(flood.auth.headers(&signature))
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(streamed.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // The validator's own client gets a trusted answer.
    let client = MinerClient::new(validator, NETUID, 4).unwrap();
    let replies = client
        .query_all(
            vec![Query {
                uid: miner.uid,
                hotkey: miner.hotkey,
                axon: Some(miner.axon.clone()),
                request: b"1000".to_vec(),
            }],
            Duration::from_secs(5),
            64,
        )
        .await;
    assert_eq!(replies[0].status, Status::Ok, "{:?}", replies[0]);
    assert_eq!(replies[0].body, b"2000");
    miner.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permits_follow_the_metagraph() {
    let net = net();
    let solver = load_solver(&sandbox(), &echo_double_solver_wasm());
    let miner = start(&net, setup("miner", solver, 1.0)).await;
    let (v1, v2) = (key("validator"), key("bystander"));
    let ask = |validator: &Keypair| Raw::new(validator, &miner.hotkey, b"5");
    assert_eq!(ask(&v1).status(&miner).await.0, StatusCode::OK);
    assert_eq!(ask(&v2).status(&miner).await.0, StatusCode::FORBIDDEN);

    // v2 outstakes v1 and takes the only permit at the next epoch.
    net.devnet
        .add_stake(NETUID, &v2.public(), 5_000_000_000_000)
        .unwrap();
    net.devnet.advance(10).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while ask(&v2).status(&miner).await.0 != StatusCode::OK {
        assert!(
            Instant::now() < deadline,
            "the new permit never took effect"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ask(&v1).status(&miner).await.0, StatusCode::FORBIDDEN);
}

#[test]
fn solvers_are_admitted_as_solvers_only_and_are_deterministic() {
    let sandbox = sandbox();
    let solver = load_solver(&sandbox, &echo_double_solver_wasm());
    assert!(matches!(
        sandbox.load_solver(&text_match_wasm(), Limits::default()),
        Err(AdmissionError::MissingSolverExport { .. })
    ));
    assert!(matches!(
        sandbox.load(&echo_double_solver_wasm(), Limits::default()),
        Err(AdmissionError::MissingExport { .. })
    ));
    let answer =
        |request: &[u8], quality, seed| solver.solve(request, quality, &[seed; 32]).result.unwrap();
    assert_eq!(answer(b"21", 1.0, 1), Ok(b"42".to_vec()));
    assert_eq!(answer(b"21", 0.5, 9), answer(b"21", 0.5, 9));
    assert_ne!(answer(b"21", 0.0, 1), Ok(b"42".to_vec()));
    assert!(matches!(
        answer(b"x", 1.0, 1),
        Err(SolveError::InvalidRequest(_))
    ));
    let starved = sandbox
        .load_solver(
            &echo_double_solver_wasm(),
            Limits {
                fuel_per_call: 10,
                ..Limits::default()
            },
        )
        .unwrap();
    assert!(starved.solve(b"21", 1.0, &[0; 32]).result.is_err());

    let text = load_solver(&sandbox, &text_match_solver_wasm());
    let question = b"What is the capital city of Japan?";
    assert_eq!(
        text.solve(question, 1.0, &[3; 32]).result.unwrap(),
        Ok(b"Tokyo is the capital city of Japan.".to_vec())
    );
}

/// The step context a validator with `validator_uid` would build from
/// `metagraph` for `step`.
fn context(metagraph: &Metagraph, validator_uid: u16, step: u32) -> Context {
    Context {
        netuid: NETUID,
        mechid: 0,
        epoch: 0,
        step,
        block: metagraph.block.number,
        block_time_ms: metagraph.block.timestamp_ms,
        block_hash: metagraph.block.hash.to_vec(),
        seed: blake3::hash(&step.to_le_bytes()).as_bytes().to_vec(),
        validator_uid,
        neurons: metagraph
            .neurons
            .iter()
            .map(|n| Neuron {
                uid: n.uid,
                stake: n.stake,
                validator_permit: n.validator_permit,
                active: n.active,
                replaced: false,
            })
            .collect(),
        hotkeys: metagraph.neurons.iter().flat_map(|n| n.hotkey.0).collect(),
    }
}

/// The queries of `payloads`, addressed through `metagraph`.
fn queries(metagraph: &Metagraph, payloads: &Payloads) -> Vec<Query> {
    let mut start = 0;
    payloads
        .uids
        .iter()
        .zip(&payloads.ends)
        .map(|(&uid, &end)| {
            let neuron = &metagraph.neurons[usize::from(uid)];
            let request = payloads.data[start..end as usize].to_vec();
            start = end as usize;
            Query {
                uid,
                hotkey: neuron.hotkey,
                axon: neuron.axon.clone(),
                request,
            }
        })
        .collect()
}

/// Runs `mechanism` (initialised with `config`) for `steps` steps against
/// miners of `qualities` with `solver`, and returns each miner's weight (0
/// when it got none).
async fn weights_for(
    mechanism: &[u8],
    config: &[u8],
    solver: &[u8],
    qualities: &[f64],
    steps: u32,
) -> Vec<f64> {
    let net = net();
    let sandbox = sandbox();
    let solver = load_solver(&sandbox, solver);
    let mut miners = Vec::new();
    for (i, &quality) in qualities.iter().enumerate() {
        miners.push(start(&net, setup(&format!("miner-{i}"), solver.clone(), quality)).await);
    }
    let loaded = sandbox.load(mechanism, Limits::default()).unwrap();
    let mechanism = loaded.mechanism;
    let timeout = Duration::from_millis(u64::from(loaded.info.query_timeout_ms));
    let validator = key("validator");
    let client = MinerClient::new(validator.clone(), NETUID, 16).unwrap();
    let metagraph = net.devnet.metagraph(NETUID).await.unwrap();
    let validator_uid = metagraph.uid_of(&validator.public()).unwrap();
    let mut state = mechanism.init(config).result.unwrap();
    for step in 0..steps {
        let ctx = context(&metagraph, validator_uid, step);
        let payloads = mechanism.challenge(&ctx, &state).result.unwrap();
        let replies = client
            .query_all(
                queries(&metagraph, &payloads),
                timeout,
                loaded.info.max_response_bytes,
            )
            .await;
        for miner in &miners {
            let reply = replies.iter().find(|r| r.uid == miner.uid).unwrap();
            assert_eq!(reply.status, Status::Ok, "{reply:?}");
        }
        state = mechanism
            .score(&ctx, &state, &payloads, &responses(&replies))
            .result
            .unwrap();
    }
    let weights = mechanism
        .weights(&context(&metagraph, validator_uid, steps), &state)
        .result
        .unwrap();
    miners
        .iter()
        .map(|m| {
            weights
                .iter()
                .find(|w| w.uid == m.uid)
                .map_or(0.0, |w| w.value)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn better_echo_double_solvers_earn_more_weight() {
    let mechanism = wasm(env!("ARBITER_WASM_ECHO_DOUBLE"));
    let w = weights_for(
        &mechanism,
        b"",
        &echo_double_solver_wasm(),
        &[1.0, 0.5, 0.0],
        20,
    )
    .await;
    assert!(w[0] > w[1] && w[1] > w[2], "{w:?}");
    assert_eq!(
        w[2], 0.0,
        "a miner that is never right earns nothing: {w:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn better_text_match_solvers_earn_more_weight() {
    // A slower moving average than the default (0.1) averages over more
    // steps, so the order of the two imperfect miners is not left to luck.
    let w = weights_for(
        &text_match_wasm(),
        b"alpha=0.03",
        &text_match_solver_wasm(),
        &[1.0, 0.5, 0.0],
        60,
    )
    .await;
    assert!(w[0] > w[1] && w[1] > w[2], "{w:?}");
    assert!(w[2] > 0.0, "partial answers earn something: {w:?}");
}

/// Kills the process when dropped, so a failing test leaves nothing behind.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_miner_process_answers_a_signed_query() {
    let net = net();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let chain_url = format!("http://{}", listener.local_addr().unwrap());
    let app = arbiter_host::chain::server::router(Arc::clone(&net.devnet));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().unwrap();
    let miner_key = key("process-miner");
    miner_key.save(&dir.path().join("hotkey.json")).unwrap();
    let config = dir.path().join("miner.toml");
    std::fs::write(
        &config,
        format!(
            "chain = \"{chain_url}\"\nnetuid = {NETUID}\nkey = \"hotkey.json\"\n\
             listen = \"127.0.0.1:0\"\nsolver = \"{}\"\nquality = 1.0\n",
            env!("ARBITER_WASM_ECHO_DOUBLE_SOLVER")
        ),
    )
    .unwrap();
    let _process = Running(
        Command::new(crate::support::arbiter_bin())
            .args(["miner", "serve", "--no-cache", "--config"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );

    let neuron = wait_for_axon(&net, &miner_key.public(), Duration::from_secs(60)).await;
    let client = MinerClient::new(key("validator"), NETUID, 4).unwrap();
    let replies = client
        .query_all(
            vec![Query {
                uid: neuron.0,
                hotkey: miner_key.public(),
                axon: Some(neuron.1),
                request: b"333".to_vec(),
            }],
            Duration::from_secs(5),
            64,
        )
        .await;
    assert_eq!(replies[0].status, Status::Ok, "{:?}", replies[0]);
    assert_eq!(replies[0].body, b"666");
}

/// Polls the devnet until `hotkey` is registered with an axon.
async fn wait_for_axon(
    net: &Net,
    hotkey: &PublicKey,
    patience: Duration,
) -> (u16, arbiter_host::chain::Axon) {
    let deadline = Instant::now() + patience;
    loop {
        let metagraph = net.devnet.metagraph(NETUID).await.unwrap();
        if let Some(found) = metagraph
            .neurons
            .iter()
            .find(|n| &n.hotkey == hotkey)
            .and_then(|n| n.axon.clone().map(|axon| (n.uid, axon)))
        {
            return found;
        }
        assert!(Instant::now() < deadline, "the miner never served its axon");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
