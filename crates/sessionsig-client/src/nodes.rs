//! The set of nodes a session signs for, and the handshake that discovers it.
//!
//! # Handshake
//!
//! A client that knows one node (a *seed*) asks it for the network (`GET <seed>/v1/handshake`);
//! the answer is the shared [`HandshakeBody`] (the type the node serializes):
//!
//! ```text
//! {
//!   "nodeUrl": "https://10.0.0.1:7470",          // the answering node, as the network names it
//!   "nodeVersion": "0.1.0",                      // its software version
//!   "nodes": ["https://10.0.0.1:7470", "https://10.0.0.2:7470", …],
//!   "nonce": "d1f5c0a8e9b24f7e…",                // ≥ 8 ASCII letters/digits (SIWE nonce rule)
//!   "nonceExpiresAt": "2025-01-01T00:10:00.000Z",// RFC 3339; use the nonce before then
//!   "requireNetworkNonce": true,                 // optional, default false
//!   "nonceMaxAgeSecs": 86400                     // optional: oldest nonce at use
//! }
//! ```
//!
//! `nodes` is the whole network, each entry the exact URL its node answers to (the key of its
//! SessionSig and the `nodeAddress` it checks). Unknown fields are ignored, so the server can add
//! some. The nonce is what the Lit network gives as the latest block hash: the client writes it
//! in the SIWE `Nonce` of the next AuthSig (a node may insist on a recent nonce to bound how
//! long ago a signature could have been prepared). When no fresh nonce is known, the client
//! uses 32 random hex characters — unless the network said `requireNetworkNonce`: then the
//! [`SessionManager`](crate::SessionManager) asks for a fresh nonce before the wallet signs,
//! and re-signs a stored AuthSig whose nonce is not a network nonce or is older than
//! `nonceMaxAgeSecs` (see [`NonceRule`]).

use crate::error::{ClientError, Result};
use crate::transport::{describe_reqwest, join_url, read_limited};
use sessionsig::time::{parse_rfc3339, OffsetDateTime};
pub use sessionsig::wire::HANDSHAKE_PATH;
use sessionsig::wire::{network_nonce_issued_at, HandshakeBody};
use std::time::Duration;

/// How old a network nonce may be at use when the network requires nonces but does not say
/// (the node's default `nonce_max_age_secs`).
pub const DEFAULT_NONCE_MAX_AGE: sessionsig::time::Duration = sessionsig::time::Duration::days(1);

/// Largest handshake answer accepted (bytes).
const MAX_HANDSHAKE_LEN: usize = 1 << 20;

/// A nonce handed out by the network, valid until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkNonce {
    /// The nonce (≥ 8 ASCII alphanumerics).
    pub value: String,
    /// When it stops being acceptable.
    pub expires_at: OffsetDateTime,
}

/// The network's rule for the SIWE nonce of session AuthSigs, when it requires its own nonces
/// (`requireNetworkNonce` in the handshake).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonceRule {
    /// The oldest a nonce may be (since the network handed it out) when a SessionSig is used.
    pub max_age: sessionsig::time::Duration,
}

impl NonceRule {
    /// Whether an AuthSig whose SIWE nonce is `nonce` can still be used until `until`: the
    /// nonce has the network's layout and is no older than `max_age` then. (Only a node can
    /// tell whether the nonce is authentic; a nonce of another network is refused by the node
    /// with `nonce_invalid`.)
    pub fn accepts(&self, nonce: &str, until: OffsetDateTime) -> bool {
        network_nonce_issued_at(nonce).is_some_and(|issued| {
            sessionsig::wire::network_nonce_young_enough(issued, self.max_age, until)
        })
    }
}

/// The nodes a session signs for (each gets its own SessionSig), in order, without duplicates,
/// the latest network nonce, if a handshake gave one, and the network's nonce rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeSet {
    urls: Vec<String>,
    nonce: Option<NetworkNonce>,
    rule: Option<NonceRule>,
}

impl NodeSet {
    /// A node set from URLs (absolute `http://` or `https://`, taken verbatim; duplicates are
    /// dropped, keeping the first).
    ///
    /// Errors: [`ClientError::InvalidNodeUrl`].
    pub fn new<I, S>(urls: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut out: Vec<String> = Vec::new();
        for u in urls {
            let u = u.into();
            check_node_url(&u)?;
            if !out.contains(&u) {
                out.push(u);
            }
        }
        Ok(NodeSet {
            urls: out,
            nonce: None,
            rule: None,
        })
    }

    /// No node (a session used only to hold an AuthSig, e.g. the CLI's `login`).
    pub fn empty() -> Self {
        Self::default()
    }

    /// The node URLs.
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.urls.len()
    }

    /// True when there is no node.
    pub fn is_empty(&self) -> bool {
        self.urls.is_empty()
    }

    /// The same set, remembering a network nonce.
    pub fn with_nonce(mut self, nonce: NetworkNonce) -> Self {
        self.nonce = Some(nonce);
        self
    }

    /// The same set, for a network that requires its own nonces in session AuthSigs.
    pub fn with_nonce_rule(mut self, rule: NonceRule) -> Self {
        self.rule = Some(rule);
        self
    }

    /// The network's nonce rule, when it requires its own nonces.
    pub fn nonce_rule(&self) -> Option<NonceRule> {
        self.rule
    }

    /// The network nonce, when one is known and has not expired at `now`.
    pub fn fresh_nonce(&self, now: OffsetDateTime) -> Option<&str> {
        self.nonce
            .as_ref()
            .filter(|n| now < n.expires_at)
            .map(|n| n.value.as_str())
    }

    /// Ask the seeds, in order, for the network (`GET <seed>/v1/handshake`); the first valid
    /// answer wins. Each attempt is bounded by `timeout`.
    ///
    /// Errors: [`ClientError::Handshake`] naming every seed's failure when none answers well.
    pub async fn handshake<S: AsRef<str>>(
        client: &reqwest::Client,
        seeds: &[S],
        timeout: Duration,
    ) -> Result<(NodeSet, Handshake)> {
        if seeds.is_empty() {
            return Err(ClientError::Handshake("no seed node given".into()));
        }
        let mut errors = Vec::new();
        for seed in seeds {
            let seed = seed.as_ref();
            match handshake_one(client, seed, timeout).await {
                Ok(h) => {
                    let mut set = NodeSet::new(h.nodes.iter().cloned())
                        .map_err(|e| ClientError::Handshake(format!("{seed}: {e}")))?
                        .with_nonce(NetworkNonce {
                            value: h.nonce.clone(),
                            expires_at: h.nonce_expires_at,
                        });
                    if let Some(rule) = h.nonce_rule {
                        set = set.with_nonce_rule(rule);
                    }
                    return Ok((set, h));
                }
                Err(e) => errors.push(format!("{seed}: {e}")),
            }
        }
        Err(ClientError::Handshake(errors.join("; ")))
    }
}

/// A parsed, checked handshake answer. See the [module documentation](self) for the JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// The answering node's URL.
    pub node_url: String,
    /// Its software version.
    pub node_version: String,
    /// Every node of the network.
    pub nodes: Vec<String>,
    /// A fresh nonce for the next AuthSig.
    pub nonce: String,
    /// When the nonce stops being acceptable.
    pub nonce_expires_at: OffsetDateTime,
    /// The network's nonce rule when it requires its own nonces (`requireNetworkNonce`),
    /// with `nonceMaxAgeSecs` or, when absent, [`DEFAULT_NONCE_MAX_AGE`].
    pub nonce_rule: Option<NonceRule>,
}

impl Handshake {
    /// Parse and check a handshake answer: at least one node, every URL valid, the nonce a
    /// valid SIWE nonce, `nonceExpiresAt` RFC 3339.
    ///
    /// Errors: [`ClientError::Handshake`].
    pub fn from_json(text: &str) -> Result<Self> {
        let bad = |m: String| ClientError::Handshake(m);
        let w: HandshakeBody =
            serde_json::from_str(text).map_err(|e| bad(format!("malformed answer: {e}")))?;
        if w.nodes.is_empty() {
            return Err(bad("the answer lists no node".into()));
        }
        check_node_url(&w.node_url).map_err(|e| bad(e.to_string()))?;
        for n in &w.nodes {
            check_node_url(n).map_err(|e| bad(e.to_string()))?;
        }
        if w.nonce.len() < 8
            || w.nonce.len() > 256
            || !w.nonce.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(bad(
                "the nonce is not 8 to 256 ASCII letters and digits".into()
            ));
        }
        let nonce_expires_at =
            parse_rfc3339(&w.nonce_expires_at).map_err(|e| bad(format!("nonceExpiresAt: {e}")))?;
        let nonce_rule = w.require_network_nonce.then(|| NonceRule {
            max_age: w
                .nonce_max_age_secs
                .and_then(|s| i64::try_from(s).ok())
                .map_or(DEFAULT_NONCE_MAX_AGE, sessionsig::time::Duration::seconds),
        });
        Ok(Handshake {
            node_url: w.node_url,
            node_version: w.node_version,
            nodes: w.nodes,
            nonce: w.nonce,
            nonce_expires_at,
            nonce_rule,
        })
    }
}

async fn handshake_one(
    client: &reqwest::Client,
    seed: &str,
    timeout: Duration,
) -> Result<Handshake> {
    check_node_url(seed)?;
    let url = join_url(seed, HANDSHAKE_PATH);
    let fut = async {
        let resp = client
            .get(&url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| ClientError::Handshake(describe_reqwest(&e)))?;
        let status = resp.status();
        let body = read_limited(resp, MAX_HANDSHAKE_LEN)
            .await
            .map_err(ClientError::Handshake)?;
        if !status.is_success() {
            return Err(ClientError::Handshake(format!(
                "status {}",
                status.as_u16()
            )));
        }
        let text = std::str::from_utf8(&body)
            .map_err(|_| ClientError::Handshake("answer is not UTF-8".into()))?;
        Handshake::from_json(text)
    };
    match tokio::time::timeout(timeout, fut).await {
        Ok(r) => r,
        Err(_) => Err(ClientError::Timeout {
            node: seed.to_owned(),
            millis: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
        }),
    }
}

/// An absolute `http://` or `https://` node URL with a host and no user information, query or
/// fragment, parsed by the one URL type ([`sessionsig::url::NodeUrl`]). The URL is kept as
/// written (it becomes the signed `nodeAddress`, which the node compares normalised).
pub fn check_node_url(url: &str) -> Result<()> {
    sessionsig::url::NodeUrl::parse_http(url)
        .map(|_| ())
        .map_err(|_| ClientError::InvalidNodeUrl(sessionsig::url::redact_url(url)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_urls() {
        for ok in [
            "https://127.0.0.1:7470",
            "http://localhost:8080/",
            "https://n.example/api",
        ] {
            check_node_url(ok).unwrap();
        }
        for bad in [
            "127.0.0.1:7470",
            "ftp://x",
            "https://",
            "https://:80",
            "https://a b",
            "http://x\"",
            "https://user:pw@n.example",
            "https://n.example/?key=1",
            "wss://n.example",
            "",
        ] {
            assert_eq!(
                check_node_url(bad).unwrap_err().code(),
                "invalid_node_url",
                "{bad}"
            );
        }
        let s = NodeSet::new(["https://a:1", "https://b:2", "https://a:1"]).unwrap();
        assert_eq!(s.urls(), ["https://a:1", "https://b:2"]);
    }

    #[test]
    fn handshake_json() {
        let ok = r#"{"nodeUrl":"https://a:1","nodeVersion":"0.1.0","nodes":["https://a:1","https://b:2"],"nonce":"abcdef0123456789","nonceExpiresAt":"2030-01-01T00:00:00.000Z","extra":1}"#;
        let h = Handshake::from_json(ok).unwrap();
        assert_eq!(h.nonce_rule, None);
        assert_eq!(h.nodes.len(), 2);
        assert_eq!(h.nonce, "abcdef0123456789");
        for bad in [
            r#"{"nodeUrl":"https://a:1","nodeVersion":"0","nodes":[],"nonce":"abcdef0123","nonceExpiresAt":"2030-01-01T00:00:00Z"}"#,
            r#"{"nodeUrl":"https://a:1","nodeVersion":"0","nodes":["x"],"nonce":"abcdef0123","nonceExpiresAt":"2030-01-01T00:00:00Z"}"#,
            r#"{"nodeUrl":"https://a:1","nodeVersion":"0","nodes":["https://a:1"],"nonce":"short","nonceExpiresAt":"2030-01-01T00:00:00Z"}"#,
            r#"{"nodeUrl":"https://a:1","nodeVersion":"0","nodes":["https://a:1"],"nonce":"abcdef0123","nonceExpiresAt":"tomorrow"}"#,
            r#"{"nodes":["https://a:1"]}"#,
        ] {
            assert_eq!(
                Handshake::from_json(bad).unwrap_err().code(),
                "handshake_failed",
                "{bad}"
            );
        }
        let now = parse_rfc3339("2029-01-01T00:00:00Z").unwrap();
        let set = NodeSet::new(h.nodes.clone())
            .unwrap()
            .with_nonce(NetworkNonce {
                value: h.nonce.clone(),
                expires_at: h.nonce_expires_at,
            });
        assert_eq!(set.fresh_nonce(now), Some("abcdef0123456789"));
        assert_eq!(set.fresh_nonce(h.nonce_expires_at), None);

        // A network that requires its nonces says so; the rule follows its max age.
        let required = ok.replace(
            "\"extra\":1",
            "\"requireNetworkNonce\":true,\"nonceMaxAgeSecs\":3600",
        );
        let h = Handshake::from_json(&required).unwrap();
        let rule = h.nonce_rule.unwrap();
        assert_eq!(rule.max_age, sessionsig::time::Duration::hours(1));
        let implicit = ok.replace("\"extra\":1", "\"requireNetworkNonce\":true");
        assert_eq!(
            Handshake::from_json(&implicit)
                .unwrap()
                .nonce_rule
                .unwrap()
                .max_age,
            DEFAULT_NONCE_MAX_AGE
        );
        // A random nonce never satisfies it; a network nonce does until it is too old.
        let issued = parse_rfc3339("2029-01-01T00:00:00Z").unwrap();
        let secs = u64::try_from(issued.unix_timestamp()).unwrap();
        let network = format!("{}{}", hex::encode(secs.to_be_bytes()), "ab".repeat(24));
        assert!(rule.accepts(&network, issued + sessionsig::time::Duration::minutes(59)));
        assert!(!rule.accepts(&network, issued + sessionsig::time::Duration::minutes(61)));
        assert!(!rule.accepts("abcdef0123456789abcdef0123456789", issued));
    }
}
