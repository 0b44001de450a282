//! Backups of a SQLite database while the server runs, and restoring one.
//!
//! Copying `phongthu.db` with `cp` while the server writes gives a torn file (the recent
//! transactions are in `phongthu.db-wal`, and the copy can catch the file mid-checkpoint).
//! [`Store::backup_sqlite`] uses SQLite's online backup API in one step: it reads the database
//! as of one instant (a read transaction, which in WAL mode blocks no writer) and writes every
//! page into a new file, written beside the destination and renamed only when complete and
//! checked (`PRAGMA integrity_check`, the audit chain, row counts). [`restore_sqlite`] checks a
//! backup the same way and copies it into place; it must not run while a server uses the target
//! (the command line refuses it then).
//!
//! PostgreSQL has its own tools (`pg_dump`/`pg_restore`), described in docs/OPERATIONS.md.

use crate::db::Target;
use crate::error::StoreError;
use crate::{OpenOptions, Store};
use std::path::{Path, PathBuf};

/// The tables counted after a backup or a restore (the registers users fill in).
pub const COUNTED_TABLES: [&str; 10] = [
    "org_unit",
    "app_user",
    "citizen",
    "nvqs_cycle",
    "nvqs_stage_event",
    "militia_member",
    "reservist",
    "document",
    "task",
    "audit_log",
];

/// What a backup or a restore produced, checked.
#[derive(Debug, Clone)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
    /// (table, rows) for [`COUNTED_TABLES`].
    pub counts: Vec<(&'static str, i64)>,
    pub audit_entries: u64,
    pub audit_head_seq: i64,
    pub audit_head_hash: String,
}

impl BackupReport {
    pub fn count(&self, table: &str) -> Option<i64> {
        self.counts.iter().find(|(t, _)| *t == table).map(|(_, n)| *n)
    }
}

fn sqlite_err(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("{what}: {e}."))
}

fn partial_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(".dang-ghi");
    dest.with_file_name(name)
}

/// Copies the database at `src` into a new file `dest` with the online backup API (one step:
/// a consistent copy of one instant), then checks it.
fn copy_sqlite(src: &Path, dest: &Path) -> Result<(), StoreError> {
    use rusqlite::OpenFlags;
    if dest.exists() {
        return Err(StoreError::Invalid(format!(
            "Tệp \"{}\" đã có: phongthu không ghi đè lên nó; hãy chọn tên khác hoặc xóa tệp cũ trước.",
            dest.display()
        )));
    }
    if let Some(dir) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !dir.is_dir() {
            return Err(StoreError::Config(format!(
                "Thư mục \"{}\" không tồn tại.",
                dir.display()
            )));
        }
    }
    let partial = partial_path(dest);
    let _ = std::fs::remove_file(&partial);
    let result = (|| {
        let source = rusqlite::Connection::open_with_flags(src, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .map_err(|e| sqlite_err("Không mở được cơ sở dữ liệu để sao lưu", e))?;
        source
            .busy_timeout(std::time::Duration::from_secs(30))
            .map_err(|e| sqlite_err("Không đặt được thời gian chờ", e))?;
        let mut copy = rusqlite::Connection::open(&partial).map_err(|e| sqlite_err("Không tạo được tệp sao lưu", e))?;
        {
            let backup = rusqlite::backup::Backup::new(&source, &mut copy)
                .map_err(|e| sqlite_err("Không bắt đầu được việc sao lưu", e))?;
            // -1: every page in one step, from one read transaction (writers go on meanwhile).
            loop {
                match backup.step(-1).map_err(|e| sqlite_err("Sao lưu bị gián đoạn", e))? {
                    rusqlite::backup::StepResult::Done => break,
                    _ => std::thread::sleep(std::time::Duration::from_millis(50)),
                }
            }
        }
        let check: String = copy
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| sqlite_err("Không kiểm tra được bản sao", e))?;
        if check != "ok" {
            return Err(StoreError::Incompatible(format!("Bản sao không toàn vẹn: {check}.")));
        }
        // The copy is one file: no write-ahead log beside it.
        copy.execute_batch("PRAGMA journal_mode = DELETE;")
            .map_err(|e| sqlite_err("Không ghi xong bản sao", e))?;
        drop(copy);
        std::fs::File::open(&partial)
            .and_then(|f| f.sync_all())
            .map_err(|e| sqlite_err("Không ghi xong bản sao", e))?;
        std::fs::rename(&partial, dest).map_err(|e| sqlite_err("Không đặt được tên tệp sao lưu", e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// Opens a finished copy, verifies its audit chain and counts its rows.
async fn check_copy(path: &Path) -> Result<BackupReport, StoreError> {
    let url = format!("sqlite://{}", path.display());
    let store = Store::open(
        &url,
        OpenOptions {
            create_if_missing: false,
            migrate: false,
            max_connections: 1,
        },
    )
    .await?;
    let verify = store.verify_audit().await?;
    if let Some(broken) = verify.broken {
        store.close().await;
        return Err(StoreError::Incompatible(format!(
            "Chuỗi nhật ký của bản sao {} bị đứt: {broken}",
            path.display()
        )));
    }
    let counts = store.row_counts().await?;
    store.close().await;
    Ok(BackupReport {
        path: path.to_path_buf(),
        bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        counts,
        audit_entries: verify.entries,
        audit_head_seq: verify.head_seq,
        audit_head_hash: verify.head_hash,
    })
}

impl Store {
    /// The SQLite file of this store, or an error saying what to do on PostgreSQL.
    pub fn sqlite_path(&self) -> Result<PathBuf, StoreError> {
        match &self.target {
            Target::Sqlite(p) => Ok(p.clone()),
            Target::Postgres(_) => Err(StoreError::Config(
                "Cơ sở dữ liệu là PostgreSQL: hãy sao lưu bằng pg_dump và phục hồi bằng pg_restore (xem docs/OPERATIONS.md)."
                    .into(),
            )),
        }
    }

    /// Writes a checked copy of the SQLite database into the new file `dest`, while the server
    /// may go on reading and writing.
    pub async fn backup_sqlite(&self, dest: &Path) -> Result<BackupReport, StoreError> {
        let src = self.sqlite_path()?;
        let dest_owned = dest.to_path_buf();
        tokio::task::spawn_blocking(move || copy_sqlite(&src, &dest_owned))
            .await
            .map_err(|e| StoreError::Unavailable(format!("Sao lưu dừng đột ngột: {e}.")))??;
        check_copy(dest).await
    }

    /// Rows of each of [`COUNTED_TABLES`].
    pub async fn row_counts(&self) -> Result<Vec<(&'static str, i64)>, StoreError> {
        use sqlx::Row;
        let mut out = Vec::with_capacity(COUNTED_TABLES.len());
        for t in COUNTED_TABLES {
            // The table names are the constants above, never user input.
            let n: i64 = sqlx::query(&format!("SELECT count(*) FROM {t}"))
                .fetch_one(&self.pool)
                .await?
                .get(0);
            out.push((t, n));
        }
        Ok(out)
    }
}

/// Restores the backup `from` into `to` (a SQLite file that no server uses): the backup is
/// checked first (integrity, audit chain), copied beside `to`, and renamed over it; the old
/// file's write-ahead log is removed with it. Returns the restored database's figures.
pub async fn restore_sqlite(from: &Path, to: &Path) -> Result<BackupReport, StoreError> {
    if !from.is_file() {
        return Err(StoreError::Config(format!(
            "Không có tệp sao lưu \"{}\".",
            from.display()
        )));
    }
    // The backup must be sound before anything is touched.
    check_copy(from).await?;
    let staged = partial_path(to).with_extension("phuc-hoi");
    let _ = std::fs::remove_file(&staged);
    let (f, s) = (from.to_path_buf(), staged.clone());
    tokio::task::spawn_blocking(move || copy_sqlite(&f, &s))
        .await
        .map_err(|e| StoreError::Unavailable(format!("Phục hồi dừng đột ngột: {e}.")))??;
    for suffix in ["-wal", "-shm"] {
        let mut p = to.as_os_str().to_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    std::fs::rename(&staged, to).map_err(|e| sqlite_err("Không đặt được bản phục hồi vào chỗ", e))?;
    check_copy(to).await
}
