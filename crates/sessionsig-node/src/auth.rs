//! SessionSig authentication for any axum app: the `Authorization` header format, the
//! [`Authorizer`] that verifies off the async threads, the [`RequireSessionSig`] tower layer,
//! and the [`Session`] extractor that hands a handler its [`VerifiedSession`].
//!
//! # The header
//!
//! ```text
//! Authorization: SessionSig <base64url(JSON of ONE SessionSig object)>
//! ```
//!
//! * The scheme is `SessionSig` (case-insensitive, RFC 9110 §11.1), then one space or more,
//!   then the token: the base64url encoding (RFC 4648 §5, `-` and `_`; padding optional) of
//!   the UTF-8 JSON of the SessionSig **for this node**: `{"sig","derivedVia","signedMessage",
//!   "address","algo"}`, exactly as the Lit SDK emits one entry of its SessionSigs map.
//!   base64url keeps the header a single token of safe characters whatever the JSON holds.
//! * Exactly one `Authorization` header; the decoded JSON must be an object, nest no deeper
//!   than the node's JSON depth limit, and the whole header block fits the node's header size
//!   limit (default 32 KiB; a Lit SDK SessionSig with one wallet AuthSig is about 2.5 KiB
//!   encoded).
//! * The node checks the signature over the `signedMessage` string as received, so the JSON
//!   may be re-formatted by the client without harm, but `signedMessage` must not be touched.
//!
//! Build one with [`authorization_value`].
//!
//! # The layer
//!
//! ```no_run
//! use axum::{routing::post, Router};
//! use sessionsig::lit::{LitAbility, LitResource};
//! use sessionsig::time::SystemClock;
//! use sessionsig::verify::{Policy, Verifier};
//! use sessionsig_node::auth::{Authorizer, RequireSessionSig, Session};
//! use std::sync::Arc;
//!
//! async fn sign(Session(session): Session) -> String {
//!     format!("signing for {}", session.owner())
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::new("https://127.0.0.1:7470", Policy::default(), SystemClock)?;
//! let auth = Authorizer::new(Arc::new(verifier));
//! let app: Router = Router::new().route(
//!     "/sign",
//!     post(sign).route_layer(RequireSessionSig::new(
//!         auth,
//!         LitResource::parse("lit-pkp://*")?,
//!         LitAbility::PkpSigning,
//!     )),
//! );
//! # Ok(()) }
//! ```
//!
//! A refused request never reaches the handler: it is answered 401/403/503 with
//! `{"code","error"}` (see [`crate::error`]).

use crate::error::{NodeError, Result};
use crate::json::check_depth;
use crate::metrics::Metrics;
use crate::nonce::NonceKey;
use crate::store::AsyncRevocations;
use crate::token_cache::TokenCache;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use sessionsig::lit::{LitAbility, LitResource};
use sessionsig::session::{SessionSig, SessionSigMessage};
use sessionsig::siwe::SiweMessage;
use sessionsig::time::Clock;
use sessionsig::verify::{
    Authorization, Request, Reservation, UnverifiedSessionSig, VerifiedSession, Verifier,
};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

/// The `Authorization` scheme name.
pub const SCHEME: &str = "SessionSig";

/// Default nesting limit for JSON read by the node.
pub const DEFAULT_MAX_JSON_DEPTH: usize = 16;

const B64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The `Authorization` header value for `sig`: `SessionSig <base64url(JSON)>` (no padding).
pub fn authorization_value(sig: &SessionSig) -> String {
    format!("{SCHEME} {}", B64URL.encode(sig.to_json()))
}

/// Read the SessionSig from the request's `Authorization` header (see the [module](self)
/// documentation for the format).
pub fn from_headers(headers: &HeaderMap, max_json_depth: usize) -> Result<UnverifiedSessionSig> {
    parse_token(header_token(headers)?, max_json_depth)
}

/// The token of the request's one `Authorization: SessionSig <token>` header.
fn header_token(headers: &HeaderMap) -> Result<&str> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(NodeError::MissingAuthorization);
    };
    if values.next().is_some() {
        return Err(NodeError::MalformedAuthorization(
            "more than one Authorization header".into(),
        ));
    }
    let text = value
        .to_str()
        .map_err(|_| NodeError::MalformedAuthorization("not visible ASCII".into()))?;
    let (scheme, token) = text
        .split_once(' ')
        .ok_or_else(|| NodeError::MalformedAuthorization("expected `SessionSig <token>`".into()))?;
    if !scheme.eq_ignore_ascii_case(SCHEME) {
        return Err(NodeError::MalformedAuthorization(format!(
            "scheme must be `{SCHEME}`, found `{}`",
            scheme.chars().take(32).collect::<String>()
        )));
    }
    let token = token.trim_matches(' ');
    if token.is_empty() {
        return Err(NodeError::MalformedAuthorization("empty token".into()));
    }
    Ok(token)
}

/// The SessionSig in a token: base64url of its JSON.
fn parse_token(token: &str, max_json_depth: usize) -> Result<UnverifiedSessionSig> {
    let json = B64URL
        .decode(token)
        .map_err(|e| NodeError::MalformedAuthorization(format!("token is not base64url: {e}")))?;
    parse_session_sig(&json, max_json_depth).map_err(|e| match e {
        NodeError::Verify(v) => NodeError::MalformedAuthorization(v.to_string()),
        other => other,
    })
}

/// Parse the JSON of one SessionSig object, after the depth check.
pub fn parse_session_sig(json: &[u8], max_json_depth: usize) -> Result<UnverifiedSessionSig> {
    check_depth(json, max_json_depth)?;
    let text = std::str::from_utf8(json)
        .map_err(|_| sessionsig::Error::SessionSigMalformed("not UTF-8".into()))?;
    Ok(UnverifiedSessionSig::parse(text)?)
}

/// Verifies SessionSigs on the blocking pool, counts results, and (optionally) insists on a
/// network nonce. Cheap to clone; share one per node.
pub struct Authorizer<C = Arc<dyn Clock>> {
    verifier: Arc<Verifier<C>>,
    revocations_async: Option<Arc<dyn AsyncRevocations>>,
    metrics: Option<Arc<Metrics>>,
    nonce: Option<NonceKey>,
    max_json_depth: usize,
    nonce_rules: NonceRules,
    tokens: Arc<TokenCache>,
}

/// How network nonces are checked beyond "ours and fresh when signed".
#[derive(Debug, Clone, Copy)]
struct NonceRules {
    /// The oldest a nonce may be when the session is used.
    max_age: time::Duration,
    /// Carried delegations need a network nonce too.
    delegations: bool,
}

impl Default for NonceRules {
    fn default() -> Self {
        NonceRules {
            max_age: time::Duration::days(1),
            delegations: false,
        }
    }
}

impl<C> Clone for Authorizer<C> {
    fn clone(&self) -> Self {
        Authorizer {
            verifier: self.verifier.clone(),
            revocations_async: self.revocations_async.clone(),
            metrics: self.metrics.clone(),
            nonce: self.nonce.clone(),
            max_json_depth: self.max_json_depth,
            nonce_rules: self.nonce_rules,
            tokens: self.tokens.clone(),
        }
    }
}

impl<C: Clock> std::fmt::Debug for Authorizer<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorizer")
            .field("node", &self.verifier.node().url())
            .field("require_network_nonce", &self.nonce.is_some())
            .field("max_json_depth", &self.max_json_depth)
            .finish()
    }
}

impl<C: Clock + 'static> Authorizer<C> {
    /// An authorizer over `verifier` (no metrics, no nonce rule, JSON depth
    /// [`DEFAULT_MAX_JSON_DEPTH`]).
    pub fn new(verifier: Arc<Verifier<C>>) -> Self {
        Authorizer {
            verifier,
            revocations_async: None,
            metrics: None,
            nonce: None,
            max_json_depth: DEFAULT_MAX_JSON_DEPTH,
            nonce_rules: NonceRules::default(),
            tokens: Arc::new(TokenCache::new(crate::token_cache::DEFAULT_CAPACITY)),
        }
    }

    /// Ask `store` — the verifier's own revocation store, from async code — for the
    /// revocation check of a warm SessionSig (seen before, its AuthSigs cached), so that it
    /// needs no blocking thread: one round trip awaited on the async thread.
    pub fn with_async_revocations(mut self, store: Arc<dyn AsyncRevocations>) -> Self {
        self.revocations_async = Some(store);
        self
    }

    /// Count verifications (by result code) and their time in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Require the session AuthSig's SIWE nonce to be a fresh nonce of this network (handed
    /// out by `GET /v1/handshake` of any node holding the same secret).
    pub fn require_network_nonce(mut self, key: NonceKey) -> Self {
        self.nonce = Some(key);
        self
    }

    /// With [`require_network_nonce`](Self::require_network_nonce): the oldest a session
    /// AuthSig's nonce may be when the session is used (default one day), so that a SIWE
    /// back-dated onto an old nonce is refused (`nonce_expired`).
    pub fn with_nonce_max_age(mut self, max_age: time::Duration) -> Self {
        self.nonce_rules.max_age = max_age;
        self
    }

    /// With [`require_network_nonce`](Self::require_network_nonce): every carried delegation
    /// must carry a nonce of this network too (signed within its freshness window), so that a
    /// network refuses delegations made for another one.
    pub fn require_network_nonce_on_delegations(mut self) -> Self {
        self.nonce_rules.delegations = true;
        self
    }

    /// The nonce key when network nonces are required, and the oldest a nonce may be at use.
    pub fn network_nonce(&self) -> Option<(&NonceKey, time::Duration)> {
        self.nonce.as_ref().map(|k| (k, self.nonce_rules.max_age))
    }

    /// Refuse JSON nesting deeper than `depth`.
    pub fn with_max_json_depth(mut self, depth: usize) -> Self {
        self.max_json_depth = depth;
        // Parses made under another depth limit are not this authorizer's.
        self.tokens = Arc::new(TokenCache::new(crate::token_cache::DEFAULT_CAPACITY));
        self
    }

    /// The verifier.
    pub fn verifier(&self) -> &Arc<Verifier<C>> {
        &self.verifier
    }

    /// The JSON depth limit.
    pub fn max_json_depth(&self) -> usize {
        self.max_json_depth
    }

    /// Verify `sig` for `request` on the blocking pool (the verifier and its stores are
    /// synchronous), with the network nonce when the node requires one, spending nothing: the
    /// caller runs its own checks and then [`commit`](Self::commit)s. Failures are counted in
    /// the metrics under their code.
    ///
    /// A SessionSig seen before, whose AuthSigs are all cached: verified right here on the
    /// async thread, with a revocation store that answers locally (memory, SQLite) or one
    /// asked asynchronously ([`with_async_revocations`](Self::with_async_revocations),
    /// PostgreSQL). What is left of it is a few µs of cache lookups, time checks and one
    /// revocation query, less than the hop to the blocking pool and back costs
    /// (`benches/node_overhead.rs`).
    pub async fn check(
        &self,
        sig: UnverifiedSessionSig,
        request: Request,
    ) -> Result<Authorization> {
        if self.verifier.revocation_store().answers_locally() {
            let start = Instant::now();
            if let Some(r) = self.verifier.authorize_warm(&sig, &request) {
                let result = r.map_err(NodeError::from).and_then(|a| {
                    self.check_nonce(&self.verifier, &sig)?;
                    Ok(a)
                });
                return self.counted(result, start.elapsed());
            }
        } else if let Some(store) = &self.revocations_async {
            let start = Instant::now();
            if let Some(pending) = self.verifier.authorize_warm_pending(&sig, &request) {
                let result = async {
                    let pending = pending?;
                    let answer = store.first_revoked(pending.items()).await?;
                    let a = self.verifier.finish_warm(pending, answer)?;
                    self.check_nonce(&self.verifier, &sig)?;
                    Ok::<_, NodeError>(a)
                }
                .await;
                return self.counted(result, start.elapsed());
            }
        }
        let verifier = self.verifier.clone();
        let nonce = self.nonce.clone();
        let rules = self.nonce_rules;
        // Whose request this is, for the per-client budget of contract-wallet checks.
        let client = crate::client_scope::current();
        let joined = tokio::task::spawn_blocking(move || {
            let start = Instant::now();
            let r = crate::client_scope::run_as(client, || verifier.authorize(&sig, &request))
                .map_err(NodeError::from)
                .and_then(|a| match &nonce {
                    Some(k) => check_network_nonce(
                        k,
                        &sig,
                        verifier.policy().skew,
                        verifier.clock().now(),
                        rules,
                    )
                    .map(|_| a),
                    None => Ok(a),
                });
            (r, start.elapsed())
        })
        .await;
        let (result, elapsed) = match joined {
            Ok(x) => x,
            Err(e) => (
                Err(NodeError::Internal(format!("verification task: {e}"))),
                std::time::Duration::ZERO,
            ),
        };
        self.counted(result, elapsed)
    }

    /// The network nonce rule, when the node has one.
    fn check_nonce(&self, verifier: &Verifier<C>, sig: &UnverifiedSessionSig) -> Result<()> {
        match &self.nonce {
            Some(k) => check_network_nonce(
                k,
                sig,
                verifier.policy().skew,
                verifier.clock().now(),
                self.nonce_rules,
            ),
            None => Ok(()),
        }
    }

    /// Count a verification's time, and its code when it failed.
    fn counted(
        &self,
        result: Result<Authorization>,
        elapsed: std::time::Duration,
    ) -> Result<Authorization> {
        if let Some(m) = &self.metrics {
            m.verification_time(elapsed);
        }
        if let Err(e) = &result {
            self.count(e.code(), None);
        }
        result
    }

    /// Spend an authorization's charges (one use of each `uses` caveat, `bytes` of traffic on
    /// each `max_bytes` counter), all or nothing, after every other check passed. Counted in
    /// the metrics as `ok` or the refusal's code.
    pub async fn commit(
        &self,
        auth: Authorization,
        bytes: u64,
    ) -> Result<(VerifiedSession, Reservation)> {
        let verifier = self.verifier.clone();
        let result = if auth.charges().uses().is_empty()
            && (bytes == 0 || auth.charges().traffic().is_empty())
        {
            // Nothing to spend: no store round trip.
            verifier.commit(auth, bytes).map_err(NodeError::from)
        } else {
            tokio::task::spawn_blocking(move || verifier.commit(auth, bytes))
                .await
                .map_err(|e| NodeError::Internal(format!("commit task: {e}")))
                .and_then(|r| r.map_err(NodeError::from))
        };
        self.count(
            match &result {
                Ok(_) => "ok",
                Err(e) => e.code(),
            },
            None,
        );
        result
    }

    /// Give back the unused part of a reservation (a transfer that moved less, or failed).
    pub async fn release(&self, reservation: Reservation, unused: u64) -> Result<()> {
        if reservation.is_empty() || unused == 0 {
            return Ok(());
        }
        let verifier = self.verifier.clone();
        tokio::task::spawn_blocking(move || verifier.release(&reservation, unused))
            .await
            .map_err(|e| NodeError::Internal(format!("release task: {e}")))?
            .map_err(NodeError::from)
    }

    /// Verify and commit at once (no traffic): for routes with no checks of their own.
    pub async fn authorize(
        &self,
        sig: UnverifiedSessionSig,
        request: Request,
    ) -> Result<VerifiedSession> {
        let auth = self.check(sig, request).await?;
        self.commit(auth, 0).await.map(|(s, _)| s)
    }

    /// Read the SessionSig from `headers` and verify it for `request`, spending nothing.
    /// Header problems are counted in the metrics like verification failures.
    pub async fn check_headers(
        &self,
        headers: &HeaderMap,
        request: Request,
    ) -> Result<Authorization> {
        // A token seen before is not parsed again (see `token_cache`).
        let depth = self.max_json_depth;
        let parsed = header_token(headers)
            .and_then(|t| self.tokens.get_or_parse(t, |t| parse_token(t, depth)));
        match parsed {
            Ok(sig) => self.check(sig, request).await,
            Err(e) => {
                self.count(e.code(), None);
                Err(e)
            }
        }
    }

    /// Read the SessionSig from `headers`, verify it for `request` and commit its charges.
    pub async fn authorize_headers(
        &self,
        headers: &HeaderMap,
        request: Request,
    ) -> Result<VerifiedSession> {
        let auth = self.check_headers(headers, request).await?;
        self.commit(auth, 0).await.map(|(s, _)| s)
    }

    fn count(&self, code: &'static str, elapsed: Option<std::time::Duration>) {
        if let Some(m) = &self.metrics {
            m.verification(code, elapsed);
        }
    }
}

/// After a successful verification: the session AuthSig (the last capability) must carry a
/// network nonce that was fresh when it was signed and is not older than `rules.max_age`
/// now; with `rules.delegations`, every other carried AuthSig a nonce fresh when signed.
fn check_network_nonce(
    key: &NonceKey,
    sig: &UnverifiedSessionSig,
    skew: time::Duration,
    now: time::OffsetDateTime,
    rules: NonceRules,
) -> Result<()> {
    let msg = SessionSigMessage::parse(&sig.wire().signed_message)?;
    let Some((session_auth, carried)) = msg.capabilities.split_last() else {
        return Err(NodeError::NonceInvalid("no session AuthSig".into()));
    };
    let siwe = SiweMessage::parse(&session_auth.signed_message)?;
    key.check_siwe(&siwe.nonce, siwe.issued_at.instant(), skew)?;
    key.check_age(&siwe.nonce, now, rules.max_age, skew)?;
    if rules.delegations {
        for d in carried {
            let siwe = SiweMessage::parse(&d.signed_message)?;
            key.check_siwe(&siwe.nonce, siwe.issued_at.instant(), skew)
                .map_err(|e| match e {
                    NodeError::NonceInvalid(m) => NodeError::NonceInvalid(format!(
                        "delegation from {}: {m}",
                        siwe.address.to_checksum(None)
                    )),
                    other => other,
                })?;
        }
    }
    Ok(())
}

/// Decides which operation a request performs (the `Request` the SessionSig is verified for).
pub type OperationFn = Arc<dyn Fn(&Parts) -> Result<Request> + Send + Sync>;

/// A tower layer that admits a request only with a SessionSig valid for this node and for the
/// route's operation, and puts the [`VerifiedSession`] in the request extensions (take it with
/// the [`Session`] extractor).
pub struct RequireSessionSig<C = Arc<dyn Clock>> {
    auth: Authorizer<C>,
    operation: OperationFn,
    charge: bool,
}

impl<C> Clone for RequireSessionSig<C> {
    fn clone(&self) -> Self {
        RequireSessionSig {
            auth: self.auth.clone(),
            operation: self.operation.clone(),
            charge: self.charge,
        }
    }
}

impl<C: Clock> std::fmt::Debug for RequireSessionSig<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequireSessionSig")
            .field("auth", &self.auth)
            .finish()
    }
}

impl<C: Clock + 'static> RequireSessionSig<C> {
    /// Every request performs `ability` on `resource` (which must be among the SessionSig's
    /// requests and granted).
    pub fn new(auth: Authorizer<C>, resource: LitResource, ability: LitAbility) -> Self {
        let request = Request::operation(resource, ability);
        Self::with_operation(auth, move |_| Ok(request.clone()))
    }

    /// No particular operation: the SessionSig must be valid for this node and everything it
    /// asks for must be granted (a "who am I" route).
    pub fn any(auth: Authorizer<C>) -> Self {
        Self::with_operation(auth, |_| Ok(Request::any()))
    }

    /// The operation depends on the request (a resource id in the path, an owner, a size in
    /// a header, …). An `Err` answers the request with that error, before verification.
    pub fn with_operation(
        auth: Authorizer<C>,
        f: impl Fn(&Parts) -> Result<Request> + Send + Sync + 'static,
    ) -> Self {
        RequireSessionSig {
            auth,
            operation: Arc::new(f),
            charge: true,
        }
    }

    /// Admit without spending (`uses` are not charged): for read-only identity routes such
    /// as "who am I", which perform nothing the grant counts.
    pub fn without_charges(mut self) -> Self {
        self.charge = false;
        self
    }
}

impl<S, C> tower::Layer<S> for RequireSessionSig<C> {
    type Service = RequireSessionSigService<S, C>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireSessionSigService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service made by [`RequireSessionSig`].
pub struct RequireSessionSigService<S, C = Arc<dyn Clock>> {
    inner: S,
    layer: RequireSessionSig<C>,
}

impl<S: Clone, C> Clone for RequireSessionSigService<S, C> {
    fn clone(&self) -> Self {
        RequireSessionSigService {
            inner: self.inner.clone(),
            layer: self.layer.clone(),
        }
    }
}

impl<S: std::fmt::Debug, C> std::fmt::Debug for RequireSessionSigService<S, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequireSessionSigService")
            .field("inner", &self.inner)
            .finish()
    }
}

impl<S, C, B> tower::Service<axum::http::Request<B>> for RequireSessionSigService<S, C>
where
    S: tower::Service<axum::http::Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    C: Clock + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = std::result::Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<std::result::Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: axum::http::Request<B>) -> Self::Future {
        // The clone waits for readiness; the ready one is used for this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        Box::pin(async move {
            let (mut parts, body) = req.into_parts();
            let verified = match (layer.operation)(&parts) {
                Ok(request) if layer.charge => {
                    layer.auth.authorize_headers(&parts.headers, request).await
                }
                Ok(request) => layer
                    .auth
                    .check_headers(&parts.headers, request)
                    .await
                    .map(|a| {
                        layer.auth.count("ok", None);
                        a.session().clone()
                    }),
                Err(e) => Err(e),
            };
            match verified {
                Ok(session) => {
                    parts.extensions.insert(Session(session));
                    inner
                        .call(axum::http::Request::from_parts(parts, body))
                        .await
                }
                Err(e) => Ok(e.into_response()),
            }
        })
    }
}

/// The verified session of a request admitted by [`RequireSessionSig`]. As an extractor it
/// fails with 500 `internal` when the route has no such layer (a wiring bug, never a silent
/// pass).
#[derive(Debug, Clone)]
pub struct Session(pub VerifiedSession);

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = NodeError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> std::result::Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| NodeError::Internal("route is not behind RequireSessionSig".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(v: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for x in v {
            h.append(header::AUTHORIZATION, HeaderValue::from_str(x).unwrap());
        }
        h
    }

    fn sample() -> SessionSig {
        SessionSig {
            sig: "ab".repeat(64),
            derived_via: "litSessionSignViaNacl".into(),
            signed_message: "{\"sessionKey\":\"x\"}".into(),
            address: "cd".repeat(32),
            algo: Some("ed25519".into()),
        }
    }

    #[test]
    fn header_round_trip_and_refusals() {
        let s = sample();
        let v = authorization_value(&s);
        assert!(v.starts_with("SessionSig "));
        assert!(!v.contains('='));
        let got = from_headers(&headers(&[&v]), 16).unwrap();
        assert_eq!(got.wire(), &s);
        // Scheme is case-insensitive; padding and extra spaces accepted.
        let token = v.trim_start_matches("SessionSig ");
        let pad = "=".repeat((4 - token.len() % 4) % 4);
        let lower = format!("sessionsig   {token}{pad}");
        assert_eq!(from_headers(&headers(&[&lower]), 16).unwrap().wire(), &s);

        let code = |h: HeaderMap| from_headers(&h, 16).unwrap_err().code();
        assert_eq!(code(HeaderMap::new()), "missing_authorization");
        assert_eq!(code(headers(&[&v, &v])), "malformed_authorization");
        assert_eq!(code(headers(&["Bearer abc"])), "malformed_authorization");
        assert_eq!(code(headers(&["SessionSig"])), "malformed_authorization");
        assert_eq!(code(headers(&["SessionSig  "])), "malformed_authorization");
        assert_eq!(
            code(headers(&["SessionSig a+b/"])),
            "malformed_authorization"
        );
        let not_json = format!("SessionSig {}", B64URL.encode("nope"));
        assert_eq!(code(headers(&[&not_json])), "malformed_authorization");
        let deep = format!("SessionSig {}", B64URL.encode("[".repeat(40)));
        assert_eq!(code(headers(&[&deep])), "json_too_deep");
    }
}
