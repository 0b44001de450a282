//! The rules of the eligibility engine as data: every deferral/exemption ground, bar, volunteer
//! effect and selection standard is one row, carrying its legal source, a Vietnamese explanation and
//! the window in which it is in force. A [`RuleSet`] is the view of the table on a reference date,
//! keyed by the amendment dates in [`VERSIONS`].
//!
//! Sources: law brief §1.2 (Art. 13, Art. 30), §1.5 (Art. 41), §2.1 (TT 148/2018 Art. 4 as amended
//! by TT 68/2025), §2.2 (health classes); contract `nvqs-assess.md` (codes and thresholds).
//!
//! What the brief is unsure about (kept as comments beside the rows they concern):
//! - the volunteer rule of Art. 41 is widely cited but its text was not retrieved (UNCONFIRMED);
//! - the health sub-standards before TT 68/2025 (1/7/2025): the brief says the old wording excluded
//!   only class-3 men with refractive errors and had no BMI cut-off, but gives no thresholds. The
//!   contract's thresholds are therefore applied from 2016 on, citing TT 148/2018 Art. 4 only;
//! - older summaries give the BMI cut-off as <18.5 or ≥30 (brief, caveat 5); TT 68/2025 and the
//!   contract say <18.0 or >29.9, which is what the 2025 rows use;
//! - whether TT 97/2025 changes the health-class tables of TT 105/2023 is UNCONFIRMED (§2.2); the
//!   engine takes the class as given by the examination council, so it is not affected;
//! - the 25 % cap on primary-educated recruits in hard areas (TT 148/2018 Art. 4.4) is a quota rule
//!   over a whole intake and cannot be checked per citizen; the engine only allows grades 5–7 there.

use super::facts::{Circumstance, StudyLevel};
use std::fmt;
use time::macros::date;
use time::Date;

/// The clause of Art. 41 LNVQS: 1 = deferral (tạm hoãn), 2 = exemption (miễn).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Clause {
    Deferral,
    Exemption,
}

/// A point (điểm) of a clause, in the order of the Vietnamese alphabet used by legal texts:
/// a, b, c, d, đ, e, g, h (there is no point "f").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Point {
    A,
    B,
    C,
    D,
    /// đ, which comes after d.
    Dd,
    E,
    G,
    H,
}

impl Point {
    pub fn letter(self) -> &'static str {
        match self {
            Point::A => "a",
            Point::B => "b",
            Point::C => "c",
            Point::D => "d",
            Point::Dd => "đ",
            Point::E => "e",
            Point::G => "g",
            Point::H => "h",
        }
    }
}

/// A legal ground of Art. 41 LNVQS (căn cứ), such as 41.1.đ. Ordered as the law orders them:
/// every 41.1 point before any 41.2 point, points by the Vietnamese alphabet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ground {
    pub clause: Clause,
    pub point: Point,
}

impl Ground {
    pub const fn deferral(point: Point) -> Ground {
        Ground {
            clause: Clause::Deferral,
            point,
        }
    }

    pub const fn exemption(point: Point) -> Ground {
        Ground {
            clause: Clause::Exemption,
            point,
        }
    }

    /// The contract code, e.g. `"41.1.đ"`.
    pub fn code(self) -> String {
        let clause = match self.clause {
            Clause::Deferral => 1,
            Clause::Exemption => 2,
        };
        format!("41.{clause}.{}", self.point.letter())
    }

    /// The citation, e.g. "điểm đ khoản 1 Điều 41 Luật NVQS".
    pub fn source_vi(self) -> String {
        let clause = match self.clause {
            Clause::Deferral => 1,
            Clause::Exemption => 2,
        };
        format!("điểm {} khoản {clause} Điều 41 Luật NVQS", self.point.letter())
    }
}

impl fmt::Display for Ground {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

/// A selection standard (tiêu chuẩn tuyển chọn), in the order the contract lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Standard {
    Education,
    HealthClass,
    Myopia,
    Hyperopia,
    Bmi,
    DrugUse,
    Political,
}

impl Standard {
    pub const ALL: [Standard; 7] = [
        Standard::Education,
        Standard::HealthClass,
        Standard::Myopia,
        Standard::Hyperopia,
        Standard::Bmi,
        Standard::DrugUse,
        Standard::Political,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Standard::Education => "education",
            Standard::HealthClass => "health_class",
            Standard::Myopia => "myopia",
            Standard::Hyperopia => "hyperopia",
            Standard::Bmi => "bmi",
            Standard::DrugUse => "drug_use",
            Standard::Political => "political",
        }
    }
}

/// One amendment that changed the rules; the rule set on a date is keyed by the latest one in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    pub effective_from: Date,
    pub label: &'static str,
    pub instruments: &'static str,
}

/// The amendment dates, oldest first.
pub const VERSIONS: &[Version] = &[
    Version {
        effective_from: date!(2016 - 01 - 01),
        label: "LNVQS 2015",
        instruments: "Luật NVQS 78/2015/QH13 (hiệu lực 01/01/2016)",
    },
    Version {
        effective_from: date!(2020 - 07 - 01),
        label: "LNVQS 2015, sửa đổi 2019",
        instruments: "Luật NVQS 78/2015/QH13, sửa đổi bởi Điều 49 Luật Dân quân tự vệ 48/2019/QH14 \
                      (hiệu lực 01/7/2020)",
    },
    Version {
        effective_from: date!(2025 - 07 - 01),
        label: "LNVQS 2015, sửa đổi 2019 và 2025",
        instruments: "Luật NVQS 78/2015/QH13, sửa đổi bởi Luật 48/2019/QH14 và Luật 98/2025/QH15; \
                      Thông tư 148/2018/TT-BQP sửa đổi bởi Thông tư 68/2025/TT-BQP (hiệu lực 01/7/2025)",
    },
];

const V2016: Date = date!(2016 - 01 - 01);
const V2020: Date = date!(2020 - 07 - 01);
const V2025: Date = date!(2025 - 07 - 01);

/// What a circumstance does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Establishes a ground of Art. 41.
    Ground(Ground),
    /// Art. 13: not allowed to register.
    Barred,
    /// Art. 41: a deferred or exempted citizen who volunteers may be selected.
    Volunteer,
}

/// A circumstance code and its effect, in force from `from` (inclusive) to `until` (exclusive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CircumstanceRule {
    pub circumstance: Circumstance,
    pub effect: Effect,
    pub source_vi: &'static str,
    pub explanation_vi: &'static str,
    pub from: Date,
    pub until: Option<Date>,
}

/// A fact of the record (not a circumstance code) that establishes a ground.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    /// Health class at least this (classes 4–6: not yet fit).
    HealthClassAtLeast(u8),
    /// Full-time study at a general-education school.
    FullTimeGeneralEducation,
    /// Full-time study at one of these levels, within one course of one training level.
    FirstCourseFullTime(&'static [StudyLevel]),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FactRule {
    pub fact: Fact,
    pub ground: Ground,
    /// Whether volunteering lifts this ground. Not for health (Art. 41: not over health).
    pub volunteer_may_waive: bool,
    pub source_vi: &'static str,
    /// May contain `{class}` (health class) and `{level}` (training level).
    pub explanation_vi: &'static str,
    pub from: Date,
    pub until: Option<Date>,
}

/// The test of a standard.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Criterion {
    /// Lowest grade accepted: in general; when the cycle allows grade 7; in a hard area.
    MinEducationGrade {
        general: u8,
        cycle_allowance: u8,
        hard_area: u8,
    },
    /// Highest health class accepted.
    MaxHealthClass(u8),
    /// Myopia above this many diopters is refused.
    MaxMyopiaDiopters(f64),
    /// Any hyperopia is refused.
    NoHyperopia,
    /// BMI outside [min, max] is refused.
    BmiRange {
        min: f64,
        max: f64,
    },
    NoDrugUse,
    PoliticalVettingPassed,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StandardRule {
    pub standard: Standard,
    pub criterion: Criterion,
    pub source_vi: &'static str,
    /// May contain `{grade}`, `{min}`, `{class}`, `{diopters}`, `{bmi}`.
    pub explanation_vi: &'static str,
    pub from: Date,
    pub until: Option<Date>,
}

/// Call-up age (Art. 30 LNVQS; TT 148/2018 Art. 4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeRule {
    /// "đủ 18": from the 18th birthday on.
    pub min_age: i32,
    /// Up to the end of this age.
    pub max_age: i32,
    /// Up to the end of this age for those deferred while at college or university.
    pub max_age_higher_education: i32,
    pub source_vi: &'static str,
}

pub const AGE_RULE: AgeRule = AgeRule {
    min_age: 18,
    max_age: 25,
    max_age_higher_education: 27,
    source_vi: "Điều 30 Luật NVQS; khoản 1 Điều 4 Thông tư 148/2018/TT-BQP",
};

const fn circ(
    circumstance: Circumstance,
    effect: Effect,
    source_vi: &'static str,
    explanation_vi: &'static str,
    from: Date,
    until: Option<Date>,
) -> CircumstanceRule {
    CircumstanceRule {
        circumstance,
        effect,
        source_vi,
        explanation_vi,
        from,
        until,
    }
}

const fn g(clause: Clause, point: Point) -> Effect {
    Effect::Ground(Ground { clause, point })
}

use Circumstance as C;
use Clause::{Deferral as D1, Exemption as E2};

/// Every circumstance code of the contract with its effect.
pub const CIRCUMSTANCE_RULES: &[CircumstanceRule] = &[
    circ(
        C::SoleBreadwinner,
        g(D1, Point::B),
        "điểm b khoản 1 Điều 41 Luật NVQS",
        "Là lao động duy nhất phải trực tiếp nuôi dưỡng thân nhân không còn khả năng lao động \
         hoặc chưa đến tuổi lao động",
        V2016,
        None,
    ),
    circ(
        C::FamilyDisasterLoss,
        g(D1, Point::B),
        "điểm b khoản 1 Điều 41 Luật NVQS",
        "Gia đình bị thiệt hại nặng về người và tài sản do tai nạn, thiên tai, dịch bệnh nguy hiểm \
         gây ra, được Ủy ban nhân dân cấp xã xác nhận",
        V2016,
        Some(V2025),
    ),
    // Since 1/7/2025 the certifying committee is that of the "xã, phường, đặc khu" (VBHN 36).
    circ(
        C::FamilyDisasterLoss,
        g(D1, Point::B),
        "điểm b khoản 1 Điều 41 Luật NVQS",
        "Gia đình bị thiệt hại nặng về người và tài sản do tai nạn, thiên tai, dịch bệnh nguy hiểm \
         gây ra, được Ủy ban nhân dân xã, phường, đặc khu xác nhận",
        V2025,
        None,
    ),
    circ(
        C::ChildOfSickSoldier61To80,
        g(D1, Point::C),
        "điểm c khoản 1 Điều 41 Luật NVQS",
        "Là một con của bệnh binh suy giảm khả năng lao động từ 61% đến 80%",
        V2016,
        None,
    ),
    circ(
        C::ChildOfAgentOrange61To80,
        g(D1, Point::C),
        "điểm c khoản 1 Điều 41 Luật NVQS",
        "Là một con của người nhiễm chất độc da cam suy giảm khả năng lao động từ 61% đến 80%",
        V2016,
        None,
    ),
    circ(
        C::SiblingInService,
        g(D1, Point::D),
        "điểm d khoản 1 Điều 41 Luật NVQS",
        // The wording of the contract example; the ground also covers a sibling doing
        // compulsory service in the People's Police.
        "Có anh/chị/em ruột đang phục vụ tại ngũ",
        V2016,
        None,
    ),
    circ(
        C::ResettledFirst3Years,
        g(D1, Point::Dd),
        "điểm đ khoản 1 Điều 41 Luật NVQS",
        "Thuộc diện di dân, giãn dân trong 3 năm đầu đến các xã đặc biệt khó khăn theo dự án, \
         chương trình kinh tế - xã hội của Nhà nước do Ủy ban nhân dân cấp tỉnh trở lên quyết định",
        V2016,
        None,
    ),
    circ(
        C::OfficialInHardArea,
        g(D1, Point::E),
        "điểm e khoản 1 Điều 41 Luật NVQS",
        "Là cán bộ, công chức, viên chức, thanh niên xung phong được điều động đến công tác, làm \
         việc ở vùng có điều kiện kinh tế - xã hội đặc biệt khó khăn",
        V2016,
        None,
    ),
    // Point h was added by Art. 49 of the Militia Law 48/2019/QH14, in force 1/7/2020 (brief §1.1,
    // caveat 9). Before that date the code is known but establishes nothing.
    circ(
        C::StandingMilitia,
        g(D1, Point::H),
        "điểm h khoản 1 Điều 41 Luật NVQS",
        "Đang phục vụ trong dân quân thường trực",
        V2020,
        None,
    ),
    circ(
        C::ChildOfMartyr,
        g(E2, Point::A),
        "điểm a khoản 2 Điều 41 Luật NVQS",
        "Là con của liệt sĩ",
        V2016,
        None,
    ),
    circ(
        C::ChildOfClass1Invalid,
        g(E2, Point::A),
        "điểm a khoản 2 Điều 41 Luật NVQS",
        "Là con của thương binh hạng một",
        V2016,
        None,
    ),
    circ(
        C::SiblingOfMartyr,
        g(E2, Point::B),
        "điểm b khoản 2 Điều 41 Luật NVQS",
        "Là một anh hoặc em trai của liệt sĩ",
        V2016,
        None,
    ),
    circ(
        C::ChildOfClass2Invalid,
        g(E2, Point::C),
        "điểm c khoản 2 Điều 41 Luật NVQS",
        "Là một con của thương binh hạng hai",
        V2016,
        None,
    ),
    circ(
        C::ChildOfSickSoldier81,
        g(E2, Point::C),
        "điểm c khoản 2 Điều 41 Luật NVQS",
        "Là một con của bệnh binh suy giảm khả năng lao động từ 81% trở lên",
        V2016,
        None,
    ),
    circ(
        C::ChildOfAgentOrange81,
        g(E2, Point::C),
        "điểm c khoản 2 Điều 41 Luật NVQS",
        "Là một con của người nhiễm chất độc da cam suy giảm khả năng lao động từ 81% trở lên",
        V2016,
        None,
    ),
    circ(
        C::CipherWorker,
        g(E2, Point::D),
        "điểm d khoản 2 Điều 41 Luật NVQS",
        "Làm công tác cơ yếu, không phải là quân nhân, Công an nhân dân",
        V2016,
        None,
    ),
    circ(
        C::OfficialInHardArea24m,
        g(E2, Point::Dd),
        "điểm đ khoản 2 Điều 41 Luật NVQS",
        "Là cán bộ, công chức, viên chức, thanh niên xung phong được điều động đến công tác, làm \
         việc ở vùng có điều kiện kinh tế - xã hội đặc biệt khó khăn từ 24 tháng trở lên",
        V2016,
        None,
    ),
    circ(
        C::RegistrationBarred,
        Effect::Barred,
        "Điều 13 Luật NVQS",
        "Thuộc diện không được đăng ký nghĩa vụ quân sự (đang bị truy cứu trách nhiệm hình sự, \
         chấp hành hình phạt, bị áp dụng biện pháp giáo dục, đưa vào trường giáo dưỡng, cơ sở \
         giáo dục bắt buộc, cơ sở cai nghiện bắt buộc, hoặc bị tước quyền phục vụ trong lực lượng \
         vũ trang)",
        V2016,
        None,
    ),
    // UNCONFIRMED (brief §1.5): the volunteer rule of Art. 41 is widely cited, text not retrieved.
    circ(
        C::Volunteer,
        Effect::Volunteer,
        "Điều 41 Luật NVQS",
        "Tình nguyện nhập ngũ: công dân thuộc diện tạm hoãn hoặc miễn gọi nhập ngũ được xem xét \
         tuyển chọn, nhưng không được miễn các tiêu chuẩn về tuổi, sức khỏe và các tiêu chuẩn khác",
        V2016,
        None,
    ),
];

/// Grounds that follow from the record itself.
pub const FACT_RULES: &[FactRule] = &[
    FactRule {
        fact: Fact::HealthClassAtLeast(4),
        ground: Ground::deferral(Point::A),
        volunteer_may_waive: false,
        source_vi: "điểm a khoản 1 Điều 41 Luật NVQS",
        explanation_vi: "Chưa đủ sức khỏe phục vụ tại ngũ: Hội đồng khám sức khỏe kết luận sức \
                         khỏe loại {class}",
        from: V2016,
        until: None,
    },
    FactRule {
        fact: Fact::FullTimeGeneralEducation,
        ground: Ground::deferral(Point::G),
        volunteer_may_waive: true,
        source_vi: "điểm g khoản 1 Điều 41 Luật NVQS",
        explanation_vi: "Đang học tại cơ sở giáo dục phổ thông",
        from: V2016,
        until: None,
    },
    FactRule {
        fact: Fact::FirstCourseFullTime(&[StudyLevel::College, StudyLevel::University]),
        ground: Ground::deferral(Point::G),
        volunteer_may_waive: true,
        source_vi: "điểm g khoản 1 Điều 41 Luật NVQS",
        explanation_vi: "Đang được đào tạo trình độ {level} hệ chính quy, trong thời gian một khóa \
                         đào tạo của một trình độ đào tạo",
        from: V2016,
        until: None,
    },
];

const TT148_EDU: &str = "khoản 4 Điều 4 Thông tư 148/2018/TT-BQP";
const TT148_HEALTH: &str = "khoản 3 Điều 4 Thông tư 148/2018/TT-BQP";
const TT68_HEALTH: &str = "khoản 3 Điều 4 Thông tư 148/2018/TT-BQP, sửa đổi bởi Thông tư 68/2025/TT-BQP";
const POLITICAL: &str = "khoản 2 Điều 4 Thông tư 148/2018/TT-BQP; Thông tư liên tịch 50/2016/TTLT-BQP-BCA";

const fn std_rule(
    standard: Standard,
    criterion: Criterion,
    source_vi: &'static str,
    explanation_vi: &'static str,
    from: Date,
    until: Option<Date>,
) -> StandardRule {
    StandardRule {
        standard,
        criterion,
        source_vi,
        explanation_vi,
        from,
        until,
    }
}

/// The selection standards. The pre-2025 health rows apply the contract's thresholds (see the
/// module comment: the older thresholds are not in the brief) and cite TT 148/2018 only.
pub const STANDARD_RULES: &[StandardRule] = &[
    std_rule(
        Standard::Education,
        Criterion::MinEducationGrade {
            general: 8,
            cycle_allowance: 7,
            hard_area: 5,
        },
        TT148_EDU,
        "Trình độ văn hóa lớp {grade}, dưới mức thấp nhất được tuyển với công dân này (lớp {min})",
        V2016,
        None,
    ),
    std_rule(
        Standard::HealthClass,
        Criterion::MaxHealthClass(3),
        "khoản 3 Điều 4 Thông tư 148/2018/TT-BQP; Điều 5, 6 Thông tư 105/2023/TT-BQP",
        "Sức khỏe loại {class}, không thuộc loại 1, 2 hoặc 3",
        V2016,
        None,
    ),
    std_rule(
        Standard::Myopia,
        Criterion::MaxMyopiaDiopters(1.5),
        TT148_HEALTH,
        "Cận thị {diopters} điốp, vượt quá 1,5 điốp",
        V2016,
        Some(V2025),
    ),
    std_rule(
        Standard::Myopia,
        Criterion::MaxMyopiaDiopters(1.5),
        TT68_HEALTH,
        "Cận thị {diopters} điốp, vượt quá 1,5 điốp",
        V2025,
        None,
    ),
    std_rule(
        Standard::Hyperopia,
        Criterion::NoHyperopia,
        TT148_HEALTH,
        "Viễn thị (không gọi nhập ngũ công dân viễn thị ở mọi mức độ)",
        V2016,
        Some(V2025),
    ),
    std_rule(
        Standard::Hyperopia,
        Criterion::NoHyperopia,
        TT68_HEALTH,
        "Viễn thị (không gọi nhập ngũ công dân viễn thị ở mọi mức độ)",
        V2025,
        None,
    ),
    std_rule(
        Standard::Bmi,
        Criterion::BmiRange { min: 18.0, max: 29.9 },
        TT148_HEALTH,
        "Chỉ số khối cơ thể (BMI) {bmi}, ngoài khoảng 18,0–29,9",
        V2016,
        Some(V2025),
    ),
    std_rule(
        Standard::Bmi,
        Criterion::BmiRange { min: 18.0, max: 29.9 },
        TT68_HEALTH,
        "Chỉ số khối cơ thể (BMI) {bmi}, ngoài khoảng 18,0–29,9",
        V2025,
        None,
    ),
    std_rule(
        Standard::DrugUse,
        Criterion::NoDrugUse,
        "Thông tư 105/2023/TT-BQP",
        "Có sử dụng chất ma túy theo kết luận khám sức khỏe",
        V2016,
        None,
    ),
    std_rule(
        Standard::Political,
        Criterion::PoliticalVettingPassed,
        POLITICAL,
        "Không đạt tiêu chuẩn chính trị qua thẩm tra, xác minh",
        V2016,
        None,
    ),
];

fn in_force(from: Date, until: Option<Date>, on: Date) -> bool {
    from <= on && until.is_none_or(|u| on < u)
}

/// The rules in force on one date.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    pub version: Version,
    pub age: AgeRule,
    pub circumstances: Vec<&'static CircumstanceRule>,
    pub facts: Vec<&'static FactRule>,
    pub standards: Vec<&'static StandardRule>,
}

impl RuleSet {
    /// The rule set in force on `on`, or `None` before LNVQS 78/2015 took effect (1/1/2016).
    pub fn on(on: Date) -> Option<RuleSet> {
        let version = *VERSIONS.iter().rev().find(|v| v.effective_from <= on)?;
        Some(RuleSet {
            version,
            age: AGE_RULE,
            circumstances: CIRCUMSTANCE_RULES
                .iter()
                .filter(|r| in_force(r.from, r.until, on))
                .collect(),
            facts: FACT_RULES.iter().filter(|r| in_force(r.from, r.until, on)).collect(),
            standards: STANDARD_RULES
                .iter()
                .filter(|r| in_force(r.from, r.until, on))
                .collect(),
        })
    }

    /// The earliest date any rule set covers.
    pub fn earliest_date() -> Date {
        VERSIONS[0].effective_from
    }

    /// Every ground of Art. 41 that some rule in force establishes, in the law's order, with
    /// the explanation of the first rule that names it (for the forms of deferral and exemption
    /// decisions).
    pub fn grounds(&self) -> Vec<(Ground, &'static str)> {
        let mut out: Vec<(Ground, &'static str)> = Vec::new();
        let from_circumstances = self.circumstances.iter().filter_map(|r| match r.effect {
            Effect::Ground(g) => Some((g, r.explanation_vi)),
            _ => None,
        });
        let from_facts = self.facts.iter().map(|r| (r.ground, r.explanation_vi));
        for (g, why) in from_circumstances.chain(from_facts) {
            if !out.iter().any(|(o, _)| *o == g) {
                out.push((g, why));
            }
        }
        out.sort_by_key(|(g, _)| *g);
        out
    }

    /// The rules attached to one circumstance code (none when it has no effect on this date).
    pub fn circumstance_rules(&self, c: Circumstance) -> impl Iterator<Item = &'static CircumstanceRule> + '_ {
        self.circumstances.iter().copied().filter(move |r| r.circumstance == c)
    }
}
