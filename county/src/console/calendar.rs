//! Working days, for the 总览's "at risk" (a deadline this many working days
//! away or fewer). The holiday data is the repository's own
//! (`assets/calendar`, the data the stations are installed with); a year
//! without data counts weekends and the fixed-date holidays only, as the
//! station does for a provisional year.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate, Weekday};

const BUNDLED: [&str; 3] = [
    include_str!("../../../assets/calendar/2024.json"),
    include_str!("../../../assets/calendar/2025.json"),
    include_str!("../../../assets/calendar/2026.json"),
];

/// Days that differ from the weekday rule, per year: `true` = off.
pub struct Calendar {
    years: BTreeMap<i32, BTreeMap<NaiveDate, bool>>,
}

#[derive(serde::Deserialize)]
struct YearFile {
    year: i32,
    days: Vec<DayEntry>,
}

#[derive(serde::Deserialize)]
struct DayEntry {
    date: NaiveDate,
    #[serde(rename = "isOffDay")]
    is_off_day: bool,
}

impl Calendar {
    /// Parses holiday-cn year files (a file that does not parse is skipped
    /// and its year counted as provisional).
    pub fn from_files<'a>(files: impl IntoIterator<Item = &'a str>) -> Calendar {
        let mut years = BTreeMap::new();
        for f in files {
            if let Ok(y) = serde_json::from_str::<YearFile>(f) {
                years.insert(
                    y.year,
                    y.days.into_iter().map(|d| (d.date, d.is_off_day)).collect(),
                );
            }
        }
        Calendar { years }
    }

    pub fn bundled() -> &'static Calendar {
        static CAL: OnceLock<Calendar> = OnceLock::new();
        CAL.get_or_init(|| Calendar::from_files(BUNDLED))
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
        match self.years.get(&d.year()) {
            Some(days) => match days.get(&d) {
                Some(off) => !off,
                None => !weekend,
            },
            None => !weekend && !is_fixed_holiday(d),
        }
    }

    /// The last day that is at most `n` working days after `from` (the
    /// station's `working_days_between(from, d) <= n`).
    pub fn last_within_working_days(&self, from: NaiveDate, n: i64) -> NaiveDate {
        let mut d = from;
        let mut seen = 0;
        loop {
            let Some(next) = d.succ_opt() else { return d };
            if self.is_working_day(next) {
                seen += 1;
                if seen > n {
                    return d;
                }
            }
            d = next;
        }
    }
}

/// 元旦, 劳动节, 国庆节 on their fixed dates (the station's rule for a year
/// without published data).
fn is_fixed_holiday(d: NaiveDate) -> bool {
    matches!(
        (d.month(), d.day()),
        (1, 1) | (5, 1) | (10, 1) | (10, 2) | (10, 3)
    ) || (d.month() == 5 && d.day() == 2 && d.year() >= 2025)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn weekends_holidays_and_make_up_days() {
        let c = Calendar::bundled();
        assert!(c.is_working_day(d("2026-11-23")), "a Monday");
        assert!(!c.is_working_day(d("2026-11-22")), "a Sunday");
        assert!(!c.is_working_day(d("2026-10-01")), "国庆");
        assert!(c.is_working_day(d("2026-01-04")), "元旦 调休 Sunday");
        assert!(
            !c.is_working_day(d("2030-10-02")),
            "provisional: fixed holiday"
        );
        // Monday + 2 working days → Wednesday is the last "at risk" day.
        assert_eq!(
            c.last_within_working_days(d("2026-11-23"), 2),
            d("2026-11-25")
        );
        // Friday + 2 → the weekend and Monday, Tuesday.
        assert_eq!(
            c.last_within_working_days(d("2026-11-27"), 2),
            d("2026-12-01")
        );
        assert_eq!(
            c.last_within_working_days(d("2026-11-27"), 0),
            d("2026-11-29")
        );
    }
}
