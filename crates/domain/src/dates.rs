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
    let date = Date::from_calendar_date(y, month, d)
        .map_err(|_| format!("Ngày \"{v}\" không tồn tại: tháng {m} năm {y} không có ngày {d}."))?;
    check_range(date).map_err(|e| format!("Ngày \"{v}\" {e}"))?;
    Ok(date)
}

/// The first day a date typed or imported may be: no one in the registry, no document or step the
/// system keeps is older.
pub const EARLIEST_DATE: Date = time::macros::date!(1900 - 01 - 01);
/// The last day a date typed or imported may be: far past any plan, deadline or term the system
/// keeps, and far enough inside the calendar's end (31/12/9999) that the periods computed from a
/// date (a 10- or 15-day window, a two-year hold, an age) never leave it.
pub const LATEST_DATE: Date = time::macros::date!(2100 - 12 - 31);

/// A date outside [`EARLIEST_DATE`] … [`LATEST_DATE`] is a typing error (a year 9999 or 0201):
/// refused with the range in the message. The error continues a sentence that names the date.
pub fn check_range(date: Date) -> Result<(), String> {
    if date < EARLIEST_DATE || date > LATEST_DATE {
        return Err(format!(
            "nằm ngoài khoảng ngày được nhận ({} – {}): hãy kiểm tra lại năm.",
            vi_date(EARLIEST_DATE),
            vi_date(LATEST_DATE)
        ));
    }
    Ok(())
}

/// `date` plus `days`, never past the calendar's ends: a date too close to them (one stored
/// before dates were bounded) gives the last (or first) representable day instead of a panic.
pub fn add_days(date: Date, days: i64) -> Date {
    date.checked_add(time::Duration::days(days))
        .unwrap_or(if days < 0 { Date::MIN } else { Date::MAX })
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

/// The one rule for the date of an event that has already happened (a handover, an examination, a
/// training day, a certificate, a step recorded as done): it cannot lie after `today`. `what`
/// names the date in Vietnamese, capitalised, e.g. "Ngày giao quân"; the error is one Vietnamese
/// sentence that names it, the date and today. Callers pass "today" in (the domain has no clock);
/// the store and the web use Vietnam's day (UTC+7).
pub fn check_past_event(what: &str, date: Date, today: Date) -> Result<(), String> {
    if date > today {
        return Err(format!(
            "{what} {} là ngày trong tương lai (hôm nay là {}): việc đã xảy ra không thể ghi ngày sau hôm nay.",
            vi_date(date),
            vi_date(today)
        ));
    }
    Ok(())
}

/// The date of an act that is usually signed on the day it is recorded (a decision, a list's
/// approval): a date after `today` is taken only with the user's explicit confirmation
/// (`confirmed`), since a decision may be prepared ahead of its signing; without it the error
/// says how far ahead the date is and how to confirm. Dates on or before today pass.
pub fn check_act_date(what: &str, date: Date, today: Date, confirmed: bool) -> Result<(), String> {
    if date <= today || confirmed {
        return Ok(());
    }
    let days = (date - today).whole_days();
    Err(format!(
        "{what} {} là {days} ngày sau hôm nay ({}): nếu đúng là ngày đã định, hãy đánh dấu \
         \"Xác nhận ngày sau hôm nay\" rồi gửi lại; nếu không, hãy sửa ngày.",
        vi_date(date),
        vi_date(today)
    ))
}

/// A date must fall within `[from, to]` (a cycle, a term, a course); `span` names that period in
/// Vietnamese, e.g. "đợt tuyển quân năm 2027".
pub fn check_within(what: &str, date: Date, from: Date, to: Date, span: &str) -> Result<(), String> {
    if date < from || date > to {
        return Err(format!(
            "{what} {} nằm ngoài {span} ({} – {}).",
            vi_date(date),
            vi_date(from),
            vi_date(to)
        ));
    }
    Ok(())
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

    #[test]
    fn dates_are_bounded_and_arithmetic_saturates() {
        let e = parse_date_vi("31/12/9999").unwrap_err();
        assert!(e.contains("31/12/9999") && e.contains("01/01/1900 – 31/12/2100"), "{e}");
        assert!(parse_date_vi("9999-12-31").is_err());
        assert!(parse_date_vi("01/01/0201").is_err());
        assert!(parse_date_vi("31/12/1899").is_err());
        assert_eq!(parse_date_vi("01/01/1900"), Ok(EARLIEST_DATE));
        assert_eq!(parse_date_vi("31/12/2100"), Ok(LATEST_DATE));
        assert_eq!(add_days(date!(9999 - 12 - 31), 15), Date::MAX);
        assert_eq!(add_days(date!(2025 - 12 - 25), 15), date!(2026 - 01 - 09));
        assert_eq!(add_days(Date::MIN, -1), Date::MIN);
    }

    #[test]
    fn past_events_cannot_lie_ahead_of_today() {
        let today = date!(2026 - 12 - 07);
        assert_eq!(check_past_event("Ngày giao quân", today, today), Ok(()));
        assert_eq!(check_past_event("Ngày giao quân", date!(2026 - 01 - 01), today), Ok(()));
        let e = check_past_event("Ngày giao quân", date!(2027 - 03 - 04), today).unwrap_err();
        assert!(
            e.starts_with("Ngày giao quân 04/03/2027 là ngày trong tương lai"),
            "{e}"
        );
        assert!(e.contains("07/12/2026"), "{e}");
    }

    #[test]
    fn acts_dated_ahead_need_a_confirmation() {
        let today = date!(2026 - 12 - 07);
        assert_eq!(check_act_date("Ngày quyết định", today, today, false), Ok(()));
        let e = check_act_date("Ngày quyết định", date!(2027 - 02 - 05), today, false).unwrap_err();
        assert!(e.contains("60 ngày sau hôm nay"), "{e}");
        assert!(e.contains("Xác nhận ngày sau hôm nay"), "{e}");
        assert_eq!(
            check_act_date("Ngày quyết định", date!(2027 - 02 - 05), today, true),
            Ok(())
        );
    }

    #[test]
    fn within_a_period() {
        let (from, to) = (date!(2026 - 01 - 01), date!(2027 - 12 - 31));
        assert_eq!(
            check_within("Ngày khám", date!(2026 - 11 - 02), from, to, "đợt"),
            Ok(())
        );
        let e = check_within("Ngày khám", date!(2025 - 11 - 02), from, to, "đợt tuyển quân năm 2027").unwrap_err();
        assert_eq!(
            e,
            "Ngày khám 02/11/2025 nằm ngoài đợt tuyển quân năm 2027 (01/01/2026 – 31/12/2027)."
        );
    }
}
