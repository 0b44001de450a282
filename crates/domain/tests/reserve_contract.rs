//! Contract and optimality tests of the reserve assignment solver (`reserve-assign.md`).
//!
//! The brute-force oracle below is written independently of the solver: its own age rule, its own
//! matching rule, exhaustive enumeration of every assignment for up to 7 reservists.

use phongthu_domain::reserve::synthetic::Lcg;
use phongthu_domain::reserve::{
    assign, assign_contract_json, synthetic_instance, Explanation, Instance, MatchKind, MilitarySpecialty,
    MobilizationUnit, Position, Reservist, Sex,
};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use time::{Date, Duration, Month};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/reserve/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn spec(s: &str) -> MilitarySpecialty {
    MilitarySpecialty::parse(s).unwrap()
}

// ---------- independent oracle ----------

/// Before the (n+1)th birthday; 29 Feb → 28 Feb in common years. Written without the crate's helpers.
fn oracle_within(birth: Date, n: i32, on: Date) -> bool {
    let y = birth.year() + n + 1;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let (m, d) = if birth.month() == Month::February && birth.day() == 29 && !leap {
        (Month::February, 28)
    } else {
        (birth.month(), birth.day())
    };
    on < Date::from_calendar_date(y, m, d).unwrap()
}

fn oracle_match(inst: &Instance, r: &Reservist, u: &MobilizationUnit, p: &Position) -> Option<MatchKind> {
    if !u.communes.contains(&r.commune) {
        return None;
    }
    let limit = if u.combat {
        35
    } else if r.sex == Sex::Male {
        45
    } else {
        40
    };
    if !oracle_within(r.birth_date, limit, inst.reference_date) {
        return None;
    }
    if r.specialty == p.specialty {
        return Some(MatchKind::Exact);
    }
    let near = inst
        .near_specialties
        .iter()
        .any(|(a, b)| (a == &r.specialty && b == &p.specialty) || (b == &r.specialty && a == &p.specialty));
    near.then_some(MatchKind::Near)
}

/// Exhaustive lexicographic optimum (exact, near).
fn brute_force(inst: &Instance) -> (u64, u64) {
    let positions: Vec<(&MobilizationUnit, &Position)> = inst
        .units
        .iter()
        .flat_map(|u| u.positions.iter().map(move |p| (u, p)))
        .collect();
    let options: Vec<Vec<(usize, MatchKind)>> = inst
        .reservists
        .iter()
        .map(|r| {
            positions
                .iter()
                .enumerate()
                .filter_map(|(i, (u, p))| oracle_match(inst, r, u, p).map(|m| (i, m)))
                .collect()
        })
        .collect();
    fn rec(i: usize, options: &[Vec<(usize, MatchKind)>], left: &mut Vec<u32>, cur: (u64, u64), best: &mut (u64, u64)) {
        if i == options.len() {
            *best = (*best).max(cur);
            return;
        }
        rec(i + 1, options, left, cur, best);
        for &(p, m) in &options[i] {
            if left[p] > 0 {
                left[p] -= 1;
                let next = match m {
                    MatchKind::Exact => (cur.0 + 1, cur.1),
                    _ => (cur.0, cur.1 + 1),
                };
                rec(i + 1, options, left, next, best);
                left[p] += 1;
            }
        }
    }
    let mut left: Vec<u32> = positions.iter().map(|(_, p)| p.count).collect();
    let mut best = (0, 0);
    rec(0, &options, &mut left, (0, 0), &mut best);
    best
}

/// Check that the solver's answer is a valid assignment with honest explanations.
fn check_valid(inst: &Instance) -> (u64, u64) {
    let a = assign(inst);
    let by_id: HashMap<&str, &Reservist> = inst.reservists.iter().map(|r| (r.id.as_str(), r)).collect();
    let pos: HashMap<&str, (&MobilizationUnit, &Position)> = inst
        .units
        .iter()
        .flat_map(|u| u.positions.iter().map(move |p| (p.id.as_str(), (u, p))))
        .collect();
    let mut used: HashMap<&str, u32> = HashMap::new();
    let mut seen = HashSet::new();
    let (mut ex, mut nr) = (0, 0);
    for pl in &a.placements {
        assert!(seen.insert(pl.reservist.as_str()), "reservist placed twice");
        let r = by_id[pl.reservist.as_str()];
        let (u, p) = pos[pl.position.as_str()];
        assert_eq!(oracle_match(inst, r, u, p), Some(pl.match_kind), "ineligible placement");
        *used.entry(p.id.as_str()).or_default() += 1;
        match pl.match_kind {
            MatchKind::Exact => ex += 1,
            MatchKind::Near => nr += 1,
            MatchKind::Other => panic!("other-specialty fill"),
        }
    }
    for (pid, n) in &used {
        assert!(*n <= pos[pid].1.count, "position over-filled");
    }
    assert_eq!((a.totals.exact, a.totals.near), (ex, nr));
    assert_eq!(a.totals.empty_seats, inst.total_seats() - ex - nr);
    assert_eq!(a.explanations.len(), inst.reservists.len());

    // Explanations are consistent with the placements and with optimality.
    let placed: HashMap<&str, (&str, MatchKind)> = a
        .placements
        .iter()
        .map(|p| (p.reservist.as_str(), (p.position.as_str(), p.match_kind)))
        .collect();
    let occupants = |pid: &str| -> Vec<MatchKind> {
        a.placements
            .iter()
            .filter(|p| p.position == pid)
            .map(|p| p.match_kind)
            .collect()
    };
    for (r, e) in inst.reservists.iter().zip(&a.explanations) {
        assert!(!e.to_string().is_empty());
        match e {
            Explanation::Assigned {
                position, match_kind, ..
            } => {
                assert_eq!(placed[r.id.as_str()], (position.as_str(), *match_kind));
                if *match_kind == MatchKind::Near {
                    // No unassigned reservist could take this seat as an exact match.
                    let (u, p) = pos[position.as_str()];
                    for o in &inst.reservists {
                        if !placed.contains_key(o.id.as_str()) {
                            assert_ne!(oracle_match(inst, o, u, p), Some(MatchKind::Exact));
                        }
                    }
                }
            }
            other => {
                assert!(!placed.contains_key(r.id.as_str()));
                let cands: Vec<MatchKind> = pos
                    .values()
                    .filter(|(_, p)| p.count > 0)
                    .filter_map(|(u, p)| oracle_match(inst, r, u, p))
                    .collect();
                match other {
                    Explanation::SeatsFull {
                        exact_positions,
                        near_positions,
                    } => {
                        assert!(!cands.is_empty());
                        for pid in exact_positions {
                            let occ = occupants(pid);
                            assert_eq!(occ.len() as u32, pos[pid.as_str()].1.count);
                            assert!(occ.iter().all(|m| *m == MatchKind::Exact));
                        }
                        for pid in near_positions {
                            assert_eq!(occupants(pid).len() as u32, pos[pid.as_str()].1.count);
                        }
                    }
                    _ => assert!(cands.is_empty(), "{other:?} but eligible positions exist"),
                }
            }
        }
    }
    (ex, nr)
}

fn random_small(rng: &mut Lcg) -> Instance {
    let on = Date::from_calendar_date(2024 + rng.below(4) as i32, Month::February, 28 + rng.below(2) as u8)
        .unwrap_or(Date::from_calendar_date(2026, Month::March, 1).unwrap());
    let specs = ["A", "B", "C", "D"];
    let communes = ["c1", "c2", "c3"];
    let mut near = Vec::new();
    for i in 0..specs.len() {
        for j in 0..specs.len() {
            if i != j && rng.chance(20) {
                near.push((spec(specs[i]), spec(specs[j])));
            }
        }
    }
    let n_units = 1 + rng.below(3) as usize;
    let mut units = Vec::new();
    let mut pid = 0;
    for u in 0..n_units {
        let mut cs: Vec<String> = communes
            .iter()
            .filter(|_| rng.chance(50))
            .map(|c| c.to_string())
            .collect();
        if cs.is_empty() {
            cs.push(communes[rng.below(3) as usize].to_string());
        }
        let n_pos = 1 + rng.below(3) as usize;
        let positions = (0..n_pos)
            .map(|_| {
                pid += 1;
                Position {
                    id: format!("p{pid}"),
                    specialty: spec(specs[rng.below(4) as usize]),
                    count: rng.below(3),
                }
            })
            .collect();
        units.push(MobilizationUnit {
            id: format!("u{u}"),
            combat: rng.chance(50),
            communes: cs,
            positions,
        });
    }
    let n_res = 1 + rng.below(7) as usize;
    let reservists = (0..n_res)
        .map(|i| {
            // Ages around the 35/40/45 boundaries, to the day.
            let age = [30, 35, 36, 40, 41, 45, 46][rng.below(7) as usize];
            let jitter = rng.below(3) as i64 - 1;
            let birth = Date::from_calendar_date(on.year() - age, on.month(), 1).unwrap()
                + Duration::days(on.day() as i64 - 1 + jitter);
            let birth = if rng.chance(10) {
                Date::from_calendar_date(on.year() - 36 - 4 * rng.below(3) as i32 + 4, Month::February, 29)
                    .unwrap_or(birth)
            } else {
                birth
            };
            Reservist {
                id: format!("r{i}"),
                specialty: spec(specs[rng.below(4) as usize]),
                birth_date: birth,
                sex: if rng.chance(30) { Sex::Female } else { Sex::Male },
                commune: communes[rng.below(3) as usize].to_string(),
            }
        })
        .collect();
    Instance {
        reference_date: on,
        near_specialties: near,
        reservists,
        units,
    }
}

#[test]
fn optimal_on_many_small_random_instances() {
    let mut rng = Lcg::new(20260630);
    let mut nontrivial = 0;
    for case in 0..3000 {
        let inst = random_small(&mut rng);
        let got = check_valid(&inst);
        let want = brute_force(&inst);
        assert_eq!(got, want, "case {case}: {}", inst.to_contract_json());
        if want.1 > 0 && want.0 > 0 {
            nontrivial += 1;
        }
    }
    assert!(nontrivial > 100, "generator too easy: {nontrivial}");
}

#[test]
fn lexicographic_prefers_one_exact_over_two_near() {
    let j = r#"{"reference_date":"2026-06-30","near_specialties":[["1A","1B"]],
      "reservists":[
        {"id":"r1","specialty":"1A","birth_date":"1995-01-01","sex":"male","commune":"x"},
        {"id":"r2","specialty":"1B","birth_date":"1995-01-01","sex":"male","commune":"x"}],
      "units":[{"id":"u","combat":true,"communes":["x"],"positions":[
        {"id":"pA","specialty":"1A","count":1},{"id":"pB","specialty":"1A","count":0},
        {"id":"pC","specialty":"1B","count":1}]}]}"#;
    let inst = Instance::from_contract_json(j).unwrap();
    let a = assign(&inst);
    // r1 exact to pA, r2 exact to pC: both exact.
    assert_eq!((a.totals.exact, a.totals.near, a.totals.empty_seats), (2, 0, 0));
    let j2 = j
        .replace(r#""specialty":"1B","count":1"#, r#""specialty":"1C","count":1"#)
        .replace(r#"["1A","1B"]"#, r#"["1A","1B"],["1A","1C"]"#);
    let a2 = assign(&Instance::from_contract_json(&j2).unwrap());
    // pA must go to r1 exactly; r2 (1B) cannot take pC (1C, not near to 1B).
    assert_eq!((a2.totals.exact, a2.totals.near), (1, 0));
    assert_eq!(a2.placements[0].position, "pA");
}

#[test]
fn synthetic_mid_size_is_valid() {
    let inst = synthetic_instance(7, 2000, 150, 12);
    let (ex, nr) = check_valid(&inst);
    assert!(ex > 0 && nr > 0);
}

#[test]
fn contract_example() {
    let out: Value = serde_json::from_str(&assign_contract_json(&fixture("contract_example.json")).unwrap()).unwrap();
    let want: Value = serde_json::from_str(&fixture("contract_example.expected.json")).unwrap();
    assert_eq!(out, want);
}

#[test]
fn age_boundaries_fixture() {
    let inst = Instance::from_contract_json(&fixture("boundaries.json")).unwrap();
    let a = assign(&inst);
    let got: HashMap<&str, (&str, MatchKind)> = a
        .placements
        .iter()
        .map(|p| (p.reservist.as_str(), (p.position.as_str(), p.match_kind)))
        .collect();
    assert_eq!(got.get("combat_last_day"), Some(&("c-1A", MatchKind::Exact)));
    assert_eq!(got.get("woman_41_tomorrow"), Some(&("s-2C", MatchKind::Exact)));
    assert_eq!(got.get("near_young"), Some(&("c-1A", MatchKind::Near)));
    assert_eq!(got.len(), 3);
    assert_eq!((a.totals.exact, a.totals.near, a.totals.empty_seats), (2, 1, 5));
    let exp: HashMap<&str, &Explanation> = inst
        .reservists
        .iter()
        .map(|r| r.id.as_str())
        .zip(&a.explanations)
        .collect();
    assert_eq!(
        exp["combat_over"],
        &Explanation::OverAge {
            age: 36,
            limit: 35,
            combat_limit: true
        }
    );
    assert_eq!(
        exp["leap_man_46_today"],
        &Explanation::OverAge {
            age: 46,
            limit: 45,
            combat_limit: false
        }
    );
    assert_eq!(
        exp["woman_41_today"],
        &Explanation::OverAge {
            age: 41,
            limit: 40,
            combat_limit: false
        }
    );
    assert_eq!(exp["nowhere"], &Explanation::NoUnitInArea { commune: "C9".into() });
    assert!(exp["near_young"].to_string().contains("gần đúng CNQS"));
    check_valid(&inst);
}

#[test]
fn near_pairs_are_unordered_in_the_solver() {
    for pair in [r#"["1A","1B"]"#, r#"["1B","1A"]"#] {
        let j = format!(
            r#"{{"reference_date":"2026-06-30","near_specialties":[{pair}],
            "reservists":[{{"id":"r","specialty":"1B","birth_date":"2000-01-01","sex":"female","commune":"x"}}],
            "units":[{{"id":"u","combat":false,"communes":["x"],"positions":[{{"id":"p","specialty":"1A","count":1}}]}}]}}"#
        );
        let out: Value = serde_json::from_str(&assign_contract_json(&j).unwrap()).unwrap();
        assert_eq!(out["assignments"][0]["match"], "near");
        assert_eq!(out["totals"]["near"], 1);
    }
}

#[test]
fn unassigned_reasons() {
    let j = r#"{"reference_date":"2026-06-30","near_specialties":[],
      "reservists":[
        {"id":"a","specialty":"9Z","birth_date":"2000-01-01","sex":"male","commune":"x"},
        {"id":"b","specialty":"1A","birth_date":"2000-01-01","sex":"male","commune":"x"},
        {"id":"c","specialty":"1A","birth_date":"2000-01-02","sex":"male","commune":"x"}],
      "units":[{"id":"u","combat":true,"communes":["x"],"positions":[{"id":"p","specialty":"1A","count":1}]}]}"#;
    let a = assign(&Instance::from_contract_json(j).unwrap());
    assert_eq!(a.explanations[0].code(), "no_matching_position");
    assert_eq!(a.explanations[1].code(), "assigned");
    assert_eq!(
        a.explanations[2],
        Explanation::SeatsFull {
            exact_positions: vec!["p".into()],
            near_positions: vec![]
        }
    );
    assert!(a.explanations[2].to_string().starts_with("Chưa được xếp"));
}

#[test]
fn malformed_inputs_are_refused_with_item_and_field() {
    let ok = fixture("contract_example.json");
    let cases: Vec<(String, &[&str])> = vec![
        ("not json".into(), &["JSON"]),
        (ok.replace(r#""reference_date": "2026-06-30","#, ""), &["reference_date", "thiếu"]),
        (ok.replace("2026-06-30", "2026-02-30"), &["reference_date"]),
        (ok.replace(r#""sex": "male""#, r#""sex": "M""#), &["r1", "sex"]),
        (ok.replace(r#""count": 3"#, r#""count": -1"#), &["u1-p1", "count"]),
        (ok.replace(r#""count": 3"#, r#""count": 1.5"#), &["u1-p1", "count"]),
        (ok.replace(r#""combat": true"#, r#""combat": "yes""#), &["u1", "combat"]),
        (ok.replace(r#"["2C", "2D"]"#, r#"["2C", "2D", "2E"]"#), &["near_specialties"]),
        (ok.replace(r#""specialty": "1A", "birth"#, r#""specialty": "", "birth"#), &["r1", "specialty"]),
        (ok.replace("1995-03-01", "2030-01-01"), &["r1", "birth_date"]),
        (ok.replace(r#""communes": ["26734", "26737"]"#, r#""communes": "26734""#), &["u1", "communes"]),
        (ok.replace(r#""positions": [{"id": "u1-p1""#, r#""positions": [{"id": """#), &["id"]),
        (
            ok.replace(r#""commune": "26734"}"#, r#""commune": "26734"}, {"id": "r1", "specialty": "1A", "birth_date": "1995-03-01", "sex": "male", "commune": "1"}"#),
            &["r1", "id", "trùng"],
        ),
        (r#"{"reference_date":"2026-06-30","reservists":[]}"#.into(), &["units"]),
        ("[]".into(), &["đối tượng"]),
    ];
    for (input, needles) in cases {
        let err = assign_contract_json(&input).expect_err(&input).to_string();
        for n in needles {
            assert!(err.contains(n), "error {err:?} should mention {n:?}");
        }
        assert!(err.ends_with('.'), "{err}");
    }
}

#[test]
fn empty_instance_and_json_round_trip() {
    let out = assign_contract_json(r#"{"reference_date":"2026-06-30","reservists":[],"units":[]}"#).unwrap();
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["totals"]["empty_seats"], 0);
    let inst = synthetic_instance(3, 50, 10, 3);
    let back = Instance::from_contract_json(&inst.to_contract_json()).unwrap();
    assert_eq!(back, inst);
}

#[test]
fn solver_is_deterministic() {
    let inst = synthetic_instance(11, 3000, 200, 20);
    assert_eq!(assign(&inst), assign(&inst));
}

#[test]
fn specialty_rates_per_unit_and_roll_up() {
    use phongthu_domain::reserve::specialty::roll_up;
    let j = r#"{"reference_date":"2026-06-30","near_specialties":[["1A","1B"]],
      "reservists":[
        {"id":"a","specialty":"1A","birth_date":"2000-01-01","sex":"male","commune":"x"},
        {"id":"b","specialty":"1B","birth_date":"2000-01-01","sex":"male","commune":"x"},
        {"id":"c","specialty":"1A","birth_date":"2000-01-01","sex":"male","commune":"y"}],
      "units":[
        {"id":"u1","combat":true,"communes":["x"],"positions":[{"id":"p1","specialty":"1A","count":2}]},
        {"id":"u2","combat":false,"communes":["y"],"positions":[{"id":"p2","specialty":"1A","count":1}]}]}"#;
    let a = assign(&Instance::from_contract_json(j).unwrap());
    let rates = a.rates_by_unit();
    assert_eq!((rates["u1"].exact, rates["u1"].near), (1, 1));
    assert_eq!(rates["u1"].exact_percent_vi(), "50,0%");
    assert_eq!(rates["u2"].exact_per_mille(), Some(1000));
    let up = roll_up(&rates, |_| Some("province"));
    assert_eq!(up["province"].exact_per_mille(), Some(667));
}
