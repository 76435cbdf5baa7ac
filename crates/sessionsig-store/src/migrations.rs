//! The schema, as numbered migrations embedded in the binary (the SQL files are in
//! `migrations/`). At open, the store applies in one transaction, under a lock, every migration
//! newer than the highest version recorded in `sessionsig_migrations`.
//!
//! Rules for adding one: never edit a released migration, add the next number; keep each one
//! compatible with the previous release's code (nodes are upgraded one at a time and an older
//! node keeps running against the newer schema).
//!
//! # Why not refinery or `sqlx migrate`
//!
//! The runner is one function per dialect (`migrate` in `sqlite.rs` and `pg.rs`, about 40
//! lines each): under the database's own lock (`BEGIN IMMEDIATE`; a transaction-scoped
//! advisory lock in PostgreSQL, so nodes starting together apply each step once) it applies,
//! in the same transaction, every embedded step newer than the highest version recorded.
//! refinery would record history in a table of its own (`refinery_schema_history`), so every
//! deployed database would need its `sessionsig_migrations` rows carried over, and its
//! `rusqlite` / `postgres` features pin driver release lines; `sqlx migrate` needs sqlx (see
//! the crate docs for why the store uses the synchronous drivers). No speed is at stake:
//! migrations run once per open, never per request.

/// One schema step, in both dialects.
pub(crate) struct Migration {
    /// Strictly increasing from 1.
    pub(crate) version: i32,
    /// What it does (recorded in `sessionsig_migrations`).
    pub(crate) description: &'static str,
    /// The SQLite DDL.
    pub(crate) sqlite: &'static str,
    /// The PostgreSQL DDL.
    pub(crate) postgres: &'static str,
}

/// Every migration, oldest first.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "revocations and usage counters",
        sqlite: include_str!("../migrations/sqlite/0001_init.sql"),
        postgres: include_str!("../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        description: "backpack objects, usage, traffic counters and replay table",
        sqlite: include_str!("../migrations/sqlite/0002_backpack.sql"),
        postgres: include_str!("../migrations/postgres/0002_backpack.sql"),
    },
    Migration {
        version: 3,
        description: "bounded revocations and shared rate limits",
        sqlite: include_str!("../migrations/sqlite/0003_bounded_revocations_shared_limits.sql"),
        postgres: include_str!("../migrations/postgres/0003_bounded_revocations_shared_limits.sql"),
    },
    Migration {
        version: 4,
        description: "SQLite: every revocation is announced in the shared epoch file",
        sqlite: include_str!("../migrations/sqlite/0004_announced_revocations.sql"),
        postgres: include_str!("../migrations/postgres/0004_announced_revocations.sql"),
    },
];

/// The schema version this build creates.
pub const SCHEMA_VERSION: i32 = 4;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_consecutive_from_one() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    }
}
