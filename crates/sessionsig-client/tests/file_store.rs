//! The file store across process restarts and crashes. Child processes are this same test
//! binary re-run on one test, told what to do through environment variables.

mod common;

use common::*;
use sessionsig::time::{parse_rfc3339, Duration, FixedClock};
use sessionsig_client::storage::{LIT_SESSION_KEY, LIT_WALLET_SIG};
use sessionsig_client::{
    FileStore, NodeSet, ReadOnlyWallet, SessionManager, SessionRequest, Storage, WalletProvider,
};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

const CHILD_ROLE: &str = "SESSIONSIG_TEST_CHILD_ROLE";
const CHILD_DIR: &str = "SESSIONSIG_TEST_CHILD_DIR";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn request() -> SessionRequest {
    SessionRequest::new(vec![pkp("0xabcd")])
}

fn manager_at(
    wallet: impl WalletProvider + 'static,
    store: FileStore,
    now: &str,
) -> SessionManager {
    SessionManager::new(wallet, store, NodeSet::new(nodes(5)).unwrap())
        .with_clock(Arc::new(FixedClock(parse_rfc3339(now).unwrap())))
}

/// Run this test binary again on the test `child`, with `role` and `dir`.
fn run_child(role: &str, dir: &Path) -> std::process::Output {
    Command::new(std::env::current_exe().unwrap())
        .args(["child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ROLE, role)
        .env(CHILD_DIR, dir)
        .output()
        .unwrap()
}

/// Not a test of its own: the body of the child processes (does nothing when run normally).
#[test]
fn child() {
    let (Ok(role), Ok(dir)) = (std::env::var(CHILD_ROLE), std::env::var(CHILD_DIR)) else {
        return;
    };
    match role.as_str() {
        // A restarted process with no wallet at all: must live on the stored session.
        "restart" => {
            let store = FileStore::open(&dir).unwrap();
            let address = WalletProvider::address(&wallet(1));
            let m = manager_at(
                ReadOnlyWallet::new(address),
                store,
                "2025-06-01T13:00:00.000Z",
            );
            let rt = rt();
            let mut key = String::new();
            for _ in 0..100 {
                let sigs = rt
                    .block_on(m.session_sigs(&request()))
                    .expect("no prompt needed");
                key = sigs.iter().next().unwrap().1.address.clone();
            }
            println!("SESSION-KEY={key}");
        }
        // The AuthSig has expired; the wallet signs a new one and the process dies between
        // writing the temporary file and renaming it.
        "crash" => {
            let mut store = FileStore::open(&dir).unwrap();
            store.set_before_rename_hook(|| std::process::abort());
            let m = manager_at(wallet(1), store, "2025-06-02T13:00:00.000Z");
            let _ = rt().block_on(m.session_sigs(&request()));
            unreachable!("the write should have crashed the process");
        }
        other => panic!("unknown child role {other}"),
    }
}

#[test]
fn restart_reuses_the_key_and_the_auth_sig() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let w = Counting::new(wallet(1));
    let first_key = {
        let m = manager_at(w.clone(), FileStore::open(&dir).unwrap(), T0);
        let sigs = rt().block_on(m.session_sigs(&request())).unwrap();
        let key = sigs.iter().next().unwrap().1.address.clone();
        key
    };
    assert_eq!(w.count(), 1);
    // Same process, everything rebuilt from the directory.
    let m = manager_at(
        w.clone(),
        FileStore::open(&dir).unwrap(),
        "2025-06-01T12:30:00.000Z",
    );
    let sigs = rt().block_on(m.session_sigs(&request())).unwrap();
    assert_eq!(sigs.iter().next().unwrap().1.address, first_key);
    assert_eq!(w.count(), 1);
    // Another process, without a wallet.
    let out = run_child("restart", &dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("SESSION-KEY={first_key}")),
        "{stdout}"
    );
}

#[test]
fn crash_between_write_and_rename_keeps_the_previous_state() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let w = Counting::new(wallet(1));
    {
        let m = manager_at(w.clone(), FileStore::open(&dir).unwrap(), T0);
        rt().block_on(m.session_sigs(&request())).unwrap();
    }
    let store = FileStore::open(&dir).unwrap();
    let key_before = store.get(LIT_SESSION_KEY).unwrap().unwrap();
    let sig_before = store.get(LIT_WALLET_SIG).unwrap().unwrap();

    let out = run_child("crash", &dir);
    assert!(!out.status.success(), "the child should have crashed");

    // The previous values are intact, byte for byte; the half-done write is a temporary file
    // that readers ignore.
    let store = FileStore::open(&dir).unwrap();
    assert_eq!(store.get(LIT_SESSION_KEY).unwrap().unwrap(), key_before);
    assert_eq!(store.get(LIT_WALLET_SIG).unwrap().unwrap(), sig_before);
    let temps: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert_eq!(temps.len(), 1, "{temps:?}");
    assert!(temps[0].starts_with(".lit-wallet-sig."), "{temps:?}");
    assert_eq!(store.keys().unwrap(), [LIT_SESSION_KEY, LIT_WALLET_SIG]);

    // And still usable: within the old AuthSig's lifetime, no prompt.
    let m = manager_at(w.clone(), store, "2025-06-01T18:00:00.000Z");
    rt().block_on(m.session_sigs(&request())).unwrap();
    assert_eq!(w.count(), 1);
    // After it expires, one prompt (the crashed process's signature was never stored).
    let m = SessionManager::new(
        w.clone(),
        FileStore::open(&dir).unwrap(),
        NodeSet::new(nodes(5)).unwrap(),
    )
    .with_clock(Arc::new(FixedClock(
        parse_rfc3339(T0).unwrap() + Duration::hours(30),
    )));
    rt().block_on(m.session_sigs(&request())).unwrap();
    assert_eq!(w.count(), 2);
    assert_eq!(w.last_reason().unwrap().code(), "expired");
}

#[test]
fn a_signature_stored_by_another_process_is_reused() {
    // Two managers on one directory (two processes, or this one and a Lit SDK). Before
    // prompting, a manager reads the store again and reuses what the other just stored.
    let tmp = tempfile::tempdir().unwrap();
    let w = Counting::new(wallet(1));
    let clock = ManualClock::at(T0);
    let a = SessionManager::new(
        w.clone(),
        FileStore::open(tmp.path()).unwrap(),
        NodeSet::new(nodes(5)).unwrap(),
    )
    .with_clock(clock.clone());
    rt().block_on(a.session_sigs(&request())).unwrap();
    // 30 h later the AuthSig has expired; manager b signs a new one.
    let later = "2025-06-02T18:00:00.000Z";
    let b = manager_at(w.clone(), FileStore::open(tmp.path()).unwrap(), later);
    rt().block_on(b.session_sigs(&request())).unwrap();
    assert_eq!(w.count(), 2);
    // Manager a still holds the expired one in memory; at the same instant it finds b's.
    clock.set(parse_rfc3339(later).unwrap());
    rt().block_on(a.session_sigs(&request())).unwrap();
    assert_eq!(w.count(), 2);
}
