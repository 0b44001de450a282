//! Militia and self-defence: the units in scope and a form to create one; a unit's page
//! with its members, adding a member found in the citizen registry, recording training days per
//! member and the year's shortfall list against the legal days. Leaders and inspectors read only
//! (the forms are hidden, and the store refuses their writes).

use super::{render, Chrome};
use crate::csrf;
use crate::error::AppError;
use crate::forms::extract::{Form, Path, Query};
use crate::session::Viewer;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use phongthu_domain::auth::Permission;
use phongthu_domain::militia::{CommanderPost, Echelon, MilitiaKind};
use phongthu_domain::org::OrgKind;
use phongthu_store::{
    Citizen, CitizenFilter, MilitiaMemberRecord, MilitiaShortfalls, MilitiaUnit, NewMilitiaMember, NewMilitiaUnit,
    Paging, StoreError,
};
use serde::Deserialize;

/// How many registry matches the add-member search shows.
const SEARCH_LIMIT: i64 = 20;

/// A choice in a select: value and label.
pub struct Choice {
    pub value: String,
    pub label: String,
}

fn kind_choices() -> Vec<Choice> {
    MilitiaKind::ALL
        .iter()
        .map(|k| Choice {
            value: k.as_str().into(),
            label: k.label_vi().into(),
        })
        .collect()
}

fn echelon_choices() -> Vec<Choice> {
    Echelon::ALL
        .iter()
        .map(|e| Choice {
            value: e.as_str().into(),
            label: e.label_vi().into(),
        })
        .collect()
}

fn post_choices(maritime: bool) -> Vec<Choice> {
    CommanderPost::ALL
        .iter()
        .map(|p| Choice {
            value: p.as_str().into(),
            label: p.label_vi(maritime).into(),
        })
        .collect()
}

/// A unit as listed.
pub struct UnitRow {
    pub id: i64,
    pub name: String,
    pub label: String,
    pub command_name: String,
    pub active_members: i64,
}

fn unit_row(u: &MilitiaUnit) -> UnitRow {
    UnitRow {
        id: u.id,
        name: u.name.clone(),
        label: u.label_vi(),
        command_name: u.command_name.clone(),
        active_members: u.active_members,
    }
}

#[derive(Template)]
#[template(path = "militia.html")]
struct UnitsPage {
    chrome: Chrome,
    units: Vec<UnitRow>,
    commands: Vec<(i64, String)>,
    kinds: Vec<Choice>,
    echelons: Vec<Choice>,
    can_write: bool,
    error: Option<String>,
    form_name: String,
}

async fn units_page(
    state: &AppState,
    viewer: &Viewer,
    error: Option<String>,
    form_name: String,
) -> Result<UnitsPage, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let units = scoped.militia_units().await?;
    let commands = scoped
        .org_units()
        .await?
        .into_iter()
        .filter(|u| matches!(u.kind, OrgKind::CommuneCommand | OrgKind::AgencyCommand))
        .map(|u| (u.id, u.name))
        .collect();
    Ok(UnitsPage {
        chrome: Chrome::new(state, Some(viewer), "Dân quân tự vệ", "militia"),
        units: units.iter().map(unit_row).collect(),
        commands,
        kinds: kind_choices(),
        echelons: echelon_choices(),
        can_write: viewer.actor.role.allows(Permission::Write),
        error,
        form_name,
    })
}

pub async fn list(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    render(&units_page(&state, &viewer, None, String::new()).await?)
}

#[derive(Deserialize)]
pub struct NewUnitForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    echelon: String,
    #[serde(default)]
    name: String,
}

/// Renders a page again with the store's refusal and the matching status.
fn refused(mut res: Response, e: &StoreError) -> Response {
    *res.status_mut() = match e {
        StoreError::Conflict(_) => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    };
    res
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<NewUnitForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let unit_id: i64 = f
        .unit_id
        .trim()
        .parse()
        .map_err(|_| AppError::bad_request("Hãy chọn Ban Chỉ huy quân sự quản lý đơn vị."))?;
    let kind = MilitiaKind::parse(f.kind.trim()).map_err(AppError::bad_request)?;
    let echelon = Echelon::parse(f.echelon.trim()).map_err(AppError::bad_request)?;
    let scoped = state.store().scoped(&viewer.actor);
    match scoped
        .create_militia_unit(NewMilitiaUnit {
            unit_id,
            kind,
            echelon,
            name: f.name.clone(),
        })
        .await
    {
        Ok(u) => Ok(Redirect::to(&format!("/militia/{}", u.id)).into_response()),
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict(_))) => {
            let page = units_page(&state, &viewer, Some(e.to_string()), f.name.clone()).await?;
            Ok(refused(render(&page)?, &e))
        }
        Err(e) => Err(e.into()),
    }
}

/// A member row with this year's training.
pub struct MemberRow {
    pub id: i64,
    pub citizen_id: i64,
    pub full_name: String,
    pub birth_date: String,
    pub sex: &'static str,
    pub post: &'static str,
    pub volunteer: bool,
    pub joined_on: String,
    pub service_end: String,
    pub end_reason: &'static str,
    pub left: bool,
    /// Serves in the page's year (training may be recorded).
    pub serving: bool,
    pub required: u32,
    pub attended: u32,
    pub missing: u32,
}

pub struct ShortRow {
    pub full_name: String,
    pub required: u32,
    pub attended: u32,
    pub missing: u32,
    pub message: String,
}

pub struct Candidate {
    pub id: i64,
    pub full_name: String,
    pub birth_date: String,
    pub sex: &'static str,
}

#[derive(Template)]
#[template(path = "militia_unit.html")]
struct UnitPage {
    chrome: Chrome,
    unit: UnitRow,
    members: Vec<MemberRow>,
    short: Vec<ShortRow>,
    year: i32,
    required_days: u64,
    attended_days: u64,
    missing_days: u64,
    posts: Vec<Choice>,
    query: String,
    candidates: Vec<Candidate>,
    searched: bool,
    today: String,
    can_write: bool,
    flash: Option<&'static str>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct UnitQuery {
    #[serde(default)]
    year: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    saved: Option<String>,
}

fn parse_year(s: Option<&str>) -> Result<i32, AppError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(crate::forms::today().year()),
        Some(y) => y
            .parse::<i32>()
            .ok()
            .filter(|y| (1990..=2100).contains(y))
            .ok_or_else(|| AppError::bad_request(format!("Năm \"{y}\" không hợp lệ."))),
    }
}

fn member_row(m: &MilitiaMemberRecord, t: &MilitiaShortfalls) -> MemberRow {
    let training = t.members.iter().find(|s| s.member.id == m.id);
    MemberRow {
        id: m.id,
        citizen_id: m.citizen_id,
        full_name: m.full_name.clone(),
        birth_date: m.birth_date_vi(),
        sex: m.sex.label_vi(),
        post: m.post_label_vi(),
        volunteer: m.volunteer,
        joined_on: m.joined_on_vi(),
        service_end: m
            .left_on
            .map(crate::forms::vi_date)
            .unwrap_or_else(|| m.service_end_vi()),
        end_reason: if m.left_on.is_some() {
            "đã ra khỏi đơn vị"
        } else {
            m.end_reason.label_vi()
        },
        left: m.left_on.is_some(),
        serving: training.is_some(),
        required: training.map_or(0, |s| s.shortfall.required),
        attended: training.map_or(0, |s| s.shortfall.attended),
        missing: training.map_or(0, |s| s.shortfall.missing),
    }
}

async fn unit_page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    year: i32,
    query: Option<&str>,
    flash: Option<&'static str>,
    error: Option<String>,
) -> Result<UnitPage, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let unit = scoped.militia_unit(id).await?;
    let members = scoped.members(id).await?;
    let training = scoped.unit_training(id, year).await?;
    let query = query.map(str::trim).unwrap_or_default().to_string();
    let candidates = if query.is_empty() {
        vec![]
    } else {
        // Militia are filed under their commune: search that commune's registry; self-defence
        // members may be anywhere in scope.
        let filter = CitizenFilter {
            query: Some(query.clone()),
            unit_id: (unit.force == phongthu_domain::militia::ForceType::Militia).then_some(unit.unit_id),
            ..Default::default()
        };
        let page = scoped
            .list_citizens(
                &filter,
                Paging {
                    offset: 0,
                    limit: SEARCH_LIMIT,
                },
            )
            .await?;
        let active: Vec<i64> = members
            .iter()
            .filter(|m| m.left_on.is_none())
            .map(|m| m.citizen_id)
            .collect();
        page.items
            .iter()
            .filter(|c| !active.contains(&c.id))
            .map(|c: &Citizen| Candidate {
                id: c.id,
                full_name: c.full_name.clone(),
                birth_date: crate::forms::vi_date(c.birth_date),
                sex: c.sex.label_vi(),
            })
            .collect()
    };
    Ok(UnitPage {
        chrome: Chrome::new(state, Some(viewer), unit.name.clone(), "militia"),
        members: members.iter().map(|m| member_row(m, &training)).collect(),
        short: training
            .short()
            .into_iter()
            .map(|s| ShortRow {
                full_name: s.member.full_name.clone(),
                required: s.shortfall.required,
                attended: s.shortfall.attended,
                missing: s.shortfall.missing,
                message: s.shortfall.message_vi(),
            })
            .collect(),
        year,
        required_days: training.summary.required_days,
        attended_days: training.summary.attended_days,
        missing_days: training.summary.missing_days,
        posts: post_choices(unit.kind == MilitiaKind::Maritime),
        searched: !query.is_empty(),
        query,
        candidates,
        today: crate::forms::vi_date(crate::forms::today()),
        can_write: viewer.actor.role.allows(Permission::Write),
        flash,
        error,
        unit: unit_row(&unit),
    })
}

pub async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<UnitQuery>,
) -> Result<Response, AppError> {
    let year = parse_year(q.year.as_deref())?;
    let flash = match q.saved.as_deref() {
        Some("member") => Some("Đã thêm thành viên."),
        Some("training") => Some("Đã ghi số ngày huấn luyện."),
        _ => None,
    };
    render(&unit_page(&state, &viewer, id, year, q.q.as_deref(), flash, None).await?)
}

#[derive(Deserialize)]
pub struct AddMemberForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    citizen_id: String,
    #[serde(default)]
    joined_on: String,
    #[serde(default)]
    post: String,
    #[serde(default)]
    volunteer: Option<String>,
}

pub async fn add_member(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<AddMemberForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let citizen_id: i64 = f
        .citizen_id
        .trim()
        .parse()
        .map_err(|_| AppError::bad_request("Hãy chọn một công dân trong sổ đăng ký."))?;
    if f.joined_on.trim().is_empty() {
        return Err(AppError::bad_request("Hãy nhập ngày vào đơn vị."));
    }
    let joined_on = crate::forms::parse_date(Some(&f.joined_on))?;
    let post = match f.post.trim() {
        "" => None,
        p => Some(CommanderPost::parse(p).map_err(AppError::bad_request)?),
    };
    let scoped = state.store().scoped(&viewer.actor);
    match scoped
        .add_member(NewMilitiaMember {
            militia_unit_id: id,
            citizen_id,
            post,
            volunteer: f.volunteer.is_some(),
            joined_on,
        })
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/militia/{id}?saved=member")).into_response()),
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict(_))) => {
            let year = crate::forms::today().year();
            let page = unit_page(&state, &viewer, id, year, None, None, Some(e.to_string())).await?;
            Ok(refused(render(&page)?, &e))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct TrainingForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    member_id: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    days: String,
}

pub async fn record_training(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<TrainingForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let member_id: i64 = f
        .member_id
        .trim()
        .parse()
        .map_err(|_| AppError::bad_request("Thiếu thành viên cần ghi ngày huấn luyện."))?;
    let year = parse_year(Some(&f.year))?;
    let days: u32 = f.days.trim().parse().map_err(|_| {
        AppError::bad_request(format!(
            "Số ngày huấn luyện \"{}\" phải là một số nguyên không âm.",
            f.days.trim()
        ))
    })?;
    let scoped = state.store().scoped(&viewer.actor);
    // The member must belong to this unit (the store checks the scope).
    let member = scoped.militia_member(member_id).await?;
    if member.militia_unit_id != id {
        return Err(AppError::not_found(format!(
            "Không tìm thấy thành viên số {member_id} trong đơn vị này."
        )));
    }
    match scoped.record_training(member_id, year, days).await {
        Ok(()) => Ok(Redirect::to(&format!("/militia/{id}?year={year}&saved=training")).into_response()),
        Err(e @ StoreError::Invalid(_)) => {
            let page = unit_page(&state, &viewer, id, year, None, None, Some(e.to_string())).await?;
            Ok(refused(render(&page)?, &e))
        }
        Err(e) => Err(e.into()),
    }
}
