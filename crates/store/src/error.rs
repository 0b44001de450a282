use thiserror::Error;

/// Errors of the store. Every message is one Vietnamese sentence that can be shown to the user;
/// the cause of a database error is kept for the log.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database URL or path is wrong.
    #[error("{0}")]
    Config(String),
    /// The database cannot be reached or opened.
    #[error("{0}")]
    Unavailable(String),
    /// The database is corrupt, or was written by a newer version of phongthu.
    #[error("{0}")]
    Incompatible(String),
    #[error("{0}")]
    NotFound(String),
    /// Outside the actor's scope, or not allowed to the actor's role.
    #[error("{0}")]
    Forbidden(String),
    /// Input that breaks a rule.
    #[error("{0}")]
    Invalid(String),
    /// A duplicate or a conflicting change.
    #[error("{0}")]
    Conflict(String),
    /// Wrong credentials, disabled account, throttled login, expired session.
    #[error("{0}")]
    Unauthenticated(String),
    #[error("Lỗi cơ sở dữ liệu: {0}")]
    Db(#[from] sqlx::Error),
    /// An error of the SQLite connection that bulk loads write on (`raw_sqlite`).
    #[error("Lỗi cơ sở dữ liệu: {0}")]
    Sqlite(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => StoreError::Unavailable(
                "Cơ sở dữ liệu đang bận ghi (một thao tác ghi khác chưa xong): không có gì được ghi, hãy thử lại sau."
                    .into(),
            ),
            _ => StoreError::Sqlite(e.to_string()),
        }
    }
}

impl StoreError {
    /// Every connection of the pool stayed busy past the wait (the server is overloaded): the
    /// request did nothing and may be retried.
    pub fn is_busy(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::PoolTimedOut))
    }

    /// Maps a unique-constraint violation to a Conflict with the given message.
    pub(crate) fn unique_or(e: sqlx::Error, msg: impl Into<String>) -> StoreError {
        if let sqlx::Error::Database(d) = &e {
            if d.is_unique_violation() {
                return StoreError::Conflict(msg.into());
            }
        }
        StoreError::Db(e)
    }
}
