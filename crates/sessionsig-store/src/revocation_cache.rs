//! "None of these is revoked", remembered per list of revocation keys at the shared epoch it
//! was read at (see [`crate::revocation_epoch`] for why this is safe across processes).
//!
//! Only negative answers are remembered: a request that names a revoked grant is refused
//! anyway, and a list's answer can only turn from "none" to "one" by an insert, which moves the
//! epoch. Pruning expired revocations deletes rows, which can only turn "one" into "none".

use crate::revocation_epoch::SharedEpoch;
use alloy_primitives::Address;
use sessionsig::verify::RevocationTarget;

/// How many lists are remembered (one per SessionSig seen recently; a few hundred bytes each).
const CAPACITY: usize = 16_384;

type Items = Vec<(RevocationTarget, Address)>;

/// Negative answers of one database's revocation table.
pub(crate) struct NotRevoked {
    epoch: SharedEpoch,
    answers: quick_cache::sync::Cache<Items, u64>,
}

/// A query to make, and whether its answer may be remembered.
#[derive(Clone, Copy)]
pub(crate) struct Ticket(Option<u64>);

impl NotRevoked {
    pub(crate) fn new(epoch: SharedEpoch) -> NotRevoked {
        NotRevoked {
            epoch,
            answers: quick_cache::sync::Cache::new(CAPACITY),
        }
    }

    /// The shared epoch file.
    pub(crate) fn epoch(&self) -> &SharedEpoch {
        &self.epoch
    }

    /// `Ok(())` when `items` are known not revoked now; otherwise the ticket for the query.
    pub(crate) fn lookup(&self, items: &[(RevocationTarget, Address)]) -> Result<(), Ticket> {
        let now = self.epoch.stable();
        match now {
            Some(e) if self.answers.get(items) == Some(e) => Ok(()),
            _ => Err(Ticket(now)),
        }
    }

    /// After the query found none of `items` revoked: remember it if nothing moved meanwhile.
    pub(crate) fn remember(&self, ticket: Ticket, items: &[(RevocationTarget, Address)]) {
        if let Some(before) = ticket.0 {
            if self.epoch.stable() == Some(before) {
                self.answers.insert(items.to_vec(), before);
            }
        }
    }
}
