//! The revocation epoch that every process sharing one SQLite file agrees on, so a process may
//! remember "none of these is revoked" between requests and still see a revocation made by
//! another process at that process's next request.
//!
//! # Why
//! A warm request's only store access besides its own work is the revocation check, and on
//! SQLite that read transaction (pool checkout, WAL read lock, lookups, unlock) cost more than
//! everything else session auth adds to a 4 KiB backpack GET: with it the GET ran at 0.68–0.70
//! of the unauthenticated speed, without it 0.87–0.90 (`cargo bench -p sessionsig-node --bench
//! backpack`, 2026-12-04). The answer can only change when a revocation is inserted, which is
//! rare; this file tells every process when that happens.
//!
//! # The file
//! `<database>-revocation-epoch` beside the database, 32 bytes: `epoch`, `writers`,
//! `lease_until` (milliseconds of the host's monotonic clock) and a check word over the three,
//! all little-endian. Writers change it under an exclusive `flock` (read, modify, write back;
//! within one process also under a mutex, since `flock` does not exclude threads that share one
//! open file);
//! readers read it with one `pread` and no lock, so a read that raced a write can be torn —
//! the check word catches it, and a torn read is treated as "cannot use the cache".
//!
//! # The protocol
//! * A revocation **announces** itself once it holds SQLite's write lock, before its insert:
//!   `epoch + 1`, `writers + 1` and `lease_until = max(lease_until, now + LEASE)`. It must
//!   then commit before its lease ends ([`Announced::still_leased`] is checked just before the
//!   commit; a late one rolls back). After the commit it **publishes**: `epoch + 1`,
//!   `writers - 1`.
//! * A reader may use a remembered answer only if it was stored at the current epoch, and may
//!   store one only if the epoch was the same, and no writer was pending, both before and after
//!   its query.
//!
//! A revocation that commits at time C was announced (epoch bumped) before C, so any answer
//! remembered from a query before the announcement is at an older epoch and never used again;
//! a query between announcement and commit is never remembered (a writer is pending, or the
//! epoch moved during it). A writer that dies between announcing and publishing leaves
//! `writers` above zero only until its lease ends: it either committed (every later query sees
//! its revocation) or not (nothing changed). After a reboot the monotonic clock starts again,
//! so a lease further in the future than one `LEASE` is from an earlier boot and is cleared when
//! a store opens the file.
//!
//! Like SQLite's own WAL index (`-shm`), this only works for processes on one host, and, like
//! the `-wal` and `-shm` files, the epoch file must not be deleted while nodes have the database
//! open (a node would keep bumping the deleted file that the others no longer read).
//!
//! Faults it does not cover, each needing two at once: a writer whose commit takes longer than
//! its 5 s margin *and* dies before publishing; a host whose monotonic clock jumps.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

/// How long a revocation may take from its announcement to its commit, milliseconds: the
/// insert and the commit's `fsync` (the wait for SQLite's write lock comes before the
/// announcement). Readers do not remember answers while a lease runs with a writer pending.
pub(crate) const LEASE_MS: u64 = 15_000;

/// What a writer leaves between its last lease check and its commit (the commit's own fsync).
const COMMIT_MARGIN_MS: u64 = 5_000;

const LEN: usize = 32;

/// Milliseconds of a clock shared by every process of the host (monotonic on Linux).
pub(crate) type HostClock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The host's monotonic clock, in milliseconds.
pub(crate) fn monotonic_ms() -> HostClock {
    Arc::new(|| {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
        u64::try_from(t.tv_sec)
            .unwrap_or(0)
            .saturating_mul(1000)
            .saturating_add(u64::try_from(t.tv_nsec).unwrap_or(0) / 1_000_000)
    })
}

/// 64 random bits from the standard library's per-process hash keys.
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

/// One reading of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Record {
    epoch: u64,
    writers: u64,
    lease_until: u64,
}

impl Record {
    fn check(&self) -> u64 {
        // Not a MAC (nothing here is secret): a mix in which a record put together from two
        // writes matches its check word only by accident (one chance in 2^64).
        let mut h = 0x9E37_79B9_7F4A_7C15u64;
        for v in [self.epoch, self.writers, self.lease_until] {
            h = (h ^ v).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
            h ^= h >> 33;
        }
        h
    }

    fn encode(&self) -> [u8; LEN] {
        let mut b = [0u8; LEN];
        b[0..8].copy_from_slice(&self.epoch.to_le_bytes());
        b[8..16].copy_from_slice(&self.writers.to_le_bytes());
        b[16..24].copy_from_slice(&self.lease_until.to_le_bytes());
        b[24..32].copy_from_slice(&self.check().to_le_bytes());
        b
    }

    /// `None` for a torn or foreign record.
    fn decode(b: &[u8; LEN]) -> Option<Record> {
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i..i + 8]);
            u64::from_le_bytes(w)
        };
        let r = Record {
            epoch: word(0),
            writers: word(8),
            lease_until: word(16),
        };
        (r.check() == word(24)).then_some(r)
    }

    /// Whether a writer may be between its announcement and its commit at `now`.
    fn pending(&self, now: u64) -> bool {
        self.writers > 0 && now < self.lease_until
    }
}

/// The shared epoch file of one database.
pub(crate) struct SharedEpoch {
    file: File,
    clock: HostClock,
    /// `flock` excludes other open files of the epoch (other processes, other stores), not
    /// other threads using this same open file: they take this lock first.
    local: std::sync::Mutex<()>,
}

impl SharedEpoch {
    /// Open (creating if missing) the epoch file of the database at `db`, clearing a lease
    /// left by an earlier boot.
    pub(crate) fn open(db: &Path, clock: HostClock) -> io::Result<SharedEpoch> {
        let mut name = db.as_os_str().to_owned();
        name.push("-revocation-epoch");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(Path::new(&name))?;
        let epoch = SharedEpoch {
            file,
            clock,
            local: std::sync::Mutex::new(()),
        };
        epoch.update(|r, now| {
            if r.lease_until > now.saturating_add(LEASE_MS) {
                r.lease_until = 0;
                r.writers = 0;
            }
        })?;
        Ok(epoch)
    }

    fn read(&self) -> Option<Record> {
        let mut b = [0u8; LEN];
        self.file.read_exact_at(&mut b, 0).ok()?;
        Record::decode(&b)
    }

    /// Change the record under the file's exclusive lock. A missing or unreadable record
    /// starts again from a random epoch, so it cannot count up to an epoch at which some
    /// process remembered an answer before the damage.
    fn update(&self, f: impl FnOnce(&mut Record, u64)) -> io::Result<Record> {
        // A panic elsewhere while holding it leaves nothing half-done here: take it anyway.
        let _local = self.local.lock().unwrap_or_else(|p| p.into_inner());
        self.file.lock()?;
        let result = (|| {
            let mut b = [0u8; LEN];
            let mut r = match self.file.read_exact_at(&mut b, 0) {
                Ok(()) => Record::decode(&b),
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => None,
                Err(e) => return Err(e),
            }
            .unwrap_or(Record {
                epoch: random_u64(),
                writers: 0,
                lease_until: 0,
            });
            f(&mut r, (self.clock)());
            self.file.write_all_at(&r.encode(), 0)?;
            Ok(r)
        })();
        let unlocked = self.file.unlock();
        let r = result?;
        unlocked?;
        Ok(r)
    }

    /// Announce a revocation about to be written; publish it with [`Announced::publish`]
    /// after the commit (dropping the guard publishes too).
    pub(crate) fn announce(&self) -> io::Result<Announced<'_>> {
        let r = self.update(|r, now| {
            // Every lease has ended: no live writer is pending, so a count left by one that
            // died is cleared.
            if now >= r.lease_until {
                r.writers = 0;
            }
            r.epoch = r.epoch.wrapping_add(1);
            r.writers = r.writers.saturating_add(1);
            r.lease_until = r.lease_until.max(now.saturating_add(LEASE_MS));
        })?;
        Ok(Announced {
            epoch: self,
            lease_until: r.lease_until,
            published: false,
        })
    }

    /// The epoch a reader may remember answers at now, or `None` when it may not (a writer is
    /// pending, or the record could not be read whole).
    pub(crate) fn stable(&self) -> Option<u64> {
        let r = self.read()?;
        (!r.pending((self.clock)())).then_some(r.epoch)
    }
}

/// A revocation between its announcement and its publication.
pub(crate) struct Announced<'a> {
    epoch: &'a SharedEpoch,
    lease_until: u64,
    published: bool,
}

impl Announced<'_> {
    /// Whether the commit may still start: its lease has more than the commit's margin left.
    pub(crate) fn still_leased(&self) -> bool {
        (self.epoch.clock)().saturating_add(COMMIT_MARGIN_MS) < self.lease_until
    }

    /// After the commit (or the rollback): move the epoch on and count this writer out.
    pub(crate) fn publish(mut self) -> io::Result<()> {
        self.published = true;
        self.epoch
            .update(|r, _| {
                r.epoch = r.epoch.wrapping_add(1);
                r.writers = r.writers.saturating_sub(1);
            })
            .map(drop)
    }
}

impl Drop for Announced<'_> {
    fn drop(&mut self) {
        if !self.published {
            // An error here leaves the writer counted until its lease ends: safe, only slower.
            let _ = self.epoch.update(|r, _| {
                r.epoch = r.epoch.wrapping_add(1);
                r.writers = r.writers.saturating_sub(1);
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    fn clock() -> (HostClock, Arc<AtomicU64>) {
        let t = Arc::new(AtomicU64::new(1_000_000));
        let c = t.clone();
        (Arc::new(move || c.load(Ordering::SeqCst)), t)
    }

    #[test]
    fn a_record_round_trips_and_a_torn_one_is_refused() {
        let r = Record {
            epoch: 7,
            writers: 1,
            lease_until: 99,
        };
        assert_eq!(Record::decode(&r.encode()), Some(r));
        let other = Record {
            epoch: 8,
            writers: 0,
            lease_until: 99,
        }
        .encode();
        let mut torn = r.encode();
        torn[0..8].copy_from_slice(&other[0..8]);
        assert_eq!(Record::decode(&torn), None);
        assert_eq!(Record::decode(&[0u8; LEN]), None);
    }

    #[test]
    fn announcing_hides_the_epoch_until_published_and_moves_it_twice() {
        let dir = tempfile::tempdir().unwrap();
        let (c, _) = clock();
        let a = SharedEpoch::open(&dir.path().join("db"), c.clone()).unwrap();
        let b = SharedEpoch::open(&dir.path().join("db"), c).unwrap();
        let e0 = a.stable().unwrap();
        assert_eq!(b.stable(), Some(e0));
        let w = a.announce().unwrap();
        assert!(w.still_leased());
        assert_eq!(a.stable(), None);
        assert_eq!(
            b.stable(),
            None,
            "the other process sees the pending writer"
        );
        w.publish().unwrap();
        assert_eq!(b.stable(), Some(e0 + 2));
    }

    #[test]
    fn threads_sharing_one_open_file_lose_no_update() {
        // A publish runs outside the store's writer lock, so it can meet the next revocation's
        // announcement on the same open file: every bump must count.
        let dir = tempfile::tempdir().unwrap();
        let (c, _) = clock();
        let a = Arc::new(SharedEpoch::open(&dir.path().join("db"), c).unwrap());
        let e0 = a.stable().unwrap();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let a = a.clone();
                std::thread::spawn(move || {
                    for _ in 0..200 {
                        a.announce().unwrap().publish().unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let r = a.read().unwrap();
        assert_eq!(r.writers, 0, "no writer left counted");
        assert_eq!(r.epoch, e0.wrapping_add(2 * 4 * 200), "every bump counted");
    }

    #[test]
    fn a_writer_that_died_blocks_remembering_only_until_its_lease_ends() {
        let dir = tempfile::tempdir().unwrap();
        let (c, t) = clock();
        let a = SharedEpoch::open(&dir.path().join("db"), c.clone()).unwrap();
        let w = a.announce().unwrap();
        std::mem::forget(w); // the process died before publishing
        assert_eq!(a.stable(), None);
        t.fetch_add(LEASE_MS - 1, Ordering::SeqCst);
        assert_eq!(a.stable(), None);
        t.fetch_add(1, Ordering::SeqCst);
        let e = a.stable().expect("lease over");
        // The next writer clears the dead one's count and works as usual.
        let w = a.announce().unwrap();
        assert_eq!(a.stable(), None);
        w.publish().unwrap();
        assert_eq!(a.stable(), Some(e + 2));
    }

    #[test]
    fn a_late_commit_is_refused_and_a_dropped_guard_publishes() {
        let dir = tempfile::tempdir().unwrap();
        let (c, t) = clock();
        let a = SharedEpoch::open(&dir.path().join("db"), c).unwrap();
        let e = a.stable().unwrap();
        {
            let w = a.announce().unwrap();
            t.fetch_add(LEASE_MS - COMMIT_MARGIN_MS, Ordering::SeqCst);
            assert!(!w.still_leased());
        }
        assert_eq!(a.stable(), Some(e + 2));
    }

    #[test]
    fn a_lease_from_an_earlier_boot_is_cleared_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        let (c, t) = clock();
        let a = SharedEpoch::open(&db, c.clone()).unwrap();
        std::mem::forget(a.announce().unwrap());
        // Reboot: the monotonic clock starts again near zero.
        t.store(5, Ordering::SeqCst);
        assert_eq!(a.stable(), None, "still pending before anything reopens it");
        let b = SharedEpoch::open(&db, c).unwrap();
        assert!(b.stable().is_some());
    }

    #[test]
    fn a_damaged_file_is_never_read_as_stable_and_is_rewritten_by_the_next_writer() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        let (c, _) = clock();
        let a = SharedEpoch::open(&db, c).unwrap();
        std::fs::write(dir.path().join("db-revocation-epoch"), b"garbage").unwrap();
        assert_eq!(a.stable(), None);
        a.announce().unwrap().publish().unwrap();
        assert!(a.stable().is_some());
    }
}
