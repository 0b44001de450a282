-- phongthu schema, version 3: the document register (incoming and outgoing documents with the
-- ND 30/2020 elements), the tasks a reviewed directive assigns, and their progress reports.
-- Same conventions as 0001: ISO date TEXT, RFC 3339 instants, province_code on every large table.

-- One row per registered document. unit_id is the registering unit (scope).
CREATE TABLE document (
    id {{ID}},
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    direction TEXT NOT NULL,            -- incoming | outgoing
    kind TEXT NOT NULL,                 -- contract kinds: chi_thi, ke_hoach, thong_bao, ...
    number_symbol TEXT,                 -- normalised "677/TB-VP", "52-NQ/TU"
    number BIGINT,                      -- the number inside number_symbol
    family TEXT,                        -- state | party (numbering family), NULL when unnumbered
    type_code TEXT,                     -- "TB", "KH", "NQ"; NULL for a công văn
    year BIGINT,                        -- year of issue
    issuer TEXT,
    place TEXT,
    issued_on TEXT,
    title TEXT NOT NULL,                -- tên loại và trích yếu nội dung
    signer_name TEXT,
    signer_title TEXT,
    authority TEXT NOT NULL DEFAULT '', -- T/M | KT. | TL. | TUQ. | Q. | '' (signs in own right)
    recipients TEXT,                    -- one recipient per line
    secrecy TEXT NOT NULL DEFAULT 'none',   -- none | mat | toi_mat | tuyet_mat
    urgency TEXT NOT NULL DEFAULT 'none',   -- none | khan | thuong_khan | hoa_toc
    topics TEXT NOT NULL DEFAULT '',    -- ",tuyen_quan,dan_quan_tu_ve," (codes between commas)
    cited TEXT NOT NULL DEFAULT '',     -- cited document numbers, one per line
    body_text TEXT,                     -- the text the reader extracted, if any
    -- Numbering inside the register: incoming documents per unit and calendar year of receipt;
    -- outgoing State documents per unit and year (secret ones in their own series), outgoing
    -- Party documents per unit, type and committee term (secret ones in the same series).
    series TEXT NOT NULL,               -- incoming | state | state_secret | party:<TYPE>
    period TEXT NOT NULL,               -- "2026" or the term, e.g. "2025-2030"
    incoming_number BIGINT,             -- số đến (incoming only)
    received_on TEXT,                   -- ngày đến (incoming only)
    status TEXT NOT NULL DEFAULT 'registered', -- registered | assigned | done
    number_folded TEXT NOT NULL DEFAULT '',
    title_folded TEXT NOT NULL,
    search_folded TEXT NOT NULL,        -- folded number, title, issuer, signer, tasks, body
    created_by BIGINT,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX document_incoming_number ON document (unit_id, period, incoming_number)
    WHERE direction = 'incoming';
CREATE UNIQUE INDEX document_outgoing_number ON document (unit_id, series, period, number)
    WHERE direction = 'outgoing';
CREATE INDEX document_unit_created ON document (unit_id, id);
CREATE INDEX document_number_folded ON document (number_folded);
CREATE INDEX document_year_kind ON document (year, kind);
CREATE INDEX document_province ON document (province_code);

-- The tasks a confirmed review created. unit_id is the lead unit (scope of the assignee).
CREATE TABLE task (
    id {{ID}},
    document_id BIGINT NOT NULL REFERENCES document (id),
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    issuing_unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    ordinal TEXT NOT NULL,
    summary TEXT NOT NULL,
    deadline_text TEXT,                 -- as reviewed: "2025", "2025-06", "2025-06-30", "quý I/2025"
    due_date TEXT,                      -- the last day the deadline denotes
    targets TEXT NOT NULL DEFAULT '',   -- one target per line
    status TEXT NOT NULL DEFAULT 'open',  -- open | done | cancelled
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX task_document ON task (document_id, id);
CREATE INDEX task_unit_due ON task (unit_id, status, due_date);
CREATE INDEX task_province ON task (province_code);

-- Coordinating units of a task (phối hợp).
CREATE TABLE task_unit (
    task_id BIGINT NOT NULL REFERENCES task (id),
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    PRIMARY KEY (task_id, unit_id)
);
CREATE INDEX task_unit_unit ON task_unit (unit_id);

-- Progress reports posted by the assignees.
CREATE TABLE task_report (
    id {{ID}},
    task_id BIGINT NOT NULL REFERENCES task (id),
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    province_code TEXT NOT NULL,
    reporter_id BIGINT,
    reporter_name TEXT NOT NULL,
    reported_on TEXT NOT NULL,
    percent BIGINT NOT NULL,
    body TEXT NOT NULL,
    figures TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX task_report_task ON task_report (task_id, id);
