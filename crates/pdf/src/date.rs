//! RFC 3339 → UTC calendar fields, without a date crate.

use crate::PdfError;

/// (year, month, day, hour, minute, second) in UTC.
pub(crate) type Utc = (i32, u8, u8, u8, u8, u8);

pub(crate) fn parse_rfc3339_utc(s: &str) -> Result<Utc, PdfError> {
    let err = || PdfError::InvalidDate(s.to_string());
    let b = s.as_bytes();
    if b.len() < 20 {
        return Err(err());
    }
    let num = |from: usize, to: usize| -> Result<i64, PdfError> {
        let part = s.get(from..to).ok_or_else(err)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return Err(err());
        }
        part.parse::<i64>().map_err(|_| err())
    };
    let sep_ok = b[4] == b'-' && b[7] == b'-' && matches!(b[10], b'T' | b't' | b' ');
    if !sep_ok || b[13] != b':' || b[16] != b':' {
        return Err(err());
    }
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(err());
        }
        rest = &frac[digits..];
    }
    let offset_min: i64 = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && rest.as_bytes()[3] == b':' => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return Err(err()),
            };
            let part = |r: std::ops::Range<usize>| -> Result<i64, PdfError> {
                let t = rest.get(r).ok_or_else(err)?;
                if !t.bytes().all(|c| c.is_ascii_digit()) {
                    return Err(err());
                }
                t.parse().map_err(|_| err())
            };
            let (h, m) = (part(1..3)?, part(4..6)?);
            sign * (h * 60 + m)
        }
        _ => return Err(err()),
    };
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(err());
    }
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        - offset_min * 60;
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    Ok((
        i32::try_from(y).map_err(|_| err())?,
        m as u8,
        d as u8,
        (tod / 3600) as u8,
        (tod / 60 % 60) as u8,
        (tod % 60) as u8,
    ))
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's algorithms.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
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
