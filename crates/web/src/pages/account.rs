//! The user's own account: change password (forced after a one-time password) and API tokens
//! (created with a scope and a lifetime, listed, revoked). Wrong current passwords on the form are
//! throttled like logins, keyed by the user ([`crate::throttle`]).

use super::{render, Chrome};
use crate::csrf;
use crate::error::AppError;
use crate::forms::extract::Form;
use crate::forms::extract::{Path, Query};
use crate::forms::vi_datetime;
use crate::session::Viewer;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use phongthu_domain::auth::{TokenScope, TOKEN_DAYS_DEFAULT};
use phongthu_store::{ApiTokenInfo, StoreError};
use serde::Deserialize;

/// A token as the account page lists it.
struct TokenRow {
    id: i64,
    name: String,
    scope: &'static str,
    created: String,
    expires: String,
    last_used: String,
    /// "Còn hiệu lực", "Đã hết hạn" or "Đã thu hồi".
    status: &'static str,
    live: bool,
}

fn token_row(t: &ApiTokenInfo) -> TokenRow {
    TokenRow {
        id: t.id,
        name: t.name.clone(),
        scope: t.scope.label_vi(),
        created: vi_datetime(&t.created_at),
        expires: vi_datetime(&t.expires_at),
        last_used: t
            .last_used_at
            .as_deref()
            .map(vi_datetime)
            .unwrap_or_else(|| "chưa dùng".into()),
        status: if t.revoked {
            "Đã thu hồi"
        } else if t.live() {
            "Còn hiệu lực"
        } else {
            "Đã hết hạn"
        },
        live: t.live(),
    }
}

#[derive(Template)]
#[template(path = "password.html")]
struct AccountPage {
    chrome: Chrome,
    must_change: bool,
    flash: Option<&'static str>,
    error: Option<String>,
    new_token: Option<String>,
    tokens: Vec<TokenRow>,
    default_days: i64,
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    must_change: bool,
    flash: Option<&'static str>,
    error: Option<String>,
    new_token: Option<String>,
) -> Result<Response, AppError> {
    let tokens = match viewer.actor.user_id {
        Some(uid) if !must_change => state.store().scoped(&viewer.actor).api_tokens(uid).await?,
        _ => Vec::new(),
    };
    render(&AccountPage {
        chrome: Chrome::new(state, Some(viewer), "Tài khoản", "account"),
        must_change,
        flash,
        error,
        new_token,
        tokens: tokens.iter().map(token_row).collect(),
        default_days: TOKEN_DAYS_DEFAULT,
    })
}

async fn refused(state: &AppState, viewer: &Viewer, status: StatusCode, error: String) -> Result<Response, AppError> {
    let mut res = page(
        state,
        viewer,
        viewer.actor.must_change_password,
        None,
        Some(error),
        None,
    )
    .await?;
    *res.status_mut() = status;
    Ok(res)
}

#[derive(Deserialize, Default)]
pub struct AccountQuery {
    revoked: Option<String>,
}

pub async fn form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<AccountQuery>,
) -> Result<Response, AppError> {
    let flash = q.revoked.is_some().then_some("Đã thu hồi mã truy cập API.");
    page(&state, &viewer, viewer.actor.must_change_password, flash, None, None).await
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

/// Changes the password. A wrong current password counts against the user's own counter (the
/// login throttle, keyed by the user alone); once it must wait, even the right one is refused
/// until the wait is over. The other sessions of the user end and the user's API tokens are
/// revoked; this browser stays logged in.
pub async fn change_password(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<PasswordForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    if f.current.is_empty() {
        return refused(
            &state,
            &viewer,
            StatusCode::BAD_REQUEST,
            "Hãy nhập mật khẩu hiện tại.".into(),
        )
        .await;
    }
    if f.new_password != f.confirm {
        return refused(
            &state,
            &viewer,
            StatusCode::BAD_REQUEST,
            "Hai lần nhập mật khẩu mới không khớp nhau.".into(),
        )
        .await;
    }
    let account = viewer.actor.username.clone();
    if let Some(wait) = state.throttle().wait(&account, None) {
        let secs = wait.as_secs().max(1);
        let mut res = refused(
            &state,
            &viewer,
            StatusCode::TOO_MANY_REQUESTS,
            format!("Nhập sai mật khẩu hiện tại nhiều lần: hãy chờ {secs} giây rồi thử lại."),
        )
        .await?;
        res.headers_mut().insert(header::RETRY_AFTER, secs.into());
        return Ok(res);
    }
    match state
        .store()
        .scoped(&viewer.actor)
        .change_own_password(&f.current, &f.new_password, Some(&viewer.token))
        .await
    {
        Ok(()) => {
            state.throttle().succeeded(&account, None);
            page(
                &state,
                &viewer,
                false,
                Some("Đã đổi mật khẩu. Các phiên đăng nhập khác đã kết thúc và các mã truy cập API đã bị thu hồi."),
                None,
                None,
            )
            .await
        }
        Err(StoreError::Unauthenticated(m)) => {
            state.throttle().failed(&account, None);
            refused(&state, &viewer, StatusCode::BAD_REQUEST, m).await
        }
        Err(StoreError::Invalid(m)) => refused(&state, &viewer, StatusCode::BAD_REQUEST, m).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    days: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<TokenForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let scope = match f.scope.trim() {
        "" => TokenScope::ReadOnly,
        s => match TokenScope::parse(s) {
            Ok(s) => s,
            Err(m) => return refused(&state, &viewer, StatusCode::BAD_REQUEST, m.into()).await,
        },
    };
    let days = match f.days.trim() {
        "" => TOKEN_DAYS_DEFAULT,
        d => match d.parse::<i64>() {
            Ok(d) => d,
            Err(_) => {
                return refused(
                    &state,
                    &viewer,
                    StatusCode::BAD_REQUEST,
                    format!("Thời hạn \"{d}\" không hợp lệ: nhập số ngày từ 1 đến 365."),
                )
                .await
            }
        },
    };
    match state
        .store()
        .scoped(&viewer.actor)
        .create_api_token(f.name.trim(), scope, days)
        .await
    {
        Ok(token) => {
            page(
                &state,
                &viewer,
                false,
                Some("Đã tạo mã truy cập API."),
                None,
                Some(token),
            )
            .await
        }
        Err(StoreError::Invalid(m)) => refused(&state, &viewer, StatusCode::BAD_REQUEST, m).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// Revokes one of the user's own API tokens (another user's is "not found").
pub async fn revoke_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(f): Form<RevokeForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    let scoped = state.store().scoped(&viewer.actor);
    let token = scoped.api_token(id).await?;
    if Some(token.user_id) != viewer.actor.user_id {
        return Err(AppError::not_found("Không tìm thấy mã truy cập API."));
    }
    scoped.revoke_api_token(id).await?;
    Ok(Redirect::to("/account/password?revoked=1").into_response())
}
