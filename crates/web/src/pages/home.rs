//! The home page: the user's unit, what lies in its scope, the territory at a glance, and (for
//! those who may read it) the latest changes.

use super::{render, Chrome};
use crate::error::AppError;
use crate::forms::{today, vi_datetime};
use crate::session::Viewer;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use phongthu_domain::auth::Permission;
use phongthu_domain::org::OrgKind;
use phongthu_domain::territory::{Level, REFORM_DATE};
use phongthu_store::AuditFilter;

pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    unit_name: String,
    display_name: String,
    role_label: &'static str,
    unit_counts: Vec<(&'static str, usize)>,
    province: Option<(String, String, usize)>,
    provinces_now: usize,
    communes_now: usize,
    provinces_before: usize,
    recent_audit: Vec<AuditRow>,
    /// The work of the scope at a glance: (label, figure, link).
    work: Vec<(&'static str, String, &'static str)>,
    /// Overdue tasks (up to 10): (link, text).
    overdue: Vec<(String, String)>,
}

pub async fn home(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let units = scoped.org_units().await?;
    let mut unit_counts: Vec<(&'static str, usize)> = Vec::new();
    for kind in OrgKind::ALL {
        let n = units.iter().filter(|u| u.kind == kind).count();
        if n > 0 {
            unit_counts.push((kind.label_vi(), n));
        }
    }
    let t = state.territory();
    let on = today().max(REFORM_DATE);
    let own = units.iter().find(|u| u.id == viewer.actor.unit_id);
    let province = own
        .and_then(|u| u.province_code.as_deref())
        .and_then(|code| t.unit_on(code, Some(Level::Province), on))
        .map(|p| (p.code.clone(), p.name.clone(), t.children_on(p, on).len()));
    let recent_audit = if viewer.actor.role.allows(Permission::ReadAudit) {
        scoped
            .audit_entries(&AuditFilter {
                limit: 5,
                ..Default::default()
            })
            .await?
            .into_iter()
            .map(|a| AuditRow {
                at: vi_datetime(&a.at),
                actor: a.actor_name,
                action: super::audit::action_label(&a.action).to_string(),
                entity: format!("{} {}", super::audit::entity_label(&a.entity), a.entity_id),
            })
            .collect()
    } else {
        Vec::new()
    };
    let figures = work_figures(&state, &viewer).await?;
    let before = REFORM_DATE.previous_day().unwrap_or(REFORM_DATE);
    let page = HomePage {
        chrome: Chrome::new(&state, Some(&viewer), "Trang chủ", "home"),
        unit_name: viewer.actor.unit_name.clone(),
        display_name: viewer.actor.display_name.clone(),
        role_label: viewer.actor.role.label_vi(),
        unit_counts,
        province,
        provinces_now: t.list(Level::Province, on).len(),
        communes_now: t.list(Level::Commune, on).len(),
        provinces_before: t.list(Level::Province, before).len(),
        recent_audit,
        work: figures.work,
        overdue: figures.overdue,
    };
    render(&page)
}

/// The scope's work figures shown on the home page.
#[derive(Clone)]
pub struct WorkFigures {
    pub work: Vec<(&'static str, String, &'static str)>,
    pub overdue: Vec<(String, String)>,
}

/// How long the home page's work figures are reused for the same unit: the home page is the most
/// requested page, and counts a few seconds old are as useful as live ones (each list page shows
/// live data).
pub const WORK_FIGURES_TTL: std::time::Duration = std::time::Duration::from_secs(10);

/// The work figures by unit, computed once per expiry (others get the previous figures or wait).
pub type WorkCache = crate::flight::FlightCache<i64, WorkFigures>;

pub fn work_cache() -> WorkCache {
    WorkCache::new(WORK_FIGURES_TTL, 10_000)
}

async fn work_figures(state: &AppState, viewer: &Viewer) -> Result<WorkFigures, AppError> {
    state
        .work_cache()
        .get(&viewer.actor.unit_id, || compute_work_figures(state, viewer))
        .await
}

async fn compute_work_figures(state: &AppState, viewer: &Viewer) -> Result<WorkFigures, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let today = crate::forms::today();
    // Read concurrently (each is one or two indexed queries).
    let (citizens, overdue_tasks, militia_units, cycles) = tokio::try_join!(
        scoped.citizen_count(),
        scoped.overdue(today),
        scoped.militia_units(),
        scoped.cycles(),
    )?;
    let mut work = vec![
        ("Hồ sơ công dân", super::directives::vi_count(citizens), "/citizens"),
        ("Nhiệm vụ quá hạn", overdue_tasks.len().to_string(), "/tasks"),
        ("Đơn vị dân quân tự vệ", militia_units.len().to_string(), "/militia"),
    ];
    if let Some(c) = cycles.first() {
        // A commune command answers for its own quota, not the province's.
        let quota = match scoped.quota_in_scope(c).await? {
            Some(q) => crate::forms::vi_count(q),
            None => "tỉnh chưa phân bổ".into(),
        };
        work.push((
            "Chỉ tiêu tuyển quân gần nhất",
            format!("{quota} (năm {})", c.year),
            "/nvqs",
        ));
    }
    let overdue = overdue_tasks
        .iter()
        .take(10)
        .map(|t| {
            let due = t.due_date.map(crate::forms::vi_date).unwrap_or_default();
            (
                format!("/tasks/{}", t.id),
                format!("{} — {} (hạn {due}, {})", t.ordinal, t.summary, t.unit_name),
            )
        })
        .collect();
    Ok(WorkFigures { work, overdue })
}
