//! HTTP tests of the forces additions, on a scratch database with the demo data (SQLite,
//! or PostgreSQL when PHONGTHU_TEST_DATABASE_URL is set): the reservist import (template, Excel and
//! CSV, per-row errors, all-or-nothing and valid-only, CSRF, roles), militia strength against
//! targets (ratio and commune settings, roll-up, chart, scope, roles) and the forces lists as PDF
//! and DOCX.

use axum::http::StatusCode;
use phongthu_documents::tabular::{write_xlsx, ColumnSpec, TabularReader};
use phongthu_domain::militia::{Echelon, MilitiaKind};
use phongthu_domain::nvqs::Sex;
use phongthu_domain::reserve::{EquipmentKind, ReservistClass};
use phongthu_store::{
    Actor, EquipmentCondition, NewCitizen, NewEquipment, NewMilitiaMember, NewMilitiaUnit, NewPosition, NewReserveUnit,
    NewReservist,
};
use time::macros::date;

mod support;
use support::*;

async fn actor(app: &App, username: &str) -> Actor {
    app.store
        .login(username, phongthu_store::DEMO_PASSWORD)
        .await
        .unwrap()
        .actor
}

fn citizen(unit: i64, name: &str, birth: time::Date, nid: &str) -> NewCitizen {
    let mut c = NewCitizen::new(unit, name, birth, Sex::Male);
    c.national_id = Some(nid.to_string());
    c
}

fn multipart(fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----phongthu-forces-boundary";
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

async fn import(app: &App, s: &Session, csrf: &str, mode: &str, name: &str, file: &[u8]) -> Resp {
    let (ct, body) = multipart(&[("_csrf", csrf), ("mode", mode)], name, file);
    app.post_multipart("/reserve/import", Some(s), &ct, body).await
}

/// The text of a DOCX (through the documents crate's reader).
fn docx_text(bytes: &[u8]) -> String {
    let tmp = tempfile::Builder::new().suffix(".docx").tempfile().unwrap();
    std::fs::write(tmp.path(), bytes).unwrap();
    phongthu_documents::read_document(tmp.path(), &mut |_| {}).unwrap().text
}

#[tokio::test]
async fn reservist_import_from_excel_and_csv() {
    let app = App::new().await;
    let admin = app.login("quantri").await;
    let a = app.demo.commune_command_ids[0];
    let system = actor(&app, "quantri").await;
    let s = app.store.scoped(&system);
    s.create_citizen(citizen(a, "Nguyễn Văn An", date!(1998 - 01 - 01), "033098000001"))
        .await
        .unwrap();
    s.create_citizen(citizen(a, "Trần Văn Bình", date!(1997 - 01 - 01), "033097000002"))
        .await
        .unwrap();
    let unit = s
        .create_reserve_unit(NewReserveUnit {
            unit_id: a,
            name: "Đại đội vận tải 1".into(),
            combat: false,
            spare_percent: 10,
        })
        .await
        .unwrap();
    s.add_position(NewPosition {
        reserve_unit_id: unit.id,
        title: "Lái xe".into(),
        specialty: "2B".into(),
        rank: None,
        count: 2,
    })
    .await
    .unwrap();

    // The form and the template.
    let page = app.get("/reserve/import", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("mau-nhap-quan-nhan-du-bi.xlsx"), "{}", page.body);
    let reserve = app.get("/reserve", Some(&admin)).await;
    assert!(reserve.body.contains("href=\"/reserve/import\""));
    let t = download(&app, "/reserve/import/mau-nhap-quan-nhan-du-bi.xlsx", &admin).await;
    assert_eq!(t.status, StatusCode::OK);
    let reader = TabularReader::from_bytes(t.bytes.clone()).unwrap();
    assert_eq!(
        reader.headers,
        phongthu_store::RESERVIST_COLUMNS
            .iter()
            .map(|c| c.header)
            .collect::<Vec<_>>()
    );
    let leader = app.login("lanhdao").await;
    assert_eq!(
        app.get("/reserve/import", Some(&leader)).await.status,
        StatusCode::FORBIDDEN
    );

    // An Excel file with one good row and one unknown ID: all or nothing refuses it all.
    let cols: Vec<ColumnSpec<'_>> = [
        "Số định danh cá nhân",
        "Họ và tên",
        "Hạng",
        "Chuyên nghiệp quân sự",
        "Ngày đăng ký",
        "Đơn vị dự bị động viên",
        "Chức danh",
    ]
    .iter()
    .map(|h| ColumnSpec {
        header: h,
        text: true,
        width: 0.0,
    })
    .collect();
    let xlsx = write_xlsx(
        "Quân nhân dự bị",
        &cols,
        vec![
            vec![
                "033098000001",
                "Nguyễn Văn An",
                "1",
                "2B",
                "15/01/2024",
                "Đại đội vận tải 1",
                "Lái xe",
            ],
            vec!["033000999999", "", "1", "1A", "15/01/2024", "", ""],
        ],
    )
    .unwrap();
    let before = app.audit_count().await;
    let r = import(&app, &admin, &admin.csrf, "all_or_nothing", "dbdv.xlsx", &xlsx).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Không nhập quân nhân dự bị nào"), "{}", r.body);
    assert!(
        r.body
            .contains("Dòng 3, cột &quot;Số định danh cá nhân&quot;: Không có công dân mang số định danh 033000999999")
            || r.body.contains(
                "Dòng 3, cột &#34;Số định danh cá nhân&#34;: Không có công dân mang số định danh 033000999999"
            ),
        "{}",
        r.body
    );
    assert_eq!(app.audit_count().await, before);
    // A forged token writes nothing either.
    let r = import(&app, &admin, "gia-mao", "valid_only", "dbdv.xlsx", &xlsx).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.audit_count().await, before);
    // Valid rows only: An is entered and placed.
    let r = import(&app, &admin, &admin.csrf, "valid_only", "dbdv.xlsx", &xlsx).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body
            .contains("Đã nhập 1 quân nhân dự bị từ 2 dòng dữ liệu (sắp xếp vào đơn vị 1 người); 1 dòng bị từ chối."),
        "{}",
        r.body
    );
    assert_eq!(app.audit_count().await, before + 3);
    let unit_page = app.get(&format!("/reserve/units/{}", unit.id), Some(&admin)).await;
    assert!(unit_page.body.contains("Nguyễn Văn An"), "{}", unit_page.body);

    // CSV (semicolons, as Excel writes in Vietnamese locales): Bình; An again is refused.
    let csv = "Số CCCD;Hạng;CNQS;Ngày đăng ký\r\n033097000002;2;1A;01/02/2024\r\n033098000001;1;1A;01/02/2024\r\n";
    let r = import(&app, &admin, &admin.csrf, "valid_only", "dbdv.csv", csv.as_bytes()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Đã nhập 1 quân nhân dự bị"), "{}", r.body);
    assert!(r.body.contains("đã có hồ sơ quân nhân dự bị"), "{}", r.body);
    let list = app.get("/reserve", Some(&admin)).await;
    assert!(list.body.contains("Trần Văn Bình"), "{}", list.body);
    // A file without the required columns is refused as a whole.
    let r = import(
        &app,
        &admin,
        &admin.csrf,
        "valid_only",
        "x.csv",
        "Họ và tên\r\nAn\r\n".as_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("thiếu cột bắt buộc"), "{}", r.body);
}

#[tokio::test]
async fn militia_targets_dashboard_and_settings() {
    let app = App::new().await;
    let admin = app.login("quantri").await;
    let (a, b) = (app.demo.commune_command_ids[0], app.demo.commune_command_ids[1]);
    let system = actor(&app, "quantri").await;
    let s = app.store.scoped(&system);
    let platoon = s
        .create_militia_unit(NewMilitiaUnit {
            unit_id: a,
            kind: MilitiaKind::OnSite,
            echelon: Echelon::Squad,
            name: "Tiểu đội tại chỗ".into(),
        })
        .await
        .unwrap();
    for name in ["Nguyễn Văn Một", "Trần Văn Hai"] {
        let c = s
            .create_citizen(NewCitizen::new(a, name, date!(1995 - 01 - 01), Sex::Male))
            .await
            .unwrap();
        s.add_member(NewMilitiaMember {
            militia_unit_id: platoon.id,
            citizen_id: c.id,
            post: None,
            volunteer: false,
            joined_on: date!(2025 - 01 - 01),
        })
        .await
        .unwrap();
    }
    let province = s
        .org_unit(app.demo.province_command_id)
        .await
        .unwrap()
        .province_code
        .unwrap();

    let page = app.get("/militia/targets", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("không phải quy định của luật"), "{}", page.body);
    assert!(page.body.contains("Lưu tỷ lệ"));
    assert!(app
        .get("/militia", Some(&admin))
        .await
        .body
        .contains("href=\"/militia/targets\""));

    // Logins are audited: log everyone in before counting.
    let commander = app.login("chihuy").await;
    let leader = app.login("lanhdao").await;
    let before = app.audit_count().await;
    let ratio = |csrf: String, percent: &'static str| {
        let (app, admin, province) = (&app, admin.clone(), province.clone());
        async move {
            app.post(
                "/militia/targets/ratio",
                Some(&admin),
                &[("_csrf", &csrf), ("province_code", &province), ("percent", percent)],
            )
            .await
        }
    };
    let r = ratio(admin.csrf.clone(), "abc").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("Tỷ lệ \"abc\" không hợp lệ")
            || r.body.contains("Tỷ lệ &quot;abc&quot; không hợp lệ")
            || r.body.contains("Tỷ lệ &#34;abc&#34; không hợp lệ"),
        "{}",
        r.body
    );
    let r = ratio(admin.csrf.clone(), "0").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = ratio("gia-mao".into(), "1,3").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.audit_count().await, before);
    let r = ratio(admin.csrf.clone(), "1,3").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(app.audit_count().await, before + 1);

    // A commune's setting: population → target by the ratio.
    let edit = app.get(&format!("/militia/targets/{a}"), Some(&admin)).await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(edit.body.contains("1,30 %"), "{}", edit.body);
    let r = app
        .post(
            &format!("/militia/targets/{a}"),
            Some(&admin),
            &[
                ("_csrf", &admin.csrf),
                ("population", "200"),
                ("target", ""),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .post(
            &format!("/militia/targets/{b}"),
            Some(&admin),
            &[
                ("_csrf", &admin.csrf),
                ("population", "nhiều"),
                ("target", "5"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("phải là một số nguyên không âm"), "{}", r.body);
    let page = app.get("/militia/targets", Some(&admin)).await;
    assert!(page.body.contains("Theo tỷ lệ 1,30 % dân số"), "{}", page.body);
    assert!(page.body.contains("<svg class=\"chart\""), "{}", page.body);
    // 200 × 1.30 % = 2.6 → 3; two members.
    assert!(page.body.contains("2 / 3 (66,7 %)"), "{}", page.body);
    assert_eq!(app.audit_count().await, before + 2);

    // A commune commander: sees his commune, cannot set the ratio or another commune's target.
    let page = app.get("/militia/targets", Some(&commander)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("Lưu tỷ lệ"));
    let r = app
        .post(
            "/militia/targets/ratio",
            Some(&commander),
            &[
                ("_csrf", &commander.csrf),
                ("province_code", &province),
                ("percent", "2"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app
        .post(
            &format!("/militia/targets/{b}"),
            Some(&commander),
            &[
                ("_csrf", &commander.csrf),
                ("population", "1"),
                ("target", "1"),
                ("note", ""),
            ],
        )
        .await;
    assert!(
        matches!(r.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
        "{}",
        r.status
    );
    // A leader reads only.
    let page = app.get("/militia/targets", Some(&leader)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("Sửa chỉ tiêu") && !page.body.contains("Lưu tỷ lệ"));
    let r = app
        .post(
            &format!("/militia/targets/{a}"),
            Some(&leader),
            &[
                ("_csrf", &leader.csrf),
                ("population", "1"),
                ("target", ""),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.audit_count().await, before + 2);
}

#[tokio::test]
async fn forces_lists_as_pdf_and_docx() {
    let app = App::new().await;
    let admin = app.login("quantri").await;
    let (a, b) = (app.demo.commune_command_ids[0], app.demo.commune_command_ids[1]);
    let system = actor(&app, "quantri").await;
    let s = app.store.scoped(&system);
    let platoon = s
        .create_militia_unit(NewMilitiaUnit {
            unit_id: a,
            kind: MilitiaKind::Mobile,
            echelon: Echelon::Platoon,
            name: "Trung đội cơ động số 1".into(),
        })
        .await
        .unwrap();
    let mut members = vec![];
    for (name, joined) in [
        ("Nguyễn Văn Một", date!(2022 - 07 - 01)),
        ("Trần Văn Hai", date!(2025 - 01 - 01)),
    ] {
        let c = s
            .create_citizen(NewCitizen::new(a, name, date!(1995 - 01 - 01), Sex::Male))
            .await
            .unwrap();
        members.push(
            s.add_member(NewMilitiaMember {
                militia_unit_id: platoon.id,
                citizen_id: c.id,
                post: None,
                volunteer: false,
                joined_on: joined,
            })
            .await
            .unwrap(),
        );
    }
    // Hai trained 4 of the 12 days of 2026 (second year, mobile); Một all 12.
    s.record_training(members[1].id, 2026, 4).await.unwrap();
    s.record_training(members[0].id, 2026, 12).await.unwrap();
    let reservist = s
        .create_citizen(NewCitizen::new(a, "Lê Văn Ba", date!(1996 - 01 - 01), Sex::Male))
        .await
        .unwrap();
    let r = s
        .add_reservist(NewReservist {
            citizen_id: reservist.id,
            class: ReservistClass::Class1,
            specialty: "2B".into(),
            rank: Some("Trung sĩ".into()),
            registered_on: date!(2024 - 01 - 01),
        })
        .await
        .unwrap();
    let unit = s
        .create_reserve_unit(NewReserveUnit {
            unit_id: a,
            name: "Đại đội vận tải 1".into(),
            combat: false,
            spare_percent: 10,
        })
        .await
        .unwrap();
    let p = s
        .add_position(NewPosition {
            reserve_unit_id: unit.id,
            title: "Lái xe".into(),
            specialty: "2B".into(),
            rank: None,
            count: 2,
        })
        .await
        .unwrap();
    s.accept_assignments(&[(r.id, p.id)], date!(2026 - 03 - 01))
        .await
        .unwrap();
    s.add_equipment(NewEquipment {
        unit_id: a,
        kind: EquipmentKind::Truck,
        owner: "Hợp tác xã Đông Hưng".into(),
        plate: "89C-111.22".into(),
        capacity: Some("5 tấn".into()),
        condition: EquipmentCondition::Good,
    })
    .await
    .unwrap();

    let militia = format!("/militia/{}/danh-sach", platoon.id);
    let reserve = format!("/reserve/units/{}/danh-sach", unit.id);
    let cases: Vec<(String, String, Vec<&str>)> = vec![
        (
            militia.clone(),
            format!("danh-sach-dan-quan-tu-ve-{}", platoon.id),
            vec!["DANH SÁCH", "Trung đội cơ động số 1", "Nguyễn Văn Một", "Trần Văn Hai"],
        ),
        (
            "/militia/het-han".into(),
            "dan-quan-het-han-2026".into(),
            // The unit comes from the member records read beside the list.
            vec!["hết thời hạn", "Nguyễn Văn Một", "30/06/2026", "Trung đội cơ động số 1"],
        ),
        (
            "/militia/thieu-huan-luyen".into(),
            "dan-quan-thieu-huan-luyen-2026".into(),
            vec!["huấn luyện", "Trần Văn Hai", "Trung đội cơ động số 1"],
        ),
        (
            reserve.clone(),
            format!("danh-sach-sap-xep-dbdv-{}", unit.id),
            vec!["Đại đội vận tải 1", "Lê Văn Ba", "Lái xe", "01/03/2026"],
        ),
        (
            "/reserve/equipment/danh-sach".into(),
            "phuong-tien-ky-thuat-du-bi".into(),
            vec!["Phương tiện kỹ thuật dự bị", "89C-111.22", "Hợp tác xã Đông Hưng"],
        ),
    ];
    for (path, stem, expected) in &cases {
        let query = if path.starts_with("/militia/het-han") || path.starts_with("/militia/thieu") {
            "?year=2026"
        } else {
            ""
        };
        let d = download(&app, &format!("{path}.docx{query}"), &admin).await;
        assert_docx(&d, &format!("{stem}.docx"));
        let text = docx_text(&d.bytes);
        for e in expected {
            assert!(text.contains(e), "{path}.docx: \"{e}\" in {text}");
        }
        assert!(
            text.contains("Bộ Chỉ huy Quân sự") || text.contains("BỘ CHỈ HUY QUÂN SỰ"),
            "issuer: {text}"
        );
        let d = download(&app, &format!("{path}.pdf{query}"), &admin).await;
        assert_pdf(&d, &format!("{stem}.pdf"));
        if let Some(text) = pdf_text(&d.bytes) {
            // Table cells wrap in the PDF's narrow columns, and pdftotext reads them line by line:
            // look for each word.
            for e in expected {
                for w in e.split_whitespace() {
                    assert!(text.contains(w), "{path}.pdf: \"{w}\" of \"{e}\" in {text}");
                }
            }
        }
    }
    // Only the short member is in the shortfall list; only the member ending in 2026 in the other.
    let d = download(&app, "/militia/thieu-huan-luyen.docx?year=2026", &admin).await;
    assert!(!docx_text(&d.bytes).contains("Nguyễn Văn Một"));
    let d = download(&app, "/militia/het-han.docx?year=2026", &admin).await;
    assert!(!docx_text(&d.bytes).contains("Trần Văn Hai"));
    let d = download(&app, "/militia/het-han.docx?year=20x6", &admin).await;
    assert_eq!(d.status, StatusCode::BAD_REQUEST);

    // Scope: the second commune's commander gets neither unit's list, and his lists are empty.
    let other = app.login("chihuy.xa2").await;
    assert_eq!(app.unit_of("chihuy.xa2"), b);
    for path in [&militia, &reserve] {
        let d = download(&app, &format!("{path}.pdf"), &other).await;
        assert_eq!(d.status, StatusCode::NOT_FOUND, "{path}");
    }
    let d = download(&app, "/reserve/equipment/danh-sach.docx", &other).await;
    assert_docx(&d, "phuong-tien-ky-thuat-du-bi.docx");
    let text = docx_text(&d.bytes);
    assert!(
        !text.contains("89C-111.22") && text.contains("Chưa có phương tiện"),
        "{text}"
    );
    // The pages link to the lists.
    let page = app.get(&format!("/militia/{}", platoon.id), Some(&admin)).await;
    assert!(page.body.contains(&format!("{militia}.pdf")));
    let page = app.get(&format!("/reserve/units/{}", unit.id), Some(&admin)).await;
    assert!(page.body.contains(&format!("{reserve}.docx")));
}

#[tokio::test]
async fn equipment_import_page() {
    let app = App::new().await;
    let admin = app.login("quantri").await;
    let a = app.demo.commune_command_ids[0];
    let page = app.get("/reserve/equipment/import", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("mau-nhap-phuong-tien.xlsx") && page.body.contains("name=\"unit_id\""));
    assert!(app
        .get("/reserve/equipment", Some(&admin))
        .await
        .body
        .contains("href=\"/reserve/equipment/import\""));
    let t = download(&app, "/reserve/equipment/import/mau-nhap-phuong-tien.xlsx", &admin).await;
    let headers = TabularReader::from_bytes(t.bytes).unwrap().headers;
    assert_eq!(headers[0], "Loại phương tiện");
    let csv = "Loại phương tiện,Chủ phương tiện,Biển số\r\nXe tải từ 2,5 tấn trở lên,HTX Đông Hưng,89C-555.66\r\nXe máy,An,89B1-1\r\n";
    // The kind has a comma: quote it as a spreadsheet would.
    let csv = csv.replace("Xe tải từ 2,5 tấn trở lên", "\"Xe tải từ 2,5 tấn trở lên\"");
    let unit = a.to_string();
    let send = |mode: &'static str| {
        let (app, admin, csv, unit) = (&app, admin.clone(), csv.clone(), unit.clone());
        async move {
            let (ct, body) = multipart(
                &[("_csrf", &admin.csrf), ("unit_id", &unit), ("mode", mode)],
                "ptkt.csv",
                csv.as_bytes(),
            );
            app.post_multipart("/reserve/equipment/import", Some(&admin), &ct, body)
                .await
        }
    };
    let before = app.audit_count().await;
    let r = send("all_or_nothing").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Dòng 3, cột"), "{}", r.body);
    assert_eq!(app.audit_count().await, before);
    let r = send("valid_only").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body
            .contains("Đã nhập 1 phương tiện kỹ thuật dự bị từ 2 dòng dữ liệu"),
        "{}",
        r.body
    );
    assert_eq!(app.audit_count().await, before + 2);
    let list = app.get("/reserve/equipment", Some(&admin)).await;
    assert!(list.body.contains("89C-555.66"), "{}", list.body);
    let leader = app.login("lanhdao").await;
    assert_eq!(
        app.get("/reserve/equipment/import", Some(&leader)).await.status,
        StatusCode::FORBIDDEN
    );
}
