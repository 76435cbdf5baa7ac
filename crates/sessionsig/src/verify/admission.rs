//! Admission on second sighting: a doorkeeper in front of the AuthSig cache, for a verifier
//! that meets most AuthSigs once — the CLI over an archive of SessionSigs from many wallets,
//! where every cached entry (≈ 3 KB: the parsed SIWE message, its ReCap, a decoded key) is
//! memory allocated, faulted in and never read again.
//!
//! This is TinyLFU's doorkeeper (Einziger, Friedman and Manes, "TinyLFU: A Highly Efficient
//! Cache Admission Policy", 2017): one bit per fingerprint in a fixed bit set. The first
//! sighting sets the bit and is not cached; a sighting that finds the bit set is. After
//! [`RESET_AFTER`] new marks the set is cleared, so it never fills up. Two fingerprints sharing
//! a bit only admit an entry on its first sighting, which is what a cache without a doorkeeper
//! does anyway: the doorkeeper decides what is *kept*, never what is *true* — every entry it
//! admits is still keyed by its full bytes. It is 16 KiB and a few lines, so a crate (a Bloom
//! filter with hashing of its own) would bring more than it saves.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Bits in the set (16 KiB).
const BITS: usize = 1 << 17;

/// New marks after which the set is cleared: at most 1/8 of the bits are then set, so a
/// fingerprint never seen before finds its bit set (and is admitted at once) at most one time
/// in eight just before a reset, and about one in sixteen on average.
pub(crate) const RESET_AFTER: usize = BITS / 8;

/// The doorkeeper. Shared by every thread of a verifier; a race between two marks can only
/// change which sighting admits an entry.
pub(crate) struct Doorkeeper {
    bits: Box<[AtomicU64]>,
    marked: AtomicUsize,
}

impl Doorkeeper {
    /// An empty doorkeeper.
    pub(crate) fn new() -> Self {
        Doorkeeper {
            bits: (0..BITS / 64).map(|_| AtomicU64::new(0)).collect(),
            marked: AtomicUsize::new(0),
        }
    }

    /// Mark `fingerprint` as seen; whether it was seen before (since the last reset), i.e.
    /// whether its entry should now be cached.
    pub(crate) fn seen_before(&self, fingerprint: u64) -> bool {
        let bit = (fingerprint % BITS as u64) as usize;
        let mask = 1u64 << (bit % 64);
        let before = self.bits[bit / 64].fetch_or(mask, Ordering::Relaxed) & mask != 0;
        if !before && self.marked.fetch_add(1, Ordering::Relaxed) + 1 >= RESET_AFTER {
            self.reset();
        }
        before
    }

    /// Forget every mark.
    pub(crate) fn reset(&self) {
        for w in self.bits.iter() {
            w.store(0, Ordering::Relaxed);
        }
        self.marked.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_second_sighting_is_admitted() {
        let d = Doorkeeper::new();
        assert!(!d.seen_before(42));
        assert!(d.seen_before(42));
        assert!(d.seen_before(42));
        // Another fingerprint on another bit is its own first sighting.
        assert!(!d.seen_before(43));
        d.reset();
        assert!(!d.seen_before(42));
    }

    #[test]
    fn the_set_is_cleared_before_it_fills_up() {
        let d = Doorkeeper::new();
        // Distinct bits: each mark is new; the last one clears the set.
        for i in 0..RESET_AFTER as u64 - 1 {
            assert!(!d.seen_before(i));
        }
        assert!(d.seen_before(0), "not cleared yet");
        assert!(!d.seen_before(RESET_AFTER as u64 - 1));
        assert!(
            !d.seen_before(0),
            "cleared by the mark that reached the limit"
        );
    }
}
