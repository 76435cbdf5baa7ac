//! The EIP-4361 module against the public SIWE conformance vectors in `../shared/vectors/siwe/`
//! and the example messages of the EIP in `../shared/vectors/eip-4361/`.
//!
//! Every case of every file is run; failures are collected and reported together by case name,
//! and each file's case count is asserted so that a missing or truncated file cannot pass.
//! Set `SESSIONSIG_VECTORS` to use another copy of the vectors.

use serde_json::{Map, Value};
use sessionsig::siwe::{self, abnf, SiweMessage, VerifyOptions};
use sessionsig::time::{parse_rfc3339, Duration, OffsetDateTime};
use std::path::PathBuf;

fn vectors_dir() -> PathBuf {
    std::env::var_os("SESSIONSIG_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/vectors"
            ))
        })
}

/// The cases of `siwe/<file>`, asserting there are exactly `expected` of them.
fn cases(file: &str, expected: usize) -> Map<String, Value> {
    let path = vectors_dir().join("siwe").join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let value: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    let Value::Object(map) = value else {
        panic!("{} is not a JSON object", path.display())
    };
    assert_eq!(map.len(), expected, "{file}: number of cases");
    map
}

/// Collects failures so one run reports every failing case.
#[derive(Default)]
struct Failures(Vec<String>);

impl Failures {
    fn check(&mut self, file: &str, case: &str, ok: bool, detail: impl FnOnce() -> String) {
        if !ok {
            self.0.push(format!("{file} / {case}: {}", detail()));
        }
    }

    fn assert_none(self) {
        assert!(
            self.0.is_empty(),
            "{} failing case(s):\n  {}",
            self.0.len(),
            self.0.join("\n  ")
        );
    }
}

/// A vector's expected field object with `null` entries dropped (absent and `null` are the same).
fn without_nulls(fields: &Value) -> Value {
    match fields {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn str_field<'a>(case: &'a Value, key: &str) -> &'a str {
    case.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("case has no string `{key}`"))
}

#[test]
fn parsing_positive() {
    let file = "parsing_positive.json";
    let mut f = Failures::default();
    for (name, case) in cases(file, 19) {
        let text = str_field(&case, "message");
        let expected = without_nulls(&case["fields"]);
        match SiweMessage::parse(text) {
            Ok(m) => {
                f.check(file, &name, m.to_json() == expected, || {
                    format!("fields {} != expected {}", m.to_json(), expected)
                });
                f.check(file, &name, m.to_message() == text, || {
                    format!("re-formatted text differs: {:?}", m.to_message())
                });
                let from_fields = SiweMessage::from_json(&case["fields"]);
                f.check(file, &name, from_fields.as_ref() == Ok(&m), || {
                    format!("from_json(fields) gave {from_fields:?}")
                });
            }
            Err(e) => f.check(file, &name, false, || format!("refused: {e}")),
        }
    }
    f.assert_none();
}

#[test]
fn parsing_negative() {
    let file = "parsing_negative.json";
    let mut f = Failures::default();
    for (name, case) in cases(file, 29) {
        let text = case
            .as_str()
            .unwrap_or_else(|| panic!("{name}: not a string"));
        let result = SiweMessage::parse(text);
        f.check(file, &name, result.is_err(), || {
            format!("accepted: {result:?}")
        });
        if let Err(e) = result {
            f.check(file, &name, e.code() == "siwe_syntax", || {
                format!("expected a siwe_syntax error, got {e:?}")
            });
        }
    }
    f.assert_none();
}

#[test]
fn parsing_negative_objects() {
    let file = "parsing_negative_objects.json";
    let mut f = Failures::default();
    for (name, case) in cases(file, 18) {
        let result = SiweMessage::from_json(&case);
        f.check(file, &name, result.is_err(), || {
            format!("accepted: {result:?}")
        });
    }
    f.assert_none();
}

#[test]
fn message_objects() {
    let file = "message_objects.json";
    let mut f = Failures::default();
    for (name, case) in cases(file, 13) {
        let expected_error = str_field(&case, "error");
        let result = SiweMessage::from_json(&case["msg"]);
        if expected_error == "none" {
            match result {
                Ok(m) => {
                    let text = m.to_message();
                    let reparsed = SiweMessage::parse(&text);
                    f.check(file, &name, reparsed.as_ref() == Ok(&m), || {
                        format!("to_message does not parse back: {reparsed:?}")
                    });
                    f.check(file, &name, m.to_json() == case["msg"], || {
                        format!("to_json {} differs from the object", m.to_json())
                    });
                }
                Err(e) => f.check(file, &name, false, || format!("refused: {e}")),
            }
        } else {
            let field = match expected_error {
                "invalid EIP-55 address" => "address",
                "invalid resource URI" => "resources",
                e if e.contains("issued-at") => "issuedAt",
                e if e.contains("expiration-time") => "expirationTime",
                e if e.contains("not-before") => "notBefore",
                other => panic!("{name}: unknown expected error `{other}`"),
            };
            let ok = matches!(&result, Err(sessionsig::Error::SiweField { field: got, .. }) if *got == field);
            f.check(file, &name, ok, || {
                format!("expected a `{field}` field error ({expected_error}), got {result:?}")
            });
        }
    }
    f.assert_none();
}

#[test]
fn valid_specification() {
    let file = "valid_specification.json";
    let mut f = Failures::default();
    for (name, case) in cases(file, 9) {
        let text = str_field(&case, "msg");
        let items = &case["items"];
        let m = match SiweMessage::parse(text) {
            Ok(m) => m,
            Err(e) => {
                f.check(file, &name, false, || format!("refused: {e}"));
                continue;
            }
        };
        let as_opt_str = |v: &Value| v.as_str().map(str::to_owned);
        let resources = items["resources"].as_array().map(|a| {
            a.iter()
                .map(|r| r.as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
        });
        f.check(
            file,
            &name,
            m.statement == as_opt_str(&items["statement"]),
            || format!("statement {:?}", m.statement),
        );
        f.check(
            file,
            &name,
            m.request_id == as_opt_str(&items["requestId"]),
            || format!("request id {:?}", m.request_id),
        );
        f.check(file, &name, m.resources == resources, || {
            format!("resources {:?}", m.resources)
        });
        f.check(file, &name, m.to_message() == text, || {
            format!("re-formatted text differs: {:?}", m.to_message())
        });
    }
    f.assert_none();
}

/// A verification case: the message built from its fields, and the options it asks for.
struct VerificationCase {
    message: Result<SiweMessage, sessionsig::Error>,
    signature: String,
    opts: VerifyOptions,
}

fn verification_case(case: &Value) -> VerificationCase {
    let mut fields = case.as_object().cloned().unwrap_or_default();
    let signature = fields
        .remove("signature")
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    // Without an explicit `time` the vectors mean "now".
    let now = fields
        .remove("time")
        .and_then(|v| v.as_str().map(|t| parse_rfc3339(t).expect("case time")))
        .unwrap_or_else(OffsetDateTime::now_utc);
    let domain = fields
        .remove("domainBinding")
        .and_then(|v| v.as_str().map(str::to_owned));
    let nonce = fields
        .remove("matchNonce")
        .and_then(|v| v.as_str().map(str::to_owned));
    VerificationCase {
        message: SiweMessage::from_json(&Value::Object(fields)),
        signature,
        opts: VerifyOptions {
            now,
            skew: Duration::ZERO,
            domain,
            nonce,
        },
    }
}

/// Positive cases we refuse on purpose, with the error code we give instead.
///
/// `expired message` is verified "as of" 2020-01-05, but it was issued on 2022-01-05 (and expires
/// on 2021-01-05, before its own issue time). The reference implementation does not compare
/// `issuedAt` with the verification time; SPEC §3 requires `issued_at <= now + skew`, so no
/// instant makes this message valid here.
const POSITIVE_DEVIATIONS: &[(&str, &str)] = &[("expired message", "siwe_issued_in_future")];

#[test]
fn verification_positive() {
    let file = "verification_positive.json";
    let mut f = Failures::default();
    for (name, case) in cases(file, 4) {
        let c = verification_case(&case);
        let m = match c.message {
            Ok(m) => m,
            Err(e) => {
                f.check(file, &name, false, || format!("fields refused: {e}"));
                continue;
            }
        };
        let text = m.to_message();
        // The signature itself is good in every positive case.
        let sig = siwe::verify_signature(text.as_bytes(), &c.signature, m.address);
        f.check(file, &name, sig.is_ok(), || {
            format!("signature refused: {sig:?}")
        });
        let result = siwe::verify(&text, &c.signature, &c.opts);
        match POSITIVE_DEVIATIONS.iter().find(|(n, _)| *n == name) {
            None => f.check(file, &name, result.as_ref() == Ok(&m), || {
                format!("refused: {result:?}")
            }),
            Some((_, code)) => f.check(
                file,
                &name,
                result.as_ref().err().map(sessionsig::Error::code) == Some(code),
                || format!("documented deviation: expected error `{code}`, got {result:?}"),
            ),
        }
    }
    f.assert_none();
}

#[test]
fn verification_negative() {
    let file = "verification_negative.json";
    let expected_codes = [
        ("expired message", "siwe_expired"),
        ("domain binding", "siwe_domain_mismatch"),
        ("custom time", "siwe_expired"),
        ("custom nonce", "siwe_nonce_mismatch"),
        ("malformed signature", "malformed_signature"),
        ("wrong signature", "signer_mismatch"),
        ("not yet valid", "siwe_not_yet_valid"),
        ("invalid issuedAt", "siwe_invalid_field"),
        ("invalid notBefore", "siwe_invalid_field"),
        ("invalid expirationTime", "siwe_invalid_field"),
    ];
    let mut f = Failures::default();
    for (name, case) in cases(file, 10) {
        let c = verification_case(&case);
        let result = c
            .message
            .and_then(|m| siwe::verify(&m.to_message(), &c.signature, &c.opts));
        match result {
            Ok(_) => f.check(file, &name, false, || "verified".to_owned()),
            Err(e) => {
                if let Some((_, code)) = expected_codes.iter().find(|(n, _)| *n == name) {
                    f.check(file, &name, e.code() == *code, || {
                        format!("expected `{code}`, got {e:?}")
                    });
                }
            }
        }
    }
    f.assert_none();
}

#[test]
fn eip1271_messages_parse_but_are_not_eoa_signatures() {
    let file = "eip1271.json";
    let mut f = Failures::default();
    for (name, case) in cases(file, 2) {
        let text = str_field(&case, "message");
        match SiweMessage::parse(text) {
            Ok(m) => {
                f.check(file, &name, m.to_message() == text, || {
                    "round trip".to_owned()
                });
                // A contract wallet's signature is checked on chain (ERC-1271), never as an EOA's.
                let result = siwe::verify_signature(
                    text.as_bytes(),
                    str_field(&case, "signature"),
                    m.address,
                );
                f.check(file, &name, result.is_err(), || {
                    "verified as an EOA".to_owned()
                });
            }
            Err(e) => f.check(file, &name, false, || format!("refused: {e}")),
        }
    }
    f.assert_none();
}

fn chars(file: &str, count: usize) {
    let mut f = Failures::default();
    for (name, case) in cases(file, count) {
        let rule = str_field(&case, "rule");
        let input = str_field(&case, "input");
        let answer = case["answer"].as_bool().expect("answer");
        let got = abnf::matches_rule(rule, input);
        f.check(file, &name, got == Some(answer), || {
            format!("rule `{rule}` on {input:?}: got {got:?}, expected {answer}")
        });
    }
    f.assert_none();
}

#[test]
fn valid_chars() {
    chars("valid_chars.json", 8);
}

#[test]
fn invalid_chars() {
    chars("invalid_chars.json", 40);
}

#[test]
fn valid_uris() {
    let file = "valid_uris.json";
    let mut f = Failures::default();
    for (name, case) in cases(file, 36) {
        let text = str_field(&case, "msg");
        let m = match SiweMessage::parse(text) {
            Ok(m) => m,
            Err(e) => {
                f.check(file, &name, false, || format!("refused: {e}"));
                continue;
            }
        };
        f.check(file, &name, m.to_message() == text, || {
            "round trip".to_owned()
        });
        let Some(parts) = abnf::parse_uri(&m.uri) else {
            f.check(file, &name, false, || {
                format!("parse_uri refused {}", m.uri)
            });
            continue;
        };
        // The expected components are those of the `uri-js` package: IPv6 hosts without
        // brackets, a present port as a number.
        let auth = parts.authority;
        let host = auth.map(|a| {
            a.host
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .unwrap_or(a.host)
                .to_owned()
        });
        let port = auth.and_then(|a| a.port).map(|p| match p.parse::<u64>() {
            Ok(n) => Value::from(n),
            Err(_) => Value::from(p),
        });
        let opt = |o: Option<&str>| o.map_or(Value::Null, Value::from);
        let actual = [
            ("scheme", Value::from(parts.scheme)),
            ("userinfo", opt(auth.and_then(|a| a.userinfo))),
            ("host", host.map_or(Value::Null, Value::from)),
            ("port", port.unwrap_or(Value::Null)),
            ("path", Value::from(parts.path)),
            ("query", opt(parts.query)),
            ("fragment", opt(parts.fragment)),
        ];
        let expected = case["uri"].as_object().expect("uri object");
        for (key, value) in &actual {
            if let Some(want) = expected.get(*key) {
                f.check(file, &name, want == value, || {
                    format!("component `{key}`: got {value}, expected {want}")
                });
            }
        }
    }
    f.assert_none();
}

fn all_refused(file: &str, count: usize) {
    let mut f = Failures::default();
    for (name, case) in cases(file, count) {
        let text = case
            .as_str()
            .unwrap_or_else(|| panic!("{name}: not a string"));
        let result = SiweMessage::parse(text);
        f.check(file, &name, result.is_err(), || {
            format!("accepted: {result:?}")
        });
    }
    f.assert_none();
}

#[test]
fn invalid_uris() {
    all_refused("invalid_uris.json", 16);
}

#[test]
fn valid_resources() {
    let file = "valid_resources.json";
    let mut f = Failures::default();
    for (name, case) in cases(file, 8) {
        let text = str_field(&case, "msg");
        let expected: Vec<String> = case["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .map(|r| r.as_str().expect("resource").to_owned())
            .collect();
        match SiweMessage::parse(text) {
            Ok(m) => {
                f.check(file, &name, m.resources.as_ref() == Some(&expected), || {
                    format!("resources {:?}", m.resources)
                });
                f.check(file, &name, m.to_message() == text, || {
                    "round trip".to_owned()
                });
            }
            Err(e) => f.check(file, &name, false, || format!("refused: {e}")),
        }
    }
    f.assert_none();
}

#[test]
fn invalid_resources() {
    all_refused("invalid_resources.json", 16);
}

#[test]
fn eip_4361_examples() {
    let dir = vectors_dir().join("eip-4361");
    let mut seen = 0;
    let mut f = Failures::default();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&path).expect("read example");
        seen += 1;
        match SiweMessage::parse(&text) {
            Ok(m) => {
                f.check("eip-4361", &name, m.to_message() == text, || {
                    "round trip".to_owned()
                });
                f.check(
                    "eip-4361",
                    &name,
                    m.resources.as_ref().map(Vec::len) == Some(2),
                    || format!("resources {:?}", m.resources),
                );
            }
            Err(e) => f.check("eip-4361", &name, false, || format!("refused: {e}")),
        }
    }
    assert_eq!(seen, 3, "number of EIP-4361 example messages");
    f.assert_none();
}

/// Every SIWE text found anywhere else in the vectors (Lit SDK output, ReCap examples, nested
/// inside SessionSig JSON strings), with every wallet AuthSig's EIP-191 signature next to it.
#[derive(Default)]
struct Found {
    /// (where, text)
    messages: Vec<(String, String)>,
    /// (where, signedMessage, sig, address)
    auth_sigs: Vec<(String, String, String, String)>,
}

fn visit(v: &Value, at: &str, found: &mut Found) {
    match v {
        Value::String(s) if s.contains(" wants you to sign in with your Ethereum account:\n") => {
            found.messages.push((at.to_owned(), s.clone()));
        }
        Value::String(s) if s.starts_with('{') => {
            if let Ok(inner) = serde_json::from_str::<Value>(s) {
                visit(&inner, at, found);
            }
        }
        Value::Object(m) => {
            if m.get("derivedVia").and_then(Value::as_str) == Some("web3.eth.personal.sign") {
                let get = |k: &str| {
                    m.get(k)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                found.auth_sigs.push((
                    at.to_owned(),
                    get("signedMessage"),
                    get("sig"),
                    get("address"),
                ));
            }
            for (k, x) in m {
                visit(x, &format!("{at}/{k}"), found);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                visit(x, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

fn walk(root: &std::path::Path, dir: &std::path::Path, found: &mut Found) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let at = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        if path.is_dir() {
            // `siwe/` holds negative cases too; the tests above cover it.
            if path.file_name().is_some_and(|n| n != "siwe") {
                walk(root, &path, found);
            }
        } else if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).expect("read");
            let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{at}: {e}"));
            visit(&v, &at, found);
        } else if path.extension().is_some_and(|e| e == "txt") {
            let text = std::fs::read_to_string(&path).expect("read");
            // The ReCap crate's `.txt` files end with the editor's newline, which is not part of
            // the message (EIP-4361 has no trailing newline).
            let text = text.strip_suffix('\n').unwrap_or(&text).to_owned();
            visit(&Value::String(text), &at, found);
        }
    }
}

#[test]
fn siwe_texts_elsewhere_in_the_vectors() {
    let mut found = Found::default();
    let root = vectors_dir();
    walk(&root, &root, &mut found);
    let mut f = Failures::default();
    for (at, text) in &found.messages {
        match SiweMessage::parse(text) {
            Ok(m) => f.check(at, "", m.to_message() == *text, || "round trip".to_owned()),
            Err(e) => f.check(at, "", false, || format!("refused: {e}")),
        }
    }
    for (at, text, sig, address) in &found.auth_sigs {
        let result = SiweMessage::parse(text).and_then(|m| {
            f.check(
                at,
                "AuthSig",
                m.address.to_checksum(None) == *address,
                || {
                    format!(
                        "AuthSig address {address} differs from the SIWE address {}",
                        m.address
                    )
                },
            );
            siwe::verify_signature(text.as_bytes(), sig, m.address)
        });
        // `session-sigs-expired.json` had its dates edited after signing: every signature fails.
        if at.contains("session-sigs-expired") {
            let mismatch = matches!(result, Err(sessionsig::Error::SignerMismatch { .. }));
            f.check(at, "AuthSig", mismatch, || {
                format!("edited AuthSig: {result:?}")
            });
        } else {
            f.check(at, "AuthSig", result.is_ok(), || {
                format!("signature refused: {result:?}")
            });
        }
    }
    assert!(
        found.messages.len() >= 50,
        "found only {} SIWE texts",
        found.messages.len()
    );
    assert!(
        found.auth_sigs.len() >= 20,
        "found only {} AuthSigs",
        found.auth_sigs.len()
    );
    f.assert_none();
}
