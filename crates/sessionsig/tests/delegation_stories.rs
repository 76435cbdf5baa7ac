//! The seed documents' stories, end to end in the library (SPEC §8 steps 7–8): Alice lets Bob
//! use her capacity or her PKP; Bob's session carries Alice's delegation; a node allows
//! exactly what Alice granted, and nothing once it is revoked or used up.

use alloy_primitives::Address;
use sessionsig::auth_sig::{
    capacity_delegation_caveat, AuthSig, RevocationParams, RevocationTarget, SiweRecapParams,
    DELEGATION_URI,
};
use sessionsig::lit::{LitAbility, LitResource, ResourceAbilityRequest};
use sessionsig::recap::{Capability, Caveat};
use sessionsig::session::{SessionKeyPair, SessionSigParams, WireFormat};
use sessionsig::time::{parse_rfc3339, Duration, FixedClock, OffsetDateTime, Timestamp};
use sessionsig::verify::{
    CaveatContext, CaveatDecision, CaveatHook, Policy, Request, UnverifiedSessionSig, Verifier,
};
use sessionsig::wallet::{LocalWallet, WalletSigner};
use std::sync::Arc;

const NODE: &str = "https://127.0.0.1:7470";
const PKP: &str = "lit-pkp://0000000000000000000000000000000000000000000000000000000000001234";
const OTHER_PKP: &str =
    "lit-pkp://0000000000000000000000000000000000000000000000000000000000005678";

fn now() -> OffsetDateTime {
    parse_rfc3339("2025-06-01T12:00:00Z").unwrap()
}

fn wallet(b: u8) -> LocalWallet {
    LocalWallet::from_bytes(&[b; 32]).unwrap()
}

fn plain(cap: &mut Capability, resource: &str, ability: &str) {
    cap.add_ability(resource, ability, vec![Caveat::new()])
        .unwrap();
}

/// A delegation AuthSig from `from`, valid [now-1h, now+hours).
fn delegation(from: &LocalWallet, cap: Capability, hours: i64) -> AuthSig {
    AuthSig::create(
        from,
        &SiweRecapParams {
            domain: "localhost".into(),
            uri: DELEGATION_URI.into(),
            statement: None,
            nonce: "delegation0001".into(),
            chain_id: 1,
            issued_at: Timestamp::from_instant(now() - Duration::hours(1)),
            expiration: Some(Timestamp::from_instant(now() + Duration::hours(hours))),
            not_before: None,
            capability: cap,
        },
    )
    .unwrap()
}

/// Bob's session: his AuthSig granting `grants` to `key` for `hours`, SessionSig requesting `requests`.
fn session_sig(
    owner: &LocalWallet,
    key: &SessionKeyPair,
    grants: Capability,
    hours: i64,
    requests: &[(&str, LitAbility)],
    carried: &[AuthSig],
) -> UnverifiedSessionSig {
    let auth = AuthSig::create(
        owner,
        &SiweRecapParams {
            domain: "localhost".into(),
            uri: SiweRecapParams::session_uri(&key.public_hex()),
            statement: None,
            nonce: "session00001".into(),
            chain_id: 1,
            issued_at: Timestamp::from_instant(now() - Duration::minutes(10)),
            expiration: Some(Timestamp::from_instant(now() + Duration::hours(hours))),
            not_before: None,
            capability: grants,
        },
    )
    .unwrap();
    let requests: Vec<ResourceAbilityRequest> = requests
        .iter()
        .map(|(r, a)| ResourceAbilityRequest::new(LitResource::parse(r).unwrap(), *a).unwrap())
        .collect();
    let mut caps = carried.to_vec();
    caps.push(auth);
    let sigs = key
        .sign_session_sigs(
            &SessionSigParams {
                requests: &requests,
                capabilities: &caps,
                issued_at: now() - Duration::minutes(1),
                expiration: now() + Duration::hours(hours),
                format: WireFormat::V7,
            },
            &[NODE],
        )
        .unwrap();
    UnverifiedSessionSig::from(sigs.get(NODE).unwrap().clone())
}

fn verifier() -> Verifier<FixedClock> {
    Verifier::new(NODE, Policy::default(), FixedClock(now())).unwrap()
}

fn addr_hex(w: &LocalWallet) -> String {
    hex::encode(w.address().as_slice())
}

/// Alice's capacity delegation to Bob with `uses`, and Bob's session carrying it.
fn capacity_story(uses: Option<u64>, delegate: &LocalWallet) -> (UnverifiedSessionSig, AuthSig) {
    let alice = wallet(0xa1);
    let bob = wallet(0xb0);
    let mut cap = Capability::new();
    cap.add_ability(
        "lit-ratelimitincrease://42",
        "Auth/Auth",
        vec![capacity_delegation_caveat(
            Some("42"),
            &[format!("0x{}", addr_hex(delegate))],
            uses,
        )],
    )
    .unwrap();
    let d = delegation(&alice, cap, 24);
    let mut grants = Capability::new();
    plain(&mut grants, "lit-litaction://*", "Threshold/Execution");
    let key = SessionKeyPair::from_seed(&[0x5b; 32]);
    let s = session_sig(
        &bob,
        &key,
        grants,
        2,
        &[("lit-litaction://*", LitAbility::LitActionExecution)],
        std::slice::from_ref(&d),
    );
    (s, d)
}

#[test]
fn capacity_delegation_with_three_uses_admits_exactly_three() {
    let (s, d) = capacity_story(Some(3), &wallet(0xb0));
    let v = verifier();
    for i in 1..=3 {
        let ok = v
            .verify(&s, &Request::any())
            .unwrap_or_else(|e| panic!("use {i}: {e}"));
        assert_eq!(ok.delegations().len(), 1);
        assert_eq!(ok.delegations()[0].delegator(), wallet(0xa1).address());
    }
    let e = v.verify(&s, &Request::any()).unwrap_err();
    assert_eq!(e.code(), "uses_exhausted");
    assert_eq!(
        v.usage_store()
            .used(&format!("delegation:{}", d.hash()))
            .unwrap(),
        3
    );
}

#[test]
fn capacity_uses_hold_under_concurrency() {
    let (s, _) = capacity_story(Some(3), &wallet(0xb0));
    let v = Arc::new(verifier());
    let s = Arc::new(s);
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (v, s) = (v.clone(), s.clone());
            std::thread::spawn(move || {
                (0..4)
                    .filter(|_| v.verify(&s, &Request::any()).is_ok())
                    .count()
            })
        })
        .collect();
    let ok: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(ok, 3);
}

#[test]
fn a_delegation_to_carol_is_refused_for_bob() {
    let (s, _) = capacity_story(None, &wallet(0xca));
    assert_eq!(
        verifier().verify(&s, &Request::any()).unwrap_err().code(),
        "not_a_delegate"
    );
    // Without delegate_to (anyone) it is accepted; compared with or without 0x, any case.
    let (s, _) = capacity_story(None, &wallet(0xb0));
    verifier().verify(&s, &Request::any()).unwrap();
}

#[test]
fn an_expired_delegation_is_refused_while_bobs_auth_sig_is_valid() {
    let alice = wallet(0xa1);
    let bob = wallet(0xb0);
    let mut cap = Capability::new();
    cap.add_ability(
        "lit-ratelimitincrease://42",
        "Auth/Auth",
        vec![Caveat::new()],
    )
    .unwrap();
    let d = delegation(&alice, cap, 1);
    let mut grants = Capability::new();
    plain(&mut grants, "lit-litaction://*", "Threshold/Execution");
    let key = SessionKeyPair::from_seed(&[0x5b; 32]);
    let s = session_sig(
        &bob,
        &key,
        grants,
        48,
        &[("lit-litaction://*", LitAbility::LitActionExecution)],
        &[d],
    );
    verifier().verify(&s, &Request::any()).unwrap();
    // Two hours later Alice's delegation has expired; Bob's AuthSig (48 h) has not.
    let later = Verifier::new(
        NODE,
        Policy::default(),
        FixedClock(now() + Duration::hours(2)),
    )
    .unwrap();
    let e = later
        .verify_at(&s, &Request::any(), now() + Duration::hours(2))
        .unwrap_err();
    assert_eq!(e.code(), "delegation_not_valid", "{e}");
}

fn revocation(by: &LocalWallet, target: RevocationTarget) -> AuthSig {
    AuthSig::revoke(
        by,
        &target,
        &RevocationParams {
            domain: "localhost".into(),
            nonce: "revocation01".into(),
            chain_id: 1,
            issued_at: Timestamp::from_instant(now() - Duration::seconds(5)),
        },
    )
    .unwrap()
}

#[test]
fn revoked_session_key_and_delegation_are_refused_even_when_cached() {
    let (s, d) = capacity_story(None, &wallet(0xb0));
    let v = verifier();
    v.verify(&s, &Request::any()).unwrap();
    v.verify(&s, &Request::any()).unwrap();
    assert!(v.cache().hits() >= 2, "the AuthSigs are cached");
    let key_hex = s.wire().address.clone();
    // Mallory cannot revoke Bob's session key: it is keyed by the granting wallet.
    v.revoke(&revocation(
        &wallet(0x66),
        RevocationTarget::SessionKey(key_hex.clone()),
    ))
    .unwrap();
    v.verify(&s, &Request::any()).unwrap();
    // Bob revokes his session key: refused on the very next verification.
    v.revoke(&revocation(
        &wallet(0xb0),
        RevocationTarget::SessionKey(key_hex),
    ))
    .unwrap();
    assert_eq!(v.verify(&s, &Request::any()).unwrap_err().code(), "revoked");

    // Alice revokes her delegation (fresh verifier, warm cache first).
    let v = verifier();
    v.verify(&s, &Request::any()).unwrap();
    v.revoke(&revocation(
        &wallet(0xa1),
        RevocationTarget::AuthSig(d.hash()),
    ))
    .unwrap();
    assert_eq!(v.verify(&s, &Request::any()).unwrap_err().code(), "revoked");
}

/// The PKP story: Alice lets Bob sign with her PKP; the node knows the PKP is Alice's.
#[test]
fn bob_uses_alices_pkp_exactly_as_granted() {
    let alice = wallet(0xa1);
    let bob = wallet(0xb0);
    let mut cap = Capability::new();
    let mut caveat = Caveat::new();
    caveat.insert(
        "delegate_to".into(),
        serde_json::json!([addr_hex(&bob).to_uppercase()]),
    );
    cap.add_ability(PKP, "Threshold/Signing", vec![caveat])
        .unwrap();
    let d = delegation(&alice, cap, 24);
    let key = SessionKeyPair::from_seed(&[0x5c; 32]);
    let mut grants = Capability::new();
    plain(&mut grants, PKP, "Threshold/Signing");
    plain(
        &mut grants,
        "lit-litaction://QmBobsAction",
        "Threshold/Execution",
    );
    let s = session_sig(
        &bob,
        &key,
        grants,
        2,
        &[
            (PKP, LitAbility::PkpSigning),
            (
                "lit-litaction://QmBobsAction",
                LitAbility::LitActionExecution,
            ),
        ],
        std::slice::from_ref(&d),
    );
    let op = Request::operation(LitResource::parse(PKP).unwrap(), LitAbility::PkpSigning)
        .owned_by(alice.address());
    let ok = verifier().verify(&s, &op).unwrap();
    let g = ok
        .grants()
        .iter()
        .find(|g| g.ability() == LitAbility::PkpSigning)
        .unwrap();
    assert_eq!(g.granted_by(), alice.address(), "the root is Alice");
    assert_eq!(g.chain(), vec![d.hash()], "through her delegation");
    let a = ok
        .grants()
        .iter()
        .find(|g| g.ability() == LitAbility::LitActionExecution)
        .unwrap();
    assert_eq!(a.granted_by(), bob.address(), "Bob's own Lit Action is his");
    // The owner's spelling comes from his SIWE text; Alice's (a root, not the owner) is hashed.
    assert_eq!(ok.owner_checksummed(), bob.address().to_checksum(None));
    let json = ok.to_json();
    assert_eq!(json["owner"], bob.address().to_checksum(None));
    let roots: Vec<&str> = json["capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["grantedBy"].as_str().unwrap())
        .collect();
    assert!(roots.contains(&alice.address().to_checksum(None).as_str()));
    assert!(roots.contains(&bob.address().to_checksum(None).as_str()));

    // Alice's other PKP was never delegated.
    let other = Request::operation(
        LitResource::parse(OTHER_PKP).unwrap(),
        LitAbility::PkpSigning,
    )
    .owned_by(alice.address());
    let e = verifier().verify(&s, &other).unwrap_err();
    assert!(
        ["operation_not_requested", "capability_not_granted"].contains(&e.code()),
        "{e}"
    );
}

#[test]
fn a_session_asking_more_than_the_chain_grants_is_refused() {
    let alice = wallet(0xa1);
    let bob = wallet(0xb0);
    let mut cap = Capability::new();
    plain(&mut cap, PKP, "Threshold/Signing");
    let d = delegation(&alice, cap, 24);
    let key = SessionKeyPair::from_seed(&[0x5d; 32]);
    // Bob's session asks for every PKP, on Alice's behalf: her delegation covers one.
    let mut grants = Capability::new();
    plain(&mut grants, "lit-pkp://*", "Threshold/Signing");
    let s = session_sig(
        &bob,
        &key,
        grants.clone(),
        2,
        &[("lit-pkp://*", LitAbility::PkpSigning)],
        std::slice::from_ref(&d),
    );
    let op = Request::operation(
        LitResource::parse(OTHER_PKP).unwrap(),
        LitAbility::PkpSigning,
    )
    .owned_by(alice.address());
    assert_eq!(
        verifier().verify(&s, &op).unwrap_err().code(),
        "capability_not_granted"
    );
    // Asking for Alice's one PKP with a session grant wider than hers: attenuation violated.
    let s = session_sig(
        &bob,
        &key,
        grants,
        2,
        &[(PKP, LitAbility::PkpSigning)],
        std::slice::from_ref(&d),
    );
    let op = Request::operation(LitResource::parse(PKP).unwrap(), LitAbility::PkpSigning)
        .owned_by(alice.address());
    assert_eq!(
        verifier().verify(&s, &op).unwrap_err().code(),
        "attenuation_violated"
    );
    // A session AuthSig outliving the delegation it rests on: attenuation violated.
    let mut narrow = Capability::new();
    plain(&mut narrow, PKP, "Threshold/Signing");
    let s = session_sig(
        &bob,
        &key,
        narrow,
        48,
        &[(PKP, LitAbility::PkpSigning)],
        &[d],
    );
    assert_eq!(
        verifier().verify(&s, &op).unwrap_err().code(),
        "attenuation_violated"
    );
}

#[test]
fn chain_and_capability_limits_give_clear_errors() {
    // w0 → w1 → … → w5 (five delegations of one PKP); the session belongs to w5.
    let wallets: Vec<LocalWallet> = (0..6).map(|i| wallet(0x10 + i)).collect();
    let delegations: Vec<AuthSig> = (0..5)
        .map(|i| {
            let mut cap = Capability::new();
            let mut caveat = Caveat::new();
            caveat.insert(
                "delegate_to".into(),
                serde_json::json!([addr_hex(&wallets[i + 1])]),
            );
            cap.add_ability(PKP, "Threshold/Signing", vec![caveat])
                .unwrap();
            delegation(&wallets[i], cap, 24 - i as i64)
        })
        .collect();
    let key = SessionKeyPair::from_seed(&[0x5e; 32]);
    let mut grants = Capability::new();
    plain(&mut grants, PKP, "Threshold/Signing");
    let s = session_sig(
        &wallets[5],
        &key,
        grants,
        2,
        &[(PKP, LitAbility::PkpSigning)],
        &delegations,
    );
    let op = Request::operation(LitResource::parse(PKP).unwrap(), LitAbility::PkpSigning)
        .owned_by(wallets[0].address());
    let e = verifier().verify(&s, &op).unwrap_err();
    assert_eq!(e.code(), "delegation_chain_too_long", "{e}");
    let long = Verifier::new(
        NODE,
        Policy {
            max_chain_length: 5,
            ..Policy::default()
        },
        FixedClock(now()),
    )
    .unwrap();
    let ok = long.verify(&s, &op).unwrap();
    assert_eq!(ok.grants()[0].granted_by(), wallets[0].address());
    assert_eq!(ok.grants()[0].chain().len(), 5);
    let few = Verifier::new(
        NODE,
        Policy {
            max_capabilities: 4,
            ..Policy::default()
        },
        FixedClock(now()),
    )
    .unwrap();
    let e = few.verify(&s, &op).unwrap_err();
    assert_eq!(e.code(), "session_sig_malformed");
    assert!(e.to_string().contains("exceed the limit"), "{e}");
}

/// A service's own caveat: bytes of traffic.
struct BytesHook;
impl CaveatHook for BytesHook {
    fn check(
        &self,
        key: &str,
        value: &serde_json::Value,
        ctx: &CaveatContext<'_>,
    ) -> CaveatDecision {
        if key != "max_bytes" {
            return CaveatDecision::Unknown;
        }
        let asked = ctx
            .operation
            .and_then(|o| o["bytes"].as_u64())
            .unwrap_or(u64::MAX);
        match value.as_u64() {
            Some(max) if asked <= max => CaveatDecision::Satisfied,
            Some(max) => CaveatDecision::Violated(format!("{asked} > {max} bytes")),
            None => CaveatDecision::Violated("max_bytes is not a number".into()),
        }
    }
}

#[test]
fn service_caveats_go_through_the_hook_and_unknown_ones_are_refused() {
    let bob = wallet(0xb0);
    let key = SessionKeyPair::from_seed(&[0x5f; 32]);
    let mut grants = Capability::new();
    let mut caveat = Caveat::new();
    caveat.insert("max_bytes".into(), serde_json::json!(1000));
    grants
        .add_ability("lit-litaction://*", "Threshold/Execution", vec![caveat])
        .unwrap();
    let s = session_sig(
        &bob,
        &key,
        grants,
        2,
        &[("lit-litaction://*", LitAbility::LitActionExecution)],
        &[],
    );
    let v = verifier().with_caveat_hook(Arc::new(BytesHook));
    let small = Request::any().with_context(serde_json::json!({"bytes": 500}));
    let big = Request::any().with_context(serde_json::json!({"bytes": 5000}));
    v.verify(&s, &small).unwrap();
    assert_eq!(
        v.verify(&s, &big).unwrap_err().code(),
        "caveat_not_satisfied"
    );
    // A node without the hook cannot enforce it, so it refuses.
    assert_eq!(
        verifier().verify(&s, &small).unwrap_err().code(),
        "caveat_not_satisfied"
    );
}

#[test]
fn cached_auth_sigs_are_not_used_past_their_expiration() {
    let (s, _) = capacity_story(None, &wallet(0xb0));
    let v = verifier();
    v.verify(&s, &Request::any()).unwrap();
    // Bob's AuthSig expires 2 h after now(); the SessionSig after 30 min — check at 3 h.
    let e = v
        .verify_at(&s, &Request::any(), now() + Duration::hours(3))
        .unwrap_err();
    assert_eq!(e.code(), "expired");
    let _ = Address::ZERO;
}

#[test]
fn an_authorization_spends_nothing_until_it_is_committed() {
    let (s, d) = capacity_story(Some(1), &wallet(0xb0));
    let v = verifier();
    let counter = format!("delegation:{}", d.hash());
    // Verified twice, refused for other reasons (dropped): nothing spent.
    for _ in 0..2 {
        let auth = v.authorize(&s, &Request::any()).unwrap();
        assert_eq!(auth.charges().uses().len(), 1);
        drop(auth);
    }
    assert_eq!(v.usage_store().used(&counter).unwrap(), 0);
    let (a, b) = (
        v.authorize(&s, &Request::any()).unwrap(),
        v.authorize(&s, &Request::any()).unwrap(),
    );
    let _spent = v.commit(a, 0).unwrap();
    assert_eq!(v.commit(b, 0).unwrap_err().code(), "uses_exhausted");
    assert_eq!(v.usage_store().used(&counter).unwrap(), 1);
}

const ALICE_BACKPACK: &str = "backpack://0x";

fn backpack_key(owner: &LocalWallet, path: &str) -> String {
    format!("{ALICE_BACKPACK}{}{path}", addr_hex(owner))
}

fn backpack_op(owner: &LocalWallet, path: &str, ability: LitAbility) -> Request {
    Request::operation(
        LitResource::parse(&backpack_key(owner, path)).unwrap(),
        ability,
    )
    .owned_by(owner.address())
}

#[test]
fn a_backpack_folder_grant_covers_by_whole_segments_and_only_its_abilities() {
    let alice = wallet(0xa1);
    let key = SessionKeyPair::from_seed(&[0x61; 32]);
    let photos = backpack_key(&alice, "/photos/");
    let mut grants = Capability::new();
    plain(&mut grants, &photos, "backpack/read");
    let s = session_sig(
        &alice,
        &key,
        grants,
        2,
        &[(photos.as_str(), LitAbility::BackpackRead)],
        &[],
    );
    let v = verifier();
    v.verify(
        &s,
        &backpack_op(&alice, "/photos/2024/a.jpg", LitAbility::BackpackRead),
    )
    .unwrap();
    for (path, ability) in [
        ("/photos-old/a.jpg", LitAbility::BackpackRead),
        ("/private/a.txt", LitAbility::BackpackRead),
        ("/photos/a.jpg", LitAbility::BackpackWrite),
        ("/photos/a.jpg", LitAbility::BackpackDelete),
    ] {
        let e = v
            .verify(&s, &backpack_op(&alice, path, ability))
            .unwrap_err();
        assert_eq!(e.code(), "operation_not_requested", "{ability} {path}");
    }
    // A session asking for more than its AuthSig grants is refused outright.
    let mut grants = Capability::new();
    plain(&mut grants, &photos, "backpack/read");
    let wider = session_sig(
        &alice,
        &key,
        grants,
        2,
        &[(photos.as_str(), LitAbility::BackpackAll)],
        &[],
    );
    assert_eq!(
        v.verify(&wider, &Request::any()).unwrap_err().code(),
        "capability_not_granted"
    );
    // `backpack/*` on the whole backpack grants every ability everywhere in it.
    let whole = backpack_key(&alice, "/");
    let mut grants = Capability::new();
    plain(&mut grants, &whole, "backpack/*");
    let all = session_sig(
        &alice,
        &key,
        grants,
        2,
        &[(whole.as_str(), LitAbility::BackpackAll)],
        &[],
    );
    v.verify(
        &all,
        &backpack_op(&alice, "/x/y.bin", LitAbility::BackpackWrite),
    )
    .unwrap();
    // Someone else's backpack is not Alice's to grant.
    let bob = wallet(0xb0);
    let e = v
        .verify(
            &all,
            &backpack_op(&bob, "/x/y.bin", LitAbility::BackpackRead),
        )
        .unwrap_err();
    assert!(
        ["operation_not_requested", "capability_not_granted"].contains(&e.code()),
        "{e}"
    );
}

/// Alice shares `/photos/` read-only with Bob with a traffic cap; Bob's session carries it.
fn photo_share(max_bytes: u64) -> (UnverifiedSessionSig, AuthSig, LocalWallet) {
    let alice = wallet(0xa1);
    let bob = wallet(0xb0);
    let photos = backpack_key(&alice, "/photos/");
    let mut caveat = Caveat::new();
    caveat.insert("delegate_to".into(), serde_json::json!([addr_hex(&bob)]));
    caveat.insert("max_bytes".into(), serde_json::json!(max_bytes.to_string()));
    let mut cap = Capability::new();
    cap.add_ability(&photos, "backpack/read", vec![caveat.clone()])
        .unwrap();
    cap.add_ability(&photos, "backpack/list", vec![caveat])
        .unwrap();
    let d = delegation(&alice, cap, 24);
    let key = SessionKeyPair::from_seed(&[0x62; 32]);
    let mut grants = Capability::new();
    plain(&mut grants, &photos, "backpack/read");
    let s = session_sig(
        &bob,
        &key,
        grants,
        2,
        &[(photos.as_str(), LitAbility::BackpackRead)],
        std::slice::from_ref(&d),
    );
    (s, d, alice)
}

#[test]
fn a_shared_folder_reserves_traffic_and_gives_back_what_was_not_moved() {
    let (s, d, alice) = photo_share(1_000);
    let v = verifier();
    let read = backpack_op(&alice, "/photos/a.jpg", LitAbility::BackpackRead);
    let auth = v.authorize(&s, &read).unwrap();
    let counter = format!("bytes:delegation:{}", d.hash());
    assert_eq!(auth.charges().traffic().len(), 1);
    assert_eq!(auth.charges().traffic()[0].counter, counter);
    assert_eq!(auth.charges().traffic_limit(), Some(1_000));
    assert_eq!(
        auth.session().grants()[0].granted_by(),
        alice.address(),
        "rooted in Alice"
    );
    let (_, first) = v.commit(auth, 600).unwrap();
    let e = v.commit(v.authorize(&s, &read).unwrap(), 600).unwrap_err();
    assert_eq!(e.code(), "quota_exhausted");
    assert_eq!(v.usage_store().used(&counter).unwrap(), 600);
    // The first transfer moved only 300 bytes: 300 come back, and 600 more fit again.
    v.release(&first, 300).unwrap();
    let _second = v.commit(v.authorize(&s, &read).unwrap(), 600).unwrap();
    assert_eq!(v.usage_store().used(&counter).unwrap(), 900);
    // Outside the share, or another ability: refused before any charge.
    for op in [
        backpack_op(&alice, "/private/a.txt", LitAbility::BackpackRead),
        backpack_op(&alice, "/photos/a.jpg", LitAbility::BackpackWrite),
    ] {
        assert!(v.authorize(&s, &op).is_err());
    }
    assert_eq!(v.usage_store().used(&counter).unwrap(), 900);
}

#[test]
fn byte_caveats_outside_the_backpack_are_not_understood() {
    let alice = wallet(0xa1);
    let key = SessionKeyPair::from_seed(&[0x63; 32]);
    let mut caveat = Caveat::new();
    caveat.insert("max_bytes".into(), serde_json::json!("10"));
    let mut grants = Capability::new();
    grants
        .add_ability("lit-litaction://*", "Threshold/Execution", vec![caveat])
        .unwrap();
    let s = session_sig(
        &alice,
        &key,
        grants,
        2,
        &[("lit-litaction://*", LitAbility::LitActionExecution)],
        &[],
    );
    assert_eq!(
        verifier().verify(&s, &Request::any()).unwrap_err().code(),
        "caveat_not_satisfied"
    );
}
