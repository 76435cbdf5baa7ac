//! The node's own overhead: node CPU per request for a 404, `GET /v1/handshake`,
//! `GET /healthz` and `GET /v1/session` with a warm SessionSig (one seen before), against a
//! real node process on loopback, on SQLite and on PostgreSQL; printed next to an in-process
//! calibration of warm verification, with the ratio
//! `session / (route + warm verification)` (the goal of issue 9 is ≤ 1.3).
//!
//! ```sh
//! cargo bench -p sessionsig-node --bench node_overhead                      # both stores
//! cargo bench -p sessionsig-node --bench node_overhead -- --store sqlite --duration 5 \
//!     --warmup 1 --connections 32 --sessions 64 --node-threads 2 --rounds 3
//! # PostgreSQL: postgres://postgres@127.0.0.1:5432/test (trust auth) unless
//! # SESSIONSIG_BENCH_POSTGRES_URL says otherwise; a fresh schema per run, dropped afterwards.
//! # SESSIONSIG_BENCH_NODE_BIN=/path/to/sessionsig-node measures another build of the node
//! # (e.g. one of an older commit) with the same generator and calibration.
//! ```
//!
//! * The node is this crate's `sessionsig-node` binary (release profile under `cargo bench`),
//!   `node --worker-threads <node-threads>` on a free loopback port with a fresh store: a
//!   SQLite file in a temporary directory, or a schema of its own in PostgreSQL.
//! * The load generator runs here on one thread with `--connections` keep-alive HTTP/1.1
//!   connections, closed loop (each sends its next request when the answer is read). The node's
//!   CPU time (user + system, `/proc/<pid>/stat`) over the measured interval divided by the
//!   requests answered is its CPU per request; the generator's own CPU is not counted.
//! * Routes: `GET /no-such-route` (404, outside `/v1`: no limits), `GET /v1/handshake` (the
//!   `/v1` limits, a fresh HMAC nonce and a JSON answer: this is "route" below),
//!   `GET /healthz`, and `GET /v1/session` with `Authorization: SessionSig …` of one of
//!   `--sessions` sessions, each used once before measuring (so the AuthSig cache holds it and
//!   the node has seen those exact bytes). Every answer must have its expected status.
//! * Calibration, in process on this machine, AuthSig cached, in-memory stores: the session
//!   key's `verify_strict`; **warm verification** = `Verifier::verify` of a SessionSig never
//!   seen before (a fresh one per call: the ed25519 check runs), the denominator's "warm
//!   verification"; and `Verifier::verify` of the same SessionSig again with a cache that
//!   remembers SessionSigs (as the node's does).
//! * `--rounds N` measures every route N times, interleaved, and keeps each route's lowest
//!   figure (the machine's noise only ever adds).
//! * Bounded: every round trip has a 10 s timeout; `--warmup` + `--duration` seconds per route
//!   and round.

use sessionsig::lit::{LitAbility, LitResource};
use sessionsig::session::{SessionKeyPair, SessionSig};
use sessionsig::time::SystemClock;
use sessionsig::verify::{AuthSigCache, Policy, Request, UnverifiedSessionSig, Verifier};
use sessionsig_node::auth::authorization_value;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

mod common;
use common::{cpu_secs, free_port, round_trip, NodeProc};

const BIN: &str = env!("CARGO_BIN_EXE_sessionsig-node");
const PG_ENV: &str = "SESSIONSIG_BENCH_POSTGRES_URL";
const PG_DEFAULT: &str = "postgres://postgres@127.0.0.1:5432/test";

#[derive(Debug, Clone)]
struct Opts {
    duration: u64,
    warmup: u64,
    connections: usize,
    sessions: usize,
    node_threads: usize,
    rounds: usize,
    stores: Vec<String>,
}

fn parse_args() -> Result<Opts, String> {
    let mut o = Opts {
        duration: 5,
        warmup: 1,
        connections: 32,
        sessions: 64,
        node_threads: 2,
        rounds: 1,
        stores: vec!["sqlite".into(), "postgres".into()],
    };
    let mut args = std::env::args().skip(1);
    let num = |v: Result<String, String>| -> Result<u64, String> {
        v?.parse::<u64>().map_err(|e| e.to_string())
    };
    while let Some(a) = args.next() {
        let mut val = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--duration" => o.duration = num(val("--duration"))?,
            "--warmup" => o.warmup = num(val("--warmup"))?,
            "--connections" => o.connections = num(val("--connections"))? as usize,
            "--sessions" => o.sessions = num(val("--sessions"))? as usize,
            "--node-threads" => o.node_threads = num(val("--node-threads"))? as usize,
            "--rounds" => o.rounds = num(val("--rounds"))? as usize,
            "--store" => {
                o.stores = match val("--store")?.as_str() {
                    "both" => vec!["sqlite".into(), "postgres".into()],
                    s @ ("sqlite" | "postgres") => vec![s.to_owned()],
                    other => return Err(format!("--store sqlite|postgres|both, not {other}")),
                }
            }
            "--bench" => {} // passed by `cargo bench`
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if o.duration == 0 || o.duration > 300 || o.connections == 0 || o.connections > 1024 {
        return Err("--duration 1..=300, --connections 1..=1024".into());
    }
    if o.sessions == 0 || o.sessions > 10_000 || o.rounds == 0 || o.rounds > 20 {
        return Err("--sessions 1..=10000, --rounds 1..=20".into());
    }
    Ok(o)
}

/// A PostgreSQL schema of its own for one run, dropped when this goes away.
struct PgSchema {
    url: String,
    schema: String,
}

impl PgSchema {
    fn new() -> Result<Self, String> {
        let url = std::env::var(PG_ENV)
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| PG_DEFAULT.to_owned());
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let schema = format!("bench_overhead_{}_{nanos}", std::process::id());
        // Fail early, with a clear message, when no server answers.
        let u = url.clone();
        std::thread::spawn(move || {
            postgres::Client::connect(&u, postgres::NoTls)
                .map(|_| ())
                .map_err(|e| format!("PostgreSQL at {u}: {e} (set {PG_ENV})"))
        })
        .join()
        .map_err(|_| "connect thread panicked".to_owned())??;
        Ok(PgSchema { url, schema })
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (url, schema) = (self.url.clone(), self.schema.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(mut c) = postgres::Client::connect(&url, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        })
        .join();
    }
}

/// One measured route: its name, the raw requests to cycle through, the status expected.
struct Case {
    name: &'static str,
    requests: Vec<Vec<u8>>,
    status: u16,
}

fn get(host: &str, path: &str, auth: Option<&str>) -> Vec<u8> {
    let auth = auth
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}\r\n").into_bytes()
}

fn cases(url: &str, sigs: &[SessionSig]) -> Vec<Case> {
    let host = url.trim_start_matches("http://");
    vec![
        Case {
            name: "404",
            requests: vec![get(host, "/no-such-route", None)],
            status: 404,
        },
        Case {
            name: "GET /v1/handshake",
            requests: vec![get(host, "/v1/handshake", None)],
            status: 200,
        },
        Case {
            name: "GET /healthz",
            requests: vec![get(host, "/healthz", None)],
            status: 200,
        },
        Case {
            name: "GET /v1/session (warm)",
            requests: sigs
                .iter()
                .map(|s| get(host, "/v1/session", Some(&authorization_value(s))))
                .collect(),
            status: 200,
        },
    ]
}

#[derive(Debug, Default)]
struct RunResult {
    requests: u64,
    unexpected: u64,
    errors: u64,
}

/// Closed-loop load on `port` for `measure`; every answer must be `status`.
async fn run(port: u16, case: &Case, connections: usize, measure: Duration) -> RunResult {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let stop_at = Instant::now() + measure;
    let mut set = tokio::task::JoinSet::new();
    for c in 0..connections {
        let reqs = case.requests.clone();
        let expected = case.status;
        set.spawn_local(async move {
            let mut r = RunResult::default();
            let Ok(mut s) = TcpStream::connect(addr).await else {
                r.errors += 1;
                return r;
            };
            let _ = s.set_nodelay(true);
            let mut buf = Vec::with_capacity(16 * 1024);
            let mut i = c;
            while Instant::now() < stop_at {
                let req = &reqs[i % reqs.len()];
                i += 1;
                match tokio::time::timeout(
                    Duration::from_secs(10),
                    round_trip(&mut s, req, &mut buf),
                )
                .await
                {
                    Ok(Ok(status)) => {
                        r.requests += 1;
                        if status != expected {
                            r.unexpected += 1;
                        }
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
    let mut total = RunResult::default();
    while let Some(r) = set.join_next().await {
        if let Ok(r) = r {
            total.requests += r.requests;
            total.unexpected += r.unexpected;
            total.errors += r.errors;
        }
    }
    total
}

/// Node CPU µs per request and requests/s of one route, measured once.
async fn measure(node: &NodeProc, port: u16, case: &Case, o: &Opts) -> Result<(f64, f64), String> {
    let pid = node.child.id();
    let _ = run(port, case, o.connections, Duration::from_secs(o.warmup)).await;
    let cpu0 = cpu_secs(pid);
    let t = Instant::now();
    let r = run(port, case, o.connections, Duration::from_secs(o.duration)).await;
    let elapsed = t.elapsed().as_secs_f64();
    let cpu = cpu_secs(pid) - cpu0;
    if r.requests == 0 || r.unexpected > 0 || r.errors > 0 {
        return Err(format!(
            "{}: {} answers, {} with another status than {}, {} errors",
            case.name, r.requests, r.unexpected, case.status, r.errors
        ));
    }
    Ok((cpu * 1e6 / r.requests as f64, r.requests as f64 / elapsed))
}

/// The figures of one store: per route, the lowest node CPU µs/request over the rounds and
/// the requests/s of that round.
fn one_store(store: &str, o: &Opts) -> Result<Vec<(&'static str, f64, f64)>, String> {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let pg = match store {
        "postgres" => Some(PgSchema::new()?),
        _ => None,
    };
    let mut args: Vec<String> = vec!["--store".into()];
    match &pg {
        Some(p) => args.extend([p.url.clone(), "--store-schema".into(), p.schema.clone()]),
        None => args.push("sqlite://{dir}/overhead.db".into()),
    }
    args.extend([
        "--worker-threads".into(),
        o.node_threads.to_string(),
        "--max-concurrency".into(),
        "4096".into(),
    ]);
    let bin = std::env::var("SESSIONSIG_BENCH_NODE_BIN")
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| BIN.to_owned());
    let node = common::start_node(&bin, port, &args)?;
    let sigs = common::session_sigs(&url, o.sessions);
    let cases = cases(&url, &sigs);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let local = tokio::task::LocalSet::new();
    let best = local.block_on(&rt, async {
        // Every session once, so the node has seen each SessionSig.
        let mut s = TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        for r in &cases[3].requests {
            let status = round_trip(&mut s, r, &mut buf).await?;
            if status != 200 {
                return Err(format!(
                    "warm-up answer {status}: {}",
                    String::from_utf8_lossy(&buf)
                ));
            }
        }
        let mut best: Vec<(&'static str, f64, f64)> =
            cases.iter().map(|c| (c.name, f64::MAX, 0.0)).collect();
        for _ in 0..o.rounds {
            for (i, case) in cases.iter().enumerate() {
                let (cpu, rps) = measure(&node, port, case, o).await?;
                if cpu < best[i].1 {
                    best[i] = (case.name, cpu, rps);
                }
            }
        }
        Ok::<_, String>(best)
    })?;
    drop(node);
    drop(pg);
    Ok(best)
}

/// CPU time this thread has used, in seconds: calibration figures are CPU time like the
/// node's, so a machine busy with other work does not inflate them.
fn thread_cpu() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the call only writes it.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0.0;
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

/// In-process calibration (µs of this thread's CPU per call): the session key's
/// `verify_strict`; warm verification of a SessionSig never seen (AuthSig cached, a fresh
/// SessionSig per call); the same SessionSig again with a cache that remembers SessionSigs.
fn calibrate(url: &str) -> Result<(f64, f64, f64), String> {
    let n = 2000usize;
    let key = SessionKeyPair::generate();
    // One session (one AuthSig, cached after the first call), `n` distinct SessionSigs: each
    // issued a millisecond apart, so each is other bytes and its ed25519 check runs.
    let now = sessionsig::time::OffsetDateTime::now_utc();
    let auth = common::session_auth_sig(0, &key, now);
    let sigs: Vec<SessionSig> = (0..n)
        .map(|i| {
            let at = now - sessionsig::time::Duration::milliseconds(5000 + i as i64);
            common::sign_session_sig(url, &key, &auth, at)
        })
        .collect();
    let distinct = sigs
        .iter()
        .map(|s| &s.signed_message)
        .collect::<std::collections::HashSet<_>>()
        .len();
    let msg = sigs[0].signed_message.as_bytes();
    let signature = key.sign(msg);
    let public = key.public_key();
    let t = thread_cpu();
    for _ in 0..n {
        let _ = public.verify_strict(msg, &signature);
    }
    let ed = (thread_cpu() - t) * 1e6 / n as f64;
    let verifier = Verifier::new(url, Policy::default(), SystemClock).map_err(|e| e.to_string())?;
    let op = Request::operation(
        LitResource::parse("lit-pkp://*").map_err(|e| e.to_string())?,
        LitAbility::PkpSigning,
    );
    let unverified: Vec<UnverifiedSessionSig> =
        sigs.into_iter().map(UnverifiedSessionSig::from).collect();
    // Warm the AuthSig cache (the same AuthSig in every one).
    verifier
        .verify(&unverified[0], &op)
        .map_err(|e| format!("calibration verify: {e}"))?;
    let fresh: Vec<&UnverifiedSessionSig> = unverified[1..].iter().collect();
    let t = thread_cpu();
    for u in &fresh {
        let _ = verifier.verify(u, &op);
    }
    let warm = (thread_cpu() - t) * 1e6 / fresh.len() as f64;
    // The same SessionSig again, with the cache remembering SessionSigs (as a node's does).
    let remembering = Verifier::new(url, Policy::default(), SystemClock)
        .map_err(|e| e.to_string())?
        .with_cache(std::sync::Arc::new(
            AuthSigCache::new(16).with_session_sigs(16),
        ));
    remembering
        .verify(&unverified[0], &op)
        .map_err(|e| format!("calibration verify: {e}"))?;
    let t = thread_cpu();
    for _ in 0..n {
        let _ = remembering.verify(&unverified[0], &op);
    }
    let seen = (thread_cpu() - t) * 1e6 / n as f64;
    if distinct != n {
        return Err(format!(
            "only {distinct} distinct SessionSigs of {n} for the calibration"
        ));
    }
    Ok((ed, warm, seen))
}

/// Node CPU the hand-written metrics cost per request, in process (ns per request): what the
/// `observe` layer records for every request (in-flight gauge, route/status counter, latency
/// histogram) and what a verification adds (result counter, verification-time histogram).
fn metrics_cost() -> f64 {
    use sessionsig_node::metrics::Metrics;
    let m = Metrics::new();
    let n = 200_000u32;
    let t = thread_cpu();
    for i in 0..n {
        m.request_started();
        m.verification_time(Duration::from_micros(u64::from(i % 64)));
        m.verification("ok", None);
        m.request_finished(
            "/v1/session",
            200,
            Duration::from_micros(u64::from(i % 128)),
        );
    }
    (thread_cpu() - t) * 1e9 / f64::from(n)
}

/// CPU per synchronous revocation check through `SqlStore` on a SQLite file, in process (µs
/// per call): asked of the database (every call a list not seen before, the store's
/// connection pool checkout and return included) for 3 pairs (a session key, its AuthSig, one
/// delegation), 16 pairs (the most asked with one primary-key lookup each) and 17 (asked
/// through `json_each`); and, last, 3 pairs answered from memory at an unchanged shared
/// revocation epoch (one `pread` of the epoch file and a cache lookup).
fn sqlite_query_cost() -> Result<[f64; 4], String> {
    use sessionsig::verify::{RevocationStore, RevocationTarget};
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let url = format!("sqlite://{}/q.db", dir.path().display());
    let store = sessionsig_store::SqlStore::open(&url).map_err(|e| e.to_string())?;
    let who = alloy_primitives::Address::repeat_byte(7);
    store
        .revoke(&RevocationTarget::SessionKey("cd".repeat(32)), who)
        .map_err(|e| e.to_string())?;
    let mut out = [0.0; 4];
    let n = 3000u32;
    // A list of `pairs` items that no earlier call asked (its session key names `round`).
    let list = |pairs: usize, round: u32| {
        let mut items = vec![(RevocationTarget::SessionKey(format!("{round:064x}")), who)];
        items.extend((1..pairs).map(|i| {
            (
                RevocationTarget::AuthSig(alloy_primitives::B256::repeat_byte(i as u8)),
                who,
            )
        }));
        items
    };
    for (slot, pairs) in [3usize, 16, 17].into_iter().enumerate() {
        let lists: Vec<_> = (0..n)
            .map(|r| list(pairs, r + 1 + slot as u32 * n))
            .collect();
        let t = thread_cpu();
        for items in &lists {
            store.first_revoked(items).map_err(|e| e.to_string())?;
        }
        out[slot] = (thread_cpu() - t) * 1e6 / f64::from(n);
    }
    let items = list(3, 0);
    store.first_revoked(&items).map_err(|e| e.to_string())?;
    let t = thread_cpu();
    for _ in 0..n {
        store.first_revoked(&items).map_err(|e| e.to_string())?;
    }
    out[3] = (thread_cpu() - t) * 1e6 / f64::from(n);
    Ok(out)
}

fn main() {
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("node_overhead: {e}");
            std::process::exit(2);
        }
    };
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    println!(
        "node CPU per request, {} keep-alive connections from 1 generator thread, node --worker-threads {}, {} warm sessions, {} s (+{} s warm-up) per route, best of {} round(s), {} CPUs",
        o.connections, o.node_threads, o.sessions, o.duration, o.warmup, o.rounds, cpus
    );
    let (ed, warm, seen) = match calibrate("http://127.0.0.1:7470") {
        Ok(c) => c,
        Err(e) => {
            eprintln!("node_overhead: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "calibration, in process: session key verify_strict {ed:.1} µs; warm verification (AuthSig cached, SessionSig never seen) {warm:.1} µs; the same SessionSig again, remembered {seen:.1} µs"
    );
    println!(
        "metrics, in process: {:.0} ns of CPU per verified request (counters, gauge, two histograms)",
        metrics_cost()
    );
    match sqlite_query_cost() {
        Ok([three, sixteen, seventeen, remembered]) => println!(
            "SQLite revocation check, in process: asked (pool included) {three:.1} µs of CPU for 3 pairs, {sixteen:.1} µs for 16 (UNION ALL of lookups), {seventeen:.1} µs for 17 (json_each); remembered at an unchanged epoch {remembered:.1} µs for 3"
        ),
        Err(e) => eprintln!("node_overhead: SQLite query calibration: {e}"),
    }
    println!();
    println!("| store | 404 µs | handshake µs (route) | healthz µs | session (warm) µs | session req/s | ratio session / (route + warm verification) |");
    println!("|---|---|---|---|---|---|---|");
    let mut failed = false;
    for store in &o.stores {
        match one_store(store, &o) {
            Ok(best) => {
                let cpu = |i: usize| best[i].1;
                let ratio = cpu(3) / (cpu(1) + warm);
                println!(
                    "| {store} | {:.1} | {:.1} | {:.1} | {:.1} | {:.0} | **{ratio:.2}** |",
                    cpu(0),
                    cpu(1),
                    cpu(2),
                    cpu(3),
                    best[3].2
                );
            }
            Err(e) => {
                eprintln!("node_overhead ({store}): {e}");
                failed = true;
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}
