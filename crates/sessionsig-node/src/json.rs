//! Bounded JSON input: body size, media type and nesting depth are checked before serde sees
//! a byte.

use crate::error::{NodeError, Result};
use axum::body::Body;
use axum::http::{header, HeaderMap};
use serde::Deserialize;

/// Refuse JSON text that nests objects/arrays deeper than `max` (strings are skipped, escapes
/// honoured). Linear in the input, no allocation; run before parsing so a hostile document
/// never reaches the recursive parser.
pub fn check_depth(bytes: &[u8], max: usize) -> Result<()> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return Err(NodeError::JsonTooDeep { limit: max });
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Parse `bytes` as `T` after the depth check; a parse failure is an `invalid_request`.
pub fn parse_bounded<'a, T: Deserialize<'a>>(bytes: &'a [u8], max_depth: usize) -> Result<T> {
    check_depth(bytes, max_depth)?;
    serde_json::from_slice(bytes).map_err(|e| NodeError::InvalidRequest(format!("body: {e}")))
}

/// The request declares a JSON body: `Content-Type: application/json` (parameters allowed).
/// A body without a declared type is refused like any other type (`415`): what a node accepts
/// must not depend on a header being left out (a form or `text/plain` post from a browser
/// page is refused either way).
pub fn check_json_content_type(headers: &HeaderMap) -> Result<()> {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        return Err(NodeError::UnsupportedMediaType(
            "expected application/json, got no Content-Type".into(),
        ));
    };
    let ct = ct.to_str().unwrap_or("");
    let essence = ct.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(NodeError::UnsupportedMediaType(format!(
            "expected application/json, got `{}`",
            essence.chars().take(80).collect::<String>()
        )))
    }
}

/// Read a whole body, at most `limit` bytes (a declared `Content-Length` over the limit is
/// refused before reading).
pub async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<axum::body::Bytes> {
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > limit as u64 {
            return Err(NodeError::PayloadTooLarge { limit });
        }
    }
    match axum::body::to_bytes(body, limit).await {
        Ok(b) => Ok(b),
        Err(e) => {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
                || e.to_string().contains("length limit");
            if too_large {
                Err(NodeError::PayloadTooLarge { limit })
            } else {
                Err(NodeError::InvalidRequest(format!("reading the body: {e}")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_structure_not_strings() {
        assert!(check_depth(br#"{"a":[1,{"b":2}]}"#, 3).is_ok());
        assert_eq!(
            check_depth(br#"{"a":[1,{"b":2}]}"#, 2).unwrap_err().code(),
            "json_too_deep"
        );
        // Brackets inside strings, escaped quotes: not structure.
        assert!(check_depth(br#"{"a":"[[[[{{{{\"[[["}"#, 1).is_ok());
        assert!(check_depth(br#"["\\", [1]]"#, 2).is_ok());
        assert!(check_depth(br#"["\\", [1]]"#, 1).is_err());
        let deep = "[".repeat(10_000);
        assert!(check_depth(deep.as_bytes(), 64).is_err());
    }
}
