//! Authentication through the router: login throttling per (account, address) without an
//! account lock, refusals that do not tell which accounts exist, the `next` parameter kept on
//! the site, guesses on the change-password form, and API tokens (scope, expiry, revocation,
//! revoked on a new password).

mod support;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request, StatusCode};
use phongthu_store::DEMO_PASSWORD;
use std::net::SocketAddr;
use support::*;

/// Posts the login form from a client address (as the server sees it behind its listener), with
/// a `next` field.
async fn login_from(app: &App, username: &str, password: &str, addr: Option<&str>, next: &str) -> Resp {
    let page = app.get("/login", None).await;
    let login_cookie = page.cookie("phongthu_login_csrf").expect("login CSRF cookie");
    let csrf = hidden_csrf(&page.body);
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("phongthu_login_csrf={login_cookie}"))
        .body(Body::from(form_body(&[
            ("_csrf", &csrf),
            ("username", username),
            ("password", password),
            ("next", next),
        ])))
        .unwrap();
    if let Some(addr) = addr {
        let sock: SocketAddr = format!("{addr}:40000").parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(sock));
    }
    app.send(req).await
}

/// The error sentence of a page.
fn alert(body: &str) -> String {
    let marker = "role=\"alert\">";
    let start = body
        .find(marker)
        .map(|i| i + marker.len())
        .expect("an error on the page");
    body[start..].split('<').next().unwrap().to_string()
}

async fn with_csrf(app: &App, s: Session) -> Session {
    let page = app.get("/account/password", Some(&s)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    Session {
        csrf: hidden_csrf(&page.body),
        ..s
    }
}

/// Behind a proxy every user has the proxy's address: 25 wrong passwords for one name from it
/// must not keep another user out. Before, the address was blocked after 20 failures (and the
/// account locked after 5).
#[tokio::test]
async fn wrong_passwords_for_one_name_do_not_stop_another_user_behind_a_proxy() {
    let app = App::new().await;
    let mut statuses = Vec::new();
    for _ in 0..25 {
        statuses.push(app.try_login("chihuy", "sai-mat-khau-1").await.status);
    }
    assert!(
        statuses[..5].iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert_eq!(statuses[5], StatusCode::TOO_MANY_REQUESTS, "the sixth waits");
    assert!(statuses
        .iter()
        .all(|s| matches!(*s, StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS)));
    // Another user at the same address logs in.
    let r = app.try_login("lanhdao", DEMO_PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", alert(&r.body));
    // The real owner of the name, from his own address, is not locked out either.
    let r = login_from(&app, "chihuy", DEMO_PASSWORD, Some("127.0.0.7"), "/").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

#[tokio::test]
async fn refusals_do_not_tell_whether_an_account_exists() {
    let app = App::new().await;
    let admin = app.store.system_actor().await.unwrap();
    let lanhdao = app.store.user_by_username("lanhdao").await.unwrap().unwrap();
    app.store
        .scoped(&admin)
        .set_user_active(lanhdao.id, false)
        .await
        .unwrap();
    let unknown = login_from(&app, "khong.co.ai", "sai-mat-khau-1", Some("127.0.0.11"), "/").await;
    let wrong = login_from(&app, "chihuy", "sai-mat-khau-1", Some("127.0.0.12"), "/").await;
    let disabled = login_from(&app, "lanhdao", DEMO_PASSWORD, Some("127.0.0.13"), "/").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    for r in [&wrong, &disabled] {
        assert_eq!(r.status, unknown.status);
        assert_eq!(alert(&r.body), alert(&unknown.body));
    }
    // Throttled alike, known name or not: same status, same sentence (but for the seconds).
    let digits = |s: String| s.chars().filter(|c| !c.is_ascii_digit()).collect::<String>();
    for _ in 0..4 {
        login_from(&app, "khong.co.ai", "sai-mat-khau-1", Some("127.0.0.11"), "/").await;
        login_from(&app, "chihuy", "sai-mat-khau-1", Some("127.0.0.12"), "/").await;
    }
    let unknown = login_from(&app, "khong.co.ai", "sai-mat-khau-1", Some("127.0.0.11"), "/").await;
    let known = login_from(&app, "chihuy", DEMO_PASSWORD, Some("127.0.0.12"), "/").await;
    assert_eq!(unknown.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        known.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert_eq!(digits(alert(&known.body)), digits(alert(&unknown.body)));
    assert!(known.headers.get(header::RETRY_AFTER).is_some());
    for r in [&known, &unknown] {
        let text = alert(&r.body);
        assert!(!text.contains("khóa") && !text.contains("tài khoản"), "{text}");
    }
}

#[tokio::test]
async fn after_login_the_browser_stays_on_the_site() {
    let app = App::new().await;
    // The form keeps only a local `next`.
    let r = app.get("/login?next=/%09/evil.example", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("evil.example"), "{}", r.body);
    for (next, to) in [
        ("/\t/evil.example", "/"),
        ("/%09/evil.example", "/"),
        ("/\\evil.example", "/"),
        ("//evil.example", "/"),
        ("/org\r\nSet-Cookie: x=1", "/"),
        ("/\n", "/"),
        ("/territory?on=2025-06-30", "/territory?on=2025-06-30"),
    ] {
        let r = login_from(&app, "lanhdao", DEMO_PASSWORD, None, next).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{next:?}: {}", r.body);
        assert_eq!(r.location(), to, "{next:?}");
    }
    // Already logged in, the login page sends the browser on, on the site only.
    let s = app.login("lanhdao").await;
    let r = app.get("/login?next=/%09/evil.example", Some(&s)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/");
    let r = app.get("/login?next=/%0D%0ASet-Cookie:%20x=1", Some(&s)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "a line break is no server error");
    assert_eq!(r.location(), "/");
}

#[tokio::test]
async fn the_change_password_form_limits_guesses() {
    let app = App::new().await;
    let s = with_csrf(&app, app.login("chihuy").await).await;
    let change = |current: &'static str| {
        let s = s.clone();
        let app = &app;
        async move {
            app.post(
                "/account/password",
                Some(&s),
                &[
                    ("_csrf", &s.csrf),
                    ("current", current),
                    ("new_password", "mat-khau-moi-2026"),
                    ("confirm", "mat-khau-moi-2026"),
                ],
            )
            .await
        }
    };
    for _ in 0..5 {
        let r = change("sai-mat-khau-1").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(alert(&r.body).contains("hiện tại không đúng"), "{}", r.body);
    }
    // Now even the right current password waits; nothing changes.
    let r = change(DEMO_PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", alert(&r.body));
    assert!(
        app.store.login("chihuy", DEMO_PASSWORD).await.is_ok(),
        "password unchanged"
    );
    // Another user's form is not slowed.
    let other = with_csrf(&app, app.login("chihuy.xa2").await).await;
    let r = app
        .post(
            "/account/password",
            Some(&other),
            &[
                ("_csrf", &other.csrf),
                ("current", DEMO_PASSWORD),
                ("new_password", "password12"),
                ("confirm", "password12"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        alert(&r.body).contains("phổ biến"),
        "weak passwords are refused: {}",
        r.body
    );
}

/// The token shown once after creation.
fn new_token(body: &str) -> String {
    let marker = "Mã truy cập mới: <code class=\"secret\">";
    let start = body.find(marker).expect("token shown") + marker.len();
    body[start..].split('<').next().unwrap().to_string()
}

/// The ids of the revoke buttons of the account page, newest first.
fn revoke_ids(body: &str) -> Vec<i64> {
    body.split("action=\"/account/tokens/")
        .skip(1)
        .filter_map(|p| p.split('/').next()?.parse().ok())
        .collect()
}

async fn send_bearer(app: &App, method: Method, path: &str, token: &str) -> Resp {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    app.send(req).await
}

#[tokio::test]
async fn api_tokens_have_a_scope_an_expiry_and_are_revoked() {
    let app = App::new().await;
    let s = with_csrf(&app, app.login("chihuy").await).await;
    let create = |name: &'static str, scope: &'static str, days: &'static str| {
        let s = s.clone();
        let app = &app;
        async move {
            app.post(
                "/account/tokens",
                Some(&s),
                &[("_csrf", &s.csrf), ("name", name), ("scope", scope), ("days", days)],
            )
            .await
        }
    };
    let r = create("chỉ đọc", "read_only", "30").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let read = new_token(&r.body);
    let r = create("đồng bộ", "read_write", "365").await;
    let write = new_token(&r.body);
    for (days, status) in [
        ("400", StatusCode::BAD_REQUEST),
        ("0", StatusCode::BAD_REQUEST),
        ("mãi", StatusCode::BAD_REQUEST),
    ] {
        let r = create("quá hạn", "read_only", days).await;
        assert_eq!(r.status, status, "{days}");
        assert!(alert(&r.body).contains("365"), "{}", alert(&r.body));
    }
    // The account page lists them with their scope, expiry and a revoke button each.
    let page = app.get("/account/password", Some(&s)).await;
    assert!(page.body.contains("chỉ đọc") && page.body.contains("đồng bộ"));
    assert!(page.body.contains("Chỉ đọc") && page.body.contains("Đọc và ghi"));
    assert_eq!(page.body.matches(">Thu hồi</button>").count(), 2);
    let ids = revoke_ids(&page.body);
    assert_eq!(ids.len(), 2, "{ids:?}");
    let (write_id, read_id) = (ids[0], ids[1]);

    // A read-only token reads, and is refused on anything else with a Vietnamese 403.
    let r = app.get_bearer("/api/v1/me", &read).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let me: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(me["token_scope"], "read_only");
    for (method, path) in [
        (Method::POST, "/api/v1/me"),
        (Method::PUT, "/api/v1/org/units/1"),
        (Method::DELETE, "/api/v1/org/units/1"),
        (Method::PATCH, "/api/v1/khong-co"),
    ] {
        let r = send_bearer(&app, method.clone(), path, &read).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{method} {path}: {}", r.body);
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert!(
            v["error"]["message"].as_str().unwrap().contains("chỉ được đọc"),
            "{}",
            r.body
        );
    }
    // A read-write token is not refused for its scope (the API has no such write: 405).
    let r = send_bearer(&app, Method::POST, "/api/v1/me", &write).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{}", r.body);

    // Revocation: CSRF needed; another user's token is not found; the owner's is refused at once.
    let path = format!("/account/tokens/{read_id}/revoke");
    let r = app.post(&path, Some(&s), &[("_csrf", "sai")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let other = with_csrf(&app, app.login("lanhdao").await).await;
    let r = app.post(&path, Some(&other), &[("_csrf", &other.csrf)]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let admin = with_csrf(&app, app.login("quantri").await).await;
    let r = app.post(&path, Some(&admin), &[("_csrf", &admin.csrf)]).await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "the page revokes one's own tokens only"
    );
    assert_eq!(app.get_bearer("/api/v1/me", &read).await.status, StatusCode::OK);
    let before = app.audit_count().await;
    let r = app.post(&path, Some(&s), &[("_csrf", &s.csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/account/password?revoked=1");
    assert_eq!(app.audit_count().await, before + 1, "audited");
    let r = app.get_bearer("/api/v1/me", &read).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("thu hồi"), "{}", r.body);
    let page = app.get("/account/password?revoked=1", Some(&s)).await;
    assert!(page.body.contains("Đã thu hồi mã truy cập API."));
    assert!(page.body.contains("Đã thu hồi</td>"));
    assert_eq!(revoke_ids(&page.body), vec![write_id]);

    // An expired token is refused.
    app._db
        .execute(&format!(
            "UPDATE api_token SET expires_at = '2026-01-01T00:00:00Z' WHERE id = {write_id}"
        ))
        .await;
    assert_eq!(
        app.get_bearer("/api/v1/me", &write).await.status,
        StatusCode::UNAUTHORIZED
    );
    let page = app.get("/account/password", Some(&s)).await;
    assert!(page.body.contains("Đã hết hạn"));
}

#[tokio::test]
async fn a_new_password_ends_the_other_sessions_and_revokes_the_tokens() {
    let app = App::new().await;
    let here = with_csrf(&app, app.login("chihuy").await).await;
    let elsewhere = app.login("chihuy").await;
    let r = app
        .post(
            "/account/tokens",
            Some(&here),
            &[("_csrf", &here.csrf), ("name", "tự động"), ("scope", "read_write")],
        )
        .await;
    let token = new_token(&r.body);
    assert_eq!(app.get_bearer("/api/v1/me", &token).await.status, StatusCode::OK);
    let r = app
        .post(
            "/account/password",
            Some(&here),
            &[
                ("_csrf", &here.csrf),
                ("current", DEMO_PASSWORD),
                ("new_password", "mat-khau-moi-2026"),
                ("confirm", "mat-khau-moi-2026"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        app.get("/", Some(&here)).await.status,
        StatusCode::OK,
        "this browser stays"
    );
    let r = app.get("/", Some(&elsewhere)).await;
    assert!(r.location().starts_with("/login?expired=1"), "{}", r.location());
    assert_eq!(
        app.get_bearer("/api/v1/me", &token).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Reset by the administrator: every session ends, every token is revoked.
    let r = app
        .post(
            "/account/tokens",
            Some(&here),
            &[("_csrf", &here.csrf), ("name", "mới")],
        )
        .await;
    let token = new_token(&r.body);
    let admin = app.login("quantri").await;
    let chihuy = app.store.user_by_username("chihuy").await.unwrap().unwrap();
    let r = app
        .post(
            &format!("/users/{}/reset-password", chihuy.id),
            Some(&admin),
            &[("_csrf", &admin.csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(app
        .get("/", Some(&here))
        .await
        .location()
        .starts_with("/login?expired=1"));
    assert_eq!(
        app.get_bearer("/api/v1/me", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
}
