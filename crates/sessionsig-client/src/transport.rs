//! The HTTP plumbing shared by the handshake ([`crate::nodes`]) and the fan-out
//! ([`crate::http`]): bounded body reads, transport error descriptions, URL joining, and
//! reading a node's answer (its shared [`ErrorBody`](sessionsig::wire::ErrorBody) when it
//! refuses). It depends on no other module of the crate but [`crate::error`], so the modules
//! that use it form no cycle.

use crate::error::ClientError;
use sessionsig::wire::ErrorBody;

/// Read a response body, refusing more than `limit` bytes.
pub(crate) async fn read_limited(
    mut resp: reqwest::Response,
    limit: usize,
) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| describe_reqwest(&e))? {
        if out.len() + chunk.len() > limit {
            return Err(format!("answer larger than {limit} bytes"));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// A short description of a transport error (no URL query strings, which could carry tokens).
pub(crate) fn describe_reqwest(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "bad response body"
    } else if e.is_request() {
        "request failed"
    } else {
        "HTTP error"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    }
}

/// `base` and `path` joined with exactly one `/`.
pub(crate) fn join_url(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// The error for a node's non-2xx answer: [`ClientError::NodeRefused`] with the node's own
/// code when the body is the node's [`ErrorBody`], else [`ClientError::Http`] with the start
/// of the body.
pub(crate) fn refusal(node: &str, status: u16, body: &[u8]) -> ClientError {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) => ClientError::NodeRefused {
            node: node.to_owned(),
            status,
            code: e.code.chars().take(64).collect(),
            message: e.error.chars().take(300).collect(),
        },
        Err(_) => {
            let text: String = String::from_utf8_lossy(body).chars().take(300).collect();
            ClientError::Http {
                node: node.to_owned(),
                reason: format!("status {status}: {text}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_refusals() {
        assert_eq!(join_url("http://a/", "/v1/x"), "http://a/v1/x");
        assert_eq!(join_url("http://a", "v1/x"), "http://a/v1/x");
        let e = refusal(
            "http://a",
            401,
            br#"{"code":"nonce_invalid","error":"not ours"}"#,
        );
        assert_eq!(e.code(), "node_refused");
        match e {
            ClientError::NodeRefused { status, code, .. } => {
                assert_eq!((status, code.as_str()), (401, "nonce_invalid"));
            }
            other => panic!("{other}"),
        }
        let e = refusal("http://a", 500, br#"{"error":"boom"}"#);
        assert_eq!(e.code(), "http");
        assert!(e.to_string().contains("status 500"), "{e}");
    }
}
