//! Loads the bundled administrative units into the database (for joins, reports and sharding by
//! province). The in-memory [`Territory`] stays the source for lookups; the table is reloaded
//! whenever the bundle's fingerprint changes.

use crate::db::{Backend, Store};
use crate::error::StoreError;
use phongthu_domain::territory::{AdminUnit, Territory};
use phongthu_domain::text;
use serde::Serialize;
use sqlx::Row;

#[derive(Debug, Clone, Serialize)]
pub struct TerritoryLoadReport {
    pub units: usize,
    pub successions: usize,
    pub reloaded: bool,
}

/// Rows per INSERT statement (10 or 6 parameters each). PostgreSQL takes many rows at once, one
/// round trip per statement. SQLite numbers `$N` parameters by looking each one up by name in a
/// list, when the statement is parsed and again when sqlx binds it, so its cost per row grows
/// with the parameters per statement: at 400 rows (4,000 parameters) loading the territory took a
/// second of CPU, most of it in `sqlite3_bind_parameter_name`; at 16 rows, a tenth of that.
fn batch_rows(backend: Backend) -> usize {
    match backend {
        Backend::Postgres => 400,
        Backend::Sqlite => 16,
    }
}

fn fingerprint(t: &Territory) -> String {
    format!("{}:{}", t.units().len(), t.fingerprint())
}

impl Store {
    /// Loads the territory into `admin_unit` / `admin_succession` in one transaction, unless the
    /// same bundle is already there.
    pub async fn load_territory(&self, t: &Territory, force: bool) -> Result<TerritoryLoadReport, StoreError> {
        let fp = fingerprint(t);
        let units = t.units();
        let successions = t.successions();
        if !force && self.meta("territory_fingerprint").await?.as_deref() == Some(fp.as_str()) {
            return Ok(TerritoryLoadReport {
                units: units.len(),
                successions: successions.len(),
                reloaded: false,
            });
        }
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM admin_succession").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM admin_unit").execute(&mut *tx).await?;
        let batch = batch_rows(self.backend());
        for chunk in units.chunks(batch) {
            let mut sql = String::from(
                "INSERT INTO admin_unit (code, level, kind, name, parent_code, province_code, valid_from, valid_to, name_folded, sort_key) VALUES ",
            );
            for i in 0..chunk.len() {
                let b = i * 10;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "(${},${},${},${},${},${},${},${},${},${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8,
                    b + 9,
                    b + 10
                ));
            }
            let mut q = sqlx::query(&sql);
            for u in chunk {
                q = q
                    .bind(u.code.clone())
                    .bind(u.level.as_str())
                    .bind(u.kind.as_str())
                    .bind(u.name.clone())
                    .bind(u.parent_code.clone())
                    .bind(province_of(t, u))
                    .bind(u.valid_from.map(|d| d.to_string()))
                    .bind(u.valid_to.map(|d| d.to_string()))
                    .bind(text::fold(&u.name))
                    .bind(text::collation_key(&u.name));
            }
            q.execute(&mut *tx).await?;
        }
        for chunk in successions.chunks(batch) {
            let mut sql = String::from(
                "INSERT INTO admin_succession (from_code, from_level, to_code, to_level, event_date, partial) VALUES ",
            );
            for i in 0..chunk.len() {
                let b = i * 6;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "(${},${},${},${},${},${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6
                ));
            }
            let mut q = sqlx::query(&sql);
            for s in chunk {
                q = q
                    .bind(s.from_code.clone())
                    .bind(s.from_level.as_str())
                    .bind(s.to_code.clone())
                    .bind(s.to_level.as_str())
                    .bind(s.date.to_string())
                    .bind(s.partial as i64);
            }
            q.execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO schema_meta (key, value) VALUES ('territory_fingerprint', $1) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(&fp)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(TerritoryLoadReport {
            units: units.len(),
            successions: successions.len(),
            reloaded: true,
        })
    }

    /// Number of administrative units of a level stored in the database.
    pub async fn admin_unit_count(&self, level: &str) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT count(*) FROM admin_unit WHERE level = $1")
            .bind(level)
            .fetch_one(&self.pool)
            .await?
            .get(0))
    }
}

/// The province code a unit belongs to (itself for a province).
fn province_of(t: &Territory, u: &AdminUnit) -> String {
    t.province_code_of(u).unwrap_or_else(|| u.code.clone())
}
