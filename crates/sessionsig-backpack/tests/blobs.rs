//! The blob store suite, run the same on the local disk and on a real S3-protocol server
//! (`s3s-fs`): round trips byte-identical (single put and multipart), ranges, streaming, fresh
//! keys, bodies refused with nothing stored, deletes, and reconciliation.

mod common;

use bytes::Bytes;
use common::{generated, generated_vec, run, Meta};
use futures_util::StreamExt;
use sessionsig::time::{Duration, OffsetDateTime};
use sessionsig_backpack::blobs::{BlobKey, BlobStore, PutCheck};
use sessionsig_store::backpack::{BackpackStore, NewObject, Precondition};
use sha2::{Digest, Sha256};
use std::sync::Arc;

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod local {
            $( #[test] fn $name() {
                let (_dir, store) = crate::common::local_store();
                crate::common::run(super::$name(store));
            } )*
        }
        mod s3 {
            $( #[test] fn $name() {
                let server = crate::common::S3Server::start();
                crate::common::run(super::$name(server.store("node-data")));
            } )*
        }
    };
}

on_both_backends!(
    small_bodies_round_trip_byte_identical,
    multipart_bodies_round_trip_byte_identical_chunk_by_chunk,
    ranges_return_exactly_their_bytes,
    every_put_gets_a_fresh_key,
    refused_bodies_leave_nothing,
    deletes_are_idempotent,
    reconcile_deletes_only_old_unreferenced_blobs,
);

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn sha(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

/// Read a whole stream, counting its chunks.
async fn read_all(
    store: &BlobStore,
    key: &BlobKey,
    range: Option<std::ops::Range<u64>>,
) -> (Vec<u8>, usize) {
    let r = store.get(key, range).await.unwrap();
    let mut out = Vec::new();
    let mut chunks = 0;
    let mut s = r.stream;
    while let Some(c) = s.next().await {
        out.extend_from_slice(&c.unwrap());
        chunks += 1;
    }
    (out, chunks)
}

/// What reconciliation (grace 0, empty metadata) would find: every blob or staging file left.
async fn leftovers(store: &BlobStore) -> (u64, u64) {
    let meta = Meta::sqlite();
    let m: Arc<dyn BackpackStore> = Arc::new(meta.open());
    let r = store
        .reconcile(m, Duration::ZERO, now() + Duration::hours(1))
        .await
        .unwrap();
    (r.scanned, r.staging_removed)
}

async fn small_bodies_round_trip_byte_identical(store: BlobStore) {
    for len in [0u64, 1, 1000, 70_000] {
        let want = generated_vec(len, len).await;
        let w = store
            .put(
                generated(len, len, 7),
                &PutCheck {
                    declared_len: Some(len),
                    max_len: Some(len),
                    sha256: Some(sha(&want)),
                },
                now(),
            )
            .await
            .unwrap();
        assert_eq!((w.size, w.sha256), (len, sha(&want)));
        let (got, _) = read_all(&store, &w.key, None).await;
        assert!(got == want, "{len} bytes differ");
        assert_eq!(store.size(&w.key).await.unwrap(), Some(len));
    }
}

async fn multipart_bodies_round_trip_byte_identical_chunk_by_chunk(store: BlobStore) {
    // Larger than two S3 parts (5 MiB each in the tests) and many local ones.
    let len = 12 * 1024 * 1024 + 123;
    let want = generated_vec(9, len).await;
    let w = store
        .put(
            generated(9, len, 64 * 1024),
            &PutCheck {
                sha256: Some(sha(&want)),
                ..PutCheck::default()
            },
            now(),
        )
        .await
        .unwrap();
    assert_eq!(w.size, len);
    let r = store.get(&w.key, None).await.unwrap();
    assert_eq!((r.size, r.range.clone()), (len, 0..len));
    let mut got = Vec::new();
    let mut chunks = 0;
    let mut biggest = 0;
    let mut s = r.stream;
    while let Some(c) = s.next().await {
        let c = c.unwrap();
        biggest = biggest.max(c.len());
        got.extend_from_slice(&c);
        chunks += 1;
    }
    assert!(got == want, "bytes differ");
    assert!(
        chunks > 1 && (biggest as u64) < len / 2,
        "streamed in chunks ({chunks} chunks, largest {biggest}), not one buffer"
    );
}

async fn ranges_return_exactly_their_bytes(store: BlobStore) {
    let len = 100_000u64;
    let want = generated_vec(3, len).await;
    let w = store
        .put(generated(3, len, 4096), &PutCheck::default(), now())
        .await
        .unwrap();
    for (a, b) in [
        (0, 1),
        (5, 100),
        (4096, 8193),
        (len - 10, len),
        (99_999, 100_000),
    ] {
        let (got, _) = read_all(&store, &w.key, Some(a..b)).await;
        assert_eq!(got, &want[a as usize..b as usize], "{a}..{b}");
    }
    // An end past the blob is cut to it, as for HTTP ranges.
    let r = store.get(&w.key, Some(len - 5..len + 50)).await.unwrap();
    assert_eq!(r.range, len - 5..len);
    let (got, _) = read_all(&store, &w.key, Some(len - 5..len + 50)).await;
    assert_eq!(got, &want[(len - 5) as usize..]);
    // A start past the end, or an empty range, is not satisfiable.
    let e = store.get(&w.key, Some(len..len + 1)).await.unwrap_err();
    assert_eq!(e.code(), "range_not_satisfiable", "{e}");
    let e = store.get(&w.key, Some(7..7)).await.unwrap_err();
    assert_eq!(e.code(), "range_not_satisfiable");
}

async fn every_put_gets_a_fresh_key(store: BlobStore) {
    let t = now();
    let a = store
        .put(generated(1, 10, 3), &PutCheck::default(), t)
        .await
        .unwrap();
    let b = store
        .put(generated(1, 10, 3), &PutCheck::default(), t)
        .await
        .unwrap();
    assert_ne!(a.key, b.key, "same body, same instant: two keys");
    assert_eq!(a.sha256, b.sha256);
    assert_eq!(
        BlobKey::parse(a.key.as_str())
            .unwrap()
            .created()
            .unix_timestamp(),
        t.unix_timestamp()
    );
    store.delete(&a.key).await.unwrap();
    let (got, _) = read_all(&store, &b.key, None).await;
    assert_eq!(got, generated_vec(1, 10).await);
}

async fn refused_bodies_leave_nothing(store: BlobStore) {
    let big = 11 * 1024 * 1024; // multipart on both backends
    for len in [1000u64, big] {
        let want = generated_vec(5, len).await;
        let mut wrong = sha(&want);
        wrong[0] ^= 1;
        let e = store
            .put(
                generated(5, len, 64 * 1024),
                &PutCheck {
                    sha256: Some(wrong),
                    ..PutCheck::default()
                },
                now(),
            )
            .await
            .unwrap_err();
        assert_eq!(e.code(), "digest_mismatch");
        let e = store
            .put(
                generated(5, len, 64 * 1024),
                &PutCheck {
                    max_len: Some(len - 1),
                    ..PutCheck::default()
                },
                now(),
            )
            .await
            .unwrap_err();
        assert_eq!(e.code(), "too_large");
        for declared in [len - 1, len + 1] {
            let e = store
                .put(
                    generated(5, len, 64 * 1024),
                    &PutCheck {
                        declared_len: Some(declared),
                        ..PutCheck::default()
                    },
                    now(),
                )
                .await
                .unwrap_err();
            assert_eq!(e.code(), "length_mismatch", "declared {declared} for {len}");
        }
        // The client goes away in the middle.
        let failing = generated(5, len, 64 * 1024)
            .take(12)
            .chain(futures_util::stream::once(async {
                Err(std::io::Error::other("connection reset"))
            }));
        let e = store
            .put(failing, &PutCheck::default(), now())
            .await
            .unwrap_err();
        assert_eq!(e.code(), "upload_aborted");
    }
    // Refused before reading anything: the declared length is already too large.
    let e = store
        .put(
            futures_util::stream::pending::<Result<Bytes, std::io::Error>>(),
            &PutCheck {
                declared_len: Some(100),
                max_len: Some(99),
                sha256: None,
            },
            now(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "too_large");
    assert_eq!(
        leftovers(&store).await,
        (0, 0),
        "no blob and no staging file left"
    );
}

async fn deletes_are_idempotent(store: BlobStore) {
    let w = store
        .put(generated(2, 50, 50), &PutCheck::default(), now())
        .await
        .unwrap();
    store.delete(&w.key).await.unwrap();
    store.delete(&w.key).await.unwrap();
    assert_eq!(store.size(&w.key).await.unwrap(), None);
    assert_eq!(
        store.get(&w.key, None).await.unwrap_err().code(),
        "not_found"
    );
}

async fn reconcile_deletes_only_old_unreferenced_blobs(store: BlobStore) {
    let meta = Meta::sqlite();
    let m = Arc::new(meta.open());
    let t0 = now();
    let mut keys = Vec::new();
    for i in 0..3 {
        keys.push(
            store
                .put(generated(i, 100, 100), &PutCheck::default(), t0)
                .await
                .unwrap(),
        );
    }
    let referenced = &keys[1];
    let mm = m.clone();
    let (k, s, d) = (
        referenced.key.as_str().to_owned(),
        referenced.size,
        referenced.sha256,
    );
    tokio::task::spawn_blocking(move || {
        mm.commit_put(
            &NewObject {
                owner: "0xa11ce00000000000000000000000000000000001",
                path: "/kept",
                size: s,
                content_type: "application/octet-stream",
                digest: d,
                blob_key: &k,
                modified: t0,
            },
            &Precondition::None,
            None,
            None,
        )
    })
    .await
    .unwrap()
    .unwrap();
    let dyn_meta: Arc<dyn BackpackStore> = m.clone();
    // Within the grace period nothing is touched: these may be uploads in flight.
    let r = store
        .reconcile(
            dyn_meta.clone(),
            Duration::hours(2),
            t0 + Duration::hours(1),
        )
        .await
        .unwrap();
    assert_eq!((r.scanned, r.young, r.deleted.len()), (3, 3, 0));
    // Past it, the unreferenced ones go and the referenced one stays.
    let r = store
        .reconcile(
            dyn_meta.clone(),
            Duration::hours(2),
            t0 + Duration::hours(3),
        )
        .await
        .unwrap();
    assert_eq!((r.scanned, r.referenced), (3, 1));
    let mut deleted = r.deleted.clone();
    deleted.sort();
    let mut expect = vec![keys[0].key.clone(), keys[2].key.clone()];
    expect.sort();
    assert_eq!(deleted, expect);
    assert_eq!(store.size(&keys[0].key).await.unwrap(), None);
    assert_eq!(store.size(&keys[1].key).await.unwrap(), Some(100));
    let r = store
        .reconcile(dyn_meta, Duration::hours(2), t0 + Duration::hours(3))
        .await
        .unwrap();
    assert_eq!((r.scanned, r.referenced, r.deleted.len()), (1, 1, 0));
}

#[test]
fn local_staging_files_and_foreign_files() {
    run(async {
        let (dir, store) = common::local_store();
        let key = BlobKey::fresh(now());
        let shard = dir.path().join("blobs").join(&key.as_str()[14..16]);
        std::fs::create_dir_all(&shard).unwrap();
        // What a process killed in the middle of an upload leaves, and a file we did not make.
        std::fs::write(shard.join(format!("{key}#1")), b"half an upload").unwrap();
        std::fs::write(shard.join("notes.txt"), b"not ours").unwrap();
        let meta = Meta::sqlite();
        let m: Arc<dyn BackpackStore> = Arc::new(meta.open());
        let r = store
            .reconcile(m.clone(), Duration::hours(1), now())
            .await
            .unwrap();
        assert_eq!((r.staging_removed, r.foreign), (0, 1), "young: kept");
        assert!(shard.join(format!("{key}#1")).exists());
        let r = store
            .reconcile(m, Duration::hours(1), now() + Duration::hours(2))
            .await
            .unwrap();
        assert_eq!((r.staging_removed, r.foreign, r.deleted.len()), (1, 1, 0));
        assert!(!shard.join(format!("{key}#1")).exists());
        assert!(
            shard.join("notes.txt").exists(),
            "foreign files are left alone"
        );
    });
}

#[test]
fn s3_errors_never_show_the_secret() {
    let server = common::S3Server::start();
    let mut cfg = server.config("p");
    // A wrong secret: the server refuses every request.
    if let Some(c) = cfg.credentials.as_mut() {
        c.secret_access_key = "wrong-secret-value-0123456789".into();
    }
    let store = sessionsig_backpack::blobs::BlobStore::open(
        &sessionsig_backpack::blobs::BlobConfig::S3(cfg),
    )
    .unwrap();
    run(async move {
        let e = store
            .put(generated(1, 10, 10), &PutCheck::default(), now())
            .await
            .unwrap_err();
        assert_eq!(e.code(), "blob_store_unavailable");
        let text = format!("{e} {e:?} {store:?}");
        assert!(!text.contains("wrong-secret-value"), "{text}");
    });
    let e =
        sessionsig_backpack::blobs::BlobStore::open(&sessionsig_backpack::blobs::BlobConfig::S3(
            sessionsig_backpack::blobs::S3Config::default(),
        ))
        .unwrap_err();
    assert_eq!(e.code(), "blob_config");
}

#[test]
fn local_blobs_are_published_whole_by_rename() {
    // The local backend's durability contract, observed: while an upload streams, only a
    // `#n` staging file exists; the blob's own name appears only once it is complete.
    run(async {
        let (dir, store) = common::local_store();
        let len = 3 * 1024 * 1024u64;
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
        let body =
            futures_util::stream::unfold(
                rx,
                |mut rx| async move { rx.recv().await.map(|c| (c, rx)) },
            );
        let s2 = store.clone();
        let upload = tokio::spawn(async move { s2.put(body, &PutCheck::default(), now()).await });
        let chunk = Bytes::from(vec![7u8; 256 * 1024]);
        for _ in 0..(len / chunk.len() as u64) {
            tx.send(Ok(chunk.clone())).await.unwrap();
        }
        // Everything sent but the end of the body: wait until the staging file holds some
        // bytes, then check that no complete-looking blob exists yet.
        let blobs = dir.path().join("blobs");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        let files = loop {
            assert!(
                std::time::Instant::now() < deadline,
                "no staging file appeared"
            );
            let files = list_files(&blobs);
            if !files.is_empty() {
                break files;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        };
        assert!(
            files.iter().all(|f| f.contains('#')),
            "only staging files while uploading: {files:?}"
        );
        drop(tx);
        let w = upload.await.unwrap().unwrap();
        assert_eq!(w.size, len);
        let files = list_files(&blobs);
        assert_eq!(
            files,
            vec![w.key.to_string()],
            "staging file renamed into place"
        );
    });
}

fn list_files(root: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(shards) = std::fs::read_dir(root) {
        for s in shards.flatten() {
            if let Ok(fs) = std::fs::read_dir(s.path()) {
                out.extend(
                    fs.flatten()
                        .map(|f| f.file_name().to_string_lossy().into_owned()),
                );
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_dropped_upload_leaves_no_staging_file() {
    // The client goes away mid-upload: the request's future is dropped, not driven to an
    // error. Nothing may be left on disk.
    run(async {
        let (dir, store) = common::local_store();
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
        let body =
            futures_util::stream::unfold(
                rx,
                |mut rx| async move { rx.recv().await.map(|c| (c, rx)) },
            );
        let s2 = store.clone();
        let upload = tokio::spawn(async move { s2.put(body, &PutCheck::default(), now()).await });
        let chunk = Bytes::from(vec![1u8; 256 * 1024]);
        for _ in 0..12 {
            tx.send(Ok(chunk.clone())).await.unwrap();
        }
        let blobs = dir.path().join("blobs");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while list_files(&blobs).is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "no staging file appeared"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        upload.abort();
        assert!(upload.await.unwrap_err().is_cancelled());
        while !list_files(&blobs).is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "left behind: {:?}",
                list_files(&blobs)
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        drop(tx);
    });
}

#[test]
fn s3_prefixes_keep_deployments_apart() {
    let server = common::S3Server::start();
    let (a, b) = (server.store("deploy-a"), server.store("deploy-b/nested"));
    run(async move {
        let w = b
            .put(generated(8, 500, 100), &PutCheck::default(), now())
            .await
            .unwrap();
        assert_eq!(
            a.size(&w.key).await.unwrap(),
            None,
            "not visible under another prefix"
        );
        // Cleaning up deployment A (nothing referenced, no grace) leaves B's blob alone.
        let meta = Meta::sqlite();
        let m: Arc<dyn BackpackStore> = Arc::new(meta.open());
        let r = a
            .reconcile(m, Duration::ZERO, now() + Duration::hours(1))
            .await
            .unwrap();
        assert_eq!((r.scanned, r.deleted.len()), (0, 0));
        assert_eq!(b.size(&w.key).await.unwrap(), Some(500));
        let (got, _) = read_all(&b, &w.key, None).await;
        assert_eq!(got, generated_vec(8, 500).await);
    });
    // The bytes really are under the prefix in the bucket (s3s-fs keeps keys as paths).
    let under = server.root.path().join("backpack/deploy-b/nested");
    assert!(under.is_dir(), "{}", under.display());
}

#[test]
fn a_damaged_local_blob_fails_the_read_instead_of_ending_early() {
    run(async {
        let (dir, store) = common::local_store();
        let w = store
            .put(generated(6, 600_000, 60_000), &PutCheck::default(), now())
            .await
            .unwrap();
        let path = dir
            .path()
            .join("blobs")
            .join(&w.key.as_str()[14..16])
            .join(w.key.as_str());
        // Damage from outside the node: the file loses its tail after the read began.
        let r = store.get(&w.key, None).await.unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(300_000)
            .unwrap();
        let mut s = r.stream;
        let mut n = 0;
        let mut last = None;
        while let Some(c) = s.next().await {
            match c {
                Ok(b) => n += b.len(),
                Err(e) => last = Some(e.code()),
            }
        }
        assert!(n <= 600_000);
        assert_eq!(last, Some("blob_truncated"), "{n} bytes then the end");
    });
}
