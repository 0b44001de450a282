-- API tokens get an expiry, a scope and the time of their last use. A token is refused after
-- expires_at; a 'read_only' token only reads (GET). The tokens that existed before this step
-- were all-powerful and never expired: they keep read-write and expire 90 days after the
-- migration ran (the default lifetime of a new token), so automation built on them keeps
-- working while their owners replace them. revoked_at says when a token was revoked.
ALTER TABLE api_token ADD COLUMN expires_at TEXT;
ALTER TABLE api_token ADD COLUMN scope TEXT NOT NULL DEFAULT 'read_write';
ALTER TABLE api_token ADD COLUMN last_used_at TEXT;
ALTER TABLE api_token ADD COLUMN revoked_at TEXT;
CREATE INDEX api_token_user ON api_token (user_id);
-- Accounts are no longer locked after failed logins (the web throttles each account and address
-- with growing delays instead): no account stays locked by the old rule.
UPDATE app_user SET failed_logins = 0, locked_until = NULL;
