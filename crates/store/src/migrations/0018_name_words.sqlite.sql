-- The name-word index of the registry's search (citizens/words.rs): each word of a record's
-- folded name, and its ID numbers after '#', one row each. A query word finds its candidates by
-- a range of this key instead of reading every record; the search's own conditions then keep
-- the same records as before. Filled here for the records already there (step IndexNameWords).
CREATE TABLE citizen_word (
    word TEXT NOT NULL,
    citizen_id BIGINT NOT NULL,
    PRIMARY KEY (word, citizen_id)
) WITHOUT ROWID;
