//! A bounded cache of verified AuthSigs (and decoded session keys), so a node pays the wallet
//! signature recovery once per session, not once per request.
//!
//! What is cached is only what stays true for an AuthSig's whole life: its signature, its
//! parsed SIWE message, its ReCap and statement check. The time window and revocations are
//! checked again on every request, so a cached entry is never trusted for a revoked AuthSig,
//! and an entry is dropped once its AuthSig has expired. Entries are keyed by the signature
//! text and hold the exact signed message, compared byte for byte on every hit.

use super::super::auth_sig::VerifiedAuthSig;
use crate::error::Result;
use crate::session::SessionPublicKey;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// One cached AuthSig: the exact message it was verified over, the result, and when.
#[derive(Debug)]
struct Entry {
    message: String,
    verified: Arc<VerifiedAuthSig>,
    verified_at: OffsetDateTime,
}

/// The cache. Cheap to share behind an `Arc`; all methods take `&self`.
pub struct AuthSigCache {
    auth_sigs: quick_cache::sync::Cache<String, Arc<Entry>>,
    keys: quick_cache::sync::Cache<String, SessionPublicKey>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl std::fmt::Debug for AuthSigCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSigCache")
            .field("len", &self.auth_sigs.len())
            .field("hits", &self.hits())
            .field("misses", &self.misses())
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
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
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
        let found = self.auth_sigs.get(sig).filter(|e| e.message == message);
        match found {
            Some(e) => {
                let expired = e
                    .verified
                    .expires_at()
                    .and_then(|exp| exp.checked_add(skew))
                    .is_some_and(|end| now >= end);
                if expired {
                    self.auth_sigs.remove(sig);
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

    /// Remember an AuthSig verified at `now`.
    pub fn insert(
        &self,
        sig: &str,
        message: &str,
        verified: VerifiedAuthSig,
        now: OffsetDateTime,
    ) -> Arc<VerifiedAuthSig> {
        let verified = Arc::new(verified);
        self.auth_sigs.insert(
            sig.to_owned(),
            Arc::new(Entry {
                message: message.to_owned(),
                verified: verified.clone(),
                verified_at: now,
            }),
        );
        verified
    }

    /// A decoded session public key (decompressing an ed25519 point costs a field square root).
    pub fn session_key(&self, hex: &str) -> Result<SessionPublicKey> {
        if let Some(k) = self.keys.get(hex) {
            return Ok(k);
        }
        let k = SessionPublicKey::parse_hex(hex)?;
        self.keys.insert(hex.to_owned(), k);
        Ok(k)
    }

    /// Forget everything (benchmarks of cold verification; tests).
    pub fn clear(&self) {
        self.auth_sigs.clear();
        self.keys.clear();
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
