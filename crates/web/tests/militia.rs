//! HTTP tests of the militia pages, on a scratch database with the demo data (SQLite, or
//! PostgreSQL when PHONGTHU_TEST_DATABASE_URL is set): create a platoon, add a member found in the
//! registry, record training, see the shortfall; another commune's commander cannot see the unit;
//! forged CSRF and bad input write nothing; leaders and inspectors read only.

use axum::http::StatusCode;

mod support;
use support::*;

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

// ---------------------------------------------------------------------------------------------
// Militia members from and to Excel

use phongthu_documents::tabular::{write_xlsx, ColumnSpec, TabularReader};
use phongthu_domain::militia::{Echelon, MilitiaKind};
use phongthu_domain::nvqs::Sex;
use phongthu_domain::reserve::ReservistClass;
use phongthu_store::{NewCitizen, NewMilitiaUnit, NewPosition, NewReserveUnit, NewReservist};
use time::macros::date;

fn multipart(fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----phongthu-militia-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn import_file(app: &App, s: &Session, unit: i64, csrf: &str, mode: &str, name: &str, file: &[u8]) -> Resp {
    let (ct, body) = multipart(&[("_csrf", csrf), ("mode", mode)], name, file);
    app.post_multipart(&format!("/militia/{unit}/import"), Some(s), &ct, body)
        .await
}

fn xlsx(headers: &[&str], rows: Vec<Vec<&str>>) -> Vec<u8> {
    let cols: Vec<ColumnSpec<'_>> = headers
        .iter()
        .map(|h| ColumnSpec {
            header: h,
            text: true,
            width: 0.0,
        })
        .collect();
    write_xlsx("Dân quân", &cols, rows).unwrap()
}

/// The header row and the data rows of an .xlsx file.
fn read_xlsx(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let reader = TabularReader::from_bytes(bytes.to_vec()).unwrap();
    let headers = reader.headers.clone();
    let rows = reader.map(|r| r.unwrap().cells).collect();
    (headers, rows)
}

/// The link to the rejected rows' file on an import page.
fn rejects_link(html: &str) -> Option<String> {
    let start = html.find("href=\"/militia/import/tu-choi/")? + "href=\"".len();
    html[start..].split('"').next().map(str::to_string)
}

#[tokio::test]
async fn militia_member_import_and_export() {
    let app = App::new().await;
    let admin = app.login("quantri").await;
    let (a, b) = (app.demo.commune_command_ids[0], app.demo.commune_command_ids[1]);
    let system = app
        .store
        .login("quantri", phongthu_store::DEMO_PASSWORD)
        .await
        .unwrap()
        .actor;
    let s = app.store.scoped(&system);
    let platoon_of = |kind, name: &str| NewMilitiaUnit {
        unit_id: a,
        kind,
        echelon: Echelon::Platoon,
        name: name.into(),
    };
    let platoon = s
        .create_militia_unit(platoon_of(MilitiaKind::Mobile, "Trung đội cơ động số 1"))
        .await
        .unwrap();
    let fresh = s
        .create_militia_unit(platoon_of(MilitiaKind::OnSite, "Trung đội tại chỗ số 2"))
        .await
        .unwrap();
    let citizen = |unit, name: &str, birth, sex, nid: &str| {
        let mut c = NewCitizen::new(unit, name, birth, sex);
        c.national_id = Some(nid.to_string());
        c
    };
    for c in [
        citizen(a, "Nguyễn Văn An", date!(2000 - 04 - 02), Sex::Male, "033200000101"),
        citizen(a, "Trần Văn Bình", date!(1998 - 09 - 10), Sex::Male, "033098000102"),
        citizen(a, "Lê Thị Hoa", date!(1984 - 06 - 01), Sex::Female, "033184000103"),
        citizen(b, "Đỗ Văn Xa", date!(2001 - 01 - 01), Sex::Male, "033201000107"),
    ] {
        s.create_citizen(c).await.unwrap();
    }
    // Lân holds a seat in a mobilisation unit (the ledger).
    let lan = s
        .create_citizen(citizen(
            a,
            "Phạm Văn Lân",
            date!(1995 - 02 - 03),
            Sex::Male,
            "033095000104",
        ))
        .await
        .unwrap();
    let ru = s
        .create_reserve_unit(NewReserveUnit {
            unit_id: a,
            name: "Đại đội vận tải 1".into(),
            combat: false,
            spare_percent: 10,
        })
        .await
        .unwrap();
    let pos = s
        .add_position(NewPosition {
            reserve_unit_id: ru.id,
            title: "Lái xe".into(),
            specialty: "2B".into(),
            rank: None,
            count: 1,
        })
        .await
        .unwrap();
    let rv = s
        .add_reservist(NewReservist {
            citizen_id: lan.id,
            class: ReservistClass::Class1,
            specialty: "2B".into(),
            rank: None,
            registered_on: date!(2020 - 01 - 01),
        })
        .await
        .unwrap();
    s.accept_assignments(&[(rv.id, pos.id)], date!(2025 - 01 - 01))
        .await
        .unwrap();

    // Links from the militia pages, the form and the template.
    let unit_page = app.get(&format!("/militia/{}", platoon.id), Some(&admin)).await;
    assert!(
        unit_page
            .body
            .contains(&format!("href=\"/militia/{}/import\"", platoon.id))
            && unit_page
                .body
                .contains(&format!("href=\"/militia/{}/thanh-vien.xlsx\"", platoon.id)),
        "{}",
        unit_page.body
    );
    assert!(app
        .get("/militia", Some(&admin))
        .await
        .body
        .contains("href=\"/militia/thanh-vien.xlsx\""));
    let form = app.get(&format!("/militia/{}/import", platoon.id), Some(&admin)).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("mau-nhap-dan-quan-tu-ve.xlsx"), "{}", form.body);
    let t = download(&app, "/militia/import/mau-nhap-dan-quan-tu-ve.xlsx", &admin).await;
    assert_eq!(t.status, StatusCode::OK);
    let (head, _) = read_xlsx(&t.bytes);
    assert_eq!(
        head,
        phongthu_store::MILITIA_COLUMNS
            .iter()
            .map(|c| c.header)
            .collect::<Vec<_>>()
    );
    let leader = app.login("lanhdao").await;
    let other = app.login("chihuy.xa2").await;
    assert_eq!(
        app.get(&format!("/militia/{}/import", platoon.id), Some(&leader))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&format!("/militia/{}/import", platoon.id), Some(&other))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // One good row and five bad ones.
    let headers = [
        "Số định danh cá nhân",
        "Họ và tên",
        "Ngày vào đơn vị",
        "Chức vụ",
        "Tình nguyện",
    ];
    let file = xlsx(
        &headers,
        vec![
            vec!["033200000101", "Nguyễn Văn An", "10/01/2026", "Trung đội trưởng", ""],
            vec!["0332000001", "", "10/01/2026", "", ""],
            vec!["033098000102", "", "31/02/2026", "", ""],
            vec!["033200000101", "", "10/01/2026", "", ""],
            vec!["033095000104", "", "10/01/2026", "", ""],
            vec!["033201000107", "", "10/01/2026", "", ""],
        ],
    );
    let before = app.audit_count().await;
    let r = import_file(
        &app,
        &admin,
        platoon.id,
        &admin.csrf,
        "all_or_nothing",
        "dq.xlsx",
        &file,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains("Không nhập thành viên nào: 5 trong 6 dòng"),
        "{}",
        r.body
    );
    for (row, col, reason) in [
        (3, "Số định danh cá nhân", "phải gồm đúng 12 chữ số"),
        (4, "Ngày vào đơn vị", "không tồn tại"),
        (5, "Số định danh cá nhân", "trùng với dòng 2"),
        (6, "Ngày vào đơn vị", "Đại đội vận tải 1"),
        (7, "Số định danh cá nhân", "nơi cư trú"),
    ] {
        let line = r
            .body
            .lines()
            .flat_map(|l| l.split("<li>"))
            .find(|l| l.starts_with(&format!("Dòng {row}, cột ")))
            .unwrap_or_else(|| panic!("row {row}: {}", r.body));
        assert!(line.contains(col) && line.contains(reason), "{line}");
    }
    assert_eq!(app.audit_count().await, before, "all or nothing writes nothing");
    let link = rejects_link(&r.body).expect("the rejected rows as a file");
    let rejected = download(&app, &link, &admin).await;
    assert_eq!(rejected.status, StatusCode::OK);
    let (rh, rr) = read_xlsx(&rejected.bytes);
    assert_eq!(rh.last().map(String::as_str), Some("Lý do bị từ chối"));
    assert_eq!(
        rr.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(),
        [
            "0332000001",
            "033098000102",
            "033200000101",
            "033095000104",
            "033201000107"
        ]
    );
    assert!(rr[4][5].contains("nơi cư trú"), "{:?}", rr[4]);
    // Only the importer may fetch the file.
    assert_eq!(download(&app, &link, &other).await.status, StatusCode::NOT_FOUND);
    // Only the download of the rejected rows (a file of personal data) was recorded.
    let before = before + 1;

    // A forged token and a reader write nothing.
    let r = import_file(&app, &admin, platoon.id, "gia-mao", "valid_only", "dq.xlsx", &file).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = import_file(&app, &leader, platoon.id, &leader.csrf, "valid_only", "dq.xlsx", &file).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = import_file(&app, &other, platoon.id, &other.csrf, "valid_only", "dq.xlsx", &file).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(app.audit_count().await, before);

    // Valid rows only: An alone is saved (his entry and the import's).
    let r = import_file(&app, &admin, platoon.id, &admin.csrf, "valid_only", "dq.xlsx", &file).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body
            .contains("Đã nhập 1 thành viên vào Trung đội cơ động số 1 từ 6 dòng dữ liệu; 5 dòng bị từ chối."),
        "{}",
        r.body
    );
    assert!(rejects_link(&r.body).is_some());
    assert_eq!(app.audit_count().await, before + 2);
    let page = app.get(&format!("/militia/{}", platoon.id), Some(&admin)).await;
    assert!(page.body.contains("Nguyễn Văn An") && page.body.contains("Trung đội trưởng"));

    // CSV with semicolons, as Excel writes it in Vietnamese locales: Bình, and Hoa volunteering.
    let csv = "Số CCCD;Ngày vào;Tình nguyện\r\n033098000102;10/01/2026;\r\n033184000103;10/01/2026;Có\r\n";
    let r = import_file(
        &app,
        &admin,
        platoon.id,
        &admin.csrf,
        "all_or_nothing",
        "dq.csv",
        csv.as_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Đã nhập 2 thành viên"), "{}", r.body);
    assert!(rejects_link(&r.body).is_none());

    // The unit's export, read back by the import into the fresh unit: every column understood,
    // and the ledger reports that each person still serves in the first platoon.
    let export = download(&app, &format!("/militia/{}/thanh-vien.xlsx", platoon.id), &admin).await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(export.disposition.contains(".xlsx"), "{}", export.disposition);
    let (eh, er) = read_xlsx(&export.bytes);
    assert_eq!(
        eh,
        phongthu_store::militia_export_headers()
            .iter()
            .map(|(h, _)| h.to_string())
            .collect::<Vec<_>>()
    );
    assert_eq!(er.len(), 3);
    assert_eq!(
        er[0][..5],
        [
            "033200000101",
            "Nguyễn Văn An",
            "02/04/2000",
            "10/01/2026",
            "Trung đội trưởng"
        ]
    );
    let r = import_file(
        &app,
        &admin,
        fresh.id,
        &admin.csrf,
        "valid_only",
        "export.xlsx",
        &export.bytes,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body
            .contains("Đã nhập 0 thành viên vào Trung đội tại chỗ số 2 từ 3 dòng dữ liệu; 3 dòng bị từ chối."),
        "{}",
        r.body
    );
    assert!(!r.body.contains("Bỏ qua các cột"), "{}", r.body);
    assert_eq!(r.body.matches("(Trung đội cơ động số 1)").count(), 3, "{}", r.body);
    // After they leave the first platoon, the export with the new joining day moves them.
    for m in s.members(platoon.id).await.unwrap() {
        s.member_leaves(m.id, date!(2026 - 02 - 28)).await.unwrap();
    }
    let moved: Vec<Vec<String>> = er
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r[3] = "01/03/2026".into();
            r
        })
        .collect();
    let eh_ref: Vec<&str> = eh.iter().map(String::as_str).collect();
    let file = xlsx(
        &eh_ref,
        moved.iter().map(|r| r.iter().map(String::as_str).collect()).collect(),
    );
    let r = import_file(
        &app,
        &admin,
        fresh.id,
        &admin.csrf,
        "all_or_nothing",
        "export.xlsx",
        &file,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("Đã nhập 3 thành viên vào Trung đội tại chỗ số 2"),
        "{}",
        r.body
    );
    let again = download(&app, &format!("/militia/{}/thanh-vien.xlsx", fresh.id), &admin).await;
    let (_, fr) = read_xlsx(&again.bytes);
    let strip =
        |rows: &[Vec<String>]| -> Vec<Vec<String>> { rows.iter().map(|r| [&r[..3], &r[4..7]].concat()).collect() };
    assert_eq!(strip(&fr), strip(&er), "same people, posts, volunteers, sexes");

    // The scope-wide export: another commune's commander gets none of these; the unit's is hidden.
    let mine = download(&app, "/militia/thanh-vien.xlsx", &admin).await;
    assert_eq!(read_xlsx(&mine.bytes).1.len(), 3);
    let theirs = download(&app, "/militia/thanh-vien.xlsx", &other).await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert!(read_xlsx(&theirs.bytes).1.is_empty());
    assert_eq!(
        download(&app, &format!("/militia/{}/thanh-vien.xlsx", fresh.id), &other)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
