//! Streaming puts: hash and count each chunk as it arrives, send full parts while the next one
//! fills, check length and digest, and only then complete the upload.

use super::{BlobError, BlobKey, BlobStore, MAX_PARTS_IN_FLIGHT};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use object_store::{
    MultipartUpload, ObjectStoreExt, PutMode, PutOptions, PutPayload, PutPayloadMut,
};
use sessionsig::time::OffsetDateTime;
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use tokio::task::JoinHandle;

/// What a body must satisfy to be stored; each is checked while streaming and before the blob
/// becomes complete.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutCheck {
    /// The declared `Content-Length`, if any: a body of any other length is refused.
    pub declared_len: Option<u64>,
    /// The largest body accepted (the node's maximum object size, a `max_object_bytes`
    /// caveat): refused as soon as the body passes it, or before reading when the declared
    /// length already does.
    pub max_len: Option<u64>,
    /// The sha-256 the client declared (`Content-Digest`): a body with another is refused.
    pub sha256: Option<[u8; 32]>,
}

/// A blob written completely and durably under its fresh key, not yet referenced by any
/// object: commit it to the metadata store, or delete it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenBlob {
    /// Its key.
    pub key: BlobKey,
    /// Its size, counted while writing.
    pub size: u64,
    /// Its sha-256, computed while writing.
    pub sha256: [u8; 32],
}

impl BlobStore {
    /// Write `body` to a fresh blob, started at `now` (the caller's clock). On any error
    /// nothing is left under the key (an interrupted upload is aborted; one cut off by a crash
    /// is swept by [`reconcile`](BlobStore::reconcile)).
    pub async fn put<S, E>(
        &self,
        body: S,
        check: &PutCheck,
        now: OffsetDateTime,
    ) -> Result<WrittenBlob, BlobError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: std::fmt::Display,
    {
        if let (Some(declared), Some(max)) = (check.declared_len, check.max_len) {
            if declared > max {
                return Err(BlobError::TooLarge { limit: max });
            }
        }
        let key = BlobKey::fresh(now);
        let location = self.location(&key);
        let mut w = Writer {
            store: self,
            location: &location,
            upload: None,
            in_flight: VecDeque::new(),
            buf: PutPayloadMut::new(),
        };
        let written = w.run(body, check).await;
        match written {
            Ok((size, sha256)) => Ok(WrittenBlob { key, size, sha256 }),
            Err(e) => {
                w.abort().await;
                Err(e)
            }
        }
    }
}

struct Writer<'a> {
    store: &'a BlobStore,
    location: &'a object_store::path::Path,
    upload: Option<Box<dyn MultipartUpload>>,
    in_flight: VecDeque<JoinHandle<object_store::Result<()>>>,
    buf: PutPayloadMut,
}

/// A put whose future is dropped (the client went away, the request timed out) aborts its
/// multipart upload in the background, so no parts linger on S3 (the local backend removes its
/// staging file on drop by itself).
impl Drop for Writer<'_> {
    fn drop(&mut self) {
        if let Some(mut up) = self.upload.take() {
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                drop(rt.spawn(async move {
                    let _ = up.abort().await;
                }));
            }
        }
    }
}

impl Writer<'_> {
    async fn run<S, E>(&mut self, body: S, check: &PutCheck) -> Result<(u64, [u8; 32]), BlobError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: std::fmt::Display,
    {
        let mut body = std::pin::pin!(body);
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| BlobError::BodyAborted(e.to_string()))?;
            size = size.saturating_add(chunk.len() as u64);
            if let Some(max) = check.max_len {
                if size > max {
                    return Err(BlobError::TooLarge { limit: max });
                }
            }
            if let Some(declared) = check.declared_len {
                if size > declared {
                    return Err(BlobError::LengthMismatch {
                        declared,
                        actual: size,
                    });
                }
            }
            hasher.update(&chunk);
            self.buf.push(chunk);
            if self.buf.content_length() >= self.store.part_size {
                let part = std::mem::take(&mut self.buf).freeze();
                self.send_part(part).await?;
            }
        }
        if let Some(declared) = check.declared_len {
            if size != declared {
                return Err(BlobError::LengthMismatch {
                    declared,
                    actual: size,
                });
            }
        }
        let sha256: [u8; 32] = hasher.finalize().into();
        if check.sha256.is_some_and(|want| want != sha256) {
            return Err(BlobError::DigestMismatch);
        }
        // Checked: now make the blob exist.
        let rest = std::mem::take(&mut self.buf).freeze();
        match self.upload.as_mut() {
            None => {
                let mode = if self.store.create_mode {
                    PutMode::Create
                } else {
                    PutMode::Overwrite
                };
                self.store
                    .store
                    .put_opts(self.location, rest, PutOptions::from(mode))
                    .await?;
            }
            Some(_) => {
                if rest.content_length() > 0 {
                    self.send_part(rest).await?;
                }
                self.drain().await?;
                if let Some(up) = self.upload.as_mut() {
                    up.complete().await?;
                }
                self.upload = None;
            }
        }
        Ok((size, sha256))
    }

    /// Start sending one part, first waiting for the oldest if too many are in flight.
    async fn send_part(&mut self, part: PutPayload) -> Result<(), BlobError> {
        if self.upload.is_none() {
            self.upload = Some(self.store.store.put_multipart(self.location).await?);
        }
        while self.in_flight.len() >= MAX_PARTS_IN_FLIGHT {
            self.wait_oldest().await?;
        }
        if let Some(up) = self.upload.as_mut() {
            self.in_flight.push_back(tokio::spawn(up.put_part(part)));
        }
        Ok(())
    }

    async fn wait_oldest(&mut self) -> Result<(), BlobError> {
        if let Some(h) = self.in_flight.pop_front() {
            h.await
                .map_err(|e| BlobError::Backend(format!("upload task: {e}")))??;
        }
        Ok(())
    }

    async fn drain(&mut self) -> Result<(), BlobError> {
        while !self.in_flight.is_empty() {
            self.wait_oldest().await?;
        }
        Ok(())
    }

    /// Abandon the upload: let the parts in flight end, then abort it (best effort: a leftover
    /// is swept by reconciliation or the bucket's lifecycle rule).
    async fn abort(&mut self) {
        while let Some(h) = self.in_flight.pop_front() {
            let _ = h.await;
        }
        if let Some(mut up) = self.upload.take() {
            let _ = up.abort().await;
        }
    }
}
