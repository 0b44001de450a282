-- The name-word index of the registry's search (citizens/words.rs): each word of a record's
-- folded name, and its ID numbers after '#', one row each, compared bytewise ("C") so that a
-- prefix is a range of the primary key, as on SQLite. A query word finds its candidates by that
-- range instead of reading every record; the search's own conditions then keep the same records
-- as before. Filled here for the records already there (step IndexNameWords).
CREATE TABLE citizen_word (
    word TEXT COLLATE "C" NOT NULL,
    citizen_id BIGINT NOT NULL,
    PRIMARY KEY (word, citizen_id)
);
