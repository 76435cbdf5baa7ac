//! Parsed SessionSigs by the exact `Authorization` token they came in.
//!
//! A client sends the same SessionSig with every request of a session, and a node's warm
//! path (`Authorizer::check`) no longer recomputes its signatures; what was left to redo on
//! every request was the base64 decode, the JSON depth check and the parse of a ≈ 3 KB token
//! — the largest single part of the authentication cost of a backpack GET of 4 KiB
//! (`perf` under `benches/backpack.rs`: about a quarter of it).
//!
//! The parse is a pure function of the token's bytes, so a token seen before gets its parse
//! back: the cache is keyed by the token itself (hashed by `quick_cache`'s keyed hasher, and
//! compared in full on a hit, so no collision can hand one token another's parse). Every
//! check that can change between two requests with the same bytes — time, revocation,
//! network nonce, charges, the request's resource — still runs on the parsed value. Only
//! tokens that parsed are kept; a bounded number of them (LRU-like eviction), so memory stays
//! bounded whatever clients send.

use sessionsig::verify::UnverifiedSessionSig;

/// How many parsed tokens a node keeps (each ≈ 2 × the token's size: the key and the parse).
pub const DEFAULT_CAPACITY: usize = 1024;

/// Tokens longer than this are parsed every time (a SessionSig with many carried
/// delegations): they would crowd out the common ones and cost more memory than they save.
const MAX_CACHED_TOKEN: usize = 16 * 1024;

/// The cache; share one per node (cheap to clone through an `Arc`).
pub struct TokenCache {
    parsed: quick_cache::sync::Cache<Box<str>, UnverifiedSessionSig>,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("len", &self.parsed.len())
            .finish()
    }
}

impl TokenCache {
    /// A cache of at most `capacity` tokens.
    pub fn new(capacity: usize) -> TokenCache {
        TokenCache {
            parsed: quick_cache::sync::Cache::new(capacity.max(1)),
        }
    }

    /// The parse of `token`: remembered, or made by `parse` (and remembered if it succeeded).
    pub fn get_or_parse<E>(
        &self,
        token: &str,
        parse: impl FnOnce(&str) -> Result<UnverifiedSessionSig, E>,
    ) -> Result<UnverifiedSessionSig, E> {
        if token.len() > MAX_CACHED_TOKEN {
            return parse(token);
        }
        if let Some(sig) = self.parsed.get(token) {
            return Ok(sig);
        }
        let sig = parse(token)?;
        self.parsed.insert(token.into(), sig.clone());
        Ok(sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn sample(n: u8) -> UnverifiedSessionSig {
        let json = serde_json::json!({
            "sig": "ab".repeat(64),
            "derivedVia": "litSessionSignViaNacl",
            "signedMessage": format!("{{\"n\":{n}}}"),
            "address": "cd".repeat(32),
            "algo": "ed25519",
        });
        UnverifiedSessionSig::parse(&json.to_string()).expect("sample")
    }

    #[test]
    fn a_token_is_parsed_once_and_only_its_own_parse_comes_back() {
        let cache = TokenCache::new(8);
        let calls = Cell::new(0);
        let parse = |t: &str| -> Result<UnverifiedSessionSig, ()> {
            calls.set(calls.get() + 1);
            Ok(sample(t.len() as u8))
        };
        let a = cache.get_or_parse("aaaa", parse).unwrap();
        let again = cache.get_or_parse("aaaa", parse).unwrap();
        assert_eq!((a.clone(), calls.get()), (again, 1));
        let b = cache.get_or_parse("bbbbb", parse).unwrap();
        assert_ne!(a, b);
        assert_eq!(calls.get(), 2);
    }

    #[test]
    fn failures_and_huge_tokens_are_not_kept() {
        let cache = TokenCache::new(8);
        let calls = Cell::new(0);
        let fail = |_: &str| -> Result<UnverifiedSessionSig, &'static str> {
            calls.set(calls.get() + 1);
            Err("bad")
        };
        assert_eq!(cache.get_or_parse("x", fail).unwrap_err(), "bad");
        assert_eq!(cache.get_or_parse("x", fail).unwrap_err(), "bad");
        assert_eq!(calls.get(), 2, "a failed parse is tried again");
        let huge = "h".repeat(MAX_CACHED_TOKEN + 1);
        let ok = |_: &str| -> Result<UnverifiedSessionSig, ()> {
            calls.set(calls.get() + 1);
            Ok(sample(1))
        };
        cache.get_or_parse(&huge, ok).unwrap();
        cache.get_or_parse(&huge, ok).unwrap();
        assert_eq!(calls.get(), 4, "huge tokens are parsed every time");
    }
}
