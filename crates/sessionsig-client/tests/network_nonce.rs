//! The session manager against real nodes that require their network's nonce in session
//! AuthSigs (`require_network_nonce`): two nodes served in this process on loopback ports,
//! sharing one SQLite store and one network secret; real HTTP, real signatures, the nodes'
//! own answers. The client learns the requirement from the handshake (the shared wire type)
//! and signs with the network's nonce; without a handshake its sessions are refused.

mod common;

use common::{pkp, wallet, Counting};
use sessionsig::session::SessionSig;
use sessionsig_client::http::authorize;
use sessionsig_client::{
    ClientError, MemoryStore, NodeSet, ResignReason, SessionManager, SessionRequest,
};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);

/// Two nodes requiring network nonces (fresh for `nonce_ttl_secs`); stopped when the sender
/// is dropped.
async fn nodes(
    dir: &std::path::Path,
    nonce_ttl_secs: u64,
) -> (Vec<String>, tokio::sync::watch::Sender<bool>) {
    common::in_process_nodes(dir, 2, |cfg| {
        cfg.require_network_nonce = Some(true);
        cfg.nonce_ttl_secs = Some(nonce_ttl_secs);
    })
    .await
}

/// The SIWE `Nonce` line of a message the wallet signed.
fn nonce_of(siwe: &str) -> String {
    siwe.lines()
        .find_map(|l| l.strip_prefix("Nonce: "))
        .expect("nonce line")
        .to_owned()
}

/// Every node's answer to `POST /v1/authorize` with its own SessionSig: the node codes of
/// the refusals, `None` for an acceptance.
async fn answers(
    client: &reqwest::Client,
    urls: &[String],
    sigs: &sessionsig::session::SessionSigs,
) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for u in urls {
        let sig: &SessionSig = sigs.get(u).expect("a SessionSig per node");
        out.push(match authorize(client, u, sig, None, TIMEOUT).await {
            Ok(reply) => {
                assert_eq!(reply.status, 200);
                None
            }
            Err(ClientError::NodeRefused { code, .. }) => Some(code),
            Err(e) => panic!("{e}"),
        });
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_manager_signs_with_the_network_nonce_a_node_requires() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (urls, _stop) = nodes(dir.path(), 600).await;
    let client = reqwest::Client::new();
    let w = Counting::new(wallet(7));
    let store = std::sync::Arc::new(MemoryStore::new());
    let request = SessionRequest::new(vec![pkp("1")]);

    // Without a handshake the client knows nothing of the rule: a random nonce, refused by
    // every node with the node's own code, read from the shared error body.
    let blind = SessionManager::new(
        w.clone(),
        store.clone(),
        NodeSet::new(urls.iter().cloned()).expect("nodes"),
    );
    let sigs = blind.session_sigs(&request).await.expect("sigs");
    assert_eq!(w.count(), 1);
    assert_eq!(nonce_of(&w.last_message().expect("signed")).len(), 32);
    assert_eq!(
        answers(&client, &urls, &sigs).await,
        vec![Some("nonce_invalid".to_owned()); 2]
    );

    // After the handshake the manager knows the network requires its nonce: the stored
    // AuthSig (random nonce) is not reused, the wallet signs once with the handshake's nonce,
    // and every node accepts.
    let m = SessionManager::new(w.clone(), store.clone(), NodeSet::empty());
    let hs = m
        .refresh_nodes(&client, &urls[..1], TIMEOUT)
        .await
        .expect("handshake");
    let rule = hs.nonce_rule.expect("the node requires its nonce");
    assert_eq!(rule.max_age, sessionsig::time::Duration::days(1));
    assert_eq!(m.nodes().urls(), urls.as_slice());
    let sigs = m.session_sigs(&request).await.expect("sigs");
    assert_eq!(w.count(), 2);
    assert_eq!(w.last_reason(), Some(ResignReason::NetworkNonce));
    assert_eq!(nonce_of(&w.last_message().expect("signed")), hs.nonce);
    assert_eq!(answers(&client, &urls, &sigs).await, vec![None, None]);

    // The stored AuthSig now satisfies the rule: reused, no prompt, still accepted.
    let sigs = m.session_sigs(&request).await.expect("sigs");
    assert_eq!(w.count(), 2);
    assert_eq!(answers(&client, &urls, &sigs).await, vec![None, None]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_handshake_nonce_is_refreshed_before_the_wallet_signs() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Nonces stay fresh for one second: the manager's handshake nonce expires quickly.
    let (urls, _stop) = nodes(dir.path(), 1).await;
    let client = reqwest::Client::new();
    let w = Counting::new(wallet(8));
    let m = SessionManager::new(w.clone(), MemoryStore::new(), NodeSet::empty());
    let first = m
        .refresh_nodes(&client, &urls, TIMEOUT)
        .await
        .expect("handshake");
    let sigs = m
        .session_sigs(&SessionRequest::new(vec![pkp("1")]))
        .await
        .expect("sigs");
    assert_eq!(answers(&client, &urls, &sigs).await, vec![None, None]);

    // The caller narrows the node set to one node (keeping the network's rule).
    let rule = first.nonce_rule.expect("rule");
    m.set_nodes(
        NodeSet::new(urls[..1].iter().cloned())
            .expect("nodes")
            .with_nonce_rule(rule),
    );

    // Wait for the handshake's nonce to expire, then ask for something new: the wallet must
    // sign again, and the manager asks the network for a fresh nonce first — keeping the
    // node set the caller chose.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let sigs = m
        .session_sigs(&SessionRequest::new(vec![pkp("2")]))
        .await
        .expect("sigs");
    assert_eq!(w.count(), 2);
    let second = nonce_of(&w.last_message().expect("signed"));
    assert_ne!(second, first.nonce);
    assert_eq!(sigs.len(), 1);
    assert_eq!(m.nodes().urls(), &urls[..1]);
    assert_eq!(answers(&client, &urls[..1], &sigs).await, vec![None]);

    // A node set given by hand for such a network, with no handshake to repeat, cannot sign:
    // a typed error before any prompt.
    let by_hand = SessionManager::new(
        w.clone(),
        MemoryStore::new(),
        NodeSet::new(urls.iter().cloned())
            .expect("nodes")
            .with_nonce_rule(rule),
    );
    let e = by_hand
        .session_sigs(&SessionRequest::new(vec![pkp("3")]))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "no_network_nonce");
    assert_eq!(w.count(), 2);
}
