-- Militia and self-defence units, their members and yearly training attendance (issue 5; Luật DQTV
-- 48/2019). Every table carries province_code for sharding by province; members and training also
-- carry the owning command's unit_id so that scoped reads filter on it directly.

CREATE TABLE militia_unit (
    id {{ID}},
    -- The commune command (militia) or agency command (self-defence) the unit belongs to.
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    force_type TEXT NOT NULL,
    kind TEXT NOT NULL,
    echelon TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (unit_id, name)
);
CREATE INDEX militia_unit_province ON militia_unit (province_code);

CREATE TABLE militia_member (
    id {{ID}},
    militia_unit_id BIGINT NOT NULL REFERENCES militia_unit (id),
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    citizen_id BIGINT NOT NULL REFERENCES citizen (id),
    post TEXT,
    volunteer BIGINT NOT NULL DEFAULT 0,
    joined_on TEXT NOT NULL,
    term_years BIGINT NOT NULL,
    extension_months BIGINT NOT NULL DEFAULT 0,
    -- Last day of the term as extended; NULL when not extended.
    extended_until TEXT,
    left_on TEXT,
    created_at TEXT NOT NULL
);
-- One person, one active record (a backstop for the ledger check made before inserting).
CREATE UNIQUE INDEX militia_member_active ON militia_member (citizen_id) WHERE left_on IS NULL;
CREATE INDEX militia_member_unit ON militia_member (militia_unit_id);
CREATE INDEX militia_member_scope ON militia_member (unit_id);
CREATE INDEX militia_member_province ON militia_member (province_code);

CREATE TABLE militia_training (
    member_id BIGINT NOT NULL REFERENCES militia_member (id),
    year BIGINT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    days BIGINT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (member_id, year)
);
CREATE INDEX militia_training_year ON militia_training (unit_id, year);
