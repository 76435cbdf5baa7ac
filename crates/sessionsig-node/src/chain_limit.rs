//! A bound on contract-wallet checks waiting on the chain at once.
//!
//! A contract-wallet check is a blocking JSON-RPC call made on the blocking pool, and anyone can
//! make the node ask: an AuthSig claiming `derivedVia: "EIP1271"` for any address on a
//! configured chain costs one `eth_call` the first time it is seen. With a slow or hanging
//! endpoint each such request would hold a blocking thread for up to `timeout_ms`, and enough of
//! them would leave none for ordinary (wallet) sessions. [`InFlightLimit`] lets at most
//! `max_in_flight` checks wait on the chain at once; one more is refused at once
//! (`503 contract_wallet_unavailable`, like any check that could not be made) instead of queuing, so
//! the rest of the pool keeps verifying.
//!
//! Each check is also one or two paid JSON-RPC calls, and a contract-wallet AuthSig costs
//! nothing to make up (any address, any signature). So with [`InFlightLimit::per_client`] each
//! client address also has a budget of checks (a token bucket, [`crate::rate_limit`]): a client
//! over it is refused `contract_wallet_unavailable` ("try again in N s") without the chain
//! being asked, while other clients, and every session already verified (cached), go on. The
//! client is the one of the request being verified ([`crate::client_scope`]); a check made
//! outside any request is not counted per client.

use crate::client_scope;
use crate::rate_limit::{retry_after_secs, RateLimiter};
use alloy_primitives::{Address, B256};
use sessionsig::auth_sig::ContractWalletVerifier;
use sessionsig::time::Clock;
use sessionsig::{Error, Result};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A [`ContractWalletVerifier`] that lets at most `max` checks of `inner` run at once, and, with
/// [`InFlightLimit::per_client`], each client at most its budget of checks.
pub struct InFlightLimit<V> {
    inner: V,
    max: usize,
    in_flight: AtomicUsize,
    per_client: Option<(RateLimiter, Arc<dyn Clock>)>,
}

impl<V> std::fmt::Debug for InFlightLimit<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InFlightLimit")
            .field("max", &self.max)
            .field("in_flight", &self.in_flight())
            .field("per_client", &self.per_client.is_some())
            .finish()
    }
}

impl<V> InFlightLimit<V> {
    /// At most `max` (at least 1) checks of `inner` at once.
    pub fn new(inner: V, max: usize) -> Self {
        InFlightLimit {
            inner,
            max: max.max(1),
            in_flight: AtomicUsize::new(0),
            per_client: None,
        }
    }

    /// Also give each client address the budget of `limiter` (one token per check that asks
    /// the chain), timed by `clock`.
    pub fn per_client(mut self, limiter: RateLimiter, clock: Arc<dyn Clock>) -> Self {
        self.per_client = Some((limiter, clock));
        self
    }

    /// Checks running now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Take a slot, unless all `max` are taken.
    fn acquire(&self) -> Option<Slot<'_>> {
        self.in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(&self.in_flight))
    }
}

/// A taken slot, given back when dropped (also when the check panics).
struct Slot<'a>(&'a AtomicUsize);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl<V: ContractWalletVerifier> ContractWalletVerifier for InFlightLimit<V> {
    fn is_valid_signature(
        &self,
        chain_id: u64,
        wallet: Address,
        digest: B256,
        signature: &[u8],
    ) -> Result<bool> {
        let Some(_slot) = self.acquire() else {
            return Err(Error::ContractWalletUnavailable(format!(
                "{} contract-wallet checks are already waiting on the chain; not asked, try again",
                self.max
            )));
        };
        // The slot first: a check refused for the pool does not spend the client's budget.
        if let (Some((limiter, clock)), Some(client)) =
            (&self.per_client, client_scope::running_for())
        {
            if let Err(wait) = limiter.check(client, clock.now()) {
                return Err(Error::ContractWalletUnavailable(format!(
                    "this client address has used its contract-wallet checks for now; \
                     not asked, try again in {} s",
                    retry_after_secs(wait)
                )));
            }
        }
        self.inner
            .is_valid_signature(chain_id, wallet, digest, signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rate_limit::ClientKey;
    use sessionsig::time::{Duration, OffsetDateTime};
    use std::sync::atomic::AtomicUsize;
    use std::sync::mpsc;
    use std::sync::{Arc, Mutex};

    /// A clock the test moves by hand.
    struct Hand(Mutex<OffsetDateTime>);

    impl Clock for Hand {
        fn now(&self) -> OffsetDateTime {
            *self.0.lock().unwrap()
        }
    }

    /// A chain that always says yes, counting the questions.
    #[derive(Default)]
    struct Counting(AtomicUsize);

    impl ContractWalletVerifier for Counting {
        fn is_valid_signature(&self, _: u64, _: Address, _: B256, _: &[u8]) -> Result<bool> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(true)
        }
    }

    #[test]
    fn each_client_has_its_budget_of_checks_and_regains_it() {
        let clock = Arc::new(Hand(Mutex::new(
            sessionsig::time::parse_rfc3339("2025-06-01T12:00:00Z").unwrap(),
        )));
        // 2 at once, then one a minute.
        let limit = InFlightLimit::new(Counting::default(), 4)
            .per_client(RateLimiter::new(2, 1, 100).unwrap(), clock.clone());
        let ask = || limit.is_valid_signature(1, Address::ZERO, B256::ZERO, &[0u8; 65]);
        let (a, b) = (ClientKey::V4([10, 0, 0, 1]), ClientKey::V4([10, 0, 0, 2]));
        client_scope::run_as(Some(a), || {
            assert!(ask().unwrap());
            assert!(ask().unwrap());
            let e = ask().unwrap_err();
            assert_eq!(e.code(), "contract_wallet_unavailable");
            assert!(e.to_string().contains("try again in 60 s"), "{e}");
        });
        assert_eq!(
            limit.inner.0.load(Ordering::SeqCst),
            2,
            "the third was not asked"
        );
        // Another client has its own budget; a check outside any request is not counted.
        client_scope::run_as(Some(b), || assert!(ask().unwrap()));
        for _ in 0..5 {
            assert!(ask().unwrap());
        }
        // A minute later client `a` has one more.
        *clock.0.lock().unwrap() += Duration::minutes(1);
        client_scope::run_as(Some(a), || {
            assert!(ask().unwrap());
            assert!(ask().is_err());
        });
        assert_eq!(limit.inner.0.load(Ordering::SeqCst), 9);
    }

    /// A chain that answers "yes" once the test lets it (one message per answer).
    struct Gate {
        entered: Mutex<mpsc::Sender<()>>,
        release: Mutex<mpsc::Receiver<()>>,
    }

    impl ContractWalletVerifier for Gate {
        fn is_valid_signature(&self, _: u64, _: Address, _: B256, _: &[u8]) -> Result<bool> {
            self.entered.lock().unwrap().send(()).unwrap();
            self.release.lock().unwrap().recv().unwrap();
            Ok(true)
        }
    }

    #[test]
    fn one_more_than_the_limit_is_refused_at_once_and_slots_come_back() {
        let (entered_tx, entered) = mpsc::channel();
        let (release, release_rx) = mpsc::channel();
        let limit = Arc::new(InFlightLimit::new(
            Gate {
                entered: Mutex::new(entered_tx),
                release: Mutex::new(release_rx),
            },
            2,
        ));
        let ask = |l: &InFlightLimit<Gate>| {
            l.is_valid_signature(1, Address::ZERO, B256::ZERO, &[0u8; 65])
        };
        let waiting: Vec<_> = (0..2)
            .map(|_| {
                let l = limit.clone();
                std::thread::spawn(move || ask(&l))
            })
            .collect();
        entered.recv().unwrap();
        entered.recv().unwrap();
        assert_eq!(limit.in_flight(), 2);
        // Both slots are taken: the third is refused without reaching the chain.
        let e = ask(&limit).unwrap_err();
        assert_eq!(e.code(), "contract_wallet_unavailable");
        assert!(e.to_string().contains("already waiting"), "{e}");
        assert!(entered.try_recv().is_err());
        release.send(()).unwrap();
        release.send(()).unwrap();
        for w in waiting {
            assert!(w.join().unwrap().unwrap());
        }
        assert_eq!(limit.in_flight(), 0);
        // Free again.
        release.send(()).unwrap();
        assert!(ask(&limit).unwrap());
        entered.recv().unwrap();
    }
}
