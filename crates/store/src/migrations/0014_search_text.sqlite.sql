-- SQLite: the folded title in code-point order (the column's BINARY collation), so that a search
-- reads the documents whose title starts with the query as a range of this index (the number has
-- document_number_folded since migration 3).
CREATE INDEX document_title_folded ON document (title_folded);
