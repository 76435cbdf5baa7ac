//! Objects: the blob store and the metadata store put together, so that a write is visible
//! completely or not at all, on every node, whatever happens to the node writing it.
//!
//! # Crash safety: why a SIGKILL at any point leaves the old object or the new one
//!
//! A put runs four steps, each durable before the next starts:
//!
//! 1. the body streams into a blob under a **fresh** key (never an existing one), hashed and
//!    counted on the way; length and `Content-Digest` are checked *before* the blob is
//!    completed (local disk: staging file, `fsync`, `link`/`rename`, directory `fsync`; S3:
//!    `CompleteMultipartUpload` or a single `PUT`, both atomic);
//! 2. the metadata commit — one database transaction, durable on return (SQLite WAL with
//!    `synchronous = FULL`, PostgreSQL `synchronous_commit = on`) — checks the precondition
//!    and the quota, records the signed request's replay nonce, and switches the object's row
//!    to the new blob key: **the only commit point**;
//! 3. the replaced blob, which no row refers to any more, is deleted;
//! 4. (later) reconciliation deletes whatever blob is unreferenced and old enough.
//!
//! Killed before step 2 commits: the row still names the old blob, which is untouched — the
//! old object, whole. Killed after it: the row names the new blob, complete since step 1 —
//! the new object, whole. Readers only ever reach bytes through a row, so they see one or the
//! other, never a torn or half-visible object. What a kill can leave behind is only garbage: a
//! staging file or an unreferenced new blob (before 2), or the unreferenced old blob (between
//! 2 and 3); [`Objects::reconcile`] removes it at the next start, after the grace period that
//! protects the uploads still in flight on other nodes (see [`crate::blobs::BlobStore::reconcile`]).
//! So after a restart the metadata agrees with the bytes: every listed object can be read and
//! its bytes have its digest.
//!
//! A delete removes the row first (the commit point), then the blob. A failed commit whose
//! outcome is unknown (the database connection died) leaves the new blob in place: it may be
//! referenced, and if it is not, reconciliation removes it.

use crate::blobs::{BlobError, BlobKey, BlobRead, BlobStore, PutCheck, ReconcileReport};
use bytes::Bytes;
use futures_util::Stream;
use sessionsig::time::{Clock, Duration};
use sessionsig_store::backpack::{
    BackpackError, BackpackStore, FolderPage, ListCursor, ListLimit, NewObject, ObjectMeta,
    Precondition, PutCommitted, ReplayNonce,
};
use std::ops::Range;
use std::sync::Arc;

/// Why an object operation failed; each variant has a stable code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ObjectError {
    /// No object at this path (HTTP 404).
    #[error("no such object")]
    NotFound,
    /// The upload took so long that its blob may already count as garbage; nothing was
    /// committed (retry).
    #[error("the upload took longer than the grace period allows")]
    UploadTooSlow,
    /// The bytes side failed or refused (digest, size, range, backend).
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// The metadata side failed or refused (precondition, quota, database).
    #[error(transparent)]
    Meta(#[from] BackpackError),
}

impl ObjectError {
    /// The stable machine-readable code (snake_case, never renamed).
    pub fn code(&self) -> &'static str {
        match self {
            ObjectError::NotFound => "not_found",
            ObjectError::UploadTooSlow => "upload_too_slow",
            ObjectError::Blob(e) => e.code(),
            ObjectError::Meta(e) => e.code(),
        }
    }
}

/// The node's storage settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectSettings {
    /// Bytes each owner may store (`storage_full` past it); `None`: unlimited.
    pub owner_quota: Option<u64>,
    /// The largest object the node accepts (`too_large`); `None`: unlimited.
    pub max_object_bytes: Option<u64>,
    /// How old an unreferenced blob must be before reconciliation deletes it; an upload must
    /// commit within half of it. Longer than the slowest upload you accept.
    pub grace: Duration,
}

impl Default for ObjectSettings {
    fn default() -> Self {
        ObjectSettings {
            owner_quota: None,
            max_object_bytes: None,
            grace: Duration::hours(6),
        }
    }
}

/// One object write.
#[derive(Debug, Clone)]
pub struct PutObject<'a> {
    /// The owner's lower-case `0x` address.
    pub owner: &'a str,
    /// The object's path (validated by the caller).
    pub path: &'a str,
    /// Its `Content-Type`.
    pub content_type: &'a str,
    /// Length, size limit (combined with the node's) and digest the body must satisfy.
    pub check: PutCheck,
    /// `If-Match` / `If-None-Match`.
    pub cond: Precondition,
    /// The signed request's nonce, recorded with the commit (see [`ReplayNonce`]).
    pub replay: Option<ReplayNonce>,
}

/// Objects of every owner: bytes in a [`BlobStore`], metadata in a [`BackpackStore`].
/// Cheap to clone.
#[derive(Clone)]
pub struct Objects {
    blobs: BlobStore,
    meta: Arc<dyn BackpackStore>,
    clock: Arc<dyn Clock>,
    settings: ObjectSettings,
}

impl std::fmt::Debug for Objects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Objects")
            .field("blobs", &self.blobs)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Objects {
    /// Put the two stores together.
    pub fn new(
        blobs: BlobStore,
        meta: Arc<dyn BackpackStore>,
        clock: Arc<dyn Clock>,
        settings: ObjectSettings,
    ) -> Objects {
        Objects {
            blobs,
            meta,
            clock,
            settings,
        }
    }

    /// The blob store (for reads and cleanup the routes do themselves).
    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    /// The metadata store.
    pub fn meta(&self) -> &Arc<dyn BackpackStore> {
        &self.meta
    }

    /// Write an object from a stream of chunks (see the module docs for the steps). Returns
    /// the commit (created or replaced, and the stored metadata).
    pub async fn put<S, E>(&self, req: &PutObject<'_>, body: S) -> Result<PutCommitted, ObjectError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: std::fmt::Display,
    {
        let mut check = req.check.clone();
        check.max_len = match (check.max_len, self.settings.max_object_bytes) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let blob = self.blobs.put(body, &check, self.clock.now()).await?;
        if self.clock.now() - blob.key.created() > self.settings.grace / 2 {
            let _ = self.blobs.delete(&blob.key).await;
            return Err(ObjectError::UploadTooSlow);
        }
        let meta = Arc::clone(&self.meta);
        let (owner, path, ctype) = (
            req.owner.to_owned(),
            req.path.to_owned(),
            req.content_type.to_owned(),
        );
        let (cond, quota, key, replay) = (
            req.cond.clone(),
            self.settings.owner_quota,
            blob.key.clone(),
            req.replay.clone(),
        );
        let modified = self.clock.now();
        let committed = blocking(move || {
            meta.commit_put(
                &NewObject {
                    owner: &owner,
                    path: &path,
                    size: blob.size,
                    content_type: &ctype,
                    digest: blob.sha256,
                    blob_key: key.as_str(),
                    modified,
                },
                &cond,
                quota,
                replay.as_ref(),
            )
        })
        .await;
        match committed {
            Ok(c) => {
                if let Some(old) = c
                    .replaced_blob
                    .as_deref()
                    .and_then(|k| BlobKey::parse(k).ok())
                {
                    // Best effort: reconciliation deletes it if this fails or the node dies.
                    let _ = self.blobs.delete(&old).await;
                }
                Ok(c)
            }
            // A definite refusal: nothing refers to the new blob.
            Err(
                e @ (BackpackError::PreconditionFailed
                | BackpackError::StorageFull { .. }
                | BackpackError::Replayed
                | BackpackError::InvalidPath(_)),
            ) => {
                let _ = self.blobs.delete(&blob.key).await;
                Err(e.into())
            }
            // Unknown outcome (the commit may have happened): leave the blob to reconciliation.
            Err(e) => Err(e.into()),
        }
    }

    /// The object's metadata and its bytes (or the byte `range` of them).
    pub async fn get(
        &self,
        owner: &str,
        path: &str,
        range: Option<Range<u64>>,
    ) -> Result<(ObjectMeta, BlobRead), ObjectError> {
        let meta = self.head(owner, path).await?;
        self.open(meta, range).await
    }

    /// The bytes (or the byte `range`) of the object as `meta`, just read, describes it. If
    /// the object was replaced or deleted in between (its blob is gone), its metadata is read
    /// again, up to three times: the answer is always one whole version with its own metadata.
    pub async fn open(
        &self,
        mut meta: ObjectMeta,
        range: Option<Range<u64>>,
    ) -> Result<(ObjectMeta, BlobRead), ObjectError> {
        for attempt in 0..3 {
            if attempt > 0 {
                meta = self.head(&meta.owner, &meta.path).await?;
            }
            let key = BlobKey::parse(&meta.blob_key)?;
            match self.blobs.get(&key, range.clone()).await {
                Ok(r) => return Ok((meta, r)),
                Err(BlobError::NotFound) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ObjectError::Blob(BlobError::NotFound))
    }

    /// The object's metadata: read in place when the metadata store answers locally (SQLite),
    /// else on the blocking pool.
    pub async fn head(&self, owner: &str, path: &str) -> Result<ObjectMeta, ObjectError> {
        let found = if self.meta.answers_locally() {
            self.meta.get_object(owner, path)?
        } else {
            let meta = Arc::clone(&self.meta);
            let (o, p) = (owner.to_owned(), path.to_owned());
            blocking(move || meta.get_object(&o, &p)).await?
        };
        found.ok_or(ObjectError::NotFound)
    }

    /// Delete the object (if `cond` holds), then its blob; `replay` is recorded with the
    /// delete (see [`ReplayNonce`]).
    pub async fn delete(
        &self,
        owner: &str,
        path: &str,
        cond: &Precondition,
        replay: Option<ReplayNonce>,
    ) -> Result<ObjectMeta, ObjectError> {
        let meta = Arc::clone(&self.meta);
        let (o, p, c) = (owner.to_owned(), path.to_owned(), cond.clone());
        let gone = blocking(move || meta.delete_object(&o, &p, &c, replay.as_ref()))
            .await?
            .ok_or(ObjectError::NotFound)?;
        if let Ok(key) = BlobKey::parse(&gone.blob_key) {
            let _ = self.blobs.delete(&key).await;
        }
        Ok(gone)
    }

    /// One page of a folder's direct objects and sub-folders (see
    /// [`BackpackStore::list_folder`]).
    pub async fn list(
        &self,
        owner: &str,
        folder: &str,
        limit: ListLimit,
        cursor: Option<ListCursor>,
    ) -> Result<FolderPage, ObjectError> {
        let meta = Arc::clone(&self.meta);
        let (o, f) = (owner.to_owned(), folder.to_owned());
        Ok(blocking(move || meta.list_folder(&o, &f, limit, cursor.as_ref())).await?)
    }

    /// Delete unreferenced blobs and staging files older than the grace period: run at
    /// startup (and now and then).
    pub async fn reconcile(&self) -> Result<ReconcileReport, ObjectError> {
        Ok(self
            .blobs
            .reconcile(
                Arc::clone(&self.meta),
                self.settings.grace,
                self.clock.now(),
            )
            .await?)
    }
}

/// Run a synchronous metadata call on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, BackpackError> + Send + 'static,
) -> Result<T, BackpackError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        BackpackError::Store(sessionsig::Error::Store(format!("metadata task: {e}")))
    })?
}
