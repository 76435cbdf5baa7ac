//! Why a blob store call failed, with stable codes.

/// A blob store failure. Never carries credentials: backend errors are rendered by
/// `object_store`, which redacts secrets, and configuration errors name only the setting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlobError {
    /// The body's sha-256 is not the one the client declared (`Content-Digest`); nothing was
    /// stored.
    #[error("the body does not match its digest")]
    DigestMismatch,
    /// The body is larger than allowed (`max_object_bytes`, the node's maximum object size);
    /// nothing was stored.
    #[error("the object is larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The body was shorter or longer than its declared length; nothing was stored.
    #[error("the body has {actual} bytes, {declared} were declared")]
    LengthMismatch {
        /// The declared `Content-Length`.
        declared: u64,
        /// What arrived (so far).
        actual: u64,
    },
    /// The body stream failed (the client went away); nothing was stored.
    #[error("the upload was aborted: {0}")]
    BodyAborted(String),
    /// No blob under this key.
    #[error("blob not found")]
    NotFound,
    /// The requested byte range is outside the blob.
    #[error("range not satisfiable (size {size})")]
    RangeNotSatisfiable {
        /// The blob's size.
        size: u64,
    },
    /// The blob is shorter than its metadata says (it was damaged outside the node).
    #[error("blob truncated: {expected} bytes expected, {actual} read")]
    Truncated {
        /// Bytes the range should have had.
        expected: u64,
        /// Bytes read before the end.
        actual: u64,
    },
    /// A blob key that this store did not make.
    #[error("invalid blob key")]
    InvalidKey,
    /// The blob store configuration is unusable (which setting, never its secret value).
    #[error("blob store configuration: {0}")]
    Config(String),
    /// The backend failed (disk, network, S3 error answer).
    #[error("blob store unavailable: {0}")]
    Backend(String),
}

impl BlobError {
    /// The stable machine-readable code (snake_case, never renamed).
    pub fn code(&self) -> &'static str {
        match self {
            BlobError::DigestMismatch => "digest_mismatch",
            BlobError::TooLarge { .. } => "too_large",
            BlobError::LengthMismatch { .. } => "length_mismatch",
            BlobError::BodyAborted(_) => "upload_aborted",
            BlobError::NotFound => "not_found",
            BlobError::RangeNotSatisfiable { .. } => "range_not_satisfiable",
            BlobError::Truncated { .. } => "blob_truncated",
            BlobError::InvalidKey => "invalid_blob_key",
            BlobError::Config(_) => "blob_config",
            BlobError::Backend(_) => "blob_store_unavailable",
        }
    }
}

impl From<object_store::Error> for BlobError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => BlobError::NotFound,
            other => BlobError::Backend(other.to_string()),
        }
    }
}
