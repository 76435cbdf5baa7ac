//! Backpack paths, resources and abilities (`sessionsig-backpack`): any bytes, as UTF-8 →
//! `BackpackPath::{from_request_path, from_recap, from_decoded}`, `BackpackResource::{parse,
//! from_route}` with a fixed owner, `BackpackAbility::from_str`. Must never panic.
//!
//! Invariants (a failure is a real bug): the request and ReCap parsers agree; a valid path
//! re-validates in decoded form, and its URL form decodes back to it; it never has a `.` or
//! `..` segment, an empty segment, a control character or `\`, and is at most 1024 bytes;
//! its parent is a folder that covers it; a resource formats and parses back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sessionsig_backpack::{BackpackAbility, BackpackPath, BackpackResource};

const OWNER: &str = "0x1111111111111111111111111111111111111111";

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = s.parse::<BackpackAbility>();
    let from_request = BackpackPath::from_request_path(s);
    assert_eq!(
        from_request,
        BackpackPath::from_recap(s),
        "request and ReCap parsers disagree"
    );
    let decoded = BackpackPath::from_decoded(s);
    if let Ok(p) = &decoded {
        check(p);
    }
    let Ok(path) = from_request else {
        return;
    };
    check(&path);
    let res = BackpackResource::from_route(&format!("{OWNER}{s}")).expect("route form of a valid path");
    assert_eq!(res.path, path);
    let text = res.to_string();
    assert_eq!(BackpackResource::parse(&text).as_ref(), Ok(&res), "resource round trip: {text}");
    assert_eq!(
        BackpackResource::parse(&format!("backpack://{OWNER}{s}")).as_ref(),
        Ok(&res)
    );
});

fn check(p: &BackpackPath) {
    let s = p.as_str();
    assert!(s.starts_with('/') && s.len() <= 1024, "{s:?}");
    assert!(!s.contains("//"), "empty segment in {s:?}");
    assert!(!s.chars().any(|c| c.is_control() || c == '\\'), "{s:?}");
    for seg in p.segments() {
        assert!(seg != "." && seg != ".." && !seg.is_empty(), "{s:?}");
        assert!(seg.len() <= 255, "{s:?}");
    }
    assert_eq!(BackpackPath::from_decoded(s).as_ref(), Ok(p), "decoded form re-validates");
    let url = p.to_url_path();
    assert!(url.is_ascii(), "{url:?}");
    assert_eq!(BackpackPath::from_request_path(&url).as_ref(), Ok(p), "URL form round trip: {url}");
    assert!(p.covers(p));
    if let Some(parent) = p.parent() {
        assert!(parent.is_folder() && parent.covers(p), "{parent:?} / {p:?}");
    }
}
