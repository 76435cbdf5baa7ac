use super::*;
use proptest::prelude::*;
use serde_json::json;

fn caveat(v: Value) -> Caveat {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

fn b64(s: &str) -> String {
    format!(
        "{URN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    )
}

#[test]
fn build_encode_decode() {
    let mut c = Capability::new();
    c.add_ability("https://example.com", "crud/read", vec![Caveat::new()])
        .unwrap();
    c.add_ability(
        "kepler:example://default/kv",
        "kv/write",
        vec![caveat(json!({"max": 10, "a": "é"}))],
    )
    .unwrap();
    c.add_ability(
        "kepler:example://default/kv",
        "kv/read",
        vec![Caveat::new()],
    )
    .unwrap();
    c.add_proof("bafyexample");
    assert_eq!(
        c.to_jcs(),
        r#"{"att":{"https://example.com":{"crud/read":[{}]},"kepler:example://default/kv":{"kv/read":[{}],"kv/write":[{"a":"é","max":10}]}},"prf":["bafyexample"]}"#
    );
    let urn = c.encode();
    assert!(urn.starts_with(URN_PREFIX));
    assert!(!urn.contains('='));
    let back = Capability::decode(&urn).unwrap();
    assert_eq!(back, c);
    assert_eq!(back.encode(), urn);
    assert_eq!(Capability::from_json_value(&c.to_json_value()).unwrap(), c);
}

#[test]
fn empty_capability_encodes() {
    let c = Capability::new();
    assert_eq!(c.to_jcs(), r#"{"att":{},"prf":[]}"#);
    assert_eq!(Capability::decode(&c.encode()).unwrap(), c);
    assert!(c.is_empty());
}

#[test]
fn add_ability_extends_and_validates() {
    let mut c = Capability::new();
    c.add_ability("https://a.test", "x/y", vec![]).unwrap();
    assert_eq!(c.caveats("https://a.test", "x/y"), Some(&[][..]));
    c.add_ability("https://a.test", "x/y", vec![caveat(json!({"n": 1}))])
        .unwrap();
    c.add_ability("https://a.test", "x/y", vec![Caveat::new()])
        .unwrap();
    assert_eq!(c.caveats("https://a.test", "x/y").map(<[_]>::len), Some(2));
    for bad in ["x", "x/y/z", "x /y", "", "x/é"] {
        assert_eq!(
            c.add_ability("https://a.test", bad, vec![])
                .unwrap_err()
                .code(),
            "recap_invalid"
        );
    }
    for bad in ["", "no-scheme", "http://a b", "http://\"x\""] {
        assert_eq!(
            c.add_ability(bad, "x/y", vec![]).unwrap_err().code(),
            "recap_invalid"
        );
    }
}

#[test]
fn decode_accepts_padding() {
    let json = r#"{"att":{},"prf":["a"]}"#; // 22 bytes → 30 chars + "==" padding
    let padded = format!(
        "{URN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE.encode(json)
    );
    assert!(padded.ends_with("=="));
    let c = Capability::decode(&padded).unwrap();
    assert_eq!(c.prf(), ["a".to_string()]);
    // Re-encoding drops the padding.
    assert_eq!(c.encode(), padded.trim_end_matches('='));
}

#[test]
fn decode_rejects() {
    let good = r#"{"att":{"https://a.test":{"x/y":[{}]}},"prf":[]}"#;
    assert!(Capability::decode(&b64(good)).is_ok());
    let cases: Vec<(String, &str)> = vec![
        ("urn:recap".into(), "recap_decode"),
        ("urn:other:e30".into(), "recap_decode"),
        (
            format!("URN:RECAP:{}", &b64(good)[URN_PREFIX.len()..]),
            "recap_decode",
        ),
        (format!("{}===", b64(good)), "recap_decode"),
        (format!("{}=", b64(good)), "recap_decode"),
        (format!("{URN_PREFIX}e30+"), "recap_decode"),
        (format!("{URN_PREFIX}e3/"), "recap_decode"),
        (format!("{URN_PREFIX}e3 0"), "recap_decode"),
        // "{}" with non-zero trailing bits: e31
        (format!("{URN_PREFIX}e31"), "recap_decode"),
        (b64("{}"), "recap_decode"),
        (b64("[]"), "recap_decode"),
        (b64("null"), "recap_decode"),
        (b64(r#"{"att":{}}"#), "recap_decode"),
        (b64(r#"{"prf":[]}"#), "recap_decode"),
        (b64(r#"{"att":{},"extra":1,"prf":[]}"#), "recap_decode"),
        (b64(r#"{"att":[],"prf":[]}"#), "recap_decode"),
        (b64(r#"{"att":{},"prf":{}}"#), "recap_decode"),
        (b64(r#"{"att":{},"prf":[1]}"#), "recap_decode"),
        (
            b64(r#"{"att":{"https://a.test":[]},"prf":[]}"#),
            "recap_decode",
        ),
        (b64(r#"{"att":{},"prf":[]} x"#), "recap_decode"),
        (b64(r#"{"att":{},"prf":[]}{}"#), "recap_decode"),
        (b64(r#"{"att":{},"prf":[]"#), "recap_decode"),
        // Rule violations.
        (b64(r#"{"prf":[],"att":{}}"#), "recap_invalid"),
        (b64(r#"{"att":{},"att":{},"prf":[]}"#), "recap_invalid"),
        (
            b64(
                r#"{"att":{"https://b.test":{"x/y":[{}]},"https://a.test":{"x/y":[{}]}},"prf":[]}"#,
            ),
            "recap_invalid",
        ),
        (
            b64(r#"{"att":{"https://a.test":{"x/z":[{}],"x/y":[{}]}},"prf":[]}"#),
            "recap_invalid",
        ),
        (
            b64(r#"{"att":{"https://a.test":{"x/y":[{"b":1,"a":2}]}},"prf":[]}"#),
            "recap_invalid",
        ),
        (
            b64(r#"{"att":{"https://a.test":{"x/y":[{"a":{"d":1,"c":2}}]}},"prf":[]}"#),
            "recap_invalid",
        ),
        (
            b64(r#"{"att":{"https://a.test":{"xy":[{}]}},"prf":[]}"#),
            "recap_invalid",
        ),
        (
            b64(r#"{"att":{"https://a.test":{"x/y/z":[{}]}},"prf":[]}"#),
            "recap_invalid",
        ),
        (
            b64(r#"{"att":{"https://a.test":{"x/y":{}}},"prf":[]}"#),
            "recap_invalid",
        ),
        (
            b64(r#"{"att":{"https://a.test":{"x/y":[[]]}},"prf":[]}"#),
            "recap_invalid",
        ),
        (
            b64(r#"{"att":{"https://a.test":{"x/y":[1]}},"prf":[]}"#),
            "recap_invalid",
        ),
        (
            b64(r#"{"att":{"not a uri":{"x/y":[{}]}},"prf":[]}"#),
            "recap_invalid",
        ),
        (
            b64(r#"{"att":{"noscheme":{"x/y":[{}]}},"prf":[]}"#),
            "recap_invalid",
        ),
    ];
    for (urn, code) in cases {
        let err = Capability::decode(&urn).unwrap_err();
        assert_eq!(err.code(), code, "{urn}: {err}");
    }
    let too_long = format!("{URN_PREFIX}{}", "A".repeat(MAX_URN_LEN));
    assert_eq!(
        Capability::decode(&too_long).unwrap_err().code(),
        "recap_decode"
    );
}

#[test]
fn decode_tolerates_whitespace_but_reencodes_canonically() {
    let json =
        "{ \"att\" : { \"https://a.test\" : { \"x/y\" : [ { \"n\" : 1.50 } ] } } , \"prf\" : [ ] }";
    let c = Capability::decode(&b64(json)).unwrap();
    assert_eq!(
        c.to_jcs(),
        r#"{"att":{"https://a.test":{"x/y":[{"n":1.5}]}},"prf":[]}"#
    );
}

#[test]
fn from_siwe_resources_last_only() {
    let recap = {
        let mut c = Capability::new();
        c.add_ability("https://a.test", "x/y", vec![Caveat::new()])
            .unwrap();
        c
    };
    let urn = recap.encode();
    assert_eq!(Capability::from_siwe_resources(None).unwrap(), None);
    assert_eq!(Capability::from_siwe_resources(Some(&[])).unwrap(), None);
    let last = vec!["https://x.test".to_string(), urn.clone()];
    assert_eq!(
        Capability::from_siwe_resources(Some(&last)).unwrap(),
        Some(recap.clone())
    );
    let not_last = vec![urn.clone(), "https://x.test".to_string()];
    assert_eq!(
        Capability::from_siwe_resources(Some(&not_last)).unwrap(),
        None
    );
    let broken = vec![format!("{URN_PREFIX}!!")];
    assert!(Capability::from_siwe_resources(Some(&broken)).is_err());
}

#[test]
fn merge_erc_example() {
    let a = Capability::from_json(
        r#"{"att":{"https://example1.com":{"crud/read":[{}]}},"prf":["bafyexample1"]}"#,
    )
    .unwrap();
    let b = Capability::from_json(
        r#"{"att":{"https://example1.com":{"crud/update":[{"max_times":1}]},"https://example2.com":{"crud/delete":[{}]}},"prf":["bafyexample2"]}"#,
    )
    .unwrap();
    let mut m = a.clone();
    m.merge(&b);
    let want = Capability::from_json(
        r#"{"att":{"https://example1.com":{"crud/read":[{}],"crud/update":[{"max_times":1}]},"https://example2.com":{"crud/delete":[{}]}},"prf":["bafyexample1","bafyexample2"]}"#,
    )
    .unwrap();
    assert_eq!(m, want);
}

#[test]
fn merge_concatenates_caveats() {
    let mut a = Capability::new();
    a.add_ability("https://a.test", "x/y", vec![Caveat::new()])
        .unwrap();
    let mut b = Capability::new();
    b.add_ability("https://a.test", "x/y", vec![caveat(json!({"n": 1}))])
        .unwrap();
    a.merge(&b);
    assert_eq!(
        a.caveats("https://a.test", "x/y").unwrap(),
        &[Caveat::new(), caveat(json!({"n": 1}))]
    );
}

#[test]
fn numbers_are_normalized_so_round_trips_are_exact() {
    let json = r#"{"att":{"https://a.test":{"x/y":[{"a":1.0,"b":-0.0,"c":9007199254740993,"d":18446744073709551615,"e":[2.50,1e21]}]}},"prf":[]}"#;
    let c = Capability::from_json(json).unwrap();
    let cav = &c.caveats("https://a.test", "x/y").unwrap()[0];
    assert_eq!(cav["a"], json!(1));
    assert_eq!(cav["b"], json!(0));
    assert_eq!(cav["c"], json!(9007199254740992u64));
    assert_eq!(
        c.to_jcs(),
        r#"{"att":{"https://a.test":{"x/y":[{"a":1,"b":0,"c":9007199254740992,"d":18446744073709552000,"e":[2.5,1e+21]}]}},"prf":[]}"#
    );
    assert_eq!(Capability::decode(&c.encode()).unwrap(), c);
    // Decoding a non-canonical number gives the same capability as its canonical form.
    let from_urn = Capability::decode(&b64(json)).unwrap();
    assert_eq!(from_urn, c);
    // add_ability normalises too.
    let mut d = Capability::new();
    d.add_ability("https://a.test", "x/y", vec![caveat(json!({"n": 3.0}))])
        .unwrap();
    assert_eq!(
        d.caveats("https://a.test", "x/y").unwrap()[0]["n"],
        json!(3)
    );
}

#[test]
fn caveat_nesting_is_bounded_consistently() {
    fn nested(levels: usize) -> Value {
        let mut v = json!(1);
        for _ in 0..levels {
            v = json!([v]);
        }
        v
    }
    let mut c = Capability::new();
    let ok = caveat(json!({ "k": nested(MAX_CAVEAT_NESTING) }));
    c.add_ability("https://a.test", "x/y", vec![ok]).unwrap();
    assert_eq!(Capability::decode(&c.encode()).unwrap(), c);
    let too_deep = caveat(json!({ "k": nested(MAX_CAVEAT_NESTING + 1) }));
    assert_eq!(
        c.add_ability("https://a.test", "x/y", vec![too_deep.clone()])
            .unwrap_err()
            .code(),
        "recap_invalid"
    );
    // The failed call left the capability unchanged.
    assert_eq!(c.caveats("https://a.test", "x/y").map(<[_]>::len), Some(1));
    let json = format!(
        r#"{{"att":{{"https://a.test":{{"x/y":[{}]}}}},"prf":[]}}"#,
        jcs::canonicalize(&Value::Object(too_deep))
    );
    assert!(Capability::from_json(&json).is_err());
    assert!(Capability::decode(&b64(&json)).is_err());
}

#[test]
fn caveat_equality_ignores_key_order() {
    let a = Capability::from_json(r#"{"att":{"https://a.test":{"x/y":[{"a":1,"b":2}]}},"prf":[]}"#)
        .unwrap();
    let b = Capability::from_json(r#"{"att":{"https://a.test":{"x/y":[{"b":2,"a":1}]}},"prf":[]}"#)
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(a.to_jcs(), b.to_jcs());
}

// ------------------------------------------------------------------ property tests

fn ability_part() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9.*_+-]{1,6}"
}

fn resource() -> impl Strategy<Value = String> {
    prop_oneof![
        "https://[a-z]{1,5}\\.test/[a-zA-Z0-9._~*/-]{0,6}",
        "lit-(pkp|litaction|accesscontrolcondition)://(\\*|[0-9a-f]{1,8})",
        "urn:[a-z]{1,4}:[a-zA-Z0-9:%]{0,6}".prop_filter("pct", |s| pct_encodings_ok(s)),
    ]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1.0e6f64..1.0e6).prop_map(|f| json!(f)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "\\PC{0,8}".prop_map(Value::String),
        "[\u{0}-\u{1f}\"\\\\\u{e000}-\u{ffff}\u{10000}-\u{10ffff}]{0,4}".prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("\\PC{0,5}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn caveat_strategy() -> impl Strategy<Value = Caveat> {
    prop::collection::btree_map("\\PC{0,6}", json_value(), 0..3)
        .prop_map(|m| m.into_iter().collect())
}

fn capability() -> impl Strategy<Value = Capability> {
    let entry = (
        resource(),
        ability_part(),
        ability_part(),
        prop::collection::vec(caveat_strategy(), 0..3),
    );
    (
        prop::collection::vec(entry, 0..5),
        prop::collection::vec("[a-zA-Z0-9]{1,12}", 0..3),
    )
        .prop_map(|(entries, prf)| {
            let mut c = Capability::new();
            for (r, ns, name, caveats) in entries {
                c.add_ability(&r, &format!("{ns}/{name}"), caveats)
                    .expect("generated values are valid");
            }
            for p in prf {
                c.add_proof(p);
            }
            c
        })
}

/// Every (resource, ability, caveat) triple a capability holds, plus the abilities present.
fn grants(c: &Capability) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (r, abilities) in c.att() {
        for (a, caveats) in abilities {
            out.push((r.clone(), a.clone(), String::new()));
            for cav in caveats {
                out.push((
                    r.clone(),
                    a.clone(),
                    jcs::canonicalize(&Value::Object(cav.clone())),
                ));
            }
        }
    }
    out
}

/// Equality of capabilities after JavaScript's number semantics (what the JCS text keeps).
fn js_normalized(c: &Capability) -> String {
    c.to_jcs()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn encode_decode_round_trip(c in capability()) {
        let urn = c.encode();
        let back = Capability::decode(&urn).expect("our own encoding decodes");
        // Numbers follow JavaScript (doubles), so compare canonical texts, and re-encoding is
        // byte-identical.
        prop_assert_eq!(&back, &c);
        prop_assert_eq!(js_normalized(&back), js_normalized(&c));
        prop_assert_eq!(back.encode(), urn);
        prop_assert_eq!(back.statement(), c.statement());
    }

    #[test]
    fn merge_never_loses_a_grant(a in capability(), b in capability()) {
        let mut m = a.clone();
        m.merge(&b);
        let have = grants(&m);
        for g in grants(&a).into_iter().chain(grants(&b)) {
            prop_assert!(have.contains(&g), "lost {:?}", g);
        }
        // Proofs: a's then b's.
        let mut prf = a.prf().to_vec();
        prf.extend(b.prf().iter().cloned());
        prop_assert_eq!(m.prf(), &prf[..]);
        // The merge is still encodable and decodable.
        prop_assert!(Capability::decode(&m.encode()).is_ok());
    }

    #[test]
    fn decode_never_panics(s in "urn:recap:[A-Za-z0-9_=+/-]{0,64}") {
        let _ = Capability::decode(&s);
    }

    #[test]
    fn decode_never_panics_on_json(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let urn = format!("{URN_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes));
        let _ = Capability::decode(&urn);
    }

    #[test]
    fn canonical_text_reparses_to_same_canonical_text(v in json_value()) {
        let s = jcs::canonicalize(&v);
        let back: Value = serde_json::from_str(&s).expect("canonical JSON parses");
        prop_assert_eq!(jcs::canonicalize(&back), s);
    }
}

proptest! {
    #[test]
    fn cmp_utf16_matches_reference(a in "\\PC{0,6}", b in "\\PC{0,6}", prefix in "\\PC{0,3}") {
        let (a, b) = (format!("{prefix}{a}"), format!("{prefix}{b}"));
        prop_assert_eq!(jcs::cmp_utf16(&a, &b), a.encode_utf16().cmp(b.encode_utf16()));
    }
}
