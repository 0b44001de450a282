//! Correcting a record: every field of a citizen's record may be edited (the study facts a
//! deferral for study depends on included: level, full time, first course at the level, Art.
//! 41.1.g Luật NVQS 2015), each edit audited in its transaction with the fields it changed, and
//! the record's history read back from the audit log field by field (who, when, from what to
//! what).
//!
//! The UPDATE moves the commune's `registry_version` through its trigger, so the stored pool of
//! every cycle is assessed again at its next read: call-up figures follow the edit.

use super::{bind_record, invalid, prepare, today, vi_date, Citizen, NewCitizen, CITIZEN_COLUMNS_SQL};
use crate::error::StoreError;
use crate::scope::Scoped;
use phongthu_domain::auth::Permission;
use phongthu_domain::nvqs::{Sex, StudyLevel};
use phongthu_domain::territory::Territory;
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::Row;

/// A flag cell read as `COALESCE(col, -1)`: -1 not recorded, 0 no, anything else yes.
pub(crate) fn flag_cell(v: i64) -> Option<bool> {
    match v {
        -1 => None,
        0 => Some(false),
        _ => Some(true),
    }
}

/// The new content of a record: the fields a new record has, and the study facts.
#[derive(Debug, Clone, PartialEq)]
pub struct CitizenEdit {
    pub record: NewCitizen,
    /// Studying full time (chính quy, tập trung); `None` not recorded. Ignored without a level.
    pub studying_full_time: Option<bool>,
    /// In the first course at the level studied; `None` not recorded. Ignored without a level.
    pub studying_first_course: Option<bool>,
}

/// One field changed by one edit, in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub label: String,
    pub before: String,
    pub after: String,
}

/// One entry of a record's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordChange {
    pub seq: i64,
    /// RFC 3339 UTC, as the audit log holds it.
    pub at: String,
    pub actor: String,
    pub action: String,
    /// "Tạo hồ sơ", "Sửa hồ sơ", …
    pub action_label: String,
    pub changes: Vec<FieldChange>,
}

/// The record's fields as the history names them, in the order the record page shows them.
pub(crate) const FIELDS: &[(&str, &str)] = &[
    ("unit_id", "Đơn vị quản lý hồ sơ"),
    ("full_name", "Họ và tên"),
    ("birth_date", "Ngày sinh"),
    ("sex", "Giới tính"),
    ("national_id", "Số định danh cá nhân"),
    ("legacy_id", "Số chứng minh nhân dân"),
    ("ethnicity", "Dân tộc"),
    ("religion", "Tôn giáo"),
    ("birth_registration_place", "Nơi đăng ký khai sinh"),
    ("permanent_commune_code", "Xã, phường thường trú"),
    ("permanent_village", "Thôn, tổ dân phố thường trú"),
    ("current_commune_code", "Xã, phường nơi ở hiện tại"),
    ("current_village", "Thôn, tổ dân phố nơi ở hiện tại"),
    ("education_grade", "Trình độ văn hóa"),
    ("qualification", "Trình độ chuyên môn"),
    ("studying_level", "Đang học (trình độ)"),
    ("studying_full_time", "Học chính quy, tập trung"),
    ("studying_first_course", "Khóa đầu ở trình độ đang học"),
    ("studying_detail", "Trường, ngành đang học"),
    ("party_member", "Đảng viên"),
    ("union_member", "Đoàn viên"),
    ("occupation", "Nghề nghiệp"),
    ("workplace", "Nơi làm việc, học tập"),
    ("note", "Ghi chú"),
];

/// A value of a field in words.
fn describe(field: &str, v: &Value, units: &dyn Fn(i64) -> Option<String>) -> String {
    match v {
        Value::Null => "(trống)".into(),
        Value::Bool(true) => "có".into(),
        Value::Bool(false) => "không".into(),
        Value::Number(n) if field == "unit_id" => {
            n.as_i64().and_then(units).unwrap_or_else(|| format!("đơn vị số {n}"))
        }
        Value::String(s) => match field {
            "sex" => Sex::parse(s)
                .map(|x| x.label_vi().to_string())
                .unwrap_or_else(|| s.clone()),
            "studying_level" => StudyLevel::parse(s)
                .map(|l| l.label_vi().to_string())
                .unwrap_or_else(|| s.clone()),
            "birth_date" => crate::dates::parse_iso(s).map(vi_date).unwrap_or_else(|| s.clone()),
            "permanent_commune_code" | "current_commune_code" => commune_label(s),
            _ => s.clone(),
        },
        other => other.to_string(),
    }
}

/// "Xã Đồng Thanh, Tỉnh Hưng Yên (mã 12345)" for a commune code.
pub fn commune_label(code: &str) -> String {
    let t = Territory::bundled();
    match t.units_with_code(code).last() {
        Some(u) => match t.parent(u) {
            Some(p) => format!("{}, {} (mã {code})", u.name, p.name),
            None => format!("{} (mã {code})", u.name),
        },
        None => format!("mã {code}"),
    }
}

/// The fields whose values differ between two serialised records (only those the history
/// names), as (field, before, after).
fn changed(before: &Value, after: &Value) -> Vec<(&'static str, Value, Value)> {
    let get = |v: &Value, k: &str| v.get(k).cloned().unwrap_or(Value::Null);
    FIELDS
        .iter()
        .filter_map(|(k, _)| {
            let (b, a) = (get(before, k), get(after, k));
            (b != a).then_some((*k, b, a))
        })
        .collect()
}

impl Scoped<'_> {
    /// Replaces the content of a record with `e` (both the old and the new unit in scope) and
    /// audits the fields it changed, before and after. Nothing changed: nothing is written.
    /// Returns the record as stored and the number of fields changed.
    pub async fn edit_citizen(&self, id: i64, e: CitizenEdit) -> Result<(Citizen, usize), StoreError> {
        self.require(Permission::Write)?;
        let before = self.citizen(id).await?;
        let has_level = e.record.studying_level.is_some();
        let (full_time, first_course) = if has_level {
            (e.studying_full_time, e.studying_first_course)
        } else {
            (None, None)
        };
        let p = prepare(e.record, today()).map_err(invalid)?;
        let province = self.registry_unit(p.unit_id).await?;
        let mut w = self.begin_write(Permission::Write).await?;
        if let Some(nid) = &p.national_id {
            self.check_national_id_free(&mut w.tx, nid, Some(id)).await?;
        }
        let flag = |v: Option<bool>| v.map(i64::from);
        super::words::unindex(&mut w.tx, id).await?;
        let update = sqlx::query(
            "UPDATE citizen SET unit_id = $1, province_code = $2, national_id = $3, legacy_id = $4, full_name = $5, \
             name_folded = $6, sort_key = $7, birth_date = $8, birth_year = $9, sex = $10, ethnicity = $11, religion = $12, \
             birth_registration_place = $13, permanent_commune_code = $14, permanent_village = $15, current_commune_code = $16, \
             current_village = $17, education_grade = $18, qualification = $19, studying_level = $20, studying_detail = $21, \
             occupation = $22, workplace = $23, party_member = $24, union_member = $25, note = $26, updated_at = $27, \
             studying_full_time = $28, studying_first_course = $29 WHERE id = $30",
        );
        bind_record(update, &p, &province)
            .bind(crate::now_text())
            .bind(flag(full_time))
            .bind(flag(first_course))
            .bind(id)
            .execute(&mut *w.tx)
            .await
            .map_err(|e| StoreError::unique_or(e, super::NATIONAL_ID_UNUSABLE))?;
        // The search's name-word index follows the record's name and numbers.
        super::words::index_range(&mut w.tx, self.store.backend(), id, id).await?;
        let row = sqlx::query(&format!("SELECT {CITIZEN_COLUMNS_SQL} FROM citizen c WHERE c.id = $1"))
            .bind(id)
            .fetch_one(&mut *w.tx)
            .await?;
        let after = super::citizen_row(&row);
        let (b, a) = (
            serde_json::to_value(&before).unwrap_or_default(),
            serde_json::to_value(&after).unwrap_or_default(),
        );
        let diff = changed(&b, &a);
        if diff.is_empty() {
            // Dropping the transaction rolls back the touched updated_at and the version bump.
            return Ok((before, 0));
        }
        let (mut old, mut new) = (Map::new(), Map::new());
        for (k, x, y) in &diff {
            old.insert(k.to_string(), x.clone());
            new.insert(k.to_string(), y.clone());
        }
        w.audit(
            "edit",
            "citizen",
            &id.to_string(),
            Some(after.unit_id),
            Some(&Value::Object(old)),
            Some(&Value::Object(new)),
        )
        .await?;
        w.commit().await?;
        Ok((after, diff.len()))
    }

    /// The history of a record in scope from the audit log, newest first: its creation and each
    /// change with the fields it changed (entries written before edits were audited field by
    /// field carry the whole record; only the fields that differ are listed).
    pub async fn citizen_history(&self, id: i64) -> Result<Vec<RecordChange>, StoreError> {
        self.citizen(id).await?;
        let rows = sqlx::query(
            "SELECT a.seq, a.at, COALESCE(u.display_name, a.actor_name), a.action, a.before_json, a.after_json \
             FROM audit_log a LEFT JOIN app_user u ON u.id = a.actor_id \
             WHERE a.entity = 'citizen' AND a.entity_id = $1 ORDER BY a.seq DESC LIMIT 200",
        )
        .bind(id.to_string())
        .fetch_all(&self.store.pool)
        .await?;
        let mut unit_ids: Vec<i64> = Vec::new();
        let parse = |s: Option<String>| {
            s.and_then(|s| serde_json::from_str::<Value>(&s).ok())
                .unwrap_or(Value::Null)
        };
        let entries: Vec<(i64, String, String, String, Value, Value)> = rows
            .iter()
            .map(|r| {
                let (b, a) = (parse(r.get(4)), parse(r.get(5)));
                for v in [&b, &a] {
                    if let Some(u) = v.get("unit_id").and_then(Value::as_i64) {
                        unit_ids.push(u);
                    }
                }
                (r.get(0), r.get(1), r.get(2), r.get(3), b, a)
            })
            .collect();
        let mut names = std::collections::HashMap::new();
        for u in unit_ids {
            if let std::collections::hash_map::Entry::Vacant(v) = names.entry(u) {
                let name: Option<String> = sqlx::query("SELECT name FROM org_unit WHERE id = $1")
                    .bind(u)
                    .fetch_optional(&self.store.pool)
                    .await?
                    .map(|r| r.get(0));
                v.insert(name);
            }
        }
        let units = |u: i64| names.get(&u).cloned().flatten();
        Ok(entries
            .into_iter()
            .map(|(seq, at, actor, action, b, a)| {
                let changes = if action == "create" {
                    Vec::new()
                } else {
                    changed(&b, &a)
                        .into_iter()
                        .map(|(k, x, y)| FieldChange {
                            field: k.to_string(),
                            label: FIELDS
                                .iter()
                                .find(|(f, _)| *f == k)
                                .map(|(_, l)| *l)
                                .unwrap_or(k)
                                .to_string(),
                            before: describe(k, &x, &units),
                            after: describe(k, &y, &units),
                        })
                        .collect()
                };
                let action_label = match action.as_str() {
                    "create" => "Tạo hồ sơ",
                    "edit" | "update" => "Sửa hồ sơ",
                    "delete" => "Xóa hồ sơ",
                    _ => "Thay đổi",
                }
                .to_string();
                RecordChange {
                    seq,
                    at,
                    actor,
                    action,
                    action_label,
                    changes,
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_named_fields_that_differ() {
        let b = json!({"full_name": "A", "updated_at": "x", "studying_level": null, "party_member": false});
        let a = json!({"full_name": "A", "updated_at": "y", "studying_level": "university", "party_member": true});
        let d = changed(&b, &a);
        let keys: Vec<&str> = d.iter().map(|(k, _, _)| *k).collect();
        assert_eq!(keys, ["studying_level", "party_member"]);
        let none = |_: i64| None;
        assert_eq!(describe("studying_level", &d[0].2, &none), "đại học");
        assert_eq!(describe("studying_level", &d[0].1, &none), "(trống)");
        assert_eq!(describe("party_member", &d[1].2, &none), "có");
        assert_eq!(describe("birth_date", &json!("2008-03-05"), &none), "05/03/2008");
        assert_eq!(flag_cell(-1), None);
        assert_eq!(flag_cell(0), Some(false));
        assert_eq!(flag_cell(1), Some(true));
    }
}
