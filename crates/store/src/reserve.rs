//! Reserve forces (Luật LLDBĐV 53/2019, law brief §4): reservists, mobilisation units with
//! their positions, the assignment of reservists to positions, reserve equipment (PTKT) with units'
//! needs and readiness checks, and the mobilisation ledger across militia and reserves.
//!
//! The rules live in `phongthu_domain::reserve` (the exact assignment solver of contract
//! `reserve-assign.md`, classes, age limits, specialties, equipment matching) and
//! `phongthu_domain::militia::ledger` (one assignment per person or vehicle at a time). This module
//! builds the domain's instance from the rows in the actor's scope, stores what is decided, and
//! audits every write in its transaction.
//!
//! - A reservist is a citizen of the registry (one person, one record: `citizen_id` is unique),
//!   filed under the citizen's commune command.
//! - A mobilisation unit belongs to a command in scope; it recruits in the communes whose command
//!   lies under (or is covered by) that command: `org_closure` gives that area, so a unit attached
//!   to a regional defence command recruits in the communes it covers, and one attached to the
//!   provincial command recruits in the whole province.
//! - A position has a staff count; its seats are the count plus the unit's spare share (10–15%,
//!   Art. 15), rounded up.

use crate::citizens::today;
use crate::dates::{iso, parse_iso, ser_date, ser_opt_date, vi_date};
use crate::error::StoreError;
use crate::scope::{Scoped, WriteTx, SCOPE_UNITS};
use phongthu_domain::auth::Permission;
use phongthu_domain::militia::{
    conflicts, CommanderPost, ForceType, LedgerEntry, LedgerKind, MilitiaKind, MilitiaMember, Subject,
};
use phongthu_domain::nvqs::Sex;
use phongthu_domain::org::OrgKind;
use phongthu_domain::reserve::age::age_on;
use phongthu_domain::reserve::{
    assign, match_equipment, AgeClass, CheckStatus, EquipmentItem, EquipmentKind, EquipmentMatch, EquipmentNeed,
    Explanation, Instance, MatchKind, MilitarySpecialty, MobilizationUnit, NearSpecialties, Position, Reservist,
    ReservistClass, SpecialtyRate, COMBAT_AGE_LIMIT, SUPPORT_AGE_LIMIT_FEMALE, SUPPORT_AGE_LIMIT_MALE,
};
use serde::Serialize;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap, HashSet};
use time::Date;

/// The spare share a mobilisation unit keeps on top of full strength (Art. 15: 10–15%).
pub const SPARE_PERCENT_RANGE: std::ops::RangeInclusive<u32> = 10..=15;
/// Days after which a readiness check of a piece of equipment is due again. A setting: the law brief
/// names readiness checks but no interval (UNCONFIRMED); a yearly check is the default.
pub const CHECK_INTERVAL_DAYS: u32 = 365;

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Incompatible(format!("Dữ liệu dự bị động viên không đọc được ({what}): {e}"))
}

fn date_col(r: &sqlx::any::AnyRow, col: &str) -> Result<Date, StoreError> {
    let s: String = r.get(col);
    parse_iso(&s).ok_or_else(|| corrupt(col, s))
}

fn opt_date_col(r: &sqlx::any::AnyRow, col: &str) -> Result<Option<Date>, StoreError> {
    r.get::<Option<String>, _>(col)
        .map(|s| parse_iso(&s).ok_or_else(|| corrupt(col, s)))
        .transpose()
}

pub(crate) fn text(s: &str, what: &str, max: usize) -> Result<String, StoreError> {
    let t = s.trim().to_string();
    if t.is_empty() {
        return Err(StoreError::Invalid(format!("Hãy nhập {what}.")));
    }
    if t.chars().count() > max {
        return Err(StoreError::Invalid(format!(
            "{} dài quá {max} ký tự.",
            capitalise(what)
        )));
    }
    Ok(t)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

pub(crate) fn opt_text(s: Option<&str>, what: &str, max: usize) -> Result<Option<String>, StoreError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(t) => text(t, what, max).map(Some),
    }
}

pub(crate) fn specialty(s: &str) -> Result<MilitarySpecialty, StoreError> {
    MilitarySpecialty::parse(s.trim()).map_err(|e| StoreError::Invalid(format!("{}.", capitalise(&e))))
}

fn match_kind(s: &str) -> Result<MatchKind, StoreError> {
    match s {
        "exact" => Ok(MatchKind::Exact),
        "near" => Ok(MatchKind::Near),
        "other" => Ok(MatchKind::Other),
        _ => Err(corrupt("mức phù hợp CNQS", s)),
    }
}

/// The support-unit age limit by sex (law brief §4).
pub(crate) fn support_limit(sex: Sex) -> i32 {
    match sex {
        Sex::Male => SUPPORT_AGE_LIMIT_MALE,
        Sex::Female => SUPPORT_AGE_LIMIT_FEMALE,
    }
}

// ---------------------------------------------------------------------------------------------
// Types

/// A citizen entered in the reserve.
#[derive(Debug, Clone)]
pub struct NewReservist {
    pub citizen_id: i64,
    pub class: ReservistClass,
    /// The CNQS code.
    pub specialty: String,
    pub rank: Option<String>,
    pub registered_on: Date,
}

/// A reservist as stored, with the citizen's details and the current assignment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReservistRecord {
    pub id: i64,
    pub citizen_id: i64,
    pub national_id: Option<String>,
    pub full_name: String,
    #[serde(serialize_with = "ser_date")]
    pub birth_date: Date,
    pub sex: Sex,
    /// The commune command the citizen is filed under (scope and recruitment area).
    pub unit_id: i64,
    pub commune_name: String,
    pub class: ReservistClass,
    pub specialty: String,
    pub rank: Option<String>,
    #[serde(serialize_with = "ser_date")]
    pub registered_on: Date,
    /// The active assignment: position title and mobilisation unit name.
    pub assigned_position: Option<String>,
    pub assigned_unit: Option<String>,
}

impl ReservistRecord {
    pub fn birth_date_vi(&self) -> String {
        vi_date(self.birth_date)
    }
}

/// A new mobilisation unit.
#[derive(Debug, Clone)]
pub struct NewReserveUnit {
    /// The command it belongs to (its recruitment area is that command's communes).
    pub unit_id: i64,
    pub name: String,
    /// Combat unit (age limit 35) or combat-support unit (45 for men, 40 for women).
    pub combat: bool,
    /// The spare share on top of full strength, 10–15.
    pub spare_percent: u32,
}

/// A mobilisation unit with its figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReserveUnit {
    pub id: i64,
    pub unit_id: i64,
    pub command_name: String,
    pub province_code: String,
    pub name: String,
    pub combat: bool,
    pub spare_percent: u32,
    /// Sum of the positions' staff counts.
    pub staff: i64,
    /// Sum of the positions' seats (staff plus spare).
    pub seats: i64,
    /// Active assignments.
    pub assigned: i64,
}

impl ReserveUnit {
    pub fn kind_vi(&self) -> &'static str {
        if self.combat {
            "Đơn vị chiến đấu"
        } else {
            "Đơn vị bảo đảm chiến đấu"
        }
    }
}

/// A new line of a unit's staffing table.
#[derive(Debug, Clone)]
pub struct NewPosition {
    pub reserve_unit_id: i64,
    pub title: String,
    pub specialty: String,
    pub rank: Option<String>,
    pub count: u32,
}

/// A position with its seats and how many are filled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReservePosition {
    pub id: i64,
    pub reserve_unit_id: i64,
    pub reserve_unit_name: String,
    pub title: String,
    pub specialty: String,
    pub rank: Option<String>,
    pub count: u32,
    /// count plus the unit's spare share, rounded up.
    pub seats: u32,
    pub filled: u32,
}

/// The seats of a position of `count` with `spare_percent` spare, rounded up.
pub fn seats_with_spare(count: u32, spare_percent: u32) -> u32 {
    count + (count * spare_percent).div_ceil(100)
}

/// A saved assignment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReserveAssignment {
    pub id: i64,
    pub reservist_id: i64,
    pub citizen_id: i64,
    pub full_name: String,
    pub reservist_specialty: String,
    pub position_id: i64,
    pub position_title: String,
    pub position_specialty: String,
    pub reserve_unit_id: i64,
    pub reserve_unit_name: String,
    pub match_kind: MatchKind,
    #[serde(serialize_with = "ser_date")]
    pub assigned_on: Date,
    pub assigned_by: String,
    pub assigned_at: String,
}

/// One reservist in a proposal: where the solver puts them (if anywhere) and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProposalRow {
    pub reservist_id: i64,
    pub full_name: String,
    pub specialty: String,
    pub commune_name: String,
    pub age: i32,
    pub position_id: Option<i64>,
    pub position_title: Option<String>,
    pub reserve_unit_id: Option<i64>,
    pub reserve_unit_name: Option<String>,
    pub match_kind: Option<MatchKind>,
    /// The per-person explanation: specialty match, area, age.
    pub explanation: String,
}

/// The solver's proposal over the actor's scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    #[serde(serialize_with = "ser_date")]
    pub reference_date: Date,
    /// Every free reservist in scope, placed ones first (by unit, position, name).
    pub rows: Vec<ProposalRow>,
    pub exact: u64,
    pub near: u64,
    /// Free seats left empty.
    pub empty_seats: u64,
    /// Reservists left out before solving because the ledger holds them elsewhere: (name, reason).
    pub held_elsewhere: Vec<(String, String)>,
}

impl Proposal {
    pub fn placed(&self) -> impl Iterator<Item = &ProposalRow> {
        self.rows.iter().filter(|r| r.position_id.is_some())
    }
}

/// The đúng CNQS rate of one mobilisation unit, or of a command's subtree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateRow {
    pub id: i64,
    pub name: String,
    pub rate: SpecialtyRate,
}

impl RateRow {
    pub fn percent_vi(&self) -> String {
        self.rate.exact_percent_vi()
    }
}

/// A new piece of reserve equipment.
#[derive(Debug, Clone)]
pub struct NewEquipment {
    /// The commune command where it is registered.
    pub unit_id: i64,
    pub kind: EquipmentKind,
    pub owner: String,
    /// Plate or registration number.
    pub plate: String,
    pub capacity: Option<String>,
    pub condition: EquipmentCondition,
}

/// The technical condition declared at registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EquipmentCondition {
    Good,
    NeedsRepair,
    OutOfService,
}

impl EquipmentCondition {
    pub const ALL: [EquipmentCondition; 3] = [
        EquipmentCondition::Good,
        EquipmentCondition::NeedsRepair,
        EquipmentCondition::OutOfService,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EquipmentCondition::Good => "good",
            EquipmentCondition::NeedsRepair => "needs_repair",
            EquipmentCondition::OutOfService => "out_of_service",
        }
    }

    pub fn parse(s: &str) -> Result<EquipmentCondition, String> {
        EquipmentCondition::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("Tình trạng kỹ thuật \"{s}\" không hợp lệ."))
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            EquipmentCondition::Good => "Tốt",
            EquipmentCondition::NeedsRepair => "Cần sửa chữa",
            EquipmentCondition::OutOfService => "Hỏng, không sử dụng được",
        }
    }
}

/// A piece of equipment with its latest check and assignment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Equipment {
    pub id: i64,
    pub unit_id: i64,
    pub commune_name: String,
    pub kind: EquipmentKind,
    pub owner: String,
    pub plate: String,
    pub capacity: Option<String>,
    pub condition: EquipmentCondition,
    #[serde(serialize_with = "ser_opt_date")]
    pub last_check: Option<Date>,
    pub last_check_ready: Option<bool>,
    pub check_status: CheckStatus,
    pub assigned_unit: Option<String>,
}

/// A unit's need of one kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EquipmentNeedRecord {
    pub id: i64,
    pub reserve_unit_id: i64,
    pub reserve_unit_name: String,
    pub kind: EquipmentKind,
    pub count: u32,
    pub assigned: u32,
}

/// A saved equipment assignment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EquipmentAssignment {
    pub id: i64,
    pub equipment_id: i64,
    pub plate: String,
    pub equipment_kind: EquipmentKind,
    pub need_id: i64,
    pub need_kind: EquipmentKind,
    pub reserve_unit_id: i64,
    pub reserve_unit_name: String,
    pub match_kind: EquipmentMatch,
    #[serde(serialize_with = "ser_date")]
    pub assigned_on: Date,
    pub assigned_by: String,
}

/// One proposed equipment placement or one piece left out, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EquipmentProposalRow {
    pub equipment_id: i64,
    pub plate: String,
    pub kind: EquipmentKind,
    pub need_id: Option<i64>,
    pub reserve_unit_name: Option<String>,
    pub need_kind: Option<EquipmentKind>,
    pub match_kind: Option<EquipmentMatch>,
    pub explanation: String,
}

/// A recorded readiness check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EquipmentCheck {
    pub id: i64,
    pub equipment_id: i64,
    #[serde(serialize_with = "ser_date")]
    pub checked_on: Date,
    pub ready: bool,
    pub note: Option<String>,
    pub recorded_by: String,
}

/// Per command in scope: militia, reservists and the đúng CNQS rate of its subtree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForcesRollupRow {
    pub unit_id: i64,
    pub name: String,
    pub kind: OrgKind,
    pub militia_members: i64,
    pub reservists_class_1: i64,
    pub reservists_class_2: i64,
    pub reservists_assigned: i64,
    pub seats: i64,
    pub rate: SpecialtyRate,
}

// ---------------------------------------------------------------------------------------------
// Row readers

const RESERVIST_COLUMNS: &str = "r.id, r.citizen_id, c.national_id, c.full_name, c.birth_date, c.sex, r.unit_id, \
     o.name AS commune_name, r.reserve_class, r.specialty, r.military_rank, r.registered_on, \
     (SELECT p.title FROM reserve_assignment a JOIN reserve_position p ON p.id = a.position_id \
      WHERE a.reservist_id = r.id AND a.ended_on IS NULL) AS assigned_position, \
     (SELECT ru.name FROM reserve_assignment a JOIN reserve_unit ru ON ru.id = a.reserve_unit_id \
      WHERE a.reservist_id = r.id AND a.ended_on IS NULL) AS assigned_unit";
const RESERVIST_FROM: &str = "reservist r JOIN citizen c ON c.id = r.citizen_id JOIN org_unit o ON o.id = r.unit_id";

fn reservist_row(r: &sqlx::any::AnyRow) -> Result<ReservistRecord, StoreError> {
    Ok(ReservistRecord {
        id: r.get("id"),
        citizen_id: r.get("citizen_id"),
        national_id: r.get("national_id"),
        full_name: r.get("full_name"),
        birth_date: date_col(r, "birth_date")?,
        sex: Sex::parse(&r.get::<String, _>("sex")).ok_or_else(|| corrupt("giới tính", r.get::<String, _>("sex")))?,
        unit_id: r.get("unit_id"),
        commune_name: r.get("commune_name"),
        class: ReservistClass::parse(&r.get::<String, _>("reserve_class")).map_err(|e| corrupt("hạng", e))?,
        specialty: r.get("specialty"),
        rank: r.get("military_rank"),
        registered_on: date_col(r, "registered_on")?,
        assigned_position: r.get("assigned_position"),
        assigned_unit: r.get("assigned_unit"),
    })
}

const UNIT_COLUMNS: &str = "ru.id, ru.unit_id, o.name AS command_name, ru.province_code, ru.name, ru.combat, \
     ru.spare_percent, \
     (SELECT count(*) FROM reserve_assignment a WHERE a.reserve_unit_id = ru.id AND a.ended_on IS NULL) AS assigned";

fn unit_row(r: &sqlx::any::AnyRow) -> ReserveUnit {
    ReserveUnit {
        id: r.get("id"),
        unit_id: r.get("unit_id"),
        command_name: r.get("command_name"),
        province_code: r.get("province_code"),
        name: r.get("name"),
        combat: r.get::<i64, _>("combat") != 0,
        spare_percent: r.get::<i64, _>("spare_percent").max(0) as u32,
        staff: 0,
        seats: 0,
        assigned: r.get("assigned"),
    }
}

const POSITION_COLUMNS: &str = "p.id, p.reserve_unit_id, ru.name AS reserve_unit_name, ru.spare_percent, p.title, \
     p.specialty, p.military_rank, p.staff_count, \
     (SELECT count(*) FROM reserve_assignment a WHERE a.position_id = p.id AND a.ended_on IS NULL) AS filled";

fn position_row(r: &sqlx::any::AnyRow) -> ReservePosition {
    let count = r.get::<i64, _>("staff_count").max(0) as u32;
    let spare = r.get::<i64, _>("spare_percent").max(0) as u32;
    ReservePosition {
        id: r.get("id"),
        reserve_unit_id: r.get("reserve_unit_id"),
        reserve_unit_name: r.get("reserve_unit_name"),
        title: r.get("title"),
        specialty: r.get("specialty"),
        rank: r.get("military_rank"),
        count,
        seats: seats_with_spare(count, spare),
        filled: r.get::<i64, _>("filled").max(0) as u32,
    }
}

const ASSIGNMENT_COLUMNS: &str =
    "a.id, a.reservist_id, r.citizen_id, c.full_name, r.specialty AS reservist_specialty, \
     a.position_id, p.title AS position_title, p.specialty AS position_specialty, a.reserve_unit_id, \
     ru.name AS reserve_unit_name, a.match_kind, a.assigned_on, a.assigned_by, a.assigned_at";
const ASSIGNMENT_FROM: &str = "reserve_assignment a JOIN reservist r ON r.id = a.reservist_id \
     JOIN citizen c ON c.id = r.citizen_id JOIN reserve_position p ON p.id = a.position_id \
     JOIN reserve_unit ru ON ru.id = a.reserve_unit_id";

fn assignment_row(r: &sqlx::any::AnyRow) -> Result<ReserveAssignment, StoreError> {
    Ok(ReserveAssignment {
        id: r.get("id"),
        reservist_id: r.get("reservist_id"),
        citizen_id: r.get("citizen_id"),
        full_name: r.get("full_name"),
        reservist_specialty: r.get("reservist_specialty"),
        position_id: r.get("position_id"),
        position_title: r.get("position_title"),
        position_specialty: r.get("position_specialty"),
        reserve_unit_id: r.get("reserve_unit_id"),
        reserve_unit_name: r.get("reserve_unit_name"),
        match_kind: match_kind(&r.get::<String, _>("match_kind"))?,
        assigned_on: date_col(r, "assigned_on")?,
        assigned_by: r.get("assigned_by"),
        assigned_at: r.get("assigned_at"),
    })
}

const EQUIPMENT_COLUMNS: &str = "e.id, e.unit_id, o.name AS commune_name, e.kind, e.owner, e.plate, e.capacity, \
     e.condition, \
     (SELECT max(k.checked_on) FROM equipment_check k WHERE k.equipment_id = e.id) AS last_check, \
     (SELECT ru.name FROM equipment_assignment a JOIN reserve_unit ru ON ru.id = a.reserve_unit_id \
      WHERE a.equipment_id = e.id AND a.ended_on IS NULL) AS assigned_unit";
const EQUIPMENT_FROM: &str = "reserve_equipment e JOIN org_unit o ON o.id = e.unit_id";

fn equipment_row(r: &sqlx::any::AnyRow) -> Result<Equipment, StoreError> {
    Ok(Equipment {
        id: r.get("id"),
        unit_id: r.get("unit_id"),
        commune_name: r.get("commune_name"),
        kind: EquipmentKind::parse(&r.get::<String, _>("kind")).map_err(|e| corrupt("loại phương tiện", e))?,
        owner: r.get("owner"),
        plate: r.get("plate"),
        capacity: r.get("capacity"),
        condition: EquipmentCondition::parse(&r.get::<String, _>("condition")).map_err(|e| corrupt("tình trạng", e))?,
        last_check: opt_date_col(r, "last_check")?,
        last_check_ready: None,
        check_status: CheckStatus::Never,
        assigned_unit: r.get("assigned_unit"),
    })
}

// ---------------------------------------------------------------------------------------------
// The ledger

/// Every ledger entry of a person, read in `tx` (so that a concurrent write of the same person
/// queues behind this one): militia records, reserve assignments and call-ups (approved for a
/// call-up list, called up, or serving after handover). The militia's `add_member` consults it
/// too.
pub(crate) async fn ledger_entries_for_citizen(
    tx: &mut sqlx::AnyConnection,
    actor_unit: i64,
    citizen_id: i64,
) -> Result<Vec<LedgerEntry>, StoreError> {
    let subject = Subject::Person(citizen_id.to_string());
    let mut out = Vec::new();
    let holder = |name: String, in_scope: bool| {
        if in_scope {
            name
        } else {
            "một đơn vị ngoài phạm vi của bạn".to_string()
        }
    };
    let rows = sqlx::query(
        "SELECT m.id, mu.name, mu.force_type, mu.kind, c.full_name, c.sex, c.birth_date, m.volunteer, m.post, \
         m.joined_on, m.extension_months, m.left_on, \
         (SELECT count(*) FROM org_closure WHERE ancestor_id = $2 AND descendant_id = m.unit_id) AS in_scope \
         FROM militia_member m JOIN militia_unit mu ON mu.id = m.militia_unit_id \
         JOIN citizen c ON c.id = m.citizen_id WHERE m.citizen_id = $1",
    )
    .bind(citizen_id)
    .bind(actor_unit)
    .fetch_all(&mut *tx)
    .await?;
    for r in &rows {
        // The same interval as the militia module's own check: from joining to the end of service
        // (term with extension, or the age limit), or to the day the member left.
        let member = MilitiaMember {
            id: r.get::<i64, _>("id").to_string(),
            full_name: r.get("full_name"),
            force: ForceType::parse(&r.get::<String, _>("force_type")).map_err(|e| corrupt("lực lượng", e))?,
            kind: MilitiaKind::parse(&r.get::<String, _>("kind")).map_err(|e| corrupt("loại", e))?,
            sex: Sex::parse(&r.get::<String, _>("sex"))
                .ok_or_else(|| corrupt("giới tính", r.get::<String, _>("sex")))?,
            birth_date: date_col(r, "birth_date")?,
            volunteer: r.get::<i64, _>("volunteer") != 0,
            post: r
                .get::<Option<String>, _>("post")
                .map(|p| CommanderPost::parse(&p).map_err(|e| corrupt("chức vụ", e)))
                .transpose()?,
            start_date: date_col(r, "joined_on")?,
            extension_months: r.get::<i64, _>("extension_months").max(0) as u32,
        };
        let (end, _) = member.service_end();
        let until = opt_date_col(r, "left_on")?.map_or(end, |l| l.min(end));
        out.push(LedgerEntry {
            id: format!("militia:{}", member.id),
            subject: subject.clone(),
            kind: LedgerKind::Militia,
            holder: holder(r.get("name"), r.get::<i64, _>("in_scope") > 0),
            from: member.start_date,
            until: Some(until),
        });
    }
    let rows = sqlx::query(
        "SELECT a.id, ru.name, a.assigned_on, a.ended_on, \
         (SELECT count(*) FROM org_closure WHERE ancestor_id = $2 AND descendant_id = a.unit_id) AS in_scope \
         FROM reserve_assignment a JOIN reservist r ON r.id = a.reservist_id \
         JOIN reserve_unit ru ON ru.id = a.reserve_unit_id WHERE r.citizen_id = $1",
    )
    .bind(citizen_id)
    .bind(actor_unit)
    .fetch_all(&mut *tx)
    .await?;
    for r in &rows {
        out.push(LedgerEntry {
            id: format!("reserve:{}", r.get::<i64, _>("id")),
            subject: subject.clone(),
            kind: LedgerKind::ReserveUnit,
            holder: holder(r.get("name"), r.get::<i64, _>("in_scope") > 0),
            from: date_col(r, "assigned_on")?,
            until: opt_date_col(r, "ended_on")?,
        });
    }
    // The call-up (migration 6): a citizen approved for a call-up list is held by the cycle from
    // his first approval; once handed over he serves the active-service term of 24 months (law
    // brief §1.4), so the entry runs to 24 months after handover. Stages before approval do not
    // hold anyone (the pool is large and most are never called).
    let rows = sqlx::query(
        "SELECT n.cycle_id, n.stage, n.handed_over_on, o.name, \
         (SELECT min(e.event_date) FROM nvqs_stage_event e WHERE e.cycle_id = n.cycle_id \
          AND e.citizen_id = n.citizen_id AND e.kind = 'approve') AS approved_on, \
         (SELECT count(*) FROM org_closure WHERE ancestor_id = $2 AND descendant_id = n.unit_id) AS in_scope \
         FROM nvqs_candidate n JOIN nvqs_cycle y ON y.id = n.cycle_id JOIN org_unit o ON o.id = y.unit_id \
         WHERE n.citizen_id = $1 AND n.stage IN ('approved_official', 'approved_reserve', 'call_up_issued', \
         'handed_over', 'confirmed')",
    )
    .bind(citizen_id)
    .bind(actor_unit)
    .fetch_all(&mut *tx)
    .await?;
    for r in &rows {
        let Some(from) = opt_date_col(r, "approved_on")? else {
            continue;
        };
        let until = opt_date_col(r, "handed_over_on")?
            // Checked: a handover date stored near the calendar's end (before dates were bounded)
            // gives the last day rather than a panic on every later ledger check.
            .map(|h| {
                h.replace_year(h.year() + 2)
                    .unwrap_or_else(|_| phongthu_domain::dates::add_days(h, 730))
            });
        out.push(LedgerEntry {
            id: format!("call_up:{}", r.get::<i64, _>("cycle_id")),
            subject: subject.clone(),
            kind: LedgerKind::CallUpPool,
            holder: holder(
                format!("tuyển quân của {}", r.get::<String, _>("name")),
                r.get::<i64, _>("in_scope") > 0,
            ),
            from,
            until,
        });
    }
    Ok(out)
}

/// Takes one more place of `id` (a position's seats, a need's count) in a batch: the places already
/// taken are read once per id with `count_sql` inside the transaction, then counted in `taken`.
/// False when the batch would go over `capacity`.
pub(crate) async fn claim(
    tx: &mut sqlx::AnyConnection,
    taken: &mut HashMap<i64, u32>,
    count_sql: &str,
    id: i64,
    capacity: u32,
) -> Result<bool, StoreError> {
    if let std::collections::hash_map::Entry::Vacant(slot) = taken.entry(id) {
        let filled: i64 = sqlx::query(count_sql).bind(id).fetch_one(&mut *tx).await?.get(0);
        slot.insert(filled.max(0) as u32);
    }
    let t = taken.get_mut(&id).expect("inserted above");
    *t += 1;
    Ok(*t <= capacity)
}

/// Every ledger entry of a piece of equipment.
async fn ledger_entries_for_equipment(
    tx: &mut sqlx::AnyConnection,
    equipment_id: i64,
) -> Result<Vec<LedgerEntry>, StoreError> {
    let rows = sqlx::query(
        "SELECT a.id, ru.name, a.assigned_on, a.ended_on FROM equipment_assignment a \
         JOIN reserve_unit ru ON ru.id = a.reserve_unit_id WHERE a.equipment_id = $1",
    )
    .bind(equipment_id)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(LedgerEntry {
                id: format!("equipment:{}", r.get::<i64, _>("id")),
                subject: Subject::Equipment(equipment_id.to_string()),
                kind: LedgerKind::ReserveEquipment,
                holder: r.get("name"),
                from: date_col(r, "assigned_on")?,
                until: opt_date_col(r, "ended_on")?,
            })
        })
        .collect()
}

/// The first conflict of a proposed open-ended entry from `from`, as a Vietnamese sentence naming
/// the person.
pub(crate) fn first_conflict(existing: &[LedgerEntry], proposed: &LedgerEntry, who: &str) -> Option<String> {
    conflicts(existing, proposed).into_iter().next().map(|c| {
        let s = c.to_string();
        let subject = match &proposed.subject {
            Subject::Person(id) => format!("công dân {id}"),
            Subject::Equipment(id) => format!("phương tiện {id}"),
        };
        s.replacen(&subject, who, 1)
    })
}

/// The day before `d` (an entry ended "from d" keeps d free).
fn day_before(d: Date) -> Date {
    d.previous_day().unwrap_or(d)
}

// ---------------------------------------------------------------------------------------------

impl Scoped<'_> {
    // ----- reservists ------------------------------------------------------------------------

    /// Enters a citizen of the registry in the reserve (one record per person).
    pub async fn add_reservist(&self, n: NewReservist) -> Result<ReservistRecord, StoreError> {
        self.require(Permission::Write)?;
        let citizen = self.citizen(n.citizen_id).await?;
        let spec = specialty(&n.specialty)?;
        let rank = opt_text(n.rank.as_deref(), "cấp bậc", 60)?;
        phongthu_domain::dates::check_past_event("Ngày đăng ký", n.registered_on, today())
            .map_err(StoreError::Invalid)?;
        if n.registered_on < citizen.birth_date {
            return Err(StoreError::Invalid(format!(
                "Ngày đăng ký {} trước ngày sinh của {}.",
                vi_date(n.registered_on),
                citizen.full_name
            )));
        }
        let mut w = self.begin_write(Permission::Write).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO reservist (citizen_id, unit_id, province_code, reserve_class, specialty, military_rank, \
             registered_on, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(citizen.id)
        .bind(citizen.unit_id)
        .bind(&citizen.province_code)
        .bind(n.class.as_str())
        .bind(spec.as_str())
        .bind(&rank)
        .bind(iso(n.registered_on))
        .bind(crate::now_text())
        .fetch_one(&mut *w.tx)
        .await
        .map_err(|e| {
            StoreError::unique_or(
                e,
                format!(
                    "{} đã có hồ sơ quân nhân dự bị (mỗi người một hồ sơ).",
                    citizen.full_name
                ),
            )
        })?
        .get(0);
        w.audit(
            "create",
            "reservist",
            &id.to_string(),
            Some(citizen.unit_id),
            None,
            Some(&serde_json::json!({
                "citizen_id": citizen.id, "class": n.class.as_str(), "specialty": spec.as_str(),
                "rank": rank, "registered_on": iso(n.registered_on)
            })),
        )
        .await?;
        w.commit().await?;
        self.reservist(id).await
    }

    /// One reservist in scope.
    pub async fn reservist(&self, id: i64) -> Result<ReservistRecord, StoreError> {
        self.require(Permission::Read)?;
        let row = sqlx::query(&format!(
            "SELECT {RESERVIST_COLUMNS} FROM {RESERVIST_FROM} WHERE r.id = $2 AND r.unit_id IN ({SCOPE_UNITS})"
        ))
        .bind(self.actor.unit_id)
        .bind(id)
        .fetch_optional(&self.store.pool)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!("Không tìm thấy quân nhân dự bị số {id} trong phạm vi của bạn."))
        })?;
        reservist_row(&row)
    }

    /// Reservists in scope, in Vietnamese name order.
    pub async fn reservists(&self) -> Result<Vec<ReservistRecord>, StoreError> {
        self.require(Permission::Read)?;
        sqlx::query(&format!(
            "SELECT {RESERVIST_COLUMNS} FROM {RESERVIST_FROM} WHERE r.unit_id IN ({SCOPE_UNITS}) \
             ORDER BY c.sort_key, r.id"
        ))
        .bind(self.actor.unit_id)
        .fetch_all(&self.store.pool)
        .await?
        .iter()
        .map(reservist_row)
        .collect()
    }

    // ----- mobilisation units and positions --------------------------------------------------

    /// Creates a mobilisation unit under a command in scope.
    pub async fn create_reserve_unit(&self, n: NewReserveUnit) -> Result<ReserveUnit, StoreError> {
        self.require(Permission::Write)?;
        let name = text(&n.name, "tên đơn vị dự bị động viên", 200)?;
        if !SPARE_PERCENT_RANGE.contains(&n.spare_percent) {
            return Err(StoreError::Invalid(format!(
                "Tỷ lệ dự phòng {}% không hợp lệ: đơn vị dự bị động viên giữ dự phòng từ 10% đến 15% quân số (Điều 15 Luật Lực lượng dự bị động viên).",
                n.spare_percent
            )));
        }
        let command = self.org_unit(n.unit_id).await?;
        if matches!(
            command.kind,
            OrgKind::Ministry | OrgKind::MilitaryRegion | OrgKind::DistrictCommand
        ) {
            return Err(StoreError::Invalid(
                "Đơn vị dự bị động viên phải thuộc một Bộ Chỉ huy quân sự tỉnh, Ban Chỉ huy phòng thủ khu vực hoặc Ban Chỉ huy quân sự cấp xã, cơ quan.".into(),
            ));
        }
        let province = command
            .province_code
            .clone()
            .filter(|p| !p.is_empty())
            .ok_or_else(|| StoreError::Invalid(format!("Không xác định được tỉnh của {}.", command.name)))?;
        let mut w = self.begin_write(Permission::Write).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO reserve_unit (unit_id, province_code, name, combat, spare_percent, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(command.id)
        .bind(&province)
        .bind(&name)
        .bind(n.combat as i64)
        .bind(n.spare_percent as i64)
        .bind(crate::now_text())
        .fetch_one(&mut *w.tx)
        .await
        .map_err(|e| {
            StoreError::unique_or(
                e,
                format!("{} đã có đơn vị dự bị động viên tên \"{name}\".", command.name),
            )
        })?
        .get(0);
        w.audit(
            "create",
            "reserve_unit",
            &id.to_string(),
            Some(command.id),
            None,
            Some(&serde_json::json!({"name": name, "combat": n.combat, "spare_percent": n.spare_percent})),
        )
        .await?;
        w.commit().await?;
        self.reserve_unit(id).await
    }

    async fn unit_totals(&self, units: &mut [ReserveUnit]) -> Result<(), StoreError> {
        if units.is_empty() {
            return Ok(());
        }
        let rows = sqlx::query(&format!(
            "SELECT p.reserve_unit_id, p.staff_count FROM reserve_position p WHERE p.unit_id IN ({SCOPE_UNITS})"
        ))
        .bind(self.actor.unit_id)
        .fetch_all(&self.store.pool)
        .await?;
        let mut by_unit: HashMap<i64, Vec<u32>> = HashMap::new();
        for r in &rows {
            by_unit
                .entry(r.get(0))
                .or_default()
                .push(r.get::<i64, _>(1).max(0) as u32);
        }
        for u in units.iter_mut() {
            let counts = by_unit.get(&u.id).map(Vec::as_slice).unwrap_or(&[]);
            u.staff = counts.iter().map(|&c| c as i64).sum();
            u.seats = counts
                .iter()
                .map(|&c| seats_with_spare(c, u.spare_percent) as i64)
                .sum();
        }
        Ok(())
    }

    /// One mobilisation unit in scope.
    pub async fn reserve_unit(&self, id: i64) -> Result<ReserveUnit, StoreError> {
        self.require(Permission::Read)?;
        let row = sqlx::query(&format!(
            "SELECT {UNIT_COLUMNS} FROM reserve_unit ru JOIN org_unit o ON o.id = ru.unit_id \
             WHERE ru.id = $2 AND ru.unit_id IN ({SCOPE_UNITS})"
        ))
        .bind(self.actor.unit_id)
        .bind(id)
        .fetch_optional(&self.store.pool)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "Không tìm thấy đơn vị dự bị động viên số {id} trong phạm vi của bạn."
            ))
        })?;
        let mut units = [unit_row(&row)];
        self.unit_totals(&mut units).await?;
        let [u] = units;
        Ok(u)
    }

    /// Mobilisation units in scope, by command then name.
    pub async fn reserve_units(&self) -> Result<Vec<ReserveUnit>, StoreError> {
        self.require(Permission::Read)?;
        let mut units: Vec<ReserveUnit> = sqlx::query(&format!(
            "SELECT {UNIT_COLUMNS} FROM reserve_unit ru JOIN org_unit o ON o.id = ru.unit_id \
             WHERE ru.unit_id IN ({SCOPE_UNITS}) ORDER BY o.sort_key, o.id, ru.name, ru.id"
        ))
        .bind(self.actor.unit_id)
        .fetch_all(&self.store.pool)
        .await?
        .iter()
        .map(unit_row)
        .collect();
        self.unit_totals(&mut units).await?;
        Ok(units)
    }

    /// Adds a line to a unit's staffing table.
    pub async fn add_position(&self, n: NewPosition) -> Result<ReservePosition, StoreError> {
        self.require(Permission::Write)?;
        let unit = self.reserve_unit(n.reserve_unit_id).await?;
        let title = text(&n.title, "tên vị trí (chức danh)", 200)?;
        let spec = specialty(&n.specialty)?;
        let rank = opt_text(n.rank.as_deref(), "cấp bậc", 60)?;
        if n.count == 0 || n.count > 10_000 {
            return Err(StoreError::Invalid(format!(
                "Số lượng biên chế {} không hợp lệ (từ 1 đến 10.000).",
                n.count
            )));
        }
        let mut w = self.begin_write(Permission::Write).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO reserve_position (reserve_unit_id, unit_id, province_code, title, specialty, military_rank, \
             staff_count, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(unit.id)
        .bind(unit.unit_id)
        .bind(&unit.province_code)
        .bind(&title)
        .bind(spec.as_str())
        .bind(&rank)
        .bind(n.count as i64)
        .bind(crate::now_text())
        .fetch_one(&mut *w.tx)
        .await?
        .get(0);
        w.audit(
            "create",
            "reserve_position",
            &id.to_string(),
            Some(unit.unit_id),
            None,
            Some(&serde_json::json!({
                "reserve_unit_id": unit.id, "title": title, "specialty": spec.as_str(), "rank": rank, "count": n.count
            })),
        )
        .await?;
        w.commit().await?;
        self.reserve_position(id).await
    }

    /// One position in scope.
    pub async fn reserve_position(&self, id: i64) -> Result<ReservePosition, StoreError> {
        self.require(Permission::Read)?;
        let row = sqlx::query(&format!(
            "SELECT {POSITION_COLUMNS} FROM reserve_position p JOIN reserve_unit ru ON ru.id = p.reserve_unit_id \
             WHERE p.id = $2 AND p.unit_id IN ({SCOPE_UNITS})"
        ))
        .bind(self.actor.unit_id)
        .bind(id)
        .fetch_optional(&self.store.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("Không tìm thấy vị trí số {id} trong phạm vi của bạn.")))?;
        Ok(position_row(&row))
    }

    /// Positions in scope, of one unit or all, by unit then insertion.
    pub async fn reserve_positions(&self, reserve_unit_id: Option<i64>) -> Result<Vec<ReservePosition>, StoreError> {
        self.require(Permission::Read)?;
        let cond = if reserve_unit_id.is_some() {
            " AND p.reserve_unit_id = $2"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {POSITION_COLUMNS} FROM reserve_position p JOIN reserve_unit ru ON ru.id = p.reserve_unit_id \
             WHERE p.unit_id IN ({SCOPE_UNITS}){cond} ORDER BY ru.name, ru.id, p.id"
        );
        let mut q = sqlx::query(&sql).bind(self.actor.unit_id);
        if let Some(u) = reserve_unit_id {
            q = q.bind(u);
        }
        Ok(q.fetch_all(&self.store.pool).await?.iter().map(position_row).collect())
    }

    /// Records that two specialties count as a near match (gần đúng CNQS) for the actor's command
    /// and everything under it.
    pub async fn add_near_pair(&self, a: &str, b: &str) -> Result<(), StoreError> {
        self.require(Permission::Write)?;
        let (a, b) = (specialty(a)?, specialty(b)?);
        if a == b {
            return Err(StoreError::Invalid("Hai mã CNQS gần đúng phải khác nhau.".into()));
        }
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        let province: Option<String> = sqlx::query("SELECT province_code FROM org_unit WHERE id = $1")
            .bind(self.actor.unit_id)
            .fetch_one(&self.store.pool)
            .await?
            .get(0);
        let mut w = self.begin_write(Permission::Write).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO reserve_near_pair (unit_id, province_code, specialty_a, specialty_b) VALUES ($1, $2, $3, $4) \
             RETURNING id",
        )
        .bind(self.actor.unit_id)
        .bind(province.unwrap_or_default())
        .bind(a.as_str())
        .bind(b.as_str())
        .fetch_one(&mut *w.tx)
        .await
        .map_err(|e| StoreError::unique_or(e, format!("Cặp CNQS {a} – {b} đã được ghi là gần đúng.")))?
        .get(0);
        w.audit(
            "create",
            "reserve_near_pair",
            &id.to_string(),
            Some(self.actor.unit_id),
            None,
            Some(&serde_json::json!({"a": a.as_str(), "b": b.as_str()})),
        )
        .await?;
        w.commit().await
    }

    /// Near pairs that apply to the actor: set by the actor's command, a command above it, or one
    /// below it.
    pub async fn near_pairs(&self) -> Result<Vec<(MilitarySpecialty, MilitarySpecialty)>, StoreError> {
        self.require(Permission::Read)?;
        let rows = sqlx::query(&format!(
            "SELECT DISTINCT specialty_a, specialty_b FROM reserve_near_pair WHERE unit_id IN ({SCOPE_UNITS}) \
             OR unit_id IN (SELECT ancestor_id FROM org_closure WHERE descendant_id = $1) \
             ORDER BY specialty_a, specialty_b"
        ))
        .bind(self.actor.unit_id)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((specialty(&r.get::<String, _>(0))?, specialty(&r.get::<String, _>(1))?)))
            .collect()
    }

    /// The commune commands a mobilisation unit recruits from: those under (or covered by) its
    /// command.
    pub(crate) async fn areas(&self, units: &[ReserveUnit]) -> Result<HashMap<i64, Vec<i64>>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT c.ancestor_id, c.descendant_id FROM org_closure c JOIN org_unit o ON o.id = c.descendant_id \
             WHERE o.kind = 'commune_command' AND c.ancestor_id IN ({SCOPE_UNITS})"
        ))
        .bind(self.actor.unit_id)
        .fetch_all(&self.store.pool)
        .await?;
        let mut by_command: HashMap<i64, Vec<i64>> = HashMap::new();
        for r in &rows {
            by_command.entry(r.get(0)).or_default().push(r.get(1));
        }
        Ok(units
            .iter()
            .map(|u| (u.id, by_command.get(&u.unit_id).cloned().unwrap_or_default()))
            .collect())
    }

    // ----- the assignment --------------------------------------------------------------------

    /// Runs the domain solver on the free reservists and the free seats in scope on `on`, and
    /// explains each person's outcome. Nothing is written.
    pub async fn propose_assignment(&self, on: Date) -> Result<Proposal, StoreError> {
        self.require(Permission::Read)?;
        let units = self.reserve_units().await?;
        let positions = self.reserve_positions(None).await?;
        let areas = self.areas(&units).await?;
        let near_pairs = self.near_pairs().await?;
        let all = self.reservists().await?;
        let free: Vec<&ReservistRecord> = all.iter().filter(|r| r.assigned_position.is_none()).collect();

        // The ledger: people held elsewhere on `on` (militia, call-up pool) are left out up front,
        // with the reason shown.
        let mut conn = self.store.pool.acquire().await?;
        let mut candidates = Vec::with_capacity(free.len());
        let mut held_elsewhere = Vec::new();
        let held = held_citizens(&mut conn, self.actor.unit_id, on).await?;
        for r in free {
            if held.contains(&r.citizen_id) {
                let existing = ledger_entries_for_citizen(&mut conn, self.actor.unit_id, r.citizen_id).await?;
                let proposed = LedgerEntry {
                    id: "reserve:new".into(),
                    subject: Subject::Person(r.citizen_id.to_string()),
                    kind: LedgerKind::ReserveUnit,
                    holder: String::new(),
                    from: on,
                    until: None,
                };
                if let Some(msg) = first_conflict(&existing, &proposed, &r.full_name) {
                    held_elsewhere.push((r.full_name.clone(), msg));
                    continue;
                }
            }
            candidates.push(r);
        }
        drop(conn);

        let instance = Instance {
            reference_date: on,
            near_specialties: near_pairs,
            reservists: candidates
                .iter()
                .map(|r| {
                    Ok(Reservist {
                        id: r.id.to_string(),
                        specialty: specialty(&r.specialty)?,
                        birth_date: r.birth_date,
                        sex: r.sex,
                        commune: r.unit_id.to_string(),
                    })
                })
                .collect::<Result<_, StoreError>>()?,
            units: units
                .iter()
                .map(|u| {
                    Ok(MobilizationUnit {
                        id: u.id.to_string(),
                        combat: u.combat,
                        communes: areas[&u.id].iter().map(i64::to_string).collect(),
                        positions: positions
                            .iter()
                            .filter(|p| p.reserve_unit_id == u.id)
                            .map(|p| {
                                Ok(Position {
                                    id: p.id.to_string(),
                                    specialty: specialty(&p.specialty)?,
                                    count: p.seats.saturating_sub(p.filled),
                                })
                            })
                            .collect::<Result<_, StoreError>>()?,
                    })
                })
                .collect::<Result<_, StoreError>>()?,
        };
        let solved = assign(&instance);

        let unit_by_id: HashMap<i64, &ReserveUnit> = units.iter().map(|u| (u.id, u)).collect();
        let pos_by_id: HashMap<i64, &ReservePosition> = positions.iter().map(|p| (p.id, p)).collect();
        let pos_name = |id: &str| {
            id.parse::<i64>()
                .ok()
                .and_then(|i| pos_by_id.get(&i))
                .map(|p| format!("{} ({}, CNQS {})", p.title, p.reserve_unit_name, p.specialty))
                .unwrap_or_else(|| id.to_string())
        };
        let mut rows: Vec<ProposalRow> = Vec::with_capacity(candidates.len());
        for (r, e) in candidates.iter().zip(&solved.explanations) {
            let age = age_on(r.birth_date, on);
            let mut row = ProposalRow {
                reservist_id: r.id,
                full_name: r.full_name.clone(),
                specialty: r.specialty.clone(),
                commune_name: r.commune_name.clone(),
                age,
                position_id: None,
                position_title: None,
                reserve_unit_id: None,
                reserve_unit_name: None,
                match_kind: None,
                explanation: String::new(),
            };
            row.explanation = match e {
                Explanation::Assigned {
                    position,
                    match_kind,
                    position_specialty,
                    ..
                } => {
                    let p = pos_by_id[&position.parse::<i64>().map_err(|e| corrupt("vị trí", e))?];
                    let u = unit_by_id[&p.reserve_unit_id];
                    row.position_id = Some(p.id);
                    row.position_title = Some(p.title.clone());
                    row.reserve_unit_id = Some(u.id);
                    row.reserve_unit_name = Some(u.name.clone());
                    row.match_kind = Some(*match_kind);
                    let limit = if u.combat {
                        COMBAT_AGE_LIMIT
                    } else {
                        support_limit(r.sex)
                    };
                    let spec = match match_kind {
                        MatchKind::Exact => format!("Đúng CNQS {}", r.specialty),
                        _ => format!(
                            "Gần đúng CNQS ({} thay cho {position_specialty}): không còn quân nhân đúng CNQS nào chưa được xếp có thể nhận vị trí này",
                            r.specialty
                        ),
                    };
                    format!(
                        "{spec}; cư trú tại {}, trong địa bàn tuyển quân của {} ({}); {age} tuổi, trong hạn tuổi hết {limit} tuổi của {}.",
                        r.commune_name,
                        u.name,
                        u.command_name,
                        u.kind_vi().to_lowercase()
                    )
                }
                Explanation::NoUnitInArea { .. } => format!(
                    "Chưa được xếp vì không có đơn vị dự bị động viên nào tuyển quân tại {}.",
                    r.commune_name
                ),
                Explanation::NoMatchingPosition { specialty, .. } => format!(
                    "Chưa được xếp vì các đơn vị tuyển quân tại {} không còn vị trí đúng hoặc gần đúng CNQS {specialty}.",
                    r.commune_name
                ),
                Explanation::OverAge { .. } => e.to_string(),
                Explanation::SeatsFull {
                    exact_positions,
                    near_positions,
                } => {
                    let names = |v: &[String]| v.iter().take(3).map(|p| pos_name(p)).collect::<Vec<_>>().join(", ");
                    let mut parts = vec![];
                    if !exact_positions.is_empty() {
                        parts.push(format!("đúng CNQS: {}", names(exact_positions)));
                    }
                    if !near_positions.is_empty() {
                        parts.push(format!("gần đúng CNQS: {}", names(near_positions)));
                    }
                    format!(
                        "Chưa được xếp vì các vị trí phù hợp ({}) đã đủ người có mức phù hợp bằng hoặc cao hơn.",
                        parts.join("; ")
                    )
                }
            };
            rows.push(row);
        }
        rows.sort_by(|a, b| {
            (a.position_id.is_none(), &a.reserve_unit_name, a.position_id).cmp(&(
                b.position_id.is_none(),
                &b.reserve_unit_name,
                b.position_id,
            ))
        });
        Ok(Proposal {
            reference_date: on,
            rows,
            exact: solved.totals.exact,
            near: solved.totals.near,
            empty_seats: solved.totals.empty_seats,
            held_elsewhere,
        })
    }

    /// Saves assignments (reservist id, position id) from `on`, all or nothing: each is checked for
    /// scope, free seats, area, age and the ledger, and audited. Returns how many were saved.
    pub async fn accept_assignments(&self, picks: &[(i64, i64)], on: Date) -> Result<usize, StoreError> {
        self.require(Permission::Write)?;
        if picks.is_empty() {
            return Err(StoreError::Invalid("Hãy chọn ít nhất một đề xuất sắp xếp.".into()));
        }
        let near = NearSpecialties::new(&self.near_pairs().await?);
        let mut checked = Vec::with_capacity(picks.len());
        let mut seen = HashSet::new();
        let mut areas_cache: HashMap<i64, Vec<i64>> = HashMap::new();
        for &(rid, pid) in picks {
            if !seen.insert(rid) {
                return Err(StoreError::Invalid(format!(
                    "Quân nhân dự bị số {rid} được chọn hai lần; mỗi người chỉ được xếp vào một vị trí."
                )));
            }
            let r = self.reservist(rid).await?;
            let p = self.reserve_position(pid).await?;
            let u = self.reserve_unit(p.reserve_unit_id).await?;
            if !areas_cache.contains_key(&u.id) {
                let a = self.areas(std::slice::from_ref(&u)).await?;
                areas_cache.extend(a);
            }
            if !areas_cache[&u.id].contains(&r.unit_id) {
                return Err(StoreError::Invalid(format!(
                    "{} cư trú tại {}, ngoài địa bàn tuyển quân của {}.",
                    r.full_name, r.commune_name, u.name
                )));
            }
            let class = AgeClass::of(
                &Reservist {
                    id: String::new(),
                    specialty: specialty(&r.specialty)?,
                    birth_date: r.birth_date,
                    sex: r.sex,
                    commune: String::new(),
                },
                on,
            );
            if !class.allows(u.combat) {
                let limit = if u.combat {
                    COMBAT_AGE_LIMIT
                } else {
                    support_limit(r.sex)
                };
                return Err(StoreError::Invalid(format!(
                    "{} đã {} tuổi vào ngày {}, quá hạn tuổi hết {limit} tuổi của {}.",
                    r.full_name,
                    age_on(r.birth_date, on),
                    vi_date(on),
                    u.kind_vi().to_lowercase()
                )));
            }
            let kind = MatchKind::classify(&specialty(&r.specialty)?, &specialty(&p.specialty)?, &near);
            checked.push((r, p, u, kind));
        }
        let mut w = self.begin_write(Permission::Write).await?;
        // Seats, re-read in the transaction before anything is inserted.
        let mut taken: HashMap<i64, u32> = HashMap::new();
        for (_, p, u, _) in &checked {
            let open = "SELECT count(*) FROM reserve_assignment WHERE position_id = $1 AND ended_on IS NULL";
            if !claim(&mut w.tx, &mut taken, open, p.id, p.seats).await? {
                return Err(StoreError::Conflict(format!(
                    "Vị trí {} của {} đã đủ {} chỗ (kể cả dự phòng).",
                    p.title, u.name, p.seats
                )));
            }
        }
        for (r, p, u, kind) in &checked {
            self.insert_assignment(&mut w, r, p, u, *kind, on).await?;
        }
        w.commit().await?;
        Ok(checked.len())
    }

    pub(crate) async fn insert_assignment(
        &self,
        w: &mut WriteTx<'_>,
        r: &ReservistRecord,
        p: &ReservePosition,
        u: &ReserveUnit,
        kind: MatchKind,
        on: Date,
    ) -> Result<i64, StoreError> {
        let existing = ledger_entries_for_citizen(&mut w.tx, self.actor.unit_id, r.citizen_id).await?;
        let proposed = LedgerEntry {
            id: "reserve:new".into(),
            subject: Subject::Person(r.citizen_id.to_string()),
            kind: LedgerKind::ReserveUnit,
            holder: u.name.clone(),
            from: on,
            until: None,
        };
        if let Some(msg) = first_conflict(&existing, &proposed, &r.full_name) {
            return Err(StoreError::Conflict(msg));
        }
        let id: i64 = sqlx::query(
            "INSERT INTO reserve_assignment (reservist_id, position_id, reserve_unit_id, unit_id, province_code, \
             match_kind, assigned_on, assigned_by, assigned_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(r.id)
        .bind(p.id)
        .bind(u.id)
        .bind(u.unit_id)
        .bind(&u.province_code)
        .bind(kind.as_str())
        .bind(iso(on))
        .bind(&self.actor.username)
        .bind(crate::now_text())
        .fetch_one(&mut *w.tx)
        .await
        .map_err(|e| StoreError::unique_or(e, format!("{} đã được xếp vào một đơn vị dự bị động viên.", r.full_name)))?
        .get(0);
        w.audit(
            "create",
            "reserve_assignment",
            &id.to_string(),
            Some(u.unit_id),
            None,
            Some(&serde_json::json!({
                "reservist_id": r.id, "position_id": p.id, "reserve_unit_id": u.id,
                "match": kind.as_str(), "assigned_on": iso(on)
            })),
        )
        .await?;
        Ok(id)
    }

    /// Checks a single assignment without saving it: the Vietnamese reason it would be refused, if
    /// any (the same checks as [`Scoped::accept_assignments`]).
    pub async fn check_assignment(&self, reservist_id: i64, position_id: i64, on: Date) -> Result<(), StoreError> {
        self.require(Permission::Read)?;
        let r = self.reservist(reservist_id).await?;
        if r.assigned_position.is_some() {
            // Moving an assigned reservist goes through `reassign`.
            return Err(StoreError::Conflict(format!(
                "{} đang được xếp vào {} ({}); hãy sửa sắp xếp đó thay vì tạo mới.",
                r.full_name,
                r.assigned_position.unwrap_or_default(),
                r.assigned_unit.unwrap_or_default()
            )));
        }
        let mut conn = self.store.pool.acquire().await?;
        let existing = ledger_entries_for_citizen(&mut conn, self.actor.unit_id, r.citizen_id).await?;
        let proposed = LedgerEntry {
            id: "reserve:new".into(),
            subject: Subject::Person(r.citizen_id.to_string()),
            kind: LedgerKind::ReserveUnit,
            holder: String::new(),
            from: on,
            until: None,
        };
        if let Some(msg) = first_conflict(&existing, &proposed, &r.full_name) {
            return Err(StoreError::Conflict(msg));
        }
        let p = self.reserve_position(position_id).await?;
        if p.filled >= p.seats {
            return Err(StoreError::Conflict(format!(
                "Vị trí {} của {} đã đủ {} chỗ (kể cả dự phòng).",
                p.title, p.reserve_unit_name, p.seats
            )));
        }
        Ok(())
    }

    /// Active assignments in scope, of one unit or all, by unit, position and name.
    pub async fn reserve_assignments(
        &self,
        reserve_unit_id: Option<i64>,
    ) -> Result<Vec<ReserveAssignment>, StoreError> {
        self.require(Permission::Read)?;
        let cond = if reserve_unit_id.is_some() {
            " AND a.reserve_unit_id = $2"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {ASSIGNMENT_COLUMNS} FROM {ASSIGNMENT_FROM} WHERE a.ended_on IS NULL \
             AND a.unit_id IN ({SCOPE_UNITS}){cond} ORDER BY ru.name, ru.id, p.id, c.sort_key, a.id"
        );
        let mut q = sqlx::query(&sql).bind(self.actor.unit_id);
        if let Some(u) = reserve_unit_id {
            q = q.bind(u);
        }
        q.fetch_all(&self.store.pool)
            .await?
            .iter()
            .map(assignment_row)
            .collect()
    }

    /// One assignment in scope (active or ended).
    pub async fn reserve_assignment(&self, id: i64) -> Result<ReserveAssignment, StoreError> {
        self.require(Permission::Read)?;
        let row = sqlx::query(&format!(
            "SELECT {ASSIGNMENT_COLUMNS} FROM {ASSIGNMENT_FROM} WHERE a.id = $2 AND a.unit_id IN ({SCOPE_UNITS})"
        ))
        .bind(self.actor.unit_id)
        .bind(id)
        .fetch_optional(&self.store.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("Không tìm thấy sắp xếp số {id} trong phạm vi của bạn.")))?;
        assignment_row(&row)
    }

    /// Moves an assignment to another position in scope (same checks; the match is recomputed).
    pub async fn reassign(&self, assignment_id: i64, position_id: i64) -> Result<ReserveAssignment, StoreError> {
        self.require(Permission::Write)?;
        let a = self.reserve_assignment(assignment_id).await?;
        let p = self.reserve_position(position_id).await?;
        if p.id == a.position_id {
            return Err(StoreError::Invalid(format!("{} đã ở vị trí {}.", a.full_name, p.title)));
        }
        let u = self.reserve_unit(p.reserve_unit_id).await?;
        let r = self.reservist(a.reservist_id).await?;
        let areas = self.areas(std::slice::from_ref(&u)).await?;
        if !areas[&u.id].contains(&r.unit_id) {
            return Err(StoreError::Invalid(format!(
                "{} cư trú tại {}, ngoài địa bàn tuyển quân của {}.",
                r.full_name, r.commune_name, u.name
            )));
        }
        let on = a.assigned_on.max(today());
        let class = AgeClass::of(
            &Reservist {
                id: String::new(),
                specialty: specialty(&r.specialty)?,
                birth_date: r.birth_date,
                sex: r.sex,
                commune: String::new(),
            },
            on,
        );
        if !class.allows(u.combat) {
            return Err(StoreError::Invalid(format!(
                "{} đã {} tuổi, quá hạn tuổi của {}.",
                r.full_name,
                age_on(r.birth_date, on),
                u.kind_vi().to_lowercase()
            )));
        }
        let near = NearSpecialties::new(&self.near_pairs().await?);
        let kind = MatchKind::classify(&specialty(&r.specialty)?, &specialty(&p.specialty)?, &near);
        let mut w = self.begin_write(Permission::Write).await?;
        let filled: i64 =
            sqlx::query("SELECT count(*) FROM reserve_assignment WHERE position_id = $1 AND ended_on IS NULL")
                .bind(p.id)
                .fetch_one(&mut *w.tx)
                .await?
                .get(0);
        if filled as u32 >= p.seats {
            return Err(StoreError::Conflict(format!(
                "Vị trí {} của {} đã đủ {} chỗ (kể cả dự phòng).",
                p.title, u.name, p.seats
            )));
        }
        sqlx::query(
            "UPDATE reserve_assignment SET position_id = $1, reserve_unit_id = $2, unit_id = $3, match_kind = $4, \
             assigned_by = $5, assigned_at = $6 WHERE id = $7 AND ended_on IS NULL",
        )
        .bind(p.id)
        .bind(u.id)
        .bind(u.unit_id)
        .bind(kind.as_str())
        .bind(&self.actor.username)
        .bind(crate::now_text())
        .bind(a.id)
        .execute(&mut *w.tx)
        .await?;
        w.audit(
            "reassign",
            "reserve_assignment",
            &a.id.to_string(),
            Some(u.unit_id),
            Some(&serde_json::json!({"position_id": a.position_id, "match": a.match_kind.as_str()})),
            Some(&serde_json::json!({"position_id": p.id, "match": kind.as_str()})),
        )
        .await?;
        w.commit().await?;
        self.reserve_assignment(a.id).await
    }

    /// Removes a reservist from their position from `on`: the last day is the day before; an
    /// assignment that had not started by then is deleted (the audit keeps it).
    pub async fn remove_assignment(&self, assignment_id: i64, on: Date) -> Result<(), StoreError> {
        self.require(Permission::Write)?;
        let a = self.reserve_assignment(assignment_id).await?;
        let unit_id: i64 = sqlx::query("SELECT unit_id FROM reserve_assignment WHERE id = $1")
            .bind(a.id)
            .fetch_one(&self.store.pool)
            .await?
            .get(0);
        let last = day_before(on);
        let mut w = self.begin_write(Permission::Write).await?;
        let done = if last < a.assigned_on {
            sqlx::query("DELETE FROM reserve_assignment WHERE id = $1 AND ended_on IS NULL")
                .bind(a.id)
                .execute(&mut *w.tx)
                .await?
        } else {
            sqlx::query("UPDATE reserve_assignment SET ended_on = $1 WHERE id = $2 AND ended_on IS NULL")
                .bind(iso(last))
                .bind(a.id)
                .execute(&mut *w.tx)
                .await?
        };
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "Sắp xếp của {} đã kết thúc.",
                a.full_name
            )));
        }
        w.audit(
            "remove",
            "reserve_assignment",
            &a.id.to_string(),
            Some(unit_id),
            Some(&serde_json::json!({
                "reservist_id": a.reservist_id, "position_id": a.position_id, "assigned_on": iso(a.assigned_on)
            })),
            Some(&serde_json::json!({"ended_on": (last >= a.assigned_on).then(|| iso(last))})),
        )
        .await?;
        w.commit().await
    }

    /// The đúng CNQS rate of every mobilisation unit in scope (from saved assignments), and the
    /// roll-up over each command's subtree in scope.
    pub async fn specialty_rates(&self) -> Result<(Vec<RateRow>, Vec<RateRow>), StoreError> {
        self.require(Permission::Read)?;
        let units = self.reserve_units().await?;
        let rows = sqlx::query(&format!(
            "SELECT a.reserve_unit_id, a.match_kind, count(*) FROM reserve_assignment a \
             WHERE a.ended_on IS NULL AND a.unit_id IN ({SCOPE_UNITS}) GROUP BY a.reserve_unit_id, a.match_kind"
        ))
        .bind(self.actor.unit_id)
        .fetch_all(&self.store.pool)
        .await?;
        let mut by_unit: BTreeMap<i64, SpecialtyRate> = BTreeMap::new();
        for r in &rows {
            let kind = match_kind(&r.get::<String, _>(1))?;
            let n = r.get::<i64, _>(2).max(0) as u64;
            let e = by_unit.entry(r.get(0)).or_default();
            for _ in 0..n {
                e.record(kind);
            }
        }
        let unit_rows = units
            .iter()
            .map(|u| RateRow {
                id: u.id,
                name: u.name.clone(),
                rate: by_unit.get(&u.id).copied().unwrap_or_default(),
            })
            .collect();
        let command_of: HashMap<i64, i64> = units.iter().map(|u| (u.id, u.unit_id)).collect();
        let mut by_command: BTreeMap<i64, SpecialtyRate> = BTreeMap::new();
        for (u, r) in &by_unit {
            if let Some(c) = command_of.get(u) {
                *by_command.entry(*c).or_default() += *r;
            }
        }
        let rollup = self.roll_up_commands(&by_command).await?;
        Ok((unit_rows, rollup))
    }

    /// Sums per-command figures over each command's subtree in scope; commands with nothing are
    /// left out. In tree order (sort key of the command).
    async fn roll_up_commands(&self, by_command: &BTreeMap<i64, SpecialtyRate>) -> Result<Vec<RateRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT c.ancestor_id, c.descendant_id, o.name FROM org_closure c JOIN org_unit o ON o.id = c.ancestor_id \
             WHERE c.ancestor_id IN ({SCOPE_UNITS}) ORDER BY o.sort_key, o.id"
        ))
        .bind(self.actor.unit_id)
        .fetch_all(&self.store.pool)
        .await?;
        let mut order: Vec<(i64, String)> = Vec::new();
        let mut sums: HashMap<i64, SpecialtyRate> = HashMap::new();
        for r in &rows {
            let (a, d): (i64, i64) = (r.get(0), r.get(1));
            if order.last().map(|(id, _)| *id) != Some(a) && !sums.contains_key(&a) {
                order.push((a, r.get(2)));
                sums.insert(a, SpecialtyRate::default());
            }
            if let Some(rate) = by_command.get(&d) {
                *sums.get_mut(&a).expect("inserted above") += *rate;
            }
        }
        Ok(order
            .into_iter()
            .filter_map(|(id, name)| {
                let rate = sums[&id];
                (rate.assigned() > 0).then_some(RateRow { id, name, rate })
            })
            .collect())
    }

    // ----- equipment -------------------------------------------------------------------------

    /// Registers a piece of reserve equipment at a commune command in scope.
    pub async fn add_equipment(&self, n: NewEquipment) -> Result<Equipment, StoreError> {
        self.require(Permission::Write)?;
        let province = self.registry_unit(n.unit_id).await.map_err(|e| match e {
            StoreError::Invalid(_) => StoreError::Invalid(
                "Phương tiện kỹ thuật dự bị được đăng ký tại Ban Chỉ huy Quân sự cấp xã: hãy chọn đơn vị cấp xã."
                    .into(),
            ),
            e => e,
        })?;
        let owner = text(&n.owner, "chủ phương tiện", 200)?;
        let plate = text(&n.plate, "biển số hoặc số đăng ký", 40)?.to_uppercase();
        let capacity = opt_text(n.capacity.as_deref(), "trọng tải, sức chứa", 100)?;
        let mut w = self.begin_write(Permission::Write).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO reserve_equipment (unit_id, province_code, kind, owner, plate, capacity, condition, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(n.unit_id)
        .bind(&province)
        .bind(n.kind.as_str())
        .bind(&owner)
        .bind(&plate)
        .bind(&capacity)
        .bind(n.condition.as_str())
        .bind(crate::now_text())
        .fetch_one(&mut *w.tx)
        .await
        .map_err(|e| StoreError::unique_or(e, format!("Biển số {plate} đã được đăng ký trong tỉnh.")))?
        .get(0);
        w.audit(
            "create",
            "reserve_equipment",
            &id.to_string(),
            Some(n.unit_id),
            None,
            Some(&serde_json::json!({
                "kind": n.kind.as_str(), "owner": owner, "plate": plate, "capacity": capacity,
                "condition": n.condition.as_str()
            })),
        )
        .await?;
        w.commit().await?;
        self.equipment(id).await
    }

    async fn with_checks(&self, mut list: Vec<Equipment>, on: Date) -> Result<Vec<Equipment>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT k.equipment_id, k.checked_on, k.ready FROM equipment_check k \
             WHERE k.unit_id IN ({SCOPE_UNITS}) ORDER BY k.equipment_id, k.checked_on, k.id"
        ))
        .bind(self.actor.unit_id)
        .fetch_all(&self.store.pool)
        .await?;
        let mut latest: HashMap<i64, bool> = HashMap::new();
        for r in &rows {
            latest.insert(r.get(0), r.get::<i64, _>(2) != 0);
        }
        for e in &mut list {
            e.last_check_ready = latest.get(&e.id).copied();
            e.check_status = CheckStatus::of(e.last_check.zip(e.last_check_ready), on, CHECK_INTERVAL_DAYS);
        }
        Ok(list)
    }

    /// One piece of equipment in scope.
    pub async fn equipment(&self, id: i64) -> Result<Equipment, StoreError> {
        self.require(Permission::Read)?;
        let row = sqlx::query(&format!(
            "SELECT {EQUIPMENT_COLUMNS} FROM {EQUIPMENT_FROM} WHERE e.id = $2 AND e.unit_id IN ({SCOPE_UNITS})"
        ))
        .bind(self.actor.unit_id)
        .bind(id)
        .fetch_optional(&self.store.pool)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "Không tìm thấy phương tiện kỹ thuật dự bị số {id} trong phạm vi của bạn."
            ))
        })?;
        let list = self.with_checks(vec![equipment_row(&row)?], today()).await?;
        Ok(list.into_iter().next().expect("one row"))
    }

    /// Equipment in scope with its check status on `on`, by commune then plate.
    pub async fn equipment_list(&self, on: Date) -> Result<Vec<Equipment>, StoreError> {
        self.require(Permission::Read)?;
        let list = sqlx::query(&format!(
            "SELECT {EQUIPMENT_COLUMNS} FROM {EQUIPMENT_FROM} WHERE e.unit_id IN ({SCOPE_UNITS}) \
             ORDER BY o.sort_key, o.id, e.plate"
        ))
        .bind(self.actor.unit_id)
        .fetch_all(&self.store.pool)
        .await?
        .iter()
        .map(equipment_row)
        .collect::<Result<Vec<_>, _>>()?;
        self.with_checks(list, on).await
    }

    /// Equipment never checked, or whose latest check is older than [`CHECK_INTERVAL_DAYS`] on `on`.
    pub async fn equipment_checks_due(&self, on: Date) -> Result<Vec<Equipment>, StoreError> {
        Ok(self
            .equipment_list(on)
            .await?
            .into_iter()
            .filter(|e| e.check_status.due())
            .collect())
    }

    /// Records a readiness check (date, result, note).
    pub async fn record_equipment_check(
        &self,
        equipment_id: i64,
        checked_on: Date,
        ready: bool,
        note: Option<&str>,
    ) -> Result<EquipmentCheck, StoreError> {
        self.require(Permission::Write)?;
        let e = self.equipment(equipment_id).await?;
        if checked_on > today() {
            return Err(StoreError::Invalid(format!(
                "Ngày kiểm tra {} chưa tới.",
                vi_date(checked_on)
            )));
        }
        let note = opt_text(note, "ghi chú", 1000)?;
        let province: String = sqlx::query("SELECT province_code FROM reserve_equipment WHERE id = $1")
            .bind(e.id)
            .fetch_one(&self.store.pool)
            .await?
            .get(0);
        let mut w = self.begin_write(Permission::Write).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO equipment_check (equipment_id, unit_id, province_code, checked_on, ready, note, recorded_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(e.id)
        .bind(e.unit_id)
        .bind(&province)
        .bind(iso(checked_on))
        .bind(ready as i64)
        .bind(&note)
        .bind(&self.actor.username)
        .bind(crate::now_text())
        .fetch_one(&mut *w.tx)
        .await?
        .get(0);
        w.audit(
            "check",
            "reserve_equipment",
            &e.id.to_string(),
            Some(e.unit_id),
            None,
            Some(&serde_json::json!({"checked_on": iso(checked_on), "ready": ready, "note": note})),
        )
        .await?;
        w.commit().await?;
        Ok(EquipmentCheck {
            id,
            equipment_id: e.id,
            checked_on,
            ready,
            note,
            recorded_by: self.actor.username.clone(),
        })
    }

    /// The checks of a piece of equipment, newest first.
    pub async fn equipment_checks(&self, equipment_id: i64) -> Result<Vec<EquipmentCheck>, StoreError> {
        let e = self.equipment(equipment_id).await?;
        let rows = sqlx::query(
            "SELECT id, checked_on, ready, note, recorded_by FROM equipment_check WHERE equipment_id = $1 \
             ORDER BY checked_on DESC, id DESC",
        )
        .bind(e.id)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(EquipmentCheck {
                    id: r.get("id"),
                    equipment_id: e.id,
                    checked_on: date_col(r, "checked_on")?,
                    ready: r.get::<i64, _>("ready") != 0,
                    note: r.get("note"),
                    recorded_by: r.get("recorded_by"),
                })
            })
            .collect()
    }

    /// Sets a unit's need of one kind (0 removes it).
    pub async fn set_equipment_need(
        &self,
        reserve_unit_id: i64,
        kind: EquipmentKind,
        count: u32,
    ) -> Result<(), StoreError> {
        self.require(Permission::Write)?;
        let u = self.reserve_unit(reserve_unit_id).await?;
        if count > 10_000 {
            return Err(StoreError::Invalid(format!(
                "Số lượng {count} không hợp lệ (tối đa 10.000)."
            )));
        }
        let mut w = self.begin_write(Permission::Write).await?;
        let before: Option<(i64, i64)> =
            sqlx::query("SELECT id, need_count FROM equipment_need WHERE reserve_unit_id = $1 AND kind = $2")
                .bind(u.id)
                .bind(kind.as_str())
                .fetch_optional(&mut *w.tx)
                .await?
                .map(|r| (r.get(0), r.get(1)));
        let assigned: i64 = match before {
            Some((id, _)) => {
                sqlx::query("SELECT count(*) FROM equipment_assignment WHERE need_id = $1 AND ended_on IS NULL")
                    .bind(id)
                    .fetch_one(&mut *w.tx)
                    .await?
                    .get(0)
            }
            None => 0,
        };
        if (count as i64) < assigned {
            return Err(StoreError::Conflict(format!(
                "{} đã được giao {assigned} {}; hãy gỡ bớt phương tiện trước khi giảm nhu cầu xuống {count}.",
                u.name,
                kind.label_vi().to_lowercase()
            )));
        }
        let id = match before {
            Some((id, _)) => {
                sqlx::query("UPDATE equipment_need SET need_count = $1 WHERE id = $2")
                    .bind(count as i64)
                    .bind(id)
                    .execute(&mut *w.tx)
                    .await?;
                id
            }
            None => sqlx::query(
                "INSERT INTO equipment_need (reserve_unit_id, unit_id, province_code, kind, need_count, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(u.id)
            .bind(u.unit_id)
            .bind(&u.province_code)
            .bind(kind.as_str())
            .bind(count as i64)
            .bind(crate::now_text())
            .fetch_one(&mut *w.tx)
            .await?
            .get(0),
        };
        w.audit(
            "set_need",
            "equipment_need",
            &id.to_string(),
            Some(u.unit_id),
            before.map(|(_, c)| serde_json::json!({"count": c})).as_ref(),
            Some(&serde_json::json!({"reserve_unit_id": u.id, "kind": kind.as_str(), "count": count})),
        )
        .await?;
        w.commit().await
    }

    /// Needs in scope, of one unit or all.
    pub async fn equipment_needs(&self, reserve_unit_id: Option<i64>) -> Result<Vec<EquipmentNeedRecord>, StoreError> {
        self.require(Permission::Read)?;
        let cond = if reserve_unit_id.is_some() {
            " AND n.reserve_unit_id = $2"
        } else {
            ""
        };
        let sql = format!(
            "SELECT n.id, n.reserve_unit_id, ru.name, n.kind, n.need_count, \
             (SELECT count(*) FROM equipment_assignment a WHERE a.need_id = n.id AND a.ended_on IS NULL) AS assigned \
             FROM equipment_need n JOIN reserve_unit ru ON ru.id = n.reserve_unit_id \
             WHERE n.need_count > 0 AND n.unit_id IN ({SCOPE_UNITS}){cond} ORDER BY ru.name, ru.id, n.kind"
        );
        let mut q = sqlx::query(&sql).bind(self.actor.unit_id);
        if let Some(u) = reserve_unit_id {
            q = q.bind(u);
        }
        q.fetch_all(&self.store.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(EquipmentNeedRecord {
                    id: r.get(0),
                    reserve_unit_id: r.get(1),
                    reserve_unit_name: r.get(2),
                    kind: EquipmentKind::parse(&r.get::<String, _>(3)).map_err(|e| corrupt("loại", e))?,
                    count: r.get::<i64, _>(4).max(0) as u32,
                    assigned: r.get::<i64, _>(5).max(0) as u32,
                })
            })
            .collect()
    }

    /// Proposes equipment for the open needs in scope with the domain's matching (exact kind, then
    /// similar kind, within the unit's area; serviceable and not failed at its latest check;
    /// most recently checked first). Nothing is written.
    pub async fn propose_equipment(&self, on: Date) -> Result<Vec<EquipmentProposalRow>, StoreError> {
        let units = self.reserve_units().await?;
        let areas = self.areas(&units).await?;
        let needs = self.equipment_needs(None).await?;
        let mut free: Vec<Equipment> = self
            .equipment_list(on)
            .await?
            .into_iter()
            .filter(|e| e.assigned_unit.is_none())
            .collect();
        // Preference among equal matches: checked ready most recently first, then plate.
        free.sort_by(|a, b| {
            let key = |e: &Equipment| std::cmp::Reverse(e.last_check.filter(|_| e.last_check_ready == Some(true)));
            key(a).cmp(&key(b)).then_with(|| a.plate.cmp(&b.plate))
        });
        let items: Vec<EquipmentItem> = free
            .iter()
            .map(|e| EquipmentItem {
                id: e.id.to_string(),
                kind: e.kind,
                commune: e.unit_id.to_string(),
                serviceable: e.condition == EquipmentCondition::Good && e.last_check_ready != Some(false),
            })
            .collect();
        let domain_needs: Vec<EquipmentNeed> = needs
            .iter()
            .map(|n| EquipmentNeed {
                id: n.id.to_string(),
                kind: n.kind,
                count: n.count.saturating_sub(n.assigned),
                communes: areas
                    .get(&n.reserve_unit_id)
                    .map(|v| v.iter().map(i64::to_string).collect())
                    .unwrap_or_default(),
            })
            .collect();
        let m = match_equipment(&items, &domain_needs);
        let need_by_id: HashMap<String, &EquipmentNeedRecord> = needs.iter().map(|n| (n.id.to_string(), n)).collect();
        let mut out = Vec::with_capacity(free.len());
        for e in &free {
            let id = e.id.to_string();
            if let Some(p) = m.placements.iter().find(|p| p.equipment == id) {
                let n = need_by_id[&p.need];
                let how = match p.match_kind {
                    EquipmentMatch::Exact => format!("đúng loại {} đơn vị cần", n.kind.label_vi().to_lowercase()),
                    EquipmentMatch::Similar => format!(
                        "loại tương tự ({} thay cho {}) vì không còn phương tiện đúng loại trong địa bàn",
                        e.kind.label_vi().to_lowercase(),
                        n.kind.label_vi().to_lowercase()
                    ),
                };
                out.push(EquipmentProposalRow {
                    equipment_id: e.id,
                    plate: e.plate.clone(),
                    kind: e.kind,
                    need_id: Some(n.id),
                    reserve_unit_name: Some(n.reserve_unit_name.clone()),
                    need_kind: Some(n.kind),
                    match_kind: Some(p.match_kind),
                    explanation: format!(
                        "Giao cho {}: {how}; đăng ký tại {}, trong địa bàn của đơn vị; {}.",
                        n.reserve_unit_name,
                        e.commune_name,
                        e.check_status.label_vi().to_lowercase()
                    ),
                });
            } else if let Some(l) = m.left_out.iter().find(|l| l.equipment == id) {
                out.push(EquipmentProposalRow {
                    equipment_id: e.id,
                    plate: e.plate.clone(),
                    kind: e.kind,
                    need_id: None,
                    reserve_unit_name: None,
                    need_kind: None,
                    match_kind: None,
                    explanation: l.reason.clone(),
                });
            }
        }
        out.sort_by_key(|r| r.need_id.is_none());
        Ok(out)
    }

    /// Saves equipment assignments (equipment id, need id) from `on`, all or nothing, after the
    /// ledger check (a piece of equipment holds one assignment at a time).
    pub async fn accept_equipment(&self, picks: &[(i64, i64)], on: Date) -> Result<usize, StoreError> {
        self.require(Permission::Write)?;
        if picks.is_empty() {
            return Err(StoreError::Invalid("Hãy chọn ít nhất một phương tiện.".into()));
        }
        let units = self.reserve_units().await?;
        let areas = self.areas(&units).await?;
        let needs = self.equipment_needs(None).await?;
        let mut checked = Vec::new();
        for &(eid, nid) in picks {
            let e = self.equipment(eid).await?;
            let n = needs.iter().find(|n| n.id == nid).ok_or_else(|| {
                StoreError::NotFound(format!("Không tìm thấy nhu cầu số {nid} trong phạm vi của bạn."))
            })?;
            let kind = EquipmentMatch::of(e.kind, n.kind).ok_or_else(|| {
                StoreError::Invalid(format!(
                    "{} ({}) không cùng loại hoặc loại tương tự với nhu cầu {} của {}.",
                    e.plate,
                    e.kind.label_vi(),
                    n.kind.label_vi().to_lowercase(),
                    n.reserve_unit_name
                ))
            })?;
            if !areas.get(&n.reserve_unit_id).is_some_and(|a| a.contains(&e.unit_id)) {
                return Err(StoreError::Invalid(format!(
                    "{} đăng ký tại {}, ngoài địa bàn của {}.",
                    e.plate, e.commune_name, n.reserve_unit_name
                )));
            }
            if e.condition != EquipmentCondition::Good {
                return Err(StoreError::Invalid(format!(
                    "{} đang ở tình trạng \"{}\", không sắp xếp được.",
                    e.plate,
                    e.condition.label_vi()
                )));
            }
            let u = units
                .iter()
                .find(|u| u.id == n.reserve_unit_id)
                .expect("need of a unit in scope");
            checked.push((e, n, u, kind));
        }
        let mut w = self.begin_write(Permission::Write).await?;
        let mut taken: HashMap<i64, u32> = HashMap::new();
        for (_, n, u, _) in &checked {
            let open = "SELECT count(*) FROM equipment_assignment WHERE need_id = $1 AND ended_on IS NULL";
            if !claim(&mut w.tx, &mut taken, open, n.id, n.count).await? {
                return Err(StoreError::Conflict(format!(
                    "Nhu cầu {} của {} đã đủ {} phương tiện.",
                    n.kind.label_vi().to_lowercase(),
                    u.name,
                    n.count
                )));
            }
        }
        for (e, n, u, kind) in &checked {
            let existing = ledger_entries_for_equipment(&mut w.tx, e.id).await?;
            let proposed = LedgerEntry {
                id: "equipment:new".into(),
                subject: Subject::Equipment(e.id.to_string()),
                kind: LedgerKind::ReserveEquipment,
                holder: u.name.clone(),
                from: on,
                until: None,
            };
            if let Some(msg) = first_conflict(&existing, &proposed, &format!("phương tiện {}", e.plate)) {
                return Err(StoreError::Conflict(msg));
            }
            let id: i64 = sqlx::query(
                "INSERT INTO equipment_assignment (equipment_id, need_id, reserve_unit_id, unit_id, province_code, \
                 match_kind, assigned_on, assigned_by, assigned_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 RETURNING id",
            )
            .bind(e.id)
            .bind(n.id)
            .bind(u.id)
            .bind(u.unit_id)
            .bind(&u.province_code)
            .bind(kind.as_str())
            .bind(iso(on))
            .bind(&self.actor.username)
            .bind(crate::now_text())
            .fetch_one(&mut *w.tx)
            .await
            .map_err(|err| StoreError::unique_or(err, format!("Phương tiện {} đã được giao cho một đơn vị.", e.plate)))?
            .get(0);
            w.audit(
                "create",
                "equipment_assignment",
                &id.to_string(),
                Some(u.unit_id),
                None,
                Some(&serde_json::json!({
                    "equipment_id": e.id, "need_id": n.id, "match": kind.as_str(), "assigned_on": iso(on)
                })),
            )
            .await?;
        }
        w.commit().await?;
        Ok(checked.len())
    }

    /// Active equipment assignments in scope.
    pub async fn equipment_assignments(&self) -> Result<Vec<EquipmentAssignment>, StoreError> {
        self.require(Permission::Read)?;
        sqlx::query(&format!(
            "SELECT a.id, a.equipment_id, e.plate, e.kind AS ekind, a.need_id, n.kind AS nkind, a.reserve_unit_id, \
             ru.name, a.match_kind, a.assigned_on, a.assigned_by FROM equipment_assignment a \
             JOIN reserve_equipment e ON e.id = a.equipment_id JOIN equipment_need n ON n.id = a.need_id \
             JOIN reserve_unit ru ON ru.id = a.reserve_unit_id \
             WHERE a.ended_on IS NULL AND a.unit_id IN ({SCOPE_UNITS}) ORDER BY ru.name, ru.id, e.plate"
        ))
        .bind(self.actor.unit_id)
        .fetch_all(&self.store.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(EquipmentAssignment {
                id: r.get("id"),
                equipment_id: r.get("equipment_id"),
                plate: r.get("plate"),
                equipment_kind: EquipmentKind::parse(&r.get::<String, _>("ekind")).map_err(|e| corrupt("loại", e))?,
                need_id: r.get("need_id"),
                need_kind: EquipmentKind::parse(&r.get::<String, _>("nkind")).map_err(|e| corrupt("loại", e))?,
                reserve_unit_id: r.get("reserve_unit_id"),
                reserve_unit_name: r.get("name"),
                match_kind: EquipmentMatch::parse(&r.get::<String, _>("match_kind"))
                    .ok_or_else(|| corrupt("mức phù hợp", r.get::<String, _>("match_kind")))?,
                assigned_on: date_col(r, "assigned_on")?,
                assigned_by: r.get("assigned_by"),
            })
        })
        .collect()
    }

    // ----- dashboard -------------------------------------------------------------------------

    /// Per command in scope, over its subtree: active militia members, reservists by class,
    /// assigned reservists, seats and the đúng CNQS rate. Commands with nothing are left out.
    pub async fn forces_rollup(&self) -> Result<Vec<ForcesRollupRow>, StoreError> {
        self.require(Permission::Read)?;
        let pool = &self.store.pool;
        let me = self.actor.unit_id;
        // Per owning command (unit_id): one grouped query per figure.
        let militia = sqlx::query(&format!(
            "SELECT unit_id, count(*) FROM militia_member WHERE left_on IS NULL AND unit_id IN ({SCOPE_UNITS}) \
             GROUP BY unit_id"
        ))
        .bind(me)
        .fetch_all(pool)
        .await?;
        let reservists = sqlx::query(&format!(
            "SELECT unit_id, reserve_class, count(*) FROM reservist WHERE unit_id IN ({SCOPE_UNITS}) \
             GROUP BY unit_id, reserve_class"
        ))
        .bind(me)
        .fetch_all(pool)
        .await?;
        let assigned = sqlx::query(&format!(
            "SELECT r.unit_id, a.match_kind, count(*) FROM reserve_assignment a JOIN reservist r ON r.id = a.reservist_id \
             WHERE a.ended_on IS NULL AND a.unit_id IN ({SCOPE_UNITS}) GROUP BY r.unit_id, a.match_kind"
        ))
        .bind(me)
        .fetch_all(pool)
        .await?;
        let seats = sqlx::query(&format!(
            "SELECT p.unit_id, p.staff_count, ru.spare_percent FROM reserve_position p \
             JOIN reserve_unit ru ON ru.id = p.reserve_unit_id WHERE p.unit_id IN ({SCOPE_UNITS})"
        ))
        .bind(me)
        .fetch_all(pool)
        .await?;
        #[derive(Default, Clone, Copy)]
        struct Figures {
            militia: i64,
            class1: i64,
            class2: i64,
            seats: i64,
            rate: SpecialtyRate,
        }
        let mut own: HashMap<i64, Figures> = HashMap::new();
        for r in &militia {
            own.entry(r.get(0)).or_default().militia += r.get::<i64, _>(1);
        }
        for r in &reservists {
            let f = own.entry(r.get(0)).or_default();
            match ReservistClass::parse(&r.get::<String, _>(1)).map_err(|e| corrupt("hạng", e))? {
                ReservistClass::Class1 => f.class1 += r.get::<i64, _>(2),
                ReservistClass::Class2 => f.class2 += r.get::<i64, _>(2),
            }
        }
        for r in &assigned {
            let kind = match_kind(&r.get::<String, _>(1))?;
            let n = r.get::<i64, _>(2).max(0) as u64;
            let rate = &mut own.entry(r.get(0)).or_default().rate;
            match kind {
                MatchKind::Exact => rate.exact += n,
                MatchKind::Near => rate.near += n,
                MatchKind::Other => rate.other += n,
            }
        }
        for r in &seats {
            let c = r.get::<i64, _>(1).max(0) as u32;
            let s = r.get::<i64, _>(2).max(0) as u32;
            own.entry(r.get(0)).or_default().seats += seats_with_spare(c, s) as i64;
        }
        let closure = sqlx::query(&format!(
            "SELECT c.ancestor_id, c.descendant_id, o.name, o.kind FROM org_closure c \
             JOIN org_unit o ON o.id = c.ancestor_id WHERE c.ancestor_id IN ({SCOPE_UNITS}) ORDER BY o.sort_key, o.id"
        ))
        .bind(me)
        .fetch_all(pool)
        .await?;
        let mut order: Vec<(i64, String, String)> = Vec::new();
        let mut sums: HashMap<i64, Figures> = HashMap::new();
        for r in &closure {
            let (a, d): (i64, i64) = (r.get(0), r.get(1));
            sums.entry(a).or_insert_with(|| {
                order.push((a, r.get(2), r.get(3)));
                Figures::default()
            });
            if let Some(f) = own.get(&d) {
                let s = sums.get_mut(&a).expect("inserted above");
                s.militia += f.militia;
                s.class1 += f.class1;
                s.class2 += f.class2;
                s.seats += f.seats;
                s.rate += f.rate;
            }
        }
        order
            .into_iter()
            .filter_map(|(id, name, kind)| {
                let f = sums[&id];
                (f.militia + f.class1 + f.class2 + f.seats > 0).then_some((id, name, kind, f))
            })
            .map(|(id, name, kind, f)| {
                Ok(ForcesRollupRow {
                    unit_id: id,
                    name,
                    kind: OrgKind::parse(&kind).map_err(|e| corrupt("loại đơn vị", e))?,
                    militia_members: f.militia,
                    reservists_class_1: f.class1,
                    reservists_class_2: f.class2,
                    reservists_assigned: f.rate.assigned() as i64,
                    seats: f.seats,
                    rate: f.rate,
                })
            })
            .collect()
    }
}

/// What [`crate::Store::generate_forces_bench`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ForcesBenchData {
    pub citizens: i64,
    pub militia_members: i64,
    pub reservists: i64,
    pub assignments: i64,
}

impl crate::db::Store {
    /// Benchmark data only (`phongthu bench forces`; never on a real database): spreads
    /// `militia` militia members and `reservists` reservists (new citizens, "Bench" names) over the
    /// given commune commands, with one militia platoon, one mobilisation unit with two positions
    /// per commune and four in five reservists assigned. Written in bulk with one statement per
    /// table and commune, without audit entries, so that a province-sized data set is made in
    /// seconds; the dashboards read it like any other data.
    pub async fn generate_forces_bench(
        &self,
        commune_command_ids: &[i64],
        militia: i64,
        reservists: i64,
    ) -> Result<ForcesBenchData, StoreError> {
        if commune_command_ids.is_empty() {
            return Err(StoreError::Invalid(
                "Cần ít nhất một Ban Chỉ huy Quân sự cấp xã.".into(),
            ));
        }
        let n = commune_command_ids.len() as i64;
        let now = crate::now_text();
        let mut tx = self.writer.begin().await?;
        let mut out = ForcesBenchData {
            citizens: 0,
            militia_members: 0,
            reservists: 0,
            assignments: 0,
        };
        for (k, &unit) in commune_command_ids.iter().enumerate() {
            let k = k as i64;
            let province: String = sqlx::query("SELECT province_code FROM org_unit WHERE id = $1")
                .bind(unit)
                .fetch_one(&mut *tx)
                .await?
                .get::<Option<String>, _>(0)
                .unwrap_or_default();
            let m = militia / n + i64::from(k < militia % n);
            let r = reservists / n + i64::from(k < reservists % n);
            let tag = format!("bench-{unit}-");
            // Citizens: m for the militia, then r for the reserve; national ids are unique tags.
            let series = "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $1)";
            let before: i64 = sqlx::query("SELECT COALESCE(max(id), 0) FROM citizen")
                .fetch_one(&mut *tx)
                .await?
                .get(0);
            sqlx::query(&format!(
                "{series} INSERT INTO citizen (unit_id, province_code, national_id, full_name, name_folded, sort_key, \
                 birth_date, birth_year, sex, party_member, union_member, created_at, updated_at) \
                 SELECT $2, $3, $4 || CAST(i AS TEXT), 'Bench ' || CAST(i AS TEXT), 'bench ' || CAST(i AS TEXT), \
                 'bench' || CAST(i AS TEXT), CAST(1986 + (i % 20) AS TEXT) || '-03-15', 1986 + (i % 20), \
                 CASE WHEN i % 7 = 0 THEN 'female' ELSE 'male' END, 0, 0, $5, $5 FROM s"
            ))
            .bind(m + r)
            .bind(unit)
            .bind(&province)
            .bind(&tag)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            crate::citizens::index_name_words(&mut tx, self.backend(), before + 1, i64::MAX).await?;
            let mu: i64 = sqlx::query(
                "INSERT INTO militia_unit (unit_id, province_code, force_type, kind, echelon, name, created_at) \
                 VALUES ($1, $2, 'militia', 'mobile', 'company', $3, $4) RETURNING id",
            )
            .bind(unit)
            .bind(&province)
            .bind(format!("Đại đội dân quân cơ động (bench {unit})"))
            .bind(&now)
            .fetch_one(&mut *tx)
            .await?
            .get(0);
            // The first m citizens of the commune (by their tag number) join the militia.
            sqlx::query(
                "INSERT INTO militia_member (militia_unit_id, unit_id, province_code, citizen_id, volunteer, joined_on, \
                 term_years, extension_months, created_at) \
                 SELECT $1, $2, $3, c.id, 0, '2025-01-01', 4, 0, $4 FROM citizen c \
                 WHERE c.unit_id = $2 AND c.national_id LIKE $5 AND c.id < (SELECT min(id) FROM citizen \
                 WHERE unit_id = $2 AND national_id LIKE $5) + $6",
            )
            .bind(mu)
            .bind(unit)
            .bind(&province)
            .bind(&now)
            .bind(format!("{tag}%"))
            .bind(m)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO reservist (citizen_id, unit_id, province_code, reserve_class, specialty, military_rank, \
                 registered_on, created_at) \
                 SELECT c.id, $1, $2, CASE WHEN c.id % 3 = 0 THEN 'class_2' ELSE 'class_1' END, \
                 CASE WHEN c.id % 2 = 0 THEN '1A' ELSE '2B' END, 'Trung sĩ', '2024-01-01', $3 FROM citizen c \
                 WHERE c.unit_id = $1 AND c.national_id LIKE $4 AND c.id >= (SELECT min(id) FROM citizen \
                 WHERE unit_id = $1 AND national_id LIKE $4) + $5",
            )
            .bind(unit)
            .bind(&province)
            .bind(&now)
            .bind(format!("{tag}%"))
            .bind(m)
            .execute(&mut *tx)
            .await?;
            let ru: i64 = sqlx::query(
                "INSERT INTO reserve_unit (unit_id, province_code, name, combat, spare_percent, created_at) \
                 VALUES ($1, $2, $3, 0, 10, $4) RETURNING id",
            )
            .bind(unit)
            .bind(&province)
            .bind(format!("Tiểu đoàn dự bị (bench {unit})"))
            .bind(&now)
            .fetch_one(&mut *tx)
            .await?
            .get(0);
            let mut positions = vec![];
            for spec in ["1A", "2B"] {
                let p: i64 = sqlx::query(
                    "INSERT INTO reserve_position (reserve_unit_id, unit_id, province_code, title, specialty, \
                     staff_count, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(ru)
                .bind(unit)
                .bind(&province)
                .bind(format!("Chiến sĩ {spec}"))
                .bind(spec)
                .bind(r / 2 + 1)
                .bind(&now)
                .fetch_one(&mut *tx)
                .await?
                .get(0);
                positions.push((spec, p));
            }
            // Four in five reservists assigned: most on their own specialty, every third crosswise.
            for (spec, p) in &positions {
                sqlx::query(
                    "INSERT INTO reserve_assignment (reservist_id, position_id, reserve_unit_id, unit_id, province_code, \
                     match_kind, assigned_on, assigned_by, assigned_at) \
                     SELECT r.id, $1, $2, $3, $4, CASE WHEN r.specialty = $5 THEN 'exact' ELSE 'other' END, \
                     '2025-01-01', 'bench', $6 FROM reservist r WHERE r.unit_id = $3 AND r.id % 5 <> 0 \
                     AND ((r.specialty = $5 AND r.id % 3 <> 0) OR (r.specialty <> $5 AND r.id % 3 = 0))",
                )
                .bind(p)
                .bind(ru)
                .bind(unit)
                .bind(&province)
                .bind(*spec)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        let count = |sql: &'static str| async move {
            Ok::<i64, StoreError>(sqlx::query(sql).fetch_one(&self.pool).await?.get(0))
        };
        out.citizens = count("SELECT count(*) FROM citizen WHERE national_id LIKE 'bench-%'").await?;
        out.militia_members = count("SELECT count(*) FROM militia_member WHERE left_on IS NULL").await?;
        out.reservists = count("SELECT count(*) FROM reservist").await?;
        out.assignments = count("SELECT count(*) FROM reserve_assignment WHERE ended_on IS NULL").await?;
        Ok(out)
    }
}

impl crate::db::Store {
    /// Collects the planner's statistics (`ANALYZE`) on both backends. The forces bench measures
    /// the dashboards before (right after a bulk load, as PostgreSQL's autovacuum has not analysed
    /// the new rows yet) and after.
    pub async fn analyze(&self) -> Result<(), StoreError> {
        sqlx::query("ANALYZE").execute(&self.pool).await?;
        Ok(())
    }
}

/// Reservists' citizens (in the actor's scope) with a militia record that may be active on `on`, or
/// approved for a call-up: a coarse pre-filter; the ledger then decides for each.
async fn held_citizens(conn: &mut sqlx::AnyConnection, actor_unit: i64, on: Date) -> Result<HashSet<i64>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT m.citizen_id FROM militia_member m JOIN reservist r ON r.citizen_id = m.citizen_id \
         WHERE r.unit_id IN ({SCOPE_UNITS}) AND m.joined_on <= $2 AND (m.left_on IS NULL OR m.left_on >= $2) \
         UNION SELECT n.citizen_id FROM nvqs_candidate n JOIN reservist r ON r.citizen_id = n.citizen_id \
         WHERE r.unit_id IN ({SCOPE_UNITS}) AND n.stage IN ('approved_official', 'approved_reserve', \
         'call_up_issued', 'handed_over', 'confirmed')"
    ))
    .bind(actor_unit)
    .bind(iso(on))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(|r| r.get::<i64, _>(0)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spare_seats_round_up() {
        assert_eq!(seats_with_spare(10, 10), 11);
        assert_eq!(seats_with_spare(10, 15), 12);
        assert_eq!(seats_with_spare(3, 10), 4);
        assert_eq!(seats_with_spare(20, 15), 23);
        assert_eq!(seats_with_spare(0, 15), 0);
    }
}
