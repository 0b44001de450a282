//! Militia service: age limits, the term, extensions and end-of-term lists (Luật DQTV Art. 8;
//! law brief §3).
//!
//! - Obligation: men 18 to the end of 45, women 18 to the end of 40; volunteers may serve to the end
//!   of 50 (men) and 45 (women) (Art. 8.1).
//! - Term: 4 years; 2 years for standing militia (Art. 8.2).
//! - Extension: up to 2 years; maritime militia, self-defence and unit commanders may be extended
//!   further, within the age limits. The brief does not say which age limit bounds a further
//!   extension; this module uses the member's own limit (the volunteer limit for volunteers).
//!   UNCONFIRMED.
//! - Dates: a term that starts on D ends on the day before D + term (29 February → 28 February);
//!   service ends earlier if the member reaches the end of their age limit.

use super::kinds::{CommanderPost, ForceType, MilitiaKind};
use crate::reserve::age::{add_months, age_on, last_day_of_age, Sex};
use serde::{Deserialize, Serialize};
use std::fmt;
use time::Date;

/// Minimum age for militia duty.
pub const MIN_AGE: i32 = 18;
/// Maximum ordinary extension, in months (2 years).
pub const MAX_EXTENSION_MONTHS: u32 = 24;

/// The upper age limit ("to the end of age N") for a member.
pub fn age_limit(sex: Sex, volunteer: bool) -> i32 {
    match (sex, volunteer) {
        (Sex::Male, false) => 45,
        (Sex::Female, false) => 40,
        (Sex::Male, true) => 50,
        (Sex::Female, true) => 45,
    }
}

/// Term of service in years.
pub fn term_years(kind: MilitiaKind) -> i32 {
    if kind == MilitiaKind::Standing {
        2
    } else {
        4
    }
}

/// A member of the militia or self-defence force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilitiaMember {
    pub id: String,
    pub full_name: String,
    pub force: ForceType,
    pub kind: MilitiaKind,
    pub sex: Sex,
    pub birth_date: Date,
    /// Serves voluntarily beyond the obligation age.
    pub volunteer: bool,
    pub post: Option<CommanderPost>,
    /// First day of the term.
    pub start_date: Date,
    /// Months of extension already decided.
    pub extension_months: u32,
}

/// Whether an age is acceptable on a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgeCheck {
    Ok,
    TooYoung { age: i32 },
    OverLimit { age: i32, limit: i32 },
}

/// Check a member's age on `on` against 18 and the obligation or volunteer limit.
pub fn check_age(birth: Date, sex: Sex, volunteer: bool, on: Date) -> AgeCheck {
    let age = age_on(birth, on);
    let limit = age_limit(sex, volunteer);
    if age < MIN_AGE {
        AgeCheck::TooYoung { age }
    } else if age > limit {
        AgeCheck::OverLimit { age, limit }
    } else {
        AgeCheck::Ok
    }
}

/// Why service ends on its date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    TermCompleted,
    AgeLimit,
}

impl EndReason {
    pub fn label_vi(self) -> &'static str {
        match self {
            EndReason::TermCompleted => "hết thời hạn thực hiện nghĩa vụ",
            EndReason::AgeLimit => "hết tuổi thực hiện nghĩa vụ",
        }
    }
}

impl MilitiaMember {
    pub fn age_limit(&self) -> i32 {
        age_limit(self.sex, self.volunteer)
    }

    /// May be extended beyond 2 years (maritime militia, self-defence, unit commanders).
    pub fn may_extend_beyond_two_years(&self) -> bool {
        self.kind == MilitiaKind::Maritime || self.force == ForceType::SelfDefense || self.post.is_some()
    }

    /// Last day of the term including `extension_months`, ignoring age.
    pub fn term_last_day(&self, extension_months: u32) -> Date {
        let months = term_years(self.kind) * 12 + extension_months as i32;
        add_months(self.start_date, months).previous_day().unwrap_or(Date::MIN)
    }

    /// Last day of service and why: the end of the term (with the decided extension) or the end of
    /// the age limit, whichever comes first.
    pub fn service_end(&self) -> (Date, EndReason) {
        let term = self.term_last_day(self.extension_months);
        let age = last_day_of_age(self.birth_date, self.age_limit());
        if age < term {
            (age, EndReason::AgeLimit)
        } else {
            (term, EndReason::TermCompleted)
        }
    }

    /// Check a proposed total extension (months) against the rules.
    pub fn check_extension(&self, total_months: u32) -> Result<(), ExtensionError> {
        if total_months > MAX_EXTENSION_MONTHS && !self.may_extend_beyond_two_years() {
            return Err(ExtensionError::BeyondTwoYears {
                requested_months: total_months,
            });
        }
        let end = self.term_last_day(total_months);
        let limit_day = last_day_of_age(self.birth_date, self.age_limit());
        if end > limit_day {
            return Err(ExtensionError::PastAgeLimit {
                limit: self.age_limit(),
                last_day: limit_day,
            });
        }
        Ok(())
    }
}

/// Why an extension is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtensionError {
    BeyondTwoYears { requested_months: u32 },
    PastAgeLimit { limit: i32, last_day: Date },
}

impl fmt::Display for ExtensionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExtensionError::BeyondTwoYears { requested_months } => write!(
                f,
                "Không thể kéo dài {requested_months} tháng vì chỉ được kéo dài tối đa 2 năm, trừ dân quân biển, tự vệ và chỉ huy đơn vị."
            ),
            ExtensionError::PastAgeLimit { limit, last_day } => write!(
                f,
                "Không thể kéo dài vì thời hạn mới vượt quá hết {limit} tuổi (ngày {:02}/{:02}/{}).",
                last_day.day(),
                last_day.month() as u8,
                last_day.year()
            ),
        }
    }
}

impl std::error::Error for ExtensionError {}

/// One line of an end-of-term list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndOfTerm {
    pub member_id: String,
    pub full_name: String,
    pub last_day: Date,
    pub reason: EndReason,
}

/// Members whose service ends within `from..=to`, by date, then Vietnamese name order, then id.
pub fn end_of_term_list(members: &[MilitiaMember], from: Date, to: Date) -> Vec<EndOfTerm> {
    let mut out: Vec<(String, EndOfTerm)> = members
        .iter()
        .filter_map(|m| {
            let (last_day, reason) = m.service_end();
            (from <= last_day && last_day <= to).then(|| {
                (
                    crate::text::person_collation_key(&m.full_name),
                    EndOfTerm {
                        member_id: m.id.clone(),
                        full_name: m.full_name.clone(),
                        last_day,
                        reason,
                    },
                )
            })
        })
        .collect();
    out.sort_by(|a, b| (a.1.last_day, &a.0, &a.1.member_id).cmp(&(b.1.last_day, &b.0, &b.1.member_id)));
    out.into_iter().map(|(_, e)| e).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn member(kind: MilitiaKind, force: ForceType) -> MilitiaMember {
        MilitiaMember {
            id: "m1".into(),
            full_name: "Nguyễn Văn An".into(),
            force,
            kind,
            sex: Sex::Male,
            birth_date: date!(1995 - 05 - 10),
            volunteer: false,
            post: None,
            start_date: date!(2024 - 03 - 01),
            extension_months: 0,
        }
    }

    #[test]
    fn ages() {
        let on = date!(2026 - 06 - 30);
        assert_eq!(
            check_age(date!(2008 - 07 - 01), Sex::Male, false, on),
            AgeCheck::TooYoung { age: 17 }
        );
        assert_eq!(check_age(date!(2008 - 06 - 30), Sex::Male, false, on), AgeCheck::Ok);
        assert_eq!(check_age(date!(1980 - 07 - 01), Sex::Male, false, on), AgeCheck::Ok);
        assert_eq!(
            check_age(date!(1980 - 06 - 30), Sex::Male, false, on),
            AgeCheck::OverLimit { age: 46, limit: 45 }
        );
        assert_eq!(check_age(date!(1980 - 06 - 30), Sex::Male, true, on), AgeCheck::Ok);
        assert_eq!(
            check_age(date!(1985 - 06 - 30), Sex::Female, false, on),
            AgeCheck::OverLimit { age: 41, limit: 40 }
        );
        assert_eq!(check_age(date!(1985 - 06 - 30), Sex::Female, true, on), AgeCheck::Ok);
    }

    #[test]
    fn terms_and_ends() {
        let m = member(MilitiaKind::Mobile, ForceType::Militia);
        assert_eq!(m.service_end(), (date!(2028 - 02 - 29), EndReason::TermCompleted));
        let s = member(MilitiaKind::Standing, ForceType::Militia);
        assert_eq!(s.service_end(), (date!(2026 - 02 - 28), EndReason::TermCompleted));
        // Age limit comes first: born 1980-06-01, last day of 45 is 2026-05-31.
        let mut old = member(MilitiaKind::OnSite, ForceType::Militia);
        old.birth_date = date!(1980 - 06 - 01);
        assert_eq!(old.service_end(), (date!(2026 - 05 - 31), EndReason::AgeLimit));
    }

    #[test]
    fn extensions() {
        let m = member(MilitiaKind::OnSite, ForceType::Militia);
        assert!(m.check_extension(24).is_ok());
        let e = m.check_extension(25).unwrap_err();
        assert!(matches!(e, ExtensionError::BeyondTwoYears { .. }));
        assert!(e.to_string().contains("tối đa 2 năm"));
        let sea = member(MilitiaKind::Maritime, ForceType::Militia);
        assert!(sea.check_extension(36).is_ok());
        let sd = member(MilitiaKind::OnSite, ForceType::SelfDefense);
        assert!(sd.check_extension(60).is_ok());
        let mut cmd = member(MilitiaKind::OnSite, ForceType::Militia);
        cmd.post = Some(CommanderPost::VillageMilitiaLeader);
        assert!(cmd.check_extension(48).is_ok());
        // Beyond the age limit: born 1995-05-10 → last day of 45 is 2041-05-09.
        assert!(matches!(
            cmd.check_extension(200),
            Err(ExtensionError::PastAgeLimit { limit: 45, .. })
        ));
    }

    #[test]
    fn end_of_term_list_filters_and_sorts() {
        let mut a = member(MilitiaKind::Standing, ForceType::Militia);
        a.id = "a".into();
        a.full_name = "Trần Thị Bình".into();
        let mut b = member(MilitiaKind::Standing, ForceType::Militia);
        b.id = "b".into();
        b.full_name = "Lê Văn An".into();
        let c = member(MilitiaKind::Mobile, ForceType::Militia);
        let list = end_of_term_list(&[a, b, c], date!(2026 - 01 - 01), date!(2026 - 12 - 31));
        let ids: Vec<&str> = list.iter().map(|e| e.member_id.as_str()).collect();
        assert_eq!(ids, ["b", "a"]); // same day: An before Bình
    }
}
