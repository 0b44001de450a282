//! Defence and security education (giáo dục quốc phòng và an ninh; Luật GDQPAN 30/2013, law brief
//! §5): trainee-category settings, cadres who must be trained, courses, each person's attendance,
//! result and certificate, the list of cadres without a valid certificate for their category (the
//! domain's `lacking_certificates`) with its roll-up per unit, and the import of cadres and course
//! results from rows with Vietnamese headers.
//!
//! - Settings belong to a unit (usually the provincial command) and apply to its subtree; a unit
//!   without its own uses the nearest ancestor's, and the domain's defaults when none has any. How
//!   long a certificate counts is UNCONFIRMED in law, so it is a setting (default: no expiry).
//! - A cadre belongs to a unit in scope. One person, one record: a cadre is linked to the citizen
//!   of the registry when one is known (by id, or by national ID number in scope); a citizen, a
//!   national ID number, or a name with a birth date is never on two cadre records.
//! - A course belongs to the organising unit; an enrolment is visible to whoever sees the course
//!   or the cadre, and written by whoever sees both.
//! - Whether completion blocks an appointment is UNCONFIRMED (brief §5): nothing here blocks
//!   anything; the list only flags missing or expired certificates.

use crate::citizens::{header_key, import_summary_vi, match_columns, ImportMode, KnownColumn, RowError, SourceRow};
use crate::dates::{iso, parse_iso, ser_date, ser_opt_date, vi_date};
use crate::error::StoreError;
use crate::scope::{Scoped, WriteTx, SCOPE_UNITS};
use phongthu_domain::auth::Permission;
use phongthu_domain::militia::education::{
    default_categories, lacking_certificates, Cadre as DomainCadre, Certificate, CertificateGap,
    Course as DomainCourse, TraineeCategory,
};
use phongthu_domain::nvqs::citizen_id;
use phongthu_domain::territory::Territory;
use phongthu_domain::text;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::{HashMap, HashSet};
use time::Date;

/// At most this many data rows per import file (a province's cadre list is far below).
pub const EDU_IMPORT_MAX_ROWS: u64 = 20_000;

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Incompatible(format!(
        "Dữ liệu giáo dục quốc phòng và an ninh không đọc được ({what}): {e}"
    ))
}

/// A trimmed, non-empty text of at most `max` characters.
fn required_text(v: &str, what: &str, max: usize) -> Result<String, String> {
    let v = v.trim();
    if v.is_empty() {
        return Err(format!("{what} không được để trống."));
    }
    if v.chars().count() > max {
        return Err(format!("{what} dài quá {max} ký tự."));
    }
    Ok(v.to_string())
}

fn optional_text(v: Option<&str>, what: &str, max: usize) -> Result<Option<String>, String> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => required_text(s, what, max).map(Some),
    }
}

fn check_category(n: u8) -> Result<u8, String> {
    if (1..=4).contains(&n) {
        Ok(n)
    } else {
        Err(format!("Đối tượng {n} không hợp lệ: chỉ có đối tượng 1 đến 4."))
    }
}

/// "3", "Đối tượng 3", "ĐT3", "đt 3" → 3.
pub fn parse_category(v: &str) -> Result<u8, String> {
    let digits: String = text::fold(v).chars().filter(|c| !c.is_whitespace()).collect();
    let digits = digits
        .trim_start_matches("doituong")
        .trim_start_matches("dt")
        .trim_start_matches("loai");
    match digits.parse::<u8>() {
        Ok(n) => check_category(n),
        Err(_) => Err(format!(
            "Đối tượng \"{}\" không hợp lệ: ghi số 1, 2, 3 hoặc 4 (ví dụ \"3\" hoặc \"Đối tượng 3\").",
            v.trim()
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Settings

/// The settings in force for a unit: the trainee categories.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EduSettings {
    /// The unit whose saved settings apply; None when the defaults apply.
    pub source_unit_id: Option<i64>,
    pub source_unit_name: Option<String>,
    pub categories: Vec<TraineeCategory>,
}

impl EduSettings {
    fn defaults() -> EduSettings {
        EduSettings {
            source_unit_id: None,
            source_unit_name: None,
            categories: default_categories(),
        }
    }

    /// The label of a category ("Đối tượng 3" by default).
    pub fn label(&self, n: u8) -> String {
        self.categories
            .iter()
            .find(|c| c.number == n)
            .map(|c| c.label_vi.clone())
            .unwrap_or_else(|| format!("Đối tượng {n}"))
    }
}

// ---------------------------------------------------------------------------------------------
// Cadres

/// A new cadre. With `citizen_id`, the name, birth date and national ID come from the registry.
#[derive(Debug, Clone, Default)]
pub struct NewCadre {
    pub unit_id: i64,
    pub citizen_id: Option<i64>,
    pub full_name: String,
    pub birth_date: Option<Date>,
    pub national_id: Option<String>,
    /// Chức vụ.
    pub position: String,
    /// Cơ quan, đơn vị công tác.
    pub agency: String,
    pub category: u8,
    pub note: Option<String>,
}

/// The fields of a cadre's post that may be changed after entry: the managing unit, the post,
/// the agency, the trainee category and the note. The name, birth date and national ID are the
/// person's (from the registry when linked) and are not edited here.
#[derive(Debug, Clone, Default)]
pub struct CadreUpdate {
    /// The managing unit (in scope).
    pub unit_id: i64,
    /// Chức vụ.
    pub position: String,
    /// Cơ quan, đơn vị công tác.
    pub agency: String,
    pub category: u8,
    pub note: Option<String>,
}

/// A cadre as stored (name, birth date and national ID from the registry when linked).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CadreRecord {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub province_code: String,
    pub citizen_id: Option<i64>,
    pub full_name: String,
    #[serde(serialize_with = "ser_opt_date")]
    pub birth_date: Option<Date>,
    pub national_id: Option<String>,
    pub position: String,
    pub agency: String,
    pub category: u8,
    pub note: Option<String>,
    #[serde(serialize_with = "ser_opt_date")]
    pub left_on: Option<Date>,
}

impl CadreRecord {
    pub fn birth_date_vi(&self) -> String {
        self.birth_date.map(vi_date).unwrap_or_default()
    }

    fn active_on(&self, on: Date) -> bool {
        self.left_on.is_none_or(|l| l > on)
    }
}

const CADRE_COLUMNS: &str = "k.id, k.unit_id, o.name AS unit_name, k.province_code, k.citizen_id, \
     COALESCE(c.full_name, k.full_name) AS full_name, COALESCE(c.birth_date, k.birth_date) AS birth_date, \
     COALESCE(c.national_id, k.national_id) AS national_id, k.position, k.agency, k.category, k.note, k.left_on, \
     COALESCE(c.sort_key, k.sort_key) AS sort_key";

const CADRE_FROM: &str = "edu_cadre k JOIN org_unit o ON o.id = k.unit_id LEFT JOIN citizen c ON c.id = k.citizen_id";

fn opt_date(r: &AnyRow, col: &str) -> Result<Option<Date>, StoreError> {
    r.get::<Option<String>, _>(col)
        .map(|s| parse_iso(&s).ok_or_else(|| corrupt(col, s)))
        .transpose()
}

fn date(r: &AnyRow, col: &str) -> Result<Date, StoreError> {
    let s: String = r.get(col);
    parse_iso(&s).ok_or_else(|| corrupt(col, s))
}

fn category_col(r: &AnyRow, col: &str) -> Result<u8, StoreError> {
    let n: i64 = r.get(col);
    u8::try_from(n)
        .ok()
        .filter(|n| (1..=4).contains(n))
        .ok_or_else(|| corrupt("đối tượng", n))
}

fn cadre_row(r: &AnyRow) -> Result<CadreRecord, StoreError> {
    Ok(CadreRecord {
        id: r.get("id"),
        unit_id: r.get("unit_id"),
        unit_name: r.get("unit_name"),
        province_code: r.get("province_code"),
        citizen_id: r.get("citizen_id"),
        full_name: r.get("full_name"),
        birth_date: opt_date(r, "birth_date")?,
        national_id: r.get("national_id"),
        position: r.get("position"),
        agency: r.get("agency"),
        category: category_col(r, "category")?,
        note: r.get("note"),
        left_on: opt_date(r, "left_on")?,
    })
}

/// A cadre checked and ready to insert.
#[derive(Debug, Clone)]
struct PreparedCadre {
    unit_id: i64,
    province_code: String,
    citizen_id: Option<i64>,
    full_name: String,
    birth_date: Option<Date>,
    national_id: Option<String>,
    position: String,
    agency: String,
    category: u8,
    note: Option<String>,
}

/// The checked fields of a new cadre.
struct CheckedCadre {
    full_name: String,
    national_id: Option<String>,
    position: String,
    agency: String,
    category: u8,
    note: Option<String>,
}

/// Field checks of a new cadre; the refusals as (field, reason) pairs.
fn check_cadre_fields(n: &NewCadre, birth_date: Option<Date>) -> Result<CheckedCadre, Vec<(CadreField, String)>> {
    let mut errs = vec![];
    let mut take = |field: CadreField, r: Result<String, String>| match r {
        Ok(v) => v,
        Err(e) => {
            errs.push((field, e));
            String::new()
        }
    };
    let full_name = take(CadreField::FullName, required_text(&n.full_name, "Họ và tên", 200));
    let position = take(CadreField::Position, required_text(&n.position, "Chức vụ", 200));
    let agency = take(
        CadreField::Agency,
        required_text(&n.agency, "Cơ quan, đơn vị công tác", 300),
    );
    if let Some(b) = birth_date {
        if let Err(e) = phongthu_domain::dates::check_past_event("Ngày sinh", b, crate::citizens::today()) {
            errs.push((CadreField::BirthDate, e));
        }
    }
    let mut national_id = None;
    if let Some(v) = n.national_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        match citizen_id::parse(v) {
            Err(e) => errs.push((CadreField::NationalId, format!("Số định danh cá nhân: {e}."))),
            Ok(id) => match birth_date {
                Some(b) if id.birth_year() != b.year() => errs.push((
                    CadreField::NationalId,
                    format!(
                        "Số định danh cá nhân ứng với năm sinh {}, không khớp với ngày sinh {}.",
                        id.birth_year(),
                        vi_date(b)
                    ),
                )),
                _ => national_id = Some(id.as_str().to_string()),
            },
        }
    }
    if let Err(e) = check_category(n.category) {
        errs.push((CadreField::Category, e));
    }
    let note = match optional_text(n.note.as_deref(), "Ghi chú", 1000) {
        Ok(v) => v,
        Err(e) => {
            errs.push((CadreField::Note, e));
            None
        }
    };
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(CheckedCadre {
        full_name,
        national_id,
        position,
        agency,
        category: n.category,
        note,
    })
}

impl WriteTx<'_> {
    /// Why this person may not get a new cadre record (one person, one record), read in the
    /// write transaction so that concurrent writers queue behind it.
    async fn cadre_duplicate(&mut self, actor_unit: i64, p: &PreparedCadre) -> Result<Option<String>, StoreError> {
        let describe = |r: &AnyRow, scoped: bool| -> String {
            if scoped {
                format!(
                    "{} đã có hồ sơ cán bộ (số {}) tại {}: mỗi người chỉ có một hồ sơ.",
                    r.get::<String, _>("full_name"),
                    r.get::<i64, _>("id"),
                    r.get::<String, _>("unit_name")
                )
            } else {
                "Người này đã có hồ sơ cán bộ ở một đơn vị ngoài phạm vi của bạn: mỗi người chỉ có một hồ sơ.".into()
            }
        };
        let scope_flag = format!("CAST(CASE WHEN k.unit_id IN ({SCOPE_UNITS}) THEN 1 ELSE 0 END AS BIGINT) AS scoped");
        if let Some(cid) = p.citizen_id {
            let row = sqlx::query(&format!(
                "SELECT {CADRE_COLUMNS}, {scope_flag} FROM {CADRE_FROM} WHERE k.citizen_id = $2"
            ))
            .bind(actor_unit)
            .bind(cid)
            .fetch_optional(&mut *self.tx)
            .await?;
            if let Some(r) = row {
                return Ok(Some(describe(&r, r.get::<i64, _>("scoped") != 0)));
            }
        }
        if let Some(nid) = &p.national_id {
            let row = sqlx::query(&format!(
                "SELECT {CADRE_COLUMNS}, {scope_flag} FROM {CADRE_FROM} WHERE k.national_id = $2 OR c.national_id = $2"
            ))
            .bind(actor_unit)
            .bind(nid)
            .fetch_optional(&mut *self.tx)
            .await?;
            if let Some(r) = row {
                return Ok(Some(describe(&r, r.get::<i64, _>("scoped") != 0)));
            }
        }
        if let Some(b) = p.birth_date {
            // Same name and birth date in scope: most likely the same person.
            let row = sqlx::query(&format!(
                "SELECT {CADRE_COLUMNS}, CAST(1 AS BIGINT) AS scoped FROM {CADRE_FROM} WHERE k.unit_id IN ({SCOPE_UNITS}) \
                 AND COALESCE(c.name_folded, k.name_folded) = $2 AND COALESCE(c.birth_date, k.birth_date) = $3"
            ))
            .bind(actor_unit)
            .bind(text::fold(&p.full_name))
            .bind(iso(b))
            .fetch_optional(&mut *self.tx)
            .await?;
            if let Some(r) = row {
                return Ok(Some(format!(
                    "{} sinh ngày {} đã có hồ sơ cán bộ (số {}) tại {}: mỗi người chỉ có một hồ sơ.",
                    r.get::<String, _>("full_name"),
                    vi_date(b),
                    r.get::<i64, _>("id"),
                    r.get::<String, _>("unit_name")
                )));
            }
        }
        Ok(None)
    }

    async fn insert_cadre(&mut self, p: &PreparedCadre, source: Option<&str>) -> Result<i64, StoreError> {
        let now = crate::now_text();
        let id: i64 = sqlx::query(
            "INSERT INTO edu_cadre (unit_id, province_code, citizen_id, full_name, name_folded, sort_key, birth_date, \
             national_id, position, agency, category, note, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        )
        .bind(p.unit_id)
        .bind(&p.province_code)
        .bind(p.citizen_id)
        .bind(&p.full_name)
        .bind(text::fold(&p.full_name))
        .bind(text::person_collation_key(&p.full_name))
        .bind(p.birth_date.map(iso))
        .bind(p.national_id.clone())
        .bind(&p.position)
        .bind(&p.agency)
        .bind(p.category as i64)
        .bind(p.note.clone())
        .bind(&now)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(|e| StoreError::unique_or(e, "Người này đã có hồ sơ cán bộ: mỗi người chỉ có một hồ sơ."))?
        .get(0);
        self.audit(
            "create",
            "edu_cadre",
            &id.to_string(),
            Some(p.unit_id),
            None,
            Some(&serde_json::json!({
                "citizen_id": p.citizen_id, "full_name": p.full_name, "birth_date": p.birth_date.map(iso),
                "national_id": p.national_id, "position": p.position, "agency": p.agency,
                "category": p.category, "note": p.note, "source": source
            })),
        )
        .await?;
        Ok(id)
    }
}

// ---------------------------------------------------------------------------------------------
// Courses and enrolments

#[derive(Debug, Clone)]
pub struct NewCourse {
    /// The organising unit.
    pub unit_id: i64,
    pub name: String,
    pub category: u8,
    /// Trường Quân sự tỉnh, Học viện Quốc phòng, ...
    pub provider: String,
    pub place: Option<String>,
    pub start: Date,
    pub end: Date,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CourseRecord {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub province_code: String,
    pub name: String,
    pub category: u8,
    pub provider: String,
    pub place: Option<String>,
    #[serde(serialize_with = "ser_date")]
    pub start: Date,
    #[serde(serialize_with = "ser_date")]
    pub end: Date,
    pub enrolled: i64,
    pub attended: i64,
    pub certified: i64,
}

impl CourseRecord {
    pub fn dates_vi(&self) -> String {
        format!("{} – {}", vi_date(self.start), vi_date(self.end))
    }
}

const COURSE_COLUMNS: &str = "co.id, co.unit_id, o.name AS unit_name, co.province_code, co.name, co.category, \
     co.provider, co.place, co.start_on, co.end_on, \
     (SELECT count(*) FROM edu_enrolment e WHERE e.course_id = co.id) AS enrolled, \
     (SELECT count(*) FROM edu_enrolment e WHERE e.course_id = co.id AND e.attended = 1) AS attended, \
     (SELECT count(*) FROM edu_enrolment e WHERE e.course_id = co.id AND e.certificate_date IS NOT NULL) AS certified";

fn course_row(r: &AnyRow) -> Result<CourseRecord, StoreError> {
    Ok(CourseRecord {
        id: r.get("id"),
        unit_id: r.get("unit_id"),
        unit_name: r.get("unit_name"),
        province_code: r.get("province_code"),
        name: r.get("name"),
        category: category_col(r, "category")?,
        provider: r.get("provider"),
        place: r.get("place"),
        start: date(r, "start_on")?,
        end: date(r, "end_on")?,
        enrolled: r.get("enrolled"),
        attended: r.get("attended"),
        certified: r.get("certified"),
    })
}

/// The result of a course. The grading scale is UNCONFIRMED (TT 172/2020/TT-BQP was not
/// retrieved); these are the grades commonly written on course reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CourseResult {
    Excellent,
    Good,
    Pass,
    Fail,
}

impl CourseResult {
    pub const ALL: [CourseResult; 4] = [
        CourseResult::Excellent,
        CourseResult::Good,
        CourseResult::Pass,
        CourseResult::Fail,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CourseResult::Excellent => "excellent",
            CourseResult::Good => "good",
            CourseResult::Pass => "pass",
            CourseResult::Fail => "fail",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            CourseResult::Excellent => "Giỏi",
            CourseResult::Good => "Khá",
            CourseResult::Pass => "Đạt",
            CourseResult::Fail => "Không đạt",
        }
    }

    /// The stored code or the Vietnamese label (any case, with or without diacritics).
    pub fn parse(v: &str) -> Option<CourseResult> {
        let k: String = text::fold(v).chars().filter(|c| c.is_alphanumeric()).collect();
        CourseResult::ALL
            .into_iter()
            .find(|r| {
                r.as_str() == v.trim()
                    || k == text::fold(r.label_vi())
                        .chars()
                        .filter(|c| c.is_alphanumeric())
                        .collect::<String>()
            })
            .or(match k.as_str() {
                "xuatsac" => Some(CourseResult::Excellent),
                "trungbinh" | "tb" | "hoanthanh" => Some(CourseResult::Pass),
                "khonghoanthanh" | "truot" => Some(CourseResult::Fail),
                _ => None,
            })
    }
}

/// Attendance, result and certificate of one person on a course.
#[derive(Debug, Clone, Default)]
pub struct Attendance {
    pub cadre_id: i64,
    pub attended: bool,
    pub result: Option<CourseResult>,
    pub certificate_number: Option<String>,
    pub certificate_date: Option<Date>,
}

/// A person on a course.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnrolmentRecord {
    pub course_id: i64,
    pub cadre: CadreRecord,
    pub attended: bool,
    pub result: Option<CourseResult>,
    pub certificate_number: Option<String>,
    #[serde(serialize_with = "ser_opt_date")]
    pub certificate_date: Option<Date>,
}

impl EnrolmentRecord {
    pub fn result_vi(&self) -> &'static str {
        self.result.map(CourseResult::label_vi).unwrap_or("")
    }

    pub fn certificate_date_vi(&self) -> String {
        self.certificate_date.map(vi_date).unwrap_or_default()
    }
}

/// A certificate a cadre holds, with its course.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CertificateRecord {
    pub course_id: i64,
    pub course_name: String,
    pub category: u8,
    pub provider: String,
    pub number: Option<String>,
    #[serde(serialize_with = "ser_date")]
    pub issued_on: Date,
}

/// Checks an attendance against its course (reasons in Vietnamese, per field).
fn check_attendance(a: &Attendance, course: &CourseRecord) -> Vec<(CadreField, String)> {
    let mut errs = vec![];
    if !a.attended && (a.result.is_some() || a.certificate_date.is_some()) {
        errs.push((
            CadreField::Attended,
            "Người không tham gia khóa học thì không có kết quả hay giấy chứng nhận.".into(),
        ));
    }
    match (&a.certificate_number, a.certificate_date) {
        (Some(_), None) => errs.push((
            CadreField::CertificateDate,
            "Có số giấy chứng nhận thì phải có ngày cấp.".into(),
        )),
        (None, Some(_)) => errs.push((
            CadreField::CertificateNumber,
            "Có ngày cấp thì phải có số giấy chứng nhận.".into(),
        )),
        _ => {}
    }
    if let Some(n) = &a.certificate_number {
        if n.chars().count() > 50 {
            errs.push((
                CadreField::CertificateNumber,
                "Số giấy chứng nhận dài quá 50 ký tự.".into(),
            ));
        }
    }
    if a.certificate_date.is_some() && a.result == Some(CourseResult::Fail) {
        errs.push((
            CadreField::Result,
            "Kết quả \"Không đạt\" thì không được cấp giấy chứng nhận.".into(),
        ));
    }
    if let Some(d) = a.certificate_date {
        if let Err(e) =
            phongthu_domain::dates::check_past_event("Ngày cấp giấy chứng nhận", d, crate::citizens::today())
        {
            errs.push((CadreField::CertificateDate, e));
        }
        if d < course.start {
            errs.push((
                CadreField::CertificateDate,
                format!(
                    "Ngày cấp giấy chứng nhận {} trước ngày khai giảng khóa học {}.",
                    vi_date(d),
                    vi_date(course.start)
                ),
            ));
        }
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// The list of cadres lacking a valid certificate, and its roll-up

/// A cadre without a valid certificate for the category, with the reason in Vietnamese.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LackingCadre {
    pub cadre: CadreRecord,
    pub gap: CertificateGap,
    pub reason_vi: String,
}

/// Per unit in scope, over its subtree: active cadres, those lacking a valid certificate, and
/// those lacking per category (index 0 = category 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EduRollupRow {
    pub unit_id: i64,
    pub name: String,
    pub cadres: i64,
    pub lacking: i64,
    pub lacking_by_category: [i64; 4],
}

impl EduRollupRow {
    /// Share of cadres with a valid certificate, per mille.
    pub fn covered_per_mille(&self) -> i64 {
        if self.cadres == 0 {
            0
        } else {
            (self.cadres - self.lacking) * 1000 / self.cadres
        }
    }

    pub fn covered_percent_vi(&self) -> String {
        let p = self.covered_per_mille();
        format!("{},{}%", p / 10, p % 10)
    }
}

/// The list and the roll-up computed together.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EduOverview {
    #[serde(serialize_with = "ser_date")]
    pub on: Date,
    pub active_cadres: i64,
    pub lacking: Vec<LackingCadre>,
    pub rollup: Vec<EduRollupRow>,
}

// ---------------------------------------------------------------------------------------------
// Import

/// The facts a column of the import file can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CadreField {
    FullName,
    BirthDate,
    NationalId,
    Position,
    Agency,
    Category,
    Note,
    Attended,
    Result,
    CertificateNumber,
    CertificateDate,
}

/// One column of the import template (and of the cadre export).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EduColumn {
    pub field: CadreField,
    pub header: &'static str,
    /// Other headers accepted (compared without diacritics, case, spaces or punctuation).
    pub aliases: &'static [&'static str],
    /// Required in every file (the cadre columns are required only for new cadres).
    pub required: bool,
    pub example: &'static str,
    pub hint: &'static str,
    pub text_format: bool,
}

/// The columns of the import template: the cadre, then (for a course) the result.
pub const EDU_COLUMNS: &[EduColumn] = &[
    EduColumn {
        field: CadreField::FullName,
        header: "Họ và tên",
        aliases: &["Họ tên", "Tên"],
        required: true,
        example: "Nguyễn Văn Bình",
        hint: "Bắt buộc.",
        text_format: false,
    },
    EduColumn {
        field: CadreField::BirthDate,
        header: "Ngày sinh",
        aliases: &["Sinh ngày", "Ngày tháng năm sinh"],
        required: false,
        example: "15/04/1978",
        hint: "NN/TT/NNNN. Cùng họ tên để nhận ra cán bộ đã có khi không có số định danh.",
        text_format: true,
    },
    EduColumn {
        field: CadreField::NationalId,
        header: "Số định danh cá nhân",
        aliases: &["Số CCCD", "CCCD", "Số căn cước", "Số định danh"],
        required: false,
        example: "033078001234",
        hint: "12 chữ số. Nếu công dân có trong sổ đăng ký của đơn vị, hồ sơ cán bộ được gắn với công dân đó.",
        text_format: true,
    },
    EduColumn {
        field: CadreField::Position,
        header: "Chức vụ",
        aliases: &["Chức danh"],
        required: false,
        example: "Phó Chủ tịch Ủy ban nhân dân xã",
        hint: "Bắt buộc với cán bộ chưa có trong danh sách.",
        text_format: false,
    },
    EduColumn {
        field: CadreField::Agency,
        header: "Cơ quan, đơn vị công tác",
        aliases: &["Cơ quan", "Đơn vị công tác", "Nơi công tác", "Cơ quan đơn vị"],
        required: false,
        example: "Ủy ban nhân dân xã",
        hint: "Bắt buộc với cán bộ chưa có trong danh sách.",
        text_format: false,
    },
    EduColumn {
        field: CadreField::Category,
        header: "Đối tượng",
        aliases: &["Đối tượng bồi dưỡng", "ĐT"],
        required: false,
        example: "4",
        hint: "1, 2, 3 hoặc 4 (đối tượng bồi dưỡng kiến thức quốc phòng và an ninh). Bắt buộc với cán bộ chưa có trong danh sách.",
        text_format: true,
    },
    EduColumn {
        field: CadreField::Note,
        header: "Ghi chú",
        aliases: &[],
        required: false,
        example: "",
        hint: "",
        text_format: false,
    },
    EduColumn {
        field: CadreField::Attended,
        header: "Tham gia",
        aliases: &["Có tham gia", "Dự học"],
        required: false,
        example: "Có",
        hint: "Chỉ khi nhập kết quả một khóa học: Có hoặc Không (để trống là Có).",
        text_format: false,
    },
    EduColumn {
        field: CadreField::Result,
        header: "Kết quả",
        aliases: &["Xếp loại", "Kết quả học tập"],
        required: false,
        example: "Khá",
        hint: "Giỏi, Khá, Đạt hoặc Không đạt.",
        text_format: false,
    },
    EduColumn {
        field: CadreField::CertificateNumber,
        header: "Số giấy chứng nhận",
        aliases: &["Số GCN", "Số chứng nhận", "Số chứng chỉ"],
        required: false,
        example: "125/GCN",
        hint: "Ghi cùng ngày cấp.",
        text_format: true,
    },
    EduColumn {
        field: CadreField::CertificateDate,
        header: "Ngày cấp giấy chứng nhận",
        aliases: &["Ngày cấp", "Ngày cấp GCN", "Ngày cấp chứng nhận"],
        required: false,
        example: "30/08/2026",
        hint: "NN/TT/NNNN, không trước ngày khai giảng khóa học.",
        text_format: true,
    },
];

impl CadreField {
    pub fn header(self) -> &'static str {
        EDU_COLUMNS
            .iter()
            .find(|c| c.field == self)
            .map(|c| c.header)
            .unwrap_or("")
    }
}

/// The cells of a cadre in the column order of [`EDU_COLUMNS`] (course columns from the
/// enrolment when given): what the exports write and the import reads back.
pub fn edu_export_row(c: &CadreRecord, e: Option<&EnrolmentRecord>) -> Vec<String> {
    EDU_COLUMNS
        .iter()
        .map(|col| match col.field {
            CadreField::FullName => c.full_name.clone(),
            CadreField::BirthDate => c.birth_date_vi(),
            CadreField::NationalId => c.national_id.clone().unwrap_or_default(),
            CadreField::Position => c.position.clone(),
            CadreField::Agency => c.agency.clone(),
            CadreField::Category => c.category.to_string(),
            CadreField::Note => c.note.clone().unwrap_or_default(),
            CadreField::Attended => e
                .map(|e| if e.attended { "Có" } else { "Không" }.to_string())
                .unwrap_or_default(),
            CadreField::Result => e.map(|e| e.result_vi().to_string()).unwrap_or_default(),
            CadreField::CertificateNumber => e.and_then(|e| e.certificate_number.clone()).unwrap_or_default(),
            CadreField::CertificateDate => e.map(EnrolmentRecord::certificate_date_vi).unwrap_or_default(),
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct EduImportOptions {
    /// The unit receiving new cadres.
    pub unit_id: i64,
    /// The course whose results the file carries; None for a list of cadres only.
    pub course_id: Option<i64>,
    pub mode: ImportMode,
    /// The file name, recorded in the audit log.
    pub source_name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EduImportReport {
    pub rows_read: u64,
    pub cadres_created: u64,
    pub results_recorded: u64,
    pub rejected_rows: u64,
    pub rejected: Vec<RowError>,
    pub committed: bool,
    pub ignored_columns: Vec<String>,
}

impl EduImportReport {
    pub fn summary_vi(&self) -> String {
        import_summary_vi(
            self.rows_read,
            self.rejected_rows,
            self.committed,
            format!(
                "Đã nhập {} dòng dữ liệu: thêm {} cán bộ, ghi kết quả khóa học của {} người; {} dòng bị từ chối.",
                self.rows_read, self.cadres_created, self.results_recorded, self.rejected_rows
            ),
            "gì",
            None,
            &self.ignored_columns,
        )
    }
}

fn parse_yes_no(v: &str) -> Option<bool> {
    match header_key(v).as_str() {
        "co" | "x" | "1" | "true" | "yes" | "thamgia" => Some(true),
        "khong" | "0" | "false" | "no" | "vang" | "khongthamgia" => Some(false),
        _ => None,
    }
}

struct Headers {
    col: HashMap<CadreField, usize>,
    headers: Vec<String>,
}

impl Headers {
    fn resolve(headers: &[String], course: bool) -> Result<(Headers, Vec<String>), StoreError> {
        let mut required = vec![CadreField::FullName];
        if !course {
            required.extend([CadreField::Position, CadreField::Agency, CadreField::Category]);
        }
        let known: Vec<KnownColumn<'_>> = EDU_COLUMNS
            .iter()
            .map(|c| KnownColumn {
                header: c.header,
                aliases: c.aliases,
                required: required.contains(&c.field),
            })
            .collect();
        let (found, ignored) = match_columns(headers, &known)?;
        let col: HashMap<CadreField, usize> = EDU_COLUMNS
            .iter()
            .zip(found)
            .filter_map(|(c, j)| Some((c.field, j?)))
            .collect();
        Ok((
            Headers {
                col,
                headers: headers.to_vec(),
            },
            ignored,
        ))
    }

    fn cell<'r>(&self, row: &'r SourceRow, f: CadreField) -> Option<&'r str> {
        let j = *self.col.get(&f)?;
        row.cells.get(j).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    fn header_of(&self, f: CadreField) -> String {
        self.col
            .get(&f)
            .and_then(|&j| self.headers.get(j))
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
            .unwrap_or_else(|| f.header().to_string())
    }

    fn error(&self, row: &SourceRow, f: CadreField, reason: String) -> RowError {
        RowError {
            row: row.line,
            column: Some(self.header_of(f)),
            value: self.cell(row, f).map(str::to_string),
            reason_vi: reason,
        }
    }
}

// ---------------------------------------------------------------------------------------------

impl Scoped<'_> {
    /// The province of a unit in scope (its own code, or that of its administrative unit).
    async fn edu_province(&self, unit_id: i64) -> Result<(String, String), StoreError> {
        let u = self.org_unit(unit_id).await?;
        let province = u.province_code.clone().filter(|p| !p.is_empty()).or_else(|| {
            let t = Territory::bundled();
            u.admin_code
                .as_deref()
                .and_then(|code| t.units_with_code(code).last().and_then(|a| t.province_code_of(a)))
        });
        province.map(|p| (p, u.name.clone())).ok_or_else(|| {
            StoreError::Invalid(format!(
                "Không xác định được tỉnh của {}: hãy chọn Bộ Chỉ huy Quân sự tỉnh hoặc một đơn vị thuộc tỉnh.",
                u.name
            ))
        })
    }

    // ----- settings ----------------------------------------------------------------------------

    /// The settings in force for a unit in scope (its own, the nearest ancestor's, or the
    /// defaults). Ancestors outside the scope are read too: their settings apply here.
    pub async fn edu_settings(&self, unit_id: i64) -> Result<EduSettings, StoreError> {
        self.require(Permission::Read)?;
        self.ensure_unit_in_scope(unit_id).await?;
        self.edu_settings_unchecked(unit_id).await
    }

    async fn edu_settings_unchecked(&self, unit_id: i64) -> Result<EduSettings, StoreError> {
        let pool = &self.store.pool;
        // The deepest tree ancestor (itself included) with saved settings.
        let source = sqlx::query(
            "SELECT p.unit_id, o.name, \
             (SELECT count(*) FROM org_closure d WHERE d.descendant_id = p.unit_id AND d.via = 'tree') AS depth \
             FROM edu_policy p JOIN org_closure cl ON cl.ancestor_id = p.unit_id AND cl.via = 'tree' \
             JOIN org_unit o ON o.id = p.unit_id WHERE cl.descendant_id = $1 ORDER BY depth DESC LIMIT 1",
        )
        .bind(unit_id)
        .fetch_optional(pool)
        .await?;
        let Some(source) = source else {
            return Ok(EduSettings::defaults());
        };
        let source_id: i64 = source.get(0);
        let rows = sqlx::query(
            "SELECT number, label, description, legal_source, confirmed FROM edu_category WHERE unit_id = $1 \
             ORDER BY number",
        )
        .bind(source_id)
        .fetch_all(pool)
        .await?;
        let mut categories = default_categories();
        for r in &rows {
            let n = category_col(r, "number")?;
            if let Some(c) = categories.iter_mut().find(|c| c.number == n) {
                c.label_vi = r.get("label");
                c.description_vi = r.get("description");
                c.legal_source = r.get("legal_source");
                c.confirmed = r.get::<i64, _>("confirmed") != 0;
            }
        }
        Ok(EduSettings {
            source_unit_id: Some(source_id),
            source_unit_name: Some(source.get(1)),
            categories,
        })
    }

    /// Saves a unit's own settings (the four categories). Certificates have no validity to set:
    /// they do not expire.
    pub async fn save_edu_settings(
        &self,
        unit_id: i64,
        categories: &[TraineeCategory],
    ) -> Result<EduSettings, StoreError> {
        self.require(Permission::Write)?;
        self.ensure_unit_in_scope(unit_id).await?;
        let mut numbers: Vec<u8> = categories.iter().map(|c| c.number).collect();
        numbers.sort_unstable();
        if numbers != [1, 2, 3, 4] {
            return Err(StoreError::Invalid(
                "Cần đủ bốn đối tượng bồi dưỡng, từ đối tượng 1 đến đối tượng 4.".into(),
            ));
        }
        let mut clean = vec![];
        for c in categories {
            let who = format!("Đối tượng {}", c.number);
            let label = required_text(&c.label_vi, &format!("Tên gọi của {who}"), 100).map_err(StoreError::Invalid)?;
            let description =
                required_text(&c.description_vi, &format!("Mô tả {who}"), 3000).map_err(StoreError::Invalid)?;
            let source = required_text(&c.legal_source, &format!("Căn cứ pháp lý của {who}"), 500)
                .map_err(StoreError::Invalid)?;
            clean.push(TraineeCategory {
                number: c.number,
                label_vi: label,
                description_vi: description,
                legal_source: source,
                confirmed: c.confirmed,
            });
        }
        clean.sort_by_key(|c| c.number);
        let before = self.edu_settings_unchecked(unit_id).await?;
        let mut w = self.begin_write(Permission::Write).await?;
        let now = crate::now_text();
        sqlx::query("DELETE FROM edu_category WHERE unit_id = $1")
            .bind(unit_id)
            .execute(&mut *w.tx)
            .await?;
        for c in &clean {
            sqlx::query(
                "INSERT INTO edu_category (unit_id, number, label, description, legal_source, confirmed, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(unit_id)
            .bind(c.number as i64)
            .bind(&c.label_vi)
            .bind(&c.description_vi)
            .bind(&c.legal_source)
            .bind(c.confirmed as i64)
            .bind(&now)
            .execute(&mut *w.tx)
            .await?;
        }
        // Upsert: same syntax on SQLite (≥ 3.24) and PostgreSQL.
        sqlx::query(
            "INSERT INTO edu_policy (unit_id, updated_at) VALUES ($1, $2) \
             ON CONFLICT (unit_id) DO UPDATE SET updated_at = excluded.updated_at",
        )
        .bind(unit_id)
        .bind(&now)
        .execute(&mut *w.tx)
        .await?;
        w.audit(
            "save_settings",
            "edu_settings",
            &unit_id.to_string(),
            Some(unit_id),
            Some(&serde_json::json!({
                "source_unit_id": before.source_unit_id, "categories": before.categories
            })),
            Some(&serde_json::json!({"categories": clean})),
        )
        .await?;
        w.commit().await?;
        self.edu_settings_unchecked(unit_id).await
    }

    // ----- cadres ------------------------------------------------------------------------------

    /// Checks a new cadre and links it to the registry (by citizen id, or by national ID number
    /// in scope).
    async fn prepare_cadre(&self, n: &NewCadre) -> Result<PreparedCadre, Vec<(CadreField, String)>> {
        let (province_code, _) = self
            .edu_province(n.unit_id)
            .await
            .map_err(|e| vec![(CadreField::Agency, e.to_string())])?;
        let (mut name, mut birth, mut nid) = (n.full_name.clone(), n.birth_date, n.national_id.clone());
        let mut citizen_id = None;
        if let Some(cid) = n.citizen_id {
            let c = self
                .citizen(cid)
                .await
                .map_err(|e| vec![(CadreField::FullName, e.to_string())])?;
            name = c.full_name;
            birth = Some(c.birth_date);
            nid = c.national_id;
            citizen_id = Some(c.id);
        }
        let checked = check_cadre_fields(
            &NewCadre {
                full_name: name,
                national_id: nid,
                ..n.clone()
            },
            birth,
        )?;
        let CheckedCadre {
            mut full_name,
            national_id,
            position,
            agency,
            category,
            note,
        } = checked;
        if citizen_id.is_none() {
            if let Some(nid) = &national_id {
                let row = sqlx::query(&format!(
                    "SELECT id, full_name, birth_date FROM citizen WHERE national_id = $2 AND unit_id IN ({SCOPE_UNITS})"
                ))
                .bind(self.actor.unit_id)
                .bind(nid)
                .fetch_optional(&self.store.pool)
                .await
                .map_err(|e| vec![(CadreField::NationalId, StoreError::from(e).to_string())])?;
                if let Some(r) = row {
                    citizen_id = Some(r.get(0));
                    full_name = r.get(1);
                    let b: String = r.get(2);
                    if let (Some(given), Some(reg)) = (birth, parse_iso(&b)) {
                        if given != reg {
                            return Err(vec![(
                                CadreField::BirthDate,
                                format!(
                                    "Số định danh {nid} là của công dân {} sinh ngày {} trong sổ đăng ký, khác ngày sinh {}.",
                                    r.get::<String, _>(1),
                                    vi_date(reg),
                                    vi_date(given)
                                ),
                            )]);
                        }
                    }
                    birth = parse_iso(&b).or(birth);
                }
            }
        }
        Ok(PreparedCadre {
            unit_id: n.unit_id,
            province_code,
            citizen_id,
            full_name,
            birth_date: birth,
            national_id,
            position,
            agency,
            category,
            note,
        })
    }

    /// Adds a cadre to a unit in scope (one person, one record).
    pub async fn create_cadre(&self, n: NewCadre) -> Result<CadreRecord, StoreError> {
        self.require(Permission::Write)?;
        self.ensure_unit_in_scope(n.unit_id).await?;
        let p = self
            .prepare_cadre(&n)
            .await
            .map_err(|errs| StoreError::Invalid(errs.into_iter().map(|(_, e)| e).collect::<Vec<_>>().join(" ")))?;
        let mut w = self.begin_write(Permission::Write).await?;
        if let Some(reason) = w.cadre_duplicate(self.actor.unit_id, &p).await? {
            return Err(StoreError::Conflict(reason));
        }
        let id = w.insert_cadre(&p, None).await?;
        w.commit().await?;
        self.cadre(id).await
    }

    /// One cadre in scope.
    pub async fn cadre(&self, id: i64) -> Result<CadreRecord, StoreError> {
        self.require(Permission::Read)?;
        let row = sqlx::query(&format!(
            "SELECT {CADRE_COLUMNS} FROM {CADRE_FROM} WHERE k.id = $2 AND k.unit_id IN ({SCOPE_UNITS})"
        ))
        .bind(self.actor.unit_id)
        .bind(id)
        .fetch_optional(&self.store.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("Không tìm thấy cán bộ số {id} trong phạm vi của bạn.")))?;
        cadre_row(&row)
    }

    /// Cadres in scope (including those who left), in Vietnamese name order.
    pub async fn cadres(&self) -> Result<Vec<CadreRecord>, StoreError> {
        self.require(Permission::Read)?;
        sqlx::query(&format!(
            "SELECT {CADRE_COLUMNS} FROM {CADRE_FROM} WHERE k.unit_id IN ({SCOPE_UNITS}) ORDER BY sort_key, k.id"
        ))
        .bind(self.actor.unit_id)
        .fetch_all(&self.store.pool)
        .await?
        .iter()
        .map(cadre_row)
        .collect()
    }

    /// Records that a cadre no longer holds a post that needs the certificate (from `on`).
    pub async fn cadre_leaves(&self, id: i64, on: Date) -> Result<CadreRecord, StoreError> {
        self.require(Permission::Write)?;
        let c = self.cadre(id).await?;
        if c.left_on.is_some() {
            return Err(StoreError::Conflict(format!(
                "{} đã thôi theo dõi từ trước.",
                c.full_name
            )));
        }
        let mut w = self.begin_write(Permission::Write).await?;
        sqlx::query("UPDATE edu_cadre SET left_on = $1 WHERE id = $2 AND left_on IS NULL")
            .bind(iso(on))
            .bind(c.id)
            .execute(&mut *w.tx)
            .await?;
        w.audit(
            "leave",
            "edu_cadre",
            &c.id.to_string(),
            Some(c.unit_id),
            Some(&serde_json::json!({"left_on": null})),
            Some(&serde_json::json!({"left_on": iso(on)})),
        )
        .await?;
        w.commit().await?;
        self.cadre(id).await
    }

    /// Changes a cadre's managing unit, post, agency, category or note (a new post may change the
    /// category, and so what the list of cadres without a certificate asks of the person). The
    /// cadre and the new unit must be in scope. Nothing is written when nothing changes.
    pub async fn update_cadre(&self, id: i64, u: CadreUpdate) -> Result<CadreRecord, StoreError> {
        self.require(Permission::Write)?;
        let c = self.cadre(id).await?;
        let mut errs = vec![];
        let position = required_text(&u.position, "Chức vụ", 200).unwrap_or_else(|e| {
            errs.push(e);
            String::new()
        });
        let agency = required_text(&u.agency, "Cơ quan, đơn vị công tác", 300).unwrap_or_else(|e| {
            errs.push(e);
            String::new()
        });
        if let Err(e) = check_category(u.category) {
            errs.push(e);
        }
        let note = optional_text(u.note.as_deref(), "Ghi chú", 1000).unwrap_or_else(|e| {
            errs.push(e);
            None
        });
        if !errs.is_empty() {
            return Err(StoreError::Invalid(errs.join(" ")));
        }
        if u.unit_id != c.unit_id {
            self.ensure_unit_in_scope(u.unit_id).await?;
        }
        let (province_code, _) = self.edu_province(u.unit_id).await?;
        if (u.unit_id, &position, &agency, u.category, &note)
            == (c.unit_id, &c.position, &c.agency, c.category, &c.note)
        {
            return Ok(c);
        }
        let mut w = self.begin_write(Permission::Write).await?;
        sqlx::query(
            "UPDATE edu_cadre SET unit_id = $1, province_code = $2, position = $3, agency = $4, category = $5, \
             note = $6 WHERE id = $7",
        )
        .bind(u.unit_id)
        .bind(&province_code)
        .bind(&position)
        .bind(&agency)
        .bind(u.category as i64)
        .bind(note.clone())
        .bind(c.id)
        .execute(&mut *w.tx)
        .await?;
        w.audit(
            "update",
            "edu_cadre",
            &c.id.to_string(),
            Some(u.unit_id),
            Some(&serde_json::json!({
                "unit_id": c.unit_id, "position": c.position, "agency": c.agency,
                "category": c.category, "note": c.note
            })),
            Some(&serde_json::json!({
                "unit_id": u.unit_id, "position": position, "agency": agency,
                "category": u.category, "note": note
            })),
        )
        .await?;
        w.commit().await?;
        self.cadre(id).await
    }

    /// The certificates a cadre in scope holds, latest first.
    pub async fn cadre_certificates(&self, cadre_id: i64) -> Result<Vec<CertificateRecord>, StoreError> {
        let c = self.cadre(cadre_id).await?;
        sqlx::query(
            "SELECT co.id, co.name, co.category, co.provider, e.certificate_number, e.certificate_date \
             FROM edu_enrolment e JOIN edu_course co ON co.id = e.course_id \
             WHERE e.cadre_id = $1 AND e.certificate_date IS NOT NULL ORDER BY e.certificate_date DESC, co.id",
        )
        .bind(c.id)
        .fetch_all(&self.store.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(CertificateRecord {
                course_id: r.get(0),
                course_name: r.get(1),
                category: category_col(r, "category")?,
                provider: r.get(3),
                number: r.get(4),
                issued_on: date(r, "certificate_date")?,
            })
        })
        .collect()
    }

    // ----- courses -----------------------------------------------------------------------------

    pub async fn create_course(&self, n: NewCourse) -> Result<CourseRecord, StoreError> {
        self.require(Permission::Write)?;
        let name = required_text(&n.name, "Tên khóa bồi dưỡng", 300).map_err(StoreError::Invalid)?;
        let provider = required_text(&n.provider, "Cơ sở bồi dưỡng", 300).map_err(StoreError::Invalid)?;
        let place = optional_text(n.place.as_deref(), "Địa điểm", 300).map_err(StoreError::Invalid)?;
        DomainCourse {
            id: name.clone(),
            category: n.category,
            start: n.start,
            end: n.end,
        }
        .validate()
        .map_err(StoreError::Invalid)?;
        let (province, unit_name) = self.edu_province(n.unit_id).await?;
        let mut w = self.begin_write(Permission::Write).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO edu_course (unit_id, province_code, name, category, provider, place, start_on, end_on, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(n.unit_id)
        .bind(&province)
        .bind(&name)
        .bind(n.category as i64)
        .bind(&provider)
        .bind(place.clone())
        .bind(iso(n.start))
        .bind(iso(n.end))
        .bind(crate::now_text())
        .fetch_one(&mut *w.tx)
        .await
        .map_err(|e| StoreError::unique_or(e, format!("{unit_name} đã có khóa bồi dưỡng tên \"{name}\".")))?
        .get(0);
        w.audit(
            "create",
            "edu_course",
            &id.to_string(),
            Some(n.unit_id),
            None,
            Some(&serde_json::json!({
                "name": name, "category": n.category, "provider": provider, "place": place,
                "start": iso(n.start), "end": iso(n.end)
            })),
        )
        .await?;
        w.commit().await?;
        self.course(id).await
    }

    /// One course in scope.
    pub async fn course(&self, id: i64) -> Result<CourseRecord, StoreError> {
        self.require(Permission::Read)?;
        let row = sqlx::query(&format!(
            "SELECT {COURSE_COLUMNS} FROM edu_course co JOIN org_unit o ON o.id = co.unit_id \
             WHERE co.id = $2 AND co.unit_id IN ({SCOPE_UNITS})"
        ))
        .bind(self.actor.unit_id)
        .bind(id)
        .fetch_optional(&self.store.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("Không tìm thấy khóa bồi dưỡng số {id} trong phạm vi của bạn.")))?;
        course_row(&row)
    }

    /// Courses in scope, latest first.
    pub async fn courses(&self) -> Result<Vec<CourseRecord>, StoreError> {
        self.require(Permission::Read)?;
        sqlx::query(&format!(
            "SELECT {COURSE_COLUMNS} FROM edu_course co JOIN org_unit o ON o.id = co.unit_id \
             WHERE co.unit_id IN ({SCOPE_UNITS}) ORDER BY co.start_on DESC, co.id DESC"
        ))
        .bind(self.actor.unit_id)
        .fetch_all(&self.store.pool)
        .await?
        .iter()
        .map(course_row)
        .collect()
    }

    /// The people on a course in scope, in name order (whoever sees the course sees its list).
    pub async fn enrolments(&self, course_id: i64) -> Result<Vec<EnrolmentRecord>, StoreError> {
        let course = self.course(course_id).await?;
        let rows = sqlx::query(&format!(
            "SELECT {CADRE_COLUMNS}, e.attended, e.result, e.certificate_number, e.certificate_date \
             FROM edu_enrolment e JOIN edu_cadre k ON k.id = e.cadre_id JOIN org_unit o ON o.id = k.unit_id \
             LEFT JOIN citizen c ON c.id = k.citizen_id WHERE e.course_id = $1 ORDER BY sort_key, k.id"
        ))
        .bind(course.id)
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(EnrolmentRecord {
                    course_id: course.id,
                    cadre: cadre_row(r)?,
                    attended: r.get::<i64, _>("attended") != 0,
                    result: r
                        .get::<Option<String>, _>("result")
                        .map(|s| CourseResult::parse(&s).ok_or_else(|| corrupt("kết quả", s)))
                        .transpose()?,
                    certificate_number: r.get("certificate_number"),
                    certificate_date: opt_date(r, "certificate_date")?,
                })
            })
            .collect()
    }

    /// Enrols a cadre or records the attendance, result and certificate (replacing earlier
    /// figures). The course and the cadre must both be in scope.
    pub async fn record_attendance(&self, course_id: i64, a: Attendance) -> Result<EnrolmentRecord, StoreError> {
        self.require(Permission::Write)?;
        let course = self.course(course_id).await?;
        let cadre = self.cadre(a.cadre_id).await?;
        let a = Attendance {
            certificate_number: a
                .certificate_number
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
            ..a
        };
        let errs = check_attendance(&a, &course);
        if !errs.is_empty() {
            return Err(StoreError::Invalid(
                errs.into_iter().map(|(_, e)| e).collect::<Vec<_>>().join(" "),
            ));
        }
        let mut w = self.begin_write(Permission::Write).await?;
        write_attendance(&mut w, &course, &cadre, &a, None).await?;
        w.commit().await?;
        self.enrolments(course_id)
            .await?
            .into_iter()
            .find(|e| e.cadre.id == cadre.id)
            .ok_or_else(|| StoreError::NotFound("Không đọc lại được kết quả vừa ghi.".into()))
    }

    /// Takes a cadre off a course's list (an enrolment entered by mistake). The course and the
    /// cadre must both be in scope, as for recording. An enrolment with a certificate is refused:
    /// the certificate was issued and is what the list of cadres without a certificate counts, so
    /// it must not disappear with a click (correct its figures instead).
    pub async fn delete_enrolment(&self, course_id: i64, cadre_id: i64) -> Result<(), StoreError> {
        self.require(Permission::Write)?;
        let course = self.course(course_id).await?;
        let cadre = self.cadre(cadre_id).await?;
        let mut w = self.begin_write(Permission::Write).await?;
        let row = sqlx::query(
            "SELECT attended, result, certificate_number, certificate_date FROM edu_enrolment \
             WHERE course_id = $1 AND cadre_id = $2",
        )
        .bind(course.id)
        .bind(cadre.id)
        .fetch_optional(&mut *w.tx)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "{} không có trong danh sách học viên của khóa \"{}\".",
                cadre.full_name, course.name
            ))
        })?;
        let number: Option<String> = row.get(2);
        let issued: Option<String> = row.get(3);
        if let Some(d) = &issued {
            let on = parse_iso(d).map(vi_date).unwrap_or_else(|| d.clone());
            return Err(StoreError::Conflict(format!(
                "Không xóa được {} khỏi khóa \"{}\": đã được cấp giấy chứng nhận số {} ngày {on}. Giấy chứng nhận đã cấp không xóa cùng danh sách; nếu ghi nhầm, hãy sửa kết quả của người này.",
                cadre.full_name,
                course.name,
                number.as_deref().unwrap_or("(không số)")
            )));
        }
        sqlx::query("DELETE FROM edu_enrolment WHERE course_id = $1 AND cadre_id = $2")
            .bind(course.id)
            .bind(cadre.id)
            .execute(&mut *w.tx)
            .await?;
        w.audit(
            "delete",
            "edu_enrolment",
            &format!("{}:{}", course.id, cadre.id),
            Some(course.unit_id),
            Some(&serde_json::json!({
                "attended": row.get::<i64, _>(0) != 0, "result": row.get::<Option<String>, _>(1),
                "certificate_number": number, "certificate_date": issued
            })),
            None,
        )
        .await?;
        w.commit().await
    }

    // ----- the list and the roll-up -------------------------------------------------------------

    /// Active cadres in scope without a certificate for their category valid on `on` (each
    /// judged under the settings in force for the cadre's unit), in Vietnamese name order, and
    /// the roll-up per unit in scope over its subtree.
    pub async fn edu_overview(&self, on: Date) -> Result<EduOverview, StoreError> {
        self.require(Permission::Read)?;
        let pool = &self.store.pool;
        let cadres: Vec<CadreRecord> = self.cadres().await?.into_iter().filter(|c| c.active_on(on)).collect();
        let certs = sqlx::query(&format!(
            "SELECT e.cadre_id, co.category, e.course_id, e.certificate_date FROM edu_enrolment e \
             JOIN edu_course co ON co.id = e.course_id JOIN edu_cadre k ON k.id = e.cadre_id \
             WHERE k.unit_id IN ({SCOPE_UNITS}) AND e.certificate_date IS NOT NULL"
        ))
        .bind(self.actor.unit_id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Certificate {
                person_id: r.get::<i64, _>(0).to_string(),
                category: category_col(r, "category")?,
                course_id: r.get::<i64, _>(2).to_string(),
                issued_on: date(r, "certificate_date")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        let group: Vec<DomainCadre> = cadres
            .iter()
            .map(|c| DomainCadre {
                person_id: c.id.to_string(),
                full_name: c.full_name.clone(),
                category: c.category,
            })
            .collect();
        let by_id: HashMap<String, &CadreRecord> = cadres.iter().map(|c| (c.id.to_string(), c)).collect();
        let mut lacking: Vec<(String, LackingCadre)> = vec![];
        for l in lacking_certificates(&group, &certs, on) {
            let Some(cadre) = by_id.get(&l.person_id) else { continue };
            let cadre = (*cadre).clone();
            lacking.push((
                text::person_collation_key(&cadre.full_name),
                LackingCadre {
                    reason_vi: l.to_string(),
                    gap: l.gap,
                    cadre,
                },
            ));
        }
        lacking.sort_by(|a, b| (&a.0, a.1.cadre.id).cmp(&(&b.0, b.1.cadre.id)));
        let lacking: Vec<LackingCadre> = lacking.into_iter().map(|(_, l)| l).collect();

        // Roll-up over the closure (tree and coverage), in tree order.
        #[derive(Default, Clone, Copy)]
        struct Figures {
            cadres: i64,
            lacking: i64,
            by_cat: [i64; 4],
        }
        let mut own: HashMap<i64, Figures> = HashMap::new();
        for c in &cadres {
            own.entry(c.unit_id).or_default().cadres += 1;
        }
        for l in &lacking {
            let f = own.entry(l.cadre.unit_id).or_default();
            f.lacking += 1;
            f.by_cat[(l.cadre.category - 1) as usize] += 1;
        }
        let closure = sqlx::query(&format!(
            "SELECT ancestor_id, descendant_id FROM org_closure WHERE ancestor_id IN ({SCOPE_UNITS})"
        ))
        .bind(self.actor.unit_id)
        .fetch_all(pool)
        .await?;
        let mut seen: HashSet<(i64, i64)> = HashSet::new();
        let mut sums: HashMap<i64, Figures> = HashMap::new();
        for r in &closure {
            let (a, d): (i64, i64) = (r.get(0), r.get(1));
            // A commune both under the tree and covered by a regional command counts once.
            if !seen.insert((a, d)) {
                continue;
            }
            if let Some(f) = own.get(&d) {
                let s = sums.entry(a).or_default();
                s.cadres += f.cadres;
                s.lacking += f.lacking;
                for i in 0..4 {
                    s.by_cat[i] += f.by_cat[i];
                }
            }
        }
        let rollup = self
            .org_units()
            .await?
            .into_iter()
            .filter_map(|u| {
                let f = sums.get(&u.id).copied().unwrap_or_default();
                (f.cadres > 0).then_some(EduRollupRow {
                    unit_id: u.id,
                    name: u.name,
                    cadres: f.cadres,
                    lacking: f.lacking,
                    lacking_by_category: f.by_cat,
                })
            })
            .collect();
        Ok(EduOverview {
            on,
            active_cadres: cadres.len() as i64,
            lacking,
            rollup,
        })
    }

    // ----- import ------------------------------------------------------------------------------

    /// Imports cadres and, when a course is given, their results on it, from rows under a header
    /// row with Vietnamese column names. All-or-nothing by default: one bad row and nothing is
    /// written; in valid-only mode the valid rows are written and the others reported. Every
    /// check runs before any write of the row, so a refused row never aborts the transaction.
    pub async fn import_education(
        &self,
        headers: &[String],
        rows: Vec<SourceRow>,
        opts: &EduImportOptions,
    ) -> Result<EduImportReport, StoreError> {
        self.require(Permission::Write)?;
        self.ensure_unit_in_scope(opts.unit_id).await?;
        let course = match opts.course_id {
            Some(id) => Some(self.course(id).await?),
            None => None,
        };
        let (map, ignored) = Headers::resolve(headers, course.is_some())?;
        let data: Vec<SourceRow> = rows
            .into_iter()
            .filter(|r| r.cells.iter().any(|c| !c.trim().is_empty()))
            .collect();
        if data.len() as u64 > EDU_IMPORT_MAX_ROWS {
            return Err(StoreError::Invalid(format!(
                "Tệp có {} dòng dữ liệu, quá giới hạn {EDU_IMPORT_MAX_ROWS} dòng một lần nhập: hãy chia nhỏ tệp.",
                data.len()
            )));
        }
        let mut report = EduImportReport {
            rows_read: data.len() as u64,
            ignored_columns: ignored,
            ..Default::default()
        };
        // Existing cadres in scope, to recognise a person by national ID or name and birth date.
        let existing = self.cadres().await?;
        let by_nid: HashMap<&str, &CadreRecord> = existing
            .iter()
            .filter_map(|c| c.national_id.as_deref().map(|n| (n, c)))
            .collect();
        let mut by_name: HashMap<(String, Date), Vec<&CadreRecord>> = HashMap::new();
        for c in &existing {
            if let Some(b) = c.birth_date {
                by_name.entry((text::fold(&c.full_name), b)).or_default().push(c);
            }
        }
        let mut w = self.begin_write(Permission::Write).await?;
        let mut seen_people: HashMap<String, u64> = HashMap::new();
        let source = opts.source_name.clone();
        for row in &data {
            let mut errs: Vec<RowError> = vec![];
            let name = map.cell(row, CadreField::FullName).unwrap_or("");
            let birth = match map.cell(row, CadreField::BirthDate) {
                None => None,
                Some(v) => match phongthu_domain::dates::parse_date_vi(v) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        errs.push(map.error(row, CadreField::BirthDate, e));
                        None
                    }
                },
            };
            let nid = map.cell(row, CadreField::NationalId);
            let category = match map.cell(row, CadreField::Category) {
                None => None,
                Some(v) => match parse_category(v) {
                    Ok(n) => Some(n),
                    Err(e) => {
                        errs.push(map.error(row, CadreField::Category, e));
                        None
                    }
                },
            };
            if name.is_empty() {
                errs.push(map.error(row, CadreField::FullName, "Họ và tên không được để trống.".into()));
            }
            // The same person twice in the file.
            let person_key = match (nid, birth) {
                (Some(n), _) => Some(format!("id:{n}")),
                (None, Some(b)) => Some(format!("name:{}:{}", text::fold(name), iso(b))),
                (None, None) => None,
            };
            if let Some(k) = &person_key {
                if let Some(first) = seen_people.get(k) {
                    errs.push(RowError {
                        row: row.line,
                        column: None,
                        value: None,
                        reason_vi: format!("Trùng người với dòng {first} của tệp: mỗi người chỉ ghi một dòng."),
                    });
                } else {
                    seen_people.insert(k.clone(), row.line);
                }
            }
            // Who is it: an existing cadre in scope, or a new one.
            let found: Option<&CadreRecord> = match (nid, birth) {
                (Some(n), _) => by_nid.get(n).copied(),
                (None, Some(b)) => match by_name.get(&(text::fold(name), b)).map(Vec::as_slice) {
                    Some([one]) => Some(*one),
                    _ => None,
                },
                _ => None,
            };
            let mut new_cadre: Option<PreparedCadre> = None;
            match found {
                Some(c) if course.is_none() => errs.push(RowError {
                    row: row.line,
                    column: None,
                    value: None,
                    reason_vi: format!(
                        "{} đã có trong danh sách cán bộ tại {}: mỗi người chỉ có một hồ sơ, không nhập lại.",
                        c.full_name, c.unit_name
                    ),
                }),
                Some(_) => {}
                None => {
                    let category_given = map.cell(row, CadreField::Category).is_some();
                    let n = NewCadre {
                        unit_id: opts.unit_id,
                        citizen_id: None,
                        full_name: name.to_string(),
                        birth_date: birth,
                        national_id: nid.map(str::to_string),
                        position: map.cell(row, CadreField::Position).unwrap_or("").to_string(),
                        agency: map.cell(row, CadreField::Agency).unwrap_or("").to_string(),
                        category: category.unwrap_or(0),
                        note: map.cell(row, CadreField::Note).map(str::to_string),
                    };
                    match self.prepare_cadre(&n).await {
                        Err(field_errs) => {
                            for (f, e) in field_errs {
                                // Already reported above: an empty name, an unreadable category.
                                if f == CadreField::FullName && name.is_empty()
                                    || f == CadreField::Category && category_given
                                {
                                    continue;
                                }
                                let e = if f == CadreField::Category {
                                    "Cán bộ chưa có trong danh sách: hãy ghi đối tượng (1, 2, 3 hoặc 4).".into()
                                } else {
                                    e
                                };
                                errs.push(map.error(row, f, e));
                            }
                        }
                        Ok(_) if !errs.is_empty() => {}
                        Ok(p) => match w.cadre_duplicate(self.actor.unit_id, &p).await? {
                            Some(reason) => errs.push(RowError {
                                row: row.line,
                                column: None,
                                value: None,
                                reason_vi: reason,
                            }),
                            None => new_cadre = Some(p),
                        },
                    }
                }
            }
            // The course result.
            let mut attendance: Option<Attendance> = None;
            if let Some(course) = &course {
                let attended = match map.cell(row, CadreField::Attended) {
                    None => true,
                    Some(v) => match parse_yes_no(v) {
                        Some(b) => b,
                        None => {
                            errs.push(map.error(
                                row,
                                CadreField::Attended,
                                format!("Giá trị \"{v}\" không hợp lệ: ghi Có hoặc Không."),
                            ));
                            true
                        }
                    },
                };
                let result = match map.cell(row, CadreField::Result) {
                    None => None,
                    Some(v) => match CourseResult::parse(v) {
                        Some(r) => Some(r),
                        None => {
                            errs.push(map.error(
                                row,
                                CadreField::Result,
                                format!("Kết quả \"{v}\" không hợp lệ: ghi Giỏi, Khá, Đạt hoặc Không đạt."),
                            ));
                            None
                        }
                    },
                };
                let cert_date = match map.cell(row, CadreField::CertificateDate) {
                    None => None,
                    Some(v) => match phongthu_domain::dates::parse_date_vi(v) {
                        Ok(d) => Some(d),
                        Err(e) => {
                            errs.push(map.error(row, CadreField::CertificateDate, e));
                            None
                        }
                    },
                };
                let a = Attendance {
                    cadre_id: found.map(|c| c.id).unwrap_or(0),
                    attended,
                    result,
                    certificate_number: map.cell(row, CadreField::CertificateNumber).map(str::to_string),
                    certificate_date: cert_date,
                };
                for (f, e) in check_attendance(&a, course) {
                    errs.push(map.error(row, f, e));
                }
                if let Some(n) = &a.certificate_number {
                    let taken: Option<i64> = sqlx::query(
                        "SELECT cadre_id FROM edu_enrolment WHERE course_id = $1 AND certificate_number = $2",
                    )
                    .bind(course.id)
                    .bind(n)
                    .fetch_optional(&mut *w.tx)
                    .await?
                    .map(|r| r.get(0));
                    if taken.is_some_and(|t| Some(t) != found.map(|c| c.id)) {
                        errs.push(map.error(
                            row,
                            CadreField::CertificateNumber,
                            format!("Số giấy chứng nhận \"{n}\" đã cấp cho người khác trong khóa học này."),
                        ));
                    }
                }
                attendance = Some(a);
            }
            if !errs.is_empty() {
                report.rejected_rows += 1;
                report.rejected.extend(errs.into_iter().map(RowError::bounded));
                continue;
            }
            if opts.mode == ImportMode::AllOrNothing && report.rejected_rows > 0 {
                // Nothing will be committed: only check the remaining rows.
                continue;
            }
            let cadre = match (found, new_cadre) {
                (Some(c), _) => c.clone(),
                (None, Some(p)) => {
                    let id = w.insert_cadre(&p, Some(source.as_str())).await?;
                    report.cadres_created += 1;
                    let r = sqlx::query(&format!("SELECT {CADRE_COLUMNS} FROM {CADRE_FROM} WHERE k.id = $1"))
                        .bind(id)
                        .fetch_one(&mut *w.tx)
                        .await?;
                    cadre_row(&r)?
                }
                (None, None) => continue,
            };
            if let (Some(course), Some(mut a)) = (&course, attendance) {
                a.cadre_id = cadre.id;
                write_attendance(&mut w, course, &cadre, &a, Some(source.as_str())).await?;
                report.results_recorded += 1;
            }
        }
        if (opts.mode == ImportMode::AllOrNothing && report.rejected_rows > 0) || report.rows_read == 0 {
            drop(w);
            report.cadres_created = 0;
            report.results_recorded = 0;
            report.committed = false;
            return Ok(report);
        }
        w.commit().await?;
        // A bulk write: the SQLite log goes back into the file and is truncated.
        self.store.settle_wal().await;
        report.committed = true;
        Ok(report)
    }
}

/// Upserts an enrolment in the write transaction, with its audit entry.
async fn write_attendance(
    w: &mut WriteTx<'_>,
    course: &CourseRecord,
    cadre: &CadreRecord,
    a: &Attendance,
    source: Option<&str>,
) -> Result<(), StoreError> {
    let before = sqlx::query(
        "SELECT attended, result, certificate_number, certificate_date FROM edu_enrolment \
         WHERE course_id = $1 AND cadre_id = $2",
    )
    .bind(course.id)
    .bind(cadre.id)
    .fetch_optional(&mut *w.tx)
    .await?
    .map(|r| {
        serde_json::json!({
            "attended": r.get::<i64, _>(0) != 0, "result": r.get::<Option<String>, _>(1),
            "certificate_number": r.get::<Option<String>, _>(2), "certificate_date": r.get::<Option<String>, _>(3)
        })
    });
    // Upsert: same syntax on SQLite (≥ 3.24) and PostgreSQL.
    sqlx::query(
        "INSERT INTO edu_enrolment (course_id, cadre_id, unit_id, province_code, attended, result, \
         certificate_number, certificate_date, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (course_id, cadre_id) DO UPDATE SET attended = excluded.attended, result = excluded.result, \
         certificate_number = excluded.certificate_number, certificate_date = excluded.certificate_date, \
         updated_at = excluded.updated_at",
    )
    .bind(course.id)
    .bind(cadre.id)
    .bind(course.unit_id)
    .bind(&course.province_code)
    .bind(a.attended as i64)
    .bind(a.result.map(CourseResult::as_str))
    .bind(a.certificate_number.clone())
    .bind(a.certificate_date.map(iso))
    .bind(crate::now_text())
    .execute(&mut *w.tx)
    .await
    .map_err(|e| {
        StoreError::unique_or(
            e,
            format!(
                "Số giấy chứng nhận \"{}\" đã cấp cho người khác trong khóa học này.",
                a.certificate_number.clone().unwrap_or_default()
            ),
        )
    })?;
    w.audit(
        "record_attendance",
        "edu_enrolment",
        &format!("{}:{}", course.id, cadre.id),
        Some(course.unit_id),
        before.as_ref(),
        Some(&serde_json::json!({
            "attended": a.attended, "result": a.result.map(CourseResult::as_str),
            "certificate_number": a.certificate_number, "certificate_date": a.certificate_date.map(iso),
            "source": source
        })),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_and_results_parse() {
        assert_eq!(parse_category("3"), Ok(3));
        assert_eq!(parse_category("Đối tượng 4"), Ok(4));
        assert_eq!(parse_category("ĐT 2"), Ok(2));
        assert!(parse_category("5").unwrap_err().contains("chỉ có đối tượng 1 đến 4"));
        assert!(parse_category("ba").unwrap_err().contains("không hợp lệ"));
        assert_eq!(CourseResult::parse("Khá"), Some(CourseResult::Good));
        assert_eq!(CourseResult::parse("khong dat"), Some(CourseResult::Fail));
        assert_eq!(CourseResult::parse("pass"), Some(CourseResult::Pass));
        assert_eq!(CourseResult::parse("Trung bình"), Some(CourseResult::Pass));
        assert_eq!(CourseResult::parse("tốt"), None);
    }
}
