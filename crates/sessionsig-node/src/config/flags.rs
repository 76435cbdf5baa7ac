//! Every node setting's command-line flag, declared once: one row of the table below states
//! the file key (the [`NodeConfig`] field it overrides, compile-checked), the flag's long name,
//! value name and help, where its default comes from, and any extra clap attribute (an
//! environment variable). From that row the `settings!` macro makes the clap field, the line
//! that writes a given flag over the file's value ([`SettingFlags::overlay`]) and the
//! [`Setting`] listing that tests and docs read.
//!
//! Why a table and not clap's `#[arg]` on [`NodeConfig`] itself: the file schema is a public
//! struct whose `[limits]` are plain values with defaults (a flag must tell "given" from "not
//! given", which needs `Option`), file keys and flag names differ by contract (`skew_secs` is
//! `--skew`, `verify = false` is `--no-verify`, `[contract_wallets] rpc` is repeated
//! `--eth-rpc CHAIN_ID=URL`), and clap is an optional feature of this crate. The table keeps
//! the schema untouched and still writes each flag down once.
//!
//! * Defaults are not restated here: a row names the one place its default lives — the core's
//!   [`Policy::default`], [`Limits::default`], or a `DEFAULT_…` constant that
//!   [`NodeConfig::resolve`] uses too — and `--help` prints it (`[default: 60]`). Defaults
//!   computed from other settings (threads, per-client shares) are described in the help.
//! * Checks live in [`NodeConfig::resolve`], once for the file and the flags alike (many
//!   involve two settings, and their messages are part of the interface).
//! * `node` and `network up` flatten the same [`SettingFlags`]; only [`NodeFlags`] (this node's
//!   URL, listen address and network list, which `network up` assigns to each of its nodes)
//!   belong to `node` alone. A test checks that every key of the file has exactly one flag.
//! * Values that may hold a secret are parsed straight into [`SecretUrl`], so even the parsed
//!   arguments' `Debug` shows them redacted.

use super::contract_wallets::set_rpc_from_flag;
use super::{
    Limits, NodeConfig, DEFAULT_CACHE_CAPACITY, DEFAULT_CONTRACT_WALLET_CLIENT_BURST,
    DEFAULT_CONTRACT_WALLET_CLIENT_PER_MINUTE, DEFAULT_CONTRACT_WALLET_TIMEOUT_MS,
    DEFAULT_NONCE_MAX_AGE_SECS, DEFAULT_NONCE_TTL_SECS, DEFAULT_PRUNE_INTERVAL_SECS,
};
use crate::backpack::{DEFAULT_MAX_OBJECT_BYTES, DEFAULT_SIGNATURE_WINDOW_SECS};
use crate::error::Result;
use crate::redact::SecretUrl;
use sessionsig::verify::Policy;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

/// One setting as the table declares it: its file key and its flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The TOML key, `section.key` inside a section (`limits.max_body_bytes`).
    pub key: &'static str,
    /// The flag's long name, without `--`.
    pub flag: &'static str,
    /// The `--help` heading it is listed under.
    pub heading: &'static str,
}

/// The table's grammar, one row per setting:
///
/// ```text
/// /// Help text.
/// file_key [in section]: FlagType = "long-name" ["VALUE"] [, default = shown]
///     [, overlay = custom_fn] [, arg(extra clap attributes)];
/// ```
///
/// `FlagType` is what clap parses; the flag is written over the file key by [`Overlay`]
/// (or by `custom_fn(&mut file_value, &flag) -> Result<()>`).
macro_rules! settings {
    (
        $(#[$meta:meta])*
        pub struct $name:ident;
        $(
            [$heading:literal]
            $(
                $(#[doc = $doc:literal])+
                $key:ident $(in $section:ident)? : $ty:ty = $flag:literal $($value_name:literal)?
                    $(, default = $default:expr)? $(, overlay = $custom:path)?
                    $(, arg($($extra:tt)*))?;
            )+
        )+
    ) => {
        $(#[$meta])*
        #[derive(clap::Args, Debug, Clone, Default)]
        pub struct $name {
            $($(
                #[arg(
                    long = $flag,
                    $(value_name = $value_name,)?
                    help_heading = $heading,
                    help = help(
                        concat!($($doc),+),
                        None::<String> $(.or(Some(($default).to_string())))?,
                    )
                    $(, $($extra)*)?
                )]
                $key: $ty,
            )+)+
        }

        impl $name {
            /// Every setting of this group: file key, flag, heading (in `--help` order).
            pub const SETTINGS: &'static [Setting] = &[$($(Setting {
                key: concat!($(stringify!($section), ".",)? stringify!($key)),
                flag: $flag,
                heading: $heading,
            },)+)+];

            /// Write every flag that was given over its file key in `c`: flags win over the
            /// file, a flag not given leaves the file's value (or the default) alone.
            pub fn overlay(&self, c: &mut NodeConfig) -> Result<()> {
                $($(
                    settings!(@overlay [$($custom)?] &mut c $(.$section)? .$key, &self.$key);
                )+)+
                Ok(())
            }
        }
    };
    (@overlay [] $file:expr, $flag:expr) => {
        Overlay::overlay($file, $flag)
    };
    (@overlay [$custom:path] $file:expr, $flag:expr) => {
        $custom($file, $flag)?
    };
}

settings! {
    /// Flags of `sessionsig node` alone: `network up` gives each of its nodes these itself.
    pub struct NodeFlags;
    ["This node"]
    /// This node's public URL: the `nodeAddress` it accepts (e.g. http://127.0.0.1:7470).
    public_url: Option<String> = "public-url" "URL";
    /// Address to listen on (default: the host:port of --public-url when it is an IP).
    listen: Option<SocketAddr> = "listen" "ADDR";
    /// A node of the network, for the handshake's list (repeat; this node is always listed).
    network: Vec<String> = "network-node" "URL";
}

settings! {
    /// Flags shared by `sessionsig node` and `sessionsig network up` (applied to every node):
    /// one per key of the configuration file, each overriding it.
    pub struct SettingFlags;
    ["Store and files"]
    /// Data directory: the default SQLite store, backpack blobs and network secret (default
    /// $XDG_DATA_HOME/sessionsig-node; for `network up`, its `network` subdirectory).
    data_dir: Option<PathBuf> = "data-dir" "DIR";
    /// Store URL: sqlite://PATH (default DATA_DIR/sessionsig.db), postgres://… (shared by
    /// the network's nodes), or memory: (this process only). Prefer the environment variable
    /// when the URL holds a password.
    store: Option<SecretUrl> = "store" "URL",
        arg(env = "SESSIONSIG_NODE_STORE", hide_env_values = true);
    /// PostgreSQL schema holding the node's tables (created if missing; default: the
    /// connection's search path). Ignored for SQLite.
    store_schema: Option<String> = "store-schema" "NAME";
    /// File holding the network's nonce secret, 64 hex (default DATA_DIR/network.key,
    /// created owner-only when absent). Nodes of one network share it.
    network_secret_file: Option<PathBuf> = "network-secret-file" "FILE";

    ["Verification policy"]
    /// Allowed clock skew in seconds on each side of every time window.
    skew_secs: Option<u64> = "skew" "SECS", default = secs(Policy::default().skew);
    /// Longest accepted SessionSig lifetime in seconds.
    max_lifetime_secs: Option<u64> = "max-lifetime" "SECS",
        default = secs(Policy::default().max_lifetime);
    /// Accept Lit network-signed (`lit.bls`) session AuthSigs WITHOUT checking their BLS
    /// signature.
    trust_lit_bls: bool = "trust-lit-bls";
    /// Accept AuthSigs only for this SIWE domain (`app.example`, or `https://app.example` for
    /// that scheme only); repeat for more. Default: any (Lit-compatible).
    accepted_domains: Vec<String> = "accepted-domain" "DOMAIN";
    /// Accept AuthSigs only for this SIWE chain id; repeat for more. Default: any.
    accepted_chain_ids: Vec<u64> = "accepted-chain-id" "ID";
    /// Longest session AuthSig lifetime in seconds (0: no cap, no expiration required).
    max_session_auth_sig_lifetime_secs: Option<u64> = "max-session-auth-sig-lifetime" "SECS",
        default = secs(Policy::default().max_session_auth_sig_lifetime.unwrap_or_default());
    /// Longest delegation AuthSig lifetime in seconds (0: no cap).
    max_delegation_lifetime_secs: Option<u64> = "max-delegation-lifetime" "SECS",
        default = secs(Policy::default().max_delegation_lifetime.unwrap_or_default());
    /// Verified AuthSigs kept in memory (and as many SessionSigs whose signature verified).
    cache_capacity: Option<usize> = "cache-capacity" "N", default = DEFAULT_CACHE_CAPACITY;
    /// Turn verification OFF on /v1/authorize (load comparisons only; needs
    /// --insecure-no-verify).
    verify: bool = "no-verify", overlay = turn_off;

    ["Network nonces"]
    /// Refuse session AuthSigs whose SIWE nonce is not a fresh handshake nonce of this network.
    require_network_nonce: bool = "require-network-nonce";
    /// How long a handshake nonce stays fresh, in seconds.
    nonce_ttl_secs: Option<u64> = "nonce-ttl" "SECS", default = Secs(DEFAULT_NONCE_TTL_SECS);
    /// With --require-network-nonce: the oldest a handshake nonce may be at use, in seconds.
    nonce_max_age_secs: Option<u64> = "nonce-max-age" "SECS",
        default = Secs(DEFAULT_NONCE_MAX_AGE_SECS);
    /// With --require-network-nonce: carried delegations and posted revocations need a
    /// network nonce too.
    network_nonce_for_delegations: bool = "network-nonce-for-delegations";

    ["Threads and upkeep"]
    /// Async worker threads per process (default: number of CPUs).
    worker_threads: Option<usize> = "worker-threads" "N";
    /// Most threads verifying or waiting on the store at once (default 2 × CPUs, at least 8).
    blocking_threads: Option<usize> = "blocking-threads" "N";
    /// How often expired revocations and idle rate-limit buckets are deleted from the store,
    /// in seconds (0: never).
    prune_interval_secs: Option<u64> = "prune-interval" "SECS",
        default = Secs(DEFAULT_PRUNE_INTERVAL_SECS);

    ["Request limits"]
    /// Largest request body in bytes.
    max_body_bytes in limits: Option<usize> = "max-body-bytes" "BYTES",
        default = Limits::default().max_body_bytes;
    /// Largest request head in bytes (at least 8192).
    max_header_bytes in limits: Option<usize> = "max-header-bytes" "BYTES",
        default = Limits::default().max_header_bytes;
    /// Most header fields in a request.
    max_headers in limits: Option<usize> = "max-headers" "N",
        default = Limits::default().max_headers;
    /// Deepest JSON nesting accepted (body and Authorization header).
    max_json_depth in limits: Option<usize> = "max-json-depth" "N",
        default = Limits::default().max_json_depth;
    /// Longest time to answer a request, in milliseconds.
    request_timeout_ms in limits: Option<u64> = "request-timeout-ms" "MS",
        default = Limits::default().request_timeout_ms;
    /// Longest time a client may take to send its request head, in milliseconds.
    header_read_timeout_ms in limits: Option<u64> = "header-read-timeout-ms" "MS",
        default = Limits::default().header_read_timeout_ms;
    /// Most /v1 requests in flight per node; more are answered 503.
    max_concurrency in limits: Option<usize> = "max-concurrency" "N",
        default = Limits::default().max_concurrency;
    /// Most open connections per node; more wait in the accept queue.
    max_connections in limits: Option<usize> = "max-connections" "N",
        default = Limits::default().max_connections;
    /// How long in-flight requests may run after Ctrl-C / SIGTERM, in milliseconds.
    shutdown_grace_ms in limits: Option<u64> = "shutdown-grace-ms" "MS",
        default = Limits::default().shutdown_grace_ms;
    /// POST /v1/revocations: requests one client address may make at once; more are
    /// answered 429 rate_limited (0: no limit).
    revocation_burst in limits: Option<u32> = "revocation-burst" "N",
        default = Limits::default().revocation_burst;
    /// POST /v1/revocations: requests one client address regains per minute (0: no limit).
    revocation_rate_per_minute in limits: Option<u32> = "revocation-rate-per-minute" "N",
        default = Limits::default().revocation_rate_per_minute;
    /// POST /v1/revocations: most client addresses tracked (bounds the limiter's memory).
    revocation_rate_max_clients in limits: Option<usize> = "revocation-rate-max-clients" "N",
        default = Limits::default().revocation_rate_max_clients;
    /// Most /v1 requests in flight from one client address (default: max concurrency / 4).
    max_concurrency_per_client in limits: Option<usize> = "max-concurrency-per-client" "N";
    /// Most open connections from one client address (default: max connections / 4).
    max_connections_per_client in limits: Option<usize> = "max-connections-per-client" "N";

    ["Contract wallets (EIP1271)"]
    /// Accept contract-wallet (`derivedVia: "EIP1271"`) AuthSigs of chain CHAIN_ID, checked
    /// over this Ethereum JSON-RPC URL (repeat for more chains; replaces the config file's
    /// entry for that chain). RPC URLs often hold an API key or user:password: prefer the
    /// config file or the environment variable (entries separated by spaces).
    rpc in contract_wallets: Vec<SecretUrl> = "eth-rpc" "CHAIN_ID=URL", overlay = eth_rpc,
        arg(env = "SESSIONSIG_NODE_ETH_RPC", hide_env_values = true, value_delimiter = ' ');
    /// Longest time one contract-wallet check may take, in milliseconds (less than the
    /// request timeout).
    timeout_ms in contract_wallets: Option<u64> = "eth-rpc-timeout-ms" "MS",
        default = DEFAULT_CONTRACT_WALLET_TIMEOUT_MS;
    /// How long a contract wallet's "yes" is trusted before its chain is asked again, in
    /// seconds (0: every time).
    recheck_secs in contract_wallets: Option<u64> = "contract-wallet-recheck-secs" "SECS",
        default = secs(Policy::default().contract_wallet_recheck);
    /// Most contract-wallet checks waiting on the chain at once (default: blocking threads / 2).
    max_in_flight in contract_wallets: Option<usize> = "contract-wallet-max-in-flight" "N";
    /// Contract-wallet checks one client address may make at once (0: no limit).
    client_burst in contract_wallets: Option<u32> = "contract-wallet-client-burst" "N",
        default = DEFAULT_CONTRACT_WALLET_CLIENT_BURST;
    /// Contract-wallet checks one client address regains per minute (0: no limit).
    client_checks_per_minute in contract_wallets: Option<u32> =
        "contract-wallet-client-checks-per-minute" "N",
        default = DEFAULT_CONTRACT_WALLET_CLIENT_PER_MINUTE;

    ["Backpack"]
    /// Do not serve /v1/backpack (served by default).
    enabled in backpack: bool = "no-backpack", overlay = turn_off;
    /// The largest object accepted, in bytes.
    max_object_bytes in backpack: Option<u64> = "backpack-max-object-bytes" "BYTES",
        default = DEFAULT_MAX_OBJECT_BYTES;
    /// Bytes each owner may store (default: unlimited).
    owner_quota_bytes in backpack: Option<u64> = "backpack-owner-quota-bytes" "BYTES";
    /// Reads need a request signature too.
    require_signed_reads in backpack: bool = "backpack-require-signed-reads";
    /// How far a request signature's `created` may be off, in seconds (1 to 3600).
    signature_window_secs in backpack: Option<u64> = "backpack-signature-window-secs" "SECS",
        default = DEFAULT_SIGNATURE_WINDOW_SECS;
    /// S3 bucket for object bytes (default: DATA_DIR/blobs); credentials from AWS_*.
    s3_bucket in backpack: Option<String> = "backpack-s3-bucket" "BUCKET";
    /// Key prefix inside the S3 bucket.
    s3_prefix in backpack: Option<String> = "backpack-s3-prefix" "PREFIX";
    /// S3 endpoint URL (for S3-compatible stores other than AWS).
    s3_endpoint in backpack: Option<String> = "backpack-s3-endpoint" "URL";
    /// S3 region.
    s3_region in backpack: Option<String> = "backpack-s3-region" "REGION";
    /// Allow a plain http:// S3 endpoint (same host or a private network).
    s3_allow_http in backpack: bool = "backpack-s3-allow-http";
}

/// Writing a given flag over a file value: what a flag of each shape means.
trait Overlay<Flag> {
    fn overlay(&mut self, flag: &Flag);
}

/// `--flag V` over an optional key.
impl<T: Clone> Overlay<Option<T>> for Option<T> {
    fn overlay(&mut self, flag: &Option<T>) {
        if flag.is_some() {
            self.clone_from(flag);
        }
    }
}

/// `--flag V` over a key with a plain default (`[limits]`).
macro_rules! overlay_plain {
    ($($t:ty),+) => {$(
        impl Overlay<Option<$t>> for $t {
            fn overlay(&mut self, flag: &Option<$t>) {
                if let Some(v) = flag {
                    *self = *v;
                }
            }
        }
    )+};
}
overlay_plain!(usize, u64, u32);

/// A repeated flag replaces the file's whole list.
impl<T: Clone> Overlay<Vec<T>> for Option<Vec<T>> {
    fn overlay(&mut self, flag: &Vec<T>) {
        if !flag.is_empty() {
            *self = Some(flag.clone());
        }
    }
}

/// A repeated flag replaces the file's whole list.
impl<T: Clone> Overlay<Vec<T>> for Vec<T> {
    fn overlay(&mut self, flag: &Vec<T>) {
        if !flag.is_empty() {
            self.clone_from(flag);
        }
    }
}

/// A switch turns its key on.
impl Overlay<bool> for Option<bool> {
    fn overlay(&mut self, flag: &bool) {
        if *flag {
            *self = Some(true);
        }
    }
}

/// `--no-…`: a switch that turns its key off.
fn turn_off(key: &mut Option<bool>, flag: &bool) -> Result<()> {
    if *flag {
        *key = Some(false);
    }
    Ok(())
}

/// `--eth-rpc CHAIN_ID=URL`: each replaces the file's entry for its chain (empty entries, two
/// spaces in `SESSIONSIG_NODE_ETH_RPC`, are skipped).
fn eth_rpc(rpc: &mut BTreeMap<String, SecretUrl>, flags: &[SecretUrl]) -> Result<()> {
    for entry in flags.iter().filter(|e| !e.expose().is_empty()) {
        set_rpc_from_flag(rpc, entry.expose())?;
    }
    Ok(())
}

/// The help line: the row's text, and the default it names.
fn help(text: &str, default: Option<String>) -> String {
    // As clap's own doc-comment help: no final period, so the default reads as part of it.
    let text = text.trim().trim_end_matches('.');
    match default {
        Some(d) => format!("{text} [default: {d}]"),
        None => text.to_owned(),
    }
}

/// A default in seconds, as `--help` shows it: `2592000 (30 days)`.
struct Secs(u64);

fn secs(d: time::Duration) -> Secs {
    Secs(u64::try_from(d.whole_seconds()).unwrap_or(0))
}

impl std::fmt::Display for Secs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.0;
        write!(f, "{s}")?;
        for (unit, name) in [(86_400, "day"), (3_600, "hour"), (60, "minute")] {
            if s >= unit && s.is_multiple_of(unit) {
                let n = s / unit;
                let plural = if n == 1 { "" } else { "s" };
                return write!(f, " ({n} {name}{plural})");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backpack::BackpackConfig;
    use crate::config::ContractWalletsConfig;
    use clap::Args as _;
    use serde::de::{self, Deserializer, Visitor};

    /// A deserializer that only records the field names a struct asks for: the file's keys as
    /// serde itself knows them, so a key added to the schema cannot escape this test.
    struct KeysOf(&'static [&'static str]);

    impl<'de> Deserializer<'de> for &mut KeysOf {
        type Error = de::value::Error;
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> std::result::Result<V::Value, Self::Error> {
            self.0 = fields;
            Err(de::Error::custom("keys recorded"))
        }
        fn deserialize_any<V: Visitor<'de>>(
            self,
            _visitor: V,
        ) -> std::result::Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }

    fn keys<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
        let mut k = KeysOf(&[]);
        assert!(T::deserialize(&mut k).is_err());
        assert!(!k.0.is_empty());
        k.0
    }

    /// Every key of the configuration file, `section.key` inside its sections.
    fn file_keys() -> Vec<String> {
        let sections: [(&str, &[&str]); 3] = [
            ("limits", keys::<Limits>()),
            ("contract_wallets", keys::<ContractWalletsConfig>()),
            ("backpack", keys::<BackpackConfig>()),
        ];
        let mut all = Vec::new();
        for key in keys::<NodeConfig>() {
            match sections.iter().find(|(s, _)| s == key) {
                Some((s, inner)) => all.extend(inner.iter().map(|k| format!("{s}.{k}"))),
                None => all.push((*key).to_owned()),
            }
        }
        all
    }

    #[test]
    fn every_file_key_has_exactly_one_flag_and_every_flag_a_key() {
        let table: Vec<&Setting> = NodeFlags::SETTINGS
            .iter()
            .chain(SettingFlags::SETTINGS)
            .collect();
        let mut file = file_keys();
        let mut declared: Vec<String> = table.iter().map(|s| s.key.to_owned()).collect();
        file.sort();
        declared.sort();
        assert_eq!(declared, file, "the flag table and the file schema differ");
        let mut flags: Vec<&str> = table.iter().map(|s| s.flag).collect();
        flags.sort_unstable();
        flags.dedup();
        assert_eq!(flags.len(), table.len(), "a flag is declared twice");
        // The only settings `network up` does not take: it gives each node its own.
        let node_only: Vec<&str> = NodeFlags::SETTINGS.iter().map(|s| s.key).collect();
        assert_eq!(node_only, ["public_url", "listen", "network"]);
    }

    #[test]
    fn defaults_shown_are_the_ones_resolved() {
        let shown = |flag: &str| {
            let cmd = SettingFlags::augment_args(clap::Command::new("node"));
            let arg = cmd
                .get_arguments()
                .find(|a| a.get_long() == Some(flag))
                .unwrap_or_else(|| panic!("--{flag}"));
            arg.get_help().unwrap().to_string()
        };
        let dir = tempfile::tempdir().unwrap();
        let s = NodeConfig {
            public_url: Some("http://127.0.0.1:7470".into()),
            data_dir: Some(dir.path().to_owned()),
            ..NodeConfig::default()
        }
        .resolve(false)
        .unwrap();
        let ends = |flag: &str, default: String| {
            let help = shown(flag);
            assert!(help.ends_with(&format!("[default: {default}]")), "{help}");
        };
        ends(
            "skew",
            format!("{} (1 minute)", s.policy.skew.whole_seconds()),
        );
        ends(
            "max-session-auth-sig-lifetime",
            format!(
                "{} (30 days)",
                s.policy
                    .max_session_auth_sig_lifetime
                    .unwrap()
                    .whole_seconds()
            ),
        );
        ends(
            "nonce-ttl",
            format!("{} (10 minutes)", s.nonce_ttl.whole_seconds()),
        );
        ends("max-body-bytes", s.limits.max_body_bytes.to_string());
        ends("cache-capacity", s.cache_capacity.to_string());
        ends(
            "backpack-signature-window-secs",
            s.backpack.signatures.window.whole_seconds().to_string(),
        );
        // A default computed from other settings is described, not shown as a number.
        assert!(!shown("worker-threads").contains("[default"));
    }
}
