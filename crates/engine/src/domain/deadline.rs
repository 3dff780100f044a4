//! The deadline board's terms (限时办结): kinds of deadline, urgency and
//! its classification. Pure: the board is read by `ops::deadlines`.

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::calendar::{CalDate, Calendar};
use crate::domain::case::CaseView;
use crate::domain::catalog::{ServiceItem, SupplementRule};
use crate::domain::lifecycle::CaseState;
use crate::error::Result;

/// Working days after receipt within which the applicant is told, at once,
/// everything missing (行政许可法 §32(1)(4)).
///
/// Known deviation, tracked: the catalog's per-item `acceptance_days` (e.g.
/// 工伤认定办法 §8: 15日) is not used yet, and periods outside 行政许可 are
/// calendar days (see docs/design/domain-rules.md R2, R3).
pub const ONE_TIME_NOTICE_WORKING_DAYS: u32 = 5;

/// The last day for the 一次性告知 of a case received on `received_on`.
pub fn onetime_notice_due(cal: &Calendar, received_on: NaiveDate) -> Result<CalDate> {
    cal.add_working_days(received_on, ONE_TIME_NOTICE_WORKING_DAYS)
}

/// Promised (承诺) and statutory (法定) due dates of `item` accepted on `from`.
pub fn due_dates(
    cal: &Calendar,
    item: &ServiceItem,
    from: NaiveDate,
) -> Result<(CalDate, CalDate)> {
    Ok((
        cal.add_working_days(from, item.promised_days)?,
        cal.add_working_days(from, item.statutory_days)?,
    ))
}

/// The 容缺 supplement deadline: the item's rule, never beyond the promised
/// time limit.
pub fn supplement_due(
    cal: &Calendar,
    item: &ServiceItem,
    rule: &SupplementRule,
    from: NaiveDate,
) -> Result<CalDate> {
    cal.add_working_days(from, rule.days.min(item.promised_days))
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
    pub urgency: Urgency,
    pub urgency_zh: &'static str,
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
