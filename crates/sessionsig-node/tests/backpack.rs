//! The data backpack end to end: three real node processes on one store (a shared SQLite file
//! and the local disk; PostgreSQL), real HTTP, real signatures.
//!
//! Round trips byte-identical at every node; scoped session keys refused outside their scope;
//! signed changes not replayable at any node; a tampered body stores nothing; Alice's share
//! with Bob (read-only, a traffic cap that concurrent range readers across the nodes never
//! pass), his refusals, and her revocation stopping him everywhere; path attacks refused.

mod common;

use common::backpack::*;
use common::procs::*;
use common::*;
use sessionsig::auth_sig::RevocationTarget;
use sessionsig::lit::LitAbility;
use sessionsig::recap::Caveat;
use sessionsig::session::SessionKeyPair;
use sessionsig::wallet::WalletSigner;
use sessionsig_client::reqwest;

async fn scenario(store: &str, schema: Option<&str>, extra: &[String], envs: &[(String, String)]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let procs = three_nodes_with(store, schema, dir.path(), extra, envs).await;
    let urls: Vec<String> = procs.iter().map(|p| p.urls[0].clone()).collect();
    let c = client();
    let alice = wallet(0xa1);
    let bob = wallet(0xb0);

    // Alice signs in once with her whole backpack; every node accepts her own SessionSig.
    let whole = bp_key(&alice, "/");
    let (key, sigs) = bp_session(
        &alice,
        bp_grants(&[(&whole, &["backpack/*"])], &Caveat::new()),
        &[(&whole, LitAbility::BackpackAll)],
        &[],
        &urls,
    );
    let sig = |i: usize| sigs.get(&urls[i]).expect("sig");
    let photo: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let route = bp_route(&alice, "/photos/a.jpg");
    let r = bp(
        &c,
        &urls[0],
        "PUT",
        &route,
        sig(0),
        Some(&key),
        Some(&photo),
        &[],
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    assert_eq!(r.json()["size"], serde_json::json!(photo.len()));
    let etag = r.json()["etag"].as_str().expect("etag").to_owned();
    for (i, url) in urls.iter().enumerate() {
        let r = bp(&c, url, "GET", &route, sig(i), None, None, &[]).await;
        assert_eq!(r.status, 200, "{url}: {}", r.code());
        assert!(r.body == photo, "{url}: byte-identical");
        assert_eq!(r.header("etag"), etag);
    }
    // Range, HEAD, If-None-Match, listing.
    let r = bp(
        &c,
        &urls[1],
        "GET",
        &route,
        sig(1),
        None,
        None,
        &[("range", "bytes=100-199")],
    )
    .await;
    assert_eq!(r.status, 206);
    assert_eq!(r.body, photo[100..200]);
    assert_eq!(
        r.header("content-range"),
        format!("bytes 100-199/{}", photo.len())
    );
    let r = bp(
        &c,
        &urls[1],
        "GET",
        &route,
        sig(1),
        None,
        None,
        &[("range", "bytes=999999-")],
    )
    .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (416, "range_not_satisfiable")
    );
    let r = bp(&c, &urls[2], "HEAD", &route, sig(2), None, None, &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), photo.len().to_string());
    assert!(r.body.is_empty());
    let r = bp(
        &c,
        &urls[2],
        "GET",
        &route,
        sig(2),
        None,
        None,
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(r.status, 304);
    let small = b"second photo".to_vec();
    let route_b = bp_route(&alice, "/photos/2024/b.jpg");
    let r = bp(
        &c,
        &urls[2],
        "PUT",
        &route_b,
        sig(2),
        Some(&key),
        Some(&small),
        &[],
    )
    .await;
    assert_eq!(r.status, 201);
    let private = bp_route(&alice, "/private/diary.txt");
    let r = bp(
        &c,
        &urls[1],
        "PUT",
        &private,
        sig(1),
        Some(&key),
        Some(b"dear diary"),
        &[],
    )
    .await;
    assert_eq!(r.status, 201);
    let r = bp(
        &c,
        &urls[0],
        "GET",
        &bp_route(&alice, "/photos/"),
        sig(0),
        None,
        None,
        &[],
    )
    .await;
    assert_eq!(r.status, 200);
    let listing = r.json();
    assert_eq!(listing["entries"][0]["path"], "/photos/a.jpg");
    assert_eq!(listing["folders"], serde_json::json!(["/photos/2024/"]));
    assert_eq!(listing["next"], serde_json::Value::Null);
    // Replaced (200), conditional create refused (412).
    let r = bp(
        &c,
        &urls[1],
        "PUT",
        &route_b,
        sig(1),
        Some(&key),
        Some(b"v2"),
        &[],
    )
    .await;
    assert_eq!(r.status, 200);
    let r = bp(
        &c,
        &urls[1],
        "PUT",
        &route_b,
        sig(1),
        Some(&key),
        Some(b"v3"),
        &[("if-none-match", "*")],
    )
    .await;
    assert_eq!((r.status, r.code().as_str()), (412, "precondition_failed"));

    // A change needs the request signature; a signed change cannot be replayed anywhere.
    let r = bp(&c, &urls[0], "PUT", &route_b, sig(0), None, Some(b"x"), &[]).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (401, "request_signature_required")
    );
    let p = prepare(
        &urls[0],
        "PUT",
        &bp_route(&alice, "/r.txt"),
        sig(0),
        Some(&key),
        Some(b"once"),
        &[],
    );
    assert_eq!(send(&c, &p).await.status, 201);
    let again = send(&c, &p).await;
    assert_eq!((again.status, again.code().as_str()), (401, "replayed"));
    let mut elsewhere = p.clone();
    elsewhere.url = elsewhere.url.replacen(&urls[0], &urls[1], 1);
    for (k, v) in elsewhere.headers.iter_mut() {
        if k == "authorization" {
            *v = sessionsig_node::auth::authorization_value(sig(1));
        }
    }
    let r = send(&c, &elsewhere).await;
    assert_eq!(
        r.status,
        401,
        "a signed request replayed at another node: {}",
        r.code()
    );
    // A body swapped under a signed digest: refused, nothing stored.
    let mut swapped = prepare(
        &urls[2],
        "PUT",
        &bp_route(&alice, "/t.txt"),
        sig(2),
        Some(&key),
        Some(b"good"),
        &[],
    );
    swapped.body = Some(b"evil".to_vec());
    let r = send(&c, &swapped).await;
    assert_eq!((r.status, r.code().as_str()), (400, "digest_mismatch"));
    let r = bp(
        &c,
        &urls[0],
        "GET",
        &bp_route(&alice, "/t.txt"),
        sig(0),
        None,
        None,
        &[],
    )
    .await;
    assert_eq!(r.status, 404);

    // Path attacks are refused, never resolved into another path. Sent as raw bytes: an
    // HTTP client library would resolve the dot segments itself before sending.
    for attack in [
        "/photos/../private/diary.txt",
        "/photos/%2e%2e/private/diary.txt",
        "/photos/..%2fprivate/diary.txt",
        "/photos/%2E%2E%5Cprivate/diary.txt",
        "/photos//a.jpg",
        "/photos/%252e%252e/private/diary.txt",
        "/photos/./a.jpg",
        "/photos/%00/a.jpg",
    ] {
        let (status, body) = raw_get(&urls[0], &bp_route(&alice, attack), sig(0)).await;
        assert_eq!(status, 400, "{attack}: {body}");
        assert!(body.contains("invalid_path"), "{attack}: {body}");
        assert!(!body.contains("dear diary"), "{attack}");
    }

    // A read-only session key on /photos/: reads there, nothing else.
    let photos = bp_key(&alice, "/photos/");
    let (ro_key, ro) = bp_session(
        &alice,
        bp_grants(
            &[(&photos, &["backpack/read", "backpack/list"])],
            &Caveat::new(),
        ),
        &[
            (&photos, LitAbility::BackpackRead),
            (&photos, LitAbility::BackpackList),
        ],
        &[],
        &urls,
    );
    let ro0 = ro.get(&urls[0]).expect("ro");
    assert_eq!(
        bp(&c, &urls[0], "GET", &route, ro0, None, None, &[])
            .await
            .status,
        200
    );
    let r = bp(
        &c,
        &urls[0],
        "PUT",
        &route,
        ro0,
        Some(&ro_key),
        Some(b"x"),
        &[],
    )
    .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "operation_not_requested")
    );
    let r = bp(&c, &urls[0], "GET", &private, ro0, None, None, &[]).await;
    assert_eq!(r.status, 403, "{}", r.code());

    // Alice shares /photos/ read-only with Bob, 1,000 bytes of traffic.
    let mut cav = Caveat::new();
    cav.insert(
        "delegate_to".into(),
        serde_json::json!([hex::encode(bob.address())]),
    );
    cav.insert("max_bytes".into(), serde_json::json!("1000"));
    let share = bp_delegation(
        &alice,
        bp_grants(&[(&photos, &["backpack/read", "backpack/list"])], &cav),
    );
    let (bob_key, bob_sigs) = bp_session(
        &bob,
        bp_grants(&[(&photos, &["backpack/read"])], &Caveat::new()),
        &[(&photos, LitAbility::BackpackRead)],
        std::slice::from_ref(&share),
        &urls,
    );
    let bsig = |i: usize| bob_sigs.get(&urls[i]).expect("bob");
    let r = bp(&c, &urls[1], "GET", &route_b, bsig(1), None, None, &[]).await;
    assert_eq!((r.status, r.body.as_slice()), (200, b"v2".as_slice()));
    let r = bp(
        &c,
        &urls[1],
        "PUT",
        &route_b,
        bsig(1),
        Some(&bob_key),
        Some(b"bob"),
        &[],
    )
    .await;
    assert_eq!(r.status, 403, "Bob cannot write: {}", r.code());
    let r = bp(&c, &urls[1], "GET", &private, bsig(1), None, None, &[]).await;
    assert_eq!(
        r.status,
        403,
        "Bob cannot read outside the share: {}",
        r.code()
    );
    // 50 concurrent 100-byte range reads across the nodes: never more than the cap in total.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let (c, url, s, route) = (
            c.clone(),
            urls[i % 3].clone(),
            bsig(i % 3).clone(),
            route.clone(),
        );
        tasks.spawn(async move {
            bp(
                &c,
                &url,
                "GET",
                &route,
                &s,
                None,
                None,
                &[("range", "bytes=0-99")],
            )
            .await
        });
    }
    let (mut moved, mut refused) = (0usize, 0usize);
    while let Some(r) = tasks.join_next().await {
        let r = r.expect("join");
        match r.status {
            206 => moved += r.body.len(),
            429 => {
                assert_eq!(r.code(), "quota_exhausted");
                refused += 1;
            }
            s => panic!("unexpected {s}: {}", r.code()),
        }
    }
    let used_before = 2; // the 2-byte read above
    assert!(
        moved + used_before <= 1000,
        "{moved} bytes moved past the cap"
    );
    assert_eq!(moved, 900, "the budget is used up exactly (9 reads of 100)");
    assert_eq!(refused, 41);

    // Right before the revocation every node lets Bob in (a HEAD moves no bytes), so on a
    // shared SQLite file every node has just remembered "not revoked" for his chain.
    for (i, url) in urls.iter().enumerate() {
        let r = bp(&c, url, "HEAD", &route_b, bsig(i), None, None, &[]).await;
        assert_eq!(r.status, 200, "{url}: Bob before the revocation");
    }
    // Alice revokes the share through node 2: Bob is refused at every node.
    let (s, v) = post(
        &c,
        &urls[2],
        "/v1/revocations",
        &serde_json::to_value(revocation(&alice, &RevocationTarget::AuthSig(share.hash())))
            .expect("json"),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    for (i, url) in urls.iter().enumerate() {
        let r = bp(&c, url, "HEAD", &route_b, bsig(i), None, None, &[]).await;
        assert_eq!(r.status, 403, "{url}: Bob's HEAD after the revocation");
        let r = bp(&c, url, "GET", &route_b, bsig(i), None, None, &[]).await;
        assert_eq!((r.status, r.code().as_str()), (403, "revoked"), "{url}");
    }

    // Delete, then gone everywhere.
    let r = bp(
        &c,
        &urls[0],
        "DELETE",
        &route,
        sig(0),
        Some(&key),
        None,
        &[],
    )
    .await;
    assert_eq!(r.status, 204);
    for (i, url) in urls.iter().enumerate() {
        let r = bp(&c, url, "GET", &route, sig(i), None, None, &[]).await;
        assert_eq!((r.status, r.code().as_str()), (404, "not_found"));
    }
    let r = bp(
        &c,
        &urls[0],
        "DELETE",
        &route,
        sig(0),
        Some(&key),
        None,
        &[],
    )
    .await;
    assert_eq!(r.status, 404);

    for p in procs {
        let st = p.stop().await;
        assert!(st.success(), "exit {st:?}");
    }
}

/// GET `/v1/backpack/<route>` with the path bytes exactly as given (no client-side
/// normalisation): the status and the body.
async fn raw_get(node: &str, route: &str, sig: &sessionsig::session::SessionSig) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = node.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(host).await.expect("connect");
    let req = format!(
        "GET /v1/backpack/{route} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {}\r\nConnection: close\r\n\r\n",
        sessionsig_node::auth::authorization_value(sig)
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.expect("read");
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_on_one_sqlite_file_and_local_disk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = format!("sqlite://{}", dir.path().join("shared.db").display());
    tokio::time::timeout(TEST_LIMIT, scenario(&store, None, &[], &[]))
        .await
        .expect("bounded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_on_postgresql() {
    let pg = PgSchema::new();
    tokio::time::timeout(TEST_LIMIT, scenario(&pg.url, Some(&pg.schema), &[], &[]))
        .await
        .expect("bounded");
}

#[path = "../../sessionsig-backpack/tests/common/s3server.rs"]
mod s3server;

/// A node configuration file in `dir` with this `[backpack]` section.
fn backpack_config(dir: &std::path::Path, section: &str) -> Vec<String> {
    let path = dir.join("node.toml");
    std::fs::write(&path, format!("[backpack]\n{section}")).expect("config");
    vec!["--config".into(), path.display().to_string()]
}

/// The object bytes in a real S3-protocol server shared by the three nodes, metadata in
/// PostgreSQL; credentials only in the nodes' environment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_on_postgresql_and_s3() {
    let s3 = s3server::S3Server::start();
    let pg = PgSchema::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let extra = backpack_config(
        dir.path(),
        &format!(
            "s3_bucket = \"{}\"\ns3_prefix = \"e2e\"\ns3_endpoint = \"http://127.0.0.1:{}\"\ns3_region = \"us-east-1\"\ns3_allow_http = true\n",
            s3.bucket, s3.port
        ),
    );
    let envs = vec![
        (
            "AWS_ACCESS_KEY_ID".to_owned(),
            s3server::ACCESS_KEY.to_owned(),
        ),
        (
            "AWS_SECRET_ACCESS_KEY".to_owned(),
            s3server::SECRET_KEY.to_owned(),
        ),
    ];
    tokio::time::timeout(
        TEST_LIMIT,
        scenario(&pg.url, Some(&pg.schema), &extra, &envs),
    )
    .await
    .expect("bounded");
    // The bytes really are in the bucket (s3s-fs keeps objects as files under its root).
    let stored = walk(&s3.root.path().join(&s3.bucket));
    assert!(!stored.is_empty(), "no object reached the S3 server");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// The node's and the grant's size limits, the owner quota, and signed reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_quota_and_signed_reads() {
    tokio::time::timeout(TEST_LIMIT, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = format!("sqlite://{}", dir.path().join("s.db").display());
        let extra = backpack_config(
            dir.path(),
            "max_object_bytes = 1000\nowner_quota_bytes = 2500\nrequire_signed_reads = true\n",
        );
        let procs = three_nodes_with(&store, None, dir.path(), &extra, &[]).await;
        let url = procs[0].urls[0].clone();
        let urls: Vec<String> = procs.iter().map(|p| p.urls[0].clone()).collect();
        let c = client();
        let alice = wallet(0xa3);
        let whole = bp_key(&alice, "/");
        let (key, sigs) = bp_session(
            &alice,
            bp_grants(&[(&whole, &["backpack/*"])], &Caveat::new()),
            &[(&whole, LitAbility::BackpackAll)],
            &[],
            &urls,
        );
        let sig = sigs.get(&url).expect("sig");
        let put = |path: &str, n: usize| {
            let route = bp_route(&alice, path);
            let (c, url, sig, key) = (c.clone(), url.clone(), sig.clone(), key.clone());
            async move {
                bp(
                    &c,
                    &url,
                    "PUT",
                    &route,
                    &sig,
                    Some(&key),
                    Some(&vec![7u8; n]),
                    &[],
                )
                .await
            }
        };
        let r = put("/big.bin", 1001).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (413, "too_large"),
            "node limit"
        );
        assert_eq!(put("/a.bin", 1000).await.status, 201);
        assert_eq!(put("/b.bin", 1000).await.status, 201);
        let r = put("/c.bin", 600).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (507, "storage_full"),
            "owner quota"
        );
        assert_eq!(
            put("/a.bin", 400).await.status,
            200,
            "a smaller replacement fits"
        );
        assert_eq!(put("/c.bin", 600).await.status, 201);
        // Reads need the request signature too on this node.
        let route = bp_route(&alice, "/a.bin");
        let r = bp(&c, &url, "GET", &route, sig, None, None, &[]).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (401, "request_signature_required")
        );
        let r = bp(&c, &url, "GET", &route, sig, Some(&key), None, &[]).await;
        assert_eq!((r.status, r.body.len()), (200, 400));
        // A grant's own max_object_bytes, below the node's.
        let mut cav = Caveat::new();
        cav.insert("max_object_bytes".into(), serde_json::json!("100"));
        let (k2, s2) = bp_session(
            &alice,
            bp_grants(&[(&whole, &["backpack/write"])], &cav),
            &[(&whole, LitAbility::BackpackWrite)],
            &[],
            &urls,
        );
        let route = bp_route(&alice, "/small.bin");
        let s2 = s2.get(&url).expect("s2");
        let r = bp(
            &c,
            &url,
            "PUT",
            &route,
            s2,
            Some(&k2),
            Some(&[1u8; 101]),
            &[],
        )
        .await;
        assert_eq!((r.status, r.code().as_str()), (413, "too_large"));
        let r = bp(
            &c,
            &url,
            "PUT",
            &route,
            s2,
            Some(&k2),
            Some(&[1u8; 100]),
            &[],
        )
        .await;
        assert_eq!(r.status, 201);
        // A replayed change is refused before it spends anything: under `uses` = 2, a write,
        // its replays (refused, at this node and another), a second write; a third is over.
        let mut cav = Caveat::new();
        cav.insert("uses".into(), serde_json::json!("2"));
        let (k3, s3) = bp_session(
            &alice,
            bp_grants(&[(&whole, &["backpack/write"])], &cav),
            &[(&whole, LitAbility::BackpackWrite)],
            &[],
            &urls,
        );
        let s3 = s3.get(&url).expect("s3");
        let once = prepare(
            &url,
            "PUT",
            &bp_route(&alice, "/u1.bin"),
            s3,
            Some(&k3),
            Some(b"u1"),
            &[],
        );
        assert_eq!(send(&c, &once).await.status, 201);
        for _ in 0..3 {
            let r = send(&c, &once).await;
            assert_eq!((r.status, r.code().as_str()), (401, "replayed"));
        }
        let write = |path: &str| {
            let route = bp_route(&alice, path);
            let (c, url, s3, k3) = (c.clone(), url.clone(), s3.clone(), k3.clone());
            async move { bp(&c, &url, "PUT", &route, &s3, Some(&k3), Some(b"u"), &[]).await }
        };
        assert_eq!(
            write("/u2.bin").await.status,
            201,
            "the replays spent no use"
        );
        let r = write("/u3.bin").await;
        assert_eq!((r.status, r.code().as_str()), (403, "uses_exhausted"));
        for p in procs {
            assert!(p.stop().await.success());
        }
    })
    .await
    .expect("bounded");
}

/// A node killed (SIGKILL) in the middle of replacing an object: after a restart the old
/// object is there, whole, and the listing agrees with the bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_mid_upload_leaves_the_old_object_whole() {
    use tokio::io::AsyncWriteExt;
    tokio::time::timeout(TEST_LIMIT, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = format!("sqlite://{}", dir.path().join("s.db").display());
        let mut procs = three_nodes(&store, None, dir.path()).await;
        let urls: Vec<String> = procs.iter().map(|p| p.urls[0].clone()).collect();
        let url = urls[0].clone();
        let c = client();
        let alice = wallet(0xa4);
        let whole = bp_key(&alice, "/");
        let (key, sigs) = bp_session(
            &alice,
            bp_grants(&[(&whole, &["backpack/*"])], &Caveat::new()),
            &[(&whole, LitAbility::BackpackAll)],
            &[],
            &urls,
        );
        let sig = sigs.get(&url).expect("sig");
        let route = bp_route(&alice, "/doc.bin");
        let old: Vec<u8> = (0..10_000u32).map(|i| (i % 13) as u8).collect();
        assert_eq!(
            bp(&c, &url, "PUT", &route, sig, Some(&key), Some(&old), &[])
                .await
                .status,
            201
        );
        // The replacement: signed for its whole body, of which only a third is ever sent.
        let new = vec![0xeeu8; 3 * 1024 * 1024];
        let p = prepare(&url, "PUT", &route, sig, Some(&key), Some(&new), &[]);
        let host = url.trim_start_matches("http://");
        let mut s = tokio::net::TcpStream::connect(host).await.expect("connect");
        let mut head = format!("PUT /v1/backpack/{route} HTTP/1.1\r\nHost: {host}\r\n");
        for (k, v) in &p.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", new.len()));
        s.write_all(head.as_bytes()).await.expect("head");
        s.write_all(&new[..new.len() / 3]).await.expect("part");
        s.flush().await.expect("flush");
        // Wait until the node is writing the new blob (its staging file exists), then kill it.
        let blobs = dir.path().join("blobs");
        while !walk(&blobs)
            .iter()
            .any(|f| f.to_string_lossy().contains('#'))
        {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        for p in &procs {
            p.signal("KILL");
        }
        for p in procs.iter_mut() {
            let _ = p.child.wait().await;
        }
        drop(s);
        drop(procs);
        // Restart on the same store and data directory.
        let procs = three_nodes(&store, None, dir.path()).await;
        let urls2: Vec<String> = procs.iter().map(|p| p.urls[0].clone()).collect();
        let (_, sigs2) = bp_session(
            &alice,
            bp_grants(&[(&whole, &["backpack/*"])], &Caveat::new()),
            &[(&whole, LitAbility::BackpackAll)],
            &[],
            &urls2,
        );
        let sig2 = sigs2.get(&urls2[1]).expect("sig");
        let r = bp(&c, &urls2[1], "GET", &route, sig2, None, None, &[]).await;
        assert_eq!(r.status, 200);
        assert!(r.body == old, "the old object, whole");
        let r = bp(
            &c,
            &urls2[1],
            "GET",
            &bp_route(&alice, "/"),
            sig2,
            None,
            None,
            &[],
        )
        .await;
        let entries = r.json()["entries"].as_array().cloned().unwrap_or_default();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0]["size"], serde_json::json!(old.len()));
        for p in procs {
            assert!(p.stop().await.success());
        }
    })
    .await
    .expect("bounded");
}

/// A PUT and a DELETE signed by an independent RFC 9421 implementation (the
/// `http-message-signatures` package from PyPI, run from the virtualenv `scripts/test` makes)
/// are accepted by a real node; the same request replayed is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_signed_by_an_independent_rfc9421_implementation_are_accepted() {
    use std::io::Write as _;
    let venv = std::env::var("SESSIONSIG_PY_VENV")
        .expect("SESSIONSIG_PY_VENV: the virtualenv scripts/test makes (see scripts/test)");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sessionsig-backpack/tests/py/sign_request.py");
    let python_sign = |job: serde_json::Value| -> Vec<(String, String)> {
        let mut child = std::process::Command::new(format!("{venv}/bin/python"))
            .arg(&script)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("python");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(job.to_string().as_bytes())
            .expect("job");
        let out = child.wait_with_output().expect("python output");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        v["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .map(|h| {
                (
                    h[0].as_str().unwrap_or("").to_owned(),
                    h[1].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    };
    tokio::time::timeout(TEST_LIMIT, async {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = format!("sqlite://{}", dir.path().join("s.db").display());
        let procs = three_nodes(&store, None, dir.path()).await;
        let urls: Vec<String> = procs.iter().map(|p| p.urls[0].clone()).collect();
        let c = client();
        let alice = wallet(0xa5);
        let seed = [0x42u8; 32];
        let key = SessionKeyPair::from_seed(&seed);
        let whole = bp_key(&alice, "/");
        let sigs = bp_session_sigs(
            &alice,
            &key,
            bp_grants(&[(&whole, &["backpack/*"])], &Caveat::new()),
            &[(&whole, LitAbility::BackpackAll)],
            &[],
            &urls,
        );
        let route = bp_route(&alice, "/from-python.txt");
        let url = format!("{}/v1/backpack/{route}", urls[0]);
        let auth = sessionsig_node::auth::authorization_value(sigs.get(&urls[0]).expect("sig"));
        let body = b"signed in Python".to_vec();
        let job = |method: &str, body: Option<&[u8]>, nonce: &str| {
            let mut j = serde_json::json!({
                "mode": "sign", "method": method, "url": url,
                "headers": [["authorization", auth], ["content-type", "text/plain"]],
                "seed_hex": hex::encode(seed), "key_id": key.public_hex(),
                "created": sessionsig::time::OffsetDateTime::now_utc().unix_timestamp(),
                "nonce": nonce, "label": "py", "include_alg": true,
                "components": ["@method", "@authority", "@path", "@query"],
            });
            if let Some(b) = body {
                j["body_hex"] = serde_json::json!(hex::encode(b));
                j["components"] = serde_json::json!([
                    "@method",
                    "@authority",
                    "@path",
                    "@query",
                    "content-digest"
                ]);
            }
            j
        };
        let headers = python_sign(job("PUT", Some(&body), "pythonnonce0001"));
        let send =
            |method: reqwest::Method, headers: Vec<(String, String)>, body: Option<Vec<u8>>| {
                let mut b = c.request(method, &url);
                for (k, v) in headers {
                    b = b.header(k, v);
                }
                if let Some(body) = body {
                    b = b.body(body);
                }
                b.send()
            };
        let r = send(reqwest::Method::PUT, headers.clone(), Some(body.clone()))
            .await
            .expect("put");
        assert_eq!(r.status(), 201, "{:?}", r.text().await);
        let r = send(reqwest::Method::PUT, headers, Some(body.clone()))
            .await
            .expect("replay");
        assert_eq!(r.status(), 401);
        let r = bp(
            &c,
            &urls[1],
            "GET",
            &route,
            sigs.get(&urls[1]).expect("s"),
            None,
            None,
            &[],
        )
        .await;
        assert_eq!((r.status, r.body), (200, body));
        let headers = python_sign(job("DELETE", None, "pythonnonce0002"));
        let r = send(reqwest::Method::DELETE, headers, None)
            .await
            .expect("delete");
        assert_eq!(r.status(), 204);
        for p in procs {
            assert!(p.stop().await.success());
        }
    })
    .await
    .expect("bounded");
}
