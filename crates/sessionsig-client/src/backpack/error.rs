//! The backpack client's error: every refusal keeps the node's stable code, and says in one
//! sentence what happened, so a command-line tool can print `code: sentence`.

use crate::error::ClientError;
use std::fmt;

/// Shorthand for results of the backpack client.
pub type BackpackResult<T> = std::result::Result<T, BackpackError>;

/// What went wrong with a backpack operation.
#[derive(Debug)]
#[non_exhaustive]
pub enum BackpackError {
    /// The session manager failed (no session, wallet refused, bad configuration, …).
    Client(ClientError),
    /// A node answered with a refusal (`{code, error}`), which retrying will not change.
    Refused {
        /// The node that refused.
        node: String,
        /// The HTTP status.
        status: u16,
        /// The node's stable code (`quota_exhausted`, `revoked`, `not_found`, …).
        code: String,
        /// The node's message.
        message: String,
    },
    /// No node could be reached (every attempt failed in transport, or answered 503).
    Unreachable {
        /// Each node's last failure, `node: reason`.
        reasons: Vec<String>,
    },
    /// A local file or stream failed.
    Io {
        /// What was being read or written.
        what: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The bytes received do not hash to the object's `Content-Digest`: nothing was kept.
    Corrupt {
        /// What was expected and what arrived.
        detail: String,
    },
    /// A path, size, scope or share given by the caller is not valid.
    Invalid {
        /// The stable code (`invalid_path`, `invalid_share`, …).
        code: &'static str,
        /// Why.
        message: String,
    },
    /// A node answered something the protocol does not allow (e.g. a 206 for another range).
    Protocol {
        /// The node.
        node: String,
        /// What was wrong.
        detail: String,
    },
}

impl BackpackError {
    /// The stable code: the node's for refusals, the client's otherwise.
    pub fn code(&self) -> &str {
        match self {
            BackpackError::Client(e) => e.code(),
            BackpackError::Refused { code, .. } => code,
            BackpackError::Unreachable { .. } => "unreachable",
            BackpackError::Io { .. } => "io",
            BackpackError::Corrupt { .. } => "download_corrupt",
            BackpackError::Invalid { code, .. } => code,
            BackpackError::Protocol { .. } => "protocol",
        }
    }

    /// The HTTP status of a node refusal.
    pub fn status(&self) -> Option<u16> {
        match self {
            BackpackError::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// One sentence a person understands (no code, no secrets).
    pub fn sentence(&self) -> String {
        match self {
            BackpackError::Client(e) => e.to_string(),
            BackpackError::Refused { code, message, .. } => friendly(code, message),
            BackpackError::Unreachable { reasons } => {
                format!("no node answered ({})", reasons.join("; "))
            }
            BackpackError::Io { what, reason } => format!("{what}: {reason}"),
            BackpackError::Corrupt { detail } => {
                format!("the downloaded bytes are not the object's ({detail}); nothing was kept")
            }
            BackpackError::Invalid { message, .. } => message.clone(),
            BackpackError::Protocol { node, detail } => {
                format!("node {node} answered outside the protocol: {detail}")
            }
        }
    }

    pub(crate) fn io(what: impl fmt::Display, e: impl fmt::Display) -> Self {
        BackpackError::Io {
            what: what.to_string(),
            reason: e.to_string(),
        }
    }

    pub(crate) fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        BackpackError::Invalid {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for BackpackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.sentence())
    }
}

impl std::error::Error for BackpackError {}

impl From<ClientError> for BackpackError {
    fn from(e: ClientError) -> Self {
        BackpackError::Client(e)
    }
}

impl From<sessionsig::Error> for BackpackError {
    fn from(e: sessionsig::Error) -> Self {
        BackpackError::Client(ClientError::Core(e))
    }
}

/// A refusal from a node's answer: its JSON `{code, error}`, or a code from the status.
pub fn refusal(node: &str, status: u16, body: &[u8]) -> BackpackError {
    // The node's shared refusal body.
    let parsed: Option<(String, String)> =
        serde_json::from_slice::<sessionsig::wire::ErrorBody>(body)
            .ok()
            .map(|e| (e.code, e.error));
    let (code, message) = parsed.unwrap_or_else(|| {
        let code = match status {
            404 => "not_found",
            401 => "unauthorized",
            403 => "forbidden",
            412 => "precondition_failed",
            416 => "range_not_satisfiable",
            429 => "rate_limited",
            503 => "unavailable",
            _ => "http_error",
        };
        (
            code.to_owned(),
            String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
        )
    });
    BackpackError::Refused {
        node: node.to_owned(),
        status,
        code,
        message,
    }
}

/// The node's message turned into a sentence for people, for the codes people meet.
fn friendly(code: &str, message: &str) -> String {
    match code {
        "quota_exhausted" => match parse_quota(message) {
            Some((limit, requested)) => format!(
                "this grant allows {} of traffic and {} more would pass it",
                crate::backpack::human::size(limit),
                crate::backpack::human::size(requested)
            ),
            None => format!("the traffic cap of this grant is reached ({message})"),
        },
        "revoked" => "this access was revoked by the wallet that granted it".into(),
        "capability_not_granted" => {
            "the session (or the share it carries) does not grant this operation on this path"
                .into()
        }
        "operation_not_requested" => "the session signature did not ask for this operation".into(),
        "wrong_node" => {
            "this signed request was made for another node, so it cannot be replayed here".into()
        }
        "replayed" => "this signed request was already used, so it cannot be replayed".into(),
        "not_found" => "there is no object at this path".into(),
        "expired" => "the session signature has expired; sign in again".into(),
        "not_a_delegate" => "this share was made for another wallet".into(),
        "delegation_not_valid" => "the share is not valid now (expired or not yet valid)".into(),
        "too_large" | "payload_too_large" => format!("the object is too large: {message}"),
        "storage_full" => format!("the owner's storage is full: {message}"),
        "precondition_failed" => "the object changed (or exists) and the condition failed".into(),
        _ if message.is_empty() => format!("the node refused ({code})"),
        _ => message.to_owned(),
    }
}

/// `… allows N bytes of traffic; M more would pass it` → (N, M).
fn parse_quota(message: &str) -> Option<(u64, u64)> {
    let after = message.split("allows ").nth(1)?;
    let limit = after.split(' ').next()?.parse().ok()?;
    let more = message.split("; ").nth(1)?;
    let requested = more.split(' ').next()?.parse().ok()?;
    Some((limit, requested))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_keep_the_node_code_and_explain() {
        let body = br#"{"code":"quota_exhausted","error":"bytes:delegation:0xab allows 60000 bytes of traffic; 40000 more would pass it"}"#;
        let e = refusal("http://a", 429, body);
        assert_eq!(e.code(), "quota_exhausted");
        assert_eq!(e.status(), Some(429));
        assert_eq!(
            e.to_string(),
            "quota_exhausted: this grant allows 60 KB of traffic and 40 KB more would pass it"
        );
        let e = refusal("http://a", 503, b"<html>");
        assert_eq!(e.code(), "unavailable");
        let e = refusal("http://a", 401, br#"{"code":"wrong_node","error":"x"}"#);
        assert!(e.sentence().contains("another node"), "{e}");
    }
}
