//! # sessionsig-node
//!
//! A node that verifies SessionSigs (Lit-compatible session signatures) over HTTP, and the
//! pieces to do the same inside any axum app.
//!
//! * [`auth`]: the `Authorization: SessionSig <base64url(JSON)>` header, the [`Authorizer`]
//!   (verification on the blocking pool, metrics, optional network-nonce rule), the
//!   [`RequireSessionSig`] tower layer and the [`Session`] extractor.
//! * [`routes`]: the node's API: `GET /v1/handshake`, `POST /v1/authorize`, `GET /v1/session`,
//!   `POST /v1/revocations`, `GET /v1/revocations/{id}`, `GET /healthz`, `GET /metrics`.
//! * [`error`]: one error enum, a stable code per failure, and the status table.
//! * [`config`]: TOML file + flags → [`Settings`] (including `[contract_wallets]`: ERC-1271 /
//!   ERC-6492 checks over JSON-RPC with `sessionsig-rpc`); [`server`]: the accept loop with
//!   limits and graceful shutdown; [`network`]: N local nodes on one shared store.
//! * [`store`]: revocations, use counters and the revocation log (memory, SQLite, PostgreSQL).
//! * [`nonce`]: stateless HMAC-authenticated handshake nonces; [`metrics`]: Prometheus text.
//! * [`rate_limit`]: per-client token buckets (`POST /v1/revocations`, `429 rate_limited`);
//!   [`client_limit`]: each client address's share of requests in flight and connections.
//!
//! The verifier and the stores are synchronous (≈ 100 µs of CPU, a database round trip, or a
//! blocking JSON-RPC call for a contract wallet): every call to them runs on
//! `tokio::task::spawn_blocking`, never on an async worker.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod auth;
pub mod backpack;
pub mod chain_limit;
#[cfg(feature = "cli")]
pub mod cli;
pub mod client_limit;
pub mod client_scope;
pub mod config;
pub mod error;
pub mod json;
pub mod metrics;
pub mod network;
pub mod nonce;
pub mod openapi;
pub mod rate_limit;
pub mod redact;
pub mod routes;
pub mod server;
pub mod store;
pub mod token_cache;
pub mod web;

pub use auth::{authorization_value, Authorizer, RequireSessionSig, Session};
pub use config::{Limits, NodeConfig, Settings};
pub use error::{NodeError, Result};
pub use routes::{router, AppState};
pub use server::Node;
