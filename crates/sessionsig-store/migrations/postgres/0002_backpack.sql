-- The data backpack: object metadata (the bytes are in the blob store under `blob_key`),
-- per-owner used bytes, `max_bytes` traffic counters, and the RFC 9421 replay table.
-- Paths use the "C" collation (byte order), which the folder listing relies on.
CREATE TABLE IF NOT EXISTS sessionsig_backpack_objects (
    owner        text COLLATE "C" NOT NULL,
    path         text COLLATE "C" NOT NULL,
    size         bigint NOT NULL CHECK (size >= 0),
    content_type text   NOT NULL,
    digest       bytea  NOT NULL CHECK (length(digest) = 32),
    etag         text   NOT NULL,
    modified_ms  bigint NOT NULL,
    blob_key     text   NOT NULL UNIQUE,
    PRIMARY KEY (owner, path)
);

CREATE TABLE IF NOT EXISTS sessionsig_backpack_usage (
    owner      text   PRIMARY KEY,
    used_bytes bigint NOT NULL DEFAULT 0 CHECK (used_bytes >= 0)
);

CREATE TABLE IF NOT EXISTS sessionsig_backpack_traffic (
    counter text   PRIMARY KEY,
    used    bigint NOT NULL DEFAULT 0 CHECK (used >= 0)
);

CREATE TABLE IF NOT EXISTS sessionsig_backpack_nonces (
    keyid         text   NOT NULL,
    nonce         text   NOT NULL,
    expires_at_ms bigint NOT NULL,
    PRIMARY KEY (keyid, nonce)
);
CREATE INDEX IF NOT EXISTS sessionsig_backpack_nonces_expiry
    ON sessionsig_backpack_nonces (expires_at_ms);
