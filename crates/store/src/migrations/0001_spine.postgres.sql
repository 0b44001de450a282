-- PostgreSQL only: make the audit log append-only; sort keys compare bytewise as in SQLite.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
ALTER TABLE admin_unit ALTER COLUMN sort_key TYPE TEXT COLLATE "C";
ALTER TABLE org_unit ALTER COLUMN sort_key TYPE TEXT COLLATE "C";
