//! `/console/api/...`: JSON for the console UI, authenticated by the
//! session cookie. Every handler names the [`Capability`] it needs; a
//! request without a live session gets 401 and nothing else; a request
//! that changes anything must carry the session's CSRF token in
//! [`CSRF_HEADER`]. The station protocol's signed answers are not used
//! here (this router is merged outside the signing layer).

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, patch};
use serde::{Deserialize, Serialize};

use super::accounts::{self, Actor, ChangeStaff, NewStaff, StaffView};
use super::auth;
use super::evaluations::{self, EvaluationsPage};
use super::export::{self, Sheet};
use super::overview::{self, Overview};
use super::rules::{
    self, CSRF_HEADER, Capability, Refusal, Role, action, cleared_cookie, session_cookie,
    token_from_cookie,
};
use crate::api::AppState;
use crate::error::ConsoleError;
use crate::now_ms;
use crate::storage::{AuditRow, NewAudit, Storage};
use yichuang_domain::calendar::{Calendar, release_years};
use yichuang_domain::catalog::Catalog;
use yichuang_domain::evaluation::Scale;

pub fn router<S: Storage>(state: AppState<S>) -> Router {
    Router::new()
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route("/console/", get(|| async { super::assets::serve("") }))
        .route(
            "/console/{*path}",
            get(|Path(p): Path<String>| async move { super::assets::serve(&p) }),
        )
        .route(
            "/console/api/session",
            get(me::<S>).post(login::<S>).delete(logout::<S>),
        )
        .route(
            "/console/api/staff",
            get(list_staff::<S>).post(add_staff::<S>),
        )
        .route("/console/api/staff/{id}", patch(change_staff::<S>))
        .route("/console/api/audit", get(audit_log::<S>))
        .route("/console/api/audit/export", get(audit_export::<S>))
        .route("/console/api/staff/export", get(staff_export::<S>))
        .route("/console/api/overview", get(overview_page::<S>))
        .route("/console/api/overview/export", get(overview_export::<S>))
        .route("/console/api/evaluations", get(evaluations_page::<S>))
        .route(
            "/console/api/evaluations/export",
            get(evaluations_export::<S>),
        )
        .merge(super::oversight::routes())
        .merge(super::releases_api::routes())
        // Unknown API paths: 401 to strangers, 404 to staff.
        .route("/console/api/{*rest}", axum::routing::any(unknown::<S>))
        .merge(super::stations_api::routes())
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// What a browser needs told: no framing, no sniffing, no referrer, scripts
/// and everything else from this server only.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    for (name, value) in [
        (
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

/// A live session's staff member, for a handler.
pub(super) struct Staff {
    pub(super) id: i64,
    pub(super) login: String,
    pub(super) name: String,
    pub(super) role: Role,
    token: String,
    pub(super) address: String,
}

impl Staff {
    pub(super) fn actor(&self) -> Actor {
        Actor {
            staff_id: Some(self.id),
            login: self.login.clone(),
            address: self.address.clone(),
        }
    }
}

/// The connection's peer address, for the audit log (only the socket's: a
/// forwarded-for header is the client's claim).
pub(super) struct Peer(pub(super) String);

impl<St: Send + Sync> axum::extract::FromRequestParts<St> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &St,
    ) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string())
                .unwrap_or_default(),
        ))
    }
}

/// The session check: cookie → live session → enabled staff → (for a
/// change) the CSRF header → the role's permission. Each step refuses.
pub(super) async fn staff<S: Storage>(
    st: &AppState<S>,
    h: &HeaderMap,
    peer: &Peer,
    cap: Option<Capability>,
    changes: bool,
) -> Result<Staff, ConsoleError> {
    let token = h
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(token_from_cookie)
        .ok_or(Refusal::NotLoggedIn)?
        .to_owned();
    let token_hash = auth::sha256_hex(&token);
    let s = st
        .storage
        .session(&token_hash)
        .await?
        .ok_or(Refusal::NotLoggedIn)?;
    let now = now_ms();
    if !rules::session_alive(s.created_ms, s.last_seen_ms, now) {
        st.storage.end_session(&token_hash).await?;
        return Err(Refusal::NotLoggedIn.into());
    }
    let role = Role::parse(&s.staff.role).ok_or(Refusal::NotLoggedIn)?;
    if s.staff.disabled {
        return Err(Refusal::NotLoggedIn.into());
    }
    if changes {
        let sent = h
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(auth::sha256_hex)
            .unwrap_or_default();
        if !rules::same_digest(&sent, &s.csrf_hash) {
            return Err(Refusal::Csrf.into());
        }
    }
    if let Some(cap) = cap {
        rules::require(role, cap)?;
    }
    st.storage.touch_session(&token_hash, now).await?;
    Ok(Staff {
        id: s.staff.id,
        login: s.staff.login,
        name: s.staff.name,
        role,
        token,
        address: peer.0.clone(),
    })
}

#[derive(Serialize)]
struct Me {
    login: String,
    name: String,
    role: &'static str,
    role_zh: &'static str,
    capabilities: Vec<Capability>,
    csrf_token: String,
    /// Every role with its label, for the 账号 page's choices.
    roles: Vec<RoleChoice>,
    idle_minutes: i64,
}

#[derive(Serialize)]
struct RoleChoice {
    value: &'static str,
    label_zh: &'static str,
}

fn me_of(s: &Staff) -> Me {
    Me {
        login: s.login.clone(),
        name: s.name.clone(),
        role: s.role.as_str(),
        role_zh: s.role.label_zh(),
        capabilities: rules::capabilities(s.role),
        csrf_token: auth::csrf_token(&s.token),
        roles: rules::ALL_ROLES
            .iter()
            .map(|r| RoleChoice {
                value: r.as_str(),
                label_zh: r.label_zh(),
            })
            .collect(),
        idle_minutes: rules::IDLE_MS / 60_000,
    }
}

async fn me<S: Storage>(
    State(st): State<AppState<S>>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Json<Me>, ConsoleError> {
    let s = staff(&st, &h, &peer, None, false).await?;
    Ok(Json(me_of(&s)))
}

pub(super) fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let missing = e.inner().to_string();
        // A missing field is not in the path: serde names it in `backticks`.
        let name = if path == "." {
            missing.split('`').nth(1).unwrap_or("").to_owned()
        } else {
            path
        };
        match rules::field_label(&name) {
            Some((field, label)) => Refusal::invalid(field, format!("“{label}”缺失或格式不正确")),
            None => Refusal::invalid("body", "提交的内容格式不正确"),
        }
    })
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
}

async fn login<S: Storage>(
    State(st): State<AppState<S>>,
    peer: Peer,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let form: LoginForm = json_body(&body)?;
    let login: String = rules::normalise_login(&form.login)
        .chars()
        .take(64)
        .collect();
    if login.is_empty() {
        return Err(Refusal::invalid("login", "请输入登录名").into());
    }
    if form.password.is_empty() {
        return Err(Refusal::invalid("password", "请输入密码").into());
    }
    let addr = peer.0.clone();
    let now = now_ms();
    let failures = st.storage.login_failures(&login).await?;
    let staff = st.storage.find_staff(&login).await?;
    let audit = |action: &'static str, detail: &'static str| NewAudit {
        staff_id: staff.as_ref().map(|s| s.id),
        login: &login,
        action,
        detail,
        address: &addr,
    };
    if let Some(until_ms) = rules::locked_until(failures.as_ref(), now) {
        st.storage
            .audit(audit(action::LOGIN_FAILED, "锁定期间尝试登录"))
            .await?;
        return Err(Refusal::Locked { until_ms }.into());
    }
    // The same work whether the name exists, is disabled, or not.
    let usable = staff.as_ref().filter(|s| !s.disabled);
    let hash = usable.map_or_else(
        || auth::decoy_hash().to_owned(),
        |s| s.password_hash.clone(),
    );
    let password = form.password;
    let ok =
        auth::blocking(move || auth::verify_password(&hash, &password)).await? && usable.is_some();
    let Some(s) = usable.filter(|_| ok) else {
        let next = rules::after_failure(failures.as_ref(), now);
        st.storage.put_login_failures(&login, next).await?;
        st.storage
            .audit(audit(action::LOGIN_FAILED, "登录名或密码错误"))
            .await?;
        if let Some(until_ms) = rules::locked_until(Some(&next), now) {
            st.storage.audit(audit(action::LOCKED, "")).await?;
            return Err(Refusal::Locked { until_ms }.into());
        }
        return Err(Refusal::BadCredentials.into());
    };
    let role = Role::parse(&s.role).ok_or(Refusal::BadCredentials)?;
    st.storage.clear_login_failures(&login).await?;
    let token = auth::new_token()?;
    st.storage
        .create_session(
            &auth::sha256_hex(&token),
            &auth::sha256_hex(&auth::csrf_token(&token)),
            s.id,
            now,
        )
        .await?;
    st.storage.audit(audit(action::LOGIN, "")).await?;
    let who = Staff {
        id: s.id,
        login: s.login.clone(),
        name: s.name.clone(),
        role,
        token: token.clone(),
        address: addr.clone(),
    };
    let mut r = Json(me_of(&who)).into_response();
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&token)) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

async fn logout<S: Storage>(
    State(st): State<AppState<S>>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Response, ConsoleError> {
    let s = staff(&st, &h, &peer, None, true).await?;
    st.storage.end_session(&auth::sha256_hex(&s.token)).await?;
    st.storage
        .audit(NewAudit {
            staff_id: Some(s.id),
            login: &s.login,
            action: action::LOGOUT,
            detail: "",
            address: &s.address,
        })
        .await?;
    let mut r = Json(serde_json::json!({"ok": true})).into_response();
    if let Ok(v) = HeaderValue::from_str(&cleared_cookie()) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

async fn list_staff<S: Storage>(
    State(st): State<AppState<S>>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Json<Vec<StaffView>>, ConsoleError> {
    staff(&st, &h, &peer, Some(Capability::ManageStaff), false).await?;
    let list = st.storage.list_staff().await?;
    Ok(Json(list.iter().map(StaffView::from).collect()))
}

async fn add_staff<S: Storage>(
    State(st): State<AppState<S>>,
    peer: Peer,
    h: HeaderMap,
    body: Bytes,
) -> Result<Json<StaffView>, ConsoleError> {
    let s = staff(&st, &h, &peer, Some(Capability::ManageStaff), true).await?;
    let input: NewStaff = json_body(&body)?;
    Ok(Json(
        accounts::add_staff(&st.storage, &s.actor(), &input).await?,
    ))
}

async fn change_staff<S: Storage>(
    State(st): State<AppState<S>>,
    Path(id): Path<String>,
    peer: Peer,
    h: HeaderMap,
    body: Bytes,
) -> Result<Json<StaffView>, ConsoleError> {
    let s = staff(&st, &h, &peer, Some(Capability::ManageStaff), true).await?;
    let id: i64 = id.parse().map_err(|_| Refusal::NotFound("staff"))?;
    let input: ChangeStaff = json_body(&body)?;
    Ok(Json(
        accounts::change_staff(&st.storage, &s.actor(), id, &input).await?,
    ))
}

#[derive(Deserialize)]
struct Paging {
    page: Option<String>,
    size: Option<String>,
}

#[derive(Serialize)]
struct AuditPage {
    rows: Vec<AuditLine>,
    total: i64,
    page: i64,
    size: i64,
}

#[derive(Serialize)]
struct AuditLine {
    #[serde(flatten)]
    row: AuditRow,
    action_zh: &'static str,
}

pub(super) fn number(
    field: &'static str,
    label: &str,
    v: Option<&str>,
    default: i64,
    max: i64,
) -> Result<i64, Refusal> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| Refusal::invalid(field, format!("{label}应为 1 至 {max} 之间的整数"))),
    }
}

async fn audit_log<S: Storage>(
    State(st): State<AppState<S>>,
    Query(q): Query<Paging>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Json<AuditPage>, ConsoleError> {
    staff(&st, &h, &peer, Some(Capability::ViewAudit), false).await?;
    let page = number("page", "页码", q.page.as_deref(), 1, 1_000_000)?;
    let size = number("size", "每页条数", q.size.as_deref(), 50, 200)?;
    let (rows, total) = st.storage.audit_log(size, (page - 1) * size).await?;
    Ok(Json(AuditPage {
        rows: rows
            .into_iter()
            .map(|row| AuditLine {
                action_zh: action::label_zh(&row.action),
                row,
            })
            .collect(),
        total,
        page,
        size,
    }))
}

/// The newest audit lines an export holds at most.
const AUDIT_EXPORT_ROWS: i64 = 100_000;

async fn audit_export<S: Storage>(
    State(st): State<AppState<S>>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Response, ConsoleError> {
    let who = staff(&st, &h, &peer, Some(Capability::ViewAudit), false).await?;
    let (rows, _) = st.storage.audit_log(AUDIT_EXPORT_ROWS, 0).await?;
    let mut s = Sheet::new(
        "审计日志",
        &[
            ("序号", 8.0),
            ("时间", 20.0),
            ("账号", 16.0),
            ("操作", 12.0),
            ("内容", 40.0),
            ("地址", 16.0),
        ],
    );
    for r in &rows {
        s.row(vec![
            r.id.into(),
            r.at.as_str().into(),
            r.login.as_str().into(),
            action::label_zh(&r.action).into(),
            r.detail.as_str().into(),
            r.address.as_str().into(),
        ]);
    }
    xlsx(&st, &who, "审计日志", &[s]).await
}

async fn staff_export<S: Storage>(
    State(st): State<AppState<S>>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Response, ConsoleError> {
    let who = staff(&st, &h, &peer, Some(Capability::ManageStaff), false).await?;
    let list = st.storage.list_staff().await?;
    let mut s = Sheet::new(
        "账号",
        &[
            ("登录名", 16.0),
            ("姓名", 12.0),
            ("角色", 16.0),
            ("状态", 8.0),
            ("创建时间", 20.0),
        ],
    );
    for v in list.iter().map(StaffView::from) {
        s.row(vec![
            v.login.as_str().into(),
            v.name.as_str().into(),
            v.role_zh.into(),
            (if v.disabled { "停用" } else { "启用" }).into(),
            v.created_at.as_str().into(),
        ]);
    }
    xlsx(&st, &who, "账号", &[s]).await
}

#[derive(Deserialize)]
struct OverviewQuery {
    date: Option<String>,
}

async fn overview_page<S: Storage>(
    State(st): State<AppState<S>>,
    Query(q): Query<OverviewQuery>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Json<Overview>, ConsoleError> {
    staff(&st, &h, &peer, Some(Capability::ViewOverview), false).await?;
    Ok(Json(overview_of(&st, &q).await?))
}

async fn overview_export<S: Storage>(
    State(st): State<AppState<S>>,
    Query(q): Query<OverviewQuery>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Response, ConsoleError> {
    let who = staff(&st, &h, &peer, Some(Capability::ViewOverview), false).await?;
    let o = overview_of(&st, &q).await?;
    xlsx(
        &st,
        &who,
        &format!("总览-{}", o.date),
        &overview::sheets(&o),
    )
    .await
}

async fn overview_of<S: Storage>(
    st: &AppState<S>,
    q: &OverviewQuery,
) -> Result<Overview, ConsoleError> {
    let now = now_ms();
    let date = match q.date.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => overview::china_date(now),
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| Refusal::invalid("date", "日期应为 年-月-日 格式，例如 2026-11-23"))?,
    };
    let start = overview::month_start(date);
    let figures = st.storage.station_figures(date, start).await?;
    let cal = county_calendar(&st.storage).await?;
    Ok(overview::overview(date, now, &cal, &figures))
}

#[derive(Deserialize)]
struct MonthQuery {
    month: Option<String>,
}

async fn evaluations_page<S: Storage>(
    State(st): State<AppState<S>>,
    Query(q): Query<MonthQuery>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Json<EvaluationsPage>, ConsoleError> {
    staff(&st, &h, &peer, Some(Capability::ViewEvaluations), false).await?;
    Ok(Json(evaluations_of(&st, &q).await?))
}

async fn evaluations_export<S: Storage>(
    State(st): State<AppState<S>>,
    Query(q): Query<MonthQuery>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Response, ConsoleError> {
    let who = staff(&st, &h, &peer, Some(Capability::ViewEvaluations), false).await?;
    let p = evaluations_of(&st, &q).await?;
    let stem = format!("好差评-{}", p.from.format("%Y-%m"));
    xlsx(&st, &who, &stem, &evaluations::sheets(&p)).await
}

async fn evaluations_of<S: Storage>(
    st: &AppState<S>,
    q: &MonthQuery,
) -> Result<EvaluationsPage, ConsoleError> {
    let month = match q.month.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(m) => m.to_owned(),
        None => overview::china_date(now_ms()).format("%Y-%m").to_string(),
    };
    let (from, to) = evaluations::month_bounds(&month)
        .ok_or_else(|| Refusal::invalid("month", "月份应为 年-月 格式，例如 2026-11"))?;
    let facts = st
        .storage
        .evaluation_facts(from, to, evaluations::BAD_LIMIT)
        .await?;
    let catalog = county_catalog(&st.storage).await?;
    let scale = catalog
        .as_ref()
        .map_or_else(Scale::three_level, Catalog::evaluation_scale);
    Ok(evaluations::page(
        from,
        to,
        scale,
        &item_names(catalog.as_ref()),
        facts,
    ))
}

/// Each item's name by code, from the county's catalog.
pub(super) fn item_names(catalog: Option<&Catalog>) -> std::collections::BTreeMap<String, String> {
    catalog
        .iter()
        .flat_map(|c| c.items.iter())
        .map(|i| (i.code.clone(), i.name.clone()))
        .collect()
}

/// The catalog the county's stations run: the newest published one, else
/// the one the program carries (what an unpublished county's stations use).
/// A release that does not parse was refused at publication; here it is
/// logged and the bundled catalog used.
/// The newest published release of `kind`: its version and its text (or why
/// it is not text); `None` when there is none or its content is gone.
async fn newest_release_text<S: Storage>(
    storage: &S,
    kind: &str,
) -> Result<Option<(String, Result<String, String>)>, ConsoleError> {
    let latest = storage.latest_releases().await?;
    let Some(m) = latest.into_iter().find(|m| m.kind == kind) else {
        return Ok(None);
    };
    let Some(bytes) = storage.release_content(kind, &m.version).await? else {
        return Ok(None);
    };
    let text = String::from_utf8(bytes).map_err(|e| e.to_string());
    Ok(Some((m.version, text)))
}

pub(super) async fn county_catalog<S: Storage>(
    storage: &S,
) -> Result<Option<Catalog>, ConsoleError> {
    static BUNDLED: std::sync::OnceLock<Option<Catalog>> = std::sync::OnceLock::new();
    let bundled = || {
        BUNDLED
            .get_or_init(|| {
                Catalog::parse(yichuang_domain::catalog::BUNDLED_CATALOG, "bundled catalog")
                    .map_err(|e| eprintln!("yichuang-county: bundled catalog unreadable: {e}"))
                    .ok()
            })
            .clone()
    };
    let Some((version, text)) = newest_release_text(storage, "catalog").await? else {
        return Ok(bundled());
    };
    let file = format!("county release catalog {version}");
    let parsed = text.and_then(|t| Catalog::parse_new(&t, &file).map_err(|e| e.to_string()));
    match parsed {
        Ok(c) => Ok(Some(c)),
        Err(e) => {
            eprintln!("yichuang-county: {file}: {e}");
            Ok(bundled())
        }
    }
}

/// The working days the county's stations count by: the years the program
/// carries, under the county's newest published calendar (what the stations
/// have applied, or will with their next sync). A release that does not
/// parse was refused at publication; here it is logged and skipped.
pub(super) async fn county_calendar<S: Storage>(storage: &S) -> Result<Calendar, ConsoleError> {
    static BUNDLED: std::sync::OnceLock<Calendar> = std::sync::OnceLock::new();
    let mut cal = BUNDLED
        .get_or_init(|| {
            Calendar::bundled().unwrap_or_else(|e| {
                eprintln!("yichuang-county: bundled calendar unreadable: {e}");
                Calendar::default()
            })
        })
        .clone();
    let Some((version, text)) = newest_release_text(storage, "calendar").await? else {
        return Ok(cal);
    };
    match text.and_then(|t| release_years(&t).map_err(|e| e.to_string())) {
        Ok(years) => {
            for (_, doc) in years {
                if let Err(e) = cal.add_year_json(&doc) {
                    eprintln!("yichuang-county: calendar release {version}: {e}");
                }
            }
        }
        Err(e) => eprintln!("yichuang-county: calendar release {version}: {e}"),
    }
    Ok(cal)
}

/// A table's workbook as a download, the export recorded in the audit
/// log (who took which table of personal or official data, and when).
pub(super) async fn xlsx<S: Storage>(
    st: &AppState<S>,
    who: &Staff,
    file_stem: &str,
    sheets: &[Sheet],
) -> Result<Response, ConsoleError> {
    let bytes = export::workbook(sheets)?;
    st.storage
        .audit(NewAudit {
            staff_id: Some(who.id),
            login: &who.login,
            action: action::EXPORTED,
            detail: file_stem,
            address: &who.address,
        })
        .await?;
    let name = format!("{file_stem}.xlsx");
    // RFC 6266: an ASCII fallback and the UTF-8 name percent-encoded.
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let disposition = format!("attachment; filename=\"export.xlsx\"; filename*=UTF-8''{encoded}");
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(XLSX_TYPE));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

pub(super) const XLSX_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn unknown<S: Storage>(
    State(st): State<AppState<S>>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Response, ConsoleError> {
    staff(&st, &h, &peer, None, false).await?;
    Err(Refusal::NotFound("page").into())
}
