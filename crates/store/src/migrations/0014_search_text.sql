-- phongthu schema, version 14 (search_text): bounded search, second step (issue 4).
-- After this file and the dialect files (indexes of numbers, titles and, on PostgreSQL, word
-- beginnings) the migrator runs the one-time Rust step `documents::rebuild_search_texts`
-- (migrate.rs, Step::RebuildSearchTexts): every
-- document's search text is rebuilt from its fields and its tasks that are not cancelled, because
-- documents whose tasks were edited or cancelled before migration 9 kept the old wording in the
-- full-text index until their next task change. SQL alone cannot do it: the text is folded by
-- Rust (phongthu_domain::text::fold), which neither SQLite nor PostgreSQL reproduces. The step
-- runs in this migration's transaction, so the recorded schema version says it ran.
SELECT 1;
