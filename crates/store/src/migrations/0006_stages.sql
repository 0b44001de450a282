-- phongthu schema, version 6: each citizen's way through a call-up cycle (issue 3): the cycle's
-- settings (list caps) and timetable, the transitions (append-only; a revert is a new row), the
-- current stage derived from them, health examinations per criterion, list approvals and recorded
-- violations. Large tables carry province_code (future Citus distribution key).

-- List caps as settings of the cycle (defaults from practice; replacement ≤ 2% by TT 148/2018).
ALTER TABLE nvqs_cycle ADD COLUMN exam_ratio DOUBLE PRECISION NOT NULL DEFAULT 4;
ALTER TABLE nvqs_cycle ADD COLUMN reserve_pct DOUBLE PRECISION NOT NULL DEFAULT 5;
ALTER TABLE nvqs_cycle ADD COLUMN replacement_pct DOUBLE PRECISION NOT NULL DEFAULT 2;

CREATE TABLE nvqs_timetable (
    cycle_id BIGINT NOT NULL REFERENCES nvqs_cycle (id),
    step TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    PRIMARY KEY (cycle_id, step)
);

-- Every transition, in order. Never updated or deleted: a revert is a new row naming the row
-- it undoes (reverts_event_id).
CREATE TABLE nvqs_stage_event (
    id {{ID}},
    cycle_id BIGINT NOT NULL REFERENCES nvqs_cycle (id),
    citizen_id BIGINT NOT NULL REFERENCES citizen (id),
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    stage_after TEXT NOT NULL,
    event_date TEXT NOT NULL,
    -- JSON: passed/fit, list, ground, decision number, evidence, replaced citizen, reasons.
    detail TEXT NOT NULL,
    note TEXT,
    reverts_event_id BIGINT,
    actor_id BIGINT,
    created_at TEXT NOT NULL
);
CREATE INDEX nvqs_stage_event_citizen ON nvqs_stage_event (cycle_id, citizen_id, id);
CREATE INDEX nvqs_stage_event_province ON nvqs_stage_event (province_code);

-- The current state of each citizen who has taken a step, derived from the events in force
-- (rewritten after every transition, in the same transaction).
CREATE TABLE nvqs_candidate (
    cycle_id BIGINT NOT NULL REFERENCES nvqs_cycle (id),
    citizen_id BIGINT NOT NULL REFERENCES citizen (id),
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    stage TEXT NOT NULL,
    list TEXT,                          -- official | reserve, once approved
    health_class BIGINT,
    bmi DOUBLE PRECISION,
    ground TEXT,                        -- 41.1.x / 41.2.x of a deferral or exemption decision
    decision_number TEXT,               -- of the call-up, deferral or exemption decision
    decision_date TEXT,
    handed_over_on TEXT,
    replaces_citizen_id BIGINT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (cycle_id, citizen_id)
);
CREATE INDEX nvqs_candidate_unit ON nvqs_candidate (cycle_id, unit_id, stage);
CREATE INDEX nvqs_candidate_province ON nvqs_candidate (province_code);

-- Health examination results (one row per Examine transition).
CREATE TABLE nvqs_exam (
    event_id BIGINT PRIMARY KEY REFERENCES nvqs_stage_event (id),
    cycle_id BIGINT NOT NULL REFERENCES nvqs_cycle (id),
    citizen_id BIGINT NOT NULL REFERENCES citizen (id),
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    exam_date TEXT NOT NULL,
    score_physique BIGINT NOT NULL,
    score_eyes BIGINT NOT NULL,
    score_ent BIGINT NOT NULL,
    score_dental BIGINT NOT NULL,
    score_internal BIGINT NOT NULL,
    score_neuro_psychiatric BIGINT NOT NULL,
    score_surgical BIGINT NOT NULL,
    score_dermatology BIGINT NOT NULL,
    height_cm DOUBLE PRECISION NOT NULL,
    weight_kg DOUBLE PRECISION NOT NULL,
    bmi DOUBLE PRECISION NOT NULL,
    myopia_diopters DOUBLE PRECISION,
    hyperopia BIGINT NOT NULL,
    drug_use BIGINT NOT NULL,
    health_class BIGINT NOT NULL,
    fit BIGINT NOT NULL
);
CREATE INDEX nvqs_exam_citizen ON nvqs_exam (cycle_id, citizen_id);

-- Approval of a commune's list against its cap; approving again replaces the row (audited).
CREATE TABLE nvqs_list_approval (
    cycle_id BIGINT NOT NULL REFERENCES nvqs_cycle (id),
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    list TEXT NOT NULL,                 -- examination | official | reserve
    province_code TEXT NOT NULL,
    count BIGINT NOT NULL,
    cap BIGINT NOT NULL,
    override_reason TEXT,
    approved_by BIGINT,
    approved_at TEXT NOT NULL,
    PRIMARY KEY (cycle_id, unit_id, list)
);

-- Recorded violations (law brief §1.9): the regime and fine range are those in force on the
-- date of the act.
CREATE TABLE nvqs_violation (
    id {{ID}},
    citizen_id BIGINT NOT NULL REFERENCES citizen (id),
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    cycle_id BIGINT REFERENCES nvqs_cycle (id),
    kind TEXT NOT NULL,
    act_date TEXT NOT NULL,
    regime TEXT NOT NULL,
    penalty TEXT NOT NULL,
    fine_min BIGINT,
    fine_max BIGINT,
    note TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX nvqs_violation_unit ON nvqs_violation (unit_id, act_date);
CREATE INDEX nvqs_violation_citizen ON nvqs_violation (citizen_id);

-- Each commune's pool in a cycle as the engine last assessed it, with a stamp of the registry
-- data it was computed from (record count, latest record change, latest family relation): the
-- quota page and the dashboards read these rows, and a commune is reassessed only when its stamp
-- has moved, so a province of a million records is not reassessed on every page view.
CREATE TABLE nvqs_pool (
    cycle_id BIGINT NOT NULL REFERENCES nvqs_cycle (id),
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    citizens BIGINT NOT NULL,
    eligible BIGINT NOT NULL,
    deferred BIGINT NOT NULL,
    exempted BIGINT NOT NULL,
    other BIGINT NOT NULL,
    party_members BIGINT NOT NULL,
    graduates BIGINT NOT NULL,
    grounds TEXT NOT NULL,              -- JSON object: ground code → count
    source_stamp TEXT NOT NULL,
    assessed_at TEXT NOT NULL,
    PRIMARY KEY (cycle_id, unit_id)
);
CREATE INDEX citizen_unit_updated ON citizen (unit_id, updated_at);
CREATE INDEX family_relation_unit_created ON family_relation (unit_id, created_at);
