//! The one error type of the backpack crate.
//!
//! Every variant has a stable, machine-readable [`Error::code`] (snake_case) that clients are
//! written against, and the HTTP [`Error::status`] the route answers with. The codes are part
//! of the public contract: never rename one. Messages never contain secret material (session
//! secret keys, credentials); they may quote what the client itself sent (a path, a header).

use crate::path::PathError;

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything the backpack refuses, each with its own code so a client can tell what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ---------------------------------------------------------------- resources (400)
    /// A path breaks the backpack's path rules; the reason says which (see `path.rs`).
    #[error("invalid path: {0}")]
    InvalidPath(PathError),
    /// A `backpack://<owner>/<path>` resource URI (or a route's `<owner><path>`) is malformed.
    #[error("invalid backpack resource: {0}")]
    InvalidResource(String),
    /// A ReCap ability is not one of the backpack's.
    #[error("invalid backpack ability: {0}")]
    InvalidAbility(String),
    /// The HTTP method does not apply to this kind of path (e.g. PUT on a folder).
    #[error("method {method} is not allowed on {target}")]
    MethodNotAllowed {
        /// The method of the request.
        method: String,
        /// `an object` or `a folder`.
        target: &'static str,
    },

    // ---------------------------------------------------------------- Content-Digest (400)
    /// A request with a body carries no `Content-Digest` header.
    #[error("Content-Digest (RFC 9530) with sha-256 is required")]
    ContentDigestRequired,
    /// The `Content-Digest` header is not a valid structured-field dictionary, or has no
    /// well-formed `sha-256` member.
    #[error("invalid Content-Digest: {0}")]
    InvalidContentDigest(String),
    /// The body's sha-256 is not the one its `Content-Digest` announced.
    #[error("body digest sha-256=:{actual}: does not match Content-Digest sha-256=:{expected}:")]
    DigestMismatch {
        /// What the header said (base64).
        expected: String,
        /// What the body hashed to (base64).
        actual: String,
    },

    // ---------------------------------------------------------------- request signatures
    /// The request carries no `Signature-Input` / `Signature` headers but must (401).
    #[error("an HTTP message signature (RFC 9421) by the session key is required")]
    RequestSignatureRequired,
    /// `Signature-Input` or `Signature` is not valid RFC 8941, or a parameter has the wrong
    /// type, or a component cannot be computed (400).
    #[error("malformed HTTP message signature: {0}")]
    MalformedRequestSignature(String),
    /// The signature does not cover a component the policy requires (401).
    #[error("HTTP message signature does not cover {0}")]
    RequestSignatureIncomplete(String),
    /// The signature has no `created` parameter (401).
    #[error("HTTP message signature has no `created` parameter")]
    RequestSignatureMissingCreated,
    /// `created` is older than the window, or `expires` has passed (401).
    #[error("HTTP message signature expired: {0}")]
    RequestSignatureExpired(String),
    /// `created` is later than the window allows (401).
    #[error("HTTP message signature created in the future: {0}")]
    RequestSignatureFromFuture(String),
    /// The signature has no `nonce` parameter, so it could be replayed (401).
    #[error("HTTP message signature has no `nonce` parameter")]
    RequestSignatureMissingNonce,
    /// `alg` is missing or is not `ed25519` (401).
    #[error("HTTP message signature algorithm must be \"ed25519\": {0}")]
    RequestSignatureWrongAlg(String),
    /// No signature is by the session key (`keyid` is not the SessionSig's key) (401).
    #[error("HTTP message signature keyid is not the session key: {0}")]
    RequestSignatureWrongKeyid(String),
    /// The ed25519 signature does not verify over the signature base (401).
    #[error("HTTP message signature does not verify: {0}")]
    BadRequestSignature(String),
    /// The (`keyid`, `nonce`) pair was already used inside the window (401). Raised by the
    /// route's replay table, defined here so every backpack error has one home.
    #[error("this signed request was already received")]
    Replayed,
}

impl Error {
    /// The stable machine-readable code of this error (snake_case, never renamed).
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidPath(_) => "invalid_path",
            Error::InvalidResource(_) => "invalid_resource",
            Error::InvalidAbility(_) => "invalid_ability",
            Error::MethodNotAllowed { .. } => "method_not_allowed",
            Error::ContentDigestRequired => "content_digest_required",
            Error::InvalidContentDigest(_) => "invalid_content_digest",
            Error::DigestMismatch { .. } => "digest_mismatch",
            Error::RequestSignatureRequired => "request_signature_required",
            Error::MalformedRequestSignature(_) => "malformed_request_signature",
            Error::RequestSignatureIncomplete(_) => "request_signature_incomplete",
            Error::RequestSignatureMissingCreated => "request_signature_missing_created",
            Error::RequestSignatureExpired(_) => "request_signature_expired",
            Error::RequestSignatureFromFuture(_) => "request_signature_from_future",
            Error::RequestSignatureMissingNonce => "request_signature_missing_nonce",
            Error::RequestSignatureWrongAlg(_) => "request_signature_wrong_alg",
            Error::RequestSignatureWrongKeyid(_) => "request_signature_wrong_keyid",
            Error::BadRequestSignature(_) => "bad_request_signature",
            Error::Replayed => "replayed",
        }
    }

    /// The HTTP status for this error: 400 for a request the client must fix, 401 for one
    /// that is not (or no longer) authenticated, 405 for a method that never applies.
    pub fn status(&self) -> u16 {
        match self {
            Error::InvalidPath(_)
            | Error::InvalidResource(_)
            | Error::InvalidAbility(_)
            | Error::ContentDigestRequired
            | Error::InvalidContentDigest(_)
            | Error::DigestMismatch { .. }
            | Error::MalformedRequestSignature(_) => 400,
            Error::MethodNotAllowed { .. } => 405,
            Error::RequestSignatureRequired
            | Error::RequestSignatureIncomplete(_)
            | Error::RequestSignatureMissingCreated
            | Error::RequestSignatureExpired(_)
            | Error::RequestSignatureFromFuture(_)
            | Error::RequestSignatureMissingNonce
            | Error::RequestSignatureWrongAlg(_)
            | Error::RequestSignatureWrongKeyid(_)
            | Error::BadRequestSignature(_)
            | Error::Replayed => 401,
        }
    }
}

impl From<PathError> for Error {
    fn from(e: PathError) -> Self {
        Error::InvalidPath(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_variant() -> Vec<Error> {
        vec![
            Error::InvalidPath(PathError::EmptySegment),
            Error::InvalidResource(String::new()),
            Error::InvalidAbility(String::new()),
            Error::MethodNotAllowed {
                method: "PUT".into(),
                target: "a folder",
            },
            Error::ContentDigestRequired,
            Error::InvalidContentDigest(String::new()),
            Error::DigestMismatch {
                expected: String::new(),
                actual: String::new(),
            },
            Error::RequestSignatureRequired,
            Error::MalformedRequestSignature(String::new()),
            Error::RequestSignatureIncomplete(String::new()),
            Error::RequestSignatureMissingCreated,
            Error::RequestSignatureExpired(String::new()),
            Error::RequestSignatureFromFuture(String::new()),
            Error::RequestSignatureMissingNonce,
            Error::RequestSignatureWrongAlg(String::new()),
            Error::RequestSignatureWrongKeyid(String::new()),
            Error::BadRequestSignature(String::new()),
            Error::Replayed,
        ]
    }

    #[test]
    fn codes_are_unique_snake_case() {
        let all = every_variant();
        let mut codes: Vec<&str> = all.iter().map(Error::code).collect();
        for c in &codes {
            assert!(
                c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'),
                "{c}"
            );
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }

    #[test]
    fn statuses_follow_the_issue() {
        let status = |code: &str| {
            every_variant()
                .into_iter()
                .find(|e| e.code() == code)
                .map(|e| e.status())
        };
        assert_eq!(status("invalid_path"), Some(400));
        assert_eq!(status("digest_mismatch"), Some(400));
        assert_eq!(status("bad_request_signature"), Some(401));
        assert_eq!(status("replayed"), Some(401));
        assert_eq!(status("request_signature_required"), Some(401));
        assert_eq!(status("method_not_allowed"), Some(405));
        for e in every_variant() {
            assert!(matches!(e.status(), 400 | 401 | 405), "{e:?}");
        }
    }
}
