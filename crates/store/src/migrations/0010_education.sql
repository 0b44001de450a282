-- Defence and security education (giáo dục quốc phòng và an ninh; Luật GDQPAN 30/2013, law brief
-- §5): trainee-category settings per unit, cadres who must be trained, courses, and each person's
-- attendance, result and certificate per course. Large tables carry province_code like the others;
-- every table carries the owning unit_id that scoped reads filter on.

-- Settings of a unit (usually the provincial command), applying to its subtree: the four trainee
-- categories (defaults: domain::militia::education::default_categories) and how long a
-- certificate counts (UNCONFIRMED in law, so a setting; NULL = no expiry). A unit without rows uses
-- the nearest ancestor's, and the defaults when none has any.
CREATE TABLE edu_category (
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    number BIGINT NOT NULL,
    label TEXT NOT NULL,
    description TEXT NOT NULL,
    legal_source TEXT NOT NULL,
    confirmed BIGINT NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (unit_id, number)
);

CREATE TABLE edu_policy (
    unit_id BIGINT NOT NULL PRIMARY KEY REFERENCES org_unit (id),
    validity_months BIGINT,
    updated_at TEXT NOT NULL
);

-- A cadre who must hold a certificate for a category: a citizen of the registry when known
-- (citizen_id), otherwise a record of its own. One person, one record: at most one cadre per
-- citizen and per national ID number.
CREATE TABLE edu_cadre (
    id {{ID}},
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    citizen_id BIGINT REFERENCES citizen (id),
    full_name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    birth_date TEXT,
    national_id TEXT,
    position TEXT NOT NULL,
    agency TEXT NOT NULL,
    category BIGINT NOT NULL,
    note TEXT,
    left_on TEXT,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX edu_cadre_citizen ON edu_cadre (citizen_id) WHERE citizen_id IS NOT NULL;
CREATE UNIQUE INDEX edu_cadre_national_id ON edu_cadre (national_id) WHERE national_id IS NOT NULL;
CREATE INDEX edu_cadre_scope ON edu_cadre (unit_id, sort_key);
CREATE INDEX edu_cadre_province ON edu_cadre (province_code);
CREATE INDEX edu_cadre_name ON edu_cadre (name_folded, birth_date);

-- A course (khóa bồi dưỡng) organised by a unit, taught by a provider (Trường Quân sự tỉnh, Học
-- viện Quốc phòng, ...).
CREATE TABLE edu_course (
    id {{ID}},
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    name TEXT NOT NULL,
    category BIGINT NOT NULL,
    provider TEXT NOT NULL,
    place TEXT,
    start_on TEXT NOT NULL,
    end_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (unit_id, name)
);
CREATE INDEX edu_course_province ON edu_course (province_code);

-- A person on a course: attendance, result, certificate (number and date go together).
CREATE TABLE edu_enrolment (
    course_id BIGINT NOT NULL REFERENCES edu_course (id),
    cadre_id BIGINT NOT NULL REFERENCES edu_cadre (id),
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    attended BIGINT NOT NULL DEFAULT 0,
    result TEXT,
    certificate_number TEXT,
    certificate_date TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (course_id, cadre_id)
);
CREATE INDEX edu_enrolment_cadre ON edu_enrolment (cadre_id);
CREATE INDEX edu_enrolment_province ON edu_enrolment (province_code);
CREATE UNIQUE INDEX edu_enrolment_certificate ON edu_enrolment (course_id, certificate_number)
    WHERE certificate_number IS NOT NULL;
