-- A version per unit's registry (in practice a commune command's), moved by every change to the
-- records it holds and to their family relations (triggers, one file per backend): the stamp of
-- a stored pool (nvqs_pool.source_stamp, migration 6) is this version, so checking whether a
-- commune's pool is current reads one row instead of counting the commune's records, and a
-- change is seen even within the same second as the last one. Every unit has a row (from here
-- and from a trigger on org_unit); a unit without one has its pools reassessed on every view.
CREATE TABLE registry_version (
    unit_id BIGINT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO registry_version (unit_id, version) SELECT id, 0 FROM org_unit;
