//! The reserve assignment solver (law brief §4, Art. 16.1; contract `reserve-assign.md`).
//!
//! Objective (lexicographic): maximise seats filled by an exact specialty match (đúng CNQS), then
//! seats filled by a near match (gần đúng CNQS); never fill with another specialty.
//!
//! Method: an exact min-cost flow. Reservists who are interchangeable — same set of units covering
//! their commune, same specialty, same age class — are merged into one supply node whose capacity is
//! their number. Edges: source → group (cap = size), group → position (cost −W for exact, −1 for
//! near, with W = min(seats, reservists) + 1 so one exact seat outweighs every near seat), position → sink
//! (cap = count). The flow is then split back to persons deterministically (input order).

use super::age::{within_end_of_age, Sex};
use super::explain::{explain_unassigned, Explanation};
use super::flow::FlowGraph;
use super::instance::{Instance, Reservist};
use super::specialty::{MatchKind, NearSpecialties, SpecialtyRate};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Combat units: reserve NCOs and soldiers up to the end of age 35 (law brief §4).
pub const COMBAT_AGE_LIMIT: i32 = 35;
/// Combat-support units: men up to the end of age 45.
pub const SUPPORT_AGE_LIMIT_MALE: i32 = 45;
/// Combat-support units: women up to the end of age 40.
pub const SUPPORT_AGE_LIMIT_FEMALE: i32 = 40;

/// Which units a reservist's age allows on the reference date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AgeClass {
    /// Within the combat limit (and so within the support limit too).
    CombatAndSupport,
    /// Only combat-support units.
    SupportOnly,
    /// Over every limit.
    OverAge,
}

impl AgeClass {
    pub fn of(r: &Reservist, on: time::Date) -> AgeClass {
        let support = match r.sex {
            Sex::Male => SUPPORT_AGE_LIMIT_MALE,
            Sex::Female => SUPPORT_AGE_LIMIT_FEMALE,
        };
        if within_end_of_age(r.birth_date, COMBAT_AGE_LIMIT, on) && within_end_of_age(r.birth_date, support, on) {
            AgeClass::CombatAndSupport
        } else if within_end_of_age(r.birth_date, support, on) {
            AgeClass::SupportOnly
        } else {
            AgeClass::OverAge
        }
    }

    pub fn allows(self, combat_unit: bool) -> bool {
        match self {
            AgeClass::CombatAndSupport => true,
            AgeClass::SupportOnly => !combat_unit,
            AgeClass::OverAge => false,
        }
    }
}

/// One filled seat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placement {
    pub reservist: String,
    pub position: String,
    #[serde(rename = "match")]
    pub match_kind: MatchKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub exact: u64,
    pub near: u64,
    pub empty_seats: u64,
}

/// The solver's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// Filled seats, in the input order of reservists.
    pub placements: Vec<Placement>,
    pub totals: Totals,
    /// One explanation per reservist, in input order.
    pub explanations: Vec<Explanation>,
    /// Index of the unit owning each placed position, parallel to `placements`.
    pub placement_units: Vec<String>,
}

impl Assignment {
    /// The contract output JSON.
    pub fn to_contract_json(&self) -> String {
        serde_json::json!({
            "assignments": self.placements,
            "totals": self.totals,
        })
        .to_string()
    }

    /// The đúng CNQS rate per unit id (units with no placement are absent).
    pub fn rates_by_unit(&self) -> BTreeMap<String, SpecialtyRate> {
        super::specialty::rates_by_unit(
            self.placement_units
                .iter()
                .cloned()
                .zip(self.placements.iter().map(|p| p.match_kind)),
        )
    }
}

/// Index of an instance: positions by unit and specialty, units by commune.
pub(crate) struct Index<'a> {
    pub instance: &'a Instance,
    pub near: NearSpecialties,
    /// commune → sorted unit indices covering it
    pub units_of_commune: HashMap<&'a str, Vec<u32>>,
    /// (unit index, specialty) → global position indices
    pub positions_by_spec: HashMap<(u32, &'a str), Vec<u32>>,
    /// global position index → (unit index, position index within unit)
    pub positions: Vec<(u32, u32)>,
}

impl<'a> Index<'a> {
    pub fn new(instance: &'a Instance) -> Index<'a> {
        let mut units_of_commune: HashMap<&str, Vec<u32>> = HashMap::new();
        let mut positions_by_spec: HashMap<(u32, &str), Vec<u32>> = HashMap::new();
        let mut positions = Vec::new();
        for (ui, u) in instance.units.iter().enumerate() {
            for c in &u.communes {
                let v = units_of_commune.entry(c.as_str()).or_default();
                if v.last() != Some(&(ui as u32)) {
                    v.push(ui as u32);
                }
            }
            for (pi, p) in u.positions.iter().enumerate() {
                positions_by_spec
                    .entry((ui as u32, p.specialty.as_str()))
                    .or_default()
                    .push(positions.len() as u32);
                positions.push((ui as u32, pi as u32));
            }
        }
        Index {
            instance,
            near: NearSpecialties::new(&instance.near_specialties),
            units_of_commune,
            positions_by_spec,
            positions,
        }
    }

    pub fn position(&self, gp: u32) -> &'a super::instance::Position {
        let (u, p) = self.positions[gp as usize];
        &self.instance.units[u as usize].positions[p as usize]
    }

    pub fn unit_of(&self, gp: u32) -> &'a super::instance::MobilizationUnit {
        &self.instance.units[self.positions[gp as usize].0 as usize]
    }

    /// Candidate positions for a specialty within a set of units and an age class:
    /// (global position index, match kind), exact first.
    pub fn candidates(&self, units: &[u32], spec: &str, class: AgeClass) -> Vec<(u32, MatchKind)> {
        let mut out = Vec::new();
        for &u in units {
            if !class.allows(self.instance.units[u as usize].combat) {
                continue;
            }
            if let Some(ps) = self.positions_by_spec.get(&(u, spec)) {
                out.extend(ps.iter().map(|&p| (p, MatchKind::Exact)));
            }
        }
        for &u in units {
            if !class.allows(self.instance.units[u as usize].combat) {
                continue;
            }
            for n in self.near.near_of(spec) {
                if let Some(ps) = self.positions_by_spec.get(&(u, n.as_str())) {
                    out.extend(ps.iter().map(|&p| (p, MatchKind::Near)));
                }
            }
        }
        out
    }
}

/// Solve the assignment optimally.
pub fn assign(instance: &Instance) -> Assignment {
    let idx = Index::new(instance);
    let on = instance.reference_date;
    let empty: Vec<u32> = Vec::new();

    // Group interchangeable reservists: (covering-unit set, specialty, age class).
    let classes: Vec<AgeClass> = instance.reservists.iter().map(|r| AgeClass::of(r, on)).collect();
    let mut group_of_key: HashMap<(&[u32], &str, AgeClass), usize> = HashMap::new();
    let mut groups: Vec<(&[u32], &str, AgeClass, Vec<u32>)> = Vec::new();
    for (ri, r) in instance.reservists.iter().enumerate() {
        let class = classes[ri];
        let units = idx.units_of_commune.get(r.commune.as_str()).unwrap_or(&empty);
        if class == AgeClass::OverAge || units.is_empty() {
            continue;
        }
        let key = (units.as_slice(), r.specialty.as_str(), class);
        let g = *group_of_key.entry(key).or_insert_with(|| {
            groups.push((units.as_slice(), r.specialty.as_str(), class, Vec::new()));
            groups.len() - 1
        });
        groups[g].3.push(ri as u32);
    }

    let total_seats = instance.total_seats() as i64;
    // One exact seat must outweigh all near seats; near seats ≤ min(seats, reservists).
    let w = total_seats.min(instance.reservists.len() as i64) + 1;
    let np = idx.positions.len();
    let (s, t) = (0usize, 1usize);
    let group_node = |g: usize| 2 + g;
    let pos_node = |p: usize| 2 + groups.len() + p;
    let mut graph = FlowGraph::new(2 + groups.len() + np);
    let mut group_edges: Vec<Vec<(usize, u32, MatchKind)>> = Vec::with_capacity(groups.len());
    for (g, (units, spec, class, members)) in groups.iter().enumerate() {
        let size = members.len() as i64;
        let cands = idx.candidates(units, spec, *class);
        let mut edges = Vec::with_capacity(cands.len());
        if !cands.is_empty() {
            graph.add_edge(s, group_node(g), size, 0);
        }
        for (p, kind) in cands {
            let count = idx.position(p).count as i64;
            if count == 0 {
                continue;
            }
            let cost = if kind == MatchKind::Exact { -w } else { -1 };
            let e = graph.add_edge(group_node(g), pos_node(p as usize), size.min(count), cost);
            edges.push((e, p, kind));
        }
        group_edges.push(edges);
    }
    for p in 0..np {
        let count = idx.position(p as u32).count as i64;
        if count > 0 {
            graph.add_edge(pos_node(p), t, count, 0);
        }
    }
    graph.min_cost_flow(s, t);

    // Disaggregate: members of a group in input order fill the group's flows in edge order.
    let mut placed: Vec<Option<(u32, MatchKind)>> = vec![None; instance.reservists.len()];
    for (g, edges) in group_edges.iter().enumerate() {
        let mut members = groups[g].3.iter();
        for &(e, p, kind) in edges {
            for _ in 0..graph.flow(e) {
                let ri = *members.next().expect("flow never exceeds group size");
                placed[ri as usize] = Some((p, kind));
            }
        }
    }

    let mut filled = vec![0u64; np];
    let mut placements = Vec::new();
    let mut placement_units = Vec::new();
    let (mut exact, mut near) = (0u64, 0u64);
    for (ri, r) in instance.reservists.iter().enumerate() {
        if let Some((p, kind)) = placed[ri] {
            filled[p as usize] += 1;
            match kind {
                MatchKind::Exact => exact += 1,
                _ => near += 1,
            }
            placements.push(Placement {
                reservist: r.id.clone(),
                position: idx.position(p).id.clone(),
                match_kind: kind,
            });
            placement_units.push(idx.unit_of(p).id.clone());
        }
    }

    let explanations = instance
        .reservists
        .iter()
        .enumerate()
        .map(|(ri, r)| match placed[ri] {
            Some((p, kind)) => Explanation::Assigned {
                position: idx.position(p).id.clone(),
                unit: idx.unit_of(p).id.clone(),
                match_kind: kind,
                reservist_specialty: r.specialty.as_str().to_string(),
                position_specialty: idx.position(p).specialty.as_str().to_string(),
            },
            None => explain_unassigned(&idx, r, classes[ri]),
        })
        .collect();

    Assignment {
        placements,
        totals: Totals {
            exact,
            near,
            empty_seats: total_seats as u64 - exact - near,
        },
        explanations,
        placement_units,
    }
}

/// The contract entry point: parse the instance, solve, print the output JSON.
pub fn assign_contract_json(input: &str) -> Result<String, super::instance::ContractError> {
    let instance = Instance::from_contract_json(input)?;
    Ok(assign(&instance).to_contract_json())
}
