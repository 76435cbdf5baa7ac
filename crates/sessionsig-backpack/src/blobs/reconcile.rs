//! Startup (and periodic) cleanup: delete blobs no object refers to, and staging files of
//! uploads cut off by a crash, once they are older than a grace period.
//!
//! Why the grace period makes this safe while other nodes keep writing: a blob is written
//! *before* the commit that makes an object refer to it, so a blob of an upload in flight is
//! unreferenced for as long as the upload lasts. Reconciliation only considers blobs whose
//! upload started (the time in the key, and the backend's modification time, whichever is
//! later) more than `grace` ago, and the commit path ([`crate::objects`]) refuses to commit a
//! blob whose upload started more than `grace / 2` ago. So a blob that reconciliation finds
//! unreferenced is either garbage or belongs to an upload that can no longer commit it — as
//! long as the nodes' clocks agree within `grace / 2` and a commit transaction takes less.

use super::{BlobError, BlobKey, BlobStore};
use futures_util::StreamExt;
use object_store::ObjectStore as _;
use sessionsig::time::{Duration, OffsetDateTime};
use sessionsig_store::backpack::BackpackStore;
use std::sync::Arc;

/// How many listed blobs are checked against the metadata in one query.
const BATCH: usize = 500;

/// What a reconciliation found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Blobs listed.
    pub scanned: u64,
    /// Blobs left alone because they are younger than the grace period.
    pub young: u64,
    /// Blobs an object refers to.
    pub referenced: u64,
    /// Unreferenced blobs deleted.
    pub deleted: Vec<BlobKey>,
    /// Staging files of interrupted local uploads removed.
    pub staging_removed: u64,
    /// Files under the prefix that are not blobs of this store (left alone).
    pub foreign: u64,
}

impl BlobStore {
    /// Delete every blob older than `grace` that no object in `meta` refers to, and (local
    /// disk) staging files older than `grace`. `now` is the caller's clock.
    pub async fn reconcile(
        &self,
        meta: Arc<dyn BackpackStore>,
        grace: Duration,
        now: OffsetDateTime,
    ) -> Result<ReconcileReport, BlobError> {
        let mut report = ReconcileReport::default();
        let prefix = (!self.prefix.as_ref().is_empty()).then_some(&self.prefix);
        let mut listing = self.store.list(prefix);
        let mut batch: Vec<BlobKey> = Vec::new();
        while let Some(item) = listing.next().await {
            let item = item?;
            report.scanned += 1;
            let key = item
                .location
                .filename()
                .and_then(|f| BlobKey::parse(f).ok())
                .filter(|k| self.location(k) == item.location);
            let Some(key) = key else {
                report.foreign += 1;
                continue;
            };
            let modified = OffsetDateTime::from_unix_timestamp(item.last_modified.timestamp())
                .unwrap_or(OffsetDateTime::UNIX_EPOCH);
            let born = key.created().max(modified);
            if now - born < grace {
                report.young += 1;
                continue;
            }
            batch.push(key);
            if batch.len() >= BATCH {
                self.sweep(&meta, std::mem::take(&mut batch), &mut report)
                    .await?;
            }
        }
        self.sweep(&meta, batch, &mut report).await?;
        if let Some(root) = self.local_root.clone() {
            report.staging_removed =
                tokio::task::spawn_blocking(move || sweep_staging(&root, grace, now))
                    .await
                    .map_err(|e| BlobError::Backend(format!("staging sweep: {e}")))??;
        }
        Ok(report)
    }

    /// Delete the blobs of `batch` that no object refers to.
    async fn sweep(
        &self,
        meta: &Arc<dyn BackpackStore>,
        batch: Vec<BlobKey>,
        report: &mut ReconcileReport,
    ) -> Result<(), BlobError> {
        if batch.is_empty() {
            return Ok(());
        }
        let names: Vec<String> = batch.iter().map(|k| k.as_str().to_owned()).collect();
        let meta = Arc::clone(meta);
        let referenced = tokio::task::spawn_blocking(move || meta.referenced_blobs(&names))
            .await
            .map_err(|e| BlobError::Backend(format!("metadata check: {e}")))?
            .map_err(|e| BlobError::Backend(format!("metadata: {e}")))?;
        for key in batch {
            if referenced.contains(key.as_str()) {
                report.referenced += 1;
            } else {
                self.delete(&key).await?;
                report.deleted.push(key);
            }
        }
        Ok(())
    }
}

/// Remove `<key>#<digits>` staging files (an upload cut off by a crash) older than `grace`.
fn sweep_staging(
    root: &std::path::Path,
    grace: Duration,
    now: OffsetDateTime,
) -> Result<u64, BlobError> {
    let io = |e: std::io::Error| BlobError::Backend(format!("staging sweep: {e}"));
    let mut removed = 0;
    let shards = match std::fs::read_dir(root) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io(e)),
    };
    for shard in shards {
        let shard = shard.map_err(io)?;
        if !shard.file_type().map_err(io)?.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(shard.path()).map_err(io)? {
            let f = f.map_err(io)?;
            let name = f.file_name();
            let Some(name) = name.to_str() else { continue };
            let staging = name.split_once('#').is_some_and(|(k, n)| {
                BlobKey::parse(k).is_ok() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
            });
            if !staging {
                continue;
            }
            let modified = f
                .metadata()
                .and_then(|m| m.modified())
                .map(OffsetDateTime::from)
                .map_err(io)?;
            if now - modified >= grace {
                match std::fs::remove_file(f.path()) {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io(e)),
                }
            }
        }
    }
    Ok(removed)
}
