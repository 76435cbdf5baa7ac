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
use crate::store::redact_url;
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
        if self.worker_threads.is_some() {
            c.worker_threads = self.worker_threads;
        }
        if self.blocking_threads.is_some() {
            c.blocking_threads = self.blocking_threads;
        }
        if self.no_verify {
            c.verify = Some(false);
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

fn warn_no_verify(verify: bool) {
    if !verify {
        eprintln!(
            "sessionsig node: WARNING: --insecure-no-verify: /v1/authorize accepts ANY \
             SessionSig without verification. Load comparisons only."
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
        c.store = a.store.clone();
    }
    if !a.network.is_empty() {
        c.network = a.network.clone();
    }
    if a.network_secret_file.is_some() {
        c.network_secret_file = a.network_secret_file.clone();
    }
    let settings = c.resolve(a.common.insecure_no_verify)?;
    let rt = runtime(settings.worker_threads, settings.blocking_threads)?;
    rt.block_on(async move {
        let signals = ShutdownSignals::install()?;
        let verify = settings.verify;
        let url = settings.public_url.clone();
        let store = redact_url(&settings.store);
        let node = Node::bind(settings).await?;
        let addr = node.local_addr()?;
        warn_no_verify(verify);
        let ready = async move {
            crate::network::wait_healthy(addr, std::time::Duration::from_secs(20)).await?;
            eprintln!("sessionsig node: {url} listening on {addr} (store {store})");
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
        let store = network.store_description().to_owned();
        let n = network.urls().len();
        network
            .serve(signals.wait(), |urls| {
                eprintln!(
                    "sessionsig network: {n} node(s) up on store {store}; Ctrl-C or SIGTERM stops them"
                );
                print_urls(urls);
            })
            .await?;
        eprintln!("sessionsig network: stopped");
        Ok::<(), NodeError>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
