//! The miner's side of the protocol: a router that checks who is asking
//! before anything is answered, and signs what is.
//!
//! Checks run cheapest first, so a stranger costs the miner little: the
//! headers parse (400); the query is for this subnet and this hotkey, and
//! its timestamp is within the clock-skew window (401); the caller holds a
//! validator permit in the miner's view of the metagraph (403); the body
//! fits the cap, by its declared length and then as it streams (413); the
//! signature holds (401); the nonce is new (401; 503 while the replay
//! guard is full). Only then does the [`Answerer`] see the query, and its
//! reply goes back signed with the miner's hotkey.
//!
//! Who holds a permit is [`PermittedValidators`], which the miner refreshes
//! from the chain (see `crate::miner`); the router only reads it.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use arbiter_registry::{Keypair, PublicKey, Signature};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures::StreamExt;

use super::auth::{self, QUERY_PATH, QueryAuth};
use super::replay::{ReplayGuard, ReplayRefusal};
use crate::chain::Metagraph;

/// How far a query's timestamp may be from the miner's clock.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(60);

/// The largest query body accepted by default. Queries are prompts or
/// small tasks; 64 KiB is room for long ones.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 64 << 10;

/// How many nonces the replay guard holds by default: about 10 MiB, room
/// for 500 queries a second within the two-minute window.
pub const DEFAULT_MAX_REMEMBERED_NONCES: usize = 1 << 16;

/// How long one request may take, body and answer included, before the
/// miner gives up on it (a slow sender cannot hold a connection forever).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How a miner serves the protocol.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// The subnet it serves.
    pub netuid: u16,
    /// Its hotkey: queries must be addressed to it, and it signs replies.
    pub key: Keypair,
    /// The largest query body accepted.
    pub max_request_bytes: usize,
    /// How far a query's timestamp may be from the miner's clock.
    pub max_clock_skew: Duration,
    /// How many recent nonces the replay guard may hold.
    pub max_remembered_nonces: usize,
    /// How long one request may take in all.
    pub request_timeout: Duration,
}

impl ServerOptions {
    /// Options with the defaults above.
    pub fn new(netuid: u16, key: Keypair) -> Self {
        Self {
            netuid,
            key,
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            max_clock_skew: MAX_CLOCK_SKEW,
            max_remembered_nonces: DEFAULT_MAX_REMEMBERED_NONCES,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

/// The hotkeys that may query the miner: those holding a validator permit
/// on its subnet. Shared between the router and whatever refreshes it.
#[derive(Debug, Default)]
pub struct PermittedValidators(RwLock<HashSet<PublicKey>>);

impl PermittedValidators {
    /// Replaces the set with the permit holders of `metagraph`.
    pub fn update(&self, metagraph: &Metagraph) {
        let permitted = metagraph
            .neurons
            .iter()
            .filter(|n| n.validator_permit)
            .map(|n| n.hotkey)
            .collect();
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = permitted;
    }

    /// Whether `hotkey` may query.
    pub fn contains(&self, hotkey: &PublicKey) -> bool {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(hotkey)
    }

    /// How many hotkeys may query.
    pub fn len(&self) -> usize {
        self.0.read().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Whether no hotkey may query.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A query that passed every check.
#[derive(Debug, Clone)]
pub struct VerifiedQuery {
    /// The validator that signed it.
    pub validator: PublicKey,
    /// The query payload.
    pub body: Bytes,
    /// The validator's signature of it (unique per query: a good seed).
    pub signature: Signature,
}

/// A refusal: an HTTP status and a short text for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The status.
    pub status: StatusCode,
    /// Why, in a few words.
    pub reason: String,
}

impl Refusal {
    /// A refusal with `status` and `reason`.
    pub fn new(status: StatusCode, reason: impl Into<String>) -> Self {
        Self {
            status,
            reason: reason.into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.status, self.reason).into_response()
    }
}

/// What answers verified queries (for `arbiter miner serve`, a solver).
pub trait Answerer: Send + Sync + 'static {
    /// The reply body for `query`, or a refusal.
    fn answer(&self, query: VerifiedQuery)
    -> impl Future<Output = Result<Vec<u8>, Refusal>> + Send;
}

struct Gate<A> {
    options: ServerOptions,
    hotkey: PublicKey,
    validators: Arc<PermittedValidators>,
    replay: Mutex<ReplayGuard>,
    answerer: A,
}

/// The router serving the protocol at [`QUERY_PATH`]: queries from
/// `validators` are checked under `options` and answered by `answerer`.
pub fn router<A: Answerer>(
    options: ServerOptions,
    validators: Arc<PermittedValidators>,
    answerer: A,
) -> Router {
    let window_ms = u64::try_from(options.max_clock_skew.as_millis()).unwrap_or(u64::MAX);
    let timeout = options.request_timeout;
    let gate = Gate {
        hotkey: options.key.public(),
        replay: Mutex::new(ReplayGuard::new(window_ms, options.max_remembered_nonces)),
        options,
        validators,
        answerer,
    };
    Router::new()
        .route(QUERY_PATH, post(handle::<A>))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .with_state(Arc::new(gate))
}

async fn handle<A: Answerer>(
    State(gate): State<Arc<Gate<A>>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match gate.serve(&headers, body).await {
        Ok((validator, reply_headers, reply)) => {
            tracing::info!(%validator, bytes = reply.len(), "answered");
            (StatusCode::OK, reply_headers, reply).into_response()
        }
        Err(refusal) => {
            tracing::info!(status = refusal.status.as_u16(), reason = %refusal.reason, "refused");
            refusal.into_response()
        }
    }
}

impl<A: Answerer> Gate<A> {
    async fn serve(
        &self,
        headers: &HeaderMap,
        body: Body,
    ) -> Result<(PublicKey, HeaderMap, Vec<u8>), Refusal> {
        let unauthorized = |reason: String| Refusal::new(StatusCode::UNAUTHORIZED, reason);
        let (query, signature) = QueryAuth::from_headers(headers)
            .map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, e.to_string()))?;
        if query.netuid != self.options.netuid {
            return Err(unauthorized(format!(
                "this miner serves subnet {}, not {}",
                self.options.netuid, query.netuid
            )));
        }
        if query.miner != self.hotkey {
            return Err(unauthorized(format!(
                "this is the axon of {}, not {}",
                self.hotkey, query.miner
            )));
        }
        self.replay_guard()
            .check_fresh(query.timestamp_ms, auth::now_ms())
            .map_err(|refusal| self.replay_refusal(refusal))?;
        if !self.validators.contains(&query.validator) {
            return Err(Refusal::new(
                StatusCode::FORBIDDEN,
                format!(
                    "{} holds no validator permit on subnet {}",
                    query.validator, self.options.netuid
                ),
            ));
        }
        let body = read_capped(headers, body, self.options.max_request_bytes).await?;
        if !query.verify(&body, &signature) {
            return Err(unauthorized(format!(
                "the signature is not {}'s over this query",
                query.validator
            )));
        }
        self.replay_guard()
            .admit(
                query.validator,
                query.nonce,
                query.timestamp_ms,
                auth::now_ms(),
            )
            .map_err(|refusal| self.replay_refusal(refusal))?;
        let reply = self
            .answerer
            .answer(VerifiedQuery {
                validator: query.validator,
                body,
                signature,
            })
            .await?;
        let reply_signature = self
            .options
            .key
            .sign(&auth::reply_message(&signature, &reply));
        Ok((
            query.validator,
            auth::reply_headers(&self.hotkey, &reply_signature),
            reply,
        ))
    }

    fn replay_guard(&self) -> std::sync::MutexGuard<'_, ReplayGuard> {
        self.replay.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn replay_refusal(&self, refusal: ReplayRefusal) -> Refusal {
        match refusal {
            ReplayRefusal::Stale => Refusal::new(
                StatusCode::UNAUTHORIZED,
                format!(
                    "the timestamp is more than {} s from the miner's clock",
                    self.options.max_clock_skew.as_secs()
                ),
            ),
            ReplayRefusal::Replayed => {
                Refusal::new(StatusCode::UNAUTHORIZED, "this nonce was already used")
            }
            ReplayRefusal::Full => Refusal::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many recent queries; retry later",
            ),
        }
    }
}

/// The request body, if it is at most `max` bytes: refused by its declared
/// length before reading, or as soon as the stream passes `max`.
async fn read_capped(headers: &HeaderMap, body: Body, max: usize) -> Result<Bytes, Refusal> {
    let too_large = || {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("queries are limited to {max} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max as u64) {
        return Err(too_large());
    }
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|_| Refusal::new(StatusCode::BAD_REQUEST, "the query body was cut off"))?;
        if bytes.len() + chunk.len() > max {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(bytes))
}
