//! Per-reservist explanations of the assignment, in Vietnamese.
//!
//! The statements are guaranteed by optimality: a near-matched seat has no unassigned exact
//! candidate left, and the positions named in [`Explanation::SeatsFull`] are full with matches at
//! least as good (exact candidates: all exact occupants).

use super::age::age_on;
use super::age::Sex;
use super::assign::{AgeClass, Index, COMBAT_AGE_LIMIT, SUPPORT_AGE_LIMIT_FEMALE, SUPPORT_AGE_LIMIT_MALE};
use super::instance::Reservist;
use super::specialty::MatchKind;
use serde::Serialize;
use std::fmt;

/// Why a reservist was or was not given a seat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Explanation {
    /// Placed in `position` of `unit`.
    Assigned {
        position: String,
        unit: String,
        match_kind: MatchKind,
        reservist_specialty: String,
        position_specialty: String,
    },
    /// No mobilisation unit recruits from the reservist's commune.
    NoUnitInArea { commune: String },
    /// The units covering the commune have no position of an exact or near specialty.
    NoMatchingPosition { specialty: String, commune: String },
    /// Matching positions exist in the area but the reservist is over their age limit.
    OverAge {
        age: i32,
        limit: i32,
        /// true when only combat units had matching positions (support units might have taken him).
        combat_limit: bool,
    },
    /// Every matching position the reservist may take is full with matches as good or better.
    SeatsFull {
        exact_positions: Vec<String>,
        near_positions: Vec<String>,
    },
}

impl Explanation {
    /// A stable machine code of the outcome.
    pub fn code(&self) -> &'static str {
        match self {
            Explanation::Assigned { .. } => "assigned",
            Explanation::NoUnitInArea { .. } => "no_unit_in_area",
            Explanation::NoMatchingPosition { .. } => "no_matching_position",
            Explanation::OverAge { .. } => "over_age",
            Explanation::SeatsFull { .. } => "seats_full",
        }
    }

    pub fn is_assigned(&self) -> bool {
        matches!(self, Explanation::Assigned { .. })
    }
}

fn list(v: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut s = v.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if v.len() > SHOWN {
        s.push_str(&format!(" và {} vị trí khác", v.len() - SHOWN));
    }
    s
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Explanation::Assigned {
                position,
                unit,
                match_kind: MatchKind::Exact,
                reservist_specialty,
                ..
            } => write!(
                f,
                "Được xếp vào vị trí {position} của đơn vị {unit}, đúng CNQS {reservist_specialty}."
            ),
            Explanation::Assigned {
                position,
                unit,
                reservist_specialty,
                position_specialty,
                ..
            } => write!(
                f,
                "Được xếp vào vị trí {position} của đơn vị {unit}, gần đúng CNQS ({reservist_specialty} thay cho {position_specialty}) vì không còn quân nhân đúng CNQS nào chưa được xếp có thể nhận vị trí này."
            ),
            Explanation::NoUnitInArea { commune } => write!(
                f,
                "Chưa được xếp vì không có đơn vị dự bị động viên nào tuyển quân tại xã {commune}."
            ),
            Explanation::NoMatchingPosition { specialty, commune } => write!(
                f,
                "Chưa được xếp vì các đơn vị tuyển quân tại xã {commune} không có vị trí đúng hoặc gần đúng CNQS {specialty}."
            ),
            Explanation::OverAge {
                age,
                limit,
                combat_limit: true,
            } => write!(
                f,
                "Chưa được xếp vì đã {age} tuổi, quá hạn tuổi hết {limit} tuổi của đơn vị chiến đấu, là nơi duy nhất có vị trí phù hợp CNQS trong địa bàn."
            ),
            Explanation::OverAge { age, limit, .. } => write!(
                f,
                "Chưa được xếp vì đã {age} tuổi, quá hạn tuổi hết {limit} tuổi để xếp vào đơn vị dự bị động viên."
            ),
            Explanation::SeatsFull {
                exact_positions,
                near_positions,
            } => {
                write!(f, "Chưa được xếp vì các vị trí phù hợp (")?;
                if !exact_positions.is_empty() {
                    write!(f, "đúng CNQS: {}", list(exact_positions))?;
                }
                if !exact_positions.is_empty() && !near_positions.is_empty() {
                    write!(f, "; ")?;
                }
                if !near_positions.is_empty() {
                    write!(f, "gần đúng CNQS: {}", list(near_positions))?;
                }
                write!(
                    f,
                    ") đã đủ người có mức phù hợp bằng hoặc cao hơn."
                )
            }
        }
    }
}

pub(crate) fn explain_unassigned(idx: &Index<'_>, r: &Reservist, class: AgeClass) -> Explanation {
    let Some(units) = idx.units_of_commune.get(r.commune.as_str()) else {
        return Explanation::NoUnitInArea {
            commune: r.commune.clone(),
        };
    };
    let spec = r.specialty.as_str();
    let any_age = idx.candidates(units, spec, AgeClass::CombatAndSupport);
    let has_seats = |c: &[(u32, MatchKind)]| c.iter().any(|&(p, _)| idx.position(p).count > 0);
    if !has_seats(&any_age) {
        return Explanation::NoMatchingPosition {
            specialty: spec.to_string(),
            commune: r.commune.clone(),
        };
    }
    let allowed = idx.candidates(units, spec, class);
    if !has_seats(&allowed) {
        let age = age_on(r.birth_date, idx.instance.reference_date);
        let support_limit = match r.sex {
            Sex::Male => SUPPORT_AGE_LIMIT_MALE,
            Sex::Female => SUPPORT_AGE_LIMIT_FEMALE,
        };
        return if class == AgeClass::SupportOnly {
            Explanation::OverAge {
                age,
                limit: COMBAT_AGE_LIMIT,
                combat_limit: true,
            }
        } else {
            Explanation::OverAge {
                age,
                limit: support_limit,
                combat_limit: false,
            }
        };
    }
    let pick = |k: MatchKind| {
        allowed
            .iter()
            .filter(|&&(p, m)| m == k && idx.position(p).count > 0)
            .map(|&(p, _)| idx.position(p).id.clone())
            .collect::<Vec<_>>()
    };
    Explanation::SeatsFull {
        exact_positions: pick(MatchKind::Exact),
        near_positions: pick(MatchKind::Near),
    }
}
