//! The fault suite, in a form bounded to a few minutes: the binary is killed (SIGKILL) in the
//! middle of a CLI import and of a web import, then the database must hold all of an import or
//! none of it and its audit chain must verify; after the restart the web import's page says that
//! the import was interrupted and that nothing was written. Hostile files (truncated ZIPs, wrong
//! magic bytes, a shared-strings bomb, huge cells, NUL bytes, other encodings, an unclosed quote)
//! are refused by the CLI import with a Vietnamese sentence, never a panic, and change nothing.
//!
//! Runs on SQLite, and on PostgreSQL when `PHONGTHU_TEST_DATABASE_URL` names a server (as the
//! storage suite does).

use phongthu_store::testing::TestDb;
use phongthu_store::{Actor, Store};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ROWS: usize = 20_000;

fn phongthu(url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_phongthu"));
    c.arg("--database")
        .arg(url)
        .env_remove("PHONGTHU_DATABASE_URL")
        .env_remove("PHONGTHU_LISTEN")
        .env_remove("PHONGTHU_CONFIG")
        .env("RUST_LOG", "warn");
    c
}

const SYLLABLES: [&str; 20] = [
    "An", "Bình", "Cường", "Dũng", "Đức", "Giang", "Hải", "Hùng", "Khoa", "Lâm", "Minh", "Nam", "Phong", "Quang",
    "Sơn", "Tâm", "Thắng", "Trung", "Việt", "Vinh",
];

/// A CSV of `rows` valid citizens whose ID numbers are unique to `trial`.
fn citizens_csv(path: &Path, trial: usize, rows: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "Họ và tên,Ngày sinh,Giới tính,Số định danh cá nhân").unwrap();
    for i in 0..rows {
        let name = format!(
            "Nguyễn {} {} {}",
            SYLLABLES[i % 20],
            SYLLABLES[i / 20 % 20],
            SYLLABLES[i / 400 % 20]
        );
        writeln!(f, "{name},05/03/2006,Nam,033206{:06}", trial * 100_000 + i).unwrap();
    }
}

async fn setup() -> (TestDb, Actor, i64) {
    let db = TestDb::new().await;
    db.store.bootstrap().await.unwrap();
    let demo = db.store.seed_demo().await.unwrap();
    let admin = db
        .store
        .login("quantri", phongthu_store::DEMO_PASSWORD)
        .await
        .unwrap()
        .actor;
    (db, admin, demo.commune_command_ids[0])
}

async fn citizens(store: &Store, actor: &Actor) -> i64 {
    store.scoped(actor).citizen_count().await.unwrap()
}

async fn audit_verifies(store: &Store, url: &str) {
    let report = store.verify_audit().await.unwrap();
    assert!(report.broken.is_none(), "{report:?}");
    let out = phongthu(url).args(["audit", "verify"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn kill(mut child: Child) {
    // std's kill is SIGKILL on Unix: no destructor, no rollback, no goodbye to the database.
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_a_cli_import_leaves_all_or_nothing_and_the_chain_intact() {
    let (db, admin, unit) = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let mut expected = citizens(&db.store, &admin).await;
    let mut interrupted = 0;
    // Kill points from the opening of the database to the last batches.
    for (trial, delay_ms) in [150u64, 400, 800, 1500, 3000].into_iter().enumerate() {
        let file = dir.path().join(format!("dot-{trial}.csv"));
        citizens_csv(&file, trial, ROWS);
        let child = phongthu(&db.url)
            .args(["citizen", "import"])
            .arg(&file)
            .args(["--unit", &unit.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let mut child = child;
        let running = child.try_wait().unwrap().is_none();
        kill(child);
        let now = citizens(&db.store, &admin).await;
        if now == expected {
            interrupted += usize::from(running);
        } else {
            assert_eq!(
                now,
                expected + ROWS as i64,
                "trial {trial}: a partial import ({now} after {expected})"
            );
            expected = now;
        }
        audit_verifies(&db.store, &db.url).await;
    }
    assert!(interrupted > 0, "no trial killed an import in its middle");
    // The database still takes a whole import afterwards.
    let file = dir.path().join("sau.csv");
    citizens_csv(&file, 9, ROWS);
    let out = phongthu(&db.url)
        .args(["citizen", "import"])
        .arg(&file)
        .args(["--unit", &unit.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(citizens(&db.store, &admin).await, expected + ROWS as i64);
    audit_verifies(&db.store, &db.url).await;
}

// ---------------------------------------------------------------------------------------------
// A small HTTP/1.1 client over a TCP stream (the binary is driven from the outside).

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, v)| v.split(';').next())
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
}

fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a whole answer");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    if headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
    {
        let mut out = Vec::new();
        let mut rest = &body[..];
        while let Some(end) = rest.windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(std::str::from_utf8(&rest[..end]).unwrap().trim(), 16).unwrap();
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[end + 2..end + 2 + size]);
            rest = &rest[end + 2 + size + 2..];
        }
        body = out;
    }
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn hidden_csrf(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).expect("a CSRF field") + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Starts the server on a free port; returns it and its address.
fn serve(url: &str) -> (Child, String) {
    let mut child = phongthu(url)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let mut lines = BufReader::new(out).lines();
    let addr = loop {
        let line = lines.next().expect("the server says where it listens").unwrap();
        if let Some(rest) = line.split("đang chạy tại http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    // Keep reading its output so that it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}

/// Logs in; returns the session cookie and the CSRF token of its pages.
fn login(addr: &str, username: &str) -> (String, String) {
    let page = http(addr, "GET", "/login", &[], b"");
    let login_cookie = page.cookie("phongthu_login_csrf").unwrap();
    let form = format!(
        "_csrf={}&username={}&password={}&next=%2F",
        enc(&hidden_csrf(&page.body)),
        enc(username),
        enc(phongthu_store::DEMO_PASSWORD)
    );
    let r = http(
        addr,
        "POST",
        "/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &format!("phongthu_login_csrf={login_cookie}")),
        ],
        form.as_bytes(),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let session = format!("phongthu_session={}", r.cookie("phongthu_session").unwrap());
    let home = http(addr, "GET", "/", &[("Cookie", &session)], b"");
    (session, hidden_csrf(&home.body))
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_the_server_during_a_web_import_writes_nothing_and_the_page_says_so() {
    let (db, admin, unit) = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("web.csv");
    citizens_csv(&file, 5, 4 * ROWS);
    let csv = std::fs::read(&file).unwrap();
    let before = citizens(&db.store, &admin).await;

    let (server, addr) = serve(&db.url);
    let (session, csrf) = login(&addr, "quantri");
    let boundary = "----phongthu-fault-suite";
    let mut body = Vec::new();
    for (k, v) in [
        ("_csrf", csrf.as_str()),
        ("unit_id", &unit.to_string()),
        ("mode", "all"),
    ] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"web.csv\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&csv);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = http(
        &addr,
        "POST",
        "/citizens/import",
        &[
            ("Content-Type", &format!("multipart/form-data; boundary={boundary}")),
            ("Cookie", &session),
        ],
        &body,
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let job = r.header("location").unwrap().to_string();
    // Kill it while the import runs (the job's page still says it is importing).
    let started = Instant::now();
    loop {
        let page = http(&addr, "GET", &job, &[("Cookie", &session)], b"");
        assert!(
            page.body.contains("Đang nhập"),
            "the import ended before the kill: {}",
            page.body
        );
        if page.body.contains("đã đọc 0 dòng") && started.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        break;
    }
    kill(server);
    assert_eq!(
        citizens(&db.store, &admin).await,
        before,
        "nothing of the import was written"
    );
    audit_verifies(&db.store, &db.url).await;

    // After the restart, the job's page says what happened.
    let (server, addr) = serve(&db.url);
    let (session, _) = login(&addr, "quantri");
    let page = http(&addr, "GET", &job, &[("Cookie", &session)], b"");
    kill(server);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("đã bị gián đoạn"), "{}", page.body);
    assert!(
        page.body.contains("không có hồ sơ nào của tệp được ghi"),
        "{}",
        page.body
    );
    assert_eq!(citizens(&db.store, &admin).await, before);
}

// ---------------------------------------------------------------------------------------------
// Hostile files

fn xlsx_with(replace: &[(&str, &[u8])], drop: &[&str]) -> Vec<u8> {
    use phongthu_documents::tabular::{write_xlsx, ColumnSpec};
    let cols: Vec<ColumnSpec<'_>> = ["Họ và tên", "Ngày sinh", "Giới tính"]
        .iter()
        .map(|h| ColumnSpec {
            header: h,
            text: true,
            width: 0.0,
        })
        .collect();
    let base = write_xlsx("s", &cols, [["Nguyễn Văn An", "05/03/2006", "Nam"]]).unwrap();
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(base)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for i in 0..src.len() {
        let mut f = src.by_index(i).unwrap();
        let name = f.name().to_string();
        if drop.contains(&name.as_str()) || replace.iter().any(|(n, _)| *n == name) {
            continue;
        }
        out.start_file(name.as_str(), opts).unwrap();
        std::io::copy(&mut f, &mut out).unwrap();
    }
    for (name, body) in replace {
        out.start_file(*name, opts).unwrap();
        out.write_all(body).unwrap();
    }
    out.finish().unwrap().into_inner()
}

fn hostile_files() -> Vec<(&'static str, Vec<u8>)> {
    let good = xlsx_with(&[], &[]);
    let header = "Họ và tên,Ngày sinh,Giới tính,Số định danh cá nhân\n";
    let mut sst = b"<sst>".to_vec();
    for _ in 0..2_500_000 {
        sst.extend_from_slice(b"<si/>");
    }
    sst.extend_from_slice(b"</sst>");
    let huge_cell = format!(
        "<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>{}</t></is></c></row></sheetData></worksheet>",
        "A".repeat(3 << 20)
    );
    vec![
        ("cut-10.xlsx", good[..10].to_vec()),
        ("cut-half.xlsx", good[..good.len() / 2].to_vec()),
        ("cut-end.xlsx", good[..good.len() - 22].to_vec()),
        ("no-rels.xlsx", xlsx_with(&[], &["xl/_rels/workbook.xml.rels"])),
        ("no-workbook.xlsx", xlsx_with(&[], &["xl/workbook.xml"])),
        ("bomb.xlsx", xlsx_with(&[("xl/sharedStrings.xml", &sst)], &[])),
        (
            "huge-cell.xlsx",
            xlsx_with(&[("xl/worksheets/sheet1.xml", huge_cell.as_bytes())], &[]),
        ),
        (
            "bad-xml.xlsx",
            xlsx_with(&[("xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row><c")], &[]),
        ),
        ("pdf.xlsx", b"%PDF-1.7\n1 0 obj\n".to_vec()),
        ("old-excel.xls", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest".to_vec()),
        ("png.csv", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()),
        ("binary.csv", vec![0u8; 4096]),
        ("utf16.csv", b"\xFF\xFEH\0\xe1\x1e".to_vec()),
        ("latin1.csv", {
            let mut v = header.as_bytes().to_vec();
            v.extend_from_slice(b"Nguy\xean V\xe3n,05/03/2006,Nam,033206000001\n");
            v
        }),
        (
            "nul.csv",
            format!("{header}Nguyễn\0Văn An,05/03/2006,Nam,033206000001\n").into_bytes(),
        ),
        (
            "unclosed.csv",
            format!("{header}\"Nguyễn Văn An,05/03/2006,Nam,033206000001\nTrần Văn B,05/03/2006,Nam,033206000002\n")
                .into_bytes(),
        ),
        (
            "huge-cell.csv",
            format!("{header}{},05/03/2006,Nam,033206000001\n", "A".repeat(3 << 20)).into_bytes(),
        ),
        ("empty.csv", Vec::new()),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_files_are_refused_in_vietnamese_without_a_panic_or_a_change() {
    let (db, admin, unit) = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let before = citizens(&db.store, &admin).await;
    let audit_before = db.store.verify_audit().await.unwrap().entries;
    for (name, bytes) in hostile_files() {
        let file = dir.path().join(name);
        std::fs::write(&file, &bytes).unwrap();
        let out = phongthu(&db.url)
            .args(["citizen", "import"])
            .arg(&file)
            .args(["--unit", &unit.to_string()])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name} was accepted: {err}");
        assert_ne!(out.status.code(), Some(101), "{name}: a panic: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(err.starts_with("Lỗi:"), "{name}: {err}");
        for english in ["File not found", "Invalid", "error:", "Error"] {
            assert!(!err.contains(english), "{name}: English in the message: {err}");
        }
        assert!(err.len() < 2_000, "{name}: a message of {} bytes", err.len());
    }
    assert_eq!(citizens(&db.store, &admin).await, before);
    assert_eq!(db.store.verify_audit().await.unwrap().entries, audit_before);
    audit_verifies(&db.store, &db.url).await;
}
