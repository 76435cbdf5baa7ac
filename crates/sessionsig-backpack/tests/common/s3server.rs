//! A real S3-protocol server (`s3s-fs`, installed by `scripts/test`) on a free loopback port.
//! Self-contained (std and `tempfile` only), so other crates' tests include it by path.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where the `s3s-fs` binary is; `scripts/test` sets it.
pub const S3S_ENV: &str = "SESSIONSIG_S3S_FS";

/// The S3 test server binary: `$SESSIONSIG_S3S_FS`, else `target/tools/bin/s3s-fs` of the
/// workspace. Missing, the test fails and says how to install it (never skipped).
pub fn s3s_binary() -> PathBuf {
    let path = std::env::var_os(S3S_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/tools/bin/s3s-fs")
        });
    assert!(
        path.is_file(),
        "the S3 tests need the s3s-fs server at {} and it is not there.\n  Install it with \
         `cargo install --locked s3s-fs@0.14.1 --features binary --root target/tools` \
         (scripts/test does), or set {S3S_ENV} to its path.",
        path.display()
    );
    path
}

/// A running `s3s-fs` on a free loopback port, serving a temporary directory; killed when
/// dropped.
pub struct S3Server {
    pub(crate) child: Child,
    pub port: u16,
    pub root: tempfile::TempDir,
    pub bucket: String,
}

pub const ACCESS_KEY: &str = "sessionsig-test-key";
pub const SECRET_KEY: &str = "sessionsig-test-secret-do-not-print";

impl S3Server {
    pub fn start() -> S3Server {
        let bin = s3s_binary();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let root = tempfile::tempdir().expect("temp dir");
            let bucket = "backpack".to_string();
            // s3s-fs keeps each bucket as a directory of its root.
            std::fs::create_dir(root.path().join(&bucket)).unwrap();
            let port = free_port();
            let mut child = Command::new(&bin)
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
                .arg(root.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("starting s3s-fs");
            // Ready when it accepts connections; if it exited (the port was taken in between),
            // try another port.
            loop {
                assert!(Instant::now() < deadline, "s3s-fs did not start");
                if let Some(status) = child.try_wait().unwrap() {
                    eprintln!("s3s-fs exited ({status}); retrying on another port");
                    break;
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return S3Server {
                        child,
                        port,
                        root,
                        bucket,
                    };
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().unwrap().port()
}
