//! The data backpack's metadata, in the same database as revocations and `uses` counters:
//! one row per object (owner, path, size, content type, sha-256, etag, modified time and the
//! key of the blob holding its bytes), per-owner used bytes, `max_bytes` traffic counters and
//! the RFC 9421 replay table. Every node sharing the database sees the same backpack.
//!
//! # The commit point
//!
//! Object bytes live in a blob store under a fresh, never reused blob key; a write becomes
//! visible only when [`BackpackStore::commit_put`] switches the object's row to the new key,
//! in one transaction that also checks the caller's precondition (`If-Match`,
//! `If-None-Match: *`) and the owner's quota and updates the owner's used bytes. So a reader
//! sees the old object or the new one, never a mix, and a refused or failed commit changes
//! nothing. The commit returns the key of the blob it replaced, which the caller deletes
//! *after* the commit (a crash in between leaves an unreferenced blob, which
//! [`BackpackStore::referenced_blobs`] lets the blob store's reconciliation find and remove).
//!
//! # Concurrency
//!
//! * SQLite: every write is one `BEGIN IMMEDIATE` transaction, so writers (threads of one
//!   process through the store's writer connection, other processes through SQLite's write
//!   lock) are serialised.
//! * PostgreSQL (READ COMMITTED): a put or delete first locks the owner's usage row
//!   (`SELECT … FOR UPDATE`), so the commits of one owner are serialised and the quota check
//!   reads the latest total; different owners never wait on each other. Traffic reservations
//!   and nonces are single conditional statements (`INSERT … ON CONFLICT DO UPDATE … WHERE`),
//!   which PostgreSQL re-checks on the newest row version after waiting on a concurrent
//!   writer, so concurrent reservations never exceed the limit.
//!
//! # Listing
//!
//! A folder lists its direct objects and its direct sub-folders, merged in byte order of their
//! paths (a sub-folder sorts as its path with the trailing `/`). The cursor is the last path
//! returned, so a page resumes strictly after it: objects inserted or deleted concurrently
//! never make a page repeat or skip an item that existed throughout. Paths compare byte-wise
//! in both databases (`COLLATE "C"` in PostgreSQL).
//!
//! # Error codes
//!
//! [`BackpackError::code`]: `precondition_failed` (HTTP 412), `storage_full` (507),
//! `quota_exhausted` (429), `replayed` (401), `invalid_path` and `invalid_cursor` (400),
//! `store_unavailable` (503).

mod listing;
pub(crate) mod pg;
pub(crate) mod sqlite;

pub use listing::{FolderPage, ListCursor, ListLimit};

use crate::{Backend, SqlStore};
use sessionsig::time::OffsetDateTime;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::fmt;

/// Why a backpack store call was refused or failed. Each variant has a stable code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackpackError {
    /// An `If-Match` / `If-None-Match` precondition did not hold; nothing was changed.
    #[error("precondition failed")]
    PreconditionFailed,
    /// The write would take the owner past their storage quota; nothing was changed.
    #[error("storage full: {needed} bytes needed, {used} of {quota} used")]
    StorageFull {
        /// Bytes the owner uses now.
        used: u64,
        /// The owner's quota.
        quota: u64,
        /// Bytes the owner would use after the write.
        needed: u64,
    },
    /// A traffic reservation would take a counter past its limit; nothing was reserved.
    #[error("traffic cap of {limit} bytes exhausted on {counter}")]
    QuotaExhausted {
        /// The counter that had too little left.
        counter: String,
        /// Its limit.
        limit: u64,
    },
    /// The `(keyid, nonce)` pair was already recorded and has not expired.
    #[error("request signature replayed")]
    Replayed,
    /// An owner or path that is not in the backpack's form (checked again here so no
    /// malformed key reaches the database, whatever the caller validated).
    #[error("invalid path: {0}")]
    InvalidPath(String),
    /// A listing cursor this store did not issue for this folder.
    #[error("invalid cursor")]
    InvalidCursor,
    /// The database failed; the request is refused and nothing is half-done.
    #[error(transparent)]
    Store(#[from] sessionsig::Error),
}

impl BackpackError {
    /// The stable machine-readable code (snake_case, never renamed).
    pub fn code(&self) -> &'static str {
        match self {
            BackpackError::PreconditionFailed => "precondition_failed",
            BackpackError::StorageFull { .. } => "storage_full",
            BackpackError::QuotaExhausted { .. } => "quota_exhausted",
            BackpackError::Replayed => "replayed",
            BackpackError::InvalidPath(_) => "invalid_path",
            BackpackError::InvalidCursor => "invalid_cursor",
            BackpackError::Store(_) => "store_unavailable",
        }
    }
}

/// Results of this module.
pub type BpResult<T> = std::result::Result<T, BackpackError>;

/// One object's metadata, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// The owner's wallet address, lower-case `0x` + 40 hex.
    pub owner: String,
    /// The object's path, starting with `/`, never ending with `/`.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// The `Content-Type` it was written with.
    pub content_type: String,
    /// The sha-256 of its bytes.
    pub digest: [u8; 32],
    /// Its strong `ETag`, quoted, different for every write (derived from the blob key).
    pub etag: String,
    /// When it was written (milliseconds precision), from the writer's clock.
    pub modified: OffsetDateTime,
    /// Where its bytes are in the blob store.
    pub blob_key: String,
}

/// A write to commit: the blob is already complete and durable under `blob_key`.
#[derive(Debug, Clone)]
pub struct NewObject<'a> {
    /// The owner's wallet address, lower-case `0x` + 40 hex.
    pub owner: &'a str,
    /// The object's path.
    pub path: &'a str,
    /// Its size in bytes, as counted while its blob was written.
    pub size: u64,
    /// Its content type.
    pub content_type: &'a str,
    /// Its sha-256, as computed while its blob was written.
    pub digest: [u8; 32],
    /// The fresh blob key its bytes were written under.
    pub blob_key: &'a str,
    /// Now, from the caller's clock.
    pub modified: OffsetDateTime,
}

/// A signed request's replay key, `(keyid, nonce)`, recorded until `expires_at` (the end of
/// the signature's window) in the same transaction as the request's effect.
///
/// Why in the same transaction: a write then costs one durable commit, not two (on SQLite
/// with `synchronous = FULL` each commit is an `fsync`, and the writer is one queue for all
/// connections), and the nonce is used exactly when the effect happens — a request whose
/// commit failed or never ran (a dropped connection, a crash) left nothing to replay. A
/// commit the store *refuses* (precondition, quota) still records the nonce, so a refused
/// request cannot be replayed later, once the circumstances changed, for another answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayNonce {
    /// The request signature's `keyid` (the session key, 64 hex).
    pub keyid: String,
    /// Its `nonce`.
    pub nonce: String,
    /// Until when the pair is kept: a recorded pair past this time may be recorded again.
    pub expires_at: OffsetDateTime,
    /// Now, from the caller's clock.
    pub now: OffsetDateTime,
}

/// A [`ReplayNonce`] as the backends store it.
pub(crate) struct NonceRow<'a> {
    pub(crate) keyid: &'a str,
    pub(crate) nonce: &'a str,
    pub(crate) expires_ms: i64,
    pub(crate) now_ms: i64,
}

impl ReplayNonce {
    fn row(&self) -> NonceRow<'_> {
        NonceRow {
            keyid: &self.keyid,
            nonce: &self.nonce,
            expires_ms: to_ms(self.expires_at),
            now_ms: to_ms(self.now),
        }
    }
}

/// A conditional request's precondition (RFC 9110 §13), checked inside the commit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Precondition {
    /// Unconditional.
    #[default]
    None,
    /// `If-None-Match: *`: only if the object does not exist (create, never replace).
    IfNoneMatchAny,
    /// `If-Match: *`: only if the object exists.
    IfMatchAny,
    /// `If-Match: "a", "b"`: only if the object's current etag is one of these (quoted).
    IfMatch(Vec<String>),
}

impl Precondition {
    /// Whether the precondition holds given the object's current etag (`None`: absent).
    fn holds(&self, current: Option<&str>) -> bool {
        match self {
            Precondition::None => true,
            Precondition::IfNoneMatchAny => current.is_none(),
            Precondition::IfMatchAny => current.is_some(),
            Precondition::IfMatch(tags) => {
                current.is_some_and(|c| tags.iter().any(|t| t.as_str() == c))
            }
        }
    }
}

/// What a committed put did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutCommitted {
    /// `true` if the object did not exist before (HTTP 201), `false` if it was replaced (200).
    pub created: bool,
    /// The blob of the replaced version, for the caller to delete now that nothing refers to
    /// it.
    pub replaced_blob: Option<String>,
    /// The object as now stored.
    pub object: ObjectMeta,
}

/// One `max_bytes` counter and its limit, for [`BackpackStore::reserve_all`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficCap {
    /// The counter's id (one per grant carrying a `max_bytes` caveat).
    pub counter: String,
    /// The grant's cap in bytes.
    pub limit: u64,
}

/// The backpack's metadata operations; implemented by [`SqlStore`] for SQLite and PostgreSQL.
/// Synchronous like the rest of the crate: call it off async worker threads
/// (see [`SqlStore::run_blocking`]).
pub trait BackpackStore: Send + Sync {
    /// Whether a read answers from this machine in a few µs (SQLite: a page-cache lookup in
    /// WAL mode, never waiting on a writer), so that a caller on an async thread may call
    /// [`get_object`](Self::get_object) in place rather than pay the hand-off to the blocking
    /// pool and back, which costs more; `false` for a store across the network (PostgreSQL).
    fn answers_locally(&self) -> bool {
        false
    }

    /// The object at `owner`/`path`, if there is one.
    fn get_object(&self, owner: &str, path: &str) -> BpResult<Option<ObjectMeta>>;

    /// Make `new` the current version of its object, in one transaction: checks `cond`
    /// (else [`BackpackError::PreconditionFailed`]) and, when the write grows the owner's
    /// total, `quota` (else [`BackpackError::StorageFull`]); with `replay`, records the
    /// signed request's nonce in the same transaction (else [`BackpackError::Replayed`]). On
    /// any error the object is unchanged and the caller deletes the new blob; the nonce stays
    /// recorded after a precondition or quota refusal (see [`ReplayNonce`]).
    fn commit_put(
        &self,
        new: &NewObject<'_>,
        cond: &Precondition,
        quota: Option<u64>,
        replay: Option<&ReplayNonce>,
    ) -> BpResult<PutCommitted>;

    /// Delete the object if it exists and `cond` holds; returns it (the caller then deletes
    /// its blob), or `None` when there was none. `replay` as for
    /// [`commit_put`](Self::commit_put): recorded with the delete, and also when there was
    /// nothing to delete or `cond` failed.
    fn delete_object(
        &self,
        owner: &str,
        path: &str,
        cond: &Precondition,
        replay: Option<&ReplayNonce>,
    ) -> BpResult<Option<ObjectMeta>>;

    /// One page of `folder` (a path ending with `/`): its direct objects and direct
    /// sub-folders in byte order, at most `limit` of them together, resuming after `cursor`.
    fn list_folder(
        &self,
        owner: &str,
        folder: &str,
        limit: ListLimit,
        cursor: Option<&ListCursor>,
    ) -> BpResult<FolderPage>;

    /// Bytes the owner's objects take (what the quota is checked against).
    fn used_bytes(&self, owner: &str) -> BpResult<u64>;

    /// Reserve `bytes` of traffic on `counter` capped at `limit`, atomically across every
    /// node sharing the database: all or nothing ([`BackpackError::QuotaExhausted`]).
    fn reserve(&self, counter: &str, bytes: u64, limit: u64) -> BpResult<()> {
        self.reserve_all(
            &[TrafficCap {
                counter: counter.to_owned(),
                limit,
            }],
            bytes,
        )
    }

    /// Reserve `bytes` on every counter of `caps` (a delegation chain's `max_bytes` caveats)
    /// in one transaction: all or none.
    fn reserve_all(&self, caps: &[TrafficCap], bytes: u64) -> BpResult<()>;

    /// Give back `bytes` of a reservation that was not used (an aborted or short transfer);
    /// a counter never goes below zero.
    fn release(&self, counters: &[&str], bytes: u64) -> BpResult<()>;

    /// Bytes reserved so far on `counter`.
    fn traffic_used(&self, counter: &str) -> BpResult<u64>;

    /// Record a request signature's `(keyid, nonce)` until `expires_at`: inserted if absent
    /// (or if the recorded one expired before `now`), else [`BackpackError::Replayed`].
    /// Atomic across nodes: of two concurrent calls with the same pair exactly one succeeds.
    fn record_nonce(
        &self,
        keyid: &str,
        nonce: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> BpResult<()>;

    /// Whether `(keyid, nonce)` is recorded and unexpired at `now`: a read that lets a route
    /// refuse a replay before it spends anything. Not the authoritative answer (two
    /// concurrent requests may both see `false`); the insert with the effect is.
    fn nonce_recorded(&self, keyid: &str, nonce: &str, now: OffsetDateTime) -> BpResult<bool>;

    /// Delete the nonces that expired at or before `now`; returns how many.
    fn gc_nonces(&self, now: OffsetDateTime) -> BpResult<u64>;

    /// Which of `blob_keys` an object refers to (for the blob store's reconciliation).
    fn referenced_blobs(&self, blob_keys: &[String]) -> BpResult<HashSet<String>>;
}

impl BackpackStore for SqlStore {
    fn answers_locally(&self) -> bool {
        matches!(&*self.backend, Backend::Sqlite(_))
    }

    fn get_object(&self, owner: &str, path: &str) -> BpResult<Option<ObjectMeta>> {
        check_owner(owner)?;
        check_object_path(path)?;
        match &*self.backend {
            Backend::Sqlite(b) => sqlite::get_object(b, owner, path),
            Backend::Postgres(b) => pg::get_object(b, owner, path),
        }
    }

    fn commit_put(
        &self,
        new: &NewObject<'_>,
        cond: &Precondition,
        quota: Option<u64>,
        replay: Option<&ReplayNonce>,
    ) -> BpResult<PutCommitted> {
        check_owner(new.owner)?;
        check_object_path(new.path)?;
        let row = Row::new(new)?;
        let replay = replay.map(ReplayNonce::row);
        match &*self.backend {
            Backend::Sqlite(b) => sqlite::commit_put(b, &row, cond, quota, replay.as_ref()),
            Backend::Postgres(b) => pg::commit_put(b, &row, cond, quota, replay.as_ref()),
        }
    }

    fn delete_object(
        &self,
        owner: &str,
        path: &str,
        cond: &Precondition,
        replay: Option<&ReplayNonce>,
    ) -> BpResult<Option<ObjectMeta>> {
        check_owner(owner)?;
        check_object_path(path)?;
        let replay = replay.map(ReplayNonce::row);
        match &*self.backend {
            Backend::Sqlite(b) => sqlite::delete_object(b, owner, path, cond, replay.as_ref()),
            Backend::Postgres(b) => pg::delete_object(b, owner, path, cond, replay.as_ref()),
        }
    }

    fn list_folder(
        &self,
        owner: &str,
        folder: &str,
        limit: ListLimit,
        cursor: Option<&ListCursor>,
    ) -> BpResult<FolderPage> {
        check_owner(owner)?;
        check_folder_path(folder)?;
        let start = listing::start(folder, cursor)?;
        match &*self.backend {
            Backend::Sqlite(b) => sqlite::list_folder(b, owner, folder, limit, start),
            Backend::Postgres(b) => pg::list_folder(b, owner, folder, limit, start),
        }
    }

    fn used_bytes(&self, owner: &str) -> BpResult<u64> {
        check_owner(owner)?;
        let n = match &*self.backend {
            Backend::Sqlite(b) => sqlite::used_bytes(b, owner)?,
            Backend::Postgres(b) => pg::used_bytes(b, owner)?,
        };
        Ok(to_u64(n))
    }

    fn reserve_all(&self, caps: &[TrafficCap], bytes: u64) -> BpResult<()> {
        let caps = normalize_caps(caps);
        let Ok(amount) = i64::try_from(bytes) else {
            // More than any limit can hold: refused against the first (smallest) cap.
            return match caps.first() {
                Some(c) => Err(BackpackError::QuotaExhausted {
                    counter: c.counter.clone(),
                    limit: c.limit,
                }),
                None => Ok(()),
            };
        };
        if caps.is_empty() {
            return Ok(());
        }
        let rows: Vec<(&str, i64)> = caps
            .iter()
            .map(|c| (c.counter.as_str(), clamp_i64(c.limit)))
            .collect();
        let refused = match &*self.backend {
            Backend::Sqlite(b) => sqlite::reserve(b, &rows, amount)?,
            Backend::Postgres(b) => pg::reserve(b, &rows, amount)?,
        };
        match refused.and_then(|i| caps.get(i)) {
            Some(c) => Err(BackpackError::QuotaExhausted {
                counter: c.counter.clone(),
                limit: c.limit,
            }),
            None => Ok(()),
        }
    }

    fn release(&self, counters: &[&str], bytes: u64) -> BpResult<()> {
        let mut counters: Vec<&str> = counters.to_vec();
        counters.sort_unstable();
        counters.dedup();
        if counters.is_empty() || bytes == 0 {
            return Ok(());
        }
        let amount = clamp_i64(bytes);
        match &*self.backend {
            Backend::Sqlite(b) => sqlite::release(b, &counters, amount),
            Backend::Postgres(b) => pg::release(b, &counters, amount),
        }
    }

    fn traffic_used(&self, counter: &str) -> BpResult<u64> {
        let n = match &*self.backend {
            Backend::Sqlite(b) => sqlite::traffic_used(b, counter)?,
            Backend::Postgres(b) => pg::traffic_used(b, counter)?,
        };
        Ok(to_u64(n))
    }

    fn record_nonce(
        &self,
        keyid: &str,
        nonce: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> BpResult<()> {
        let row = NonceRow {
            keyid,
            nonce,
            expires_ms: to_ms(expires_at),
            now_ms: to_ms(now),
        };
        match &*self.backend {
            Backend::Sqlite(b) => sqlite::record_nonce(b, &row),
            Backend::Postgres(b) => pg::record_nonce(b, &row),
        }
    }

    fn nonce_recorded(&self, keyid: &str, nonce: &str, now: OffsetDateTime) -> BpResult<bool> {
        match &*self.backend {
            Backend::Sqlite(b) => sqlite::nonce_recorded(b, keyid, nonce, to_ms(now)),
            Backend::Postgres(b) => pg::nonce_recorded(b, keyid, nonce, to_ms(now)),
        }
    }

    fn gc_nonces(&self, now: OffsetDateTime) -> BpResult<u64> {
        let n = match &*self.backend {
            Backend::Sqlite(b) => sqlite::gc_nonces(b, to_ms(now))?,
            Backend::Postgres(b) => pg::gc_nonces(b, to_ms(now))?,
        };
        Ok(n)
    }

    fn referenced_blobs(&self, blob_keys: &[String]) -> BpResult<HashSet<String>> {
        if blob_keys.is_empty() {
            return Ok(HashSet::new());
        }
        match &*self.backend {
            Backend::Sqlite(b) => sqlite::referenced_blobs(b, blob_keys),
            Backend::Postgres(b) => pg::referenced_blobs(b, blob_keys),
        }
    }
}

/// A [`NewObject`] as the backends store it.
pub(crate) struct Row<'a> {
    pub(crate) owner: &'a str,
    pub(crate) path: &'a str,
    pub(crate) size: i64,
    pub(crate) content_type: &'a str,
    pub(crate) digest: [u8; 32],
    pub(crate) etag: String,
    pub(crate) modified_ms: i64,
    pub(crate) blob_key: &'a str,
}

impl<'a> Row<'a> {
    fn new(o: &NewObject<'a>) -> BpResult<Self> {
        let size = i64::try_from(o.size)
            .map_err(|_| BackpackError::InvalidPath("object size out of range".into()))?;
        if o.blob_key.is_empty() || o.blob_key.len() > 512 {
            return Err(BackpackError::InvalidPath("bad blob key".into()));
        }
        Ok(Row {
            owner: o.owner,
            path: o.path,
            size,
            content_type: o.content_type,
            digest: o.digest,
            etag: etag_for(o.blob_key),
            modified_ms: to_ms(o.modified),
            blob_key: o.blob_key,
        })
    }

    /// The stored object this row becomes.
    pub(crate) fn meta(&self) -> ObjectMeta {
        ObjectMeta {
            owner: self.owner.to_owned(),
            path: self.path.to_owned(),
            size: to_u64(self.size),
            content_type: self.content_type.to_owned(),
            digest: self.digest,
            etag: self.etag.clone(),
            modified: from_ms(self.modified_ms),
            blob_key: self.blob_key.to_owned(),
        }
    }
}

/// The strong ETag of the version stored under `blob_key`: unique per write (blob keys are
/// never reused), and reveals nothing of the key.
fn etag_for(blob_key: &str) -> String {
    let h = Sha256::digest(blob_key.as_bytes());
    let hex: String = h.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// New used-bytes total after replacing `old` bytes by `new`; `Err` if the quota forbids it.
/// A write that does not grow the total is always allowed (so an owner over a lowered quota
/// can still shrink or replace with smaller objects).
pub(crate) fn check_quota(used: i64, old: i64, new: i64, quota: Option<u64>) -> BpResult<i64> {
    let total = used.saturating_sub(old).saturating_add(new).max(0);
    match quota {
        Some(q) if new > old && to_u64(total) > q => Err(BackpackError::StorageFull {
            used: to_u64(used),
            quota: q,
            needed: to_u64(total),
        }),
        _ => Ok(total),
    }
}

/// What a write transaction that carries a request's nonce does with the outcome of its
/// object change: `Ok(outcome)` commits, `Err` rolls back. A success commits; so does the
/// store's own definite refusal (precondition, quota) when there is a nonce to keep — those
/// refusals come before the transaction writes anything but the nonce; any other error
/// (the database's) rolls everything back.
pub(crate) fn settle<T>(replay: bool, outcome: BpResult<T>) -> BpResult<BpResult<T>> {
    match outcome {
        Err(e @ (BackpackError::PreconditionFailed | BackpackError::StorageFull { .. }))
            if replay =>
        {
            Ok(Err(e))
        }
        Err(e) => Err(e),
        Ok(v) => Ok(Ok(v)),
    }
}

/// Counters sorted and merged (a counter named twice is charged once, against the smaller
/// limit), so two multi-counter reservations take their row locks in one order.
fn normalize_caps(caps: &[TrafficCap]) -> Vec<TrafficCap> {
    let mut v: Vec<TrafficCap> = caps.to_vec();
    v.sort_by(|a, b| a.counter.cmp(&b.counter).then(a.limit.cmp(&b.limit)));
    v.dedup_by(|later, first| later.counter == first.counter);
    v
}

fn clamp_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

pub(crate) fn to_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

pub(crate) fn from_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A digest column back into 32 bytes.
pub(crate) fn digest_of(v: Vec<u8>) -> sessionsig::Result<[u8; 32]> {
    <[u8; 32]>::try_from(v.as_slice())
        .map_err(|_| sessionsig::Error::Store("stored digest is not 32 bytes".into()))
}

fn check_owner(owner: &str) -> BpResult<()> {
    let ok = owner.len() == 42
        && owner.starts_with("0x")
        && owner[2..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if ok {
        Ok(())
    } else {
        Err(BackpackError::InvalidPath(
            "the owner must be a lower-case 0x address".into(),
        ))
    }
}

fn check_path_common(path: &str) -> BpResult<()> {
    if !path.starts_with('/') || path.len() > 1024 || path.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err(BackpackError::InvalidPath(
            "a path starts with / and has at most 1024 bytes, no control characters".into(),
        ));
    }
    let body = &path[1..];
    let body = body.strip_suffix('/').unwrap_or(body);
    if body
        .split('/')
        .any(|s| (s.is_empty() && path.len() > 1) || s == "." || s == "..")
    {
        return Err(BackpackError::InvalidPath(
            "empty, `.` and `..` segments are refused".into(),
        ));
    }
    Ok(())
}

fn check_object_path(path: &str) -> BpResult<()> {
    check_path_common(path)?;
    if path.ends_with('/') {
        return Err(BackpackError::InvalidPath(
            "an object path does not end with /".into(),
        ));
    }
    Ok(())
}

fn check_folder_path(path: &str) -> BpResult<()> {
    check_path_common(path)?;
    if !path.ends_with('/') {
        return Err(BackpackError::InvalidPath(
            "a folder path ends with /".into(),
        ));
    }
    Ok(())
}

impl fmt::Display for Precondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Precondition::None => f.write_str("none"),
            Precondition::IfNoneMatchAny => f.write_str("If-None-Match: *"),
            Precondition::IfMatchAny => f.write_str("If-Match: *"),
            Precondition::IfMatch(t) => write!(f, "If-Match: {}", t.join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preconditions() {
        let tag = Some("\"a\"");
        assert!(Precondition::None.holds(None) && Precondition::None.holds(tag));
        assert!(Precondition::IfNoneMatchAny.holds(None));
        assert!(!Precondition::IfNoneMatchAny.holds(tag));
        assert!(Precondition::IfMatchAny.holds(tag) && !Precondition::IfMatchAny.holds(None));
        let m = Precondition::IfMatch(vec!["\"b\"".into(), "\"a\"".into()]);
        assert!(m.holds(tag) && !m.holds(Some("\"c\"")) && !m.holds(None));
    }

    #[test]
    fn quota_allows_shrinking_and_refuses_growth_past_it() {
        assert_eq!(check_quota(90, 10, 20, Some(100)).unwrap(), 100);
        let e = check_quota(90, 10, 21, Some(100)).unwrap_err();
        assert_eq!(e.code(), "storage_full");
        // Over a lowered quota: a smaller replacement still goes through.
        assert_eq!(check_quota(150, 50, 40, Some(100)).unwrap(), 140);
        assert_eq!(check_quota(150, 0, 40, None).unwrap(), 190);
    }

    #[test]
    fn etags_are_quoted_and_differ_per_blob() {
        let (a, b) = (etag_for("k1"), etag_for("k2"));
        assert!(a.starts_with('"') && a.ends_with('"') && a.len() == 34);
        assert_ne!(a, b);
        assert!(!a.contains("k1"));
    }

    #[test]
    fn owners_and_paths_are_checked() {
        check_owner("0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a").unwrap();
        for bad in [
            "",
            "0x19E7e376e7c213b7e7e7e46cc70a5dd086daff2a",
            "0x12",
            "19e7e376e7c213b7e7e7e46cc70a5dd086daff2a00",
        ] {
            assert_eq!(
                check_owner(bad).unwrap_err().code(),
                "invalid_path",
                "{bad}"
            );
        }
        check_object_path("/a/b.txt").unwrap();
        check_folder_path("/").unwrap();
        check_folder_path("/a/b/").unwrap();
        for bad in ["a", "/a/", "//a", "/a//b", "/./a", "/a/..", "/a\0", "/a\nb"] {
            assert!(check_object_path(bad).is_err(), "{bad:?}");
        }
        for bad in ["/a", "//", "/a//", "/../"] {
            assert!(check_folder_path(bad).is_err(), "{bad:?}");
        }
        assert!(check_object_path(&format!("/{}", "a".repeat(1024))).is_err());
    }

    #[test]
    fn caps_are_sorted_and_merged_on_the_smaller_limit() {
        let cap = |c: &str, l| TrafficCap {
            counter: c.into(),
            limit: l,
        };
        let v = normalize_caps(&[cap("b", 5), cap("a", 9), cap("b", 3)]);
        assert_eq!(v, vec![cap("a", 9), cap("b", 3)]);
    }

    #[test]
    fn milliseconds_round_trip() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_000_000).unwrap();
        assert_eq!(from_ms(to_ms(t)), t);
    }
}
