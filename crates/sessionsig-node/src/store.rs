//! The node's stores: revocations and use counters (the core's sync [`RevocationStore`] and
//! [`UsageStore`] traits, shared by every node of a network), plus the record of each signed
//! revocation so `GET /v1/revocations/{id}` can show who revoked what, when, and the proof,
//! and the per-client revocation rate limits every node of the store shares (so a client
//! cannot multiply its allowance by the number of nodes). A revocation is kept only while what
//! it revokes could still be valid ([`RevocationLog::prune`]), so the store stays bounded.
//!
//! Every method here is synchronous and may block (a database round trip): call it from
//! `tokio::task::spawn_blocking`, never on an async worker thread.

use crate::error::{NodeError, Result};
use crate::rate_limit::{ClientKey, RateLimiter};
use alloy_primitives::Address;
use sessionsig::auth_sig::{AuthSig, VerifiedRevocation};
use sessionsig::verify::{
    MemoryRevocationStore, MemoryUsageStore, RevocationStore, RevocationTarget, UsageStore,
    UseCharge,
};
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

/// One recorded revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationRecord {
    /// What is revoked.
    pub target: RevocationTarget,
    /// The wallet that revoked it (only its own grants are affected).
    pub issuer: Address,
    /// When the node recorded it.
    pub revoked_at: OffsetDateTime,
    /// The signed revocation itself (a wallet-signed SIWE), the proof anyone can re-check
    /// (absent when the store recorded the revocation without it).
    pub revocation: Option<AuthSig>,
}

/// Where signed revocations are recorded and looked up.
pub trait RevocationLog: Send + Sync {
    /// Record a verified revocation and make it effective (visible to every verifier sharing
    /// the store as soon as this returns). Idempotent: returns the record (the first one when
    /// the same target was already revoked by the same issuer) and whether it is new — one
    /// atomic step, so of identical concurrent calls (threads, nodes sharing the store)
    /// exactly one is told it is new.
    ///
    /// `keep_until`: after it nothing the revocation names can still be valid (the node's
    /// AuthSig lifetime caps), so [`prune`](Self::prune) may delete it; `None`: kept forever.
    fn record(
        &self,
        verified: &VerifiedRevocation,
        signed: &AuthSig,
        at: OffsetDateTime,
        keep_until: Option<OffsetDateTime>,
    ) -> sessionsig::Result<(RevocationRecord, bool)>;

    /// Every recorded revocation of `target` (one per issuer), oldest first.
    fn lookup(&self, target: &RevocationTarget) -> sessionsig::Result<Vec<RevocationRecord>>;

    /// Delete the revocations kept until before `now`, and forget rate-limit buckets that are
    /// full again; returns how many revocations went.
    fn prune(&self, now: OffsetDateTime) -> sessionsig::Result<u64>;

    /// Take one token of `client`'s bucket (`burst` at once, `per_minute` regained a minute)
    /// in the limits every node on this store shares: `Ok(None)` taken, `Ok(Some(wait))`
    /// refused until `wait` has passed.
    fn take_token(
        &self,
        client: ClientKey,
        now: OffsetDateTime,
        burst: u32,
        per_minute: u32,
    ) -> sessionsig::Result<Option<std::time::Duration>>;
}

/// The bucket name of a client in the shared store: `v4:1.2.3.4`, `v6:2001:db8:0:1::/64`,
/// `unknown`.
pub fn bucket_name(client: ClientKey) -> String {
    match client {
        ClientKey::V4(a) => format!("v4:{}", std::net::Ipv4Addr::from(a)),
        ClientKey::V6Prefix(p) => {
            let mut full = [0u8; 16];
            full[..8].copy_from_slice(&p);
            format!("v6:{}/64", std::net::Ipv6Addr::from(full))
        }
        ClientKey::Unknown => "unknown".into(),
    }
}

/// A revocation check made from async code, one round trip, without a blocking thread
/// (PostgreSQL through its async driver on the node's runtime): the answer of
/// [`RevocationStore::first_revoked`] of the same store.
pub trait AsyncRevocations: Send + Sync {
    /// The first of `items` that is revoked, if any.
    fn first_revoked<'a>(
        &'a self,
        items: &'a [(RevocationTarget, Address)],
    ) -> RevocationAnswer<'a>;
}

/// The answer of [`AsyncRevocations::first_revoked`]: the first revoked item, if any.
pub type RevocationAnswer<'a> = std::pin::Pin<
    Box<
        dyn std::future::Future<Output = sessionsig::Result<Option<(RevocationTarget, Address)>>>
            + Send
            + 'a,
    >,
>;

/// The three views of one store a node uses.
#[derive(Clone)]
pub struct Stores {
    /// Read by the verifier on every request.
    pub revocations: Arc<dyn RevocationStore>,
    /// The same revocations, asked from async code (PostgreSQL): a warm request's check then
    /// needs no blocking thread. `None` for stores that answer locally (memory, SQLite) or
    /// that have no async path. Must be the store `revocations` reads.
    pub revocations_async: Option<Arc<dyn AsyncRevocations>>,
    /// Charged by the verifier for `uses` caveats.
    pub usage: Arc<dyn UsageStore>,
    /// Written by `POST /v1/revocations`, read by `GET /v1/revocations/{id}`.
    pub log: Arc<dyn RevocationLog>,
    /// The backpack's metadata, traffic counters and replay table (`None` for the in-memory
    /// store: no backpack).
    pub backpack: Option<Arc<dyn sessionsig_store::backpack::BackpackStore>>,
    /// The store URL with any password removed (safe to print).
    pub description: String,
}

impl std::fmt::Debug for Stores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stores")
            .field("description", &self.description)
            .finish()
    }
}

impl Stores {
    /// Stores held in this process only (nothing shared, nothing persisted).
    pub fn memory() -> Self {
        let m = Arc::new(MemoryStore::default());
        Stores {
            revocations: m.clone(),
            revocations_async: None,
            usage: m.clone(),
            log: m,
            backpack: None,
            description: "memory:".into(),
        }
    }

    /// Open the store at `url`: `memory:`, `sqlite://<path>` or `postgres://…` (tables in
    /// `postgres_schema` when given, created if missing). Blocks: call it from a blocking
    /// thread.
    pub fn open(url: &str, postgres_schema: Option<&str>) -> Result<Self> {
        if url == "memory:" || url == "memory" {
            return Ok(Self::memory());
        }
        sql::open(url, postgres_schema)
    }
}

/// Revocations, use counters, the revocation log and rate limits in memory (one process;
/// shared by the nodes of a `network up` on `memory:`).
#[derive(Debug, Default)]
pub struct MemoryStore {
    revocations: MemoryRevocationStore,
    usage: MemoryUsageStore,
    log: Mutex<Vec<(RevocationRecord, Option<OffsetDateTime>)>>,
    limits: std::sync::OnceLock<Option<RateLimiter>>,
}

impl RevocationStore for MemoryStore {
    fn revoke(&self, target: &RevocationTarget, issuer: Address) -> sessionsig::Result<()> {
        self.revocations.revoke(target, issuer)
    }
    fn is_revoked(&self, target: &RevocationTarget, issuer: Address) -> sessionsig::Result<bool> {
        self.revocations.is_revoked(target, issuer)
    }
    fn answers_locally(&self) -> bool {
        true
    }
}

impl UsageStore for MemoryStore {
    fn try_consume(&self, charges: &[UseCharge]) -> sessionsig::Result<()> {
        self.usage.try_consume(charges)
    }
    fn release(&self, counter: &str, amount: u64) -> sessionsig::Result<()> {
        self.usage.release(counter, amount)
    }
    fn used(&self, counter: &str) -> sessionsig::Result<u64> {
        self.usage.used(counter)
    }
}

impl RevocationLog for MemoryStore {
    fn record(
        &self,
        verified: &VerifiedRevocation,
        signed: &AuthSig,
        at: OffsetDateTime,
        keep_until: Option<OffsetDateTime>,
    ) -> sessionsig::Result<(RevocationRecord, bool)> {
        let mut log = self
            .log
            .lock()
            .map_err(|_| sessionsig::Error::Store("revocation log lock poisoned".into()))?;
        self.revocations
            .revoke(verified.target(), verified.issuer())?;
        if let Some((r, until)) = log
            .iter_mut()
            .find(|(r, _)| &r.target == verified.target() && r.issuer == verified.issuer())
        {
            *until = match (*until, keep_until) {
                (Some(a), Some(b)) => Some(a.max(b)),
                _ => None,
            };
            return Ok((r.clone(), false));
        }
        let r = RevocationRecord {
            target: verified.target().clone(),
            issuer: verified.issuer(),
            revoked_at: at,
            revocation: Some(signed.clone()),
        };
        log.push((r.clone(), keep_until));
        Ok((r, true))
    }

    fn lookup(&self, target: &RevocationTarget) -> sessionsig::Result<Vec<RevocationRecord>> {
        let log = self
            .log
            .lock()
            .map_err(|_| sessionsig::Error::Store("revocation log lock poisoned".into()))?;
        Ok(log
            .iter()
            .filter(|(r, _)| &r.target == target)
            .map(|(r, _)| r.clone())
            .collect())
    }

    /// The log is pruned; the in-memory revocation set (the verifier's view) keeps its entries
    /// for the life of the process, which bounds it already.
    fn prune(&self, now: OffsetDateTime) -> sessionsig::Result<u64> {
        let mut log = self
            .log
            .lock()
            .map_err(|_| sessionsig::Error::Store("revocation log lock poisoned".into()))?;
        let before = log.len();
        log.retain(|(_, until)| until.is_none_or(|u| u >= now));
        Ok((before - log.len()) as u64)
    }

    fn take_token(
        &self,
        client: ClientKey,
        now: OffsetDateTime,
        burst: u32,
        per_minute: u32,
    ) -> sessionsig::Result<Option<std::time::Duration>> {
        let limiter = self
            .limits
            .get_or_init(|| RateLimiter::new(burst, per_minute, 100_000));
        Ok(limiter.as_ref().and_then(|l| l.check(client, now).err()))
    }
}

mod sql {
    use super::*;
    use sessionsig_store::{OpenOptions, SqlStore};

    pub(super) fn open(url: &str, schema: Option<&str>) -> Result<Stores> {
        let mut opts = OpenOptions::new();
        if let Some(s) = schema {
            opts = opts.postgres_schema(s);
        }
        let store = SqlStore::open_with(url, &opts).map_err(NodeError::Verify)?;
        let description = match schema {
            Some(s) if url.starts_with("postgres") => {
                format!("{} (schema {s})", crate::redact::redact_url(url))
            }
            _ => crate::redact::redact_url(url),
        };
        let backpack: Arc<dyn sessionsig_store::backpack::BackpackStore> = Arc::new(store.clone());
        let shared = Arc::new(Sql(store));
        let revocations_async: Option<Arc<dyn AsyncRevocations>> =
            (!shared.answers_locally()).then(|| shared.clone() as Arc<dyn AsyncRevocations>);
        Ok(Stores {
            revocations_async,
            revocations: shared.clone(),
            usage: shared.clone(),
            log: shared,
            backpack: Some(backpack),
            description,
        })
    }

    /// The SQL store, with the revocation log on top. It may be dropped anywhere, async code
    /// included: the store closes its PostgreSQL connections off the runtime itself.
    struct Sql(SqlStore);

    impl RevocationStore for Sql {
        fn revoke(&self, target: &RevocationTarget, issuer: Address) -> sessionsig::Result<()> {
            self.0.revoke(target, issuer)
        }
        fn is_revoked(
            &self,
            target: &RevocationTarget,
            issuer: Address,
        ) -> sessionsig::Result<bool> {
            self.0.is_revoked(target, issuer)
        }
        fn first_revoked(
            &self,
            items: &[(RevocationTarget, Address)],
        ) -> sessionsig::Result<Option<(RevocationTarget, Address)>> {
            self.0.first_revoked(items)
        }
        fn answers_locally(&self) -> bool {
            self.0.answers_locally()
        }
    }

    impl AsyncRevocations for Sql {
        fn first_revoked<'a>(
            &'a self,
            items: &'a [(RevocationTarget, Address)],
        ) -> RevocationAnswer<'a> {
            Box::pin(self.0.first_revoked_async(items))
        }
    }

    impl UsageStore for Sql {
        fn try_consume(&self, charges: &[UseCharge]) -> sessionsig::Result<()> {
            self.0.try_consume(charges)
        }
        fn release(&self, counter: &str, amount: u64) -> sessionsig::Result<()> {
            self.0.release(counter, amount)
        }
        fn used(&self, counter: &str) -> sessionsig::Result<u64> {
            self.0.used(counter)
        }
    }

    fn convert(r: sessionsig_store::RevocationRecord) -> RevocationRecord {
        RevocationRecord {
            target: r.target,
            issuer: r.issuer,
            revoked_at: r.revoked_at,
            revocation: r.auth_sig.and_then(|j| AuthSig::from_json(&j).ok()),
        }
    }

    impl RevocationLog for Sql {
        fn record(
            &self,
            verified: &VerifiedRevocation,
            signed: &AuthSig,
            _at: OffsetDateTime,
            keep_until: Option<OffsetDateTime>,
        ) -> sessionsig::Result<(RevocationRecord, bool)> {
            // One atomic insert-if-absent in the store: of identical concurrent posts (on
            // any node sharing it) exactly one is told "new".
            let (record, new) = self
                .0
                .record_revocation_until(verified, signed, keep_until)?;
            Ok((convert(record), new))
        }

        fn lookup(&self, target: &RevocationTarget) -> sessionsig::Result<Vec<RevocationRecord>> {
            Ok(self
                .0
                .get_revocations(target)?
                .into_iter()
                .map(convert)
                .collect())
        }

        fn prune(&self, now: OffsetDateTime) -> sessionsig::Result<u64> {
            self.0.prune_rate_limits(now)?;
            self.0.prune_revocations(now)
        }

        fn take_token(
            &self,
            client: ClientKey,
            now: OffsetDateTime,
            burst: u32,
            per_minute: u32,
        ) -> sessionsig::Result<Option<std::time::Duration>> {
            self.0
                .take_token(&bucket_name(client), now, burst, per_minute)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_are_stable() {
        assert_eq!(bucket_name(ClientKey::V4([10, 0, 0, 1])), "v4:10.0.0.1");
        assert_eq!(
            bucket_name(ClientKey::V6Prefix([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1])),
            "v6:2001:db8:0:1::/64"
        );
        assert_eq!(bucket_name(ClientKey::Unknown), "unknown");
    }

    /// The in-memory log answers "new" once for identical revocations recorded at once.
    #[test]
    fn concurrent_identical_revocations_are_new_exactly_once_in_memory() {
        use sessionsig::auth_sig::{AuthSigPolicy, RevocationParams};
        use sessionsig::time::Timestamp;
        use sessionsig::wallet::{LocalWallet, WalletSigner};
        let stores = Stores::memory();
        let wallet = LocalWallet::from_bytes(&[0x31; 32]).expect("wallet");
        let target = RevocationTarget::AuthSig(alloy_primitives::B256::repeat_byte(7));
        let params = RevocationParams {
            domain: "localhost".into(),
            nonce: "revocation01".into(),
            chain_id: 1,
            issued_at: Timestamp::parse("2025-01-01T00:00:00.000Z").expect("time"),
        };
        let signed = AuthSig::revoke(&wallet, &target, &params).expect("sign");
        let now = sessionsig::time::parse_rfc3339("2025-01-01T00:00:30Z").expect("time");
        let v = signed
            .verify_revocation(now, &AuthSigPolicy::default())
            .expect("verify");
        let barrier = Arc::new(std::sync::Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (log, v, signed, barrier) = (
                    stores.log.clone(),
                    v.clone(),
                    signed.clone(),
                    barrier.clone(),
                );
                std::thread::spawn(move || {
                    barrier.wait();
                    log.record(&v, &signed, now, None).expect("record")
                })
            })
            .collect();
        let results: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().expect("join"))
            .collect();
        assert_eq!(results.iter().filter(|(_, new)| *new).count(), 1);
        assert!(results.iter().all(|(r, _)| r == &results[0].0));
        assert!(stores
            .revocations
            .is_revoked(&target, wallet.address())
            .expect("read"));
    }
}
