-- SQLite: one bump per changed row, a single UPDATE of the unit's row, which the trigger on
-- org_unit has made (one writer at a time, so the rows are never contended). No OR IGNORE: a
-- conflict clause of the statement that fires a trigger would override the trigger's own.
CREATE TRIGGER org_unit_version AFTER INSERT ON org_unit BEGIN
    INSERT INTO registry_version (unit_id, version) SELECT NEW.id, 0
        WHERE NOT EXISTS (SELECT 1 FROM registry_version WHERE unit_id = NEW.id);
END;
CREATE TRIGGER citizen_version_insert AFTER INSERT ON citizen BEGIN
    UPDATE registry_version SET version = version + 1 WHERE unit_id = NEW.unit_id;
END;
CREATE TRIGGER citizen_version_update AFTER UPDATE ON citizen BEGIN
    UPDATE registry_version SET version = version + 1 WHERE unit_id = OLD.unit_id OR unit_id = NEW.unit_id;
END;
CREATE TRIGGER citizen_version_delete AFTER DELETE ON citizen BEGIN
    UPDATE registry_version SET version = version + 1 WHERE unit_id = OLD.unit_id;
END;
CREATE TRIGGER family_relation_version_insert AFTER INSERT ON family_relation BEGIN
    UPDATE registry_version SET version = version + 1 WHERE unit_id = NEW.unit_id;
END;
CREATE TRIGGER family_relation_version_update AFTER UPDATE ON family_relation BEGIN
    UPDATE registry_version SET version = version + 1 WHERE unit_id = OLD.unit_id OR unit_id = NEW.unit_id;
END;
CREATE TRIGGER family_relation_version_delete AFTER DELETE ON family_relation BEGIN
    UPDATE registry_version SET version = version + 1 WHERE unit_id = OLD.unit_id;
END;
