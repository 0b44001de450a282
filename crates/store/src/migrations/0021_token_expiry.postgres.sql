UPDATE api_token SET expires_at = to_char((now() AT TIME ZONE 'UTC') + interval '90 days', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
WHERE expires_at IS NULL;
