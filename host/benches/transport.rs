//! Transport speed (issue 5): one step's queries to 256 and 1024 miners on
//! loopback that answer at once.
//!
//! The miners run in a child process (this benchmark re-executed), one
//! listening port per miner as on a real subnet, each replying with its own
//! hotkey's signature and no think time. The validator side, in this
//! process, is `MinerClient::query_all`: signing every query, the HTTP
//! round trips, reading and verifying every reply. In the same run, the
//! baseline is the same number of unsigned HTTP round trips through a
//! plain reqwest client with the same concurrency bound, to the same
//! ports. Reported per round: wall time, and the CPU time of this process
//! (the host's own time, whatever the miners cost), each against the
//! baseline.
//!
//! Targets: ≤ 50 ms (256 miners) and ≤ 200 ms (1024 miners) of the host's
//! own time per round. Run with `cargo bench -p arbiter --bench transport`.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a benchmark stops at the first broken assumption"
)]

mod timing;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arbiter_host::chain::Axon;
use arbiter_host::transport::auth::{self, QUERY_PATH, QueryAuth};
use arbiter_host::transport::batch_verify::{SignedMessage, verify_all};
use arbiter_host::transport::{MinerClient, Query, Status};
use arbiter_registry::{Keypair, PublicKey};
use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use timing::{Row, format_duration, report};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Set in the child process: how many miners to serve.
const FARM_ENV: &str = "ARBITER_BENCH_MINER_FARM";
/// Where the unsigned baseline posts to.
const PLAIN_PATH: &str = "/plain";
/// Queries in flight at once, for the client and the baseline.
const CONCURRENCY: usize = 256;
/// Rounds per measurement.
const ROUNDS: usize = 15;
/// Clock ticks per second of `/proc/self/stat` (Linux's USER_HZ).
const TICKS_PER_SECOND: f64 = 100.0;

fn miner_key(i: usize) -> Keypair {
    Keypair::dev(&format!("bench-miner-{i}")).expect("dev key")
}

fn main() {
    if let Ok(count) = std::env::var(FARM_ENV) {
        farm(count.parse().expect("a miner count"));
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "transport: one step against N miners on loopback (concurrency {CONCURRENCY}, \
         median of {ROUNDS} rounds; miners in a child process)"
    );
    for miners in [256, 1024] {
        bench(&runtime, miners);
    }
}

fn bench(runtime: &tokio::runtime::Runtime, miners: usize) {
    let farm = Farm::start(miners);
    let keys: Vec<PublicKey> = (0..miners).map(|i| miner_key(i).public()).collect();
    let queries: Vec<Query> = farm
        .ports
        .iter()
        .zip(&keys)
        .zip(0u16..)
        .map(|((&port, &hotkey), uid)| Query {
            uid,
            hotkey,
            axon: Some(Axon {
                ip: "127.0.0.1".into(),
                port,
            }),
            request: format!("{}", 1000 + u32::from(uid)).into_bytes(),
        })
        .collect();
    let client = MinerClient::new(
        Keypair::dev("bench-validator").expect("key"),
        1,
        CONCURRENCY,
    )
    .expect("client");
    let plain = reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .build()
        .expect("plain client");

    let signed_round = || {
        let replies =
            runtime.block_on(client.query_all(queries.clone(), Duration::from_secs(10), 1 << 16));
        assert!(
            replies.iter().all(|r| r.status == Status::Ok),
            "every miner answers"
        );
    };
    let plain_round = || runtime.block_on(plain_all(&plain, &queries));
    // Warm up: connections are pooled per miner from then on, as they are
    // from a validator's second step.
    signed_round();
    plain_round();

    let (plain_wall, plain_cpu) = measure(plain_round);
    let (signed_wall, signed_cpu) = measure(signed_round);
    let crypto = crypto_cost(miners);
    report(
        &format!("{miners} miners: wall time per round"),
        &[
            Row {
                name: "unsigned HTTP round trips (baseline)".into(),
                time: plain_wall,
            },
            Row {
                name: "MinerClient::query_all (signed, verified)".into(),
                time: signed_wall,
            },
        ],
        None,
    );
    report(
        &format!("{miners} miners: the host's CPU time per round"),
        &[
            Row {
                name: "unsigned HTTP round trips (baseline)".into(),
                time: plain_cpu,
            },
            Row {
                name: "MinerClient::query_all (signed, verified)".into(),
                time: signed_cpu,
            },
            Row {
                name: "of which: signing, and a batch verification, one thread".into(),
                time: crypto,
            },
        ],
        None,
    );
    let target = if miners <= 256 { 50 } else { 200 };
    println!(
        "  target: host's own time ≤ {target} ms per round; wall {} / CPU {}",
        format_duration(signed_wall),
        format_duration(signed_cpu)
    );
}

/// The median wall time of a round, and the mean CPU time of this process
/// per round.
fn measure(mut round: impl FnMut()) -> (Duration, Duration) {
    let cpu_before = cpu_time();
    let mut walls: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            round();
            start.elapsed()
        })
        .collect();
    let cpu = (cpu_time() - cpu_before) / ROUNDS as u32;
    walls.sort();
    (walls[ROUNDS / 2], cpu)
}

/// User plus system CPU time of this process so far (Linux; zero
/// elsewhere).
fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // The fields after the command name (which may contain spaces).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12
    // after the name (the state is the first).
    Duration::from_secs_f64((ticks(11) + ticks(12)) as f64 / TICKS_PER_SECOND)
}

/// `n` signatures and one batch verification of `n`, the crypto a round
/// cannot avoid.
fn crypto_cost(n: usize) -> Duration {
    let validator = Keypair::dev("bench-validator").expect("key");
    let message = [7u8; 140];
    let start = Instant::now();
    let signed: Vec<SignedMessage> = (0..n)
        .map(|_| SignedMessage {
            key: validator.public(),
            message: message.to_vec(),
            signature: validator.sign(&message),
        })
        .collect();
    assert!(verify_all(&signed).iter().all(|&valid| valid));
    start.elapsed()
}

/// The baseline: one unsigned POST per query, `CONCURRENCY` at once.
async fn plain_all(client: &reqwest::Client, queries: &[Query]) {
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let mut tasks = JoinSet::new();
    for query in queries {
        let (client, permits) = (client.clone(), Arc::clone(&permits));
        let axon = query.axon.clone().expect("axon");
        let body = query.request.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("permit");
            let url = format!("http://{}:{}{PLAIN_PATH}", axon.ip, axon.port);
            let response = client.post(url).body(body).send().await.expect("sent");
            response.bytes().await.expect("read")
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task");
    }
}

/// The child process of miners.
struct Farm {
    child: Child,
    ports: Vec<u16>,
}

impl Farm {
    fn start(miners: usize) -> Self {
        let mut child = Command::new(std::env::current_exe().expect("own path"))
            .env(FARM_ENV, miners.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("miner farm");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("ports");
        let ports = line
            .split_whitespace()
            .map(|p| p.parse().expect("a port"))
            .collect::<Vec<u16>>();
        assert_eq!(ports.len(), miners);
        Self { child, ports }
    }
}

impl Drop for Farm {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// Serves `miners` miners, one port each, until stdin closes.
fn farm(miners: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let keys: Arc<HashMap<PublicKey, Keypair>> = Arc::new(
        (0..miners)
            .map(miner_key)
            .map(|k| (k.public(), k))
            .collect(),
    );
    let ports = runtime.block_on(async {
        let mut ports = Vec::with_capacity(miners);
        for _ in 0..miners {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("listen");
            ports.push(listener.local_addr().expect("address").port());
            let keys = Arc::clone(&keys);
            let app = Router::new()
                .route(
                    QUERY_PATH,
                    post(move |headers: HeaderMap, body: Bytes| {
                        answer(Arc::clone(&keys), headers, body)
                    }),
                )
                .route(PLAIN_PATH, post(|body: Bytes| async move { body }));
            tokio::spawn(async move { axum::serve(listener, app).await });
        }
        ports
    });
    let line: Vec<String> = ports.iter().map(u16::to_string).collect();
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", line.join(" ")).expect("ports out");
    out.flush().expect("flush");
    // Serve until the parent closes stdin (or dies).
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(runtime);
}

/// A miner answering at once: the body back, signed by the addressed
/// miner's hotkey.
async fn answer(
    keys: Arc<HashMap<PublicKey, Keypair>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (query, request_signature) = QueryAuth::from_headers(&headers).expect("query headers");
    let key = keys.get(&query.miner).expect("a farm miner");
    let signature = key.sign(&auth::reply_message(&request_signature, &body));
    (auth::reply_headers(&key.public(), &signature), body).into_response()
}
