//! Storage for phongthu: one schema and one set of queries for SQLite (embedded default) and
//! PostgreSQL, chosen at run time by URL.
//!
//! * [`Store::open`] checks the URL, the file or server, and the schema version; it never creates
//!   or overwrites anything silently.
//! * Every read or write of scoped data goes through a [`Scoped`] handle made from an [`Actor`]:
//!   the handle adds the actor's organisational subtree to every query, so no caller can forget it.
//! * Every write runs in one transaction that also appends its hash-chained audit entry.
//!
//! Queries use `$1` placeholders, which both SQLite and PostgreSQL accept; the few dialect
//! differences are commented where they occur.

mod audit;
mod audit_rows;
mod backup;
mod citizens;
mod cycle;
mod cycle_report;
mod dates;
mod db;
mod demo;
mod demo_forces;
mod documents;
mod education;
mod equipment_import;
mod error;
mod exam_import;
mod import_runs;
mod migrate;
mod militia;
mod militia_import;
mod militia_targets;
mod org;
mod raw_sqlite;
mod reserve;
mod reserve_import;
mod scope;
mod seed;
mod stage_documents;
mod stages;
mod step_dates;
mod territory;
pub mod testing;
mod users;

pub use audit::{AlteredRow, AuditEntry, AuditFilter, AuditHead, VerifyReport};
pub use backup::{restore_sqlite, BackupReport, COUNTED_TABLES};
pub use citizens::{
    citizen_export_row, first_registration_due, import_batch_rows, Citizen, CitizenColumn, CitizenField, CitizenFilter,
    CitizenPage, DuplicateGroup, FamilyRelation, ImportMode, ImportObserver, ImportOptions, ImportProgress,
    ImportReport, LateRegistration, NewCitizen, NewFamilyRelation, Paging, RegistrationEvent, RegistrationKind,
    RowError, SourceRow, BULK_LOAD_BELOW_ROWS, CANDIDATE_CAP as CITIZEN_CANDIDATE_CAP, CITIZEN_COLUMNS,
    COUNT_CAP as CITIZEN_COUNT_CAP, FIRST_REGISTRATION_AGE, MALE_SERVICE_AGE_MAX, MAX_LISTED_ERRORS,
    MAX_OFFSET as MAX_LIST_OFFSET, NATIONAL_ID_UNUSABLE,
};
pub use citizens::{commune_label, CitizenEdit, FieldChange, RecordChange};
pub use cycle::{facts_of, CallUpCycle, CommuneFigures, CycleOverview};
pub use cycle_report::{CycleDashboard, CycleFigures, ViolationRecord, YearRollup};
pub use db::{Backend, OpenOptions, Store};
pub use demo::{DemoLogin, DemoReport, DEMO_PASSWORD};
pub use demo_forces::DemoForcesReport;
pub use documents::{
    due_date_of, format_number_symbol, suggest_unit, suggest_units, Attachment, Authority, Direction, Document,
    DocumentHit, DocumentResults, DocumentSearch, DocumentStatus, MatchRank, NewAttachment, NewDocument, NewReport,
    OutgoingNumbering, ReviewedTask, Rollup, RollupRow, Secrecy, Task, TaskReport, TaskStatus, Urgency,
    SEARCH_COUNT_CAP,
};
pub use documents::{
    today_vn, CopyReport, MeasuredIndicator, ReportAttachment, TaskEdit, TaskIndicator,
    REPORT_ATTACHMENTS_TOTAL_MAX_BYTES, REPORT_ATTACHMENT_MAX_BYTES,
};
pub use education::{
    edu_export_row, parse_category, Attendance, CadreField, CadreRecord, CadreUpdate, CertificateRecord, CourseRecord,
    CourseResult, EduColumn, EduImportOptions, EduImportReport, EduOverview, EduRollupRow, EduSettings,
    EnrolmentRecord, LackingCadre, NewCadre, NewCourse, EDU_COLUMNS, EDU_IMPORT_MAX_ROWS,
};
pub use equipment_import::{EquipmentColumn, EquipmentImportOptions, EquipmentImportReport, EQUIPMENT_COLUMNS};
pub use error::StoreError;
pub use exam_import::{
    ExamColumn, ExamField, ExamImportOptions, ExamImportReport, ExamWaiting, GridExam, EXAM_COLUMNS,
};
pub use import_runs::ImportRun;
pub use migrate::{run as migrate, run_to as migrate_to, MigrationReport, LATEST_SCHEMA_VERSION};
pub use militia::{
    MemberShortfall, MilitiaMemberRecord, MilitiaShortfalls, MilitiaUnit, NewMilitiaMember, NewMilitiaUnit,
};
pub use militia_import::{
    militia_export_headers, militia_export_row, MilitiaColumn, MilitiaField, MilitiaImportOptions, MilitiaImportReport,
    MILITIA_COLUMNS, MILITIA_EXPORT_ONLY,
};
pub use militia_targets::{MilitiaTarget, MilitiaTargetRatio, TargetRow, TargetSource, MAX_RATIO_BASIS_POINTS};
pub use org::{NewOrgUnit, OrgUnit};
pub use reserve::{
    seats_with_spare, Equipment, EquipmentAssignment, EquipmentCheck, EquipmentCondition, EquipmentNeedRecord,
    EquipmentProposalRow, ForcesBenchData, ForcesRollupRow, NewEquipment, NewPosition, NewReserveUnit, NewReservist,
    Proposal, ProposalRow, RateRow, ReserveAssignment, ReservePosition, ReserveUnit, ReservistRecord,
    CHECK_INTERVAL_DAYS, SPARE_PERCENT_RANGE,
};
pub use reserve_import::{
    ReservistColumn, ReservistField, ReservistImportOptions, ReservistImportReport, RESERVIST_COLUMNS,
};
pub use scope::{Actor, Scoped};
pub use stage_documents::StepInForce;
pub use stages::{
    CandidateRow, CommuneCycle, CycleCaps, CycleSettings, ListAct, ListApproval, ListState, StageEvent, StageRequest,
    StepDate,
};
pub use territory::TerritoryLoadReport;
pub use users::{ApiTokenInfo, NewUser, SessionInfo, User, LAST_USED_PRECISION_MINUTES, SESSION_HOURS};

/// The current instant as RFC 3339 UTC text, the form every timestamp column holds.
pub(crate) fn now_text() -> String {
    time_text(time::OffsetDateTime::now_utc())
}

pub(crate) fn time_text(t: time::OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

pub(crate) fn parse_time(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}
