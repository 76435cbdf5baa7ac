//! The backpack's SQL for SQLite: every write is one `BEGIN IMMEDIATE` transaction on the
//! store's writer connection (serialised across threads by its mutex and across processes by
//! SQLite's write lock); reads use the reader pool.

use super::listing::{self, FolderPage, ListLimit, Start};
use super::NonceRow;
use super::{check_quota, digest_of, from_ms, settle, BpResult, ObjectMeta, Precondition, Row};
use super::{BackpackError, PutCommitted};
use crate::sqlite::{db, Sqlite};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::collections::HashSet;

const COLUMNS: &str = "owner, path, size, content_type, digest, etag, modified_ms, blob_key";

fn meta(r: &rusqlite::Row<'_>) -> rusqlite::Result<(ObjectMeta, Vec<u8>)> {
    let size: i64 = r.get(2)?;
    Ok((
        ObjectMeta {
            owner: r.get(0)?,
            path: r.get(1)?,
            size: u64::try_from(size).unwrap_or(0),
            content_type: r.get(3)?,
            digest: [0; 32],
            etag: r.get(5)?,
            modified: from_ms(r.get(6)?),
            blob_key: r.get(7)?,
        },
        r.get(4)?,
    ))
}

fn finish((mut m, digest): (ObjectMeta, Vec<u8>)) -> sessionsig::Result<ObjectMeta> {
    m.digest = digest_of(digest)?;
    Ok(m)
}

fn select_object(
    c: &Connection,
    owner: &str,
    path: &str,
) -> sessionsig::Result<Option<ObjectMeta>> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM sessionsig_backpack_objects WHERE owner = ?1 AND path = ?2"
    ))
    .and_then(|mut s| s.query_row(params![owner, path], meta).optional())
    .map_err(db)?
    .map(finish)
    .transpose()
}

fn used(c: &Connection, owner: &str) -> sessionsig::Result<i64> {
    c.prepare_cached("SELECT used_bytes FROM sessionsig_backpack_usage WHERE owner = ?1")
        .and_then(|mut s| s.query_row(params![owner], |r| r.get(0)).optional())
        .map_err(db)
        .map(|u| u.unwrap_or(0))
}

fn set_used(c: &Connection, owner: &str, total: i64) -> sessionsig::Result<()> {
    c.prepare_cached(
        "INSERT INTO sessionsig_backpack_usage (owner, used_bytes) VALUES (?1, ?2)
         ON CONFLICT (owner) DO UPDATE SET used_bytes = excluded.used_bytes",
    )
    .and_then(|mut s| s.execute(params![owner, total]))
    .map_err(db)?;
    Ok(())
}

/// Run `f` in one write transaction, committed only if it returns `Ok`.
fn write<T>(b: &Sqlite, f: impl FnOnce(&Connection) -> BpResult<T>) -> BpResult<T> {
    let mut conn = b.writer();
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let out = f(&tx)?;
    tx.commit().map_err(db)?;
    Ok(out)
}

pub(crate) fn get_object(b: &Sqlite, owner: &str, path: &str) -> BpResult<Option<ObjectMeta>> {
    Ok(b.read(|c| select_object(c, owner, path))?)
}

pub(crate) fn commit_put(
    b: &Sqlite,
    row: &Row<'_>,
    cond: &Precondition,
    quota: Option<u64>,
    replay: Option<&NonceRow<'_>>,
) -> BpResult<PutCommitted> {
    write(b, |tx| {
        if let Some(r) = replay {
            insert_nonce(tx, r)?;
        }
        settle(replay.is_some(), put_row(tx, row, cond, quota))
    })?
}

fn put_row(
    tx: &Connection,
    row: &Row<'_>,
    cond: &Precondition,
    quota: Option<u64>,
) -> BpResult<PutCommitted> {
    let old = select_object(tx, row.owner, row.path)?;
    if !cond.holds(old.as_ref().map(|o| o.etag.as_str())) {
        return Err(BackpackError::PreconditionFailed);
    }
    let old_size = old
        .as_ref()
        .map_or(0, |o| i64::try_from(o.size).unwrap_or(i64::MAX));
    let total = check_quota(used(tx, row.owner)?, old_size, row.size, quota)?;
    tx.prepare_cached(&format!(
        "INSERT INTO sessionsig_backpack_objects ({COLUMNS})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (owner, path) DO UPDATE SET
             size = excluded.size, content_type = excluded.content_type,
             digest = excluded.digest, etag = excluded.etag,
             modified_ms = excluded.modified_ms, blob_key = excluded.blob_key"
    ))
    .and_then(|mut s| {
        s.execute(params![
            row.owner,
            row.path,
            row.size,
            row.content_type,
            row.digest.as_slice(),
            row.etag,
            row.modified_ms,
            row.blob_key
        ])
    })
    .map_err(db)?;
    set_used(tx, row.owner, total)?;
    Ok(PutCommitted {
        created: old.is_none(),
        replaced_blob: old.map(|o| o.blob_key),
        object: row.meta(),
    })
}

pub(crate) fn delete_object(
    b: &Sqlite,
    owner: &str,
    path: &str,
    cond: &Precondition,
    replay: Option<&NonceRow<'_>>,
) -> BpResult<Option<ObjectMeta>> {
    write(b, |tx| {
        if let Some(r) = replay {
            insert_nonce(tx, r)?;
        }
        settle(replay.is_some(), delete_row(tx, owner, path, cond))
    })?
}

fn delete_row(
    tx: &Connection,
    owner: &str,
    path: &str,
    cond: &Precondition,
) -> BpResult<Option<ObjectMeta>> {
    let old = select_object(tx, owner, path)?;
    if !cond.holds(old.as_ref().map(|o| o.etag.as_str())) {
        return Err(BackpackError::PreconditionFailed);
    }
    let Some(old) = old else {
        return Ok(None);
    };
    tx.prepare_cached("DELETE FROM sessionsig_backpack_objects WHERE owner = ?1 AND path = ?2")
        .and_then(|mut s| s.execute(params![owner, path]))
        .map_err(db)?;
    let size = i64::try_from(old.size).unwrap_or(i64::MAX);
    let total = used(tx, owner)?.saturating_sub(size).max(0);
    set_used(tx, owner, total)?;
    Ok(Some(old))
}

pub(crate) fn list_folder(
    b: &Sqlite,
    owner: &str,
    folder: &str,
    limit: ListLimit,
    start: Start,
) -> BpResult<FolderPage> {
    let page = b.read(|c| {
        // One read transaction: every fetch of the page sees the same snapshot.
        c.execute_batch("BEGIN DEFERRED").map_err(db)?;
        let out = listing::page(folder, limit, start, |pos, end, n| {
            let (op, from) = match pos {
                Start::From(p) => (">=", p),
                Start::After(p) => (">", p),
            };
            let mut s = c
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM sessionsig_backpack_objects
                     WHERE owner = ?1 AND path {op} ?2 AND path < ?3
                     ORDER BY path LIMIT ?4"
                ))
                .map_err(db)?;
            let n = i64::try_from(n).unwrap_or(i64::MAX);
            let rows = s
                .query_map(params![owner, from, end, n], meta)
                .map_err(db)?;
            rows.map(|r| r.map_err(db).and_then(finish)).collect()
        });
        let end = c.execute_batch("COMMIT").map_err(db);
        let page = out?;
        end?;
        Ok(page)
    })?;
    Ok(page)
}

pub(crate) fn used_bytes(b: &Sqlite, owner: &str) -> BpResult<i64> {
    Ok(b.read(|c| used(c, owner))?)
}

/// Reserve `amount` on every counter (sorted, distinct) in one transaction; `Some(i)` (rolled
/// back) if counter `i` has too little left.
pub(crate) fn reserve(b: &Sqlite, caps: &[(&str, i64)], amount: i64) -> BpResult<Option<usize>> {
    let mut conn = b.writer();
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let mut refused = None;
    {
        // The new row is only inserted if the amount fits the limit; an existing row only
        // grows while it stays within it (`used <= limit - amount` cannot overflow).
        let mut s = tx
            .prepare_cached(
                "INSERT INTO sessionsig_backpack_traffic (counter, used)
                 SELECT ?1, ?2 WHERE ?2 <= ?3
                 ON CONFLICT (counter) DO UPDATE SET used = used + ?2 WHERE used <= ?3 - ?2",
            )
            .map_err(db)?;
        for (i, (counter, limit)) in caps.iter().enumerate() {
            if s.execute(params![counter, amount, limit]).map_err(db)? == 0 {
                refused = Some(i);
                break;
            }
        }
    }
    match refused {
        Some(_) => tx.rollback().map_err(db)?,
        None => tx.commit().map_err(db)?,
    }
    Ok(refused)
}

pub(crate) fn release(b: &Sqlite, counters: &[&str], amount: i64) -> BpResult<()> {
    write(b, |tx| {
        let mut s = tx
            .prepare_cached(
                "UPDATE sessionsig_backpack_traffic
                 SET used = CASE WHEN used > ?2 THEN used - ?2 ELSE 0 END WHERE counter = ?1",
            )
            .map_err(db)?;
        for c in counters {
            s.execute(params![c, amount]).map_err(db)?;
        }
        Ok(())
    })
}

pub(crate) fn traffic_used(b: &Sqlite, counter: &str) -> BpResult<i64> {
    Ok(b.read(|c| {
        c.prepare_cached("SELECT used FROM sessionsig_backpack_traffic WHERE counter = ?1")
            .and_then(|mut s| s.query_row(params![counter], |r| r.get(0)).optional())
            .map_err(db)
            .map(|u| u.unwrap_or(0))
    })?)
}

/// `true` if the pair was recorded (absent, or its earlier record had expired).
pub(crate) fn record_nonce(b: &Sqlite, r: &NonceRow<'_>) -> BpResult<()> {
    write(b, |tx| insert_nonce(tx, r))
}

/// Insert the pair (or take over an expired one); [`BackpackError::Replayed`] when it is
/// recorded and unexpired.
fn insert_nonce(tx: &Connection, r: &NonceRow<'_>) -> BpResult<()> {
    let n = tx
        .prepare_cached(
            "INSERT INTO sessionsig_backpack_nonces (keyid, nonce, expires_at_ms)
             VALUES (?1, ?2, ?3)
             ON CONFLICT (keyid, nonce) DO UPDATE SET expires_at_ms = excluded.expires_at_ms
             WHERE sessionsig_backpack_nonces.expires_at_ms <= ?4",
        )
        .and_then(|mut s| s.execute(params![r.keyid, r.nonce, r.expires_ms, r.now_ms]))
        .map_err(db)?;
    if n == 1 {
        Ok(())
    } else {
        Err(BackpackError::Replayed)
    }
}

pub(crate) fn nonce_recorded(b: &Sqlite, keyid: &str, nonce: &str, now_ms: i64) -> BpResult<bool> {
    Ok(b.read(|c| {
        c.prepare_cached(
            "SELECT 1 FROM sessionsig_backpack_nonces
             WHERE keyid = ?1 AND nonce = ?2 AND expires_at_ms > ?3",
        )
        .and_then(|mut s| s.exists(params![keyid, nonce, now_ms]))
        .map_err(db)
    })?)
}

pub(crate) fn gc_nonces(b: &Sqlite, now_ms: i64) -> BpResult<u64> {
    write(b, |tx| {
        let n = tx
            .prepare_cached("DELETE FROM sessionsig_backpack_nonces WHERE expires_at_ms <= ?1")
            .and_then(|mut s| s.execute(params![now_ms]))
            .map_err(db)?;
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    })
}

pub(crate) fn referenced_blobs(b: &Sqlite, keys: &[String]) -> BpResult<HashSet<String>> {
    let json = serde_json::to_string(keys)
        .map_err(|e| sessionsig::Error::Store(format!("sqlite: cannot encode the query: {e}")))?;
    Ok(b.read(|c| {
        let mut s = c
            .prepare_cached(
                "SELECT o.blob_key FROM json_each(?1) AS j
                 JOIN sessionsig_backpack_objects AS o ON o.blob_key = j.value",
            )
            .map_err(db)?;
        let rows = s.query_map(params![json], |r| r.get(0)).map_err(db)?;
        rows.collect::<rusqlite::Result<HashSet<String>>>()
            .map_err(db)
    })?)
}
