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
//! A body, path or query that does not parse is refused with the same JSON
//! error body (`error.kind = "invalid-request"`, the status axum gives it).

use std::sync::Arc;
use std::time::Duration;

use arbiter_registry::PublicKey;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
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

/// A [`ChainError`] as an HTTP response (with the status its kind implies,
/// unless a rejected request already chose one, such as 413 or 415).
pub struct ApiError {
    error: ChainError,
    status: Option<StatusCode>,
}

impl From<ChainError> for ApiError {
    fn from(error: ChainError) -> Self {
        Self {
            error,
            status: None,
        }
    }
}

impl ApiError {
    fn invalid(reason: String) -> Self {
        ChainError::InvalidRequest { reason }.into()
    }

    /// A request axum could not extract: its status, and a reason saying
    /// what is wrong with it.
    fn rejected(status: StatusCode, text: String) -> Self {
        let reason = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!("the body is over the limit of {MAX_BODY_BYTES} bytes")
        } else {
            text
        };
        Self {
            status: Some(status),
            ..Self::invalid(reason)
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        Self::rejected(rejection.status(), rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::rejected(rejection.status(), rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::rejected(rejection.status(), rejection.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status.unwrap_or(match &self.error {
            ChainError::Rule(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ChainError::NoSuchSubnet { .. } => StatusCode::NOT_FOUND,
            ChainError::BadSignature { .. } => StatusCode::UNAUTHORIZED,
            ChainError::InvalidRequest { .. } => StatusCode::BAD_REQUEST,
            ChainError::Timeout { .. } => StatusCode::REQUEST_TIMEOUT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        });
        let body = ErrorBody {
            message: self.error.to_string(),
            error: self.error,
        };
        (status, Json(body)).into_response()
    }
}

/// [`axum::Json`], refused as an [`ApiError`] (axum's own rejection is
/// plain text, which clients could not decode).
struct Body<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let Json(value) = Json::from_request(request, state).await?;
        Ok(Self(value))
    }
}

/// [`axum::extract::Path`], refused as an [`ApiError`].
struct Path<T>(T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path(value) =
            axum::extract::Path::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

/// [`axum::extract::Query`], refused as an [`ApiError`].
struct Query<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Query(value) =
            axum::extract::Query::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

fn account(text: &str) -> Result<PublicKey, ApiError> {
    text.parse()
        .map_err(|e: arbiter_registry::KeyError| ApiError::invalid(e.to_string()))
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
    Body(signed): Body<SignedCall>,
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
    Body(body): Body<CreateSubnet>,
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
    Body(body): Body<SetHyperparameters>,
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
    Body(body): Body<AddStake>,
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
    Body(body): Body<Advance>,
) -> ApiResult<super::BlockInfo> {
    if body.blocks > MAX_ADVANCE {
        return Err(ApiError::invalid(format!(
            "at most {MAX_ADVANCE} blocks per advance"
        )));
    }
    Ok(Json(devnet.advance(body.blocks)?))
}
