-- PostgreSQL (1): the folded number and title in code-point order (collation "C"), so that a search
-- reads the documents whose number or title starts with the query (ranks 0 and 1) as a range of
-- a b-tree index. They were read through head_tsv before, and a GIN index stores neither weights
-- nor positions: every document whose title held the query's words was read and rechecked
-- (8,111 rows for "tuyen quan" at 100,000 documents, 10-60 ms each time; docs/PERFORMANCE.md).
CREATE INDEX document_number_prefix ON document ((number_folded COLLATE "C"));
CREATE INDEX document_title_prefix ON document ((title_folded COLLATE "C"));

-- PostgreSQL (2): every word of the search text and each word's first 1 to 6 letters as a lexeme of its own,
-- marked "~" ("quan", "q~", "qu~", "qua~", "quan~"; the words cut as in search_tsv, migration 8),
-- with a GIN index: a search looks its last word up as one lexeme ("quan~") instead of the
-- beginning "quan:*", which makes GIN gather every word it begins before intersecting (13-20 ms
-- against 4-5 ms for "huan & luyen & dan & quan" at 100,000 documents; docs/PERFORMANCE.md).
CREATE FUNCTION phongthu_search_prefixes(t text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_to_tsvector(ARRAY(
        SELECT DISTINCT x FROM (
            SELECT w AS x FROM unnest(regexp_split_to_array(left(t, 200000), '[^a-z0-9]+')) w WHERE w <> ''
            UNION ALL
            SELECT left(w, n) || '~' FROM unnest(regexp_split_to_array(left(t, 200000), '[^a-z0-9]+')) w,
                generate_series(1, least(6, length(w))) n WHERE w <> ''
        ) s))
$$;
ALTER TABLE document ADD COLUMN prefix_tsv tsvector GENERATED ALWAYS AS (phongthu_search_prefixes(search_folded)) STORED;
CREATE INDEX document_prefix_tsv ON document USING GIN (prefix_tsv);
