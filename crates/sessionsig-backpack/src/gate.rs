//! The gate between the backpack and the node's verifier: verify first, charge last.
//!
//! The backpack does not verify SessionSigs itself; the node that mounts it does (its verifier,
//! network nonce, metrics and per-client budgets), through this trait. A route asks the gate
//! to [`check`](Gate::check) the request's SessionSig for the operation (nothing is spent),
//! runs its own checks (request signature, replay, sizes), then [`commit`](Gate::commit)s the
//! bytes it is about to move — one use of each `uses` caveat and a traffic reservation on each
//! `max_bytes` counter, atomically across nodes — and finally
//! [`release`](Gate::release)s what the transfer did not move.

use http::HeaderMap;
use sessionsig::verify::{Authorization, Request, Reservation, VerifiedSession};
use std::future::Future;
use std::pin::Pin;

/// A refusal from the gate (or any layer of a route), as the client will see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status.
    pub status: u16,
    /// The stable code.
    pub code: &'static str,
    /// One sentence for a person.
    pub message: String,
}

impl Refusal {
    /// A refusal with this status, code and message.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            status,
            code,
            message: message.into(),
        }
    }
}

impl From<sessionsig::Error> for Refusal {
    fn from(e: sessionsig::Error) -> Self {
        use sessionsig::ErrorKind as K;
        let status = match e.kind() {
            K::Unauthenticated => 401,
            K::Forbidden => 403,
            K::LimitReached => 429,
            K::InvalidInput => 400,
            K::Unavailable => 503,
            _ => 500,
        };
        Refusal::new(status, e.code(), e.to_string())
    }
}

/// What a gate's futures return.
pub type GateFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Refusal>> + Send + 'a>>;

/// Verification and charging, provided by the node that mounts the backpack.
pub trait Gate: Send + Sync + 'static {
    /// Verify the `Authorization: SessionSig …` of `headers` for `request`, spending nothing.
    fn check<'a>(
        &'a self,
        headers: &'a HeaderMap,
        request: Request,
    ) -> GateFuture<'a, Authorization>;

    /// Spend the authorization's charges with `bytes` of traffic reserved, all or nothing.
    fn commit(
        &self,
        auth: Authorization,
        bytes: u64,
    ) -> GateFuture<'_, (VerifiedSession, Reservation)>;

    /// Give back `unused` bytes of a reservation.
    fn release(&self, reservation: Reservation, unused: u64) -> GateFuture<'_, ()>;
}
