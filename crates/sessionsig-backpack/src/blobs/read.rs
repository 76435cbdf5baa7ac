//! Streaming reads, whole or one byte range, that fail rather than end early.

use super::{BlobError, BlobKey, BlobStore};
use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use object_store::{GetOptions, GetRange, GetResultPayload};
use std::ops::Range;

/// An open read: which bytes of the blob are coming, and the chunks.
pub struct BlobRead {
    /// The blob's total size.
    pub size: u64,
    /// The bytes of the blob this stream yields (`start..end`).
    pub range: Range<u64>,
    /// The bytes, in order, as the backend delivers them. Ends with an error if the blob holds
    /// fewer bytes than announced.
    pub stream: BoxStream<'static, Result<Bytes, BlobError>>,
}

impl std::fmt::Debug for BlobRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobRead")
            .field("size", &self.size)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

impl BlobStore {
    /// Read a blob, or the bytes `range` of it (`start < end`, `start` inside the blob; an
    /// `end` past the blob's end is cut to it, as HTTP ranges are).
    pub async fn get(
        &self,
        key: &BlobKey,
        range: Option<Range<u64>>,
    ) -> Result<BlobRead, BlobError> {
        if let Some(fs) = &self.local_fs {
            return get_local(fs.path_to_filesystem(&self.location(key))?, range).await;
        }
        let mut opts = GetOptions::default();
        if let Some(r) = &range {
            if r.start >= r.end {
                let size = self.size(key).await?.ok_or(BlobError::NotFound)?;
                return Err(BlobError::RangeNotSatisfiable { size });
            }
            opts.range = Some(GetRange::Bounded(r.clone()));
        }
        let got = match self.store.get_opts(&self.location(key), opts).await {
            Ok(g) => g,
            Err(object_store::Error::NotFound { .. }) => return Err(BlobError::NotFound),
            Err(e) if range.is_some() => {
                // Most likely a range starting past the end: ask for the size to tell.
                return match self.size(key).await? {
                    Some(size) if range.as_ref().is_some_and(|r| r.start >= size) => {
                        Err(BlobError::RangeNotSatisfiable { size })
                    }
                    _ => Err(e.into()),
                };
            }
            Err(e) => return Err(e.into()),
        };
        let size = got.meta.size;
        let range = got.range.clone();
        let expected = range.end - range.start;
        let inner = match got.payload {
            GetResultPayload::File(file, _) => file_chunks(file, range.clone()).boxed(),
            GetResultPayload::Stream(s) => s.map(|r| r.map_err(BlobError::from)).boxed(),
        };
        let stream = counted(inner, expected).boxed();
        Ok(BlobRead {
            size,
            range,
            stream,
        })
    }
}

/// Bytes read per blocking task from a local file. `object_store`'s own file stream reads
/// 8 KiB per blocking task: measured here (debug build, a 256 MiB blob in the page cache) it
/// took 0.8–0.95 s, this reader with 256 KiB chunks 0.04–0.06 s — so local reads use this
/// small reader (S3 reads stay `object_store`'s stream).
const FILE_CHUNK: usize = 256 * 1024;

/// A local blob read: the file opened, its size checked against the range and the first chunk
/// read, all in one blocking task — `object_store`'s `get_opts` would open the file in one
/// task and the reader read it in another, and each hand-off to the blocking pool and back
/// costs more CPU than a small file's whole read (`benches/backpack.rs` of the node: GET
/// 4 KiB). The rest of a larger blob streams [`FILE_CHUNK`] per task.
async fn get_local(
    path: std::path::PathBuf,
    range: Option<Range<u64>>,
) -> Result<BlobRead, BlobError> {
    let opened = match cached::open(&path, range.clone()) {
        Some(done) => done?,
        None => tokio::task::spawn_blocking(move || open_local(&path, range))
            .await
            .map_err(|e| BlobError::Backend(format!("reading a blob: {e}")))??,
    };
    let (file, size, range, first) = opened;
    let expected = range.end - range.start;
    let next = range.start + first.len() as u64;
    let rest = if first.is_empty() {
        // Nothing where bytes were announced: `counted` reports the truncation.
        futures_util::stream::empty().boxed()
    } else {
        file_chunks(file, next..range.end).boxed()
    };
    let head = futures_util::stream::iter((!first.is_empty()).then_some(Ok(first)));
    let stream = counted(head.chain(rest).boxed(), expected).boxed();
    Ok(BlobRead {
        size,
        range,
        stream,
    })
}

/// Open a local blob, find its size, check `range` against it (as HTTP: an end past the blob
/// is cut to it, a start at or past it is unsatisfiable) and read the first chunk.
fn open_local(
    path: &std::path::Path,
    range: Option<Range<u64>>,
) -> Result<cached::Opened, BlobError> {
    use std::io::{Seek, SeekFrom};
    let io = |e: std::io::Error| BlobError::Backend(format!("reading a blob: {e}"));
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(BlobError::NotFound),
        Err(e) => return Err(io(e)),
    };
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(BlobError::NotFound);
    }
    let size = meta.len();
    let range = byte_range(range, size)?;
    if range.start > 0 {
        file.seek(SeekFrom::Start(range.start)).map_err(io)?;
    }
    let want = usize::try_from(range.end - range.start)
        .unwrap_or(FILE_CHUNK)
        .min(FILE_CHUNK);
    let first = read_up_to(&mut file, want).map_err(io)?;
    Ok((file, size, range, Bytes::from(first)))
}

/// `range` of a blob of `size` bytes, as HTTP cuts it: the whole blob when `None`, an end past
/// the blob cut to it, a start at or past it unsatisfiable.
fn byte_range(range: Option<Range<u64>>, size: u64) -> Result<Range<u64>, BlobError> {
    match range {
        None => Ok(0..size),
        Some(r) if r.start >= r.end || r.start >= size => {
            Err(BlobError::RangeNotSatisfiable { size })
        }
        Some(r) => Ok(r.start..r.end.min(size)),
    }
}

/// A local read served from the kernel's caches alone, on the calling (async) thread: the
/// path resolved from the dentry cache only (`openat2` with `RESOLVE_CACHED`) and the first
/// chunk read only if it is in the page cache (`preadv2` with `RWF_NOWAIT`). Both fail with
/// `EAGAIN` rather than wait on the disk, so an async worker never blocks here; whatever is
/// not cached (or a kernel older than 5.12, or another system) goes to the blocking pool as
/// before. A recently written or read object — the common GET — then costs no hand-off to
/// the blocking pool and back, which costs more than the whole read (GET 4 KiB,
/// `benches/backpack.rs` of the node).
mod cached {
    use super::{byte_range, BlobError, FILE_CHUNK};
    use bytes::Bytes;
    use std::fs::File;
    use std::ops::Range;
    use std::path::Path;

    /// An opened local blob: the file, its size, the range to send and its first chunk.
    pub(super) type Opened = (File, u64, Range<u64>, Bytes);

    /// `None`: not (entirely) in the caches, or not supported here — do the blocking read.
    #[cfg(target_os = "linux")]
    pub(super) fn open(
        path: &Path,
        range: Option<Range<u64>>,
    ) -> Option<Result<Opened, BlobError>> {
        use rustix::fs::{openat2, Mode, OFlags, ResolveFlags, CWD};
        use rustix::io::{preadv2, Errno, ReadWriteFlags};
        use std::sync::atomic::{AtomicBool, Ordering};
        // Set once a call says the kernel lacks these calls: no second try.
        static UNSUPPORTED: AtomicBool = AtomicBool::new(false);
        if UNSUPPORTED.load(Ordering::Relaxed) {
            return None;
        }
        let unsupported = |e: Errno| {
            if e == Errno::NOSYS || e == Errno::OPNOTSUPP || e == Errno::INVAL {
                UNSUPPORTED.store(true, Ordering::Relaxed);
            }
        };
        let fd = match openat2(
            CWD,
            path,
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
            ResolveFlags::CACHED,
        ) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Some(Err(BlobError::NotFound)),
            Err(e) => {
                unsupported(e);
                return None;
            }
        };
        let file = File::from(fd);
        // The inode is in memory (the open found it there): `fstat` does not wait.
        let meta = file.metadata().ok()?;
        if !meta.is_file() {
            return Some(Err(BlobError::NotFound));
        }
        let size = meta.len();
        let range = match byte_range(range, size) {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        let want = usize::try_from(range.end - range.start)
            .unwrap_or(FILE_CHUNK)
            .min(FILE_CHUNK);
        let mut buf = vec![0u8; want];
        if want > 0 {
            let mut slices = [std::io::IoSliceMut::new(&mut buf)];
            match preadv2(&file, &mut slices, range.start, ReadWriteFlags::NOWAIT) {
                // Only a whole chunk counts: a short read may be a partly cached one.
                Ok(n) if n == want => {}
                Ok(_) => return None,
                Err(e) => {
                    unsupported(e);
                    return None;
                }
            }
        }
        Some(Ok((file, size, range, Bytes::from(buf))))
    }

    #[cfg(not(target_os = "linux"))]
    pub(super) fn open(_: &Path, _: Option<Range<u64>>) -> Option<Result<Opened, BlobError>> {
        None
    }
}

/// Up to `want` bytes from the file's position; fewer only at its end.
fn read_up_to(file: &mut std::fs::File, want: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut buf = vec![0u8; want];
    let mut filled = 0;
    while filled < want {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

/// The bytes `range` of a local file, [`FILE_CHUNK`] at a time, each read on the blocking
/// pool (the first read seeks to `range.start`).
fn file_chunks(
    file: std::fs::File,
    range: Range<u64>,
) -> impl futures_util::Stream<Item = Result<Bytes, BlobError>> + Send + 'static {
    let io = |e: std::io::Error| BlobError::Backend(format!("reading a blob: {e}"));
    futures_util::stream::try_unfold(
        (file, range.start, range.end, true),
        move |(mut file, pos, end, seek)| async move {
            if pos >= end {
                return Ok(None);
            }
            let want = usize::try_from(end - pos)
                .unwrap_or(FILE_CHUNK)
                .min(FILE_CHUNK);
            let (file, buf) = tokio::task::spawn_blocking(move || {
                use std::io::{Seek, SeekFrom};
                if seek {
                    file.seek(SeekFrom::Start(pos))?;
                }
                let buf = read_up_to(&mut file, want)?;
                Ok((file, buf))
            })
            .await
            .map_err(|e| BlobError::Backend(format!("reading a blob: {e}")))?
            .map_err(io)?;
            if buf.is_empty() {
                // The file ended early: `counted` reports the truncation.
                return Ok(None);
            }
            let next = pos + buf.len() as u64;
            Ok(Some((Bytes::from(buf), (file, next, end, false))))
        },
    )
}

/// Pass the chunks through, and end with [`BlobError::Truncated`] if fewer than `expected`
/// bytes came.
fn counted(
    inner: BoxStream<'static, Result<Bytes, BlobError>>,
    expected: u64,
) -> impl futures_util::Stream<Item = Result<Bytes, BlobError>> + Send + 'static {
    futures_util::stream::unfold(
        (inner, 0u64, false),
        move |(mut inner, seen, done)| async move {
            if done {
                return None;
            }
            match inner.next().await {
                Some(Ok(b)) => {
                    let seen = seen + b.len() as u64;
                    Some((Ok(b), (inner, seen, false)))
                }
                Some(Err(e)) => Some((Err(e), (inner, seen, true))),
                None if seen < expected => Some((
                    Err(BlobError::Truncated {
                        expected,
                        actual: seen,
                    }),
                    (inner, seen, true),
                )),
                None => None,
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A blob just written is in the dentry and page caches: on Linux (5.12 or later, as CI)
    /// it is read in place, with the same answers as the blocking read.
    #[test]
    fn a_cached_blob_is_read_in_place_with_the_blocking_reads_answers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blob");
        let bytes: Vec<u8> = (0..100u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        for range in [None, Some(2..5), Some(90..1000), Some(0..100)] {
            let blocking = open_local(&path, range.clone()).unwrap();
            let got = cached::open(&path, range.clone());
            #[cfg(target_os = "linux")]
            assert!(got.is_some(), "{range:?}: served from the caches");
            if let Some(got) = got {
                let (_, size, r, first) = got.unwrap();
                assert_eq!((size, &r, &first), (blocking.1, &blocking.2, &blocking.3));
                let want = usize::try_from(r.start).unwrap()..usize::try_from(r.end).unwrap();
                assert_eq!(&first[..], &bytes[want], "{range:?}");
            }
        }
        for range in [Some(100..101), Some(5..5)] {
            assert!(matches!(
                open_local(&path, range.clone()),
                Err(BlobError::RangeNotSatisfiable { size: 100 })
            ));
            if let Some(r) = cached::open(&path, range) {
                assert!(matches!(
                    r,
                    Err(BlobError::RangeNotSatisfiable { size: 100 })
                ));
            }
        }
        // Absent: never an answer with bytes; a directory is not a blob.
        let missing = dir.path().join("nothing");
        assert!(matches!(
            open_local(&missing, None),
            Err(BlobError::NotFound)
        ));
        assert!(!matches!(cached::open(&missing, None), Some(Ok(_))));
        assert!(matches!(
            open_local(dir.path(), None),
            Err(BlobError::NotFound)
        ));
        assert!(!matches!(cached::open(dir.path(), None), Some(Ok(_))));
    }

    /// A large blob streams its first chunk from the in-place read and the rest from the
    /// blocking reader, every byte in order.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_large_blob_streams_whole_after_an_in_place_first_chunk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        let bytes: Vec<u8> = (0..(3 * FILE_CHUNK + 17))
            .map(|i| (i % 251) as u8)
            .collect();
        std::fs::write(&path, &bytes).unwrap();
        for range in [None, Some(1000..(2 * FILE_CHUNK as u64 + 5))] {
            let read = get_local(path.clone(), range.clone()).await.unwrap();
            let mut out = Vec::new();
            let mut s = read.stream;
            while let Some(chunk) = s.next().await {
                out.extend_from_slice(&chunk.unwrap());
            }
            let r = read.range;
            assert_eq!(
                out,
                &bytes[usize::try_from(r.start).unwrap()..usize::try_from(r.end).unwrap()]
            );
        }
    }
}
