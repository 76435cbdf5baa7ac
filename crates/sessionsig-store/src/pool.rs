//! A small blocking connection pool: the drivers are synchronous and a connection is used by
//! one thread at a time, so a mutex-guarded stack of idle connections and a condition variable
//! are all that is needed.
//!
//! # Why not r2d2 or deadpool
//!
//! Measured (`benches/node_overhead.rs` of `sessionsig-node`, in process): a SQLite
//! revocation check of 3 pairs through this pool costs 3.7–4.1 µs of CPU (two runs), checkout
//! and return included; the pool's part of it is an uncontended mutex and a `Vec` pop and push. A crate
//! cannot make that cheaper, so the choice is about upkeep: r2d2 is the same design (mutex,
//! condvar) plus a thread pool for reaping, and its adapters (`r2d2_sqlite`,
//! `r2d2_postgres`) each pin one release line of `rusqlite` / `postgres`, so a driver upgrade
//! would wait on them; deadpool is async-first and its synchronous adapters run each call on
//! `spawn_blocking`, the hand-off this crate's callers avoid on their hot path. What this
//! pool does beyond them is small and tested here: retry once on a connection found dead,
//! free the slot of a failed connect or a panic, hand idle connections to a closer thread.

use sessionsig::{Error, Result};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Opens a new connection.
pub(crate) type Connect<C> = Box<dyn Fn() -> Result<C> + Send + Sync>;

/// Up to `max` connections, opened on demand and reused.
pub(crate) struct Pool<C> {
    state: Mutex<State<C>>,
    returned: Condvar,
    max: usize,
    wait: Duration,
    connect: Connect<C>,
    broken: fn(&mut C) -> bool,
}

struct State<C> {
    idle: Vec<C>,
    open: usize,
    /// Callers waiting for a connection: a return wakes one only when there is one, since
    /// `notify_one` is a `futex` system call even with nobody to wake (measured: one per query
    /// on the node's warm path, `benches/backpack.rs`).
    waiting: usize,
}

impl<C> Pool<C> {
    /// A pool holding at most `max` connections (at least 1); callers wait up to `wait` for one.
    /// `broken` tells whether a connection must be dropped instead of reused.
    pub(crate) fn new(
        max: usize,
        wait: Duration,
        connect: Connect<C>,
        broken: fn(&mut C) -> bool,
    ) -> Self {
        Pool {
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
                waiting: 0,
            }),
            returned: Condvar::new(),
            max: max.max(1),
            wait,
            connect,
            broken,
        }
    }

    /// Put an already opened connection in the pool (counts against `max`).
    pub(crate) fn seed(&self, conn: C) {
        let mut st = self.lock();
        st.open += 1;
        st.idle.push(conn);
    }

    /// Take every idle connection out of the pool (they no longer count as open), e.g. to
    /// close them somewhere else. Connections in use stay where they are.
    pub(crate) fn take_idle(&self) -> Vec<C> {
        let mut st = self.lock();
        let idle = std::mem::take(&mut st.idle);
        st.open -= idle.len();
        idle
    }

    // Nothing runs user code while holding the lock, so a poisoned lock still holds a
    // consistent state: recover it rather than failing forever.
    fn lock(&self) -> MutexGuard<'_, State<C>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Run `f` with a connection: an idle one, a new one if fewer than `max` are open, or the
    /// next one returned within the wait. The connection goes back to the pool afterwards
    /// (or is closed if it is broken).
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut C) -> Result<T>) -> Result<T> {
        self.run(f).0
    }

    /// Like [`with`](Self::with), but when `f` fails because its connection turned out to be
    /// dead (e.g. the server restarted while it sat idle), run `f` once more on a fresh one.
    /// Only for idempotent work: the first attempt may have taken effect.
    pub(crate) fn with_retry<T>(&self, mut f: impl FnMut(&mut C) -> Result<T>) -> Result<T> {
        match self.run(&mut f) {
            (Err(_), true) => self.with(f),
            (out, _) => out,
        }
    }

    /// Run `f` on a connection; also says whether the connection was broken afterwards.
    fn run<T>(&self, f: impl FnOnce(&mut C) -> Result<T>) -> (Result<T>, bool) {
        let mut conn = match self.checkout() {
            Ok(c) => c,
            Err(e) => return (Err(e), false),
        };
        // Frees the slot if `f` panics (the connection, in an unknown state, is dropped).
        let slot = Slot { pool: self };
        let out = f(&mut conn);
        std::mem::forget(slot);
        let broken = (self.broken)(&mut conn);
        let mut st = self.lock();
        let dead = if broken {
            st.open -= 1;
            Some(conn)
        } else {
            st.idle.push(conn);
            None
        };
        let wake = st.waiting > 0;
        drop(st);
        // A broken connection is closed outside the lock.
        drop(dead);
        if wake {
            self.returned.notify_one();
        }
        (out, broken)
    }

    fn checkout(&self) -> Result<C> {
        let deadline = Instant::now() + self.wait;
        let mut st = self.lock();
        loop {
            while let Some(mut conn) = st.idle.pop() {
                if (self.broken)(&mut conn) {
                    st.open -= 1;
                    continue;
                }
                return Ok(conn);
            }
            if st.open < self.max {
                st.open += 1;
                drop(st);
                return (self.connect)().inspect_err(|_| self.release_slot());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Store(format!(
                    "no database connection free within {:?} (pool of {})",
                    self.wait, self.max
                )));
            }
            st.waiting += 1;
            st = self
                .returned
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
            st.waiting -= 1;
        }
    }

    fn release_slot(&self) {
        let mut st = self.lock();
        st.open -= 1;
        let wake = st.waiting > 0;
        drop(st);
        if wake {
            self.returned.notify_one();
        }
    }
}

struct Slot<'a, C> {
    pool: &'a Pool<C>,
}

impl<C> Drop for Slot<'_, C> {
    fn drop(&mut self) {
        self.pool.release_slot();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A pool of at most two "connections" numbered in opening order, and the opening count.
    fn counting_pool() -> (Pool<usize>, Arc<AtomicUsize>) {
        let opened = Arc::new(AtomicUsize::new(0));
        let o = opened.clone();
        let pool = Pool::new(
            2,
            Duration::from_millis(50),
            Box::new(move || Ok(o.fetch_add(1, Ordering::SeqCst))),
            |_| false,
        );
        (pool, opened)
    }

    #[test]
    fn reuses_connections_and_waits_for_a_free_one() {
        let (pool, opened) = counting_pool();
        pool.with(|a| {
            pool.with(|b| {
                assert_ne!(a, b);
                let e = pool.with(|_| Ok(())).unwrap_err();
                assert_eq!(e.code(), "store_unavailable");
                Ok(())
            })
        })
        .unwrap();
        pool.with(|_| Ok(())).unwrap();
        assert_eq!(opened.load(Ordering::SeqCst), 2, "connections are reused");
    }

    #[test]
    fn broken_connections_are_replaced_and_failed_connects_free_their_slot() {
        let opened = Arc::new(AtomicUsize::new(0));
        let o = opened.clone();
        let pool: Pool<usize> = Pool::new(
            1,
            Duration::from_millis(50),
            Box::new(move || match o.fetch_add(1, Ordering::SeqCst) {
                1 => Err(Error::Store("refused".into())),
                n => Ok(n),
            }),
            |c| *c == 0,
        );
        pool.with(|_| Ok(())).unwrap(); // connection 0 is "broken": closed on return
        assert!(pool.with(|_| Ok(())).is_err()); // connect 1 fails, its slot is freed
        assert_eq!(pool.with(|c| Ok(*c)).unwrap(), 2);
    }

    #[test]
    fn with_retry_retries_once_on_a_connection_found_dead() {
        let opened = Arc::new(AtomicUsize::new(0));
        let o = opened.clone();
        let pool: Pool<(usize, bool)> = Pool::new(
            2,
            Duration::from_millis(50),
            Box::new(move || Ok((o.fetch_add(1, Ordering::SeqCst), false))),
            |c| c.1,
        );
        pool.with(|_| Ok(())).unwrap(); // connection 0, idle
        let mut calls = 0;
        let got = pool
            .with_retry(|c| {
                calls += 1;
                if c.0 == 0 {
                    c.1 = true; // found dead while in use
                    return Err(Error::Store("connection closed".into()));
                }
                Ok(c.0)
            })
            .unwrap();
        assert_eq!((got, calls), (1, 2));
        // A failure on a healthy connection is not retried.
        let mut calls = 0;
        let e = pool.with_retry(|_| -> Result<()> {
            calls += 1;
            Err(Error::Store("syntax".into()))
        });
        assert!(e.is_err());
        assert_eq!(calls, 1);
    }

    #[test]
    fn take_idle_empties_the_pool_and_frees_the_slots() {
        let (pool, opened) = counting_pool();
        pool.with(|_| pool.with(|_| Ok(()))).unwrap();
        let mut idle = pool.take_idle();
        idle.sort_unstable();
        assert_eq!(idle, vec![0, 1]);
        assert!(pool.take_idle().is_empty());
        // Both slots are free again: two new connections can be opened at once.
        let both = pool.with(|a| pool.with(|b| Ok((*a, *b)))).unwrap();
        assert_eq!(both, (2, 3));
        assert_eq!(opened.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn a_panic_frees_the_slot() {
        let pool: Pool<u8> = Pool::new(1, Duration::from_millis(50), Box::new(|| Ok(0)), |_| false);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.with(|_| -> Result<()> { panic!("boom") })
        }));
        assert!(r.is_err());
        pool.with(|_| Ok(())).unwrap();
    }
}
