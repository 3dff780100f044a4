//! Working-day calendar (行政许可法 §82): weekends and public holidays are not
//! counted, 调休 make-up days are. Data, not code: one holiday-cn style JSON
//! document per year, shipped in `assets/calendar/` and replaceable by the county.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The years shipped with the program.
pub const BUNDLED_YEARS: [(i32, &str); 3] = [
    (2024, include_str!("../../../assets/calendar/2024.json")),
    (2025, include_str!("../../../assets/calendar/2025.json")),
    (2026, include_str!("../../../assets/calendar/2026.json")),
];

/// Upper bound on a deadline length; keeps a typo from looping for years.
pub const MAX_WORKING_DAYS: u32 = 3650;

#[derive(Debug, Deserialize)]
struct YearFile {
    year: i32,
    days: Vec<DayEntry>,
}

#[derive(Debug, Deserialize)]
struct DayEntry {
    name: String,
    date: NaiveDate,
    #[serde(rename = "isOffDay")]
    is_off_day: bool,
}

/// What the published schedule says about one date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayOverride {
    Holiday(String),
    MakeUpWorkday(String),
}

/// A computed date plus whether it rests on a year with no published data.
/// The unit of a period. 行政许可法 §82 counts that law's limits in working
/// days; other statutes' "日" are calendar days (工伤保险条例 §20/§25,
/// 劳动争议调解仲裁法 §29/§43). Local promises are usually working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayUnit {
    #[default]
    WorkingDays,
    CalendarDays,
}

impl DayUnit {
    /// How a notice writes the unit after the number: 60日, 20个工作日.
    pub fn label_zh(self) -> &'static str {
        match self {
            DayUnit::WorkingDays => "个工作日",
            DayUnit::CalendarDays => "日",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CalDate {
    pub date: NaiveDate,
    pub provisional: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Calendar {
    years: BTreeMap<i32, HashMap<NaiveDate, DayOverride>>,
}

/// Parses and checks one year's JSON; returns the year it covers.
pub fn parse_year(text: &str) -> Result<(i32, HashMap<NaiveDate, DayOverride>)> {
    let file: YearFile = serde_json::from_str(text)
        .map_err(|e| Error::Calendar(format!("cannot parse year file: {e}")))?;
    let mut days = HashMap::new();
    for d in file.days {
        let previous = file.year.checked_sub(1);
        if d.date.year() != file.year && !(Some(d.date.year()) == previous && d.date.month() == 12)
        {
            // holiday-cn lists late-December make-up days of the previous year
            // in the new year's file; anything further off is a data error.
            return Err(Error::Calendar(format!(
                "{} listed in the file for {}",
                d.date, file.year
            )));
        }
        let entry = if d.is_off_day {
            DayOverride::Holiday(d.name)
        } else {
            DayOverride::MakeUpWorkday(d.name)
        };
        if days.insert(d.date, entry).is_some() {
            return Err(Error::Calendar(format!("{} listed twice", d.date)));
        }
    }
    if !(1949..=2200).contains(&file.year) {
        return Err(Error::Calendar(format!("implausible year {}", file.year)));
    }
    Ok((file.year, days))
}

/// The year documents of a county calendar release: one holiday-cn year
/// document, or `{"years": [doc, doc, …]}`; each checked, with its year.
pub fn release_years(text: &str) -> Result<Vec<(i32, String)>> {
    let v: serde_json::Value = serde_json::from_str(text)?;
    let docs: Vec<String> = match v.get("years").and_then(|y| y.as_array()) {
        Some(list) => list.iter().map(|d| d.to_string()).collect(),
        None => vec![text.to_owned()],
    };
    let mut years = Vec::with_capacity(docs.len());
    for d in docs {
        let (year, _) = parse_year(&d)?;
        years.push((year, d));
    }
    Ok(years)
}

impl Calendar {
    /// The calendar built from the years bundled with the program.
    pub fn bundled() -> Result<Calendar> {
        let mut cal = Calendar::default();
        for (_, text) in BUNDLED_YEARS {
            cal.add_year_json(text)?;
        }
        Ok(cal)
    }

    pub fn add_year_json(&mut self, text: &str) -> Result<i32> {
        let (year, days) = parse_year(text)?;
        // A date may belong to the file of the following year (see parse_year);
        // file each date under its own calendar year.
        for (date, o) in days {
            self.years.entry(date.year()).or_default().insert(date, o);
        }
        self.years.entry(year).or_default();
        Ok(year)
    }

    /// Years with published data.
    pub fn known_years(&self) -> Vec<i32> {
        self.years
            .iter()
            .filter(|(_, d)| d.values().any(|o| matches!(o, DayOverride::Holiday(_))))
            .map(|(y, _)| *y)
            .collect()
    }

    pub fn has_year(&self, year: i32) -> bool {
        self.years
            .get(&year)
            .is_some_and(|d| d.values().any(|o| matches!(o, DayOverride::Holiday(_))))
    }

    /// Is `date` a working day? The flag is true when the year has no data and
    /// the answer rests on weekends and the fixed-date holidays only.
    pub fn is_working_day(&self, date: NaiveDate) -> (bool, bool) {
        if self.has_year(date.year()) {
            let o = self.years.get(&date.year()).and_then(|d| d.get(&date));
            let working = match o {
                Some(DayOverride::Holiday(_)) => false,
                Some(DayOverride::MakeUpWorkday(_)) => true,
                None => !is_weekend(date),
            };
            (working, false)
        } else {
            (!is_weekend(date) && !is_fixed_holiday(date), true)
        }
    }

    /// The name of the holiday or make-up day on `date`, if any.
    pub fn describe(&self, date: NaiveDate) -> Option<&DayOverride> {
        self.years.get(&date.year()).and_then(|d| d.get(&date))
    }

    /// "N working days after `from`": the day `from` is not counted; counting
    /// starts on the next working day. N = 0 gives `from` itself (on the spot).
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> Result<CalDate> {
        if n > MAX_WORKING_DAYS {
            return Err(Error::invalid(
                "days",
                format!("{n} working days exceeds the limit {MAX_WORKING_DAYS}"),
                format!("工作日数 {n} 超出允许范围（最多 {MAX_WORKING_DAYS}）"),
            ));
        }
        let mut date = from;
        let mut provisional = false;
        let mut left = n;
        while left > 0 {
            date = date
                .checked_add_signed(Duration::days(1))
                .ok_or_else(|| Error::Calendar("date overflow".into()))?;
            let (working, prov) = self.is_working_day(date);
            provisional |= prov;
            if working {
                left -= 1;
            }
        }
        Ok(CalDate { date, provisional })
    }

    /// Working days in (`from`, `to`]; negative when `to` is before `from`.
    /// `n` calendar days after `from` (the start day not counted). A last
    /// day that is a holiday or a rest day (not a 调休 working day) moves to
    /// the next working day (民事诉讼法 §85, applied by 行政诉讼法 §101 and
    /// 行政复议法 §88). Provisional when a day looked at lies in a year
    /// without calendar data.
    pub fn add_calendar_days(&self, from: NaiveDate, n: u32) -> Result<CalDate> {
        if n > MAX_WORKING_DAYS {
            return Err(Error::invalid(
                "days",
                format!("{n} days exceeds the limit {MAX_WORKING_DAYS}"),
                format!("天数 {n} 超出允许范围（最多 {MAX_WORKING_DAYS}）"),
            ));
        }
        let step = |d: NaiveDate, by: i64| {
            d.checked_add_signed(Duration::days(by))
                .ok_or_else(|| Error::Calendar("date overflow".into()))
        };
        let mut date = step(from, i64::from(n))?;
        let mut provisional = false;
        loop {
            let (working, prov) = self.is_working_day(date);
            provisional |= prov;
            if working {
                return Ok(CalDate { date, provisional });
            }
            date = step(date, 1)?;
        }
    }

    /// `n` days of `unit` after `from`.
    pub fn add_days(&self, from: NaiveDate, n: u32, unit: DayUnit) -> Result<CalDate> {
        match unit {
            DayUnit::WorkingDays => self.add_working_days(from, n),
            DayUnit::CalendarDays => self.add_calendar_days(from, n),
        }
    }

    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> (i64, bool) {
        let (a, b, sign) = if to >= from {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let mut n = 0i64;
        let mut provisional = false;
        let mut d = a;
        while d < b {
            d = d.succ_opt().unwrap_or(d);
            let (working, prov) = self.is_working_day(d);
            provisional |= prov;
            n += i64::from(working);
            if d == NaiveDate::MAX {
                break;
            }
        }
        (sign * n, provisional)
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Holidays on fixed Gregorian dates (全国年节及纪念日放假办法, 2025 revision:
/// 元旦 1 day, 劳动节 2 days, 国庆节 3 days). Lunar holidays cannot be known
/// without the published schedule, which is why such results are provisional.
fn is_fixed_holiday(d: NaiveDate) -> bool {
    matches!(
        (d.month(), d.day()),
        (1, 1) | (5, 1) | (10, 1) | (10, 2) | (10, 3)
    ) || (d.month() == 5 && d.day() == 2 && d.year() >= 2025)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Calendar-day periods: start day not counted, a last day off moves to
    /// the next working day, a 调休 Saturday is a working day.
    #[test]
    fn calendar_day_vectors() {
        let cal = Calendar::bundled().unwrap();
        let add = |from: &str, n| cal.add_calendar_days(d(from), n).unwrap();
        for (from, n, want, why) in [
            (
                "2024-03-01",
                15,
                "2024-03-18",
                "ends on a Saturday → Monday",
            ),
            (
                "2024-01-11",
                30,
                "2024-02-18",
                "ends in 春节 → the 调休 Sunday after it",
            ),
            (
                "2024-09-12",
                30,
                "2024-10-12",
                "ends on a 调休 Saturday, a working day",
            ),
            (
                "2025-09-01",
                30,
                "2025-10-09",
                "ends on 国庆 → after the holiday",
            ),
            (
                "2025-12-31",
                1,
                "2026-01-04",
                "ends on 元旦 → the 调休 Sunday",
            ),
            ("2026-02-13", 15, "2026-02-28", "ends on a 调休 Saturday"),
            (
                "2026-09-15",
                20,
                "2026-10-08",
                "ends on 国庆 (10-05) → 10-08",
            ),
            ("2026-11-23", 7, "2026-11-30", "a plain weekday"),
        ] {
            let r = add(from, n);
            assert_eq!(r.date, d(want), "{from} + {n}日: {why}");
            assert!(!r.provisional, "{from} + {n}日 is within published years");
        }
    }

    #[test]
    fn a_calendar_day_period_into_an_unpublished_year_is_provisional() {
        let cal = Calendar::bundled().unwrap();
        // 60日 from 2026-11-23 ends on Friday 2027-01-22: no 2027 data yet.
        let r = cal.add_calendar_days(d("2026-11-23"), 60).unwrap();
        assert_eq!((r.date, r.provisional), (d("2027-01-22"), true));
        // A last day on 元旦 2027 rolls forward over the weekend, provisionally.
        let r = cal.add_calendar_days(d("2026-12-02"), 30).unwrap();
        assert_eq!((r.date, r.provisional), (d("2027-01-04"), true));
        // Ending on the last day of 2026 is final.
        let r = cal.add_calendar_days(d("2026-12-01"), 30).unwrap();
        assert_eq!((r.date, r.provisional), (d("2026-12-31"), false));
    }

    #[test]
    fn units_differ_by_weeks_over_sixty_days() {
        let cal = Calendar::bundled().unwrap();
        let from = d("2026-03-02");
        let cal_days = cal.add_days(from, 60, DayUnit::CalendarDays).unwrap().date;
        let work_days = cal.add_days(from, 60, DayUnit::WorkingDays).unwrap().date;
        assert_eq!(cal_days, d("2026-05-06"));
        assert!(work_days > cal_days + Duration::days(20), "{work_days}");
        assert_eq!(DayUnit::CalendarDays.label_zh(), "日");
        assert_eq!(DayUnit::WorkingDays.label_zh(), "个工作日");
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn add(cal: &Calendar, from: &str, n: u32) -> CalDate {
        cal.add_working_days(d(from), n).unwrap()
    }

    #[test]
    fn legal_md_vectors() {
        let cal = Calendar::bundled().unwrap();
        for (from, n, want) in [
            ("2026-09-30", 5, "2026-10-13"),
            ("2026-02-13", 5, "2026-02-27"),
            ("2026-02-13", 20, "2026-03-19"),
            ("2025-12-31", 5, "2026-01-08"),
        ] {
            let got = add(&cal, from, n);
            assert_eq!(got.date, d(want), "{from} + {n}");
            assert!(!got.provisional);
        }
    }

    #[test]
    fn own_vectors_2024_2026() {
        let cal = Calendar::bundled().unwrap();
        for (from, n, want) in [
            // 2024 春节: 2-10..2-17 off, 2-4 (Sun) and 2-18 (Sun) make-up days.
            ("2024-02-08", 1, "2024-02-09"),
            ("2024-02-09", 1, "2024-02-18"),
            ("2024-02-09", 2, "2024-02-19"),
            // 2024 国庆: 10-1..10-7 off, 9-29 (Sun) and 10-12 (Sat) make-up.
            ("2024-09-27", 1, "2024-09-29"),
            ("2024-09-30", 3, "2024-10-10"),
            ("2024-10-11", 1, "2024-10-12"),
            // 2025 劳动节: 5-1..5-5 off, 4-27 (Sun) make-up.
            ("2025-04-25", 1, "2025-04-27"),
            ("2025-04-30", 1, "2025-05-06"),
            // A plain week: Friday + 1 = Monday.
            ("2026-11-20", 1, "2026-11-23"),
            ("2026-11-23", 0, "2026-11-23"),
            // Receipt on a Saturday: the Monday is day 1.
            ("2026-11-21", 1, "2026-11-23"),
        ] {
            assert_eq!(add(&cal, from, n).date, d(want), "{from} + {n}");
        }
    }

    #[test]
    fn make_up_saturday_counts() {
        let cal = Calendar::bundled().unwrap();
        assert_eq!(cal.is_working_day(d("2026-10-10")), (true, false));
        assert_eq!(cal.is_working_day(d("2026-10-05")), (false, false));
        assert_eq!(cal.is_working_day(d("2026-11-21")), (false, false));
    }

    #[test]
    fn reaching_into_2027_is_provisional() {
        let cal = Calendar::bundled().unwrap();
        let r = add(&cal, "2026-12-24", 10);
        assert!(r.provisional);
        // 12-25 .. 12-31 give 5 working days; 2027-01-01 is 元旦 (fixed date).
        assert_eq!(r.date, d("2027-01-08"));
        let inside = add(&cal, "2026-12-01", 10);
        assert!(!inside.provisional);
        assert!(!cal.has_year(2027));
    }

    #[test]
    fn between_counts_and_signs() {
        let cal = Calendar::bundled().unwrap();
        assert_eq!(
            cal.working_days_between(d("2026-09-30"), d("2026-10-13")),
            (5, false)
        );
        assert_eq!(
            cal.working_days_between(d("2026-10-13"), d("2026-09-30")),
            (-5, false)
        );
        assert_eq!(
            cal.working_days_between(d("2026-11-23"), d("2026-11-23")).0,
            0
        );
    }

    #[test]
    fn bad_year_file_is_refused() {
        let mut cal = Calendar::default();
        assert!(cal.add_year_json("{\"year\": 2027}").is_err());
        assert!(
            cal.add_year_json(
                r#"{"year":2027,"days":[{"name":"x","date":"2030-01-01","isOffDay":true}]}"#
            )
            .is_err()
        );
        assert!(cal.add_year_json("not json").is_err());
        assert!(
            cal.add_year_json(
                r#"{"year":2027,"days":[{"name":"元旦","date":"2027-01-01","isOffDay":true}]}"#
            )
            .is_ok()
        );
        assert!(cal.has_year(2027));
    }

    #[test]
    fn absurd_lengths_are_refused() {
        let cal = Calendar::bundled().unwrap();
        assert!(cal.add_working_days(d("2026-01-01"), 100_000).is_err());
    }
}
