//! The one error type of the client crate.
//!
//! Every variant has a stable, machine-readable [`ClientError::code`] (snake_case). For
//! [`ClientError::Core`] the code is the core crate's own stable code (`siwe_expired`, …).
//! Messages never contain secret material: no wallet key, no session secret key, and no stored
//! value (a store error names the storage key, never its content).

/// Shorthand for results of this crate.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// A boxed error as returned by an application's wallet callback.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in the session manager, the stores and the node fan-out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// An error of the core crate (format, signing, verification).
    #[error(transparent)]
    Core(#[from] sessionsig::Error),

    // ------------------------------------------------------------------ storage
    /// Reading or writing the store failed.
    #[error("storage error on `{key}`: {reason}")]
    Storage {
        /// The storage key (or path) involved; never the stored value.
        key: String,
        /// What failed.
        reason: String,
    },
    /// A storage key or application namespace is not acceptable.
    #[error("invalid storage key: {0}")]
    InvalidStorageKey(String),

    // ------------------------------------------------------------------ wallet
    /// The wallet (or the application's callback) refused or failed to sign.
    #[error("the wallet did not sign: {0}")]
    WalletRejected(String),
    /// A signature is needed but no wallet is available (a read-only session, e.g. the CLI's
    /// `session sigs` without a wallet key); the message says why a new signature is needed.
    #[error("a new wallet signature is needed ({0}); sign in again")]
    WalletRequired(String),
    /// The wallet returned a signature that does not verify for its address over the message.
    #[error("the wallet's signature does not verify: {0}")]
    WalletBadSignature(String),
    /// No usable session is stored (never signed in, expired, or for another key); the
    /// message says which. Only a new sign-in helps.
    #[error("no usable session: {0}; sign in again")]
    NoSession(String),
    /// The wallet did not answer in time.
    #[error("the wallet did not answer within {0} s")]
    WalletTimeout(u64),

    // ------------------------------------------------------------------ requests
    /// The request asks for nothing.
    #[error("a session request needs at least one resource ability request")]
    NoRequests,
    /// The asked expiration is not in the future.
    #[error("invalid expiration: {0}")]
    InvalidExpiration(String),
    /// The asked expiration is later than the longest AuthSig the manager may ask for.
    #[error("expiration {asked} is past the longest allowed session ({max})")]
    ExpirationTooFar {
        /// The asked expiration (ISO form).
        asked: String,
        /// The latest allowed instant (ISO form).
        max: String,
    },
    /// A configuration value is out of range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),

    // ------------------------------------------------------------------ nodes and HTTP
    /// The node set is empty.
    #[error("no nodes to sign for")]
    NoNodes,
    /// A node URL is not an absolute `http://` or `https://` URL.
    #[error("invalid node URL {0:?}")]
    InvalidNodeUrl(String),
    /// The handshake with a seed node failed or its answer is malformed.
    #[error("handshake failed: {0}")]
    Handshake(String),
    /// An HTTP exchange with one node failed (connection, status or body).
    #[error("node {node}: {reason}")]
    Http {
        /// The node URL.
        node: String,
        /// What failed.
        reason: String,
    },
    /// A node refused the request with its own error body (the shared
    /// [`ErrorBody`](sessionsig::wire::ErrorBody)): `code` is the node's stable code
    /// (`nonce_invalid`, `session_sig_expired`, …).
    #[error("node {node} refused ({status} {code}): {message}")]
    NodeRefused {
        /// The node URL.
        node: String,
        /// The HTTP status.
        status: u16,
        /// The node's stable error code.
        code: String,
        /// The node's message.
        message: String,
    },
    /// The network requires its own nonce in session AuthSigs (`requireNetworkNonce`) and no
    /// fresh one is known: run a handshake
    /// ([`refresh_nodes`](crate::SessionManager::refresh_nodes)) before signing.
    #[error("the network requires a fresh nonce from its handshake and none is known: {0}")]
    NoNetworkNonce(String),
    /// A node did not answer within the timeout.
    #[error("node {node} did not answer within {millis} ms")]
    Timeout {
        /// The node URL.
        node: String,
        /// The timeout in milliseconds.
        millis: u64,
    },
    /// Fewer nodes answered successfully than the threshold requires.
    #[error(
        "only {successes} of the {needed} required nodes answered; {} failed{}",
        failures.len(),
        first_failure(failures)
    )]
    ThresholdNotReached {
        /// Successful answers.
        successes: usize,
        /// Successes required.
        needed: usize,
        /// Every failure seen, one per node.
        failures: Vec<NodeFailure>,
    },
}

/// One node's failure in a fan-out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeFailure {
    /// The node URL.
    pub node: String,
    /// The stable code of the failure ([`ClientError::code`]: `http`, `timeout`,
    /// `node_refused`, …).
    pub code: &'static str,
    /// The node's own error code when it refused with its error body
    /// ([`ClientError::NodeRefused`]).
    pub node_code: Option<String>,
    /// What happened.
    pub message: String,
}

impl NodeFailure {
    /// The failure of `node` with `error`.
    pub fn new(node: String, error: &ClientError) -> Self {
        NodeFailure {
            node,
            code: error.code(),
            node_code: match error {
                ClientError::NodeRefused { code, .. } => Some(code.clone()),
                _ => None,
            },
            message: error.to_string(),
        }
    }
}

fn first_failure(failures: &[NodeFailure]) -> String {
    failures
        .first()
        .map(|f| format!(" (first: {})", f.message))
        .unwrap_or_default()
}

impl ClientError {
    /// The stable machine-readable code of this error (snake_case, never renamed). For
    /// [`ClientError::Core`] it is the core error's code.
    pub fn code(&self) -> &'static str {
        match self {
            ClientError::Core(e) => e.code(),
            ClientError::Storage { .. } => "storage",
            ClientError::InvalidStorageKey(_) => "invalid_storage_key",
            ClientError::WalletRejected(_) => "wallet_rejected",
            ClientError::WalletRequired(_) => "wallet_required",
            ClientError::WalletBadSignature(_) => "wallet_bad_signature",
            ClientError::WalletTimeout(_) => "wallet_timeout",
            ClientError::NoSession(_) => "no_session",
            ClientError::NoRequests => "no_requests",
            ClientError::InvalidExpiration(_) => "invalid_expiration",
            ClientError::ExpirationTooFar { .. } => "expiration_too_far",
            ClientError::InvalidConfig(_) => "invalid_config",
            ClientError::NoNodes => "no_nodes",
            ClientError::InvalidNodeUrl(_) => "invalid_node_url",
            ClientError::Handshake(_) => "handshake_failed",
            ClientError::Http { .. } => "http",
            ClientError::NodeRefused { .. } => "node_refused",
            ClientError::NoNetworkNonce(_) => "no_network_nonce",
            ClientError::Timeout { .. } => "timeout",
            ClientError::ThresholdNotReached { .. } => "threshold_not_reached",
        }
    }

    /// A storage error on `key`.
    pub(crate) fn storage(key: &str, reason: impl std::fmt::Display) -> Self {
        ClientError::Storage {
            key: key.to_owned(),
            reason: reason.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case() {
        let samples = [
            ClientError::storage("k", "x"),
            ClientError::InvalidStorageKey(String::new()),
            ClientError::WalletRejected(String::new()),
            ClientError::WalletRequired(String::new()),
            ClientError::WalletBadSignature(String::new()),
            ClientError::WalletTimeout(1),
            ClientError::NoSession(String::new()),
            ClientError::NoRequests,
            ClientError::InvalidExpiration(String::new()),
            ClientError::ExpirationTooFar {
                asked: String::new(),
                max: String::new(),
            },
            ClientError::InvalidConfig(String::new()),
            ClientError::NoNodes,
            ClientError::InvalidNodeUrl(String::new()),
            ClientError::Handshake(String::new()),
            ClientError::Http {
                node: String::new(),
                reason: String::new(),
            },
            ClientError::Timeout {
                node: String::new(),
                millis: 1,
            },
            ClientError::NodeRefused {
                node: String::new(),
                status: 401,
                code: String::new(),
                message: String::new(),
            },
            ClientError::NoNetworkNonce(String::new()),
            ClientError::ThresholdNotReached {
                successes: 0,
                needed: 1,
                failures: vec![],
            },
        ];
        let mut codes: Vec<&str> = samples.iter().map(ClientError::code).collect();
        for c in &codes {
            assert!(
                c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'),
                "{c}"
            );
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), samples.len());
        assert_eq!(
            ClientError::from(sessionsig::Error::BadSessionSignature).code(),
            "bad_session_signature"
        );
    }
}
