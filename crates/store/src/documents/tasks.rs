//! Tasks from a reviewed directive, progress reports, overdue and due-soon lists, and the roll-up
//! the issuing unit reads.
//!
//! A task exists only once a person has reviewed the reader's proposals and confirmed them
//! ([`Scoped::create_tasks_from_review`], one transaction). Its lead unit (`unit_id`) and its
//! coordinating units must lie in the confirming actor's scope. A task is visible to the scope
//! of its lead unit, of its coordinating units and of the document's registering unit.

use super::{iso, parse_iso, today_vn, vi_date, Arg, DocumentStatus, NewAttachment};
use crate::dates::{ser_date, ser_opt_date};
use crate::error::StoreError;
use crate::scope::{Scoped, SCOPE_UNITS};
use phongthu_domain::auth::Permission;
use phongthu_domain::directive::indicator::{Attainment, IndicatorKind, Measurement};
use phongthu_domain::text;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::Row;
use time::{Date, Month};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    Done,
    Cancelled,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Done => "done",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<TaskStatus> {
        [TaskStatus::Open, TaskStatus::Done, TaskStatus::Cancelled]
            .into_iter()
            .find(|x| x.as_str() == s.trim())
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            TaskStatus::Open => "Đang thực hiện",
            TaskStatus::Done => "Hoàn thành",
            TaskStatus::Cancelled => "Đã hủy",
        }
    }
}

/// A proposed task as the person confirmed it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewedTask {
    pub ordinal: String,
    pub summary: String,
    pub lead_unit_id: i64,
    pub coordinating_unit_ids: Vec<i64>,
    /// As written or edited: "2025", "2025-06", "2025-06-30", "quý I/2025".
    pub deadline: Option<String>,
    /// The last day the deadline denotes; taken from `deadline` by [`due_date_of`] when `None`.
    pub due_date: Option<Date>,
    pub targets: Vec<String>,
    /// Comes back every year (copied into the next year's plan by [`Scoped::copy_recurring_tasks`]).
    pub recurring: bool,
    /// Progress measured from the system's data, beside the reports.
    pub indicator: Option<TaskIndicator>,
}

/// The indicator a task is tied to: what is counted, for which year, and the target percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TaskIndicator {
    pub kind: IndicatorKind,
    pub year: i32,
    /// 0..=100.
    pub target_percent: u32,
}

/// An indicator with its value as measured now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeasuredIndicator {
    pub indicator: TaskIndicator,
    pub measurement: Measurement,
    pub percent: Option<u32>,
    pub attainment: Attainment,
    /// "45/50 công dân phải đăng ký đã đăng ký (90%)".
    pub description: String,
}

/// A change to a confirmed task (every field as it should be after the change).
#[derive(Debug, Clone, PartialEq)]
pub struct TaskEdit {
    pub summary: String,
    pub lead_unit_id: i64,
    pub coordinating_unit_ids: Vec<i64>,
    pub deadline: Option<String>,
    pub due_date: Option<Date>,
    pub targets: Vec<String>,
    pub recurring: bool,
    pub indicator: Option<TaskIndicator>,
}

/// What [`Scoped::copy_recurring_tasks`] did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CopyReport {
    pub from_year: i32,
    pub to_year: i32,
    /// The new tasks.
    pub created: Vec<Task>,
    /// Recurring tasks of `from_year` already copied before (left alone).
    pub already_copied: i64,
}

/// A file attached to a progress report (without its content).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportAttachment {
    pub id: i64,
    pub report_id: i64,
    pub task_id: i64,
    pub file_name: String,
    pub sha256: String,
    pub size: i64,
}

/// The largest file a progress report may carry (10 MiB), and all its files together (20 MiB).
pub const REPORT_ATTACHMENT_MAX_BYTES: usize = 10 * 1024 * 1024;
pub const REPORT_ATTACHMENTS_TOTAL_MAX_BYTES: usize = 20 * 1024 * 1024;

/// A task with what the lists show about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Task {
    pub id: i64,
    pub document_id: i64,
    pub document_number: Option<String>,
    pub document_title: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub issuing_unit_id: i64,
    pub ordinal: String,
    pub summary: String,
    pub deadline: Option<String>,
    #[serde(serialize_with = "ser_opt_date")]
    pub due_date: Option<Date>,
    pub targets: Vec<String>,
    pub status: TaskStatus,
    /// The percent of the lead unit's latest report, if any (a coordinating unit's reports are
    /// its contribution, not the task's progress).
    pub latest_percent: Option<i64>,
    /// Coordinating units (id, name).
    pub coordinating: Vec<(i64, String)>,
    pub created_at: String,
    pub recurring: bool,
    /// Why the task was cancelled (cancelled tasks only).
    pub cancel_reason: Option<String>,
    /// The previous year's task this one was copied from.
    pub copied_from: Option<i64>,
    pub indicator: Option<TaskIndicator>,
}

impl Task {
    /// Open and past its due date on `today`.
    pub fn is_overdue(&self, today: Date) -> bool {
        self.status == TaskStatus::Open && self.due_date.is_some_and(|d| d < today)
    }

    /// Open and due within `days` days of `today` (today included).
    pub fn is_due_soon(&self, today: Date, days: i64) -> bool {
        self.status == TaskStatus::Open
            && self
                .due_date
                .is_some_and(|d| d >= today && d <= phongthu_domain::dates::add_days(today, days))
    }
}

/// A progress report to post.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReport {
    pub reported_on: Date,
    /// 0..=100; 100 marks the task done.
    pub percent: i64,
    pub body: String,
    /// Figures as written ("Đã giao 45/45 công dân", "1,5ha đã thu hồi").
    pub figures: String,
    /// Files kept with the report (minutes, lists, photos), stored by content hash.
    pub attachments: Vec<NewAttachment>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskReport {
    pub id: i64,
    pub task_id: i64,
    pub unit_id: i64,
    pub reporter_name: String,
    #[serde(serialize_with = "ser_date")]
    pub reported_on: Date,
    pub percent: i64,
    pub body: String,
    pub figures: String,
    pub created_at: String,
    pub attachments: Vec<ReportAttachment>,
}

/// One line of a document's roll-up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RollupRow {
    pub task: Task,
    /// The indicator's value beside the self-reported percent, when the task has one.
    pub measured: Option<MeasuredIndicator>,
    pub overdue: bool,
    pub reports: i64,
    #[serde(serialize_with = "ser_opt_date")]
    pub last_reported_on: Option<Date>,
}

/// The execution of a document's tasks across the units below the issuer. `total` counts every
/// task, cancelled ones included; `open`, `overdue` and `average_percent` leave cancelled tasks
/// out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rollup {
    pub document_id: i64,
    pub rows: Vec<RollupRow>,
    pub total: i64,
    pub done: i64,
    pub open: i64,
    pub cancelled: i64,
    pub overdue: i64,
    /// Average of the latest percents of tasks not cancelled (a task without a report counts 0;
    /// a done task 100).
    pub average_percent: i64,
}

fn last_day_of_month(year: i32, month: Month) -> Option<Date> {
    let first_next = if month == Month::December {
        Date::from_calendar_date(year + 1, Month::January, 1)
    } else {
        Date::from_calendar_date(year, month.next(), 1)
    }
    .ok()?;
    first_next.previous_day()
}

/// The last day a deadline denotes: "2025" → 31/12/2025, "2025-06" → 30/06/2025, "2025-06-15"
/// or "15/06/2025" → that day, "quý II/2025" or "quý II năm 2025" → 30/06/2025, "6/2025" or
/// "tháng 6/2025" → 30/06/2025. `None` when the text names no day that can be computed.
pub fn due_date_of(deadline: &str) -> Option<Date> {
    let f = text::fold(deadline);
    let f = f.trim();
    if f.is_empty() {
        return None;
    }
    if let Some(d) = parse_iso(f).filter(|_| f.len() == 10) {
        return Some(d);
    }
    let nums: Vec<&str> = f
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .collect();
    let year_of = |s: &str| {
        s.parse::<i32>()
            .ok()
            .filter(|y| (1945..=2100).contains(y) && s.len() == 4)
    };
    if f.starts_with("quy") {
        let roman = f.trim_start_matches("quy").trim();
        let q = match roman.split(|c: char| !c.is_alphanumeric()).next().unwrap_or("") {
            "i" | "1" => 1,
            "ii" | "2" => 2,
            "iii" | "3" => 3,
            "iv" | "4" => 4,
            _ => return None,
        };
        let year = nums.iter().rev().find_map(|n| year_of(n))?;
        return last_day_of_month(year, Month::try_from((q * 3) as u8).ok()?);
    }
    match nums.as_slice() {
        [y] => {
            let year = year_of(y)?;
            Date::from_calendar_date(year, Month::December, 31).ok()
        }
        [a, b] => {
            // "2025-06" or "6/2025"
            let (y, m) = if year_of(a).is_some() { (a, b) } else { (b, a) };
            let year = year_of(y)?;
            let m: u8 = m.parse().ok()?;
            last_day_of_month(year, Month::try_from(m).ok()?)
        }
        [a, b, c] => {
            if let Some(year) = year_of(a) {
                Date::from_calendar_date(year, Month::try_from(b.parse::<u8>().ok()?).ok()?, c.parse().ok()?).ok()
            } else {
                let year = year_of(c)?;
                Date::from_calendar_date(year, Month::try_from(b.parse::<u8>().ok()?).ok()?, a.parse().ok()?).ok()
            }
        }
        _ => None,
    }
}

pub(super) const TASK_COLUMNS: &str = "t.id, t.document_id, d.number_symbol AS document_number, d.title AS document_title, \
     t.unit_id, o.name AS unit_name, t.issuing_unit_id, t.ordinal, t.summary, t.deadline_text, t.due_date, t.targets, \
     t.status, t.created_at, t.recurring, t.cancel_reason, t.copied_from, t.indicator, t.indicator_year, \
     t.indicator_target, \
     (SELECT r.percent FROM task_report r WHERE r.task_id = t.id AND r.unit_id = t.unit_id ORDER BY r.reported_on DESC, r.id DESC LIMIT 1) AS latest_percent";

pub(super) const TASK_FROM: &str =
    "FROM task t JOIN document d ON d.id = t.document_id JOIN org_unit o ON o.id = t.unit_id";

pub(super) fn task_row(r: &AnyRow) -> Task {
    Task {
        id: r.get("id"),
        document_id: r.get("document_id"),
        document_number: r.get("document_number"),
        document_title: r.get("document_title"),
        unit_id: r.get("unit_id"),
        unit_name: r.get("unit_name"),
        issuing_unit_id: r.get("issuing_unit_id"),
        ordinal: r.get("ordinal"),
        summary: r.get("summary"),
        deadline: r.get("deadline_text"),
        due_date: r.get::<Option<String>, _>("due_date").as_deref().and_then(parse_iso),
        targets: r
            .get::<String, _>("targets")
            .lines()
            .map(str::to_string)
            .filter(|l| !l.is_empty())
            .collect(),
        status: TaskStatus::parse(&r.get::<String, _>("status")).unwrap_or(TaskStatus::Open),
        latest_percent: r.get("latest_percent"),
        coordinating: Vec::new(),
        created_at: r.get("created_at"),
        recurring: r.get::<i64, _>("recurring") != 0,
        cancel_reason: r.get("cancel_reason"),
        copied_from: r.get("copied_from"),
        indicator: indicator_of(
            r.get::<Option<String>, _>("indicator").as_deref(),
            r.get("indicator_year"),
            r.get("indicator_target"),
        ),
    }
}

fn indicator_of(code: Option<&str>, year: Option<i64>, target: Option<i64>) -> Option<TaskIndicator> {
    Some(TaskIndicator {
        kind: IndicatorKind::parse(code?)?,
        year: i32::try_from(year?).ok()?,
        target_percent: u32::try_from(target?).ok()?,
    })
}

pub(super) fn check_indicator(i: &Option<TaskIndicator>, n: &str) -> Result<(), StoreError> {
    if let Some(i) = i {
        if !(2000..=2100).contains(&i.year) {
            return Err(StoreError::Invalid(format!(
                "{n}: năm đo chỉ số {} không hợp lý.",
                i.year
            )));
        }
        if i.target_percent > 100 {
            return Err(StoreError::Invalid(format!(
                "{n}: chỉ tiêu {}% không hợp lệ: ghi từ 0 đến 100.",
                i.target_percent
            )));
        }
    }
    Ok(())
}

/// Overdue first (most overdue first), then by due date (undated last), then by id.
fn urgency_order(tasks: &mut [Task], today: Date) {
    tasks.sort_by(|a, b| {
        let key = |t: &Task| {
            let rank = if t.is_overdue(today) {
                0
            } else if t.status == TaskStatus::Open {
                1
            } else {
                2
            };
            (rank, t.due_date.is_none(), t.due_date, t.id)
        };
        key(a).cmp(&key(b))
    });
}

impl Scoped<'_> {
    pub(super) async fn coordinating_of(&self, tasks: &mut [Task]) -> Result<(), StoreError> {
        for t in tasks.iter_mut() {
            let rows = sqlx::query(
                "SELECT u.unit_id, o.name FROM task_unit u JOIN org_unit o ON o.id = u.unit_id WHERE u.task_id = $1 ORDER BY o.sort_key, o.id",
            )
            .bind(t.id)
            .fetch_all(&self.store.pool)
            .await?;
            t.coordinating = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        }
        Ok(())
    }

    /// Creates the confirmed tasks of a document in scope, all in one transaction (none when any
    /// is refused). A document's tasks are confirmed once; later changes go through the tasks.
    pub async fn create_tasks_from_review(
        &self,
        document_id: i64,
        reviewed: Vec<ReviewedTask>,
    ) -> Result<Vec<Task>, StoreError> {
        self.require(Permission::Write)?;
        let doc = self.document(document_id).await?;
        if reviewed.is_empty() {
            return Err(StoreError::Invalid(
                "Hãy giữ lại ít nhất một nhiệm vụ trước khi xác nhận.".into(),
            ));
        }
        struct Clean {
            ordinal: String,
            summary: String,
            lead: i64,
            coordinating: Vec<i64>,
            deadline: Option<String>,
            due: Option<Date>,
            targets: Vec<String>,
            province: String,
            recurring: bool,
            indicator: Option<TaskIndicator>,
        }
        let mut cleaned = Vec::with_capacity(reviewed.len());
        for (i, r) in reviewed.iter().enumerate() {
            let n = i + 1;
            let summary = super::clean(Some(&r.summary))
                .ok_or_else(|| StoreError::Invalid(format!("Nhiệm vụ thứ {n}: nội dung không được để trống.")))?;
            if summary.chars().count() > super::TASK_TEXT_MAX_CHARS {
                return Err(super::task_text_too_long(&format!("Nhiệm vụ thứ {n}: ")));
            }
            let province = self.unit_province(r.lead_unit_id).await.map_err(|e| match e {
                StoreError::Forbidden(_) | StoreError::NotFound(_) => StoreError::Invalid(format!(
                    "Nhiệm vụ thứ {n}: đơn vị chủ trì không có hoặc nằm ngoài phạm vi quản lý của bạn."
                )),
                other => other,
            })?;
            let mut coordinating = Vec::new();
            for &u in &r.coordinating_unit_ids {
                if u == r.lead_unit_id || coordinating.contains(&u) {
                    continue;
                }
                if !self.unit_in_scope(u).await? {
                    return Err(StoreError::Invalid(format!(
                        "Nhiệm vụ thứ {n}: đơn vị phối hợp số {u} nằm ngoài phạm vi quản lý của bạn."
                    )));
                }
                coordinating.push(u);
            }
            let deadline = super::clean(r.deadline.as_deref());
            let due = r.due_date.or_else(|| deadline.as_deref().and_then(due_date_of));
            if let Some(d) = due {
                if !(2000..=2100).contains(&d.year()) {
                    return Err(StoreError::Invalid(format!(
                        "Nhiệm vụ thứ {n}: hạn {} không hợp lý.",
                        vi_date(d)
                    )));
                }
            }
            if deadline.is_some() && due.is_none() {
                return Err(StoreError::Invalid(format!(
                    "Nhiệm vụ thứ {n}: không xác định được ngày hết hạn từ \"{}\"; hãy ghi ngày hết hạn (NN/TT/NNNN).",
                    deadline.unwrap_or_default()
                )));
            }
            check_indicator(&r.indicator, &format!("Nhiệm vụ thứ {n}"))?;
            cleaned.push(Clean {
                ordinal: super::clean(Some(&r.ordinal)).unwrap_or_else(|| n.to_string()),
                summary,
                lead: r.lead_unit_id,
                coordinating,
                deadline,
                due,
                targets: r.targets.iter().filter_map(|t| super::clean(Some(t))).collect(),
                province,
                recurring: r.recurring,
                indicator: r.indicator,
            });
        }
        let mut w = self.begin_write(Permission::Write).await?;
        let existing: i64 = sqlx::query("SELECT count(*) FROM task WHERE document_id = $1")
            .bind(document_id)
            .fetch_one(&mut *w.tx)
            .await?
            .get(0);
        if existing > 0 {
            return Err(StoreError::Conflict(
                "Các nhiệm vụ của văn bản này đã được xác nhận trước đó; không tạo lại.".into(),
            ));
        }
        let now = crate::now_text();
        let mut ids = Vec::new();
        for c in &cleaned {
            let id: i64 = sqlx::query(
                "INSERT INTO task (document_id, unit_id, issuing_unit_id, province_code, ordinal, summary, deadline_text, \
                 due_date, targets, status, created_at, updated_at, recurring, indicator, indicator_year, indicator_target) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $10, $11, $12, $13, $14) RETURNING id",
            )
            .bind(document_id)
            .bind(c.lead)
            .bind(doc.unit_id)
            .bind(c.province.clone())
            .bind(c.ordinal.clone())
            .bind(c.summary.clone())
            .bind(c.deadline.clone())
            .bind(c.due.map(iso))
            .bind(c.targets.join("\n"))
            .bind(now.clone())
            .bind(i64::from(c.recurring))
            .bind(c.indicator.map(|i| i.kind.code()))
            .bind(c.indicator.map(|i| i64::from(i.year)))
            .bind(c.indicator.map(|i| i64::from(i.target_percent)))
            .fetch_one(&mut *w.tx)
            .await?
            .get(0);
            for u in &c.coordinating {
                sqlx::query("INSERT INTO task_unit (task_id, unit_id) VALUES ($1, $2)")
                    .bind(id)
                    .bind(*u)
                    .execute(&mut *w.tx)
                    .await?;
            }
            let after = serde_json::json!({
                "document_id": document_id, "ordinal": c.ordinal, "summary": c.summary, "lead_unit_id": c.lead,
                "coordinating_unit_ids": c.coordinating, "deadline": c.deadline, "due_date": c.due.map(iso),
                "targets": c.targets, "recurring": c.recurring, "indicator": c.indicator,
            });
            w.audit("create", "task", &id.to_string(), Some(c.lead), None, Some(&after))
                .await?;
            ids.push(id);
        }
        sqlx::query("UPDATE document SET status = 'assigned' WHERE id = $1")
            .bind(document_id)
            .execute(&mut *w.tx)
            .await?;
        // The tasks become searchable with their document.
        w.reindex_document(document_id).await?;
        w.audit(
            "assign",
            "document",
            &document_id.to_string(),
            Some(doc.unit_id),
            Some(&serde_json::json!({"status": doc.status.as_str()})),
            Some(&serde_json::json!({"status": "assigned", "tasks": ids})),
        )
        .await?;
        w.commit().await?;
        let mut out = Vec::new();
        for id in ids {
            out.push(self.task(id).await?);
        }
        Ok(out)
    }

    /// One task visible to the actor (lead, coordinating or registering unit in scope).
    pub async fn task(&self, id: i64) -> Result<Task, StoreError> {
        self.require(Permission::Read)?;
        let row = sqlx::query(&format!(
            "SELECT {TASK_COLUMNS} {TASK_FROM} WHERE t.id = $2 AND (t.unit_id IN ({SCOPE_UNITS}) \
             OR d.unit_id IN ({SCOPE_UNITS}) \
             OR EXISTS (SELECT 1 FROM task_unit u WHERE u.task_id = t.id AND u.unit_id IN ({SCOPE_UNITS})))"
        ))
        .bind(self.actor.unit_id)
        .bind(id)
        .fetch_optional(&self.store.pool)
        .await?
        .ok_or_else(|| {
            StoreError::NotFound(format!(
                "Không tìm thấy nhiệm vụ số {id} trong phạm vi quản lý của bạn."
            ))
        })?;
        let mut t = [task_row(&row)];
        self.coordinating_of(&mut t).await?;
        let [t] = t;
        Ok(t)
    }

    /// Tasks led by units in scope: overdue first (as of `today`), then open by due date, then
    /// the finished ones.
    pub async fn tasks_for_unit(&self, today: Date) -> Result<Vec<Task>, StoreError> {
        self.require(Permission::Read)?;
        let rows = sqlx::query(&format!(
            "SELECT {TASK_COLUMNS} {TASK_FROM} WHERE t.unit_id IN ({SCOPE_UNITS}) ORDER BY t.id DESC LIMIT 2000"
        ))
        .bind(self.actor.unit_id)
        .fetch_all(&self.store.pool)
        .await?;
        let mut tasks: Vec<Task> = rows.iter().map(task_row).collect();
        urgency_order(&mut tasks, today);
        self.coordinating_of(&mut tasks).await?;
        Ok(tasks)
    }

    async fn open_tasks_between(&self, from: Option<Date>, to: Date, strict: bool) -> Result<Vec<Task>, StoreError> {
        self.require(Permission::Read)?;
        let op = if strict { "<" } else { "<=" };
        let args = [
            Arg::I(self.actor.unit_id),
            Arg::S(from.map(iso).unwrap_or_default()),
            Arg::S(iso(to)),
        ];
        let sql = format!(
            "SELECT {TASK_COLUMNS} {TASK_FROM} WHERE t.unit_id IN ({SCOPE_UNITS}) AND t.status = 'open' \
             AND t.due_date IS NOT NULL AND t.due_date >= $2 AND t.due_date {op} $3 ORDER BY t.due_date, t.id LIMIT 2000"
        );
        let rows = super::bind_all(sqlx::query(&sql), &args)
            .fetch_all(&self.store.pool)
            .await?;
        let mut tasks: Vec<Task> = rows.iter().map(task_row).collect();
        self.coordinating_of(&mut tasks).await?;
        Ok(tasks)
    }

    /// Open tasks led in scope whose due date passed before `today`, most overdue first.
    pub async fn overdue(&self, today: Date) -> Result<Vec<Task>, StoreError> {
        self.open_tasks_between(None, today, true).await
    }

    /// Open tasks led in scope due from `today` to `today + days` inclusive, soonest first.
    pub async fn due_soon(&self, today: Date, days: i64) -> Result<Vec<Task>, StoreError> {
        self.open_tasks_between(
            Some(today),
            phongthu_domain::dates::add_days(today, days.clamp(0, 3660)),
            false,
        )
        .await
    }

    /// Posts a progress report on a task whose lead or coordinating unit is in scope. A report
    /// of 100% by the lead (or by the unit that assigned the task) marks the task done (and the
    /// document done when no task is left open); a coordinating unit's report is recorded as its
    /// contribution and changes neither the task's status nor its percent.
    pub async fn add_report(&self, task_id: i64, r: NewReport) -> Result<TaskReport, StoreError> {
        self.require(Permission::Write)?;
        let task = self.task(task_id).await?;
        let reporting_unit = if self.unit_in_scope(task.unit_id).await? {
            task.unit_id
        } else {
            let mut found = None;
            for (u, _) in &task.coordinating {
                if self.unit_in_scope(*u).await? {
                    found = Some(*u);
                    break;
                }
            }
            found.ok_or_else(|| {
                StoreError::Forbidden("Chỉ đơn vị chủ trì hoặc phối hợp mới báo cáo tiến độ nhiệm vụ này.".into())
            })?
        };
        if task.status != TaskStatus::Open {
            return Err(StoreError::Conflict(format!(
                "Nhiệm vụ này đã ở trạng thái \"{}\"; không nhận thêm báo cáo.",
                task.status.label_vi()
            )));
        }
        if !(0..=100).contains(&r.percent) {
            return Err(StoreError::Invalid(format!(
                "Tỷ lệ hoàn thành {}% không hợp lệ: ghi từ 0 đến 100.",
                r.percent
            )));
        }
        let body = super::clean(Some(&r.body))
            .ok_or_else(|| StoreError::Invalid("Nội dung báo cáo không được để trống.".into()))?;
        let figures = r.figures.trim().to_string();
        super::check_attachments(&r.attachments)?;
        let mut total_size = 0usize;
        for a in &r.attachments {
            if a.content.len() > REPORT_ATTACHMENT_MAX_BYTES {
                return Err(StoreError::Invalid(format!(
                    "Tệp \"{}\" lớn quá 10 MB; hãy nén hoặc chia nhỏ.",
                    a.file_name
                )));
            }
            total_size += a.content.len();
        }
        if total_size > REPORT_ATTACHMENTS_TOTAL_MAX_BYTES {
            return Err(StoreError::Invalid(
                "Các tệp đính kèm của một báo cáo cộng lại không được quá 20 MB.".into(),
            ));
        }
        if r.reported_on > today_vn() + time::Duration::days(1) {
            return Err(StoreError::Invalid(format!(
                "Ngày báo cáo {} ở tương lai.",
                vi_date(r.reported_on)
            )));
        }
        // Only the lead, or the unit that assigned the task, closes it.
        let may_close = reporting_unit == task.unit_id || self.unit_in_scope(task.issuing_unit_id).await?;
        let province = self.unit_province(reporting_unit).await?;
        let province_of_report = province.clone();
        let now = crate::now_text();
        let mut w = self.begin_write(Permission::Write).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO task_report (task_id, unit_id, province_code, reporter_id, reporter_name, reported_on, percent, body, \
             figures, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(task_id)
        .bind(reporting_unit)
        .bind(province)
        .bind(self.actor.user_id)
        .bind(self.actor.display_name.clone())
        .bind(iso(r.reported_on))
        .bind(r.percent)
        .bind(body.clone())
        .bind(figures.clone())
        .bind(now.clone())
        .fetch_one(&mut *w.tx)
        .await?
        .get(0);
        let mut attachments = Vec::new();
        for a in &r.attachments {
            let sha = hex::encode(Sha256::digest(&a.content));
            if attachments.iter().any(|x: &ReportAttachment| x.sha256 == sha) {
                continue; // the same content once per report
            }
            let att_id: i64 = sqlx::query(
                "INSERT INTO task_report_attachment (report_id, task_id, province_code, file_name, sha256, size, content, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(id)
            .bind(task_id)
            .bind(province_of_report.clone())
            .bind(a.file_name.trim().to_string())
            .bind(sha.clone())
            .bind(a.content.len() as i64)
            .bind(a.content.clone())
            .bind(now.clone())
            .fetch_one(&mut *w.tx)
            .await?
            .get(0);
            attachments.push(ReportAttachment {
                id: att_id,
                report_id: id,
                task_id,
                file_name: a.file_name.trim().to_string(),
                sha256: sha,
                size: a.content.len() as i64,
            });
        }
        let report = TaskReport {
            id,
            task_id,
            unit_id: reporting_unit,
            reporter_name: self.actor.display_name.clone(),
            reported_on: r.reported_on,
            percent: r.percent,
            body,
            figures,
            created_at: now.clone(),
            attachments,
        };
        w.audit(
            "create",
            "task_report",
            &id.to_string(),
            Some(reporting_unit),
            None,
            Some(&serde_json::to_value(&report).unwrap_or_default()),
        )
        .await?;
        if r.percent == 100 && may_close {
            sqlx::query("UPDATE task SET status = 'done', updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(task_id)
                .execute(&mut *w.tx)
                .await?;
            w.audit(
                "update",
                "task",
                &task_id.to_string(),
                Some(task.unit_id),
                Some(&serde_json::json!({"status": "open"})),
                Some(&serde_json::json!({"status": "done"})),
            )
            .await?;
            let open: i64 = sqlx::query("SELECT count(*) FROM task WHERE document_id = $1 AND status = 'open'")
                .bind(task.document_id)
                .fetch_one(&mut *w.tx)
                .await?
                .get(0);
            if open == 0 {
                sqlx::query("UPDATE document SET status = $1 WHERE id = $2")
                    .bind(DocumentStatus::Done.as_str())
                    .bind(task.document_id)
                    .execute(&mut *w.tx)
                    .await?;
                w.audit(
                    "update",
                    "document",
                    &task.document_id.to_string(),
                    Some(task.issuing_unit_id),
                    Some(&serde_json::json!({"status": "assigned"})),
                    Some(&serde_json::json!({"status": "done"})),
                )
                .await?;
            }
        }
        w.commit().await?;
        Ok(report)
    }

    /// The reports of a visible task, newest first.
    pub async fn reports(&self, task_id: i64) -> Result<Vec<TaskReport>, StoreError> {
        self.task(task_id).await?;
        let rows = sqlx::query(
            "SELECT id, task_id, unit_id, reporter_name, reported_on, percent, body, figures, created_at FROM task_report \
             WHERE task_id = $1 ORDER BY reported_on DESC, id DESC",
        )
        .bind(task_id)
        .fetch_all(&self.store.pool)
        .await?;
        let atts = self.report_attachments(task_id).await?;
        Ok(rows
            .iter()
            .map(|r| TaskReport {
                attachments: atts
                    .iter()
                    .filter(|a| a.report_id == r.get::<i64, _>(0))
                    .cloned()
                    .collect(),
                id: r.get(0),
                task_id: r.get(1),
                unit_id: r.get(2),
                reporter_name: r.get(3),
                reported_on: parse_iso(&r.get::<String, _>(4)).unwrap_or(Date::MIN),
                percent: r.get(5),
                body: r.get(6),
                figures: r.get(7),
                created_at: r.get(8),
            })
            .collect())
    }

    /// The execution of a document's tasks (document in scope): per task its lead unit, latest
    /// percent, status, overdue flag and number of reports; and the counts.
    pub async fn rollup(&self, document_id: i64, today: Date) -> Result<Rollup, StoreError> {
        self.document(document_id).await?;
        let rows = sqlx::query(&format!(
            "SELECT {TASK_COLUMNS}, (SELECT count(*) FROM task_report r WHERE r.task_id = t.id) AS n_reports, \
             (SELECT max(r.reported_on) FROM task_report r WHERE r.task_id = t.id) AS last_report \
             {TASK_FROM} WHERE t.document_id = $1 ORDER BY t.id"
        ))
        .bind(document_id)
        .fetch_all(&self.store.pool)
        .await?;
        let mut tasks: Vec<Task> = rows.iter().map(task_row).collect();
        self.coordinating_of(&mut tasks).await?;
        let mut out = Rollup {
            document_id,
            rows: Vec::new(),
            total: 0,
            done: 0,
            open: 0,
            cancelled: 0,
            overdue: 0,
            average_percent: 0,
        };
        let mut sum = 0i64;
        let mut counted = 0i64;
        for (t, r) in tasks.into_iter().zip(rows.iter()) {
            out.total += 1;
            match t.status {
                TaskStatus::Open => out.open += 1,
                TaskStatus::Done => out.done += 1,
                TaskStatus::Cancelled => out.cancelled += 1,
            }
            let overdue = t.is_overdue(today);
            if overdue {
                out.overdue += 1;
            }
            if t.status != TaskStatus::Cancelled {
                counted += 1;
                sum += if t.status == TaskStatus::Done {
                    100
                } else {
                    t.latest_percent.unwrap_or(0)
                };
            }
            let measured = match t.indicator {
                Some(i) if t.status != TaskStatus::Cancelled => Some(self.measure_task(&t, i).await?),
                _ => None,
            };
            out.rows.push(RollupRow {
                measured,
                overdue,
                reports: r.get("n_reports"),
                last_reported_on: r.get::<Option<String>, _>("last_report").as_deref().and_then(parse_iso),
                task: t,
            });
        }
        out.average_percent = if counted > 0 { sum / counted } else { 0 };
        Ok(out)
    }

    /// The tasks of a document in scope, in their order.
    pub async fn document_tasks(&self, document_id: i64) -> Result<Vec<Task>, StoreError> {
        Ok(self
            .rollup(document_id, today_vn())
            .await?
            .rows
            .into_iter()
            .map(|r| r.task)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn deadlines_denote_their_last_day() {
        assert_eq!(due_date_of("2025"), Some(date!(2025 - 12 - 31)));
        assert_eq!(due_date_of("2025-06"), Some(date!(2025 - 06 - 30)));
        assert_eq!(due_date_of("2024-02"), Some(date!(2024 - 02 - 29)));
        assert_eq!(due_date_of("2025-06-15"), Some(date!(2025 - 06 - 15)));
        assert_eq!(due_date_of("15/06/2025"), Some(date!(2025 - 06 - 15)));
        assert_eq!(due_date_of("6/2025"), Some(date!(2025 - 06 - 30)));
        assert_eq!(due_date_of("tháng 12/2025"), Some(date!(2025 - 12 - 31)));
        assert_eq!(due_date_of("quý I/2026"), Some(date!(2026 - 03 - 31)));
        assert_eq!(due_date_of("Quý IV năm 2025"), Some(date!(2025 - 12 - 31)));
        assert_eq!(due_date_of("quý II"), None);
        assert_eq!(due_date_of("thường xuyên"), None);
        assert_eq!(due_date_of(""), None);
        assert_eq!(due_date_of("31/02/2025"), None);
    }
}
