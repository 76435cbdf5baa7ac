//! Contract wallets at a real node on loopback (in process, real sockets): sessions delegated by
//! an ERC-1271 `OwnedWallet` deployed on a real EVM (`sessionsig-testchain`: revm behind a local
//! JSON-RPC server), checked by the node over JSON-RPC.
//!
//! * accepted on `POST /v1/authorize` and `GET /v1/session`; another key's signature refused;
//! * without `[contract_wallets]`, refused `unsupported_derived_via` as before, chain never asked;
//! * an endpoint that is down, or stops, fails closed: `503 contract_wallet_unavailable` (a wallet
//!   that says no is `401 contract_wallet_invalid`);
//! * a hanging endpoint holds a blocking thread, never the async runtime, and at most
//!   `max_in_flight` of them: one more contract-wallet check is refused at once while wallet
//!   sessions still verify;
//! * an owner change (`setOwner` from the deployer) is seen once `recheck_secs` have passed on
//!   the node's clock;
//! * the wallet revokes its session through `POST /v1/revocations`;
//! * a wallet not deployed yet signs through ERC-6492 (factory + deploy calldata wrapped around
//!   the owner's signature): accepted, nothing deployed; a stranger's or a broken wrapper refused.

mod common;

use alloy_primitives::{eip191_hash_message, Address, B256};
use common::*;
use serde_json::{json, Value};
use sessionsig::auth_sig::{AuthSig, RevocationTarget};
use sessionsig::lit::LitAbility;
use sessionsig::session::{SessionKeyPair, SessionSigs};
use sessionsig::time::{Clock, SystemClock};
use sessionsig_client::reqwest;
use sessionsig_node::auth::authorization_value;
use sessionsig_node::config::NodeConfig;
use sessionsig_rpc::erc6492::Erc6492Signature;
use sessionsig_testchain::evm::Chain;
use sessionsig_testchain::server::{dead_url, evm_server, Behaviour, Server};
use sessionsig_testchain::{
    artifact, calldata, eip1271, word_address, ContractWalletSigner, Key, CHAIN_ID,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A chain with an `OwnedWallet` owned by `owner`, served over JSON-RPC.
struct TestChain {
    chain: Arc<Mutex<Chain>>,
    server: Server,
    owner: Key,
    stranger: Key,
    wallet: Address,
}

fn test_chain() -> TestChain {
    let chain = Arc::new(Mutex::new(Chain::new()));
    let owner = Key::from_byte(0x11);
    let wallet = chain.lock().expect("chain").deploy(
        &artifact("OwnedWallet").bytecode,
        &word_address(owner.address),
    );
    let server = evm_server(&chain);
    TestChain {
        chain,
        server,
        owner,
        stranger: Key::from_byte(0x22),
        wallet,
    }
}

/// A session of the wallet, its AuthSig signed by `signer` (the owner, or not), for `node`.
struct WalletSession {
    key: SessionKeyPair,
    auth_sig: AuthSig,
    sigs: SessionSigs,
}

impl TestChain {
    fn session(&self, signer: &Key, node: &str) -> WalletSession {
        let key = SessionKeyPair::generate();
        let wallet = ContractWalletSigner {
            wallet: self.wallet,
            owner: signer,
        };
        let auth_sig = eip1271(session_auth_sig_on(
            &wallet,
            &key,
            pkp_and_actions(),
            CHAIN_ID,
        ));
        let reqs = requests(&[("lit-pkp://*", LitAbility::PkpSigning)]);
        let sigs = sign(&key, &reqs, std::slice::from_ref(&auth_sig), &[node.into()]);
        WalletSession {
            key,
            auth_sig,
            sigs,
        }
    }

    /// A revocation of `key` in the wallet's name, signed by `signer` (the owner, or not).
    fn revocation(&self, signer: &Key, key: &SessionKeyPair) -> Value {
        let wallet = ContractWalletSigner {
            wallet: self.wallet,
            owner: signer,
        };
        let target = RevocationTarget::SessionKey(key.public_hex());
        serde_json::to_value(eip1271(revocation_on(&wallet, &target, CHAIN_ID))).expect("json")
    }

    /// The deployer (the wallet's `factory`) hands the wallet to `next`.
    fn set_owner(&self, next: Address) {
        self.chain.lock().expect("chain").transact(
            self.wallet,
            calldata("setOwner(address)", &[word_address(next)]),
        );
    }

    fn eth_calls(&self) -> usize {
        self.server
            .methods()
            .iter()
            .filter(|m| *m == "eth_call")
            .count()
    }
}

/// `[contract_wallets]` with one chain at `url`.
fn rpc(c: &mut NodeConfig, url: &str) {
    c.contract_wallets
        .rpc
        .insert(CHAIN_ID.to_string(), url.into());
}

/// A node served in process on a loopback port (see [`start_with`]).
struct Running {
    url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

async fn node(tweak: impl FnOnce(&mut NodeConfig), clock: Arc<dyn Clock>) -> Running {
    let (addr, stop, task, dir) = start_with(tweak, clock).await;
    Running {
        url: format!("http://{addr}"),
        stop,
        task,
        _dir: dir,
    }
}

impl Running {
    /// Stop serving, gracefully.
    async fn shutdown(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("stops")
            .expect("join");
    }

    /// `POST /v1/authorize` of this node's SessionSig for `lit-pkp://*` / `pkp-signing`.
    async fn authorize(&self, c: &reqwest::Client, s: &WalletSession) -> (u16, Value) {
        let mut body = authorize(&s.sigs, &self.url);
        body["resource"] = json!("lit-pkp://*");
        body["ability"] = json!("pkp-signing");
        post(c, &self.url, "/v1/authorize", &body).await
    }
}

fn code(v: &Value) -> &str {
    v["code"].as_str().unwrap_or("<no code>")
}

#[tokio::test]
async fn a_session_delegated_by_an_erc1271_wallet_is_accepted_over_http() {
    let tc = test_chain();
    let n = node(|c| rpc(c, &tc.server.url), Arc::new(SystemClock)).await;
    let c = client();
    let s = tc.session(&tc.owner, &n.url);

    let (status, v) = n.authorize(&c, &s).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["owner"], json!(tc.wallet.to_checksum(None)));
    assert_eq!(v["sessionKey"], json!(s.key.public_hex()));
    assert_eq!(v["authSig"]["signature"], "contract-wallet");
    // The wallet was asked exactly isValidSignature(EIP-191 hash of the SIWE text, signature).
    let calls = tc.server.call_data();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0][..4], [0x16, 0x26, 0xba, 0x7e]);
    assert_eq!(
        calls[0][4..36],
        eip191_hash_message(s.auth_sig.signed_message.as_bytes())[..]
    );
    // The layer (`Authorization` header) accepts it too.
    let entry = s.sigs.get(&n.url).expect("entry");
    let (status, v) = get(&c, &n.url, "/v1/session", Some(authorization_value(entry))).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["owner"], json!(tc.wallet.to_checksum(None)));

    // The same wallet, signed by a key that does not own it: refused by the wallet.
    let forged = tc.session(&tc.stranger, &n.url);
    let (status, v) = n.authorize(&c, &forged).await;
    assert_eq!((status, code(&v)), (401, "contract_wallet_invalid"), "{v}");
    assert!(
        v["error"].as_str().unwrap_or("").contains("did not accept"),
        "{v}"
    );
    let (_, metrics) = get(&c, &n.url, "/metrics", None).await;
    let metrics = metrics.as_str().unwrap_or("");
    assert!(
        metrics.contains("sessionsig_verifications_total{result=\"contract_wallet_invalid\"} 1"),
        "{metrics}"
    );
    n.shutdown().await;
}

#[tokio::test]
async fn without_contract_wallets_the_node_refuses_eip1271_as_before() {
    let tc = test_chain();
    let n = node(|_| {}, Arc::new(SystemClock)).await;
    let c = client();
    let s = tc.session(&tc.owner, &n.url);
    let (status, v) = n.authorize(&c, &s).await;
    assert_eq!((status, code(&v)), (401, "unsupported_derived_via"), "{v}");
    // A revocation signed by the wallet is refused the same way.
    let body = tc.revocation(&tc.owner, &s.key);
    let (status, v) = post(&c, &n.url, "/v1/revocations", &body).await;
    assert_eq!((status, code(&v)), (401, "unsupported_derived_via"), "{v}");
    // The chain was never asked.
    assert!(tc.server.methods().is_empty());
    n.shutdown().await;
}

#[tokio::test]
async fn an_rpc_endpoint_that_is_down_or_stops_fails_closed() {
    let c = client();
    // Down from the start: refused with the core's code, a JSON body, no URL in it.
    let dead = dead_url();
    let port = dead.trim_end_matches('/').rsplit(':').next().unwrap_or("?");
    let n = node(|c| rpc(c, &dead), Arc::new(SystemClock)).await;
    let tc = test_chain();
    let (status, v) = n.authorize(&c, &tc.session(&tc.owner, &n.url)).await;
    assert_eq!(
        (status, code(&v)),
        (503, "contract_wallet_unavailable"),
        "{v}"
    );
    let error = v["error"].as_str().unwrap_or("");
    assert!(error.contains("unreachable"), "{v}");
    assert!(!error.contains(port), "no URL in errors: {v}");
    n.shutdown().await;

    // Up, then stopped: the cached "yes" stands inside the recheck window (300 s); past it,
    // or for an AuthSig the node has not seen, the chain must be asked and cannot be: refused.
    let clock = ManualClock::now_real();
    let n = node(|c| rpc(c, &tc.server.url), clock.clone()).await;
    let s = tc.session(&tc.owner, &n.url);
    let unseen = tc.session(&tc.owner, &n.url);
    let (status, v) = n.authorize(&c, &s).await;
    assert_eq!(status, 200, "{v}");
    drop(tc.server);
    clock.advance(sessionsig::time::Duration::seconds(60));
    let (status, v) = n.authorize(&c, &s).await;
    assert_eq!(status, 200, "cached inside the window: {v}");
    let (status, v) = n.authorize(&c, &unseen).await;
    assert_eq!(
        (status, code(&v)),
        (503, "contract_wallet_unavailable"),
        "{v}"
    );
    clock.advance(sessionsig::time::Duration::seconds(241));
    let (status, v) = n.authorize(&c, &s).await;
    assert_eq!(
        (status, code(&v)),
        (503, "contract_wallet_unavailable"),
        "{v}"
    );
    n.shutdown().await;
}

/// A node whose chain endpoint hangs, with one contract-wallet `/v1/authorize` inside the
/// JSON-RPC call (the endpoint got its first request, the answer is pending).
struct Stuck {
    hang: Server,
    node: Running,
    chain: TestChain,
    client: reqwest::Client,
    pending: tokio::task::JoinHandle<(u16, Value)>,
}

async fn stuck_on_a_hanging_chain(max_in_flight: Option<usize>) -> Stuck {
    let hang = Server::start(Behaviour::Hang);
    let node = node(
        |c| {
            rpc(c, &hang.url);
            c.contract_wallets.timeout_ms = Some(60_000);
            c.contract_wallets.max_in_flight = max_in_flight;
            c.limits.request_timeout_ms = 120_000;
        },
        Arc::new(SystemClock),
    )
    .await;
    let chain = test_chain();
    let s = chain.session(&chain.owner, &node.url);
    let client = client();
    let pending = {
        let (c, body, url) = (
            client.clone(),
            authorize(&s.sigs, &node.url),
            node.url.clone(),
        );
        tokio::spawn(async move { post(&c, &url, "/v1/authorize", &body).await })
    };
    while hang.methods().is_empty() {
        assert!(!pending.is_finished(), "answered before asking the chain");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Stuck {
        hang,
        node,
        chain,
        client,
        pending,
    }
}

impl Stuck {
    /// The endpoint goes away mid-call: the pending request fails closed; then stop the node.
    async fn release_and_stop(self) {
        drop(self.hang);
        let (status, v) = tokio::time::timeout(Duration::from_secs(30), self.pending)
            .await
            .expect("answered once the endpoint is gone")
            .expect("join");
        assert_eq!(
            (status, code(&v)),
            (503, "contract_wallet_unavailable"),
            "{v}"
        );
        self.node.shutdown().await;
    }
}

#[tokio::test]
async fn a_hanging_rpc_endpoint_holds_a_blocking_thread_never_the_async_runtime() {
    // This test's runtime has ONE thread, shared by the node and the client. Were the blocking
    // JSON-RPC call made on it, nothing else could run until the call ended — and it ends only
    // when this test stops the endpoint.
    let st = stuck_on_a_hanging_chain(None).await;
    // The node is inside the JSON-RPC call and still answers other requests on the same (only)
    // async thread.
    let (status, v) = get(&st.client, &st.node.url, "/healthz", None).await;
    assert_eq!(status, 200, "{v}");
    assert!(!st.pending.is_finished());
    st.release_and_stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_waiting_on_a_hanging_chain_are_bounded_and_wallet_sessions_still_verify() {
    let st = stuck_on_a_hanging_chain(Some(1)).await;
    let (c, url) = (&st.client, &st.node.url);
    // The one slot is taken: another contract-wallet session (not cached) is refused without
    // asking the chain…
    let asked = st.hang.methods().len();
    let second = st.chain.session(&st.chain.owner, url);
    let (status, v) = post(c, url, "/v1/authorize", &authorize(&second.sigs, url)).await;
    assert_eq!(
        (status, code(&v)),
        (503, "contract_wallet_unavailable"),
        "{v}"
    );
    assert!(v.to_string().contains("already waiting"), "{v}");
    assert_eq!(st.hang.methods().len(), asked);
    assert!(!st.pending.is_finished());
    // …while an ordinary wallet session verifies.
    let (_, _, sigs) = user_session(&wallet(0x44), std::slice::from_ref(url));
    let (status, v) = post(c, url, "/v1/authorize", &authorize(&sigs, url)).await;
    assert_eq!(status, 200, "{v}");
    st.release_and_stop().await;
}

#[tokio::test]
async fn an_owner_change_is_seen_once_recheck_secs_have_passed() {
    let tc = test_chain();
    let clock = ManualClock::now_real();
    let rpc_url = tc.server.url.clone();
    let with_recheck = |secs: u64| {
        let rpc_url = rpc_url.clone();
        node(
            move |c| {
                rpc(c, &rpc_url);
                c.contract_wallets.recheck_secs = Some(secs);
            },
            clock.clone(),
        )
    };
    let windowed = with_recheck(120).await;
    let always = with_recheck(0).await;
    let c = client();
    let (s, s0) = (
        tc.session(&tc.owner, &windowed.url),
        tc.session(&tc.owner, &always.url),
    );
    assert_eq!(windowed.authorize(&c, &s).await.0, 200);
    assert_eq!(always.authorize(&c, &s0).await.0, 200);

    // The deployer hands the wallet to someone else.
    tc.set_owner(tc.stranger.address);
    let asked = tc.eth_calls();
    // recheck_secs = 0: the chain is asked on every request, and now says no.
    let (status, v) = always.authorize(&c, &s0).await;
    assert_eq!((status, code(&v)), (401, "contract_wallet_invalid"), "{v}");
    assert_eq!(tc.eth_calls(), asked + 1);
    // recheck_secs = 120: inside the window the cached "yes" stands, the chain is not asked.
    clock.advance(sessionsig::time::Duration::seconds(119));
    let (status, v) = windowed.authorize(&c, &s).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(tc.eth_calls(), asked + 1);
    // Past it the chain is asked again: refused.
    clock.advance(sessionsig::time::Duration::seconds(1));
    let (status, v) = windowed.authorize(&c, &s).await;
    assert_eq!((status, code(&v)), (401, "contract_wallet_invalid"), "{v}");
    assert_eq!(tc.eth_calls(), asked + 2);
    // Handed back to its owner, the wallet verifies again (a refusal is not cached).
    tc.set_owner(tc.owner.address);
    let (status, v) = windowed.authorize(&c, &s).await;
    assert_eq!(status, 200, "{v}");
    windowed.shutdown().await;
    always.shutdown().await;
}

#[tokio::test]
async fn a_contract_wallet_revokes_its_own_session() {
    let tc = test_chain();
    let n = node(|c| rpc(c, &tc.server.url), Arc::new(SystemClock)).await;
    let c = client();
    let s = tc.session(&tc.owner, &n.url);
    assert_eq!(n.authorize(&c, &s).await.0, 200);
    let revoke = |by: &Key| tc.revocation(by, &s.key);
    // In the wallet's name but not accepted by it: refused, nothing recorded.
    let (status, v) = post(&c, &n.url, "/v1/revocations", &revoke(&tc.stranger)).await;
    assert_eq!((status, code(&v)), (401, "contract_wallet_invalid"), "{v}");
    assert_eq!(n.authorize(&c, &s).await.0, 200);
    // Signed through the wallet by its owner: recorded, issued by the wallet, enforced.
    let (status, v) = post(&c, &n.url, "/v1/revocations", &revoke(&tc.owner)).await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["issuer"], json!(tc.wallet.to_checksum(None)));
    let (status, v) = n.authorize(&c, &s).await;
    assert_eq!((status, code(&v)), (403, "revoked"), "{v}");
    n.shutdown().await;
}

/// The `sessionsig-node` binary with `args`, once it printed its URL (stderr into `log`).
async fn node_process(args: &[&str], log: &std::path::Path) -> tokio::process::Child {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_sessionsig-node"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(log).expect("log file"))
        .kill_on_drop(true)
        .spawn()
        .expect("spawn sessionsig-node");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await;
    assert!(
        matches!(first, Ok(Ok(Some(_)))),
        "node did not come up: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
    child
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_eth_rpc_flag_configures_a_node_process_and_its_credentials_are_never_printed() {
    let tc = test_chain();
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().display().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let url = format!("http://127.0.0.1:{port}");
    // Credentials in the user information and an API key in the path (the test server ignores
    // both; ureq sends the user information as Basic authentication).
    let rpc_url = tc
        .server
        .url
        .replacen("http://", "http://rpcuser:s3cret@", 1)
        + "v3/APIKEY";
    let eth_rpc = format!("{CHAIN_ID}={rpc_url}");
    let base = [
        "node",
        "--public-url",
        &url,
        "--data-dir",
        &data_dir,
        "--store",
        "memory:",
    ];
    let secret_free = |text: &str| !text.contains("s3cret") && !text.contains("APIKEY");

    // Refused at startup, exit 2, the URL redacted: a bad chain id, a bad scheme.
    for bad in [
        "0=http://rpcuser:s3cret@127.0.0.1:1/APIKEY",
        "1=ftp://rpcuser:s3cret@x/APIKEY",
    ] {
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_sessionsig-node"))
            .args(base)
            .args(["--eth-rpc", bad])
            .output()
            .await
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("error[invalid_config]"), "{err}");
        assert!(secret_free(&err), "{err}");
    }

    // recheck 0: every request asks the chain.
    let log = dir.path().join("node.log");
    let mut args = base.to_vec();
    args.extend(["--eth-rpc", &eth_rpc, "--contract-wallet-recheck-secs", "0"]);
    let mut child = node_process(&args, &log).await;
    let c = client();
    let s = tc.session(&tc.owner, &url);
    let mut body = authorize(&s.sigs, &url);
    body["resource"] = json!("lit-pkp://*");
    body["ability"] = json!("pkp-signing");
    let (status, v) = post(&c, &url, "/v1/authorize", &body).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["owner"], json!(tc.wallet.to_checksum(None)));
    // Endpoint stopped: the same session is refused, without the URL or its secrets.
    drop(tc.server);
    let (status, v) = post(&c, &url, "/v1/authorize", &body).await;
    assert_eq!(
        (status, code(&v)),
        (503, "contract_wallet_unavailable"),
        "{v}"
    );
    assert!(secret_free(&v.to_string()), "{v}");
    let _ = child.kill().await;
    let log = std::fs::read_to_string(&log).expect("log");
    assert!(
        log.contains("contract-wallet AuthSigs (EIP1271) checked over JSON-RPC: chain 31337 at http://***@127.0.0.1:"),
        "{log}"
    );
    assert!(secret_free(&log), "{log}");
}

#[tokio::test]
async fn an_undeployed_wallet_signs_through_erc6492() {
    let chain = Arc::new(Mutex::new(Chain::new()));
    let factory = chain
        .lock()
        .expect("chain")
        .deploy(&artifact("WalletFactory").bytecode, &[]);
    let server = evm_server(&chain);
    let (owner, stranger) = (Key::from_byte(0x11), Key::from_byte(0x22));
    // Where `factory.deploy(owner, salt)` would put the owner's wallet: no code there yet.
    let salt = B256::repeat_byte(0x42);
    let init = [
        &artifact("OwnedWallet").bytecode[..],
        &word_address(owner.address),
    ]
    .concat();
    let wallet = factory.create2_from_code(salt, init);
    let deploy = calldata(
        "deploy(address,bytes32)",
        &[word_address(owner.address), salt.0],
    );
    assert!(chain.lock().expect("chain").code(wallet).is_empty());

    let n = node(|c| rpc(c, &server.url), Arc::new(SystemClock)).await;
    let c = client();
    // A session of the wallet whose AuthSig signature is `wrap(signature by signer)`.
    let session = |signer: &Key, wrap: &dyn Fn(Vec<u8>) -> Vec<u8>| {
        let key = SessionKeyPair::generate();
        let mut auth_sig = eip1271(session_auth_sig_on(
            &ContractWalletSigner {
                wallet,
                owner: signer,
            },
            &key,
            pkp_and_actions(),
            CHAIN_ID,
        ));
        let inner = signer.sign_digest(eip191_hash_message(auth_sig.signed_message.as_bytes()));
        auth_sig.sig = format!("0x{}", hex::encode(wrap(inner)));
        let reqs = requests(&[("lit-pkp://*", LitAbility::PkpSigning)]);
        let sigs = sign(
            &key,
            &reqs,
            std::slice::from_ref(&auth_sig),
            std::slice::from_ref(&n.url),
        );
        WalletSession {
            key,
            auth_sig,
            sigs,
        }
    };
    let wrapped = |signature: Vec<u8>| {
        Erc6492Signature {
            factory,
            factory_calldata: deploy.clone(),
            signature,
        }
        .encode()
    };

    // The owner's wrapped signature: accepted, in the counterfactual wallet's name.
    let s = session(&owner, &wrapped);
    assert!(Erc6492Signature::is_wrapped(
        &hex::decode(s.auth_sig.sig.trim_start_matches("0x")).expect("hex")
    ));
    let (status, v) = n.authorize(&c, &s).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["owner"], json!(wallet.to_checksum(None)));
    assert_eq!(v["authSig"]["signature"], "contract-wallet");
    assert_eq!(
        server.methods(),
        ["eth_chainId", "eth_getCode", "eth_call"],
        "no code at the wallet, so straight to the ERC-6492 validator"
    );
    // The validator ran in an eth_call: nothing was deployed for real.
    assert!(chain.lock().expect("chain").code(wallet).is_empty());

    // A stranger's signature in the same wrapper: the (simulated) wallet says no.
    let forged = session(&stranger, &wrapped);
    let (status, v) = n.authorize(&c, &forged).await;
    assert_eq!((status, code(&v)), (401, "contract_wallet_invalid"), "{v}");

    // The owner's signature, but the wrapper's factory call deploys elsewhere (another salt).
    let elsewhere = |signature: Vec<u8>| {
        Erc6492Signature {
            factory,
            factory_calldata: calldata(
                "deploy(address,bytes32)",
                &[word_address(owner.address), [9; 32]],
            ),
            signature,
        }
        .encode()
    };
    let (status, v) = n.authorize(&c, &session(&owner, &elsewhere)).await;
    assert_eq!((status, code(&v)), (401, "contract_wallet_invalid"), "{v}");

    // The ERC-6492 suffix on bytes that are no ABI wrapper: refused before any eth_call.
    let asked = server.methods().len();
    let broken =
        |signature: Vec<u8>| [&signature[..], &sessionsig::auth_sig::ERC6492_MAGIC].concat();
    let (status, v) = n.authorize(&c, &session(&owner, &broken)).await;
    assert_eq!((status, code(&v)), (401, "contract_wallet_invalid"), "{v}");
    assert!(
        v["error"].as_str().unwrap_or("").contains("ERC-6492"),
        "{v}"
    );
    assert!(
        !server.methods()[asked..].iter().any(|m| m == "eth_call"),
        "{:?}",
        &server.methods()[asked..]
    );
    n.shutdown().await;
}

#[tokio::test]
async fn each_client_address_has_a_budget_of_chain_checks() {
    let tc = test_chain();
    let clock = ManualClock::now_real();
    let n = node(
        |c| {
            rpc(c, &tc.server.url);
            c.contract_wallets.client_burst = Some(2);
            c.contract_wallets.client_checks_per_minute = Some(1);
        },
        clock.clone(),
    )
    .await;
    let c = client();
    // Two new contract-wallet sessions from this (loopback) address: the chain is asked.
    let first = tc.session(&tc.owner, &n.url);
    assert_eq!(n.authorize(&c, &first).await.0, 200);
    assert_eq!(n.authorize(&c, &tc.session(&tc.owner, &n.url)).await.0, 200);
    assert_eq!(tc.eth_calls(), 2);
    // A third is refused without asking, with when to come back.
    let third = tc.session(&tc.owner, &n.url);
    let (status, v) = n.authorize(&c, &third).await;
    assert_eq!(
        (status, code(&v)),
        (503, "contract_wallet_unavailable"),
        "{v}"
    );
    assert!(v.to_string().contains("try again in 60 s"), "{v}");
    assert_eq!(tc.eth_calls(), 2, "the chain was not asked");
    // A session already verified costs nothing; a wallet session never counts.
    assert_eq!(n.authorize(&c, &first).await.0, 200);
    let (_, _, sigs) = user_session(&wallet(0x45), std::slice::from_ref(&n.url));
    let (status, v) = post(&c, &n.url, "/v1/authorize", &authorize(&sigs, &n.url)).await;
    assert_eq!(status, 200, "{v}");
    // Nor may a contract wallet's revocation dodge the budget.
    let (status, v) = post(
        &c,
        &n.url,
        "/v1/revocations",
        &tc.revocation(&tc.owner, &first.key),
    )
    .await;
    assert_eq!(
        (status, code(&v)),
        (503, "contract_wallet_unavailable"),
        "{v}"
    );
    assert_eq!(tc.eth_calls(), 2);
    // A minute later one more check is allowed.
    clock.advance(sessionsig::time::Duration::seconds(60));
    let (status, v) = n.authorize(&c, &third).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(tc.eth_calls(), 3);
    n.shutdown().await;
}
