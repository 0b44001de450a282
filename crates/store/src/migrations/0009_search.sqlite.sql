-- SQLite: full-text index of the folded number and title, one column each (a number or title
-- match needs the words of the query in order in one of them), external content kept in step
-- with `document` by triggers, like document_fts.
CREATE VIRTUAL TABLE document_head_fts USING fts5(number_folded, title_folded, content='document', content_rowid='id',
    tokenize='unicode61', prefix='2 3 4');
INSERT INTO document_head_fts (document_head_fts) VALUES ('rebuild');
CREATE TRIGGER document_head_fts_insert AFTER INSERT ON document BEGIN
    INSERT INTO document_head_fts (rowid, number_folded, title_folded) VALUES (new.id, new.number_folded, new.title_folded);
END;
CREATE TRIGGER document_head_fts_delete AFTER DELETE ON document BEGIN
    INSERT INTO document_head_fts (document_head_fts, rowid, number_folded, title_folded)
        VALUES ('delete', old.id, old.number_folded, old.title_folded);
END;
CREATE TRIGGER document_head_fts_update AFTER UPDATE OF number_folded, title_folded ON document BEGIN
    INSERT INTO document_head_fts (document_head_fts, rowid, number_folded, title_folded)
        VALUES ('delete', old.id, old.number_folded, old.title_folded);
    INSERT INTO document_head_fts (rowid, number_folded, title_folded) VALUES (new.id, new.number_folded, new.title_folded);
END;
