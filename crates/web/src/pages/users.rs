//! User administration (system administrators): list, create, disable/enable, reset password.
//! One-time passwords are shown once, on the page that created them.

use super::{render, Chrome};
use crate::csrf;
use crate::error::AppError;
use crate::forms::extract::Form;
use crate::forms::extract::Path;
use crate::session::Viewer;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use phongthu_domain::auth::{Permission, Role};
use phongthu_store::{NewUser, User};
use serde::Deserialize;

pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: &'static str,
    pub unit_name: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserRow>,
    roles: Vec<(&'static str, &'static str)>,
    units: Vec<(i64, String)>,
    flash: Option<String>,
    one_time: Option<(String, String)>,
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    flash: Option<String>,
    one_time: Option<(String, String)>,
) -> Result<Response, AppError> {
    let scoped = state.store().scoped(&viewer.actor);
    let users: Vec<User> = scoped.users().await?;
    let units = scoped.org_units().await?;
    let depth = super::org::depths(&units);
    let page = UsersPage {
        chrome: Chrome::new(state, Some(viewer), "Người dùng", "users"),
        users: users
            .into_iter()
            .map(|u| UserRow {
                id: u.id,
                username: u.username,
                display_name: u.display_name,
                role: u.role.label_vi(),
                unit_name: u.unit_name,
                active: u.active,
            })
            .collect(),
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.label_vi())).collect(),
        units: units
            .into_iter()
            .map(|u| (u.id, format!("{}{}", "· ".repeat(depth[&u.id].min(6)), u.name)))
            .collect(),
        flash,
        one_time,
    };
    render(&page)
}

pub async fn list(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    page(&state, &viewer, None, None).await
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    unit_id: String,
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<CreateForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let scoped = state.store().scoped(&viewer.actor);
    scoped.require(Permission::ManageUsers)?;
    let role = Role::parse(f.role.trim()).map_err(AppError::bad_request)?;
    let unit_id: i64 = f
        .unit_id
        .trim()
        .parse()
        .map_err(|_| AppError::bad_request("Hãy chọn đơn vị của người dùng."))?;
    let (user, password) = scoped
        .create_user(NewUser {
            username: f.username.trim().to_string(),
            display_name: f.display_name.trim().to_string(),
            role,
            unit_id,
            password: None,
        })
        .await?;
    let flash = format!("Đã tạo người dùng {}.", user.username);
    page(&state, &viewer, Some(flash), password.map(|p| (user.username, p))).await
}

#[derive(Deserialize)]
pub struct ActiveForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    active: String,
}

pub async fn set_active(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<ActiveForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let active = match f.active.as_str() {
        "1" => true,
        "0" => false,
        _ => return Err(AppError::bad_request("Trạng thái phải là 0 (khóa) hoặc 1 (mở khóa).")),
    };
    if viewer.actor.user_id == Some(id) && !active {
        return Err(AppError::bad_request("Bạn không thể tự khóa tài khoản của mình."));
    }
    state.store().scoped(&viewer.actor).set_user_active(id, active).await?;
    Ok(Redirect::to("/users").into_response())
}

pub async fn reset_password(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<super::login::CsrfForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let scoped = state.store().scoped(&viewer.actor);
    let user = scoped.user(id).await?;
    let password = scoped.reset_password(id).await?;
    page(
        &state,
        &viewer,
        Some(format!("Đã cấp lại mật khẩu cho {}.", user.username)),
        Some((user.username, password)),
    )
    .await
}
