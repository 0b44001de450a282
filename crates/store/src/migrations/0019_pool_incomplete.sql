-- Citizens of a stored pool whose record lacks a fact a standard needs (the education level):
-- eligible on what is recorded but "needs checking" (thiếu thông tin), counted apart. The stored
-- pools were computed when a blank education level counted as grade 0 (unmet): they are
-- dropped, and every commune's pool is assessed again on its next view.
ALTER TABLE nvqs_pool ADD COLUMN incomplete BIGINT NOT NULL DEFAULT 0;
DELETE FROM nvqs_pool;
