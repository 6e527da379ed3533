//! `arbiter chain serve`: the devnet over HTTP, so several validator hosts
//! and miners on one machine share one chain.
//!
//! The API is JSON over HTTP/1.1 (errors: status 4xx/5xx with a body
//! `{"error": <ChainError as JSON>, "message": "<text>"}`; chain-rule
//! refusals are 422 with `error.kind = "rule"` and `error.rule` the
//! upstream name):
//!
//! | method & path | body / query | answer |
//! |---|---|---|
//! | `GET /v1/head` | | `BlockInfo` |
//! | `GET /v1/blocks/wait?after=N&timeout_ms=T` | | `BlockInfo` once the head is past N (408 on timeout; T ≤ 60000) |
//! | `GET /v1/genesis` | | `{"genesis": "0x…"}` |
//! | `GET /v1/nonce/{ss58}` | | `{"nonce": n}` |
//! | `GET /v1/subnets/{netuid}/hyperparameters` | | `Hyperparameters` |
//! | `GET /v1/subnets/{netuid}/metagraph` | | `Metagraph` |
//! | `GET /v1/subnets/{netuid}/weights/{mechid}/{uid}` | | `[[uid, value], …]` |
//! | `GET /v1/subnets/{netuid}/commitments/{ss58}` | | `Commitment` or `null` |
//! | `GET /v1/subnets/{netuid}/commits/{ss58}` | | unrevealed weight-commit hashes, `["0x…", …]` |
//! | `POST /v1/submit` | `SignedCall` | `Receipt` |
//! | `POST /v1/admin/subnets` | `{netuid, owner, owner_coldkey, hyperparameters?}` | `{}` |
//! | `PUT /v1/admin/subnets/{netuid}/hyperparameters` | `{hyperparameters, immunity_period?}` | `{}` |
//! | `POST /v1/admin/stake` | `{netuid, hotkey, rao}` | `{}` |
//! | `POST /v1/admin/advance` | `{blocks}` | `BlockInfo` |
//!
//! Bodies are limited to [`MAX_BODY_BYTES`] (413 past it), and every request
//! to [`REQUEST_TIMEOUT`] except the block wait, which has its own bound.

use std::sync::Arc;
use std::time::Duration;

use arbiter_registry::PublicKey;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::devnet::Devnet;
use super::devnet::calls::SignedCall;
use super::{Chain, ChainError, Hyperparameters};

/// The largest request body accepted: a weight vector for 4096 uids and
/// its signature fit many times over.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// How long any request but the block wait may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest block wait a client may ask for.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

/// The router serving `devnet`.
pub fn router(devnet: Arc<Devnet>) -> Router {
    let timed = Router::new()
        .route("/v1/head", get(head))
        .route("/v1/genesis", get(genesis))
        .route("/v1/nonce/{account}", get(nonce))
        .route("/v1/subnets/{netuid}/hyperparameters", get(hyperparameters))
        .route("/v1/subnets/{netuid}/metagraph", get(metagraph))
        .route("/v1/subnets/{netuid}/weights/{mechid}/{uid}", get(weights))
        .route("/v1/subnets/{netuid}/commitments/{hotkey}", get(commitment))
        .route("/v1/subnets/{netuid}/commits/{hotkey}", get(weight_commits))
        .route("/v1/submit", post(submit))
        .route("/v1/admin/subnets", post(create_subnet))
        .route(
            "/v1/admin/subnets/{netuid}/hyperparameters",
            put(set_hyperparameters),
        )
        .route("/v1/admin/stake", post(add_stake))
        .route("/v1/admin/advance", post(advance))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ));
    Router::new()
        .route("/v1/blocks/wait", get(wait))
        .merge(timed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(devnet)
}

/// A failure as the API reports it.
#[derive(Debug, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The typed error.
    pub error: ChainError,
    /// Its text.
    pub message: String,
}

/// A [`ChainError`] as an HTTP response.
pub struct ApiError(ChainError);

impl From<ChainError> for ApiError {
    fn from(error: ChainError) -> Self {
        Self(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self.0 {
            ChainError::Rule(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ChainError::NoSuchSubnet { .. } => StatusCode::NOT_FOUND,
            ChainError::BadSignature { .. } => StatusCode::UNAUTHORIZED,
            ChainError::InvalidRequest { .. } => StatusCode::BAD_REQUEST,
            ChainError::Timeout { .. } => StatusCode::REQUEST_TIMEOUT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let body = ErrorBody {
            message: self.0.to_string(),
            error: self.0,
        };
        (status, Json(body)).into_response()
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

fn account(text: &str) -> Result<PublicKey, ApiError> {
    text.parse().map_err(|e: arbiter_registry::KeyError| {
        ApiError(ChainError::InvalidRequest {
            reason: e.to_string(),
        })
    })
}

async fn head(State(devnet): State<Arc<Devnet>>) -> ApiResult<super::BlockInfo> {
    Ok(Json(devnet.head().await?))
}

/// Query of the block wait.
#[derive(Debug, Deserialize)]
struct WaitQuery {
    after: u64,
    timeout_ms: u64,
}

async fn wait(
    State(devnet): State<Arc<Devnet>>,
    Query(query): Query<WaitQuery>,
) -> ApiResult<super::BlockInfo> {
    let timeout = Duration::from_millis(query.timeout_ms).min(MAX_WAIT);
    Ok(Json(devnet.wait_for_block(query.after, timeout).await?))
}

async fn genesis(State(devnet): State<Arc<Devnet>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "genesis": format!("0x{}", hex::encode(devnet.genesis())) }))
}

async fn nonce(
    State(devnet): State<Arc<Devnet>>,
    Path(text): Path<String>,
) -> ApiResult<serde_json::Value> {
    let key = account(&text)?;
    Ok(Json(serde_json::json!({ "nonce": devnet.nonce(&key) })))
}

async fn hyperparameters(
    State(devnet): State<Arc<Devnet>>,
    Path(netuid): Path<u16>,
) -> ApiResult<Hyperparameters> {
    Ok(Json(devnet.hyperparameters(netuid).await?))
}

async fn metagraph(
    State(devnet): State<Arc<Devnet>>,
    Path(netuid): Path<u16>,
) -> ApiResult<super::Metagraph> {
    Ok(Json(devnet.metagraph_now(netuid)?))
}

async fn weights(
    State(devnet): State<Arc<Devnet>>,
    Path((netuid, mechid, uid)): Path<(u16, u8, u16)>,
) -> ApiResult<Vec<(u16, u16)>> {
    Ok(Json(devnet.weights(netuid, mechid, uid).await?))
}

async fn commitment(
    State(devnet): State<Arc<Devnet>>,
    Path((netuid, hotkey)): Path<(u16, String)>,
) -> ApiResult<Option<super::Commitment>> {
    let hotkey = account(&hotkey)?;
    Ok(Json(devnet.commitment(netuid, &hotkey).await?))
}

async fn weight_commits(
    State(devnet): State<Arc<Devnet>>,
    Path((netuid, hotkey)): Path<(u16, String)>,
) -> ApiResult<Vec<String>> {
    let hotkey = account(&hotkey)?;
    let hashes = devnet.weight_commits(netuid, &hotkey).await?;
    Ok(Json(
        hashes
            .iter()
            .map(|h| format!("0x{}", hex::encode(h)))
            .collect(),
    ))
}

async fn submit(
    State(devnet): State<Arc<Devnet>>,
    Json(signed): Json<SignedCall>,
) -> ApiResult<super::Receipt> {
    Ok(Json(devnet.submit(&signed)?))
}

/// Body of `POST /v1/admin/subnets`.
#[derive(Debug, Serialize, Deserialize)]
pub struct CreateSubnet {
    /// The netuid.
    pub netuid: u16,
    /// The owner's hotkey.
    pub owner: PublicKey,
    /// The owner's coldkey.
    pub owner_coldkey: PublicKey,
    /// Hyperparameters (defaults when absent).
    #[serde(default)]
    pub hyperparameters: Hyperparameters,
}

async fn create_subnet(
    State(devnet): State<Arc<Devnet>>,
    Json(body): Json<CreateSubnet>,
) -> ApiResult<serde_json::Value> {
    devnet.create_subnet(
        body.netuid,
        body.owner,
        body.owner_coldkey,
        body.hyperparameters,
    )?;
    Ok(Json(serde_json::json!({})))
}

/// Body of `PUT /v1/admin/subnets/{netuid}/hyperparameters`.
#[derive(Debug, Serialize, Deserialize)]
pub struct SetHyperparameters {
    /// The new hyperparameters.
    pub hyperparameters: Hyperparameters,
    /// A new immunity period, if any.
    #[serde(default)]
    pub immunity_period: Option<u64>,
}

async fn set_hyperparameters(
    State(devnet): State<Arc<Devnet>>,
    Path(netuid): Path<u16>,
    Json(body): Json<SetHyperparameters>,
) -> ApiResult<serde_json::Value> {
    devnet.set_hyperparameters(netuid, body.hyperparameters, body.immunity_period)?;
    Ok(Json(serde_json::json!({})))
}

/// Body of `POST /v1/admin/stake`.
#[derive(Debug, Serialize, Deserialize)]
pub struct AddStake {
    /// The subnet.
    pub netuid: u16,
    /// The hotkey.
    pub hotkey: PublicKey,
    /// Rao to add.
    pub rao: u64,
}

async fn add_stake(
    State(devnet): State<Arc<Devnet>>,
    Json(body): Json<AddStake>,
) -> ApiResult<serde_json::Value> {
    devnet.add_stake(body.netuid, &body.hotkey, body.rao)?;
    Ok(Json(serde_json::json!({})))
}

/// Body of `POST /v1/admin/advance`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Advance {
    /// Blocks to produce.
    pub blocks: u64,
}

/// The most blocks one advance may produce.
const MAX_ADVANCE: u64 = 100_000;

async fn advance(
    State(devnet): State<Arc<Devnet>>,
    Json(body): Json<Advance>,
) -> ApiResult<super::BlockInfo> {
    if body.blocks > MAX_ADVANCE {
        return Err(ApiError(ChainError::InvalidRequest {
            reason: format!("at most {MAX_ADVANCE} blocks per advance"),
        }));
    }
    Ok(Json(devnet.advance(body.blocks)?))
}
