//! 否定备案审查: the register of a month's filings (不予受理 approved by a
//! leader, 不予许可) with each one's full record, its case's notices and the
//! reviewers' findings; the 通报 figures per station; and beside them the
//! withdrawals and terminations, per clerk (a withdrawal is where an
//! unfiled refusal would hide). Pure: the storage reads, this module names.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use yichuang_domain::notice::NoticeKind;

use super::export::{Cell, Sheet};
use super::rules::Refusal;
use crate::storage::{FilingFacts, FilingRecord, NoticeRecord};

/// At most this many withdrawals and terminations are listed (the total is
/// always given).
pub const CLOSINGS_LIMIT: i64 = 500;

/// A reviewer's findings.
pub const VERDICTS: [(&str, &str); 2] = [("compliant", "合规"), ("doubtful", "存疑")];

/// A finding of 存疑 must say why; any comment is bounded.
pub const COMMENT_MAX: usize = 500;

pub fn kind_zh(kind: &str) -> &'static str {
    match kind {
        "not_accepted" => "不予受理",
        "denied" => "不予许可",
        "withdrawn" => "撤回",
        "terminated" => "终止",
        _ => "其他",
    }
}

pub fn verdict_zh(v: &str) -> &'static str {
    VERDICTS
        .iter()
        .find(|(k, _)| *k == v)
        .map_or("其他", |(_, z)| z)
}

/// A review as submitted, checked: the verdict one of [`VERDICTS`], a
/// comment for 存疑, nothing longer than [`COMMENT_MAX`].
pub fn check_review(verdict: &str, comment: &str) -> Result<(), Refusal> {
    if !VERDICTS.iter().any(|(k, _)| *k == verdict) {
        return Err(Refusal::invalid("verdict", "审查结论应为“合规”或“存疑”"));
    }
    let comment = comment.trim();
    if verdict == "doubtful" && comment.is_empty() {
        return Err(Refusal::invalid(
            "comment",
            "结论为“存疑”时须填写审查意见，说明存疑之处",
        ));
    }
    if comment.chars().count() > COMMENT_MAX {
        return Err(Refusal::invalid(
            "comment",
            format!("审查意见不超过 {COMMENT_MAX} 字"),
        ));
    }
    Ok(())
}

/// The verdict filter of the page: a verdict, `unreviewed`, or none.
pub fn check_verdict_filter(v: Option<&str>) -> Result<Option<String>, Refusal> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(v) if v == "unreviewed" || VERDICTS.iter().any(|(k, _)| *k == v) => {
            Ok(Some(v.to_owned()))
        }
        Some(_) => Err(Refusal::invalid(
            "verdict",
            "审查结论筛选应为“合规”“存疑”或“未审查”",
        )),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FilingsPage {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rows: Vec<FilingLine>,
    pub total: i64,
    pub page: i64,
    pub size: i64,
    /// The 通报 figures: per station, the period's filings and findings.
    pub stations: Vec<StationReview>,
    /// Per clerk: how the cases they ended were ended.
    pub clerks: Vec<ClerkClosings>,
    pub closings: Vec<FilingLine>,
    pub closings_total: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FilingLine {
    #[serde(flatten)]
    pub record: FilingRecord,
    pub kind_zh: &'static str,
    pub station_name: Option<String>,
    pub item_name: Option<String>,
    pub verdict_zh: Option<&'static str>,
    pub notices_zh: Vec<NoticeLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoticeLine {
    pub doc_no: String,
    pub title_zh: String,
    pub pdf_sha256: Option<String>,
    pub prints: i64,
    pub reprints: i64,
    pub voided: bool,
    pub void_reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StationReview {
    pub station_code: String,
    pub station_name: Option<String>,
    pub filings: i64,
    pub compliant: i64,
    pub doubtful: i64,
    pub unreviewed: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClerkClosings {
    pub station_code: String,
    pub station_name: Option<String>,
    /// The clerk's staff number (who proposed the refusal or ended the case).
    pub clerk: String,
    pub not_accepted: i64,
    pub denied: i64,
    pub withdrawn: i64,
    pub terminated: i64,
}

pub(super) fn notice_line(n: &NoticeRecord) -> NoticeLine {
    let title = n
        .kind
        .as_deref()
        .and_then(|k| NoticeKind::parse(k).ok())
        .map_or_else(|| "文书".to_owned(), |k| k.title_zh().to_owned());
    NoticeLine {
        doc_no: n.doc_no.clone(),
        title_zh: title,
        pdf_sha256: n.pdf_sha256.clone(),
        prints: n.prints,
        reprints: n.reprints,
        voided: n.voided_at.is_some(),
        void_reason: n.void_reason.clone(),
    }
}

fn line(
    r: FilingRecord,
    names: &BTreeMap<String, String>,
    items: &BTreeMap<String, String>,
) -> FilingLine {
    FilingLine {
        kind_zh: kind_zh(&r.kind),
        station_name: names.get(&r.station_code).cloned(),
        item_name: r.item_code.as_ref().and_then(|c| items.get(c).cloned()),
        verdict_zh: r.review.as_ref().map(|v| verdict_zh(&v.verdict)),
        notices_zh: r.notices.iter().map(notice_line).collect(),
        record: r,
    }
}

pub fn page(
    from: NaiveDate,
    to: NaiveDate,
    page: i64,
    size: i64,
    items: &BTreeMap<String, String>,
    facts: FilingFacts,
) -> FilingsPage {
    let names = &facts.station_names;
    let mut stations: BTreeMap<String, StationReview> = BTreeMap::new();
    for (code, verdict, n) in &facts.verdicts {
        let s = stations
            .entry(code.clone())
            .or_insert_with(|| StationReview {
                station_code: code.clone(),
                station_name: names.get(code).cloned(),
                ..Default::default()
            });
        s.filings += n;
        match verdict.as_deref() {
            Some("compliant") => s.compliant += n,
            Some("doubtful") => s.doubtful += n,
            _ => s.unreviewed += n,
        }
    }
    let mut clerks: BTreeMap<(String, String), ClerkClosings> = BTreeMap::new();
    for c in &facts.per_clerk {
        let clerk = c.actor.clone().unwrap_or_default();
        let e = clerks
            .entry((c.station_code.clone(), clerk.clone()))
            .or_insert_with(|| ClerkClosings {
                station_code: c.station_code.clone(),
                station_name: names.get(&c.station_code).cloned(),
                clerk,
                ..Default::default()
            });
        match c.kind.as_str() {
            "not_accepted" => e.not_accepted += c.count,
            "denied" => e.denied += c.count,
            "withdrawn" => e.withdrawn += c.count,
            "terminated" => e.terminated += c.count,
            _ => {}
        }
    }
    let rows = facts
        .filings
        .into_iter()
        .map(|r| line(r, names, items))
        .collect();
    let closings = facts
        .closings
        .into_iter()
        .map(|r| line(r, names, items))
        .collect();
    FilingsPage {
        from,
        to,
        rows,
        total: facts.total,
        page,
        size,
        stations: stations.into_values().collect(),
        clerks: clerks.into_values().collect(),
        closings,
        closings_total: facts.closings_total,
    }
}

/// The page's tables for `.xlsx`: the register (as filtered), the 通报
/// figures, the clerks' closings and the withdrawals/terminations.
pub fn sheets(p: &FilingsPage) -> Vec<Sheet> {
    let register_cols = [
        ("站点", 18.0),
        ("办件编号", 22.0),
        ("类别", 9.0),
        ("事项", 18.0),
        ("申请人", 10.0),
        ("证件号码", 20.0),
        ("理由", 30.0),
        ("依据", 30.0),
        ("经办人", 8.0),
        ("审批领导", 8.0),
        ("决定日期", 11.0),
        ("文书", 36.0),
        ("审查结论", 9.0),
        ("审查意见", 30.0),
        ("审查人", 10.0),
        ("审查时间", 20.0),
    ];
    let fill = |s: &mut Sheet, rows: &[FilingLine]| {
        for l in rows {
            let r = &l.record;
            let notices = l
                .notices_zh
                .iter()
                .map(|n| {
                    let void = if n.voided { "（已作废）" } else { "" };
                    format!("{} {}{void}", n.title_zh, n.doc_no)
                })
                .collect::<Vec<_>>()
                .join("；");
            let mut row = record_cells(l);
            row.extend([
                notices.into(),
                l.verdict_zh.into(),
                r.review.as_ref().map(|v| v.comment.clone()).into(),
                r.review.as_ref().map(|v| v.reviewer_name.clone()).into(),
                r.review.as_ref().map(|v| v.reviewed_at.clone()).into(),
            ]);
            s.row(row);
        }
    };
    let mut register = Sheet::new(format!("否定备案 {} 至 {}", p.from, p.to), &register_cols);
    fill(&mut register, &p.rows);
    let mut bulletin = Sheet::new(
        "通报",
        &[
            ("站点代码", 10.0),
            ("站点名称", 18.0),
            ("否定备案", 9.0),
            ("合规", 7.0),
            ("存疑", 7.0),
            ("未审查", 8.0),
        ],
    );
    for s in &p.stations {
        bulletin.row(vec![
            s.station_code.as_str().into(),
            s.station_name.clone().into(),
            s.filings.into(),
            s.compliant.into(),
            s.doubtful.into(),
            s.unreviewed.into(),
        ]);
    }
    let mut clerks = Sheet::new(
        "窗口人员办结方式",
        &[
            ("站点", 18.0),
            ("工号", 8.0),
            ("不予受理", 9.0),
            ("不予许可", 9.0),
            ("撤回", 7.0),
            ("终止", 7.0),
        ],
    );
    for c in &p.clerks {
        clerks.row(vec![
            c.station_name
                .clone()
                .unwrap_or_else(|| c.station_code.clone())
                .into(),
            c.clerk.as_str().into(),
            c.not_accepted.into(),
            c.denied.into(),
            c.withdrawn.into(),
            c.terminated.into(),
        ]);
    }
    let mut closings = Sheet::new("撤回与终止", &register_cols[..11]);
    for l in &p.closings {
        closings.row(record_cells(l));
    }
    vec![register, bulletin, clerks, closings]
}

/// A filing's (or closing's) own record, the first eleven columns.
fn record_cells(l: &FilingLine) -> Vec<Cell> {
    let r = &l.record;
    vec![
        l.station_name
            .clone()
            .unwrap_or_else(|| r.station_code.clone())
            .into(),
        r.case_no.as_str().into(),
        l.kind_zh.into(),
        l.item_name.clone().or_else(|| r.item_code.clone()).into(),
        r.applicant_masked.clone().into(),
        r.applicant_id_masked.clone().into(),
        r.reason.clone().into(),
        r.legal_basis.clone().into(),
        r.proposed_by.clone().into(),
        r.approved_by.clone().into(),
        r.decided_on.into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{ClosingCount, ReviewRecord};

    fn record(kind: &str, seq: i64, verdict: Option<&str>) -> FilingRecord {
        FilingRecord {
            log_id: "L".into(),
            seq,
            station_code: "XZ02".into(),
            case_no: format!("XZ02-20261123-{seq:04}"),
            kind: kind.into(),
            reason: Some("超过申请时限".into()),
            legal_basis: Some("《工伤保险条例》第十七条".into()),
            proposed_by: Some("2001".into()),
            approved_by: Some("1001".into()),
            decided_on: NaiveDate::from_ymd_opt(2026, 11, 23),
            device_time: "t".into(),
            item_code: Some("gs".into()),
            handler: Some("2001".into()),
            applicant_masked: Some("张*".into()),
            applicant_id_masked: Some("110105********002X".into()),
            review: verdict.map(|v| ReviewRecord {
                verdict: v.into(),
                comment: "依据不足".into(),
                reviewer_login: "zhao".into(),
                reviewer_name: "赵审查".into(),
                reviewed_at: "2026-11-24 09:00:00".into(),
            }),
            reviews: i64::from(verdict.is_some()),
            notices: vec![NoticeRecord {
                doc_no: "示人社不受〔2026〕1号".into(),
                kind: Some("rejection_notice".into()),
                issued_by: Some("2001".into()),
                issued_at: None,
                template_version: None,
                pdf_sha256: Some("ab".into()),
                prints: 1,
                reprints: 1,
                voided_at: None,
                void_reason: None,
            }],
        }
    }

    #[test]
    fn reviews_are_checked_before_anything_is_stored() {
        assert!(check_review("compliant", "").is_ok());
        assert!(matches!(
            check_review("doubtful", "  "),
            Err(Refusal::Invalid {
                field: "comment",
                ..
            })
        ));
        assert!(matches!(
            check_review("ok", "x"),
            Err(Refusal::Invalid {
                field: "verdict",
                ..
            })
        ));
        assert!(check_review("compliant", &"字".repeat(COMMENT_MAX + 1)).is_err());
        assert_eq!(
            check_verdict_filter(Some("unreviewed")),
            Ok(Some("unreviewed".into()))
        );
        assert_eq!(check_verdict_filter(Some(" ")), Ok(None));
        assert!(check_verdict_filter(Some("all")).is_err());
    }

    #[test]
    fn the_page_counts_findings_per_station_and_closings_per_clerk() {
        let facts = FilingFacts {
            filings: vec![record("not_accepted", 7, Some("doubtful"))],
            total: 1,
            verdicts: vec![
                ("XZ02".into(), None, 2),
                ("XZ02".into(), Some("doubtful".into()), 1),
                ("XZ02".into(), Some("compliant".into()), 3),
            ],
            per_clerk: vec![
                ClosingCount {
                    station_code: "XZ02".into(),
                    actor: Some("2001".into()),
                    kind: "not_accepted".into(),
                    count: 2,
                },
                ClosingCount {
                    station_code: "XZ02".into(),
                    actor: Some("2001".into()),
                    kind: "withdrawn".into(),
                    count: 5,
                },
            ],
            closings: vec![record("withdrawn", 9, None)],
            closings_total: 5,
            station_names: [("XZ02".to_owned(), "新镇服务站".to_owned())].into(),
        };
        let items = [("gs".to_owned(), "工伤认定".to_owned())].into();
        let d = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let p = page(d, d, 1, 50, &items, facts);
        assert_eq!(
            p.stations,
            vec![StationReview {
                station_code: "XZ02".into(),
                station_name: Some("新镇服务站".into()),
                filings: 6,
                compliant: 3,
                doubtful: 1,
                unreviewed: 2,
            }]
        );
        assert_eq!(p.clerks.len(), 1);
        assert_eq!((p.clerks[0].not_accepted, p.clerks[0].withdrawn), (2, 5));
        let l = &p.rows[0];
        assert_eq!((l.kind_zh, l.verdict_zh), ("不予受理", Some("存疑")));
        assert_eq!(l.item_name.as_deref(), Some("工伤认定"));
        assert_eq!(l.notices_zh[0].title_zh, "不予受理通知书");
        assert_eq!(p.closings[0].kind_zh, "撤回");
        let sheets = sheets(&p);
        assert_eq!(sheets.len(), 4);
        assert_eq!(sheets[0].rows.len(), 1);
        assert!(super::super::export::workbook(&sheets).is_ok());
    }
}
