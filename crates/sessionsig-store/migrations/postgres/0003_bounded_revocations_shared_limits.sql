-- Revocations are kept only while what they revoke could still be valid: `keep_until` (Unix
-- seconds; NULL: forever) is set by the node that records one, and rows past it are pruned.
ALTER TABLE sessionsig_revocations ADD COLUMN IF NOT EXISTS keep_until bigint;
CREATE INDEX IF NOT EXISTS sessionsig_revocations_keep_until
    ON sessionsig_revocations (keep_until) WHERE keep_until IS NOT NULL;

-- Rate limits shared by every node on this store: one GCRA schedule per bucket, the
-- "theoretical arrival time" in Unix nanoseconds (see sessionsig_node::rate_limit).
CREATE TABLE IF NOT EXISTS sessionsig_rate_limits (
    bucket text   PRIMARY KEY,
    tat    bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS sessionsig_rate_limits_tat ON sessionsig_rate_limits (tat);
