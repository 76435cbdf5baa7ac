//! RFC 3339 timestamps (every SIWE time field, SessionSig `issuedAt` / `expiration`): any bytes
//! → `Timestamp::parse` and `parse_iso`. Must never panic.
//!
//! Invariants (a failure is a real bug): both parsers agree; a parsed `Timestamp` keeps its
//! text; `to_iso_string` of a parsed instant in years 0000–9999 parses back to that instant
//! truncated to milliseconds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sessionsig::time::{parse_iso, to_iso_string, Timestamp};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let ts = Timestamp::parse(s);
    let iso = parse_iso(s);
    assert_eq!(ts.is_ok(), iso.is_ok(), "Timestamp::parse and parse_iso disagree");
    let (Ok(ts), Ok(instant)) = (ts, iso) else {
        return;
    };
    assert_eq!(ts.as_str(), s, "Timestamp does not keep its text");
    assert_eq!(ts.instant(), instant, "Timestamp::parse and parse_iso give different instants");

    let written = to_iso_string(instant);
    if (0..=9999).contains(&instant.year()) {
        let back = parse_iso(&written)
            .unwrap_or_else(|e| panic!("to_iso_string output {written:?} does not parse: {e}"));
        let truncated = instant
            .replace_nanosecond(instant.nanosecond() / 1_000_000 * 1_000_000)
            .expect("valid nanosecond");
        assert_eq!(back, truncated, "to_iso_string does not round-trip");
    }
});
