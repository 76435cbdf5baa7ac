//! The promise at the verifier level: two nodes (two verifiers, each with its own
//! store instance and AuthSig cache) on one database share revocations and `uses` counters at
//! once. A revocation through node A is refused at node B on the very next request, even
//! though B has the AuthSigs cached.

#[macro_use]
mod common;

use common::Db;
use sessionsig::auth_sig::{
    capacity_delegation_caveat, AuthSig, RevocationParams, RevocationTarget, SiweRecapParams,
    DELEGATION_URI,
};
use sessionsig::lit::{LitAbility, LitResource, ResourceAbilityRequest};
use sessionsig::recap::{Capability, Caveat};
use sessionsig::session::{SessionKeyPair, SessionSigParams, WireFormat};
use sessionsig::time::{parse_rfc3339, Duration, FixedClock, OffsetDateTime, Timestamp};
use sessionsig::verify::{Policy, Request, UnverifiedSessionSig, Verifier};
use sessionsig::wallet::{LocalWallet, WalletSigner};
use sessionsig_store::UsageStore;

on_both_backends!(
    a_revocation_at_node_a_is_refused_at_node_b,
    a_delegation_revoked_at_node_b_is_refused_at_node_a,
    uses_are_counted_across_nodes,
);

const NODE_A: &str = "https://127.0.0.1:7470";
const NODE_B: &str = "https://127.0.0.1:7471";

fn now() -> OffsetDateTime {
    parse_rfc3339("2025-06-01T12:00:00Z").unwrap()
}

fn wallet(b: u8) -> LocalWallet {
    LocalWallet::from_bytes(&[b; 32]).unwrap()
}

/// Node `url` on `db`: a verifier with a store instance of its own.
fn node(db: &Db, url: &str) -> Verifier<FixedClock> {
    db.open()
        .attach(Verifier::new(url, Policy::default(), FixedClock(now())).unwrap())
}

/// Alice's capacity delegation to Bob (optionally with `uses`), and Bob's session carrying it,
/// signed for both nodes.
struct Story {
    at_a: UnverifiedSessionSig,
    at_b: UnverifiedSessionSig,
    session_key: String,
    delegation: AuthSig,
}

fn story(uses: Option<u64>) -> Story {
    let (alice, bob) = (wallet(0xa1), wallet(0xb0));
    let mut cap = Capability::new();
    cap.add_ability(
        "lit-ratelimitincrease://42",
        "Auth/Auth",
        vec![capacity_delegation_caveat(
            Some("42"),
            &[bob.address().to_string()],
            uses,
        )],
    )
    .unwrap();
    let delegation = AuthSig::create(
        &alice,
        &SiweRecapParams {
            domain: "localhost".into(),
            uri: DELEGATION_URI.into(),
            statement: None,
            nonce: "delegation0001".into(),
            chain_id: 1,
            issued_at: Timestamp::from_instant(now() - Duration::hours(1)),
            expiration: Some(Timestamp::from_instant(now() + Duration::hours(24))),
            not_before: None,
            capability: cap,
        },
    )
    .unwrap();
    let key = SessionKeyPair::from_seed(&[0x5b; 32]);
    let mut grants = Capability::new();
    grants
        .add_ability(
            "lit-litaction://*",
            "Threshold/Execution",
            vec![Caveat::new()],
        )
        .unwrap();
    let session = AuthSig::create(
        &bob,
        &SiweRecapParams {
            domain: "localhost".into(),
            uri: SiweRecapParams::session_uri(&key.public_hex()),
            statement: None,
            nonce: "session00001".into(),
            chain_id: 1,
            issued_at: Timestamp::from_instant(now() - Duration::minutes(10)),
            expiration: Some(Timestamp::from_instant(now() + Duration::hours(2))),
            not_before: None,
            capability: grants,
        },
    )
    .unwrap();
    let requests = [ResourceAbilityRequest::new(
        LitResource::parse("lit-litaction://*").unwrap(),
        LitAbility::LitActionExecution,
    )
    .unwrap()];
    let sigs = key
        .sign_session_sigs(
            &SessionSigParams {
                requests: &requests,
                capabilities: &[delegation.clone(), session],
                issued_at: now() - Duration::minutes(1),
                expiration: now() + Duration::hours(2),
                format: WireFormat::V7,
            },
            &[NODE_A, NODE_B],
        )
        .unwrap();
    Story {
        at_a: UnverifiedSessionSig::from(sigs.get(NODE_A).unwrap().clone()),
        at_b: UnverifiedSessionSig::from(sigs.get(NODE_B).unwrap().clone()),
        session_key: key.public_hex(),
        delegation,
    }
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

fn a_revocation_at_node_a_is_refused_at_node_b(db: &Db) {
    let s = story(None);
    let (a, b) = (node(db, NODE_A), node(db, NODE_B));
    a.verify(&s.at_a, &Request::any()).unwrap();
    b.verify(&s.at_b, &Request::any()).unwrap();
    b.verify(&s.at_b, &Request::any()).unwrap();
    assert!(b.cache().hits() >= 1, "node B has the AuthSigs cached");
    // Each node refuses the other's SessionSig (SPEC §8 step 4), store or not.
    assert_eq!(
        b.verify(&s.at_a, &Request::any()).unwrap_err().code(),
        "wrong_node"
    );

    a.revoke(&revocation(
        &wallet(0xb0),
        RevocationTarget::SessionKey(s.session_key.clone()),
    ))
    .unwrap();
    assert_eq!(
        b.verify(&s.at_b, &Request::any()).unwrap_err().code(),
        "revoked"
    );
    assert_eq!(
        a.verify(&s.at_a, &Request::any()).unwrap_err().code(),
        "revoked"
    );
    // A third node started afterwards knows it too.
    assert_eq!(
        node(db, NODE_B)
            .verify(&s.at_b, &Request::any())
            .unwrap_err()
            .code(),
        "revoked"
    );
}

fn a_delegation_revoked_at_node_b_is_refused_at_node_a(db: &Db) {
    let s = story(None);
    let (a, b) = (node(db, NODE_A), node(db, NODE_B));
    a.verify(&s.at_a, &Request::any()).unwrap();
    // The node's flow: verify the signed revocation, record it with its AuthSig for audit.
    let store = db.open();
    let signed = revocation(
        &wallet(0xa1),
        RevocationTarget::AuthSig(s.delegation.hash()),
    );
    let verified = signed
        .verify_revocation(now(), &Default::default())
        .unwrap();
    store.record_revocation(&verified, &signed).unwrap();
    assert_eq!(
        a.verify(&s.at_a, &Request::any()).unwrap_err().code(),
        "revoked"
    );
    assert_eq!(
        b.verify(&s.at_b, &Request::any()).unwrap_err().code(),
        "revoked"
    );
    let record = store
        .get_revocation(&RevocationTarget::AuthSig(s.delegation.hash()))
        .unwrap()
        .unwrap();
    assert_eq!(record.issuer, wallet(0xa1).address());
    assert_eq!(record.auth_sig.unwrap(), signed.to_json());
}

fn uses_are_counted_across_nodes(db: &Db) {
    let s = story(Some(3));
    let (a, b) = (node(db, NODE_A), node(db, NODE_B));
    a.verify(&s.at_a, &Request::any()).unwrap();
    b.verify(&s.at_b, &Request::any()).unwrap();
    a.verify(&s.at_a, &Request::any()).unwrap();
    assert_eq!(
        b.verify(&s.at_b, &Request::any()).unwrap_err().code(),
        "uses_exhausted"
    );
    assert_eq!(
        a.verify(&s.at_a, &Request::any()).unwrap_err().code(),
        "uses_exhausted"
    );
    let counter = format!("delegation:{}", s.delegation.hash());
    assert_eq!(db.open().used(&counter).unwrap(), 3);
    assert_eq!(b.usage_store().used(&counter).unwrap(), 3);
}
