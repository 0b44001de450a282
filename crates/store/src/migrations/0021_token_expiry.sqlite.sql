UPDATE api_token SET expires_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '+90 days') WHERE expires_at IS NULL;
