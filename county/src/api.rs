//! HTTP routes and request authentication.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, middleware};
use deadpool_postgres::Pool;
use ed25519_dalek::SigningKey;
use yichuang_wire::{
    EnrolRequest, EnrolResponse, HeadResponse, MAX_BATCH_BYTES, ReleaseList, UploadAck,
    UploadBatch, canonical_request, codes, headers, paths, sha256_hex, verify_signature,
};

use crate::config::Config;
use crate::error::ApiError;
use crate::now_ms;
use crate::store::{self, Device};

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub config: Arc<Config>,
    pub release_key: Arc<SigningKey>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(paths::ENROL, post(enrol))
        .route(paths::UPLOAD, post(upload))
        .route(paths::HEAD, get(head))
        .route(paths::RELEASES, get(releases))
        .route("/v1/releases/{kind}/{version}", get(snapshot))
        .route("/healthz", get(|| async { "ok" }))
        // Bodies past the batch limit get our own JSON 413 below; this cap
        // only stops absurd bodies before they are read.
        .layer(DefaultBodyLimit::max(4 * MAX_BATCH_BYTES))
        .layer(middleware::map_response(stamp_server_time))
        .with_state(state)
}

/// Every answer carries the server clock so stations can correct their skew.
async fn stamp_server_time(mut r: Response) -> Response {
    if let Ok(v) = HeaderValue::from_str(&now_ms().to_string()) {
        r.headers_mut().insert(headers::SERVER_TIME, v);
    }
    r
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn check_protocol(st: &AppState, h: &HeaderMap) -> Result<(), ApiError> {
    let v: u32 = header(h, headers::PROTOCOL)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if v < st.config.min_protocol {
        return Err(ApiError::ClientTooOld {
            min: st.config.min_protocol,
        });
    }
    Ok(())
}

fn token_ok(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Check a signed request: protocol, timestamp, body hash, device, signature,
/// revocation, nonce. Refusals of a device are logged.
async fn authenticate(
    st: &AppState,
    method: &Method,
    uri: &Uri,
    h: &HeaderMap,
    body: &[u8],
) -> Result<Device, ApiError> {
    check_protocol(st, h)?;
    let missing = |n: &str| ApiError::BadSignature(format!("header {n} missing or malformed"));
    let device_id = header(h, headers::DEVICE)
        .filter(|d| token_ok(d, 100))
        .ok_or_else(|| missing(headers::DEVICE))?;
    let alg = header(h, headers::ALGORITHM).ok_or_else(|| missing(headers::ALGORITHM))?;
    let ts: i64 = header(h, headers::TIMESTAMP)
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| missing(headers::TIMESTAMP))?;
    let nonce = header(h, headers::NONCE)
        .filter(|n| token_ok(n, 64) && n.len() >= 16)
        .ok_or_else(|| missing(headers::NONCE))?;
    let body_hash = header(h, headers::BODY_SHA256).ok_or_else(|| missing(headers::BODY_SHA256))?;
    let sig = header(h, headers::SIGNATURE).ok_or_else(|| missing(headers::SIGNATURE))?;
    if (ts - now_ms()).abs() > st.config.max_skew_ms {
        return Err(ApiError::StaleTimestamp);
    }
    if sha256_hex(body) != body_hash {
        return Err(ApiError::BadSignature(
            "body does not match its sha256 header".into(),
        ));
    }
    let Some(device) = store::find_device(&st.pool, device_id).await? else {
        store::log_refusal(&st.pool, Some(device_id), codes::UNKNOWN_DEVICE, uri.path()).await;
        return Err(ApiError::UnknownDevice);
    };
    if alg != device.algorithm {
        store::log_refusal(
            &st.pool,
            Some(device_id),
            codes::BAD_SIGNATURE,
            "algorithm mismatch",
        )
        .await;
        return Err(ApiError::BadSignature(format!(
            "device enrolled with {}, request signed with {alg}",
            device.algorithm
        )));
    }
    let msg = canonical_request(
        alg,
        device_id,
        method.as_str(),
        uri.path(),
        ts,
        nonce,
        body_hash,
    );
    if let Err(e) = verify_signature(alg, &device.public_key, msg.as_bytes(), sig) {
        store::log_refusal(
            &st.pool,
            Some(device_id),
            codes::BAD_SIGNATURE,
            &e.to_string(),
        )
        .await;
        return Err(ApiError::BadSignature(e.to_string()));
    }
    if device.revoked {
        store::log_refusal(&st.pool, Some(device_id), codes::REVOKED, uri.path()).await;
        return Err(ApiError::Revoked);
    }
    if !store::claim_nonce(&st.pool, device_id, nonce).await? {
        store::log_refusal(&st.pool, Some(device_id), codes::REPLAYED_NONCE, nonce).await;
        return Err(ApiError::ReplayedNonce);
    }
    Ok(device)
}

async fn enrol(
    State(st): State<AppState>,
    h: HeaderMap,
    body: Bytes,
) -> Result<Json<EnrolResponse>, ApiError> {
    check_protocol(&st, &h)?;
    let req: EnrolRequest =
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let resp = store::enrol(&st.pool, &req, &st.release_key).await;
    if let Err(ApiError::BadCode) = &resp {
        store::log_refusal(&st.pool, None, codes::BAD_CODE, &req.label).await;
    }
    resp.map(Json)
}

async fn upload(
    State(st): State<AppState>,
    method: Method,
    uri: Uri,
    h: HeaderMap,
    body: Bytes,
) -> Result<Json<UploadAck>, ApiError> {
    let device = authenticate(&st, &method, &uri, &h, &body).await?;
    if body.len() > MAX_BATCH_BYTES {
        return Err(ApiError::TooLarge(format!(
            "body of {} bytes; at most {MAX_BATCH_BYTES}",
            body.len()
        )));
    }
    let batch: UploadBatch =
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let mut ack = store::upload(&st.pool, &device.device_id, &batch).await?;
    // The events are committed; validation problems are reported, never refused.
    match store::project(&st.pool, &device.device_id).await {
        Ok(q) => ack.quarantined = q,
        Err(e) => eprintln!(
            "yichuang-county: projection of {} deferred: {e}",
            device.device_id
        ),
    }
    Ok(Json(ack))
}

async fn head(
    State(st): State<AppState>,
    method: Method,
    uri: Uri,
    h: HeaderMap,
    body: Bytes,
) -> Result<Json<HeadResponse>, ApiError> {
    let device = authenticate(&st, &method, &uri, &h, &body).await?;
    store::head(&st.pool, &device.device_id).await.map(Json)
}

async fn releases(
    State(st): State<AppState>,
    method: Method,
    uri: Uri,
    h: HeaderMap,
    body: Bytes,
) -> Result<Json<ReleaseList>, ApiError> {
    authenticate(&st, &method, &uri, &h, &body).await?;
    Ok(Json(ReleaseList {
        releases: store::latest_releases(&st.pool).await?,
        server_time_ms: now_ms(),
    }))
}

async fn snapshot(
    State(st): State<AppState>,
    Path((kind, version)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    h: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authenticate(&st, &method, &uri, &h, &body).await?;
    let content = store::release_content(&st.pool, &kind, &version)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        )],
        content,
    )
        .into_response())
}
