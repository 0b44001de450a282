//! Dates as Vietnamese users write them and as the contracts require them.

use time::{Date, Month};

/// Parses `YYYY-MM-DD` strictly (the contracts' form).
pub fn parse_iso_date(s: &str) -> Option<Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    if s.len() != 10 {
        return None;
    }
    Date::parse(s, &fmt).ok()
}

/// Parses a date as users type it or spreadsheets export it: `DD/MM/YYYY` (also with `-` or `.`,
/// one-digit day or month allowed) or `YYYY-MM-DD`, optionally followed by a time. The error is
/// one Vietnamese sentence saying what is wrong.
pub fn parse_date_vi(v: &str) -> Result<Date, String> {
    let v = v.trim();
    let format_err =
        || format!("Ngày \"{v}\" không đúng dạng: ghi NN/TT/NNNN (ví dụ 05/03/2008) hoặc NNNN-TT-NN (2008-03-05).");
    let head = v.split(['T', ' ']).next().unwrap_or(v);
    let parts: Vec<&str> = head.split(['/', '-', '.']).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format_err());
    }
    let (y, m, d) = if parts[0].len() == 4 {
        (parts[0], parts[1], parts[2])
    } else if parts[2].len() == 4 && parts[0].len() <= 2 && parts[1].len() <= 2 {
        (parts[2], parts[1], parts[0])
    } else {
        return Err(format_err());
    };
    let (y, m, d): (i32, u8, u8) = match (y.parse(), m.parse(), d.parse()) {
        (Ok(y), Ok(m), Ok(d)) => (y, m, d),
        _ => return Err(format_err()),
    };
    let month = Month::try_from(m).map_err(|_| format!("Ngày \"{v}\" không tồn tại: tháng {m} không có."))?;
    Date::from_calendar_date(y, month, d)
        .map_err(|_| format!("Ngày \"{v}\" không tồn tại: tháng {m} năm {y} không có ngày {d}."))
}

/// `DD/MM/YYYY`, the way Vietnamese documents and screens write a date.
pub fn vi_date(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), d.month() as u8, d.year())
}

/// A whole number the Vietnamese way, thousands separated by dots: 30201 → "30.201".
pub fn vi_int(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_with_dots() {
        assert_eq!(vi_int(0), "0");
        assert_eq!(vi_int(999), "999");
        assert_eq!(vi_int(1000), "1.000");
        assert_eq!(vi_int(30201), "30.201");
        assert_eq!(vi_int(1_000_000), "1.000.000");
        assert_eq!(vi_int(-12345), "-12.345");
    }
    use time::macros::date;

    #[test]
    fn both_forms_and_clear_errors() {
        let d = date!(2025 - 07 - 01);
        assert_eq!(parse_date_vi("01/07/2025"), Ok(d));
        assert_eq!(parse_date_vi("1/7/2025"), Ok(d));
        assert_eq!(parse_date_vi("2025-07-01"), Ok(d));
        assert_eq!(parse_date_vi("2025-07-01T00:00:00"), Ok(d));
        assert!(parse_date_vi("31/02/2025").unwrap_err().contains("không có ngày 31"));
        assert!(parse_date_vi("01/13/2025").unwrap_err().contains("tháng 13"));
        assert!(parse_date_vi("hôm qua").unwrap_err().contains("không đúng dạng"));
        assert_eq!(parse_iso_date("2025-07-01"), Some(d));
        assert_eq!(parse_iso_date("2025-7-1"), None);
        assert_eq!(vi_date(d), "01/07/2025");
    }
}
