//! Lit resources, abilities, access-control hashing and the ReCaps inside the Lit SDK vectors
//! (`shared/vectors/lit/*.json`), reproduced byte for byte.
//!
//! The vectors directory is `../../../shared/vectors` from this crate, or `$SESSIONSIG_VECTORS`.
//! Every test counts the cases it ran, so a missing or emptied file fails.

use serde_json::Value;
use sessionsig::lit::{
    coverage, decryption_resource, hash_access_control_conditions, Coverage, LitAbility,
    LitResource, LitResourcePrefix,
};
use sessionsig::recap::{check_statement, statement_with_recap, Capability, Caveat};
use std::path::PathBuf;

fn vectors_dir() -> PathBuf {
    match std::env::var_os("SESSIONSIG_VECTORS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/vectors"
        )),
    }
}

fn read_json(rel: &str) -> Value {
    let path = vectors_dir().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// The statement and resources of a SIWE text, by a plain line scan (SPEC §3 layout).
fn scan_siwe(text: &str) -> (Option<String>, Option<Vec<String>>) {
    let lines: Vec<&str> = text.split('\n').collect();
    let uri_line = lines
        .iter()
        .position(|l| l.starts_with("URI: "))
        .expect("a URI line");
    let statement = match uri_line {
        4 => None,
        5 => Some(lines[3].to_string()),
        n => panic!("unexpected SIWE layout (URI on line {n})"),
    };
    let resources = lines.iter().position(|l| *l == "Resources:").map(|i| {
        lines[i + 1..]
            .iter()
            .map(|l| l.strip_prefix("- ").expect("a resource line").to_string())
            .collect()
    });
    (statement, resources)
}

/// Extract the ReCap of a SIWE text, check it re-encodes byte for byte and that the statement
/// ends with its text; returns it with the user statement part (before the ReCap text).
fn siwe_recap(text: &str) -> (Capability, Option<String>) {
    let (statement, resources) = scan_siwe(text);
    let cap = Capability::from_siwe_resources(resources.as_deref())
        .unwrap()
        .expect("a ReCap");
    let urn = resources.as_ref().and_then(|r| r.last()).unwrap();
    assert_eq!(&cap.encode(), urn, "re-encoding differs");
    check_statement(statement.as_deref(), &cap).unwrap();
    let statement = statement.unwrap();
    let recap_text = cap.statement();
    let user = if statement == recap_text {
        None
    } else {
        let user = statement
            .strip_suffix(&recap_text)
            .and_then(|u| u.strip_suffix(' '))
            .expect("user statement, one space, ReCap text");
        Some(user.to_owned())
    };
    assert_eq!(statement_with_recap(user.as_deref(), &cap), statement);
    (cap, user)
}

/// Every `resourceAbilityRequests` entry of a SessionSig's signed message (either wire order).
fn requests(signed_message: &str) -> Vec<(LitResource, LitAbility)> {
    let m: Value = serde_json::from_str(signed_message).unwrap();
    m["resourceAbilityRequests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let prefix: LitResourcePrefix = s(&r["resource"]["resourcePrefix"]).parse().unwrap();
            let resource = LitResource::new(prefix, s(&r["resource"]["resource"])).unwrap();
            let ability: LitAbility = s(&r["ability"]).parse().unwrap();
            (resource, ability)
        })
        .collect()
}

fn capabilities(signed_message: &str) -> Vec<Value> {
    let m: Value = serde_json::from_str(signed_message).unwrap();
    m["capabilities"].as_array().unwrap().clone()
}

#[test]
fn v7_resources_and_recap() {
    let v = read_json("lit/vectors-v7.json");
    let inputs = &v["inputs"];

    // Access control condition hash and decryption resource.
    let acc_hash = hash_access_control_conditions(&inputs["acc"]).unwrap();
    assert_eq!(hex::encode(acc_hash), s(&v["accHashHex"]));
    let acc = decryption_resource(&inputs["acc"], s(&inputs["dataToEncrypt"]).as_bytes()).unwrap();
    assert_eq!(acc.key(), s(&v["accResourceKey"]));
    assert_eq!(
        acc.id().split_once('/').unwrap(),
        (s(&v["accHashHex"]), s(&v["dataToEncryptHash"]))
    );
    assert_eq!(LitResource::parse(s(&v["accResourceKey"])).unwrap(), acc);

    // PKP resource from token id 0x1234.
    let pkp = LitResource::pkp("0x1234").unwrap();
    assert_eq!(pkp.key(), s(&v["pkpResourceKey"]));

    // The ReCap the SDK built from the three resources.
    let action = LitResource::wildcard(LitResourcePrefix::LitAction);
    let mut cap = Capability::new();
    cap.add_lit_grant(
        &acc,
        LitAbility::AccessControlConditionDecryption,
        Caveat::new(),
    )
    .unwrap();
    cap.add_lit_grant(&action, LitAbility::LitActionExecution, Caveat::new())
        .unwrap();
    cap.add_lit_grant(&pkp, LitAbility::PkpSigning, Caveat::new())
        .unwrap();
    assert_eq!(cap.to_jcs(), s(&v["recapJson"]));

    // The SIWE text: URN and statement.
    let siwe = s(&v["siweText"]);
    assert_eq!(siwe, s(&v["authSig"]["signedMessage"]));
    let (from_siwe, user) = siwe_recap(siwe);
    assert_eq!(from_siwe, cap);
    assert!(siwe.contains(&format!("\n- {}", cap.encode())));
    assert_eq!(
        user.as_deref(),
        Some("This is a test statement.  You can put anything you want here.")
    );
    let line = format!(
        "\n{}\n",
        statement_with_recap(
            Some("This is a test statement.  You can put anything you want here."),
            &cap
        )
    );
    assert!(siwe.contains(&line));

    // Every request of the SessionSig is covered by the session's ReCap.
    let reqs = requests(s(&v["sessionSig"]["signedMessage"]));
    assert_eq!(reqs.len(), 3);
    for (resource, ability) in &reqs {
        assert!(
            coverage(&cap, resource, *ability).is_granted(),
            "{resource} {ability}"
        );
    }
    // ...and nothing more: the PKP grant is for one id only, the ACC grant is decryption only.
    let any_pkp = LitResource::wildcard(LitResourcePrefix::Pkp);
    assert_eq!(
        coverage(&cap, &any_pkp, LitAbility::PkpSigning),
        Coverage::Denied
    );
    assert_eq!(
        coverage(&cap, &acc, LitAbility::AccessControlConditionSigning),
        Coverage::Denied
    );
}

#[test]
fn v8_naga_recap() {
    let v = read_json("lit/vectors-v8-naga.json");
    let siwe = s(&v["siwe"]);
    assert_eq!(siwe, s(&v["authSig"]["signedMessage"]));
    let (cap, user) = siwe_recap(siwe);
    // v8 writes an empty user statement, hence the leading space.
    assert_eq!(user.as_deref(), Some(""));
    assert!(siwe.contains(&format!("\n\n {}\n\n", cap.statement())));

    let mut expected = Capability::new();
    expected
        .add_lit_grant(
            &LitResource::wildcard(LitResourcePrefix::LitAction),
            LitAbility::LitActionExecution,
            Caveat::new(),
        )
        .unwrap();
    expected
        .add_lit_grant(
            &LitResource::wildcard(LitResourcePrefix::Pkp),
            LitAbility::PkpSigning,
            Caveat::new(),
        )
        .unwrap();
    assert_eq!(cap, expected);

    let signed = s(&v["sessionSig"]["signedMessage"]);
    let reqs = requests(signed);
    assert_eq!(reqs.len(), 2);
    for (resource, ability) in &reqs {
        assert!(coverage(&cap, resource, *ability).is_granted());
    }
    // The embedded AuthSig is the same message.
    let caps = capabilities(signed);
    assert_eq!(caps.len(), 1);
    assert_eq!(s(&caps[0]["signedMessage"]), siwe);
}

#[test]
fn v7_example_with_delegation() {
    let v = read_json("lit/example-v7.json");
    let mut cases = 0;

    let (session_cap, _) = siwe_recap(s(&v["siwe"]));
    assert_eq!(s(&v["siwe"]), s(&v["authSig"]["signedMessage"]));
    cases += 1;

    let (delegation_cap, user) = siwe_recap(s(&v["delegationAuthSig"]["signedMessage"]));
    assert!(user.is_some());
    let r = LitResource::new(LitResourcePrefix::RateLimitIncrease, "24529").unwrap();
    match coverage(&delegation_cap, &r, LitAbility::RateLimitIncreaseAuth) {
        Coverage::Granted {
            key,
            ability_key,
            caveats,
        } => {
            assert_eq!(key, "lit-ratelimitincrease://24529");
            assert_eq!(ability_key, "Auth/Auth");
            assert_eq!(caveats.len(), 1);
            let c = &caveats[0];
            assert_eq!(
                c.get("delegate_to"),
                Some(&serde_json::json!([
                    "70997970C51812dc3A010C7d01b50e0d17dc79C8"
                ]))
            );
            assert_eq!(c.get("nft_id"), Some(&serde_json::json!(["24529"])));
            assert_eq!(c.get("uses"), Some(&serde_json::json!("200")));
        }
        Coverage::Denied => panic!("delegation must grant its token"),
    }
    // The delegation does not grant other tokens.
    let other = LitResource::new(LitResourcePrefix::RateLimitIncrease, "1").unwrap();
    assert!(!coverage(&delegation_cap, &other, LitAbility::RateLimitIncreaseAuth).is_granted());
    cases += 1;

    for (node, sig) in v["sessionSigs"].as_object().unwrap() {
        let signed = s(&sig["signedMessage"]);
        let caps = capabilities(signed);
        // Delegation first, session AuthSig last.
        assert_eq!(caps.len(), 2, "{node}");
        assert_eq!(
            s(&caps[0]["signedMessage"]),
            s(&v["delegationAuthSig"]["signedMessage"])
        );
        let (last_cap, _) = siwe_recap(s(&caps[1]["signedMessage"]));
        assert_eq!(last_cap, session_cap);
        for (resource, ability) in requests(signed) {
            assert!(
                coverage(&session_cap, &resource, ability).is_granted(),
                "{node}: {resource} {ability}"
            );
        }
        cases += 1;
    }
    assert!(cases >= 3, "{cases} cases");
}

#[test]
fn sdk_session_sigs_bundles() {
    let mut recaps = 0;
    for file in [
        "lit/session-sigs-valid.json",
        "lit/session-sigs-expired.json",
    ] {
        let v = read_json(file);
        let nodes = v.as_object().unwrap();
        assert_eq!(nodes.len(), 9, "{file}");
        for (node, sig) in nodes {
            let signed = s(&sig["signedMessage"]);
            let caps = capabilities(signed);
            let mut session_cap = None;
            for c in &caps {
                let (cap, _) = siwe_recap(s(&c["signedMessage"]));
                session_cap = Some(cap);
                recaps += 1;
            }
            // The session AuthSig (last) covers every request.
            let session_cap = session_cap.expect("at least one capability");
            for (resource, ability) in requests(signed) {
                assert!(
                    coverage(&session_cap, &resource, ability).is_granted(),
                    "{file} {node}: {resource} {ability}"
                );
            }
        }
    }
    assert!(recaps >= 18, "{recaps} ReCaps checked");
}
