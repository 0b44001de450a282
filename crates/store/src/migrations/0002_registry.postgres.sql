-- PostgreSQL only: sort keys compare bytewise as in SQLite.
ALTER TABLE citizen ALTER COLUMN sort_key TYPE TEXT COLLATE "C";
