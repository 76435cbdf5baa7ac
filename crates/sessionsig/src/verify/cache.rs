//! A bounded cache of verified AuthSigs (and decoded session keys), so a node pays the wallet
//! signature recovery once per session, not once per request.
//!
//! What is cached is only what stays true for an AuthSig's whole life: its signature, its
//! parsed SIWE message, its ReCap and statement check. The time window and revocations are
//! checked again on every request, so a cached entry is never trusted for a revoked AuthSig,
//! and an entry is dropped once its AuthSig has expired. Entries are keyed by the SHA-256 of the
//! signed message and the signature together (length-prefixed, so no two different pairs give
//! the same input), so the cache holds no copy of either, and one signature presented with two
//! messages (a contract wallet may accept both) makes two entries.
//!
//! Optionally ([`AuthSigCache::with_session_sigs`]) it also remembers SessionSigs whose
//! ed25519 signature verified, with their parsed message, keyed by the SHA-256 of their exact
//! bytes (session key, signature and message, length-prefixed): a node that sees the same
//! SessionSig again (a client repeating its `Authorization` header) skips the signature check
//! and the parse, and runs every other check — time windows, node, revocations, grants,
//! charges — as for a new one. A SessionSig differing in any byte is another key. Off by
//! default: a verifier that sees each SessionSig once (the CLI over JSON Lines) would only pay
//! the hash and the insertion.
//!
//! Optionally ([`AuthSigCache::admit_on_second_sighting`]) AuthSigs and session keys are kept
//! only from their second sighting on ([`super::admission`]): for a verifier that meets most of
//! them once, which would otherwise allocate and fault in an entry per line that nobody reads.
//! A contract wallet's AuthSig is still kept on its first sighting (checking it again would ask
//! its chain again).

use super::super::auth_sig::{SignatureCheck, VerifiedAuthSig};
use super::admission::Doorkeeper;
use crate::error::Result;
use crate::session::{SessionPublicKey, SessionSig, SessionSigMessage};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// One cached AuthSig: the result, and when it was verified.
#[derive(Debug)]
struct Entry {
    verified: Arc<VerifiedAuthSig>,
    verified_at: OffsetDateTime,
}

/// A cache key: SHA-256 over the message's length, the message and the signature.
type Key = [u8; 32];

/// The cache key of one AuthSig's (`sig`, `message`), computed once per verification and
/// used for both the lookup and, on a miss, the insertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AuthSigKey(Key);

impl AuthSigKey {
    /// The key of (`sig`, `message`).
    pub(crate) fn of(sig: &str, message: &str) -> Self {
        AuthSigKey(key(sig, message))
    }

    /// 64 bits of the key for the doorkeeper (a SHA-256 output: any 8 bytes will do).
    fn fingerprint(&self) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.0[..8]);
        u64::from_le_bytes(b)
    }
}

/// The doorkeeper's fingerprint of a session key's hex: its first 16 digits (the point's
/// encoding, as uniform as the key; anything else, refused by the parse, gives 0), set apart
/// from AuthSig fingerprints by a constant. A key chosen to share a bit with another is only
/// cached on its first sighting, as without a doorkeeper.
fn key_fingerprint(hex: &str) -> u64 {
    let head = hex.get(..16).and_then(|h| u64::from_str_radix(h, 16).ok());
    head.unwrap_or(0) ^ 0x5e55_1075_e55e_1075
}

/// The key of (`sig`, `message`).
fn key(sig: &str, message: &str) -> Key {
    let mut h = Sha256::new();
    h.update((message.len() as u64).to_be_bytes());
    h.update(message.as_bytes());
    h.update(sig.as_bytes());
    h.finalize().into()
}

/// The key of a SessionSig's exact bytes: SHA-256 over a domain tag, then the session key,
/// the signature and the message, each but the last length-prefixed.
pub(crate) fn session_sig_key(sig: &SessionSig) -> Key {
    let mut h = Sha256::new();
    h.update(b"sessionsig/seen-session-sig/v1\0");
    h.update((sig.address.len() as u64).to_be_bytes());
    h.update(sig.address.as_bytes());
    h.update((sig.sig.len() as u64).to_be_bytes());
    h.update(sig.sig.as_bytes());
    h.update(sig.signed_message.as_bytes());
    h.finalize().into()
}

/// A SessionSig whose signature verified over its exact bytes, and its parsed message (which
/// names the key that signed). Nothing here depends on time, the node or the stores.
#[derive(Debug)]
pub(crate) struct SeenSessionSig {
    pub(crate) key: SessionPublicKey,
    pub(crate) message: Arc<SessionSigMessage>,
    /// The cache keys of the message's carried AuthSigs, in order: a function of these bytes
    /// alone, so a warm request looks its AuthSigs up without hashing each of them again
    /// (≈ 1 µs per AuthSig of a node's warm path, `perf` under `benches/backpack.rs`).
    pub(crate) auth_sig_keys: Vec<AuthSigKey>,
}

impl SeenSessionSig {
    /// A verified SessionSig's key and message, with its AuthSigs' cache keys.
    pub(crate) fn new(key: SessionPublicKey, message: Arc<SessionSigMessage>) -> Self {
        let auth_sig_keys = message
            .capabilities
            .iter()
            .map(|a| AuthSigKey::of(&a.sig, &a.signed_message))
            .collect();
        SeenSessionSig {
            key,
            message,
            auth_sig_keys,
        }
    }
}

/// The cache. Cheap to share behind an `Arc`; all methods take `&self`.
pub struct AuthSigCache {
    auth_sigs: quick_cache::sync::Cache<Key, Arc<Entry>>,
    keys: quick_cache::sync::Cache<String, SessionPublicKey>,
    session_sigs: Option<quick_cache::sync::Cache<Key, Arc<SeenSessionSig>>>,
    /// When set, AuthSigs and session keys are cached from their second sighting on.
    doorkeeper: Option<Doorkeeper>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl std::fmt::Debug for AuthSigCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSigCache")
            .field("len", &self.auth_sigs.len())
            .field("hits", &self.hits())
            .field("misses", &self.misses())
            .field("session_sigs", &self.session_sigs_len())
            .field("second_sighting", &self.doorkeeper.is_some())
            .finish()
    }
}

impl AuthSigCache {
    /// A cache holding at most `capacity` AuthSigs (and as many session keys).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        AuthSigCache {
            auth_sigs: quick_cache::sync::Cache::new(capacity),
            keys: quick_cache::sync::Cache::new(capacity),
            session_sigs: None,
            doorkeeper: None,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Also remember up to `capacity` SessionSigs whose signature verified (see the
    /// [module](self) documentation); `0` remembers none. Each entry holds the parsed message
    /// (about the size of the SessionSig's JSON).
    pub fn with_session_sigs(mut self, capacity: usize) -> Self {
        self.session_sigs = (capacity > 0).then(|| quick_cache::sync::Cache::new(capacity));
        self
    }

    /// Cache an AuthSig (and a session key) only when it is seen a second time (see the
    /// [module](self) documentation): for a verifier that meets most AuthSigs once. One that
    /// meets each many times pays one more verification per AuthSig, on its second sighting —
    /// except for contract wallets, whose answers are kept at once.
    pub fn admit_on_second_sighting(mut self) -> Self {
        self.doorkeeper = Some(Doorkeeper::new());
        self
    }

    /// Whether an entry of this fingerprint is cached now (always, without a doorkeeper).
    fn admits(&self, fingerprint: u64) -> bool {
        self.doorkeeper
            .as_ref()
            .is_none_or(|d| d.seen_before(fingerprint))
    }

    /// How many SessionSigs whose signature verified are remembered.
    pub fn session_sigs_len(&self) -> usize {
        self.session_sigs.as_ref().map_or(0, |c| c.len())
    }

    /// The SessionSig with exactly these bytes, if its signature verified before; with the
    /// key to remember it under when it was not (`None` when SessionSigs are not remembered).
    /// `key` gives the SessionSig's key ([`session_sig_key`]), asked only when SessionSigs are
    /// remembered (a caller may have it already).
    pub(crate) fn seen_session_sig(
        &self,
        key: impl FnOnce() -> Key,
    ) -> (Option<Arc<SeenSessionSig>>, Option<Key>) {
        let Some(cache) = &self.session_sigs else {
            return (None, None);
        };
        let key = key();
        match cache.get(&key) {
            Some(seen) => (Some(seen), None),
            None => (None, Some(key)),
        }
    }

    /// Remember that the SessionSig of `key` (from [`Self::seen_session_sig`]) verified.
    pub(crate) fn remember_session_sig(&self, key: Key, seen: SeenSessionSig) {
        if let Some(cache) = &self.session_sigs {
            cache.insert(key, Arc::new(seen));
        }
    }

    /// The verified AuthSig for exactly (`sig`, `message`), unless absent or expired at `now`.
    pub fn get(
        &self,
        sig: &str,
        message: &str,
        now: OffsetDateTime,
        skew: Duration,
    ) -> Option<Arc<VerifiedAuthSig>> {
        self.get_with_age(sig, message, now, skew).map(|(v, _)| v)
    }

    /// [`AuthSigCache::get`], with when the entry was verified (the `now` given to
    /// [`AuthSigCache::insert`]).
    pub fn get_with_age(
        &self,
        sig: &str,
        message: &str,
        now: OffsetDateTime,
        skew: Duration,
    ) -> Option<(Arc<VerifiedAuthSig>, OffsetDateTime)> {
        self.get_by_key(&AuthSigKey::of(sig, message), now, skew)
    }

    /// [`AuthSigCache::get_with_age`] by a key computed once: a miss is followed by an
    /// [`AuthSigCache::insert_by_key`] under the same key, so the message (hundreds of bytes)
    /// is hashed once per verification, not twice.
    pub(crate) fn get_by_key(
        &self,
        key: &AuthSigKey,
        now: OffsetDateTime,
        skew: Duration,
    ) -> Option<(Arc<VerifiedAuthSig>, OffsetDateTime)> {
        let key = &key.0;
        match self.auth_sigs.get(key) {
            Some(e) => {
                let expired = e
                    .verified
                    .expires_at()
                    .and_then(|exp| exp.checked_add(skew))
                    .is_some_and(|end| now >= end);
                if expired {
                    self.auth_sigs.remove(key);
                    self.misses.fetch_add(1, Ordering::Relaxed);
                    return None;
                }
                self.hits.fetch_add(1, Ordering::Relaxed);
                Some((e.verified.clone(), e.verified_at))
            }
            None => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// [`AuthSigCache::get_with_age`] without counting a hit or a miss and without dropping an
    /// expired entry: for a look ahead whose real lookup follows.
    pub(crate) fn peek_with_age(
        &self,
        key: &AuthSigKey,
        now: OffsetDateTime,
        skew: Duration,
    ) -> Option<(Arc<VerifiedAuthSig>, OffsetDateTime)> {
        let e = self.auth_sigs.get(&key.0)?;
        let expired = e
            .verified
            .expires_at()
            .and_then(|exp| exp.checked_add(skew))
            .is_some_and(|end| now >= end);
        (!expired).then(|| (e.verified.clone(), e.verified_at))
    }

    /// Count a hit for an entry taken with [`AuthSigCache::peek_with_age`] and used.
    pub(crate) fn count_hit(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
    }

    /// Remember an AuthSig verified at `now`.
    pub fn insert(
        &self,
        sig: &str,
        message: &str,
        verified: VerifiedAuthSig,
        now: OffsetDateTime,
    ) -> Arc<VerifiedAuthSig> {
        self.insert_by_key(AuthSigKey::of(sig, message), verified, now)
    }

    /// [`AuthSigCache::insert`] under a key computed once (see [`AuthSigCache::get_by_key`]).
    pub(crate) fn insert_by_key(
        &self,
        key: AuthSigKey,
        verified: VerifiedAuthSig,
        now: OffsetDateTime,
    ) -> Arc<VerifiedAuthSig> {
        let verified = Arc::new(verified);
        // A contract wallet's answer is kept at once: asking its chain again is a network
        // round trip, not a signature check.
        let costly = verified.check == SignatureCheck::ContractWallet;
        if costly || self.admits(key.fingerprint()) {
            self.auth_sigs.insert(
                key.0,
                Arc::new(Entry {
                    verified: verified.clone(),
                    verified_at: now,
                }),
            );
        }
        verified
    }

    /// A decoded session public key (decompressing an ed25519 point costs a field square root).
    pub fn session_key(&self, hex: &str) -> Result<SessionPublicKey> {
        if let Some(k) = self.keys.get(hex) {
            return Ok(k);
        }
        let k = SessionPublicKey::parse_hex(hex)?;
        if self.admits(key_fingerprint(hex)) {
            self.keys.insert(hex.to_owned(), k);
        }
        Ok(k)
    }

    /// Forget everything (benchmarks of cold verification; tests).
    pub fn clear(&self) {
        self.auth_sigs.clear();
        self.keys.clear();
        if let Some(c) = &self.session_sigs {
            c.clear();
        }
        if let Some(d) = &self.doorkeeper {
            d.reset();
        }
    }

    /// Number of cached AuthSigs.
    pub fn len(&self) -> usize {
        self.auth_sigs.len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.auth_sigs.is_empty()
    }

    /// Lookups that found a live entry.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Lookups that did not.
    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth_sig::{AuthSig, AuthSigPolicy, SiweRecapParams, DELEGATION_URI};
    use crate::recap::Capability;
    use crate::time::{parse_rfc3339, Timestamp};
    use crate::wallet::LocalWallet;

    fn now() -> OffsetDateTime {
        parse_rfc3339("2025-06-01T12:00:00Z").unwrap()
    }

    fn verified() -> (AuthSig, VerifiedAuthSig) {
        let wallet = LocalWallet::from_bytes(&[7; 32]).unwrap();
        let a = AuthSig::create(
            &wallet,
            &SiweRecapParams {
                domain: "localhost".into(),
                uri: DELEGATION_URI.into(),
                statement: None,
                nonce: "cachetest0001".into(),
                chain_id: 1,
                issued_at: Timestamp::from_instant(now() - Duration::hours(1)),
                expiration: Some(Timestamp::from_instant(now() + Duration::hours(1))),
                not_before: None,
                capability: Capability::new(),
            },
        )
        .unwrap();
        let v = a.verify(now(), &AuthSigPolicy::default()).unwrap();
        (a, v)
    }

    #[test]
    fn entries_are_found_only_for_the_exact_message_and_signature() {
        let (a, v) = verified();
        let cache = AuthSigCache::new(16);
        let skew = Duration::seconds(60);
        cache.insert(&a.sig, &a.signed_message, v, now());
        assert!(cache.get(&a.sig, &a.signed_message, now(), skew).is_some());
        // The same signature with any other message, or one byte more or less: a miss.
        let other = a.signed_message.replace("cachetest0001", "cachetest0002");
        assert!(cache.get(&a.sig, &other, now(), skew).is_none());
        let longer = format!("{} ", a.signed_message);
        assert!(cache.get(&a.sig, &longer, now(), skew).is_none());
        // Moving bytes between the message and the signature changes the key.
        let (m, s) = (&a.signed_message, &a.sig);
        let shifted_msg = format!("{m}{}", &s[..1]);
        assert!(cache.get(&s[1..], &shifted_msg, now(), skew).is_none());
        assert_eq!((cache.hits(), cache.misses()), (1, 3));
        // Past the expiration (plus skew) the entry is gone.
        let late = now() + Duration::hours(1) + skew;
        assert!(cache.get(&a.sig, &a.signed_message, late, skew).is_none());
        assert!(cache.is_empty());
    }

    #[test]
    fn with_a_doorkeeper_entries_are_kept_from_their_second_sighting() {
        let (a, v) = verified();
        let (_, v2) = verified();
        let cache = AuthSigCache::new(16).admit_on_second_sighting();
        let skew = Duration::seconds(60);
        cache.insert(&a.sig, &a.signed_message, v, now());
        assert!(cache.get(&a.sig, &a.signed_message, now(), skew).is_none());
        assert!(cache.is_empty());
        cache.insert(&a.sig, &a.signed_message, v2, now());
        assert!(cache.get(&a.sig, &a.signed_message, now(), skew).is_some());
        // Session keys likewise: decoded both times, kept the second.
        let hex = "4c58e720a903580a39b289b1fffffd7108c5d65509d7da3c255375c968f17da5";
        assert_eq!(cache.session_key(hex).unwrap().to_hex(), hex);
        assert!(cache.keys.get(hex).is_none());
        assert_eq!(cache.session_key(hex).unwrap().to_hex(), hex);
        assert!(cache.keys.get(hex).is_some());
        // A bad key is refused whatever the doorkeeper says, and never kept.
        for _ in 0..2 {
            assert!(cache.session_key("zz").is_err());
        }
        assert_eq!(cache.keys.len(), 1);
        // Without a doorkeeper, the first sighting is kept.
        let plain = AuthSigCache::new(16);
        plain.session_key(hex).unwrap();
        assert!(plain.keys.get(hex).is_some());
    }

    #[test]
    fn one_signature_with_two_messages_makes_two_entries() {
        // A contract wallet may accept one signature for two messages.
        let (a, v) = verified();
        let (_, v2) = verified();
        let cache = AuthSigCache::new(16);
        let other = a.signed_message.replace("cachetest0001", "cachetest0002");
        cache.insert(&a.sig, &a.signed_message, v, now());
        cache.insert(&a.sig, &other, v2, now());
        assert_eq!(cache.len(), 2);
        let skew = Duration::seconds(60);
        assert!(cache.get(&a.sig, &a.signed_message, now(), skew).is_some());
        assert!(cache.get(&a.sig, &other, now(), skew).is_some());
        assert_ne!(key(&a.sig, &a.signed_message), key(&a.sig, &other));
    }
}
