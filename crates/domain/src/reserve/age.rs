//! Age arithmetic shared by the reserve and militia rules.
//!
//! The laws state age limits as "up to the end of age N" (hết N tuổi): a person is within the limit
//! on a day strictly before their (N+1)th birthday. A 29 February birthday falls on 28 February in a
//! common year (contract `reserve-assign.md`).

use serde::{Deserialize, Serialize};
use time::{Date, Month};

/// Sex, as recorded in the registers (`"male"` / `"female"` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    pub fn parse(s: &str) -> Option<Sex> {
        match s {
            "male" => Some(Sex::Male),
            "female" => Some(Sex::Female),
            _ => None,
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Sex::Male => "nam",
            Sex::Female => "nữ",
        }
    }
}

/// The same month and day as `birth` in `year`; 29 February becomes 28 February in a common year.
pub fn anniversary_in_year(birth: Date, year: i32) -> Date {
    let day = birth.day();
    Date::from_calendar_date(year, birth.month(), day).unwrap_or_else(|_| {
        // 29 February in a common year; or a year outside the calendar (a date stored near its
        // ends before dates were bounded): its first or last day, not a panic.
        Date::from_calendar_date(year, Month::February, 28).unwrap_or(if year < birth.year() {
            Date::MIN
        } else {
            Date::MAX
        })
    })
}

/// The `n`th birthday of someone born on `birth`.
pub fn birthday(birth: Date, n: i32) -> Date {
    anniversary_in_year(birth, birth.year() + n)
}

/// Completed years of age on `on` (0 before the first birthday; negative if `on` < `birth`).
pub fn age_on(birth: Date, on: Date) -> i32 {
    let mut years = on.year() - birth.year();
    if on < anniversary_in_year(birth, on.year()) {
        years -= 1;
    }
    years
}

/// Whether `on` is no later than the end of age `n`, i.e. strictly before the (n+1)th birthday.
pub fn within_end_of_age(birth: Date, n: i32, on: Date) -> bool {
    on < birthday(birth, n + 1)
}

/// The last day within "the end of age `n`": the day before the (n+1)th birthday.
pub fn last_day_of_age(birth: Date, n: i32) -> Date {
    birthday(birth, n + 1).previous_day().unwrap_or(Date::MIN)
}

/// `date` plus a number of calendar months, the day clamped to the end of the target month
/// (31 March + 1 month = 30 April; 29 February + 12 months = 28 February).
///
/// Checked: a result past the calendar's ends (a date stored near them before dates were
/// bounded, a huge count of months) is the calendar's last (or first) day, not a panic.
pub fn add_months(date: Date, months: i32) -> Date {
    let beyond = if months < 0 { Date::MIN } else { Date::MAX };
    let Some(total) = (date.year() * 12 + (date.month() as i32 - 1)).checked_add(months) else {
        return beyond;
    };
    let year = total.div_euclid(12);
    let Ok(month) = Month::try_from((total.rem_euclid(12) + 1) as u8) else {
        return beyond;
    };
    let last = time::util::days_in_month(month, year);
    Date::from_calendar_date(year, month, date.day().min(last)).unwrap_or(beyond)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn months_past_the_calendar_saturate() {
        assert_eq!(add_months(date!(2025 - 01 - 31), 1), date!(2025 - 02 - 28));
        assert_eq!(add_months(date!(9999 - 06 - 15), 24), Date::MAX);
        assert_eq!(add_months(date!(2025 - 01 - 01), i32::MAX), Date::MAX);
        assert_eq!(add_months(date!(2025 - 01 - 01), i32::MIN), Date::MIN);
        assert_eq!(birthday(date!(9999 - 03 - 01), 35), Date::MAX);
        assert_eq!(
            last_day_of_age(date!(9990 - 03 - 01), 35),
            Date::MAX.previous_day().unwrap()
        );
    }

    #[test]
    fn end_of_age_boundaries() {
        let b = date!(1990 - 07 - 01);
        assert!(within_end_of_age(b, 35, date!(2026 - 06 - 30)));
        assert!(!within_end_of_age(b, 35, date!(2026 - 07 - 01)));
        assert_eq!(last_day_of_age(b, 35), date!(2026 - 06 - 30));
        assert_eq!(age_on(b, date!(2026 - 06 - 30)), 35);
        assert_eq!(age_on(b, date!(2026 - 07 - 01)), 36);
    }

    #[test]
    fn leap_day_birthdays_fall_on_28_february_in_common_years() {
        let b = date!(1980 - 02 - 29);
        // 46th birthday in 2026 (common year) is 28 February.
        assert_eq!(birthday(b, 46), date!(2026 - 02 - 28));
        assert!(within_end_of_age(b, 45, date!(2026 - 02 - 27)));
        assert!(!within_end_of_age(b, 45, date!(2026 - 02 - 28)));
        assert_eq!(age_on(b, date!(2026 - 02 - 28)), 46);
        // In a leap year the birthday is 29 February itself.
        assert_eq!(birthday(b, 44), date!(2024 - 02 - 29));
        assert!(within_end_of_age(b, 43, date!(2024 - 02 - 28)));
    }

    #[test]
    fn months_clamp_to_month_end() {
        assert_eq!(add_months(date!(2025 - 03 - 31), 1), date!(2025 - 04 - 30));
        assert_eq!(add_months(date!(2024 - 02 - 29), 12), date!(2025 - 02 - 28));
        assert_eq!(add_months(date!(2024 - 11 - 15), 26), date!(2027 - 01 - 15));
        assert_eq!(add_months(date!(2024 - 01 - 15), -1), date!(2023 - 12 - 15));
    }
}
