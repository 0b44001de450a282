//! The nvqs-assess contract read as a stream: the `citizens` array is read one case at a time,
//! each assessed and handed on as soon as it is read, so that memory does not grow with the
//! number of cases (only the ids seen, kept to refuse a repeated id). The input and the output
//! are exactly those of [`super::assess_contract_json`]; a test compares them on varied inputs.
//!
//! Which malformed part is reported is the same as well: a JSON syntax error anywhere first (the
//! rest of the input is still read after a bad case, for its syntax), then an unknown top-level
//! key, then the cycle, then the `citizens` array, then the first bad case. One difference: a
//! top-level key given twice is refused (the whole-input reader kept the last one).
//!
//! The reading is one pass when `cycle` comes before `citizens` (as in the contract's example).
//! When it comes after, the first pass finds the cycle and the caller reads the input a second
//! time ([`Scan::CycleAfterCitizens`]).

use super::contract::{decision_item_json, err, parse_citizen, parse_cycle, ContractError, TOP_KEYS};
use super::facts::Cycle;
use super::rules::RuleSet;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;

/// The input without its `//` line comments, as the whole-input reader cleans it.
pub fn strip_comments(input: &str) -> String {
    super::contract::strip_line_comments(input)
}

/// The output's first line, before the decisions.
pub const OUTPUT_OPEN: &str = "{\n  \"decisions\": [";

/// The output's end after `n` decisions, with the final line break.
pub fn output_close(n: usize) -> &'static str {
    if n == 0 {
        "]\n}\n"
    } else {
        "\n  ]\n}\n"
    }
}

/// What one reading found.
#[derive(Debug)]
pub enum Scan {
    /// Every case was read and handed on (this many).
    Done(usize),
    /// The cycle came after the cases, which were not read: read the input again with this cycle.
    CycleAfterCitizens(Value),
    /// The input breaks the contract (not its JSON syntax): this part first.
    Refused(ContractError),
    /// `emit` failed with this message; the reading stopped handing on cases.
    OutputFailed(String),
}

/// Where the assessed cases go: each piece of output text in order. An error stops the reading.
pub type Emit<'a> = dyn FnMut(&str) -> Result<(), String> + 'a;

struct State<'a, 'e> {
    cycle_hint: Option<&'a Value>,
    assessor: Option<(Cycle, Option<RuleSet>)>,
    seen: HashMap<String, usize>,
    emit: &'a mut Emit<'e>,
    not_object: bool,
    keys: Vec<String>,
    cycle: Option<Result<(), ContractError>>,
    cycle_null: bool,
    cycle_value: Option<Value>,
    citizens: Option<Result<(), ContractError>>,
    deferred: bool,
    first_bad_case: Option<ContractError>,
    output_error: Option<String>,
    cases: usize,
}

impl State<'_, '_> {
    fn case(&mut self, v: &Value) {
        let index = self.cases;
        self.cases += 1;
        if self.first_bad_case.is_some() || self.output_error.is_some() {
            return;
        }
        let Some((cycle, rules)) = &self.assessor else { return };
        let decision = match parse_citizen(v, index, cycle, &mut self.seen) {
            Ok(facts) => match rules {
                Some(r) => super::assess_with(r, cycle, &facts),
                None => super::assess(cycle, &facts),
            },
            Err(e) => {
                self.first_bad_case = Some(e);
                return;
            }
        };
        let sep = if index == 0 { "\n" } else { ",\n" };
        let text = format!("{sep}{}", decision_item_json(&decision));
        if let Err(e) = (self.emit)(&text) {
            self.output_error = Some(e);
        }
    }

    fn refusal(&self) -> Option<ContractError> {
        let top = |field: &str, problem: &str| err("Đầu vào", field, problem);
        if self.not_object {
            return Some(top("(toàn bộ)", "phải là một đối tượng JSON"));
        }
        // The whole-input reader's map is sorted by key: its first unknown key is the smallest.
        if let Some(k) = self.keys.iter().filter(|k| !TOP_KEYS.contains(&k.as_str())).min() {
            return Some(top(k, "không có trong hợp đồng"));
        }
        for k in TOP_KEYS {
            if self.keys.iter().filter(|x| x == k).count() > 1 {
                return Some(top(k, "xuất hiện hai lần"));
            }
        }
        match &self.cycle {
            None if self.cycle_hint.is_none() => return Some(top("cycle", "bị thiếu")),
            _ if self.cycle_null => return Some(top("cycle", "không được để null")),
            Some(Err(e)) => return Some(e.clone()),
            _ => {}
        }
        match &self.citizens {
            None => Some(top("citizens", "bị thiếu")),
            Some(Err(e)) => Some(e.clone()),
            Some(Ok(())) => self.first_bad_case.clone(),
        }
    }
}

/// Reads one contract input from `de` (a JSON syntax error is returned as `Err`, to be reported
/// before anything else), assessing and emitting each case when the cycle is known: from the
/// input when it comes first, or from `cycle` (the second reading after
/// [`Scan::CycleAfterCitizens`]). The caller writes [`OUTPUT_OPEN`] before and
/// [`output_close`] after, and checks that nothing follows the input
/// (`serde_json::Deserializer::end`) before taking a [`Scan::Refused`] as the answer.
pub fn assess_stream<'de, D: Deserializer<'de>>(
    de: D,
    cycle: Option<&Value>,
    emit: &mut Emit<'_>,
) -> Result<Scan, D::Error> {
    let mut state = State {
        cycle_hint: cycle,
        assessor: None,
        seen: HashMap::new(),
        emit,
        not_object: false,
        keys: vec![],
        cycle: None,
        cycle_null: false,
        cycle_value: None,
        citizens: None,
        deferred: false,
        first_bad_case: None,
        output_error: None,
        cases: 0,
    };
    if let Some(v) = cycle {
        let c = parse_cycle(v).expect("the first reading checked the cycle");
        state.assessor = Some((c, RuleSet::on(c.reference_date())));
    }
    de.deserialize_any(Root(&mut state))?;
    if let Some(e) = state.refusal() {
        return Ok(Scan::Refused(e));
    }
    if let Some(e) = state.output_error {
        return Ok(Scan::OutputFailed(e));
    }
    if state.deferred {
        return Ok(Scan::CycleAfterCitizens(
            state.cycle_value.take().expect("a deferred reading has its cycle"),
        ));
    }
    Ok(Scan::Done(state.cases))
}

/// Consumes any JSON value without keeping it.
fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(|_| ())
}

/// The input's top level.
struct Root<'s, 'a, 'e>(&'s mut State<'a, 'e>);

impl<'de> Visitor<'de> for Root<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("một đối tượng JSON")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let st = self.0;
        while let Some(key) = map.next_key::<String>()? {
            let repeated = st.keys.contains(&key);
            st.keys.push(key.clone());
            match key.as_str() {
                _ if repeated => skip(&mut map)?,
                "cycle" if st.cycle_hint.is_some() => skip(&mut map)?,
                "cycle" => {
                    let v: Value = map.next_value()?;
                    if v.is_null() {
                        st.cycle_null = true;
                        st.cycle = Some(Ok(()));
                        continue;
                    }
                    st.cycle = Some(match parse_cycle(&v) {
                        Ok(c) => {
                            st.assessor = Some((c, RuleSet::on(c.reference_date())));
                            Ok(())
                        }
                        Err(e) => Err(e),
                    });
                    st.cycle_value = Some(v);
                }
                "citizens" if st.assessor.is_some() => map.next_value_seed(Citizens(st))?,
                "citizens" => {
                    // No cycle yet: the cases are only checked for syntax now. They are read
                    // again after the cycle, unless the cycle turns out missing or bad.
                    map.next_value_seed(Citizens(st))?;
                    st.deferred = st.citizens == Some(Ok(()));
                }
                _ => skip(&mut map)?,
            }
        }
        if st.cycle.is_none() || st.cycle_null || matches!(st.cycle, Some(Err(_))) {
            st.deferred = false;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.0.not_object = true;
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.0.not_object = true;
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        self.0.not_object = true;
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        self.0.not_object = true;
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        self.0.not_object = true;
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        self.0.not_object = true;
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.0.not_object = true;
        Ok(())
    }
}

/// The value of `citizens`: each case read, assessed and emitted in turn when the cycle is known.
struct Citizens<'s, 'a, 'e>(&'s mut State<'a, 'e>);

impl<'de> DeserializeSeed<'de> for Citizens<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl Citizens<'_, '_, '_> {
    fn not_array(self, null: bool) {
        let problem = if null {
            "không được để null"
        } else {
            "phải là một mảng"
        };
        self.0.citizens = Some(Err(err("Đầu vào", "citizens", problem)));
    }
}

impl<'de> Visitor<'de> for Citizens<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("một mảng")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let st = self.0;
        st.citizens = Some(Ok(()));
        if st.assessor.is_none() {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(());
        }
        while let Some(v) = seq.next_element::<Value>()? {
            st.case(&v);
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        self.not_array(false);
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.not_array(false);
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        self.not_array(false);
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        self.not_array(false);
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        self.not_array(false);
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        self.not_array(false);
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.not_array(true);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nvqs::assess_contract_json;
    use proptest::prelude::*;
    use serde_json::json;

    /// The streamed reading as the command runs it (a second reading when the cycle is last).
    fn streamed(input: &str) -> Result<String, String> {
        let cleaned = strip_comments(input);
        let mut out = String::from(OUTPUT_OPEN);
        let json_error = |e: serde_json::Error| ContractError::Json(e.to_string()).to_string();
        let run = |cycle: Option<&Value>, out: &mut String| -> Result<Scan, String> {
            let mut de = serde_json::Deserializer::from_str(&cleaned);
            let mut emit = |s: &str| {
                out.push_str(s);
                Ok(())
            };
            let found = assess_stream(&mut de, cycle, &mut emit).map_err(json_error)?;
            de.end().map_err(json_error)?;
            Ok(found)
        };
        let mut found = run(None, &mut out)?;
        if let Scan::CycleAfterCitizens(c) = found {
            found = run(Some(&c), &mut out)?;
        }
        match found {
            Scan::Done(n) => {
                out.push_str(output_close(n));
                Ok(out)
            }
            Scan::Refused(e) => Err(e.to_string()),
            other => panic!("{other:?}"),
        }
    }

    fn whole(input: &str) -> Result<String, String> {
        assess_contract_json(input).map(|s| s + "\n").map_err(|e| e.to_string())
    }

    fn case() -> impl Strategy<Value = Value> {
        (
            (0u8..12, 0usize..4, 0usize..3, 0u8..14, any::<bool>()),
            (0usize..3, 0usize..3, 0usize..8, 0usize..4, 0usize..20),
        )
            .prop_map(|((id, birth, sex, grade, hard), (study, health, vetting, circ, odd))| {
                let birth_date = ["2006-05-12", "2000-02-29", "2009-01-01", "1998-12-31"][birth];
                let sex = ["male", "female", "nam"][sex];
                let studying = [
                    json!(null),
                    json!({"level": "university", "full_time": true, "first_course_at_level": true}),
                    json!({"level": "general", "full_time": false, "first_course_at_level": true}),
                ][study]
                    .clone();
                let health = [
                    json!(null),
                    json!({"class": 2, "bmi": 21.3}),
                    json!({"class": 5, "height_cm": 150, "weight_kg": 80, "myopia_diopters": 2.0}),
                ][health]
                    .clone();
                let vetting = [json!(null), json!("passed"), json!("failed")][vetting % 3].clone();
                let circumstances = [
                    json!([]),
                    json!(["sibling_in_service"]),
                    json!(["volunteer", "child_of_martyr"]),
                    json!(["standing_militia", "sole_breadwinner"]),
                ][circ]
                    .clone();
                let mut c = json!({
                    "id": format!("c-{id}"),
                    "full_name": "Nguyễn Văn An",
                    "birth_date": birth_date,
                    "sex": sex,
                    "education_grade": grade,
                    "hard_area": hard,
                    "studying": studying,
                    "deferred_before_for_higher_education": false,
                    "health": health,
                    "political_vetting": vetting,
                    "circumstances": circumstances,
                });
                match odd {
                    0 => {
                        c["myopia"] = json!(1.0);
                    }
                    1 => {
                        c.as_object_mut().unwrap().remove("hard_area");
                    }
                    2 => c = json!("không phải đối tượng"),
                    _ => {}
                }
                c
            })
    }

    /// An input as text, with the top-level keys in either order, sometimes a comment, an
    /// unknown key, a bad cycle or a bad array.
    fn input() -> impl Strategy<Value = String> {
        (
            proptest::collection::vec(case(), 0..12),
            any::<bool>(),
            0usize..12,
            0usize..12,
        )
            .prop_map(|(cases, cycle_last, odd, cycle_kind)| {
                let cycle = match cycle_kind {
                    0 => json!({"year": 2026, "reference_date": "2025-13-01", "allow_grade_7": false}),
                    1 => json!(null),
                    2 => json!({"year": 2026, "reference_date": "2025-12-31"}),
                    3 => json!({"year": 2021, "reference_date": "2020-12-31", "allow_grade_7": true}),
                    _ => json!({"year": 2026, "reference_date": "2025-12-31", "allow_grade_7": false}),
                };
                let citizens = match odd {
                    0 => "null".to_string(),
                    1 => "{\"a\": 1}".to_string(),
                    _ => serde_json::to_string_pretty(&cases).unwrap(),
                };
                let mut parts = vec![format!("\"cycle\": {cycle}"), format!("\"citizens\": {citizens}")];
                if cycle_last {
                    parts.reverse();
                }
                match odd {
                    2 => parts.push("\"extra\": 1".into()),
                    3 => parts.truncate(1),
                    _ => {}
                }
                let tail = if odd == 4 { "} x" } else { "}" };
                format!("{{ // đầu vào\n{}\n{tail}", parts.join(",\n"))
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn streamed_output_is_the_whole_input_output(text in input()) {
            prop_assert_eq!(streamed(&text), whole(&text));
        }
    }

    #[test]
    fn each_kind_of_input_is_met() {
        let good = "{\"cycle\": {\"year\": 2026, \"reference_date\": \"2025-12-31\", \"allow_grade_7\": false}, \
                    \"citizens\": []}";
        assert_eq!(streamed(good), whole(good));
        assert_eq!(streamed(good).unwrap(), "{\n  \"decisions\": []\n}\n");
        for bad in [
            "[]",
            "1",
            "{\"citizens\": []}",
            "{\"cycle\": null, \"citizens\": []}",
            "{",
            "{} {}",
        ] {
            let (s, w) = (streamed(bad), whole(bad));
            assert!(w.is_err(), "{bad}");
            assert_eq!(s, w, "{bad}");
        }
    }
}
