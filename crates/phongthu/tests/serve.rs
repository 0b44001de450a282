//! The server process with the command line beside it, on one SQLite file: writes from both
//! survive restarts (a command that would write while the server holds the file is refused
//! clearly); a backup taken while the server serves restores to the same figures and a verified
//! audit chain; SIGTERM stops the server promptly even while a scan is being read, and the OCR
//! programs die with it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "phongthu-demo-2026";

fn phongthu(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_phongthu"))
        .args(["--database", "sqlite://p.db"])
        .args(args)
        .current_dir(dir)
        .env_remove("PHONGTHU_DATABASE_URL")
        .env_remove("PHONGTHU_LISTEN")
        .env_remove("PHONGTHU_CONFIG")
        .env_remove("PHONGTHU_LOG")
        .output()
        .expect("run phongthu")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(dir: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_phongthu"))
            .args(["--database", "sqlite://p.db", "serve", "--listen", "127.0.0.1:0"])
            .current_dir(dir)
            .env_remove("PHONGTHU_DATABASE_URL")
            .env_remove("PHONGTHU_LISTEN")
            .env_remove("PHONGTHU_CONFIG")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start phongthu serve");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let addr = loop {
            let line = lines.next().expect("the server says where it listens").unwrap();
            if let Some(rest) = line.split("http://").nth(1) {
                break rest.split_whitespace().next().unwrap().to_string();
            }
        };
        // Keep reading its output so that it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, addr }
    }

    /// SIGTERM, then the exit status within `limit` (None: still running; it is then killed).
    fn terminate(mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(s) = self.child.try_wait().unwrap() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }
}

struct Resp {
    status: u16,
    headers: String,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            if !k.eq_ignore_ascii_case("set-cookie") {
                return None;
            }
            let kv = v.trim().split(';').next()?;
            let (n, val) = kv.split_once('=')?;
            (n == name).then(|| val.to_string())
        })
    }
}

fn request(addr: &str, method: &str, path: &str, cookie: &str, content_type: &str, body: &[u8]) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if !cookie.is_empty() {
        head.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if method == "POST" {
        head.push_str(&format!(
            "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (headers, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = headers.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = if headers.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_string()
    };
    Resp {
        status,
        headers: headers.to_string(),
        body,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn hidden_csrf(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let i = html.find(marker).expect("a CSRF field") + marker.len();
    html[i..].split('"').next().unwrap().to_string()
}

/// A logged-in browser: cookie header and CSRF token.
struct Browser {
    addr: String,
    cookie: String,
    csrf: String,
}

impl Browser {
    fn login(addr: &str, user: &str) -> Browser {
        let page = request(addr, "GET", "/login", "", "", b"");
        let login_cookie = format!("phongthu_login_csrf={}", page.cookie("phongthu_login_csrf").unwrap());
        let csrf = hidden_csrf(&page.body);
        let body = format!(
            "_csrf={}&username={user}&password={}&next=%2F",
            enc(&csrf),
            enc(PASSWORD)
        );
        let r = request(
            addr,
            "POST",
            "/login",
            &login_cookie,
            "application/x-www-form-urlencoded",
            body.as_bytes(),
        );
        assert_eq!(r.status, 303, "login {user}: {}", r.body);
        let cookie = format!("phongthu_session={}", r.cookie("phongthu_session").unwrap());
        let home = request(addr, "GET", "/", &cookie, "", b"");
        Browser {
            addr: addr.to_string(),
            csrf: hidden_csrf(&home.body),
            cookie,
        }
    }

    fn get(&self, path: &str) -> Resp {
        request(&self.addr, "GET", path, &self.cookie, "", b"")
    }

    fn post(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut body = format!("_csrf={}", enc(&self.csrf));
        for (k, v) in fields {
            body.push_str(&format!("&{k}={}", enc(v)));
        }
        request(
            &self.addr,
            "POST",
            path,
            &self.cookie,
            "application/x-www-form-urlencoded",
            body.as_bytes(),
        )
    }

    fn upload(&self, path: &str, file_name: &str, bytes: &[u8]) -> Resp {
        let b = "----phongthu-serve-test";
        let mut body = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{}\r\n--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
            self.csrf
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
        request(
            &self.addr,
            "POST",
            path,
            &self.cookie,
            &format!("multipart/form-data; boundary={b}"),
            &body,
        )
    }

    /// Creates a citizen in the commander's commune through the form; true when saved.
    fn create_citizen(&self, unit: i64, name: &str) -> bool {
        let r = self.post(
            "/citizens",
            &[
                ("unit_id", &unit.to_string()),
                ("full_name", name),
                ("birth_date", "01/02/2007"),
                ("sex", "male"),
            ],
        );
        r.status == 303
    }

    /// Whether the register lists `name` (a row links to the record; the search box echoes the
    /// query, so the name alone proves nothing).
    fn finds(&self, name: &str) -> bool {
        let page = self.get(&format!("/citizens?q={}", enc(name)));
        assert_eq!(page.status, 200, "{}", page.body);
        page.body.contains(&format!("\">{name}</a></td>"))
    }
}

/// The demo commune of the commander `chihuy` (from `phongthu user list`-free means: the form).
fn commune_of_chihuy(b: &Browser) -> i64 {
    let page = b.get("/citizens/new");
    let marker = "name=\"unit_id\"";
    let i = page.body.find(marker).expect("the unit field");
    let v = &page.body[i..];
    let j = v.find("value=\"").unwrap() + 7;
    v[j..].split('"').next().unwrap().parse().unwrap()
}

#[test]
fn server_and_command_line_on_one_sqlite_file_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = phongthu(&["demo"], d);
    assert!(o.status.success(), "{}", text(&o));

    let server = Server::start(d);
    let web = Browser::login(&server.addr, "chihuy");
    let unit = commune_of_chihuy(&web);
    assert!(web.create_citizen(unit, "Nguyễn Văn Trước"));

    // While the server holds the file, a command that opens it to write is refused, clearly,
    // and changes nothing.
    std::fs::write(
        d.join("nhap.csv"),
        "Họ và tên;Ngày sinh;Giới tính\r\nTrần Văn Dòng Lệnh;03/04/2007;Nam\r\n",
    )
    .unwrap();
    for args in [
        vec!["citizen", "must-register", "--year", "2026"],
        vec!["citizen", "import", "nhap.csv", "--unit", &unit.to_string()],
    ] {
        let o = phongthu(&args, d);
        assert_eq!(o.status.code(), Some(3), "{args:?} ran beside the server: {}", text(&o));
        assert!(text(&o).contains("Máy chủ phongthu đang chạy"), "{}", text(&o));
    }
    // A second server on the same file is refused too.
    let second = phongthu(&["serve", "--listen", "127.0.0.1:0"], d);
    assert_eq!(second.status.code(), Some(3), "{}", text(&second));

    assert!(web.create_citizen(unit, "Lê Văn Sau"));
    // A backup runs beside the server.
    let o = phongthu(&["backup", "--to", "sao-luu.db"], d);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("Nhật ký toàn vẹn"), "{}", text(&o));

    assert!(server.terminate(Duration::from_secs(30)).is_some_and(|s| s.success()));
    // With the server stopped, the command line writes.
    let o = phongthu(&["citizen", "import", "nhap.csv", "--unit", &unit.to_string()], d);
    assert!(o.status.success(), "{}", text(&o));

    // Restarted, the server sees every write: its own from before, and the command line's.
    let server = Server::start(d);
    let web = Browser::login(&server.addr, "chihuy");
    for name in ["Nguyễn Văn Trước", "Lê Văn Sau", "Trần Văn Dòng Lệnh"] {
        assert!(web.finds(name), "{name} is missing after the restart");
    }
    assert!(web.create_citizen(unit, "Phạm Văn Cuối"));
    assert!(server.terminate(Duration::from_secs(30)).is_some_and(|s| s.success()));
    let server = Server::start(d);
    let web = Browser::login(&server.addr, "chihuy");
    assert!(web.finds("Phạm Văn Cuối"));
    assert!(server.terminate(Duration::from_secs(30)).is_some());
    let o = phongthu(&["audit", "verify"], d);
    assert!(o.status.success(), "{}", text(&o));
}

/// The numbers printed after "table: " by backup and restore.
fn counts(out: &str) -> Vec<(String, i64)> {
    out.lines()
        .filter_map(|l| {
            let (t, n) = l.trim().split_once(": ")?;
            Some((t.to_string(), n.trim().parse().ok()?))
        })
        .collect()
}

#[test]
fn a_backup_taken_while_serving_restores_verified() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(phongthu(&["demo", "--citizens", "300"], d).status.success());
    let server = Server::start(d);
    let web = Browser::login(&server.addr, "chihuy");
    let unit = commune_of_chihuy(&web);
    assert!(web.create_citizen(unit, "Đỗ Văn Sao Lưu"));
    let backup = phongthu(&["backup", "--to", "b.db"], d);
    assert!(backup.status.success(), "{}", text(&backup));
    // Never over an existing file.
    let again = phongthu(&["backup", "--to", "b.db"], d);
    assert!(
        !again.status.success() && text(&again).contains("đã có"),
        "{}",
        text(&again)
    );
    // Restoring over the served file is refused while the server runs.
    let o = phongthu(&["restore", "--from", "b.db"], d);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(web.create_citizen(unit, "Vũ Văn Sau Sao Lưu"));
    assert!(server.terminate(Duration::from_secs(30)).is_some());

    let restored = phongthu(&["restore", "--from", "b.db"], d);
    assert!(restored.status.success(), "{}", text(&restored));
    let (b, r) = (counts(&text(&backup)), counts(&text(&restored)));
    assert!(b.iter().any(|(t, n)| t == "citizen" && *n >= 301), "{b:?}");
    assert_eq!(b, r, "the restored database has the backup's rows");
    let v = phongthu(&["audit", "verify"], d);
    assert!(v.status.success(), "{}", text(&v));
    let server = Server::start(d);
    let web = Browser::login(&server.addr, "chihuy");
    assert!(web.finds("Đỗ Văn Sao Lưu"));
    assert!(!web.finds("Vũ Văn Sau Sao Lưu"), "written after the backup: not in it");
    assert!(server.terminate(Duration::from_secs(30)).is_some());
}

/// Processes whose parent is `pid`.
fn children_of(pid: u32) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let Some(close) = stat.rfind(')') else { continue };
        let comm = stat[stat.find('(').unwrap() + 1..close].to_string();
        let ppid: u32 = stat[close + 2..]
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        if ppid == pid {
            out.push((e.file_name().to_string_lossy().parse().unwrap_or(0), comm));
        }
    }
    out
}

fn ocr_tools_or_skip() -> bool {
    let ok = ["pdftotext", "pdfinfo", "pdftoppm", "tesseract"]
        .iter()
        .all(|t| phongthu_documents::tool_available(t));
    if ok {
        return true;
    }
    if std::env::var("PHONGTHU_REQUIRE_OCR").as_deref() == Ok("1") {
        panic!("PHONGTHU_REQUIRE_OCR=1 nhưng thiếu poppler-utils hoặc tesseract-ocr");
    }
    eprintln!("BỎ QUA: thiếu poppler-utils hoặc tesseract-ocr (đặt PHONGTHU_REQUIRE_OCR=1 để bắt buộc)");
    false
}

#[test]
fn sigterm_stops_the_server_and_its_ocr_promptly() {
    if !ocr_tools_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(phongthu(&["demo"], d).status.success());
    let server = Server::start(d);
    let pid = server.child.id();
    let web = Browser::login(&server.addr, "chihuy");
    // Eight blank A4 pages: about half a minute of OCR.
    let pdf = phongthu_documents::hostile::blank_pdf(8, 595, 842);
    let r = web.upload("/documents/upload", "quet.pdf", &pdf);
    assert_eq!(r.status, 303, "a scan is read in the background: {}", r.body);
    let job = r.header("location").unwrap();
    assert!(job.starts_with("/documents/upload/"), "{job}");
    // Wait until OCR runs (a child program of the server).
    let start = Instant::now();
    let mut ocr = Vec::new();
    while ocr.is_empty() && start.elapsed() < Duration::from_secs(60) {
        let page = web.get(&job);
        assert_eq!(page.status, 200, "{}", page.body);
        ocr = children_of(pid)
            .into_iter()
            .filter(|(_, c)| c == "tesseract" || c == "pdftoppm")
            .collect();
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!ocr.is_empty(), "OCR never started");
    let status = server.terminate(Duration::from_secs(15));
    assert!(status.is_some(), "the server did not stop within 15 s of SIGTERM");
    for (child, name) in ocr {
        assert!(
            !Path::new(&format!("/proc/{child}")).exists()
                || std::fs::read_to_string(format!("/proc/{child}/stat")).map_or(true, |s| !s.contains(&name)),
            "{name} ({child}) outlived the server"
        );
    }
}

#[test]
fn postgres_backups_are_pg_dump() {
    let dir = tempfile::tempdir().unwrap();
    for args in [["backup", "--to", "x.db"], ["restore", "--from", "x.db"]] {
        let o = Command::new(env!("CARGO_BIN_EXE_phongthu"))
            .args(["--database", "postgres://postgres@127.0.0.1:1/khong-co"])
            .args(args)
            .current_dir(dir.path())
            .env_remove("PHONGTHU_DATABASE_URL")
            .env_remove("PHONGTHU_CONFIG")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(
            text(&o).contains("pg_dump") || text(&o).contains("pg_restore"),
            "{}",
            text(&o)
        );
    }
}
