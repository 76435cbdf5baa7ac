-- Revocations: (target, issuer) is the key, so only the wallet that granted can revoke and a
-- repeated revocation is a no-op. `auth_sig` keeps the signed revocation (JSON text, verbatim)
-- for audit.
CREATE TABLE IF NOT EXISTS sessionsig_revocations (
    target     text        NOT NULL,
    issuer     text        NOT NULL,
    revoked_at timestamptz NOT NULL DEFAULT now(),
    auth_sig   text,
    PRIMARY KEY (target, issuer)
);

-- `uses` counters, one row per counted delegation.
CREATE TABLE IF NOT EXISTS sessionsig_usage_counters (
    counter text   PRIMARY KEY,
    used    bigint NOT NULL DEFAULT 0 CHECK (used >= 0)
);
