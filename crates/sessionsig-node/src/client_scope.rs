//! Which client a request came from, carried from the HTTP layer to the blocking thread that
//! verifies its SessionSig, so that work done on a client's behalf deep inside verification
//! (a contract-wallet check asks the chain: [`crate::chain_limit`]) can be counted per client.
//!
//! The router runs every request inside [`scope`] (a tokio task-local, set from the TCP peer
//! address); [`crate::auth::Authorizer`] reads it with [`current`] and runs the verification
//! on the blocking pool inside [`run_as`] (a thread-local, restored when the call returns or
//! panics); [`running_for`] tells whom the current blocking call works for. Outside a request
//! (a verifier used on its own) there is no client, and nothing is counted per client.

use crate::rate_limit::ClientKey;
use std::cell::Cell;
use std::future::Future;

tokio::task_local! {
    static CLIENT: ClientKey;
}

thread_local! {
    static RUNNING_FOR: Cell<Option<ClientKey>> = const { Cell::new(None) };
}

/// Run `f` (a request's handling) as the work of `client`.
pub async fn scope<F: Future>(client: ClientKey, f: F) -> F::Output {
    CLIENT.scope(client, f).await
}

/// The client of the request being handled by this task, if it runs inside [`scope`].
pub fn current() -> Option<ClientKey> {
    CLIENT.try_with(|c| *c).ok()
}

/// Run the blocking `f` on this thread as the work of `client` (`None`: nobody's).
pub fn run_as<T>(client: Option<ClientKey>, f: impl FnOnce() -> T) -> T {
    /// Puts the previous value back, also when `f` panics.
    struct Restore(Option<ClientKey>);
    impl Drop for Restore {
        fn drop(&mut self) {
            RUNNING_FOR.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(RUNNING_FOR.with(|c| c.replace(client)));
    f()
}

/// Whom the blocking call running on this thread works for (see [`run_as`]).
pub fn running_for() -> Option<ClientKey> {
    RUNNING_FOR.with(Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_client_reaches_the_blocking_thread_and_is_cleared_after() {
        let a = ClientKey::V4([10, 0, 0, 1]);
        assert_eq!(current(), None, "no client outside a scope");
        let seen = scope(a, async {
            let client = current();
            tokio::task::spawn_blocking(move || {
                let inside = run_as(client, running_for);
                (inside, running_for())
            })
            .await
            .unwrap()
        })
        .await;
        assert_eq!(seen, (Some(a), None));
        assert_eq!(current(), None);
    }

    #[test]
    fn run_as_nests_and_restores_after_a_panic() {
        let (a, b) = (ClientKey::V4([10, 0, 0, 1]), ClientKey::V4([10, 0, 0, 2]));
        run_as(Some(a), || {
            assert_eq!(running_for(), Some(a));
            run_as(Some(b), || assert_eq!(running_for(), Some(b)));
            assert_eq!(running_for(), Some(a));
            let r = std::panic::catch_unwind(|| run_as(Some(b), || panic!("boom")));
            assert!(r.is_err());
            assert_eq!(running_for(), Some(a), "restored after the panic");
        });
        assert_eq!(running_for(), None);
    }
}
