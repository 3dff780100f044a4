//! Notice records (文书): gap-free document numbers per kind and year, the
//! snapshot of every field a notice prints, voiding and reprints. The PDF
//! rendering stands on these records; a record is never deleted.

use chrono::Datelike;
use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::case::{CaseState, CaseView, MaterialStatus};
use crate::catalog::RemedyRoute;
use crate::clerk::Clerk;
use crate::engine::Engine;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    OneTimeNotice,
    CommitmentNotice,
    RejectionNotice,
    AcceptanceNotice,
}

pub const ALL_KINDS: [NoticeKind; 4] = [
    NoticeKind::OneTimeNotice,
    NoticeKind::CommitmentNotice,
    NoticeKind::RejectionNotice,
    NoticeKind::AcceptanceNotice,
];

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::OneTimeNotice => "one_time_notice",
            NoticeKind::CommitmentNotice => "commitment_notice",
            NoticeKind::RejectionNotice => "rejection_notice",
            NoticeKind::AcceptanceNotice => "acceptance_notice",
        }
    }

    /// The short names of the CLI (`one-time`, `commitment`, …).
    pub fn cli_name(self) -> &'static str {
        match self {
            NoticeKind::OneTimeNotice => "one-time",
            NoticeKind::CommitmentNotice => "commitment",
            NoticeKind::RejectionNotice => "rejection",
            NoticeKind::AcceptanceNotice => "acceptance",
        }
    }

    pub fn parse(s: &str) -> Result<NoticeKind> {
        ALL_KINDS
            .into_iter()
            .find(|k| k.as_str() == s || k.cli_name() == s)
            .ok_or_else(|| {
                Error::invalid(
                    "kind",
                    format!("unknown notice kind {s}"),
                    format!(
                        "文书种类“{s}”无效，应为 one-time、commitment、rejection 或 acceptance"
                    ),
                )
            })
    }

    pub fn title_zh(self) -> &'static str {
        match self {
            NoticeKind::OneTimeNotice => "一次性告知单",
            NoticeKind::CommitmentNotice => "容缺受理承诺告知书",
            NoticeKind::RejectionNotice => "不予受理通知书",
            NoticeKind::AcceptanceNotice => "受理通知书",
        }
    }

    /// The word in the document number, e.g. 告 in ××告字〔2026〕第1号.
    fn doc_word(self) -> &'static str {
        match self {
            NoticeKind::OneTimeNotice => "告",
            NoticeKind::CommitmentNotice => "诺",
            NoticeKind::RejectionNotice => "不受",
            NoticeKind::AcceptanceNotice => "受",
        }
    }

    /// May this kind be issued for a case in `state`?
    fn allowed_in(self, state: CaseState) -> bool {
        match self {
            NoticeKind::OneTimeNotice => state == CaseState::AwaitingMaterials,
            NoticeKind::CommitmentNotice => state == CaseState::AcceptedWithCommitment,
            NoticeKind::RejectionNotice => state == CaseState::Rejected,
            NoticeKind::AcceptanceNotice => matches!(
                state,
                CaseState::Accepted
                    | CaseState::AcceptedWithCommitment
                    | CaseState::InProgress
                    | CaseState::CompletedApproved
                    | CaseState::CompletedDenied
            ),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NoticeRecord {
    pub id: i64,
    pub case_no: String,
    pub kind: NoticeKind,
    pub doc_no: String,
    pub year: i32,
    pub number: i64,
    pub fields: Value,
    pub template_version: String,
    pub catalog_version: String,
    pub pdf_sha256: Option<String>,
    pub issued_by: String,
    pub issued_at: String,
    pub print_count: i64,
    pub voided_at: Option<String>,
    pub void_reason: Option<String>,
}

const NOTICE_COLS: &str = "n.id, c.case_no, n.kind, n.doc_no, n.year, n.number, n.fields,
    n.template_version, n.catalog_version, n.pdf_sha256, k.name, n.issued_at, n.print_count,
    n.voided_at, n.void_reason";

fn notice_from_row(r: &Row<'_>) -> rusqlite::Result<NoticeRecord> {
    let kind: String = r.get(2)?;
    let fields: String = r.get(6)?;
    Ok(NoticeRecord {
        id: r.get(0)?,
        case_no: r.get(1)?,
        kind: NoticeKind::parse(&kind).map_err(|e| crate::store::bad_column(2, e))?,
        doc_no: r.get(3)?,
        year: r.get(4)?,
        number: r.get(5)?,
        fields: serde_json::from_str(&fields).map_err(|e| crate::store::bad_column(6, e))?,
        template_version: r.get(7)?,
        catalog_version: r.get(8)?,
        pdf_sha256: r.get(9)?,
        issued_by: r.get(10)?,
        issued_at: r.get(11)?,
        print_count: r.get(12)?,
        voided_at: r.get(13)?,
        void_reason: r.get(14)?,
    })
}

/// Result of recording a print: the number of this print and whether it is a 补打.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct PrintMark {
    pub n: i64,
    pub reprint: bool,
}

impl Engine {
    /// The document-number prefix for a kind (setting `notice.prefix.<kind>`).
    pub fn doc_prefix(&self, kind: NoticeKind) -> Result<String> {
        let st = self.station()?;
        Ok(self
            .setting(&format!("notice.prefix.{}", kind.cli_name()))?
            .unwrap_or_else(|| format!("{}{}{}字", st.county, st.name, kind.doc_word())))
    }

    /// Issues a notice for a case: allocates the next `doc_no` of its kind and
    /// year and stores the snapshot of every field the notice prints.
    pub fn issue_notice(
        &self,
        actor: &Clerk,
        case_no: &str,
        kind: NoticeKind,
    ) -> Result<NoticeRecord> {
        Ok(self.issue_inner(actor, case_no, kind, false)?.0)
    }

    /// Issues and renders a notice in one transaction: if the PDF cannot be
    /// made (a character no font has, say), no number is used and nothing is
    /// recorded. The first print is recorded with the PDF's SHA-256.
    pub fn print_notice(
        &self,
        actor: &Clerk,
        case_no: &str,
        kind: NoticeKind,
    ) -> Result<(NoticeRecord, Vec<u8>)> {
        let (record, pdf) = self.issue_inner(actor, case_no, kind, true)?;
        Ok((record, pdf.unwrap_or_default()))
    }

    /// The original PDF of a record, re-rendered byte for byte.
    pub fn rerender_notice(&self, doc_no: &str) -> Result<Vec<u8>> {
        let n = self.notice(doc_no)?;
        self.render_fields(n.kind, &n.fields, &n.template_version, &n.issued_at, None)
    }

    /// 补打: prints the record again, marked as a reprint, and records it.
    pub fn reprint_notice(&self, actor: &Clerk, doc_no: &str) -> Result<(PrintMark, Vec<u8>)> {
        let n = self.notice(doc_no)?;
        let marker = (n.print_count > 0).then_some("补打");
        let pdf =
            self.render_fields(n.kind, &n.fields, &n.template_version, &n.issued_at, marker)?;
        let sha = yichuang_wire::sha256_hex(&pdf);
        let mark = self.record_print(actor, doc_no, Some(&sha))?;
        Ok((mark, pdf))
    }

    /// Which notice (and which print of it) a PDF file is, by its SHA-256:
    /// (doc_no, print number, voided).
    pub fn identify_pdf(&self, pdf: &[u8]) -> Result<Option<(String, i64, bool)>> {
        let sha = yichuang_wire::sha256_hex(pdf);
        Ok(self
            .conn
            .query_row(
                "SELECT n.doc_no, p.n, n.voided_at IS NOT NULL FROM notice_prints p
                 JOIN notices n ON n.id = p.notice_id WHERE p.pdf_sha256 = ?1 ORDER BY p.n LIMIT 1",
                [&sha],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?)
    }

    fn issue_inner(
        &self,
        actor: &Clerk,
        case_no: &str,
        kind: NoticeKind,
        render: bool,
    ) -> Result<(NoticeRecord, Option<Vec<u8>>)> {
        let c = self.case(case_no)?;
        if !kind.allowed_in(c.state) {
            return Err(Error::rule(
                "notice_not_allowed",
                format!("{} cannot be issued in state {}", kind.as_str(), c.state),
                format!(
                    "办件当前状态为“{}”，不能出具{}",
                    c.state.label_zh(),
                    kind.title_zh()
                ),
            ));
        }
        // One live notice per kind per decision: a one-time notice per round of
        // missing materials, the others once. Reprints use `record_print`.
        let live: Option<String> = self
            .conn
            .query_row(
                "SELECT doc_no FROM notices WHERE case_id = ?1 AND kind = ?2 AND voided_at IS NULL
                 AND event_seq > ?3",
                params![
                    c.id,
                    kind.as_str(),
                    if kind == NoticeKind::OneTimeNotice {
                        c.last_event_seq
                    } else {
                        0
                    }
                ],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(doc_no) = live {
            return Err(Error::rule(
                "notice_exists",
                format!("notice {doc_no} already issued; reprint or void it"),
                format!(
                    "该办件已出具{}（{doc_no}），如需重新打印请使用补打，如有错误请先作废",
                    kind.title_zh()
                ),
            ));
        }
        let mut fields = self.notice_fields(&c, kind, actor)?;
        let prefix = self.doc_prefix(kind)?;
        let year = self.clock.today().year();
        let catalog_version = c.catalog_version.clone();
        let template_version = self.active_template_version()?;
        let (id, pdf) = self.write(|w| {
            let number = w.next_counter(&format!("doc:{}:{year}", kind.as_str()))?;
            let doc_no = format!("{prefix}〔{year}〕第{number}号");
            fields["doc_no"] = json!(doc_no);
            let (pdf, sha, font_hashes) = if render {
                let pdf = self.render_fields(kind, &fields, &template_version, &w.now, None)?;
                let sha = yichuang_wire::sha256_hex(&pdf);
                let fonts = serde_json::to_string(&self.fonts()?.font_hashes())?;
                (Some(pdf), Some(sha), Some(fonts))
            } else {
                (None, None, None)
            };
            let seq = w.event(
                "notice.issued",
                &json!({"case_no": c.case_no, "kind": kind.as_str(), "doc_no": doc_no,
                        "actor": actor.staff_no, "fields": fields, "template_version": template_version,
                        "pdf_sha256": sha}),
            )?;
            w.tx.execute(
                "INSERT INTO notices (case_id, kind, doc_no, year, number, fields, template_version,
                    catalog_version, issued_by, issued_at, event_seq, pdf_sha256, font_hashes, print_count)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![c.id, kind.as_str(), doc_no, year, number, fields.to_string(),
                        template_version, catalog_version, actor.id, w.now, seq, sha, font_hashes,
                        i64::from(render)],
            )?;
            let id = w.tx.last_insert_rowid();
            if render {
                w.tx.execute(
                    "INSERT INTO notice_prints (notice_id, n, reprint, printed_by, printed_at, pdf_sha256)
                     VALUES (?1, 1, 0, ?2, ?3, ?4)",
                    params![id, actor.id, w.now, sha],
                )?;
                w.event(
                    "notice.printed",
                    &json!({"doc_no": doc_no, "case_no": c.case_no, "n": 1, "reprint": false,
                            "pdf_sha256": sha, "actor": actor.staff_no}),
                )?;
            }
            Ok((id, pdf))
        })?;
        Ok((self.notice_by_id(id)?, pdf))
    }

    fn notice_by_id(&self, id: i64) -> Result<NoticeRecord> {
        Ok(self.conn.query_row(
            &format!(
                "SELECT {NOTICE_COLS} FROM notices n JOIN cases c ON c.id = n.case_id
                 JOIN clerks k ON k.id = n.issued_by WHERE n.id = ?1"
            ),
            [id],
            notice_from_row,
        )?)
    }

    pub fn notice(&self, doc_no: &str) -> Result<NoticeRecord> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {NOTICE_COLS} FROM notices n JOIN cases c ON c.id = n.case_id
                     JOIN clerks k ON k.id = n.issued_by WHERE n.doc_no = ?1"
                ),
                [doc_no.trim()],
                notice_from_row,
            )
            .optional()?
            .ok_or_else(|| Error::NotFound {
                what: "notice",
                key: doc_no.into(),
            })
    }

    pub fn notices_for_case(&self, case_no: &str) -> Result<Vec<NoticeRecord>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {NOTICE_COLS} FROM notices n JOIN cases c ON c.id = n.case_id
             JOIN clerks k ON k.id = n.issued_by WHERE c.case_no = ?1 ORDER BY n.id"
        ))?;
        let rows = stmt
            .query_map([case_no.trim()], notice_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Records that a notice was printed; every print after the first is a 补打.
    pub fn record_print(
        &self,
        actor: &Clerk,
        doc_no: &str,
        pdf_sha256: Option<&str>,
    ) -> Result<PrintMark> {
        let n = self.notice(doc_no)?;
        if n.voided_at.is_some() {
            return Err(Error::rule(
                "notice_voided",
                format!("notice {doc_no} is void"),
                format!("文书 {doc_no} 已作废，不能打印"),
            ));
        }
        let mark = PrintMark {
            n: n.print_count + 1,
            reprint: n.print_count > 0,
        };
        self.write(|w| {
            w.tx.execute(
                "UPDATE notices SET print_count = ?1, pdf_sha256 = coalesce(pdf_sha256, ?2) WHERE id = ?3",
                params![mark.n, pdf_sha256, n.id],
            )?;
            w.tx.execute(
                "INSERT INTO notice_prints (notice_id, n, reprint, printed_by, printed_at, pdf_sha256)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![n.id, mark.n, mark.reprint, actor.id, w.now, pdf_sha256],
            )?;
            w.event(
                "notice.printed",
                &json!({"doc_no": n.doc_no, "case_no": n.case_no, "n": mark.n,
                        "reprint": mark.reprint, "pdf_sha256": pdf_sha256, "actor": actor.staff_no}),
            )?;
            Ok(())
        })?;
        Ok(mark)
    }

    /// 作废: the record stays, marked void with the reason; its number is not reused.
    pub fn void_notice(&self, actor: &Clerk, doc_no: &str, reason: &str) -> Result<NoticeRecord> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 200 {
            return Err(Error::invalid(
                "reason",
                "void reason required",
                "作废须填写原因（不超过200字）",
            ));
        }
        let n = self.notice(doc_no)?;
        if n.voided_at.is_some() {
            return Err(Error::rule(
                "notice_voided",
                format!("notice {doc_no} is already void"),
                format!("文书 {doc_no} 已经作废"),
            ));
        }
        self.write(|w| {
            w.tx.execute(
                "UPDATE notices SET voided_at = ?1, voided_by = ?2, void_reason = ?3 WHERE id = ?4",
                params![w.now, actor.id, reason, n.id],
            )?;
            w.event(
                "notice.voided",
                &json!({"doc_no": n.doc_no, "case_no": n.case_no, "reason": reason, "actor": actor.staff_no}),
            )?;
            Ok(())
        })?;
        self.notice(doc_no)
    }

    /// Every field a notice of `kind` prints, as of now.
    fn notice_fields(&self, c: &CaseView, kind: NoticeKind, clerk: &Clerk) -> Result<Value> {
        let st = self.station()?;
        let item = self
            .catalog_version(&c.catalog_version)?
            .item(&c.item_code)
            .cloned()
            .ok_or_else(|| Error::NotFound {
                what: "item",
                key: c.item_code.clone(),
            })?;
        let today = self.clock.today();
        let materials: Vec<Value> = c
            .materials
            .iter()
            .map(|m| {
                json!({"code": m.code, "name": m.name, "form": m.form, "copies": m.copies,
                       "standard": m.standard, "required": m.required, "status": m.status,
                       "status_zh": m.status.label_zh()})
            })
            .collect();
        // A labour-arbitration decision is the commission's, not the bureau's.
        let office_name = if item.remedy == RemedyRoute::LabourArbitrationCourt {
            self.setting_or_default("remedy.arbitration_commission")?
        } else {
            self.setting_or_default("office.name")?
        };
        let mut f = json!({
            "kind": kind.as_str(),
            "title": kind.title_zh(),
            "case_no": c.case_no,
            "issued_on": today,
            "office": {
                "name": office_name,
                "address": self.setting_or_default("office.address")?,
                "county": st.county, "station_name": st.name, "station_code": st.code,
                "window": item.window, "phone": item.contact_phone,
            },
            "applicant": {
                "kind": c.applicant_kind, "name": c.applicant_name,
                "id_type": c.applicant_id_type, "id_no_masked": c.applicant_id_masked(),
                "agent_name": c.agent_name,
            },
            "item": {
                "code": item.code, "name": item.name, "category": item.category,
                "legal_basis": crate::catalog::cite_all(&item.legal_basis),
                "procedure": item.procedure, "statutory_days": item.statutory_days,
                "promised_days": item.promised_days, "fee": item.fee,
            },
            "received_on": c.received_on,
            "clerk": {"name": clerk.name, "staff_no": clerk.staff_no},
            "materials": materials,
        });
        match kind {
            NoticeKind::OneTimeNotice => {
                f["missing"] = json!(c.missing().map(|m| m.name.clone()).collect::<Vec<_>>());
                f["restart_note"] = json!(
                    "请按本告知单一次性补齐全部材料后重新提交，办理时限自材料齐全受理之日起计算。"
                );
            }
            NoticeKind::CommitmentNotice => {
                let rule = item.supplement.clone();
                f["deferred"] = json!(
                    c.materials
                        .iter()
                        .filter(|m| m.status == MaterialStatus::Deferred)
                        .map(|m| m.name.clone())
                        .collect::<Vec<_>>()
                );
                f["supplement_due"] = json!(c.supplement_due);
                f["supplement_how"] = json!(rule.as_ref().map(|r| r.how.clone()));
                f["consequence"] = json!(rule.as_ref().map(|r| r.consequence.clone()));
                f["promised_due"] = json!(c.promised_due);
                f["accepted_on"] = json!(c.accepted_on);
            }
            NoticeKind::RejectionNotice => {
                let approver: Option<(String, String)> = self
                    .conn
                    .query_row(
                        "SELECT k.name, k.staff_no FROM rejection_filings f JOIN clerks k ON k.id = f.approved_by
                         JOIN cases c ON c.id = f.case_id WHERE c.case_no = ?1",
                        [&c.case_no],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                f["reason"] = json!(c.rejection_reason);
                f["legal_basis_of_decision"] = json!(c.rejection_basis);
                f["approved_by"] = json!(approver.map(|(n, s)| json!({"name": n, "staff_no": s})));
                f["remedy"] = self.remedy_fields(item.remedy)?;
            }
            NoticeKind::AcceptanceNotice => {
                f["accepted_on"] = json!(c.accepted_on);
                f["promised_due"] = json!(c.promised_due);
                f["promised_provisional"] = json!(c.promised_provisional);
                f["statutory_due"] = json!(c.statutory_due);
                f["statutory_provisional"] = json!(c.statutory_provisional);
            }
        }
        Ok(f)
    }

    /// The remedy sentence data for an item's route (LEGAL.md).
    fn remedy_fields(&self, route: RemedyRoute) -> Result<Value> {
        let review_body = self.setting_or_default("remedy.review_body")?;
        let court = self.setting_or_default("remedy.court")?;
        Ok(match route {
            RemedyRoute::ReviewOrLawsuit => json!({
                "route": "review_or_lawsuit", "review_body": review_body, "review_days": 60,
                "court": court, "lawsuit_months": 6,
                "sentence": format!("如不服本决定，可以自收到本决定之日起六十日内依法向{review_body}申请行政复议，或者自收到本决定之日起六个月内依法向{court}提起行政诉讼。"),
            }),
            RemedyRoute::ReviewFirst => json!({
                "route": "review_first", "review_body": review_body, "review_days": 60,
                "court": court, "after_review_days": 15,
                "sentence": format!("如不服本决定，应当自收到本决定之日起六十日内依法向{review_body}申请行政复议；对行政复议决定不服的，可以自收到行政复议决定书之日起十五日内依法向{court}提起行政诉讼。"),
            }),
            RemedyRoute::LabourArbitrationCourt => json!({
                "route": "labour_arbitration_court", "court": court, "lawsuit_days": 15,
                "sentence": format!("申请人对本不予受理决定不服的，可以自收到本通知书之日起十五日内，就该劳动争议事项向{court}提起诉讼。"),
            }),
        })
    }
}
