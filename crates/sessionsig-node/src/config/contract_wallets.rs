//! `[contract_wallets]`: which chains' contract wallets are checked, over which JSON-RPC
//! endpoints, within which bounds (see the [module](super) documentation).

use super::Limits;
use crate::error::{NodeError, Result};
use crate::redact::SecretUrl;
use serde::Deserialize;
use sessionsig::url::EndpointUrl;
use sessionsig_rpc::JsonRpcContractWallets;
use std::collections::BTreeMap;

/// `[contract_wallets]`: contract-wallet (`derivedVia: "EIP1271"`) AuthSigs, checked over
/// Ethereum JSON-RPC (see the [module](super) documentation). Without any `rpc` entry they are
/// refused (`unsupported_derived_via`). Its `Debug` output redacts the URLs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContractWalletsConfig {
    /// Chain id (decimal, a TOML key: `"1"`) → JSON-RPC URL (`http://` or `https://`).
    pub rpc: BTreeMap<String, SecretUrl>,
    /// Longest time one contract-wallet check may take, ms (default 5000; less than
    /// `limits.request_timeout_ms`).
    pub timeout_ms: Option<u64>,
    /// How long a contract wallet's cached "yes" is trusted, seconds (default 300; 0: ask the
    /// chain on every verification):
    /// [`Policy::contract_wallet_recheck`](sessionsig::verify::Policy::contract_wallet_recheck).
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

/// Default bound on one contract-wallet check (ms).
pub const DEFAULT_CONTRACT_WALLET_TIMEOUT_MS: u64 = 5_000;

/// Default number of contract-wallet checks one client address may make at once.
pub const DEFAULT_CONTRACT_WALLET_CLIENT_BURST: u32 = 20;

/// Default number of contract-wallet checks one client address regains per minute.
pub const DEFAULT_CONTRACT_WALLET_CLIENT_PER_MINUTE: u32 = 60;

/// Default time a contract wallet's "yes" is trusted from the cache (seconds), as the core's
/// [`Policy::default`](sessionsig::verify::Policy::default).
pub const DEFAULT_CONTRACT_WALLET_RECHECK_SECS: u64 = 300;

impl ContractWalletsConfig {
    /// Set the JSON-RPC URL of one chain from `CHAIN_ID=URL` (the `--eth-rpc` flag), replacing
    /// whatever the file said for that chain.
    pub fn set_from_flag(&mut self, entry: &str) -> Result<()> {
        set_rpc_from_flag(&mut self.rpc, entry)
    }

    /// Check the section: `None` when no chain is configured.
    pub(super) fn resolve(
        &self,
        limits: &Limits,
        blocking_threads: usize,
    ) -> Result<Option<ContractWalletSettings>> {
        let mut endpoints: Vec<(u64, SecretUrl)> = Vec::with_capacity(self.rpc.len());
        for (chain, url) in &self.rpc {
            let chain_id = parse_chain_id(chain)?;
            if endpoints.iter().any(|(c, _)| *c == chain_id) {
                return Err(NodeError::Config(format!(
                    "contract_wallets.rpc: chain {chain_id} is given more than once"
                )));
            }
            check_rpc_url(chain_id, url.expose())?;
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractWalletSettings {
    /// `(chain id, JSON-RPC URL)`, by chain id. A URL may hold credentials.
    pub endpoints: Vec<(u64, SecretUrl)>,
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
        let endpoints = self
            .endpoints
            .iter()
            .map(|(chain, url)| (*chain, url.expose().to_owned()));
        JsonRpcContractWallets::new(endpoints, self.timeout).map_err(|e| {
            // The client's errors name the chain id, never the URL.
            NodeError::Config(format!("contract_wallets: {e}"))
        })
    }

    /// One line for logs: `chain 1 at https://***@eth.example/…, chain 8453 at …`.
    pub fn describe(&self) -> String {
        self.endpoints
            .iter()
            .map(|(chain, url)| format!("chain {chain} at {url}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// [`ContractWalletsConfig::set_from_flag`] on the `rpc` map itself (what the flag table
/// overlays).
pub(super) fn set_rpc_from_flag(rpc: &mut BTreeMap<String, SecretUrl>, entry: &str) -> Result<()> {
    let (chain_id, url) = parse_eth_rpc_flag(entry)?;
    rpc.retain(|k, _| parse_chain_id(k).ok() != Some(chain_id));
    rpc.insert(chain_id.to_string(), url.into());
    Ok(())
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
pub(super) fn parse_chain_id(text: &str) -> Result<u64> {
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
