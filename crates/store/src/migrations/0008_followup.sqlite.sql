-- SQLite: attachments of progress reports, stored by content hash (once per hash per report).
CREATE TABLE task_report_attachment (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id BIGINT NOT NULL REFERENCES task_report (id),
    task_id BIGINT NOT NULL REFERENCES task (id),
    province_code TEXT NOT NULL,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    content BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX task_report_attachment_hash ON task_report_attachment (report_id, sha256);
CREATE INDEX task_report_attachment_task ON task_report_attachment (task_id);
