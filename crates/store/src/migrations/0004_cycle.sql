-- The annual call-up cycle of a unit (usually a provincial command) and its quota split among
-- commune commands (issue 3). Large tables carry province_code for sharding by province.

CREATE TABLE nvqs_cycle (
    id {{ID}},
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    year BIGINT NOT NULL,
    quota BIGINT NOT NULL,
    reference_date TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (unit_id, year)
);

CREATE TABLE nvqs_quota (
    cycle_id BIGINT NOT NULL REFERENCES nvqs_cycle (id),
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    pool BIGINT NOT NULL,
    proposed BIGINT NOT NULL,
    quota BIGINT NOT NULL,
    -- Why the quota differs from the proposal (required when it does).
    reason TEXT,
    PRIMARY KEY (cycle_id, unit_id)
);
CREATE INDEX nvqs_quota_unit ON nvqs_quota (unit_id);
