//! The station (服务站): its identity and what a valid one is.

use serde::Serialize;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StationInfo {
    pub code: String,
    pub name: String,
    pub county: String,
    pub log_id: String,
    pub created_at: String,
}

/// A station code, trimmed: 1 to 16 ASCII letters, digits or `-` (the
/// county issues enrolment codes only for codes a station can have).
pub fn check_code(code: &str) -> Result<&str> {
    let code = code.trim();
    if code.is_empty()
        || code.len() > 16
        || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(Error::invalid(
            "station_code",
            format!("bad station code {code:?}"),
            "站点编码须为1至16位字母、数字或“-”",
        ));
    }
    Ok(code)
}

/// Checks a new station's code, name and county; returns them trimmed.
pub fn validate_station<'a>(
    code: &'a str,
    name: &'a str,
    county: &'a str,
) -> Result<(&'a str, &'a str, &'a str)> {
    let code = check_code(code)?;
    for (field, v, zh) in [
        ("station_name", name, "站点名称"),
        ("county", county, "所属县（区）"),
    ] {
        if v.trim().is_empty() {
            return Err(Error::invalid(field, "empty", format!("{zh}不能为空")));
        }
    }
    Ok((code, name.trim(), county.trim()))
}
