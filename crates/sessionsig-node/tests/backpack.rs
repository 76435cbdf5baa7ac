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
use sessionsig::wallet::WalletSigner;

async fn scenario(store: &str, schema: Option<&str>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let procs = three_nodes(store, schema, dir.path()).await;
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
        assert_eq!(r.status, 403, "{url}: {}", r.code());
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
    tokio::time::timeout(TEST_LIMIT, scenario(&store, None))
        .await
        .expect("bounded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_on_postgresql() {
    let pg = PgSchema::new();
    tokio::time::timeout(TEST_LIMIT, scenario(&pg.url, Some(&pg.schema)))
        .await
        .expect("bounded");
}
