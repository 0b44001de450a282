//! The authorisation matrix of every route, generated from the router's source.
//!
//! `declared_routes` reads every `.route(...)` of the crate's source (with the prefix under which
//! each file's router is mounted) and `every_route_is_classified` fails when a route, or one of
//! its methods, has no line in [`ROUTES`]: a new route cannot ship without saying who may use it.
//! The same test checks the reading against the live router (each declared path answers 405 to a
//! method it does not declare, so it exists), so the list cannot drift from what is served.
//!
//! `every_route_by_role_and_unit` then sends every classified (method, route) as every role, with
//! objects of the user's own unit and of another unit, and compares the answer with what the
//! route's class allows. Posts carry only the CSRF token: a refused post must be refused (403/404
//! or a 4xx) and write nothing (the audit log does not move); an allowed post must not be refused
//! for the role or the unit (its form may still be incomplete). The hand-written matrix in
//! http.rs checks complete forms for the routes it lists.

mod support;

use axum::http::StatusCode;
use phongthu_store::{Attendance, NewCadre, NewCourse, NewDocument, NewUser, ReviewedTask};
use std::collections::{BTreeSet, HashMap};
use support::*;

/// Who may use a route (besides the unit scope of its objects).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// No login needed (the login page, assets, the OpenAPI document).
    Public,
    /// Any logged-in user (reading in scope, one's own account).
    Read,
    /// Users who write: administrators and commanders.
    Write,
    /// Administrators only (users, organisation).
    Admin,
    /// Administrators and inspectors (the audit log).
    Audit,
    /// Users of the province's command (a cycle's own figures and reports; commune and regional
    /// commands see only their communes' part).
    Province,
    /// Writers of the province's command (quotas, the province's militia ratio).
    ProvinceWrite,
}
use Access::*;

/// What the route's path parameters name; the test fills them with an object of the user's own
/// unit and with one of another unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Obj {
    /// No object in the path (or one the user does not pick: a year, a territory code).
    Plain,
    Org,
    User,
    Citizen,
    /// A call-up cycle of the province.
    Cycle,
    /// A cycle and a commune.
    CycleCommune,
    /// A cycle and a citizen.
    CycleCitizen,
    Militia,
    /// A commune's militia target.
    TargetCommune,
    ReserveUnit,
    Assignment,
    Equipment,
    Document,
    DocumentAttachment,
    Task,
    TaskFile,
    Cadre,
    Course,
    Enrolment,
    /// A background job or a download token of the user who started it.
    Token,
}
use Obj::*;

/// Every route: (method, path as declared, access, object). Keep it sorted as the router is.
const ROUTES: &[(&str, &str, Access, Obj)] = &[
    ("GET", "/", Read, Plain),
    ("GET", "/login", Public, Plain),
    ("POST", "/login", Public, Plain),
    ("POST", "/logout", Read, Plain),
    ("GET", "/territory", Read, Plain),
    ("GET", "/territory/{code}", Read, Plain),
    ("GET", "/org", Read, Plain),
    ("GET", "/org/{id}", Read, Org),
    ("POST", "/org/{id}/coverage", Admin, Org),
    ("POST", "/org/{id}/children", Admin, Org),
    ("POST", "/org/{id}/move", Admin, Org),
    ("GET", "/users", Admin, Plain),
    ("POST", "/users", Admin, Plain),
    ("POST", "/users/{id}/active", Admin, User),
    ("POST", "/users/{id}/reset-password", Admin, User),
    ("GET", "/audit", Audit, Plain),
    ("GET", "/citizens", Read, Plain),
    ("POST", "/citizens", Write, Plain),
    ("GET", "/citizens/new", Write, Plain),
    ("GET", "/citizens/template.xlsx", Read, Plain),
    ("GET", "/citizens/export.xlsx", Read, Plain),
    ("GET", "/citizens/duplicates", Read, Plain),
    ("GET", "/citizens/registration", Read, Plain),
    ("GET", "/citizens/import", Write, Plain),
    ("POST", "/citizens/import", Write, Plain),
    ("GET", "/citizens/import/{job}", Read, Token),
    ("GET", "/citizens/import/{job}/rejects.xlsx", Read, Token),
    ("GET", "/citizens/{id}", Read, Citizen),
    ("POST", "/citizens/{id}/registrations", Write, Citizen),
    ("GET", "/citizens/{id}/sua", Write, Citizen),
    ("POST", "/citizens/{id}/sua", Write, Citizen),
    ("GET", "/nvqs", Read, Plain),
    ("POST", "/nvqs", Write, Plain),
    ("GET", "/nvqs/sanctions", Read, Plain),
    ("GET", "/nvqs/{id}", Read, Cycle),
    ("GET", "/nvqs/{id}/bao-cao.xlsx", Read, Cycle),
    ("GET", "/nvqs/{id}/bao-cao.docx", Province, Cycle),
    ("GET", "/nvqs/{id}/bao-cao.pdf", Province, Cycle),
    ("GET", "/nvqs/{id}/cong-khai/{unit}", Read, CycleCommune),
    ("GET", "/nvqs/{id}/cong-khai/{unit}/danh-sach.docx", Read, CycleCommune),
    ("GET", "/nvqs/{id}/cong-khai/{unit}/danh-sach.pdf", Read, CycleCommune),
    ("GET", "/documents/{id}/bao-cao.docx", Read, Document),
    ("GET", "/documents/{id}/bao-cao.pdf", Read, Document),
    ("GET", "/documents/outgoing", Write, Plain),
    ("POST", "/documents/outgoing", Write, Plain),
    ("POST", "/nvqs/{id}/quotas", ProvinceWrite, Cycle),
    ("GET", "/nvqs/vi-pham", Read, Plain),
    ("POST", "/nvqs/vi-pham", Write, Plain),
    ("GET", "/nvqs/nam/{year}", Read, Plain),
    ("GET", "/nvqs/nam/{year}/tong-hop.xlsx", Read, Plain),
    ("GET", "/nvqs/{id}/tong-hop", Read, Cycle),
    ("GET", "/nvqs/{id}/tong-hop.xlsx", Read, Cycle),
    ("GET", "/nvqs/{id}/cai-dat", Read, Cycle),
    ("POST", "/nvqs/{id}/cai-dat", Write, Cycle),
    ("GET", "/nvqs/{id}/xa/{unit}", Read, CycleCommune),
    ("POST", "/nvqs/{id}/xa/{unit}/hang-loat", Write, CycleCommune),
    ("POST", "/nvqs/{id}/xa/{unit}/duyet", Write, CycleCommune),
    ("GET", "/nvqs/{id}/xa/{unit}/{file}", Read, CycleCommune),
    ("GET", "/nvqs/{id}/xa/{unit}/kham", Read, CycleCommune),
    ("POST", "/nvqs/{id}/xa/{unit}/kham", Write, CycleCommune),
    ("POST", "/nvqs/{id}/xa/{unit}/kham/nhap", Write, CycleCommune),
    ("GET", "/nvqs/kham/mau-ket-qua-kham.xlsx", Read, Plain),
    ("GET", "/nvqs/kham/tu-choi/{token}", Read, Token),
    ("GET", "/nvqs/{id}/cong-dan/{citizen}/{file}", Read, CycleCitizen),
    ("GET", "/nvqs/{id}/cong-dan/{citizen}", Read, CycleCitizen),
    ("POST", "/nvqs/{id}/cong-dan/{citizen}", Write, CycleCitizen),
    ("GET", "/tep-in/{id}", Read, Token),
    ("GET", "/tep-in/{id}/tep", Read, Token),
    ("GET", "/militia", Read, Plain),
    ("POST", "/militia", Write, Plain),
    ("GET", "/militia/{id}", Read, Militia),
    ("POST", "/militia/{id}/members", Write, Militia),
    ("POST", "/militia/{id}/training", Write, Militia),
    ("GET", "/militia/{id}/import", Write, Militia),
    ("POST", "/militia/{id}/import", Write, Militia),
    ("GET", "/militia/import/mau-nhap-dan-quan-tu-ve.xlsx", Read, Plain),
    ("GET", "/militia/import/tu-choi/{token}", Read, Token),
    ("GET", "/militia/{id}/thanh-vien.xlsx", Read, Militia),
    ("GET", "/militia/thanh-vien.xlsx", Read, Plain),
    ("GET", "/militia/targets", Read, Plain),
    ("POST", "/militia/targets/ratio", ProvinceWrite, Plain),
    ("GET", "/militia/targets/{unit}", Read, TargetCommune),
    ("POST", "/militia/targets/{unit}", Write, TargetCommune),
    ("GET", "/militia/{id}/danh-sach.docx", Read, Militia),
    ("GET", "/militia/{id}/danh-sach.pdf", Read, Militia),
    ("GET", "/militia/het-han.docx", Read, Plain),
    ("GET", "/militia/het-han.pdf", Read, Plain),
    ("GET", "/militia/thieu-huan-luyen.docx", Read, Plain),
    ("GET", "/militia/thieu-huan-luyen.pdf", Read, Plain),
    ("GET", "/reserve/units/{id}/danh-sach.docx", Read, ReserveUnit),
    ("GET", "/reserve/units/{id}/danh-sach.pdf", Read, ReserveUnit),
    ("GET", "/reserve/equipment/danh-sach.docx", Read, Plain),
    ("GET", "/reserve/equipment/danh-sach.pdf", Read, Plain),
    ("GET", "/reserve/import", Write, Plain),
    ("POST", "/reserve/import", Write, Plain),
    ("GET", "/reserve/import/mau-nhap-quan-nhan-du-bi.xlsx", Read, Plain),
    ("GET", "/reserve/equipment/import", Write, Plain),
    ("POST", "/reserve/equipment/import", Write, Plain),
    (
        "GET",
        "/reserve/equipment/import/mau-nhap-phuong-tien.xlsx",
        Read,
        Plain,
    ),
    ("GET", "/reserve", Read, Plain),
    ("POST", "/reserve/units", Write, Plain),
    ("POST", "/reserve/reservists", Write, Plain),
    ("GET", "/reserve/reservists.xlsx", Read, Plain),
    ("GET", "/reserve/positions.xlsx", Read, Plain),
    ("GET", "/reserve/assignments.xlsx", Read, Plain),
    ("GET", "/reserve/units/{id}", Read, ReserveUnit),
    ("POST", "/reserve/units/{id}/positions", Write, ReserveUnit),
    ("POST", "/reserve/units/{id}/assignments", Write, ReserveUnit),
    ("POST", "/reserve/units/{id}/assignments/{a}/move", Write, Assignment),
    ("POST", "/reserve/units/{id}/assignments/{a}/remove", Write, Assignment),
    ("POST", "/reserve/units/{id}/needs", Write, ReserveUnit),
    ("GET", "/reserve/assign", Read, Plain),
    ("POST", "/reserve/assign", Write, Plain),
    ("GET", "/reserve/equipment", Read, Plain),
    ("POST", "/reserve/equipment", Write, Plain),
    ("GET", "/reserve/equipment.xlsx", Read, Plain),
    ("POST", "/reserve/equipment/accept", Write, Plain),
    ("POST", "/reserve/equipment/{id}/checks", Write, Equipment),
    ("GET", "/documents", Read, Plain),
    ("POST", "/documents", Write, Plain),
    ("GET", "/documents/new", Write, Plain),
    ("POST", "/documents/upload", Write, Plain),
    ("GET", "/documents/upload/{job}", Write, Token),
    ("POST", "/documents/upload/{job}/cancel", Write, Token),
    ("GET", "/documents/{id}", Read, Document),
    ("GET", "/documents/{id}/review", Write, Document),
    ("POST", "/documents/{id}/review", Write, Document),
    ("GET", "/documents/{id}/attachments/{att}", Read, DocumentAttachment),
    ("GET", "/tasks", Read, Plain),
    ("GET", "/tasks/recurring", Write, Plain),
    ("POST", "/tasks/recurring", Write, Plain),
    ("GET", "/tasks/{id}", Read, Task),
    ("POST", "/tasks/{id}/reports", Write, Task),
    ("GET", "/tasks/{id}/files/{att}", Read, TaskFile),
    ("GET", "/tasks/{id}/edit", Write, Task),
    ("POST", "/tasks/{id}/edit", Write, Task),
    ("POST", "/tasks/{id}/cancel", Write, Task),
    ("GET", "/account/password", Read, Plain),
    ("POST", "/account/password", Read, Plain),
    ("POST", "/account/tokens", Read, Plain),
    ("POST", "/account/tokens/{token}/revoke", Read, Token),
    ("GET", "/giao-duc-qp", Read, Plain),
    ("GET", "/giao-duc-qp/cai-dat", Read, Plain),
    ("POST", "/giao-duc-qp/cai-dat", Write, Plain),
    ("GET", "/giao-duc-qp/can-bo", Read, Plain),
    ("POST", "/giao-duc-qp/can-bo", Write, Plain),
    ("GET", "/giao-duc-qp/can-bo.xlsx", Read, Plain),
    ("GET", "/giao-duc-qp/can-bo/{id}", Read, Cadre),
    ("POST", "/giao-duc-qp/can-bo/{id}/thoi-theo-doi", Write, Cadre),
    ("POST", "/giao-duc-qp/can-bo/{id}/sua", Write, Cadre),
    ("GET", "/giao-duc-qp/khoa", Read, Plain),
    ("POST", "/giao-duc-qp/khoa", Write, Plain),
    ("GET", "/giao-duc-qp/khoa/{id}", Read, Course),
    ("POST", "/giao-duc-qp/khoa/{id}/hoc-vien", Write, Course),
    ("GET", "/giao-duc-qp/khoa/{id}/hoc-vien/{cadre}/xoa", Write, Enrolment),
    ("POST", "/giao-duc-qp/khoa/{id}/hoc-vien/{cadre}/xoa", Write, Enrolment),
    ("GET", "/giao-duc-qp/khoa/{id}/danh-sach.xlsx", Read, Course),
    ("GET", "/giao-duc-qp/khoa/{id}/danh-sach.docx", Read, Course),
    ("GET", "/giao-duc-qp/khoa/{id}/danh-sach.pdf", Read, Course),
    ("GET", "/giao-duc-qp/chua-co-chung-nhan", Read, Plain),
    ("GET", "/giao-duc-qp/chua-co-chung-nhan.xlsx", Read, Plain),
    ("GET", "/giao-duc-qp/chua-co-chung-nhan.docx", Read, Plain),
    ("GET", "/giao-duc-qp/chua-co-chung-nhan.pdf", Read, Plain),
    ("GET", "/giao-duc-qp/mau-nhap.xlsx", Read, Plain),
    ("GET", "/giao-duc-qp/nhap", Write, Plain),
    ("POST", "/giao-duc-qp/nhap", Write, Plain),
    ("GET", "/api/v1/openapi.json", Public, Plain),
    ("GET", "/api/v1/me", Read, Plain),
    ("GET", "/api/v1/territory/units", Read, Plain),
    ("GET", "/api/v1/territory/units/{code}", Read, Plain),
    ("GET", "/api/v1/territory/units/{code}/rollup", Read, Plain),
    ("GET", "/api/v1/org/units", Read, Plain),
    ("GET", "/api/v1/org/units/{id}", Read, Org),
    ("GET", "/api/v1/users", Admin, Plain),
    ("GET", "/api/v1/audit", Audit, Plain),
    ("GET", "/assets/app.css", Public, Plain),
    ("GET", "/assets/app.js", Public, Plain),
    ("GET", "/assets/icon.svg", Public, Plain),
    ("GET", "/favicon.ico", Public, Plain),
];

/// Where each file's router is mounted (lib.rs: `.nest("/api/v1", api::routes())`, the others
/// merged at the root). A new file with routes must be added here, or the test fails.
const ROUTER_FILES: &[(&str, &str)] = &[
    ("src/pages/mod.rs", ""),
    ("src/pages/education.rs", ""),
    ("src/api.rs", "/api/v1"),
    ("src/assets.rs", ""),
];

const METHODS: [&str; 6] = ["get", "post", "put", "delete", "patch", "any"];

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The text of a call's arguments: from just after `(` at `open` to its matching `)`.
fn call_args(s: &str, open: usize) -> &str {
    let mut depth = 1;
    for (i, c) in s[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &s[open..open + i];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced parentheses after byte {open}");
}

/// Every (METHOD, path) the crate's source declares with `.route(...)`.
fn declared_routes() -> BTreeSet<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    assert!(
        lib.contains(".nest(\"/api/v1\", api)") && lib.contains("let api = api::routes()"),
        "the API is no longer nested under /api/v1: update ROUTER_FILES"
    );
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut out = BTreeSet::new();
    for f in files {
        let whole = std::fs::read_to_string(&f).unwrap();
        // A file's own unit tests may build a router of their own: only the product's routes count.
        let s = match whole.find("#[cfg(test)]") {
            Some(i) => &whole[..i],
            None => &whole[..],
        };
        if !s.contains(".route(") {
            continue;
        }
        let rel = f.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
        let prefix = ROUTER_FILES
            .iter()
            .find(|(file, _)| *file == rel)
            .map(|(_, p)| *p)
            .unwrap_or_else(|| panic!("{rel} declares routes but is not in ROUTER_FILES: say where it is mounted"));
        let mut at = 0;
        while let Some(i) = s[at..].find(".route(") {
            let open = at + i + ".route(".len();
            let args = call_args(s, open);
            at = open + args.len();
            let q1 = args.find('"').expect("a route path literal");
            let q2 = q1 + 1 + args[q1 + 1..].find('"').unwrap();
            let path = format!("{prefix}{}", &args[q1 + 1..q2]);
            let rest = &args[q2 + 1..];
            let bytes = rest.as_bytes();
            let mut found = false;
            for m in METHODS {
                let pat = format!("{m}(");
                let mut from = 0;
                while let Some(j) = rest[from..].find(&pat) {
                    let k = from + j;
                    let before = if k == 0 { b' ' } else { bytes[k - 1] };
                    if !(before.is_ascii_alphanumeric() || before == b'_') {
                        out.insert((m.to_uppercase(), path.clone()));
                        found = true;
                    }
                    from = k + pat.len();
                }
            }
            assert!(found, "{rel}: no method found for route {path}");
        }
    }
    out
}

#[tokio::test]
async fn every_route_is_classified() {
    let declared = declared_routes();
    let classified: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(classified.len(), ROUTES.len(), "a route is classified twice");
    let unclassified: Vec<_> = declared.difference(&classified).collect();
    assert!(
        unclassified.is_empty(),
        "routes without a line in ROUTES (crates/web/tests/routes.rs): say who may use each:\n{unclassified:#?}"
    );
    let stale: Vec<_> = classified.difference(&declared).collect();
    assert!(
        stale.is_empty(),
        "ROUTES lists routes the router no longer has:\n{stale:#?}"
    );
    assert!(
        declared.len() > 160,
        "the source reading found too few routes: {}",
        declared.len()
    );

    // The reading agrees with the live router: every declared path exists (a method it does
    // not declare gets 405, not the 404 of the fallback).
    let app = App::new().await;
    let paths: BTreeSet<&String> = declared.iter().map(|(_, p)| p).collect();
    for path in paths {
        let concrete = fill(path, &HashMap::new());
        let req = axum::http::Request::builder()
            .method("PUT")
            .uri(&concrete)
            .body(axum::body::Body::empty())
            .unwrap();
        let r = app.send(req).await;
        assert_eq!(
            r.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{path}: declared in the source but not served as such"
        );
    }
}

/// The path with its parameters filled from `values` (missing ones: 1, or a document's name).
fn fill(pattern: &str, values: &HashMap<&str, String>) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let j = rest[i..].find('}').unwrap() + i;
        let name = &rest[i + 1..j];
        let default = match name {
            // The documents a commune's part of a cycle and a called-up citizen have.
            "file" if pattern.contains("/cong-dan/") => "quyet-dinh.docx",
            "file" => "ds-nguon.docx",
            _ => "1",
        };
        out.push_str(values.get(name).map(String::as_str).unwrap_or(default));
        rest = &rest[j + 1..];
    }
    out.push_str(rest);
    out
}

/// The path parameters naming one object of each kind, for one set of objects.
type ObjectSet = HashMap<Obj, HashMap<&'static str, String>>;

fn set(entries: &[(Obj, &[(&'static str, i64)])]) -> ObjectSet {
    entries
        .iter()
        .map(|(o, ps)| (*o, ps.iter().map(|(k, v)| (*k, v.to_string())).collect()))
        .collect()
}

/// What the answer to one request says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Allowed,
    /// Refused: 403 (role or unit), 404 (outside the scope), or a 4xx before any write.
    Refused,
    /// Sent to the login page (pages) or 401 (API).
    Login,
}

fn may(access: Access, role: &str) -> bool {
    match access {
        Public | Read => true,
        Write => matches!(role, "quantri" | "chihuy" | "chihuy.xa2"),
        Admin => role == "quantri",
        Audit => matches!(role, "quantri" | "thanhtra"),
        Province => matches!(role, "quantri" | "lanhdao" | "thanhtra"),
        ProvinceWrite => role == "quantri",
    }
}

#[tokio::test]
async fn every_route_by_role_and_unit() {
    let app = App::new().await;
    let store = &app.store;
    let db = &app._db;
    let forces = store.seed_demo_forces(&app.demo).await.unwrap();
    let system = store.system_actor().await.unwrap();
    let sys = store.scoped(&system);
    let province = app.demo.province_command_id;
    let a = app.demo.commune_command_ids[0];
    let b = app.demo.commune_command_ids[1];
    let x = app.other_province_unit().await;

    // Objects of commune B (the forces demo's commune) and of another province.
    let citizen_b = db
        .scalar(&format!("SELECT min(id) FROM citizen WHERE unit_id = {b}"))
        .await;
    let militia_b = forces.militia_unit_id.expect("the demo's militia unit");
    let equipment_b = db
        .scalar(&format!("SELECT min(id) FROM reserve_equipment WHERE unit_id = {b}"))
        .await;
    let reserve_unit = forces.reserve_unit_id;
    let assignment = db
        .scalar(&format!(
            "SELECT min(id) FROM reserve_assignment WHERE reserve_unit_id = {reserve_unit}"
        ))
        .await;
    let cycle = sys.create_cycle(province, 2026, 120).await.unwrap().id;
    let (user_b, _) = sys
        .create_user(NewUser {
            username: "matran.xa2".into(),
            display_name: "Người Thử Ma Trận".into(),
            role: phongthu_domain::auth::Role::Leader,
            unit_id: b,
            password: Some("Mat-khau-thu-ma-tran-2026".into()),
        })
        .await
        .unwrap();
    let doc_b = sys
        .register_incoming(
            NewDocument {
                unit_id: b,
                number_symbol: Some("12/KH-BCH".into()),
                title: "Kế hoạch huấn luyện dân quân năm 2026".into(),
                body_text: Some("1. Huấn luyện dân quân cơ động xong trước tháng 6/2026.".into()),
                attachments: vec![phongthu_store::NewAttachment {
                    file_name: "ke-hoach.txt".into(),
                    content: b"Ke hoach huan luyen".to_vec(),
                }],
                ..Default::default()
            },
            time::macros::date!(2026 - 01 - 05),
        )
        .await
        .unwrap()
        .id;
    let doc_att = db
        .scalar(&format!(
            "SELECT min(id) FROM document_attachment WHERE document_id = {doc_b}"
        ))
        .await;
    let task_b = sys
        .create_tasks_from_review(
            doc_b,
            vec![ReviewedTask {
                ordinal: "1".into(),
                summary: "Huấn luyện dân quân cơ động".into(),
                lead_unit_id: b,
                coordinating_unit_ids: vec![],
                deadline: Some("2026-06-30".into()),
                due_date: None,
                targets: vec![],
                recurring: false,
                indicator: None,
            }],
        )
        .await
        .unwrap()[0]
        .id;
    sys.add_report(
        task_b,
        phongthu_store::NewReport {
            reported_on: time::macros::date!(2026 - 02 - 01),
            percent: 40,
            body: "Đã huấn luyện xong hai tuần đầu.".into(),
            figures: String::new(),
            attachments: vec![phongthu_store::NewAttachment {
                file_name: "bien-ban.txt".into(),
                content: b"Bien ban".to_vec(),
            }],
        },
    )
    .await
    .unwrap();
    let task_att = db
        .scalar(&format!(
            "SELECT min(id) FROM task_report_attachment WHERE task_id = {task_b}"
        ))
        .await;
    let cadre = |unit_id, name: &str| NewCadre {
        unit_id,
        full_name: name.into(),
        position: "Chủ tịch Ủy ban nhân dân xã".into(),
        agency: "Ủy ban nhân dân xã".into(),
        category: 3,
        ..Default::default()
    };
    let course = |unit_id, name: &str| NewCourse {
        unit_id,
        name: name.into(),
        category: 3,
        provider: "Trường Quân sự tỉnh".into(),
        place: None,
        start: time::macros::date!(2026 - 03 - 02),
        end: time::macros::date!(2026 - 03 - 13),
    };
    let cadre_b = sys.create_cadre(cadre(b, "Cán Bộ Xã Hai")).await.unwrap().id;
    let course_b = sys.create_course(course(b, "Khóa xã hai")).await.unwrap().id;
    let cadre_x = sys.create_cadre(cadre(x, "Cán Bộ Tỉnh Khác")).await.unwrap().id;
    let course_x = sys.create_course(course(x, "Khóa tỉnh khác")).await.unwrap().id;
    for (course_id, cadre_id) in [(course_b, cadre_b), (course_x, cadre_x)] {
        sys.record_attendance(
            course_id,
            Attendance {
                cadre_id,
                attended: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }

    let province_code = sys
        .org_unit(province)
        .await
        .unwrap()
        .province_code
        .expect("the demo province's code");
    let code: i64 = province_code.parse().expect("a numeric province code");
    // Parameters that name no object of a unit.
    let plain: &[(&'static str, i64)] = &[("code", code), ("year", 2026)];
    let set_b = set(&[
        (Plain, plain),
        (Org, &[("id", b)]),
        (User, &[("id", user_b.id)]),
        (Citizen, &[("id", citizen_b)]),
        (Cycle, &[("id", cycle)]),
        (CycleCommune, &[("id", cycle), ("unit", b)]),
        (CycleCitizen, &[("id", cycle), ("citizen", citizen_b)]),
        (Militia, &[("id", militia_b)]),
        (TargetCommune, &[("unit", b)]),
        (Equipment, &[("id", equipment_b)]),
        (Document, &[("id", doc_b)]),
        (DocumentAttachment, &[("id", doc_b), ("att", doc_att)]),
        (Task, &[("id", task_b)]),
        (TaskFile, &[("id", task_b), ("att", task_att)]),
        (Cadre, &[("id", cadre_b)]),
        (Course, &[("id", course_b)]),
        (Enrolment, &[("id", course_b), ("cadre", cadre_b)]),
        (Token, &[("job", 0), ("token", 0)]),
    ]);
    // The province's own objects: its mobilisation unit (recruiting in the whole province).
    let set_p = set(&[
        (ReserveUnit, &[("id", reserve_unit)]),
        (Assignment, &[("id", reserve_unit), ("a", assignment)]),
    ]);
    // Commune A: what its commander sees of the province and his own unit.
    let set_a = set(&[
        (Plain, plain),
        (Org, &[("id", a)]),
        (Cycle, &[("id", cycle)]),
        (CycleCommune, &[("id", cycle), ("unit", a)]),
        (TargetCommune, &[("unit", a)]),
        (Token, &[("job", 0), ("token", 0)]),
    ]);
    let set_x = set(&[
        (Org, &[("id", x)]),
        (Cadre, &[("id", cadre_x)]),
        (Course, &[("id", course_x)]),
        (Enrolment, &[("id", course_x), ("cadre", cadre_x)]),
    ]);
    let union = |parts: &[&ObjectSet], drop: &[Obj]| -> ObjectSet {
        let mut out = ObjectSet::new();
        for p in parts {
            for (k, v) in p.iter() {
                if !drop.contains(k) {
                    out.insert(*k, v.clone());
                }
            }
        }
        out
    };
    let province_own = union(&[&set_b, &set_p], &[]);
    // (role, objects of the own scope, objects of another unit)
    let roles: Vec<(&str, ObjectSet, ObjectSet)> = vec![
        ("lanhdao", province_own.clone(), set_x.clone()),
        ("thanhtra", province_own.clone(), set_x.clone()),
        (
            "chihuy",
            set_a.clone(),
            union(&[&set_b, &set_p], &[Plain, Cycle, Token]),
        ),
        (
            "chihuy.xa2",
            set_b.clone(),
            union(&[&set_a, &set_p], &[Plain, Cycle, Token]),
        ),
        ("quantri", province_own.clone(), set_x.clone()),
    ];
    // Form fields for the posts that need more than the CSRF token to reach their check.
    let ratio_fields = [("province_code", province_code.as_str()), ("percent", "1,3")];
    let fields_for = |pattern: &str| -> &[(&str, &str)] {
        match pattern {
            "/militia/targets/ratio" => &ratio_fields,
            _ => &[],
        }
    };
    let attend = |course_id: i64, cadre_id: i64| {
        let sys = store.scoped(&system);
        async move {
            let _ = sys
                .record_attendance(
                    course_id,
                    Attendance {
                        cadre_id,
                        attended: true,
                        ..Default::default()
                    },
                )
                .await;
        }
    };
    let mut refused_by_form = 0usize;
    let mut docx: std::collections::BTreeMap<&str, Vec<u8>> = Default::default();

    let mut failures = Vec::new();
    let mut checked = 0usize;
    // Anonymous first: every route but the public ones asks for a login and writes nothing.
    for (method, pattern, access, obj) in ROUTES {
        let path = fill(pattern, province_own.get(obj).unwrap_or(&HashMap::new()));
        let before = app.audit_count().await;
        let r = if *method == "GET" {
            app.get(&path, None).await
        } else {
            app.post(&path, None, &[]).await
        };
        let seen = judge(&r, pattern);
        checked += 1;
        let want = if *access == Public { Seen::Allowed } else { Seen::Login };
        if *access == Public && *method == "POST" {
            // The login form without its CSRF cookie is refused.
            if seen == Seen::Allowed {
                failures.push(format!("anonymous {method} {pattern}: accepted without CSRF"));
            }
        } else if seen != want {
            failures.push(format!(
                "anonymous {method} {path}: expected {want:?}, got {} ",
                r.status
            ));
        }
        if app.audit_count().await != before {
            failures.push(format!("anonymous {method} {path}: wrote to the audit log"));
        }
    }
    for (role, own, other) in &roles {
        let s = app.login(role).await;
        for (method, pattern, access, obj) in ROUTES {
            if *access == Public || (*method, *pattern) == ("POST", "/logout") {
                continue; // anonymous above; logging out is checked at the end
            }
            for (scope, objects) in [("own", own), ("other", other)] {
                let Some(params) = objects.get(obj) else { continue };
                let path = fill(pattern, params);
                if *obj == Enrolment {
                    // An allowed post takes the enrolment off the course: put it back.
                    let ids: Vec<i64> = ["id", "cadre"].iter().map(|k| params[k].parse().unwrap()).collect();
                    attend(ids[0], ids[1]).await;
                }
                let before = app.audit_count().await;
                let r = if *method == "GET" {
                    app.get(&path, Some(&s)).await
                } else {
                    let mut fields = vec![("_csrf", s.csrf.as_str())];
                    fields.extend_from_slice(fields_for(pattern));
                    app.post(&path, Some(&s), &fields).await
                };
                checked += 1;
                let mut seen = judge(&r, pattern);
                if r.status == StatusCode::NOT_FOUND && r.body.contains("chưa có quyết định gọi nhập ngũ") {
                    // The citizen is in scope; he is not called up, so there is no decision yet.
                    seen = Seen::Allowed;
                }
                if *role == "quantri" && r.headers.get("content-type").is_some_and(|v| v == DOCX) {
                    docx.entry(*pattern).or_insert_with(|| r.bytes.clone());
                }
                let wrote = app.audit_count().await != before;
                let allowed = may(*access, role) && scope == "own" && *obj != Obj::Token;
                if !allowed
                    && *method == "POST"
                    && seen == Seen::Allowed
                    && !r.status.is_success()
                    && !r.status.is_redirection()
                {
                    // Refused for its incomplete form before the role or the unit was checked:
                    // refused all the same, provided nothing was written (checked below).
                    refused_by_form += 1;
                    seen = Seen::Refused;
                }
                let short: String = r.body.chars().take(160).collect();
                if r.status.is_server_error() {
                    failures.push(format!("{role} {method} {path} ({scope}): {} {short}", r.status));
                } else if allowed && seen != Seen::Allowed {
                    failures.push(format!(
                        "{role} {method} {path} ({scope}): refused with {} {short}",
                        r.status
                    ));
                } else if !allowed && seen != Seen::Refused {
                    failures.push(format!("{role} {method} {path} ({scope}): not refused ({})", r.status));
                } else if !allowed && wrote {
                    failures.push(format!("{role} {method} {path} ({scope}): refused but wrote"));
                }
            }
        }
    }
    // Logging out needs the session's CSRF token.
    let s = app.login("lanhdao").await;
    let r = app.post("/logout", Some(&s), &[("_csrf", "sai")]).await;
    assert_ne!(r.status, StatusCode::SEE_OTHER, "logout without the right CSRF token");
    let r = app.post("/logout", Some(&s), &[("_csrf", s.csrf.as_str())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(app.get("/", Some(&s)).await.location().starts_with("/login"));
    assert!(checked > 1000, "only {checked} requests checked");
    assert!(docx.len() >= 10, "DOCX routes answered: {:?}", docx.keys());
    open_with_libreoffice(&docx);
    eprintln!("{checked} requests checked; {refused_by_form} refused posts were refused for their form before the role or unit check");
    assert!(
        failures.is_empty(),
        "{} of {checked} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Reads an answer as allowed, refused or sent to log in.
fn judge(r: &Resp, pattern: &str) -> Seen {
    let to_login = r.status == StatusCode::SEE_OTHER && r.location().starts_with("/login");
    if to_login || (pattern.starts_with("/api/") && r.status == StatusCode::UNAUTHORIZED) {
        return Seen::Login;
    }
    match r.status {
        s if s.is_success() || s.is_redirection() => Seen::Allowed,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND => Seen::Refused,
        // A form refused for its content: the role and the unit passed.
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT => Seen::Allowed,
        _ => Seen::Refused,
    }
}

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// Every DOCX the routes produced, opened by LibreOffice (headless, converted to PDF): Word-
/// compatible software accepts them. LibreOffice is required with `PHONGTHU_REQUIRE_OCR=1`
/// (scripts/test-all.sh, CI), as the other external tools are.
fn open_with_libreoffice(docs: &std::collections::BTreeMap<&str, Vec<u8>>) {
    let soffice = ["soffice", "libreoffice"].into_iter().find(|b| {
        std::process::Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let Some(soffice) = soffice else {
        if std::env::var("PHONGTHU_REQUIRE_OCR").as_deref() == Ok("1") {
            panic!(
                "PHONGTHU_REQUIRE_OCR=1 nhưng thiếu LibreOffice (soffice): apt-get install libreoffice-writer-nogui"
            );
        }
        eprintln!("BỎ QUA: thiếu LibreOffice, {} tệp DOCX không được mở thử", docs.len());
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (i, (pattern, bytes)) in docs.iter().enumerate() {
        let name = format!("van-ban-{i}.docx");
        std::fs::write(dir.path().join(&name), bytes).unwrap();
        files.push((name, *pattern));
    }
    let profile = format!("file://{}", dir.path().join("profile").display());
    let out = std::process::Command::new(soffice)
        .arg(format!("-env:UserInstallation={profile}"))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path().join("pdf"))
        .args(files.iter().map(|(n, _)| dir.path().join(n)))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for (name, pattern) in files {
        let pdf = dir.path().join("pdf").join(name.replace(".docx", ".pdf"));
        let bytes = std::fs::read(&pdf).unwrap_or_default();
        assert!(
            bytes.starts_with(b"%PDF-") && bytes.len() > 1000,
            "LibreOffice did not open the DOCX of {pattern}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
