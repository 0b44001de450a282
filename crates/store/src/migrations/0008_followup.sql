-- phongthu schema, version 8: directive follow-up (issue 4) — editing and cancelling confirmed
-- tasks, recurring tasks copied into the next year's plan, indicators measured from the
-- system's own data, and attachments on progress reports.

-- Why a task was cancelled (required when status = 'cancelled').
ALTER TABLE task ADD COLUMN cancel_reason TEXT;
-- 1 when the task comes back every year (annual plan).
ALTER TABLE task ADD COLUMN recurring BIGINT NOT NULL DEFAULT 0;
-- The task of the previous year this one was copied from (at most one copy per task).
ALTER TABLE task ADD COLUMN copied_from BIGINT REFERENCES task (id);
-- Indicator measured over the lead unit's subtree: kind code (domain IndicatorKind), the year it
-- is measured for, and the target percent.
ALTER TABLE task ADD COLUMN indicator TEXT;
ALTER TABLE task ADD COLUMN indicator_year BIGINT;
ALTER TABLE task ADD COLUMN indicator_target BIGINT;
CREATE UNIQUE INDEX task_copied_from ON task (copied_from) WHERE copied_from IS NOT NULL;
CREATE INDEX task_due_year ON task (due_date);
