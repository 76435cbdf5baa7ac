//! `Content-Digest` (RFC 9530) values (`sessionsig-backpack`): any bytes →
//! `ContentDigest::parse_header_value`. Must never panic.
//!
//! Invariants: a parsed digest's own header value parses back to it; the input is never
//! taken as the digest of itself unless it says so (its sha-256 member).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sessionsig_backpack::{ContentDigest, DigestHasher};

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = ContentDigest::parse_header_value(data) {
        let again = ContentDigest::parse_header_value(d.header_value().as_bytes());
        assert_eq!(again, Ok(d), "header value round trip");
    }
    // The streaming hasher agrees with the one-shot digest for any split.
    let mut h = DigestHasher::new();
    let cut = data.first().map_or(0, |b| usize::from(*b)).min(data.len());
    h.update(&data[..cut]);
    h.update(&data[cut..]);
    assert_eq!(h.bytes_hashed(), data.len() as u64);
    assert_eq!(h.finish(), ContentDigest::of(data));
});
