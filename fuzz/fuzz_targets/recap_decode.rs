//! ERC-5573 decoder: any bytes → `Capability::decode(s)`, `Capability::decode("urn:recap:" + s)`
//! and `Capability::from_json(s)`.
//!
//! Invariants (a failure is a real bug):
//! * whatever `decode` accepts re-encodes to a URN that decodes to an equal capability;
//! * whatever `from_json` accepts encodes to a URN that `decode` accepts, to an equal capability;
//! * `statement()` never panics, and `check_statement` accepts `statement()` and
//!   `statement_with_recap(Some(..), cap)`;
//! * `cap` merged with itself still round-trips through `encode`/`decode`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sessionsig::recap::{check_statement, statement_with_recap, Capability, URN_PREFIX};

fn check(cap: &Capability, origin: &str) {
    let urn = cap.encode();
    let back = Capability::decode(&urn)
        .unwrap_or_else(|e| panic!("decode(encode(cap)) fails ({origin}): {e}\nurn: {urn:?}"));
    assert_eq!(&back, cap, "decode(encode(cap)) != cap ({origin})\nurn: {urn:?}");
    assert_eq!(back.encode(), urn, "encode is not stable ({origin})");
    let statement = cap.statement();
    check_statement(Some(&statement), cap)
        .unwrap_or_else(|e| panic!("check_statement rejects statement() ({origin}): {e}"));
    check_statement(Some(&statement_with_recap(Some("I agree."), cap)), cap)
        .unwrap_or_else(|e| panic!("check_statement rejects statement_with_recap ({origin}): {e}"));
    let _ = cap.to_json_value();
    // Merging a capability with itself keeps it encodable and decodable.
    let mut merged = cap.clone();
    merged.merge(cap);
    let urn2 = merged.encode();
    let back2 = Capability::decode(&urn2)
        .unwrap_or_else(|e| panic!("decode(encode(merge)) fails ({origin}): {e}"));
    assert_eq!(back2, merged, "decode(encode(merge)) != merge ({origin})");
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(cap) = Capability::decode(s) {
        check(&cap, "decode(s)");
    }
    let mut urn = String::with_capacity(URN_PREFIX.len() + s.len());
    urn.push_str(URN_PREFIX);
    urn.push_str(s);
    if let Ok(cap) = Capability::decode(&urn) {
        check(&cap, "decode(urn:recap: + s)");
    }
    if let Ok(cap) = Capability::from_json(s) {
        check(&cap, "from_json(s)");
    }
});
