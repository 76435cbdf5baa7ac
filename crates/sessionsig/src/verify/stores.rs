//! What a verifier consults besides the signatures: revocations and usage counters, behind
//! traits so a node can keep them in SQLite or PostgreSQL; in-memory implementations here.

use crate::error::{Error, Result};
use alloy_primitives::Address;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

pub use crate::auth_sig::RevocationTarget;

/// Where revocations are kept. Implementations must make a revocation visible to every
/// verifier sharing the store as soon as `revoke` returns (it is an acknowledged write).
pub trait RevocationStore: Send + Sync {
    /// Record that `issuer` revoked `target`. Idempotent.
    fn revoke(&self, target: &RevocationTarget, issuer: Address) -> Result<()>;
    /// Has `issuer` revoked `target`?
    fn is_revoked(&self, target: &RevocationTarget, issuer: Address) -> Result<bool>;
    /// The first of `items` that is revoked, if any. Stores backed by a database should
    /// answer this in one round trip; the default asks [`is_revoked`](Self::is_revoked) in turn.
    fn first_revoked(
        &self,
        items: &[(RevocationTarget, Address)],
    ) -> Result<Option<(RevocationTarget, Address)>> {
        for (t, a) in items {
            if self.is_revoked(t, *a)? {
                return Ok(Some((t.clone(), *a)));
            }
        }
        Ok(None)
    }
    /// Whether this store answers from this process or a local file, quickly enough that a
    /// server may ask it on an async thread (in-memory maps, SQLite), e.g. when
    /// [`Verifier::authorize_warm`](super::Verifier::authorize_warm) applies. Default `false`
    /// (a network round trip, or unknown): ask it from a blocking thread.
    fn answers_locally(&self) -> bool {
        false
    }
}

/// What a counter counts: the unit decides the error a full counter gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChargeUnit {
    /// Requests (`uses` caveats): a full counter is [`Error::UsesExhausted`].
    Uses,
    /// Bytes of traffic (`max_bytes` caveats): a full counter is [`Error::QuotaExhausted`].
    Bytes,
}

/// One charge: add `amount` to `counter` only if the total stays within `limit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseCharge {
    /// The counter, e.g. `delegation:0x<keccak of the delegation's signed message>`.
    pub counter: String,
    /// The limit from the caveat.
    pub limit: u64,
    /// How much to add (1 for a use; the bytes a transfer reserves).
    pub amount: u64,
    /// What the counter counts.
    pub unit: ChargeUnit,
}

impl UseCharge {
    /// One use of a `uses` caveat.
    pub fn one_use(counter: impl Into<String>, limit: u64) -> Self {
        UseCharge {
            counter: counter.into(),
            limit,
            amount: 1,
            unit: ChargeUnit::Uses,
        }
    }

    /// `amount` bytes of a `max_bytes` caveat.
    pub fn bytes(counter: impl Into<String>, amount: u64, limit: u64) -> Self {
        UseCharge {
            counter: counter.into(),
            limit,
            amount,
            unit: ChargeUnit::Bytes,
        }
    }

    /// The error for this charge when its counter cannot take `amount` more.
    pub fn exhausted(&self) -> Error {
        match self.unit {
            ChargeUnit::Uses => Error::UsesExhausted {
                counter: self.counter.clone(),
                limit: self.limit,
            },
            ChargeUnit::Bytes => Error::QuotaExhausted {
                counter: self.counter.clone(),
                limit: self.limit,
                requested: self.amount,
            },
        }
    }
}

/// Where counters are kept (`uses` caveats, counted per grant across all sessions; `max_bytes`
/// traffic, reserved before a transfer and given back when it moves less).
pub trait UsageStore: Send + Sync {
    /// Atomically add each charge's amount to its counter, all or nothing: if any counter
    /// would pass its limit nothing is charged and [`UseCharge::exhausted`] names it. Two
    /// concurrent calls for the last unit: exactly one succeeds. An `Ok` is an acknowledged,
    /// durable write.
    fn try_consume(&self, charges: &[UseCharge]) -> Result<()>;
    /// Give back `amount` of what `counter` was charged (the unused part of a reservation),
    /// never below zero.
    fn release(&self, counter: &str, amount: u64) -> Result<()>;
    /// How much `counter` has been charged.
    fn used(&self, counter: &str) -> Result<u64>;
}

/// Revocations in memory (one process).
#[derive(Debug, Default)]
pub struct MemoryRevocationStore {
    revoked: Mutex<HashSet<(RevocationTarget, Address)>>,
}

impl MemoryRevocationStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl RevocationStore for MemoryRevocationStore {
    fn revoke(&self, target: &RevocationTarget, issuer: Address) -> Result<()> {
        self.revoked
            .lock()
            .map_err(|_| Error::Store("revocation store lock poisoned".into()))?
            .insert((target.clone(), issuer));
        Ok(())
    }

    fn is_revoked(&self, target: &RevocationTarget, issuer: Address) -> Result<bool> {
        Ok(self.first_revoked(&[(target.clone(), issuer)])?.is_some())
    }

    /// One lock for the whole chain, and nothing hashed or cloned while nothing is revoked
    /// (a verifier of its own, as the CLI's, never holds a revocation).
    fn first_revoked(
        &self,
        items: &[(RevocationTarget, Address)],
    ) -> Result<Option<(RevocationTarget, Address)>> {
        let revoked = self
            .revoked
            .lock()
            .map_err(|_| Error::Store("revocation store lock poisoned".into()))?;
        if revoked.is_empty() {
            return Ok(None);
        }
        Ok(items.iter().find(|item| revoked.contains(*item)).cloned())
    }

    fn answers_locally(&self) -> bool {
        true
    }
}

/// Use counters in memory (one process); the mutex makes check-and-increment atomic.
#[derive(Debug, Default)]
pub struct MemoryUsageStore {
    counts: Mutex<HashMap<String, u64>>,
}

impl MemoryUsageStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl UsageStore for MemoryUsageStore {
    fn try_consume(&self, charges: &[UseCharge]) -> Result<()> {
        let mut counts = self
            .counts
            .lock()
            .map_err(|_| Error::Store("usage store lock poisoned".into()))?;
        let mut wanted: HashMap<&str, u64> = HashMap::new();
        for c in charges {
            let w = wanted.entry(c.counter.as_str()).or_insert(0);
            *w = w.saturating_add(c.amount);
            let used = counts.get(&c.counter).copied().unwrap_or(0);
            if used.saturating_add(*w) > c.limit {
                return Err(c.exhausted());
            }
        }
        for c in charges {
            let n = counts.entry(c.counter.clone()).or_insert(0);
            *n = n.saturating_add(c.amount);
        }
        Ok(())
    }

    fn release(&self, counter: &str, amount: u64) -> Result<()> {
        let mut counts = self
            .counts
            .lock()
            .map_err(|_| Error::Store("usage store lock poisoned".into()))?;
        if let Some(n) = counts.get_mut(counter) {
            *n = n.saturating_sub(amount);
        }
        Ok(())
    }

    fn used(&self, counter: &str) -> Result<u64> {
        Ok(*self
            .counts
            .lock()
            .map_err(|_| Error::Store("usage store lock poisoned".into()))?
            .get(counter)
            .unwrap_or(&0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn exactly_limit_uses_under_concurrency() {
        let store = Arc::new(MemoryUsageStore::new());
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let s = store.clone();
                std::thread::spawn(move || {
                    (0..10)
                        .filter(|_| s.try_consume(&[charge("d", 37)]).is_ok())
                        .count()
                })
            })
            .collect();
        let ok: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(ok, 37);
        assert_eq!(store.used("d").unwrap(), 37);
        assert_eq!(
            store.try_consume(&[charge("d", 37)]).unwrap_err().code(),
            "uses_exhausted"
        );
    }

    fn charge(c: &str, limit: u64) -> UseCharge {
        UseCharge::one_use(c, limit)
    }

    #[test]
    fn byte_reservations_never_pass_the_limit_and_can_be_given_back() {
        let store = MemoryUsageStore::new();
        store
            .try_consume(&[UseCharge::bytes("t", 600, 1000)])
            .unwrap();
        let e = store
            .try_consume(&[UseCharge::bytes("t", 401, 1000)])
            .unwrap_err();
        assert_eq!(e.code(), "quota_exhausted");
        assert_eq!(store.used("t").unwrap(), 600);
        store.release("t", 200).unwrap();
        store
            .try_consume(&[UseCharge::bytes("t", 600, 1000)])
            .unwrap();
        assert_eq!(store.used("t").unwrap(), 1000);
        store.release("t", 5000).unwrap();
        assert_eq!(store.used("t").unwrap(), 0);
    }

    #[test]
    fn charges_are_all_or_nothing() {
        let store = MemoryUsageStore::new();
        store.try_consume(&[charge("a", 1)]).unwrap();
        let e = store
            .try_consume(&[charge("b", 5), charge("a", 1)])
            .unwrap_err();
        assert_eq!(e.code(), "uses_exhausted");
        assert_eq!(store.used("b").unwrap(), 0);
    }

    #[test]
    fn revocations_are_per_issuer() {
        let s = MemoryRevocationStore::new();
        let t = RevocationTarget::SessionKey("ab".repeat(32));
        let alice = Address::repeat_byte(1);
        let bob = Address::repeat_byte(2);
        s.revoke(&t, alice).unwrap();
        assert!(s.is_revoked(&t, alice).unwrap());
        assert!(!s.is_revoked(&t, bob).unwrap());
    }

    #[test]
    fn target_ids_round_trip() {
        let key = "a09aa5f47a6759802ff955f8dc2d2a14a5c99d23be97f864127ff9383455a4f0";
        for t in [
            RevocationTarget::SessionKey(key.into()),
            RevocationTarget::AuthSig(alloy_primitives::B256::repeat_byte(7)),
        ] {
            assert_eq!(RevocationTarget::parse(&t.id()).unwrap(), t);
        }
        assert!(RevocationTarget::parse("session-key:zz").is_err());
        assert!(RevocationTarget::parse("auth-sig:0x12").is_err());
        assert!(RevocationTarget::parse("other:1").is_err());
    }
}
