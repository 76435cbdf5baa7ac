//! Command-line arguments and entry points for `sessionsig node` and `sessionsig network up`
//! (used by the `sessionsig` CLI and by this crate's `sessionsig-node` binary).
//!
//! Output contract: once serving, the node URL(s) are printed on stdout, one per line (after
//! every node answered `/healthz`); diagnostics go to stderr. Ctrl-C / SIGTERM stop serving
//! gracefully and exit 0. A configuration error exits 2, any other failure 1, each with
//! `error[<code>]: <message>` on stderr.

use crate::config::NodeConfig;
use crate::error::{NodeError, Result};
use crate::network::{Network, NetworkOptions, DEFAULT_BASE_PORT};
use crate::server::{runtime, Node, ShutdownSignals};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// Flags shared by `node` and `network up`: policy and limits (override the config file).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct CommonArgs {
    /// TOML configuration file (flags override it). See the crate README for every key.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// PostgreSQL schema holding the node's tables (created if missing; default: the
    /// connection's search path). Ignored for SQLite.
    #[arg(long, value_name = "NAME")]
    pub store_schema: Option<String>,
    /// Allowed clock skew in seconds on each side of every time window (default 60).
    #[arg(long, value_name = "SECS")]
    pub skew: Option<u64>,
    /// Longest accepted SessionSig lifetime in seconds (default 30 days).
    #[arg(long, value_name = "SECS")]
    pub max_lifetime: Option<u64>,
    /// Accept Lit network-signed (`lit.bls`) session AuthSigs WITHOUT checking their BLS
    /// signature.
    #[arg(long)]
    pub trust_lit_bls: bool,
    /// Refuse session AuthSigs whose SIWE nonce is not a fresh handshake nonce of this network.
    #[arg(long)]
    pub require_network_nonce: bool,
    /// Largest request body in bytes (default 65536).
    #[arg(long, value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Largest request head in bytes (default 32768, at least 8192).
    #[arg(long, value_name = "BYTES")]
    pub max_header_bytes: Option<usize>,
    /// Deepest JSON nesting accepted (default 16).
    #[arg(long, value_name = "N")]
    pub max_json_depth: Option<usize>,
    /// Longest time to answer a request, in milliseconds (default 10000).
    #[arg(long, value_name = "MS")]
    pub request_timeout_ms: Option<u64>,
    /// Most /v1 requests in flight per node; more are answered 503 (default 1024).
    #[arg(long, value_name = "N")]
    pub max_concurrency: Option<usize>,
    /// POST /v1/revocations: requests one client address may make at once; more are
    /// answered 429 rate_limited (default 20; 0: no limit).
    #[arg(long, value_name = "N")]
    pub revocation_burst: Option<u32>,
    /// POST /v1/revocations: requests one client address regains per minute (default 60;
    /// 0: no limit).
    #[arg(long, value_name = "N")]
    pub revocation_rate_per_minute: Option<u32>,
    /// Async worker threads per process (default: number of CPUs).
    #[arg(long, value_name = "N")]
    pub worker_threads: Option<usize>,
    /// Most threads verifying or waiting on the store at once (default 2 × CPUs, at least 8).
    #[arg(long, value_name = "N")]
    pub blocking_threads: Option<usize>,
    /// Turn verification OFF on /v1/authorize (load comparisons only; needs
    /// --insecure-no-verify).
    #[arg(long)]
    pub no_verify: bool,
    /// Acknowledge that `verify = false` / --no-verify makes /v1/authorize accept anything.
    #[arg(long)]
    pub insecure_no_verify: bool,
    /// Accept contract-wallet (`derivedVia: "EIP1271"`) AuthSigs of chain CHAIN_ID, checked
    /// over this Ethereum JSON-RPC URL (repeat for more chains; replaces the config file's
    /// entry for that chain). RPC URLs often hold an API key or user:password: prefer the
    /// config file or the environment variable (entries separated by spaces).
    #[arg(
        long = "eth-rpc",
        value_name = "CHAIN_ID=URL",
        env = "SESSIONSIG_NODE_ETH_RPC",
        hide_env_values = true,
        value_delimiter = ' '
    )]
    pub eth_rpc: Vec<String>,
    /// Longest time one contract-wallet check may take, in milliseconds (default 5000; less
    /// than the request timeout).
    #[arg(long, value_name = "MS")]
    pub eth_rpc_timeout_ms: Option<u64>,
    /// How long a contract wallet's "yes" is trusted before its chain is asked again, in
    /// seconds (default 300; 0: every time).
    #[arg(long, value_name = "SECS")]
    pub contract_wallet_recheck_secs: Option<u64>,
    /// Accept AuthSigs only for this SIWE domain (`app.example`, or `https://app.example` for
    /// that scheme only); repeat for more. Default: any (Lit-compatible).
    #[arg(long = "accepted-domain", value_name = "DOMAIN")]
    pub accepted_domains: Vec<String>,
    /// Accept AuthSigs only for this SIWE chain id; repeat for more. Default: any.
    #[arg(long = "accepted-chain-id", value_name = "ID")]
    pub accepted_chain_ids: Vec<u64>,
    /// Longest session AuthSig lifetime in seconds (default 30 days; 0: no cap, no
    /// expiration required).
    #[arg(long, value_name = "SECS")]
    pub max_session_auth_sig_lifetime: Option<u64>,
    /// Longest delegation AuthSig lifetime in seconds (default 90 days; 0: no cap).
    #[arg(long, value_name = "SECS")]
    pub max_delegation_lifetime: Option<u64>,
    /// With --require-network-nonce: the oldest a handshake nonce may be at use, in seconds
    /// (default 86400).
    #[arg(long, value_name = "SECS")]
    pub nonce_max_age: Option<u64>,
    /// With --require-network-nonce: carried delegations and posted revocations need a
    /// network nonce too.
    #[arg(long)]
    pub network_nonce_for_delegations: bool,
    /// Most /v1 requests in flight from one client address (default: max concurrency / 4).
    #[arg(long, value_name = "N")]
    pub max_concurrency_per_client: Option<usize>,
}

impl CommonArgs {
    fn load(&self) -> Result<NodeConfig> {
        let mut c = match &self.config {
            Some(p) => NodeConfig::from_file(p)?,
            None => NodeConfig::default(),
        };
        if self.store_schema.is_some() {
            c.store_schema = self.store_schema.clone();
        }
        if self.skew.is_some() {
            c.skew_secs = self.skew;
        }
        if self.max_lifetime.is_some() {
            c.max_lifetime_secs = self.max_lifetime;
        }
        if self.trust_lit_bls {
            c.trust_lit_bls = Some(true);
        }
        if self.require_network_nonce {
            c.require_network_nonce = Some(true);
        }
        if let Some(v) = self.max_body_bytes {
            c.limits.max_body_bytes = v;
        }
        if let Some(v) = self.max_header_bytes {
            c.limits.max_header_bytes = v;
        }
        if let Some(v) = self.max_json_depth {
            c.limits.max_json_depth = v;
        }
        if let Some(v) = self.request_timeout_ms {
            c.limits.request_timeout_ms = v;
        }
        if let Some(v) = self.max_concurrency {
            c.limits.max_concurrency = v;
        }
        if let Some(v) = self.revocation_burst {
            c.limits.revocation_burst = v;
        }
        if let Some(v) = self.revocation_rate_per_minute {
            c.limits.revocation_rate_per_minute = v;
        }
        if self.worker_threads.is_some() {
            c.worker_threads = self.worker_threads;
        }
        if self.blocking_threads.is_some() {
            c.blocking_threads = self.blocking_threads;
        }
        if self.no_verify {
            c.verify = Some(false);
        }
        if !self.accepted_domains.is_empty() {
            c.accepted_domains = Some(self.accepted_domains.clone());
        }
        if !self.accepted_chain_ids.is_empty() {
            c.accepted_chain_ids = Some(self.accepted_chain_ids.clone());
        }
        if self.max_session_auth_sig_lifetime.is_some() {
            c.max_session_auth_sig_lifetime_secs = self.max_session_auth_sig_lifetime;
        }
        if self.max_delegation_lifetime.is_some() {
            c.max_delegation_lifetime_secs = self.max_delegation_lifetime;
        }
        if self.nonce_max_age.is_some() {
            c.nonce_max_age_secs = self.nonce_max_age;
        }
        if self.network_nonce_for_delegations {
            c.network_nonce_for_delegations = Some(true);
        }
        if self.max_concurrency_per_client.is_some() {
            c.limits.max_concurrency_per_client = self.max_concurrency_per_client;
        }
        for entry in self.eth_rpc.iter().filter(|e| !e.is_empty()) {
            c.contract_wallets.set_from_flag(entry)?;
        }
        if self.eth_rpc_timeout_ms.is_some() {
            c.contract_wallets.timeout_ms = self.eth_rpc_timeout_ms;
        }
        if self.contract_wallet_recheck_secs.is_some() {
            c.contract_wallets.recheck_secs = self.contract_wallet_recheck_secs;
        }
        Ok(c)
    }
}

/// Arguments of `sessionsig node`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct NodeArgs {
    /// This node's public URL: the `nodeAddress` it accepts (e.g. http://127.0.0.1:7470).
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Address to listen on (default: the host:port of --public-url when it is an IP).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Data directory: default SQLite store and network secret.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Store URL: sqlite://PATH (default DATA_DIR/sessionsig.db), postgres://… (shared by
    /// the network), or memory: (this process only). Prefer the environment variable when
    /// the URL holds a password.
    #[arg(
        long,
        value_name = "URL",
        env = "SESSIONSIG_NODE_STORE",
        hide_env_values = true
    )]
    pub store: Option<String>,
    /// A node of the network, for the handshake's list (repeat; this node is always listed).
    #[arg(long = "network-node", value_name = "URL")]
    pub network: Vec<String>,
    /// File holding the network's nonce secret, 64 hex (default DATA_DIR/network.key,
    /// created owner-only when absent). Nodes of one network share it.
    #[arg(long, value_name = "FILE")]
    pub network_secret_file: Option<PathBuf>,
    /// Policy, limits, config file.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Arguments of `sessionsig network up`.
#[derive(clap::Args, Debug, Clone)]
pub struct NetworkUpArgs {
    /// Number of nodes.
    #[arg(long, default_value_t = 3)]
    pub nodes: usize,
    /// Port of the first node; node i listens on http://127.0.0.1:(BASE_PORT + i).
    #[arg(long, default_value_t = DEFAULT_BASE_PORT)]
    pub base_port: u16,
    /// Data directory (default store and network secret).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Store URL shared by every node (default sqlite://DATA_DIR/sessionsig.db).
    #[arg(
        long,
        value_name = "URL",
        env = "SESSIONSIG_NODE_STORE",
        hide_env_values = true
    )]
    pub store: Option<String>,
    /// Policy, limits, config file (applied to every node).
    #[command(flatten)]
    pub common: CommonArgs,
}

/// The `network` subcommands.
#[derive(clap::Subcommand, Debug, Clone)]
pub enum NetworkCommand {
    /// Start N local nodes on a shared store and run them until Ctrl-C / SIGTERM.
    Up(Box<NetworkUpArgs>),
}

fn print_urls(urls: &[String]) {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for u in urls {
        let _ = writeln!(out, "{u}");
    }
    let _ = out.flush();
}

fn announce_contract_wallets(who: &str, description: Option<&str>) {
    if let Some(d) = description {
        eprintln!("{who}: contract-wallet AuthSigs (EIP1271) checked over JSON-RPC: {d}");
    }
}

/// Say which SIWE domains and chains AuthSigs are accepted for: the Lit-compatible default
/// (any) lets an AuthSig signed on one site for another be used here.
fn announce_siwe_policy(who: &str, c: &NodeConfig) {
    match &c.accepted_domains {
        Some(d) => eprintln!("{who}: AuthSigs accepted for SIWE domains {}", d.join(", ")),
        None => eprintln!(
            "{who}: note: AuthSigs are accepted for ANY SIWE domain (Lit-compatible default); \
             set accepted_domains to refuse SIWE messages signed for other sites"
        ),
    }
    match &c.accepted_chain_ids {
        Some(ids) => eprintln!(
            "{who}: AuthSigs accepted for SIWE chain ids {}",
            ids.iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => eprintln!(
            "{who}: note: AuthSigs are accepted for ANY SIWE chain id (set accepted_chain_ids)"
        ),
    }
}

fn warn_no_verify(verify: bool) {
    if !verify {
        eprintln!(
            "sessionsig node: WARNING: --insecure-no-verify: /v1/authorize accepts ANY \
             SessionSig without verification, and /v1/backpack serves every request without \
             authentication. Load comparisons only."
        );
    }
}

/// Run `sessionsig node` in the foreground until Ctrl-C / SIGTERM.
pub fn run_node(a: NodeArgs) -> Result<ExitCode> {
    let mut c = a.common.load()?;
    if a.public_url.is_some() {
        c.public_url = a.public_url.clone();
    }
    if a.listen.is_some() {
        c.listen = a.listen;
    }
    if a.data_dir.is_some() {
        c.data_dir = a.data_dir.clone();
    }
    if a.store.is_some() {
        c.store = a.store.clone().map(Into::into);
    }
    if !a.network.is_empty() {
        c.network = a.network.clone();
    }
    if a.network_secret_file.is_some() {
        c.network_secret_file = a.network_secret_file.clone();
    }
    let settings = c.resolve(a.common.insecure_no_verify)?;
    announce_siwe_policy("sessionsig node", &c);
    let rt = runtime(settings.worker_threads, settings.blocking_threads)?;
    rt.block_on(async move {
        let signals = ShutdownSignals::install()?;
        let verify = settings.verify;
        let url = settings.public_url.clone();
        let store = settings.store.to_string();
        let contract_wallets = settings.contract_wallets.as_ref().map(|c| c.describe());
        let node = Node::bind(settings).await?;
        let addr = node.local_addr()?;
        warn_no_verify(verify);
        let ready = async move {
            crate::network::wait_healthy(addr, std::time::Duration::from_secs(20)).await?;
            eprintln!("sessionsig node: {url} listening on {addr} (store {store})");
            announce_contract_wallets("sessionsig node", contract_wallets.as_deref());
            print_urls(std::slice::from_ref(&url));
            Ok::<(), NodeError>(())
        };
        let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
        let serve = node.serve(async move {
            let _ = stop_rx.wait_for(|s| *s).await;
        });
        tokio::pin!(serve);
        tokio::select! {
            r = &mut serve => return r,
            r = ready => r?,
        }
        tokio::select! {
            r = &mut serve => return r,
            _ = signals.wait() => {},
        }
        eprintln!("sessionsig node: shutting down (finishing in-flight requests)");
        let _ = stop_tx.send(true);
        serve.await
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Run `sessionsig network …`.
pub fn run_network(c: NetworkCommand) -> Result<ExitCode> {
    match c {
        NetworkCommand::Up(a) => run_network_up(*a),
    }
}

/// Run `sessionsig network up` in the foreground until Ctrl-C / SIGTERM.
pub fn run_network_up(a: NetworkUpArgs) -> Result<ExitCode> {
    let base = a.common.load()?;
    let opts = NetworkOptions {
        nodes: a.nodes,
        base_port: a.base_port,
        data_dir: a.data_dir.clone(),
        store: a.store.clone(),
        base: base.clone(),
        insecure_no_verify: a.common.insecure_no_verify,
    };
    // One runtime for the whole process.
    let (workers, blocking) = base.threads();
    let rt = runtime(workers, blocking)?;
    rt.block_on(async move {
        let signals = ShutdownSignals::install()?;
        let verify = opts.base.verify.unwrap_or(true);
        let network = Network::bind(opts).await?;
        warn_no_verify(verify);
        announce_siwe_policy("sessionsig network", &base);
        let store = network.store_description().to_owned();
        let contract_wallets = network.contract_wallets_description().map(str::to_owned);
        let n = network.urls().len();
        network
            .serve(signals.wait(), |urls| {
                eprintln!(
                    "sessionsig network: {n} node(s) up on store {store}; Ctrl-C or SIGTERM stops them"
                );
                announce_contract_wallets("sessionsig network", contract_wallets.as_deref());
                print_urls(urls);
            })
            .await?;
        eprintln!("sessionsig network: stopped");
        Ok::<(), NodeError>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Args {
        #[command(flatten)]
        common: CommonArgs,
    }

    fn parse(args: &[&str]) -> CommonArgs {
        Args::try_parse_from(std::iter::once("node").chain(args.iter().copied()))
            .unwrap()
            .common
    }

    #[test]
    fn hardening_flags_reach_the_config() {
        let c = parse(&[
            "--accepted-domain",
            "app.example",
            "--accepted-domain",
            "https://wallet.example",
            "--accepted-chain-id",
            "1",
            "--max-session-auth-sig-lifetime",
            "3600",
            "--max-delegation-lifetime",
            "0",
            "--nonce-max-age",
            "600",
            "--network-nonce-for-delegations",
            "--max-concurrency-per-client",
            "7",
        ])
        .load()
        .unwrap();
        assert_eq!(
            c.accepted_domains.as_deref(),
            Some(
                &[
                    "app.example".to_owned(),
                    "https://wallet.example".to_owned()
                ][..]
            )
        );
        assert_eq!(c.accepted_chain_ids.as_deref(), Some(&[1][..]));
        assert_eq!(c.max_session_auth_sig_lifetime_secs, Some(3600));
        assert_eq!(c.max_delegation_lifetime_secs, Some(0));
        assert_eq!(c.nonce_max_age_secs, Some(600));
        assert_eq!(c.network_nonce_for_delegations, Some(true));
        assert_eq!(c.limits.max_concurrency_per_client, Some(7));
        // Without flags, nothing is set: the defaults of NodeConfig::resolve apply.
        let c = parse(&[]).load().unwrap();
        assert!(c.accepted_domains.is_none() && c.accepted_chain_ids.is_none());
    }

    #[test]
    fn contract_wallet_flags_override_the_config_file() {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("node.toml");
        std::fs::write(
            &file,
            "public_url = \"http://127.0.0.1:7470\"\n[contract_wallets]\nrpc = { \"1\" = \"https://file.example/\", \"10\" = \"https://ten.example/\" }\ntimeout_ms = 3000\nrecheck_secs = 60\n",
        )
        .unwrap();
        let file = file.display().to_string();
        // The file alone.
        let c = parse(&["--config", &file]).load().unwrap();
        assert_eq!(c.contract_wallets.rpc.len(), 2);
        assert_eq!(c.contract_wallets.timeout_ms, Some(3000));
        assert_eq!(c.contract_wallets.recheck_secs, Some(60));
        // Repeated --eth-rpc: chain 1 replaced, 8453 added, 10 kept; the other two flags win.
        let c = parse(&[
            "--config",
            &file,
            "--eth-rpc",
            "1=http://127.0.0.1:8545",
            "--eth-rpc",
            "8453=https://base.example/",
            "--eth-rpc-timeout-ms",
            "1500",
            "--contract-wallet-recheck-secs",
            "0",
        ])
        .load()
        .unwrap();
        let rpc: Vec<(&str, &str)> = c
            .contract_wallets
            .rpc
            .iter()
            .map(|(k, v)| (k.as_str(), v.expose()))
            .collect();
        assert_eq!(
            rpc,
            [
                ("1", "http://127.0.0.1:8545"),
                ("10", "https://ten.example/"),
                ("8453", "https://base.example/"),
            ]
        );
        let mut c = c;
        c.data_dir = Some(d.path().to_owned());
        let s = c.resolve(false).unwrap();
        let cw = s.contract_wallets.unwrap();
        assert_eq!(cw.endpoints.len(), 3);
        assert_eq!(cw.timeout, std::time::Duration::from_millis(1500));
        assert_eq!(s.policy.contract_wallet_recheck, time::Duration::ZERO);
        // A malformed flag is a configuration error (exit 2), its secret not repeated.
        let e = parse(&["--eth-rpc", "https://u:s3cret@eth.example/"])
            .load()
            .unwrap_err();
        assert_eq!((e.code(), e.exit_code()), ("invalid_config", 2));
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }
}
