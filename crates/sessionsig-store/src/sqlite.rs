//! The SQLite backend (`rusqlite`, SQLite compiled in): one writer connection behind a mutex,
//! a pool of reader connections (WAL lets them read while the writer writes).

use crate::migrations::{Migration, MIGRATIONS};
use crate::pool::Pool;
use crate::revocation_cache::NotRevoked;
use crate::revocation_epoch::{monotonic_ms, SharedEpoch};
use crate::{ChargeRow, OpenOptions, RevocationRow};
use alloy_primitives::Address;
use rusqlite::functions::FunctionFlags;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use sessionsig::verify::RevocationTarget;
use sessionsig::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Map a SQLite failure to the core's store error.
pub(crate) fn db(e: rusqlite::Error) -> Error {
    Error::Store(format!("sqlite: {e}"))
}

pub(crate) struct Sqlite {
    /// Every write goes through this one connection: threads of this process queue on the
    /// mutex, other processes on SQLite's write lock (`BEGIN IMMEDIATE` + busy timeout).
    writer: Mutex<Connection>,
    /// Readers; `None` for an in-memory database (only the writer's connection sees it).
    readers: Option<Pool<Connection>>,
    /// Remembered "not revoked" answers and the shared epoch that keeps them honest; `None`
    /// for an in-memory database (asked every time: it is as fast as the cache).
    not_revoked: Option<NotRevoked>,
    /// Set while the writer inserts an announced revocation: what the revocations table's
    /// trigger asks through `sessionsig_revocation_announced()`.
    announced: Arc<AtomicBool>,
}

/// Give the writer connection the function the revocations table's trigger calls: 1 only
/// while this process is inside an announced revocation (see `revocation_epoch.rs`).
fn register_announced(conn: &Connection, flag: &Arc<AtomicBool>) -> Result<()> {
    let flag = flag.clone();
    conn.create_scalar_function(
        "sessionsig_revocation_announced",
        0,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_INNOCUOUS,
        move |_| Ok(i64::from(flag.load(Ordering::SeqCst))),
    )
    .map_err(db)
}

/// Clears the announced flag however the insert ends.
struct AnnouncedFlag<'a>(&'a AtomicBool);

impl<'a> AnnouncedFlag<'a> {
    fn set(flag: &'a AtomicBool) -> Self {
        flag.store(true, Ordering::SeqCst);
        AnnouncedFlag(flag)
    }
}

impl Drop for AnnouncedFlag<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

impl Sqlite {
    /// Open (creating if missing) the database file at `path`, or an in-memory one.
    pub(crate) fn open(path: Option<&Path>, opts: &OpenOptions) -> Result<Self> {
        let busy = opts.busy_timeout;
        let announced = Arc::new(AtomicBool::new(false));
        let Some(path) = path else {
            let conn = Connection::open_in_memory().map_err(db)?;
            conn.busy_timeout(busy).map_err(db)?;
            register_announced(&conn, &announced)?;
            let mut conn = conn;
            migrate(&mut conn)?;
            return Ok(Sqlite {
                writer: Mutex::new(conn),
                readers: None,
                not_revoked: None,
                announced,
            });
        };
        let mut writer = Connection::open(path)
            .map_err(|e| Error::Store(format!("sqlite: cannot open {}: {e}", path.display())))?;
        writer.busy_timeout(busy).map_err(db)?;
        register_announced(&writer, &announced)?;
        // SQLite answers "busy" without waiting when two connections would deadlock upgrading
        // their locks (two first opens of one new file switching it to WAL at once, say), so
        // the set-up steps are retried until the busy timeout is spent.
        let deadline = Instant::now() + busy;
        // WAL: readers never block the writer nor the writer them; commits append to the log.
        let mode: String = retry_busy(deadline, || {
            writer.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        })
        .map_err(db)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Store(format!(
                "sqlite: could not switch {} to WAL (journal mode is {mode})",
                path.display()
            )));
        }
        // FULL: every commit fsyncs the log before it returns (see the crate docs).
        writer
            .execute_batch("PRAGMA synchronous = FULL")
            .map_err(db)?;
        retry_busy(deadline, || migrate(&mut writer))?;
        // Readers open the same file even if the process changes directory later.
        let path: PathBuf = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        // Without its epoch file this process could neither remember answers nor announce its
        // revocations to the processes that do: refuse to open rather than run unsafely.
        let epoch = SharedEpoch::open(&path, monotonic_ms()).map_err(|e| {
            Error::Store(format!(
                "sqlite: cannot open the revocation epoch file beside {}: {e}",
                path.display()
            ))
        })?;
        let readers = Pool::new(
            opts.max_connections,
            opts.acquire_timeout,
            Box::new(move || {
                let c = Connection::open(&path).map_err(db)?;
                c.busy_timeout(busy).map_err(db)?;
                c.execute_batch("PRAGMA query_only = ON").map_err(db)?;
                Ok(c)
            }),
            |_| false,
        );
        Ok(Sqlite {
            writer: Mutex::new(writer),
            readers: Some(readers),
            not_revoked: Some(NotRevoked::new(epoch)),
            announced,
        })
    }

    pub(crate) fn writer(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves no open transaction (a dropped `Transaction`
        // rolls back), so the connection is still good.
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Run `f` in a write transaction (`BEGIN IMMEDIATE`: the write lock is taken up front, so
    /// it waits rather than failing on a lock upgrade). Committed only if `f` returns `Ok`.
    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.writer();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let out = f(&tx)?;
        tx.commit().map_err(db)?;
        Ok(out)
    }

    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        match &self.readers {
            Some(pool) => pool.with(|c| f(c)),
            None => f(&self.writer()),
        }
    }

    /// Record a revocation; `keep_until` (Unix seconds, `None`: forever) only ever grows and a
    /// missing AuthSig is filled in. Returns the row as stored (the first revocation's time
    /// and AuthSig) and whether this call inserted it: one `BEGIN IMMEDIATE` transaction
    /// (insert-if-absent, then the update, then the read), so of any number of identical
    /// concurrent calls, across threads and processes, exactly one is told "new".
    pub(crate) fn revoke(
        &self,
        target: &str,
        issuer: &str,
        auth_sig: Option<&str>,
        keep_until: Option<i64>,
    ) -> Result<(RevocationRow, bool)> {
        // Announced once this process holds SQLite's write lock (so the lease covers only the
        // insert and the commit, never the wait for the lock), published after the commit
        // (see `revocation_epoch.rs`).
        let mut announced = None;
        let out = self.write(|tx| {
            if let Some(c) = &self.not_revoked {
                announced = Some(c.epoch().announce().map_err(|e| {
                    Error::Store(format!("sqlite: cannot announce the revocation: {e}"))
                })?);
            }
            let _flag = AnnouncedFlag::set(&self.announced);
            let inserted = tx
                .prepare_cached(
                    "INSERT INTO sessionsig_revocations (target, issuer, auth_sig, keep_until)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (target, issuer) DO NOTHING",
                )
                .and_then(|mut s| s.execute(params![target, issuer, auth_sig, keep_until]))
                .map_err(db)?
                == 1;
            if !inserted {
                tx.prepare_cached(
                    "UPDATE sessionsig_revocations SET
                         auth_sig = COALESCE(auth_sig, ?3),
                         keep_until = CASE
                             WHEN keep_until IS NULL OR ?4 IS NULL THEN NULL
                             ELSE max(keep_until, ?4) END
                     WHERE target = ?1 AND issuer = ?2",
                )
                .and_then(|mut s| s.execute(params![target, issuer, auth_sig, keep_until]))
                .map_err(db)?;
            }
            let row = tx
                .prepare_cached(
                    "SELECT issuer, revoked_at, auth_sig FROM sessionsig_revocations
                     WHERE target = ?1 AND issuer = ?2",
                )
                .and_then(|mut s| {
                    s.query_row(params![target, issuer], |r| {
                        Ok(RevocationRow {
                            issuer: r.get(0)?,
                            revoked_at: r.get(1)?,
                            auth_sig: r.get(2)?,
                        })
                    })
                })
                .map_err(db)?;
            if announced.as_ref().is_some_and(|a| !a.still_leased()) {
                // Too late to commit inside the lease: another process may already remember
                // answers again. Rolled back; the caller may retry.
                return Err(Error::Store(
                    "sqlite: the revocation took longer than its lease; not recorded".into(),
                ));
            }
            Ok((row, inserted))
        });
        if let Some(a) = announced {
            // Failing to publish leaves this writer counted until its lease ends: still safe.
            let _ = a.publish();
        }
        out
    }

    /// [`Self::first_revoked`], answered from memory when this list was found unrevoked at the
    /// current shared epoch; `keys` makes the query's text keys only when it is asked.
    pub(crate) fn first_revoked_remembered(
        &self,
        items: &[(RevocationTarget, Address)],
        keys: impl FnOnce(&[(RevocationTarget, Address)]) -> Vec<(String, String)>,
    ) -> Result<Option<usize>> {
        let Some(cache) = &self.not_revoked else {
            return self.first_revoked(&keys(items));
        };
        let ticket = match cache.lookup(items) {
            Ok(()) => return Ok(None),
            Err(t) => t,
        };
        let idx = self.first_revoked(&keys(items))?;
        if idx.is_none() {
            cache.remember(ticket, items);
        }
        Ok(idx)
    }

    /// Delete revocations kept until before `now` (Unix seconds); how many went.
    pub(crate) fn prune_revocations(&self, now: i64) -> Result<u64> {
        self.write(|tx| {
            tx.prepare_cached(
                "DELETE FROM sessionsig_revocations
                 WHERE keep_until IS NOT NULL AND keep_until < ?1",
            )
            .and_then(|mut s| s.execute(params![now]))
            .map(|n| n as u64)
            .map_err(db)
        })
    }

    /// Take a token from `bucket` (GCRA, nanoseconds): `Ok(None)` taken, `Ok(Some(tat))`
    /// refused with the bucket's schedule.
    pub(crate) fn take_token(&self, g: &crate::Gcra<'_>) -> Result<Option<i64>> {
        self.write(|tx| {
            let taken = tx
                .prepare_cached(
                    "INSERT INTO sessionsig_rate_limits (bucket, tat) VALUES (?1, ?2 + ?3)
                     ON CONFLICT (bucket) DO UPDATE
                     SET tat = min(max(tat, ?2), ?2 + ?4 + ?3) + ?3
                     WHERE min(max(tat, ?2), ?2 + ?4 + ?3) - ?2 <= ?4",
                )
                .and_then(|mut s| s.execute(params![g.bucket, g.now, g.interval, g.tolerance]))
                .map_err(db)?;
            if taken == 1 {
                return Ok(None);
            }
            tx.prepare_cached("SELECT tat FROM sessionsig_rate_limits WHERE bucket = ?1")
                .and_then(|mut s| s.query_row(params![g.bucket], |r| r.get(0)))
                .map(Some)
                .map_err(db)
        })
    }

    /// Forget buckets that are full again at `now` (nanoseconds): a new bucket is full too.
    pub(crate) fn prune_rate_limits(&self, now: i64) -> Result<u64> {
        self.write(|tx| {
            tx.prepare_cached("DELETE FROM sessionsig_rate_limits WHERE tat < ?1")
                .and_then(|mut s| s.execute(params![now]))
                .map(|n| n as u64)
                .map_err(db)
        })
    }

    pub(crate) fn is_revoked(&self, target: &str, issuer: &str) -> Result<bool> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM sessionsig_revocations
                                WHERE target = ?1 AND issuer = ?2)",
            )
            .and_then(|mut s| s.query_row(params![target, issuer], |r| r.get(0)))
            .map_err(db)
        })
    }

    /// Index (0-based) of the first revoked `(target, issuer)` pair, in one statement. Up to
    /// [`UNION_PAIRS`] pairs (every SessionSig within the default policy): one primary-key
    /// lookup per pair (`SELECT k WHERE EXISTS (…) UNION ALL …`), prepared once per number of
    /// pairs; beyond, the pairs go in as one JSON array joined against the primary key. The
    /// lookups cost half what the JSON form does: 8.0–8.5 µs of CPU for 16 pairs against
    /// 16.9–18.1 µs for 17 through `json_each`, and 3.7–4.1 µs for the 3 pairs of a plain
    /// session (pool included, in process, two runs; `benches/node_overhead.rs` of
    /// `sessionsig-node`).
    pub(crate) fn first_revoked(&self, items: &[(String, String)]) -> Result<Option<usize>> {
        if items.is_empty() {
            return Ok(None);
        }
        let idx: Option<i64> = match union_sql(items.len()) {
            Some(sql) => {
                let params = items.iter().flat_map(|(t, i)| [t.as_str(), i.as_str()]);
                self.read(|c| {
                    c.prepare_cached(sql)
                        .and_then(|mut s| {
                            s.query_row(rusqlite::params_from_iter(params), |r| r.get(0))
                                .optional()
                        })
                        .map_err(db)
                })?
            }
            None => {
                let json = serde_json::to_string(items)
                    .map_err(|e| Error::Store(format!("sqlite: cannot encode the query: {e}")))?;
                self.read(|c| {
                    c.prepare_cached(
                        "SELECT CAST(j.key AS INTEGER) FROM json_each(?1) AS j
                         WHERE EXISTS (SELECT 1 FROM sessionsig_revocations AS r
                                       WHERE r.target = j.value ->> 0 AND r.issuer = j.value ->> 1)
                         ORDER BY j.key LIMIT 1",
                    )
                    .and_then(|mut s| s.query_row(params![json], |r| r.get(0)).optional())
                    .map_err(db)
                })?
            }
        };
        idx.map(|i| usize::try_from(i).map_err(|_| Error::Store("sqlite: bad index".into())))
            .transpose()
    }

    pub(crate) fn revocations(&self, target: &str) -> Result<Vec<RevocationRow>> {
        self.read(|c| {
            let mut s = c
                .prepare_cached(
                    "SELECT issuer, revoked_at, auth_sig FROM sessionsig_revocations
                     WHERE target = ?1 ORDER BY revoked_at, issuer",
                )
                .map_err(db)?;
            let rows = s
                .query_map(params![target], |r| {
                    Ok(RevocationRow {
                        issuer: r.get(0)?,
                        revoked_at: r.get(1)?,
                        auth_sig: r.get(2)?,
                    })
                })
                .map_err(db)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db)
        })
    }

    /// Charge each counter, all in one transaction; `Ok(Some(i))` (rolled back) if charge `i`
    /// had no use left.
    pub(crate) fn try_consume(&self, charges: &[ChargeRow<'_>]) -> Result<Option<usize>> {
        let mut conn = self.writer();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let mut exhausted = None;
        {
            let mut s = tx
                .prepare_cached(
                    "INSERT INTO sessionsig_usage_counters (counter, used) VALUES (?1, ?3)
                     ON CONFLICT (counter) DO UPDATE SET used = used + ?3
                     WHERE used + ?3 <= ?2",
                )
                .map_err(db)?;
            for (i, c) in charges.iter().enumerate() {
                if s.execute(params![c.counter, c.limit, c.amount])
                    .map_err(db)?
                    == 0
                {
                    exhausted = Some(i);
                    break;
                }
            }
        }
        match exhausted {
            Some(_) => tx.rollback().map_err(db)?,
            None => tx.commit().map_err(db)?,
        }
        Ok(exhausted)
    }

    /// Take `amount` off `counter`, never below zero.
    pub(crate) fn release(&self, counter: &str, amount: i64) -> Result<()> {
        let conn = self.writer();
        conn.prepare_cached(
            "UPDATE sessionsig_usage_counters SET used = MAX(used - ?2, 0) WHERE counter = ?1",
        )
        .and_then(|mut s| s.execute(params![counter, amount]))
        .map_err(db)?;
        Ok(())
    }

    pub(crate) fn used(&self, counter: &str) -> Result<i64> {
        self.read(|c| {
            c.prepare_cached("SELECT used FROM sessionsig_usage_counters WHERE counter = ?1")
                .and_then(|mut s| s.query_row(params![counter], |r| r.get(0)).optional())
                .map_err(db)
        })
        .map(|u| u.unwrap_or(0))
    }
}

/// Apply the migrations this build knows and the database has not seen, in one
/// `BEGIN IMMEDIATE` transaction (so two processes opening a new file at once do not race).
fn migrate(conn: &mut Connection) -> std::result::Result<(), MigrateError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS sessionsig_migrations (
             version     INTEGER PRIMARY KEY,
             description TEXT NOT NULL,
             applied_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
         )",
    )?;
    let current: i32 = tx.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM sessionsig_migrations",
        [],
        |r| r.get(0),
    )?;
    for Migration {
        version,
        description,
        sqlite,
        ..
    } in MIGRATIONS.iter().filter(|m| m.version > current)
    {
        tx.execute_batch(sqlite).map_err(|source| MigrateError {
            step: Some((*version, description)),
            source,
        })?;
        tx.execute(
            "INSERT INTO sessionsig_migrations (version, description) VALUES (?1, ?2)",
            params![version, description],
        )?;
    }
    Ok(tx.commit()?)
}

/// A failed migration: the step that failed (if it was one), and SQLite's error.
struct MigrateError {
    step: Option<(i32, &'static str)>,
    source: rusqlite::Error,
}

impl From<rusqlite::Error> for MigrateError {
    fn from(source: rusqlite::Error) -> Self {
        MigrateError { step: None, source }
    }
}

impl From<MigrateError> for Error {
    fn from(e: MigrateError) -> Self {
        match e.step {
            Some((version, description)) => Error::Store(format!(
                "sqlite: migration {version} ({description}): {}",
                e.source
            )),
            None => db(e.source),
        }
    }
}

/// An error that may be SQLite refusing for a lock another connection holds.
trait MaybeBusy {
    /// The SQLite error behind it.
    fn sqlite(&self) -> &rusqlite::Error;

    /// Whether SQLite refused for a lock another connection holds.
    fn is_busy(&self) -> bool {
        matches!(
            self.sqlite().sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }
}

impl MaybeBusy for rusqlite::Error {
    fn sqlite(&self) -> &rusqlite::Error {
        self
    }
}

impl MaybeBusy for MigrateError {
    fn sqlite(&self) -> &rusqlite::Error {
        &self.source
    }
}

/// Run `f` again while SQLite answers "busy", with a short growing pause, until `deadline`.
fn retry_busy<T, E: MaybeBusy>(
    deadline: Instant,
    mut f: impl FnMut() -> std::result::Result<T, E>,
) -> std::result::Result<T, E> {
    let mut pause = Duration::from_millis(1);
    loop {
        match f() {
            Err(e) if e.is_busy() && Instant::now() + pause < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

/// Most pairs [`Sqlite::first_revoked`] looks up with one `UNION ALL` term each (a SessionSig
/// names 2 + its carried AuthSigs, at most 9 with the default policy).
const UNION_PAIRS: usize = 16;

/// The `UNION ALL` statement of [`Sqlite::first_revoked`] for `n` pairs, `1 ..= UNION_PAIRS`
/// (parameters `?1, ?2` the first pair's target and issuer, and so on): the smallest index
/// whose pair is revoked.
fn union_sql(n: usize) -> Option<&'static str> {
    fn build(n: usize) -> String {
        let parts: Vec<String> = (0..n)
            .map(|k| {
                format!(
                    "SELECT {k} AS i WHERE EXISTS (SELECT 1 FROM sessionsig_revocations \
                     WHERE target = ?{} AND issuer = ?{})",
                    2 * k + 1,
                    2 * k + 2
                )
            })
            .collect();
        format!("{} ORDER BY i LIMIT 1", parts.join(" UNION ALL "))
    }
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    if n == 0 || n > UNION_PAIRS {
        return None;
    }
    SQL.get_or_init(|| (0..=UNION_PAIRS).map(build).collect())
        .get(n)
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_databases_use_wal_and_fsync_every_commit() {
        let dir = tempfile::tempdir().unwrap();
        let s = Sqlite::open(Some(&dir.path().join("t.db")), &OpenOptions::default()).unwrap();
        let w = s.writer();
        let mode: String = w
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        let sync: i64 = w.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
        assert_eq!((mode.as_str(), sync), ("wal", 2), "WAL, synchronous = FULL");
        drop(w);
        s.revoke("t", "0x00", None, None).unwrap();
        // A reader sees the writer's commit.
        assert!(s.is_revoked("t", "0x00").unwrap());
        let ro = s
            .read(|c| {
                c.execute_batch("DELETE FROM sessionsig_revocations")
                    .map_err(db)
            })
            .unwrap_err();
        assert_eq!(ro.code(), "store_unavailable", "readers are read-only");
    }

    fn busy() -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY), None)
    }

    #[test]
    fn busy_set_up_steps_are_retried_until_the_deadline() {
        // Busy twice, then through: retried, and the answer is the third try's.
        let mut tries = 0;
        let out = retry_busy(Instant::now() + Duration::from_secs(5), || {
            tries += 1;
            if tries < 3 {
                Err(busy())
            } else {
                Ok(tries)
            }
        });
        assert_eq!(out.unwrap(), 3);
        // Busy for ever: gives up with SQLite's busy error once the deadline has passed.
        let start = Instant::now();
        let mut tries = 0;
        let err = retry_busy::<(), _>(start + Duration::from_millis(30), || {
            tries += 1;
            Err(busy())
        })
        .unwrap_err();
        assert!(err.is_busy());
        assert!(tries > 1, "retried before giving up");
        // Any other error is returned at once.
        let mut tries = 0;
        let err = retry_busy::<(), _>(Instant::now() + Duration::from_secs(5), || {
            tries += 1;
            Err(rusqlite::Error::QueryReturnedNoRows)
        })
        .unwrap_err();
        assert!(!err.is_busy());
        assert_eq!(tries, 1);
        // A failed migration step keeps its name in the store error.
        let e: Error = MigrateError {
            step: Some((7, "add things")),
            source: busy(),
        }
        .into();
        assert!(e.to_string().contains("migration 7 (add things)"), "{e}");
    }
}
