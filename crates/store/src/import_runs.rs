//! The journal of the web's background imports (`import_run`, migration 20).
//!
//! A citizen import started from the web runs in the background while its page refreshes; the
//! page's state lives in the server's memory. After a crash or a restart that state is gone, but
//! the journal's row is not: [`Scoped::start_import_run`] writes it before the import starts,
//! the import's own transaction marks it committed in the same commit
//! (`Scoped::import_citizens_run`), and [`Scoped::finish_import_run`] marks an import that ended
//! without writing. A row never marked is an import whose transaction never committed: the
//! server stopped while it ran, and nothing of it was written.
//!
//! The journal is the server's own bookkeeping, like its sessions, not the register: its rows get
//! no audit entry (the import's records get theirs when it commits), so that an import refused
//! whole leaves the audit log as it was.

use crate::error::StoreError;
use crate::scope::Scoped;
use phongthu_domain::auth::Permission;
use sqlx::Row;

/// One import as the journal knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRun {
    pub file_name: String,
    pub unit_id: i64,
    /// RFC 3339 UTC.
    pub started_at: String,
    /// None: the import never ended (interrupted), so nothing of it was written.
    pub finished_at: Option<String>,
    pub committed: bool,
}

impl ImportRun {
    /// Whether the server stopped while the import ran.
    pub fn interrupted(&self) -> bool {
        self.finished_at.is_none()
    }
}

/// The statement that marks a run committed, run inside the import's transaction (`$1` the time,
/// `$2` the token; SQLite's `?1`, `?2` in the raw connection).
pub(crate) const MARK_COMMITTED_SQL: &str = "UPDATE import_run SET finished_at = $1, committed = 1 WHERE token = $2";
pub(crate) const MARK_COMMITTED_SQLITE: &str = "UPDATE import_run SET finished_at = ?1, committed = 1 WHERE token = ?2";

impl Scoped<'_> {
    /// Records an import about to start into `unit_id`.
    pub async fn start_import_run(&self, token: &str, unit_id: i64, file_name: &str) -> Result<(), StoreError> {
        self.require(Permission::Write)?;
        sqlx::query(
            "INSERT INTO import_run (token, user_id, unit_id, file_name, started_at, committed) \
             VALUES ($1, $2, $3, $4, $5, 0)",
        )
        .bind(token)
        .bind(self.actor.user_id)
        .bind(unit_id)
        .bind(file_name)
        .bind(crate::now_text())
        .execute(&self.store.writer)
        .await?;
        Ok(())
    }

    /// Marks an import that ended without writing anything (refused rows in all-or-nothing mode,
    /// or an error). A committed import was marked by its own commit.
    pub async fn finish_import_run(&self, token: &str) -> Result<(), StoreError> {
        self.require(Permission::Write)?;
        sqlx::query("UPDATE import_run SET finished_at = $1 WHERE token = $2 AND finished_at IS NULL")
            .bind(crate::now_text())
            .bind(token)
            .execute(&self.store.writer)
            .await?;
        Ok(())
    }

    /// The run of `token` when it was started by this actor's user.
    pub async fn import_run(&self, token: &str) -> Result<Option<ImportRun>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id, unit_id, file_name, started_at, finished_at, committed FROM import_run WHERE token = $1",
        )
        .bind(token)
        .fetch_optional(&self.store.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let owner: Option<i64> = r.try_get("user_id")?;
        if owner != self.actor.user_id {
            return Ok(None);
        }
        Ok(Some(ImportRun {
            file_name: r.try_get("file_name")?,
            unit_id: r.try_get("unit_id")?,
            started_at: r.try_get("started_at")?,
            finished_at: r.try_get("finished_at")?,
            committed: r.try_get::<i64, _>("committed")? != 0,
        }))
    }
}
