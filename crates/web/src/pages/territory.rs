//! The territory browser: provinces → (districts →) communes on any date, search without
//! diacritics, and each unit's history and roll-up path to today's province. The territory is
//! public reference data, so it is not scoped, but it still needs a login.

use super::{render, Chrome};
use crate::error::AppError;
use crate::forms::extract::{Path, Query};
use crate::forms::{parse_date, parse_level, today, vi_date};
use crate::session::Viewer;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use phongthu_domain::territory::{AdminUnit, HistoryEvent, Level, RollupError, Territory};
use phongthu_domain::text;
use serde::Deserialize;
use time::Date;

pub struct UnitRow {
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub parent: String,
    pub validity: String,
    pub href: String,
}

pub fn validity(u: &AdminUnit) -> String {
    match (u.valid_from, u.valid_to) {
        (None, None) => "Đang có hiệu lực".into(),
        (Some(f), None) => format!("Từ {}", vi_date(f)),
        (None, Some(t)) => format!("Đến {}", vi_date(t)),
        (Some(f), Some(t)) => format!("{} – {}", vi_date(f), vi_date(t)),
    }
}

/// A link to a unit as it was on a date inside its validity.
pub fn unit_href(u: &AdminUnit) -> String {
    let on = u.valid_to.or(u.valid_from).unwrap_or_else(today);
    let on = if u.valid_on(today()) { today() } else { on };
    format!("/territory/{}?level={}&on={}", u.code, u.level.as_str(), on)
}

fn row(t: &Territory, u: &AdminUnit) -> UnitRow {
    UnitRow {
        code: u.code.clone(),
        name: u.name.clone(),
        kind: u.kind.label_vi(),
        parent: t.parent(u).map(|p| p.name.clone()).unwrap_or_default(),
        validity: validity(u),
        href: unit_href(u),
    }
}

#[derive(Template)]
#[template(path = "territory_list.html")]
struct ListPage {
    chrome: Chrome,
    by_name: bool,
    q: String,
    level: String,
    on_iso: String,
    caption: String,
    rows: Vec<UnitRow>,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    /// "name": Vietnamese alphabetical order of the names; otherwise the official order (by code).
    sort: Option<String>,
    level: Option<String>,
    on: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let on = parse_date(query.on.as_deref())?;
    let level = parse_level(query.level.as_deref())?;
    let t = state.territory();
    let q = query.q.clone().unwrap_or_default();
    let by_name = query.sort.as_deref() == Some("name");
    let (caption, mut units): (String, Vec<&AdminUnit>) = if q.trim().is_empty() {
        let level = level.unwrap_or(Level::Province);
        let units = t.list(level, on);
        (
            format!("{} {} vào ngày {}.", units.len(), level_plural(level), vi_date(on)),
            units,
        )
    } else {
        // Without a date, a search covers every period, so that old names are found too.
        let dated = query.on.as_deref().is_some_and(|s| !s.trim().is_empty());
        let hits = t.search(&q, level, dated.then_some(on), 200);
        let when = if dated {
            format!("vào ngày {}", vi_date(on))
        } else {
            "ở mọi thời kỳ".to_string()
        };
        (
            format!("{} kết quả cho \"{}\" {when} (tối đa 200).", hits.len(), q.trim()),
            hits,
        )
    };
    if by_name {
        units.sort_by(|a, b| text::compare(a.short_name(), b.short_name()).then_with(|| a.code.cmp(&b.code)));
    }
    let page = ListPage {
        chrome: Chrome::new(&state, Some(&viewer), "Địa giới hành chính", "territory"),
        by_name,
        q,
        level: level.map(|l| l.as_str().to_string()).unwrap_or_default(),
        on_iso: query.on.clone().unwrap_or_default(),
        caption,
        rows: units.into_iter().map(|u| row(t, u)).collect(),
    };
    render(&page)
}

fn level_plural(l: Level) -> &'static str {
    match l {
        Level::Province => "tỉnh, thành phố",
        Level::District => "huyện, quận, thị xã, thành phố thuộc tỉnh",
        Level::Commune => "xã, phường, thị trấn, đặc khu",
    }
}

pub struct HistoryRow {
    pub text: String,
    pub links: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "territory_unit.html")]
struct UnitPage {
    chrome: Chrome,
    unit: UnitRow,
    on_iso: String,
    on_vi: String,
    ancestors: Vec<(String, String)>,
    other_meanings: Vec<(String, String)>,
    history: Vec<HistoryRow>,
    rollup: Vec<(String, String)>,
    rollup_error: Option<String>,
    rollup_options: Vec<(String, String)>,
    children_title: &'static str,
    children: Vec<UnitRow>,
}

#[derive(Deserialize, Default)]
pub struct UnitQuery {
    on: Option<String>,
    level: Option<String>,
    choice: Option<String>,
}

/// The unit that `code` meant on `on` (at `level` if given), or a 404 naming the code and date.
pub fn find_unit<'t>(t: &'t Territory, code: &str, level: Option<Level>, on: Date) -> Result<&'t AdminUnit, AppError> {
    t.unit_on(code, level, on).ok_or_else(|| {
        let others = t.units_with_code(code);
        if others.is_empty() {
            AppError::not_found(format!("Không có đơn vị hành chính nào mang mã \"{code}\"."))
        } else {
            AppError::not_found(format!(
                "Mã \"{code}\" không chỉ đơn vị nào vào ngày {}; mã này từng dùng cho: {}.",
                vi_date(on),
                others
                    .iter()
                    .map(|u| format!("{} ({})", u.name, validity(u)))
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
        }
    })
}

pub async fn unit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(code): Path<String>,
    Query(query): Query<UnitQuery>,
) -> Result<Response, AppError> {
    let on = parse_date(query.on.as_deref())?;
    let level = parse_level(query.level.as_deref())?;
    let t = state.territory();
    let u = find_unit(t, code.trim(), level, on)?;
    let mut ancestors = Vec::new();
    let mut cur = t.parent(u);
    while let Some(p) = cur {
        ancestors.push((
            format!("/territory/{}?level={}&on={}", p.code, p.level.as_str(), on),
            p.name.clone(),
        ));
        cur = t.parent(p);
    }
    ancestors.reverse();
    let other_meanings = t
        .units_with_code(&u.code)
        .into_iter()
        .filter(|o| !std::ptr::eq(*o, u))
        .map(|o| {
            (
                unit_href(o),
                format!("{} ({}, {})", o.name, o.kind.label_vi(), validity(o)),
            )
        })
        .collect();
    let history = t
        .history(u)
        .into_iter()
        .map(|h| {
            let (units, date) = match &h {
                HistoryEvent::Formed { from, date } => (from.clone(), date.previous_day().unwrap_or(*date)),
                HistoryEvent::MergedInto { into, date } => (into.clone(), *date),
                HistoryEvent::Abolished { date } => (Vec::new(), *date),
            };
            HistoryRow {
                text: h.to_string(),
                links: units
                    .into_iter()
                    .map(|(code, name, _)| (format!("/territory/{code}?on={date}"), name))
                    .collect(),
            }
        })
        .collect();
    let (rollup, rollup_error, rollup_options) = match t.rollup_path(&u.code, on, query.choice.as_deref()) {
        Ok(path) => (
            path.iter()
                .map(|p| (unit_href(p), format!("{} ({})", p.name, p.code)))
                .collect(),
            None,
            Vec::new(),
        ),
        Err(e @ RollupError::NeedsChoice { .. }) => {
            let RollupError::NeedsChoice { options, .. } = &e else {
                unreachable!()
            };
            (Vec::new(), Some(e.to_string()), options.clone())
        }
        Err(e) => (Vec::new(), Some(e.to_string()), Vec::new()),
    };
    let mut children: Vec<UnitRow> = t.children_on(u, on).into_iter().map(|c| row(t, c)).collect();
    children
        .iter_mut()
        .for_each(|c| c.href = format!("/territory/{}?on={on}", c.code));
    let children_title = match u.level {
        Level::Province if on < phongthu_domain::territory::REFORM_DATE => "Các huyện, quận, thị xã",
        Level::Province => "Các xã, phường, đặc khu",
        _ => "Các xã, phường, thị trấn",
    };
    let page = UnitPage {
        chrome: Chrome::new(&state, Some(&viewer), u.name.clone(), "territory"),
        unit: row(t, u),
        on_iso: on.to_string(),
        on_vi: vi_date(on),
        ancestors,
        other_meanings,
        history,
        rollup,
        rollup_error,
        rollup_options,
        children_title,
        children,
    };
    render(&page)
}
