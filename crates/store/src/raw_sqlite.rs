//! A SQLite connection of its own, on a thread of its own, for bulk loads (the citizen import).
//!
//! sqlx's SQLite driver copies every bound value into its own argument list and hands each
//! statement to its worker thread; at a million rows that handoff and those copies were most of
//! the import's writing time (docs/PERFORMANCE.md, "Import of citizen records"). A bulk load
//! instead runs its whole transaction (records, audit entries, index rebuild) on a plain rusqlite
//! connection to the same file: one prepared INSERT, stepped once per row, its values bound
//! straight from the prepared record. The calls still come from async code: each is a closure
//! sent to the connection's thread and answered over a oneshot channel, one per batch of rows
//! rather than one per statement.
//!
//! The connection has the pool's settings (WAL, set on the file by the pool; NORMAL sync; foreign
//! keys; a 10 s busy timeout), except that its commit does not copy the write-ahead log into the
//! database file: the thread does that (a passive checkpoint) after its last call, when the
//! caller already has its answer. Its transaction is the one write in flight, as with any SQLite
//! write: readers on the pool see the database as it was until the commit.

use crate::error::StoreError;
use std::path::Path;
use std::time::Duration;

type Job = Box<dyn FnOnce(&mut rusqlite::Connection) + Send>;

/// The connection's thread; [`RawSqlite::call`] runs a closure on it.
pub(crate) struct RawSqlite {
    jobs: std::sync::mpsc::Sender<Job>,
}

fn gone() -> StoreError {
    StoreError::Unavailable("Kết nối ghi SQLite đã dừng giữa chừng; không có gì được ghi.".into())
}

fn open_connection(path: &Path) -> Result<rusqlite::Connection, StoreError> {
    use rusqlite::OpenFlags;
    // The file exists: the pool opened (or created) it first.
    let c = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    c.busy_timeout(Duration::from_secs(10))?;
    // No automatic checkpoint at this connection's commit: after a bulk load, copying the whole
    // log into the database file took longer than a second per million records, which the user
    // would wait for. The thread does it once its work is done, after the answer has gone.
    c.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 0;")?;
    Ok(c)
}

/// Copies the write-ahead log into the database file and truncates it (the `-wal` file would
/// otherwise stay as large as the import), waiting at most `SETTLE_WAL_WAIT_MS` for readers on an
/// older snapshot (new writers wait meanwhile); then a passive checkpoint, which waits for no one,
/// copies what it can. Returns whether the log was truncated. Same rule as `Store::settle_wal`.
fn settle_wal(conn: &rusqlite::Connection) -> bool {
    let checkpoint = |mode: &str| {
        conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| r.get::<_, i64>(0))
            .map(|busy| busy == 0)
            .unwrap_or(false)
    };
    if conn
        .busy_timeout(Duration::from_millis(crate::db::SETTLE_WAL_WAIT_MS))
        .is_ok()
        && checkpoint("TRUNCATE")
    {
        return true;
    }
    checkpoint("PASSIVE");
    false
}

impl RawSqlite {
    /// Opens the file on a new thread. The thread ends when this handle is dropped; a transaction
    /// left open then is rolled back.
    pub async fn open(path: &Path) -> Result<RawSqlite, StoreError> {
        let path = path.to_path_buf();
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let (ready, opened) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("phongthu-sqlite-bulk".into())
            .spawn(move || {
                let mut conn = match open_connection(&path) {
                    Ok(c) => {
                        let _ = ready.send(Ok(()));
                        c
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                while let Ok(job) = queue.recv() {
                    job(&mut conn);
                }
                if !conn.is_autocommit() {
                    // Closing would roll back as well; saying it keeps the intent visible.
                    let _ = conn.execute_batch("ROLLBACK");
                } else {
                    // The caller has its answer (committed): copying the write-ahead log into
                    // the database file happens now, behind it (see `open_connection`). A
                    // passive checkpoint blocks neither readers nor writers; if the process
                    // ends first, the log stays and the next commit on the pool copies it.
                    let t = std::time::Instant::now();
                    let truncated = settle_wal(&conn);
                    tracing::debug!(took = ?t.elapsed(), truncated, "bulk connection: checkpoint after its work");
                }
            })
            .map_err(|e| StoreError::Unavailable(format!("Không tạo được luồng ghi SQLite: {e}.")))?;
        opened.await.map_err(|_| gone())??;
        Ok(RawSqlite { jobs })
    }

    /// Runs `f` on the connection's thread and returns its result. A plain function returning a
    /// future that holds only the answer's receiver (not `f`): the closure's higher-ranked
    /// signature then stays out of the callers' futures, which must be `Send` for `tokio::spawn`.
    pub fn call<R, F>(&self, f: F) -> impl std::future::Future<Output = Result<R, StoreError>> + Send + 'static
    where
        F: FnOnce(&mut rusqlite::Connection) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |c| {
            let _ = answer.send(f(c));
        });
        let sent = self.jobs.send(job).is_ok();
        async move {
            if !sent {
                return Err(gone());
            }
            answered.await.map_err(|_| gone())?
        }
    }

    /// Rolls back an open transaction and waits until it is done (dropping the handle does the
    /// same without waiting).
    pub async fn rollback(&self) -> Result<(), StoreError> {
        self.call(|c| {
            if !c.is_autocommit() {
                c.execute_batch("ROLLBACK")?;
            }
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_run_in_order_and_a_dropped_handle_rolls_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER)")
            .unwrap();
        let raw = RawSqlite::open(&path).await.unwrap();
        raw.call(|c| {
            c.execute_batch("BEGIN IMMEDIATE; INSERT INTO t VALUES (1)")?;
            Ok(())
        })
        .await
        .unwrap();
        let n: i64 = raw
            .call(|c| Ok(c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(n, 1);
        // An error inside a call comes back as a StoreError.
        let e = raw
            .call(|c| Ok(c.execute_batch("INSERT INTO missing VALUES (1)")?))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("missing"), "{e}");
        raw.rollback().await.unwrap();
        raw.call(|c| {
            c.execute_batch("BEGIN IMMEDIATE; INSERT INTO t VALUES (2)")?;
            Ok(())
        })
        .await
        .unwrap();
        drop(raw);
        // The dropped handle's transaction is rolled back: a new writer gets the lock (waiting
        // for the thread to finish at most the busy timeout) and sees no row.
        let c = open_connection(&path).unwrap();
        c.execute_batch("BEGIN IMMEDIATE; COMMIT").unwrap();
        let n: i64 = c.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 0);
        // A second writer while the first holds the lock gets a Vietnamese "busy" error, not a
        // bare SQLite code (the real connection waits its 10 s busy timeout first).
        c.execute_batch("BEGIN IMMEDIATE").unwrap();
        let other = rusqlite::Connection::open(&path).unwrap();
        other.busy_timeout(Duration::ZERO).unwrap();
        let busy = StoreError::from(other.execute_batch("BEGIN IMMEDIATE").unwrap_err());
        assert!(
            matches!(&busy, StoreError::Unavailable(m) if m.contains("đang bận")),
            "{busy}"
        );
        c.execute_batch("ROLLBACK").unwrap();
        // A file that cannot be opened is a clear error, not a panic.
        let e = RawSqlite::open(&dir.path().join("no/such.db")).await.err().unwrap();
        assert!(matches!(e, StoreError::Sqlite(_) | StoreError::Unavailable(_)), "{e}");
    }
}
