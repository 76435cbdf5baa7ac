//! A node remembers SessionSigs whose signature verified (a client repeats its
//! `Authorization` header) and verifies a repeated one without the signature check, on its
//! async threads when the store answers locally: every check that can change between two
//! identical requests must still run. Real signatures, the node's router, real SQLite and
//! PostgreSQL stores, a clock moved by hand.

mod common;

use axum::body::Body;
use axum::http::{header, Request};
use axum::Router;
use common::{revocation, user_session, wallet, ManualClock, PgSchema};
use serde_json::Value;
use sessionsig::session::SessionSig;
use sessionsig::time::Duration;
use sessionsig::verify::RevocationTarget;
use sessionsig_node::auth::authorization_value;
use sessionsig_node::config::NodeConfig;
use sessionsig_node::routes::{router, AppState};
use sessionsig_node::store::Stores;
use tower::ServiceExt;

const ME: &str = "http://127.0.0.1:7470";

async fn call(router: &Router, req: Request<Body>) -> (u16, Value) {
    let resp = router.clone().oneshot(req).await.expect("infallible");
    let status = resp.status().as_u16();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .expect("body");
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn whoami(sig: &SessionSig) -> Request<Body> {
    Request::get("/v1/session")
        .header(header::AUTHORIZATION, authorization_value(sig))
        .body(Body::empty())
        .expect("request")
}

fn code(v: &Value) -> &str {
    v["code"].as_str().unwrap_or("<none>")
}

/// The same SessionSig bytes, again and again: refused once its key is revoked, refused once
/// it has expired, while the node remembers them.
async fn repeated_session_sigs_are_checked_every_time(stores: Stores) {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = NodeConfig {
        public_url: Some(ME.into()),
        data_dir: Some(dir.path().to_owned()),
        store: Some("memory:".into()),
        ..NodeConfig::default()
    }
    .resolve(false)
    .expect("settings");
    let clock = ManualClock::now_real();
    let state = AppState::new(&settings, stores, clock.clone()).expect("state");
    let app = router(state.clone());
    let remembered = || state.authorizer().verifier().cache().session_sigs_len();

    let owner = wallet(0x41);
    let (key, _, sigs) = user_session(&owner, &[ME.to_owned()]);
    let sig = sigs.get(ME).expect("mine");
    for _ in 0..3 {
        let (status, body) = call(&app, whoami(sig)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["sessionKey"], key.public_hex());
    }
    assert_eq!(
        remembered(),
        1,
        "the node remembers the SessionSig it verified"
    );

    // The owner revokes the session key: the very same bytes are refused from then on.
    let rev = serde_json::to_value(revocation(
        &owner,
        &RevocationTarget::SessionKey(key.public_hex()),
    ))
    .expect("json");
    let post = Request::post("/v1/revocations")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(rev.to_string()))
        .expect("request");
    let (status, body) = call(&app, post).await;
    assert_eq!(status, 201, "{body}");
    for _ in 0..2 {
        let (status, body) = call(&app, whoami(sig)).await;
        assert_eq!((status, code(&body)), (403, "revoked"), "{body}");
    }

    // Another session, remembered too, then its SessionSig expires (ten minutes, plus the
    // 60 s skew): the same bytes are refused.
    let (_, _, other) = user_session(&wallet(0x42), &[ME.to_owned()]);
    let other = other.get(ME).expect("mine");
    for _ in 0..2 {
        assert_eq!(call(&app, whoami(other)).await.0, 200);
    }
    assert_eq!(remembered(), 2);
    clock.advance(Duration::minutes(11) + Duration::seconds(1));
    let (status, body) = call(&app, whoami(other)).await;
    assert_eq!((status, code(&body)), (401, "expired"), "{body}");

    // A byte changed in a remembered SessionSig's signature: checked, and refused.
    clock.advance(-(Duration::minutes(11) + Duration::seconds(1)));
    assert_eq!(call(&app, whoami(other)).await.0, 200);
    let mut forged = other.clone();
    let flip = if forged.sig.ends_with('0') { "1" } else { "0" };
    let end = forged.sig.len();
    forged.sig.replace_range(end - 1..end, flip);
    let (status, body) = call(&app, whoami(&forged)).await;
    assert_eq!(
        (status, code(&body)),
        (401, "bad_session_signature"),
        "{body}"
    );
}

#[tokio::test]
async fn on_the_memory_store() {
    repeated_session_sigs_are_checked_every_time(Stores::memory()).await;
}

#[tokio::test]
async fn on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/seen.db", dir.path().display());
    let stores = Stores::open(&url, None).expect("sqlite");
    assert!(
        stores.revocations.answers_locally(),
        "SQLite is asked on the async threads"
    );
    repeated_session_sigs_are_checked_every_time(stores).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres() {
    let pg = PgSchema::new();
    let (url, schema) = (pg.url.clone(), pg.schema.clone());
    let stores = tokio::task::spawn_blocking(move || Stores::open(&url, Some(&schema)))
        .await
        .expect("join")
        .expect("postgres");
    assert!(
        !stores.revocations.answers_locally(),
        "PostgreSQL is asked on the blocking pool"
    );
    repeated_session_sigs_are_checked_every_time(stores).await;
}
