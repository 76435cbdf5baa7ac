//! End to end: real node processes (this crate's `sessionsig-node` binary) on loopback, real
//! HTTP, a real shared SQLite file or PostgreSQL schema.
//!
//! * three separate node processes on one store: each accepts its own SessionSig and refuses
//!   its neighbour's (replay across nodes); a revocation posted to one node is enforced by the
//!   others; a `uses` limit is never exceeded under concurrent load spread over the nodes —
//!   on a shared SQLite file and on PostgreSQL;
//! * `network up`: N nodes, URLs printed once healthy, a handshake nonce from one node accepted
//!   by all, SIGTERM stops them all with exit 0;
//! * graceful shutdown: a request in flight when SIGTERM arrives is answered;
//! * `verify = false` refuses to start without `--insecure-no-verify`.

mod common;

use common::procs::*;
use common::*;
use serde_json::json;
use sessionsig::auth_sig::RevocationTarget;
use sessionsig_node::auth::authorization_value;
use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

/// What must hold on any shared store.
async fn shared_store_scenario(store: &str, schema: Option<&str>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let procs = three_nodes(store, schema, dir.path()).await;
    let urls: Vec<String> = procs.iter().map(|p| p.urls[0].clone()).collect();
    let c = client();

    // The client crate's handshake against a real node: the whole network, a nonce.
    let (set, h) = sessionsig_client::NodeSet::handshake(&c, &urls[..1], Duration::from_secs(5))
        .await
        .expect("handshake");
    assert_eq!(set.urls(), urls.as_slice());
    assert_eq!(h.node_url, urls[0]);

    // Each node accepts its own SessionSig and refuses its neighbour's.
    let owner = wallet(0x21);
    let (key, session_auth, sigs) = user_session(&owner, &urls);
    for (i, url) in urls.iter().enumerate() {
        let neighbour = &urls[(i + 1) % urls.len()];
        let body = json!({
            "sessionSig": serde_json::to_value(sigs.get(url).expect("mine")).expect("json"),
            "resource": "lit-pkp://*",
            "ability": "pkp-signing",
        });
        let (s, v) = post(&c, url, "/v1/authorize", &body).await;
        assert_eq!(s, 200, "{url}: {v}");
        assert_eq!(v["sessionKey"], json!(key.public_hex()));
        let (s, v) = post(&c, url, "/v1/authorize", &authorize(&sigs, neighbour)).await;
        assert_eq!((s, v["code"].as_str()), (401, Some("wrong_node")), "{url}");
        let (s, _) = get(
            &c,
            url,
            "/v1/session",
            Some(authorization_value(sigs.get(url).expect("m"))),
        )
        .await;
        assert_eq!(s, 200);
        let (s, v) = get(
            &c,
            url,
            "/v1/session",
            Some(authorization_value(sigs.get(neighbour).expect("n"))),
        )
        .await;
        assert_eq!((s, v["code"].as_str()), (401, Some("wrong_node")));
    }

    // A session key revoked through node 0 is refused by nodes 1 and 2.
    let target = RevocationTarget::SessionKey(key.public_hex());
    let rev = revocation(&owner, &target);
    let (s, v) = post(
        &c,
        &urls[0],
        "/v1/revocations",
        &serde_json::to_value(&rev).expect("json"),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    for url in &urls[1..] {
        let (s, v) = post(&c, url, "/v1/authorize", &authorize(&sigs, url)).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (403, Some("revoked")),
            "{url}: {v}"
        );
    }
    let (s, v) = get(
        &c,
        &urls[2],
        &format!("/v1/revocations/{}", target.id()),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["revocations"][0]["revocation"],
        serde_json::to_value(&rev).expect("json")
    );
    let _ = session_auth;

    // An AuthSig revoked through node 1 is refused by node 0 and node 2.
    let other = wallet(0x22);
    let (_, other_auth, other_sigs) = user_session(&other, &urls);
    let t2 = RevocationTarget::AuthSig(other_auth.hash());
    let (s, _) = post(
        &c,
        &urls[1],
        "/v1/revocations",
        &serde_json::to_value(revocation(&other, &t2)).expect("json"),
    )
    .await;
    assert_eq!(s, 201);
    for url in [&urls[0], &urls[2]] {
        let (s, v) = post(&c, url, "/v1/authorize", &authorize(&other_sigs, url)).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (403, Some("revoked")),
            "{url}: {v}"
        );
    }

    // "Who am I" and a refused operation spend no use, at any node sharing the store.
    let (_, two_uses) = capacity_session(&wallet(0xa2), &wallet(0xb2), 2, &urls);
    for url in &urls {
        let sig = two_uses.get(url).expect("mine");
        for _ in 0..2 {
            let (s, v) = get(&c, url, "/v1/session", Some(authorization_value(sig))).await;
            assert_eq!(s, 200, "{v}");
        }
        let body = json!({
            "sessionSig": serde_json::to_value(sig).expect("json"),
            "resource": "lit-pkp://*",
            "ability": "pkp-signing",
        });
        let (s, v) = post(&c, url, "/v1/authorize", &body).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (403, Some("operation_not_requested"))
        );
    }
    for url in &urls[..2] {
        let (s, v) = post(&c, url, "/v1/authorize", &authorize(&two_uses, url)).await;
        assert_eq!(s, 200, "both uses are still there: {v}");
    }
    let (s, v) = post(
        &c,
        &urls[2],
        "/v1/authorize",
        &authorize(&two_uses, &urls[2]),
    )
    .await;
    assert_eq!((s, v["code"].as_str()), (403, Some("uses_exhausted")));

    // `uses`, counted across nodes under concurrent load, never exceeds its limit.
    const LIMIT: usize = 10;
    const REQUESTS: usize = 60;
    let (_, cap_sigs) = capacity_session(&wallet(0xa1), &wallet(0xb0), LIMIT as u64, &urls);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..REQUESTS {
        let url = urls[i % urls.len()].clone();
        let body = authorize(&cap_sigs, &url);
        let c = c.clone();
        tasks.spawn(async move { post(&c, &url, "/v1/authorize", &body).await });
    }
    let mut ok = 0;
    let mut exhausted = 0;
    while let Some(r) = tasks.join_next().await {
        let (s, v) = r.expect("join");
        match (s, v["code"].as_str()) {
            (200, _) => ok += 1,
            (403, Some("uses_exhausted")) => exhausted += 1,
            other => panic!("unexpected answer {other:?}: {v}"),
        }
    }
    assert_eq!((ok, exhausted), (LIMIT, REQUESTS - LIMIT));
    for url in &urls {
        let (s, v) = post(&c, url, "/v1/authorize", &authorize(&cap_sigs, url)).await;
        assert_eq!((s, v["code"].as_str()), (403, Some("uses_exhausted")));
    }

    // Metrics saw it.
    let (s, text) = get(&c, &urls[0], "/metrics", None).await;
    assert_eq!(s, 200);
    let text = text.as_str().unwrap_or_default().to_owned();
    assert!(
        text.contains("sessionsig_verifications_total{result=\"wrong_node\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("sessionsig_revocations_total{result=\"ok\"} 1"),
        "{text}"
    );

    // Identical revocations posted at once to every node: the store says "new" exactly once
    // (one 201, the rest 200), and every answer names the same record.
    let third = wallet(0x23);
    let (_, third_auth, _) = user_session(&third, &urls);
    let t3 = RevocationTarget::AuthSig(third_auth.hash());
    let rev3 = serde_json::to_value(revocation(&third, &t3)).expect("json");
    const POSTS: usize = 12;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..POSTS {
        let (c, url, body) = (c.clone(), urls[i % urls.len()].clone(), rev3.clone());
        tasks.spawn(async move { post(&c, &url, "/v1/revocations", &body).await });
    }
    let mut answers = Vec::new();
    while let Some(r) = tasks.join_next().await {
        answers.push(r.expect("join"));
    }
    let created = answers.iter().filter(|(s, _)| *s == 201).count();
    let known = answers.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!((created, known), (1, POSTS - 1), "{answers:?}");
    assert!(
        answers.iter().all(|(_, v)| v == &answers[0].1),
        "{answers:?}"
    );
    assert_eq!(answers[0].1["id"], json!(t3.id()));
    let (s, v) = get(&c, &urls[1], &format!("/v1/revocations/{}", t3.id()), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["revocations"].as_array().map(Vec::len), Some(1));

    for p in procs {
        let st = p.stop().await;
        assert!(st.success(), "exit {st:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_on_a_shared_sqlite_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = format!("sqlite://{}", dir.path().join("shared.db").display());
    tokio::time::timeout(TEST_LIMIT, shared_store_scenario(&store, None))
        .await
        .expect("bounded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_on_postgresql() {
    let pg = PgSchema::new();
    tokio::time::timeout(TEST_LIMIT, shared_store_scenario(&pg.url, Some(&pg.schema)))
        .await
        .expect("bounded");
}

/// A node started with passwords in its store URL (user information and query) and an API key
/// in its JSON-RPC endpoint shows none of them: not in its log, not on its open routes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_in_configured_urls_never_leave_the_process() {
    let pg = PgSchema::new();
    // Trust authentication ignores the passwords, so the node really opens this store.
    let store = pg
        .url
        .replacen("postgres://postgres@", "postgres://postgres:pw1SECRET@", 1)
        + "?password=pw2SECRET";
    assert!(store.contains("pw1SECRET"), "test set-up: {store}");
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("http://127.0.0.1:{}", free_port());
    let args: Vec<String> = [
        "node",
        "--public-url",
        &url,
        "--data-dir",
        &dir.path().display().to_string(),
        "--store",
        &store,
        "--store-schema",
        &pg.schema,
        "--eth-rpc",
        "1=http://rpcuser:rpcSECRET@127.0.0.1:9/v3/keySECRET?apikey=qSECRET",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let log = dir.path().join("node.log");
    let node = tokio::time::timeout(TEST_LIMIT, Proc::start(&args, 1, &log))
        .await
        .expect("bounded")
        .unwrap_or_else(|e| panic!("{e}"));
    let c = client();
    let mut seen = String::new();
    for path in ["/healthz", "/metrics", "/v1/handshake", "/nothing-here"] {
        let (_, v) = get(&c, &url, path, None).await;
        seen.push_str(&v.to_string());
    }
    let (s, h) = get(&c, &url, "/healthz", None).await;
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["status"], json!("ok"));
    assert!(h.get("store").is_none(), "{h}");
    let st = node.stop().await;
    assert!(st.success(), "exit {st:?}");
    seen.push_str(&std::fs::read_to_string(&log).expect("log"));
    for secret in ["SECRET", "rpcuser", "postgres:pw"] {
        assert!(!seen.contains(secret), "`{secret}` leaked:\n{seen}");
    }
}

/// `network up` on free consecutive ports (retried if a port is taken meanwhile).
async fn network_up(nodes: usize, extra: &[&str], dir: &Path) -> Proc {
    let mut last = String::new();
    for attempt in 0..5 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let base = 20_000 + (nanos % 30_000) as u16;
        if (0..nodes as u16).any(|i| TcpListener::bind(("127.0.0.1", base + i)).is_err()) {
            continue;
        }
        let mut args: Vec<String> = vec![
            "network".into(),
            "up".into(),
            "--nodes".into(),
            nodes.to_string(),
            "--base-port".into(),
            base.to_string(),
            "--data-dir".into(),
            dir.display().to_string(),
            "--worker-threads".into(),
            "2".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        match Proc::start(&args, nodes, &dir.join(format!("network{attempt}.log"))).await {
            Ok(p) => {
                let want: Vec<String> = (0..nodes as u16)
                    .map(|i| format!("http://127.0.0.1:{}", base + i))
                    .collect();
                assert_eq!(p.urls, want);
                return p;
            }
            Err(e) => last = e,
        }
    }
    panic!("network up never started: {last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_up_shares_nonces_and_stops_on_sigterm() {
    tokio::time::timeout(TEST_LIMIT, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let net = network_up(3, &["--require-network-nonce"], dir.path()).await;
        let urls = net.urls.clone();
        let c = client();
        for u in &urls {
            let (s, v) = get(&c, u, "/healthz", None).await;
            assert_eq!(s, 200, "{v}");
        }
        // A nonce handed out by node 0 is accepted by every node (stateless MAC, shared secret).
        let (s, h) = get(&c, &urls[0], "/v1/handshake", None).await;
        assert_eq!(s, 200);
        assert_eq!(h["nodes"], json!(urls));
        let nonce = h["nonce"].as_str().expect("nonce").to_owned();
        let owner = wallet(0x23);
        let key = sessionsig::session::SessionKeyPair::generate();
        let auth_with = |n: &str| session_auth_sig_with_nonce(&owner, &key, n);
        let reqs = requests(&[("lit-pkp://*", sessionsig::lit::LitAbility::PkpSigning)]);
        let good = sign(&key, &reqs, &[auth_with(&nonce)], &urls);
        let bad = sign(&key, &reqs, &[auth_with("abcdef0123456789")], &urls);
        for u in &urls {
            let (s, v) = get(
                &c,
                u,
                "/v1/session",
                Some(authorization_value(good.get(u).expect("g"))),
            )
            .await;
            assert_eq!(s, 200, "{u}: {v}");
            let (s, v) = get(
                &c,
                u,
                "/v1/session",
                Some(authorization_value(bad.get(u).expect("b"))),
            )
            .await;
            assert_eq!((s, v["code"].as_str()), (401, Some("nonce_invalid")), "{u}");
        }
        let st = net.stop().await;
        assert!(st.success(), "exit {st:?}");
        for u in &urls {
            let port: u16 = u
                .rsplit(':')
                .next()
                .and_then(|p| p.parse().ok())
                .expect("port");
            assert!(
                tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_err(),
                "{u} still listening after SIGTERM"
            );
        }
    })
    .await
    .expect("bounded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_request_in_flight() {
    tokio::time::timeout(TEST_LIMIT, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let args: Vec<String> = [
            "node", "--public-url", &url, "--data-dir", &dir.path().display().to_string(),
            "--store", "memory:",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let node = Proc::start(&args, 1, &dir.path().join("node.log"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let (_, _, sigs) = user_session(&wallet(0x24), std::slice::from_ref(&url));
        let body = authorize(&sigs, &url).to_string();
        let (first, rest) = body.as_bytes().split_at(body.len() / 2);

        // A request whose body is still arriving when SIGTERM comes.
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
        let head = format!(
            "POST /v1/authorize HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).await.expect("head");
        s.write_all(first).await.expect("half");
        tokio::time::sleep(Duration::from_millis(300)).await;
        node.signal("TERM");
        tokio::time::sleep(Duration::from_millis(500)).await;
        // No new connection is accepted any more...
        assert!(
            tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err(),
            "still accepting after SIGTERM"
        );
        // ...but the one in flight is answered.
        s.write_all(rest).await.expect("rest");
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut answer))
            .await
            .expect("answer in time")
            .expect("read");
        let text = String::from_utf8_lossy(&answer);
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        assert!(text.contains("\"owner\""), "{text}");
        let mut node = node;
        let st = tokio::time::timeout(Duration::from_secs(15), node.child.wait())
            .await
            .expect("exits")
            .expect("status");
        assert!(st.success(), "exit {st:?}");
    })
    .await
    .expect("bounded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_off_needs_the_explicit_flag() {
    tokio::time::timeout(TEST_LIMIT, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let base: Vec<String> = [
            "node",
            "--public-url",
            &url,
            "--data-dir",
            &dir.path().display().to_string(),
            "--store",
            "memory:",
            "--no-verify",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let out = Command::new(BIN).args(&base).output().await.expect("run");
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("error[insecure_config]"), "{err}");
        assert!(out.stdout.is_empty());

        let mut args = base.clone();
        args.push("--insecure-no-verify".into());
        let node = Proc::start(&args, 1, &dir.path().join("node.log"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let log = std::fs::read_to_string(dir.path().join("node.log")).unwrap_or_default();
        assert!(log.contains("WARNING"), "{log}");
        let c = client();
        let other = "http://127.0.0.1:1".to_owned();
        let (_, _, sigs) = user_session(&wallet(0x25), std::slice::from_ref(&other));
        let (s, v) = post(&c, &url, "/v1/authorize", &authorize(&sigs, &other)).await;
        assert_eq!((s, v["insecureNoVerify"].as_bool()), (200, Some(true)));
        assert!(node.stop().await.success());
    })
    .await
    .expect("bounded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_configuration_exits_2_with_a_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("node.toml");
    std::fs::write(
        &cfg,
        "public_url = \"http://127.0.0.1:1\"\nlisten_addr = 1\n",
    )
    .expect("write");
    let out = Command::new(BIN)
        .args(["node", "--config", &cfg.display().to_string()])
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[invalid_config]"));
    let out = Command::new(BIN)
        .args(["node", "--data-dir", &dir.path().display().to_string()])
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}
