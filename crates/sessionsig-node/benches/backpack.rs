//! Backpack throughput with session auth against the same node with auth off, and the node's
//! peak memory for a 1 GiB streamed upload and download; real node processes on loopback.
//!
//! ```sh
//! cargo bench -p sessionsig-node --bench backpack                      # defaults below
//! cargo bench -p sessionsig-node --bench backpack -- --store postgres --connections 16 \
//!     --small 4000 --large 160 --rounds 6 --huge-mib 1024 --node-threads 2 --get-passes 10
//! ```
//!
//! * The node is this crate's `sessionsig-node` binary (release profile under `cargo bench`),
//!   started as `node --worker-threads <node-threads>` on a free loopback port with a fresh
//!   store: `--store sqlite` (a SQLite file, the default deployment) or `--store postgres`
//!   (`postgres://127.0.0.1:5432/test`, a schema of its own, dropped afterwards). Object bytes
//!   go to the local disk (temp file, fsync, rename), as by default.
//! * "auth on": every request carries the session's `Authorization: SessionSig` (one warm
//!   session with `backpack/*` on the owner's whole backpack); every PUT also carries an RFC 9421
//!   signature by the session key with a fresh nonce (recorded in the replay table) and
//!   `Content-Digest`. The signed requests are prepared before the clock starts (signing is the
//!   client's cost, not the node's), within the node's ±60 s signature window.
//!   "auth off": the same node binary with `--no-verify --insecure-no-verify`, the same requests
//!   without `Authorization` and signatures (`Content-Digest` is still checked).
//! * Operations, each a closed loop over `--connections` keep-alive HTTP/1.1 connections from
//!   one generator thread: PUT of `--small` 4 KiB objects (over 256 paths, so most replace),
//!   GET of those, PUT of `--large` 4 MiB objects (over 16 paths), GET of those. Every answer
//!   must be 200/201 with the right length; anything else is counted and reported.
//!   The 4 KiB GET operation reads every object `--get-passes` times (default 10: 40,000
//!   requests, about a second; one pass is over in ≈ 0.1 s, too short to measure). Each
//!   operation starts after a `sync` (no dirty pages left from the one before) and is
//!   measured `--rounds` times (default 6), alternating the two nodes (and which goes first),
//!   and the best round of each is kept, so a burst of noise on this shared 2-core machine
//!   does not decide a ratio. Why 6: in `--control` runs (two identical auth-off nodes) the
//!   best of 3 still put the 4 MiB ratios anywhere in 0.96–1.17 (the disk's `fsync` times);
//!   the best of 6 comes closer to each node's capacity.
//! * `--control`: both nodes without auth, sent the same requests (an A/A run): how far the
//!   ratios move when nothing differs but which node is which.
//! * 1 GiB: a fresh auth-on node, one signed PUT of `--huge-mib` MiB streamed from a generator
//!   (digest computed beforehand), then one GET read and hashed as it arrives (the digest must
//!   match); the node's resident set before, and its peak (`VmHWM`) after each.

use sessionsig::auth_sig::{AuthSig, SiweRecapParams};
use sessionsig::lit::{LitAbility, LitResource, ResourceAbilityRequest};
use sessionsig::recap::{Capability, Caveat};
use sessionsig::session::{SessionKeyPair, SessionSig, SessionSigParams, WireFormat};
use sessionsig::time::{Duration as TDuration, OffsetDateTime, Timestamp};
use sessionsig::wallet::{LocalWallet, WalletSigner};
use sessionsig_backpack::httpsig::{new_nonce, sign_backpack_request};
use sessionsig_backpack::{ContentDigest, DigestHasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod common;
use common::{cpu_secs, free_port, read_head, rss_kib, NodeProc};

const BIN: &str = env!("CARGO_BIN_EXE_sessionsig-node");
const SMALL: usize = 4 * 1024;
const LARGE: usize = 4 * 1024 * 1024;
const PG_URL: &str = "postgres://127.0.0.1:5432/test";

#[derive(Debug, Clone)]
struct Opts {
    connections: usize,
    small: usize,
    large: usize,
    rounds: usize,
    huge_mib: usize,
    node_threads: usize,
    get_passes: usize,
    store: String,
    /// Both nodes without auth: the bench's own noise floor (an A/A comparison).
    control: bool,
}

fn parse_args() -> Result<Opts, String> {
    let mut o = Opts {
        connections: 16,
        small: 4000,
        large: 160,
        rounds: 6,
        huge_mib: 1024,
        node_threads: 2,
        get_passes: 10,
        control: false,
        store: "sqlite".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = |name: &str| -> Result<usize, String> {
            args.next()
                .ok_or(format!("{name} needs a value"))?
                .parse()
                .map_err(|e| format!("{name}: {e}"))
        };
        match a.as_str() {
            "--connections" => o.connections = num("--connections")?,
            "--small" => o.small = num("--small")?,
            "--large" => o.large = num("--large")?,
            "--rounds" => o.rounds = num("--rounds")?,
            "--huge-mib" => o.huge_mib = num("--huge-mib")?,
            "--node-threads" => o.node_threads = num("--node-threads")?,
            "--get-passes" => o.get_passes = num("--get-passes")?,
            "--control" => o.control = true,
            "--store" => o.store = args.next().ok_or("--store needs a value")?,
            "--bench" => {} // passed by `cargo bench`
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if !(1..=256).contains(&o.connections)
        || !(1..=100_000).contains(&o.small)
        || !(1..=10_000).contains(&o.large)
        || !(1..=20).contains(&o.rounds)
        || o.huge_mib > 8192
        || !(1..=100).contains(&o.get_passes)
    {
        return Err(
            "--connections 1..=256, --small 1..=100000, --large 1..=10000, --rounds 1..=20, --huge-mib 0..=8192, --get-passes 1..=100"
                .into(),
        );
    }
    if !["sqlite", "postgres"].contains(&o.store.as_str()) {
        return Err("--store sqlite|postgres".into());
    }
    Ok(o)
}

/// A node with its own store; a PostgreSQL schema is dropped with it.
struct Node {
    proc_: Option<NodeProc>,
    port: u16,
    schema: Option<String>,
}

impl Node {
    fn start(o: &Opts, auth: bool) -> Result<Node, String> {
        let port = free_port();
        let mut args: Vec<String> = vec![
            "--worker-threads".into(),
            o.node_threads.to_string(),
            "--max-concurrency".into(),
            "4096".into(),
        ];
        let schema = (o.store == "postgres").then(|| {
            format!(
                "bench_backpack_{}_{}",
                std::process::id(),
                common::free_port()
            )
        });
        match &schema {
            Some(s) => args.extend([
                "--store".into(),
                PG_URL.into(),
                "--store-schema".into(),
                s.clone(),
            ]),
            None => args.extend(["--store".into(), "sqlite://{dir}/bench.db".into()]),
        }
        if !auth {
            args.extend(["--no-verify".into(), "--insecure-no-verify".into()]);
        }
        let proc_ = common::start_node(BIN, port, &args)?;
        Ok(Node {
            proc_: Some(proc_),
            port,
            schema,
        })
    }

    fn pid(&self) -> u32 {
        self.proc_.as_ref().map(|p| p.child.id()).unwrap_or(0)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        drop(self.proc_.take());
        if let Some(schema) = &self.schema {
            let schema = schema.clone();
            // The synchronous driver runs its own runtime: keep it off any async thread.
            let _ = std::thread::spawn(move || {
                if let Ok(mut c) = postgres::Client::connect(PG_URL, postgres::NoTls) {
                    let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
                }
            })
            .join();
        }
    }
}

/// The bench's user: a wallet and one session key with `backpack/*` on the whole backpack.
struct Session {
    owner: String,
    key: SessionKeyPair,
    wallet: LocalWallet,
}

impl Session {
    fn new() -> Session {
        let wallet = LocalWallet::from_bytes(&[0x42; 32]).expect("wallet");
        Session {
            owner: format!("{:#x}", wallet.address()),
            key: SessionKeyPair::generate(),
            wallet,
        }
    }

    /// The SessionSig for the node at `url`.
    fn session_sig(&self, url: &str) -> SessionSig {
        let now = OffsetDateTime::now_utc();
        let resource = format!("backpack://{}/", self.owner);
        let mut grant = Capability::new();
        grant
            .add_ability(&resource, "backpack/*", vec![Caveat::new()])
            .expect("grant");
        let auth = AuthSig::create(
            &self.wallet,
            &SiweRecapParams {
                domain: "localhost".into(),
                uri: SiweRecapParams::session_uri(&self.key.public_hex()),
                statement: None,
                nonce: "benchbackpack01".into(),
                chain_id: 1,
                issued_at: Timestamp::from_instant(now - TDuration::minutes(1)),
                expiration: Some(Timestamp::from_instant(now + TDuration::hours(2))),
                not_before: None,
                capability: grant,
            },
        )
        .expect("auth sig");
        let reqs = [ResourceAbilityRequest::new(
            LitResource::parse(&resource).expect("resource"),
            LitAbility::BackpackAll,
        )
        .expect("request")];
        self.key
            .sign_session_sigs(
                &SessionSigParams {
                    requests: &reqs,
                    capabilities: &[auth],
                    issued_at: now - TDuration::seconds(5),
                    expiration: now + TDuration::hours(1),
                    format: WireFormat::V7,
                },
                &[url],
            )
            .expect("session sigs")
            .get(url)
            .expect("entry")
            .clone()
    }
}

/// How requests are authenticated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Auth {
    On,
    Off,
}

/// One request's head, ready to write, and the body size that follows it.
struct Head {
    bytes: Vec<u8>,
    body: usize,
    /// The answer's body length to expect (GET), or none to check (PUT).
    expect_len: Option<usize>,
}

/// The head of `method path` on the node, with the SessionSig and (for a PUT, auth on) an
/// RFC 9421 signature made now.
fn head(
    port: u16,
    method: &str,
    path: &str,
    body: Option<(usize, &ContentDigest)>,
    auth: Option<(&str, &SessionKeyPair)>,
) -> Vec<u8> {
    let authority = format!("127.0.0.1:{port}");
    let mut req = http::Request::builder()
        .method(method)
        .uri(format!("http://{authority}{path}"))
        .body(())
        .expect("request");
    let h = req.headers_mut();
    if let Some((len, digest)) = body {
        h.insert("content-length", len.into());
        h.insert(
            "content-digest",
            http::HeaderValue::from_str(&digest.header_value()).expect("digest"),
        );
        h.insert(
            "content-type",
            http::HeaderValue::from_static("application/octet-stream"),
        );
    }
    if let Some((authorization, key)) = auth {
        h.insert(
            "authorization",
            http::HeaderValue::from_str(authorization).expect("authorization"),
        );
        if method == "PUT" {
            sign_backpack_request(&mut req, key, OffsetDateTime::now_utc(), &new_nonce())
                .expect("sign");
        }
    }
    let mut out = format!("{method} {path} HTTP/1.1\r\nhost: {authority}\r\n");
    for (k, v) in req.headers() {
        out.push_str(k.as_str());
        out.push_str(": ");
        out.push_str(v.to_str().expect("ascii"));
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// A body of `len` bytes, distinct per `seed`.
fn body_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// What one operation is: its requests and its body.
struct Op {
    name: &'static str,
    heads: Vec<Head>,
    body: Arc<Vec<u8>>,
}

/// The four operations against the node on `port`; PUT requests are signed now.
fn ops(o: &Opts, port: u16, auth: Auth, s: &Session, authorization: &str) -> Vec<Op> {
    let key = (auth == Auth::On).then_some((authorization, &s.key));
    let mut out = Vec::new();
    for (name_put, name_get, size, count, paths) in [
        ("PUT 4 KiB", "GET 4 KiB", SMALL, o.small, 256usize),
        ("PUT 4 MiB", "GET 4 MiB", LARGE, o.large, 16usize),
    ] {
        let body = Arc::new(body_bytes(size, size as u64));
        let digest = ContentDigest::of(&body);
        let path = |i: usize| format!("/v1/backpack/{}/bench/{size}/{}", s.owner, i % paths);
        let puts = (0..count)
            .map(|i| Head {
                bytes: head(port, "PUT", &path(i), Some((size, &digest)), key),
                body: size,
                expect_len: None,
            })
            .collect();
        let passes = if size == SMALL { o.get_passes } else { 1 };
        let gets = (0..count * passes)
            .map(|i| Head {
                bytes: head(port, "GET", &path(i), None, key),
                body: 0,
                expect_len: Some(size),
            })
            .collect();
        out.push(Op {
            name: name_put,
            heads: puts,
            body: body.clone(),
        });
        out.push(Op {
            name: name_get,
            heads: gets,
            body,
        });
    }
    out
}

/// Send one request and read its answer, passing body bytes of the answer to `sink`.
async fn round_trip(
    s: &mut TcpStream,
    head: &Head,
    body: &[u8],
    buf: &mut Vec<u8>,
    mut sink: impl FnMut(&[u8]),
) -> Result<u16, String> {
    s.write_all(&head.bytes).await.map_err(|e| e.to_string())?;
    if head.body > 0 {
        s.write_all(&body[..head.body])
            .await
            .map_err(|e| e.to_string())?;
    }
    let (status, len, start) = read_head(s, buf).await?;
    let len = len.unwrap_or(0);
    if let Some(want) = head.expect_len {
        if status == 200 && len != want {
            return Err(format!("answer of {len} bytes, expected {want}"));
        }
    }
    let mut got = buf.len() - start;
    sink(&buf[start..]);
    let mut chunk = vec![0u8; 64 * 1024];
    while got < len {
        let n = s.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed in the body".into());
        }
        sink(&chunk[..n]);
        got += n;
    }
    if got != len {
        return Err("answer longer than its Content-Length".into());
    }
    Ok(status)
}

/// One measured run of `op`: every request once, over the connections.
#[derive(Debug, Default, Clone, Copy)]
struct Run {
    requests: usize,
    failed: usize,
    elapsed: Duration,
    node_cpu: f64,
}

impl Run {
    fn per_sec(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

async fn run_op(port: u16, pid: u32, op: &Op, connections: usize) -> Run {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let next = Arc::new(AtomicUsize::new(0));
    let heads: Arc<Vec<Head>> = Arc::new(op.heads.iter().map(clone_head).collect());
    let cpu0 = cpu_secs(pid);
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let (next, heads, body) = (next.clone(), heads.clone(), op.body.clone());
        set.spawn_local(async move {
            let (mut ok, mut failed) = (0usize, 0usize);
            let Ok(mut s) = TcpStream::connect(addr).await else {
                return (0, 1);
            };
            let _ = s.set_nodelay(true);
            let mut buf = Vec::with_capacity(64 * 1024);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(h) = heads.get(i) else { break };
                let answer = tokio::time::timeout(
                    Duration::from_secs(30),
                    round_trip(&mut s, h, &body, &mut buf, |_| {}),
                )
                .await;
                match answer {
                    Ok(Ok(200 | 201)) => ok += 1,
                    other => {
                        failed += 1;
                        if failed <= 3 {
                            eprintln!("  failed: {other:?} {}", String::from_utf8_lossy(&buf));
                        }
                        match TcpStream::connect(addr).await {
                            Ok(n) => s = n,
                            Err(_) => break,
                        }
                    }
                }
            }
            (ok, failed)
        });
    }
    let mut run = Run::default();
    while let Some(r) = set.join_next().await {
        if let Ok((ok, failed)) = r {
            run.requests += ok;
            run.failed += failed;
        }
    }
    run.elapsed = start.elapsed();
    run.node_cpu = cpu_secs(pid) - cpu0;
    run
}

fn clone_head(h: &Head) -> Head {
    Head {
        bytes: h.bytes.clone(),
        body: h.body,
        expect_len: h.expect_len,
    }
}

/// The best round of each operation, for each mode.
fn throughput(o: &Opts, rt: &tokio::runtime::Runtime) -> Result<(), String> {
    let s = Session::new();
    // `--control`: the "auth on" node runs and is sent exactly what the other one is.
    let on = Node::start(o, !o.control)?;
    let off = Node::start(o, false)?;
    let on_mode = if o.control { Auth::Off } else { Auth::On };
    let authorization =
        sessionsig_node::auth::authorization_value(&s.session_sig(&url_of(on.port)));
    let names = [
        ("PUT 4 KiB", SMALL),
        ("GET 4 KiB", SMALL),
        ("PUT 4 MiB", LARGE),
        ("GET 4 MiB", LARGE),
    ];
    let mut best: Vec<[Option<Run>; 2]> = vec![[None, None]; names.len()];
    let local = tokio::task::LocalSet::new();
    for round in 0..o.rounds {
        // Alternate which node goes first, so neither always runs after the other's writes.
        let mut order = [(0usize, &on, on_mode), (1, &off, Auth::Off)];
        if round % 2 == 1 {
            order.reverse();
        }
        for (m, node, auth) in order {
            // Signed now, so every signature is inside the node's window when it arrives.
            let ops = ops(o, node.port, auth, &s, &authorization);
            for (k, op) in ops.iter().enumerate() {
                // Every operation starts with the disk's dirty pages written out, so one
                // node's writes are not flushed on the other's time.
                let _ = std::process::Command::new("sync").status();
                let r = local.block_on(rt, run_op(node.port, node.pid(), op, o.connections));
                // The end as Unix time, so a profiler's samples (`perf record -k realtime`)
                // can be cut to one operation (`perf script --time`).
                let ended = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0.0, |d| d.as_secs_f64());
                eprintln!(
                    "  round {} {:<9} {}: {} ok, {} failed, {:.2} s, ended at {ended:.6}",
                    round + 1,
                    op.name,
                    if m == 0 { "auth on " } else { "auth off" },
                    r.requests,
                    r.failed,
                    r.elapsed.as_secs_f64()
                );
                if r.failed > 0 {
                    return Err(format!(
                        "{} ({}): {} failed",
                        op.name,
                        ["auth on", "auth off"][m],
                        r.failed
                    ));
                }
                let slot = &mut best[k][m];
                if slot.is_none_or(|b| r.per_sec() > b.per_sec()) {
                    *slot = Some(r);
                }
            }
        }
    }
    println!("| operation | auth on: req/s | MiB/s | node CPU µs/req | auth off: req/s | MiB/s | node CPU µs/req | on / off | goal |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for (k, (name, size)) in names.iter().enumerate() {
        let (Some(a), Some(b)) = (best[k][0], best[k][1]) else {
            continue;
        };
        let mib = |r: &Run| r.per_sec() * *size as f64 / (1024.0 * 1024.0);
        let cpu = |r: &Run| r.node_cpu * 1e6 / r.requests.max(1) as f64;
        let goal = match *name {
            "GET 4 KiB" => "≥ 0.80",
            "GET 4 MiB" | "PUT 4 MiB" => "≥ 0.95",
            _ => "",
        };
        println!(
            "| {name} | {:.0} | {:.1} | {:.0} | {:.0} | {:.1} | {:.0} | **{:.2}** | {goal} |",
            a.per_sec(),
            mib(&a),
            cpu(&a),
            b.per_sec(),
            mib(&b),
            cpu(&b),
            a.per_sec() / b.per_sec()
        );
    }
    Ok(())
}

fn url_of(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

/// One signed streamed PUT of `mib` MiB and its GET back, on a fresh auth-on node.
fn huge(o: &Opts, rt: &tokio::runtime::Runtime) -> Result<(), String> {
    if o.huge_mib == 0 {
        return Ok(());
    }
    let s = Session::new();
    let node = Node::start(o, true)?;
    let pid = node.pid();
    let authorization =
        sessionsig_node::auth::authorization_value(&s.session_sig(&url_of(node.port)));
    // 1 MiB blocks, each distinct: the digest first, then the same bytes again on the wire.
    let block = |i: usize| {
        let mut b = body_bytes(1024 * 1024, 7);
        b[..8].copy_from_slice(&(i as u64).to_be_bytes());
        b
    };
    let total = o.huge_mib * 1024 * 1024;
    let mut hasher = DigestHasher::new();
    for i in 0..o.huge_mib {
        hasher.update(&block(i));
    }
    let digest = hasher.finish();
    let path = format!("/v1/backpack/{}/bench/huge", s.owner);
    let put = Head {
        bytes: head(
            node.port,
            "PUT",
            &path,
            Some((total, &digest)),
            Some((&authorization, &s.key)),
        ),
        body: 0,
        expect_len: None,
    };
    let get = Head {
        bytes: head(
            node.port,
            "GET",
            &path,
            None,
            Some((&authorization, &s.key)),
        ),
        body: 0,
        expect_len: Some(total),
    };
    let (_, rss_before) = rss_kib(pid);
    let result = rt.block_on(async {
        let mut c = TcpStream::connect(("127.0.0.1", node.port))
            .await
            .map_err(|e| e.to_string())?;
        let t = Instant::now();
        c.write_all(&put.bytes).await.map_err(|e| e.to_string())?;
        for i in 0..o.huge_mib {
            c.write_all(&block(i)).await.map_err(|e| e.to_string())?;
        }
        let mut buf = Vec::new();
        let (status, len, start) = read_head(&mut c, &mut buf).await?;
        let len = len.unwrap_or(0);
        while buf.len() < start + len {
            let mut chunk = [0u8; 4096];
            let n = c.read(&mut chunk).await.map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        if status != 201 && status != 200 {
            return Err(format!(
                "PUT answered {status}: {}",
                String::from_utf8_lossy(&buf)
            ));
        }
        let up = t.elapsed();
        let (peak_up, _) = rss_kib(pid);
        let t = Instant::now();
        let mut hasher = DigestHasher::new();
        let status = round_trip(&mut c, &get, &[], &mut buf, |b| hasher.update(b)).await?;
        let down = t.elapsed();
        if status != 200 {
            return Err(format!("GET answered {status}"));
        }
        if hasher.bytes_hashed() != total as u64 || hasher.finish() != digest {
            return Err("the object read back differs from the one written".into());
        }
        let (peak_down, _) = rss_kib(pid);
        Ok::<_, String>((up, peak_up, down, peak_down))
    })?;
    let (up, peak_up, down, peak_down) = result;
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!();
    println!(
        "| {} MiB object, auth on | time | MiB/s | node RSS before MiB | node peak RSS after MiB |",
        o.huge_mib
    );
    println!("|---|---|---|---|---|");
    println!(
        "| signed streamed PUT | {:.1} s | {:.0} | {:.1} | {:.1} |",
        up.as_secs_f64(),
        o.huge_mib as f64 / up.as_secs_f64(),
        mib(rss_before),
        mib(peak_up)
    );
    println!(
        "| GET (read back, digest equal) | {:.1} s | {:.0} | | {:.1} |",
        down.as_secs_f64(),
        o.huge_mib as f64 / down.as_secs_f64(),
        mib(peak_down)
    );
    Ok(())
}

fn main() {
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("backpack bench: {e}");
            std::process::exit(2);
        }
    };
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    println!(
        "backpack: store {}, blobs on the local disk, {} keep-alive connections from 1 generator thread, node --worker-threads {}, best of {} rounds, 4 KiB GETs {} passes, {} CPUs",
        o.store, o.connections, o.node_threads, o.rounds, o.get_passes, cpus
    );
    if o.control {
        println!("--control: BOTH nodes run without auth; the \"auth on\" columns are a second auth-off node (the bench's own noise and bias)");
    }
    println!();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("backpack bench: {e}");
            std::process::exit(1);
        }
    };
    let mut failed = false;
    for step in [throughput, huge] {
        if let Err(e) = step(&o, &rt) {
            eprintln!("backpack bench: {e}");
            failed = true;
        }
    }
    if failed {
        std::process::exit(1);
    }
}
