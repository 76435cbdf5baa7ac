//! Issue 10 (hardening from an attack run) on real node processes (this crate's
//! `sessionsig-node` binary, configured through a TOML file), real HTTP on loopback, real
//! signatures: one test per item, each failing on the code before the fix.

mod common;

use common::*;
use serde_json::{json, Value};
use sessionsig::auth_sig::{
    AuthSig, RevocationParams, RevocationTarget, SiweRecapParams, DELEGATION_URI,
};
use sessionsig::lit::LitAbility;
use sessionsig::recap::{Capability, Caveat};
use sessionsig::session::SessionKeyPair;
use sessionsig::time::{Duration, OffsetDateTime, Timestamp};
use sessionsig::wallet::{LocalWallet, WalletSigner};
use sessionsig_node::nonce::NonceKey;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_sessionsig-node");

/// Every test is bounded (far beyond anything it waits for).
const TEST_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

/// The network secret the tests' nodes share (so a test can mint an old nonce).
const SECRET: [u8; 32] = [0x42; 32];

/// A node process, killed when dropped.
struct Proc {
    _child: Child,
    url: String,
    stderr: PathBuf,
    _dir: tempfile::TempDir,
}

impl Proc {
    /// Start a node on a `memory:` store with this TOML (besides `public_url`, `data_dir`,
    /// `store`), wait until it prints its URL (it does once `/healthz` answers).
    async fn start(toml: &str) -> Proc {
        Self::start_on("store = \"memory:\"\n", toml).await
    }

    /// The same on the store given by `store` (TOML lines).
    async fn start_on(store: &str, toml: &str) -> Proc {
        let dir = tempfile::tempdir().expect("tempdir");
        let secret = dir.path().join("network.key");
        std::fs::write(&secret, hex::encode(SECRET)).expect("secret");
        let mut last = String::new();
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .expect("port");
            let url = format!("http://127.0.0.1:{port}");
            let config = dir.path().join("node.toml");
            std::fs::write(
                &config,
                format!(
                    "public_url = \"{url}\"\n{store}network_secret_file = \"{}\"\n{toml}",
                    secret.display()
                ),
            )
            .expect("config");
            let stderr = dir.path().join(format!("node{port}.log"));
            let mut child = Command::new(BIN)
                .args(["node", "--worker-threads", "2", "-c"])
                .arg(&config)
                .arg("--data-dir")
                .arg(dir.path())
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(std::fs::File::create(&stderr).expect("log"))
                .kill_on_drop(true)
                .spawn()
                .expect("spawn node");
            let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
            match tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line()).await
            {
                Ok(Ok(Some(l))) if l == url => {
                    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                    return Proc {
                        _child: child,
                        url,
                        stderr,
                        _dir: dir,
                    };
                }
                other => {
                    last = format!(
                        "{other:?}: {}",
                        std::fs::read_to_string(&stderr).unwrap_or_default()
                    );
                    let _ = child.start_kill();
                }
            }
        }
        panic!("node did not come up: {last}");
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    fn addr(&self) -> SocketAddr {
        self.url
            .trim_start_matches("http://")
            .parse()
            .expect("addr")
    }
}

fn bounded<F: std::future::Future>(f: F) -> tokio::time::Timeout<F> {
    tokio::time::timeout(TEST_LIMIT, f)
}

/// A session AuthSig from `owner` to `key` (PKP signing, Lit Actions) with these SIWE fields.
fn auth(
    owner: &LocalWallet,
    key: &SessionKeyPair,
    domain: &str,
    nonce: &str,
    issued_at: OffsetDateTime,
    expiration: Option<OffsetDateTime>,
) -> AuthSig {
    AuthSig::create(
        owner,
        &SiweRecapParams {
            domain: domain.into(),
            uri: SiweRecapParams::session_uri(&key.public_hex()),
            statement: None,
            nonce: nonce.into(),
            chain_id: 1,
            issued_at: Timestamp::from_instant(issued_at),
            expiration: expiration.map(Timestamp::from_instant),
            not_before: None,
            capability: pkp_and_actions(),
        },
    )
    .expect("AuthSig")
}

/// `POST /v1/authorize` of the SessionSig signed for `node_address`, at `url`.
async fn authorize_at(
    c: &reqwest_client::Client,
    url: &str,
    node_address: &str,
    key: &SessionKeyPair,
    caps: &[AuthSig],
) -> (u16, Value) {
    let reqs = requests(&[("lit-litaction://*", LitAbility::LitActionExecution)]);
    let sigs = sign(key, &reqs, caps, &[node_address.to_owned()]);
    post(c, url, "/v1/authorize", &authorize(&sigs, node_address)).await
}

mod reqwest_client {
    pub use sessionsig_client::reqwest::Client;
}

fn code(v: &Value) -> &str {
    v["code"].as_str().unwrap_or("<none>")
}

// ------------------------------------------------------------------------------- item 1

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misspelt_uses_on_a_carried_capacity_delegation_is_refused_every_time() {
    bounded(async {
        let node = Proc::start("").await;
        let c = client();
        let (alice, bob) = (wallet(0xa1), wallet(0xb0));
        let mut caveat = Caveat::new();
        caveat.insert("Uses".into(), json!("1"));
        caveat.insert(
            "delegate_to".into(),
            json!([hex::encode(bob.address().as_slice())]),
        );
        let mut cap = Capability::new();
        cap.add_ability("lit-ratelimitincrease://42", "Auth/Auth", vec![caveat])
            .expect("grant");
        let delegation = AuthSig::create(
            &alice,
            &SiweRecapParams {
                domain: "localhost".into(),
                uri: DELEGATION_URI.into(),
                statement: None,
                nonce: format!("delegation{}", unique()),
                chain_id: 1,
                issued_at: Timestamp::from_instant(now() - Duration::minutes(1)),
                expiration: Some(Timestamp::from_instant(now() + Duration::hours(1))),
                not_before: None,
                capability: cap,
            },
        )
        .expect("delegation");
        let key = SessionKeyPair::generate();
        let session = auth(
            &bob,
            &key,
            "localhost",
            "testnonce0001",
            now() - Duration::minutes(1),
            Some(now() + Duration::hours(1)),
        );
        for _ in 0..3 {
            let (s, v) = authorize_at(
                &c,
                &node.url,
                &node.url,
                &key,
                &[delegation.clone(), session.clone()],
            )
            .await;
            assert_eq!((s, code(&v)), (403, "caveat_not_satisfied"), "{v}");
        }
    })
    .await
    .expect("bounded");
}

// ------------------------------------------------------------------------------- item 2

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strangers_revocation_is_shown_as_not_taking_effect() {
    bounded(async {
        let node = Proc::start("").await;
        let c = client();
        let (alice, stranger) = (wallet(0xa1), wallet(0x5e));
        let (key, _, sigs) = user_session(&alice, std::slice::from_ref(&node.url));
        let target = RevocationTarget::SessionKey(key.public_hex());
        let rev = serde_json::to_value(revocation(&stranger, &target)).expect("json");
        let (s, v) = post(&c, &node.url, "/v1/revocations", &rev).await;
        assert_eq!(s, 201, "{v}");
        // Alice's session still works …
        let (s, v) = post(&c, &node.url, "/v1/authorize", &authorize(&sigs, &node.url)).await;
        assert_eq!(s, 200, "{v}");
        // … and the lookup never says a bare "revoked": true.
        let path = format!("/v1/revocations/{}", target.id());
        let (s, v) = get(&c, &node.url, &path, None).await;
        assert_eq!(s, 200, "{v}");
        assert!(v.get("revoked").is_none(), "{v}");
        let r = &v["revocations"][0];
        assert_eq!(r["issuer"], json!(stranger.address().to_checksum(None)));
        assert_eq!(
            r["takesEffectOn"],
            json!(format!(
                "grants signed by {}",
                stranger.address().to_checksum(None)
            ))
        );
        // Asked about Alice's grant: not revoked; about the stranger's: revoked.
        let (s, v) = get(
            &c,
            &node.url,
            &format!("{path}?grantedBy={}", alice.address()),
            None,
        )
        .await;
        assert_eq!((s, &v["revoked"]), (200, &json!(false)), "{v}");
        assert_eq!(v["revocations"][0]["effective"], json!(false));
        let (_, v) = get(
            &c,
            &node.url,
            &format!("{path}?grantedBy={}", stranger.address()),
            None,
        )
        .await;
        assert_eq!(v["revoked"], json!(true), "{v}");
        // Once Alice revokes it herself, her grant is revoked and her session refused.
        let rev = serde_json::to_value(revocation(&alice, &target)).expect("json");
        assert_eq!(post(&c, &node.url, "/v1/revocations", &rev).await.0, 201);
        let (_, v) = get(
            &c,
            &node.url,
            &format!("{path}?grantedBy={}", alice.address()),
            None,
        )
        .await;
        assert_eq!(v["revoked"], json!(true), "{v}");
        let (s, v) = post(&c, &node.url, "/v1/authorize", &authorize(&sigs, &node.url)).await;
        assert_eq!((s, code(&v)), (403, "revoked"));
        // A malformed question is a 400.
        let (s, _) = get(&c, &node.url, &format!("{path}?grantedBy=nope"), None).await;
        assert_eq!(s, 400);
    })
    .await
    .expect("bounded");
}

// ------------------------------------------------------------------------------- item 3

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_auth_sigs_that_never_expire_are_refused_by_default() {
    bounded(async {
        let node = Proc::start("").await;
        let lit_like = Proc::start("max_session_auth_sig_lifetime_secs = 0\n").await;
        let c = client();
        let owner = wallet(0x31);
        let key = SessionKeyPair::generate();
        let issued = now() - Duration::minutes(1);
        let forever = auth(&owner, &key, "localhost", "testnonce0001", issued, None);
        let century = auth(
            &owner,
            &key,
            "localhost",
            "testnonce0001",
            issued,
            Some(issued + Duration::days(36_525)),
        );
        let (s, v) = authorize_at(
            &c,
            &node.url,
            &node.url,
            &key,
            std::slice::from_ref(&forever),
        )
        .await;
        assert_eq!((s, code(&v)), (401, "auth_sig_no_expiration"), "{v}");
        let (s, v) = authorize_at(&c, &node.url, &node.url, &key, &[century]).await;
        assert_eq!((s, code(&v)), (401, "auth_sig_lifetime_too_long"), "{v}");
        // The cap is a setting: 0 lifts it.
        let (s, v) = authorize_at(&c, &lit_like.url, &lit_like.url, &key, &[forever]).await;
        assert_eq!(s, 200, "{v}");
    })
    .await
    .expect("bounded");
}

// ------------------------------------------------------------------------------- item 4

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn siwe_domains_and_chain_ids_are_checked_when_listed() {
    bounded(async {
        let strict =
            Proc::start("accepted_domains = [\"app.example\"]\naccepted_chain_ids = [1]\n").await;
        let open = Proc::start("").await;
        assert!(
            strict.log().contains("SIWE domains app.example"),
            "{}",
            strict.log()
        );
        assert!(open.log().contains("ANY SIWE domain"), "{}", open.log());
        let c = client();
        let owner = wallet(0x41);
        let key = SessionKeyPair::generate();
        let issued = now() - Duration::minutes(1);
        let exp = Some(now() + Duration::hours(1));
        let good = auth(&owner, &key, "app.example", "testnonce0001", issued, exp);
        let phished = auth(&owner, &key, "evil.example", "testnonce0001", issued, exp);
        let (s, v) = authorize_at(&c, &strict.url, &strict.url, &key, &[good]).await;
        assert_eq!(s, 200, "{v}");
        let (s, v) = authorize_at(
            &c,
            &strict.url,
            &strict.url,
            &key,
            std::slice::from_ref(&phished),
        )
        .await;
        assert_eq!((s, code(&v)), (401, "siwe_domain_not_accepted"), "{v}");
        // The Lit-compatible default accepts any domain.
        let (s, v) = authorize_at(&c, &open.url, &open.url, &key, &[phished]).await;
        assert_eq!(s, 200, "{v}");
    })
    .await
    .expect("bounded");
}

// ------------------------------------------------------------------------------- item 5

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_address_must_be_this_nodes_url_not_just_its_host_and_port() {
    bounded(async {
        let node = Proc::start("").await;
        let c = client();
        let owner = wallet(0x51);
        let key = SessionKeyPair::generate();
        let session = auth(
            &owner,
            &key,
            "localhost",
            "testnonce0001",
            now() - Duration::minutes(1),
            Some(now() + Duration::hours(1)),
        );
        let hp = node.url.trim_start_matches("http://").to_owned();
        let (s, v) = authorize_at(
            &c,
            &node.url,
            &node.url,
            &key,
            std::slice::from_ref(&session),
        )
        .await;
        assert_eq!(s, 200, "{v}");
        for other in [
            format!("https://{hp}"),
            format!("ws://{hp}"),
            format!("http://{hp}/admin"),
            format!("http://{hp}/?node=1"),
        ] {
            let (s, v) =
                authorize_at(&c, &node.url, &other, &key, std::slice::from_ref(&session)).await;
            assert_eq!((s, code(&v)), (401, "wrong_node"), "{other}: {v}");
        }
    })
    .await
    .expect("bounded");
}

// ------------------------------------------------------------------------------- item 6

/// Start a request whose body never finishes, from `from`; the server either holds it (no
/// answer) or refuses it at once. Returns a task that resolves to the status line, if any.
async fn slow_body(from: IpAddr, to: SocketAddr) -> tokio::task::JoinHandle<Option<String>> {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind(SocketAddr::new(from, 0)).expect("bind");
    let mut stream = socket.connect(to).await.expect("connect");
    stream
        .write_all(
            format!(
                "POST /v1/authorize HTTP/1.1\r\nHost: {to}\r\nContent-Type: application/json\r\n\
                 Content-Length: 1000\r\n\r\n{{\"sessionSig\":"
            )
            .as_bytes(),
        )
        .await
        .expect("write");
    tokio::spawn(async move {
        // Read the whole answer (head and JSON body), however it is split into segments.
        let mut text = String::new();
        let mut buf = vec![0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(n) if n > 0 => text.push_str(&String::from_utf8_lossy(&buf[..n])),
                _ => break,
            }
            if text.contains("\r\n\r\n") && text.trim_end().ends_with('}') {
                break;
            }
        }
        (!text.is_empty()).then_some(text)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_flooding_slow_bodies_does_not_starve_another() {
    bounded(async {
        let node = Proc::start(
            "[limits]\nmax_concurrency = 8\nmax_concurrency_per_client = 4\n\
             request_timeout_ms = 100000\n",
        )
        .await;
        let flooder = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
        let other = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
        let mut tasks = Vec::new();
        for _ in 0..12 {
            tasks.push(slow_body(flooder, node.addr()).await);
        }
        // Held requests never answer (their body never ends); refused ones answer at once.
        // Wait for the eight beyond the flooder's share of four (or for the first 503, which
        // is what the node answered before it had per-client shares).
        let mut answers: Vec<String> = Vec::new();
        while answers.len() < 8 && !answers.iter().any(|a| a.starts_with("HTTP/1.1 503")) {
            let (done, pending): (Vec<_>, Vec<_>) =
                tasks.into_iter().partition(|t| t.is_finished());
            tasks = pending;
            for t in done {
                answers.push(t.await.expect("join").unwrap_or_default());
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(answers.len(), 8, "{answers:?}");
        assert!(
            answers
                .iter()
                .all(|a| a.starts_with("HTTP/1.1 429") && a.contains("client_overloaded")),
            "{answers:?}"
        );
        // Another client is served while the flooder's four requests are held.
        let r = sessionsig_client::reqwest::Client::builder()
            .local_address(other)
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("client")
            .get(format!("{}/v1/handshake", node.url))
            .send()
            .await
            .expect("handshake");
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(tasks.len(), 4);
        assert!(tasks.iter().all(|t| !t.is_finished()), "still held");
    })
    .await
    .expect("bounded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_holding_connections_does_not_lock_out_another() {
    bounded(async {
        let node = Proc::start(
            "[limits]\nmax_connections = 6\nmax_connections_per_client = 3\n\
             header_read_timeout_ms = 100000\n",
        )
        .await;
        let flooder = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));
        let other = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
        // Six idle connections (no request). Each waits for the node to close it.
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let socket = tokio::net::TcpSocket::new_v4().expect("socket");
            socket.bind(SocketAddr::new(flooder, 0)).expect("bind");
            let mut s = socket.connect(node.addr()).await.expect("connect");
            tasks.push(tokio::spawn(async move {
                let mut b = [0u8; 1];
                let _ = s.read(&mut b).await;
            }));
        }
        // The three beyond the flooder's share are closed at once (bounded by TEST_LIMIT).
        while tasks.iter().filter(|t| t.is_finished()).count() < 3 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let r = sessionsig_client::reqwest::Client::builder()
            .local_address(other)
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("client")
            .get(format!("{}/v1/handshake", node.url))
            .send()
            .await
            .expect("another client is served");
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(tasks.iter().filter(|t| t.is_finished()).count(), 3);
    })
    .await
    .expect("bounded");
}

// ------------------------------------------------------------------------------- item 7

fn pg_store(pg: &PgSchema) -> String {
    format!("store = \"{}\"\nstore_schema = \"{}\"\n", pg.url, pg.schema)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_revocation_rate_limit_holds_across_the_network() {
    bounded(async {
        let pg = PgSchema::new();
        let limits = "[limits]\nrevocation_burst = 2\nrevocation_rate_per_minute = 1\n";
        // The first node creates the schema; then two more on the same one.
        let mut nodes = vec![Proc::start_on(&pg_store(&pg), limits).await];
        for _ in 0..2 {
            nodes.push(Proc::start_on(&pg_store(&pg), limits).await);
        }
        let c = client();
        let mut statuses = Vec::new();
        for i in 0..6u8 {
            let node = &nodes[usize::from(i) % 3];
            let target = RevocationTarget::AuthSig(alloy_primitives::B256::repeat_byte(i + 1));
            let rev = serde_json::to_value(revocation(&wallet(0x70 + i), &target)).expect("json");
            let (s, v) = post(&c, &node.url, "/v1/revocations", &rev).await;
            assert!(
                s == 201 || (s == 429 && code(&v) == "rate_limited"),
                "{s} {v}"
            );
            statuses.push(s);
        }
        // Two in all (the burst), not two per node.
        assert_eq!(statuses, [201, 201, 429, 429, 429, 429]);
    })
    .await
    .expect("bounded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocations_go_once_what_they_revoke_cannot_be_valid() {
    bounded(async {
        let pg = PgSchema::new();
        // Every AuthSig lives at most one second here, no skew: a revocation matters for one
        // second after it is recorded; the store is pruned every second.
        let node = Proc::start_on(
            &pg_store(&pg),
            "skew_secs = 0\nmax_session_auth_sig_lifetime_secs = 1\n\
             max_delegation_lifetime_secs = 1\nprune_interval_secs = 1\n",
        )
        .await;
        let kept = Proc::start_on(
            &pg_store(&pg),
            "max_session_auth_sig_lifetime_secs = 0\nprune_interval_secs = 1\n",
        )
        .await;
        let c = client();
        let short = RevocationTarget::AuthSig(alloy_primitives::B256::repeat_byte(0xd1));
        let forever = RevocationTarget::AuthSig(alloy_primitives::B256::repeat_byte(0xd2));
        let rev = serde_json::to_value(revocation(&wallet(0xd1), &short)).expect("json");
        assert_eq!(post(&c, &node.url, "/v1/revocations", &rev).await.0, 201);
        // Recorded on the node without lifetime caps: kept forever.
        let rev = serde_json::to_value(revocation(&wallet(0xd2), &forever)).expect("json");
        assert_eq!(post(&c, &kept.url, "/v1/revocations", &rev).await.0, 201);
        let path = format!("/v1/revocations/{}", short.id());
        // Wait (bounded) until the pruner has deleted it.
        loop {
            let (s, v) = get(&c, &node.url, &path, None).await;
            match s {
                200 => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
                404 => break,
                other => panic!("{other} {v}"),
            }
        }
        // The row is gone from the database; the uncapped one is still there after a prune.
        let (url, schema) = (pg.url.clone(), pg.schema.clone());
        let rows: Vec<String> = tokio::task::spawn_blocking(move || {
            let mut db = postgres::Client::connect(&url, postgres::NoTls).expect("pg");
            db.query(
                &format!("SELECT target FROM \"{schema}\".sessionsig_revocations"),
                &[],
            )
            .expect("query")
            .iter()
            .map(|r| r.get(0))
            .collect()
        })
        .await
        .expect("join");
        assert_eq!(rows, vec![forever.id()]);
        let (s, _) = get(
            &c,
            &node.url,
            &format!("/v1/revocations/{}", forever.id()),
            None,
        )
        .await;
        assert_eq!(s, 200);
    })
    .await
    .expect("bounded");
}

// ------------------------------------------------------------------------------- item 8

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_week_old_nonce_with_a_back_dated_siwe_is_refused() {
    bounded(async {
        let node =
            Proc::start("require_network_nonce = true\nnetwork_nonce_for_delegations = true\n")
                .await;
        let c = client();
        let owner = wallet(0x81);
        let key = SessionKeyPair::generate();
        let week_ago = now() - Duration::days(7);
        let old = NonceKey::new(SECRET, Duration::minutes(10))
            .issue(week_ago)
            .expect("nonce")
            .value;
        let back_dated = auth(
            &owner,
            &key,
            "localhost",
            &old,
            week_ago,
            Some(now() + Duration::hours(1)),
        );
        let (s, v) = authorize_at(&c, &node.url, &node.url, &key, &[back_dated]).await;
        assert_eq!((s, code(&v)), (401, "nonce_expired"), "{v}");
        // A fresh handshake nonce works.
        let (_, h) = get(&c, &node.url, "/v1/handshake", None).await;
        let fresh = h["nonce"].as_str().expect("nonce").to_owned();
        let good = auth(
            &owner,
            &key,
            "localhost",
            &fresh,
            now() - Duration::seconds(5),
            Some(now() + Duration::hours(1)),
        );
        let (s, v) =
            authorize_at(&c, &node.url, &node.url, &key, std::slice::from_ref(&good)).await;
        assert_eq!(s, 200, "{v}");
        // Delegations need a network nonce too on this node.
        let mut cap = Capability::new();
        cap.add_ability(
            "lit-ratelimitincrease://42",
            "Auth/Auth",
            vec![Caveat::new()],
        )
        .expect("grant");
        let delegation = |nonce: &str| {
            AuthSig::create(
                &wallet(0x82),
                &SiweRecapParams {
                    domain: "localhost".into(),
                    uri: DELEGATION_URI.into(),
                    statement: None,
                    nonce: nonce.into(),
                    chain_id: 1,
                    issued_at: Timestamp::from_instant(now() - Duration::seconds(5)),
                    expiration: Some(Timestamp::from_instant(now() + Duration::hours(1))),
                    not_before: None,
                    capability: cap.clone(),
                },
            )
            .expect("delegation")
        };
        let foreign = delegation("othernetwork0001");
        let (s, v) = authorize_at(&c, &node.url, &node.url, &key, &[foreign, good.clone()]).await;
        assert_eq!((s, code(&v)), (401, "nonce_invalid"), "{v}");
        let ours = delegation(&fresh);
        let (s, v) = authorize_at(&c, &node.url, &node.url, &key, &[ours, good]).await;
        assert_eq!(s, 200, "{v}");
        // And so do revocations.
        let target = RevocationTarget::SessionKey(key.public_hex());
        let signed = |nonce: &str| {
            serde_json::to_value(
                AuthSig::revoke(
                    &owner,
                    &target,
                    &RevocationParams {
                        domain: "localhost".into(),
                        nonce: nonce.into(),
                        chain_id: 1,
                        issued_at: Timestamp::from_instant(now() - Duration::seconds(1)),
                    },
                )
                .expect("revocation"),
            )
            .expect("json")
        };
        let (s, v) = post(
            &c,
            &node.url,
            "/v1/revocations",
            &signed("othernetwork0001"),
        )
        .await;
        assert_eq!((s, code(&v)), (401, "nonce_invalid"), "{v}");
        let (s, v) = post(&c, &node.url, "/v1/revocations", &signed(&fresh)).await;
        assert_eq!(s, 201, "{v}");
    })
    .await
    .expect("bounded");
}

// ------------------------------------------------------------------------------- item 9

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_without_content_type_is_refused_like_text_plain() {
    bounded(async {
        let node = Proc::start("").await;
        let c = client();
        let (_, _, sigs) = user_session(&wallet(0x91), std::slice::from_ref(&node.url));
        let body = authorize(&sigs, &node.url).to_string();
        for path in ["/v1/authorize", "/v1/revocations"] {
            let r = c
                .post(format!("{}{path}", node.url))
                .body(body.clone())
                .send()
                .await
                .expect("post");
            assert_eq!(r.status().as_u16(), 415, "{path}");
            let v: Value = serde_json::from_slice(&r.bytes().await.expect("body")).expect("json");
            assert_eq!(code(&v), "unsupported_media_type");
        }
        let (s, _) = post(&c, &node.url, "/v1/authorize", &authorize(&sigs, &node.url)).await;
        assert_eq!(s, 200);
    })
    .await
    .expect("bounded");
}
