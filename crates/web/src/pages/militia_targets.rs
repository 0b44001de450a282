//! Militia strength against targets: the dashboard per commune command with the roll-up
//! of each command above, an inline SVG chart, the province's ratio and each commune's setting.
//! The ratio is a local setting, not law (law brief §3 finds no legal ratio; see
//! `phongthu_store::militia_targets`). Leaders and inspectors read only.

use super::{render, Chrome};
use crate::csrf;
use crate::error::AppError;
use crate::forms::extract::{Form, Path};
use crate::session::Viewer;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use phongthu_domain::auth::Permission;
use phongthu_domain::org::OrgKind;
use phongthu_store::{StoreError, TargetRow, MAX_RATIO_BASIS_POINTS};
use serde::Deserialize;

pub struct Row {
    pub unit_id: i64,
    pub name: String,
    pub commune: bool,
    pub communes: i64,
    pub without_target: i64,
    pub population: String,
    pub target: String,
    pub source: String,
    pub strength: i64,
    pub percent: String,
    pub missing: String,
}

pub struct RatioRow {
    pub province_code: String,
    pub command_name: String,
    pub ratio: String,
    pub value: String,
    pub updated: String,
}

/// One commune of the chart: the target bar and the strength bar.
pub struct Bar {
    pub name: String,
    pub y: usize,
    pub label_y: usize,
    pub target_width: usize,
    pub strength_width: usize,
    pub text: String,
}

const BAR_SPACE: usize = 360;

fn row(r: &TargetRow) -> Row {
    Row {
        unit_id: r.unit_id,
        name: r.name.clone(),
        commune: r.kind == OrgKind::CommuneCommand,
        communes: r.communes,
        without_target: r.communes_without_target,
        population: r.population.map(|p| p.to_string()).unwrap_or_default(),
        target: r.target.map(|t| t.to_string()).unwrap_or_else(|| "—".into()),
        source: r.source.label_vi(),
        strength: r.strength,
        percent: r.percent_vi(),
        missing: r.missing().map(|m| m.to_string()).unwrap_or_default(),
    }
}

fn bars(rows: &[TargetRow]) -> Vec<Bar> {
    let communes: Vec<&TargetRow> = rows.iter().filter(|r| r.kind == OrgKind::CommuneCommand).collect();
    let max = communes
        .iter()
        .map(|r| r.target.unwrap_or(0).max(r.strength))
        .max()
        .unwrap_or(0)
        .max(1) as usize;
    communes
        .iter()
        .enumerate()
        .map(|(i, r)| Bar {
            name: r.name.clone(),
            y: 8 + i * 30,
            label_y: 23 + i * 30,
            target_width: r.target.unwrap_or(0).max(0) as usize * BAR_SPACE / max,
            strength_width: r.strength.max(0) as usize * BAR_SPACE / max,
            text: match r.target {
                Some(t) => format!("{} / {t} ({})", r.strength, r.percent_vi()),
                None => format!("{} (chưa có chỉ tiêu)", r.strength),
            },
        })
        .collect()
}

#[derive(Template)]
#[template(path = "militia_targets.html")]
struct DashboardPage {
    chrome: Chrome,
    rows: Vec<Row>,
    bars: Vec<Bar>,
    chart_height: usize,
    ratios: Vec<RatioRow>,
    can_write: bool,
    flash: Option<&'static str>,
    error: Option<String>,
}

async fn dashboard_page(
    state: &AppState,
    viewer: &Viewer,
    flash: Option<&'static str>,
    error: Option<String>,
) -> Result<DashboardPage, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let targets = scoped.militia_targets().await?;
    let ratios = scoped
        .militia_ratios()
        .await?
        .into_iter()
        .map(|r| RatioRow {
            ratio: r.ratio_vi().unwrap_or_else(|| "chưa đặt".into()),
            value: r
                .basis_points
                .map(|b| format!("{},{:02}", b / 100, b % 100))
                .unwrap_or_default(),
            updated: match (&r.updated_by, &r.updated_at) {
                (Some(by), Some(at)) => format!("{by}, {}", at.get(..10).unwrap_or(at)),
                _ => String::new(),
            },
            province_code: r.province_code,
            command_name: r.command_name,
        })
        .collect();
    let bars = bars(&targets);
    Ok(DashboardPage {
        chrome: Chrome::new(state, Some(viewer), "Quân số dân quân so với chỉ tiêu", "militia"),
        chart_height: 16 + bars.len() * 30,
        rows: targets.iter().map(row).collect(),
        bars,
        ratios,
        can_write: viewer.actor.role.allows(Permission::Write),
        flash,
        error,
    })
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /militia/targets`.
pub async fn dashboard(
    State(state): State<AppState>,
    viewer: Viewer,
    crate::forms::extract::Query(q): crate::forms::extract::Query<SavedQuery>,
) -> Result<Response, AppError> {
    let flash = match q.saved.as_deref() {
        Some("ratio") => Some("Đã lưu tỷ lệ."),
        Some("target") => Some("Đã lưu chỉ tiêu của xã."),
        _ => None,
    };
    render(&dashboard_page(&state, &viewer, flash, None).await?)
}

fn refused(mut res: Response, e: &StoreError) -> Response {
    *res.status_mut() = match e {
        StoreError::Conflict(_) => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    };
    res
}

/// A percentage typed as "1,3", "1.30" or "1,25 %" in basis points (hundredths of a percent);
/// empty is `None` (clear the setting).
pub fn parse_percent(s: &str) -> Result<Option<u32>, String> {
    let t = s.trim().trim_end_matches('%').trim().replace(',', ".");
    if t.is_empty() {
        return Ok(None);
    }
    let err = || {
        format!(
            "Tỷ lệ \"{}\" không hợp lệ: ghi số phần trăm dân số, ví dụ 1,3 (tối đa hai chữ số thập phân).",
            s.trim()
        )
    };
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
        || whole.len() > 3
    {
        return Err(err());
    }
    let whole: u32 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| err())?
    };
    let frac: u32 = format!("{frac:0<2}").parse().map_err(|_| err())?;
    Ok(Some(whole * 100 + frac))
}

#[derive(Deserialize)]
pub struct RatioForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    province_code: String,
    #[serde(default)]
    percent: String,
}

/// `POST /militia/targets/ratio`: sets or clears a province's ratio.
pub async fn set_ratio(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<RatioForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let bp = parse_percent(&f.percent).map_err(AppError::bad_request)?;
    if bp.is_some_and(|b| b == 0 || b > MAX_RATIO_BASIS_POINTS) {
        let e = StoreError::Invalid(format!(
            "Tỷ lệ phải lớn hơn 0 và không quá {} % dân số.",
            MAX_RATIO_BASIS_POINTS / 100
        ));
        let page = dashboard_page(&state, &viewer, None, Some(e.to_string())).await?;
        return Ok(refused(render(&page)?, &e));
    }
    match state
        .store()
        .scoped(&viewer.actor)
        .set_militia_ratio(f.province_code.trim(), bp)
        .await
    {
        Ok(()) => Ok(Redirect::to("/militia/targets?saved=ratio").into_response()),
        Err(e @ StoreError::Invalid(_)) => {
            let page = dashboard_page(&state, &viewer, None, Some(e.to_string())).await?;
            Ok(refused(render(&page)?, &e))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "militia_target.html")]
struct EditPage {
    chrome: Chrome,
    unit_id: i64,
    name: String,
    population: String,
    target: String,
    note: String,
    current: Option<Row>,
    ratio: String,
    can_write: bool,
    error: Option<String>,
}

async fn edit_page(
    state: &AppState,
    viewer: &Viewer,
    unit_id: i64,
    typed: Option<&TargetForm>,
    error: Option<String>,
) -> Result<EditPage, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let t = scoped.militia_target(unit_id).await?;
    let unit = scoped.org_unit(unit_id).await?;
    let ratio = scoped
        .militia_targets()
        .await?
        .into_iter()
        .find(|r| r.unit_id == unit_id);
    let province_ratio = state
        .store()
        .scoped(&viewer.actor)
        .militia_ratios()
        .await?
        .into_iter()
        .find(|r| Some(&r.province_code) == unit.province_code.as_ref())
        .and_then(|r| r.ratio_vi());
    let show = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    Ok(EditPage {
        chrome: Chrome::new(
            state,
            Some(viewer),
            format!("Chỉ tiêu dân quân — {}", t.name),
            "militia",
        ),
        unit_id,
        population: typed.map_or_else(|| show(t.population), |f| f.population.clone()),
        target: typed.map_or_else(|| show(t.target), |f| f.target.clone()),
        note: typed.map_or_else(|| t.note.clone().unwrap_or_default(), |f| f.note.clone()),
        name: t.name,
        current: ratio.as_ref().map(row),
        ratio: province_ratio.unwrap_or_else(|| "chưa đặt (hoặc không thuộc phạm vi của bạn)".into()),
        can_write: viewer.actor.role.allows(Permission::Write),
        error,
    })
}

/// `GET /militia/targets/{unit}`.
pub async fn edit(State(state): State<AppState>, viewer: Viewer, Path(unit): Path<i64>) -> Result<Response, AppError> {
    render(&edit_page(&state, &viewer, unit, None, None).await?)
}

#[derive(Deserialize)]
pub struct TargetForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    population: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    note: String,
}

fn opt_count(s: &str, what: &str) -> Result<Option<i64>, String> {
    let t = s.trim().replace(['.', ' '], "");
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .map(Some)
        .ok_or_else(|| format!("{what} \"{}\" phải là một số nguyên không âm.", s.trim()))
}

/// `POST /militia/targets/{unit}`: saves a commune's population, target and note.
pub async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(unit): Path<i64>,
    Form(f): Form<TargetForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let parsed = opt_count(&f.population, "Dân số").and_then(|p| Ok((p, opt_count(&f.target, "Chỉ tiêu")?)));
    let result = match parsed {
        Err(m) => Err(StoreError::Invalid(m)),
        Ok((population, target)) => {
            state
                .store()
                .scoped(&viewer.actor)
                .set_militia_target(unit, population, target, Some(&f.note))
                .await
        }
    };
    match result {
        Ok(_) => Ok(Redirect::to("/militia/targets?saved=target").into_response()),
        Err(e @ StoreError::Invalid(_)) => {
            let page = edit_page(&state, &viewer, unit, Some(&f), Some(e.to_string())).await?;
            Ok(refused(render(&page)?, &e))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percents() {
        assert_eq!(parse_percent("1,3"), Ok(Some(130)));
        assert_eq!(parse_percent(" 1.25 % "), Ok(Some(125)));
        assert_eq!(parse_percent("2"), Ok(Some(200)));
        assert_eq!(parse_percent(",5"), Ok(Some(50)));
        assert_eq!(parse_percent(""), Ok(None));
        assert!(parse_percent("1,234").is_err());
        assert!(parse_percent("abc").is_err());
        assert!(parse_percent("-1").is_err());
        assert!(parse_percent(",").is_err());
    }
}
