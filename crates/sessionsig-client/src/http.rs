//! Sending a request to every node, each with its own SessionSig, and gathering the answers.
//!
//! [`FanOut::post_json`] sends `POST <node><path>` with the caller's JSON object plus
//! `"authSig": <that node's SessionSig>` (the field the Lit nodes read), to all nodes at once.
//! It returns as soon as the [`Threshold`] of successful answers (2xx with a JSON body) is
//! reached — the requests still in flight are cancelled — or fails with
//! [`ClientError::ThresholdNotReached`] as soon as too many nodes have failed for the threshold
//! to be reachable. Each node's exchange is bounded by the timeout.

pub use crate::error::NodeFailure;
use crate::error::{ClientError, Result};
use crate::transport::{describe_reqwest, join_url, read_limited, refusal};
use serde_json::{Map, Value};
use sessionsig::lit::{LitAbility, LitResource};
use sessionsig::session::{SessionSig, SessionSigs};
use sessionsig::wire::{AuthorizeRequest, AUTHORIZE_PATH};
use std::time::Duration;
use tokio::task::JoinSet;

/// Largest answer body accepted from a node (bytes).
const MAX_REPLY_LEN: usize = 4 << 20;

/// How many successful answers a fan-out needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Threshold {
    /// Every node.
    #[default]
    All,
    /// At least this many nodes (1 ≤ n ≤ number of nodes).
    AtLeast(usize),
    /// At least two thirds of the nodes, rounded up (the Lit network's rule).
    TwoThirds,
}

impl Threshold {
    /// The number of successes needed out of `n` nodes.
    ///
    /// Errors: [`ClientError::InvalidConfig`] for `AtLeast(0)` or more than `n`.
    pub fn needed(self, n: usize) -> Result<usize> {
        let k = match self {
            Threshold::All => n,
            Threshold::AtLeast(k) => k,
            Threshold::TwoThirds => (2 * n).div_ceil(3),
        };
        if k == 0 || k > n {
            return Err(ClientError::InvalidConfig(format!(
                "a threshold of {k} successes out of {n} nodes"
            )));
        }
        Ok(k)
    }
}

/// One node's successful answer.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeReply {
    /// The node URL (the SessionSigs key).
    pub node: String,
    /// The HTTP status (2xx).
    pub status: u16,
    /// The JSON body (`null` for an empty body).
    pub body: Value,
}

/// The answers gathered by a fan-out that reached its threshold.
#[derive(Debug, Clone, Default)]
pub struct FanOutOutcome {
    /// Successful answers, in arrival order (at least the threshold).
    pub replies: Vec<NodeReply>,
    /// Nodes that failed before the threshold was reached.
    pub failures: Vec<NodeFailure>,
}

/// Sends one request per node with that node's SessionSig. Cheap to clone.
#[derive(Debug, Clone)]
pub struct FanOut {
    client: reqwest::Client,
    timeout: Duration,
    threshold: Threshold,
}

impl FanOut {
    /// A fan-out with its own HTTP client (rustls, webpki roots), a per-node `timeout` and
    /// [`Threshold::All`].
    ///
    /// Errors: [`ClientError::InvalidConfig`] if the TLS stack cannot be set up.
    pub fn new(timeout: Duration) -> Result<Self> {
        let client = reqwest::Client::builder()
            .build()
            .map_err(|e| ClientError::InvalidConfig(format!("HTTP client: {e}")))?;
        Ok(Self::with_client(client, timeout))
    }

    /// A fan-out over an existing HTTP client.
    pub fn with_client(client: reqwest::Client, timeout: Duration) -> Self {
        FanOut {
            client,
            timeout,
            threshold: Threshold::All,
        }
    }

    /// Set the threshold of successful answers.
    pub fn threshold(mut self, threshold: Threshold) -> Self {
        self.threshold = threshold;
        self
    }

    /// The HTTP client.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// `POST <node><path>` to every node of `sigs` with `body` plus `"authSig"`: that node's
    /// SessionSig. See the [module documentation](self).
    ///
    /// Errors: [`ClientError::NoNodes`], [`ClientError::InvalidConfig`] (threshold),
    /// [`ClientError::ThresholdNotReached`] (with every failure seen).
    pub async fn post_json(
        &self,
        path: &str,
        body: &Map<String, Value>,
        sigs: &SessionSigs,
    ) -> Result<FanOutOutcome> {
        if sigs.is_empty() {
            return Err(ClientError::NoNodes);
        }
        let n = sigs.len();
        let needed = self.threshold.needed(n)?;
        let mut set = JoinSet::new();
        for (node, sig) in sigs.iter() {
            let mut payload = body.clone();
            let sig_value = serde_json::to_value(sig).map_err(sessionsig::Error::from)?;
            payload.insert("authSig".to_owned(), sig_value);
            let bytes =
                serde_json::to_vec(&Value::Object(payload)).map_err(sessionsig::Error::from)?;
            let client = self.client.clone();
            let url = join_url(node, path);
            let node = node.to_owned();
            let timeout = self.timeout;
            set.spawn(async move {
                let r = tokio::time::timeout(timeout, post_one(&client, &url, &node, bytes)).await;
                let r = match r {
                    Ok(r) => r,
                    Err(_) => Err(ClientError::Timeout {
                        node: node.clone(),
                        millis: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                    }),
                };
                (node, r)
            });
        }
        let mut out = FanOutOutcome::default();
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok((_, Ok(reply))) => out.replies.push(reply),
                Ok((node, Err(e))) => out.failures.push(NodeFailure::new(node, &e)),
                Err(e) => out.failures.push(NodeFailure::new(
                    String::new(),
                    &ClientError::Http {
                        node: String::new(),
                        reason: format!("request task failed: {e}"),
                    },
                )),
            }
            if out.replies.len() >= needed {
                // Dropping the set cancels the requests still in flight.
                return Ok(out);
            }
            if out.failures.len() > n - needed {
                return Err(ClientError::ThresholdNotReached {
                    successes: out.replies.len(),
                    needed,
                    failures: out.failures,
                });
            }
        }
        Err(ClientError::ThresholdNotReached {
            successes: out.replies.len(),
            needed,
            failures: out.failures,
        })
    }
}

/// Ask one node whether `sig` (the SessionSig made for `node`) is valid there, optionally for
/// one operation: `POST <node>/v1/authorize` with the shared
/// [`AuthorizeRequest`] body. Returns the node's answer (the verified session's JSON).
///
/// Errors: [`ClientError::NodeRefused`] with the node's code when it refuses (for example
/// `nonce_invalid` when the network requires its nonce), [`ClientError::Http`],
/// [`ClientError::Timeout`].
pub async fn authorize(
    client: &reqwest::Client,
    node: &str,
    sig: &SessionSig,
    operation: Option<(&LitResource, LitAbility)>,
    timeout: Duration,
) -> Result<NodeReply> {
    let body = AuthorizeRequest {
        session_sig: sig,
        resource: operation.map(|(r, _)| r.to_string()),
        ability: operation.map(|(_, a)| a.as_str().to_owned()),
    };
    let bytes = serde_json::to_vec(&body).map_err(sessionsig::Error::from)?;
    let url = join_url(node, AUTHORIZE_PATH);
    match tokio::time::timeout(timeout, post_one(client, &url, node, bytes)).await {
        Ok(r) => r,
        Err(_) => Err(ClientError::Timeout {
            node: node.to_owned(),
            millis: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
        }),
    }
}

async fn post_one(
    client: &reqwest::Client,
    url: &str,
    node: &str,
    body: Vec<u8>,
) -> Result<NodeReply> {
    let http = |reason: String| ClientError::Http {
        node: node.to_owned(),
        reason,
    };
    let resp = client
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| http(describe_reqwest(&e)))?;
    let status = resp.status().as_u16();
    let bytes = read_limited(resp, MAX_REPLY_LEN).await.map_err(http)?;
    if !(200..300).contains(&status) {
        return Err(refusal(node, status, &bytes));
    }
    let body = if bytes.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).map_err(|e| http(format!("answer is not JSON: {e}")))?
    };
    Ok(NodeReply {
        node: node.to_owned(),
        status,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds() {
        assert_eq!(Threshold::All.needed(5).unwrap(), 5);
        assert_eq!(Threshold::AtLeast(3).needed(5).unwrap(), 3);
        assert_eq!(Threshold::TwoThirds.needed(30).unwrap(), 20);
        assert_eq!(Threshold::TwoThirds.needed(4).unwrap(), 3);
        assert_eq!(Threshold::TwoThirds.needed(1).unwrap(), 1);
        assert!(Threshold::AtLeast(0).needed(5).is_err());
        assert!(Threshold::AtLeast(6).needed(5).is_err());
        assert!(Threshold::All.needed(0).is_err());
    }
}
