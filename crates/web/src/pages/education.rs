//! Defence and security education (Luật GDQPAN 30/2013; ND 13/2014 as amended by ND 139/2020):
//! the overview with the roll-up per unit and its inline SVG chart, the settings (trainee
//! categories 1–4; certificates do not expire), cadres, courses with attendance entry, the list of
//! cadres without a certificate for their category (Excel, and DOCX/PDF in the official layout), a course's
//! participant list (Excel, DOCX, PDF), and the import of cadres or course results from Excel/CSV
//! with Vietnamese headers (all-or-nothing by default; per-row errors). Every read and write goes
//! through the user's `Scoped` store; leaders and inspectors read only.

use super::reports::{deliver_all, heading, signer, Format};
use super::{render, Chrome};
use crate::csrf;
use crate::error::AppError;
use crate::forms::extract::{Form, Path, Query};
use crate::forms::{parse_date, parse_date_text, today, vi_date};
use crate::session::Viewer;
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use phongthu_documents::official::{Block, OfficialDocument};
use phongthu_documents::tabular::{template_xlsx, write_xlsx, ColumnSpec, TabularReader, TemplateColumn};
use phongthu_domain::auth::Permission;
use phongthu_domain::militia::education::{TraineeCategory, CERTIFICATE_VALIDITY_VI};
use phongthu_domain::org::OrgKind;
use phongthu_store::{
    edu_export_row, Attendance, CadreRecord, CadreUpdate, CourseRecord, CourseResult, EduImportOptions, EduSettings,
    ImportMode, NewCadre, NewCourse, SourceRow, StoreError, EDU_COLUMNS,
};
use serde::Deserialize;
use std::collections::HashMap;

/// The largest import file accepted (a cadre list is a few hundred kB).
pub const EDU_IMPORT_LIMIT_BYTES: usize = 20 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/giao-duc-qp", get(overview))
        .route("/giao-duc-qp/cai-dat", get(settings).post(save_settings))
        .route("/giao-duc-qp/can-bo", get(cadres).post(create_cadre))
        .route("/giao-duc-qp/can-bo.xlsx", get(cadres_xlsx))
        .route("/giao-duc-qp/can-bo/{id}", get(cadre))
        .route("/giao-duc-qp/can-bo/{id}/thoi-theo-doi", post(cadre_leaves))
        .route("/giao-duc-qp/can-bo/{id}/sua", post(update_cadre))
        .route("/giao-duc-qp/khoa", get(courses).post(create_course))
        .route("/giao-duc-qp/khoa/{id}", get(course))
        .route("/giao-duc-qp/khoa/{id}/hoc-vien", post(record_attendance))
        .route(
            "/giao-duc-qp/khoa/{id}/hoc-vien/{cadre}/xoa",
            get(enrolment_delete_form).post(delete_enrolment),
        )
        .route("/giao-duc-qp/khoa/{id}/danh-sach.xlsx", get(course_xlsx))
        .route("/giao-duc-qp/khoa/{id}/danh-sach.docx", get(course_document))
        .route("/giao-duc-qp/khoa/{id}/danh-sach.pdf", get(course_document))
        .route("/giao-duc-qp/chua-co-chung-nhan", get(lacking))
        .route("/giao-duc-qp/chua-co-chung-nhan.xlsx", get(lacking_xlsx))
        .route("/giao-duc-qp/chua-co-chung-nhan.docx", get(lacking_document))
        .route("/giao-duc-qp/chua-co-chung-nhan.pdf", get(lacking_document))
        .route("/giao-duc-qp/mau-nhap.xlsx", get(template))
        .route(
            "/giao-duc-qp/nhap",
            get(import_form)
                .post(import_upload)
                .layer(axum::extract::DefaultBodyLimit::max(EDU_IMPORT_LIMIT_BYTES)),
        )
}

fn can_write(viewer: &Viewer) -> bool {
    viewer.actor.role.allows(Permission::Write)
}

/// Renders a page again with the store's refusal and the matching status.
fn refused(mut res: Response, e: &StoreError) -> Response {
    *res.status_mut() = match e {
        StoreError::Conflict(_) => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    };
    res
}

/// Units where cadres are kept and courses organised (commands in scope).
async fn command_units(state: &AppState, viewer: &Viewer) -> Result<Vec<(i64, String)>, AppError> {
    Ok(state
        .store()
        .scoped(&viewer.actor)
        .org_units()
        .await?
        .into_iter()
        .filter(|u| {
            matches!(
                u.kind,
                OrgKind::ProvincialCommand
                    | OrgKind::CapitalCommand
                    | OrgKind::RegionalDefenseCommand
                    | OrgKind::CommuneCommand
                    | OrgKind::AgencyCommand
            )
        })
        .map(|u| (u.id, u.name))
        .collect())
}

fn id_of(s: &str, what: &str) -> Result<i64, AppError> {
    s.trim()
        .parse()
        .map_err(|_| AppError::bad_request(format!("Hãy chọn {what}.")))
}

fn category_of(s: &str) -> Result<u8, AppError> {
    phongthu_store::parse_category(s).map_err(AppError::bad_request)
}

/// A date typed by the user, or None when empty.
fn opt_date(s: &str, what: &str) -> Result<Option<time::Date>, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    parse_date_text(s).map(Some).ok_or_else(|| {
        AppError::bad_request(format!(
            "{what} \"{s}\" không hợp lệ: hãy nhập theo dạng NN/TT/NNNN (ví dụ 30/08/2026)."
        ))
    })
}

// ---------------------------------------------------------------------------------------------
// Overview

/// One bar of the roll-up chart.
pub struct Bar {
    pub name: String,
    pub y: usize,
    pub label_y: usize,
    pub width: usize,
    pub text: String,
}

pub struct RollupLine {
    pub name: String,
    pub cadres: i64,
    pub lacking: i64,
    pub by_category: [i64; 4],
    pub covered: String,
}

pub struct CategoryLine {
    pub number: u8,
    pub label: String,
    pub description: String,
    pub legal_source: String,
    pub confirmed: bool,
}

fn category_lines(s: &EduSettings) -> Vec<CategoryLine> {
    s.categories
        .iter()
        .map(|c| CategoryLine {
            number: c.number,
            label: c.label_vi.clone(),
            description: c.description_vi.clone(),
            legal_source: c.legal_source.clone(),
            confirmed: c.confirmed,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "edu_overview.html")]
struct OverviewPage {
    chrome: Chrome,
    on: String,
    active_cadres: i64,
    lacking: usize,
    courses: usize,
    rollup: Vec<RollupLine>,
    bars: Vec<Bar>,
    chart_height: usize,
    categories: Vec<CategoryLine>,
    validity: &'static str,
    settings_source: String,
}

#[derive(Deserialize, Default)]
pub struct OnQuery {
    #[serde(default)]
    ngay: Option<String>,
}

pub async fn overview(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<OnQuery>,
) -> Result<Response, AppError> {
    let on = parse_date(q.ngay.as_deref())?;
    let scoped = state.store().scoped(&viewer.actor);
    let o = scoped.edu_overview(on).await?;
    let courses = scoped.courses().await?;
    let settings = scoped.edu_settings(viewer.actor.unit_id).await?;
    let bars: Vec<Bar> = o
        .rollup
        .iter()
        .enumerate()
        .map(|(i, r)| Bar {
            name: r.name.clone(),
            y: 8 + i * 30,
            label_y: 23 + i * 30,
            width: r.covered_per_mille().max(0) as usize * 400 / 1000,
            text: format!(
                "{} ({} / {} có giấy chứng nhận)",
                r.covered_percent_vi(),
                r.cadres - r.lacking,
                r.cadres
            ),
        })
        .collect();
    render(&OverviewPage {
        chrome: Chrome::new(&state, Some(&viewer), "Giáo dục quốc phòng và an ninh", "education"),
        on: vi_date(on),
        active_cadres: o.active_cadres,
        lacking: o.lacking.len(),
        courses: courses.len(),
        rollup: o
            .rollup
            .iter()
            .map(|r| RollupLine {
                name: r.name.clone(),
                cadres: r.cadres,
                lacking: r.lacking,
                by_category: r.lacking_by_category,
                covered: r.covered_percent_vi(),
            })
            .collect(),
        chart_height: 16 + bars.len() * 30,
        bars,
        categories: category_lines(&settings),
        validity: CERTIFICATE_VALIDITY_VI,
        settings_source: settings
            .source_unit_name
            .clone()
            .map(|n| format!("Theo cài đặt của {n}."))
            .unwrap_or_else(|| "Theo mặc định (Hướng dẫn 90/HD-HĐGDQPAN ngày 31/5/2016).".into()),
    })
}

// ---------------------------------------------------------------------------------------------
// Settings

#[derive(Template)]
#[template(path = "edu_settings.html")]
struct SettingsPage {
    chrome: Chrome,
    unit_name: String,
    categories: Vec<CategoryLine>,
    settings_source: String,
    can_write: bool,
    flash: Option<&'static str>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

async fn settings_page(
    state: &AppState,
    viewer: &Viewer,
    flash: Option<&'static str>,
    error: Option<String>,
) -> Result<SettingsPage, AppError> {
    let s = state
        .store()
        .scoped(&viewer.actor)
        .edu_settings(viewer.actor.unit_id)
        .await?;
    Ok(SettingsPage {
        chrome: Chrome::new(
            state,
            Some(viewer),
            "Cài đặt giáo dục quốc phòng và an ninh",
            "education",
        ),
        unit_name: viewer.actor.unit_name.clone(),
        categories: category_lines(&s),
        settings_source: s
            .source_unit_name
            .clone()
            .map(|n| format!("Đang áp dụng cài đặt của {n}."))
            .unwrap_or_else(|| "Đang áp dụng mặc định (Hướng dẫn 90/HD-HĐGDQPAN ngày 31/5/2016).".into()),
        can_write: can_write(viewer),
        flash,
        error,
    })
}

pub async fn settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<SavedQuery>,
) -> Result<Response, AppError> {
    let flash = q.saved.is_some().then_some("Đã lưu cài đặt.");
    render(&settings_page(&state, &viewer, flash, None).await?)
}

pub async fn save_settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, f.get("_csrf").map(String::as_str).unwrap_or(""))?;
    let get = |k: String| f.get(&k).cloned().unwrap_or_default();
    let categories: Vec<TraineeCategory> = (1u8..=4)
        .map(|n| TraineeCategory {
            number: n,
            label_vi: get(format!("label_{n}")),
            description_vi: get(format!("description_{n}")),
            legal_source: get(format!("source_{n}")),
            confirmed: f.contains_key(&format!("confirmed_{n}")),
        })
        .collect();
    match state
        .store()
        .scoped(&viewer.actor)
        .save_edu_settings(viewer.actor.unit_id, &categories)
        .await
    {
        Ok(_) => Ok(Redirect::to("/giao-duc-qp/cai-dat?saved=1").into_response()),
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict(_))) => {
            let page = settings_page(&state, &viewer, None, Some(e.to_string())).await?;
            Ok(refused(render(&page)?, &e))
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Cadres

pub struct CadreLine {
    pub id: i64,
    pub full_name: String,
    pub birth_date: String,
    pub position: String,
    pub agency: String,
    pub category: u8,
    pub unit_name: String,
    pub linked: bool,
    pub left: bool,
}

fn cadre_line(c: &CadreRecord) -> CadreLine {
    CadreLine {
        id: c.id,
        full_name: c.full_name.clone(),
        birth_date: c.birth_date_vi(),
        position: c.position.clone(),
        agency: c.agency.clone(),
        category: c.category,
        unit_name: c.unit_name.clone(),
        linked: c.citizen_id.is_some(),
        left: c.left_on.is_some(),
    }
}

#[derive(Template)]
#[template(path = "edu_cadres.html")]
struct CadresPage {
    chrome: Chrome,
    cadres: Vec<CadreLine>,
    units: Vec<(i64, String)>,
    can_write: bool,
    error: Option<String>,
    form: CadreForm,
}

#[derive(Deserialize, Default, Clone)]
pub struct CadreForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    citizen_id: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    national_id: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    agency: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    note: String,
}

async fn cadres_page(
    state: &AppState,
    viewer: &Viewer,
    error: Option<String>,
    form: CadreForm,
) -> Result<CadresPage, AppError> {
    let list = state.store().scoped(&viewer.actor).cadres().await?;
    Ok(CadresPage {
        chrome: Chrome::new(state, Some(viewer), "Cán bộ thuộc đối tượng bồi dưỡng", "education"),
        cadres: list.iter().map(cadre_line).collect(),
        units: command_units(state, viewer).await?,
        can_write: can_write(viewer),
        error,
        form,
    })
}

pub async fn cadres(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    render(&cadres_page(&state, &viewer, None, CadreForm::default()).await?)
}

pub async fn create_cadre(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<CadreForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let unit_id = id_of(&f.unit_id, "đơn vị quản lý cán bộ")?;
    let citizen_id = match f.citizen_id.trim() {
        "" => None,
        s => Some(
            s.parse()
                .map_err(|_| AppError::bad_request(format!("Số hồ sơ công dân \"{s}\" không hợp lệ.")))?,
        ),
    };
    let category = category_of(&f.category)?;
    let birth_date = opt_date(&f.birth_date, "Ngày sinh")?;
    let n = NewCadre {
        unit_id,
        citizen_id,
        full_name: f.full_name.clone(),
        birth_date,
        national_id: Some(f.national_id.clone()).filter(|s| !s.trim().is_empty()),
        position: f.position.clone(),
        agency: f.agency.clone(),
        category,
        note: Some(f.note.clone()).filter(|s| !s.trim().is_empty()),
    };
    match state.store().scoped(&viewer.actor).create_cadre(n).await {
        Ok(c) => Ok(Redirect::to(&format!("/giao-duc-qp/can-bo/{}", c.id)).into_response()),
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict(_))) => {
            let page = cadres_page(&state, &viewer, Some(e.to_string()), f).await?;
            Ok(refused(render(&page)?, &e))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn cadres_xlsx(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let list = state.store().scoped(&viewer.actor).cadres().await?;
    let mut specs: Vec<ColumnSpec<'_>> = EDU_COLUMNS
        .iter()
        .take(7)
        .map(|c| ColumnSpec {
            header: c.header,
            text: c.text_format,
            width: 0.0,
        })
        .collect();
    specs.push(ColumnSpec {
        header: "Đơn vị quản lý",
        text: false,
        width: 30.0,
    });
    specs.push(ColumnSpec {
        header: "Thôi theo dõi từ ngày",
        text: true,
        width: 0.0,
    });
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            let mut r: Vec<String> = edu_export_row(c, None).into_iter().take(7).collect();
            r.push(c.unit_name.clone());
            r.push(c.left_on.map(vi_date).unwrap_or_default());
            r
        })
        .collect();
    let bytes = write_xlsx("Cán bộ", &specs, &rows).map_err(|e| AppError::internal(e.to_string()))?;
    Ok(super::download(bytes, super::XLSX, "can-bo-doi-tuong-boi-duong.xlsx"))
}

pub struct CertificateLine {
    pub course_id: i64,
    pub course_name: String,
    pub category: u8,
    pub provider: String,
    pub number: String,
    pub issued_on: String,
}

/// The fields of a cadre's post as the edit form sends them (and shows them again on a refusal).
#[derive(Deserialize, Default, Clone)]
pub struct CadreEditForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    agency: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    note: String,
}

#[derive(Template)]
#[template(path = "edu_cadre.html")]
struct CadrePage {
    chrome: Chrome,
    cadre: CadreLine,
    national_id: String,
    citizen_id: Option<i64>,
    note: String,
    left_on: String,
    certificates: Vec<CertificateLine>,
    lacking: Option<String>,
    today: String,
    can_write: bool,
    /// Units the cadre may be managed by (the edit form).
    units: Vec<(i64, String)>,
    edit: CadreEditForm,
    error: Option<String>,
    flash: Option<&'static str>,
}

async fn cadre_page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    edit: Option<CadreEditForm>,
    error: Option<String>,
    flash: Option<&'static str>,
) -> Result<CadrePage, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let c = scoped.cadre(id).await?;
    let certs = scoped.cadre_certificates(id).await?;
    let lacking = scoped
        .edu_overview(today())
        .await?
        .lacking
        .into_iter()
        .find(|l| l.cadre.id == id)
        .map(|l| l.reason_vi);
    let edit = edit.unwrap_or_else(|| CadreEditForm {
        csrf: String::new(),
        unit_id: c.unit_id.to_string(),
        position: c.position.clone(),
        agency: c.agency.clone(),
        category: c.category.to_string(),
        note: c.note.clone().unwrap_or_default(),
    });
    let mut units = if can_write(viewer) {
        command_units(state, viewer).await?
    } else {
        vec![]
    };
    if can_write(viewer) && !units.iter().any(|(u, _)| *u == c.unit_id) {
        units.insert(0, (c.unit_id, c.unit_name.clone()));
    }
    Ok(CadrePage {
        chrome: Chrome::new(state, Some(viewer), c.full_name.clone(), "education"),
        cadre: cadre_line(&c),
        national_id: c.national_id.clone().unwrap_or_default(),
        citizen_id: c.citizen_id,
        note: c.note.clone().unwrap_or_default(),
        left_on: c.left_on.map(vi_date).unwrap_or_default(),
        certificates: certs
            .iter()
            .map(|x| CertificateLine {
                course_id: x.course_id,
                course_name: x.course_name.clone(),
                category: x.category,
                provider: x.provider.clone(),
                number: x.number.clone().unwrap_or_default(),
                issued_on: vi_date(x.issued_on),
            })
            .collect(),
        lacking,
        today: vi_date(today()),
        can_write: can_write(viewer),
        units,
        edit,
        error,
        flash,
    })
}

#[derive(Deserialize, Default)]
pub struct CadreQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn cadre(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<CadreQuery>,
) -> Result<Response, AppError> {
    let flash = q.saved.is_some().then_some("Đã lưu thay đổi.");
    render(&cadre_page(&state, &viewer, id, None, None, flash).await?)
}

/// `POST /giao-duc-qp/can-bo/{id}/sua` — the managing unit, post, agency, category and note.
pub async fn update_cadre(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<CadreEditForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let scoped = state.store().scoped(&viewer.actor);
    scoped.require(Permission::Write)?;
    let unit_id = id_of(&f.unit_id, "đơn vị quản lý cán bộ")?;
    let category = category_of(&f.category)?;
    let u = CadreUpdate {
        unit_id,
        position: f.position.clone(),
        agency: f.agency.clone(),
        category,
        note: Some(f.note.clone()).filter(|s| !s.trim().is_empty()),
    };
    match scoped.update_cadre(id, u).await {
        Ok(_) => Ok(Redirect::to(&format!("/giao-duc-qp/can-bo/{id}?saved=1")).into_response()),
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict(_))) => {
            let page = cadre_page(&state, &viewer, id, Some(f), Some(e.to_string()), None).await?;
            Ok(refused(render(&page)?, &e))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct LeaveForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    left_on: String,
}

pub async fn cadre_leaves(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<LeaveForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let on = parse_date(Some(&f.left_on))?;
    state.store().scoped(&viewer.actor).cadre_leaves(id, on).await?;
    Ok(Redirect::to(&format!("/giao-duc-qp/can-bo/{id}")).into_response())
}

// ---------------------------------------------------------------------------------------------
// Courses

pub struct CourseLine {
    pub id: i64,
    pub name: String,
    pub category: u8,
    pub provider: String,
    pub place: String,
    pub dates: String,
    pub unit_name: String,
    pub enrolled: i64,
    pub attended: i64,
    pub certified: i64,
}

fn course_line(c: &CourseRecord) -> CourseLine {
    CourseLine {
        id: c.id,
        name: c.name.clone(),
        category: c.category,
        provider: c.provider.clone(),
        place: c.place.clone().unwrap_or_default(),
        dates: c.dates_vi(),
        unit_name: c.unit_name.clone(),
        enrolled: c.enrolled,
        attended: c.attended,
        certified: c.certified,
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct CourseForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    provider: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
}

#[derive(Template)]
#[template(path = "edu_courses.html")]
struct CoursesPage {
    chrome: Chrome,
    courses: Vec<CourseLine>,
    units: Vec<(i64, String)>,
    can_write: bool,
    error: Option<String>,
    form: CourseForm,
}

async fn courses_page(
    state: &AppState,
    viewer: &Viewer,
    error: Option<String>,
    form: CourseForm,
) -> Result<CoursesPage, AppError> {
    let list = state.store().scoped(&viewer.actor).courses().await?;
    Ok(CoursesPage {
        chrome: Chrome::new(
            state,
            Some(viewer),
            "Khóa bồi dưỡng kiến thức quốc phòng và an ninh",
            "education",
        ),
        courses: list.iter().map(course_line).collect(),
        units: command_units(state, viewer).await?,
        can_write: can_write(viewer),
        error,
        form,
    })
}

pub async fn courses(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    render(&courses_page(&state, &viewer, None, CourseForm::default()).await?)
}

pub async fn create_course(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<CourseForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let unit_id = id_of(&f.unit_id, "đơn vị tổ chức")?;
    let category = category_of(&f.category)?;
    let start =
        opt_date(&f.start, "Ngày khai giảng")?.ok_or_else(|| AppError::bad_request("Hãy nhập ngày khai giảng."))?;
    let end = opt_date(&f.end, "Ngày bế giảng")?.ok_or_else(|| AppError::bad_request("Hãy nhập ngày bế giảng."))?;
    let n = NewCourse {
        unit_id,
        name: f.name.clone(),
        category,
        provider: f.provider.clone(),
        place: Some(f.place.clone()).filter(|s| !s.trim().is_empty()),
        start,
        end,
    };
    match state.store().scoped(&viewer.actor).create_course(n).await {
        Ok(c) => Ok(Redirect::to(&format!("/giao-duc-qp/khoa/{}", c.id)).into_response()),
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict(_))) => {
            let page = courses_page(&state, &viewer, Some(e.to_string()), f).await?;
            Ok(refused(render(&page)?, &e))
        }
        Err(e) => Err(e.into()),
    }
}

pub struct ParticipantLine {
    pub cadre_id: i64,
    pub full_name: String,
    pub birth_date: String,
    pub position: String,
    pub agency: String,
    pub category: u8,
    pub attended: bool,
    pub result: String,
    pub result_label: &'static str,
    pub certificate_number: String,
    pub certificate_date: String,
    /// A certificate was issued: the enrolment cannot be deleted.
    pub certified: bool,
}

pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "edu_course.html")]
struct CoursePage {
    chrome: Chrome,
    course: CourseLine,
    participants: Vec<ParticipantLine>,
    candidates: Vec<(i64, String)>,
    results: Vec<Choice>,
    can_write: bool,
    error: Option<String>,
}

async fn course_page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    error: Option<String>,
) -> Result<CoursePage, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let c = scoped.course(id).await?;
    let list = scoped.enrolments(id).await?;
    let on_course: std::collections::HashSet<i64> = list.iter().map(|e| e.cadre.id).collect();
    let candidates = scoped
        .cadres()
        .await?
        .into_iter()
        .filter(|k| k.left_on.is_none() && !on_course.contains(&k.id))
        .map(|k| {
            (
                k.id,
                format!(
                    "{} — {}, {} (đối tượng {})",
                    k.full_name, k.position, k.agency, k.category
                ),
            )
        })
        .collect();
    Ok(CoursePage {
        chrome: Chrome::new(state, Some(viewer), c.name.clone(), "education"),
        course: course_line(&c),
        participants: list
            .iter()
            .map(|e| ParticipantLine {
                cadre_id: e.cadre.id,
                full_name: e.cadre.full_name.clone(),
                birth_date: e.cadre.birth_date_vi(),
                position: e.cadre.position.clone(),
                agency: e.cadre.agency.clone(),
                category: e.cadre.category,
                attended: e.attended,
                result: e.result.map(|r| r.as_str().to_string()).unwrap_or_default(),
                result_label: e.result_vi(),
                certificate_number: e.certificate_number.clone().unwrap_or_default(),
                certificate_date: e.certificate_date_vi(),
                certified: e.certificate_date.is_some(),
            })
            .collect(),
        candidates,
        results: CourseResult::ALL
            .iter()
            .map(|r| Choice {
                value: r.as_str().into(),
                label: r.label_vi().into(),
            })
            .collect(),
        can_write: can_write(viewer),
        error,
    })
}

pub async fn course(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Result<Response, AppError> {
    render(&course_page(&state, &viewer, id, None).await?)
}

#[derive(Deserialize)]
pub struct AttendanceForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    cadre_id: String,
    #[serde(default)]
    attended: Option<String>,
    #[serde(default)]
    result: String,
    #[serde(default)]
    certificate_number: String,
    #[serde(default)]
    certificate_date: String,
}

pub async fn record_attendance(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<AttendanceForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let cadre_id = id_of(&f.cadre_id, "cán bộ")?;
    let result = match f.result.trim() {
        "" => None,
        s => Some(CourseResult::parse(s).ok_or_else(|| {
            AppError::bad_request(format!(
                "Kết quả \"{s}\" không hợp lệ: chọn Giỏi, Khá, Đạt hoặc Không đạt."
            ))
        })?),
    };
    let a = Attendance {
        cadre_id,
        attended: f.attended.is_some(),
        result,
        certificate_number: Some(f.certificate_number.clone()),
        certificate_date: opt_date(&f.certificate_date, "Ngày cấp giấy chứng nhận")?,
    };
    match state.store().scoped(&viewer.actor).record_attendance(id, a).await {
        Ok(_) => Ok(Redirect::to(&format!("/giao-duc-qp/khoa/{id}")).into_response()),
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict(_))) => {
            let page = course_page(&state, &viewer, id, Some(e.to_string())).await?;
            Ok(refused(render(&page)?, &e))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "edu_enrolment_delete.html")]
struct EnrolmentDeletePage {
    chrome: Chrome,
    course: CourseLine,
    participant: ParticipantLine,
}

/// The enrolment of a cadre on a course, both in scope.
async fn enrolment_of(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    cadre_id: i64,
) -> Result<(CourseRecord, phongthu_store::EnrolmentRecord), AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let course = scoped.course(id).await?;
    let e = scoped
        .enrolments(id)
        .await?
        .into_iter()
        .find(|e| e.cadre.id == cadre_id)
        .ok_or_else(|| {
            AppError::not_found(format!(
                "Cán bộ số {cadre_id} không có trong danh sách học viên của khóa này."
            ))
        })?;
    Ok((course, e))
}

/// `GET /giao-duc-qp/khoa/{id}/hoc-vien/{cadre}/xoa` — asks to confirm taking a cadre off the list.
pub async fn enrolment_delete_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, cadre_id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    state.store().scoped(&viewer.actor).require(Permission::Write)?;
    let (course, e) = enrolment_of(&state, &viewer, id, cadre_id).await?;
    render(&EnrolmentDeletePage {
        chrome: Chrome::new(&state, Some(&viewer), "Xóa học viên khỏi danh sách", "education"),
        course: course_line(&course),
        participant: ParticipantLine {
            cadre_id: e.cadre.id,
            full_name: e.cadre.full_name.clone(),
            birth_date: e.cadre.birth_date_vi(),
            position: e.cadre.position.clone(),
            agency: e.cadre.agency.clone(),
            category: e.cadre.category,
            attended: e.attended,
            result: e.result.map(|r| r.as_str().to_string()).unwrap_or_default(),
            result_label: e.result_vi(),
            certificate_number: e.certificate_number.clone().unwrap_or_default(),
            certificate_date: e.certificate_date_vi(),
            certified: e.certificate_date.is_some(),
        },
    })
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// `POST /giao-duc-qp/khoa/{id}/hoc-vien/{cadre}/xoa` — takes the cadre off the list (refused
/// when a certificate was issued).
pub async fn delete_enrolment(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, cadre_id)): Path<(i64, i64)>,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    match state.store().scoped(&viewer.actor).delete_enrolment(id, cadre_id).await {
        Ok(()) => Ok(Redirect::to(&format!("/giao-duc-qp/khoa/{id}")).into_response()),
        Err(e @ StoreError::Conflict(_)) => {
            let page = course_page(&state, &viewer, id, Some(e.to_string())).await?;
            Ok(refused(render(&page)?, &e))
        }
        Err(e) => Err(e.into()),
    }
}

const PARTICIPANT_HEADERS: [&str; 8] = [
    "TT",
    "Họ và tên",
    "Ngày sinh",
    "Chức vụ, cơ quan",
    "Đối tượng",
    "Tham gia",
    "Kết quả",
    "Giấy chứng nhận",
];

async fn course_rows(state: &AppState, viewer: &Viewer, id: i64) -> Result<(CourseRecord, Vec<Vec<String>>), AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let c = scoped.course(id).await?;
    let rows = scoped
        .enrolments(id)
        .await?
        .iter()
        .enumerate()
        .map(|(i, e)| {
            vec![
                (i + 1).to_string(),
                e.cadre.full_name.clone(),
                e.cadre.birth_date_vi(),
                format!("{}, {}", e.cadre.position, e.cadre.agency),
                e.cadre.category.to_string(),
                if e.attended { "Có" } else { "Không" }.to_string(),
                e.result_vi().to_string(),
                match (&e.certificate_number, e.certificate_date) {
                    (Some(n), Some(d)) => format!("Số {n} ngày {}", vi_date(d)),
                    _ => String::new(),
                },
            ]
        })
        .collect();
    Ok((c, rows))
}

pub async fn course_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let c = scoped.course(id).await?;
    let list = scoped.enrolments(id).await?;
    // The import's columns, so that the file can be corrected and imported back as the results.
    let specs: Vec<ColumnSpec<'_>> = EDU_COLUMNS
        .iter()
        .map(|c| ColumnSpec {
            header: c.header,
            text: c.text_format,
            width: 0.0,
        })
        .collect();
    let rows: Vec<Vec<String>> = list.iter().map(|e| edu_export_row(&e.cadre, Some(e))).collect();
    let bytes = write_xlsx("Học viên", &specs, &rows).map_err(|e| AppError::internal(e.to_string()))?;
    Ok(super::download(
        bytes,
        super::XLSX,
        &format!("khoa-boi-duong-{}.xlsx", c.id),
    ))
}

pub async fn course_document(
    State(state): State<AppState>,
    viewer: Viewer,
    format: Format,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (c, rows) = course_rows(&state, &viewer, id).await?;
    let (issuer, superior_body, place) = heading(&state, &viewer).await?;
    let body = vec![
        Block::Paragraph(format!(
            "Khóa bồi dưỡng kiến thức quốc phòng và an ninh đối tượng {} do {} tổ chức, {} giảng dạy, từ ngày {} đến ngày {}{}. Tổng số {} người; {} người tham gia; {} người được cấp giấy chứng nhận.",
            c.category,
            c.unit_name,
            c.provider,
            vi_date(c.start),
            vi_date(c.end),
            c.place.as_deref().map(|p| format!(" tại {p}")).unwrap_or_default(),
            c.enrolled,
            c.attended,
            c.certified
        )),
        Block::Table {
            headers: PARTICIPANT_HEADERS.iter().map(|s| s.to_string()).collect(),
            rows,
            widths_pct: Some(vec![5, 18, 11, 26, 8, 8, 9, 15]),
        },
    ];
    let doc = OfficialDocument {
        superior_body,
        issuer,
        number_symbol: None,
        place,
        date: today(),
        kind_label: "DANH SÁCH".into(),
        title: format!("Học viên khóa bồi dưỡng kiến thức quốc phòng và an ninh — {}", c.name),
        body,
        signer: signer(&viewer),
        recipients: vec!["Như trên".into(), "Lưu: VT".into()],
    };
    deliver_all(vec![doc], format, &format!("danh-sach-hoc-vien-{}", c.id)).await
}

// ---------------------------------------------------------------------------------------------
// The list of cadres without a valid certificate

pub struct LackLine {
    pub cadre_id: i64,
    pub full_name: String,
    pub birth_date: String,
    pub position: String,
    pub agency: String,
    pub unit_name: String,
    pub category: u8,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "edu_lacking.html")]
struct LackingPage {
    chrome: Chrome,
    on: String,
    on_query: String,
    lines: Vec<LackLine>,
    validity: &'static str,
}

pub async fn lacking(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<OnQuery>,
) -> Result<Response, AppError> {
    let on = parse_date(q.ngay.as_deref())?;
    let scoped = state.store().scoped(&viewer.actor);
    let o = scoped.edu_overview(on).await?;
    render(&LackingPage {
        chrome: Chrome::new(&state, Some(&viewer), "Cán bộ chưa có giấy chứng nhận", "education"),
        on: vi_date(on),
        on_query: crate::session::encode(&vi_date(on)),
        lines: o
            .lacking
            .iter()
            .map(|l| LackLine {
                cadre_id: l.cadre.id,
                full_name: l.cadre.full_name.clone(),
                birth_date: l.cadre.birth_date_vi(),
                position: l.cadre.position.clone(),
                agency: l.cadre.agency.clone(),
                unit_name: l.cadre.unit_name.clone(),
                category: l.cadre.category,
                reason: l.reason_vi.clone(),
            })
            .collect(),
        validity: CERTIFICATE_VALIDITY_VI,
    })
}

const LACKING_HEADERS: [&str; 7] = [
    "TT",
    "Họ và tên",
    "Ngày sinh",
    "Chức vụ, cơ quan",
    "Đơn vị quản lý",
    "Đối tượng",
    "Lý do",
];

async fn lacking_rows(state: &AppState, viewer: &Viewer, on: time::Date) -> Result<Vec<Vec<String>>, AppError> {
    let o = state.store().scoped(&viewer.actor).edu_overview(on).await?;
    Ok(o.lacking
        .iter()
        .enumerate()
        .map(|(i, l)| {
            vec![
                (i + 1).to_string(),
                l.cadre.full_name.clone(),
                l.cadre.birth_date_vi(),
                format!("{}, {}", l.cadre.position, l.cadre.agency),
                l.cadre.unit_name.clone(),
                l.cadre.category.to_string(),
                l.reason_vi.clone(),
            ]
        })
        .collect())
}

pub async fn lacking_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<OnQuery>,
) -> Result<Response, AppError> {
    let on = parse_date(q.ngay.as_deref())?;
    let rows = lacking_rows(&state, &viewer, on).await?;
    let specs: Vec<ColumnSpec<'_>> = LACKING_HEADERS
        .iter()
        .map(|h| ColumnSpec {
            header: h,
            text: *h == "Ngày sinh",
            width: if *h == "Lý do" { 70.0 } else { 0.0 },
        })
        .collect();
    let bytes = write_xlsx("Chưa có giấy chứng nhận", &specs, &rows).map_err(|e| AppError::internal(e.to_string()))?;
    Ok(super::download(
        bytes,
        super::XLSX,
        "can-bo-chua-co-giay-chung-nhan.xlsx",
    ))
}

pub async fn lacking_document(
    State(state): State<AppState>,
    viewer: Viewer,
    format: Format,
    Query(q): Query<OnQuery>,
) -> Result<Response, AppError> {
    let on = parse_date(q.ngay.as_deref())?;
    let rows = lacking_rows(&state, &viewer, on).await?;
    let (issuer, superior_body, place) = heading(&state, &viewer).await?;
    let body = vec![
        Block::Paragraph(format!(
            "Danh sách cán bộ thuộc đối tượng bồi dưỡng kiến thức quốc phòng và an ninh chưa có giấy chứng nhận cho đối tượng của mình, xét tại ngày {} (giấy chứng nhận {}). Tổng số {} người.",
            vi_date(on),
            CERTIFICATE_VALIDITY_VI,
            phongthu_domain::dates::vi_int(rows.len() as i64)
        )),
        Block::Table {
            headers: LACKING_HEADERS.iter().map(|s| s.to_string()).collect(),
            rows,
            widths_pct: Some(vec![5, 17, 10, 24, 14, 8, 22]),
        },
    ];
    let doc = OfficialDocument {
        superior_body,
        issuer,
        number_symbol: None,
        place,
        date: today(),
        kind_label: "DANH SÁCH".into(),
        title: "Cán bộ chưa có giấy chứng nhận bồi dưỡng kiến thức quốc phòng và an ninh".into(),
        body,
        signer: signer(&viewer),
        recipients: vec!["Như trên".into(), "Lưu: VT".into()],
    };
    deliver_all(vec![doc], format, "can-bo-chua-co-giay-chung-nhan").await
}

// ---------------------------------------------------------------------------------------------
// Import

pub async fn template(_viewer: Viewer) -> Result<Response, AppError> {
    let columns: Vec<TemplateColumn<'_>> = EDU_COLUMNS
        .iter()
        .map(|c| TemplateColumn {
            header: c.header,
            required: c.required,
            example: c.example,
            hint: c.hint,
            text: c.text_format,
        })
        .collect();
    let bytes = template_xlsx("Cán bộ", &columns).map_err(|e| AppError::internal(e.to_string()))?;
    Ok(super::download(bytes, super::XLSX, "mau-nhap-giao-duc-qp.xlsx"))
}

pub struct ErrorLine {
    pub row: u64,
    pub column: String,
    pub value: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "edu_import.html")]
struct ImportPage {
    chrome: Chrome,
    units: Vec<(i64, String)>,
    courses: Vec<(i64, String)>,
    summary: Option<String>,
    committed: bool,
    errors: Vec<ErrorLine>,
}

async fn import_page(
    state: &AppState,
    viewer: &Viewer,
    summary: Option<String>,
    committed: bool,
    errors: Vec<ErrorLine>,
) -> Result<ImportPage, AppError> {
    let courses = state
        .store()
        .scoped(&viewer.actor)
        .courses()
        .await?
        .iter()
        .map(|c| (c.id, format!("{} ({})", c.name, c.dates_vi())))
        .collect();
    Ok(ImportPage {
        chrome: Chrome::new(state, Some(viewer), "Nhập cán bộ và kết quả bồi dưỡng", "education"),
        units: command_units(state, viewer).await?,
        courses,
        summary,
        committed,
        errors,
    })
}

pub async fn import_form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    state.store().scoped(&viewer.actor).require(Permission::Write)?;
    render(&import_page(&state, &viewer, None, false, vec![]).await?)
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
    let mut course_id: Option<i64> = None;
    let mut mode = ImportMode::AllOrNothing;
    let mut file: Option<(Vec<u8>, String)> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| bad("Tệp tải lên bị gián đoạn hoặc không đúng dạng biểu mẫu."))?
    {
        match field.name().unwrap_or("") {
            "_csrf" => csrf_sent = field.text().await.unwrap_or_default(),
            "unit_id" => {
                let v = field.text().await.unwrap_or_default();
                unit_id = Some(id_of(&v, "đơn vị nhận cán bộ mới")?);
            }
            "course_id" => {
                let v = field.text().await.unwrap_or_default();
                if !v.trim().is_empty() {
                    course_id = Some(id_of(&v, "khóa bồi dưỡng")?);
                }
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
                // The CSRF field comes first in the form: check it before reading the file.
                csrf::verify(&viewer.csrf, &csrf_sent)?;
                let name = field.file_name().unwrap_or("tep-tai-len").to_string();
                let bytes = field.bytes().await.map_err(|_| bad("Tệp tải lên bị gián đoạn."))?;
                file = Some((bytes.to_vec(), name));
            }
            _ => {}
        }
    }
    csrf::verify(&viewer.csrf, &csrf_sent)?;
    let unit_id = unit_id.ok_or_else(|| bad("Hãy chọn đơn vị nhận cán bộ mới."))?;
    let (bytes, file_name) = file.ok_or_else(|| bad("Hãy chọn tệp Excel (.xlsx) hoặc CSV để nhập."))?;
    if bytes.is_empty() {
        return Err(bad("Tệp tải lên rỗng."));
    }
    // Reading the workbook is CPU work: on the blocking pool.
    let (headers, rows) = tokio::task::spawn_blocking(move || -> Result<(Vec<String>, Vec<SourceRow>), String> {
        let reader = TabularReader::from_bytes(bytes).map_err(|e| e.to_string())?;
        let headers = reader.headers.clone();
        let mut rows = vec![];
        for r in reader {
            let r = r.map_err(|e| e.to_string())?;
            rows.push(SourceRow {
                line: r.line,
                cells: r.cells,
            });
            if rows.len() as u64 > phongthu_store::EDU_IMPORT_MAX_ROWS + 1 {
                break;
            }
        }
        Ok((headers, rows))
    })
    .await
    .map_err(|e| AppError::internal(format!("Không đọc được tệp: {e}")))?
    .map_err(AppError::bad_request)?;
    let opts = EduImportOptions {
        unit_id,
        course_id,
        mode,
        source_name: file_name,
    };
    match scoped.import_education(&headers, rows, &opts).await {
        Ok(report) => {
            let errors = report
                .rejected
                .iter()
                .map(|e| ErrorLine {
                    row: e.row,
                    column: e.column.clone().unwrap_or_default(),
                    value: e.value.clone().unwrap_or_default(),
                    reason: e.reason_vi.clone(),
                })
                .collect();
            let status = if report.committed || report.rows_read == 0 {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let page = import_page(&state, &viewer, Some(report.summary_vi()), report.committed, errors).await?;
            let mut res = render(&page)?;
            *res.status_mut() = status;
            Ok(res)
        }
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict(_))) => {
            let page = import_page(&state, &viewer, Some(e.to_string()), false, vec![]).await?;
            Ok(refused(render(&page)?, &e))
        }
        Err(e) => Err(e.into()),
    }
}
