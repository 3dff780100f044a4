//! The deadline board (限时办结): which open cases are due, at risk or overdue.

use chrono::NaiveDate;

use crate::domain::calendar::DayUnit;
use crate::domain::catalog::LapseConsequence;
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
        let flags: std::collections::BTreeMap<String, String> = self
            .supervision_flags()?
            .into_iter()
            .map(|f| (f.case_no, f.note))
            .collect();
        let mut stmt = self.conn.prepare(
            "SELECT case_no, item_name, applicant_name, state, onetime_notice_due, supplement_due,
                    promised_due, promised_provisional, statutory_due, statutory_provisional,
                    item_code, catalog_version, review_lapse
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
            let (promised_provisional, statutory_provisional): (bool, bool) =
                (r.get(7)?, r.get(9)?);
            let due = deadlines_in(
                state,
                &CaseDates {
                    onetime_notice: onetime,
                    supplement,
                    promised: promised.map(|d| (d, promised_provisional)),
                    statutory: statutory.map(|d| (d, statutory_provisional)),
                },
            );
            let item_code: String = r.get(10)?;
            let version: String = r.get(11)?;
            // A case whose catalog version cannot be read still shows its dates
            // (counted as working days).
            let catalog = self.catalog_version(&version).ok();
            let item = catalog.as_deref().and_then(|c| c.item(&item_code));
            let note_zh = r
                .get::<_, Option<String>>(12)?
                .and_then(|s| LapseConsequence::parse(&s))
                .map(LapseConsequence::label_zh);
            for (kind, date, stored_provisional) in due {
                let (left, prov) = self.calendar().working_days_between(today, date);
                let unit = item.map_or(DayUnit::WorkingDays, |i| kind.unit(i));
                let days_left = match unit {
                    DayUnit::WorkingDays => left,
                    DayUnit::CalendarDays => (date - today).num_days(),
                };
                let urgency = Urgency::classify(date, today, left, at_risk_days);
                let case_no: String = r.get(0)?;
                rows.push(DeadlineRow {
                    supervision_note: flags.get(&case_no).cloned(),
                    case_no,
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
                    unit,
                    unit_zh: unit.label_zh(),
                    days_left,
                    urgency,
                    urgency_zh: urgency.label_zh(),
                    note_zh,
                });
            }
        }
        // Flagged cases first at equal urgency: the county is waiting on them.
        rows.sort_by_key(|r| (r.urgency, r.supervision_note.is_none(), r.due));
        Ok(rows)
    }
}
