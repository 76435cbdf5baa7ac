//! The data backpack, from the client's side: put, get, list, delete, share and revoke, each
//! request signed for the one node it goes to.
//!
//! ```text
//! BackpackClient::put_file(remote, file)
//!   ├─ hash the file (first pass)                    → Content-Digest: sha-256=:…:
//!   ├─ SessionSig for this node, this resource, this ability
//!   │     (SessionManager: one wallet prompt per session; a share's delegation carried first)
//!   ├─ RFC 9421 signature by the session key over method, authority, path, query, digest
//!   └─ stream the file (second pass) to the first healthy node; progress to the callback
//! ```
//!
//! * **Sessions** ([`SessionMode`]): `Prompt` lets the [`SessionManager`] ask the wallet under
//!   its re-sign rules (a library user's app); `StoredOnly` signs with the stored session as
//!   it is and never prompts, so a session narrowed at sign-in stays narrow and the node, not
//!   the client, judges every request (the CLI after `login`).
//! * **Retries** ([`RetryPolicy`]): reads (GET, HEAD, list) are retried on a transport error
//!   or a 503, moving to the next node; a change (PUT, DELETE) only when the connection could
//!   not be made or the node answered 503 — and every attempt is signed anew with its own
//!   nonce, so no retry is a replay. An interrupted download continues with `Range` from the
//!   last byte received, after checking the object's `ETag` did not change.
//! * **Integrity**: a whole download is hashed as it arrives and compared with the object's
//!   `Content-Digest`; a mismatch keeps nothing.
//! * **Nodes**: the manager's node set, tried from the last node that answered; each gets its
//!   own SessionSig (`nodeAddress` is that node), so a request captured on one node is refused
//!   by the others.

pub mod error;
pub mod human;
pub mod objects;
pub mod progress;
pub mod remote;
pub mod share;
mod transfer;

pub use error::{BackpackError, BackpackResult};
pub use objects::{ByteRange, Download, Listing, ObjectInfo};
pub use progress::{Phase, Progress, ProgressFn};
pub use remote::Remote;
pub use share::{create_share, sign_revocation, Share, ShareSpec};
pub use transfer::{guess_content_type, GetOptions, PutOptions};

use crate::manager::SessionManager;
use crate::transport::{describe_reqwest, join_url};
use alloy_primitives::Address;
use base64::Engine as _;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::Method;
use sessionsig::auth_sig::AuthSig;
use sessionsig::lit::LitAbility;
use sessionsig::session::{SessionSigParams, WireFormat};
use sessionsig::time::Duration;
use sessionsig_backpack::httpsig::{new_nonce, sign_backpack_request};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// How the client obtains the session it signs with. See the [module documentation](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionMode {
    /// Ask the wallet when the re-sign rules say so (one prompt grants `backpack/*` on the
    /// wallet's whole backpack, or a carried share's folder).
    #[default]
    Prompt,
    /// Use the stored session as it is; never prompt.
    StoredOnly,
}

/// Which failures are retried, how often, and how patiently.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per request, at least one (each may go to another node).
    pub attempts: u32,
    /// Pause before the second attempt; doubled for each further one.
    pub backoff: std::time::Duration,
    /// Longest wait for a connection.
    pub connect_timeout: std::time::Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            backoff: std::time::Duration::from_millis(100),
            connect_timeout: std::time::Duration::from_secs(5),
        }
    }
}

/// A node's answer to `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeHealth {
    /// The node URL.
    pub node: String,
    /// Whether it answered 200.
    pub healthy: bool,
    /// Its software version, or why it is not healthy.
    pub detail: String,
}

/// A request ready to send: what a node receives, for callers that need to show what a
/// captured request can (not) do.
#[derive(Debug, Clone)]
pub struct PreparedRequest {
    /// The method.
    pub method: Method,
    /// The full URL.
    pub url: String,
    /// Every header, `Authorization` and the RFC 9421 signature included.
    pub headers: HeaderMap,
}

/// The operations, by the ability each needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Read,
    Head,
    List,
    Write,
    Delete,
}

impl Op {
    fn ability(self) -> LitAbility {
        match self {
            Op::Read | Op::Head => LitAbility::BackpackRead,
            Op::List => LitAbility::BackpackList,
            Op::Write => LitAbility::BackpackWrite,
            Op::Delete => LitAbility::BackpackDelete,
        }
    }

    fn method(self) -> Method {
        match self {
            Op::Read | Op::List => Method::GET,
            Op::Head => Method::HEAD,
            Op::Write => Method::PUT,
            Op::Delete => Method::DELETE,
        }
    }

    fn is_read(self) -> bool {
        matches!(self, Op::Read | Op::Head | Op::List)
    }
}

/// The backpack client. Cheap to clone; clones share the node preference.
#[derive(Clone)]
pub struct BackpackClient {
    manager: Arc<SessionManager>,
    http: reqwest::Client,
    mode: SessionMode,
    shares: Arc<Vec<Share>>,
    retry: RetryPolicy,
    preferred: Arc<AtomicUsize>,
    nodes: Option<Vec<String>>,
    progress: Option<ProgressFn>,
    session_sig_ttl: Duration,
    page_size: u16,
}

impl std::fmt::Debug for BackpackClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackpackClient")
            .field("manager", &self.manager)
            .field("mode", &self.mode)
            .field("shares", &self.shares.len())
            .field("retry", &self.retry)
            .field("nodes", &self.nodes)
            .finish_non_exhaustive()
    }
}

impl BackpackClient {
    /// A client on `manager`'s wallet, store and node set, in [`SessionMode::Prompt`].
    ///
    /// Errors: `invalid_config` when the HTTP client cannot be built.
    pub fn new(manager: Arc<SessionManager>) -> BackpackResult<Self> {
        let retry = RetryPolicy::default();
        Ok(BackpackClient {
            http: build_http(&retry)?,
            manager,
            mode: SessionMode::Prompt,
            shares: Arc::new(Vec::new()),
            retry,
            preferred: Arc::new(AtomicUsize::new(0)),
            nodes: None,
            progress: None,
            session_sig_ttl: Duration::minutes(5),
            page_size: 1000,
        })
    }

    /// Use `mode` to obtain sessions.
    pub fn with_mode(mut self, mode: SessionMode) -> Self {
        self.mode = mode;
        self
    }

    /// Use `retry`.
    ///
    /// Errors: `invalid_config` when the HTTP client cannot be rebuilt.
    pub fn with_retry(mut self, retry: RetryPolicy) -> BackpackResult<Self> {
        self.http = build_http(&retry)?;
        self.retry = retry;
        Ok(self)
    }

    /// Report transfer progress to `progress`.
    pub fn with_progress(mut self, progress: ProgressFn) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Ask for listings `n` entries at a time (1 to 1000; default 1000, the node's maximum):
    /// [`BackpackClient::list`] gathers every page whatever the size.
    pub fn with_page_size(mut self, n: u16) -> Self {
        self.page_size = n.clamp(1, 1000);
        self
    }

    /// Carry `share` (a delegation to this wallet) on requests to its folder. In
    /// [`SessionMode::Prompt`] the wallet is asked once to grant the share's folder to the
    /// session key. A session AuthSig may not outlive a share it carries (the node refuses the
    /// chain, `attenuation_violated`): for a share shorter than the manager's
    /// [`SessionConfig::auth_sig_ttl`](crate::SessionConfig::auth_sig_ttl), sign in first with
    /// [`SessionManager::login_scoped`] ending with the share (the CLI's `login --share` does).
    ///
    /// Errors: `invalid_share` when it was made for another wallet.
    pub fn with_share(mut self, share: Share) -> BackpackResult<Self> {
        if share.with != self.wallet() {
            return Err(BackpackError::invalid(
                "invalid_share",
                format!(
                    "this share is for {}, not for this wallet {}",
                    share.with.to_checksum(None),
                    self.wallet().to_checksum(None)
                ),
            ));
        }
        let mut list = (*self.shares).clone();
        list.push(share);
        self.shares = Arc::new(list);
        Ok(self)
    }

    /// The same client sending only to `node` (no fail-over): to show what each node does.
    pub fn at_node(&self, node: &str) -> Self {
        let mut c = self.clone();
        c.nodes = Some(vec![node.to_owned()]);
        c.preferred = Arc::new(AtomicUsize::new(0));
        c
    }

    /// The wallet whose session signs.
    pub fn wallet(&self) -> Address {
        self.manager.wallet().address()
    }

    /// The session manager.
    pub fn manager(&self) -> &Arc<SessionManager> {
        &self.manager
    }

    /// `path` in this wallet's own backpack.
    ///
    /// Errors: `invalid_path`.
    pub fn remote(&self, path: &str) -> BackpackResult<Remote> {
        Remote::new(self.wallet(), path)
    }

    /// The nodes, in the order the next request tries them.
    pub fn nodes(&self) -> Vec<String> {
        let all: Vec<String> = match &self.nodes {
            Some(n) => n.clone(),
            None => self.manager.nodes().urls().to_vec(),
        };
        if all.is_empty() {
            return all;
        }
        let start = self.preferred.load(Ordering::Relaxed) % all.len();
        all[start..].iter().chain(&all[..start]).cloned().collect()
    }

    /// Ask every node for `/healthz`, at once.
    pub async fn health(&self) -> Vec<NodeHealth> {
        let mut set = tokio::task::JoinSet::new();
        let all: Vec<String> = match &self.nodes {
            Some(n) => n.clone(),
            None => self.manager.nodes().urls().to_vec(),
        };
        for (i, node) in all.iter().enumerate() {
            let (http, node) = (self.http.clone(), node.clone());
            set.spawn(async move {
                let url = join_url(&node, "/healthz");
                let r =
                    tokio::time::timeout(std::time::Duration::from_secs(3), http.get(&url).send())
                        .await;
                let (healthy, detail) = match r {
                    Err(_) => (false, "did not answer within 3 s".to_owned()),
                    Ok(Err(e)) => (false, describe_reqwest(&e)),
                    Ok(Ok(resp)) if resp.status().as_u16() == 200 => {
                        let body = resp.bytes().await.unwrap_or_default();
                        let v: serde_json::Value =
                            serde_json::from_slice(&body).unwrap_or_default();
                        let version = v
                            .get("nodeVersion")
                            .and_then(|x| x.as_str())
                            .unwrap_or("?")
                            .to_owned();
                        (true, format!("version {version}"))
                    }
                    Ok(Ok(resp)) => (false, format!("status {}", resp.status().as_u16())),
                };
                (
                    i,
                    NodeHealth {
                        node,
                        healthy,
                        detail,
                    },
                )
            });
        }
        let mut out = Vec::new();
        while let Some(r) = set.join_next().await {
            if let Ok(x) = r {
                out.push(x);
            }
        }
        out.sort_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, h)| h).collect()
    }

    /// Post a signed revocation (see [`sign_revocation`]) to the first node that takes it;
    /// nodes share their store, so one is enough for all. Returns the node and its answer.
    ///
    /// Errors: the node's refusal (`invalid_revocation`, `rate_limited`), `unreachable`.
    pub async fn post_revocation(
        &self,
        revocation: &AuthSig,
    ) -> BackpackResult<(String, serde_json::Value)> {
        let mut reasons = Vec::new();
        for node in self.nodes() {
            let url = join_url(&node, "/v1/revocations");
            let r = self
                .http
                .post(&url)
                .header("content-type", "application/json")
                .body(revocation.to_json())
                .send()
                .await;
            match r {
                Err(e) => reasons.push(format!("{node}: {}", describe_reqwest(&e))),
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let body = resp.bytes().await.map_err(|e| BackpackError::Unreachable {
                        reasons: vec![format!("{node}: {}", describe_reqwest(&e))],
                    })?;
                    if status == 200 || status == 201 {
                        let v = serde_json::from_slice(&body).unwrap_or_default();
                        return Ok((node, v));
                    }
                    if status == 503 {
                        reasons.push(format!("{node}: status 503"));
                        continue;
                    }
                    return Err(error::refusal(&node, status, &body));
                }
            }
        }
        Err(BackpackError::Unreachable { reasons })
    }

    /// The request that `op` on `remote` would send to `node` now, signed: SessionSig for
    /// that node and, always, the RFC 9421 signature with a fresh nonce.
    ///
    /// Errors: the session's errors (`no_session`, wallet errors), `invalid_path`.
    pub async fn prepare(
        &self,
        method: Method,
        remote: &Remote,
        node: &str,
    ) -> BackpackResult<PreparedRequest> {
        let op = match (method.as_str(), remote.is_folder()) {
            ("GET", true) => Op::List,
            ("GET", false) => Op::Read,
            ("HEAD", false) => Op::Head,
            ("PUT", false) => Op::Write,
            ("DELETE", false) => Op::Delete,
            _ => {
                return Err(BackpackError::invalid(
                    "method_not_allowed",
                    format!("{method} does not apply to {}", remote.path()),
                ))
            }
        };
        self.sign(op, remote, node, None, HeaderMap::new()).await
    }

    // ------------------------------------------------------------------ signing

    /// The `Authorization` value for `op` on `remote` at `node`, and the session key.
    async fn session_sig(
        &self,
        op: Op,
        remote: &Remote,
        node: &str,
    ) -> BackpackResult<(String, Arc<sessionsig::session::SessionKeyPair>)> {
        let me = self.wallet();
        let now = self.manager.clock().now();
        let share = (remote.owner() != me)
            .then(|| self.shares.iter().find(|s| s.folder.covers(remote)))
            .flatten();
        let until = now + self.session_sig_ttl;
        let (key, auth, ends) = match self.mode {
            SessionMode::StoredOnly => self.manager.stored_key().await?,
            SessionMode::Prompt => {
                let grant = match share {
                    Some(s) => s
                        .abilities
                        .iter()
                        .map(|a| s.folder.request(*a))
                        .collect::<BackpackResult<Vec<_>>>()?,
                    None => vec![Remote::root(me).request(LitAbility::BackpackAll)?],
                };
                if share.is_none() && remote.owner() != me {
                    // Someone else's backpack and no share for it: asking the wallet could
                    // not help. Sign with whatever session there is; the node answers.
                    match self.manager.stored_key().await {
                        Ok(x) => x,
                        Err(_) => {
                            let (k, a) = self.manager.authorized_key(&grant, until).await?;
                            (k, a, Some(until))
                        }
                    }
                } else {
                    let (k, a) = self.manager.authorized_key(&grant, until).await?;
                    (k, a, Some(until))
                }
            }
        };
        let expiration = ends.map_or(until, |e| e.min(until));
        let mut capabilities: Vec<AuthSig> =
            share.map(|s| s.delegation.clone()).into_iter().collect();
        capabilities.push(auth);
        let requests = [remote.request(op.ability())?];
        let sigs = key.sign_session_sigs(
            &SessionSigParams {
                requests: &requests,
                capabilities: &capabilities,
                issued_at: now,
                expiration,
                format: WireFormat::V7,
            },
            &[node],
        )?;
        let sig = sigs.get(node).ok_or_else(|| BackpackError::Protocol {
            node: node.to_owned(),
            detail: "no SessionSig was made for this node".into(),
        })?;
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sig.to_json());
        Ok((format!("SessionSig {token}"), key))
    }

    /// Every header of one attempt, signed.
    async fn sign(
        &self,
        op: Op,
        remote: &Remote,
        node: &str,
        query: Option<&str>,
        extra: HeaderMap,
    ) -> BackpackResult<PreparedRequest> {
        let mut url = join_url(node, &remote.route());
        if let Some(q) = query {
            url.push('?');
            url.push_str(q);
        }
        let (authorization, key) = self.session_sig(op, remote, node).await?;
        let mut req = http::Request::builder()
            .method(op.method())
            .uri(&url)
            .body(())
            .map_err(|e| BackpackError::invalid("invalid_path", format!("{url}: {e}")))?;
        *req.headers_mut() = extra;
        let now = self.manager.clock().now();
        sign_backpack_request(&mut req, key.as_ref(), now, &new_nonce())
            .map_err(|e| BackpackError::invalid("malformed_request_signature", e.to_string()))?;
        let mut headers = req.headers().clone();
        headers.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_str(&authorization)
                .map_err(|e| BackpackError::invalid("malformed_authorization", e.to_string()))?,
        );
        Ok(PreparedRequest {
            method: op.method(),
            url,
            headers,
        })
    }

    // ------------------------------------------------------------------ sending

    /// Send `op` with retries (see the module documentation): the first answer that is not
    /// retryable, with the node that gave it. `body` makes a fresh body per attempt.
    async fn execute(
        &self,
        op: Op,
        remote: &Remote,
        query: Option<&str>,
        extra: &HeaderMap,
        body: &transfer::BodySource,
    ) -> BackpackResult<(String, reqwest::Response)> {
        let nodes = self.nodes();
        if nodes.is_empty() {
            return Err(crate::ClientError::NoNodes.into());
        }
        let attempts = self.retry.attempts.max(1) as usize;
        let tries = attempts.max(nodes.len());
        let mut reasons = Vec::new();
        for i in 0..tries {
            let node = &nodes[i % nodes.len()];
            if i >= nodes.len() {
                let factor = 1u32 << (i / nodes.len()).min(6);
                tokio::time::sleep(self.retry.backoff * factor).await;
            }
            let prepared = self.sign(op, remote, node, query, extra.clone()).await?;
            let request = self
                .http
                .request(prepared.method.clone(), &prepared.url)
                .headers(prepared.headers)
                .body(body.body(self.progress.clone()).await?);
            match request.send().await {
                Ok(resp) if resp.status().as_u16() == 503 => {
                    reasons.push(format!("{node}: status 503"));
                }
                Ok(resp) => {
                    self.prefer(node);
                    return Ok((node.clone(), resp));
                }
                Err(e) => {
                    let retryable = op.is_read() || e.is_connect();
                    if !retryable {
                        // The change was sent and no answer came: it may have been applied.
                        // Sending it again would be a new request, so say so instead.
                        reasons.push(format!(
                            "{node}: {} after the request was sent; the change may or may not \
                             have been applied (check, then retry)",
                            describe_reqwest(&e)
                        ));
                        return Err(BackpackError::Unreachable { reasons });
                    }
                    reasons.push(format!("{node}: {}", describe_reqwest(&e)));
                }
            }
            self.skip(node);
        }
        Err(BackpackError::Unreachable { reasons })
    }

    fn prefer(&self, node: &str) {
        if let Some(i) = self.all_nodes().iter().position(|n| n == node) {
            self.preferred.store(i, Ordering::Relaxed);
        }
    }

    fn skip(&self, node: &str) {
        let all = self.all_nodes();
        if let Some(i) = all.iter().position(|n| n == node) {
            self.preferred
                .store((i + 1) % all.len().max(1), Ordering::Relaxed);
        }
    }

    fn all_nodes(&self) -> Vec<String> {
        match &self.nodes {
            Some(n) => n.clone(),
            None => self.manager.nodes().urls().to_vec(),
        }
    }
}

fn build_http(retry: &RetryPolicy) -> BackpackResult<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(retry.connect_timeout)
        .build()
        .map_err(|e| crate::ClientError::InvalidConfig(format!("HTTP client: {e}")).into())
}

/// A header name known to be valid.
pub(crate) fn header(name: &'static str) -> HeaderName {
    HeaderName::from_static(name)
}
