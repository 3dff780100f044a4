//! Store-backed case operations: registration, the checklist, decisions.
//! Every transition is one transaction that writes the new state and
//! appends its event; a transition not in [`allowed`] is a typed error.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, Row, params};
use serde_json::{Value, json};

use crate::domain::case::*;
use crate::domain::catalog::{Handling, LapseConsequence, ServiceItem};
use crate::domain::checklist::*;
use crate::domain::clerk::{Clerk, Purpose, Role};
use crate::domain::deadline::{
    after_late_supplement, due_dates, onetime_notice_due, supplement_due,
};
use crate::domain::ids;
use crate::domain::lifecycle::{Action, CaseState, actions_from, allowed};
use crate::domain::notice::printable_in;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::store::Write;

const CASE_COLS: &str = "c.id, c.case_no, c.state, c.item_code, c.item_name, c.catalog_version,
    c.applicant_kind, c.applicant_name, c.applicant_id_type, c.applicant_id_no, c.agent_name,
    fc.name, h.name, c.received_on, c.registered_at, c.onetime_notice_due, c.accepted_on,
    c.promised_due, c.promised_provisional, c.statutory_due, c.statutory_provisional,
    c.supplement_due, c.applicant_delay_days, c.rejection_reason, c.rejection_basis,
    c.completed_on, c.note, c.last_event_seq, c.rejection_competent_body, c.agent_is_guardian,
    c.forwarded_to, c.review_lapse, c.supply_due";

fn case_from_row(r: &Row<'_>) -> rusqlite::Result<CaseView> {
    let state: String = r.get(2)?;
    let state = CaseState::parse(&state).map_err(|e| crate::store::bad_column(2, e))?;
    let review_lapse = r
        .get::<_, Option<String>>(31)?
        .map(|s| {
            LapseConsequence::parse(&s).ok_or_else(|| {
                crate::store::bad_column(
                    31,
                    crate::domain::lifecycle::UnknownName {
                        field: "review_lapse",
                        zh: format!("受理审查逾期后果“{s}”无效"),
                        name: s,
                    },
                )
            })
        })
        .transpose()?;
    Ok(CaseView {
        id: r.get(0)?,
        case_no: r.get(1)?,
        state,
        state_zh: state.label_zh(),
        item_code: r.get(3)?,
        item_name: r.get(4)?,
        catalog_version: r.get(5)?,
        applicant_kind: r.get(6)?,
        applicant_name: r.get(7)?,
        applicant_id_type: r.get(8)?,
        applicant_id_no: r.get(9)?,
        agent_name: r.get(10)?,
        first_contact: r.get(11)?,
        handler: r.get(12)?,
        received_on: r.get(13)?,
        registered_at: r.get(14)?,
        onetime_notice_due: r.get(15)?,
        accepted_on: r.get(16)?,
        promised_due: r.get(17)?,
        promised_provisional: r.get(18)?,
        statutory_due: r.get(19)?,
        statutory_provisional: r.get(20)?,
        supplement_due: r.get(21)?,
        applicant_delay_days: r.get(22)?,
        rejection_reason: r.get(23)?,
        rejection_basis: r.get(24)?,
        completed_on: r.get(25)?,
        note: r.get(26)?,
        last_event_seq: r.get(27)?,
        rejection_competent_body: r.get(28)?,
        agent_is_guardian: r.get(29)?,
        handling: Handling::Decides,
        forwarded_to: r.get(30)?,
        review_lapse,
        review_lapse_zh: review_lapse.map(LapseConsequence::label_zh),
        supply_due: r.get(32)?,
        materials: Vec::new(),
        outcomes: Vec::new(),
        outcome_choices: Vec::new(),
        actions: Vec::new(),
        printable_notices: Vec::new(),
        evaluation: None,
        id_masked: false,
    })
}

impl Engine {
    /// A case with its checklist and the outcomes currently allowed.
    pub fn case(&self, case_no: &str) -> Result<CaseView> {
        let mut c = self
            .conn
            .query_row(
                &format!(
                    "SELECT {CASE_COLS} FROM cases c JOIN clerks fc ON fc.id = c.first_contact
                     JOIN clerks h ON h.id = c.handler WHERE c.case_no = ?1"
                ),
                [case_no.trim()],
                case_from_row,
            )
            .optional()?
            .ok_or_else(|| Error::NotFound {
                what: "case",
                key: case_no.into(),
            })?;
        let catalog = self.catalog_version(&c.catalog_version)?;
        let item = catalog.item(&c.item_code).ok_or_else(|| Error::NotFound {
            what: "item",
            key: c.item_code.clone(),
        })?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT material_code, status FROM case_materials WHERE case_id = ?1",
        )?;
        let statuses: BTreeMap<String, String> = stmt
            .query_map([c.id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        c.materials = item
            .materials
            .iter()
            .map(|m| {
                let status = statuses
                    .get(&m.code)
                    .map(|s| MaterialStatus::parse(s))
                    .transpose()?
                    .unwrap_or(MaterialStatus::Missing);
                Ok(CaseMaterial {
                    code: m.code.clone(),
                    name: m.name.clone(),
                    form: m.form.clone(),
                    copies: m.copies,
                    required: m.required,
                    deferrable: m.deferrable,
                    promise_replaces_proof: m.promise_replaces_proof,
                    standard: m.standard.clone(),
                    status,
                })
            })
            .collect::<Result<_>>()?;
        c.handling = catalog.handling(item, &self.acts_for()?, &self.station()?.county);
        c.outcomes = outcomes_in(c.state, &c.materials, &c.handling);
        c.outcome_choices = c.outcomes.iter().map(|&o| o.into()).collect();
        c.actions = actions_from(c.state);
        c.printable_notices = printable_in(c.state, c.has_promised())
            .into_iter()
            .map(Into::into)
            .collect();
        c.evaluation = self.case_evaluation(&c.case_no)?;
        Ok(c)
    }

    fn item_for(&self, c: &CaseView) -> Result<ServiceItem> {
        self.catalog_version(&c.catalog_version)?
            .item(&c.item_code)
            .cloned()
            .ok_or_else(|| Error::NotFound {
                what: "item",
                key: c.item_code.clone(),
            })
    }

    /// Registers a new case (登记). The registering clerk is 首问责任人.
    pub fn register_case(&self, actor: &Clerk, input: &NewCase) -> Result<CaseView> {
        let station = self.station()?.clone();
        let catalog = self.catalog()?;
        let item = catalog
            .item(input.item_code.trim())
            .ok_or_else(|| Error::NotFound {
                what: "item",
                key: input.item_code.clone(),
            })?;
        let today = self.clock.today();
        let applicant = validate_applicant(&input.applicant, today)?;
        let agent = match &input.agent {
            Some(a) => Some((
                text("agent_name", &a.name, 64, "经办人姓名")?,
                ids::validate_resident_id(&a.id_no, today)?.0,
            )),
            None => None,
        };
        let received_on = input.received_on.unwrap_or(today);
        if received_on > today {
            return Err(Error::invalid(
                "received_on",
                "receipt date in the future",
                "收件日期不能晚于今天",
            ));
        }
        let materials = checked_materials(item, &input.materials, None)?;
        let guardian = input.agent.as_ref().is_some_and(|a| a.guardian);
        check_promise_signer(&materials, input.agent.is_some(), guardian)?;
        let handler = match &input.handler {
            Some(s) if !s.trim().is_empty() => self.clerk_by_staff_no(s)?,
            _ => actor.clone(),
        };
        if input.note.chars().count() > 500 {
            return Err(Error::invalid("note", "note too long", "备注不超过500字"));
        }
        let onetime_due = onetime_notice_due(&self.calendar(), item, received_on)?;
        let case_no = self.write(|w| {
            let applicant_id = upsert_applicant(w, &applicant)?;
            let day = today.format("%Y%m%d").to_string();
            let n = w.next_counter(&format!("case:{day}"))?;
            let case_no = format!("{}-{day}-{n:04}", station.code);
            let payload = json!({
                "case_no": case_no, "state": CaseState::Registered, "item_code": item.code,
                "catalog_version": catalog.version, "actor": actor.staff_no,
                "handler": handler.staff_no, "received_on": received_on,
                "applicant": {"kind": applicant.kind, "name": applicant.name,
                              "id_type": applicant.id_type, "id_no": applicant.id_no},
                "agent": agent.as_ref().map(|(n, i)| json!({"name": n, "id_no": i, "guardian": guardian})),
                "materials": materials_json(&materials),
                "onetime_notice_due": onetime_due.date,
            });
            let seq = w.event("case.registered", &payload)?;
            w.execute(
                "INSERT INTO cases (case_no, item_code, item_name, catalog_version, applicant_id,
                    applicant_kind, applicant_name, applicant_id_type, applicant_id_no, agent_name,
                    agent_id_no, first_contact, handler, state, received_on, registered_at,
                    onetime_notice_due, note, last_event_seq, updated_at, agent_is_guardian)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?16, ?20)",
                params![
                    case_no, item.code, item.name, catalog.version, applicant_id, applicant.kind,
                    applicant.name, applicant.id_type, applicant.id_no,
                    agent.as_ref().map(|a| &a.0), agent.as_ref().map(|a| &a.1),
                    actor.id, handler.id, CaseState::Registered.as_str(), received_on, w.now,
                    onetime_due.date, input.note.trim(), seq, guardian && agent.is_some()
                ],
            )?;
            let case_id = w.last_insert_rowid();
            write_materials(w, case_id, &materials)?;
            w.execute(
                "INSERT INTO case_name_fts (rowid, tokens) VALUES (?1, ?2)",
                params![case_id, crate::store::name_tokens(&applicant.name)],
            )?;
            Ok(case_no)
        })?;
        self.case(&case_no)
    }

    /// Loads a case, checks the action against the lifecycle table, and
    /// returns the target state.
    fn guard(&self, case_no: &str, action: Action) -> Result<(CaseView, CaseState)> {
        let c = self.case(case_no)?;
        let to = allowed(c.state, action).ok_or_else(|| Error::IllegalTransition {
            case_no: c.case_no.clone(),
            from: c.state,
            action: action.as_str(),
        })?;
        check_decides(&c, action)?;
        Ok((c, to))
    }

    /// Writes a transition: the new state, `extra` column updates, and the
    /// event, in one transaction.
    fn transition(
        &self,
        actor: &Clerk,
        c: &CaseView,
        action: Action,
        to: CaseState,
        mut payload: Value,
        extra: impl FnOnce(&Write<'_>) -> Result<()>,
    ) -> Result<CaseView> {
        payload["case_no"] = json!(c.case_no);
        payload["state"] = json!(to);
        payload["from"] = json!(c.state);
        payload["item_code"] = json!(c.item_code);
        payload["actor"] = json!(actor.staff_no);
        self.write(|w| {
            extra(w)?;
            let seq = w.event(&format!("case.{}", action.as_str()), &payload)?;
            let n = w.execute(
                "UPDATE cases SET state = ?1, last_event_seq = ?2, updated_at = ?3
                 WHERE id = ?4 AND state = ?5",
                params![to.as_str(), seq, w.now, c.id, c.state.as_str()],
            )?;
            if n != 1 {
                // Another window changed the case since we read it.
                return Err(Error::IllegalTransition {
                    case_no: c.case_no.clone(),
                    from: c.state,
                    action: action.as_str(),
                });
            }
            Ok(())
        })?;
        self.case(&c.case_no)
    }

    /// Changes the checklist while the case is still being registered.
    pub fn update_materials(
        &self,
        actor: &Clerk,
        case_no: &str,
        changes: &BTreeMap<String, MaterialStatus>,
    ) -> Result<CaseView> {
        let (c, to) = self.guard(case_no, Action::UpdateMaterials)?;
        self.set_materials(actor, c, Action::UpdateMaterials, to, changes)
    }

    /// The applicant came back with materials after a one-time notice.
    pub fn materials_returned(
        &self,
        actor: &Clerk,
        case_no: &str,
        changes: &BTreeMap<String, MaterialStatus>,
    ) -> Result<CaseView> {
        let (c, to) = self.guard(case_no, Action::MaterialsReturned)?;
        self.set_materials(actor, c, Action::MaterialsReturned, to, changes)
    }

    fn set_materials(
        &self,
        actor: &Clerk,
        c: CaseView,
        action: Action,
        to: CaseState,
        changes: &BTreeMap<String, MaterialStatus>,
    ) -> Result<CaseView> {
        let item = self.item_for(&c)?;
        let materials = checked_materials(&item, changes, Some(&c.materials))?;
        check_promise_signer(&materials, c.agent_name.is_some(), c.agent_is_guardian)?;
        let payload = json!({"materials": materials_json(&materials)});
        self.transition(actor, &c, action, to, payload, |w| {
            write_materials(w, c.id, &materials)
        })
    }

    /// 受理: every required material is there (received, promised or n/a).
    pub fn accept(&self, actor: &Clerk, case_no: &str) -> Result<CaseView> {
        let (c, to) = self.guard(case_no, Action::Accept)?;
        check_accept(&c)?;
        let item = self.item_for(&c)?;
        let today = self.clock.today();
        let (promised, statutory) = due_dates(&self.calendar(), &item, today)?;
        let payload = json!({"accepted_on": today, "promised_due": promised.date,
            "statutory_due": statutory.date, "provisional": promised.provisional || statutory.provisional});
        self.transition(actor, &c, Action::Accept, to, payload, |w| {
            w.execute(
                "UPDATE cases SET accepted_on = ?1, promised_due = ?2, promised_provisional = ?3,
                 statutory_due = ?4, statutory_provisional = ?5, decided_by = ?6 WHERE id = ?7",
                params![
                    today,
                    promised.date,
                    promised.provisional,
                    statutory.date,
                    statutory.provisional,
                    actor.id,
                    c.id
                ],
            )?;
            Ok(())
        })
    }

    /// 一次性告知: something required is missing; the applicant will return.
    pub fn request_materials(&self, actor: &Clerk, case_no: &str) -> Result<CaseView> {
        let (c, to) = self.guard(case_no, Action::RequestMaterials)?;
        let missing = check_request_materials(&c)?;
        let item = self.item_for(&c)?;
        let today = self.clock.today();
        // The date to supply by, where the item's rules set a period.
        let supply_due = item
            .supply_within
            .as_ref()
            .map(|p| self.calendar().add_days(today, p.days, p.unit))
            .transpose()?
            .map(|d| d.date);
        let payload = json!({"missing": missing, "supply_due": supply_due});
        self.transition(actor, &c, Action::RequestMaterials, to, payload, |w| {
            w.execute(
                "UPDATE cases SET supply_due = ?1 WHERE id = ?2",
                params![supply_due, c.id],
            )?;
            Ok(())
        })
    }

    /// 容缺受理: only deferrable materials are missing and the applicant agrees
    /// to supply them by the supplement deadline.
    pub fn accept_with_commitment(
        &self,
        actor: &Clerk,
        case_no: &str,
        applicant_agrees: bool,
    ) -> Result<CaseView> {
        let (c, to) = self.guard(case_no, Action::AcceptWithCommitment)?;
        let item = self.item_for(&c)?;
        let (deferred, rule) = check_commitment(&c, &item, applicant_agrees)?;
        let today = self.clock.today();
        let (promised, statutory) = due_dates(&self.calendar(), &item, today)?;
        let supplement = supplement_due(&self.calendar(), &item, rule, today)?;
        let payload = json!({"accepted_on": today, "deferred": deferred,
            "supplement_due": supplement.date, "promised_due": promised.date,
            "statutory_due": statutory.date});
        self.transition(actor, &c, Action::AcceptWithCommitment, to, payload, |w| {
            for code in &deferred {
                w.execute(
                    "UPDATE case_materials SET status = 'deferred' WHERE case_id = ?1 AND material_code = ?2",
                    params![c.id, code],
                )?;
            }
            w.execute(
                "UPDATE cases SET accepted_on = ?1, promised_due = ?2, promised_provisional = ?3,
                 statutory_due = ?4, statutory_provisional = ?5, supplement_due = ?6, decided_by = ?7
                 WHERE id = ?8",
                params![today, promised.date, promised.provisional, statutory.date,
                        statutory.provisional, supplement.date, actor.id, c.id],
            )?;
            Ok(())
        })
    }

    /// The deferred materials have been supplied. If late, the promised
    /// deadline moves by the delay but never past the statutory one.
    pub fn supplement(&self, actor: &Clerk, case_no: &str) -> Result<CaseView> {
        let (c, to) = self.guard(case_no, Action::Supplement)?;
        let today = self.clock.today();
        let (late, promised_due) = after_late_supplement(&self.calendar(), &c, today)?;
        let supplied: Vec<&str> = c
            .materials
            .iter()
            .filter(|m| m.status == MaterialStatus::Deferred)
            .map(|m| m.code.as_str())
            .collect();
        let payload = json!({"supplied": supplied, "late_working_days": late,
                             "promised_due": promised_due});
        self.transition(actor, &c, Action::Supplement, to, payload, |w| {
            w.execute(
                "UPDATE case_materials SET status = 'received' WHERE case_id = ?1 AND status = 'deferred'",
                [c.id],
            )?;
            w.execute(
                "UPDATE cases SET promised_due = ?1, applicant_delay_days = applicant_delay_days + ?2 WHERE id = ?3",
                params![promised_due, late, c.id],
            )?;
            Ok(())
        })
    }

    /// 收件转送: a station that only receives the item forwards the case to
    /// the body that decides it; the case is closed here, and the 收件回执
    /// may be printed.
    pub fn forward(&self, actor: &Clerk, case_no: &str) -> Result<CaseView> {
        let (c, to) = self.guard(case_no, Action::Forward)?;
        let (body, body_name) = check_forward(&c)?;
        let (body, body_name) = (body.to_owned(), body_name.to_owned());
        let today = self.clock.today();
        let payload = json!({"forwarded_to": body, "forwarded_to_name": body_name,
                             "completed_on": today});
        self.transition(actor, &c, Action::Forward, to, payload, |w| {
            w.execute(
                "UPDATE cases SET forwarded_to = ?1, completed_on = ?2, result = 'forwarded' WHERE id = ?3",
                params![body_name, today, c.id],
            )?;
            Ok(())
        })
    }

    /// 行政许可法 §32(4): no one-time notice within the review period, so
    /// the application counts as accepted on the day the materials were
    /// received; the time limits run from that day.
    pub fn deem_accepted(&self, actor: &Clerk, case_no: &str) -> Result<CaseView> {
        let (c, to) = self.guard(case_no, Action::DeemAccepted)?;
        let item = self.item_for(&c)?;
        check_review_lapsed(
            &c,
            &item,
            LapseConsequence::DeemedAccepted,
            self.clock.today(),
        )?;
        let from = c.received_on;
        let (promised, statutory) = due_dates(&self.calendar(), &item, from)?;
        let payload = json!({"accepted_on": from, "promised_due": promised.date,
            "statutory_due": statutory.date, "review_lapse": LapseConsequence::DeemedAccepted});
        self.transition(actor, &c, Action::DeemAccepted, to, payload, |w| {
            w.execute(
                "UPDATE cases SET accepted_on = ?1, promised_due = ?2, promised_provisional = ?3,
                 statutory_due = ?4, statutory_provisional = ?5, review_lapse = ?6 WHERE id = ?7",
                params![
                    from,
                    promised.date,
                    promised.provisional,
                    statutory.date,
                    statutory.provisional,
                    LapseConsequence::DeemedAccepted.as_str(),
                    c.id
                ],
            )?;
            Ok(())
        })
    }

    /// The review lapsed where the law gives the applicant the court (劳动争议
    /// 调解仲裁法 §29): recorded on the case; the case stays to be decided.
    pub fn record_review_lapse(&self, actor: &Clerk, case_no: &str) -> Result<CaseView> {
        let (c, to) = self.guard(case_no, Action::RecordReviewLapse)?;
        let item = self.item_for(&c)?;
        check_review_lapsed(
            &c,
            &item,
            LapseConsequence::ApplicantMaySue,
            self.clock.today(),
        )?;
        if c.review_lapse.is_some() {
            return Err(Error::rule(
                "lapse_recorded",
                "the lapse is already recorded",
                "该办件的受理审查逾期已记录",
            ));
        }
        let payload = json!({"review_lapse": LapseConsequence::ApplicantMaySue});
        self.transition(actor, &c, Action::RecordReviewLapse, to, payload, |w| {
            w.execute(
                "UPDATE cases SET review_lapse = ?1 WHERE id = ?2",
                params![LapseConsequence::ApplicantMaySue.as_str(), c.id],
            )?;
            Ok(())
        })
    }

    /// Records the legal consequence of every acceptance review that has
    /// lapsed with no notice (run when the deadline board is read): the
    /// cases changed.
    pub fn record_lapsed_reviews(&self, actor: &Clerk) -> Result<Vec<CaseView>> {
        let today = self.clock.today();
        let due: Vec<(String, String, String)> = self
            .conn
            .prepare(
                "SELECT case_no, item_code, catalog_version FROM cases
                 WHERE state = 'registered' AND review_lapse IS NULL
                 AND onetime_notice_due < ?1 ORDER BY id",
            )?
            .query_map([today], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let (acts_for, county) = (self.acts_for()?, self.station()?.county.clone());
        let mut changed = Vec::new();
        // Run whenever the board is read: decided from the cached catalog,
        // without loading cases whose item gives no consequence.
        for (no, item_code, version) in due {
            let catalog = self.catalog_version(&version)?;
            let Some(item) = catalog.item(&item_code) else {
                continue;
            };
            if catalog.handling(item, &acts_for, &county).receives_only() {
                continue;
            }
            let done = match item.review_lapse.as_ref().map(|l| l.consequence) {
                Some(LapseConsequence::DeemedAccepted) => self.deem_accepted(actor, &no)?,
                Some(LapseConsequence::ApplicantMaySue) => self.record_review_lapse(actor, &no)?,
                None => continue,
            };
            changed.push(done);
        }
        Ok(changed)
    }

    /// Flags a 容缺 case whose supplement deadline has passed.
    pub fn mark_supplement_overdue(&self, actor: &Clerk, case_no: &str) -> Result<CaseView> {
        let (c, to) = self.guard(case_no, Action::MarkSupplementOverdue)?;
        let today = self.clock.today();
        check_supplement_overdue(&c, today)?;
        self.transition(
            actor,
            &c,
            Action::MarkSupplementOverdue,
            to,
            json!({}),
            |_| Ok(()),
        )
    }

    /// Ends a case whose deferred materials never came (the item's rule).
    pub fn terminate(&self, actor: &Clerk, case_no: &str, reason: &str) -> Result<CaseView> {
        let reason = text("reason", reason, 500, "终止原因")?;
        self.close(
            actor,
            case_no,
            Action::Terminate,
            "terminated",
            json!({"reason": reason}),
        )
    }

    /// Ends a case: the new state, its completion date and result, one transition.
    fn close(
        &self,
        actor: &Clerk,
        case_no: &str,
        action: Action,
        result: &'static str,
        mut payload: Value,
    ) -> Result<CaseView> {
        let (c, to) = self.guard(case_no, action)?;
        let today = self.clock.today();
        payload["completed_on"] = json!(today);
        self.transition(actor, &c, action, to, payload, |w| {
            w.execute(
                "UPDATE cases SET completed_on = ?1, result = ?2 WHERE id = ?3",
                params![today, result, c.id],
            )?;
            Ok(())
        })
    }

    pub fn start(&self, actor: &Clerk, case_no: &str) -> Result<CaseView> {
        let (c, to) = self.guard(case_no, Action::Start)?;
        self.transition(actor, &c, Action::Start, to, json!({}), |_| Ok(()))
    }

    /// 办结 with approval of the application.
    pub fn complete(&self, actor: &Clerk, case_no: &str) -> Result<CaseView> {
        self.close(actor, case_no, Action::Complete, "approved", json!({}))
    }

    /// 不予许可 after acceptance: needs a leader's own credentials (否定备案).
    pub fn deny(
        &self,
        actor: &Clerk,
        case_no: &str,
        reason: &str,
        legal_basis: &str,
        leader_staff_no: &str,
        leader_password: &str,
    ) -> Result<CaseView> {
        let reason = text("reason", reason, 1000, "不予许可理由")?;
        let basis = text("legal_basis", legal_basis, 500, "法律依据")?;
        let (c, to) = self.guard(case_no, Action::Deny)?;
        let leader = self.approving_leader(actor, leader_staff_no, leader_password)?;
        let today = self.clock.today();
        let payload = json!({"reason": reason, "legal_basis": basis, "approved_by": leader.staff_no,
                             "completed_on": today});
        self.transition(actor, &c, Action::Deny, to, payload, |w| {
            w.execute(
                "UPDATE cases SET completed_on = ?1, result = 'denied', rejection_reason = ?2,
                 rejection_basis = ?3, rejection_proposed_by = ?4, decided_by = ?5 WHERE id = ?6",
                params![today, reason, basis, actor.id, leader.id, c.id],
            )?;
            file_rejection(w, c.id, "denied", &reason, &basis, actor.id, leader.id)
        })
    }

    /// A clerk proposes 不予受理; it is not final until a leader approves.
    pub fn propose_rejection(
        &self,
        actor: &Clerk,
        case_no: &str,
        reason: &str,
        legal_basis: &str,
    ) -> Result<CaseView> {
        self.propose_rejection_to(actor, case_no, reason, legal_basis, None)
    }

    /// 不予受理 proposed for the leader's approval; `competent_body` names
    /// the body to apply to when the matter is outside this office's powers.
    pub fn propose_rejection_to(
        &self,
        actor: &Clerk,
        case_no: &str,
        reason: &str,
        legal_basis: &str,
        competent_body: Option<&str>,
    ) -> Result<CaseView> {
        let reason = text("reason", reason, 1000, "不予受理理由")?;
        let basis = text("legal_basis", legal_basis, 500, "法律依据")?;
        let competent = competent_body
            .filter(|b| !b.trim().is_empty())
            .map(|b| text("competent_body", b, 100, "有权受理的机关"))
            .transpose()?;
        let (c, to) = self.guard(case_no, Action::ProposeRejection)?;
        let payload = json!({"reason": reason, "legal_basis": basis, "competent_body": competent});
        self.transition(actor, &c, Action::ProposeRejection, to, payload, |w| {
            w.execute(
                "UPDATE cases SET rejection_reason = ?1, rejection_basis = ?2, rejection_proposed_by = ?3,
                 rejection_competent_body = ?4 WHERE id = ?5",
                params![reason, basis, actor.id, competent, c.id],
            )?;
            Ok(())
        })
    }

    /// Checks that the approver is a leader, authenticated with their own
    /// password, and not the clerk who proposed the decision.
    fn approving_leader(&self, proposer: &Clerk, staff_no: &str, password: &str) -> Result<Clerk> {
        let leader = self.authenticate(staff_no, password, Purpose::Approval)?;
        leader.require(Role::Leader, "approve_rejection")?;
        if leader.id == proposer.id {
            return Err(Error::rule(
                "self_approval",
                "the proposer may not approve their own rejection",
                "提出不予受理（不予许可）的人员不能自行审批，请由其他领导审批",
            ));
        }
        Ok(leader)
    }

    /// The leader approves a proposed rejection with their own credentials;
    /// the case becomes 不予受理 and is entered in the 否定备案 register.
    pub fn approve_rejection(
        &self,
        case_no: &str,
        leader_staff_no: &str,
        leader_password: &str,
    ) -> Result<CaseView> {
        let (c, to) = self.guard(case_no, Action::ApproveRejection)?;
        let proposer_id: i64 = self.conn.query_row(
            "SELECT rejection_proposed_by FROM cases WHERE id = ?1",
            [c.id],
            |r| r.get(0),
        )?;
        let proposer = self.clerk_by_id(proposer_id)?;
        let leader = self.approving_leader(&proposer, leader_staff_no, leader_password)?;
        let reason = c.rejection_reason.clone().unwrap_or_default();
        let basis = c.rejection_basis.clone().unwrap_or_default();
        let today = self.clock.today();
        let payload = json!({"reason": reason, "legal_basis": basis, "proposed_by": proposer.staff_no,
                             "approved_by": leader.staff_no, "decided_on": today});
        self.transition(&leader, &c, Action::ApproveRejection, to, payload, |w| {
            w.execute(
                "UPDATE cases SET decided_by = ?1, completed_on = ?2, result = 'not_accepted' WHERE id = ?3",
                params![leader.id, today, c.id],
            )?;
            file_rejection(w, c.id, "not_accepted", &reason, &basis, proposer.id, leader.id)
        })
    }

    /// The leader returns a proposed rejection; the case is open again.
    pub fn return_rejection(
        &self,
        case_no: &str,
        leader_staff_no: &str,
        leader_password: &str,
        note: &str,
    ) -> Result<CaseView> {
        let note = text("note", note, 500, "退回意见")?;
        let (c, to) = self.guard(case_no, Action::ReturnRejection)?;
        let leader = self.authenticate(leader_staff_no, leader_password, Purpose::Approval)?;
        leader.require(Role::Leader, "return_rejection")?;
        self.transition(
            &leader,
            &c,
            Action::ReturnRejection,
            to,
            json!({"note": note}),
            |w| {
                w.execute(
                    "UPDATE cases SET rejection_reason = NULL, rejection_basis = NULL,
                 rejection_proposed_by = NULL WHERE id = ?1",
                    [c.id],
                )?;
                Ok(())
            },
        )
    }

    /// The applicant withdraws the application (撤回申请).
    pub fn withdraw(&self, actor: &Clerk, case_no: &str, reason: &str) -> Result<CaseView> {
        let reason = text("reason", reason, 500, "撤回原因")?;
        self.close(
            actor,
            case_no,
            Action::Withdraw,
            "withdrawn",
            json!({"reason": reason}),
        )
    }

    /// Cases in a state (newest first), for queues such as the leader's
    /// (any logged-in clerk; the window masks the ID numbers).
    pub fn cases_in_state(
        &self,
        _actor: &Clerk,
        state: CaseState,
        limit: usize,
    ) -> Result<Vec<CaseView>> {
        let mut stmt = self
            .conn
            .prepare("SELECT case_no FROM cases WHERE state = ?1 ORDER BY id DESC LIMIT ?2")?;
        let nos = stmt
            .query_map(params![state.as_str(), limit as i64], |r| {
                r.get::<_, String>(0)
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        nos.iter().map(|n| self.case(n)).collect()
    }
}

fn materials_json(m: &BTreeMap<String, MaterialStatus>) -> Value {
    json!(
        m.iter()
            .map(|(k, v)| (k.clone(), v.as_str()))
            .collect::<BTreeMap<_, _>>()
    )
}

fn write_materials(
    w: &Write<'_>,
    case_id: i64,
    m: &BTreeMap<String, MaterialStatus>,
) -> Result<()> {
    for (code, status) in m {
        w.execute(
            "INSERT INTO case_materials (case_id, material_code, status) VALUES (?1, ?2, ?3)
             ON CONFLICT(case_id, material_code) DO UPDATE SET status = excluded.status",
            params![case_id, code, status.as_str()],
        )?;
    }
    Ok(())
}

fn upsert_applicant(w: &Write<'_>, a: &ValidApplicant) -> Result<i64> {
    Ok(w.query_row(
        "INSERT INTO applicants (kind, name, id_type, id_no, phone, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(id_type, id_no) DO UPDATE SET name = excluded.name,
             phone = CASE WHEN excluded.phone = '' THEN phone ELSE excluded.phone END
         RETURNING id",
        params![a.kind, a.name, a.id_type, a.id_no, a.phone, w.now],
        |r| r.get(0),
    )?)
}

fn file_rejection(
    w: &Write<'_>,
    case_id: i64,
    decision: &str,
    reason: &str,
    basis: &str,
    proposed_by: i64,
    approved_by: i64,
) -> Result<()> {
    w.execute(
        "INSERT INTO rejection_filings (case_id, decision, reason, legal_basis, proposed_by, approved_by, approved_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![case_id, decision, reason, basis, proposed_by, approved_by, w.now],
    )?;
    Ok(())
}
