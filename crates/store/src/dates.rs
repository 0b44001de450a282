//! Dates as the store keeps and shows them: ISO `YYYY-MM-DD` in every date column and in JSON,
//! `DD/MM/YYYY` in Vietnamese messages.

use time::{Date, Month};

/// `YYYY-MM-DD`, the form every date column holds.
pub(crate) fn iso(d: Date) -> String {
    let y = d.year();
    if !(0..=9999).contains(&y) {
        return format!("{:04}-{:02}-{:02}", y, d.month() as u8, d.day());
    }
    // Written digit by digit: the import formats one date per row, and `format!` was a
    // measurable share of its row check.
    let digit = |v: u32| char::from(b'0' + (v % 10) as u8);
    let y = y as u32;
    let (m, day) = (u32::from(d.month() as u8), u32::from(d.day()));
    [
        digit(y / 1000),
        digit(y / 100),
        digit(y / 10),
        digit(y),
        '-',
        digit(m / 10),
        digit(m),
        '-',
        digit(day / 10),
        digit(day),
    ]
    .into_iter()
    .collect()
}

pub(crate) use phongthu_domain::dates::vi_date;

/// Reads a date column (`YYYY-MM-DD`, possibly followed by a time).
pub(crate) fn parse_iso(s: &str) -> Option<Date> {
    let mut it = s.splitn(3, '-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u8 = it.next()?.parse().ok()?;
    let d: u8 = it.next()?.get(..2)?.parse().ok()?;
    Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
}

/// Serde: a date as ISO text.
pub(crate) fn ser_date<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&iso(*d))
}

/// Serde: an optional date as ISO text or null.
pub(crate) fn ser_opt_date<S: serde::Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&iso(*d)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn round_trips() {
        let d = date!(2025 - 07 - 01);
        assert_eq!(iso(d), "2025-07-01");
        assert_eq!(vi_date(d), "01/07/2025");
        assert_eq!(parse_iso("2025-07-01"), Some(d));
        assert_eq!(parse_iso("2025-07-01T10:00:00Z"), Some(d));
        assert_eq!(parse_iso("2025-02-30"), None);
        assert_eq!(parse_iso("x"), None);
    }

    #[test]
    fn iso_is_the_plain_format_on_every_day() {
        let mut d = date!(1899 - 12 - 25);
        while d < date!(2101 - 01 - 05) {
            let plain = format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day());
            assert_eq!(iso(d), plain);
            assert_eq!(parse_iso(&plain), Some(d));
            d = d.next_day().unwrap();
        }
        assert_eq!(iso(date!(-0005 - 01 - 01)), format!("{:04}-01-01", -5));
        assert_eq!(iso(date!(0005 - 01 - 01)), "0005-01-01");
    }
}
