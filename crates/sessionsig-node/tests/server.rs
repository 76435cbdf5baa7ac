//! The accept loop's limits over a real socket (in process): request head size, a client that
//! trickles its head, a chunked body over the limit, keep-alive, graceful shutdown.

mod common;

use common::*;
use sessionsig::time::SystemClock;
use sessionsig_node::config::NodeConfig;
use sessionsig_node::store::Stores;
use sessionsig_node::Node;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn start(
    tweak: impl FnOnce(&mut NodeConfig),
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
    let node = Node::bind_with(settings, Stores::memory(), Arc::new(SystemClock))
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

async fn exchange(addr: SocketAddr, raw: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(raw).await.expect("write");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn head_and_body_limits_on_the_wire() {
    let (addr, stop, task, _dir) = start(|c| {
        c.limits.max_header_bytes = 16 * 1024;
        c.limits.max_body_bytes = 4096;
    })
    .await;
    // A 20 KiB header: 431 from the HTTP layer, connection closed.
    let big = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(20 * 1024)
    );
    let r = exchange(addr, big.as_bytes()).await;
    assert!(r.starts_with("HTTP/1.1 431"), "{r}");

    // A chunked body that grows past the limit: 413 with the JSON error.
    let mut req = String::from(
        "POST /v1/authorize HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    );
    for _ in 0..6 {
        req.push_str(&format!("400\r\n{}\r\n", "x".repeat(1024)));
    }
    req.push_str("0\r\n\r\n");
    let r = exchange(addr, req.as_bytes()).await;
    assert!(r.starts_with("HTTP/1.1 413"), "{r}");
    assert!(r.contains("\"code\":\"payload_too_large\""), "{r}");

    // A declared Content-Length over the limit is refused before reading.
    let r = exchange(
        addr,
        b"POST /v1/authorize HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 999999\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(r.starts_with("HTTP/1.1 413"), "{r}");

    // Keep-alive: two requests on one connection.
    let r = exchange(
        addr,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(r.matches("HTTP/1.1 200").count(), 2, "{r}");

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("stops")
        .expect("join");
}

#[tokio::test]
async fn a_client_that_trickles_its_head_is_dropped() {
    let (addr, stop, task, _dir) = start(|c| c.limits.header_read_timeout_ms = 300).await;
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    let started = std::time::Instant::now();
    let r = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    assert!(r.is_ok(), "connection still open after 5 s");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(!String::from_utf8_lossy(&buf).contains("200 OK"));
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("stops")
        .expect("join");
}

#[tokio::test]
async fn shutdown_waits_for_the_request_in_flight_then_closes() {
    let (addr, stop, task, _dir) = start(|_| {}).await;
    let url = format!("http://{addr}");
    let (_, _, sigs) = user_session(&wallet(0x31), std::slice::from_ref(&url));
    let body = serde_json::json!({"sessionSig": serde_json::to_value(sigs.get(&url).expect("s")).expect("v")}).to_string();
    let (a, b) = body.as_bytes().split_at(body.len() / 2);
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST /v1/authorize HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.expect("head");
    s.write_all(a).await.expect("a");
    tokio::time::sleep(Duration::from_millis(100)).await;
    // An idle keep-alive connection is closed by the shutdown.
    let mut idle = TcpStream::connect(addr).await.expect("idle");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("idle req");
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).await.expect("idle answer");
    let _ = stop.send(());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !task.is_finished(),
        "the server must wait for the request in flight"
    );
    s.write_all(b).await.expect("b");
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .expect("answered")
        .expect("read");
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("stops once idle")
        .expect("join");
    let mut rest = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(5), idle.read_to_end(&mut rest))
        .await
        .expect("idle closed");
    assert!(n.is_ok());
}
