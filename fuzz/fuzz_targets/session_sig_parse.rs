//! SessionSig wire forms: any bytes → `SessionSigMessage::parse`, `AuthSig::from_json`,
//! `SessionSigs::from_json` and `UnverifiedSessionSig::parse` then `Verifier::verify`.
//! Nothing may panic, whatever the input.
//!
//! Invariants (a failure is a real bug): an `AuthSig` / `SessionSigs` that parses re-parses
//! from its own `to_json()` to an equal value.
//!
//! The verifier runs twice per SessionSig: once as the node `https://127.0.0.1:7470` at a fixed
//! instant (2025-01-01T12:00:00Z, inside the window of `vectors/lit/vectors-v7.json`), and once
//! as the node the message names, at the instant it says it was issued, so that inputs whose
//! node or time were mutated still reach the checks after those.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sessionsig::auth_sig::AuthSig;
use sessionsig::session::{SessionSig, SessionSigMessage, SessionSigs};
use sessionsig::siwe::SiweMessage;

/// The node URL the first verifier runs as.
const NODE_URL: &str = "https://127.0.0.1:7470";

/// 2025-01-01T12:00:00Z.
fn fixed_instant() -> sessionsig::time::OffsetDateTime {
    sessionsig::time::OffsetDateTime::from_unix_timestamp(1_735_732_800).expect("valid instant")
}

fn verify(json: Option<&str>, wire: &SessionSig) {
    use sessionsig::time::{parse_iso, FixedClock};
    use sessionsig::verify::{Policy, Request, UnverifiedSessionSig, Verifier};

    let unverified = match json {
        Some(text) => match UnverifiedSessionSig::parse(text) {
            Ok(u) => u,
            Err(_) => return,
        },
        None => UnverifiedSessionSig::from(wire.clone()),
    };
    let verifier = Verifier::new(NODE_URL, Policy::default(), FixedClock(fixed_instant()))
        .expect("the fixed node URL is valid");
    let _ = verifier.verify(&unverified, &Request::any());

    // Second pass: be the node the message names, at the time it names.
    let Ok(msg) = SessionSigMessage::parse(&unverified.wire().signed_message) else {
        return;
    };
    // A clock a real node could have: years -9000..=9000.
    let Some(now) = parse_iso(&msg.issued_at)
        .ok()
        .filter(|t| (-9000..=9000).contains(&t.year()))
    else {
        return;
    };
    if let Ok(verifier) = Verifier::new(&msg.node_address, Policy::default(), FixedClock(now)) {
        if let Ok(session) = verifier.verify(&unverified, &Request::any()) {
            // A verified session must serialise.
            let _ = session.to_json();
        }
    }
}

/// Walk into the AuthSigs a SessionSig message carries.
fn inspect_message(msg: &SessionSigMessage) {
    for cap in &msg.capabilities {
        inspect_auth_sig(cap);
    }
}

fn inspect_auth_sig(auth: &AuthSig) {
    let _ = SiweMessage::parse(&auth.signed_message);
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };

    if let Ok(msg) = SessionSigMessage::parse(s) {
        inspect_message(&msg);
    }

    if let Ok(auth) = AuthSig::from_json(s) {
        let json = auth.to_json();
        let back = AuthSig::from_json(&json).expect("AuthSig::to_json() does not re-parse");
        assert_eq!(back, auth, "AuthSig from_json(to_json(a)) != a");
        inspect_auth_sig(&auth);
    }

    if let Ok(sigs) = SessionSigs::from_json(s) {
        let json = sigs.to_json();
        let back = SessionSigs::from_json(&json).expect("SessionSigs::to_json() does not re-parse");
        assert_eq!(back, sigs, "SessionSigs from_json(to_json(m)) != m");
        // Verify at most a few entries per input to keep executions fast.
        for (_node, sig) in sigs.iter().take(2) {
            if let Ok(msg) = SessionSigMessage::parse(&sig.signed_message) {
                inspect_message(&msg);
            }
            verify(None, sig);
        }
    }

    // One SessionSig object (the verifier's own entry point).
    if let Ok(sig) = serde_json::from_str::<SessionSig>(s) {
        if let Ok(msg) = SessionSigMessage::parse(&sig.signed_message) {
            inspect_message(&msg);
        }
        verify(Some(s), &sig);
    }
});
