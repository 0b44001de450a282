//! The citizen registry (military service): list and search, one record with its registration
//! events, a new record, import from Excel/CSV with live progress, export to Excel, the import
//! template, duplicates, and who must register this year. All through the scoped store.

use super::{render, Chrome};
use crate::csrf;
use crate::error::AppError;
use crate::forms::extract::{Form, Path, Query};
use crate::forms::{parse_date_text, today, vi_date, vi_datetime};
use crate::session::Viewer;
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use phongthu_documents::tabular::{ColumnSpec, TabularReader, TemplateColumn, XlsxWriter};
use phongthu_domain::auth::Permission;
use phongthu_domain::nvqs::Sex;
use phongthu_domain::org::OrgKind;
use phongthu_store::{
    citizen_export_row, Actor, Citizen, CitizenFilter, ImportMode, ImportObserver, ImportOptions, ImportProgress,
    ImportReport, NewCitizen, RegistrationKind, RowError, SourceRow, StoreError, CITIZEN_COLUMNS,
};
use serde::Deserialize;
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

const PAGE_SIZE: i64 = 50;

fn sex_label(s: Sex) -> &'static str {
    match s {
        Sex::Male => "Nam",
        Sex::Female => "Nữ",
    }
}

pub struct CitizenRow {
    pub id: i64,
    pub full_name: String,
    pub birth_date: String,
    pub sex: &'static str,
    pub national_id: String,
    pub residence: String,
    pub unit_name: String,
}

/// "Village, commune" of the permanent residence, the commune named as it is today when it
/// still exists.
pub(crate) fn residence(state: &AppState, c: &Citizen) -> String {
    let commune = c
        .permanent_commune_code
        .as_deref()
        .and_then(|code| {
            state
                .territory()
                .unit_on(code, None, today())
                .or_else(|| state.territory().units_with_code(code).into_iter().next())
        })
        .map(|u| u.name.clone());
    match (c.permanent_village.as_deref(), commune) {
        (Some(v), Some(cm)) => format!("{v}, {cm}"),
        (None, Some(cm)) => cm,
        (Some(v), None) => v.to_string(),
        (None, None) => String::new(),
    }
}

fn row(state: &AppState, c: &Citizen, units: &HashMap<i64, String>) -> CitizenRow {
    CitizenRow {
        id: c.id,
        full_name: c.full_name.clone(),
        birth_date: vi_date(c.birth_date),
        sex: sex_label(c.sex),
        // Lists show the last four digits only; the record's page shows the whole number.
        national_id: c
            .national_id
            .as_deref()
            .map(crate::forms::masked_id)
            .unwrap_or_default(),
        residence: residence(state, c),
        unit_name: units.get(&c.unit_id).cloned().unwrap_or_default(),
    }
}

/// Commune-level units in scope that can hold citizen records, with names.
async fn registry_units(state: &AppState, actor: &Actor) -> Result<Vec<(i64, String)>, AppError> {
    let units = state.store().scoped(actor).org_units().await?;
    Ok(units
        .into_iter()
        .filter(|u| u.kind == OrgKind::CommuneCommand)
        .map(|u| (u.id, u.name))
        .collect())
}

/// The picker's suggestions: the communes of the province of the actor's first commune command.
async fn province_communes(
    state: &AppState,
    actor: &Actor,
) -> Result<Vec<super::territory_pick::PickOption>, AppError> {
    let units = state.store().scoped(actor).org_units().await?;
    let province = units
        .iter()
        .filter(|u| u.kind == OrgKind::CommuneCommand)
        .find_map(|u| u.province_code.clone())
        .or_else(|| units.iter().find_map(|u| u.province_code.clone()));
    Ok(super::territory_pick::commune_options(
        state.territory(),
        province.as_deref(),
        today(),
    ))
}

async fn unit_names(state: &AppState, actor: &Actor) -> Result<HashMap<i64, String>, AppError> {
    let units = state.store().scoped(actor).org_units().await?;
    Ok(units.into_iter().map(|u| (u.id, u.name)).collect())
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    unit: Option<String>,
    year: Option<String>,
    sex: Option<String>,
    page: Option<String>,
}

struct ParsedFilter {
    filter: CitizenFilter,
    query_string: String,
}

fn parse_filter(q: &ListQuery) -> Result<ParsedFilter, AppError> {
    let text = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let unit_id = match text(&q.unit) {
        None => None,
        Some(u) => Some(
            u.parse::<i64>()
                .map_err(|_| AppError::bad_request("Đơn vị không hợp lệ."))?,
        ),
    };
    let birth_year = match text(&q.year) {
        None => None,
        Some(y) => Some(
            y.parse::<i32>()
                .ok()
                .filter(|y| (1900..=2100).contains(y))
                .ok_or_else(|| AppError::bad_request(format!("Năm sinh \"{y}\" không hợp lệ.")))?,
        ),
    };
    let sex = match text(&q.sex).as_deref() {
        None => None,
        Some("male") => Some(Sex::Male),
        Some("female") => Some(Sex::Female),
        Some(other) => return Err(AppError::bad_request(format!("Giới tính \"{other}\" không hợp lệ."))),
    };
    let mut qs = Vec::new();
    for (k, v) in [
        ("q", text(&q.q)),
        ("unit", text(&q.unit)),
        ("year", text(&q.year)),
        ("sex", text(&q.sex)),
    ] {
        if let Some(v) = v {
            qs.push(format!("{k}={}", crate::session::encode(&v)));
        }
    }
    Ok(ParsedFilter {
        filter: CitizenFilter {
            query: text(&q.q),
            unit_id,
            birth_year,
            sex,
        },
        query_string: qs.join("&"),
    })
}

#[derive(Template)]
#[template(path = "citizens.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<CitizenRow>,
    total: i64,
    q: String,
    unit: String,
    year: String,
    sex: String,
    units: Vec<(i64, String)>,
    can_write: bool,
    prev: Option<String>,
    next: Option<String>,
    range: String,
    query_string: String,
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let pf = parse_filter(&q)?;
    let page_no = crate::forms::PageNo::parse(q.page.as_deref())?;
    let page = page_no.get();
    let paging = page_no.paging(PAGE_SIZE);
    let scoped = state.store().scoped(&viewer.actor);
    let result = scoped.list_citizens(&pf.filter, paging).await?;
    let names = unit_names(&state, &viewer.actor).await?;
    let link = |p: i64| {
        let mut s = format!("/citizens?page={p}");
        if !pf.query_string.is_empty() {
            s.push('&');
            s.push_str(&pf.query_string);
        }
        s
    };
    let first = paging.offset + 1;
    let last = (first + result.items.len() as i64 - 1).max(0);
    let page_view = ListPage {
        chrome: Chrome::new(&state, Some(&viewer), "Công dân", "citizens"),
        rows: result.items.iter().map(|c| row(&state, c, &names)).collect(),
        total: result.total,
        q: q.q.clone().unwrap_or_default(),
        unit: q.unit.clone().unwrap_or_default(),
        year: q.year.clone().unwrap_or_default(),
        sex: q.sex.clone().unwrap_or_default(),
        units: registry_units(&state, &viewer.actor).await?,
        can_write: viewer.actor.role.allows(Permission::Write),
        prev: (page > 1).then(|| link(page - 1)),
        next: (last < result.total || (result.capped && result.items.len() as i64 == PAGE_SIZE))
            .then(|| link(page + 1)),
        range: if result.total == 0 {
            String::new()
        } else if result.capped {
            // Counting stopped at the cap: said as such rather than counted over the province.
            format!("{first}–{last} / hơn {}", super::directives::vi_count(result.total))
        } else {
            format!("{first}–{last} / {}", super::directives::vi_count(result.total))
        },
        query_string: pf.query_string,
    };
    render(&page_view)
}

#[derive(Template)]
#[template(path = "citizen.html")]
struct DetailPage {
    chrome: Chrome,
    c: Citizen,
    birth_date: String,
    sex: &'static str,
    unit_name: String,
    residence: String,
    current: String,
    events: Vec<(String, &'static str, String)>,
    relations: Vec<(String, String, String)>,
    can_write: bool,
    kinds: Vec<(&'static str, &'static str)>,
    today: String,
    flash: Option<&'static str>,
    created: String,
    updated: String,
    /// The engine's preliminary assessment for next year's call-up: (year, status, sentence,
    /// reasons, last day of call-up age).
    assessment: (i32, &'static str, String, Vec<String>, String),
    /// The national ID's province code is none of the 63 codes: a warning, shown (not a refusal).
    id_warning: Option<String>,
    /// The record's changes, newest first, when shown (`citizen_edit::history_rows`).
    history: Vec<super::citizen_edit::HistoryRow>,
    studying: String,
}

#[derive(Deserialize, Default)]
pub struct DetailQuery {
    saved: Option<String>,
}

pub async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<DetailQuery>,
) -> Result<Response, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let c = scoped.open_citizen(id).await?;
    let events = scoped
        .registrations(id)
        .await?
        .into_iter()
        .map(|e| (vi_date(e.event_date), e.kind.label_vi(), e.note.unwrap_or_default()))
        .collect();
    let relations = scoped
        .family_relations(id)
        .await?
        .into_iter()
        .map(|r| {
            (
                r.relation.clone(),
                r.name.clone(),
                r.circumstance.clone().unwrap_or_default(),
            )
        })
        .collect();
    let names = unit_names(&state, &viewer.actor).await?;
    let current = match (c.current_village.as_deref(), c.current_commune_code.as_deref()) {
        (v, Some(code)) => {
            let name = state
                .territory()
                .unit_on(code, None, today())
                .map(|u| u.name.clone())
                .unwrap_or_else(|| code.to_string());
            v.map(|v| format!("{v}, {name}")).unwrap_or(name)
        }
        (Some(v), None) => v.to_string(),
        (None, None) => String::new(),
    };
    // Preliminary assessment for next year's call-up, from what the record holds.
    let circumstances: Vec<String> = scoped
        .family_relations(id)
        .await?
        .iter()
        .filter_map(|r| r.circumstance.clone())
        .collect();
    let year = today().year() + 1;
    let reference = time::Date::from_calendar_date(year - 1, time::Month::December, 31)
        .map_err(|_| AppError::internal("ngày tham chiếu"))?;
    let cycle =
        phongthu_domain::nvqs::Cycle::new(year, reference, false).map_err(|e| AppError::internal(e.to_string()))?;
    let decision = phongthu_domain::nvqs::assess(&cycle, &phongthu_store::facts_of(&c, &circumstances));
    let assessment = (
        year,
        decision.status.label_vi(),
        decision.status_reason(),
        decision.reasons.clone(),
        vi_date(decision.age_limit_date),
    );
    let id_warning = c
        .national_id
        .as_deref()
        .and_then(|n| phongthu_domain::nvqs::citizen_id::parse(n).ok())
        .and_then(|id| id.province_warning());
    let page = DetailPage {
        id_warning,
        assessment,
        chrome: Chrome::new(&state, Some(&viewer), c.full_name.clone(), "citizens"),
        birth_date: vi_date(c.birth_date),
        sex: sex_label(c.sex),
        unit_name: names.get(&c.unit_id).cloned().unwrap_or_default(),
        residence: residence(&state, &c),
        current,
        events,
        relations,
        can_write: viewer.actor.role.allows(Permission::Write),
        kinds: RegistrationKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label_vi()))
            .collect(),
        today: vi_date(today()),
        flash: q.saved.as_deref().map(|v| {
            if v == "none" {
                "Không có thay đổi nào để lưu."
            } else {
                "Đã lưu."
            }
        }),
        history: super::citizen_edit::history_rows(&scoped.citizen_history(id).await?),
        studying: super::citizen_edit::studying_text(&c),
        created: vi_datetime(&c.created_at),
        updated: vi_datetime(&c.updated_at),
        c,
    };
    render(&page)
}

#[derive(Deserialize)]
pub struct RegistrationForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    event_date: String,
    #[serde(default)]
    note: String,
}

pub async fn add_registration(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<RegistrationForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let kind = RegistrationKind::parse(f.kind.trim()).ok_or_else(|| AppError::bad_request("Hãy chọn loại đăng ký."))?;
    let date = parse_date_text(f.event_date.trim()).ok_or_else(|| {
        AppError::bad_request(format!(
            "Ngày đăng ký \"{}\" không hợp lệ: dùng dạng NN/TT/NNNN.",
            f.event_date.trim()
        ))
    })?;
    let note = Some(f.note.trim().to_string()).filter(|s| !s.is_empty());
    state
        .store()
        .scoped(&viewer.actor)
        .record_registration(id, kind, date, note)
        .await?;
    Ok(Redirect::to(&format!("/citizens/{id}?saved=1")).into_response())
}

#[derive(Template)]
#[template(path = "citizen_new.html")]
struct NewPage {
    chrome: Chrome,
    units: Vec<(i64, String)>,
    communes: Vec<super::territory_pick::PickOption>,
    error: Option<String>,
    f: CitizenForm,
}

#[derive(Deserialize, Default, Clone)]
pub struct CitizenForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    sex: String,
    #[serde(default)]
    national_id: String,
    #[serde(default)]
    ethnicity: String,
    #[serde(default)]
    religion: String,
    /// The commune's name, chosen in the picker (`territory_pick`).
    #[serde(default)]
    permanent_commune: String,
    #[serde(default)]
    permanent_village: String,
    #[serde(default)]
    education_grade: String,
    #[serde(default)]
    occupation: String,
    #[serde(default)]
    workplace: String,
    #[serde(default)]
    note: String,
}

pub async fn new_form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    state.store().scoped(&viewer.actor).require(Permission::Write)?;
    let page = NewPage {
        chrome: Chrome::new(&state, Some(&viewer), "Thêm công dân", "citizens"),
        communes: province_communes(&state, &viewer.actor).await?,
        units: registry_units(&state, &viewer.actor).await?,
        error: None,
        f: CitizenForm {
            sex: "male".into(),
            ..Default::default()
        },
    };
    render(&page)
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

fn build_new_citizen(state: &AppState, f: &CitizenForm) -> Result<NewCitizen, String> {
    let unit_id: i64 = f
        .unit_id
        .trim()
        .parse()
        .map_err(|_| "Hãy chọn Ban Chỉ huy Quân sự xã quản lý hồ sơ.".to_string())?;
    if f.full_name.trim().is_empty() {
        return Err("Họ và tên không được để trống.".into());
    }
    let birth = parse_date_text(f.birth_date.trim()).ok_or_else(|| {
        format!(
            "Ngày sinh \"{}\" không hợp lệ: dùng dạng NN/TT/NNNN.",
            f.birth_date.trim()
        )
    })?;
    let sex = Sex::parse(f.sex.trim()).ok_or_else(|| "Hãy chọn giới tính.".to_string())?;
    let mut n = NewCitizen::new(unit_id, f.full_name.trim(), birth, sex);
    n.national_id = opt(&f.national_id);
    n.ethnicity = opt(&f.ethnicity);
    n.religion = opt(&f.religion);
    n.permanent_commune_code = super::territory_pick::resolve(
        state.territory(),
        &f.permanent_commune,
        phongthu_domain::territory::Level::Commune,
        today(),
        "Xã, phường thường trú",
    )?;
    n.permanent_village = opt(&f.permanent_village);
    n.education_grade = opt(&f.education_grade);
    n.occupation = opt(&f.occupation);
    n.workplace = opt(&f.workplace);
    n.note = opt(&f.note);
    Ok(n)
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<CitizenForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let scoped = state.store().scoped(&viewer.actor);
    scoped.require(Permission::Write)?;
    let result = match build_new_citizen(&state, &f) {
        Ok(n) => scoped.create_citizen(n).await.map_err(|e| match e {
            StoreError::Invalid(m) | StoreError::Conflict(m) => Ok(m),
            other => Err(other),
        }),
        Err(m) => Err(Ok(m)),
    };
    match result {
        Ok(c) => Ok(Redirect::to(&format!("/citizens/{}?saved=1", c.id)).into_response()),
        Err(Ok(message)) => {
            let page = NewPage {
                chrome: Chrome::new(&state, Some(&viewer), "Thêm công dân", "citizens"),
                communes: province_communes(&state, &viewer.actor).await?,
                units: registry_units(&state, &viewer.actor).await?,
                error: Some(message),
                f,
            };
            let mut res = render(&page)?;
            *res.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            Ok(res)
        }
        Err(Err(e)) => Err(e.into()),
    }
}

/// The import template: the columns with an example row and a sheet of instructions.
pub fn citizen_import_template_xlsx() -> Result<Vec<u8>, phongthu_documents::tabular::TabularError> {
    let cols: Vec<TemplateColumn<'_>> = CITIZEN_COLUMNS
        .iter()
        .map(|c| TemplateColumn {
            header: c.header,
            required: c.required,
            example: c.example,
            hint: c.hint,
            text: c.text_format,
        })
        .collect();
    phongthu_documents::tabular::template_xlsx("Danh sách công dân", &cols)
}

pub async fn template(_viewer: Viewer) -> Result<Response, AppError> {
    let bytes = citizen_import_template_xlsx().map_err(|e| AppError::internal(e.to_string()))?;
    Ok(super::download(bytes, super::XLSX, "mau-nhap-cong-dan.xlsx"))
}

pub async fn export(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let pf = parse_filter(&q)?;
    let specs: Vec<ColumnSpec<'_>> = CITIZEN_COLUMNS
        .iter()
        .map(|c| ColumnSpec {
            header: c.header,
            text: c.text_format,
            width: 0.0,
        })
        .collect();
    let mut w = XlsxWriter::new("Danh sách công dân", &specs).map_err(|e| AppError::internal(e.to_string()))?;
    let mut write_error = None;
    state
        .store()
        .scoped(&viewer.actor)
        .for_each_citizen(&pf.filter, 2000, |c| {
            if let Err(e) = w.push(&citizen_export_row(c)) {
                write_error.get_or_insert(e.to_string());
            }
            Ok(())
        })
        .await?;
    if let Some(e) = write_error {
        return Err(AppError::internal(format!("Không tạo được tệp Excel: {e}")));
    }
    let bytes = w.finish().map_err(|e| AppError::internal(e.to_string()))?;
    Ok(super::download(
        bytes,
        super::XLSX,
        &format!("cong-dan-{}.xlsx", today()),
    ))
}

#[derive(Template)]
#[template(path = "citizen_duplicates.html")]
struct DuplicatesPage {
    chrome: Chrome,
    groups: Vec<DuplicateView>,
}

/// One group of possible duplicates: title, commune, and (id, national ID, unit) per record.
type DuplicateView = (String, String, Vec<(i64, String, String)>);

pub async fn duplicates(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let groups = state.store().scoped(&viewer.actor).duplicates().await?;
    let names = unit_names(&state, &viewer.actor).await?;
    let groups = groups
        .into_iter()
        .map(|g| {
            let commune = g
                .permanent_commune_code
                .as_deref()
                .and_then(|c| {
                    state
                        .territory()
                        .units_with_code(c)
                        .into_iter()
                        .next()
                        .map(|u| u.name.clone())
                })
                .unwrap_or_default();
            (
                format!(
                    "{} — sinh {}",
                    g.citizens.first().map(|c| c.full_name.clone()).unwrap_or_default(),
                    vi_date(g.birth_date)
                ),
                commune,
                g.citizens
                    .into_iter()
                    .map(|c| {
                        (
                            c.id,
                            c.national_id
                                .as_deref()
                                .map(|n| format!("số định danh {}", crate::forms::masked_id(n)))
                                .unwrap_or_else(|| "chưa có số định danh".into()),
                            names.get(&c.unit_id).cloned().unwrap_or_default(),
                        )
                    })
                    .collect(),
            )
        })
        .collect();
    render(&DuplicatesPage {
        chrome: Chrome::new(&state, Some(&viewer), "Hồ sơ nghi trùng", "citizens"),
        groups,
    })
}

#[derive(Template)]
#[template(path = "citizen_registration.html")]
struct RegistrationPage {
    chrome: Chrome,
    year: i32,
    due: String,
    must: Vec<CitizenRow>,
    /// (citizen, end of his registration period, how long overdue in words).
    late: Vec<(CitizenRow, String, String)>,
}

/// How long ago a registration period ended, in years and months ("2 năm 3 tháng", "12 ngày"):
/// a figure a person reads, not a count of thousands of days.
fn overdue_text(due: time::Date, today: time::Date) -> String {
    let months = (today.year() - due.year()) * 12 + (today.month() as i32 - due.month() as i32)
        - i32::from(today.day() < due.day());
    match months {
        m if m <= 0 => format!("{} ngày", (today - due).whole_days().max(0)),
        m if m < 12 => format!("{m} tháng"),
        m if m % 12 == 0 => format!("{} năm", m / 12),
        m => format!("{} năm {} tháng", m / 12, m % 12),
    }
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    year: Option<String>,
}

pub async fn registration(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let year = match q.year.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => today().year(),
        Some(y) => y
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| AppError::bad_request(format!("Năm \"{y}\" không hợp lệ.")))?,
    };
    let scoped = state.store().scoped(&viewer.actor);
    let names = unit_names(&state, &viewer.actor).await?;
    let must = scoped
        .must_register(year)
        .await?
        .iter()
        .map(|c| row(&state, c, &names))
        .collect();
    let late = scoped
        .late_registrations(year, today())
        .await?
        .iter()
        .map(|l| {
            (
                row(&state, &l.citizen, &names),
                vi_date(l.due_date),
                overdue_text(l.due_date, today()),
            )
        })
        .collect();
    render(&RegistrationPage {
        chrome: Chrome::new(&state, Some(&viewer), "Đăng ký nghĩa vụ quân sự", "citizens"),
        year,
        due: vi_date(phongthu_store::first_registration_due(year)),
        must,
        late,
    })
}

// ----------------------------------------------------------------------------------------------
// Import with progress: the upload is saved to a temporary file, the import runs as a background
// task, and the job page shows its progress (refreshing itself) and then its report.

/// One import job, visible only to the user who started it.
pub struct ImportJob {
    pub owner: Option<i64>,
    pub file_name: String,
    pub progress: ImportProgress,
    pub outcome: Option<Result<ImportReport, String>>,
    /// The refused rows as an Excel file (original cells plus the reason), when any.
    pub rejects: Option<Vec<u8>>,
    /// When the import ended: the job and its rejects file expire after that
    /// ([`crate::jobs::JobTable`]).
    pub finished: Option<std::time::Instant>,
}

impl crate::jobs::JobState for ImportJob {
    fn finished_at(&self) -> Option<std::time::Instant> {
        self.finished
    }
}

pub type Jobs = crate::jobs::JobTable<ImportJob>;

struct WebObserver {
    job: Arc<Mutex<ImportJob>>,
    rejects: Option<XlsxWriter>,
    rejects_count: u64,
}

impl ImportObserver for WebObserver {
    fn progress(&mut self, p: &ImportProgress) {
        if let Ok(mut j) = self.job.lock() {
            j.progress = *p;
        }
    }

    fn rejected(&mut self, row: &SourceRow, errors: &[RowError]) {
        if let Some(w) = &mut self.rejects {
            let mut cells = row.cells.clone();
            cells.push(errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "));
            if w.push(&cells).is_ok() {
                self.rejects_count += 1;
            }
        }
    }
}

#[derive(Template)]
#[template(path = "citizen_import.html")]
struct ImportPage {
    chrome: Chrome,
    units: Vec<(i64, String)>,
}

pub async fn import_form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    state.store().scoped(&viewer.actor).require(Permission::Write)?;
    render(&ImportPage {
        chrome: Chrome::new(&state, Some(&viewer), "Nhập công dân từ tệp", "citizens"),
        units: registry_units(&state, &viewer.actor).await?,
    })
}

pub async fn import_upload(
    State(state): State<AppState>,
    viewer: Viewer,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    scoped.require(Permission::Write)?;
    let bad = |m: &str| AppError::bad_request(m.to_string());
    let mut csrf_sent = String::new();
    let mut unit_id: Option<i64> = None;
    let mut mode = ImportMode::AllOrNothing;
    let mut file: Option<(tempfile::NamedTempFile, String, u64)> = None;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|_| bad("Tệp tải lên bị gián đoạn hoặc không đúng dạng biểu mẫu."))?
    {
        match field.name().unwrap_or("") {
            "_csrf" => csrf_sent = field.text().await.unwrap_or_default(),
            "unit_id" => {
                unit_id = Some(
                    field
                        .text()
                        .await
                        .unwrap_or_default()
                        .trim()
                        .parse()
                        .map_err(|_| bad("Hãy chọn Ban Chỉ huy Quân sự xã nhận hồ sơ."))?,
                )
            }
            "mode" => {
                let value = field.text().await.unwrap_or_default();
                mode = if value == "valid_only" {
                    ImportMode::ValidOnly
                } else {
                    ImportMode::AllOrNothing
                };
            }
            "file" => {
                // The CSRF field comes first in the form: check it before storing anything.
                csrf::verify(&viewer.csrf, &csrf_sent)?;
                let name = field.file_name().unwrap_or("tep-tai-len").to_string();
                let mut tmp = tempfile::NamedTempFile::new()
                    .map_err(|e| AppError::internal(format!("Không tạo được tệp tạm: {e}")))?;
                let mut size = 0u64;
                while let Some(chunk) = field.chunk().await.map_err(|_| bad("Tệp tải lên bị gián đoạn."))? {
                    size += chunk.len() as u64;
                    tmp.write_all(&chunk)
                        .map_err(|e| AppError::internal(format!("Không lưu được tệp tải lên: {e}")))?;
                }
                file = Some((tmp, name, size));
            }
            _ => {}
        }
    }
    csrf::verify(&viewer.csrf, &csrf_sent)?;
    let unit_id = unit_id.ok_or_else(|| bad("Hãy chọn Ban Chỉ huy Quân sự xã nhận hồ sơ."))?;
    let (tmp, file_name, size) = file.ok_or_else(|| bad("Hãy chọn tệp Excel (.xlsx) hoặc CSV để nhập."))?;
    if size == 0 {
        return Err(bad("Tệp tải lên rỗng."));
    }
    scoped.org_unit(unit_id).await?;
    // Opening reads the header, and for .xlsx checks and opens the workbook: blocking work, kept
    // off the async workers so that other requests go on meanwhile.
    let path = tmp.path().to_path_buf();
    let reader = tokio::task::spawn_blocking(move || TabularReader::open(&path))
        .await
        .map_err(|e| AppError::internal(e.to_string()))?
        .map_err(|e| AppError::bad_request(e.to_string()))?;
    let headers = reader.headers.clone();
    let mut specs: Vec<ColumnSpec<'_>> = headers
        .iter()
        .map(|h| ColumnSpec {
            header: h.as_str(),
            text: true,
            width: 0.0,
        })
        .collect();
    specs.push(ColumnSpec {
        header: "Lý do bị từ chối",
        text: false,
        width: 80.0,
    });
    let rejects = XlsxWriter::new("Dòng bị từ chối", &specs).ok();
    let job_id = crate::csrf::new_token();
    // The journal's row first: after a crash the job's page can still say what happened.
    scoped.start_import_run(&job_id, unit_id, &file_name).await?;
    let job = Arc::new(Mutex::new(ImportJob {
        owner: viewer.actor.user_id,
        file_name: file_name.clone(),
        progress: ImportProgress::default(),
        outcome: None,
        rejects: None,
        finished: None,
    }));
    state.jobs().insert(job_id.clone(), job.clone());
    let store = state.store().clone();
    let actor = viewer.actor.clone();
    let run_token = job_id.clone();
    tokio::spawn(async move {
        let _keep = tmp; // the temporary file lives until the import ends
        let mut obs = WebObserver {
            job: job.clone(),
            rejects,
            rejects_count: 0,
        };
        let opts = ImportOptions {
            unit_id,
            mode,
            source_name: file_name,
        };
        let rows = reader.map(|r| {
            r.map(|r| SourceRow {
                line: r.line,
                cells: r.cells,
            })
            .map_err(|e| e.to_string())
        });
        let scoped = store.scoped(&actor);
        let result = scoped
            .import_citizens_run(&headers, rows, &opts, &mut obs, Some(&run_token))
            .await;
        if !result.as_ref().is_ok_and(|r| r.committed) {
            if let Err(e) = scoped.finish_import_run(&run_token).await {
                tracing::warn!(error = %e, "không ghi được kết thúc của lượt nhập");
            }
        }
        // Building the workbook is CPU work: on the blocking pool.
        let rejects = match (obs.rejects_count, obs.rejects) {
            (n, Some(w)) if n > 0 => tokio::task::spawn_blocking(move || w.finish().ok())
                .await
                .ok()
                .flatten(),
            _ => None,
        };
        if let Ok(mut j) = job.lock() {
            j.outcome = Some(result.map_err(|e| e.to_string()));
            j.rejects = rejects;
            j.finished = Some(std::time::Instant::now());
        }
    });
    Ok(Redirect::to(&format!("/citizens/import/{job_id}")).into_response())
}

#[derive(Template)]
#[template(path = "citizen_import_job.html")]
struct JobPage {
    chrome: Chrome,
    job_id: String,
    file_name: String,
    running: bool,
    progress: ImportProgress,
    summary: Option<String>,
    failed: Option<String>,
    errors: Vec<String>,
    more_errors: u64,
    has_rejects: bool,
    committed: bool,
}

fn find_job(state: &AppState, viewer: &Viewer, job_id: &str) -> Result<Arc<Mutex<ImportJob>>, AppError> {
    state
        .jobs()
        .get(job_id)
        .filter(|j| j.lock().map(|j| j.owner == viewer.actor.user_id).unwrap_or(false))
        .ok_or_else(|| AppError::not_found("Không tìm thấy lượt nhập này (đã hết hạn hoặc không phải của bạn)."))
}

/// The page of an import the server no longer holds in memory (it restarted): from the journal,
/// an import that never ended wrote nothing.
async fn past_job_page(state: &AppState, viewer: &Viewer, job_id: &str) -> Result<Response, AppError> {
    let run = state
        .store()
        .scoped(&viewer.actor)
        .import_run(job_id)
        .await?
        .ok_or_else(|| AppError::not_found("Không tìm thấy lượt nhập này (đã hết hạn hoặc không phải của bạn)."))?;
    let started = vi_datetime(&run.started_at);
    let (summary, failed) = if run.interrupted() {
        (
            None,
            Some(format!(
                "Lượt nhập tệp \"{}\" bắt đầu lúc {started} đã bị gián đoạn (máy chủ đã dừng giữa chừng): \
                 không có hồ sơ nào của tệp được ghi. Hãy nhập lại tệp.",
                run.file_name
            )),
        )
    } else if run.committed {
        (
            Some(format!(
                "Lượt nhập tệp \"{}\" đã xong và đã được ghi. Chi tiết từng dòng không còn được giữ (lượt nhập đã \
                 hết hạn hoặc máy chủ đã khởi động lại).",
                run.file_name
            )),
            None,
        )
    } else {
        (
            None,
            Some(format!(
                "Lượt nhập tệp \"{}\" đã kết thúc mà không ghi hồ sơ nào. Chi tiết từng dòng không còn được giữ \
                 (lượt nhập đã hết hạn hoặc máy chủ đã khởi động lại).",
                run.file_name
            )),
        )
    };
    render(&JobPage {
        chrome: Chrome::new(state, Some(viewer), "Kết quả nhập công dân", "citizens"),
        job_id: job_id.to_string(),
        file_name: run.file_name.clone(),
        running: false,
        progress: ImportProgress::default(),
        summary,
        failed,
        errors: vec![],
        more_errors: 0,
        has_rejects: false,
        committed: run.committed,
    })
}

pub async fn import_job(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(job_id): Path<String>,
) -> Result<Response, AppError> {
    let job = match find_job(&state, &viewer, &job_id) {
        Ok(job) => job,
        Err(_) => return past_job_page(&state, &viewer, &job_id).await,
    };
    let page = {
        let j = job.lock().unwrap_or_else(|e| e.into_inner());
        let (summary, failed, errors, more, committed) = match &j.outcome {
            None => (None, None, Vec::new(), 0, false),
            Some(Err(e)) => (None, Some(e.clone()), Vec::new(), 0, false),
            Some(Ok(r)) => {
                let shown: Vec<String> = r.rejected.iter().take(500).map(|e| e.to_string()).collect();
                let more = r.rejected_rows.saturating_sub(shown.len() as u64);
                (Some(r.summary_vi()), None, shown, more, r.committed)
            }
        };
        JobPage {
            chrome: Chrome::new(&state, Some(&viewer), "Kết quả nhập công dân", "citizens"),
            job_id: job_id.clone(),
            file_name: j.file_name.clone(),
            running: j.outcome.is_none(),
            progress: j.progress,
            summary,
            failed,
            errors,
            more_errors: more,
            has_rejects: j.rejects.is_some(),
            committed,
        }
    };
    let mut res = render(&page)?;
    if page.running {
        // Refresh while the import runs (works without JavaScript).
        res.headers_mut().insert(header::REFRESH, HeaderValue::from_static("1"));
    }
    Ok(res)
}

pub async fn import_rejects(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(job_id): Path<String>,
) -> Result<Response, AppError> {
    let job = find_job(&state, &viewer, &job_id)?;
    let bytes = job
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .rejects
        .clone()
        .ok_or_else(|| AppError::not_found("Lượt nhập này không có dòng nào bị từ chối."))?;
    Ok(super::download(bytes, super::XLSX, "dong-bi-tu-choi.xlsx"))
}

#[cfg(test)]
mod tests {
    use super::overdue_text;
    use time::macros::date;

    #[test]
    fn overdue_in_years_and_months_not_thousands_of_days() {
        let due = date!(1998 - 04 - 30);
        assert_eq!(overdue_text(due, date!(2026 - 12 - 07)), "28 năm 7 tháng");
        assert_eq!(overdue_text(date!(2025 - 04 - 30), date!(2025 - 05 - 02)), "2 ngày");
        assert_eq!(overdue_text(date!(2025 - 04 - 30), date!(2025 - 07 - 30)), "3 tháng");
        assert_eq!(overdue_text(date!(2024 - 04 - 30), date!(2025 - 04 - 30)), "1 năm");
    }
}
