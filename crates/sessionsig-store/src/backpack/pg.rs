//! The backpack's SQL for PostgreSQL: statements prepared once per connection; a put or
//! delete locks the owner's usage row first, so the commits of one owner are serialised and
//! see each other's totals (READ COMMITTED, as every connection of the store).

use super::listing::{self, FolderPage, ListLimit, Start};
use super::NonceRow;
use super::{check_quota, digest_of, from_ms, settle, BpResult, ObjectMeta, Precondition, Row};
use super::{BackpackError, PutCommitted};
use crate::pg::{db, PgConn, Postgres};
use postgres::{Client, GenericClient, IsolationLevel, Statement};
use std::collections::HashSet;

const COLUMNS: &str = "owner, path, size, content_type, digest, etag, modified_ms, blob_key";

/// The backpack's prepared statements of one connection.
pub(crate) struct Statements {
    get: Statement,
    get_for_update: Statement,
    lock_usage: Statement,
    seed_usage: Statement,
    set_usage: Statement,
    upsert: Statement,
    delete: Statement,
    list_from: Statement,
    list_after: Statement,
    used: Statement,
    reserve: Statement,
    release: Statement,
    traffic_used: Statement,
    nonce: Statement,
    nonce_seen: Statement,
    gc_nonces: Statement,
    referenced: Statement,
}

impl Statements {
    /// Prepare them on a fresh connection (after the migrations ran).
    pub(crate) fn prepare(client: &mut Client) -> sessionsig::Result<Statements> {
        let mut p = |sql: String| client.prepare(&sql).map_err(db);
        Ok(Statements {
            get: p(format!(
                "SELECT {COLUMNS} FROM sessionsig_backpack_objects WHERE owner = $1 AND path = $2"
            ))?,
            get_for_update: p(format!(
                "SELECT {COLUMNS} FROM sessionsig_backpack_objects
                 WHERE owner = $1 AND path = $2 FOR UPDATE"
            ))?,
            seed_usage: p("INSERT INTO sessionsig_backpack_usage (owner, used_bytes) VALUES ($1, 0)
                           ON CONFLICT (owner) DO NOTHING"
                .into())?,
            lock_usage: p(
                "SELECT used_bytes FROM sessionsig_backpack_usage WHERE owner = $1 FOR UPDATE"
                    .into(),
            )?,
            set_usage: p(
                "UPDATE sessionsig_backpack_usage SET used_bytes = $2 WHERE owner = $1".into(),
            )?,
            upsert: p(format!(
                "INSERT INTO sessionsig_backpack_objects ({COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (owner, path) DO UPDATE SET
                     size = excluded.size, content_type = excluded.content_type,
                     digest = excluded.digest, etag = excluded.etag,
                     modified_ms = excluded.modified_ms, blob_key = excluded.blob_key"
            ))?,
            delete: p(
                "DELETE FROM sessionsig_backpack_objects WHERE owner = $1 AND path = $2".into(),
            )?,
            list_from: p(format!(
                "SELECT {COLUMNS} FROM sessionsig_backpack_objects
                 WHERE owner = $1 AND path >= $2 AND path < $3 ORDER BY path LIMIT $4"
            ))?,
            list_after: p(format!(
                "SELECT {COLUMNS} FROM sessionsig_backpack_objects
                 WHERE owner = $1 AND path > $2 AND path < $3 ORDER BY path LIMIT $4"
            ))?,
            used: p("SELECT used_bytes FROM sessionsig_backpack_usage WHERE owner = $1".into())?,
            // The new row only if the amount fits; an existing row only while it stays within
            // the limit (`used <= limit - amount` cannot overflow: amount <= limit there).
            reserve: p("INSERT INTO sessionsig_backpack_traffic AS t (counter, used)
                        SELECT $1::text, $2::bigint WHERE $2::bigint <= $3::bigint
                        ON CONFLICT (counter) DO UPDATE SET used = t.used + $2::bigint
                        WHERE t.used <= $3::bigint - $2::bigint"
                .into())?,
            release: p("UPDATE sessionsig_backpack_traffic SET used = GREATEST(used - $2, 0)
                        WHERE counter = $1"
                .into())?,
            traffic_used: p(
                "SELECT used FROM sessionsig_backpack_traffic WHERE counter = $1".into(),
            )?,
            nonce: p("INSERT INTO sessionsig_backpack_nonces AS n (keyid, nonce, expires_at_ms)
                      VALUES ($1, $2, $3)
                      ON CONFLICT (keyid, nonce) DO UPDATE SET expires_at_ms = excluded.expires_at_ms
                      WHERE n.expires_at_ms <= $4"
                .into())?,
            nonce_seen: p("SELECT 1 FROM sessionsig_backpack_nonces
                           WHERE keyid = $1 AND nonce = $2 AND expires_at_ms > $3"
                .into())?,
            gc_nonces: p(
                "DELETE FROM sessionsig_backpack_nonces WHERE expires_at_ms <= $1".into(),
            )?,
            referenced: p("SELECT blob_key FROM sessionsig_backpack_objects
                           WHERE blob_key = ANY($1::text[])"
                .into())?,
        })
    }
}

fn meta(r: &postgres::Row) -> sessionsig::Result<ObjectMeta> {
    let size: i64 = r.try_get(2).map_err(db)?;
    Ok(ObjectMeta {
        owner: r.try_get(0).map_err(db)?,
        path: r.try_get(1).map_err(db)?,
        size: u64::try_from(size).unwrap_or(0),
        content_type: r.try_get(3).map_err(db)?,
        digest: digest_of(r.try_get(4).map_err(db)?)?,
        etag: r.try_get(5).map_err(db)?,
        modified: from_ms(r.try_get(6).map_err(db)?),
        blob_key: r.try_get(7).map_err(db)?,
    })
}

/// Lock the owner's usage row (creating it at 0) and read it: the commits of one owner queue
/// here.
fn lock_owner(
    tx: &mut impl GenericClient,
    st: &Statements,
    owner: &str,
) -> sessionsig::Result<i64> {
    tx.execute(&st.seed_usage, &[&owner]).map_err(db)?;
    tx.query_one(&st.lock_usage, &[&owner])
        .and_then(|r| r.try_get(0))
        .map_err(db)
}

pub(crate) fn get_object(b: &Postgres, owner: &str, path: &str) -> BpResult<Option<ObjectMeta>> {
    Ok(b.pool.with_retry(|c| {
        c.client
            .query_opt(&c.backpack.get, &[&owner, &path])
            .map_err(db)?
            .map(|r| meta(&r))
            .transpose()
    })?)
}

/// Run `f` in a transaction on one connection; committed only if it returns `Ok`. Never
/// retried: a commit may have happened before a connection died.
fn write<T>(
    b: &Postgres,
    f: impl FnOnce(&mut postgres::Transaction<'_>, &Statements) -> BpResult<T>,
) -> BpResult<T> {
    let mut out = None;
    b.pool.with(|c: &mut PgConn| {
        let mut tx = c.client.transaction().map_err(db)?;
        let r = f(&mut tx, &c.backpack);
        if r.is_ok() {
            tx.commit().map_err(db)?;
        } else {
            tx.rollback().map_err(db)?;
        }
        out = Some(r);
        Ok(())
    })?;
    out.unwrap_or_else(|| Err(sessionsig::Error::Store("postgres: no result".into()).into()))
}

pub(crate) fn commit_put(
    b: &Postgres,
    row: &Row<'_>,
    cond: &Precondition,
    quota: Option<u64>,
    replay: Option<&NonceRow<'_>>,
) -> BpResult<PutCommitted> {
    write(b, |tx, st| {
        if let Some(r) = replay {
            insert_nonce(tx, st, r)?;
        }
        settle(replay.is_some(), put_row(tx, st, row, cond, quota))
    })?
}

fn put_row(
    tx: &mut postgres::Transaction<'_>,
    st: &Statements,
    row: &Row<'_>,
    cond: &Precondition,
    quota: Option<u64>,
) -> BpResult<PutCommitted> {
    let used = lock_owner(tx, st, row.owner)?;
    let old = tx
        .query_opt(&st.get_for_update, &[&row.owner, &row.path])
        .map_err(db)?
        .map(|r| meta(&r))
        .transpose()?;
    if !cond.holds(old.as_ref().map(|o| o.etag.as_str())) {
        return Err(BackpackError::PreconditionFailed);
    }
    let old_size = old
        .as_ref()
        .map_or(0, |o| i64::try_from(o.size).unwrap_or(i64::MAX));
    let total = check_quota(used, old_size, row.size, quota)?;
    tx.execute(
        &st.upsert,
        &[
            &row.owner,
            &row.path,
            &row.size,
            &row.content_type,
            &row.digest.as_slice(),
            &row.etag,
            &row.modified_ms,
            &row.blob_key,
        ],
    )
    .map_err(db)?;
    tx.execute(&st.set_usage, &[&row.owner, &total])
        .map_err(db)?;
    Ok(PutCommitted {
        created: old.is_none(),
        replaced_blob: old.map(|o| o.blob_key),
        object: row.meta(),
    })
}

pub(crate) fn delete_object(
    b: &Postgres,
    owner: &str,
    path: &str,
    cond: &Precondition,
    replay: Option<&NonceRow<'_>>,
) -> BpResult<Option<ObjectMeta>> {
    write(b, |tx, st| {
        if let Some(r) = replay {
            insert_nonce(tx, st, r)?;
        }
        settle(replay.is_some(), delete_row(tx, st, owner, path, cond))
    })?
}

fn delete_row(
    tx: &mut postgres::Transaction<'_>,
    st: &Statements,
    owner: &str,
    path: &str,
    cond: &Precondition,
) -> BpResult<Option<ObjectMeta>> {
    let used = lock_owner(tx, st, owner)?;
    let old = tx
        .query_opt(&st.get_for_update, &[&owner, &path])
        .map_err(db)?
        .map(|r| meta(&r))
        .transpose()?;
    if !cond.holds(old.as_ref().map(|o| o.etag.as_str())) {
        return Err(BackpackError::PreconditionFailed);
    }
    let Some(old) = old else {
        return Ok(None);
    };
    tx.execute(&st.delete, &[&owner, &path]).map_err(db)?;
    let size = i64::try_from(old.size).unwrap_or(i64::MAX);
    let total = used.saturating_sub(size).max(0);
    tx.execute(&st.set_usage, &[&owner, &total]).map_err(db)?;
    Ok(Some(old))
}

pub(crate) fn list_folder(
    b: &Postgres,
    owner: &str,
    folder: &str,
    limit: ListLimit,
    start: Start,
) -> BpResult<FolderPage> {
    Ok(b.pool.with_retry(|c| {
        // One snapshot for every fetch of the page.
        let mut tx = c
            .client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(db)?;
        let st = &c.backpack;
        let page = listing::page(folder, limit, start.clone(), |pos, end, n| {
            let (stmt, from) = match pos {
                Start::From(p) => (&st.list_from, p),
                Start::After(p) => (&st.list_after, p),
            };
            let n = i64::try_from(n).unwrap_or(i64::MAX);
            tx.query(stmt, &[&owner, from, &end, &n])
                .map_err(db)?
                .iter()
                .map(meta)
                .collect()
        })?;
        tx.commit().map_err(db)?;
        Ok(page)
    })?)
}

pub(crate) fn used_bytes(b: &Postgres, owner: &str) -> BpResult<i64> {
    Ok(b.pool.with_retry(|c| {
        c.client
            .query_opt(&c.backpack.used, &[&owner])
            .map_err(db)?
            .map(|r| r.try_get(0).map_err(db))
            .transpose()
            .map(|u| u.unwrap_or(0))
    })?)
}

/// Reserve `amount` on every counter (sorted, distinct) in one transaction (one autocommit
/// statement for a single counter); `Some(i)` (rolled back) if counter `i` has too little
/// left. Never retried.
pub(crate) fn reserve(b: &Postgres, caps: &[(&str, i64)], amount: i64) -> BpResult<Option<usize>> {
    Ok(b.pool.with(|c| {
        if let [(counter, limit)] = caps {
            let n = c
                .client
                .execute(&c.backpack.reserve, &[counter, &amount, limit])
                .map_err(db)?;
            return Ok((n == 0).then_some(0));
        }
        let mut tx = c.client.transaction().map_err(db)?;
        for (i, (counter, limit)) in caps.iter().enumerate() {
            if tx
                .execute(&c.backpack.reserve, &[counter, &amount, limit])
                .map_err(db)?
                == 0
            {
                tx.rollback().map_err(db)?;
                return Ok(Some(i));
            }
        }
        tx.commit().map_err(db)?;
        Ok(None)
    })?)
}

pub(crate) fn release(b: &Postgres, counters: &[&str], amount: i64) -> BpResult<()> {
    Ok(b.pool.with(|c| {
        let mut tx = c.client.transaction().map_err(db)?;
        for counter in counters {
            tx.execute(&c.backpack.release, &[counter, &amount])
                .map_err(db)?;
        }
        tx.commit().map_err(db)
    })?)
}

pub(crate) fn traffic_used(b: &Postgres, counter: &str) -> BpResult<i64> {
    Ok(b.pool.with_retry(|c| {
        c.client
            .query_opt(&c.backpack.traffic_used, &[&counter])
            .map_err(db)?
            .map(|r| r.try_get(0).map_err(db))
            .transpose()
            .map(|u| u.unwrap_or(0))
    })?)
}

/// `true` if the pair was recorded. Never retried (a retry after a lost acknowledgement would
/// report a replay of our own insert).
pub(crate) fn record_nonce(b: &Postgres, r: &NonceRow<'_>) -> BpResult<()> {
    let mut out = None;
    b.pool.with(|c: &mut PgConn| {
        out = Some(insert_nonce(&mut c.client, &c.backpack, r));
        Ok(())
    })?;
    out.unwrap_or_else(|| Err(sessionsig::Error::Store("postgres: no result".into()).into()))
}

/// Insert the pair (or take over an expired one); [`BackpackError::Replayed`] when it is
/// recorded and unexpired. One conditional statement, so of two concurrent inserts of one
/// pair exactly one counts.
fn insert_nonce(c: &mut impl GenericClient, st: &Statements, r: &NonceRow<'_>) -> BpResult<()> {
    let n = c
        .execute(&st.nonce, &[&r.keyid, &r.nonce, &r.expires_ms, &r.now_ms])
        .map_err(db)?;
    if n == 1 {
        Ok(())
    } else {
        Err(BackpackError::Replayed)
    }
}

pub(crate) fn nonce_recorded(
    b: &Postgres,
    keyid: &str,
    nonce: &str,
    now_ms: i64,
) -> BpResult<bool> {
    Ok(b.pool.with_retry(|c| {
        c.client
            .query_opt(&c.backpack.nonce_seen, &[&keyid, &nonce, &now_ms])
            .map(|r| r.is_some())
            .map_err(db)
    })?)
}

pub(crate) fn gc_nonces(b: &Postgres, now_ms: i64) -> BpResult<u64> {
    Ok(b.pool.with_retry(|c| {
        c.client
            .execute(&c.backpack.gc_nonces, &[&now_ms])
            .map_err(db)
    })?)
}

pub(crate) fn referenced_blobs(b: &Postgres, keys: &[String]) -> BpResult<HashSet<String>> {
    Ok(b.pool.with_retry(|c| {
        c.client
            .query(&c.backpack.referenced, &[&keys])
            .map_err(db)?
            .iter()
            .map(|r| r.try_get(0).map_err(db))
            .collect()
    })?)
}
