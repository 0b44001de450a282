//! The annual call-up cycle: open a cycle with the province's quota, see each commune's pool as
//! the eligibility engine assesses the registry, the proportional proposal and how even it is
//! (with an inline SVG chart), and save the split, overrides with their reason.

use super::{render, Chrome};
use crate::csrf;
use crate::error::AppError;
use crate::forms::extract::{Form, Path, Query};
use crate::session::Viewer;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use phongthu_domain::auth::Permission;
use phongthu_domain::nvqs::quota::Evenness;
use phongthu_domain::org::OrgKind;
use phongthu_store::{CallUpCycle, CycleOverview};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "cycles.html")]
struct CyclesPage {
    chrome: Chrome,
    cycles: Vec<CallUpCycle>,
    /// Per cycle: the quota the viewer answers for, and the reference date as dd/mm/yyyy.
    rows: Vec<(String, String)>,
    units: Vec<(i64, String)>,
    can_write: bool,
    next_year: i32,
    /// Years with a cycle, for the roll-up links.
    years: Vec<i32>,
}

pub async fn list(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let cycles = scoped.cycles().await?;
    let units = scoped
        .org_units()
        .await?
        .into_iter()
        .filter(|u| {
            matches!(
                u.kind,
                OrgKind::ProvincialCommand | OrgKind::CapitalCommand | OrgKind::RegionalDefenseCommand
            )
        })
        .map(|u| (u.id, u.name))
        .collect();
    let mut years: Vec<i32> = cycles.iter().map(|c| c.year).collect();
    years.dedup();
    let mut rows = Vec::with_capacity(cycles.len());
    for c in &cycles {
        let quota = match scoped.quota_in_scope(c).await? {
            Some(q) => crate::forms::vi_count(q),
            None => "tỉnh chưa phân bổ cho xã".into(),
        };
        let reference = phongthu_domain::dates::parse_iso_date(&c.reference_date)
            .map(crate::forms::vi_date)
            .unwrap_or_else(|| c.reference_date.clone());
        rows.push((quota, reference));
    }
    render(&CyclesPage {
        rows,
        chrome: Chrome::new(&state, Some(&viewer), "Tuyển quân", "nvqs"),
        years,
        cycles,
        units,
        can_write: viewer.actor.role.allows(Permission::Write),
        next_year: crate::forms::today().year() + 1,
    })
}

#[derive(Deserialize)]
pub struct NewCycleForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    quota: String,
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<NewCycleForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let unit_id: i64 = f
        .unit_id
        .trim()
        .parse()
        .map_err(|_| AppError::bad_request("Hãy chọn đơn vị giao chỉ tiêu."))?;
    let year: i32 = f
        .year
        .trim()
        .parse()
        .map_err(|_| AppError::bad_request(format!("Năm \"{}\" không hợp lệ.", f.year.trim())))?;
    let quota: i64 = f
        .quota
        .trim()
        .parse()
        .map_err(|_| AppError::bad_request(format!("Chỉ tiêu \"{}\" phải là một số nguyên.", f.quota.trim())))?;
    let c = state
        .store()
        .scoped(&viewer.actor)
        .create_cycle(unit_id, year, quota)
        .await?;
    Ok(Redirect::to(&format!("/nvqs/{}", c.id)).into_response())
}

pub struct Row {
    pub unit_id: i64,
    pub name: String,
    pub citizens: i64,
    pub eligible: i64,
    /// Of the pool, records lacking a fact a standard needs ("thiếu thông tin").
    pub incomplete: i64,
    pub deferred: i64,
    pub exempted: i64,
    pub other: i64,
    pub proposed: i64,
    pub quota: String,
    pub rate: String,
    pub reason: String,
    /// Counts per ground, in the order of `ground_codes`.
    pub grounds: Vec<i64>,
    pub party_members: i64,
    pub graduates: i64,
}

pub struct Bar {
    pub y: usize,
    pub label_y: usize,
    pub name: String,
    pub pool_w: usize,
    pub quota_w: usize,
    pub text: String,
}

#[derive(Template)]
#[template(path = "cycle.html")]
struct CyclePage {
    chrome: Chrome,
    cycle: CallUpCycle,
    rows: Vec<Row>,
    /// The deferral and exemption grounds present, in the law's order.
    ground_codes: Vec<String>,
    totals: Row,
    total_pool: i64,
    /// The quota this viewer answers for: the cycle's for the province's staff, the sum of the
    /// communes' saved quotas for a commune command (or a sentence saying it is not split yet).
    quota_text: String,
    reference_date: String,
    /// A warning when part of the pool lacks facts.
    incomplete_warning: Option<String>,
    owner: bool,
    proposal_error: Option<String>,
    proposed_even: Option<String>,
    saved_even: Option<String>,
    bars: Vec<Bar>,
    chart_height: usize,
    can_write: bool,
    flash: Option<&'static str>,
    error: Option<String>,
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0).replace('.', ",")
}

fn even_text(e: &Evenness) -> String {
    format!(
        "Tỷ lệ chỉ tiêu trên nguồn: thấp nhất {}, cao nhất {}, chênh lệch {} (toàn tỉnh {}).",
        pct(e.min),
        pct(e.max),
        pct(e.spread),
        pct(e.overall)
    )
}

/// `owner`: the viewer's scope holds the cycle's own unit (only then may the split be changed;
/// a commune command sees its own row).
fn page(
    state: &AppState,
    viewer: &Viewer,
    o: CycleOverview,
    owner: bool,
    flash: Option<&'static str>,
    error: Option<String>,
) -> CyclePage {
    let max_pool = o.communes.iter().map(|f| f.eligible).max().unwrap_or(0).max(1) as f64;
    let width = 420.0;
    let bars = o
        .communes
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let q = f.quota.unwrap_or(f.proposed);
            Bar {
                y: 8 + i * 30,
                label_y: 8 + i * 30 + 14,
                name: f.unit_name.clone(),
                pool_w: ((f.eligible as f64 / max_pool) * width).round() as usize,
                quota_w: ((q as f64 / max_pool) * width).round() as usize,
                text: format!("{q} / {}", f.eligible),
            }
        })
        .collect::<Vec<_>>();
    let mut ground_codes: Vec<String> = o.communes.iter().flat_map(|f| f.grounds.keys().cloned()).collect();
    ground_codes.sort_by(|a, b| phongthu_domain::text::compare(a, b));
    ground_codes.dedup();
    let sum = |g: &dyn Fn(&phongthu_store::CommuneFigures) -> i64| o.communes.iter().map(g).sum::<i64>();
    let saved_total: Option<i64> = o.communes.iter().map(|f| f.quota).sum();
    let totals = Row {
        unit_id: 0,
        name: "Cộng".into(),
        citizens: sum(&|f| f.citizens),
        eligible: sum(&|f| f.eligible),
        incomplete: sum(&|f| f.incomplete),
        deferred: sum(&|f| f.deferred),
        exempted: sum(&|f| f.exempted),
        other: sum(&|f| f.other),
        proposed: sum(&|f| f.proposed),
        quota: saved_total.map(|q| q.to_string()).unwrap_or_default(),
        rate: match (saved_total, sum(&|f| f.eligible)) {
            (Some(q), p) if p > 0 => pct(q as f64 / p as f64),
            _ => String::new(),
        },
        reason: String::new(),
        grounds: ground_codes
            .iter()
            .map(|g| sum(&|f| f.grounds.get(g).copied().unwrap_or(0)))
            .collect(),
        party_members: sum(&|f| f.party_members),
        graduates: sum(&|f| f.graduates),
    };
    let incomplete = totals.incomplete;
    let quota_text = if owner {
        crate::forms::vi_count(o.cycle.quota)
    } else {
        match saved_total {
            Some(q) => crate::forms::vi_count(q),
            None => "tỉnh chưa phân bổ chỉ tiêu cho xã".into(),
        }
    };
    CyclePage {
        quota_text,
        reference_date: phongthu_domain::dates::parse_iso_date(&o.cycle.reference_date)
            .map(crate::forms::vi_date)
            .unwrap_or_else(|| o.cycle.reference_date.clone()),
        incomplete_warning: (incomplete > 0).then(|| {
            format!(
                "{} công dân trong nguồn thiếu thông tin (hồ sơ chưa ghi trình độ văn hóa): chưa xét được \
                 tiêu chuẩn văn hóa, cần kiểm tra. Đề xuất chia chỉ tiêu đang tính cả những người này.",
                crate::forms::vi_count(incomplete)
            )
        }),
        owner,
        totals,
        chrome: Chrome::new(state, Some(viewer), format!("Tuyển quân năm {}", o.cycle.year), "nvqs"),
        total_pool: o.communes.iter().map(|f| f.eligible).sum(),
        rows: o
            .communes
            .iter()
            .map(|f| Row {
                unit_id: f.unit_id,
                name: f.unit_name.clone(),
                citizens: f.citizens,
                eligible: f.eligible,
                incomplete: f.incomplete,
                deferred: f.deferred,
                exempted: f.exempted,
                other: f.other,
                proposed: f.proposed,
                quota: f.quota.map(|q| q.to_string()).unwrap_or_default(),
                rate: match (f.quota, f.eligible) {
                    (Some(q), p) if p > 0 => pct(q as f64 / p as f64),
                    _ => String::new(),
                },
                reason: f.reason.clone().unwrap_or_default(),
                grounds: ground_codes
                    .iter()
                    .map(|g| f.grounds.get(g).copied().unwrap_or(0))
                    .collect(),
                party_members: f.party_members,
                graduates: f.graduates,
            })
            .collect(),
        ground_codes: ground_codes.clone(),
        proposal_error: o.proposal_error.clone().filter(|_| owner),
        proposed_even: o.evenness_proposed.as_ref().filter(|_| owner).map(even_text),
        saved_even: o.evenness_saved.as_ref().map(even_text),
        chart_height: 16 + bars.len() * 30,
        bars,
        can_write: owner && viewer.actor.role.allows(Permission::Write),
        flash,
        error,
        cycle: o.cycle,
    }
}

#[derive(Deserialize, Default)]
pub struct CycleQuery {
    saved: Option<String>,
}

pub async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(q): Query<CycleQuery>,
) -> Result<Response, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let o = scoped.cycle_overview(id).await?;
    let owner = scoped.owned_cycle(id).await.is_ok();
    render(&page(
        &state,
        &viewer,
        o,
        owner,
        q.saved.is_some().then_some("Đã lưu chỉ tiêu các xã."),
        None,
    ))
}

pub async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, f.get("_csrf").map(String::as_str).unwrap_or(""))?;
    let mut split = Vec::new();
    for (k, v) in &f {
        if let Some(unit) = k.strip_prefix("quota_") {
            let unit: i64 = unit
                .parse()
                .map_err(|_| AppError::bad_request("Biểu mẫu chỉ tiêu không hợp lệ."))?;
            let q: i64 = v.trim().parse().map_err(|_| {
                AppError::bad_request(format!("Chỉ tiêu \"{}\" phải là một số nguyên không âm.", v.trim()))
            })?;
            split.push((unit, q));
        }
    }
    let scoped = state.store().scoped(&viewer.actor);
    match scoped
        .save_quotas(id, &split, f.get("reason").map(String::as_str))
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/nvqs/{id}?saved=1")).into_response()),
        Err(phongthu_store::StoreError::Invalid(m)) => {
            let o = scoped.cycle_overview(id).await?;
            let mut res = render(&page(&state, &viewer, o, true, None, Some(m)))?;
            *res.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

/// The cycle's figures as an Excel workbook (the yearly report's table).
pub async fn export(State(state): State<AppState>, viewer: Viewer, Path(id): Path<i64>) -> Result<Response, AppError> {
    use phongthu_documents::tabular::{write_xlsx, ColumnSpec};
    let o = state.store().scoped(&viewer.actor).cycle_overview(id).await?;
    let p = page(&state, &viewer, o, false, None, None);
    let mut headers: Vec<String> = [
        "Ban CHQS xã",
        "Hồ sơ",
        "Nguồn",
        "Tạm hoãn",
        "Miễn",
        "Khác",
        "Đề xuất",
        "Chỉ tiêu",
        "Đảng viên trong nguồn",
        "Tốt nghiệp CĐ, ĐH trong nguồn",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    headers.extend(p.ground_codes.iter().map(|g| format!("Căn cứ {g}")));
    let specs: Vec<ColumnSpec<'_>> = headers
        .iter()
        .map(|h| ColumnSpec {
            header: h.as_str(),
            text: false,
            width: 0.0,
        })
        .collect();
    let row = |r: &Row| {
        let mut v = vec![
            r.name.clone(),
            r.citizens.to_string(),
            r.eligible.to_string(),
            r.deferred.to_string(),
            r.exempted.to_string(),
            r.other.to_string(),
            r.proposed.to_string(),
            r.quota.clone(),
            r.party_members.to_string(),
            r.graduates.to_string(),
        ];
        v.extend(r.grounds.iter().map(|n| n.to_string()));
        v
    };
    let mut rows: Vec<Vec<String>> = p.rows.iter().map(row).collect();
    rows.push(row(&p.totals));
    let bytes = write_xlsx("Tuyển quân", &specs, rows).map_err(|e| AppError::internal(e.to_string()))?;
    Ok(super::download(
        bytes,
        super::XLSX,
        &format!("tuyen-quan-{}.xlsx", p.cycle.year),
    ))
}

#[derive(Template)]
#[template(path = "sanctions.html")]
struct SanctionsPage {
    chrome: Chrome,
    kinds: Vec<(String, &'static str)>,
    kind: String,
    date: String,
    result: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct SanctionQuery {
    kind: Option<String>,
    date: Option<String>,
}

/// Looks up the sanction of a violation by the regime in force on the date of the act.
pub async fn sanctions(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<SanctionQuery>,
) -> Result<Response, AppError> {
    use phongthu_domain::nvqs::sanctions::{sanction_for, Violation};
    let kinds: Vec<(String, &'static str)> = Violation::ALL
        .iter()
        .enumerate()
        .map(|(i, v)| (i.to_string(), v.label_vi()))
        .collect();
    let kind = q.kind.clone().unwrap_or_default();
    let date_text = q.date.clone().unwrap_or_default();
    let (result, error) = match (
        kind.parse::<usize>().ok().and_then(|i| Violation::ALL.get(i)),
        date_text.trim(),
    ) {
        (Some(v), d) if !d.is_empty() => match crate::forms::parse_date_text(d) {
            Some(date) => match sanction_for(*v, date) {
                Ok(s) => (Some(format!("{}: {}", v.label_vi(), s.describe_vi())), None),
                Err(e) => (None, Some(e.to_string())),
            },
            None => (None, Some(format!("Ngày \"{d}\" không hợp lệ: dùng dạng NN/TT/NNNN."))),
        },
        _ => (None, None),
    };
    render(&SanctionsPage {
        chrome: Chrome::new(&state, Some(&viewer), "Mức xử phạt", "nvqs"),
        kinds,
        kind,
        date: date_text,
        result,
        error,
    })
}
