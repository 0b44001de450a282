//! The health examination of one citizen (khám sức khỏe NVQS): a score per criterion, the health
//! class, and the BMI from height and weight (law brief §2.2).
//!
//! The class is the worst score: class 1 when every criterion scores 1, class 2 when at least one
//! scores 2, and so on up to 6. TT 105/2023 scores the physique criterion from the BMI in three
//! bands the brief gives (18.5–24.9 → 1, 25–26.9 → 2, 27–29.9 → 3); outside those bands the brief
//! gives no score, so the examiner's own physique score stands alone there.
//!
//! The criteria: the brief says the examination has 8 criteria (TTLT 16/2016, logic kept by
//! TT 105/2023) without naming them. The eight below are the columns of the examination record as
//! localities print it (physique, eyes, ENT, dental, internal medicine, neuro-psychiatry, surgery,
//! dermatology). UNCONFIRMED against the text of the circular's annex.

use super::facts::{bmi_from, Health, HealthClass};
use std::fmt;

/// A criterion of the examination (chỉ tiêu khám).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExamCriterion {
    Physique,
    Eyes,
    Ent,
    Dental,
    Internal,
    NeuroPsychiatric,
    Surgical,
    Dermatology,
}

impl ExamCriterion {
    pub const ALL: [ExamCriterion; 8] = [
        ExamCriterion::Physique,
        ExamCriterion::Eyes,
        ExamCriterion::Ent,
        ExamCriterion::Dental,
        ExamCriterion::Internal,
        ExamCriterion::NeuroPsychiatric,
        ExamCriterion::Surgical,
        ExamCriterion::Dermatology,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ExamCriterion::Physique => "physique",
            ExamCriterion::Eyes => "eyes",
            ExamCriterion::Ent => "ent",
            ExamCriterion::Dental => "dental",
            ExamCriterion::Internal => "internal",
            ExamCriterion::NeuroPsychiatric => "neuro_psychiatric",
            ExamCriterion::Surgical => "surgical",
            ExamCriterion::Dermatology => "dermatology",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            ExamCriterion::Physique => "Thể lực",
            ExamCriterion::Eyes => "Mắt",
            ExamCriterion::Ent => "Tai - Mũi - Họng",
            ExamCriterion::Dental => "Răng - Hàm - Mặt",
            ExamCriterion::Internal => "Nội khoa",
            ExamCriterion::NeuroPsychiatric => "Tâm thần kinh",
            ExamCriterion::Surgical => "Ngoại khoa",
            ExamCriterion::Dermatology => "Da liễu",
        }
    }

    pub fn parse(code: &str) -> Option<ExamCriterion> {
        ExamCriterion::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// What the examination council recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct ExamRecord {
    /// A score 1..=6 for every criterion, in [`ExamCriterion::ALL`] order.
    pub scores: [u8; 8],
    pub height_cm: f64,
    pub weight_kg: f64,
    /// Myopia of the worse eye in diopters (a magnitude); `None` when the eyes are emmetropic or
    /// it was not measured.
    pub myopia_diopters: Option<f64>,
    pub hyperopia: bool,
    /// Positive drug test.
    pub drug_use: bool,
}

/// Why an examination record cannot be accepted. Vietnamese sentences for the form.
#[derive(Debug, Clone, PartialEq)]
pub enum ExamError {
    Score { criterion: ExamCriterion, score: i64 },
    Height(f64),
    Weight(f64),
    Myopia(f64),
}

impl fmt::Display for ExamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExamError::Score { criterion, score } => write!(
                f,
                "Điểm chỉ tiêu \"{}\" phải là số nguyên từ 1 đến 6 (đã nhập {score}).",
                criterion.label_vi()
            ),
            ExamError::Height(h) => write!(f, "Chiều cao {h} cm không hợp lý (phải từ 100 đến 230 cm)."),
            ExamError::Weight(w) => write!(f, "Cân nặng {w} kg không hợp lý (phải từ 25 đến 200 kg)."),
            ExamError::Myopia(d) => write!(f, "Độ cận thị {d} đi-ốp không hợp lý (phải từ 0 đến 30)."),
        }
    }
}

impl std::error::Error for ExamError {}

/// The physique score TT 105/2023/TT-BQP gives a BMI (Phụ lục I, Mục I; the same bands for
/// both sexes): 1 for 18.5–24.9, 2 for 25–26.9, 3 for 27–29.9, 4 below 18.5 or 30–34.9, 5 for
/// 35–39.9, 6 from 40. The BMI is the one-decimal value the record shows.
pub fn physique_score_from_bmi(bmi: f64) -> Option<u8> {
    if !bmi.is_finite() {
        None
    } else if bmi < 18.5 {
        Some(4)
    } else if bmi < 25.0 {
        Some(1)
    } else if bmi < 27.0 {
        Some(2)
    } else if bmi < 30.0 {
        Some(3)
    } else if bmi < 35.0 {
        Some(4)
    } else if bmi < 40.0 {
        Some(5)
    } else {
        Some(6)
    }
}

impl ExamRecord {
    /// Checks the ranges and builds the record. `scores` are given per criterion code.
    pub fn new(
        scores: [i64; 8],
        height_cm: f64,
        weight_kg: f64,
        myopia_diopters: Option<f64>,
        hyperopia: bool,
        drug_use: bool,
    ) -> Result<ExamRecord, ExamError> {
        let mut checked = [0u8; 8];
        for (i, s) in scores.into_iter().enumerate() {
            if !(1..=6).contains(&s) {
                return Err(ExamError::Score {
                    criterion: ExamCriterion::ALL[i],
                    score: s,
                });
            }
            checked[i] = s as u8;
        }
        if !height_cm.is_finite() || !(100.0..=230.0).contains(&height_cm) {
            return Err(ExamError::Height(height_cm));
        }
        if !weight_kg.is_finite() || !(25.0..=200.0).contains(&weight_kg) {
            return Err(ExamError::Weight(weight_kg));
        }
        if let Some(d) = myopia_diopters {
            if !d.is_finite() || !(0.0..=30.0).contains(&d) {
                return Err(ExamError::Myopia(d));
            }
        }
        Ok(ExamRecord {
            scores: checked,
            height_cm,
            weight_kg,
            myopia_diopters: myopia_diopters.filter(|d| *d > 0.0),
            hyperopia,
            drug_use,
        })
    }

    pub fn bmi(&self) -> f64 {
        bmi_from(self.height_cm, self.weight_kg)
    }

    /// The physique score actually counted: the worse of the examiner's score and the BMI band's.
    pub fn physique_score(&self) -> u8 {
        let given = self.scores[0];
        physique_score_from_bmi(self.bmi()).map_or(given, |band| band.max(given))
    }

    /// The score of each criterion as counted (physique possibly lowered by the BMI band).
    pub fn counted_scores(&self) -> [(ExamCriterion, u8); 8] {
        let mut out = [(ExamCriterion::Physique, 1); 8];
        for (i, c) in ExamCriterion::ALL.into_iter().enumerate() {
            let s = if i == 0 { self.physique_score() } else { self.scores[i] };
            out[i] = (c, s);
        }
        out
    }

    /// The health class: the worst counted score.
    pub fn class(&self) -> HealthClass {
        let worst = self.counted_scores().iter().map(|(_, s)| *s).max().unwrap_or(1);
        HealthClass::new(worst).expect("scores are checked to be 1..=6")
    }

    /// The engine's health facts.
    pub fn health(&self) -> Health {
        Health {
            class: self.class(),
            myopia_diopters: Some(self.myopia_diopters.unwrap_or(0.0)),
            hyperopia: Some(self.hyperopia),
            bmi: Some(self.bmi()),
            drug_use: Some(self.drug_use),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(scores: [i64; 8], h: f64, w: f64) -> ExamRecord {
        ExamRecord::new(scores, h, w, None, false, false).unwrap()
    }

    #[test]
    fn class_is_the_worst_score() {
        assert_eq!(rec([1; 8], 170.0, 62.0).class().get(), 1);
        assert_eq!(rec([1, 1, 2, 1, 1, 1, 1, 1], 170.0, 62.0).class().get(), 2);
        assert_eq!(rec([1, 3, 2, 1, 1, 1, 1, 4], 170.0, 62.0).class().get(), 4);
        assert_eq!(rec([6; 8], 170.0, 62.0).class().get(), 6);
    }

    #[test]
    fn bmi_bands_lower_the_physique_score() {
        // 170 cm, 62 kg → BMI 21.5 → band 1.
        assert_eq!(rec([1; 8], 170.0, 62.0).physique_score(), 1);
        // 170 cm, 75 kg → BMI 26.0 → band 2.
        let r = rec([1; 8], 170.0, 75.0);
        assert_eq!(r.bmi(), 26.0);
        assert_eq!(r.physique_score(), 2);
        assert_eq!(r.class().get(), 2);
        // 170 cm, 84 kg → BMI 29.1 → band 3.
        assert_eq!(rec([1; 8], 170.0, 84.0).class().get(), 3);
        // 170 cm, 50 kg → BMI 17.3 → band 4; 170 cm, 95 kg → BMI 32.9 → band 4: the class that
        // decides is 4, whatever the examiner scored for physique.
        assert_eq!(rec([1; 8], 170.0, 50.0).physique_score(), 4);
        let heavy = rec([1; 8], 170.0, 95.0);
        assert_eq!((heavy.bmi(), heavy.class().get()), (32.9, 4));
        assert_eq!(rec([1; 8], 170.0, 110.0).class().get(), 5);
        assert_eq!(rec([1; 8], 160.0, 110.0).class().get(), 6);
        // A worse examiner score is never improved by the band.
        assert_eq!(rec([3, 1, 1, 1, 1, 1, 1, 1], 170.0, 62.0).physique_score(), 3);
    }

    #[test]
    fn band_edges() {
        assert_eq!(physique_score_from_bmi(18.4), Some(4));
        assert_eq!(physique_score_from_bmi(18.5), Some(1));
        assert_eq!(physique_score_from_bmi(24.9), Some(1));
        assert_eq!(physique_score_from_bmi(25.0), Some(2));
        assert_eq!(physique_score_from_bmi(26.9), Some(2));
        assert_eq!(physique_score_from_bmi(27.0), Some(3));
        assert_eq!(physique_score_from_bmi(29.9), Some(3));
        assert_eq!(physique_score_from_bmi(30.0), Some(4));
        assert_eq!(physique_score_from_bmi(34.9), Some(4));
        assert_eq!(physique_score_from_bmi(35.0), Some(5));
        assert_eq!(physique_score_from_bmi(39.9), Some(5));
        assert_eq!(physique_score_from_bmi(40.0), Some(6));
    }

    #[test]
    fn bad_values_are_refused_in_vietnamese() {
        let e = ExamRecord::new([1, 1, 7, 1, 1, 1, 1, 1], 170.0, 60.0, None, false, false).unwrap_err();
        assert!(e.to_string().contains("Tai - Mũi - Họng"), "{e}");
        assert!(ExamRecord::new([1; 8], 20.0, 60.0, None, false, false).is_err());
        assert!(ExamRecord::new([1; 8], 170.0, f64::NAN, None, false, false).is_err());
        assert!(ExamRecord::new([1; 8], 170.0, 60.0, Some(-1.0), false, false).is_err());
        assert!(ExamRecord::new([0; 8], 170.0, 60.0, None, false, false).is_err());
    }

    #[test]
    fn health_facts_carry_every_measure() {
        let r = ExamRecord::new([1; 8], 165.0, 58.0, Some(2.5), false, true).unwrap();
        let h = r.health();
        assert_eq!(h.class.get(), 1);
        assert_eq!(h.myopia_diopters, Some(2.5));
        assert_eq!(h.drug_use, Some(true));
        assert_eq!(h.bmi, Some(21.3));
    }
}
