//! Eligibility engine throughput: `cargo bench -p phongthu-domain --bench nvqs`.
//! The brief's target is at least 1,000,000 citizens assessed per second in the engine.

use phongthu_domain::nvqs::{
    assess, assess_with, Circumstance, CitizenFacts, Cycle, Health, HealthClass, PoliticalVetting, RuleSet, Sex,
    StudyLevel, Studying,
};
use time::macros::date;

fn main() {
    divan::main();
}

/// A deterministic, varied population: ages 16–30, both sexes, every health class, some students,
/// some with deferral or exemption grounds, some volunteers.
fn population(n: usize) -> Vec<CitizenFacts> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|i| {
            let r = next();
            let birth = date!(1995 - 01 - 01) + time::Duration::days((r % (15 * 365)) as i64);
            let circumstances = match r % 23 {
                0 => vec![Circumstance::SiblingInService],
                1 => vec![Circumstance::ChildOfMartyr],
                2 => vec![Circumstance::SoleBreadwinner, Circumstance::Volunteer],
                3 => vec![Circumstance::RegistrationBarred],
                _ => Vec::new(),
            };
            CitizenFacts {
                id: format!("c-{i}"),
                national_id: None,
                full_name: "Nguyễn Văn An".into(),
                birth_date: birth,
                sex: if r % 11 == 0 { Sex::Female } else { Sex::Male },
                education_grade: Some((5 + (r >> 8) % 8) as u8),
                hard_area: (r >> 12) % 9 == 0,
                studying: ((r >> 16) % 7 == 0).then_some(Studying {
                    level: StudyLevel::University,
                    full_time: true,
                    first_course_at_level: true,
                }),
                deferred_before_for_higher_education: (r >> 20) % 13 == 0,
                health: ((r >> 24) % 5 != 0).then(|| Health {
                    class: HealthClass::new(1 + ((r >> 28) % 6) as u8).expect("1..=6"),
                    myopia_diopters: Some(((r >> 32) % 40) as f64 / 10.0),
                    hyperopia: Some(false),
                    bmi: Some(16.0 + ((r >> 40) % 160) as f64 / 10.0),
                    drug_use: Some((r >> 48) % 200 == 0),
                }),
                political_vetting: Some(if (r >> 52) % 100 == 0 {
                    PoliticalVetting::Failed
                } else {
                    PoliticalVetting::Passed
                }),
                circumstances,
            }
        })
        .collect()
}

/// 100,000 citizens per iteration; divide the time by 100,000 for the per-citizen cost.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn assess_100k(bencher: divan::Bencher) {
    let cycle = Cycle::new(2026, date!(2025 - 12 - 31), false).expect("cycle");
    let people = population(100_000);
    bencher
        .counter(divan::counter::ItemsCount::new(people.len()))
        .bench_local(|| {
            let mut eligible = 0usize;
            for p in &people {
                if assess(&cycle, divan::black_box(p)).status == phongthu_domain::nvqs::Status::Eligible {
                    eligible += 1;
                }
            }
            eligible
        });
}

/// As a registry-wide refresh runs it: the rule set in force is chosen once per cycle.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn assess_100k_one_rule_set(bencher: divan::Bencher) {
    let cycle = Cycle::new(2026, date!(2025 - 12 - 31), false).expect("cycle");
    let rules = RuleSet::on(cycle.reference_date()).expect("rules");
    let people = population(100_000);
    bencher
        .counter(divan::counter::ItemsCount::new(people.len()))
        .bench_local(|| {
            let mut eligible = 0usize;
            for p in &people {
                if assess_with(&rules, &cycle, divan::black_box(p)).status == phongthu_domain::nvqs::Status::Eligible {
                    eligible += 1;
                }
            }
            eligible
        });
}
