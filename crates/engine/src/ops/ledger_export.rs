//! The 台账 export (R18): the station's cases, 否定备案 filings, notices and
//! 好差评 of a period as one `.xlsx` workbook. The exporting clerk's role
//! decides the scope and the masking (`domain::ledger::terms_for`); the
//! export is recorded as an event (who, period, counts, masked or not, never
//! the rows); the file appears whole or not at all.

use std::cell::Cell as Flag;
use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate};
use rusqlite::params;
use serde::Serialize;
use serde_json::json;

use crate::domain::calendar::DayUnit;
use crate::domain::case::PersonIdType;
use crate::domain::catalog::Catalog;
use crate::domain::clerk::Clerk;
use crate::domain::evaluation::{Channel, status_zh};
use crate::domain::ids;
use crate::domain::ledger::{
    LedgerCounts, LedgerProgress, LedgerTerms, Period, SAVING_ZH, SHEETS, Scope, check_file_name,
    terms_for,
};
use crate::domain::lifecycle::CaseState;
use crate::domain::notice::NoticeKind;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::xlsx::{self, Cell, Column, Step, Table};

/// What an export produced, for the window and the CLI.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerExport {
    /// The file written (absolute).
    pub path: String,
    pub period: Period,
    #[serde(flatten)]
    pub terms: LedgerTerms,
    pub counts: LedgerCounts,
    /// The `ledger.exported` event that records the export.
    pub seq: i64,
}

const fn col(header: &'static str, width: f64) -> Column {
    Column { header, width }
}

const CASE_COLUMNS: &[Column] = &[
    col("办件编号", 22.0),
    col("收件日期", 12.0),
    col("登记时间", 20.0),
    col("事项编码", 12.0),
    col("事项名称", 28.0),
    col("申请人类型", 10.0),
    col("申请人", 24.0),
    col("证件类型", 16.0),
    col("证件号码", 22.0),
    col("代理人", 10.0),
    col("首问人员", 10.0),
    col("承办人员", 10.0),
    col("窗口", 8.0),
    col("办理状态", 14.0),
    col("受理日期", 12.0),
    col("承诺时限", 12.0),
    col("承诺办结日期", 14.0),
    col("法定时限", 12.0),
    col("法定办结日期", 14.0),
    col("期限暂定", 10.0),
    col("办结日期", 12.0),
];

const FILING_COLUMNS: &[Column] = &[
    col("办件编号", 22.0),
    col("事项名称", 28.0),
    col("申请人", 24.0),
    col("证件号码", 22.0),
    col("决定", 10.0),
    col("理由", 40.0),
    col("法律依据", 40.0),
    col("提出人", 10.0),
    col("批准领导", 10.0),
    col("批准时间", 20.0),
    col("告知书文号", 26.0),
];

const NOTICE_COLUMNS: &[Column] = &[
    col("文书种类", 20.0),
    col("文号", 26.0),
    col("办件编号", 22.0),
    col("事项名称", 28.0),
    col("申请人", 24.0),
    col("出具人", 10.0),
    col("出具时间", 20.0),
    col("打印次数", 10.0),
    col("PDF 校验值（SHA-256）", 66.0),
    col("状态", 8.0),
    col("作废时间", 20.0),
    col("作废原因", 24.0),
];

const EVALUATION_COLUMNS: &[Column] = &[
    col("办件编号", 22.0),
    col("事项名称", 28.0),
    col("承办人员", 10.0),
    col("评价渠道", 16.0),
    col("评价屏或表号", 14.0),
    col("评价状态", 16.0),
    col("评价等级", 10.0),
    col("不满意原因", 30.0),
    col("评价意见", 30.0),
    col("发起时间", 20.0),
    col("评价时间", 20.0),
];

/// A recorded time (RFC 3339, the station's offset) as the wall-clock time
/// it was at the counter; a value that does not parse stays text.
fn stamp(s: Option<String>) -> Cell {
    match s {
        None => Cell::Empty,
        Some(s) => match DateTime::parse_from_rfc3339(&s) {
            Ok(t) => Cell::DateTime(t.naive_local()),
            Err(_) => Cell::Text(s),
        },
    }
}

fn id_type_zh(id_type: &str) -> &'static str {
    const PERSON: [PersonIdType; 5] = [
        PersonIdType::ResidentId,
        PersonIdType::HkMacauPermit,
        PersonIdType::TaiwanPermit,
        PersonIdType::Passport,
        PersonIdType::ForeignPermanentResident,
    ];
    match id_type {
        "uscc" => "统一社会信用代码",
        t => PERSON
            .into_iter()
            .find(|p| p.as_str() == t)
            .map_or("其他证件", PersonIdType::label_zh),
    }
}

fn decision_zh(decision: &str) -> &'static str {
    match decision {
        "denied" => "不予许可",
        _ => "不予受理",
    }
}

fn period_text(days: u32, unit: DayUnit) -> String {
    format!("{days}{}", unit.label_zh())
}

/// The file's folder and name, checked before any work: an `.xlsx` name in
/// a folder that exists.
fn target(out: &Path) -> Result<(PathBuf, String)> {
    let name = out
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| {
            Error::invalid(
                "out",
                format!("no file name in {}", out.display()),
                "请指定保存的文件名（.xlsx）",
            )
        })?
        .to_owned();
    check_file_name(&name)?;
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(Error::invalid(
            "out",
            format!("no folder {}", dir.display()),
            format!("保存位置“{}”不存在或不是文件夹", dir.display()),
        ));
    }
    Ok((dir, name))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.display().to_string(),
        source,
    }
}

impl Engine {
    /// What an export by `actor` covers: the scope and whether ID numbers
    /// are in full (the window states it before the clerk exports).
    pub fn ledger_terms(&self, actor: &Clerk) -> LedgerTerms {
        terms_for(actor.role)
    }

    /// Exports the 台账 of the period `from`..=`to` (dates as typed) to the
    /// `.xlsx` file `out`, telling `progress` the rows done. Any logged-in
    /// clerk may export; the role decides the scope and the masking. The file
    /// is written beside `out` under a temporary name and renamed in place
    /// in the transaction that records the export, so a failure leaves
    /// neither a half file nor an event.
    pub fn export_ledger(
        &self,
        actor: &Clerk,
        from: &str,
        to: &str,
        out: &Path,
        progress: &mut dyn FnMut(LedgerProgress),
    ) -> Result<LedgerExport> {
        let period = Period::parse(from, to)?;
        let (dir, name) = target(out)?;
        let terms = terms_for(actor.role);
        let only = (terms.scope == Scope::OwnCases).then_some(actor.id);
        let tables = [
            self.case_sheet(period, only, terms.full_ids)?,
            self.filing_sheet(period, only, terms.full_ids)?,
            self.notice_sheet(period, only)?,
            self.evaluation_sheet(period, only)?,
        ];
        let counts = LedgerCounts {
            cases: tables[0].rows.len() as u64,
            filings: tables[1].rows.len() as u64,
            notices: tables[2].rows.len() as u64,
            evaluations: tables[3].rows.len() as u64,
        };
        let total = counts.total();
        let final_path = dir.join(&name);
        let tmp = dir.join(format!(".{name}.{}.part", uuid::Uuid::new_v4().simple()));
        let renamed = Flag::new(false);
        let result = (|| {
            let file = std::fs::File::create_new(&tmp).map_err(io(&tmp))?;
            let mut buf = std::io::BufWriter::new(file);
            xlsx::write(&tables, &mut buf, &mut |step| {
                progress(match step {
                    Step::Rows { sheet, done } => LedgerProgress {
                        stage_zh: sheet,
                        done,
                        total,
                    },
                    Step::Saving => LedgerProgress {
                        stage_zh: SAVING_ZH,
                        done: total,
                        total,
                    },
                })
            })?;
            buf.flush().map_err(io(&tmp))?;
            let file = buf.into_inner().map_err(|e| io(&tmp)(e.into_error()))?;
            // On disk before the rename makes it the ledger.
            file.sync_all().map_err(io(&tmp))?;
            drop(file);
            self.write(|w| {
                let seq = w.event(
                    "ledger.exported",
                    &json!({"actor": actor.staff_no, "from": period.from, "to": period.to,
                            "scope": terms.scope.as_str(), "full_ids": terms.full_ids,
                            "counts": counts}),
                )?;
                // Last in the transaction: a failed rename rolls the event back.
                std::fs::rename(&tmp, &final_path).map_err(io(&final_path))?;
                renamed.set(true);
                Ok(seq)
            })
        })();
        let seq = match result {
            Ok(seq) => seq,
            Err(e) => {
                // The commit failed after the rename: no event, so no file.
                if renamed.get() {
                    let _ = std::fs::remove_file(&final_path);
                }
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        };
        let path = std::path::absolute(&final_path).unwrap_or(final_path);
        Ok(LedgerExport {
            path: path.display().to_string(),
            period,
            terms,
            counts,
            seq,
        })
    }

    fn catalog_cached(
        &self,
        cache: &mut HashMap<String, Option<Arc<Catalog>>>,
        version: &str,
    ) -> Option<Arc<Catalog>> {
        cache
            .entry(version.to_owned())
            .or_insert_with(|| self.catalog_version(version).ok())
            .clone()
    }

    /// 受理台账: every case received in the period, in order of receipt.
    fn case_sheet(&self, p: Period, only: Option<i64>, full_ids: bool) -> Result<Table> {
        let mut stmt = self.conn.prepare(
            "SELECT c.case_no, c.received_on, c.registered_at, c.item_code, c.item_name,
                    c.catalog_version, c.applicant_kind, c.applicant_name, c.applicant_id_type,
                    c.applicant_id_no, c.agent_name, fc.name, h.name, h.window_no, c.state,
                    c.accepted_on, c.promised_due, c.promised_provisional, c.statutory_due,
                    c.statutory_provisional, c.completed_on
             FROM cases c JOIN clerks fc ON fc.id = c.first_contact JOIN clerks h ON h.id = c.handler
             WHERE c.received_on BETWEEN ?1 AND ?2 AND (?3 IS NULL OR c.handler = ?3)
             ORDER BY c.received_on, c.id",
        )?;
        let mut catalogs = HashMap::new();
        let mut rows = Vec::new();
        let mut q = stmt.query(params![p.from, p.to, only])?;
        while let Some(r) = q.next()? {
            let item_code: String = r.get(3)?;
            let version: String = r.get(5)?;
            let catalog = self.catalog_cached(&mut catalogs, &version);
            let item = catalog.as_deref().and_then(|c| c.item(&item_code));
            let id_no: String = r.get(9)?;
            let state = CaseState::parse(&r.get::<_, String>(14)?)?;
            let provisional = r.get::<_, bool>(17)? || r.get::<_, bool>(19)?;
            rows.push(vec![
                Cell::Text(r.get(0)?),
                Cell::Date(r.get(1)?),
                stamp(r.get(2)?),
                Cell::Text(item_code.clone()),
                Cell::Text(r.get(4)?),
                Cell::from(match r.get::<_, String>(6)?.as_str() {
                    "organization" => "单位",
                    _ => "个人",
                }),
                Cell::Text(r.get(7)?),
                Cell::from(id_type_zh(&r.get::<_, String>(8)?)),
                Cell::Text(if full_ids {
                    id_no
                } else {
                    ids::mask_id(&id_no)
                }),
                Cell::from(r.get::<_, Option<String>>(10)?),
                Cell::Text(r.get(11)?),
                Cell::Text(r.get(12)?),
                Cell::Text(r.get(13)?),
                Cell::from(state.label_zh()),
                Cell::from(r.get::<_, Option<NaiveDate>>(15)?),
                Cell::from(item.map(|i| period_text(i.promised_days, i.promised_unit))),
                Cell::from(r.get::<_, Option<NaiveDate>>(16)?),
                Cell::from(item.map(|i| period_text(i.statutory_days, i.statutory_unit))),
                Cell::from(r.get::<_, Option<NaiveDate>>(18)?),
                Cell::from(if provisional { "暂定" } else { "" }),
                Cell::from(r.get::<_, Option<NaiveDate>>(20)?),
            ]);
        }
        Ok(Table {
            name: SHEETS[0],
            columns: CASE_COLUMNS,
            rows,
        })
    }

    /// 否定备案登记: every filing approved in the period, oldest first.
    fn filing_sheet(&self, p: Period, only: Option<i64>, full_ids: bool) -> Result<Table> {
        let mut stmt = self.conn.prepare(
            "SELECT c.case_no, c.item_name, c.applicant_name, c.applicant_id_no, f.decision,
                    f.reason, f.legal_basis, pr.name, ap.name, f.approved_at,
                    (SELECT n.doc_no FROM notices n WHERE n.case_id = c.id
                       AND n.kind = ?4 AND n.voided_at IS NULL ORDER BY n.id LIMIT 1)
             FROM rejection_filings f JOIN cases c ON c.id = f.case_id
             JOIN clerks pr ON pr.id = f.proposed_by JOIN clerks ap ON ap.id = f.approved_by
             WHERE substr(f.approved_at, 1, 10) BETWEEN ?1 AND ?2
               AND (?3 IS NULL OR c.handler = ?3)
             ORDER BY f.approved_at, f.id",
        )?;
        let rows = stmt
            .query_map(
                params![p.from, p.to, only, NoticeKind::RejectionNotice.as_str()],
                |r| {
                    let id_no: String = r.get(3)?;
                    Ok(vec![
                        Cell::Text(r.get(0)?),
                        Cell::Text(r.get(1)?),
                        Cell::Text(r.get(2)?),
                        Cell::Text(if full_ids {
                            id_no
                        } else {
                            ids::mask_id(&id_no)
                        }),
                        Cell::from(decision_zh(&r.get::<_, String>(4)?)),
                        Cell::Text(r.get(5)?),
                        Cell::Text(r.get(6)?),
                        Cell::Text(r.get(7)?),
                        Cell::Text(r.get(8)?),
                        stamp(r.get(9)?),
                        Cell::from(r.get::<_, Option<String>>(10)?),
                    ])
                },
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Table {
            name: SHEETS[1],
            columns: FILING_COLUMNS,
            rows,
        })
    }

    /// 通知书: every notice issued in the period (voided ones too, marked).
    fn notice_sheet(&self, p: Period, only: Option<i64>) -> Result<Table> {
        let mut stmt = self.conn.prepare(
            "SELECT n.kind, n.doc_no, c.case_no, c.item_name, c.applicant_name, k.name,
                    n.issued_at, n.print_count, n.pdf_sha256, n.voided_at, n.void_reason
             FROM notices n JOIN cases c ON c.id = n.case_id JOIN clerks k ON k.id = n.issued_by
             WHERE substr(n.issued_at, 1, 10) BETWEEN ?1 AND ?2
               AND (?3 IS NULL OR c.handler = ?3)
             ORDER BY n.issued_at, n.id",
        )?;
        let mut rows = Vec::new();
        let mut q = stmt.query(params![p.from, p.to, only])?;
        while let Some(r) = q.next()? {
            let kind = NoticeKind::parse(&r.get::<_, String>(0)?)?;
            let voided_at: Option<String> = r.get(9)?;
            rows.push(vec![
                Cell::from(kind.title_zh()),
                Cell::Text(r.get(1)?),
                Cell::Text(r.get(2)?),
                Cell::Text(r.get(3)?),
                Cell::Text(r.get(4)?),
                Cell::Text(r.get(5)?),
                stamp(r.get(6)?),
                Cell::Int(r.get(7)?),
                Cell::from(r.get::<_, Option<String>>(8)?),
                Cell::from(if voided_at.is_some() {
                    "已作废"
                } else {
                    "有效"
                }),
                stamp(voided_at),
                Cell::from(r.get::<_, Option<String>>(10)?),
            ]);
        }
        Ok(Table {
            name: SHEETS[2],
            columns: NOTICE_COLUMNS,
            rows,
        })
    }

    /// 好差评: the evaluations of the cases received in the period, the
    /// cases the 好差评 statistics of the same period count.
    fn evaluation_sheet(&self, p: Period, only: Option<i64>) -> Result<Table> {
        let mut stmt = self.conn.prepare(
            "SELECT c.case_no, c.item_name, h.name, e.channel, e.legacy_channel,
                    coalesce(e.paper_serial, e.answered_on, e.screen), e.status, e.level_zh, e.reasons,
                    e.comment, e.requested_at, e.answered_at
             FROM evaluations e JOIN cases c ON c.id = e.case_id JOIN clerks h ON h.id = c.handler
             WHERE c.received_on BETWEEN ?1 AND ?2 AND (?3 IS NULL OR c.handler = ?3)
             ORDER BY coalesce(e.requested_at, e.answered_at), e.id",
        )?;
        let mut rows = Vec::new();
        let mut q = stmt.query(params![p.from, p.to, only])?;
        while let Some(r) = q.next()? {
            // The channel the answer truly came from; an old record keeps the
            // channel it named, marked as the clerk's entry.
            let channel = r
                .get::<_, Option<String>>(3)?
                .as_deref()
                .and_then(Channel::parse);
            let legacy: Option<String> = r.get(4)?;
            let channel_zh = match (channel, legacy) {
                (Some(Channel::ClerkLegacy), Some(l)) => {
                    Some(format!("{}：{l}", Channel::ClerkLegacy.label_zh()))
                }
                (Some(c), _) => Some(c.label_zh().to_owned()),
                (None, _) => None,
            };
            let reasons: Vec<String> = serde_json::from_str(&r.get::<_, String>(8)?)?;
            let comment: String = r.get(9)?;
            rows.push(vec![
                Cell::Text(r.get(0)?),
                Cell::Text(r.get(1)?),
                Cell::Text(r.get(2)?),
                Cell::from(channel_zh),
                Cell::from(r.get::<_, Option<String>>(5)?),
                Cell::from(status_zh(&r.get::<_, String>(6)?)),
                Cell::from(r.get::<_, Option<String>>(7)?),
                Cell::from((!reasons.is_empty()).then(|| reasons.join("、"))),
                Cell::from((!comment.is_empty()).then_some(comment)),
                stamp(r.get(10)?),
                stamp(r.get(11)?),
            ]);
        }
        Ok(Table {
            name: SHEETS[3],
            columns: EVALUATION_COLUMNS,
            rows,
        })
    }
}
