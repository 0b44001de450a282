-- The index on name_folded alone duplicates the first column of citizen_duplicate_key
-- (name_folded, birth_date, permanent_commune_code), which serves every equality lookup on the
-- folded name; the name search uses LIKE '% word%', which no B-tree index serves. One index less
-- to update on every insert and to rebuild after a bulk import (issue 3, import speed).
DROP INDEX citizen_name_folded;
