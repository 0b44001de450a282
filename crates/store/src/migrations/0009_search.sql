-- phongthu schema, version 9 (search): bounded search of the register (issue 4). A search that
-- finds thousands of documents no longer ranks them all: the page is cut from the number and
-- title matches, found through an index of numbers and titles (per dialect below), and from the
-- newest other hits, found by walking this index of dates in the order the page shows.
CREATE INDEX document_search_order ON document ((COALESCE(issued_on, '')), id);
