//! Reading and verifying the audit log.

use crate::db::Store;
use crate::error::StoreError;
use crate::scope::{Scoped, SCOPE_UNITS};
use phongthu_domain::audit::{AuditFields, ChainBreak, ChainVerifier};
use phongthu_domain::auth::Permission;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub unit_id: Option<i64>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Filters of the audit page; empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub entity: Option<String>,
    pub action: Option<String>,
    /// ISO dates, inclusive.
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: i64,
    /// Entries with seq below this (for paging backwards); None = newest.
    pub before_seq: Option<i64>,
}

fn entry(r: &AnyRow) -> AuditEntry {
    AuditEntry {
        seq: r.get("seq"),
        at: r.get("at"),
        actor_id: r.get("actor_id"),
        actor_name: r.get("actor_name"),
        unit_id: r.get("unit_id"),
        action: r.get("action"),
        entity: r.get("entity"),
        entity_id: r.get("entity_id"),
        before: r.get("before_json"),
        after: r.get("after_json"),
    }
}

const COLUMNS: &str = "seq, at, actor_id, actor_name, unit_id, action, entity, entity_id, before_json, after_json";

impl Scoped<'_> {
    /// Audit entries about units in the actor's scope, newest first (inspectors and admins).
    pub async fn audit_entries(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        self.require(Permission::ReadAudit)?;
        let limit = if f.limit <= 0 { 100 } else { f.limit.min(1000) };
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE unit_id IN ({SCOPE_UNITS}) \
             AND ($2 = '' OR actor_name = $2) AND ($3 = '' OR entity = $3) AND ($4 = '' OR action = $4) \
             AND ($5 = '' OR at >= $5) AND ($6 = '' OR at < $6) AND seq < $7 \
             ORDER BY seq DESC LIMIT $8"
        );
        let to_next_day =
            f.to.as_deref()
                .filter(|s| !s.is_empty())
                .map(|d| format!("{d}T99"))
                .unwrap_or_default();
        let rows = sqlx::query(&sql)
            .bind(self.actor.unit_id)
            .bind(f.actor.clone().unwrap_or_default())
            .bind(f.entity.clone().unwrap_or_default())
            .bind(f.action.clone().unwrap_or_default())
            .bind(f.from.clone().unwrap_or_default())
            .bind(to_next_day)
            .bind(f.before_seq.unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all(&self.store.pool)
            .await?;
        Ok(rows.iter().map(entry).collect())
    }
}

/// The result of `phongthu audit verify`.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub entries: u64,
    pub head_seq: i64,
    pub head_hash: String,
    /// None when the chain is intact; otherwise a Vietnamese description of the first break.
    pub broken: Option<String>,
}

impl Store {
    /// Recomputes the whole chain and compares it with the recorded head.
    pub async fn verify_audit(&self) -> Result<VerifyReport, StoreError> {
        let head = sqlx::query("SELECT last_seq, last_hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        let head_seq: i64 = head.get(0);
        let head_hash: String = head.get(1);
        let mut v = ChainVerifier::default();
        let mut broken: Option<ChainBreak> = None;
        // Page through the log in sequence order to keep memory flat.
        let mut after = 0i64;
        'outer: loop {
            let rows = sqlx::query(&format!(
                "SELECT {COLUMNS}, prev_hash, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 5000"
            ))
            .bind(after)
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let e = entry(r);
                let prev: String = r.get("prev_hash");
                let hash: String = r.get("hash");
                let fields = AuditFields {
                    seq: e.seq,
                    at: &e.at,
                    actor_id: e.actor_id,
                    actor_name: &e.actor_name,
                    unit_id: e.unit_id,
                    action: &e.action,
                    entity: &e.entity,
                    entity_id: &e.entity_id,
                    before: e.before.as_deref(),
                    after: e.after.as_deref(),
                };
                if let Err(b) = v.push(&fields, &prev, &hash) {
                    broken = Some(b);
                    break 'outer;
                }
                after = e.seq;
            }
        }
        if broken.is_none() {
            broken = v.finish(head_seq, &head_hash).err();
        }
        Ok(VerifyReport {
            entries: v.checked,
            head_seq,
            head_hash,
            broken: broken.map(|b| b.to_string()),
        })
    }
}
