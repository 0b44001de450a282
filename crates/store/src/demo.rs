//! Demo data: a province with its military command, a regional defense command covering two of
//! three communes, three commune commands, and one user per role, so that a person can click
//! through phongthu at once. Never run on a production database (the binary asks for `demo`).

use crate::db::Store;
use crate::error::StoreError;
use crate::org::NewOrgUnit;
use crate::scope::begin_write_as;
use phongthu_domain::auth::Role;
use phongthu_domain::org::OrgKind;
use phongthu_domain::territory::{Level, Territory};
use serde::Serialize;
use sqlx::Row;

/// The province the demo uses (Hưng Yên, the province of seed document 002).
pub const DEMO_PROVINCE_NAME: &str = "Hưng Yên";
/// The password of every demo account (printed by `phongthu demo`).
pub const DEMO_PASSWORD: &str = "phongthu-demo-2026";

#[derive(Debug, Clone, Serialize)]
pub struct DemoLogin {
    pub username: String,
    pub role: Role,
    pub unit_name: String,
    pub unit_id: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    pub created: bool,
    pub province_command_id: i64,
    pub regional_command_id: i64,
    pub commune_command_ids: Vec<i64>,
    pub logins: Vec<DemoLogin>,
    pub password: &'static str,
}

impl Store {
    /// Seeds the demo (idempotent: a second call only reports the existing logins).
    pub async fn seed_demo(&self) -> Result<DemoReport, StoreError> {
        self.bootstrap().await?;
        let t = Territory::bundled();
        let on = time::OffsetDateTime::now_utc()
            .date()
            .max(phongthu_domain::territory::REFORM_DATE);
        let province = t
            .list(Level::Province, on)
            .into_iter()
            .find(|p| p.name.contains(DEMO_PROVINCE_NAME))
            .ok_or_else(|| StoreError::NotFound("Không tìm thấy tỉnh mẫu trong dữ liệu địa giới.".into()))?;
        let communes: Vec<_> = t.children_on(province, on).into_iter().take(3).collect();
        if communes.len() < 3 {
            return Err(StoreError::NotFound("Tỉnh mẫu không đủ ba xã.".into()));
        }
        let pc_row = sqlx::query(
            "SELECT id FROM org_unit WHERE kind = 'provincial_command' AND admin_code = $1 ORDER BY id LIMIT 1",
        )
        .bind(&province.code)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound("Chưa có Bộ Chỉ huy Quân sự của tỉnh mẫu.".into()))?;
        let province_command_id: i64 = pc_row.get(0);
        let existing = sqlx::query(
            "SELECT id FROM org_unit WHERE parent_id = $1 AND kind = 'regional_defense_command' AND code = 'PTKV-1'",
        )
        .bind(province_command_id)
        .fetch_optional(&self.pool)
        .await?;
        let actor = self.system_actor().await?;
        let created = existing.is_none();
        if created {
            let mut w = begin_write_as(self, &actor).await?;
            let ptkv = w
                .insert_org_unit(&NewOrgUnit {
                    parent_id: Some(province_command_id),
                    kind: OrgKind::RegionalDefenseCommand,
                    name: format!("Ban Chỉ huy Phòng thủ khu vực 1 - {}", communes[0].short_name()),
                    code: Some("PTKV-1".into()),
                    admin_code: None,
                    province_code: Some(province.code.clone()),
                    note: None,
                })
                .await?;
            for c in &communes[..2] {
                sqlx::query("INSERT INTO org_coverage (command_id, commune_code) VALUES ($1, $2)")
                    .bind(ptkv)
                    .bind(&c.code)
                    .execute(&mut *w.tx)
                    .await?;
            }
            let mut commune_ids = vec![];
            for c in &communes {
                let id = w
                    .insert_org_unit(&NewOrgUnit {
                        parent_id: Some(province_command_id),
                        kind: OrgKind::CommuneCommand,
                        name: format!("Ban Chỉ huy Quân sự {}", c.name_in_sentence()),
                        code: None,
                        admin_code: Some(c.code.clone()),
                        province_code: Some(province.code.clone()),
                        note: None,
                    })
                    .await?;
                commune_ids.push(id);
            }
            let hash = crate::users::hash_password(DEMO_PASSWORD)?;
            let users: [(&str, &str, Role, i64); 6] = [
                ("quantri", "Nguyễn Văn Quản", Role::Admin, province_command_id),
                ("chihuy", "Trần Văn Hùng", Role::Commander, commune_ids[0]),
                ("chihuy.xa2", "Lê Văn Dũng", Role::Commander, commune_ids[1]),
                ("chihuy.ptkv", "Phạm Văn Đức", Role::Commander, ptkv),
                ("lanhdao", "Hoàng Thị Lan", Role::Leader, province_command_id),
                ("thanhtra", "Đỗ Văn Thanh", Role::Inspector, province_command_id),
            ];
            for (username, name, role, unit) in users {
                let id: i64 = sqlx::query(
                    "INSERT INTO app_user (username, display_name, password_hash, role, unit_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(username)
                .bind(name)
                .bind(&hash)
                .bind(role.as_str())
                .bind(unit)
                .bind(crate::now_text())
                .fetch_one(&mut *w.tx)
                .await?
                .get(0);
                w.audit(
                    "create",
                    "app_user",
                    &id.to_string(),
                    Some(unit),
                    None,
                    Some(&serde_json::json!({"username": username, "role": role.as_str(), "demo": true})),
                )
                .await?;
            }
            // The commune commands joined the regional command's scope as they were inserted
            // (insert_org_unit adds coverage closure rows for covered communes).
            w.commit().await?;
        }
        let ptkv_id: i64 = sqlx::query("SELECT id FROM org_unit WHERE parent_id = $1 AND code = 'PTKV-1'")
            .bind(province_command_id)
            .fetch_one(&self.pool)
            .await?
            .get(0);
        let rows = sqlx::query(
            "SELECT u.username, u.role, o.name, o.id FROM app_user u JOIN org_unit o ON o.id = u.unit_id \
             WHERE u.username IN ('quantri','chihuy','chihuy.xa2','chihuy.ptkv','lanhdao','thanhtra') ORDER BY u.id",
        )
        .fetch_all(&self.pool)
        .await?;
        let logins = rows
            .iter()
            .map(|r| DemoLogin {
                username: r.get(0),
                role: Role::parse(&r.get::<String, _>(1)).unwrap_or(Role::Leader),
                unit_name: r.get(2),
                unit_id: r.get(3),
            })
            .collect();
        let commune_command_ids = sqlx::query(
            "SELECT id FROM org_unit WHERE parent_id = $1 AND kind = 'commune_command' ORDER BY id LIMIT 3",
        )
        .bind(province_command_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
        Ok(DemoReport {
            created,
            province_command_id,
            regional_command_id: ptkv_id,
            commune_command_ids,
            logins,
            password: DEMO_PASSWORD,
        })
    }
}
