-- PostgreSQL only: cadre sort keys compare bytewise as in SQLite.
ALTER TABLE edu_cadre ALTER COLUMN sort_key TYPE TEXT COLLATE "C";
