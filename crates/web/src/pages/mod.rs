//! Server-rendered pages. Each handler takes the [`Viewer`] (which redirects to the login page when
//! there is no session), reaches data only through `store.scoped(&viewer.actor)`, and renders one
//! askama template.

mod account;
mod audit;
mod citizen_edit;
mod citizen_pick;
pub(crate) mod citizens;
mod cycle;
pub(crate) mod directives;
pub(crate) mod doc_jobs;
mod education;
mod exam_entry;
mod forces_docs;
pub(crate) mod home;
mod login;
mod militia;
pub(crate) mod militia_import;
mod militia_targets;
mod nvqs_docs;
mod org;
mod outgoing;
pub(crate) mod reading;
mod reports;
mod reserve;
mod reserve_import;
mod stages;
mod territory;
mod territory_pick;
mod users;

use crate::session::Viewer;
use crate::AppState;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use phongthu_domain::auth::Permission;
pub use territory::find_unit as find_territory_unit;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/territory", get(territory::list))
        .route("/territory/{code}", get(territory::unit))
        .route("/org", get(org::tree))
        .route("/org/{id}", get(org::unit))
        .route("/org/{id}/coverage", post(org::set_coverage))
        .route("/org/{id}/children", post(org::add_child))
        .route("/org/{id}/move", post(org::move_unit))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{id}/active", post(users::set_active))
        .route("/users/{id}/reset-password", post(users::reset_password))
        .route("/audit", get(audit::page))
        .route("/citizens", get(citizens::list).post(citizens::create))
        .route("/citizens/new", get(citizens::new_form))
        .route("/citizens/template.xlsx", get(citizens::template))
        .route("/citizens/export.xlsx", get(citizens::export))
        .route("/citizens/duplicates", get(citizens::duplicates))
        .route("/citizens/registration", get(citizens::registration))
        .route(
            "/citizens/import",
            get(citizens::import_form)
                .post(citizens::import_upload)
                .layer(axum::extract::DefaultBodyLimit::max(IMPORT_LIMIT_BYTES)),
        )
        .route("/citizens/import/{job}", get(citizens::import_job))
        .route("/citizens/import/{job}/rejects.xlsx", get(citizens::import_rejects))
        .route("/citizens/{id}", get(citizens::detail))
        .route("/citizens/{id}/registrations", post(citizens::add_registration))
        .route("/citizens/{id}/sua", get(citizen_edit::form).post(citizen_edit::save))
        // call-up cycle
        .route("/nvqs", get(cycle::list).post(cycle::create))
        .route("/nvqs/sanctions", get(cycle::sanctions))
        .route("/nvqs/{id}", get(cycle::detail))
        .route("/nvqs/{id}/bao-cao.xlsx", get(cycle::export))
        // official reports: the extension chooses DOCX or PDF (reports::Format)
        .route("/nvqs/{id}/bao-cao.docx", get(reports::cycle_report))
        .route("/nvqs/{id}/bao-cao.pdf", get(reports::cycle_report))
        .route("/nvqs/{id}/cong-khai/{unit}", get(reports::public_list))
        .route("/nvqs/{id}/cong-khai/{unit}/danh-sach.docx", get(reports::public_list))
        .route("/nvqs/{id}/cong-khai/{unit}/danh-sach.pdf", get(reports::public_list))
        .route("/documents/{id}/bao-cao.docx", get(reports::directive_report))
        .route("/documents/{id}/bao-cao.pdf", get(reports::directive_report))
        .route("/documents/outgoing", get(outgoing::form).post(outgoing::create))
        .route("/nvqs/{id}/quotas", post(cycle::save))
        .route("/nvqs/vi-pham", get(stages::violations).post(stages::add_violation))
        .route("/nvqs/nam/{year}", get(stages::year))
        .route("/nvqs/nam/{year}/tong-hop.xlsx", get(stages::year_xlsx))
        .route("/nvqs/{id}/tong-hop", get(stages::dashboard))
        .route("/nvqs/{id}/tong-hop.xlsx", get(stages::dashboard_xlsx))
        .route("/nvqs/{id}/cai-dat", get(stages::settings).post(stages::save_settings))
        .route("/nvqs/{id}/xa/{unit}", get(stages::commune))
        .route("/nvqs/{id}/xa/{unit}/hang-loat", post(stages::bulk))
        .route("/nvqs/{id}/xa/{unit}/duyet", post(stages::approve))
        .route(
            "/nvqs/{id}/xa/{unit}/kham",
            get(exam_entry::form).post(exam_entry::save_grid),
        )
        .route(
            "/nvqs/{id}/xa/{unit}/kham/nhap",
            post(exam_entry::upload).layer(axum::extract::DefaultBodyLimit::max(
                militia_import::MILITIA_IMPORT_LIMIT_BYTES,
            )),
        )
        .route("/nvqs/kham/mau-ket-qua-kham.xlsx", get(exam_entry::template))
        .route("/nvqs/kham/tu-choi/{token}", get(exam_entry::rejects))
        .route("/nvqs/{id}/xa/{unit}/{file}", get(nvqs_docs::commune_document))
        .route("/nvqs/{id}/cong-dan/{citizen}/{file}", get(nvqs_docs::citizen_decision))
        .route("/tep-in/{id}", get(doc_jobs::page))
        .route("/tep-in/{id}/tep", get(doc_jobs::file))
        .route(
            "/nvqs/{id}/cong-dan/{citizen}",
            get(stages::candidate).post(stages::step),
        )
        // militia
        .route("/militia", get(militia::list).post(militia::create))
        .route("/militia/{id}", get(militia::detail))
        .route("/militia/{id}/members", post(militia::add_member))
        .route("/militia/{id}/training", post(militia::record_training))
        // militia members from and to Excel
        .route(
            "/militia/{id}/import",
            get(militia_import::form)
                .post(militia_import::upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    militia_import::MILITIA_IMPORT_LIMIT_BYTES,
                )),
        )
        .route(
            "/militia/import/mau-nhap-dan-quan-tu-ve.xlsx",
            get(militia_import::template),
        )
        .route("/militia/import/tu-choi/{token}", get(militia_import::rejects))
        .route("/militia/{id}/thanh-vien.xlsx", get(militia_import::export_unit))
        .route("/militia/thanh-vien.xlsx", get(militia_import::export_scope))
        // militia strength against targets, forces lists as DOCX/PDF, reservist import
        .route("/militia/targets", get(militia_targets::dashboard))
        .route("/militia/targets/ratio", post(militia_targets::set_ratio))
        .route(
            "/militia/targets/{unit}",
            get(militia_targets::edit).post(militia_targets::save),
        )
        .route("/militia/{id}/danh-sach.docx", get(forces_docs::militia_members))
        .route("/militia/{id}/danh-sach.pdf", get(forces_docs::militia_members))
        .route("/militia/het-han.docx", get(forces_docs::end_of_term))
        .route("/militia/het-han.pdf", get(forces_docs::end_of_term))
        .route("/militia/thieu-huan-luyen.docx", get(forces_docs::training_shortfall))
        .route("/militia/thieu-huan-luyen.pdf", get(forces_docs::training_shortfall))
        .route(
            "/reserve/units/{id}/danh-sach.docx",
            get(forces_docs::reserve_unit_list),
        )
        .route("/reserve/units/{id}/danh-sach.pdf", get(forces_docs::reserve_unit_list))
        .route("/reserve/equipment/danh-sach.docx", get(forces_docs::equipment_list))
        .route("/reserve/equipment/danh-sach.pdf", get(forces_docs::equipment_list))
        .route(
            "/reserve/import",
            get(reserve_import::form)
                .post(reserve_import::upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    reserve_import::RESERVIST_IMPORT_LIMIT_BYTES,
                )),
        )
        .route(
            "/reserve/import/mau-nhap-quan-nhan-du-bi.xlsx",
            get(reserve_import::template),
        )
        .route(
            "/reserve/equipment/import",
            get(reserve_import::equipment_form)
                .post(reserve_import::equipment_upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    reserve_import::RESERVIST_IMPORT_LIMIT_BYTES,
                )),
        )
        .route(
            "/reserve/equipment/import/mau-nhap-phuong-tien.xlsx",
            get(reserve_import::equipment_template),
        )
        // reserve forces
        .route("/reserve", get(reserve::list))
        .route("/reserve/units", post(reserve::create_unit))
        .route("/reserve/reservists", post(reserve::add_reservist))
        .route("/reserve/reservists.xlsx", get(reserve::export_reservists))
        .route("/reserve/positions.xlsx", get(reserve::export_positions))
        .route("/reserve/assignments.xlsx", get(reserve::export_assignments))
        .route("/reserve/units/{id}", get(reserve::unit))
        .route("/reserve/units/{id}/positions", post(reserve::add_position))
        .route("/reserve/units/{id}/assignments", post(reserve::assign_one))
        .route(
            "/reserve/units/{id}/assignments/{a}/move",
            post(reserve::move_assignment),
        )
        .route(
            "/reserve/units/{id}/assignments/{a}/remove",
            post(reserve::remove_assignment),
        )
        .route("/reserve/units/{id}/needs", post(reserve::set_need))
        .route(
            "/reserve/assign",
            get(reserve::assign_form).post(reserve::assign_accept),
        )
        .route(
            "/reserve/equipment",
            get(reserve::equipment).post(reserve::add_equipment),
        )
        .route("/reserve/equipment.xlsx", get(reserve::export_equipment))
        .route("/reserve/equipment/accept", post(reserve::accept_equipment))
        .route("/reserve/equipment/{id}/checks", post(reserve::record_check))
        // directives
        .route(
            "/documents",
            get(directives::list)
                .post(directives::create)
                .layer(axum::extract::DefaultBodyLimit::max(directives::DOCUMENT_LIMIT_BYTES)),
        )
        .route("/documents/new", get(directives::new_form))
        .route(
            "/documents/upload",
            post(directives::upload).layer(axum::extract::DefaultBodyLimit::max(directives::DOCUMENT_LIMIT_BYTES)),
        )
        .route("/documents/upload/{job}", get(reading::page))
        .route("/documents/upload/{job}/cancel", post(reading::cancel))
        .route("/documents/{id}", get(directives::detail))
        .route(
            "/documents/{id}/review",
            get(directives::review_form).post(directives::review_submit),
        )
        .route("/documents/{id}/attachments/{att}", get(directives::attachment))
        .route("/tasks", get(directives::tasks))
        .route(
            "/tasks/recurring",
            get(directives::recurring_form).post(directives::recurring_copy),
        )
        .route("/tasks/{id}", get(directives::task))
        .route(
            "/tasks/{id}/reports",
            post(directives::add_report).layer(axum::extract::DefaultBodyLimit::max(directives::REPORT_LIMIT_BYTES)),
        )
        .route("/tasks/{id}/files/{att}", get(directives::report_attachment))
        .route(
            "/tasks/{id}/edit",
            get(directives::edit_form).post(directives::edit_submit),
        )
        .route("/tasks/{id}/cancel", post(directives::cancel))
        .route("/account/password", get(account::form).post(account::change_password))
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/{token}/revoke", post(account::revoke_token))
        // defence and security education
        .merge(education::routes())
}

/// The largest file the import page accepts (a province's registry as CSV is well below).
pub const IMPORT_LIMIT_BYTES: usize = 1024 * 1024 * 1024;

/// What the layout needs: title, the user (if any), the CSRF token for the logout form.
pub struct Chrome {
    pub title: String,
    pub nav: &'static str,
    pub user: Option<ChromeUser>,
    pub csrf: String,
    pub demo_banner: bool,
    pub version: &'static str,
    pub asset_version: &'static str,
}

pub struct ChromeUser {
    pub display_name: String,
    pub role_label: &'static str,
    pub unit_name: String,
    pub can_manage_users: bool,
    pub can_read_audit: bool,
}

impl Chrome {
    pub fn new(state: &AppState, viewer: Option<&Viewer>, title: impl Into<String>, nav: &'static str) -> Chrome {
        Chrome {
            title: title.into(),
            nav,
            user: viewer.map(|v| ChromeUser {
                display_name: v.actor.display_name.clone(),
                role_label: v.actor.role.label_vi(),
                unit_name: v.actor.unit_name.clone(),
                can_manage_users: v.actor.role.allows(Permission::ManageUsers),
                can_read_audit: v.actor.role.allows(Permission::ReadAudit),
            }),
            csrf: viewer.map(|v| v.csrf.clone()).unwrap_or_default(),
            demo_banner: state.settings().demo_banner,
            version: env!("CARGO_PKG_VERSION"),
            asset_version: crate::assets::VERSION,
        }
    }
}

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// A file to download: its bytes, type and name (ASCII name plus the UTF-8 name per RFC 6266).
pub fn download(bytes: Vec<u8>, content_type: &'static str, file_name: &str) -> Response {
    use axum::http::{header, HeaderValue};
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = crate::session::encode(file_name);
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// Renders a template into an HTML response.
pub fn render<T: Template>(t: &T) -> Result<Response, crate::AppError> {
    Ok(Html(t.render()?).into_response())
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    heading: &'static str,
    message: String,
}

/// An error page without the user's navigation (the error may be about the session itself).
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let heading = match status {
        StatusCode::NOT_FOUND => "Không tìm thấy",
        StatusCode::FORBIDDEN => "Không được phép",
        StatusCode::UNAUTHORIZED => "Cần đăng nhập",
        StatusCode::BAD_REQUEST => "Dữ liệu không hợp lệ",
        StatusCode::CONFLICT => "Xung đột dữ liệu",
        StatusCode::TOO_MANY_REQUESTS => "Quá nhiều lần thử",
        _ => "Có lỗi xảy ra",
    };
    let page = ErrorPage {
        chrome: Chrome {
            title: heading.into(),
            nav: "",
            user: None,
            csrf: String::new(),
            demo_banner: false,
            version: env!("CARGO_PKG_VERSION"),
            asset_version: crate::assets::VERSION,
        },
        heading,
        message: message.to_string(),
    };
    let body = page.render().unwrap_or_else(|_| message.to_string());
    (status, Html(body)).into_response()
}
