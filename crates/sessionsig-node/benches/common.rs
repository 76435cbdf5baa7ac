//! What the node benches share: a real `sessionsig-node` process on a free loopback port,
//! stopped with SIGTERM when dropped, its CPU time and memory from `/proc`, signed warm
//! sessions, and one HTTP/1.1 round trip over a raw keep-alive connection.
#![allow(dead_code)]

use sessionsig::auth_sig::{AuthSig, SiweRecapParams};
use sessionsig::lit::{LitAbility, LitResource, ResourceAbilityRequest};
use sessionsig::recap::{Capability, Caveat};
use sessionsig::session::{SessionKeyPair, SessionSig, SessionSigParams, WireFormat};
use sessionsig::time::{Duration as TDuration, OffsetDateTime, Timestamp};
use sessionsig::wallet::LocalWallet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The node under test.
pub struct NodeProc {
    pub child: Child,
    pub dir: tempfile::TempDir,
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `bin node` on `port` in a fresh data directory with `args` added (`{dir}` in an
/// argument is replaced by that directory); returns once it printed its URL.
pub fn start_node(bin: &str, port: u16, args: &[String]) -> Result<NodeProc, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let d = dir.path().display().to_string();
    let mut cmd = Command::new(bin);
    cmd.args([
        "node",
        "--public-url",
        &format!("http://127.0.0.1:{port}"),
        "--data-dir",
        &d,
    ]);
    cmd.args(args.iter().map(|a| a.replace("{dir}", &d)));
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("spawn {bin}: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    if !line.starts_with("http://") {
        let _ = child.kill();
        return Err(format!("node did not start (printed {line:?})"));
    }
    Ok(NodeProc { child, dir })
}

/// Peak and current resident set of a process, in KiB (Linux `/proc`).
pub fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// CPU time (user + system) a process has used so far, in seconds (Linux `/proc`, clock ticks
/// of 1/100 s).
pub fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are fields 14 and 15 of /proc/<pid>/stat, i.e. 11 and 12 after `)`.
    (ticks(11) + ticks(12)) as f64 / 100.0
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// `n` sessions of distinct wallets and session keys, each one's SessionSig for `url` asking
/// `pkp-signing` on `lit-pkp://*` (granted by its session AuthSig, valid for 30 minutes).
pub fn session_sigs(url: &str, n: usize) -> Vec<SessionSig> {
    let now = OffsetDateTime::now_utc();
    (0..n)
        .map(|i| {
            let key = SessionKeyPair::generate();
            let auth = session_auth_sig(i, &key, now);
            sign_session_sig(url, &key, &auth, now - TDuration::seconds(5))
        })
        .collect()
}

/// The session AuthSig of wallet number `i` for `key`: grants `Threshold/Signing` on
/// `lit-pkp://*`, signed a minute before `now`, valid for an hour after.
pub fn session_auth_sig(i: usize, key: &SessionKeyPair, now: OffsetDateTime) -> AuthSig {
    let mut grant = Capability::new();
    let _ = grant.add_ability("lit-pkp://*", "Threshold/Signing", vec![Caveat::new()]);
    let mut seed = [7u8; 32];
    seed[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
    let wallet = LocalWallet::from_bytes(&seed).expect("wallet");
    AuthSig::create(
        &wallet,
        &SiweRecapParams {
            domain: "localhost".into(),
            uri: SiweRecapParams::session_uri(&key.public_hex()),
            statement: None,
            nonce: "loadtest0001".into(),
            chain_id: 1,
            issued_at: Timestamp::from_instant(now - TDuration::minutes(1)),
            expiration: Some(Timestamp::from_instant(now + TDuration::hours(1))),
            not_before: None,
            capability: grant,
        },
    )
    .expect("auth sig")
}

/// A SessionSig of `key` under `auth` for `url`, asking `pkp-signing` on `lit-pkp://*`,
/// issued at `issued_at` (milliseconds are signed: distinct instants, distinct bytes) and
/// valid 30 minutes after it.
pub fn sign_session_sig(
    url: &str,
    key: &SessionKeyPair,
    auth: &AuthSig,
    issued_at: OffsetDateTime,
) -> SessionSig {
    let pkp = LitResource::parse("lit-pkp://*").expect("resource");
    let reqs = [ResourceAbilityRequest::new(pkp, LitAbility::PkpSigning).expect("request")];
    let sigs = key
        .sign_session_sigs(
            &SessionSigParams {
                requests: &reqs,
                capabilities: std::slice::from_ref(auth),
                issued_at,
                expiration: issued_at + TDuration::minutes(30),
                format: WireFormat::V7,
            },
            &[url],
        )
        .expect("session sigs");
    sigs.get(url).expect("entry").clone()
}

/// Send one request on `s` and read one answer (which must have a `Content-Length`); returns
/// the status. `buf` holds the whole answer afterwards.
pub async fn round_trip(s: &mut TcpStream, req: &[u8], buf: &mut Vec<u8>) -> Result<u16, String> {
    s.write_all(req).await.map_err(|e| e.to_string())?;
    let (status, len, start) = read_head(s, buf).await?;
    let len = len.ok_or("no content-length")?;
    let mut chunk = [0u8; 8192];
    while buf.len() < start + len {
        let n = s.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(status)
}

/// Read one answer's head from `s` into `buf` (which may then also hold the start of the
/// body): its status, its `Content-Length` if any, and where the body starts in `buf`.
pub async fn read_head(
    s: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> Result<(u16, Option<usize>, usize), String> {
    buf.clear();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = s.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed".into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end]).map_err(|e| e.to_string())?;
            let status: u16 = head
                .get(9..12)
                .and_then(|s| s.parse().ok())
                .ok_or("bad status line")?;
            let len = head.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            });
            return Ok((status, len, end + 4));
        }
        if buf.len() > 64 * 1024 {
            return Err("answer head over 64 KiB".into());
        }
    }
}
