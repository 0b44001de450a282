//! HTTP tests: the whole router on a scratch database (SQLite, or PostgreSQL when
//! PHONGTHU_TEST_DATABASE_URL is set), driven request by request. They cover the login journey,
//! bad input (wrong password, forged CSRF, expired session, other unit's data, unknown code,
//! malformed date) and an authorisation matrix: every route × every role × own/other unit.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use phongthu_store::testing::TestDb;
use phongthu_store::{Attendance, DemoReport, NewCadre, NewCourse};
use phongthu_web::{router, AppState, WebSettings};
use tower::ServiceExt;

mod support;
use support::*;

#[tokio::test]
async fn login_home_territory_logout() {
    let app = App::new().await;
    // Anonymous pages go to the login page; the API answers 401 in Vietnamese.
    let r = app.get("/territory", None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login?next=/territory");
    let r = app.get("/api/v1/me", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("Cần đăng nhập"), "{}", r.body);

    let s = app.login("chihuy").await;
    let home = app.get("/", Some(&s)).await;
    assert!(
        home.body.contains("Ban Chỉ huy Quân sự phường Phố Hiến"),
        "{}",
        home.body
    );
    assert!(home.body.contains("34 tỉnh, thành phố"), "{}", home.body);
    assert!(
        home.body.contains("Hồ sơ công dân") && home.body.contains("Nhiệm vụ quá hạn"),
        "{}",
        home.body
    );
    assert!(home.body.contains("Dữ liệu mẫu"));

    // Search without diacritics.
    let r = app.get("/territory?q=dong+thanh&level=commune", Some(&s)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Đồng Thanh"), "{}", r.body);
    // Provinces before and after the reform.
    let r = app.get("/territory?on=2025-06-30", Some(&s)).await;
    assert!(r.body.contains("63 tỉnh, thành phố"), "{}", r.body);
    let r = app.get("/territory?on=01/07/2025", Some(&s)).await;
    assert!(r.body.contains("34 tỉnh, thành phố"), "{}", r.body);
    // Sorted by name the Vietnamese way: Đ after D, "Điện Biên" after "Đắk Lắk".
    let r = app.get("/territory?sort=name", Some(&s)).await;
    let pos = |name: &str| r.body.find(name).unwrap_or_else(|| panic!("{name} missing"));
    assert!(pos("Tỉnh An Giang") < pos("Tỉnh Bắc Ninh"));
    assert!(pos("Tỉnh Đồng Tháp") < pos("Tỉnh Gia Lai"), "Đ before G");
    assert!(pos("Thành phố Cần Thơ") > pos("Tỉnh Cà Mau") && pos("Tỉnh Đắk Lắk") > pos("Thành phố Cần Thơ"));
    // A province and its communes today; an old province's history.
    let r = app.get("/territory/33?level=province", Some(&s)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Hưng Yên"));
    assert!(r.body.contains("Các xã, phường, đặc khu"));
    let r = app.get("/territory/34?level=province&on=2025-06-30", Some(&s)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Thái Bình"), "{}", r.body);
    assert!(r.body.contains("nhập vào"), "{}", r.body);

    // Log out: the session ends and its cookie no longer works.
    let r = app.post("/logout", Some(&s), &[("_csrf", &s.csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login?out=1");
    let r = app.get("/", Some(&s)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/login?expired=1"), "{}", r.location());
    let r = app.get(r.location(), None).await;
    assert!(r.body.contains("Phiên làm việc đã hết hạn"), "{}", r.body);
}

#[tokio::test]
async fn bad_input_gets_a_vietnamese_answer_and_writes_nothing() {
    let app = App::new().await;
    // Wrong password: 401, a Vietnamese sentence, no session.
    let r = app.try_login("chihuy", "sai-mat-khau-123").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("Tên đăng nhập hoặc mật khẩu không đúng"), "{}", r.body);
    assert!(r.cookie("phongthu_session").is_none());
    // A login post without the login form's CSRF cookie is refused.
    let r = app
        .post(
            "/login",
            None,
            &[
                ("username", "chihuy"),
                ("password", phongthu_store::DEMO_PASSWORD),
                ("_csrf", "x"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("CSRF"), "{}", r.body);
    assert!(r.cookie("phongthu_session").is_none());

    let admin = app.login("quantri").await;
    let before = app.audit_count().await;
    // A forged CSRF token on a write: 403, nothing written.
    let ptkv = app.demo.regional_command_id;
    let r = app
        .post(
            &format!("/org/{ptkv}/coverage"),
            Some(&admin),
            &[("_csrf", "gia-mao"), ("communes", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Mã chống giả mạo"), "{}", r.body);
    let r = app
        .post(
            "/users",
            Some(&admin),
            &[
                ("username", "moi"),
                ("display_name", "Mới"),
                ("role", "leader"),
                ("unit_id", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // An unknown commune code in the coverage: 400, nothing written.
    let r = app
        .post(
            &format!("/org/{ptkv}/coverage"),
            Some(&admin),
            &[("_csrf", &admin.csrf), ("communes", "99999")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("99999"), "{}", r.body);
    assert_eq!(app.audit_count().await, before, "nothing written");
    // Unknown code and malformed date.
    let r = app.get("/territory/98765", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("Không có đơn vị hành chính nào mang mã"), "{}", r.body);
    let r = app.get("/territory?on=2025-02-30", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("2025-02-30") && r.body.contains("không hợp lệ"),
        "{}",
        r.body
    );
    let r = app.get("/api/v1/territory/units?on=hom-qua", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert!(v["error"]["message"].as_str().unwrap().contains("không hợp lệ"));
    // Another unit's data.
    let other = app.other_province_unit().await;
    let r = app.get(&format!("/org/{other}"), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("ngoài phạm vi"), "{}", r.body);
    // A bad API token.
    let r = app.get_bearer("/api/v1/me", "khong-hop-le").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("không hợp lệ"), "{}", r.body);
    // Malformed path and query parameters get Vietnamese answers too.
    let r = app.get("/org/khong-phai-so", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("Địa chỉ không hợp lệ"), "{}", r.body);
    let r = app.get("/api/v1/audit?limit=nhieu", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert!(
        v["error"]["message"].as_str().unwrap().contains("Tham số"),
        "{}",
        r.body
    );
    // Unknown pages.
    let r = app.get("/khong-co", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("Không có trang"));
    assert_eq!(app.audit_count().await, before, "nothing written");
}

#[tokio::test]
async fn split_communes_ask_for_a_choice() {
    let app = App::new().await;
    let s = app.login("lanhdao").await;
    // Find an old commune that was split among several new ones.
    let t = phongthu_domain::territory::Territory::bundled();
    let day = time::macros::date!(2025 - 06 - 30);
    let split = t
        .list(phongthu_domain::territory::Level::Commune, day)
        .into_iter()
        .find(|u| t.successors(u).len() > 1)
        .expect("a split commune");
    let r = app
        .get(
            &format!("/territory/{}?level=commune&on=2025-06-30", split.code),
            Some(&s),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("cần chọn theo thôn"), "{}", r.body);
    assert!(r.body.contains("name=\"choice\""));
    let choice = &t.successors(split)[1].0.code;
    let r = app
        .get(
            &format!("/territory/{}?level=commune&on=2025-06-30&choice={choice}", split.code),
            Some(&s),
        )
        .await;
    assert!(r.body.contains(&format!("({choice})")), "{}", r.body);
    // The API says 409 with the options, then the path once chosen.
    let r = app
        .get(
            &format!("/api/v1/territory/units/{}/rollup?on=2025-06-30", split.code),
            Some(&s),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = app
        .get(
            &format!(
                "/api/v1/territory/units/{}/rollup?on=2025-06-30&choice={choice}",
                split.code
            ),
            Some(&s),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let path = v["path"].as_array().unwrap();
    assert_eq!(path.last().unwrap()["level"], "province");
    assert_eq!(path.last().unwrap()["valid_to"], serde_json::Value::Null);
}

#[tokio::test]
async fn bootstrap_admin_must_change_the_one_time_password() {
    let db = TestDb::new().await;
    let (user, password) = db.store.bootstrap().await.unwrap().unwrap();
    let state = AppState::new(db.store.clone(), WebSettings::default());
    let app = App {
        router: router(state),
        demo: DemoReport {
            created: false,
            province_command_id: 0,
            regional_command_id: 0,
            commune_command_ids: vec![],
            logins: vec![],
            password: "",
        },
        store: db.store.clone(),
        _db: db,
    };
    let r = app.try_login(&user, &password).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/account/password");
    let s = Session {
        cookie: r.cookie("phongthu_session").unwrap(),
        csrf: String::new(),
    };
    let r = app.get("/org", Some(&s)).await;
    assert_eq!(
        r.location(),
        "/account/password",
        "other pages wait for the new password"
    );
    let page = app.get("/account/password", Some(&s)).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = hidden_csrf(&page.body);
    let s = Session { csrf, ..s };
    let r = app
        .post(
            "/account/password",
            Some(&s),
            &[
                ("_csrf", &s.csrf),
                ("current", &password),
                ("new_password", "ngan"),
                ("confirm", "ngan"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("ít nhất 10 ký tự"), "{}", r.body);
    let r = app
        .post(
            "/account/password",
            Some(&s),
            &[
                ("_csrf", &s.csrf),
                ("current", &password),
                ("new_password", "mat-khau-moi-2026"),
                ("confirm", "mat-khau-moi-2026"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Đã đổi mật khẩu"));
    let r = app.get("/org", Some(&s)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Quân khu 1"), "{}", r.body);
}

#[tokio::test]
async fn api_tokens_and_openapi() {
    let app = App::new().await;
    let s = app.login("thanhtra").await;
    let page = app.get("/account/password", Some(&s)).await;
    let csrf = hidden_csrf(&page.body);
    let r = app
        .post("/account/tokens", Some(&s), &[("_csrf", &csrf), ("name", "báo cáo")])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let marker = "Mã truy cập mới: <code class=\"secret\">";
    let start = r.body.find(marker).unwrap() + marker.len();
    let token = r.body[start..].split('<').next().unwrap().to_string();
    let me = app.get_bearer("/api/v1/me", &token).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    let v: serde_json::Value = serde_json::from_str(&me.body).unwrap();
    assert_eq!(v["username"], "thanhtra");
    assert_eq!(v["role"], "inspector");
    let audit = app.get_bearer("/api/v1/audit?limit=5", &token).await;
    assert_eq!(audit.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&audit.body).unwrap();
    assert!(!v.as_array().unwrap().is_empty());
    // Units come in Vietnamese order and search folds diacritics.
    let r = app
        .get_bearer("/api/v1/territory/units?q=dong%20thanh&level=commune", &token)
        .await;
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["name"].as_str().unwrap().contains("Đồng Thanh")));
    let r = app.get_bearer("/api/v1/territory/units?level=province", &token).await;
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 34);
    // The OpenAPI document describes every route.
    let r = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for p in [
        "/me",
        "/territory/units",
        "/territory/units/{code}",
        "/territory/units/{code}/rollup",
        "/org/units",
        "/org/units/{id}",
        "/users",
        "/audit",
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p} missing from OpenAPI");
    }
}

#[tokio::test]
async fn pages_make_no_outside_requests() {
    let app = App::new().await;
    let s = app.login("quantri").await;
    for path in [
        "/",
        "/territory",
        "/territory/33?level=province",
        "/org",
        "/users",
        "/audit",
        "/account/password",
        "/login",
    ] {
        let r = app.get(path, (path != "/login").then_some(&s)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        let csp = r
            .headers
            .get(header::CONTENT_SECURITY_POLICY)
            .unwrap()
            .to_str()
            .unwrap();
        assert!(csp.contains("default-src 'self'"), "{path}");
        for attr in [
            "src=\"http",
            "href=\"http",
            "src=\"//",
            "href=\"//",
            "url(http",
            "@import",
        ] {
            assert!(!r.body.contains(attr), "{path} refers outside: {attr}");
        }
        assert!(
            !r.body.contains(" style=\""),
            "{path}: inline styles are blocked by the CSP"
        );
    }
    for asset in ["/assets/app.css", "/assets/app.js", "/assets/icon.svg"] {
        let r = app.get(asset, None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            !r.body.contains("http://") && !r.body.contains("https://") || asset.ends_with(".svg"),
            "{asset}"
        );
    }
}

/// What a request should get.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Allowed,
    /// 403 with the reason.
    Denied,
    /// 404: a record outside the scope is not revealed (and nothing is written).
    Hidden,
}
use Expect::{Allowed, Denied, Hidden};

#[tokio::test]
async fn authorisation_matrix() {
    let app = App::new().await;
    let other = app.other_province_unit().await;
    let roles = ["quantri", "chihuy", "lanhdao", "thanhtra"];
    let mut sessions = Vec::new();
    for r in roles {
        sessions.push((r, app.login(r).await));
    }
    let ptkv = app.demo.regional_command_id;
    let second_commune = app.demo.commune_command_ids[1];
    // Defence education: cadres and courses in the first commune, the second commune
    // and another province; one cadre per role to take off the list.
    let first_commune = app.demo.commune_command_ids[0];
    let system = app.store.system_actor().await.unwrap();
    let sys = app.store.scoped(&system);
    let new_cadre = |unit_id, name: &str| NewCadre {
        unit_id,
        full_name: name.into(),
        position: "Chủ tịch Ủy ban nhân dân xã".into(),
        agency: "Ủy ban nhân dân xã".into(),
        category: 3,
        ..Default::default()
    };
    let new_course = |unit_id, name: &str| NewCourse {
        unit_id,
        name: name.into(),
        category: 3,
        provider: "Trường Quân sự tỉnh".into(),
        place: None,
        start: time::macros::date!(2026 - 03 - 02),
        end: time::macros::date!(2026 - 03 - 13),
    };
    let cadre_a = sys
        .create_cadre(new_cadre(first_commune, "Cán Bộ Xã Một"))
        .await
        .unwrap()
        .id;
    let cadre_b = sys
        .create_cadre(new_cadre(second_commune, "Cán Bộ Xã Hai"))
        .await
        .unwrap()
        .id;
    let cadre_x = sys.create_cadre(new_cadre(other, "Cán Bộ Tỉnh Khác")).await.unwrap().id;
    let course_a = sys
        .create_course(new_course(first_commune, "Khóa xã"))
        .await
        .unwrap()
        .id;
    let course_x = sys.create_course(new_course(other, "Khóa tỉnh khác")).await.unwrap().id;
    sys.record_attendance(
        course_x,
        Attendance {
            cadre_id: cadre_x,
            attended: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut leaving = std::collections::HashMap::new();
    for r in roles {
        let id = sys
            .create_cadre(new_cadre(first_commune, &format!("Cán Bộ Thôi {r}")))
            .await
            .unwrap()
            .id;
        leaving.insert(r, id);
    }
    // Records to correct (one in each commune) and a cycle whose examination pages are read.
    let record = |unit_id, name: &str| {
        let mut n = phongthu_store::NewCitizen::new(
            unit_id,
            name,
            time::macros::date!(2006 - 02 - 01),
            phongthu_domain::nvqs::Sex::Male,
        );
        n.education_grade = Some("12/12".into());
        n
    };
    let cit_a = sys
        .create_citizen(record(first_commune, "Công Dân Sửa Một"))
        .await
        .unwrap()
        .id;
    let cit_b = sys
        .create_citizen(record(second_commune, "Công Dân Sửa Hai"))
        .await
        .unwrap()
        .id;
    let exam_cycle = sys
        .create_cycle(app.demo.province_command_id, 2026, 2)
        .await
        .unwrap()
        .id;
    let mut failures = Vec::new();
    for (who, s) in &sessions {
        let own = app.unit_of(who);
        let is_admin = *who == "quantri";
        let audits = matches!(*who, "quantri" | "thanhtra");
        let writes = matches!(*who, "quantri" | "chihuy");
        // Citizen records belong to a commune command: the province admin files them under one.
        let own_is_commune = true;
        let own_commune = if *who == "chihuy" {
            own
        } else {
            app.demo.commune_command_ids[0]
        };
        // (method, path, expectation) for this role; "own" is the user's unit, "other" a unit
        // outside the scope. The commune commander's scope is one commune.
        let sibling_visible = *who != "chihuy";
        let cases: Vec<(&str, String, Expect)> = vec![
            ("GET", "/".into(), Allowed),
            ("GET", "/territory".into(), Allowed),
            ("GET", "/territory/33?level=province".into(), Allowed),
            ("GET", "/org".into(), Allowed),
            ("GET", format!("/org/{own}"), Allowed),
            ("GET", format!("/org/{other}"), Denied),
            (
                "GET",
                format!("/org/{second_commune}"),
                if sibling_visible { Allowed } else { Denied },
            ),
            ("GET", "/users".into(), if is_admin { Allowed } else { Denied }),
            ("GET", "/audit".into(), if audits { Allowed } else { Denied }),
            ("GET", "/account/password".into(), Allowed),
            ("GET", "/citizens".into(), Allowed),
            ("GET", "/citizens/new".into(), if writes { Allowed } else { Denied }),
            ("GET", "/citizens/import".into(), if writes { Allowed } else { Denied }),
            ("GET", "/citizens/duplicates".into(), Allowed),
            ("GET", "/citizens/registration".into(), Allowed),
            ("GET", "/citizens/export.xlsx".into(), Allowed),
            (
                "POST",
                "/citizens#own".into(),
                if writes && own_is_commune { Allowed } else { Denied },
            ),
            ("POST", "/citizens#other".into(), Denied),
            // correcting a record, examination results for many (the writes by writers are
            // tested with their content in records.rs)
            (
                "GET",
                format!("/citizens/{cit_a}/sua"),
                if writes { Allowed } else { Denied },
            ),
            (
                "POST",
                format!("/citizens/{cit_b}/sua"),
                match (writes, sibling_visible) {
                    (false, _) => Denied,
                    (true, true) => Allowed,
                    (true, false) => Hidden,
                },
            ),
            ("GET", "/nvqs/kham/mau-ket-qua-kham.xlsx".into(), Allowed),
            ("GET", format!("/nvqs/{exam_cycle}/xa/{first_commune}/kham"), Allowed),
            (
                "GET",
                format!("/nvqs/{exam_cycle}/xa/{second_commune}/kham"),
                if sibling_visible { Allowed } else { Denied },
            ),
            ("GET", "/api/v1/me".into(), Allowed),
            ("GET", "/api/v1/org/units".into(), Allowed),
            ("GET", format!("/api/v1/org/units/{own}"), Allowed),
            ("GET", format!("/api/v1/org/units/{other}"), Denied),
            ("GET", "/api/v1/users".into(), if is_admin { Allowed } else { Denied }),
            ("GET", "/api/v1/audit".into(), if audits { Allowed } else { Denied }),
            ("GET", "/api/v1/territory/units".into(), Allowed),
            (
                "POST",
                format!("/org/{ptkv}/coverage"),
                if is_admin { Allowed } else { Denied },
            ),
            ("POST", format!("/org/{other}/coverage"), Denied),
            (
                "POST",
                format!("/org/{own}/children"),
                if is_admin { Allowed } else { Denied },
            ),
            ("POST", format!("/org/{other}/children"), Denied),
            ("POST", format!("/org/{other}/move"), Denied),
            ("POST", "/users#own".into(), if is_admin { Allowed } else { Denied }),
            ("POST", "/users#other".into(), Denied),
            // defence education: readers read, writers write within the scope; a record
            // outside the scope is hidden (404), a write there by a reader is refused first (403)
            ("GET", "/giao-duc-qp".into(), Allowed),
            ("GET", "/giao-duc-qp/cai-dat".into(), Allowed),
            ("GET", "/giao-duc-qp/can-bo".into(), Allowed),
            ("GET", "/giao-duc-qp/can-bo.xlsx".into(), Allowed),
            ("GET", format!("/giao-duc-qp/can-bo/{cadre_a}"), Allowed),
            (
                "GET",
                format!("/giao-duc-qp/can-bo/{cadre_b}"),
                if sibling_visible { Allowed } else { Hidden },
            ),
            ("GET", format!("/giao-duc-qp/can-bo/{cadre_x}"), Hidden),
            ("GET", "/giao-duc-qp/khoa".into(), Allowed),
            ("GET", format!("/giao-duc-qp/khoa/{course_a}"), Allowed),
            ("GET", format!("/giao-duc-qp/khoa/{course_a}/danh-sach.xlsx"), Allowed),
            ("GET", format!("/giao-duc-qp/khoa/{course_a}/danh-sach.docx"), Allowed),
            ("GET", format!("/giao-duc-qp/khoa/{course_a}/danh-sach.pdf"), Allowed),
            ("GET", format!("/giao-duc-qp/khoa/{course_x}"), Hidden),
            ("GET", format!("/giao-duc-qp/khoa/{course_x}/danh-sach.xlsx"), Hidden),
            ("GET", format!("/giao-duc-qp/khoa/{course_x}/danh-sach.pdf"), Hidden),
            ("GET", "/giao-duc-qp/chua-co-chung-nhan".into(), Allowed),
            ("GET", "/giao-duc-qp/chua-co-chung-nhan.xlsx".into(), Allowed),
            ("GET", "/giao-duc-qp/chua-co-chung-nhan.docx".into(), Allowed),
            ("GET", "/giao-duc-qp/chua-co-chung-nhan.pdf".into(), Allowed),
            ("GET", "/giao-duc-qp/mau-nhap.xlsx".into(), Allowed),
            ("GET", "/giao-duc-qp/nhap".into(), if writes { Allowed } else { Denied }),
            (
                "POST",
                "/giao-duc-qp/cai-dat".into(),
                if writes { Allowed } else { Denied },
            ),
            (
                "POST",
                "/giao-duc-qp/can-bo#own".into(),
                if writes { Allowed } else { Denied },
            ),
            ("POST", "/giao-duc-qp/can-bo#other".into(), Denied),
            (
                "POST",
                "/giao-duc-qp/khoa#own".into(),
                if writes { Allowed } else { Denied },
            ),
            ("POST", "/giao-duc-qp/khoa#other".into(), Denied),
            (
                "POST",
                format!("/giao-duc-qp/khoa/{course_a}/hoc-vien"),
                if writes { Allowed } else { Denied },
            ),
            (
                "GET",
                format!("/giao-duc-qp/khoa/{course_a}/hoc-vien/{cadre_a}/xoa"),
                if writes { Allowed } else { Denied },
            ),
            (
                "POST",
                format!("/giao-duc-qp/khoa/{course_a}/hoc-vien/{cadre_a}/xoa"),
                if writes { Allowed } else { Denied },
            ),
            (
                "GET",
                format!("/giao-duc-qp/khoa/{course_x}/hoc-vien/{cadre_x}/xoa"),
                if writes { Hidden } else { Denied },
            ),
            (
                "POST",
                format!("/giao-duc-qp/khoa/{course_x}/hoc-vien/{cadre_x}/xoa"),
                if writes { Hidden } else { Denied },
            ),
            (
                "POST",
                format!("/giao-duc-qp/khoa/{course_x}/hoc-vien"),
                if writes { Hidden } else { Denied },
            ),
            (
                "POST",
                format!("/giao-duc-qp/can-bo/{cadre_a}/sua"),
                if writes { Allowed } else { Denied },
            ),
            ("POST", format!("/giao-duc-qp/can-bo/{cadre_a}/sua#other"), Denied),
            (
                "POST",
                format!("/giao-duc-qp/can-bo/{cadre_x}/sua"),
                if writes { Hidden } else { Denied },
            ),
            (
                "POST",
                format!("/giao-duc-qp/can-bo/{}/thoi-theo-doi", leaving[who]),
                if writes { Allowed } else { Denied },
            ),
            (
                "POST",
                format!("/giao-duc-qp/can-bo/{cadre_x}/thoi-theo-doi"),
                if writes { Hidden } else { Denied },
            ),
            (
                "POST",
                "/giao-duc-qp/nhap#own".into(),
                if writes { Allowed } else { Denied },
            ),
            ("POST", "/giao-duc-qp/nhap#other".into(), Denied),
        ];
        let mut cases = cases;
        if !writes {
            cases.push(("POST", format!("/nvqs/{exam_cycle}/xa/{first_commune}/kham"), Denied));
            cases.push((
                "POST",
                format!("/nvqs/{exam_cycle}/xa/{first_commune}/kham/nhap"),
                Denied,
            ));
        } else if !sibling_visible {
            cases.push(("POST", format!("/nvqs/{exam_cycle}/xa/{second_commune}/kham"), Denied));
        }
        for (method, path, expect) in cases {
            let before = app.audit_count().await;
            let other_or_sibling = if *who == "chihuy" { second_commune } else { other };
            let r = if method == "GET" {
                app.get(&path, Some(s)).await
            } else if path.ends_with("/kham/nhap") {
                let csv = "Số định danh cá nhân;Thể lực\r\n001206001234;1\r\n";
                let (ct, body) = multipart(
                    &[("_csrf", s.csrf.as_str()), ("mode", "all_or_nothing")],
                    "kham.csv",
                    csv.as_bytes(),
                );
                app.post_multipart(&path, Some(s), &ct, body).await
            } else if let Some(target) = path.strip_prefix("/giao-duc-qp/nhap#") {
                // The import form is multipart: one new cadre from a CSV file.
                let unit = if target == "own" { own_commune } else { other_or_sibling };
                let csv = format!(
                    "Họ và tên;Chức vụ;Cơ quan, đơn vị công tác;Đối tượng\r\nCán Bộ Nhập {who};Phó Chủ tịch;Ủy ban nhân dân xã;4\r\n"
                );
                let unit = unit.to_string();
                let (ct, body) = multipart(
                    &[
                        ("_csrf", s.csrf.as_str()),
                        ("unit_id", unit.as_str()),
                        ("mode", "all_or_nothing"),
                    ],
                    "can-bo.csv",
                    csv.as_bytes(),
                );
                app.post_multipart("/giao-duc-qp/nhap", Some(s), &ct, body).await
            } else {
                let (path, fields): (String, Vec<(&str, String)>) = match path.as_str() {
                    p if p.ends_with("/coverage") => {
                        let system = app.store.system_actor().await.unwrap();
                        let current = app.store.scoped(&system).coverage(ptkv).await.unwrap().join(",");
                        (p.into(), vec![("communes", current)])
                    }
                    p if p.ends_with("/move") => (p.into(), vec![("parent_id", own.to_string())]),
                    p if p.ends_with("/children") => (
                        p.into(),
                        vec![
                            ("kind", "regional_defense_command".into()),
                            ("name", format!("Ban CH PTKV thử {who}")),
                        ],
                    ),
                    "/citizens#own" => (
                        "/citizens".into(),
                        vec![
                            ("unit_id", own_commune.to_string()),
                            ("full_name", format!("Công Dân {who}")),
                            ("birth_date", "01/02/2007".into()),
                            ("sex", "male".into()),
                        ],
                    ),
                    "/citizens#other" => (
                        "/citizens".into(),
                        vec![
                            (
                                "unit_id",
                                (if *who == "chihuy" { second_commune } else { other }).to_string(),
                            ),
                            ("full_name", format!("Người Ngoài {who}")),
                            ("birth_date", "01/02/2007".into()),
                            ("sex", "male".into()),
                        ],
                    ),
                    "/users#own" => (
                        "/users".into(),
                        vec![
                            ("username", format!("moi.{who}")),
                            ("display_name", "Người Mới".into()),
                            ("role", "leader".into()),
                            ("unit_id", own.to_string()),
                        ],
                    ),
                    "/users#other" => (
                        "/users".into(),
                        vec![
                            ("username", format!("ngoai.{who}")),
                            ("display_name", "Người Ngoài".into()),
                            ("role", "leader".into()),
                            ("unit_id", other.to_string()),
                        ],
                    ),
                    "/giao-duc-qp/cai-dat" => (
                        "/giao-duc-qp/cai-dat".into(),
                        (1..=4usize)
                            .flat_map(|n| {
                                [
                                    (
                                        ["label_1", "label_2", "label_3", "label_4"][n - 1],
                                        format!("Đối tượng {n}"),
                                    ),
                                    (
                                        ["description_1", "description_2", "description_3", "description_4"][n - 1],
                                        format!("Mô tả đối tượng {n}"),
                                    ),
                                    (
                                        ["source_1", "source_2", "source_3", "source_4"][n - 1],
                                        "Nghị định 13/2014/NĐ-CP".to_string(),
                                    ),
                                ]
                            })
                            .collect(),
                    ),
                    "/giao-duc-qp/can-bo#own" | "/giao-duc-qp/can-bo#other" => (
                        "/giao-duc-qp/can-bo".into(),
                        vec![
                            (
                                "unit_id",
                                (if path.ends_with("#own") {
                                    own_commune
                                } else {
                                    other_or_sibling
                                })
                                .to_string(),
                            ),
                            ("full_name", format!("Cán Bộ Mới {who}")),
                            ("position", "Phó Chủ tịch".into()),
                            ("agency", "Ủy ban nhân dân xã".into()),
                            ("category", "3".into()),
                        ],
                    ),
                    "/giao-duc-qp/khoa#own" | "/giao-duc-qp/khoa#other" => (
                        "/giao-duc-qp/khoa".into(),
                        vec![
                            (
                                "unit_id",
                                (if path.ends_with("#own") {
                                    own_commune
                                } else {
                                    other_or_sibling
                                })
                                .to_string(),
                            ),
                            ("name", format!("Khóa mới {who}")),
                            ("category", "3".into()),
                            ("provider", "Trường Quân sự tỉnh".into()),
                            ("start", "02/03/2026".into()),
                            ("end", "13/03/2026".into()),
                        ],
                    ),
                    p if p.ends_with("/hoc-vien") => (
                        p.into(),
                        vec![
                            (
                                "cadre_id",
                                (if p.contains(&format!("/khoa/{course_x}/")) {
                                    cadre_x
                                } else {
                                    cadre_a
                                })
                                .to_string(),
                            ),
                            ("attended", "1".into()),
                        ],
                    ),
                    p if p.starts_with("/citizens/") && p.ends_with("/sua") => (
                        p.into(),
                        vec![
                            ("unit_id", second_commune.to_string()),
                            ("full_name", "Công Dân Sửa Hai".into()),
                            ("birth_date", "01/02/2006".into()),
                            ("sex", "male".into()),
                            ("education_grade", "11/12".into()),
                            ("occupation", format!("Sửa bởi {who}")),
                        ],
                    ),
                    p if p.ends_with("/kham") => (p.into(), vec![("date", "20/11/2025".into())]),
                    p if p.ends_with("/xoa") => (p.into(), vec![]),
                    p if p.ends_with("/thoi-theo-doi") => (p.into(), vec![("left_on", "01/06/2026".into())]),
                    p if p.contains("/sua") => {
                        let unit = if p.ends_with("#other") {
                            other_or_sibling
                        } else {
                            first_commune
                        };
                        (
                            p.trim_end_matches("#other").into(),
                            vec![
                                ("unit_id", unit.to_string()),
                                ("position", format!("Phó Chủ tịch ({who})")),
                                ("agency", "Ủy ban nhân dân xã".into()),
                                ("category", "4".into()),
                                ("note", String::new()),
                            ],
                        )
                    }
                    _ => unreachable!(),
                };
                let mut all: Vec<(&str, &str)> = vec![("_csrf", s.csrf.as_str())];
                all.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
                app.post(&path, Some(s), &all).await
            };
            let got = match r.status {
                StatusCode::OK | StatusCode::SEE_OTHER if !r.location().starts_with("/login") => Allowed,
                StatusCode::FORBIDDEN => Denied,
                StatusCode::NOT_FOUND => Hidden,
                other => {
                    failures.push(format!(
                        "{who} {method} {path}: unexpected {other}: {}",
                        &r.body[..r.body.len().min(300)]
                    ));
                    continue;
                }
            };
            if got != expect {
                failures.push(format!(
                    "{who} {method} {path}: expected {expect:?}, got {got:?} ({})",
                    r.status
                ));
            }
            if got == Hidden {
                assert!(
                    r.body.contains("phạm vi"),
                    "{who} {method} {path}: a hidden record is not found in the scope: {}",
                    r.body
                );
                if method == "POST" {
                    assert_eq!(
                        app.audit_count().await,
                        before,
                        "{who} {method} {path}: a write outside the scope writes nothing"
                    );
                }
            }
            if got == Denied {
                assert!(
                    r.body.contains("Bạn không có quyền")
                        || r.body.contains("ngoài phạm vi")
                        || r.body.contains("Chỉ quản trị")
                        || r.body.contains("Chỉ thanh tra")
                        || r.body.contains("chỉ được xem"),
                    "{who} {method} {path}: denial must say why in Vietnamese: {}",
                    r.body
                );
                if method == "POST" {
                    assert_eq!(
                        app.audit_count().await,
                        before,
                        "{who} {method} {path}: a denied write writes nothing"
                    );
                }
            }
        }
    }
    // Anonymous: pages redirect to the login page, the API answers 401.
    for path in ["/", "/org", "/users", "/audit", "/territory"] {
        let r = app.get(path, None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
    }
    for path in [
        "/api/v1/me",
        "/api/v1/org/units",
        "/api/v1/users",
        "/api/v1/audit",
        "/api/v1/territory/units",
    ] {
        let r = app.get(path, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    assert!(
        failures.is_empty(),
        "authorisation matrix failures:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn regional_command_sees_only_its_communes() {
    let app = App::new().await;
    let s = app.login("chihuy.ptkv").await;
    let ids = &app.demo.commune_command_ids;
    assert_eq!(
        app.get(&format!("/org/{}", ids[0]), Some(&s)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/org/{}", ids[1]), Some(&s)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/org/{}", ids[2]), Some(&s)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&format!("/org/{}", app.demo.province_command_id), Some(&s))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

/// A multipart form body with text fields and one file.
fn multipart(fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----phongthu-test-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl App {
    async fn upload(&self, s: &Session, fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> Resp {
        let (ct, body) = multipart(fields, file_name, file);
        let req = Request::builder()
            .method(Method::POST)
            .uri("/citizens/import")
            .header(header::CONTENT_TYPE, ct)
            .header(header::COOKIE, format!("phongthu_session={}", s.cookie))
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    /// Follows an import job until it ends; returns the final page.
    async fn wait_job(&self, s: &Session, location: &str) -> Resp {
        for _ in 0..200 {
            let r = self.get(location, Some(s)).await;
            if r.headers.get(header::REFRESH).is_none() {
                return r;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("import did not finish");
    }
}

#[tokio::test]
async fn citizen_registry_pages() {
    let app = App::new().await;
    let s = app.login("chihuy").await;
    let own = app.unit_of("chihuy").to_string();
    let before = app.audit_count().await;
    // A bad record: a clear message, nothing written.
    let r = app
        .post(
            "/citizens",
            Some(&s),
            &[
                ("_csrf", &s.csrf),
                ("unit_id", &own),
                ("full_name", "Nguyễn Văn Đức"),
                ("birth_date", "31/02/2007"),
                ("sex", "male"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("Ngày sinh") && r.body.contains("không hợp lệ"),
        "{}",
        r.body
    );
    assert_eq!(app.audit_count().await, before);
    // A good record, then found without diacritics.
    let r = app
        .post(
            "/citizens",
            Some(&s),
            &[
                ("_csrf", &s.csrf),
                ("unit_id", &own),
                ("full_name", "Nguyễn Văn Đức"),
                ("birth_date", "12/05/2007"),
                ("sex", "male"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let detail = app.get(r.location(), Some(&s)).await;
    assert!(detail.body.contains("Nguyễn Văn Đức"));
    assert!(
        detail.body.contains("Xét sơ bộ điều kiện gọi nhập ngũ"),
        "{}",
        detail.body
    );
    assert!(
        detail.body.contains("Luật NVQS"),
        "the assessment names its legal source"
    );
    assert_eq!(
        app.audit_count().await,
        before + 2,
        "the write is audited, and so is the record's opening"
    );
    for q in ["nguyen+van+duc", "duc", "%C4%90%E1%BB%A9c"] {
        let r = app.get(&format!("/citizens?q={q}"), Some(&s)).await;
        assert!(r.body.contains("Nguyễn Văn Đức"), "{q}: {}", r.body);
    }
    // Another commune's commander does not see it; a leader cannot write.
    let other = app.login("chihuy.xa2").await;
    let r = app.get("/citizens?q=duc", Some(&other)).await;
    assert!(!r.body.contains("Nguyễn Văn Đức"));
    let id = detail_id(&detail.body);
    // Out of scope reads as "not found in your scope" (a record's existence is not revealed).
    let r = app.get(&format!("/citizens/{id}"), Some(&other)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("phạm vi quản lý"), "{}", r.body);
    let leader = app.login("lanhdao").await;
    assert_eq!(
        app.get(&format!("/citizens/{id}"), Some(&leader)).await.status,
        StatusCode::OK
    );
    let r = app
        .post(
            "/citizens",
            Some(&leader),
            &[
                ("_csrf", &leader.csrf),
                ("unit_id", &own),
                ("full_name", "Lê Văn A"),
                ("birth_date", "01/01/2007"),
                ("sex", "male"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Template and export are real XLSX files (zip).
    let r = app.get("/citizens/template.xlsx", Some(&s)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers.get(header::CONTENT_DISPOSITION).is_some());
    let r = app.get("/citizens/export.xlsx?q=duc", Some(&s)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.as_bytes().starts_with(b"PK"));
    // Registration page for the year he turns 17.
    let r = app.get("/citizens/registration?year=2024", Some(&s)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Nguyễn Văn Đức"), "{}", r.body);
    let r = app.get("/citizens/registration?year=abc", Some(&s)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

fn detail_id(html: &str) -> String {
    let marker = "/citizens/";
    let start = html
        .find(&format!("action=\"{marker}"))
        .map(|i| i + 8 + marker.len())
        .expect("registration form");
    html[start..].split('/').next().unwrap().to_string()
}

#[tokio::test]
async fn citizen_import_is_all_or_nothing_or_valid_rows_only() {
    let app = App::new().await;
    let s = app.login("chihuy").await;
    let own = app.unit_of("chihuy").to_string();
    let csv = "Họ và tên,Ngày sinh,Giới tính\nTrần Văn Bình,03/04/2006,Nam\nLê Thị Cúc,ngày xấu,Nữ\nPhạm Văn Dũng,2006-08-09,Nam\n";
    let before = app.audit_count().await;
    // A forged token: refused before anything is stored.
    let r = app
        .upload(
            &s,
            &[("_csrf", "gia"), ("unit_id", &own), ("mode", "all_or_nothing")],
            "ds.csv",
            csv.as_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // All or nothing: one bad row, nothing written, the row and column named.
    let r = app
        .upload(
            &s,
            &[("_csrf", &s.csrf), ("unit_id", &own), ("mode", "all_or_nothing")],
            "ds.csv",
            csv.as_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let done = app.wait_job(&s, r.location()).await;
    assert!(done.body.contains("Không nhập hồ sơ nào"), "{}", done.body);
    assert!(
        done.body.contains("Dòng 3") && done.body.contains("Ngày sinh"),
        "{}",
        done.body
    );
    let list = app.get("/citizens", Some(&s)).await;
    assert!(!list.body.contains("Trần Văn Bình"));
    assert_eq!(app.audit_count().await, before, "nothing written");
    // Valid rows only: two written, the bad one offered as a file.
    let r = app
        .upload(
            &s,
            &[("_csrf", &s.csrf), ("unit_id", &own), ("mode", "valid_only")],
            "ds.csv",
            csv.as_bytes(),
        )
        .await;
    let done = app.wait_job(&s, r.location()).await;
    assert!(done.body.contains("Đã nhập 2 hồ sơ"), "{}", done.body);
    let list = app.get("/citizens", Some(&s)).await;
    assert!(list.body.contains("Trần Văn Bình") && list.body.contains("Phạm Văn Dũng"));
    // Sorted by given name: Bình before Dũng.
    assert!(list.body.find("Trần Văn Bình").unwrap() < list.body.find("Phạm Văn Dũng").unwrap());
    let rejects = app.get(&format!("{}/rejects.xlsx", r.location()), Some(&s)).await;
    assert_eq!(rejects.status, StatusCode::OK);
    assert!(rejects.body.as_bytes().starts_with(b"PK"));
    // Another user cannot see this job.
    let other = app.login("chihuy.xa2").await;
    assert_eq!(app.get(r.location(), Some(&other)).await.status, StatusCode::NOT_FOUND);
    // Into another commune's unit: refused.
    let second = app.unit_of("chihuy.xa2").to_string();
    let r = app
        .upload(
            &s,
            &[("_csrf", &s.csrf), ("unit_id", &second), ("mode", "valid_only")],
            "ds.csv",
            csv.as_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Not a spreadsheet: a clear message.
    let r = app
        .upload(
            &s,
            &[("_csrf", &s.csrf), ("unit_id", &own), ("mode", "valid_only")],
            "x.xlsx",
            b"PK\x03\x04garbage",
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
}

#[tokio::test]
async fn call_up_cycle_and_quota_split() {
    let app = App::new().await;
    let admin = app.login("quantri").await;
    let province = app.demo.province_command_id.to_string();
    let r = app
        .post(
            "/nvqs",
            Some(&admin),
            &[
                ("_csrf", &admin.csrf),
                ("unit_id", &province),
                ("year", "2026"),
                ("quota", "nhiều"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("số nguyên"), "{}", r.body);
    // No pool yet: the page says why no proposal can be made.
    let r = app
        .post(
            "/nvqs",
            Some(&admin),
            &[
                ("_csrf", &admin.csrf),
                ("unit_id", &province),
                ("year", "2026"),
                ("quota", "2"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let cycle_url = r.location().to_string();
    let page = app.get(&cycle_url, Some(&admin)).await;
    assert!(page.body.contains("Chưa có xã nào có nguồn"), "{}", page.body);
    // Two eligible men in the first commune: the proposal gives it the whole quota.
    let first = app.demo.commune_command_ids[0].to_string();
    for name in ["Nguyễn Văn An", "Trần Văn Bình"] {
        let r = app
            .post(
                "/citizens",
                Some(&admin),
                &[
                    ("_csrf", &admin.csrf),
                    ("unit_id", &first),
                    ("full_name", name),
                    ("birth_date", "01/03/2004"),
                    ("sex", "male"),
                    ("education_grade", "12/12"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let page = app.get(&cycle_url, Some(&admin)).await;
    assert!(page.body.contains("<svg class=\"chart\""), "inline SVG chart");
    let field = format!("quota_{first}");
    assert!(
        page.body.contains(&format!("name=\"{field}\" value=\"2\"")),
        "{}",
        page.body
    );
    let mut fields: Vec<(String, String)> = vec![("_csrf".into(), admin.csrf.clone())];
    for id in &app.demo.commune_command_ids {
        fields.push((
            format!("quota_{id}"),
            if id.to_string() == first {
                "2".into()
            } else {
                "0".into()
            },
        ));
    }
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let save = format!("{cycle_url}/quotas");
    let r = app.post(&save, Some(&admin), &refs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&cycle_url, Some(&admin)).await;
    assert!(
        page.body.contains("Đảng viên trong nguồn") && page.body.contains("class=\"total\""),
        "{}",
        page.body
    );
    let x = app.get(&format!("{cycle_url}/bao-cao.xlsx"), Some(&admin)).await;
    assert_eq!(x.status, StatusCode::OK);
    assert!(x.body.as_bytes().starts_with(b"PK"));
    // The official report (Decree 30/2020 layout) reads back with the quota table.
    let req = Request::builder()
        .uri(format!("{cycle_url}/bao-cao.docx"))
        .header(header::COOKIE, format!("phongthu_session={}", admin.cookie))
        .body(Body::empty())
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let tmp = tempfile::Builder::new().suffix(".docx").tempfile().unwrap();
    std::fs::write(tmp.path(), &bytes).unwrap();
    let text = phongthu_documents::read_document(tmp.path(), &mut |_| {}).unwrap().text;
    for needle in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "BÁO CÁO",
        "Phân chỉ tiêu gọi công dân nhập ngũ năm 2026",
        "Hưng Yên, ngày",
        "Nguyễn Văn Quản",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    // The public list of the first commune: names and reasons, never the ID numbers.
    let req = Request::builder()
        .uri(format!("{cycle_url}/cong-khai/{first}"))
        .header(header::COOKIE, format!("phongthu_session={}", admin.cookie))
        .body(Body::empty())
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    std::fs::write(tmp.path(), &bytes).unwrap();
    let text = phongthu_documents::read_document(tmp.path(), &mut |_| {}).unwrap().text;
    assert!(
        text.contains("DANH SÁCH") && text.contains("Nguyễn Văn An") && text.contains("ĐỦ ĐIỀU KIỆN"),
        "{text}"
    );
    // A commune outside the cycle's unit, or another province's unit: not found.
    let other = app.other_province_unit().await;
    assert_eq!(
        app.get(&format!("{cycle_url}/cong-khai/{other}"), Some(&admin))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // A leader reads the cycle but cannot save.
    let leader = app.login("lanhdao").await;
    let r = app.get(&cycle_url, Some(&leader)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("Lưu chỉ tiêu"));
    let mut lf = refs.clone();
    lf[0] = ("_csrf", leader.csrf.as_str());
    assert_eq!(app.post(&save, Some(&leader), &lf).await.status, StatusCode::FORBIDDEN);
    // A commune commander sees the cycle with his own commune only, without the save form.
    let commander = app.login("chihuy").await;
    let r = app.get(&cycle_url, Some(&commander)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("Lưu chỉ tiêu"));
    let mut cf = refs.clone();
    cf[0] = ("_csrf", commander.csrf.as_str());
    assert_eq!(
        app.post(&save, Some(&commander), &cf).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn outgoing_documents_get_consecutive_numbers() {
    let app = App::new().await;
    let s = app.login("quantri").await;
    let unit = app.demo.province_command_id.to_string();
    let base = |title: &str| -> Vec<(String, String)> {
        vec![
            ("_csrf".into(), s.csrf.clone()),
            ("unit_id".into(), unit.clone()),
            ("family".into(), "state".into()),
            ("type_code".into(), "KH".into()),
            ("issuer_code".into(), "BCH".into()),
            ("issued_on".into(), "05/03/2026".into()),
            ("title".into(), title.into()),
            ("authority".into(), "KT.".into()),
            ("signer_title".into(), "Phó Chỉ huy trưởng".into()),
            ("signer_name".into(), "Nguyễn Văn Quản".into()),
            ("recipients".into(), "Các Ban CHQS xã\nLưu: VT".into()),
        ]
    };
    let post = |fields: Vec<(String, String)>| {
        let app = &app;
        let s = s.clone();
        async move {
            let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            app.post("/documents/outgoing", Some(&s), &refs).await
        }
    };
    let page = app.get("/documents/outgoing", Some(&s)).await;
    assert_eq!(page.status, StatusCode::OK);
    let before = app.audit_count().await;
    // Bad date, missing issuer code: refused, nothing written.
    let mut bad = base("Kế hoạch huấn luyện");
    bad[5].1 = "31/02/2026".into();
    let r = post(bad).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("Ngày ban hành") && r.body.contains("không hợp lệ"),
        "{}",
        r.body
    );
    let mut bad = base("Kế hoạch huấn luyện");
    bad[4].1 = String::new();
    assert_eq!(post(bad).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.audit_count().await, before);
    // Two plans: 1/KH-BCH and 2/KH-BCH.
    for (n, title) in [
        (1, "Kế hoạch huấn luyện dân quân năm 2026"),
        (2, "Kế hoạch tuyển quân năm 2026"),
    ] {
        let r = post(base(title)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let d = app.get(r.location(), Some(&s)).await;
        assert!(d.body.contains(&format!("{n}/KH-BCH")), "{}", d.body);
    }
    // A leader may not register.
    let leader = app.login("lanhdao").await;
    assert_eq!(
        app.get("/documents/outgoing", Some(&leader)).await.status,
        StatusCode::FORBIDDEN
    );
}
