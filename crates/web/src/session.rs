//! Who is asking: the session cookie for pages, a bearer token (or the session cookie) for the API.
//!
//! The extractors only establish the [`Actor`]; what the actor may see is decided by the store's
//! scoped handle (`store.scoped(&actor)`), so no handler can skip the unit scope.

use crate::error::AppError;
use crate::AppState;
use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use phongthu_domain::auth::TokenScope;
use phongthu_store::Actor;

pub const SESSION_COOKIE: &str = "phongthu_session";
pub const LOGIN_CSRF_COOKIE: &str = "phongthu_login_csrf";

/// Reads one cookie from the request headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, whole site; `Secure` when configured.
pub fn set_cookie(name: &str, value: &str, max_age_seconds: Option<i64>, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age_seconds {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// A logged-in user of the pages, with the session's CSRF token.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub actor: Actor,
    pub csrf: String,
    pub token: String,
}

/// Why a page request has no usable session: the browser is sent to the login page, told why.
pub enum NoSession {
    /// No cookie at all.
    Missing(String),
    /// A cookie whose session has ended (expired, logged out, account disabled).
    Expired(String),
    /// The user must change the one-time password first.
    MustChangePassword,
    Error(AppError),
}

impl IntoResponse for NoSession {
    fn into_response(self) -> Response {
        match self {
            NoSession::Missing(next) => Redirect::to(&format!("/login?next={}", encode(&next))).into_response(),
            NoSession::Expired(next) => {
                Redirect::to(&format!("/login?expired=1&next={}", encode(&next))).into_response()
            }
            NoSession::MustChangePassword => Redirect::to("/account/password").into_response(),
            NoSession::Error(e) => e.into_response(),
        }
    }
}

/// Percent-encodes a path for a query string (only what a path may hold).
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Pages a user who must change the password may still open.
fn allowed_before_password_change(path: &str) -> bool {
    matches!(path, "/account/password" | "/logout")
}

impl<S> FromRequestParts<S> for Viewer
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = NoSession;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let next = if parts.method == Method::GET { next } else { "/".into() };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE).filter(|t| !t.is_empty()) else {
            return Err(NoSession::Missing(next));
        };
        let found = state
            .store()
            .session(token)
            .await
            .map_err(|e| NoSession::Error(e.into()))?;
        let Some((actor, csrf)) = found else {
            return Err(NoSession::Expired(next));
        };
        if actor.must_change_password && !allowed_before_password_change(parts.uri.path()) {
            return Err(NoSession::MustChangePassword);
        }
        Ok(Viewer {
            actor,
            csrf,
            token: token.to_string(),
        })
    }
}

impl<S> OptionalFromRequestParts<S> for Viewer
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let state = AppState::from_ref(state);
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE).filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        let found = state.store().session(token).await?;
        Ok(found.map(|(actor, csrf)| Viewer {
            actor,
            csrf,
            token: token.to_string(),
        }))
    }
}

/// The caller of the JSON API: a bearer token, or a browser session (then writes need the
/// `X-CSRF-Token` header). A read-only token is refused on any request but GET and HEAD.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub actor: Actor,
    /// The token's scope; `None` for a browser session.
    pub scope: Option<TokenScope>,
}

/// The bearer token of a request, if it sends `Authorization: Bearer <token>`.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Whether a request only reads.
pub fn reads_only(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD)
}

/// The refusal of a read-only token's request that is not a read (403, JSON).
pub fn read_only_refusal(method: &Method) -> AppError {
    AppError::new(
        StatusCode::FORBIDDEN,
        format!(
            "Mã truy cập API này chỉ được đọc (phạm vi \"chỉ đọc\"): không dùng được cho yêu cầu {method}, chỉ cho GET. Hãy tạo mã \"đọc và ghi\" nếu cần ghi."
        ),
    )
    .as_json()
}

/// Refuses, before any route or handler, every request of a read-only token that is not a read,
/// including those to paths or methods the API does not have (they would otherwise answer 404
/// or 405 and tell the caller what exists).
pub async fn refuse_read_only_writes(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if !reads_only(req.method()) {
        if let Some(token) = bearer(req.headers()) {
            match state.store().api_token_actor(token).await {
                Ok(Some((_, TokenScope::ReadOnly))) => return read_only_refusal(req.method()).into_response(),
                Ok(_) => {}
                Err(e) => return AppError::from(e).as_json().into_response(),
            }
        }
    }
    next.run(req).await
}

impl<S> FromRequestParts<S> for ApiCaller
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        if parts.headers.contains_key(header::AUTHORIZATION) {
            let token = bearer(&parts.headers).ok_or_else(|| {
                AppError::unauthorized("Tiêu đề Authorization phải có dạng \"Bearer <mã truy cập>\".").as_json()
            })?;
            let (actor, scope) = state
                .store()
                .api_token_actor(token)
                .await
                .map_err(|e| AppError::from(e).as_json())?
                .ok_or_else(|| {
                    AppError::unauthorized("Mã truy cập API không hợp lệ, đã hết hạn hoặc đã bị thu hồi.").as_json()
                })?;
            if scope == TokenScope::ReadOnly && !reads_only(&parts.method) {
                return Err(read_only_refusal(&parts.method));
            }
            return Ok(ApiCaller {
                actor,
                scope: Some(scope),
            });
        }
        if let Some(token) = cookie(&parts.headers, SESSION_COOKIE).filter(|t| !t.is_empty()) {
            let found = state
                .store()
                .session(token)
                .await
                .map_err(|e| AppError::from(e).as_json())?;
            if let Some((actor, csrf)) = found {
                if !matches!(parts.method, Method::GET | Method::HEAD) {
                    let sent = parts
                        .headers
                        .get("x-csrf-token")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    crate::csrf::verify(&csrf, sent).map_err(AppError::as_json)?;
                }
                if actor.must_change_password {
                    return Err(AppError::new(
                        StatusCode::FORBIDDEN,
                        "Bạn cần đổi mật khẩu dùng một lần trước khi dùng API.",
                    )
                    .as_json());
                }
                return Ok(ApiCaller { actor, scope: None });
            }
            return Err(AppError::unauthorized("Phiên làm việc đã hết hạn; hãy đăng nhập lại.").as_json());
        }
        Err(
            AppError::unauthorized("Cần đăng nhập: gửi mã truy cập API trong tiêu đề \"Authorization: Bearer …\".")
                .as_json(),
        )
    }
}

/// The client's address, when the server was started with connection info (tests have none).
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let addr = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "local".into());
        Ok(ClientAddr(addr))
    }
}
