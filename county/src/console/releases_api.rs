//! 发布's routes: upload a release file (checked by the stations' rules and
//! compared with the newest release), publish it, and see which version
//! every station has applied. The publishing itself ([`publish_checked`])
//! is shared with `yichuang-county publish`, so both doors check alike.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use yichuang_wire::ReleaseManifest;

use super::api::{Peer, number, staff, xlsx};
use super::export::{Cell, Sheet};
use super::releases::{self, Content, Diff, KINDS, MAX_BYTES, kind_zh};
use super::rules::{Capability, Refusal, action};
use crate::adminlog::Act;
use crate::api::AppState;
use crate::error::ConsoleError;
use crate::storage::{NewAudit, NewUpload, StationVersions, Storage, StorageError, UploadRow};

pub(super) fn routes<S: Storage>() -> Router<AppState<S>> {
    Router::new()
        .route("/console/api/releases", get(page::<S>))
        .route("/console/api/releases/export", get(export_page::<S>))
        .route("/console/api/releases/uploads", post(upload::<S>))
        .route(
            "/console/api/releases/uploads/{id}",
            get(upload_detail::<S>),
        )
        .route(
            "/console/api/releases/uploads/{id}/publish",
            post(publish::<S>),
        )
        // Twice the file limit, so that a file a little too big gets our
        // Chinese refusal rather than the framework's bare 413.
        .layer(DefaultBodyLimit::max(2 * MAX_BYTES))
}

/// Why a file was not published, from either door.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The file fails the stations' check; `zh` names the problem.
    #[error("{en}")]
    Refused { en: String, zh: String },
    #[error(transparent)]
    Key(#[from] crate::keys::KeyFileError),
    #[error("the release key file does not match its .pub file")]
    KeyMismatch,
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    AdminLog(#[from] crate::adminlog::AdminLogError),
}

/// The newest published release of `kind`, parsed, with its bytes; a release that no
/// longer parses (published before the check existed) is logged and left
/// out, so everything compares as new against it.
async fn newest<S: Storage>(
    storage: &S,
    kind: &str,
) -> Result<Option<(ReleaseManifest, Content, Vec<u8>)>, StorageError> {
    let latest = storage.latest_releases().await?;
    let Some(m) = latest.into_iter().find(|m| m.kind == kind) else {
        return Ok(None);
    };
    let Some(bytes) = storage.release_content(kind, &m.version).await? else {
        return Ok(None);
    };
    let parsed = std::str::from_utf8(&bytes)
        .map_err(|e| e.to_string())
        .and_then(|t| releases::parse(kind, t, "newest").map_err(|e| e.to_string()));
    match parsed {
        Ok(c) => Ok(Some((m, c, bytes))),
        Err(e) => {
            eprintln!("yichuang-county: release {kind} {}: {e}", m.version);
            Ok(None)
        }
    }
}

/// Checks `bytes` by the stations' rules against the newest release of its
/// kind, then signs and publishes it and records it in the administration
/// log, as `yichuang-county publish` always has. The release key's secret
/// is read here, at the moment of publishing, and never kept.
pub async fn publish_checked<S: Storage>(
    st: &AppState<S>,
    kind: &str,
    file_name: &str,
    bytes: &[u8],
) -> Result<ReleaseManifest, PublishError> {
    let old = newest(&st.storage, kind).await?;
    releases::check_file(
        kind,
        file_name,
        bytes,
        old.as_ref().map(|(_, c, b)| (c, b.as_slice())),
    )
    .map_err(|p| PublishError::Refused { en: p.en, zh: p.zh })?;
    let key = crate::keys::release_secret(&st.config.release_key_file)?;
    if key.public_key_hex() != st.keys.release_public.hex {
        return Err(PublishError::KeyMismatch);
    }
    let m = st.storage.publish(&key, kind, bytes).await?;
    st.record(Act::Published {
        kind: m.kind.clone(),
        version: m.version.clone(),
        sha256: m.sha256.clone(),
        size: m.size,
        algorithm: m.algorithm.clone(),
        signature: m.signature.clone(),
        content_hex: yichuang_wire::to_hex(bytes),
    })?;
    Ok(m)
}

#[derive(Deserialize)]
struct UploadQuery {
    kind: Option<String>,
    file_name: Option<String>,
}

#[derive(Serialize)]
struct UploadAnswer {
    upload: UploadRow,
    kind_zh: &'static str,
    valid: bool,
    /// The newest release compared with (none published yet: `None`, and
    /// the file is compared with the one the program bundles).
    against_version: Option<String>,
    diff: Option<Diff>,
    /// Whether this server publishes from the console (else: the CLI).
    console_publish: bool,
}

fn kind_of(kind: Option<&str>) -> Result<&'static str, Refusal> {
    let k = kind.map(str::trim).unwrap_or_default();
    KINDS
        .iter()
        .find(|(name, _)| *name == k)
        .map(|(name, _)| *name)
        .ok_or_else(|| {
            Refusal::invalid(
                "kind",
                "发布类型无效，应为事项清单（catalog）、文书模板（templates）或工作日历（calendar）",
            )
        })
}

/// `POST releases/uploads?kind=&file_name=` with the file as the body.
async fn upload<S: Storage>(
    State(st): State<AppState<S>>,
    Query(q): Query<UploadQuery>,
    peer: Peer,
    h: HeaderMap,
    body: Bytes,
) -> Result<Json<UploadAnswer>, ConsoleError> {
    let who = staff(&st, &h, &peer, Some(Capability::PublishReleases), true).await?;
    let kind = kind_of(q.kind.as_deref())?;
    let file_name = q.file_name.as_deref().map(str::trim).unwrap_or_default();
    if file_name.is_empty() {
        return Err(Refusal::invalid("file_name", "请填写文件名").into());
    }
    if file_name.chars().count() > 200 || file_name.chars().any(char::is_control) {
        return Err(
            Refusal::invalid("file_name", "文件名不超过 200 个字符，且不能包含控制字符").into(),
        );
    }
    if body.is_empty() {
        return Err(Refusal::invalid("file", "请选择要上传的文件，文件不能为空").into());
    }
    if body.len() > MAX_BYTES {
        return Err(Refusal::invalid("file", "文件超过 4 MiB，不能上传").into());
    }
    let old = newest(&st.storage, kind).await?;
    let checked = releases::check_file(
        kind,
        file_name,
        &body,
        old.as_ref().map(|(_, c, b)| (c, b.as_slice())),
    );
    let against = old.as_ref().map(|(m, _, _)| m.version.clone());
    let (problem, diff) = match &checked {
        Ok(c) => {
            let base = match &old {
                Some((_, c, _)) => Some(c.clone()),
                None => releases::bundled(kind),
            };
            (None, Some(releases::diff(c, base.as_ref())))
        }
        Err(p) => (Some(p.zh.clone()), None),
    };
    let detail = format!(
        "{file_name} {}",
        if problem.is_some() {
            "校验未通过"
        } else {
            "校验通过"
        }
    );
    let id = st
        .storage
        .stage_upload(
            NewUpload {
                kind,
                file_name,
                content: &body,
                problem_zh: problem.as_deref(),
                against_version: against.as_deref(),
            },
            NewAudit {
                staff_id: Some(who.id),
                login: &who.login,
                action: action::RELEASE_UPLOADED,
                detail: &detail,
                address: &who.address,
            },
        )
        .await?;
    let (row, _) = st
        .storage
        .staged_upload(id)
        .await?
        .ok_or(Refusal::NotFound("upload"))?;
    Ok(Json(UploadAnswer {
        upload: row,
        kind_zh: kind_zh(kind).unwrap_or_default(),
        valid: problem.is_none(),
        against_version: against,
        diff,
        console_publish: st.config.console_publish,
    }))
}

/// A staged upload again: its check as stored, its difference from the
/// newest release as of now (what publishing it now would change).
async fn upload_detail<S: Storage>(
    State(st): State<AppState<S>>,
    Path(id): Path<String>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Json<UploadAnswer>, ConsoleError> {
    staff(&st, &h, &peer, Some(Capability::ViewReleases), false).await?;
    let id: i64 = id.parse().map_err(|_| Refusal::NotFound("upload"))?;
    let (row, content) = st
        .storage
        .staged_upload(id)
        .await?
        .ok_or(Refusal::NotFound("upload"))?;
    let old = newest(&st.storage, &row.kind).await?;
    let diff = if row.problem_zh.is_some() {
        None
    } else {
        let base = match &old {
            Some((_, c, _)) => Some(c.clone()),
            None => releases::bundled(&row.kind),
        };
        releases::parse(
            &row.kind,
            &String::from_utf8_lossy(&content),
            &row.file_name,
        )
        .ok()
        .map(|c| releases::diff(&c, base.as_ref()))
    };
    Ok(Json(UploadAnswer {
        kind_zh: kind_zh(&row.kind).unwrap_or_default(),
        valid: row.problem_zh.is_none(),
        against_version: old.map(|(m, _, _)| m.version),
        diff,
        console_publish: st.config.console_publish,
        upload: row,
    }))
}

async fn publish<S: Storage>(
    State(st): State<AppState<S>>,
    Path(id): Path<String>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Json<ReleaseManifest>, ConsoleError> {
    let who = staff(&st, &h, &peer, Some(Capability::PublishReleases), true).await?;
    let id: i64 = id.parse().map_err(|_| Refusal::NotFound("upload"))?;
    // One publish at a time, the upload read after the lock: a double
    // click must not publish one file as two releases.
    static PUBLISHING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one = PUBLISHING.lock().await;
    let (row, content) = st
        .storage
        .staged_upload(id)
        .await?
        .ok_or(Refusal::NotFound("upload"))?;
    if let Some(p) = &row.problem_zh {
        return Err(Refusal::invalid("upload", format!("该文件未通过校验，不能发布：{p}")).into());
    }
    if let Some(v) = &row.published_version {
        return Err(Refusal::invalid("upload", format!("该文件已发布为第 {v} 版")).into());
    }
    if !st.config.console_publish {
        return Err(Refusal::invalid(
            "publish",
            format!(
                "本服务器未开启控制台发布（console_publish），请在持有发布密钥的签名主机上执行：yichuang-county publish --staged {id}"
            ),
        )
        .into());
    }
    let m = match publish_checked(&st, &row.kind, &row.file_name, &content).await {
        Ok(m) => m,
        Err(PublishError::Refused { zh, .. }) => {
            return Err(Refusal::invalid("upload", format!("该文件不能发布：{zh}")).into());
        }
        Err(e @ (PublishError::Key(_) | PublishError::KeyMismatch)) => {
            eprintln!("yichuang-county: console publish: {e}");
            return Err(Refusal::invalid(
                "publish",
                "无法读取发布密钥或密钥与公钥不符，未发布；请检查发布密钥文件（release_key_file）的配置",
            )
            .into());
        }
        Err(PublishError::Storage(e)) => return Err(e.into()),
        Err(e @ PublishError::AdminLog(_)) => return Err(StorageError::backend(e).into()),
    };
    let detail = format!("{} 第 {} 版（上传 #{id}）", row.kind, m.version);
    st.storage
        .mark_published(
            id,
            &m.version,
            NewAudit {
                staff_id: Some(who.id),
                login: &who.login,
                action: action::RELEASE_PUBLISHED,
                detail: &detail,
                address: &who.address,
            },
        )
        .await?;
    Ok(Json(m))
}

#[derive(Deserialize)]
struct Paging {
    page: Option<String>,
    size: Option<String>,
}

#[derive(Serialize)]
struct Published {
    kind: String,
    kind_zh: &'static str,
    version: String,
    sha256: String,
    size: u64,
    published_at: String,
}

#[derive(Serialize)]
struct StationRow {
    #[serde(flatten)]
    versions: StationVersions,
    catalog_current: bool,
    templates_current: bool,
    calendar_current: bool,
}

#[derive(Serialize)]
struct Page {
    published: Vec<Published>,
    uploads: Vec<UploadRow>,
    total: i64,
    page: i64,
    size: i64,
    stations: Vec<StationRow>,
    console_publish: bool,
}

fn china_time(ms: i64) -> String {
    let east8 = chrono::FixedOffset::east_opt(8 * 3600);
    match (chrono::DateTime::from_timestamp_millis(ms), east8) {
        (Some(t), Some(z)) => t.with_timezone(&z).format("%Y-%m-%d %H:%M:%S").to_string(),
        _ => String::new(),
    }
}

async fn page_of<S: Storage>(st: &AppState<S>, q: &Paging) -> Result<Page, ConsoleError> {
    let page = number("page", "页码", q.page.as_deref(), 1, 1_000_000)?;
    let size = number("size", "每页条数", q.size.as_deref(), 20, 200)?;
    let mut latest = st.storage.latest_releases().await?;
    latest.sort_by_key(|m| KINDS.iter().position(|(k, _)| *k == m.kind));
    let current = |kind: &str, v: &Option<String>| {
        latest
            .iter()
            .any(|m| m.kind == kind && v.as_deref() == Some(m.version.as_str()))
    };
    let stations = st
        .storage
        .station_versions()
        .await?
        .into_iter()
        .map(|v| StationRow {
            catalog_current: current("catalog", &v.catalog_version),
            templates_current: current("templates", &v.templates_version),
            calendar_current: current("calendar", &v.calendar_version),
            versions: v,
        })
        .collect();
    let (uploads, total) = st.storage.staged_uploads(size, (page - 1) * size).await?;
    Ok(Page {
        published: latest
            .iter()
            .map(|m| Published {
                kind: m.kind.clone(),
                kind_zh: kind_zh(&m.kind).unwrap_or_default(),
                version: m.version.clone(),
                sha256: m.sha256.clone(),
                size: m.size,
                published_at: china_time(m.published_at_ms),
            })
            .collect(),
        uploads,
        total,
        page,
        size,
        stations,
        console_publish: st.config.console_publish,
    })
}

async fn page<S: Storage>(
    State(st): State<AppState<S>>,
    Query(q): Query<Paging>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Json<Page>, ConsoleError> {
    staff(&st, &h, &peer, Some(Capability::ViewReleases), false).await?;
    Ok(Json(page_of(&st, &q).await?))
}

async fn export_page<S: Storage>(
    State(st): State<AppState<S>>,
    Query(q): Query<Paging>,
    peer: Peer,
    h: HeaderMap,
) -> Result<Response, ConsoleError> {
    let who = staff(&st, &h, &peer, Some(Capability::ViewReleases), false).await?;
    let p = page_of(&st, &q).await?;
    xlsx(&st, &who, "发布", &sheets(&p)).await
}

fn yes(b: bool) -> Cell {
    (if b { "是" } else { "否" }).into()
}

fn sheets(p: &Page) -> Vec<Sheet> {
    let mut stations = Sheet::new(
        "站点版本",
        &[
            ("站点代码", 10.0),
            ("站点名称", 18.0),
            ("日志", 38.0),
            ("事项清单版本", 12.0),
            ("最新", 6.0),
            ("文书模板版本", 12.0),
            ("最新", 6.0),
            ("工作日历版本", 12.0),
            ("最新", 6.0),
            ("最近设备时间", 22.0),
        ],
    );
    for s in &p.stations {
        let v = &s.versions;
        stations.row(vec![
            v.station_code.as_str().into(),
            v.station_name.clone().into(),
            v.log_id.as_str().into(),
            v.catalog_version.clone().into(),
            yes(s.catalog_current),
            v.templates_version.clone().into(),
            yes(s.templates_current),
            v.calendar_version.clone().into(),
            yes(s.calendar_current),
            v.last_device_time.clone().into(),
        ]);
    }
    let mut published = Sheet::new(
        "当前发布",
        &[
            ("类型", 10.0),
            ("版本", 6.0),
            ("SHA-256", 66.0),
            ("大小（字节）", 12.0),
            ("发布时间", 20.0),
        ],
    );
    for m in &p.published {
        published.row(vec![
            m.kind_zh.into(),
            m.version.as_str().into(),
            m.sha256.as_str().into(),
            i64::try_from(m.size).unwrap_or(i64::MAX).into(),
            m.published_at.as_str().into(),
        ]);
    }
    let mut uploads = Sheet::new(
        "上传记录",
        &[
            ("编号", 6.0),
            ("类型", 10.0),
            ("文件名", 24.0),
            ("上传人", 12.0),
            ("上传时间", 20.0),
            ("校验", 8.0),
            ("问题", 40.0),
            ("发布版本", 8.0),
        ],
    );
    for u in &p.uploads {
        uploads.row(vec![
            u.id.into(),
            kind_zh(&u.kind).unwrap_or_default().into(),
            u.file_name.as_str().into(),
            u.login.as_str().into(),
            u.uploaded_at.as_str().into(),
            (if u.problem_zh.is_none() {
                "通过"
            } else {
                "未通过"
            })
            .into(),
            u.problem_zh.clone().into(),
            u.published_version.clone().into(),
        ]);
    }
    vec![stations, published, uploads]
}
