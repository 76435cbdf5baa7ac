//! The JSON bodies a node and its clients exchange, declared once.
//!
//! The node serializes these types and the client deserializes the same ones, so a field
//! added, renamed or made optional on one side is added on the other by the compiler — the
//! client cannot silently ignore a field the node relies on (as it once ignored
//! `requireNetworkNonce`). Only serde is needed, so they live in the core crate, which both
//! the node and the client already depend on (no dependency cycle).
//!
//! | body | route |
//! |---|---|
//! | [`HandshakeBody`] | `GET /v1/handshake` answer |
//! | [`AuthorizeRequest`] | `POST /v1/authorize` request |
//! | [`ErrorBody`] | every refusal (`4xx`/`5xx`), the backpack's included |
//!
//! The types carry the wire form (strings as sent); the reader checks them (URLs, timestamps)
//! where it needs the checked values.

use crate::time::{Duration, OffsetDateTime};
use serde::{Deserialize, Serialize};

/// The path of the handshake endpoint on a node.
pub const HANDSHAKE_PATH: &str = "/v1/handshake";

/// The path of the authorize endpoint on a node.
pub const AUTHORIZE_PATH: &str = "/v1/authorize";

/// The answer of `GET /v1/handshake`: the answering node, the network, and a fresh nonce for
/// the next AuthSig. Unknown fields are ignored by readers, so a node may add some.
///
/// ```json
/// {"nodeUrl":"https://10.0.0.1:7470","nodeVersion":"0.1.0",
///  "nodes":["https://10.0.0.1:7470","https://10.0.0.2:7470"],
///  "nonce":"…64 hex…","nonceExpiresAt":"2025-01-01T00:10:00.000Z",
///  "requireNetworkNonce":true,"nonceMaxAgeSecs":86400}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HandshakeBody {
    /// The answering node's URL, as the network names it (the key of its SessionSig).
    pub node_url: String,
    /// Its software version.
    pub node_version: String,
    /// Every node of the network, each the exact URL it answers to.
    pub nodes: Vec<String>,
    /// A fresh network nonce for the SIWE `Nonce` of the next AuthSig.
    pub nonce: String,
    /// When the nonce stops being fresh (RFC 3339): sign before then.
    pub nonce_expires_at: String,
    /// The node refuses session AuthSigs whose SIWE nonce is not a fresh nonce of this
    /// network. Absent (older nodes) means `false`.
    #[serde(default)]
    pub require_network_nonce: bool,
    /// With `requireNetworkNonce`: the oldest (seconds since it was handed out) a session
    /// AuthSig's nonce may be when a SessionSig is used; a client re-signs before then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce_max_age_secs: Option<u64>,
}

/// The body of `POST /v1/authorize`: one SessionSig (`S`: the SessionSig object as the
/// sender holds it, or the raw JSON as the node reads it) and, optionally, the operation it
/// must allow (`resource` and `ability` go together; without them the SessionSig is checked
/// as a whole).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeRequest<S> {
    /// The SessionSig made for the receiving node.
    #[serde(rename = "sessionSig")]
    pub session_sig: S,
    /// The resource of the operation, e.g. `lit-pkp://*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The ability of the operation, e.g. `pkp-signing`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ability: Option<String>,
}

/// Every refusal of a node: a stable machine-readable `code` (the node's or the core's error
/// code, never renamed) and a human-readable `error` (no secret in it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The stable error code (`nonce_invalid`, `session_sig_expired`, …).
    pub code: String,
    /// What went wrong, in words (a reader takes an absent one as empty).
    #[serde(default)]
    pub error: String,
}

/// Number of hex characters of a network nonce.
pub const NETWORK_NONCE_HEX_LEN: usize = 64;

/// When a network nonce was handed out, read from its public layout (`hex(issued_at (8 bytes,
/// big-endian Unix seconds) ‖ salt (8) ‖ tag (16))`, see the node's `nonce` module), or `None`
/// when `nonce` does not have that layout. This does **not** authenticate the nonce (only a
/// node holding the network secret can): a client uses it to know when a nonce it signed
/// becomes too old for a node's `nonceMaxAgeSecs`, so it re-signs before being refused.
pub fn network_nonce_issued_at(nonce: &str) -> Option<OffsetDateTime> {
    if nonce.len() != NETWORK_NONCE_HEX_LEN
        || !nonce
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    let mut issued = [0u8; 8];
    hex::decode_to_slice(&nonce[..16], &mut issued).ok()?;
    let secs = i64::try_from(u64::from_be_bytes(issued)).ok()?;
    OffsetDateTime::from_unix_timestamp(secs).ok()
}

/// Whether a network nonce handed out at `issued_at` is still no older than `max_age` at
/// `at` (the node's rule at use, without its clock skew allowance).
pub fn network_nonce_young_enough(
    issued_at: OffsetDateTime,
    max_age: Duration,
    at: OffsetDateTime,
) -> bool {
    at - issued_at <= max_age
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_round_trip_and_defaults() {
        let h = HandshakeBody {
            node_url: "https://a:1".into(),
            node_version: "0.1.0".into(),
            nodes: vec!["https://a:1".into()],
            nonce: "ab".repeat(32),
            nonce_expires_at: "2030-01-01T00:00:00.000Z".into(),
            require_network_nonce: true,
            nonce_max_age_secs: Some(86_400),
        };
        let text = serde_json::to_string(&h).unwrap();
        assert!(text.contains("\"requireNetworkNonce\":true"), "{text}");
        assert!(text.contains("\"nonceMaxAgeSecs\":86400"), "{text}");
        assert_eq!(serde_json::from_str::<HandshakeBody>(&text).unwrap(), h);
        // An older node says nothing about nonces: not required; unknown fields ignored.
        let old = r#"{"nodeUrl":"https://a:1","nodeVersion":"0","nodes":["https://a:1"],"nonce":"abcdefgh","nonceExpiresAt":"x","more":1}"#;
        let h: HandshakeBody = serde_json::from_str(old).unwrap();
        assert!(!h.require_network_nonce);
        assert_eq!(h.nonce_max_age_secs, None);
    }

    #[test]
    fn authorize_request_forms() {
        let r = AuthorizeRequest {
            session_sig: serde_json::json!({"sig": "x"}),
            resource: None,
            ability: None,
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"sessionSig":{"sig":"x"}}"#
        );
        let text = r#"{"sessionSig":{"sig":"x"},"resource":"lit-pkp://*","ability":"pkp-signing"}"#;
        let raw: AuthorizeRequest<&serde_json::value::RawValue> =
            serde_json::from_str(text).unwrap();
        assert_eq!(raw.session_sig.get(), r#"{"sig":"x"}"#);
        assert_eq!(raw.ability.as_deref(), Some("pkp-signing"));
        assert!(serde_json::from_str::<AuthorizeRequest<serde_json::Value>>(
            r#"{"sessionSig":{},"resourse":"x"}"#
        )
        .is_err());
    }

    #[test]
    fn nonce_issue_time_is_read_from_the_layout() {
        let secs: u64 = 1_750_000_000;
        let nonce = format!("{}{}", hex::encode(secs.to_be_bytes()), "0".repeat(48));
        let t = network_nonce_issued_at(&nonce).unwrap();
        assert_eq!(t.unix_timestamp(), 1_750_000_000);
        assert!(network_nonce_young_enough(
            t,
            Duration::days(1),
            t + Duration::hours(23)
        ));
        assert!(!network_nonce_young_enough(
            t,
            Duration::days(1),
            t + Duration::hours(25)
        ));
        for bad in [
            "abcdef0123456789abcdef0123456789",
            &nonce.to_uppercase(),
            &format!("{nonce}0"),
            &format!("ffffffffffffffff{}", "0".repeat(48)),
        ] {
            assert_eq!(network_nonce_issued_at(bad), None, "{bad}");
        }
    }
}
