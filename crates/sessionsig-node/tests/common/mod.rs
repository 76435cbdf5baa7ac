//! Shared test fixtures: wallets, sessions and SessionSigs made with the core library at the
//! real current time (the nodes under test use the system clock), capacity delegations with
//! `uses`, revocations, the PostgreSQL server of the test machine, a node served in process on
//! a loopback port, and an HTTP client for it.
#![allow(dead_code)]

pub mod backpack;
pub mod procs;

use serde_json::{json, Value};
use sessionsig::auth_sig::{
    capacity_delegation_caveat, AuthSig, RevocationParams, RevocationTarget, SiweRecapParams,
    DELEGATION_URI,
};
use sessionsig::lit::{LitAbility, LitResource, ResourceAbilityRequest};
use sessionsig::recap::{Capability, Caveat};
use sessionsig::session::{SessionKeyPair, SessionSigParams, SessionSigs, WireFormat};
use sessionsig::time::{Clock, Duration, OffsetDateTime, SystemClock, Timestamp};
use sessionsig::wallet::{LocalWallet, WalletSigner};
use sessionsig_client::reqwest;
use sessionsig_node::config::NodeConfig;
use sessionsig_node::store::Stores;
use sessionsig_node::Node;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

/// A wallet from a fixed byte.
pub fn wallet(b: u8) -> LocalWallet {
    LocalWallet::from_bytes(&[b; 32]).expect("wallet")
}

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// A session AuthSig from `owner` to `key` granting `grants`, valid for an hour.
pub fn session_auth_sig(owner: &LocalWallet, key: &SessionKeyPair, grants: Capability) -> AuthSig {
    session_auth_sig_on(owner, key, grants, 1)
}

/// The same from any signer (e.g. a contract wallet, `sessionsig_testchain::ContractWalletSigner`)
/// with `chain_id` in its SIWE message.
pub fn session_auth_sig_on(
    owner: &dyn WalletSigner,
    key: &SessionKeyPair,
    grants: Capability,
    chain_id: u64,
) -> AuthSig {
    session_auth_sig_full(owner, key, grants, chain_id, "testnonce0001")
}

/// A session AuthSig (PKP signing and Lit Actions, chain 1) whose SIWE nonce is `nonce` (e.g.
/// a node's handshake nonce).
pub fn session_auth_sig_with_nonce(
    owner: &LocalWallet,
    key: &SessionKeyPair,
    nonce: &str,
) -> AuthSig {
    session_auth_sig_full(owner, key, pkp_and_actions(), 1, nonce)
}

fn session_auth_sig_full(
    owner: &dyn WalletSigner,
    key: &SessionKeyPair,
    grants: Capability,
    chain_id: u64,
    nonce: &str,
) -> AuthSig {
    let now = now();
    AuthSig::create(
        owner,
        &SiweRecapParams {
            domain: "localhost".into(),
            uri: SiweRecapParams::session_uri(&key.public_hex()),
            statement: None,
            nonce: nonce.into(),
            chain_id,
            issued_at: Timestamp::from_instant(now - Duration::minutes(1)),
            expiration: Some(Timestamp::from_instant(now + Duration::hours(1))),
            not_before: None,
            capability: grants,
        },
    )
    .expect("session AuthSig")
}

/// `lit-pkp://*` signing and `lit-litaction://*` execution, unrestricted.
pub fn pkp_and_actions() -> Capability {
    let mut c = Capability::new();
    c.add_ability("lit-pkp://*", "Threshold/Signing", vec![Caveat::new()])
        .expect("grant");
    c.add_ability(
        "lit-litaction://*",
        "Threshold/Execution",
        vec![Caveat::new()],
    )
    .expect("grant");
    c
}

pub fn requests(list: &[(&str, LitAbility)]) -> Vec<ResourceAbilityRequest> {
    list.iter()
        .map(|(r, a)| {
            ResourceAbilityRequest::new(LitResource::parse(r).expect("resource"), *a)
                .expect("request")
        })
        .collect()
}

/// SessionSigs for `nodes`, valid for ten minutes from now.
pub fn sign(
    key: &SessionKeyPair,
    reqs: &[ResourceAbilityRequest],
    capabilities: &[AuthSig],
    nodes: &[String],
) -> SessionSigs {
    let now = now();
    key.sign_session_sigs(
        &SessionSigParams {
            requests: reqs,
            capabilities,
            issued_at: now - Duration::seconds(5),
            expiration: now + Duration::minutes(10),
            format: WireFormat::V7,
        },
        nodes,
    )
    .expect("SessionSigs")
}

/// A user session for `nodes`: wallet `owner`, a fresh session key, PKP signing + Lit Actions
/// granted and requested. Returns the session key and the SessionSigs.
pub fn user_session(
    owner: &LocalWallet,
    nodes: &[String],
) -> (SessionKeyPair, AuthSig, SessionSigs) {
    let key = SessionKeyPair::generate();
    let auth = session_auth_sig(owner, &key, pkp_and_actions());
    let reqs = requests(&[
        ("lit-pkp://*", LitAbility::PkpSigning),
        ("lit-litaction://*", LitAbility::LitActionExecution),
    ]);
    let sigs = sign(&key, &reqs, std::slice::from_ref(&auth), nodes);
    (key, auth, sigs)
}

/// Alice's capacity delegation (`Auth/Auth` on `lit-ratelimitincrease://42`) to `delegate`
/// with `uses`, and a session of `delegate` carrying it, signed for `nodes`: every verified
/// request charges one use of the delegation.
pub fn capacity_session(
    alice: &LocalWallet,
    delegate: &LocalWallet,
    uses: u64,
    nodes: &[String],
) -> (AuthSig, SessionSigs) {
    let now = now();
    let mut cap = Capability::new();
    cap.add_ability(
        "lit-ratelimitincrease://42",
        "Auth/Auth",
        vec![capacity_delegation_caveat(
            Some("42"),
            &[format!("{:#x}", delegate.address())],
            Some(uses),
        )],
    )
    .expect("delegation grant");
    let delegation = AuthSig::create(
        alice,
        &SiweRecapParams {
            domain: "localhost".into(),
            uri: DELEGATION_URI.into(),
            statement: None,
            nonce: format!("delegation{}", unique()),
            chain_id: 1,
            issued_at: Timestamp::from_instant(now - Duration::minutes(1)),
            expiration: Some(Timestamp::from_instant(now + Duration::hours(1))),
            not_before: None,
            capability: cap,
        },
    )
    .expect("delegation");
    let key = SessionKeyPair::generate();
    let mut grants = Capability::new();
    grants
        .add_ability(
            "lit-litaction://*",
            "Threshold/Execution",
            vec![Caveat::new()],
        )
        .expect("grant");
    let auth = session_auth_sig(delegate, &key, grants);
    let reqs = requests(&[("lit-litaction://*", LitAbility::LitActionExecution)]);
    let sigs = sign(&key, &reqs, &[delegation.clone(), auth], nodes);
    (delegation, sigs)
}

/// A signed revocation of `target` by `wallet`.
pub fn revocation(wallet: &LocalWallet, target: &RevocationTarget) -> AuthSig {
    revocation_on(wallet, target, 1)
}

/// The same by any signer, with `chain_id` in its SIWE message.
pub fn revocation_on(
    wallet: &dyn WalletSigner,
    target: &RevocationTarget,
    chain_id: u64,
) -> AuthSig {
    AuthSig::revoke(
        wallet,
        target,
        &RevocationParams {
            domain: "localhost".into(),
            nonce: format!("revoke{}", unique()),
            chain_id,
            issued_at: Timestamp::from_instant(now() - Duration::seconds(1)),
        },
    )
    .expect("revocation")
}

/// A process-unique, run-unique number.
pub fn unique() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{}x{}x{}",
        std::process::id(),
        t % 1_000_000_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

// ------------------------------------------------------------------------------------ HTTP

/// An HTTP client with a 20 s timeout per request.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .pool_max_idle_per_host(64)
        .build()
        .expect("client")
}

/// POST `body` as JSON to `url` + `path`: the status and the JSON answer (`null` if not JSON).
pub async fn post(c: &reqwest::Client, url: &str, path: &str, body: &Value) -> (u16, Value) {
    let r = c
        .post(format!("{url}{path}"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}{path}: {e}"));
    let status = r.status().as_u16();
    let bytes = r.bytes().await.expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// GET `url` + `path`, with an `Authorization` value: the status and the answer (JSON, else
/// its text as a JSON string).
pub async fn get(c: &reqwest::Client, url: &str, path: &str, auth: Option<String>) -> (u16, Value) {
    let mut b = c.get(format!("{url}{path}"));
    if let Some(a) = auth {
        b = b.header("authorization", a);
    }
    let r = b
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}{path}: {e}"));
    let status = r.status().as_u16();
    let bytes = r.bytes().await.expect("body");
    (
        status,
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())),
    )
}

/// The `POST /v1/authorize` body for `node`'s entry of `sigs` (no operation).
pub fn authorize(sigs: &SessionSigs, node: &str) -> Value {
    json!({"sessionSig": serde_json::to_value(sigs.get(node).expect("entry")).expect("json")})
}

// ------------------------------------------------------------------------------------ in process

/// [`start_with`] on the system clock.
pub async fn start(
    tweak: impl FnOnce(&mut NodeConfig),
) -> (
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
    tempfile::TempDir,
) {
    start_with(tweak, Arc::new(SystemClock)).await
}

/// A node served in process on a free loopback port (memory store, `tweak` applied to its
/// configuration) on `clock`: its address, the shutdown trigger, the serving task, its data
/// directory (kept while the test runs).
pub async fn start_with(
    tweak: impl FnOnce(&mut NodeConfig),
    clock: Arc<dyn Clock>,
) -> (
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    // Bind port 0 first, then name the node by the port it got.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = probe.local_addr().expect("addr").port();
    drop(probe);
    let mut c = NodeConfig {
        public_url: Some(format!("http://127.0.0.1:{port}")),
        data_dir: Some(dir.path().to_owned()),
        store: Some("memory:".into()),
        ..NodeConfig::default()
    };
    tweak(&mut c);
    let settings = c.resolve(false).expect("settings");
    let node = Node::bind_with(settings, Stores::memory(), clock)
        .await
        .expect("bind");
    let addr = node.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        node.serve(async move {
            let _ = rx.await;
        })
        .await
        .expect("serve");
    });
    (addr, tx, task, dir)
}

// ------------------------------------------------------------------------------------ PostgreSQL

/// Overrides the PostgreSQL server the tests use.
pub const PG_URL_ENV: &str = "SESSIONSIG_TEST_POSTGRES_URL";

/// The test server (trust auth, database `test`), as `postgres` or `root`. Panics with a clear
/// message when none answers: the PostgreSQL tests are never skipped.
pub fn pg_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let candidates: Vec<String> = match std::env::var(PG_URL_ENV) {
            Ok(u) if !u.is_empty() => vec![u],
            _ => vec![
                "postgres://postgres@127.0.0.1:5432/test".into(),
                "postgres://root@127.0.0.1:5432/test".into(),
            ],
        };
        let mut errors = Vec::new();
        for url in &candidates {
            let u = url.clone();
            let r = std::thread::spawn(move || {
                let mut config: postgres::Config = u.parse().map_err(|e| format!("{e}"))?;
                config.connect_timeout(std::time::Duration::from_secs(5));
                config
                    .connect(postgres::NoTls)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
            .join()
            .unwrap_or_else(|_| Err("panicked".into()));
            match r {
                Ok(()) => return url.clone(),
                Err(e) => errors.push(format!("{url}: {e}")),
            }
        }
        panic!(
            "PostgreSQL tests need a server and none answered: {}. Start PostgreSQL on \
             127.0.0.1:5432 (trust auth, database `test`) or set {PG_URL_ENV}.",
            errors.join("; ")
        )
    })
}

/// A schema of its own for one test, dropped when the guard goes away (pass or fail).
pub struct PgSchema {
    pub url: String,
    pub schema: String,
}

impl PgSchema {
    pub fn new() -> Self {
        let url = pg_url().to_owned();
        let schema = format!("node_test_{}", unique()).to_ascii_lowercase();
        PgSchema { url, schema }
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        // The synchronous driver runs its own runtime: keep it off the test's async threads.
        let (url, schema) = (self.url.clone(), self.schema.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(mut c) = postgres::Client::connect(&url, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        })
        .join();
    }
}

// ------------------------------------------------------------------------------------ clock

/// A clock the test moves by hand (starting at the real current time, so signatures made
/// with [`now`] are fresh).
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<OffsetDateTime>);

impl ManualClock {
    pub fn now_real() -> std::sync::Arc<Self> {
        std::sync::Arc::new(ManualClock(std::sync::Mutex::new(now())))
    }
    pub fn advance(&self, d: Duration) {
        *self.0.lock().expect("clock") += d;
    }
}

impl sessionsig::time::Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().expect("clock")
    }
}
