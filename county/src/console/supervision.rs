//! 时限督办: the open cases across stations whose earliest running deadline
//! has passed, falls today or is at risk, and the cases under 挂牌督办 (a
//! flag the 行政审批室 raises; it travels to the station with its next sync
//! and shows on the station's deadline board). Pure: which deadlines run in
//! which state, and how urgent each is, are the engine's own rules
//! (`deadline::deadlines_in`, `Urgency::classify`, the working-day calendar
//! and each station's `deadline.at_risk_days`).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use yichuang_domain::calendar::{Calendar, DayUnit};
use yichuang_domain::catalog::Catalog;
use yichuang_domain::deadline::{
    CaseDates, DEFAULT_AT_RISK_DAYS, DeadlineKind, Urgency, deadlines_in,
};
use yichuang_domain::lifecycle::CaseState;

use super::export::{Cell, Sheet};
use super::rules::Refusal;
use crate::storage::{DeadlineFacts, FlagRecord, OpenCase};

/// What the county asks of the station, bounded.
pub const NOTE_MAX: usize = 200;

/// The note of a new flag (督办要求) or of lifting one, checked.
pub fn check_note(field: &'static str, note: &str, required: bool) -> Result<String, Refusal> {
    let note = note.trim();
    if required && note.is_empty() {
        return Err(Refusal::invalid(
            field,
            "请填写督办要求（例如：请于三个工作日内办结并报告）",
        ));
    }
    if note.chars().count() > NOTE_MAX || note.contains(['\n', '\r']) {
        return Err(Refusal::invalid(
            field,
            format!("督办说明为一行文字，不超过 {NOTE_MAX} 字"),
        ));
    }
    Ok(note.to_owned())
}

/// A case number as stations write it: `<station>-<yyyymmdd>-<nnnn>`; the
/// station is the case number's own prefix.
pub fn station_of_case(case_no: &str) -> Result<&str, Refusal> {
    let bad = || Refusal::invalid("case_no", "办件编号格式不正确（例如 XZ02-20261123-0001）");
    let mut parts = case_no.rsplitn(3, '-');
    let (n, day, station) = (parts.next(), parts.next(), parts.next());
    match (n, day, station) {
        (Some(n), Some(day), Some(station))
            if n.len() == 4
                && n.bytes().all(|b| b.is_ascii_digit())
                && day.len() == 8
                && day.bytes().all(|b| b.is_ascii_digit())
                && !station.is_empty()
                && station.len() <= 32
                && station.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            Ok(station)
        }
        _ => Err(bad()),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupervisionPage {
    pub date: NaiveDate,
    pub rows: Vec<DeadlineLine>,
    /// Rows matching the filters (all pages).
    pub total: usize,
    pub page: usize,
    pub size: usize,
    pub overdue: usize,
    pub due_today: usize,
    pub at_risk: usize,
    pub flagged: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadlineLine {
    pub station_code: String,
    pub station_name: Option<String>,
    pub case_no: String,
    pub state: String,
    pub state_zh: &'static str,
    pub item_code: Option<String>,
    pub item_name: Option<String>,
    pub handler: Option<String>,
    pub applicant_masked: Option<String>,
    pub received_on: Option<NaiveDate>,
    /// The earliest running deadline (none for a flagged case that no
    /// longer runs one).
    pub kind: Option<DeadlineKind>,
    pub kind_zh: Option<&'static str>,
    pub due: Option<NaiveDate>,
    pub working_days_left: Option<i64>,
    /// The unit the item counts this deadline in, and the days left in it.
    pub unit_zh: Option<&'static str>,
    pub days_left: Option<i64>,
    pub urgency: Option<Urgency>,
    pub urgency_zh: Option<&'static str>,
    pub flag: Option<FlagRecord>,
}

/// The filters of the page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub station: Option<String>,
    /// `overdue`, `due_today`, `at_risk`, `flagged`.
    pub show: Option<String>,
}

pub fn check_show(v: Option<&str>) -> Result<Option<String>, Refusal> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s @ ("overdue" | "due_today" | "at_risk" | "flagged")) => Ok(Some(s.to_owned())),
        Some(_) => Err(Refusal::invalid(
            "show",
            "筛选应为“超期”“今日到期”“临期”或“挂牌督办”",
        )),
    }
}

/// The largest at-risk setting of any station: cases due on or after the
/// returned day are on track everywhere (the storage reads only earlier).
pub fn cutoff(
    cal: &Calendar,
    today: NaiveDate,
    facts_at_risk: &BTreeMap<String, i64>,
) -> NaiveDate {
    let most = facts_at_risk
        .values()
        .copied()
        .chain([DEFAULT_AT_RISK_DAYS])
        .max()
        .unwrap_or(DEFAULT_AT_RISK_DAYS)
        .clamp(0, 60);
    cal.add_working_days(today, most as u32 + 1)
        .map(|d| d.date)
        // Past the calendar's years: a generous bound in calendar days.
        .unwrap_or_else(|_| today + chrono::Duration::days(most * 3 + 30))
}

#[allow(clippy::too_many_arguments)]
pub fn page(
    today: NaiveDate,
    cal: &Calendar,
    facts: DeadlineFacts,
    flags: Vec<FlagRecord>,
    catalog: Option<&Catalog>,
    filters: &Filters,
    page: usize,
    size: usize,
) -> SupervisionPage {
    let mut flag_of: BTreeMap<(String, String), FlagRecord> = flags
        .into_iter()
        .map(|f| ((f.station_code.clone(), f.case_no.clone()), f))
        .collect();
    let mut lines: Vec<DeadlineLine> = Vec::new();
    for c in facts.cases {
        let at_risk = facts
            .at_risk_days
            .get(&c.station_code)
            .copied()
            .unwrap_or(DEFAULT_AT_RISK_DAYS)
            .max(0);
        let flag = flag_of.remove(&(c.station_code.clone(), c.case_no.clone()));
        let item = c
            .item_code
            .as_deref()
            .and_then(|i| catalog.and_then(|k| k.item(i)));
        let earliest = earliest_deadline(&c, cal, today, at_risk);
        let unit = earliest.map(|e| item.map_or(DayUnit::WorkingDays, |i| e.0.unit(i)));
        let urgent = earliest
            .as_ref()
            .is_some_and(|(_, _, _, u)| *u != Urgency::OnTrack);
        if !urgent && flag.is_none() {
            continue;
        }
        let state = CaseState::parse(&c.state).ok();
        lines.push(DeadlineLine {
            station_name: facts.station_names.get(&c.station_code).cloned(),
            item_name: item.map(|i| i.name.clone()),
            unit_zh: unit.map(DayUnit::label_zh),
            days_left: earliest.zip(unit).map(|(e, u)| match u {
                DayUnit::WorkingDays => e.2,
                DayUnit::CalendarDays => (e.1 - today).num_days(),
            }),
            state_zh: state.map_or("其他", CaseState::label_zh),
            kind: earliest.map(|e| e.0),
            kind_zh: earliest.map(|e| e.0.label_zh()),
            due: earliest.map(|e| e.1),
            working_days_left: earliest.map(|e| e.2),
            urgency: earliest.map(|e| e.3),
            urgency_zh: earliest.map(|e| e.3.label_zh()),
            flag,
            station_code: c.station_code,
            case_no: c.case_no,
            state: c.state,
            item_code: c.item_code,
            handler: c.handler,
            applicant_masked: c.applicant_masked,
            received_on: c.received_on,
        });
    }
    // Flags of cases the county does not know (yet): still listed.
    for ((station, case_no), f) in flag_of {
        lines.push(DeadlineLine {
            station_name: facts.station_names.get(&station).cloned(),
            station_code: station,
            case_no,
            state: String::new(),
            state_zh: "—",
            item_code: None,
            item_name: None,
            handler: None,
            applicant_masked: None,
            received_on: None,
            kind: None,
            kind_zh: None,
            due: None,
            working_days_left: None,
            unit_zh: None,
            days_left: None,
            urgency: None,
            urgency_zh: None,
            flag: Some(f),
        });
    }
    let count = |u: Urgency| lines.iter().filter(|l| l.urgency == Some(u)).count();
    let (overdue, due_today, at_risk) = (
        count(Urgency::Overdue),
        count(Urgency::DueToday),
        count(Urgency::AtRisk),
    );
    let flagged = lines.iter().filter(|l| l.flag.is_some()).count();
    lines.retain(|l| {
        filters
            .station
            .as_deref()
            .is_none_or(|s| l.station_code == s)
            && match filters.show.as_deref() {
                Some("overdue") => l.urgency == Some(Urgency::Overdue),
                Some("due_today") => l.urgency == Some(Urgency::DueToday),
                Some("at_risk") => l.urgency == Some(Urgency::AtRisk),
                Some("flagged") => l.flag.is_some(),
                _ => true,
            }
    });
    // Most urgent first; flagged before unflagged at equal urgency.
    lines.sort_by(|a, b| {
        let key = |l: &DeadlineLine| {
            (
                l.urgency.unwrap_or(Urgency::OnTrack),
                l.flag.is_none(),
                l.due,
            )
        };
        key(a).cmp(&key(b)).then_with(|| a.case_no.cmp(&b.case_no))
    });
    let total = lines.len();
    let rows = lines
        .into_iter()
        .skip(page.saturating_sub(1) * size)
        .take(size)
        .collect();
    SupervisionPage {
        date: today,
        rows,
        total,
        page,
        size,
        overdue,
        due_today,
        at_risk,
        flagged,
    }
}

/// The case's earliest running deadline: kind, day, working days left, urgency.
fn earliest_deadline(
    c: &OpenCase,
    cal: &Calendar,
    today: NaiveDate,
    at_risk_days: i64,
) -> Option<(DeadlineKind, NaiveDate, i64, Urgency)> {
    let state = CaseState::parse(&c.state).ok()?;
    let dates = CaseDates {
        onetime_notice: c.received_on?,
        supplement: c.supplement_due,
        promised: c.promised_due.map(|d| (d, false)),
        statutory: c.statutory_due.map(|d| (d, false)),
    };
    deadlines_in(state, &dates)
        .into_iter()
        // The acceptance review's day is not in the county's older events.
        .filter(|(k, _, _)| *k != DeadlineKind::OneTimeNotice)
        .min_by_key(|(_, d, _)| *d)
        .map(|(k, d, _)| {
            let (left, _) = cal.working_days_between(today, d);
            (k, d, left, Urgency::classify(d, today, left, at_risk_days))
        })
}

/// The page's table for `.xlsx` (the filtered rows, every page).
pub fn sheets(p: &SupervisionPage) -> Vec<Sheet> {
    let mut s = Sheet::new(
        format!("时限督办 {}", p.date),
        &[
            ("站点", 18.0),
            ("办件编号", 22.0),
            ("事项", 18.0),
            ("申请人", 10.0),
            ("首办", 8.0),
            ("状态", 12.0),
            ("时限", 12.0),
            ("到期日", 11.0),
            ("剩余", 10.0),
            ("预警", 8.0),
            ("挂牌督办", 30.0),
            ("督办时间", 20.0),
            ("站点收到", 22.0),
        ],
    );
    for l in &p.rows {
        s.row(vec![
            l.station_name
                .clone()
                .unwrap_or_else(|| l.station_code.clone())
                .into(),
            l.case_no.as_str().into(),
            l.item_name.clone().or_else(|| l.item_code.clone()).into(),
            l.applicant_masked.clone().into(),
            l.handler.clone().into(),
            l.state_zh.into(),
            l.kind_zh.into(),
            l.due.into(),
            l.days_left
                .zip(l.unit_zh)
                .map_or(Cell::Empty, |(n, u)| Cell::Text(format!("{n}{u}"))),
            l.urgency_zh.into(),
            l.flag.as_ref().map(|f| f.note.clone()).into(),
            l.flag.as_ref().map(|f| f.flagged_at.clone()).into(),
            l.flag.as_ref().and_then(|f| f.received_at.clone()).into(),
        ]);
    }
    vec![s]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(no: &str, state: &str, promised: &str) -> OpenCase {
        OpenCase {
            station_code: "XZ02".into(),
            case_no: no.into(),
            state: state.into(),
            item_code: Some("gs".into()),
            handler: Some("2001".into()),
            applicant_masked: Some("赵*试".into()),
            received_on: NaiveDate::from_ymd_opt(2026, 11, 2),
            promised_due: NaiveDate::parse_from_str(promised, "%Y-%m-%d").ok(),
            statutory_due: NaiveDate::from_ymd_opt(2026, 12, 30),
            supplement_due: None,
        }
    }

    #[test]
    fn case_numbers_name_their_station() {
        assert_eq!(station_of_case("XZ02-20261123-0001"), Ok("XZ02"));
        for bad in [
            "XZ02-1-1",
            "-20261123-0001",
            "XZ-02-20261123-0001",
            "XZ02-2026112-0001",
            "",
        ] {
            assert!(station_of_case(bad).is_err(), "{bad}");
        }
        assert!(check_note("note", "", true).is_err());
        assert!(check_note("note", "", false).is_ok());
        assert!(check_note("note", "一\n二", true).is_err());
        assert!(check_note("note", &"字".repeat(NOTE_MAX + 1), true).is_err());
    }

    #[test]
    fn urgent_and_flagged_cases_are_listed_most_urgent_first() {
        let cal = Calendar::bundled().expect("calendar");
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let facts = DeadlineFacts {
            cases: vec![
                case("XZ02-20261102-0001", "accepted", "2026-11-20"),
                case("XZ02-20261102-0002", "in_progress", "2026-11-24"),
                case("XZ02-20261102-0003", "accepted", "2026-12-20"),
                case("XZ02-20261102-0004", "accepted", "2026-12-21"),
                case("XZ02-20261102-0005", "accepted", "2026-11-23"),
            ],
            at_risk_days: BTreeMap::new(),
            station_names: BTreeMap::new(),
        };
        let flag = FlagRecord {
            id: 1,
            station_code: "XZ02".into(),
            case_no: "XZ02-20261102-0004".into(),
            note: "请办结".into(),
            flagged_by: "钱".into(),
            flagged_at: "t".into(),
            flagged_at_ms: 1,
            received_at: None,
        };
        let p = page(
            today,
            &cal,
            facts,
            vec![flag],
            None,
            &Filters::default(),
            1,
            50,
        );
        let order: Vec<&str> = p.rows.iter().map(|r| &r.case_no[14..]).collect();
        // Overdue, due today, at risk, then the flagged case on track; the
        // unflagged case on track is not listed.
        assert_eq!(order, ["0001", "0005", "0002", "0004"]);
        assert_eq!((p.overdue, p.due_today, p.at_risk, p.flagged), (1, 1, 1, 1));
        assert_eq!(p.rows[0].kind, Some(DeadlineKind::Promised));
        let only = Filters {
            station: None,
            show: Some("flagged".into()),
        };
        let facts = DeadlineFacts {
            cases: vec![case("XZ02-20261102-0001", "accepted", "2026-11-20")],
            ..Default::default()
        };
        let p = page(today, &cal, facts, vec![], None, &only, 1, 50);
        assert_eq!((p.total, p.overdue), (0, 1));
        assert!(cutoff(&cal, today, &BTreeMap::new()) > today);
        assert!(check_show(Some("everything")).is_err());
    }
}
