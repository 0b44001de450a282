//! Each citizen's way through a call-up cycle: screening, the health examination,
//! vetting, the official and reserve lists with their caps, call-up decisions, handover, the post
//! check, returns and replacements, deferral and exemption decisions.
//!
//! Every step is a row of `nvqs_stage_event`, written with its audit entry in one transaction and
//! never changed afterwards; a revert is a new row. The state machine is the domain's
//! (`nvqs::stage`); the current state of each citizen (`nvqs_candidate`) is rebuilt from the
//! events in force after every step, so it can always be recomputed from the history.
//!
//! The engine judges each step that depends on the law: screening only takes citizens the engine
//! finds eligible on the registry's facts; the examination's result is the engine's verdict with
//! the examination's health facts; approval needs the engine's "eligible" with the examination
//! and the vetting.

use crate::citizens::Citizen;
use crate::cycle::{engine_for, CallUpCycle};
use crate::dates::parse_iso;
use crate::error::StoreError;
use crate::scope::{Scoped, WriteTx, SCOPE_UNITS};
pub(crate) use crate::step_dates::check_step_date;
pub use crate::step_dates::StepDate;
use phongthu_domain::auth::Permission;
use phongthu_domain::nvqs::exam::ExamRecord;
use phongthu_domain::nvqs::plan::{
    approve_list as check_approval, check_timetable, default_timetable, within_recheck_window,
    within_replacement_window, CapCheck, CappedList, Caps, Step, Window, RECHECK_DAYS, REPLACEMENT_DAYS,
};
use phongthu_domain::nvqs::rules::{Clause, Standard};
use phongthu_domain::nvqs::stage::{possible_steps, CallUpList, History, Stage, Transition, TransitionKind};
use phongthu_domain::nvqs::{assess_with, Decision, PoliticalVetting, Status};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::HashMap;
use time::Date;

/// A step asked for by a user, with what goes with it.
#[derive(Debug, Clone, PartialEq)]
pub enum StageRequest {
    Screen {
        passed: bool,
    },
    Examine(ExamRecord),
    Vet {
        passed: bool,
    },
    Approve(CallUpList),
    IssueCallUp {
        /// Number and symbol of the decision, e.g. "15/QĐ-UBND".
        decision_number: String,
        /// Where and when to report, printed on the decision.
        report_place: String,
        report_at: String,
        /// For a citizen of the reserve list: the returned citizen he replaces.
        replaces: Option<i64>,
        /// Needed when the replacement cap is exceeded.
        override_reason: Option<String>,
    },
    HandOver,
    Confirm,
    Return,
    Defer {
        ground: String,
        decision_number: String,
        evidence: String,
    },
    Exempt {
        ground: String,
        decision_number: String,
        evidence: String,
    },
    Revert,
}

impl StageRequest {
    pub fn kind(&self) -> TransitionKind {
        match self {
            StageRequest::Screen { .. } => TransitionKind::Screen,
            StageRequest::Examine(_) => TransitionKind::Examine,
            StageRequest::Vet { .. } => TransitionKind::Vet,
            StageRequest::Approve(_) => TransitionKind::Approve,
            StageRequest::IssueCallUp { .. } => TransitionKind::IssueCallUp,
            StageRequest::HandOver => TransitionKind::HandOver,
            StageRequest::Confirm => TransitionKind::Confirm,
            StageRequest::Return => TransitionKind::Return,
            StageRequest::Defer { .. } => TransitionKind::Defer,
            StageRequest::Exempt { .. } => TransitionKind::Exempt,
            StageRequest::Revert => TransitionKind::Revert,
        }
    }
}

/// One recorded step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageEvent {
    pub id: i64,
    pub kind: String,
    pub kind_label: String,
    pub stage_after: String,
    pub stage_label: String,
    pub event_date: String,
    pub detail: serde_json::Value,
    pub note: Option<String>,
    pub reverts_event_id: Option<i64>,
    /// Undone by a later revert.
    pub reverted: bool,
    pub actor: Option<String>,
    pub created_at: String,
}

/// A citizen of a commune with his place in the cycle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CandidateRow {
    pub citizen: Citizen,
    /// The engine's status on the registry's facts (and the examination and vetting, if any).
    pub status: Status,
    pub status_label: String,
    /// Grounds of Art. 41 the engine found, e.g. "41.1.g".
    pub grounds: Vec<String>,
    /// In the pool on the facts recorded, but a fact a standard needs is missing (the education
    /// level): to be checked ("thiếu thông tin").
    pub needs_checking: bool,
    pub stage: Stage,
    pub stage_code: String,
    pub stage_label: String,
    pub list: Option<CallUpList>,
    pub health_class: Option<i64>,
    pub bmi: Option<f64>,
    /// Ground of the deferral or exemption decision recorded.
    pub ground: Option<String>,
    pub decision_number: Option<String>,
    pub decision_date: Option<String>,
    pub handed_over_on: Option<String>,
    pub replaces_citizen_id: Option<i64>,
    /// The steps the state machine allows now.
    pub next: Vec<TransitionKind>,
}

/// A list's approval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListApproval {
    pub list: CappedList,
    pub count: i64,
    pub cap: i64,
    pub override_reason: Option<String>,
    pub approved_at: String,
    /// Number and symbol of the approving act, e.g. "05/QĐ-UBND" (empty on approvals recorded
    /// before acts were kept).
    pub act_number: Option<String>,
    /// Its date, ISO.
    pub act_date: Option<String>,
}

/// The act that approves a list: its number and date, printed on the approved list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListAct {
    pub number: String,
    pub date: Date,
    /// The user confirmed a date after today (`domain::dates::check_act_date`).
    pub future_confirmed: bool,
}

/// A list as it stands now against its cap and its approval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListState {
    pub list: CappedList,
    pub label: String,
    pub count: i64,
    pub cap: i64,
    pub over: bool,
    pub describe: String,
    pub approval: Option<ListApproval>,
    /// Approved, and nobody was added since.
    pub approved_current: bool,
}

/// One commune's cycle page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommuneCycle {
    pub cycle: CallUpCycle,
    pub unit_id: i64,
    pub unit_name: String,
    pub quota: Option<i64>,
    pub caps: CycleCaps,
    pub lists: Vec<ListState>,
    pub candidates: Vec<CandidateRow>,
    pub examination_window: Option<(String, String)>,
}

/// The caps of a cycle as stored.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CycleCaps {
    pub exam_ratio: f64,
    pub reserve_pct: f64,
    pub replacement_pct: f64,
}

impl From<CycleCaps> for Caps {
    fn from(c: CycleCaps) -> Caps {
        Caps {
            examination_ratio: c.exam_ratio,
            reserve_pct: c.reserve_pct,
            replacement_pct: c.replacement_pct,
        }
    }
}

/// A cycle's settings page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CycleSettings {
    pub caps: CycleCaps,
    /// (step, starts, ends), every step of the domain's timetable, stored or default.
    pub timetable: Vec<(Step, Date, Date)>,
}

const HEALTH_STANDARDS: [Standard; 5] = [
    Standard::HealthClass,
    Standard::Myopia,
    Standard::Hyperopia,
    Standard::Bmi,
    Standard::DrugUse,
];

fn transition_of(kind: TransitionKind, detail: &serde_json::Value) -> Option<Transition> {
    let flag = |k: &str| detail.get(k).and_then(|v| v.as_bool()).unwrap_or(false);
    Some(match kind {
        TransitionKind::Screen => Transition::Screen { passed: flag("passed") },
        TransitionKind::Examine => Transition::Examine { fit: flag("fit") },
        TransitionKind::Vet => Transition::Vet { passed: flag("passed") },
        TransitionKind::Approve => Transition::Approve(CallUpList::parse(detail.get("list")?.as_str()?)?),
        TransitionKind::IssueCallUp => Transition::IssueCallUp,
        TransitionKind::HandOver => Transition::HandOver,
        TransitionKind::Confirm => Transition::Confirm,
        TransitionKind::Return => Transition::Return,
        TransitionKind::Defer => Transition::Defer,
        TransitionKind::Exempt => Transition::Exempt,
        TransitionKind::Revert => Transition::Revert,
    })
}

/// One stored event as the replay needs it.
struct RawEvent {
    id: i64,
    kind: TransitionKind,
    event_date: String,
    detail: serde_json::Value,
}

/// The candidate row rebuilt from the events in force.
#[derive(Default)]
struct Derived {
    stage: Option<Stage>,
    list: Option<CallUpList>,
    exam_event: Option<i64>,
    vetting: Option<PoliticalVetting>,
    ground: Option<String>,
    decision_number: Option<String>,
    decision_date: Option<String>,
    handed_over_on: Option<String>,
    replaces: Option<i64>,
}

fn replay(events: &[RawEvent]) -> Result<(History, Derived), StoreError> {
    let mut h = History::default();
    let mut in_force: Vec<&RawEvent> = Vec::new();
    for e in events {
        let t = transition_of(e.kind, &e.detail)
            .ok_or_else(|| StoreError::Invalid(format!("Bước số {} lưu không đúng dạng.", e.id)))?;
        h.apply(e.id, t).map_err(|err| StoreError::Invalid(err.to_string()))?;
        if t == Transition::Revert {
            in_force.pop();
        } else {
            in_force.push(e);
        }
    }
    let mut d = Derived {
        stage: Some(h.stage()),
        ..Derived::default()
    };
    for e in in_force {
        let s = |k: &str| e.detail.get(k).and_then(|v| v.as_str()).map(str::to_string);
        match e.kind {
            TransitionKind::Examine => d.exam_event = Some(e.id),
            TransitionKind::Vet => {
                d.vetting = Some(if e.detail.get("passed").and_then(|v| v.as_bool()) == Some(true) {
                    PoliticalVetting::Passed
                } else {
                    PoliticalVetting::Failed
                })
            }
            TransitionKind::Approve => d.list = s("list").as_deref().and_then(CallUpList::parse),
            TransitionKind::IssueCallUp => {
                d.decision_number = s("decision_number");
                d.decision_date = Some(e.event_date.clone());
                d.replaces = e.detail.get("replaces").and_then(|v| v.as_i64());
            }
            TransitionKind::HandOver => d.handed_over_on = Some(e.event_date.clone()),
            TransitionKind::Defer | TransitionKind::Exempt => {
                d.ground = s("ground");
                d.decision_number = s("decision_number");
                d.decision_date = Some(e.event_date.clone());
            }
            _ => {}
        }
    }
    Ok((h, d))
}

/// The most digits the number of a decision may start with: a register counts its documents of a
/// year, never near a billion. A longer run of digits is a typing error, refused before any
/// arithmetic on it.
pub const MAX_DECISION_DIGITS: usize = 9;

/// The number a decision starts with (`None` without one), refused when longer than
/// [`MAX_DECISION_DIGITS`].
fn leading_number(number: &str) -> Result<Option<(u64, &str)>, StoreError> {
    let number = number.trim();
    // ASCII digits are one byte each: the split is on a character boundary.
    let len = number.bytes().take_while(u8::is_ascii_digit).count();
    if len == 0 {
        return Ok(None);
    }
    if len > MAX_DECISION_DIGITS {
        return Err(StoreError::Invalid(format!(
            "Số quyết định \"{}\" không hợp lệ: phần số ở đầu có tối đa {MAX_DECISION_DIGITS} chữ số.",
            number.chars().take(40).collect::<String>()
        )));
    }
    let n = number[..len]
        .parse::<u64>()
        .map_err(|_| StoreError::Invalid(format!("Số quyết định \"{number}\" không hợp lệ.")))?;
    Ok(Some((n, &number[len..])))
}

/// The `i`-th number of a run of decisions: "15/QĐ-UBND" → "17/QĐ-UBND" for i = 2; a number
/// that does not start with digits is used as is (then every decision carries it). Checked: a
/// number too long for a register, or a run past the largest number, is refused.
fn nth_number(first: &str, i: usize) -> Result<String, StoreError> {
    let first = first.trim();
    match leading_number(first)? {
        Some((n, rest)) if i > 0 => {
            let next = u64::try_from(i)
                .ok()
                .and_then(|i| n.checked_add(i))
                .ok_or_else(|| StoreError::Invalid(format!("Số quyết định \"{first}\" quá lớn để đánh số tiếp.")))?;
            Ok(format!("{next}{rest}"))
        }
        _ => Ok(first.to_string()),
    }
}

const CANDIDATE_COLUMNS: &str = "citizen_id, stage, list, health_class, bmi, ground, decision_number, decision_date, \
     handed_over_on, replaces_citizen_id";

/// A citizen with the engine's decision on the registry's facts and his `nvqs_candidate` row (none
/// when he never took a step).
fn candidate_row(citizen: Citizen, decision: &Decision, row: Option<&sqlx::any::AnyRow>) -> CandidateRow {
    let stage = row
        .and_then(|r| Stage::parse(&r.get::<String, _>(1)))
        .unwrap_or(Stage::Pool);
    let mut next = possible_steps(stage);
    // Screening takes only the pool: citizens the engine does not find eligible are not offered it.
    if stage == Stage::Pool && decision.status != Status::Eligible {
        next.retain(|k| *k != TransitionKind::Screen);
    }
    if stage != Stage::Pool {
        next.push(TransitionKind::Revert);
    }
    CandidateRow {
        status: decision.status,
        status_label: decision.status.label_vi().to_string(),
        grounds: decision.grounds.iter().map(|g| g.code()).collect(),
        needs_checking: decision.needs_checking(),
        stage,
        stage_code: stage.code().to_string(),
        stage_label: stage.label_vi().to_string(),
        list: row
            .and_then(|r| r.get::<Option<String>, _>(2))
            .as_deref()
            .and_then(CallUpList::parse),
        health_class: row.and_then(|r| r.get::<Option<i64>, _>(3)),
        bmi: row.and_then(|r| r.get::<Option<f64>, _>(4)),
        ground: row.and_then(|r| r.get::<Option<String>, _>(5)),
        decision_number: row.and_then(|r| r.get::<Option<String>, _>(6)),
        decision_date: row.and_then(|r| r.get::<Option<String>, _>(7)),
        handed_over_on: row.and_then(|r| r.get::<Option<String>, _>(8)),
        replaces_citizen_id: row.and_then(|r| r.get::<Option<i64>, _>(9)),
        next,
        citizen,
    }
}

fn caps_row(r: &sqlx::any::AnyRow) -> CycleCaps {
    CycleCaps {
        exam_ratio: r.get("exam_ratio"),
        reserve_pct: r.get("reserve_pct"),
        replacement_pct: r.get("replacement_pct"),
    }
}

/// Members of a list as it stands: stages that count.
fn list_members_sql(list: CappedList) -> &'static str {
    match list {
        CappedList::Examination => {
            "stage IN ('screened','examined','unfit','vetted','vetting_failed','approved_official',\
             'approved_reserve','call_up_issued','handed_over','confirmed','returned')"
        }
        CappedList::Official => {
            "list = 'official' AND stage IN ('approved_official','call_up_issued','handed_over','confirmed','returned')"
        }
        CappedList::Reserve => {
            "list = 'reserve' AND stage IN ('approved_reserve','call_up_issued','handed_over','confirmed','returned')"
        }
        CappedList::Replacement => {
            "replaces_citizen_id IS NOT NULL AND stage IN ('call_up_issued','handed_over','confirmed','returned')"
        }
    }
}

impl Scoped<'_> {
    async fn cycle_caps(&self, cycle_id: i64) -> Result<CycleCaps, StoreError> {
        let r = sqlx::query("SELECT exam_ratio, reserve_pct, replacement_pct FROM nvqs_cycle WHERE id = $1")
            .bind(cycle_id)
            .fetch_one(&self.store.pool)
            .await?;
        Ok(caps_row(&r))
    }

    /// The cycle's caps and timetable (stored dates, or the defaults).
    pub async fn cycle_settings(&self, cycle_id: i64) -> Result<CycleSettings, StoreError> {
        let cycle = self.cycle(cycle_id).await?;
        let caps = self.cycle_caps(cycle_id).await?;
        let stored: HashMap<String, (String, String)> =
            sqlx::query("SELECT step, starts_on, ends_on FROM nvqs_timetable WHERE cycle_id = $1")
                .bind(cycle_id)
                .fetch_all(&self.store.pool)
                .await?
                .iter()
                .map(|r| (r.get(0), (r.get(1), r.get(2))))
                .collect();
        let timetable = default_timetable(cycle.year)
            .into_iter()
            .map(|w| {
                let (s, e) = stored
                    .get(w.step.code())
                    .and_then(|(s, e)| Some((parse_iso(s)?, parse_iso(e)?)))
                    .unwrap_or((w.starts, w.ends));
                (w.step, s, e)
            })
            .collect();
        Ok(CycleSettings { caps, timetable })
    }

    /// Saves the caps and the timetable of a cycle (audited). Dates are checked by the domain
    /// (the examination within 1 Nov–31 Dec, Art. 40).
    pub async fn save_cycle_settings(
        &self,
        cycle_id: i64,
        caps: CycleCaps,
        timetable: &[(Step, Date, Date)],
    ) -> Result<(), StoreError> {
        self.require(Permission::Write)?;
        let cycle = self.owned_cycle(cycle_id).await?;
        Caps::from(caps).check().map_err(StoreError::Invalid)?;
        let windows: Vec<Window> = timetable
            .iter()
            .map(|(step, starts, ends)| Window {
                step: *step,
                starts: *starts,
                ends: *ends,
            })
            .collect();
        check_timetable(cycle.year, &windows).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let before = self.cycle_settings(cycle_id).await?;
        let mut w = self.begin_write(Permission::Write).await?;
        sqlx::query("UPDATE nvqs_cycle SET exam_ratio = $1, reserve_pct = $2, replacement_pct = $3 WHERE id = $4")
            .bind(caps.exam_ratio)
            .bind(caps.reserve_pct)
            .bind(caps.replacement_pct)
            .bind(cycle_id)
            .execute(&mut *w.tx)
            .await?;
        sqlx::query("DELETE FROM nvqs_timetable WHERE cycle_id = $1")
            .bind(cycle_id)
            .execute(&mut *w.tx)
            .await?;
        for (step, starts, ends) in timetable {
            sqlx::query("INSERT INTO nvqs_timetable (cycle_id, step, starts_on, ends_on) VALUES ($1, $2, $3, $4)")
                .bind(cycle_id)
                .bind(step.code())
                .bind(starts.to_string())
                .bind(ends.to_string())
                .execute(&mut *w.tx)
                .await?;
        }
        let show = |caps: &CycleCaps, t: &[(Step, Date, Date)]| {
            json!({
                "caps": caps,
                "timetable": t.iter().map(|(s, a, b)| json!([s.code(), a.to_string(), b.to_string()])).collect::<Vec<_>>(),
            })
        };
        w.audit(
            "update_settings",
            "nvqs_cycle",
            &cycle_id.to_string(),
            Some(cycle.unit_id),
            Some(&show(&before.caps, &before.timetable)),
            Some(&show(&caps, timetable)),
        )
        .await?;
        w.commit().await
    }

    /// A commune command under the cycle's unit and in scope, with its name.
    pub(crate) async fn cycle_commune(&self, cycle: &CallUpCycle, unit_id: i64) -> Result<String, StoreError> {
        let unit = self.org_unit(unit_id).await?;
        let below: i64 = sqlx::query("SELECT count(*) FROM org_closure WHERE ancestor_id = $1 AND descendant_id = $2")
            .bind(cycle.unit_id)
            .bind(unit_id)
            .fetch_one(&self.store.pool)
            .await?
            .get(0);
        if below == 0 || unit.kind != phongthu_domain::org::OrgKind::CommuneCommand {
            return Err(StoreError::NotFound(format!(
                "{} không thuộc đợt tuyển quân này.",
                unit.name
            )));
        }
        Ok(unit.name)
    }

    async fn events_of(
        &self,
        conn: &mut sqlx::AnyConnection,
        cycle_id: i64,
        citizen_id: i64,
    ) -> Result<Vec<RawEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, kind, event_date, detail FROM nvqs_stage_event WHERE cycle_id = $1 AND citizen_id = $2 ORDER BY id",
        )
        .bind(cycle_id)
        .bind(citizen_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.get("kind");
                let detail: String = r.get("detail");
                Ok(RawEvent {
                    id: r.get("id"),
                    kind: TransitionKind::parse(&kind)
                        .ok_or_else(|| StoreError::Invalid(format!("Loại bước \"{kind}\" không hợp lệ.")))?,
                    event_date: r.get("event_date"),
                    detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                })
            })
            .collect()
    }

    /// The engine's decision for a citizen with the examination and vetting in force.
    async fn decide(
        &self,
        conn: &mut sqlx::AnyConnection,
        cycle: &CallUpCycle,
        citizen: &Citizen,
        exam: Option<&ExamRecord>,
        vetting: Option<PoliticalVetting>,
    ) -> Result<Decision, StoreError> {
        let (engine_cycle, rules) = engine_for(cycle)?;
        let circumstances: Vec<String> =
            sqlx::query("SELECT circumstance FROM family_relation WHERE citizen_id = $1 AND circumstance IS NOT NULL")
                .bind(citizen.id)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
        let mut facts = crate::cycle::facts_of(citizen, &circumstances);
        facts.health = exam.map(ExamRecord::health);
        facts.political_vetting = vetting;
        Ok(assess_with(&rules, &engine_cycle, &facts))
    }

    async fn exam_of(&self, conn: &mut sqlx::AnyConnection, event_id: i64) -> Result<Option<ExamRecord>, StoreError> {
        let Some(r) = sqlx::query(
            "SELECT score_physique, score_eyes, score_ent, score_dental, score_internal, score_neuro_psychiatric, \
             score_surgical, score_dermatology, height_cm, weight_kg, myopia_diopters, hyperopia, drug_use \
             FROM nvqs_exam WHERE event_id = $1",
        )
        .bind(event_id)
        .fetch_optional(&mut *conn)
        .await?
        else {
            return Ok(None);
        };
        let mut scores = [0i64; 8];
        for (i, s) in scores.iter_mut().enumerate() {
            *s = r.get(i);
        }
        let rec = ExamRecord::new(
            scores,
            r.get(8),
            r.get(9),
            r.get::<Option<f64>, _>(10),
            r.get::<i64, _>(11) != 0,
            r.get::<i64, _>(12) != 0,
        )
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
        Ok(Some(rec))
    }

    async fn count_list(
        &self,
        conn: &mut sqlx::AnyConnection,
        cycle_id: i64,
        unit_id: Option<i64>,
        list: CappedList,
    ) -> Result<i64, StoreError> {
        let sql = format!(
            "SELECT count(*) FROM nvqs_candidate WHERE cycle_id = $1 AND ($2 = 0 OR unit_id = $2) AND {}",
            list_members_sql(list)
        );
        Ok(sqlx::query(&sql)
            .bind(cycle_id)
            .bind(unit_id.unwrap_or(0))
            .fetch_one(&mut *conn)
            .await?
            .get(0))
    }

    async fn commune_quota(
        &self,
        conn: &mut sqlx::AnyConnection,
        cycle_id: i64,
        unit_id: i64,
    ) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query("SELECT quota FROM nvqs_quota WHERE cycle_id = $1 AND unit_id = $2")
                .bind(cycle_id)
                .bind(unit_id)
                .fetch_optional(&mut *conn)
                .await?
                .map(|r| r.get(0)),
        )
    }

    async fn approval_of(
        &self,
        conn: &mut sqlx::AnyConnection,
        cycle_id: i64,
        unit_id: i64,
        list: CappedList,
    ) -> Result<Option<ListApproval>, StoreError> {
        Ok(sqlx::query(
            "SELECT count, cap, override_reason, approved_at, act_number, act_date FROM nvqs_list_approval \
             WHERE cycle_id = $1 AND unit_id = $2 AND list = $3",
        )
        .bind(cycle_id)
        .bind(unit_id)
        .bind(list.code())
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| ListApproval {
            list,
            count: r.get(0),
            cap: r.get(1),
            override_reason: r.get(2),
            approved_at: r.get(3),
            act_number: r.get(4),
            act_date: r.get(5),
        }))
    }

    /// Refuses a step that needs `list` approved when it is not, or when someone was added since.
    async fn require_approved(
        &self,
        conn: &mut sqlx::AnyConnection,
        cycle_id: i64,
        unit_id: i64,
        list: CappedList,
    ) -> Result<(), StoreError> {
        let count = self.count_list(conn, cycle_id, Some(unit_id), list).await?;
        match self.approval_of(conn, cycle_id, unit_id, list).await? {
            None => Err(StoreError::Invalid(format!(
                "{} của xã chưa được duyệt: hãy duyệt danh sách trước.",
                list.label_vi()
            ))),
            Some(a) if count > a.count => Err(StoreError::Invalid(format!(
                "{} đã thêm người sau khi duyệt ({} người, lúc duyệt {} người): hãy duyệt lại.",
                list.label_vi(),
                count,
                a.count
            ))),
            Some(_) => Ok(()),
        }
    }

    /// Records one step for one citizen of a cycle, dated `on`, with an optional note (required
    /// for a revert and a return). Returns the new stage.
    pub async fn record_stage(
        &self,
        cycle_id: i64,
        citizen_id: i64,
        request: StageRequest,
        on: impl Into<StepDate>,
        note: Option<&str>,
    ) -> Result<Stage, StoreError> {
        self.require(Permission::Write)?;
        let date: StepDate = on.into();
        let on = date.on;
        let cycle = self.cycle(cycle_id).await?;
        check_step_date(&cycle, request.kind(), date, crate::citizens::today()).map_err(StoreError::Invalid)?;
        let settings = self.cycle_settings(cycle_id).await?;
        let citizen = self.citizen(citizen_id).await?;
        self.cycle_commune(&cycle, citizen.unit_id).await?;
        let mut w = self.begin_write(Permission::Write).await?;
        let stage = self
            .apply_stage(&mut w, &cycle, &settings, &citizen, request, on, note)
            .await?;
        w.commit().await?;
        Ok(stage)
    }

    /// Records the same kind of step for several citizens of one commune in ONE transaction: the
    /// first refusal cancels them all and names the citizen. Call-up decisions are numbered from
    /// the request's number upwards when it starts with digits ("15/QĐ-UBND" → 15, 16, …).
    pub async fn record_stages(
        &self,
        cycle_id: i64,
        citizen_ids: &[i64],
        request: StageRequest,
        on: impl Into<StepDate>,
        note: Option<&str>,
    ) -> Result<usize, StoreError> {
        self.require(Permission::Write)?;
        if citizen_ids.is_empty() {
            return Err(StoreError::Invalid("Hãy chọn ít nhất một công dân.".into()));
        }
        let date: StepDate = on.into();
        let on = date.on;
        let cycle = self.cycle(cycle_id).await?;
        check_step_date(&cycle, request.kind(), date, crate::citizens::today()).map_err(StoreError::Invalid)?;
        let settings = self.cycle_settings(cycle_id).await?;
        let mut citizens = Vec::with_capacity(citizen_ids.len());
        for &id in citizen_ids {
            let c = self.citizen(id).await?;
            self.cycle_commune(&cycle, c.unit_id).await?;
            citizens.push(c);
        }
        if matches!(request, StageRequest::IssueCallUp { .. }) {
            // Numbered in the order of the commune's list (Vietnamese name order, then record),
            // whatever order the ids came in, so that printed decisions follow the list.
            citizens.sort_by_cached_key(|c| (phongthu_domain::text::person_collation_key(&c.full_name), c.id));
        }
        let mut w = self.begin_write(Permission::Write).await?;
        for (i, c) in citizens.iter().enumerate() {
            let r = match &request {
                StageRequest::IssueCallUp {
                    decision_number,
                    report_place,
                    report_at,
                    replaces,
                    override_reason,
                } => StageRequest::IssueCallUp {
                    decision_number: nth_number(decision_number, i)?,
                    report_place: report_place.clone(),
                    report_at: report_at.clone(),
                    replaces: *replaces,
                    override_reason: override_reason.clone(),
                },
                other => other.clone(),
            };
            self.apply_stage(&mut w, &cycle, &settings, c, r, on, note)
                .await
                .map_err(|e| match e {
                    StoreError::Invalid(m) => StoreError::Invalid(format!("{}: {m}", c.full_name)),
                    other => other,
                })?;
        }
        w.commit().await?;
        Ok(citizens.len())
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn apply_stage(
        &self,
        w: &mut WriteTx<'_>,
        cycle: &CallUpCycle,
        settings: &CycleSettings,
        citizen: &Citizen,
        request: StageRequest,
        on: Date,
        note: Option<&str>,
    ) -> Result<Stage, StoreError> {
        let cycle_id = cycle.id;
        let citizen_id = citizen.id;
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        let events = self.events_of(&mut w.tx, cycle_id, citizen_id).await?;
        let (history, derived) = replay(&events)?;
        let from = history.stage();
        let exam_before = match derived.exam_event {
            Some(id) => self.exam_of(&mut w.tx, id).await?,
            None => None,
        };

        let mut detail = json!({});
        let transition = match &request {
            StageRequest::Screen { passed } => {
                if from == Stage::Pool {
                    let d = self.decide(&mut w.tx, cycle, citizen, None, None).await?;
                    if d.status != Status::Eligible {
                        return Err(StoreError::Invalid(format!(
                            "{} không thuộc nguồn gọi nhập ngũ: {}.",
                            citizen.full_name,
                            d.status_reason()
                        )));
                    }
                }
                detail = json!({ "passed": passed });
                Transition::Screen { passed: *passed }
            }
            StageRequest::Examine(exam) => {
                if from == Stage::Screened {
                    self.require_approved(&mut w.tx, cycle_id, citizen.unit_id, CappedList::Examination)
                        .await?;
                    if let Some((_, s, e)) = settings.timetable.iter().find(|(s, _, _)| *s == Step::Examination) {
                        if on < *s || on > *e {
                            return Err(StoreError::Invalid(format!(
                                "Ngày khám {} nằm ngoài thời gian khám sức khỏe của đợt ({} – {}).",
                                phongthu_domain::dates::vi_date(on),
                                phongthu_domain::dates::vi_date(*s),
                                phongthu_domain::dates::vi_date(*e)
                            )));
                        }
                    }
                }
                let d = self.decide(&mut w.tx, cycle, citizen, Some(exam), None).await?;
                let health_ground = d
                    .grounds
                    .iter()
                    .any(|g| g.clause == Clause::Deferral && g.point == phongthu_domain::nvqs::rules::Point::A);
                let health_unmet: Vec<&str> = d
                    .unmet_standards
                    .iter()
                    .filter(|s| HEALTH_STANDARDS.contains(s))
                    .map(|s| s.code())
                    .collect();
                let fit = !health_ground && health_unmet.is_empty();
                detail = json!({
                    "fit": fit,
                    "health_class": exam.class().get(),
                    "bmi": exam.bmi(),
                    "unmet": health_unmet,
                    "reasons": d.reasons,
                });
                Transition::Examine { fit }
            }
            StageRequest::Vet { passed } => {
                detail = json!({ "passed": passed });
                Transition::Vet { passed: *passed }
            }
            StageRequest::Approve(list) => {
                if from == Stage::Vetted {
                    let d = self
                        .decide(&mut w.tx, cycle, citizen, exam_before.as_ref(), derived.vetting)
                        .await?;
                    if d.status != Status::Eligible {
                        return Err(StoreError::Invalid(format!(
                            "Không thể duyệt {}: {}.",
                            citizen.full_name,
                            d.status_reason()
                        )));
                    }
                }
                detail = json!({ "list": list.code() });
                Transition::Approve(*list)
            }
            StageRequest::IssueCallUp {
                decision_number,
                report_place,
                report_at,
                replaces,
                override_reason,
            } => {
                let number = decision_number.trim();
                if number.is_empty() {
                    return Err(StoreError::Invalid(
                        "Hãy ghi số, ký hiệu của quyết định gọi nhập ngũ.".into(),
                    ));
                }
                leading_number(number)?;
                if report_place.trim().is_empty() || report_at.trim().is_empty() {
                    return Err(StoreError::Invalid(
                        "Hãy ghi địa điểm và thời gian có mặt trên quyết định gọi nhập ngũ.".into(),
                    ));
                }
                let mut d = json!({
                    "decision_number": number,
                    "report_place": report_place.trim(),
                    "report_at": report_at.trim(),
                });
                match from {
                    Stage::Approved(CallUpList::Official) => {
                        if replaces.is_some() {
                            return Err(StoreError::Invalid(
                                "Công dân trong danh sách chính thức không gọi để bù đổi; bù đổi lấy từ danh sách dự phòng."
                                    .into(),
                            ));
                        }
                        self.require_approved(&mut w.tx, cycle_id, citizen.unit_id, CappedList::Official)
                            .await?;
                    }
                    Stage::Approved(CallUpList::Reserve) => {
                        self.require_approved(&mut w.tx, cycle_id, citizen.unit_id, CappedList::Reserve)
                            .await?;
                        let replaced = replaces.ok_or_else(|| {
                            StoreError::Invalid(
                                "Công dân dự phòng chỉ được gọi nhập ngũ để bù đổi: hãy chọn người bị trả về được thay thế."
                                    .into(),
                            )
                        })?;
                        self.check_replacement(&mut w.tx, cycle, settings, replaced, on, override_reason.as_deref())
                            .await?;
                        d["replaces"] = json!(replaced);
                        if let Some(r) = override_reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
                            d["override_reason"] = json!(r);
                        }
                    }
                    _ => {}
                }
                detail = d;
                Transition::IssueCallUp
            }
            StageRequest::HandOver => Transition::HandOver,
            StageRequest::Confirm => Transition::Confirm,
            StageRequest::Return => {
                if note.is_none() {
                    return Err(StoreError::Invalid("Hãy ghi lý do trả về.".into()));
                }
                if let Some(handed) = derived.handed_over_on.as_deref().and_then(parse_iso) {
                    if !within_recheck_window(handed, on) {
                        return Err(StoreError::Invalid(format!(
                            "Trả về sau phúc tra chỉ trong {RECHECK_DAYS} ngày kể từ ngày giao quân {} (khoản 3 Điều 7 \
                             Thông tư 148/2018/TT-BQP, sửa đổi bởi Thông tư 68/2025/TT-BQP), tức đến hết ngày {}.",
                            phongthu_domain::dates::vi_date(handed),
                            phongthu_domain::dates::vi_date(phongthu_domain::dates::add_days(handed, RECHECK_DAYS))
                        )));
                    }
                }
                Transition::Return
            }
            StageRequest::Defer {
                ground,
                decision_number,
                evidence,
            }
            | StageRequest::Exempt {
                ground,
                decision_number,
                evidence,
            } => {
                let deferral = matches!(request, StageRequest::Defer { .. });
                let prefix = if deferral { "41.1." } else { "41.2." };
                let (_, rules) = engine_for(cycle)?;
                let valid = rules
                    .grounds()
                    .iter()
                    .any(|(g, _)| g.code() == *ground && g.code().starts_with(prefix));
                if !valid {
                    return Err(StoreError::Invalid(format!(
                        "Căn cứ \"{ground}\" không phải là một điểm của khoản {} Điều 41 Luật NVQS.",
                        if deferral { 1 } else { 2 }
                    )));
                }
                if from == Stage::Unfit {
                    // After the examination only the health ground may follow: class 4–6
                    // (Art. 41.1.a).
                    let class = exam_before.as_ref().map(|e| e.class().get()).unwrap_or(0);
                    if !deferral || ground != "41.1.a" || class < 4 {
                        return Err(StoreError::Invalid(format!(
                            "{} không đủ sức khỏe (loại {class}): chỉ ghi được quyết định tạm hoãn theo điểm a \
                             khoản 1 Điều 41 Luật NVQS, và chỉ khi sức khỏe loại 4, 5 hoặc 6.",
                            citizen.full_name
                        )));
                    }
                }
                if decision_number.trim().is_empty() {
                    return Err(StoreError::Invalid("Hãy ghi số, ký hiệu của quyết định.".into()));
                }
                if evidence.trim().is_empty() {
                    return Err(StoreError::Invalid(
                        "Hãy ghi giấy tờ chứng minh (căn cứ) của quyết định.".into(),
                    ));
                }
                detail = json!({
                    "ground": ground,
                    "decision_number": decision_number.trim(),
                    "evidence": evidence.trim(),
                });
                if deferral {
                    Transition::Defer
                } else {
                    Transition::Exempt
                }
            }
            StageRequest::Revert => {
                if note.is_none() {
                    return Err(StoreError::Invalid("Hãy ghi lý do hủy bước trước.".into()));
                }
                Transition::Revert
            }
        };
        let after = history
            .peek(transition)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let reverts = (transition == Transition::Revert).then(|| history.latest()).flatten();
        if transition == Transition::Revert {
            // A replacement's call-up cannot be undone out from under a later step of another
            // citizen; nothing else depends across citizens.
            detail = json!({ "reverts": reverts });
        }
        let event_id: i64 = sqlx::query(
            "INSERT INTO nvqs_stage_event (cycle_id, citizen_id, unit_id, province_code, kind, stage_after, \
             event_date, detail, note, reverts_event_id, actor_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(cycle_id)
        .bind(citizen_id)
        .bind(citizen.unit_id)
        .bind(&cycle.province_code)
        .bind(transition.kind().code())
        .bind(after.code())
        .bind(on.to_string())
        .bind(detail.to_string())
        .bind(note)
        .bind(reverts)
        .bind(w.actor.user_id)
        .bind(crate::now_text())
        .fetch_one(&mut *w.tx)
        .await?
        .get(0);
        if let StageRequest::Examine(exam) = &request {
            let s = exam.scores;
            sqlx::query(
                "INSERT INTO nvqs_exam (event_id, cycle_id, citizen_id, unit_id, province_code, exam_date, \
                 score_physique, score_eyes, score_ent, score_dental, score_internal, score_neuro_psychiatric, \
                 score_surgical, score_dermatology, height_cm, weight_kg, bmi, myopia_diopters, hyperopia, drug_use, \
                 health_class, fit) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                 $17, $18, $19, $20, $21, $22)",
            )
            .bind(event_id)
            .bind(cycle_id)
            .bind(citizen_id)
            .bind(citizen.unit_id)
            .bind(&cycle.province_code)
            .bind(on.to_string())
            .bind(s[0] as i64)
            .bind(s[1] as i64)
            .bind(s[2] as i64)
            .bind(s[3] as i64)
            .bind(s[4] as i64)
            .bind(s[5] as i64)
            .bind(s[6] as i64)
            .bind(s[7] as i64)
            .bind(exam.height_cm)
            .bind(exam.weight_kg)
            .bind(exam.bmi())
            // 0 for none: a NULL double cannot be bound through the Any driver to PostgreSQL.
            .bind(exam.myopia_diopters.unwrap_or(0.0))
            .bind(exam.hyperopia as i64)
            .bind(exam.drug_use as i64)
            .bind(exam.class().get() as i64)
            .bind(detail["fit"].as_bool().unwrap_or(false) as i64)
            .execute(&mut *w.tx)
            .await?;
        }
        self.rewrite_candidate(w, cycle, citizen).await?;
        w.audit(
            transition.kind().code(),
            "nvqs_candidate",
            &format!("{cycle_id}:{citizen_id}"),
            Some(citizen.unit_id),
            Some(&json!({ "stage": from.code() })),
            Some(&json!({ "stage": after.code(), "event": event_id, "date": on.to_string(), "detail": detail, "note": note })),
        )
        .await?;
        Ok(after)
    }

    /// A replacement must replace a returned citizen of the cycle not yet replaced, within 15
    /// days of his handover, and within the cycle's replacement cap (or over it with a reason).
    async fn check_replacement(
        &self,
        conn: &mut sqlx::AnyConnection,
        cycle: &CallUpCycle,
        settings: &CycleSettings,
        replaced: i64,
        on: Date,
        override_reason: Option<&str>,
    ) -> Result<(), StoreError> {
        let row = sqlx::query(
            "SELECT n.stage, n.handed_over_on, c.full_name FROM nvqs_candidate n JOIN citizen c ON c.id = n.citizen_id \
             WHERE n.cycle_id = $1 AND n.citizen_id = $2",
        )
        .bind(cycle.id)
        .bind(replaced)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::Invalid("Người được thay thế không có trong đợt tuyển quân này.".into()))?;
        let stage: String = row.get(0);
        let name: String = row.get(2);
        if stage != Stage::Returned.code() {
            return Err(StoreError::Invalid(format!(
                "{name} chưa bị trả về sau phúc tra, nên không có ai phải bù đổi."
            )));
        }
        let already: i64 = sqlx::query(&format!(
            "SELECT count(*) FROM nvqs_candidate WHERE cycle_id = $1 AND replaces_citizen_id = $2 AND {}",
            list_members_sql(CappedList::Replacement)
        ))
        .bind(cycle.id)
        .bind(replaced)
        .fetch_one(&mut *conn)
        .await?
        .get(0);
        if already > 0 {
            return Err(StoreError::Invalid(format!("{name} đã có người bù đổi.")));
        }
        let handed: Option<String> = row.get(1);
        let handed = handed.as_deref().and_then(parse_iso).ok_or_else(|| {
            StoreError::Invalid(format!(
                "{name} không có ngày giao quân nên không tính được hạn bù đổi."
            ))
        })?;
        if !within_replacement_window(handed, on) {
            return Err(StoreError::Invalid(format!(
                "Bù đổi phải thực hiện trong {REPLACEMENT_DAYS} ngày kể từ ngày giao quân {} (khoản 3 Điều 7 Thông tư 148/2018/TT-BQP, sửa đổi bởi Thông tư 68/2025/TT-BQP), \
                 tức đến hết ngày {}.",
                phongthu_domain::dates::vi_date(handed),
                phongthu_domain::dates::vi_date(phongthu_domain::dates::add_days(handed, REPLACEMENT_DAYS))
            )));
        }
        let count = self.count_list(conn, cycle.id, None, CappedList::Replacement).await? + 1;
        let caps: Caps = settings.caps.into();
        let check = CapCheck {
            list: CappedList::Replacement,
            count,
            cap: caps.cap(CappedList::Replacement, cycle.quota),
        };
        check_approval(check, override_reason).map_err(StoreError::Invalid)
    }

    /// Rewrites the citizen's current state from the events in force.
    async fn rewrite_candidate(
        &self,
        w: &mut WriteTx<'_>,
        cycle: &CallUpCycle,
        citizen: &Citizen,
    ) -> Result<(), StoreError> {
        let events = self.events_of(&mut w.tx, cycle.id, citizen.id).await?;
        let (_, d) = replay(&events)?;
        sqlx::query("DELETE FROM nvqs_candidate WHERE cycle_id = $1 AND citizen_id = $2")
            .bind(cycle.id)
            .bind(citizen.id)
            .execute(&mut *w.tx)
            .await?;
        // The class and BMI are copied from the examination row inside the statement: sqlx's Any
        // driver cannot bind a NULL double to PostgreSQL.
        sqlx::query(
            "INSERT INTO nvqs_candidate (cycle_id, citizen_id, unit_id, province_code, stage, list, health_class, bmi, \
             ground, decision_number, decision_date, handed_over_on, replaces_citizen_id, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, (SELECT health_class FROM nvqs_exam WHERE event_id = $7), \
             (SELECT bmi FROM nvqs_exam WHERE event_id = $8), $9, $10, $11, $12, $13, $14)",
        )
        .bind(cycle.id)
        .bind(citizen.id)
        .bind(citizen.unit_id)
        .bind(&cycle.province_code)
        .bind(d.stage.unwrap_or(Stage::Pool).code())
        .bind(d.list.map(CallUpList::code))
        .bind(d.exam_event)
        .bind(d.exam_event)
        .bind(d.ground)
        .bind(d.decision_number)
        .bind(d.decision_date)
        .bind(d.handed_over_on)
        .bind(d.replaces)
        .bind(crate::now_text())
        .execute(&mut *w.tx)
        .await?;
        Ok(())
    }

    /// Approves a commune's list against its cap; over the cap only with a reason (audited).
    /// Without the approving act's number and date (see [`Scoped::approve_list_act`]).
    pub async fn approve_list(
        &self,
        cycle_id: i64,
        unit_id: i64,
        list: CappedList,
        override_reason: Option<&str>,
    ) -> Result<ListApproval, StoreError> {
        self.approve_list_act(cycle_id, unit_id, list, override_reason, None)
            .await
    }

    /// Approves a commune's list against its cap by an act with its number and date (the date
    /// within the cycle; after today only confirmed); over the cap only with a reason (audited).
    pub async fn approve_list_act(
        &self,
        cycle_id: i64,
        unit_id: i64,
        list: CappedList,
        override_reason: Option<&str>,
        act: Option<&ListAct>,
    ) -> Result<ListApproval, StoreError> {
        self.require(Permission::Write)?;
        if list == CappedList::Replacement {
            return Err(StoreError::Invalid(
                "Bù đổi không có danh sách để duyệt: giới hạn được kiểm tra khi gọi từng người.".into(),
            ));
        }
        let cycle = self.cycle(cycle_id).await?;
        let act_number = act.map(|a| a.number.trim().to_string());
        if let Some(a) = act {
            if a.number.trim().is_empty() {
                return Err(StoreError::Invalid(
                    "Hãy ghi số, ký hiệu của văn bản duyệt danh sách.".into(),
                ));
            }
            let (from, to) = phongthu_domain::nvqs::plan::cycle_span(cycle.year);
            let what = "Ngày duyệt danh sách";
            phongthu_domain::dates::check_within(what, a.date, from, to, &format!("đợt tuyển quân năm {}", cycle.year))
                .and_then(|()| {
                    phongthu_domain::dates::check_act_date(what, a.date, crate::citizens::today(), a.future_confirmed)
                })
                .map_err(StoreError::Invalid)?;
        }
        let act_date = act.map(|a| a.date.to_string());
        self.cycle_commune(&cycle, unit_id).await?;
        let caps: Caps = self.cycle_caps(cycle_id).await?.into();
        let mut w = self.begin_write(Permission::Write).await?;
        let quota = self.commune_quota(&mut w.tx, cycle_id, unit_id).await?.ok_or_else(|| {
            StoreError::Invalid(
                "Xã chưa được giao chỉ tiêu: hãy lưu phân bổ chỉ tiêu trước khi duyệt danh sách.".into(),
            )
        })?;
        let count = self.count_list(&mut w.tx, cycle_id, Some(unit_id), list).await?;
        if count == 0 {
            return Err(StoreError::Invalid(format!("{} đang trống.", list.label_vi())));
        }
        let check = CapCheck {
            list,
            count,
            cap: caps.cap(list, quota),
        };
        let reason = override_reason.map(str::trim).filter(|r| !r.is_empty());
        check_approval(check, reason).map_err(StoreError::Invalid)?;
        let reason = reason.filter(|_| check.over());
        let before = self.approval_of(&mut w.tx, cycle_id, unit_id, list).await?;
        let now = crate::now_text();
        sqlx::query("DELETE FROM nvqs_list_approval WHERE cycle_id = $1 AND unit_id = $2 AND list = $3")
            .bind(cycle_id)
            .bind(unit_id)
            .bind(list.code())
            .execute(&mut *w.tx)
            .await?;
        sqlx::query(
            "INSERT INTO nvqs_list_approval (cycle_id, unit_id, list, province_code, count, cap, override_reason, \
             approved_by, approved_at, act_number, act_date) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(cycle_id)
        .bind(unit_id)
        .bind(list.code())
        .bind(&cycle.province_code)
        .bind(count)
        .bind(check.cap)
        .bind(reason)
        .bind(w.actor.user_id)
        .bind(&now)
        .bind(act_number.as_deref())
        .bind(act_date.as_deref())
        .execute(&mut *w.tx)
        .await?;
        w.audit(
            "approve_list",
            "nvqs_list_approval",
            &format!("{cycle_id}:{unit_id}:{}", list.code()),
            Some(unit_id),
            before.as_ref().map(|b| json!(b)).as_ref(),
            Some(
                &json!({"list": list.code(), "count": count, "cap": check.cap, "override_reason": reason,
                "act_number": act_number, "act_date": act_date}),
            ),
        )
        .await?;
        w.commit().await?;
        Ok(ListApproval {
            list,
            count,
            cap: check.cap,
            override_reason: reason.map(str::to_string),
            approved_at: now,
            act_number,
            act_date,
        })
    }

    /// The history of one citizen in a cycle, oldest first.
    pub async fn stage_history(&self, cycle_id: i64, citizen_id: i64) -> Result<Vec<StageEvent>, StoreError> {
        self.cycle(cycle_id).await?;
        self.citizen(citizen_id).await?;
        let rows = sqlx::query(
            "SELECT e.id, e.kind, e.stage_after, e.event_date, e.detail, e.note, e.reverts_event_id, e.created_at, \
             u.display_name FROM nvqs_stage_event e LEFT JOIN app_user u ON u.id = e.actor_id \
             WHERE e.cycle_id = $1 AND e.citizen_id = $2 ORDER BY e.id",
        )
        .bind(cycle_id)
        .bind(citizen_id)
        .fetch_all(&self.store.pool)
        .await?;
        let reverted: Vec<i64> = rows
            .iter()
            .filter_map(|r| r.get::<Option<i64>, _>("reverts_event_id"))
            .collect();
        Ok(rows
            .iter()
            .map(|r| {
                let kind: String = r.get("kind");
                let stage: String = r.get("stage_after");
                let detail: String = r.get("detail");
                let id: i64 = r.get("id");
                StageEvent {
                    id,
                    kind_label: TransitionKind::parse(&kind)
                        .map(|k| k.label_vi())
                        .unwrap_or("")
                        .to_string(),
                    kind,
                    stage_label: Stage::parse(&stage).map(|s| s.label_vi()).unwrap_or("").to_string(),
                    stage_after: stage,
                    event_date: r.get("event_date"),
                    detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                    note: r.get("note"),
                    reverts_event_id: r.get("reverts_event_id"),
                    reverted: reverted.contains(&id),
                    actor: r.get("display_name"),
                    created_at: r.get("created_at"),
                }
            })
            .collect())
    }

    /// One commune's page: every citizen on its register with the engine's status and his stage,
    /// the lists against their caps and approvals.
    pub async fn commune_cycle(&self, cycle_id: i64, unit_id: i64) -> Result<CommuneCycle, StoreError> {
        let (cycle, unit_name, assessed) = self.commune_assessments(cycle_id, unit_id).await?;
        let settings = self.cycle_settings(cycle_id).await?;
        let mut conn = self.store.pool.acquire().await?;
        let quota = self.commune_quota(&mut conn, cycle_id, unit_id).await?;
        let rows = sqlx::query(&format!(
            "SELECT {CANDIDATE_COLUMNS} FROM nvqs_candidate WHERE cycle_id = $1 AND unit_id = $2"
        ))
        .bind(cycle_id)
        .bind(unit_id)
        .fetch_all(&mut *conn)
        .await?;
        let by_citizen: HashMap<i64, &sqlx::any::AnyRow> = rows.iter().map(|r| (r.get::<i64, _>(0), r)).collect();
        let candidates: Vec<CandidateRow> = assessed
            .into_iter()
            .map(|(citizen, decision)| {
                let row = by_citizen.get(&citizen.id).copied();
                candidate_row(citizen, &decision, row)
            })
            .collect();
        let caps: Caps = settings.caps.into();
        let mut lists = Vec::new();
        for list in [CappedList::Examination, CappedList::Official, CappedList::Reserve] {
            let count = self.count_list(&mut conn, cycle_id, Some(unit_id), list).await?;
            let check = CapCheck {
                list,
                count,
                cap: caps.cap(list, quota.unwrap_or(0)),
            };
            let approval = self.approval_of(&mut conn, cycle_id, unit_id, list).await?;
            lists.push(ListState {
                list,
                label: list.label_vi().to_string(),
                count,
                cap: check.cap,
                over: check.over(),
                describe: check.describe_vi(),
                approved_current: approval.as_ref().is_some_and(|a| count <= a.count),
                approval,
            });
        }
        let examination_window = settings
            .timetable
            .iter()
            .find(|(s, _, _)| *s == Step::Examination)
            .map(|(_, s, e)| (s.to_string(), e.to_string()));
        Ok(CommuneCycle {
            cycle,
            unit_id,
            unit_name,
            quota,
            caps: settings.caps,
            lists,
            candidates,
            examination_window,
        })
    }

    /// One citizen's row in a cycle, as [`Scoped::commune_cycle`] lists it, without assessing the
    /// rest of his commune (the citizen's page and his decision).
    pub async fn candidate(&self, cycle_id: i64, citizen_id: i64) -> Result<CandidateRow, StoreError> {
        let cycle = self.cycle(cycle_id).await?;
        let citizen = self.citizen(citizen_id).await?;
        self.cycle_commune(&cycle, citizen.unit_id).await?;
        let mut conn = self.store.pool.acquire().await?;
        let decision = self.decide(&mut conn, &cycle, &citizen, None, None).await?;
        let row = sqlx::query(&format!(
            "SELECT {CANDIDATE_COLUMNS} FROM nvqs_candidate WHERE cycle_id = $1 AND citizen_id = $2"
        ))
        .bind(cycle_id)
        .bind(citizen_id)
        .fetch_optional(&mut *conn)
        .await?;
        Ok(candidate_row(citizen, &decision, row.as_ref()))
    }

    /// Citizens of the cycle in scope returned after the post check and not yet replaced: whom a
    /// reserve citizen may replace.
    pub async fn returned_unreplaced(&self, cycle_id: i64) -> Result<Vec<(i64, String)>, StoreError> {
        self.cycle(cycle_id).await?;
        // Not yet replaced: no one of the cycle called up in his place (the same stages as the
        // replacement list of `list_members_sql`).
        let rows = sqlx::query(&format!(
            "SELECT n.citizen_id, c.full_name FROM nvqs_candidate n JOIN citizen c ON c.id = n.citizen_id \
             WHERE n.cycle_id = $2 AND n.stage = 'returned' AND n.unit_id IN ({SCOPE_UNITS}) \
             AND NOT EXISTS (SELECT 1 FROM nvqs_candidate r WHERE r.cycle_id = n.cycle_id \
             AND r.replaces_citizen_id = n.citizen_id \
             AND r.stage IN ('call_up_issued','handed_over','confirmed','returned')) ORDER BY c.sort_key"
        ))
        .bind(self.actor.unit_id)
        .bind(cycle_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// The engine's decision for one citizen with his examination and vetting in force (for the
    /// citizen's cycle page).
    pub async fn candidate_decision(&self, cycle_id: i64, citizen_id: i64) -> Result<Decision, StoreError> {
        let cycle = self.cycle(cycle_id).await?;
        let citizen = self.citizen(citizen_id).await?;
        let mut conn = self.store.pool.acquire().await?;
        let events = self.events_of(&mut conn, cycle_id, citizen_id).await?;
        let (_, d) = replay(&events)?;
        let exam = match d.exam_event {
            Some(id) => self.exam_of(&mut conn, id).await?,
            None => None,
        };
        self.decide(&mut conn, &cycle, &citizen, exam.as_ref(), d.vetting).await
    }
}

#[cfg(test)]
mod tests {
    use super::nth_number;

    #[test]
    fn runs_of_decision_numbers() {
        let n = |first: &str, i: usize| nth_number(first, i).unwrap();
        assert_eq!(n("15/QĐ-UBND", 0), "15/QĐ-UBND");
        assert_eq!(n("15/QĐ-UBND", 2), "17/QĐ-UBND");
        assert_eq!(n("09/QĐ-UBND", 1), "10/QĐ-UBND");
        assert_eq!(n("QĐ-UBND", 3), "QĐ-UBND");
        assert_eq!(n("999999999/QĐ", 1), "1000000000/QĐ");
    }

    #[test]
    fn a_number_too_long_is_refused_not_overflowed() {
        for (first, i) in [
            ("18446744073709551615/QĐ", 1),
            ("18446744073709551615/QĐ", 0),
            ("1000000000/QĐ", 3),
        ] {
            let e = nth_number(first, i).unwrap_err().to_string();
            assert!(e.contains("tối đa 9 chữ số"), "{first}: {e}");
        }
        assert!(nth_number("99999999999999999999999999/QĐ", 2).is_err());
    }
}
