-- Processes sharing this file remember "not revoked" answers until the shared revocation
-- epoch (`<database>-revocation-epoch`, see src/revocation_epoch.rs) moves. A revocation that
-- did not announce itself there would be missed by them, so an insert is refused unless the
-- writing connection says it announced it; an older node, which cannot, is refused loudly
-- ("no such function") instead of being silently missed.
CREATE TRIGGER IF NOT EXISTS sessionsig_revocations_announced
BEFORE INSERT ON sessionsig_revocations
WHEN sessionsig_revocation_announced() IS NOT 1
BEGIN
    SELECT RAISE(ABORT, 'revocation not announced in the shared revocation epoch');
END;
