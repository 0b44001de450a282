-- SQLite: attachments stored by content hash (once per hash per document).
CREATE TABLE document_attachment (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id BIGINT NOT NULL REFERENCES document (id),
    province_code TEXT NOT NULL,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    content BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX document_attachment_hash ON document_attachment (document_id, sha256);
