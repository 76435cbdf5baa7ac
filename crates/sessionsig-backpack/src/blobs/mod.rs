//! Object bytes ("blobs") behind the [`object_store`] crate: files under the node's data
//! directory by default, or any S3-compatible bucket shared by every node.
//!
//! A blob is written once under a fresh [`BlobKey`] and never modified; which blob is an
//! object's current version is decided by the metadata store's commit alone
//! (`sessionsig_store::backpack::BackpackStore::commit_put`), see [`crate::objects`].
//!
//! # Local disk
//!
//! [`object_store::local::LocalFileSystem`] with `with_fsync(true)` (read in its 0.14 source,
//! and checked by the tests here): a put writes a staging file `<key>#<n>` next to the target,
//! `sync_all`s it, publishes it with `link`/`rename` and fsyncs the directory before
//! returning; a multipart upload writes its parts into the staging file and publishes it the
//! same way at `complete`. So a blob is either absent or complete and durable, never torn. A
//! staging file left by a killed process is invisible to listings; [`BlobStore::reconcile`]
//! removes it after the grace period.
//!
//! # S3
//!
//! [`object_store::aws::AmazonS3`]: a small body is one `PUT`, a larger one a multipart upload
//! whose object appears only at `CompleteMultipartUpload`, atomically. The parts of an upload
//! whose node died stay invisible and unbilled only until the bucket's
//! `AbortIncompleteMultipartUpload` lifecycle rule removes them: configure one (one day).
//!
//! # Streaming in bounded memory
//!
//! [`BlobStore::put`] consumes the body chunk by chunk, hashing (sha-256) and counting each
//! chunk as it arrives; it holds at most one part (`part_size`, 8 MiB by default) being filled
//! plus [`MAX_PARTS_IN_FLIGHT`] parts being sent, whatever the body's size. The digest and
//! length are checked *before* the upload is completed, so a body that does not match its
//! `Content-Digest` never exists under its key. [`BlobStore::get`] streams the blob (or one
//! byte range of it) chunk by chunk — S3 through `object_store`'s response stream, local files
//! through a small 256 KiB-per-read reader on the file at `object_store`'s path for the key
//! (measured 15× faster than its 8 KiB reads, and a small blob costs one blocking task, not
//! two; see `read.rs`) — and fails the stream if the blob ends early.
//!
//! The staging-then-rename behaviour of the local backend is observed by the tests (only a
//! `#n` file exists while an upload streams; the blob's name appears complete); the `fsync`s
//! are `object_store`'s `with_fsync(true)` contract, read in its source.

mod config;
mod failure;
mod key;
mod read;
mod reconcile;
mod write;

pub use config::{BlobConfig, S3Config, S3Credentials};
pub use failure::BlobError;
pub use key::BlobKey;
pub use read::BlobRead;
pub use reconcile::ReconcileReport;
pub use write::{PutCheck, WrittenBlob};

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{ClientOptions, ObjectStore};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// Parts of a multipart upload sent concurrently while the next one fills.
pub const MAX_PARTS_IN_FLIGHT: usize = 2;

/// Default multipart part size: S3 needs at least 5 MiB per part (but the last); 8 MiB keeps
/// a 1 GiB upload at 128 parts, far below S3's 10,000.
pub const DEFAULT_PART_SIZE: usize = 8 * 1024 * 1024;

/// Part size for the local disk, where parts are only buffered writes to the staging file.
pub const LOCAL_PART_SIZE: usize = 1024 * 1024;

/// Blob bytes on the local disk or in an S3 bucket. Cheap to clone.
#[derive(Clone)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
    /// Every key lives under this prefix.
    prefix: StorePath,
    part_size: usize,
    /// Whether a small put may use `PutMode::Create` (local disk: atomic link, refusing an
    /// existing file). On S3 uniqueness rests on the random key alone, as conditional `PUT`
    /// support varies between S3-compatible stores.
    create_mode: bool,
    /// The local data directory's blob root, for the staging-file sweep of reconciliation.
    local_root: Option<PathBuf>,
    /// The local backend itself, for reads that open and read a file in one blocking task
    /// (see `read.rs`).
    local_fs: Option<Arc<LocalFileSystem>>,
    /// `"local"` or `"s3"`, and the bucket, for `Debug`.
    label: String,
}

impl fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobStore")
            .field("backend", &self.label)
            .field("prefix", &self.prefix.as_ref())
            .field("part_size", &self.part_size)
            .finish_non_exhaustive()
    }
}

impl BlobStore {
    /// Open the configured backend (creating the local directory if needed). Nothing is sent
    /// to S3 here; a wrong bucket or credentials show at the first call.
    pub fn open(config: &BlobConfig) -> Result<BlobStore, BlobError> {
        match config {
            BlobConfig::Local { dir } => Self::local(dir.clone()),
            BlobConfig::S3(c) => Self::s3(c),
        }
    }

    fn local(dir: PathBuf) -> Result<BlobStore, BlobError> {
        let root = dir.join("blobs");
        std::fs::create_dir_all(&root)
            .map_err(|e| BlobError::Config(format!("cannot create {}: {e}", root.display())))?;
        let fs = LocalFileSystem::new_with_prefix(&root)
            .map_err(|e| BlobError::Config(format!("data directory: {e}")))?
            .with_fsync(true)
            .with_automatic_cleanup(false);
        let root = std::fs::canonicalize(&root).unwrap_or(root);
        let fs = Arc::new(fs);
        Ok(BlobStore {
            store: fs.clone(),
            local_fs: Some(fs),
            prefix: StorePath::default(),
            part_size: LOCAL_PART_SIZE,
            create_mode: true,
            local_root: Some(root),
            label: "local".into(),
        })
    }

    fn s3(c: &S3Config) -> Result<BlobStore, BlobError> {
        if c.bucket.is_empty() {
            return Err(BlobError::Config("the S3 bucket is not set".into()));
        }
        let part_size = c.part_size.unwrap_or(DEFAULT_PART_SIZE);
        if part_size < 5 * 1024 * 1024 {
            return Err(BlobError::Config(
                "the S3 part size must be at least 5 MiB".into(),
            ));
        }
        let mut b = AmazonS3Builder::from_env()
            .with_bucket_name(&c.bucket)
            .with_allow_http(c.allow_http)
            .with_virtual_hosted_style_request(false);
        if b.get_config_value(&object_store::aws::AmazonS3ConfigKey::Region)
            .is_none()
        {
            b = b.with_region("us-east-1");
        }
        if let Some(r) = &c.region {
            b = b.with_region(r);
        }
        if let Some(e) = &c.endpoint {
            b = b.with_endpoint(e);
        }
        if let Some(cr) = &c.credentials {
            b = b
                .with_access_key_id(&cr.access_key_id)
                .with_secret_access_key(&cr.secret_access_key);
            if let Some(t) = &cr.session_token {
                b = b.with_token(t);
            }
        }
        let mut opts = ClientOptions::new().with_allow_http(c.allow_http);
        if let Some(t) = c.request_timeout {
            opts = opts.with_timeout(t);
        }
        b = b.with_client_options(opts);
        // The builder's errors name settings, not their values; still, say only that it failed
        // and which bucket, never echo the configuration.
        let store = b
            .build()
            .map_err(|e| BlobError::Config(format!("S3 bucket {}: {}", c.bucket, redact(&e))))?;
        let prefix = StorePath::from(c.prefix.trim_matches('/'));
        Ok(BlobStore {
            store: Arc::new(store),
            prefix,
            part_size,
            create_mode: false,
            local_root: None,
            local_fs: None,
            label: format!("s3:{}", c.bucket),
        })
    }

    /// Where `key`'s bytes are: `<prefix>/<shard>/<key>`.
    fn location(&self, key: &BlobKey) -> StorePath {
        self.prefix.clone().join(key.shard()).join(key.as_str())
    }

    /// Delete a blob (a replaced or deleted object's, after the metadata commit). Deleting a
    /// blob that is already gone succeeds, so a retry or a second node's cleanup is harmless.
    pub async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        match self.store.delete(&self.location(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether a blob exists (its size if so).
    pub async fn size(&self, key: &BlobKey) -> Result<Option<u64>, BlobError> {
        match self.store.head(&self.location(key)).await {
            Ok(m) => Ok(Some(m.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// An `object_store` configuration error as text. Its messages name keys and URLs, and the
/// builder never puts a secret into one; this also cuts anything after `secret`/`token`.
fn redact(e: &object_store::Error) -> String {
    let s = e.to_string();
    let lower = s.to_ascii_lowercase();
    match ["secret", "token", "password"]
        .iter()
        .filter_map(|w| lower.find(w))
        .min()
    {
        Some(i) => format!("{}<redacted>", &s[..i]),
        None => s,
    }
}

use object_store::ObjectStoreExt as _;
