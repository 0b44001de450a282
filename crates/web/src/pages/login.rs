//! Login and logout. The login form is protected by a double-submit CSRF cookie (no session exists
//! yet); wrong passwords are throttled per (account, address) and per address (see
//! [`crate::throttle`]). Every refusal of a name and password (unknown name, wrong password,
//! disabled account) reads the same, and a throttled attempt reads the same whether the name
//! exists or not.

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

/// Only a path of this site is followed after login (no open redirect): it starts with one '/',
/// holds only visible ASCII (no control character, no space: browsers drop tabs and line
/// breaks, so `/\t/evil.example` would become `//evil.example`), no backslash, and does not
/// start with "//"; and the same holds once it is percent-decoded (`/%2F/evil.example`).
/// Anything else goes to the home page.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_local_path(n) => n.to_string(),
        _ => "/".into(),
    }
}

fn is_local_path(path: &str) -> bool {
    /// One leading '/', no second, no backslash; nothing a browser would drop or read as a break.
    fn same_site(p: &str) -> bool {
        p.starts_with('/')
            && !p.starts_with("//")
            && !p.chars().any(|c| c == '\\' || c.is_control() || c.is_whitespace())
    }
    // As sent, only visible ASCII (a header value); decoded, letters of any script are fine.
    if !same_site(path) || !path.chars().all(|c| c.is_ascii_graphic()) {
        return false;
    }
    // Decoded again and again until nothing changes (a double encoding hides as well).
    let mut current = path.to_string();
    for _ in 0..4 {
        let decoded = percent_decode(&current);
        if decoded == current {
            return true;
        }
        if !same_site(&decoded) {
            return false;
        }
        current = decoded;
    }
    false
}

/// Percent-decodes bytes (invalid escapes are kept as they are; invalid UTF-8 is replaced).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hi = (b[i + 1] as char).to_digit(16);
            let lo = (b[i + 2] as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The answer to an attempt that must wait: the same for every name, known or not.
fn throttled_message(wait: std::time::Duration) -> String {
    let secs = wait.as_secs().max(1);
    let when = if secs < 120 {
        format!("{secs} giây")
    } else {
        format!("{} phút", secs.div_ceil(60))
    };
    format!("Đăng nhập sai nhiều lần: hãy chờ {when} rồi thử lại.")
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
    let account = f.username.trim().to_lowercase();
    if let Some(wait) = state.throttle().wait(&account, Some(&client)) {
        let mut res = login_page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            next,
            f.username,
            None,
            Some(throttled_message(wait)),
        )?;
        res.headers_mut()
            .insert(header::RETRY_AFTER, wait.as_secs().max(1).into());
        return Ok(res);
    }
    match state.store().login(&account, &f.password).await {
        Ok(session) => {
            state.throttle().succeeded(&account, Some(&client));
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
            state.throttle().failed(&account, Some(&client));
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
    use super::{percent_decode, safe_next};

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/org/3")), "/org/3");
        assert_eq!(
            safe_next(Some("/citizens?q=nguy%E1%BB%85n&page=2")),
            "/citizens?q=nguy%E1%BB%85n&page=2"
        );
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil")), "/");
        assert_eq!(safe_next(None), "/");
        assert_eq!(safe_next(Some("")), "/");
        assert_eq!(safe_next(Some("evil.example")), "/");
    }

    #[test]
    fn hidden_ways_off_the_site_are_refused() {
        // `/login?next=/%09/evil.example` arrives decoded: a tab the browser would drop.
        assert_eq!(safe_next(Some("/\t/evil.example")), "/");
        assert_eq!(safe_next(Some("/\n/evil.example")), "/");
        assert_eq!(safe_next(Some("/\r\n/evil.example")), "/");
        assert_eq!(safe_next(Some("/ /evil.example")), "/");
        assert_eq!(safe_next(Some("/\u{a0}/evil.example")), "/", "no non-ASCII");
        assert_eq!(safe_next(Some("/org\r\nSet-Cookie: x=1")), "/", "no header injection");
        // Encoded once more: decoded before the check.
        assert_eq!(safe_next(Some("/%09/evil.example")), "/");
        assert_eq!(safe_next(Some("/%2F/evil.example")), "/");
        assert_eq!(safe_next(Some("/%2f%2fevil.example")), "/");
        assert_eq!(safe_next(Some("/%5Cevil.example")), "/");
        assert_eq!(safe_next(Some("/%0d%0aLocation:%20x")), "/");
        assert_eq!(safe_next(Some("/%252F/evil.example")), "/", "twice encoded");
        // A percent sign that escapes nothing is harmless.
        assert_eq!(safe_next(Some("/search?q=50%")), "/search?q=50%");
        assert_eq!(percent_decode("/a%2Fb%zz%4"), "/a/b%zz%4");
    }
}
