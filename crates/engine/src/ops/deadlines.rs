//! The deadline board (限时办结): which open cases are due, at risk or overdue.

use chrono::NaiveDate;

use crate::domain::deadline::*;
use crate::domain::ids;
use crate::domain::lifecycle::CaseState;
use crate::engine::Engine;
use crate::error::Result;

impl Engine {
    /// Every deadline of every open case, most urgent first. `at_risk_days`:
    /// a deadline this many working days away or fewer is "at risk".
    pub fn deadlines(&self, at_risk_days: i64) -> Result<Vec<DeadlineRow>> {
        let today = self.clock.today();
        let mut stmt = self.conn.prepare(
            "SELECT case_no, item_name, applicant_name, state, onetime_notice_due, supplement_due,
                    promised_due, promised_provisional, statutory_due, statutory_provisional
             FROM cases WHERE state NOT IN ('rejected', 'completed_approved', 'completed_denied',
                                            'terminated', 'withdrawn')",
        )?;
        let mut rows = Vec::new();
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            let state = CaseState::parse(&r.get::<_, String>(3)?)?;
            let onetime: NaiveDate = r.get(4)?;
            let supplement: Option<NaiveDate> = r.get(5)?;
            let promised: Option<NaiveDate> = r.get(6)?;
            let statutory: Option<NaiveDate> = r.get(8)?;
            let mut due: Vec<(DeadlineKind, NaiveDate, bool)> = Vec::new();
            match state {
                CaseState::Registered | CaseState::RejectionPendingApproval => {
                    due.push((DeadlineKind::OneTimeNotice, onetime, false));
                }
                CaseState::AcceptedWithCommitment => {
                    if let Some(d) = supplement {
                        due.push((DeadlineKind::Supplement, d, false));
                    }
                }
                _ => {}
            }
            if matches!(
                state,
                CaseState::Accepted
                    | CaseState::AcceptedWithCommitment
                    | CaseState::SupplementOverdue
                    | CaseState::InProgress
            ) {
                if let Some(d) = promised {
                    due.push((DeadlineKind::Promised, d, r.get(7)?));
                }
                if let Some(d) = statutory {
                    due.push((DeadlineKind::Statutory, d, r.get(9)?));
                }
            }
            for (kind, date, stored_provisional) in due {
                let (left, prov) = self.calendar().working_days_between(today, date);
                let urgency = Urgency::classify(date, today, left, at_risk_days);
                rows.push(DeadlineRow {
                    case_no: r.get(0)?,
                    item_name: r.get(1)?,
                    applicant: ids::mask_name(&r.get::<_, String>(2)?),
                    state,
                    kind,
                    kind_zh: kind.label_zh(),
                    due: date,
                    provisional: stored_provisional
                        || prov
                        || !self.calendar().has_year(chrono::Datelike::year(&date)),
                    working_days_left: left,
                    urgency,
                    urgency_zh: urgency.label_zh(),
                });
            }
        }
        rows.sort_by_key(|r| (r.urgency, r.due));
        Ok(rows)
    }
}
