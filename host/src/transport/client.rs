//! The validator's side: [`MinerClient`] sends a step's signed queries and
//! turns every way a miner can fail into a [`Status`].
//!
//! Queries run as tasks on the caller's tokio runtime (so signing spreads
//! over its worker threads), at most `max_concurrency` at once across all
//! clones of one client. The miners' signatures are checked once every
//! reply is in, as one batch ([`super::batch_verify`]), which costs about
//! half the CPU of checking them one by one. Each is bounded from the moment
//! it is sent by the timeout (connection, request, headers and body
//! together) and by the reply size cap, which is enforced while reading:
//! a declared `Content-Length` over the cap ends the exchange before the
//! body is read, and a streamed body is dropped as soon as it would pass
//! the cap. The HTTP client follows no redirects (a miner cannot send a
//! validator elsewhere), uses no proxy, and decompresses nothing.
//!
//! Nonces are the first 16 bytes of a keyed BLAKE3 of a per-client counter,
//! under a random key drawn once: unique for the client's life and
//! unpredictable to miners, without a system call per query.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arbiter_registry::{Keypair, PublicKey, Signature};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::auth::{self, MINER, QUERY_PATH, QueryAuth, SIGNATURE};
use super::batch_verify::{SignedMessage, verify_all};
use super::reply::{Query, Reply, Status};
use crate::chain::Axon;

/// Why a [`MinerClient`] could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// `max_concurrency` was 0: no query could ever be sent.
    #[error("the query concurrency must be at least 1")]
    ZeroConcurrency,
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
    /// The operating system gave no randomness for the nonce key.
    #[error("no randomness for query nonces: {0}")]
    Randomness(String),
}

/// Sends signed queries to miners. Cheap to clone; clones share the
/// connection pool and the concurrency bound.
#[derive(Clone)]
pub struct MinerClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    key: Keypair,
    netuid: u16,
    /// The validator's address, encoded once.
    address: HeaderValue,
    permits: Arc<Semaphore>,
    nonce_key: [u8; 32],
    nonce_counter: AtomicU64,
}

/// A reply as received, before its signature is checked.
struct Received {
    headers: HeaderMap,
    body: Vec<u8>,
}

impl MinerClient {
    /// A client that signs with `key` (the validator's hotkey) for subnet
    /// `netuid` and has at most `max_concurrency` queries in flight.
    pub fn new(key: Keypair, netuid: u16, max_concurrency: usize) -> Result<Self, TransportError> {
        if max_concurrency == 0 {
            return Err(TransportError::ZeroConcurrency);
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .tcp_nodelay(true)
            .user_agent(concat!("arbiter/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TransportError::Http(e.to_string()))?;
        let mut nonce_key = [0u8; 32];
        getrandom::fill(&mut nonce_key).map_err(|e| TransportError::Randomness(e.to_string()))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                address: auth::address_value(&key.public()),
                key,
                netuid,
                permits: Arc::new(Semaphore::new(max_concurrency.min(Semaphore::MAX_PERMITS))),
                nonce_key,
                nonce_counter: AtomicU64::new(0),
            }),
        })
    }

    /// The validator's hotkey, which signs every query.
    pub fn hotkey(&self) -> PublicKey {
        self.inner.key.public()
    }

    /// Queries all, at most `max_concurrency` at once, each bounded by
    /// `timeout` and `max_reply_bytes`; returns one [`Reply`] per
    /// [`Query`], in the same order. Never fails as a whole: every miner
    /// failure is a [`Status`].
    #[tracing::instrument(skip_all, fields(netuid = self.inner.netuid, queries = queries.len()))]
    pub async fn query_all(
        &self,
        queries: Vec<Query>,
        timeout: Duration,
        max_reply_bytes: u32,
    ) -> Vec<Reply> {
        // A task that cannot finish (it could only be cancelled with the
        // runtime) leaves this placeholder.
        let mut replies: Vec<Reply> = queries
            .iter()
            .map(|q| Reply::empty(q.uid, Status::Unreachable, 0))
            .collect();
        let mut tasks = JoinSet::new();
        for (index, query) in queries.into_iter().enumerate() {
            let client = self.clone();
            tasks.spawn(async move {
                let received = match Arc::clone(&client.inner.permits).acquire_owned().await {
                    Ok(_permit) => client.query(query, timeout, max_reply_bytes).await,
                    Err(_) => (Reply::empty(query.uid, Status::Unreachable, 0), None),
                };
                (index, received)
            });
        }
        let mut unchecked: Vec<(usize, SignedMessage)> = vec![];
        while let Some(joined) = tasks.join_next().await {
            if let Ok((index, (reply, signed))) = joined
                && let Some(slot) = replies.get_mut(index)
            {
                *slot = reply;
                unchecked.extend(signed.map(|signed| (index, signed)));
            }
        }
        // Runs on this task: once all replies are in, nothing else of the
        // step is waiting on this worker (about 9 ms per 256 replies).
        let (indexes, signed): (Vec<usize>, Vec<SignedMessage>) = unchecked.into_iter().unzip();
        for (index, valid) in indexes.into_iter().zip(verify_all(&signed)) {
            if !valid && let Some(reply) = replies.get_mut(index) {
                reply.status = Status::BadSignature;
            }
        }
        let ok = replies.iter().filter(|r| r.status == Status::Ok).count();
        tracing::debug!(ok, failed = replies.len() - ok, "queries answered");
        replies
    }

    /// One query, start to finish, but for the reply's signature check: a
    /// reply that claims the queried miner's signature comes back as `ok`
    /// with the [`SignedMessage`] still to check.
    async fn query(
        &self,
        query: Query,
        timeout: Duration,
        max_reply_bytes: u32,
    ) -> (Reply, Option<SignedMessage>) {
        let uid = query.uid;
        let Some(url) = query.axon.as_ref().and_then(query_url) else {
            return (Reply::empty(uid, Status::Unreachable, 0), None);
        };
        let auth = QueryAuth {
            netuid: self.inner.netuid,
            validator: self.inner.key.public(),
            miner: query.hotkey,
            nonce: self.next_nonce(),
            timestamp_ms: auth::now_ms(),
        };
        let request_signature = auth.sign(&self.inner.key, &query.request);
        let miner_address = auth::address_value(&query.hotkey);
        let request = self
            .inner
            .http
            .post(url)
            .headers(auth.headers_with_addresses(
                self.inner.address.clone(),
                miner_address.clone(),
                &request_signature,
            ))
            .body(query.request);
        let start = Instant::now();
        let received = match tokio::time::timeout(timeout, receive(request, max_reply_bytes)).await
        {
            Err(_) => {
                return (
                    Reply::empty(uid, Status::Timeout, whole_millis(timeout)),
                    None,
                );
            }
            Ok(Err(status)) => {
                return (
                    Reply::empty(uid, status, whole_millis(start.elapsed())),
                    None,
                );
            }
            Ok(Ok(received)) => received,
        };
        let latency_ms = whole_millis(start.elapsed());
        let signature = header_signature(&received.headers);
        let to_check = signature
            .filter(|_| signed_by(&received.headers, &miner_address, &query.hotkey))
            .map(|signature| SignedMessage {
                key: query.hotkey,
                message: auth::reply_message(&request_signature, &received.body),
                signature,
            });
        let reply = Reply {
            uid,
            status: if to_check.is_some() {
                Status::Ok
            } else {
                Status::BadSignature
            },
            latency_ms,
            body: received.body,
            signature,
        };
        (reply, to_check)
    }

    fn next_nonce(&self) -> [u8; 16] {
        let count = self.inner.nonce_counter.fetch_add(1, Ordering::Relaxed);
        let hash = blake3::keyed_hash(&self.inner.nonce_key, &count.to_le_bytes());
        let mut nonce = [0u8; 16];
        nonce.copy_from_slice(&hash.as_bytes()[..16]);
        nonce
    }
}

/// Sends `request` and reads the reply, at most `cap` body bytes.
async fn receive(request: reqwest::RequestBuilder, cap: u32) -> Result<Received, Status> {
    let mut response = request.send().await.map_err(|error| {
        if error.is_connect() {
            Status::Unreachable
        } else {
            Status::Malformed
        }
    })?;
    let status = response.status();
    if !status.is_success() {
        return Err(Status::Refused);
    }
    if status != StatusCode::OK {
        return Err(Status::Malformed);
    }
    let cap = u64::from(cap);
    let declared = response.content_length();
    if declared.is_some_and(|length| length > cap) {
        return Err(Status::Oversized);
    }
    let headers = std::mem::take(response.headers_mut());
    let mut body = Vec::with_capacity(usize::try_from(declared.unwrap_or(0)).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(|_| Status::Malformed)? {
        if (body.len() + chunk.len()) as u64 > cap {
            return Err(Status::Oversized);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Received { headers, body })
}

/// `http://<ip>:<port>/arbiter/v1/query`, or `None` for an axon no query
/// can go to: an IP that does not parse (axons are addresses, never names
/// to resolve) or the unspecified address (`0.0.0.0` would reach the
/// validator's own machine).
fn query_url(axon: &Axon) -> Option<String> {
    let ip: IpAddr = axon.ip.parse().ok()?;
    if ip.is_unspecified() || axon.port == 0 {
        return None;
    }
    Some(format!(
        "http://{}{QUERY_PATH}",
        SocketAddr::new(ip, axon.port)
    ))
}

fn header_signature(headers: &HeaderMap) -> Option<Signature> {
    auth::parse_signature(headers.get(SIGNATURE)?.to_str().ok()?)
}

/// Whether the reply names `hotkey` as its signer: the address the query
/// sent (`address`) as it was, or any other SS58 form of the same key.
fn signed_by(headers: &HeaderMap, address: &HeaderValue, hotkey: &PublicKey) -> bool {
    headers.get(MINER).is_some_and(|value| {
        value == address
            || value
                .to_str()
                .ok()
                .and_then(|text| text.parse::<PublicKey>().ok())
                .is_some_and(|miner| &miner == hotkey)
    })
}

fn whole_millis(duration: Duration) -> u32 {
    u32::try_from(duration.as_millis()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axons_become_urls_only_when_they_are_addresses() {
        let axon = |ip: &str, port| Axon {
            ip: ip.into(),
            port,
        };
        assert_eq!(
            query_url(&axon("127.0.0.1", 8091)).as_deref(),
            Some("http://127.0.0.1:8091/arbiter/v1/query")
        );
        assert_eq!(
            query_url(&axon("::1", 8091)).as_deref(),
            Some("http://[::1]:8091/arbiter/v1/query")
        );
        assert_eq!(query_url(&axon("miner.example", 8091)), None);
        assert_eq!(query_url(&axon("0.0.0.0", 8091)), None);
        assert_eq!(query_url(&axon("127.0.0.1", 0)), None);
    }

    #[test]
    fn nonces_do_not_repeat() -> Result<(), Box<dyn std::error::Error>> {
        let client = MinerClient::new(Keypair::dev("validator")?, 1, 4)?;
        let mut nonces: Vec<[u8; 16]> = (0..1000).map(|_| client.next_nonce()).collect();
        nonces.sort_unstable();
        nonces.dedup();
        assert_eq!(nonces.len(), 1000);
        Ok(())
    }

    #[test]
    fn a_reply_is_signed_by_the_queried_key_in_any_of_its_forms()
    -> Result<(), Box<dyn std::error::Error>> {
        let miner = Keypair::dev("miner")?.public();
        let address = auth::address_value(&miner);
        let named = |value: &str| -> Result<HeaderMap, Box<dyn std::error::Error>> {
            let mut headers = HeaderMap::new();
            headers.insert(MINER, HeaderValue::from_str(value)?);
            Ok(headers)
        };
        assert!(signed_by(&named(&miner.ss58())?, &address, &miner));
        assert!(signed_by(&named(&miner.to_hex())?, &address, &miner));
        let other = Keypair::dev("other")?.public();
        assert!(!signed_by(&named(&other.ss58())?, &address, &miner));
        assert!(!signed_by(&named("not a key")?, &address, &miner));
        assert!(!signed_by(&HeaderMap::new(), &address, &miner));
        Ok(())
    }

    #[test]
    fn zero_concurrency_is_refused() -> Result<(), Box<dyn std::error::Error>> {
        assert!(matches!(
            MinerClient::new(Keypair::dev("validator")?, 1, 0),
            Err(TransportError::ZeroConcurrency)
        ));
        Ok(())
    }
}
