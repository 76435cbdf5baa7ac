//! `Content-Digest: sha-256=:<base64>:` (RFC 9530): what binds a PUT body to its signature.
//!
//! The request signature covers the `Content-Digest` header, not the body; the body is bound
//! by checking it against this digest *before* anything becomes visible. So the node needs
//! three things: parse the header the client sent (an RFC 8941 dictionary; other algorithms
//! may be listed alongside and are ignored, `sha-256` is required — it is the one every
//! client has, and accepting a weaker one would let a client pick it), hash a body that
//! arrives in chunks without holding it, and write the header for bodies it sends.
//!
//! The dictionary is parsed with the `sfv` crate (RFC 8941/9651, the same parser as the
//! request signatures, duplicate keys refused), not by splitting on `,` and `=`: byte sequences, parameters and
//! whitespace rules are easy to get subtly wrong, and a parser that disagrees with the
//! client's about which member is `sha-256` is a way to smuggle a body.

use crate::error::{Error, Result};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::HeaderMap;
use sha2::{Digest as _, Sha256};
use std::fmt;

/// The header's name, lowercase (as HTTP/2 and RFC 9421 component identifiers spell it).
pub const CONTENT_DIGEST: &str = "content-digest";
/// The one algorithm the backpack requires and checks.
pub const SHA_256: &str = "sha-256";
/// The longest `Content-Digest` value parsed: enough for every registered algorithm at once,
/// small enough that a hostile header costs nothing.
const MAX_HEADER_BYTES: usize = 4096;

/// A sha-256 content digest: what a `Content-Digest` header announced, or what a body
/// hashed to. Comparing two of them is the body check.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentDigest([u8; 32]);

impl ContentDigest {
    /// The digest of a body held in memory.
    pub fn of(body: &[u8]) -> Self {
        ContentDigest(Sha256::digest(body).into())
    }

    /// From the 32 digest bytes (e.g. stored metadata).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        ContentDigest(bytes)
    }

    /// The 32 digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Standard base64 with padding, as inside the header (and in the metadata JSON).
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// The header value for this digest: `sha-256=:<base64>:`.
    pub fn header_value(&self) -> String {
        format!("{SHA_256}=:{}:", self.to_base64())
    }

    /// Parse one `Content-Digest` field value and take its `sha-256` member.
    pub fn parse_header_value(value: &[u8]) -> Result<Self> {
        if value.len() > MAX_HEADER_BYTES {
            return Err(Error::InvalidContentDigest(format!(
                "longer than {MAX_HEADER_BYTES} bytes"
            )));
        }
        let dict = crate::httpsig::fields::parse_unique_dictionary(value).map_err(|e| {
            Error::InvalidContentDigest(format!("not a valid structured dictionary: {e}"))
        })?;
        let member = dict.get(SHA_256).ok_or_else(|| {
            Error::InvalidContentDigest("no sha-256 member (sha-256 is required)".into())
        })?;
        let bytes = match member {
            sfv::ListEntry::Item(item) => item.bare_item.as_byte_sequence(),
            sfv::ListEntry::InnerList(_) => None,
        }
        .ok_or_else(|| {
            Error::InvalidContentDigest("the sha-256 member is not a byte sequence".into())
        })?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| {
            Error::InvalidContentDigest(format!(
                "the sha-256 member has {} bytes, not 32",
                bytes.len()
            ))
        })?;
        Ok(ContentDigest(bytes))
    }

    /// The `Content-Digest` of a request: every field line combined as HTTP combines them
    /// (joined with `, `), then parsed. Absent: `content_digest_required`.
    pub fn from_headers(headers: &HeaderMap) -> Result<Self> {
        let mut lines = headers.get_all(CONTENT_DIGEST).iter().peekable();
        if lines.peek().is_none() {
            return Err(Error::ContentDigestRequired);
        }
        let mut combined = Vec::new();
        for (i, line) in lines.enumerate() {
            if i > 0 {
                combined.extend_from_slice(b", ");
            }
            combined.extend_from_slice(line.as_bytes());
        }
        Self::parse_header_value(&combined)
    }

    /// Refuse a body whose digest (`actual`) is not the announced one (`self`):
    /// `400 digest_mismatch`. Called before the body becomes visible.
    pub fn check(&self, actual: &ContentDigest) -> Result<()> {
        if self == actual {
            Ok(())
        } else {
            Err(Error::DigestMismatch {
                expected: self.to_base64(),
                actual: actual.to_base64(),
            })
        }
    }
}

impl fmt::Debug for ContentDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentDigest({})", self.header_value())
    }
}

impl fmt::Display for ContentDigest {
    /// The header value, `sha-256=:<base64>:`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.header_value())
    }
}

/// sha-256 of a body that streams through in chunks, so a 1 GiB upload is checked in
/// bounded memory. Also counts the bytes, which the caller needs for size limits anyway.
#[derive(Clone, Default)]
pub struct DigestHasher {
    hasher: Sha256,
    bytes: u64,
}

impl DigestHasher {
    /// A hasher with nothing hashed yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Hash the next chunk of the body.
    pub fn update(&mut self, chunk: &[u8]) {
        self.hasher.update(chunk);
        self.bytes = self.bytes.saturating_add(chunk.len() as u64);
    }

    /// How many bytes were hashed so far.
    pub fn bytes_hashed(&self) -> u64 {
        self.bytes
    }

    /// The digest of everything hashed.
    pub fn finish(self) -> ContentDigest {
        ContentDigest(self.hasher.finalize().into())
    }
}

impl fmt::Debug for DigestHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestHasher")
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use proptest::prelude::*;

    /// RFC 9421 §B.2's request body, and RFC 9530 §2's (the same JSON with a newline).
    const HELLO: &[u8] = b"{\"hello\": \"world\"}";
    const HELLO_NL: &[u8] = b"{\"hello\": \"world\"}\n";

    #[test]
    fn rfc9530_section_2_examples() {
        // A lone sha-512 (RFC 9530 §2, first example): sha-256 is required.
        let only_512 = b"sha-512=:YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCsyRZOtw8MjkM7iw7yZ/WkppmM44T3qg==:";
        let e = ContentDigest::parse_header_value(only_512).unwrap_err();
        assert_eq!(e.code(), "invalid_content_digest");
        // Two algorithms (RFC 9530 §2, second example): the sha-512 one is ignored and the
        // sha-256 member is taken byte for byte.
        let both = b"sha-256=:d435Qo+nKZ+gLcUHn7GQtQ72hiBVAgqoLsZnZPiTGPk=:, sha-512=:YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCsyRZOtw8MjkM7iw7yZ/WkppmM44T3qg==:";
        let d = ContentDigest::parse_header_value(both).unwrap();
        assert_eq!(
            d.to_base64(),
            "d435Qo+nKZ+gLcUHn7GQtQ72hiBVAgqoLsZnZPiTGPk="
        );
        // The sha-512 in that example is of `{"hello": "world"}\n`; our sha-256 of the same
        // body is the value RFC 9530's other examples (and Python's hashlib) give.
        assert_eq!(
            ContentDigest::of(HELLO_NL).header_value(),
            "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"
        );
    }

    #[test]
    fn rfc9421_request_body_digest() {
        // RFC 9421 §B.2 and RFC 9530 Appendix: `{"hello": "world"}`.
        assert_eq!(
            ContentDigest::of(HELLO).header_value(),
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
        );
        let parsed = ContentDigest::parse_header_value(
            b"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
        )
        .unwrap();
        assert_eq!(parsed, ContentDigest::of(HELLO));
        assert!(parsed.check(&ContentDigest::of(HELLO)).is_ok());
        let e = parsed.check(&ContentDigest::of(HELLO_NL)).unwrap_err();
        assert_eq!((e.code(), e.status()), ("digest_mismatch", 400));
    }

    #[test]
    fn malformed_values_are_refused() {
        for bad in [
            &b""[..],
            b"sha-256",
            b"sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
            b"sha-256=\"X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\"",
            b"sha-256=:AAAA:",
            b"sha-256=(:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:)",
            b"SHA-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
            b"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:,",
            b"md5=:1B2M2Y8AsgTpgAmY7PhCfg==:",
            // Two sha-256 members: which one is meant depends on the reader.
            b"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:",
        ] {
            let e = ContentDigest::parse_header_value(bad).unwrap_err();
            assert_eq!(
                e.code(),
                "invalid_content_digest",
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let huge = vec![b'a'; MAX_HEADER_BYTES + 1];
        assert_eq!(
            ContentDigest::parse_header_value(&huge).unwrap_err().code(),
            "invalid_content_digest"
        );
    }

    #[test]
    fn parameters_and_other_members_are_tolerated() {
        let v = b"unixsum=30637, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:;x=1";
        assert_eq!(
            ContentDigest::parse_header_value(v).unwrap(),
            ContentDigest::of(HELLO)
        );
    }

    #[test]
    fn header_lines_are_combined() {
        let mut headers = HeaderMap::new();
        assert_eq!(
            ContentDigest::from_headers(&headers).unwrap_err().code(),
            "content_digest_required"
        );
        headers.append(CONTENT_DIGEST, HeaderValue::from_static("sha-512=:AAAA:"));
        headers.append(
            CONTENT_DIGEST,
            HeaderValue::from_static("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"),
        );
        assert_eq!(
            ContentDigest::from_headers(&headers).unwrap(),
            ContentDigest::of(HELLO)
        );
    }

    proptest! {
        #[test]
        fn streaming_equals_one_shot(body in proptest::collection::vec(any::<u8>(), 0..4096), cuts in proptest::collection::vec(0usize..4096, 0..8)) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(body.len())).collect();
            cuts.sort_unstable();
            let mut hasher = DigestHasher::new();
            let mut at = 0;
            for c in cuts {
                hasher.update(&body[at..c]);
                at = c;
            }
            hasher.update(&body[at..]);
            prop_assert_eq!(hasher.bytes_hashed(), body.len() as u64);
            let d = hasher.finish();
            prop_assert_eq!(d, ContentDigest::of(&body));
            prop_assert_eq!(ContentDigest::parse_header_value(d.header_value().as_bytes()), Ok(d));
        }
    }
}
