//! The input of the reserve assignment (contract `reserve-assign.md`): reservists, mobilisation
//! units with their positions, near-specialty pairs and the reference date; and its strict parser.

use super::age::Sex;
use super::specialty::MilitarySpecialty;
use serde_json::{Map, Value};
use std::collections::HashSet;
use time::Date;

/// A reserve NCO or soldier available for assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservist {
    pub id: String,
    pub specialty: MilitarySpecialty,
    pub birth_date: Date,
    pub sex: Sex,
    /// Code of the commune of residence.
    pub commune: String,
}

/// A position (one line of the staffing table) with `count` seats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub id: String,
    pub specialty: MilitarySpecialty,
    pub count: u32,
}

/// A mobilisation unit (đơn vị dự bị động viên): combat or combat-support, recruiting from a set
/// of communes (law brief §4, Art. 16.1: the recruitment area is tied to the mobilisation area).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MobilizationUnit {
    pub id: String,
    pub combat: bool,
    pub communes: Vec<String>,
    pub positions: Vec<Position>,
}

/// One assignment problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub reference_date: Date,
    /// Unordered pairs of specialties that count as a near match (gần đúng CNQS).
    pub near_specialties: Vec<(MilitarySpecialty, MilitarySpecialty)>,
    pub reservists: Vec<Reservist>,
    pub units: Vec<MobilizationUnit>,
}

/// Why a contract input was refused. The Display text is one Vietnamese sentence naming the item
/// and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    #[error("Đầu vào không phải JSON hợp lệ: {0}.")]
    Json(String),
    #[error("{item}: trường \"{field}\" {problem}.")]
    Field {
        item: String,
        field: String,
        problem: String,
    },
}

fn field_err(item: &str, field: &str, problem: impl Into<String>) -> ContractError {
    ContractError::Field {
        item: item.to_string(),
        field: field.to_string(),
        problem: problem.into(),
    }
}

/// Remove `//` line comments outside JSON strings, so the annotated example of the contract is
/// accepted verbatim. Everything else must be strict JSON.
fn strip_line_comments(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    let mut in_string = false;
    let mut escaped = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if c == '/' && chars.peek() == Some(&'/') {
            for d in chars.by_ref() {
                if d == '\n' {
                    out.push('\n');
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn object<'a>(v: &'a Value, item: &str) -> Result<&'a Map<String, Value>, ContractError> {
    v.as_object().ok_or_else(|| ContractError::Field {
        item: item.to_string(),
        field: "(toàn bộ)".to_string(),
        problem: "phải là một đối tượng JSON".to_string(),
    })
}

fn get<'a>(m: &'a Map<String, Value>, item: &str, field: &str) -> Result<&'a Value, ContractError> {
    m.get(field).ok_or_else(|| field_err(item, field, "bị thiếu"))
}

fn string(m: &Map<String, Value>, item: &str, field: &str) -> Result<String, ContractError> {
    match get(m, item, field)? {
        Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
        Value::String(_) => Err(field_err(item, field, "không được để trống")),
        _ => Err(field_err(item, field, "phải là chuỗi ký tự")),
    }
}

fn array<'a>(m: &'a Map<String, Value>, item: &str, field: &str) -> Result<&'a Vec<Value>, ContractError> {
    get(m, item, field)?
        .as_array()
        .ok_or_else(|| field_err(item, field, "phải là một mảng"))
}

fn date(m: &Map<String, Value>, item: &str, field: &str) -> Result<Date, ContractError> {
    let s = string(m, item, field)?;
    parse_iso_date(&s)
        .ok_or_else(|| field_err(item, field, format!("không phải ngày hợp lệ dạng YYYY-MM-DD (\"{s}\")")))
}

pub use crate::dates::parse_iso_date;

fn specialty(m: &Map<String, Value>, item: &str, field: &str) -> Result<MilitarySpecialty, ContractError> {
    let s = string(m, item, field)?;
    MilitarySpecialty::parse(&s).map_err(|e| field_err(item, field, e))
}

impl Instance {
    /// Parse and validate the contract JSON. Any malformed part is refused with the item and field.
    pub fn from_contract_json(input: &str) -> Result<Instance, ContractError> {
        let cleaned = strip_line_comments(input);
        let root: Value = serde_json::from_str(&cleaned).map_err(|e| ContractError::Json(e.to_string()))?;
        let top = "Bài toán";
        let m = object(&root, top)?;
        let reference_date = date(m, top, "reference_date")?;

        let mut near_specialties = Vec::new();
        if let Some(v) = m.get("near_specialties") {
            let pairs = v
                .as_array()
                .ok_or_else(|| field_err(top, "near_specialties", "phải là một mảng các cặp"))?;
            for (i, p) in pairs.iter().enumerate() {
                let item = format!("Cặp CNQS gần đúng thứ {}", i + 1);
                let codes = match p.as_array() {
                    Some(a) if a.len() == 2 => a,
                    _ => return Err(field_err(&item, "near_specialties", "phải là mảng đúng hai mã")),
                };
                let mut parsed = Vec::with_capacity(2);
                for c in codes {
                    let s = c
                        .as_str()
                        .ok_or_else(|| field_err(&item, "near_specialties", "phải chứa mã dạng chuỗi"))?;
                    parsed.push(MilitarySpecialty::parse(s).map_err(|e| field_err(&item, "near_specialties", e))?);
                }
                let b = parsed.pop().expect("two codes");
                let a = parsed.pop().expect("two codes");
                near_specialties.push((a, b));
            }
        }

        let mut reservists = Vec::new();
        let mut seen = HashSet::new();
        for (i, v) in array(m, top, "reservists")?.iter().enumerate() {
            let mut item = format!("Quân nhân dự bị thứ {}", i + 1);
            let r = object(v, &item)?;
            let id = string(r, &item, "id")?;
            item = format!("Quân nhân dự bị thứ {} (id \"{id}\")", i + 1);
            if !seen.insert(id.clone()) {
                return Err(field_err(&item, "id", "bị trùng với một quân nhân khác"));
            }
            let specialty = specialty(r, &item, "specialty")?;
            let birth_date = date(r, &item, "birth_date")?;
            if birth_date > reference_date {
                return Err(field_err(&item, "birth_date", "sau ngày tham chiếu reference_date"));
            }
            let sex_s = string(r, &item, "sex")?;
            let sex = Sex::parse(&sex_s).ok_or_else(|| {
                field_err(
                    &item,
                    "sex",
                    format!("phải là \"male\" hoặc \"female\" (nhận \"{sex_s}\")"),
                )
            })?;
            let commune = string(r, &item, "commune")?;
            reservists.push(Reservist {
                id,
                specialty,
                birth_date,
                sex,
                commune,
            });
        }

        let mut units = Vec::new();
        let mut unit_ids = HashSet::new();
        let mut position_ids = HashSet::new();
        for (i, v) in array(m, top, "units")?.iter().enumerate() {
            let mut item = format!("Đơn vị thứ {}", i + 1);
            let u = object(v, &item)?;
            let id = string(u, &item, "id")?;
            item = format!("Đơn vị thứ {} (id \"{id}\")", i + 1);
            if !unit_ids.insert(id.clone()) {
                return Err(field_err(&item, "id", "bị trùng với một đơn vị khác"));
            }
            let combat = get(u, &item, "combat")?
                .as_bool()
                .ok_or_else(|| field_err(&item, "combat", "phải là true hoặc false"))?;
            let mut communes = Vec::new();
            for c in array(u, &item, "communes")? {
                match c.as_str() {
                    Some(s) if !s.trim().is_empty() => communes.push(s.to_string()),
                    _ => {
                        return Err(field_err(
                            &item,
                            "communes",
                            "phải là mảng các mã xã dạng chuỗi không rỗng",
                        ))
                    }
                }
            }
            let mut positions = Vec::new();
            for (j, pv) in array(u, &item, "positions")?.iter().enumerate() {
                let mut pitem = format!("Vị trí thứ {} của đơn vị \"{id}\"", j + 1);
                let p = object(pv, &pitem)?;
                let pid = string(p, &pitem, "id")?;
                pitem = format!("Vị trí \"{pid}\" của đơn vị \"{id}\"");
                if !position_ids.insert(pid.clone()) {
                    return Err(field_err(&pitem, "id", "bị trùng với một vị trí khác"));
                }
                let specialty = specialty(p, &pitem, "specialty")?;
                let count = get(p, &pitem, "count")?
                    .as_u64()
                    .filter(|&c| c <= u32::MAX as u64)
                    .ok_or_else(|| field_err(&pitem, "count", "phải là số nguyên không âm"))?
                    as u32;
                positions.push(Position {
                    id: pid,
                    specialty,
                    count,
                });
            }
            units.push(MobilizationUnit {
                id,
                combat,
                communes,
                positions,
            });
        }

        Ok(Instance {
            reference_date,
            near_specialties,
            reservists,
            units,
        })
    }

    /// The instance as contract JSON (used by the synthetic generator and the cross-check).
    pub fn to_contract_json(&self) -> String {
        let fmt_date = |d: Date| format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day());
        let v = serde_json::json!({
            "reference_date": fmt_date(self.reference_date),
            "near_specialties": self.near_specialties.iter()
                .map(|(a, b)| serde_json::json!([a.as_str(), b.as_str()])).collect::<Vec<_>>(),
            "reservists": self.reservists.iter().map(|r| serde_json::json!({
                "id": r.id, "specialty": r.specialty.as_str(), "birth_date": fmt_date(r.birth_date),
                "sex": r.sex.as_str(), "commune": r.commune,
            })).collect::<Vec<_>>(),
            "units": self.units.iter().map(|u| serde_json::json!({
                "id": u.id, "combat": u.combat, "communes": u.communes,
                "positions": u.positions.iter().map(|p| serde_json::json!({
                    "id": p.id, "specialty": p.specialty.as_str(), "count": p.count,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        });
        v.to_string()
    }

    /// Total number of seats over all positions.
    pub fn total_seats(&self) -> u64 {
        self.units
            .iter()
            .flat_map(|u| &u.positions)
            .map(|p| p.count as u64)
            .sum()
    }
}
