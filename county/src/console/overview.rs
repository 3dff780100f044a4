//! 总览: the county's figures per station and county-wide, today and this
//! month, from the projections' counts ([`StationFigures`]). Pure: the
//! storage counts, this module decides what is overdue, at risk, silent,
//! and how each rate stands against its target — by the engine's own
//! rules, linked, not restated: the 好差评 rates and targets
//! (`evaluation::rates`), the working-day calendar and a deadline's
//! urgency (`deadline::Urgency::classify`, with the station's
//! `deadline.at_risk_days`). The acceptance-review deadline of a case
//! still being registered is not in its events, so the county cannot count it.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use yichuang_domain::calendar::Calendar;
use yichuang_domain::deadline::{DEFAULT_AT_RISK_DAYS, Urgency};
use yichuang_domain::evaluation::{RateBasis, Rates, rates};

use super::export::{Cell, Sheet};
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

/// A station is "not heard from" after this long without an upload.
pub const SILENT_AFTER_MS: i64 = 24 * 3_600_000;

/// A period's counts with the rates the engine takes from them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodFigures {
    #[serde(flatten)]
    pub counts: PeriodCounts,
    #[serde(flatten)]
    pub rates: Rates,
}

impl PeriodFigures {
    pub fn from_counts(c: &PeriodCounts) -> PeriodFigures {
        PeriodFigures {
            counts: *c,
            rates: rates(&RateBasis {
                cases: c.cases,
                evaluated: c.evaluated,
                requested: c.requested,
                answered: c.answered,
                defaulted: c.defaulted,
                unanswered: c.unanswered,
                good: c.good,
            }),
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
    pub app_version: Option<String>,
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

/// The 总览's tables for `.xlsx`: each station's row as the page shows it.
pub fn sheets(o: &Overview) -> Vec<Sheet> {
    let mut s = Sheet::new(
        format!("总览 {}", o.date),
        &[
            ("站点代码", 10.0),
            ("站点名称", 18.0),
            ("今日办件", 9.0),
            ("本月办件", 9.0),
            ("超期", 7.0),
            ("临期", 7.0),
            ("本月否定备案", 12.0),
            ("本月评价率", 10.0),
            ("本月默认评价率", 14.0),
            ("本月好评率", 10.0),
            ("最近联系", 22.0),
            ("失联", 6.0),
            ("待投影", 8.0),
            ("隔离", 7.0),
            ("事项清单版本", 12.0),
            ("软件版本", 10.0),
        ],
    );
    for st in &o.stations {
        s.row(vec![
            st.station_code.as_str().into(),
            st.station_name.clone().into(),
            st.today.counts.cases.into(),
            st.month.counts.cases.into(),
            st.overdue.into(),
            st.at_risk.into(),
            st.month.counts.rejections.into(),
            Cell::Rate(st.month.rates.evaluation_rate),
            Cell::Rate(st.month.rates.default_rate),
            Cell::Rate(st.month.rates.good_rate),
            st.last_contact.clone().into(),
            (if st.silent { "是" } else { "否" }).into(),
            st.backlog.into(),
            st.quarantined.into(),
            st.catalog_version.clone().into(),
            st.app_version.clone().into(),
        ]);
    }
    let c = &o.county;
    s.row(vec![
        "全县".into(),
        format!("{} 个站点", c.stations).into(),
        c.today.counts.cases.into(),
        c.month.counts.cases.into(),
        c.overdue.into(),
        c.at_risk.into(),
        c.month.counts.rejections.into(),
        Cell::Rate(c.month.rates.evaluation_rate),
        Cell::Rate(c.month.rates.default_rate),
        Cell::Rate(c.month.rates.good_rate),
    ]);
    vec![s]
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
        let (mut overdue, mut at_risk) = (0, 0);
        for &(due, n) in &f.open_deadlines {
            let left = cal.working_days_between(date, due).0;
            match Urgency::classify(due, date, left, at_risk_days) {
                Urgency::Overdue => overdue += n,
                Urgency::DueToday | Urgency::AtRisk => at_risk += n,
                Urgency::OnTrack => {}
            }
        }
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
            app_version: f.app_version.clone(),
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
        let cal = Calendar::bundled().unwrap();
        let o = overview(d("2026-11-23"), now, &cal, &[f, silent]);
        let s1 = &o.stations[0];
        assert_eq!((s1.overdue, s1.at_risk), (2, 4));
        assert_eq!(s1.month.rates.evaluation_rate, Some(0.95));
        assert_eq!(s1.month.rates.targets[0].met, Some(true));
        assert!((s1.month.rates.default_rate.unwrap() - 4.0 / 19.0).abs() < 1e-9);
        assert_eq!(s1.month.rates.targets[1].met, Some(false), "21 % > 15 %");
        assert_eq!(s1.today.rates.evaluation_rate, None);
        assert_eq!(s1.today.rates.targets[0].met, None, "nothing to measure");
        assert!(!s1.silent);
        assert_eq!(o.stations[1].at_risk, 1, "its own at-risk setting");
        assert_eq!(o.county.silent_stations, ["S2"]);
        assert_eq!((o.county.overdue, o.county.at_risk), (2, 5));
        assert_eq!(o.county.month.counts.rejections, 2);
        assert_eq!(o.month_start, d("2026-11-01"));
        assert_eq!(
            china_date(1_795_449_600_000 - 8 * 3_600_000),
            d("2026-11-23")
        );
    }
}
