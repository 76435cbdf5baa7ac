//! SessionSigs against the Lit vectors: byte-for-byte creation (v7 and v8 wire forms), and
//! verification of real SDK bundles, each tampering refused with its own code.

mod common;

use serde_json::Value;
use sessionsig::auth_sig::AuthSig;
use sessionsig::lit::{LitAbility, LitResource, ResourceAbilityRequest};
use sessionsig::session::{
    SessionKeyPair, SessionSig, SessionSigMessage, SessionSigParams, SessionSigs, WireFormat,
};
use sessionsig::time::{parse_rfc3339, FixedClock, OffsetDateTime};
use sessionsig::verify::{Policy, Request, UnverifiedSessionSig, Verifier};

fn t(s: &str) -> OffsetDateTime {
    parse_rfc3339(s).unwrap()
}

fn requests_of(msg: &SessionSigMessage) -> Vec<ResourceAbilityRequest> {
    msg.resource_ability_requests
        .iter()
        .map(|r| ResourceAbilityRequest {
            resource: LitResource::parse(&r.resource_key()).unwrap(),
            ability: r.ability.parse::<LitAbility>().unwrap(),
        })
        .collect()
}

fn verifier(node: &str, at: &str) -> Verifier<FixedClock> {
    Verifier::new(node, Policy::default(), FixedClock(t(at))).unwrap()
}

#[test]
fn v7_session_sig_is_reproduced_byte_for_byte_and_verifies() {
    let v = common::load_json("lit/vectors-v7.json");
    let key = SessionKeyPair::from_json(&v["sessionKey"].to_string()).unwrap();
    let expected: SessionSig = serde_json::from_value(v["sessionSig"].clone()).unwrap();
    let msg = SessionSigMessage::parse(&expected.signed_message).unwrap();
    let requests = requests_of(&msg);
    assert_eq!(requests.len(), 3);
    let auth: AuthSig = serde_json::from_value(v["authSig"].clone()).unwrap();
    let sigs = key
        .sign_session_sigs(
            &SessionSigParams {
                requests: &requests,
                capabilities: &[auth],
                issued_at: t(&msg.issued_at),
                expiration: t(&msg.expiration),
                format: WireFormat::V7,
            },
            &[msg.node_address.as_str()],
        )
        .unwrap();
    let made = sigs.get(&msg.node_address).unwrap();
    assert_eq!(made.signed_message, expected.signed_message);
    assert_eq!(made, &expected);
    assert_eq!(
        made.to_json(),
        serde_json::to_string(&v["sessionSig"]).unwrap()
    );

    let session = verifier(&msg.node_address, "2025-01-01T06:00:00Z")
        .verify(
            &UnverifiedSessionSig::from(expected.clone()),
            &Request::any(),
        )
        .unwrap();
    assert_eq!(
        session.owner().to_checksum(None),
        "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"
    );
    assert_eq!(session.session_key().to_hex(), v["sessionKey"]["publicKey"]);
    assert_eq!(session.grants().len(), 3);
    // The PKP request is granted by the exact key; the Lit Action by the wildcard.
    let pkp = session
        .grants()
        .iter()
        .find(|g| g.ability() == LitAbility::PkpSigning)
        .unwrap();
    assert_eq!(pkp.granted_resource(), v["pkpResourceKey"]);
    assert_eq!(pkp.granted_ability(), "Threshold/Signing");
}

#[test]
fn v8_wire_form_is_reproduced_byte_for_byte() {
    let v = common::load_json("lit/vectors-v8-naga.json");
    let key = SessionKeyPair::from_json(&v["sessionKeyPair"].to_string()).unwrap();
    let expected: SessionSig = serde_json::from_value(v["sessionSig"].clone()).unwrap();
    let msg = SessionSigMessage::parse(&expected.signed_message).unwrap();
    let max_price = u128::from_str_radix(
        msg.max_price.as_deref().unwrap().trim_start_matches("0x"),
        16,
    )
    .unwrap();
    let sigs = key
        .sign_session_sigs(
            &SessionSigParams {
                requests: &requests_of(&msg),
                capabilities: &msg.capabilities,
                issued_at: t(&msg.issued_at),
                expiration: t(&msg.expiration),
                format: WireFormat::V8 { max_price },
            },
            &[msg.node_address.as_str()],
        )
        .unwrap();
    assert_eq!(sigs.get(&msg.node_address).unwrap(), &expected);
    // Its SIWE was issued after its expiration (the vector's own defect): our verifier says so.
    let e = verifier(&msg.node_address, "2025-01-01T06:00:00Z")
        .verify(&UnverifiedSessionSig::from(expected), &Request::any())
        .unwrap_err();
    assert!(
        ["siwe_issued_in_future", "siwe_expired"].contains(&e.code()),
        "{}",
        e.code()
    );
}

fn bundle(name: &str) -> SessionSigs {
    let v = common::load_json(name);
    SessionSigs::from_json(&v.to_string()).unwrap()
}

#[test]
fn real_sdk_nine_node_bundle_verifies_for_every_node() {
    let sigs = bundle("lit/session-sigs-valid.json");
    assert_eq!(sigs.len(), 9);
    let at = t("2024-10-17T00:00:00Z");
    let policy = Policy {
        trust_lit_bls: true,
        ..Policy::default()
    };
    for (node, sig) in sigs.iter() {
        let v = Verifier::new(node, policy.clone(), FixedClock(at)).unwrap();
        let s = v
            .verify(&UnverifiedSessionSig::from(sig.clone()), &Request::any())
            .unwrap();
        assert_eq!(
            s.owner().to_checksum(None),
            "0x4F92B988dfF23a7A476C256E621206F120f92337"
        );
        // The capacity delegation AuthSig was verified with a real wallet signature.
        assert_eq!(s.delegations().len(), 1, "{node}");
        assert_eq!(
            s.delegations()[0].delegator().to_checksum(None),
            "0x5D467fe98ff120fe0C85F2217bC61732571b28EC"
        );
    }
    // Without the explicit trust policy the network-signed (lit.bls) session AuthSig is refused.
    let (node, sig) = sigs.iter().next().unwrap();
    let strict = Verifier::new(node, Policy::default(), FixedClock(at)).unwrap();
    let e = strict
        .verify(&UnverifiedSessionSig::from(sig.clone()), &Request::any())
        .unwrap_err();
    assert_eq!(e.code(), "unsupported_derived_via");
    // Replay against a neighbour is refused.
    let (other, _) = sigs.iter().nth(1).unwrap();
    let v = Verifier::new(other, policy, FixedClock(at)).unwrap();
    let e = v
        .verify(&UnverifiedSessionSig::from(sig.clone()), &Request::any())
        .unwrap_err();
    assert_eq!(e.code(), "wrong_node");
}

#[test]
fn edited_after_signing_bundle_fails_for_every_node() {
    let sigs = bundle("lit/session-sigs-expired.json");
    assert_eq!(sigs.len(), 9);
    let policy = Policy {
        trust_lit_bls: true,
        ..Policy::default()
    };
    for at in ["2022-10-17T00:00:00Z", "2024-10-17T00:00:00Z"] {
        for (node, sig) in sigs.iter() {
            let v = Verifier::new(node, policy.clone(), FixedClock(t(at))).unwrap();
            let e = v
                .verify(&UnverifiedSessionSig::from(sig.clone()), &Request::any())
                .unwrap_err();
            assert_eq!(e.code(), "bad_session_signature", "{node} at {at}");
        }
    }
}

#[test]
fn example_v7_map_with_capacity_delegation_verifies() {
    let v = common::load_json("lit/example-v7.json");
    let sigs = SessionSigs::from_json(&v["sessionSigs"].to_string()).unwrap();
    assert!(!sigs.is_empty());
    // Its session AuthSig lives 1137 days: the default policy (every AuthSig expires within
    // 30 days for sessions) refuses it; with the lifetime caps lifted, as a Lit node runs, it
    // verifies.
    let lit_like = Policy {
        max_session_auth_sig_lifetime: None,
        max_delegation_lifetime: None,
        ..Policy::default()
    };
    for (node, sig) in sigs.iter() {
        let msg = SessionSigMessage::parse(&sig.signed_message).unwrap();
        let e = Verifier::new(node, Policy::default(), FixedClock(t(&msg.issued_at)))
            .unwrap()
            .verify(&UnverifiedSessionSig::from(sig.clone()), &Request::any())
            .unwrap_err();
        assert_eq!(e.code(), "auth_sig_lifetime_too_long");
        let s = Verifier::new(node, lit_like.clone(), FixedClock(t(&msg.issued_at)))
            .unwrap()
            .verify(&UnverifiedSessionSig::from(sig.clone()), &Request::any())
            .unwrap();
        assert_eq!(s.owner().to_checksum(None), v["walletAddress"]);
        assert_eq!(s.delegations().len(), 1);
    }
}

/// One good v7 SessionSig and its verifier, for the tampering table.
fn good() -> (SessionSig, Verifier<FixedClock>, Value) {
    let v = common::load_json("lit/vectors-v7.json");
    let sig: SessionSig = serde_json::from_value(v["sessionSig"].clone()).unwrap();
    (
        sig,
        verifier("https://127.0.0.1:7470", "2025-01-01T06:00:00Z"),
        v,
    )
}

fn code_of(sig: &SessionSig, v: &Verifier<FixedClock>, r: &Request) -> &'static str {
    v.verify(&UnverifiedSessionSig::from(sig.clone()), r)
        .unwrap_err()
        .code()
}

#[test]
fn every_single_byte_change_to_the_signed_message_is_refused() {
    let (sig, v, _) = good();
    let bytes = sig.signed_message.as_bytes().to_vec();
    for i in (0..bytes.len()).step_by(7) {
        let mut b = bytes.clone();
        b[i] = if b[i] == b'a' { b'b' } else { b'a' };
        let Ok(text) = String::from_utf8(b) else {
            continue;
        };
        let mut t = sig.clone();
        t.signed_message = text;
        assert_eq!(
            code_of(&t, &v, &Request::any()),
            "bad_session_signature",
            "byte {i}"
        );
    }
}

#[test]
fn tampering_table() {
    let (sig, v, vec) = good();
    let key = SessionKeyPair::from_json(&vec["sessionKey"].to_string()).unwrap();
    let resign = |msg: String| -> SessionSig {
        let mut s = sig.clone();
        s.sig = hex::encode(key.sign(msg.as_bytes()));
        s.signed_message = msg;
        s
    };
    let any = Request::any();

    let mut s = sig.clone();
    s.algo = Some("secp256k1".into());
    assert_eq!(code_of(&s, &v, &any), "unsupported_algorithm");
    let mut s = sig.clone();
    s.derived_via = "web3.eth.personal.sign".into();
    assert_eq!(code_of(&s, &v, &any), "unsupported_algorithm");
    let mut s = sig.clone();
    s.sig.pop();
    assert_eq!(code_of(&s, &v, &any), "session_sig_malformed");
    let mut s = sig.clone();
    s.address = "00".repeat(32);
    assert_eq!(code_of(&s, &v, &any), "invalid_session_key");
    // Signed by another session key than the one the message names.
    let other = SessionKeyPair::from_seed(&[9; 32]);
    let mut s = sig.clone();
    s.address = other.public_hex();
    s.sig = hex::encode(other.sign(sig.signed_message.as_bytes()));
    assert_eq!(code_of(&s, &v, &any), "session_key_mismatch");
    // Re-signed messages with one field changed.
    let m = &sig.signed_message;
    let cases: Vec<(String, &str)> = vec![
        (
            m.replace(
                "\"issuedAt\":\"2025-01-01T00:00:01.000Z\"",
                "\"issuedAt\":\"2025-01-01T07:00:00.000Z\"",
            ),
            "issued_in_future",
        ),
        (
            m.replace(
                "\"expiration\":\"2025-01-02T00:00:00.000Z\"",
                "\"expiration\":\"2025-01-01T00:00:00.000Z\"",
            ),
            "expiration_before_issued_at",
        ),
        (
            m.replace(
                "\"expiration\":\"2025-01-02T00:00:00.000Z\"",
                "\"expiration\":\"2025-03-01T00:00:00.000Z\"",
            ),
            "lifetime_too_long",
        ),
        (
            m.replace("https://127.0.0.1:7470", "https://127.0.0.1:7471"),
            "wrong_node",
        ),
        (
            m.replace(
                "\"resource\":\"*\",\"resourcePrefix\":\"lit-litaction\"",
                "\"resource\":\"*\",\"resourcePrefix\":\"lit-pkp\"",
            )
            .replace(
                "\"ability\":\"lit-action-execution\"",
                "\"ability\":\"pkp-signing\"",
            ),
            "capability_not_granted",
        ),
        (
            m.replace(
                "\"ability\":\"lit-action-execution\"",
                "\"ability\":\"pkp-signing\"",
            ),
            "invalid_ability",
        ),
    ];
    for (msg, code) in cases {
        assert_ne!(&msg, m, "case {code} did not change the message");
        assert_eq!(code_of(&resign(msg), &v, &any), code);
    }
    // An AuthSig for another session key.
    let wrong_key = m.replace(
        "URI: lit:session:a09aa5f47a6759802ff955f8dc2d2a14a5c99d23be97f864127ff9383455a4f0",
        &format!("URI: lit:session:{}", "b".repeat(64)),
    );
    assert_eq!(
        code_of(&resign(wrong_key), &v, &any),
        "auth_sig_wrong_session_key"
    );
    // No capabilities at all.
    let msg: Value = serde_json::from_str(m).unwrap();
    let mut no_caps = msg.clone();
    no_caps["capabilities"] = Value::Array(vec![]);
    assert_eq!(
        code_of(&resign(no_caps.to_string()), &v, &any),
        "missing_session_auth_sig"
    );
    // Expired (an hour past expiration plus skew).
    let late = verifier("https://127.0.0.1:7470", "2025-01-02T01:00:00Z");
    assert_eq!(code_of(&sig, &late, &any), "expired");
    // An operation the SessionSig did not ask for.
    let op = Request::operation(
        LitResource::parse(
            "lit-pkp://0000000000000000000000000000000000000000000000000000000000005678",
        )
        .unwrap(),
        LitAbility::PkpSigning,
    );
    assert_eq!(code_of(&sig, &v, &op), "operation_not_requested");
    let ok_op = Request::operation(
        LitResource::parse("lit-litaction://QmSomeAction").unwrap(),
        LitAbility::LitActionExecution,
    );
    v.verify(&UnverifiedSessionSig::from(sig.clone()), &ok_op)
        .unwrap();
    // Too many capabilities.
    let mut many = msg.clone();
    let one = msg["capabilities"][0].clone();
    many["capabilities"] = Value::Array(vec![one; 9]);
    assert_eq!(
        code_of(&resign(many.to_string()), &v, &any),
        "session_sig_malformed"
    );
}
