//! The binary from the outside: help, configuration, territory commands, the contract commands,
//! and clear one-sentence errors with a non-zero exit for bad paths, URLs and input.

use std::path::Path;
use std::process::{Command, Output};

fn phongthu(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_phongthu"))
        .args(args)
        .current_dir(dir)
        .env_remove("PHONGTHU_DATABASE_URL")
        .env_remove("PHONGTHU_LISTEN")
        .env_remove("PHONGTHU_CONFIG")
        .env_remove("PHONGTHU_LOG")
        .output()
        .expect("run phongthu")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn help_lists_every_subcommand_in_both_languages() {
    let dir = tempfile::tempdir().unwrap();
    let o = phongthu(&["--help"], dir.path());
    assert!(o.status.success());
    let out = stdout(&o);
    for cmd in [
        "serve",
        "migrate",
        "user",
        "territory",
        "demo",
        "audit",
        "config",
        "nvqs",
        "reserve",
        "directive",
    ] {
        assert!(out.contains(cmd), "{cmd} missing from --help");
    }
    assert!(out.contains("Khởi động máy chủ web / Start the web server"));
}

#[test]
fn config_prints_a_commented_example_that_loads() {
    let dir = tempfile::tempdir().unwrap();
    let o = phongthu(&["config"], dir.path());
    assert!(o.status.success());
    let example = stdout(&o);
    assert!(example.contains("database_url"));
    assert!(example.lines().any(|l| l.starts_with('#')));
    std::fs::write(dir.path().join("phongthu.toml"), &example).unwrap();
    // The example itself is a valid configuration: migrate with it works.
    let o = phongthu(
        &["--config", "phongthu.toml", "--database", "sqlite://x.db", "migrate"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // An unknown key is refused in one Vietnamese sentence.
    std::fs::write(dir.path().join("bad.toml"), "lisen = \"127.0.0.1:1\"\n").unwrap();
    let o = phongthu(&["--config", "bad.toml", "migrate"], dir.path());
    assert!(!o.status.success());
    assert!(stderr(&o).starts_with("Lỗi:"), "{}", stderr(&o));
}

#[test]
fn territory_list_and_show() {
    let dir = tempfile::tempdir().unwrap();
    let o = phongthu(&["territory", "list", "--level", "province", "--json"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 34);
    for key in ["code", "name", "kind", "parent", "valid_from", "valid_to"] {
        assert!(arr[0].get(key).is_some(), "{key}");
    }
    let o = phongthu(
        &[
            "territory",
            "list",
            "--level",
            "province",
            "--on",
            "2025-06-30",
            "--json",
        ],
        dir.path(),
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 63);
    let o = phongthu(
        &[
            "territory",
            "list",
            "--level",
            "district",
            "--on",
            "2025-06-30",
            "--json",
        ],
        dir.path(),
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 696);
    let o = phongthu(&["territory", "list", "--level", "district", "--json"], dir.path());
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 0, "no districts after 1 July 2025");
    // History of an old province.
    let o = phongthu(&["territory", "show", "34", "--on", "2025-06-30"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("Thái Bình"), "{}", stdout(&o));
    // Bad input: unknown code, malformed date, unknown level.
    let o = phongthu(&["territory", "show", "99999"], dir.path());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("99999"), "{}", stderr(&o));
    let o = phongthu(&["territory", "show", "01", "--on", "30/02/2025"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("không hợp lệ"), "{}", stderr(&o));
    let o = phongthu(&["territory", "list", "--level", "thon"], dir.path());
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn bad_database_paths_are_refused_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let o = phongthu(&["--database", "sqlite://khong-co/thu-muc/x.db", "migrate"], dir.path());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("không tồn tại"), "{}", stderr(&o));
    assert!(!dir.path().join("khong-co").exists());
    let o = phongthu(&["--database", "mysql://localhost/x", "migrate"], dir.path());
    assert!(!o.status.success());
    assert!(stderr(&o).starts_with("Lỗi:"), "{}", stderr(&o));
    // A file that is not SQLite is never overwritten.
    std::fs::write(dir.path().join("notes.db"), "ghi chép quan trọng").unwrap();
    let o = phongthu(&["--database", "sqlite://notes.db", "migrate"], dir.path());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("không phải cơ sở dữ liệu SQLite"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.db")).unwrap(),
        "ghi chép quan trọng"
    );
    // An unreachable PostgreSQL server.
    let o = phongthu(
        &["--database", "postgres://postgres@127.0.0.1:1/x", "migrate"],
        dir.path(),
    );
    assert!(!o.status.success());
    assert!(stderr(&o).starts_with("Lỗi:"), "{}", stderr(&o));
}

#[test]
fn migrate_demo_users_and_audit_verify() {
    let dir = tempfile::tempdir().unwrap();
    let db = ["--database", "sqlite://p.db"];
    let o = phongthu(&[&db[..], &["migrate"]].concat(), dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("admin"),
        "the one-time password is printed once: {}",
        stdout(&o)
    );
    let o = phongthu(&[&db[..], &["migrate"]].concat(), dir.path());
    assert!(!stdout(&o).contains("Mật khẩu dùng một lần"), "only once");
    let o = phongthu(&[&db[..], &["demo"]].concat(), dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("phongthu-demo-2026"));
    assert!(
        stdout(&o).contains("vừa tạo): 6 quân nhân dự bị, 3 người đã sắp xếp"),
        "the forces demo: {}",
        stdout(&o)
    );
    let o = phongthu(&[&db[..], &["demo"]].concat(), dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("đã có sẵn): 6 quân nhân dự bị, 3 người"),
        "a second demo adds nothing: {}",
        stdout(&o)
    );
    let o = phongthu(&[&db[..], &["user", "list"]].concat(), dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    for u in ["quantri", "chihuy", "chihuy.ptkv", "lanhdao", "thanhtra"] {
        assert!(stdout(&o).contains(u), "{u}");
    }
    let o = phongthu(&[&db[..], &["user", "disable", "lanhdao"]].concat(), dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let o = phongthu(&[&db[..], &["user", "reset-password", "chihuy"]].concat(), dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let o = phongthu(&[&db[..], &["audit", "verify"]].concat(), dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let o = phongthu(&[&db[..], &["user", "disable", "khong-co-ai"]].concat(), dir.path());
    assert!(!o.status.success());
    assert!(stderr(&o).starts_with("Lỗi:"));
}

#[test]
fn audit_head_is_printed_and_compared_with_a_copy_kept_outside() {
    let dir = tempfile::tempdir().unwrap();
    let db = ["--database", "sqlite://p.db"];
    let o = phongthu(&[&db[..], &["migrate"]].concat(), dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let o = phongthu(&[&db[..], &["audit", "head"]].concat(), dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let head = stdout(&o).trim().to_string();
    let (seq, hash) = head.split_once(':').expect("SEQ:HASH");
    assert!(seq.parse::<i64>().unwrap() > 0 && hash.len() == 64, "{head}");
    // `audit verify` prints the same head, to be written down.
    let o = phongthu(&[&db[..], &["audit", "verify"]].concat(), dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains(&head), "{}", stdout(&o));
    // The chain grows; the head kept outside is still in it (given as text or in a file).
    let o = phongthu(&[&db[..], &["demo"]].concat(), dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let o = phongthu(
        &[&db[..], &["audit", "verify", "--expect-head", &head]].concat(),
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(dir.path().join("head.txt"), format!("{head}\n")).unwrap();
    let o = phongthu(
        &[&db[..], &["audit", "verify", "--expect-head", "head.txt"]].concat(),
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // A head the chain does not hold (another hash at that line, or a line past its end) fails.
    let other = format!("{seq}:{}", "0".repeat(64));
    let o = phongthu(
        &[&db[..], &["audit", "verify", "--expect-head", &other]].concat(),
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stderr(&o).contains("viết lại"), "{}", stderr(&o));
    let beyond = format!("999999:{hash}");
    let o = phongthu(
        &[&db[..], &["audit", "verify", "--expect-head", &beyond]].concat(),
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let o = phongthu(
        &[&db[..], &["audit", "verify", "--expect-head", "khong-co-tep"]].concat(),
        dir.path(),
    );
    assert!(!o.status.success());
    assert!(stderr(&o).starts_with("Lỗi:"), "{}", stderr(&o));
}

#[test]
fn nvqs_assess_contract() {
    let dir = tempfile::tempdir().unwrap();
    let input = r#"{"cycle": {"year": 2026, "reference_date": "2025-12-31", "allow_grade_7": false},
      "citizens": [{"id": "c-001", "full_name": "Nguyễn Văn An", "birth_date": "2006-05-12", "sex": "male",
        "education_grade": 12, "hard_area": false, "studying": null, "deferred_before_for_higher_education": false,
        "health": {"class": 2}, "political_vetting": "passed", "circumstances": ["sibling_in_service"]}]}"#;
    std::fs::write(dir.path().join("cases.json"), input).unwrap();
    let o = phongthu(&["nvqs", "assess", "--input", "cases.json"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let d = &v["decisions"][0];
    assert_eq!(d["id"], "c-001");
    assert_eq!(d["status"], "deferred");
    assert_eq!(d["grounds"], serde_json::json!(["41.1.d"]));
    assert_eq!(d["age_limit_date"], "2032-05-11");
    // Malformed input: exit 2, a message naming the case and field, no output file.
    std::fs::write(
        dir.path().join("bad.json"),
        input.replace("\"class\": 2", "\"class\": 9"),
    )
    .unwrap();
    let o = phongthu(
        &["nvqs", "assess", "--input", "bad.json", "--output", "out.json"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("c-001") && stderr(&o).contains("health.class"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("out.json").exists());
}

#[test]
fn directive_parse_reads_a_text_file() {
    let dir = tempfile::tempdir().unwrap();
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../domain/src/directive/fixtures/004_a002179fb364bf8d.txt");
    let o = phongthu(&["directive", "parse", seed.to_str().unwrap(), "--json"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["number_symbol"], "677/TB-VP");
    assert_eq!(v["kind"], "thong_bao");
    let o = phongthu(&["directive", "parse", "khong-co.docx"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("Lỗi:"), "{}", stderr(&o));
}

/// Starts `serve --demo` with `--citizens n` on a free port, waits until it listens, and returns
/// everything it printed up to then (the server is killed).
fn serve_demo_until_listening(dir: &Path, citizens: &str) -> String {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_phongthu"))
        .args([
            "--database",
            "sqlite://p.db",
            "serve",
            "--demo",
            "--citizens",
            citizens,
            "--listen",
            "127.0.0.1:0",
        ])
        .current_dir(dir)
        .env_remove("PHONGTHU_DATABASE_URL")
        .env_remove("PHONGTHU_LISTEN")
        .env_remove("PHONGTHU_CONFIG")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start phongthu serve");
    let mut out = String::new();
    for line in BufReader::new(child.stdout.take().expect("stdout")).lines() {
        let line = line.expect("read stdout");
        out.push_str(&line);
        out.push('\n');
        if line.contains("đang chạy tại") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    out
}

#[test]
fn serve_demo_adds_citizens_and_a_cycle_once() {
    let dir = tempfile::tempdir().unwrap();
    let first = serve_demo_until_listening(dir.path(), "300");
    assert!(first.contains("đang chạy tại"), "{first}");
    assert_eq!(first.matches("Đã nhập 100 hồ sơ công dân").count(), 3, "{first}");
    assert!(first.contains("Đã mở đợt tuyển quân năm"), "{first}");
    // A second start on the same database adds nothing and still serves.
    let second = serve_demo_until_listening(dir.path(), "300");
    assert!(second.contains("đang chạy tại"), "{second}");
    assert!(second.contains("không thêm hồ sơ mẫu"), "{second}");
    assert!(!second.contains("Đã mở đợt tuyển quân"), "{second}");
}

#[test]
fn user_tokens_are_listed_and_revoked() {
    use phongthu_domain::auth::TokenScope;
    let dir = tempfile::tempdir().unwrap();
    let db = ["--database", "sqlite://p.db"];
    let o = phongthu(&[&db[..], &["demo"]].concat(), dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    // Two tokens made the way the account page makes them.
    let url = format!("sqlite://{}", dir.path().join("p.db").display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (read, write) = rt.block_on(async {
        let store = phongthu_store::Store::open(&url, phongthu_store::OpenOptions::default())
            .await
            .unwrap();
        let s = store.login("chihuy", phongthu_store::DEMO_PASSWORD).await.unwrap();
        let me = store.scoped(&s.actor);
        let read = me.create_api_token("báo cáo", TokenScope::ReadOnly, 30).await.unwrap();
        let write = me
            .create_api_token("đồng bộ", TokenScope::ReadWrite, 365)
            .await
            .unwrap();
        store.close().await;
        (read, write)
    });
    let o = phongthu(&[&db[..], &["user", "tokens", "chihuy"]].concat(), dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].contains("còn hiệu lực") && lines[0].contains("read_write") && lines[0].contains("đồng bộ"));
    assert!(
        lines[1].contains("read_only") && lines[1].contains("chưa dùng"),
        "{out}"
    );
    let read_id = lines[1].split_whitespace().next().unwrap().to_string();
    let o = phongthu(&[&db[..], &["user", "revoke-token", &read_id]].concat(), dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("Đã thu hồi mã truy cập API số"), "{}", stdout(&o));
    let o = phongthu(&[&db[..], &["user", "tokens", "chihuy"]].concat(), dir.path());
    assert!(
        stdout(&o).lines().nth(1).unwrap().contains("đã thu hồi"),
        "{}",
        stdout(&o)
    );
    let o = phongthu(&[&db[..], &["user", "revoke-tokens", "chihuy"]].concat(), dir.path());
    assert!(
        stdout(&o).contains("Đã thu hồi 1 mã truy cập API của chihuy."),
        "{}",
        stdout(&o)
    );
    let o = phongthu(&[&db[..], &["user", "revoke-token", "999999"]].concat(), dir.path());
    assert!(!o.status.success());
    assert!(stderr(&o).starts_with("Lỗi:"), "{}", stderr(&o));
    rt.block_on(async {
        let store = phongthu_store::Store::open(&url, phongthu_store::OpenOptions::default())
            .await
            .unwrap();
        assert!(store.api_token_actor(&read).await.unwrap().is_none());
        assert!(store.api_token_actor(&write).await.unwrap().is_none());
    });
    let o = phongthu(&[&db[..], &["audit", "verify"]].concat(), dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
}
