//! What the node benches share: a real `sessionsig-node` process on a free loopback port,
//! stopped with SIGTERM when dropped, and its CPU time and memory from `/proc`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
