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
            GetResultPayload::File(file, _) => file_chunks(file, range.clone(), true).boxed(),
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
    let (file, size, range, first) = tokio::task::spawn_blocking(move || open_local(&path, range))
        .await
        .map_err(|e| BlobError::Backend(format!("reading a blob: {e}")))??;
    let expected = range.end - range.start;
    let next = range.start + first.len() as u64;
    let rest = if first.is_empty() {
        // Nothing where bytes were announced: `counted` reports the truncation.
        futures_util::stream::empty().boxed()
    } else {
        file_chunks(file, next..range.end, false).boxed()
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
) -> Result<(std::fs::File, u64, Range<u64>, Bytes), BlobError> {
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
    let range = match range {
        None => 0..size,
        Some(r) if r.start >= r.end || r.start >= size => {
            return Err(BlobError::RangeNotSatisfiable { size })
        }
        Some(r) => r.start..r.end.min(size),
    };
    if range.start > 0 {
        file.seek(SeekFrom::Start(range.start)).map_err(io)?;
    }
    let want = usize::try_from(range.end - range.start)
        .unwrap_or(FILE_CHUNK)
        .min(FILE_CHUNK);
    let first = read_up_to(&mut file, want).map_err(io)?;
    Ok((file, size, range, Bytes::from(first)))
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
/// pool; `seek`: the file is not yet at `range.start`.
fn file_chunks(
    file: std::fs::File,
    range: Range<u64>,
    seek: bool,
) -> impl futures_util::Stream<Item = Result<Bytes, BlobError>> + Send + 'static {
    let io = |e: std::io::Error| BlobError::Backend(format!("reading a blob: {e}"));
    futures_util::stream::try_unfold(
        (file, range.start, range.end, seek),
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
