//! RFC 3339 → UTC calendar fields (through chrono).

use chrono::{DateTime, Datelike, Timelike};

use crate::PdfError;

/// (year, month, day, hour, minute, second) in UTC.
pub(crate) type Utc = (i32, u8, u8, u8, u8, u8);

pub(crate) fn parse_rfc3339_utc(s: &str) -> Result<Utc, PdfError> {
    let err = || PdfError::InvalidDate(s.to_string());
    let t = DateTime::parse_from_rfc3339(s).map_err(|_| err())?;
    // chrono keeps a leap second (:60) as :59 plus a second of nanos; the PDF
    // date has no leap seconds, so it rolls over into the next minute.
    let secs = t.timestamp() + i64::from(t.timestamp_subsec_nanos() / 1_000_000_000);
    let u = DateTime::from_timestamp(secs, 0).ok_or_else(err)?;
    // Calendar fields of a valid time always fit in u8.
    let field = |v: u32| u8::try_from(v).map_err(|_| err());
    Ok((
        u.year(),
        field(u.month())?,
        field(u.day())?,
        field(u.hour())?,
        field(u.minute())?,
        field(u.second())?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_offset_to_utc() {
        assert_eq!(
            parse_rfc3339_utc("2026-11-23T09:30:00+08:00").unwrap(),
            (2026, 11, 23, 1, 30, 0)
        );
        assert_eq!(
            parse_rfc3339_utc("2026-01-01T03:00:00.123+08:00").unwrap(),
            (2025, 12, 31, 19, 0, 0)
        );
        assert_eq!(
            parse_rfc3339_utc("2024-02-29T23:59:59Z").unwrap(),
            (2024, 2, 29, 23, 59, 59)
        );
        assert_eq!(
            parse_rfc3339_utc("2016-12-31T23:59:60Z").unwrap(),
            (2017, 1, 1, 0, 0, 0)
        );
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "2026-11-23",
            "2026-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-11-23T09:30:00",
            "2026-11-23T09:30:00+0800",
            "２026-11-23T09:30:00Z",
        ] {
            assert!(parse_rfc3339_utc(s).is_err(), "{s}");
        }
    }
}
