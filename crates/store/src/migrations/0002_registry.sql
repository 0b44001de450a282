-- phongthu schema, version 2: the military-service registry (citizens, registration events,
-- family relations). Same conventions as 0001: ISO date TEXT, RFC 3339 instants, BIGINT 0/1 flags,
-- province_code on every large table (future Citus distribution key).

-- One row per citizen on the register of a commune military command (unit_id = scope).
CREATE TABLE citizen (
    id {{ID}},
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    national_id TEXT,                   -- 12-digit personal identification number
    legacy_id TEXT,                     -- 9-digit identity card number (CMND), kept apart
    full_name TEXT NOT NULL,            -- NFC, one tone-mark style (text::normalize)
    name_folded TEXT NOT NULL,          -- diacritic-free search key (text::fold)
    sort_key TEXT NOT NULL,             -- given, middle, family in Vietnamese collation
    birth_date TEXT NOT NULL,
    birth_year BIGINT NOT NULL,
    sex TEXT NOT NULL,                  -- male | female
    ethnicity TEXT,
    religion TEXT,
    birth_registration_place TEXT,
    permanent_commune_code TEXT,
    permanent_village TEXT,
    current_commune_code TEXT,
    current_village TEXT,
    education_grade TEXT,               -- "12/12", "9/12", "10/10"
    qualification TEXT,
    studying_level TEXT,                -- general | vocational | college | university | postgraduate
    studying_detail TEXT,               -- school, course
    occupation TEXT,
    workplace TEXT,
    party_member BIGINT NOT NULL DEFAULT 0,
    union_member BIGINT NOT NULL DEFAULT 0,
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX citizen_national_id ON citizen (national_id);
CREATE INDEX citizen_unit_sort ON citizen (unit_id, sort_key);
CREATE INDEX citizen_sort ON citizen (sort_key);
CREATE INDEX citizen_name_folded ON citizen (name_folded);
CREATE INDEX citizen_birth ON citizen (birth_year, sex);
CREATE INDEX citizen_duplicate_key ON citizen (name_folded, birth_date, permanent_commune_code);
CREATE INDEX citizen_legacy_id ON citizen (legacy_id);
CREATE INDEX citizen_province ON citizen (province_code);

-- Registration events (law brief §1.3): first registration (April of the year the man turns 17),
-- supplementary, transfer in/out, temporary absence, removal.
CREATE TABLE registration_event (
    id {{ID}},
    citizen_id BIGINT NOT NULL REFERENCES citizen (id),
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    event_date TEXT NOT NULL,
    note TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX registration_event_citizen ON registration_event (citizen_id, kind);
CREATE INDEX registration_event_unit ON registration_event (unit_id, event_date);

-- Family relations that ground a deferral or exemption (circumstance codes of nvqs-assess.md).
CREATE TABLE family_relation (
    id {{ID}},
    citizen_id BIGINT NOT NULL REFERENCES citizen (id),
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    relation TEXT NOT NULL,             -- "bố", "mẹ", "anh trai", ...
    name TEXT NOT NULL,
    circumstance TEXT,                  -- e.g. child_of_martyr, sibling_in_service
    evidence TEXT,                      -- the document that proves it
    created_at TEXT NOT NULL
);
CREATE INDEX family_relation_citizen ON family_relation (citizen_id);
