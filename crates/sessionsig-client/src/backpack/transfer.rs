//! The operations: uploads (file, stream, bytes), downloads (file with resume, stream,
//! bytes, ranges), HEAD, listings and deletes.

use super::error::{refusal, BackpackError, BackpackResult};
use super::objects::{ByteRange, Download, Listing, ObjectInfo, PageWire};
use super::progress::{report, Phase, ProgressFn};
use super::remote::Remote;
use super::{header, BackpackClient, Op};
use crate::transport::describe_reqwest;
use bytes::Bytes;
use futures_util::StreamExt;
use http::header::{HeaderMap, HeaderValue};
use sessionsig_backpack::{ContentDigest, DigestHasher};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Where a download starts: `already` bytes of the target are written (and hashed), and the
/// object's `etag` they came from, when known.
pub(crate) struct Resume {
    already: u64,
    etag: Option<String>,
    hasher: DigestHasher,
}

impl Resume {
    fn start() -> Self {
        Resume {
            already: 0,
            etag: None,
            hasher: DigestHasher::new(),
        }
    }
}

/// Called once with the object's metadata when the first answer arrives.
type OnStart<'a> = Option<&'a mut (dyn FnMut(&ObjectInfo) -> BackpackResult<()> + Send)>;

/// Read and hash in chunks of this size.
const CHUNK: usize = 256 * 1024;

/// What to send as a body, re-openable for every attempt.
pub(crate) enum BodySource {
    Empty,
    Bytes(Bytes),
    File { path: PathBuf, len: u64 },
}

impl BodySource {
    pub(crate) async fn body(&self, progress: Option<ProgressFn>) -> BackpackResult<reqwest::Body> {
        match self {
            BodySource::Empty => Ok(reqwest::Body::from(Vec::new())),
            BodySource::Bytes(b) => {
                report(
                    progress.as_ref(),
                    Phase::Uploading,
                    b.len() as u64,
                    Some(b.len() as u64),
                );
                Ok(reqwest::Body::from(b.clone()))
            }
            BodySource::File { path, len } => {
                let file = tokio::fs::File::open(path)
                    .await
                    .map_err(|e| BackpackError::io(path.display(), e))?;
                let total = *len;
                let mut done = 0u64;
                report(progress.as_ref(), Phase::Uploading, 0, Some(total));
                let stream =
                    tokio_util::io::ReaderStream::with_capacity(file, CHUNK).map(move |chunk| {
                        if let Ok(c) = &chunk {
                            done += c.len() as u64;
                            report(progress.as_ref(), Phase::Uploading, done, Some(total));
                        }
                        chunk
                    });
                Ok(reqwest::Body::wrap_stream(stream))
            }
        }
    }
}

/// Options of an upload.
#[derive(Debug, Clone, Default)]
pub struct PutOptions {
    /// `Content-Type` (default: guessed from the name's extension).
    pub content_type: Option<String>,
    /// Refuse (412) when an object already exists there.
    pub if_none_match: bool,
}

/// Options of a download to a file.
#[derive(Debug, Clone, Default)]
pub struct GetOptions {
    /// Only these bytes (no resume, no whole-object digest check).
    pub range: Option<ByteRange>,
    /// Continue an interrupted download (`<file>.part`) when the object did not change.
    pub resume: bool,
}

/// What a `.part` file belongs to, kept next to it as `<file>.part.json`.
#[derive(serde::Serialize, serde::Deserialize, PartialEq, Eq)]
struct PartMeta {
    owner: String,
    path: String,
    etag: String,
    size: u64,
}

impl BackpackClient {
    /// Upload a local file: hashed in a first pass, streamed in a second.
    ///
    /// Errors: `io`, `invalid_path` (a folder), the node's refusals (`quota_exhausted`,
    /// `too_large`, `precondition_failed`, `capability_not_granted`, …), `unreachable`.
    pub async fn put_file(
        &self,
        remote: &Remote,
        local: &Path,
        opts: &PutOptions,
    ) -> BackpackResult<ObjectInfo> {
        let file = tokio::fs::File::open(local)
            .await
            .map_err(|e| BackpackError::io(local.display(), e))?;
        let len = file
            .metadata()
            .await
            .map_err(|e| BackpackError::io(local.display(), e))?
            .len();
        let (digest, hashed) = hash_reader(file, Some(len), self.progress.as_ref())
            .await
            .map_err(|e| BackpackError::io(local.display(), e))?;
        if hashed != len {
            return Err(BackpackError::io(
                local.display(),
                "the file changed while it was being read",
            ));
        }
        let body = BodySource::File {
            path: local.to_owned(),
            len,
        };
        self.put_source(remote, &body, len, digest, opts).await
    }

    /// Upload a stream of unknown length: buffered to a temporary file (hashed on the way),
    /// then sent like a file, so the digest is known before the first byte goes out.
    ///
    /// Errors: as [`BackpackClient::put_file`].
    pub async fn put_stream<R: AsyncRead + Unpin>(
        &self,
        remote: &Remote,
        mut reader: R,
        opts: &PutOptions,
    ) -> BackpackResult<ObjectInfo> {
        let tmp =
            tempfile::NamedTempFile::new().map_err(|e| BackpackError::io("temporary file", e))?;
        let mut out = tokio::fs::File::create(tmp.path())
            .await
            .map_err(|e| BackpackError::io("temporary file", e))?;
        let mut hasher = DigestHasher::new();
        let mut buf = vec![0u8; CHUNK];
        let mut len = 0u64;
        loop {
            let n = reader
                .read(&mut buf)
                .await
                .map_err(|e| BackpackError::io("input stream", e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])
                .await
                .map_err(|e| BackpackError::io("temporary file", e))?;
            len += n as u64;
            report(self.progress.as_ref(), Phase::Hashing, len, None);
        }
        out.flush()
            .await
            .map_err(|e| BackpackError::io("temporary file", e))?;
        drop(out);
        let body = BodySource::File {
            path: tmp.path().to_owned(),
            len,
        };
        let r = self
            .put_source(remote, &body, len, hasher.finish(), opts)
            .await;
        drop(tmp);
        r
    }

    /// Upload bytes held in memory.
    ///
    /// Errors: as [`BackpackClient::put_file`].
    pub async fn put_bytes(
        &self,
        remote: &Remote,
        bytes: Bytes,
        opts: &PutOptions,
    ) -> BackpackResult<ObjectInfo> {
        let digest = ContentDigest::of(&bytes);
        let len = bytes.len() as u64;
        self.put_source(remote, &BodySource::Bytes(bytes), len, digest, opts)
            .await
    }

    async fn put_source(
        &self,
        remote: &Remote,
        body: &BodySource,
        len: u64,
        digest: ContentDigest,
        opts: &PutOptions,
    ) -> BackpackResult<ObjectInfo> {
        if remote.is_folder() {
            return Err(BackpackError::invalid(
                "invalid_path",
                format!(
                    "{} is a folder; name the object (e.g. {}file.jpg)",
                    remote.path(),
                    remote.path()
                ),
            ));
        }
        let mut h = HeaderMap::new();
        let ct = opts
            .content_type
            .clone()
            .unwrap_or_else(|| guess_content_type(remote.path()).to_owned());
        let value = |v: &str| {
            HeaderValue::from_str(v).map_err(|_| {
                BackpackError::invalid("invalid_request", format!("{v:?} is not a header value"))
            })
        };
        h.insert(header("content-digest"), value(&digest.header_value())?);
        h.insert(header("content-type"), value(&ct)?);
        h.insert(header("content-length"), value(&len.to_string())?);
        if opts.if_none_match {
            h.insert(header("if-none-match"), HeaderValue::from_static("*"));
        }
        let (node, resp) = self.execute(Op::Write, remote, None, &h, body).await?;
        let status = resp.status().as_u16();
        let bytes = read_body(&node, resp).await?;
        match status {
            200 | 201 => ObjectInfo::from_json(&node, &bytes, status == 201),
            _ => Err(refusal(&node, status, &bytes)),
        }
    }

    /// An object's metadata (no body, no traffic charged).
    ///
    /// Errors: `not_found`, the node's refusals, `unreachable`.
    pub async fn head(&self, remote: &Remote) -> BackpackResult<ObjectInfo> {
        let (node, resp) = self
            .execute(
                Op::Head,
                remote,
                None,
                &HeaderMap::new(),
                &BodySource::Empty,
            )
            .await?;
        let status = resp.status().as_u16();
        if status != 200 {
            let body = read_body(&node, resp).await.unwrap_or_default();
            if body.is_empty() && status != 404 {
                // A HEAD answer has no body to say why: ask the same question as a one-byte
                // read, which the node refuses the same way, with its reason.
                return Err(self.explain(remote, status, &node).await);
            }
            return Err(refusal(&node, status, &body));
        }
        let size = content_length(resp.headers()).unwrap_or(0);
        ObjectInfo::from_headers(&node, remote.path(), resp.headers(), size)
    }

    async fn explain(&self, remote: &Remote, status: u16, node: &str) -> BackpackError {
        let mut h = HeaderMap::new();
        h.insert(header("range"), HeaderValue::from_static("bytes=0-0"));
        match self
            .at_node(node)
            .execute(Op::Read, remote, None, &h, &BodySource::Empty)
            .await
        {
            Ok((n, resp)) if !resp.status().is_success() => {
                let st = resp.status().as_u16();
                let body = read_body(&n, resp).await.unwrap_or_default();
                refusal(&n, st, &body)
            }
            _ => refusal(node, status, b""),
        }
    }

    /// Delete an object.
    ///
    /// Errors: `not_found`, the node's refusals, `unreachable`.
    pub async fn delete(&self, remote: &Remote) -> BackpackResult<()> {
        let (node, resp) = self
            .execute(
                Op::Delete,
                remote,
                None,
                &HeaderMap::new(),
                &BodySource::Empty,
            )
            .await?;
        let status = resp.status().as_u16();
        let body = read_body(&node, resp).await.unwrap_or_default();
        match status {
            200 | 204 => Ok(()),
            _ => Err(refusal(&node, status, &body)),
        }
    }

    /// A whole folder: every page, in order.
    ///
    /// Errors: `invalid_path` (not a folder), the node's refusals, `unreachable`.
    pub async fn list(&self, folder: &Remote) -> BackpackResult<Listing> {
        if !folder.is_folder() {
            return Err(BackpackError::invalid(
                "invalid_path",
                format!(
                    "{} is not a folder (a folder path ends with /)",
                    folder.path()
                ),
            ));
        }
        let mut out = Listing::default();
        let mut cursor: Option<String> = None;
        loop {
            let query = match &cursor {
                Some(c) => format!("limit={}&cursor={}", self.page_size, encode_query(c)),
                None => format!("limit={}", self.page_size),
            };
            let (node, resp) = self
                .execute(
                    Op::List,
                    folder,
                    Some(&query),
                    &HeaderMap::new(),
                    &BodySource::Empty,
                )
                .await?;
            let status = resp.status().as_u16();
            let body = read_body(&node, resp).await?;
            if status != 200 {
                return Err(refusal(&node, status, &body));
            }
            let (entries, folders, next) = PageWire::parse(&node, &body)?;
            out.entries.extend(entries);
            out.folders.extend(folders);
            match next {
                Some(n) if cursor.as_deref() != Some(n.as_str()) => cursor = Some(n),
                _ => return Ok(out),
            }
        }
    }

    /// Download an object (or a range) into memory.
    ///
    /// Errors: as [`BackpackClient::get_to_writer`].
    pub async fn get_bytes(
        &self,
        remote: &Remote,
        range: Option<ByteRange>,
    ) -> BackpackResult<(Vec<u8>, Download)> {
        let mut buf = Vec::new();
        let d = self.get_to_writer(remote, &mut buf, range).await?;
        Ok((buf, d))
    }

    /// Download an object (or a range) into `writer`, continuing with `Range` after an
    /// interruption; a whole object is checked against its `Content-Digest`.
    ///
    /// Errors: `not_found`, `range_not_satisfiable`, `download_corrupt`, `object_changed`,
    /// the node's refusals, `unreachable`, `io`.
    pub async fn get_to_writer<W: AsyncWrite + Unpin>(
        &self,
        remote: &Remote,
        writer: &mut W,
        range: Option<ByteRange>,
    ) -> BackpackResult<Download> {
        self.download(remote, writer, range, Resume::start(), None)
            .await
    }

    /// Download an object to `local` through `<local>.part` (renamed into place only once
    /// every byte arrived and, for a whole object, the digest matched). With
    /// [`GetOptions::resume`], a `.part` left by an interrupted download of the same object
    /// version is continued from its end.
    ///
    /// Errors: as [`BackpackClient::get_to_writer`]; on an interruption the `.part` file is
    /// kept for a later resume, on a corrupt download it is removed.
    pub async fn get_to_file(
        &self,
        remote: &Remote,
        local: &Path,
        opts: &GetOptions,
    ) -> BackpackResult<Download> {
        let part = PathBuf::from(format!("{}.part", local.display()));
        let meta_path = PathBuf::from(format!("{}.part.json", local.display()));
        if let Some(range) = opts.range {
            let mut f = tokio::fs::File::create(&part)
                .await
                .map_err(|e| BackpackError::io(part.display(), e))?;
            let d = self
                .download(remote, &mut f, Some(range), Resume::start(), None)
                .await;
            return finish_file(d, f, &part, &meta_path, local).await;
        }
        let earlier: Option<PartMeta> = if opts.resume {
            tokio::fs::read(&meta_path)
                .await
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .filter(|m: &PartMeta| m.owner == remote.owner_hex() && m.path == remote.path())
        } else {
            None
        };
        let part_len = tokio::fs::metadata(&part).await.map(|m| m.len()).ok();
        let mut resume = match (earlier, part_len) {
            (Some(m), Some(len)) if len <= m.size => Some((m, len)),
            _ => None,
        };
        // At most two rounds: a resume whose object changed meanwhile starts over once.
        for _ in 0..2 {
            let mut hasher = DigestHasher::new();
            let (offset, etag) = match &resume {
                Some((m, len)) => {
                    hash_file_into(&part, &mut hasher).await?;
                    (*len, Some(m.etag.clone()))
                }
                None => (0, None),
            };
            let mut f = tokio::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .append(offset > 0)
                .truncate(offset == 0)
                .open(&part)
                .await
                .map_err(|e| BackpackError::io(part.display(), e))?;
            let mut record = |info: &ObjectInfo| {
                let meta = PartMeta {
                    owner: remote.owner_hex(),
                    path: remote.path().to_owned(),
                    etag: info.etag.clone(),
                    size: info.size,
                };
                serde_json::to_vec(&meta)
                    .map_err(|e| BackpackError::io(meta_path.display(), e))
                    .and_then(|json| {
                        std::fs::write(&meta_path, json)
                            .map_err(|e| BackpackError::io(meta_path.display(), e))
                    })
            };
            let d = match &resume {
                Some((m, len)) if *len == m.size => {
                    // Every byte is already here: only the digest remains to check.
                    self.verify_complete(remote, m, hasher).await
                }
                _ => {
                    let from = Resume {
                        already: offset,
                        etag,
                        hasher,
                    };
                    self.download(remote, &mut f, None, from, Some(&mut record))
                        .await
                }
            };
            if resume.is_some()
                && matches!(&d, Err(BackpackError::Invalid { code, .. }) if *code == "object_changed")
            {
                drop(f);
                resume = None;
                continue;
            }
            return finish_file(d, f, &part, &meta_path, local).await;
        }
        Err(BackpackError::invalid(
            "object_changed",
            "the object keeps changing during the download; try again later",
        ))
    }

    /// A `.part` that already holds every byte: check the object did not change and the
    /// digest matches.
    async fn verify_complete(
        &self,
        remote: &Remote,
        meta: &PartMeta,
        hasher: DigestHasher,
    ) -> BackpackResult<Download> {
        let info = self.head(remote).await?;
        if info.etag != meta.etag {
            return Err(BackpackError::invalid(
                "object_changed",
                "the object changed since the interrupted download",
            ));
        }
        let digest = hasher.finish().header_value();
        if digest != info.digest {
            return Err(BackpackError::Corrupt {
                detail: format!("expected {}, got {digest}", info.digest),
            });
        }
        Ok(Download {
            bytes: info.size,
            transferred: 0,
            resumed_from: info.size,
            object: info,
            node: String::new(),
        })
    }

    /// The download loop: `already` bytes of the target are in `writer` (and `hasher`).
    async fn download<W: AsyncWrite + Unpin>(
        &self,
        remote: &Remote,
        writer: &mut W,
        range: Option<ByteRange>,
        from: Resume,
        mut on_start: OnStart<'_>,
    ) -> BackpackResult<Download> {
        let Resume {
            already,
            mut etag,
            mut hasher,
        } = from;
        if remote.is_folder() {
            return Err(BackpackError::invalid(
                "invalid_path",
                format!("{} is a folder; list it instead", remote.path()),
            ));
        }
        let start = range.map_or(0, |r| r.start);
        let mut written = already;
        let mut transferred = 0u64;
        let mut reasons = Vec::new();
        let attempts = self.retry.attempts.max(1) as usize;
        for _ in 0..attempts {
            let pos = start + written;
            let mut h = HeaderMap::new();
            let ranged = pos > 0 || range.is_some_and(|r| r.end.is_some());
            if ranged {
                let r = ByteRange {
                    start: pos,
                    end: range.and_then(|r| r.end),
                };
                let v = HeaderValue::from_str(&r.header())
                    .map_err(|e| BackpackError::invalid("invalid_range", e.to_string()))?;
                h.insert(header("range"), v);
            }
            let (node, resp) = self
                .execute(Op::Read, remote, None, &h, &BodySource::Empty)
                .await?;
            let status = resp.status().as_u16();
            if status != 200 && status != 206 {
                let body = read_body(&node, resp).await.unwrap_or_default();
                return Err(refusal(&node, status, &body));
            }
            let headers = resp.headers().clone();
            let got_etag = headers
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            match &etag {
                Some(e) if *e != got_etag => {
                    return Err(BackpackError::invalid(
                        "object_changed",
                        "the object changed during the download; start it again",
                    ))
                }
                _ => etag = Some(got_etag),
            }
            let (first, total) = match (status, content_range(&headers)) {
                (206, Some((first, total))) => (first, total),
                (200, _) => (0, content_length(&headers).unwrap_or(0)),
                _ => {
                    return Err(BackpackError::Protocol {
                        node,
                        detail: "a 206 answer without a valid Content-Range".into(),
                    })
                }
            };
            if first != pos {
                return Err(BackpackError::Protocol {
                    node,
                    detail: format!("asked bytes from {pos}, got bytes from {first}"),
                });
            }
            let end = range.and_then(|r| r.end).unwrap_or(total).min(total);
            let target = end.saturating_sub(start);
            let object = ObjectInfo::from_headers(&node, remote.path(), &headers, total)?;
            if let Some(hook) = on_start.take() {
                hook(&object)?;
            }
            let mut body = resp.bytes_stream();
            let mut broken = None;
            report(
                self.progress.as_ref(),
                Phase::Downloading,
                written,
                Some(target),
            );
            while let Some(chunk) = body.next().await {
                match chunk {
                    Ok(c) => {
                        writer
                            .write_all(&c)
                            .await
                            .map_err(|e| BackpackError::io("destination", e))?;
                        hasher.update(&c);
                        written += c.len() as u64;
                        transferred += c.len() as u64;
                        report(
                            self.progress.as_ref(),
                            Phase::Downloading,
                            written,
                            Some(target),
                        );
                    }
                    Err(e) => {
                        broken = Some(describe_reqwest(&e));
                        break;
                    }
                }
            }
            if let Some(reason) = broken {
                reasons.push(format!("{node}: the download broke off: {reason}"));
                continue;
            }
            if written < target {
                reasons.push(format!(
                    "{node}: the answer ended after {written} of {target} bytes"
                ));
                continue;
            }
            writer
                .flush()
                .await
                .map_err(|e| BackpackError::io("destination", e))?;
            if range.is_none() {
                let digest = hasher.finish().header_value();
                if digest != object.digest {
                    return Err(BackpackError::Corrupt {
                        detail: format!("expected {}, got {digest}", object.digest),
                    });
                }
            }
            return Ok(Download {
                object,
                bytes: written,
                transferred,
                resumed_from: already,
                node,
            });
        }
        Err(BackpackError::Unreachable { reasons })
    }
}

async fn finish_file(
    d: BackpackResult<Download>,
    f: tokio::fs::File,
    part: &Path,
    meta: &Path,
    local: &Path,
) -> BackpackResult<Download> {
    match d {
        Ok(d) => {
            f.sync_all()
                .await
                .map_err(|e| BackpackError::io(part.display(), e))?;
            drop(f);
            tokio::fs::rename(part, local)
                .await
                .map_err(|e| BackpackError::io(local.display(), e))?;
            let _ = tokio::fs::remove_file(meta).await;
            Ok(d)
        }
        Err(e) => {
            drop(f);
            // Keep a .part for a later resume, unless its bytes are known to be wrong or the
            // object changed under it.
            if matches!(e, BackpackError::Corrupt { .. })
                || matches!(&e, BackpackError::Invalid { code, .. } if *code == "object_changed")
                || matches!(e, BackpackError::Refused { .. })
            {
                let _ = tokio::fs::remove_file(part).await;
                let _ = tokio::fs::remove_file(meta).await;
            }
            Err(e)
        }
    }
}

/// Feed a whole file to `hasher`.
async fn hash_file_into(path: &Path, hasher: &mut DigestHasher) -> BackpackResult<()> {
    let mut f = tokio::fs::File::open(path)
        .await
        .map_err(|e| BackpackError::io(path.display(), e))?;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = f
            .read(&mut buf)
            .await
            .map_err(|e| BackpackError::io(path.display(), e))?;
        if n == 0 {
            return Ok(());
        }
        hasher.update(&buf[..n]);
    }
}

/// Hash everything `reader` yields; returns the digest and the byte count.
async fn hash_reader<R: AsyncRead + Unpin>(
    mut reader: R,
    total: Option<u64>,
    progress: Option<&ProgressFn>,
) -> std::io::Result<(ContentDigest, u64)> {
    let mut hasher = DigestHasher::new();
    let mut buf = vec![0u8; CHUNK];
    let mut n_total = 0u64;
    loop {
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        n_total += n as u64;
        report(progress, Phase::Hashing, n_total, total);
    }
    Ok((hasher.finish(), n_total))
}

/// A small answer body (JSON, an error).
async fn read_body(node: &str, resp: reqwest::Response) -> BackpackResult<Vec<u8>> {
    crate::transport::read_limited(resp, 8 << 20)
        .await
        .map_err(|reason| BackpackError::Unreachable {
            reasons: vec![format!("{node}: {reason}")],
        })
}

fn content_length(h: &reqwest::header::HeaderMap) -> Option<u64> {
    h.get("content-length")?.to_str().ok()?.parse().ok()
}

/// `Content-Range: bytes a-b/size` → (a, size).
fn content_range(h: &reqwest::header::HeaderMap) -> Option<(u64, u64)> {
    let v = h.get("content-range")?.to_str().ok()?;
    let rest = v.strip_prefix("bytes ")?;
    let (span, total) = rest.split_once('/')?;
    let (a, _) = span.split_once('-')?;
    Some((a.parse().ok()?, total.parse().ok()?))
}

/// Percent-encode a query value (everything but RFC 3986 unreserved).
fn encode_query(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A `Content-Type` from a name's extension, for the common kinds people store.
pub fn guess_content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("heic") => "image/heic",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("json") => "application/json",
        Some("pdf") => "application/pdf",
        Some("mp4") => "video/mp4",
        Some("mp3") => "audio/mpeg",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("content-range", "bytes 100-199/1000".parse().unwrap());
        assert_eq!(content_range(&h), Some((100, 1000)));
        assert_eq!(encode_query("a+b/c="), "a%2Bb%2Fc%3D");
        assert_eq!(guess_content_type("/a/B.JPG"), "image/jpeg");
        assert_eq!(guess_content_type("/a/b"), "application/octet-stream");
        assert_eq!(ByteRange::parse("0-99").unwrap().header(), "bytes=0-99");
        assert_eq!(ByteRange::parse("5-").unwrap().header(), "bytes=5-");
        assert!(ByteRange::parse("9-3").is_err());
    }
}
