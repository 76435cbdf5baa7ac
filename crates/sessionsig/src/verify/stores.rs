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
}

/// One use to charge: add 1 to `counter` only if fewer than `limit` were used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseCharge {
    /// The counter, e.g. `delegation:0x<keccak of the delegation's signed message>`.
    pub counter: String,
    /// The `uses` limit from the caveat.
    pub limit: u64,
}

/// Where use counters are kept (`uses` caveats, counted per delegation across all sessions).
pub trait UsageStore: Send + Sync {
    /// Atomically charge every counter in `charges` by one, all or nothing: if any counter has
    /// reached its limit nothing is charged and [`Error::UsesExhausted`] names it. Two
    /// concurrent calls for the last unit: exactly one succeeds. An `Ok` is an acknowledged,
    /// durable write.
    fn try_consume(&self, charges: &[UseCharge]) -> Result<()>;
    /// How many uses `counter` has had.
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
        Ok(self
            .revoked
            .lock()
            .map_err(|_| Error::Store("revocation store lock poisoned".into()))?
            .contains(&(target.clone(), issuer)))
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
        for c in charges {
            if counts.get(&c.counter).copied().unwrap_or(0) >= c.limit {
                return Err(Error::UsesExhausted {
                    counter: c.counter.clone(),
                    limit: c.limit,
                });
            }
        }
        for c in charges {
            *counts.entry(c.counter.clone()).or_insert(0) += 1;
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
        UseCharge {
            counter: c.into(),
            limit,
        }
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
