//! The session manager's promises: one prompt per session, each re-sign reason exactly one
//! new signature, exact expirations, one prompt for many concurrent callers.

mod common;

use common::*;
use sessionsig::auth_sig::AuthSig;
use sessionsig::session::{SessionKeyPair, SessionSigMessage, SessionSigs, WireFormat};
use sessionsig::time::{parse_rfc3339, to_iso_string, Clock, Duration, FixedClock};
use sessionsig::verify::{Policy, Request, UnverifiedSessionSig, Verifier};
use sessionsig::wallet::LocalWallet;
use sessionsig_client::storage::{LIT_SESSION_KEY, LIT_WALLET_SIG};
use sessionsig_client::{
    BoxError, CallbackWallet, GrantScope, KeyLayout, MemoryStore, NodeSet, ReadOnlyWallet,
    SessionConfig, SessionManager, SessionRequest, Storage, WalletProvider,
};
use std::sync::Arc;

type Wallet = Arc<Counting<LocalWallet>>;

fn setup(config: SessionConfig) -> (SessionManager, Wallet, Arc<MemoryStore>, Arc<ManualClock>) {
    let w = Counting::new(wallet(1));
    let store = Arc::new(MemoryStore::new());
    let clock = ManualClock::at(T0);
    let m = manager(&w, &store, &clock, config);
    (m, w, store, clock)
}

fn manager<W: WalletProvider + 'static>(
    w: &Arc<W>,
    store: &Arc<MemoryStore>,
    clock: &Arc<ManualClock>,
    config: SessionConfig,
) -> SessionManager {
    SessionManager::new(w.clone(), store.clone(), NodeSet::new(nodes(3)).unwrap())
        .with_config(config)
        .unwrap()
        .with_clock(clock.clone())
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn req(r: Vec<sessionsig::lit::ResourceAbilityRequest>) -> SessionRequest {
    SessionRequest::new(r)
}

/// Every SessionSig verifies with the core's node verifier.
fn verify_all(sigs: &SessionSigs, clock: &ManualClock) {
    for (node, sig) in sigs.iter() {
        let v = Verifier::new(node, Policy::default(), FixedClock(clock.now())).unwrap();
        v.verify(&UnverifiedSessionSig::from(sig.clone()), &Request::any())
            .unwrap_or_else(|e| panic!("{node}: {e}"));
    }
}

fn session_key_of(sigs: &SessionSigs) -> String {
    sigs.iter().next().unwrap().1.address.clone()
}

#[test]
fn thousand_requests_one_signature() {
    let (m, w, _, clock) = setup(SessionConfig::default());
    let rt = rt();
    let r = req(vec![pkp("0x1234")]);
    let mut keys = std::collections::BTreeSet::new();
    for i in 0..1000 {
        let sigs = rt.block_on(m.session_sigs(&r)).unwrap();
        assert_eq!(sigs.len(), 3);
        if i % 250 == 0 {
            verify_all(&sigs, &clock);
        }
        keys.insert(session_key_of(&sigs));
        clock.advance(Duration::seconds(30)); // 1000 × 30 s ≈ 8.3 h, inside the 24 h AuthSig
    }
    assert_eq!(w.count(), 1);
    assert_eq!(w.last_reason().unwrap().code(), "missing");
    assert_eq!(keys.len(), 1);
}

#[test]
fn expired_auth_sig_resigns_once() {
    let (m, w, _, clock) = setup(SessionConfig::default());
    let rt = rt();
    let r = req(vec![pkp("0x1234")]);
    rt.block_on(m.session_sigs(&r)).unwrap();
    clock.advance(Duration::hours(25));
    for _ in 0..10 {
        let sigs = rt.block_on(m.session_sigs(&r)).unwrap();
        verify_all(&sigs, &clock);
    }
    assert_eq!(w.count(), 2);
    assert_eq!(w.last_reason().unwrap().code(), "expired");
}

#[test]
fn expiring_soon_resigns_once() {
    let (m, w, _, clock) = setup(SessionConfig::default()); // margin 5 min
    let rt = rt();
    let r = req(vec![pkp("0x1234")]).expiration(clock.now() + Duration::minutes(1));
    rt.block_on(m.session_sigs(&r)).unwrap();
    // 3 minutes before the AuthSig expires: inside the margin.
    clock.advance(Duration::hours(24) - Duration::minutes(3));
    let r = req(vec![pkp("0x1234")]).expiration(clock.now() + Duration::minutes(1));
    rt.block_on(m.session_sigs(&r)).unwrap();
    rt.block_on(m.session_sigs(&r)).unwrap();
    assert_eq!(w.count(), 2);
    assert_eq!(w.last_reason().unwrap().code(), "expiring_soon");
}

#[test]
fn invalid_stored_auth_sig_resigns_once() {
    let (m, w, store, clock) = setup(SessionConfig::default());
    let rt = rt();
    let r = req(vec![pkp("0x1234")]);
    rt.block_on(m.session_sigs(&r)).unwrap();
    drop(m);
    // Change one hex digit of the stored signature (to a digit it is not).
    let mut auth = AuthSig::from_json(&store.get(LIT_WALLET_SIG).unwrap().unwrap()).unwrap();
    let flipped = if &auth.sig[10..11] == "b" { "c" } else { "b" };
    let before = auth.sig.clone();
    auth.sig.replace_range(10..11, flipped);
    assert_ne!(auth.sig, before);
    store.set(LIT_WALLET_SIG, &auth.to_json()).unwrap();
    let m = manager(&w, &store, &clock, SessionConfig::default());
    for _ in 0..5 {
        verify_all(&rt.block_on(m.session_sigs(&r)).unwrap(), &clock);
    }
    assert_eq!(w.count(), 2);
    assert_eq!(w.last_reason().unwrap().code(), "invalid");
    // Garbage in the slot: also one signature.
    store.set(LIT_WALLET_SIG, "{not json").unwrap();
    let m = manager(&w, &store, &clock, SessionConfig::default());
    rt.block_on(m.session_sigs(&r)).unwrap();
    rt.block_on(m.session_sigs(&r)).unwrap();
    assert_eq!(w.count(), 3);
    assert_eq!(w.last_reason().unwrap().code(), "invalid");
}

#[test]
fn other_session_key_resigns_once() {
    let (m, w, store, clock) = setup(SessionConfig::default());
    let rt = rt();
    let r = req(vec![pkp("0x1234")]);
    let before = session_key_of(&rt.block_on(m.session_sigs(&r)).unwrap());
    drop(m);
    // Someone (a Lit SDK process sharing the store) replaced the session key.
    let other = SessionKeyPair::generate();
    store.set(LIT_SESSION_KEY, &other.to_json_v7()).unwrap();
    let m = manager(&w, &store, &clock, SessionConfig::default());
    for _ in 0..5 {
        let sigs = rt.block_on(m.session_sigs(&r)).unwrap();
        assert_eq!(session_key_of(&sigs), other.public_hex());
        verify_all(&sigs, &clock);
    }
    assert_ne!(before, other.public_hex());
    assert_eq!(w.count(), 2);
    assert_eq!(w.last_reason().unwrap().code(), "other_session_key");
}

#[test]
fn switched_account_resigns_once() {
    let w = Counting::new(Switchable::new(2));
    let store = Arc::new(MemoryStore::new());
    let clock = ManualClock::at(T0);
    let m = manager(&w, &store, &clock, SessionConfig::default());
    let rt = rt();
    let r = req(vec![pkp("0x1234")]);
    rt.block_on(m.session_sigs(&r)).unwrap();
    w.inner.switch_to(1);
    for _ in 0..5 {
        let sigs = rt.block_on(m.session_sigs(&r)).unwrap();
        verify_all(&sigs, &clock);
        let msg = SessionSigMessage::parse(&sigs.iter().next().unwrap().1.signed_message).unwrap();
        let owner = msg.capabilities.last().unwrap().address.clone();
        assert_eq!(owner, w.inner.address().to_checksum(None));
    }
    assert_eq!(w.count(), 2);
    assert_eq!(w.last_reason().unwrap().code(), "other_wallet");
    // Lit layout: one slot, now holding the second account's AuthSig.
    let stored = AuthSig::from_json(&store.get(LIT_WALLET_SIG).unwrap().unwrap()).unwrap();
    assert_eq!(stored.address, w.inner.address().to_checksum(None));
}

#[test]
fn uncovered_request_resigns_once_and_keeps_previous_grants() {
    let (m, w, _, clock) = setup(SessionConfig::default());
    let rt = rt();
    let a = req(vec![pkp("0x1234")]);
    let b = req(vec![action("QmAction")]);
    rt.block_on(m.session_sigs(&a)).unwrap();
    rt.block_on(m.session_sigs(&b)).unwrap();
    assert_eq!(w.count(), 2);
    assert_eq!(w.last_reason().unwrap().code(), "not_covered");
    // Alternating no longer prompts: the new AuthSig kept the first grant.
    for _ in 0..5 {
        verify_all(&rt.block_on(m.session_sigs(&a)).unwrap(), &clock);
        verify_all(&rt.block_on(m.session_sigs(&b)).unwrap(), &clock);
    }
    let both = req(vec![pkp("0x1234"), action("QmAction")]);
    rt.block_on(m.session_sigs(&both)).unwrap();
    assert_eq!(w.count(), 2);
    // The wildcard is not covered by one id.
    rt.block_on(m.session_sigs(&req(vec![any_pkp()]))).unwrap();
    assert_eq!(w.count(), 3);
    // The grant is visible in what the wallet was asked to sign.
    let text = w.last_message().unwrap();
    assert!(text.contains("'Threshold': 'Execution'"), "{text}");
    assert!(text.contains("lit-pkp://*"), "{text}");
}

#[test]
fn prefix_wildcard_scope_grants_the_prefix() {
    let config = SessionConfig {
        grant: GrantScope::PrefixWildcard,
        ..SessionConfig::default()
    };
    let (m, w, _, _) = setup(config);
    let rt = rt();
    rt.block_on(m.session_sigs(&req(vec![pkp("0x1")]))).unwrap();
    rt.block_on(m.session_sigs(&req(vec![pkp("0x2")]))).unwrap();
    rt.block_on(m.session_sigs(&req(vec![any_pkp()]))).unwrap();
    assert_eq!(w.count(), 1);
}

#[test]
fn expiration_is_exactly_what_was_asked() {
    let (m, w, _, clock) = setup(SessionConfig::default());
    let rt = rt();
    let exp_of = |sigs: &SessionSigs| {
        let s = sigs.iter().next().unwrap().1;
        SessionSigMessage::parse(&s.signed_message)
            .unwrap()
            .expiration
    };
    // Default: now + 5 min.
    let sigs = rt.block_on(m.session_sigs(&req(vec![pkp("0x1")]))).unwrap();
    assert_eq!(
        exp_of(&sigs),
        to_iso_string(clock.now() + Duration::minutes(5))
    );
    // An asked instant, written to the millisecond.
    let asked = parse_rfc3339("2025-06-01T15:30:00.123456Z").unwrap();
    let sigs = rt
        .block_on(m.session_sigs(&req(vec![pkp("0x1")]).expiration(asked)))
        .unwrap();
    assert_eq!(exp_of(&sigs), "2025-06-01T15:30:00.123Z");
    assert_eq!(w.count(), 1);

    // Past the AuthSig (24 h): one new signature with an AuthSig lasting exactly that long,
    // and the SessionSig is not shortened.
    let far = clock.now() + Duration::days(3);
    for _ in 0..3 {
        let sigs = rt
            .block_on(m.session_sigs(&req(vec![pkp("0x1")]).expiration(far)))
            .unwrap();
        assert_eq!(exp_of(&sigs), to_iso_string(far));
        verify_all(&sigs, &clock);
        let msg = SessionSigMessage::parse(&sigs.iter().next().unwrap().1.signed_message).unwrap();
        let auth = msg.capabilities.last().unwrap();
        assert!(auth
            .signed_message
            .contains(&format!("Expiration Time: {}", to_iso_string(far))));
    }
    assert_eq!(w.count(), 2);
    assert_eq!(w.last_reason().unwrap().code(), "shorter_than_requested");

    // Past the longest allowed AuthSig (30 days): a clear error, no prompt.
    let too_far = clock.now() + Duration::days(31);
    let e = rt
        .block_on(m.session_sigs(&req(vec![pkp("0x1")]).expiration(too_far)))
        .unwrap_err();
    assert_eq!(e.code(), "expiration_too_far");
    // Not in the future: an error too.
    let e = rt
        .block_on(m.session_sigs(&req(vec![pkp("0x1")]).expiration(clock.now())))
        .unwrap_err();
    assert_eq!(e.code(), "invalid_expiration");
    assert_eq!(w.count(), 2);
}

#[test]
fn v8_wire_form_and_extra_capabilities() {
    let (m, w, _, clock) = setup(SessionConfig::default());
    let rt = rt();
    // A delegation AuthSig from another wallet, carried before the session AuthSig.
    let mut cap = sessionsig::recap::Capability::new();
    cap.add_lit_grant(
        &sessionsig::lit::LitResource::wildcard(
            sessionsig::lit::LitResourcePrefix::RateLimitIncrease,
        ),
        sessionsig::lit::LitAbility::RateLimitIncreaseAuth,
        sessionsig::recap::Caveat::new(),
    )
    .unwrap();
    let delegation = AuthSig::create(
        &wallet(9),
        &sessionsig::auth_sig::SiweRecapParams {
            domain: "localhost".into(),
            uri: sessionsig::auth_sig::SiweRecapParams::delegation_uri(),
            statement: None,
            nonce: "abcdefgh1234".into(),
            chain_id: 1,
            issued_at: sessionsig::time::Timestamp::from_instant(clock.now()),
            expiration: Some(sessionsig::time::Timestamp::from_instant(
                clock.now() + Duration::days(1),
            )),
            not_before: None,
            capability: cap,
        },
    )
    .unwrap();
    let r = req(vec![pkp("0x1")])
        .format(WireFormat::V8 { max_price: 255 })
        .with_capability(delegation.clone());
    let sigs = rt.block_on(m.session_sigs(&r)).unwrap();
    let msg = SessionSigMessage::parse(&sigs.iter().next().unwrap().1.signed_message).unwrap();
    assert_eq!(msg.max_price.as_deref(), Some("0xff"));
    assert_eq!(msg.capabilities.len(), 2);
    assert_eq!(msg.capabilities[0], delegation);
    assert_eq!(w.count(), 1);
}

#[test]
fn concurrent_callers_share_one_prompt() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    // A slow wallet (the user takes a while to click), signing with a real key.
    let key = Arc::new(wallet(3));
    let address = WalletProvider::address(key.as_ref());
    let k = key.clone();
    let callback = CallbackWallet::new(address, move |req: sessionsig_client::SignRequest| {
        let k = k.clone();
        async move {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            k.sign_siwe(&req).await.map_err(|e| Box::new(e) as BoxError)
        }
    });
    let w = Counting::new(callback);
    let store = Arc::new(MemoryStore::new());
    let clock = ManualClock::at(T0);
    let m = Arc::new(manager(&w, &store, &clock, SessionConfig::default()));
    let r = req(vec![pkp("0x1234")]);
    let handles: Vec<_> = (0..64)
        .map(|_| {
            let m = m.clone();
            let r = r.clone();
            rt.spawn(async move { m.session_sigs(&r).await })
        })
        .collect();
    let mut keys = std::collections::BTreeSet::new();
    for h in handles {
        let sigs = rt.block_on(h).unwrap().unwrap();
        keys.insert(session_key_of(&sigs));
    }
    assert_eq!(w.count(), 1);
    assert_eq!(keys.len(), 1);
}

#[test]
fn disconnect_forgets_the_signature_and_optionally_the_key() {
    let (m, w, store, _) = setup(SessionConfig::default());
    let rt = rt();
    let r = req(vec![pkp("0x1")]);
    let k1 = session_key_of(&rt.block_on(m.session_sigs(&r)).unwrap());
    rt.block_on(m.disconnect(false)).unwrap();
    assert!(store.get(LIT_WALLET_SIG).unwrap().is_none());
    assert!(store.get(LIT_SESSION_KEY).unwrap().is_some());
    let k2 = session_key_of(&rt.block_on(m.session_sigs(&r)).unwrap());
    assert_eq!(k1, k2);
    assert_eq!(w.count(), 2);
    assert_eq!(w.last_reason().unwrap().code(), "missing");
    rt.block_on(m.disconnect(true)).unwrap();
    assert!(store.keys().unwrap().is_empty());
    let k3 = session_key_of(&rt.block_on(m.session_sigs(&r)).unwrap());
    assert_ne!(k1, k3);
    assert_eq!(w.count(), 3);
}

#[test]
fn read_only_wallet_uses_the_stored_session_only() {
    let (m, w, store, clock) = setup(SessionConfig::default());
    let rt = rt();
    let r = req(vec![pkp("0x1")]);
    rt.block_on(m.session_sigs(&r)).unwrap();
    let ro = Arc::new(ReadOnlyWallet::new(w.address()));
    let m2 = manager(&ro, &store, &clock, SessionConfig::default());
    verify_all(&rt.block_on(m2.session_sigs(&r)).unwrap(), &clock);
    let e = rt
        .block_on(m2.session_sigs(&req(vec![action("QmOther")])))
        .unwrap_err();
    assert_eq!(e.code(), "wallet_required");
    assert!(e.to_string().contains("does not grant"), "{e}");
    assert_eq!(w.count(), 1);
}

#[test]
fn bad_and_refused_wallet_signatures_are_errors() {
    let store = Arc::new(MemoryStore::new());
    let clock = ManualClock::at(T0);
    let r = req(vec![pkp("0x1")]);
    let rt = rt();
    // Signs with another key than the address it claims.
    let liar = wallet(5);
    let claimed = WalletProvider::address(&wallet(6));
    let cb = Arc::new(CallbackWallet::new(
        claimed,
        move |req: sessionsig_client::SignRequest| {
            let sig = sessionsig::wallet::WalletSigner::sign_message(&liar, req.message.as_bytes())
                .unwrap();
            async move { Ok::<_, BoxError>(format!("0x{}", hex::encode(sig))) }
        },
    ));
    let m = manager(&cb, &store, &clock, SessionConfig::default());
    assert_eq!(
        rt.block_on(m.session_sigs(&r)).unwrap_err().code(),
        "wallet_bad_signature"
    );
    // Nothing was stored for the bad signature.
    assert!(store.get(LIT_WALLET_SIG).unwrap().is_none());
    // The user refuses.
    let no = Arc::new(CallbackWallet::new(
        claimed,
        |_req: sessionsig_client::SignRequest| async {
            Err::<String, BoxError>("user rejected the request".into())
        },
    ));
    let m = manager(&no, &store, &clock, SessionConfig::default());
    let e = rt.block_on(m.session_sigs(&r)).unwrap_err();
    assert_eq!(e.code(), "wallet_rejected");
    assert!(e.to_string().contains("user rejected"));
    // No request, no node.
    assert_eq!(
        rt.block_on(m.session_sigs(&req(vec![])))
            .unwrap_err()
            .code(),
        "no_requests"
    );
    let empty: [&str; 0] = [];
    assert_eq!(
        rt.block_on(m.session_sigs_for(&r, &empty))
            .unwrap_err()
            .code(),
        "no_nodes"
    );
}

#[test]
fn wallet_timeout() {
    let clock = ManualClock::at(T0);
    let store = Arc::new(MemoryStore::new());
    let slow = Arc::new(CallbackWallet::new(
        WalletProvider::address(&wallet(1)),
        |_req: sessionsig_client::SignRequest| async {
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            Ok::<String, BoxError>(String::new())
        },
    ));
    let config = SessionConfig {
        wallet_timeout: Some(std::time::Duration::from_millis(20)),
        ..SessionConfig::default()
    };
    let m = manager(&slow, &store, &clock, config);
    let e = rt()
        .block_on(m.session_sigs(&req(vec![pkp("0x1")])))
        .unwrap_err();
    assert_eq!(e.code(), "wallet_timeout");
}

#[test]
fn stored_values_use_the_lit_sdk_layout() {
    let (m, _, store, _) = setup(SessionConfig::default());
    rt().block_on(m.session_sigs(&req(vec![pkp("0x1")])))
        .unwrap();
    let key: serde_json::Value =
        serde_json::from_str(&store.get("lit-session-key").unwrap().unwrap()).unwrap();
    let obj = key.as_object().unwrap();
    assert_eq!(obj.keys().collect::<Vec<_>>(), ["publicKey", "secretKey"]);
    assert_eq!(obj["publicKey"].as_str().unwrap().len(), 64);
    assert_eq!(obj["secretKey"].as_str().unwrap().len(), 128);
    let raw = store.get("lit-wallet-sig").unwrap().unwrap();
    let auth: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(
        auth.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["sig", "derivedVia", "signedMessage", "address"]
    );
    assert_eq!(auth["derivedVia"], "web3.eth.personal.sign");
    assert!(auth["signedMessage"].as_str().unwrap().contains(&format!(
        "URI: lit:session:{}",
        obj["publicKey"].as_str().unwrap()
    )));
}

#[test]
fn app_layout_isolates_wallets_and_apps() {
    let store = Arc::new(MemoryStore::new());
    let clock = ManualClock::at(T0);
    let rt = rt();
    let r = req(vec![pkp("0x1")]);
    let cfg = |app: &str| SessionConfig {
        layout: KeyLayout::app(app).unwrap(),
        ..SessionConfig::default()
    };
    let w = Counting::new(Switchable::new(2));
    let app1 = manager(&w, &store, &clock, cfg("app1"));
    let app2 = manager(&w, &store, &clock, cfg("app2"));
    let k_a1 = session_key_of(&rt.block_on(app1.session_sigs(&r)).unwrap());
    let k_a2 = session_key_of(&rt.block_on(app2.session_sigs(&r)).unwrap());
    w.inner.switch_to(1);
    let k_b1 = session_key_of(&rt.block_on(app1.session_sigs(&r)).unwrap());
    assert_eq!(w.count(), 3);
    assert_eq!(w.last_reason().unwrap().code(), "missing");
    // Switching back needs no prompt: wallet 0's slot is untouched.
    w.inner.switch_to(0);
    assert_eq!(
        session_key_of(&rt.block_on(app1.session_sigs(&r)).unwrap()),
        k_a1
    );
    assert_eq!(
        session_key_of(&rt.block_on(app2.session_sigs(&r)).unwrap()),
        k_a2
    );
    assert_eq!(w.count(), 3);
    let distinct: std::collections::BTreeSet<_> = [&k_a1, &k_a2, &k_b1].into_iter().collect();
    assert_eq!(distinct.len(), 3);
    assert_eq!(store.keys().unwrap().len(), 6);
    // Status lists the two wallets of app1.
    let all = sessionsig_client::status::inspect(
        store.as_ref(),
        &KeyLayout::app("app1").unwrap(),
        clock.now(),
    )
    .unwrap();
    assert_eq!(all.len(), 2);
    for s in &all {
        let a = s.auth_sig.as_ref().unwrap();
        assert!(a.valid && a.matches_session_key && !a.expired);
        assert_eq!(a.grants[0].lit_abilities, ["pkp-signing"]);
    }
    // Logging out of app1 leaves app2 alone.
    let removed = sessionsig_client::status::clear_all(
        store.as_ref(),
        &KeyLayout::app("app1").unwrap(),
        true,
    )
    .unwrap();
    assert_eq!(removed, 4);
    assert_eq!(store.keys().unwrap().len(), 2);
}

#[test]
fn login_then_status() {
    let (m, w, _, clock) = setup(SessionConfig::default());
    let rt = rt();
    let until = clock.now() + Duration::days(7);
    let login = rt.block_on(m.login(&[pkp("0x1")], Some(until))).unwrap();
    assert_eq!(login.signed.unwrap().code(), "missing");
    assert!(login
        .auth_sig
        .signed_message
        .contains(&format!("Expiration Time: {}", to_iso_string(until))));
    // Logging in again for less is a no-op; the SessionSigs then need no prompt.
    let again = rt
        .block_on(m.login(&[pkp("0x1")], Some(clock.now() + Duration::days(1))))
        .unwrap();
    assert!(again.signed.is_none());
    rt.block_on(m.session_sigs(&req(vec![pkp("0x1")]))).unwrap();
    assert_eq!(w.count(), 1);
    assert!(rt
        .block_on(m.check(&[pkp("0x1")], until))
        .unwrap()
        .is_none());
    assert_eq!(
        rt.block_on(m.check(&[pkp("0x2")], until))
            .unwrap()
            .unwrap()
            .code(),
        "not_covered"
    );
    let s = m.status().unwrap();
    let a = s.auth_sig.unwrap();
    assert!(a.valid && a.matches_session_key);
    assert_eq!(a.expiration.as_deref(), Some(to_iso_string(until).as_str()));
    assert_eq!(a.seconds_left, Some(7 * 24 * 3600));
    assert_eq!(s.session_public_key, Some(login.session_public_key));
    // A login that would end inside the re-sign margin is refused.
    let e = rt
        .block_on(m.login(&[pkp("0x1")], Some(clock.now() + Duration::minutes(1))))
        .unwrap_err();
    assert_eq!(e.code(), "invalid_expiration");
}

#[test]
fn secrets_stay_out_of_debug_and_errors() {
    let (m, _, store, _) = setup(SessionConfig::default());
    rt().block_on(m.session_sigs(&req(vec![pkp("0x1")])))
        .unwrap();
    let key = store.get(LIT_SESSION_KEY).unwrap().unwrap();
    let secret: serde_json::Value = serde_json::from_str(&key).unwrap();
    let secret = secret["secretKey"].as_str().unwrap()[..64].to_owned();
    let wallet_secret = wallet(1).to_hex_secret();
    for text in [
        format!("{m:?}"),
        format!("{store:?}"),
        format!("{:?}", m.status().unwrap()),
    ] {
        assert!(!text.contains(&secret));
        assert!(!text.contains(&wallet_secret[2..]));
    }
}
