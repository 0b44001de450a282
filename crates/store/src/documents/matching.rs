//! Suggesting the organisational unit for a unit named in a directive ("Ban Chỉ huy Quân sự
//! huyện", "Ủy ban nhân dân xã Đồng Thanh"): folded, diacritic-insensitive matching on the names
//! and kinds of the units in the issuer's subtree. A suggestion only prefills the review form; a
//! person confirms it.

use crate::org::OrgUnit;
use phongthu_domain::org::OrgKind;
use phongthu_domain::text;

/// The administrative level a unit name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Commune,
    District,
    Province,
    Region,
    MilitaryRegion,
}

/// Phrases that say what kind of body a name is, not which one: removed before the distinctive
/// words are taken (longest first).
const GENERIC_PHRASES: &[&str] = &[
    "uy ban nhan dan",
    "hoi dong nhan dan",
    "ban chi huy quan su",
    "bo chi huy quan su",
    "ban chi huy phong thu",
    "dang uy quan su",
    "ban thuong vu",
    "mat tran to quoc",
    "phong thu khu vuc",
    "khu vuc phong thu",
    "chu tri",
    "phoi hop",
    "thanh pho",
    "thi tran",
    "thi xa",
    "dac khu",
    "cong an",
    "quan su",
    "chi huy",
    "dang uy",
    "dang bo",
    "chi bo",
    "quan khu",
    "khu vuc",
];

/// Single words of the same sort.
const GENERIC: &[&str] = &[
    "ubnd", "hdnd", "bchqs", "chqs", "bch", "ban", "uy", "xa", "huyen", "tinh", "phuong", "quan", "cac", "va", "voi",
    "cap", "co", "so", "nganh", "doan", "the", "don", "vi", "tren", "dia", "cua", "lanh", "dao", "chinh", "quyen",
];

fn distinctive_words(folded: &str) -> Vec<String> {
    let mut rest = format!(" {} ", tokens(folded).join(" "));
    for p in GENERIC_PHRASES {
        rest = rest.replace(&format!(" {p} "), " ");
    }
    tokens(&rest)
        .into_iter()
        .filter(|w| !GENERIC.contains(&w.as_str()) && w.chars().count() > 1)
        .collect()
}

fn level_of(lead: &str, folded: &str) -> Option<Level> {
    let lower = text::normalize(lead).to_lowercase();
    // The last level word names the unit ("Ban Chỉ huy Quân sự xã" → commune; "Bộ Chỉ huy Quân
    // sự tỉnh" → province). "quận" is recognised from the unfolded text: folded it is "quan", the
    // same as "quân" (military).
    let mut best: Option<(usize, Level)> = None;
    let mut consider = |pos: Option<usize>, l: Level| {
        if let Some(p) = pos {
            if best.is_none_or(|(b, _)| p >= b) {
                best = Some((p, l));
            }
        }
    };
    let word = |w: &str| -> Option<usize> {
        let padded = format!(" {folded} ");
        padded
            .rfind(&format!(" {w} "))
            .or_else(|| padded.rfind(&format!(" {w},")))
    };
    consider(word("xa"), Level::Commune);
    consider(word("phuong"), Level::Commune);
    consider(word("thi tran"), Level::Commune);
    consider(word("dac khu"), Level::Commune);
    consider(word("huyen"), Level::District);
    consider(word("thi xa"), Level::District);
    if lower.contains("quận") {
        consider(word("quan"), Level::District);
    }
    consider(word("tinh"), Level::Province);
    consider(word("thanh pho"), Level::Province);
    consider(word("khu vuc"), Level::Region);
    consider(word("quan khu"), Level::MilitaryRegion);
    best.map(|(_, l)| l)
}

/// How well a unit's kind fits the level named (0 = not at all). Since the 2025 reform the
/// district military commands are dissolved (law brief §8) and the regional defense commands
/// carry their work, so a district-level name falls back to a regional defense command.
fn kind_fit(level: Level, kind: OrgKind) -> u32 {
    match (level, kind) {
        (Level::Commune, OrgKind::CommuneCommand) => 5,
        (Level::District, OrgKind::DistrictCommand) => 5,
        (Level::District, OrgKind::RegionalDefenseCommand) => 4,
        (Level::Province, OrgKind::ProvincialCommand | OrgKind::CapitalCommand) => 5,
        (Level::Region, OrgKind::RegionalDefenseCommand) => 5,
        (Level::MilitaryRegion, OrgKind::MilitaryRegion) => 5,
        _ => 0,
    }
}

fn tokens(folded: &str) -> Vec<String> {
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Units that may be meant by `lead`, best first, with a score (higher is better). Each
/// distinctive word of the name found in a unit's name counts 10, a fitting kind 5 (4 for a
/// fallback kind), an explicit military name ("quân sự", "chỉ huy") on a military kind 1.
pub fn suggest_units(lead: &str, units: &[OrgUnit]) -> Vec<(i64, u32)> {
    let folded = text::fold(lead);
    if folded.is_empty() {
        return Vec::new();
    }
    let level = level_of(lead, &folded);
    let distinctive = distinctive_words(&folded);
    let military = folded.contains("quan su")
        || folded.contains("chi huy")
        || folded.contains("phong thu")
        || folded.contains("chqs");
    let mut scored: Vec<(usize, i64, u32)> = units
        .iter()
        .enumerate()
        .filter(|(_, u)| u.active)
        .filter_map(|(i, u)| {
            let name_tokens = tokens(&text::fold(&u.name));
            let names = distinctive.iter().filter(|w| name_tokens.contains(w)).count() as u32;
            let fit = level.map(|l| kind_fit(l, u.kind)).unwrap_or(0);
            // A name whose distinctive words do not all appear is another unit of the same kind
            // ("xã Đồng Thanh" is not "xã Đức Hợp").
            if !distinctive.is_empty() && names == 0 && fit > 0 && level == Some(Level::Commune) {
                return None;
            }
            let score = names * 10 + fit + u32::from(military && fit > 0);
            (score > 0).then_some((i, u.id, score))
        })
        .collect();
    scored.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    scored.into_iter().map(|(_, id, s)| (id, s)).collect()
}

/// The one unit `lead` most likely names, when one stands out: it matches the distinctive words
/// of the name, or it is the only unit of the level named. `None` when several fit equally
/// ("các xã" with three communes) or none does: the person chooses.
pub fn suggest_unit(lead: &str, units: &[OrgUnit]) -> Option<i64> {
    let s = suggest_units(lead, units);
    match s.as_slice() {
        [] => None,
        [(id, _)] => Some(*id),
        [(id, a), (_, b), ..] => (a > b).then_some(*id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: i64, kind: OrgKind, name: &str) -> OrgUnit {
        OrgUnit {
            id,
            parent_id: None,
            kind,
            name: name.into(),
            code: None,
            admin_code: None,
            province_code: None,
            note: None,
            active: true,
        }
    }

    fn tree() -> Vec<OrgUnit> {
        vec![
            unit(1, OrgKind::ProvincialCommand, "Bộ Chỉ huy Quân sự tỉnh Hưng Yên"),
            unit(
                2,
                OrgKind::RegionalDefenseCommand,
                "Ban Chỉ huy Phòng thủ khu vực 1 - Phố Hiến",
            ),
            unit(3, OrgKind::CommuneCommand, "Ban Chỉ huy Quân sự phường Phố Hiến"),
            unit(4, OrgKind::CommuneCommand, "Ban Chỉ huy Quân sự xã Đồng Thanh"),
            unit(5, OrgKind::CommuneCommand, "Ban Chỉ huy Quân sự xã Đức Hợp"),
        ]
    }

    #[test]
    fn names_with_a_proper_name_find_their_unit() {
        let t = tree();
        assert_eq!(suggest_unit("Ủy ban nhân dân xã Đồng Thanh", &t), Some(4));
        assert_eq!(suggest_unit("UBND xa dong thanh", &t), Some(4));
        assert_eq!(suggest_unit("Ban CHQS xã Đức Hợp", &t), Some(5));
        // Decomposed Unicode and the other tone-mark placement.
        assert_eq!(suggest_unit("Ban Chi\u{0309} huy Quân sự xã Đức Hợp", &t), Some(5));
    }

    #[test]
    fn generic_names_find_the_unit_of_that_kind() {
        let t = tree();
        assert_eq!(suggest_unit("Bộ Chỉ huy Quân sự tỉnh", &t), Some(1));
        // District commands are dissolved: the regional defense command carries their work.
        assert_eq!(suggest_unit("Ban Chỉ huy Quân sự huyện", &t), Some(2));
        assert_eq!(suggest_unit("Đảng ủy Quân sự huyện", &t), Some(2));
        // A district command, where one still exists, comes first.
        let mut with_district = t.clone();
        with_district.push(unit(6, OrgKind::DistrictCommand, "Ban Chỉ huy Quân sự huyện Kim Động"));
        assert_eq!(suggest_unit("Ban Chỉ huy Quân sự huyện", &with_district), Some(6));
    }

    #[test]
    fn ambiguous_or_unknown_names_suggest_nothing() {
        let t = tree();
        // Three commune commands fit "xã": a person chooses.
        assert_eq!(suggest_unit("Ủy ban nhân dân xã", &t), None);
        assert_eq!(suggest_units("Ủy ban nhân dân xã", &t).len(), 3);
        assert_eq!(suggest_unit("Xã Tân Lập", &t), None);
        assert_eq!(suggest_unit("Mặt trận Tổ quốc", &t), None);
        assert_eq!(suggest_unit("", &t), None);
        // Inactive units are never suggested.
        let mut t2 = t.clone();
        t2[3].active = false;
        assert_eq!(suggest_unit("xã Đồng Thanh", &t2), None);
    }
}
