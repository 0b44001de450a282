//! Correcting a citizen's record: `GET /citizens/{id}/sua` shows every field of the record,
//! `POST` saves the changes (audited field by field by the store; the record page shows the
//! history). The places of residence are chosen by name from the territory
//! ([`super::territory_pick`]).

use super::territory_pick::{code_text, commune_options, resolve, PickOption};
use super::{render, Chrome};
use crate::csrf;
use crate::error::AppError;
use crate::forms::extract::{Form, Path};
use crate::forms::{parse_date_text, today, vi_date};
use crate::session::Viewer;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use phongthu_domain::auth::Permission;
use phongthu_domain::nvqs::{Sex, StudyLevel};
use phongthu_domain::org::OrgKind;
use phongthu_domain::territory::Level;
use phongthu_store::{Citizen, CitizenEdit, NewCitizen, StoreError};
use serde::Deserialize;

/// The form's fields, as typed.
#[derive(Deserialize, Default, Clone)]
pub struct EditForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    pub unit_id: String,
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub sex: String,
    #[serde(default)]
    pub national_id: String,
    #[serde(default)]
    pub legacy_id: String,
    #[serde(default)]
    pub ethnicity: String,
    #[serde(default)]
    pub religion: String,
    #[serde(default)]
    pub birth_registration_place: String,
    #[serde(default)]
    pub permanent_commune: String,
    #[serde(default)]
    pub permanent_village: String,
    #[serde(default)]
    pub current_commune: String,
    #[serde(default)]
    pub current_village: String,
    #[serde(default)]
    pub education_grade: String,
    #[serde(default)]
    pub qualification: String,
    #[serde(default)]
    pub studying_level: String,
    /// "" not recorded, "yes", "no".
    #[serde(default)]
    pub studying_full_time: String,
    #[serde(default)]
    pub studying_first_course: String,
    #[serde(default)]
    pub studying_detail: String,
    #[serde(default)]
    pub occupation: String,
    #[serde(default)]
    pub workplace: String,
    /// "on" when ticked.
    #[serde(default)]
    pub party_member: String,
    #[serde(default)]
    pub union_member: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Template)]
#[template(path = "citizen_edit.html")]
struct EditPage {
    chrome: Chrome,
    id: i64,
    name: String,
    units: Vec<(i64, String)>,
    levels: Vec<(&'static str, &'static str)>,
    communes: Vec<PickOption>,
    error: Option<String>,
    f: EditForm,
}

fn yes_no(v: Option<bool>) -> String {
    match v {
        Some(true) => "yes".into(),
        Some(false) => "no".into(),
        None => String::new(),
    }
}

fn form_of(state: &AppState, c: &Citizen) -> EditForm {
    let t = state.territory();
    let on = today();
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    EditForm {
        csrf: String::new(),
        unit_id: c.unit_id.to_string(),
        full_name: c.full_name.clone(),
        birth_date: vi_date(c.birth_date),
        sex: c.sex.as_str().to_string(),
        national_id: s(&c.national_id),
        legacy_id: s(&c.legacy_id),
        ethnicity: s(&c.ethnicity),
        religion: s(&c.religion),
        birth_registration_place: s(&c.birth_registration_place),
        permanent_commune: code_text(t, c.permanent_commune_code.as_deref(), on),
        permanent_village: s(&c.permanent_village),
        current_commune: code_text(t, c.current_commune_code.as_deref(), on),
        current_village: s(&c.current_village),
        education_grade: s(&c.education_grade),
        qualification: s(&c.qualification),
        studying_level: c.studying_level.map(|l| l.code().to_string()).unwrap_or_default(),
        studying_full_time: yes_no(c.studying_full_time),
        studying_first_course: yes_no(c.studying_first_course),
        studying_detail: s(&c.studying_detail),
        occupation: s(&c.occupation),
        workplace: s(&c.workplace),
        party_member: if c.party_member { "on".into() } else { String::new() },
        union_member: if c.union_member { "on".into() } else { String::new() },
        note: s(&c.note),
    }
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

fn flag(s: &str) -> Option<bool> {
    match s.trim() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// The record the form describes; the error is one Vietnamese sentence.
pub fn build_edit(state: &AppState, f: &EditForm) -> Result<CitizenEdit, String> {
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
    let studying_level = match f.studying_level.trim() {
        "" => None,
        v => Some(StudyLevel::parse(v).ok_or_else(|| format!("Trình độ đang học \"{v}\" không có trong danh sách."))?),
    };
    let t = state.territory();
    let on = today();
    let mut n = NewCitizen::new(unit_id, f.full_name.trim(), birth, sex);
    n.national_id = opt(&f.national_id);
    n.legacy_id = opt(&f.legacy_id);
    n.ethnicity = opt(&f.ethnicity);
    n.religion = opt(&f.religion);
    n.birth_registration_place = opt(&f.birth_registration_place);
    n.permanent_commune_code = resolve(t, &f.permanent_commune, Level::Commune, on, "Xã, phường thường trú")?;
    n.permanent_village = opt(&f.permanent_village);
    n.current_commune_code = resolve(t, &f.current_commune, Level::Commune, on, "Xã, phường nơi ở hiện tại")?;
    n.current_village = opt(&f.current_village);
    n.education_grade = opt(&f.education_grade);
    n.qualification = opt(&f.qualification);
    n.studying_level = studying_level;
    n.studying_detail = opt(&f.studying_detail);
    n.occupation = opt(&f.occupation);
    n.workplace = opt(&f.workplace);
    n.party_member = f.party_member == "on";
    n.union_member = f.union_member == "on";
    n.note = opt(&f.note);
    Ok(CitizenEdit {
        record: n,
        studying_full_time: flag(&f.studying_full_time),
        studying_first_course: flag(&f.studying_first_course),
    })
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    c: &Citizen,
    f: EditForm,
    error: Option<String>,
) -> Result<EditPage, AppError> {
    let units = state
        .store()
        .scoped(&viewer.actor)
        .org_units()
        .await?
        .into_iter()
        .filter(|u| u.kind == OrgKind::CommuneCommand)
        .map(|u| (u.id, u.name))
        .collect();
    Ok(EditPage {
        chrome: Chrome::new(state, Some(viewer), format!("Sửa hồ sơ: {}", c.full_name), "citizens"),
        id: c.id,
        name: c.full_name.clone(),
        units,
        levels: StudyLevel::ALL.iter().map(|l| (l.code(), l.label_vi())).collect(),
        communes: commune_options(state.territory(), Some(c.province_code.as_str()), today()),
        error,
        f,
    })
}

/// `GET /citizens/{id}/sua`.
pub async fn form(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Result<Response, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    scoped.require(Permission::Write)?;
    let c = scoped.open_citizen(id).await?;
    let f = form_of(&state, &c);
    render(&page(&state, &viewer, &c, f, None).await?)
}

/// `POST /citizens/{id}/sua`.
pub async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<EditForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let scoped = state.store().scoped(&viewer.actor);
    scoped.require(Permission::Write)?;
    let c = scoped.citizen(id).await?;
    let outcome = match build_edit(&state, &f) {
        Ok(e) => scoped.edit_citizen(id, e).await.map_err(|e| match e {
            StoreError::Invalid(m) | StoreError::Conflict(m) => Ok(m),
            other => Err(other),
        }),
        Err(m) => Err(Ok(m)),
    };
    match outcome {
        Ok((_, 0)) => Ok(Redirect::to(&format!("/citizens/{id}?saved=none")).into_response()),
        Ok(_) => Ok(Redirect::to(&format!("/citizens/{id}?saved=1")).into_response()),
        Err(Ok(message)) => {
            let mut res = render(&page(&state, &viewer, &c, f, Some(message)).await?)?;
            *res.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            Ok(res)
        }
        Err(Err(e)) => Err(e.into()),
    }
}

/// One change of the record as the record page lists it.
pub struct HistoryRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    /// (field, before, after).
    pub changes: Vec<(String, String, String)>,
}

pub fn history_rows(h: &[phongthu_store::RecordChange]) -> Vec<HistoryRow> {
    h.iter()
        .map(|r| HistoryRow {
            at: crate::forms::vi_datetime(&r.at),
            actor: r.actor.clone(),
            action: r.action_label.clone(),
            changes: r
                .changes
                .iter()
                .map(|c| (c.label.clone(), c.before.clone(), c.after.clone()))
                .collect(),
        })
        .collect()
}

/// "đại học, chính quy, khóa đầu" for the record page.
pub fn studying_text(c: &Citizen) -> String {
    let Some(l) = c.studying_level else {
        return String::new();
    };
    let mut parts = vec![l.label_vi().to_string()];
    match c.studying_full_time {
        Some(true) => parts.push("chính quy, tập trung".into()),
        Some(false) => parts.push("không chính quy".into()),
        None => {}
    }
    match c.studying_first_course {
        Some(true) => parts.push("khóa đầu".into()),
        Some(false) => parts.push("không phải khóa đầu".into()),
        None => {}
    }
    if let Some(d) = &c.studying_detail {
        parts.push(d.clone());
    }
    parts.join(", ")
}
