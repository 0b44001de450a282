//! The organisation tree, its closure table (which is what scope queries read), and the communes
//! covered by regional defense commands.

use crate::db::Store;
use crate::error::StoreError;
use crate::scope::{begin_write_as, Actor, Scoped, WriteTx, SCOPE_UNITS};
use phongthu_domain::auth::Permission;
use phongthu_domain::org::OrgKind;
use phongthu_domain::text;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OrgUnit {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: OrgKind,
    pub name: String,
    pub code: Option<String>,
    pub admin_code: Option<String>,
    pub province_code: Option<String>,
    pub note: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct NewOrgUnit {
    pub parent_id: Option<i64>,
    pub kind: OrgKind,
    pub name: String,
    pub code: Option<String>,
    pub admin_code: Option<String>,
    pub province_code: Option<String>,
    pub note: Option<String>,
}

const COLUMNS: &str = "id, parent_id, kind, name, code, admin_code, province_code, note, active";

fn unit_row(r: &AnyRow) -> OrgUnit {
    OrgUnit {
        id: r.get("id"),
        parent_id: r.get("parent_id"),
        kind: OrgKind::parse(&r.get::<String, _>("kind")).unwrap_or(OrgKind::AgencyCommand),
        name: r.get("name"),
        code: r.get("code"),
        admin_code: r.get("admin_code"),
        province_code: r.get("province_code"),
        note: r.get("note"),
        active: r.get::<i64, _>("active") != 0,
    }
}

impl WriteTx<'_> {
    /// Inserts a unit and its closure rows (itself, and under every ancestor of its parent).
    pub(crate) async fn insert_org_unit(&mut self, u: &NewOrgUnit) -> Result<i64, StoreError> {
        let id: i64 = sqlx::query(
            "INSERT INTO org_unit (parent_id, kind, name, code, admin_code, province_code, note, name_folded, sort_key, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(u.parent_id)
        .bind(u.kind.as_str())
        .bind(u.name.trim())
        .bind(u.code.clone())
        .bind(u.admin_code.clone())
        .bind(u.province_code.clone())
        .bind(u.note.clone())
        .bind(text::fold(&u.name))
        .bind(text::collation_key(&u.name))
        .bind(crate::now_text())
        .fetch_one(&mut *self.tx)
        .await?
        .get(0);
        sqlx::query("INSERT INTO org_closure (ancestor_id, descendant_id, via) VALUES ($1, $1, 'tree')")
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        if let Some(p) = u.parent_id {
            sqlx::query(
                "INSERT INTO org_closure (ancestor_id, descendant_id, via) \
                 SELECT ancestor_id, $1, 'tree' FROM org_closure WHERE descendant_id = $2 AND via = 'tree'",
            )
            .bind(id)
            .bind(p)
            .execute(&mut *self.tx)
            .await?;
        }
        // A new commune command joins the scope of every regional defense command covering it.
        if u.kind == OrgKind::CommuneCommand {
            if let Some(code) = &u.admin_code {
                sqlx::query(
                    "INSERT INTO org_closure (ancestor_id, descendant_id, via) \
                     SELECT command_id, $1, 'coverage' FROM org_coverage WHERE commune_code = $2",
                )
                .bind(id)
                .bind(code)
                .execute(&mut *self.tx)
                .await?;
            }
        }
        let after = serde_json::json!({
            "parent_id": u.parent_id, "kind": u.kind.as_str(), "name": u.name, "code": u.code,
            "admin_code": u.admin_code, "province_code": u.province_code, "note": u.note
        });
        self.audit("create", "org_unit", &id.to_string(), Some(id), None, Some(&after))
            .await?;
        Ok(id)
    }
}

/// The province (its code) a commune's or province's administrative code lies in, in the unit's
/// own period (itself for a province).
pub(crate) fn province_of_admin_code(code: &str) -> Option<String> {
    let t = phongthu_domain::territory::Territory::bundled();
    t.units_with_code(code).last().and_then(|u| t.province_code_of(u))
}

fn validate(u: &NewOrgUnit) -> Result<(), StoreError> {
    if u.name.trim().is_empty() {
        return Err(StoreError::Invalid("Tên đơn vị không được để trống.".into()));
    }
    if u.kind == OrgKind::CommuneCommand && u.admin_code.as_deref().unwrap_or("").is_empty() {
        return Err(StoreError::Invalid(
            "Ban Chỉ huy Quân sự cấp xã phải gắn với một xã, phường hoặc đặc khu.".into(),
        ));
    }
    if let Some(code) = u.admin_code.as_deref().filter(|c| !c.is_empty()) {
        let level = u.kind.territory_level();
        let today = time::OffsetDateTime::now_utc().date();
        let t = phongthu_domain::territory::Territory::bundled();
        let found = t.units().iter().any(|a| {
            a.code == code
                && level.is_none_or(|l| a.level.as_str() == l)
                && (u.kind == OrgKind::DistrictCommand || a.valid_to.is_none_or(|to| to >= today))
        });
        if !found {
            return Err(StoreError::Invalid(format!(
                "Mã đơn vị hành chính \"{code}\" không tồn tại hoặc không còn hiệu lực."
            )));
        }
    }
    Ok(())
}

impl Store {
    /// The organisation root (the ministry), created at bootstrap.
    pub async fn root_unit(&self) -> Result<Option<OrgUnit>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM org_unit WHERE parent_id IS NULL ORDER BY id LIMIT 1"
        ))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| unit_row(&r)))
    }

    /// The command-line actor: an administrator at the root of the tree.
    pub async fn system_actor(&self) -> Result<Actor, StoreError> {
        let root = self
            .root_unit()
            .await?
            .ok_or_else(|| StoreError::NotFound("Cơ sở dữ liệu chưa được khởi tạo: chạy `phongthu migrate`.".into()))?;
        Ok(Actor {
            user_id: None,
            username: "he-thong".into(),
            display_name: "Dòng lệnh phongthu".into(),
            role: phongthu_domain::auth::Role::Admin,
            unit_id: root.id,
            unit_name: root.name,
            must_change_password: false,
        })
    }

    /// First run: creates the root unit and a bootstrap administrator whose one-time password is
    /// returned (to be printed once). Does nothing when any user exists.
    pub async fn bootstrap(&self) -> Result<Option<(String, String)>, StoreError> {
        if self.user_count().await? > 0 {
            return Ok(None);
        }
        let actor = Actor {
            user_id: None,
            username: "he-thong".into(),
            display_name: "Khởi tạo".into(),
            role: phongthu_domain::auth::Role::Admin,
            unit_id: 0,
            unit_name: String::new(),
            must_change_password: false,
        };
        let mut w = begin_write_as(self, &actor).await?;
        let root_id = match self.root_unit().await? {
            Some(r) => r.id,
            None => {
                let root = NewOrgUnit {
                    parent_id: None,
                    kind: OrgKind::Ministry,
                    name: "Bộ Quốc phòng".into(),
                    code: Some("BQP".into()),
                    admin_code: None,
                    province_code: None,
                    note: None,
                };
                let id = w.insert_org_unit(&root).await?;
                crate::seed::seed_regions(&mut w, id).await?;
                id
            }
        };
        let password = crate::users::generate_password();
        let hash = crate::users::hash_password(&password)?;
        let id: i64 = sqlx::query(
            "INSERT INTO app_user (username, display_name, password_hash, role, unit_id, must_change_password, created_at) \
             VALUES ('admin', 'Quản trị hệ thống', $1, 'admin', $2, 1, $3) RETURNING id",
        )
        .bind(hash)
        .bind(root_id)
        .bind(crate::now_text())
        .fetch_one(&mut *w.tx)
        .await?
        .get(0);
        w.audit(
            "create",
            "app_user",
            &id.to_string(),
            Some(root_id),
            None,
            Some(&serde_json::json!({"username": "admin", "role": "admin", "bootstrap": true})),
        )
        .await?;
        w.commit().await?;
        Ok(Some(("admin".into(), password)))
    }
}

impl Scoped<'_> {
    /// Every unit in scope, in tree order (parents before children; siblings in Vietnamese order).
    pub async fn org_units(&self) -> Result<Vec<OrgUnit>, StoreError> {
        self.require(Permission::Read)?;
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM org_unit WHERE id IN ({SCOPE_UNITS}) ORDER BY sort_key, id"
        ))
        .bind(self.actor.unit_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(tree_order(rows.iter().map(unit_row).collect(), self.actor.unit_id))
    }

    pub async fn org_unit(&self, id: i64) -> Result<OrgUnit, StoreError> {
        self.require(Permission::Read)?;
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM org_unit WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.store.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("Không tìm thấy đơn vị số {id}.")))?;
        self.ensure_unit_in_scope(id).await?;
        Ok(unit_row(&row))
    }

    /// The province a unit belongs to: its own province code, else that of its administrative
    /// code (a provincial command), else its nearest ancestor's. `None` above the provinces
    /// (the ministry, a military region).
    pub(crate) async fn province_of_unit(&self, unit: &OrgUnit) -> Result<Option<String>, StoreError> {
        let mut cur = unit.clone();
        for _ in 0..8 {
            if let Some(p) = cur.province_code.clone().filter(|p| !p.is_empty()) {
                return Ok(Some(p));
            }
            if matches!(cur.kind, OrgKind::ProvincialCommand | OrgKind::CapitalCommand) {
                if let Some(p) = cur.admin_code.as_deref().and_then(province_of_admin_code) {
                    return Ok(Some(p));
                }
            }
            let Some(parent) = cur.parent_id else {
                return Ok(None);
            };
            let row = sqlx::query(&format!("SELECT {COLUMNS} FROM org_unit WHERE id = $1"))
                .bind(parent)
                .fetch_optional(&self.store.pool)
                .await?;
            match row {
                Some(r) => cur = unit_row(&r),
                None => return Ok(None),
            }
        }
        Ok(None)
    }

    /// Creates a unit under a parent in scope (administrators). The unit's province is its
    /// parent's (a provincial command's is its own territory code), whatever the caller sent; a
    /// commune command's commune must lie in that province.
    pub async fn create_org_unit(&self, mut u: NewOrgUnit) -> Result<OrgUnit, StoreError> {
        self.require(Permission::ManageOrganisation)?;
        validate(&u)?;
        let parent_id = u
            .parent_id
            .ok_or_else(|| StoreError::Invalid("Hãy chọn đơn vị cấp trên.".into()))?;
        let parent = self.org_unit(parent_id).await?;
        parent.kind.check_child(u.kind).map_err(StoreError::Invalid)?;
        u.province_code = if matches!(u.kind, OrgKind::ProvincialCommand | OrgKind::CapitalCommand) {
            u.admin_code.as_deref().and_then(province_of_admin_code)
        } else {
            self.province_of_unit(&parent).await?
        };
        if u.kind == OrgKind::CommuneCommand {
            let code = u.admin_code.as_deref().unwrap_or_default();
            if province_of_admin_code(code) != u.province_code {
                return Err(StoreError::Invalid(format!(
                    "{} nằm ngoài tỉnh của {}: Ban Chỉ huy Quân sự cấp xã chỉ lập cho một xã, phường trong tỉnh. Chưa lưu thay đổi nào.",
                    crate::citizens::commune_label(code),
                    parent.name
                )));
            }
        }
        let mut w = self.begin_write(Permission::ManageOrganisation).await?;
        let id = w.insert_org_unit(&u).await?;
        w.commit().await?;
        self.org_unit(id).await
    }

    /// Moves a unit (with its subtree) under another parent, e.g. a provincial command to another
    /// military region when the mapping is corrected (administrators; both units in scope).
    pub async fn move_org_unit(&self, id: i64, new_parent_id: i64) -> Result<OrgUnit, StoreError> {
        self.require(Permission::ManageOrganisation)?;
        let unit = self.org_unit(id).await?;
        let parent = self.org_unit(new_parent_id).await?;
        if id == self.actor.unit_id {
            return Err(StoreError::Invalid(
                "Không thể chuyển đơn vị gốc trong phạm vi của bạn.".into(),
            ));
        }
        if unit.parent_id == Some(new_parent_id) {
            return Ok(unit);
        }
        parent.kind.check_child(unit.kind).map_err(StoreError::Invalid)?;
        // Below the provinces a unit stays in its province: its records carry the province.
        if !matches!(
            unit.kind,
            OrgKind::ProvincialCommand | OrgKind::CapitalCommand | OrgKind::MilitaryRegion
        ) {
            let (from, to) = (
                self.province_of_unit(&unit).await?,
                self.province_of_unit(&parent).await?,
            );
            if from != to {
                return Err(StoreError::Invalid(format!(
                    "Không thể chuyển {} sang {}: hai đơn vị thuộc hai tỉnh khác nhau. Chưa lưu thay đổi nào.",
                    unit.name, parent.name
                )));
            }
        }
        let inside: i64 = sqlx::query(
            "SELECT count(*) FROM org_closure WHERE ancestor_id = $1 AND descendant_id = $2 AND via = 'tree'",
        )
        .bind(id)
        .bind(new_parent_id)
        .fetch_one(&self.store.pool)
        .await?
        .get(0);
        if inside > 0 {
            return Err(StoreError::Invalid(
                "Không thể chuyển một đơn vị vào chính đơn vị cấp dưới của nó.".into(),
            ));
        }
        let mut w = self.begin_write(Permission::ManageOrganisation).await?;
        sqlx::query("UPDATE org_unit SET parent_id = $1 WHERE id = $2")
            .bind(new_parent_id)
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        // Re-link the subtree: drop its links to the old ancestors, add links to the new ones.
        sqlx::query(
            "DELETE FROM org_closure WHERE via = 'tree' \
             AND descendant_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1 AND via = 'tree') \
             AND ancestor_id NOT IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1 AND via = 'tree')",
        )
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        sqlx::query(
            "INSERT INTO org_closure (ancestor_id, descendant_id, via) \
             SELECT a.ancestor_id, d.descendant_id, 'tree' FROM org_closure a, org_closure d \
             WHERE a.descendant_id = $2 AND a.via = 'tree' AND d.ancestor_id = $1 AND d.via = 'tree'",
        )
        .bind(id)
        .bind(new_parent_id)
        .execute(&mut *w.tx)
        .await?;
        w.audit(
            "move",
            "org_unit",
            &id.to_string(),
            Some(id),
            Some(&serde_json::json!({"parent_id": unit.parent_id})),
            Some(&serde_json::json!({"parent_id": new_parent_id})),
        )
        .await?;
        w.commit().await?;
        self.org_unit(id).await
    }

    /// The actor's own unit and the name of the unit above it, for the heading of the documents
    /// the unit issues (Decree 30/2020 prints the superior body above the issuer). The superior
    /// may lie outside the actor's scope; only its name is returned.
    pub async fn own_unit_with_superior(&self) -> Result<(OrgUnit, Option<String>), StoreError> {
        let unit = self.org_unit(self.actor.unit_id).await?;
        let superior = match unit.parent_id {
            Some(p) => sqlx::query("SELECT name FROM org_unit WHERE id = $1")
                .bind(p)
                .fetch_optional(&self.store.pool)
                .await?
                .map(|r| r.get::<String, _>(0)),
            None => None,
        };
        Ok((unit, superior))
    }

    /// Communes covered by a regional defense command.
    pub async fn coverage(&self, command_id: i64) -> Result<Vec<String>, StoreError> {
        self.org_unit(command_id).await?;
        let rows = sqlx::query("SELECT commune_code FROM org_coverage WHERE command_id = $1 ORDER BY commune_code")
            .bind(command_id)
            .fetch_all(&self.store.pool)
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Replaces the set of communes a regional defense command covers; its users then see the
    /// commune commands of those communes.
    pub async fn set_coverage(&self, command_id: i64, communes: &[String]) -> Result<(), StoreError> {
        self.require(Permission::ManageOrganisation)?;
        let unit = self.org_unit(command_id).await?;
        if unit.kind != OrgKind::RegionalDefenseCommand {
            return Err(StoreError::Invalid(
                "Chỉ Ban Chỉ huy Phòng thủ khu vực mới có địa bàn phụ trách.".into(),
            ));
        }
        let t = phongthu_domain::territory::Territory::bundled();
        let today = time::OffsetDateTime::now_utc().date();
        // Coverage stays inside the command's province: its users read and write the covered
        // communes' records.
        let province = self
            .province_of_unit(&unit)
            .await?
            .ok_or_else(|| StoreError::Invalid(format!("Không xác định được tỉnh của {}.", unit.name)))?;
        for c in communes {
            let ok = t
                .units()
                .iter()
                .any(|a| &a.code == c && a.level.as_str() == "commune" && a.valid_to.is_none_or(|to| to >= today));
            if !ok {
                return Err(StoreError::Invalid(format!(
                    "Mã xã \"{c}\" không tồn tại hoặc không còn hiệu lực."
                )));
            }
            if province_of_admin_code(c).as_deref() != Some(province.as_str()) {
                return Err(StoreError::Invalid(format!(
                    "{} nằm ngoài tỉnh của {}: Ban Chỉ huy Phòng thủ khu vực chỉ phụ trách các xã trong tỉnh mình. Chưa lưu thay đổi nào.",
                    crate::citizens::commune_label(c),
                    unit.name
                )));
            }
        }
        let before = self.coverage(command_id).await?;
        let mut w = self.begin_write(Permission::ManageOrganisation).await?;
        sqlx::query("DELETE FROM org_coverage WHERE command_id = $1")
            .bind(command_id)
            .execute(&mut *w.tx)
            .await?;
        sqlx::query("DELETE FROM org_closure WHERE ancestor_id = $1 AND via = 'coverage'")
            .bind(command_id)
            .execute(&mut *w.tx)
            .await?;
        for c in communes {
            sqlx::query("INSERT INTO org_coverage (command_id, commune_code) VALUES ($1, $2)")
                .bind(command_id)
                .bind(c)
                .execute(&mut *w.tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO org_closure (ancestor_id, descendant_id, via) \
             SELECT $1, o.id, 'coverage' FROM org_unit o JOIN org_coverage c ON c.commune_code = o.admin_code \
             WHERE c.command_id = $1 AND o.kind = 'commune_command'",
        )
        .bind(command_id)
        .execute(&mut *w.tx)
        .await?;
        w.audit(
            "update_coverage",
            "org_unit",
            &command_id.to_string(),
            Some(command_id),
            Some(&serde_json::json!(before)),
            Some(&serde_json::json!(communes)),
        )
        .await?;
        w.commit().await
    }
}

/// Orders units depth-first from the root of the actor's scope; units reachable only by coverage
/// come after the tree.
fn tree_order(units: Vec<OrgUnit>, root: i64) -> Vec<OrgUnit> {
    use std::collections::{HashMap, HashSet};
    let ids: HashSet<i64> = units.iter().map(|u| u.id).collect();
    let mut children: HashMap<Option<i64>, Vec<usize>> = HashMap::new();
    for (i, u) in units.iter().enumerate() {
        let parent = u.parent_id.filter(|p| ids.contains(p) && u.id != root);
        children.entry(parent).or_default().push(i);
    }
    let mut out = Vec::with_capacity(units.len());
    let mut stack: Vec<usize> = children.get(&None).cloned().unwrap_or_default();
    stack.sort_by_key(|i| std::cmp::Reverse((units[*i].id != root, *i)));
    let mut seen = HashSet::new();
    while let Some(i) = stack.pop() {
        if !seen.insert(i) {
            continue;
        }
        out.push(units[i].clone());
        if let Some(ch) = children.get(&Some(units[i].id)) {
            stack.extend(ch.iter().rev());
        }
    }
    out
}
