//! Indicators: what the system measures from its own data so that a task's progress is not only
//! what the assignee reports ("a task can be tied to a measurable indicator").
//!
//! An [`IndicatorKind`] names a count the store can take over the assignee unit's subtree for a
//! year; the store reads the two numbers ([`Measurement`]: how many are done of how many are due)
//! and this module turns them into a percent and compares it with the task's target percent.
//!
//! Adding a kind is: one variant here with its code and labels, and one arm in the store's
//! measurement `match`; the compiler points at every place that must learn the new kind.

use serde::{Deserialize, Serialize};

/// The indicators the system can compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// Men who turn 17 in the year and have made their first military-service registration, of
    /// those who must (LNVQS Art. 12; law brief §1.3).
    FirstRegistration,
    /// Commune commands under the unit whose share of the year's call-up quota has been saved, of
    /// all commune commands under it.
    QuotaSplit,
    /// Militia and self-defence members serving in the year who trained the legal days, of all
    /// members serving (Luật DQTV 48/2019; law brief §3).
    MilitiaTraining,
    /// Citizens handed over to the army in the call-up of the year (handover in that year), of the
    /// quota given to the communes under the unit ("100% chỉ tiêu" in every seed).
    QuotaHandedOver,
}

impl IndicatorKind {
    pub const ALL: [IndicatorKind; 4] = [
        IndicatorKind::FirstRegistration,
        IndicatorKind::QuotaSplit,
        IndicatorKind::MilitiaTraining,
        IndicatorKind::QuotaHandedOver,
    ];

    /// The code stored with a task.
    pub fn code(self) -> &'static str {
        match self {
            IndicatorKind::FirstRegistration => "first_registration",
            IndicatorKind::QuotaSplit => "quota_split",
            IndicatorKind::MilitiaTraining => "militia_training",
            IndicatorKind::QuotaHandedOver => "quota_handed_over",
        }
    }

    pub fn parse(code: &str) -> Option<IndicatorKind> {
        IndicatorKind::ALL.into_iter().find(|k| k.code() == code.trim())
    }

    /// The name shown in the forms.
    pub fn label_vi(self) -> &'static str {
        match self {
            IndicatorKind::FirstRegistration => "Tỷ lệ nam công dân đủ 17 tuổi trong năm đã đăng ký NVQS lần đầu",
            IndicatorKind::QuotaSplit => "Tỷ lệ Ban CHQS cấp xã đã được giao chỉ tiêu gọi công dân nhập ngũ",
            IndicatorKind::MilitiaTraining => "Tỷ lệ dân quân tự vệ huấn luyện đủ số ngày theo luật",
            IndicatorKind::QuotaHandedOver => "Tỷ lệ công dân đã giao quân so với chỉ tiêu gọi nhập ngũ",
        }
    }

    /// What the numerator and denominator count: ("đã đăng ký", "phải đăng ký").
    pub fn counts_vi(self) -> (&'static str, &'static str) {
        match self {
            IndicatorKind::FirstRegistration => ("đã đăng ký", "công dân phải đăng ký"),
            IndicatorKind::QuotaSplit => ("đã giao chỉ tiêu", "Ban CHQS cấp xã"),
            IndicatorKind::MilitiaTraining => ("huấn luyện đủ ngày", "chiến sĩ trong năm"),
            IndicatorKind::QuotaHandedOver => ("đã giao quân", "chỉ tiêu"),
        }
    }
}

/// How many are done of how many are due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Measurement {
    pub done: u64,
    pub due: u64,
}

/// Where a measurement stands against the target percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Attainment {
    /// Nothing is due (no base to measure against): neither met nor behind.
    NoBase,
    Met,
    /// `missing` more must be done to reach the target.
    Behind {
        missing: u64,
    },
}

impl Measurement {
    /// The percent done, rounded down (so 99.6% is not shown as done); `None` when nothing is due.
    /// More done than due (a late registration counted in a later year) is capped at 100.
    pub fn percent(self) -> Option<u32> {
        if self.due == 0 {
            return None;
        }
        let done = self.done.min(self.due) as u128;
        Some((done * 100 / self.due as u128) as u32)
    }

    /// The least number done that reaches `target_percent` of what is due (rounded up).
    pub fn needed_for(self, target_percent: u32) -> u64 {
        let t = u128::from(target_percent.min(100));
        ((u128::from(self.due) * t).div_ceil(100)) as u64
    }

    /// Compares with a target percent (0..=100; above 100 is read as 100).
    pub fn against(self, target_percent: u32) -> Attainment {
        if self.due == 0 {
            return Attainment::NoBase;
        }
        let needed = self.needed_for(target_percent);
        if self.done >= needed {
            Attainment::Met
        } else {
            Attainment::Behind {
                missing: needed - self.done,
            }
        }
    }

    /// "45/50 đã đăng ký (90%)", or a sentence saying nothing is due.
    pub fn describe_vi(self, kind: IndicatorKind) -> String {
        let (done, due) = kind.counts_vi();
        match self.percent() {
            None => format!("chưa có {due} nào để đo"),
            Some(p) => format!("{}/{} {due} {done} ({p}%)", self.done, self.due),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for k in IndicatorKind::ALL {
            assert_eq!(IndicatorKind::parse(k.code()), Some(k));
        }
        assert_eq!(IndicatorKind::parse("handover"), None);
    }

    #[test]
    fn percent_rounds_down_and_caps() {
        let m = |done, due| Measurement { done, due };
        assert_eq!(m(0, 0).percent(), None);
        assert_eq!(m(45, 50).percent(), Some(90));
        assert_eq!(m(2, 3).percent(), Some(66));
        assert_eq!(m(199, 200).percent(), Some(99));
        assert_eq!(m(7, 5).percent(), Some(100));
        assert_eq!(m(u64::MAX, u64::MAX).percent(), Some(100));
    }

    #[test]
    fn target_comparison_counts_what_is_missing() {
        let m = |done, due| Measurement { done, due };
        assert_eq!(m(45, 50).against(100), Attainment::Behind { missing: 5 });
        assert_eq!(m(45, 50).against(90), Attainment::Met);
        // 95% of 3 is 2.85: three are needed.
        assert_eq!(m(2, 3).against(95), Attainment::Behind { missing: 1 });
        assert_eq!(m(3, 3).against(150), Attainment::Met);
        assert_eq!(m(0, 0).against(100), Attainment::NoBase);
        assert_eq!(m(0, 10).against(0), Attainment::Met);
        assert_eq!(m(1, 7).needed_for(50), 4);
    }

    #[test]
    fn description_names_the_counts() {
        let s = Measurement { done: 45, due: 50 }.describe_vi(IndicatorKind::FirstRegistration);
        assert_eq!(s, "45/50 công dân phải đăng ký đã đăng ký (90%)");
        assert!(Measurement { done: 0, due: 0 }
            .describe_vi(IndicatorKind::QuotaSplit)
            .starts_with("chưa có"));
    }
}
