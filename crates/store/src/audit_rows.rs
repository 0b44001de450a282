//! Audited rows against their audit entries: `phongthu audit verify` replays, for each audited
//! table, the entries that carry a row's content (its creation with the whole row, each change
//! with the fields it changed) and compares the result with the row as it is now. A row edited,
//! added or deleted behind the application's back (raw SQL, another program) is reported with
//! its table and id.
//!
//! The comparison covers the columns the entries carry, exactly (the record's fields as the
//! record page and its history name them). A record created by a bulk import has an entry that
//! lists its id among the batch's (not its content): its existence is checked, and its content
//! from its first later change on.

use crate::citizens::{citizen_row, edit::FIELDS, CITIZEN_COLUMNS_SQL};
use crate::db::Store;
use crate::error::StoreError;
use crate::AlteredRow;
use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::BTreeMap;

/// Rows read per query, on both sides (entries and the table).
const PAGE: i64 = 5000;

/// One audited table: its entries' entity name, the query of its rows in id order (`id > $1`,
/// `LIMIT $2`), each row as the JSON its entries carry, and the fields compared.
struct Audited {
    table: &'static str,
    label: &'static str,
    entity: &'static str,
    rows_sql: String,
    to_json: fn(&AnyRow) -> Value,
    fields: Vec<&'static str>,
}

fn audited() -> Vec<Audited> {
    vec![Audited {
        table: "citizen",
        label: "Hồ sơ công dân",
        entity: "citizen",
        rows_sql: format!("SELECT {CITIZEN_COLUMNS_SQL} FROM citizen c WHERE c.id > $1 ORDER BY c.id LIMIT $2"),
        to_json: |r| serde_json::to_value(citizen_row(r)).unwrap_or_default(),
        fields: FIELDS.iter().map(|(k, _)| *k).collect(),
    }]
}

/// What the entries say about a table: each hand-written row's fields, and the id runs that bulk
/// imports created (content not carried).
#[derive(Default)]
struct Expected {
    rows: BTreeMap<i64, Map<String, Value>>,
    imported: Vec<(i64, i64)>,
}

impl Expected {
    fn imported(&self, id: i64) -> bool {
        // Runs sorted by their first id; the candidate is the last run starting at or before id.
        let i = self.imported.partition_point(|&(lo, _)| lo <= id);
        i > 0 && self.imported[i - 1].1 >= id
    }
}

/// The runs `[first, last]` of a batch entry's `ids` (single ids accepted too), or the entity
/// id's range `first..last` when the entry lists none.
fn batch_runs(entity_id: &str, after: Option<&Value>) -> Vec<(i64, i64)> {
    let listed: Vec<(i64, i64)> = after
        .and_then(|a| a.get("ids"))
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(|x| match x {
                    Value::Array(p) if p.len() == 2 => Some((p[0].as_i64()?, p[1].as_i64()?)),
                    Value::Number(n) => n.as_i64().map(|i| (i, i)),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    if !listed.is_empty() {
        return listed;
    }
    entity_id
        .split_once("..")
        .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
        .into_iter()
        .collect()
}

async fn expected(store: &Store, a: &Audited) -> Result<Expected, StoreError> {
    let mut out = Expected::default();
    let mut after_seq = 0i64;
    loop {
        let rows = sqlx::query(
            "SELECT seq, action, entity_id, after_json FROM audit_log WHERE entity = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(a.entity)
        .bind(after_seq)
        .bind(PAGE)
        .fetch_all(&store.pool)
        .await?;
        let Some(last) = rows.last() else { break };
        after_seq = last.get(0);
        for r in &rows {
            let action: String = r.get(1);
            let entity_id: String = r.get(2);
            let after: Option<Value> = r
                .get::<Option<String>, _>(3)
                .and_then(|j| serde_json::from_str(&j).ok());
            match entity_id.parse::<i64>() {
                Ok(id) => {
                    let Some(Value::Object(fields)) = after else { continue };
                    match action.as_str() {
                        // The whole row.
                        "create" | "update" => {
                            out.rows.insert(id, fields);
                        }
                        // The fields changed.
                        "edit" => out.rows.entry(id).or_default().extend(fields),
                        // Reads and exports carry no content of the row.
                        _ => {}
                    }
                }
                Err(_) if action == "create" => out.imported.extend(batch_runs(&entity_id, after.as_ref())),
                Err(_) => {}
            }
        }
    }
    out.imported.sort_unstable();
    Ok(out)
}

/// The audited rows that differ from their entries, every audited table.
pub(crate) async fn altered_rows(store: &Store) -> Result<Vec<AlteredRow>, StoreError> {
    let mut out = Vec::new();
    for a in audited() {
        let mut exp = expected(store, &a).await?;
        let mut after_id = 0i64;
        loop {
            let rows = sqlx::query(&a.rows_sql)
                .bind(after_id)
                .bind(PAGE)
                .fetch_all(&store.pool)
                .await?;
            let Some(last) = rows.last() else { break };
            after_id = last.get("id");
            for r in &rows {
                let id: i64 = r.get("id");
                let now = (a.to_json)(r);
                let reason = match exp.rows.remove(&id) {
                    Some(fields) => {
                        let differ: Vec<&str> = a
                            .fields
                            .iter()
                            .copied()
                            .filter(|k| fields.get(*k).is_some_and(|v| Some(v) != now.get(*k)))
                            .collect();
                        (!differ.is_empty())
                            .then(|| format!("nội dung khác với nhật ký ở các trường {}", differ.join(", ")))
                    }
                    None if exp.imported(id) => None,
                    None => Some("không có dòng nhật ký nào tạo ra dòng này".to_string()),
                };
                if let Some(reason) = reason {
                    out.push(AlteredRow {
                        table: format!("{} ({})", a.label, a.table),
                        id,
                        reason,
                    });
                }
            }
        }
        // Rows the entries created that are gone: no entry removes rows of these tables.
        for id in exp.rows.into_keys() {
            out.push(AlteredRow {
                table: format!("{} ({})", a.label, a.table),
                id,
                reason: "dòng đã bị xóa mà nhật ký không ghi".to_string(),
            });
        }
    }
    Ok(out)
}
