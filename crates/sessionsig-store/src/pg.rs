//! The PostgreSQL backend (the synchronous `postgres` driver): a pool of connections, each with
//! its statements prepared once.

use crate::migrations::MIGRATIONS;
use crate::pool::Pool;
use crate::{ChargeRow, OpenOptions, RevocationRow};
use postgres::{Client, NoTls, Statement};
use sessionsig::{Error, Result};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Map a PostgreSQL failure to the core's store error, with its causes (the server's message
/// and SQLSTATE; never the connection string).
pub(crate) fn db(e: postgres::Error) -> Error {
    Error::Store(describe(&e))
}

fn describe(e: &postgres::Error) -> String {
    let mut msg = format!("postgres: {e}");
    if let Some(d) = e.as_db_error() {
        msg.push_str(&format!(": {} ({})", d.message(), d.code().code()));
    } else {
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            msg.push_str(&format!(": {s}"));
            src = s.source();
        }
    }
    msg
}

/// Default connect timeout when the URL sets none.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Idempotent calls (revocations, reads) are retried once on a fresh connection when theirs
/// turns out to be dead, e.g. after a server restart.
pub(crate) struct Postgres {
    pub(crate) pool: Pool<PgConn>,
    /// The revocation check from async code (`SqlStore::first_revoked_async`).
    pub(crate) async_pg: crate::pg_async::AsyncPg,
}

pub(crate) struct PgConn {
    pub(crate) client: Client,
    st: Statements,
    /// The backpack's statements, prepared with the others.
    pub(crate) backpack: crate::backpack::pg::Statements,
}

/// When the last [`SqlStore`](crate::SqlStore) handle goes, close the connections where the
/// driver can: see [`close`].
impl Drop for Postgres {
    fn drop(&mut self) {
        // No call is running (calls borrow the store), so every connection is idle.
        close(self.pool.take_idle());
    }
}

/// Close `conns`. The synchronous driver closes a connection by running `block_on` on its
/// private runtime, which panics on a thread that is running a tokio runtime (inside an async
/// task, or in the future given to `block_on`), where the last handle of a store often goes
/// (a node shutting down). So inside a tokio runtime the connections are closed on a plain
/// thread of their own, which this waits for (one `Terminate` message per connection: the
/// server is not waited for). Should no thread be available, the connections are leaked
/// rather than closed here (the server closes them when this process exits).
fn close(conns: Vec<PgConn>) {
    if conns.is_empty() {
        return;
    }
    if tokio::runtime::Handle::try_current().is_err() {
        drop(conns);
        return;
    }
    let slot = Arc::new(Mutex::new(Some(conns)));
    let theirs = Arc::clone(&slot);
    let spawned = std::thread::Builder::new()
        .name("sessionsig-store-close".into())
        .spawn(move || drop(theirs.lock().unwrap_or_else(PoisonError::into_inner).take()));
    match spawned {
        // A panic there (none is expected) has nothing more to tell a drop.
        Ok(closer) => {
            let _ = closer.join();
        }
        Err(_) => {
            if let Some(conns) = slot.lock().unwrap_or_else(PoisonError::into_inner).take() {
                std::mem::forget(conns);
            }
        }
    }
}

struct Statements {
    insert_revocation: Statement,
    update_revocation: Statement,
    prune_revocations: Statement,
    take_token: Statement,
    token_tat: Statement,
    prune_rate_limits: Statement,
    is_revoked: Statement,
    first_revoked: Statement,
    revocations: Statement,
    charge: Statement,
    release: Statement,
    used: Statement,
}

impl Postgres {
    pub(crate) fn open(url: &str, opts: &OpenOptions) -> Result<Self> {
        let mut config: postgres::Config = url.parse().map_err(db)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("sessionsig-store");
        }
        let schema = opts.postgres_schema.clone();
        let async_pg = crate::pg_async::AsyncPg::new(url, schema.clone())?;
        if let Some(s) = &schema {
            check_identifier(s)?;
        }
        // The first connection creates the schema and runs the migrations; then every
        // connection prepares its statements.
        let mut client = connect(&config, schema.as_deref())?;
        migrate(&mut client, schema.as_deref())?;
        let first = prepare(client)?;
        let pool = Pool::new(
            opts.max_connections,
            opts.acquire_timeout,
            Box::new(move || prepare(connect(&config, schema.as_deref())?)),
            |c| c.client.is_closed(),
        );
        pool.seed(first);
        Ok(Postgres { pool, async_pg })
    }

    /// Record a revocation; `keep_until` (Unix seconds, `None`: forever) only ever grows and a
    /// missing AuthSig is filled in. Returns the row as stored (the first revocation's time
    /// and AuthSig) and whether this call inserted it. The insert is `ON CONFLICT DO NOTHING`:
    /// of identical concurrent inserts PostgreSQL lets exactly one insert (the others wait
    /// for it, then do nothing), so exactly one caller is told "new"; the others then update
    /// the row it committed. (Should the row be pruned in between, the insert is tried
    /// again.) Not retried on a dead connection: the insert may have been committed, and a
    /// retry would then answer "not new" for the revocation this call recorded.
    pub(crate) fn revoke(
        &self,
        target: &str,
        issuer: &str,
        auth_sig: Option<&str>,
        keep_until: Option<i64>,
    ) -> Result<(RevocationRow, bool)> {
        self.pool
            .with(|c| record_revocation(c, target, issuer, auth_sig, keep_until))
    }

    /// [`revoke`](Self::revoke) for a caller that does not ask whether it was new: then the
    /// call is idempotent, and retried once on a fresh connection when its own turns out to
    /// be dead.
    pub(crate) fn revoke_idempotent(
        &self,
        target: &str,
        issuer: &str,
        auth_sig: Option<&str>,
        keep_until: Option<i64>,
    ) -> Result<()> {
        self.pool
            .with_retry(|c| record_revocation(c, target, issuer, auth_sig, keep_until).map(drop))
    }

    /// Delete revocations kept until before `now` (Unix seconds); how many went.
    pub(crate) fn prune_revocations(&self, now: i64) -> Result<u64> {
        self.pool.with_retry(|c| {
            c.client
                .execute(&c.st.prune_revocations, &[&now])
                .map_err(db)
        })
    }

    /// Take a token from `bucket` (GCRA, nanoseconds): `Ok(None)` taken, `Ok(Some(tat))`
    /// refused with the bucket's schedule. Never retried (a token may have been taken).
    pub(crate) fn take_token(&self, g: &crate::Gcra<'_>) -> Result<Option<i64>> {
        self.pool.with(|c| {
            let taken = c
                .client
                .execute(
                    &c.st.take_token,
                    &[&g.bucket, &g.now, &g.interval, &g.tolerance],
                )
                .map_err(db)?;
            if taken == 1 {
                return Ok(None);
            }
            c.client
                .query_one(&c.st.token_tat, &[&g.bucket])
                .and_then(|r| r.try_get(0))
                .map(Some)
                .map_err(db)
        })
    }

    /// Forget buckets that are full again at `now` (nanoseconds).
    pub(crate) fn prune_rate_limits(&self, now: i64) -> Result<u64> {
        self.pool.with_retry(|c| {
            c.client
                .execute(&c.st.prune_rate_limits, &[&now])
                .map_err(db)
        })
    }

    pub(crate) fn is_revoked(&self, target: &str, issuer: &str) -> Result<bool> {
        self.pool.with_retry(|c| {
            let row = c
                .client
                .query_one(&c.st.is_revoked, &[&target, &issuer])
                .map_err(db)?;
            row.try_get(0).map_err(db)
        })
    }

    /// Index (0-based) of the first revoked `(target, issuer)` pair, in one statement: the
    /// pairs go in as two arrays, `unnest … WITH ORDINALITY` keeps their order.
    pub(crate) fn first_revoked(&self, items: &[(String, String)]) -> Result<Option<usize>> {
        let targets: Vec<&str> = items.iter().map(|(t, _)| t.as_str()).collect();
        let issuers: Vec<&str> = items.iter().map(|(_, i)| i.as_str()).collect();
        let ord: Option<i64> = self.pool.with_retry(|c| {
            c.client
                .query_opt(&c.st.first_revoked, &[&targets, &issuers])
                .map_err(db)?
                .map(|r| r.try_get(0).map_err(db))
                .transpose()
        })?;
        ord.map(|o| {
            usize::try_from(o - 1).map_err(|_| Error::Store("postgres: bad ordinality".into()))
        })
        .transpose()
    }

    pub(crate) fn revocations(&self, target: &str) -> Result<Vec<RevocationRow>> {
        self.pool.with_retry(|c| {
            let rows = c.client.query(&c.st.revocations, &[&target]).map_err(db)?;
            rows.iter()
                .map(|r| {
                    Ok(RevocationRow {
                        issuer: r.try_get(0).map_err(db)?,
                        revoked_at: r.try_get(1).map_err(db)?,
                        auth_sig: r.try_get(2).map_err(db)?,
                    })
                })
                .collect()
        })
    }

    /// Charge each counter, all in one transaction (one autocommit statement for a single
    /// charge); `Ok(Some(i))` (rolled back) if charge `i` had no use left. Never retried on a
    /// dead connection: the commit may have happened before it died, and charging twice is
    /// worse than refusing one request.
    pub(crate) fn try_consume(&self, charges: &[ChargeRow<'_>]) -> Result<Option<usize>> {
        self.pool.with(|c| {
            if let [one] = charges {
                let n = c
                    .client
                    .execute(&c.st.charge, &[&one.counter, &one.limit, &one.amount])
                    .map_err(db)?;
                return Ok((n == 0).then_some(0));
            }
            let mut tx = c.client.transaction().map_err(db)?;
            for (i, ch) in charges.iter().enumerate() {
                if tx
                    .execute(&c.st.charge, &[&ch.counter, &ch.limit, &ch.amount])
                    .map_err(db)?
                    == 0
                {
                    tx.rollback().map_err(db)?;
                    return Ok(Some(i));
                }
            }
            tx.commit().map_err(db)?;
            Ok(None)
        })
    }

    /// Take `amount` off `counter`, never below zero. Not retried on a dead connection (a
    /// second release would give back twice).
    pub(crate) fn release(&self, counter: &str, amount: i64) -> Result<()> {
        self.pool.with(|c| {
            c.client
                .execute(&c.st.release, &[&counter, &amount])
                .map_err(db)?;
            Ok(())
        })
    }

    pub(crate) fn used(&self, counter: &str) -> Result<i64> {
        self.pool.with_retry(|c| {
            c.client
                .query_opt(&c.st.used, &[&counter])
                .map_err(db)?
                .map(|r| r.try_get(0).map_err(db))
                .transpose()
                .map(|u| u.unwrap_or(0))
        })
    }
}

/// The insert-if-absent, then (when another call inserted first) the update, on one
/// connection: see [`Postgres::revoke`].
fn record_revocation(
    c: &mut PgConn,
    target: &str,
    issuer: &str,
    auth_sig: Option<&str>,
    keep_until: Option<i64>,
) -> Result<(RevocationRow, bool)> {
    let row = |r: &postgres::Row| -> Result<RevocationRow> {
        Ok(RevocationRow {
            issuer: issuer.to_owned(),
            revoked_at: r.try_get(0).map_err(db)?,
            auth_sig: r.try_get(1).map_err(db)?,
        })
    };
    let args: [&(dyn postgres::types::ToSql + Sync); 4] =
        [&target, &issuer, &auth_sig, &keep_until];
    for _ in 0..3 {
        if let Some(r) = c
            .client
            .query_opt(&c.st.insert_revocation, &args)
            .map_err(db)?
        {
            return Ok((row(&r)?, true));
        }
        if let Some(r) = c
            .client
            .query_opt(&c.st.update_revocation, &args)
            .map_err(db)?
        {
            return Ok((row(&r)?, false));
        }
    }
    Err(Error::Store(
        "postgres: a revocation kept disappearing while it was recorded".into(),
    ))
}

/// Schema names are interpolated into SQL, so only plain lower-case identifiers are accepted.
fn check_identifier(s: &str) -> Result<()> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::Store(format!(
            "postgres: schema name `{}` must match [a-z_][a-z0-9_]{{0,62}}",
            s.chars().take(80).collect::<String>()
        )))
    }
}

/// Connect and set the session: our schema first on the search path, commits acknowledged
/// only once flushed to the server's WAL whatever the server default, READ COMMITTED (the
/// counters rely on its re-check of the `WHERE` after waiting on a row lock).
fn connect(config: &postgres::Config, schema: Option<&str>) -> Result<Client> {
    let mut client = config.connect(NoTls).map_err(db)?;
    let mut setup = String::from(
        "SET synchronous_commit = on; \
         SET default_transaction_isolation = 'read committed';",
    );
    if let Some(s) = schema {
        setup.push_str(&format!(" SET search_path = \"{s}\";"));
    }
    client.batch_execute(&setup).map_err(db)?;
    Ok(client)
}

fn prepare(mut client: Client) -> Result<PgConn> {
    let mut p = |sql: &str| client.prepare(sql).map_err(db);
    let st = Statements {
        insert_revocation: p("INSERT INTO sessionsig_revocations (target, issuer, auth_sig, keep_until)
                              VALUES ($1, $2, $3, $4::bigint)
                              ON CONFLICT (target, issuer) DO NOTHING
                              RETURNING to_char(revoked_at AT TIME ZONE 'UTC',
                                                'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
                                        auth_sig")?,
        update_revocation: p("UPDATE sessionsig_revocations AS r SET
                                  auth_sig = COALESCE(r.auth_sig, $3),
                                  keep_until = CASE
                                      WHEN r.keep_until IS NULL OR $4::bigint IS NULL THEN NULL
                                      ELSE GREATEST(r.keep_until, $4::bigint) END
                              WHERE r.target = $1 AND r.issuer = $2
                              RETURNING to_char(r.revoked_at AT TIME ZONE 'UTC',
                                                'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
                                        r.auth_sig")?,
        prune_revocations: p("DELETE FROM sessionsig_revocations
                              WHERE keep_until IS NOT NULL AND keep_until < $1::bigint")?,
        take_token: p("INSERT INTO sessionsig_rate_limits AS l (bucket, tat)
                       VALUES ($1::text, $2::bigint + $3::bigint)
                       ON CONFLICT (bucket) DO UPDATE
                       SET tat = LEAST(GREATEST(l.tat, $2::bigint),
                                       $2::bigint + $4::bigint + $3::bigint) + $3::bigint
                       WHERE LEAST(GREATEST(l.tat, $2::bigint),
                                   $2::bigint + $4::bigint + $3::bigint) - $2::bigint
                             <= $4::bigint")?,
        token_tat: p("SELECT tat FROM sessionsig_rate_limits WHERE bucket = $1")?,
        prune_rate_limits: p("DELETE FROM sessionsig_rate_limits WHERE tat < $1::bigint")?,
        is_revoked: p("SELECT EXISTS (SELECT 1 FROM sessionsig_revocations
                                      WHERE target = $1 AND issuer = $2)")?,
        first_revoked: p("SELECT q.ord
                          FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS q(target, issuer, ord)
                          WHERE EXISTS (SELECT 1 FROM sessionsig_revocations AS r
                                        WHERE r.target = q.target AND r.issuer = q.issuer)
                          ORDER BY q.ord LIMIT 1")?,
        revocations: p("SELECT issuer,
                               to_char(revoked_at AT TIME ZONE 'UTC',
                                       'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
                               auth_sig
                        FROM sessionsig_revocations WHERE target = $1
                        ORDER BY revoked_at, issuer")?,
        charge: p("INSERT INTO sessionsig_usage_counters AS u (counter, used) VALUES ($1, $3)
                   ON CONFLICT (counter) DO UPDATE SET used = u.used + $3
                   WHERE u.used + $3 <= $2")?,
        release: p("UPDATE sessionsig_usage_counters SET used = GREATEST(used - $2, 0)
                    WHERE counter = $1")?,
        used: p("SELECT used FROM sessionsig_usage_counters WHERE counter = $1")?,
    };
    let backpack = crate::backpack::pg::Statements::prepare(&mut client)?;
    Ok(PgConn {
        client,
        st,
        backpack,
    })
}

/// Create the schema if asked and apply the migrations this build knows and the database has
/// not seen, in one transaction under an advisory lock (so nodes starting together do not
/// race on `CREATE … IF NOT EXISTS`, which is not atomic in PostgreSQL).
fn migrate(client: &mut Client, schema: Option<&str>) -> Result<()> {
    let mut tx = client.transaction().map_err(db)?;
    let lock = format!("sessionsig-store migrate {}", schema.unwrap_or(""));
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext($1)::bigint)",
        &[&lock],
    )
    .map_err(db)?;
    if let Some(s) = schema {
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS \"{s}\""))
            .map_err(db)?;
    }
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS sessionsig_migrations (
             version     integer     PRIMARY KEY,
             description text        NOT NULL,
             applied_at  timestamptz NOT NULL DEFAULT now()
         )",
    )
    .map_err(db)?;
    let current: i32 = tx
        .query_one(
            "SELECT COALESCE(max(version), 0) FROM sessionsig_migrations",
            &[],
        )
        .and_then(|r| r.try_get(0))
        .map_err(db)?;
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.batch_execute(m.postgres).map_err(|e| {
            Error::Store(format!(
                "migration {} ({}): {}",
                m.version,
                m.description,
                describe(&e)
            ))
        })?;
        tx.execute(
            "INSERT INTO sessionsig_migrations (version, description) VALUES ($1, $2)",
            &[&m.version, &m.description],
        )
        .map_err(db)?;
    }
    tx.commit().map_err(db)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        for ok in ["nodes", "_x", "sessionsig_test_12"] {
            check_identifier(ok).unwrap();
        }
        for bad in [
            "",
            "Nodes",
            "9a",
            "a-b",
            "a\"; DROP TABLE x; --",
            &"a".repeat(64),
        ] {
            assert!(check_identifier(bad).is_err(), "{bad}");
        }
    }
}
