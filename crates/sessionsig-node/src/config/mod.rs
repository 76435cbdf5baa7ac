//! Node configuration: a TOML file, overridden by command-line flags, resolved into
//! [`Settings`] that a [`Node`](crate::server::Node) runs with.
//!
//! One source of truth per setting, so a flag, a key and a default cannot drift apart:
//!
//! * the file's schema is [`NodeConfig`] (each key once, its meaning in its doc);
//! * each key's flag — long name, value name, help, the default `--help` shows — is one row of
//!   the table in `flags` (with the `cli` feature), shared by `node` and `network up`; a test
//!   checks every key has exactly one flag;
//! * each default lives once — the core's [`Policy::default`](sessionsig::verify::Policy::default),
//!   [`Limits::default`], a `DEFAULT_…` constant — and both [`NodeConfig::resolve`] and
//!   `--help` read it there;
//! * every check is in [`NodeConfig::resolve`], for the file and the flags alike;
//! * a value that may hold a secret is a [`SecretUrl`] (or [`Hidden`](crate::redact::Hidden)),
//!   whose `Debug` and `Display` redact it, so every struct holding one derives `Debug`.
//!
//! ```toml
//! public_url = "http://127.0.0.1:7470"   # the nodeAddress this node accepts (required)
//! listen = "127.0.0.1:7470"              # default: the host:port of public_url when it is an IP
//! data_dir = "/var/lib/sessionsig"       # default: $XDG_DATA_HOME/sessionsig-node
//! store = "sqlite:///var/lib/sessionsig/sessionsig.db"  # default: sqlite://<data_dir>/sessionsig.db
//!                                        # postgres://user@host/db to share with other nodes
//! store_schema = "sessionsig"            # PostgreSQL schema for the tables (default: search path)
//! network = ["http://127.0.0.1:7470", "http://127.0.0.1:7471"]  # handshake node list (default: just this node)
//! network_secret_file = "/etc/sessionsig/network.key"  # 64 hex; default <data_dir>/network.key, created 0600
//! skew_secs = 60                         # clock skew allowed on each side of every window
//! max_lifetime_secs = 2592000            # longest SessionSig lifetime (30 days)
//! trust_lit_bls = false                  # accept lit.bls AuthSigs without a BLS check
//! nonce_ttl_secs = 600                   # how long a handshake nonce stays fresh
//! require_network_nonce = false          # refuse session AuthSigs whose SIWE nonce is not ours
//! cache_capacity = 10000                 # verified AuthSigs kept
//! worker_threads = 2                     # async threads (default: number of CPUs)
//! blocking_threads = 8                   # most threads verifying / waiting on the store at once
//!                                        # (default: 2 × CPUs, at least 8)
//! verify = true                          # false ONLY for load comparisons, with --insecure-no-verify
//! accepted_domains = ["app.example", "https://wallet.example"]  # SIWE domains accepted (default: any)
//! accepted_chain_ids = [1, 8453]         # SIWE chain ids accepted (default: any)
//! max_session_auth_sig_lifetime_secs = 2592000  # session AuthSigs must expire within (0: no cap)
//! max_delegation_lifetime_secs = 7776000 # delegation AuthSigs must expire within (0: no cap)
//! nonce_max_age_secs = 86400             # with require_network_nonce: oldest nonce at use
//! network_nonce_for_delegations = false  # with require_network_nonce: delegations, revocations too
//! prune_interval_secs = 3600             # delete expired revocations and idle rate-limit buckets (0: never)
//!
//! [limits]
//! max_body_bytes = 65536
//! max_header_bytes = 32768               # whole request head; at least 8192
//! max_headers = 64
//! max_json_depth = 16
//! request_timeout_ms = 10000
//! header_read_timeout_ms = 5000
//! max_concurrency = 1024                 # requests in flight on /v1; more are answered 503 overloaded
//! max_connections = 4096                 # open connections; more wait in the accept queue
//! shutdown_grace_ms = 10000              # in-flight requests get this long after SIGTERM
//! revocation_burst = 20                  # POST /v1/revocations per client address at once;
//! revocation_rate_per_minute = 60        # … regained per minute (0 in either: no limit);
//! revocation_rate_max_clients = 10000    # … addresses tracked at most (see crate::rate_limit)
//! max_concurrency_per_client = 256       # /v1 requests in flight per client address (default max_concurrency / 4)
//! max_connections_per_client = 1024      # open connections per client address (default max_connections / 4)
//!
//! [contract_wallets]                     # AuthSigs signed by smart-contract wallets (EIP1271)
//! rpc = { "1" = "https://eth.example/rpc", "8453" = "http://127.0.0.1:8545" }  # chain id → JSON-RPC URL
//! timeout_ms = 5000                      # one whole check (every request it makes), < request_timeout_ms
//! recheck_secs = 300                     # Policy::contract_wallet_recheck (0: ask the chain every time)
//! max_in_flight = 4                      # checks waiting on the chain at once (default blocking_threads / 2)
//! client_burst = 20                      # checks one client address may make at once (0: no limit)
//! client_checks_per_minute = 60          # checks one client address regains per minute (0: no limit)
//! ```
//!
//! # Contract wallets
//!
//! `[contract_wallets]` (flags `--eth-rpc CHAIN_ID=URL`, repeatable, `--eth-rpc-timeout-ms`,
//! `--contract-wallet-recheck-secs`) makes the verifier accept AuthSigs with
//! `derivedVia: "EIP1271"` / `"EIP1271_SHA256"` — a session delegated, a delegation granted or a
//! revocation signed by a smart-contract wallet — by asking the wallet on the chain named by the
//! SIWE `Chain ID` (ERC-1271 `isValidSignature`, ERC-6492 for wallets not deployed yet) through
//! [`sessionsig_rpc::JsonRpcContractWallets`]. Without any `rpc` entry nothing changes: such
//! AuthSigs are refused `unsupported_derived_via`.
//!
//! * Chain ids are decimal (`"1"`, `"8453"`), above 0, each given once; URLs are `http://` or
//!   `https://` with a host and no white space. A `--eth-rpc` flag replaces the file's entry for
//!   its chain. Anything else stops the node at startup with `invalid_config` (exit 2).
//! * `timeout_ms` (default 5000) bounds one whole check and must be less than
//!   `limits.request_timeout_ms`, so a slow chain gets its own answer rather than a 408.
//! * A check fails closed. A wallet that says no, or a SIWE chain id with no endpoint here,
//!   refuses the request with `401 contract_wallet_invalid`; an endpoint that is down, slow,
//!   answers an HTTP error or nonsense, or serves another chain refuses it with
//!   `503 contract_wallet_unavailable` (the signature may be good: retry, do not re-sign). A
//!   cached "yes" is trusted for `recheck_secs` (default 300,
//!   [`Policy::contract_wallet_recheck`](sessionsig::verify::Policy::contract_wallet_recheck));
//!   after that the chain is asked again, so a wallet whose owner changed, or whose chain
//!   cannot be reached, stops verifying.
//! * The JSON-RPC client is blocking (ureq); like every verification it runs on the blocking
//!   pool (`blocking_threads`), never on an async worker. A hanging endpoint holds one blocking
//!   thread for at most `timeout_ms` per AuthSig, and at most `max_in_flight` checks (default
//!   half of `blocking_threads`) wait on the chain at once: one more is refused at once
//!   (`503 contract_wallet_unavailable`), so wallet sessions keep the rest of the pool.
//! * Each check costs one or two JSON-RPC calls (often paid, always rate-limited by the
//!   provider), and a contract-wallet AuthSig costs nothing to make up. So each client address
//!   may make `client_burst` checks at once and regains `client_checks_per_minute` a minute;
//!   beyond, `503 contract_wallet_unavailable` ("try again in N s") without asking the chain,
//!   while other clients, and every session already verified (cached), go on. Behind a reverse
//!   proxy every client has the proxy's address: limit there, or raise these.
//! * RPC URLs often carry an API key or `user:password@`: they are never printed whole — logs,
//!   `Debug` and error messages show [`crate::redact::redact_url`] (`https://***@eth.example/…`), and the
//!   JSON-RPC errors never contain the URL. Prefer the file (or `SESSIONSIG_NODE_ETH_RPC`) to the
//!   command line for such URLs.

mod contract_wallets;
#[cfg(feature = "cli")]
pub mod flags;
mod limits;
mod resolve;
mod secrets;
#[cfg(test)]
mod tests;

pub use contract_wallets::{
    parse_eth_rpc_flag, ContractWalletSettings, ContractWalletsConfig,
    DEFAULT_CONTRACT_WALLET_CLIENT_BURST, DEFAULT_CONTRACT_WALLET_CLIENT_PER_MINUTE,
    DEFAULT_CONTRACT_WALLET_RECHECK_SECS, DEFAULT_CONTRACT_WALLET_TIMEOUT_MS,
};
pub use limits::Limits;
pub use resolve::{
    Settings, DEFAULT_CACHE_CAPACITY, DEFAULT_NONCE_MAX_AGE_SECS, DEFAULT_NONCE_TTL_SECS,
    DEFAULT_PRUNE_INTERVAL_SECS,
};
pub use secrets::{default_data_dir, read_or_create_secret, read_secret};

use crate::error::{NodeError, Result};
use crate::redact::SecretUrl;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The configuration as written (file and flags); every field optional. Its `Debug` output
/// redacts the store URL's password and the contract-wallet URLs (they are [`SecretUrl`]s).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeConfig {
    /// The node's public URL: the `nodeAddress` (and SessionSigs map key) it accepts.
    pub public_url: Option<String>,
    /// Socket address to listen on.
    pub listen: Option<SocketAddr>,
    /// Directory for the default SQLite store and the network secret.
    pub data_dir: Option<PathBuf>,
    /// Store URL: `sqlite://<path>`, `postgres://…` or `memory:`.
    pub store: Option<SecretUrl>,
    /// PostgreSQL schema for the tables (created if missing; default: the search path).
    pub store_schema: Option<String>,
    /// Every node of the network (the handshake's list).
    pub network: Vec<String>,
    /// File holding the network's nonce secret (64 hex characters).
    pub network_secret_file: Option<PathBuf>,
    /// Clock skew, seconds.
    pub skew_secs: Option<u64>,
    /// Maximum SessionSig lifetime, seconds.
    pub max_lifetime_secs: Option<u64>,
    /// Accept `lit.bls` AuthSigs unchecked.
    pub trust_lit_bls: Option<bool>,
    /// Handshake nonce lifetime, seconds.
    pub nonce_ttl_secs: Option<u64>,
    /// Require a fresh network nonce in session AuthSigs.
    pub require_network_nonce: Option<bool>,
    /// AuthSig cache capacity.
    pub cache_capacity: Option<usize>,
    /// Async worker threads.
    pub worker_threads: Option<usize>,
    /// Blocking-pool threads (verification and store calls).
    pub blocking_threads: Option<usize>,
    /// Verify SessionSigs on `/v1/authorize` (false only with `--insecure-no-verify`).
    pub verify: Option<bool>,
    /// Request limits.
    pub limits: Limits,
    /// Contract wallets (`[contract_wallets]`).
    pub contract_wallets: ContractWalletsConfig,
    /// The data backpack (`[backpack]`).
    pub backpack: crate::backpack::BackpackConfig,
    /// SIWE domains accepted in AuthSigs (`app.example` or `https://app.example`); absent:
    /// any (Lit-compatible; the node says so at startup).
    pub accepted_domains: Option<Vec<String>>,
    /// SIWE chain ids accepted in AuthSigs; absent: any.
    pub accepted_chain_ids: Option<Vec<u64>>,
    /// Longest session AuthSig lifetime, seconds (default 30 days; 0: no cap and no
    /// expiration required, as Lit).
    pub max_session_auth_sig_lifetime_secs: Option<u64>,
    /// Longest delegation AuthSig lifetime, seconds (default 90 days; 0: no cap).
    pub max_delegation_lifetime_secs: Option<u64>,
    /// With `require_network_nonce`: the oldest a session AuthSig's handshake nonce may be
    /// when the session is used, seconds (default 86400).
    pub nonce_max_age_secs: Option<u64>,
    /// With `require_network_nonce`: carried delegations and posted revocations must carry a
    /// nonce of this network too (default false).
    pub network_nonce_for_delegations: Option<bool>,
    /// How often expired revocations and full rate-limit buckets are deleted from the store,
    /// seconds (default 3600; 0: never).
    pub prune_interval_secs: Option<u64>,
}

impl NodeConfig {
    /// Read a TOML file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| NodeError::io(path.display(), e))?;
        Self::from_toml(&text).map_err(|e| match e {
            NodeError::Config(m) => NodeError::Config(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    /// Parse TOML text.
    pub fn from_toml(text: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| NodeError::Config(e.to_string()))
    }
}

impl NodeConfig {
    /// The runtime's (async worker threads, blocking threads): `worker_threads` (default the
    /// number of CPUs) and `blocking_threads` (default twice the number of CPUs, at least 8:
    /// verification is CPU-bound and the store's pool holds 8 connections, so more threads
    /// only add context switches and pool waits — with the load bench on 2 cores, 64 threads
    /// cost 6–30 % more node CPU per request than 8).
    pub fn threads(&self) -> (usize, usize) {
        let cpus = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        (
            self.worker_threads.unwrap_or(cpus).max(1),
            self.blocking_threads.unwrap_or((2 * cpus).max(8)).max(1),
        )
    }
}
