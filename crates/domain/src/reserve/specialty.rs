//! Military specialty codes (chuyên nghiệp quân sự, CNQS), match kinds and the "đúng CNQS" rate.
//!
//! The law brief gives no format for CNQS codes; the contract uses short codes such as `"1A"`.
//! A code is therefore kept verbatim (case-sensitive) and only checked to be a short printable token.
//! The đúng CNQS rate is the share of assigned reservists whose specialty equals the position's
//! (law brief §4, Art. 16.1); it is a report metric and no statutory target is known (UNCONFIRMED).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::ops::AddAssign;

/// A military specialty code (mã CNQS), kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MilitarySpecialty(String);

impl MilitarySpecialty {
    /// Maximum length of a code, in characters.
    pub const MAX_LEN: usize = 32;

    /// Accept a non-empty code of at most 32 characters without spaces or control characters.
    pub fn parse(s: &str) -> Result<MilitarySpecialty, String> {
        if s.is_empty() {
            return Err("mã CNQS không được để trống".to_string());
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(format!("mã CNQS \"{s}\" dài quá {} ký tự", Self::MAX_LEN));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("mã CNQS \"{s}\" chứa khoảng trắng hoặc ký tự điều khiển"));
        }
        Ok(MilitarySpecialty(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MilitarySpecialty {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        MilitarySpecialty::parse(&s)
    }
}

impl From<MilitarySpecialty> for String {
    fn from(s: MilitarySpecialty) -> String {
        s.0
    }
}

impl AsRef<str> for MilitarySpecialty {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MilitarySpecialty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a reservist's specialty matches the position's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// đúng CNQS
    Exact,
    /// gần đúng CNQS
    Near,
    /// trái CNQS (never produced by the solver; counted in rates of manual assignments)
    Other,
}

impl MatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKind::Exact => "exact",
            MatchKind::Near => "near",
            MatchKind::Other => "other",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            MatchKind::Exact => "đúng CNQS",
            MatchKind::Near => "gần đúng CNQS",
            MatchKind::Other => "trái CNQS",
        }
    }

    /// Classify a (reservist, position) pair given the unordered near pairs.
    pub fn classify(reservist: &MilitarySpecialty, position: &MilitarySpecialty, near: &NearSpecialties) -> MatchKind {
        if reservist == position {
            MatchKind::Exact
        } else if near.are_near(reservist, position) {
            MatchKind::Near
        } else {
            MatchKind::Other
        }
    }
}

/// A symmetric set of near-specialty pairs.
#[derive(Debug, Clone, Default)]
pub struct NearSpecialties {
    map: std::collections::HashMap<String, Vec<String>>,
}

impl NearSpecialties {
    pub fn new<'a, I>(pairs: I) -> NearSpecialties
    where
        I: IntoIterator<Item = &'a (MilitarySpecialty, MilitarySpecialty)>,
    {
        let mut map: std::collections::HashMap<String, Vec<String>> = Default::default();
        for (a, b) in pairs {
            if a == b {
                continue;
            }
            map.entry(a.0.clone()).or_default().push(b.0.clone());
            map.entry(b.0.clone()).or_default().push(a.0.clone());
        }
        for v in map.values_mut() {
            v.sort();
            v.dedup();
        }
        NearSpecialties { map }
    }

    pub fn are_near(&self, a: &MilitarySpecialty, b: &MilitarySpecialty) -> bool {
        a != b && self.map.get(a.as_str()).is_some_and(|v| v.binary_search(&b.0).is_ok())
    }

    /// The specialties near `a` (sorted, without `a` itself).
    pub fn near_of(&self, a: &str) -> &[String] {
        self.map.get(a).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Counts behind the đúng CNQS rate of a unit or of a roll-up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialtyRate {
    pub exact: u64,
    pub near: u64,
    pub other: u64,
}

impl SpecialtyRate {
    pub fn record(&mut self, kind: MatchKind) {
        match kind {
            MatchKind::Exact => self.exact += 1,
            MatchKind::Near => self.near += 1,
            MatchKind::Other => self.other += 1,
        }
    }

    pub fn assigned(&self) -> u64 {
        self.exact + self.near + self.other
    }

    /// The đúng CNQS rate in per-mille (0..=1000), rounded half up; `None` when nobody is assigned.
    pub fn exact_per_mille(&self) -> Option<u64> {
        let n = self.assigned();
        (n > 0).then(|| (self.exact * 1000 * 2 + n) / (2 * n))
    }

    /// The rate as a Vietnamese percentage with one decimal, e.g. `"87,5%"`, or `"—"`.
    pub fn exact_percent_vi(&self) -> String {
        match self.exact_per_mille() {
            Some(pm) => format!("{},{}%", pm / 10, pm % 10),
            None => "—".to_string(),
        }
    }
}

impl AddAssign for SpecialtyRate {
    fn add_assign(&mut self, o: SpecialtyRate) {
        self.exact += o.exact;
        self.near += o.near;
        self.other += o.other;
    }
}

/// Compute rates per unit from `(unit key, match kind)` records.
pub fn rates_by_unit<K: Ord + Clone, I: IntoIterator<Item = (K, MatchKind)>>(records: I) -> BTreeMap<K, SpecialtyRate> {
    let mut out: BTreeMap<K, SpecialtyRate> = BTreeMap::new();
    for (k, kind) in records {
        out.entry(k).or_default().record(kind);
    }
    out
}

/// Roll unit rates up to parents: `parent_of` maps a unit key to its parent key (e.g. the
/// provincial command), or `None` for a unit outside the roll-up.
pub fn roll_up<K: Ord, P: Ord + Clone>(
    rates: &BTreeMap<K, SpecialtyRate>,
    parent_of: impl Fn(&K) -> Option<P>,
) -> BTreeMap<P, SpecialtyRate> {
    let mut out: BTreeMap<P, SpecialtyRate> = BTreeMap::new();
    for (k, r) in rates {
        if let Some(p) = parent_of(k) {
            *out.entry(p).or_default() += *r;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> MilitarySpecialty {
        MilitarySpecialty::parse(x).unwrap()
    }

    #[test]
    fn parse_rules() {
        assert!(MilitarySpecialty::parse("1A").is_ok());
        assert!(MilitarySpecialty::parse("").is_err());
        assert!(MilitarySpecialty::parse("1 A").is_err());
        assert!(MilitarySpecialty::parse(&"x".repeat(33)).is_err());
        assert_ne!(s("1a"), s("1A"));
    }

    #[test]
    fn near_pairs_are_unordered() {
        let pairs = vec![(s("1A"), s("1B"))];
        let near = NearSpecialties::new(&pairs);
        assert!(near.are_near(&s("1A"), &s("1B")));
        assert!(near.are_near(&s("1B"), &s("1A")));
        assert!(!near.are_near(&s("1A"), &s("1A")));
        assert_eq!(MatchKind::classify(&s("1B"), &s("1A"), &near), MatchKind::Near);
        assert_eq!(MatchKind::classify(&s("2B"), &s("1A"), &near), MatchKind::Other);
    }

    #[test]
    fn rates_and_roll_up() {
        let recs = vec![
            ("u1", MatchKind::Exact),
            ("u1", MatchKind::Near),
            ("u2", MatchKind::Exact),
            ("u2", MatchKind::Exact),
            ("u2", MatchKind::Other),
        ];
        let by_unit = rates_by_unit(recs);
        assert_eq!(by_unit["u1"].exact_per_mille(), Some(500));
        assert_eq!(by_unit["u2"].exact_per_mille(), Some(667));
        assert_eq!(by_unit["u2"].exact_percent_vi(), "66,7%");
        let up = roll_up(&by_unit, |_| Some("p"));
        assert_eq!(up["p"].assigned(), 5);
        assert_eq!(up["p"].exact_per_mille(), Some(600));
        assert_eq!(SpecialtyRate::default().exact_percent_vi(), "—");
    }
}
