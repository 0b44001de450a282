//! The audit log for inspectors and administrators: filterable, newest first, with a check of the
//! hash chain.

use super::{render, Chrome};
use crate::error::AppError;
use crate::forms::extract::Query;
use crate::forms::{parse_date_text, vi_datetime};
use crate::session::{encode, Viewer};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use phongthu_domain::auth::Permission;
use phongthu_store::AuditFilter;
use serde::Deserialize;

pub struct EntryRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub before: String,
    pub after: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    entries: Vec<EntryRow>,
    f_actor: String,
    f_entity: String,
    f_action: String,
    f_from: String,
    f_to: String,
    older: Option<String>,
    verify: Option<(bool, String)>,
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    actor: Option<String>,
    entity: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
    verify: Option<String>,
}

/// The Vietnamese label of an audit action.
pub fn action_label(action: &str) -> &str {
    match action {
        "create" => "Tạo mới",
        "update" => "Sửa",
        "delete" => "Xóa",
        "login" => "Đăng nhập",
        "login_failed" => "Đăng nhập sai",
        "change_password" => "Đổi mật khẩu",
        "reset_password" => "Cấp lại mật khẩu",
        "enable" => "Mở khóa tài khoản",
        "disable" => "Khóa tài khoản",
        "create_api_token" => "Tạo mã truy cập API",
        "revoke" => "Thu hồi",
        "update_coverage" => "Sửa địa bàn phụ trách",
        "move" => "Chuyển đơn vị",
        "view" => "Mở hồ sơ",
        "export" => "Tải tệp",
        "edit" => "Sửa hồ sơ",
        other => other,
    }
}

/// The Vietnamese label of an audited entity.
pub fn entity_label(entity: &str) -> &str {
    match entity {
        "app_user" => "Người dùng",
        "org_unit" => "Đơn vị",
        "api_token" => "Mã truy cập",
        "citizen" => "Công dân",
        "file" => "Tệp",
        other => other,
    }
}

fn opt(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn check_date(s: &Option<String>, what: &str) -> Result<Option<String>, AppError> {
    match opt(s) {
        None => Ok(None),
        Some(d) => parse_date_text(&d).map(|d| Some(d.to_string())).ok_or_else(|| {
            AppError::bad_request(format!(
                "{what} \"{d}\" không hợp lệ: dùng dạng NN/TT/NNNN (ví dụ 01/07/2025)."
            ))
        }),
    }
}

fn shorten(json: Option<String>) -> String {
    let s = json.unwrap_or_default();
    if s.chars().count() > 160 {
        format!("{}…", s.chars().take(160).collect::<String>())
    } else {
        s
    }
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    scoped.require(Permission::ReadAudit)?;
    let before_seq = match opt(&q.before) {
        None => None,
        Some(b) => Some(
            b.parse::<i64>()
                .map_err(|_| AppError::bad_request("Số thứ tự trang không hợp lệ."))?,
        ),
    };
    let filter = AuditFilter {
        actor: opt(&q.actor),
        entity: opt(&q.entity),
        action: opt(&q.action),
        from: check_date(&q.from, "Ngày bắt đầu")?,
        to: check_date(&q.to, "Ngày kết thúc")?,
        limit: 100,
        before_seq,
    };
    let entries = scoped.audit_entries(&filter).await?;
    let older = (entries.len() == 100).then(|| {
        let last = entries.last().map(|e| e.seq).unwrap_or(0);
        let mut href = format!("/audit?before={last}");
        for (k, v) in [
            ("actor", &filter.actor),
            ("entity", &filter.entity),
            ("action", &filter.action),
            ("from", &filter.from),
            ("to", &filter.to),
        ] {
            if let Some(v) = v {
                href.push_str(&format!("&{k}={}", encode(v)));
            }
        }
        href
    });
    let verify = if q.verify.is_some() {
        let r = state.store().verify_audit().await?;
        Some(match (&r.broken, r.altered.is_empty()) {
            (None, true) => (
                true,
                format!(
                    "Chuỗi nhật ký toàn vẹn: {} mục, mục cuối số {}; đầu chuỗi {} (hãy chép lại và giữ bên ngoài máy để đối chiếu sau).",
                    r.entries,
                    r.head_seq,
                    r.head()
                ),
            ),
            (Some(b), _) => (false, format!("Nhật ký đã bị can thiệp: {b}")),
            (None, false) => (
                false,
                format!(
                    "Dữ liệu đã bị sửa ngoài hệ thống ({} dòng không khớp nhật ký): {}{}",
                    r.altered.len(),
                    r.altered.iter().take(5).map(|a| a.to_string()).collect::<Vec<_>>().join("; "),
                    if r.altered.len() > 5 { "; …" } else { "." }
                ),
            ),
        })
    } else {
        None
    };
    let page = AuditPage {
        chrome: Chrome::new(&state, Some(&viewer), "Nhật ký thay đổi", "audit"),
        entries: entries
            .into_iter()
            .map(|e| EntryRow {
                seq: e.seq,
                at: vi_datetime(&e.at),
                actor: e.actor_name,
                action: action_label(&e.action).to_string(),
                entity: format!("{} {}", entity_label(&e.entity), e.entity_id),
                before: shorten(e.before),
                after: shorten(e.after),
            })
            .collect(),
        f_actor: filter.actor.clone().unwrap_or_default(),
        f_entity: filter.entity.clone().unwrap_or_default(),
        f_action: filter.action.clone().unwrap_or_default(),
        f_from: filter.from.clone().unwrap_or_default(),
        f_to: filter.to.clone().unwrap_or_default(),
        older,
        verify,
    };
    render(&page)
}
