//! A seeded synthetic instance generator (for benches, the Python cross-check and tests). Pure and
//! deterministic: a 64-bit linear congruential generator, no external randomness.

use super::age::Sex;
use super::instance::{Instance, MobilizationUnit, Position, Reservist};
use super::specialty::MilitarySpecialty;
use time::{Date, Duration};

/// Knuth's MMIX LCG; the high bits are used.
#[derive(Debug, Clone)]
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Lcg {
        let mut l = Lcg(seed ^ 0x9E37_79B9_7F4A_7C15);
        l.next_u32();
        l
    }

    pub fn next_u32(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 32) as u32
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u32) -> u32 {
        ((self.next_u32() as u64 * n as u64) >> 32) as u32
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }
}

const DIGITS: u32 = 9;
const LETTERS: [char; 6] = ['A', 'B', 'C', 'D', 'E', 'F'];

fn spec(i: u32) -> MilitarySpecialty {
    let d = i / LETTERS.len() as u32 + 1;
    let l = LETTERS[(i % LETTERS.len() as u32) as usize];
    MilitarySpecialty::parse(&format!("{d}{l}")).expect("valid code")
}

/// Build an instance with `reservists` people, `positions` positions and `units` units
/// (`units` ≥ 1 when `positions` > 0). Each unit recruits from three communes of its own and
/// sometimes one of its neighbour's; about 5% of reservists live outside every unit's area; seats
/// total about 80% of the reservists; specialties are skewed so that some are scarce.
pub fn synthetic_instance(seed: u64, reservists: usize, positions: usize, units: usize) -> Instance {
    let mut rng = Lcg::new(seed);
    let reference_date = Date::from_calendar_date(2026, time::Month::June, 30).expect("valid");
    let n_specs = DIGITS * LETTERS.len() as u32;
    let mut near_specialties = Vec::new();
    for d in 0..DIGITS {
        for l in 0..LETTERS.len() as u32 - 1 {
            let i = d * LETTERS.len() as u32 + l;
            // Pairs listed in both orders at random: they are unordered.
            if rng.chance(50) {
                near_specialties.push((spec(i), spec(i + 1)));
            } else {
                near_specialties.push((spec(i + 1), spec(i)));
            }
        }
    }

    let units_n = units.max(1);
    let own = 3usize;
    let commune_code = |c: usize| format!("{:05}", 10_000 + c);
    let covered_communes = units_n * own;
    let outside_communes = (units_n / 10).max(1);
    let avg_count = ((reservists as u64 * 8 / 10) / positions.max(1) as u64).max(1) as u32;

    let mut unit_list = Vec::with_capacity(units_n);
    for u in 0..units_n {
        let mut communes: Vec<String> = (0..own).map(|k| commune_code(u * own + k)).collect();
        if units_n > 1 && rng.chance(30) {
            let neighbour = (u + 1) % units_n;
            communes.push(commune_code(neighbour * own + rng.below(own as u32) as usize));
        }
        let share = positions / units_n + usize::from(u < positions % units_n);
        let positions = (0..share)
            .map(|k| Position {
                id: format!("u{u}-p{k}"),
                specialty: spec(rng.below(n_specs)),
                count: 1 + rng.below(2 * avg_count - 1),
            })
            .collect();
        unit_list.push(MobilizationUnit {
            id: format!("u{u}"),
            combat: rng.chance(60),
            communes,
            positions,
        });
    }
    if positions == 0 {
        unit_list.iter_mut().for_each(|u| u.positions.clear());
    }

    let mut people = Vec::with_capacity(reservists);
    for i in 0..reservists {
        let commune = if rng.chance(5) {
            commune_code(covered_communes + rng.below(outside_communes as u32) as usize)
        } else {
            commune_code(rng.below(covered_communes as u32) as usize)
        };
        // Skewed toward low-numbered specialties: the minimum of two draws.
        let s = rng.below(n_specs).min(rng.below(n_specs));
        let days = 18 * 365 + rng.below(33 * 365) as i64;
        people.push(Reservist {
            id: format!("r{i}"),
            specialty: spec(s),
            birth_date: reference_date - Duration::days(days),
            sex: if rng.chance(15) { Sex::Female } else { Sex::Male },
            commune,
        });
    }

    Instance {
        reference_date,
        near_specialties,
        reservists: people,
        units: if units == 0 { Vec::new() } else { unit_list },
    }
}
