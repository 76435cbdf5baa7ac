//! What the node says about objects and folders, as the client hands it to callers.

use super::error::{BackpackError, BackpackResult};
use serde::{Deserialize, Serialize};
use sessionsig::time::{parse_rfc3339, OffsetDateTime};

/// One object's metadata (from a PUT answer, a HEAD, or a GET's headers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectInfo {
    /// The decoded path.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// The stored `Content-Type`.
    pub content_type: String,
    /// `sha-256=:<base64>:` of the whole object.
    pub digest: String,
    /// The entity tag (empty in listings, which carry none).
    pub etag: String,
    /// Last modification, as the node wrote it (RFC 3339 from JSON, or the HTTP date).
    pub modified: String,
    /// Whether a PUT created the object (`false` when it replaced one, or not a PUT).
    pub created: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetaWire {
    path: String,
    size: u64,
    content_type: String,
    digest: String,
    #[serde(default)]
    etag: String,
    modified: String,
}

impl ObjectInfo {
    pub(crate) fn from_json(node: &str, body: &[u8], created: bool) -> BackpackResult<Self> {
        let w: MetaWire = serde_json::from_slice(body).map_err(|e| BackpackError::Protocol {
            node: node.to_owned(),
            detail: format!("object metadata is not the documented JSON: {e}"),
        })?;
        Ok(ObjectInfo {
            path: w.path,
            size: w.size,
            content_type: w.content_type,
            digest: w.digest,
            etag: w.etag,
            modified: w.modified,
            created,
        })
    }

    pub(crate) fn from_headers(
        node: &str,
        path: &str,
        h: &reqwest::header::HeaderMap,
        size: u64,
    ) -> BackpackResult<Self> {
        let text = |name: &str| {
            h.get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let digest = text("content-digest");
        if digest.is_empty() {
            return Err(BackpackError::Protocol {
                node: node.to_owned(),
                detail: "no Content-Digest on an object answer".into(),
            });
        }
        Ok(ObjectInfo {
            path: path.to_owned(),
            size,
            content_type: text("content-type"),
            digest,
            etag: text("etag"),
            modified: text("last-modified"),
            created: false,
        })
    }

    /// When it was last modified, when the node wrote RFC 3339.
    pub fn modified_at(&self) -> Option<OffsetDateTime> {
        parse_rfc3339(&self.modified).ok()
    }
}

/// A whole folder listing (every page gathered).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Listing {
    /// The objects directly in the folder, in byte order of their paths.
    pub entries: Vec<ObjectInfo>,
    /// The direct sub-folders (full paths ending in `/`).
    pub folders: Vec<String>,
}

#[derive(Deserialize)]
pub(crate) struct PageWire {
    pub entries: Vec<serde_json::Value>,
    #[serde(default)]
    pub folders: Vec<String>,
    pub next: Option<String>,
}

impl PageWire {
    pub(crate) fn parse(
        node: &str,
        body: &[u8],
    ) -> BackpackResult<(Vec<ObjectInfo>, Vec<String>, Option<String>)> {
        let bad = |e: String| BackpackError::Protocol {
            node: node.to_owned(),
            detail: format!("a listing is not the documented JSON: {e}"),
        };
        let p: PageWire = serde_json::from_slice(body).map_err(|e| bad(e.to_string()))?;
        let mut entries = Vec::with_capacity(p.entries.len());
        for e in p.entries {
            let bytes = serde_json::to_vec(&e).map_err(|e| bad(e.to_string()))?;
            entries.push(ObjectInfo::from_json(node, &bytes, false)?);
        }
        Ok((entries, p.folders, p.next))
    }
}

/// How a download went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Download {
    /// The object.
    pub object: ObjectInfo,
    /// Bytes written to the destination in total (the range's length for a range).
    pub bytes: u64,
    /// Bytes that came over the network in this call (less than `bytes` when resumed).
    pub transferred: u64,
    /// Where an earlier, interrupted download was resumed from (0: from the start).
    pub resumed_from: u64,
    /// The node that served the bytes (the last one, when a retry moved to another).
    pub node: String,
}

/// A byte range to read, `start..end` (end exclusive), or from `start` to the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte.
    pub start: u64,
    /// One past the last byte; `None`: to the end.
    pub end: Option<u64>,
}

impl ByteRange {
    /// Parse `a-b` (inclusive, as HTTP writes it) or `a-`.
    ///
    /// Errors: `invalid_range`.
    pub fn parse(text: &str) -> BackpackResult<Self> {
        let bad = || {
            BackpackError::invalid(
                "invalid_range",
                format!("`{text}` is not a byte range (e.g. 0-99 or 100-)"),
            )
        };
        let (a, b) = text.trim().split_once('-').ok_or_else(bad)?;
        let start: u64 = a.parse().map_err(|_| bad())?;
        let end = if b.is_empty() {
            None
        } else {
            let last: u64 = b.parse().map_err(|_| bad())?;
            if last < start {
                return Err(bad());
            }
            Some(last + 1)
        };
        Ok(ByteRange { start, end })
    }

    /// The `Range` header value.
    pub fn header(&self) -> String {
        match self.end {
            Some(e) => format!("bytes={}-{}", self.start, e - 1),
            None => format!("bytes={}-", self.start),
        }
    }
}
