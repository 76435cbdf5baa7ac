//! The last handle of a PostgreSQL store dropped inside async code: the synchronous driver
//! closes a connection with its private runtime's `block_on`, which panics on a thread running
//! a tokio runtime, so the store closes its connections on a thread of its own there. Checked
//! on both runtime flavours, in the test's own future and in a spawned task, and on the server:
//! every connection of the store is gone afterwards.

#[allow(unused_macros)] // `on_both_backends!` is not used here
mod common;

use alloy_primitives::Address;
use common::Db;
use sessionsig_store::{RevocationStore, RevocationTarget, SqlStore, UsageStore, UseCharge};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const ALICE: Address = Address::repeat_byte(0xa1);

fn target(n: u64) -> RevocationTarget {
    RevocationTarget::SessionKey(format!("{n:064x}"))
}

/// A blocking call, off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("blocking task")
}

/// A fresh schema and an `application_name` of its own, so the server can tell which
/// connections are the store's.
fn fresh() -> (Db, String, String) {
    static N: AtomicUsize = AtomicUsize::new(0);
    let db = Db::postgres();
    let app = format!(
        "sst_drop_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    let (url, _) = db.url_and_schema();
    let sep = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{sep}application_name={app}");
    (db, url, app)
}

/// The server's connections named `app`.
fn connections(app: &str) -> i64 {
    let mut admin = postgres::Client::connect(common::pg_url(), postgres::NoTls).unwrap();
    admin
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
            &[&app],
        )
        .unwrap()
        .get(0)
}

/// Wait until the server has let go of every connection named `app` (a backend exits just
/// after the client's `Terminate`); fails after a generous bound.
fn assert_all_closed(app: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n = connections(app);
        if n == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{n} connections of the dropped store are still open"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Open a store (a blocking call), use two connections at once, and check the server sees
/// them.
async fn open_and_use(db: &Db, url: String, app: String) -> SqlStore {
    let opts = db.options();
    let store = blocking(move || SqlStore::open_with(&url, &opts).unwrap()).await;
    let (a, b) = (store.clone(), store.clone());
    let (ra, rb) = tokio::join!(
        a.run_blocking(|s| s.revoke(&target(1), ALICE)),
        b.run_blocking(|s| s.try_consume(&[UseCharge::one_use("c", 5)])),
    );
    ra.unwrap();
    rb.unwrap();
    let used = store.run_blocking(|s| s.used("c")).await.unwrap();
    assert_eq!(used, 1);
    assert!(store
        .run_blocking(|s| s.is_revoked(&target(1), ALICE))
        .await
        .unwrap());
    let n = blocking(move || connections(&app)).await;
    assert!(
        n >= 1,
        "the store's connections are not visible to the server"
    );
    drop((a, b));
    store
}

async fn drop_in_the_test_future() {
    let (db, url, app) = blocking(fresh).await;
    let store = open_and_use(&db, url, app.clone()).await;
    // The last handle, dropped right here, in async code.
    drop(store);
    blocking(move || assert_all_closed(&app)).await;
    blocking(move || drop(db)).await;
}

async fn drop_in_a_spawned_task() {
    let (db, url, app) = blocking(fresh).await;
    let store = open_and_use(&db, url, app.clone()).await;
    tokio::spawn(async move {
        tokio::task::yield_now().await;
        drop(store);
    })
    .await
    .expect("the task dropping the store must not panic");
    blocking(move || assert_all_closed(&app)).await;
    blocking(move || drop(db)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_dropped_in_a_multi_thread_runtime() {
    drop_in_the_test_future().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_dropped_in_a_task_of_a_multi_thread_runtime() {
    drop_in_a_spawned_task().await;
}

#[tokio::test(flavor = "current_thread")]
async fn postgres_store_dropped_in_a_current_thread_runtime() {
    drop_in_the_test_future().await;
}

#[tokio::test(flavor = "current_thread")]
async fn postgres_store_dropped_in_a_task_of_a_current_thread_runtime() {
    drop_in_a_spawned_task().await;
}

/// Outside any runtime the connections close on the dropping thread, as before.
#[test]
fn postgres_store_dropped_outside_a_runtime() {
    let (db, url, app) = fresh();
    let store = SqlStore::open_with(&url, &db.options()).unwrap();
    store.revoke(&target(2), ALICE).unwrap();
    assert!(connections(&app) >= 1);
    drop(store);
    assert_all_closed(&app);
}
