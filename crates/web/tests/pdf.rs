//! The official reports as PDF: every DOCX download has a PDF twin from the same handler, with the
//! same scope rules. The text is read back with `pdftotext` (poppler-utils) when it is installed;
//! with `PHONGTHU_REQUIRE_OCR=1` (as in CI) a missing `pdftotext` fails the tests.

mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use phongthu_domain::directive::DocumentKind;
use phongthu_store::NewDocument;
use support::{App, Session};
use tower::ServiceExt;

struct Download {
    status: StatusCode,
    content_type: String,
    disposition: String,
    bytes: Vec<u8>,
}

async fn download(app: &App, path: &str, s: &Session) -> Download {
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

fn assert_pdf(d: &Download, file_name: &str) {
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

fn assert_docx(d: &Download, file_name: &str) {
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
fn pdf_text(bytes: &[u8]) -> Option<String> {
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
    // A commune commander does not see the province's cycle, whatever the format.
    let commander = app.login("chihuy").await;
    for path in [
        format!("{cycle_url}/bao-cao.docx"),
        format!("{cycle_url}/bao-cao.pdf"),
        format!("{cycle_url}/cong-khai/{first}/danh-sach.pdf"),
    ] {
        let d = download(&app, &path, &commander).await;
        assert_eq!(d.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!d.bytes.starts_with(b"%PDF"));
    }
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
