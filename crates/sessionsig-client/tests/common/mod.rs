//! Test helpers: a settable clock, a counting wallet wrapper (real keys, real signatures), a
//! wallet whose account can switch, and request builders.
#![allow(dead_code)]

use alloy_primitives::Address;
use sessionsig::lit::{LitAbility, LitResource, LitResourcePrefix, ResourceAbilityRequest};
use sessionsig::time::{parse_rfc3339, Clock, Duration, OffsetDateTime};
use sessionsig::wallet::LocalWallet;
use sessionsig_client::{BoxFuture, ResignReason, Result, SignRequest, WalletProvider};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A clock tests move by hand.
#[derive(Debug)]
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    pub fn at(text: &str) -> Arc<Self> {
        Arc::new(ManualClock(Mutex::new(parse_rfc3339(text).unwrap())))
    }
    pub fn advance(&self, d: Duration) {
        let mut t = self.0.lock().unwrap();
        *t += d;
    }
    pub fn set(&self, t: OffsetDateTime) {
        *self.0.lock().unwrap() = t;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

/// Wraps a wallet and counts the signatures it makes, remembering why each was asked.
pub struct Counting<W> {
    pub inner: W,
    pub count: AtomicUsize,
    pub reasons: Mutex<Vec<ResignReason>>,
    pub messages: Mutex<Vec<String>>,
}

impl<W: WalletProvider> Counting<W> {
    pub fn new(inner: W) -> Arc<Self> {
        Arc::new(Counting {
            inner,
            count: AtomicUsize::new(0),
            reasons: Mutex::new(Vec::new()),
            messages: Mutex::new(Vec::new()),
        })
    }
    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
    pub fn last_reason(&self) -> Option<ResignReason> {
        self.reasons.lock().unwrap().last().cloned()
    }
    pub fn last_message(&self) -> Option<String> {
        self.messages.lock().unwrap().last().cloned()
    }
}

impl<W: WalletProvider> WalletProvider for Counting<W> {
    fn address(&self) -> Address {
        self.inner.address()
    }
    fn sign_siwe<'a>(&'a self, request: &'a SignRequest) -> BoxFuture<'a, Result<String>> {
        self.count.fetch_add(1, Ordering::SeqCst);
        self.reasons.lock().unwrap().push(request.reason.clone());
        self.messages.lock().unwrap().push(request.message.clone());
        self.inner.sign_siwe(request)
    }
}

/// Two real wallets; the "user" can switch between them.
pub struct Switchable {
    pub wallets: Vec<LocalWallet>,
    pub current: AtomicUsize,
}

impl Switchable {
    pub fn new(n: usize) -> Self {
        Switchable {
            wallets: (0..n).map(|i| wallet(i as u8 + 1)).collect(),
            current: AtomicUsize::new(0),
        }
    }
    pub fn switch_to(&self, i: usize) {
        self.current.store(i, Ordering::SeqCst);
    }
}

impl WalletProvider for Switchable {
    fn address(&self) -> Address {
        WalletProvider::address(&self.wallets[self.current.load(Ordering::SeqCst)])
    }
    fn sign_siwe<'a>(&'a self, request: &'a SignRequest) -> BoxFuture<'a, Result<String>> {
        self.wallets[self.current.load(Ordering::SeqCst)].sign_siwe(request)
    }
}

/// A deterministic real wallet.
pub fn wallet(seed: u8) -> LocalWallet {
    LocalWallet::from_bytes(&[seed; 32]).unwrap()
}

pub fn pkp(id: &str) -> ResourceAbilityRequest {
    ResourceAbilityRequest::new(LitResource::pkp(id).unwrap(), LitAbility::PkpSigning).unwrap()
}

pub fn any_pkp() -> ResourceAbilityRequest {
    ResourceAbilityRequest::new(
        LitResource::wildcard(LitResourcePrefix::Pkp),
        LitAbility::PkpSigning,
    )
    .unwrap()
}

pub fn action(cid: &str) -> ResourceAbilityRequest {
    ResourceAbilityRequest::new(
        LitResource::new(LitResourcePrefix::LitAction, cid).unwrap(),
        LitAbility::LitActionExecution,
    )
    .unwrap()
}

pub const T0: &str = "2025-06-01T12:00:00.000Z";

pub fn nodes(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("https://127.0.0.1:{}", 7470 + i))
        .collect()
}

/// `n` nodes of one network on one store under `dir`, in this process, each on a free loopback
/// port, with `tweak` applied to every node's configuration; stopped when the sender is
/// dropped. (A port taken between choosing and binding: start again, up to five times.)
pub async fn in_process_nodes(
    dir: &std::path::Path,
    n: usize,
    tweak: impl Fn(&mut sessionsig_node::config::NodeConfig),
) -> (Vec<String>, tokio::sync::watch::Sender<bool>) {
    use sessionsig_node::config::NodeConfig;
    for _ in 0..5 {
        let ports: Vec<u16> = (0..n)
            .map(|_| {
                std::net::TcpListener::bind("127.0.0.1:0")
                    .and_then(|l| l.local_addr())
                    .expect("port")
                    .port()
            })
            .collect();
        let urls: Vec<String> = ports
            .iter()
            .map(|p| format!("http://127.0.0.1:{p}"))
            .collect();
        let mut bound = Vec::new();
        for (u, p) in urls.iter().zip(&ports) {
            let mut cfg = NodeConfig {
                public_url: Some(u.clone()),
                listen: Some(([127, 0, 0, 1], *p).into()),
                network: urls.clone(),
                data_dir: Some(dir.to_owned()),
                ..NodeConfig::default()
            };
            tweak(&mut cfg);
            match sessionsig_node::Node::bind(cfg.resolve(false).expect("settings")).await {
                Ok(node) => bound.push(node),
                Err(_) => break,
            }
        }
        if bound.len() < n {
            continue;
        }
        let (tx, rx) = tokio::sync::watch::channel(false);
        for node in bound {
            let addr = node.local_addr().expect("addr");
            let mut rx = rx.clone();
            tokio::spawn(node.serve(async move {
                let _ = rx.wait_for(|s| *s).await;
            }));
            sessionsig_node::network::wait_healthy(addr, std::time::Duration::from_secs(60))
                .await
                .expect("healthy");
        }
        return (urls, tx);
    }
    panic!("no {n} free ports");
}
