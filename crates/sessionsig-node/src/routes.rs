//! The node's HTTP API.
//!
//! | method | path | what |
//! |---|---|---|
//! | `GET` | `/v1/handshake` | [`HandshakeBody`] `{"nodeUrl","nodeVersion","nodes","nonce","nonceExpiresAt","requireNetworkNonce"[,"nonceMaxAgeSecs"]}`: this node, the network, a fresh stateless nonce (and, when nonces are required, how old one may be at use) |
//! | `POST` | `/v1/authorize` | body ([`AuthorizeRequest`]) `{"sessionSig": <SessionSig object>, "resource": "lit-pkp://*", "ability": "pkp-signing"}` → 200 verified session JSON, or 401/403/503 `{code,error}`. `resource`/`ability` go together; without them the SessionSig is checked as a whole |
//! | `GET` | `/v1/session` | behind [`RequireSessionSig`]: the verified session of the `Authorization: SessionSig …` header |
//! | `POST` | `/v1/revocations` | body: a signed revocation (an AuthSig whose SIWE URI is `lit:revocation:<target>`) → 201 (new) / 200 (known: one atomic insert-if-absent in the store decides, so identical concurrent posts get exactly one 201) `{"id","issuer","revokedAt","hash"}`, checked by [`Verifier::verify_revocation`]; per client address at most `revocation_burst` at once and `revocation_rate_per_minute` more per minute across every node sharing the store, beyond `429 rate_limited` with `Retry-After` ([`crate::rate_limit`]) |
//! | `GET` | `/v1/revocations/{id}[?grantedBy=0x…]` | `id` = `session-key:<hex>` or `auth-sig:0x<hash>` → 200 `{"id","note","revocations":[{"issuer","revokedAt","revocation","takesEffectOn"}]}` or 404 when nobody revoked it. A revocation only takes effect on grants its issuer signed; with `grantedBy` (the wallet that granted the target) the answer adds `"grantedBy"`, `"revoked": true/false` (200 either way) and `"effective"` per revocation |
//! | `GET` | `/healthz` | 200 `{"status":"ok","nodeVersion":…}` when the store answers, else 503; nothing about the configuration |
//! | `GET` | `/metrics` | Prometheus text exposition ([`crate::metrics`]) |
//!
//! Every `/v1` request counts against the concurrency limit (`503 overloaded` beyond it) and
//! the request timeout (`408 request_timeout`); `/healthz` and `/metrics` do not, so a loaded
//! node can still be observed.
//!
//! The client address of the rate limit is the request's
//! [`ConnectInfo<SocketAddr>`](axum::extract::ConnectInfo), which the node's server sets; to
//! serve [`router`] yourself, use `into_make_service_with_connect_info::<SocketAddr>()`
//! (without it every client shares one bucket).

use crate::auth::{Authorizer, RequireSessionSig, Session};
use crate::client_limit::ClientSlots;
use crate::client_scope;
use crate::config::{Limits, Settings};
use crate::error::{NodeError, Result};
use crate::json::{check_json_content_type, parse_bounded, read_body};
use crate::metrics::{CacheStats, Metrics};
use crate::nonce::NonceKey;
use crate::rate_limit::{retry_after_secs, ClientKey, RateLimiter};
use crate::store::{RevocationRecord, Stores};
use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use sessionsig::auth_sig::{AuthSig, ContractWalletVerifier};
use sessionsig::lit::{LitAbility, LitResource};
use sessionsig::time::{to_iso_string, Clock};
use sessionsig::verify::{AuthSigCache, Request, RevocationTarget, UnverifiedSessionSig, Verifier};
use sessionsig::wire::{AuthorizeRequest, HandshakeBody};
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// The node software version (reported by the handshake).
pub const NODE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Everything the handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    public_url: String,
    network: Vec<String>,
    auth: Authorizer,
    clock: Arc<dyn Clock>,
    nonce: NonceKey,
    require_network_nonce: bool,
    metrics: Arc<Metrics>,
    stores: Stores,
    verify: bool,
    limits: Limits,
    in_flight: Arc<Semaphore>,
    client_in_flight: Arc<ClientSlots>,
    revocation_limit: Option<RateLimiter>,
    /// The data backpack, when the store keeps its metadata and it is enabled.
    backpack: Option<sessionsig_backpack::routes::Backpack>,
    /// Revocations must carry a network nonce no older than this (when set).
    revocation_nonce: Option<(NonceKey, time::Duration)>,
    /// How long after it is recorded a revocation can still matter (`None`: forever).
    revocation_horizon: Option<time::Duration>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("public_url", &self.inner.public_url)
            .field("stores", &self.inner.stores)
            .field("verify", &self.inner.verify)
            .finish()
    }
}

impl AppState {
    /// The state of a node with these settings, stores and clock. With
    /// `settings.contract_wallets`, `EIP1271` AuthSigs (sessions, delegations, revocations) are
    /// checked over JSON-RPC; without, they are refused `unsupported_derived_via`.
    pub fn new(settings: &Settings, stores: Stores, clock: Arc<dyn Clock>) -> Result<Self> {
        let contract_wallets: Option<Arc<dyn ContractWalletVerifier>> =
            match &settings.contract_wallets {
                Some(c) => {
                    let mut limit =
                        crate::chain_limit::InFlightLimit::new(c.verifier()?, c.max_in_flight);
                    if let Some(per_client) = RateLimiter::new(
                        c.client_burst,
                        c.client_checks_per_minute,
                        settings.limits.revocation_rate_max_clients,
                    ) {
                        limit = limit.per_client(per_client, clock.clone());
                    }
                    Some(Arc::new(limit))
                }
                None => None,
            };
        let mut verifier =
            Verifier::new(&settings.public_url, settings.policy.clone(), clock.clone())
                .map_err(|e| NodeError::Config(format!("public_url: {e}")))?
                .with_revocation_store(stores.revocations.clone())
                .with_usage_store(stores.usage.clone())
                // A client repeats its SessionSig (`Authorization` header) on every request:
                // its signature and parse are remembered, every other check runs each time.
                .with_cache(Arc::new(
                    AuthSigCache::new(settings.cache_capacity)
                        .with_session_sigs(settings.cache_capacity),
                ));
        if let Some(c) = &contract_wallets {
            verifier = verifier.with_contract_wallets(c.clone());
        }
        let metrics = Arc::new(Metrics::new());
        let nonce = NonceKey::new(**settings.network_secret, settings.nonce_ttl);
        let mut auth = Authorizer::new(Arc::new(verifier))
            .with_metrics(metrics.clone())
            .with_max_json_depth(settings.limits.max_json_depth);
        if let Some(r) = &stores.revocations_async {
            auth = auth.with_async_revocations(r.clone());
        }
        if settings.require_network_nonce {
            auth = auth
                .require_network_nonce(nonce.clone())
                .with_nonce_max_age(settings.nonce_max_age);
            if settings.network_nonce_for_delegations {
                auth = auth.require_network_nonce_on_delegations();
            }
        }
        let backpack = crate::backpack::build(
            &settings.backpack,
            stores.backpack.clone(),
            auth.clone(),
            clock.clone(),
            settings.verify,
        )?;
        let revocation_nonce = settings
            .network_nonce_for_delegations
            .then(|| (nonce.clone(), settings.nonce_max_age));
        Ok(AppState {
            inner: Arc::new(Inner {
                public_url: settings.public_url.clone(),
                network: settings.network.clone(),
                auth,
                clock,
                nonce,
                require_network_nonce: settings.require_network_nonce,
                metrics,
                stores,
                verify: settings.verify,
                limits: settings.limits.clone(),
                in_flight: Arc::new(Semaphore::new(settings.limits.max_concurrency)),
                client_in_flight: ClientSlots::new(settings.limits.concurrency_per_client()),
                revocation_limit: RateLimiter::new(
                    settings.limits.revocation_burst,
                    settings.limits.revocation_rate_per_minute,
                    settings.limits.revocation_rate_max_clients,
                ),
                backpack,
                revocation_nonce,
                revocation_horizon: revocation_horizon(&settings.policy),
            }),
        })
    }

    /// The data backpack, when this node serves it.
    pub fn backpack(&self) -> Option<&sessionsig_backpack::routes::Backpack> {
        self.inner.backpack.as_ref()
    }

    /// The authorizer (verifier, metrics, nonce rule): use it to protect more routes with
    /// [`RequireSessionSig`].
    pub fn authorizer(&self) -> &Authorizer {
        &self.inner.auth
    }

    /// The metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    /// The stores.
    pub fn stores(&self) -> &Stores {
        &self.inner.stores
    }

    /// The node's current time (its clock).
    pub fn now(&self) -> time::OffsetDateTime {
        self.inner.clock.now()
    }

    /// The public URL.
    pub fn public_url(&self) -> &str {
        &self.inner.public_url
    }

    fn cache_stats(&self) -> CacheStats {
        let c = self.inner.auth.verifier().cache();
        CacheStats {
            hits: c.hits(),
            misses: c.misses(),
            entries: c.len() as u64,
        }
    }
}

/// The node's router (see the [module](self) table), with metrics, limits and JSON errors.
pub fn router(state: AppState) -> Router {
    // "Who am I" performs nothing a grant counts: it never spends a use.
    let whoami = get(session)
        .route_layer(RequireSessionSig::any(state.inner.auth.clone()).without_charges());
    let v1 = Router::new()
        .route("/v1/handshake", get(handshake))
        .route("/v1/authorize", post(authorize))
        .route("/v1/session", whoami)
        .route(
            "/v1/revocations",
            post(post_revocation).route_layer(middleware::from_fn_with_state(
                state.clone(),
                limit_revocations,
            )),
        )
        .route("/v1/revocations/{id}", get(get_revocation))
        .layer(middleware::from_fn_with_state(state.clone(), limit))
        .layer(middleware::from_fn(scope_client));
    let mut app: Router = Router::new()
        .merge(v1)
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route(crate::openapi::PATH, get(crate::openapi::serve))
        .merge(crate::web::router(&state.inner.network))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state.clone());
    if let Some(bp) = &state.inner.backpack {
        // Not under the JSON routes' request timeout and concurrency cap: a transfer may be
        // long and large; its bytes are bounded by the grants' caveats and the node's limits.
        app = app.merge(
            sessionsig_backpack::routes::router(bp.clone())
                .layer(middleware::from_fn(scope_client)),
        );
    }
    app.layer(middleware::from_fn_with_state(state, observe))
}

/// Count every request by route template and status, and time it.
async fn observe(State(st): State<AppState>, req: axum::extract::Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    let m = &st.inner.metrics;
    m.request_started();
    let start = Instant::now();
    let resp = next.run(req).await;
    let route = route.as_ref().map_or("unmatched", |r| r.as_str());
    m.request_finished(route, resp.status().as_u16(), start.elapsed());
    resp
}

/// Handle the request as the work of its client address ([`client_scope`]), so that chain
/// checks made while verifying it count against that client's budget.
async fn scope_client(req: axum::extract::Request, next: Next) -> Response {
    client_scope::scope(client_of(&req), next.run(req)).await
}

/// The client address of a request: the TCP peer the server recorded, if any.
fn client_of(req: &axum::extract::Request) -> ClientKey {
    ClientKey::of(
        req.extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip()),
    )
}

/// The concurrency limits (the node's, then the client's share of it) and the request timeout
/// of `/v1`. A client beyond its share gives its node-wide permit back at once, so it can
/// never hold more than its share of the node.
async fn limit(State(st): State<AppState>, req: axum::extract::Request, next: Next) -> Response {
    let limits = &st.inner.limits;
    let Ok(_permit) = st.inner.in_flight.clone().try_acquire_owned() else {
        return NodeError::Overloaded {
            limit: limits.max_concurrency,
        }
        .into_response();
    };
    // A request without a known peer (a router served without `ConnectInfo`) cannot be
    // attributed to a client: it is held to the node-wide limit only.
    let client = client_of(&req);
    let _share = if client == ClientKey::Unknown {
        None
    } else {
        match st.inner.client_in_flight.try_acquire(client) {
            Some(slot) => Some(slot),
            None => {
                st.inner.metrics.rate_limited("/v1");
                return NodeError::ClientOverloaded {
                    limit: st.inner.client_in_flight.per_client(),
                }
                .into_response();
            }
        }
    };
    let millis = limits.request_timeout_ms;
    match tokio::time::timeout(Duration::from_millis(millis), next.run(req)).await {
        Ok(r) => r,
        Err(_) => NodeError::Timeout { millis }.into_response(),
    }
}

/// How long after it is recorded a revocation can still refuse something: every AuthSig it
/// can name was issued at most `skew` after it and lives at most the longest AuthSig lifetime
/// cap (`None` when either kind is uncapped: then revocations are kept forever).
pub fn revocation_horizon(policy: &sessionsig::verify::Policy) -> Option<time::Duration> {
    let longest = policy
        .max_session_auth_sig_lifetime?
        .max(policy.max_delegation_lifetime?);
    longest.checked_add(policy.skew.checked_mul(2)?)
}

/// The per-client rate limit of `POST /v1/revocations`, before anything is read or verified:
/// this node's bucket first (no store round trip for a client already over it here), then
/// the client's bucket in the shared store, which every node of the network charges.
async fn limit_revocations(
    State(st): State<AppState>,
    req: axum::extract::Request,
    next: Next,
) -> Response {
    if let Some(limiter) = &st.inner.revocation_limit {
        let client = client_of(&req);
        let now = st.inner.clock.now();
        let local = limiter.check(client, now).err();
        let shared = match local {
            Some(wait) => Ok(Some(wait)),
            None => {
                let log = st.inner.stores.log.clone();
                let (burst, per_minute) = (
                    st.inner.limits.revocation_burst,
                    st.inner.limits.revocation_rate_per_minute,
                );
                tokio::task::spawn_blocking(move || log.take_token(client, now, burst, per_minute))
                    .await
                    .map_err(|e| NodeError::Internal(format!("rate limit task: {e}")))
                    .and_then(|r| r.map_err(NodeError::from))
            }
        };
        match shared {
            Ok(None) => {}
            Ok(Some(wait)) => {
                let m = &st.inner.metrics;
                m.rate_limited("/v1/revocations");
                m.revocation("rate_limited");
                return NodeError::RateLimited {
                    retry_after_secs: retry_after_secs(wait),
                }
                .into_response();
            }
            Err(e) => return e.into_response(),
        }
    }
    next.run(req).await
}

async fn not_found() -> NodeError {
    NodeError::NotFound("no such route".into())
}

async fn method_not_allowed() -> NodeError {
    NodeError::MethodNotAllowed
}

fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn handshake(State(st): State<AppState>) -> Result<Response> {
    let now = st.inner.clock.now();
    let n = st.inner.nonce.issue(now)?;
    let require = st.inner.require_network_nonce;
    Ok(no_store(
        Json(HandshakeBody {
            node_url: st.inner.public_url.clone(),
            node_version: NODE_VERSION.to_owned(),
            nodes: st.inner.network.clone(),
            nonce: n.value,
            nonce_expires_at: to_iso_string(n.expires_at),
            require_network_nonce: require,
            nonce_max_age_secs: st
                .inner
                .auth
                .network_nonce()
                .map(|(_, max_age)| u64::try_from(max_age.whole_seconds()).unwrap_or(0)),
        })
        .into_response(),
    ))
}

/// `POST /v1/authorize` body: the shared wire type, reading the SessionSig as raw JSON.
type AuthorizeBody<'a> = AuthorizeRequest<&'a serde_json::value::RawValue>;

/// The operation named by `resource` + `ability` (both or neither).
pub fn operation(resource: Option<&str>, ability: Option<&str>) -> Result<Request> {
    match (resource, ability) {
        (None, None) => Ok(Request::any()),
        (Some(r), Some(a)) => {
            let resource = LitResource::parse(r)
                .map_err(|e| NodeError::InvalidRequest(format!("resource: {e}")))?;
            let ability = LitAbility::from_str(a)
                .map_err(|e| NodeError::InvalidRequest(format!("ability: {e}")))?;
            if !ability.applies_to(resource.prefix()) {
                return Err(NodeError::InvalidRequest(format!(
                    "ability `{}` does not apply to `{}` resources",
                    ability.as_str(),
                    resource.prefix().as_str()
                )));
            }
            Ok(Request::operation(resource, ability))
        }
        _ => Err(NodeError::InvalidRequest(
            "resource and ability go together".into(),
        )),
    }
}

async fn authorize(State(st): State<AppState>, headers: HeaderMap, body: Body) -> Result<Response> {
    let limits = &st.inner.limits;
    check_json_content_type(&headers)?;
    let bytes = read_body(&headers, body, limits.max_body_bytes).await?;
    let b: AuthorizeBody<'_> = parse_bounded(&bytes, limits.max_json_depth)?;
    let request = operation(b.resource.as_deref(), b.ability.as_deref())?;
    // The depth check of the whole body covered the SessionSig inside it.
    let sig = UnverifiedSessionSig::parse(b.session_sig.get())?;
    if !st.inner.verify {
        // --insecure-no-verify: the same route without verification, for load comparisons.
        return Ok(no_store(
            Json(json!({
                "verified": false,
                "insecureNoVerify": true,
                "sessionKey": sig.wire().address,
            }))
            .into_response(),
        ));
    }
    let session = st.inner.auth.authorize(sig, request).await?;
    Ok(no_store(Json(session.to_json()).into_response()))
}

async fn session(Session(s): Session) -> Response {
    no_store(Json(s.to_json()).into_response())
}

fn record_json(r: &RevocationRecord) -> Value {
    json!({
        "issuer": r.issuer.to_checksum(None),
        "revokedAt": to_iso_string(r.revoked_at),
        "revocation": r.revocation,
    })
}

async fn post_revocation(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let r = post_revocation_inner(&st, &headers, body).await;
    st.inner.metrics.revocation(match &r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    });
    r
}

async fn post_revocation_inner(st: &AppState, headers: &HeaderMap, body: Body) -> Result<Response> {
    let limits = &st.inner.limits;
    check_json_content_type(headers)?;
    let bytes = read_body(headers, body, limits.max_body_bytes).await?;
    let signed: AuthSig = parse_bounded(&bytes, limits.max_json_depth).map_err(|e| match e {
        NodeError::InvalidRequest(m) => NodeError::Verify(sessionsig::Error::InvalidRevocation(m)),
        other => other,
    })?;
    let verifier = st.inner.auth.verifier().clone();
    let now = st.inner.clock.now();
    let log = st.inner.stores.log.clone();
    let client = client_scope::current();
    let revocation_nonce = st.inner.revocation_nonce.clone();
    let horizon = st.inner.revocation_horizon;
    // On the blocking pool: a contract wallet's signature is checked over blocking JSON-RPC.
    let (record, new, hash) = tokio::task::spawn_blocking(move || -> Result<_> {
        // The verifier's own revocation check (its policy, its contract-wallet verifier).
        let v = client_scope::run_as(client, || verifier.verify_revocation(&signed))?;
        if let Some((key, max_age)) = &revocation_nonce {
            check_revocation_nonce(key, &signed, now, *max_age, verifier.policy().skew)?;
        }
        let keep_until = horizon.and_then(|h| now.checked_add(h));
        // One atomic insert-if-absent: "new" is true for exactly one of identical posts.
        let (record, new) = log.record(&v, &signed, now, keep_until)?;
        Ok((record, new, v.hash()))
    })
    .await
    .map_err(|e| NodeError::Internal(format!("revocation task: {e}")))??;
    let id = record.target.id();
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut resp = (
        status,
        Json(json!({
            "id": id,
            "issuer": record.issuer.to_checksum(None),
            "revokedAt": to_iso_string(record.revoked_at),
            "hash": hash.to_string(),
        })),
    )
        .into_response();
    if let Ok(loc) = HeaderValue::from_str(&format!("/v1/revocations/{id}")) {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(no_store(resp))
}

/// A revocation on a node whose network requires nonces on delegations: its SIWE nonce must be
/// one of this network's, fresh when signed and not older than `max_age` now (a revocation is
/// posted as soon as it is signed).
fn check_revocation_nonce(
    key: &NonceKey,
    signed: &AuthSig,
    now: time::OffsetDateTime,
    max_age: time::Duration,
    skew: time::Duration,
) -> Result<()> {
    let (siwe, _) = signed.parse_siwe()?;
    key.check_siwe(&siwe.nonce, siwe.issued_at.instant(), skew)?;
    key.check_age(&siwe.nonce, now, max_age, skew)
}

/// The `grantedBy` of a `GET /v1/revocations/{id}` query (the only parameter; anything else
/// is refused so a misspelt name is not silently ignored).
fn granted_by_param(query: Option<&str>) -> Result<Option<alloy_primitives::Address>> {
    let mut found = None;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k != "grantedBy" || found.is_some() {
            return Err(NodeError::InvalidRequest(
                "the only query parameter is grantedBy=<wallet address>, once".into(),
            ));
        }
        found = Some(v.parse::<alloy_primitives::Address>().map_err(|_| {
            NodeError::InvalidRequest("grantedBy must be a wallet address (0x + 40 hex)".into())
        })?);
    }
    Ok(found)
}

/// Who revoked `id`, and on whose grants each revocation takes effect. A revocation is
/// recorded from any wallet (the node cannot know at that moment who granted the target) but
/// only ever refuses grants its own issuer signed; so the answer never says a bare "revoked":
/// with `?grantedBy=<wallet>` it answers whether that wallet's grant of the target is revoked.
async fn get_revocation(
    State(st): State<AppState>,
    Path(id): Path<String>,
    uri: axum::http::Uri,
) -> Result<Response> {
    let target = RevocationTarget::parse(&id)
        .map_err(|e| NodeError::InvalidRequest(format!("revocation id: {e}")))?;
    let granted_by = granted_by_param(uri.query())?;
    let log = st.inner.stores.log.clone();
    let t = target.clone();
    let records = tokio::task::spawn_blocking(move || log.lookup(&t))
        .await
        .map_err(|e| NodeError::Internal(format!("revocation task: {e}")))??;
    let mut body = json!({
        "id": target.id(),
        "note": "a revocation takes effect only on grants its issuer signed",
        "revocations": records.iter().map(|r| {
            let mut v = record_json(r);
            v["takesEffectOn"] = json!(format!("grants signed by {}", r.issuer.to_checksum(None)));
            if let Some(g) = granted_by {
                v["effective"] = json!(r.issuer == g);
            }
            v
        }).collect::<Vec<_>>(),
    });
    match granted_by {
        Some(g) => {
            body["grantedBy"] = json!(g.to_checksum(None));
            body["revoked"] = json!(records.iter().any(|r| r.issuer == g));
        }
        None if records.is_empty() => {
            return Err(NodeError::NotFound(format!(
                "nobody revoked {}",
                target.id()
            )));
        }
        None => {}
    }
    Ok(no_store(Json(body).into_response()))
}

/// `/healthz` asks the store every time (no cached "ok" hides an outage), the way a verified
/// request does: on this thread when the store answers locally, asynchronously when it can,
/// else from the blocking pool.
async fn healthz(State(st): State<AppState>) -> Result<Response> {
    let probe = [(
        RevocationTarget::AuthSig(alloy_primitives::B256::ZERO),
        alloy_primitives::Address::ZERO,
    )];
    let stores = &st.inner.stores;
    if stores.revocations.answers_locally() {
        stores.revocations.first_revoked(&probe)?;
    } else if let Some(a) = &stores.revocations_async {
        a.first_revoked(&probe).await?;
    } else {
        let store = stores.revocations.clone();
        tokio::task::spawn_blocking(move || store.first_revoked(&probe))
            .await
            .map_err(|e| NodeError::Internal(format!("health task: {e}")))??;
    }
    Ok(no_store(
        // An open route says only what a load balancer needs: nothing about the store (its
        // host, user, file paths) or the configuration.
        Json(json!({
            "status": "ok",
            "nodeVersion": NODE_VERSION,
        }))
        .into_response(),
    ))
}

async fn metrics(State(st): State<AppState>) -> Response {
    let text = st.inner.metrics.render(st.cache_stats());
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}
