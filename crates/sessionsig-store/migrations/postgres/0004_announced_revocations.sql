-- Nothing for PostgreSQL: its nodes ask the database on every request (the shared revocation
-- epoch is a SQLite-only, one-host mechanism). The step keeps both dialects' versions equal.
SELECT 1;
