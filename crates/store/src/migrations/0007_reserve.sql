-- Reserve forces (issue 5; Luật LLDBĐV 53/2019, law brief §4): reservists linked to the citizen
-- registry, mobilisation units with their positions, saved assignments, reserve equipment (PTKT)
-- with units' needs, equipment assignments and readiness checks. Every table carries province_code
-- and the owning command's unit_id, so that scoped reads filter on it directly.

-- One person, one record: a reservist is a citizen of the registry, filed under the citizen's
-- commune command (unit_id).
CREATE TABLE reservist (
    id {{ID}},
    citizen_id BIGINT NOT NULL UNIQUE REFERENCES citizen (id),
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    reserve_class TEXT NOT NULL,
    specialty TEXT NOT NULL,
    military_rank TEXT,
    registered_on TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX reservist_scope ON reservist (unit_id);
CREATE INDEX reservist_province ON reservist (province_code);

-- A mobilisation unit (đơn vị dự bị động viên), attached to a command; it recruits in the communes
-- under (or covered by) that command. spare_percent: the 10–15% spare (dự phòng) on top of full
-- strength (Art. 15), a setting per unit.
CREATE TABLE reserve_unit (
    id {{ID}},
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    name TEXT NOT NULL,
    combat BIGINT NOT NULL,
    spare_percent BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (unit_id, name)
);
CREATE INDEX reserve_unit_province ON reserve_unit (province_code);

CREATE TABLE reserve_position (
    id {{ID}},
    reserve_unit_id BIGINT NOT NULL REFERENCES reserve_unit (id),
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    title TEXT NOT NULL,
    specialty TEXT NOT NULL,
    military_rank TEXT,
    staff_count BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX reserve_position_unit ON reserve_position (reserve_unit_id);
CREATE INDEX reserve_position_scope ON reserve_position (unit_id);

-- Near specialties (gần đúng CNQS): unordered pairs, set per command.
CREATE TABLE reserve_near_pair (
    id {{ID}},
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    specialty_a TEXT NOT NULL,
    specialty_b TEXT NOT NULL,
    UNIQUE (unit_id, specialty_a, specialty_b)
);

-- A reservist in a position: the ledger entry runs from assigned_on to ended_on (open when NULL).
CREATE TABLE reserve_assignment (
    id {{ID}},
    reservist_id BIGINT NOT NULL REFERENCES reservist (id),
    position_id BIGINT NOT NULL REFERENCES reserve_position (id),
    reserve_unit_id BIGINT NOT NULL REFERENCES reserve_unit (id),
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    match_kind TEXT NOT NULL,
    assigned_on TEXT NOT NULL,
    ended_on TEXT,
    assigned_by TEXT NOT NULL,
    assigned_at TEXT NOT NULL
);
-- One active assignment per reservist (a backstop for the ledger check made before inserting).
CREATE UNIQUE INDEX reserve_assignment_active ON reserve_assignment (reservist_id) WHERE ended_on IS NULL;
CREATE INDEX reserve_assignment_unit ON reserve_assignment (reserve_unit_id);
CREATE INDEX reserve_assignment_scope ON reserve_assignment (unit_id);

-- Reserve equipment (phương tiện kỹ thuật dự bị, PTKT), registered at a commune command.
CREATE TABLE reserve_equipment (
    id {{ID}},
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    owner TEXT NOT NULL,
    plate TEXT NOT NULL,
    capacity TEXT,
    condition TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (province_code, plate)
);
CREATE INDEX reserve_equipment_scope ON reserve_equipment (unit_id);

CREATE TABLE equipment_need (
    id {{ID}},
    reserve_unit_id BIGINT NOT NULL REFERENCES reserve_unit (id),
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    need_count BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (reserve_unit_id, kind)
);
CREATE INDEX equipment_need_scope ON equipment_need (unit_id);

CREATE TABLE equipment_assignment (
    id {{ID}},
    equipment_id BIGINT NOT NULL REFERENCES reserve_equipment (id),
    need_id BIGINT NOT NULL REFERENCES equipment_need (id),
    reserve_unit_id BIGINT NOT NULL REFERENCES reserve_unit (id),
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    match_kind TEXT NOT NULL,
    assigned_on TEXT NOT NULL,
    ended_on TEXT,
    assigned_by TEXT NOT NULL,
    assigned_at TEXT NOT NULL
);
CREATE UNIQUE INDEX equipment_assignment_active ON equipment_assignment (equipment_id) WHERE ended_on IS NULL;
CREATE INDEX equipment_assignment_unit ON equipment_assignment (reserve_unit_id);

CREATE TABLE equipment_check (
    id {{ID}},
    equipment_id BIGINT NOT NULL REFERENCES reserve_equipment (id),
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    checked_on TEXT NOT NULL,
    ready BIGINT NOT NULL,
    note TEXT,
    recorded_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX equipment_check_equipment ON equipment_check (equipment_id, checked_on);
