//! Militia and self-defence forces (dân quân tự vệ, DQTV; Luật DQTV 48/2019/QH14, ND 72/2020;
//! law brief §3), the mobilisation ledger shared with the call-up pool and the reserves, and
//! defence and security education (law brief §5).
//!
//! - [`kinds`]: force type, militia kinds, echelons and commander posts with Vietnamese labels.
//! - [`service`]: age limits (18–45 men, 18–40 women; volunteers to 50/45), terms (4 years, 2 for
//!   standing militia), extensions, end-of-term lists.
//! - [`training`]: training days per year (15 / 12 / 7 / 60), shortfalls, strength vs a target
//!   ratio passed in as a setting.
//! - [`ledger`]: at most one mobilisation assignment per person or equipment at a time.
//! - [`education`]: defence-education trainee categories 1–4, courses, certificates and who lacks
//!   one. It lives here (`crate::militia::education`) because `lib.rs` declares no module of its own
//!   for it.

pub mod education;
pub mod kinds;
pub mod ledger;
pub mod service;
pub mod training;

pub use kinds::{CommanderPost, Echelon, ForceType, MilitiaKind};
pub use ledger::{conflicts, Conflict, LedgerEntry, LedgerKind, Subject};
pub use service::{
    age_limit, check_age, end_of_term_list, term_years, AgeCheck, EndOfTerm, EndReason, ExtensionError, MilitiaMember,
    MAX_EXTENSION_MONTHS, MIN_AGE,
};
pub use training::{
    member_shortfall, required_training_days, service_year, strength_vs_target, unit_shortfall, Strength, TargetRatio,
    TrainingShortfall, UnitTraining,
};
