//! Independent-implementation check: requests signed by the `http-message-signatures`
//! package (PyPI, pinned in `tests/py/requirements.txt`) are accepted by our verifier, its
//! Content-Digest agrees with ours, and it accepts what our signer makes.
//!
//! The Python side runs from a virtualenv whose path comes from `SESSIONSIG_PY_VENV`;
//! `scripts/test` creates it (pinned, skipped when present) and exports the variable. Without
//! it this test fails and says how to make one: it never skips.

use http::{HeaderName, HeaderValue, Request};
use serde_json::{json, Value};
use sessionsig::session::SessionKeyPair;
use sessionsig_backpack::httpsig::{sign_backpack_request, Component, RequestSignaturePolicy};
use sessionsig_backpack::ContentDigest;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use time::OffsetDateTime;

const SEED: [u8; 32] = [0x22; 32];
const CREATED: i64 = 1_800_000_000;
const AUTHORITY: &str = "node-a.example:7470";

fn python() -> PathBuf {
    let venv = std::env::var_os("SESSIONSIG_PY_VENV").unwrap_or_else(|| {
        panic!(
            "SESSIONSIG_PY_VENV is not set. Run scripts/test, or make the virtualenv by hand: \
             python3 -m venv /tmp/sessionsig-py && /tmp/sessionsig-py/bin/pip install -r \
             crates/sessionsig-backpack/tests/py/requirements.txt && \
             export SESSIONSIG_PY_VENV=/tmp/sessionsig-py"
        )
    });
    let py = PathBuf::from(&venv).join("bin").join("python");
    assert!(
        py.exists(),
        "SESSIONSIG_PY_VENV={} has no bin/python: recreate it (see scripts/test)",
        PathBuf::from(venv).display()
    );
    py
}

/// Run one job through tests/py/sign_request.py and return its JSON answer.
fn run(job: Value) -> Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/py/sign_request.py");
    let mut child = Command::new(python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(job.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from python")
}

fn session() -> SessionKeyPair {
    SessionKeyPair::from_seed(&SEED)
}

/// Have Python sign `method path_and_query` with `extra` job fields; return the request as
/// our node would receive it.
fn python_signed(
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    extra: Value,
    body: &[u8],
) -> Request<Vec<u8>> {
    let mut job = json!({
        "mode": "sign",
        "method": method,
        "url": format!("http://{AUTHORITY}{path_and_query}"),
        "headers": std::iter::once(("Host", AUTHORITY)).chain(headers.iter().copied())
            .map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
        "seed_hex": hex::encode(SEED),
        "key_id": session().public_hex(),
        "created": CREATED,
        "label": "pyhms",
        "components": ["@method", "@authority", "@path", "@query"],
    });
    for (k, v) in extra.as_object().unwrap() {
        job[k] = v.clone();
    }
    let answer = run(job);
    let mut req = Request::builder()
        .method(method)
        .uri(path_and_query)
        .body(body.to_vec())
        .unwrap();
    for pair in answer["headers"].as_array().unwrap() {
        let name = pair[0].as_str().unwrap().to_ascii_lowercase();
        req.headers_mut().append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(pair[1].as_str().unwrap()).unwrap(),
        );
    }
    req
}

fn at(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).unwrap()
}

fn verify_code(req: &Request<Vec<u8>>) -> &'static str {
    RequestSignaturePolicy::default()
        .verify(req, &session().public_key(), at(CREATED + 5))
        .map(|_| "ok")
        .unwrap_or_else(|e| e.code())
}

const BODY: &[u8] = b"\x89PNG the bytes of a photo";

fn python_put() -> Request<Vec<u8>> {
    python_signed(
        "PUT",
        "/v1/backpack/0x1111111111111111111111111111111111111111/photos/caf%C3%A9%20a.png?x=1&y=%2F",
        &[("Content-Type", "image/png")],
        json!({
            "nonce": "py-nonce-0001",
            "components": ["@method", "@authority", "@path", "@query", "content-type"],
            "body_hex": hex::encode(BODY),
        }),
        BODY,
    )
}

#[test]
fn a_put_signed_by_python_is_accepted() {
    let req = python_put();
    let v = RequestSignaturePolicy::default()
        .verify(&req, &session().public_key(), at(CREATED + 5))
        .unwrap();
    assert_eq!(v.nonce(), "py-nonce-0001");
    assert_eq!(v.keyid(), &session().public_key());
    assert_eq!(v.created(), at(CREATED));
    assert_eq!(v.label(), "pyhms");
    // Python computed the Content-Digest itself: it is the sha-256 of the body, as ours.
    assert_eq!(v.content_digest(), Some(&ContentDigest::of(BODY)));
    assert!(v
        .components()
        .contains(&Component::parse("content-digest").unwrap()));
    // The package orders parameters differently from our signer (created, keyid, alg,
    // nonce): the verifier signs what was received, not a re-ordering.
    let input = req.headers()["signature-input"].to_str().unwrap();
    assert!(input.contains(";keyid=\""), "{input}");
    assert!(
        input.find(";alg=").unwrap() < input.find(";nonce=").unwrap(),
        "{input}"
    );
}

#[test]
fn python_signed_get_and_delete_are_accepted() {
    let get = python_signed(
        "GET",
        "/v1/backpack/0x1111111111111111111111111111111111111111/%E5%86%99%E7%9C%9F/",
        &[],
        json!({ "nonce": "g-1", "expires": CREATED + 30, "tag": "sessionsig-backpack" }),
        b"",
    );
    assert_eq!(verify_code(&get), "ok");
    let delete = python_signed(
        "DELETE",
        "/v1/backpack/0x1111111111111111111111111111111111111111/a.txt",
        &[],
        json!({ "nonce": "d-1" }),
        b"",
    );
    assert_eq!(verify_code(&delete), "ok");
    // `expires` (signed by Python) is enforced by our policy.
    assert_eq!(
        RequestSignaturePolicy::default()
            .verify(&get, &session().public_key(), at(CREATED + 30))
            .unwrap_err()
            .code(),
        "request_signature_expired"
    );
}

#[test]
fn python_signed_requests_still_obey_our_policy() {
    let mut req = python_put();
    *req.uri_mut() =
        "/v1/backpack/0x1111111111111111111111111111111111111111/photos/other.png?x=1&y=%2F"
            .parse()
            .unwrap();
    assert_eq!(verify_code(&req), "bad_request_signature");
    let mut req = python_put();
    req.headers_mut().insert(
        "content-digest",
        HeaderValue::from_str(&ContentDigest::of(b"swapped body").header_value()).unwrap(),
    );
    assert_eq!(verify_code(&req), "bad_request_signature");
    let no_nonce = python_signed("DELETE", "/a", &[], json!({}), b"");
    assert_eq!(verify_code(&no_nonce), "request_signature_missing_nonce");
    let no_alg = python_signed(
        "DELETE",
        "/a",
        &[],
        json!({"nonce": "x", "include_alg": false}),
        b"",
    );
    assert_eq!(verify_code(&no_alg), "request_signature_wrong_alg");
    let no_query = python_signed(
        "DELETE",
        "/a",
        &[],
        json!({"nonce": "x", "components": ["@method", "@authority", "@path"]}),
        b"",
    );
    assert_eq!(verify_code(&no_query), "request_signature_incomplete");
    let no_digest = python_signed(
        "PUT",
        "/a",
        &[("Content-Digest", &ContentDigest::of(BODY).header_value())],
        json!({"nonce": "x", "use_existing_digest": true}),
        BODY,
    );
    assert_eq!(verify_code(&no_digest), "request_signature_incomplete");
}

#[test]
fn python_accepts_what_our_signer_makes() {
    // Python's verifier checks `created` against the wall clock, so sign at the wall clock.
    let now = OffsetDateTime::now_utc();
    let path = "/v1/backpack/0x1111111111111111111111111111111111111111/photos/a%20b.png?x=1";
    let mut req = Request::builder()
        .method("PUT")
        .uri(path)
        .header("host", AUTHORITY)
        .header("content-type", "image/png")
        .header("content-digest", ContentDigest::of(BODY).header_value())
        .body(BODY.to_vec())
        .unwrap();
    sign_backpack_request(&mut req, &session(), now, "rust-nonce-1").unwrap();
    let headers: Vec<Value> = req
        .headers()
        .iter()
        .map(|(k, v)| json!([k.as_str(), v.to_str().unwrap()]))
        .collect();
    let job = |body: &[u8]| {
        json!({
            "mode": "verify",
            "method": "PUT",
            "url": format!("http://{AUTHORITY}{path}"),
            "headers": headers,
            "public_hex": session().public_hex(),
            "key_id": session().public_hex(),
            "body_hex": hex::encode(body),
        })
    };
    let answer = run(job(BODY));
    assert!(answer.get("error").is_none(), "{answer}");
    let verified = &answer["verified"][0];
    assert_eq!(verified["label"], "backpack");
    assert_eq!(verified["parameters"]["nonce"], "rust-nonce-1");
    assert_eq!(verified["parameters"]["alg"], "ed25519");
    assert_eq!(verified["parameters"]["created"], now.unix_timestamp());
    // Python checks the body against our Content-Digest, and refuses another body.
    let answer = run(job(b"another body"));
    assert!(answer.get("error").is_some(), "{answer}");
}
