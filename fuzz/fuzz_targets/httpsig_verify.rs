//! RFC 9421 request signatures (`sessionsig-backpack`): any bytes, as UTF-8 lines →
//! `Signature-Input`, `Signature`, `Content-Digest` header values and a request target on a
//! PUT; then `RequestSignaturePolicy::verify` and `verify_signature`. Must never panic.
//!
//! Second half: the input's first line is used as the nonce and the path of a request that
//! the public test session key (seed `22…22`) signs with `sign_backpack_request`; when the
//! signer accepts it, the verifier must accept it too and give back the same nonce — and
//! must refuse it after any change to the nonce in `Signature-Input`.
#![no_main]

use http::{HeaderValue, Request};
use libfuzzer_sys::fuzz_target;
use sessionsig::session::SessionKeyPair;
use sessionsig_backpack::httpsig::{sign_backpack_request, verify_signature, RequestSignaturePolicy};
use sessionsig_backpack::ContentDigest;
use time::OffsetDateTime;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let key = SessionKeyPair::from_seed(&[0x22; 32]);
    let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("in range");
    let mut lines = s.split('\n');
    let first = lines.next().unwrap_or("");

    // 1. Hostile headers on an otherwise ordinary request.
    let target = if first.starts_with('/') { first } else { "/a?b" };
    if let Ok(mut req) = Request::builder().method("PUT").uri(target).header("host", "node").body(()) {
        for name in ["signature-input", "signature", "content-digest"] {
            if let Some(v) = lines.next().and_then(|l| HeaderValue::from_str(l).ok()) {
                req.headers_mut().insert(name, v);
            }
        }
        let _ = RequestSignaturePolicy::default().verify(&req, &key.public_key(), now);
        let _ = verify_signature(&req, "sig1", &key.public_key());
    }

    // 2. Sign, then verify.
    let body = first.as_bytes();
    let path = format!("/v1/backpack/x/{}", first.trim_start_matches('/'));
    let Ok(mut req) = Request::builder()
        .method("PUT")
        .uri(path.as_str())
        .header("host", "node")
        .header("content-digest", ContentDigest::of(body).header_value())
        .body(())
    else {
        return;
    };
    if sign_backpack_request(&mut req, &key, now, first).is_err() {
        return;
    }
    let v = RequestSignaturePolicy::default()
        .verify(&req, &key.public_key(), now)
        .unwrap_or_else(|e| panic!("our own signature refused: {e} ({})", e.code()));
    assert_eq!(v.nonce(), first);
    assert_eq!(v.content_digest(), Some(&ContentDigest::of(body)));
    let input = req.headers()["signature-input"].to_str().expect("ASCII").to_owned();
    let tampered = input.replacen(";nonce=\"", ";nonce=\"x", 1);
    req.headers_mut()
        .insert("signature-input", HeaderValue::from_str(&tampered).expect("ASCII"));
    assert!(
        RequestSignaturePolicy::default().verify(&req, &key.public_key(), now).is_err(),
        "a changed nonce still verifies"
    );
});
