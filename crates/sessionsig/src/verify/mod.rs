//! The node-side verifier: [`UnverifiedSessionSig`] → [`VerifiedSession`], SPEC §8 steps 1–6.
//!
//! ```text
//! bytes ──parse──▶ UnverifiedSessionSig ──Verifier::verify(&Request)──▶ VerifiedSession
//! ```
//! Only this module can build a [`VerifiedSession`]; a handler that takes one cannot forget
//! to verify. Checks run in the order of SPEC §8 and stop at the first failure, each failure
//! with its own [`Error::code`](crate::Error::code).

mod admission;
mod cache;
mod carried;
mod caveats;
mod chain;
mod charges;
mod node;
mod session;
mod siwe_policy;
mod stores;

pub use cache::AuthSigCache;
pub use carried::PAYMENT_DELEGATION_SCOPES;
pub use caveats::{CaveatContext, CaveatDecision, CaveatHook, NoCaveatHook};
pub use charges::{Authorization, Charges, Reservation, TrafficBudget};
pub use node::NodeIdentity;
pub use session::{Grant, GrantSource, VerifiedDelegation, VerifiedSession};
pub use siwe_policy::{AcceptedDomain, AuthSigKind};
pub use stores::{
    ChargeUnit, MemoryRevocationStore, MemoryUsageStore, RevocationStore, RevocationTarget,
    UsageStore, UseCharge,
};

use crate::auth_sig::{
    AuthSig, AuthSigPolicy, AuthSigRole, ContractWalletVerifier, SignatureCheck, VerifiedAuthSig,
    VerifiedRevocation,
};
use crate::error::{Error, Result};
use crate::lit::{LitAbility, LitResource, LitResourcePrefix, ResourceAbilityRequest};
use crate::session::{
    SessionSig, SessionSigMessage, WireRequest, SESSION_ALGO, SESSION_DERIVED_VIA,
};
use crate::time::{parse_iso, Clock};
use alloy_primitives::Address;
use std::str::FromStr;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// Verification settings. `Policy::default()` is what a Lit node enforces, made stricter.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Allowed clock skew on each side of every time window (default 60 s).
    pub skew: Duration,
    /// Longest allowed `expiration - issuedAt` of a SessionSig (default 30 days, as Lit).
    pub max_lifetime: Duration,
    /// Most AuthSigs a SessionSig may carry in `capabilities` (default 8).
    pub max_capabilities: usize,
    /// Most resource ability requests a SessionSig may carry (default 64).
    pub max_requests: usize,
    /// Longest delegation chain from a resource's owner to the session's owner (default 4).
    pub max_chain_length: usize,
    /// Accept `lit.bls` AuthSigs (Lit network-signed PKP sessions) without a BLS check.
    /// Off by default.
    pub trust_lit_bls: bool,
    /// How long a contract wallet's ERC-1271 "yes" is trusted from the cache before the chain
    /// is asked again (default 5 minutes), so that a wallet whose owner changed stops
    /// verifying within that time. Zero asks the chain on every verification. Wallet (EOA)
    /// signatures never change their answer and stay cached for the AuthSig's life.
    pub contract_wallet_recheck: Duration,
    /// SIWE domains (`app.example`, or `https://app.example` for one scheme only) accepted in
    /// every AuthSig a SessionSig carries. `None` (default): any, as Lit nodes do; set it so
    /// a SIWE signed on one site for another (EIP-4361's phishing case) is refused.
    pub accepted_domains: Option<Vec<AcceptedDomain>>,
    /// SIWE `Chain ID`s accepted in every AuthSig a SessionSig carries. `None` (default): any.
    pub accepted_chain_ids: Option<Vec<u64>>,
    /// Longest `Expiration Time - Issued At` of a session AuthSig (default 30 days, as the
    /// SessionSig); one without an `Expiration Time` is refused. `None`: no cap, no
    /// expiration required (Lit's behaviour): a stolen session key would then stay usable
    /// until revoked.
    pub max_session_auth_sig_lifetime: Option<Duration>,
    /// The same for every other carried AuthSig (capacity and payment delegations; default
    /// 90 days).
    pub max_delegation_lifetime: Option<Duration>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            skew: Duration::seconds(60),
            max_lifetime: Duration::days(30),
            max_capabilities: 8,
            max_requests: 64,
            max_chain_length: 4,
            trust_lit_bls: false,
            contract_wallet_recheck: Duration::minutes(5),
            accepted_domains: None,
            accepted_chain_ids: None,
            max_session_auth_sig_lifetime: Some(Duration::days(30)),
            max_delegation_lifetime: Some(Duration::days(90)),
        }
    }
}

/// One operation: `ability` on `resource`, optionally on behalf of the resource's owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The resource acted on.
    pub resource: LitResource,
    /// What is done to it.
    pub ability: LitAbility,
    /// Whose resource it is, when the service knows (a PKP's owner, a backpack's owner). When
    /// it is not the session's owner, a delegation chain from this owner must grant it.
    pub owner: Option<Address>,
}

/// What a request performs: every operation must be among the SessionSig's requests. An empty
/// request checks the SessionSig alone (everything it asks for must be granted).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Request {
    operations: Vec<Operation>,
    context: Option<serde_json::Value>,
}

impl Request {
    /// No particular operation: verify the SessionSig and all it asks for.
    pub fn any() -> Self {
        Request::default()
    }

    /// One operation: `ability` on `resource`.
    pub fn operation(resource: LitResource, ability: LitAbility) -> Self {
        Request::any().and(resource, ability)
    }

    /// Add an operation.
    pub fn and(mut self, resource: LitResource, ability: LitAbility) -> Self {
        self.operations.push(Operation {
            resource,
            ability,
            owner: None,
        });
        self
    }

    /// The last added operation acts on `owner`'s resource.
    pub fn owned_by(mut self, owner: Address) -> Self {
        if let Some(op) = self.operations.last_mut() {
            op.owner = Some(owner);
        }
        self
    }

    /// Service facts about the operation that caveat hooks read (e.g. `{"bytes": 1024}`).
    pub fn with_context(mut self, context: serde_json::Value) -> Self {
        self.context = Some(context);
        self
    }

    /// The operations.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The service context, if any.
    pub fn context(&self) -> Option<&serde_json::Value> {
        self.context.as_ref()
    }
}

/// A SessionSig received from somewhere. Nothing about it is trusted.
///
/// It also remembers the key of its exact bytes in the verifier's seen-SessionSig cache once
/// computed (a SHA-256 over ≈ 2 KB), shared by its clones: a server that keeps the parse of a
/// token it saw before (the node's `token_cache`) then looks a warm SessionSig up without
/// hashing it again. The key is a function of the bytes alone, so it never goes stale.
#[derive(Clone)]
pub struct UnverifiedSessionSig {
    wire: SessionSig,
    seen_key: Arc<std::sync::OnceLock<[u8; 32]>>,
}

impl std::fmt::Debug for UnverifiedSessionSig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnverifiedSessionSig")
            .field("wire", &self.wire)
            .finish_non_exhaustive()
    }
}

/// Two are equal when their wire objects are (the remembered key follows from those).
impl PartialEq for UnverifiedSessionSig {
    fn eq(&self, other: &Self) -> bool {
        self.wire == other.wire
    }
}

impl Eq for UnverifiedSessionSig {}

impl UnverifiedSessionSig {
    /// Parse the JSON of one SessionSig object.
    pub fn parse(json: &str) -> Result<Self> {
        let wire: SessionSig =
            serde_json::from_str(json).map_err(|e| Error::SessionSigMalformed(e.to_string()))?;
        Ok(wire.into())
    }

    /// Take an already-deserialized JSON value.
    pub fn from_value(value: serde_json::Value) -> Result<Self> {
        let wire: SessionSig =
            serde_json::from_value(value).map_err(|e| Error::SessionSigMalformed(e.to_string()))?;
        Ok(wire.into())
    }

    /// The wire object.
    pub fn wire(&self) -> &SessionSig {
        &self.wire
    }

    /// The seen-SessionSig cache key of these exact bytes, computed once.
    fn seen_key(&self) -> [u8; 32] {
        *self
            .seen_key
            .get_or_init(|| cache::session_sig_key(&self.wire))
    }
}

impl From<SessionSig> for UnverifiedSessionSig {
    fn from(wire: SessionSig) -> Self {
        UnverifiedSessionSig {
            wire,
            seen_key: Arc::default(),
        }
    }
}

/// Verifies SessionSigs for one node.
///
/// Holds the node's identity, the policy, the clock, the revocation and usage stores, the
/// caveat hook, an optional contract-wallet verifier and the AuthSig cache. Cheap to share
/// behind an `Arc`; `verify` takes `&self`.
pub struct Verifier<C> {
    node: NodeIdentity,
    policy: Policy,
    clock: C,
    revocations: Arc<dyn RevocationStore>,
    usage: Arc<dyn UsageStore>,
    caveats: Arc<dyn CaveatHook>,
    contract_wallets: Option<Arc<dyn ContractWalletVerifier>>,
    cache: Arc<AuthSigCache>,
}

impl<C: std::fmt::Debug> std::fmt::Debug for Verifier<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("node", &self.node)
            .field("policy", &self.policy)
            .field("clock", &self.clock)
            .field("cache", &self.cache)
            .finish()
    }
}

/// Default number of AuthSigs a verifier caches.
pub const DEFAULT_CACHE_CAPACITY: usize = 10_000;

impl<C: Clock> Verifier<C> {
    /// A verifier for the node whose public URL is `node_url`, with in-memory stores, no
    /// caveat hook, no contract-wallet support and a cache of [`DEFAULT_CACHE_CAPACITY`].
    pub fn new(node_url: &str, policy: Policy, clock: C) -> Result<Self> {
        Ok(Verifier {
            node: NodeIdentity::new(node_url)?,
            policy,
            clock,
            revocations: Arc::new(MemoryRevocationStore::new()),
            usage: Arc::new(MemoryUsageStore::new()),
            caveats: Arc::new(NoCaveatHook),
            contract_wallets: None,
            cache: Arc::new(AuthSigCache::new(DEFAULT_CACHE_CAPACITY)),
        })
    }

    /// Use this revocation store (e.g. one shared by every node).
    pub fn with_revocation_store(mut self, store: Arc<dyn RevocationStore>) -> Self {
        self.revocations = store;
        self
    }

    /// Use this usage store (e.g. one shared by every node).
    pub fn with_usage_store(mut self, store: Arc<dyn UsageStore>) -> Self {
        self.usage = store;
        self
    }

    /// Use this caveat hook for caveat keys the core does not know.
    pub fn with_caveat_hook(mut self, hook: Arc<dyn CaveatHook>) -> Self {
        self.caveats = hook;
        self
    }

    /// Check `EIP1271` AuthSigs with this verifier.
    pub fn with_contract_wallets(mut self, v: Arc<dyn ContractWalletVerifier>) -> Self {
        self.contract_wallets = Some(v);
        self
    }

    /// Use this cache (e.g. one shared by several verifiers of the same process).
    pub fn with_cache(mut self, cache: Arc<AuthSigCache>) -> Self {
        self.cache = cache;
        self
    }

    /// This node's identity.
    pub fn node(&self) -> &NodeIdentity {
        &self.node
    }

    /// The clock verification reads (for checks made around verification, e.g. a node's
    /// nonce age).
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The AuthSig cache (for metrics).
    pub fn cache(&self) -> &AuthSigCache {
        &self.cache
    }

    /// The revocation store.
    pub fn revocation_store(&self) -> &Arc<dyn RevocationStore> {
        &self.revocations
    }

    /// The usage store.
    pub fn usage_store(&self) -> &Arc<dyn UsageStore> {
        &self.usage
    }

    fn auth_policy(&self) -> AuthSigPolicy<'_> {
        AuthSigPolicy {
            skew: self.policy.skew,
            trust_lit_bls: self.policy.trust_lit_bls,
            contract_wallets: self.contract_wallets.as_deref(),
        }
    }

    /// Verify a signed revocation at the clock's current time with this verifier's own
    /// AuthSig policy (skew, trusted network signatures, and its contract-wallet checks for
    /// `EIP1271` revocations), recording nothing: for a service that records the revocation
    /// itself (a node's revocation log, with the AuthSig kept for audit). The only way to a
    /// [`VerifiedRevocation`] a verifier honours.
    pub fn verify_revocation(&self, revocation: &AuthSig) -> Result<VerifiedRevocation> {
        revocation.verify_revocation(self.clock.now(), &self.auth_policy())
    }

    /// Verify a signed revocation and record it: from then on this store refuses the target
    /// on every verification (cached or not).
    pub fn revoke(&self, revocation: &AuthSig) -> Result<VerifiedRevocation> {
        let v = self.verify_revocation(revocation)?;
        self.revocations.revoke(&v.target, v.issuer)?;
        Ok(v)
    }

    /// Verify at the clock's current time and commit its charges (one use of each `uses`
    /// caveat; no traffic). For a request with checks of its own after verification, use
    /// [`Verifier::authorize`] and [`Verifier::commit`] instead.
    pub fn verify(&self, sig: &UnverifiedSessionSig, request: &Request) -> Result<VerifiedSession> {
        self.verify_at(sig, request, self.clock.now())
    }

    /// Verify at the clock's current time, spending nothing: the returned [`Authorization`]
    /// holds the session and the charges a [`Verifier::commit`] will spend.
    pub fn authorize(
        &self,
        sig: &UnverifiedSessionSig,
        request: &Request,
    ) -> Result<Authorization> {
        self.authorize_at(sig, request, self.clock.now())
    }

    /// [`Verifier::authorize`], but only for a SessionSig whose every expensive step is already
    /// cached: its exact bytes verified before (the cache remembers SessionSigs, see
    /// [`AuthSigCache::with_session_sigs`]) and every AuthSig it carries is cached with no
    /// contract-wallet check due. Then the only work left that may wait is the revocation
    /// store's query, so a server may run it on its async threads (with a store that answers
    /// from this process or a local file). `None`, having done nothing (no cache counted), when
    /// any step would need a signature check, a parse or the chain. The answer is the one
    /// [`Verifier::authorize`] gives.
    pub fn authorize_warm(
        &self,
        sig: &UnverifiedSessionSig,
        request: &Request,
    ) -> Option<Result<Authorization>> {
        let now = self.clock.now();
        let warm = self.warm_parts(sig, now)?;
        Some(self.authorize_steps(sig, request, now, Some(warm)))
    }

    /// [`Verifier::authorize_warm`] for a server that asks its revocation store itself
    /// (asynchronously, say): every step but the revocation query runs now, and the
    /// [`PendingRevocations`] lists what to ask. [`Verifier::finish_warm`] with the store's
    /// answer completes it, exactly as [`Verifier::authorize`] would have. `None`, having done
    /// nothing, when the SessionSig is not warm.
    pub fn authorize_warm_pending(
        &self,
        sig: &UnverifiedSessionSig,
        request: &Request,
    ) -> Option<Result<PendingRevocations>> {
        let now = self.clock.now();
        let warm = self.warm_parts(sig, now)?;
        Some(
            self.prepare(sig, now, Some(warm))
                .map(|prepared| PendingRevocations {
                    prepared,
                    request: request.clone(),
                }),
        )
    }

    /// Complete a [`PendingRevocations`] with the answer of this verifier's revocation store
    /// to [`RevocationStore::first_revoked`] of [`PendingRevocations::items`] (one query of
    /// the same store, made by the caller): refused [`Error::Revoked`] when it names one.
    pub fn finish_warm(
        &self,
        pending: PendingRevocations,
        first_revoked: Option<(RevocationTarget, Address)>,
    ) -> Result<Authorization> {
        if let Some((target, issuer)) = first_revoked {
            return Err(revoked(&target, issuer));
        }
        self.finish(pending.prepared, &pending.request)
    }

    /// Spend an authorization's charges, all or nothing, atomically across every node sharing
    /// the usage store: one use of each `uses` caveat, and `bytes` of traffic reserved on each
    /// `max_bytes` counter. Refused with [`Error::UsesExhausted`] or [`Error::QuotaExhausted`]
    /// (nothing spent) when a counter cannot take it.
    pub fn commit(
        &self,
        auth: Authorization,
        bytes: u64,
    ) -> Result<(VerifiedSession, Reservation)> {
        let (session, charges) = auth.into_parts();
        let store = charges.to_store(bytes);
        if !store.is_empty() {
            self.usage.try_consume(&store)?;
        }
        let counters = if bytes > 0 {
            charges
                .traffic()
                .iter()
                .map(|t| t.counter.clone())
                .collect()
        } else {
            Vec::new()
        };
        Ok((session, Reservation::new(counters, bytes)))
    }

    /// Give back `unused` bytes of a reservation (at most what it reserved): the part of a
    /// transfer that did not happen.
    pub fn release(&self, reservation: &Reservation, unused: u64) -> Result<()> {
        let unused = unused.min(reservation.bytes());
        if unused == 0 {
            return Ok(());
        }
        for c in reservation.counters() {
            self.usage.release(c, unused)?;
        }
        Ok(())
    }

    /// Verify an AuthSig through the cache: signature, statement and ReCap once; time window
    /// every time. `session_key`, when given, must be the key its URI delegates to (checked
    /// before any signature work).
    fn auth_sig(
        &self,
        auth: &AuthSig,
        now: OffsetDateTime,
        session_key: Option<&str>,
    ) -> Result<Arc<VerifiedAuthSig>> {
        let skew = self.policy.skew;
        let recheck = self.policy.contract_wallet_recheck;
        // One hash of the message for the lookup and, on a miss, the insertion.
        let cache_key = cache::AuthSigKey::of(&auth.sig, &auth.signed_message);
        let cached = self
            .cache
            .get_by_key(&cache_key, now, skew)
            .filter(|(v, verified_at)| {
                v.check != SignatureCheck::ContractWallet || now - *verified_at < recheck
            });
        let v = match cached {
            Some((v, _)) => {
                check_role(&v.role, session_key)?;
                v
            }
            None => {
                let (siwe, role) = auth.parse_siwe()?;
                check_role(&role, session_key)?;
                let v = auth.verify_timeless(siwe, role, &self.auth_policy())?;
                self.cache.insert_by_key(cache_key, v, now)
            }
        };
        v.check_time(now, skew)?;
        siwe_policy::check(&self.policy, &v, AuthSigKind::of(&v.role))?;
        Ok(v)
    }

    /// [`Self::auth_sig`] for an entry a warm verification already took from the cache:
    /// counted as a hit, its role, time window and policy checked as for any cached one.
    fn cached_auth_sig(
        &self,
        v: Arc<VerifiedAuthSig>,
        now: OffsetDateTime,
        session_key: Option<&str>,
    ) -> Result<Arc<VerifiedAuthSig>> {
        self.cache.count_hit();
        check_role(&v.role, session_key)?;
        v.check_time(now, self.policy.skew)?;
        siwe_policy::check(&self.policy, &v, AuthSigKind::of(&v.role))?;
        Ok(v)
    }

    fn check_revoked(&self, items: &[(RevocationTarget, Address)]) -> Result<()> {
        if let Some((target, issuer)) = self.revocations.first_revoked(items)? {
            return Err(revoked(&target, issuer));
        }
        Ok(())
    }

    /// Verify as of `now` and commit its charges (no traffic); see [`Verifier::verify`].
    pub fn verify_at(
        &self,
        sig: &UnverifiedSessionSig,
        request: &Request,
        now: OffsetDateTime,
    ) -> Result<VerifiedSession> {
        let auth = self.authorize_at(sig, request, now)?;
        self.commit(auth, 0).map(|(session, _)| session)
    }

    /// Verify as of `now` (SPEC §8, steps 1–8, in order, stopping at the first failure),
    /// spending nothing.
    pub fn authorize_at(
        &self,
        sig: &UnverifiedSessionSig,
        request: &Request,
        now: OffsetDateTime,
    ) -> Result<Authorization> {
        self.authorize_steps(sig, request, now, None)
    }

    /// What [`Verifier::authorize_warm`] needs cached before it begins: the remembered
    /// SessionSig, and every AuthSig it carries (with no contract-wallet check due); `None`
    /// when anything is missing. Counts no cache hit or miss (the steps count the hits).
    fn warm_parts(&self, sig: &UnverifiedSessionSig, now: OffsetDateTime) -> Option<Warm> {
        let (seen, _) = self.cache.seen_session_sig(|| sig.seen_key());
        let seen = seen?;
        let skew = self.policy.skew;
        let recheck = self.policy.contract_wallet_recheck;
        let auth_sigs = seen
            .auth_sig_keys
            .iter()
            .map(|k| {
                self.cache
                    .peek_with_age(k, now, skew)
                    .filter(|(v, at)| {
                        v.check != SignatureCheck::ContractWallet || now - *at < recheck
                    })
                    .map(|(v, _)| v)
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Warm { seen, auth_sigs })
    }

    /// SPEC §8 steps 1–8, in order, stopping at the first failure. With `warm`, steps 1–2
    /// (signature and parse of these exact bytes) are what the cache remembered, and the
    /// AuthSigs are the entries [`Self::warm_parts`] took from the cache.
    fn authorize_steps(
        &self,
        sig: &UnverifiedSessionSig,
        request: &Request,
        now: OffsetDateTime,
        warm: Option<Warm>,
    ) -> Result<Authorization> {
        let prepared = self.prepare(sig, now, warm)?;
        self.check_revoked(&prepared.revocations)?;
        self.finish(prepared, request)
    }

    /// Steps 1–5 and 7 (the carried AuthSigs), up to the revocation check of step 8.
    fn prepare(
        &self,
        sig: &UnverifiedSessionSig,
        now: OffsetDateTime,
        warm: Option<Warm>,
    ) -> Result<Prepared> {
        let wire = &sig.wire;
        // Step 1: algorithm, shape, strict ed25519 over the exact bytes.
        if wire.algo.as_deref() != Some(SESSION_ALGO) {
            return Err(Error::UnsupportedAlgorithm(format!(
                "algo must be `{SESSION_ALGO}`, found {:?}",
                wire.algo.as_deref().unwrap_or("<absent>")
            )));
        }
        if wire.derived_via != SESSION_DERIVED_VIA {
            return Err(Error::UnsupportedAlgorithm(format!(
                "derivedVia must be `{SESSION_DERIVED_VIA}`, found `{}`",
                truncate(&wire.derived_via)
            )));
        }
        // Steps 1-2 depend on nothing but these exact bytes: a SessionSig seen before (when
        // the cache remembers them) skips them; everything after runs every time.
        let (seen, remember, warm_auth_sigs) = match warm {
            Some(w) => (Some(w.seen), None, Some(w.auth_sigs)),
            None => {
                let (seen, remember) = self.cache.seen_session_sig(|| sig.seen_key());
                (seen, remember, None)
            }
        };
        // Warm: the AuthSigs found cached when the request began (in capability order), so
        // none can be evicted in between; their time windows and policy are checked below.
        let warm_auth_sig = |i: usize| warm_auth_sigs.as_ref().and_then(|v| v.get(i).cloned());
        let (key, msg) = match seen {
            Some(seen) => (seen.key, seen.message.clone()),
            None => {
                let sig_bytes = decode_sig(&wire.sig)?;
                let key = self.cache.session_key(&wire.address)?;
                key.verify_strict(wire.signed_message.as_bytes(), &sig_bytes)?;

                // Step 2: the signed message parses and names the signing key.
                let msg = SessionSigMessage::parse(&wire.signed_message)?;
                if msg.session_key != wire.address {
                    return Err(Error::SessionKeyMismatch);
                }
                let msg = Arc::new(msg);
                if let Some(k) = remember {
                    self.cache
                        .remember_session_sig(k, cache::SeenSessionSig::new(key, msg.clone()));
                }
                (key, msg)
            }
        };
        if msg.capabilities.len() > self.policy.max_capabilities {
            return Err(Error::SessionSigMalformed(format!(
                "{} capabilities exceed the limit of {}",
                msg.capabilities.len(),
                self.policy.max_capabilities
            )));
        }
        if msg.resource_ability_requests.len() > self.policy.max_requests {
            return Err(Error::SessionSigMalformed(format!(
                "{} resource ability requests exceed the limit of {}",
                msg.resource_ability_requests.len(),
                self.policy.max_requests
            )));
        }

        // Step 3: times.
        let skew = self.policy.skew;
        let issued_at = parse_iso(&msg.issued_at)?;
        let expiration = parse_iso(&msg.expiration)?;
        // Checked arithmetic: timestamps near the end of the representable range must not
        // overflow (found by fuzzing; an overflowing bound means "no bound").
        if now
            .checked_add(skew)
            .is_some_and(|latest| issued_at > latest)
        {
            return Err(Error::IssuedInFuture(msg.issued_at.clone()));
        }
        if expiration < issued_at {
            return Err(Error::ExpirationBeforeIssuedAt);
        }
        if expiration.checked_add(skew).is_some_and(|end| now >= end) {
            return Err(Error::Expired(msg.expiration.clone()));
        }
        let lifetime = expiration - issued_at;
        if lifetime > self.policy.max_lifetime {
            return Err(Error::LifetimeTooLong {
                actual_secs: lifetime.whole_seconds(),
                max_secs: self.policy.max_lifetime.whole_seconds(),
            });
        }

        // Step 4: this node.
        if !self.node.matches(&msg.node_address) {
            return Err(Error::WrongNode {
                expected: self.node.url().to_owned(),
                found: truncate(&msg.node_address),
            });
        }

        // Step 5: the session AuthSig (last capability) delegates to this key and verifies.
        let Some((session_wire, others)) = msg.capabilities.split_last() else {
            return Err(Error::MissingSessionAuthSig(wire.address.clone()));
        };
        let session_auth = match warm_auth_sig(others.len()) {
            Some(v) => self.cached_auth_sig(v, now, Some(&wire.address))?,
            None => self.auth_sig(session_wire, now, Some(&wire.address))?,
        };
        let owner = session_auth.address;

        // Step 7: delegations (and other AuthSigs) carried along verify too.
        let mut carried = Vec::with_capacity(others.len());
        for (i, other) in others.iter().enumerate() {
            let checked = match warm_auth_sig(i) {
                Some(v) => self.cached_auth_sig(v, now, None),
                None => self.auth_sig(other, now, None),
            };
            let v = match checked {
                Err(e @ (Error::SiweExpired(_) | Error::SiweNotYetValid(_))) => {
                    let (siwe, _) = other.parse_siwe()?;
                    return Err(Error::DelegationNotValid {
                        delegator: siwe.address.to_checksum(None),
                        reason: e.to_string(),
                    });
                }
                other => other?,
            };
            if let AuthSigRole::Revocation(_) = v.role {
                return Err(Error::AuthSigMalformed(
                    "a revocation cannot be carried as a capability".into(),
                ));
            }
            carried.push(v);
        }

        // Step 8: nothing in the chain is revoked.
        let mut chain_items = Vec::with_capacity(2 + carried.len());
        chain_items.push((RevocationTarget::SessionKey(wire.address.clone()), owner));
        chain_items.push((RevocationTarget::AuthSig(session_auth.hash), owner));
        for d in &carried {
            chain_items.push((RevocationTarget::AuthSig(d.hash), d.address));
        }
        Ok(Prepared {
            owner,
            key,
            msg,
            issued_at,
            expiration,
            session_auth,
            carried,
            revocations: chain_items,
        })
    }

    /// Steps 6–7 (grants) once nothing in the chain is revoked, and the result.
    fn finish(&self, prepared: Prepared, request: &Request) -> Result<Authorization> {
        let Prepared {
            owner,
            key,
            msg,
            issued_at,
            expiration,
            session_auth,
            carried,
            revocations: _,
        } = prepared;
        // Steps 6-7: every request is granted to the session key, and traced to its root.
        let requests = typed_requests(&msg.resource_ability_requests)?;
        let resolver = chain::Resolver {
            owner,
            session: &session_auth,
            delegations: &carried,
            hook: self.caveats.as_ref(),
            max_chain: self.policy.max_chain_length,
            context: request.context(),
            max_price: msg.max_price.as_deref(),
            abilities: carried::abilities(request, &requests),
        };
        let mut charges = resolver.carried_charges()?;
        let mut grants = Vec::with_capacity(requests.len());
        for r in &requests {
            grants.push(resolver.grant(r, None, &mut charges)?);
        }
        for op in request.operations() {
            let asked = requests
                .iter()
                .any(|r| r.ability.covers(op.ability) && r.resource.covers(&op.resource));
            if !asked {
                return Err(Error::OperationNotRequested(format!(
                    "{} on {}",
                    op.ability.as_str(),
                    op.resource.key()
                )));
            }
            let want = ResourceAbilityRequest {
                resource: op.resource.clone(),
                ability: op.ability,
            };
            resolver.grant(&want, op.owner, &mut charges)?;
        }

        let mut expires_at = expiration;
        for v in std::iter::once(&session_auth).chain(carried.iter()) {
            if let Some(e) = v.expires_at() {
                expires_at = expires_at.min(e);
            }
        }
        let session = VerifiedSession::new(
            (owner, session_auth.address_eip55),
            key,
            msg.node_address.clone(),
            issued_at,
            expires_at,
            requests,
            grants,
            session_auth.hash,
            session_auth.check,
            carried
                .iter()
                .map(|v| VerifiedDelegation::from_auth_sig(v))
                .collect(),
        );
        Ok(Authorization::new(session, charges))
    }
}

fn revoked(target: &RevocationTarget, issuer: Address) -> Error {
    Error::Revoked(format!(
        "{} revoked by {}",
        target.id(),
        issuer.to_checksum(None)
    ))
}

/// Steps 1–5 and 7 done: what the grants (steps 6–7) need once step 8 (revocations) passed.
struct Prepared {
    owner: Address,
    key: crate::session::SessionPublicKey,
    msg: Arc<SessionSigMessage>,
    issued_at: OffsetDateTime,
    expiration: OffsetDateTime,
    session_auth: Arc<VerifiedAuthSig>,
    carried: Vec<Arc<VerifiedAuthSig>>,
    revocations: Vec<(RevocationTarget, Address)>,
}

/// A warm verification waiting only for its revocation store's answer
/// ([`Verifier::authorize_warm_pending`], then [`Verifier::finish_warm`]). Grants nothing by
/// itself: only the verifier turns it into an [`Authorization`].
#[must_use = "a pending verification grants nothing until it is finished"]
pub struct PendingRevocations {
    prepared: Prepared,
    request: Request,
}

impl std::fmt::Debug for PendingRevocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingRevocations")
            .field("items", &self.prepared.revocations)
            .finish()
    }
}

impl PendingRevocations {
    /// What to ask the revocation store ([`RevocationStore::first_revoked`]), in order.
    pub fn items(&self) -> &[(RevocationTarget, Address)] {
        &self.prepared.revocations
    }
}

/// What a warm-only verification found cached before it began.
struct Warm {
    seen: Arc<cache::SeenSessionSig>,
    /// Every AuthSig the SessionSig carries, in capability order.
    auth_sigs: Vec<Arc<VerifiedAuthSig>>,
}

fn check_role(role: &AuthSigRole, session_key: Option<&str>) -> Result<()> {
    let Some(expected) = session_key else {
        return Ok(());
    };
    match role {
        AuthSigRole::Session(k) if k == expected => Ok(()),
        AuthSigRole::Session(k) => Err(Error::AuthSigWrongSessionKey {
            expected: expected.to_owned(),
            found: truncate(k),
        }),
        _ => Err(Error::MissingSessionAuthSig(expected.to_owned())),
    }
}

/// Map wire requests to typed Lit requests, refusing unknown prefixes and abilities.
fn typed_requests(wire: &[WireRequest]) -> Result<Vec<ResourceAbilityRequest>> {
    wire.iter()
        .map(|r| {
            let prefix = LitResourcePrefix::from_str(&r.resource.resource_prefix)?;
            let resource = LitResource::new(prefix, r.resource.resource.clone())?;
            let ability = LitAbility::from_str(&r.ability)?;
            if !ability.applies_to(prefix) {
                return Err(Error::InvalidAbility(format!(
                    "`{}` does not apply to `{}` resources",
                    ability.as_str(),
                    prefix.as_str()
                )));
            }
            Ok(ResourceAbilityRequest { resource, ability })
        })
        .collect()
}

fn decode_sig(sig: &str) -> Result<[u8; 64]> {
    if sig.len() != 128 {
        return Err(Error::SessionSigMalformed(format!(
            "sig must be 128 hex characters, found {}",
            sig.len()
        )));
    }
    let mut out = [0u8; 64];
    // const-hex (alloy's hex, vectorised): the length is checked above, so its stripping of a
    // `0x` prefix only ever turns such input into a length error, as `hex` refused it.
    alloy_primitives::hex::decode_to_slice(sig, &mut out)
        .map_err(|_| Error::SessionSigMalformed("sig is not hexadecimal".into()))?;
    Ok(out)
}

pub(crate) fn truncate(s: &str) -> String {
    s.chars().take(200).collect()
}
