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
    store: impl Storage + 'static,
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

/// The two files of a real session (our values are the Lit SDK's, byte for byte): what a Lit
/// SDK process using node-localstorage leaves in its directory.
#[cfg(unix)]
fn sdk_session_files() -> (Vec<u8>, Vec<u8>) {
    let tmp = tempfile::tempdir().unwrap();
    let m = manager_at(wallet(1), FileStore::open(tmp.path()).unwrap(), T0);
    rt().block_on(m.session_sigs(&request())).unwrap();
    (
        std::fs::read(tmp.path().join(LIT_SESSION_KEY)).unwrap(),
        std::fs::read(tmp.path().join(LIT_WALLET_SIG)).unwrap(),
    )
}

/// Write `content` the way node-localstorage does under `umask 022`: a `0644` file.
#[cfg(unix)]
fn write_as_sdk(path: &Path, content: &[u8]) {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(path)
        .unwrap();
    std::io::Write::write_all(&mut f, content).unwrap();
    // Whatever this process's umask.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(mode(path), 0o644);
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

#[cfg(unix)]
#[test]
fn a_world_readable_session_key_written_by_the_sdk_is_made_owner_only_when_read() {
    use std::os::unix::fs::PermissionsExt;
    let (key, sig) = sdk_session_files();
    assert!(String::from_utf8_lossy(&key).contains("\"secretKey\""));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lit-storage");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();

    // Our process opens the (empty) store; the SDK process then writes its session.
    let store = Arc::new(FileStore::open(&dir).unwrap());
    write_as_sdk(&dir.join(LIT_SESSION_KEY), &key);
    write_as_sdk(&dir.join(LIT_WALLET_SIG), &sig);

    // Read through the store: the raw `get` …
    assert_eq!(
        store.get(LIT_SESSION_KEY).unwrap().unwrap().as_bytes(),
        &key[..]
    );
    assert_eq!(mode(&dir.join(LIT_SESSION_KEY)), 0o600);
    assert_eq!(std::fs::read(dir.join(LIT_SESSION_KEY)).unwrap(), key);

    // … and the session manager, without a wallet: it lives on the SDK's session.
    write_as_sdk(&dir.join(LIT_SESSION_KEY), &key);
    let address = WalletProvider::address(&wallet(1));
    let m = manager_at(
        ReadOnlyWallet::new(address),
        store.clone(),
        "2025-06-01T13:00:00.000Z",
    );
    let sigs = rt().block_on(m.session_sigs(&request())).unwrap();
    let session_public_key = sigs.iter().next().unwrap().1.address.clone();
    assert!(String::from_utf8_lossy(&key).contains(&session_public_key));
    for (name, content) in [(LIT_SESSION_KEY, &key), (LIT_WALLET_SIG, &sig)] {
        let path = dir.join(name);
        assert_eq!(mode(&path), 0o600, "{name}");
        assert_eq!(&std::fs::read(&path).unwrap(), content, "{name}");
    }
    assert_eq!(store.take_warnings(), Vec::<String>::new());
}

#[cfg(unix)]
#[test]
fn open_makes_an_sdk_store_owner_only_without_touching_contents_or_links() {
    use std::os::unix::fs::PermissionsExt;
    let (key, sig) = sdk_session_files();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lit-storage");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    write_as_sdk(&dir.join(LIT_SESSION_KEY), &key);
    write_as_sdk(&dir.join(LIT_WALLET_SIG), &sig);
    // A left-over of write-file-atomic (node-localstorage's writer): a secret too.
    write_as_sdk(&dir.join("lit-session-key.3f2a91c0"), &key);
    // A link to a file outside the store is not followed.
    let outside = tmp.path().join("outside");
    write_as_sdk(&outside, b"not ours");
    std::os::unix::fs::symlink(&outside, dir.join("link")).unwrap();

    let store = FileStore::open(&dir).unwrap();
    assert_eq!(mode(&dir), 0o700);
    for (name, content) in [
        (LIT_SESSION_KEY, &key),
        (LIT_WALLET_SIG, &sig),
        ("lit-session-key.3f2a91c0", &key),
    ] {
        let path = dir.join(name);
        assert_eq!(mode(&path), 0o600, "{name}");
        assert_eq!(&std::fs::read(&path).unwrap(), content, "{name}");
    }
    assert_eq!(mode(&outside), 0o644);
    assert_eq!(std::fs::read(&outside).unwrap(), b"not ours");
    assert_eq!(store.take_warnings(), Vec::<String>::new());
    assert_eq!(
        store.get(LIT_WALLET_SIG).unwrap().unwrap().as_bytes(),
        &sig[..]
    );
}

#[cfg(unix)]
#[test]
fn open_leaves_a_shared_sticky_directory_alone() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shared");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777)).unwrap();
    write_as_sdk(&dir.join("k"), b"v");
    let store = FileStore::open(&dir).unwrap();
    assert_eq!(mode(&dir), 0o1777);
    assert_eq!(mode(&dir.join("k")), 0o600);
    assert_eq!(store.get("k").unwrap().unwrap().as_str(), "v");
}
