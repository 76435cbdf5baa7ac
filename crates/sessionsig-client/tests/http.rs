//! Handshake and fan-out against tiny axum nodes on loopback. Each node verifies the
//! SessionSig it receives with the core verifier, for its own URL.

mod common;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use common::*;
use serde_json::{json, Map, Value};
use sessionsig::time::{to_iso_string, Duration, SystemClock};
use sessionsig::verify::{Policy, Request, UnverifiedSessionSig, Verifier};
use sessionsig_client::{FanOut, MemoryStore, NodeSet, SessionManager, SessionRequest, Threshold};
use std::sync::Arc;

#[derive(Clone, Copy, PartialEq)]
enum Behaviour {
    Good,
    Slow,
    Broken,
}

struct Node {
    url: String,
    all: Vec<String>,
    behaviour: Behaviour,
    nonce: String,
}

async fn handshake(State(n): State<Arc<Node>>) -> Json<Value> {
    Json(json!({
        "nodeUrl": n.url,
        "nodeVersion": "0.1.0-test",
        "nodes": n.all,
        "nonce": n.nonce,
        "nonceExpiresAt": to_iso_string(time::OffsetDateTime::now_utc() + Duration::minutes(5)),
    }))
}

async fn echo(State(n): State<Arc<Node>>, Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
    match n.behaviour {
        // Never answers: a client that waited for it would wait until its own timeout.
        Behaviour::Slow => std::future::pending::<()>().await,
        Behaviour::Broken => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"error": "boom"})),
            )
        }
        Behaviour::Good => {}
    }
    let verifier = Verifier::new(&n.url, Policy::default(), SystemClock).unwrap();
    let verified = UnverifiedSessionSig::from_value(body["authSig"].clone())
        .and_then(|s| verifier.verify(&s, &Request::any()));
    match verified {
        Ok(v) => (
            StatusCode::OK,
            Json(json!({"node": n.url, "owner": v.owner().to_checksum(None), "x": body["x"]})),
        ),
        Err(e) => (StatusCode::UNAUTHORIZED, Json(json!({"error": e.code()}))),
    }
}

/// Start one node per behaviour; returns their URLs.
async fn start_nodes(behaviours: &[Behaviour]) -> Vec<String> {
    let mut listeners = Vec::new();
    for _ in behaviours {
        listeners.push(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap());
    }
    let urls: Vec<String> = listeners
        .iter()
        .map(|l| format!("http://{}", l.local_addr().unwrap()))
        .collect();
    for ((listener, url), b) in listeners.into_iter().zip(&urls).zip(behaviours) {
        let node = Arc::new(Node {
            url: url.clone(),
            all: urls.clone(),
            behaviour: *b,
            nonce: "0xfeedface00112233".into(),
        });
        let app = Router::new()
            .route("/v1/handshake", get(handshake))
            .route("/v1/echo", post(echo))
            .with_state(node);
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    }
    urls
}

fn manager(
    nodes: NodeSet,
) -> (
    SessionManager,
    Arc<Counting<sessionsig::wallet::LocalWallet>>,
) {
    let w = Counting::new(wallet(7));
    (SessionManager::new(w.clone(), MemoryStore::new(), nodes), w)
}

fn body() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("x".into(), json!(42));
    m
}

#[tokio::test]
async fn handshake_then_every_node_gets_its_own_signature() {
    use Behaviour::*;
    let urls = start_nodes(&[Good, Good, Good, Good, Good]).await;
    let client = reqwest::Client::new();
    let (set, hs) = NodeSet::handshake(&client, &urls[2..3], std::time::Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(hs.node_url, urls[2]);
    assert_eq!(hs.node_version, "0.1.0-test");
    assert_eq!(set.urls(), urls.as_slice());
    let (m, w) = manager(set);
    let sigs = m
        .session_sigs(&SessionRequest::new(vec![pkp("0x1")]))
        .await
        .unwrap();
    assert_eq!(sigs.len(), 5);
    // The AuthSig carries the network's nonce.
    let auth = &sessionsig::session::SessionSigMessage::parse(
        &sigs.iter().next().unwrap().1.signed_message,
    )
    .unwrap()
    .capabilities[0];
    assert!(
        auth.signed_message.contains("Nonce: 0xfeedface00112233"),
        "{}",
        auth.signed_message
    );

    let fan = FanOut::new(std::time::Duration::from_secs(2)).unwrap();
    let out = fan.post_json("/v1/echo", &body(), &sigs).await.unwrap();
    assert_eq!(out.replies.len(), 5);
    assert!(out.failures.is_empty());
    for r in &out.replies {
        assert_eq!(r.status, 200);
        assert_eq!(r.body["node"], r.node.as_str());
        assert_eq!(r.body["x"], 42);
    }
    // Through the manager: same session, no new prompt.
    let out = m
        .post_json(
            &SessionRequest::new(vec![pkp("0x1")]),
            &fan,
            "v1/echo",
            &body(),
        )
        .await
        .unwrap();
    assert_eq!(out.replies.len(), 5);
    assert_eq!(w.count(), 1);
}

#[tokio::test]
async fn a_node_refuses_another_nodes_signature() {
    use Behaviour::*;
    let urls = start_nodes(&[Good, Good]).await;
    let (m, _) = manager(NodeSet::new(urls.clone()).unwrap());
    let sigs = m
        .session_sigs(&SessionRequest::new(vec![pkp("0x1")]))
        .await
        .unwrap();
    // Replay node 0's signature against node 1.
    let mut swapped = sessionsig::session::SessionSigs::new();
    swapped.insert(urls[1].clone(), sigs.get(&urls[0]).unwrap().clone());
    let fan = FanOut::new(std::time::Duration::from_secs(2)).unwrap();
    let e = fan
        .post_json("/v1/echo", &body(), &swapped)
        .await
        .unwrap_err();
    match e {
        sessionsig_client::ClientError::ThresholdNotReached { failures, .. } => {
            assert_eq!(failures.len(), 1);
            assert!(
                failures[0].message.contains("wrong_node"),
                "{:?}",
                failures[0]
            );
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn threshold_timeouts_and_failures() {
    use Behaviour::*;
    let urls = start_nodes(&[Good, Slow, Good, Broken, Good]).await;
    let (m, _) = manager(NodeSet::new(urls.clone()).unwrap());
    let sigs = m
        .session_sigs(&SessionRequest::new(vec![pkp("0x1")]))
        .await
        .unwrap();
    // No wall-clock bound: the fan-out's own timeout is far longer than the guard around it,
    // so a fan-out that waited for the silent node would trip the guard and fail the test.
    let patient = std::time::Duration::from_secs(600);
    let guard = std::time::Duration::from_secs(60);

    // 3 of 5 are enough: the answer comes without waiting for the silent node.
    let fan = FanOut::new(patient)
        .unwrap()
        .threshold(Threshold::AtLeast(3));
    let out = tokio::time::timeout(guard, fan.post_json("/v1/echo", &body(), &sigs))
        .await
        .expect("answered without waiting for the silent node")
        .unwrap();
    assert_eq!(out.replies.len(), 3);
    assert!(out.replies.iter().all(|r| r.status == 200));

    // Everyone: fails once the threshold is out of reach (the broken node's 500), without
    // waiting for the silent node.
    let fan = FanOut::new(patient).unwrap();
    let e = tokio::time::timeout(guard, fan.post_json("/v1/echo", &body(), &sigs))
        .await
        .expect("failed without waiting for the silent node")
        .unwrap_err();
    assert_eq!(e.code(), "threshold_not_reached");
    let timeout = std::time::Duration::from_millis(300);
    // Two thirds of 5 = 4 needed, 3 good nodes: it fails as soon as the second node fails.
    let fan = FanOut::new(timeout)
        .unwrap()
        .threshold(Threshold::TwoThirds);
    match fan.post_json("/v1/echo", &body(), &sigs).await.unwrap_err() {
        sessionsig_client::ClientError::ThresholdNotReached {
            successes,
            needed,
            failures,
        } => {
            assert_eq!(needed, 4);
            assert!(successes <= 3);
            let mut codes: Vec<_> = failures.iter().map(|f| f.code).collect();
            codes.sort_unstable();
            assert_eq!(codes, ["http", "timeout"]);
            let slow = failures.iter().find(|f| f.code == "timeout").unwrap();
            assert_eq!(slow.node, urls[1]);
            let broken = failures.iter().find(|f| f.code == "http").unwrap();
            assert!(broken.message.contains("status 500"), "{}", broken.message);
        }
        other => panic!("{other}"),
    }
    // A threshold larger than the node set is a configuration error.
    let fan = FanOut::new(timeout)
        .unwrap()
        .threshold(Threshold::AtLeast(6));
    assert_eq!(
        fan.post_json("/v1/echo", &body(), &sigs)
            .await
            .unwrap_err()
            .code(),
        "invalid_config"
    );
}

#[tokio::test]
async fn handshake_falls_back_to_the_next_seed() {
    use Behaviour::*;
    let urls = start_nodes(&[Good, Good]).await;
    // A port nobody listens on.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let client = reqwest::Client::new();
    let t = std::time::Duration::from_secs(2);
    let (set, _) = NodeSet::handshake(&client, &[dead.clone(), urls[0].clone()], t)
        .await
        .unwrap();
    assert_eq!(set.len(), 2);
    let e = NodeSet::handshake(&client, std::slice::from_ref(&dead), t)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "handshake_failed");
    assert!(e.to_string().contains(&dead), "{e}");
    // A node answering something else than a handshake.
    let bad = format!("{}/v1/echo#", urls[0]);
    assert!(NodeSet::handshake(&client, &[bad], t).await.is_err());
    let none: [String; 0] = [];
    assert_eq!(
        NodeSet::handshake(&client, &none, t)
            .await
            .unwrap_err()
            .code(),
        "handshake_failed"
    );
    // Through the manager.
    let (m, _) = manager(NodeSet::empty());
    let hs = m.refresh_nodes(&client, &urls[1..], t).await.unwrap();
    assert_eq!(hs.nodes, urls);
    assert_eq!(m.nodes().urls(), urls.as_slice());
}
