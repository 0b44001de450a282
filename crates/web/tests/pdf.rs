//! The official reports as PDF: every DOCX download has a PDF twin from the same handler, with the
//! same scope rules. The text is read back with `pdftotext` (poppler-utils) when it is installed;
//! with `PHONGTHU_REQUIRE_OCR=1` (as in CI) a missing `pdftotext` fails the tests.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use phongthu_domain::directive::DocumentKind;
use phongthu_store::NewDocument;
use support::{assert_docx, assert_pdf, download, pdf_text, App, Session};

/// A cycle of the province with one eligible man in the first commune; returns its URL.
async fn cycle_with_a_citizen(app: &App, admin: &Session) -> String {
    let province = app.demo.province_command_id.to_string();
    let r = app
        .post(
            "/nvqs",
            Some(admin),
            &[
                ("_csrf", &admin.csrf),
                ("unit_id", &province),
                ("year", "2026"),
                ("quota", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let cycle_url = r.location().to_string();
    let first = app.demo.commune_command_ids[0].to_string();
    let r = app
        .post(
            "/citizens",
            Some(admin),
            &[
                ("_csrf", &admin.csrf),
                ("unit_id", &first),
                ("full_name", "Nguyễn Văn An"),
                ("birth_date", "01/03/2004"),
                ("sex", "male"),
                ("education_grade", "12/12"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    cycle_url
}

#[tokio::test]
async fn cycle_report_and_public_list_come_as_pdf_too() {
    let app = App::new().await;
    let admin = app.login("quantri").await;
    let cycle_url = cycle_with_a_citizen(&app, &admin).await;
    let first = app.demo.commune_command_ids[0];

    // The cycle page links both formats.
    let page = app.get(&cycle_url, Some(&admin)).await;
    for link in [
        format!("{cycle_url}/bao-cao.docx"),
        format!("{cycle_url}/bao-cao.pdf"),
        format!("{cycle_url}/cong-khai/{first}/danh-sach.docx"),
        format!("{cycle_url}/cong-khai/{first}/danh-sach.pdf"),
    ] {
        assert!(page.body.contains(&format!("href=\"{link}\"")), "{link}: {}", page.body);
    }

    let report = download(&app, &format!("{cycle_url}/bao-cao.pdf"), &admin).await;
    assert_pdf(&report, "phan-chi-tieu-2026.pdf");
    if let Some(text) = pdf_text(&report.bytes) {
        for needle in [
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "BÁO CÁO",
            "Phân chỉ tiêu gọi công dân nhập ngũ năm 2026",
            "Lý do điều chỉnh",
        ] {
            assert!(text.contains(needle), "{needle} missing from:\n{text}");
        }
    }
    let docx = download(&app, &format!("{cycle_url}/bao-cao.docx"), &admin).await;
    assert_docx(&docx, "phan-chi-tieu-2026.docx");

    let list = download(&app, &format!("{cycle_url}/cong-khai/{first}/danh-sach.pdf"), &admin).await;
    let name = format!("danh-sach-cong-khai-2026-{first}");
    assert_pdf(&list, &format!("{name}.pdf"));
    if let Some(text) = pdf_text(&list.bytes) {
        assert!(
            text.contains("DANH SÁCH") && text.contains("Nguyễn Văn An") && text.contains("ĐỦ ĐIỀU KIỆN"),
            "{text}"
        );
    }
    for path in [
        format!("{cycle_url}/cong-khai/{first}/danh-sach.docx"),
        format!("{cycle_url}/cong-khai/{first}"),
    ] {
        assert_docx(&download(&app, &path, &admin).await, &format!("{name}.docx"));
    }

    // Another province's unit: refused in both formats, as before.
    let other = app.other_province_unit().await;
    for path in [
        format!("{cycle_url}/cong-khai/{other}"),
        format!("{cycle_url}/cong-khai/{other}/danh-sach.docx"),
        format!("{cycle_url}/cong-khai/{other}/danh-sach.pdf"),
    ] {
        assert_eq!(
            download(&app, &path, &admin).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    // A commune commander works his own part of the province's cycle: he gets his commune's
    // public list, not the province's report, whatever the format.
    let commander = app.login("chihuy").await;
    for path in [format!("{cycle_url}/bao-cao.docx"), format!("{cycle_url}/bao-cao.pdf")] {
        let d = download(&app, &path, &commander).await;
        assert_eq!(d.status, StatusCode::FORBIDDEN, "{path}");
        assert!(!d.bytes.starts_with(b"%PDF"));
    }
    let d = download(
        &app,
        &format!("{cycle_url}/cong-khai/{first}/danh-sach.pdf"),
        &commander,
    )
    .await;
    assert_eq!(d.status, StatusCode::OK);
    assert!(d.bytes.starts_with(b"%PDF"));
    // Without a session: sent to the login page, no file.
    let req = Request::builder()
        .uri(format!("{cycle_url}/bao-cao.pdf"))
        .body(Body::empty())
        .unwrap();
    let anonymous = app.send(req).await;
    assert_ne!(anonymous.status, StatusCode::OK);
    assert!(!anonymous.body.starts_with("%PDF"));
}

#[tokio::test]
async fn directive_report_comes_as_pdf_with_the_title_printed_literally() {
    let app = App::new().await;
    let admin = app.login("quantri").await;
    let actor = app
        .store
        .login("quantri", phongthu_store::DEMO_PASSWORD)
        .await
        .unwrap()
        .actor;
    let title = "triển khai #set page(width: 1cm) *nhiệm vụ* [quân sự] $2026$ // năm `mới` <a> @b \\ _c_";
    let today = time::OffsetDateTime::now_utc().date();
    let doc = app
        .store
        .scoped(&actor)
        .register_incoming(
            NewDocument {
                unit_id: app.demo.province_command_id,
                kind: Some(DocumentKind::KeHoach),
                number_symbol: Some("12/KH-BCH".into()),
                issuer: Some("Bộ Chỉ huy quân sự tỉnh".into()),
                title: title.into(),
                ..NewDocument::default()
            },
            today,
        )
        .await
        .unwrap();
    // (The detail page links the report once tasks are assigned: tests/directives.rs.)

    let pdf = download(&app, &format!("/documents/{}/bao-cao.pdf", doc.id), &admin).await;
    assert_pdf(&pdf, &format!("bao-cao-thuc-hien-{}.pdf", doc.id));
    if let Some(text) = pdf_text(&pdf.bytes) {
        assert!(text.contains(&format!("Kết quả thực hiện {title}")), "{text}");
        assert!(text.contains("KẾT QUẢ THỰC HIỆN TỪNG NHIỆM VỤ"), "{text}");
    }
    let docx = download(&app, &format!("/documents/{}/bao-cao.docx", doc.id), &admin).await;
    assert_docx(&docx, &format!("bao-cao-thuc-hien-{}.docx", doc.id));

    // A commune commander is outside the province's document: the same refusal for both.
    let commander = app.login("chihuy").await;
    let as_docx = download(&app, &format!("/documents/{}/bao-cao.docx", doc.id), &commander).await;
    let as_pdf = download(&app, &format!("/documents/{}/bao-cao.pdf", doc.id), &commander).await;
    assert!(
        matches!(as_docx.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        as_docx.status
    );
    assert_eq!(as_pdf.status, as_docx.status);
    assert!(!as_pdf.bytes.starts_with(b"%PDF"));
    // An unknown document: not found in both formats.
    for ext in ["docx", "pdf"] {
        let d = download(&app, &format!("/documents/999999/bao-cao.{ext}"), &admin).await;
        assert_eq!(d.status, StatusCode::NOT_FOUND, "{ext}");
    }
}
