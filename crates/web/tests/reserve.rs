//! HTTP tests of the reserve pages, on a scratch database with the demo data (SQLite, or
//! PostgreSQL when PHONGTHU_TEST_DATABASE_URL is set): reservists from the registry, a mobilisation
//! unit with a position, the solver's proposal with explanations, accepting it, editing and
//! removing; a ledger conflict shown on the form before saving; equipment with a need, matching and
//! a readiness check; exports; scope, CSRF and read-only roles.

use axum::http::StatusCode;

mod support;
use support::*;

/// The value of the first `name="<field>" value="..."` after `after` on a page.
fn value_after(html: &str, after: &str, field: &str) -> Option<String> {
    let from = html.find(after)?;
    let marker = format!("name=\"{field}\" value=\"");
    let start = from + html[from..].find(&marker)? + marker.len();
    html[start..].split('"').next().map(str::to_string)
}

/// The value of the first option of the select with this id.
fn first_option(html: &str, select_id: &str) -> String {
    let i = html.find(&format!("id=\"{select_id}\"")).unwrap();
    html[i..]
        .split("value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

/// The id at the end of a redirect such as `/reserve/units/12`.
fn id_in(location: &str) -> String {
    location
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string()
}

async fn citizen(app: &App, s: &Session, unit: &str, name: &str, birth: &str) -> String {
    let r = app
        .post(
            "/citizens",
            Some(s),
            &[
                ("_csrf", &s.csrf),
                ("unit_id", unit),
                ("full_name", name),
                ("birth_date", birth),
                ("sex", "male"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    id_in(r.location())
}

#[tokio::test]
async fn reservists_assignment_flow_and_ledger() {
    let app = App::new().await;
    let admin = app.login("quantri").await;
    let a = app.demo.commune_command_ids[0].to_string();
    let an = citizen(&app, &admin, &a, "Nguyễn Văn An", "01/01/1998").await;
    let binh = citizen(&app, &admin, &a, "Trần Văn Bình", "01/01/1997").await;
    let em = citizen(&app, &admin, &a, "Hoàng Văn Em", "01/01/2000").await;

    let page = app.get("/reserve", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("href=\"/reserve\" aria-current=\"page\""),
        "nav entry"
    );
    // The registry search offers the citizens.
    let search = app.get("/reserve?q=nguyen+van+an", Some(&admin)).await;
    assert!(search.body.contains(&format!("value=\"{an}\"")), "{}", search.body);

    let add = |cid: String, spec: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.post(
                "/reserve/reservists",
                Some(&admin),
                &[
                    ("_csrf", &admin.csrf),
                    ("citizen_id", &cid),
                    ("class", "class_1"),
                    ("specialty", spec),
                    ("rank", "Trung sĩ"),
                    ("registered_on", "01/01/2025"),
                ],
            )
            .await
        }
    };
    // A forged token and bad input write nothing.
    let before = app.audit_count().await;
    let r = app
        .post(
            "/reserve/reservists",
            Some(&admin),
            &[
                ("_csrf", "forged"),
                ("citizen_id", &an),
                ("class", "class_1"),
                ("specialty", "1A"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = add(an.clone(), "1 A").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("khoảng trắng"), "{}", r.body);
    assert_eq!(app.audit_count().await, before);
    for (c, spec) in [(&an, "1A"), (&binh, "1A"), (&em, "1A")] {
        let r = add(c.clone(), spec).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let r = add(an.clone(), "1A").await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("mỗi người một hồ sơ"), "{}", r.body);

    // A unit with one position of 1 (+10% spare = 2 seats).
    let r = app
        .post(
            "/reserve/units",
            Some(&admin),
            &[
                ("_csrf", &admin.csrf),
                ("unit_id", &a),
                ("name", "Đại đội bộ binh 1"),
                ("combat", "combat"),
                ("spare_percent", "10"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let unit = id_in(r.location());
    let r = app
        .post(
            &format!("/reserve/units/{unit}/positions"),
            Some(&admin),
            &[
                ("_csrf", &admin.csrf),
                ("title", "Xạ thủ súng máy"),
                ("specialty", "1A"),
                ("rank", "Hạ sĩ"),
                ("count", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // Em joins the militia: the proposal leaves him out and says why.
    let r = app
        .post(
            "/militia",
            Some(&admin),
            &[
                ("_csrf", &admin.csrf),
                ("unit_id", &a),
                ("kind", "mobile"),
                ("echelon", "platoon"),
                ("name", "Trung đội cơ động"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let platoon = id_in(r.location());
    let r = app
        .post(
            &format!("/militia/{platoon}/members"),
            Some(&admin),
            &[("_csrf", &admin.csrf), ("citizen_id", &em), ("joined_on", "01/01/2026")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let prop = app.get("/reserve/assign", Some(&admin)).await;
    assert_eq!(prop.status, StatusCode::OK);
    assert!(prop.body.contains("<strong>2</strong> đúng CNQS"), "{}", prop.body);
    assert!(prop.body.contains("Đúng CNQS 1A; cư trú tại"), "{}", prop.body);
    assert!(prop.body.contains("Đang thuộc lực lượng khác"));
    assert!(prop
        .body
        .contains("Hoàng Văn Em</strong>: Không thể ghi nhận vì Hoàng Văn Em đang thuộc dân quân tự vệ"));
    let picks: Vec<String> = prop
        .body
        .match_indices("name=\"pick\" value=\"")
        .map(|(i, m)| prop.body[i + m.len()..].split('"').next().unwrap().to_string())
        .collect();
    assert_eq!(picks.len(), 2);

    // Accept the proposal; audited per assignment.
    let before = app.audit_count().await;
    let mut fields = vec![("_csrf", admin.csrf.as_str())];
    fields.extend(picks.iter().map(|p| ("pick", p.as_str())));
    let r = app.post("/reserve/assign", Some(&admin), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(app.audit_count().await, before + 2);
    let done = app.get(r.location(), Some(&admin)).await;
    assert!(done.body.contains("Đã lưu 2 sắp xếp."));
    assert!(done.body.contains("Không có đề xuất sắp xếp mới."));

    // The unit page: both assigned, 100% exact.
    let page = app.get(&format!("/reserve/units/{unit}"), Some(&admin)).await;
    assert!(
        page.body.contains("tỷ lệ đúng CNQS <strong>100,0%</strong>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Nguyễn Văn An"));
    // The manual form for Em shows the ledger conflict and saves nothing.
    // Only Em is free: the first (only) reservist offered.
    let em_rid = first_option(&page.body, "reservist_id");
    assert!(page.body.contains("Hoàng Văn Em – CNQS 1A"));
    let pos = first_option(&page.body, "position_id");
    let before = app.audit_count().await;
    let r = app
        .post(
            &format!("/reserve/units/{unit}/assignments"),
            Some(&admin),
            &[
                ("_csrf", &admin.csrf),
                ("reservist_id", &em_rid),
                ("position_id", &pos),
                ("assigned_on", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.body
            .contains("Hoàng Văn Em đang thuộc dân quân tự vệ (Trung đội cơ động)"),
        "{}",
        r.body
    );
    assert_eq!(app.audit_count().await, before);

    // Remove An (the first assignment's remove form), then the page shows one.
    let i = page.body.find("/remove\"").unwrap();
    let action = page.body[..i].rsplit("action=\"").next().unwrap().to_string() + "/remove";
    let r = app.post(&action, Some(&admin), &[("_csrf", &admin.csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(r.location(), Some(&admin)).await;
    assert!(page.body.contains("Đã gỡ sắp xếp."));
    assert!(page.body.contains("đã sắp xếp <strong>1</strong>"), "{}", page.body);

    // Exports.
    for path in [
        "/reserve/reservists.xlsx",
        "/reserve/positions.xlsx",
        "/reserve/assignments.xlsx",
    ] {
        let r = app.get(path, Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(r.headers["content-type"], super_xlsx(), "{path}");
    }

    // Scope: the other commune's commander neither sees nor writes the unit.
    let other = app.login("chihuy.xa2").await;
    let r = app.get(&format!("/reserve/units/{unit}"), Some(&other)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .post(
            &format!("/reserve/units/{unit}/positions"),
            Some(&other),
            &[
                ("_csrf", &other.csrf),
                ("title", "X"),
                ("specialty", "1A"),
                ("count", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let list = app.get("/reserve", Some(&other)).await;
    assert!(!list.body.contains("Nguyễn Văn An"));
    // A leader reads without forms and cannot write.
    let leader = app.login("lanhdao").await;
    let page = app.get(&format!("/reserve/units/{unit}"), Some(&leader)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("Thêm vị trí"));
    let r = app
        .post(
            &format!("/reserve/units/{unit}/positions"),
            Some(&leader),
            &[
                ("_csrf", &leader.csrf),
                ("title", "X"),
                ("specialty", "1A"),
                ("count", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

fn super_xlsx() -> &'static str {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
}

#[tokio::test]
async fn equipment_need_matching_and_checks() {
    let app = App::new().await;
    let admin = app.login("quantri").await;
    let a = app.demo.commune_command_ids[0].to_string();
    let r = app
        .post(
            "/reserve/units",
            Some(&admin),
            &[
                ("_csrf", &admin.csrf),
                ("unit_id", &a),
                ("name", "Đại đội vận tải"),
                ("combat", "support"),
                ("spare_percent", "15"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let unit = id_in(r.location());
    let r = app
        .post(
            &format!("/reserve/units/{unit}/needs"),
            Some(&admin),
            &[("_csrf", &admin.csrf), ("kind", "truck"), ("count", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let eq = |plate: &'static str| {
        let app = &app;
        let admin = admin.clone();
        let a = a.clone();
        async move {
            app.post(
                "/reserve/equipment",
                Some(&admin),
                &[
                    ("_csrf", &admin.csrf),
                    ("unit_id", &a),
                    ("kind", "truck"),
                    ("owner", "Công ty vận tải"),
                    ("plate", plate),
                    ("capacity", "5 tấn"),
                    ("condition", "good"),
                ],
            )
            .await
        }
    };
    assert_eq!(eq("89C-111.11").await.status, StatusCode::SEE_OTHER);
    let dup = eq("89c-111.11").await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert!(dup.body.contains("đã được đăng ký"), "{}", dup.body);

    let page = app.get("/reserve/equipment", Some(&admin)).await;
    assert!(page.body.contains("Chưa kiểm tra lần nào"));
    assert!(
        page.body.contains("đúng loại xe tải từ 2,5 tấn trở lên đơn vị cần"),
        "{}",
        page.body
    );
    let pick = value_after(&page.body, "Đề xuất giao phương tiện", "pick").unwrap();
    let r = app
        .post(
            "/reserve/equipment/accept",
            Some(&admin),
            &[("_csrf", &admin.csrf), ("pick", &pick)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The need is met: a second pick is refused.
    let r = app
        .post(
            "/reserve/equipment/accept",
            Some(&admin),
            &[("_csrf", &admin.csrf), ("pick", &pick)],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("đã đủ 1 phương tiện"), "{}", r.body);
    // With room for two, the same truck again: the ledger refuses, shown on the page.
    let r = app
        .post(
            &format!("/reserve/units/{unit}/needs"),
            Some(&admin),
            &[("_csrf", &admin.csrf), ("kind", "truck"), ("count", "2")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .post(
            "/reserve/equipment/accept",
            Some(&admin),
            &[("_csrf", &admin.csrf), ("pick", &pick)],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("phương tiện 89C-111.11 đang thuộc"), "{}", r.body);

    let eid = pick.split(':').next().unwrap();
    let r = app
        .post(
            &format!("/reserve/equipment/{eid}/checks"),
            Some(&admin),
            &[
                ("_csrf", &admin.csrf),
                ("checked_on", ""),
                ("result", "ready"),
                ("note", "Đủ giấy tờ"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(r.location(), Some(&admin)).await;
    assert!(page.body.contains("Sẵn sàng (kiểm tra ngày"));
    assert!(page.body.contains("Mọi phương tiện đều đã được kiểm tra trong hạn."));
    let r = app
        .post(
            &format!("/reserve/equipment/{eid}/checks"),
            Some(&admin),
            &[("_csrf", &admin.csrf), ("checked_on", "ngày mai"), ("result", "ready")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // Excel export: the import's columns first, then the commune, the check and the unit.
    let r = app.get("/reserve/equipment.xlsx", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], super_xlsx());
    let reader = phongthu_documents::tabular::TabularReader::from_bytes(r.bytes.clone()).unwrap();
    let headers = reader.headers.clone();
    let rows: Vec<Vec<String>> = reader.map(|row| row.unwrap().cells).collect();
    let import_headers: Vec<&str> = phongthu_store::EQUIPMENT_COLUMNS.iter().map(|c| c.header).collect();
    assert_eq!(&headers[..import_headers.len()], &import_headers[..], "{headers:?}");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        &rows[0][..5],
        &[
            "Xe tải từ 2,5 tấn trở lên",
            "Công ty vận tải",
            "89C-111.11",
            "5 tấn",
            "Tốt"
        ],
        "{rows:?}"
    );
    assert!(
        rows[0].iter().any(|c| c.starts_with("Sẵn sàng (kiểm tra ngày")),
        "{rows:?}"
    );
    assert!(rows[0].contains(&"Đại đội vận tải".to_string()), "{rows:?}");
    // The other commune's commander exports only his own equipment: none.
    let other = app.login("chihuy.xa2").await;
    let r = app.get("/reserve/equipment.xlsx", Some(&other)).await;
    assert_eq!(r.status, StatusCode::OK);
    let reader = phongthu_documents::tabular::TabularReader::from_bytes(r.bytes.clone()).unwrap();
    assert_eq!(reader.count(), 0);
}
