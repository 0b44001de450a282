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
