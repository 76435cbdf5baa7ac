//! Objects (blobs + metadata) on SQLite with the local disk and on PostgreSQL with a real S3
//! server: round trips, replaced and deleted blobs cleaned up, refused writes leaving nothing,
//! the grace-period guard, and readers racing writers.

mod common;

use common::{generated, generated_vec, run, Meta, S3Server};
use futures_util::StreamExt;
use sessionsig::time::{Clock, Duration, OffsetDateTime, SystemClock};
use sessionsig_backpack::blobs::{BlobKey, BlobStore, PutCheck};
use sessionsig_backpack::objects::{ObjectSettings, Objects, PutObject};
use sessionsig_store::backpack::{BackpackStore, Precondition};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

const OWNER: &str = "0xa11ce00000000000000000000000000000000001";

/// The stores of one test (kept alive for its length).
struct Setup {
    _meta: Meta,
    _dir: Option<tempfile::TempDir>,
    _server: Option<S3Server>,
    blobs: BlobStore,
    store: Arc<dyn BackpackStore>,
}

fn sqlite_local() -> Setup {
    let meta = Meta::sqlite();
    let (dir, blobs) = common::local_store();
    let store: Arc<dyn BackpackStore> = Arc::new(meta.open());
    Setup {
        _meta: meta,
        _dir: Some(dir),
        _server: None,
        blobs,
        store,
    }
}

fn postgres_s3() -> Setup {
    let meta = Meta::postgres();
    let server = S3Server::start();
    let blobs = server.store("objects");
    let store: Arc<dyn BackpackStore> = Arc::new(meta.open());
    Setup {
        _meta: meta,
        _dir: None,
        _server: Some(server),
        blobs,
        store,
    }
}

impl Setup {
    fn objects(&self, clock: Arc<dyn Clock>, settings: ObjectSettings) -> Objects {
        Objects::new(self.blobs.clone(), Arc::clone(&self.store), clock, settings)
    }

    fn node(&self) -> Objects {
        self.objects(Arc::new(SystemClock), ObjectSettings::default())
    }

    /// Blobs that no object refers to (what a cleanup with no grace period would delete).
    async fn garbage(&self) -> usize {
        // Reconcile on a copy of the listing: with grace 0 every unreferenced blob would go,
        // so count them by the report and check nothing referenced was touched.
        let r = self
            .blobs
            .reconcile(
                Arc::clone(&self.store),
                Duration::ZERO,
                OffsetDateTime::now_utc() + Duration::hours(1),
            )
            .await
            .unwrap();
        r.deleted.len() + r.staging_removed as usize
    }
}

macro_rules! on_both_setups {
    ($($name:ident),* $(,)?) => {
        mod sqlite_local {
            $( #[test] fn $name() { crate::common::run(super::$name(crate::sqlite_local())) } )*
        }
        mod postgres_s3 {
            $( #[test] fn $name() { crate::common::run(super::$name(crate::postgres_s3())) } )*
        }
    };
}

on_both_setups!(
    put_get_replace_delete_cleans_up_blobs,
    refused_writes_leave_nothing,
    slow_uploads_are_not_committed,
    readers_racing_writers_see_whole_versions,
);

fn sha(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

fn put_req<'a>(
    path: &'a str,
    len: u64,
    digest: Option<[u8; 32]>,
    cond: Precondition,
) -> PutObject<'a> {
    PutObject {
        owner: OWNER,
        path,
        content_type: "image/jpeg",
        check: PutCheck {
            declared_len: Some(len),
            max_len: None,
            sha256: digest,
        },
        cond,
        replay: None,
    }
}

async fn read(node: &Objects, path: &str) -> (Vec<u8>, [u8; 32]) {
    let (m, r) = node.get(OWNER, path, None).await.unwrap();
    let mut out = Vec::new();
    let mut s = r.stream;
    while let Some(c) = s.next().await {
        out.extend_from_slice(&c.unwrap());
    }
    (out, m.digest)
}

async fn put_get_replace_delete_cleans_up_blobs(s: Setup) {
    let node = s.node();
    let v1 = generated_vec(1, 300_000).await;
    let c1 = node
        .put(
            &put_req(
                "/photos/a.jpg",
                300_000,
                Some(sha(&v1)),
                Precondition::IfNoneMatchAny,
            ),
            generated(1, 300_000, 10_000),
        )
        .await
        .unwrap();
    assert!(c1.created);
    assert_eq!(c1.object.content_type, "image/jpeg");
    assert_eq!(read(&node, "/photos/a.jpg").await, (v1.clone(), sha(&v1)));
    let (m, r) = node
        .get(OWNER, "/photos/a.jpg", Some(10..20))
        .await
        .unwrap();
    assert_eq!(m.size, 300_000);
    let part: Vec<u8> = r.stream.map(|c| c.unwrap().to_vec()).concat().await;
    assert_eq!(part, &v1[10..20]);

    // Replace, conditionally on the current version: the old blob is deleted.
    let v2 = generated_vec(2, 7_000_000).await;
    let c2 = node
        .put(
            &put_req(
                "/photos/a.jpg",
                7_000_000,
                Some(sha(&v2)),
                Precondition::IfMatch(vec![c1.object.etag.clone()]),
            ),
            generated(2, 7_000_000, 65_536),
        )
        .await
        .unwrap();
    assert!(!c2.created);
    let old = BlobKey::parse(&c1.object.blob_key).unwrap();
    assert_eq!(
        s.blobs.size(&old).await.unwrap(),
        None,
        "replaced blob deleted"
    );
    assert_eq!(read(&node, "/photos/a.jpg").await.0, v2);
    assert_eq!(s.garbage().await, 0);

    let page = node
        .list(
            OWNER,
            "/",
            sessionsig_store::backpack::ListLimit::default(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(page.folders, ["/photos/"]);
    let page = node
        .list(
            OWNER,
            "/photos/",
            sessionsig_store::backpack::ListLimit::default(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(page.entries.len(), 1);
    assert_eq!(page.entries[0].etag, c2.object.etag);
    let gone = node
        .delete(OWNER, "/photos/a.jpg", &Precondition::None, None)
        .await
        .unwrap();
    assert_eq!(gone.etag, c2.object.etag);
    let key = BlobKey::parse(&c2.object.blob_key).unwrap();
    assert_eq!(
        s.blobs.size(&key).await.unwrap(),
        None,
        "deleted object's blob deleted"
    );
    assert_eq!(
        node.get(OWNER, "/photos/a.jpg", None)
            .await
            .unwrap_err()
            .code(),
        "not_found"
    );
    assert_eq!(
        node.delete(OWNER, "/photos/a.jpg", &Precondition::None, None)
            .await
            .unwrap_err()
            .code(),
        "not_found"
    );
}

async fn refused_writes_leave_nothing(s: Setup) {
    let node = s.objects(
        Arc::new(SystemClock),
        ObjectSettings {
            owner_quota: Some(1_000_000),
            max_object_bytes: Some(800_000),
            ..ObjectSettings::default()
        },
    );
    let v1 = generated_vec(1, 600_000).await;
    node.put(
        &put_req("/a", 600_000, Some(sha(&v1)), Precondition::None),
        generated(1, 600_000, 50_000),
    )
    .await
    .unwrap();
    let before = node.head(OWNER, "/a").await.unwrap();
    // Each refusal: the right code, the object unchanged, no blob left behind.
    let mut wrong = sha(&v1);
    wrong[31] ^= 0x80;
    let cases: Vec<(PutObject<'_>, u64, &str)> = vec![
        (
            put_req("/a", 600_000, Some(wrong), Precondition::None),
            600_000,
            "digest_mismatch",
        ),
        (
            put_req("/a", 600_000, None, Precondition::IfNoneMatchAny),
            600_000,
            "precondition_failed",
        ),
        (
            put_req(
                "/a",
                600_000,
                None,
                Precondition::IfMatch(vec!["\"stale\"".into()]),
            ),
            600_000,
            "precondition_failed",
        ),
        (
            put_req("/b", 500_000, None, Precondition::None),
            500_000,
            "storage_full",
        ),
        (
            put_req("/c", 900_000, None, Precondition::None),
            900_000,
            "too_large",
        ),
    ];
    for (req, len, code) in cases {
        let e = node.put(&req, generated(3, len, 50_000)).await.unwrap_err();
        assert_eq!(e.code(), code, "{}", req.path);
        assert_eq!(node.head(OWNER, "/a").await.unwrap(), before);
        assert_eq!(
            node.head(OWNER, "/b").await.unwrap_err().code(),
            "not_found"
        );
        assert_eq!(s.garbage().await, 0, "{code}: a blob was left behind");
    }
    assert_eq!(read(&node, "/a").await.0, v1);
}

/// A clock that says `t0` for the first reading and `t0 + step` afterwards.
struct SteppingClock {
    t0: OffsetDateTime,
    step: Duration,
    reads: AtomicU32,
}

impl Clock for SteppingClock {
    fn now(&self) -> OffsetDateTime {
        if self.reads.fetch_add(1, Ordering::SeqCst) == 0 {
            self.t0
        } else {
            self.t0 + self.step
        }
    }
}

async fn slow_uploads_are_not_committed(s: Setup) {
    let settings = ObjectSettings::default();
    let node = s.objects(
        Arc::new(SteppingClock {
            t0: OffsetDateTime::now_utc(),
            step: settings.grace / 2 + Duration::seconds(1),
            reads: AtomicU32::new(0),
        }),
        settings,
    );
    let e = node
        .put(
            &put_req("/slow", 1000, None, Precondition::None),
            generated(4, 1000, 100),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "upload_too_slow");
    assert_eq!(
        node.head(OWNER, "/slow").await.unwrap_err().code(),
        "not_found"
    );
    assert_eq!(s.garbage().await, 0, "its blob was deleted");
}

async fn readers_racing_writers_see_whole_versions(s: Setup) {
    let node = s.node();
    let len = 200_000u64;
    node.put(
        &put_req("/doc", len, None, Precondition::None),
        generated(100, len, 20_000),
    )
    .await
    .unwrap();
    let writer = {
        let node = node.clone();
        tokio::spawn(async move {
            for i in 1..=8u64 {
                node.put(
                    &put_req("/doc", len, None, Precondition::None),
                    generated(100 + i, len, 20_000),
                )
                .await
                .unwrap();
            }
        })
    };
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let node = node.clone();
            tokio::spawn(async move {
                for _ in 0..10 {
                    let (bytes, digest) = read(&node, "/doc").await;
                    assert_eq!(bytes.len() as u64, len);
                    assert_eq!(sha(&bytes), digest, "a reader got a mix of versions");
                }
            })
        })
        .collect();
    writer.await.unwrap();
    for r in readers {
        r.await.unwrap();
    }
    assert_eq!(read(&node, "/doc").await.0, generated_vec(108, len).await);
    assert_eq!(s.garbage().await, 0, "every replaced blob was deleted");
}

#[test]
fn error_codes_are_stable() {
    run(async {
        let s = sqlite_local();
        let node = s.node();
        let e = node.head(OWNER, "/nothing").await.unwrap_err();
        assert_eq!(e.code(), "not_found");
        let e = node.head("0xNOT", "/x").await.unwrap_err();
        assert_eq!(e.code(), "invalid_path");
    });
}
