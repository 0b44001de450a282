//! Matching reserve equipment (phương tiện kỹ thuật dự bị, PTKT) to mobilisation units' needs, and
//! the readiness-check status of a piece of equipment (law brief §4).
//!
//! Rule (law brief §4, "Art. 8", probably Art. 18): assign equipment whose features match the
//! unit's need; if there is none, equipment with similar features. Here "matching features" is the
//! same [`EquipmentKind`] and "similar features" is another kind of the same
//! [`EquipmentCategory`] (vehicles, machinery, vessels; the "other" category has no similar kinds).
//! The law gives no finer grading, so capacity is shown but not used to rank (UNCONFIRMED).
//!
//! Only serviceable equipment whose latest readiness check (if any) did not fail is matched, and
//! only to a unit whose recruitment area contains the commune where it is registered. Like the
//! reservist solver, the matching is exact and lexicographic: first the most exact-kind matches,
//! then the most similar-kind matches (a min-cost flow on [`FlowGraph`]); ties are broken in input
//! order, so the caller lists the equipment it prefers first (e.g. most recently checked).

use super::classes::{EquipmentCategory, EquipmentKind};
use super::flow::FlowGraph;
use serde::Serialize;
use std::collections::HashSet;
use time::Date;

/// A piece of equipment offered to the matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EquipmentItem {
    pub id: String,
    pub kind: EquipmentKind,
    /// The commune (command) where it is registered.
    pub commune: String,
    /// In good condition, and its latest readiness check (if any) passed.
    pub serviceable: bool,
}

/// A unit's need for `count` pieces of one kind, recruiting from `communes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EquipmentNeed {
    pub id: String,
    pub kind: EquipmentKind,
    pub count: u32,
    pub communes: Vec<String>,
}

/// How an item matches a need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EquipmentMatch {
    /// Same kind (đúng loại).
    Exact,
    /// Same category, another kind (tương tự).
    Similar,
}

impl EquipmentMatch {
    pub fn as_str(self) -> &'static str {
        match self {
            EquipmentMatch::Exact => "exact",
            EquipmentMatch::Similar => "similar",
        }
    }

    pub fn parse(s: &str) -> Option<EquipmentMatch> {
        match s {
            "exact" => Some(EquipmentMatch::Exact),
            "similar" => Some(EquipmentMatch::Similar),
            _ => None,
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            EquipmentMatch::Exact => "đúng loại",
            EquipmentMatch::Similar => "loại tương tự",
        }
    }

    /// How `item` matches a need of `need`, if at all.
    pub fn of(item: EquipmentKind, need: EquipmentKind) -> Option<EquipmentMatch> {
        if item == need {
            Some(EquipmentMatch::Exact)
        } else if item.category() == need.category() && item.category() != EquipmentCategory::Other {
            Some(EquipmentMatch::Similar)
        } else {
            None
        }
    }
}

/// One item given to one need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EquipmentPlacement {
    pub equipment: String,
    pub need: String,
    pub match_kind: EquipmentMatch,
}

/// Why an item was left out, in Vietnamese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EquipmentLeftOut {
    pub equipment: String,
    pub reason: String,
}

/// The matching: placements in item input order, and every item left out with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EquipmentMatching {
    pub placements: Vec<EquipmentPlacement>,
    pub left_out: Vec<EquipmentLeftOut>,
}

impl EquipmentMatching {
    pub fn count(&self, k: EquipmentMatch) -> usize {
        self.placements.iter().filter(|p| p.match_kind == k).count()
    }
}

/// Matches items to needs: most exact-kind placements first, then most similar-kind ones.
pub fn match_equipment(items: &[EquipmentItem], needs: &[EquipmentNeed]) -> EquipmentMatching {
    let seats: i64 = needs.iter().map(|n| n.count as i64).sum();
    let w = seats.min(items.len() as i64) + 1;
    let (s, t) = (0usize, 1usize);
    let item_node = |i: usize| 2 + i;
    let need_node = |n: usize| 2 + items.len() + n;
    let mut g = FlowGraph::new(2 + items.len() + needs.len());
    let areas: Vec<HashSet<&str>> = needs
        .iter()
        .map(|n| n.communes.iter().map(String::as_str).collect())
        .collect();
    let mut edges: Vec<Vec<(usize, usize, EquipmentMatch)>> = vec![Vec::new(); items.len()];
    let mut left_out = Vec::new();
    for (i, it) in items.iter().enumerate() {
        if !it.serviceable {
            left_out.push(EquipmentLeftOut {
                equipment: it.id.clone(),
                reason:
                    "Không sắp xếp vì phương tiện không ở tình trạng tốt hoặc lần kiểm tra sẵn sàng gần nhất không đạt."
                        .into(),
            });
            continue;
        }
        let mut any_area = false;
        let mut any_kind = false;
        for (ni, n) in needs.iter().enumerate() {
            if n.count == 0 || !areas[ni].contains(it.commune.as_str()) {
                continue;
            }
            any_area = true;
            if let Some(m) = EquipmentMatch::of(it.kind, n.kind) {
                any_kind = true;
                let cost = if m == EquipmentMatch::Exact { -w } else { -1 };
                let e = g.add_edge(item_node(i), need_node(ni), 1, cost);
                edges[i].push((e, ni, m));
            }
        }
        if edges[i].is_empty() {
            left_out.push(EquipmentLeftOut {
                equipment: it.id.clone(),
                reason: if !any_area {
                    "Chưa sắp xếp vì không có đơn vị nào cần phương tiện tại địa bàn đăng ký của phương tiện này."
                        .into()
                } else if !any_kind {
                    format!(
                        "Chưa sắp xếp vì các đơn vị trong địa bàn không cần {} hoặc loại tương tự.",
                        it.kind.label_vi().to_lowercase()
                    )
                } else {
                    unreachable!("an edge exists when area and kind match")
                },
            });
            continue;
        }
        g.add_edge(s, item_node(i), 1, 0);
    }
    for (ni, n) in needs.iter().enumerate() {
        if n.count > 0 {
            g.add_edge(need_node(ni), t, n.count as i64, 0);
        }
    }
    g.min_cost_flow(s, t);
    let mut placements = Vec::new();
    for (i, it) in items.iter().enumerate() {
        if edges[i].is_empty() {
            continue;
        }
        match edges[i].iter().find(|(e, _, _)| g.flow(*e) > 0) {
            Some(&(_, ni, m)) => placements.push(EquipmentPlacement {
                equipment: it.id.clone(),
                need: needs[ni].id.clone(),
                match_kind: m,
            }),
            None => left_out.push(EquipmentLeftOut {
                equipment: it.id.clone(),
                reason: "Chưa sắp xếp vì các nhu cầu phù hợp trong địa bàn đã đủ phương tiện có mức phù hợp bằng hoặc cao hơn."
                    .into(),
            }),
        }
    }
    EquipmentMatching { placements, left_out }
}

/// Where a piece of equipment stands with its readiness checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CheckStatus {
    /// Never checked.
    Never,
    /// The latest check is older than the interval.
    Overdue { last: Date },
    /// The latest check, within the interval, found it not ready.
    Failed { last: Date },
    /// Checked ready within the interval.
    Current { last: Date },
}

impl CheckStatus {
    /// `latest`: the date and result of the latest check. `interval_days` is a setting: the law
    /// brief names readiness checks but no interval (UNCONFIRMED).
    pub fn of(latest: Option<(Date, bool)>, on: Date, interval_days: u32) -> CheckStatus {
        match latest {
            None => CheckStatus::Never,
            Some((last, _)) if (on - last).whole_days() > interval_days as i64 => CheckStatus::Overdue { last },
            Some((last, false)) => CheckStatus::Failed { last },
            Some((last, true)) => CheckStatus::Current { last },
        }
    }

    /// Needs a check now: never checked or overdue.
    pub fn due(self) -> bool {
        matches!(self, CheckStatus::Never | CheckStatus::Overdue { .. })
    }

    pub fn label_vi(self) -> String {
        let d = crate::dates::vi_date;
        match self {
            CheckStatus::Never => "Chưa kiểm tra lần nào".into(),
            CheckStatus::Overdue { last } => format!("Quá hạn kiểm tra (lần gần nhất {})", d(last)),
            CheckStatus::Failed { last } => format!("Không đạt ngày {}", d(last)),
            CheckStatus::Current { last } => format!("Sẵn sàng (kiểm tra ngày {})", d(last)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn item(id: &str, kind: EquipmentKind, commune: &str) -> EquipmentItem {
        EquipmentItem {
            id: id.into(),
            kind,
            commune: commune.into(),
            serviceable: true,
        }
    }

    fn need(id: &str, kind: EquipmentKind, count: u32, communes: &[&str]) -> EquipmentNeed {
        EquipmentNeed {
            id: id.into(),
            kind,
            count,
            communes: communes.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn exact_kind_first_then_similar_and_area() {
        use EquipmentKind::*;
        // A greedy pass in item order would give the first truck to the need for coaches (similar)
        // and then miss the exact need; the exact matching keeps both exact.
        let items = vec![
            item("t1", Truck, "c1"),
            item("c1", Coach, "c1"),
            item("v1", SeaVessel, "c1"),
            item("far", Truck, "c9"),
        ];
        let needs = vec![need("n-coach", Coach, 1, &["c1"]), need("n-truck", Truck, 2, &["c1"])];
        let m = match_equipment(&items, &needs);
        assert_eq!(m.count(EquipmentMatch::Exact), 2);
        assert_eq!(m.count(EquipmentMatch::Similar), 0);
        let p = |e: &str| m.placements.iter().find(|p| p.equipment == e).map(|p| p.need.as_str());
        assert_eq!(p("t1"), Some("n-truck"));
        assert_eq!(p("c1"), Some("n-coach"));
        assert_eq!(p("v1"), None);
        let why = |e: &str| m.left_out.iter().find(|l| l.equipment == e).unwrap().reason.clone();
        assert!(why("v1").contains("tàu biển"), "{}", why("v1"));
        assert!(why("far").contains("địa bàn"), "{}", why("far"));

        // With no exact item left, a similar one fills the need; an unserviceable one never.
        let mut broken = item("b", Truck, "c1");
        broken.serviceable = false;
        let items = vec![broken, item("a1", Ambulance, "c1")];
        let m = match_equipment(&items, &[need("n", Truck, 1, &["c1"])]);
        assert_eq!(m.placements.len(), 1);
        assert_eq!(m.placements[0].equipment, "a1");
        assert_eq!(m.placements[0].match_kind, EquipmentMatch::Similar);
        assert!(m.left_out[0].reason.contains("tình trạng"));
        // The "other" category has no similar kinds.
        assert_eq!(EquipmentMatch::of(MedicalEquipment, CommunicationsEquipment), None);
    }

    #[test]
    fn exact_count_is_optimal_against_brute_force() {
        use EquipmentKind::*;
        let kinds = [Truck, Coach, Ambulance, SeaVessel, InlandWaterVessel];
        let mut rng = super::super::synthetic::Lcg::new(7);
        for _ in 0..200 {
            let items: Vec<EquipmentItem> = (0..5)
                .map(|i| {
                    item(
                        &format!("i{i}"),
                        kinds[rng.below(5) as usize],
                        &format!("c{}", rng.below(2)),
                    )
                })
                .collect();
            let needs: Vec<EquipmentNeed> = (0..3)
                .map(|i| {
                    let communes: &[&str] = if rng.chance(50) { &["c0"] } else { &["c0", "c1"] };
                    need(&format!("n{i}"), kinds[rng.below(5) as usize], rng.below(3), communes)
                })
                .collect();
            let m = match_equipment(&items, &needs);
            // Brute force: every item picks a need or none (4^5 choices).
            let mut best = (0usize, 0usize);
            let choices = needs.len() + 1;
            for code in 0..choices.pow(items.len() as u32) {
                let mut c = code;
                let mut used = vec![0u32; needs.len()];
                let (mut ex, mut si, mut ok) = (0, 0, true);
                for it in &items {
                    let pick = c % choices;
                    c /= choices;
                    if pick == needs.len() {
                        continue;
                    }
                    let n = &needs[pick];
                    match EquipmentMatch::of(it.kind, n.kind) {
                        Some(k) if n.communes.contains(&it.commune) => {
                            used[pick] += 1;
                            if k == EquipmentMatch::Exact {
                                ex += 1
                            } else {
                                si += 1
                            }
                        }
                        _ => ok = false,
                    }
                }
                if ok && used.iter().zip(&needs).all(|(u, n)| *u <= n.count) {
                    best = best.max((ex, si));
                }
            }
            assert_eq!((m.count(EquipmentMatch::Exact), m.count(EquipmentMatch::Similar)), best);
            assert_eq!(m.placements.len() + m.left_out.len(), items.len());
        }
    }

    #[test]
    fn check_status() {
        let on = date!(2026 - 11 - 29);
        assert_eq!(CheckStatus::of(None, on, 365), CheckStatus::Never);
        assert!(CheckStatus::of(None, on, 365).due());
        let old = date!(2025 - 11 - 28);
        assert_eq!(
            CheckStatus::of(Some((old, true)), on, 365),
            CheckStatus::Overdue { last: old }
        );
        let edge = date!(2025 - 11 - 29);
        assert_eq!(
            CheckStatus::of(Some((edge, true)), on, 365),
            CheckStatus::Current { last: edge }
        );
        let st = CheckStatus::of(Some((edge, false)), on, 365);
        assert!(!st.due());
        assert_eq!(st.label_vi(), "Không đạt ngày 29/11/2025");
    }
}
