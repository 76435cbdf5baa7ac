-- Revocations: (target, issuer) is the key, so only the wallet that granted can revoke and a
-- repeated revocation is a no-op. `auth_sig` keeps the signed revocation (JSON) for audit.
CREATE TABLE IF NOT EXISTS sessionsig_revocations (
    target     TEXT NOT NULL,
    issuer     TEXT NOT NULL,
    revoked_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    auth_sig   TEXT,
    PRIMARY KEY (target, issuer)
) WITHOUT ROWID;

-- `uses` counters, one row per counted delegation.
CREATE TABLE IF NOT EXISTS sessionsig_usage_counters (
    counter TEXT PRIMARY KEY NOT NULL,
    used    INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0)
) WITHOUT ROWID;
