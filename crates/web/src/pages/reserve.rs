//! Reserve forces: reservists from the citizen registry, mobilisation units with their
//! positions, the assignment flow (the domain's exact solver run on the reservists and seats in the
//! user's scope, with a per-person explanation; accept all or some, edit one, remove), the đúng CNQS
//! rate per unit with its roll-up, reserve equipment with needs, matching and readiness checks, and
//! Excel exports. Every conflict of the mobilisation ledger is shown on the form before anything is
//! saved. Leaders and inspectors read only (the forms are hidden, and the store refuses writes).

use super::{render, Chrome};
use crate::csrf;
use crate::error::AppError;
use crate::forms::extract::{Form, Path, Query};
use crate::forms::{today, vi_date};
use crate::session::Viewer;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use phongthu_documents::tabular::{write_xlsx, ColumnSpec};
use phongthu_domain::auth::Permission;
use phongthu_domain::org::OrgKind;
use phongthu_domain::reserve::{EquipmentKind, ReservistClass};
use phongthu_store::{
    CitizenFilter, EquipmentCondition, NewEquipment, NewPosition, NewReserveUnit, NewReservist, Paging, RateRow,
    StoreError, SPARE_PERCENT_RANGE,
};
use serde::Deserialize;

/// How many registry matches the add-reservist search shows.
const SEARCH_LIMIT: i64 = 20;

/// A choice in a select: value and label.
pub struct Choice {
    pub value: String,
    pub label: String,
}

fn choice(value: impl ToString, label: impl ToString) -> Choice {
    Choice {
        value: value.to_string(),
        label: label.to_string(),
    }
}

fn kind_choices() -> Vec<Choice> {
    EquipmentKind::ALL
        .iter()
        .map(|k| choice(k.as_str(), k.label_vi()))
        .collect()
}

fn condition_choices() -> Vec<Choice> {
    EquipmentCondition::ALL
        .iter()
        .map(|c| choice(c.as_str(), c.label_vi()))
        .collect()
}

/// Renders a page again with the store's refusal and the matching status.
fn refused(mut res: Response, e: &StoreError) -> Response {
    *res.status_mut() = match e {
        StoreError::Conflict(_) => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    };
    res
}

fn id_of(s: &str, what: &str) -> Result<i64, AppError> {
    s.trim()
        .parse()
        .map_err(|_| AppError::bad_request(format!("Hãy chọn {what}.")))
}

fn count_of(s: &str, what: &str) -> Result<u32, AppError> {
    s.trim()
        .parse()
        .map_err(|_| AppError::bad_request(format!("{what} \"{}\" phải là một số nguyên không âm.", s.trim())))
}

fn can_write(viewer: &Viewer) -> bool {
    viewer.actor.role.allows(Permission::Write)
}

// ---------------------------------------------------------------------------------------------
// Overview: units, reservists, rates

pub struct UnitRow {
    pub id: i64,
    pub name: String,
    pub kind: &'static str,
    pub command_name: String,
    pub spare_percent: u32,
    pub staff: i64,
    pub seats: i64,
    pub assigned: i64,
    pub rate: String,
}

pub struct ReservistRow {
    pub citizen_id: i64,
    pub full_name: String,
    pub birth_date: String,
    pub commune_name: String,
    pub class: &'static str,
    pub specialty: String,
    pub rank: String,
    pub assignment: String,
}

pub struct Candidate {
    pub id: i64,
    pub full_name: String,
    pub birth_date: String,
    pub sex: &'static str,
}

/// One bar of the roll-up chart.
pub struct Bar {
    pub name: String,
    pub y: usize,
    pub label_y: usize,
    pub width: usize,
    pub text: String,
}

pub struct RollupRow {
    pub name: String,
    pub militia: i64,
    pub class_1: i64,
    pub class_2: i64,
    pub assigned: i64,
    pub seats: i64,
    pub rate: String,
}

fn bars(rows: &[RateRow]) -> Vec<Bar> {
    rows.iter()
        .enumerate()
        .map(|(i, r)| Bar {
            name: r.name.clone(),
            y: 8 + i * 30,
            label_y: 23 + i * 30,
            width: r.rate.exact_per_mille().unwrap_or(0) as usize * 400 / 1000,
            text: format!("{} ({} người)", r.percent_vi(), r.rate.assigned()),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "reserve.html")]
struct OverviewPage {
    chrome: Chrome,
    units: Vec<UnitRow>,
    reservists: Vec<ReservistRow>,
    rollup: Vec<RollupRow>,
    bars: Vec<Bar>,
    chart_height: usize,
    commands: Vec<(i64, String)>,
    query: String,
    candidates: Vec<Candidate>,
    searched: bool,
    today: String,
    spare_min: u32,
    spare_max: u32,
    can_write: bool,
    flash: Option<&'static str>,
    error: Option<String>,
}

async fn overview(
    state: &AppState,
    viewer: &Viewer,
    query: Option<&str>,
    flash: Option<&'static str>,
    error: Option<String>,
) -> Result<OverviewPage, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let units = scoped.reserve_units().await?;
    let (rates, rollup_rates) = scoped.specialty_rates().await?;
    let reservists = scoped.reservists().await?;
    let dashboard = scoped.forces_rollup().await?;
    let commands = scoped
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
        .collect();
    let query = query.map(str::trim).unwrap_or_default().to_string();
    let candidates = if query.is_empty() {
        vec![]
    } else {
        let page = scoped
            .list_citizens(
                &CitizenFilter {
                    query: Some(query.clone()),
                    ..Default::default()
                },
                Paging {
                    offset: 0,
                    limit: SEARCH_LIMIT,
                },
            )
            .await?;
        page.items
            .iter()
            .filter(|c| !reservists.iter().any(|r| r.citizen_id == c.id))
            .map(|c| Candidate {
                id: c.id,
                full_name: c.full_name.clone(),
                birth_date: vi_date(c.birth_date),
                sex: c.sex.label_vi(),
            })
            .collect()
    };
    let bars = bars(&rollup_rates);
    Ok(OverviewPage {
        chrome: Chrome::new(state, Some(viewer), "Dự bị động viên", "reserve"),
        units: units
            .iter()
            .map(|u| UnitRow {
                id: u.id,
                name: u.name.clone(),
                kind: u.kind_vi(),
                command_name: u.command_name.clone(),
                spare_percent: u.spare_percent,
                staff: u.staff,
                seats: u.seats,
                assigned: u.assigned,
                rate: rates
                    .iter()
                    .find(|r| r.id == u.id)
                    .map(RateRow::percent_vi)
                    .unwrap_or_else(|| "—".into()),
            })
            .collect(),
        reservists: reservists
            .iter()
            .map(|r| ReservistRow {
                citizen_id: r.citizen_id,
                full_name: r.full_name.clone(),
                birth_date: r.birth_date_vi(),
                commune_name: r.commune_name.clone(),
                class: match r.class {
                    ReservistClass::Class1 => "Hạng một",
                    ReservistClass::Class2 => "Hạng hai",
                },
                specialty: r.specialty.clone(),
                rank: r.rank.clone().unwrap_or_default(),
                assignment: match (&r.assigned_position, &r.assigned_unit) {
                    (Some(p), Some(u)) => format!("{p} – {u}"),
                    _ => "Chưa sắp xếp".into(),
                },
            })
            .collect(),
        rollup: dashboard
            .iter()
            .map(|d| RollupRow {
                name: d.name.clone(),
                militia: d.militia_members,
                class_1: d.reservists_class_1,
                class_2: d.reservists_class_2,
                assigned: d.reservists_assigned,
                seats: d.seats,
                rate: d.rate.exact_percent_vi(),
            })
            .collect(),
        chart_height: 16 + bars.len() * 30,
        bars,
        commands,
        searched: !query.is_empty(),
        query,
        candidates,
        today: vi_date(today()),
        spare_min: *SPARE_PERCENT_RANGE.start(),
        spare_max: *SPARE_PERCENT_RANGE.end(),
        can_write: can_write(viewer),
        flash,
        error,
    })
}

#[derive(Deserialize, Default)]
pub struct OverviewQuery {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    saved: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<OverviewQuery>,
) -> Result<Response, AppError> {
    let flash = match q.saved.as_deref() {
        Some("reservist") => Some("Đã thêm quân nhân dự bị."),
        _ => None,
    };
    render(&overview(&state, &viewer, q.q.as_deref(), flash, None).await?)
}

#[derive(Deserialize)]
pub struct NewUnitForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    combat: String,
    #[serde(default)]
    spare_percent: String,
}

pub async fn create_unit(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<NewUnitForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let unit_id = id_of(&f.unit_id, "cơ quan quân sự quản lý đơn vị")?;
    let spare_percent = count_of(&f.spare_percent, "Tỷ lệ dự phòng")?;
    let combat = match f.combat.trim() {
        "combat" => true,
        "support" => false,
        _ => {
            return Err(AppError::bad_request(
                "Hãy chọn đơn vị chiến đấu hoặc bảo đảm chiến đấu.",
            ))
        }
    };
    let scoped = state.store().scoped(&viewer.actor);
    match scoped
        .create_reserve_unit(NewReserveUnit {
            unit_id,
            name: f.name.clone(),
            combat,
            spare_percent,
        })
        .await
    {
        Ok(u) => Ok(Redirect::to(&format!("/reserve/units/{}", u.id)).into_response()),
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict(_))) => {
            let page = overview(&state, &viewer, None, None, Some(e.to_string())).await?;
            Ok(refused(render(&page)?, &e))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct NewReservistForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    citizen_id: String,
    #[serde(default)]
    class: String,
    #[serde(default)]
    specialty: String,
    #[serde(default)]
    rank: String,
    #[serde(default)]
    registered_on: String,
}

pub async fn add_reservist(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<NewReservistForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let citizen_id = id_of(&f.citizen_id, "một công dân trong sổ đăng ký")?;
    let class = ReservistClass::parse(f.class.trim()).map_err(AppError::bad_request)?;
    let registered_on = crate::forms::parse_date(Some(&f.registered_on))?;
    let scoped = state.store().scoped(&viewer.actor);
    match scoped
        .add_reservist(NewReservist {
            citizen_id,
            class,
            specialty: f.specialty.clone(),
            rank: Some(f.rank.clone()),
            registered_on,
        })
        .await
    {
        Ok(_) => Ok(Redirect::to("/reserve?saved=reservist").into_response()),
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict(_))) => {
            let page = overview(&state, &viewer, None, None, Some(e.to_string())).await?;
            Ok(refused(render(&page)?, &e))
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// A mobilisation unit

pub struct PositionRow {
    pub id: i64,
    pub title: String,
    pub specialty: String,
    pub rank: String,
    pub count: u32,
    pub seats: u32,
    pub filled: u32,
}

pub struct AssignmentRow {
    pub id: i64,
    pub citizen_id: i64,
    pub full_name: String,
    pub reservist_specialty: String,
    pub position_id: i64,
    pub position_title: String,
    pub position_specialty: String,
    pub match_label: &'static str,
    pub assigned_on: String,
    pub assigned_by: String,
}

pub struct NeedRow {
    pub kind: &'static str,
    pub count: u32,
    pub assigned: u32,
}

#[derive(Template)]
#[template(path = "reserve_unit.html")]
struct UnitPage {
    chrome: Chrome,
    unit: UnitRow,
    positions: Vec<PositionRow>,
    /// Positions of every unit in scope, for moving a reservist: (id, label).
    all_positions: Vec<(i64, String)>,
    assignments: Vec<AssignmentRow>,
    free_reservists: Vec<(i64, String)>,
    needs: Vec<NeedRow>,
    kinds: Vec<Choice>,
    today: String,
    can_write: bool,
    flash: Option<&'static str>,
    error: Option<String>,
}

async fn unit_page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    flash: Option<&'static str>,
    error: Option<String>,
) -> Result<UnitPage, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let u = scoped.reserve_unit(id).await?;
    let (rates, _) = scoped.specialty_rates().await?;
    let positions = scoped.reserve_positions(None).await?;
    let assignments = scoped.reserve_assignments(Some(id)).await?;
    let free_reservists = scoped
        .reservists()
        .await?
        .into_iter()
        .filter(|r| r.assigned_position.is_none())
        .map(|r| {
            (
                r.id,
                format!("{} – CNQS {} – {}", r.full_name, r.specialty, r.commune_name),
            )
        })
        .collect();
    let needs = scoped.equipment_needs(Some(id)).await?;
    Ok(UnitPage {
        chrome: Chrome::new(state, Some(viewer), u.name.clone(), "reserve"),
        positions: positions
            .iter()
            .filter(|p| p.reserve_unit_id == id)
            .map(|p| PositionRow {
                id: p.id,
                title: p.title.clone(),
                specialty: p.specialty.clone(),
                rank: p.rank.clone().unwrap_or_default(),
                count: p.count,
                seats: p.seats,
                filled: p.filled,
            })
            .collect(),
        all_positions: positions
            .iter()
            .map(|p| {
                (
                    p.id,
                    format!(
                        "{} – {} (CNQS {}, còn {} chỗ)",
                        p.reserve_unit_name,
                        p.title,
                        p.specialty,
                        p.seats.saturating_sub(p.filled)
                    ),
                )
            })
            .collect(),
        assignments: assignments
            .iter()
            .map(|a| AssignmentRow {
                id: a.id,
                citizen_id: a.citizen_id,
                full_name: a.full_name.clone(),
                reservist_specialty: a.reservist_specialty.clone(),
                position_id: a.position_id,
                position_title: a.position_title.clone(),
                position_specialty: a.position_specialty.clone(),
                match_label: a.match_kind.label_vi(),
                assigned_on: vi_date(a.assigned_on),
                assigned_by: a.assigned_by.clone(),
            })
            .collect(),
        free_reservists,
        needs: needs
            .iter()
            .map(|n| NeedRow {
                kind: n.kind.label_vi(),
                count: n.count,
                assigned: n.assigned,
            })
            .collect(),
        kinds: kind_choices(),
        today: vi_date(today()),
        can_write: can_write(viewer),
        flash,
        error,
        unit: UnitRow {
            id: u.id,
            name: u.name.clone(),
            kind: u.kind_vi(),
            command_name: u.command_name.clone(),
            spare_percent: u.spare_percent,
            staff: u.staff,
            seats: u.seats,
            assigned: u.assigned,
            rate: rates
                .iter()
                .find(|r| r.id == u.id)
                .map(RateRow::percent_vi)
                .unwrap_or_else(|| "—".into()),
        },
    })
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

fn unit_flash(saved: Option<&str>) -> Option<&'static str> {
    match saved {
        Some("position") => Some("Đã thêm vị trí."),
        Some("assignment") => Some("Đã lưu sắp xếp."),
        Some("moved") => Some("Đã sửa sắp xếp."),
        Some("removed") => Some("Đã gỡ sắp xếp."),
        Some("need") => Some("Đã lưu nhu cầu phương tiện."),
        _ => None,
    }
}

pub async fn unit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, AppError> {
    render(&unit_page(&state, &viewer, id, unit_flash(q.saved.as_deref()), None).await?)
}

/// Runs a write for a unit page: redirect on success, the page again with the refusal otherwise.
async fn unit_write<T>(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    saved: &str,
    result: Result<T, StoreError>,
) -> Result<Response, AppError> {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/reserve/units/{id}?saved={saved}")).into_response()),
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict(_))) => {
            let page = unit_page(state, viewer, id, None, Some(e.to_string())).await?;
            Ok(refused(render(&page)?, &e))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct PositionForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    specialty: String,
    #[serde(default)]
    rank: String,
    #[serde(default)]
    count: String,
}

pub async fn add_position(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<PositionForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let count = count_of(&f.count, "Số lượng biên chế")?;
    let scoped = state.store().scoped(&viewer.actor);
    let r = scoped
        .add_position(NewPosition {
            reserve_unit_id: id,
            title: f.title.clone(),
            specialty: f.specialty.clone(),
            rank: Some(f.rank.clone()),
            count,
        })
        .await;
    unit_write(&state, &viewer, id, "position", r).await
}

#[derive(Deserialize)]
pub struct AssignOneForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    reservist_id: String,
    #[serde(default)]
    position_id: String,
    #[serde(default)]
    assigned_on: String,
}

/// One assignment made by hand: the ledger, seats, area and age are checked; a conflict is shown
/// on the page and nothing is saved.
pub async fn assign_one(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<AssignOneForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let rid = id_of(&f.reservist_id, "quân nhân dự bị")?;
    let pid = id_of(&f.position_id, "vị trí")?;
    let on = crate::forms::parse_date(Some(&f.assigned_on))?;
    let scoped = state.store().scoped(&viewer.actor);
    let r = match scoped.check_assignment(rid, pid, on).await {
        Ok(()) => scoped.accept_assignments(&[(rid, pid)], on).await,
        Err(e) => Err(e),
    };
    unit_write(&state, &viewer, id, "assignment", r).await
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    position_id: String,
}

pub async fn move_assignment(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, assignment)): Path<(i64, i64)>,
    Form(f): Form<MoveForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let pid = id_of(&f.position_id, "vị trí mới")?;
    let scoped = state.store().scoped(&viewer.actor);
    let r = scoped.reassign(assignment, pid).await;
    unit_write(&state, &viewer, id, "moved", r).await
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

pub async fn remove_assignment(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, assignment)): Path<(i64, i64)>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let scoped = state.store().scoped(&viewer.actor);
    let r = scoped.remove_assignment(assignment, today()).await;
    unit_write(&state, &viewer, id, "removed", r).await
}

#[derive(Deserialize)]
pub struct NeedForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    count: String,
}

pub async fn set_need(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<NeedForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let kind = EquipmentKind::parse(f.kind.trim()).map_err(AppError::bad_request)?;
    let count = count_of(&f.count, "Số lượng phương tiện")?;
    let scoped = state.store().scoped(&viewer.actor);
    let r = scoped.set_equipment_need(id, kind, count).await;
    unit_write(&state, &viewer, id, "need", r).await
}

// ---------------------------------------------------------------------------------------------
// The assignment flow

pub struct ProposalView {
    pub reservist_id: i64,
    pub position_id: i64,
    pub full_name: String,
    pub specialty: String,
    pub commune_name: String,
    pub age: i32,
    pub unit_name: String,
    pub position_title: String,
    pub match_label: &'static str,
    pub explanation: String,
}

#[derive(Template)]
#[template(path = "reserve_assign.html")]
struct AssignPage {
    chrome: Chrome,
    reference_date: String,
    placed: Vec<ProposalView>,
    unplaced: Vec<ProposalView>,
    held: Vec<(String, String)>,
    exact: u64,
    near: u64,
    empty_seats: u64,
    can_write: bool,
    flash: Option<String>,
    error: Option<String>,
}

async fn assign_page(
    state: &AppState,
    viewer: &Viewer,
    flash: Option<String>,
    error: Option<String>,
) -> Result<AssignPage, AppError> {
    let on = today();
    let p = state.store().scoped(&viewer.actor).propose_assignment(on).await?;
    let view = |r: &phongthu_store::ProposalRow| ProposalView {
        reservist_id: r.reservist_id,
        position_id: r.position_id.unwrap_or_default(),
        full_name: r.full_name.clone(),
        specialty: r.specialty.clone(),
        commune_name: r.commune_name.clone(),
        age: r.age,
        unit_name: r.reserve_unit_name.clone().unwrap_or_default(),
        position_title: r.position_title.clone().unwrap_or_default(),
        match_label: r.match_kind.map(|m| m.label_vi()).unwrap_or(""),
        explanation: r.explanation.clone(),
    };
    Ok(AssignPage {
        chrome: Chrome::new(state, Some(viewer), "Sắp xếp quân nhân dự bị", "reserve"),
        reference_date: vi_date(on),
        placed: p.rows.iter().filter(|r| r.position_id.is_some()).map(view).collect(),
        unplaced: p.rows.iter().filter(|r| r.position_id.is_none()).map(view).collect(),
        held: p.held_elsewhere.clone(),
        exact: p.exact,
        near: p.near,
        empty_seats: p.empty_seats,
        can_write: can_write(viewer),
        flash,
        error,
    })
}

#[derive(Deserialize, Default)]
pub struct AssignQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn assign_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<AssignQuery>,
) -> Result<Response, AppError> {
    let flash = q
        .saved
        .as_deref()
        .and_then(|n| n.parse::<usize>().ok())
        .map(|n| format!("Đã lưu {n} sắp xếp."));
    render(&assign_page(&state, &viewer, flash, None).await?)
}

/// The rows ticked on a proposal page (`pick=<a>:<b>`, repeated), after the CSRF check.
fn ticked_pairs(viewer: &Viewer, fields: &[(String, String)]) -> Result<Vec<(i64, i64)>, AppError> {
    let token = fields
        .iter()
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    csrf::verify(&viewer.csrf, token)?;
    fields
        .iter()
        .filter(|(k, _)| k == "pick")
        .map(|(_, v)| {
            v.split_once(':')
                .and_then(|(a, b)| Some((a.trim().parse::<i64>().ok()?, b.trim().parse::<i64>().ok()?)))
                .ok_or_else(|| AppError::bad_request(format!("Lựa chọn \"{v}\" không hợp lệ.")))
        })
        .collect()
}

/// Accepts the proposal rows ticked on the page (`pick=<reservist>:<position>`, repeated), all or
/// nothing.
pub async fn assign_accept(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let picks = ticked_pairs(&viewer, &fields)?;
    let scoped = state.store().scoped(&viewer.actor);
    match scoped.accept_assignments(&picks, today()).await {
        Ok(n) => Ok(Redirect::to(&format!("/reserve/assign?saved={n}")).into_response()),
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict(_))) => {
            let page = assign_page(&state, &viewer, None, Some(e.to_string())).await?;
            Ok(refused(render(&page)?, &e))
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Equipment

pub struct EquipmentRow {
    pub id: i64,
    pub kind: &'static str,
    pub owner: String,
    pub plate: String,
    pub capacity: String,
    pub condition: &'static str,
    pub commune_name: String,
    pub status: String,
    pub due: bool,
    pub assigned_unit: String,
}

pub struct EquipmentProposalView {
    pub equipment_id: i64,
    pub need_id: i64,
    pub plate: String,
    pub kind: &'static str,
    pub unit_name: String,
    pub match_label: &'static str,
    pub explanation: String,
}

#[derive(Template)]
#[template(path = "reserve_equipment.html")]
struct EquipmentPage {
    chrome: Chrome,
    equipment: Vec<EquipmentRow>,
    due: Vec<EquipmentRow>,
    proposal: Vec<EquipmentProposalView>,
    left_out: Vec<EquipmentProposalView>,
    communes: Vec<(i64, String)>,
    kinds: Vec<Choice>,
    conditions: Vec<Choice>,
    interval_days: u32,
    today: String,
    can_write: bool,
    flash: Option<&'static str>,
    error: Option<String>,
}

async fn equipment_page(
    state: &AppState,
    viewer: &Viewer,
    flash: Option<&'static str>,
    error: Option<String>,
) -> Result<EquipmentPage, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let on = today();
    let list = scoped.equipment_list(on).await?;
    let proposal = scoped.propose_equipment(on).await?;
    let communes = scoped
        .org_units()
        .await?
        .into_iter()
        .filter(|u| u.kind == OrgKind::CommuneCommand)
        .map(|u| (u.id, u.name))
        .collect();
    let row = |e: &phongthu_store::Equipment| EquipmentRow {
        id: e.id,
        kind: e.kind.label_vi(),
        owner: e.owner.clone(),
        plate: e.plate.clone(),
        capacity: e.capacity.clone().unwrap_or_default(),
        condition: e.condition.label_vi(),
        commune_name: e.commune_name.clone(),
        status: e.check_status.label_vi(),
        due: e.check_status.due(),
        assigned_unit: e.assigned_unit.clone().unwrap_or_default(),
    };
    let pview = |p: &phongthu_store::EquipmentProposalRow| EquipmentProposalView {
        equipment_id: p.equipment_id,
        need_id: p.need_id.unwrap_or_default(),
        plate: p.plate.clone(),
        kind: p.kind.label_vi(),
        unit_name: p.reserve_unit_name.clone().unwrap_or_default(),
        match_label: p.match_kind.map(|m| m.label_vi()).unwrap_or(""),
        explanation: p.explanation.clone(),
    };
    Ok(EquipmentPage {
        chrome: Chrome::new(state, Some(viewer), "Phương tiện kỹ thuật dự bị", "reserve"),
        equipment: list.iter().map(row).collect(),
        due: list.iter().filter(|e| e.check_status.due()).map(row).collect(),
        proposal: proposal.iter().filter(|p| p.need_id.is_some()).map(pview).collect(),
        left_out: proposal.iter().filter(|p| p.need_id.is_none()).map(pview).collect(),
        communes,
        kinds: kind_choices(),
        conditions: condition_choices(),
        interval_days: phongthu_store::CHECK_INTERVAL_DAYS,
        today: vi_date(on),
        can_write: can_write(viewer),
        flash,
        error,
    })
}

pub async fn equipment(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<SavedQuery>,
) -> Result<Response, AppError> {
    let flash = match q.saved.as_deref() {
        Some("equipment") => Some("Đã đăng ký phương tiện."),
        Some("check") => Some("Đã ghi kết quả kiểm tra."),
        Some("accepted") => Some("Đã lưu sắp xếp phương tiện."),
        _ => None,
    };
    render(&equipment_page(&state, &viewer, flash, None).await?)
}

async fn equipment_write<T>(
    state: &AppState,
    viewer: &Viewer,
    saved: &str,
    result: Result<T, StoreError>,
) -> Result<Response, AppError> {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/reserve/equipment?saved={saved}")).into_response()),
        Err(e @ (StoreError::Invalid(_) | StoreError::Conflict(_))) => {
            let page = equipment_page(state, viewer, None, Some(e.to_string())).await?;
            Ok(refused(render(&page)?, &e))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct EquipmentForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    plate: String,
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    condition: String,
}

pub async fn add_equipment(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<EquipmentForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let unit_id = id_of(&f.unit_id, "Ban Chỉ huy Quân sự cấp xã nơi đăng ký")?;
    let kind = EquipmentKind::parse(f.kind.trim()).map_err(AppError::bad_request)?;
    let condition = EquipmentCondition::parse(f.condition.trim()).map_err(AppError::bad_request)?;
    let scoped = state.store().scoped(&viewer.actor);
    let r = scoped
        .add_equipment(NewEquipment {
            unit_id,
            kind,
            owner: f.owner.clone(),
            plate: f.plate.clone(),
            capacity: Some(f.capacity.clone()),
            condition,
        })
        .await;
    equipment_write(&state, &viewer, "equipment", r).await
}

#[derive(Deserialize)]
pub struct CheckForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    checked_on: String,
    #[serde(default)]
    result: String,
    #[serde(default)]
    note: String,
}

pub async fn record_check(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<CheckForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let checked_on = crate::forms::parse_date(Some(&f.checked_on))?;
    let ready = match f.result.trim() {
        "ready" => true,
        "not_ready" => false,
        _ => return Err(AppError::bad_request("Hãy chọn kết quả kiểm tra: đạt hoặc không đạt.")),
    };
    let scoped = state.store().scoped(&viewer.actor);
    let r = scoped
        .record_equipment_check(id, checked_on, ready, Some(&f.note))
        .await;
    equipment_write(&state, &viewer, "check", r).await
}

pub async fn accept_equipment(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let picks = ticked_pairs(&viewer, &fields)?;
    let scoped = state.store().scoped(&viewer.actor);
    let r = scoped.accept_equipment(&picks, today()).await;
    equipment_write(&state, &viewer, "accepted", r).await
}

// ---------------------------------------------------------------------------------------------
// Excel exports

fn xlsx(sheet: &str, headers: &[(&str, bool)], rows: Vec<Vec<String>>, file: &str) -> Result<Response, AppError> {
    let specs: Vec<ColumnSpec<'_>> = headers
        .iter()
        .map(|(h, text)| ColumnSpec {
            header: h,
            text: *text,
            width: 0.0,
        })
        .collect();
    let bytes =
        write_xlsx(sheet, &specs, rows).map_err(|e| AppError::internal(format!("Không tạo được tệp Excel: {e}")))?;
    Ok(super::download(bytes, super::XLSX, &format!("{file}-{}.xlsx", today())))
}

pub async fn export_reservists(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let list = state.store().scoped(&viewer.actor).reservists().await?;
    let rows = list
        .iter()
        .map(|r| {
            vec![
                r.full_name.clone(),
                r.national_id.clone().unwrap_or_default(),
                r.birth_date_vi(),
                r.sex.label_vi().to_string(),
                r.commune_name.clone(),
                match r.class {
                    ReservistClass::Class1 => "Hạng một".into(),
                    ReservistClass::Class2 => "Hạng hai".into(),
                },
                r.specialty.clone(),
                r.rank.clone().unwrap_or_default(),
                vi_date(r.registered_on),
                r.assigned_unit.clone().unwrap_or_default(),
                r.assigned_position.clone().unwrap_or_default(),
            ]
        })
        .collect();
    xlsx(
        "Quân nhân dự bị",
        &[
            ("Họ và tên", false),
            ("Số định danh cá nhân", true),
            ("Ngày sinh", true),
            ("Giới tính", false),
            ("Nơi cư trú (xã)", false),
            ("Hạng", false),
            ("Mã CNQS", true),
            ("Cấp bậc", false),
            ("Ngày đăng ký", true),
            ("Đơn vị DBĐV", false),
            ("Vị trí", false),
        ],
        rows,
        "quan-nhan-du-bi",
    )
}

/// The reserve equipment in scope as Excel: the import's five columns first (an export can be
/// edited and imported elsewhere), then the commune, the latest readiness check and the unit the
/// equipment is assigned to.
pub async fn export_equipment(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let list = state.store().scoped(&viewer.actor).equipment_list(today()).await?;
    let rows = list
        .iter()
        .map(|e| {
            vec![
                e.kind.label_vi().to_string(),
                e.owner.clone(),
                e.plate.clone(),
                e.capacity.clone().unwrap_or_default(),
                e.condition.label_vi().to_string(),
                e.commune_name.clone(),
                e.last_check.map(vi_date).unwrap_or_default(),
                e.check_status.label_vi(),
                e.assigned_unit.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let headers: Vec<(&str, bool)> = phongthu_store::EQUIPMENT_COLUMNS
        .iter()
        .map(|c| (c.header, c.header == "Biển số"))
        .chain([
            ("Xã", false),
            ("Ngày kiểm tra gần nhất", true),
            ("Tình trạng kiểm tra", false),
            ("Đơn vị DBĐV", false),
        ])
        .collect();
    xlsx("Phương tiện kỹ thuật", &headers, rows, "phuong-tien-ky-thuat")
}

pub async fn export_positions(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let list = state.store().scoped(&viewer.actor).reserve_positions(None).await?;
    let rows = list
        .iter()
        .map(|p| {
            vec![
                p.reserve_unit_name.clone(),
                p.title.clone(),
                p.specialty.clone(),
                p.rank.clone().unwrap_or_default(),
                p.count.to_string(),
                p.seats.to_string(),
                p.filled.to_string(),
            ]
        })
        .collect();
    xlsx(
        "Vị trí biên chế",
        &[
            ("Đơn vị DBĐV", false),
            ("Chức danh", false),
            ("Mã CNQS", true),
            ("Cấp bậc", false),
            ("Biên chế", false),
            ("Kể cả dự phòng", false),
            ("Đã sắp xếp", false),
        ],
        rows,
        "vi-tri-bien-che",
    )
}

pub async fn export_assignments(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let list = state.store().scoped(&viewer.actor).reserve_assignments(None).await?;
    let rows = list
        .iter()
        .map(|a| {
            vec![
                a.reserve_unit_name.clone(),
                a.position_title.clone(),
                a.position_specialty.clone(),
                a.full_name.clone(),
                a.reservist_specialty.clone(),
                a.match_kind.label_vi().to_string(),
                vi_date(a.assigned_on),
                a.assigned_by.clone(),
            ]
        })
        .collect();
    xlsx(
        "Sắp xếp",
        &[
            ("Đơn vị DBĐV", false),
            ("Vị trí", false),
            ("CNQS vị trí", true),
            ("Họ và tên", false),
            ("CNQS quân nhân", true),
            ("Mức phù hợp", false),
            ("Ngày sắp xếp", true),
            ("Người sắp xếp", false),
        ],
        rows,
        "sap-xep-dbdv",
    )
}
