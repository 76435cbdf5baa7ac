use sessionsig::auth_sig::AuthSig;
use sessionsig::session::SessionSig;
use sessionsig::time::{parse_rfc3339, FixedClock};
use sessionsig::verify::{AuthSigCache, Policy, Request, UnverifiedSessionSig, Verifier};
use std::sync::Arc;
fn main() {
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string("../../../shared/vectors/lit/vectors-v7.json").unwrap(),
    )
    .unwrap();
    let s: SessionSig = serde_json::from_value(v["sessionSig"].clone()).unwrap();
    let _a: AuthSig = serde_json::from_value(v["authSig"].clone()).unwrap();
    let u = UnverifiedSessionSig::from(s);
    let ver = Verifier::new(
        "https://127.0.0.1:7470",
        Policy::default(),
        FixedClock(parse_rfc3339("2025-01-01T06:00:00Z").unwrap()),
    )
    .unwrap()
    .with_cache(Arc::new(AuthSigCache::new(16)));
    for _ in 0..20000 {
        ver.cache().clear();
        std::hint::black_box(ver.verify(&u, &Request::any()).unwrap());
    }
}
