//! Crash safety with real processes: a child node overwrites one object again and again
//! (streaming its body chunk by chunk) and is SIGKILLed in the middle; after the "restart" the
//! object is the last acknowledged version or the one in flight — never torn — every listed
//! object reads back with its digest, and reconciliation leaves exactly the referenced blobs.
//! Run on SQLite + local disk and on PostgreSQL + a real S3-protocol server (the child takes
//! its S3 credentials from the standard `AWS_*` environment variables).
//!
//! Child processes are this test binary run again with `--exact child_process` and the job in
//! `BPT_*` environment variables; `child_process` does nothing in a normal run.

mod common;

use common::{generated, Meta, S3Server};
use futures_util::StreamExt;
use sessionsig::time::{Clock, Duration, FixedClock, OffsetDateTime, SystemClock};
use sessionsig_backpack::blobs::{BlobConfig, BlobStore, PutCheck};
use sessionsig_backpack::objects::{ObjectSettings, Objects, PutObject};
use sessionsig_store::backpack::{ListLimit, Precondition};
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

const OWNER: &str = "0xa11ce00000000000000000000000000000000001";
/// Each version of `/doc`: 6 MiB in 64 KiB chunks (96 chunks): a multipart upload on both
/// backends (S3 parts are 5 MiB in the tests, local ones 1 MiB).
const LEN: u64 = 6 * 1024 * 1024;
const CHUNKS: u64 = LEN / CHUNK as u64;
const CHUNK: usize = 64 * 1024;
const GRACE: Duration = Duration::hours(1);

fn version_seed(i: u64) -> u64 {
    1000 + i
}

async fn version_sha(i: u64) -> [u8; 32] {
    let mut h = Sha256::new();
    let mut s = std::pin::pin!(generated(version_seed(i), LEN, CHUNK));
    while let Some(c) = s.next().await {
        h.update(c.unwrap());
    }
    h.finalize().into()
}

/// Where the child's blobs go, as environment variables.
enum BlobSide {
    Local(tempfile::TempDir),
    S3(S3Server),
}

impl BlobSide {
    fn env(&self) -> Vec<(&'static str, String)> {
        match self {
            BlobSide::Local(d) => vec![("BPT_DATA_DIR", d.path().display().to_string())],
            BlobSide::S3(s) => vec![
                ("BPT_S3_PORT", s.port.to_string()),
                ("AWS_ACCESS_KEY_ID", common::ACCESS_KEY.into()),
                ("AWS_SECRET_ACCESS_KEY", common::SECRET_KEY.into()),
            ],
        }
    }

    fn store(&self) -> BlobStore {
        match self {
            BlobSide::Local(d) => BlobStore::open(&BlobConfig::Local {
                dir: d.path().to_owned(),
            })
            .unwrap(),
            BlobSide::S3(s) => s.store("crash"),
        }
    }
}

fn objects(blobs: BlobStore, meta: &Meta, clock: Arc<dyn Clock>) -> Objects {
    Objects::new(
        blobs,
        Arc::new(meta.open()),
        clock,
        ObjectSettings {
            grace: GRACE,
            ..ObjectSettings::default()
        },
    )
}

#[test]
fn sqlite_and_local_disk_survive_sigkill_mid_upload() {
    crash_rounds(
        BlobSide::Local(tempfile::tempdir().unwrap()),
        Meta::sqlite(),
    );
}

#[test]
fn postgres_and_s3_survive_sigkill_mid_upload() {
    crash_rounds(BlobSide::S3(S3Server::start()), Meta::postgres());
}

fn crash_rounds(bytes: BlobSide, meta: Meta) {
    let mut first_version = 0u64;
    // Killed early in an upload (nothing sent yet), after some parts, just before the last
    // part, and after the last chunk (completing, committing or deleting the old blob).
    for kill_at in [5, 40, CHUNKS - 6, CHUNKS] {
        let (acked, started) = run_and_kill(&bytes, &meta, first_version, kill_at);
        first_version = started + 1;
        common::run(check_after_restart(&bytes, &meta, acked, started));
    }
}

/// Start a child writing versions `first..` of `/doc`, let it acknowledge two of them, then
/// SIGKILL it once it has sent `chunks` chunks of a later upload. Returns the last acknowledged version and
/// the last started one.
fn run_and_kill(bytes: &BlobSide, meta: &Meta, first: u64, chunks: u64) -> (u64, u64) {
    let (url, schema) = meta.url_and_schema();
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "child_process",
        "--nocapture",
        "--test-threads",
        "1",
    ])
    .env("BPT_JOB", "writer")
    .env("BPT_META_URL", url)
    .env("BPT_FIRST", first.to_string())
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    if let Some(s) = schema {
        cmd.env("BPT_META_SCHEMA", s);
    }
    for (k, v) in bytes.env() {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let deadline = Instant::now() + std::time::Duration::from_secs(300);
    let (mut acked, mut started, mut acks, mut chunks_seen) = (None, None, 0, 0);
    loop {
        assert!(Instant::now() < deadline, "the child is too slow");
        let line = lines
            .next()
            .expect("the child ended before it was killed")
            .unwrap();
        let Some(msg) = line.find("BPT ").map(|i| line[i + 4..].to_owned()) else {
            continue;
        };
        let mut parts = msg.split(' ');
        match (
            parts.next(),
            parts.next().and_then(|n| n.parse::<u64>().ok()),
        ) {
            (Some("START"), Some(i)) => {
                started = Some(i);
                chunks_seen = 0;
            }
            (Some("ACK"), Some(i)) => {
                acked = Some(i);
                acks += 1;
            }
            (Some("CHUNK"), _) if acks >= 2 => {
                chunks_seen += 1;
                if chunks_seen >= chunks {
                    break;
                }
            }
            _ => {}
        }
    }
    child.kill().unwrap(); // SIGKILL
                           // What it printed before dying is still in the pipe.
    for line in lines {
        let line = line.unwrap();
        if let Some(msg) = line.find("BPT ").map(|i| line[i + 4..].to_owned()) {
            let mut parts = msg.split(' ');
            match (
                parts.next(),
                parts.next().and_then(|n| n.parse::<u64>().ok()),
            ) {
                (Some("START"), Some(i)) => started = Some(i),
                (Some("ACK"), Some(i)) => acked = Some(i),
                _ => {}
            }
        }
    }
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(9), "killed by SIGKILL, not finished");
    (acked.unwrap(), started.unwrap())
}

async fn check_after_restart(bytes: &BlobSide, meta: &Meta, acked: u64, started: u64) {
    // The restarted node, first with the real clock: the object is old or new, and whole.
    let node = objects(bytes.store(), meta, Arc::new(SystemClock));
    let (m, read) = node.get(OWNER, "/doc", None).await.unwrap();
    let (old, new) = (version_sha(acked).await, version_sha(started).await);
    assert!(
        m.digest == old || m.digest == new,
        "after the kill /doc is neither version {acked} (acknowledged) nor {started} (in flight)"
    );
    assert_eq!(m.size, LEN);
    let mut h = Sha256::new();
    let mut n = 0u64;
    let mut s = read.stream;
    while let Some(c) = s.next().await {
        let c = c.unwrap();
        n += c.len() as u64;
        h.update(&c);
    }
    assert_eq!(n, m.size);
    assert_eq!(
        <[u8; 32]>::from(h.finalize()),
        m.digest,
        "bytes agree with metadata"
    );
    // Every listed object reads back with its digest.
    let m2 = Arc::clone(node.meta());
    let page =
        tokio::task::spawn_blocking(move || m2.list_folder(OWNER, "/", ListLimit::default(), None))
            .await
            .unwrap()
            .unwrap();
    assert!(!page.entries.is_empty());
    for e in &page.entries {
        let (m, r) = node.get(OWNER, &e.path, None).await.unwrap();
        let mut h = Sha256::new();
        let mut s = r.stream;
        while let Some(c) = s.next().await {
            h.update(c.unwrap());
        }
        assert_eq!(<[u8; 32]>::from(h.finalize()), m.digest, "{}", e.path);
    }
    // Startup cleanup, as if the grace period had passed: only referenced blobs remain.
    let later = OffsetDateTime::now_utc() + GRACE + Duration::minutes(1);
    let node = objects(bytes.store(), meta, Arc::new(FixedClock(later)));
    let r = node.reconcile().await.unwrap();
    let again = node.reconcile().await.unwrap();
    assert_eq!(again.deleted.len(), 0);
    assert_eq!(again.staging_removed, 0);
    assert_eq!(
        again.scanned,
        page.entries.len() as u64,
        "one blob per object after cleanup (first pass deleted {}, removed {} staging files)",
        r.deleted.len(),
        r.staging_removed
    );
    eprintln!(
        "killed with version {acked} acknowledged and {started} started; /doc is {}; \
         cleanup deleted {} blobs and {} staging files",
        if m.digest == new {
            "the new one"
        } else {
            "the old one"
        },
        r.deleted.len(),
        r.staging_removed
    );
}

// ---- the child ---------------------------------------------------------------------------

/// Entry point for the child processes; a no-op in a normal run.
#[test]
fn child_process() {
    let Ok(job) = std::env::var("BPT_JOB") else {
        return;
    };
    assert_eq!(job, "writer");
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} not set"));
    let meta_store = common::open(
        &var("BPT_META_URL"),
        std::env::var("BPT_META_SCHEMA").ok().as_deref(),
    );
    let blobs = match std::env::var("BPT_DATA_DIR") {
        Ok(dir) => BlobStore::open(&BlobConfig::Local { dir: dir.into() }).unwrap(),
        Err(_) => {
            let port: u16 = var("BPT_S3_PORT").parse().unwrap();
            let cfg = sessionsig_backpack::blobs::S3Config {
                bucket: "backpack".into(),
                prefix: "crash".into(),
                endpoint: Some(format!("http://127.0.0.1:{port}")),
                region: Some("us-east-1".into()),
                // From the standard AWS environment variables the parent set, as a deployed
                // node would take them.
                credentials: None,
                allow_http: true,
                part_size: Some(5 * 1024 * 1024),
                request_timeout: None,
            };
            BlobStore::open(&BlobConfig::S3(cfg)).unwrap()
        }
    };
    let first: u64 = var("BPT_FIRST").parse().unwrap();
    let node = Objects::new(
        blobs,
        Arc::new(meta_store),
        Arc::new(SystemClock),
        ObjectSettings {
            grace: GRACE,
            ..ObjectSettings::default()
        },
    );
    common::run(async move {
        for i in first.. {
            say(&format!("START {i}"));
            // Chunks come slowly, so that the kill lands in the middle of an upload.
            let body = generated(version_seed(i), LEN, CHUNK).then(|c| async move {
                say("CHUNK");
                tokio::time::sleep(std::time::Duration::from_millis(3)).await;
                c
            });
            node.put(
                &PutObject {
                    owner: OWNER,
                    path: "/doc",
                    content_type: "application/octet-stream",
                    check: PutCheck {
                        declared_len: Some(LEN),
                        ..PutCheck::default()
                    },
                    cond: Precondition::None,
                    replay: None,
                },
                body,
            )
            .await
            .unwrap();
            say(&format!("ACK {i}"));
        }
    });
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "BPT {line}").unwrap();
    out.flush().unwrap();
}
