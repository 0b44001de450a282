//! Administrative sanctions for military-service violations (law brief §1.9). Which table applies
//! depends on the date of the act: regime A is Decree 120/2013 as amended by Decree 37/2022 (acts
//! from 22 July 2022 to 4 August 2025), regime B is Decree 218/2025 (acts from 5 August 2025).
//!
//! Only what the brief states is encoded. Acts before 22 July 2022 (Decree 120/2013 before its
//! 2022 amendment) are not covered and return an error rather than a guess; an act the brief lists
//! in one regime only returns an error for the other; figures the brief marks as press reports
//! carry `confirmed: false`.

use time::macros::date;
use time::Date;

/// A violation, as the commune records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Violation {
    /// First registration not made by a man turning 17 (a first offence).
    FirstRegistrationMissed,
    /// First registration not made again after a warning, or another failure to register first.
    FirstRegistrationMissedRepeat,
    /// Supplementary or reserve registration not made.
    SupplementaryOrReserveRegistrationMissed,
    /// Registration on moving residence, workplace or school not made.
    MoveRegistrationMissed,
    /// Temporary-absence registration not made.
    TemporaryAbsenceRegistrationMissed,
    /// Absent from the preliminary screening (sơ tuyển) without good reason.
    AbsentFromScreening,
    /// Not receiving the screening decision (order).
    RefusingScreeningCall,
    /// Absent from the health examination on the call, without good reason.
    AbsentFromExamination,
    /// Not receiving the examination decision (order), or obstructing another person from it.
    RefusingExaminationCall,
    /// Falsifying one's health classification, or a bribe under 2 million to do so.
    FalsifyingHealthClass,
    /// Not complying with the decision (order) calling for the examination.
    NotComplyingWithExaminationCall,
    /// Absent at the time or place of induction on the call-up decision.
    AbsentAtInduction,
    /// Deceiving to evade the call-up after being found fit (or obstructing a call-up).
    EvadingAfterFoundFit,
    /// Not complying with the call-up decision.
    NotComplyingWithCallUp,
}

impl Violation {
    pub const ALL: [Violation; 14] = [
        Violation::FirstRegistrationMissed,
        Violation::FirstRegistrationMissedRepeat,
        Violation::SupplementaryOrReserveRegistrationMissed,
        Violation::MoveRegistrationMissed,
        Violation::TemporaryAbsenceRegistrationMissed,
        Violation::AbsentFromScreening,
        Violation::RefusingScreeningCall,
        Violation::AbsentFromExamination,
        Violation::RefusingExaminationCall,
        Violation::FalsifyingHealthClass,
        Violation::NotComplyingWithExaminationCall,
        Violation::AbsentAtInduction,
        Violation::EvadingAfterFoundFit,
        Violation::NotComplyingWithCallUp,
    ];

    /// The stable code stored and used in forms.
    pub fn code(self) -> &'static str {
        match self {
            Violation::FirstRegistrationMissed => "first_registration_missed",
            Violation::FirstRegistrationMissedRepeat => "first_registration_missed_repeat",
            Violation::SupplementaryOrReserveRegistrationMissed => "supplementary_or_reserve_registration_missed",
            Violation::MoveRegistrationMissed => "move_registration_missed",
            Violation::TemporaryAbsenceRegistrationMissed => "temporary_absence_registration_missed",
            Violation::AbsentFromScreening => "absent_from_screening",
            Violation::RefusingScreeningCall => "refusing_screening_call",
            Violation::AbsentFromExamination => "absent_from_examination",
            Violation::RefusingExaminationCall => "refusing_examination_call",
            Violation::FalsifyingHealthClass => "falsifying_health_class",
            Violation::NotComplyingWithExaminationCall => "not_complying_with_examination_call",
            Violation::AbsentAtInduction => "absent_at_induction",
            Violation::EvadingAfterFoundFit => "evading_after_found_fit",
            Violation::NotComplyingWithCallUp => "not_complying_with_call_up",
        }
    }

    pub fn parse(code: &str) -> Option<Violation> {
        Violation::ALL.into_iter().find(|v| v.code() == code)
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Violation::FirstRegistrationMissed => "Không đăng ký nghĩa vụ quân sự lần đầu",
            Violation::FirstRegistrationMissedRepeat => "Không đăng ký nghĩa vụ quân sự lần đầu (tái phạm)",
            Violation::SupplementaryOrReserveRegistrationMissed => "Không đăng ký bổ sung hoặc đăng ký vào ngạch dự bị",
            Violation::MoveRegistrationMissed => "Không đăng ký khi thay đổi nơi cư trú, nơi làm việc, học tập",
            Violation::TemporaryAbsenceRegistrationMissed => "Không đăng ký tạm vắng",
            Violation::AbsentFromScreening => "Không có mặt đúng thời gian, địa điểm sơ tuyển",
            Violation::RefusingScreeningCall => "Không nhận lệnh (quyết định) gọi sơ tuyển",
            Violation::AbsentFromExamination => "Không có mặt đúng thời gian, địa điểm khám sức khỏe",
            Violation::RefusingExaminationCall => "Không nhận lệnh (quyết định) gọi khám sức khỏe",
            Violation::FalsifyingHealthClass => "Gian dối làm sai lệch kết quả phân loại sức khỏe",
            Violation::NotComplyingWithExaminationCall => "Không chấp hành lệnh (quyết định) gọi khám sức khỏe",
            Violation::AbsentAtInduction => "Không có mặt đúng thời gian, địa điểm ghi trong lệnh gọi nhập ngũ",
            Violation::EvadingAfterFoundFit => {
                "Gian dối để trốn tránh thực hiện lệnh gọi nhập ngũ sau khi có kết quả đủ điều kiện"
            }
            Violation::NotComplyingWithCallUp => "Không chấp hành lệnh (quyết định) gọi nhập ngũ",
        }
    }
}

/// The sanction regime in force on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regime {
    /// Decree 120/2013 as amended by Decree 37/2022.
    Decree37of2022,
    /// Decree 218/2025.
    Decree218of2025,
}

impl Regime {
    pub const A_FROM: Date = date!(2022 - 07 - 22);
    pub const B_FROM: Date = date!(2025 - 08 - 05);

    /// The regime for an act on `act_date`, or an error when the brief covers no regime then.
    pub fn on(act_date: Date) -> Result<Regime, SanctionError> {
        if act_date >= Regime::B_FROM {
            Ok(Regime::Decree218of2025)
        } else if act_date >= Regime::A_FROM {
            Ok(Regime::Decree37of2022)
        } else {
            Err(SanctionError::NotCovered { date: act_date })
        }
    }

    pub fn source_vi(self) -> &'static str {
        match self {
            Regime::Decree37of2022 => "Nghị định 120/2013/NĐ-CP, sửa đổi bởi Nghị định 37/2022/NĐ-CP",
            Regime::Decree218of2025 => "Nghị định 218/2025/NĐ-CP",
        }
    }
}

/// What the act incurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Penalty {
    Warning,
    /// A fine from `min` to `max` đồng (for an individual).
    Fine {
        min: u64,
        max: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sanction {
    pub regime: Regime,
    pub penalty: Penalty,
    /// False where the brief relies on press reports that disagree.
    pub confirmed: bool,
    /// The article of the regime's decree that sets it, where the text was read ("khoản 3
    /// Điều 10"); `None` where only the decree is known.
    pub article: Option<&'static str>,
}

impl Sanction {
    /// "Phạt tiền từ 8.000.000 đến 10.000.000 đồng (Nghị định 218/2025/NĐ-CP)".
    pub fn describe_vi(&self) -> String {
        let what = match self.penalty {
            Penalty::Warning => "Cảnh cáo".to_string(),
            Penalty::Fine { min, max } => format!("Phạt tiền từ {} đến {} đồng", money(min), money(max)),
        };
        let caveat = if self.confirmed {
            ""
        } else {
            "; mức theo báo chí đưa tin, cần đối chiếu văn bản"
        };
        let article = self.article.map(|a| format!("{a} ")).unwrap_or_default();
        format!(
            "{what} ({article}{}{caveat}). Biện pháp khắc phục: buộc thực hiện nghĩa vụ hoặc đăng ký.",
            self.regime.source_vi()
        )
    }
}

fn money(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SanctionError {
    #[error("Hành vi ngày {date} xảy ra trước ngày 22/7/2022: mức xử phạt theo Nghị định 120/2013/NĐ-CP bản gốc chưa có trong dữ liệu của phongthu, cần tra văn bản.")]
    NotCovered { date: Date },
    #[error("\"{act}\" không có mức xử phạt riêng trong {regime} theo dữ liệu của phongthu; cần tra văn bản.")]
    NotListed { act: &'static str, regime: &'static str },
}

const M: u64 = 1_000_000;

/// The sanction for `violation` committed on `act_date`.
pub fn sanction_for(violation: Violation, act_date: Date) -> Result<Sanction, SanctionError> {
    use Violation::*;
    let regime = Regime::on(act_date)?;
    let fine = |min: u64, max: u64| {
        Some((
            Penalty::Fine {
                min: min * M,
                max: max * M,
            },
            true,
            None,
        ))
    };
    // Decree 218/2025, read in full: the article that sets the figure.
    let fine_at = |min: u64, max: u64, article: &'static str| {
        Some((
            Penalty::Fine {
                min: min * M,
                max: max * M,
            },
            true,
            Some(article),
        ))
    };
    let found = match regime {
        Regime::Decree37of2022 => match violation {
            FirstRegistrationMissed => Some((Penalty::Warning, true, None)),
            FirstRegistrationMissedRepeat
            | SupplementaryOrReserveRegistrationMissed
            | MoveRegistrationMissed
            | TemporaryAbsenceRegistrationMissed => fine(8, 10),
            AbsentFromScreening | AbsentFromExamination => fine(10, 12),
            RefusingScreeningCall | RefusingExaminationCall => fine(12, 15),
            FalsifyingHealthClass => fine(15, 20),
            NotComplyingWithExaminationCall => fine(25, 35),
            AbsentAtInduction => fine(30, 40),
            EvadingAfterFoundFit => fine(40, 50),
            NotComplyingWithCallUp => fine(50, 75),
        },
        Regime::Decree218of2025 => match violation {
            FirstRegistrationMissed => Some((Penalty::Warning, true, None)),
            FirstRegistrationMissedRepeat => fine(8, 10),
            SupplementaryOrReserveRegistrationMissed => fine_at(8, 10, "điểm b khoản 2 Điều 8"),
            // Registration within 5 working days of a move or a temporary absence.
            MoveRegistrationMissed => fine_at(8, 10, "điểm d khoản 2 Điều 8"),
            TemporaryAbsenceRegistrationMissed => fine_at(8, 10, "điểm đ khoản 2 Điều 8"),
            AbsentFromScreening => fine(3, 5),
            RefusingScreeningCall => fine(5, 8),
            AbsentFromExamination => fine(15, 20),
            RefusingExaminationCall => fine(20, 30),
            FalsifyingHealthClass => fine(30, 40),
            NotComplyingWithExaminationCall => fine_at(50, 75, "khoản 6 Điều 9"),
            AbsentAtInduction => fine(30, 40),
            EvadingAfterFoundFit => fine(40, 50),
            NotComplyingWithCallUp => fine_at(50, 75, "khoản 3 Điều 10"),
        },
    };
    match found {
        Some((penalty, confirmed, article)) => Ok(Sanction {
            regime,
            penalty,
            confirmed,
            article,
        }),
        None => Err(SanctionError::NotListed {
            act: violation.label_vi(),
            regime: regime.source_vi(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_date_of_the_act_chooses_the_regime() {
        let before = sanction_for(Violation::AbsentFromExamination, date!(2025 - 08 - 04)).unwrap();
        let after = sanction_for(Violation::AbsentFromExamination, date!(2025 - 08 - 05)).unwrap();
        assert_eq!(before.regime, Regime::Decree37of2022);
        assert_eq!(
            before.penalty,
            Penalty::Fine {
                min: 10 * M,
                max: 12 * M
            }
        );
        assert_eq!(after.regime, Regime::Decree218of2025);
        assert_eq!(
            after.penalty,
            Penalty::Fine {
                min: 15 * M,
                max: 20 * M
            }
        );
        // Screening went down, the examination call went up (law brief §1.9 and contradictions).
        assert_eq!(
            sanction_for(Violation::AbsentFromScreening, date!(2025 - 09 - 01))
                .unwrap()
                .penalty,
            Penalty::Fine { min: 3 * M, max: 5 * M }
        );
        assert_eq!(
            sanction_for(Violation::NotComplyingWithExaminationCall, date!(2024 - 01 - 01))
                .unwrap()
                .penalty,
            Penalty::Fine {
                min: 25 * M,
                max: 35 * M
            }
        );
        assert_eq!(
            sanction_for(Violation::NotComplyingWithExaminationCall, date!(2026 - 01 - 01))
                .unwrap()
                .penalty,
            Penalty::Fine {
                min: 50 * M,
                max: 75 * M
            }
        );
    }

    #[test]
    fn uncovered_dates_and_unlisted_acts_are_errors_not_guesses() {
        let e = sanction_for(Violation::AbsentAtInduction, date!(2022 - 07 - 21)).unwrap_err();
        assert!(e.to_string().contains("22/7/2022"), "{e}");
        assert!(sanction_for(Violation::MoveRegistrationMissed, date!(2025 - 01 - 01)).is_ok());
        // Every act has a figure in regime A.
        for v in Violation::ALL {
            assert!(sanction_for(v, date!(2024 - 06 - 01)).is_ok(), "{v:?}");
        }
    }

    #[test]
    fn descriptions_in_vietnamese() {
        // Decree 218/2025 read in full: 50–75 million for the call-up (Art. 10.3), with its article.
        let s = sanction_for(Violation::NotComplyingWithCallUp, date!(2025 - 12 - 01)).unwrap();
        assert!(s.confirmed);
        let d = s.describe_vi();
        assert!(
            d.contains("50.000.000") && d.contains("75.000.000") && d.contains("khoản 3 Điều 10 Nghị định 218/2025"),
            "{d}"
        );
        assert!(!d.contains("cần đối chiếu"), "{d}");
        // Registration within 5 working days of a move: 8–10 million (Art. 8.2.d).
        let m = sanction_for(Violation::MoveRegistrationMissed, date!(2025 - 10 - 01)).unwrap();
        assert_eq!(
            m.penalty,
            Penalty::Fine {
                min: 8 * M,
                max: 10 * M
            }
        );
        assert!(m.describe_vi().contains("điểm d khoản 2 Điều 8"));
        let w = sanction_for(Violation::FirstRegistrationMissed, date!(2025 - 12 - 01)).unwrap();
        assert!(w.describe_vi().starts_with("Cảnh cáo"));
        assert_eq!(money(8_000_000), "8.000.000");
        assert_eq!(money(500), "500");
    }
}
