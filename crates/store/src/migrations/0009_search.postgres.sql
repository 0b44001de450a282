-- PostgreSQL: the folded number (weight A) and title (weight B) as a tsvector, with the same
-- words as the full-text index (see migration 8), and a GIN index: a search finds the documents
-- whose number or title holds its words in order (`w1:B <-> w2:*B`) without reading the others.
ALTER TABLE document ADD COLUMN head_tsv tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', regexp_replace(number_folded, '[^a-z0-9]+', ' ', 'g')), 'A')
    || setweight(to_tsvector('simple', regexp_replace(title_folded, '[^a-z0-9]+', ' ', 'g')), 'B')) STORED;
CREATE INDEX document_head_tsv ON document USING GIN (head_tsv);
