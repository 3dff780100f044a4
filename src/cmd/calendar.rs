//! `calendar`: working days from the station's (or the bundled) holiday data.

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;
use yichuang_engine::calendar::Calendar;
use yichuang_engine::{Engine, Result};

use super::{date, print, read};

#[derive(Subcommand)]
pub enum CalendarCmd {
    /// N working days after DATE (the day itself not counted)
    AddDays {
        date: String,
        days: u32,
    },
    /// Working days in (FROM, TO]
    Between {
        from: String,
        to: String,
    },
    IsWorkday {
        date: String,
    },
    Import {
        file: PathBuf,
    },
    Years,
}

impl CalendarCmd {
    /// Questions about days, which a calendar answers without a station.
    pub fn is_query(&self) -> bool {
        matches!(
            self,
            CalendarCmd::AddDays { .. }
                | CalendarCmd::Between { .. }
                | CalendarCmd::IsWorkday { .. }
        )
    }
}

/// Answers a question about days from `cal`.
pub fn query(cal: &Calendar, cmd: &CalendarCmd, json: bool) -> Result<()> {
    match cmd {
        CalendarCmd::AddDays { date: d, days } => {
            let r = cal.add_working_days(date(d, "date")?, *days)?;
            print(
                json,
                &json!({"date": r.date, "provisional": r.provisional}),
                || {
                    if r.provisional {
                        format!("{} provisional", r.date)
                    } else {
                        r.date.to_string()
                    }
                },
            )
        }
        CalendarCmd::Between { from, to } => {
            let (n, p) = cal.working_days_between(date(from, "from")?, date(to, "to")?);
            print(json, &json!({"working_days": n, "provisional": p}), || {
                if p {
                    format!("{n} provisional")
                } else {
                    n.to_string()
                }
            })
        }
        CalendarCmd::IsWorkday { date: d } => {
            let (w, p) = cal.is_working_day(date(d, "date")?);
            print(json, &json!({"working_day": w, "provisional": p}), || {
                format!(
                    "{}{}",
                    if w { "工作日" } else { "休息日" },
                    if p { " provisional" } else { "" }
                )
            })
        }
        CalendarCmd::Import { .. } | CalendarCmd::Years => Ok(()),
    }
}

pub fn run(e: &mut Engine, cmd: CalendarCmd, json: bool) -> Result<()> {
    match cmd {
        CalendarCmd::Import { file } => {
            let text = read(&file)?;
            let a = super::actor(e)?;
            let year = e.import_calendar_year(&a, &text, &file.display().to_string())?;
            print(json, &json!({"year": year}), || {
                format!("已导入 {year} 年工作日历")
            })
        }
        CalendarCmd::Years => {
            let years = e.calendar().known_years();
            print(json, &years, || {
                years
                    .iter()
                    .map(|y| y.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        }
        q => query(&e.calendar(), &q, json),
    }
}
