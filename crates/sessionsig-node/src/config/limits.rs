//! `[limits]`: request sizes, timeouts and the node's and each client's shares.

use crate::error::{NodeError, Result};
use serde::Deserialize;

/// Request limits.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest request body (bytes).
    pub max_body_bytes: usize,
    /// Largest request head: request line and headers (bytes, at least 8192).
    pub max_header_bytes: usize,
    /// Most header fields in a request.
    pub max_headers: usize,
    /// Deepest JSON nesting accepted (body and Authorization header).
    pub max_json_depth: usize,
    /// Longest time to answer a request (ms).
    pub request_timeout_ms: u64,
    /// Longest time for a client to send its request head (ms).
    pub header_read_timeout_ms: u64,
    /// Most `/v1` requests in flight; beyond, `503 overloaded`.
    pub max_concurrency: usize,
    /// Most open connections; beyond, new ones wait in the accept queue.
    pub max_connections: usize,
    /// How long in-flight requests may run after a shutdown signal (ms).
    pub shutdown_grace_ms: u64,
    /// `POST /v1/revocations`: requests one client address may make at once (the bucket of
    /// [`crate::rate_limit`]); beyond, `429 rate_limited`. 0: no limit.
    pub revocation_burst: u32,
    /// `POST /v1/revocations`: requests one client address regains per minute. 0: no limit.
    pub revocation_rate_per_minute: u32,
    /// Most client addresses the revocation rate limit tracks (bounds its memory; at least 1).
    pub revocation_rate_max_clients: usize,
    /// Most `/v1` requests in flight from one client address ([`crate::client_limit`]);
    /// beyond, `429 client_overloaded`. Default: a quarter of `max_concurrency`.
    pub max_concurrency_per_client: Option<usize>,
    /// Most open connections from one client address; beyond, a new one is closed at once.
    /// Default: a quarter of `max_connections`.
    pub max_connections_per_client: Option<usize>,
}

impl Limits {
    /// The per-client share of requests in flight (explicit, or a quarter of the node's).
    pub fn concurrency_per_client(&self) -> usize {
        self.max_concurrency_per_client
            .unwrap_or(self.max_concurrency / 4)
            .max(1)
    }

    /// The per-client share of open connections (explicit, or a quarter of the node's).
    pub fn connections_per_client(&self) -> usize {
        self.max_connections_per_client
            .unwrap_or(self.max_connections / 4)
            .max(1)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 64 * 1024,
            max_header_bytes: 32 * 1024,
            max_headers: 64,
            max_json_depth: 16,
            request_timeout_ms: 10_000,
            header_read_timeout_ms: 5_000,
            max_concurrency: 1024,
            max_connections: 4096,
            shutdown_grace_ms: 10_000,
            revocation_burst: 20,
            revocation_rate_per_minute: 60,
            revocation_rate_max_clients: 10_000,
            max_concurrency_per_client: None,
            max_connections_per_client: None,
        }
    }
}

pub(super) fn check_limits(l: &Limits) -> Result<()> {
    let bad = |m: &str| Err(NodeError::Config(format!("limits.{m}")));
    if l.max_header_bytes < 8192 {
        return bad("max_header_bytes must be at least 8192");
    }
    if l.max_body_bytes == 0 || l.max_headers == 0 || l.max_json_depth == 0 {
        return bad("max_body_bytes, max_headers and max_json_depth must be positive");
    }
    if l.max_concurrency == 0 || l.max_connections == 0 {
        return bad("max_concurrency and max_connections must be positive");
    }
    if l.request_timeout_ms == 0 || l.header_read_timeout_ms == 0 {
        return bad("request_timeout_ms and header_read_timeout_ms must be positive");
    }
    if l.revocation_rate_max_clients == 0 {
        return bad("revocation_rate_max_clients must be positive");
    }
    if l.max_concurrency_per_client == Some(0) || l.max_connections_per_client == Some(0) {
        return bad("max_concurrency_per_client and max_connections_per_client must be positive");
    }
    Ok(())
}
