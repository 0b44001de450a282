//! The facts the engine judges: the call-up cycle and one citizen's record.

use super::citizen_id::CitizenId;
use crate::reserve::age::Sex;
use time::Date;

/// A circumstance code of the contract (`circumstances` array).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Circumstance {
    SoleBreadwinner,
    FamilyDisasterLoss,
    ChildOfSickSoldier61To80,
    ChildOfAgentOrange61To80,
    SiblingInService,
    ResettledFirst3Years,
    OfficialInHardArea,
    StandingMilitia,
    ChildOfMartyr,
    ChildOfClass1Invalid,
    SiblingOfMartyr,
    ChildOfClass2Invalid,
    ChildOfSickSoldier81,
    ChildOfAgentOrange81,
    CipherWorker,
    OfficialInHardArea24m,
    RegistrationBarred,
    Volunteer,
}

impl Circumstance {
    pub const ALL: [Circumstance; 18] = [
        Circumstance::SoleBreadwinner,
        Circumstance::FamilyDisasterLoss,
        Circumstance::ChildOfSickSoldier61To80,
        Circumstance::ChildOfAgentOrange61To80,
        Circumstance::SiblingInService,
        Circumstance::ResettledFirst3Years,
        Circumstance::OfficialInHardArea,
        Circumstance::StandingMilitia,
        Circumstance::ChildOfMartyr,
        Circumstance::ChildOfClass1Invalid,
        Circumstance::SiblingOfMartyr,
        Circumstance::ChildOfClass2Invalid,
        Circumstance::ChildOfSickSoldier81,
        Circumstance::ChildOfAgentOrange81,
        Circumstance::CipherWorker,
        Circumstance::OfficialInHardArea24m,
        Circumstance::RegistrationBarred,
        Circumstance::Volunteer,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Circumstance::SoleBreadwinner => "sole_breadwinner",
            Circumstance::FamilyDisasterLoss => "family_disaster_loss",
            Circumstance::ChildOfSickSoldier61To80 => "child_of_sick_soldier_61_80",
            Circumstance::ChildOfAgentOrange61To80 => "child_of_agent_orange_61_80",
            Circumstance::SiblingInService => "sibling_in_service",
            Circumstance::ResettledFirst3Years => "resettled_first_3_years",
            Circumstance::OfficialInHardArea => "official_in_hard_area",
            Circumstance::StandingMilitia => "standing_militia",
            Circumstance::ChildOfMartyr => "child_of_martyr",
            Circumstance::ChildOfClass1Invalid => "child_of_class1_invalid",
            Circumstance::SiblingOfMartyr => "sibling_of_martyr",
            Circumstance::ChildOfClass2Invalid => "child_of_class2_invalid",
            Circumstance::ChildOfSickSoldier81 => "child_of_sick_soldier_81",
            Circumstance::ChildOfAgentOrange81 => "child_of_agent_orange_81",
            Circumstance::CipherWorker => "cipher_worker",
            Circumstance::OfficialInHardArea24m => "official_in_hard_area_24m",
            Circumstance::RegistrationBarred => "registration_barred",
            Circumstance::Volunteer => "volunteer",
        }
    }

    pub fn parse(code: &str) -> Option<Circumstance> {
        Circumstance::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// Training level of a citizen who is studying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StudyLevel {
    General,
    Vocational,
    College,
    University,
    Postgraduate,
}

impl StudyLevel {
    pub const ALL: [StudyLevel; 5] = [
        StudyLevel::General,
        StudyLevel::Vocational,
        StudyLevel::College,
        StudyLevel::University,
        StudyLevel::Postgraduate,
    ];

    pub fn code(self) -> &'static str {
        match self {
            StudyLevel::General => "general",
            StudyLevel::Vocational => "vocational",
            StudyLevel::College => "college",
            StudyLevel::University => "university",
            StudyLevel::Postgraduate => "postgraduate",
        }
    }

    pub fn parse(code: &str) -> Option<StudyLevel> {
        StudyLevel::ALL.into_iter().find(|l| l.code() == code)
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            StudyLevel::General => "phổ thông",
            StudyLevel::Vocational => "trung cấp",
            StudyLevel::College => "cao đẳng",
            StudyLevel::University => "đại học",
            StudyLevel::Postgraduate => "sau đại học",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Studying {
    pub level: StudyLevel,
    pub full_time: bool,
    /// Still within one course of one training level.
    pub first_course_at_level: bool,
}

/// Health class 1..=6 (phân loại sức khỏe, law brief §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HealthClass(u8);

impl HealthClass {
    pub fn new(class: u8) -> Option<HealthClass> {
        (1..=6).contains(&class).then_some(HealthClass(class))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// The health examination result; optional items are `None` when not recorded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Health {
    pub class: HealthClass,
    /// Myopia of the worse eye, in diopters (a magnitude, not negative).
    pub myopia_diopters: Option<f64>,
    pub hyperopia: Option<bool>,
    /// Given, or computed with [`bmi_from`].
    pub bmi: Option<f64>,
    pub drug_use: Option<bool>,
}

/// BMI from height and weight, rounded to one decimal as the examination record shows it (the
/// bands of TT 105/2023, e.g. 27–29.9, imply one-decimal values).
pub fn bmi_from(height_cm: f64, weight_kg: f64) -> f64 {
    let m = height_cm / 100.0;
    (weight_kg / (m * m) * 10.0).round() / 10.0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PoliticalVetting {
    Passed,
    Failed,
}

/// One citizen's record as the engine needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct CitizenFacts {
    pub id: String,
    pub national_id: Option<CitizenId>,
    pub full_name: String,
    pub birth_date: Date,
    pub sex: Sex,
    /// General-education grade completed, 0..=12; `None` when the record does not say (the
    /// education standard is then not checked: the citizen needs checking, not failing).
    pub education_grade: Option<u8>,
    /// Commune in a remote or extremely difficult area, or an ethnic minority under 10,000 people.
    pub hard_area: bool,
    pub studying: Option<Studying>,
    pub deferred_before_for_higher_education: bool,
    pub health: Option<Health>,
    pub political_vetting: Option<PoliticalVetting>,
    pub circumstances: Vec<Circumstance>,
}

/// Why a cycle was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CycleError {
    #[error(
        "ngày tham chiếu {0} trước ngày Luật NVQS 78/2015/QH13 có hiệu lực (01/01/2016), \
         không có bộ quy tắc áp dụng"
    )]
    BeforeRules(String),
}

/// A call-up cycle (đợt tuyển quân).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cycle {
    year: i32,
    reference_date: Date,
    allow_grade_7: bool,
}

impl Cycle {
    /// `year`: the year of induction; `reference_date`: the date ages and circumstances are judged
    /// on; `allow_grade_7`: the competent level allowed grade-7 recruits this cycle.
    pub fn new(year: i32, reference_date: Date, allow_grade_7: bool) -> Result<Cycle, CycleError> {
        if reference_date < super::rules::RuleSet::earliest_date() {
            return Err(CycleError::BeforeRules(super::iso(reference_date)));
        }
        Ok(Cycle {
            year,
            reference_date,
            allow_grade_7,
        })
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    pub fn reference_date(&self) -> Date {
        self.reference_date
    }

    pub fn allow_grade_7(&self) -> bool {
        self.allow_grade_7
    }
}
