//! Tests of the eligibility engine against the contract `nvqs-assess.md`.

use super::*;
use proptest::prelude::*;
use serde_json::{json, Value};
use time::macros::date;
use time::{Date, Duration};

const REF: Date = date!(2025 - 12 - 31);

fn cycle() -> Cycle {
    Cycle::new(2026, REF, false).unwrap()
}

fn cycle_on(on: Date, allow_grade_7: bool) -> Cycle {
    Cycle::new(on.year() + 1, on, allow_grade_7).unwrap()
}

/// A fit, vetted man with grade 12, born 12 May 2006: eligible on 31 Dec 2025.
fn base() -> CitizenFacts {
    CitizenFacts {
        id: "c-001".into(),
        national_id: None,
        full_name: "Nguyễn Văn An".into(),
        birth_date: date!(2006 - 05 - 12),
        sex: Sex::Male,
        education_grade: Some(12),
        hard_area: false,
        studying: None,
        deferred_before_for_higher_education: false,
        health: Some(Health {
            class: HealthClass::new(1).unwrap(),
            myopia_diopters: None,
            hyperopia: None,
            bmi: None,
            drug_use: None,
        }),
        political_vetting: Some(PoliticalVetting::Passed),
        circumstances: vec![],
    }
}

fn with(f: impl FnOnce(&mut CitizenFacts)) -> CitizenFacts {
    let mut c = base();
    f(&mut c);
    c
}

fn health(f: impl FnOnce(&mut Health)) -> CitizenFacts {
    with(|c| f(c.health.as_mut().unwrap()))
}

fn status(c: &CitizenFacts) -> Status {
    assess(&cycle(), c).status
}

fn codes(d: &Decision) -> Vec<String> {
    d.grounds.iter().map(|g| g.code()).collect()
}

fn standards(d: &Decision) -> Vec<&'static str> {
    d.unmet_standards.iter().map(|s| s.code()).collect()
}

// ---------------------------------------------------------------- the contract example

const CONTRACT_EXAMPLE: &str = r#"{
  "cycle": {
    "year": 2026,                      // the year of induction (handover)
    "reference_date": "2025-12-31",    // ages and circumstances are judged on this date
    "allow_grade_7": false             // the competent level allowed grade-7 recruits this cycle
  },
  "citizens": [{
    "id": "c-001",                     // the caller's key, echoed back
    "national_id": "034206001234",     // optional; when present it must agree with sex and birth year
    "full_name": "Nguyễn Văn An",
    "birth_date": "2006-05-12",
    "sex": "male",                     // "male" | "female"
    "education_grade": 12,             // general-education grade completed, 0..12
    "hard_area": false,                // commune in a remote/extremely difficult area, or an ethnic minority under 10,000 people
    "studying": {                      // null when not studying
      "level": "university",           // "general" | "vocational" | "college" | "university" | "postgraduate"
      "full_time": true,
      "first_course_at_level": true    // still within one course of one training level
    },
    "deferred_before_for_higher_education": false,  // was deferred earlier while at college or university
    "health": {                        // null when not examined yet
      "class": 2,                      // 1..6
      "myopia_diopters": 0.5,          // optional, the worse eye
      "hyperopia": false,              // optional
      "bmi": 21.3,                     // optional; or give height_cm and weight_kg
      "drug_use": false                // optional
    },
    "political_vetting": "passed",     // "passed" | "failed" | null (not done yet)
    "circumstances": ["sibling_in_service"]
  }]
}"#;

#[test]
fn contract_example_gives_the_contract_output() {
    let out: Value = serde_json::from_str(&assess_contract_json(CONTRACT_EXAMPLE).unwrap()).unwrap();
    assert_eq!(
        out,
        json!({"decisions": [{
            "id": "c-001",
            "status": "deferred",
            "grounds": ["41.1.d", "41.1.g"],
            "unmet_standards": [],
            // Deferred now for full-time university study (41.1.g): call-up age runs to the end
            // of 27 (the contract's `over_age` rule: "deferred before ... or deferred now under
            // 41.1.g for such a course"), so the day before the 28th birthday. The contract's
            // example output still shows the 25-year limit (2032-05-11), which contradicts its
            // own rule.
            "age_limit_date": "2034-05-11",
            "reasons": [
                "Có anh/chị/em ruột đang phục vụ tại ngũ (điểm d khoản 1 Điều 41 Luật NVQS)",
                "Đang được đào tạo trình độ đại học hệ chính quy, trong thời gian một khóa đào tạo \
                 của một trình độ đào tạo (điểm g khoản 1 Điều 41 Luật NVQS)"
            ]
        }]})
    );
}

#[test]
fn output_keys_are_in_contract_order() {
    let out = assess_contract_json(CONTRACT_EXAMPLE).unwrap();
    let pos = |k: &str| out.find(&format!("\"{k}\"")).unwrap();
    let keys = [
        "decisions",
        "id",
        "status",
        "grounds",
        "unmet_standards",
        "age_limit_date",
        "reasons",
    ];
    for w in keys.windows(2) {
        assert!(pos(w[0]) < pos(w[1]), "{} before {}", w[0], w[1]);
    }
}

// ---------------------------------------------------------------- statuses

#[test]
fn each_status() {
    assert_eq!(status(&base()), Status::Eligible);
    assert_eq!(
        status(&with(|c| c.birth_date = date!(2008 - 01 - 01))),
        Status::TooYoung
    );
    assert_eq!(status(&with(|c| c.birth_date = date!(1999 - 01 - 01))), Status::OverAge);
    assert_eq!(
        status(&with(|c| c.circumstances = vec![Circumstance::RegistrationBarred])),
        Status::Barred
    );
    assert_eq!(status(&with(|c| c.sex = Sex::Female)), Status::NotSubject);
    assert_eq!(
        status(&with(|c| c.circumstances = vec![Circumstance::ChildOfMartyr])),
        Status::Exempted
    );
    assert_eq!(
        status(&with(|c| c.circumstances = vec![Circumstance::SiblingInService])),
        Status::Deferred
    );
    assert_eq!(
        status(&with(|c| c.political_vetting = Some(PoliticalVetting::Failed))),
        Status::Unqualified
    );
    let codes: Vec<_> = Status::ALL.iter().map(|s| s.code()).collect();
    assert_eq!(
        codes,
        [
            "too_young",
            "over_age",
            "barred",
            "not_subject",
            "exempted",
            "deferred",
            "unqualified",
            "eligible"
        ]
    );
}

#[test]
fn status_precedence_follows_the_contract_order() {
    use Circumstance as C;
    // too_young beats barred, female, exemption.
    let c = with(|c| {
        c.birth_date = date!(2008 - 06 - 01);
        c.sex = Sex::Female;
        c.circumstances = vec![C::RegistrationBarred, C::ChildOfMartyr];
    });
    assert_eq!(status(&c), Status::TooYoung);
    // over_age beats barred.
    let c = with(|c| {
        c.birth_date = date!(1990 - 06 - 01);
        c.circumstances = vec![C::RegistrationBarred];
    });
    assert_eq!(status(&c), Status::OverAge);
    // barred beats female, even a volunteer.
    let c = with(|c| {
        c.sex = Sex::Female;
        c.circumstances = vec![C::Volunteer, C::RegistrationBarred];
    });
    assert_eq!(status(&c), Status::Barred);
    // not_subject beats exemption and deferral.
    let c = with(|c| {
        c.sex = Sex::Female;
        c.circumstances = vec![C::ChildOfMartyr, C::SiblingInService];
    });
    assert_eq!(status(&c), Status::NotSubject);
    // exempted beats deferred.
    let c = with(|c| c.circumstances = vec![C::SiblingInService, C::CipherWorker]);
    assert_eq!(status(&c), Status::Exempted);
    // deferred beats unqualified.
    let c = with(|c| {
        c.circumstances = vec![C::SiblingInService];
        c.political_vetting = Some(PoliticalVetting::Failed);
    });
    assert_eq!(status(&c), Status::Deferred);
}

#[test]
fn volunteers() {
    use Circumstance as C;
    // A female volunteer who meets the standards is eligible.
    let c = with(|c| {
        c.sex = Sex::Female;
        c.circumstances = vec![C::Volunteer];
    });
    assert_eq!(status(&c), Status::Eligible);
    // An exempted or deferred volunteer may be selected; the grounds are still listed.
    let c = with(|c| c.circumstances = vec![C::Volunteer, C::ChildOfMartyr, C::SiblingInService]);
    let d = assess(&cycle(), &c);
    assert_eq!(d.status, Status::Eligible);
    assert_eq!(codes(&d), ["41.1.d", "41.2.a"]);
    assert_eq!(d.reasons.len(), 2);
    // ... but not over health (41.1.a stays a deferral) nor over the standards.
    let c = with(|c| {
        c.circumstances = vec![C::Volunteer];
        c.health.as_mut().unwrap().class = HealthClass::new(4).unwrap();
    });
    assert_eq!(status(&c), Status::Deferred);
    let c = with(|c| {
        c.circumstances = vec![C::Volunteer, C::SiblingInService];
        c.education_grade = Some(6);
    });
    assert_eq!(status(&c), Status::Unqualified);
    // ... nor over age.
    let c = with(|c| {
        c.circumstances = vec![C::Volunteer];
        c.birth_date = date!(1998 - 01 - 01);
    });
    assert_eq!(status(&c), Status::OverAge);
}

// ---------------------------------------------------------------- grounds

#[test]
fn each_circumstance_establishes_its_ground() {
    // The table of the contract, restated independently of the rule data.
    let table = [
        ("sole_breadwinner", Some("41.1.b")),
        ("family_disaster_loss", Some("41.1.b")),
        ("child_of_sick_soldier_61_80", Some("41.1.c")),
        ("child_of_agent_orange_61_80", Some("41.1.c")),
        ("sibling_in_service", Some("41.1.d")),
        ("resettled_first_3_years", Some("41.1.đ")),
        ("official_in_hard_area", Some("41.1.e")),
        ("standing_militia", Some("41.1.h")),
        ("child_of_martyr", Some("41.2.a")),
        ("child_of_class1_invalid", Some("41.2.a")),
        ("sibling_of_martyr", Some("41.2.b")),
        ("child_of_class2_invalid", Some("41.2.c")),
        ("child_of_sick_soldier_81", Some("41.2.c")),
        ("child_of_agent_orange_81", Some("41.2.c")),
        ("cipher_worker", Some("41.2.d")),
        ("official_in_hard_area_24m", Some("41.2.đ")),
        ("registration_barred", None),
        ("volunteer", None),
    ];
    assert_eq!(table.len(), Circumstance::ALL.len());
    for (code, ground) in table {
        let circ = Circumstance::parse(code).unwrap_or_else(|| panic!("{code} is a contract code"));
        assert_eq!(circ.code(), code);
        let d = assess(&cycle(), &with(|c| c.circumstances = vec![circ]));
        let expected: Vec<String> = ground.iter().map(|g| g.to_string()).collect();
        assert_eq!(codes(&d), expected, "{code}");
        assert_eq!(d.reasons.len(), expected.len(), "{code}");
        if let Some(g) = ground {
            let point = g.rsplit('.').next().unwrap();
            let clause = &g[3..4];
            let cite = format!("(điểm {point} khoản {clause} Điều 41 Luật NVQS)");
            assert!(d.reasons[0].ends_with(&cite), "{code}: {}", d.reasons[0]);
            let expected_status = if clause == "1" {
                Status::Deferred
            } else {
                Status::Exempted
            };
            assert_eq!(d.status, expected_status, "{code}");
        }
    }
}

#[test]
fn health_classes_4_to_6_defer_under_41_1_a() {
    for class in 1..=6 {
        let c = health(|h| h.class = HealthClass::new(class).unwrap());
        let d = assess(&cycle(), &c);
        if class >= 4 {
            assert_eq!(d.status, Status::Deferred);
            assert_eq!(codes(&d), ["41.1.a"]);
            assert_eq!(standards(&d), ["health_class"]);
            assert_eq!(d.reasons.len(), 2);
            assert!(d.reasons[0].contains(&format!("loại {class}")));
            assert!(d.reasons[0].ends_with("(điểm a khoản 1 Điều 41 Luật NVQS)"));
        } else {
            assert_eq!(d.status, Status::Eligible, "class {class}");
            assert!(d.grounds.is_empty());
        }
    }
    assert!(HealthClass::new(0).is_none());
    assert!(HealthClass::new(7).is_none());
}

#[test]
fn study_establishes_41_1_g_only_for_the_contract_cases() {
    let study = |level, full_time, first_course_at_level| {
        let c = with(|c| {
            c.studying = Some(Studying {
                level,
                full_time,
                first_course_at_level,
            })
        });
        codes(&assess(&cycle(), &c))
    };
    use StudyLevel::*;
    let g = vec!["41.1.g".to_string()];
    let none: Vec<String> = vec![];
    assert_eq!(study(General, true, false), g);
    assert_eq!(study(General, false, true), none);
    assert_eq!(study(College, true, true), g);
    assert_eq!(study(University, true, true), g);
    assert_eq!(study(University, true, false), none);
    assert_eq!(study(University, false, true), none);
    assert_eq!(study(Vocational, true, true), none);
    assert_eq!(study(Postgraduate, true, true), none);
}

#[test]
fn grounds_are_sorted_as_the_law_orders_them() {
    // Input deliberately in reverse order; đ after d, 41.1 before 41.2.
    let c = with(|c| {
        c.circumstances = Circumstance::ALL.iter().rev().copied().collect();
        c.health.as_mut().unwrap().class = HealthClass::new(5).unwrap();
        c.studying = Some(Studying {
            level: StudyLevel::General,
            full_time: true,
            first_course_at_level: true,
        });
        c.circumstances.retain(|x| *x != Circumstance::RegistrationBarred);
    });
    let d = assess(&cycle(), &c);
    assert_eq!(
        codes(&d),
        [
            "41.1.a", "41.1.b", "41.1.c", "41.1.d", "41.1.đ", "41.1.e", "41.1.g", "41.1.h", "41.2.a", "41.2.b",
            "41.2.c", "41.2.d", "41.2.đ"
        ]
    );
    // One reason per ground (two codes for 41.1.b share one sentence), then one per standard.
    assert_eq!(d.reasons.len(), 13 + d.unmet_standards.len());
    assert!(d.reasons[1].starts_with("Là lao động duy nhất"));
    assert!(d.reasons[1].contains("; gia đình bị thiệt hại"));
    // Health class 5 keeps the volunteer deferred.
    assert_eq!(d.status, Status::Deferred);
    let mut sorted = d.grounds.clone();
    sorted.sort();
    assert_eq!(sorted, d.grounds);
}

#[test]
fn standing_militia_is_a_ground_only_from_1_july_2020() {
    let c = with(|c| c.circumstances = vec![Circumstance::StandingMilitia]);
    let before = assess(
        &cycle_on(date!(2020 - 06 - 30), false),
        &with(|x| {
            x.birth_date = date!(2000 - 01 - 01);
            x.circumstances = c.circumstances.clone();
        }),
    );
    assert!(before.grounds.is_empty());
    assert_eq!(before.status, Status::Eligible);
    let after = assess(
        &cycle_on(date!(2020 - 07 - 01), false),
        &with(|x| {
            x.birth_date = date!(2000 - 01 - 01);
            x.circumstances = c.circumstances.clone();
        }),
    );
    assert_eq!(codes(&after), ["41.1.h"]);
    assert_eq!(after.status, Status::Deferred);
}

// ---------------------------------------------------------------- standards

#[test]
fn each_standard() {
    let cases: Vec<(&str, CitizenFacts)> = vec![
        ("education", with(|c| c.education_grade = Some(7))),
        ("myopia", health(|h| h.myopia_diopters = Some(1.75))),
        ("hyperopia", health(|h| h.hyperopia = Some(true))),
        ("bmi", health(|h| h.bmi = Some(17.9))),
        ("bmi", health(|h| h.bmi = Some(30.0))),
        ("drug_use", health(|h| h.drug_use = Some(true))),
        (
            "political",
            with(|c| c.political_vetting = Some(PoliticalVetting::Failed)),
        ),
    ];
    for (code, c) in cases {
        let d = assess(&cycle(), &c);
        assert_eq!(d.status, Status::Unqualified, "{code}");
        assert_eq!(standards(&d), [code]);
        assert_eq!(d.reasons.len(), 1);
        assert!(d.reasons[0].ends_with(')'), "{}", d.reasons[0]);
    }
    // Boundaries that are still met.
    for c in [
        health(|h| h.myopia_diopters = Some(1.5)),
        health(|h| h.hyperopia = Some(false)),
        health(|h| h.bmi = Some(18.0)),
        health(|h| h.bmi = Some(29.9)),
        health(|h| h.drug_use = Some(false)),
    ] {
        assert_eq!(status(&c), Status::Eligible, "{c:?}");
    }
    // The 2025 rows cite TT 68/2025.
    let d = assess(&cycle(), &health(|h| h.myopia_diopters = Some(2.0)));
    assert_eq!(
        d.reasons,
        [
            "Cận thị 2,0 điốp, vượt quá 1,5 điốp (khoản 3 Điều 4 Thông tư 148/2018/TT-BQP, \
          sửa đổi bởi Thông tư 68/2025/TT-BQP)"
        ]
    );
    // All unmet standards at once, in contract order.
    let c = with(|c| {
        c.education_grade = Some(3);
        c.political_vetting = Some(PoliticalVetting::Failed);
        c.health = Some(Health {
            class: HealthClass::new(6).unwrap(),
            myopia_diopters: Some(4.0),
            hyperopia: Some(true),
            bmi: Some(35.2),
            drug_use: Some(true),
        });
    });
    let d = assess(&cycle(), &c);
    assert_eq!(
        standards(&d),
        [
            "education",
            "health_class",
            "myopia",
            "hyperopia",
            "bmi",
            "drug_use",
            "political"
        ]
    );
    assert_eq!(d.reasons.len(), 8);
}

#[test]
fn missing_facts_are_not_unmet_standards() {
    let c = with(|c| {
        c.health = None;
        c.political_vetting = None;
    });
    let d = assess(&cycle(), &c);
    assert_eq!(d.status, Status::Eligible);
    assert!(d.unmet_standards.is_empty() && d.reasons.is_empty());
}

#[test]
fn education_with_allow_grade_7_and_hard_area() {
    let run = |grade: u8, hard_area: bool, allow7: bool| {
        let c = with(|c| {
            c.education_grade = Some(grade);
            c.hard_area = hard_area;
        });
        assess(&cycle_on(REF, allow7), &c)
            .unmet_standards
            .contains(&Standard::Education)
    };
    for grade in 0..=12u8 {
        let plain = grade < 8;
        let allow7 = grade < 7;
        let hard = grade < 5;
        assert_eq!(run(grade, false, false), plain, "grade {grade}");
        assert_eq!(run(grade, false, true), allow7, "grade {grade} allow 7");
        assert_eq!(run(grade, true, false), hard, "grade {grade} hard area");
        assert_eq!(run(grade, true, true), hard, "grade {grade} both");
    }
    let d = assess(&cycle(), &with(|c| c.education_grade = Some(7)));
    assert_eq!(
        d.reasons,
        [
            "Trình độ văn hóa lớp 7, dưới mức thấp nhất được tuyển với công dân này (lớp 8) \
          (khoản 4 Điều 4 Thông tư 148/2018/TT-BQP)"
        ]
    );
}

#[test]
fn bmi_from_height_and_weight() {
    assert_eq!(bmi_from(170.0, 65.0), 22.5);
    assert_eq!(bmi_from(170.0, 52.0), 18.0);
    assert_eq!(bmi_from(170.0, 51.0), 17.6);
    assert_eq!(bmi_from(160.0, 77.0), 30.1);
    let run = |h: f64, w: f64| {
        let input = json!({
            "cycle": {"year": 2026, "reference_date": "2025-12-31", "allow_grade_7": false},
            "citizens": [citizen_json(&health(|x| x.bmi = None), Some((h, w)))]
        });
        let out: Value = serde_json::from_str(&assess_contract_json(&input.to_string()).unwrap()).unwrap();
        out["decisions"][0]["unmet_standards"].clone()
    };
    assert_eq!(run(170.0, 65.0), json!([]));
    assert_eq!(run(170.0, 52.0), json!([]));
    assert_eq!(run(170.0, 51.0), json!(["bmi"]));
    assert_eq!(run(160.0, 77.0), json!(["bmi"]));
}

// ---------------------------------------------------------------- ages

#[test]
fn eighteenth_birthday_boundary() {
    let c = with(|c| c.birth_date = date!(2007 - 12 - 31));
    assert_eq!(
        assess(&cycle_on(date!(2025 - 12 - 30), false), &c).status,
        Status::TooYoung
    );
    assert_eq!(
        assess(&cycle_on(date!(2025 - 12 - 31), false), &c).status,
        Status::Eligible
    );
}

#[test]
fn end_of_age_25_and_27_boundaries() {
    // The day before the 26th birthday is the last day.
    let c = with(|c| c.birth_date = date!(2000 - 01 - 01));
    let d = assess(&cycle(), &c);
    assert_eq!(d.age_limit_date, date!(2025 - 12 - 31));
    assert_eq!(d.status, Status::Eligible);
    let c = with(|c| c.birth_date = date!(1999 - 12 - 31));
    let d = assess(&cycle(), &c);
    assert_eq!(d.age_limit_date, date!(2025 - 12 - 30));
    assert_eq!(d.status, Status::OverAge);
    // Deferred before for higher education: to the day before the 28th birthday.
    let c = with(|c| {
        c.birth_date = date!(1999 - 12 - 31);
        c.deferred_before_for_higher_education = true;
    });
    let d = assess(&cycle(), &c);
    assert_eq!(d.age_limit_date, date!(2027 - 12 - 30));
    assert_eq!(d.status, Status::Eligible);
    let c = with(|c| {
        c.birth_date = date!(1998 - 01 - 01);
        c.deferred_before_for_higher_education = true;
    });
    assert_eq!(assess(&cycle(), &c).status, Status::Eligible);
    let c = with(|c| {
        c.birth_date = date!(1997 - 12 - 31);
        c.deferred_before_for_higher_education = true;
    });
    let d = assess(&cycle(), &c);
    assert_eq!(d.age_limit_date, date!(2025 - 12 - 30));
    assert_eq!(d.status, Status::OverAge);
    // Deferred now for full-time university study (41.1.g) also runs to the end of age 27
    // (Art. 30; the contract: "deferred before ... or deferred now under 41.1.g").
    let studying = |level, full_time, first_course_at_level| {
        with(|c| {
            c.birth_date = date!(1999 - 12 - 31);
            c.studying = Some(Studying {
                level,
                full_time,
                first_course_at_level,
            });
        })
    };
    let d = assess(&cycle(), &studying(StudyLevel::University, true, true));
    assert_eq!(d.age_limit_date, date!(2027 - 12 - 30));
    assert_eq!((d.status, codes(&d)), (Status::Deferred, vec!["41.1.g".to_string()]));
    assert_eq!(
        assess(&cycle(), &studying(StudyLevel::College, true, true)).status,
        Status::Deferred
    );
    // Not a deferral for college or university: the limit stays at 25.
    for (level, full_time, first) in [
        (StudyLevel::University, false, true),
        (StudyLevel::University, true, false),
        (StudyLevel::Vocational, true, true),
        (StudyLevel::General, true, true),
    ] {
        assert_eq!(
            assess(&cycle(), &studying(level, full_time, first)).status,
            Status::OverAge,
            "{level:?} {full_time} {first}"
        );
    }
}

#[test]
fn a_missing_education_level_needs_checking_and_is_not_unmet() {
    let d = assess(&cycle(), &with(|c| c.education_grade = None));
    assert_eq!(d.status, Status::Eligible);
    assert!(d.unmet_standards.is_empty());
    assert_eq!(d.unchecked, vec![Standard::Education]);
    assert!(d.needs_checking());
    assert!(d.status_reason().contains("cần kiểm tra"), "{}", d.status_reason());
    let d = assess(&cycle(), &base());
    assert!(d.unchecked.is_empty() && !d.needs_checking());
    // A known low grade is still unmet.
    assert_eq!(status(&with(|c| c.education_grade = Some(6))), Status::Unqualified);
}

#[test]
fn leap_day_births() {
    // 18th birthday in a common year falls on 28 February.
    let c = with(|c| c.birth_date = date!(2008 - 02 - 29));
    assert_eq!(
        assess(&cycle_on(date!(2026 - 02 - 27), false), &c).status,
        Status::TooYoung
    );
    assert_eq!(
        assess(&cycle_on(date!(2026 - 02 - 28), false), &c).status,
        Status::Eligible
    );
    // 26th birthday in 2034 (common): 28 Feb, so the limit is 27 Feb.
    assert_eq!(assess(&cycle(), &c).age_limit_date, date!(2034 - 02 - 27));
    // 28th birthday in 2032 (leap): 29 Feb itself, so the limit is 28 Feb.
    let c = with(|c| {
        c.birth_date = date!(2004 - 02 - 29);
        c.deferred_before_for_higher_education = true;
    });
    assert_eq!(assess(&cycle(), &c).age_limit_date, date!(2032 - 02 - 28));
    // Born 29 Feb 2000: still of age on 27 Feb 2026, over age on 28 Feb 2026.
    let c = with(|c| c.birth_date = date!(2000 - 02 - 29));
    assert_eq!(
        assess(&cycle_on(date!(2026 - 02 - 27), false), &c).status,
        Status::Eligible
    );
    assert_eq!(
        assess(&cycle_on(date!(2026 - 02 - 28), false), &c).status,
        Status::OverAge
    );
}

// ---------------------------------------------------------------- rule data

#[test]
fn rule_data_is_consistent() {
    for w in rules::VERSIONS.windows(2) {
        assert!(w[0].effective_from < w[1].effective_from);
    }
    let version_dates: Vec<Date> = rules::VERSIONS.iter().map(|v| v.effective_from).collect();
    for r in rules::CIRCUMSTANCE_RULES {
        assert!(version_dates.contains(&r.from), "{r:?}");
        if let rules::Effect::Ground(g) = r.effect {
            assert_eq!(r.source_vi, g.source_vi());
        }
    }
    for r in rules::FACT_RULES {
        assert_eq!(r.source_vi, r.ground.source_vi());
    }
    for v in rules::VERSIONS {
        let set = RuleSet::on(v.effective_from).unwrap();
        assert_eq!(set.version, *v);
        for c in Circumstance::ALL {
            assert!(set.circumstance_rules(c).count() <= 1, "{c:?} on {v:?}");
        }
        for s in Standard::ALL {
            assert_eq!(set.standards.iter().filter(|r| r.standard == s).count(), 1, "{s:?}");
        }
    }
    let now = RuleSet::on(REF).unwrap();
    for c in Circumstance::ALL {
        assert_eq!(now.circumstance_rules(c).count(), 1, "{c:?}");
    }
    assert!(RuleSet::on(date!(2015 - 12 - 31)).is_none());
    assert!(Cycle::new(2016, date!(2015 - 12 - 31), false).is_err());
}

#[test]
fn point_order_and_codes() {
    let g = Ground::deferral(Point::Dd);
    assert_eq!(g.code(), "41.1.đ");
    assert_eq!(g.source_vi(), "điểm đ khoản 1 Điều 41 Luật NVQS");
    assert!(Ground::deferral(Point::D) < g && g < Ground::deferral(Point::E));
    assert!(Ground::deferral(Point::H) < Ground::exemption(Point::A));
}

// ---------------------------------------------------------------- malformed input

/// The contract JSON of a citizen (with height/weight instead of BMI when given).
fn citizen_json(c: &CitizenFacts, height_weight: Option<(f64, f64)>) -> Value {
    let mut v = json!({
        "id": c.id,
        "full_name": c.full_name,
        "birth_date": iso(c.birth_date),
        "sex": c.sex.as_str(),
        "education_grade": c.education_grade.unwrap_or(0),
        "hard_area": c.hard_area,
        "studying": c.studying.map(|s| json!({
            "level": s.level.code(), "full_time": s.full_time,
            "first_course_at_level": s.first_course_at_level,
        })),
        "deferred_before_for_higher_education": c.deferred_before_for_higher_education,
        "health": c.health.map(|h| {
            let mut o = json!({"class": h.class.get()});
            if let Some(x) = h.myopia_diopters { o["myopia_diopters"] = json!(x); }
            if let Some(x) = h.hyperopia { o["hyperopia"] = json!(x); }
            if let Some(x) = h.bmi { o["bmi"] = json!(x); }
            if let Some(x) = h.drug_use { o["drug_use"] = json!(x); }
            if let Some((hc, wk)) = height_weight {
                o["height_cm"] = json!(hc);
                o["weight_kg"] = json!(wk);
            }
            o
        }),
        "political_vetting": c.political_vetting.map(|p| match p {
            PoliticalVetting::Passed => "passed",
            PoliticalVetting::Failed => "failed",
        }),
        "circumstances": c.circumstances.iter().map(|x| x.code()).collect::<Vec<_>>(),
    });
    if let Some(id) = &c.national_id {
        v["national_id"] = json!(id.as_str());
    }
    v
}

/// An edit of the contract input JSON.
type Edit = Box<dyn FnOnce(&mut Value)>;

fn input_with(edit: impl FnOnce(&mut Value)) -> String {
    let mut v = json!({
        "cycle": {"year": 2026, "reference_date": "2025-12-31", "allow_grade_7": false},
        "citizens": [citizen_json(&base(), None), citizen_json(&with(|c| c.id = "c-002".into()), None)]
    });
    edit(&mut v);
    v.to_string()
}

fn error_of(edit: impl FnOnce(&mut Value)) -> String {
    assess_contract_json(&input_with(edit))
        .expect_err("input must be refused")
        .to_string()
}

#[test]
fn malformed_inputs_name_the_case_and_the_field() {
    let c1 = "Công dân thứ 1 (id \"c-001\")";
    let c2 = "Công dân thứ 2 (id \"c-002\")";
    let cases: Vec<(Edit, String)> = vec![
        (
            Box::new(|v| v["citizens"][0]["circumstances"] = json!(["sibling_in_service", "orphan"])),
            format!("{c1}: trường \"circumstances\" có mã hoàn cảnh không xác định \"orphan\"."),
        ),
        (
            Box::new(|v| v["citizens"][1]["birth_date"] = json!("2006-02-30")),
            format!("{c2}: trường \"birth_date\" không phải ngày hợp lệ dạng YYYY-MM-DD (nhận \"2006-02-30\")."),
        ),
        (
            Box::new(|v| v["citizens"][0]["birth_date"] = json!("12/05/2006")),
            format!("{c1}: trường \"birth_date\" không phải ngày hợp lệ dạng YYYY-MM-DD (nhận \"12/05/2006\")."),
        ),
        (
            Box::new(|v| v["cycle"]["reference_date"] = json!("2025-13-01")),
            "Đợt tuyển quân (cycle): trường \"cycle.reference_date\" không phải ngày hợp lệ dạng YYYY-MM-DD (nhận \"2025-13-01\").".to_string(),
        ),
        (
            Box::new(|v| v["citizens"][0]["education_grade"] = json!(13)),
            format!("{c1}: trường \"education_grade\" phải là số nguyên từ 0 đến 12 (nhận 13)."),
        ),
        (
            Box::new(|v| v["citizens"][0]["education_grade"] = json!(-1)),
            format!("{c1}: trường \"education_grade\" phải là số nguyên từ 0 đến 12 (nhận -1)."),
        ),
        (
            Box::new(|v| v["citizens"][0]["education_grade"] = json!("12")),
            format!("{c1}: trường \"education_grade\" phải là số nguyên từ 0 đến 12 (nhận \"12\")."),
        ),
        (
            Box::new(|v| v["citizens"][1]["health"]["class"] = json!(7)),
            format!("{c2}: trường \"health.class\" phải là số nguyên từ 1 đến 6 (nhận 7)."),
        ),
        (
            Box::new(|v| v["citizens"][1]["health"]["class"] = json!(0)),
            format!("{c2}: trường \"health.class\" phải là số nguyên từ 1 đến 6 (nhận 0)."),
        ),
        (
            Box::new(|v| v["citizens"][0]["national_id"] = json!("034205001234")),
            format!("{c1}: trường \"national_id\" không hợp lệ: số định danh ứng với năm sinh 2005, không khớp với năm sinh khai là 2006."),
        ),
        (
            Box::new(|v| v["citizens"][0]["national_id"] = json!("034306001234")),
            format!("{c1}: trường \"national_id\" không hợp lệ: mã thế kỷ và giới tính 3 trong số định danh ứng với giới tính nữ, không khớp với giới tính khai là nam."),
        ),
        (
            Box::new(|v| v["citizens"][0]["national_id"] = json!("03420600123")),
            format!("{c1}: trường \"national_id\" không hợp lệ: số định danh cá nhân phải gồm đúng 12 chữ số (nhận \"03420600123\")."),
        ),
        (
            Box::new(|v| v["citizens"][0]["sex"] = json!("nam")),
            format!("{c1}: trường \"sex\" phải là một trong \"male\", \"female\" (nhận \"nam\")."),
        ),
        (
            Box::new(|v| v["citizens"][0]["studying"] = json!({"level": "phd", "full_time": true, "first_course_at_level": true})),
            format!("{c1}: trường \"studying.level\" phải là một trong \"general\", \"vocational\", \"college\", \"university\", \"postgraduate\" (nhận \"phd\")."),
        ),
        (
            Box::new(|v| v["citizens"][0]["studying"] = json!({"level": "university", "full_time": true})),
            format!("{c1}: trường \"studying.first_course_at_level\" bị thiếu."),
        ),
        (
            Box::new(|v| v["citizens"][0]["political_vetting"] = json!("pending")),
            format!("{c1}: trường \"political_vetting\" phải là một trong \"passed\", \"failed\" (nhận \"pending\")."),
        ),
        (
            Box::new(|v| { v["citizens"][1].as_object_mut().unwrap().remove("full_name"); }),
            format!("{c2}: trường \"full_name\" bị thiếu."),
        ),
        (
            Box::new(|v| { v["citizens"][0].as_object_mut().unwrap().remove("hard_area"); }),
            format!("{c1}: trường \"hard_area\" bị thiếu."),
        ),
        (
            Box::new(|v| { v["citizens"][0].as_object_mut().unwrap().remove("circumstances"); }),
            format!("{c1}: trường \"circumstances\" bị thiếu."),
        ),
        (
            Box::new(|v| { v["citizens"][1].as_object_mut().unwrap().remove("id"); }),
            "Công dân thứ 2: trường \"id\" bị thiếu.".to_string(),
        ),
        (
            Box::new(|v| v["citizens"][1]["id"] = json!("c-001")),
            "Công dân thứ 2 (id \"c-001\"): trường \"id\" bị trùng với công dân thứ 1.".to_string(),
        ),
        (
            Box::new(|v| v["citizens"][0]["health"]["myopia"] = json!(2.0)),
            format!("{c1}: trường \"health.myopia\" không có trong hợp đồng."),
        ),
        (
            Box::new(|v| v["citizens"][0]["health"]["myopia_diopters"] = json!(-2.5)),
            format!("{c1}: trường \"health.myopia_diopters\" phải không nhỏ hơn 0 (nhận -2.5)."),
        ),
        (
            Box::new(|v| v["citizens"][0]["health"]["height_cm"] = json!(170)),
            format!("{c1}: trường \"health.weight_kg\" bị thiếu (cần cả chiều cao và cân nặng để tính BMI)."),
        ),
        (
            Box::new(|v| v["citizens"][0]["hard_area"] = json!("no")),
            format!("{c1}: trường \"hard_area\" phải là true hoặc false."),
        ),
        (
            Box::new(|v| v["citizens"][0]["birth_date"] = json!("2026-01-01")),
            format!("{c1}: trường \"birth_date\" sau ngày tham chiếu của đợt tuyển (2025-12-31)."),
        ),
        (
            Box::new(|v| { v["cycle"].as_object_mut().unwrap().remove("allow_grade_7"); }),
            "Đợt tuyển quân (cycle): trường \"cycle.allow_grade_7\" bị thiếu.".to_string(),
        ),
        (
            Box::new(|v| v["cycle"]["reference_date"] = json!("2015-12-31")),
            "Đợt tuyển quân (cycle): trường \"cycle.reference_date\" ngày tham chiếu 2015-12-31 trước ngày Luật NVQS 78/2015/QH13 có hiệu lực (01/01/2016), không có bộ quy tắc áp dụng.".to_string(),
        ),
        (
            Box::new(|v| { v.as_object_mut().unwrap().remove("citizens"); }),
            "Đầu vào: trường \"citizens\" bị thiếu.".to_string(),
        ),
        (
            Box::new(|v| v["citizens"][1] = json!("c-002")),
            "Công dân thứ 2: trường \"(toàn bộ)\" phải là một đối tượng JSON.".to_string(),
        ),
    ];
    for (edit, expected) in cases {
        assert_eq!(error_of(edit), expected);
    }
    let e = assess_contract_json("{\"cycle\": ").unwrap_err().to_string();
    assert!(e.starts_with("Đầu vào không phải JSON hợp lệ: "), "{e}");
}

#[test]
fn optional_fields_may_be_absent_or_null() {
    let ok = |edit: Edit| {
        assess_contract_json(&input_with(edit)).expect("accepted");
    };
    ok(Box::new(|v| v["citizens"][0]["national_id"] = Value::Null));
    ok(Box::new(|v| v["citizens"][0]["studying"] = Value::Null));
    ok(Box::new(|v| {
        v["citizens"][0].as_object_mut().unwrap().remove("studying");
    }));
    ok(Box::new(|v| v["citizens"][0]["health"] = Value::Null));
    ok(Box::new(|v| v["citizens"][0]["political_vetting"] = Value::Null));
    ok(Box::new(|v| v["citizens"][0]["health"]["bmi"] = Value::Null));
    ok(Box::new(|v| v["citizens"] = json!([])));
    // A repeated circumstance code adds nothing.
    let out = assess_contract_json(&input_with(|v| {
        v["citizens"][0]["circumstances"] = json!(["sibling_in_service", "sibling_in_service"])
    }))
    .unwrap();
    let out: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(out["decisions"][0]["grounds"], json!(["41.1.d"]));
    assert_eq!(out["decisions"][0]["reasons"].as_array().unwrap().len(), 1);
}

// ---------------------------------------------------------------- properties

fn arb_facts() -> impl Strategy<Value = CitizenFacts> {
    let health = (
        1u8..=6,
        proptest::option::of(0.0f64..4.0),
        proptest::option::of(any::<bool>()),
        proptest::option::of(15.0f64..35.0),
        proptest::option::of(prop::bool::weighted(0.1)),
    )
        .prop_map(|(class, myopia, hyperopia, bmi, drug_use)| Health {
            class: HealthClass::new(class).unwrap(),
            myopia_diopters: myopia,
            hyperopia,
            bmi,
            drug_use,
        });
    let studying = (0usize..5, any::<bool>(), any::<bool>()).prop_map(|(l, full_time, first)| Studying {
        level: StudyLevel::ALL[l],
        full_time,
        first_course_at_level: first,
    });
    (
        (
            16i64 * 365..30 * 365,
            any::<bool>(),
            prop::bool::weighted(0.8),
            0u8..=12,
            any::<bool>(),
        ),
        (
            proptest::option::of(studying),
            any::<bool>(),
            proptest::option::of(health),
            proptest::option::of(prop::bool::weighted(0.9)),
            proptest::sample::subsequence(Circumstance::ALL.to_vec(), 0..4),
            0u32..1_000_000,
        ),
    )
        .prop_map(
            |((days, male_id, male, grade, hard), (studying, deferred, health, passed, circs, rnd))| {
                let birth_date = REF - Duration::days(days);
                let sex = if male { Sex::Male } else { Sex::Female };
                let national_id = male_id.then(|| {
                    let g = (birth_date.year() / 100 - 19) * 2 + i32::from(sex == Sex::Female);
                    let s = format!("001{g}{:02}{rnd:06}", birth_date.year() % 100);
                    citizen_id::validate(&s, sex, birth_date.year()).unwrap()
                });
                CitizenFacts {
                    id: String::new(),
                    national_id,
                    full_name: "Trần Văn Bình".into(),
                    birth_date,
                    sex,
                    education_grade: Some(grade),
                    hard_area: hard,
                    studying,
                    deferred_before_for_higher_education: deferred,
                    health,
                    political_vetting: passed.map(|p| {
                        if p {
                            PoliticalVetting::Passed
                        } else {
                            PoliticalVetting::Failed
                        }
                    }),
                    circumstances: circs,
                }
            },
        )
}

fn deferral_codes() -> Vec<Circumstance> {
    let set = RuleSet::on(REF).unwrap();
    Circumstance::ALL
        .into_iter()
        .filter(|&c| {
            set.circumstance_rules(c)
                .any(|r| matches!(r.effect, rules::Effect::Ground(g) if g.clause == Clause::Deferral))
        })
        .collect()
}

proptest! {
    #[test]
    fn adding_a_deferral_ground_never_turns_deferred_into_eligible(
        f in arb_facts(),
        age_days in 18i64 * 365 + 5..25 * 365,
        first in 0usize..9,
        volunteer in any::<bool>(),
    ) {
        // Steer towards deferred citizens: of call-up age, male, not barred or exempted, with one
        // deferral ground (a code, or health class 4 when `first` is 8), sometimes a volunteer.
        let mut f = f;
        f.birth_date = REF - Duration::days(age_days);
        f.sex = Sex::Male;
        f.national_id = None;
        let codes = deferral_codes();
        f.circumstances.retain(|c| codes.contains(c));
        match codes.get(first) {
            Some(&c) => f.circumstances.push(c),
            None => {
                let mut h = f.health.unwrap_or(Health {
                    class: HealthClass::new(4).unwrap(),
                    myopia_diopters: None, hyperopia: None, bmi: None, drug_use: None,
                });
                h.class = HealthClass::new(4).unwrap();
                f.health = Some(h);
            }
        }
        if volunteer {
            f.circumstances.push(Circumstance::Volunteer);
        }
        let cyc = cycle();
        prop_assume!(assess(&cyc, &f).status == Status::Deferred);
        for c in deferral_codes() {
            let mut g = f.clone();
            if !g.circumstances.contains(&c) {
                g.circumstances.push(c);
            }
            let s = assess(&cyc, &g).status;
            prop_assert_ne!(s, Status::Eligible);
            prop_assert_eq!(s, Status::Deferred);
        }
    }

    #[test]
    fn adding_a_circumstance_other_than_volunteer_never_makes_eligible(f in arb_facts()) {
        let cyc = cycle();
        prop_assume!(assess(&cyc, &f).status != Status::Eligible);
        for c in Circumstance::ALL {
            if c == Circumstance::Volunteer || f.circumstances.contains(&c) {
                continue;
            }
            let mut g = f.clone();
            g.circumstances.push(c);
            prop_assert_ne!(assess(&cyc, &g).status, Status::Eligible, "{:?}", c);
        }
    }

    #[test]
    fn grounds_are_sorted_and_reasons_match(f in arb_facts()) {
        let d = assess(&cycle(), &f);
        let mut sorted = d.grounds.clone();
        sorted.sort();
        sorted.dedup();
        prop_assert_eq!(&sorted, &d.grounds);
        prop_assert_eq!(d.reasons.len(), d.grounds.len() + d.unmet_standards.len());
        for r in &d.reasons {
            prop_assert!(r.ends_with(')'));
        }
    }

    #[test]
    fn output_echoes_every_id_in_order_and_matches_the_typed_engine(
        list in proptest::collection::vec((arb_facts(), "[a-zA-Z0-9 đĐ_-]{1,12}"), 0..20)
    ) {
        let mut facts = Vec::new();
        for (i, (mut f, tag)) in list.into_iter().enumerate() {
            // Unique ids in a random-looking order.
            f.id = format!("{tag}#{}", 97 * i % 101);
            facts.push(f);
        }
        let input = json!({
            "cycle": {"year": 2026, "reference_date": "2025-12-31", "allow_grade_7": true},
            "citizens": facts.iter().map(|f| citizen_json(f, None)).collect::<Vec<_>>(),
        });
        let out: Value = serde_json::from_str(&assess_contract_json(&input.to_string()).unwrap()).unwrap();
        let decisions = out["decisions"].as_array().unwrap();
        prop_assert_eq!(decisions.len(), facts.len());
        let cyc = Cycle::new(2026, REF, true).unwrap();
        for (d, f) in decisions.iter().zip(&facts) {
            prop_assert_eq!(d["id"].as_str().unwrap(), f.id.as_str());
            let typed = assess(&cyc, f);
            prop_assert_eq!(d["status"].as_str().unwrap(), typed.status.code());
            prop_assert_eq!(d["age_limit_date"].as_str().unwrap(), iso(typed.age_limit_date));
            prop_assert_eq!(d["reasons"].as_array().unwrap().len(), typed.reasons.len());
        }
    }
}

#[test]
fn status_reasons_name_a_legal_source() {
    use Circumstance as C;
    let cases = [
        (
            with(|c| c.birth_date = date!(2008 - 01 - 01)),
            "Chưa đủ 18 tuổi vào ngày 31/12/2025 (đủ 18 tuổi từ ngày 01/01/2026) (Điều 30 Luật NVQS",
        ),
        (
            with(|c| c.birth_date = date!(1999 - 01 - 01)),
            "Đã hết tuổi 25 (hạn cuối ngày 31/12/2024)",
        ),
        (
            with(|c| c.circumstances = vec![C::RegistrationBarred]),
            "(Điều 13 Luật NVQS)",
        ),
        (with(|c| c.sex = Sex::Female), "Công dân nữ không tình nguyện"),
        (
            with(|c| c.circumstances = vec![C::CipherWorker]),
            "(khoản 2 Điều 41 Luật NVQS)",
        ),
        (
            with(|c| c.circumstances = vec![C::StandingMilitia]),
            "(khoản 1 Điều 41 Luật NVQS)",
        ),
        (with(|c| c.education_grade = Some(2)), "Thông tư 148/2018/TT-BQP"),
        (base(), "đến hết ngày 11/05/2032"),
    ];
    for ((c, needle), expected) in cases.iter().zip(Status::ALL) {
        let d = assess(&cycle(), c);
        assert_eq!(d.status, expected);
        assert!(d.status_reason().contains(needle), "{}", d.status_reason());
        assert!(!expected.label_vi().is_empty());
    }
    assert_eq!(
        assess(&cycle(), &base()).rule_version,
        "LNVQS 2015, sửa đổi 2019 và 2025"
    );
}
