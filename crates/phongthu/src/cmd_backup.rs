//! `phongthu backup` and `phongthu restore`, and the lock that keeps the command line off a
//! SQLite file that a running server uses.
//!
//! The server holds an exclusive lock on `<database>.phongthu-lock` while it runs; the commands
//! that write or change the database take a shared lock on it, so that either the server or the
//! commands work on the file, never both (a command refused says so, and what to do instead).
//! `backup` only reads and runs beside the server. PostgreSQL needs none of this: its server
//! arbitrates every client, and its backups are made with `pg_dump`.

use crate::config::Settings;
use crate::{CmdResult, Failure};
use phongthu_store::{OpenOptions, Store};
use std::fs::File;
use std::path::{Path, PathBuf};

/// The SQLite file named by a database URL, if it is one.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let url = url.trim();
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty()).then(|| PathBuf::from(path))
}

fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".phongthu-lock");
    db.with_file_name(name)
}

fn open_lock(db: &Path) -> Result<Option<File>, Failure> {
    let dir = db
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        // The store reports the missing folder in its own words.
        return Ok(None);
    }
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(lock_path(db))
        .map_err(|e| format!("Không mở được tệp khóa {}: {e}.", lock_path(db).display()))?;
    Ok(Some(f))
}

/// Held by `serve` for as long as it runs: no second server and no writing command on the file.
pub fn lock_for_server(settings: &Settings) -> Result<Option<File>, Failure> {
    let Some(db) = sqlite_file(&settings.database_url) else {
        return Ok(None);
    };
    let Some(f) = open_lock(&db)? else { return Ok(None) };
    match f.try_lock() {
        Ok(()) => Ok(Some(f)),
        Err(std::fs::TryLockError::WouldBlock) => Err(Failure {
            code: 3,
            message: format!(
                "Tệp cơ sở dữ liệu {} đang được dùng (một máy chủ phongthu khác đang chạy, hoặc một lệnh đang ghi vào nó); hãy chờ lệnh xong hoặc dừng máy chủ kia trước.",
                db.display()
            ),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(format!("Không khóa được tệp {}: {e}.", db.display()).into()),
    }
}

/// Held by a command that writes to the database: refused while a server uses the file.
pub fn lock_for_command(settings: &Settings, command: &str) -> Result<Option<File>, Failure> {
    let Some(db) = sqlite_file(&settings.database_url) else {
        return Ok(None);
    };
    let Some(f) = open_lock(&db)? else { return Ok(None) };
    match f.try_lock_shared() {
        Ok(()) => Ok(Some(f)),
        Err(std::fs::TryLockError::WouldBlock) => Err(Failure {
            code: 3,
            message: format!(
                "Máy chủ phongthu đang chạy trên tệp {}: lệnh `{command}` không chạy khi máy chủ đang dùng tệp SQLite này, để không có thay đổi nào bị mất. Hãy làm việc này trên giao diện web, hoặc dừng máy chủ rồi chạy lại lệnh. (`phongthu backup` thì chạy được trong khi máy chủ chạy.)",
                db.display()
            ),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(format!("Không khóa được tệp {}: {e}.", db.display()).into()),
    }
}

fn print_report(what: &str, r: &phongthu_store::BackupReport) {
    println!(
        "{what} {} ({} byte). Nhật ký toàn vẹn: {} dòng, đầu chuỗi {} (băm {}).",
        r.path.display(),
        r.bytes,
        r.audit_entries,
        r.audit_head_seq,
        r.audit_head_hash
    );
    for (table, n) in &r.counts {
        println!("  {table}: {n}");
    }
}

/// `phongthu backup --to FILE`.
pub async fn backup(settings: &Settings, to: &Path) -> CmdResult {
    if sqlite_file(&settings.database_url).is_none() {
        return Err(Failure {
            code: 2,
            message: "Cơ sở dữ liệu là PostgreSQL: sao lưu bằng `pg_dump --format=custom --file=phongthu.dump \"<địa chỉ cơ sở dữ liệu>\"` và phục hồi bằng `pg_restore --clean --if-exists --dbname=\"<địa chỉ>\" phongthu.dump` (xem docs/OPERATIONS.md).".into(),
        });
    }
    let store = Store::open(
        &settings.database_url,
        OpenOptions {
            create_if_missing: false,
            migrate: false,
            max_connections: 1,
        },
    )
    .await?;
    let report = store.backup_sqlite(to).await;
    store.close().await;
    print_report("Đã sao lưu vào", &report?);
    Ok(())
}

/// `phongthu restore --from FILE`: only while no server uses the database file.
pub async fn restore(settings: &Settings, from: &Path) -> CmdResult {
    let Some(to) = sqlite_file(&settings.database_url) else {
        return Err(Failure {
            code: 2,
            message: "Cơ sở dữ liệu là PostgreSQL: phục hồi bằng `pg_restore --clean --if-exists --dbname=\"<địa chỉ>\" phongthu.dump` (xem docs/OPERATIONS.md).".into(),
        });
    };
    // Exclusive: no server and no other command on the file while it is replaced.
    let _lock = lock_for_server(settings).map_err(|f| Failure {
        code: f.code,
        message: format!("Không phục hồi được: {}", f.message),
    })?;
    let report = phongthu_store::restore_sqlite(from, &to).await?;
    print_report("Đã phục hồi vào", &report);
    Ok(())
}
