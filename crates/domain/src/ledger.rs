//! The 台账 export (R18): the period asked for, which cases an exporting
//! clerk's role covers, and whether ID numbers leave the station in full.
//! Pure: the rows come from `ops::ledger`, the workbook from `xlsx`.

use chrono::NaiveDate;
use serde::Serialize;

use crate::clerk::Role;
use crate::error::{Error, Result};

/// The workbook's sheets, in order.
pub const SHEETS: [&str; 4] = ["受理台账", "否定备案登记", "通知书", "好差评"];

/// The days of a period, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// A period from two dates as typed (`YYYY-MM-DD`); the start may not be
    /// after the end.
    pub fn parse(from: &str, to: &str) -> Result<Period> {
        let date = |s: &str, field: &str, what: &str| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
                Error::invalid(
                    field,
                    format!("bad date {s:?}"),
                    format!("{what}“{}”格式不正确，应为 YYYY-MM-DD", s.trim()),
                )
            })
        };
        let period = Period {
            from: date(from, "from", "起始日期")?,
            to: date(to, "to", "截止日期")?,
        };
        if period.from > period.to {
            return Err(Error::invalid(
                "period",
                format!("period starts {} after it ends {}", period.from, period.to),
                format!(
                    "起始日期 {} 晚于截止日期 {}，请重新选择导出期间",
                    period.from, period.to
                ),
            ));
        }
        Ok(period)
    }
}

/// Which cases an export covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Every case of the station (leaders answer for the whole station).
    Station,
    /// The cases the exporting clerk handles (承办): a window's own ledger.
    OwnCases,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Station => "station",
            Scope::OwnCases => "own_cases",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Scope::Station => "本站全部办件",
            Scope::OwnCases => "本人承办的办件",
        }
    }
}

/// What an export by a role contains, as the window states it before and
/// after: the scope and whether ID numbers are in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerTerms {
    pub scope: Scope,
    pub scope_zh: &'static str,
    /// ID numbers in full; otherwise masked like every list of the window.
    pub full_ids: bool,
    pub ids_zh: &'static str,
}

/// The terms of a role's export: capability `export_station_ledger` covers
/// the whole station, `ledger_full_ids` leaves ID numbers unmasked
/// ([`crate::clerk::CAPABILITIES`]); everyone else exports the cases
/// they handle, masked.
pub fn terms_for(role: Role) -> LedgerTerms {
    let scope = if role.may("export_station_ledger") {
        Scope::Station
    } else {
        Scope::OwnCases
    };
    let full_ids = role.may("ledger_full_ids");
    LedgerTerms {
        scope,
        scope_zh: scope.label_zh(),
        full_ids,
        ids_zh: if full_ids {
            "证件号码完整显示"
        } else {
            "证件号码已脱敏"
        },
    }
}

/// Rows per sheet of one export.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LedgerCounts {
    pub cases: u64,
    pub filings: u64,
    pub notices: u64,
    pub evaluations: u64,
}

impl LedgerCounts {
    pub fn total(&self) -> u64 {
        self.cases + self.filings + self.notices + self.evaluations
    }
}

/// How far an export is: rows written of all sheets, and the sheet at hand
/// (the last step, `保存文件`, has every row done).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LedgerProgress {
    pub stage_zh: &'static str,
    pub done: u64,
    pub total: u64,
}

/// The stage after the last row: the workbook is compressed and saved.
pub const SAVING_ZH: &str = "保存文件";

/// The file an export writes: an `.xlsx` name, so Excel and WPS open it.
pub fn check_file_name(name: &str) -> Result<()> {
    let lower = name.to_lowercase();
    if !lower.ends_with(".xlsx") || lower == ".xlsx" {
        return Err(Error::invalid(
            "out",
            format!("not an .xlsx file name: {name:?}"),
            format!("保存文件名“{name}”须以 .xlsx 结尾"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_is_two_dates_in_order() {
        let p = Period::parse(" 2026-11-01", "2026-11-30 ").unwrap();
        assert_eq!(p.from.to_string(), "2026-11-01");
        assert_eq!(p.to.to_string(), "2026-11-30");
        assert!(Period::parse("2026-11-23", "2026-11-23").is_ok());
        let late = Period::parse("2026-12-01", "2026-11-30").unwrap_err();
        assert!(late.user_message().contains("晚于"), "{late}");
        let bad = Period::parse("2026/11/01", "2026-11-30").unwrap_err();
        assert_eq!(
            bad.user_message(),
            "起始日期“2026/11/01”格式不正确，应为 YYYY-MM-DD"
        );
        assert!(
            Period::parse("2026-11-01", "2026-02-30")
                .unwrap_err()
                .user_message()
                .starts_with("截止日期")
        );
    }

    #[test]
    fn leaders_export_the_station_in_full_clerks_their_own_cases_masked() {
        let clerk = terms_for(Role::Clerk);
        assert_eq!((clerk.scope, clerk.full_ids), (Scope::OwnCases, false));
        for role in [Role::Leader, Role::Admin] {
            let t = terms_for(role);
            assert_eq!((t.scope, t.full_ids), (Scope::Station, true), "{role:?}");
        }
    }

    #[test]
    fn only_xlsx_file_names() {
        assert!(check_file_name("台账.xlsx").is_ok());
        assert!(check_file_name("LEDGER.XLSX").is_ok());
        assert!(check_file_name("台账.xls").is_err());
        assert!(check_file_name(".xlsx").is_err());
    }
}
