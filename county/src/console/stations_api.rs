//! `/console/api/stations`, `devices/{id}/…`, `chains/verify`,
//! `quarantine`: the 站点与设备 and 隔离区 pages and the administrator's
//! acts on devices (`device_acts`, shared with the command line).

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::api::{Peer, json_body, number, staff, xlsx};
use super::device_acts::{self, IssuedCode};
use super::rules::{Capability, Refusal};
use super::stations::{self, StationsPage, check_device_id, check_reason, check_station_code};
use crate::api::AppState;
use crate::error::ConsoleError;
use crate::now_ms;
use crate::storage::{QuarantineRow, Storage, StorageError};

pub(super) fn routes<S: Storage>() -> Router<AppState<S>> {
    Router::new()
        .route("/console/api/stations", get(stations_page::<S>))
        .route("/console/api/stations/export", get(stations_export::<S>))
        .route("/console/api/stations/codes", post(issue_code::<S>))
        .route("/console/api/devices/{id}/revoke", post(revoke::<S>))
        .route("/console/api/devices/{id}/unrevoke", post(unrevoke::<S>))
        .route("/console/api/devices/{id}/reset-log", post(reset_log::<S>))
        .route("/console/api/chains/verify", post(verify::<S>))
        .route("/console/api/quarantine", get(quarantine_page::<S>))
        .route(
            "/console/api/quarantine/export",
            get(quarantine_export::<S>),
        )
}

async fn stations_of<S: Storage>(st: &AppState<S>) -> Result<StationsPage, ConsoleError> {
    let devices = st.storage.station_devices().await?;
    Ok(stations::page(&devices, now_ms()))
}

async fn stations_page<S: Storage>(
    State(st): State<AppState<S>>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Json<StationsPage>, ConsoleError> {
    staff(&st, &h, &peer, Some(Capability::ViewStations), false).await?;
    Ok(Json(stations_of(&st).await?))
}

async fn stations_export<S: Storage>(
    State(st): State<AppState<S>>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Response, ConsoleError> {
    let who = staff(&st, &h, &peer, Some(Capability::ViewStations), false).await?;
    let p = stations_of(&st).await?;
    let stem = format!(
        "站点与设备-{}",
        super::overview::china_date(now_ms()).format("%Y-%m-%d")
    );
    xlsx(&st, &who, &stem, &stations::sheets(&p)).await
}

#[derive(Deserialize)]
struct CodeForm {
    station_code: String,
}

async fn issue_code<S: Storage>(
    State(st): State<AppState<S>>,
    peer: Peer,
    h: HeaderMap,
    body: Bytes,
) -> Result<Json<IssuedCode>, ConsoleError> {
    let who = staff(&st, &h, &peer, Some(Capability::ManageDevices), true).await?;
    let form: CodeForm = json_body(&body)?;
    Ok(Json(
        device_acts::issue_code(&st, &who.actor(), &form.station_code).await?,
    ))
}

#[derive(Deserialize)]
struct ReasonForm {
    #[serde(default)]
    reason: String,
}

#[derive(Serialize)]
struct Done {
    ok: bool,
    device_id: String,
    /// For a reset: the county's old copy, kept under this log id.
    #[serde(skip_serializing_if = "Option::is_none")]
    archived_as: Option<String>,
}

async fn revoke<S: Storage>(
    State(st): State<AppState<S>>,
    Path(id): Path<String>,
    peer: Peer,
    h: HeaderMap,
    body: Bytes,
) -> Result<Json<Done>, ConsoleError> {
    set_revoked(st, id, peer, h, body, true).await
}

async fn unrevoke<S: Storage>(
    State(st): State<AppState<S>>,
    Path(id): Path<String>,
    peer: Peer,
    h: HeaderMap,
    body: Bytes,
) -> Result<Json<Done>, ConsoleError> {
    set_revoked(st, id, peer, h, body, false).await
}

async fn set_revoked<S: Storage>(
    st: AppState<S>,
    id: String,
    peer: Peer,
    h: HeaderMap,
    body: Bytes,
    revoked: bool,
) -> Result<Json<Done>, ConsoleError> {
    let who = staff(&st, &h, &peer, Some(Capability::ManageDevices), true).await?;
    let id = check_device_id(&id)?;
    let form: ReasonForm = json_body(&body)?;
    // Letting a device back in needs no reason; taking it out does.
    let reason = if revoked {
        check_reason(&form.reason)?
    } else if form.reason.trim().is_empty() {
        String::new()
    } else {
        check_reason(&form.reason)?
    };
    device_acts::set_revoked(&st, &who.actor(), id, revoked, &reason).await?;
    Ok(Json(Done {
        ok: true,
        device_id: id.to_owned(),
        archived_as: None,
    }))
}

async fn reset_log<S: Storage>(
    State(st): State<AppState<S>>,
    Path(id): Path<String>,
    peer: Peer,
    h: HeaderMap,
    body: Bytes,
) -> Result<Json<Done>, ConsoleError> {
    let who = staff(&st, &h, &peer, Some(Capability::ManageDevices), true).await?;
    let id = check_device_id(&id)?;
    let form: ReasonForm = json_body(&body)?;
    let reason = check_reason(&form.reason)?;
    match device_acts::reset_log(&st, &who.actor(), id, &reason).await? {
        Some((_, archived)) => Ok(Json(Done {
            ok: true,
            device_id: id.to_owned(),
            archived_as: Some(archived),
        })),
        None => Err(Refusal::invalid("device_id", "该设备在县级尚无日志，无需重置").into()),
    }
}

#[derive(Serialize)]
struct Verified {
    logs: usize,
    bad: usize,
    page: StationsPage,
}

async fn verify<S: Storage>(
    State(st): State<AppState<S>>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Json<Verified>, ConsoleError> {
    let who = staff(&st, &h, &peer, Some(Capability::ManageDevices), true).await?;
    // Run to the end even if the request times out (a large county's
    // events take long to read): the results are stored and shown later.
    let (st2, actor) = (st.clone(), who.actor());
    let reports = tokio::spawn(async move { device_acts::verify_chains(&st2, &actor).await })
        .await
        .map_err(|e| StorageError::Inconsistent(format!("chain verification task: {e}")))??;
    Ok(Json(Verified {
        logs: reports.len(),
        bad: reports.iter().filter(|r| r.first_bad.is_some()).count(),
        page: stations_of(&st).await?,
    }))
}

#[derive(Deserialize)]
struct QuarantineQuery {
    station: Option<String>,
    page: Option<String>,
    size: Option<String>,
}

#[derive(Serialize)]
struct QuarantinePage {
    rows: Vec<QuarantineLine>,
    total: i64,
    page: i64,
    size: i64,
    station: Option<String>,
}

#[derive(Serialize)]
struct QuarantineLine {
    station_code: String,
    log_id: String,
    seq: i64,
    kind: String,
    reason: String,
    quarantined_at: String,
}

impl From<QuarantineRow> for QuarantineLine {
    fn from(q: QuarantineRow) -> Self {
        QuarantineLine {
            station_code: q.station_code,
            log_id: q.log_id,
            seq: q.seq,
            kind: q.kind,
            reason: q.reason,
            quarantined_at: q.quarantined_at,
        }
    }
}

fn station_filter(q: &QuarantineQuery) -> Result<Option<String>, Refusal> {
    match q
        .station
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Ok(None),
        Some(s) => check_station_code("station", s).map(Some),
    }
}

async fn quarantine_page<S: Storage>(
    State(st): State<AppState<S>>,
    Query(q): Query<QuarantineQuery>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Json<QuarantinePage>, ConsoleError> {
    staff(&st, &h, &peer, Some(Capability::ViewStations), false).await?;
    let station = station_filter(&q)?;
    let page = number("page", "页码", q.page.as_deref(), 1, 1_000_000)?;
    let size = number("size", "每页条数", q.size.as_deref(), 50, 200)?;
    let (rows, total) = st
        .storage
        .quarantine_page(station.as_deref(), size, (page - 1) * size)
        .await?;
    Ok(Json(QuarantinePage {
        rows: rows.into_iter().map(QuarantineLine::from).collect(),
        total,
        page,
        size,
        station,
    }))
}

/// Most rows one export writes (the page filters by station for more).
const EXPORT_LIMIT: i64 = 100_000;

async fn quarantine_export<S: Storage>(
    State(st): State<AppState<S>>,
    Query(q): Query<QuarantineQuery>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Response, ConsoleError> {
    let who = staff(&st, &h, &peer, Some(Capability::ViewStations), false).await?;
    let station = station_filter(&q)?;
    let (rows, _) = st
        .storage
        .quarantine_page(station.as_deref(), EXPORT_LIMIT, 0)
        .await?;
    let stem = match &station {
        Some(s) => format!("隔离区-{s}"),
        None => "隔离区".to_owned(),
    };
    xlsx(&st, &who, &stem, &stations::quarantine_sheets(&rows)).await
}
