//! Reading and verifying the audit log.

use crate::db::Store;
use crate::error::StoreError;
use crate::scope::{begin_write_as, Scoped, SCOPE_UNITS};
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

impl Scoped<'_> {
    /// Records a read of personal data in the audit log (a file exported, a list read in bulk):
    /// who, when, what (`entity`, `entity_id`) and `details`, under the actor's own unit. The
    /// entry is written before the data leaves: a read that cannot be recorded is refused.
    pub async fn audit_read(
        &self,
        action: &str,
        entity: &str,
        entity_id: &str,
        details: &serde_json::Value,
    ) -> Result<(), StoreError> {
        self.require(Permission::Read)?;
        let mut w = begin_write_as(self.store, &self.actor).await?;
        w.audit(action, entity, entity_id, Some(self.actor.unit_id), None, Some(details))
            .await?;
        w.commit().await
    }

    /// One record in scope, opened by a person (its page, its correction form): the opening is
    /// recorded in the audit log under the record's unit (action `view`), so that the unit and
    /// those above it see who read it.
    pub async fn open_citizen(&self, id: i64) -> Result<crate::Citizen, StoreError> {
        let c = self.citizen(id).await?;
        let mut w = begin_write_as(self.store, &self.actor).await?;
        w.audit("view", "citizen", &id.to_string(), Some(c.unit_id), None, None)
            .await?;
        w.commit().await?;
        Ok(c)
    }
}

/// The result of `phongthu audit verify`.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub entries: u64,
    pub head_seq: i64,
    pub head_hash: String,
    /// None when the chain is intact (and contains the expected head, when one was given);
    /// otherwise a Vietnamese description of the first break.
    pub broken: Option<String>,
    /// Audited rows whose current content is not what their audit entries say (edited, added or
    /// deleted behind the application's back).
    pub altered: Vec<AlteredRow>,
}

impl VerifyReport {
    /// The chain holds and every audited row matches its entries.
    pub fn is_intact(&self) -> bool {
        self.broken.is_none() && self.altered.is_empty()
    }

    /// The head as it is written down outside the database: `seq:hash`.
    pub fn head(&self) -> String {
        format!("{}:{}", self.head_seq, self.head_hash)
    }
}

/// A row of an audited table that differs from its audit entries.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AlteredRow {
    pub table: String,
    pub id: i64,
    /// What differs, in Vietnamese (the fields, or that no entry created or removed it).
    pub reason: String,
}

impl std::fmt::Display for AlteredRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} số {}: {}", self.table, self.id, self.reason)
    }
}

/// A head of the chain kept outside the database (`seq:hash`, as `audit verify` prints it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}

impl std::str::FromStr for AuditHead {
    type Err = String;

    fn from_str(s: &str) -> Result<AuditHead, String> {
        let bad = || {
            format!(
                "Đầu chuỗi \"{}\" không hợp lệ: ghi dạng SỐ-DÒNG:MÃ-BĂM (như `phongthu audit head` in ra).",
                s.trim()
            )
        };
        let (seq, hash) = s.trim().split_once(':').ok_or_else(bad)?;
        let seq: i64 = seq.trim().parse().map_err(|_| bad())?;
        let hash = hash.trim().to_ascii_lowercase();
        if seq < 0 || hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok(AuditHead { seq, hash })
    }
}

impl Store {
    /// Recomputes the whole chain and compares it with the recorded head, then checks that every
    /// audited row matches its entries ([`Store::verify_audit_against`] without an external head).
    pub async fn verify_audit(&self) -> Result<VerifyReport, StoreError> {
        self.verify_audit_against(None).await
    }

    /// [`Store::verify_audit`], and with `expect` (a head written down earlier, outside the
    /// database) also that the chain still holds that very entry at that sequence number: a tail
    /// rewritten with the triggers dropped, consistent in itself, fails here.
    pub async fn verify_audit_against(&self, expect: Option<&AuditHead>) -> Result<VerifyReport, StoreError> {
        let head = sqlx::query("SELECT last_seq, last_hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        let head_seq: i64 = head.get(0);
        let head_hash: String = head.get(1);
        let mut v = ChainVerifier::default();
        let mut broken: Option<ChainBreak> = None;
        let mut hash_at_expected: Option<String> = None;
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
                if expect.is_some_and(|x| x.seq == e.seq) {
                    hash_at_expected = Some(hash);
                }
                after = e.seq;
            }
        }
        if broken.is_none() {
            broken = v.finish(head_seq, &head_hash).err();
        }
        let mut broken = broken.map(|b| b.to_string());
        if let Some(x) = expect.filter(|_| broken.is_none()) {
            if x.seq > 0 && hash_at_expected.as_deref() != Some(x.hash.as_str()) {
                broken = Some(match hash_at_expected {
                    None => format!(
                        "Nhật ký chỉ có {head_seq} dòng, ít hơn đầu chuỗi đã lưu bên ngoài (dòng {}): các dòng cuối đã bị xóa hoặc viết lại.",
                        x.seq
                    ),
                    Some(_) => format!(
                        "Dòng {} của nhật ký không còn mang mã băm đã lưu bên ngoài ({}): nhật ký đã bị viết lại từ dòng này hoặc sớm hơn.",
                        x.seq, x.hash
                    ),
                });
            }
        }
        let altered = crate::audit_rows::altered_rows(self).await?;
        Ok(VerifyReport {
            entries: v.checked,
            head_seq,
            head_hash,
            broken,
            altered,
        })
    }
}
