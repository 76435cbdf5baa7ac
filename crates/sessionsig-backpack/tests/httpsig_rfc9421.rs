//! RFC 9421 conformance (Appendix B.2.6, ed25519) and the backpack's request-signature policy:
//! every single-component tamper fails, every policy rule has its own error code, and signing
//! then verifying round-trips for arbitrary requests.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::header::HeaderName;
use http::{HeaderValue, Method, Request};
use proptest::prelude::*;
use sessionsig::session::{SessionKeyPair, SessionPublicKey};
use sessionsig_backpack::httpsig::{
    base::signature_base, sign_backpack_request, sign_request, verify_signature, Component,
    RequestSignaturePolicy, SignatureParams,
};
use sessionsig_backpack::{ContentDigest, Error};
use time::OffsetDateTime;

// ---------------------------------------------------------------- RFC 9421 Appendix B

/// B.1.4 `test-key-ed25519`, PKCS#8 (private) and SPKI (public), base64 DER as in the RFC.
const B14_PRIVATE_PKCS8: &str = "MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF";
const B14_PUBLIC_SPKI: &str = "MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=";

/// B.2.6: the signature base, `Signature-Input` and `Signature`, verbatim.
const B26_BASE: &str = "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\
\"@method\": POST\n\
\"@path\": /foo\n\
\"@authority\": example.com\n\
\"content-type\": application/json\n\
\"content-length\": 18\n\
\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\"";
const B26_INPUT: &str = "sig-b26=(\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\"";
const B26_SIGNATURE: &str = "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:";

/// The B.2 test request (`POST /foo?param=Value&Pet=dog`), without signature headers.
fn b2_request() -> Request<Vec<u8>> {
    Request::builder()
        .method("POST")
        .uri("/foo?param=Value&Pet=dog")
        .header("host", "example.com")
        .header("date", "Tue, 20 Apr 2021 02:07:55 GMT")
        .header("content-type", "application/json")
        .header(
            "content-digest",
            "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
        )
        .header("content-length", "18")
        .body(b"{\"hello\": \"world\"}".to_vec())
        .unwrap()
}

fn b14_signing_key() -> ed25519_dalek::SigningKey {
    let der = STANDARD.decode(B14_PRIVATE_PKCS8).unwrap();
    // PKCS#8 for Ed25519 is a fixed 16-byte prefix and the 32-byte seed (RFC 8410 §7).
    let seed: [u8; 32] = der[16..].try_into().unwrap();
    ed25519_dalek::SigningKey::from_bytes(&seed)
}

fn b14_public_key() -> SessionPublicKey {
    let der = STANDARD.decode(B14_PUBLIC_SPKI).unwrap();
    // SPKI for Ed25519 is a fixed 12-byte prefix and the 32-byte key (RFC 8410 §4).
    SessionPublicKey::parse_hex(&hex::encode(&der[12..])).unwrap()
}

fn b26_params() -> SignatureParams {
    SignatureParams {
        components: [
            "date",
            "@method",
            "@path",
            "@authority",
            "content-type",
            "content-length",
        ]
        .iter()
        .map(|n| Component::parse(n).unwrap())
        .collect(),
        created: Some(1618884473),
        keyid: Some("test-key-ed25519".into()),
        ..SignatureParams::default()
    }
}

#[test]
fn b26_keys_are_one_pair() {
    assert_eq!(
        hex::encode(b14_signing_key().verifying_key().to_bytes()),
        b14_public_key().to_hex()
    );
}

#[test]
fn b26_signature_base_is_the_rfcs() {
    assert_eq!(
        signature_base(&b2_request(), &b26_params()).unwrap(),
        B26_BASE
    );
}

#[test]
fn b26_verifies_with_our_verifier() {
    let mut req = b2_request();
    req.headers_mut()
        .insert("signature-input", HeaderValue::from_static(B26_INPUT));
    req.headers_mut()
        .insert("signature", HeaderValue::from_static(B26_SIGNATURE));
    let params = verify_signature(&req, "sig-b26", &b14_public_key()).unwrap();
    assert_eq!(params, b26_params());
    // The same through `Parts`, as axum hands it over.
    let (parts, _) = req.into_parts();
    verify_signature(&parts, "sig-b26", &b14_public_key()).unwrap();
}

#[test]
fn b26_our_signer_reproduces_it_byte_for_byte() {
    let mut req = b2_request();
    sign_request(&mut req, "sig-b26", &b26_params(), &b14_signing_key()).unwrap();
    assert_eq!(req.headers()["signature-input"], B26_INPUT);
    assert_eq!(req.headers()["signature"], B26_SIGNATURE);
}

#[test]
fn b26_fails_when_any_byte_of_it_changes() {
    let sig_b64 = &B26_SIGNATURE["sig-b26=:".len()..B26_SIGNATURE.len() - 1];
    let mut sig = STANDARD.decode(sig_b64).unwrap();
    for i in 0..sig.len() {
        sig[i] ^= 0x01;
        let mut req = b2_request();
        req.headers_mut()
            .insert("signature-input", HeaderValue::from_static(B26_INPUT));
        let value = format!("sig-b26=:{}:", STANDARD.encode(&sig));
        req.headers_mut()
            .insert("signature", HeaderValue::from_str(&value).unwrap());
        let e = verify_signature(&req, "sig-b26", &b14_public_key()).unwrap_err();
        assert_eq!(e.code(), "bad_request_signature", "byte {i}");
        sig[i] ^= 0x01;
    }
    // The date header is covered: changing it breaks the signature.
    let mut req = b2_request();
    req.headers_mut().insert(
        "date",
        HeaderValue::from_static("Tue, 20 Apr 2021 02:07:56 GMT"),
    );
    req.headers_mut()
        .insert("signature-input", HeaderValue::from_static(B26_INPUT));
    req.headers_mut()
        .insert("signature", HeaderValue::from_static(B26_SIGNATURE));
    assert_eq!(
        verify_signature(&req, "sig-b26", &b14_public_key())
            .unwrap_err()
            .code(),
        "bad_request_signature"
    );
}

#[test]
fn b26_is_not_enough_for_the_backpack_policy() {
    // A valid RFC signature, but not by a session key (keyid is not 64 hex), without nonce,
    // alg or @query: the policy refuses it.
    let mut req = b2_request();
    req.headers_mut()
        .insert("signature-input", HeaderValue::from_static(B26_INPUT));
    req.headers_mut()
        .insert("signature", HeaderValue::from_static(B26_SIGNATURE));
    let now = OffsetDateTime::from_unix_timestamp(1618884473).unwrap();
    let e = RequestSignaturePolicy::default()
        .verify(&req, &b14_public_key(), now)
        .unwrap_err();
    assert_eq!(e.code(), "request_signature_wrong_keyid");
}

// ---------------------------------------------------------------- the backpack profile

const NOW: i64 = 1_800_000_000;

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(NOW).unwrap()
}

fn session() -> SessionKeyPair {
    SessionKeyPair::from_seed(&[0x22; 32])
}

const BODY: &[u8] = b"the bytes of my photo";

/// A signed PUT of `/v1/backpack/<alice>/photos/a.jpg?x=1` with a body.
fn signed_put() -> Request<Vec<u8>> {
    let mut req = Request::builder()
        .method("PUT")
        .uri("/v1/backpack/0x1111111111111111111111111111111111111111/photos/a.jpg?x=1")
        .header("host", "node-a.example:7470")
        .header("content-type", "image/jpeg")
        .header("content-digest", ContentDigest::of(BODY).header_value())
        .body(BODY.to_vec())
        .unwrap();
    sign_backpack_request(&mut req, &session(), now(), "n-0001").unwrap();
    req
}

fn verify(
    req: &Request<Vec<u8>>,
) -> Result<sessionsig_backpack::httpsig::VerifiedRequestSignature, Error> {
    RequestSignaturePolicy::default().verify(req, &session().public_key(), now())
}

fn code(req: &Request<Vec<u8>>) -> &'static str {
    verify(req).map(|_| "ok").unwrap_or_else(|e| e.code())
}

fn set(req: &mut Request<Vec<u8>>, name: &'static str, value: &str) {
    req.headers_mut().insert(
        HeaderName::from_static(name),
        HeaderValue::from_str(value).unwrap(),
    );
}

fn input(req: &Request<Vec<u8>>) -> String {
    req.headers()["signature-input"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn a_signed_put_verifies_and_exposes_what_the_route_needs() {
    let req = signed_put();
    let v = verify(&req).unwrap();
    assert_eq!(v.keyid(), &session().public_key());
    assert_eq!(v.nonce(), "n-0001");
    assert_eq!(v.created(), now());
    assert_eq!(v.replay_until(), now() + time::Duration::seconds(60));
    assert_eq!(v.label(), "backpack");
    let digest = v.content_digest().unwrap();
    assert!(digest.check(&ContentDigest::of(BODY)).is_ok());
    assert_eq!(
        digest
            .check(&ContentDigest::of(b"swapped"))
            .unwrap_err()
            .code(),
        "digest_mismatch"
    );
    let names: Vec<&str> = v.components().iter().map(Component::name).collect();
    assert_eq!(
        names,
        [
            "@method",
            "@authority",
            "@path",
            "@query",
            "content-digest",
            "content-type"
        ]
    );
    assert_eq!(
        input(&req),
        format!(
            "backpack=(\"@method\" \"@authority\" \"@path\" \"@query\" \"content-digest\" \"content-type\");created={NOW};keyid=\"{}\";nonce=\"n-0001\";alg=\"ed25519\"",
            session().public_hex()
        )
    );
}

#[test]
fn every_single_component_tamper_fails() {
    type Tamper = fn(&mut Request<Vec<u8>>);
    let tampers: &[(&str, Tamper)] = &[
        ("method", |r| *r.method_mut() = Method::POST),
        ("authority", |r| set(r, "host", "node-b.example:7470")),
        ("authority port", |r| set(r, "host", "node-a.example:7471")),
        ("path", |r| {
            *r.uri_mut() =
                "/v1/backpack/0x1111111111111111111111111111111111111111/photos/b.jpg?x=1"
                    .parse()
                    .unwrap()
        }),
        ("query", |r| {
            *r.uri_mut() =
                "/v1/backpack/0x1111111111111111111111111111111111111111/photos/a.jpg?x=2"
                    .parse()
                    .unwrap()
        }),
        ("query removed", |r| {
            *r.uri_mut() = "/v1/backpack/0x1111111111111111111111111111111111111111/photos/a.jpg"
                .parse()
                .unwrap()
        }),
        ("digest", |r| {
            let d = ContentDigest::of(b"another body").header_value();
            set(r, "content-digest", &d)
        }),
        ("content-type", |r| set(r, "content-type", "text/html")),
        ("created", |r| {
            let i = input(r).replace(&format!("created={NOW}"), &format!("created={}", NOW - 1));
            set(r, "signature-input", &i)
        }),
        ("nonce", |r| {
            let i = input(r).replace("n-0001", "n-0002");
            set(r, "signature-input", &i)
        }),
        ("component dropped", |r| {
            let i = input(r).replace(" \"content-type\"", "");
            set(r, "signature-input", &i)
        }),
    ];
    for (what, tamper) in tampers {
        let mut req = signed_put();
        assert_eq!(code(&req), "ok");
        tamper(&mut req);
        assert_eq!(code(&req), "bad_request_signature", "tampered {what}");
    }
}

#[test]
fn each_policy_rule_has_its_own_code() {
    let key = session();
    let base_params = || SignatureParams {
        components: ["@method", "@authority", "@path", "@query", "content-digest"]
            .iter()
            .map(|n| Component::parse(n).unwrap())
            .collect(),
        created: Some(NOW),
        keyid: Some(key.public_hex()),
        nonce: Some("n".into()),
        alg: Some("ed25519".into()),
        ..SignatureParams::default()
    };
    let unsigned = || {
        Request::builder()
            .method("PUT")
            .uri("/v1/backpack/x/a?b")
            .header("host", "node")
            .header("content-digest", ContentDigest::of(BODY).header_value())
            .body(BODY.to_vec())
            .unwrap()
    };
    let with = |f: &dyn Fn(&mut SignatureParams)| {
        let mut p = base_params();
        f(&mut p);
        let mut req = unsigned();
        sign_request(&mut req, "sig1", &p, &key).unwrap();
        code(&req)
    };
    assert_eq!(with(&|_| {}), "ok");
    assert_eq!(code(&unsigned()), "request_signature_required");
    assert_eq!(with(&|p| p.nonce = None), "request_signature_missing_nonce");
    assert_eq!(
        with(&|p| p.nonce = Some(String::new())),
        "request_signature_missing_nonce"
    );
    assert_eq!(
        with(&|p| p.nonce = Some("n".repeat(129))),
        "malformed_request_signature"
    );
    assert_eq!(
        with(&|p| p.created = None),
        "request_signature_missing_created"
    );
    assert_eq!(
        with(&|p| p.created = Some(NOW - 61)),
        "request_signature_expired"
    );
    assert_eq!(with(&|p| p.created = Some(NOW - 60)), "ok");
    assert_eq!(with(&|p| p.created = Some(NOW + 60)), "ok");
    assert_eq!(
        with(&|p| p.created = Some(NOW + 61)),
        "request_signature_from_future"
    );
    assert_eq!(
        with(&|p| p.expires = Some(NOW)),
        "request_signature_expired"
    );
    assert_eq!(with(&|p| p.expires = Some(NOW + 1)), "ok");
    assert_eq!(with(&|p| p.alg = None), "request_signature_wrong_alg");
    assert_eq!(
        with(&|p| p.alg = Some("hmac-sha256".into())),
        "request_signature_wrong_alg"
    );
    assert_eq!(with(&|p| p.keyid = None), "request_signature_wrong_keyid");
    assert_eq!(
        with(&|p| p.keyid = Some(SessionKeyPair::from_seed(&[7; 32]).public_hex())),
        "request_signature_wrong_keyid"
    );
    assert_eq!(
        with(&|p| p.keyid = Some(key.public_hex().to_uppercase())),
        "request_signature_wrong_keyid"
    );
    for dropped in ["@method", "@authority", "@path", "@query", "content-digest"] {
        assert_eq!(
            with(&|p| p.components.retain(|c| c.name() != dropped)),
            "request_signature_incomplete",
            "without {dropped}"
        );
    }
    // Signed by another key that claims the session's keyid.
    let mut req = unsigned();
    sign_request(
        &mut req,
        "sig1",
        &base_params(),
        &SessionKeyPair::from_seed(&[7; 32]),
    )
    .unwrap();
    assert_eq!(code(&req), "bad_request_signature");
    // A signature that is not 64 bytes.
    let mut req = unsigned();
    sign_request(&mut req, "sig1", &base_params(), &key).unwrap();
    set(&mut req, "signature", "sig1=:AAAA:");
    assert_eq!(code(&req), "bad_request_signature");
    // Malformed headers.
    for (input, sig) in [
        ("sig1=(\"@method\"", "sig1=:AAAA:"),
        ("sig1=\"@method\"", "sig1=:AAAA:"),
        ("sig1=(\"@method\" \"@method\");created=1", "sig1=:AAAA:"),
        ("sig1=(\"@status\")", "sig1=:AAAA:"),
        ("sig1=(\"Content-Type\")", "sig1=:AAAA:"),
        ("sig1=(\"content-digest\";sf)", "sig1=:AAAA:"),
        ("sig1=();created=\"1\"", "sig1=:AAAA:"),
        ("sig1=();keyid=1", "sig1=:AAAA:"),
        ("sig1=()", "sig2=:AAAA:"),
        ("sig1=(), sig1=(\"@method\")", "sig1=:AAAA:"),
        ("sig1=()", "sig1=:AAAA:, sig1=:AAAA:"),
        ("sig1=()", "sig1=\"AAAA\""),
    ] {
        let mut req = unsigned();
        set(&mut req, "signature-input", input);
        set(&mut req, "signature", sig);
        assert_eq!(code(&req), "malformed_request_signature", "{input} / {sig}");
    }
    let mut req = unsigned();
    set(&mut req, "signature-input", "sig1=()");
    assert_eq!(code(&req), "malformed_request_signature");
    let mut req = unsigned();
    set(&mut req, "signature", "sig1=:AAAA:");
    assert_eq!(code(&req), "malformed_request_signature");
}

#[test]
fn a_delete_without_body_needs_no_digest_and_other_signatures_are_ignored() {
    let mut req = Request::builder()
        .method("DELETE")
        .uri("/v1/backpack/0x1111111111111111111111111111111111111111/a.txt")
        .header("host", "node")
        .body(Vec::<u8>::new())
        .unwrap();
    sign_backpack_request(&mut req, &session(), now(), "del-1").unwrap();
    let v = verify(&req).unwrap();
    assert!(v.content_digest().is_none());
    // A proxy adds its own signature under another label and key: ours still verifies.
    let proxy = SessionKeyPair::from_seed(&[9; 32]);
    let mut other = req.clone();
    sign_backpack_request(&mut other, &proxy, now(), "proxy-1").unwrap();
    let proxy_input = input(&other).replacen("backpack=", "proxy=", 1);
    let proxy_sig =
        other.headers()["signature"]
            .to_str()
            .unwrap()
            .replacen("backpack=", "proxy=", 1);
    req.headers_mut().append(
        "signature-input",
        HeaderValue::from_str(&proxy_input).unwrap(),
    );
    req.headers_mut()
        .append("signature", HeaderValue::from_str(&proxy_sig).unwrap());
    assert_eq!(verify(&req).unwrap().nonce(), "del-1");
    // A DELETE that announces a body must cover its digest.
    let mut req = Request::builder()
        .method("DELETE")
        .uri("/a")
        .header("host", "node")
        .header("content-length", "5")
        .body(Vec::<u8>::new())
        .unwrap();
    assert_eq!(
        sign_backpack_request(&mut req, &session(), now(), "x")
            .unwrap_err()
            .code(),
        "content_digest_required"
    );
}

#[test]
fn the_profile_signer_refuses_nonces_the_verifier_would_refuse() {
    for nonce in [String::new(), "n".repeat(129), "caf\u{e9}".to_owned()] {
        let mut req = Request::builder()
            .method("DELETE")
            .uri("/a")
            .header("host", "node")
            .body(Vec::<u8>::new())
            .unwrap();
        let e = sign_backpack_request(&mut req, &session(), now(), &nonce).unwrap_err();
        assert_eq!(e.code(), "malformed_request_signature", "{nonce:?}");
        assert!(req.headers().get("signature").is_none());
    }
}

#[test]
fn a_put_without_content_digest_cannot_be_signed_by_the_profile() {
    let mut req = Request::builder()
        .method("PUT")
        .uri("/a")
        .header("host", "node")
        .body(Vec::<u8>::new())
        .unwrap();
    assert_eq!(
        sign_backpack_request(&mut req, &session(), now(), "x")
            .unwrap_err()
            .code(),
        "content_digest_required"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn sign_then_verify_round_trips(
        seed: [u8; 32],
        method in prop::sample::select(vec!["GET", "HEAD", "PUT", "DELETE", "POST"]),
        path in "(/[a-zA-Z0-9._~%!$&'()*+,;=:@-]{1,12}){1,4}/?",
        query in proptest::option::of("[a-zA-Z0-9=&%._~-]{0,20}"),
        host in "[a-z0-9.-]{1,20}(:[0-9]{1,5})?",
        body in proptest::collection::vec(any::<u8>(), 0..256),
        nonce in "[ -~]{1,64}",
        skew in -60i64..=60,
    ) {
        let key = SessionKeyPair::from_seed(&seed);
        let uri = match &query { Some(q) => format!("{path}?{q}"), None => path.clone() };
        let Ok(uri) = uri.parse::<http::Uri>() else { return Ok(()) };
        let mut builder = Request::builder().method(method).uri(uri).header("host", host.as_str());
        let with_body = matches!(method, "PUT" | "POST");
        if with_body {
            builder = builder.header("content-digest", ContentDigest::of(&body).header_value());
        }
        let mut req = builder.body(body.clone()).unwrap();
        let created = now() + time::Duration::seconds(skew);
        sign_backpack_request(&mut req, &key, created, &nonce).unwrap();
        let v = RequestSignaturePolicy::default().verify(&req, &key.public_key(), now()).unwrap();
        prop_assert_eq!(v.nonce(), nonce.as_str());
        prop_assert_eq!(v.created(), created);
        prop_assert_eq!(v.content_digest().is_some(), with_body);
        if with_body {
            prop_assert!(v.content_digest().unwrap().check(&ContentDigest::of(&body)).is_ok());
        }
        // Another key never verifies it.
        let other = SessionKeyPair::from_seed(&[seed[0] ^ 1; 32]);
        prop_assert!(RequestSignaturePolicy::default().verify(&req, &other.public_key(), now()).is_err());
    }
}
