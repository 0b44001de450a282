//! The annual call-up cycle of a unit and its quota split among commune commands.
//!
//! The eligible pool of each commune is computed by the eligibility engine
//! (`phongthu_domain::nvqs`) from what the registry records; a proposal proportional to the pools
//! (largest remainder) is offered, the user may override any figure with a recorded reason, and
//! the saved split is audited.
//!
//! What the registry does not record is not guessed: citizens not yet examined count as possibly
//! fit (the engine treats missing facts as not unmet), and a citizen recorded as studying is taken
//! to study full time within his first course (the registry's "Đang học" column means that in
//! practice; a record that says otherwise should leave the column empty). Both are stated on the
//! quota page.

use crate::citizens::{citizen_row, Citizen, CITIZEN_COLUMNS_SQL};
use crate::db::Backend;
use crate::error::StoreError;
use crate::scope::{Scoped, SCOPE_UNITS};
use phongthu_domain::auth::Permission;
use phongthu_domain::nvqs::quota::{
    check_split, commune_quota, cycle_quota, evenness, propose_split, CommunePool, Evenness,
};
use phongthu_domain::nvqs::record::{education_grade, is_graduate};
use phongthu_domain::nvqs::{
    assess_with, Circumstance, CitizenFacts, Cycle, RuleSet, Sex, Status, StudyLevel, Studying,
};
use phongthu_domain::org::OrgKind;
use serde::Serialize;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};
use time::Date;

/// A call-up cycle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallUpCycle {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub province_code: String,
    /// The year of induction (handover).
    pub year: i32,
    pub quota: i64,
    /// Ages and circumstances are judged on this date (31 December of the year before).
    pub reference_date: String,
    pub created_at: String,
}

/// One commune command's figures in a cycle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommuneFigures {
    pub unit_id: i64,
    pub unit_name: String,
    /// Records held.
    pub citizens: i64,
    /// Assessed eligible (the pool).
    pub eligible: i64,
    /// Of the pool, citizens whose record lacks a fact a standard needs (the education level):
    /// kept in the pool, to be checked ("thiếu thông tin").
    pub incomplete: i64,
    pub deferred: i64,
    pub exempted: i64,
    /// too young, over age, barred, not subject, unqualified.
    pub other: i64,
    /// The proportional proposal.
    pub proposed: i64,
    /// The saved quota, if a split was saved.
    pub quota: Option<i64>,
    pub reason: Option<String>,
    /// Deferred or exempted citizens per ground (`41.1.d` → 3), for the yearly report.
    pub grounds: BTreeMap<String, i64>,
    /// Party members in the pool.
    pub party_members: i64,
    /// College or university graduates in the pool (read from the free-text qualification).
    pub graduates: i64,
}

/// The quota page's data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CycleOverview {
    pub cycle: CallUpCycle,
    pub communes: Vec<CommuneFigures>,
    /// Why no proposal could be made (pool smaller than the quota, no pool).
    pub proposal_error: Option<String>,
    #[serde(skip)]
    pub evenness_proposed: Option<Evenness>,
    #[serde(skip)]
    pub evenness_saved: Option<Evenness>,
}

const CYCLE_COLUMNS: &str =
    "c.id, c.unit_id, o.name AS unit_name, c.province_code, c.year, c.quota, c.reference_date, c.created_at";

/// A cycle is visible to the actors of its unit's subtree (the province's staff) and to those of
/// the units below it (a commune command works its own part of the province's cycle); `$1` is
/// the actor's unit.
const CYCLE_VISIBLE: &str = "c.unit_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1) \
     OR c.unit_id IN (SELECT ancestor_id FROM org_closure WHERE descendant_id = $1)";

fn cycle_row(r: &sqlx::any::AnyRow) -> CallUpCycle {
    CallUpCycle {
        id: r.get("id"),
        unit_id: r.get("unit_id"),
        unit_name: r.get("unit_name"),
        province_code: r.get("province_code"),
        year: r.get::<i64, _>("year") as i32,
        quota: r.get("quota"),
        reference_date: r.get("reference_date"),
        created_at: r.get("created_at"),
    }
}

/// The engine's facts from a registry record and its family circumstances.
pub fn facts_of(c: &Citizen, circumstances: &[String]) -> CitizenFacts {
    engine_facts(
        c.id.to_string(),
        c.full_name.clone(),
        c.birth_date,
        c.sex,
        c.education_grade.as_deref(),
        c.studying_level
            .map(|l| (l, c.studying_full_time, c.studying_first_course)),
        circumstances.iter().filter_map(|s| Circumstance::parse(s)).collect(),
    )
}

/// The engine's facts from the registry columns it reads (one definition for a single record
/// and for the pool refresh, which reads only these columns).
fn engine_facts(
    id: String,
    full_name: String,
    birth_date: Date,
    sex: Sex,
    education: Option<&str>,
    studying: Option<(StudyLevel, Option<bool>, Option<bool>)>,
    circumstances: Vec<Circumstance>,
) -> CitizenFacts {
    CitizenFacts {
        id,
        national_id: None,
        full_name,
        birth_date,
        sex,
        education_grade: education_grade(education),
        hard_area: false,
        // Full time and first course not recorded: the level alone decides, as it did before the
        // record held them (a missing fact is not an unmet one).
        studying: studying.map(|(level, full_time, first_course)| Studying {
            level,
            full_time: full_time.unwrap_or(true),
            first_course_at_level: first_course.unwrap_or(true),
        }),
        deferred_before_for_higher_education: false,
        health: None,
        political_vetting: None,
        circumstances,
    }
}

/// Pool rows per upsert statement (14 parameters each).
const POOL_ROWS_PER_INSERT: usize = 50;

/// `1, 2, 3` for an `IN (…)` list of row ids (integers read from the database, never user text).
fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
}

impl CommuneFigures {
    fn empty(unit_id: i64) -> CommuneFigures {
        CommuneFigures {
            unit_id,
            unit_name: String::new(),
            citizens: 0,
            eligible: 0,
            incomplete: 0,
            deferred: 0,
            exempted: 0,
            other: 0,
            proposed: 0,
            quota: None,
            reason: None,
            grounds: BTreeMap::new(),
            party_members: 0,
            graduates: 0,
        }
    }
}

/// The engine's cycle and the rule set in force on the cycle's reference date.
pub(crate) fn engine_for(cycle: &CallUpCycle) -> Result<(Cycle, RuleSet), StoreError> {
    let reference = crate::citizens::parse_iso(&cycle.reference_date)
        .ok_or_else(|| StoreError::Invalid("Ngày tham chiếu của đợt tuyển quân không hợp lệ.".into()))?;
    let engine_cycle = Cycle::new(cycle.year, reference, false).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let rules = RuleSet::on(reference)
        .ok_or_else(|| StoreError::Invalid("Không có bộ quy tắc cho ngày tham chiếu này.".into()))?;
    Ok((engine_cycle, rules))
}

/// A stored figure for the 32-bit split arithmetic: negative as 0, past `u32::MAX` as `u32::MAX`
/// (a quota stored before the bounds were checked then fails the split's checks with a message
/// rather than wrapping).
fn saturate_u32(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

impl Scoped<'_> {
    /// Opens the cycle of `year` for a unit in scope (usually the provincial command).
    pub async fn create_cycle(&self, unit_id: i64, year: i32, quota: i64) -> Result<CallUpCycle, StoreError> {
        self.require(Permission::Write)?;
        let unit = self.org_unit(unit_id).await?;
        if !(2016..=2100).contains(&year) {
            return Err(StoreError::Invalid(format!("Năm tuyển quân {year} không hợp lệ.")));
        }
        phongthu_domain::nvqs::quota::cycle_quota(quota).map_err(StoreError::Invalid)?;
        let province = unit.province_code.clone().filter(|p| !p.is_empty()).ok_or_else(|| {
            StoreError::Invalid("Đơn vị này không gắn với một tỉnh: hãy chọn Bộ Chỉ huy Quân sự tỉnh.".into())
        })?;
        let reference = Date::from_calendar_date(year - 1, time::Month::December, 31)
            .map_err(|_| StoreError::Invalid("Năm không hợp lệ.".into()))?;
        let mut w = self.begin_write(Permission::Write).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO nvqs_cycle (unit_id, province_code, year, quota, reference_date, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(unit_id)
        .bind(&province)
        .bind(year as i64)
        .bind(quota)
        .bind(reference.to_string())
        .bind(crate::now_text())
        .fetch_one(&mut *w.tx)
        .await
        .map_err(|e| StoreError::unique_or(e, format!("{} đã có đợt tuyển quân năm {year}.", unit.name)))?
        .get(0);
        w.audit(
            "create",
            "nvqs_cycle",
            &id.to_string(),
            Some(unit_id),
            None,
            Some(&serde_json::json!({"year": year, "quota": quota, "reference_date": reference.to_string()})),
        )
        .await?;
        w.commit().await?;
        self.cycle(id).await
    }

    pub async fn cycle(&self, id: i64) -> Result<CallUpCycle, StoreError> {
        self.require(Permission::Read)?;
        let row = sqlx::query(&format!(
            "SELECT {CYCLE_COLUMNS} FROM nvqs_cycle c JOIN org_unit o ON o.id = c.unit_id \
             WHERE c.id = $2 AND ({CYCLE_VISIBLE})"
        ))
        .bind(self.actor.unit_id)
        .bind(id)
        .fetch_optional(&self.store.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("Không tìm thấy đợt tuyển quân số {id} trong phạm vi của bạn.")))?;
        Ok(cycle_row(&row))
    }

    /// The cycle, refused unless its unit is within the actor's own scope (the province's staff
    /// set quotas and settings; a commune command only works its own part).
    pub async fn owned_cycle(&self, id: i64) -> Result<CallUpCycle, StoreError> {
        let cycle = self.cycle(id).await?;
        let owned: i64 = sqlx::query(&format!(
            "SELECT count(*) FROM ({SCOPE_UNITS}) s WHERE s.descendant_id = $2"
        ))
        .bind(self.actor.unit_id)
        .bind(cycle.unit_id)
        .fetch_one(&self.store.pool)
        .await?
        .get(0);
        if owned == 0 {
            return Err(StoreError::Forbidden(format!(
                "Chỉ {} và cấp trên mới được thay đổi chỉ tiêu, cài đặt của đợt tuyển quân này.",
                cycle.unit_name
            )));
        }
        Ok(cycle)
    }

    /// The quota the actor answers for in a cycle: the cycle's own for the staff of its unit and
    /// above; for a commune command (below the cycle's unit) the sum of the quotas saved for the
    /// communes in its scope, `None` while the province has not split the quota among them.
    pub async fn quota_in_scope(&self, cycle: &CallUpCycle) -> Result<Option<i64>, StoreError> {
        if self.owned_cycle(cycle.id).await.is_ok() {
            return Ok(Some(cycle.quota));
        }
        let r = sqlx::query(&format!(
            "SELECT count(*), CAST(COALESCE(sum(quota), 0) AS BIGINT) FROM nvqs_quota \
             WHERE cycle_id = $2 AND unit_id IN ({SCOPE_UNITS})"
        ))
        .bind(self.actor.unit_id)
        .bind(cycle.id)
        .fetch_one(&self.store.pool)
        .await?;
        Ok((r.get::<i64, _>(0) > 0).then(|| r.get::<i64, _>(1)))
    }

    /// Cycles visible to the actor (the condition `CYCLE_VISIBLE`), newest first.
    pub async fn cycles(&self) -> Result<Vec<CallUpCycle>, StoreError> {
        self.require(Permission::Read)?;
        let rows = sqlx::query(&format!(
            "SELECT {CYCLE_COLUMNS} FROM nvqs_cycle c JOIN org_unit o ON o.id = c.unit_id \
             WHERE {CYCLE_VISIBLE} ORDER BY c.year DESC, o.sort_key"
        ))
        .bind(self.actor.unit_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows.iter().map(cycle_row).collect())
    }

    /// Commune commands below the cycle's unit that the actor sees, with their pools assessed by
    /// the engine, the proportional proposal and the saved quotas.
    pub async fn cycle_overview(&self, id: i64) -> Result<CycleOverview, StoreError> {
        self.overview(id, false).await
    }

    /// The overview with every commune's pool assessed again and stored, whatever the stamps say
    /// (after an upgrade of the engine's rules, or to time a full refresh: `phongthu bench cycle
    /// --reuse`).
    pub async fn cycle_overview_reassessed(&self, id: i64) -> Result<CycleOverview, StoreError> {
        self.overview(id, true).await
    }

    async fn overview(&self, id: i64, reassess: bool) -> Result<CycleOverview, StoreError> {
        let cycle = self.cycle(id).await?;
        let communes: Vec<(i64, String)> = sqlx::query(&format!(
            "SELECT o.id, o.name FROM org_unit o WHERE o.kind = $3 \
             AND o.id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $2) \
             AND o.id IN ({SCOPE_UNITS}) ORDER BY o.sort_key, o.id"
        ))
        .bind(self.actor.unit_id)
        .bind(cycle.unit_id)
        .bind(OrgKind::CommuneCommand.as_str())
        .fetch_all(&self.store.pool)
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
        let (engine_cycle, rules) = engine_for(&cycle)?;
        let saved: HashMap<i64, (i64, Option<String>)> =
            sqlx::query("SELECT unit_id, quota, reason FROM nvqs_quota WHERE cycle_id = $1")
                .bind(id)
                .fetch_all(&self.store.pool)
                .await?
                .iter()
                .map(|r| (r.get::<i64, _>(0), (r.get::<i64, _>(1), r.get::<Option<String>, _>(2))))
                .collect();
        let ids: Vec<i64> = communes.iter().map(|c| c.0).collect();
        let mut pools = self
            .commune_pools(&cycle, &ids, &rules, &engine_cycle, reassess)
            .await?;
        let mut figures = Vec::with_capacity(communes.len());
        for (unit_id, unit_name) in communes {
            let mut f = pools.remove(&unit_id).unwrap_or_else(|| CommuneFigures::empty(unit_id));
            f.unit_name = unit_name;
            f.quota = saved.get(&unit_id).map(|s| s.0);
            f.reason = saved.get(&unit_id).and_then(|s| s.1.clone());
            figures.push(f);
        }
        let pools: Vec<CommunePool> = figures
            .iter()
            .map(|f| CommunePool {
                key: f.unit_id.to_string(),
                pool: saturate_u32(f.eligible),
            })
            .collect();
        let (proposal_error, evenness_proposed) = match propose_split(saturate_u32(cycle.quota), &pools) {
            Ok(split) => {
                for (f, q) in figures.iter_mut().zip(&split) {
                    f.proposed = *q as i64;
                }
                (None, Some(evenness(&pools, &split)))
            }
            Err(e) => (Some(e.to_string()), None),
        };
        let evenness_saved = figures.iter().all(|f| f.quota.is_some()).then(|| {
            let split: Vec<u32> = figures.iter().map(|f| saturate_u32(f.quota.unwrap_or(0))).collect();
            evenness(&pools, &split)
        });
        let evenness_saved = evenness_saved.filter(|_| !figures.is_empty());
        Ok(CycleOverview {
            cycle,
            communes: figures,
            proposal_error,
            evenness_proposed,
            evenness_saved,
        })
    }

    /// What each commune's pool is computed from: the version of its registry, which every change
    /// to its records and their family relations moves (`registry_version`, kept by triggers:
    /// migration 13). One primary-key lookup per commune, whatever the number of records. A unit
    /// without a version row (none is expected: a trigger makes it with the unit) has no stamp,
    /// and its pool is reassessed every time.
    async fn registry_stamps(&self, ids: &[i64]) -> Result<HashMap<i64, String>, StoreError> {
        let mut stamps = HashMap::with_capacity(ids.len());
        for r in sqlx::query(&format!(
            "SELECT unit_id, version FROM registry_version WHERE unit_id IN ({})",
            id_list(ids)
        ))
        .fetch_all(&self.store.pool)
        .await?
        {
            stamps.insert(r.get::<i64, _>(0), format!("v{}", r.get::<i64, _>(1)));
        }
        Ok(stamps)
    }

    /// The communes' pools in the cycle: the stored figures of each commune whose registry has
    /// not changed since they were computed (see [`Self::registry_stamps`]); the others are
    /// assessed again by the engine in one pass over their records and stored together (the
    /// quota split and the dashboards read these; see `nvqs_pool` in migration 6). With
    /// `reassess`, every commune is assessed again.
    async fn commune_pools(
        &self,
        cycle: &CallUpCycle,
        ids: &[i64],
        rules: &RuleSet,
        engine_cycle: &Cycle,
        reassess: bool,
    ) -> Result<HashMap<i64, CommuneFigures>, StoreError> {
        let mut out = HashMap::with_capacity(ids.len());
        if ids.is_empty() {
            return Ok(out);
        }
        let stamps = self.registry_stamps(ids).await?;
        let stored = if reassess {
            vec![]
        } else {
            sqlx::query(
                "SELECT unit_id, citizens, eligible, deferred, exempted, other, party_members, graduates, grounds, \
             source_stamp, incomplete FROM nvqs_pool WHERE cycle_id = $1",
            )
            .bind(cycle.id)
            .fetch_all(&self.store.pool)
            .await?
        };
        for r in stored {
            let unit_id: i64 = r.get(0);
            if stamps.get(&unit_id).is_none_or(|s| *s != r.get::<String, _>(9)) {
                continue;
            }
            let grounds: String = r.get(8);
            out.insert(
                unit_id,
                CommuneFigures {
                    citizens: r.get(1),
                    eligible: r.get(2),
                    deferred: r.get(3),
                    exempted: r.get(4),
                    other: r.get(5),
                    grounds: serde_json::from_str(&grounds).unwrap_or_default(),
                    party_members: r.get(6),
                    graduates: r.get(7),
                    incomplete: r.get(10),
                    ..CommuneFigures::empty(unit_id)
                },
            );
        }
        let stale: Vec<i64> = ids.iter().copied().filter(|id| !out.contains_key(id)).collect();
        if stale.is_empty() {
            return Ok(out);
        }
        let assessed = self.assess_pools(&stale, rules, engine_cycle).await?;
        // A derived cache, not a user's change: written without an audit entry, in one
        // transaction, by multi-row upserts (same syntax on SQLite >= 3.24 and PostgreSQL).
        let now = crate::now_text();
        let mut tx = self.store.writer.begin().await?;
        for chunk in stale.chunks(POOL_ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO nvqs_pool (cycle_id, unit_id, province_code, citizens, eligible, deferred, exempted, \
                 other, party_members, graduates, grounds, source_stamp, assessed_at, incomplete) VALUES {} \
                 ON CONFLICT (cycle_id, unit_id) DO UPDATE SET citizens = excluded.citizens, \
                 incomplete = excluded.incomplete, \
                 eligible = excluded.eligible, deferred = excluded.deferred, exempted = excluded.exempted, \
                 other = excluded.other, party_members = excluded.party_members, graduates = excluded.graduates, \
                 grounds = excluded.grounds, source_stamp = excluded.source_stamp, assessed_at = excluded.assessed_at",
                crate::citizens::values_groups(chunk.len(), 14)
            );
            let mut q = sqlx::query(&sql);
            for unit_id in chunk {
                let f = assessed
                    .get(unit_id)
                    .cloned()
                    .unwrap_or_else(|| CommuneFigures::empty(*unit_id));
                q = q
                    .bind(cycle.id)
                    .bind(*unit_id)
                    .bind(cycle.province_code.clone())
                    .bind(f.citizens)
                    .bind(f.eligible)
                    .bind(f.deferred)
                    .bind(f.exempted)
                    .bind(f.other)
                    .bind(f.party_members)
                    .bind(f.graduates)
                    .bind(serde_json::to_string(&f.grounds).unwrap_or_else(|_| "{}".into()))
                    .bind(stamps.get(unit_id).cloned().unwrap_or_default())
                    .bind(now.clone())
                    .bind(f.incomplete);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        for unit_id in stale {
            let f = assessed
                .get(&unit_id)
                .cloned()
                .unwrap_or_else(|| CommuneFigures::empty(unit_id));
            out.insert(unit_id, f);
        }
        Ok(out)
    }

    /// Assesses every record of the given communes with the engine in one pass, reading only the
    /// columns the engine and the pool figures need, in no particular order. Each commune's
    /// records come as one JSON array (one result row per commune, streamed): handing rows one by
    /// one from SQLite's thread through sqlx cost more than the engine itself.
    async fn assess_pools(
        &self,
        ids: &[i64],
        rules: &RuleSet,
        cycle: &Cycle,
    ) -> Result<HashMap<i64, CommuneFigures>, StoreError> {
        use futures_util::TryStreamExt;
        /// id, birth_date, sex, education_grade, studying_level, party_member, qualification,
        /// studying_full_time, studying_first_course.
        type Record = (
            i64,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<i64>,
            Option<String>,
            Option<i64>,
            Option<i64>,
        );
        let list = id_list(ids);
        let mut circumstances: HashMap<i64, Vec<Circumstance>> = HashMap::new();
        for r in sqlx::query(&format!(
            "SELECT f.citizen_id, f.circumstance FROM family_relation f JOIN citizen c ON c.id = f.citizen_id \
             WHERE c.unit_id IN ({list}) AND f.circumstance IS NOT NULL"
        ))
        .fetch_all(&self.store.pool)
        .await?
        {
            if let Some(c) = Circumstance::parse(&r.get::<String, _>(1)) {
                circumstances.entry(r.get(0)).or_default().push(c);
            }
        }
        let columns =
            "c.id, c.birth_date, c.sex, c.education_grade, c.studying_level, c.party_member, c.qualification, \
                       c.studying_full_time, c.studying_first_course";
        let records = match self.store.backend() {
            Backend::Sqlite => format!("json_group_array(json_array({columns}))"),
            Backend::Postgres => format!("json_agg(json_build_array({columns}))::text"),
        };
        let sql = format!("SELECT c.unit_id, {records} FROM citizen c WHERE c.unit_id IN ({list}) GROUP BY c.unit_id");
        let mut out: HashMap<i64, CommuneFigures> = HashMap::with_capacity(ids.len());
        let mut rows = sqlx::query(&sql).fetch(&self.store.pool);
        while let Some(r) = rows.try_next().await? {
            let unit_id: i64 = r.get(0);
            let json: String = r.get(1);
            let records: Vec<Record> =
                serde_json::from_str(&json).map_err(|e| StoreError::Db(sqlx::Error::Decode(Box::new(e))))?;
            drop(json);
            let f = out.entry(unit_id).or_insert_with(|| CommuneFigures::empty(unit_id));
            for (id, birth, sex, grade, studying, party_member, qualification, full_time, first_course) in records {
                let facts = engine_facts(
                    // The decision's id and the name are not used by the pool figures.
                    String::new(),
                    String::new(),
                    birth
                        .as_deref()
                        .and_then(crate::citizens::parse_iso)
                        .unwrap_or(Date::MIN),
                    sex.as_deref().and_then(Sex::parse).unwrap_or(Sex::Male),
                    grade.as_deref(),
                    studying
                        .as_deref()
                        .and_then(StudyLevel::parse)
                        .map(|l| (l, full_time.map(|v| v != 0), first_course.map(|v| v != 0))),
                    circumstances.remove(&id).unwrap_or_default(),
                );
                let d = assess_with(rules, cycle, &facts);
                f.citizens += 1;
                match d.status {
                    Status::Eligible => {
                        f.eligible += 1;
                        f.incomplete += d.needs_checking() as i64;
                        f.party_members += (party_member.unwrap_or(0) != 0) as i64;
                        f.graduates += qualification.as_deref().is_some_and(is_graduate) as i64;
                    }
                    Status::Deferred => f.deferred += 1,
                    Status::Exempted => f.exempted += 1,
                    _ => f.other += 1,
                }
                if matches!(d.status, Status::Deferred | Status::Exempted) {
                    for g in &d.grounds {
                        *f.grounds.entry(g.code()).or_default() += 1;
                    }
                }
            }
        }
        Ok(out)
    }

    /// Every record held by one commune command with the engine's decision for the cycle.
    async fn assess_unit(
        &self,
        unit_id: i64,
        rules: &RuleSet,
        cycle: &Cycle,
    ) -> Result<Vec<(Citizen, phongthu_domain::nvqs::Decision)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CITIZEN_COLUMNS_SQL} FROM citizen c WHERE c.unit_id = $1 ORDER BY c.sort_key, c.id"
        ))
        .bind(unit_id)
        .fetch_all(&self.store.pool)
        .await?;
        let mut circumstances: HashMap<i64, Vec<String>> = HashMap::new();
        for r in sqlx::query(
            "SELECT f.citizen_id, f.circumstance FROM family_relation f JOIN citizen c ON c.id = f.citizen_id \
             WHERE c.unit_id = $1 AND f.circumstance IS NOT NULL",
        )
        .bind(unit_id)
        .fetch_all(&self.store.pool)
        .await?
        {
            circumstances.entry(r.get(0)).or_default().push(r.get(1));
        }
        Ok(rows
            .iter()
            .map(|r| {
                let c = citizen_row(r);
                let facts = facts_of(&c, circumstances.get(&c.id).map(Vec::as_slice).unwrap_or(&[]));
                let d = assess_with(rules, cycle, &facts);
                (c, d)
            })
            .collect())
    }

    /// One commune command's records in a cycle with the engine's decisions (for the lists a
    /// commune posts). The commune must lie below the cycle's unit and in the actor's scope.
    pub async fn commune_assessments(
        &self,
        cycle_id: i64,
        unit_id: i64,
    ) -> Result<(CallUpCycle, String, Vec<(Citizen, phongthu_domain::nvqs::Decision)>), StoreError> {
        let cycle = self.cycle(cycle_id).await?;
        let unit = self.org_unit(unit_id).await?;
        let below: i64 = sqlx::query("SELECT count(*) FROM org_closure WHERE ancestor_id = $1 AND descendant_id = $2")
            .bind(cycle.unit_id)
            .bind(unit_id)
            .fetch_one(&self.store.pool)
            .await?
            .get(0);
        if below == 0 || unit.kind != OrgKind::CommuneCommand {
            return Err(StoreError::NotFound(format!(
                "{} không thuộc đợt tuyển quân này.",
                unit.name
            )));
        }
        let (engine_cycle, rules) = engine_for(&cycle)?;
        let list = self.assess_unit(unit_id, &rules, &engine_cycle).await?;
        Ok((cycle, unit.name, list))
    }

    /// Saves the split (every commune command of the overview). A figure that differs from the
    /// proposal needs `reason`; the sum must equal the cycle's quota and no commune may get more
    /// than its pool.
    pub async fn save_quotas(&self, id: i64, split: &[(i64, i64)], reason: Option<&str>) -> Result<(), StoreError> {
        self.require(Permission::Write)?;
        self.owned_cycle(id).await?;
        let overview = self.cycle_overview(id).await?;
        let by_unit: HashMap<i64, i64> = split.iter().copied().collect();
        let mut values = Vec::with_capacity(overview.communes.len());
        let mut split_u32 = Vec::with_capacity(overview.communes.len());
        for f in &overview.communes {
            let q = *by_unit
                .get(&f.unit_id)
                .ok_or_else(|| StoreError::Invalid(format!("Thiếu chỉ tiêu của {}.", f.unit_name)))?;
            // Bounded before the 32-bit split check: 2^32 + 5 must not pass as 5.
            split_u32.push(commune_quota(&f.unit_name, q).map_err(StoreError::Invalid)?);
            values.push(q);
        }
        if let Some(extra) = split
            .iter()
            .find(|(u, _)| !overview.communes.iter().any(|f| f.unit_id == *u))
        {
            return Err(StoreError::Forbidden(format!(
                "Đơn vị số {} không thuộc đợt tuyển quân này hoặc nằm ngoài phạm vi của bạn.",
                extra.0
            )));
        }
        let pools: Vec<CommunePool> = overview
            .communes
            .iter()
            .map(|f| CommunePool {
                key: f.unit_name.clone(),
                pool: saturate_u32(f.eligible),
            })
            .collect();
        let total = cycle_quota(overview.cycle.quota).map_err(StoreError::Invalid)?;
        check_split(total, &pools, &split_u32).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let overridden = overview.communes.iter().zip(&values).any(|(f, &q)| f.proposed != q);
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if overridden && reason.is_none() {
            return Err(StoreError::Invalid(
                "Chỉ tiêu khác với đề xuất theo nguồn: hãy ghi lý do điều chỉnh.".into(),
            ));
        }
        let before: Vec<_> = overview
            .communes
            .iter()
            .map(|f| serde_json::json!({"unit_id": f.unit_id, "quota": f.quota}))
            .collect();
        let mut w = self.begin_write(Permission::Write).await?;
        sqlx::query("DELETE FROM nvqs_quota WHERE cycle_id = $1")
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        for (f, &q) in overview.communes.iter().zip(&values) {
            sqlx::query(
                "INSERT INTO nvqs_quota (cycle_id, unit_id, province_code, pool, proposed, quota, reason) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(f.unit_id)
            .bind(&overview.cycle.province_code)
            .bind(f.eligible)
            .bind(f.proposed)
            .bind(q)
            .bind((f.proposed != q).then(|| reason.unwrap_or_default().to_string()))
            .execute(&mut *w.tx)
            .await?;
        }
        let after: Vec<_> = overview
            .communes
            .iter()
            .zip(&values)
            .map(|(f, q)| serde_json::json!({"unit_id": f.unit_id, "quota": q}))
            .collect();
        w.audit(
            "update_quota",
            "nvqs_cycle",
            &id.to_string(),
            Some(overview.cycle.unit_id),
            Some(&serde_json::json!(before)),
            Some(&serde_json::json!({"quotas": after, "reason": reason})),
        )
        .await?;
        w.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn citizen(grade: &str) -> Citizen {
        Citizen {
            id: 7,
            unit_id: 1,
            province_code: "33".into(),
            national_id: None,
            legacy_id: None,
            full_name: "Nguyễn Văn An".into(),
            birth_date: date!(2006 - 05 - 12),
            sex: Sex::Male,
            ethnicity: None,
            religion: None,
            birth_registration_place: None,
            permanent_commune_code: None,
            permanent_village: None,
            current_commune_code: None,
            current_village: None,
            education_grade: Some(grade.into()),
            qualification: None,
            studying_level: None,
            studying_detail: None,
            occupation: None,
            workplace: None,
            party_member: false,
            union_member: false,
            note: None,
            studying_full_time: None,
            studying_first_course: None,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn facts_from_a_record() {
        let f = facts_of(&citizen("9/12"), &["sibling_in_service".into(), "unknown_code".into()]);
        assert_eq!(f.education_grade, Some(9));
        assert_eq!(f.circumstances, vec![Circumstance::SiblingInService]);
        assert!(f.health.is_none(), "not examined: not guessed");
        assert_eq!(facts_of(&citizen("12/12"), &[]).education_grade, Some(12));
        assert_eq!(facts_of(&citizen("?"), &[]).education_grade, None);
    }
}
