//! Embedded, versioned migrations. Each step runs in one transaction; there are no downgrades, and
//! a database written by a newer phongthu is refused.

use crate::db::{Backend, Store};
use crate::error::StoreError;
use sqlx::Row;

/// One schema step: SQL common to both backends plus optional per-dialect SQL, and a data step
/// in Rust where SQL alone cannot do the work (run after the SQL, in the same transaction, so the
/// recorded schema version says it ran and it never runs twice).
struct Migration {
    version: i64,
    name: &'static str,
    common: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
    step: Option<Step>,
}

/// The one-time data steps written in Rust.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Rebuild every document's search text from its fields and its tasks
    /// (`documents::rebuild_search_texts`): the text folding is Rust's (`text::fold`).
    RebuildSearchTexts,
    /// Fill the registry's name-word index (`citizen_word`) for every record.
    IndexNameWords,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "spine",
        common: include_str!("migrations/0001_spine.sql"),
        sqlite: include_str!("migrations/0001_spine.sqlite.sql"),
        postgres: include_str!("migrations/0001_spine.postgres.sql"),
        step: None,
    },
    Migration {
        version: 2,
        name: "registry",
        common: include_str!("migrations/0002_registry.sql"),
        sqlite: "",
        postgres: include_str!("migrations/0002_registry.postgres.sql"),
        step: None,
    },
    Migration {
        version: 3,
        name: "documents",
        common: include_str!("migrations/0003_documents.sql"),
        sqlite: include_str!("migrations/0003_documents.sqlite.sql"),
        postgres: include_str!("migrations/0003_documents.postgres.sql"),
        step: None,
    },
    Migration {
        version: 4,
        name: "cycle",
        common: include_str!("migrations/0004_cycle.sql"),
        sqlite: "",
        postgres: "",
        step: None,
    },
    Migration {
        version: 5,
        name: "militia",
        common: include_str!("migrations/0005_militia.sql"),
        sqlite: "",
        postgres: "",
        step: None,
    },
    Migration {
        version: 6,
        name: "stages",
        common: include_str!("migrations/0006_stages.sql"),
        sqlite: "",
        postgres: "",
        step: None,
    },
    Migration {
        version: 7,
        name: "reserve",
        common: include_str!("migrations/0007_reserve.sql"),
        sqlite: "",
        postgres: "",
        step: None,
    },
    Migration {
        version: 8,
        name: "followup",
        common: include_str!("migrations/0008_followup.sql"),
        sqlite: include_str!("migrations/0008_followup.sqlite.sql"),
        postgres: include_str!("migrations/0008_followup.postgres.sql"),
        step: None,
    },
    Migration {
        version: 9,
        name: "search",
        common: include_str!("migrations/0009_search.sql"),
        sqlite: include_str!("migrations/0009_search.sqlite.sql"),
        postgres: include_str!("migrations/0009_search.postgres.sql"),
        step: None,
    },
    Migration {
        version: 10,
        name: "education",
        common: include_str!("migrations/0010_education.sql"),
        sqlite: "",
        postgres: include_str!("migrations/0010_education.postgres.sql"),
        step: None,
    },
    Migration {
        version: 11,
        name: "forces_targets",
        common: include_str!("migrations/0011_forces_targets.sql"),
        sqlite: "",
        postgres: "",
        step: None,
    },
    Migration {
        version: 12,
        name: "citizen_indexes",
        common: include_str!("migrations/0012_citizen_indexes.sql"),
        sqlite: "",
        postgres: "",
        step: None,
    },
    Migration {
        version: 13,
        name: "registry_version",
        common: include_str!("migrations/0013_registry_version.sql"),
        sqlite: include_str!("migrations/0013_registry_version.sqlite.sql"),
        postgres: include_str!("migrations/0013_registry_version.postgres.sql"),
        step: None,
    },
    Migration {
        version: 14,
        name: "search_text",
        common: include_str!("migrations/0014_search_text.sql"),
        sqlite: include_str!("migrations/0014_search_text.sqlite.sql"),
        postgres: include_str!("migrations/0014_search_text.postgres.sql"),
        step: Some(Step::RebuildSearchTexts),
    },
    Migration {
        version: 15,
        name: "unread_indexes",
        common: include_str!("migrations/0015_unread_indexes.sql"),
        sqlite: "",
        postgres: "",
        step: None,
    },
    Migration {
        version: 16,
        name: "bytewise_keys",
        common: "",
        sqlite: "",
        postgres: include_str!("migrations/0016_bytewise_keys.postgres.sql"),
        step: None,
    },
    Migration {
        version: 17,
        name: "citizen_study_and_approval_acts",
        common: include_str!("migrations/0017_citizen_study_and_approval_acts.sql"),
        sqlite: "",
        postgres: "",
        step: None,
    },
    Migration {
        version: 18,
        name: "name_words",
        common: "",
        sqlite: include_str!("migrations/0018_name_words.sqlite.sql"),
        postgres: include_str!("migrations/0018_name_words.postgres.sql"),
        step: Some(Step::IndexNameWords),
    },
    Migration {
        version: 19,
        name: "pool_incomplete",
        common: include_str!("migrations/0019_pool_incomplete.sql"),
        sqlite: "",
        postgres: "",
        step: None,
    },
    Migration {
        version: 20,
        name: "import_runs",
        common: include_str!("migrations/0020_import_runs.sql"),
        sqlite: "",
        postgres: "",
        step: None,
    },
    Migration {
        version: 21,
        name: "token_expiry",
        common: include_str!("migrations/0021_token_expiry.sql"),
        sqlite: include_str!("migrations/0021_token_expiry.sqlite.sql"),
        postgres: include_str!("migrations/0021_token_expiry.postgres.sql"),
        step: None,
    },
];

/// The schema version this build writes.
pub const LATEST_SCHEMA_VERSION: i64 = 21;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    pub from_version: i64,
    pub to_version: i64,
    pub applied: Vec<String>,
}

fn render(sql: &str, backend: Backend) -> String {
    let id = match backend {
        Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Backend::Postgres => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    };
    sql.replace("{{ID}}", id)
}

async fn table_exists(store: &Store, table: &str) -> Result<bool, StoreError> {
    // Dialect branch: each engine lists its tables in its own catalogue.
    let sql = match store.backend() {
        Backend::Sqlite => "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
        Backend::Postgres => {
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
        }
    };
    let n: i64 = sqlx::query(sql).bind(table).fetch_one(&store.pool).await?.get(0);
    Ok(n > 0)
}

async fn user_table_count(store: &Store) -> Result<i64, StoreError> {
    let sql = match store.backend() {
        Backend::Sqlite => "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        Backend::Postgres => "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
    };
    Ok(sqlx::query(sql).fetch_one(&store.pool).await?.get(0))
}

/// The schema version of the database (0 for an empty one).
pub async fn current_version(store: &Store) -> Result<i64, StoreError> {
    if !table_exists(store, "schema_meta").await? {
        if user_table_count(store).await? > 0 {
            return Err(StoreError::Incompatible(format!(
                "Cơ sở dữ liệu {} đã có dữ liệu khác, không phải của phongthu; phongthu không ghi vào đó.",
                store.description()
            )));
        }
        return Ok(0);
    }
    Ok(store
        .meta("schema_version")
        .await?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// Refuses a database written by a newer phongthu.
pub async fn check_version(store: &Store) -> Result<i64, StoreError> {
    let v = current_version(store).await?;
    if v > LATEST_SCHEMA_VERSION {
        return Err(StoreError::Incompatible(format!(
            "Cơ sở dữ liệu {} do phiên bản phongthu mới hơn ghi (lược đồ {v}); phiên bản này chỉ hỗ trợ đến lược đồ {LATEST_SCHEMA_VERSION}. Hãy cập nhật phongthu.",
            store.description()
        )));
    }
    Ok(v)
}

/// Applies every pending migration, each in its own transaction.
pub async fn run(store: &Store) -> Result<MigrationReport, StoreError> {
    run_to(store, LATEST_SCHEMA_VERSION).await
}

/// Applies the pending migrations up to `target` only (tests of a migration start from the
/// schema before it).
pub async fn run_to(store: &Store, target: i64) -> Result<MigrationReport, StoreError> {
    let from = check_version(store).await?;
    let mut applied = vec![];
    for m in MIGRATIONS.iter().filter(|m| m.version > from && m.version <= target) {
        let mut tx = store.writer.begin().await?;
        let dialect = match store.backend() {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        for sql in [m.common, dialect] {
            sqlx::raw_sql(&render(sql, store.backend())).execute(&mut *tx).await?;
        }
        match m.step {
            None => {}
            Some(Step::RebuildSearchTexts) => {
                let changed = crate::documents::rebuild_search_texts(&mut tx).await?;
                tracing::info!(changed, "đã dựng lại văn bản tìm kiếm của các văn bản");
            }
            Some(Step::IndexNameWords) => {
                crate::citizens::index_name_words(&mut tx, store.backend(), i64::MIN, i64::MAX).await?;
            }
        }
        for (k, v) in [
            ("schema_version", m.version.to_string()),
            ("written_by", env!("CARGO_PKG_VERSION").to_string()),
        ] {
            // Upsert: same syntax on SQLite (≥ 3.24) and PostgreSQL.
            sqlx::query(
                "INSERT INTO schema_meta (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(k)
            .bind(v)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        tracing::info!(version = m.version, name = m.name, "đã áp dụng bước chuyển đổi lược đồ");
        applied.push(format!("{:04}_{}", m.version, m.name));
    }
    Ok(MigrationReport {
        from_version: from,
        to_version: target.min(LATEST_SCHEMA_VERSION).max(from),
        applied,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order() {
        // 1..=N without gaps: a database at version v runs every step above v, so a gap filled
        // later would be skipped by databases already past it.
        assert_eq!(MIGRATIONS.len() as i64, LATEST_SCHEMA_VERSION);
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1);
        }
    }
}
