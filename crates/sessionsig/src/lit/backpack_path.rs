//! Backpack paths: refused when doubtful, never resolved or normalised.
//!
//! A path names an object (`/photos/a.jpg`) or a folder (`/photos/`, ending in `/`); `/` is
//! the whole backpack. Every grant, every store key and every listing is keyed by the
//! *decoded* path, so the one thing that must never happen is two different spellings
//! reaching two different meanings — a request that says `/photos/%2e%2e/keys` and is
//! answered from `/keys`. Servers usually defend by resolving (`..` pops a segment) or
//! normalising; each such step is a place where the proxy in front, the node and the object
//! store can disagree. The backpack instead refuses every input whose meaning could depend on
//! who reads it, with `400 invalid_path`, and keeps the rest byte for byte.
//!
//! # The rules
//!
//! The raw text (the URL path after `/v1/backpack/<owner>`, or the path of a
//! `backpack://<owner>/<path>` ReCap resource) is percent-decoded **exactly once**:
//!
//! * it must start with `/`; raw `\`, `?`, `#`, space and control characters are refused
//!   (they are never part of a URI path: a client must escape them, so seeing them raw
//!   means someone upstream already decoded, or is smuggling);
//! * `%` must be followed by two hex digits; an escape may not decode to `/` (`%2F` would
//!   turn one segment into two for anyone who decodes twice) or `\`;
//! * the decoded bytes must be UTF-8 (this refuses overlong forms such as `%C0%AE`).
//!
//! The decoded path, which is what [`BackpackPath`] stores, must then satisfy:
//!
//! * at most [`MAX_PATH_BYTES`] bytes, each segment at most [`MAX_SEGMENT_BYTES`];
//! * no empty segment (`//`);
//! * no segment made only of dots and spaces (`.`, `..`, `...`, `.. `): `.` and `..` are the
//!   classic traversal, and Windows (and servers modelled on it) strip trailing dots and
//!   spaces, turning `... ` into `..`; no real name needs one;
//! * no segment whose part before the first `;` is empty or only dots and spaces (`..;`):
//!   Tomcat, Jetty and Spring treat `;` as a path-parameter delimiter and resolve `/..;/`;
//! * no control character (Unicode `Cc`, which includes NUL, C0, DEL and C1), no `\`, no
//!   bidirectional formatting character (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F,
//!   U+061C: they make `gpj.exe` display as `exe.jpg`);
//! * no `%` followed by two hex digits: that is what a double escape (`%252e`) decodes to,
//!   and a second decoder, anywhere, would turn it into another path;
//! * no segment whose Unicode compatibility form (NFKC) would be a dot segment or contain `/`
//!   or `\` (`．．`, `‥`, `／`, `＼`): the backpack itself never normalises, but file systems
//!   (HFS+, some SMB shares), sync clients and S3 gateways do, and there a look-alike becomes
//!   a real traversal. Ordinary non-ASCII names (`café`, `写真`) are unaffected.
//!
//! Everything else is kept exactly, including case, Unicode form (NFC and NFD spellings are
//! different names), `+`, `;` inside a name, trailing dots (`notes.`), and leading dots
//! (`.hidden`).
//!
//! Decoding is written here rather than taken from `percent-encoding`, whose decoder passes
//! malformed escapes through unchanged (`%zz` stays `%zz`): the rules above need to *see*
//! each escape to refuse it. Encoding back uses `percent-encoding`.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::fmt;
use std::str::FromStr;
use unicode_normalization::UnicodeNormalization;

/// The longest decoded path, in bytes: bounds every key the stores and grants hold.
pub const MAX_PATH_BYTES: usize = 1024;
/// The longest decoded segment, in bytes: the common file-system limit (ext4, APFS, NTFS
/// in UTF-16 units), so a backpack can always be mirrored to disk.
pub const MAX_SEGMENT_BYTES: usize = 255;
/// The longest raw (encoded) path looked at: three bytes per decoded byte at most, so a
/// longer raw text cannot decode to a valid path and is refused before any work.
pub const MAX_RAW_PATH_BYTES: usize = 3 * MAX_PATH_BYTES;

/// Why a path was refused. Every variant maps to `400 invalid_path`; the variant is for the
/// message and for tests that pin the exact rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// The path is empty or does not start with `/`.
    #[error("a path starts with `/`")]
    NotAbsolute,
    /// Longer than [`MAX_PATH_BYTES`] (decoded) or [`MAX_RAW_PATH_BYTES`] (raw).
    #[error("path longer than {MAX_PATH_BYTES} bytes")]
    TooLong,
    /// A segment longer than [`MAX_SEGMENT_BYTES`].
    #[error("path segment longer than {MAX_SEGMENT_BYTES} bytes")]
    SegmentTooLong,
    /// `//`: an empty segment.
    #[error("empty path segment (`//`)")]
    EmptySegment,
    /// A segment made only of dots and spaces, or one before a `;` parameter.
    #[error("`.`, `..` and other dot-only segments are not allowed")]
    DotSegment,
    /// A `\`, raw or escaped.
    #[error("`\\` is not allowed in a path")]
    Backslash,
    /// A control character (NUL, C0, DEL, C1), raw or escaped.
    #[error("control characters are not allowed in a path")]
    ControlCharacter,
    /// A bidirectional formatting character.
    #[error("bidirectional formatting characters are not allowed in a path")]
    BidiControl,
    /// A raw character that must be percent-escaped in a URI path (space, `?`, `#`).
    #[error("space, `?` and `#` must be percent-escaped in a path")]
    Unescaped,
    /// A `%` not followed by two hex digits.
    #[error("`%` must start an escape of two hex digits")]
    MalformedEscape,
    /// `%2F`: an escaped segment separator.
    #[error("an escaped `/` (`%2F`) is not allowed")]
    EscapedSlash,
    /// `%25` followed by an escape (`%252e`), or its decoded form `%2e` in a stored path.
    #[error("double percent-escapes (`%25` + hex hex) are not allowed")]
    DoubleEscape,
    /// The decoded bytes are not UTF-8 (including overlong forms like `%C0%AE`).
    #[error("escapes must decode to UTF-8")]
    InvalidUtf8,
    /// A segment whose NFKC form is a dot segment or contains `/` or `\`.
    #[error("a segment looks like `.`, `..`, `/` or `\\` after Unicode compatibility mapping")]
    CompatibilityLookalike,
}

/// A validated backpack path, decoded, as stored and compared. Only the constructors below
/// make one, so holding a `BackpackPath` means every rule of this module held.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BackpackPath(String);

/// What [`BackpackPath::to_url_path`] escapes: everything but RFC 3986 `pchar` and `/`.
const URL_PATH_ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@')
    .remove(b'/');

impl BackpackPath {
    /// The path of an HTTP request, as it appears on the wire (still percent-encoded: take it
    /// from `Uri::path()`, never from a router's decoded capture). Decoded exactly once.
    pub fn from_request_path(raw: &str) -> Result<Self, PathError> {
        Self::from_decoded(&decode_once(raw)?)
    }

    /// The path part of a `backpack://<owner><path>` ReCap resource. The same rules as
    /// [`Self::from_request_path`], so a grant and a request that spell the same path reach
    /// the same `BackpackPath`, and no grant can name what no request could.
    pub fn from_recap(raw: &str) -> Result<Self, PathError> {
        Self::from_decoded(&decode_once(raw)?)
    }

    /// A path that is already decoded — a store key read back, a listing entry. Checked
    /// against the same rules, so the stores cannot hand out a path a request could not name.
    pub fn from_decoded(path: &str) -> Result<Self, PathError> {
        validate_decoded(path)?;
        Ok(BackpackPath(path.to_owned()))
    }

    /// The whole backpack, `/`.
    pub fn root() -> Self {
        BackpackPath("/".to_owned())
    }

    /// The decoded path: the key for stores and comparisons.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A folder path ends with `/` and covers everything below it.
    pub fn is_folder(&self) -> bool {
        self.0.ends_with('/')
    }

    /// The decoded segments, without separators (`/` has none; `/a/b/` has `a`, `b`).
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        let body = &self.0[1..];
        let body = body.strip_suffix('/').unwrap_or(body);
        body.split('/').filter(|s| !s.is_empty())
    }

    /// The folder that holds this path (`/a/b.txt` and `/a/b/` → `/a/`); `None` for `/`.
    /// Listings and "create the parent" logic walk up with it.
    pub fn parent(&self) -> Option<BackpackPath> {
        if self.0 == "/" {
            return None;
        }
        let trimmed = self.0.strip_suffix('/').unwrap_or(&self.0);
        let cut = trimmed.rfind('/')?;
        Some(BackpackPath(trimmed[..=cut].to_owned()))
    }

    /// Whether a grant on `self` reaches `other`: a folder covers itself and everything below
    /// it by whole segments (`/photos/` covers `/photos/2024/a.jpg`, never
    /// `/photos-old/a.jpg`); an object covers only itself.
    pub fn covers(&self, other: &BackpackPath) -> bool {
        if self.is_folder() {
            // `self` ends with `/`, so a prefix match always ends on a segment boundary.
            other.0.starts_with(&self.0)
        } else {
            self.0 == other.0
        }
    }

    /// The path as a URL path: every byte outside RFC 3986 `pchar` (and `/`) escaped, so
    /// that `from_request_path(p.to_url_path()) == p` for every valid `p`.
    pub fn to_url_path(&self) -> String {
        utf8_percent_encode(&self.0, URL_PATH_ESCAPE).to_string()
    }
}

impl fmt::Display for BackpackPath {
    /// The decoded path (for messages and logs, not for URLs: use `to_url_path`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for BackpackPath {
    type Err = PathError;

    /// Parses a URL-form (percent-encoded) path, as [`BackpackPath::from_request_path`].
    fn from_str(s: &str) -> Result<Self, PathError> {
        BackpackPath::from_request_path(s)
    }
}

/// Percent-decode `raw` exactly once, refusing what the module doc lists for raw text.
fn decode_once(raw: &str) -> Result<String, PathError> {
    if raw.len() > MAX_RAW_PATH_BYTES {
        return Err(PathError::TooLong);
    }
    if !raw.starts_with('/') {
        return Err(PathError::NotAbsolute);
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|c| hex_value(*c));
                let lo = bytes.get(i + 2).and_then(|c| hex_value(*c));
                let (Some(hi), Some(lo)) = (hi, lo) else {
                    return Err(PathError::MalformedEscape);
                };
                let v = hi << 4 | lo;
                match v {
                    b'/' => return Err(PathError::EscapedSlash),
                    b'\\' => return Err(PathError::Backslash),
                    _ => out.push(v),
                }
                i += 3;
            }
            b'\\' => return Err(PathError::Backslash),
            0..=0x1f | 0x7f => return Err(PathError::ControlCharacter),
            b' ' | b'?' | b'#' => return Err(PathError::Unescaped),
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| PathError::InvalidUtf8)
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Is `c` a bidirectional formatting character (display spoofing of names)?
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// A segment that some reader could take for `.` or `..`: only dots and spaces before the
/// first `;` (an empty head included, as in `/;x/`).
fn is_dot_like(segment: &str) -> bool {
    let head = segment.split(';').next().unwrap_or("");
    head.chars().all(|c| c == '.' || c == ' ')
}

/// The rules on the decoded form (module doc, second list).
fn validate_decoded(path: &str) -> Result<(), PathError> {
    if !path.starts_with('/') {
        return Err(PathError::NotAbsolute);
    }
    if path.len() > MAX_PATH_BYTES {
        return Err(PathError::TooLong);
    }
    for c in path.chars() {
        if c.is_control() {
            return Err(PathError::ControlCharacter);
        }
        if c == '\\' {
            return Err(PathError::Backslash);
        }
        if is_bidi_control(c) {
            return Err(PathError::BidiControl);
        }
    }
    let b = path.as_bytes();
    if b.windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
    {
        return Err(PathError::DoubleEscape);
    }
    let body = &path[1..];
    if body.is_empty() {
        return Ok(());
    }
    let body = body.strip_suffix('/').unwrap_or(body);
    for segment in body.split('/') {
        if segment.is_empty() {
            return Err(PathError::EmptySegment);
        }
        if segment.len() > MAX_SEGMENT_BYTES {
            return Err(PathError::SegmentTooLong);
        }
        if is_dot_like(segment) {
            return Err(PathError::DotSegment);
        }
        if !segment.is_ascii() {
            let compat: String = segment.nfkc().collect();
            if compat.contains(['/', '\\']) || is_dot_like(&compat) {
                return Err(PathError::CompatibilityLookalike);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> BackpackPath {
        BackpackPath::from_request_path(s).unwrap()
    }

    #[test]
    fn folders_objects_and_root() {
        assert!(p("/").is_folder());
        assert_eq!(p("/").segments().count(), 0);
        assert!(p("/photos/").is_folder());
        assert!(!p("/photos").is_folder());
        assert_eq!(
            p("/a/b/c.txt").segments().collect::<Vec<_>>(),
            ["a", "b", "c.txt"]
        );
        assert_eq!(p("/a/b/").segments().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(BackpackPath::root(), p("/"));
    }

    #[test]
    fn parent_walks_up_to_root() {
        assert_eq!(p("/a/b.txt").parent(), Some(p("/a/")));
        assert_eq!(p("/a/b/").parent(), Some(p("/a/")));
        assert_eq!(p("/a").parent(), Some(p("/")));
        assert_eq!(p("/a/").parent(), Some(p("/")));
        assert_eq!(p("/").parent(), None);
    }

    #[test]
    fn folders_cover_by_whole_segments() {
        let photos = p("/photos/");
        assert!(photos.covers(&p("/photos/")));
        assert!(photos.covers(&p("/photos/2024/a.jpg")));
        assert!(photos.covers(&p("/photos/2024/")));
        assert!(!photos.covers(&p("/photos-old/a.jpg")));
        assert!(!photos.covers(&p("/photos")));
        assert!(!photos.covers(&p("/")));
        assert!(p("/").covers(&p("/anything/at/all")));
        let object = p("/photos/a.jpg");
        assert!(object.covers(&p("/photos/a.jpg")));
        assert!(!object.covers(&p("/photos/a.jpg.bak")));
        assert!(!object.covers(&p("/photos/a.jpg/")));
        assert!(!p("/photos").covers(&p("/photos/a.jpg")));
    }

    #[test]
    fn decodes_exactly_once() {
        assert_eq!(p("/a%20b").as_str(), "/a b");
        assert_eq!(p("/a%2Bb").as_str(), "/a+b");
        assert_eq!(p("/100%25").as_str(), "/100%");
        assert_eq!(p("/caf%C3%A9").as_str(), "/café");
        assert_eq!(p("/%25zz").as_str(), "/%zz");
        assert_eq!(
            BackpackPath::from_request_path("/%252e"),
            Err(PathError::DoubleEscape)
        );
        // A double escape spelled with escaped hex digits is still one.
        assert_eq!(
            BackpackPath::from_request_path("/%25%32%65"),
            Err(PathError::DoubleEscape)
        );
    }

    #[test]
    fn each_rule_has_its_reason() {
        use PathError::*;
        let cases: &[(&str, PathError)] = &[
            ("", NotAbsolute),
            ("a/b", NotAbsolute),
            ("/a//b", EmptySegment),
            ("//", EmptySegment),
            ("/./a", DotSegment),
            ("/a/..", DotSegment),
            ("/a/../", DotSegment),
            ("/.../", DotSegment),
            ("/..%20/", DotSegment),
            ("/..;/x", DotSegment),
            ("/;x", DotSegment),
            ("/a\\b", Backslash),
            ("/a%5cb", Backslash),
            ("/a%00", ControlCharacter),
            ("/a\u{1}", ControlCharacter),
            ("/a%C2%85", ControlCharacter),
            ("/a%7F", ControlCharacter),
            ("/a%E2%80%AEb", BidiControl),
            ("/a b", Unescaped),
            ("/a?b", Unescaped),
            ("/a#b", Unescaped),
            ("/a%", MalformedEscape),
            ("/a%2", MalformedEscape),
            ("/a%zz", MalformedEscape),
            ("/a%2fb", EscapedSlash),
            ("/a%2Fb", EscapedSlash),
            ("/%c0%ae%c0%ae/", InvalidUtf8),
            ("/%ff", InvalidUtf8),
            ("/%EF%BC%8E%EF%BC%8E/", CompatibilityLookalike),
            ("/a%EF%BC%8Fb", CompatibilityLookalike),
            ("/%E2%80%A5", CompatibilityLookalike),
        ];
        for (raw, why) in cases {
            assert_eq!(BackpackPath::from_request_path(raw), Err(*why), "{raw:?}");
            assert_eq!(BackpackPath::from_recap(raw), Err(*why), "{raw:?}");
        }
    }

    #[test]
    fn length_limits_are_in_decoded_bytes() {
        let seg = "a".repeat(MAX_SEGMENT_BYTES);
        assert!(BackpackPath::from_request_path(&format!("/{seg}")).is_ok());
        assert_eq!(
            BackpackPath::from_request_path(&format!("/{seg}a")),
            Err(PathError::SegmentTooLong)
        );
        // 255 bytes written as 765 bytes of escapes is fine: the limit is on the name.
        let escaped = "%61".repeat(MAX_SEGMENT_BYTES);
        assert_eq!(p(&format!("/{escaped}")).as_str(), format!("/{seg}"));
        let mut long = String::new();
        while long.len() + 101 <= MAX_PATH_BYTES {
            long.push('/');
            long.push_str(&"b".repeat(100));
        }
        long.push('/');
        long.push_str(&"c".repeat(MAX_PATH_BYTES - long.len()));
        assert_eq!(long.len(), MAX_PATH_BYTES);
        assert!(BackpackPath::from_request_path(&long).is_ok());
        long.push('c');
        assert_eq!(
            BackpackPath::from_request_path(&long),
            Err(PathError::TooLong)
        );
        let raw_too_long = format!("/{}", "a".repeat(MAX_RAW_PATH_BYTES));
        assert_eq!(
            BackpackPath::from_request_path(&raw_too_long),
            Err(PathError::TooLong)
        );
    }

    #[test]
    fn url_form_escapes_what_it_must() {
        assert_eq!(p("/a%20b/c%3Fd").to_url_path(), "/a%20b/c%3Fd");
        assert_eq!(p("/100%25").to_url_path(), "/100%25");
        assert_eq!(p("/caf%C3%A9").to_url_path(), "/caf%C3%A9");
        assert_eq!(p("/a+b;c=d@e:f").to_url_path(), "/a+b;c=d@e:f");
        assert_eq!(p("/%61").to_url_path(), "/a");
    }

    #[test]
    fn from_decoded_applies_the_same_rules() {
        assert_eq!(BackpackPath::from_decoded("/a b").unwrap().as_str(), "/a b");
        assert_eq!(
            BackpackPath::from_decoded("/a%2e"),
            Err(PathError::DoubleEscape)
        );
        assert_eq!(
            BackpackPath::from_decoded("/a/../b"),
            Err(PathError::DotSegment)
        );
        assert_eq!(BackpackPath::from_decoded("/?#").unwrap().as_str(), "/?#");
    }

    /// Any Unicode scalar except the few the rules refuse, as a path segment alphabet.
    fn segment() -> impl Strategy<Value = String> {
        proptest::collection::vec(any::<char>(), 1..12).prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn decode_of_encode_is_identity(segs in proptest::collection::vec(segment(), 0..6), folder: bool) {
            let mut text = String::from("/");
            text.push_str(&segs.join("/"));
            if folder && !segs.is_empty() {
                text.push('/');
            }
            if let Ok(path) = BackpackPath::from_decoded(&text) {
                let url = path.to_url_path();
                prop_assert!(url.is_ascii());
                prop_assert_eq!(BackpackPath::from_request_path(&url), Ok(path.clone()));
                prop_assert_eq!(BackpackPath::from_recap(&url), Ok(path.clone()));
                prop_assert!(path.covers(&path));
                if let Some(parent) = path.parent() {
                    prop_assert!(parent.is_folder());
                    prop_assert!(parent.covers(&path));
                    prop_assert_eq!(BackpackPath::from_decoded(parent.as_str()), Ok(parent.clone()));
                }
            }
        }

        #[test]
        fn raw_input_never_panics_and_valid_output_is_stable(raw in "/[ -~\\u{80}-\\u{3000}]{0,40}") {
            if let Ok(path) = BackpackPath::from_request_path(&raw) {
                prop_assert_eq!(BackpackPath::from_decoded(path.as_str()), Ok(path.clone()));
                prop_assert_eq!(BackpackPath::from_request_path(&path.to_url_path()), Ok(path));
            }
        }
    }
}
