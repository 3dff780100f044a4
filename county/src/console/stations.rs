//! The 站点与设备 and 隔离区 pages, without database or HTTP: what each
//! device's stored facts mean (sync health, chain status, a fork waiting
//! for a reset), the checks of the administrator's forms, and the tables
//! as `.xlsx` sheets. `pg/stations.rs` reads, `stations_api.rs` asks.

use serde::Serialize;

use super::export::{Cell, Sheet};
use super::overview::SILENT_AFTER_MS;
use super::rules::Refusal;
use crate::storage::{QuarantineRow, StationDevice};

/// Longest reason kept for a revocation or a reset (it goes into the audit log).
pub const MAX_REASON_CHARS: usize = 200;

/// A station code for an enrolment code or a filter: the station's own rule.
pub fn check_station_code(field: &'static str, code: &str) -> Result<String, Refusal> {
    yichuang_domain::station::check_code(code)
        .map(str::to_owned)
        .map_err(|e| Refusal::invalid(field, e.user_message()))
}

/// Why a device is revoked or its log reset: required, one line, bounded.
pub fn check_reason(reason: &str) -> Result<String, Refusal> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(Refusal::invalid("reason", "请填写原因"));
    }
    if r.chars().count() > MAX_REASON_CHARS {
        return Err(Refusal::invalid(
            "reason",
            format!("原因不超过 {MAX_REASON_CHARS} 个字符"),
        ));
    }
    if r.chars().any(char::is_control) {
        return Err(Refusal::invalid("reason", "原因不能包含换行或控制字符"));
    }
    Ok(r.to_owned())
}

/// A device id from the path: the server's own form (`dev-` and a UUID);
/// anything else cannot be a device.
pub fn check_device_id(id: &str) -> Result<&str, Refusal> {
    if !id.is_empty()
        && id.len() <= 100
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Ok(id)
    } else {
        Err(Refusal::NotFound("device"))
    }
}

/// The last verification of a device's log, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainStatus {
    /// `unverified`, `ok`, `bad`, or `stale` (the log verified is not the
    /// device's log any more, e.g. after a reset).
    pub status: &'static str,
    pub status_zh: String,
    pub verified_at: Option<String>,
    pub events: Option<i64>,
    pub bad_seq: Option<i64>,
    pub bad_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceView {
    pub station_code: String,
    pub station_name: Option<String>,
    pub device_id: String,
    pub label: String,
    pub enrolled_at: String,
    pub revoked: bool,
    pub revoked_at: Option<String>,
    pub last_contact: Option<String>,
    /// Not heard from for [`SILENT_AFTER_MS`] (or never).
    pub silent: bool,
    pub last_upload_at: Option<String>,
    pub log_id: Option<String>,
    pub head_seq: i64,
    pub projected_seq: i64,
    /// Stored events not yet projected.
    pub backlog: i64,
    /// Events the station held beyond the county's head at its last upload
    /// (`None`: a station that does not say).
    pub unsent: Option<i64>,
    pub catalog_version: Option<String>,
    pub templates_version: Option<String>,
    pub calendar_version: Option<String>,
    pub app_version: Option<String>,
    pub last_device_time: Option<String>,
    pub quarantined: i64,
    pub fork_refusals: i64,
    /// Uploads refused as a fork since the last accepted one: the station's
    /// log and the county's disagree until the log is reset.
    pub forked: bool,
    pub last_fork_refusal: Option<String>,
    pub chain: ChainStatus,
    /// What needs attention, in Chinese (empty: nothing).
    pub problems: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StationsPage {
    pub devices: Vec<DeviceView>,
    pub stations: usize,
    /// The newest stored verification of any device's log.
    pub last_verified_at: Option<String>,
}

fn chain_status(d: &StationDevice) -> ChainStatus {
    let Some(v) = &d.last_verification else {
        return ChainStatus {
            status: "unverified",
            status_zh: "未校验".into(),
            verified_at: None,
            events: None,
            bad_seq: None,
            bad_reason: None,
        };
    };
    let (status, status_zh) = if d.log_id.as_deref() != Some(v.log_id.as_str()) {
        ("stale", "日志已更换，需重新校验".to_owned())
    } else if let Some(seq) = v.bad_seq {
        ("bad", format!("第 {seq} 条起校验失败"))
    } else {
        ("ok", format!("完整（{} 条）", v.events))
    };
    ChainStatus {
        status,
        status_zh,
        verified_at: Some(v.verified_at.clone()),
        events: Some(v.events),
        bad_seq: v.bad_seq,
        bad_reason: v.bad_reason.clone(),
    }
}

pub fn device_view(d: &StationDevice, now_ms: i64) -> DeviceView {
    let chain = chain_status(d);
    let revoked = d.revoked_at.is_some();
    let silent = d
        .last_contact_ms
        .is_none_or(|t| now_ms - t > SILENT_AFTER_MS);
    let forked = d.fork_refusals_since_upload > 0;
    let backlog = (d.head_seq - d.projected_seq).max(0);
    let unsent = d.station_head_seq.map(|h| (h - d.head_seq).max(0));
    let mut problems = Vec::new();
    if revoked {
        problems.push("已停用");
    }
    if chain.status == "bad" {
        problems.push("哈希链校验失败");
    }
    if forked {
        problems.push("日志分叉，待重置");
    }
    if silent && !revoked {
        problems.push("超过 24 小时未联系");
    }
    if d.quarantined > 0 {
        problems.push("有隔离事件");
    }
    // The upload stopped with events left (an error, a closed network); a
    // station that went on syncing since would have said less.
    if silent && !revoked && unsent.is_some_and(|n| n > 0) {
        problems.push("最后联系时仍有未上传事件");
    }
    DeviceView {
        station_code: d.station_code.clone(),
        station_name: d.station_name.clone(),
        device_id: d.device_id.clone(),
        label: d.label.clone(),
        enrolled_at: d.enrolled_at.clone(),
        revoked,
        revoked_at: d.revoked_at.clone(),
        last_contact: d.last_contact.clone(),
        silent,
        last_upload_at: d.last_upload_at.clone(),
        log_id: d.log_id.clone(),
        head_seq: d.head_seq,
        projected_seq: d.projected_seq,
        backlog,
        unsent,
        catalog_version: d.catalog_version.clone(),
        templates_version: d.templates_version.clone(),
        calendar_version: d.calendar_version.clone(),
        app_version: d.app_version.clone(),
        last_device_time: d.last_device_time.clone(),
        quarantined: d.quarantined,
        fork_refusals: d.fork_refusals,
        forked,
        last_fork_refusal: d.last_fork_refusal.clone(),
        chain,
        problems,
    }
}

pub fn page(devices: &[StationDevice], now_ms: i64) -> StationsPage {
    let codes: std::collections::BTreeSet<&str> =
        devices.iter().map(|d| d.station_code.as_str()).collect();
    StationsPage {
        stations: codes.len(),
        last_verified_at: devices
            .iter()
            .filter_map(|d| d.last_verification.as_ref().map(|v| v.verified_at.clone()))
            .max(),
        devices: devices.iter().map(|d| device_view(d, now_ms)).collect(),
    }
}

fn yes_no(b: bool) -> Cell {
    if b { "是" } else { "否" }.into()
}

/// The 站点与设备 table as the page shows it.
pub fn sheets(p: &StationsPage) -> Vec<Sheet> {
    let mut s = Sheet::new(
        "站点与设备",
        &[
            ("站点编码", 10.0),
            ("站点名称", 16.0),
            ("设备", 40.0),
            ("设备名称", 14.0),
            ("注册时间", 20.0),
            ("已停用", 8.0),
            ("最后联系", 20.0),
            ("超过24小时未联系", 10.0),
            ("县级已存（条）", 10.0),
            ("未投影（条）", 10.0),
            ("站点未上传（条，截至最后上传）", 12.0),
            ("事项清单版本", 14.0),
            ("文书模板版本", 14.0),
            ("工作日历版本", 14.0),
            ("软件版本", 10.0),
            ("隔离事件", 8.0),
            ("分叉拒绝次数", 8.0),
            ("分叉待重置", 8.0),
            ("哈希链", 22.0),
            ("校验时间", 20.0),
            ("需关注", 30.0),
        ],
    );
    for d in &p.devices {
        s.row(vec![
            d.station_code.clone().into(),
            d.station_name.clone().into(),
            d.device_id.clone().into(),
            d.label.clone().into(),
            d.enrolled_at.clone().into(),
            yes_no(d.revoked),
            d.last_contact.clone().into(),
            yes_no(d.silent),
            d.head_seq.into(),
            d.backlog.into(),
            d.unsent.into(),
            d.catalog_version.clone().into(),
            d.templates_version.clone().into(),
            d.calendar_version.clone().into(),
            d.app_version.clone().into(),
            d.quarantined.into(),
            d.fork_refusals.into(),
            yes_no(d.forked),
            d.chain.status_zh.clone().into(),
            d.chain.verified_at.clone().into(),
            d.problems.join("、").into(),
        ]);
    }
    vec![s]
}

/// The 隔离区 table.
pub fn quarantine_sheets(rows: &[QuarantineRow]) -> Vec<Sheet> {
    let mut s = Sheet::new(
        "隔离区",
        &[
            ("站点编码", 10.0),
            ("日志", 40.0),
            ("序号", 8.0),
            ("事件类型", 22.0),
            ("隔离原因", 40.0),
            ("隔离时间", 20.0),
        ],
    );
    for q in rows {
        s.row(vec![
            q.station_code.clone().into(),
            q.log_id.clone().into(),
            q.seq.into(),
            q.kind.clone().into(),
            q.reason.clone().into(),
            q.quarantined_at.clone().into(),
        ]);
    }
    vec![s]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::ChainVerification;

    fn device() -> StationDevice {
        StationDevice {
            station_code: "XZ02".into(),
            device_id: "dev-1".into(),
            log_id: Some("log-a".into()),
            head_seq: 40,
            projected_seq: 38,
            last_contact_ms: Some(1_000),
            ..Default::default()
        }
    }

    #[test]
    fn chain_status_follows_the_last_verification_of_the_current_log() {
        let mut d = device();
        assert_eq!(device_view(&d, 2_000).chain.status, "unverified");
        d.last_verification = Some(ChainVerification {
            verified_at: "2026-12-01 10:00:00".into(),
            log_id: "log-a".into(),
            events: 40,
            ..Default::default()
        });
        let v = device_view(&d, 2_000);
        assert_eq!(v.chain.status, "ok");
        assert_eq!(v.backlog, 2);
        assert_eq!(v.unsent, None, "a station that never said");
        assert!(v.problems.is_empty(), "{:?}", v.problems);
        d.last_verification.as_mut().unwrap().bad_seq = Some(7);
        let v = device_view(&d, 2_000);
        assert_eq!(v.chain.status, "bad");
        assert_eq!(v.problems, ["哈希链校验失败"]);
        d.log_id = Some("log-b".into());
        assert_eq!(device_view(&d, 2_000).chain.status, "stale");
    }

    #[test]
    fn what_the_station_still_held_is_its_head_beyond_the_countys() {
        let mut d = device();
        d.station_head_seq = Some(40);
        assert_eq!(device_view(&d, 2_000).unsent, Some(0));
        d.station_head_seq = Some(55);
        let v = device_view(&d, 2_000);
        assert_eq!(v.unsent, Some(15));
        assert!(v.problems.is_empty(), "heard from lately: {:?}", v.problems);
        // Silent since, with events left: worth a look.
        let v = device_view(&d, 2_000 + SILENT_AFTER_MS);
        assert!(
            v.problems.contains(&"最后联系时仍有未上传事件"),
            "{:?}",
            v.problems
        );
    }

    #[test]
    fn a_fork_refused_since_the_last_upload_waits_for_a_reset() {
        let mut d = device();
        d.fork_refusals = 3;
        assert!(
            !device_view(&d, 2_000).forked,
            "refused before, uploaded since"
        );
        d.fork_refusals_since_upload = 1;
        let v = device_view(&d, 2_000);
        assert!(v.forked);
        assert!(v.problems.contains(&"日志分叉，待重置"));
    }

    #[test]
    fn silence_revocation_and_quarantine_need_attention() {
        let mut d = device();
        let v = device_view(&d, 1_000 + SILENT_AFTER_MS + 1);
        assert!(v.silent);
        assert_eq!(v.problems, ["超过 24 小时未联系"]);
        d.revoked_at = Some("2026-12-01 10:00:00".into());
        d.quarantined = 2;
        let v = device_view(&d, 1_000 + SILENT_AFTER_MS + 1);
        assert_eq!(
            v.problems,
            ["已停用", "有隔离事件"],
            "a revoked device is silent by design"
        );
        d.last_contact_ms = None;
        assert!(device_view(&d, 0).silent, "never heard from");
    }

    #[test]
    fn forms_are_checked_with_the_field_named() {
        assert_eq!(
            check_station_code("station_code", " XZ03 ").unwrap(),
            "XZ03"
        );
        for bad in ["", "城关", "A B", &"A".repeat(17)] {
            assert!(matches!(
                check_station_code("station_code", bad),
                Err(Refusal::Invalid {
                    field: "station_code",
                    ..
                })
            ));
        }
        assert_eq!(check_reason(" 设备丢失 ").unwrap(), "设备丢失");
        for bad in ["", "  ", "a\nb", &"字".repeat(MAX_REASON_CHARS + 1)] {
            assert!(matches!(
                check_reason(bad),
                Err(Refusal::Invalid {
                    field: "reason",
                    ..
                })
            ));
        }
        assert!(check_device_id("dev-0b1c").is_ok());
        assert_eq!(check_device_id("../x"), Err(Refusal::NotFound("device")));
    }

    #[test]
    fn the_page_counts_stations_and_exports_every_device() {
        let mut a = device();
        let mut b = device();
        b.device_id = "dev-2".into();
        a.station_code = "DEMO01".into();
        let p = page(&[a, b], 2_000);
        assert_eq!(p.stations, 2);
        let sheets = sheets(&p);
        assert_eq!(sheets[0].rows.len(), 2);
        assert_eq!(sheets[0].rows[0].len(), sheets[0].columns.len());
        assert!(super::super::export::workbook(&sheets).is_ok());
    }
}
