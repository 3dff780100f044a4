//! The deadline board's terms (限时办结): kinds of deadline, urgency and
//! its classification. Pure: the board is read by `ops::deadlines`.

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::lifecycle::CaseState;

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
