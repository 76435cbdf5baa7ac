//! Serving: bind, accept within limits, and shut down gracefully.
//!
//! The accept loop is hyper's HTTP/1.1 server with the node's limits applied per connection
//! (request head size and field count, head read timeout: a client that trickles its headers
//! is dropped), a cap on open connections and on each client address's share of them, `TCP_NODELAY`, and a graceful shutdown: on the
//! signal the listener closes, idle keep-alive connections close, every request already
//! received is answered, then the connections close; after `shutdown_grace_ms` whatever is
//! left is dropped. Every request carries its connection's peer address as axum's
//! [`ConnectInfo<SocketAddr>`](axum::extract::ConnectInfo) (the key of the per-client rate
//! limits, [`crate::rate_limit`]).

use crate::client_limit::ClientSlots;
use crate::config::Settings;
use crate::error::{NodeError, Result};
use crate::rate_limit::ClientKey;
use crate::routes::{router, AppState};
use crate::store::Stores;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use sessionsig::time::{Clock, SystemClock};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::Layer;

/// A bound node, ready to serve.
#[derive(Debug)]
pub struct Node {
    state: AppState,
    listener: TcpListener,
    settings: Settings,
}

impl Node {
    /// Open the configured store (on the blocking pool), build the state and bind the
    /// listener.
    pub async fn bind(settings: Settings) -> Result<Node> {
        let url = settings.store.clone();
        let schema = settings.store_schema.clone();
        let stores =
            tokio::task::spawn_blocking(move || Stores::open(url.expose(), schema.as_deref()))
                .await
                .map_err(|e| NodeError::Internal(format!("opening the store: {e}")))??;
        Self::bind_with(settings, stores, Arc::new(SystemClock)).await
    }

    /// Bind with given stores and clock (tests; several nodes sharing one in-memory store).
    pub async fn bind_with(
        settings: Settings,
        stores: Stores,
        clock: Arc<dyn Clock>,
    ) -> Result<Node> {
        let state = AppState::new(&settings, stores, clock)?;
        let listener = TcpListener::bind(settings.listen)
            .await
            .map_err(|e| NodeError::io(format!("listening on {}", settings.listen), e))?;
        Ok(Node {
            state,
            listener,
            settings,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener
            .local_addr()
            .map_err(|e| NodeError::io("local address", e))
    }

    /// The shared state (to mount more routes, or read metrics).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serve until `shutdown` completes, then finish in-flight requests (at most
    /// `limits.shutdown_grace_ms`) and return.
    pub async fn serve<F>(self, shutdown: F) -> Result<()>
    where
        F: Future<Output = ()> + Send,
    {
        let app = router(self.state.clone());
        let pruner = match self.settings.prune_interval {
            Some(every) => Some(tokio::spawn(prune_every(self.state.clone(), every))),
            // Never pruned, but the backpack is still reconciled once, at startup.
            None => Some(tokio::spawn(backpack_upkeep(self.state.clone()))),
        };
        let served = serve_router(self.listener, app, &self.settings, shutdown).await;
        if let Some(p) = pruner {
            p.abort();
        }
        served
    }
}

/// Delete expired revocations and idle rate-limit buckets every `every` (the first time at
/// once), on the blocking pool; a failing store is tried again next time.
async fn prune_every(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let log = state.stores().log.clone();
        let now = state.now();
        match tokio::task::spawn_blocking(move || log.prune(now)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => eprintln!("sessionsig node: pruning the store failed: {e}"),
            Err(e) => eprintln!("sessionsig node: pruning task: {e}"),
        }
        backpack_upkeep(state.clone()).await;
    }
}

/// The backpack's housekeeping: delete blobs no object refers to (what a crashed upload or a
/// crash between a replace and its cleanup left, once older than the grace period) and
/// expired request-signature nonces. Failures are reported and tried again next time.
async fn backpack_upkeep(state: AppState) {
    let Some(bp) = state.backpack() else {
        return;
    };
    if let Err(e) = bp.objects().reconcile().await {
        eprintln!("sessionsig node: backpack reconciliation failed: {e}");
    }
    let meta = std::sync::Arc::clone(bp.objects().meta());
    let now = state.now();
    match tokio::task::spawn_blocking(move || meta.gc_nonces(now)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => eprintln!("sessionsig node: expiring request nonces failed: {e}"),
        Err(e) => eprintln!("sessionsig node: nonce task: {e}"),
    }
}

/// Serve `app` on `listener` with the node's connection limits and graceful shutdown.
pub async fn serve_router<F>(
    listener: TcpListener,
    app: axum::Router,
    settings: &Settings,
    shutdown: F,
) -> Result<()>
where
    F: Future<Output = ()> + Send,
{
    let limits = &settings.limits;
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(limits.header_read_timeout_ms))
        .max_header_size(limits.max_header_bytes)
        .max_buf_size(limits.max_header_bytes.max(8192).max(64 * 1024))
        .max_headers(limits.max_headers)
        .keep_alive(true);
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let per_client = ClientSlots::new(limits.connections_per_client());
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            biased;
            _ = &mut shutdown => break,
            p = connections.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            biased;
            _ = &mut shutdown => break,
            a = listener.accept() => match a {
                Ok(x) => x,
                Err(_) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // One address holds at most its share of the connections ([`crate::client_limit`]).
        let Some(share) = per_client.try_acquire(ClientKey::of(Some(peer.ip()))) else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        // Every request of the connection carries its peer address (the rate limits' key).
        let service = TowerToHyperService::new(Layer::layer(
            &axum::Extension(ConnectInfo(peer)),
            app.clone(),
        ));
        let conn = http.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(share);
            drop(permit);
        });
    }
    drop(listener);
    let grace = Duration::from_millis(limits.shutdown_grace_ms);
    let _ = tokio::time::timeout(grace, graceful.shutdown()).await;
    Ok(())
}

/// A multi-threaded runtime: `worker_threads` async threads, at most `blocking_threads`
/// threads verifying or waiting on the store (see [`NodeConfig::threads`](crate::config::NodeConfig::threads)).
pub fn runtime(worker_threads: usize, blocking_threads: usize) -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads.max(1))
        .max_blocking_threads(blocking_threads.max(1))
        .thread_name("sessionsig-node")
        .enable_all()
        .build()
        .map_err(|e| NodeError::io("starting the runtime", e))
}

/// Ctrl-C (SIGINT) and SIGTERM, listened to from the moment [`install`](Self::install)
/// returns (install before announcing readiness, so an early signal is never lost).
#[derive(Debug)]
pub struct ShutdownSignals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    /// Start listening for SIGINT and SIGTERM (inside a runtime).
    pub fn install() -> Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let int = signal(SignalKind::interrupt())
                .map_err(|e| NodeError::io("installing the SIGINT handler", e))?;
            let term = signal(SignalKind::terminate())
                .map_err(|e| NodeError::io("installing the SIGTERM handler", e))?;
            Ok(ShutdownSignals { int, term })
        }
        #[cfg(not(unix))]
        Ok(ShutdownSignals {})
    }

    /// Completes on the first SIGINT or SIGTERM.
    pub async fn wait(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.int.recv() => {},
            _ = self.term.recv() => {},
        }
        #[cfg(not(unix))]
        {
            let _ = &mut self;
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
