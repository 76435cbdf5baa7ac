//! A local network: N nodes in one process on `http://127.0.0.1:P`, `P+1`, …, each with its
//! own verifier, cache and store connection, all on one shared store (so revocations and use
//! counters hold across them) and one network secret (so any node checks any node's nonce).
//! Each node's `nodeAddress` is its URL, and each lists all of them in its handshake.

use crate::config::{default_data_dir, NodeConfig};
use crate::error::{NodeError, Result};
use crate::server::Node;
use crate::store::Stores;
use sessionsig::time::SystemClock;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

/// The default first port.
pub const DEFAULT_BASE_PORT: u16 = 7470;

/// How to start a local network.
#[derive(Debug, Clone)]
pub struct NetworkOptions {
    /// Number of nodes (1 to 64).
    pub nodes: usize,
    /// Port of the first node; node `i` listens on `base_port + i`.
    pub base_port: u16,
    /// Data directory (default store and network secret); default
    /// `<default data dir>/network`.
    pub data_dir: Option<PathBuf>,
    /// Store URL shared by every node (default `sqlite://<data_dir>/sessionsig.db`).
    pub store: Option<String>,
    /// Settings applied to every node (limits, policy, …); its `public_url`, `listen`,
    /// `network`, `data_dir` and `store` are replaced.
    pub base: NodeConfig,
    /// The acknowledgement `verify = false` needs.
    pub insecure_no_verify: bool,
}

impl Default for NetworkOptions {
    fn default() -> Self {
        NetworkOptions {
            nodes: 3,
            base_port: DEFAULT_BASE_PORT,
            data_dir: None,
            store: None,
            base: NodeConfig::default(),
            insecure_no_verify: false,
        }
    }
}

/// A bound local network.
#[derive(Debug)]
pub struct Network {
    nodes: Vec<Node>,
    urls: Vec<String>,
    addrs: Vec<SocketAddr>,
    store: String,
    contract_wallets: Option<String>,
}

impl Network {
    /// Resolve every node's settings, open the store(s) and bind every listener.
    pub async fn bind(opts: NetworkOptions) -> Result<Network> {
        if opts.nodes == 0 || opts.nodes > 64 {
            return Err(NodeError::Config("--nodes must be between 1 and 64".into()));
        }
        let last = u32::from(opts.base_port) + opts.nodes as u32 - 1;
        if opts.base_port == 0 || last > u32::from(u16::MAX) {
            return Err(NodeError::Config(format!(
                "ports {}..={last} are not all valid",
                opts.base_port
            )));
        }
        let data_dir = opts
            .data_dir
            .clone()
            .unwrap_or_else(|| default_data_dir().join("network"));
        std::fs::create_dir_all(&data_dir).map_err(|e| NodeError::io(data_dir.display(), e))?;
        let store = opts
            .store
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("sessionsig.db").display()));
        let urls: Vec<String> = (0..opts.nodes)
            .map(|i| format!("http://127.0.0.1:{}", u32::from(opts.base_port) + i as u32))
            .collect();
        // An in-memory store is shared by handing every node the same one; a database is
        // opened by each node, as separate processes would.
        let shared_memory = if store == "memory:" || store == "memory" {
            Some(Stores::memory())
        } else {
            None
        };
        let mut nodes = Vec::with_capacity(opts.nodes);
        let mut addrs = Vec::with_capacity(opts.nodes);
        let mut contract_wallets = None;
        for url in &urls {
            let mut cfg = opts.base.clone();
            cfg.public_url = Some(url.clone());
            cfg.listen = None;
            cfg.network = urls.clone();
            cfg.data_dir = Some(data_dir.clone());
            cfg.store = Some(store.clone().into());
            let settings = cfg.resolve(opts.insecure_no_verify)?;
            contract_wallets = settings.contract_wallets.as_ref().map(|c| c.describe());
            let node = match &shared_memory {
                Some(s) => Node::bind_with(settings, s.clone(), Arc::new(SystemClock)).await?,
                None => Node::bind(settings).await?,
            };
            addrs.push(node.local_addr()?);
            nodes.push(node);
        }
        Ok(Network {
            nodes,
            urls,
            addrs,
            store: crate::redact::redact_url(&store),
            contract_wallets,
        })
    }

    /// The nodes' URLs, in port order.
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// The shared store (password removed).
    pub fn store_description(&self) -> &str {
        &self.store
    }

    /// The contract-wallet endpoints every node asks (URLs redacted), when configured.
    pub fn contract_wallets_description(&self) -> Option<&str> {
        self.contract_wallets.as_deref()
    }

    /// Serve every node; once all answer `GET /healthz` call `on_ready` with their URLs; run
    /// until `shutdown` completes (or a node fails), then shut every node down gracefully.
    pub async fn serve<F, R>(self, shutdown: F, on_ready: R) -> Result<()>
    where
        F: Future<Output = ()> + Send,
        R: FnOnce(&[String]),
    {
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks = tokio::task::JoinSet::new();
        for node in self.nodes {
            let mut rx = stop_rx.clone();
            tasks.spawn(async move {
                node.serve(async move {
                    let _ = rx.wait_for(|stop| *stop).await;
                })
                .await
            });
        }
        let ready = async {
            for addr in &self.addrs {
                wait_healthy(*addr, Duration::from_secs(20)).await?;
            }
            Ok::<(), NodeError>(())
        };
        let mut outcome: Result<()> = Ok(());
        tokio::select! {
            r = ready => match r {
                Ok(()) => on_ready(&self.urls),
                Err(e) => outcome = Err(e),
            },
            Some(r) = tasks.join_next() => {
                outcome = Err(node_ended(r));
            }
        }
        if outcome.is_ok() {
            tokio::pin!(shutdown);
            tokio::select! {
                _ = &mut shutdown => {},
                Some(r) = tasks.join_next() => outcome = Err(node_ended(r)),
            }
        }
        let _ = stop_tx.send(true);
        while let Some(r) = tasks.join_next().await {
            if let Ok(Err(e)) = r {
                if outcome.is_ok() {
                    outcome = Err(e);
                }
            }
        }
        outcome
    }
}

fn node_ended(r: std::result::Result<Result<()>, tokio::task::JoinError>) -> NodeError {
    match r {
        Ok(Err(e)) => e,
        Ok(Ok(())) => NodeError::Internal("a node stopped serving".into()),
        Err(e) => NodeError::Internal(format!("a node task failed: {e}")),
    }
}

/// Poll `GET /healthz` on `addr` until it answers 200 or `within` has passed.
pub async fn wait_healthy(addr: SocketAddr, within: Duration) -> Result<()> {
    let deadline = tokio::time::Instant::now() + within;
    let mut last = String::from("no answer");
    while tokio::time::Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(2), health_once(addr)).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => last = e,
            Err(_) => last = "timed out".into(),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(NodeError::Io(format!(
        "node {addr} did not answer /healthz: {last}"
    )))
}

async fn health_once(addr: SocketAddr) -> std::result::Result<(), String> {
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let req = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut buf = Vec::with_capacity(1024);
    s.take(64 * 1024)
        .read_to_end(&mut buf)
        .await
        .map_err(|e| e.to_string())?;
    let head = String::from_utf8_lossy(&buf[..buf.len().min(64)]).into_owned();
    if head.starts_with("HTTP/1.1 200") {
        Ok(())
    } else {
        Err(head.lines().next().unwrap_or("empty answer").to_owned())
    }
}
