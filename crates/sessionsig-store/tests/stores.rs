//! Both backends through the same test functions: revocations, counters, sharing between
//! "nodes" (store instances) and processes, races for the last use, and `kill -9` mid-burst.
//!
//! Child processes are this test binary run again with `--exact child_process` and the job in
//! `SST_*` environment variables; `child_process` does nothing in a normal run.

#[macro_use]
mod common;

use alloy_primitives::{Address, B256};
use common::Db;
use sessionsig::auth_sig::{AuthSig, AuthSigPolicy, RevocationParams};
use sessionsig::time::Timestamp;
use sessionsig::wallet::{LocalWallet, WalletSigner};
use sessionsig_store::{
    RevocationStore, RevocationTarget, SqlStore, StoreKind, UsageStore, UseCharge,
};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

on_both_backends!(
    revocations_are_per_issuer_and_idempotent,
    first_revoked_is_the_first_in_order,
    revocation_records_keep_the_auth_sig,
    uses_stop_at_the_limit_all_or_nothing,
    two_nodes_share_revocations_and_counters,
    threads_on_two_nodes_never_exceed_the_limit,
    threads_race_for_the_last_unit,
    traffic_reservations_never_pass_the_limit,
    concurrent_opens_migrate_once,
    processes_never_exceed_the_limit,
    processes_race_for_the_last_unit,
    kill_9_loses_no_acknowledged_write,
    revocations_past_their_horizon_are_pruned,
    rate_limits_are_shared_between_nodes,
    concurrent_identical_revocations_are_new_exactly_once,
);

fn charge(counter: &str, limit: u64) -> UseCharge {
    UseCharge::one_use(counter, limit)
}

fn key_target(n: u64) -> RevocationTarget {
    RevocationTarget::SessionKey(format!("{n:064x}"))
}

fn hash_target(n: u64) -> RevocationTarget {
    RevocationTarget::AuthSig(B256::left_padding_from(&n.to_be_bytes()))
}

const ALICE: Address = Address::repeat_byte(0xa1);
const BOB: Address = Address::repeat_byte(0xb0);

fn revocations_are_per_issuer_and_idempotent(db: &Db) {
    let s = db.open();
    let t = key_target(1);
    assert!(!s.is_revoked(&t, ALICE).unwrap());
    s.revoke(&t, ALICE).unwrap();
    s.revoke(&t, ALICE).unwrap(); // idempotent
    assert!(s.is_revoked(&t, ALICE).unwrap());
    assert!(
        !s.is_revoked(&t, BOB).unwrap(),
        "keyed by the revoking wallet"
    );
    assert!(!s.is_revoked(&key_target(2), ALICE).unwrap());
    assert!(!s.is_revoked(&hash_target(1), ALICE).unwrap());
    s.revoke(&hash_target(1), BOB).unwrap();
    assert!(s.is_revoked(&hash_target(1), BOB).unwrap());
    assert_eq!(s.get_revocations(&t).unwrap().len(), 1);
}

fn first_revoked_is_the_first_in_order(db: &Db) {
    let s = db.open();
    assert_eq!(s.first_revoked(&[]).unwrap(), None);
    let chain = vec![
        (key_target(10), ALICE),
        (hash_target(11), ALICE),
        (hash_target(12), BOB),
        (key_target(13), BOB),
    ];
    assert_eq!(s.first_revoked(&chain).unwrap(), None);
    s.revoke(&key_target(13), BOB).unwrap();
    s.revoke(&hash_target(12), ALICE).unwrap(); // another issuer: does not count
    assert_eq!(
        s.first_revoked(&chain).unwrap(),
        Some((key_target(13), BOB))
    );
    s.revoke(&hash_target(11), ALICE).unwrap();
    assert_eq!(
        s.first_revoked(&chain).unwrap(),
        Some((hash_target(11), ALICE)),
        "the first in the caller's order, not the table's"
    );
    // Long lists are one query too.
    let long: Vec<_> = (100..400).map(|n| (hash_target(n), ALICE)).collect();
    s.revoke(&hash_target(350), ALICE).unwrap();
    s.revoke(&hash_target(399), ALICE).unwrap();
    assert_eq!(
        s.first_revoked(&long).unwrap(),
        Some((hash_target(350), ALICE))
    );
}

fn revocation_params() -> RevocationParams {
    RevocationParams {
        domain: "localhost".into(),
        nonce: "revocation01".into(),
        chain_id: 1,
        issued_at: Timestamp::parse("2025-01-01T00:00:00.000Z").unwrap(),
    }
}

fn revocation_records_keep_the_auth_sig(db: &Db) {
    let s = db.open();
    // A real session key: the signed revocation below names it.
    let t = RevocationTarget::SessionKey(
        "a09aa5f47a6759802ff955f8dc2d2a14a5c99d23be97f864127ff9383455a4f0".into(),
    );
    assert_eq!(s.get_revocation(&t).unwrap(), None);
    let before = time::OffsetDateTime::now_utc() - Duration::from_secs(60);

    s.revoke(&t, BOB).unwrap();
    let r = s.get_revocation(&t).unwrap().unwrap();
    assert_eq!(
        (r.target.clone(), r.issuer, r.auth_sig.clone()),
        (t.clone(), BOB, None)
    );
    assert!(r.revoked_at > before && r.revoked_at < before + Duration::from_secs(180));
    // A later record fills in the missing AuthSig but keeps the first time.
    s.revoke_with_record(&t, BOB, r#"{"sig":"first"}"#).unwrap();
    s.revoke_with_record(&t, BOB, r#"{"sig":"second"}"#)
        .unwrap();
    let r2 = s.get_revocation(&t).unwrap().unwrap();
    assert_eq!(r2.auth_sig.as_deref(), Some(r#"{"sig":"first"}"#));
    assert_eq!(r2.revoked_at, r.revoked_at);

    // A real signed revocation, verified then recorded; a second wallet revokes too.
    let wallet = LocalWallet::from_bytes(&[0x11; 32]).unwrap();
    let signed = AuthSig::revoke(&wallet, &t, &revocation_params()).unwrap();
    let now = sessionsig::time::parse_rfc3339("2025-01-01T00:00:30Z").unwrap();
    let v = signed
        .verify_revocation(now, &AuthSigPolicy::default())
        .unwrap();
    std::thread::sleep(Duration::from_millis(5));
    s.record_revocation(&v, &signed).unwrap();
    assert!(s.is_revoked(&t, wallet.address()).unwrap());
    let all = s.get_revocations(&t).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].issuer, BOB, "earliest first");
    assert_eq!(s.get_revocation(&t).unwrap().unwrap().issuer, BOB);
    assert_eq!(all[1].issuer, wallet.address());
    let kept: AuthSig = serde_json::from_str(all[1].auth_sig.as_deref().unwrap()).unwrap();
    assert_eq!(kept, signed, "the AuthSig is kept verbatim");
    assert!(all[1].revoked_at >= all[0].revoked_at);
}

/// Issue 10 item 7: a revocation recorded with a horizon goes once it is past; one without
/// stays; recording again keeps the later horizon.
fn revocations_past_their_horizon_are_pruned(db: &Db) {
    let s = db.open();
    let wallet = LocalWallet::from_bytes(&[0x11; 32]).unwrap();
    let now = sessionsig::time::parse_rfc3339("2025-01-01T00:00:30Z").unwrap();
    let day = time::Duration::days(1);
    let mut verified = Vec::new();
    for n in [0xa0, 0xb0, 0xc0] {
        let t = RevocationTarget::AuthSig(B256::repeat_byte(n));
        let signed = AuthSig::revoke(&wallet, &t, &revocation_params()).unwrap();
        let v = signed
            .verify_revocation(now, &AuthSigPolicy::default())
            .unwrap();
        verified.push((t, v, signed));
    }
    let [(short, vs, ss), (long, vl, sl), (forever, vf, sf)] = &verified[..] else {
        unreachable!()
    };
    assert!(
        s.record_revocation_until(vs, ss, Some(now + day))
            .unwrap()
            .1
    );
    let (first, new) = s.record_revocation_until(vl, sl, Some(now + day)).unwrap();
    assert!(new);
    assert_eq!(
        (first.target.clone(), first.issuer),
        (long.clone(), wallet.address())
    );
    // Recorded again with a later horizon: the later one wins; not new, same record.
    let (again, new) = s
        .record_revocation_until(vl, sl, Some(now + 10 * day))
        .unwrap();
    assert!(!new);
    assert_eq!(again, first);
    assert!(
        !s.record_revocation_until(vl, sl, Some(now + 2 * day))
            .unwrap()
            .1
    );
    assert!(s.record_revocation_until(vf, sf, None).unwrap().1);
    assert_eq!(s.prune_revocations(now).unwrap(), 0);
    assert_eq!(s.prune_revocations(now + 2 * day).unwrap(), 1);
    assert!(!s.is_revoked(short, wallet.address()).unwrap());
    assert!(s.is_revoked(long, wallet.address()).unwrap());
    assert_eq!(s.prune_revocations(now + 11 * day).unwrap(), 1);
    assert!(s.get_revocations(long).unwrap().is_empty());
    // Without a horizon: kept forever.
    assert_eq!(s.prune_revocations(now + 3650 * day).unwrap(), 0);
    assert!(s.is_revoked(forever, wallet.address()).unwrap());
}

/// Issue 9: identical revocations recorded at once by many threads on two "nodes" sharing the
/// database: exactly one is told it is new (the read-write-read it replaced let two be), every
/// one gets the same record, and the log holds one row.
fn concurrent_identical_revocations_are_new_exactly_once(db: &Db) {
    let nodes = [Arc::new(db.open()), Arc::new(db.open())];
    let wallet = LocalWallet::from_bytes(&[0x12; 32]).unwrap();
    let now = sessionsig::time::parse_rfc3339("2025-01-01T00:00:30Z").unwrap();
    for round in 0..5u64 {
        let t = hash_target(900 + round);
        let signed = AuthSig::revoke(&wallet, &t, &revocation_params()).unwrap();
        let v = signed
            .verify_revocation(now, &AuthSigPolicy::default())
            .unwrap();
        let threads = 8;
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let (s, v, signed, barrier) = (
                    nodes[i % 2].clone(),
                    v.clone(),
                    signed.clone(),
                    barrier.clone(),
                );
                std::thread::spawn(move || {
                    barrier.wait();
                    s.record_revocation_until(&v, &signed, None).unwrap()
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let new = results.iter().filter(|(_, new)| *new).count();
        assert_eq!(new, 1, "round {round}: exactly one is new");
        assert!(
            results.iter().all(|(r, _)| r == &results[0].0),
            "every caller sees the first record"
        );
        let all = nodes[0].get_revocations(&t).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].issuer, wallet.address());
        assert!(nodes[1].is_revoked(&t, wallet.address()).unwrap());
    }
}

/// Issue 10 item 7: one client's bucket is shared by two "nodes" on the same database.
fn rate_limits_are_shared_between_nodes(db: &Db) {
    let (a, b) = (db.open(), db.open());
    let t0 = sessionsig::time::parse_rfc3339("2025-01-01T00:00:00Z").unwrap();
    // Burst 3, one token a second: three takes in all, whichever node is asked.
    assert_eq!(a.take_token("v4:10.0.0.1", t0, 3, 60).unwrap(), None);
    assert_eq!(b.take_token("v4:10.0.0.1", t0, 3, 60).unwrap(), None);
    assert_eq!(a.take_token("v4:10.0.0.1", t0, 3, 60).unwrap(), None);
    assert_eq!(
        b.take_token("v4:10.0.0.1", t0, 3, 60).unwrap(),
        Some(Duration::from_secs(1))
    );
    // Another client is not affected; a token comes back after one interval.
    assert_eq!(b.take_token("v4:10.0.0.2", t0, 3, 60).unwrap(), None);
    let t1 = t0 + Duration::from_secs(1);
    assert_eq!(a.take_token("v4:10.0.0.1", t1, 3, 60).unwrap(), None);
    assert!(b.take_token("v4:10.0.0.1", t1, 3, 60).unwrap().is_some());
    // Racing threads on both nodes take exactly the burst of a fresh bucket.
    let (a, b) = (Arc::new(a), Arc::new(b));
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let s = if i % 2 == 0 { a.clone() } else { b.clone() };
            std::thread::spawn(move || {
                (0..4)
                    .filter(|_| s.take_token("v4:10.0.0.3", t0, 5, 60).unwrap().is_none())
                    .count()
            })
        })
        .collect();
    let taken: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(taken, 5);
    // Full buckets are forgotten; buckets still in use are kept.
    assert_eq!(a.prune_rate_limits(t0 + Duration::from_secs(2)).unwrap(), 1);
    assert!(b
        .take_token("v4:10.0.0.1", t0 + Duration::from_secs(2), 3, 60)
        .unwrap()
        .is_none());
}

fn uses_stop_at_the_limit_all_or_nothing(db: &Db) {
    let s = db.open();
    assert_eq!(s.used("never").unwrap(), 0);
    for _ in 0..3 {
        s.try_consume(&[charge("a", 3)]).unwrap();
    }
    let e = s.try_consume(&[charge("a", 3)]).unwrap_err();
    assert_eq!(e.code(), "uses_exhausted");
    assert!(
        matches!(e, sessionsig::Error::UsesExhausted { ref counter, limit: 3 } if counter == "a")
    );
    assert_eq!(s.used("a").unwrap(), 3);
    // A larger limit (another caveat on the same counter) lets it go on.
    s.try_consume(&[charge("a", 4)]).unwrap();
    assert_eq!(s.used("a").unwrap(), 4);

    // All or nothing: "b" and "c" are not charged when "a" is exhausted, wherever it is.
    for order in [
        vec![charge("b", 10), charge("a", 4), charge("c", 10)],
        vec![charge("a", 4), charge("c", 10), charge("b", 10)],
        vec![charge("c", 10), charge("b", 10), charge("a", 4)],
    ] {
        let e = s.try_consume(&order).unwrap_err();
        assert!(
            matches!(e, sessionsig::Error::UsesExhausted { ref counter, .. } if counter == "a")
        );
        assert_eq!((s.used("b").unwrap(), s.used("c").unwrap()), (0, 0));
    }
    s.try_consume(&[charge("b", 10), charge("c", 10)]).unwrap();
    assert_eq!((s.used("b").unwrap(), s.used("c").unwrap()), (1, 1));
    // A counter named twice is charged once, against the smaller limit.
    s.try_consume(&[charge("d", 5), charge("d", 2)]).unwrap();
    assert_eq!(s.used("d").unwrap(), 1);
    s.try_consume(&[charge("d", 2), charge("d", 5)]).unwrap();
    assert!(s.try_consume(&[charge("d", 5), charge("d", 2)]).is_err());
    assert_eq!(s.used("d").unwrap(), 2);
    // Zero and huge limits.
    assert_eq!(
        s.try_consume(&[charge("z", 0)]).unwrap_err().code(),
        "uses_exhausted"
    );
    assert_eq!(s.used("z").unwrap(), 0);
    s.try_consume(&[charge("big", u64::MAX)]).unwrap();
    assert_eq!(s.used("big").unwrap(), 1);
    s.try_consume(&[]).unwrap();
}

fn two_nodes_share_revocations_and_counters(db: &Db) {
    let (a, b) = (db.open(), db.open());
    let chain = [(key_target(30), ALICE), (hash_target(31), BOB)];
    b.first_revoked(&chain).unwrap(); // b has looked before: nothing may be cached
    a.revoke(&hash_target(31), BOB).unwrap();
    assert!(b.is_revoked(&hash_target(31), BOB).unwrap());
    assert_eq!(
        b.first_revoked(&chain).unwrap(),
        Some((hash_target(31), BOB))
    );
    b.revoke_with_record(&key_target(30), ALICE, "{}").unwrap();
    assert_eq!(
        a.first_revoked(&chain).unwrap(),
        Some((key_target(30), ALICE))
    );
    assert_eq!(a.get_revocations(&key_target(30)).unwrap().len(), 1);

    a.try_consume(&[charge("shared", 3)]).unwrap();
    b.try_consume(&[charge("shared", 3)]).unwrap();
    a.try_consume(&[charge("shared", 3)]).unwrap();
    assert_eq!(b.used("shared").unwrap(), 3);
    assert!(b.try_consume(&[charge("shared", 3)]).is_err());
    assert!(a.try_consume(&[charge("shared", 3)]).is_err());

    // And it all survives a restart of both nodes.
    drop((a, b));
    let c = db.open();
    assert_eq!(c.used("shared").unwrap(), 3);
    assert!(c.is_revoked(&key_target(30), ALICE).unwrap());
}

fn threads_on_two_nodes_never_exceed_the_limit(db: &Db) {
    let nodes = [Arc::new(db.open()), Arc::new(db.open())];
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let s = nodes[t % 2].clone();
            std::thread::spawn(move || {
                let (mut single, mut pair) = (0, 0);
                for i in 0..20 {
                    // Mix single charges of "t" with pairs ("t" and "p"): "p" may move only
                    // when "t" does too.
                    if (t + i) % 3 == 0 {
                        if s.try_consume(&[charge("t", 37), charge("p", 1000)]).is_ok() {
                            pair += 1;
                        }
                    } else if s.try_consume(&[charge("t", 37)]).is_ok() {
                        single += 1;
                    }
                }
                (single, pair)
            })
        })
        .collect();
    let (mut single, mut pair) = (0, 0);
    for h in handles {
        let (s1, p1) = h.join().unwrap();
        single += s1;
        pair += p1;
    }
    assert_eq!(single + pair, 37, "exactly the limit, never more");
    assert_eq!(nodes[0].used("t").unwrap(), 37);
    assert_eq!(
        nodes[1].used("p").unwrap(),
        pair,
        "pairs are all or nothing"
    );
}

/// `max_bytes` traffic: reservations of different sizes from two "nodes" and many threads never
/// sum past the limit, a refused reservation charges nothing, and a release gives bytes back.
fn traffic_reservations_never_pass_the_limit(db: &Db) {
    let nodes = [Arc::new(db.open()), Arc::new(db.open())];
    let limit = 10_000u64;
    let threads = 10;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (s, b) = (nodes[t % 2].clone(), barrier.clone());
            std::thread::spawn(move || {
                s.used("bytes:t").unwrap();
                b.wait();
                let mut granted = 0u64;
                for i in 0..20u64 {
                    let amount = 100 + (t as u64 * 37 + i * 53) % 400;
                    match s.try_consume(&[UseCharge::bytes("bytes:t", amount, limit)]) {
                        Ok(()) => granted += amount,
                        Err(e) => assert_eq!(e.code(), "quota_exhausted"),
                    }
                }
                granted
            })
        })
        .collect();
    let granted: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let used = nodes[1].used("bytes:t").unwrap();
    assert_eq!(used, granted, "every acknowledged reservation is counted");
    assert!(
        used <= limit,
        "{used} bytes reserved past the {limit} limit"
    );
    assert!(used > limit - 500, "the budget was used up ({used})");
    let e = nodes[0]
        .try_consume(&[UseCharge::bytes("bytes:t", 500, limit), charge("u", 9)])
        .unwrap_err();
    assert_eq!(e.code(), "quota_exhausted");
    assert_eq!(nodes[0].used("u").unwrap(), 0, "all or nothing");
    nodes[0].release("bytes:t", 1_000).unwrap();
    assert_eq!(nodes[1].used("bytes:t").unwrap(), used - 1_000);
    nodes[1].release("bytes:t", u64::MAX).unwrap();
    assert_eq!(nodes[0].used("bytes:t").unwrap(), 0, "never below zero");
}

fn threads_race_for_the_last_unit(db: &Db) {
    let nodes = [Arc::new(db.open()), Arc::new(db.open())];
    for round in 0..5 {
        let counter = format!("last-{round}");
        for _ in 0..4 {
            nodes[0].try_consume(&[charge(&counter, 5)]).unwrap();
        }
        let threads = 12;
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (s, b, c) = (nodes[t % 2].clone(), barrier.clone(), counter.clone());
                std::thread::spawn(move || {
                    s.used(&c).unwrap(); // warm a connection
                    b.wait();
                    s.try_consume(&[charge(&c, 5)]).is_ok()
                })
            })
            .collect();
        let wins = handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|ok| *ok)
            .count();
        assert_eq!(
            wins, 1,
            "round {round}: exactly one thread gets the last use"
        );
        assert_eq!(nodes[1].used(&counter).unwrap(), 5);
    }
}

fn concurrent_opens_migrate_once(db: &Db) {
    let (url, schema) = db.url_and_schema();
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let (url, schema) = (url.clone(), schema.clone());
            std::thread::spawn(move || {
                SqlStore::open_with(&url, &common::options(schema.as_deref())).map(|s| s.kind())
            })
        })
        .collect();
    for h in handles {
        let kind = h.join().unwrap().unwrap();
        assert_eq!(
            kind,
            if schema.is_some() {
                StoreKind::Postgres
            } else {
                StoreKind::Sqlite
            }
        );
    }
    let s = db.open();
    s.revoke(&key_target(40), ALICE).unwrap();
    assert!(db.open().is_revoked(&key_target(40), ALICE).unwrap());
    // The ledger holds each migration once.
    let versions = match &db.url_and_schema() {
        (_, Some(schema)) => {
            let mut c = ::postgres::Client::connect(common::pg_url(), ::postgres::NoTls).unwrap();
            c.query(
                &format!("SELECT version FROM \"{schema}\".sessionsig_migrations ORDER BY 1"),
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get::<_, i32>(0))
            .collect::<Vec<_>>()
        }
        (url, None) => {
            let c = rusqlite::Connection::open(url.trim_start_matches("sqlite://")).unwrap();
            let mut st = c
                .prepare("SELECT version FROM sessionsig_migrations ORDER BY 1")
                .unwrap();
            st.query_map([], |r| r.get::<_, i32>(0))
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap()
        }
    };
    assert_eq!(
        versions,
        (1..=sessionsig_store::SCHEMA_VERSION).collect::<Vec<_>>()
    );
}

// ---- child processes ---------------------------------------------------------------------

/// Entry point for the child processes the tests below start; a no-op in a normal run.
#[test]
fn child_process() {
    let Ok(job) = std::env::var("SST_JOB") else {
        return;
    };
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} not set"));
    let store = common::open(&var("SST_URL"), std::env::var("SST_SCHEMA").ok().as_deref());
    match job.as_str() {
        "race" => child_race(
            store,
            &var("SST_COUNTER"),
            var("SST_LIMIT").parse().unwrap(),
            var("SST_THREADS").parse().unwrap(),
            var("SST_ATTEMPTS").parse().unwrap(),
            var("SST_START_MS").parse().unwrap(),
        ),
        "burst" => child_burst(store, var("SST_FIRST").parse().unwrap()),
        other => panic!("unknown job {other}"),
    }
}

/// Print one acknowledged write, flushed before anything else happens.
fn ack(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "ACK {line}").unwrap();
    out.flush().unwrap();
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn child_race(
    store: SqlStore,
    counter: &str,
    limit: u64,
    threads: usize,
    attempts: usize,
    start: u64,
) {
    let store = Arc::new(store);
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (s, c) = (store.clone(), counter.to_string());
            std::thread::spawn(move || {
                s.used(&c).unwrap(); // warm a connection
                while unix_ms() < start {
                    std::thread::sleep(Duration::from_millis(1));
                }
                for _ in 0..attempts {
                    match s.try_consume(&[charge(&c, limit)]) {
                        Ok(()) => ack("U"),
                        Err(e) => assert_eq!(e.code(), "uses_exhausted", "{e}"),
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

/// Revoke and charge in a loop, acknowledging each write once the store returned `Ok`,
/// until killed.
fn child_burst(store: SqlStore, first: u64) {
    for i in first..first + 1_000_000 {
        store
            .revoke_with_record(&burst_target(i), ALICE, &format!("{{\"n\":{i}}}"))
            .unwrap();
        ack(&format!("R {i}"));
        store
            .try_consume(&[charge("kill-a", u64::MAX), charge("kill-b", u64::MAX)])
            .unwrap();
        ack(&format!("U {i}"));
    }
}

fn spawn_child(db: &Db, job: &str, vars: &[(&str, String)]) -> Child {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new(exe);
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

/// The acknowledgements a child printed (its other output is the test harness's).
fn acks(child: &mut Child) -> Vec<String> {
    let out = child.stdout.take().unwrap();
    BufReader::new(out)
        .lines()
        .map(|l| l.unwrap())
        .filter_map(|l| ack_of(&l))
        .collect()
}

/// The acknowledgement on a line of a child's stdout (the harness may print its own
/// `test child_process ... ` just before the first one, on the same line).
fn ack_of(line: &str) -> Option<String> {
    line.find("ACK ").map(|i| line[i + 4..].to_owned())
}

/// Run `processes` children, each with `threads` threads making `attempts` charges of one
/// counter, all starting at the same instant; the number of successes they report.
fn race(
    db: &Db,
    counter: &str,
    limit: u64,
    processes: usize,
    threads: usize,
    attempts: usize,
) -> usize {
    let start = unix_ms() + 1500;
    let vars = [
        ("SST_COUNTER", counter.to_string()),
        ("SST_LIMIT", limit.to_string()),
        ("SST_THREADS", threads.to_string()),
        ("SST_ATTEMPTS", attempts.to_string()),
        ("SST_START_MS", start.to_string()),
    ];
    let mut children: Vec<Child> = (0..processes)
        .map(|_| spawn_child(db, "race", &vars))
        .collect();
    let mut wins = 0;
    for c in &mut children {
        wins += acks(c).len();
        let status = c.wait().unwrap();
        assert!(status.success(), "child failed: {status}");
    }
    wins
}

fn processes_never_exceed_the_limit(db: &Db) {
    let s = db.open();
    let wins = race(db, "procs", 50, 4, 2, 15);
    assert_eq!(
        wins, 50,
        "4 processes x 2 threads x 15 attempts on a limit of 50"
    );
    assert_eq!(s.used("procs").unwrap(), 50);
}

fn processes_race_for_the_last_unit(db: &Db) {
    let s = db.open();
    for _ in 0..9 {
        s.try_consume(&[charge("proc-last", 10)]).unwrap();
    }
    let wins = race(db, "proc-last", 10, 4, 3, 1);
    assert_eq!(
        wins, 1,
        "12 racers in 4 processes: exactly one gets the last use"
    );
    assert_eq!(s.used("proc-last").unwrap(), 10);
}

fn kill_9_loses_no_acknowledged_write(db: &Db) {
    drop(db.open()); // create the schema before the children start
    let mut uses = 0;
    let mut revoked = 0;
    // Three children, each SIGKILLed at a different moment of its burst, on the same database.
    for (round, grace_ms) in [(0u64, 0u64), (1, 3), (2, 11)] {
        let mut child = spawn_child(
            db,
            "burst",
            &[("SST_FIRST", (round * 1_000_000).to_string())],
        );
        let out = child.stdout.take().unwrap();
        let mut lines = BufReader::new(out).lines();
        let mut acked = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        // Let the burst get going, then SIGKILL it in the middle of whatever it is doing.
        while acked.len() < 200 {
            assert!(Instant::now() < deadline, "the child is too slow");
            let line = lines
                .next()
                .expect("the child ended before it was killed")
                .unwrap();
            acked.extend(ack_of(&line));
        }
        std::thread::sleep(Duration::from_millis(grace_ms));
        child.kill().unwrap(); // SIGKILL
                               // Whatever it acknowledged before dying is still in the pipe.
        for line in lines {
            acked.extend(ack_of(&line.unwrap()));
        }
        let status = child.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "killed by SIGKILL, not finished");

        // Every acknowledged write is there.
        let s = db.open();
        for a in &acked {
            match a.split_once(' ') {
                Some(("R", n)) => {
                    let i: u64 = n.parse().unwrap();
                    let r = s
                        .get_revocation(&burst_target(i))
                        .unwrap()
                        .unwrap_or_else(|| panic!("acknowledged revocation {i} lost"));
                    assert_eq!(r.auth_sig.unwrap(), format!("{{\"n\":{i}}}"));
                    revoked += 1;
                }
                Some(("U", _)) => uses += 1,
                _ => panic!("bad ack {a}"),
            }
        }
        let (a, b) = (s.used("kill-a").unwrap(), s.used("kill-b").unwrap());
        assert_eq!(
            a, b,
            "a two-counter charge is all or nothing, even when killed"
        );
        assert!(
            a >= uses && a <= uses + round + 1,
            "{uses} acknowledged charges, {a} stored (at most one unacknowledged per kill)"
        );
        eprintln!(
            "{}: round {round}: killed after {} acknowledged writes ({revoked} revocations, \
             {uses} charges so far); {a} charges stored",
            s.kind(),
            acked.len()
        );
    }
    assert!(revoked >= 300 && uses >= 300, "{revoked} {uses}");
}

fn burst_target(i: u64) -> RevocationTarget {
    if i.is_multiple_of(2) {
        key_target(i)
    } else {
        hash_target(i)
    }
}

// ---- errors ------------------------------------------------------------------------------

#[test]
fn unreachable_postgres_is_a_store_error_without_secrets() {
    let e = SqlStore::open("postgres://someone:hunter2@127.0.0.1:1/test?connect_timeout=2")
        .unwrap_err();
    assert_eq!(e.code(), "store_unavailable");
    let msg = e.to_string();
    assert!(msg.contains("postgres"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
}

#[test]
fn bad_postgres_schema_and_sqlite_path_are_store_errors() {
    let e = SqlStore::open_with(
        common::pg_url(),
        &sessionsig_store::OpenOptions::new().postgres_schema("x; DROP TABLE y"),
    )
    .unwrap_err();
    assert_eq!(e.code(), "store_unavailable");
    let e = SqlStore::open("sqlite:///nonexistent-dir-sessionsig/x/store.db").unwrap_err();
    assert_eq!(e.code(), "store_unavailable");
    assert!(e.to_string().contains("cannot open"), "{e}");
}

#[test]
fn a_failing_database_is_a_store_error_not_a_panic() {
    // The tables vanish under a live store (an operator error): every call is refused.
    let db = Db::postgres();
    let s = db.open();
    s.try_consume(&[charge("x", 2)]).unwrap();
    let (_, schema) = db.url_and_schema();
    let mut c = ::postgres::Client::connect(common::pg_url(), ::postgres::NoTls).unwrap();
    c.batch_execute(&format!("DROP SCHEMA \"{}\" CASCADE", schema.unwrap()))
        .unwrap();
    for e in [
        s.try_consume(&[charge("x", 2)]).unwrap_err(),
        s.try_consume(&[charge("x", 2), charge("y", 2)])
            .unwrap_err(),
        s.revoke(&key_target(1), ALICE).unwrap_err(),
        s.first_revoked(&[(key_target(1), ALICE)]).unwrap_err(),
        s.used("x").unwrap_err(),
    ] {
        assert_eq!(e.code(), "store_unavailable", "{e}");
    }

    let db = Db::sqlite();
    let s = db.open();
    let Db::Sqlite { dir, .. } = &db else {
        unreachable!()
    };
    let raw = rusqlite::Connection::open(dir.path().join("store.db")).unwrap();
    raw.execute_batch("DROP TABLE sessionsig_usage_counters; DROP TABLE sessionsig_revocations")
        .unwrap();
    for e in [
        s.try_consume(&[charge("x", 2)]).unwrap_err(),
        s.revoke(&key_target(1), ALICE).unwrap_err(),
        s.is_revoked(&key_target(1), ALICE).unwrap_err(),
        s.get_revocation(&key_target(1)).unwrap_err(),
    ] {
        assert_eq!(e.code(), "store_unavailable", "{e}");
    }
}

#[test]
fn postgres_reconnects_after_its_connections_are_killed() {
    let db = Db::postgres();
    let (url, _) = db.url_and_schema();
    let app = format!("sst_term_{}", std::process::id());
    let sep = if url.contains('?') { '&' } else { '?' };
    let s =
        SqlStore::open_with(&format!("{url}{sep}application_name={app}"), &db.options()).unwrap();
    s.revoke(&key_target(1), ALICE).unwrap();
    s.try_consume(&[charge("r", 10)]).unwrap();
    let mut admin = ::postgres::Client::connect(common::pg_url(), ::postgres::NoTls).unwrap();
    // Like a server restart: every connection of the store dies while idle.
    let mut kill_all = || {
        let pids: Vec<i32> = admin
            .query(
                "SELECT pid FROM pg_stat_activity WHERE application_name = $1",
                &[&app],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert!(!pids.is_empty());
        for pid in &pids {
            admin
                .execute("SELECT pg_terminate_backend($1)", &[pid])
                .unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1)",
                &[&pids],
            )
            .unwrap()
            .get::<_, i64>(0)
            > 0
        {
            assert!(Instant::now() < deadline, "backends did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    // Idempotent calls retry once on a fresh connection: the caller sees nothing.
    kill_all();
    assert!(s.is_revoked(&key_target(1), ALICE).unwrap());
    kill_all();
    s.revoke(&key_target(2), ALICE).unwrap();
    kill_all();
    assert_eq!(
        s.first_revoked(&[(key_target(3), ALICE), (key_target(2), ALICE)])
            .unwrap(),
        Some((key_target(2), ALICE))
    );
    kill_all();
    assert_eq!(s.used("r").unwrap(), 1);
    // A charge is never retried (it may have been applied): refused once, then fine.
    kill_all();
    let e = s.try_consume(&[charge("r", 10)]).unwrap_err();
    assert_eq!(e.code(), "store_unavailable", "{e}");
    s.try_consume(&[charge("r", 10)]).unwrap();
    assert_eq!(s.used("r").unwrap(), 2);
}

#[test]
fn run_blocking_serves_async_callers() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let s = SqlStore::open("sqlite::memory:").unwrap();
    let used = rt
        .block_on(s.run_blocking(|s| {
            s.try_consume(&[charge("async", 2)])?;
            s.used("async")
        }))
        .unwrap();
    assert_eq!(used, 1);
}
