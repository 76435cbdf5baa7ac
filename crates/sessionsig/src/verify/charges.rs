//! Verify first, charge last: what a verified request will spend, kept apart from spending it.
//!
//! Verification ([`Verifier::authorize`](super::Verifier::authorize)) finds every counter the
//! request must charge — one use of each `uses` caveat on its chain, the traffic of each
//! `max_bytes` caveat — and the tightest `max_object_bytes`, but spends nothing. The caller
//! runs every other check (network nonce, request signature, its own rules) and only then
//! commits ([`Verifier::commit`](super::Verifier::commit)), atomically across every counter; a
//! refused request therefore never spends a use or a byte. A transfer reserves its bytes at
//! commit and gives back what it did not move ([`Verifier::release`](super::Verifier::release)).

use super::session::VerifiedSession;
use super::stores::UseCharge;

/// The limits one satisfied caveat object sets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Limits {
    pub uses: Option<u64>,
    pub max_bytes: Option<u64>,
    pub max_object_bytes: Option<u64>,
}

/// A traffic counter a transfer must reserve its bytes on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TrafficBudget {
    /// The counter, `bytes:auth-sig:<hash>` or `bytes:delegation:<hash>`.
    pub counter: String,
    /// The `max_bytes` limit of the grant.
    pub limit: u64,
}

/// Everything a verified request will spend when committed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Charges {
    uses: Vec<UseCharge>,
    traffic: Vec<TrafficBudget>,
    max_object_bytes: Option<u64>,
}

impl Charges {
    pub(crate) fn add_uses(&mut self, counter: String, limit: u64) {
        if !self.uses.iter().any(|u| u.counter == counter) {
            self.uses.push(UseCharge::one_use(counter, limit));
        }
    }

    pub(crate) fn add_limits(&mut self, base: &str, limits: &Limits) {
        if let Some(limit) = limits.uses {
            self.add_uses(base.to_owned(), limit);
        }
        if let Some(limit) = limits.max_bytes {
            let counter = format!("bytes:{base}");
            match self.traffic.iter_mut().find(|t| t.counter == counter) {
                Some(t) => t.limit = t.limit.min(limit),
                None => self.traffic.push(TrafficBudget { counter, limit }),
            }
        }
        if let Some(m) = limits.max_object_bytes {
            self.max_object_bytes = Some(self.max_object_bytes.map_or(m, |o| o.min(m)));
        }
    }

    /// One use for each `uses` caveat on the chain.
    pub fn uses(&self) -> &[UseCharge] {
        &self.uses
    }

    /// The traffic counters (`max_bytes`) a transfer must reserve on.
    pub fn traffic(&self) -> &[TrafficBudget] {
        &self.traffic
    }

    /// The largest object any grant of the chain lets be written (`max_object_bytes`).
    pub fn max_object_bytes(&self) -> Option<u64> {
        self.max_object_bytes
    }

    /// The smallest traffic limit on the chain, if any (for messages).
    pub fn traffic_limit(&self) -> Option<u64> {
        self.traffic.iter().map(|t| t.limit).min()
    }

    /// The store charges for a commit that reserves `bytes` of traffic.
    pub(crate) fn to_store(&self, bytes: u64) -> Vec<UseCharge> {
        let mut v = self.uses.clone();
        if bytes > 0 {
            v.extend(
                self.traffic
                    .iter()
                    .map(|t| UseCharge::bytes(t.counter.clone(), bytes, t.limit)),
            );
        }
        v
    }
}

/// A verified request whose charges are not spent yet. Only the verifier makes one.
///
/// Read the session to run the service's own checks; then
/// [`Verifier::commit`](super::Verifier::commit) it, or drop it to spend nothing.
#[derive(Debug, Clone)]
#[must_use = "an authorization spends nothing until it is committed"]
pub struct Authorization {
    session: VerifiedSession,
    charges: Charges,
}

impl Authorization {
    pub(crate) fn new(session: VerifiedSession, charges: Charges) -> Self {
        Authorization { session, charges }
    }

    /// The verified session.
    pub fn session(&self) -> &VerifiedSession {
        &self.session
    }

    /// What a commit will spend.
    pub fn charges(&self) -> &Charges {
        &self.charges
    }

    pub(crate) fn into_parts(self) -> (VerifiedSession, Charges) {
        (self.session, self.charges)
    }
}

/// Bytes reserved by a commit on traffic counters: give back what the transfer did not move.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use = "a reservation the transfer did not use should be released"]
pub struct Reservation {
    counters: Vec<String>,
    bytes: u64,
}

impl Reservation {
    pub(crate) fn new(counters: Vec<String>, bytes: u64) -> Self {
        Reservation { counters, bytes }
    }

    /// The bytes reserved on each counter.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The counters reserved on.
    pub fn counters(&self) -> &[String] {
        &self.counters
    }

    /// Whether nothing was reserved.
    pub fn is_empty(&self) -> bool {
        self.counters.is_empty() || self.bytes == 0
    }
}
