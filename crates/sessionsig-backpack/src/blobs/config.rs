//! Where blobs go: a directory on the local disk, or a bucket of any S3-compatible store.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// The blob store's backend.
#[derive(Debug, Clone)]
pub enum BlobConfig {
    /// Files under this directory (created if missing). The default: one node, or several
    /// nodes on one host.
    Local {
        /// The data directory; blobs go to `<dir>/blobs/`.
        dir: PathBuf,
    },
    /// A bucket of an S3-compatible store, shared by every node.
    S3(S3Config),
}

/// An S3-compatible bucket. Anything left `None` comes from the standard `AWS_*` environment
/// variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
/// `AWS_REGION`, `AWS_ENDPOINT`, …), as the AWS tools read them.
#[derive(Debug, Clone, Default)]
pub struct S3Config {
    /// The bucket.
    pub bucket: String,
    /// A key prefix inside the bucket (no leading or trailing `/` needed), so that several
    /// deployments can share one bucket.
    pub prefix: String,
    /// The endpoint URL, for stores other than AWS (MinIO, Ceph, R2, a test server). Requests
    /// are path-style (`<endpoint>/<bucket>/<key>`).
    pub endpoint: Option<String>,
    /// The region (`us-east-1` when neither this nor the environment says).
    pub region: Option<String>,
    /// Static credentials; else the environment (or the instance's metadata service).
    pub credentials: Option<S3Credentials>,
    /// Allow a plain-`http://` endpoint (tests, a store on the same private network).
    pub allow_http: bool,
    /// Size of the parts of a multipart upload (at least 5 MiB, S3's minimum).
    pub part_size: Option<usize>,
    /// Per-request timeout (default 30 s).
    pub request_timeout: Option<Duration>,
}

/// An access key pair. Its `Debug` shows the key id only; the secret and session token are
/// never formatted.
#[derive(Clone)]
pub struct S3Credentials {
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: String,
    /// `AWS_SESSION_TOKEN`, for temporary credentials.
    pub session_token: Option<String>,
}

impl fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let c = S3Config {
            bucket: "b".into(),
            credentials: Some(S3Credentials {
                access_key_id: "AKIDEXAMPLE".into(),
                secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
                session_token: Some("tok-secret-123".into()),
            }),
            ..S3Config::default()
        };
        let d = format!("{c:?} {:?}", BlobConfig::S3(c.clone()));
        assert!(d.contains("AKIDEXAMPLE"));
        assert!(
            !d.contains("wJalrXUtnFEMI") && !d.contains("tok-secret-123"),
            "{d}"
        );
    }
}
