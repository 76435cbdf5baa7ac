//! Real node processes (this crate's `sessionsig-node` binary) on loopback: start, wait until
//! healthy, signal, stop.

use std::net::TcpListener;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const BIN: &str = env!("CARGO_BIN_EXE_sessionsig-node");

/// Every test is bounded.
pub const TEST_LIMIT: Duration = Duration::from_secs(90);

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A running node process (killed when dropped).
pub struct Proc {
    pub child: Child,
    pub urls: Vec<String>,
    pub stderr: std::path::PathBuf,
    _stdout_task: tokio::task::JoinHandle<()>,
}

impl Proc {
    /// Start `sessionsig-node <args>` and wait until it printed `expect` URLs on stdout.
    pub async fn start(args: &[String], expect: usize, stderr: &Path) -> Result<Proc, String> {
        Self::start_env(args, &[], expect, stderr).await
    }

    /// The same with extra environment variables (e.g. S3 credentials).
    pub async fn start_env(
        args: &[String],
        envs: &[(String, String)],
        expect: usize,
        stderr: &Path,
    ) -> Result<Proc, String> {
        let err = std::fs::File::create(stderr).map_err(|e| e.to_string())?;
        let mut child = Command::new(BIN)
            .args(args)
            .envs(envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("spawn {BIN}: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(l)) = lines.next_line().await {
                let _ = tx.send(l);
            }
        });
        let mut urls = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while urls.len() < expect {
            tokio::select! {
                l = rx.recv() => match l {
                    Some(l) => urls.push(l),
                    None => break,
                },
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        if urls.len() < expect {
            let _ = child.start_kill();
            let _ = child.wait().await;
            let log = std::fs::read_to_string(stderr).unwrap_or_default();
            return Err(format!("node did not come up ({args:?}): {log}"));
        }
        Ok(Proc {
            child,
            urls,
            stderr: stderr.to_owned(),
            _stdout_task: task,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    pub fn signal(&self, sig: &str) {
        let ok = std::process::Command::new("kill")
            .args([&format!("-{sig}"), &self.pid().to_string()])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "kill -{sig} failed");
    }

    /// SIGTERM, then the exit status (bounded).
    pub async fn stop(mut self) -> std::process::ExitStatus {
        self.signal("TERM");
        match tokio::time::timeout(Duration::from_secs(15), self.child.wait()).await {
            Ok(Ok(s)) => s,
            other => panic!(
                "node did not stop after SIGTERM: {other:?}\n{}",
                std::fs::read_to_string(&self.stderr).unwrap_or_default()
            ),
        }
    }
}

/// Three separate node processes on one store.
pub async fn three_nodes(store: &str, schema: Option<&str>, dir: &Path) -> Vec<Proc> {
    three_nodes_with(store, schema, dir, &[], &[]).await
}

/// Three nodes with extra arguments (e.g. `--config`) and environment variables.
pub async fn three_nodes_with(
    store: &str,
    schema: Option<&str>,
    dir: &Path,
    extra: &[String],
    envs: &[(String, String)],
) -> Vec<Proc> {
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let urls: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    let mut starts = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let mut args: Vec<String> = vec![
            "node".into(),
            "--public-url".into(),
            url.clone(),
            "--data-dir".into(),
            dir.display().to_string(),
            "--store".into(),
            store.into(),
            "--worker-threads".into(),
            "1".into(),
        ];
        for u in &urls {
            args.push("--network-node".into());
            args.push(u.clone());
        }
        if let Some(s) = schema {
            args.push("--store-schema".into());
            args.push(s.into());
        }
        args.extend(extra.iter().cloned());
        let log = dir.join(format!("node{i}.log"));
        let envs = envs.to_vec();
        starts.push(async move { Proc::start_env(&args, &envs, 1, &log).await });
    }
    let mut procs = Vec::new();
    for r in futures_join(starts).await {
        procs.push(r.unwrap_or_else(|e| panic!("{e}")));
    }
    for (p, u) in procs.iter().zip(&urls) {
        assert_eq!(&p.urls[0], u, "a node prints its URL once healthy");
    }
    procs
}

pub async fn futures_join<F: std::future::Future + Send + 'static>(fs: Vec<F>) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = fs.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("join"));
    }
    out
}
