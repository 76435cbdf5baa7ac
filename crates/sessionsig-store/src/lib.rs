//! SQLite and PostgreSQL stores for the `sessionsig` verifier: revocations and `uses`
//! counters, shared by every node that points at the same database — and the data backpack's
//! metadata, traffic counters and replay table ([`backpack`]).
//!
//! ```no_run
//! use sessionsig::time::SystemClock;
//! use sessionsig::verify::{Policy, Verifier};
//! use sessionsig_store::SqlStore;
//!
//! # fn main() -> sessionsig::Result<()> {
//! // One node on the local disk …
//! let store = SqlStore::open("sqlite://sessionsig.db")?;
//! // … or many nodes sharing PostgreSQL:
//! // let store = SqlStore::open("postgres://sessionsig@db.internal/sessionsig")?;
//! let verifier = store.attach(Verifier::new("https://node1.example:7470", Policy::default(), SystemClock)?);
//! # let _ = verifier; Ok(()) }
//! ```
//!
//! [`SqlStore`] implements the core's [`RevocationStore`] and [`UsageStore`]. A revocation
//! recorded through node A is refused by node B on its next verification. On PostgreSQL every
//! verification asks the database once ([`RevocationStore::first_revoked`] is one query); on
//! SQLite a process remembers "none of these is revoked" for a SessionSig's list and asks
//! again only when the shared revocation epoch moved — a 32-byte file beside the database
//! (`<database>-revocation-epoch`) that every revocation bumps before and after its commit, so
//! every process on the host sees it at its next check (one `pread`, no lock; the protocol and
//! why it is safe, also when a writer dies, are in `revocation_epoch.rs`). A revocation
//! inserted without that announcement (by a node older than the epoch) is refused by a
//! trigger rather than missed. `uses` counters are charged once per request
//! ([`UsageStore::try_consume`] is one transaction), never from memory.
//!
//! # URLs
//!
//! * `sqlite://<path>` (or `sqlite:<path>`): a file, created if missing; `sqlite:///abs/path`
//!   for an absolute path. No query parameters.
//! * `sqlite::memory:`: a private in-memory database (tests).
//! * `postgres://…` / `postgresql://…`: any libpq-style URL the `postgres` driver accepts
//!   (without TLS, see *Limitations*). [`OpenOptions::postgres_schema`] keeps the tables in a
//!   schema of their own (created if missing).
//!
//! # Why synchronous drivers
//!
//! The verifier's store traits are synchronous: the verifier is pure CPU work and a node calls
//! it from `tokio::task::spawn_blocking` or from plain threads. So this crate uses the
//! synchronous drivers `rusqlite` (SQLite compiled in, `bundled`) and `postgres`, with a small
//! blocking pool of its own, rather than `sqlx`: with `sqlx` every call would cross into a
//! private tokio runtime and `block_on` there (and `block_on` panics when called from async
//! code by mistake), its SQLite driver already runs each connection on a thread of its own, and
//! its embedded migrations need its proc-macro crate. Here a call runs on the caller's thread
//! and the dependency tree is smaller. Async code can use [`SqlStore::run_blocking`]. The one
//! exception is the revocation check of a warm request, which a node makes on every request:
//! [`SqlStore::first_revoked_async`] sends it through `tokio-postgres` (the async driver under
//! `postgres`) on the caller's runtime, because the hand-off to a blocking thread cost more
//! than the query (figures in `pg_async.rs`).
//!
//! # Async code
//!
//! Open and call the store off the async worker threads ([`SqlStore::run_blocking`],
//! `tokio::task::spawn_blocking`, or a plain thread): a SQLite call on an async thread only
//! blocks it, but the `postgres` driver runs each call with `block_on` on a private runtime,
//! which panics on a thread that is running a tokio runtime. *Dropping* is safe anywhere: when
//! the last handle of a PostgreSQL store goes inside a tokio runtime (typically a node
//! shutting down), the store closes its connections on a short-lived thread of its own and
//! waits for it (one `Terminate` message per connection, no answer awaited).
//!
//! # Durability: an `Ok` is an acknowledged, durable write
//!
//! * **SQLite** runs in WAL mode with `synchronous = FULL`: a commit returns only after its WAL
//!   frames are written *and fsynced*. So an acknowledged write survives `kill -9` of the node
//!   and also an OS crash or power loss. (For `kill -9` alone, `NORMAL` would do: a WAL commit
//!   that returned has been `write(2)`n into the OS page cache, which outlives the process, and
//!   the next open replays the WAL. It would not survive power loss, so we pay one fsync per
//!   write, which is only on revocations and counted uses, never on plain verifications.)
//! * **PostgreSQL**: each connection sets `synchronous_commit = on`, so the server acknowledges
//!   a `COMMIT` only once it is flushed to its WAL, whatever the server's default. Killing the
//!   node loses nothing the server acknowledged; a write in flight when the node dies is either
//!   wholly committed or wholly rolled back.
//!
//! Both are tested by killing a child process with `SIGKILL` in the middle of a burst of
//! revocations and charges and checking that every write it had reported is there.
//!
//! # Atomicity of `uses`
//!
//! [`UsageStore::try_consume`] charges each counter with one statement,
//! `INSERT … VALUES (counter, 1) ON CONFLICT (counter) DO UPDATE SET used = used + 1 WHERE
//! used < limit`, which creates the row at 1 or adds 1 only while below the limit, and reports
//! 0 rows when the limit is reached; all the charges of a call run in one transaction that is
//! rolled back if any reports 0. PostgreSQL (READ COMMITTED, forced per connection) re-checks
//! the `WHERE` on the newest row version after waiting for a concurrent writer's row lock, so
//! two nodes racing for the last unit get exactly one success; counters are charged in sorted
//! order, so two multi-counter calls cannot deadlock. SQLite takes its write lock up front
//! (`BEGIN IMMEDIATE`; other processes wait up to [`OpenOptions::busy_timeout`]), and the
//! threads of one process queue on the store's single writer connection.
//!
//! # Migrations
//!
//! Embedded in the binary (`migrations/{sqlite,postgres}/*.sql`) and applied at
//! [`SqlStore::open`]: every migration newer than the highest version in
//! `sessionsig_migrations` runs in one transaction, under SQLite's write lock or a PostgreSQL
//! advisory lock, so nodes starting together do not race. This is the `sqlx migrate` model
//! without its dependency; a newer schema than this build knows is accepted (migrations must
//! stay compatible with the previous release).
//!
//! # Tables
//!
//! `sessionsig_revocations (target, issuer, revoked_at, auth_sig, keep_until)`, primary key
//! `(target, issuer)`; `sessionsig_usage_counters (counter, used)`;
//! `sessionsig_rate_limits (bucket, tat)` (rate limits shared by the nodes,
//! [`SqlStore::take_token`]); `sessionsig_migrations`. A revocation recorded with
//! [`SqlStore::record_revocation_until`] is deleted by [`SqlStore::prune_revocations`] once
//! nothing it revokes can be valid any more; it also answers whether the call recorded it
//! first, atomically (an insert-if-absent: SQLite in one `BEGIN IMMEDIATE` transaction,
//! PostgreSQL by `ON CONFLICT DO NOTHING`), so identical concurrent revocations on any nodes
//! sharing the store get exactly one "new".
//! Issuers are stored as lower-case `0x` hex; targets as [`RevocationTarget::id`].
//!
//! The data backpack's metadata (migration 2, see [`backpack`]): `sessionsig_backpack_objects`
//! (one row per object, keyed by `(owner, path)`, naming the blob that holds its bytes),
//! `sessionsig_backpack_usage` (bytes per owner), `sessionsig_backpack_traffic` (`max_bytes`
//! counters) and `sessionsig_backpack_nonces` (the RFC 9421 replay table).
//!
//! # Limitations
//!
//! * PostgreSQL without TLS (`NoTls`): use a private network, a local socket or a TLS proxy.
//! * Prepared statements and session settings live on each connection, so a transaction-mode
//!   connection pooler (PgBouncer `pool_mode = transaction`) in front of PostgreSQL is not
//!   supported; session mode is.
//! * SQLite is for one host: several processes may share the file (tested), not several
//!   machines over a network file system.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backpack;
mod migrations;
mod pg;
mod pg_async;
mod pool;
mod revocation_cache;
mod revocation_epoch;
mod sqlite;

pub use migrations::SCHEMA_VERSION;
pub use sessionsig::verify::{RevocationStore, RevocationTarget, UsageStore, UseCharge};

use alloy_primitives::Address;
use sessionsig::auth_sig::{AuthSig, VerifiedRevocation};
use sessionsig::time::Clock;
use sessionsig::verify::Verifier;
use sessionsig::{Error, Result};
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Which database a [`SqlStore`] uses (for metrics and logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreKind {
    /// A SQLite file or in-memory database.
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

impl StoreKind {
    /// `"sqlite"` or `"postgres"`.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::Sqlite => "sqlite",
            StoreKind::Postgres => "postgres",
        }
    }
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Settings for [`SqlStore::open_with`]; [`SqlStore::open`] uses the defaults.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    max_connections: usize,
    acquire_timeout: Duration,
    busy_timeout: Duration,
    postgres_schema: Option<String>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(30),
            busy_timeout: Duration::from_secs(10),
            postgres_schema: None,
        }
    }
}

impl OpenOptions {
    /// The defaults: 8 connections, 30 s to get one, 10 s SQLite busy timeout, default schema.
    pub fn new() -> Self {
        Self::default()
    }

    /// At most this many connections (PostgreSQL connections, or SQLite reader connections
    /// besides the one writer). At least 1.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// How long a call waits for a free connection before failing with
    /// [`Error::Store`].
    pub fn acquire_timeout(mut self, d: Duration) -> Self {
        self.acquire_timeout = d;
        self
    }

    /// SQLite: how long to wait for another process's write lock before failing.
    pub fn busy_timeout(mut self, d: Duration) -> Self {
        self.busy_timeout = d;
        self
    }

    /// PostgreSQL: keep the tables in this schema (created if missing; `[a-z_][a-z0-9_]*`)
    /// instead of the connection's default search path. Ignored for SQLite.
    pub fn postgres_schema(mut self, schema: impl Into<String>) -> Self {
        self.postgres_schema = Some(schema.into());
        self
    }
}

/// One recorded revocation, for audit (`GET /v1/revocations/{id}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationRecord {
    /// What was revoked.
    pub target: RevocationTarget,
    /// The wallet that revoked it.
    pub issuer: Address,
    /// When the store first recorded it (the database's clock).
    pub revoked_at: OffsetDateTime,
    /// The signed revocation AuthSig as received (JSON), if it was recorded with one.
    pub auth_sig: Option<String>,
}

/// Revocations and `uses` counters in SQLite or PostgreSQL. Cheap to clone (the clones share
/// the connections); `Send + Sync`. The connections close when the last clone is dropped,
/// which may happen in async code (see [*Async code*](crate#async-code)).
#[derive(Clone)]
pub struct SqlStore {
    backend: Arc<Backend>,
}

enum Backend {
    Sqlite(sqlite::Sqlite),
    Postgres(pg::Postgres),
}

impl fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlStore")
            .field("kind", &self.kind())
            .finish_non_exhaustive()
    }
}

/// One normalised charge as the backends run it.
pub(crate) struct ChargeRow<'a> {
    pub(crate) counter: &'a str,
    pub(crate) limit: i64,
    pub(crate) amount: i64,
}

/// One GCRA step as the backends run it (Unix nanoseconds).
pub(crate) struct Gcra<'a> {
    pub(crate) bucket: &'a str,
    pub(crate) now: i64,
    pub(crate) interval: i64,
    pub(crate) tolerance: i64,
}

/// One revocation row as the backends read it.
pub(crate) struct RevocationRow {
    pub(crate) issuer: String,
    /// RFC 3339, UTC.
    pub(crate) revoked_at: String,
    pub(crate) auth_sig: Option<String>,
}

impl SqlStore {
    /// Open the store at `url` with the default [`OpenOptions`] (see the crate docs for the URL
    /// forms), creating the database file and the tables as needed.
    pub fn open(url: &str) -> Result<SqlStore> {
        Self::open_with(url, &OpenOptions::default())
    }

    /// Open the store at `url` with these options.
    pub fn open_with(url: &str, options: &OpenOptions) -> Result<SqlStore> {
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres(pg::Postgres::open(url, options)?)
        } else if let Some(rest) = url.strip_prefix("sqlite:") {
            let rest = rest.strip_prefix("//").unwrap_or(rest);
            if rest == ":memory:" {
                Backend::Sqlite(sqlite::Sqlite::open(None, options)?)
            } else if rest.is_empty() || rest.contains('?') {
                return Err(Error::Store(
                    "sqlite URL must be `sqlite://<path>` (no query parameters) or \
                     `sqlite::memory:`"
                        .into(),
                ));
            } else {
                Backend::Sqlite(sqlite::Sqlite::open(Some(Path::new(rest)), options)?)
            }
        } else {
            // Name only the scheme: the rest of a URL may hold a password.
            let scheme = url.split_once(':').map(|(s, _)| s).filter(|s| {
                !s.is_empty()
                    && s.len() <= 20
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b))
            });
            return Err(Error::Store(match scheme {
                Some(s) => format!(
                    "unsupported store URL scheme `{s}` (expected sqlite:// or postgres://)"
                ),
                None => "the store URL must start with sqlite: or postgres://".into(),
            }));
        };
        Ok(SqlStore {
            backend: Arc::new(backend),
        })
    }

    /// Which database this is.
    pub fn kind(&self) -> StoreKind {
        match *self.backend {
            Backend::Sqlite(_) => StoreKind::Sqlite,
            Backend::Postgres(_) => StoreKind::Postgres,
        }
    }

    /// Make `verifier` use this store for both revocations and `uses` counters.
    pub fn attach<C: Clock>(&self, verifier: Verifier<C>) -> Verifier<C> {
        verifier
            .with_revocation_store(Arc::new(self.clone()))
            .with_usage_store(Arc::new(self.clone()))
    }

    /// Record that `issuer` revoked `target`, keeping the signed revocation (`auth_sig_json`,
    /// stored verbatim) for audit. Idempotent: a repeated revocation keeps the first time and
    /// the first AuthSig (it only fills in one recorded without). The caller verifies the
    /// revocation first (see [`record_revocation`](Self::record_revocation)).
    pub fn revoke_with_record(
        &self,
        target: &RevocationTarget,
        issuer: Address,
        auth_sig_json: &str,
    ) -> Result<()> {
        self.revoke_inner(target, issuer, Some(auth_sig_json))
    }

    /// Record a revocation that [`AuthSig::verify_revocation`] accepted, keeping its AuthSig
    /// for audit (a node's revocation endpoint). [`Verifier::revoke`] also verifies and
    /// records, but through [`RevocationStore::revoke`], without the AuthSig.
    pub fn record_revocation(
        &self,
        revocation: &VerifiedRevocation,
        auth_sig: &AuthSig,
    ) -> Result<()> {
        self.revoke_with_record(
            revocation.target(),
            revocation.issuer(),
            &auth_sig.to_json(),
        )
    }

    /// Record a verified revocation with its AuthSig, kept until `keep_until` (then
    /// [`prune_revocations`](Self::prune_revocations) deletes it): the moment after which
    /// nothing it revokes can still be valid, so storage stays bounded. `None`: kept forever.
    /// Recording the same revocation again keeps the first time and AuthSig and the later of
    /// the two bounds.
    ///
    /// Returns the revocation as stored and whether this call recorded it first — atomically
    /// (one insert-if-absent in the database), so of any number of identical concurrent
    /// calls, on any nodes sharing the store, exactly one is told `true`. (A read before and
    /// after the write would let two racing calls both answer "new", or neither.)
    pub fn record_revocation_until(
        &self,
        revocation: &VerifiedRevocation,
        auth_sig: &AuthSig,
        keep_until: Option<OffsetDateTime>,
    ) -> Result<(RevocationRecord, bool)> {
        let (t, i) = (revocation.target().id(), issuer_text(revocation.issuer()));
        let json = auth_sig.to_json();
        let until = keep_until.map(|k| k.unix_timestamp());
        let (row, new) = match &*self.backend {
            Backend::Sqlite(b) => b.revoke(&t, &i, Some(&json), until)?,
            Backend::Postgres(b) => b.revoke(&t, &i, Some(&json), until)?,
        };
        Ok((record_of(revocation.target(), row)?, new))
    }

    /// Delete every revocation kept until before `now`; returns how many went.
    pub fn prune_revocations(&self, now: OffsetDateTime) -> Result<u64> {
        let now = now.unix_timestamp();
        match &*self.backend {
            Backend::Sqlite(b) => b.prune_revocations(now),
            Backend::Postgres(b) => b.prune_revocations(now),
        }
    }

    /// Take one token from the rate-limit bucket `bucket`, shared by every node on this store:
    /// `burst` at once, `per_minute` regained per minute (GCRA, as
    /// `sessionsig_node::rate_limit` does in memory). `Ok(None)`: taken; `Ok(Some(wait))`:
    /// refused, a token comes back after `wait`. Atomic across nodes (one statement).
    pub fn take_token(
        &self,
        bucket: &str,
        now: OffsetDateTime,
        burst: u32,
        per_minute: u32,
    ) -> Result<Option<Duration>> {
        if burst == 0 || per_minute == 0 {
            return Ok(None);
        }
        let now_ns = i64::try_from(now.unix_timestamp_nanos())
            .map_err(|_| Error::Store("time out of range".into()))?;
        let interval = 60_000_000_000i64 / i64::from(per_minute);
        let g = Gcra {
            bucket,
            now: now_ns,
            interval,
            tolerance: interval.saturating_mul(i64::from(burst) - 1),
        };
        let refused = match &*self.backend {
            Backend::Sqlite(b) => b.take_token(&g)?,
            Backend::Postgres(b) => b.take_token(&g)?,
        };
        Ok(refused.map(|tat| {
            let wait = tat
                .saturating_sub(g.tolerance)
                .saturating_sub(now_ns)
                .max(1);
            Duration::from_nanos(u64::try_from(wait).unwrap_or(u64::MAX))
        }))
    }

    /// Forget rate-limit buckets that are full again at `now` (a new bucket is full too), so
    /// the table holds only clients that used their tokens recently.
    pub fn prune_rate_limits(&self, now: OffsetDateTime) -> Result<u64> {
        let now = i64::try_from(now.unix_timestamp_nanos())
            .map_err(|_| Error::Store("time out of range".into()))?;
        match &*self.backend {
            Backend::Sqlite(b) => b.prune_rate_limits(now),
            Backend::Postgres(b) => b.prune_rate_limits(now),
        }
    }

    fn revoke_inner(
        &self,
        target: &RevocationTarget,
        issuer: Address,
        auth_sig: Option<&str>,
    ) -> Result<()> {
        let (t, i) = (target.id(), issuer_text(issuer));
        match &*self.backend {
            Backend::Sqlite(b) => b.revoke(&t, &i, auth_sig, None).map(drop),
            Backend::Postgres(b) => b.revoke_idempotent(&t, &i, auth_sig, None),
        }
    }

    /// The revocation of `target`: the earliest if several wallets revoked it, `None` if none.
    pub fn get_revocation(&self, target: &RevocationTarget) -> Result<Option<RevocationRecord>> {
        Ok(self.get_revocations(target)?.into_iter().next())
    }

    /// Every revocation of `target` (one per revoking wallet), earliest first.
    pub fn get_revocations(&self, target: &RevocationTarget) -> Result<Vec<RevocationRecord>> {
        let id = target.id();
        let rows = match &*self.backend {
            Backend::Sqlite(b) => b.revocations(&id)?,
            Backend::Postgres(b) => b.revocations(&id)?,
        };
        rows.into_iter().map(|r| record_of(target, r)).collect()
    }

    /// Run `f` with this store on tokio's blocking thread pool (inline when not inside a
    /// tokio runtime), for async callers.
    pub async fn run_blocking<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&SqlStore) -> Result<T> + Send + 'static,
    {
        let store = self.clone();
        if tokio::runtime::Handle::try_current().is_err() {
            return f(&store);
        }
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| Error::Store(format!("store task failed: {e}")))?
    }
}

/// A revocation row as the public record of `target`.
fn record_of(target: &RevocationTarget, r: RevocationRow) -> Result<RevocationRecord> {
    Ok(RevocationRecord {
        target: target.clone(),
        issuer: r
            .issuer
            .parse()
            .map_err(|_| Error::Store(format!("stored issuer `{}` is not an address", r.issuer)))?,
        revoked_at: OffsetDateTime::parse(&r.revoked_at, &Rfc3339)
            .map_err(|_| Error::Store(format!("stored time `{}` is not RFC 3339", r.revoked_at)))?,
        auth_sig: r.auth_sig,
    })
}

/// Issuers are keyed as lower-case `0x` + 40 hex.
fn issuer_text(a: Address) -> String {
    format!("{a:#x}")
}

/// The largest limit or amount a counter takes (limits beyond it are this).
const MAX_COUNT: u64 = (i64::MAX / 2) as u64;

/// Sort by counter (a fixed lock order), merge repeats (charged once: the largest amount at the
/// smallest limit), and refuse an amount past its limit without touching the database.
fn normalize(charges: &[UseCharge]) -> Result<Vec<UseCharge>> {
    let mut v: Vec<UseCharge> = charges.iter().filter(|c| c.amount > 0).cloned().collect();
    v.sort_unstable_by(|a, b| a.counter.cmp(&b.counter));
    v.dedup_by(|later, kept| {
        if later.counter != kept.counter {
            return false;
        }
        kept.limit = kept.limit.min(later.limit);
        kept.amount = kept.amount.max(later.amount);
        true
    });
    if let Some(c) = v.iter().find(|c| c.amount > c.limit) {
        return Err(c.exhausted());
    }
    Ok(v)
}

/// The stored keys (target id, issuer) of `items`, in order.
fn revocation_keys(items: &[(RevocationTarget, Address)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(t, a)| (t.id(), issuer_text(*a)))
        .collect()
}

impl SqlStore {
    /// [`RevocationStore::first_revoked`] from async code, one round trip: PostgreSQL is asked
    /// by its async driver on the caller's tokio runtime (no blocking thread; the connection is
    /// opened on first use and its I/O runs as a task of that runtime), SQLite answers at once
    /// from its local file. Call it within a tokio runtime.
    pub async fn first_revoked_async(
        &self,
        items: &[(RevocationTarget, Address)],
    ) -> Result<Option<(RevocationTarget, Address)>> {
        if items.is_empty() {
            return Ok(None);
        }
        let idx = match &*self.backend {
            Backend::Sqlite(b) => b.first_revoked_remembered(items, revocation_keys)?,
            Backend::Postgres(b) => b.async_pg.first_revoked(&revocation_keys(items)).await?,
        };
        Ok(idx.and_then(|i| items.get(i)).cloned())
    }
}

impl RevocationStore for SqlStore {
    fn revoke(&self, target: &RevocationTarget, issuer: Address) -> Result<()> {
        self.revoke_inner(target, issuer, None)
    }

    fn is_revoked(&self, target: &RevocationTarget, issuer: Address) -> Result<bool> {
        let (t, i) = (target.id(), issuer_text(issuer));
        match &*self.backend {
            Backend::Sqlite(b) => b.is_revoked(&t, &i),
            Backend::Postgres(b) => b.is_revoked(&t, &i),
        }
    }

    /// One query for the whole list, whatever its length.
    fn first_revoked(
        &self,
        items: &[(RevocationTarget, Address)],
    ) -> Result<Option<(RevocationTarget, Address)>> {
        if items.is_empty() {
            return Ok(None);
        }
        let idx = match &*self.backend {
            Backend::Sqlite(b) => b.first_revoked_remembered(items, revocation_keys)?,
            Backend::Postgres(b) => b.first_revoked(&revocation_keys(items))?,
        };
        Ok(idx.and_then(|i| items.get(i)).cloned())
    }

    /// SQLite answers from a local file (WAL: a read never waits for a writer); PostgreSQL
    /// is a network round trip.
    fn answers_locally(&self) -> bool {
        matches!(&*self.backend, Backend::Sqlite(_))
    }
}

impl UsageStore for SqlStore {
    /// All or nothing, atomic across threads, processes and nodes sharing the database. A
    /// counter named twice is charged once, against the smaller limit.
    fn try_consume(&self, charges: &[UseCharge]) -> Result<()> {
        let charges = normalize(charges)?;
        if charges.is_empty() {
            return Ok(());
        }
        let rows: Vec<ChargeRow<'_>> = charges
            .iter()
            .map(|c| ChargeRow {
                counter: &c.counter,
                // Halved so `used + amount` can never overflow a 64-bit column.
                limit: i64::try_from(c.limit.min(MAX_COUNT)).unwrap_or(i64::MAX / 2),
                amount: i64::try_from(c.amount.min(MAX_COUNT)).unwrap_or(i64::MAX / 2),
            })
            .collect();
        let exhausted = match &*self.backend {
            Backend::Sqlite(b) => b.try_consume(&rows)?,
            Backend::Postgres(b) => b.try_consume(&rows)?,
        };
        match exhausted.and_then(|i| charges.get(i)) {
            Some(c) => Err(c.exhausted()),
            None => Ok(()),
        }
    }

    fn release(&self, counter: &str, amount: u64) -> Result<()> {
        let amount = i64::try_from(amount).unwrap_or(i64::MAX);
        if amount == 0 {
            return Ok(());
        }
        match &*self.backend {
            Backend::Sqlite(b) => b.release(counter, amount),
            Backend::Postgres(b) => b.release(counter, amount),
        }
    }

    fn used(&self, counter: &str) -> Result<u64> {
        let n = match &*self.backend {
            Backend::Sqlite(b) => b.used(counter)?,
            Backend::Postgres(b) => b.used(counter)?,
        };
        u64::try_from(n).map_err(|_| Error::Store(format!("counter {counter} is negative")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charge(c: &str, limit: u64) -> UseCharge {
        UseCharge::one_use(c, limit)
    }

    #[test]
    fn charges_are_sorted_merged_and_zero_limits_refused() {
        let c = [
            charge("b", 5),
            charge("a", 9),
            charge("b", 3),
            charge("a", 9),
        ];
        let got: Vec<(String, u64)> = normalize(&c)
            .unwrap()
            .into_iter()
            .map(|c| (c.counter, c.limit))
            .collect();
        assert_eq!(got, vec![("a".to_owned(), 9), ("b".to_owned(), 3)]);
        let e = normalize(&[UseCharge::bytes("t", 11, 10)]).unwrap_err();
        assert_eq!(e.code(), "quota_exhausted");
        assert!(normalize(&[UseCharge::bytes("t", 0, 10)])
            .unwrap()
            .is_empty());
        let e = normalize(&[charge("a", 1), charge("z", 0)]).unwrap_err();
        assert!(matches!(e, Error::UsesExhausted { ref counter, limit: 0 } if counter == "z"));
        assert!(normalize(&[]).unwrap().is_empty());
    }

    #[test]
    fn issuers_are_lower_case_hex() {
        let a: Address = "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"
            .parse()
            .unwrap();
        assert_eq!(issuer_text(a), "0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a");
        assert_eq!(issuer_text(a).parse::<Address>().unwrap(), a);
    }

    #[test]
    fn bad_urls_are_store_errors_without_the_url() {
        for url in [
            "mysql://root:hunter2@db/x",
            "sqlite://",
            "sqlite://x.db?mode=rwc",
            "hunter2",
        ] {
            let e = SqlStore::open(url).unwrap_err();
            assert_eq!(e.code(), "store_unavailable", "{url}");
            assert!(!e.to_string().contains("hunter2"), "{e}");
        }
    }

    #[test]
    fn memory_store_works_and_reports_its_kind() {
        let s = SqlStore::open("sqlite::memory:").unwrap();
        assert_eq!(s.kind(), StoreKind::Sqlite);
        assert_eq!(s.kind().to_string(), "sqlite");
        s.try_consume(&[charge("m", 1)]).unwrap();
        assert_eq!(s.used("m").unwrap(), 1);
        assert!(format!("{s:?}").contains("Sqlite"));
    }
}
