//! HTTP tests of the defence and security education pages, on a scratch database with
//! the demo data (SQLite, or PostgreSQL when PHONGTHU_TEST_DATABASE_URL is set): cadres, a course
//! with attendance, the no-certificate list as HTML, Excel, DOCX and PDF, the course's list; a
//! commander of another commune cannot see or change; an import with a bad row changes nothing;
//! forged CSRF and read-only roles write nothing.

use axum::http::StatusCode;

mod support;
use support::*;

fn multipart(fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----phongthu-edu-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The id at the end of a redirect such as `/giao-duc-qp/can-bo/7`.
fn last_id(location: &str) -> String {
    location.rsplit('/').next().unwrap().to_string()
}

#[tokio::test]
async fn cadres_course_list_and_documents() {
    let app = App::new().await;
    let admin = app.login("quantri").await;
    let a = app.demo.commune_command_ids[0].to_string();
    let pc = app.demo.province_command_id.to_string();

    let page = app.get("/giao-duc-qp", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("href=\"/giao-duc-qp\" aria-current=\"page\""),
        "nav entry"
    );
    assert!(page.body.contains("Hướng dẫn 90/HD-HĐGDQPAN"));
    assert!(page.body.contains("chưa được xác minh"));
    assert!(
        page.body.contains("Giấy chứng nhận không hết hạn"),
        "certificates do not expire"
    );
    let page = app.get("/giao-duc-qp/cai-dat", Some(&admin)).await;
    assert!(!page.body.contains("validity_months"), "no validity to set");
    assert!(page.body.contains("không hết hạn"));

    // Bad input and a forged token write nothing.
    let before = app.audit_count().await;
    let cadre = |csrf: String, name: &'static str, category: &'static str| {
        let (app, admin, a) = (&app, admin.clone(), a.clone());
        async move {
            app.post(
                "/giao-duc-qp/can-bo",
                Some(&admin),
                &[
                    ("_csrf", &csrf),
                    ("unit_id", &a),
                    ("full_name", name),
                    ("birth_date", "15/04/1978"),
                    ("national_id", ""),
                    ("position", "Phó Chủ tịch UBND xã"),
                    ("agency", "UBND xã"),
                    ("category", category),
                ],
            )
            .await
        }
    };
    let r = cadre(admin.csrf.clone(), "  ", "4").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("Họ và tên không được để trống"), "{}", r.body);
    let r = cadre(admin.csrf.clone(), "Nguyễn Văn Bình", "9").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("chỉ có đối tượng 1 đến 4"), "{}", r.body);
    let r = cadre("gia-mao".into(), "Nguyễn Văn Bình", "4").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.audit_count().await, before);

    let r = cadre(admin.csrf.clone(), "Nguyễn Văn Bình", "4").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let binh = last_id(r.location());
    let r = cadre(admin.csrf.clone(), "Nguyễn Văn Bình", "4").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "one person, one record: {}", r.body);
    let r = cadre(admin.csrf.clone(), "Lê Thị An", "3").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let an = last_id(r.location());

    // A course at the province with attendance.
    let r = app
        .post(
            "/giao-duc-qp/khoa",
            Some(&admin),
            &[
                ("_csrf", &admin.csrf),
                ("unit_id", &pc),
                ("name", "Bồi dưỡng đối tượng 4 năm 2026"),
                ("category", "4"),
                ("provider", "Trường Quân sự tỉnh"),
                ("place", ""),
                ("start", "05/08/2026"),
                ("end", "01/08/2026"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("ngày kết thúc trước ngày bắt đầu"), "{}", r.body);
    let r = app
        .post(
            "/giao-duc-qp/khoa",
            Some(&admin),
            &[
                ("_csrf", &admin.csrf),
                ("unit_id", &pc),
                ("name", "Bồi dưỡng đối tượng 4 năm 2026"),
                ("category", "4"),
                ("provider", "Trường Quân sự tỉnh"),
                ("place", "Trung đoàn 1"),
                ("start", "05/08/2026"),
                ("end", "30/08/2026"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let course_url = r.location().to_string();
    let page = app.get(&course_url, Some(&admin)).await;
    assert!(
        page.body.contains("Nguyễn Văn Bình — Phó Chủ tịch UBND xã"),
        "candidate: {}",
        page.body
    );
    let attend = |cadre: String, number: &'static str, date: &'static str, result: &'static str| {
        let (app, admin, url) = (&app, admin.clone(), format!("{course_url}/hoc-vien"));
        async move {
            app.post(
                &url,
                Some(&admin),
                &[
                    ("_csrf", &admin.csrf),
                    ("cadre_id", &cadre),
                    ("attended", "1"),
                    ("result", result),
                    ("certificate_number", number),
                    ("certificate_date", date),
                ],
            )
            .await
        }
    };
    let before = app.audit_count().await;
    let r = attend(binh.clone(), "01/GCN", "", "good").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("phải có ngày cấp"), "{}", r.body);
    let r = attend(binh.clone(), "01/GCN", "30/08/2026", "fail").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.audit_count().await, before);
    let r = attend(binh.clone(), "01/GCN", "30/08/2026", "good").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = attend(an.clone(), "02/GCN", "30/08/2026", "pass").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&course_url, Some(&admin)).await;
    assert!(page.body.contains("value=\"01/GCN\""), "{}", page.body);

    // The list on 30/09/2026: An (category 3) holds only a category-4 certificate.
    let page = app
        .get("/giao-duc-qp/chua-co-chung-nhan?ngay=30/09/2026", Some(&admin))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Lê Thị An"), "{}", page.body);
    assert!(!page.body.contains("Nguyễn Văn Bình"), "covered");
    assert!(!page.body.contains("còn hiệu lực"), "{}", page.body);
    // Forty years on, Bình's certificate still counts.
    let page = app
        .get("/giao-duc-qp/chua-co-chung-nhan?ngay=30/09/2066", Some(&admin))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("Nguyễn Văn Bình"), "{}", page.body);
    assert!(page.body.contains("chỉ có giấy chứng nhận đối tượng 4"));
    let page = app.get("/giao-duc-qp?ngay=30/09/2026", Some(&admin)).await;
    assert!(page.body.contains("<svg class=\"chart\""), "chart");
    assert!(page.body.contains("50,0%"), "{}", page.body);

    let d = download(&app, "/giao-duc-qp/chua-co-chung-nhan.docx?ngay=30/09/2026", &admin).await;
    assert_docx(&d, "can-bo-chua-co-giay-chung-nhan.docx");
    let d = download(&app, "/giao-duc-qp/chua-co-chung-nhan.pdf?ngay=30/09/2026", &admin).await;
    assert_pdf(&d, "can-bo-chua-co-giay-chung-nhan.pdf");
    if let Some(text) = pdf_text(&d.bytes) {
        assert!(text.contains("DANH SÁCH"), "{text}");
        assert!(text.contains("Lê Thị An"), "{text}");
    }
    let id = last_id(&course_url);
    let d = download(&app, &format!("{course_url}/danh-sach.docx"), &admin).await;
    assert_docx(&d, &format!("danh-sach-hoc-vien-{id}.docx"));
    let d = download(&app, &format!("{course_url}/danh-sach.pdf"), &admin).await;
    assert_pdf(&d, &format!("danh-sach-hoc-vien-{id}.pdf"));
    if let Some(text) = pdf_text(&d.bytes) {
        assert!(text.contains("Nguyễn Văn Bình"), "{text}");
    }
    for url in [
        "/giao-duc-qp/chua-co-chung-nhan.xlsx".to_string(),
        "/giao-duc-qp/can-bo.xlsx".into(),
        "/giao-duc-qp/mau-nhap.xlsx".into(),
        format!("{course_url}/danh-sach.xlsx"),
    ] {
        let d = download(&app, &url, &admin).await;
        assert_eq!(d.status, StatusCode::OK, "{url}");
        assert!(d.bytes.starts_with(b"PK\x03\x04"), "{url}");
    }

    // Scope: the second commune's commander sees neither the cadre nor the province's course,
    // and cannot change them.
    let other = app.login("chihuy.xa2").await;
    let r = app.get(&format!("/giao-duc-qp/can-bo/{binh}"), Some(&other)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.get(&course_url, Some(&other)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.get("/giao-duc-qp/can-bo", Some(&other)).await;
    assert!(!r.body.contains("Nguyễn Văn Bình"));
    let d = download(&app, "/giao-duc-qp/chua-co-chung-nhan.xlsx?ngay=30/09/2026", &other).await;
    assert_eq!(d.status, StatusCode::OK);
    let before = app.audit_count().await;
    let r = app
        .post(
            &format!("/giao-duc-qp/can-bo/{binh}/thoi-theo-doi"),
            Some(&other),
            &[("_csrf", &other.csrf), ("left_on", "01/10/2026")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .post(
            &format!("{course_url}/hoc-vien"),
            Some(&other),
            &[("_csrf", &other.csrf), ("cadre_id", &binh), ("attended", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .post(
            "/giao-duc-qp/can-bo",
            Some(&other),
            &[
                ("_csrf", &other.csrf),
                ("unit_id", &a),
                ("full_name", "Hoàng Văn Em"),
                ("position", "Xã đội trưởng"),
                ("agency", "Ban CHQS xã"),
                ("category", "4"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(app.audit_count().await, before);

    // Leaders read only (logging in is audited).
    let leader = app.login("lanhdao").await;
    let before = app.audit_count().await;
    let page = app.get("/giao-duc-qp/can-bo", Some(&leader)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Nguyễn Văn Bình"));
    assert!(!page.body.contains("Thêm cán bộ</button>"));
    let r = app
        .post(
            "/giao-duc-qp/cai-dat",
            Some(&leader),
            &[("_csrf", &leader.csrf), ("label_1", "Đối tượng 1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(app.audit_count().await, before);
}

#[tokio::test]
async fn import_with_a_bad_row_changes_nothing() {
    let app = App::new().await;
    let admin = app.login("quantri").await;
    let a = app.demo.commune_command_ids[0].to_string();
    let form = app.get("/giao-duc-qp/nhap", Some(&admin)).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("mau-nhap.xlsx"));
    let csv = "Họ và tên;Ngày sinh;Chức vụ;Cơ quan, đơn vị công tác;Đối tượng\n\
               Nguyễn Văn Bình;15/04/1978;Chủ tịch UBND xã;UBND xã;4\n\
               Lê Thị An;01/02/1980;Bí thư Đảng ủy xã;Đảng ủy xã;năm\n";
    let before = app.audit_count().await;
    let (ct, body) = multipart(
        &[
            ("_csrf", &admin.csrf),
            ("unit_id", &a),
            ("course_id", ""),
            ("mode", "all_or_nothing"),
        ],
        "can-bo.csv",
        csv.as_bytes(),
    );
    let r = app.post_multipart("/giao-duc-qp/nhap", Some(&admin), &ct, body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("không thay đổi gì"), "{}", r.body);
    assert!(
        r.body.contains("<td class=\"num\">3</td><td>Đối tượng</td>"),
        "row and column: {}",
        r.body
    );
    assert_eq!(app.audit_count().await, before, "nothing written");
    let list = app.get("/giao-duc-qp/can-bo", Some(&admin)).await;
    assert!(!list.body.contains("Nguyễn Văn Bình"));

    // A forged token is refused before the file is read.
    let (ct, body) = multipart(&[("_csrf", "gia-mao"), ("unit_id", &a)], "can-bo.csv", csv.as_bytes());
    let r = app.post_multipart("/giao-duc-qp/nhap", Some(&admin), &ct, body).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The corrected file goes in.
    let fixed = csv.replace(";năm\n", ";3\n");
    let (ct, body) = multipart(
        &[
            ("_csrf", &admin.csrf),
            ("unit_id", &a),
            ("course_id", ""),
            ("mode", "all_or_nothing"),
        ],
        "can-bo.csv",
        fixed.as_bytes(),
    );
    let r = app.post_multipart("/giao-duc-qp/nhap", Some(&admin), &ct, body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("thêm 2 cán bộ"), "{}", r.body);
    assert_eq!(app.audit_count().await, before + 2);
    let list = app.get("/giao-duc-qp/can-bo", Some(&admin)).await;
    assert!(list.body.contains("Nguyễn Văn Bình") && list.body.contains("Lê Thị An"));

    // Another commune's commander cannot import into this commune (logging in is audited).
    let other = app.login("chihuy.xa2").await;
    let before = app.audit_count().await;
    let (ct, body) = multipart(
        &[("_csrf", &other.csrf), ("unit_id", &a), ("course_id", "")],
        "can-bo.csv",
        fixed.as_bytes(),
    );
    let r = app.post_multipart("/giao-duc-qp/nhap", Some(&other), &ct, body).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(app.audit_count().await, before);
}

#[tokio::test]
async fn cadre_edit_and_enrolment_delete() {
    use phongthu_store::{Attendance, CourseResult, NewCadre, NewCourse};
    use time::macros::date;
    let app = App::new().await;
    let admin = app.login("quantri").await;
    let leader = app.login("lanhdao").await;
    let other = app.login("chihuy.xa2").await;
    let (a, b) = (app.demo.commune_command_ids[0], app.demo.commune_command_ids[1]);
    let system = app.store.system_actor().await.unwrap();
    let s = app.store.scoped(&system);
    let cadre = |name: &str| NewCadre {
        unit_id: a,
        full_name: name.into(),
        position: "Phó Chủ tịch Ủy ban nhân dân xã".into(),
        agency: "Ủy ban nhân dân xã".into(),
        category: 4,
        ..Default::default()
    };
    let lan = s.create_cadre(cadre("Nguyễn Thị Lan")).await.unwrap();
    let minh = s.create_cadre(cadre("Trần Văn Minh")).await.unwrap();
    let course = s
        .create_course(NewCourse {
            unit_id: a,
            name: "Bồi dưỡng đối tượng 4".into(),
            category: 4,
            provider: "Trường Quân sự tỉnh".into(),
            place: None,
            start: date!(2026 - 08 - 05),
            end: date!(2026 - 08 - 30),
        })
        .await
        .unwrap();
    s.record_attendance(
        course.id,
        Attendance {
            cadre_id: lan.id,
            attended: true,
            result: Some(CourseResult::Good),
            certificate_number: Some("12/GCN".into()),
            certificate_date: Some(date!(2026 - 08 - 30)),
        },
    )
    .await
    .unwrap();
    s.record_attendance(
        course.id,
        Attendance {
            cadre_id: minh.id,
            attended: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // The edit form: writers see it, readers do not.
    let url = format!("/giao-duc-qp/can-bo/{}", minh.id);
    let page = app.get(&url, Some(&admin)).await;
    assert!(page.body.contains("Sửa chức vụ, đối tượng"), "{}", page.body);
    assert!(page.body.contains(&format!("action=\"{url}/sua\"")));
    assert!(!app.get(&url, Some(&leader)).await.body.contains("Sửa chức vụ"));
    let edit = |s: &Session, csrf: String, unit: i64, position: &'static str, category: &'static str| {
        let (app, s, url) = (&app, s.clone(), format!("{url}/sua"));
        async move {
            app.post(
                &url,
                Some(&s),
                &[
                    ("_csrf", &csrf),
                    ("unit_id", &unit.to_string()),
                    ("position", position),
                    ("agency", "Ủy ban nhân dân xã Hai"),
                    ("category", category),
                    ("note", "Bầu giữ chức vụ mới"),
                ],
            )
            .await
        }
    };
    let before = app.audit_count().await;
    let r = edit(&admin, "gia-mao".into(), b, "Chủ tịch Ủy ban nhân dân xã", "3").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = edit(&admin, admin.csrf.clone(), b, "  ", "3").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("Chức vụ không được để trống"), "{}", r.body);
    let r = edit(&admin, admin.csrf.clone(), b, "Chủ tịch", "9").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("Đối tượng 9 không hợp lệ"), "{}", r.body);
    let r = edit(&leader, leader.csrf.clone(), b, "Chủ tịch", "3").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = edit(&other, other.csrf.clone(), b, "Chủ tịch", "3").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(app.audit_count().await, before);
    let r = edit(&admin, admin.csrf.clone(), b, "Chủ tịch Ủy ban nhân dân xã", "3").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), format!("{url}?saved=1"));
    assert_eq!(app.audit_count().await, before + 1);
    let page = app.get(r.location(), Some(&admin)).await;
    assert!(page.body.contains("Đã lưu thay đổi."), "{}", page.body);
    assert!(
        page.body.contains("<td>Chủ tịch Ủy ban nhân dân xã</td>"),
        "{}",
        page.body
    );
    // Now category 3 with only a category 4 course: on the list.
    let list = app.get("/giao-duc-qp/chua-co-chung-nhan", Some(&admin)).await;
    assert!(list.body.contains("Trần Văn Minh"), "{}", list.body);
    // Moved to the second commune: that commune's commander now sees him.
    assert_eq!(app.get(&url, Some(&other)).await.status, StatusCode::OK);

    // Deleting an enrolment: offered only without a certificate, confirmed on its own page.
    let course_url = format!("/giao-duc-qp/khoa/{}", course.id);
    let page = app.get(&course_url, Some(&admin)).await;
    let minh_delete = format!("{course_url}/hoc-vien/{}/xoa", minh.id);
    let lan_delete = format!("{course_url}/hoc-vien/{}/xoa", lan.id);
    assert!(page.body.contains(&format!("href=\"{minh_delete}\"")), "{}", page.body);
    assert!(!page.body.contains(&format!("href=\"{lan_delete}\"")), "{}", page.body);
    let confirm = app.get(&minh_delete, Some(&admin)).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(
        confirm.body.contains("khỏi danh sách học viên của khóa"),
        "{}",
        confirm.body
    );
    assert!(confirm.body.contains(&format!("action=\"{minh_delete}\"")));
    let confirm = app.get(&lan_delete, Some(&admin)).await;
    assert!(confirm.body.contains("không xóa được"), "{}", confirm.body);
    assert_eq!(app.get(&minh_delete, Some(&leader)).await.status, StatusCode::FORBIDDEN);

    let before = app.audit_count().await;
    let r = app.post(&lan_delete, Some(&admin), &[("_csrf", &admin.csrf)]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body.contains("đã được cấp giấy chứng nhận số 12/GCN ngày 30/08/2026"),
        "{}",
        r.body
    );
    let r = app.post(&minh_delete, Some(&admin), &[("_csrf", "gia-mao")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.post(&minh_delete, Some(&leader), &[("_csrf", &leader.csrf)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.post(&minh_delete, Some(&other), &[("_csrf", &other.csrf)]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(app.audit_count().await, before);
    let r = app.post(&minh_delete, Some(&admin), &[("_csrf", &admin.csrf)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), course_url);
    assert_eq!(app.audit_count().await, before + 1);
    let page = app.get(&course_url, Some(&admin)).await;
    assert!(!page.body.contains("Trần Văn Minh</a>"), "{}", page.body);
    assert!(page.body.contains("Nguyễn Thị Lan"));
    let r = app.post(&minh_delete, Some(&admin), &[("_csrf", &admin.csrf)]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
