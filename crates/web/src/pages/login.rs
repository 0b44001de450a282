//! Login and logout. The login form is protected by a double-submit CSRF cookie (no session exists
//! yet); failed logins are throttled per account by the store and per client address here.

use super::{render, Chrome};
use crate::csrf;
use crate::error::AppError;
use crate::forms::extract::Form;
use crate::forms::extract::Query;
use crate::session::{cookie, set_cookie, ClientAddr, Viewer, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    login_csrf: String,
    next: String,
    username: String,
    notice: Option<&'static str>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
    out: Option<String>,
}

/// Only local paths are followed after login (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => n.to_string(),
        _ => "/".into(),
    }
}

fn login_page(
    state: &AppState,
    status: StatusCode,
    next: String,
    username: String,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let token = csrf::new_token();
    let page = LoginPage {
        chrome: Chrome::new(state, None, "Đăng nhập", "login"),
        login_csrf: token.clone(),
        next,
        username,
        notice,
        error,
    };
    let mut res = render(&page)?;
    *res.status_mut() = status;
    let c = set_cookie(LOGIN_CSRF_COOKIE, &token, Some(3600), state.settings().secure_cookies);
    res.headers_mut()
        .append(header::SET_COOKIE, c.parse().map_err(|_| AppError::internal("cookie"))?);
    Ok(res)
}

pub async fn form(
    State(state): State<AppState>,
    viewer: Option<Viewer>,
    Query(q): Query<LoginQuery>,
) -> Result<Response, AppError> {
    if viewer.is_some() {
        return Ok(Redirect::to(&safe_next(q.next.as_deref())).into_response());
    }
    let notice = if q.expired.is_some() {
        Some("Phiên làm việc đã hết hạn hoặc đã kết thúc; hãy đăng nhập lại.")
    } else if q.out.is_some() {
        Some("Bạn đã đăng xuất.")
    } else if q.next.as_deref().is_some_and(|n| n != "/") {
        Some("Hãy đăng nhập để tiếp tục.")
    } else {
        None
    };
    login_page(
        &state,
        StatusCode::OK,
        safe_next(q.next.as_deref()),
        String::new(),
        notice,
        None,
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
    next: Option<String>,
}

pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, AppError> {
    let next = safe_next(f.next.as_deref());
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    if let Err(e) = csrf::verify(expected, &f.csrf) {
        return login_page(&state, StatusCode::FORBIDDEN, next, f.username, None, Some(e.message));
    }
    if let Some(wait) = state.throttle().blocked(&client) {
        let msg = format!(
            "Đăng nhập sai quá nhiều lần từ máy này; hãy thử lại sau {} phút.",
            wait.div_ceil(60).max(1)
        );
        return login_page(&state, StatusCode::TOO_MANY_REQUESTS, next, f.username, None, Some(msg));
    }
    if f.username.trim().is_empty() || f.password.is_empty() {
        return login_page(
            &state,
            StatusCode::BAD_REQUEST,
            next,
            f.username,
            None,
            Some("Hãy nhập tên đăng nhập và mật khẩu.".into()),
        );
    }
    match state.store().login(&f.username, &f.password).await {
        Ok(session) => {
            state.throttle().succeeded(&client);
            let secure = state.settings().secure_cookies;
            let target = if session.actor.must_change_password {
                "/account/password".to_string()
            } else {
                next
            };
            let mut res = Redirect::to(&target).into_response();
            let h = res.headers_mut();
            let max_age = phongthu_store::SESSION_HOURS * 3600;
            h.append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &session.token, Some(max_age), secure)
                    .parse()
                    .map_err(|_| AppError::internal("cookie"))?,
            );
            h.append(
                header::SET_COOKIE,
                set_cookie(LOGIN_CSRF_COOKIE, "", Some(0), secure)
                    .parse()
                    .map_err(|_| AppError::internal("cookie"))?,
            );
            Ok(res)
        }
        Err(phongthu_store::StoreError::Unauthenticated(msg)) => {
            state.throttle().failed(&client);
            login_page(&state, StatusCode::UNAUTHORIZED, next, f.username, None, Some(msg))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default, rename = "_csrf")]
    pub csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<CsrfForm>,
) -> Result<Response, AppError> {
    csrf::verify(&viewer.csrf, &f.csrf)?;
    state.store().logout(&viewer.token).await?;
    let mut res = Redirect::to("/login?out=1").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), state.settings().secure_cookies)
            .parse()
            .map_err(|_| AppError::internal("cookie"))?,
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/org/3")), "/org/3");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
