//! The decision for one citizen in one cycle (contract `nvqs-assess.md`, "Output").

use super::facts::{CitizenFacts, Cycle, PoliticalVetting, StudyLevel};
use super::rules::{Clause, Criterion, Effect, Fact, Ground, RuleSet, Standard, StandardRule};
use crate::reserve::age::{birthday, last_day_of_age, Sex};
use std::collections::BTreeMap;
use time::Date;

/// The outcome, in the order of precedence of the contract (the first that applies wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    TooYoung,
    OverAge,
    Barred,
    NotSubject,
    Exempted,
    Deferred,
    Unqualified,
    Eligible,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::TooYoung,
        Status::OverAge,
        Status::Barred,
        Status::NotSubject,
        Status::Exempted,
        Status::Deferred,
        Status::Unqualified,
        Status::Eligible,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Status::TooYoung => "too_young",
            Status::OverAge => "over_age",
            Status::Barred => "barred",
            Status::NotSubject => "not_subject",
            Status::Exempted => "exempted",
            Status::Deferred => "deferred",
            Status::Unqualified => "unqualified",
            Status::Eligible => "eligible",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Status::TooYoung => "Chưa đủ tuổi gọi nhập ngũ",
            Status::OverAge => "Quá tuổi gọi nhập ngũ",
            Status::Barred => "Không được đăng ký nghĩa vụ quân sự",
            Status::NotSubject => "Không thuộc diện gọi nhập ngũ",
            Status::Exempted => "Miễn gọi nhập ngũ",
            Status::Deferred => "Tạm hoãn gọi nhập ngũ",
            Status::Unqualified => "Không đạt tiêu chuẩn tuyển chọn",
            Status::Eligible => "Đủ điều kiện gọi nhập ngũ",
        }
    }
}

/// The engine's answer for one citizen.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub id: String,
    pub status: Status,
    /// Every ground of Art. 41 that applies, in the law's order, whatever the status.
    pub grounds: Vec<Ground>,
    /// Every standard unmet, in the contract's order.
    pub unmet_standards: Vec<Standard>,
    /// Standards that could not be checked because the record lacks the fact they need (the
    /// education level not recorded): not unmet (contract: missing facts are not unmet
    /// standards), but the citizen "needs checking" (cần kiểm tra).
    pub unchecked: Vec<Standard>,
    /// The last day of call-up age: the day before the 26th (or 28th) birthday.
    pub age_limit_date: Date,
    /// One sentence per ground, then one per unmet standard, each naming its legal source.
    pub reasons: Vec<String>,
    /// The rule-set version applied.
    pub rule_version: &'static str,
    /// What [`Decision::status_reason`] needs; kept instead of the sentence itself, so that a
    /// registry-wide assessment does not format a sentence per citizen that nobody reads.
    why: StatusContext,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct StatusContext {
    reference_date: Date,
    adult_from: Date,
    min_age: i32,
    max_age: i32,
    age_source: &'static str,
    barred: Option<(&'static str, &'static str)>,
}

impl Decision {
    /// Eligible on the facts recorded, but a fact a standard needs is missing (cần kiểm tra).
    pub fn needs_checking(&self) -> bool {
        self.status == Status::Eligible && !self.unchecked.is_empty()
    }

    /// One sentence explaining the status itself, with its legal source (not part of the contract
    /// output; for screens and printed lists).
    pub fn status_reason(&self) -> String {
        let w = &self.why;
        let date = crate::dates::vi_date;
        match self.status {
            Status::TooYoung => format!(
                "Chưa đủ {} tuổi vào ngày {} (đủ {} tuổi từ ngày {}) ({})",
                w.min_age,
                date(w.reference_date),
                w.min_age,
                date(w.adult_from),
                w.age_source
            ),
            Status::OverAge => format!(
                "Đã hết tuổi {} (hạn cuối ngày {}) vào ngày {} ({})",
                w.max_age,
                date(self.age_limit_date),
                date(w.reference_date),
                w.age_source
            ),
            Status::Barred => {
                let (explanation, source) = w.barred.unwrap_or(("Thuộc diện không được đăng ký nghĩa vụ quân sự", "Điều 13 Luật NVQS"));
                format!("{explanation} ({source})")
            }
            Status::NotSubject => "Công dân nữ không tình nguyện nhập ngũ; công dân nữ chỉ được tuyển chọn khi tình nguyện, theo quyết định của Thủ tướng Chính phủ (Luật NVQS)".to_string(),
            Status::Exempted => "Có căn cứ miễn gọi nhập ngũ (khoản 2 Điều 41 Luật NVQS)".to_string(),
            Status::Deferred => "Có căn cứ tạm hoãn gọi nhập ngũ (khoản 1 Điều 41 Luật NVQS)".to_string(),
            Status::Unqualified => {
                "Không đạt tiêu chuẩn tuyển chọn (Điều 31 Luật NVQS; Điều 4 Thông tư 148/2018/TT-BQP)".to_string()
            }
            Status::Eligible if !self.unchecked.is_empty() => format!(
                "Trong độ tuổi gọi nhập ngũ (đến hết ngày {}), không có căn cứ tạm hoãn, miễn theo các \
                 thông tin đã có; cần kiểm tra: hồ sơ chưa ghi trình độ văn hóa nên chưa xét được tiêu \
                 chuẩn văn hóa (Điều 30, 31 Luật NVQS)",
                date(self.age_limit_date)
            ),
            Status::Eligible => format!(
                "Trong độ tuổi gọi nhập ngũ (đến hết ngày {}), không có căn cứ tạm hoãn, miễn và \
                 không có tiêu chuẩn nào chưa đạt theo các thông tin đã có (Điều 30, 31 Luật NVQS)",
                date(self.age_limit_date)
            ),
        }
    }
}

/// Format a number the Vietnamese way (decimal comma), without trailing zeros beyond one decimal.
fn vi_number(x: f64) -> String {
    let s = if (x * 10.0).fract() == 0.0 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    };
    s.replace('.', ",")
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The lowest grade accepted for this citizen under a `MinEducationGrade` criterion.
fn min_grade(general: u8, cycle_allowance: u8, hard_area_min: u8, cycle: &Cycle, hard_area: bool) -> u8 {
    let mut min = general;
    if cycle.allow_grade_7() {
        min = min.min(cycle_allowance);
    }
    if hard_area {
        min = min.min(hard_area_min);
    }
    min
}

/// The sentence for an unmet standard, or `None` when it is met or its facts are missing.
fn unmet(rule: &StandardRule, cycle: &Cycle, f: &CitizenFacts) -> Option<String> {
    let health = f.health.as_ref();
    let text = |pairs: &[(&str, String)]| {
        let mut s = rule.explanation_vi.to_string();
        for (k, v) in pairs {
            s = s.replace(k, v);
        }
        s
    };
    match rule.criterion {
        Criterion::MinEducationGrade {
            general,
            cycle_allowance,
            hard_area,
        } => {
            let min = min_grade(general, cycle_allowance, hard_area, cycle, f.hard_area);
            let grade = f.education_grade?;
            (grade < min).then(|| text(&[("{grade}", grade.to_string()), ("{min}", min.to_string())]))
        }
        Criterion::MaxHealthClass(max) => health
            .filter(|h| h.class.get() > max)
            .map(|h| text(&[("{class}", h.class.get().to_string())])),
        Criterion::MaxMyopiaDiopters(max) => health
            .and_then(|h| h.myopia_diopters)
            .filter(|&d| d > max)
            .map(|d| text(&[("{diopters}", vi_number(d))])),
        Criterion::NoHyperopia => health.and_then(|h| h.hyperopia).filter(|&h| h).map(|_| text(&[])),
        Criterion::BmiRange { min, max } => health
            .and_then(|h| h.bmi)
            .filter(|&b| b < min || b > max)
            .map(|b| text(&[("{bmi}", vi_number(b))])),
        Criterion::NoDrugUse => health.and_then(|h| h.drug_use).filter(|&d| d).map(|_| text(&[])),
        Criterion::PoliticalVettingPassed => (f.political_vetting == Some(PoliticalVetting::Failed)).then(|| text(&[])),
    }
}

struct GroundFinding {
    source: &'static str,
    explanations: Vec<String>,
    /// Whether volunteering lifts it (every finding for this ground must allow it).
    waivable: bool,
}

/// Assess one citizen in one cycle, with the rule set in force on the cycle's reference date.
pub fn assess(cycle: &Cycle, facts: &CitizenFacts) -> Decision {
    let rules =
        RuleSet::on(cycle.reference_date()).expect("Cycle::new refuses reference dates before the first rule set");
    assess_with(&rules, cycle, facts)
}

/// Assess with an explicit rule set.
pub fn assess_with(rules: &RuleSet, cycle: &Cycle, f: &CitizenFacts) -> Decision {
    let on = cycle.reference_date();
    let age = rules.age;
    // Art. 30: to the end of age 27 for a citizen deferred for full-time college or university
    // study, whether deferred before or deferred now (41.1.g for such a course).
    let higher_education_now = f.studying.is_some_and(|s| {
        matches!(s.level, StudyLevel::College | StudyLevel::University) && s.full_time && s.first_course_at_level
    });
    let max_age = if f.deferred_before_for_higher_education || higher_education_now {
        age.max_age_higher_education
    } else {
        age.max_age
    };
    let age_limit_date = last_day_of_age(f.birth_date, max_age);
    let adult_from = birthday(f.birth_date, age.min_age);

    // Grounds, bars and the volunteer flag from circumstance codes.
    let mut findings: BTreeMap<Ground, GroundFinding> = BTreeMap::new();
    let mut add = |ground: Ground, source: &'static str, explanation: String, waivable: bool| {
        let e = findings.entry(ground).or_insert(GroundFinding {
            source,
            explanations: Vec::new(),
            waivable: true,
        });
        if !e.explanations.contains(&explanation) {
            e.explanations.push(explanation);
        }
        e.waivable &= waivable;
    };
    let mut barred = None;
    let mut volunteer = false;
    // In the order of the rule table, so that the reasons do not depend on the input order.
    for rule in rules
        .circumstances
        .iter()
        .filter(|r| f.circumstances.contains(&r.circumstance))
    {
        match rule.effect {
            Effect::Ground(g) => add(g, rule.source_vi, rule.explanation_vi.to_string(), true),
            Effect::Barred => barred = Some(*rule),
            Effect::Volunteer => volunteer = true,
        }
    }
    // Grounds from the record.
    for rule in &rules.facts {
        let explanation = match rule.fact {
            Fact::HealthClassAtLeast(min) => f
                .health
                .filter(|h| h.class.get() >= min)
                .map(|h| rule.explanation_vi.replace("{class}", &h.class.get().to_string())),
            Fact::FullTimeGeneralEducation => f
                .studying
                .filter(|s| s.level == StudyLevel::General && s.full_time)
                .map(|_| rule.explanation_vi.to_string()),
            Fact::FirstCourseFullTime(levels) => f
                .studying
                .filter(|s| levels.contains(&s.level) && s.full_time && s.first_course_at_level)
                .map(|s| rule.explanation_vi.replace("{level}", s.level.label_vi())),
        };
        if let Some(e) = explanation {
            add(rule.ground, rule.source_vi, e, rule.volunteer_may_waive);
        }
    }

    let mut reasons = Vec::new();
    for finding in findings.values() {
        let mut sentence = String::new();
        for (i, e) in finding.explanations.iter().enumerate() {
            if i == 0 {
                sentence.push_str(e);
            } else {
                sentence.push_str("; ");
                sentence.push_str(&lower_first(e));
            }
        }
        reasons.push(format!("{sentence} ({})", finding.source));
    }

    let mut unmet_standards = Vec::new();
    for rule in &rules.standards {
        if let Some(s) = unmet(rule, cycle, f) {
            if !unmet_standards.contains(&rule.standard) {
                unmet_standards.push(rule.standard);
                reasons.push(format!("{s} ({})", rule.source_vi));
            }
        }
    }

    let mut unchecked = Vec::new();
    if f.education_grade.is_none() && rules.standards.iter().any(|r| r.standard == Standard::Education) {
        unchecked.push(Standard::Education);
    }

    let exempt = findings.keys().any(|g| g.clause == Clause::Exemption);
    let unwaivable_deferral = findings
        .iter()
        .any(|(g, x)| g.clause == Clause::Deferral && !x.waivable);
    let deferral = findings.keys().any(|g| g.clause == Clause::Deferral);

    let status = if on < adult_from {
        Status::TooYoung
    } else if on > age_limit_date {
        Status::OverAge
    } else if barred.is_some() {
        Status::Barred
    } else if f.sex == Sex::Female && !volunteer {
        Status::NotSubject
    } else if exempt && !volunteer {
        Status::Exempted
    } else if unwaivable_deferral || (deferral && !volunteer) {
        Status::Deferred
    } else if !unmet_standards.is_empty() {
        Status::Unqualified
    } else {
        Status::Eligible
    };
    let why = StatusContext {
        reference_date: on,
        adult_from,
        min_age: age.min_age,
        max_age,
        age_source: age.source_vi,
        barred: barred.map(|rule| (rule.explanation_vi, rule.source_vi)),
    };

    Decision {
        id: f.id.clone(),
        status,
        grounds: findings.keys().copied().collect(),
        unmet_standards,
        unchecked,
        age_limit_date,
        reasons,
        rule_version: rules.version.label,
        why,
    }
}
