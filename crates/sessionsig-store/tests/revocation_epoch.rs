//! SQLite stores remember "not revoked" answers between requests (see
//! `src/revocation_epoch.rs`): a revocation made through any other handle of the same file —
//! another node process, here another store instance with its own cache and its own file
//! descriptors — must still be seen by the very next check, and a writer that does not announce
//! its revocation (an older node) must be refused rather than silently missed.

use alloy_primitives::{Address, B256};
use sessionsig_store::{RevocationStore, RevocationTarget, SqlStore};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

const ALICE: Address = Address::repeat_byte(0xa1);

fn target(n: u64) -> RevocationTarget {
    RevocationTarget::AuthSig(B256::left_padding_from(&n.to_be_bytes()))
}

fn open(dir: &tempfile::TempDir) -> SqlStore {
    SqlStore::open(&format!("sqlite://{}", dir.path().join("s.db").display())).unwrap()
}

#[test]
fn a_remembered_answer_never_outlives_a_revocation_made_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let (reader, writer) = (Arc::new(open(&dir)), open(&dir));
    for round in 0..20u64 {
        let chain = Arc::new(vec![(target(1000 + round), ALICE), (target(round), ALICE)]);
        // Warm: the reader has found the chain unrevoked several times.
        for _ in 0..3 {
            assert_eq!(reader.first_revoked(&chain).unwrap(), None);
        }
        let done = Arc::new(AtomicBool::new(false));
        let stale = Arc::new(AtomicUsize::new(0));
        let start = Arc::new(Barrier::new(3));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (reader, chain, done, stale, start) = (
                    reader.clone(),
                    chain.clone(),
                    done.clone(),
                    stale.clone(),
                    start.clone(),
                );
                std::thread::spawn(move || {
                    start.wait();
                    loop {
                        // A check that began after the revocation returned must see it.
                        let after = done.load(Ordering::SeqCst);
                        let answer = reader.first_revoked(&chain).unwrap();
                        if after {
                            if answer.is_none() {
                                stale.fetch_add(1, Ordering::SeqCst);
                            }
                            break;
                        }
                    }
                })
            })
            .collect();
        start.wait();
        std::thread::sleep(std::time::Duration::from_millis(2));
        writer.revoke(&target(round), ALICE).unwrap();
        done.store(true, Ordering::SeqCst);
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(
            stale.load(Ordering::SeqCst),
            0,
            "round {round}: a stale answer"
        );
        assert_eq!(
            reader.first_revoked(&chain).unwrap(),
            Some((target(round), ALICE))
        );
    }
}

#[test]
fn a_writer_that_does_not_announce_its_revocation_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let chain = [(target(7), ALICE)];
    assert_eq!(store.first_revoked(&chain).unwrap(), None);
    // What a node built before the shared epoch does: a plain insert.
    let old = rusqlite::Connection::open(dir.path().join("s.db")).unwrap();
    let err = old
        .execute(
            "INSERT INTO sessionsig_revocations (target, issuer) VALUES (?1, ?2)",
            rusqlite::params![target(7).id(), format!("{ALICE:#x}")],
        )
        .expect_err("an unannounced revocation must be refused");
    assert!(
        err.to_string().contains("sessionsig_revocation_announced"),
        "{err}"
    );
    // Nothing was written, and the store's own revocations still work.
    assert_eq!(store.first_revoked(&chain).unwrap(), None);
    store.revoke(&target(7), ALICE).unwrap();
    assert_eq!(
        store.first_revoked(&chain).unwrap(),
        Some((target(7), ALICE))
    );
}

#[test]
fn the_epoch_file_sits_beside_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.revoke(&target(1), ALICE).unwrap();
    let meta = std::fs::metadata(dir.path().join("s.db-revocation-epoch")).unwrap();
    assert_eq!(meta.len(), 32);
}
