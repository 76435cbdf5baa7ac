//! Node configuration: a TOML file, overridden by command-line flags, resolved into
//! [`Settings`] that a [`Node`](crate::server::Node) runs with.
//!
//! ```toml
//! public_url = "http://127.0.0.1:7470"   # the nodeAddress this node accepts (required)
//! listen = "127.0.0.1:7470"              # default: the host:port of public_url when it is an IP
//! data_dir = "/var/lib/sessionsig"       # default: $XDG_DATA_HOME/sessionsig-node
//! store = "sqlite:///var/lib/sessionsig/sessionsig.db"  # default: sqlite://<data_dir>/sessionsig.db
//!                                        # postgres://user@host/db to share with other nodes
//! store_schema = "sessionsig"            # PostgreSQL schema for the tables (default: search path)
//! network = ["http://127.0.0.1:7470", "http://127.0.0.1:7471"]  # handshake node list (default: just this node)
//! network_secret_file = "/etc/sessionsig/network.key"  # 64 hex; default <data_dir>/network.key, created 0600
//! skew_secs = 60                         # clock skew allowed on each side of every window
//! max_lifetime_secs = 2592000            # longest SessionSig lifetime (30 days)
//! trust_lit_bls = false                  # accept lit.bls AuthSigs without a BLS check
//! nonce_ttl_secs = 600                   # how long a handshake nonce stays fresh
//! require_network_nonce = false          # refuse session AuthSigs whose SIWE nonce is not ours
//! cache_capacity = 10000                 # verified AuthSigs kept
//! worker_threads = 2                     # async threads (default: number of CPUs)
//! blocking_threads = 8                   # most threads verifying / waiting on the store at once
//!                                        # (default: 2 × CPUs, at least 8)
//! verify = true                          # false ONLY for load comparisons, with --insecure-no-verify
//!
//! [limits]
//! max_body_bytes = 65536
//! max_header_bytes = 32768               # whole request head; at least 8192
//! max_headers = 64
//! max_json_depth = 16
//! request_timeout_ms = 10000
//! header_read_timeout_ms = 5000
//! max_concurrency = 1024                 # requests in flight on /v1; more are answered 503 overloaded
//! max_connections = 4096                 # open connections; more wait in the accept queue
//! shutdown_grace_ms = 10000              # in-flight requests get this long after SIGTERM
//! ```

use crate::error::{NodeError, Result};
use crate::nonce::SECRET_LEN;
use serde::Deserialize;
use sessionsig::verify::{NodeIdentity, Policy};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use time::Duration;
use zeroize::Zeroizing;

/// Request limits.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest request body (bytes).
    pub max_body_bytes: usize,
    /// Largest request head: request line and headers (bytes, at least 8192).
    pub max_header_bytes: usize,
    /// Most header fields in a request.
    pub max_headers: usize,
    /// Deepest JSON nesting accepted (body and Authorization header).
    pub max_json_depth: usize,
    /// Longest time to answer a request (ms).
    pub request_timeout_ms: u64,
    /// Longest time for a client to send its request head (ms).
    pub header_read_timeout_ms: u64,
    /// Most `/v1` requests in flight; beyond, `503 overloaded`.
    pub max_concurrency: usize,
    /// Most open connections; beyond, new ones wait in the accept queue.
    pub max_connections: usize,
    /// How long in-flight requests may run after a shutdown signal (ms).
    pub shutdown_grace_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 64 * 1024,
            max_header_bytes: 32 * 1024,
            max_headers: 64,
            max_json_depth: 16,
            request_timeout_ms: 10_000,
            header_read_timeout_ms: 5_000,
            max_concurrency: 1024,
            max_connections: 4096,
            shutdown_grace_ms: 10_000,
        }
    }
}

/// The configuration as written (file and flags); every field optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeConfig {
    /// The node's public URL: the `nodeAddress` (and SessionSigs map key) it accepts.
    pub public_url: Option<String>,
    /// Socket address to listen on.
    pub listen: Option<SocketAddr>,
    /// Directory for the default SQLite store and the network secret.
    pub data_dir: Option<PathBuf>,
    /// Store URL: `sqlite://<path>`, `postgres://…` or `memory:`.
    pub store: Option<String>,
    /// PostgreSQL schema for the tables (created if missing; default: the search path).
    pub store_schema: Option<String>,
    /// Every node of the network (the handshake's list).
    pub network: Vec<String>,
    /// File holding the network's nonce secret (64 hex characters).
    pub network_secret_file: Option<PathBuf>,
    /// Clock skew, seconds.
    pub skew_secs: Option<u64>,
    /// Maximum SessionSig lifetime, seconds.
    pub max_lifetime_secs: Option<u64>,
    /// Accept `lit.bls` AuthSigs unchecked.
    pub trust_lit_bls: Option<bool>,
    /// Handshake nonce lifetime, seconds.
    pub nonce_ttl_secs: Option<u64>,
    /// Require a fresh network nonce in session AuthSigs.
    pub require_network_nonce: Option<bool>,
    /// AuthSig cache capacity.
    pub cache_capacity: Option<usize>,
    /// Async worker threads.
    pub worker_threads: Option<usize>,
    /// Blocking-pool threads (verification and store calls).
    pub blocking_threads: Option<usize>,
    /// Verify SessionSigs on `/v1/authorize` (false only with `--insecure-no-verify`).
    pub verify: Option<bool>,
    /// Request limits.
    pub limits: Limits,
}

/// Everything a node runs with, checked.
#[derive(Clone)]
pub struct Settings {
    /// The public URL (the `nodeAddress` accepted).
    pub public_url: String,
    /// Where to listen.
    pub listen: SocketAddr,
    /// The store URL (may contain a password: print [`crate::store::redact_url`] of it).
    pub store: String,
    /// PostgreSQL schema for the tables.
    pub store_schema: Option<String>,
    /// The network's nodes, this one included.
    pub network: Vec<String>,
    /// The network's nonce secret.
    pub network_secret: Zeroizing<[u8; SECRET_LEN]>,
    /// Verification policy.
    pub policy: Policy,
    /// Handshake nonce lifetime.
    pub nonce_ttl: Duration,
    /// Require network nonces.
    pub require_network_nonce: bool,
    /// AuthSig cache capacity.
    pub cache_capacity: usize,
    /// Async worker threads.
    pub worker_threads: usize,
    /// Blocking-pool threads.
    pub blocking_threads: usize,
    /// Verify on `/v1/authorize`.
    pub verify: bool,
    /// Request limits.
    pub limits: Limits,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("public_url", &self.public_url)
            .field("listen", &self.listen)
            .field("store", &crate::store::redact_url(&self.store))
            .field("network", &self.network)
            .field("network_secret", &"<redacted>")
            .field("policy", &self.policy)
            .field("nonce_ttl", &self.nonce_ttl)
            .field("require_network_nonce", &self.require_network_nonce)
            .field("verify", &self.verify)
            .field("limits", &self.limits)
            .finish()
    }
}

impl NodeConfig {
    /// Read a TOML file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| NodeError::io(path.display(), e))?;
        Self::from_toml(&text).map_err(|e| match e {
            NodeError::Config(m) => NodeError::Config(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    /// Parse TOML text.
    pub fn from_toml(text: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| NodeError::Config(e.to_string()))
    }

    /// Check everything and produce [`Settings`]. `insecure_no_verify` is the explicit
    /// acknowledgement that `verify = false` requires. Reads (and creates, under the data
    /// directory) the network secret file.
    pub fn resolve(&self, insecure_no_verify: bool) -> Result<Settings> {
        let public_url = self
            .public_url
            .clone()
            .ok_or_else(|| NodeError::Config("public_url (--public-url) is required".into()))?;
        check_url(&public_url)?;
        let identity = NodeIdentity::new(&public_url)
            .map_err(|e| NodeError::Config(format!("public_url: {e}")))?;
        let listen = match self.listen {
            Some(l) => l,
            None => default_listen(identity.host_port()).ok_or_else(|| {
                NodeError::Config(format!(
                    "cannot listen on the host of {public_url}: give listen (--listen)"
                ))
            })?,
        };
        let data_dir = self.data_dir.clone().unwrap_or_else(default_data_dir);
        let store = match &self.store {
            Some(s) => s.clone(),
            None => format!("sqlite://{}", data_dir.join("sessionsig.db").display()),
        };
        let mut network = Vec::new();
        for n in &self.network {
            check_url(n)?;
            if !network.contains(n) {
                network.push(n.clone());
            }
        }
        if !network.iter().any(|n| identity.matches(n)) {
            network.insert(0, public_url.clone());
        }
        let verify = self.verify.unwrap_or(true);
        if !verify && !insecure_no_verify {
            return Err(NodeError::Insecure(
                "verify = false turns off SessionSig verification on /v1/authorize; it exists \
                 only for load comparisons and needs --insecure-no-verify"
                    .into(),
            ));
        }
        let limits = self.limits.clone();
        check_limits(&limits)?;
        let secs = |v: Option<u64>, default: u64, what: &str| -> Result<Duration> {
            let v = v.unwrap_or(default);
            i64::try_from(v)
                .ok()
                .filter(|v| *v <= 100 * 365 * 86_400)
                .map(Duration::seconds)
                .ok_or_else(|| NodeError::Config(format!("{what} is too large")))
        };
        let policy = Policy {
            skew: secs(self.skew_secs, 60, "skew_secs")?,
            max_lifetime: secs(self.max_lifetime_secs, 30 * 86_400, "max_lifetime_secs")?,
            trust_lit_bls: self.trust_lit_bls.unwrap_or(false),
            ..Policy::default()
        };
        let nonce_ttl = secs(self.nonce_ttl_secs, 600, "nonce_ttl_secs")?;
        if nonce_ttl <= Duration::ZERO {
            return Err(NodeError::Config("nonce_ttl_secs must be positive".into()));
        }
        let network_secret = match &self.network_secret_file {
            Some(p) => read_secret(p)?,
            None => read_or_create_secret(&data_dir.join("network.key"))?,
        };
        let (worker_threads, blocking_threads) = self.threads();
        Ok(Settings {
            public_url,
            listen,
            store,
            store_schema: self.store_schema.clone(),
            network,
            network_secret,
            policy,
            nonce_ttl,
            require_network_nonce: self.require_network_nonce.unwrap_or(false),
            cache_capacity: self.cache_capacity.unwrap_or(10_000).max(1),
            worker_threads,
            blocking_threads,
            verify,
            limits,
        })
    }
}

impl NodeConfig {
    /// The runtime's (async worker threads, blocking threads): `worker_threads` (default the
    /// number of CPUs) and `blocking_threads` (default twice the number of CPUs, at least 8:
    /// verification is CPU-bound and the store's pool holds 8 connections, so more threads
    /// only add context switches and pool waits — with the load bench on 2 cores, 64 threads
    /// cost 6–30 % more node CPU per request than 8).
    pub fn threads(&self) -> (usize, usize) {
        let cpus = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        (
            self.worker_threads.unwrap_or(cpus).max(1),
            self.blocking_threads.unwrap_or((2 * cpus).max(8)).max(1),
        )
    }
}

fn check_limits(l: &Limits) -> Result<()> {
    let bad = |m: &str| Err(NodeError::Config(format!("limits.{m}")));
    if l.max_header_bytes < 8192 {
        return bad("max_header_bytes must be at least 8192");
    }
    if l.max_body_bytes == 0 || l.max_headers == 0 || l.max_json_depth == 0 {
        return bad("max_body_bytes, max_headers and max_json_depth must be positive");
    }
    if l.max_concurrency == 0 || l.max_connections == 0 {
        return bad("max_concurrency and max_connections must be positive");
    }
    if l.request_timeout_ms == 0 || l.header_read_timeout_ms == 0 {
        return bad("request_timeout_ms and header_read_timeout_ms must be positive");
    }
    Ok(())
}

/// An absolute `http://` or `https://` URL with a host.
fn check_url(u: &str) -> Result<()> {
    let ok = (u.starts_with("http://") || u.starts_with("https://"))
        && NodeIdentity::new(u).is_ok()
        && !u.contains(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err(NodeError::Config(format!(
            "`{}` is not a node URL (e.g. http://127.0.0.1:7470)",
            u.chars().take(200).collect::<String>()
        )))
    }
}

/// `127.0.0.1:7470` → that socket address; `[::1]:7470` too; a host name → none.
fn default_listen(host_port: &str) -> Option<SocketAddr> {
    let (host, port) = host_port.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = host.parse().ok()?;
    Some(SocketAddr::new(ip, port.parse().ok()?))
}

/// `$XDG_DATA_HOME/sessionsig-node`, else `~/.local/share/sessionsig-node`, else
/// `./sessionsig-node-data`.
pub fn default_data_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(x).join("sessionsig-node");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(h).join(".local/share/sessionsig-node");
    }
    PathBuf::from("sessionsig-node-data")
}

/// Read a 64-hex-character secret file.
pub fn read_secret(path: &Path) -> Result<Zeroizing<[u8; SECRET_LEN]>> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path).map_err(|e| NodeError::io(path.display(), e))?,
    );
    let mut out = Zeroizing::new([0u8; SECRET_LEN]);
    hex::decode_to_slice(text.trim(), out.as_mut()).map_err(|_| {
        NodeError::Config(format!(
            "{}: expected {} hex characters",
            path.display(),
            2 * SECRET_LEN
        ))
    })?;
    Ok(out)
}

/// Read the secret file, or create it (owner-only) with a random secret when absent.
pub fn read_or_create_secret(path: &Path) -> Result<Zeroizing<[u8; SECRET_LEN]>> {
    match read_secret(path) {
        Ok(s) => return Ok(s),
        Err(NodeError::Io(_)) if !path.exists() => {}
        Err(e) => return Err(e),
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| NodeError::io(dir.display(), e))?;
    }
    let mut secret = Zeroizing::new([0u8; SECRET_LEN]);
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, secret.as_mut());
    let text = Zeroizing::new(hex::encode(secret.as_ref()));
    write_private_new(path, text.as_bytes())?;
    // Another process may have won the race to create it: use what is on disk.
    read_secret(path)
}

/// Create `path` with owner-only permissions, atomically: the content is written to a
/// temporary file first and then hard-linked into place, so a concurrent reader (another node
/// starting on the same data directory) never sees a partial file. An existing file is left
/// alone.
fn write_private_new(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let written = opts
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|_| f.sync_all()));
    let linked = written.and_then(|_| match std::fs::hard_link(&tmp, path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    });
    let _ = std::fs::remove_file(&tmp);
    linked.map_err(|e| NodeError::io(path.display(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(dir: &Path) -> NodeConfig {
        NodeConfig {
            public_url: Some("http://127.0.0.1:7470".into()),
            data_dir: Some(dir.to_owned()),
            ..NodeConfig::default()
        }
    }

    #[test]
    fn defaults_resolve() {
        let d = tempfile::tempdir().unwrap();
        let s = base(d.path()).resolve(false).unwrap();
        assert_eq!(s.listen, "127.0.0.1:7470".parse().unwrap());
        assert_eq!(s.network, vec!["http://127.0.0.1:7470".to_owned()]);
        assert!(s.store.starts_with("sqlite://") && s.store.ends_with("sessionsig.db"));
        assert!(s.verify);
        assert_eq!(s.policy.skew, Duration::seconds(60));
        // The secret file was created owner-only and is reused.
        let p = d.path().join("network.key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let again = base(d.path()).resolve(false).unwrap();
        assert_eq!(*again.network_secret, *s.network_secret);
        assert!(!format!("{s:?}").contains(&hex::encode(s.network_secret.as_ref())));
    }

    #[test]
    fn toml_file_and_refusals() {
        let d = tempfile::tempdir().unwrap();
        let c = NodeConfig::from_toml(
            "public_url = \"http://localhost:9000\"\nskew_secs = 5\nnetwork = [\"http://127.0.0.1:9001\"]\n[limits]\nmax_body_bytes = 1000\n",
        )
        .unwrap();
        let mut c2 = c.clone();
        c2.data_dir = Some(d.path().into());
        let s = c2.resolve(false).unwrap();
        assert_eq!(s.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(s.limits.max_body_bytes, 1000);
        assert_eq!(s.policy.skew, Duration::seconds(5));
        assert_eq!(s.network[0], "http://localhost:9000");
        assert_eq!(s.network.len(), 2);

        assert_eq!(
            NodeConfig::from_toml("publik_url = \"x\"")
                .unwrap_err()
                .code(),
            "invalid_config"
        );
        let mut no_verify = base(d.path());
        no_verify.verify = Some(false);
        assert_eq!(
            no_verify.resolve(false).unwrap_err().code(),
            "insecure_config"
        );
        assert!(!no_verify.resolve(true).unwrap().verify);
        let mut host = base(d.path());
        host.public_url = Some("https://node.example".into());
        assert_eq!(host.resolve(false).unwrap_err().code(), "invalid_config");
        host.listen = Some("0.0.0.0:8443".parse().unwrap());
        assert!(host.resolve(false).is_ok());
        let mut small = base(d.path());
        small.limits.max_header_bytes = 100;
        assert_eq!(small.resolve(false).unwrap_err().code(), "invalid_config");
        let mut bad_url = base(d.path());
        bad_url.public_url = Some("ftp://x:1".into());
        assert_eq!(bad_url.resolve(false).unwrap_err().code(), "invalid_config");
    }
}
