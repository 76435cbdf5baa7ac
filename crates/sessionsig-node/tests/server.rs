//! The accept loop's limits over a real socket (in process): request head size, a client that
//! trickles its head, a chunked body over the limit, keep-alive, graceful shutdown.

mod common;

use common::*;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Ask the server to stop, and wait (at most 10 s) until it has.
async fn stop_and_join(stop: tokio::sync::oneshot::Sender<()>, task: tokio::task::JoinHandle<()>) {
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("stops")
        .expect("join");
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

    stop_and_join(stop, task).await;
}

#[tokio::test]
async fn a_client_that_trickles_its_head_is_dropped() {
    let (addr, stop, task, _dir) = start(|c| c.limits.header_read_timeout_ms = 300).await;
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    // The node closes the connection itself; without a header timeout it would stay open
    // and the guard (100 times the node's timeout) would trip.
    let r = tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut buf)).await;
    assert!(r.is_ok(), "connection still open after 30 s");
    assert!(!String::from_utf8_lossy(&buf).contains("200 OK"));
    stop_and_join(stop, task).await;
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

/// `POST /v1/revocations` with `body`, over a connection from the local address `from`
/// (any 127.0.0.0/8 address is the loopback on Linux): (status, head, body).
async fn post_revocation_from(from: &str, addr: SocketAddr, body: &str) -> (u16, String, String) {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(format!("{from}:0").parse().expect("from"))
        .expect("bind the client address");
    let mut s = socket.connect(addr).await.expect("connect");
    let req = format!(
        "POST /v1/revocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .expect("answered")
        .expect("read");
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("head");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    (status, head.to_ascii_lowercase(), body.to_owned())
}

fn throwaway_revocation(n: u8) -> String {
    let key = sessionsig::session::SessionKeyPair::generate();
    let target = sessionsig::auth_sig::RevocationTarget::SessionKey(key.public_hex());
    serde_json::to_string(&revocation(&wallet(0x60 + n), &target)).expect("json")
}

#[tokio::test]
async fn revocations_are_rate_limited_per_peer_address_on_the_wire() {
    let clock = ManualClock::now_real();
    let (addr, stop, task, _dir) = start_with(
        |c| {
            c.limits.revocation_burst = 2;
            c.limits.revocation_rate_per_minute = 60;
        },
        clock.clone(),
    )
    .await;
    // Two from 127.0.0.1 (two connections): accepted; the third: 429.
    for i in 0..2 {
        let (status, _, body) =
            post_revocation_from("127.0.0.1", addr, &throwaway_revocation(i)).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, head, body) =
        post_revocation_from("127.0.0.1", addr, &throwaway_revocation(2)).await;
    assert_eq!(status, 429, "{body}");
    assert!(head.contains("\r\nretry-after: 1\r\n"), "{head}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("JSON error");
    assert_eq!(v["code"], "rate_limited");
    // Another peer address is not affected.
    let (status, _, body) = post_revocation_from("127.0.0.2", addr, &throwaway_revocation(3)).await;
    assert_eq!(status, 201, "{body}");
    // After one refill interval, 127.0.0.1 may post one more.
    clock.advance(sessionsig::time::Duration::seconds(1));
    let (status, _, body) = post_revocation_from("127.0.0.1", addr, &throwaway_revocation(4)).await;
    assert_eq!(status, 201, "{body}");
    let (status, _, _) = post_revocation_from("127.0.0.1", addr, &throwaway_revocation(5)).await;
    assert_eq!(status, 429);

    stop_and_join(stop, task).await;
}
