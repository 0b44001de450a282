//! Peacetime training days (Luật DQTV Art. 28.1; law brief §3), training shortfalls per member and
//! per unit, and strength against a target ratio.
//!
//! - Year 1: 15 days for every kind except standing militia.
//! - Year 2 onward: 12 days for mobile, maritime and the arms branches (air defence, artillery,
//!   reconnaissance, signals, engineering, chemical, medical); 7 days for on-site units.
//! - Standing militia: 60 days every year.
//!
//! "Year 1" is counted here by calendar year: the calendar year in which the term started is year 1
//! (training plans are annual). The brief does not define the count. UNCONFIRMED.
//!
//! The militia-to-population ratio is UNCONFIRMED in law (planning documents cite about 1.2–1.4%),
//! so the target is a setting passed in, never a constant.

use super::kinds::MilitiaKind;
use super::service::MilitiaMember;
use serde::{Deserialize, Serialize};

/// Required training days in the `service_year`th year of service (1-based).
pub fn required_training_days(kind: MilitiaKind, service_year: u32) -> u32 {
    match kind {
        MilitiaKind::Standing => 60,
        _ if service_year <= 1 => 15,
        MilitiaKind::OnSite => 7,
        _ => 12,
    }
}

/// The training-days rule in one Vietnamese sentence, for lists and reports; built from
/// [`required_training_days`] so that the text never disagrees with the rule applied.
pub fn training_days_rule_vi() -> String {
    format!(
        "Số ngày huấn luyện theo Điều 28 Luật Dân quân tự vệ (năm thứ nhất {} ngày; các năm sau {} ngày với dân quân cơ động, biển, binh chủng, {} ngày với dân quân tại chỗ; dân quân thường trực {} ngày)",
        required_training_days(MilitiaKind::OnSite, 1),
        required_training_days(MilitiaKind::Mobile, 2),
        required_training_days(MilitiaKind::OnSite, 2),
        required_training_days(MilitiaKind::Standing, 2),
    )
}

/// The service year (1-based) that `calendar_year` is for a term starting on `start`; 0 if the
/// term has not started by then.
pub fn service_year(start: time::Date, calendar_year: i32) -> u32 {
    (calendar_year - start.year() + 1).max(0) as u32
}

/// One member's training in a calendar year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrainingShortfall {
    pub member_id: String,
    pub required: u32,
    pub attended: u32,
    /// Days still missing (0 when done).
    pub missing: u32,
}

impl TrainingShortfall {
    pub fn message_vi(&self) -> String {
        if self.missing == 0 {
            format!("Đã huấn luyện đủ {}/{} ngày trong năm.", self.attended, self.required)
        } else {
            format!(
                "Còn thiếu {} ngày huấn luyện (đã học {}/{} ngày).",
                self.missing, self.attended, self.required
            )
        }
    }
}

/// The member's shortfall in `calendar_year` given the days attended.
pub fn member_shortfall(m: &MilitiaMember, calendar_year: i32, attended: u32) -> TrainingShortfall {
    let year = service_year(m.start_date, calendar_year);
    let required = if year == 0 {
        0
    } else {
        required_training_days(m.kind, year)
    };
    TrainingShortfall {
        member_id: m.id.clone(),
        required,
        attended,
        missing: required.saturating_sub(attended),
    }
}

/// A unit's training summary in a calendar year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitTraining {
    pub required_days: u64,
    pub attended_days: u64,
    pub missing_days: u64,
    pub members: usize,
    /// Members who still miss days, most missing first (then by id).
    pub short: Vec<TrainingShortfall>,
}

/// Summarise a unit from `(member, days attended)`; days attended beyond the requirement do not
/// offset another member's shortfall.
pub fn unit_shortfall<'a, I>(members: I, calendar_year: i32) -> UnitTraining
where
    I: IntoIterator<Item = (&'a MilitiaMember, u32)>,
{
    let mut u = UnitTraining {
        required_days: 0,
        attended_days: 0,
        missing_days: 0,
        members: 0,
        short: Vec::new(),
    };
    for (m, attended) in members {
        let s = member_shortfall(m, calendar_year, attended);
        u.members += 1;
        u.required_days += s.required as u64;
        u.attended_days += s.attended.min(s.required) as u64;
        u.missing_days += s.missing as u64;
        if s.missing > 0 {
            u.short.push(s);
        }
    }
    u.short
        .sort_by(|a, b| b.missing.cmp(&a.missing).then_with(|| a.member_id.cmp(&b.member_id)));
    u
}

/// A target ratio of core militia to population, in basis points (1/100 of a percent): 130 = 1.30%.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetRatio {
    pub basis_points: u32,
}

impl TargetRatio {
    /// Parse a percentage such as `"1,3"`, `"1.25"` or `"1,3%"`, at most two decimals, 0–100.
    pub fn parse_percent(s: &str) -> Result<TargetRatio, String> {
        let t = s.trim().trim_end_matches('%').trim().replace(',', ".");
        let err =
            || format!("Tỷ lệ \"{s}\" không hợp lệ: cần một số phần trăm từ 0 đến 100, tối đa hai chữ số thập phân.");
        let (int, frac) = t.split_once('.').unwrap_or((&t, ""));
        if int.is_empty()
            || frac.len() > 2
            || !int.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
        {
            return Err(err());
        }
        let int: u32 = int.parse().map_err(|_| err())?;
        let frac: u32 = format!("{frac:0<2}").parse().map_err(|_| err())?;
        let bp = int.checked_mul(100).and_then(|v| v.checked_add(frac)).ok_or_else(err)?;
        if bp > 10_000 {
            return Err(err());
        }
        Ok(TargetRatio { basis_points: bp })
    }
}

/// Strength against the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Strength {
    pub population: u64,
    /// Target headcount, rounded up.
    pub target: u64,
    pub actual: u64,
    pub shortfall: u64,
    pub surplus: u64,
    /// Actual headcount per 10,000 inhabitants (basis points), rounded down.
    pub actual_basis_points: u64,
}

impl Strength {
    pub fn message_vi(&self) -> String {
        if self.shortfall > 0 {
            format!(
                "Quân số {}/{} theo chỉ tiêu, còn thiếu {} người.",
                self.actual, self.target, self.shortfall
            )
        } else {
            format!("Quân số {}/{} theo chỉ tiêu, đạt chỉ tiêu.", self.actual, self.target)
        }
    }
}

/// Compare the actual strength with `ratio` of `population`.
pub fn strength_vs_target(population: u64, actual: u64, ratio: TargetRatio) -> Strength {
    let target = (population * ratio.basis_points as u64).div_ceil(10_000);
    Strength {
        population,
        target,
        actual,
        shortfall: target.saturating_sub(actual),
        surplus: actual.saturating_sub(target),
        actual_basis_points: (actual * 10_000).checked_div(population).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::militia::kinds::ForceType;
    use crate::reserve::age::Sex;
    use time::macros::date;

    #[test]
    fn days_by_kind_and_year() {
        assert_eq!(required_training_days(MilitiaKind::OnSite, 1), 15);
        assert_eq!(required_training_days(MilitiaKind::OnSite, 2), 7);
        assert_eq!(required_training_days(MilitiaKind::Mobile, 3), 12);
        assert_eq!(required_training_days(MilitiaKind::Medical, 2), 12);
        assert_eq!(required_training_days(MilitiaKind::Maritime, 1), 15);
        assert_eq!(required_training_days(MilitiaKind::Standing, 1), 60);
        assert!(training_days_rule_vi().contains("năm thứ nhất 15 ngày; các năm sau 12 ngày"));
        assert!(training_days_rule_vi().contains("7 ngày với dân quân tại chỗ; dân quân thường trực 60 ngày"));
        assert_eq!(required_training_days(MilitiaKind::Standing, 2), 60);
    }

    fn m(id: &str, kind: MilitiaKind, start: time::Date) -> MilitiaMember {
        MilitiaMember {
            id: id.into(),
            full_name: "Phạm Văn C".into(),
            force: ForceType::Militia,
            kind,
            sex: Sex::Male,
            birth_date: date!(2000 - 01 - 01),
            volunteer: false,
            post: None,
            start_date: start,
            extension_months: 0,
        }
    }

    #[test]
    fn shortfalls() {
        let a = m("a", MilitiaKind::OnSite, date!(2025 - 03 - 01));
        let b = m("b", MilitiaKind::Mobile, date!(2026 - 03 - 01));
        let c = m("c", MilitiaKind::Standing, date!(2026 - 01 - 10));
        let d = m("d", MilitiaKind::Mobile, date!(2027 - 01 - 10));
        assert_eq!(member_shortfall(&a, 2026, 5).missing, 2);
        assert_eq!(member_shortfall(&d, 2026, 0).required, 0);
        let u = unit_shortfall([(&a, 9), (&b, 10), (&c, 60), (&d, 0)], 2026);
        assert_eq!(u.required_days, 7 + 15 + 60);
        assert_eq!(u.attended_days, 7 + 10 + 60);
        assert_eq!(u.missing_days, 5);
        assert_eq!(u.short.len(), 1);
        assert_eq!(u.short[0].member_id, "b");
        assert!(u.short[0].message_vi().contains("thiếu 5 ngày"));
    }

    #[test]
    fn strength() {
        let r = TargetRatio::parse_percent("1,3%").unwrap();
        assert_eq!(r.basis_points, 130);
        assert_eq!(TargetRatio::parse_percent("1.25").unwrap().basis_points, 125);
        assert!(TargetRatio::parse_percent("1,234").is_err());
        assert!(TargetRatio::parse_percent("abc").is_err());
        assert!(TargetRatio::parse_percent("101").is_err());
        let s = strength_vs_target(12_345, 150, r);
        assert_eq!(s.target, 161); // 160.485 rounded up
        assert_eq!(s.shortfall, 11);
        assert_eq!(s.actual_basis_points, 121);
        assert!(s.message_vi().contains("thiếu 11"));
        assert_eq!(strength_vs_target(1000, 20, r).surplus, 7);
    }
}
