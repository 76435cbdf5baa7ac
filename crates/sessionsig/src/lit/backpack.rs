//! Backpack resources, `backpack://<owner>/<path>`: what a grant on the data backpack names.
//!
//! The verifier must decide coverage exactly, so the grammar lives in the core: `<owner>` is the
//! wallet as lowercase `0x` + 40 hex; `<path>` starts with `/`; a path ending in `/` is a folder
//! and covers everything below it **by whole segments** (`/photos/` covers `/photos/2024/a.jpg`,
//! never `/photos-old/a.jpg`). A path that could mean another path is refused, never
//! normalised: `.`/`..`/empty segments, `\`, control characters, bad or double escapes, escapes
//! of `/`, over-long paths or segments (see [`BackpackPath`]).

use crate::error::{Error, Result};
use alloy_primitives::Address;

/// Longest decoded path (bytes).
pub const MAX_PATH_LEN: usize = 1024;
/// Longest decoded segment (bytes).
pub const MAX_SEGMENT_LEN: usize = 255;

/// A checked backpack path, held decoded (the form stored and compared).
///
/// Built only by [`BackpackPath::decode`], so every value obeys the rules in the module doc.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BackpackPath(String);

impl BackpackPath {
    /// Percent-decode `raw` exactly once and check every rule.
    ///
    /// Errors: [`Error::InvalidPath`] naming the rule broken.
    pub fn decode(raw: &str) -> Result<Self> {
        let bad = |why: &str| Error::InvalidPath(format!("{}: {why}", shown(raw)));
        if !raw.starts_with('/') {
            return Err(bad("a path starts with `/`"));
        }
        let bytes = raw.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'%' {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .filter(|_| {
                        bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit()
                    });
                let Some(d) = hex else {
                    return Err(bad("`%` is not followed by two hex digits"));
                };
                match d {
                    b'/' | b'\\' => return Err(bad("an escape decodes to a path separator")),
                    b'%' => {
                        let next_two = bytes.get(i + 3..i + 5);
                        if next_two.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                            return Err(bad("a double escape (`%25` + hex)"));
                        }
                    }
                    _ => {}
                }
                out.push(d);
                i += 3;
            } else {
                out.push(b);
                i += 1;
            }
        }
        let path = String::from_utf8(out).map_err(|_| bad("not UTF-8 once decoded"))?;
        if path.len() > MAX_PATH_LEN {
            return Err(bad("longer than 1024 bytes"));
        }
        if path.chars().any(|c| c.is_control() || c == '\\') {
            return Err(bad("a control character or `\\`"));
        }
        let body = &path[1..];
        let body = body.strip_suffix('/').unwrap_or(body);
        if !body.is_empty() {
            for seg in body.split('/') {
                match seg {
                    "" => return Err(bad("an empty segment")),
                    "." | ".." => return Err(bad("a `.` or `..` segment")),
                    s if s.len() > MAX_SEGMENT_LEN => {
                        return Err(bad("a segment longer than 255 bytes"))
                    }
                    _ => {}
                }
            }
        } else if path.len() > 1 {
            return Err(bad("an empty segment"));
        }
        Ok(BackpackPath(path))
    }

    /// The decoded path.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A folder (ends with `/`) names everything below it; otherwise one object.
    pub fn is_folder(&self) -> bool {
        self.0.ends_with('/')
    }

    /// Whether a grant on `self` reaches `other`: the same path, or `self` is a folder and
    /// `other` lies below it by whole segments.
    pub fn covers(&self, other: &BackpackPath) -> bool {
        self.0 == other.0 || (self.is_folder() && other.0.starts_with(&self.0))
    }

    /// The path percent-encoded for a URI: every byte outside RFC 3986 `unreserved`, `/` and a
    /// few safe sub-delims is escaped, so that [`BackpackPath::decode`] gives it back.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(self.0.len());
        for &b in self.0.as_bytes() {
            if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }
}

/// A whole backpack resource id (`<owner><path>`, the part after `backpack://`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BackpackId {
    /// Whose backpack.
    pub owner: Address,
    /// Where in it.
    pub path: BackpackPath,
}

impl BackpackId {
    /// Parse `0x<40 lowercase hex><path>`.
    ///
    /// Errors: [`Error::InvalidResource`] for a bad owner; [`Error::InvalidPath`] for a bad path.
    pub fn parse(id: &str) -> Result<Self> {
        let owner_text = id.get(..42).filter(|o| {
            o.starts_with("0x")
                && o[2..]
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
        let Some(owner_text) = owner_text else {
            return Err(Error::InvalidResource(format!(
                "backpack owner must be lowercase 0x + 40 hex: {}",
                shown(id)
            )));
        };
        let owner = owner_text
            .parse::<Address>()
            .map_err(|e| Error::InvalidResource(e.to_string()))?;
        let path = BackpackPath::decode(&id[42..])?;
        Ok(BackpackId { owner, path })
    }

    /// The id as written in a resource key: lowercase owner, encoded path.
    pub fn to_id(&self) -> String {
        format!("{:#x}{}", self.owner, self.path.encode())
    }

    /// Same owner, and this path covers the other's.
    pub fn covers(&self, other: &BackpackId) -> bool {
        self.owner == other.owner && self.path.covers(&other.path)
    }
}

fn shown(raw: &str) -> String {
    let s: String = raw.chars().take(120).collect();
    format!("{s:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: &str = "0x00000000000000000000000000000000000000aa";

    #[test]
    fn folders_cover_by_whole_segments() {
        let p = |s| BackpackPath::decode(s).unwrap();
        assert!(p("/photos/").covers(&p("/photos/2024/a.jpg")));
        assert!(p("/photos/").covers(&p("/photos/")));
        assert!(!p("/photos/").covers(&p("/photos-old/a.jpg")));
        assert!(!p("/photos").covers(&p("/photos/a.jpg")));
        assert!(p("/").covers(&p("/anything/at/all")));
        assert!(p("/a.jpg").covers(&p("/a.jpg")));
    }

    #[test]
    fn paths_that_could_mean_another_are_refused() {
        for bad in [
            "",
            "photos",
            "//",
            "/a//b",
            "/./a",
            "/a/..",
            "/a/../b",
            "/%2e%2e/b",
            "/a%2fb",
            "/a%5cb",
            "/a\\b",
            "/a%00",
            "/a%0a",
            "/%zz",
            "/%4",
            "/%252e%252e/",
            "/%ff",
            "/a/%2E/",
            "/\u{7f}",
        ] {
            let e = BackpackPath::decode(bad).unwrap_err();
            assert_eq!(e.code(), "invalid_path", "{bad:?}");
        }
        let long = format!("/{}", "a".repeat(256));
        assert_eq!(
            BackpackPath::decode(&long).unwrap_err().code(),
            "invalid_path"
        );
        let total = format!("/{}", vec!["a".repeat(200); 6].join("/"));
        assert_eq!(
            BackpackPath::decode(&total).unwrap_err().code(),
            "invalid_path"
        );
    }

    #[test]
    fn ids_round_trip() {
        for id in [
            format!("{OWNER}/"),
            format!("{OWNER}/photos/"),
            format!("{OWNER}/photos/summer%20trip/a.jpg"),
            format!("{OWNER}/%C3%A9t%C3%A9/"),
        ] {
            let parsed = BackpackId::parse(&id).unwrap();
            assert_eq!(BackpackId::parse(&parsed.to_id()).unwrap(), parsed);
        }
        let upper = OWNER.to_uppercase().replacen("0X", "0x", 1);
        assert_eq!(
            BackpackId::parse(&format!("{upper}/")).unwrap_err().code(),
            "invalid_resource"
        );
        assert_eq!(
            BackpackId::parse(&format!("{OWNER}x/")).unwrap_err().code(),
            "invalid_path"
        );
    }
}
