//! The path-traversal and encoding corpus (`tests/data/path_attacks.tsv`): every attack is
//! refused with `400 invalid_path` for the exact rule the file names, through the request
//! path, the ReCap resource and the route parser alike; every tricky-but-valid path is kept
//! exactly as it literally says — nothing is resolved or normalised.

use sessionsig_backpack::{BackpackPath, BackpackResource};

const OWNER: &str = "0x1111111111111111111111111111111111111111";

/// `\u{XXXX}` → the character; nothing else is an escape in the data file.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find("\\u{") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 3..];
        let end = tail.find('}').expect("unterminated \\u{");
        let code = u32::from_str_radix(&tail[..end], 16).expect("hex in \\u{}");
        out.push(char::from_u32(code).expect("a Unicode scalar"));
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

struct Case {
    line: usize,
    expect: String,
    arg: String,
    raw: String,
    note: String,
}

fn cases() -> Vec<Case> {
    let text = include_str!("data/path_attacks.tsv");
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty())
        .map(|(i, l)| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 4, "line {}: 4 tab-separated columns", i + 1);
            Case {
                line: i + 1,
                expect: cols[0].to_owned(),
                arg: unescape(cols[1]),
                raw: unescape(cols[2]),
                note: cols[3].to_owned(),
            }
        })
        .collect()
}

#[test]
fn the_corpus_is_big_enough() {
    let all = cases();
    let attacks = all.iter().filter(|c| c.expect == "refuse").count();
    let valid = all.iter().filter(|c| c.expect == "accept").count();
    assert!(attacks >= 60, "{attacks} attacks");
    assert!(valid >= 15, "{valid} valid cases");
    assert_eq!(attacks + valid, all.len(), "every line is refuse or accept");
}

#[test]
fn every_attack_is_refused_for_its_rule() {
    for c in cases().iter().filter(|c| c.expect == "refuse") {
        let ctx = format!("line {} ({}): {:?}", c.line, c.note, c.raw);
        let from_request = BackpackPath::from_request_path(&c.raw);
        let from_recap = BackpackPath::from_recap(&c.raw);
        let reason = format!("{:?}", from_request.as_ref().expect_err(&ctx));
        assert_eq!(reason, c.arg, "{ctx}");
        assert_eq!(from_request, from_recap, "{ctx}");
        let via_route = BackpackResource::from_route(&format!("{OWNER}{}", c.raw));
        let via_recap = BackpackResource::parse(&format!("backpack://{OWNER}{}", c.raw));
        for e in [via_route.expect_err(&ctx), via_recap.expect_err(&ctx)] {
            // A raw path that does not start with `/` is a malformed resource instead.
            let expected = if c.arg == "NotAbsolute" {
                "invalid_resource"
            } else {
                "invalid_path"
            };
            assert_eq!(e.code(), expected, "{ctx}");
            assert_eq!(e.status(), 400, "{ctx}");
        }
    }
}

#[test]
fn every_valid_path_means_exactly_what_it_says() {
    for c in cases().iter().filter(|c| c.expect == "accept") {
        let ctx = format!("line {} ({}): {:?}", c.line, c.note, c.raw);
        let path = BackpackPath::from_request_path(&c.raw).expect(&ctx);
        assert_eq!(path.as_str(), c.arg, "{ctx}");
        assert_eq!(
            BackpackPath::from_recap(&c.raw).as_ref(),
            Ok(&path),
            "{ctx}"
        );
        // Never a dot segment, never a path that leaves where it literally points.
        assert!(path.segments().all(|s| s != "." && s != ".."), "{ctx}");
        // Encoding back and decoding again is the same path.
        assert_eq!(
            BackpackPath::from_request_path(&path.to_url_path()).as_ref(),
            Ok(&path),
            "{ctx}"
        );
        let res = BackpackResource::from_route(&format!("{OWNER}{}", c.raw)).expect(&ctx);
        assert_eq!(res.path, path, "{ctx}");
        assert_eq!(
            BackpackResource::parse(&res.to_string()).as_ref(),
            Ok(&res),
            "{ctx}"
        );
    }
}
