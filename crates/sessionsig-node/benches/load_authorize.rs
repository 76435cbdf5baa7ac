//! Load run of `POST /v1/authorize` with warm sessions, against a real node process on
//! loopback: requests/s, p50/p99/max latency, the node's peak RSS; first with verification
//! on, then the same route with verification off (`--no-verify --insecure-no-verify`).
//!
//! ```sh
//! cargo bench -p sessionsig-node --bench load_authorize                 # defaults below
//! cargo bench -p sessionsig-node --bench load_authorize -- --duration 10 --connections 32 \
//!     --sessions 64 --node-threads 2 --store sqlite --mode both    # --blocking-threads N: node default
//! ```
//!
//! * The node is this crate's `sessionsig-node` binary (built by `cargo bench` with the
//!   release profile), started as `node --worker-threads <node-threads>` on a free loopback
//!   port with a fresh store (`--store sqlite`: a SQLite file in a temporary directory, the
//!   default deployment; `--store memory`: in-process maps).
//! * The load generator runs here on ONE thread (a current-thread runtime) with
//!   `--connections` keep-alive HTTP/1.1 connections, each sending the next request as soon as
//!   the previous answer is read (closed loop). On a 2-core machine the node and the generator
//!   share the cores: the figures are for that setup.
//! * Warm sessions: `--sessions` distinct session keys (one wallet each), every one verified
//!   once before measuring, so the AuthSig cache holds them (each request still costs the
//!   ed25519 verification, the parse, the time checks and the store's revocation query).
//! * Every answer must be 200; anything else is counted and reported.
//! * Also printed: an in-process calibration of this machine (the session key's ed25519 check,
//!   `SessionPublicKey::verify_strict`, and a warm `Verifier::verify`), and the node's CPU time
//!   per request over the measured interval
//!   (`/proc/<pid>/stat`), so runs on a noisy machine can be compared.
//! * Bounded: `--warmup` + `--duration` seconds per mode, connect and read timeouts of 10 s.

use sessionsig::lit::{LitAbility, LitResource};
use sessionsig::session::{SessionKeyPair, SessionSig};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

mod common;
use common::{cpu_secs, free_port, round_trip, rss_kib, NodeProc};

const BIN: &str = env!("CARGO_BIN_EXE_sessionsig-node");

#[derive(Debug, Clone)]
struct Opts {
    duration: u64,
    warmup: u64,
    connections: usize,
    sessions: usize,
    node_threads: usize,
    blocking_threads: usize,
    store: String,
    mode: String,
}

fn parse_args() -> Result<Opts, String> {
    let mut o = Opts {
        duration: 10,
        warmup: 2,
        connections: 32,
        sessions: 64,
        node_threads: 2,
        blocking_threads: 0,
        store: "sqlite".into(),
        mode: "both".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--duration" => o.duration = val("--duration")?.parse().map_err(|e| format!("{e}"))?,
            "--warmup" => o.warmup = val("--warmup")?.parse().map_err(|e| format!("{e}"))?,
            "--connections" => {
                o.connections = val("--connections")?.parse().map_err(|e| format!("{e}"))?
            }
            "--sessions" => o.sessions = val("--sessions")?.parse().map_err(|e| format!("{e}"))?,
            "--node-threads" => {
                o.node_threads = val("--node-threads")?.parse().map_err(|e| format!("{e}"))?
            }
            "--blocking-threads" => {
                o.blocking_threads = val("--blocking-threads")?
                    .parse()
                    .map_err(|e| format!("{e}"))?
            }
            "--store" => o.store = val("--store")?,
            "--mode" => o.mode = val("--mode")?,
            "--bench" => {} // passed by `cargo bench`
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if o.duration == 0 || o.duration > 300 || o.connections == 0 || o.connections > 1024 {
        return Err("--duration 1..=300, --connections 1..=1024".into());
    }
    if !["both", "verify", "no-verify"].contains(&o.mode.as_str()) {
        return Err("--mode both|verify|no-verify".into());
    }
    if !["sqlite", "memory"].contains(&o.store.as_str()) {
        return Err("--store sqlite|memory".into());
    }
    Ok(o)
}

fn start_node(o: &Opts, port: u16, verify: bool) -> Result<NodeProc, String> {
    let mut args: Vec<String> = vec![
        "--store".into(),
        match o.store.as_str() {
            "memory" => "memory:".to_owned(),
            _ => "sqlite://{dir}/load.db".to_owned(),
        },
        "--worker-threads".into(),
        o.node_threads.to_string(),
        "--max-concurrency".into(),
        "4096".into(),
    ];
    if o.blocking_threads > 0 {
        args.extend(["--blocking-threads".into(), o.blocking_threads.to_string()]);
    }
    if !verify {
        args.extend(["--no-verify".into(), "--insecure-no-verify".into()]);
    }
    common::start_node(BIN, port, &args)
}

/// One pre-built HTTP request per warm session.
fn requests(url: &str, n: usize) -> Vec<Vec<u8>> {
    requests_raw(url, n)
        .into_iter()
        .map(|(_, body)| {
            format!(
                "POST /v1/authorize HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
                url.trim_start_matches("http://"),
                body.len(),
                body
            )
            .into_bytes()
        })
        .collect()
}

/// `n` warm sessions: each one's SessionSig for `url` and the `/v1/authorize` body.
fn requests_raw(url: &str, n: usize) -> Vec<(SessionSig, String)> {
    common::session_sigs(url, n)
        .into_iter()
        .map(|sig| {
            let body = serde_json::json!({
                "sessionSig": serde_json::to_value(&sig).expect("json"),
                "resource": "lit-pkp://*",
                "ability": "pkp-signing",
            })
            .to_string();
            (sig, body)
        })
        .collect()
}

#[derive(Debug, Default)]
struct RunResult {
    requests: u64,
    errors: u64,
    non_200: u64,
    latencies_us: Vec<u32>,
    elapsed: Duration,
}

async fn run(port: u16, reqs: &[Vec<u8>], o: &Opts, measure: Duration) -> RunResult {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let stop_at = Instant::now() + measure;
    let mut set = tokio::task::JoinSet::new();
    for c in 0..o.connections {
        let reqs: Vec<Vec<u8>> = reqs.to_vec();
        set.spawn_local(async move {
            let mut r = RunResult::default();
            let mut s = match TcpStream::connect(addr).await {
                Ok(s) => s,
                Err(_) => {
                    r.errors += 1;
                    return r;
                }
            };
            let _ = s.set_nodelay(true);
            let mut buf = Vec::with_capacity(16 * 1024);
            let mut i = c;
            while Instant::now() < stop_at {
                let req = &reqs[i % reqs.len()];
                i += 1;
                let t = Instant::now();
                match tokio::time::timeout(
                    Duration::from_secs(10),
                    round_trip(&mut s, req, &mut buf),
                )
                .await
                {
                    Ok(Ok(status)) => {
                        r.requests += 1;
                        if status != 200 {
                            r.non_200 += 1;
                        }
                        r.latencies_us
                            .push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
                    }
                    _ => {
                        r.errors += 1;
                        match TcpStream::connect(addr).await {
                            Ok(n) => s = n,
                            Err(_) => break,
                        }
                    }
                }
            }
            r
        });
    }
    let start = Instant::now();
    let mut total = RunResult::default();
    while let Some(r) = set.join_next().await {
        if let Ok(r) = r {
            total.requests += r.requests;
            total.errors += r.errors;
            total.non_200 += r.non_200;
            total.latencies_us.extend(r.latencies_us);
        }
    }
    total.elapsed = start.elapsed();
    total
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

fn one_mode(o: &Opts, verify: bool) -> Result<String, String> {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let node = start_node(o, port, verify)?;
    let pid = node.child.id();
    let reqs = requests(&url, o.sessions.max(1));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let local = tokio::task::LocalSet::new();
    let (warm, res) = local.block_on(&rt, async {
        // Warm every session once, then warm up under load.
        let mut s = TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        for r in &reqs {
            let status = round_trip(&mut s, r, &mut buf).await?;
            if status != 200 {
                return Err(format!(
                    "warm-up answer {status}: {}",
                    String::from_utf8_lossy(&buf)
                ));
            }
        }
        let warm = run(port, &reqs, o, Duration::from_secs(o.warmup)).await;
        let cpu0 = cpu_secs(pid);
        let res = run(port, &reqs, o, Duration::from_secs(o.duration)).await;
        let cpu = cpu_secs(pid) - cpu0;
        Ok::<_, String>((warm, (res, cpu)))
    })?;
    let (res, node_cpu) = res;
    let (peak_kib, rss_kib_now) = rss_kib(pid);
    drop(node);
    let mut lat = res.latencies_us;
    lat.sort_unstable();
    let rps = res.requests as f64 / res.elapsed.as_secs_f64();
    let label = if verify {
        "verify on"
    } else {
        "verify OFF (--insecure-no-verify)"
    };
    let cpu_per_req = if res.requests > 0 {
        node_cpu * 1e6 / res.requests as f64
    } else {
        0.0
    };
    let line = format!(
        "| {label} | {rps:.0} | {:.2} | {cpu_per_req:.0} | {:.2} | {:.2} | {:.2} | {:.1} | {:.1} | {} | {} |",
        node_cpu / res.elapsed.as_secs_f64(),
        pct(&lat, 0.50),
        pct(&lat, 0.99),
        pct(&lat, 1.0),
        peak_kib as f64 / 1024.0,
        rss_kib_now as f64 / 1024.0,
        res.requests,
        res.errors + res.non_200,
    );
    eprintln!(
        "  {label}: warm-up {} requests, measured {} in {:.1} s",
        warm.requests,
        res.requests,
        res.elapsed.as_secs_f64()
    );
    Ok(line)
}

/// In-process calibration on this machine: the session key's ed25519 check
/// (`SessionPublicKey::verify_strict`), and a warm
/// `Verifier::verify` (AuthSig cached, in-memory stores), in µs per call.
fn calibrate(url: &str) -> (f64, f64) {
    use sessionsig::time::SystemClock;
    use sessionsig::verify::{Policy, Request, UnverifiedSessionSig, Verifier};
    let reqs = requests_raw(url, 1);
    let (sig, _) = &reqs[0];
    let n = 3000u32;
    let key = SessionKeyPair::generate();
    let msg = sig.signed_message.as_bytes();
    let signature = key.sign(msg);
    let public = key.public_key();
    let t = Instant::now();
    for _ in 0..n {
        let _ = public.verify_strict(msg, &signature);
    }
    let ed = t.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    let Ok(verifier) = Verifier::new(url, Policy::default(), SystemClock) else {
        return (ed, 0.0);
    };
    let unverified = UnverifiedSessionSig::from(sig.clone());
    let op = Request::operation(
        LitResource::parse("lit-pkp://*").expect("resource"),
        LitAbility::PkpSigning,
    );
    let _ = verifier.verify(&unverified, &op);
    let t = Instant::now();
    for _ in 0..n {
        let _ = verifier.verify(&unverified, &op);
    }
    (ed, t.elapsed().as_secs_f64() * 1e6 / f64::from(n))
}

fn main() {
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("load_authorize: {e}");
            std::process::exit(2);
        }
    };
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    println!(
        "POST /v1/authorize, {} warm sessions, {} keep-alive connections from 1 generator thread, node --worker-threads {} --blocking-threads {}, store {}, {} s (+{} s warm-up), {} CPUs",
        o.sessions,
        o.connections,
        o.node_threads,
        if o.blocking_threads == 0 { "<default>".to_owned() } else { o.blocking_threads.to_string() },
        o.store,
        o.duration,
        o.warmup,
        cpus
    );
    let (ed, warm) = calibrate("http://127.0.0.1:7470");
    println!(
        "calibration, in process on this machine: session key verify_strict {ed:.1} µs; warm Verifier::verify (AuthSig cached, memory stores) {warm:.1} µs"
    );
    println!();
    println!("| mode | requests/s | node CPUs busy | node CPU µs/request | p50 ms | p99 ms | max ms | node peak RSS MiB | node RSS at end MiB | requests | errors |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let modes: &[bool] = match o.mode.as_str() {
        "verify" => &[true],
        "no-verify" => &[false],
        _ => &[true, false],
    };
    let mut failed = false;
    for &verify in modes {
        match one_mode(&o, verify) {
            Ok(line) => println!("{line}"),
            Err(e) => {
                eprintln!("load_authorize: {e}");
                failed = true;
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}
