//! Bad files and faults through the web: a cell longer than Excel allows, a huge bad value, a
//! shared-strings bomb, a workbook without its parts, an import interrupted by a restart, a
//! national ID with an unknown province code.

mod support;

use phongthu_documents::tabular::{write_xlsx, ColumnSpec, TabularReader};
use phongthu_domain::militia::{Echelon, MilitiaKind};
use phongthu_domain::nvqs::Sex;
use phongthu_store::{NewCitizen, NewMilitiaUnit};
use phongthu_web::{router, AppState, WebSettings};
use std::io::Write;
use support::{hidden_csrf, App, Session};
use time::macros::date;

fn multipart(fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----phongthu-faults-boundary";
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

fn xlsx(headers: &[&str], rows: Vec<Vec<String>>) -> Vec<u8> {
    let cols: Vec<ColumnSpec<'_>> = headers
        .iter()
        .map(|h| ColumnSpec {
            header: h,
            text: true,
            width: 0.0,
        })
        .collect();
    write_xlsx("Danh sách", &cols, rows).unwrap()
}

async fn reserve_upload(app: &App, s: &Session, name: &str, file: &[u8]) -> support::Resp {
    let form = app.get("/reserve/import", Some(s)).await;
    let csrf = hidden_csrf(&form.body);
    let (ct, body) = multipart(&[("_csrf", &csrf), ("mode", "all")], name, file);
    app.post_multipart("/reserve/import", Some(s), &ct, body).await
}

const RESERVIST_HEADERS: [&str; 6] = [
    "Số định danh cá nhân",
    "Họ và tên",
    "Hạng",
    "Chuyên nghiệp quân sự",
    "Cấp bậc",
    "Ngày đăng ký",
];

#[tokio::test]
async fn a_cell_longer_than_excel_allows_gives_the_rows_errors_and_a_cut_rejects_file() {
    let app = App::new().await;
    let admin = app.login("quantri").await;
    let a = app.demo.commune_command_ids[0];
    let system = app
        .store
        .login("quantri", phongthu_store::DEMO_PASSWORD)
        .await
        .unwrap()
        .actor;
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
    let long_name = "Nguyễn".repeat(8_000); // 48,000 characters
    let file = xlsx(
        &["Số định danh cá nhân", "Họ và tên", "Ngày vào đơn vị"],
        vec![vec!["033200000101".into(), long_name.clone(), "01/03/2024".into()]],
    );
    let form = app.get(&format!("/militia/{}/import", platoon.id), Some(&admin)).await;
    let csrf = hidden_csrf(&form.body);
    let (ct, body) = multipart(&[("_csrf", &csrf), ("mode", "all")], "dqtv.xlsx", &file);
    let r = app
        .post_multipart(&format!("/militia/{}/import", platoon.id), Some(&admin), &ct, body)
        .await;
    assert_eq!(r.status.as_u16(), 422, "{}", &r.body[..r.body.len().min(2000)]);
    assert!(r.body.contains("Dòng 2"), "the row's error is listed");
    assert!(
        r.body.len() < 60_000,
        "the long value is not echoed whole: {} bytes",
        r.body.len()
    );
    // The file of rejects is offered and holds the cell cut to Excel's limit, saying so.
    let start = r.body.find("href=\"/militia/import/tu-choi/").expect("rejects link") + "href=\"".len();
    let link = r.body[start..].split('"').next().unwrap().to_string();
    let d = app.get(&link, Some(&admin)).await;
    assert_eq!(d.status.as_u16(), 200);
    let reader = TabularReader::from_bytes(d.bytes.clone()).unwrap();
    let rows: Vec<Vec<String>> = reader.map(|r| r.unwrap().cells).collect();
    assert_eq!(rows.len(), 1);
    let cell = &rows[0][1];
    assert_eq!(cell.chars().count(), 32_767, "cut to Excel's limit");
    assert!(cell.starts_with("NguyễnNguyễn"));
    assert!(
        cell.contains("đã cắt: ô gốc dài 48000 ký tự"),
        "{}",
        &cell[cell.len() - 200..]
    );
}

#[tokio::test]
async fn a_huge_bad_value_is_quoted_cut_on_the_page() {
    let app = App::new().await;
    let admin = app.login("quantri").await;
    let huge = "9".repeat(600_000);
    let mut csv = RESERVIST_HEADERS.join(",");
    csv.push('\n');
    csv.push_str(&format!("033200000101,Nguyễn Văn An,1,2B,,{huge}\n"));
    let r = reserve_upload(&app, &admin, "dubi.csv", csv.as_bytes()).await;
    assert_eq!(r.status.as_u16(), 422, "{}", &r.body[..r.body.len().min(2000)]);
    assert!(
        r.body.contains("đã cắt bớt, dài 600.000 ký tự"),
        "the page says the value was cut"
    );
    assert!(r.body.len() < 60_000, "page of {} bytes", r.body.len());
}

/// A valid workbook whose shared-strings table is `sst` (replaced, or added when the writer kept
/// its strings inline).
fn with_shared_strings(sst: &[u8]) -> Vec<u8> {
    let base = xlsx(&RESERVIST_HEADERS, vec![vec!["x".into(); 6]]);
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(base)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for i in 0..src.len() {
        let mut f = src.by_index(i).unwrap();
        let name = f.name().to_string();
        if name == "xl/sharedStrings.xml" {
            continue;
        }
        out.start_file(name.as_str(), opts).unwrap();
        std::io::copy(&mut f, &mut out).unwrap();
    }
    out.start_file("xl/sharedStrings.xml", opts).unwrap();
    out.write_all(sst).unwrap();
    out.finish().unwrap().into_inner()
}

#[tokio::test]
async fn a_shared_strings_bomb_and_a_workbook_without_its_parts_are_refused_in_vietnamese() {
    let app = App::new().await;
    let admin = app.login("quantri").await;
    // 2.5 million empty strings: 12.5 MB of XML in a file of a few tens of kilobytes.
    let mut sst =
        b"<?xml version=\"1.0\"?><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">".to_vec();
    for _ in 0..2_500_000 {
        sst.extend_from_slice(b"<si/>");
    }
    sst.extend_from_slice(b"</sst>");
    let bomb = with_shared_strings(&sst);
    assert!(bomb.len() < 200_000, "{} bytes", bomb.len());
    let r = reserve_upload(&app, &admin, "bom.xlsx", &bomb).await;
    assert_eq!(
        r.status.as_u16(),
        400,
        "{}",
        r.body.split("<main").nth(1).unwrap_or(&r.body)
    );
    assert!(r.body.contains("Bảng chuỗi dùng chung"), "{}", r.body);
    assert!(r.body.contains("CSV UTF-8"), "says what to do");

    // A ZIP without the workbook's parts.
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("xl/worksheets/sheet1.xml", zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(b"<worksheet/>").unwrap();
    let partial = w.finish().unwrap().into_inner();
    let r = reserve_upload(&app, &admin, "thieu.xlsx", &partial).await;
    assert_eq!(r.status.as_u16(), 400);
    assert!(r.body.contains("thiếu phần"), "{}", r.body);
    assert!(!r.body.contains("File not found"), "no English");
}

#[tokio::test]
async fn an_import_interrupted_by_a_restart_says_so_and_that_nothing_was_written() {
    let mut app = App::new().await;
    let chihuy = app.login("chihuy").await;
    let unit = app.unit_of("chihuy");
    let actor = app
        .store
        .login("chihuy", phongthu_store::DEMO_PASSWORD)
        .await
        .unwrap()
        .actor;
    let before = app
        .store
        .scoped(&actor)
        .list_citizens(&Default::default(), Default::default())
        .await
        .unwrap()
        .total;
    // The journal's row of an import whose server stopped before its commit.
    app.store
        .scoped(&actor)
        .start_import_run("lượt-bị-gián-đoạn", unit, "danh-sach.csv")
        .await
        .unwrap();
    // A restart: a new server over the same database (nothing in memory).
    app.router = router(AppState::new(
        app.store.clone(),
        WebSettings {
            secure_cookies: false,
            demo_banner: true,
        },
    ));
    let r = app
        .get(
            "/citizens/import/l%C6%B0%E1%BB%A3t-b%E1%BB%8B-gi%C3%A1n-%C4%91o%E1%BA%A1n",
            Some(&chihuy),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert!(r.body.contains("đã bị gián đoạn"), "{}", r.body);
    assert!(r.body.contains("không có hồ sơ nào của tệp được ghi"), "{}", r.body);
    assert!(!r.body.contains("đã hết hạn hoặc không phải của bạn"));
    assert_eq!(
        app.store
            .scoped(&actor)
            .list_citizens(&Default::default(), Default::default())
            .await
            .unwrap()
            .total,
        before
    );
    // Another user does not see it.
    let other = app.login("quantri").await;
    let r = app
        .get(
            "/citizens/import/l%C6%B0%E1%BB%A3t-b%E1%BB%8B-gi%C3%A1n-%C4%91o%E1%BA%A1n",
            Some(&other),
        )
        .await;
    assert_eq!(r.status.as_u16(), 404);
}

#[tokio::test]
async fn a_finished_import_is_known_after_a_restart() {
    let mut app = App::new().await;
    let chihuy = app.login("chihuy").await;
    let unit = app.unit_of("chihuy");
    let form = app.get("/citizens/import", Some(&chihuy)).await;
    let csrf = hidden_csrf(&form.body);
    let csv = "Họ và tên,Ngày sinh,Giới tính,Số định danh cá nhân\nNguyễn Văn Tư,05/03/2006,Nam,033206009911\n";
    let unit_s = unit.to_string();
    let (ct, body) = multipart(
        &[("_csrf", &csrf), ("unit_id", &unit_s), ("mode", "all")],
        "mot-dong.csv",
        csv.as_bytes(),
    );
    let r = app.post_multipart("/citizens/import", Some(&chihuy), &ct, body).await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.body);
    let job = r.location().to_string();
    let mut page = String::new();
    for _ in 0..600 {
        page = app.get(&job, Some(&chihuy)).await.body;
        if !page.contains("Đang nhập") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(page.contains("Đã nhập") || page.contains("đã nhập"), "{page}");
    app.router = router(AppState::new(
        app.store.clone(),
        WebSettings {
            secure_cookies: false,
            demo_banner: true,
        },
    ));
    let r = app.get(&job, Some(&chihuy)).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert!(r.body.contains("đã xong và đã được ghi"), "{}", r.body);
}

#[tokio::test]
async fn an_unknown_province_code_in_a_national_id_is_shown_as_a_warning() {
    let app = App::new().await;
    let admin = app.login("quantri").await;
    let a = app.demo.commune_command_ids[0];
    let system = app
        .store
        .login("quantri", phongthu_store::DEMO_PASSWORD)
        .await
        .unwrap()
        .actor;
    let mut c = NewCitizen::new(a, "Hoàng Văn Chín", date!(2000 - 04 - 02), Sex::Male);
    c.national_id = Some("999200000101".into());
    let rec = app.store.scoped(&system).create_citizen(c).await.unwrap();
    let r = app.get(&format!("/citizens/{}", rec.id), Some(&admin)).await;
    assert_eq!(r.status.as_u16(), 200);
    assert!(r.body.contains("&#34;999&#34; không thuộc 63 mã tỉnh"), "{}", r.body);
}
