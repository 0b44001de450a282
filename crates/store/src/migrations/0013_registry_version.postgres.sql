-- PostgreSQL: one bump per statement and unit (transition tables), so that a batch insert of
-- a thousand records writes one row per unit, not a thousand. Units are bumped in id order so
-- that two statements never wait for each other's rows in opposite orders. A transaction that
-- changed a unit's records holds that unit's version row until it ends: a second writer to the
-- same unit waits for it (e.g. an edit during an all-or-nothing import into that commune).
CREATE FUNCTION registry_version_new_unit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO registry_version (unit_id, version) VALUES (NEW.id, 0) ON CONFLICT (unit_id) DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER org_unit_version AFTER INSERT ON org_unit
    FOR EACH ROW EXECUTE FUNCTION registry_version_new_unit();
CREATE FUNCTION registry_version_bump_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO registry_version AS v (unit_id, version)
    SELECT unit_id, count(*) FROM new_rows GROUP BY unit_id ORDER BY unit_id
    ON CONFLICT (unit_id) DO UPDATE SET version = v.version + excluded.version;
    RETURN NULL;
END $$;
CREATE FUNCTION registry_version_bump_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO registry_version AS v (unit_id, version)
    SELECT unit_id, count(*) FROM old_rows GROUP BY unit_id ORDER BY unit_id
    ON CONFLICT (unit_id) DO UPDATE SET version = v.version + excluded.version;
    RETURN NULL;
END $$;
CREATE FUNCTION registry_version_bump_both() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO registry_version AS v (unit_id, version)
    SELECT unit_id, count(*) FROM (SELECT unit_id FROM old_rows UNION ALL SELECT unit_id FROM new_rows) t
    GROUP BY unit_id ORDER BY unit_id
    ON CONFLICT (unit_id) DO UPDATE SET version = v.version + excluded.version;
    RETURN NULL;
END $$;
CREATE TRIGGER citizen_version_insert AFTER INSERT ON citizen REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION registry_version_bump_new();
CREATE TRIGGER citizen_version_update AFTER UPDATE ON citizen REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION registry_version_bump_both();
CREATE TRIGGER citizen_version_delete AFTER DELETE ON citizen REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION registry_version_bump_old();
CREATE TRIGGER family_relation_version_insert AFTER INSERT ON family_relation REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION registry_version_bump_new();
CREATE TRIGGER family_relation_version_update AFTER UPDATE ON family_relation REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION registry_version_bump_both();
CREATE TRIGGER family_relation_version_delete AFTER DELETE ON family_relation REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION registry_version_bump_old();
