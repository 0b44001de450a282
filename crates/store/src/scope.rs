//! The actor and the scoped handle through which every scoped query passes.

use crate::db::Store;
use crate::error::StoreError;
use phongthu_domain::audit::{entry_hash, AuditFields};
use phongthu_domain::auth::{Permission, Role};
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

/// Who is acting: a logged-in user, an API token's owner, or the command line.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Actor {
    /// None for the command line acting as the system.
    pub user_id: Option<i64>,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The organisational unit whose subtree the actor sees.
    pub unit_id: i64,
    pub unit_name: String,
    pub must_change_password: bool,
}

/// SQL that lists the organisational units in the actor's scope; bound to the actor's unit id.
/// Every scoped query filters with `... unit_id IN (<SCOPE_UNITS>)`.
pub(crate) const SCOPE_UNITS: &str = "SELECT descendant_id FROM org_closure WHERE ancestor_id = $1";

/// A store handle bound to an actor. Reads return only rows in the actor's scope; writes check the
/// role and the scope, and append the audit entry in the same transaction.
pub struct Scoped<'a> {
    pub(crate) store: &'a Store,
    pub(crate) actor: Actor,
}

impl Store {
    pub fn scoped(&self, actor: &Actor) -> Scoped<'_> {
        Scoped {
            store: self,
            actor: actor.clone(),
        }
    }
}

impl Scoped<'_> {
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn store(&self) -> &Store {
        self.store
    }

    pub fn require(&self, p: Permission) -> Result<(), StoreError> {
        if self.actor.role.allows(p) {
            Ok(())
        } else {
            Err(StoreError::Forbidden(p.denied_vi().into()))
        }
    }

    /// Whether an organisational unit lies in the actor's scope.
    pub async fn unit_in_scope(&self, unit_id: i64) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query("SELECT count(*) FROM org_closure WHERE ancestor_id = $1 AND descendant_id = $2")
            .bind(self.actor.unit_id)
            .bind(unit_id)
            .fetch_one(&self.store.pool)
            .await?
            .get(0);
        Ok(n > 0)
    }

    pub(crate) async fn ensure_unit_in_scope(&self, unit_id: i64) -> Result<(), StoreError> {
        if self.unit_in_scope(unit_id).await? {
            Ok(())
        } else {
            Err(StoreError::Forbidden(
                "Đơn vị này nằm ngoài phạm vi quản lý của bạn.".into(),
            ))
        }
    }

    /// Starts a write: checks the permission and takes the write lock (the audit head row) first,
    /// so that concurrent writers queue instead of failing, on both backends.
    pub(crate) async fn begin_write(&self, p: Permission) -> Result<WriteTx<'_>, StoreError> {
        self.require(p)?;
        begin_write_as(self.store, &self.actor).await
    }
}

pub(crate) async fn begin_write_as<'s>(store: &'s Store, actor: &Actor) -> Result<WriteTx<'s>, StoreError> {
    let mut tx = store.writer.begin().await?;
    // The first statement writes, so SQLite takes its write lock now and PostgreSQL locks the
    // head row: audit sequence numbers are then assigned strictly in commit order.
    sqlx::query(AUDIT_LOCK).execute(&mut *tx).await?;
    Ok(WriteTx {
        tx,
        actor: actor.clone(),
    })
}

/// A write transaction's first statement: SQLite takes its write lock and PostgreSQL locks the
/// audit head row, so audit sequence numbers follow commit order.
pub(crate) const AUDIT_LOCK: &str = "UPDATE audit_head SET last_seq = last_seq WHERE id = 1";
const AUDIT_HEAD: &str = "SELECT last_seq, last_hash FROM audit_head WHERE id = 1";
const AUDIT_INSERT: &str = "INSERT INTO audit_log (seq, at, actor_id, actor_name, unit_id, action, entity, entity_id, \
     before_json, after_json, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
const AUDIT_HEAD_UPDATE: &str = "UPDATE audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1";

/// The next entry of the audit chain: its sequence number, time and hash over the previous one,
/// with the cells it is written with.
struct AuditRow<'a> {
    seq: i64,
    at: String,
    actor: &'a Actor,
    unit_id: Option<i64>,
    action: &'a str,
    entity: &'a str,
    entity_id: &'a str,
    before: Option<String>,
    after: Option<String>,
    prev_hash: String,
    hash: String,
}

impl<'a> AuditRow<'a> {
    #[allow(clippy::too_many_arguments)]
    fn new(
        actor: &'a Actor,
        last_seq: i64,
        last_hash: String,
        action: &'a str,
        entity: &'a str,
        entity_id: &'a str,
        unit_id: Option<i64>,
        before: Option<&serde_json::Value>,
        after: Option<&serde_json::Value>,
    ) -> AuditRow<'a> {
        let seq = last_seq + 1;
        let at = crate::now_text();
        let before = before.map(|v| v.to_string());
        let after = after.map(|v| v.to_string());
        let fields = AuditFields {
            seq,
            at: &at,
            actor_id: actor.user_id,
            actor_name: &actor.username,
            unit_id,
            action,
            entity,
            entity_id,
            before: before.as_deref(),
            after: after.as_deref(),
        };
        let hash = entry_hash(&last_hash, &fields);
        AuditRow {
            seq,
            at,
            actor,
            unit_id,
            action,
            entity,
            entity_id,
            before,
            after,
            prev_hash: last_hash,
            hash,
        }
    }

    /// The entry's INSERT and the head's UPDATE, bound for any sqlx backend (the pool's `Any`
    /// transaction and a bulk load's own `PgConnection` write the same cells).
    fn statements<'q, DB: sqlx::Database>(
        &'q self,
    ) -> [sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>; 2]
    where
        i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    {
        [
            sqlx::query(AUDIT_INSERT)
                .bind(self.seq)
                .bind(self.at.as_str())
                .bind(self.actor.user_id)
                .bind(self.actor.username.as_str())
                .bind(self.unit_id)
                .bind(self.action)
                .bind(self.entity)
                .bind(self.entity_id)
                .bind(self.before.as_deref())
                .bind(self.after.as_deref())
                .bind(self.prev_hash.as_str())
                .bind(self.hash.as_str()),
            sqlx::query(AUDIT_HEAD_UPDATE).bind(self.seq).bind(self.hash.as_str()),
        ]
    }
}

/// [`WriteTx::audit`] on a bulk load's own SQLite connection ([`crate::raw_sqlite`]), inside its
/// open transaction: the same chain, the same rows.
#[allow(clippy::too_many_arguments)]
pub(crate) fn audit_sqlite(
    c: &rusqlite::Connection,
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: &str,
    unit_id: Option<i64>,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> Result<(), StoreError> {
    let (last_seq, last_hash): (i64, String) = c
        .prepare_cached(AUDIT_HEAD)?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let e = AuditRow::new(
        actor, last_seq, last_hash, action, entity, entity_id, unit_id, before, after,
    );
    c.prepare_cached(AUDIT_INSERT)?.execute(rusqlite::params![
        e.seq,
        e.at,
        e.actor.user_id,
        e.actor.username,
        e.unit_id,
        e.action,
        e.entity,
        e.entity_id,
        e.before,
        e.after,
        e.prev_hash,
        e.hash
    ])?;
    c.prepare_cached(AUDIT_HEAD_UPDATE)?
        .execute(rusqlite::params![e.seq, e.hash])?;
    Ok(())
}

/// Appends one audit entry on `c`, inside its open transaction: reads the chain's head, then
/// writes the entry and moves the head ([`AuditRow::statements`]). [`WriteTx::audit`] calls it
/// on the pool's `Any` transaction, a bulk load on its own `PgConnection`: the same chain, the
/// same rows.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn append_audit<DB: sqlx::Database>(
    c: &mut DB::Connection,
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: &str,
    unit_id: Option<i64>,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> Result<(), StoreError>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    let head = sqlx::query::<DB>(AUDIT_HEAD).fetch_one(&mut *c).await?;
    let e = AuditRow::new(
        actor,
        head.try_get(0)?,
        head.try_get(1)?,
        action,
        entity,
        entity_id,
        unit_id,
        before,
        after,
    );
    for q in e.statements::<DB>() {
        q.execute(&mut *c).await?;
    }
    Ok(())
}

/// [`append_audit`] on a bulk load's own PostgreSQL connection.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn audit_postgres(
    c: &mut sqlx::PgConnection,
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: &str,
    unit_id: Option<i64>,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> Result<(), StoreError> {
    append_audit::<sqlx::Postgres>(c, actor, action, entity, entity_id, unit_id, before, after).await
}

/// A write transaction that records audit entries as it goes.
pub(crate) struct WriteTx<'s> {
    pub tx: Transaction<'s, Any>,
    pub actor: Actor,
}

impl WriteTx<'_> {
    /// Appends one audit entry (who, when, unit, entity, before → after) in this transaction.
    pub async fn audit(
        &mut self,
        action: &str,
        entity: &str,
        entity_id: &str,
        unit_id: Option<i64>,
        before: Option<&serde_json::Value>,
        after: Option<&serde_json::Value>,
    ) -> Result<(), StoreError> {
        append_audit::<Any>(
            &mut self.tx,
            &self.actor,
            action,
            entity,
            entity_id,
            unit_id,
            before,
            after,
        )
        .await
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}
