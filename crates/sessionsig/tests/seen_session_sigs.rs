//! A verifier that remembers SessionSigs whose signature verified
//! ([`AuthSigCache::with_session_sigs`]) skips only the signature check and the parse of the
//! exact same bytes: time windows, the node, revocations, grants and `uses` are checked on
//! every request, and a SessionSig differing in any byte is verified from scratch. Real wallet
//! and session-key signatures.

use sessionsig::auth_sig::{AuthSig, SiweRecapParams};
use sessionsig::lit::{LitAbility, LitResource, ResourceAbilityRequest};
use sessionsig::recap::{Capability, Caveat};
use sessionsig::session::{SessionKeyPair, SessionSig, SessionSigParams, WireFormat};
use sessionsig::time::{parse_rfc3339, Duration, FixedClock, OffsetDateTime, Timestamp};
use sessionsig::verify::{
    AuthSigCache, Policy, Request, RevocationTarget, UnverifiedSessionSig, Verifier,
};
use sessionsig::wallet::{LocalWallet, WalletSigner};
use std::sync::Arc;

const NODE: &str = "https://127.0.0.1:7470";

fn now() -> OffsetDateTime {
    parse_rfc3339("2025-06-01T12:00:00Z").unwrap()
}

fn owner() -> LocalWallet {
    LocalWallet::from_bytes(&[0xb0; 32]).unwrap()
}

/// Bob's SessionSig for `node`: Lit Actions, granted with `caveat`, valid 30 minutes.
fn session(caveat: Caveat, node: &str) -> SessionSig {
    let key = SessionKeyPair::from_seed(&[0x5b; 32]);
    let mut cap = Capability::new();
    cap.add_ability("lit-litaction://*", "Threshold/Execution", vec![caveat])
        .unwrap();
    let auth = AuthSig::create(
        &owner(),
        &SiweRecapParams {
            domain: "localhost".into(),
            uri: SiweRecapParams::session_uri(&key.public_hex()),
            statement: None,
            nonce: "seen00000001".into(),
            chain_id: 1,
            issued_at: Timestamp::from_instant(now() - Duration::hours(1)),
            expiration: Some(Timestamp::from_instant(now() + Duration::hours(3))),
            not_before: None,
            capability: cap,
        },
    )
    .unwrap();
    let reqs = [ResourceAbilityRequest::new(
        LitResource::parse("lit-litaction://*").unwrap(),
        LitAbility::LitActionExecution,
    )
    .unwrap()];
    let sigs = key
        .sign_session_sigs(
            &SessionSigParams {
                requests: &reqs,
                capabilities: &[auth],
                issued_at: now() - Duration::minutes(1),
                expiration: now() + Duration::minutes(30),
                format: WireFormat::V7,
            },
            &[node],
        )
        .unwrap();
    sigs.get(node).unwrap().clone()
}

fn remembering(cache: Arc<AuthSigCache>, node: &str) -> Verifier<FixedClock> {
    Verifier::new(node, Policy::default(), FixedClock(now()))
        .unwrap()
        .with_cache(cache)
}

fn cache() -> Arc<AuthSigCache> {
    Arc::new(AuthSigCache::new(16).with_session_sigs(16))
}

fn code_at(v: &Verifier<FixedClock>, s: &SessionSig, at: OffsetDateTime) -> &'static str {
    match v.verify_at(&UnverifiedSessionSig::from(s.clone()), &Request::any(), at) {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

#[test]
fn only_a_verified_signature_is_remembered_and_only_for_its_exact_bytes() {
    let c = cache();
    let v = remembering(c.clone(), NODE);
    let good = session(Caveat::new(), NODE);
    // A forged signature is refused and not remembered.
    let mut forged = good.clone();
    let flip = if forged.sig.starts_with('0') {
        "1"
    } else {
        "0"
    };
    forged.sig.replace_range(0..1, flip);
    assert_eq!(code_at(&v, &forged, now()), "bad_session_signature");
    assert_eq!(c.session_sigs_len(), 0);

    assert_eq!(code_at(&v, &good, now()), "ok");
    assert_eq!(c.session_sigs_len(), 1);
    assert_eq!(code_at(&v, &good, now()), "ok");
    assert_eq!(c.session_sigs_len(), 1);

    // Once the good one is remembered, any other byte is still checked from scratch: the
    // signature, the message, the session key.
    assert_eq!(code_at(&v, &forged, now()), "bad_session_signature");
    let mut message = good.clone();
    message.signed_message = message.signed_message.replacen("Z\"", "Z\" ", 1);
    assert_ne!(message.signed_message, good.signed_message);
    assert_eq!(code_at(&v, &message, now()), "bad_session_signature");
    let mut other_key = good.clone();
    other_key.address = SessionKeyPair::from_seed(&[0x5c; 32]).public_hex();
    assert_eq!(code_at(&v, &other_key, now()), "bad_session_signature");
    assert_eq!(c.session_sigs_len(), 1);
}

#[test]
fn a_remembered_session_sig_still_expires_and_is_still_for_one_node() {
    let c = cache();
    let v = remembering(c.clone(), NODE);
    let s = session(Caveat::new(), NODE);
    assert_eq!(code_at(&v, &s, now()), "ok");
    // Past its expiration (30 minutes, plus the 60 s skew): refused, from the cache too.
    assert_eq!(code_at(&v, &s, now() + Duration::minutes(32)), "expired");
    // Before it was issued (beyond the skew): refused.
    assert_eq!(
        code_at(&v, &s, now() - Duration::minutes(3)),
        "issued_in_future"
    );
    // Another node sharing the cache still checks the node address.
    let other = remembering(c, "https://127.0.0.1:7471");
    assert_eq!(code_at(&other, &s, now()), "wrong_node");
    assert_eq!(code_at(&v, &s, now()), "ok");
}

#[test]
fn a_remembered_session_sig_is_refused_once_revoked() {
    let v = remembering(cache(), NODE);
    let s = session(Caveat::new(), NODE);
    assert_eq!(code_at(&v, &s, now()), "ok");
    v.revocation_store()
        .revoke(
            &RevocationTarget::SessionKey(s.address.clone()),
            owner().address(),
        )
        .unwrap();
    assert_eq!(code_at(&v, &s, now()), "revoked");
    assert_eq!(code_at(&v, &s, now()), "revoked");
}

#[test]
fn a_remembered_session_sig_still_spends_its_uses() {
    let v = remembering(cache(), NODE);
    let mut caveat = Caveat::new();
    caveat.insert("uses".into(), serde_json::json!("2"));
    let s = session(caveat, NODE);
    assert_eq!(code_at(&v, &s, now()), "ok");
    assert_eq!(code_at(&v, &s, now()), "ok");
    assert_eq!(code_at(&v, &s, now()), "uses_exhausted");
}

#[test]
fn without_session_sigs_nothing_is_remembered() {
    let c = Arc::new(AuthSigCache::new(16));
    let v = remembering(c.clone(), NODE);
    let s = session(Caveat::new(), NODE);
    assert_eq!(code_at(&v, &s, now()), "ok");
    assert_eq!(code_at(&v, &s, now()), "ok");
    assert_eq!(c.session_sigs_len(), 0);
}

#[test]
fn warm_verification_applies_only_to_what_the_cache_holds_and_checks_the_rest() {
    let c = cache();
    let v = remembering(c.clone(), NODE);
    let s = UnverifiedSessionSig::from(session(Caveat::new(), NODE));
    // Never seen: nothing done, nothing counted.
    assert!(v.authorize_warm(&s, &Request::any()).is_none());
    assert!(v.authorize_warm_pending(&s, &Request::any()).is_none());
    assert_eq!((c.hits(), c.misses()), (0, 0));
    v.verify(&s, &Request::any()).unwrap();
    // Seen, its AuthSig cached: verified warm, the AuthSig counted as a hit.
    let hits = c.hits();
    assert!(v.authorize_warm(&s, &Request::any()).unwrap().is_ok());
    assert_eq!(c.hits(), hits + 1);
    // The caller asks the revocation store itself: its answer decides.
    let pending = v
        .authorize_warm_pending(&s, &Request::any())
        .unwrap()
        .unwrap();
    let items = pending.items().to_vec();
    assert_eq!(
        items[0],
        (
            RevocationTarget::SessionKey(s.wire().address.clone()),
            owner().address()
        )
    );
    assert!(v.finish_warm(pending, None).is_ok());
    let pending = v
        .authorize_warm_pending(&s, &Request::any())
        .unwrap()
        .unwrap();
    let e = v.finish_warm(pending, Some(items[1].clone())).unwrap_err();
    assert_eq!(e.code(), "revoked");
    // Revoked in the store: the warm path refuses too.
    v.revocation_store()
        .revoke(&items[0].0, items[0].1)
        .unwrap();
    assert_eq!(
        v.authorize_warm(&s, &Request::any())
            .unwrap()
            .unwrap_err()
            .code(),
        "revoked"
    );
    // Once the cache forgets, nothing is warm.
    c.clear();
    assert!(v.authorize_warm(&s, &Request::any()).is_none());
}
