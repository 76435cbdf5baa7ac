//! The crate's error type.

use std::time::Duration;

/// Why a contract-wallet check could not be made (or was refused before asking the chain).
///
/// Converts into [`sessionsig::Error::ContractWalletUnavailable`] when the chain could not be
/// asked, else [`sessionsig::Error::ContractWallet`]. Messages name the chain id, never the
/// RPC URL, and quote at most a short, sanitised excerpt of what the endpoint said.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RpcError {
    /// No RPC endpoint is configured for the message's chain.
    #[error("no RPC endpoint configured for chain {0}")]
    UnknownChain(u64),
    /// A configured RPC URL is not an `http://` or `https://` URL.
    #[error("invalid RPC URL for chain {chain_id}: {reason}")]
    InvalidUrl {
        /// The chain it was configured for.
        chain_id: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The configured timeout is zero.
    #[error("the RPC timeout must be more than zero")]
    ZeroTimeout,
    /// The endpoint did not answer in time.
    #[error("RPC endpoint for chain {chain_id} did not answer within {timeout:?}")]
    Timeout {
        /// The chain asked.
        chain_id: u64,
        /// The configured timeout.
        timeout: Duration,
    },
    /// The endpoint could not be reached (connection refused, DNS, TLS, …).
    #[error("RPC endpoint for chain {chain_id} unreachable: {reason}")]
    Unreachable {
        /// The chain asked.
        chain_id: u64,
        /// What the transport said.
        reason: String,
    },
    /// The endpoint answered with a non-2xx HTTP status.
    #[error("RPC endpoint for chain {chain_id} answered HTTP {status}")]
    HttpStatus {
        /// The chain asked.
        chain_id: u64,
        /// The HTTP status code.
        status: u16,
    },
    /// The response body exceeded the configured cap.
    #[error("RPC response for chain {chain_id} is larger than {limit} bytes")]
    ResponseTooLarge {
        /// The chain asked.
        chain_id: u64,
        /// The cap.
        limit: usize,
    },
    /// The response is not a JSON-RPC 2.0 answer of the expected shape.
    #[error("RPC endpoint for chain {chain_id} sent an invalid response: {reason}")]
    BadResponse {
        /// The chain asked.
        chain_id: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The endpoint answered with a JSON-RPC error (other than an execution revert, which is
    /// a "no" from the wallet, not an error).
    #[error("RPC endpoint for chain {chain_id} returned error {code}: {message}")]
    Rpc {
        /// The chain asked.
        chain_id: u64,
        /// The JSON-RPC error code.
        code: i64,
        /// The error message (sanitised, truncated).
        message: String,
    },
    /// The endpoint configured for one chain serves another (`eth_chainId` disagrees).
    #[error("RPC endpoint configured for chain {configured} serves chain {actual}")]
    WrongChain {
        /// The chain id it is configured for.
        configured: u64,
        /// What its `eth_chainId` says.
        actual: u64,
    },
    /// The signature ends with the ERC-6492 suffix but is not a valid ABI-encoded wrapper.
    #[error("malformed ERC-6492 signature: {0}")]
    MalformedErc6492(String),
    /// The signature is longer than [`MAX_SIGNATURE_BYTES`](crate::MAX_SIGNATURE_BYTES).
    #[error("signature of {0} bytes is larger than the limit")]
    SignatureTooLarge(usize),
}

impl RpcError {
    /// Whether the chain could not be asked now (a transport, endpoint or configuration
    /// failure on the verifier's side), as opposed to a signature no chain could accept.
    pub fn is_unavailable(&self) -> bool {
        match self {
            RpcError::InvalidUrl { .. }
            | RpcError::ZeroTimeout
            | RpcError::Timeout { .. }
            | RpcError::Unreachable { .. }
            | RpcError::HttpStatus { .. }
            | RpcError::ResponseTooLarge { .. }
            | RpcError::BadResponse { .. }
            | RpcError::Rpc { .. }
            | RpcError::WrongChain { .. } => true,
            RpcError::UnknownChain(_)
            | RpcError::MalformedErc6492(_)
            | RpcError::SignatureTooLarge(_) => false,
        }
    }
}

impl From<RpcError> for sessionsig::Error {
    /// [`sessionsig::Error::ContractWalletUnavailable`] when the chain could not be asked
    /// ([`RpcError::is_unavailable`]), else [`sessionsig::Error::ContractWallet`].
    fn from(e: RpcError) -> Self {
        if e.is_unavailable() {
            sessionsig::Error::ContractWalletUnavailable(e.to_string())
        } else {
            sessionsig::Error::ContractWallet(e.to_string())
        }
    }
}

/// At most `max` characters of untrusted text, control characters replaced, for an error.
#[cfg_attr(not(feature = "http"), allow(dead_code))]
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    let mut out: String = text
        .chars()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_to_the_core_contract_wallet_errors() {
        let e: sessionsig::Error = RpcError::UnknownChain(5).into();
        assert_eq!(e.code(), "contract_wallet_invalid");
        assert!(e
            .to_string()
            .contains("no RPC endpoint configured for chain 5"));
        let invalid = [
            RpcError::UnknownChain(1),
            RpcError::MalformedErc6492("short".into()),
            RpcError::SignatureTooLarge(1 << 20),
        ];
        for e in invalid {
            assert!(!e.is_unavailable(), "{e}");
            assert_eq!(sessionsig::Error::from(e).code(), "contract_wallet_invalid");
        }
        let unavailable = [
            RpcError::InvalidUrl {
                chain_id: 1,
                reason: "x".into(),
            },
            RpcError::ZeroTimeout,
            RpcError::Timeout {
                chain_id: 1,
                timeout: Duration::from_secs(1),
            },
            RpcError::Unreachable {
                chain_id: 1,
                reason: "refused".into(),
            },
            RpcError::HttpStatus {
                chain_id: 1,
                status: 502,
            },
            RpcError::ResponseTooLarge {
                chain_id: 1,
                limit: 10,
            },
            RpcError::BadResponse {
                chain_id: 1,
                reason: "x".into(),
            },
            RpcError::Rpc {
                chain_id: 1,
                code: -32000,
                message: "x".into(),
            },
            RpcError::WrongChain {
                configured: 1,
                actual: 2,
            },
        ];
        for e in unavailable {
            assert!(e.is_unavailable(), "{e}");
            let core = sessionsig::Error::from(e.clone());
            assert_eq!(core.code(), "contract_wallet_unavailable");
            assert!(core.to_string().contains(&e.to_string()), "{core}");
        }
    }

    #[test]
    fn excerpts_are_short_and_single_line() {
        assert_eq!(excerpt("a\nb\u{7}c", 10), "a b c");
        assert_eq!(excerpt(&"x".repeat(500), 4), "xxxx…");
    }
}
