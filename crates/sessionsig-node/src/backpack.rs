//! Mounting the data backpack on the node: its configuration (`[backpack]`), the gate through
//! which its routes use the node's verifier, and the wiring of its stores.
//!
//! ```toml
//! [backpack]
//! enabled = true                  # on whenever the store is SQLite or PostgreSQL
//! max_object_bytes = 5368709120   # the largest object a node accepts (default 5 GiB)
//! owner_quota_bytes = 10737418240 # bytes each wallet may store (default: unlimited)
//! require_signed_reads = false    # reads need an RFC 9421 signature too
//! signature_window_secs = 60      # how far a request signature's `created` may be off
//! s3_bucket = "backpack"          # object bytes in S3 instead of <data_dir>/blobs
//! s3_prefix = "node-a"
//! s3_endpoint = "http://127.0.0.1:9000"   # any S3-compatible store; credentials from AWS_*
//! s3_region = "us-east-1"
//! s3_allow_http = false           # true for a plain-http endpoint on a private network
//! ```
//!
//! Object bytes live on the local disk by default (`<data_dir>/blobs`), or in an S3-compatible
//! bucket that several nodes share; metadata, traffic counters and the replay table live in
//! the node's store. S3 credentials come from the standard `AWS_*` environment variables only,
//! so they are never in a file or on a command line, and never printed.

use crate::auth::Authorizer;
use crate::error::{NodeError, Result};
use serde::Deserialize;
use sessionsig::time::{Clock, Duration};
use sessionsig::verify::{Authorization, Request, Reservation, VerifiedSession};
use sessionsig_backpack::blobs::{BlobConfig, BlobStore, S3Config};
use sessionsig_backpack::gate::{Gate, GateFuture, Refusal};
use sessionsig_backpack::objects::{ObjectSettings, Objects};
use sessionsig_backpack::routes::{Backpack, BackpackSettings};
use sessionsig_backpack::RequestSignaturePolicy;
use sessionsig_store::backpack::BackpackStore;
use std::path::Path;
use std::sync::Arc;

/// Default largest object: 5 GiB, as S3's single PUT.
pub const DEFAULT_MAX_OBJECT_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// Default request signature window (`signature_window_secs`), seconds.
pub const DEFAULT_SIGNATURE_WINDOW_SECS: u64 = 60;

/// `[backpack]` as written; every field optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackpackConfig {
    /// Serve `/v1/backpack/…` (default true when the store is SQL).
    pub enabled: Option<bool>,
    /// The largest object accepted, bytes.
    pub max_object_bytes: Option<u64>,
    /// Bytes each owner may store; unset: unlimited.
    pub owner_quota_bytes: Option<u64>,
    /// Reads need a request signature too.
    pub require_signed_reads: Option<bool>,
    /// Request signature window, seconds.
    pub signature_window_secs: Option<u64>,
    /// S3 bucket for object bytes (unset: the local disk).
    pub s3_bucket: Option<String>,
    /// Key prefix inside the bucket.
    pub s3_prefix: Option<String>,
    /// S3 endpoint URL (for stores other than AWS).
    pub s3_endpoint: Option<String>,
    /// S3 region.
    pub s3_region: Option<String>,
    /// Allow a plain `http://` S3 endpoint (a store on the same host or a private network).
    pub s3_allow_http: Option<bool>,
}

/// The backpack's settings, checked.
#[derive(Debug, Clone)]
pub struct BackpackNodeSettings {
    /// Serve the routes.
    pub enabled: bool,
    /// Where object bytes go.
    pub blobs: BlobConfig,
    /// Object limits.
    pub objects: ObjectSettings,
    /// Route rules.
    pub service: BackpackSettings,
    /// Request signature rules.
    pub signatures: RequestSignaturePolicy,
}

impl BackpackConfig {
    /// Check and complete the configuration; `data_dir` holds local blobs.
    pub fn resolve(&self, data_dir: &Path) -> Result<BackpackNodeSettings> {
        let window = self
            .signature_window_secs
            .unwrap_or(DEFAULT_SIGNATURE_WINDOW_SECS);
        if window == 0 || window > 3600 {
            return Err(NodeError::Config(
                "backpack.signature_window_secs must be 1..=3600".into(),
            ));
        }
        let blobs = match &self.s3_bucket {
            Some(bucket) if !bucket.is_empty() => BlobConfig::S3(S3Config {
                bucket: bucket.clone(),
                prefix: self.s3_prefix.clone().unwrap_or_default(),
                endpoint: self.s3_endpoint.clone(),
                region: self.s3_region.clone(),
                allow_http: self.s3_allow_http.unwrap_or(false),
                ..S3Config::default()
            }),
            _ => BlobConfig::Local {
                dir: data_dir.to_owned(),
            },
        };
        let signatures = RequestSignaturePolicy {
            window: Duration::seconds(i64::try_from(window).unwrap_or(60)),
            ..RequestSignaturePolicy::default()
        };
        Ok(BackpackNodeSettings {
            enabled: self.enabled.unwrap_or(true),
            blobs,
            objects: ObjectSettings {
                owner_quota: self.owner_quota_bytes,
                max_object_bytes: Some(self.max_object_bytes.unwrap_or(DEFAULT_MAX_OBJECT_BYTES)),
                ..ObjectSettings::default()
            },
            service: BackpackSettings {
                require_signed_reads: self.require_signed_reads.unwrap_or(false),
                insecure_no_auth: false,
            },
            signatures,
        })
    }
}

/// The node's verifier as the backpack's gate.
struct NodeGate(Authorizer);

fn refusal(e: NodeError) -> Refusal {
    Refusal::new(e.status().as_u16(), e.code(), e.to_string())
}

impl Gate for NodeGate {
    fn check<'a>(
        &'a self,
        headers: &'a http::HeaderMap,
        request: Request,
    ) -> GateFuture<'a, Authorization> {
        Box::pin(async move {
            self.0
                .check_headers(headers, request)
                .await
                .map_err(refusal)
        })
    }

    fn commit(
        &self,
        auth: Authorization,
        bytes: u64,
    ) -> GateFuture<'_, (VerifiedSession, Reservation)> {
        Box::pin(async move { self.0.commit(auth, bytes).await.map_err(refusal) })
    }

    fn release(&self, reservation: Reservation, unused: u64) -> GateFuture<'_, ()> {
        Box::pin(async move { self.0.release(reservation, unused).await.map_err(refusal) })
    }
}

/// Build the backpack service for a node, or `None` when it is off or the store keeps no
/// backpack metadata (the in-memory store). `verify = false` (a node run for load comparisons
/// with `--insecure-no-verify`) serves it without authentication, like `/v1/authorize`.
pub fn build(
    settings: &BackpackNodeSettings,
    meta: Option<Arc<dyn BackpackStore>>,
    auth: Authorizer,
    clock: Arc<dyn Clock>,
    verify: bool,
) -> Result<Option<Backpack>> {
    let Some(meta) = meta.filter(|_| settings.enabled) else {
        return Ok(None);
    };
    let blobs = BlobStore::open(&settings.blobs)
        .map_err(|e| NodeError::Config(format!("backpack blobs: {e}")))?;
    let objects = Objects::new(blobs, meta, clock.clone(), settings.objects.clone());
    Ok(Some(Backpack::new(
        Arc::new(NodeGate(auth)),
        objects,
        settings.signatures.clone(),
        clock,
        BackpackSettings {
            insecure_no_auth: !verify,
            ..settings.service.clone()
        },
    )))
}
