//! Wall-clock access, overridable so scripts and tests are reproducible.

use chrono::{DateTime, FixedOffset, Local, NaiveDate, SecondsFormat};

use crate::error::{Error, Result};

/// Environment variable that pins the clock (RFC 3339), e.g. `2026-11-23T09:30:00+08:00`.
pub const NOW_ENV: &str = "YICHUANG_NOW";

#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    fixed: Option<DateTime<FixedOffset>>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock { fixed: None }
    }

    pub fn fixed(at: DateTime<FixedOffset>) -> Clock {
        Clock { fixed: Some(at) }
    }

    /// Parses an RFC 3339 time or a bare date (taken as 09:00 local).
    pub fn parse(s: &str) -> Result<Clock> {
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Ok(Clock::fixed(t));
        }
        let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
            Error::invalid(
                NOW_ENV,
                format!("not an RFC 3339 time or date: {s}"),
                format!("时间“{s}”格式不正确，应为 2026-11-23 或 2026-11-23T09:30:00+08:00"),
            )
        })?;
        let t = d
            .and_hms_opt(9, 0, 0)
            .and_then(|t| t.and_local_timezone(Local).single())
            .map(|t| t.fixed_offset())
            .ok_or_else(|| Error::invalid(NOW_ENV, "unrepresentable local time", "时间无效"))?;
        Ok(Clock::fixed(t))
    }

    /// The clock named by `YICHUANG_NOW`, or the system clock. Only test
    /// builds (feature `clock-override`) honour the variable: a production
    /// program that let anyone at the PC set the time would let them
    /// back-date events and notices.
    pub fn from_env() -> Result<Clock> {
        Clock::from_override(std::env::var(NOW_ENV).ok().as_deref())
    }

    /// The clock an override names (the desktop's `--now`, which wins over
    /// `YICHUANG_NOW`, or the variable), under the same rule: honoured only
    /// by test builds, ignored with a line in the log otherwise.
    pub fn from_override(value: Option<&str>) -> Result<Clock> {
        match value.map(str::trim) {
            Some(s) if !s.is_empty() => {
                if cfg!(feature = "clock-override") {
                    Clock::parse(s)
                } else {
                    eprintln!(
                        "yichuang: clock override ignored: this build keeps the system clock"
                    );
                    Ok(Clock::system())
                }
            }
            _ => Ok(Clock::system()),
        }
    }

    pub fn now(&self) -> DateTime<FixedOffset> {
        self.fixed.unwrap_or_else(|| Local::now().fixed_offset())
    }

    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// The timestamp text stored in rows and events.
    pub fn stamp(&self) -> String {
        self.now().to_rfc3339_opts(SecondsFormat::Millis, false)
    }
}
