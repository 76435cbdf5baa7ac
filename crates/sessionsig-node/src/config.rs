//! Node configuration: a TOML file, overridden by command-line flags, resolved into
//! [`Settings`] that a [`Node`](crate::server::Node) runs with.
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
//!   [`Policy::contract_wallet_recheck`]); after that the chain is asked again, so a wallet
//!   whose owner changed, or whose chain cannot be reached, stops verifying.
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

use crate::error::{NodeError, Result};
use crate::nonce::SECRET_LEN;
use serde::Deserialize;
use sessionsig::url::{EndpointUrl, NodeUrl};
use sessionsig::verify::{AcceptedDomain, NodeIdentity, Policy};
use sessionsig_rpc::JsonRpcContractWallets;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use time::Duration;
use zeroize::Zeroizing;

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

/// `[contract_wallets]`: contract-wallet (`derivedVia: "EIP1271"`) AuthSigs, checked over
/// Ethereum JSON-RPC (see the [module](self) documentation). Without any `rpc` entry they are
/// refused (`unsupported_derived_via`). Its `Debug` output redacts the URLs.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContractWalletsConfig {
    /// Chain id (decimal, a TOML key: `"1"`) → JSON-RPC URL (`http://` or `https://`).
    pub rpc: BTreeMap<String, String>,
    /// Longest time one contract-wallet check may take, ms (default 5000; less than
    /// `limits.request_timeout_ms`).
    pub timeout_ms: Option<u64>,
    /// How long a contract wallet's cached "yes" is trusted, seconds (default 300; 0: ask the
    /// chain on every verification): [`Policy::contract_wallet_recheck`].
    pub recheck_secs: Option<u64>,
    /// Most contract-wallet checks waiting on the chain at once (default: half of
    /// `blocking_threads`, at least 1); one more is refused at once
    /// (`contract_wallet_unavailable`), so a slow chain never holds every blocking thread
    /// ([`crate::chain_limit`]).
    pub max_in_flight: Option<usize>,
    /// Contract-wallet checks (each one or two JSON-RPC calls) one client address may make at
    /// once (default 20); beyond, `503 contract_wallet_unavailable` without asking the chain.
    /// Sessions already verified (cached) cost nothing. 0: no per-client limit.
    pub client_burst: Option<u32>,
    /// Contract-wallet checks one client address regains per minute (default 60). 0: no
    /// per-client limit.
    pub client_checks_per_minute: Option<u32>,
}

impl std::fmt::Debug for ContractWalletsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rpc: BTreeMap<&str, String> = self
            .rpc
            .iter()
            .map(|(chain, url)| (chain.as_str(), crate::redact::redact_url(url)))
            .collect();
        f.debug_struct("ContractWalletsConfig")
            .field("rpc", &rpc)
            .field("timeout_ms", &self.timeout_ms)
            .field("recheck_secs", &self.recheck_secs)
            .field("max_in_flight", &self.max_in_flight)
            .field("client_burst", &self.client_burst)
            .field("client_checks_per_minute", &self.client_checks_per_minute)
            .finish()
    }
}

/// Default bound on one contract-wallet check (ms).
pub const DEFAULT_CONTRACT_WALLET_TIMEOUT_MS: u64 = 5_000;

/// Default number of contract-wallet checks one client address may make at once.
pub const DEFAULT_CONTRACT_WALLET_CLIENT_BURST: u32 = 20;

/// Default number of contract-wallet checks one client address regains per minute.
pub const DEFAULT_CONTRACT_WALLET_CLIENT_PER_MINUTE: u32 = 60;

/// Default time a contract wallet's "yes" is trusted from the cache (seconds), as the core's
/// [`Policy::default`].
pub const DEFAULT_CONTRACT_WALLET_RECHECK_SECS: u64 = 300;

impl ContractWalletsConfig {
    /// Set the JSON-RPC URL of one chain from `CHAIN_ID=URL` (the `--eth-rpc` flag), replacing
    /// whatever the file said for that chain.
    pub fn set_from_flag(&mut self, entry: &str) -> Result<()> {
        let (chain_id, url) = parse_eth_rpc_flag(entry)?;
        self.rpc
            .retain(|k, _| parse_chain_id(k).ok() != Some(chain_id));
        self.rpc.insert(chain_id.to_string(), url);
        Ok(())
    }

    /// Check the section: `None` when no chain is configured.
    fn resolve(
        &self,
        limits: &Limits,
        blocking_threads: usize,
    ) -> Result<Option<ContractWalletSettings>> {
        let mut endpoints: Vec<(u64, String)> = Vec::with_capacity(self.rpc.len());
        for (chain, url) in &self.rpc {
            let chain_id = parse_chain_id(chain)?;
            if endpoints.iter().any(|(c, _)| *c == chain_id) {
                return Err(NodeError::Config(format!(
                    "contract_wallets.rpc: chain {chain_id} is given more than once"
                )));
            }
            check_rpc_url(chain_id, url)?;
            endpoints.push((chain_id, url.clone()));
        }
        endpoints.sort_by_key(|(c, _)| *c);
        let timeout_ms = self
            .timeout_ms
            .unwrap_or(DEFAULT_CONTRACT_WALLET_TIMEOUT_MS);
        if timeout_ms == 0 {
            return Err(NodeError::Config(
                "contract_wallets.timeout_ms must be positive".into(),
            ));
        }
        if endpoints.is_empty() {
            return Ok(None);
        }
        if timeout_ms >= limits.request_timeout_ms {
            return Err(NodeError::Config(format!(
                "contract_wallets.timeout_ms ({timeout_ms}) must be less than \
                 limits.request_timeout_ms ({})",
                limits.request_timeout_ms
            )));
        }
        let max_in_flight = match self.max_in_flight {
            Some(0) => {
                return Err(NodeError::Config(
                    "contract_wallets.max_in_flight must be positive".into(),
                ))
            }
            Some(n) => n,
            None => (blocking_threads / 2).max(1),
        };
        let settings = ContractWalletSettings {
            endpoints,
            timeout: std::time::Duration::from_millis(timeout_ms),
            max_in_flight,
            client_burst: self
                .client_burst
                .unwrap_or(DEFAULT_CONTRACT_WALLET_CLIENT_BURST),
            client_checks_per_minute: self
                .client_checks_per_minute
                .unwrap_or(DEFAULT_CONTRACT_WALLET_CLIENT_PER_MINUTE),
        };
        // The client's own checks, now rather than when the node starts serving.
        settings.verifier()?;
        Ok(Some(settings))
    }
}

/// Checked contract-wallet settings: where each chain is asked, and for how long. Its `Debug`
/// output redacts the URLs.
#[derive(Clone, PartialEq, Eq)]
pub struct ContractWalletSettings {
    /// `(chain id, JSON-RPC URL)`, by chain id. A URL may hold credentials: print
    /// [`crate::redact::redact_url`] of it.
    pub endpoints: Vec<(u64, String)>,
    /// Bound on one whole check (every request it makes).
    pub timeout: std::time::Duration,
    /// Most checks waiting on the chain at once ([`crate::chain_limit`]).
    pub max_in_flight: usize,
    /// Checks one client address may make at once (0: no per-client limit).
    pub client_burst: u32,
    /// Checks one client address regains per minute (0: no per-client limit).
    pub client_checks_per_minute: u32,
}

impl ContractWalletSettings {
    /// The JSON-RPC contract-wallet verifier for these endpoints (no I/O until asked).
    pub fn verifier(&self) -> Result<JsonRpcContractWallets> {
        JsonRpcContractWallets::new(self.endpoints.iter().cloned(), self.timeout).map_err(|e| {
            // The client's errors name the chain id, never the URL.
            NodeError::Config(format!("contract_wallets: {e}"))
        })
    }

    /// One line for logs: `chain 1 at https://***@eth.example/…, chain 8453 at …`.
    pub fn describe(&self) -> String {
        self.endpoints
            .iter()
            .map(|(chain, url)| format!("chain {chain} at {}", crate::redact::redact_url(url)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl std::fmt::Debug for ContractWalletSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContractWalletSettings")
            .field("endpoints", &self.describe())
            .field("timeout", &self.timeout)
            .field("max_in_flight", &self.max_in_flight)
            .field("client_burst", &self.client_burst)
            .field("client_checks_per_minute", &self.client_checks_per_minute)
            .finish()
    }
}

/// The configuration as written (file and flags); every field optional. Its `Debug` output
/// redacts the store URL's password and the contract-wallet URLs.
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeConfig {
    /// The node's public URL: the `nodeAddress` (and SessionSigs map key) it accepts.
    pub public_url: Option<String>,
    /// Socket address to listen on.
    pub listen: Option<SocketAddr>,
    /// Directory for the default SQLite store and the network secret.
    pub data_dir: Option<PathBuf>,
    /// Store URL: `sqlite://<path>`, `postgres://…` or `memory:`.
    pub store: Option<String>,
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

impl std::fmt::Debug for NodeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeConfig")
            .field("public_url", &self.public_url)
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field(
                "store",
                &self.store.as_deref().map(crate::redact::redact_url),
            )
            .field("store_schema", &self.store_schema)
            .field("network", &self.network)
            .field("network_secret_file", &self.network_secret_file)
            .field("skew_secs", &self.skew_secs)
            .field("max_lifetime_secs", &self.max_lifetime_secs)
            .field("trust_lit_bls", &self.trust_lit_bls)
            .field("nonce_ttl_secs", &self.nonce_ttl_secs)
            .field("require_network_nonce", &self.require_network_nonce)
            .field("cache_capacity", &self.cache_capacity)
            .field("worker_threads", &self.worker_threads)
            .field("blocking_threads", &self.blocking_threads)
            .field("verify", &self.verify)
            .field("limits", &self.limits)
            .field("contract_wallets", &self.contract_wallets)
            .field("backpack", &self.backpack)
            .field("accepted_domains", &self.accepted_domains)
            .field("accepted_chain_ids", &self.accepted_chain_ids)
            .field(
                "max_session_auth_sig_lifetime_secs",
                &self.max_session_auth_sig_lifetime_secs,
            )
            .field(
                "max_delegation_lifetime_secs",
                &self.max_delegation_lifetime_secs,
            )
            .field("nonce_max_age_secs", &self.nonce_max_age_secs)
            .field(
                "network_nonce_for_delegations",
                &self.network_nonce_for_delegations,
            )
            .field("prune_interval_secs", &self.prune_interval_secs)
            .finish()
    }
}

/// Everything a node runs with, checked.
#[derive(Clone)]
pub struct Settings {
    /// The public URL (the `nodeAddress` accepted).
    pub public_url: String,
    /// Where to listen.
    pub listen: SocketAddr,
    /// The store URL (may contain a password: print [`crate::redact::redact_url`] of it).
    pub store: String,
    /// PostgreSQL schema for the tables.
    pub store_schema: Option<String>,
    /// The network's nodes, this one included.
    pub network: Vec<String>,
    /// The network's nonce secret.
    pub network_secret: Zeroizing<[u8; SECRET_LEN]>,
    /// Verification policy.
    pub policy: Policy,
    /// Handshake nonce lifetime.
    pub nonce_ttl: Duration,
    /// Require network nonces.
    pub require_network_nonce: bool,
    /// AuthSig cache capacity.
    pub cache_capacity: usize,
    /// Async worker threads.
    pub worker_threads: usize,
    /// Blocking-pool threads.
    pub blocking_threads: usize,
    /// Verify on `/v1/authorize`.
    pub verify: bool,
    /// Request limits.
    pub limits: Limits,
    /// Contract-wallet checks over JSON-RPC; `None`: `EIP1271` AuthSigs are refused
    /// (`unsupported_derived_via`). How long their answers are cached is
    /// [`Policy::contract_wallet_recheck`] in `policy`.
    pub contract_wallets: Option<ContractWalletSettings>,
    /// The data backpack.
    pub backpack: crate::backpack::BackpackNodeSettings,
    /// With `require_network_nonce`: the oldest a handshake nonce may be when it is used.
    pub nonce_max_age: Duration,
    /// With `require_network_nonce`: delegations and revocations need a network nonce too.
    pub network_nonce_for_delegations: bool,
    /// How often the store is pruned (`None`: never).
    pub prune_interval: Option<std::time::Duration>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("public_url", &self.public_url)
            .field("listen", &self.listen)
            .field("store", &crate::redact::redact_url(&self.store))
            .field("network", &self.network)
            .field("network_secret", &"<redacted>")
            .field("policy", &self.policy)
            .field("nonce_ttl", &self.nonce_ttl)
            .field("require_network_nonce", &self.require_network_nonce)
            .field("verify", &self.verify)
            .field("limits", &self.limits)
            .field("contract_wallets", &self.contract_wallets)
            .field("nonce_max_age", &self.nonce_max_age)
            .field(
                "network_nonce_for_delegations",
                &self.network_nonce_for_delegations,
            )
            .finish()
    }
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

    /// Check everything and produce [`Settings`]. `insecure_no_verify` is the explicit
    /// acknowledgement that `verify = false` requires. Reads (and creates, under the data
    /// directory) the network secret file.
    pub fn resolve(&self, insecure_no_verify: bool) -> Result<Settings> {
        let public_url = self
            .public_url
            .clone()
            .ok_or_else(|| NodeError::Config("public_url (--public-url) is required".into()))?;
        check_url(&public_url)?;
        let identity = NodeIdentity::new(&public_url)
            .map_err(|e| NodeError::Config(format!("public_url: {e}")))?;
        let listen = match self.listen {
            Some(l) => l,
            None => default_listen(identity.host_port()).ok_or_else(|| {
                NodeError::Config(format!(
                    "cannot listen on the host of {public_url}: give listen (--listen)"
                ))
            })?,
        };
        let data_dir = self.data_dir.clone().unwrap_or_else(default_data_dir);
        let store = match &self.store {
            Some(s) => s.clone(),
            None => format!("sqlite://{}", data_dir.join("sessionsig.db").display()),
        };
        let mut network = Vec::new();
        for n in &self.network {
            check_url(n)?;
            if !network.contains(n) {
                network.push(n.clone());
            }
        }
        if !network.iter().any(|n| identity.matches(n)) {
            network.insert(0, public_url.clone());
        }
        let verify = self.verify.unwrap_or(true);
        if !verify && !insecure_no_verify {
            return Err(NodeError::Insecure(
                "verify = false turns off SessionSig verification on /v1/authorize; it exists \
                 only for load comparisons and needs --insecure-no-verify"
                    .into(),
            ));
        }
        let limits = self.limits.clone();
        check_limits(&limits)?;
        let secs = |v: Option<u64>, default: u64, what: &str| -> Result<Duration> {
            let v = v.unwrap_or(default);
            i64::try_from(v)
                .ok()
                .filter(|v| *v <= 100 * 365 * 86_400)
                .map(Duration::seconds)
                .ok_or_else(|| NodeError::Config(format!("{what} is too large")))
        };
        let contract_wallets = self.contract_wallets.resolve(&limits, self.threads().1)?;
        let policy = Policy {
            skew: secs(self.skew_secs, 60, "skew_secs")?,
            max_lifetime: secs(self.max_lifetime_secs, 30 * 86_400, "max_lifetime_secs")?,
            trust_lit_bls: self.trust_lit_bls.unwrap_or(false),
            contract_wallet_recheck: secs(
                self.contract_wallets.recheck_secs,
                DEFAULT_CONTRACT_WALLET_RECHECK_SECS,
                "contract_wallets.recheck_secs",
            )?,
            accepted_domains: match &self.accepted_domains {
                Some(list) => Some(
                    list.iter()
                        .map(|d| {
                            AcceptedDomain::parse(d)
                                .map_err(|e| NodeError::Config(format!("accepted_domains: {e}")))
                        })
                        .collect::<Result<Vec<_>>>()?,
                ),
                None => None,
            },
            accepted_chain_ids: self.accepted_chain_ids.clone(),
            max_session_auth_sig_lifetime: cap(secs(
                self.max_session_auth_sig_lifetime_secs,
                30 * 86_400,
                "max_session_auth_sig_lifetime_secs",
            )?),
            max_delegation_lifetime: cap(secs(
                self.max_delegation_lifetime_secs,
                90 * 86_400,
                "max_delegation_lifetime_secs",
            )?),
            ..Policy::default()
        };
        if policy.accepted_domains.as_ref().is_some_and(Vec::is_empty)
            || policy
                .accepted_chain_ids
                .as_ref()
                .is_some_and(Vec::is_empty)
        {
            return Err(NodeError::Config(
                "accepted_domains and accepted_chain_ids, when given, list at least one entry \
                 (leave them out to accept any)"
                    .into(),
            ));
        }
        let nonce_max_age = secs(self.nonce_max_age_secs, 86_400, "nonce_max_age_secs")?;
        let require_network_nonce = self.require_network_nonce.unwrap_or(false);
        let network_nonce_for_delegations = self.network_nonce_for_delegations.unwrap_or(false);
        if network_nonce_for_delegations && !require_network_nonce {
            return Err(NodeError::Config(
                "network_nonce_for_delegations needs require_network_nonce".into(),
            ));
        }
        let nonce_ttl = secs(self.nonce_ttl_secs, 600, "nonce_ttl_secs")?;
        if nonce_ttl <= Duration::ZERO {
            return Err(NodeError::Config("nonce_ttl_secs must be positive".into()));
        }
        let network_secret = match &self.network_secret_file {
            Some(p) => read_secret(p)?,
            None => read_or_create_secret(&data_dir.join("network.key"))?,
        };
        let (worker_threads, blocking_threads) = self.threads();
        let backpack = self.backpack.resolve(&data_dir)?;
        Ok(Settings {
            public_url,
            listen,
            store,
            store_schema: self.store_schema.clone(),
            network,
            network_secret,
            policy,
            nonce_ttl,
            require_network_nonce,
            cache_capacity: self.cache_capacity.unwrap_or(10_000).max(1),
            worker_threads,
            blocking_threads,
            verify,
            limits,
            contract_wallets,
            backpack,
            nonce_max_age,
            network_nonce_for_delegations,
            prune_interval: match self.prune_interval_secs.unwrap_or(3600) {
                0 => None,
                n => Some(std::time::Duration::from_secs(n)),
            },
        })
    }
}

/// A lifetime cap from seconds: 0 means no cap.
fn cap(d: Duration) -> Option<Duration> {
    (d > Duration::ZERO).then_some(d)
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

fn check_limits(l: &Limits) -> Result<()> {
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

/// A node URL: `http://` or `https://`, a host, no user information, query or fragment
/// (parsed by the one URL type, [`NodeUrl`]).
fn check_url(u: &str) -> Result<()> {
    match NodeUrl::parse(u) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(()),
        _ => Err(NodeError::Config(format!(
            "`{}` is not a node URL (e.g. http://127.0.0.1:7470)",
            crate::redact::redact_url(u)
        ))),
    }
}

/// One `--eth-rpc` value, `CHAIN_ID=URL`: the chain id (decimal, above 0) and the URL, which
/// must be an `http://` or `https://` URL with a host. Errors show the URL redacted.
pub fn parse_eth_rpc_flag(entry: &str) -> Result<(u64, String)> {
    let (chain, url) = entry.split_once('=').ok_or_else(|| {
        NodeError::Config(format!(
            "--eth-rpc `{}`: expected CHAIN_ID=URL",
            crate::redact::redact_url(entry)
        ))
    })?;
    let chain_id = parse_chain_id(chain)?;
    check_rpc_url(chain_id, url)?;
    Ok((chain_id, url.to_owned()))
}

/// A chain id as written in `[contract_wallets] rpc` or `--eth-rpc`: decimal, above 0.
fn parse_chain_id(text: &str) -> Result<u64> {
    text.parse::<u64>()
        .ok()
        .filter(|id| *id > 0 && text.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            NodeError::Config(format!(
                "contract_wallets: `{}` is not a chain id (a decimal number above 0, e.g. \"1\")",
                crate::redact::redact_url(text)
                    .chars()
                    .take(60)
                    .collect::<String>()
            ))
        })
}

/// An `http://` or `https://` endpoint with a host, parsed by the one URL type
/// ([`EndpointUrl`]); the message shows the URL redacted.
fn check_rpc_url(chain_id: u64, url: &str) -> Result<()> {
    EndpointUrl::parse(url).map(|_| ()).map_err(|_| {
        NodeError::Config(format!(
            "contract_wallets.rpc.\"{chain_id}\": `{}` is not an http:// or https:// URL with a host",
            crate::redact::redact_url(url)
        ))
    })
}

/// `127.0.0.1:7470` → that socket address; `[::1]:7470` too; a host name → none.
fn default_listen(host_port: &str) -> Option<SocketAddr> {
    let (host, port) = host_port.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = host.parse().ok()?;
    Some(SocketAddr::new(ip, port.parse().ok()?))
}

/// `$XDG_DATA_HOME/sessionsig-node`, else `~/.local/share/sessionsig-node`, else
/// `./sessionsig-node-data`.
pub fn default_data_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(x).join("sessionsig-node");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(h).join(".local/share/sessionsig-node");
    }
    PathBuf::from("sessionsig-node-data")
}

/// Read a 64-hex-character secret file.
pub fn read_secret(path: &Path) -> Result<Zeroizing<[u8; SECRET_LEN]>> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path).map_err(|e| NodeError::io(path.display(), e))?,
    );
    let mut out = Zeroizing::new([0u8; SECRET_LEN]);
    hex::decode_to_slice(text.trim(), out.as_mut()).map_err(|_| {
        NodeError::Config(format!(
            "{}: expected {} hex characters",
            path.display(),
            2 * SECRET_LEN
        ))
    })?;
    Ok(out)
}

/// Read the secret file, or create it (owner-only) with a random secret when absent.
pub fn read_or_create_secret(path: &Path) -> Result<Zeroizing<[u8; SECRET_LEN]>> {
    // Any I/O error falls through to "create": checking `path.exists()` here instead raced
    // with a node creating the file between the failed read and the check (seen as a flaky
    // three-node start). Creating never replaces a file, and an unreadable one fails the
    // read below with its own error.
    match read_secret(path) {
        Ok(s) => return Ok(s),
        Err(NodeError::Io(_)) => {}
        Err(e) => return Err(e),
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| NodeError::io(dir.display(), e))?;
    }
    let mut secret = Zeroizing::new([0u8; SECRET_LEN]);
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, secret.as_mut());
    let text = Zeroizing::new(hex::encode(secret.as_ref()));
    write_private_new(path, text.as_bytes())?;
    // Another process may have won the race to create it: use what is on disk.
    read_secret(path)
}

/// Create `path` with owner-only permissions, atomically: the content is written to a
/// temporary file first and then hard-linked into place, so a concurrent reader (another node
/// starting on the same data directory) never sees a partial file. An existing file is left
/// alone.
fn write_private_new(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let written = opts
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|_| f.sync_all()));
    let linked = written.and_then(|_| match std::fs::hard_link(&tmp, path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    });
    let _ = std::fs::remove_file(&tmp);
    linked.map_err(|e| NodeError::io(path.display(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(dir: &Path) -> NodeConfig {
        NodeConfig {
            public_url: Some("http://127.0.0.1:7470".into()),
            data_dir: Some(dir.to_owned()),
            ..NodeConfig::default()
        }
    }

    #[test]
    fn debug_output_hides_store_and_rpc_secrets() {
        let mut c = NodeConfig {
            store: Some("postgres://node:hunter2@db.example/sessions".into()),
            ..NodeConfig::default()
        };
        c.contract_wallets
            .rpc
            .insert("1".into(), "https://u:pw@eth.example/v3/apikey123".into());
        let text = format!("{c:?}");
        for secret in ["hunter2", "pw@", "apikey123"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(
            text.contains("db.example") && text.contains("eth.example"),
            "{text}"
        );
    }

    #[test]
    fn hardening_settings_have_defaults_and_refusals() {
        let d = tempfile::tempdir().unwrap();
        let s = base(d.path()).resolve(false).unwrap();
        assert_eq!(
            s.policy.max_session_auth_sig_lifetime,
            Some(Duration::days(30))
        );
        assert_eq!(s.policy.max_delegation_lifetime, Some(Duration::days(90)));
        assert!(s.policy.accepted_domains.is_none() && s.policy.accepted_chain_ids.is_none());
        assert_eq!(s.nonce_max_age, Duration::days(1));
        assert!(!s.network_nonce_for_delegations);
        assert_eq!(s.prune_interval, Some(std::time::Duration::from_secs(3600)));
        assert_eq!(s.limits.concurrency_per_client(), 256);
        assert_eq!(s.limits.connections_per_client(), 1024);

        let with = |f: &dyn Fn(&mut NodeConfig)| {
            let mut c = base(d.path());
            f(&mut c);
            c.resolve(false)
        };
        let s = with(&|c| {
            c.max_session_auth_sig_lifetime_secs = Some(0);
            c.prune_interval_secs = Some(0);
            c.accepted_domains = Some(vec!["https://App.Example".into()]);
            c.accepted_chain_ids = Some(vec![8453]);
        })
        .unwrap();
        assert_eq!(s.policy.max_session_auth_sig_lifetime, None);
        assert_eq!(s.prune_interval, None);
        assert_eq!(
            s.policy.accepted_domains.unwrap()[0].to_string(),
            "https://app.example"
        );
        for bad in [
            &(|c: &mut NodeConfig| c.accepted_domains = Some(vec![])) as &dyn Fn(&mut NodeConfig),
            &|c| c.accepted_chain_ids = Some(vec![]),
            &|c| c.accepted_domains = Some(vec!["a/b".into()]),
            &|c| c.network_nonce_for_delegations = Some(true),
            &|c| c.limits.max_concurrency_per_client = Some(0),
        ] {
            assert_eq!(with(bad).unwrap_err().code(), "invalid_config");
        }
    }

    #[test]
    fn defaults_resolve() {
        let d = tempfile::tempdir().unwrap();
        let s = base(d.path()).resolve(false).unwrap();
        assert_eq!(s.listen, "127.0.0.1:7470".parse().unwrap());
        assert_eq!(s.network, vec!["http://127.0.0.1:7470".to_owned()]);
        assert!(s.store.starts_with("sqlite://") && s.store.ends_with("sessionsig.db"));
        assert!(s.verify);
        assert_eq!(s.policy.skew, Duration::seconds(60));
        assert_eq!(
            (
                s.limits.revocation_burst,
                s.limits.revocation_rate_per_minute
            ),
            (20, 60)
        );
        // The secret file was created owner-only and is reused.
        let p = d.path().join("network.key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let again = base(d.path()).resolve(false).unwrap();
        assert_eq!(*again.network_secret, *s.network_secret);
        assert!(!format!("{s:?}").contains(&hex::encode(s.network_secret.as_ref())));
    }

    #[test]
    fn toml_file_and_refusals() {
        let d = tempfile::tempdir().unwrap();
        let c = NodeConfig::from_toml(
            "public_url = \"http://localhost:9000\"\nskew_secs = 5\nnetwork = [\"http://127.0.0.1:9001\"]\n[limits]\nmax_body_bytes = 1000\nrevocation_burst = 5\nrevocation_rate_per_minute = 0\n",
        )
        .unwrap();
        let mut c2 = c.clone();
        c2.data_dir = Some(d.path().into());
        let s = c2.resolve(false).unwrap();
        assert_eq!(s.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(s.limits.max_body_bytes, 1000);
        assert_eq!(s.limits.revocation_burst, 5);
        assert_eq!(s.limits.revocation_rate_per_minute, 0);
        assert_eq!(s.limits.revocation_rate_max_clients, 10_000);
        assert_eq!(s.policy.skew, Duration::seconds(5));
        assert_eq!(s.network[0], "http://localhost:9000");
        assert_eq!(s.network.len(), 2);

        assert_eq!(
            NodeConfig::from_toml("publik_url = \"x\"")
                .unwrap_err()
                .code(),
            "invalid_config"
        );
        let mut no_verify = base(d.path());
        no_verify.verify = Some(false);
        assert_eq!(
            no_verify.resolve(false).unwrap_err().code(),
            "insecure_config"
        );
        assert!(!no_verify.resolve(true).unwrap().verify);
        let mut host = base(d.path());
        host.public_url = Some("https://node.example".into());
        assert_eq!(host.resolve(false).unwrap_err().code(), "invalid_config");
        host.listen = Some("0.0.0.0:8443".parse().unwrap());
        assert!(host.resolve(false).is_ok());
        let mut small = base(d.path());
        small.limits.max_header_bytes = 100;
        assert_eq!(small.resolve(false).unwrap_err().code(), "invalid_config");
        let mut no_clients = base(d.path());
        no_clients.limits.revocation_rate_max_clients = 0;
        assert_eq!(
            no_clients.resolve(false).unwrap_err().code(),
            "invalid_config"
        );
        let mut bad_url = base(d.path());
        bad_url.public_url = Some("ftp://x:1".into());
        assert_eq!(bad_url.resolve(false).unwrap_err().code(), "invalid_config");
    }

    #[test]
    fn contract_wallets_section_resolves_into_endpoints_and_the_recheck_policy() {
        let d = tempfile::tempdir().unwrap();
        // None configured: nothing changes, the core's default recheck window.
        let s = base(d.path()).resolve(false).unwrap();
        assert!(s.contract_wallets.is_none());
        assert_eq!(s.policy.contract_wallet_recheck, Duration::minutes(5));
        assert_eq!(
            s.policy.contract_wallet_recheck,
            Policy::default().contract_wallet_recheck
        );

        let mut c = NodeConfig::from_toml(
            "public_url = \"http://127.0.0.1:7470\"\n[contract_wallets]\nrpc = { \"8453\" = \"http://127.0.0.1:8545\", \"1\" = \"https://user:s3cret@eth.example/v3/APIKEY\" }\ntimeout_ms = 2500\nrecheck_secs = 42\n",
        )
        .unwrap();
        c.data_dir = Some(d.path().into());
        let s = c.resolve(false).unwrap();
        let cw = s.contract_wallets.clone().unwrap();
        assert_eq!(
            cw.endpoints,
            vec![
                (1, "https://user:s3cret@eth.example/v3/APIKEY".to_owned()),
                (8453, "http://127.0.0.1:8545".to_owned()),
            ]
        );
        assert_eq!(cw.timeout, std::time::Duration::from_millis(2500));
        assert_eq!(s.policy.contract_wallet_recheck, Duration::seconds(42));
        // Half the blocking pool may wait on chains; the rest stays for everything else.
        assert_eq!(cw.max_in_flight, (s.blocking_threads / 2).max(1));
        c.blocking_threads = Some(3);
        c.contract_wallets.max_in_flight = None;
        assert_eq!(
            c.resolve(false)
                .unwrap()
                .contract_wallets
                .unwrap()
                .max_in_flight,
            1
        );
        c.contract_wallets.max_in_flight = Some(6);
        assert_eq!(
            c.resolve(false)
                .unwrap()
                .contract_wallets
                .unwrap()
                .max_in_flight,
            6
        );
        c.contract_wallets.max_in_flight = Some(0);
        assert!(c
            .resolve(false)
            .unwrap_err()
            .to_string()
            .contains("max_in_flight must be positive"));
        c.contract_wallets.max_in_flight = None;
        // Per-client budget of checks: 20 at once, 60 a minute, unless set (0 turns it off).
        assert_eq!((cw.client_burst, cw.client_checks_per_minute), (20, 60));
        c.contract_wallets.client_burst = Some(3);
        c.contract_wallets.client_checks_per_minute = Some(0);
        let set = c.resolve(false).unwrap().contract_wallets.unwrap();
        assert_eq!((set.client_burst, set.client_checks_per_minute), (3, 0));
        let parsed = NodeConfig::from_toml(
            "[contract_wallets]\nrpc = { \"1\" = \"http://127.0.0.1:8545\" }\nclient_burst = 5\nclient_checks_per_minute = 7\n",
        )
        .unwrap();
        assert_eq!(
            (
                parsed.contract_wallets.client_burst,
                parsed.contract_wallets.client_checks_per_minute
            ),
            (Some(5), Some(7))
        );
        assert_eq!(
            cw.describe(),
            "chain 1 at https://***@eth.example/…, chain 8453 at http://127.0.0.1:8545"
        );
        let mut chains: Vec<u64> = cw.verifier().unwrap().chain_ids().collect();
        chains.sort_unstable();
        assert_eq!(chains, [1, 8453]);
        // Neither the password nor the API key in the path is ever printed.
        for printed in [format!("{s:?}"), format!("{c:?}"), format!("{cw:?}")] {
            assert!(
                !printed.contains("s3cret") && !printed.contains("APIKEY"),
                "{printed}"
            );
            assert!(printed.contains("eth.example"), "{printed}");
        }

        // Zero: ask the chain on every verification. A window without chains still applies.
        c.contract_wallets.recheck_secs = Some(0);
        assert_eq!(
            c.resolve(false).unwrap().policy.contract_wallet_recheck,
            Duration::ZERO
        );
        let mut only_recheck = base(d.path());
        only_recheck.contract_wallets.recheck_secs = Some(7);
        let s = only_recheck.resolve(false).unwrap();
        assert!(s.contract_wallets.is_none());
        assert_eq!(s.policy.contract_wallet_recheck, Duration::seconds(7));
    }

    #[test]
    fn contract_wallets_refusals_are_config_errors_without_secrets() {
        let d = tempfile::tempdir().unwrap();
        let with = |rpc: &[(&str, &str)], tweak: &dyn Fn(&mut NodeConfig)| {
            let mut c = base(d.path());
            for (chain, url) in rpc {
                c.contract_wallets
                    .rpc
                    .insert((*chain).to_owned(), (*url).to_owned());
            }
            tweak(&mut c);
            c.resolve(false)
        };
        let ok = "http://127.0.0.1:8545";
        let refused = |rpc: &[(&str, &str)], tweak: &dyn Fn(&mut NodeConfig), says: &str| {
            let e = with(rpc, tweak).unwrap_err();
            assert_eq!(e.code(), "invalid_config", "{e}");
            assert_eq!(e.exit_code(), 2);
            let m = e.to_string();
            assert!(m.contains(says), "{m} should say {says}");
            assert!(!m.contains("s3cret") && !m.contains("APIKEY"), "{m}");
        };
        let none = &|_: &mut NodeConfig| {};
        for chain in ["abc", "0", "-1", "", "+1", "1.5", "99999999999999999999"] {
            refused(&[(chain, ok)], none, "is not a chain id");
        }
        refused(
            &[("1", ok), ("01", ok)],
            none,
            "chain 1 is given more than once",
        );
        for url in [
            "ftp://eth.example/",
            "eth.example:8545",
            "http://",
            "http://:8545/",
            "https://user:s3cret@/APIKEY",
            "http://eth.example/a b",
            "ws://user:s3cret@eth.example/APIKEY",
        ] {
            refused(&[("1", url)], none, "is not an http:// or https:// URL");
        }
        refused(
            &[("1", ok)],
            &|c| c.contract_wallets.timeout_ms = Some(0),
            "timeout_ms must be positive",
        );
        refused(
            &[("1", ok)],
            &|c| c.limits.request_timeout_ms = 5_000,
            "must be less than limits.request_timeout_ms (5000)",
        );
        // With the request timeout raised, the same timeout is fine.
        assert!(with(&[("1", ok)], &|c| c.limits.request_timeout_ms = 5_001).is_ok());
        refused(
            &[],
            &|c| c.contract_wallets.recheck_secs = Some(u64::MAX),
            "contract_wallets.recheck_secs is too large",
        );
        // Unknown keys in the section are refused like everywhere else.
        let e = NodeConfig::from_toml("[contract_wallets]\nrcp = {}\n").unwrap_err();
        assert_eq!(e.code(), "invalid_config");
        let e = NodeConfig::from_toml("[contract_wallets]\nrpc = { \"1\" = 5 }\n").unwrap_err();
        assert_eq!(e.code(), "invalid_config");
    }

    #[test]
    fn eth_rpc_flags_replace_the_file_entry_of_their_chain() {
        let mut c = ContractWalletsConfig::default();
        c.rpc.insert("01".into(), "http://file.example".into());
        c.rpc.insert("5".into(), "http://five.example".into());
        c.set_from_flag("1=http://flag.example/?k=v").unwrap();
        c.set_from_flag("8453=http://127.0.0.1:8545").unwrap();
        let entries: Vec<(&str, &str)> = c
            .rpc
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            entries,
            [
                ("1", "http://flag.example/?k=v"),
                ("5", "http://five.example"),
                ("8453", "http://127.0.0.1:8545"),
            ]
        );
        for (bad, says) in [
            (
                "https://user:s3cret@eth.example/APIKEY",
                "expected CHAIN_ID=URL",
            ),
            (
                "https://user:s3cret@eth.example/?APIKEY=1",
                "is not a chain id",
            ),
            ("0=http://x", "is not a chain id"),
        ] {
            let e = c.set_from_flag(bad).unwrap_err();
            assert_eq!(e.code(), "invalid_config");
            let m = e.to_string();
            assert!(m.contains(says), "{m}");
            assert!(!m.contains("s3cret") && !m.contains("APIKEY"), "{m}");
        }
    }
}
