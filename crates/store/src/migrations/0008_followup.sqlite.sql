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

-- Full-text index of the register (issue 4: search under 50 ms at 100,000 documents): FTS5 over
-- the folded search text, kept in step with `document` by triggers (external content). The first
-- 200,000 characters are indexed on both backends (a PostgreSQL tsvector holds at most 1 MB).
CREATE VIRTUAL TABLE document_fts USING fts5(search_folded, content='document', content_rowid='id', tokenize='unicode61',
    prefix='2 3 4');
INSERT INTO document_fts (rowid, search_folded) SELECT id, substr(search_folded, 1, 200000) FROM document;
CREATE TRIGGER document_fts_insert AFTER INSERT ON document BEGIN
    INSERT INTO document_fts (rowid, search_folded) VALUES (new.id, substr(new.search_folded, 1, 200000));
END;
CREATE TRIGGER document_fts_delete AFTER DELETE ON document BEGIN
    INSERT INTO document_fts (document_fts, rowid, search_folded) VALUES ('delete', old.id, substr(old.search_folded, 1, 200000));
END;
CREATE TRIGGER document_fts_update AFTER UPDATE OF search_folded ON document BEGIN
    INSERT INTO document_fts (document_fts, rowid, search_folded) VALUES ('delete', old.id, substr(old.search_folded, 1, 200000));
    INSERT INTO document_fts (rowid, search_folded) VALUES (new.id, substr(new.search_folded, 1, 200000));
END;
