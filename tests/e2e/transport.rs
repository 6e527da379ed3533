//! The validator's miner client against real HTTP servers on loopback:
//! miners that hang, dawdle, flood, talk garbage, hang up mid-reply or
//! sign wrongly each end in their own status, never in an error of the
//! host; honest miners are trusted; concurrency is bounded.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use arbiter_host::chain::Axon;
use arbiter_host::transport::auth::{self, QUERY_PATH, QueryAuth};
use arbiter_host::transport::{MinerClient, Query, Reply, Status};
use arbiter_registry::{Keypair, PublicKey};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket};

const NETUID: u16 = 1;
/// The reply cap the client is given in these tests.
const CAP: u32 = 64 << 10;
const TEN_MB: usize = 10 << 20;

fn key(name: &str) -> Keypair {
    Keypair::dev(name).unwrap()
}

fn client(max_concurrency: usize) -> MinerClient {
    MinerClient::new(key("validator"), NETUID, max_concurrency).unwrap()
}

fn loopback(port: u16) -> Axon {
    Axon {
        ip: "127.0.0.1".into(),
        port,
    }
}

/// Serves `app` on a fresh loopback port.
async fn serve_on(listener: TcpListener, app: Router) -> Axon {
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    loopback(port)
}

/// A miner whose every query is answered by `handler`.
async fn miner<F, Fut>(handler: F) -> Axon
where
    F: Fn(HeaderMap, Bytes) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    let app = Router::new().route(
        QUERY_PATH,
        post(move |headers: HeaderMap, body: Bytes| handler(headers, body)),
    );
    serve_on(TcpListener::bind("127.0.0.1:0").await.unwrap(), app).await
}

/// A server that answers every connection with `bytes`, then closes it.
async fn raw_server(bytes: &'static [u8]) -> Axon {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = vec![0u8; 64 << 10];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(bytes).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    loopback(port)
}

/// `reply`, signed by `signer` over `signed_body`, claiming to be `claimed`.
fn signed(
    signer: &Keypair,
    claimed: &PublicKey,
    headers: &HeaderMap,
    signed_body: &[u8],
    reply: Vec<u8>,
) -> Response {
    let (_, request_signature) = QueryAuth::from_headers(headers).unwrap();
    let signature = signer.sign(&auth::reply_message(&request_signature, signed_body));
    (auth::reply_headers(claimed, &signature), reply).into_response()
}

/// Twice the decimal number in `body`.
fn doubled(body: &[u8]) -> Vec<u8> {
    let n: u64 = std::str::from_utf8(body).unwrap().parse().unwrap();
    (2 * n).to_string().into_bytes()
}

/// An honest miner with `key` that waits `delay` before answering.
async fn honest(key: Keypair, delay: Duration) -> Axon {
    miner(move |headers, body| {
        let key = key.clone();
        async move {
            let (query, signature) = QueryAuth::from_headers(&headers).unwrap();
            assert!(query.verify(&body, &signature), "the query is signed");
            assert_eq!(query.miner, key.public(), "the query names this miner");
            tokio::time::sleep(delay).await;
            let reply = doubled(&body);
            signed(&key, &key.public(), &headers, &reply.clone(), reply)
        }
    })
    .await
}

fn query(uid: u16, hotkey: &Keypair, axon: Option<Axon>) -> Query {
    Query {
        uid,
        hotkey: hotkey.public(),
        axon,
        request: b"21".to_vec(),
    }
}

/// A listener whose accepted sockets have a small send buffer, so a body
/// the client stops reading cannot vanish into kernel buffers.
fn small_buffer_listener() -> TcpListener {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_send_buffer_size(64 << 10).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    socket.listen(64).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_bad_miner_gets_its_own_status_and_nothing_fails() {
    let miner_key = key("miner");
    let impostor = key("impostor");
    let (m, i) = (miner_key.clone(), impostor.clone());
    let closed_port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let cases: Vec<(&str, Option<Axon>, Status)> = vec![
        (
            "honest",
            Some(honest(miner_key.clone(), Duration::ZERO).await),
            Status::Ok,
        ),
        (
            "slow but in time",
            Some(honest(miner_key.clone(), Duration::from_millis(300)).await),
            Status::Ok,
        ),
        (
            "hangs",
            Some(miner(|_, _| std::future::pending::<Response>()).await),
            Status::Timeout,
        ),
        (
            "10 MB declared",
            Some(miner(|_, _| async { vec![b'x'; TEN_MB].into_response() }).await),
            Status::Oversized,
        ),
        (
            "HTTP 500",
            Some(miner(|_, _| async { StatusCode::INTERNAL_SERVER_ERROR.into_response() }).await),
            Status::Refused,
        ),
        (
            "HTTP 404 with a body",
            Some(miner(|_, _| async { (StatusCode::NOT_FOUND, "no").into_response() }).await),
            Status::Refused,
        ),
        (
            "a redirect, not followed",
            Some(
                miner(|_, _| async {
                    (StatusCode::FOUND, [("location", "http://127.0.0.1:1/")]).into_response()
                })
                .await,
            ),
            Status::Refused,
        ),
        (
            "204 instead of 200",
            Some(miner(|_, _| async { StatusCode::NO_CONTENT.into_response() }).await),
            Status::Malformed,
        ),
        (
            "garbage instead of HTTP",
            Some(raw_server(b"\x00\x01garbage\r\n\r\nmore garbage").await),
            Status::Malformed,
        ),
        (
            "hangs up mid-body",
            Some(raw_server(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789").await),
            Status::Malformed,
        ),
        (
            "unsigned",
            Some(miner(|_, body| async move { doubled(&body).into_response() }).await),
            Status::BadSignature,
        ),
        (
            "signed by another key, claiming the miner",
            Some(
                miner(move |headers, body| {
                    let (m, i) = (m.clone(), i.clone());
                    async move {
                        let reply = doubled(&body);
                        signed(&i, &m.public(), &headers, &reply.clone(), reply)
                    }
                })
                .await,
            ),
            Status::BadSignature,
        ),
        (
            "signed by another hotkey, openly",
            Some(
                miner({
                    let i = impostor.clone();
                    move |headers, body| {
                        let i = i.clone();
                        async move {
                            let reply = doubled(&body);
                            signed(&i, &i.public(), &headers, &reply.clone(), reply)
                        }
                    }
                })
                .await,
            ),
            Status::BadSignature,
        ),
        (
            "signature over another body",
            Some(
                miner({
                    let m = miner_key.clone();
                    move |headers, body| {
                        let m = m.clone();
                        async move { signed(&m, &m.public(), &headers, b"84", doubled(&body)) }
                    }
                })
                .await,
            ),
            Status::BadSignature,
        ),
        ("no axon", None, Status::Unreachable),
        (
            "nothing listening",
            Some(loopback(closed_port)),
            Status::Unreachable,
        ),
        (
            "not an address",
            Some(Axon {
                ip: "miner.example".into(),
                port: 8091,
            }),
            Status::Unreachable,
        ),
    ];
    let queries: Vec<Query> = cases
        .iter()
        .zip(0u16..)
        .map(|((_, axon, _), uid)| query(uid, &miner_key, axon.clone()))
        .collect();
    let timeout = Duration::from_millis(1500);
    let replies = client(64).query_all(queries, timeout, CAP).await;

    assert_eq!(replies.len(), cases.len());
    for (((name, _, expected), reply), uid) in cases.iter().zip(&replies).zip(0u16..) {
        assert_eq!(reply.uid, uid, "{name}: replies come back in query order");
        assert_eq!(reply.status, *expected, "{name}: {reply:?}");
        match reply.status {
            Status::Ok => {
                assert_eq!(reply.body, b"42", "{name}");
                assert!(reply.signature.is_some(), "{name}");
            }
            Status::BadSignature => {
                assert!(reply.body.starts_with(b"42"), "{name}: the body is kept");
            }
            _ => assert!(
                reply.body.is_empty(),
                "{name}: no body for {:?}",
                reply.status
            ),
        }
        assert!(reply.latency_ms <= 1500, "{name}: {} ms", reply.latency_ms);
    }
    let latency = |name: &str| {
        let index = cases.iter().position(|(n, _, _)| *n == name).unwrap();
        replies[index].latency_ms
    };
    assert_eq!(latency("hangs"), 1500, "a timeout counts the whole timeout");
    assert!(latency("slow but in time") >= 300);
    assert_eq!(latency("no axon"), 0, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_flood_is_cut_off_at_the_cap_not_buffered() {
    let yielded = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&yielded);
    let app = Router::new().route(
        QUERY_PATH,
        post(move || {
            let counter = Arc::clone(&counter);
            async move {
                let chunk = Bytes::from(vec![b'x'; 64 << 10]);
                let chunks = futures::stream::iter(0..TEN_MB / chunk.len()).map(move |_| {
                    counter.fetch_add(chunk.len(), Ordering::SeqCst);
                    Ok::<_, std::io::Error>(chunk.clone())
                });
                Body::from_stream(chunks).into_response()
            }
        }),
    );
    let axon = serve_on(small_buffer_listener(), app).await;
    let miner_key = key("miner");
    let replies = client(4)
        .query_all(
            vec![query(1, &miner_key, Some(axon))],
            Duration::from_secs(10),
            CAP,
        )
        .await;
    assert_eq!(replies[0].status, Status::Oversized);
    assert!(replies[0].body.is_empty());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = yielded.load(Ordering::SeqCst);
    assert!(
        sent < TEN_MB / 4,
        "the server produced {sent} bytes before the client hung up"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_is_bounded_and_every_query_is_answered() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let miner_key = key("miner");
    let axon = miner({
        let (in_flight, peak, miner_key) = (in_flight.clone(), peak.clone(), miner_key.clone());
        move |headers, body| {
            let (in_flight, peak, miner_key) = (in_flight.clone(), peak.clone(), miner_key.clone());
            async move {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(40)).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
                let reply = doubled(&body);
                signed(
                    &miner_key,
                    &miner_key.public(),
                    &headers,
                    &reply.clone(),
                    reply,
                )
            }
        }
    })
    .await;
    let queries: Vec<Query> = (0..24)
        .map(|uid| query(uid, &miner_key, Some(axon.clone())))
        .collect();
    let replies: Vec<Reply> = client(3)
        .query_all(queries, Duration::from_secs(10), CAP)
        .await;
    assert!(
        replies.iter().all(|r| r.status == Status::Ok),
        "{replies:?}"
    );
    assert_eq!(
        peak.load(Ordering::SeqCst),
        3,
        "at most 3 at once, and 3 were used"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_step_sends_nothing() {
    assert!(
        client(1)
            .query_all(Vec::new(), Duration::from_secs(1), CAP)
            .await
            .is_empty()
    );
}
