//! Follow-up of confirmed tasks: editing and cancelling them (the issuing unit only), copying the
//! recurring tasks of a year into the next year's plan, the indicators measured from the system's
//! own data, and the files attached to progress reports.

use super::tasks::{
    check_indicator, due_date_of, task_row, CopyReport, MeasuredIndicator, ReportAttachment, Task, TaskEdit,
    TaskIndicator, TaskStatus, TASK_COLUMNS, TASK_FROM,
};
use super::{iso, vi_date};
use crate::error::StoreError;
use crate::scope::{Scoped, SCOPE_UNITS};
use phongthu_domain::auth::Permission;
use phongthu_domain::directive::indicator::{IndicatorKind, Measurement};
use phongthu_domain::directive::recurring::{next_year_date, shift_deadline_text};
use phongthu_domain::militia::{member_shortfall, CommanderPost, ForceType, MilitiaKind, MilitiaMember};
use phongthu_domain::nvqs::Sex;
use sqlx::Row;
use time::{Date, Month};

/// The units of a subtree, bound to the root unit's id as `$1`.
const SUBTREE: &str = "SELECT descendant_id FROM org_closure WHERE ancestor_id = $1";

fn year_bounds(year: i32) -> Result<(Date, Date), StoreError> {
    let bad = || StoreError::Invalid(format!("Năm {year} không hợp lệ."));
    Ok((
        Date::from_calendar_date(year, Month::January, 1).map_err(|_| bad())?,
        Date::from_calendar_date(year, Month::December, 31).map_err(|_| bad())?,
    ))
}

fn task_json(t: &Task) -> serde_json::Value {
    serde_json::json!({
        "summary": t.summary, "lead_unit_id": t.unit_id,
        "coordinating_unit_ids": t.coordinating.iter().map(|c| c.0).collect::<Vec<_>>(),
        "deadline": t.deadline, "due_date": t.due_date.map(iso), "targets": t.targets,
        "recurring": t.recurring, "indicator": t.indicator, "status": t.status.as_str(),
        "cancel_reason": t.cancel_reason,
    })
}

impl Scoped<'_> {
    /// A visible task that the actor's unit issued (the issuing unit is in scope) and may change.
    async fn task_to_change(&self, id: i64) -> Result<Task, StoreError> {
        self.require(Permission::Write)?;
        let t = self.task(id).await?;
        if !self.unit_in_scope(t.issuing_unit_id).await? {
            return Err(StoreError::Forbidden(
                "Chỉ đơn vị đã giao nhiệm vụ mới được sửa hoặc hủy nhiệm vụ này.".into(),
            ));
        }
        if t.status != TaskStatus::Open {
            return Err(StoreError::Conflict(format!(
                "Nhiệm vụ này đã ở trạng thái \"{}\"; không sửa hoặc hủy được nữa.",
                t.status.label_vi()
            )));
        }
        Ok(t)
    }

    /// Changes a confirmed, open task: text, lead and coordinating units, deadline, targets, the
    /// recurring flag and the indicator. Only the issuing unit (or a unit above it) may; the new
    /// units must lie in the actor's scope. Audited with the task before and after.
    pub async fn update_task(&self, id: i64, e: TaskEdit) -> Result<Task, StoreError> {
        let before = self.task_to_change(id).await?;
        let summary = super::clean(Some(&e.summary))
            .ok_or_else(|| StoreError::Invalid("Nội dung nhiệm vụ không được để trống.".into()))?;
        if summary.chars().count() > super::TASK_TEXT_MAX_CHARS {
            return Err(super::task_text_too_long("Nội dung nhiệm vụ: "));
        }
        let province = self.unit_province(e.lead_unit_id).await.map_err(|err| match err {
            StoreError::Forbidden(_) | StoreError::NotFound(_) => {
                StoreError::Invalid("Đơn vị chủ trì không có hoặc nằm ngoài phạm vi quản lý của bạn.".into())
            }
            other => other,
        })?;
        let mut coordinating = Vec::new();
        for &u in &e.coordinating_unit_ids {
            if u == e.lead_unit_id || coordinating.contains(&u) {
                continue;
            }
            if !self.unit_in_scope(u).await? {
                return Err(StoreError::Invalid(format!(
                    "Đơn vị phối hợp số {u} nằm ngoài phạm vi quản lý của bạn."
                )));
            }
            coordinating.push(u);
        }
        let deadline = super::clean(e.deadline.as_deref());
        let due = e.due_date.or_else(|| deadline.as_deref().and_then(due_date_of));
        if deadline.is_some() && due.is_none() {
            return Err(StoreError::Invalid(format!(
                "Không xác định được ngày hết hạn từ \"{}\"; hãy ghi ngày hết hạn (NN/TT/NNNN).",
                deadline.unwrap_or_default()
            )));
        }
        if let Some(d) = due.filter(|d| !(2000..=2100).contains(&d.year())) {
            return Err(StoreError::Invalid(format!("Hạn {} không hợp lý.", vi_date(d))));
        }
        check_indicator(&e.indicator, "Chỉ số đo")?;
        let targets: Vec<String> = e.targets.iter().filter_map(|t| super::clean(Some(t))).collect();
        let mut w = self.begin_write(Permission::Write).await?;
        sqlx::query(
            "UPDATE task SET summary = $1, unit_id = $2, province_code = $3, deadline_text = $4, due_date = $5, \
             targets = $6, recurring = $7, indicator = $8, indicator_year = $9, indicator_target = $10, updated_at = $11 \
             WHERE id = $12 AND status = 'open'",
        )
        .bind(summary.clone())
        .bind(e.lead_unit_id)
        .bind(province)
        .bind(deadline.clone())
        .bind(due.map(iso))
        .bind(targets.join("\n"))
        .bind(i64::from(e.recurring))
        .bind(e.indicator.map(|i| i.kind.code()))
        .bind(e.indicator.map(|i| i64::from(i.year)))
        .bind(e.indicator.map(|i| i64::from(i.target_percent)))
        .bind(crate::now_text())
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        sqlx::query("DELETE FROM task_unit WHERE task_id = $1")
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        for u in &coordinating {
            sqlx::query("INSERT INTO task_unit (task_id, unit_id) VALUES ($1, $2)")
                .bind(id)
                .bind(*u)
                .execute(&mut *w.tx)
                .await?;
        }
        if summary != before.summary {
            // The new wording is found with the document, the old no longer.
            w.reindex_document(before.document_id).await?;
        }
        let after = serde_json::json!({
            "summary": summary, "lead_unit_id": e.lead_unit_id, "coordinating_unit_ids": coordinating,
            "deadline": deadline, "due_date": due.map(iso), "targets": targets, "recurring": e.recurring,
            "indicator": e.indicator, "status": "open", "cancel_reason": null,
        });
        w.audit(
            "update",
            "task",
            &id.to_string(),
            Some(e.lead_unit_id),
            Some(&task_json(&before)),
            Some(&after),
        )
        .await?;
        w.commit().await?;
        self.task(id).await
    }

    /// Cancels an open task with a reason (required). A cancelled task leaves the overdue and
    /// due-soon lists and takes no more reports; the roll-up shows it as cancelled. When no task
    /// of the document is left open and one is done, the document is done.
    pub async fn cancel_task(&self, id: i64, reason: &str) -> Result<Task, StoreError> {
        let before = self.task_to_change(id).await?;
        let reason =
            super::clean(Some(reason)).ok_or_else(|| StoreError::Invalid("Hãy ghi lý do hủy nhiệm vụ.".into()))?;
        if reason.chars().count() > 2000 {
            return Err(StoreError::Invalid("Lý do hủy dài quá 2000 ký tự.".into()));
        }
        let mut w = self.begin_write(Permission::Write).await?;
        let n = sqlx::query(
            "UPDATE task SET status = 'cancelled', cancel_reason = $1, updated_at = $2 WHERE id = $3 AND status = 'open'",
        )
        .bind(reason.clone())
        .bind(crate::now_text())
        .bind(id)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if n != 1 {
            return Err(StoreError::Conflict(
                "Nhiệm vụ vừa được người khác thay đổi; hãy tải lại trang.".into(),
            ));
        }
        w.audit(
            "cancel",
            "task",
            &id.to_string(),
            Some(before.unit_id),
            Some(&serde_json::json!({"status": "open"})),
            Some(&serde_json::json!({"status": "cancelled", "cancel_reason": reason})),
        )
        .await?;
        // A cancelled task's wording is no longer found with its document.
        w.reindex_document(before.document_id).await?;
        let counts = sqlx::query(
            "SELECT sum(CASE WHEN status = 'open' THEN 1 ELSE 0 END), sum(CASE WHEN status = 'done' THEN 1 ELSE 0 END) \
             FROM task WHERE document_id = $1",
        )
        .bind(before.document_id)
        .fetch_one(&mut *w.tx)
        .await?;
        let (open, done): (Option<i64>, Option<i64>) = (counts.get(0), counts.get(1));
        if open.unwrap_or(0) == 0 && done.unwrap_or(0) > 0 {
            sqlx::query("UPDATE document SET status = 'done' WHERE id = $1 AND status <> 'done'")
                .bind(before.document_id)
                .execute(&mut *w.tx)
                .await?;
            w.audit(
                "update",
                "document",
                &before.document_id.to_string(),
                Some(before.issuing_unit_id),
                Some(&serde_json::json!({"status": "assigned"})),
                Some(&serde_json::json!({"status": "done"})),
            )
            .await?;
        }
        w.commit().await?;
        self.task(id).await
    }

    /// Copies the recurring tasks that units in scope issued with a due date in `from_year` into
    /// `from_year + 1`: same document, text, units, targets and indicator (its year moved on),
    /// the deadline moved by one year. A task already copied is left alone, so running it twice
    /// creates nothing the second time; a cancelled task is not copied. One transaction, each new
    /// task audited.
    pub async fn copy_recurring_tasks(&self, from_year: i32) -> Result<CopyReport, StoreError> {
        self.require(Permission::Write)?;
        let (first, last) = year_bounds(from_year)?;
        let to_year = from_year + 1;
        let mut w = self.begin_write(Permission::Write).await?;
        let rows = sqlx::query(&format!(
            "SELECT {TASK_COLUMNS}, t.province_code AS task_province, \
             (SELECT count(*) FROM task c WHERE c.copied_from = t.id) AS copies {TASK_FROM} \
             WHERE t.issuing_unit_id IN ({SCOPE_UNITS}) AND t.recurring = 1 AND t.status <> 'cancelled' \
             AND t.due_date >= $2 AND t.due_date <= $3 ORDER BY t.document_id, t.id"
        ))
        .bind(self.actor.unit_id)
        .bind(iso(first))
        .bind(iso(last))
        .fetch_all(&mut *w.tx)
        .await?;
        let now = crate::now_text();
        let mut created_ids = Vec::new();
        let mut already_copied = 0i64;
        for r in &rows {
            if r.get::<i64, _>("copies") > 0 {
                already_copied += 1;
                continue;
            }
            let t = task_row(r);
            let due = t.due_date.and_then(next_year_date);
            let deadline = t.deadline.as_deref().map(|d| {
                shift_deadline_text(d, from_year, to_year)
                    .filter(|s| due_date_of(s) == due)
                    .or_else(|| due.map(iso))
                    .unwrap_or_else(|| d.to_string())
            });
            let indicator = t.indicator.map(|i| TaskIndicator {
                year: if i.year == from_year { to_year } else { i.year },
                ..i
            });
            let province: String = r.get("task_province");
            let id: i64 = sqlx::query(
                "INSERT INTO task (document_id, unit_id, issuing_unit_id, province_code, ordinal, summary, deadline_text, \
                 due_date, targets, status, created_at, updated_at, recurring, copied_from, indicator, indicator_year, \
                 indicator_target) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $10, 1, $11, $12, $13, $14) \
                 RETURNING id",
            )
            .bind(t.document_id)
            .bind(t.unit_id)
            .bind(t.issuing_unit_id)
            .bind(province)
            .bind(t.ordinal.clone())
            .bind(t.summary.clone())
            .bind(deadline.clone())
            .bind(due.map(iso))
            .bind(t.targets.join("\n"))
            .bind(now.clone())
            .bind(t.id)
            .bind(indicator.map(|i| i.kind.code()))
            .bind(indicator.map(|i| i64::from(i.year)))
            .bind(indicator.map(|i| i64::from(i.target_percent)))
            .fetch_one(&mut *w.tx)
            .await
            .map_err(|e| StoreError::unique_or(e, "Nhiệm vụ này vừa được sao chép; hãy tải lại trang."))?
            .get(0);
            sqlx::query(
                "INSERT INTO task_unit (task_id, unit_id) SELECT $1, unit_id FROM task_unit WHERE task_id = $2",
            )
            .bind(id)
            .bind(t.id)
            .execute(&mut *w.tx)
            .await?;
            sqlx::query("UPDATE document SET status = 'assigned' WHERE id = $1 AND status = 'done'")
                .bind(t.document_id)
                .execute(&mut *w.tx)
                .await?;
            let after = serde_json::json!({
                "copied_from": t.id, "from_year": from_year, "to_year": to_year, "document_id": t.document_id,
                "summary": t.summary, "lead_unit_id": t.unit_id, "deadline": deadline, "due_date": due.map(iso),
                "indicator": indicator,
            });
            w.audit("copy", "task", &id.to_string(), Some(t.unit_id), None, Some(&after))
                .await?;
            created_ids.push(id);
        }
        w.commit().await?;
        let mut created = Vec::with_capacity(created_ids.len());
        for id in created_ids {
            created.push(self.task(id).await?);
        }
        Ok(CopyReport {
            from_year,
            to_year,
            created,
            already_copied,
        })
    }

    /// The indicator of a visible task, measured now over its lead unit's subtree (`None` when
    /// the task has no indicator). Only counts leave the store.
    pub async fn measured_indicator(&self, task_id: i64) -> Result<Option<MeasuredIndicator>, StoreError> {
        let t = self.task(task_id).await?;
        match t.indicator {
            Some(i) => Ok(Some(self.measure_task(&t, i).await?)),
            None => Ok(None),
        }
    }

    /// Measures an indicator over the subtree of the task's lead unit. The caller has checked the
    /// task is visible to the actor.
    pub(super) async fn measure_task(&self, t: &Task, i: TaskIndicator) -> Result<MeasuredIndicator, StoreError> {
        let m = self.measure(i.kind, t.unit_id, i.year).await?;
        Ok(MeasuredIndicator {
            indicator: i,
            measurement: m,
            percent: m.percent(),
            attainment: m.against(i.target_percent),
            description: m.describe_vi(i.kind),
        })
    }

    /// The two counts of an indicator over `unit`'s subtree for `year`. A new indicator kind adds
    /// its arm here.
    async fn measure(&self, kind: IndicatorKind, unit: i64, year: i32) -> Result<Measurement, StoreError> {
        let (first, last) = year_bounds(year)?;
        let pool = &self.store.pool;
        let pair = |r: sqlx::any::AnyRow| -> Measurement {
            let done: Option<i64> = r.get(0);
            let due: Option<i64> = r.get(1);
            Measurement {
                done: done.unwrap_or(0).max(0) as u64,
                due: due.unwrap_or(0).max(0) as u64,
            }
        };
        match kind {
            IndicatorKind::FirstRegistration => {
                // Men who turn 17 in `year` (born in year − 17), filed in the subtree; a man struck
                // off the registry (removal) is neither due nor done. The first registration counts
                // whenever it was made.
                let born_year = year - crate::citizens::FIRST_REGISTRATION_AGE;
                let row = sqlx::query(&format!(
                    "SELECT sum(CASE WHEN EXISTS (SELECT 1 FROM registration_event e WHERE e.citizen_id = c.id \
                     AND e.kind = 'first') THEN 1 ELSE 0 END), count(*) FROM citizen c \
                     WHERE c.unit_id IN ({SUBTREE}) AND c.sex = 'male' AND c.birth_year = $2 \
                     AND NOT EXISTS (SELECT 1 FROM registration_event e WHERE e.citizen_id = c.id AND e.kind = 'removal')"
                ))
                .bind(unit)
                .bind(i64::from(born_year))
                .fetch_one(pool)
                .await?;
                Ok(pair(row))
            }
            IndicatorKind::QuotaSplit => {
                // Commune commands of the subtree, and those with a quota saved in a call-up cycle
                // of `year`.
                let row = sqlx::query(&format!(
                    "SELECT sum(CASE WHEN EXISTS (SELECT 1 FROM nvqs_quota q JOIN nvqs_cycle y ON y.id = q.cycle_id \
                     WHERE q.unit_id = o.id AND y.year = $2) THEN 1 ELSE 0 END), count(*) FROM org_unit o \
                     WHERE o.id IN ({SUBTREE}) AND o.kind = 'commune_command' AND o.active = 1"
                ))
                .bind(unit)
                .bind(i64::from(year))
                .fetch_one(pool)
                .await?;
                Ok(pair(row))
            }
            IndicatorKind::MilitiaTraining => {
                // Members serving at some time in `year`, and those who trained the legal days
                // (the domain's rule for the member's kind and post).
                let rows = sqlx::query(&format!(
                    "SELECT m.id, m.joined_on, m.left_on, m.post, m.volunteer, m.extension_months, mu.force_type, \
                     mu.kind, c.full_name, c.birth_date, c.sex, COALESCE(t.days, 0) AS days FROM militia_member m \
                     JOIN militia_unit mu ON mu.id = m.militia_unit_id JOIN citizen c ON c.id = m.citizen_id \
                     LEFT JOIN militia_training t ON t.member_id = m.id AND t.year = $2 \
                     WHERE m.unit_id IN ({SUBTREE}) AND m.joined_on <= $3 AND (m.left_on IS NULL OR m.left_on >= $4)"
                ))
                .bind(unit)
                .bind(i64::from(year))
                .bind(iso(last))
                .bind(iso(first))
                .fetch_all(pool)
                .await?;
                let mut m = Measurement { done: 0, due: 0 };
                for r in &rows {
                    let Some((member, left_on)) = militia_member_of(r) else {
                        continue;
                    };
                    // The same rule as the militia register: serving at some time in the year.
                    let (end, _) = member.service_end();
                    let end = left_on.map_or(end, |l| l.min(end));
                    if member.start_date > last || end < first {
                        continue;
                    }
                    let days = r.get::<i64, _>("days").max(0) as u32;
                    let s = member_shortfall(&member, year, days);
                    m.due += 1;
                    if s.missing == 0 {
                        m.done += 1;
                    }
                }
                Ok(m)
            }
            IndicatorKind::QuotaHandedOver => {
                // Citizens of the subtree's communes handed over and not returned after the post
                // check in the call-up of `year`, of the quota saved for those communes: the
                // returned recruit does not count, his replacement (handed over) does, once; the
                // same figure as the yearly dashboard.
                let row = sqlx::query(&format!(
                    "SELECT (SELECT count(*) FROM nvqs_candidate n JOIN nvqs_cycle y ON y.id = n.cycle_id \
                     WHERE y.year = $2 AND n.unit_id IN ({SUBTREE}) \
                     AND n.stage IN ('handed_over', 'confirmed')), \
                     (SELECT CAST(sum(q.quota) AS BIGINT) FROM nvqs_quota q JOIN nvqs_cycle y ON y.id = q.cycle_id \
                     WHERE y.year = $2 AND q.unit_id IN ({SUBTREE}))"
                ))
                .bind(unit)
                .bind(i64::from(year))
                .fetch_one(pool)
                .await?;
                Ok(pair(row))
            }
        }
    }

    /// The files of the reports of a visible task.
    pub async fn report_attachments(&self, task_id: i64) -> Result<Vec<ReportAttachment>, StoreError> {
        self.task(task_id).await?;
        let rows = sqlx::query(
            "SELECT id, report_id, task_id, file_name, sha256, size FROM task_report_attachment WHERE task_id = $1 ORDER BY id",
        )
        .bind(task_id)
        .fetch_all(&self.store.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| ReportAttachment {
                id: r.get(0),
                report_id: r.get(1),
                task_id: r.get(2),
                file_name: r.get(3),
                sha256: r.get(4),
                size: r.get(5),
            })
            .collect())
    }

    /// One file of a report of a visible task, with its content.
    pub async fn report_attachment_content(
        &self,
        task_id: i64,
        attachment_id: i64,
    ) -> Result<(ReportAttachment, Vec<u8>), StoreError> {
        self.task(task_id).await?;
        let r = sqlx::query(
            "SELECT id, report_id, task_id, file_name, sha256, size, content FROM task_report_attachment \
             WHERE task_id = $1 AND id = $2",
        )
        .bind(task_id)
        .bind(attachment_id)
        .fetch_optional(&self.store.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound("Không tìm thấy tệp đính kèm này.".into()))?;
        Ok((
            ReportAttachment {
                id: r.get(0),
                report_id: r.get(1),
                task_id: r.get(2),
                file_name: r.get(3),
                sha256: r.get(4),
                size: r.get(5),
            },
            r.get(6),
        ))
    }
}

/// The domain's view of a militia member row, and the day they left (if they did). A row the
/// domain cannot read is skipped; the militia register reports such rows itself.
fn militia_member_of(r: &sqlx::any::AnyRow) -> Option<(MilitiaMember, Option<Date>)> {
    let date = |col: &str| super::parse_iso(&r.get::<String, _>(col));
    let left_on = match r.get::<Option<String>, _>("left_on") {
        Some(s) => Some(super::parse_iso(&s)?),
        None => None,
    };
    let member = MilitiaMember {
        id: r.get::<i64, _>("id").to_string(),
        full_name: r.get("full_name"),
        force: ForceType::parse(&r.get::<String, _>("force_type")).ok()?,
        kind: MilitiaKind::parse(&r.get::<String, _>("kind")).ok()?,
        sex: Sex::parse(&r.get::<String, _>("sex"))?,
        birth_date: date("birth_date")?,
        volunteer: r.get::<i64, _>("volunteer") != 0,
        post: match r.get::<Option<String>, _>("post") {
            Some(p) => Some(CommanderPost::parse(&p).ok()?),
            None => None,
        },
        start_date: date("joined_on")?,
        extension_months: r.get::<i64, _>("extension_months").max(0) as u32,
    };
    Some((member, left_on))
}
