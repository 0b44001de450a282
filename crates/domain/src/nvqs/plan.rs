//! A cycle's settings: its timetable and the caps on its lists.
//!
//! The timetable's steps and default dates follow the yearly workflow of law brief §1.4 (the
//! examination window 1 Nov–31 Dec is the law, Art. 40; the other dates are one city's plan for
//! the 2026 intake, offered as defaults that every cycle may change). The caps are settings with
//! defaults from practice, except the replacement cap and window, which TT 148/2018 Art. 7 fixes
//! (law brief §1.7).

use std::fmt;
use time::{Date, Month};

/// A step of the yearly timetable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    SourceReview,
    CommuneReview,
    Screening,
    Examination,
    Lists,
    CallUpDecisions,
    Handover,
    PostCheck,
}

impl Step {
    pub const ALL: [Step; 8] = [
        Step::SourceReview,
        Step::CommuneReview,
        Step::Screening,
        Step::Examination,
        Step::Lists,
        Step::CallUpDecisions,
        Step::Handover,
        Step::PostCheck,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Step::SourceReview => "source_review",
            Step::CommuneReview => "commune_review",
            Step::Screening => "screening",
            Step::Examination => "examination",
            Step::Lists => "lists",
            Step::CallUpDecisions => "call_up_decisions",
            Step::Handover => "handover",
            Step::PostCheck => "post_check",
        }
    }

    pub fn parse(code: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Step::SourceReview => "Phúc tra nguồn",
            Step::CommuneReview => "Xét duyệt ở xã",
            Step::Screening => "Sơ tuyển",
            Step::Examination => "Khám sức khỏe",
            Step::Lists => "Chốt danh sách chính thức, dự phòng",
            Step::CallUpDecisions => "Giao quyết định gọi nhập ngũ",
            Step::Handover => "Giao, nhận quân",
            Step::PostCheck => "Phúc tra, bù đổi",
        }
    }

    /// Where the default dates come from.
    pub fn source_vi(self) -> &'static str {
        match self {
            Step::Examination => "Điều 40 Luật NVQS (từ 01/11 đến hết 31/12)",
            Step::PostCheck => "Khoản 3 Điều 7 Thông tư 148/2018/TT-BQP, sửa đổi bởi Thông tư 68/2025/TT-BQP (phúc tra trong 10 ngày, bù đổi trong 15 ngày kể từ ngày giao quân)",
            _ => "Mặc định theo kế hoạch tuyển quân thực tế (có thể sửa)",
        }
    }
}

/// One step's dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub step: Step,
    pub starts: Date,
    pub ends: Date,
}

fn d(year: i32, month: Month, day: u8) -> Date {
    Date::from_calendar_date(year, month, day).expect("a valid calendar date")
}

/// The default timetable of the cycle whose handover is in `year` (early March of that year, as
/// in 2026; the 2025 handover was mid-February).
pub fn default_timetable(year: i32) -> Vec<Window> {
    let prev = year - 1;
    let handover = d(year, Month::March, 4);
    vec![
        Window {
            step: Step::SourceReview,
            starts: d(prev, Month::June, 1),
            ends: d(prev, Month::July, 20),
        },
        Window {
            step: Step::CommuneReview,
            starts: d(prev, Month::July, 21),
            ends: d(prev, Month::August, 31),
        },
        Window {
            step: Step::Screening,
            starts: d(prev, Month::September, 6),
            ends: d(prev, Month::October, 10),
        },
        Window {
            step: Step::Examination,
            starts: d(prev, Month::November, 1),
            ends: d(prev, Month::December, 31),
        },
        Window {
            step: Step::Lists,
            starts: d(year, Month::January, 5),
            ends: d(year, Month::January, 24),
        },
        Window {
            step: Step::CallUpDecisions,
            starts: d(year, Month::January, 25),
            ends: d(year, Month::February, 7),
        },
        Window {
            step: Step::Handover,
            starts: handover,
            ends: d(year, Month::March, 6),
        },
        Window {
            step: Step::PostCheck,
            starts: handover,
            ends: crate::dates::add_days(handover, REPLACEMENT_DAYS),
        },
    ]
}

/// The days a step of the cycle whose handover is in `year` may be dated: from 1 January of the
/// year before (the yearly work starts in the year before the handover, the examination is in its
/// November–December, Art. 40 Luật NVQS) to 31 December of the handover year (the post check and
/// its replacements follow the handover). A step dated outside is a typing error, not a cycle's
/// plan; the timetable's own windows are checked where the law fixes them (the examination).
pub fn cycle_span(year: i32) -> (Date, Date) {
    (d(year - 1, Month::January, 1), d(year, Month::December, 31))
}

/// Days after handover within which replacements are made (TT 148/2018 Art. 7.3 as amended by
/// TT 68/2025).
pub const REPLACEMENT_DAYS: i64 = 15;

/// Days after handover within which the receiving unit re-checks a recruit's health and may
/// return him (phúc tra: TT 148/2018 Art. 7.3 as amended by TT 68/2025, 10 days; not 7).
pub const RECHECK_DAYS: i64 = 10;

/// Whether a return after the re-check, recorded on `on`, falls within [`RECHECK_DAYS`] of
/// `handover`.
pub fn within_recheck_window(handover: Date, on: Date) -> bool {
    on >= handover && (on - handover).whole_days() <= RECHECK_DAYS
}

/// A timetable that cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimetableError {
    EndsBeforeStart(Step),
    ExaminationOutsideLaw,
}

impl fmt::Display for TimetableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimetableError::EndsBeforeStart(s) => {
                write!(
                    f,
                    "Bước \"{}\": ngày kết thúc phải sau hoặc bằng ngày bắt đầu.",
                    s.label_vi()
                )
            }
            TimetableError::ExaminationOutsideLaw => f.write_str(
                "Thời gian khám sức khỏe phải nằm trong khoảng từ ngày 01 tháng 11 đến hết ngày 31 tháng 12 \
                 của năm trước năm giao quân (Điều 40 Luật NVQS).",
            ),
        }
    }
}

impl std::error::Error for TimetableError {}

/// Checks a timetable for the cycle whose handover is in `year`.
pub fn check_timetable(year: i32, windows: &[Window]) -> Result<(), TimetableError> {
    for w in windows {
        if w.ends < w.starts {
            return Err(TimetableError::EndsBeforeStart(w.step));
        }
        if w.step == Step::Examination {
            let from = d(year - 1, Month::November, 1);
            let to = d(year - 1, Month::December, 31);
            if w.starts < from || w.ends > to {
                return Err(TimetableError::ExaminationOutsideLaw);
            }
        }
    }
    Ok(())
}

/// A list whose size is capped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CappedList {
    /// Citizens called to the health examination (passed screening).
    Examination,
    /// The official call-up list.
    Official,
    /// The reserve (dự phòng) list.
    Reserve,
    /// Replacements after handover (reserve citizens called up to replace returned ones).
    Replacement,
}

impl CappedList {
    pub const ALL: [CappedList; 4] = [
        CappedList::Examination,
        CappedList::Official,
        CappedList::Reserve,
        CappedList::Replacement,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CappedList::Examination => "examination",
            CappedList::Official => "official",
            CappedList::Reserve => "reserve",
            CappedList::Replacement => "replacement",
        }
    }

    pub fn parse(code: &str) -> Option<CappedList> {
        CappedList::ALL.into_iter().find(|l| l.code() == code)
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            CappedList::Examination => "Danh sách gọi khám sức khỏe",
            CappedList::Official => "Danh sách gọi nhập ngũ chính thức",
            CappedList::Reserve => "Danh sách dự phòng",
            CappedList::Replacement => "Bù đổi sau giao quân",
        }
    }
}

/// The caps of a cycle, as settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Caps {
    /// Examination list at most this many times the quota (practice: 4).
    pub examination_ratio: f64,
    /// Reserve list at most this percentage of the quota (practice: 5), rounded up.
    pub reserve_pct: f64,
    /// Replacements at most this percentage of the quota (TT 148/2018 Art. 7: 2), rounded down,
    /// since the law says "not more than".
    pub replacement_pct: f64,
}

impl Default for Caps {
    fn default() -> Caps {
        Caps {
            examination_ratio: 4.0,
            reserve_pct: 5.0,
            replacement_pct: 2.0,
        }
    }
}

impl Caps {
    /// The cap of `list` for a unit with `quota`.
    pub fn cap(&self, list: CappedList, quota: i64) -> i64 {
        let q = quota.max(0) as f64;
        // A tiny epsilon keeps 4.0 × 25 = 100 from becoming 99.99… → 99 on floor.
        match list {
            CappedList::Examination => (q * self.examination_ratio + 1e-9).floor() as i64,
            CappedList::Official => quota.max(0),
            CappedList::Reserve => (q * self.reserve_pct / 100.0 - 1e-9).ceil().max(0.0) as i64,
            CappedList::Replacement => (q * self.replacement_pct / 100.0 + 1e-9).floor() as i64,
        }
    }

    /// Checks the settings themselves.
    pub fn check(&self) -> Result<(), String> {
        let ok = |v: f64, lo: f64, hi: f64| v.is_finite() && v >= lo && v <= hi;
        if !ok(self.examination_ratio, 1.0, 20.0) {
            return Err("Hệ số danh sách gọi khám phải từ 1 đến 20 lần chỉ tiêu.".into());
        }
        if !ok(self.reserve_pct, 0.0, 100.0) {
            return Err("Tỉ lệ dự phòng phải từ 0 đến 100%.".into());
        }
        if !ok(self.replacement_pct, 0.0, 2.0) {
            return Err("Tỉ lệ bù đổi không được vượt quá 2% chỉ tiêu (Điều 7 Thông tư 148/2018/TT-BQP).".into());
        }
        Ok(())
    }
}

/// How a list stands against its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapCheck {
    pub list: CappedList,
    pub count: i64,
    pub cap: i64,
}

impl CapCheck {
    pub fn over(&self) -> bool {
        self.count > self.cap
    }

    /// A sentence for the page: "Danh sách dự phòng: 3/2 (vượt 1)".
    pub fn describe_vi(&self) -> String {
        if self.over() {
            format!(
                "{}: {} người, vượt giới hạn {} người ({} người)",
                self.list.label_vi(),
                self.count,
                self.cap,
                self.count - self.cap
            )
        } else {
            format!("{}: {} / tối đa {} người", self.list.label_vi(), self.count, self.cap)
        }
    }
}

/// Whether a list of `count` may be approved: within its cap, or over it with a reason.
pub fn approve_list(check: CapCheck, override_reason: Option<&str>) -> Result<(), String> {
    let reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
    if check.over() && reason.is_none() {
        return Err(format!(
            "{} vượt giới hạn ({} người, tối đa {}). Muốn duyệt vượt giới hạn phải ghi rõ lý do.",
            check.list.label_vi(),
            check.count,
            check.cap
        ));
    }
    Ok(())
}

/// Whether a replacement on `on` is inside the window after `handover`.
pub fn within_replacement_window(handover: Date, on: Date) -> bool {
    on >= handover && (on - handover).whole_days() <= REPLACEMENT_DAYS
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn caps_round_as_documented() {
        let c = Caps::default();
        assert_eq!(c.cap(CappedList::Examination, 25), 100);
        assert_eq!(c.cap(CappedList::Official, 25), 25);
        // 5% of 25 = 1.25 → 2 (rounded up: a commune may always keep one in reserve).
        assert_eq!(c.cap(CappedList::Reserve, 25), 2);
        assert_eq!(c.cap(CappedList::Reserve, 20), 1);
        assert_eq!(c.cap(CappedList::Reserve, 0), 0);
        // 2% of 25 = 0.5 → 0 (rounded down: "not more than 2%").
        assert_eq!(c.cap(CappedList::Replacement, 25), 0);
        assert_eq!(c.cap(CappedList::Replacement, 50), 1);
        assert_eq!(c.cap(CappedList::Replacement, 3000), 60);
    }

    #[test]
    fn over_cap_needs_a_reason() {
        let check = CapCheck {
            list: CappedList::Reserve,
            count: 3,
            cap: 2,
        };
        assert!(check.over());
        let e = approve_list(check, None).unwrap_err();
        assert!(e.contains("phải ghi rõ lý do"), "{e}");
        assert!(approve_list(check, Some("  ")).is_err());
        assert!(approve_list(check, Some("Xã đông dân, nhiều trường hợp sức khỏe loại 3")).is_ok());
        let within = CapCheck { count: 2, ..check };
        assert!(approve_list(within, None).is_ok());
    }

    #[test]
    fn replacement_cap_cannot_exceed_the_law() {
        let c = Caps {
            replacement_pct: 3.0,
            ..Caps::default()
        };
        assert!(c.check().unwrap_err().contains("2%"));
        assert!(Caps::default().check().is_ok());
    }

    #[test]
    fn recheck_window_is_10_days() {
        let h = d(2026, Month::March, 4);
        assert!(within_recheck_window(h, h));
        assert!(within_recheck_window(h, d(2026, Month::March, 14)));
        assert!(!within_recheck_window(h, d(2026, Month::March, 15)));
        assert!(!within_recheck_window(h, d(2026, Month::March, 3)));
    }

    #[test]
    fn replacement_window_is_15_days() {
        let h = date!(2026 - 03 - 04);
        assert!(within_replacement_window(h, h));
        assert!(within_replacement_window(h, date!(2026 - 03 - 19)));
        assert!(!within_replacement_window(h, date!(2026 - 03 - 20)));
        assert!(!within_replacement_window(h, date!(2026 - 03 - 03)));
    }

    #[test]
    fn default_timetable_is_valid_and_examination_follows_the_law() {
        let t = default_timetable(2026);
        assert_eq!(t.len(), Step::ALL.len());
        check_timetable(2026, &t).unwrap();
        let exam = t.iter().find(|w| w.step == Step::Examination).unwrap();
        assert_eq!(exam.starts, date!(2025 - 11 - 01));
        assert_eq!(exam.ends, date!(2025 - 12 - 31));
        let mut bad = t.clone();
        bad[3].ends = date!(2026 - 01 - 05);
        assert_eq!(check_timetable(2026, &bad), Err(TimetableError::ExaminationOutsideLaw));
        bad[3].ends = date!(2025 - 10 - 05);
        assert!(check_timetable(2026, &bad).is_err());
    }
}
