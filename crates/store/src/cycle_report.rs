//! The figures localities report every year on a call-up cycle: per commune, for the
//! province, and rolled up over every province of a year the actor sees (a military region or the
//! ministry); and the violations recorded against citizens (law brief §1.9).

use crate::cycle::{CallUpCycle, CommuneFigures};
use crate::error::StoreError;
use crate::scope::{Scoped, SCOPE_UNITS};
use phongthu_domain::auth::Permission;
use phongthu_domain::nvqs::record::is_graduate;
use phongthu_domain::nvqs::sanctions::{sanction_for, Penalty, Regime, Violation};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};
use time::Date;

/// One row of the yearly figures (a commune, or the total of a province or region).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CycleFigures {
    pub unit_id: i64,
    pub unit_name: String,
    /// Records on the register.
    pub registered: i64,
    /// Eligible by the engine (the pool).
    pub pool: i64,
    /// Deferred and exempted by the engine on the registry's facts, and per ground.
    pub deferred: i64,
    pub exempted: i64,
    pub grounds: BTreeMap<String, i64>,
    /// Deferral and exemption decisions recorded in the cycle.
    pub deferral_decisions: i64,
    pub exemption_decisions: i64,
    pub quota: i64,
    pub examined: i64,
    /// Examined citizens per health class 1..=6 (index 0 = class 1).
    pub classes: [i64; 6],
    pub official_called: i64,
    pub reserve_called: i64,
    /// Handed over and not returned after the post check (a replacement counts once).
    pub handed_over: i64,
    pub confirmed: i64,
    pub returned: i64,
    /// Reserve citizens called up to replace returned ones.
    pub replaced: i64,
    /// College or university graduates and party members among those handed over.
    pub graduates: i64,
    pub party_members: i64,
}

fn pct(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64) * 100.0 / whole as f64)
}

impl CycleFigures {
    /// Handed over as a share of the quota ("% chỉ tiêu").
    pub fn quota_pct(&self) -> Option<f64> {
        pct(self.handed_over, self.quota)
    }

    /// Share of classes 1–2 among the examined.
    pub fn class12_pct(&self) -> Option<f64> {
        pct(self.classes[0] + self.classes[1], self.examined)
    }

    pub fn graduates_pct(&self) -> Option<f64> {
        pct(self.graduates, self.quota)
    }

    pub fn party_pct(&self) -> Option<f64> {
        pct(self.party_members, self.quota)
    }

    fn add(&mut self, o: &CycleFigures) {
        self.registered += o.registered;
        self.pool += o.pool;
        self.deferred += o.deferred;
        self.exempted += o.exempted;
        for (g, n) in &o.grounds {
            *self.grounds.entry(g.clone()).or_default() += n;
        }
        self.deferral_decisions += o.deferral_decisions;
        self.exemption_decisions += o.exemption_decisions;
        self.quota += o.quota;
        self.examined += o.examined;
        for i in 0..6 {
            self.classes[i] += o.classes[i];
        }
        self.official_called += o.official_called;
        self.reserve_called += o.reserve_called;
        self.handed_over += o.handed_over;
        self.confirmed += o.confirmed;
        self.returned += o.returned;
        self.replaced += o.replaced;
        self.graduates += o.graduates;
        self.party_members += o.party_members;
    }
}

/// A cycle's dashboard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CycleDashboard {
    pub cycle: CallUpCycle,
    pub communes: Vec<CycleFigures>,
    pub total: CycleFigures,
}

/// A year's roll-up: one total per cycle (province) the actor sees.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct YearRollup {
    pub year: i32,
    pub provinces: Vec<(CallUpCycle, CycleFigures)>,
    pub total: CycleFigures,
}

/// A recorded violation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ViolationRecord {
    pub id: i64,
    pub citizen_id: i64,
    pub citizen_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub cycle_id: Option<i64>,
    pub kind: String,
    pub kind_label: String,
    pub act_date: String,
    pub regime: String,
    pub penalty: String,
    pub fine_min: Option<i64>,
    pub fine_max: Option<i64>,
    pub note: Option<String>,
    pub created_at: String,
}

impl Scoped<'_> {
    /// The yearly figures of a cycle per commune the actor sees, and their total.
    pub async fn cycle_dashboard(&self, id: i64) -> Result<CycleDashboard, StoreError> {
        let overview = self.cycle_overview(id).await?;
        let stage_rows = sqlx::query(&format!(
            "SELECT n.unit_id, n.stage, n.list, n.health_class, n.replaces_citizen_id, c.qualification, c.party_member \
             FROM nvqs_candidate n JOIN citizen c ON c.id = n.citizen_id \
             WHERE n.cycle_id = $2 AND n.unit_id IN ({SCOPE_UNITS})"
        ))
        .bind(self.actor.unit_id)
        .bind(id)
        .fetch_all(&self.store.pool)
        .await?;
        let mut by_unit: HashMap<i64, CycleFigures> = HashMap::new();
        for r in &stage_rows {
            let f = by_unit.entry(r.get::<i64, _>(0)).or_default();
            let stage: String = r.get(1);
            let list: Option<String> = r.get(2);
            let class: Option<i64> = r.get(3);
            let replaces: Option<i64> = r.get(4);
            let called = matches!(
                stage.as_str(),
                "call_up_issued" | "handed_over" | "confirmed" | "returned"
            );
            // Handed over = handed over and not returned after the post check: a returned
            // recruit is not counted, his replacement (handed over in turn) is, once.
            let handed = matches!(stage.as_str(), "handed_over" | "confirmed");
            if let Some(c) = class.filter(|c| (1..=6).contains(c)) {
                f.examined += 1;
                f.classes[(c - 1) as usize] += 1;
            }
            match stage.as_str() {
                "deferred" => f.deferral_decisions += 1,
                "exempted" => f.exemption_decisions += 1,
                "confirmed" => f.confirmed += 1,
                "returned" => f.returned += 1,
                _ => {}
            }
            if called {
                match list.as_deref() {
                    Some("official") => f.official_called += 1,
                    Some("reserve") => f.reserve_called += 1,
                    _ => {}
                }
            }
            if handed {
                f.handed_over += 1;
                let qualification: Option<String> = r.get(5);
                f.graduates += qualification.as_deref().is_some_and(is_graduate) as i64;
                f.party_members += (r.get::<i64, _>(6) != 0) as i64;
                f.replaced += replaces.is_some() as i64;
            }
        }
        let mut communes = Vec::with_capacity(overview.communes.len());
        let mut total = CycleFigures {
            unit_id: overview.cycle.unit_id,
            unit_name: overview.cycle.unit_name.clone(),
            ..CycleFigures::default()
        };
        for c in &overview.communes {
            let f = figures_of(c, by_unit.remove(&c.unit_id).unwrap_or_default());
            total.add(&f);
            communes.push(f);
        }
        // The province's staff answer for the cycle's quota, whether or not the split is saved; a
        // commune command (which sees only its own communes) for the quotas saved for them, and
        // its total is named after its own unit.
        if self.owned_cycle(id).await.is_ok() {
            total.quota = overview.cycle.quota;
        } else {
            total.unit_id = self.actor.unit_id;
            total.unit_name = self.actor.unit_name.clone();
        }
        Ok(CycleDashboard {
            cycle: overview.cycle,
            communes,
            total,
        })
    }

    /// Every cycle of `year` the actor sees, each summed to its province's total.
    pub async fn year_rollup(&self, year: i32) -> Result<YearRollup, StoreError> {
        let cycles: Vec<CallUpCycle> = self.cycles().await?.into_iter().filter(|c| c.year == year).collect();
        let mut provinces = Vec::with_capacity(cycles.len());
        let mut total = CycleFigures {
            unit_id: self.actor.unit_id,
            unit_name: self.actor.unit_name.clone(),
            ..CycleFigures::default()
        };
        for c in cycles {
            let d = self.cycle_dashboard(c.id).await?;
            total.add(&d.total);
            provinces.push((d.cycle, d.total));
        }
        Ok(YearRollup { year, provinces, total })
    }

    /// Records a violation by a citizen in scope; the regime and the fine range are those in force
    /// on the date of the act. When phongthu's data hold no range for it (an act before 22/7/2022,
    /// or an act the regime does not list separately), the violation is recorded with that said
    /// instead of a made-up range.
    pub async fn record_violation(
        &self,
        citizen_id: i64,
        cycle_id: Option<i64>,
        kind: Violation,
        act_date: Date,
        note: Option<&str>,
    ) -> Result<ViolationRecord, StoreError> {
        self.require(Permission::Write)?;
        let citizen = self.citizen(citizen_id).await?;
        if let Some(c) = cycle_id {
            self.cycle(c).await?;
        }
        if act_date > crate::citizens::today() {
            return Err(StoreError::Invalid("Ngày vi phạm không được sau ngày hôm nay.".into()));
        }
        let (regime, penalty, min, max) = match sanction_for(kind, act_date) {
            Ok(s) => {
                let (min, max) = match s.penalty {
                    Penalty::Warning => (None, None),
                    Penalty::Fine { min, max } => (Some(min as i64), Some(max as i64)),
                };
                (s.regime.source_vi().to_string(), s.describe_vi(), min, max)
            }
            Err(e) => {
                let regime = Regime::on(act_date)
                    .map(|r| r.source_vi().to_string())
                    .unwrap_or_else(|_| "Chưa xác định".into());
                (regime, e.to_string(), None, None)
            }
        };
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        let mut w = self.begin_write(Permission::Write).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO nvqs_violation (citizen_id, unit_id, province_code, cycle_id, kind, act_date, regime, penalty, \
             fine_min, fine_max, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(citizen.id)
        .bind(citizen.unit_id)
        .bind(&citizen.province_code)
        .bind(cycle_id)
        .bind(kind.code())
        .bind(act_date.to_string())
        .bind(&regime)
        .bind(&penalty)
        .bind(min)
        .bind(max)
        .bind(note)
        .bind(crate::now_text())
        .fetch_one(&mut *w.tx)
        .await?
        .get(0);
        w.audit(
            "create",
            "nvqs_violation",
            &id.to_string(),
            Some(citizen.unit_id),
            None,
            Some(
                &json!({"citizen_id": citizen.id, "kind": kind.code(), "act_date": act_date.to_string(),
                          "regime": regime, "penalty": penalty, "note": note}),
            ),
        )
        .await?;
        w.commit().await?;
        self.violations(Some(citizen.id))
            .await?
            .into_iter()
            .find(|v| v.id == id)
            .ok_or_else(|| StoreError::NotFound("Không đọc lại được vi phạm vừa ghi.".into()))
    }

    /// Violations in scope (of one citizen when given), newest act first.
    pub async fn violations(&self, citizen_id: Option<i64>) -> Result<Vec<ViolationRecord>, StoreError> {
        self.require(Permission::Read)?;
        let rows = sqlx::query(&format!(
            "SELECT v.id, v.citizen_id, c.full_name, v.unit_id, o.name, v.cycle_id, v.kind, v.act_date, v.regime, \
             v.penalty, v.fine_min, v.fine_max, v.note, v.created_at \
             FROM nvqs_violation v JOIN citizen c ON c.id = v.citizen_id JOIN org_unit o ON o.id = v.unit_id \
             WHERE v.unit_id IN ({SCOPE_UNITS}) AND ($2 = 0 OR v.citizen_id = $2) \
             ORDER BY v.act_date DESC, v.id DESC LIMIT 1000"
        ))
        .bind(self.actor.unit_id)
        .bind(citizen_id.unwrap_or(0))
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let kind: String = r.get(6);
                ViolationRecord {
                    id: r.get(0),
                    citizen_id: r.get(1),
                    citizen_name: r.get(2),
                    unit_id: r.get(3),
                    unit_name: r.get(4),
                    cycle_id: r.get(5),
                    kind_label: Violation::parse(&kind).map(|v| v.label_vi()).unwrap_or("").to_string(),
                    kind,
                    act_date: r.get(7),
                    regime: r.get(8),
                    penalty: r.get(9),
                    fine_min: r.get(10),
                    fine_max: r.get(11),
                    note: r.get(12),
                    created_at: r.get(13),
                }
            })
            .collect())
    }
}

fn figures_of(c: &CommuneFigures, staged: CycleFigures) -> CycleFigures {
    CycleFigures {
        unit_id: c.unit_id,
        unit_name: c.unit_name.clone(),
        registered: c.citizens,
        pool: c.eligible,
        deferred: c.deferred,
        exempted: c.exempted,
        grounds: c.grounds.clone(),
        quota: c.quota.unwrap_or(0),
        ..staged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares() {
        let f = CycleFigures {
            quota: 8,
            handed_over: 6,
            examined: 10,
            classes: [2, 3, 4, 1, 0, 0],
            graduates: 2,
            party_members: 1,
            ..CycleFigures::default()
        };
        assert_eq!(f.quota_pct(), Some(75.0));
        assert_eq!(f.class12_pct(), Some(50.0));
        assert_eq!(f.graduates_pct(), Some(25.0));
        assert_eq!(f.party_pct(), Some(12.5));
        assert_eq!(CycleFigures::default().quota_pct(), None);
        let mut t = CycleFigures::default();
        t.add(&f);
        t.add(&f);
        assert_eq!((t.quota, t.classes[2]), (16, 8));
    }
}
