use crate::error::StoreError;
use crate::migrate;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Which database engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How to open a store.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Create a missing SQLite file (its directory must exist). The creation is logged.
    pub create_if_missing: bool,
    /// Apply pending migrations (in one transaction each).
    pub migrate: bool,
    pub max_connections: u32,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            create_if_missing: true,
            migrate: true,
            max_connections: 8,
        }
    }
}

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    /// Reads (and the few writes outside `begin_write`).
    pub(crate) pool: AnyPool,
    /// Connections reserved for write transactions (`begin_write`): SQLite one (it has one
    /// writer; the writers queue for it in order instead of polling the file lock beside the
    /// readers), PostgreSQL a few. A write never waits for a connection held by a long read.
    pub(crate) writer: AnyPool,
    backend: Backend,
    description: String,
    /// The SQLite file or the PostgreSQL URL, for the bulk loads that write on a connection of
    /// their own ([`crate::raw_sqlite`], `COPY`).
    pub(crate) target: Target,
    /// What a test may run at a chosen point of the store's work (none outside tests).
    pub(crate) hooks: std::sync::Arc<crate::users::Hooks>,
}

/// A connection URL, which may hold a password: kept to open a bulk load's own connection, never
/// printed whole (its `Debug` leaves the password out).
#[derive(Clone)]
pub(crate) struct ConnectUrl(pub(crate) String);

impl std::fmt::Debug for ConnectUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact(&self.0))
    }
}

/// Where a store's data are: a SQLite file or a PostgreSQL server.
#[derive(Clone, Debug)]
pub(crate) enum Target {
    Sqlite(PathBuf),
    Postgres(ConnectUrl),
}

fn parse_url(url: &str) -> Result<Target, StoreError> {
    let url = url.trim();
    if let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() || path == ":memory:" {
            return Err(StoreError::Config(
                "Đường dẫn SQLite trống: hãy ghi rõ tệp, ví dụ sqlite://phongthu.db.".into(),
            ));
        }
        return Ok(Target::Sqlite(PathBuf::from(path)));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Target::Postgres(ConnectUrl(url.to_string())));
    }
    Err(StoreError::Config(format!(
        "Địa chỉ cơ sở dữ liệu \"{url}\" không hợp lệ: dùng sqlite://đường-dẫn hoặc postgres://máy-chủ/tên-csdl (Invalid database URL)."
    )))
}

/// Which pool a connection serves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Read,
    Write,
}

/// Write connections on PostgreSQL: writers queue on the audit head's row lock anyway
/// (`begin_write`), so two let the next writer be ready while one commits.
const WRITER_CONNECTIONS_PG: u32 = 2;

/// How long a write waits for its connection (SQLite: for the writers before it), and on SQLite
/// for the file's write lock held by another process or by a bulk import's own connection.
/// Longer than a read's wait: a write queued behind others is worth finishing.
pub(crate) const WRITE_WAIT: Duration = Duration::from_secs(30);

/// How long a read waits for a connection.
const READ_WAIT: Duration = Duration::from_secs(10);

/// PostgreSQL: the longest a statement of the read pool may run. A page's reads are bounded
/// (lists are paged, searches capped); one that runs longer is cut rather than left holding a
/// connection that other pages wait for.
pub const READ_STATEMENT_TIMEOUT_MS: u64 = 30_000;

/// SQLite: how long a reader waits on a locked file (in WAL mode only a checkpoint or a
/// recovery locks readers out, briefly).
const SQLITE_READ_BUSY_MS: u64 = 5_000;

fn pool_options(backend: Backend, role: Role, max: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(if role == Role::Write { WRITE_WAIT } else { READ_WAIT })
        .after_connect(move |conn, _| {
            Box::pin(async move {
                use sqlx::Executor;
                match backend {
                    Backend::Sqlite => {
                        // WAL lets readers run beside the writer; NORMAL sync is durable in WAL
                        // mode except for the last transactions on power loss.
                        let busy = match role {
                            Role::Write => WRITE_WAIT.as_millis() as u64,
                            Role::Read => SQLITE_READ_BUSY_MS,
                        };
                        conn.execute(
                            format!(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {busy}; \
                                 PRAGMA cache_size = -{SQLITE_CACHE_KIB};"
                            )
                            .as_str(),
                        )
                        .await?;
                    }
                    Backend::Postgres if role == Role::Read => {
                        conn.execute(format!("SET statement_timeout = {READ_STATEMENT_TIMEOUT_MS}").as_str())
                            .await?;
                    }
                    Backend::Postgres => {}
                }
                Ok(())
            })
        })
}

/// How long the checkpoint after an import waits for readers before it settles for a passive one
/// (see [`Store::settle_wal`]); new writers wait meanwhile.
pub(crate) const SETTLE_WAL_WAIT_MS: u64 = 250;

/// Page cache of each SQLite connection, in KiB (a few connections: the idle memory stays small;
/// the citizen import raises its own connection's cache for its transaction).
pub(crate) const SQLITE_CACHE_KIB: i64 = 4096;

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

fn check_sqlite_file(path: &Path, create: bool) -> Result<bool, StoreError> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(StoreError::Config(format!(
            "\"{}\" là một thư mục, không phải tệp cơ sở dữ liệu.",
            path.display()
        ))),
        Ok(m) => {
            if m.len() > 0 {
                use std::io::Read;
                let mut head = [0u8; 16];
                let mut f = std::fs::File::open(path)
                    .map_err(|e| StoreError::Unavailable(format!("Không mở được tệp \"{}\": {e}.", path.display())))?;
                let n = f.read(&mut head).unwrap_or(0);
                if n < 16 || &head != SQLITE_HEADER {
                    return Err(StoreError::Incompatible(format!(
                        "Tệp \"{}\" không phải cơ sở dữ liệu SQLite hoặc đã hỏng; phongthu không ghi đè lên nó.",
                        path.display()
                    )));
                }
            }
            Ok(false)
        }
        Err(_) => {
            let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
            if let Some(p) = parent {
                if !p.is_dir() {
                    return Err(StoreError::Config(format!(
                        "Thư mục \"{}\" không tồn tại: kiểm tra lại đường dẫn cơ sở dữ liệu.",
                        p.display()
                    )));
                }
            }
            if !create {
                return Err(StoreError::Config(format!(
                    "Không có tệp cơ sở dữ liệu \"{}\": kiểm tra lại đường dẫn, hoặc chạy `phongthu migrate` để tạo mới.",
                    path.display()
                )));
            }
            Ok(true)
        }
    }
}

impl Store {
    /// Opens the database named by `url` (`sqlite://path` or `postgres://...`).
    pub async fn open(url: &str, opts: OpenOptions) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let target = parse_url(url)?;
        let (connect_url, backend, description) = match &target {
            Target::Sqlite(path) => {
                let created = check_sqlite_file(path, opts.create_if_missing)?;
                if created {
                    tracing::info!("Tạo cơ sở dữ liệu SQLite mới tại {}", path.display());
                }
                let mode = if created { "rwc" } else { "rw" };
                (
                    format!("sqlite://{}?mode={mode}", path.display()),
                    Backend::Sqlite,
                    format!("SQLite {}", path.display()),
                )
            }
            Target::Postgres(u) => (u.0.clone(), Backend::Postgres, redact(&u.0)),
        };
        let reads = if backend == Backend::Sqlite {
            // SQLite has one writer; each connection is a thread with its own page cache, so a
            // few connections serve reads as fast as many and keep the idle memory small.
            opts.max_connections.clamp(1, 4)
        } else {
            opts.max_connections
        };
        let pool = pool_options(backend, Role::Read, reads)
            .connect(&connect_url)
            .await
            .map_err(|e| connect_error(&description, e))?;
        let writers = if backend == Backend::Sqlite {
            1
        } else {
            WRITER_CONNECTIONS_PG
        };
        let writer = pool_options(backend, Role::Write, writers)
            .connect(&connect_url)
            .await
            .map_err(|e| connect_error(&description, e))?;
        let store = Store {
            pool,
            writer,
            backend,
            description,
            target,
            hooks: Default::default(),
        };
        // A query that touches the file: fails clearly on a corrupt database.
        store.probe().await?;
        migrate::check_version(&store).await?;
        if opts.migrate {
            migrate::run(&store).await?;
        }
        Ok(store)
    }

    async fn probe(&self) -> Result<(), StoreError> {
        let sql = match self.backend {
            Backend::Sqlite => "SELECT count(*) FROM sqlite_master",
            Backend::Postgres => "SELECT 1",
        };
        sqlx::query(sql).fetch_one(&self.pool).await.map_err(|e| {
            StoreError::Incompatible(format!(
                "Không đọc được cơ sở dữ liệu {}: tệp có thể đã hỏng ({e}).",
                self.description
            ))
        })?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// "SQLite path" or the PostgreSQL URL without its password.
    pub fn description(&self) -> &str {
        &self.description
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }

    /// SQLite: copies the write-ahead log into the database file and empties it, waiting for a
    /// checkpoint already running (a bulk import starts one behind its answer). The benchmark
    /// times it apart from the import; backups want it too. PostgreSQL: nothing to do.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Ok(());
        }
        for _ in 0..12_000 {
            // (busy, frames in the log, frames copied); busy while another checkpoint runs.
            let row: AnyRow = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&self.pool)
                .await?;
            if row.try_get::<i64, _>(0).unwrap_or(1) == 0 {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Err(StoreError::Unavailable(
            "Không chép được nhật ký ghi vào tệp cơ sở dữ liệu: tệp vẫn bận sau 10 phút.".into(),
        ))
    }

    /// SQLite, after a bulk import has committed: copies the write-ahead log into the database
    /// file and truncates it, so that the `-wal` file does not stay as large as the largest
    /// import (a passive checkpoint copies the log but leaves its file at full size). Run on the
    /// writer connection, so no write of this process is in flight; a TRUNCATE checkpoint also
    /// waits for readers still on an older snapshot, and holds new writers back while it waits,
    /// so it is tried for [`SETTLE_WAL_WAIT_MS`] only, then a passive checkpoint (which waits for
    /// no one) copies what it can. The import has committed whatever happens here: a failure is
    /// logged, not returned. PostgreSQL: nothing to do. Returns whether the log was truncated.
    pub async fn settle_wal(&self) -> bool {
        if self.backend != Backend::Sqlite {
            return false;
        }
        let run = async {
            let mut c = self.writer.acquire().await?;
            sqlx::query(&format!("PRAGMA busy_timeout = {SETTLE_WAL_WAIT_MS}"))
                .execute(&mut *c)
                .await?;
            let truncated: Result<bool, sqlx::Error> = async {
                let row: AnyRow = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .fetch_one(&mut *c)
                    .await?;
                if row.try_get::<i64, _>(0).unwrap_or(1) == 0 {
                    return Ok(true);
                }
                sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&mut *c).await?;
                Ok(false)
            }
            .await;
            // The writer's own wait again, whatever the checkpoint did.
            sqlx::query(&format!("PRAGMA busy_timeout = {}", WRITE_WAIT.as_millis()))
                .execute(&mut *c)
                .await?;
            truncated
        };
        match run.await {
            Ok(truncated) => {
                if !truncated {
                    tracing::info!("nhật ký ghi SQLite chưa thu gọn được (đang có người đọc); đã chép phần có thể");
                }
                truncated
            }
            Err(e) => {
                tracing::warn!(error = %e, "không thu gọn được nhật ký ghi SQLite sau khi nhập");
                false
            }
        }
    }

    pub(crate) async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row: Option<AnyRow> = sqlx::query("SELECT value FROM schema_meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.get::<String, _>(0)))
    }
}

fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            format!("PostgreSQL {u}")
        }
        Err(_) => "PostgreSQL".into(),
    }
}

fn connect_error(description: &str, e: sqlx::Error) -> StoreError {
    let detail = e.to_string();
    if detail.contains("file is not a database") || detail.contains("malformed") {
        return StoreError::Incompatible(format!(
            "Cơ sở dữ liệu {description} đã hỏng hoặc không phải tệp SQLite; phongthu không ghi đè lên nó."
        ));
    }
    StoreError::Unavailable(format!(
        "Không kết nối được tới cơ sở dữ liệu {description}: {detail} (Cannot connect to the database)."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unknown_schemes() {
        assert!(matches!(parse_url("mysql://x"), Err(StoreError::Config(_))));
        assert!(matches!(parse_url("phongthu.db"), Err(StoreError::Config(_))));
        assert!(matches!(parse_url("sqlite://"), Err(StoreError::Config(_))));
        assert!(matches!(parse_url("sqlite://a.db"), Ok(Target::Sqlite(_))));
        assert!(matches!(parse_url("postgres://localhost/x"), Ok(Target::Postgres(_))));
    }

    #[test]
    fn redacts_passwords() {
        assert!(!redact("postgres://u:secret@h/db").contains("secret"));
    }
}
