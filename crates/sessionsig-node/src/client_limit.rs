//! Per-client shares of the node's capacity: requests in flight and open connections.
//!
//! The node-wide limits (`max_concurrency`, `max_connections`) protect the node, not its
//! clients: one address sending ~1,000 slow bodies held every request slot, and every other
//! client got `503 overloaded` for as long as the bodies trickled in. With a share per client
//! address (the same [`ClientKey`] as the rate limits: an IPv4 address, an IPv6 `/64`), one
//! address holds at most its share and the rest stays for the others: beyond its share of
//! requests a client gets `429 client_overloaded` at once (before any body is read), and a
//! connection beyond its share of connections is closed as soon as it is accepted.
//!
//! Memory: a client is tracked only while it holds a slot, so the table never outgrows the
//! node-wide limit it shares.

use crate::rate_limit::ClientKey;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How many slots each client holds now, at most `per_client` each.
#[derive(Debug)]
pub struct ClientSlots {
    per_client: usize,
    held: Mutex<HashMap<ClientKey, usize>>,
}

/// One slot held by a client; given back when dropped.
#[derive(Debug)]
pub struct ClientSlot {
    owner: Arc<ClientSlots>,
    client: ClientKey,
}

impl ClientSlots {
    /// At most `per_client` slots per client (at least 1).
    pub fn new(per_client: usize) -> Arc<Self> {
        Arc::new(ClientSlots {
            per_client: per_client.max(1),
            held: Mutex::new(HashMap::new()),
        })
    }

    /// The share of each client.
    pub fn per_client(&self) -> usize {
        self.per_client
    }

    /// A slot for `client`, or `None` when it already holds its share.
    pub fn try_acquire(self: &Arc<Self>, client: ClientKey) -> Option<ClientSlot> {
        let mut held = self.lock();
        let n = held.entry(client).or_insert(0);
        if *n >= self.per_client {
            return None;
        }
        *n += 1;
        Some(ClientSlot {
            owner: self.clone(),
            client,
        })
    }

    /// How many clients hold a slot now.
    pub fn clients(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ClientKey, usize>> {
        // Every update is one map operation: a poisoned lock still holds a consistent table.
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut held = self.owner.lock();
        if let Some(n) = held.get_mut(&self.client) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                held.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_gets_its_share_and_slots_come_back() {
        let s = ClientSlots::new(2);
        let a = ClientKey::V4([10, 0, 0, 1]);
        let b = ClientKey::V4([10, 0, 0, 2]);
        let a1 = s.try_acquire(a).unwrap();
        let _a2 = s.try_acquire(a).unwrap();
        assert!(s.try_acquire(a).is_none());
        // Another client is not affected.
        let _b1 = s.try_acquire(b).unwrap();
        drop(a1);
        let _a3 = s.try_acquire(a).unwrap();
        assert!(s.try_acquire(a).is_none());
        assert_eq!(s.clients(), 2);
    }

    #[test]
    fn idle_clients_are_forgotten() {
        let s = ClientSlots::new(1);
        for i in 0..1000u32 {
            let slot = s.try_acquire(ClientKey::V4(i.to_be_bytes())).unwrap();
            drop(slot);
        }
        assert_eq!(s.clients(), 0);
    }
}
