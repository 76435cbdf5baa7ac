//! The backpack client against three real nodes served in this process on loopback ports,
//! over one temporary SQLite store: real HTTP, real signatures, the nodes' own refusals.

mod common;

use sessionsig::lit::LitAbility;
use sessionsig::time::{Duration, OffsetDateTime};
use sessionsig::wallet::LocalWallet;
use sessionsig_client::backpack::{
    create_share, sign_revocation, BackpackClient, ByteRange, Phase, Progress, PutOptions, Remote,
    SessionMode, ShareSpec,
};
use sessionsig_client::{
    BoxFuture, MemoryStore, NodeSet, SessionManager, SignRequest, WalletProvider,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A wallet that counts its prompts.
struct Counted(LocalWallet, AtomicUsize);

impl WalletProvider for Counted {
    fn address(&self) -> sessionsig_client::alloy_primitives::Address {
        WalletProvider::address(&self.0)
    }
    fn sign_siwe<'a>(
        &'a self,
        request: &'a SignRequest,
    ) -> BoxFuture<'a, sessionsig_client::Result<String>> {
        self.1.fetch_add(1, Ordering::SeqCst);
        self.0.sign_siwe(request)
    }
}

fn wallet(b: u8) -> Arc<Counted> {
    Arc::new(Counted(
        LocalWallet::from_bytes(&[b; 32]).expect("wallet"),
        AtomicUsize::new(0),
    ))
}

/// Three nodes on one store; stopped when the sender is dropped.
async fn nodes(dir: &std::path::Path) -> (Vec<String>, tokio::sync::watch::Sender<bool>) {
    common::in_process_nodes(dir, 3, |_| {}).await
}

fn client(w: Arc<Counted>, urls: &[String]) -> BackpackClient {
    let m = SessionManager::new(
        w,
        MemoryStore::new(),
        NodeSet::new(urls.iter().cloned()).expect("nodes"),
    );
    BackpackClient::new(Arc::new(m)).expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_prompt_many_operations_progress_pages_and_ranges() {
    let dir = tempfile::tempdir().expect("dir");
    let (urls, _stop) = nodes(dir.path()).await;
    let alice = wallet(0xa1);
    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let s2 = seen.clone();
    let c = client(alice.clone(), &urls)
        .with_page_size(2)
        .with_progress(Arc::new(move |p| s2.lock().expect("lock").push(p)));
    let me = c.wallet();

    // A stream of unknown length: buffered, hashed, then sent with its digest.
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let big = Remote::new(me, "/big.bin").expect("path");
    let info = c
        .put_stream(&big, &data[..], &PutOptions::default())
        .await
        .expect("put");
    assert_eq!(info.size, 3_000_000);
    assert!(info.created);
    {
        let p = seen.lock().expect("lock");
        let up: Vec<&Progress> = p.iter().filter(|x| x.phase == Phase::Uploading).collect();
        assert_eq!(
            up.last().map(|x| x.done),
            Some(3_000_000),
            "upload reported to the end"
        );
        assert!(up.windows(2).all(|w| w[0].done <= w[1].done), "monotonic");
        assert!(p.iter().any(|x| x.phase == Phase::Hashing));
    }

    // Five small objects, listed two per page: every page gathered, in order.
    for i in 0..5 {
        let r = Remote::new(me, &format!("/notes/{i}.txt")).expect("path");
        c.at_node(&urls[i % 3])
            .put_bytes(
                &r,
                format!("note {i}").into_bytes().into(),
                &PutOptions::default(),
            )
            .await
            .expect("put");
    }
    let folder = Remote::new(me, "/notes/").expect("folder");
    let l = c.list(&folder).await.expect("list");
    let names: Vec<&str> = l.entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        names,
        [
            "/notes/0.txt",
            "/notes/1.txt",
            "/notes/2.txt",
            "/notes/3.txt",
            "/notes/4.txt"
        ]
    );

    // Ranges, whole reads and HEAD at each node.
    for (i, u) in urls.iter().enumerate() {
        let r = ByteRange {
            start: 1_000_000 * i as u64,
            end: Some(1_000_000 * i as u64 + 4096),
        };
        let (got, d) = c.at_node(u).get_bytes(&big, Some(r)).await.expect("range");
        assert_eq!(got, &data[r.start as usize..r.start as usize + 4096]);
        assert_eq!(d.node, *u);
    }
    let (all, d) = c.get_bytes(&big, None).await.expect("get");
    assert!(all == data);
    assert_eq!(d.object.digest, info.digest);
    assert_eq!(c.head(&big).await.expect("head").etag, info.etag);

    // Delete; then absent.
    c.delete(&big).await.expect("delete");
    assert_eq!(c.head(&big).await.expect_err("gone").code(), "not_found");
    assert_eq!(c.delete(&big).await.expect_err("gone").code(), "not_found");

    // All of that with one wallet prompt.
    assert_eq!(alice.1.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_share_carried_by_a_session_then_revoked() {
    let dir = tempfile::tempdir().expect("dir");
    let (urls, _stop) = nodes(dir.path()).await;
    let (alice, bob) = (wallet(0xa1), wallet(0xb0));
    let a = client(alice.clone(), &urls);
    let photo = Remote::new(a.wallet(), "/photos/a.jpg").expect("path");
    a.put_bytes(&photo, vec![7u8; 10_000].into(), &PutOptions::default())
        .await
        .expect("put");
    let now = OffsetDateTime::now_utc();
    let share = create_share(
        alice.as_ref(),
        &ShareSpec {
            folder: Remote::new(a.wallet(), "/photos/").expect("folder"),
            with: WalletProvider::address(bob.as_ref()),
            abilities: vec![LitAbility::BackpackRead],
            max_bytes: Some(15_000),
            expires: now + Duration::days(2),
            domain: "localhost".into(),
            nonce: None,
        },
        now,
    )
    .await
    .expect("share");
    // A share for someone else is refused by the client.
    assert_eq!(
        client(wallet(0xc0), &urls)
            .with_share(share.clone())
            .expect_err("not for this wallet")
            .code(),
        "invalid_share"
    );
    let b = client(bob.clone(), &urls)
        .with_share(share.clone())
        .expect("share");
    let (got, _) = b.get_bytes(&photo, None).await.expect("Bob reads");
    assert_eq!(got, vec![7u8; 10_000]);
    // 10 000 of 15 000 bytes used: a second whole read does not fit, a small range does.
    assert_eq!(
        b.get_bytes(&photo, None).await.expect_err("cap").code(),
        "quota_exhausted"
    );
    let r = ByteRange {
        start: 0,
        end: Some(1000),
    };
    assert_eq!(
        b.get_bytes(&photo, Some(r)).await.expect("range").0.len(),
        1000
    );
    // Bob's own wallet signed once, for the shared folder.
    assert_eq!(bob.1.load(Ordering::SeqCst), 1);

    // Revoked at one node: refused at all.
    let rev = sign_revocation(
        alice.as_ref(),
        &share.target(),
        OffsetDateTime::now_utc(),
        None,
    )
    .await
    .expect("revocation");
    a.at_node(&urls[1])
        .post_revocation(&rev)
        .await
        .expect("posted");
    for u in &urls {
        assert_eq!(
            b.at_node(u).head(&photo).await.expect_err("revoked").code(),
            "revoked",
            "{u}"
        );
    }

    // A narrowed session (StoredOnly) never prompts, and the node judges what it lacks.
    let m = Arc::new(SessionManager::new(
        alice.clone(),
        MemoryStore::new(),
        NodeSet::new(urls.iter().cloned()).expect("nodes"),
    ));
    let before = alice.1.load(Ordering::SeqCst);
    m.login_scoped(
        &[Remote::new(a.wallet(), "/photos/")
            .expect("folder")
            .request(LitAbility::BackpackRead)
            .expect("request")],
        sessionsig::recap::Caveat::new(),
        Some(OffsetDateTime::now_utc() + Duration::hours(1)),
    )
    .await
    .expect("login");
    let narrow = BackpackClient::new(m)
        .expect("client")
        .with_mode(SessionMode::StoredOnly);
    narrow.get_bytes(&photo, None).await.expect("read allowed");
    let e = narrow
        .put_bytes(&photo, vec![1u8].into(), &PutOptions::default())
        .await
        .expect_err("write refused");
    assert_eq!(e.code(), "capability_not_granted");
    assert_eq!(e.status(), Some(403));
    assert_eq!(
        alice.1.load(Ordering::SeqCst),
        before + 1,
        "only the narrowing signed"
    );
}

/// A network that wants its own nonce on delegations and revocations
/// (`network_nonce_for_delegations`): a share and a revocation signed with the nonce the
/// manager asks the network for are taken; the same signed with a random nonce are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shares_and_revocations_carry_the_network_nonce_when_the_network_wants_it() {
    let dir = tempfile::tempdir().expect("dir");
    let (urls, _stop) = common::in_process_nodes(dir.path(), 2, |cfg| {
        cfg.require_network_nonce = Some(true);
        cfg.network_nonce_for_delegations = Some(true);
    })
    .await;
    let http = sessionsig_client::reqwest::Client::new();
    let timeout = std::time::Duration::from_secs(30);
    let handshaked = |w: Arc<Counted>| {
        let (http, urls) = (http.clone(), urls.clone());
        async move {
            let m = SessionManager::new(
                w,
                MemoryStore::new(),
                NodeSet::new(urls.iter().cloned()).expect("nodes"),
            );
            m.refresh_nodes(&http, &urls, timeout)
                .await
                .expect("handshake");
            Arc::new(m)
        }
    };
    let (alice, bob) = (wallet(0xa2), wallet(0xb2));
    let a = BackpackClient::new(handshaked(alice.clone()).await).expect("client");
    let photo = Remote::new(a.wallet(), "/photos/b.jpg").expect("path");
    a.put_bytes(&photo, vec![5u8; 1000].into(), &PutOptions::default())
        .await
        .expect("put");
    let share_with = |nonce: Option<String>| {
        let alice = alice.clone();
        let folder = Remote::new(a.wallet(), "/photos/").expect("folder");
        let with = WalletProvider::address(bob.as_ref());
        async move {
            let now = OffsetDateTime::now_utc();
            let spec = ShareSpec {
                folder,
                with,
                abilities: vec![LitAbility::BackpackRead],
                max_bytes: None,
                expires: now + Duration::days(2),
                domain: "localhost".into(),
                nonce,
            };
            create_share(alice.as_ref(), &spec, now)
                .await
                .expect("share")
        }
    };
    // A random nonce on the delegation: Bob's session carrying it is refused.
    let random = share_with(None).await;
    let b = BackpackClient::new(handshaked(bob.clone()).await)
        .expect("client")
        .with_share(random)
        .expect("share");
    let refused = b.get_bytes(&photo, None).await.expect_err("random nonce");
    assert_eq!(refused.code(), "nonce_invalid", "{refused}");
    // The network's nonce, as the manager hands it out: taken.
    let nonce = a
        .manager()
        .nonce_for_signing(OffsetDateTime::now_utc())
        .await
        .expect("network nonce");
    let share = share_with(Some(nonce)).await;
    let b = BackpackClient::new(handshaked(bob.clone()).await)
        .expect("client")
        .with_share(share.clone())
        .expect("share");
    let (got, _) = b.get_bytes(&photo, None).await.expect("Bob reads");
    assert_eq!(got, vec![5u8; 1000]);
    // Revocations too: a random nonce is refused, the network's is taken and stops Bob.
    let now = OffsetDateTime::now_utc();
    let rev = sign_revocation(alice.as_ref(), &share.target(), now, None)
        .await
        .expect("revocation");
    let refused = a.post_revocation(&rev).await.expect_err("random nonce");
    assert_eq!(refused.code(), "nonce_invalid", "{refused}");
    let nonce = a.manager().nonce_for_signing(now).await.expect("nonce");
    let rev = sign_revocation(alice.as_ref(), &share.target(), now, Some(&nonce))
        .await
        .expect("revocation");
    a.post_revocation(&rev).await.expect("posted");
    for u in &urls {
        assert_eq!(
            b.at_node(u).head(&photo).await.expect_err("revoked").code(),
            "revoked",
            "{u}"
        );
    }
}
