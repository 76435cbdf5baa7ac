//! The databases the tests run against: a fresh SQLite file in a temporary directory, or a
//! fresh schema in the machine's PostgreSQL (dropped when the test ends, pass or fail).
#![allow(dead_code)]

use sessionsig_store::{OpenOptions, SqlStore};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Overrides the PostgreSQL server the tests use.
pub const PG_URL_ENV: &str = "SESSIONSIG_TEST_POSTGRES_URL";

/// Where the CI machine's server is (trust auth, database `test`), as `postgres` or `root`.
const PG_CANDIDATES: &[&str] = &[
    "postgres://postgres@127.0.0.1:5432/test",
    "postgres://root@127.0.0.1:5432/test",
];

/// The PostgreSQL URL to test against. Panics (fails the test) with a clear message when no
/// server answers: the PostgreSQL tests are never skipped.
pub fn pg_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let candidates: Vec<String> = match std::env::var(PG_URL_ENV) {
            Ok(u) if !u.is_empty() => vec![u],
            _ => PG_CANDIDATES.iter().map(|s| s.to_string()).collect(),
        };
        let mut errors = Vec::new();
        for url in &candidates {
            let mut config: postgres::Config = url.parse().expect("PostgreSQL test URL");
            config.connect_timeout(Duration::from_secs(5));
            match config.connect(postgres::NoTls) {
                Ok(_) => return url.clone(),
                Err(e) => errors.push(format!("{url}: {e} ({:?})", std::error::Error::source(&e))),
            }
        }
        panic!(
            "PostgreSQL tests need a server and none answered.\n  tried: {}\n  Start PostgreSQL \
             on 127.0.0.1:5432 (trust auth, database `test`) or set {PG_URL_ENV}.",
            errors.join("\n         ")
        )
    })
}

/// A database for one test.
pub enum Db {
    /// A SQLite file in its own temporary directory.
    Sqlite { dir: tempfile::TempDir, url: String },
    /// A schema of its own in the test server.
    Postgres { url: String, schema: String },
}

impl Db {
    /// A fresh SQLite file.
    pub fn sqlite() -> Db {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("store.db").display());
        Db::Sqlite { dir, url }
    }

    /// A fresh, uniquely named PostgreSQL schema (created by the first open).
    pub fn postgres() -> Db {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let schema = format!(
            "sst_{}_{}_{}",
            std::process::id(),
            nanos,
            N.fetch_add(1, Ordering::SeqCst)
        );
        Db::Postgres {
            url: pg_url().to_string(),
            schema,
        }
    }

    /// Rebuild a handle from what [`Db::env`] passed to a child process (no cleanup there).
    pub fn url_and_schema(&self) -> (String, Option<String>) {
        match self {
            Db::Sqlite { url, .. } => (url.clone(), None),
            Db::Postgres { url, schema } => (url.clone(), Some(schema.clone())),
        }
    }

    /// The options to open it with.
    pub fn options(&self) -> OpenOptions {
        options(self.url_and_schema().1.as_deref())
    }

    /// Open one more store on it: another "node".
    pub fn open(&self) -> SqlStore {
        let (url, schema) = self.url_and_schema();
        open(&url, schema.as_deref())
    }

    /// Environment for a child process that opens the same database.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let (url, schema) = self.url_and_schema();
        let mut v = vec![("SST_URL", url)];
        if let Some(s) = schema {
            v.push(("SST_SCHEMA", s));
        }
        v
    }
}

/// Small pools: many tests run at once against one server.
pub fn options(schema: Option<&str>) -> OpenOptions {
    let o = OpenOptions::new().max_connections(4);
    match schema {
        Some(s) => o.postgres_schema(s),
        None => o,
    }
}

pub fn open(url: &str, schema: Option<&str>) -> SqlStore {
    SqlStore::open_with(url, &options(schema))
        .unwrap_or_else(|e| panic!("opening the test store: {e}"))
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Db::Postgres { url, schema } = self {
            // On a thread of its own: the synchronous driver panics inside an async test.
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

/// Generate `sqlite::name` and `postgres::name` tests running `name(&Db)` on each backend.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(&crate::common::Db::sqlite()) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name(&crate::common::Db::postgres()) } )*
        }
    };
}
