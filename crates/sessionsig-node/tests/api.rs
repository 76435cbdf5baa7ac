//! The router and the layer, called in process with `tower::ServiceExt::oneshot` (no socket):
//! every endpoint, every status class of the table, the header format, limits, metrics.

mod common;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use common::*;
use serde_json::{json, Value};
use sessionsig::auth_sig::RevocationTarget;
use sessionsig::lit::{LitAbility, LitResource};
use sessionsig::session::SessionSig;
use sessionsig::time::{Clock, SystemClock};
use sessionsig::verify::{RevocationStore, UsageStore, UseCharge};
use sessionsig::wallet::WalletSigner;
use sessionsig_node::auth::{authorization_value, RequireSessionSig, Session};
use sessionsig_node::config::NodeConfig;
use sessionsig_node::nonce::NonceKey;
use sessionsig_node::store::Stores;
use sessionsig_node::{router, AppState, Settings};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

const ME: &str = "http://127.0.0.1:7470";
const NEIGHBOUR: &str = "http://127.0.0.1:7471";

fn nodes() -> Vec<String> {
    vec![ME.to_owned(), NEIGHBOUR.to_owned()]
}

fn settings(dir: &std::path::Path, tweak: impl FnOnce(&mut NodeConfig)) -> Settings {
    let mut c = NodeConfig {
        public_url: Some(ME.into()),
        network: nodes(),
        data_dir: Some(dir.to_owned()),
        store: Some("memory:".into()),
        ..NodeConfig::default()
    };
    tweak(&mut c);
    let ack = c.verify == Some(false);
    c.resolve(ack).expect("settings")
}

struct App {
    _dir: tempfile::TempDir,
    state: AppState,
    router: Router,
    settings: Settings,
}

fn app_with(tweak: impl FnOnce(&mut NodeConfig), stores: Stores) -> App {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = settings(dir.path(), tweak);
    let state = AppState::new(&settings, stores, Arc::new(SystemClock)).expect("state");
    App {
        _dir: dir,
        router: router(state.clone()),
        state,
        settings,
    }
}

fn app() -> App {
    app_with(|_| {}, Stores::memory())
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }
    fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or("<none>").to_owned()
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn call(router: &Router, req: Request<Body>) -> Reply {
    let resp = router.clone().oneshot(req).await.expect("infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 22)
        .await
        .expect("body")
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

fn post_json(path: &str, v: &Value) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(v.to_string()))
        .expect("request")
}

fn get_req(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).expect("request")
}

fn with_auth(path: &str, sig: &SessionSig) -> Request<Body> {
    Request::get(path)
        .header(header::AUTHORIZATION, authorization_value(sig))
        .body(Body::empty())
        .expect("request")
}

fn authorize_body(sig: &SessionSig, op: Option<(&str, &str)>) -> Value {
    let mut v = json!({"sessionSig": serde_json::to_value(sig).expect("json")});
    if let Some((r, a)) = op {
        v["resource"] = json!(r);
        v["ability"] = json!(a);
    }
    v
}

#[tokio::test]
async fn handshake_is_what_the_client_expects_and_its_nonce_checks_out() {
    let a = app();
    let r = call(&a.router, get_req("/v1/handshake")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    // The client crate's own parser accepts it.
    let h = sessionsig_client::Handshake::from_json(&r.text()).expect("client parses it");
    assert_eq!(h.node_url, ME);
    assert_eq!(h.nodes, nodes());
    assert_eq!(h.node_version, env!("CARGO_PKG_VERSION"));
    // Stateless: any holder of the network secret checks it, nothing was stored.
    let key = NonceKey::new(**a.settings.network_secret, a.settings.nonce_ttl);
    let issued = key.issued_at(&h.nonce).expect("our nonce");
    assert!((SystemClock.now() - issued).whole_seconds().abs() <= 2);
    assert_eq!(h.nonce_expires_at, issued + a.settings.nonce_ttl);
    let other = call(&a.router, get_req("/v1/handshake")).await.json();
    assert_ne!(other["nonce"], json!(h.nonce));
}

#[tokio::test]
async fn authorize_accepts_its_own_and_refuses_the_neighbours() {
    let a = app();
    let owner = wallet(0x11);
    let (key, _, sigs) = user_session(&owner, &nodes());
    let mine = sigs.get(ME).expect("mine");
    let r = call(
        &a.router,
        post_json(
            "/v1/authorize",
            &authorize_body(mine, Some(("lit-pkp://*", "pkp-signing"))),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["owner"], json!(owner.address().to_checksum(None)));
    assert_eq!(v["sessionKey"], json!(key.public_hex()));
    assert_eq!(v["nodeAddress"], json!(ME));
    // Without an operation: the SessionSig as a whole.
    let r = call(
        &a.router,
        post_json("/v1/authorize", &authorize_body(mine, None)),
    )
    .await;
    assert_eq!(r.status, 200);
    // A specific PKP under the wildcard request.
    let pkp = format!("lit-pkp://{}", "0".repeat(60) + "1234");
    let r = call(
        &a.router,
        post_json(
            "/v1/authorize",
            &authorize_body(mine, Some((&pkp, "pkp-signing"))),
        ),
    )
    .await;
    assert_eq!(r.status, 200);

    // Replay across nodes.
    let theirs = sigs.get(NEIGHBOUR).expect("theirs");
    let r = call(
        &a.router,
        post_json(
            "/v1/authorize",
            &authorize_body(theirs, Some(("lit-pkp://*", "pkp-signing"))),
        ),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.code().as_str()), (401, "wrong_node"));
    assert_eq!(r.headers[header::WWW_AUTHENTICATE], "SessionSig");
    assert!(r.json()["error"].as_str().is_some());
}

#[tokio::test]
async fn each_status_class_of_the_table() {
    let a = app();
    let owner = wallet(0x12);
    let (key, auth, sigs) = user_session(&owner, &nodes());
    let mine = sigs.get(ME).expect("mine").clone();
    let post = |v: Value| post_json("/v1/authorize", &v);

    // 403: an operation the SessionSig did not request.
    let r = call(
        &a.router,
        post(authorize_body(
            &mine,
            Some((
                "lit-accesscontrolcondition://abc",
                "access-control-condition-decryption",
            )),
        )),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (403, "operation_not_requested")
    );

    // 403: a SessionSig asking for more than its AuthSig grants.
    let greedy = sign(
        &key,
        &requests(&[(
            "lit-accesscontrolcondition://*",
            LitAbility::AccessControlConditionDecryption,
        )]),
        std::slice::from_ref(&auth),
        &nodes(),
    );
    let r = call(
        &a.router,
        post(authorize_body(greedy.get(ME).expect("g"), None)),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (403, "capability_not_granted")
    );

    // 401: a tampered signature.
    let mut forged = mine.clone();
    forged.sig = format!(
        "{}{}",
        if forged.sig.starts_with('0') {
            "1"
        } else {
            "0"
        },
        &forged.sig[1..]
    );
    let r = call(&a.router, post(authorize_body(&forged, None))).await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (401, "bad_session_signature")
    );

    // 401: a malformed SessionSig object.
    let r = call(&a.router, post(json!({"sessionSig": {"sig": "00"}}))).await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (401, "session_sig_malformed")
    );

    // 401: expired (signed for a window that ended an hour ago).
    let past = key
        .sign_session_sigs(
            &sessionsig::session::SessionSigParams {
                requests: &requests(&[("lit-pkp://*", LitAbility::PkpSigning)]),
                capabilities: std::slice::from_ref(&auth),
                issued_at: now() - sessionsig::time::Duration::hours(2),
                expiration: now() - sessionsig::time::Duration::hours(1),
                format: sessionsig::session::WireFormat::V7,
            },
            &[ME],
        )
        .expect("sign");
    let r = call(
        &a.router,
        post(authorize_body(past.get(ME).expect("p"), None)),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.code().as_str()), (401, "expired"));

    // 400: the request itself.
    for (body, code) in [
        (
            json!({"resource": "lit-pkp://*", "ability": "pkp-signing"}),
            "invalid_request",
        ),
        (
            json!({"sessionSig": serde_json::to_value(&mine).expect("v"), "resource": "lit-pkp://*"}),
            "invalid_request",
        ),
        (
            json!({"sessionSig": serde_json::to_value(&mine).expect("v"), "resource": "nope://*", "ability": "pkp-signing"}),
            "invalid_request",
        ),
        (
            json!({"sessionSig": serde_json::to_value(&mine).expect("v"), "resource": "lit-pkp://*", "ability": "lit-action-execution"}),
            "invalid_request",
        ),
        (
            json!({"sessionSig": serde_json::to_value(&mine).expect("v"), "extra": 1}),
            "invalid_request",
        ),
        (
            json!({"sessionSig": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}),
            "json_too_deep",
        ),
    ] {
        let r = call(&a.router, post(body.clone())).await;
        assert_eq!(
            (r.status.as_u16(), r.code().as_str()),
            (400, code),
            "{body}"
        );
    }
    let r = call(
        &a.router,
        Request::post("/v1/authorize")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{not json"))
            .expect("req"),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (400, "invalid_request")
    );

    // 413 and 415.
    let big = json!({"sessionSig": {"pad": "x".repeat(70 * 1024)}});
    let r = call(&a.router, post(big)).await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (413, "payload_too_large")
    );
    let r = call(
        &a.router,
        Request::post("/v1/authorize")
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from("{}"))
            .expect("req"),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (415, "unsupported_media_type")
    );

    // 404 and 405, JSON too.
    let r = call(&a.router, get_req("/nope")).await;
    assert_eq!((r.status.as_u16(), r.code().as_str()), (404, "not_found"));
    let r = call(&a.router, get_req("/v1/authorize")).await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (405, "method_not_allowed")
    );
}

#[tokio::test]
async fn the_session_route_reads_the_authorization_header() {
    let a = app();
    let owner = wallet(0x13);
    let (key, _, sigs) = user_session(&owner, &nodes());
    let r = call(
        &a.router,
        with_auth("/v1/session", sigs.get(ME).expect("m")),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["sessionKey"], json!(key.public_hex()));

    let r = call(
        &a.router,
        with_auth("/v1/session", sigs.get(NEIGHBOUR).expect("n")),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.code().as_str()), (401, "wrong_node"));
    let r = call(&a.router, get_req("/v1/session")).await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (401, "missing_authorization")
    );
    assert_eq!(r.headers[header::WWW_AUTHENTICATE], "SessionSig");
    for bad in ["Bearer x", "SessionSig !!!", "SessionSig e30"] {
        let r = call(
            &a.router,
            Request::get("/v1/session")
                .header(header::AUTHORIZATION, bad)
                .body(Body::empty())
                .expect("req"),
        )
        .await;
        assert_eq!(
            (r.status.as_u16(), r.code().as_str()),
            (401, "malformed_authorization"),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn the_layer_protects_any_axum_app_per_route() {
    let a = app();
    let auth = a.state.authorizer().clone();
    async fn sign_handler(Session(s): Session) -> String {
        format!("signed for {}", s.owner())
    }
    async fn open() -> &'static str {
        "open"
    }
    let pkp_route = RequireSessionSig::new(
        auth.clone(),
        LitResource::parse("lit-pkp://*").expect("r"),
        LitAbility::PkpSigning,
    );
    // The operation read from the path: the PKP id being used.
    let by_path = RequireSessionSig::with_operation(auth.clone(), |parts| {
        let id = parts
            .uri
            .path()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let res = LitResource::pkp(&id)
            .map_err(|e| sessionsig_node::NodeError::InvalidRequest(e.to_string()))?;
        Ok(sessionsig::verify::Request::operation(
            res,
            LitAbility::PkpSigning,
        ))
    });
    let acc_route = RequireSessionSig::new(
        auth,
        LitResource::parse("lit-accesscontrolcondition://*").expect("r"),
        LitAbility::AccessControlConditionDecryption,
    );
    let svc: Router = Router::new()
        .route("/sign", post(sign_handler).route_layer(pkp_route))
        .route("/pkp/{id}", post(sign_handler).route_layer(by_path))
        .route("/decrypt", post(sign_handler).route_layer(acc_route))
        .route("/open", get(open));
    let owner = wallet(0x14);
    let (_, _, sigs) = user_session(&owner, &nodes());
    let mine = sigs.get(ME).expect("m");
    let req = |path: &str, sig: Option<&SessionSig>| {
        let mut b = Request::post(path);
        if let Some(s) = sig {
            b = b.header(header::AUTHORIZATION, authorization_value(s));
        }
        b.body(Body::empty()).expect("req")
    };
    let r = call(&svc, req("/sign", Some(mine))).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), format!("signed for {}", owner.address()));
    let r = call(&svc, req("/pkp/0x1234", Some(mine))).await;
    assert_eq!(r.status, 200);
    let r = call(&svc, req("/pkp/not-hex", Some(mine))).await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (400, "invalid_request")
    );
    let r = call(&svc, req("/decrypt", Some(mine))).await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (403, "operation_not_requested")
    );
    let r = call(&svc, req("/sign", None)).await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (401, "missing_authorization")
    );
    let r = call(&svc, req("/sign", sigs.get(NEIGHBOUR))).await;
    assert_eq!((r.status.as_u16(), r.code().as_str()), (401, "wrong_node"));
    let r = call(
        &svc,
        Request::get("/open").body(Body::empty()).expect("req"),
    )
    .await;
    assert_eq!(r.text(), "open");

    // A handler taking `Session` on a route WITHOUT the layer is a 500, never a pass.
    let unguarded: Router = Router::new().route("/x", post(sign_handler));
    let r = call(&unguarded, req("/x", Some(mine))).await;
    assert_eq!((r.status.as_u16(), r.code().as_str()), (500, "internal"));
}

#[tokio::test]
async fn revocations_are_recorded_shown_and_enforced() {
    let a = app();
    let owner = wallet(0x15);
    let (key, _, sigs) = user_session(&owner, &nodes());
    let mine = serde_json::to_value(sigs.get(ME).expect("m")).expect("v");
    let body = json!({"sessionSig": mine});
    assert_eq!(
        call(&a.router, post_json("/v1/authorize", &body))
            .await
            .status,
        200
    );

    let target = RevocationTarget::SessionKey(key.public_hex());
    let id = target.id();
    let r = call(&a.router, get_req(&format!("/v1/revocations/{id}"))).await;
    assert_eq!((r.status.as_u16(), r.code().as_str()), (404, "not_found"));

    // Someone else's "revocation" of the key does not touch the owner's grant.
    let stranger = revocation(&wallet(0x99), &target);
    let r = call(
        &a.router,
        post_json(
            "/v1/revocations",
            &serde_json::to_value(&stranger).expect("v"),
        ),
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        call(&a.router, post_json("/v1/authorize", &body))
            .await
            .status,
        200
    );

    let rev = revocation(&owner, &target);
    let rev_json = serde_json::to_value(&rev).expect("v");
    let r = call(&a.router, post_json("/v1/revocations", &rev_json)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["id"], json!(id));
    assert_eq!(r.json()["issuer"], json!(owner.address().to_checksum(None)));
    assert_eq!(r.headers[header::LOCATION], format!("/v1/revocations/{id}"));
    // Idempotent.
    let again = call(&a.router, post_json("/v1/revocations", &rev_json)).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["revokedAt"], r.json()["revokedAt"]);

    let r = call(&a.router, post_json("/v1/authorize", &body)).await;
    assert_eq!((r.status.as_u16(), r.code().as_str()), (403, "revoked"));

    let r = call(&a.router, get_req(&format!("/v1/revocations/{id}"))).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    // No bare "revoked": a revocation only takes effect on grants its issuer signed (issue 10).
    assert!(v.get("revoked").is_none(), "{v}");
    let asked = call(
        &a.router,
        get_req(&format!(
            "/v1/revocations/{id}?grantedBy={}",
            owner.address().to_checksum(None)
        )),
    )
    .await;
    assert_eq!(asked.json()["revoked"], json!(true), "{}", asked.text());
    let issuers: Vec<&str> = v["revocations"]
        .as_array()
        .expect("list")
        .iter()
        .map(|x| x["issuer"].as_str().expect("issuer"))
        .collect();
    assert!(issuers.contains(&owner.address().to_checksum(None).as_str()));
    assert!(v["revocations"]
        .as_array()
        .expect("list")
        .iter()
        .any(|x| x["revocation"] == rev_json));

    // A forged revocation, a session AuthSig posted as one, a bad id.
    let mut forged = rev.clone();
    forged.signed_message = forged.signed_message.replace("I revoke", "I Revoke");
    let r = call(
        &a.router,
        post_json(
            "/v1/revocations",
            &serde_json::to_value(&forged).expect("v"),
        ),
    )
    .await;
    assert!(r.status == 400 || r.status == 401, "{}", r.text());
    let (_, auth, _) = user_session(&owner, &nodes());
    let r = call(
        &a.router,
        post_json("/v1/revocations", &serde_json::to_value(&auth).expect("v")),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (400, "invalid_revocation")
    );
    let r = call(&a.router, post_json("/v1/revocations", &json!({"nope": 1}))).await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (400, "invalid_revocation")
    );
    let r = call(&a.router, get_req("/v1/revocations/session-key:zz")).await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (400, "invalid_request")
    );
}

#[tokio::test]
async fn uses_are_charged_per_verified_request() {
    let a = app();
    let (delegation, sigs) = capacity_session(&wallet(0xa1), &wallet(0xb0), 3, &nodes());
    let body = json!({"sessionSig": serde_json::to_value(sigs.get(ME).expect("m")).expect("v")});
    for i in 0..3 {
        let r = call(&a.router, post_json("/v1/authorize", &body)).await;
        assert_eq!(r.status, 200, "use {i}: {}", r.text());
    }
    let r = call(&a.router, post_json("/v1/authorize", &body)).await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (403, "uses_exhausted")
    );
    let used = a
        .state
        .stores()
        .usage
        .used(&format!("delegation:{}", delegation.hash()))
        .expect("used");
    assert_eq!(used, 3);
}

/// Verify first, charge last: a stale network nonce, a refused operation and "who am I" spend
/// nothing; only an allowed request spends a use.
#[tokio::test]
async fn nothing_is_charged_unless_the_whole_request_is_allowed() {
    let a = app_with(|c| c.require_network_nonce = Some(true), Stores::memory());
    let h = call(&a.router, get_req("/v1/handshake")).await.json();
    let nonce = h["nonce"].as_str().expect("nonce").to_owned();
    let (alice, bob) = (wallet(0xa1), wallet(0xb0));
    let (delegation, _) = capacity_session(&alice, &bob, 1, &nodes());
    let counter = format!("delegation:{}", delegation.hash());
    let used = || a.state.stores().usage.used(&counter).expect("used");
    let key = sessionsig::session::SessionKeyPair::generate();
    let reqs = requests(&[("lit-pkp://*", LitAbility::PkpSigning)]);
    let with_nonce = |n: &str| {
        let auth = session_auth_sig_with_nonce(&bob, &key, n);
        sign(&key, &reqs, &[delegation.clone(), auth], &nodes())
    };
    let stale = with_nonce("0123456789abcdef");
    for _ in 0..3 {
        let r = call(
            &a.router,
            post_json(
                "/v1/authorize",
                &authorize_body(stale.get(ME).expect("m"), None),
            ),
        )
        .await;
        assert_eq!(
            (r.status.as_u16(), r.code().as_str()),
            (401, "nonce_invalid")
        );
    }
    assert_eq!(used(), 0, "a stale nonce spends nothing");

    let fresh = with_nonce(&nonce);
    let sig = fresh.get(ME).expect("m");
    for _ in 0..3 {
        let r = call(&a.router, with_auth("/v1/session", sig)).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    assert_eq!(used(), 0, "who am I spends nothing");
    let r = call(
        &a.router,
        post_json(
            "/v1/authorize",
            &authorize_body(sig, Some(("lit-litaction://QmX", "lit-action-execution"))),
        ),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(used(), 0, "a refused operation spends nothing");

    let r = call(
        &a.router,
        post_json("/v1/authorize", &authorize_body(sig, None)),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(used(), 1);
    let r = call(
        &a.router,
        post_json("/v1/authorize", &authorize_body(sig, None)),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (403, "uses_exhausted")
    );
}

#[tokio::test]
async fn metrics_count_requests_results_and_cache_hits() {
    let a = app();
    let (_, _, sigs) = user_session(&wallet(0x16), &nodes());
    for s in [ME, ME, ME, NEIGHBOUR] {
        let body = json!({"sessionSig": serde_json::to_value(sigs.get(s).expect("s")).expect("v")});
        call(&a.router, post_json("/v1/authorize", &body)).await;
    }
    call(&a.router, get_req("/v1/session")).await;
    let r = call(&a.router, get_req("/metrics")).await;
    assert_eq!(r.status, 200);
    assert!(r.headers[header::CONTENT_TYPE]
        .to_str()
        .expect("ct")
        .starts_with("text/plain; version=0.0.4"));
    let t = r.text();
    for needle in [
        "sessionsig_http_requests_total{route=\"/v1/authorize\",status=\"200\"} 3",
        "sessionsig_http_requests_total{route=\"/v1/authorize\",status=\"401\"} 1",
        "sessionsig_http_requests_total{route=\"/v1/session\",status=\"401\"} 1",
        "sessionsig_verifications_total{result=\"ok\"} 3",
        "sessionsig_verifications_total{result=\"wrong_node\"} 1",
        "sessionsig_verifications_total{result=\"missing_authorization\"} 1",
        "sessionsig_auth_sig_cache_hits_total 2",
        "sessionsig_auth_sig_cache_entries 1",
        "sessionsig_verification_duration_seconds_count 4",
        "sessionsig_http_request_duration_seconds_bucket{route=\"/v1/authorize\",le=\"+Inf\"} 4",
    ] {
        assert!(t.contains(needle), "missing `{needle}` in\n{t}");
    }
    let r = call(&a.router, get_req("/healthz")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], json!("ok"));
}

/// A store that fails, or is slow.
struct Flaky {
    fail: bool,
    delay: Duration,
}

impl RevocationStore for Flaky {
    fn revoke(&self, _: &RevocationTarget, _: alloy_primitives::Address) -> sessionsig::Result<()> {
        Err(sessionsig::Error::Store("down".into()))
    }
    fn is_revoked(
        &self,
        _: &RevocationTarget,
        _: alloy_primitives::Address,
    ) -> sessionsig::Result<bool> {
        std::thread::sleep(self.delay);
        if self.fail {
            Err(sessionsig::Error::Store("database is down".into()))
        } else {
            Ok(false)
        }
    }
}

impl UsageStore for Flaky {
    fn try_consume(&self, _: &[UseCharge]) -> sessionsig::Result<()> {
        Err(sessionsig::Error::Store("down".into()))
    }
    fn release(&self, _: &str, _: u64) -> sessionsig::Result<()> {
        Err(sessionsig::Error::Store("down".into()))
    }
    fn used(&self, _: &str) -> sessionsig::Result<u64> {
        Ok(0)
    }
}

fn flaky_stores(fail: bool, delay: Duration) -> Stores {
    let f = Arc::new(Flaky { fail, delay });
    let mut s = Stores::memory();
    s.revocations = f.clone();
    s.usage = f;
    s
}

#[tokio::test]
async fn a_failing_store_is_503_and_never_a_pass() {
    let a = app_with(|_| {}, flaky_stores(true, Duration::ZERO));
    let (_, _, sigs) = user_session(&wallet(0x17), &nodes());
    let body = json!({"sessionSig": serde_json::to_value(sigs.get(ME).expect("m")).expect("v")});
    let r = call(&a.router, post_json("/v1/authorize", &body)).await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (503, "store_unavailable")
    );
    let r = call(&a.router, get_req("/healthz")).await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (503, "store_unavailable")
    );
}

#[tokio::test]
async fn concurrency_limit_and_timeout_answer_in_json() {
    // One request at a time; the store takes 400 ms.
    let a = app_with(
        |c| c.limits.max_concurrency = 1,
        flaky_stores(false, Duration::from_millis(400)),
    );
    let (_, _, sigs) = user_session(&wallet(0x18), &nodes());
    let body = json!({"sessionSig": serde_json::to_value(sigs.get(ME).expect("m")).expect("v")});
    let first = tokio::spawn({
        let router = a.router.clone();
        let body = body.clone();
        async move { call(&router, post_json("/v1/authorize", &body)).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let r = call(&a.router, post_json("/v1/authorize", &body)).await;
    assert_eq!((r.status.as_u16(), r.code().as_str()), (503, "overloaded"));
    assert_eq!(r.headers[header::RETRY_AFTER], "1");
    // Observability is not behind the limit.
    assert_eq!(call(&a.router, get_req("/metrics")).await.status, 200);
    assert_eq!(first.await.expect("join").status, 200);

    let slow = app_with(
        |c| c.limits.request_timeout_ms = 100,
        flaky_stores(false, Duration::from_millis(400)),
    );
    let r = call(&slow.router, post_json("/v1/authorize", &body)).await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (408, "request_timeout")
    );
}

#[tokio::test]
async fn network_nonce_rule() {
    let a = app_with(|c| c.require_network_nonce = Some(true), Stores::memory());
    let h = call(&a.router, get_req("/v1/handshake")).await.json();
    assert_eq!(h["requireNetworkNonce"], json!(true));
    let nonce = h["nonce"].as_str().expect("nonce").to_owned();
    let owner = wallet(0x19);
    let key = sessionsig::session::SessionKeyPair::generate();
    let make = |nonce: &str| session_auth_sig_with_nonce(&owner, &key, nonce);
    let reqs = requests(&[("lit-pkp://*", LitAbility::PkpSigning)]);
    let ok = sign(&key, &reqs, &[make(&nonce)], &nodes());
    let r = call(&a.router, with_auth("/v1/session", ok.get(ME).expect("m"))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let made_up = sign(&key, &reqs, &[make("0123456789abcdef")], &nodes());
    let r = call(
        &a.router,
        with_auth("/v1/session", made_up.get(ME).expect("m")),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (401, "nonce_invalid")
    );
}

#[tokio::test]
async fn verification_off_is_explicit_and_only_on_authorize() {
    let a = app_with(|c| c.verify = Some(false), Stores::memory());
    let (_, _, sigs) = user_session(&wallet(0x1a), &nodes());
    // The neighbour's SessionSig passes: nothing is verified on this route.
    let body =
        json!({"sessionSig": serde_json::to_value(sigs.get(NEIGHBOUR).expect("n")).expect("v")});
    let r = call(&a.router, post_json("/v1/authorize", &body)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["insecureNoVerify"], json!(true));
    // The layer still verifies.
    let r = call(
        &a.router,
        with_auth("/v1/session", sigs.get(NEIGHBOUR).expect("n")),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.code().as_str()), (401, "wrong_node"));
    // The open health route says nothing about the configuration.
    let h = call(&a.router, get_req("/healthz")).await.json();
    assert_eq!(h["status"], json!("ok"));
    assert!(h.get("verify").is_none() && h.get("store").is_none(), "{h}");
}

/// `POST /v1/revocations` from `peer` (the address the node's server puts on each request).
fn revocation_from(peer: &str, body: &Value) -> Request<Body> {
    let mut r = post_json("/v1/revocations", body);
    let addr: std::net::SocketAddr = peer.parse().expect("peer");
    r.extensions_mut().insert(axum::extract::ConnectInfo(addr));
    r
}

/// A valid revocation signed by a throwaway wallet (what a store-filling client would send).
fn throwaway_revocation(n: u8) -> Value {
    let key = sessionsig::session::SessionKeyPair::generate();
    let rev = revocation(
        &wallet(0x80 + n),
        &RevocationTarget::SessionKey(key.public_hex()),
    );
    serde_json::to_value(&rev).expect("v")
}

#[tokio::test]
async fn revocations_are_rate_limited_per_client_address() {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = settings(dir.path(), |c| {
        c.limits.revocation_burst = 3;
        c.limits.revocation_rate_per_minute = 60;
    });
    let clock = ManualClock::now_real();
    let state = AppState::new(&settings, Stores::memory(), clock.clone()).expect("state");
    let router = router(state);
    let (a, b, v6) = ("10.0.0.1:50000", "10.0.0.2:50000", "[2001:db8::1]:50000");

    // The burst: three valid revocations from one address (other ports: same client).
    for (i, port) in [40001, 40002, 40003].into_iter().enumerate() {
        let peer = format!("10.0.0.1:{port}");
        let r = call(
            &router,
            revocation_from(&peer, &throwaway_revocation(i as u8)),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.text());
    }
    // The fourth within the window: 429, the node's JSON error shape, Retry-After.
    let r = call(&router, revocation_from(a, &throwaway_revocation(3))).await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (429, "rate_limited"),
        "{}",
        r.text()
    );
    assert!(r.json()["error"]
        .as_str()
        .expect("message")
        .contains("retry"));
    assert_eq!(r.headers[header::RETRY_AFTER], "1");
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    // Refused before the body is even read: garbage is 429 too, not 400.
    let r = call(&router, revocation_from(a, &json!({"nope": 1}))).await;
    assert_eq!(r.status, 429);
    // Other clients are not affected.
    let r = call(&router, revocation_from(b, &throwaway_revocation(4))).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = call(&router, revocation_from(v6, &throwaway_revocation(5))).await;
    assert_eq!(r.status, 201, "{}", r.text());
    // Reads are not limited.
    let id =
        RevocationTarget::SessionKey(sessionsig::session::SessionKeyPair::generate().public_hex())
            .id();
    let r = call(&router, get_req(&format!("/v1/revocations/{id}"))).await;
    assert_eq!(r.status, 404);

    // One refill interval later: one more, and only one.
    clock.advance(sessionsig::time::Duration::seconds(1));
    let r = call(&router, revocation_from(a, &throwaway_revocation(6))).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = call(&router, revocation_from(a, &throwaway_revocation(7))).await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (429, "rate_limited")
    );

    let t = call(&router, get_req("/metrics")).await.text();
    for needle in [
        "sessionsig_rate_limited_total{route=\"/v1/revocations\"} 3",
        "sessionsig_revocations_total{result=\"rate_limited\"} 3",
        "sessionsig_revocations_total{result=\"ok\"} 6",
        "sessionsig_http_requests_total{route=\"/v1/revocations\",status=\"429\"} 3",
    ] {
        assert!(t.contains(needle), "missing `{needle}` in\n{t}");
    }
}

#[tokio::test]
async fn the_revocation_rate_limit_can_be_turned_off() {
    let a = app_with(|c| c.limits.revocation_burst = 0, Stores::memory());
    // Past the default burst (20), from one address, at one instant.
    for i in 0..25 {
        let r = call(
            &a.router,
            revocation_from("10.0.0.1:1", &throwaway_revocation(i)),
        )
        .await;
        assert_eq!(r.status, 201, "{i}: {}", r.text());
    }
    // And by default it is on: requests without a known peer share one bucket.
    let a = app();
    assert_eq!(a.settings.limits.revocation_burst, 20);
    let mut statuses = Vec::new();
    for i in 0..21 {
        let body = throwaway_revocation(i);
        statuses.push(
            call(&a.router, post_json("/v1/revocations", &body))
                .await
                .status,
        );
    }
    assert!(statuses[..20].iter().all(|s| *s == 201), "{statuses:?}");
    assert_eq!(statuses[20], 429);
}
