//! The deadline board's terms (限时办结): kinds of deadline, urgency and
//! its classification. Pure: the board is read by `ops::deadlines`.

use chrono::NaiveDate;
use serde::Serialize;

use crate::calendar::{CalDate, Calendar, DayUnit};
use crate::case::CaseView;
use crate::catalog::{ServiceItem, SupplementRule};
use crate::error::Result;
use crate::lifecycle::CaseState;

/// The last day of the acceptance review of a case of `item` received on
/// `received_on`: within it the applicant is told at once everything missing.
/// The period and its unit are the item's (行政许可法 §32: 5 working days;
/// 工伤认定办法 §8: 15日; 劳动人事争议仲裁办案规则 §29: 5日).
pub fn onetime_notice_due(
    cal: &Calendar,
    item: &ServiceItem,
    received_on: NaiveDate,
) -> Result<CalDate> {
    cal.add_days(received_on, item.acceptance_days, item.acceptance_unit)
}

/// Promised (承诺) and statutory (法定) due dates of `item` accepted on
/// `from`, each in its own unit; a promise never ends after the law's date.
pub fn due_dates(
    cal: &Calendar,
    item: &ServiceItem,
    from: NaiveDate,
) -> Result<(CalDate, CalDate)> {
    let statutory = cal.add_days(from, item.statutory_days, item.statutory_unit)?;
    let mut promised = cal.add_days(from, item.promised_days, item.promised_unit)?;
    if promised.date > statutory.date {
        promised = statutory;
    }
    Ok((promised, statutory))
}

/// The 容缺 supplement deadline: the item's rule, never beyond the promised
/// time limit.
pub fn supplement_due(
    cal: &Calendar,
    item: &ServiceItem,
    rule: &SupplementRule,
    from: NaiveDate,
) -> Result<CalDate> {
    let due = cal.add_working_days(from, rule.days)?;
    let (promised, _) = due_dates(cal, item, from)?;
    Ok(if due.date > promised.date {
        promised
    } else {
        due
    })
}

/// A late supplement: the working days late, and the promised due date moved
/// by them but never past the statutory one (the applicant's delay does not
/// count against the office).
pub fn after_late_supplement(
    cal: &Calendar,
    c: &CaseView,
    today: NaiveDate,
) -> Result<(i64, Option<NaiveDate>)> {
    let due = c.supplement_due.unwrap_or(today);
    let late = cal.working_days_between(due, today).0.max(0);
    let mut promised_due = c.promised_due;
    if late > 0
        && let (Some(p), Some(s)) = (c.promised_due, c.statutory_due)
    {
        let moved = cal.add_working_days(p, late as u32)?.date;
        promised_due = Some(moved.min(s));
    }
    Ok((late, promised_due))
}

/// A deadline this many working days away or fewer is "at risk" unless the
/// station's setting `deadline.at_risk_days` says otherwise.
pub const DEFAULT_AT_RISK_DAYS: i64 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// 行政许可法 §32: tell the applicant what is missing within 5 working days.
    OneTimeNotice,
    /// 容缺 materials to be supplied.
    Supplement,
    Promised,
    Statutory,
}

impl DeadlineKind {
    /// The unit the item counts this deadline in (容缺 supplements: working days).
    pub fn unit(self, item: &ServiceItem) -> DayUnit {
        match self {
            DeadlineKind::OneTimeNotice => item.acceptance_unit,
            DeadlineKind::Supplement => DayUnit::WorkingDays,
            DeadlineKind::Promised => item.promised_unit,
            DeadlineKind::Statutory => item.statutory_unit,
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            DeadlineKind::OneTimeNotice => "受理审查（一次性告知）期限",
            DeadlineKind::Supplement => "容缺补齐期限",
            DeadlineKind::Promised => "承诺办结期限",
            DeadlineKind::Statutory => "法定办结期限",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Overdue,
    DueToday,
    AtRisk,
    OnTrack,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeadlineRow {
    pub case_no: String,
    pub item_name: String,
    pub applicant: String,
    pub state: CaseState,
    pub kind: DeadlineKind,
    pub kind_zh: &'static str,
    pub due: NaiveDate,
    pub provisional: bool,
    /// Working days from today to the due date (negative when overdue).
    pub working_days_left: i64,
    /// The unit of the period this deadline ends (the item's).
    pub unit: DayUnit,
    pub unit_zh: &'static str,
    /// Days left in that unit (negative when overdue).
    pub days_left: i64,
    pub urgency: Urgency,
    pub urgency_zh: &'static str,
    /// The recorded consequence of a lapsed acceptance review (视为受理 …).
    pub note_zh: Option<&'static str>,
    /// 挂牌督办: the county's request, when the case is flagged.
    pub supervision_note: Option<String>,
}
pub const ALL_URGENCIES: [Urgency; 4] = [
    Urgency::Overdue,
    Urgency::DueToday,
    Urgency::AtRisk,
    Urgency::OnTrack,
];

pub const ALL_DEADLINE_KINDS: [DeadlineKind; 4] = [
    DeadlineKind::OneTimeNotice,
    DeadlineKind::Supplement,
    DeadlineKind::Promised,
    DeadlineKind::Statutory,
];

impl Urgency {
    pub fn label_zh(self) -> &'static str {
        match self {
            Urgency::Overdue => "已超期",
            Urgency::DueToday => "今日到期",
            Urgency::AtRisk => "即将到期",
            Urgency::OnTrack => "正常",
        }
    }

    /// How urgent a deadline `due` is on `today`, `left` working days away.
    pub fn classify(due: NaiveDate, today: NaiveDate, left: i64, at_risk_days: i64) -> Urgency {
        if due < today {
            Urgency::Overdue
        } else if due == today {
            Urgency::DueToday
        } else if left <= at_risk_days {
            Urgency::AtRisk
        } else {
            Urgency::OnTrack
        }
    }
}

/// The dates a case carries, with whether each is provisional.
pub struct CaseDates {
    pub onetime_notice: NaiveDate,
    pub supplement: Option<NaiveDate>,
    pub promised: Option<(NaiveDate, bool)>,
    pub statutory: Option<(NaiveDate, bool)>,
}

/// The deadlines that run for a case in `state`: the acceptance review until
/// a decision, the 容缺 supplement while it is awaited, the promised and
/// statutory limits once accepted.
pub fn deadlines_in(state: CaseState, d: &CaseDates) -> Vec<(DeadlineKind, NaiveDate, bool)> {
    let mut due = Vec::new();
    match state {
        CaseState::Registered | CaseState::RejectionPendingApproval => {
            due.push((DeadlineKind::OneTimeNotice, d.onetime_notice, false));
        }
        CaseState::AcceptedWithCommitment => {
            if let Some(s) = d.supplement {
                due.push((DeadlineKind::Supplement, s, false));
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
        if let Some((p, prov)) = d.promised {
            due.push((DeadlineKind::Promised, p, prov));
        }
        if let Some((s, prov)) = d.statutory {
            due.push((DeadlineKind::Statutory, s, prov));
        }
    }
    due
}
