//! Militia strength against targets per commune.
//!
//! **The target is a local setting, not law.** The law brief (§3, "Ratio of militia to
//! population") finds no legal source for a ratio (UNCONFIRMED; planning documents are said to
//! cite about 1.2–1.4 % of the population for the core militia, to be verified in the plan in
//! force). So nothing here is hard-coded: a province sets its own ratio (hundredths of a percent of
//! the population), a commune command records the population it reports and may set an explicit
//! target instead, and the explicit target wins. With neither, the commune has no target and the
//! dashboard says so.
//!
//! Strength is the number of active members (not yet left) of the militia units of the commune
//! command, the same count the forces roll-up shows. Roll-up rows sum the communes of each command
//! in scope through `org_closure` (a regional defence command sums the communes it covers).

use crate::error::StoreError;
use crate::scope::{Scoped, SCOPE_UNITS};
use phongthu_domain::auth::Permission;
use phongthu_domain::org::OrgKind;
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;

/// The largest ratio accepted: 10 % of the population (1000 basis points); more is a typing error.
pub const MAX_RATIO_BASIS_POINTS: u32 = 1000;
/// The largest population a commune may report.
const MAX_POPULATION: i64 = 5_000_000;

/// Where a commune's target comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum TargetSource {
    /// Set for the commune.
    Explicit,
    /// The province's ratio applied to the commune's population.
    Ratio { basis_points: u32 },
    /// Neither: no target.
    None,
    /// A roll-up row: the sum of its communes' targets.
    Sum,
}

impl TargetSource {
    pub fn label_vi(&self) -> String {
        match self {
            TargetSource::Explicit => "Chỉ tiêu riêng của xã".into(),
            TargetSource::Ratio { basis_points } => format!("Theo tỷ lệ {} dân số", ratio_vi(*basis_points)),
            TargetSource::None => "Chưa có chỉ tiêu".into(),
            TargetSource::Sum => "Tổng các xã".into(),
        }
    }
}

/// "1,30 %" for 130 basis points.
pub fn ratio_vi(basis_points: u32) -> String {
    format!("{},{:02} %", basis_points / 100, basis_points % 100)
}

/// A province's ratio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MilitiaTargetRatio {
    pub province_code: String,
    /// The provincial command's name (where the setting is made).
    pub command_name: String,
    pub basis_points: Option<u32>,
    pub updated_by: Option<String>,
    pub updated_at: Option<String>,
}

impl MilitiaTargetRatio {
    pub fn ratio_vi(&self) -> Option<String> {
        self.basis_points.map(ratio_vi)
    }
}

/// A commune command's setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MilitiaTarget {
    pub unit_id: i64,
    pub name: String,
    pub population: Option<i64>,
    pub target: Option<i64>,
    pub note: Option<String>,
}

/// One row of the dashboard: a commune command, or a command with the sum of its communes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetRow {
    pub unit_id: i64,
    pub name: String,
    pub kind: OrgKind,
    /// Commune commands counted (1 for a commune row).
    pub communes: i64,
    /// Of them, without a target.
    pub communes_without_target: i64,
    /// Sum of the populations reported.
    pub population: Option<i64>,
    /// The target (sum over the communes that have one).
    pub target: Option<i64>,
    pub source: TargetSource,
    /// Active militia members of all its communes.
    pub strength: i64,
    /// Active members of the communes that have a target (what the percentage compares).
    pub strength_with_target: i64,
}

impl TargetRow {
    /// Strength as a share of the target, in tenths of a percent; None without a target.
    pub fn per_mille(&self) -> Option<i64> {
        self.target
            .filter(|t| *t > 0)
            .map(|t| (self.strength_with_target * 1000 + t / 2) / t)
    }

    /// "85,0 %" or "—".
    pub fn percent_vi(&self) -> String {
        match self.per_mille() {
            Some(p) => format!("{},{} %", p / 10, p % 10),
            None => "—".into(),
        }
    }

    /// Members still missing to reach the target (0 when reached).
    pub fn missing(&self) -> Option<i64> {
        self.target.map(|t| (t - self.strength_with_target).max(0))
    }
}

/// The commune's effective target.
fn effective(population: Option<i64>, target: Option<i64>, ratio: Option<u32>) -> (Option<i64>, TargetSource) {
    match (target, population, ratio) {
        (Some(t), _, _) => (Some(t), TargetSource::Explicit),
        (None, Some(p), Some(bp)) => (
            Some((p * bp as i64 + 5_000) / 10_000),
            TargetSource::Ratio { basis_points: bp },
        ),
        _ => (None, TargetSource::None),
    }
}

fn count(v: Option<i64>, what: &str, max: i64) -> Result<Option<i64>, StoreError> {
    match v {
        Some(n) if !(0..=max).contains(&n) => Err(StoreError::Invalid(format!(
            "{what} {n} không hợp lệ (từ 0 đến {max})."
        ))),
        v => Ok(v),
    }
}

impl Scoped<'_> {
    /// The ratio of each province whose provincial command is in scope (where the actor may set
    /// it), set or not.
    pub async fn militia_ratios(&self) -> Result<Vec<MilitiaTargetRatio>, StoreError> {
        self.require(Permission::Read)?;
        let rows = sqlx::query(&format!(
            "SELECT o.province_code, o.name, r.basis_points, r.updated_by, r.updated_at FROM org_unit o \
             LEFT JOIN militia_target_ratio r ON r.province_code = o.province_code \
             WHERE o.kind IN ('provincial_command', 'capital_command') AND o.province_code IS NOT NULL \
             AND o.id IN ({SCOPE_UNITS}) ORDER BY o.sort_key, o.id"
        ))
        .bind(self.actor.unit_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| MilitiaTargetRatio {
                province_code: r.get(0),
                command_name: r.get(1),
                basis_points: r.get::<Option<i64>, _>(2).map(|b| b.max(0) as u32),
                updated_by: r.get(3),
                updated_at: r.get(4),
            })
            .collect())
    }

    /// Sets (or with `None` clears) a province's ratio. The provincial command of the province must
    /// be in the actor's scope.
    pub async fn set_militia_ratio(&self, province_code: &str, basis_points: Option<u32>) -> Result<(), StoreError> {
        self.require(Permission::Write)?;
        let current = self
            .militia_ratios()
            .await?
            .into_iter()
            .find(|r| r.province_code == province_code)
            .ok_or_else(|| {
                StoreError::Forbidden("Chỉ Bộ Chỉ huy Quân sự tỉnh (hoặc cấp trên) đặt tỷ lệ dân quân của tỉnh.".into())
            })?;
        if let Some(bp) = basis_points {
            if bp == 0 || bp > MAX_RATIO_BASIS_POINTS {
                return Err(StoreError::Invalid(format!(
                    "Tỷ lệ {} không hợp lệ: phải lớn hơn 0 và không quá {} dân số.",
                    ratio_vi(bp),
                    ratio_vi(MAX_RATIO_BASIS_POINTS)
                )));
            }
        }
        if current.basis_points == basis_points {
            return Ok(());
        }
        let mut w = self.begin_write(Permission::Write).await?;
        match basis_points {
            Some(bp) => {
                sqlx::query(
                    "INSERT INTO militia_target_ratio (province_code, basis_points, updated_by, updated_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (province_code) DO UPDATE SET \
                     basis_points = excluded.basis_points, updated_by = excluded.updated_by, \
                     updated_at = excluded.updated_at",
                )
                .bind(province_code)
                .bind(bp as i64)
                .bind(&self.actor.username)
                .bind(crate::now_text())
                .execute(&mut *w.tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM militia_target_ratio WHERE province_code = $1")
                    .bind(province_code)
                    .execute(&mut *w.tx)
                    .await?;
            }
        }
        w.audit(
            "set_ratio",
            "militia_target_ratio",
            province_code,
            Some(self.actor.unit_id),
            Some(&serde_json::json!({"basis_points": current.basis_points})),
            Some(&serde_json::json!({"basis_points": basis_points})),
        )
        .await?;
        w.commit().await
    }

    /// A commune command's setting (empty when never set).
    pub async fn militia_target(&self, unit_id: i64) -> Result<MilitiaTarget, StoreError> {
        self.require(Permission::Read)?;
        let unit = self.org_unit(unit_id).await?;
        if unit.kind != OrgKind::CommuneCommand {
            return Err(StoreError::Invalid(
                "Chỉ tiêu dân quân được đặt cho Ban Chỉ huy Quân sự cấp xã.".into(),
            ));
        }
        let row = sqlx::query("SELECT population, target, note FROM militia_target WHERE unit_id = $1")
            .bind(unit_id)
            .fetch_optional(&self.store.pool)
            .await?;
        Ok(MilitiaTarget {
            unit_id,
            name: unit.name,
            population: row.as_ref().and_then(|r| r.get(0)),
            target: row.as_ref().and_then(|r| r.get(1)),
            note: row.as_ref().and_then(|r| r.get(2)),
        })
    }

    /// Sets a commune command's population and explicit target (either may be empty).
    pub async fn set_militia_target(
        &self,
        unit_id: i64,
        population: Option<i64>,
        target: Option<i64>,
        note: Option<&str>,
    ) -> Result<MilitiaTarget, StoreError> {
        self.require(Permission::Write)?;
        let before = self.militia_target(unit_id).await?;
        let province = self.registry_unit(unit_id).await?;
        let population = count(population, "Dân số", MAX_POPULATION)?;
        let target = count(target, "Chỉ tiêu", MAX_POPULATION)?;
        let note = crate::reserve::opt_text(note, "ghi chú", 500)?;
        let mut w = self.begin_write(Permission::Write).await?;
        sqlx::query(
            "INSERT INTO militia_target (unit_id, province_code, population, target, note, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (unit_id) DO UPDATE SET \
             population = excluded.population, target = excluded.target, note = excluded.note, \
             updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(unit_id)
        .bind(&province)
        .bind(population)
        .bind(target)
        .bind(&note)
        .bind(&self.actor.username)
        .bind(crate::now_text())
        .execute(&mut *w.tx)
        .await?;
        w.audit(
            "set_target",
            "militia_target",
            &unit_id.to_string(),
            Some(unit_id),
            Some(&serde_json::json!({
                "population": before.population, "target": before.target, "note": before.note
            })),
            Some(&serde_json::json!({"population": population, "target": target, "note": note})),
        )
        .await?;
        w.commit().await?;
        self.militia_target(unit_id).await
    }

    /// Strength against target per commune command in scope, and per command above them (the
    /// sum of its communes), in the tree's order. Commands without communes are left out.
    pub async fn militia_targets(&self) -> Result<Vec<TargetRow>, StoreError> {
        self.require(Permission::Read)?;
        let pool = &self.store.pool;
        let me = self.actor.unit_id;
        let ratios: HashMap<String, u32> = sqlx::query("SELECT province_code, basis_points FROM militia_target_ratio")
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| (r.get(0), r.get::<i64, _>(1).max(0) as u32))
            .collect();
        let settings: HashMap<i64, (Option<i64>, Option<i64>)> = sqlx::query(&format!(
            "SELECT unit_id, population, target FROM militia_target WHERE unit_id IN ({SCOPE_UNITS})"
        ))
        .bind(me)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect();
        let strength: HashMap<i64, i64> = sqlx::query(&format!(
            "SELECT unit_id, count(*) FROM militia_member WHERE left_on IS NULL AND unit_id IN ({SCOPE_UNITS}) \
             GROUP BY unit_id"
        ))
        .bind(me)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
        // Every command in scope with each commune command below it (itself included); DISTINCT
        // because a pair may be in the closure twice (through the tree and through coverage).
        let closure = sqlx::query(&format!(
            "SELECT DISTINCT a.sort_key, a.id, a.name, a.kind, d.id AS commune_id, d.province_code FROM org_closure c \
             JOIN org_unit a ON a.id = c.ancestor_id JOIN org_unit d ON d.id = c.descendant_id \
             WHERE d.kind = 'commune_command' AND c.ancestor_id IN ({SCOPE_UNITS}) ORDER BY a.sort_key, a.id"
        ))
        .bind(me)
        .fetch_all(pool)
        .await?;
        let mut order: Vec<i64> = vec![];
        let mut rows: HashMap<i64, TargetRow> = HashMap::new();
        for r in &closure {
            let (a, d): (i64, i64) = (r.get(1), r.get(4));
            let kind: String = r.get(3);
            let kind = OrgKind::parse(&kind)
                .map_err(|e| StoreError::Incompatible(format!("Loại đơn vị không đọc được: {e}")))?;
            let province: Option<String> = r.get(5);
            let (population, explicit) = settings.get(&d).copied().unwrap_or((None, None));
            let ratio = province.and_then(|p| ratios.get(&p).copied());
            let (target, source) = effective(population, explicit, ratio);
            let members = strength.get(&d).copied().unwrap_or(0);
            let row = rows.entry(a).or_insert_with(|| {
                order.push(a);
                TargetRow {
                    unit_id: a,
                    name: r.get(2),
                    kind,
                    communes: 0,
                    communes_without_target: 0,
                    population: None,
                    target: None,
                    source: if a == d { source } else { TargetSource::Sum },
                    strength: 0,
                    strength_with_target: 0,
                }
            });
            row.communes += 1;
            row.strength += members;
            if let Some(p) = population {
                row.population = Some(row.population.unwrap_or(0) + p);
            }
            match target {
                Some(t) => {
                    row.target = Some(row.target.unwrap_or(0) + t);
                    row.strength_with_target += members;
                }
                None => row.communes_without_target += 1,
            }
        }
        Ok(order.into_iter().filter_map(|a| rows.remove(&a)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_target_wins_over_the_ratio() {
        assert_eq!(
            effective(Some(10_000), Some(90), Some(130)),
            (Some(90), TargetSource::Explicit)
        );
        assert_eq!(
            effective(Some(10_000), None, Some(130)),
            (Some(130), TargetSource::Ratio { basis_points: 130 })
        );
        // Rounded half up: 12,345 × 1.25 % = 154.3125.
        assert_eq!(effective(Some(12_345), None, Some(125)).0, Some(154));
        assert_eq!(effective(Some(12_345), None, None), (None, TargetSource::None));
        assert_eq!(effective(None, None, Some(130)), (None, TargetSource::None));
        assert_eq!(ratio_vi(130), "1,30 %");
        assert_eq!(ratio_vi(5), "0,05 %");
    }

    #[test]
    fn percentages() {
        let mut r = TargetRow {
            unit_id: 1,
            name: "x".into(),
            kind: OrgKind::CommuneCommand,
            communes: 1,
            communes_without_target: 0,
            population: None,
            target: Some(120),
            source: TargetSource::Explicit,
            strength: 100,
            strength_with_target: 100,
        };
        assert_eq!(r.percent_vi(), "83,3 %");
        assert_eq!(r.missing(), Some(20));
        r.strength_with_target = 130;
        assert_eq!(r.missing(), Some(0));
        r.target = None;
        assert_eq!(r.percent_vi(), "—");
    }
}
