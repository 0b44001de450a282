//! The annual cycle: a recurring task of year N is planned again for year N+1 (last year's
//! recurring tasks are copied into the new year's plan).

use time::{Date, Month};

/// The same day one year later; 29 February becomes 28 February, and the last day of a month stays
/// the last day of that month.
pub fn next_year_date(d: Date) -> Option<Date> {
    let year = d.year() + 1;
    let last_of_month = d.next_day().is_none_or(|n| n.month() != d.month());
    let last_next = last_day(year, d.month())?;
    if last_of_month {
        return Some(last_next);
    }
    Date::from_calendar_date(year, d.month(), d.day().min(last_next.day())).ok()
}

fn last_day(year: i32, month: Month) -> Option<Date> {
    let first_next = if month == Month::December {
        Date::from_calendar_date(year + 1, Month::January, 1)
    } else {
        Date::from_calendar_date(year, month.next(), 1)
    }
    .ok()?;
    first_next.previous_day()
}

/// A deadline as written, moved from `from` to `to`: every standalone four-digit `from` becomes
/// `to` ("quý II/2025" → "quý II/2026", "30/6/2025" → "30/6/2026"). Digits inside longer numbers
/// are left alone. `None` when the text does not name the year `from`.
pub fn shift_deadline_text(text: &str, from: i32, to: i32) -> Option<String> {
    let from_s = from.to_string();
    let to_s = to.to_string();
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut changed = false;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let run: String = chars[start..i].iter().collect();
            if run == from_s {
                out.push_str(&to_s);
                changed = true;
            } else {
                out.push_str(&run);
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn dates_move_by_one_year() {
        assert_eq!(next_year_date(date!(2025 - 06 - 15)), Some(date!(2026 - 06 - 15)));
        assert_eq!(next_year_date(date!(2024 - 02 - 29)), Some(date!(2025 - 02 - 28)));
        assert_eq!(next_year_date(date!(2023 - 02 - 28)), Some(date!(2024 - 02 - 29)));
        assert_eq!(next_year_date(date!(2025 - 12 - 31)), Some(date!(2026 - 12 - 31)));
    }

    #[test]
    fn deadline_texts_move_their_year() {
        assert_eq!(
            shift_deadline_text("quý II/2025", 2025, 2026).as_deref(),
            Some("quý II/2026")
        );
        assert_eq!(
            shift_deadline_text("30/6/2025", 2025, 2026).as_deref(),
            Some("30/6/2026")
        );
        assert_eq!(shift_deadline_text("2025-06", 2025, 2026).as_deref(), Some("2026-06"));
        assert_eq!(shift_deadline_text("năm 20250", 2025, 2026), None);
        assert_eq!(shift_deadline_text("thường xuyên", 2025, 2026), None);
    }
}
