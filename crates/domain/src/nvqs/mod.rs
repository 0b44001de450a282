//! Military service (nghĩa vụ quân sự, NVQS): the eligibility engine of the call-up cycle
//! (contract `nvqs-assess.md`; law brief §1.2, §1.5, §2, §9).
//!
//! - [`assess`]: one citizen in one [`Cycle`] → a [`Decision`] with its [`Status`], the [`Ground`]s
//!   of Art. 41 that apply, the unmet [`Standard`]s, the last day of call-up age and one Vietnamese
//!   reason per ground or standard.
//! - [`rules`]: the rules as data, each row with its legal source, explanation and validity window;
//!   [`RuleSet::on`] picks the rows in force on the reference date.
//! - [`citizen_id`]: the 12-digit personal identification number and its checks.
//! - [`assess_contract_json`]: the JSON contract of `phongthu nvqs assess`, with a strict parser.
//! - [`stage`]: one citizen's way through a cycle (screening → … → post check) as a state machine;
//!   [`exam`]: the health examination per criterion and the BMI; [`plan`]: a cycle's timetable and
//!   the caps on its lists.

mod assess;
pub mod citizen_id;
mod contract;
pub mod contract_stream;
pub mod exam;
mod facts;
pub mod plan;
pub mod quota;
pub mod record;
pub mod rules;
pub mod sanctions;
pub mod stage;
#[cfg(test)]
mod tests;

pub use crate::reserve::age::Sex;
pub use assess::{assess, assess_with, Decision, Status};
pub use citizen_id::{CitizenId, IdError};
pub use contract::{assess_contract_json, decisions_to_contract_json, parse_iso_date, Batch, ContractError};
pub use facts::{
    bmi_from, Circumstance, CitizenFacts, Cycle, CycleError, Health, HealthClass, PoliticalVetting, StudyLevel,
    Studying,
};
pub use rules::{Clause, Ground, Point, RuleSet, Standard};

/// `YYYY-MM-DD`.
pub(crate) fn iso(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

/// Serialises each enum as its stable code (`"approved_official"`, `"examination"`, …), the same
/// text the store writes and the JSON API returns.
macro_rules! serialize_as_code {
    ($($t:ty),* $(,)?) => {
        $(impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        })*
    };
}

serialize_as_code!(
    Status,
    stage::Stage,
    stage::CallUpList,
    stage::TransitionKind,
    plan::Step,
    plan::CappedList,
    exam::ExamCriterion,
);
