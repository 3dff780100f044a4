//! 总览: the county's figures per station and county-wide, today and this
//! month, from the projections' counts ([`StationFigures`]). Pure: the
//! storage counts, this module decides what is overdue, at risk, silent,
//! and how each rate stands against its target.
//!
//! The rules restated here are the station's (the county cannot link the
//! engine): 好差评 rates over the cases received in the period, with the
//! targets evaluation rate ≥ 90 % and default rate ≤ 15 %
//! (`crates/engine/src/domain/evaluation.rs` `TARGETS`); a deadline is
//! overdue before its day and at risk from its day until it is more than
//! the station's `deadline.at_risk_days` working days away (default 2,
//! `domain/deadline.rs`); which deadlines run in which state
//! (`deadlines_in`). The acceptance-review deadline of a case still being
//! registered is not in its events, so the county cannot count it.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::calendar::Calendar;
use crate::storage::{PeriodCounts, StationFigures};

/// States in which the promised and statutory limits run.
pub const DEADLINE_STATES: [&str; 4] = [
    "accepted",
    "accepted_with_commitment",
    "supplement_overdue",
    "in_progress",
];
/// States in which the 容缺 supplement deadline runs as well.
pub const SUPPLEMENT_STATES: [&str; 1] = ["accepted_with_commitment"];

/// The station's default of `deadline.at_risk_days`.
pub const DEFAULT_AT_RISK_DAYS: i64 = 2;

/// A station is "not heard from" after this long without an upload.
pub const SILENT_AFTER_MS: i64 = 24 * 3_600_000;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TargetCheck {
    pub figure: &'static str,
    pub label_zh: &'static str,
    /// `at_least` or `at_most`.
    pub bound: &'static str,
    pub value: f64,
    /// `None` while there is nothing to measure.
    pub met: Option<bool>,
}

/// The 好差评 targets (the station's `TARGETS`).
pub const TARGETS: [(&str, &str, &str, f64); 2] = [
    ("evaluation_rate", "评价率", "at_least", 0.9),
    ("default_rate", "默认评价率", "at_most", 0.15),
];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodFigures {
    pub cases: i64,
    pub rejections: i64,
    pub evaluated: i64,
    pub requested: i64,
    pub answered: i64,
    pub defaulted: i64,
    pub unanswered: i64,
    pub good: i64,
    pub satisfied: i64,
    pub basically_satisfied: i64,
    pub dissatisfied: i64,
    /// evaluated / cases (the station's rule: a request or a paper form).
    pub evaluation_rate: Option<f64>,
    /// (defaulted + unanswered) / requests.
    pub default_rate: Option<f64>,
    /// good / answered, "good" as the station's scale said.
    pub good_rate: Option<f64>,
    pub targets: Vec<TargetCheck>,
}

fn ratio(a: i64, b: i64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

impl PeriodFigures {
    pub fn from_counts(c: &PeriodCounts) -> PeriodFigures {
        let evaluation_rate = ratio(c.evaluated, c.cases);
        let default_rate = ratio(c.defaulted + c.unanswered, c.requested);
        let good_rate = ratio(c.good, c.answered);
        let targets = TARGETS
            .iter()
            .map(|&(figure, label_zh, bound, value)| {
                let rate = if figure == "evaluation_rate" {
                    evaluation_rate
                } else {
                    default_rate
                };
                TargetCheck {
                    figure,
                    label_zh,
                    bound,
                    value,
                    met: rate.map(|r| {
                        if bound == "at_least" {
                            r >= value
                        } else {
                            r <= value
                        }
                    }),
                }
            })
            .collect();
        PeriodFigures {
            cases: c.cases,
            rejections: c.rejections,
            evaluated: c.evaluated,
            requested: c.requested,
            answered: c.answered,
            defaulted: c.defaulted,
            unanswered: c.unanswered,
            good: c.good,
            satisfied: c.satisfied,
            basically_satisfied: c.basically_satisfied,
            dissatisfied: c.dissatisfied,
            evaluation_rate,
            default_rate,
            good_rate,
            targets,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StationOverview {
    pub station_code: String,
    pub station_name: Option<String>,
    pub today: PeriodFigures,
    pub month: PeriodFigures,
    /// Open cases whose earliest running deadline has passed.
    pub overdue: i64,
    /// Open cases whose earliest running deadline is today or within the
    /// station's at-risk working days.
    pub at_risk: i64,
    pub at_risk_days: i64,
    /// No upload for [`SILENT_AFTER_MS`] (or never).
    pub silent: bool,
    pub last_contact: Option<String>,
    pub devices: i64,
    pub revoked_devices: i64,
    pub backlog: i64,
    pub quarantined: i64,
    pub catalog_version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overview {
    pub date: NaiveDate,
    pub month_start: NaiveDate,
    pub stations: Vec<StationOverview>,
    pub county: CountyOverview,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountyOverview {
    pub today: PeriodFigures,
    pub month: PeriodFigures,
    pub overdue: i64,
    pub at_risk: i64,
    pub stations: usize,
    pub silent_stations: Vec<String>,
}

pub fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// The day a server clock's moment falls on in China (UTC+8, no DST).
pub fn china_date(ms: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(ms + 8 * 3_600_000)
        .map(|t| t.date_naive())
        .unwrap_or_default()
}

pub fn overview(
    date: NaiveDate,
    now_ms: i64,
    cal: &Calendar,
    figures: &[StationFigures],
) -> Overview {
    let mut stations = Vec::with_capacity(figures.len());
    let (mut today, mut month) = (PeriodCounts::default(), PeriodCounts::default());
    let (mut overdue_all, mut at_risk_all) = (0, 0);
    let mut silent_stations = Vec::new();
    for f in figures {
        let at_risk_days = f.at_risk_days.unwrap_or(DEFAULT_AT_RISK_DAYS).max(0);
        let cutoff = cal.last_within_working_days(date, at_risk_days);
        let overdue: i64 = f
            .open_deadlines
            .iter()
            .filter(|(d, _)| *d < date)
            .map(|(_, n)| n)
            .sum();
        let at_risk: i64 = f
            .open_deadlines
            .iter()
            .filter(|(d, _)| *d >= date && *d <= cutoff)
            .map(|(_, n)| n)
            .sum();
        let silent = f
            .last_contact_ms
            .is_none_or(|t| now_ms - t > SILENT_AFTER_MS);
        if silent {
            silent_stations.push(f.station_code.clone());
        }
        overdue_all += overdue;
        at_risk_all += at_risk;
        today += &f.today;
        month += &f.month;
        stations.push(StationOverview {
            station_code: f.station_code.clone(),
            station_name: f.station_name.clone(),
            today: PeriodFigures::from_counts(&f.today),
            month: PeriodFigures::from_counts(&f.month),
            overdue,
            at_risk,
            at_risk_days,
            silent,
            last_contact: f.last_contact.clone(),
            devices: f.devices,
            revoked_devices: f.revoked_devices,
            backlog: f.backlog,
            quarantined: f.quarantined,
            catalog_version: f.catalog_version.clone(),
        });
    }
    Overview {
        date,
        month_start: month_start(date),
        county: CountyOverview {
            today: PeriodFigures::from_counts(&today),
            month: PeriodFigures::from_counts(&month),
            overdue: overdue_all,
            at_risk: at_risk_all,
            stations: stations.len(),
            silent_stations,
        },
        stations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn rates_targets_deadlines_and_silence() {
        let now = 1_800_000_000_000;
        let f = StationFigures {
            station_code: "S1".into(),
            last_contact_ms: Some(now - 1000),
            month: PeriodCounts {
                cases: 20,
                evaluated: 19,
                requested: 19,
                answered: 15,
                defaulted: 3,
                unanswered: 1,
                good: 14,
                satisfied: 12,
                basically_satisfied: 2,
                dissatisfied: 1,
                rejections: 2,
            },
            open_deadlines: vec![
                (d("2026-11-20"), 2),
                (d("2026-11-23"), 1),
                (d("2026-11-25"), 3),
                (d("2026-11-26"), 5),
            ],
            ..Default::default()
        };
        let silent = StationFigures {
            station_code: "S2".into(),
            at_risk_days: Some(3),
            open_deadlines: vec![(d("2026-11-26"), 1)],
            ..Default::default()
        };
        let o = overview(d("2026-11-23"), now, Calendar::bundled(), &[f, silent]);
        let s1 = &o.stations[0];
        assert_eq!((s1.overdue, s1.at_risk), (2, 4));
        assert_eq!(s1.month.evaluation_rate, Some(0.95));
        assert_eq!(s1.month.targets[0].met, Some(true));
        assert!((s1.month.default_rate.unwrap() - 4.0 / 19.0).abs() < 1e-9);
        assert_eq!(s1.month.targets[1].met, Some(false), "21 % > 15 %");
        assert_eq!(s1.today.evaluation_rate, None);
        assert_eq!(s1.today.targets[0].met, None, "nothing to measure");
        assert!(!s1.silent);
        assert_eq!(o.stations[1].at_risk, 1, "its own at-risk setting");
        assert_eq!(o.county.silent_stations, ["S2"]);
        assert_eq!((o.county.overdue, o.county.at_risk), (2, 5));
        assert_eq!(o.county.month.rejections, 2);
        assert_eq!(o.month_start, d("2026-11-01"));
        assert_eq!(
            china_date(1_795_449_600_000 - 8 * 3_600_000),
            d("2026-11-23")
        );
    }
}
