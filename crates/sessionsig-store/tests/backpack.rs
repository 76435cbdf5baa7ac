//! The backpack's metadata store on both databases: commits with preconditions and quota,
//! folder listings and their cursors, traffic reservations raced by threads of two "nodes" and
//! by several processes, and the replay table.
//!
//! Child processes are this test binary run again with `--exact child_process` and the job in
//! `SST_*` environment variables; `child_process` does nothing in a normal run.

#[macro_use]
mod common;

use common::Db;
use sessionsig::time::{Duration as TDuration, OffsetDateTime};
use sessionsig_store::backpack::{
    BackpackStore, ListCursor, ListLimit, NewObject, Precondition, ReplayNonce, TrafficCap,
};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

on_both_backends!(
    put_replace_get_delete,
    preconditions_guard_writes_and_deletes,
    the_quota_is_checked_in_the_commit,
    concurrent_puts_never_exceed_the_quota,
    concurrent_creates_of_one_path_make_one_object,
    folders_list_direct_entries_and_sub_folders,
    cursors_are_stable_under_concurrent_inserts,
    bad_cursors_and_paths_are_refused,
    traffic_reservations_stop_at_the_limit,
    threads_on_two_nodes_never_reserve_past_the_limit,
    processes_never_reserve_past_the_limit,
    nonces_are_recorded_once_across_nodes,
    nonces_race_for_one_winner,
    a_change_records_its_nonce_in_its_own_commit,
    changes_with_one_nonce_race_for_one_winner,
    referenced_blobs_are_found,
    a_version_1_database_is_upgraded,
);

const ALICE: &str = "0xa11ce00000000000000000000000000000000001";
const BOB: &str = "0xb0b0000000000000000000000000000000000002";

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_750_000_000).unwrap()
}

fn obj<'a>(owner: &'a str, path: &'a str, size: u64, blob: &'a str) -> NewObject<'a> {
    NewObject {
        owner,
        path,
        size,
        content_type: "text/plain",
        digest: [size as u8; 32],
        blob_key: blob,
        modified: now(),
    }
}

fn put_replace_get_delete(db: &Db) {
    let s = db.open();
    assert_eq!(s.get_object(ALICE, "/a.txt").unwrap(), None);
    let first = s
        .commit_put(
            &obj(ALICE, "/a.txt", 5, "blob-1"),
            &Precondition::None,
            None,
            None,
        )
        .unwrap();
    assert!(first.created);
    assert_eq!(first.replaced_blob, None);
    assert_eq!(first.object.size, 5);
    assert_eq!(first.object.modified, now());
    let got = s.get_object(ALICE, "/a.txt").unwrap().unwrap();
    assert_eq!(
        got, first.object,
        "what the commit returned is what is stored"
    );
    assert_eq!(got.digest, [5; 32]);
    assert_eq!(got.blob_key, "blob-1");
    assert_eq!(s.used_bytes(ALICE).unwrap(), 5);

    // Another node replaces it: the old blob key comes back for deletion, the etag changes.
    let other = db.open();
    let second = other
        .commit_put(
            &obj(ALICE, "/a.txt", 9, "blob-2"),
            &Precondition::None,
            None,
            None,
        )
        .unwrap();
    assert!(!second.created);
    assert_eq!(second.replaced_blob.as_deref(), Some("blob-1"));
    assert_ne!(second.object.etag, first.object.etag);
    assert_eq!(
        s.get_object(ALICE, "/a.txt").unwrap().unwrap().blob_key,
        "blob-2"
    );
    assert_eq!(s.used_bytes(ALICE).unwrap(), 9);
    // Bob's backpack is separate.
    assert_eq!(s.get_object(BOB, "/a.txt").unwrap(), None);
    assert_eq!(s.used_bytes(BOB).unwrap(), 0);

    let gone = s
        .delete_object(ALICE, "/a.txt", &Precondition::None, None)
        .unwrap()
        .unwrap();
    assert_eq!(gone.blob_key, "blob-2");
    assert_eq!(s.get_object(ALICE, "/a.txt").unwrap(), None);
    assert_eq!(s.used_bytes(ALICE).unwrap(), 0);
    assert_eq!(
        s.delete_object(ALICE, "/a.txt", &Precondition::None, None)
            .unwrap(),
        None,
        "deleting an absent object reports it absent"
    );
}

fn preconditions_guard_writes_and_deletes(db: &Db) {
    let s = db.open();
    let created = s
        .commit_put(
            &obj(ALICE, "/c", 1, "b1"),
            &Precondition::IfNoneMatchAny,
            None,
            None,
        )
        .unwrap();
    let e = s
        .commit_put(
            &obj(ALICE, "/c", 2, "b2"),
            &Precondition::IfNoneMatchAny,
            None,
            None,
        )
        .unwrap_err();
    assert_eq!(e.code(), "precondition_failed");
    let e = s
        .commit_put(
            &obj(ALICE, "/new", 2, "b2"),
            &Precondition::IfMatchAny,
            None,
            None,
        )
        .unwrap_err();
    assert_eq!(e.code(), "precondition_failed");
    assert_eq!(s.get_object(ALICE, "/new").unwrap(), None);
    // If-Match with the current etag succeeds; with the now stale one it fails.
    let old_tag = created.object.etag.clone();
    let replaced = s
        .commit_put(
            &obj(ALICE, "/c", 3, "b3"),
            &Precondition::IfMatch(vec!["\"nope\"".into(), old_tag.clone()]),
            None,
            None,
        )
        .unwrap();
    assert_eq!(replaced.replaced_blob.as_deref(), Some("b1"));
    let e = s
        .commit_put(
            &obj(ALICE, "/c", 4, "b4"),
            &Precondition::IfMatch(vec![old_tag.clone()]),
            None,
            None,
        )
        .unwrap_err();
    assert_eq!(e.code(), "precondition_failed");
    let e = s
        .delete_object(ALICE, "/c", &Precondition::IfMatch(vec![old_tag]), None)
        .unwrap_err();
    assert_eq!(e.code(), "precondition_failed");
    // Nothing of the refused writes is visible.
    let now_there = s.get_object(ALICE, "/c").unwrap().unwrap();
    assert_eq!((now_there.blob_key.as_str(), now_there.size), ("b3", 3));
    assert_eq!(s.used_bytes(ALICE).unwrap(), 3);
    s.delete_object(
        ALICE,
        "/c",
        &Precondition::IfMatch(vec![now_there.etag.clone()]),
        None,
    )
    .unwrap()
    .unwrap();
}

fn the_quota_is_checked_in_the_commit(db: &Db) {
    let s = db.open();
    let q = Some(100);
    s.commit_put(&obj(ALICE, "/a", 60, "q1"), &Precondition::None, q, None)
        .unwrap();
    s.commit_put(&obj(ALICE, "/b", 40, "q2"), &Precondition::None, q, None)
        .unwrap();
    let e = s
        .commit_put(&obj(ALICE, "/c", 1, "q3"), &Precondition::None, q, None)
        .unwrap_err();
    assert_eq!(e.code(), "storage_full");
    assert_eq!(s.get_object(ALICE, "/c").unwrap(), None);
    // Replacing with a bigger version counts only the difference: 60 -> 61 is one too many.
    let e = s
        .commit_put(&obj(ALICE, "/a", 61, "q4"), &Precondition::None, q, None)
        .unwrap_err();
    assert_eq!(e.code(), "storage_full");
    assert_eq!(s.get_object(ALICE, "/a").unwrap().unwrap().blob_key, "q1");
    // Shrinking is always allowed, even under a lowered quota.
    s.commit_put(
        &obj(ALICE, "/a", 50, "q5"),
        &Precondition::None,
        Some(10),
        None,
    )
    .unwrap();
    assert_eq!(s.used_bytes(ALICE).unwrap(), 90);
    // Bob has a quota of his own.
    s.commit_put(&obj(BOB, "/a", 100, "q6"), &Precondition::None, q, None)
        .unwrap();
    // After a delete the room is there again.
    s.delete_object(ALICE, "/b", &Precondition::None, None)
        .unwrap();
    s.commit_put(&obj(ALICE, "/c", 50, "q7"), &Precondition::None, q, None)
        .unwrap();
    assert_eq!(s.used_bytes(ALICE).unwrap(), 100);
}

fn concurrent_puts_never_exceed_the_quota(db: &Db) {
    let nodes = [Arc::new(db.open()), Arc::new(db.open())];
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let (s, b) = (nodes[t % 2].clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                let mut ok = 0;
                for i in 0..10 {
                    let (path, blob) = (format!("/t{t}/{i}"), format!("qb-{t}-{i}"));
                    match s.commit_put(
                        &obj(ALICE, &path, 7, &blob),
                        &Precondition::None,
                        Some(200),
                        None,
                    ) {
                        Ok(c) => {
                            assert!(c.created);
                            ok += 1;
                        }
                        Err(e) => assert_eq!(e.code(), "storage_full", "{e}"),
                    }
                }
                ok
            })
        })
        .collect();
    let ok: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(ok, 200 / 7, "80 writes of 7 bytes under a quota of 200");
    assert_eq!(nodes[0].used_bytes(ALICE).unwrap(), (ok * 7) as u64);
}

fn concurrent_creates_of_one_path_make_one_object(db: &Db) {
    let nodes = [Arc::new(db.open()), Arc::new(db.open())];
    let barrier = Arc::new(Barrier::new(6));
    let handles: Vec<_> = (0..6)
        .map(|t| {
            let (s, b) = (nodes[t % 2].clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                let blob = format!("once-{t}");
                s.commit_put(
                    &obj(ALICE, "/once", 3, &blob),
                    &Precondition::IfNoneMatchAny,
                    None,
                    None,
                )
                .map(|c| c.created)
                .map_err(|e| e.code())
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(
        results.iter().filter(|r| **r == Ok(true)).count(),
        1,
        "{results:?}"
    );
    assert!(results
        .iter()
        .all(|r| *r == Ok(true) || *r == Err("precondition_failed")));
    assert_eq!(nodes[0].used_bytes(ALICE).unwrap(), 3);
}

fn put_all(s: &impl BackpackStore, owner: &str, paths: &[&str]) {
    for (i, p) in paths.iter().enumerate() {
        s.commit_put(
            &obj(owner, p, 1, &format!("{owner}{p}{i}")),
            &Precondition::None,
            None,
            None,
        )
        .unwrap();
    }
}

fn folders_list_direct_entries_and_sub_folders(db: &Db) {
    let s = db.open();
    put_all(
        &s,
        ALICE,
        &[
            "/photos/a.jpg",
            "/photos/2024/x.jpg",
            "/photos/2024/deep/y.jpg",
            "/photos/b.jpg",
            "/photos-old/z.jpg",
            "/photos.txt",
            "/Photos/upper.jpg",
            "/photos/é.jpg",
        ],
    );
    put_all(&s, BOB, &["/photos/bob.jpg"]);
    let page = s
        .list_folder(ALICE, "/photos/", ListLimit::default(), None)
        .unwrap();
    let names: Vec<&str> = page.entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(names, ["/photos/a.jpg", "/photos/b.jpg", "/photos/é.jpg"]);
    assert_eq!(page.folders, ["/photos/2024/"]);
    assert_eq!(page.next, None);
    let root = s
        .list_folder(ALICE, "/", ListLimit::default(), None)
        .unwrap();
    assert_eq!(
        root.entries
            .iter()
            .map(|e| e.path.as_str())
            .collect::<Vec<_>>(),
        ["/photos.txt"]
    );
    assert_eq!(
        root.folders,
        ["/Photos/", "/photos-old/", "/photos/"],
        "byte order"
    );
    // Page by page, one item at a time, the same items in the same order.
    let mut seen = Vec::new();
    let mut cursor: Option<ListCursor> = None;
    loop {
        let p = s
            .list_folder(
                ALICE,
                "/photos/",
                ListLimit::new(1).unwrap(),
                cursor.as_ref(),
            )
            .unwrap();
        assert_eq!(p.entries.len() + p.folders.len(), 1);
        seen.extend(p.entries.iter().map(|e| e.path.clone()));
        seen.extend(p.folders.iter().cloned());
        match p.next {
            Some(c) => cursor = Some(ListCursor::parse(&c.encode()).unwrap()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            "/photos/2024/",
            "/photos/a.jpg",
            "/photos/b.jpg",
            "/photos/é.jpg"
        ]
    );
    let empty = s
        .list_folder(ALICE, "/nothing/", ListLimit::default(), None)
        .unwrap();
    assert!(empty.entries.is_empty() && empty.folders.is_empty() && empty.next.is_none());
}

fn cursors_are_stable_under_concurrent_inserts(db: &Db) {
    let s = db.open();
    let initial: Vec<String> = (0..50).map(|i| format!("/f/{:03}", i * 2)).collect();
    put_all(
        &s,
        ALICE,
        &initial.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let writer = db.open();
    let mut seen: Vec<String> = Vec::new();
    let mut cursor = None;
    let mut round = 0;
    loop {
        let p = s
            .list_folder(ALICE, "/f/", ListLimit::new(7).unwrap(), cursor.as_ref())
            .unwrap();
        seen.extend(p.entries.iter().map(|e| e.path.clone()));
        // Between pages another node inserts before and after the cursor, and deletes an
        // already listed object.
        round += 1;
        let before = format!("/f/{:03}", round * 2 - 1);
        let after = format!("/f/{:03}", 99 - round * 2);
        put_all(&writer, ALICE, &[&before, &after]);
        match p.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no item listed twice");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, seen, "in order");
    for p in &initial {
        assert!(unique.contains(p), "{p} existed throughout and was skipped");
    }
}

fn bad_cursors_and_paths_are_refused(db: &Db) {
    let s = db.open();
    put_all(&s, ALICE, &["/a/1", "/a/2", "/b/1"]);
    let p = s
        .list_folder(ALICE, "/a/", ListLimit::new(1).unwrap(), None)
        .unwrap();
    let c = p.next.unwrap();
    // A cursor of folder /a/ used on /b/ is refused, not resolved elsewhere.
    let e = s
        .list_folder(ALICE, "/b/", ListLimit::default(), Some(&c))
        .unwrap_err();
    assert_eq!(e.code(), "invalid_cursor");
    assert_eq!(
        ListCursor::parse("%%%").unwrap_err().code(),
        "invalid_cursor"
    );
    for (owner, path) in [
        ("0xA11CE00000000000000000000000000000000001", "/x"),
        (ALICE, "x"),
        (ALICE, "/x/"),
        (ALICE, "/../x"),
        (ALICE, "/a//b"),
    ] {
        let e = s.get_object(owner, path).unwrap_err();
        assert_eq!(e.code(), "invalid_path", "{owner} {path}");
        let e = s
            .commit_put(&obj(owner, path, 1, "z"), &Precondition::None, None, None)
            .unwrap_err();
        assert_eq!(e.code(), "invalid_path", "{owner} {path}");
    }
    let e = s
        .list_folder(ALICE, "/a", ListLimit::default(), None)
        .unwrap_err();
    assert_eq!(e.code(), "invalid_path");
}

fn traffic_reservations_stop_at_the_limit(db: &Db) {
    let s = db.open();
    s.reserve("t1", 600, 1000).unwrap();
    s.reserve("t1", 400, 1000).unwrap();
    let e = s.reserve("t1", 1, 1000).unwrap_err();
    assert_eq!(e.code(), "quota_exhausted");
    assert_eq!(s.traffic_used("t1").unwrap(), 1000);
    // An aborted transfer gives back what it did not move.
    s.release(&["t1"], 250).unwrap();
    assert_eq!(s.traffic_used("t1").unwrap(), 750);
    s.reserve("t1", 250, 1000).unwrap();
    // Never below zero; a zero reservation always fits.
    s.release(&["t1"], 5000).unwrap();
    assert_eq!(s.traffic_used("t1").unwrap(), 0);
    s.reserve("t1", 0, 0).unwrap();
    // A reservation larger than the cap is refused even on a fresh counter.
    assert_eq!(
        s.reserve("fresh", 11, 10).unwrap_err().code(),
        "quota_exhausted"
    );
    assert_eq!(s.traffic_used("fresh").unwrap(), 0);
    assert_eq!(
        s.reserve("huge", u64::MAX, u64::MAX).unwrap_err().code(),
        "quota_exhausted"
    );
    // Several caps (a delegation chain): all or none.
    let caps = |a, b| {
        [
            TrafficCap {
                counter: "chain-a".into(),
                limit: a,
            },
            TrafficCap {
                counter: "chain-b".into(),
                limit: b,
            },
        ]
    };
    s.reserve_all(&caps(100, 50), 40).unwrap();
    let e = s.reserve_all(&caps(100, 50), 20).unwrap_err();
    assert!(
        matches!(e, sessionsig_store::backpack::BackpackError::QuotaExhausted { ref counter, limit: 50 } if counter == "chain-b"),
        "{e:?}"
    );
    assert_eq!(
        s.traffic_used("chain-a").unwrap(),
        40,
        "rolled back on chain-b's refusal"
    );
    s.release(&["chain-a", "chain-b"], 40).unwrap();
    assert_eq!(
        (
            s.traffic_used("chain-a").unwrap(),
            s.traffic_used("chain-b").unwrap()
        ),
        (0, 0)
    );
}

fn threads_on_two_nodes_never_reserve_past_the_limit(db: &Db) {
    let nodes = [Arc::new(db.open()), Arc::new(db.open())];
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let (s, b) = (nodes[t % 2].clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                let mut got = 0u64;
                for i in 0..40u64 {
                    let bytes = 1 + (i * 7 + t as u64) % 13;
                    match s.reserve("race", bytes, 1000) {
                        Ok(()) => got += bytes,
                        Err(e) => assert_eq!(e.code(), "quota_exhausted"),
                    }
                }
                got
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let used = nodes[0].traffic_used("race").unwrap();
    assert_eq!(used, total, "every success is counted, nothing else");
    assert!(used <= 1000, "{used}");
    assert!(
        used > 1000 - 13,
        "refusals only when a reservation no longer fits: {used}"
    );
}

fn processes_never_reserve_past_the_limit(db: &Db) {
    drop(db.open()); // migrate before the children start
    let start = unix_ms() + 1500;
    let mut children: Vec<Child> = (0..4)
        .map(|_| {
            spawn_child(
                db,
                "reserve",
                &[
                    ("SST_COUNTER", "procs".into()),
                    ("SST_LIMIT", "5000".into()),
                    ("SST_START_MS", start.to_string()),
                ],
            )
        })
        .collect();
    let mut total = 0u64;
    for c in &mut children {
        let out = c.stdout.take().unwrap();
        for line in BufReader::new(out).lines() {
            if let Some(n) = ack_of(&line.unwrap()) {
                total += n.parse::<u64>().unwrap();
            }
        }
        assert!(c.wait().unwrap().success());
    }
    let used = db.open().traffic_used("procs").unwrap();
    assert_eq!(used, total);
    assert!(used <= 5000 && used > 5000 - 100, "{used}");
}

fn nonces_are_recorded_once_across_nodes(db: &Db) {
    let (a, b) = (db.open(), db.open());
    let exp = now() + TDuration::seconds(120);
    a.record_nonce("key1", "n1", exp, now()).unwrap();
    assert_eq!(
        b.record_nonce("key1", "n1", exp, now()).unwrap_err().code(),
        "replayed"
    );
    assert_eq!(
        a.record_nonce("key1", "n1", exp, now()).unwrap_err().code(),
        "replayed"
    );
    // Another key, or another nonce, is a different request.
    b.record_nonce("key2", "n1", exp, now()).unwrap();
    b.record_nonce("key1", "n2", exp, now()).unwrap();
    // Still refused up to the expiry; once expired the slot may be reused.
    let at_exp = exp - TDuration::milliseconds(1);
    assert!(a.record_nonce("key1", "n1", exp, at_exp).is_err());
    a.record_nonce("key1", "n1", exp + TDuration::seconds(120), exp)
        .unwrap();
    // Garbage collection removes exactly the expired rows.
    a.record_nonce(
        "key3",
        "old",
        now() - TDuration::seconds(1),
        now() - TDuration::seconds(10),
    )
    .unwrap();
    assert_eq!(b.gc_nonces(now()).unwrap(), 1);
    assert_eq!(b.gc_nonces(now()).unwrap(), 0);
    assert!(
        a.record_nonce("key2", "n1", exp, now()).is_err(),
        "live rows survive gc"
    );
    assert_eq!(b.gc_nonces(exp + TDuration::seconds(1000)).unwrap(), 3);
}

fn nonces_race_for_one_winner(db: &Db) {
    let nodes = [Arc::new(db.open()), Arc::new(db.open())];
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let (s, b) = (nodes[t % 2].clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                (0..20)
                    .filter(|i| {
                        s.record_nonce("k", &format!("n{i}"), now() + TDuration::minutes(1), now())
                            .is_ok()
                    })
                    .count()
            })
        })
        .collect();
    let wins: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(
        wins, 20,
        "each of the 20 nonces accepted exactly once among 8 racers"
    );
}

fn referenced_blobs_are_found(db: &Db) {
    let s = db.open();
    put_all(&s, ALICE, &["/x", "/y"]);
    let x = s.get_object(ALICE, "/x").unwrap().unwrap().blob_key;
    let keys = vec![x.clone(), "orphan".to_string(), format!("{ALICE}/y1")];
    let found = s.referenced_blobs(&keys).unwrap();
    assert_eq!(found, [x, format!("{ALICE}/y1")].into_iter().collect());
    assert!(s.referenced_blobs(&[]).unwrap().is_empty());
}

/// A database made by the previous release (schema version 1, with a revocation in it) gets
/// the backpack tables at the next open, and keeps its data.
fn a_version_1_database_is_upgraded(db: &Db) {
    const MIGRATIONS_V1_SQLITE: &str = "CREATE TABLE sessionsig_migrations (
        version INTEGER PRIMARY KEY, description TEXT NOT NULL,
        applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));
        INSERT INTO sessionsig_migrations (version, description) VALUES (1, 'v1');
        INSERT INTO sessionsig_usage_counters (counter, used) VALUES ('old', 7);";
    const MIGRATIONS_V1_PG: &str = "CREATE TABLE sessionsig_migrations (
        version integer PRIMARY KEY, description text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now());
        INSERT INTO sessionsig_migrations (version, description) VALUES (1, 'v1');
        INSERT INTO sessionsig_usage_counters (counter, used) VALUES ('old', 7);";
    match db {
        Db::Sqlite { dir, .. } => {
            let c = rusqlite::Connection::open(dir.path().join("store.db")).unwrap();
            c.execute_batch(include_str!("../migrations/sqlite/0001_init.sql"))
                .unwrap();
            c.execute_batch(MIGRATIONS_V1_SQLITE).unwrap();
        }
        Db::Postgres { url, schema } => {
            let mut c = ::postgres::Client::connect(url, ::postgres::NoTls).unwrap();
            c.batch_execute(&format!(
                "CREATE SCHEMA \"{schema}\"; SET search_path = \"{schema}\";"
            ))
            .unwrap();
            c.batch_execute(include_str!("../migrations/postgres/0001_init.sql"))
                .unwrap();
            c.batch_execute(MIGRATIONS_V1_PG).unwrap();
        }
    }
    let s = db.open();
    use sessionsig_store::UsageStore;
    assert_eq!(s.used("old").unwrap(), 7, "the old data is kept");
    s.commit_put(
        &obj(ALICE, "/new", 4, "up-1"),
        &Precondition::None,
        None,
        None,
    )
    .unwrap();
    assert_eq!(s.used_bytes(ALICE).unwrap(), 4);
}

// ---- child processes ---------------------------------------------------------------------

/// Entry point for the child processes the tests above start; a no-op in a normal run.
#[test]
fn child_process() {
    let Ok(job) = std::env::var("SST_JOB") else {
        return;
    };
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} not set"));
    let store = common::open(&var("SST_URL"), std::env::var("SST_SCHEMA").ok().as_deref());
    match job.as_str() {
        "reserve" => {
            let (counter, limit): (String, u64) =
                (var("SST_COUNTER"), var("SST_LIMIT").parse().unwrap());
            let start: u64 = var("SST_START_MS").parse().unwrap();
            let store = Arc::new(store);
            let handles: Vec<_> = (0..2)
                .map(|t| {
                    let (s, c) = (store.clone(), counter.clone());
                    std::thread::spawn(move || {
                        s.traffic_used(&c).unwrap(); // warm a connection
                        while unix_ms() < start {
                            std::thread::sleep(Duration::from_millis(1));
                        }
                        for i in 0..120u64 {
                            let bytes = 1 + (i * 31 + t) % 97;
                            match s.reserve(&c, bytes, limit) {
                                Ok(()) => ack(&bytes.to_string()),
                                Err(e) => assert_eq!(e.code(), "quota_exhausted", "{e}"),
                            }
                        }
                    })
                })
                .collect();
            for h in handles {
                h.join().unwrap();
            }
        }
        other => panic!("unknown job {other}"),
    }
}

fn ack(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "ACK {line}").unwrap();
    out.flush().unwrap();
}

fn ack_of(line: &str) -> Option<String> {
    line.find("ACK ").map(|i| line[i + 4..].to_owned())
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn spawn_child(db: &Db, job: &str, vars: &[(&str, String)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "child_process",
        "--nocapture",
        "--test-threads",
        "1",
    ])
    .env("SST_JOB", job)
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    for (k, v) in db
        .env()
        .into_iter()
        .chain(vars.iter().map(|(k, v)| (*k, v.clone())))
    {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

fn nonce(keyid: &str, n: &str) -> ReplayNonce {
    ReplayNonce {
        keyid: keyid.into(),
        nonce: n.into(),
        expires_at: now() + TDuration::seconds(120),
        now: now(),
    }
}

fn a_change_records_its_nonce_in_its_own_commit(db: &Db) {
    let (a, b) = (db.open(), db.open());
    let none = Precondition::None;
    assert!(!a.nonce_recorded("k", "p1", now()).unwrap());
    let first = a
        .commit_put(
            &obj(ALICE, "/a", 3, "r1"),
            &none,
            None,
            Some(&nonce("k", "p1")),
        )
        .unwrap();
    assert!(
        b.nonce_recorded("k", "p1", now()).unwrap(),
        "seen by every node"
    );
    assert!(
        !b.nonce_recorded("k", "p1", now() + TDuration::seconds(121))
            .unwrap(),
        "not past its expiry"
    );
    // The same signed request again, on another node: refused, and the object is unchanged.
    let again = b
        .commit_put(
            &obj(ALICE, "/a", 9, "r2"),
            &none,
            None,
            Some(&nonce("k", "p1")),
        )
        .unwrap_err();
    assert_eq!(again.code(), "replayed");
    assert_eq!(a.get_object(ALICE, "/a").unwrap().unwrap(), first.object);
    assert_eq!(
        a.record_nonce("k", "p1", now() + TDuration::seconds(120), now())
            .unwrap_err()
            .code(),
        "replayed",
        "one replay table for changes and signed reads"
    );
    // A refused change keeps its nonce (it cannot come back later for another answer), and
    // changes nothing else.
    let refused = a
        .commit_put(
            &obj(ALICE, "/a", 5, "r3"),
            &Precondition::IfNoneMatchAny,
            None,
            Some(&nonce("k", "p2")),
        )
        .unwrap_err();
    assert_eq!(refused.code(), "precondition_failed");
    assert!(a.nonce_recorded("k", "p2", now()).unwrap());
    assert_eq!(a.get_object(ALICE, "/a").unwrap().unwrap(), first.object);
    let full = a
        .commit_put(
            &obj(ALICE, "/b", 50, "r4"),
            &none,
            Some(10),
            Some(&nonce("k", "p3")),
        )
        .unwrap_err();
    assert_eq!(full.code(), "storage_full");
    assert!(a.nonce_recorded("k", "p3", now()).unwrap());
    assert_eq!(a.get_object(ALICE, "/b").unwrap(), None);
    assert_eq!(a.used_bytes(ALICE).unwrap(), 3);
    // Deletes: the nonce is recorded with the delete, and with a delete of nothing.
    assert_eq!(
        a.delete_object(ALICE, "/none", &none, Some(&nonce("k", "d1")))
            .unwrap(),
        None
    );
    assert!(b.nonce_recorded("k", "d1", now()).unwrap());
    assert_eq!(
        b.delete_object(ALICE, "/a", &none, Some(&nonce("k", "d1")))
            .unwrap_err()
            .code(),
        "replayed"
    );
    assert!(
        a.get_object(ALICE, "/a").unwrap().is_some(),
        "a replay deletes nothing"
    );
    let gone = b
        .delete_object(ALICE, "/a", &none, Some(&nonce("k", "d2")))
        .unwrap();
    assert_eq!(gone.map(|o| o.path), Some("/a".to_owned()));
    assert!(a.nonce_recorded("k", "d2", now()).unwrap());
    assert_eq!(a.used_bytes(ALICE).unwrap(), 0);
    // Without a nonce nothing is recorded.
    a.commit_put(&obj(ALICE, "/c", 1, "r5"), &none, None, None)
        .unwrap();
    assert_eq!(b.gc_nonces(now() + TDuration::seconds(120)).unwrap(), 5);
}

fn changes_with_one_nonce_race_for_one_winner(db: &Db) {
    let nodes = [Arc::new(db.open()), Arc::new(db.open())];
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let (s, b) = (nodes[t % 2].clone(), barrier.clone());
            std::thread::spawn(move || {
                b.wait();
                let (path, blob) = (format!("/race/{t}"), format!("race-{t}"));
                match s.commit_put(
                    &obj(ALICE, &path, 1, &blob),
                    &Precondition::None,
                    None,
                    Some(&nonce("k", "once")),
                ) {
                    Ok(_) => 1,
                    Err(e) => {
                        assert_eq!(e.code(), "replayed");
                        0
                    }
                }
            })
        })
        .collect();
    let wins: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(wins, 1, "one signed request, one effect");
    let page = nodes[0]
        .list_folder(ALICE, "/race/", ListLimit::new(100).unwrap(), None)
        .unwrap();
    assert_eq!(page.entries.len(), 1, "the losers stored nothing");
    assert_eq!(nodes[1].used_bytes(ALICE).unwrap(), 1);
}
