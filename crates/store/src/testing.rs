//! Test support shared by the storage suite and the HTTP suite: a scratch database per test, on
//! SQLite by default or on PostgreSQL when `PHONGTHU_TEST_DATABASE_URL` names a server (a scratch
//! database is created there and dropped afterwards).

use crate::db::{OpenOptions, Store};
use crate::{Actor, DemoReport};
use rand::RngCore;

/// A scratch database; dropped (PostgreSQL) or deleted (SQLite) with the value.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

/// The PostgreSQL server to test against, if any.
/// A set but mistyped URL fails the test run: it must never fall back to SQLite silently.
pub fn postgres_url() -> Option<String> {
    let url = std::env::var("PHONGTHU_TEST_DATABASE_URL").ok()?;
    let url = url.trim();
    if url.is_empty() {
        return None;
    }
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        panic!(
            "PHONGTHU_TEST_DATABASE_URL=\"{url}\" không phải địa chỉ PostgreSQL (postgres://…): sửa lại hoặc bỏ biến này để chạy trên SQLite."
        );
    }
    Some(url.to_string())
}

fn replace_db_name(url: &str, name: &str) -> String {
    let mut u = url::Url::parse(url).expect("valid PostgreSQL URL");
    u.set_path(&format!("/{name}"));
    u.to_string()
}

impl TestDb {
    /// An empty, migrated database with the territory loaded.
    pub async fn new() -> TestDb {
        TestDb::at_version(crate::migrate::LATEST_SCHEMA_VERSION).await
    }

    /// An empty database migrated up to schema `version` only, with the territory loaded: a test
    /// of a migration writes data as the schema before it had it, then runs
    /// [`crate::migrate`].
    pub async fn at_version(version: i64) -> TestDb {
        let suffix = format!("{:016x}", rand::thread_rng().next_u64());
        let (url, cleanup) = match postgres_url() {
            Some(admin_url) => {
                let name = format!("phongthu_test_{suffix}");
                sqlx::any::install_default_drivers();
                let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin_url)
                    .await
                    .expect("connect to the PostgreSQL test server");
                sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create scratch database");
                (
                    replace_db_name(&admin_url, &name),
                    Cleanup::Postgres { admin_url, name },
                )
            }
            None => {
                let path = std::env::temp_dir().join(format!("phongthu-test-{suffix}.db"));
                (format!("sqlite://{}", path.display()), Cleanup::Sqlite(path))
            }
        };
        let store = Store::open(
            &url,
            OpenOptions {
                migrate: false,
                ..OpenOptions::default()
            },
        )
        .await
        .expect("open scratch store");
        crate::migrate::run_to(&store, version)
            .await
            .expect("migrate scratch store");
        store
            .load_territory(phongthu_domain::territory::Territory::bundled(), false)
            .await
            .expect("load territory");
        TestDb { store, url, cleanup }
    }

    /// The indexes of `table` with their definitions, from the database's catalogue, by name.
    pub async fn indexes(&self, table: &str) -> Vec<(String, String)> {
        self.catalogue(
            table,
            "SELECT name, COALESCE(sql, '') FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 ORDER BY name",
            "SELECT indexname::text, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 \
             ORDER BY indexname",
        )
        .await
    }

    /// The names and definitions of `table`'s triggers, from the database's own catalogue.
    pub async fn triggers(&self, table: &str) -> Vec<(String, String)> {
        self.catalogue(
            table,
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = $1 ORDER BY name",
            "SELECT tgname::text, pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
             WHERE c.relname = $1 AND NOT t.tgisinternal ORDER BY tgname",
        )
        .await
    }

    /// (name, definition) pairs of `table` read with the backend's catalogue query.
    async fn catalogue(&self, table: &str, sqlite: &str, postgres: &str) -> Vec<(String, String)> {
        use sqlx::Row;
        let sql = match self.store.backend() {
            crate::db::Backend::Sqlite => sqlite,
            crate::db::Backend::Postgres => postgres,
        };
        sqlx::query(sql)
            .bind(table.to_string())
            .fetch_all(&self.store.pool)
            .await
            .expect("read the catalogue")
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    }

    /// Runs `sql` (one or more statements) on the scratch database, for a test's set-up.
    pub async fn execute(&self, sql: &str) {
        sqlx::raw_sql(sql)
            .execute(&self.store.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The integer that `sql` (one row, one column) returns on the scratch database.
    pub async fn scalar(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.store.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The scratch database's URL with another login role (PostgreSQL, trust authentication):
    /// for tests of what a role without a superuser's rights can do.
    pub fn url_as(&self, role: &str) -> String {
        let mut u = url::Url::parse(&self.url).expect("valid URL");
        u.set_username(role).expect("a URL with a user");
        let _ = u.set_password(None);
        u.to_string()
    }

    /// The registry version of `unit` (migration 13).
    pub async fn registry_version(&self, unit: i64) -> i64 {
        use sqlx::Row;
        sqlx::query("SELECT version FROM registry_version WHERE unit_id = $1")
            .bind(unit)
            .fetch_one(&self.store.pool)
            .await
            .expect("read the registry version")
            .get(0)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Sqlite(path) => {
                for ext in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs outside any async context guarantee: use a private runtime. The pool is
                // not closed from there (its sockets belong to the test's runtime, which is blocked
                // here): DROP ... WITH (FORCE) ends its server sessions instead.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
                    if let Ok(rt) = rt {
                        rt.block_on(async move {
                            if let Ok(mut c) = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin_url).await {
                                let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                    .execute(&mut c)
                                    .await;
                            }
                        });
                    }
                })
                .join();
            }
        }
    }
}

/// The actor of a demo account (password [`crate::DEMO_PASSWORD`]).
pub async fn demo_actor(store: &Store, username: &str) -> Actor {
    store
        .login(username, crate::DEMO_PASSWORD)
        .await
        .expect("a demo account logs in")
        .actor
}

/// A scratch database with the demo seeded, and the actors of the province administrator and
/// the first two commune commanders.
pub struct DemoFixture {
    pub db: TestDb,
    pub demo: DemoReport,
    pub province: Actor,
    pub commune_a: Actor,
    pub commune_b: Actor,
}

impl DemoFixture {
    pub async fn new() -> DemoFixture {
        let db = TestDb::new().await;
        let demo = db.store.seed_demo().await.expect("the demo seeds");
        DemoFixture {
            province: demo_actor(&db.store, "quantri").await,
            commune_a: demo_actor(&db.store, "chihuy").await,
            commune_b: demo_actor(&db.store, "chihuy.xa2").await,
            db,
            demo,
        }
    }
}
