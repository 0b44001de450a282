-- The web's background imports of the citizen register, one row per import started, so that
-- after a crash or a restart the import's page can still tell its user what happened: a row
-- without finished_at is an import whose transaction never committed (the server stopped while
-- it ran), so nothing of it was written. The commit of an import sets finished_at and committed
-- in the import's own transaction; an import that ends without writing sets them afterwards.
CREATE TABLE import_run (
    token TEXT PRIMARY KEY,
    user_id BIGINT REFERENCES app_user (id),
    unit_id BIGINT NOT NULL REFERENCES org_unit (id),
    file_name TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    committed BIGINT NOT NULL DEFAULT 0
);
