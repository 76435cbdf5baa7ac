use super::*;
use proptest::prelude::*;
use secp256k1::{Message, SecretKey, SECP256K1};

const EXAMPLE: &str = "https://example.com:8443 wants you to sign in with your Ethereum account:\n\
0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2\n\
\n\
I accept the ExampleOrg Terms of Service: https://example.com/tos\n\
\n\
URI: https://example.com/login\n\
Version: 1\n\
Chain ID: 1\n\
Nonce: 32891756\n\
Issued At: 2021-09-30T16:25:24Z\n\
Expiration Time: 2031-09-30T16:25:24.000Z\n\
Not Before: 2021-09-30T16:25:24+02:00\n\
Request ID: some_id%20x\n\
Resources:\n\
- ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/\n\
- urn:recap:eyJhdHQiOnt9LCJwcmYiOltdfQ";

fn at(s: &str) -> OffsetDateTime {
    crate::time::parse_rfc3339(s).unwrap()
}

fn sign(text: &str, key: [u8; 32]) -> (String, Address) {
    let sk = SecretKey::from_byte_array(key).unwrap();
    let pk = sk.public_key(SECP256K1).serialize_uncompressed();
    let rs =
        SECP256K1.sign_ecdsa_recoverable(Message::from_digest(eip191_hash(text.as_bytes()).0), &sk);
    let (recid, compact) = rs.serialize_compact();
    let mut sig = compact.to_vec();
    sig.push(27 + u8::try_from(i32::from(recid)).unwrap());
    (
        format!("0x{}", hex::encode(sig)),
        Address::from_raw_public_key(&pk[1..]),
    )
}

/// `EXAMPLE` with its address replaced by the address of key `0x11…11`.
fn signed_example() -> (String, String) {
    let (_, addr) = sign("", [0x11; 32]);
    let text = EXAMPLE.replace(
        "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
        &addr.to_checksum(None),
    );
    let (sig, _) = sign(&text, [0x11; 32]);
    (text, sig)
}

#[test]
fn parses_every_field_and_round_trips() {
    let m = SiweMessage::parse(EXAMPLE).unwrap();
    assert_eq!(m.scheme.as_deref(), Some("https"));
    assert_eq!(m.domain, "example.com:8443");
    assert_eq!(
        m.statement.as_deref(),
        Some("I accept the ExampleOrg Terms of Service: https://example.com/tos")
    );
    assert_eq!(m.chain_id, 1);
    assert_eq!(m.request_id.as_deref(), Some("some_id%20x"));
    assert_eq!(m.resources.as_ref().map(Vec::len), Some(2));
    assert_eq!(
        m.not_before.as_ref().unwrap().instant(),
        at("2021-09-30T14:25:24Z")
    );
    assert_eq!(m.to_message(), EXAMPLE);
    assert_eq!(m.to_string(), EXAMPLE);
    assert_eq!(SiweMessage::from_json(&m.to_json()).unwrap(), m);
    assert_eq!(EXAMPLE.parse::<SiweMessage>().unwrap(), m);
}

#[test]
fn errors_carry_line_numbers() {
    let cases: &[(&str, &str, usize)] = &[
        ("", "", 1),
        (
            "Issued At: 2021-09-30T16:25:24Z",
            "Issued At: 2021-02-30T16:25:24Z",
            10,
        ),
        ("Chain ID: 1\n", "Chain ID: 18446744073709551616\n", 8),
        ("Chain ID: 1\n", "Chain ID: 01\n", 8),
        ("Nonce: 32891756", "Nonce: 3289175", 9),
        ("Nonce: 32891756", "Nonce: 3289175é", 9),
        (
            "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
            "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2",
            2,
        ),
        ("https://example.com:8443", "https://example.com:84x3", 1),
        ("https://example.com:8443", "ht tp://example.com", 1),
        ("Version: 1", "Version: 2", 7),
        ("Version: 1", "version: 1", 7),
        ("Request ID: some_id%20x", "Request ID: some id", 13),
        ("- ipfs://", "- ipfs ://", 15),
        ("\nResources:", "\nResources: ", 14),
        ("Terms of Service:", "Terms of Service:\n", 5),
        ("Terms of Service", "Terms of \"Service\"", 4),
    ];
    for (from, to, line) in cases {
        let text = if from.is_empty() {
            String::new()
        } else {
            assert!(EXAMPLE.contains(from), "{from}");
            EXAMPLE.replacen(from, to, 1)
        };
        match SiweMessage::parse(&text) {
            Err(Error::SiweSyntax { line: got, reason }) => {
                assert_eq!(got, *line, "{to}: {reason}");
                assert!(!reason.is_empty());
            }
            other => panic!("{to}: expected a syntax error, got {other:?}"),
        }
    }
    // Trailing newline, CRLF, and a duplicated optional field.
    for text in [
        format!("{EXAMPLE}\n"),
        EXAMPLE.replace('\n', "\r\n"),
        EXAMPLE.replace(
            "Request ID: some_id%20x",
            "Request ID: a\nExpiration Time: 2031-09-30T16:25:24.000Z",
        ),
    ] {
        assert!(SiweMessage::parse(&text).is_err(), "{text:?}");
    }
}

#[test]
fn statement_absent_empty_present() {
    let base = SiweMessage::parse(EXAMPLE).unwrap();
    for statement in [None, Some(String::new()), Some("URI: x".to_owned())] {
        let m = SiweMessage {
            statement: statement.clone(),
            ..base.clone()
        };
        let text = m.to_message();
        assert_eq!(SiweMessage::parse(&text).unwrap(), m, "{text}");
    }
    let none = SiweMessage {
        statement: None,
        ..base.clone()
    }
    .to_message();
    assert!(none.contains("Cc2\n\n\nURI: "));
    let empty = SiweMessage {
        statement: Some(String::new()),
        ..base
    }
    .to_message();
    assert!(empty.contains("Cc2\n\n\n\nURI: "));
}

#[test]
fn validate_names_the_field() {
    let base = SiweMessage::parse(EXAMPLE).unwrap();
    let cases: Vec<(SiweMessage, &str)> = vec![
        (
            SiweMessage {
                scheme: Some("1x".into()),
                ..base.clone()
            },
            "scheme",
        ),
        (
            SiweMessage {
                domain: String::new(),
                ..base.clone()
            },
            "domain",
        ),
        (
            SiweMessage {
                domain: "user@".into(),
                ..base.clone()
            },
            "domain",
        ),
        (
            SiweMessage {
                statement: Some("a\nb".into()),
                ..base.clone()
            },
            "statement",
        ),
        (
            SiweMessage {
                uri: "example.com".into(),
                ..base.clone()
            },
            "uri",
        ),
        (
            SiweMessage {
                version: "2".into(),
                ..base.clone()
            },
            "version",
        ),
        (
            SiweMessage {
                nonce: "abc".into(),
                ..base.clone()
            },
            "nonce",
        ),
        (
            SiweMessage {
                request_id: Some("a b".into()),
                ..base.clone()
            },
            "requestId",
        ),
        (
            SiweMessage {
                resources: Some(vec!["x y".into()]),
                ..base.clone()
            },
            "resources",
        ),
        (
            SiweMessage {
                issued_at: Timestamp::from_instant(
                    OffsetDateTime::from_unix_timestamp(-70_000_000_000).unwrap(),
                ),
                ..base.clone()
            },
            "issuedAt",
        ),
    ];
    for (m, field) in cases {
        match m.validate() {
            Err(Error::SiweField { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    base.validate().unwrap();
}

#[test]
fn from_json_is_strict() {
    let good = SiweMessage::parse(EXAMPLE).unwrap().to_json();
    let mut unknown = good.clone();
    unknown["resourtes"] = serde_json::json!([]);
    assert!(matches!(
        SiweMessage::from_json(&unknown),
        Err(Error::Json(_))
    ));
    for (key, value) in [
        ("chainId", serde_json::json!("1")),
        ("chainId", serde_json::json!(-1)),
        ("chainId", serde_json::json!(1.5)),
        (
            "address",
            serde_json::json!("0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"),
        ),
        ("issuedAt", serde_json::json!("garbage")),
        ("resources", serde_json::json!(["a:b", 1])),
        ("domain", Value::Null),
        ("statement", serde_json::json!(1)),
    ] {
        let mut v = good.clone();
        v[key] = value;
        assert!(
            matches!(SiweMessage::from_json(&v), Err(Error::SiweField { field, .. }) if field == key),
            "{key}"
        );
    }
    assert!(SiweMessage::from_json(&serde_json::json!([])).is_err());
}

#[test]
fn time_window() {
    let m = SiweMessage::parse(EXAMPLE).unwrap();
    let zero = Duration::ZERO;
    // Not Before is 14:25:24Z, Issued At 16:25:24Z, Expiration 2031-09-30T16:25:24Z.
    assert!(m.check_time(at("2021-09-30T16:25:24Z"), zero).is_ok());
    assert!(m.check_time(at("2031-09-30T16:25:23.999Z"), zero).is_ok());
    assert!(matches!(
        m.check_time(at("2031-09-30T16:25:24Z"), zero),
        Err(Error::SiweExpired(_))
    ));
    assert!(m
        .check_time(at("2031-09-30T16:25:24Z"), Duration::seconds(1))
        .is_ok());
    assert!(matches!(
        m.check_time(at("2021-09-30T16:25:23Z"), zero),
        Err(Error::SiweIssuedInFuture(_))
    ));
    assert!(m
        .check_time(at("2021-09-30T16:25:23Z"), Duration::seconds(1))
        .is_ok());
    let nb = SiweMessage {
        not_before: Some(Timestamp::parse("2025-01-01T00:00:00Z").unwrap()),
        ..m.clone()
    };
    assert!(matches!(
        nb.check_time(at("2024-12-31T23:59:59Z"), zero),
        Err(Error::SiweNotYetValid(_))
    ));
    assert!(nb
        .check_time(at("2024-12-31T23:59:59Z"), Duration::seconds(1))
        .is_ok());
    assert!(nb.check_time(at("2025-01-01T00:00:00Z"), zero).is_ok());
    // Huge skews and extreme instants never panic.
    let far = SiweMessage {
        issued_at: Timestamp::parse("9999-12-31T23:59:59Z").unwrap(),
        expiration_time: Some(Timestamp::parse("9999-12-31T23:59:59Z").unwrap()),
        not_before: Some(Timestamp::parse("0000-01-01T00:00:00Z").unwrap()),
        ..m
    };
    for skew in [
        Duration::MAX,
        Duration::MIN,
        Duration::days(365 * 20_000),
        zero,
    ] {
        let _ = far.check_time(at("2025-01-01T00:00:00Z"), skew);
        let _ = far.check_time(OffsetDateTime::UNIX_EPOCH, skew);
    }
}

#[test]
fn verify_checks_signature_time_domain_nonce() {
    let (text, sig) = signed_example();
    let now = at("2025-01-01T00:00:00Z");
    let opts = VerifyOptions::at(now);
    let m = verify(&text, &sig, &opts).unwrap();
    assert_eq!(m.to_message(), text);

    let with = |domain: Option<&str>, nonce: Option<&str>| VerifyOptions {
        domain: domain.map(str::to_owned),
        nonce: nonce.map(str::to_owned),
        ..opts.clone()
    };
    verify(
        &text,
        &sig,
        &with(Some("example.com:8443"), Some("32891756")),
    )
    .unwrap();
    verify(&text, &sig, &with(Some("https://example.com:8443"), None)).unwrap();
    assert!(matches!(
        verify(&text, &sig, &with(Some("http://example.com:8443"), None)),
        Err(Error::SiweDomainMismatch { .. })
    ));
    assert!(matches!(
        verify(&text, &sig, &with(Some("example.com"), None)),
        Err(Error::SiweDomainMismatch { .. })
    ));
    assert!(matches!(
        verify(&text, &sig, &with(None, Some("32891757"))),
        Err(Error::SiweNonceMismatch)
    ));
    assert!(matches!(
        verify(&text, &sig, &VerifyOptions::at(at("2040-01-01T00:00:00Z"))),
        Err(Error::SiweExpired(_))
    ));
    let (other_sig, _) = sign(&text, [0x22; 32]);
    assert!(matches!(
        verify(&text, &other_sig, &opts),
        Err(Error::SignerMismatch { .. })
    ));
    assert!(matches!(
        verify(&text, &sig[..sig.len() - 2], &opts),
        Err(Error::MalformedSignature(_))
    ));
}

#[test]
fn any_single_byte_change_fails_verification() {
    let (text, sig) = signed_example();
    let opts = VerifyOptions::at(at("2025-01-01T00:00:00Z"));
    verify(&text, &sig, &opts).unwrap();
    let bytes = text.as_bytes();
    let mut tried = 0;
    for i in 0..bytes.len() {
        for replacement in [bytes[i] ^ 0x01, bytes[i] ^ 0x20, b' ', b'\n', b'0', b'a'] {
            if replacement == bytes[i] || !replacement.is_ascii() {
                continue;
            }
            let mut changed = bytes.to_vec();
            changed[i] = replacement;
            let changed = String::from_utf8(changed).unwrap();
            assert!(
                verify(&changed, &sig, &opts).is_err(),
                "byte {i} changed to {replacement:#04x} still verifies"
            );
            tried += 1;
        }
        // Deleting the byte must fail too.
        let mut shorter = bytes.to_vec();
        shorter.remove(i);
        if let Ok(shorter) = String::from_utf8(shorter) {
            assert!(
                verify(&shorter, &sig, &opts).is_err(),
                "byte {i} deleted still verifies"
            );
        }
    }
    assert!(tried > bytes.len() * 4);
}

#[test]
fn parse_never_panics_on_mangled_input() {
    let samples = [
        EXAMPLE.to_owned(),
        EXAMPLE.replace("example.com", "é.com"),
        EXAMPLE.replace("2021", "２０２１"),
        EXAMPLE.replace("Chain ID: 1", "Chain ID: 99999999999999999999999999999999"),
        EXAMPLE.replace("\n", "\n\n"),
        "\n".repeat(20),
        format!("{HEADER_SUFFIX}\n"),
        format!("é{HEADER_SUFFIX}"),
    ];
    for s in &samples {
        for cut in 0..=s.len() {
            if let Some(prefix) = s.get(..cut) {
                let _ = SiweMessage::parse(prefix);
            }
        }
    }
}

// ---------------------------------------------------------------- property tests

fn arb_timestamp() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        (0i64..253_402_300_799, 0i64..1000).prop_map(|(secs, ms)| {
            let t = OffsetDateTime::from_unix_timestamp(secs).unwrap() + Duration::milliseconds(ms);
            Timestamp::from_instant(t)
        }),
        (
            (1000u32..=9999, 1u8..=12, 1u8..=28),
            (0u8..24, 0u8..60, 0u8..60),
            "[Tt]",
            "(\\.[0-9]{1,12})?",
            "([Zz]|[+-](0[0-9]|1[0-9]|2[0-3]):[0-5][0-9])",
        )
            .prop_map(|((y, mo, d), (h, mi, s), t, frac, off)| {
                let text = format!("{y:04}-{mo:02}-{d:02}{t}{h:02}:{mi:02}:{s:02}{frac}{off}");
                Timestamp::parse(&text).unwrap()
            }),
    ]
}

fn arb_uri() -> impl Strategy<Value = String> {
    prop_oneof![
        "https://[a-z]{1,10}\\.[a-z]{2,4}(:[0-9]{1,5})?(/[a-zA-Z0-9._~%-]{0,10}){0,3}(\\?[a-z=&/?]{0,10})?(#[a-z/]{0,5})?"
            .prop_filter("valid pct", |s| abnf::is_uri(s)),
        "urn:recap:[A-Za-z0-9_-]{0,60}",
        "lit:session:[0-9a-f]{64}",
        "lit-accesscontrolcondition://[0-9a-f]{1,64}",
        "[a-z][a-z0-9+.-]{0,6}:",
        "did:key:z[1-9A-HJ-NP-Za-km-z]{10,48}",
        "uri://\\[(::|::[0-9a-f]{1,4}|1:2:3:4:5:6:7:8|::ffff:1\\.2\\.3\\.4)\\](:[0-9]{0,4})?/p",
        "mailto:[a-z]{1,8}@[a-z]{1,8}\\.com",
    ]
}

fn arb_domain() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9-]{1,20}(\\.[a-z]{2,5}){0,2}(:[0-9]{0,5})?",
        "[a-zA-Z0-9._~!$&'()*+,;=-]{1,20}",
        "([a-z]{1,8}(:[a-z]{0,5})?@)?[a-z]{1,10}:[0-9]{1,5}",
        "\\[::[0-9a-f]{1,4}\\](:[0-9]{1,4})?",
        "\\[v1f\\.[a-z:]{1,5}\\]",
        "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
        "[a-z]{1,5}%[0-9A-Fa-f]{2}[a-z]{0,5}",
    ]
}

prop_compose! {
    fn arb_message()(
        (scheme, domain, address, statement) in (
            proptest::option::of("[a-zA-Z][a-zA-Z0-9+.-]{0,8}"),
            arb_domain(),
            any::<[u8; 20]>().prop_map(Address::from),
            proptest::option::of("[a-zA-Z0-9 :/?#\\[\\]@!$&'()*+,;=._~-]{0,80}"),
        ),
        (uri, chain_id, nonce) in (arb_uri(), any::<u64>(), "[a-zA-Z0-9]{8,24}"),
        (issued_at, expiration_time, not_before) in (
            arb_timestamp(),
            proptest::option::of(arb_timestamp()),
            proptest::option::of(arb_timestamp()),
        ),
        request_id in proptest::option::of("([a-zA-Z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2}){0,20}"),
        resources in proptest::option::of(proptest::collection::vec(arb_uri(), 0..4)),
    ) -> SiweMessage {
        SiweMessage {
            scheme,
            domain,
            address,
            statement,
            uri,
            version: "1".to_owned(),
            chain_id,
            nonce,
            issued_at,
            expiration_time,
            not_before,
            request_id,
            resources,
        }
    }
}

proptest! {
    #[test]
    fn parse_of_to_message_is_identity(m in arb_message()) {
        prop_assert_eq!(m.validate(), Ok(()));
        let text = m.to_message();
        let parsed = SiweMessage::parse(&text);
        prop_assert_eq!(parsed.as_ref(), Ok(&m), "{}", text);
        prop_assert_eq!(SiweMessage::from_json(&m.to_json()), Ok(m));
    }

    #[test]
    fn parse_never_panics(s in "\\PC{0,400}") {
        let _ = SiweMessage::parse(&s);
    }

    #[test]
    fn parse_never_panics_on_near_messages(
        i in 0usize..600,
        insert in "(\\PC|\n){0,3}",
    ) {
        let mut s = EXAMPLE.to_owned();
        let i = i.min(s.len());
        s.insert_str(i, &insert);
        if let Ok(m) = SiweMessage::parse(&s) {
            prop_assert_eq!(m.to_message(), s);
        }
    }
}
