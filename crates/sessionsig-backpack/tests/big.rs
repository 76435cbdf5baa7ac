//! A 1 GiB object up and down, on the local disk and on the S3 test server, from a generated
//! stream (nothing of it is in the repository or in memory at once): the bytes come back
//! identical, and the process's peak resident memory grows by far less than the object, so
//! neither direction buffers the body. (The only test of this binary, so that no other test
//! shares the process whose peak is measured.)

mod common;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use sessionsig::time::OffsetDateTime;
use sessionsig_backpack::blobs::{BlobStore, PutCheck};
use sha2::{Digest, Sha256};

const GIB: u64 = 1024 * 1024 * 1024;
const CHUNK: usize = 256 * 1024;
/// Allowed growth of the peak RSS for one 1 GiB round trip: a quarter of the object.
const MAX_GROWTH_KIB: u64 = 256 * 1024;

/// 1 GiB as 4096 distinct 256 KiB chunks: a random block with the chunk's index written over
/// its first 8 bytes, made when pulled.
fn body() -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let mut block = vec![0u8; CHUNK];
    let mut x: u64 = 0x243f_6a88_85a3_08d3;
    for b in block.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    let block = Bytes::from(block);
    futures_util::stream::iter(0..GIB / CHUNK as u64).map(move |i| {
        let mut c = BytesMut::from(&block[..]);
        c[..8].copy_from_slice(&i.to_le_bytes());
        Ok(c.freeze())
    })
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

async fn round_trip(store: &BlobStore, what: &str) {
    let mut want = Sha256::new();
    let mut s = std::pin::pin!(body());
    while let Some(c) = s.next().await {
        want.update(c.unwrap());
    }
    let want: [u8; 32] = want.finalize().into();

    let before = peak_rss_kib();
    let w = store
        .put(
            body(),
            &PutCheck {
                declared_len: Some(GIB),
                max_len: None,
                sha256: Some(want),
            },
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    assert_eq!((w.size, w.sha256), (GIB, want));
    let r = store.get(&w.key, None).await.unwrap();
    assert_eq!(r.size, GIB);
    let mut got = Sha256::new();
    let mut n = 0u64;
    let mut s = r.stream;
    while let Some(c) = s.next().await {
        let c = c.unwrap();
        n += c.len() as u64;
        got.update(&c);
    }
    assert_eq!(n, GIB);
    assert_eq!(
        <[u8; 32]>::from(got.finalize()),
        want,
        "{what}: bytes differ"
    );
    let growth = peak_rss_kib().saturating_sub(before);
    eprintln!("{what}: 1 GiB up and down, peak RSS grew by {growth} KiB");
    assert!(
        growth < MAX_GROWTH_KIB,
        "{what}: peak RSS grew by {growth} KiB for a 1 GiB round trip: the body is buffered"
    );
    store.delete(&w.key).await.unwrap();
}

#[test]
fn one_gib_round_trips_in_bounded_memory() {
    let (_dir, local) = common::local_store();
    let server = common::S3Server::start();
    let s3 = server.store("big");
    common::run(async move {
        round_trip(&local, "local disk").await;
        round_trip(&s3, "S3").await;
    });
}
