//! Issue 10 (hardening from an attack run), core items, with real wallet and session-key
//! signatures: caveats on carried delegations (1), AuthSig lifetimes (3), SIWE domain and
//! chain id (4), the whole `nodeAddress` (5).

use serde_json::{json, Value};
use sessionsig::auth_sig::{AuthSig, SiweRecapParams, DELEGATION_URI};
use sessionsig::lit::{LitAbility, LitResource, ResourceAbilityRequest};
use sessionsig::recap::{Capability, Caveat};
use sessionsig::session::{SessionKeyPair, SessionSigParams, WireFormat};
use sessionsig::time::{parse_rfc3339, Duration, FixedClock, OffsetDateTime, Timestamp};
use sessionsig::verify::{AcceptedDomain, Policy, Request, UnverifiedSessionSig, Verifier};
use sessionsig::wallet::{LocalWallet, WalletSigner};

const NODE: &str = "https://127.0.0.1:7470";

fn now() -> OffsetDateTime {
    parse_rfc3339("2025-06-01T12:00:00Z").unwrap()
}

fn wallet(b: u8) -> LocalWallet {
    LocalWallet::from_bytes(&[b; 32]).unwrap()
}

/// The SIWE fields a test varies.
#[derive(Clone)]
struct Siwe {
    domain: &'static str,
    chain_id: u64,
    /// Lifetime from `Issued At` (one hour before now); `None`: no `Expiration Time`.
    lifetime: Option<Duration>,
}

impl Default for Siwe {
    fn default() -> Self {
        Siwe {
            domain: "localhost",
            chain_id: 1,
            lifetime: Some(Duration::hours(3)),
        }
    }
}

fn auth_sig(from: &LocalWallet, uri: String, cap: Capability, s: &Siwe) -> AuthSig {
    let issued = now() - Duration::hours(1);
    AuthSig::create(
        from,
        &SiweRecapParams {
            domain: s.domain.into(),
            uri,
            statement: None,
            nonce: "hardening0001".into(),
            chain_id: s.chain_id,
            issued_at: Timestamp::from_instant(issued),
            expiration: s.lifetime.map(|l| Timestamp::from_instant(issued + l)),
            not_before: None,
            capability: cap,
        },
    )
    .unwrap()
}

fn actions() -> Capability {
    let mut c = Capability::new();
    c.add_ability(
        "lit-litaction://*",
        "Threshold/Execution",
        vec![Caveat::new()],
    )
    .unwrap();
    c
}

/// Bob's SessionSig for `node` (Lit Actions), carrying `carried`, signed in `format`.
fn session(
    session_siwe: &Siwe,
    carried: &[AuthSig],
    node: &str,
    format: WireFormat,
    requests: &[(&str, LitAbility)],
) -> UnverifiedSessionSig {
    let key = SessionKeyPair::from_seed(&[0x5b; 32]);
    let auth = auth_sig(
        &wallet(0xb0),
        SiweRecapParams::session_uri(&key.public_hex()),
        {
            let mut c = actions();
            c.add_ability("lit-pkp://*", "Threshold/Signing", vec![Caveat::new()])
                .unwrap();
            c
        },
        session_siwe,
    );
    let mut caps = carried.to_vec();
    caps.push(auth);
    let reqs: Vec<ResourceAbilityRequest> = requests
        .iter()
        .map(|(r, a)| ResourceAbilityRequest::new(LitResource::parse(r).unwrap(), *a).unwrap())
        .collect();
    let sigs = key
        .sign_session_sigs(
            &SessionSigParams {
                requests: &reqs,
                capabilities: &caps,
                issued_at: now() - Duration::minutes(1),
                expiration: now() + Duration::minutes(30),
                format,
            },
            &[node],
        )
        .unwrap();
    UnverifiedSessionSig::from(sigs.get(node).unwrap().clone())
}

fn simple(session_siwe: &Siwe, carried: &[AuthSig]) -> UnverifiedSessionSig {
    session(
        session_siwe,
        carried,
        NODE,
        WireFormat::V7,
        &[("lit-litaction://*", LitAbility::LitActionExecution)],
    )
}

fn verifier(policy: Policy) -> Verifier<FixedClock> {
    Verifier::new(NODE, policy, FixedClock(now())).unwrap()
}

fn code(v: &Verifier<FixedClock>, s: &UnverifiedSessionSig) -> &'static str {
    match v.verify(s, &Request::any()) {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

/// Alice's capacity delegation of token 42 to Bob, with this caveat object.
fn capacity(caveat: Value) -> AuthSig {
    let mut obj = caveat.as_object().unwrap().clone();
    obj.insert(
        "delegate_to".into(),
        json!([hex::encode(wallet(0xb0).address().as_slice())]),
    );
    let mut cap = Capability::new();
    cap.add_ability("lit-ratelimitincrease://42", "Auth/Auth", vec![obj])
        .unwrap();
    auth_sig(&wallet(0xa1), DELEGATION_URI.into(), cap, &Siwe::default())
}

// ------------------------------------------------------------------------------- item 1

#[test]
fn a_misspelt_or_unknown_caveat_on_a_carried_capacity_delegation_refuses() {
    let v = verifier(Policy::default());
    for caveat in [
        json!({"Uses": "1"}),
        json!({"uses": "1", "colour": "blue"}),
        json!({"nft_id": ["43"]}),
        json!({"nft_id": "42"}),
        json!({"uses": "one"}),
    ] {
        let s = simple(&Siwe::default(), &[capacity(caveat.clone())]);
        assert_eq!(code(&v, &s), "caveat_not_satisfied", "{caveat}");
        // Again: refused every time, never "unlimited".
        assert_eq!(code(&v, &s), "caveat_not_satisfied", "{caveat}");
    }
    // The well-formed delegation of the same token works, and `uses` still counts.
    let s = simple(
        &Siwe::default(),
        &[capacity(json!({"nft_id": ["42"], "uses": "1"}))],
    );
    assert_eq!(code(&v, &s), "ok");
    assert_eq!(code(&v, &s), "uses_exhausted");
}

/// A v8 payment delegation with the fields the Lit v8 SDK's `createPaymentDelegationAuthSig`
/// writes (`delegate_to` without 0x, `max_price` hex without 0x, `scopes`).
fn payment(max_price: &str, scopes: &[&str]) -> AuthSig {
    let mut obj = serde_json::Map::new();
    obj.insert(
        "delegate_to".into(),
        json!([hex::encode(wallet(0xb0).address().as_slice())]),
    );
    obj.insert("max_price".into(), json!(max_price));
    obj.insert("scopes".into(), json!(scopes));
    let mut cap = Capability::new();
    cap.add_ability("lit-paymentdelegation://*", "Auth/Auth", vec![obj])
        .unwrap();
    auth_sig(&wallet(0xa1), DELEGATION_URI.into(), cap, &Siwe::default())
}

#[test]
fn payment_delegations_honour_max_price_and_scopes() {
    let v = verifier(Policy::default());
    let v8 = |price: u128, d: AuthSig| {
        session(
            &Siwe::default(),
            &[d],
            NODE,
            WireFormat::V8 { max_price: price },
            &[
                ("lit-litaction://*", LitAbility::LitActionExecution),
                ("lit-pkp://*", LitAbility::PkpSigning),
            ],
        )
    };
    let op = |r: &str, a| Request::operation(LitResource::parse(r).unwrap(), a);
    let run = |s: &UnverifiedSessionSig, req: &Request| match v.verify(s, req) {
        Ok(_) => "ok",
        Err(e) => e.code(),
    };
    let d = payment("3e8", &["lit_action", "pkp_sign"]);
    // maxPrice 1000 = max_price 0x3e8: within; 1001: over.
    assert_eq!(run(&v8(1000, d.clone()), &Request::any()), "ok");
    assert_eq!(
        run(&v8(1001, d.clone()), &Request::any()),
        "caveat_not_satisfied"
    );
    // Scopes: a delegation paying for Lit Actions only.
    let actions_only = payment("3e8", &["lit_action"]);
    let s = v8(10, actions_only);
    assert_eq!(
        run(&s, &op("lit-litaction://*", LitAbility::LitActionExecution)),
        "ok"
    );
    assert_eq!(
        run(&s, &op("lit-pkp://*", LitAbility::PkpSigning)),
        "caveat_not_satisfied"
    );
    // An unknown scope, and a v7 SessionSig (no maxPrice) carrying a payment delegation.
    assert_eq!(
        run(
            &v8(10, payment("3e8", &["lit_action", "everything"])),
            &Request::any()
        ),
        "caveat_not_satisfied"
    );
    let v7 = session(
        &Siwe::default(),
        &[d],
        NODE,
        WireFormat::V7,
        &[("lit-litaction://*", LitAbility::LitActionExecution)],
    );
    assert_eq!(run(&v7, &Request::any()), "caveat_not_satisfied");
}

// ------------------------------------------------------------------------------- item 3

#[test]
fn session_auth_sigs_must_expire_within_the_cap() {
    let v = verifier(Policy::default());
    let forever = Siwe {
        lifetime: None,
        ..Siwe::default()
    };
    assert_eq!(code(&v, &simple(&forever, &[])), "auth_sig_no_expiration");
    let century = Siwe {
        lifetime: Some(Duration::days(36_525)),
        ..Siwe::default()
    };
    assert_eq!(
        code(&v, &simple(&century, &[])),
        "auth_sig_lifetime_too_long"
    );
    let month = Siwe {
        lifetime: Some(Duration::days(30)),
        ..Siwe::default()
    };
    assert_eq!(code(&v, &simple(&month, &[])), "ok");
    // Configurable: a one-day cap refuses the month; no cap (Lit's behaviour) takes anything.
    let day = verifier(Policy {
        max_session_auth_sig_lifetime: Some(Duration::days(1)),
        ..Policy::default()
    });
    assert_eq!(
        code(&day, &simple(&month, &[])),
        "auth_sig_lifetime_too_long"
    );
    let lit = verifier(Policy {
        max_session_auth_sig_lifetime: None,
        ..Policy::default()
    });
    assert_eq!(code(&lit, &simple(&forever, &[])), "ok");
}

#[test]
fn delegations_have_their_own_cap() {
    let mut cap = Capability::new();
    cap.add_ability(
        "lit-ratelimitincrease://42",
        "Auth/Auth",
        vec![Caveat::new()],
    )
    .unwrap();
    let long = auth_sig(
        &wallet(0xa1),
        DELEGATION_URI.into(),
        cap.clone(),
        &Siwe {
            lifetime: Some(Duration::days(365)),
            ..Siwe::default()
        },
    );
    let none = auth_sig(
        &wallet(0xa1),
        DELEGATION_URI.into(),
        cap,
        &Siwe {
            lifetime: None,
            ..Siwe::default()
        },
    );
    let v = verifier(Policy::default());
    assert_eq!(
        code(&v, &simple(&Siwe::default(), std::slice::from_ref(&long))),
        "auth_sig_lifetime_too_long"
    );
    assert_eq!(
        code(&v, &simple(&Siwe::default(), &[none])),
        "auth_sig_no_expiration"
    );
    let year = verifier(Policy {
        max_delegation_lifetime: Some(Duration::days(366)),
        ..Policy::default()
    });
    assert_eq!(code(&year, &simple(&Siwe::default(), &[long])), "ok");
}

// ------------------------------------------------------------------------------- item 4

#[test]
fn siwe_domain_and_chain_id_are_checked_when_configured() {
    let phished = Siwe {
        domain: "evil.example",
        ..Siwe::default()
    };
    let other_chain = Siwe {
        chain_id: 137,
        ..Siwe::default()
    };
    // Default: any (Lit-compatible).
    let any = verifier(Policy::default());
    assert_eq!(code(&any, &simple(&phished, &[])), "ok");
    assert_eq!(code(&any, &simple(&other_chain, &[])), "ok");
    let strict = verifier(Policy {
        accepted_domains: Some(vec![AcceptedDomain::parse("localhost").unwrap()]),
        accepted_chain_ids: Some(vec![1]),
        ..Policy::default()
    });
    assert_eq!(code(&strict, &simple(&Siwe::default(), &[])), "ok");
    assert_eq!(
        code(&strict, &simple(&phished, &[])),
        "siwe_domain_not_accepted"
    );
    assert_eq!(
        code(&strict, &simple(&other_chain, &[])),
        "siwe_chain_not_accepted"
    );
    // A carried delegation signed for another site is refused too.
    let mut cap = Capability::new();
    cap.add_ability(
        "lit-ratelimitincrease://42",
        "Auth/Auth",
        vec![Caveat::new()],
    )
    .unwrap();
    let d = auth_sig(&wallet(0xa1), DELEGATION_URI.into(), cap, &phished);
    assert_eq!(
        code(&strict, &simple(&Siwe::default(), &[d])),
        "siwe_domain_not_accepted"
    );
    // A scheme-qualified entry needs that scheme in the SIWE message; `localhost` has none.
    let https_only = verifier(Policy {
        accepted_domains: Some(vec![AcceptedDomain::parse("https://localhost").unwrap()]),
        ..Policy::default()
    });
    assert_eq!(
        code(&https_only, &simple(&Siwe::default(), &[])),
        "siwe_domain_not_accepted"
    );
}

// ------------------------------------------------------------------------------- item 5

#[test]
fn node_address_is_the_whole_url() {
    let v = verifier(Policy::default());
    let req = [("lit-litaction://*", LitAbility::LitActionExecution)];
    let at = |node: &str| session(&Siwe::default(), &[], node, WireFormat::V7, &req);
    assert_eq!(code(&v, &at(NODE)), "ok");
    // What the Lit SDK writes for this node, with the default port spelt out or a slash.
    assert_eq!(code(&v, &at("https://localhost:7470/")), "ok");
    for other in [
        "http://127.0.0.1:7470",
        "ws://127.0.0.1:7470",
        "wss://127.0.0.1:7470",
        "https://127.0.0.1:7470/admin",
        "https://127.0.0.1:7470?x=1",
        "https://user@127.0.0.1:7470",
        "127.0.0.1:7470",
    ] {
        assert_eq!(code(&v, &at(other)), "wrong_node", "{other}");
    }
}
