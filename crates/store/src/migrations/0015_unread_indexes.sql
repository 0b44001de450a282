-- Indexes that no query reads any more, each one more B-tree to update on every insert and to
-- build again after a bulk import (issue 3, import speed):
-- * citizen_unit_updated and family_relation_unit_created served the pool stamp of migration 6
--   (the latest change per commune); migration 13 replaced that stamp by registry_version.
-- * citizen_province: no query selects citizens by province; scope is by unit. The column stays
--   on every large table as the future distribution key, which needs no index of its own.
-- * citizen_legacy_id: the 9-digit number is searched with LIKE 'digits%' beside the national ID,
--   which a plain B-tree serves on neither backend (SQLite's LIKE is case-insensitive and
--   PostgreSQL's needs text_pattern_ops); no query compares it for equality.
DROP INDEX citizen_unit_updated;
DROP INDEX family_relation_unit_created;
DROP INDEX citizen_province;
DROP INDEX citizen_legacy_id;
