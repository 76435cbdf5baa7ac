//! Per-client rate limits for routes that write to the shared store (`POST /v1/revocations`):
//! anyone can sign valid revocations with throwaway wallets, so without a limit one client
//! could fill the store.
//!
//! A token bucket per client address: a client may make `burst` requests at once, and regains
//! one every `60 / per_minute` seconds, up to `burst` again. Beyond, the request is refused
//! with `429 rate_limited` and `Retry-After` (the whole seconds until the next token).
//! Implemented as GCRA (the "generic cell rate algorithm", equivalent to a token bucket): one
//! timestamp per client, no timer, no background task.
//!
//! * **Client address**: the TCP peer (axum's [`ConnectInfo`](axum::extract::ConnectInfo),
//!   which the node's server sets on every request). IPv4 addresses count one by one; IPv6
//!   addresses by their `/64` prefix (one host usually holds a whole `/64`); IPv4-mapped IPv6
//!   addresses as the IPv4 address. A router served without `ConnectInfo` puts every request
//!   in one shared bucket. Behind a reverse proxy every client has the proxy's address: limit
//!   there, or raise the limit here.
//! * **Memory**: at most `max_clients` addresses are tracked. A bucket that has refilled
//!   completely is forgotten first (nothing is lost: a new bucket is full too); when every
//!   tracked client is still within its window, the eighth of them closest to a full bucket
//!   are forgotten (they get a fresh bucket if they come back).
//! * **Time** comes from the caller (the node's clock), so tests move it by hand. A clock
//!   stepped backwards never blocks a client for longer than the refill of one token plus the
//!   burst window.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;
use time::OffsetDateTime;

/// Whom a bucket belongs to: an IPv4 address, an IPv6 `/64`, or the shared bucket of requests
/// without a known peer address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKey {
    /// One IPv4 address (IPv4-mapped IPv6 addresses included).
    V4([u8; 4]),
    /// The first 64 bits of an IPv6 address.
    V6Prefix([u8; 8]),
    /// No peer address known: one bucket for all such requests.
    Unknown,
}

impl ClientKey {
    /// The bucket of `peer` (`None`: the shared bucket of unknown peers).
    pub fn of(peer: Option<IpAddr>) -> Self {
        match peer {
            None => ClientKey::Unknown,
            Some(IpAddr::V4(a)) => ClientKey::V4(a.octets()),
            Some(IpAddr::V6(a)) => match a.to_ipv4_mapped() {
                Some(v4) => ClientKey::V4(v4.octets()),
                None => {
                    let mut prefix = [0u8; 8];
                    prefix.copy_from_slice(&a.octets()[..8]);
                    ClientKey::V6Prefix(prefix)
                }
            },
        }
    }
}

/// A set of token buckets, one per client. `Send + Sync`; each check takes a short lock.
#[derive(Debug)]
pub struct RateLimiter {
    /// Nanoseconds between two tokens.
    interval: i128,
    /// How far ahead of now a client's schedule may run: `interval × (burst − 1)`.
    tolerance: i128,
    max_clients: usize,
    /// Per client, the "theoretical arrival time" (Unix nanoseconds): when its bucket would be
    /// full again, one interval ahead of the last token taken.
    table: Mutex<HashMap<ClientKey, i128>>,
}

impl RateLimiter {
    /// `burst` requests at once per client, `per_minute` tokens regained per minute, at most
    /// `max_clients` clients tracked (at least 1). `None` when `burst` or `per_minute` is 0:
    /// no limit.
    pub fn new(burst: u32, per_minute: u32, max_clients: usize) -> Option<Self> {
        if burst == 0 || per_minute == 0 {
            return None;
        }
        let interval = 60_000_000_000i128 / i128::from(per_minute);
        Some(RateLimiter {
            interval,
            tolerance: interval * (i128::from(burst) - 1),
            max_clients: max_clients.max(1),
            table: Mutex::new(HashMap::new()),
        })
    }

    /// Take a token for `client` at `now`: `Ok` if it had one, else `Err` with how long until
    /// it has one again.
    pub fn check(&self, client: ClientKey, now: OffsetDateTime) -> Result<(), Duration> {
        let t = now.unix_timestamp_nanos();
        let mut table = self.lock();
        if table.len() >= self.max_clients && !table.contains_key(&client) {
            self.evict(&mut table, t);
        }
        // A schedule more than a full window ahead means the clock went backwards: cap it.
        let tat = table
            .get(&client)
            .copied()
            .unwrap_or(t)
            .clamp(t, t + self.tolerance + self.interval);
        if tat - t > self.tolerance {
            // (Keeps the capped schedule, so a stepped-back clock is forgiven once.)
            table.insert(client, tat);
            let wait = tat - self.tolerance - t;
            return Err(Duration::from_nanos(
                u64::try_from(wait).unwrap_or(u64::MAX),
            ));
        }
        table.insert(client, tat + self.interval);
        Ok(())
    }

    /// How many clients are tracked now.
    pub fn tracked(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ClientKey, i128>> {
        // Every update is one map call: a poisoned lock still holds a consistent table.
        self.table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Make room for one more client: forget full buckets; if all are in use, forget the
    /// eighth closest to full.
    fn evict(&self, table: &mut HashMap<ClientKey, i128>, t: i128) {
        table.retain(|_, tat| *tat > t);
        if table.len() < self.max_clients {
            return;
        }
        let n = (self.max_clients / 8).max(1);
        let mut by_tat: Vec<(i128, ClientKey)> = table.iter().map(|(k, tat)| (*tat, *k)).collect();
        if n < by_tat.len() {
            by_tat.select_nth_unstable_by_key(n - 1, |(tat, _)| *tat);
        }
        for (_, k) in by_tat.iter().take(n) {
            table.remove(k);
        }
    }
}

/// A wait rounded up to whole seconds, at least 1 (for `Retry-After`).
pub fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn at(secs: f64) -> OffsetDateTime {
        // A fixed origin; fractions of a second in milliseconds.
        OffsetDateTime::from_unix_timestamp(1_750_000_000).unwrap()
            + time::Duration::milliseconds((secs * 1000.0) as i64)
    }

    fn ip(s: &str) -> ClientKey {
        ClientKey::of(Some(s.parse().unwrap()))
    }

    #[test]
    fn burst_then_one_per_interval() {
        let l = RateLimiter::new(3, 60, 100).unwrap();
        let a = ip("10.0.0.1");
        for _ in 0..3 {
            l.check(a, at(0.0)).unwrap();
        }
        let wait = l.check(a, at(0.0)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(1));
        assert_eq!(retry_after_secs(wait), 1);
        // 400 ms later, still 600 ms to wait (rounded up to 1 s for Retry-After).
        let wait = l.check(a, at(0.4)).unwrap_err();
        assert_eq!(wait, Duration::from_millis(600));
        assert_eq!(retry_after_secs(wait), 1);
        // One token back after one interval, and only one.
        l.check(a, at(1.0)).unwrap();
        assert!(l.check(a, at(1.0)).is_err());
        // A long pause refills the bucket to the burst, not beyond.
        for _ in 0..3 {
            l.check(a, at(100.0)).unwrap();
        }
        assert!(l.check(a, at(100.0)).is_err());
    }

    #[test]
    fn slow_rates_and_retry_after() {
        // 2 per minute: one token every 30 s.
        let l = RateLimiter::new(1, 2, 10).unwrap();
        let a = ip("10.0.0.1");
        l.check(a, at(0.0)).unwrap();
        let wait = l.check(a, at(10.0)).unwrap_err();
        assert_eq!(wait, Duration::from_secs(20));
        assert_eq!(retry_after_secs(wait), 20);
        assert_eq!(retry_after_secs(Duration::from_millis(20_001)), 21);
        l.check(a, at(30.0)).unwrap();
    }

    #[test]
    fn clients_are_independent_and_v6_counts_by_64() {
        let l = RateLimiter::new(1, 60, 100).unwrap();
        l.check(ip("10.0.0.1"), at(0.0)).unwrap();
        assert!(l.check(ip("10.0.0.1"), at(0.0)).is_err());
        l.check(ip("10.0.0.2"), at(0.0)).unwrap();
        // IPv4-mapped IPv6 is the IPv4 address.
        assert!(l.check(ip("::ffff:10.0.0.2"), at(0.0)).is_err());
        // One /64: the same bucket whatever the interface identifier.
        l.check(ip("2001:db8:1:2::1"), at(0.0)).unwrap();
        assert!(l.check(ip("2001:db8:1:2:ffff::9"), at(0.0)).is_err());
        l.check(ip("2001:db8:1:3::1"), at(0.0)).unwrap();
        // Unknown peers share one bucket.
        l.check(ClientKey::of(None), at(0.0)).unwrap();
        assert!(l.check(ClientKey::Unknown, at(0.0)).is_err());
        assert_eq!(
            ClientKey::of(Some(IpAddr::V6(Ipv6Addr::LOCALHOST))),
            ClientKey::V6Prefix([0; 8])
        );
        assert_eq!(
            ClientKey::of(Some(IpAddr::V4(Ipv4Addr::LOCALHOST))),
            ClientKey::V4([127, 0, 0, 1])
        );
    }

    #[test]
    fn zero_disables() {
        assert!(RateLimiter::new(0, 60, 10).is_none());
        assert!(RateLimiter::new(20, 0, 10).is_none());
    }

    #[test]
    fn the_table_is_bounded_idle_clients_go_first() {
        let l = RateLimiter::new(2, 60, 16).unwrap();
        let key = |i: u32| ClientKey::V4(i.to_be_bytes());
        // 16 clients, each with one token taken at t = 0: bucket full again at t = 1 s.
        for i in 0..16 {
            l.check(key(i), at(0.0)).unwrap();
        }
        assert_eq!(l.tracked(), 16);
        // Client 0 drains its bucket.
        l.check(key(0), at(0.5)).unwrap();
        assert!(l.check(key(0), at(0.5)).is_err());
        // At t = 1.2 s, the other 15 have refilled: a new client evicts them, not client 0.
        l.check(key(100), at(1.2)).unwrap();
        assert_eq!(l.tracked(), 2);
        // Client 0's state was kept: it has regained one token, not a full bucket.
        l.check(key(0), at(1.2)).unwrap();
        assert!(l.check(key(0), at(1.2)).is_err());

        // Every tracked client still within its window: the eighth closest to full goes.
        let l = RateLimiter::new(5, 60, 16).unwrap();
        for i in 0..16u32 {
            // Client i takes i/4 + 1 tokens: the later ones are further from full.
            for _ in 0..(i / 4 + 1) {
                l.check(key(i), at(0.0)).unwrap();
            }
        }
        l.check(key(200), at(0.0)).unwrap();
        // Two (16 / 8) of clients 0–3 (one token taken: closest to full) were forgotten.
        assert_eq!(l.tracked(), 15);
        let tracked = |i: u32| l.lock().contains_key(&key(i));
        assert_eq!((0..4).filter(|i| !tracked(*i)).count(), 2);
        assert!((4..16).chain([200]).all(tracked));
        // Client 15 (four tokens taken) was kept: one left.
        l.check(key(15), at(0.0)).unwrap();
        assert!(l.check(key(15), at(0.0)).is_err());

        // Many distinct clients never grow the table past the cap.
        let l = RateLimiter::new(20, 60, 64).unwrap();
        for i in 0..10_000u32 {
            l.check(key(i), at(0.0)).unwrap();
            assert!(l.tracked() <= 64);
        }
    }

    #[test]
    fn a_clock_stepped_back_blocks_for_at_most_one_window() {
        let l = RateLimiter::new(2, 60, 10).unwrap();
        let a = ip("10.0.0.1");
        l.check(a, at(3600.0)).unwrap();
        l.check(a, at(3600.0)).unwrap();
        // The clock goes back an hour: the client waits at most one interval, not an hour.
        let wait = l.check(a, at(0.0)).unwrap_err();
        assert!(wait <= Duration::from_secs(1), "{wait:?}");
        l.check(a, at(1.0)).unwrap();
    }
}
