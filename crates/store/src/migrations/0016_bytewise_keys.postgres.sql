-- PostgreSQL only: the citizen keys that imports, duplicate checks and ID searches sort, group or
-- match by prefix compare bytewise, as sort_key does since migration 2 and as SQLite compares
-- all text. Equality is the same under any deterministic collation, so no result changes:
-- * name_folded, birth_date, permanent_commune_code: the duplicate key. Its index is built after
--   every bulk import; under the database's locale collation each comparison goes through the C
--   library's strcoll, under "C" it is a memcmp with abbreviated keys (1.5 s → 1.0 s per million
--   records, issue 3).
-- * national_id: 12 digits; bytewise, the unique index also serves the search's
--   `national_id LIKE '0332%'` prefix match.
-- The data are not rewritten; the two indexes on these columns are rebuilt.
ALTER TABLE citizen
    ALTER COLUMN national_id TYPE TEXT COLLATE "C",
    ALTER COLUMN name_folded TYPE TEXT COLLATE "C",
    ALTER COLUMN birth_date TYPE TEXT COLLATE "C",
    ALTER COLUMN permanent_commune_code TYPE TEXT COLLATE "C";
