//! The Lit v7 vector's AuthSig, reproduced byte for byte and verified.

mod common;

use sessionsig::auth_sig::{
    AuthSig, AuthSigPolicy, AuthSigRole, SiweRecapParams, LIT_DEFAULT_STATEMENT,
};
use sessionsig::recap::{Capability, Caveat};
use sessionsig::time::{parse_rfc3339, Timestamp};
use sessionsig::wallet::LocalWallet;

#[test]
fn v7_auth_sig_is_reproduced_byte_for_byte() {
    let v = common::load_json("lit/vectors-v7.json");
    let inputs = &v["inputs"];
    let wallet = LocalWallet::from_hex(inputs["walletPrivateKey"].as_str().unwrap()).unwrap();
    let mut cap = Capability::new();
    cap.add_ability(
        v["accResourceKey"].as_str().unwrap(),
        "Threshold/Decryption",
        vec![Caveat::new()],
    )
    .unwrap();
    cap.add_ability(
        "lit-litaction://*",
        "Threshold/Execution",
        vec![Caveat::new()],
    )
    .unwrap();
    cap.add_ability(
        v["pkpResourceKey"].as_str().unwrap(),
        "Threshold/Signing",
        vec![Caveat::new()],
    )
    .unwrap();
    let params = SiweRecapParams {
        domain: "localhost".into(),
        uri: SiweRecapParams::session_uri(v["sessionKey"]["publicKey"].as_str().unwrap()),
        statement: Some(LIT_DEFAULT_STATEMENT.into()),
        nonce: inputs["nonce"].as_str().unwrap().into(),
        chain_id: 1,
        issued_at: Timestamp::parse(inputs["issuedAtSiwe"].as_str().unwrap()).unwrap(),
        expiration: Some(Timestamp::parse(inputs["expiration"].as_str().unwrap()).unwrap()),
        not_before: None,
        capability: cap,
    };
    let made = AuthSig::create(&wallet, &params).unwrap();
    assert_eq!(made.signed_message, v["siweText"].as_str().unwrap());
    let expected: AuthSig = serde_json::from_value(v["authSig"].clone()).unwrap();
    assert_eq!(made, expected);
    assert_eq!(
        made.to_json(),
        serde_json::to_string(&v["authSig"]).unwrap()
    );

    let now = parse_rfc3339("2025-01-01T12:00:00Z").unwrap();
    let verified = made.verify(now, &AuthSigPolicy::default()).unwrap();
    assert_eq!(verified.address(), wallet_address(&wallet));
    assert!(
        matches!(verified.role(), AuthSigRole::Session(ref k) if k == v["sessionKey"]["publicKey"].as_str().unwrap())
    );
    // Outside the window it fails with the SIWE time codes.
    let late = parse_rfc3339("2025-01-03T00:00:00Z").unwrap();
    assert_eq!(
        made.verify(late, &AuthSigPolicy::default())
            .unwrap_err()
            .code(),
        "siwe_expired"
    );
}

fn wallet_address(w: &LocalWallet) -> alloy_primitives::Address {
    sessionsig::wallet::WalletSigner::address(w)
}

#[test]
fn tampered_auth_sigs_fail_with_their_codes() {
    let v = common::load_json("lit/vectors-v7.json");
    let good: AuthSig = serde_json::from_value(v["authSig"].clone()).unwrap();
    let now = parse_rfc3339("2025-01-01T12:00:00Z").unwrap();
    let p = AuthSigPolicy::default();

    let mut t = good.clone();
    t.signed_message = t.signed_message.replace("Chain ID: 1", "Chain ID: 2");
    assert_eq!(t.verify(now, &p).unwrap_err().code(), "signer_mismatch");

    let mut t = good.clone();
    t.address = "0x0000000000000000000000000000000000000001".into();
    assert_eq!(
        t.verify(now, &p).unwrap_err().code(),
        "auth_sig_address_mismatch"
    );

    let mut t = good.clone();
    t.sig = "0x1234".into();
    assert_eq!(t.verify(now, &p).unwrap_err().code(), "malformed_signature");

    let mut t = good.clone();
    t.derived_via = "lit.bls".into();
    assert_eq!(
        t.verify(now, &p).unwrap_err().code(),
        "unsupported_derived_via"
    );

    // A statement that no longer ends with the ReCap text.
    let mut t = good.clone();
    t.signed_message = t.signed_message.replace(
        "(1) 'Threshold': 'Decryption'",
        "(1) 'Threshold': 'Signing'",
    );
    let code = t.verify(now, &p).unwrap_err().code();
    assert!(code == "signer_mismatch", "{code}");
}
