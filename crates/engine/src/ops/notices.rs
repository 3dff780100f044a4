//! Notice records (文书): gap-free document numbers per kind and year, the
//! snapshot of every field a notice prints, voiding and reprints. The PDF
//! rendering stands on these records; a record is never deleted.

use chrono::Datelike;
use rusqlite::{OptionalExtension, Row, params};
use serde_json::{Value, json};

use crate::domain::case::CaseView;
use crate::domain::clerk::Clerk;
use crate::domain::notice::*;
use crate::domain::notice_fields::{Issuer, NoticeInput, Office, issuer, notice_fields};
use crate::engine::Engine;
use crate::error::{Error, Result};

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

impl Engine {
    /// The document-number prefix for a kind (setting `notice.prefix.<kind>`).
    pub fn doc_prefix(&self, kind: NoticeKind) -> Result<String> {
        self.setting_or_default(&format!("notice.prefix.{}", kind.cli_name()))
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
        if !kind.allowed_for(c.state, c.has_promised()) {
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
        let (mut fields, issuer) = self.notice_fields(&c, kind, actor)?;
        let year = self.clock.today().year();
        let catalog_version = c.catalog_version.clone();
        let template_version = self.active_template_version()?;
        let (id, pdf) = self.write(|w| {
            let number = w.next_counter(&issuer.counter_scope(kind, year))?;
            let doc_no = issuer.doc_no(year, number);
            fields["doc_no"] = json!(doc_no);
            let (pdf, sha, font_hashes) = if render {
                let pdf = self.render_fields(kind, &fields, &template_version, &w.now, None)?;
                let sha = yichuang_wire::sha256_hex(&pdf);
                let fonts = serde_json::to_string(&self.fonts()?.font_hashes().map_err(super::fonts::pdf_error)?)?;
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
            w.execute(
                "INSERT INTO notices (case_id, kind, doc_no, year, number, fields, template_version,
                    catalog_version, issued_by, issued_at, event_seq, pdf_sha256, font_hashes, print_count,
                    series)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                params![c.id, kind.as_str(), doc_no, year, number, fields.to_string(),
                        template_version, catalog_version, actor.id, w.now, seq, sha, font_hashes,
                        i64::from(render), issuer.body.clone().unwrap_or_default()],
            )?;
            let id = w.last_insert_rowid();
            if render {
                w.execute(
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
            w.execute(
                "UPDATE notices SET print_count = ?1, pdf_sha256 = coalesce(pdf_sha256, ?2) WHERE id = ?3",
                params![mark.n, pdf_sha256, n.id],
            )?;
            w.execute(
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
            w.execute(
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

    /// Every field a notice of `kind` prints, as of now: the engine gathers
    /// the case, catalog, settings and templates; `domain::notice_fields`
    /// decides what is printed.
    fn notice_fields(
        &self,
        c: &CaseView,
        kind: NoticeKind,
        clerk: &Clerk,
    ) -> Result<(Value, Issuer)> {
        let catalog = self.catalog_version(&c.catalog_version)?;
        let item = catalog.item(&c.item_code).ok_or_else(|| Error::NotFound {
            what: "item",
            key: c.item_code.clone(),
        })?;
        let approver: Option<(String, String)> = if kind == NoticeKind::RejectionNotice {
            self.conn
                .query_row(
                    "SELECT k.name, k.staff_no FROM rejection_filings f JOIN clerks k ON k.id = f.approved_by
                     JOIN cases c ON c.id = f.case_id WHERE c.case_no = ?1",
                    [&c.case_no],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
        } else {
            None
        };
        let office = Office {
            name: self.setting_or_default("office.name")?,
            address: self.setting_or_default("office.address")?,
            review_body: self.setting_or_default("remedy.review_body")?,
            court: self.setting_or_default("remedy.court")?,
            arbitration_commission: self.setting_or_default("remedy.arbitration_commission")?,
        };
        let templates = self.templates(&self.active_template_version()?)?;
        // Catalog versions stored before remedy terms existed print with the
        // active catalog's terms for the route.
        let terms_from = if catalog.remedies.contains_key(&item.remedy) {
            catalog.clone()
        } else {
            self.catalog()?
        };
        let issuer = issuer(
            &catalog,
            item,
            kind,
            &office,
            self.station()?,
            self.doc_prefix(kind)?,
        )?;
        let fields = notice_fields(&NoticeInput {
            kind,
            case: c,
            item,
            catalog: &terms_from,
            clerk,
            station: self.station()?,
            office: &office,
            today: self.clock.today(),
            approver,
            templates: &templates,
            issuer: &issuer,
        })?;
        Ok((fields, issuer))
    }
}
