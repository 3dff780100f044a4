//! The administrator's acts on stations and devices — an enrolment code, a
//! revocation, letting a device back in, setting a forked log aside, a
//! verification of the stored chains — one function each, for the
//! console's handlers and the `yichuang-county` commands alike: the
//! database change with its staff audit line (one transaction), then the
//! act in the signed administration log (what a restored database replays).

use super::accounts::Actor;
use super::rules::{Refusal, action};
use super::stations::check_station_code;
use crate::adminlog::Act;
use crate::api::AppState;
use crate::error::ConsoleError;
use crate::protocol::enrolment::code_hash;
use crate::storage::{ChainReport, NewAudit, Storage, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum ActError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The change is committed but not in the administration log: a
    /// restore of the database from an older backup would forget it.
    #[error("committed, but not recorded in the administration log: {0}")]
    AdminLog(String),
}

impl From<ActError> for ConsoleError {
    fn from(e: ActError) -> Self {
        match e {
            ActError::Refused(r) => ConsoleError::Refused(r),
            ActError::Storage(s) => ConsoleError::Internal(s),
            ActError::AdminLog(m) => ConsoleError::Internal(StorageError::Inconsistent(m)),
        }
    }
}

fn audit<'a>(actor: &'a Actor, action: &'a str, detail: &'a str) -> NewAudit<'a> {
    NewAudit {
        staff_id: actor.staff_id,
        login: &actor.login,
        action,
        detail,
        address: &actor.address,
    }
}

/// Appends to the administration log off the async threads (the file is
/// locked and synced per append).
async fn record<S: Storage>(st: &AppState<S>, act: Act) -> Result<(), ActError> {
    let st = st.clone();
    match tokio::task::spawn_blocking(move || st.record(act)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(ActError::AdminLog(e.to_string())),
        Err(e) => Err(ActError::AdminLog(e.to_string())),
    }
}

/// A code handed to a station; shown once, never stored in plain.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IssuedCode {
    pub station_code: String,
    /// The secret with this county's fingerprint, as the station types it.
    pub code: String,
    pub expires_at_ms: i64,
    pub valid_hours: i64,
}

pub async fn issue_code<S: Storage>(
    st: &AppState<S>,
    actor: &Actor,
    station_code: &str,
) -> Result<IssuedCode, ActError> {
    let station = check_station_code("station_code", station_code)?;
    let ttl = st.config.enrol_code_ttl_hours;
    let detail = format!("站点 {station}，有效 {ttl} 小时");
    let secret = st
        .storage
        .issue_code_audited(&station, ttl, audit(actor, action::CODE_ISSUED, &detail))
        .await?;
    let expires_at_ms = crate::now_ms() + ttl * 3_600_000;
    record(
        st,
        Act::CodeIssued {
            code_hash: code_hash(&secret),
            station_code: station.clone(),
            expires_at_ms,
        },
    )
    .await?;
    Ok(IssuedCode {
        code: st.enrolment_code(&secret),
        station_code: station,
        expires_at_ms,
        valid_hours: ttl,
    })
}

/// Revokes (`revoked`) or lets back in a device. Unknown: `NotFound`.
pub async fn set_revoked<S: Storage>(
    st: &AppState<S>,
    actor: &Actor,
    device_id: &str,
    revoked: bool,
    reason: &str,
) -> Result<(), ActError> {
    let (act, what) = if revoked {
        (action::DEVICE_REVOKED, "停用")
    } else {
        (action::DEVICE_UNREVOKED, "恢复")
    };
    let detail = if reason.is_empty() {
        format!("{what}设备 {device_id}")
    } else {
        format!("{what}设备 {device_id}，原因：{reason}")
    };
    if !st
        .storage
        .set_revoked_audited(device_id, revoked, audit(actor, act, &detail))
        .await?
    {
        return Err(Refusal::NotFound("device").into());
    }
    let device_id = device_id.to_owned();
    record(
        st,
        if revoked {
            Act::Revoked { device_id }
        } else {
            Act::Unrevoked { device_id }
        },
    )
    .await
}

/// Sets the device's log aside (kept under `#reset-<ms>`) so its station
/// uploads its log again. `None`: the device has no log at the county yet
/// (nothing changed). Unknown device: `NotFound`.
pub async fn reset_log<S: Storage>(
    st: &AppState<S>,
    actor: &Actor,
    device_id: &str,
    reason: &str,
) -> Result<Option<(String, String)>, ActError> {
    let at = crate::now_ms();
    let detail = if reason.is_empty() {
        format!("重置设备 {device_id} 的日志")
    } else {
        format!("重置设备 {device_id} 的日志，原因：{reason}")
    };
    let exists = st.storage.find_device(device_id).await?.is_some();
    if !exists {
        return Err(Refusal::NotFound("device").into());
    }
    let Some((old, archived)) = st
        .storage
        .reset_log_audited(device_id, at, audit(actor, action::LOG_RESET, &detail))
        .await?
    else {
        return Ok(None);
    };
    record(
        st,
        Act::LogReset {
            device_id: device_id.to_owned(),
            old_log_id: old.clone(),
            archived_as: archived.clone(),
        },
    )
    .await?;
    Ok(Some((old, archived)))
}

/// Re-verifies every device's stored chain and stores each log's result
/// (the page shows the last one without re-reading the events).
pub async fn verify_chains<S: Storage>(
    st: &AppState<S>,
    actor: &Actor,
) -> Result<Vec<ChainReport>, ActError> {
    let reports = st.storage.verify_chains().await?;
    let bad = reports.iter().filter(|r| r.first_bad.is_some()).count();
    let detail = format!("{} 个日志，{bad} 个校验失败", reports.len());
    st.storage
        .store_verification(
            &reports,
            &actor.login,
            audit(actor, action::CHAINS_VERIFIED, &detail),
        )
        .await?;
    Ok(reports)
}
