//! The HTTP test harness shared by the test files of this crate: the whole router on a scratch
//! database with the demo data, driven request by request, with a logged-in browser's cookie and
//! CSRF token.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use phongthu_store::testing::TestDb;
use phongthu_store::DemoReport;
use phongthu_web::{router, AppState, WebSettings};
use tower::ServiceExt;

pub struct App {
    pub _db: TestDb,
    pub router: Router,
    pub demo: DemoReport,
    pub store: phongthu_store::Store,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
    /// The body as sent (downloads).
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
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
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

pub fn hidden_csrf(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let start = html
        .find(marker)
        .map(|i| i + marker.len())
        .expect("page has a CSRF field");
    html[start..].split('"').next().unwrap().to_string()
}

pub fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl App {
    pub async fn new() -> App {
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

    pub async fn send(&self, req: Request<Body>) -> Resp {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }

    pub async fn get(&self, path: &str, s: Option<&Session>) -> Resp {
        let mut b = Request::builder().uri(path);
        if let Some(s) = s {
            b = b.header(header::COOKIE, format!("phongthu_session={}", s.cookie));
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    pub async fn get_bearer(&self, path: &str, token: &str) -> Resp {
        let req = Request::builder()
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap();
        self.send(req).await
    }

    pub async fn post(&self, path: &str, s: Option<&Session>, fields: &[(&str, &str)]) -> Resp {
        let mut b = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(s) = s {
            b = b.header(header::COOKIE, format!("phongthu_session={}", s.cookie));
        }
        self.send(b.body(Body::from(form_body(fields))).unwrap()).await
    }

    /// Posts owned fields, e.g. a form read back from a page (repeated names allowed).
    pub async fn post_fields(&self, path: &str, s: Option<&Session>, fields: &[(String, String)]) -> Resp {
        let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.post(path, s, &borrowed).await
    }

    /// Posts a multipart body built by the caller (`content_type` carries the boundary).
    pub async fn post_multipart(&self, path: &str, s: Option<&Session>, content_type: &str, body: Vec<u8>) -> Resp {
        let mut b = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, content_type);
        if let Some(s) = s {
            b = b.header(header::COOKIE, format!("phongthu_session={}", s.cookie));
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    pub async fn try_login(&self, username: &str, password: &str) -> Resp {
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

    pub async fn login(&self, username: &str) -> Session {
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

    pub async fn audit_count(&self) -> u64 {
        self.store.verify_audit().await.unwrap().entries
    }

    pub fn unit_of(&self, username: &str) -> i64 {
        self.demo
            .logins
            .iter()
            .find(|l| l.username == username)
            .unwrap()
            .unit_id
    }

    /// Another province's command: outside every demo user's scope.
    pub async fn other_province_unit(&self) -> i64 {
        let admin = self.store.system_actor().await.unwrap();
        let units = self.store.scoped(&admin).org_units().await.unwrap();
        units
            .iter()
            .find(|u| {
                u.kind == phongthu_domain::org::OrgKind::ProvincialCommand && u.id != self.demo.province_command_id
            })
            .unwrap()
            .id
    }
}

/// A file downloaded from the router, with the headers a download is judged by.
pub struct Download {
    pub status: StatusCode,
    pub content_type: String,
    pub disposition: String,
    pub bytes: Vec<u8>,
}

pub async fn download(app: &App, path: &str, s: &Session) -> Download {
    let req = Request::builder()
        .uri(path)
        .header(header::COOKIE, format!("phongthu_session={}", s.cookie))
        .body(Body::empty())
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let h = |name| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let content_type = h(header::CONTENT_TYPE);
    let disposition = h(header::CONTENT_DISPOSITION);
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Download {
        status,
        content_type,
        disposition,
        bytes,
    }
}

pub fn assert_pdf(d: &Download, file_name: &str) {
    assert_eq!(d.status, StatusCode::OK, "{}", String::from_utf8_lossy(&d.bytes));
    assert_eq!(d.content_type, "application/pdf");
    assert!(
        d.disposition
            .starts_with(&format!("attachment; filename=\"{file_name}\"")),
        "{}",
        d.disposition
    );
    assert!(d.bytes.starts_with(b"%PDF-"));
}

pub fn assert_docx(d: &Download, file_name: &str) {
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(
        d.content_type,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    assert!(
        d.disposition
            .starts_with(&format!("attachment; filename=\"{file_name}\"")),
        "{}",
        d.disposition
    );
    assert!(d.bytes.starts_with(b"PK\x03\x04"));
}

/// The PDF's text (single spaces), or `None` when pdftotext is missing and not required.
pub fn pdf_text(bytes: &[u8]) -> Option<String> {
    if !phongthu_documents::tool_available("pdftotext") {
        if std::env::var("PHONGTHU_REQUIRE_OCR").as_deref() == Ok("1") {
            panic!("PHONGTHU_REQUIRE_OCR=1 nhưng thiếu pdftotext");
        }
        eprintln!("bỏ qua: thiếu pdftotext");
        return None;
    }
    let tmp = tempfile::Builder::new().suffix(".pdf").tempfile().unwrap();
    std::fs::write(tmp.path(), bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(tmp.path())
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}
