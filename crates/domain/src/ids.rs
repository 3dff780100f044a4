//! Identity numbers: 居民身份证号 (GB 11643-1999) and 统一社会信用代码
//! (GB 32100-2015) checksums, plus masking for display and logs.

use chrono::NaiveDate;

use crate::error::{Error, Result};

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";
const PROVINCES: [u32; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

/// The check character of the first 17 digits of a resident ID number.
pub fn resident_id_check_char(first17: &str) -> Option<char> {
    let digits: Vec<u32> = first17
        .chars()
        .map(|c| c.to_digit(10))
        .collect::<Option<_>>()?;
    if digits.len() != 17 {
        return None;
    }
    let sum: u32 = digits.iter().zip(ID_WEIGHTS).map(|(d, w)| d * w).sum();
    Some(ID_CHECK[(sum % 11) as usize] as char)
}

/// Full-width (全角) digits and letters, a common IME slip, become ASCII.
pub fn normalize_code(raw: &str) -> String {
    raw.trim()
        .chars()
        .map(|c| match c {
            '\u{FF10}'..='\u{FF5A}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect::<String>()
        .to_uppercase()
}

/// Validates an 18-digit 居民身份证号: province, birth date, checksum. Returns
/// the normalised number (upper-case X) and the birth date.
pub fn validate_resident_id(raw: &str, today: NaiveDate) -> Result<(String, NaiveDate)> {
    let id = normalize_code(raw);
    let bad = |en: &str, zh: &str| Error::invalid("id_no", format!("{en}: {id}"), zh.to_owned());
    if id.chars().count() != 18 {
        return Err(bad(
            "resident ID must have 18 characters",
            "身份证号应为18位",
        ));
    }
    // Byte offsets below are only safe on ASCII (全角 digits are a common slip).
    if !id.is_ascii() {
        return Err(bad(
            "resident ID must be ASCII digits",
            "身份证号只能包含半角数字和X，请检查是否输入了全角字符",
        ));
    }
    let (first17, last) = id.split_at(17);
    if !first17.chars().all(|c| c.is_ascii_digit())
        || !last.chars().all(|c| c.is_ascii_digit() || c == 'X')
    {
        return Err(bad(
            "resident ID must be 17 digits followed by a digit or X",
            "身份证号前17位应为数字，最后一位为数字或X",
        ));
    }
    let province: u32 = first17[..2].parse().unwrap_or(0);
    if !PROVINCES.contains(&province) {
        return Err(bad(
            "unknown province code",
            "身份证号前两位不是有效的省级行政区划代码",
        ));
    }
    let birth = NaiveDate::parse_from_str(&first17[6..14], "%Y%m%d")
        .ok()
        .filter(|d| *d <= today && chrono::Datelike::year(d) >= 1900)
        .ok_or_else(|| bad("invalid birth date", "身份证号中的出生日期无效"))?;
    let expected = resident_id_check_char(first17).unwrap_or('?');
    if !last.starts_with(expected) {
        return Err(bad("checksum mismatch", "身份证号校验位不正确，请核对号码"));
    }
    Ok((id, birth))
}

const USCC_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [usize; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// The check character of the first 17 characters of a USCC.
pub fn uscc_check_char(first17: &str) -> Option<char> {
    let mut sum = 0usize;
    let mut n = 0;
    for (c, w) in first17.chars().zip(USCC_WEIGHTS) {
        sum += USCC_CHARS.find(c)? * w;
        n += 1;
    }
    if n != 17 || first17.chars().count() != 17 {
        return None;
    }
    let check = (31 - sum % 31) % 31;
    USCC_CHARS.chars().nth(check)
}

/// Validates an 18-character 统一社会信用代码 (charset and GB 32100 checksum).
pub fn validate_uscc(raw: &str) -> Result<String> {
    let code = normalize_code(raw);
    let bad = |en: &str, zh: &str| Error::invalid("uscc", format!("{en}: {code}"), zh.to_owned());
    if code.chars().count() != 18 {
        return Err(bad(
            "USCC must have 18 characters",
            "统一社会信用代码应为18位",
        ));
    }
    if let Some(c) = code.chars().find(|c| !USCC_CHARS.contains(*c)) {
        return Err(Error::invalid(
            "uscc",
            format!("character {c} not allowed: {code}"),
            format!("统一社会信用代码中不能出现字符“{c}”（不使用 I、O、Z、S、V）"),
        ));
    }
    let (first17, last) = code.split_at(17);
    if uscc_check_char(first17).map(String::from).as_deref() != Some(last) {
        return Err(bad(
            "checksum mismatch",
            "统一社会信用代码校验位不正确，请核对",
        ));
    }
    Ok(code)
}

/// `110105********002X`: region kept, birth date and sequence hidden.
pub fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head = if chars.len() >= 15 { 6 } else { 2 };
    let tail = 4;
    let mut s: String = chars[..head].iter().collect();
    s.push_str(&"*".repeat(chars.len() - head - tail));
    s.extend(&chars[chars.len() - tail..]);
    s
}

/// `张*三` / `李*`: first character kept (and the last for names longer than 2).
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".into(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

/// `138****5678`.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let mut s: String = chars[..3].iter().collect();
    s.push_str(&"*".repeat(chars.len() - 7));
    s.extend(&chars[chars.len() - 4..]);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    #[test]
    fn resident_id_valid_examples() {
        // The example number printed in GB 11643-1999 itself.
        assert!(validate_resident_id("11010519491231002X", today()).is_ok());
        assert!(validate_resident_id("11010519491231002x", today()).is_ok());
        let first17 = "44030419900101123";
        let id = format!("{first17}{}", resident_id_check_char(first17).unwrap());
        let (norm, birth) = validate_resident_id(&id, today()).unwrap();
        assert_eq!(norm, id);
        assert_eq!(birth, NaiveDate::from_ymd_opt(1990, 1, 1).unwrap());
    }

    #[test]
    fn resident_id_invalid_examples() {
        for bad in [
            "110105194912310021",  // wrong check digit
            "11010519491231002",   // 17 chars
            "1101051949123100211", // 19 chars
            "11010519491331002X",  // month 13
            "99010519491231002X",  // no such province
            "1101051949123A002X",  // letter inside
            "110105203012310026",  // born in the future
            "",
        ] {
            let err = validate_resident_id(bad, today()).unwrap_err();
            assert!(
                !err.user_message().is_empty(),
                "{bad} should be refused with a message"
            );
        }
    }

    #[test]
    fn uscc_valid_and_invalid() {
        // Published sample code of GB 32100-2015.
        assert_eq!(
            validate_uscc("91350100M000100Y43").unwrap(),
            "91350100M000100Y43"
        );
        let first17 = "91110000600037341";
        let full = format!("{first17}{}", uscc_check_char(first17).unwrap());
        assert!(validate_uscc(&full).is_ok());
        assert!(validate_uscc("91350100M000100Y44").is_err());
        assert!(validate_uscc("91350100M000100Y4").is_err());
        let err = validate_uscc("91350100O000100Y43").unwrap_err();
        assert!(err.user_message().contains('O'));
    }

    #[test]
    fn awkward_input_never_panics() {
        for s in [
            "1101051949123100中X",
            "１１０１０５１９４９１２３１００２Ｘ",
            "中中中中中中中中中中中中中中中中中中",
            "𠀀𠀀𠀀𠀀𠀀𠀀𠀀𠀀𠀀𠀀𠀀𠀀𠀀𠀀𠀀𠀀𠀀𠀀",
            "\u{0}\u{0}\u{0}",
            "  11010519491231002X  ",
            "9135010中M000100Y43",
        ] {
            let _ = validate_resident_id(s, today());
            let _ = validate_uscc(s);
            let _ = mask_id(s);
            let _ = mask_name(s);
            let _ = mask_phone(s);
        }
        assert!(validate_resident_id("  11010519491231002X  ", today()).is_ok());
        // Full-width input is what a Chinese IME often produces: accepted, normalised.
        let (id, _) =
            validate_resident_id("１１０１０５１９４９１２３１００２ｘ", today()).unwrap();
        assert_eq!(id, "11010519491231002X");
        assert!(validate_uscc("９１３５０１００Ｍ０００１００Ｙ４３").is_ok());
        let err = validate_resident_id("1101051949123100中X", today()).unwrap_err();
        assert!(err.user_message().contains("半角"));
    }

    #[test]
    fn masking() {
        assert_eq!(mask_id("11010519491231002X"), "110105********002X");
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳小明"), "欧**明");
        assert_eq!(mask_phone("13800005678"), "138****5678");
    }
}
