//! The military-service registry: citizen records, registration events and family relations
//! (Luật NVQS 2015 Art. 12–17 on registration; Luật Căn cước 2023 Art. 12 on the personal
//! identification number).
//!
//! Every read filters by the actor's scope (`unit_id IN (SCOPE_UNITS)`); every write checks the
//! role and the unit, and appends its audit entry in the same transaction. Names are stored in one
//! canonical spelling ([`text::normalize`]) with a folded copy for diacritic-insensitive search and
//! a collation key that orders people by given name, then middle name, then family name.
//!
//! Duplicates: the same personal identification number is refused (a unique index backs the
//! check); the same folded name, birth date and permanent commune is allowed but listed by
//! [`Scoped::duplicates`], never merged.

pub(crate) mod edit;
mod import;
mod search;
mod words;
pub(crate) use import::{header_key, import_summary_vi, match_columns, national_id_cell, KnownColumn, MatchedColumns};
pub use search::{CANDIDATE_CAP, COUNT_CAP};
pub(crate) use words::index_range as index_name_words;

pub use edit::{commune_label, CitizenEdit, FieldChange, RecordChange};
pub use import::{
    citizen_export_row, import_batch_rows, CitizenColumn, CitizenField, ImportMode, ImportObserver, ImportOptions,
    ImportProgress, ImportReport, RowError, SourceRow, BULK_LOAD_BELOW_ROWS, CITIZEN_COLUMNS, MAX_LISTED_ERRORS,
};

pub(crate) use crate::dates::{iso, parse_iso, ser_date, vi_date};
use crate::error::StoreError;
use crate::scope::{Scoped, SCOPE_UNITS};
use phongthu_domain::auth::Permission;
use phongthu_domain::nvqs::{citizen_id, Circumstance, Sex, StudyLevel};
use phongthu_domain::territory::{Level, Territory};
use phongthu_domain::text;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use time::{Date, Month};

/// A citizen record to create, or the new content of one to update.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCitizen {
    /// The commune military command that holds the record (must be in the actor's scope).
    pub unit_id: i64,
    pub national_id: Option<String>,
    pub legacy_id: Option<String>,
    pub full_name: String,
    pub birth_date: Date,
    pub sex: Sex,
    pub ethnicity: Option<String>,
    pub religion: Option<String>,
    pub birth_registration_place: Option<String>,
    pub permanent_commune_code: Option<String>,
    pub permanent_village: Option<String>,
    pub current_commune_code: Option<String>,
    pub current_village: Option<String>,
    /// General-education grade as written on the records: "12/12", "9/12", "10/10".
    pub education_grade: Option<String>,
    pub qualification: Option<String>,
    pub studying_level: Option<StudyLevel>,
    pub studying_detail: Option<String>,
    pub occupation: Option<String>,
    pub workplace: Option<String>,
    pub party_member: bool,
    pub union_member: bool,
    pub note: Option<String>,
}

impl NewCitizen {
    /// A record with the four mandatory facts and everything else empty.
    pub fn new(unit_id: i64, full_name: &str, birth_date: Date, sex: Sex) -> NewCitizen {
        NewCitizen {
            unit_id,
            national_id: None,
            legacy_id: None,
            full_name: full_name.to_string(),
            birth_date,
            sex,
            ethnicity: None,
            religion: None,
            birth_registration_place: None,
            permanent_commune_code: None,
            permanent_village: None,
            current_commune_code: None,
            current_village: None,
            education_grade: None,
            qualification: None,
            studying_level: None,
            studying_detail: None,
            occupation: None,
            workplace: None,
            party_member: false,
            union_member: false,
            note: None,
        }
    }
}

/// A stored citizen record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Citizen {
    pub id: i64,
    pub unit_id: i64,
    pub province_code: String,
    pub national_id: Option<String>,
    pub legacy_id: Option<String>,
    pub full_name: String,
    #[serde(serialize_with = "ser_date")]
    pub birth_date: Date,
    pub sex: Sex,
    pub ethnicity: Option<String>,
    pub religion: Option<String>,
    pub birth_registration_place: Option<String>,
    pub permanent_commune_code: Option<String>,
    pub permanent_village: Option<String>,
    pub current_commune_code: Option<String>,
    pub current_village: Option<String>,
    pub education_grade: Option<String>,
    pub qualification: Option<String>,
    #[serde(serialize_with = "ser_level")]
    pub studying_level: Option<StudyLevel>,
    pub studying_detail: Option<String>,
    pub occupation: Option<String>,
    pub workplace: Option<String>,
    pub party_member: bool,
    pub union_member: bool,
    pub note: Option<String>,
    /// Studying full time; `None` when not recorded (see [`edit`]).
    pub studying_full_time: Option<bool>,
    /// In the first course at the level studied; `None` when not recorded.
    pub studying_first_course: Option<bool>,
    pub created_at: String,
    pub updated_at: String,
}

fn ser_level<S: serde::Serializer>(l: &Option<StudyLevel>, s: S) -> Result<S::Ok, S::Error> {
    match l {
        Some(l) => s.serialize_some(l.code()),
        None => s.serialize_none(),
    }
}

/// Filters of a citizen list; empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CitizenFilter {
    /// A name in any spelling ("nguyen van duc", "Đức", "duc") or the beginning of an ID number.
    pub query: Option<String>,
    /// One unit (in scope) instead of the whole scope.
    pub unit_id: Option<i64>,
    pub birth_year: Option<i32>,
    pub sex: Option<Sex>,
}

/// One page of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub offset: i64,
    pub limit: i64,
}

impl Default for Paging {
    fn default() -> Self {
        Paging { offset: 0, limit: 50 }
    }
}

/// The largest offset a list reads from: past it a page is empty anyway (no scope holds that many
/// records), and the bound keeps `offset + limit` and the page arithmetic far from overflow.
pub const MAX_OFFSET: i64 = 100_000_000;

impl Paging {
    /// Page `page` (counted from 1) of `size` rows. A page below 1 is the first; the offset is
    /// computed with checked arithmetic and held to [`MAX_OFFSET`], so no page number, however
    /// large or negative, overflows.
    pub fn page(page: i64, size: i64) -> Paging {
        let size = size.clamp(1, 1000);
        let offset = page
            .max(1)
            .checked_sub(1)
            .and_then(|p| p.checked_mul(size))
            .unwrap_or(MAX_OFFSET);
        Paging {
            offset: offset.clamp(0, MAX_OFFSET),
            limit: size,
        }
    }

    /// The offset a query may use: never negative, never past [`MAX_OFFSET`].
    pub fn bounded_offset(self) -> i64 {
        self.offset.clamp(0, MAX_OFFSET)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CitizenPage {
    /// Rows matching the filter in scope (all pages); when `capped`, the count stopped at a
    /// bound and there are more than this ([`COUNT_CAP`] for a list, the pages shown so far for
    /// a search of common words only).
    pub total: i64,
    pub capped: bool,
    pub items: Vec<Citizen>,
}

/// Citizens sharing folded name, birth date and permanent commune: perhaps one person entered
/// twice. Listed for a person to decide; never merged automatically.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DuplicateGroup {
    pub name_folded: String,
    #[serde(serialize_with = "ser_date")]
    pub birth_date: Date,
    pub permanent_commune_code: Option<String>,
    /// The records, in id order.
    pub citizens: Vec<Citizen>,
}

/// Kinds of military-service registration (law brief §1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationKind {
    /// Đăng ký NVQS lần đầu: in April of the year the man turns 17.
    First,
    /// Đăng ký bổ sung: after a change of position, education, qualification or health.
    Supplementary,
    /// Đăng ký di chuyển (đến): arriving from another place.
    TransferIn,
    /// Đăng ký di chuyển (đi): leaving for another place.
    TransferOut,
    /// Đăng ký tạm vắng: absence of 3 months or more.
    TemporaryAbsence,
    /// Xóa đăng ký (e.g. appointed to a post exempt from wartime service, ND 13/2016 Art. 9).
    Removal,
}

impl RegistrationKind {
    pub const ALL: [RegistrationKind; 6] = [
        RegistrationKind::First,
        RegistrationKind::Supplementary,
        RegistrationKind::TransferIn,
        RegistrationKind::TransferOut,
        RegistrationKind::TemporaryAbsence,
        RegistrationKind::Removal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationKind::First => "first",
            RegistrationKind::Supplementary => "supplementary",
            RegistrationKind::TransferIn => "transfer_in",
            RegistrationKind::TransferOut => "transfer_out",
            RegistrationKind::TemporaryAbsence => "temporary_absence",
            RegistrationKind::Removal => "removal",
        }
    }

    pub fn parse(s: &str) -> Option<RegistrationKind> {
        RegistrationKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            RegistrationKind::First => "Đăng ký nghĩa vụ quân sự lần đầu",
            RegistrationKind::Supplementary => "Đăng ký bổ sung",
            RegistrationKind::TransferIn => "Đăng ký di chuyển đến",
            RegistrationKind::TransferOut => "Đăng ký di chuyển đi",
            RegistrationKind::TemporaryAbsence => "Đăng ký tạm vắng",
            RegistrationKind::Removal => "Xóa đăng ký",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegistrationEvent {
    pub id: i64,
    pub citizen_id: i64,
    pub kind: RegistrationKind,
    #[serde(serialize_with = "ser_date")]
    pub event_date: Date,
    pub note: Option<String>,
    pub created_at: String,
}

/// A man who has not made his first registration although its period has passed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LateRegistration {
    pub citizen: Citizen,
    /// The last day of the first-registration period that applied to him (30 April of the year
    /// he turned 17).
    #[serde(serialize_with = "ser_date")]
    pub due_date: Date,
    pub days_late: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewFamilyRelation {
    pub citizen_id: i64,
    /// "bố", "mẹ", "anh trai", "vợ", ...
    pub relation: String,
    pub name: String,
    /// The circumstance it grounds (contract `nvqs-assess.md` codes), if any.
    pub circumstance: Option<Circumstance>,
    /// The evidence document (number, date, issuer).
    pub evidence: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FamilyRelation {
    pub id: i64,
    pub citizen_id: i64,
    pub relation: String,
    pub name: String,
    /// Circumstance code, e.g. `child_of_martyr`.
    pub circumstance: Option<String>,
    pub evidence: Option<String>,
    pub created_at: String,
}

/// The last day of the April first-registration period (law brief §1.3: "April: the commune
/// chairman orders the first registration"). The exact days inside April are set by each year's
/// order and are not in the brief; the end of April is taken as the deadline.
pub fn first_registration_due(year_turning_17: i32) -> Date {
    // Only a year outside the calendar (a birth date near its end) lacks 30 April: the last day.
    Date::from_calendar_date(year_turning_17, Month::April, 30).unwrap_or(if year_turning_17 < 0 {
        Date::MIN
    } else {
        Date::MAX
    })
}

/// Oldest age (in years, inclusive) of military-service age for men (LNVQS Art. 4 per law brief
/// §1.2: "men up to the end of age 45"; the brief marks the article as UNCONFIRMED).
pub const MALE_SERVICE_AGE_MAX: i32 = 45;
/// Age of first registration for men (LNVQS Art. 12).
pub const FIRST_REGISTRATION_AGE: i32 = 17;

// ---------------------------------------------------------------------------------------------
// Validation

/// One field refused, with the column it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldError {
    pub field: CitizenField,
    pub value: Option<String>,
    pub reason_vi: String,
}

/// A validated record, ready to bind: text normalised, empty text as NULL.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub unit_id: i64,
    pub national_id: Option<String>,
    pub legacy_id: Option<String>,
    pub full_name: String,
    pub name_folded: String,
    pub sort_key: String,
    pub birth_date: String,
    pub birth_year: i64,
    pub sex: &'static str,
    pub ethnicity: Option<String>,
    pub religion: Option<String>,
    pub birth_registration_place: Option<String>,
    pub permanent_commune_code: Option<String>,
    pub permanent_village: Option<String>,
    pub current_commune_code: Option<String>,
    pub current_village: Option<String>,
    pub education_grade: Option<String>,
    pub qualification: Option<String>,
    pub studying_level: Option<&'static str>,
    pub studying_detail: Option<String>,
    pub occupation: Option<String>,
    pub workplace: Option<String>,
    pub party_member: i64,
    pub union_member: i64,
    pub note: Option<String>,
}

pub(crate) fn clean(s: &Option<String>) -> Option<String> {
    clean_owned(s.clone())
}

/// [`clean`] of a text the caller gives away: a text already in its stored form (single spaces,
/// NFC, one tone style: nearly every cell of an import) is kept as it is, not copied.
pub(crate) fn clean_owned(s: Option<String>) -> Option<String> {
    /// The new text, or `None` when the text was already so (borrowed).
    fn changed(c: std::borrow::Cow<'_, str>) -> Option<String> {
        match c {
            std::borrow::Cow::Owned(o) => Some(o),
            std::borrow::Cow::Borrowed(_) => None,
        }
    }
    let s = s?;
    let s = changed(text::squash_spaces(&s)).unwrap_or(s);
    let s = changed(text::normalize_cow(&s)).unwrap_or(s);
    Some(s).filter(|v| !v.is_empty())
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// "12/12", "9/12", "10/10": grade completed over the length of the system (12-year, or the
/// older 10-year system).
pub(crate) fn check_grade(s: &str) -> Result<String, String> {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let bad = || format!("Trình độ văn hóa \"{s}\" không hợp lệ: ghi dạng lớp/hệ, ví dụ 12/12, 9/12 hoặc 10/10.");
    let (g, sys) = compact.split_once('/').ok_or_else(bad)?;
    let g: u8 = g.parse().map_err(|_| bad())?;
    let sys: u8 = sys.parse().map_err(|_| bad())?;
    if !(sys == 12 || sys == 10) || g > sys {
        return Err(bad());
    }
    // Two small numbers: written directly (a `format!` per row was a measurable share of the
    // import's row check).
    let mut out = g.to_string();
    out.push('/');
    out.push_str(if sys == 12 { "12" } else { "10" });
    Ok(out)
}

fn check_commune(code: &str, on: Date) -> Result<String, String> {
    let code = code.trim();
    if Territory::bundled().unit_on(code, Some(Level::Commune), on).is_some() {
        Ok(code.to_string())
    } else {
        Err(format!(
            "Mã xã \"{code}\" không có trong danh mục đơn vị hành chính cấp xã đang có hiệu lực ngày {}.",
            vi_date(on)
        ))
    }
}

/// Checks a record and brings it to its stored form. `today` bounds the birth date; communes are
/// checked against the territory in force on `today`.
pub(crate) fn prepare(n: NewCitizen, today: Date) -> Result<Prepared, Vec<FieldError>> {
    let mut errs = vec![];
    let mut err = |field: CitizenField, value: Option<&str>, reason: String| {
        errs.push(FieldError {
            field,
            value: value.map(str::to_string),
            reason_vi: reason,
        });
    };
    let full_name = clean_owned(Some(n.full_name)).unwrap_or_default();
    if full_name.is_empty() {
        err(CitizenField::FullName, None, "Họ và tên không được để trống.".into());
    } else if full_name.chars().count() > 100 {
        err(
            CitizenField::FullName,
            Some(&full_name),
            "Họ và tên dài quá 100 ký tự.".into(),
        );
    } else if !full_name.chars().all(|c| {
        text::is_letter(c) || c == ' ' || c == '\'' || c == '-' || c == '.' || ('\u{0300}'..='\u{036f}').contains(&c)
    }) {
        err(
            CitizenField::FullName,
            Some(&full_name),
            format!("Họ và tên \"{full_name}\" chứa chữ số hoặc ký tự không phải chữ cái."),
        );
    }
    if n.birth_date > today {
        err(
            CitizenField::BirthDate,
            Some(&vi_date(n.birth_date)),
            format!(
                "Ngày sinh {} ở tương lai (sau ngày {}).",
                vi_date(n.birth_date),
                vi_date(today)
            ),
        );
    } else if n.birth_date.year() < 1900 {
        err(
            CitizenField::BirthDate,
            Some(&vi_date(n.birth_date)),
            format!("Ngày sinh {} trước năm 1900, không hợp lý.", vi_date(n.birth_date)),
        );
    }
    let national_id = n.national_id.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if let Some(id) = national_id {
        if let Err(e) = citizen_id::validate(id, n.sex, n.birth_date.year()) {
            let mut reason = capitalise(&e.to_string());
            if matches!(e, citizen_id::IdError::Format(_))
                && id.bytes().all(|b| b.is_ascii_digit())
                && (9..12).contains(&id.len())
            {
                reason.push_str(
                    "; có thể ô được định dạng kiểu số nên mất các số 0 ở đầu: hãy định dạng cột là Văn bản (Text)",
                );
            }
            reason.push('.');
            err(CitizenField::NationalId, Some(id), reason);
        }
    }
    let legacy_id = n.legacy_id.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if let Some(l) = legacy_id {
        if !(l.len() == 9 && l.bytes().all(|b| b.is_ascii_digit())) {
            err(
                CitizenField::LegacyId,
                Some(l),
                format!("Số chứng minh nhân dân \"{l}\" phải gồm đúng 9 chữ số."),
            );
        }
    }
    let mut commune = |field: CitizenField, v: &Option<String>| -> Option<String> {
        let code = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
        match check_commune(code, today) {
            Ok(c) => Some(c),
            Err(reason) => {
                err(field, Some(code), reason);
                None
            }
        }
    };
    let permanent_commune_code = commune(CitizenField::PermanentCommune, &n.permanent_commune_code);
    let current_commune_code = commune(CitizenField::CurrentCommune, &n.current_commune_code);
    let education_grade = match clean_owned(n.education_grade) {
        None => None,
        Some(g) => match check_grade(&g) {
            Ok(g) => Some(g),
            Err(reason) => {
                err(CitizenField::EducationGrade, Some(&g), reason);
                None
            }
        },
    };
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(Prepared {
        unit_id: n.unit_id,
        national_id: national_id.map(str::to_string),
        legacy_id: legacy_id.map(str::to_string),
        name_folded: text::fold(&full_name),
        sort_key: text::person_collation_key_normalized(&full_name),
        full_name,
        birth_date: iso(n.birth_date),
        birth_year: i64::from(n.birth_date.year()),
        sex: n.sex.as_str(),
        ethnicity: clean_owned(n.ethnicity),
        religion: clean_owned(n.religion),
        birth_registration_place: clean_owned(n.birth_registration_place),
        permanent_commune_code,
        permanent_village: clean_owned(n.permanent_village),
        current_commune_code,
        current_village: clean_owned(n.current_village),
        education_grade,
        qualification: clean_owned(n.qualification),
        studying_level: n.studying_level.map(|l| l.code()),
        studying_detail: clean_owned(n.studying_detail),
        occupation: clean_owned(n.occupation),
        workplace: clean_owned(n.workplace),
        party_member: n.party_member as i64,
        union_member: n.union_member as i64,
        note: clean_owned(n.note),
    })
}

fn invalid(errs: Vec<FieldError>) -> StoreError {
    StoreError::Invalid(
        errs.iter()
            .map(|e| format!("{}: {}", e.field.header(), e.reason_vi))
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Today in Vietnam (UTC+7), the day the users' forms and documents mean: the same day as the web
/// layer's default date (`forms::today`), so that "today" entered after 17:00 UTC is not taken
/// for a date still to come.
pub(crate) fn today() -> Date {
    crate::documents::today_vn()
}

// ---------------------------------------------------------------------------------------------
// Rows and SQL helpers

/// The columns of [`citizen_row`], qualified with the alias `c` that every query gives `citizen`.
/// Why an ID number is refused when the record that holds it lies outside the actor's scope (or
/// may: an import does not look): only that it cannot be used, revealing neither that it is on
/// the register nor where.
pub const NATIONAL_ID_UNUSABLE: &str =
    "Số định danh cá nhân này không dùng được; hãy liên hệ Ban Chỉ huy Quân sự tỉnh để xử lý.";

pub(crate) const CITIZEN_COLUMNS_SQL: &str =
    "c.id, c.unit_id, c.province_code, c.national_id, c.legacy_id, c.full_name, \
     c.birth_date, c.sex, c.ethnicity, c.religion, c.birth_registration_place, c.permanent_commune_code, \
     c.permanent_village, c.current_commune_code, c.current_village, c.education_grade, c.qualification, \
     c.studying_level, c.studying_detail, c.occupation, c.workplace, c.party_member, c.union_member, c.note, \
     COALESCE(c.studying_full_time, -1) AS studying_full_time, \
     COALESCE(c.studying_first_course, -1) AS studying_first_course, c.created_at, c.updated_at";

/// The columns an INSERT writes, in bind order (see [`bind_prepared`]).
pub(crate) const INSERT_COLUMNS: &str = "unit_id, province_code, national_id, legacy_id, full_name, name_folded, sort_key, \
     birth_date, birth_year, sex, ethnicity, religion, birth_registration_place, permanent_commune_code, permanent_village, \
     current_commune_code, current_village, education_grade, qualification, studying_level, studying_detail, occupation, \
     workplace, party_member, union_member, note, created_at, updated_at";
pub(crate) const INSERT_ARITY: usize = 28;

pub(crate) fn bind_prepared<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    p: &Prepared,
    province_code: &str,
    now: &str,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    bind_record(q, p, province_code)
        .bind(now.to_string())
        .bind(now.to_string())
}

/// Binds the record's own columns, `unit_id` … `note` in [`INSERT_COLUMNS`] order (the first 26);
/// an INSERT adds the two timestamps, an UPDATE `updated_at` and the id.
fn bind_record<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    p: &Prepared,
    province_code: &str,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    q.bind(p.unit_id)
        .bind(province_code.to_string())
        .bind(p.national_id.clone())
        .bind(p.legacy_id.clone())
        .bind(p.full_name.clone())
        .bind(p.name_folded.clone())
        .bind(p.sort_key.clone())
        .bind(p.birth_date.clone())
        .bind(p.birth_year)
        .bind(p.sex)
        .bind(p.ethnicity.clone())
        .bind(p.religion.clone())
        .bind(p.birth_registration_place.clone())
        .bind(p.permanent_commune_code.clone())
        .bind(p.permanent_village.clone())
        .bind(p.current_commune_code.clone())
        .bind(p.current_village.clone())
        .bind(p.education_grade.clone())
        .bind(p.qualification.clone())
        .bind(p.studying_level)
        .bind(p.studying_detail.clone())
        .bind(p.occupation.clone())
        .bind(p.workplace.clone())
        .bind(p.party_member)
        .bind(p.union_member)
        .bind(p.note.clone())
}

/// Whether `v` holds a byte that a `COPY` text cell escapes (`\\`, tab, newline, carriage
/// return). Eight bytes at a time: a word may hold one when one of its bytes is below 0x0E or
/// equals the backslash, both found with the usual borrow test of every byte at once; only such
/// a word is looked at byte by byte. Nearly every cell of an import has none, and the byte-by-byte
/// search was a fifth of writing a COPY line. (`memchr::memchr3` and `memchr` for the four bytes
/// were measured instead: on cells this short, 950 more instructions per row, callgrind.)
fn needs_copy_escape(v: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let special = |b: &u8| copy_escape(*b).is_some();
    let mut words = v.chunks_exact(8);
    for bytes in &mut words {
        let w = u64::from_le_bytes([
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
        ]);
        let below = w.wrapping_sub(ONES * 0x0e) & !w & HIGHS;
        let x = w ^ (ONES * u64::from(b'\\'));
        let backslash = x.wrapping_sub(ONES) & !x & HIGHS;
        if below | backslash != 0 && bytes.iter().any(special) {
            return true;
        }
    }
    words.remainder().iter().any(special)
}

/// The escape of byte `b` in a `COPY` text cell, or `None` when it is written as it is.
fn copy_escape(b: u8) -> Option<&'static [u8]> {
    match b {
        b'\\' => Some(b"\\\\"),
        b'\t' => Some(b"\\t"),
        b'\n' => Some(b"\\n"),
        b'\r' => Some(b"\\r"),
        _ => None,
    }
}

/// `v` in decimal digits, appended to `buf` (what `write!(buf, "{v}")` writes, without the
/// formatting machinery: four numbers per record of an import).
fn push_decimal(buf: &mut Vec<u8>, v: i64) {
    buf.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// One record as a line of PostgreSQL's `COPY ... FROM STDIN` text format, appended to `buf`: the
/// 28 cells of [`INSERT_COLUMNS`] (the record's own columns, then `now` as `created_at` and
/// `updated_at`), tab-separated, `\N` for NULL, backslash, tab, newline and carriage return
/// escaped, ending with a newline. The bulk load writes the record's id and a tab before it.
pub(crate) fn push_copy_row(buf: &mut Vec<u8>, p: &Prepared, province_code: &str, now: &str) {
    fn text(buf: &mut Vec<u8>, v: &str) {
        if !needs_copy_escape(v.as_bytes()) {
            buf.extend_from_slice(v.as_bytes());
            buf.push(b'\t');
            return;
        }
        // The runs between the bytes that need a backslash are copied whole.
        let mut rest = v.as_bytes();
        while let Some((i, escaped)) = rest.iter().enumerate().find_map(|(i, &b)| Some((i, copy_escape(b)?))) {
            buf.extend_from_slice(&rest[..i]);
            buf.extend_from_slice(escaped);
            rest = &rest[i + 1..];
        }
        buf.extend_from_slice(rest);
        buf.push(b'\t');
    }
    fn opt(buf: &mut Vec<u8>, v: Option<&str>) {
        match v {
            Some(v) => text(buf, v),
            None => buf.extend_from_slice(b"\\N\t"),
        }
    }
    fn int(buf: &mut Vec<u8>, v: i64) {
        push_decimal(buf, v);
        buf.push(b'\t');
    }
    int(buf, p.unit_id);
    text(buf, province_code);
    opt(buf, p.national_id.as_deref());
    opt(buf, p.legacy_id.as_deref());
    text(buf, &p.full_name);
    text(buf, &p.name_folded);
    text(buf, &p.sort_key);
    text(buf, &p.birth_date);
    int(buf, p.birth_year);
    text(buf, p.sex);
    opt(buf, p.ethnicity.as_deref());
    opt(buf, p.religion.as_deref());
    opt(buf, p.birth_registration_place.as_deref());
    opt(buf, p.permanent_commune_code.as_deref());
    opt(buf, p.permanent_village.as_deref());
    opt(buf, p.current_commune_code.as_deref());
    opt(buf, p.current_village.as_deref());
    opt(buf, p.education_grade.as_deref());
    opt(buf, p.qualification.as_deref());
    opt(buf, p.studying_level);
    opt(buf, p.studying_detail.as_deref());
    opt(buf, p.occupation.as_deref());
    opt(buf, p.workplace.as_deref());
    int(buf, p.party_member);
    int(buf, p.union_member);
    opt(buf, p.note.as_deref());
    text(buf, now);
    text(buf, now);
    // The last cell's tab becomes the end of the line.
    if let Some(last) = buf.last_mut() {
        *last = b'\n';
    }
}

/// `($a,$b,...)` groups for a multi-row INSERT of `rows` rows of `arity` parameters.
pub(crate) fn values_groups(rows: usize, arity: usize) -> String {
    let mut s = String::with_capacity(rows * arity * 5);
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..arity {
            if c > 0 {
                s.push(',');
            }
            s.push('$');
            s.push_str(&(r * arity + c + 1).to_string());
        }
        s.push(')');
    }
    s
}

pub(crate) fn citizen_row(r: &AnyRow) -> Citizen {
    citizen_from_cells(|c| r.get(c), |c| r.get(c))
}

/// A record from the cells of [`CITIZEN_COLUMNS_SQL`], read by column name (`text` reads a text
/// cell, `int` an integer one), whatever kind of row holds them: the pool's rows
/// ([`citizen_row`]) or a bulk load's own connection.
pub(crate) fn citizen_from_cells(text: impl Fn(&str) -> Option<String>, int: impl Fn(&str) -> i64) -> Citizen {
    let birth = text("birth_date").unwrap_or_default();
    Citizen {
        id: int("id"),
        unit_id: int("unit_id"),
        province_code: text("province_code").unwrap_or_default(),
        national_id: text("national_id"),
        legacy_id: text("legacy_id"),
        full_name: text("full_name").unwrap_or_default(),
        birth_date: parse_iso(&birth).unwrap_or(Date::MIN),
        sex: Sex::parse(&text("sex").unwrap_or_default()).unwrap_or(Sex::Male),
        ethnicity: text("ethnicity"),
        religion: text("religion"),
        birth_registration_place: text("birth_registration_place"),
        permanent_commune_code: text("permanent_commune_code"),
        permanent_village: text("permanent_village"),
        current_commune_code: text("current_commune_code"),
        current_village: text("current_village"),
        education_grade: text("education_grade"),
        qualification: text("qualification"),
        studying_level: text("studying_level").and_then(|s| StudyLevel::parse(&s)),
        studying_detail: text("studying_detail"),
        occupation: text("occupation"),
        workplace: text("workplace"),
        party_member: int("party_member") != 0,
        union_member: int("union_member") != 0,
        note: text("note"),
        studying_full_time: edit::flag_cell(int("studying_full_time")),
        studying_first_course: edit::flag_cell(int("studying_first_course")),
        created_at: text("created_at").unwrap_or_default(),
        updated_at: text("updated_at").unwrap_or_default(),
    }
}

/// A query under construction: `$1` is always the actor's unit (for [`SCOPE_UNITS`]).
pub(crate) struct Sql {
    pub text: String,
    args: Vec<Arg>,
}

enum Arg {
    I(i64),
    S(String),
}

impl Sql {
    pub fn scoped(actor_unit: i64) -> Sql {
        Sql {
            text: String::new(),
            args: vec![Arg::I(actor_unit)],
        }
    }

    /// A query without the scope's parameter.
    pub fn bare() -> Sql {
        Sql {
            text: String::new(),
            args: vec![],
        }
    }

    pub fn int(&mut self, v: i64) -> String {
        self.args.push(Arg::I(v));
        format!("${}", self.args.len())
    }

    pub fn text(&mut self, v: impl Into<String>) -> String {
        self.args.push(Arg::S(v.into()));
        format!("${}", self.args.len())
    }

    pub fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
        let mut q = sqlx::query(&self.text);
        for a in &self.args {
            q = match a {
                Arg::I(v) => q.bind(*v),
                Arg::S(s) => q.bind(s.clone()),
            };
        }
        q
    }
}

/// Appends the WHERE conditions of a filter (after the scope condition).
fn filter_conditions(sql: &mut Sql, f: &CitizenFilter) -> String {
    let mut cond = format!("c.unit_id IN ({SCOPE_UNITS})");
    if let Some(u) = f.unit_id {
        let p = sql.int(u);
        cond.push_str(&format!(" AND c.unit_id = {p}"));
    }
    if let Some(y) = f.birth_year {
        let p = sql.int(i64::from(y));
        cond.push_str(&format!(" AND c.birth_year = {p}"));
    }
    if let Some(s) = f.sex {
        let p = sql.text(s.as_str());
        cond.push_str(&format!(" AND c.sex = {p}"));
    }
    if let Some(q) = f.query.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let digits: String = q.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.bytes().all(|b| b.is_ascii_digit()) {
            let p = sql.text(format!("{digits}%"));
            cond.push_str(&format!(" AND (c.national_id LIKE {p} OR c.legacy_id LIKE {p})"));
        } else {
            // Every word of the query starts some word of the folded name ("duc" finds
            // "Nguyễn Văn Đức"), as text::matches_query does in memory.
            for w in text::fold(q).split(' ') {
                let w: String = w.chars().filter(|c| c.is_alphanumeric()).collect();
                if w.is_empty() {
                    continue;
                }
                let p = sql.text(format!("% {w}%"));
                cond.push_str(&format!(" AND (' ' || c.name_folded) LIKE {p}"));
            }
        }
    }
    cond
}

impl Scoped<'_> {
    /// The commune command a record may be filed under, with its province code.
    pub(crate) async fn registry_unit(&self, unit_id: i64) -> Result<String, StoreError> {
        let row = sqlx::query("SELECT kind, province_code, admin_code FROM org_unit WHERE id = $1")
            .bind(unit_id)
            .fetch_optional(&self.store.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("Không tìm thấy đơn vị số {unit_id}.")))?;
        self.ensure_unit_in_scope(unit_id).await?;
        let kind: String = row.get(0);
        if kind != "commune_command" {
            return Err(StoreError::Invalid(
                "Hồ sơ công dân phải thuộc một Ban Chỉ huy Quân sự cấp xã: hãy chọn đơn vị cấp xã.".into(),
            ));
        }
        let province: Option<String> = row.get(1);
        let admin: Option<String> = row.get(2);
        let t = Territory::bundled();
        province
            .filter(|p| !p.is_empty())
            .or_else(|| admin.and_then(|code| t.units_with_code(&code).last().and_then(|u| t.province_code_of(u))))
            .ok_or_else(|| StoreError::Invalid(format!("Không xác định được tỉnh của đơn vị số {unit_id}.")))
    }

    /// Refuses a national ID already on the register (any unit; the other record is named only
    /// when it is in scope, otherwise [`NATIONAL_ID_UNUSABLE`] says nothing about it).
    async fn check_national_id_free(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        national_id: &str,
        except: Option<i64>,
    ) -> Result<(), StoreError> {
        let row = sqlx::query("SELECT id, unit_id, full_name FROM citizen WHERE national_id = $1 AND id <> $2")
            .bind(national_id)
            .bind(except.unwrap_or(-1))
            .fetch_optional(&mut **tx)
            .await?;
        if let Some(r) = row {
            let other_unit: i64 = r.get(1);
            // Asked inside the transaction: a second pool connection may not be available.
            let in_scope: i64 =
                sqlx::query("SELECT count(*) FROM org_closure WHERE ancestor_id = $1 AND descendant_id = $2")
                    .bind(self.actor.unit_id)
                    .bind(other_unit)
                    .fetch_one(&mut **tx)
                    .await?
                    .get(0);
            let msg = if in_scope > 0 {
                format!(
                    "Số định danh cá nhân {national_id} đã có trong sổ đăng ký (công dân số {}, {}): không tạo trùng.",
                    r.get::<i64, _>(0),
                    r.get::<String, _>(2)
                )
            } else {
                // Outside the scope nothing is told: neither that the number is registered, nor
                // where. The province, which sees both records, resolves it.
                NATIONAL_ID_UNUSABLE.to_string()
            };
            return Err(StoreError::Conflict(msg));
        }
        Ok(())
    }

    /// Creates a citizen record (commanders and administrators, unit in scope).
    pub async fn create_citizen(&self, n: NewCitizen) -> Result<Citizen, StoreError> {
        self.require(Permission::Write)?;
        let p = prepare(n, today()).map_err(invalid)?;
        let province = self.registry_unit(p.unit_id).await?;
        let mut w = self.begin_write(Permission::Write).await?;
        if let Some(id) = &p.national_id {
            self.check_national_id_free(&mut w.tx, id, None).await?;
        }
        let now = crate::now_text();
        let sql = format!(
            "INSERT INTO citizen ({INSERT_COLUMNS}) VALUES {} RETURNING id",
            values_groups(1, INSERT_ARITY)
        );
        let id: i64 = bind_prepared(sqlx::query(&sql), &p, &province, &now)
            .fetch_one(&mut *w.tx)
            .await
            .map_err(|e| StoreError::unique_or(e, NATIONAL_ID_UNUSABLE))?
            .get(0);
        words::index_range(&mut w.tx, self.store.backend(), id, id).await?;
        let row = sqlx::query(&format!("SELECT {CITIZEN_COLUMNS_SQL} FROM citizen c WHERE c.id = $1"))
            .bind(id)
            .fetch_one(&mut *w.tx)
            .await?;
        let c = citizen_row(&row);
        let after = serde_json::to_value(&c).unwrap_or_default();
        w.audit(
            "create",
            "citizen",
            &id.to_string(),
            Some(c.unit_id),
            None,
            Some(&after),
        )
        .await?;
        w.commit().await?;
        Ok(c)
    }

    /// Replaces the content of a record (both the old and the new unit must be in scope).
    pub async fn update_citizen(&self, id: i64, n: NewCitizen) -> Result<Citizen, StoreError> {
        self.require(Permission::Write)?;
        let before = self.citizen(id).await?;
        let p = prepare(n, today()).map_err(invalid)?;
        let province = self.registry_unit(p.unit_id).await?;
        let mut w = self.begin_write(Permission::Write).await?;
        if let Some(nid) = &p.national_id {
            self.check_national_id_free(&mut w.tx, nid, Some(id)).await?;
        }
        let now = crate::now_text();
        words::unindex(&mut w.tx, id).await?;
        let update = sqlx::query(
            "UPDATE citizen SET unit_id = $1, province_code = $2, national_id = $3, legacy_id = $4, full_name = $5, \
             name_folded = $6, sort_key = $7, birth_date = $8, birth_year = $9, sex = $10, ethnicity = $11, religion = $12, \
             birth_registration_place = $13, permanent_commune_code = $14, permanent_village = $15, current_commune_code = $16, \
             current_village = $17, education_grade = $18, qualification = $19, studying_level = $20, studying_detail = $21, \
             occupation = $22, workplace = $23, party_member = $24, union_member = $25, note = $26, updated_at = $27 \
             WHERE id = $28",
        );
        bind_record(update, &p, &province)
            .bind(now)
            .bind(id)
            .execute(&mut *w.tx)
            .await
            .map_err(|e| StoreError::unique_or(e, NATIONAL_ID_UNUSABLE))?;
        words::index_range(&mut w.tx, self.store.backend(), id, id).await?;
        let row = sqlx::query(&format!("SELECT {CITIZEN_COLUMNS_SQL} FROM citizen c WHERE c.id = $1"))
            .bind(id)
            .fetch_one(&mut *w.tx)
            .await?;
        let after = citizen_row(&row);
        w.audit(
            "update",
            "citizen",
            &id.to_string(),
            Some(after.unit_id),
            Some(&serde_json::to_value(&before).unwrap_or_default()),
            Some(&serde_json::to_value(&after).unwrap_or_default()),
        )
        .await?;
        w.commit().await?;
        Ok(after)
    }

    /// One record in scope; NotFound otherwise (a record outside the scope is not revealed).
    pub async fn citizen(&self, id: i64) -> Result<Citizen, StoreError> {
        self.require(Permission::Read)?;
        let row = sqlx::query(&format!(
            "SELECT {CITIZEN_COLUMNS_SQL} FROM citizen c WHERE c.unit_id IN ({SCOPE_UNITS}) AND c.id = $2"
        ))
        .bind(self.actor.unit_id)
        .bind(id)
        .fetch_optional(&self.store.pool)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "Không tìm thấy công dân số {id} trong phạm vi quản lý của bạn."
            ))
        })?;
        Ok(citizen_row(&row))
    }

    /// Calls `each` on every record of the filter, in list order, reading in pages of `chunk`
    /// (keyset paging: memory stays flat however long the list). Returns the number of records.
    pub async fn for_each_citizen<F>(&self, f: &CitizenFilter, chunk: i64, mut each: F) -> Result<u64, StoreError>
    where
        F: FnMut(&Citizen) -> Result<(), StoreError>,
    {
        self.require(Permission::Read)?;
        let mut after: Option<(String, i64)> = None;
        let mut n = 0u64;
        loop {
            let mut sql = Sql::scoped(self.actor.unit_id);
            let mut cond = filter_conditions(&mut sql, f);
            if let Some((k, id)) = &after {
                let pk = sql.text(k.clone());
                let pi = sql.int(*id);
                cond.push_str(&format!(
                    " AND (c.sort_key > {pk} OR (c.sort_key = {pk} AND c.id > {pi}))"
                ));
            }
            let limit = sql.int(chunk.clamp(1, 10_000));
            sql.text = format!(
                "SELECT {CITIZEN_COLUMNS_SQL}, c.sort_key AS k FROM citizen c WHERE {cond} ORDER BY c.sort_key, c.id LIMIT {limit}"
            );
            let rows = sql.query().fetch_all(&self.store.pool).await?;
            if rows.is_empty() {
                return Ok(n);
            }
            for r in &rows {
                let c = citizen_row(r);
                each(&c)?;
                n += 1;
                after = Some((r.get("k"), c.id));
            }
        }
    }

    /// Groups of records in scope with the same folded name, birth date and permanent commune.
    pub async fn duplicates(&self) -> Result<Vec<DuplicateGroup>, StoreError> {
        self.require(Permission::Read)?;
        let rows = sqlx::query(&format!(
            "SELECT {CITIZEN_COLUMNS_SQL}, c.name_folded AS nf FROM citizen c \
             JOIN (SELECT name_folded, birth_date, COALESCE(permanent_commune_code, '') AS pc FROM citizen \
                   WHERE unit_id IN ({SCOPE_UNITS}) \
                   GROUP BY name_folded, birth_date, COALESCE(permanent_commune_code, '') HAVING count(*) > 1) d \
               ON d.name_folded = c.name_folded AND d.birth_date = c.birth_date \
              AND d.pc = COALESCE(c.permanent_commune_code, '') \
             WHERE c.unit_id IN ({SCOPE_UNITS}) \
             ORDER BY c.sort_key, c.birth_date, d.pc, c.id LIMIT 10000"
        ))
        .bind(self.actor.unit_id)
        .fetch_all(&self.store.pool)
        .await?;
        let mut groups: Vec<DuplicateGroup> = vec![];
        for r in &rows {
            let c = citizen_row(r);
            let nf: String = r.get("nf");
            match groups.last_mut() {
                Some(g)
                    if g.name_folded == nf
                        && g.birth_date == c.birth_date
                        && g.permanent_commune_code == c.permanent_commune_code =>
                {
                    g.citizens.push(c)
                }
                _ => groups.push(DuplicateGroup {
                    name_folded: nf,
                    birth_date: c.birth_date,
                    permanent_commune_code: c.permanent_commune_code.clone(),
                    citizens: vec![c],
                }),
            }
        }
        Ok(groups)
    }

    /// Records a registration event for a citizen in scope.
    pub async fn record_registration(
        &self,
        citizen_id: i64,
        kind: RegistrationKind,
        event_date: Date,
        note: Option<String>,
    ) -> Result<RegistrationEvent, StoreError> {
        self.require(Permission::Write)?;
        let c = self.citizen(citizen_id).await?;
        if event_date > today() {
            return Err(StoreError::Invalid(format!(
                "Ngày đăng ký {} ở tương lai.",
                vi_date(event_date)
            )));
        }
        if event_date < c.birth_date {
            return Err(StoreError::Invalid(format!(
                "Ngày đăng ký {} trước ngày sinh của công dân ({}).",
                vi_date(event_date),
                vi_date(c.birth_date)
            )));
        }
        if kind == RegistrationKind::First && event_date.year() < c.birth_date.year() + FIRST_REGISTRATION_AGE {
            return Err(StoreError::Invalid(format!(
                "Công dân sinh năm {} chỉ đăng ký nghĩa vụ quân sự lần đầu từ năm {} (năm đủ 17 tuổi).",
                c.birth_date.year(),
                c.birth_date.year() + FIRST_REGISTRATION_AGE
            )));
        }
        let mut w = self.begin_write(Permission::Write).await?;
        if kind == RegistrationKind::First {
            let n: i64 =
                sqlx::query("SELECT count(*) FROM registration_event WHERE citizen_id = $1 AND kind = 'first'")
                    .bind(citizen_id)
                    .fetch_one(&mut *w.tx)
                    .await?
                    .get(0);
            if n > 0 {
                return Err(StoreError::Conflict(format!(
                    "Công dân {} đã đăng ký nghĩa vụ quân sự lần đầu; hãy ghi đăng ký bổ sung hoặc di chuyển.",
                    c.full_name
                )));
            }
        }
        let note = clean(&note);
        let now = crate::now_text();
        let id: i64 = sqlx::query(
            "INSERT INTO registration_event (citizen_id, unit_id, province_code, kind, event_date, note, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(citizen_id)
        .bind(c.unit_id)
        .bind(c.province_code.clone())
        .bind(kind.as_str())
        .bind(iso(event_date))
        .bind(note.clone())
        .bind(now.clone())
        .fetch_one(&mut *w.tx)
        .await?
        .get(0);
        let after = serde_json::json!({
            "citizen_id": citizen_id, "kind": kind.as_str(), "event_date": iso(event_date), "note": note
        });
        w.audit(
            "create",
            "registration_event",
            &id.to_string(),
            Some(c.unit_id),
            None,
            Some(&after),
        )
        .await?;
        w.commit().await?;
        Ok(RegistrationEvent {
            id,
            citizen_id,
            kind,
            event_date,
            note,
            created_at: now,
        })
    }

    /// The registration events of a citizen in scope, oldest first.
    pub async fn registrations(&self, citizen_id: i64) -> Result<Vec<RegistrationEvent>, StoreError> {
        self.citizen(citizen_id).await?;
        let rows = sqlx::query(
            "SELECT id, citizen_id, kind, event_date, note, created_at FROM registration_event \
             WHERE citizen_id = $1 ORDER BY event_date, id",
        )
        .bind(citizen_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| RegistrationEvent {
                id: r.get(0),
                citizen_id: r.get(1),
                kind: RegistrationKind::parse(&r.get::<String, _>(2)).unwrap_or(RegistrationKind::Supplementary),
                event_date: parse_iso(&r.get::<String, _>(3)).unwrap_or(Date::MIN),
                note: r.get(4),
                created_at: r.get(5),
            })
            .collect())
    }

    /// Men in scope who make their first registration in `year`: those who turn 17 in it (LNVQS
    /// Art. 16: first registration in the year a man turns 17; ordered in April by the commune
    /// chairman), without a first registration. Women register from 18 only when their
    /// occupation fits the army's needs (LNVQS Art. 12.2, ND 14/2016); that list is not modelled,
    /// so women are not listed here. Older men never registered are [`Self::late_registrations`].
    pub async fn must_register(&self, year: i32) -> Result<Vec<Citizen>, StoreError> {
        let first = Date::from_calendar_date(year - FIRST_REGISTRATION_AGE, Month::January, 1)
            .map_err(|_| StoreError::Invalid(format!("Năm {year} không hợp lệ.")))?;
        let last = Date::from_calendar_date(year - FIRST_REGISTRATION_AGE, Month::December, 31)
            .map_err(|_| StoreError::Invalid(format!("Năm {year} không hợp lệ.")))?;
        self.unregistered_men(first, last).await
    }

    /// Men in scope without a first registration born between `first` and `last`, in name order.
    async fn unregistered_men(&self, first: Date, last: Date) -> Result<Vec<Citizen>, StoreError> {
        self.require(Permission::Read)?;
        let rows = sqlx::query(&format!(
            "SELECT {CITIZEN_COLUMNS_SQL} FROM citizen c WHERE c.unit_id IN ({SCOPE_UNITS}) \
             AND c.sex = 'male' AND c.birth_date >= $2 AND c.birth_date <= $3 \
             AND NOT EXISTS (SELECT 1 FROM registration_event e WHERE e.citizen_id = c.id AND e.kind IN ('first', 'removal')) \
             ORDER BY c.sort_key, c.id"
        ))
        .bind(self.actor.unit_id)
        .bind(iso(first))
        .bind(iso(last))
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows.iter().map(citizen_row).collect())
    }

    /// Men of registration age in `year` (17 or older by 31 December of it, at most
    /// [`MALE_SERVICE_AGE_MAX`] on 1 January) who never made a first registration and whose own
    /// period (April of the year they turned 17) ended before `today`, most overdue first.
    pub async fn late_registrations(&self, year: i32, today: Date) -> Result<Vec<LateRegistration>, StoreError> {
        let born_by = Date::from_calendar_date(year - FIRST_REGISTRATION_AGE, Month::December, 31)
            .map_err(|_| StoreError::Invalid(format!("Năm {year} không hợp lệ.")))?;
        // Born after 31/12 of (year − 46): at most 45 years old on 1 January of `year`.
        let born_from = Date::from_calendar_date(year - MALE_SERVICE_AGE_MAX, Month::January, 1)
            .map_err(|_| StoreError::Invalid(format!("Năm {year} không hợp lệ.")))?;
        let mut late: Vec<LateRegistration> = self
            .unregistered_men(born_from, born_by)
            .await?
            .into_iter()
            .filter_map(|c| {
                let due = first_registration_due(c.birth_date.year() + FIRST_REGISTRATION_AGE);
                (due < today).then(|| LateRegistration {
                    days_late: (today - due).whole_days(),
                    due_date: due,
                    citizen: c,
                })
            })
            .collect();
        late.sort_by_key(|l| std::cmp::Reverse(l.days_late));
        Ok(late)
    }

    /// Of the given citizens, those without a first registration on record (the gap a call-up
    /// decision must not pass over in silence).
    pub async fn without_first_registration(&self, ids: &[i64]) -> Result<Vec<i64>, StoreError> {
        self.require(Permission::Read)?;
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        let registered: std::collections::HashSet<i64> = sqlx::query(&format!(
            "SELECT DISTINCT e.citizen_id FROM registration_event e WHERE e.kind = 'first' AND e.citizen_id IN ({list})"
        ))
        .fetch_all(&self.store.pool)
        .await?
        .iter()
        .map(|r| r.get::<i64, _>(0))
        .collect();
        Ok(ids.iter().copied().filter(|id| !registered.contains(id)).collect())
    }

    /// Adds a family relation to a citizen in scope.
    pub async fn add_family_relation(&self, r: NewFamilyRelation) -> Result<FamilyRelation, StoreError> {
        self.require(Permission::Write)?;
        let c = self.citizen(r.citizen_id).await?;
        let relation = clean_owned(Some(r.relation))
            .ok_or_else(|| StoreError::Invalid("Hãy ghi quan hệ với công dân (bố, mẹ, anh, chị, ...).".into()))?;
        let name = clean_owned(Some(r.name))
            .ok_or_else(|| StoreError::Invalid("Họ và tên người thân không được để trống.".into()))?;
        let evidence = clean_owned(r.evidence);
        if r.circumstance.is_some() && evidence.is_none() {
            return Err(StoreError::Invalid(
                "Hoàn cảnh làm căn cứ tạm hoãn hoặc miễn phải kèm giấy tờ chứng minh (số, ngày, nơi cấp).".into(),
            ));
        }
        let circumstance = r.circumstance.map(|c| c.code().to_string());
        let now = crate::now_text();
        let mut w = self.begin_write(Permission::Write).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO family_relation (citizen_id, unit_id, province_code, relation, name, circumstance, evidence, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(c.id)
        .bind(c.unit_id)
        .bind(c.province_code.clone())
        .bind(relation.clone())
        .bind(name.clone())
        .bind(circumstance.clone())
        .bind(evidence.clone())
        .bind(now.clone())
        .fetch_one(&mut *w.tx)
        .await?
        .get(0);
        let out = FamilyRelation {
            id,
            citizen_id: c.id,
            relation,
            name,
            circumstance,
            evidence,
            created_at: now,
        };
        w.audit(
            "create",
            "family_relation",
            &id.to_string(),
            Some(c.unit_id),
            None,
            Some(&serde_json::to_value(&out).unwrap_or_default()),
        )
        .await?;
        w.commit().await?;
        Ok(out)
    }

    pub async fn family_relations(&self, citizen_id: i64) -> Result<Vec<FamilyRelation>, StoreError> {
        self.citizen(citizen_id).await?;
        let rows = sqlx::query(
            "SELECT id, citizen_id, relation, name, circumstance, evidence, created_at FROM family_relation \
             WHERE citizen_id = $1 ORDER BY id",
        )
        .bind(citizen_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| FamilyRelation {
                id: r.get(0),
                citizen_id: r.get(1),
                relation: r.get(2),
                name: r.get(3),
                circumstance: r.get(4),
                evidence: r.get(5),
                created_at: r.get(6),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    /// PostgreSQL's reading of one line of COPY's text format (its documentation, "Text Format"):
    /// tab-separated cells, `\N` alone is NULL, a backslash escapes the next character.
    fn read_copy_line(line: &[u8]) -> Vec<Option<String>> {
        let line = std::str::from_utf8(line.strip_suffix(b"\n").expect("a line ends with a newline")).unwrap();
        assert!(
            !line.contains('\n') && !line.contains('\r'),
            "raw line breaks inside a line"
        );
        line.split('\t')
            .map(|cell| {
                if cell == "\\N" {
                    return None;
                }
                let mut out = String::new();
                let mut chars = cell.chars();
                while let Some(c) = chars.next() {
                    if c != '\\' {
                        out.push(c);
                        continue;
                    }
                    match chars.next() {
                        Some('t') => out.push('\t'),
                        Some('n') => out.push('\n'),
                        Some('r') => out.push('\r'),
                        Some('\\') => out.push('\\'),
                        other => panic!("unexpected escape {other:?} in {cell:?}"),
                    }
                }
                Some(out)
            })
            .collect()
    }

    fn record(texts: &[Option<String>; 16]) -> Prepared {
        let t = |i: usize| texts[i].clone();
        Prepared {
            unit_id: 7,
            national_id: t(0),
            legacy_id: t(1),
            full_name: t(2).unwrap_or_default(),
            name_folded: t(3).unwrap_or_default(),
            sort_key: t(4).unwrap_or_default(),
            birth_date: "2007-01-02".into(),
            birth_year: 2007,
            sex: "female",
            ethnicity: t(5),
            religion: t(6),
            birth_registration_place: t(7),
            permanent_commune_code: t(8),
            permanent_village: t(9),
            current_commune_code: t(10),
            current_village: t(11),
            education_grade: t(12),
            qualification: t(13),
            studying_level: Some("university"),
            studying_detail: t(14),
            occupation: None,
            workplace: t(15),
            party_member: 1,
            union_member: 0,
            note: t(15).map(|s| format!("{s}\\N")),
        }
    }

    proptest! {
        /// Whatever the text (backslashes, tabs, line breaks, "\N", any Unicode), the COPY line
        /// reads back as the record's 28 cells, NULLs as NULLs.
        #[test]
        fn copy_lines_read_back_as_the_cells(
            texts in proptest::array::uniform16(proptest::option::of(
                r"(\\|\\N|\\t|\\n|\\\.|\t|\n|\r|N|[a-zđươ ]|\PC)*"
            ))
        ) {
            let p = record(&texts);
            let mut buf = b"earlier line\n".to_vec();
            push_copy_row(&mut buf, &p, "33", "2026-11-29T10:00:00Z");
            let cells = read_copy_line(&buf[b"earlier line\n".len()..]);
            let s = |v: &str| Some(v.to_string());
            let expected = vec![
                s("7"), s("33"), p.national_id.clone(), p.legacy_id.clone(), s(&p.full_name),
                s(&p.name_folded), s(&p.sort_key), s("2007-01-02"), s("2007"), s("female"),
                p.ethnicity.clone(), p.religion.clone(), p.birth_registration_place.clone(),
                p.permanent_commune_code.clone(), p.permanent_village.clone(),
                p.current_commune_code.clone(), p.current_village.clone(), p.education_grade.clone(),
                p.qualification.clone(), s("university"), p.studying_detail.clone(), None,
                p.workplace.clone(), s("1"), s("0"), p.note.clone(),
                s("2026-11-29T10:00:00Z"), s("2026-11-29T10:00:00Z"),
            ];
            prop_assert_eq!(cells.len(), INSERT_ARITY);
            prop_assert_eq!(cells, expected);
        }
    }

    #[test]
    fn decimals_as_format_writes_them() {
        let mut cases = vec![0, 1, -1, 9, 10, -10, 2007, i64::MAX, i64::MIN];
        cases.extend((0..64).map(|k| 1i64 << k));
        cases.extend((0..19).map(|k| 10i64.pow(k) - 1));
        for v in cases {
            let mut buf = b"x".to_vec();
            push_decimal(&mut buf, v);
            assert_eq!(buf, format!("x{v}").into_bytes(), "{v}");
        }
    }

    proptest! {
        /// The eight-byte test agrees with the byte-by-byte one on any bytes, at any length
        /// and alignment.
        #[test]
        fn copy_escape_test_agrees_with_each_byte(v in proptest::collection::vec(any::<u8>(), 0..40)) {
            let plain = v.iter().any(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r'));
            prop_assert_eq!(needs_copy_escape(&v), plain);
        }
    }

    #[test]
    fn copy_escape_test_finds_each_special_byte_in_every_place() {
        for len in 0..24 {
            for at in 0..len {
                for special in [b'\\', b'\t', b'\n', b'\r'] {
                    let mut v = vec![b'a'; len];
                    v[at] = special;
                    assert!(needs_copy_escape(&v), "{len} {at} {special}");
                }
                // Other bytes near the special ones (below 0x0E, and next to the backslash)
                // need no escape.
                for other in [0u8, 1, 8, 0x0b, 0x0c, 0x5b, 0x5d, 0x7f, 0x80, 0xdc, 0xff] {
                    let mut v = vec![b'a'; len];
                    v[at] = other;
                    assert!(!needs_copy_escape(&v), "{len} {at} {other}");
                }
            }
        }
    }

    #[test]
    fn grades_accept_the_two_systems() {
        assert_eq!(check_grade("12/12").unwrap(), "12/12");
        assert_eq!(check_grade(" 9 / 12 ").unwrap(), "9/12");
        assert_eq!(check_grade("10/10").unwrap(), "10/10");
        for sys in [10u8, 12] {
            for g in 0..=sys {
                assert_eq!(check_grade(&format!("0{g} / {sys}")).unwrap(), format!("{g}/{sys}"));
            }
        }
        assert!(check_grade("13/12").is_err());
        assert!(check_grade("12").is_err());
        assert!(check_grade("8/9").is_err());
    }

    #[test]
    fn prepare_reports_every_bad_field() {
        let mut n = NewCitizen::new(1, "Nguyễn Văn 3", date!(2030 - 01 - 01), Sex::Male);
        n.national_id = Some("03320800123".into());
        n.permanent_commune_code = Some("99999".into());
        let errs = prepare(n, date!(2026 - 01 - 01)).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        assert!(fields.contains(&CitizenField::FullName));
        assert!(fields.contains(&CitizenField::BirthDate));
        assert!(fields.contains(&CitizenField::NationalId));
        assert!(fields.contains(&CitizenField::PermanentCommune));
        let id_err = errs.iter().find(|e| e.field == CitizenField::NationalId).unwrap();
        assert!(id_err.reason_vi.contains("Văn bản"), "{}", id_err.reason_vi);
    }

    #[test]
    fn prepare_normalises_names_and_keys() {
        let n = NewCitizen::new(1, "  Lê   Văn  Hoà ", date!(2008 - 03 - 05), Sex::Male);
        let p = prepare(n, date!(2026 - 01 - 01)).unwrap();
        assert_eq!(p.full_name, "Lê Văn Hòa");
        assert_eq!(p.name_folded, "le van hoa");
        assert_eq!(p.sort_key, text::person_collation_key("Lê Văn Hòa"));
    }

    #[test]
    fn id_checked_against_sex_and_year() {
        let mut n = NewCitizen::new(1, "Trần Thị Lan", date!(2008 - 03 - 05), Sex::Female);
        n.national_id = Some("033208001234".into()); // G = 2: male, born 20xx
        let errs = prepare(n.clone(), date!(2026 - 01 - 01)).unwrap_err();
        assert_eq!(errs[0].field, CitizenField::NationalId);
        assert!(errs[0].reason_vi.starts_with("Mã thế kỷ"), "{}", errs[0].reason_vi);
        n.sex = Sex::Male;
        n.birth_date = date!(2007 - 03 - 05);
        let errs = prepare(n, date!(2026 - 01 - 01)).unwrap_err();
        assert!(errs[0].reason_vi.contains("2008"), "{}", errs[0].reason_vi);
    }
}
