//! The JSON contract `phongthu nvqs assess` (contract `nvqs-assess.md`): a strict parser that names
//! the case and the field of any malformed input in Vietnamese, and the output writer.
//!
//! Strictness: unknown keys are refused (a misspelt optional fact such as `"myopia"` would otherwise
//! be dropped silently and change a legal decision). `//` line comments outside strings are
//! accepted, so the annotated example of the contract parses verbatim. Fields marked optional or
//! "null when …" in the contract may be absent or `null`; every other field is required.

use super::assess::{assess, Decision};
use super::citizen_id;
use super::facts::{
    bmi_from, Circumstance, CitizenFacts, Cycle, Health, HealthClass, PoliticalVetting, StudyLevel, Studying,
};
use super::iso;
use crate::reserve::age::Sex;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::HashMap;
use time::Date;

/// Why a contract input was refused. The Display text is one Vietnamese sentence naming the case
/// (by position and id) or the cycle, and the field.
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

pub(super) fn err(item: &str, field: &str, problem: impl Into<String>) -> ContractError {
    ContractError::Field {
        item: item.to_string(),
        field: field.to_string(),
        problem: problem.into(),
    }
}

/// Remove `//` line comments outside JSON strings.
pub(super) fn strip_line_comments(input: &str) -> String {
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

/// A JSON object being read, with the item name and the field prefix for messages.
struct Obj<'a> {
    map: &'a Map<String, Value>,
    item: &'a str,
    prefix: &'a str,
}

impl<'a> Obj<'a> {
    /// The object at `v`, refusing keys outside `allowed`.
    fn new(
        v: &'a Value,
        item: &'a str,
        prefix: &'a str,
        whole: &str,
        allowed: &[&str],
    ) -> Result<Obj<'a>, ContractError> {
        let o = Obj::lenient(v, item, prefix, whole)?;
        if let Some(k) = o.map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(o.fail(k, "không có trong hợp đồng"));
        }
        Ok(o)
    }

    /// The object at `v`, without checking its keys.
    fn lenient(v: &'a Value, item: &'a str, prefix: &'a str, whole: &str) -> Result<Obj<'a>, ContractError> {
        let map = v
            .as_object()
            .ok_or_else(|| err(item, whole, "phải là một đối tượng JSON"))?;
        Ok(Obj { map, item, prefix })
    }

    fn name(&self, field: &str) -> String {
        format!("{}{field}", self.prefix)
    }

    fn fail(&self, field: &str, problem: impl Into<String>) -> ContractError {
        err(self.item, &self.name(field), problem)
    }

    /// The value, or `None` when absent or null.
    fn optional(&self, field: &str) -> Option<&'a Value> {
        self.map.get(field).filter(|v| !v.is_null())
    }

    fn required(&self, field: &str) -> Result<&'a Value, ContractError> {
        match self.map.get(field) {
            None => Err(self.fail(field, "bị thiếu")),
            Some(Value::Null) => Err(self.fail(field, "không được để null")),
            Some(v) => Ok(v),
        }
    }

    fn string_of(&self, field: &str, v: &Value) -> Result<String, ContractError> {
        match v {
            Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
            Value::String(_) => Err(self.fail(field, "không được để trống")),
            _ => Err(self.fail(field, "phải là chuỗi ký tự")),
        }
    }

    fn string(&self, field: &str) -> Result<String, ContractError> {
        self.string_of(field, self.required(field)?)
    }

    fn bool_of(&self, field: &str, v: &Value) -> Result<bool, ContractError> {
        v.as_bool().ok_or_else(|| self.fail(field, "phải là true hoặc false"))
    }

    fn bool(&self, field: &str) -> Result<bool, ContractError> {
        self.bool_of(field, self.required(field)?)
    }

    fn opt_bool(&self, field: &str) -> Result<Option<bool>, ContractError> {
        self.optional(field).map(|v| self.bool_of(field, v)).transpose()
    }

    /// An integer in `lo..=hi`.
    fn int(&self, field: &str, lo: i64, hi: i64) -> Result<i64, ContractError> {
        let v = self.required(field)?;
        let problem = || format!("phải là số nguyên từ {lo} đến {hi} (nhận {v})");
        let n = v.as_i64().ok_or_else(|| self.fail(field, problem()))?;
        if (lo..=hi).contains(&n) {
            Ok(n)
        } else {
            Err(self.fail(field, problem()))
        }
    }

    /// An optional finite number, at least `min` (and strictly more when `strict`).
    fn opt_number(&self, field: &str, min: f64, strict: bool) -> Result<Option<f64>, ContractError> {
        let Some(v) = self.optional(field) else {
            return Ok(None);
        };
        let x = v
            .as_f64()
            .filter(|x| x.is_finite())
            .ok_or_else(|| self.fail(field, format!("phải là một số (nhận {v})")))?;
        if x < min || (strict && x == min) {
            let bound = if strict { "lớn hơn" } else { "không nhỏ hơn" };
            return Err(self.fail(field, format!("phải {bound} {min} (nhận {v})")));
        }
        Ok(Some(x))
    }

    fn date(&self, field: &str) -> Result<Date, ContractError> {
        let s = self.string(field)?;
        parse_iso_date(&s)
            .ok_or_else(|| self.fail(field, format!("không phải ngày hợp lệ dạng YYYY-MM-DD (nhận \"{s}\")")))
    }

    fn choice<T>(
        &self,
        field: &str,
        v: &Value,
        parse: impl Fn(&str) -> Option<T>,
        allowed: &[&str],
    ) -> Result<T, ContractError> {
        let s = self.string_of(field, v)?;
        parse(&s).ok_or_else(|| {
            let list = allowed
                .iter()
                .map(|a| format!("\"{a}\""))
                .collect::<Vec<_>>()
                .join(", ");
            self.fail(field, format!("phải là một trong {list} (nhận \"{s}\")"))
        })
    }
}

pub use crate::dates::parse_iso_date;

/// A parsed contract input.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub cycle: Cycle,
    pub citizens: Vec<CitizenFacts>,
}

pub(super) const TOP_KEYS: &[&str] = &["cycle", "citizens"];
const CYCLE_KEYS: &[&str] = &["year", "reference_date", "allow_grade_7"];
const CITIZEN_KEYS: &[&str] = &[
    "id",
    "national_id",
    "full_name",
    "birth_date",
    "sex",
    "education_grade",
    "hard_area",
    "studying",
    "deferred_before_for_higher_education",
    "health",
    "political_vetting",
    "circumstances",
];
const STUDYING_KEYS: &[&str] = &["level", "full_time", "first_course_at_level"];
const HEALTH_KEYS: &[&str] = &[
    "class",
    "myopia_diopters",
    "hyperopia",
    "bmi",
    "height_cm",
    "weight_kg",
    "drug_use",
];

pub(super) fn parse_cycle(v: &Value) -> Result<Cycle, ContractError> {
    let item = "Đợt tuyển quân (cycle)";
    let o = Obj::new(v, item, "cycle.", "cycle", CYCLE_KEYS)?;
    let year = o.int("year", 1000, 9999)? as i32;
    let reference_date = o.date("reference_date")?;
    let allow_grade_7 = o.bool("allow_grade_7")?;
    Cycle::new(year, reference_date, allow_grade_7).map_err(|e| o.fail("reference_date", e.to_string()))
}

fn parse_studying(o: &Obj<'_>) -> Result<Option<Studying>, ContractError> {
    let Some(v) = o.optional("studying") else {
        return Ok(None);
    };
    let s = Obj::new(v, o.item, "studying.", "studying", STUDYING_KEYS)?;
    let levels: Vec<&str> = StudyLevel::ALL.iter().map(|l| l.code()).collect();
    let level = s.choice("level", s.required("level")?, StudyLevel::parse, &levels)?;
    Ok(Some(Studying {
        level,
        full_time: s.bool("full_time")?,
        first_course_at_level: s.bool("first_course_at_level")?,
    }))
}

fn parse_health(o: &Obj<'_>) -> Result<Option<Health>, ContractError> {
    let Some(v) = o.optional("health") else {
        return Ok(None);
    };
    let h = Obj::new(v, o.item, "health.", "health", HEALTH_KEYS)?;
    let class = HealthClass::new(h.int("class", 1, 6)? as u8).expect("range checked");
    // Myopia is a magnitude here; a negative refraction such as -2.5 must be given as 2.5.
    let myopia_diopters = h.opt_number("myopia_diopters", 0.0, false)?;
    let hyperopia = h.opt_bool("hyperopia")?;
    let height = h.opt_number("height_cm", 0.0, true)?;
    let weight = h.opt_number("weight_kg", 0.0, true)?;
    let bmi = match (h.opt_number("bmi", 0.0, true)?, height, weight) {
        // A given BMI is used as given.
        (Some(b), _, _) => Some(b),
        (None, Some(hc), Some(wk)) => Some(bmi_from(hc, wk)),
        (None, Some(_), None) => return Err(h.fail("weight_kg", "bị thiếu (cần cả chiều cao và cân nặng để tính BMI)")),
        (None, None, Some(_)) => return Err(h.fail("height_cm", "bị thiếu (cần cả chiều cao và cân nặng để tính BMI)")),
        (None, None, None) => None,
    };
    Ok(Some(Health {
        class,
        myopia_diopters,
        hyperopia,
        bmi,
        drug_use: h.opt_bool("drug_use")?,
    }))
}

pub(super) fn parse_citizen(
    v: &Value,
    index: usize,
    cycle: &Cycle,
    seen: &mut HashMap<String, usize>,
) -> Result<CitizenFacts, ContractError> {
    let n = index + 1;
    let anonymous = format!("Công dân thứ {n}");
    let id = Obj::lenient(v, &anonymous, "", "(toàn bộ)")?.string("id")?;
    let item = format!("Công dân thứ {n} (id \"{id}\")");
    let o = Obj::new(v, &item, "", "(toàn bộ)", CITIZEN_KEYS)?;
    if let Some(first) = seen.insert(id.clone(), n) {
        return Err(o.fail("id", format!("bị trùng với công dân thứ {first}")));
    }
    let full_name = o.string("full_name")?;
    let birth_date = o.date("birth_date")?;
    if birth_date > cycle.reference_date() {
        return Err(o.fail(
            "birth_date",
            format!("sau ngày tham chiếu của đợt tuyển ({})", iso(cycle.reference_date())),
        ));
    }
    let sex = o.choice("sex", o.required("sex")?, Sex::parse, &["male", "female"])?;
    let national_id = match o.optional("national_id") {
        None => None,
        Some(v) => {
            let s = o.string_of("national_id", v)?;
            Some(
                citizen_id::validate(&s, sex, birth_date.year())
                    .map_err(|e| o.fail("national_id", format!("không hợp lệ: {e}")))?,
            )
        }
    };
    let education_grade = o.int("education_grade", 0, 12)? as u8;
    let hard_area = o.bool("hard_area")?;
    let studying = parse_studying(&o)?;
    let deferred_before_for_higher_education = o.bool("deferred_before_for_higher_education")?;
    let health = parse_health(&o)?;
    let political_vetting = match o.optional("political_vetting") {
        None => None,
        Some(v) => Some(o.choice(
            "political_vetting",
            v,
            |s| match s {
                "passed" => Some(PoliticalVetting::Passed),
                "failed" => Some(PoliticalVetting::Failed),
                _ => None,
            },
            &["passed", "failed"],
        )?),
    };
    let list = o
        .required("circumstances")?
        .as_array()
        .ok_or_else(|| o.fail("circumstances", "phải là một mảng mã hoàn cảnh"))?;
    let mut circumstances = Vec::with_capacity(list.len());
    for c in list {
        let code = c
            .as_str()
            .ok_or_else(|| o.fail("circumstances", format!("phải chứa mã dạng chuỗi (nhận {c})")))?;
        let parsed = Circumstance::parse(code)
            .ok_or_else(|| o.fail("circumstances", format!("có mã hoàn cảnh không xác định \"{code}\"")))?;
        // A repeated code adds nothing.
        if !circumstances.contains(&parsed) {
            circumstances.push(parsed);
        }
    }
    Ok(CitizenFacts {
        id,
        national_id,
        full_name,
        birth_date,
        sex,
        education_grade: Some(education_grade),
        hard_area,
        studying,
        deferred_before_for_higher_education,
        health,
        political_vetting,
        circumstances,
    })
}

impl Batch {
    /// Parse and validate the contract input; the first malformed part is reported.
    pub fn from_contract_json(input: &str) -> Result<Batch, ContractError> {
        let cleaned = strip_line_comments(input);
        let root: Value = serde_json::from_str(&cleaned).map_err(|e| ContractError::Json(e.to_string()))?;
        let top = Obj::new(&root, "Đầu vào", "", "(toàn bộ)", TOP_KEYS)?;
        let cycle = parse_cycle(top.required("cycle")?)?;
        let list = top
            .required("citizens")?
            .as_array()
            .ok_or_else(|| top.fail("citizens", "phải là một mảng"))?;
        let mut seen = HashMap::new();
        let citizens = list
            .iter()
            .enumerate()
            .map(|(i, v)| parse_citizen(v, i, &cycle, &mut seen))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Batch { cycle, citizens })
    }

    /// Assess every citizen, in input order.
    pub fn assess(&self) -> Vec<Decision> {
        // The rule set in force is chosen once for the whole batch.
        match super::rules::RuleSet::on(self.cycle.reference_date()) {
            Some(rules) => self
                .citizens
                .iter()
                .map(|c| super::assess_with(&rules, &self.cycle, c))
                .collect(),
            None => self.citizens.iter().map(|c| assess(&self.cycle, c)).collect(),
        }
    }
}

#[derive(Serialize)]
struct OutDecision<'a> {
    id: &'a str,
    status: &'static str,
    grounds: Vec<String>,
    unmet_standards: Vec<&'static str>,
    age_limit_date: String,
    reasons: &'a [String],
}

#[derive(Serialize)]
struct Output<'a> {
    decisions: Vec<OutDecision<'a>>,
}

fn out_decision(d: &Decision) -> OutDecision<'_> {
    OutDecision {
        id: &d.id,
        status: d.status.code(),
        grounds: d.grounds.iter().map(|g| g.code()).collect(),
        unmet_standards: d.unmet_standards.iter().map(|s| s.code()).collect(),
        age_limit_date: iso(d.age_limit_date),
        reasons: &d.reasons,
    }
}

/// One decision as it stands in the pretty-printed output's array (indented by four spaces),
/// for writers that produce the output one decision at a time.
pub(super) fn decision_item_json(d: &Decision) -> String {
    let one = serde_json::to_string_pretty(&out_decision(d)).expect("plain data serialises");
    // JSON strings hold no raw line breaks: every line break is the printer's.
    format!("    {}", one.replace('\n', "\n    "))
}

/// The contract output for a list of decisions (pretty-printed, keys in the contract's order).
pub fn decisions_to_contract_json(decisions: &[Decision]) -> String {
    let out = Output {
        decisions: decisions.iter().map(out_decision).collect(),
    };
    serde_json::to_string_pretty(&out).expect("plain data serialises")
}

/// `phongthu nvqs assess`: contract input in, contract output out.
pub fn assess_contract_json(input: &str) -> Result<String, ContractError> {
    let batch = Batch::from_contract_json(input)?;
    Ok(decisions_to_contract_json(&batch.assess()))
}
