-- PostgreSQL: the folded number and title in code-point order (collation "C"), so that a search
-- reads the documents whose number or title starts with the query (ranks 0 and 1) as a range of
-- a b-tree index. They were read through head_tsv before, and a GIN index stores neither weights
-- nor positions: every document whose title held the query's words was read and rechecked
-- (8,111 rows for "tuyen quan" at 100,000 documents, 10-60 ms each time; docs/PERFORMANCE.md).
CREATE INDEX document_number_prefix ON document ((number_folded COLLATE "C"));
CREATE INDEX document_title_prefix ON document ((title_folded COLLATE "C"));
