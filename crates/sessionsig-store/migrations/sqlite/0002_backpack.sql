-- The data backpack: object metadata (the bytes are in the blob store under `blob_key`),
-- per-owner used bytes, `max_bytes` traffic counters, and the RFC 9421 replay table.
-- Paths compare byte-wise (BINARY collation), which the folder listing relies on.
CREATE TABLE IF NOT EXISTS sessionsig_backpack_objects (
    owner        TEXT    NOT NULL,
    path         TEXT    NOT NULL,
    size         INTEGER NOT NULL CHECK (size >= 0),
    content_type TEXT    NOT NULL,
    digest       BLOB    NOT NULL CHECK (length(digest) = 32),
    etag         TEXT    NOT NULL,
    modified_ms  INTEGER NOT NULL,
    blob_key     TEXT    NOT NULL UNIQUE,
    PRIMARY KEY (owner, path)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS sessionsig_backpack_usage (
    owner      TEXT PRIMARY KEY NOT NULL,
    used_bytes INTEGER NOT NULL DEFAULT 0 CHECK (used_bytes >= 0)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS sessionsig_backpack_traffic (
    counter TEXT PRIMARY KEY NOT NULL,
    used    INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS sessionsig_backpack_nonces (
    keyid         TEXT    NOT NULL,
    nonce         TEXT    NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    PRIMARY KEY (keyid, nonce)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sessionsig_backpack_nonces_expiry
    ON sessionsig_backpack_nonces (expires_at_ms);
