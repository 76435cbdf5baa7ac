//! EIP-4361 parser: any bytes → `SiweMessage::parse`.
//!
//! Invariants checked on every message that parses (a failure is a real bug):
//! * `to_message()` gives back the input byte for byte (documented on `SiweMessage::parse`);
//! * `parse(to_message(m)) == m`;
//! * `to_json()` does not panic and `from_json(to_json(m)) == m`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sessionsig::siwe::SiweMessage;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(msg) = SiweMessage::parse(text) else {
        return;
    };

    let written = msg.to_message();
    assert_eq!(written, text, "to_message() is not the parsed bytes");
    let again = SiweMessage::parse(&written).expect("to_message() output does not re-parse");
    assert_eq!(again, msg, "parse(to_message(m)) != m");

    let json = msg.to_json();
    let back = SiweMessage::from_json(&json).expect("from_json(to_json(m)) fails");
    assert_eq!(back, msg, "from_json(to_json(m)) != m");
    // The JSON text form must not panic either.
    let _ = json.to_string();
});
