//! The pure domain of phongthu: types and rules, with no I/O and no async.
//!
//! What belongs here: everything a lawyer or a staff officer could check on paper. Territory and its
//! history, the military organisation, users' roles and scope rules, the eligibility engine of the
//! Military Service Law, the reserve assignment solver, militia terms and training, the directive
//! reader's text rules, the audit hash chain. What does not: databases, files, HTTP, clocks (callers
//! pass "today" in), randomness.
//!
//! Identifiers are English names from the project glossary; user-facing messages are Vietnamese.

pub mod audit;
pub mod auth;
pub mod dates;
pub mod directive;
pub mod excerpt;
pub mod militia;
pub mod nvqs;
pub mod org;
pub mod reserve;
pub mod territory;
pub mod text;
