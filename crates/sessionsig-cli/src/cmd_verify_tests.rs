//! `verify`'s result lines, written by hand, against the tree-built form they replace.

use super::*;
use serde_json::json;
use sessionsig::auth_sig::{capacity_delegation_caveat, AuthSig, SiweRecapParams, DELEGATION_URI};
use sessionsig::lit::{LitAbility, LitResource, ResourceAbilityRequest};
use sessionsig::recap::{Capability, Caveat};
use sessionsig::session::{SessionKeyPair, SessionSigParams, WireFormat};
use sessionsig::time::{parse_rfc3339, Timestamp};
use sessionsig::wallet::{LocalWallet, WalletSigner};

const NODE: &str = "http://127.0.0.1:7470";

fn start() -> OffsetDateTime {
    parse_rfc3339("2025-06-01T00:00:00Z").unwrap()
}

fn auth_sig(wallet: &LocalWallet, uri: String, cap: Capability) -> AuthSig {
    AuthSig::create(
        wallet,
        &SiweRecapParams {
            domain: "localhost".into(),
            uri,
            statement: None,
            nonce: "0xabababababababababab".into(),
            chain_id: 1,
            issued_at: Timestamp::from_instant(start()),
            expiration: Some(Timestamp::from_instant(start() + Duration::days(1))),
            not_before: None,
            capability: cap,
        },
    )
    .unwrap()
}

/// The JSON of the SessionSig `key` signs for each of `nodes`, as a map.
fn session_sigs(key: &SessionKeyPair, caps: &[AuthSig], nodes: &[&str]) -> String {
    let requests = [
        ResourceAbilityRequest::new(
            LitResource::parse("lit-pkp://*").unwrap(),
            LitAbility::PkpSigning,
        )
        .unwrap(),
        ResourceAbilityRequest::new(
            LitResource::parse("lit-litaction://*").unwrap(),
            LitAbility::LitActionExecution,
        )
        .unwrap(),
    ];
    key.sign_session_sigs(
        &SessionSigParams {
            requests: &requests,
            capabilities: caps,
            issued_at: start(),
            expiration: start() + Duration::hours(1),
            format: WireFormat::V7,
        },
        nodes,
    )
    .unwrap()
    .to_json()
}

/// Inputs that cover every kind of result line: valid (plain, with caveats that need
/// escapes, from a map, with a delegation, pretty-printed), refused by the verifier, not a
/// SessionSig, not JSON, truncated at the end.
fn inputs() -> String {
    let wallet = LocalWallet::from_bytes(&[0x11; 32]).unwrap();
    let owner = LocalWallet::from_bytes(&[0x33; 32]).unwrap();
    let key = SessionKeyPair::from_seed(&[0x22; 32]);
    let mut cap = Capability::new();
    let mut odd = Caveat::new();
    odd.insert(
        "note".into(),
        json!("quote \" backslash \\ newline \n nul \u{0} del \u{7f} é 🙂"),
    );
    odd.insert("n".into(), json!([1, -2.5, 1e21, null, true, {"k": "v"}]));
    // Caveat objects are alternatives: `{}` is satisfied, the odd one is only printed.
    cap.add_ability("lit-pkp://*", "Threshold/Signing", vec![odd, Caveat::new()])
        .unwrap();
    cap.add_ability(
        "lit-litaction://*",
        "Threshold/Execution",
        vec![Caveat::new()],
    )
    .unwrap();
    let auth = auth_sig(
        &wallet,
        SiweRecapParams::session_uri(&key.public_hex()),
        cap,
    );
    let mut capacity = Capability::new();
    let delegate = format!("{:x}", wallet.address());
    capacity
        .add_ability(
            "lit-ratelimitincrease://42",
            "Auth/Auth",
            vec![capacity_delegation_caveat(Some("42"), &[delegate], None)],
        )
        .unwrap();
    let delegation = auth_sig(&owner, DELEGATION_URI.into(), capacity);

    let map = session_sigs(
        &key,
        std::slice::from_ref(&auth),
        &[NODE, "http://127.0.0.1:7471"],
    );
    let map_value: Value = serde_json::from_str(&map).unwrap();
    let plain = map_value[NODE].to_string();
    let other_node = map_value["http://127.0.0.1:7471"].to_string();
    let delegated: Value =
        serde_json::from_str(&session_sigs(&key, &[delegation, auth], &[NODE])).unwrap();
    let delegated = delegated[NODE].to_string();
    let pretty = serde_json::to_string_pretty(&map_value[NODE]).unwrap();
    // A field no parse into a number could hold: ignored in a SessionSig, refused in a tree.
    let huge = plain.replacen('{', "{\"x\": 1e400, ", 1);
    let huge_pretty = pretty.replacen('{', "{\n  \"x\": 1e400,", 1);
    let mut forged: Value = map_value[NODE].clone();
    let sig = forged["sig"].as_str().unwrap().to_owned();
    forged["sig"] = json!(format!(
        "{}{}",
        if &sig[..1] == "0" { "1" } else { "0" },
        &sig[1..]
    ));
    let mut escaped_message: Value = map_value[NODE].clone();
    escaped_message["signedMessage"] = json!("{\"a\":\"\\u0001 \\\" \\\\\"}");
    let mut bad_key: Value = map_value[NODE].clone();
    bad_key["address"] = json!("not hex \"\t\"");

    [
        plain.clone(),
        plain, // warm: the AuthSig is cached now
        map.clone(),
        map.replace("127.0.0.1:7470", "127.0.0.1:7479"), // no entry for this node
        String::new(),
        pretty,
        "   ".into(),
        huge,
        huge_pretty,
        delegated,
        other_node,
        forged.to_string(),
        escaped_message.to_string(),
        bad_key.to_string(),
        "{\"sig\": tru}".into(),
        "[1e400, tru]".into(),
        "1e400".into(),
        "42".into(),
        "\"a string \\\" with \\n escapes\"".into(),
        "{}{}".into(),
        "{\"sig\":\"a\",\"sig\":\"b\"}".into(),
        "{\"http://127.0.0.1:7470\": 7}".into(),
        "{\"http://127.0.0.1:7470\": \"a \\\" quote\"}".into(),
        "{\"unterminated\": \"at the end".into(),
    ]
    .join("\n")
}

/// The old `verify`, verbatim but for the output: a syntax pass, then the tree.
mod tree {
    use super::*;

    fn invalid(code: &str, error: impl Into<String>) -> Value {
        json!({"valid": false, "code": code, "error": error.into()})
    }

    fn verify_one<C: Clock>(
        verifier: &Verifier<C>,
        request: &Request,
        input: Result<&str, String>,
    ) -> Value {
        let text = match input {
            Ok(t) => t,
            Err(e) => return invalid("invalid_json", e),
        };
        let (node_key, unverified) = match serde_json::from_str::<SessionSig>(text) {
            Ok(s) => (None, UnverifiedSessionSig::from(s)),
            Err(_) => {
                let value = match serde_json::from_str::<Value>(text) {
                    Ok(v) => v,
                    Err(e) => return invalid("invalid_json", e.to_string()),
                };
                let (node_key, sig_value) = match pick(verifier, value) {
                    Ok(x) => x,
                    Err((code, error)) => return invalid(code, error),
                };
                match serde_json::from_value::<SessionSig>(sig_value) {
                    Ok(s) => (node_key, UnverifiedSessionSig::from(s)),
                    Err(e) => return invalid("session_sig_malformed", e.to_string()),
                }
            }
        };
        match verifier.verify(&unverified, request) {
            Ok(session) => {
                let mut v = session.to_json();
                if let Some(o) = v.as_object_mut() {
                    o.insert("valid".into(), true.into());
                    if let Some(k) = node_key {
                        o.insert("mapKey".into(), k.into());
                    }
                }
                v
            }
            Err(e) => invalid(e.code(), e.to_string()),
        }
    }

    /// The lines the old `verify` printed for `text`.
    pub fn lines<C: Clock>(verifier: &Verifier<C>, request: &Request, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut pending = String::new();
        for line in text.split_inclusive('\n') {
            pending.push_str(line);
            if pending.trim().is_empty() {
                pending.clear();
                continue;
            }
            match serde_json::from_str::<serde::de::IgnoredAny>(&pending) {
                Ok(_) => {
                    out.push(verify_one(verifier, request, Ok(&pending)).to_string());
                    pending.clear();
                }
                Err(e) if e.is_eof() => continue,
                Err(e) => {
                    pending.clear();
                    out.push(verify_one(verifier, request, Err(e.to_string())).to_string());
                }
            }
        }
        if !pending.trim().is_empty() {
            let e = serde_json::from_str::<Value>(&pending)
                .err()
                .map(|e| e.to_string());
            let e = e.unwrap_or_else(|| "unexpected end of input".into());
            out.push(verify_one(verifier, request, Err(e)).to_string());
        }
        out
    }
}

fn verifier() -> Verifier<FixedClock> {
    Verifier::new(
        NODE,
        Policy::default(),
        FixedClock(start() + Duration::minutes(5)),
    )
    .unwrap()
}

/// Every line `verify` writes is the line the JSON tree gave, byte for byte, and parses to
/// the same value; the inputs include valid and refused SessionSigs and strings that need
/// escapes (in caveats, error messages and map keys).
#[test]
fn verify_output_matches_the_json_tree() {
    let text = inputs();
    let request = Request::any();
    let mut out = Vec::new();
    let (seen, all_valid) =
        verify_stream(&verifier(), &request, text.as_bytes(), &mut out).unwrap();
    let ours: Vec<&str> = std::str::from_utf8(&out).unwrap().lines().collect();
    let theirs = tree::lines(&verifier(), &request, &text);
    assert_eq!(seen, theirs.len());
    assert!(!all_valid);
    assert_eq!(ours.len(), theirs.len());
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(
            serde_json::from_str::<Value>(a).unwrap(),
            serde_json::from_str::<Value>(b).unwrap()
        );
        assert_eq!(a, b);
    }
    // The inputs reach every kind of line, and lines with escapes.
    let valid = ours.iter().filter(|l| l.contains("\"valid\":true")).count();
    assert_eq!(valid, 7, "{ours:#?}");
    assert!(ours.iter().any(|l| l.contains("\"mapKey\":")));
    assert!(ours.iter().any(|l| l.contains("\"delegations\":[{")));
    assert!(ours.iter().any(|l| l.contains("\"valid\":true")
        && l.contains(r#"quote \" backslash \\ newline \n nul \u0000"#)));
    for code in [
        "node_not_in_map",
        "invalid_json",
        "session_sig_malformed",
        "bad_session_signature",
    ] {
        assert!(
            ours.iter()
                .any(|l| l.contains(&format!("\"code\":\"{code}\""))),
            "no {code} in {ours:#?}"
        );
    }
    assert!(ours
        .iter()
        .any(|l| l.contains("\"valid\":false") && l.contains("\\\"")));
}

/// Only valid inputs: `verify_stream` says so.
#[test]
fn all_valid_when_every_line_verifies() {
    let text = inputs();
    let first = text.lines().next().unwrap();
    let text = format!("{first}\n{first}\n");
    let mut out = Vec::new();
    let (seen, all_valid) =
        verify_stream(&verifier(), &Request::any(), text.as_bytes(), &mut out).unwrap();
    assert_eq!((seen, all_valid), (2, true));
}
