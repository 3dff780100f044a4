//! HTTP routes and request authentication: parse, authenticate, ask the
//! protocol and the storage traits, answer (errors map to statuses in `error.rs`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use yichuang_wire::{
    EnrolRequest, EnrolResponse, HeadResponse, MAX_ANSWER_BYTES, MAX_BATCH_BYTES, ReleaseList,
    UploadAck, UploadBatch, answer_headers, binding_from_headers, canonical_answer,
    canonical_request, codes, digest_hex, headers, paths, verify_signature,
};

use crate::adminlog::{Act, AdminLog, AdminLogError};
use crate::config::Config;
use crate::error::ApiError;
use crate::keys::ServingKeys;
use crate::limits::RateLimiter;
use crate::now_ms;
use crate::protocol::{enrolment, upload};
use crate::storage::{Device, Devices, Storage};

/// What every handler gets: the storage (any backend with all the
/// [`Storage`] traits), the settings and the serving keys (the answer key;
/// of the release key, the public half only).
#[derive(Clone)]
pub struct AppState<S> {
    pub storage: S,
    pub config: Arc<Config>,
    pub keys: Arc<ServingKeys>,
    /// Every administrative act is appended here (restore-proofing).
    pub admin_log: Arc<AdminLog>,
    /// The rotations of the county's keys, oldest first (`/v1/keys`).
    pub rotations: Arc<Vec<yichuang_wire::KeyRotation>>,
    /// Per-address limits of what anyone may try without a device key.
    pub anonymous: Arc<AnonymousLimits>,
}

pub struct AnonymousLimits {
    pub enrol: RateLimiter,
    pub strangers: RateLimiter,
}

impl AnonymousLimits {
    pub fn new(config: &Config) -> AnonymousLimits {
        AnonymousLimits {
            enrol: RateLimiter::new(config.enrol_per_minute, config.enrol_per_minute),
            strangers: RateLimiter::new(config.strangers_per_minute, config.strangers_per_minute),
        }
    }
}

impl<S> AppState<S> {
    /// Appends an administrative act, signed with the answer key.
    pub fn record(&self, act: Act) -> Result<(), AdminLogError> {
        self.admin_log
            .append(&self.keys.answer, act, now_ms())
            .map(|_| ())
    }

    /// The code an administrator hands to a station: the stored secret
    /// and this county's fingerprint, which the station checks the
    /// enrolment answer against.
    pub fn enrolment_code(&self, secret: &str) -> String {
        let secret: String = secret
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        yichuang_wire::format_enrolment_code_for(
            self.keys.answer.algorithm(),
            &secret,
            &self.keys.fingerprint(),
        )
    }
}

pub fn router<S: Storage>(state: AppState<S>) -> Router {
    let keys = state.keys.clone();
    let guard = (
        state.anonymous.clone(),
        Duration::from_millis(state.config.request_timeout_ms.max(1)),
    );
    let console = crate::console::api::router(state.clone());
    let guard_console = guard.clone();
    Router::new()
        .route(paths::ENROL, post(enrol::<S>))
        .route(paths::UPLOAD, post(upload::<S>))
        .route(paths::HEAD, get(head::<S>))
        .route(paths::RELEASES, get(releases::<S>))
        .route(paths::SUPERVISION, get(supervision::<S>))
        .route(paths::KEYS, get(rotations::<S>))
        .route("/v1/releases/{kind}/{version}", get(snapshot::<S>))
        .route("/healthz", get(|| async { "ok" }))
        // Bodies past the batch limit get our own JSON 413 below; this cap
        // only stops absurd bodies before they are read.
        .layer(DefaultBodyLimit::max(4 * MAX_BATCH_BYTES))
        .layer(middleware::from_fn_with_state(guard, guard_anonymous))
        // Outermost, so that every answer is signed, the framework's own
        // (404, 405, 413, 408, 429) included.
        .layer(middleware::from_fn_with_state(keys, sign_answer))
        .with_state(state)
        // The console is its own surface: browser answers, not signed ones;
        // the same per-address budget and timeout (failed log-ins count).
        .merge(console.layer(middleware::from_fn_with_state(
            guard_console,
            guard_anonymous,
        )))
}

/// What anyone may do without a device key is limited per address:
/// enrolment attempts, and requests refused as from an unknown device or
/// with a bad signature (an address past its budget gets 429 before any
/// work). A request, its body included, must finish within the timeout.
async fn guard_anonymous(
    State((limits, timeout)): State<(Arc<AnonymousLimits>, Duration)>,
    req: Request,
    next: Next,
) -> Response {
    let ip = crate::listener::peer(&req).map(|p| p.ip());
    let now = Instant::now();
    if let Some(ip) = ip {
        let limited = if req.uri().path() == paths::ENROL {
            !limits.enrol.allow(ip, now)
        } else {
            limits.strangers.exhausted(ip, now)
        };
        if limited {
            return ApiError::RateLimited.into_response();
        }
    }
    let res = match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => return ApiError::Timeout.into_response(),
    };
    if let (Some(ip), Some(crate::error::Anonymous)) =
        (ip, res.extensions().get::<crate::error::Anonymous>())
    {
        limits.strangers.allow(ip, now);
    }
    res
}

/// Signs every answer with the answer key, bound to the request it answers
/// (as the request claimed it: the station compares with what it sent) and
/// carrying the server clock inside the signature.
async fn sign_answer(State(keys): State<Arc<ServingKeys>>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    // The request's claims, kept for the binding once it has been handled.
    let claims = req.headers().clone();
    let res = next.run(req).await;
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ANSWER_BYTES).await else {
        eprintln!("yichuang-county: answer to {method} {path} exceeds {MAX_ANSWER_BYTES} bytes");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let now = now_ms();
    let binding = binding_from_headers(|name| header(&claims, name), &method, &path);
    let key = &keys.answer;
    let key_id = key.key_id();
    let msg = canonical_answer(
        key.algorithm(),
        &key_id,
        &binding,
        parts.status.as_u16(),
        now,
        &key.digest_hex(&bytes),
    );
    for (name, value) in [
        (headers::SERVER_TIME, now.to_string()),
        (answer_headers::ALGORITHM, key.algorithm().to_owned()),
        (answer_headers::KEY_ID, key_id),
        (answer_headers::SIGNATURE, key.sign_hex(msg.as_bytes())),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            parts.headers.insert(name, v);
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn check_protocol<S>(st: &AppState<S>, h: &HeaderMap) -> Result<(), ApiError> {
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
async fn authenticate<S: Devices>(
    st: &AppState<S>,
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
    // Checked arithmetic: a hostile timestamp (i64::MIN, say) must not wrap.
    let off = ts.checked_sub(now_ms()).map(i64::unsigned_abs);
    if off.is_none_or(|d| d > st.config.max_skew_ms.unsigned_abs()) {
        return Err(ApiError::StaleTimestamp);
    }
    // The body's digest in the request's suite (SHA-256 or SM3).
    if digest_hex(alg, body) != body_hash {
        return Err(ApiError::BadSignature(
            "body does not match its digest header".into(),
        ));
    }
    let Some(device) = st.storage.find_device(device_id).await? else {
        // Counted under no device: the id is the caller's choice, and a row
        // per invented id would let anyone grow the table.
        st.storage
            .log_refusal(
                None,
                codes::UNKNOWN_DEVICE,
                &format!("{device_id} {}", uri.path()),
            )
            .await;
        return Err(ApiError::UnknownDevice);
    };
    if alg != device.algorithm {
        st.storage
            .log_refusal(Some(device_id), codes::BAD_SIGNATURE, "algorithm mismatch")
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
        st.storage
            .log_refusal(Some(device_id), codes::BAD_SIGNATURE, &e.to_string())
            .await;
        return Err(ApiError::BadSignature(e.to_string()));
    }
    if device.revoked {
        st.storage
            .log_refusal(Some(device_id), codes::REVOKED, uri.path())
            .await;
        return Err(ApiError::Revoked);
    }
    if !st.storage.claim_nonce(device_id, nonce).await? {
        st.storage
            .log_refusal(Some(device_id), codes::REPLAYED_NONCE, nonce)
            .await;
        return Err(ApiError::ReplayedNonce);
    }
    Ok(device)
}

async fn enrol<S: Storage>(
    State(st): State<AppState<S>>,
    h: HeaderMap,
    body: Bytes,
) -> Result<Json<EnrolResponse>, ApiError> {
    check_protocol(&st, &h)?;
    let req: EnrolRequest =
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    // A county uses one suite: its devices' keys are of its answer key's.
    let suite = st.keys.answer.algorithm();
    if req.algorithm != suite {
        return Err(ApiError::BadRequest(format!(
            "this county's devices use {suite} keys, not {}",
            req.algorithm
        )));
    }
    let device = enrolment::new_device(&req, enrolment::new_device_id())?;
    let Some(station_code) = st.storage.enrol(&device).await? else {
        st.storage
            .log_refusal(None, codes::BAD_CODE, &req.label)
            .await;
        return Err(ApiError::BadCode);
    };
    // The enrolment is committed; its record in the administration log is
    // what lets a restored database know this device.
    let act = Act::Enrolled {
        device_id: device.device_id.clone(),
        station_code: station_code.clone(),
        code_hash: device.code_hash.clone(),
        algorithm: device.algorithm.clone(),
        public_key: device.public_key.clone(),
        label: device.label.clone(),
    };
    let st2 = st.clone();
    match tokio::task::spawn_blocking(move || st2.record(act)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => eprintln!(
            "yichuang-county: enrolment of {} not in the administration log: {e}",
            device.device_id
        ),
        Err(e) => eprintln!("yichuang-county: administration log task failed: {e}"),
    }
    Ok(Json(EnrolResponse {
        device_id: device.device_id,
        station_code,
        release_key_algorithm: st.keys.release_public.algorithm.clone(),
        release_public_key: st.keys.release_public.hex.clone(),
        answer_key_algorithm: st.keys.answer.algorithm().to_owned(),
        answer_public_key: st.keys.answer.public_key_hex(),
        server_time_ms: now_ms(),
    }))
}

async fn upload<S: Storage>(
    State(st): State<AppState<S>>,
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
    let checked = upload::check_envelope(&batch)?;
    let appended = match st.storage.append(&device.device_id, checked).await {
        Ok(a) => a,
        Err(e) => {
            // Counted per device for the console's 站点与设备 (a fork waits
            // for the administrator's reset).
            if let crate::storage::AppendError::Refused(r) = &e {
                let code = match r {
                    crate::protocol::Refusal::Fork { .. } => Some(codes::FORK),
                    crate::protocol::Refusal::LogMismatch { .. } => Some(codes::LOG_MISMATCH),
                    crate::protocol::Refusal::ChainInvalid { .. } => Some(codes::CHAIN_INVALID),
                    _ => None,
                };
                if let Some(code) = code {
                    st.storage
                        .log_refusal(Some(&device.device_id), code, &r.to_string())
                        .await;
                }
            }
            return Err(e.into());
        }
    };
    let accepted = appended.accepted;
    let mut ack = UploadAck {
        acked_seq: accepted.acked_seq,
        acked_hash: accepted.acked_hash,
        server_time_ms: now_ms(),
        stored: accepted.stored,
        quarantined: Vec::new(),
    };
    // The events are committed; validation problems are reported, never refused.
    match appended.quarantined {
        Some(q) => ack.quarantined = q,
        None => match st.storage.project(&device.device_id).await {
            Ok(q) => ack.quarantined = q,
            Err(e) => eprintln!(
                "yichuang-county: projection of {} deferred: {e}",
                device.device_id
            ),
        },
    }
    Ok(Json(ack))
}

async fn head<S: Storage>(
    State(st): State<AppState<S>>,
    method: Method,
    uri: Uri,
    h: HeaderMap,
    body: Bytes,
) -> Result<Json<HeadResponse>, ApiError> {
    let device = authenticate(&st, &method, &uri, &h, &body).await?;
    let head = st.storage.head(&device.device_id).await?;
    Ok(Json(HeadResponse {
        log_id: head.log_id,
        head_seq: head.seq,
        head_hash: head.hash,
        server_time_ms: now_ms(),
    }))
}

async fn releases<S: Storage>(
    State(st): State<AppState<S>>,
    method: Method,
    uri: Uri,
    h: HeaderMap,
    body: Bytes,
) -> Result<Json<ReleaseList>, ApiError> {
    authenticate(&st, &method, &uri, &h, &body).await?;
    Ok(Json(ReleaseList {
        releases: st.storage.latest_releases().await?,
        server_time_ms: now_ms(),
    }))
}

/// The asking station's cases under 挂牌督办 (every open flag; one no
/// longer listed was lifted). A revoked device learns nothing.
async fn supervision<S: Storage>(
    State(st): State<AppState<S>>,
    method: Method,
    uri: Uri,
    h: HeaderMap,
    body: Bytes,
) -> Result<Json<yichuang_wire::SupervisionList>, ApiError> {
    let device = authenticate(&st, &method, &uri, &h, &body).await?;
    let flags = st
        .storage
        .open_flags(Some(&device.station_code))
        .await?
        .into_iter()
        .map(|f| yichuang_wire::SupervisionFlag {
            case_no: f.case_no,
            note: f.note,
            flagged_at_ms: f.flagged_at_ms,
        })
        .collect();
    Ok(Json(yichuang_wire::SupervisionList {
        flags,
        server_time_ms: now_ms(),
    }))
}

/// The endorsed rotations of the county's keys: how a station that pinned
/// an old key finds the new one (it believes only what the old key signed).
async fn rotations<S: Storage>(
    State(st): State<AppState<S>>,
    method: Method,
    uri: Uri,
    h: HeaderMap,
    body: Bytes,
) -> Result<Json<yichuang_wire::KeysResponse>, ApiError> {
    authenticate(&st, &method, &uri, &h, &body).await?;
    Ok(Json(yichuang_wire::KeysResponse {
        rotations: st.rotations.as_ref().clone(),
        server_time_ms: now_ms(),
    }))
}

async fn snapshot<S: Storage>(
    State(st): State<AppState<S>>,
    Path((kind, version)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    h: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authenticate(&st, &method, &uri, &h, &body).await?;
    let content = st
        .storage
        .release_content(&kind, &version)
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
