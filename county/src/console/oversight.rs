//! Routes of the oversight pages: 否定备案审查 (`filings`) and 时限督办
//! (`supervision`), each with its `.xlsx` export; the reviews and the flags
//! are staff acts, audited in the same transaction.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::api::{
    Peer, county_calendar, county_catalog, item_names, json_body, number, staff, xlsx,
};
use super::evaluations::month_bounds;
use super::filings::{self, FilingsPage};
use super::overview;
use super::rules::{Capability, Refusal, action};
use super::supervision::{self, Filters, SupervisionPage};
use crate::api::AppState;
use crate::error::ConsoleError;
use crate::now_ms;
use crate::storage::{FilingQuery, FlagOutcome, FlagRecord, NewAudit, NewFlag, NewReview, Storage};

pub(super) fn routes<S: Storage>() -> Router<AppState<S>> {
    Router::new()
        .route("/console/api/filings", get(filings_page::<S>))
        .route("/console/api/filings/export", get(filings_export::<S>))
        .route("/console/api/filings/review", post(review::<S>))
        .route(
            "/console/api/supervision",
            get(supervision_page::<S>).post(flag::<S>),
        )
        .route(
            "/console/api/supervision/export",
            get(supervision_export::<S>),
        )
        .route("/console/api/supervision/{id}/lift", post(lift::<S>))
        .route("/console/api/cases/{case_no}", get(case_page::<S>))
}

#[derive(Deserialize)]
struct FilingsQuery {
    month: Option<String>,
    station: Option<String>,
    verdict: Option<String>,
    page: Option<String>,
    size: Option<String>,
}

/// Every row of the period at most, for an export.
const EXPORT_ROWS: i64 = 100_000;

async fn filings_of<S: Storage>(
    st: &AppState<S>,
    q: &FilingsQuery,
    export: bool,
) -> Result<FilingsPage, ConsoleError> {
    let month = match q.month.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(m) => m.to_owned(),
        None => overview::china_date(now_ms()).format("%Y-%m").to_string(),
    };
    let (from, to) = month_bounds(&month)
        .ok_or_else(|| Refusal::invalid("month", "月份应为 年-月 格式，例如 2026-11"))?;
    let verdict = filings::check_verdict_filter(q.verdict.as_deref())?;
    let page = number("page", "页码", q.page.as_deref(), 1, 1_000_000)?;
    let size = number("size", "每页条数", q.size.as_deref(), 50, 200)?;
    let (limit, offset) = if export {
        (EXPORT_ROWS, 0)
    } else {
        (size, (page - 1) * size)
    };
    let facts = st
        .storage
        .filings(&FilingQuery {
            from,
            to,
            station: station_filter(q.station.as_deref())?,
            verdict,
            limit,
            offset,
            closings_limit: if export {
                EXPORT_ROWS
            } else {
                filings::CLOSINGS_LIMIT
            },
        })
        .await?;
    let catalog = county_catalog(&st.storage).await?;
    Ok(filings::page(
        from,
        to,
        page,
        size,
        &item_names(catalog.as_ref()),
        facts,
    ))
}

fn station_filter(s: Option<&str>) -> Result<Option<String>, Refusal> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if s.len() <= 32 && s.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            Ok(Some(s.to_owned()))
        }
        Some(_) => Err(Refusal::invalid("station", "站点代码只含字母和数字")),
    }
}

async fn filings_page<S: Storage>(
    State(st): State<AppState<S>>,
    Query(q): Query<FilingsQuery>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Json<FilingsPage>, ConsoleError> {
    staff(&st, &h, &peer, Some(Capability::ViewFilings), false).await?;
    Ok(Json(filings_of(&st, &q, false).await?))
}

async fn filings_export<S: Storage>(
    State(st): State<AppState<S>>,
    Query(q): Query<FilingsQuery>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Response, ConsoleError> {
    let who = staff(&st, &h, &peer, Some(Capability::ViewFilings), false).await?;
    let p = filings_of(&st, &q, true).await?;
    let stem = format!("否定备案-{}", p.from.format("%Y-%m"));
    xlsx(&st, &who, &stem, &filings::sheets(&p)).await
}

#[derive(Deserialize)]
struct ReviewForm {
    log_id: String,
    seq: i64,
    verdict: String,
    #[serde(default)]
    comment: String,
}

async fn review<S: Storage>(
    State(st): State<AppState<S>>,
    peer: Peer,
    h: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ConsoleError> {
    let who = staff(&st, &h, &peer, Some(Capability::ReviewFilings), true).await?;
    let form: ReviewForm = json_body(&body)?;
    filings::check_review(&form.verdict, &form.comment)?;
    let comment = form.comment.trim();
    let detail = format!(
        "{} 第{}条 {}",
        form.log_id,
        form.seq,
        filings::verdict_zh(&form.verdict)
    );
    let stored = st
        .storage
        .review_filing(
            &NewReview {
                log_id: &form.log_id,
                seq: form.seq,
                verdict: &form.verdict,
                comment,
                staff_id: who.id,
            },
            NewAudit {
                staff_id: Some(who.id),
                login: &who.login,
                action: action::FILING_REVIEWED,
                detail: &detail,
                address: &who.address,
            },
        )
        .await?;
    if !stored {
        return Err(Refusal::NotFound("filing").into());
    }
    Ok(Json(serde_json::json!({"ok": true})))
}

#[derive(Deserialize)]
struct SupervisionQuery {
    date: Option<String>,
    station: Option<String>,
    show: Option<String>,
    page: Option<String>,
    size: Option<String>,
}

async fn supervision_of<S: Storage>(
    st: &AppState<S>,
    q: &SupervisionQuery,
    export: bool,
) -> Result<SupervisionPage, ConsoleError> {
    let today = match q.date.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => overview::china_date(now_ms()),
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| Refusal::invalid("date", "日期应为 年-月-日 格式，例如 2026-11-23"))?,
    };
    let filters = Filters {
        station: station_filter(q.station.as_deref())?,
        show: supervision::check_show(q.show.as_deref())?,
    };
    let page = number("page", "页码", q.page.as_deref(), 1, 1_000_000)?;
    let size = number("size", "每页条数", q.size.as_deref(), 50, 200)?;
    let cal = county_calendar(&st.storage).await?;
    // The at-risk settings first: they decide how far ahead to read.
    let settings = st.storage.at_risk_settings().await?;
    let cutoff = supervision::cutoff(&cal, today, &settings);
    let facts = st.storage.deadline_cases(cutoff).await?;
    let flags = st.storage.open_flags(None).await?;
    let catalog = county_catalog(&st.storage).await?;
    let (page, size) = if export {
        (1, usize::MAX)
    } else {
        (page as usize, size as usize)
    };
    Ok(supervision::page(
        today,
        &cal,
        facts,
        flags,
        catalog.as_ref(),
        &filters,
        page,
        size,
    ))
}

async fn supervision_page<S: Storage>(
    State(st): State<AppState<S>>,
    Query(q): Query<SupervisionQuery>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Json<SupervisionPage>, ConsoleError> {
    staff(&st, &h, &peer, Some(Capability::ViewDeadlines), false).await?;
    Ok(Json(supervision_of(&st, &q, false).await?))
}

async fn supervision_export<S: Storage>(
    State(st): State<AppState<S>>,
    Query(q): Query<SupervisionQuery>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Response, ConsoleError> {
    let who = staff(&st, &h, &peer, Some(Capability::ViewDeadlines), false).await?;
    let p = supervision_of(&st, &q, true).await?;
    xlsx(
        &st,
        &who,
        &format!("时限督办-{}", p.date),
        &supervision::sheets(&p),
    )
    .await
}

#[derive(Deserialize)]
struct FlagForm {
    case_no: String,
    note: String,
}

async fn flag<S: Storage>(
    State(st): State<AppState<S>>,
    peer: Peer,
    h: HeaderMap,
    body: Bytes,
) -> Result<Json<Vec<FlagRecord>>, ConsoleError> {
    let who = staff(&st, &h, &peer, Some(Capability::SuperviseCases), true).await?;
    let form: FlagForm = json_body(&body)?;
    let case_no = form.case_no.trim();
    let station = supervision::station_of_case(case_no)?;
    let note = supervision::check_note("note", &form.note, true)?;
    let detail = format!("{case_no}：{note}");
    let outcome = st
        .storage
        .flag_case(
            &NewFlag {
                station_code: station,
                case_no,
                note: &note,
                staff_id: who.id,
            },
            NewAudit {
                staff_id: Some(who.id),
                login: &who.login,
                action: action::CASE_FLAGGED,
                detail: &detail,
                address: &who.address,
            },
        )
        .await?;
    match outcome {
        FlagOutcome::Flagged(_) => Ok(Json(st.storage.open_flags(Some(station)).await?)),
        FlagOutcome::NoSuchCase => Err(Refusal::invalid(
            "case_no",
            format!("县级尚未收到办件 {case_no}（请核对编号，或待站点同步后再试）"),
        )
        .into()),
        FlagOutcome::AlreadyFlagged => {
            Err(Refusal::invalid("case_no", format!("办件 {case_no} 已在挂牌督办中")).into())
        }
    }
}

#[derive(Deserialize)]
struct LiftForm {
    #[serde(default)]
    note: String,
}

async fn lift<S: Storage>(
    State(st): State<AppState<S>>,
    Path(id): Path<String>,
    peer: Peer,
    h: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ConsoleError> {
    let who = staff(&st, &h, &peer, Some(Capability::SuperviseCases), true).await?;
    let id: i64 = id.parse().map_err(|_| Refusal::NotFound("flag"))?;
    let form: LiftForm = json_body(&body)?;
    let note = supervision::check_note("note", &form.note, false)?;
    let detail = format!("督办 {id}：{note}");
    let lifted = st
        .storage
        .lift_flag(
            id,
            who.id,
            &note,
            NewAudit {
                staff_id: Some(who.id),
                login: &who.login,
                action: action::FLAG_LIFTED,
                detail: &detail,
                address: &who.address,
            },
        )
        .await?;
    if !lifted {
        return Err(Refusal::NotFound("flag").into());
    }
    Ok(Json(serde_json::json!({"ok": true})))
}

async fn case_page<S: Storage>(
    State(st): State<AppState<S>>,
    Path(case_no): Path<String>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Json<super::cases::CaseView>, ConsoleError> {
    staff(&st, &h, &peer, Some(Capability::ViewCases), false).await?;
    let case_no = case_no.trim();
    let station = supervision::station_of_case(case_no)?;
    let detail = st
        .storage
        .case_detail(station, case_no)
        .await?
        .ok_or(Refusal::NotFound("case"))?;
    let catalog = county_catalog(&st.storage).await?;
    Ok(Json(super::cases::view(detail, catalog.as_ref())))
}
