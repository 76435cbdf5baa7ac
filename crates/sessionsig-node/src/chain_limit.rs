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

use alloy_primitives::{Address, B256};
use sessionsig::auth_sig::ContractWalletVerifier;
use sessionsig::{Error, Result};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A [`ContractWalletVerifier`] that lets at most `max` checks of `inner` run at once.
#[derive(Debug)]
pub struct InFlightLimit<V> {
    inner: V,
    max: usize,
    in_flight: AtomicUsize,
}

impl<V> InFlightLimit<V> {
    /// At most `max` (at least 1) checks of `inner` at once.
    pub fn new(inner: V, max: usize) -> Self {
        InFlightLimit {
            inner,
            max: max.max(1),
            in_flight: AtomicUsize::new(0),
        }
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
        self.inner
            .is_valid_signature(chain_id, wallet, digest, signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::sync::{Arc, Mutex};

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
