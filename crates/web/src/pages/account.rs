//! The user's own account: change password (forced after a one-time password) and API tokens.

use super::{render, Chrome};
use crate::csrf;
use crate::error::AppError;
use crate::forms::extract::Form;
use crate::session::Viewer;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use phongthu_store::StoreError;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "password.html")]
struct AccountPage {
    chrome: Chrome,
    must_change: bool,
    flash: Option<&'static str>,
    error: Option<String>,
    new_token: Option<String>,
}

fn page(
    state: &AppState,
    viewer: &Viewer,
    must_change: bool,
    flash: Option<&'static str>,
    error: Option<String>,
    new_token: Option<String>,
) -> Result<Response, AppError> {
    render(&AccountPage {
        chrome: Chrome::new(state, Some(viewer), "Tài khoản", "account"),
        must_change,
        flash,
        error,
        new_token,
    })
}

pub async fn form(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    page(&state, &viewer, viewer.actor.must_change_password, None, None, None)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<PasswordForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let must = viewer.actor.must_change_password;
    if f.new_password != f.confirm {
        let mut res = page(
            &state,
            &viewer,
            must,
            None,
            Some("Hai lần nhập mật khẩu mới không khớp nhau.".into()),
            None,
        )?;
        *res.status_mut() = StatusCode::BAD_REQUEST;
        return Ok(res);
    }
    match state
        .store()
        .scoped(&viewer.actor)
        .change_own_password(&f.current, &f.new_password)
        .await
    {
        Ok(()) => page(&state, &viewer, false, Some("Đã đổi mật khẩu."), None, None),
        Err(StoreError::Invalid(m)) => {
            let mut res = page(&state, &viewer, must, None, Some(m), None)?;
            *res.status_mut() = StatusCode::BAD_REQUEST;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    name: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<TokenForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let token = state
        .store()
        .scoped(&viewer.actor)
        .create_api_token(f.name.trim())
        .await?;
    page(
        &state,
        &viewer,
        false,
        Some("Đã tạo mã truy cập API."),
        None,
        Some(token),
    )
}
