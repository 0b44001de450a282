-- Militia strength targets (issue 5). The law brief (§3) finds no legal ratio of militia to
-- population (UNCONFIRMED; planning documents are said to cite about 1.2–1.4 % of the population):
-- the ratio is a LOCAL SETTING of each province, not law, and a commune may have its own target,
-- which takes precedence over the ratio.

-- One ratio per province, in hundredths of a percent of the population (130 = 1.30 %).
CREATE TABLE militia_target_ratio (
    province_code TEXT PRIMARY KEY,
    basis_points BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Per commune command: the population the commune reports (the registry holds only the citizens
-- it registers, not the whole population) and an explicit target; either may be empty.
CREATE TABLE militia_target (
    unit_id BIGINT PRIMARY KEY REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    population BIGINT,
    target BIGINT,
    note TEXT,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- The forces dashboards count open rows per owning command (`unit_id IN (scope)`), per
-- mobilisation unit and per position. Without these partial indexes, PostgreSQL's plan before the
-- tables are analysed (e.g. right after a bulk import, before autovacuum's ANALYZE) combined an
-- index on the column with the unique partial index on reservist_id (or citizen_id) — every open
-- row — once per command, unit or position: 1–2 s per dashboard query on a province of 100,000
-- reservists (docs/PERFORMANCE.md, "Forces dashboards").
CREATE INDEX reserve_assignment_open_scope ON reserve_assignment (unit_id) WHERE ended_on IS NULL;
CREATE INDEX reserve_assignment_open_unit ON reserve_assignment (reserve_unit_id) WHERE ended_on IS NULL;
CREATE INDEX reserve_assignment_open_position ON reserve_assignment (position_id) WHERE ended_on IS NULL;
CREATE INDEX militia_member_active_scope ON militia_member (unit_id) WHERE left_on IS NULL;
