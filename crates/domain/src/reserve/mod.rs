//! Reserve forces (lực lượng dự bị động viên, DBĐV): the assignment of reservists to mobilisation
//! units by military specialty, reservist classes and age groups, the đúng CNQS rate, and reserve
//! equipment kinds (law brief §4; contract `reserve-assign.md`).
//!
//! - [`assign`] / [`assign_contract_json`]: the exact, lexicographically optimal solver
//!   (max exact-specialty seats, then max near seats) with a per-person [`Explanation`].
//! - [`age`]: "up to the end of age N" arithmetic, shared with `crate::militia`.
//! - [`specialty`]: CNQS codes, match kinds, rates and roll-ups.
//! - [`classes`]: reservist classes 1/2, age groups A/B, equipment kinds.
//! - [`equipment`]: matching reserve equipment to units' needs (exact kind, then similar) and the
//!   readiness-check status.
//! - [`synthetic`]: a seeded instance generator for benches and cross-checks.

pub mod age;
mod assign;
pub mod classes;
pub mod equipment;
mod explain;
mod flow;
mod instance;
pub mod specialty;
pub mod synthetic;

pub use age::Sex;
pub use assign::{
    assign, assign_contract_json, AgeClass, Assignment, Placement, Totals, COMBAT_AGE_LIMIT, SUPPORT_AGE_LIMIT_FEMALE,
    SUPPORT_AGE_LIMIT_MALE,
};
pub use classes::{EquipmentCategory, EquipmentKind, ReservistClass};
pub use equipment::{match_equipment, CheckStatus, EquipmentItem, EquipmentMatch, EquipmentMatching, EquipmentNeed};
pub use explain::Explanation;
pub use flow::FlowGraph;
pub use instance::{parse_iso_date, ContractError, Instance, MobilizationUnit, Position, Reservist};
pub use specialty::{MatchKind, MilitarySpecialty, NearSpecialties, SpecialtyRate};
pub use synthetic::synthetic_instance;
