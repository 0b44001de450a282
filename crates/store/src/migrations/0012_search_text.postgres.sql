-- PostgreSQL: the folded number alone as a tsvector (the same words as the full-text index, see
-- migration 8) with a GIN index. A search ranks number matches first; it used to find them
-- through head_tsv's weight-A words, but a GIN index does not store weights, so every document
-- whose title held the query's words was read and rechecked (8,111 rows for "tuyen quan" at
-- 100,000 documents, 30-60 ms). The number's own index holds only numbers.
ALTER TABLE document ADD COLUMN number_tsv tsvector GENERATED ALWAYS AS (
    to_tsvector('simple', regexp_replace(number_folded, '[^a-z0-9]+', ' ', 'g'))) STORED;
CREATE INDEX document_number_tsv ON document USING GIN (number_tsv);
