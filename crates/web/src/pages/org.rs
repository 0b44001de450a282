//! The organisation tree of the user's scope, one unit's page, and (administrators) the coverage
//! of a regional defense command and new subordinate units.

use super::{render, Chrome};
use crate::csrf;
use crate::error::AppError;
use crate::forms::extract::{Form, Path, Query};
use crate::forms::today;
use crate::session::Viewer;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use phongthu_domain::auth::Permission;
use phongthu_domain::org::OrgKind;
use phongthu_domain::territory::{Level, REFORM_DATE};
use phongthu_store::{NewOrgUnit, OrgUnit};
use serde::Deserialize;
use std::collections::HashMap;

pub struct TreeRow {
    pub id: i64,
    pub depth: usize,
    pub name: String,
    pub kind: &'static str,
    pub note: Option<String>,
}

#[derive(Template)]
#[template(path = "org_tree.html")]
struct TreePage {
    chrome: Chrome,
    rows: Vec<TreeRow>,
}

/// Depth of each unit below the viewer's own unit (units arrive parents first).
pub fn depths(units: &[OrgUnit]) -> HashMap<i64, usize> {
    let mut depth: HashMap<i64, usize> = HashMap::new();
    for u in units {
        let d = u.parent_id.and_then(|p| depth.get(&p)).map(|d| d + 1).unwrap_or(0);
        depth.insert(u.id, d);
    }
    depth
}

pub async fn tree(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let units = state.store().scoped(&viewer.actor).org_units().await?;
    let depth = depths(&units);
    let rows = units
        .into_iter()
        .map(|u| TreeRow {
            id: u.id,
            depth: depth[&u.id].min(6),
            name: u.name,
            kind: u.kind.label_vi(),
            note: u.note,
        })
        .collect();
    render(&TreePage {
        chrome: Chrome::new(&state, Some(&viewer), "Tổ chức", "org"),
        rows,
    })
}

#[derive(Template)]
#[template(path = "org_unit.html")]
struct UnitPage {
    chrome: Chrome,
    unit: OrgUnit,
    kind_label: &'static str,
    parent: Option<(i64, String)>,
    admin_unit: Option<(String, String)>,
    children: Vec<(i64, String, &'static str)>,
    is_regional: bool,
    coverage: Vec<(String, String)>,
    /// The covered communes, one per line as the picker writes them.
    coverage_codes: String,
    /// The picker's suggestions: the communes of the unit's province.
    communes: Vec<super::territory_pick::PickOption>,
    can_manage: bool,
    child_kinds: Vec<(&'static str, &'static str)>,
    parent_options: Vec<(i64, String)>,
    flash: Option<&'static str>,
}

#[derive(Deserialize, Default)]
pub struct UnitQuery {
    saved: Option<String>,
}

pub async fn unit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<UnitQuery>,
) -> Result<Response, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let unit = scoped.org_unit(id).await?;
    let all = scoped.org_units().await?;
    let parent = match unit.parent_id {
        Some(p) => all.iter().find(|u| u.id == p).map(|u| (u.id, u.name.clone())),
        None => None,
    };
    let children = all
        .iter()
        .filter(|u| u.parent_id == Some(id))
        .map(|u| (u.id, u.name.clone(), u.kind.label_vi()))
        .collect();
    let t = state.territory();
    let on = today().max(REFORM_DATE);
    let admin_unit = unit
        .admin_code
        .as_deref()
        .and_then(|c| t.unit_on(c, None, on))
        .map(|a| (super::territory::unit_href(a), a.name.clone()));
    let is_regional = unit.kind == OrgKind::RegionalDefenseCommand;
    let codes = if is_regional {
        scoped.coverage(id).await?
    } else {
        Vec::new()
    };
    let coverage = codes
        .iter()
        .map(|c| match t.unit_on(c, None, on) {
            Some(a) => (super::territory::unit_href(a), format!("{} ({})", a.name, a.code)),
            None => (format!("/territory/{c}"), c.clone()),
        })
        .collect();
    let can_manage = viewer.actor.role.allows(Permission::ManageOrganisation);
    let child_kinds = unit
        .kind
        .allowed_children()
        .iter()
        .map(|k| (k.as_str(), k.label_vi()))
        .collect();
    // Where the unit could be moved: units in scope whose kind may hold it (not the unit itself).
    let parent_options = if can_manage && id != viewer.actor.unit_id {
        all.iter()
            .filter(|u| u.id != id && Some(u.id) != unit.parent_id && u.kind.allowed_children().contains(&unit.kind))
            .map(|u| (u.id, u.name.clone()))
            .collect()
    } else {
        Vec::new()
    };
    let communes = super::territory_pick::commune_options(t, unit.province_code.as_deref(), on);
    let page = UnitPage {
        chrome: Chrome::new(&state, Some(&viewer), unit.name.clone(), "org"),
        kind_label: unit.kind.label_vi(),
        unit,
        parent,
        admin_unit,
        children,
        is_regional,
        coverage,
        coverage_codes: codes
            .iter()
            .map(|c| super::territory_pick::code_text(t, Some(c), on))
            .collect::<Vec<_>>()
            .join("\n"),
        communes,
        can_manage,
        child_kinds,
        parent_options,
        flash: q.saved.is_some().then_some("Đã lưu thay đổi."),
    };
    render(&page)
}

#[derive(Deserialize)]
pub struct CoverageForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    communes: String,
    /// One more commune, chosen in the picker.
    #[serde(default)]
    add: String,
}

pub async fn set_coverage(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<CoverageForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    // One commune per line (a name as the picker writes it, with or without diacritics, or a
    // code), plus the one chosen in the picker's input.
    let t = state.territory();
    let on = today().max(REFORM_DATE);
    let mut codes: Vec<String> = Vec::new();
    for line in f
        .communes
        .split(['\n', '\r', ';'])
        .chain(std::iter::once(f.add.as_str()))
    {
        // A line of codes only ("12345, 23456") is a list of codes.
        let items: Vec<&str> = if line
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c.is_whitespace())
        {
            line.split([',', ' ', '\t']).collect()
        } else {
            vec![line]
        };
        for item in items {
            let found = super::territory_pick::resolve(t, item, Level::Commune, on, "Địa bàn phụ trách")
                .map_err(AppError::bad_request)?;
            codes.extend(found);
        }
    }
    codes.sort();
    codes.dedup();
    state.store().scoped(&viewer.actor).set_coverage(id, &codes).await?;
    Ok(Redirect::to(&format!("/org/{id}?saved=1")).into_response())
}

#[derive(Deserialize)]
pub struct ChildForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    admin_unit: String,
}

pub async fn add_child(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<ChildForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let kind = OrgKind::parse(&f.kind).map_err(AppError::bad_request)?;
    let scoped = state.store().scoped(&viewer.actor);
    let parent = scoped.org_unit(id).await?;
    // The administrative unit is chosen by name (a commune for a commune command, a province
    // otherwise), as the picker writes it.
    let level = if kind == OrgKind::CommuneCommand {
        Level::Commune
    } else {
        Level::Province
    };
    let admin_code = super::territory_pick::resolve(
        state.territory(),
        &f.admin_unit,
        level,
        today().max(REFORM_DATE),
        "Địa bàn hành chính",
    )
    .map_err(AppError::bad_request)?;
    let created = scoped
        .create_org_unit(NewOrgUnit {
            parent_id: Some(id),
            kind,
            name: f.name.trim().to_string(),
            code: None,
            admin_code,
            province_code: parent.province_code.clone(),
            note: None,
        })
        .await?;
    Ok(Redirect::to(&format!("/org/{}?saved=1", created.id)).into_response())
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    parent_id: String,
}

pub async fn move_unit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<MoveForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let parent: i64 = f
        .parent_id
        .trim()
        .parse()
        .map_err(|_| AppError::bad_request("Hãy chọn đơn vị cấp trên mới."))?;
    state.store().scoped(&viewer.actor).move_org_unit(id, parent).await?;
    Ok(Redirect::to(&format!("/org/{id}?saved=1")).into_response())
}
