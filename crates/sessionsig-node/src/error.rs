//! The node's one error type, its stable codes and the HTTP status of each.
//!
//! Every refusal is answered with a JSON body `{"code": "<stable code>", "error": "<message>"}`.
//! Verification failures keep the core's codes ([`sessionsig::Error::code`]); the node adds
//! its own for what happens around verification (a missing header, a body too large, …).
//! Messages never contain secret material: the core's messages never do, and the node's own
//! messages name limits, paths and codes only.
//!
//! | status | codes |
//! |---|---|
//! | 400 | `invalid_request`, `json_too_deep`, `invalid_revocation` |
//! | 401 | `missing_authorization`, `malformed_authorization`, `nonce_invalid`, `nonce_expired`, `auth_sig_no_expiration`, `auth_sig_lifetime_too_long`, `siwe_domain_not_accepted`, `siwe_chain_not_accepted`, and every verifier code of SPEC §8 steps 1–5 (`session_sig_malformed`, `unsupported_algorithm`, `invalid_session_key`, `bad_session_signature`, `session_key_mismatch`, `issued_in_future`, `expiration_before_issued_at`, `expired`, `lifetime_too_long`, `wrong_node`, `missing_session_auth_sig`, `auth_sig_wrong_session_key`, `auth_sig_malformed`, `auth_sig_address_mismatch`, `unsupported_derived_via`, `signer_mismatch`, `malformed_signature`, `siwe_*`, `recap_*`, `invalid_resource`, `invalid_ability`, `invalid_timestamp`, `contract_wallet_invalid`, …): any verifier code not listed elsewhere |
//! | 400 | `invalid_path` (a backpack path that could mean another) |
//! | 403 | `capability_not_granted`, `operation_not_requested`, `revoked`, `uses_exhausted`, `not_a_delegate`, `delegation_not_valid`, `attenuation_violated`, `delegation_chain_too_long`, `caveat_not_satisfied` |
//! | 404 | `not_found` |
//! | 405 | `method_not_allowed` |
//! | 408 | `request_timeout` |
//! | 413 | `payload_too_large` |
//! | 415 | `unsupported_media_type` |
//! | 429 | `rate_limited`, `client_overloaded` (with `Retry-After`), `quota_exhausted` (a `max_bytes` traffic cap) |
//! | 500 | `internal`, `invalid_config`, `insecure_config`, `io` |
//! | 503 | `store_unavailable`, `contract_wallet_unavailable`, `overloaded` |
//!
//! A core error's status follows from its [`sessionsig::ErrorKind`] ([`status_for_kind`]),
//! chosen for each variant by an exhaustive match in the core, never from its code string.
//!
//! 401 means "who you are could not be established" (the credential is absent, malformed,
//! forged, stale or for another node); 403 means "we know who you are, and this is not
//! allowed" (not granted, revoked, out of uses). A 401 carries `WWW-Authenticate: SessionSig`.
//!
//! Contract wallets fail closed, with two codes. `contract_wallet_invalid` (401): the wallet said
//! no, or no chain could accept the signature (malformed ERC-6492 wrapper, too large, a chain id
//! this node has no endpoint for). `contract_wallet_unavailable` (503): the chain could not be
//! asked now (RPC endpoint down, timed out, HTTP error, not JSON-RPC, wrong chain, too many
//! checks already waiting); the credential may be fine, so a client should retry rather than
//! re-sign. `EIP1271` AuthSigs at a node without `[contract_wallets]` are
//! `unsupported_derived_via` (see [`crate::config`]).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Shorthand for results of this crate.
pub type Result<T, E = NodeError> = std::result::Result<T, E>;

/// Everything that can go wrong in the node.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// The request has no `Authorization: SessionSig …` header.
    #[error("no `Authorization: SessionSig <base64url(JSON)>` header")]
    MissingAuthorization,
    /// The `Authorization` header is not `SessionSig <base64url of one SessionSig JSON object>`.
    #[error("malformed Authorization header: {0}")]
    MalformedAuthorization(String),
    /// Verification (or a store behind it) refused; the core's code is kept.
    #[error(transparent)]
    Verify(#[from] sessionsig::Error),
    /// The request itself is wrong (body shape, resource or ability of the operation, path).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The body is not `application/json`.
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// The body is larger than the configured limit.
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The JSON (body or header) nests deeper than the configured limit.
    #[error("JSON nested deeper than {limit} levels")]
    JsonTooDeep {
        /// The limit.
        limit: usize,
    },
    /// The session AuthSig's SIWE nonce is not a fresh nonce of this network (only when the
    /// node requires network nonces).
    #[error("SIWE nonce not issued by this network, or used too late: {0}")]
    NonceInvalid(String),
    /// A network nonce that was genuine and fresh when signed is too old now (older than the
    /// node's `nonce_max_age_secs` at use): a SIWE back-dated onto an old nonce.
    #[error("SIWE nonce too old to use: {0}")]
    NonceExpired(String),
    /// This client address already has its share of requests in flight (`503 overloaded`
    /// is for the node as a whole); retry later.
    #[error("too many requests in flight from this client address (limit {limit})")]
    ClientOverloaded {
        /// The per-client concurrency limit.
        limit: usize,
    },
    /// Nothing here.
    #[error("not found: {0}")]
    NotFound(String),
    /// The route exists, the method does not.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The request took longer than the configured timeout.
    #[error("request not answered within {millis} ms")]
    Timeout {
        /// The limit in milliseconds.
        millis: u64,
    },
    /// Too many requests are in flight; retry later.
    #[error("too many requests in flight (limit {limit})")]
    Overloaded {
        /// The concurrency limit.
        limit: usize,
    },
    /// This client address made too many requests of this kind; retry after the given time
    /// (see [`crate::rate_limit`]).
    #[error("too many requests from this client address; retry in {retry_after_secs} s")]
    RateLimited {
        /// Whole seconds until the client may try again (the `Retry-After` header).
        retry_after_secs: u64,
    },
    /// The configuration (file or flags) is not usable.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The configuration asks for something unsafe without the explicit acknowledgement.
    #[error("refusing to start: {0}")]
    Insecure(String),
    /// A file or socket operation failed.
    #[error("{0}")]
    Io(String),
    /// A bug or a panic in a worker thread.
    #[error("internal error: {0}")]
    Internal(String),
}

impl NodeError {
    /// The stable machine-readable code (snake_case, never renamed).
    pub fn code(&self) -> &'static str {
        match self {
            NodeError::MissingAuthorization => "missing_authorization",
            NodeError::MalformedAuthorization(_) => "malformed_authorization",
            NodeError::Verify(e) => e.code(),
            NodeError::InvalidRequest(_) => "invalid_request",
            NodeError::UnsupportedMediaType(_) => "unsupported_media_type",
            NodeError::PayloadTooLarge { .. } => "payload_too_large",
            NodeError::JsonTooDeep { .. } => "json_too_deep",
            NodeError::NonceInvalid(_) => "nonce_invalid",
            NodeError::NonceExpired(_) => "nonce_expired",
            NodeError::ClientOverloaded { .. } => "client_overloaded",
            NodeError::NotFound(_) => "not_found",
            NodeError::MethodNotAllowed => "method_not_allowed",
            NodeError::Timeout { .. } => "request_timeout",
            NodeError::Overloaded { .. } => "overloaded",
            NodeError::RateLimited { .. } => "rate_limited",
            NodeError::Config(_) => "invalid_config",
            NodeError::Insecure(_) => "insecure_config",
            NodeError::Io(_) => "io",
            NodeError::Internal(_) => "internal",
        }
    }

    /// The HTTP status this error is answered with (see the [module](self) table).
    pub fn status(&self) -> StatusCode {
        match self {
            NodeError::Verify(e) => status_for_kind(e.kind()),
            NodeError::MissingAuthorization
            | NodeError::MalformedAuthorization(_)
            | NodeError::NonceInvalid(_)
            | NodeError::NonceExpired(_) => StatusCode::UNAUTHORIZED,
            NodeError::InvalidRequest(_) | NodeError::JsonTooDeep { .. } => StatusCode::BAD_REQUEST,
            NodeError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            NodeError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            NodeError::NotFound(_) => StatusCode::NOT_FOUND,
            NodeError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            NodeError::Timeout { .. } => StatusCode::REQUEST_TIMEOUT,
            NodeError::Overloaded { .. } => StatusCode::SERVICE_UNAVAILABLE,
            NodeError::RateLimited { .. } | NodeError::ClientOverloaded { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            NodeError::Config(_)
            | NodeError::Insecure(_)
            | NodeError::Io(_)
            | NodeError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The process exit status when this error stops a command: 2 for configuration and
    /// usage problems, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            NodeError::Config(_) | NodeError::Insecure(_) => 2,
            _ => 1,
        }
    }

    /// An I/O error on something named (a path, an address).
    pub fn io(what: impl std::fmt::Display, e: std::io::Error) -> Self {
        NodeError::Io(format!("{what}: {e}"))
    }
}

/// The HTTP status of a verifier (core) error, from its kind (never from its code string, so
/// a new core variant gets the status of the kind chosen for it).
pub fn status_for_kind(kind: sessionsig::ErrorKind) -> StatusCode {
    use sessionsig::ErrorKind as K;
    match kind {
        K::Unauthenticated => StatusCode::UNAUTHORIZED,
        K::Forbidden => StatusCode::FORBIDDEN,
        K::LimitReached => StatusCode::TOO_MANY_REQUESTS,
        K::InvalidInput => StatusCode::BAD_REQUEST,
        K::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        K::Config => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for NodeError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = sessionsig::wire::ErrorBody {
            code: self.code().to_owned(),
            error: self.to_string(),
        };
        let mut resp = (status, axum::Json(body)).into_response();
        let headers = resp.headers_mut();
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("SessionSig"),
            );
        }
        match self {
            NodeError::Overloaded { .. } | NodeError::ClientOverloaded { .. } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            NodeError::RateLimited { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            }
            _ => {}
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_table() {
        use sessionsig::Error as E;
        let cases: Vec<(NodeError, u16)> = vec![
            (NodeError::MissingAuthorization, 401),
            (NodeError::MalformedAuthorization("x".into()), 401),
            (E::BadSessionSignature.into(), 401),
            (E::Expired("t".into()).into(), 401),
            (
                E::WrongNode {
                    expected: "a".into(),
                    found: "b".into(),
                }
                .into(),
                401,
            ),
            (E::SessionSigMalformed("x".into()).into(), 401),
            (E::CapabilityNotGranted("x".into()).into(), 403),
            (E::OperationNotRequested("x".into()).into(), 403),
            (E::Revoked("x".into()).into(), 403),
            (
                E::UsesExhausted {
                    counter: "c".into(),
                    limit: 1,
                }
                .into(),
                403,
            ),
            (
                E::NotADelegate {
                    delegator: "a".into(),
                    owner: "b".into(),
                }
                .into(),
                403,
            ),
            (E::CaveatNotSatisfied("x".into()).into(), 403),
            (E::Store("down".into()).into(), 503),
            (E::ContractWallet("said no".into()).into(), 401),
            (E::ContractWalletUnavailable("down".into()).into(), 503),
            (E::InvalidRevocation("x".into()).into(), 400),
            (E::InvalidPath("x".into()).into(), 400),
            (
                E::QuotaExhausted {
                    counter: "c".into(),
                    limit: 1,
                    requested: 2,
                }
                .into(),
                429,
            ),
            (E::InvalidNodeUrl("x".into()).into(), 500),
            (NodeError::InvalidRequest("x".into()), 400),
            (NodeError::JsonTooDeep { limit: 3 }, 400),
            (NodeError::PayloadTooLarge { limit: 3 }, 413),
            (NodeError::Overloaded { limit: 3 }, 503),
            (NodeError::Timeout { millis: 3 }, 408),
            (
                NodeError::RateLimited {
                    retry_after_secs: 3,
                },
                429,
            ),
        ];
        for (e, status) in cases {
            assert_eq!(e.status().as_u16(), status, "{}", e.code());
        }
    }

    #[test]
    fn rate_limited_is_429_with_retry_after() {
        let r = NodeError::RateLimited {
            retry_after_secs: 7,
        }
        .into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "7");
    }

    #[test]
    fn codes_are_snake_case_and_distinct() {
        let all = [
            NodeError::MissingAuthorization,
            NodeError::MalformedAuthorization(String::new()),
            NodeError::InvalidRequest(String::new()),
            NodeError::UnsupportedMediaType(String::new()),
            NodeError::PayloadTooLarge { limit: 0 },
            NodeError::JsonTooDeep { limit: 0 },
            NodeError::NonceInvalid(String::new()),
            NodeError::NotFound(String::new()),
            NodeError::MethodNotAllowed,
            NodeError::Timeout { millis: 0 },
            NodeError::Overloaded { limit: 0 },
            NodeError::RateLimited {
                retry_after_secs: 0,
            },
            NodeError::Config(String::new()),
            NodeError::Insecure(String::new()),
            NodeError::Io(String::new()),
            NodeError::Internal(String::new()),
        ];
        let mut codes: Vec<_> = all.iter().map(NodeError::code).collect();
        assert!(codes
            .iter()
            .all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_')));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }
}
