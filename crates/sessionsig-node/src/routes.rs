//! The node's HTTP API.
//!
//! | method | path | what |
//! |---|---|---|
//! | `GET` | `/v1/handshake` | `{"nodeUrl","nodeVersion","nodes","nonce","nonceExpiresAt","requireNetworkNonce"}`: this node, the network, a fresh stateless nonce |
//! | `POST` | `/v1/authorize` | body `{"sessionSig": <SessionSig object>, "resource": "lit-pkp://*", "ability": "pkp-signing"}` → 200 verified session JSON, or 401/403/503 `{code,error}`. `resource`/`ability` go together; without them the SessionSig is checked as a whole |
//! | `GET` | `/v1/session` | behind [`RequireSessionSig`]: the verified session of the `Authorization: SessionSig …` header |
//! | `POST` | `/v1/revocations` | body: a signed revocation (an AuthSig whose SIWE URI is `lit:revocation:<target>`) → 201 (new) / 200 (known) `{"id","issuer","revokedAt","hash"}`; per client address at most `revocation_burst` at once and `revocation_rate_per_minute` more per minute, beyond `429 rate_limited` with `Retry-After` ([`crate::rate_limit`]) |
//! | `GET` | `/v1/revocations/{id}` | `id` = `session-key:<hex>` or `auth-sig:0x<hash>` → 200 `{"id","revoked":true,"revocations":[{"issuer","revokedAt","revocation"}]}` or 404 |
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
use serde::Deserialize;
use serde_json::{json, Value};
use sessionsig::auth_sig::{AuthSig, AuthSigPolicy, ContractWalletVerifier};
use sessionsig::lit::{LitAbility, LitResource};
use sessionsig::time::{to_iso_string, Clock};
use sessionsig::verify::{AuthSigCache, Request, RevocationTarget, UnverifiedSessionSig, Verifier};
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
    revocation_limit: Option<RateLimiter>,
    /// The verifier's contract-wallet checks, also for revocations signed by contract wallets.
    contract_wallets: Option<Arc<dyn ContractWalletVerifier>>,
    /// The data backpack, when the store keeps its metadata and it is enabled.
    backpack: Option<sessionsig_backpack::routes::Backpack>,
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
                .with_cache(Arc::new(AuthSigCache::new(settings.cache_capacity)));
        if let Some(c) = &contract_wallets {
            verifier = verifier.with_contract_wallets(c.clone());
        }
        let metrics = Arc::new(Metrics::new());
        let nonce = NonceKey::new(*settings.network_secret, settings.nonce_ttl);
        let mut auth = Authorizer::new(Arc::new(verifier))
            .with_metrics(metrics.clone())
            .with_max_json_depth(settings.limits.max_json_depth);
        if settings.require_network_nonce {
            auth = auth.require_network_nonce(nonce.clone());
        }
        let backpack = crate::backpack::build(
            &settings.backpack,
            stores.backpack.clone(),
            auth.clone(),
            clock.clone(),
        )?;
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
                revocation_limit: RateLimiter::new(
                    settings.limits.revocation_burst,
                    settings.limits.revocation_rate_per_minute,
                    settings.limits.revocation_rate_max_clients,
                ),
                contract_wallets,
                backpack,
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

/// The concurrency limit and the request timeout of `/v1`.
async fn limit(State(st): State<AppState>, req: axum::extract::Request, next: Next) -> Response {
    let limits = &st.inner.limits;
    let Ok(_permit) = st.inner.in_flight.clone().try_acquire_owned() else {
        return NodeError::Overloaded {
            limit: limits.max_concurrency,
        }
        .into_response();
    };
    let millis = limits.request_timeout_ms;
    match tokio::time::timeout(Duration::from_millis(millis), next.run(req)).await {
        Ok(r) => r,
        Err(_) => NodeError::Timeout { millis }.into_response(),
    }
}

/// The per-client rate limit of `POST /v1/revocations`, before anything is read or verified.
async fn limit_revocations(
    State(st): State<AppState>,
    req: axum::extract::Request,
    next: Next,
) -> Response {
    if let Some(limiter) = &st.inner.revocation_limit {
        if let Err(wait) = limiter.check(client_of(&req), st.inner.clock.now()) {
            let m = &st.inner.metrics;
            m.rate_limited("/v1/revocations");
            m.revocation("rate_limited");
            return NodeError::RateLimited {
                retry_after_secs: retry_after_secs(wait),
            }
            .into_response();
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
    Ok(no_store(
        Json(json!({
            "nodeUrl": st.inner.public_url,
            "nodeVersion": NODE_VERSION,
            "nodes": st.inner.network,
            "nonce": n.value,
            "nonceExpiresAt": to_iso_string(n.expires_at),
            "requireNetworkNonce": st.inner.require_network_nonce,
        }))
        .into_response(),
    ))
}

/// `POST /v1/authorize` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthorizeBody<'a> {
    #[serde(rename = "sessionSig", borrow)]
    session_sig: &'a serde_json::value::RawValue,
    resource: Option<String>,
    ability: Option<String>,
}

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
    let base = st.inner.auth.auth_sig_policy();
    let contract_wallets = st.inner.contract_wallets.clone();
    let now = st.inner.clock.now();
    let log = st.inner.stores.log.clone();
    let client = client_scope::current();
    // On the blocking pool: a contract wallet's signature is checked over blocking JSON-RPC.
    let (record, new, hash) = tokio::task::spawn_blocking(move || -> Result<_> {
        let policy = AuthSigPolicy {
            contract_wallets: contract_wallets.as_deref(),
            ..base
        };
        let v = client_scope::run_as(client, || signed.verify_revocation(now, &policy))?;
        let (record, new) = log.record(&v, &signed, now)?;
        Ok((record, new, v.hash))
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

async fn get_revocation(State(st): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    let target = RevocationTarget::parse(&id)
        .map_err(|e| NodeError::InvalidRequest(format!("revocation id: {e}")))?;
    let log = st.inner.stores.log.clone();
    let t = target.clone();
    let records = tokio::task::spawn_blocking(move || log.lookup(&t))
        .await
        .map_err(|e| NodeError::Internal(format!("revocation task: {e}")))??;
    if records.is_empty() {
        return Err(NodeError::NotFound(format!(
            "{} is not revoked",
            target.id()
        )));
    }
    Ok(no_store(
        Json(json!({
            "id": target.id(),
            "revoked": true,
            "revocations": records.iter().map(record_json).collect::<Vec<_>>(),
        }))
        .into_response(),
    ))
}

async fn healthz(State(st): State<AppState>) -> Result<Response> {
    let store = st.inner.stores.revocations.clone();
    tokio::task::spawn_blocking(move || {
        store.is_revoked(
            &RevocationTarget::AuthSig(alloy_primitives::B256::ZERO),
            alloy_primitives::Address::ZERO,
        )
    })
    .await
    .map_err(|e| NodeError::Internal(format!("health task: {e}")))??;
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
