//! Resolving what was written into what a node runs with: every default filled, every value
//! checked, the network secret read.

use super::limits::check_limits;
use super::secrets::{default_data_dir, read_or_create_secret, read_secret};
use super::{ContractWalletSettings, Limits, NodeConfig};
use crate::error::{NodeError, Result};
use crate::nonce::SECRET_LEN;
use crate::redact::{Hidden, SecretUrl};
use sessionsig::url::NodeUrl;
use sessionsig::verify::{AcceptedDomain, NodeIdentity, Policy};
use std::net::{IpAddr, SocketAddr};
use time::Duration;
use zeroize::Zeroizing;

/// Default handshake nonce lifetime (`nonce_ttl_secs`), seconds.
pub const DEFAULT_NONCE_TTL_SECS: u64 = 600;

/// Default oldest a network nonce may be at use (`nonce_max_age_secs`), seconds: one day.
pub const DEFAULT_NONCE_MAX_AGE_SECS: u64 = 86_400;

/// Default number of verified AuthSigs kept (`cache_capacity`).
pub const DEFAULT_CACHE_CAPACITY: usize = 10_000;

/// Default interval between store prunings (`prune_interval_secs`), seconds: one hour.
pub const DEFAULT_PRUNE_INTERVAL_SECS: u64 = 3_600;

/// Everything a node runs with, checked. Its `Debug` output shows no secret: the store URL is
/// a [`SecretUrl`] and the network secret [`Hidden`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// The public URL (the `nodeAddress` accepted).
    pub public_url: String,
    /// Where to listen.
    pub listen: SocketAddr,
    /// The store URL (may contain a password).
    pub store: SecretUrl,
    /// PostgreSQL schema for the tables.
    pub store_schema: Option<String>,
    /// The network's nodes, this one included.
    pub network: Vec<String>,
    /// The network's nonce secret.
    pub network_secret: Hidden<Zeroizing<[u8; SECRET_LEN]>>,
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

impl NodeConfig {
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
            None => format!("sqlite://{}", data_dir.join("sessionsig.db").display()).into(),
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
        // Every policy default is the core's own: one source of truth.
        let defaults = Policy::default();
        let policy = Policy {
            skew: secs(self.skew_secs, whole(defaults.skew), "skew_secs")?,
            max_lifetime: secs(
                self.max_lifetime_secs,
                whole(defaults.max_lifetime),
                "max_lifetime_secs",
            )?,
            trust_lit_bls: self.trust_lit_bls.unwrap_or(false),
            contract_wallet_recheck: secs(
                self.contract_wallets.recheck_secs,
                whole(defaults.contract_wallet_recheck),
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
                defaults.max_session_auth_sig_lifetime.map_or(0, whole),
                "max_session_auth_sig_lifetime_secs",
            )?),
            max_delegation_lifetime: cap(secs(
                self.max_delegation_lifetime_secs,
                defaults.max_delegation_lifetime.map_or(0, whole),
                "max_delegation_lifetime_secs",
            )?),
            ..defaults
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
        let nonce_max_age = secs(
            self.nonce_max_age_secs,
            DEFAULT_NONCE_MAX_AGE_SECS,
            "nonce_max_age_secs",
        )?;
        let require_network_nonce = self.require_network_nonce.unwrap_or(false);
        let network_nonce_for_delegations = self.network_nonce_for_delegations.unwrap_or(false);
        if network_nonce_for_delegations && !require_network_nonce {
            return Err(NodeError::Config(
                "network_nonce_for_delegations needs require_network_nonce".into(),
            ));
        }
        let nonce_ttl = secs(
            self.nonce_ttl_secs,
            DEFAULT_NONCE_TTL_SECS,
            "nonce_ttl_secs",
        )?;
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
            network_secret: Hidden(network_secret),
            policy,
            nonce_ttl,
            require_network_nonce,
            cache_capacity: self.cache_capacity.unwrap_or(DEFAULT_CACHE_CAPACITY).max(1),
            worker_threads,
            blocking_threads,
            verify,
            limits,
            contract_wallets,
            backpack,
            nonce_max_age,
            network_nonce_for_delegations,
            prune_interval: match self
                .prune_interval_secs
                .unwrap_or(DEFAULT_PRUNE_INTERVAL_SECS)
            {
                0 => None,
                n => Some(std::time::Duration::from_secs(n)),
            },
        })
    }
}

/// A default duration as whole seconds, as the settings are written.
fn whole(d: Duration) -> u64 {
    u64::try_from(d.whole_seconds()).unwrap_or(0)
}

/// A lifetime cap from seconds: 0 means no cap.
fn cap(d: Duration) -> Option<Duration> {
    (d > Duration::ZERO).then_some(d)
}

/// A node URL: `http://` or `https://`, a host, no user information, query or fragment
/// (parsed by the one URL type, [`NodeUrl`]).
fn check_url(u: &str) -> Result<()> {
    NodeUrl::parse_http(u).map(|_| ()).map_err(|_| {
        NodeError::Config(format!(
            "`{}` is not a node URL (e.g. http://127.0.0.1:7470)",
            crate::redact::redact_url(u)
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
