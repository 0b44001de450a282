//! Militia and self-defence units, their members and yearly training (Luật DQTV
//! 48/2019; law brief §3).
//!
//! The rules live in `phongthu_domain::militia`: which echelons suit which kind, the age limits by
//! sex, the term (4 years, 2 for standing militia), the legal training days per year and the
//! mobilisation ledger (one assignment per person at a time). This module stores what is decided
//! and asks the domain every question.
//!
//! - A militia unit belongs to a commune command (force: militia) or an agency command (force:
//!   self-defence) in the actor's scope.
//! - A member is a citizen of the registry, in scope. For a commune's militia the citizen must be
//!   filed under that commune: militia are organised where people live (Art. 2.1). Self-defence
//!   members work in the agency and may live anywhere in scope.
//! - A person holds at most one active militia record (the ledger check, with a unique index as a
//!   backstop against concurrent writes).

use crate::citizens::today;
use crate::dates::{iso, parse_iso, ser_date, ser_opt_date, vi_date};
use crate::error::StoreError;
use crate::scope::{Scoped, SCOPE_UNITS};
use phongthu_domain::auth::Permission;
use phongthu_domain::militia::{
    check_age, conflicts, end_of_term_list, member_shortfall, AgeCheck, CommanderPost, Echelon, EndOfTerm, EndReason,
    ForceType, LedgerEntry, LedgerKind, MilitiaKind, MilitiaMember, Subject, TrainingShortfall, UnitTraining,
};
use phongthu_domain::nvqs::Sex;
use phongthu_domain::org::OrgKind;
use serde::Serialize;
use sqlx::Row;
use time::{Date, Month};

/// The most training days a year can hold (standing militia train 60; more is a typing error).
const MAX_TRAINING_DAYS: u32 = 366;

/// A new militia or self-defence unit.
#[derive(Debug, Clone)]
pub struct NewMilitiaUnit {
    /// The commune command (militia) or agency command (self-defence) it belongs to.
    pub unit_id: i64,
    pub kind: MilitiaKind,
    pub echelon: Echelon,
    pub name: String,
}

/// A militia or self-defence unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MilitiaUnit {
    pub id: i64,
    pub unit_id: i64,
    /// The owning command's name.
    pub command_name: String,
    pub province_code: String,
    pub force: ForceType,
    pub kind: MilitiaKind,
    pub echelon: Echelon,
    pub name: String,
    pub created_at: String,
    /// Members who have not left.
    pub active_members: i64,
}

impl MilitiaUnit {
    /// "Trung đội dân quân cơ động" style label of kind and echelon.
    pub fn label_vi(&self) -> String {
        format!("{} – {}", self.echelon.label_vi(), self.kind.full_label_vi(self.force))
    }
}

/// A citizen joining a unit.
#[derive(Debug, Clone)]
pub struct NewMilitiaMember {
    pub militia_unit_id: i64,
    pub citizen_id: i64,
    pub post: Option<CommanderPost>,
    /// Serves voluntarily up to the volunteer age limit.
    pub volunteer: bool,
    pub joined_on: Date,
}

/// A member as stored, with the citizen's name and the dates the domain derives.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MilitiaMemberRecord {
    pub id: i64,
    pub militia_unit_id: i64,
    pub militia_unit_name: String,
    /// The owning command (scope).
    pub unit_id: i64,
    pub citizen_id: i64,
    /// The citizen's 12-digit national ID, when the registry has it.
    pub national_id: Option<String>,
    pub full_name: String,
    #[serde(serialize_with = "ser_date")]
    pub birth_date: Date,
    pub sex: Sex,
    pub force: ForceType,
    pub kind: MilitiaKind,
    pub post: Option<CommanderPost>,
    pub volunteer: bool,
    #[serde(serialize_with = "ser_date")]
    pub joined_on: Date,
    pub term_years: i64,
    pub extension_months: u32,
    #[serde(serialize_with = "ser_opt_date")]
    pub extended_until: Option<Date>,
    #[serde(serialize_with = "ser_opt_date")]
    pub left_on: Option<Date>,
    /// Last day of service (term with extension, or the age limit) and why.
    #[serde(serialize_with = "ser_date")]
    pub service_end: Date,
    pub end_reason: EndReason,
}

impl MilitiaMemberRecord {
    /// The domain's view of the member.
    pub fn domain(&self) -> MilitiaMember {
        MilitiaMember {
            id: self.id.to_string(),
            full_name: self.full_name.clone(),
            force: self.force,
            kind: self.kind,
            sex: self.sex,
            birth_date: self.birth_date,
            volunteer: self.volunteer,
            post: self.post,
            start_date: self.joined_on,
            extension_months: self.extension_months,
        }
    }

    pub fn post_label_vi(&self) -> &'static str {
        self.post
            .map(|p| p.label_vi(self.kind == MilitiaKind::Maritime))
            .unwrap_or("Chiến sĩ")
    }

    pub fn joined_on_vi(&self) -> String {
        vi_date(self.joined_on)
    }

    pub fn service_end_vi(&self) -> String {
        vi_date(self.service_end)
    }

    pub fn birth_date_vi(&self) -> String {
        vi_date(self.birth_date)
    }
}

/// One member's training in a year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberShortfall {
    pub member: MilitiaMemberRecord,
    pub shortfall: TrainingShortfall,
}

/// A unit's training in a year: every member serving that year, and the domain's summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MilitiaShortfalls {
    pub year: i32,
    pub summary: UnitTraining,
    /// Every member serving in the year, in name order.
    pub members: Vec<MemberShortfall>,
}

impl MilitiaShortfalls {
    /// Members still missing days, most missing first (the domain's order).
    pub fn short(&self) -> Vec<&MemberShortfall> {
        self.summary
            .short
            .iter()
            .filter_map(|s| self.members.iter().find(|m| m.shortfall.member_id == s.member_id))
            .collect()
    }
}

const UNIT_COLUMNS: &str = "mu.id, mu.unit_id, o.name AS command_name, mu.province_code, mu.force_type, mu.kind, \
     mu.echelon, mu.name, mu.created_at, \
     (SELECT count(*) FROM militia_member m WHERE m.militia_unit_id = mu.id AND m.left_on IS NULL) AS active_members";

fn corrupt(what: &str, e: String) -> StoreError {
    StoreError::Incompatible(format!("Dữ liệu dân quân tự vệ không đọc được ({what}): {e}"))
}

fn unit_row(r: &sqlx::any::AnyRow) -> Result<MilitiaUnit, StoreError> {
    Ok(MilitiaUnit {
        id: r.get("id"),
        unit_id: r.get("unit_id"),
        command_name: r.get("command_name"),
        province_code: r.get("province_code"),
        force: ForceType::parse(&r.get::<String, _>("force_type")).map_err(|e| corrupt("lực lượng", e))?,
        kind: MilitiaKind::parse(&r.get::<String, _>("kind")).map_err(|e| corrupt("loại", e))?,
        echelon: Echelon::parse(&r.get::<String, _>("echelon")).map_err(|e| corrupt("cấp", e))?,
        name: r.get("name"),
        created_at: r.get("created_at"),
        active_members: r.get("active_members"),
    })
}

const MEMBER_COLUMNS: &str = "m.id, m.militia_unit_id, mu.name AS militia_unit_name, m.unit_id, m.citizen_id, \
     c.national_id, c.full_name, c.birth_date, c.sex, mu.force_type, mu.kind, m.post, m.volunteer, m.joined_on, m.term_years, \
     m.extension_months, m.extended_until, m.left_on, c.sort_key";

const MEMBER_FROM: &str =
    "militia_member m JOIN militia_unit mu ON mu.id = m.militia_unit_id JOIN citizen c ON c.id = m.citizen_id";

fn date_col(r: &sqlx::any::AnyRow, col: &str) -> Result<Date, StoreError> {
    let s: String = r.get(col);
    parse_iso(&s).ok_or_else(|| corrupt(col, s))
}

fn opt_date_col(r: &sqlx::any::AnyRow, col: &str) -> Result<Option<Date>, StoreError> {
    r.get::<Option<String>, _>(col)
        .map(|s| parse_iso(&s).ok_or_else(|| corrupt(col, s)))
        .transpose()
}

fn member_row(r: &sqlx::any::AnyRow) -> Result<MilitiaMemberRecord, StoreError> {
    let mut m = MilitiaMemberRecord {
        id: r.get("id"),
        militia_unit_id: r.get("militia_unit_id"),
        militia_unit_name: r.get("militia_unit_name"),
        unit_id: r.get("unit_id"),
        citizen_id: r.get("citizen_id"),
        national_id: r.get("national_id"),
        full_name: r.get("full_name"),
        birth_date: date_col(r, "birth_date")?,
        sex: Sex::parse(&r.get::<String, _>("sex")).ok_or_else(|| corrupt("giới tính", r.get("sex")))?,
        force: ForceType::parse(&r.get::<String, _>("force_type")).map_err(|e| corrupt("lực lượng", e))?,
        kind: MilitiaKind::parse(&r.get::<String, _>("kind")).map_err(|e| corrupt("loại", e))?,
        post: r
            .get::<Option<String>, _>("post")
            .map(|p| CommanderPost::parse(&p).map_err(|e| corrupt("chức vụ", e)))
            .transpose()?,
        volunteer: r.get::<i64, _>("volunteer") != 0,
        joined_on: date_col(r, "joined_on")?,
        term_years: r.get("term_years"),
        extension_months: r.get::<i64, _>("extension_months").max(0) as u32,
        extended_until: opt_date_col(r, "extended_until")?,
        left_on: opt_date_col(r, "left_on")?,
        service_end: Date::MIN,
        end_reason: EndReason::TermCompleted,
    };
    let (end, reason) = m.domain().service_end();
    m.service_end = end;
    m.end_reason = reason;
    Ok(m)
}

fn year_bounds(year: i32) -> Result<(Date, Date), StoreError> {
    if !(1990..=2100).contains(&year) {
        return Err(StoreError::Invalid(format!("Năm {year} không hợp lệ.")));
    }
    let first = Date::from_calendar_date(year, Month::January, 1).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let last = Date::from_calendar_date(year, Month::December, 31).map_err(|e| StoreError::Invalid(e.to_string()))?;
    Ok((first, last))
}

/// Whether the member serves at some time in `year`.
fn serves_in(m: &MilitiaMemberRecord, first: Date, last: Date) -> bool {
    let end = m.left_on.map_or(m.service_end, |l| l.min(m.service_end));
    m.joined_on <= last && end >= first
}

/// Which check of a new membership refused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A commune's militia member must be filed under that commune.
    Residence,
    /// Under 18 or over the age limit on the day of joining.
    Age,
    /// The commander post does not suit the unit's echelon.
    Post,
}

/// The facts of a citizen that the checks of a new membership read.
pub(crate) struct Joiner<'a> {
    pub full_name: &'a str,
    pub birth_date: Date,
    pub sex: Sex,
    /// The registry unit (commune command) the citizen is filed under.
    pub unit_id: i64,
}

/// The checks of a new membership that need no database, shared by the form and the import:
/// militia are organised where people live (the citizen must be filed under the unit's commune),
/// the age limits by sex (obligation or volunteer), and a commander post must suit the unit's
/// echelon. Returns the last day of service (term or age limit), or which check refused and the
/// Vietnamese reason.
pub(crate) fn check_new_member(
    unit: &MilitiaUnit,
    c: &Joiner<'_>,
    post: Option<CommanderPost>,
    volunteer: bool,
    joined_on: Date,
) -> Result<Date, (Refusal, String)> {
    let residence = |m: String| (Refusal::Residence, m);
    let age = |m: String| (Refusal::Age, m);
    if unit.force == ForceType::Militia && c.unit_id != unit.unit_id {
        return Err(residence(format!(
            "{} không thuộc sổ đăng ký của {}: dân quân được tổ chức tại nơi cư trú.",
            c.full_name, unit.command_name
        )));
    }
    match check_age(c.birth_date, c.sex, volunteer, joined_on) {
        AgeCheck::Ok => {}
        AgeCheck::TooYoung { age: years } => {
            return Err(age(format!(
                "{} mới {years} tuổi vào ngày {}: chưa đủ 18 tuổi để tham gia dân quân tự vệ.",
                c.full_name,
                vi_date(joined_on)
            )))
        }
        AgeCheck::OverLimit { age: years, limit } => {
            let hint = if volunteer {
                ""
            } else {
                " (nếu tình nguyện, hãy đánh dấu tình nguyện để xét theo giới hạn tuổi tình nguyện)"
            };
            return Err(age(format!(
                "{} đã {years} tuổi vào ngày {}: quá giới hạn hết {limit} tuổi của {} {}{hint}.",
                c.full_name,
                vi_date(joined_on),
                c.sex.label_vi(),
                if volunteer {
                    "tình nguyện"
                } else {
                    "thực hiện nghĩa vụ"
                }
            )));
        }
    }
    if let Some(post) = post {
        if let Some(e) = post.echelon() {
            if e.level() != unit.echelon.level() {
                return Err((
                    Refusal::Post,
                    format!(
                        "Chức vụ {} không phù hợp với {}.",
                        post.label_vi(unit.kind == MilitiaKind::Maritime),
                        unit.echelon.label_vi().to_lowercase()
                    ),
                ));
            }
        }
    }
    let proposed = MilitiaMember {
        id: "new".into(),
        full_name: c.full_name.to_string(),
        force: unit.force,
        kind: unit.kind,
        sex: c.sex,
        birth_date: c.birth_date,
        volunteer,
        post,
        start_date: joined_on,
        extension_months: 0,
    };
    Ok(proposed.service_end().0)
}

/// The mobilisation ledger entry of a proposed membership (from joining to the last day).
pub(crate) fn militia_entry(unit: &MilitiaUnit, citizen_id: i64, joined_on: Date, last_day: Date) -> LedgerEntry {
    LedgerEntry {
        id: "militia:new".into(),
        subject: Subject::Person(citizen_id.to_string()),
        kind: LedgerKind::Militia,
        holder: unit.name.clone(),
        from: joined_on,
        until: Some(last_day),
    }
}

impl Scoped<'_> {
    /// Creates a unit under a commune command (militia) or an agency command (self-defence) in
    /// scope.
    pub async fn create_militia_unit(&self, n: NewMilitiaUnit) -> Result<MilitiaUnit, StoreError> {
        self.require(Permission::Write)?;
        let name = n.name.trim().to_string();
        if name.is_empty() {
            return Err(StoreError::Invalid("Hãy nhập tên đơn vị dân quân tự vệ.".into()));
        }
        if name.chars().count() > 200 {
            return Err(StoreError::Invalid("Tên đơn vị dài quá 200 ký tự.".into()));
        }
        let command = self.org_unit(n.unit_id).await?;
        let (force, province) = match command.kind {
            OrgKind::CommuneCommand => (ForceType::Militia, self.registry_unit(n.unit_id).await?),
            OrgKind::AgencyCommand => (
                ForceType::SelfDefense,
                command.province_code.clone().filter(|p| !p.is_empty()).ok_or_else(|| {
                    StoreError::Invalid(format!("Không xác định được tỉnh của {}.", command.name))
                })?,
            ),
            _ => {
                return Err(StoreError::Invalid(
                    "Đơn vị dân quân phải thuộc một Ban Chỉ huy Quân sự cấp xã; đơn vị tự vệ thuộc Ban Chỉ huy quân sự cơ quan, tổ chức.".into(),
                ))
            }
        };
        if !n.kind.allowed_for(force) {
            return Err(StoreError::Invalid(format!(
                "Loại {} không tổ chức trong lực lượng {}.",
                n.kind.label_vi(),
                force.label_vi().to_lowercase()
            )));
        }
        if !n.echelon.allowed_for(n.kind) {
            return Err(StoreError::Invalid(format!(
                "Không tổ chức {} cho loại {}.",
                n.echelon.label_vi().to_lowercase(),
                n.kind.label_vi()
            )));
        }
        let mut w = self.begin_write(Permission::Write).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO militia_unit (unit_id, province_code, force_type, kind, echelon, name, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(n.unit_id)
        .bind(&province)
        .bind(force.as_str())
        .bind(n.kind.as_str())
        .bind(n.echelon.as_str())
        .bind(&name)
        .bind(crate::now_text())
        .fetch_one(&mut *w.tx)
        .await
        .map_err(|e| StoreError::unique_or(e, format!("{} đã có đơn vị tên \"{name}\".", command.name)))?
        .get(0);
        w.audit(
            "create",
            "militia_unit",
            &id.to_string(),
            Some(n.unit_id),
            None,
            Some(&serde_json::json!({
                "name": name, "force": force.as_str(), "kind": n.kind.as_str(), "echelon": n.echelon.as_str()
            })),
        )
        .await?;
        w.commit().await?;
        self.militia_unit(id).await
    }

    /// One unit in scope; NotFound otherwise (a unit outside the scope is not revealed).
    pub async fn militia_unit(&self, id: i64) -> Result<MilitiaUnit, StoreError> {
        self.require(Permission::Read)?;
        let row = sqlx::query(&format!(
            "SELECT {UNIT_COLUMNS} FROM militia_unit mu JOIN org_unit o ON o.id = mu.unit_id \
             WHERE mu.id = $2 AND mu.unit_id IN ({SCOPE_UNITS})"
        ))
        .bind(self.actor.unit_id)
        .bind(id)
        .fetch_optional(&self.store.pool)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "Không tìm thấy đơn vị dân quân tự vệ số {id} trong phạm vi của bạn."
            ))
        })?;
        unit_row(&row)
    }

    /// Units in scope, by command then name.
    pub async fn militia_units(&self) -> Result<Vec<MilitiaUnit>, StoreError> {
        self.require(Permission::Read)?;
        sqlx::query(&format!(
            "SELECT {UNIT_COLUMNS} FROM militia_unit mu JOIN org_unit o ON o.id = mu.unit_id \
             WHERE mu.unit_id IN ({SCOPE_UNITS}) ORDER BY o.sort_key, o.id, mu.name, mu.id"
        ))
        .bind(self.actor.unit_id)
        .fetch_all(&self.store.pool)
        .await?
        .iter()
        .map(unit_row)
        .collect()
    }

    /// Adds a citizen of the registry to a unit, after the domain's age and ledger checks.
    pub async fn add_member(&self, n: NewMilitiaMember) -> Result<MilitiaMemberRecord, StoreError> {
        self.require(Permission::Write)?;
        let unit = self.militia_unit(n.militia_unit_id).await?;
        phongthu_domain::dates::check_past_event("Ngày vào đơn vị", n.joined_on, today())
            .map_err(StoreError::Invalid)?;
        let citizen = self.citizen(n.citizen_id).await?;
        let joiner = Joiner {
            full_name: &citizen.full_name,
            birth_date: citizen.birth_date,
            sex: citizen.sex,
            unit_id: citizen.unit_id,
        };
        let last_day = check_new_member(&unit, &joiner, n.post, n.volunteer, n.joined_on)
            .map_err(|(_, reason)| StoreError::Invalid(reason))?;
        let term_years = phongthu_domain::militia::term_years(unit.kind) as i64;

        let mut w = self.begin_write(Permission::Write).await?;
        // The ledger: every assignment of the person — militia records in any unit, reserve
        // assignments, call-ups — read in the transaction, so a concurrent add of the same person
        // queues behind this one.
        let existing = crate::reserve::ledger_entries_for_citizen(&mut w.tx, self.actor.unit_id, citizen.id).await?;
        let entry = militia_entry(&unit, citizen.id, n.joined_on, last_day);
        if let Some(c) = conflicts(&existing, &entry).into_iter().next() {
            return Err(StoreError::Conflict(c.to_string()));
        }
        let id: i64 = sqlx::query(
            "INSERT INTO militia_member (militia_unit_id, unit_id, province_code, citizen_id, post, volunteer, \
             joined_on, term_years, extension_months, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9) \
             RETURNING id",
        )
        .bind(unit.id)
        .bind(unit.unit_id)
        .bind(&unit.province_code)
        .bind(citizen.id)
        .bind(n.post.map(|p| p.as_str()))
        .bind(n.volunteer as i64)
        .bind(iso(n.joined_on))
        .bind(term_years)
        .bind(crate::now_text())
        .fetch_one(&mut *w.tx)
        .await
        .map_err(|e| {
            StoreError::unique_or(
                e,
                format!(
                    "{} đang là thành viên dân quân tự vệ ở một đơn vị khác.",
                    citizen.full_name
                ),
            )
        })?
        .get(0);
        w.audit(
            "create",
            "militia_member",
            &id.to_string(),
            Some(unit.unit_id),
            None,
            Some(&serde_json::json!({
                "militia_unit_id": unit.id, "citizen_id": citizen.id, "post": n.post.map(|p| p.as_str()),
                "volunteer": n.volunteer, "joined_on": iso(n.joined_on), "term_years": term_years
            })),
        )
        .await?;
        w.commit().await?;
        self.militia_member(id).await
    }

    /// One member in scope.
    pub async fn militia_member(&self, id: i64) -> Result<MilitiaMemberRecord, StoreError> {
        self.require(Permission::Read)?;
        let row = sqlx::query(&format!(
            "SELECT {MEMBER_COLUMNS} FROM {MEMBER_FROM} WHERE m.id = $2 AND m.unit_id IN ({SCOPE_UNITS})"
        ))
        .bind(self.actor.unit_id)
        .bind(id)
        .fetch_optional(&self.store.pool)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "Không tìm thấy thành viên dân quân tự vệ số {id} trong phạm vi của bạn."
            ))
        })?;
        member_row(&row)
    }

    /// Members of a unit in scope (including those who left), in Vietnamese name order.
    pub async fn members(&self, militia_unit_id: i64) -> Result<Vec<MilitiaMemberRecord>, StoreError> {
        let unit = self.militia_unit(militia_unit_id).await?;
        sqlx::query(&format!(
            "SELECT {MEMBER_COLUMNS} FROM {MEMBER_FROM} WHERE m.militia_unit_id = $2 AND m.unit_id IN ({SCOPE_UNITS}) \
             ORDER BY c.sort_key, m.id"
        ))
        .bind(self.actor.unit_id)
        .bind(unit.id)
        .fetch_all(&self.store.pool)
        .await?
        .iter()
        .map(member_row)
        .collect()
    }

    /// Members who have not left, of one unit in scope or of every unit in scope (the Excel
    /// export), by unit then Vietnamese name order.
    pub async fn active_militia_members(
        &self,
        militia_unit_id: Option<i64>,
    ) -> Result<Vec<MilitiaMemberRecord>, StoreError> {
        self.require(Permission::Read)?;
        if let Some(id) = militia_unit_id {
            self.militia_unit(id).await?;
        }
        let unit_cond = if militia_unit_id.is_some() {
            " AND m.militia_unit_id = $2"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM {MEMBER_FROM} JOIN org_unit o ON o.id = m.unit_id \
             WHERE m.unit_id IN ({SCOPE_UNITS}) AND m.left_on IS NULL{unit_cond} \
             ORDER BY o.sort_key, o.id, mu.name, mu.id, c.sort_key, m.id"
        );
        let mut q = sqlx::query(&sql).bind(self.actor.unit_id);
        if let Some(id) = militia_unit_id {
            q = q.bind(id);
        }
        q.fetch_all(&self.store.pool).await?.iter().map(member_row).collect()
    }

    /// Records that a member left the unit on `left_on` (ends the ledger entry).
    pub async fn member_leaves(&self, member_id: i64, left_on: Date) -> Result<MilitiaMemberRecord, StoreError> {
        self.require(Permission::Write)?;
        let m = self.militia_member(member_id).await?;
        if m.left_on.is_some() {
            return Err(StoreError::Conflict(format!("{} đã ra khỏi đơn vị.", m.full_name)));
        }
        if left_on < m.joined_on {
            return Err(StoreError::Invalid(format!(
                "Ngày ra khỏi đơn vị {} trước ngày vào {}.",
                vi_date(left_on),
                m.joined_on_vi()
            )));
        }
        let mut w = self.begin_write(Permission::Write).await?;
        sqlx::query("UPDATE militia_member SET left_on = $1 WHERE id = $2 AND left_on IS NULL")
            .bind(iso(left_on))
            .bind(m.id)
            .execute(&mut *w.tx)
            .await?;
        w.audit(
            "leave",
            "militia_member",
            &m.id.to_string(),
            Some(m.unit_id),
            Some(&serde_json::json!({"left_on": null})),
            Some(&serde_json::json!({"left_on": iso(left_on)})),
        )
        .await?;
        w.commit().await?;
        self.militia_member(member_id).await
    }

    /// Extends a member's term to `total_months` of extension, within the domain's rules.
    pub async fn extend_member(&self, member_id: i64, total_months: u32) -> Result<MilitiaMemberRecord, StoreError> {
        self.require(Permission::Write)?;
        let m = self.militia_member(member_id).await?;
        if m.left_on.is_some() {
            return Err(StoreError::Invalid(format!("{} đã ra khỏi đơn vị.", m.full_name)));
        }
        let d = m.domain();
        d.check_extension(total_months)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let until = (total_months > 0).then(|| d.term_last_day(total_months));
        let mut w = self.begin_write(Permission::Write).await?;
        sqlx::query("UPDATE militia_member SET extension_months = $1, extended_until = $2 WHERE id = $3")
            .bind(total_months as i64)
            .bind(until.map(iso))
            .bind(m.id)
            .execute(&mut *w.tx)
            .await?;
        w.audit(
            "extend",
            "militia_member",
            &m.id.to_string(),
            Some(m.unit_id),
            Some(&serde_json::json!({"extension_months": m.extension_months})),
            Some(&serde_json::json!({"extension_months": total_months, "extended_until": until.map(iso)})),
        )
        .await?;
        w.commit().await?;
        self.militia_member(member_id).await
    }

    /// Records the days a member attended in `year` (replaces an earlier figure).
    pub async fn record_training(&self, member_id: i64, year: i32, days: u32) -> Result<(), StoreError> {
        self.require(Permission::Write)?;
        let (first, last) = year_bounds(year)?;
        let m = self.militia_member(member_id).await?;
        if days > MAX_TRAINING_DAYS {
            return Err(StoreError::Invalid(format!(
                "Số ngày huấn luyện {days} không hợp lệ (tối đa {MAX_TRAINING_DAYS})."
            )));
        }
        if !serves_in(&m, first, last) {
            return Err(StoreError::Invalid(format!(
                "{} không phục vụ trong năm {year} (vào đơn vị ngày {}).",
                m.full_name,
                m.joined_on_vi()
            )));
        }
        let province: String = sqlx::query("SELECT province_code FROM militia_member WHERE id = $1")
            .bind(m.id)
            .fetch_one(&self.store.pool)
            .await?
            .get(0);
        let mut w = self.begin_write(Permission::Write).await?;
        let before: Option<i64> = sqlx::query("SELECT days FROM militia_training WHERE member_id = $1 AND year = $2")
            .bind(m.id)
            .bind(year as i64)
            .fetch_optional(&mut *w.tx)
            .await?
            .map(|r| r.get(0));
        // Upsert: same syntax on SQLite (≥ 3.24) and PostgreSQL.
        sqlx::query(
            "INSERT INTO militia_training (member_id, year, unit_id, province_code, days, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (member_id, year) DO UPDATE SET days = excluded.days, updated_at = excluded.updated_at",
        )
        .bind(m.id)
        .bind(year as i64)
        .bind(m.unit_id)
        .bind(&province)
        .bind(days as i64)
        .bind(crate::now_text())
        .execute(&mut *w.tx)
        .await?;
        w.audit(
            "record_training",
            "militia_member",
            &m.id.to_string(),
            Some(m.unit_id),
            before.map(|d| serde_json::json!({"year": year, "days": d})).as_ref(),
            Some(&serde_json::json!({"year": year, "days": days})),
        )
        .await?;
        w.commit().await
    }

    /// Training of the members serving in `year`, for one unit in scope or the whole scope.
    async fn training_in(&self, militia_unit_id: Option<i64>, year: i32) -> Result<MilitiaShortfalls, StoreError> {
        self.require(Permission::Read)?;
        let (first, last) = year_bounds(year)?;
        let unit_cond = if militia_unit_id.is_some() {
            " AND m.militia_unit_id = $3"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {MEMBER_COLUMNS}, t.days FROM {MEMBER_FROM} \
             LEFT JOIN militia_training t ON t.member_id = m.id AND t.year = $2 \
             WHERE m.unit_id IN ({SCOPE_UNITS}){unit_cond} ORDER BY c.sort_key, m.id"
        );
        let mut query = sqlx::query(&sql).bind(self.actor.unit_id).bind(year as i64);
        if let Some(u) = militia_unit_id {
            query = query.bind(u);
        }
        let rows = query.fetch_all(&self.store.pool).await?;
        let mut members = Vec::with_capacity(rows.len());
        for r in &rows {
            let m = member_row(r)?;
            if !serves_in(&m, first, last) {
                continue;
            }
            let days = r.get::<Option<i64>, _>("days").unwrap_or(0).max(0) as u32;
            let shortfall = member_shortfall(&m.domain(), year, days);
            members.push(MemberShortfall { member: m, shortfall });
        }
        let domain: Vec<(MilitiaMember, u32)> = members
            .iter()
            .map(|s| (s.member.domain(), s.shortfall.attended))
            .collect();
        let summary = phongthu_domain::militia::unit_shortfall(domain.iter().map(|(m, d)| (m, *d)), year);
        Ok(MilitiaShortfalls { year, summary, members })
    }

    /// A unit's training in `year`: every member serving that year with the legal days.
    pub async fn unit_training(&self, militia_unit_id: i64, year: i32) -> Result<MilitiaShortfalls, StoreError> {
        let unit = self.militia_unit(militia_unit_id).await?;
        self.training_in(Some(unit.id), year).await
    }

    /// Members in scope who have not trained the legal days of `year`, most missing first.
    pub async fn shortfalls(&self, year: i32) -> Result<Vec<MemberShortfall>, StoreError> {
        let t = self.training_in(None, year).await?;
        Ok(t.short().into_iter().cloned().collect())
    }

    /// Active members in scope whose service ends in `year` (term or age limit), by date then name.
    pub async fn end_of_term(&self, year: i32) -> Result<Vec<EndOfTerm>, StoreError> {
        self.require(Permission::Read)?;
        let (first, last) = year_bounds(year)?;
        let rows = sqlx::query(&format!(
            "SELECT {MEMBER_COLUMNS} FROM {MEMBER_FROM} WHERE m.unit_id IN ({SCOPE_UNITS}) AND m.left_on IS NULL"
        ))
        .bind(self.actor.unit_id)
        .fetch_all(&self.store.pool)
        .await?;
        let members: Vec<MilitiaMember> = rows
            .iter()
            .map(|r| member_row(r).map(|m| m.domain()))
            .collect::<Result<_, _>>()?;
        Ok(end_of_term_list(&members, first, last))
    }

    /// This year, for pages that default to it.
    pub fn current_year(&self) -> i32 {
        today().year()
    }
}
