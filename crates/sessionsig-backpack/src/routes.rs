//! The backpack's HTTP API, mounted by the node under `/v1/backpack/<owner><path>`.
//!
//! | method | path | ability | answer |
//! |---|---|---|---|
//! | `PUT` | object | `backpack/write` | 201 created / 200 replaced, metadata JSON; 412 on `If-Match` / `If-None-Match: *`; 413 past a size limit; 507 `storage_full` |
//! | `GET` | object | `backpack/read` | the bytes (`Range` → 206 / 416; `If-None-Match` → 304) |
//! | `HEAD` | object | `backpack/read` | the same headers, no body |
//! | `DELETE` | object | `backpack/delete` | 204; 404 when absent |
//! | `GET` | folder (`…/`) | `backpack/list` | `{"entries":[…],"folders":[…],"next":…}`; `?limit=1..1000` (100), `?cursor=` |
//!
//! Every request carries `Authorization: SessionSig …` for the operation's resource
//! (`backpack://<owner><path>`, or a folder above it) and ability. The order of a request is
//! the order of trust: the path is checked (refused, never normalised); the SessionSig is
//! verified for the operation, spending nothing; a request that changes data (PUT, DELETE,
//! and reads too when the node requires it) must carry an RFC 9421 signature by the session
//! key, whose (`keyid`, `nonce`) must not be in the shared replay table (a change records it in
//! the same transaction that makes the change visible, a signed read before it is served;
//! see `sessionsig_store::backpack::ReplayNonce`); only then are the charges committed — a use of each `uses` caveat, and the exact bytes the transfer moves
//! reserved on each `max_bytes` counter, atomically across nodes; the bytes not moved (an
//! aborted download, a failed upload) are given back.

use crate::blobs::{BlobError, PutCheck};
use crate::digest::ContentDigest;
use crate::gate::{Gate, Refusal};
use crate::httpsig::{RequestSignaturePolicy, VerifiedRequestSignature};
use crate::objects::{ObjectError, Objects, PutObject};
use axum::body::Body;
use axum::extract::{Request as HttpRequest, State};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, StatusCode};
use serde_json::json;
use sessionsig::lit::{BackpackId, LitAbility, LitResource};
use sessionsig::time::{to_iso_string, Clock};
use sessionsig::verify::{Authorization, Request, Reservation};

use sessionsig_store::backpack::{
    BackpackError, ListCursor, ListLimit, ObjectMeta, Precondition, ReplayNonce,
};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// Where the routes live.
pub const PREFIX: &str = "/v1/backpack/";

/// The backpack's node settings.
#[derive(Debug, Clone, Default)]
pub struct BackpackSettings {
    /// Reads (GET, HEAD, list) must carry a request signature too, so that a captured
    /// SessionSig alone reads nothing (default off: a SessionSig scoped to reads is the
    /// credential, as a presigned URL is).
    pub require_signed_reads: bool,
    /// Serve every request with NO authentication at all. Exists only to measure what the
    /// authentication costs (the node refuses it without `--insecure-no-verify`); never for a
    /// backpack anyone uses.
    pub insecure_no_auth: bool,
}

/// How a request was admitted: verified (with the charges to commit), or, on a node run for
/// load comparisons only, not at all.
enum Admission {
    Checked(Box<Authorization>),
    Open,
}

impl Admission {
    fn max_object_bytes(&self) -> Option<u64> {
        match self {
            Admission::Checked(a) => a.charges().max_object_bytes(),
            Admission::Open => None,
        }
    }

    fn caps_traffic(&self) -> bool {
        matches!(self, Admission::Checked(a) if !a.charges().traffic().is_empty())
    }

    /// Spend the charges with `bytes` of traffic reserved.
    async fn commit(
        self,
        gate: &Arc<dyn Gate>,
        bytes: u64,
    ) -> Result<Option<Reservation>, Refusal> {
        match self {
            Admission::Checked(a) => Ok(Some(gate.commit(*a, bytes).await?.1)),
            Admission::Open => Ok(None),
        }
    }
}

/// Give back `unused` bytes of a reservation, if there is one.
async fn release(gate: &Arc<dyn Gate>, r: Option<Reservation>, unused: u64) -> Result<(), Refusal> {
    match r {
        Some(r) => gate.release(r, unused).await,
        None => Ok(()),
    }
}

/// The backpack service: its stores, the gate to the node's verifier, and its rules.
#[derive(Clone)]
pub struct Backpack {
    inner: Arc<Inner>,
}

struct Inner {
    gate: Arc<dyn Gate>,
    objects: Objects,
    signatures: RequestSignaturePolicy,
    clock: Arc<dyn Clock>,
    settings: BackpackSettings,
}

impl std::fmt::Debug for Backpack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backpack")
            .field("objects", &self.inner.objects)
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

impl Backpack {
    /// A backpack on `objects`, admitting through `gate`.
    pub fn new(
        gate: Arc<dyn Gate>,
        objects: Objects,
        signatures: RequestSignaturePolicy,
        clock: Arc<dyn Clock>,
        settings: BackpackSettings,
    ) -> Self {
        Backpack {
            inner: Arc::new(Inner {
                gate,
                objects,
                signatures,
                clock,
                settings,
            }),
        }
    }

    /// The object store.
    pub fn objects(&self) -> &Objects {
        &self.inner.objects
    }
}

/// The routes, to merge into the node's router.
pub fn router(backpack: Backpack) -> Router {
    Router::new()
        .route("/v1/backpack/{*rest}", any(handle))
        .with_state(backpack)
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = (
            status,
            axum::Json(sessionsig::wire::ErrorBody {
                code: self.code.to_string(),
                error: self.message,
            }),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("SessionSig"),
            );
        }
        r
    }
}

impl From<crate::Error> for Refusal {
    fn from(e: crate::Error) -> Self {
        Refusal::new(e.status(), e.code(), e.to_string())
    }
}

impl From<ObjectError> for Refusal {
    fn from(e: ObjectError) -> Self {
        let status = match &e {
            ObjectError::NotFound => 404,
            ObjectError::UploadTooSlow => 503,
            ObjectError::Blob(b) => match b {
                BlobError::DigestMismatch
                | BlobError::LengthMismatch { .. }
                | BlobError::BodyAborted(_) => 400,
                BlobError::TooLarge { .. } => 413,
                BlobError::NotFound => 404,
                BlobError::RangeNotSatisfiable { .. } => 416,
                BlobError::Backend(_) | BlobError::Truncated { .. } => 503,
                _ => 500,
            },
            ObjectError::Meta(m) => meta_status(m),
        };
        Refusal::new(status, e.code(), e.to_string())
    }
}

fn meta_status(e: &BackpackError) -> u16 {
    match e {
        BackpackError::PreconditionFailed => 412,
        BackpackError::StorageFull { .. } => 507,
        BackpackError::QuotaExhausted { .. } => 429,
        BackpackError::Replayed => 401,
        BackpackError::InvalidPath(_) | BackpackError::InvalidCursor => 400,
        _ => 503,
    }
}

impl From<BackpackError> for Refusal {
    fn from(e: BackpackError) -> Self {
        Refusal::new(meta_status(&e), e.code(), e.to_string())
    }
}

/// What a request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Read { head: bool },
    List,
    Write,
    Delete,
}

impl Op {
    fn ability(self) -> LitAbility {
        match self {
            Op::Read { .. } => LitAbility::BackpackRead,
            Op::List => LitAbility::BackpackList,
            Op::Write => LitAbility::BackpackWrite,
            Op::Delete => LitAbility::BackpackDelete,
        }
    }

    fn changes_data(self) -> bool {
        matches!(self, Op::Write | Op::Delete)
    }
}

fn operation(method: &Method, folder: bool) -> Result<Op, Refusal> {
    let op = match (method.as_str(), folder) {
        ("GET", true) => Op::List,
        ("GET", false) => Op::Read { head: false },
        ("HEAD", false) => Op::Read { head: true },
        ("PUT", false) => Op::Write,
        ("DELETE", false) => Op::Delete,
        ("PUT" | "DELETE" | "HEAD", true) => {
            return Err(Refusal::new(
                405,
                "method_not_allowed",
                format!("{method} does not apply to a folder (a path ending in `/`)"),
            ))
        }
        _ => {
            return Err(Refusal::new(
                405,
                "method_not_allowed",
                format!("{method} is not a backpack method (GET, HEAD, PUT, DELETE)"),
            ))
        }
    };
    Ok(op)
}

async fn handle(State(bp): State<Backpack>, req: HttpRequest) -> Response {
    match serve(&bp, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn serve(bp: &Backpack, req: HttpRequest) -> Result<Response, Refusal> {
    let (parts, body) = req.into_parts();
    // The raw (still percent-encoded) path, decoded exactly once by the parser.
    let raw = parts
        .uri
        .path()
        .strip_prefix(PREFIX)
        .ok_or_else(|| Refusal::new(404, "not_found", "not a backpack path"))?;
    let id = BackpackId::parse(raw)?;
    let op = operation(&parts.method, id.path.is_folder())?;
    let request = Request::operation(LitResource::backpack(&id), op.ability()).owned_by(id.owner);
    let gate = &bp.inner.gate;
    let (auth, replay) = if bp.inner.settings.insecure_no_auth {
        (Admission::Open, None)
    } else {
        let auth = gate.check(&parts.headers, request).await?;
        let mut replay = None;
        if op.changes_data() || bp.inner.settings.require_signed_reads {
            let signed = bp.inner.signatures.verify(
                &parts,
                auth.session().session_key(),
                bp.inner.clock.now(),
            )?;
            let nonce = replay_nonce(bp, &signed);
            if op.changes_data() {
                // Recorded with the change itself, in one commit; a replay already on record
                // is refused here, before anything is spent.
                refuse_recorded(bp, &nonce).await?;
                replay = Some(nonce);
            } else {
                record_nonce(bp, nonce).await?;
            }
        }
        (Admission::Checked(Box::new(auth)), replay)
    };
    let owner = format!("{:#x}", id.owner);
    let path = id.path.as_str().to_owned();
    match op {
        Op::List => list(bp, auth, &owner, &path, parts.uri.query()).await,
        Op::Read { head } => read(bp, auth, &owner, &path, &parts.headers, head).await,
        Op::Delete => {
            let cond = precondition(&parts.headers)?;
            auth.commit(gate, 0).await?;
            bp.inner
                .objects
                .delete(&owner, &path, &cond, replay)
                .await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Op::Write => write(bp, auth, &owner, &path, &parts.headers, body, replay).await,
    }
}

/// The replay key of a verified request signature, as the store records it.
fn replay_nonce(bp: &Backpack, signed: &VerifiedRequestSignature) -> ReplayNonce {
    ReplayNonce {
        keyid: signed.keyid().to_hex(),
        nonce: signed.nonce().to_owned(),
        expires_at: signed.replay_until(),
        now: bp.inner.clock.now(),
    }
}

fn replayed() -> Refusal {
    Refusal::new(
        401,
        "replayed",
        "this signed request was already used (same keyid and nonce)",
    )
}

/// Refuse a request whose nonce is already on record (a read: the commit that carries the
/// request's effect records the nonce, and settles a race between two copies).
async fn refuse_recorded(bp: &Backpack, nonce: &ReplayNonce) -> Result<(), Refusal> {
    let meta = Arc::clone(bp.inner.objects.meta());
    let (keyid, n, now) = (nonce.keyid.clone(), nonce.nonce.clone(), nonce.now);
    let seen = tokio::task::spawn_blocking(move || meta.nonce_recorded(&keyid, &n, now))
        .await
        .map_err(|e| Refusal::new(500, "internal", format!("replay task: {e}")))??;
    if seen {
        Err(replayed())
    } else {
        Ok(())
    }
}

/// Record a signed read's nonce (a read has no commit of its own to carry it).
async fn record_nonce(bp: &Backpack, nonce: ReplayNonce) -> Result<(), Refusal> {
    let meta = Arc::clone(bp.inner.objects.meta());
    tokio::task::spawn_blocking(move || {
        meta.record_nonce(&nonce.keyid, &nonce.nonce, nonce.expires_at, nonce.now)
    })
    .await
    .map_err(|e| Refusal::new(500, "internal", format!("replay task: {e}")))?
    .map_err(|e| match e {
        BackpackError::Replayed => replayed(),
        other => other.into(),
    })
}

fn precondition(h: &HeaderMap) -> Result<Precondition, Refusal> {
    let text = |name: header::HeaderName| -> Result<Option<String>, Refusal> {
        h.get(&name)
            .map(|v| {
                v.to_str().map(str::to_owned).map_err(|_| {
                    Refusal::new(400, "invalid_request", format!("{name} is not text"))
                })
            })
            .transpose()
    };
    if let Some(v) = text(header::IF_NONE_MATCH)? {
        return if v.trim() == "*" {
            Ok(Precondition::IfNoneMatchAny)
        } else {
            Err(Refusal::new(
                400,
                "invalid_request",
                "a write takes If-None-Match: * only",
            ))
        };
    }
    match text(header::IF_MATCH)? {
        None => Ok(Precondition::None),
        Some(v) if v.trim() == "*" => Ok(Precondition::IfMatchAny),
        Some(v) => Ok(Precondition::IfMatch(
            v.split(',').map(|t| t.trim().to_owned()).collect(),
        )),
    }
}

fn meta_json(m: &ObjectMeta) -> serde_json::Value {
    json!({
        "path": m.path,
        "size": m.size,
        "contentType": m.content_type,
        "digest": ContentDigest::from_bytes(m.digest).header_value(),
        "etag": m.etag,
        "modified": to_iso_string(m.modified),
    })
}

async fn write(
    bp: &Backpack,
    auth: Admission,
    owner: &str,
    path: &str,
    h: &HeaderMap,
    body: Body,
    replay: Option<ReplayNonce>,
) -> Result<Response, Refusal> {
    let digest = ContentDigest::from_headers(h)?;
    let declared = match h.get(header::CONTENT_LENGTH) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| {
                    Refusal::new(400, "invalid_request", "Content-Length is not a number")
                })?,
        ),
    };
    let cap = auth.max_object_bytes();
    if let (Some(len), Some(max)) = (declared, cap) {
        if len > max {
            return Err(Refusal::new(
                413,
                "too_large",
                format!("this grant allows objects of at most {max} bytes; this one has {len}"),
            ));
        }
    }
    let traffic = auth.caps_traffic();
    let reserve = match (declared, cap) {
        (Some(len), _) => len,
        (None, Some(max)) => max,
        (None, None) if traffic => {
            return Err(Refusal::new(
                411,
                "length_required",
                "this grant caps traffic: send Content-Length so the bytes can be reserved",
            ))
        }
        (None, None) => 0,
    };
    let content_type = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let cond = precondition(h)?;
    let gate = &bp.inner.gate;
    let reservation = auth.commit(gate, reserve).await?;
    let put = PutObject {
        owner,
        path,
        content_type: &content_type,
        check: PutCheck {
            declared_len: declared,
            max_len: cap,
            sha256: Some(*digest.as_bytes()),
        },
        cond,
        replay,
    };
    match bp.inner.objects.put(&put, body.into_data_stream()).await {
        Ok(c) => {
            let moved = c.object.size.min(reserve);
            release(gate, reservation, reserve - moved).await?;
            let status = if c.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            let mut r = (status, axum::Json(meta_json(&c.object))).into_response();
            if let Ok(v) = HeaderValue::from_str(&c.object.etag) {
                r.headers_mut().insert(header::ETAG, v);
            }
            Ok(r)
        }
        Err(e) => {
            // Nothing was stored: the traffic is given back whole.
            let _ = release(gate, reservation, reserve).await;
            Err(e.into())
        }
    }
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` against an object of `size` bytes: `Ok(None)` to
/// serve it whole (no header, or one this server ignores: several ranges, another unit);
/// `Err` when unsatisfiable (416).
fn byte_range(h: &HeaderMap, size: u64) -> Result<Option<std::ops::Range<u64>>, Refusal> {
    let Some(v) = h.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let Some(spec) = v.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Ok(None);
    };
    let num = |s: &str| s.trim().parse::<u64>().ok();
    let unsatisfiable = || {
        Refusal::new(
            416,
            "range_not_satisfiable",
            format!("the object has {size} bytes"),
        )
    };
    let range = match (a.trim().is_empty(), num(a), num(b)) {
        (true, _, Some(n)) => {
            if n == 0 || size == 0 {
                return Err(unsatisfiable());
            }
            size.saturating_sub(n)..size
        }
        (false, Some(start), end) => {
            if !b.trim().is_empty() && end.is_none() {
                return Ok(None);
            }
            if start >= size {
                return Err(unsatisfiable());
            }
            let end = end.map_or(size, |e| e.saturating_add(1).min(size));
            if end <= start {
                return Ok(None);
            }
            start..end
        }
        _ => return Ok(None),
    };
    Ok(Some(range))
}

fn etag_matches(h: &HeaderMap, etag: &str) -> bool {
    h.get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|t| t == "*" || t == etag || t.strip_prefix("W/") == Some(etag))
        })
}

fn object_headers(r: &mut Response, m: &ObjectMeta) {
    let h = r.headers_mut();
    let mut set = |name: header::HeaderName, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(name, v);
        }
    };
    set(header::ETAG, m.etag.clone());
    set(header::CONTENT_TYPE, m.content_type.clone());
    set(header::LAST_MODIFIED, http_date(m.modified));
    set(header::ACCEPT_RANGES, "bytes".into());
    set(
        header::HeaderName::from_static("content-digest"),
        ContentDigest::from_bytes(m.digest).header_value(),
    );
}

fn http_date(t: time::OffsetDateTime) -> String {
    let fmt = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_default()
}

async fn read(
    bp: &Backpack,
    auth: Admission,
    owner: &str,
    path: &str,
    h: &HeaderMap,
    head: bool,
) -> Result<Response, Refusal> {
    let gate = &bp.inner.gate;
    let objects = &bp.inner.objects;
    let meta = objects.head(owner, path).await?;
    if etag_matches(h, &meta.etag) || head {
        auth.commit(gate, 0).await?;
        let status = if head {
            StatusCode::OK
        } else {
            StatusCode::NOT_MODIFIED
        };
        let mut r = status.into_response();
        object_headers(&mut r, &meta);
        if head {
            if let Ok(v) = HeaderValue::from_str(&meta.size.to_string()) {
                r.headers_mut().insert(header::CONTENT_LENGTH, v);
            }
        }
        return Ok(r);
    }
    let range = byte_range(h, meta.size).map_err(|mut e| {
        e.message = format!("{} (Range {:?})", e.message, h.get(header::RANGE));
        e
    });
    let range = match range {
        Ok(r) => r,
        Err(e) => {
            let mut r = e.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{}", meta.size)) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(r);
        }
    };
    let partial = range.is_some();
    // Open the bytes first, then charge exactly what this stream will move.
    let (meta, blob) = objects.open(meta, range).await?;
    let len = blob.range.end - blob.range.start;
    let reservation = auth.commit(gate, len).await?;
    let body = Metered {
        inner: blob.stream,
        left: len,
        reservation,
        gate: Arc::clone(gate),
    };
    let status = if partial {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let mut r = (status, Body::from_stream(body)).into_response();
    object_headers(&mut r, &meta);
    let hm = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&len.to_string()) {
        hm.insert(header::CONTENT_LENGTH, v);
    }
    if partial {
        let cr = format!(
            "bytes {}-{}/{}",
            blob.range.start,
            blob.range.end.saturating_sub(1),
            blob.size
        );
        if let Ok(v) = HeaderValue::from_str(&cr) {
            hm.insert(header::CONTENT_RANGE, v);
        }
    }
    Ok(r)
}

/// A download body that counts what it delivers and, when dropped before the end (the client
/// went away, the store failed), gives the undelivered bytes back to the traffic counters.
struct Metered {
    inner: futures_util::stream::BoxStream<'static, Result<Bytes, BlobError>>,
    left: u64,
    reservation: Option<Reservation>,
    gate: Arc<dyn Gate>,
}

impl Stream for Metered {
    type Item = Result<Bytes, BlobError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = self.inner.poll_next_unpin(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &next {
            let n = chunk.len() as u64;
            self.left = self.left.saturating_sub(n);
        }
        next
    }
}

impl Drop for Metered {
    fn drop(&mut self) {
        let Some(reservation) = self.reservation.take() else {
            return;
        };
        if self.left == 0 || reservation.is_empty() {
            return;
        }
        let (gate, unused) = (Arc::clone(&self.gate), self.left);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = gate.release(reservation, unused).await;
            });
        }
    }
}

async fn list(
    bp: &Backpack,
    auth: Admission,
    owner: &str,
    folder: &str,
    query: Option<&str>,
) -> Result<Response, Refusal> {
    let mut limit = ListLimit::new(100);
    let mut cursor = None;
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "limit" => {
                limit = v.parse::<u64>().ok().and_then(ListLimit::new);
                if limit.is_none() {
                    return Err(Refusal::new(
                        400,
                        "invalid_request",
                        "limit is a number from 1 to 1000",
                    ));
                }
            }
            "cursor" => cursor = Some(ListCursor::parse(v)?),
            _ => {}
        }
    }
    let limit = limit.ok_or_else(|| Refusal::new(500, "internal", "default limit"))?;
    auth.commit(&bp.inner.gate, 0).await?;
    let meta = Arc::clone(bp.inner.objects.meta());
    let (o, f) = (owner.to_owned(), folder.to_owned());
    let page =
        tokio::task::spawn_blocking(move || meta.list_folder(&o, &f, limit, cursor.as_ref()))
            .await
            .map_err(|e| Refusal::new(500, "internal", format!("list task: {e}")))??;
    let entries: Vec<serde_json::Value> = page
        .entries
        .iter()
        .map(|m| {
            json!({
                "path": m.path,
                "size": m.size,
                "contentType": m.content_type,
                "digest": ContentDigest::from_bytes(m.digest).header_value(),
                "modified": to_iso_string(m.modified),
            })
        })
        .collect();
    Ok(axum::Json(json!({
        "entries": entries,
        "folders": page.folders,
        "next": page.next.map(|c| c.encode()),
    }))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_range(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn ranges() {
        let r = |v: &str, size| byte_range(&with_range(v), size);
        assert_eq!(r("bytes=0-9", 100).unwrap(), Some(0..10));
        assert_eq!(r("bytes=90-", 100).unwrap(), Some(90..100));
        assert_eq!(r("bytes=-10", 100).unwrap(), Some(90..100));
        assert_eq!(r("bytes=-1000", 100).unwrap(), Some(0..100));
        assert_eq!(r("bytes=50-1000", 100).unwrap(), Some(50..100));
        assert_eq!(r("bytes=100-", 100).unwrap_err().status, 416);
        assert_eq!(r("bytes=-0", 100).unwrap_err().status, 416);
        assert_eq!(r("bytes=0-1,5-6", 100).unwrap(), None);
        assert_eq!(r("items=0-1", 100).unwrap(), None);
        assert_eq!(r("bytes=9-3", 100).unwrap(), None);
        assert_eq!(byte_range(&HeaderMap::new(), 100).unwrap(), None);
    }

    #[test]
    fn methods_map_to_abilities() {
        assert_eq!(operation(&Method::GET, true).unwrap(), Op::List);
        assert_eq!(
            operation(&Method::PUT, false).unwrap().ability(),
            LitAbility::BackpackWrite
        );
        assert_eq!(operation(&Method::PUT, true).unwrap_err().status, 405);
        assert_eq!(operation(&Method::POST, false).unwrap_err().status, 405);
        assert!(operation(&Method::DELETE, false).unwrap().changes_data());
        assert!(!operation(&Method::HEAD, false).unwrap().changes_data());
    }

    #[test]
    fn http_dates() {
        let t = sessionsig::time::parse_rfc3339("1994-11-06T08:49:37Z").unwrap();
        assert_eq!(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
    }
}
