//! The registry over HTTP: an axum server in front of a [`Store`].
//!
//! # HTTP API, version 1
//!
//! All paths start with `/v1`. Bodies are JSON unless they are component
//! bytes. Manifests are sent in their canonical JSON form (see
//! [`crate::manifest`]); a client must verify every manifest and every blob
//! it receives, as [`crate::client::Client`] does.
//!
//! | request | answer |
//! |---|---|
//! | `GET /v1` | `{"api": "arbiter.registry/v1", "max_blob_bytes": n}` |
//! | `PUT /v1/blobs`, body: the component | `201 {"blake3", "sha256", "size"}` once it is stored and durable |
//! | `GET /v1/blobs/{blake3:hex}` | `200` the bytes (`application/wasm`, with `Content-Length`), verified before sending |
//! | `GET /v1/blobs/{blake3:hex}/releases` | `200 {"releases": [manifest…]}`, the releases of that blob |
//! | `POST /v1/releases`, body: a signed manifest | `201 {"status": "published", "manifest"}` or `200 {"status": "unchanged", "manifest"}` (same bytes again: the stored manifest) |
//! | `GET /v1/releases` | `200 {"releases": [manifest…]}`, by name then version |
//! | `GET /v1/releases/{name}/{version}` | `200` the manifest |
//! | `PUT /v1/transcripts`, body: an epoch transcript file | `201 {"root", "blob": {"blake3", "sha256", "size"}}` once it is filed under the root the host's checks read from it (the same transcript again: the same answer) |
//! | `GET /v1/transcripts/{blake3:root}` | `200` the transcript file, its blob verified before sending |
//!
//! Publishing is `PUT /v1/blobs` then `POST /v1/releases`; the release is
//! checked against the stored blob (hashes, size, the host's admission
//! checks, the world) before it is recorded.
//!
//! Errors are `{"error": {"code", "message"}}` with the codes of
//! [`Error::code`]: 400 for malformed input (`invalid_name`,
//! `invalid_version`, `invalid_reference`, `invalid_manifest`), 404
//! `not_found`, 408 `timeout`, 409 `conflict` (the version is bound to
//! other bytes; the message names the existing hash) and `name_taken`, 413
//! `too_large`, 422 `bad_signature`, `refused` (admission) and `mismatch`,
//! 500 `corrupt` (a stored blob failed its hash check), `io` and `index`,
//! 503 `busy`.
//!
//! Limits: a blob is refused past the store's size limit (at once when
//! `Content-Length` says so, otherwise when that many bytes have arrived),
//! a manifest past [`MANIFEST_LIMIT`], a transcript past the blob limit or
//! [`TRANSCRIPT_LIMIT`], whichever is smaller; a request must finish within
//! [`ServerConfig::request_timeout`], and a body that stalls for
//! [`ServerConfig::idle_timeout`] is cut off. Uploads stream to disk and
//! downloads stream from it; neither is held in memory whole.
//!
//! The server speaks plain HTTP: run it on loopback or behind a TLS proxy.
//! Anyone who can reach it can upload blobs (which cost disk until
//! released) and publish releases signed by their own keys.

use std::future::Future;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use bytes::BytesMut;
use futures::{Stream, StreamExt};
use serde_json::json;
use tokio::sync::mpsc;
use tower_http::timeout::{RequestBodyTimeoutLayer, ResponseBodyTimeoutLayer, TimeoutError};

use crate::admission::Admission;
use crate::error::Error;
use crate::store::{Released, Store, Upload};
use crate::{ContentHash, Release, SignedManifest};

/// The API's name and version, as `GET /v1` reports it.
pub const API: &str = "arbiter.registry/v1";

/// The largest manifest accepted: real ones are about 1 KiB.
pub const MANIFEST_LIMIT: usize = 64 << 10;

/// The largest transcript accepted (it is read whole to find its root): an
/// epoch of 256 miners × 10 steps × 1 KiB replies is about 3 MB.
pub const TRANSCRIPT_LIMIT: usize = 64 << 20;

/// Pieces of a streamed blob, in bytes.
const CHUNK: usize = 1 << 20;

/// How the server treats slow clients.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The longest a request may take, upload or download included.
    pub request_timeout: Duration,
    /// The longest a request or response body may stall.
    pub idle_timeout: Duration,
}

impl Default for ServerConfig {
    /// Five minutes per request (64 MB at 2 Mbit/s), thirty seconds of silence.
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(300),
            idle_timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Clone)]
struct App {
    store: Store,
    admission: Arc<dyn Admission>,
    request_timeout: Duration,
}

/// The routes of the API over `store`, admitting with `admission`.
pub fn router(store: Store, admission: Arc<dyn Admission>, config: &ServerConfig) -> Router {
    let app = App {
        store,
        admission,
        request_timeout: config.request_timeout,
    };
    Router::new()
        .route("/v1", get(info))
        .route("/v1/blobs", put(put_blob))
        .route("/v1/blobs/{hash}", get(get_blob))
        .route("/v1/blobs/{hash}/releases", get(blob_releases))
        .route(
            "/v1/releases",
            post(post_release)
                .layer(DefaultBodyLimit::max(MANIFEST_LIMIT))
                .get(list),
        )
        .route("/v1/releases/{name}/{version}", get(get_release))
        .route(
            "/v1/transcripts",
            put(put_transcript).layer(DefaultBodyLimit::max(TRANSCRIPT_LIMIT)),
        )
        .route("/v1/transcripts/{root}", get(get_transcript))
        .layer(RequestBodyTimeoutLayer::new(config.idle_timeout))
        .layer(ResponseBodyTimeoutLayer::new(config.idle_timeout))
        .with_state(app)
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// An error as the API sends it.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: String,
    message: String,
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let status = match error.code() {
            "invalid_name" | "invalid_version" | "invalid_reference" | "invalid_manifest"
            | "key" => StatusCode::BAD_REQUEST,
            "not_found" => StatusCode::NOT_FOUND,
            "conflict" | "name_taken" => StatusCode::CONFLICT,
            "too_large" => StatusCode::PAYLOAD_TOO_LARGE,
            "bad_signature" | "unexpected_signer" | "refused" | "mismatch" => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            "busy" => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::error!(%error, "request failed");
        }
        Self {
            status,
            code: error.code().to_string(),
            message: error.to_string(),
        }
    }
}

impl ApiError {
    fn new(status: StatusCode, code: &str, message: String) -> Self {
        Self {
            status,
            code: code.into(),
            message,
        }
    }

    fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            error.to_string(),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        (self.status, axum::Json(body)).into_response()
    }
}

type Answer = Result<Response, ApiError>;

/// Runs `work` on the blocking pool (the store does file I/O and admission
/// compiles).
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::from)
}

/// Bounds a handler by the request timeout.
async fn timed(app: &App, work: impl Future<Output = Answer>) -> Answer {
    tokio::time::timeout(app.request_timeout, work)
        .await
        .unwrap_or_else(|_| {
            Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                format!("the request took longer than {:?}", app.request_timeout),
            ))
        })
}

async fn info(State(app): State<App>) -> Answer {
    let body = json!({"api": API, "max_blob_bytes": app.store.max_blob_bytes()});
    Ok(axum::Json(body).into_response())
}

async fn put_blob(State(app): State<App>, headers: HeaderMap, body: Body) -> Answer {
    timed(&app, async {
        let limit = app.store.max_blob_bytes();
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if let Some(size) = declared.filter(|size| *size > limit) {
            return Err(Error::TooLarge { size, limit }.into());
        }
        let digests = receive(&app.store, body).await?;
        Ok((StatusCode::CREATED, axum::Json(digests)).into_response())
    })
    .await
}

/// Streams `body` into a new blob: a blocking task writes and hashes while
/// this one receives. The blob is kept only if the whole body arrived.
async fn receive(store: &Store, body: Body) -> Result<crate::Digests, ApiError> {
    let (tx, mut rx) = mpsc::channel::<Bytes>(16);
    let store = store.clone();
    let writer = tokio::task::spawn_blocking(move || -> Result<Upload, Error> {
        let mut writer = store.writer()?;
        while let Some(chunk) = rx.blocking_recv() {
            writer.write(chunk)?;
        }
        Ok(writer)
    });
    let mut stream = body.into_data_stream();
    let mut received = Ok(());
    // The network delivers small pieces; the writer and the hasher work
    // best on large ones.
    let mut pending = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) => {
                pending.extend_from_slice(&chunk);
                // A closed channel means the writer failed; its result says why.
                if pending.len() >= CHUNK && tx.send(pending.split().freeze()).await.is_err() {
                    break;
                }
            }
            Err(error) => {
                received = Err(error);
                break;
            }
        }
    }
    if received.is_ok() && !pending.is_empty() {
        let _ = tx.send(pending.freeze()).await;
    }
    drop(tx);
    let writer = writer.await.map_err(ApiError::internal)??;
    if let Err(error) = received {
        let timed_out = std::error::Error::source(&error).is_some_and(|e| e.is::<TimeoutError>());
        let (status, code) = if timed_out {
            (StatusCode::REQUEST_TIMEOUT, "timeout")
        } else {
            (StatusCode::BAD_REQUEST, "upload_failed")
        };
        return Err(ApiError::new(
            status,
            code,
            format!("the upload did not complete: {error}"),
        ));
    }
    blocking(move || writer.finish()).await
}

async fn get_blob(State(app): State<App>, Path(hash): Path<String>) -> Answer {
    timed(&app, async {
        let hash = parse_hash(&hash)?;
        let store = app.store.clone();
        let (size, file) = blocking(move || store.open_verified(&hash)).await?;
        let response = Response::builder()
            .header(header::CONTENT_TYPE, "application/wasm")
            .header(header::CONTENT_LENGTH, size)
            .body(Body::from_stream(file_stream(file)))
            .map_err(ApiError::internal)?;
        Ok(response)
    })
    .await
}

/// The bytes of `file`, read by a blocking task a chunk ahead of the
/// network.
fn file_stream(mut file: std::fs::File) -> impl Stream<Item = std::io::Result<Bytes>> {
    let (tx, rx) = mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        loop {
            let mut chunk = vec![0u8; CHUNK];
            let item = match file.read(&mut chunk) {
                Ok(0) => return,
                Ok(n) => {
                    chunk.truncate(n);
                    Ok(Bytes::from(chunk))
                }
                Err(e) => Err(e),
            };
            let failed = item.is_err();
            if tx.blocking_send(item).is_err() || failed {
                return;
            }
        }
    });
    futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}

async fn blob_releases(State(app): State<App>, Path(hash): Path<String>) -> Answer {
    let hash = parse_hash(&hash)?;
    let store = app.store.clone();
    let manifests = blocking(move || store.manifests_of(&hash)).await?;
    Ok(axum::Json(json!({ "releases": manifests })).into_response())
}

async fn post_release(State(app): State<App>, body: Result<Bytes, BytesRejection>) -> Answer {
    timed(&app, async {
        let body = body.map_err(unreadable("manifest", MANIFEST_LIMIT, "invalid_manifest"))?;
        let signed = SignedManifest::from_json(&body)?;
        let (store, admission) = (app.store.clone(), Arc::clone(&app.admission));
        let released = blocking(move || store.release(signed, admission.as_ref())).await?;
        let status = match released {
            Released::Published(_) => StatusCode::CREATED,
            Released::Unchanged(_) => StatusCode::OK,
        };
        Ok((status, axum::Json(released)).into_response())
    })
    .await
}

async fn put_transcript(State(app): State<App>, body: Result<Bytes, BytesRejection>) -> Answer {
    timed(&app, async {
        let body = body.map_err(unreadable("transcript", TRANSCRIPT_LIMIT, "refused"))?;
        let limit = app.store.max_blob_bytes();
        if body.len() as u64 > limit {
            return Err(Error::TooLarge {
                size: body.len() as u64,
                limit,
            }
            .into());
        }
        let (store, admission) = (app.store.clone(), Arc::clone(&app.admission));
        let filed = blocking(move || store.put_transcript(&body, admission.as_ref())).await?;
        Ok((StatusCode::CREATED, axum::Json(filed)).into_response())
    })
    .await
}

async fn get_transcript(State(app): State<App>, Path(root): Path<String>) -> Answer {
    timed(&app, async {
        let root = parse_hash(&root)?;
        let store = app.store.clone();
        let bytes = blocking(move || store.transcript(&root)).await?;
        Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
    })
    .await
}

async fn list(State(app): State<App>) -> Answer {
    let store = app.store.clone();
    let manifests = blocking(move || store.list()).await?;
    Ok(axum::Json(json!({ "releases": manifests })).into_response())
}

async fn get_release(
    State(app): State<App>,
    Path((name, version)): Path<(String, String)>,
) -> Answer {
    let release: Release = format!("{name}@{version}").parse()?;
    let store = app.store.clone();
    let manifest = blocking(move || store.manifest(&release)).await?;
    Ok(axum::Json(manifest).into_response())
}

/// The error for a body axum could not read as a `what` of at most `limit`
/// bytes: `too_large` past the limit, else `code`.
fn unreadable(
    what: &'static str,
    limit: usize,
    code: &'static str,
) -> impl FnOnce(BytesRejection) -> ApiError {
    move |rejection| {
        let status = rejection.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
            "too_large"
        } else {
            code
        };
        ApiError::new(
            status,
            code,
            format!("{what}: {rejection} (limit {limit} bytes)"),
        )
    }
}

fn parse_hash(text: &str) -> Result<ContentHash, ApiError> {
    text.parse().map_err(|_| {
        Error::InvalidReference {
            text: text.chars().take(80).collect(),
        }
        .into()
    })
}

#[cfg(test)]
mod tests;
