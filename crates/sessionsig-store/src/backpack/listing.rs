//! Folder listings: direct objects and direct sub-folders merged in byte order, paged by an
//! opaque cursor that names the last item returned (so pages are stable under concurrent
//! writes). The walk is a loose index scan over the `(owner, path)` primary key: rows are read
//! in path order, and when a row lies inside a sub-folder the scan jumps past that whole
//! sub-folder, so a folder with a million objects in one sub-folder costs one extra query.

use super::{BackpackError, BpResult, ObjectMeta};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::fmt;

/// Most items a page may hold.
pub const MAX_LIMIT: u16 = 1000;

/// How many items (objects and sub-folders together) one page holds: 1 to 1000, 100 by
/// default. A type so that an out-of-range limit cannot reach the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListLimit(u16);

impl ListLimit {
    /// `Some` for 1..=1000.
    pub fn new(n: u64) -> Option<ListLimit> {
        u16::try_from(n)
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .map(ListLimit)
    }

    /// The limit as a count.
    pub fn get(self) -> usize {
        usize::from(self.0)
    }
}

impl Default for ListLimit {
    fn default() -> Self {
        ListLimit(100)
    }
}

/// Where the next page starts: the last path (object) or sub-folder (ending with `/`)
/// returned, encoded as base64url so clients treat it as opaque.
#[derive(Clone, PartialEq, Eq)]
pub struct ListCursor {
    last: String,
}

impl ListCursor {
    /// Decode a cursor a client sent back ([`BackpackError::InvalidCursor`] if it is not one
    /// of ours; whether it belongs to the folder is checked by the listing).
    pub fn parse(text: &str) -> BpResult<ListCursor> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| BackpackError::InvalidCursor)?;
        let last = String::from_utf8(bytes).map_err(|_| BackpackError::InvalidCursor)?;
        Ok(ListCursor { last })
    }

    /// The cursor as the client sees it.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.last.as_bytes())
    }
}

impl fmt::Display for ListCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl fmt::Debug for ListCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ListCursor({})", self.encode())
    }
}

/// One page of a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderPage {
    /// The folder's direct objects on this page, in path order.
    pub entries: Vec<ObjectMeta>,
    /// The folder's direct sub-folders on this page (full paths ending with `/`), in order.
    pub folders: Vec<String>,
    /// The cursor of the next page, `None` when this is the last one.
    pub next: Option<ListCursor>,
}

/// Where a scan resumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Start {
    /// At this path or after it.
    From(String),
    /// Strictly after this path.
    After(String),
}

/// The first path after everything under `folder` (which ends with `/`): `/` is replaced by
/// the next byte, `0`, so `[folder, end)` is exactly the paths that start with `folder`.
pub(crate) fn folder_end(folder: &str) -> String {
    let mut end = folder.strip_suffix('/').unwrap_or(folder).to_owned();
    end.push('0');
    end
}

/// Where the listing of `folder` starts, given the client's cursor.
pub(crate) fn start(folder: &str, cursor: Option<&ListCursor>) -> BpResult<Start> {
    let Some(c) = cursor else {
        return Ok(Start::From(folder.to_owned()));
    };
    let rest = c
        .last
        .strip_prefix(folder)
        .filter(|r| !r.is_empty())
        .ok_or(BackpackError::InvalidCursor)?;
    match rest.find('/') {
        None => Ok(Start::After(c.last.clone())),
        Some(i) if i + 1 == rest.len() && i > 0 => Ok(Start::From(folder_end(&c.last))),
        Some(_) => Err(BackpackError::InvalidCursor),
    }
}

/// Run the scan: `fetch(start, end, n)` returns up to `n` objects with paths in
/// `[start, end)` in path order (one owner; the backend runs every fetch of a page in one read
/// transaction).
pub(crate) fn page<E>(
    folder: &str,
    limit: ListLimit,
    mut pos: Start,
    mut fetch: impl FnMut(&Start, &str, usize) -> Result<Vec<ObjectMeta>, E>,
) -> Result<FolderPage, E> {
    let end = folder_end(folder);
    let limit = limit.get();
    let mut entries = Vec::new();
    let mut folders = Vec::new();
    let mut last: Option<String> = None;
    'scan: while entries.len() + folders.len() < limit {
        let want = limit - entries.len() - folders.len();
        let batch = fetch(&pos, &end, want)?;
        if batch.is_empty() {
            return Ok(FolderPage {
                entries,
                folders,
                next: None,
            });
        }
        for row in batch {
            let rest = row.path.get(folder.len()..).unwrap_or_default();
            if let Some(i) = rest.find('/') {
                let sub = format!("{folder}{}", &rest[..=i]);
                pos = Start::From(folder_end(&sub));
                last = Some(sub.clone());
                folders.push(sub);
                // Everything else in this batch may be inside the sub-folder: seek past it.
                continue 'scan;
            }
            pos = Start::After(row.path.clone());
            last = Some(row.path.clone());
            entries.push(row);
            if entries.len() + folders.len() == limit {
                break 'scan;
            }
        }
    }
    // The page is full: is there anything after it?
    let more = !fetch(&pos, &end, 1)?.is_empty();
    Ok(FolderPage {
        entries,
        folders,
        next: if more {
            last.map(|last| ListCursor { last })
        } else {
            None
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sessionsig::time::OffsetDateTime;

    fn meta(path: &str) -> ObjectMeta {
        ObjectMeta {
            owner: "0x00".into(),
            path: path.into(),
            size: 0,
            content_type: String::new(),
            digest: [0; 32],
            etag: String::new(),
            modified: OffsetDateTime::UNIX_EPOCH,
            blob_key: path.into(),
        }
    }

    /// The scan over a sorted in-memory list (what the SQL does), counting the fetches.
    fn scan(
        all: &[&str],
        folder: &str,
        limit: u64,
        cursor: Option<&ListCursor>,
    ) -> (FolderPage, usize) {
        let mut sorted: Vec<&str> = all.to_vec();
        sorted.sort_unstable();
        let mut fetches = 0;
        let page = page::<()>(
            folder,
            ListLimit::new(limit).unwrap(),
            start(folder, cursor).unwrap(),
            |pos, end, n| {
                fetches += 1;
                Ok(sorted
                    .iter()
                    .filter(|p| match pos {
                        Start::From(s) => **p >= s.as_str(),
                        Start::After(s) => **p > s.as_str(),
                    })
                    .filter(|p| **p < end)
                    .take(n)
                    .map(|p| meta(p))
                    .collect())
            },
        )
        .unwrap();
        (page, fetches)
    }

    #[test]
    fn folder_end_is_the_next_prefix() {
        assert_eq!(folder_end("/"), "0");
        assert_eq!(folder_end("/a/b/"), "/a/b0");
        assert!("/a/b/zzz" < folder_end("/a/b/").as_str());
        assert!("/a/b0" >= folder_end("/a/b/").as_str());
        assert!("/a/b.txt" < "/a/b/");
    }

    #[test]
    fn entries_and_sub_folders_are_direct_and_paged_in_order() {
        let all = [
            "/p/a.txt", "/p/a/1", "/p/a/2/x", "/p/a0", "/p/b/c/d", "/p/c", "/q/z", "/p-old/x",
            "/p", "/o",
        ];
        let (page1, _) = scan(&all, "/p/", 2, None);
        assert_eq!(
            page1.entries.iter().map(|e| &e.path).collect::<Vec<_>>(),
            ["/p/a.txt"]
        );
        assert_eq!(page1.folders, ["/p/a/"]);
        let c = page1.next.unwrap();
        let again = ListCursor::parse(&c.encode()).unwrap();
        assert_eq!(again, c);
        let (page2, _) = scan(&all, "/p/", 2, Some(&again));
        assert_eq!(
            page2.entries.iter().map(|e| &e.path).collect::<Vec<_>>(),
            ["/p/a0"]
        );
        assert_eq!(page2.folders, ["/p/b/"]);
        let (page3, _) = scan(&all, "/p/", 2, page2.next.as_ref());
        assert_eq!(page3.entries.len(), 1);
        assert_eq!(page3.entries[0].path, "/p/c");
        assert!(page3.folders.is_empty());
        assert_eq!(page3.next, None, "nothing after the last item");
        let (root, _) = scan(&all, "/", 10, None);
        assert_eq!(
            root.entries.iter().map(|e| &e.path).collect::<Vec<_>>(),
            ["/o", "/p"]
        );
        assert_eq!(root.folders, ["/p-old/", "/p/", "/q/"]);
    }

    #[test]
    fn a_big_sub_folder_costs_one_seek() {
        let many: Vec<String> = (0..500).map(|i| format!("/f/big/{i:04}")).collect();
        let mut all: Vec<&str> = many.iter().map(String::as_str).collect();
        all.extend(["/f/a", "/f/z"]);
        let (page, fetches) = scan(&all, "/f/", 10, None);
        assert_eq!(page.folders, ["/f/big/"]);
        assert_eq!(page.entries.len(), 2);
        assert!(fetches <= 3, "{fetches} fetches");
    }

    #[test]
    fn cursors_outside_the_folder_or_malformed_are_refused() {
        let c = |s: &str| ListCursor { last: s.to_owned() };
        for bad in ["/q/x", "/p/", "/p/a/b", "/p//", "/p"] {
            assert!(
                matches!(
                    start("/p/", Some(&c(bad))),
                    Err(BackpackError::InvalidCursor)
                ),
                "{bad}"
            );
        }
        assert_eq!(
            start("/p/", Some(&c("/p/a/"))).unwrap(),
            Start::From("/p/a0".into())
        );
        assert_eq!(
            start("/p/", Some(&c("/p/a"))).unwrap(),
            Start::After("/p/a".into())
        );
        assert!(ListCursor::parse("***").is_err());
        assert!(ListCursor::parse(&URL_SAFE_NO_PAD.encode([0xff, 0xfe])).is_err());
    }

    #[test]
    fn limits_are_one_to_a_thousand() {
        assert_eq!(ListLimit::new(0), None);
        assert_eq!(ListLimit::new(1001), None);
        assert_eq!(ListLimit::new(u64::MAX), None);
        assert_eq!(ListLimit::new(1000).unwrap().get(), 1000);
        assert_eq!(ListLimit::default().get(), 100);
    }
}
