//! What the backpack storage tests run against: a temporary data directory, a real
//! S3-protocol server (`s3s-fs`, installed by `scripts/test`) started on a free loopback port,
//! and the metadata store on SQLite or a fresh PostgreSQL schema.
#![allow(dead_code)]

use bytes::Bytes;
use sessionsig_backpack::blobs::{BlobConfig, BlobStore, S3Config, S3Credentials};
use sessionsig_store::{OpenOptions, SqlStore};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod s3server;
pub use s3server::*;

impl S3Server {
    /// The configuration of a blob store in this server's bucket, under `prefix`.
    pub fn config(&self, prefix: &str) -> S3Config {
        S3Config {
            bucket: self.bucket.clone(),
            prefix: prefix.into(),
            endpoint: Some(format!("http://127.0.0.1:{}", self.port)),
            region: Some("us-east-1".into()),
            credentials: Some(S3Credentials {
                access_key_id: ACCESS_KEY.into(),
                secret_access_key: SECRET_KEY.into(),
                session_token: None,
            }),
            allow_http: true,
            part_size: Some(5 * 1024 * 1024),
            request_timeout: Some(Duration::from_secs(300)),
        }
    }

    pub fn store(&self, prefix: &str) -> BlobStore {
        BlobStore::open(&BlobConfig::S3(self.config(prefix))).expect("S3 blob store")
    }
}

/// A local blob store in its own temporary data directory.
pub fn local_store() -> (tempfile::TempDir, BlobStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = BlobStore::open(&BlobConfig::Local {
        dir: dir.path().to_owned(),
    })
    .expect("local blob store");
    (dir, store)
}

/// `len` bytes of a deterministic pseudo-random sequence (byte `i` depends only on `seed` and
/// `i`, not on the chunking), as chunks of at most `chunk` bytes generated one at a time:
/// nothing of it exists before it is pulled.
pub fn generated(
    seed: u64,
    len: u64,
    chunk: usize,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    futures_util::stream::unfold(0u64, move |done| async move {
        if done >= len {
            return None;
        }
        let end = done + (len - done).min(chunk as u64);
        let mut v = Vec::with_capacity((end - done) as usize);
        let mut p = done;
        while p < end {
            let word = splitmix64(seed.wrapping_mul(0x9e37_79b9).wrapping_add(p / 8)).to_le_bytes();
            let off = (p % 8) as usize;
            let take = (8 - off).min((end - p) as usize);
            v.extend_from_slice(&word[off..off + take]);
            p += take as u64;
        }
        Some((Ok(Bytes::from(v)), end))
    })
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The whole generated sequence, for small comparisons.
pub async fn generated_vec(seed: u64, len: u64) -> Vec<u8> {
    use futures_util::StreamExt;
    let mut out = Vec::with_capacity(len as usize);
    let mut s = std::pin::pin!(generated(seed, len, 64 * 1024));
    while let Some(c) = s.next().await {
        out.extend_from_slice(&c.unwrap());
    }
    out
}

/// Overrides the PostgreSQL server the tests use.
pub const PG_URL_ENV: &str = "SESSIONSIG_TEST_POSTGRES_URL";

pub fn pg_url() -> String {
    match std::env::var(PG_URL_ENV) {
        Ok(u) if !u.is_empty() => u,
        _ => "postgres://postgres@127.0.0.1:5432/test".into(),
    }
}

/// A metadata database for one test: a SQLite file, or a fresh PostgreSQL schema dropped at
/// the end.
pub enum Meta {
    Sqlite { dir: tempfile::TempDir, url: String },
    Postgres { url: String, schema: String },
}

impl Meta {
    pub fn sqlite() -> Meta {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("meta.db").display());
        Meta::Sqlite { dir, url }
    }

    pub fn postgres() -> Meta {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        Meta::Postgres {
            url: pg_url(),
            schema: format!(
                "sbp_{}_{}_{}",
                std::process::id(),
                nanos,
                N.fetch_add(1, Ordering::SeqCst)
            ),
        }
    }

    pub fn url_and_schema(&self) -> (String, Option<String>) {
        match self {
            Meta::Sqlite { url, .. } => (url.clone(), None),
            Meta::Postgres { url, schema } => (url.clone(), Some(schema.clone())),
        }
    }

    /// Open a store on it (off any async thread: the PostgreSQL driver is synchronous).
    pub fn open(&self) -> SqlStore {
        let (url, schema) = self.url_and_schema();
        open(&url, schema.as_deref())
    }
}

pub fn open(url: &str, schema: Option<&str>) -> SqlStore {
    let (url, schema) = (url.to_owned(), schema.map(str::to_owned));
    std::thread::spawn(move || {
        let mut o = OpenOptions::new().max_connections(4);
        if let Some(s) = schema {
            o = o.postgres_schema(s);
        }
        SqlStore::open_with(&url, &o).unwrap_or_else(|e| panic!("opening the metadata store: {e}"))
    })
    .join()
    .unwrap()
}

impl Drop for Meta {
    fn drop(&mut self) {
        if let Meta::Postgres { url, schema } = self {
            std::thread::scope(|s| {
                s.spawn(|| {
                    if let Ok(mut c) = postgres::Client::connect(url, postgres::NoTls) {
                        let _ =
                            c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
                    }
                });
            });
        }
    }
}

/// Run an async test body on a multi-threaded runtime (blob uploads use the blocking pool).
pub fn run<F: std::future::Future<Output = ()>>(f: F) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}
