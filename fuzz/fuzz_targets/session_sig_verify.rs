//! The verifier past its signature checks: any bytes → if UTF-8 and a JSON object, taken as
//! the `signedMessage` of a SessionSig; every AuthSig in its `capabilities` is re-signed with
//! the public test wallet (`0x11…11`, address 0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A),
//! the message is re-serialised and signed with the public test session key (seed `22…22`),
//! and `Verifier::verify` runs on the result. Must never panic.
//!
//! `session_sig_parse` feeds the verifier raw bytes, but a mutated input almost never carries
//! a valid ed25519 signature, so it stops at step 1. Re-signing lets the fuzzer reach the
//! message, time, node, AuthSig (SIWE + ReCap) and coverage checks behind it, as anyone
//! holding a session key could.
//!
//! The verifier runs as the node the message names (or `https://127.0.0.1:7470`) at the
//! instant the message says it was issued (or 2025-01-01T12:00:00Z), clamped to years
//! -9000..=9000 so the harness's clock is one a real node could have.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use sessionsig::session::{SessionKeyPair, SessionSig, SESSION_ALGO, SESSION_DERIVED_VIA};
use sessionsig::time::{parse_iso, FixedClock, OffsetDateTime};
use sessionsig::verify::{Policy, Request, UnverifiedSessionSig, Verifier};
use sessionsig::wallet::{LocalWallet, WalletSigner};
use std::sync::OnceLock;

const NODE_URL: &str = "https://127.0.0.1:7470";

struct Keys {
    wallet: LocalWallet,
    session: SessionKeyPair,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        wallet: LocalWallet::from_bytes(&[0x11; 32]).expect("test wallet key"),
        session: SessionKeyPair::from_seed(&[0x22; 32]),
    })
}

/// `SESSIONSIG_FUZZ_DEBUG=1`: print each re-signed SessionSig and its verification result (to
/// check that seeds verify, and to turn a crash into a SessionSig to replay elsewhere).
fn debug() -> bool {
    static DEBUG: OnceLock<bool> = OnceLock::new();
    *DEBUG.get_or_init(|| std::env::var_os("SESSIONSIG_FUZZ_DEBUG").is_some())
}

/// 2025-01-01T12:00:00Z.
fn fixed_instant() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_735_732_800).expect("valid instant")
}

fn resign_capabilities(msg: &mut serde_json::Map<String, Value>) {
    let Some(Value::Array(caps)) = msg.get_mut("capabilities") else {
        return;
    };
    for cap in caps.iter_mut().take(16) {
        let Value::Object(cap) = cap else { continue };
        let Some(Value::String(text)) = cap.get("signedMessage") else {
            continue;
        };
        let Ok(sig) = keys().wallet.sign_message(text.as_bytes()) else {
            continue;
        };
        cap.insert("sig".into(), Value::String(format!("0x{}", hex(&sig))));
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

fn str_field<'a>(msg: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a str> {
    msg.get(key).and_then(Value::as_str)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(Value::Object(mut msg)) = serde_json::from_str::<Value>(text) else {
        return;
    };
    resign_capabilities(&mut msg);

    let now = str_field(&msg, "issuedAt")
        .and_then(|t| parse_iso(t).ok())
        .filter(|t| (-9000..=9000).contains(&t.year()))
        .unwrap_or_else(fixed_instant);
    let node = str_field(&msg, "nodeAddress").unwrap_or(NODE_URL).to_owned();

    let Ok(signed_message) = serde_json::to_string(&Value::Object(msg)) else {
        return;
    };
    let session = &keys().session;
    let wire = SessionSig {
        sig: hex(&session.sign(signed_message.as_bytes())),
        derived_via: SESSION_DERIVED_VIA.to_owned(),
        signed_message,
        address: session.public_hex(),
        algo: Some(SESSION_ALGO.to_owned()),
    };
    if debug() {
        // The re-signed SessionSig, ready to replay against a node or `session_sig_parse`.
        eprintln!("session sig: {}", wire.to_json());
    }
    let unverified = UnverifiedSessionSig::from(wire);

    let verifier = match Verifier::new(&node, Policy::default(), FixedClock(now)) {
        Ok(v) => v,
        Err(_) => Verifier::new(NODE_URL, Policy::default(), FixedClock(now))
            .expect("the fixed node URL is valid"),
    };
    let result = verifier.verify(&unverified, &Request::any());
    if debug() {
        eprintln!("verify: {:?}", result.as_ref().map(|_| "ok").map_err(|e| e.to_string()));
    }
    if let Ok(session) = result {
        // Whatever verifies must describe itself without panicking.
        let _ = session.to_json();
        let _ = session.grants();
    }
});
