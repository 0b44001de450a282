//! Hostile uploads through the router, all at once: many blank scanned pages, a page of
//! 4,000 points, an image declaring 40,000 × 40,000 pixels. Each goes to a background reading
//! that refuses it with a clear Vietnamese message, before any OCR; a login works meanwhile
//! (the figures of time and memory are in docs/PERFORMANCE.md, from bench/hostile_uploads).
//! Finished citizen imports expire with their rejects files. The tools are required with
//! `PHONGTHU_REQUIRE_OCR=1` (scripts/test-all.sh, CI).

mod support;

use axum::http::StatusCode;
use phongthu_documents::hostile::{blank_pdf, huge_png_header};
use support::*;

fn multipart(csrf: &str, file_name: &str, file: &[u8], fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "----phongthu-hostile";
    let mut body = Vec::new();
    let mut all = vec![("_csrf", csrf)];
    all.extend_from_slice(fields);
    for (k, v) in all {
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

fn tools_or_skip() -> bool {
    let ok = ["pdftotext", "pdfinfo"]
        .iter()
        .all(|t| phongthu_documents::tool_available(t));
    if ok {
        return true;
    }
    if std::env::var("PHONGTHU_REQUIRE_OCR").as_deref() == Ok("1") {
        panic!("PHONGTHU_REQUIRE_OCR=1 nhưng thiếu poppler-utils");
    }
    eprintln!("BỎ QUA: thiếu poppler-utils (đặt PHONGTHU_REQUIRE_OCR=1 để bắt buộc)");
    false
}

/// Follows a reading's page until it has its answer (at most 10 minutes of polling).
async fn answer(app: &App, s: &Session, location: &str) -> Resp {
    for _ in 0..6_000 {
        let r = app.get(location, Some(s)).await;
        if !r.headers.contains_key("refresh") {
            return r;
        }
        assert!(
            r.body.contains("Hủy đọc tệp"),
            "a running reading can be cancelled: {}",
            r.body
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the reading of {location} never ended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_scans_are_refused_before_any_ocr_while_logins_go_on() {
    if !tools_or_skip() {
        return;
    }
    let app = App::new().await;
    let s = app.login("chihuy").await;
    let files: Vec<(&str, Vec<u8>, &str)> = vec![
        ("trang-trang.pdf", blank_pdf(30, 595, 842), "30 trang cần nhận dạng"),
        (
            "trang-trang-2.pdf",
            blank_pdf(1_000, 595, 842),
            "1000 trang cần nhận dạng",
        ),
        ("kho-lon.pdf", blank_pdf(1, 4000, 4000), "4000 × 4000 điểm"),
        ("bom.png", huge_png_header(40_000, 40_000), "Ảnh 40000 × 40000"),
    ];
    // All sent before any is read.
    let mut pending = Vec::new();
    for (name, bytes, _) in &files {
        let (ct, body) = multipart(&s.csrf, name, bytes, &[]);
        let r = app.post_multipart("/documents/upload", Some(&s), &ct, body).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{name}: {}", r.body);
        pending.push(r.location().to_string());
    }
    // Another user logs in meanwhile.
    let other = app.login("quantri").await;
    assert_eq!(app.get("/", Some(&other)).await.status, StatusCode::OK);
    for ((name, _, message), location) in files.iter().zip(&pending) {
        let r = answer(&app, &s, location).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{name}: {}", r.body);
        assert!(r.body.contains(message), "{name}: {message}: {}", r.body);
        // Shown once, then forgotten; and never to another user.
        assert_eq!(app.get(location, Some(&s)).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.get(location, Some(&other)).await.status, StatusCode::NOT_FOUND);
    }
    // Cancelling a reading: it is gone, and the user is back on the form.
    let (ct, body) = multipart(&s.csrf, "huy.pdf", &blank_pdf(3, 595, 842), &[]);
    let r = app.post_multipart("/documents/upload", Some(&s), &ct, body).await;
    let location = r.location().to_string();
    let bad = app
        .post(&format!("{location}/cancel"), Some(&s), &[("_csrf", "sai")])
        .await;
    assert_eq!(bad.status, StatusCode::FORBIDDEN, "cancelling needs the CSRF token");
    let r = app
        .post(
            &format!("{location}/cancel"),
            Some(&other),
            &[("_csrf", other.csrf.as_str())],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "another user cannot cancel it");
    let r = app
        .post(&format!("{location}/cancel"), Some(&s), &[("_csrf", s.csrf.as_str())])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/documents/new");
    assert_eq!(app.get(&location, Some(&s)).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn finished_citizen_imports_expire_with_their_rejects() {
    let app = App::new().await;
    let s = app.login("chihuy").await;
    let unit = app.unit_of("chihuy").to_string();
    // Each import refuses its one row (no birth date): a rejects file is kept for it.
    let csv = "Họ và tên;Ngày sinh;Giới tính\r\nNguyễn Văn Thiếu;;Nam\r\n";
    let mut jobs = Vec::new();
    for i in 0..20 {
        let (ct, body) = multipart(
            &s.csrf,
            &format!("nhap-{i}.csv"),
            csv.as_bytes(),
            &[("unit_id", unit.as_str()), ("mode", "valid_only")],
        );
        let r = app.post_multipart("/citizens/import", Some(&s), &ct, body).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let location = r.location().to_string();
        // Wait for it to finish (the page stops refreshing).
        for _ in 0..600 {
            let page = app.get(&location, Some(&s)).await;
            if !page.headers.contains_key("refresh") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let rejects = app.get(&format!("{location}/rejects.xlsx"), Some(&s)).await;
        assert_eq!(rejects.status, StatusCode::OK, "import {i}: {}", rejects.body);
        jobs.push(location);
    }
    // Only the newest finished jobs are kept: the first ones and their files are gone.
    // The page of an expired import answers from the import journal: its outcome, without the
    // rows' details.
    let first = app.get(&jobs[0], Some(&s)).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(first.body.contains("hết hạn"), "{}", first.body);
    assert!(!first.body.contains("rejects.xlsx"), "{}", first.body);
    let gone = app.get(&format!("{}/rejects.xlsx", jobs[0]), Some(&s)).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let last = app.get(jobs.last().unwrap(), Some(&s)).await;
    assert_eq!(last.status, StatusCode::OK);
}
