//! HTTP tests of the militia pages (issue 5), on a scratch database with the demo data (SQLite, or
//! PostgreSQL when PHONGTHU_TEST_DATABASE_URL is set): create a platoon, add a member found in the
//! registry, record training, see the shortfall; another commune's commander cannot see the unit;
//! forged CSRF and bad input write nothing; leaders and inspectors read only.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use phongthu_store::testing::TestDb;
use phongthu_store::DemoReport;
use phongthu_web::{router, AppState, WebSettings};
use tower::ServiceExt;

struct App {
    _db: TestDb,
    router: Router,
    demo: DemoReport,
    store: phongthu_store::Store,
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Resp {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
}

/// A logged-in browser: its session cookie and the CSRF token of its pages.
#[derive(Clone)]
struct Session {
    cookie: String,
    csrf: String,
}

fn hidden_csrf(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let start = html
        .find(marker)
        .map(|i| i + marker.len())
        .expect("page has a CSRF field");
    html[start..].split('"').next().unwrap().to_string()
}

fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl App {
    async fn new() -> App {
        let db = TestDb::new().await;
        let store = db.store.clone();
        store.bootstrap().await.unwrap();
        let demo = store.seed_demo().await.unwrap();
        let state = AppState::new(
            store.clone(),
            WebSettings {
                secure_cookies: false,
                demo_banner: true,
            },
        );
        App {
            router: router(state),
            _db: db,
            demo,
            store,
        }
    }

    async fn send(&self, req: Request<Body>) -> Resp {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, path: &str, s: Option<&Session>) -> Resp {
        let mut b = Request::builder().uri(path);
        if let Some(s) = s {
            b = b.header(header::COOKIE, format!("phongthu_session={}", s.cookie));
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    async fn post(&self, path: &str, s: Option<&Session>, fields: &[(&str, &str)]) -> Resp {
        let mut b = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(s) = s {
            b = b.header(header::COOKIE, format!("phongthu_session={}", s.cookie));
        }
        self.send(b.body(Body::from(form_body(fields))).unwrap()).await
    }

    async fn try_login(&self, username: &str, password: &str) -> Resp {
        let page = self.get("/login", None).await;
        assert_eq!(page.status, StatusCode::OK);
        let login_cookie = page.cookie("phongthu_login_csrf").expect("login CSRF cookie");
        let csrf = hidden_csrf(&page.body);
        let req = Request::builder()
            .method(Method::POST)
            .uri("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("phongthu_login_csrf={login_cookie}"))
            .body(Body::from(form_body(&[
                ("_csrf", &csrf),
                ("username", username),
                ("password", password),
                ("next", "/"),
            ])))
            .unwrap();
        self.send(req).await
    }

    async fn login(&self, username: &str) -> Session {
        let res = self.try_login(username, phongthu_store::DEMO_PASSWORD).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "login {username}: {}", res.body);
        let cookie = res.cookie("phongthu_session").expect("session cookie");
        let set = res
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect::<Vec<_>>();
        assert!(set
            .iter()
            .any(|c| c.starts_with("phongthu_session=") && c.contains("HttpOnly") && c.contains("SameSite=Strict")));
        let home = self
            .get(
                "/",
                Some(&Session {
                    cookie: cookie.clone(),
                    csrf: String::new(),
                }),
            )
            .await;
        assert_eq!(home.status, StatusCode::OK, "{}", home.body);
        Session {
            csrf: hidden_csrf(&home.body),
            cookie,
        }
    }

    async fn audit_count(&self) -> u64 {
        self.store.verify_audit().await.unwrap().entries
    }
}

/// The value of the first `name="<field>" value="..."` on a page.
fn field_value(html: &str, field: &str) -> Option<String> {
    let marker = format!("name=\"{field}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    html[start..].split('"').next().map(str::to_string)
}

#[tokio::test]
async fn platoon_members_training_and_shortfall() {
    let app = App::new().await;
    let admin = app.login("quantri").await;
    let (a, b) = (
        app.demo.commune_command_ids[0].to_string(),
        app.demo.commune_command_ids[1].to_string(),
    );
    for (unit, name) in [(&a, "Nguyễn Văn An"), (&b, "Đỗ Văn Xa")] {
        let r = app
            .post(
                "/citizens",
                Some(&admin),
                &[
                    ("_csrf", &admin.csrf),
                    ("unit_id", unit),
                    ("full_name", name),
                    ("birth_date", "02/04/2000"),
                    ("sex", "male"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let page = app.get("/militia", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("href=\"/militia\" aria-current=\"page\""),
        "nav entry"
    );
    assert!(page.body.contains("Thành lập đơn vị"));

    // Bad input and a forged token write nothing.
    let before = app.audit_count().await;
    let post_unit = |csrf: String, kind: &'static str, echelon: &'static str, name: &'static str| {
        let a = a.clone();
        let app = &app;
        let admin = admin.clone();
        async move {
            app.post(
                "/militia",
                Some(&admin),
                &[
                    ("_csrf", &csrf),
                    ("unit_id", &a),
                    ("kind", kind),
                    ("echelon", echelon),
                    ("name", name),
                ],
            )
            .await
        }
    };
    let r = post_unit(admin.csrf.clone(), "mobile", "platoon", "   ").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("Hãy nhập tên đơn vị"), "{}", r.body);
    let r = post_unit(admin.csrf.clone(), "rong", "platoon", "Trung đội 1").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("không hợp lệ"), "{}", r.body);
    let r = post_unit(admin.csrf.clone(), "mobile", "naval_squadron", "Hải đội 1").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = post_unit("gia-mao".into(), "mobile", "platoon", "Trung đội 1").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.audit_count().await, before);

    // Create the platoon.
    let r = post_unit(
        admin.csrf.clone(),
        "mobile",
        "platoon",
        "Trung đội dân quân cơ động số 1",
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let unit_url = r.location().to_string();
    assert!(unit_url.starts_with("/militia/"), "{unit_url}");
    let r = post_unit(
        admin.csrf.clone(),
        "on_site",
        "squad",
        "Trung đội dân quân cơ động số 1",
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "duplicate name: {}", r.body);

    // Find the citizen in the registry: only the platoon's commune is searched.
    let r = app.get(&format!("{unit_url}?year=2026&q=Xa"), Some(&admin)).await;
    assert!(r.body.contains("Không tìm thấy công dân phù hợp"), "{}", r.body);
    let r = app.get(&format!("{unit_url}?year=2026&q=an"), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Nguyễn Văn An, sinh 02/04/2000"), "{}", r.body);
    let citizen_id = field_value(&r.body, "citizen_id").expect("a candidate");
    let members_url = format!("{unit_url}/members");
    let before = app.audit_count().await;
    let add = |csrf: String, joined: &'static str| {
        let (app, admin, url, cid) = (&app, admin.clone(), members_url.clone(), citizen_id.clone());
        async move {
            app.post(
                &url,
                Some(&admin),
                &[
                    ("_csrf", &csrf),
                    ("citizen_id", &cid),
                    ("joined_on", joined),
                    ("post", ""),
                ],
            )
            .await
        }
    };
    let r = add(admin.csrf.clone(), "hôm qua").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("không hợp lệ"), "{}", r.body);
    let r = add(admin.csrf.clone(), "01/01/2016").await; // 15 years old then
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("chưa đủ 18"), "{}", r.body);
    let r = add("gia-mao".into(), "10/01/2026").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.audit_count().await, before);
    let r = add(admin.csrf.clone(), "10/01/2026").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = add(admin.csrf.clone(), "10/01/2026").await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "one active record per person: {}",
        r.body
    );
    assert_eq!(app.audit_count().await, before + 1);

    // First year of a mobile platoon: 15 days required; none recorded yet.
    let year_url = format!("{unit_url}?year=2026");
    let page = app.get(&year_url, Some(&admin)).await;
    assert!(page.body.contains("Nguyễn Văn An"), "{}", page.body);
    assert!(page.body.contains("Còn thiếu 15 ngày huấn luyện"), "{}", page.body);
    let member_id = field_value(&page.body, "member_id").expect("a training form");
    let training_url = format!("{unit_url}/training");
    let train = |csrf: String, days: &'static str| {
        let (app, admin, url, mid) = (&app, admin.clone(), training_url.clone(), member_id.clone());
        async move {
            app.post(
                &url,
                Some(&admin),
                &[("_csrf", &csrf), ("member_id", &mid), ("year", "2026"), ("days", days)],
            )
            .await
        }
    };
    let before = app.audit_count().await;
    assert_eq!(train(admin.csrf.clone(), "mười").await.status, StatusCode::BAD_REQUEST);
    let r = train(admin.csrf.clone(), "400").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("không hợp lệ"), "{}", r.body);
    assert_eq!(train("gia-mao".into(), "10").await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.audit_count().await, before);
    let r = train(admin.csrf.clone(), "10").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(r.location(), Some(&admin)).await;
    assert!(page.body.contains("Đã ghi số ngày huấn luyện"), "{}", page.body);
    assert!(
        page.body.contains("Còn thiếu 5 ngày huấn luyện (đã học 10/15 ngày)"),
        "{}",
        page.body
    );

    // Another commune's commander sees neither the unit nor its members, and cannot write there.
    let other = app.login("chihuy.xa2").await;
    assert_eq!(app.get(&unit_url, Some(&other)).await.status, StatusCode::NOT_FOUND);
    let list = app.get("/militia", Some(&other)).await;
    assert!(!list.body.contains("Trung đội dân quân cơ động số 1"), "{}", list.body);
    let before = app.audit_count().await;
    assert_eq!(
        train(other.csrf.clone(), "15").await.status,
        StatusCode::FORBIDDEN,
        "CSRF of another session"
    );
    let r = app
        .post(
            &training_url,
            Some(&other),
            &[
                ("_csrf", &other.csrf),
                ("member_id", &member_id),
                ("year", "2026"),
                ("days", "15"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(app.audit_count().await, before);
    // The commune's own commander sees it.
    let own = app.login("chihuy").await;
    let page = app.get(&year_url, Some(&own)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Còn thiếu 5 ngày"));

    // Leaders and inspectors read only: no forms, writes refused.
    for who in ["lanhdao", "thanhtra"] {
        let s = app.login(who).await;
        let before = app.audit_count().await;
        let page = app.get(&year_url, Some(&s)).await;
        assert_eq!(page.status, StatusCode::OK, "{who}");
        assert!(page.body.contains("Còn thiếu 5 ngày"), "{who}");
        assert!(!page.body.contains("name=\"member_id\""), "{who}: no training form");
        assert!(!page.body.contains("Thêm thành viên"), "{who}: no add form");
        assert!(!app.get("/militia", Some(&s)).await.body.contains("Thành lập đơn vị"));
        let r = app
            .post(
                &training_url,
                Some(&s),
                &[
                    ("_csrf", &s.csrf),
                    ("member_id", &member_id),
                    ("year", "2026"),
                    ("days", "15"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
        let r = app
            .post(
                "/militia",
                Some(&s),
                &[
                    ("_csrf", &s.csrf),
                    ("unit_id", &a),
                    ("kind", "on_site"),
                    ("echelon", "squad"),
                    ("name", "Tiểu đội 2"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(app.audit_count().await, before, "{who}");
    }

    // Training complete: the shortfall list empties.
    let r = train(admin.csrf.clone(), "15").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get(&year_url, Some(&admin)).await;
    assert!(
        page.body.contains("Không có thành viên nào thiếu ngày huấn luyện"),
        "{}",
        page.body
    );
}
