//! The grammar rules EIP-4361 borrows from RFC 3986 (URIs), written out by hand.
//!
//! Every function here checks that a **whole** string matches one ABNF rule. They work on bytes,
//! never slice at a position that is not an ASCII delimiter, and never panic: any non-ASCII byte
//! simply fails every rule.
//!
//! One deliberate deviation from the letter of RFC 3986, pinned by the reference SIWE test
//! vectors (`valid_uris.json`): a `dec-octet` inside an IPv4 address may carry leading zeros
//! (`[::000.000.010.001]` is accepted) as long as it has at most three digits and its value is at
//! most 255. Outside brackets this makes no difference, since such a host is a valid `reg-name`.

// Byte classes, one bit each, looked up in a 256-entry table (the hot loops over long ReCap
// URIs and statements cost one load per byte).
const UNRESERVED: u16 = 1;
const SUB_DELIM: u16 = 1 << 1;
const GEN_DELIM: u16 = 1 << 2;
/// `pchar` without its `pct-encoded` alternative: unreserved / sub-delims / ":" / "@".
const PCHAR: u16 = 1 << 3;
/// `pchar / "/"` (path bytes).
const PATH: u16 = 1 << 4;
/// `pchar / "/" / "?"` (query and fragment bytes).
const QUERY: u16 = 1 << 5;
/// `unreserved / sub-delims / ":"` (userinfo and IPvFuture bytes).
const USERINFO: u16 = 1 << 6;
/// EIP-4361 statement bytes: `reserved / unreserved / " "`.
const STATEMENT: u16 = 1 << 7;

const fn class_of(b: u8) -> u16 {
    let unreserved = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    let sub = matches!(
        b,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    );
    let gen = matches!(b, b':' | b'/' | b'?' | b'#' | b'[' | b']' | b'@');
    let pchar = unreserved || sub || b == b':' || b == b'@';
    let mut c = 0;
    if unreserved {
        c |= UNRESERVED;
    }
    if sub {
        c |= SUB_DELIM;
    }
    if gen {
        c |= GEN_DELIM;
    }
    if pchar {
        c |= PCHAR;
    }
    if pchar || b == b'/' {
        c |= PATH;
    }
    if pchar || b == b'/' || b == b'?' {
        c |= QUERY;
    }
    if unreserved || sub || b == b':' {
        c |= USERINFO;
    }
    if unreserved || gen || sub || b == b' ' {
        c |= STATEMENT;
    }
    c
}

const CLASSES: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = class_of(i as u8);
        i += 1;
    }
    t
};

/// Whether byte `b` is in any of the classes of `mask`.
#[inline(always)]
fn is(b: u8, mask: u16) -> bool {
    CLASSES[usize::from(b)] & mask != 0
}

/// `*( pct-encoded / <a byte of the classes of mask> )` over the whole input.
fn pct_seq(s: &[u8], mask: u16) -> bool {
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if is(b, mask) {
            i += 1;
        } else if b == b'%' {
            let hex = |j: usize| s.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
        } else {
            return false;
        }
    }
    true
}

/// `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`
pub fn is_scheme(s: &str) -> bool {
    let b = s.as_bytes();
    match b.split_first() {
        Some((first, rest)) => {
            first.is_ascii_alphabetic()
                && rest
                    .iter()
                    .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
        }
        None => false,
    }
}

/// EIP-4361 `statement = *( reserved / unreserved / " " )`: no `%`, `"`, `<`, `>`, `\`, `^`,
/// `` ` ``, `{`, `|`, `}`, control characters (so no line break) or non-ASCII. May be empty.
pub fn is_statement(s: &str) -> bool {
    s.bytes().all(|b| is(b, STATEMENT))
}

/// `pct-encoded = "%" HEXDIG HEXDIG` (exactly one triplet).
pub fn is_pct_encoded(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 3 && b[0] == b'%' && b[1].is_ascii_hexdigit() && b[2].is_ascii_hexdigit()
}

/// `userinfo = *( unreserved / pct-encoded / sub-delims / ":" )`
pub fn is_userinfo(s: &str) -> bool {
    pct_seq(s.as_bytes(), USERINFO)
}

/// `IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )` (`v` case-insensitive,
/// as ABNF string literals are).
pub fn is_ipv_future(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(rest) = b.strip_prefix(b"v").or_else(|| b.strip_prefix(b"V")) else {
        return false;
    };
    let hex_len = rest.iter().take_while(|c| c.is_ascii_hexdigit()).count();
    if hex_len == 0 {
        return false;
    }
    match rest.get(hex_len..) {
        Some([b'.', tail @ ..]) => !tail.is_empty() && tail.iter().all(|&c| is(c, USERINFO)),
        _ => false,
    }
}

/// `reg-name = *( unreserved / pct-encoded / sub-delims )` (may be empty).
pub fn is_reg_name(s: &str) -> bool {
    pct_seq(s.as_bytes(), UNRESERVED | SUB_DELIM)
}

/// One `dec-octet`: 1 to 3 digits with a value of at most 255 (leading zeros tolerated, see the
/// module documentation).
fn is_dec_octet(b: &[u8]) -> bool {
    !b.is_empty()
        && b.len() <= 3
        && b.iter().all(u8::is_ascii_digit)
        && b.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')) <= 255
}

/// `IPv4address = dec-octet "." dec-octet "." dec-octet "." dec-octet`
pub fn is_ipv4_address(s: &str) -> bool {
    let mut n = 0;
    for part in s.as_bytes().split(|&b| b == b'.') {
        n += 1;
        if n > 4 || !is_dec_octet(part) {
            return false;
        }
    }
    n == 4
}

/// `h16 = 1*4HEXDIG`
fn is_h16(b: &[u8]) -> bool {
    !b.is_empty() && b.len() <= 4 && b.iter().all(u8::is_ascii_hexdigit)
}

/// Count the 16-bit pieces of one side of an IPv6 address (`h16 *( ":" h16 )`, the last piece
/// possibly an IPv4 address worth two pieces when `ipv4_tail` allows it). `None` when malformed.
fn ipv6_pieces(side: &[u8], ipv4_tail: bool) -> Option<usize> {
    if side.is_empty() {
        return Some(0);
    }
    let groups: Vec<&[u8]> = side.split(|&b| b == b':').collect();
    let last = groups.len() - 1;
    let mut count = 0usize;
    for (i, g) in groups.iter().enumerate() {
        if is_h16(g) {
            count += 1;
        } else if i == last && ipv4_tail && std::str::from_utf8(g).is_ok_and(is_ipv4_address) {
            count += 2;
        } else {
            return None;
        }
    }
    Some(count)
}

/// `IPv6address` (RFC 3986 §3.2.2): eight 16-bit pieces, or fewer with exactly one `::`, the
/// last 32 bits optionally written as an IPv4 address.
pub fn is_ipv6_address(s: &str) -> bool {
    let b = s.as_bytes();
    let dc = b.windows(2).position(|w| w == b"::");
    match dc {
        None => ipv6_pieces(b, true) == Some(8),
        Some(i) => {
            let (left, right) = (&b[..i], &b[i + 2..]);
            if right.windows(2).any(|w| w == b"::") {
                return false;
            }
            match (ipv6_pieces(left, false), ipv6_pieces(right, true)) {
                (Some(l), Some(r)) => l + r <= 7,
                _ => false,
            }
        }
    }
}

/// `IP-literal = "[" ( IPv6address / IPvFuture ) "]"`
pub fn is_ip_literal(s: &str) -> bool {
    s.strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .is_some_and(|inner| is_ipv6_address(inner) || is_ipv_future(inner))
}

/// `host = IP-literal / IPv4address / reg-name` (may be empty, as a `reg-name` may).
pub fn is_host(s: &str) -> bool {
    // Every IPv4address is also a reg-name.
    is_ip_literal(s) || is_reg_name(s)
}

/// `port = *DIGIT`
pub fn is_port(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// `segment = *pchar`; also EIP-4361's `request-id = *pchar`.
pub fn is_segment(s: &str) -> bool {
    pct_seq(s.as_bytes(), PCHAR)
}

/// `segment-nz = 1*pchar`
pub fn is_segment_nz(s: &str) -> bool {
    !s.is_empty() && is_segment(s)
}

/// `query = *( pchar / "/" / "?" )`
pub fn is_query(s: &str) -> bool {
    pct_seq(s.as_bytes(), QUERY)
}

/// `fragment = *( pchar / "/" / "?" )`
pub fn is_fragment(s: &str) -> bool {
    is_query(s)
}

/// A path made of `segment`s separated by `/` (the union of RFC 3986's `path-abempty`,
/// `path-absolute`, `path-rootless` and `path-empty` once the `//` of an authority is ruled out).
fn is_path(s: &str) -> bool {
    pct_seq(s.as_bytes(), PATH)
}

/// EIP-4361 `nonce = 8*( ALPHA / DIGIT )`
pub fn is_nonce(s: &str) -> bool {
    s.len() >= 8 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The parts of an RFC 3986 `authority = [ userinfo "@" ] host [ ":" port ]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authority<'a> {
    /// The userinfo before `@`, if any.
    pub userinfo: Option<&'a str>,
    /// The host, IP literals with their brackets (`[::1]`). May be empty.
    pub host: &'a str,
    /// The port after `:`, if any (may be empty: `host:` is a valid authority).
    pub port: Option<&'a str>,
}

/// Split and check an RFC 3986 `authority`. `None` when `s` is not one.
pub fn parse_authority(s: &str) -> Option<Authority<'_>> {
    let (userinfo, rest) = match s.split_once('@') {
        Some((u, r)) => (Some(u), r),
        None => (None, s),
    };
    if !userinfo.is_none_or(is_userinfo) {
        return None;
    }
    let (host, port) = if rest.starts_with('[') {
        let (inner, after) = rest.split_once(']')?;
        let host = rest.get(..inner.len() + 1)?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return None,
        };
        if !is_ip_literal(host) {
            return None;
        }
        (host, port)
    } else {
        let (host, port) = match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        };
        if !is_reg_name(host) {
            return None;
        }
        (host, port)
    };
    if !port.is_none_or(is_port) {
        return None;
    }
    Some(Authority {
        userinfo,
        host,
        port,
    })
}

/// `authority = [ userinfo "@" ] host [ ":" port ]`
pub fn is_authority(s: &str) -> bool {
    parse_authority(s).is_some()
}

/// The parts of an RFC 3986 `URI = scheme ":" hier-part [ "?" query ] [ "#" fragment ]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UriParts<'a> {
    /// The scheme (before the first `:`).
    pub scheme: &'a str,
    /// The authority, when the hierarchical part starts with `//`.
    pub authority: Option<Authority<'a>>,
    /// The path (possibly empty).
    pub path: &'a str,
    /// The query after `?`, if any.
    pub query: Option<&'a str>,
    /// The fragment after `#`, if any.
    pub fragment: Option<&'a str>,
}

/// Split and check an absolute RFC 3986 `URI` (not a relative reference). `None` when `s` is not
/// one.
pub fn parse_uri(s: &str) -> Option<UriParts<'_>> {
    let (scheme, rest) = s.split_once(':')?;
    if !is_scheme(scheme) {
        return None;
    }
    let (rest, fragment) = match rest.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (rest, None),
    };
    let (hier, query) = match rest.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (rest, None),
    };
    if !fragment.is_none_or(is_fragment) || !query.is_none_or(is_query) {
        return None;
    }
    let (authority, path) = match hier.strip_prefix("//") {
        Some(after) => {
            let end = after.find('/').unwrap_or(after.len());
            let (auth, path) = after.split_at_checked(end)?;
            (Some(parse_authority(auth)?), path)
        }
        None => (None, hier),
    };
    if !is_path(path) {
        return None;
    }
    Some(UriParts {
        scheme,
        authority,
        path,
        query,
        fragment,
    })
}

/// `URI` (RFC 3986 §3): an absolute URI with a scheme.
pub fn is_uri(s: &str) -> bool {
    parse_uri(s).is_some()
}

/// Check `input` against the rule named `rule` (RFC 3986 / EIP-4361 rule names, as in the
/// `valid_chars.json` vectors). `None` when the rule name is unknown.
pub fn matches_rule(rule: &str, input: &str) -> Option<bool> {
    let f: fn(&str) -> bool = match rule {
        "scheme" => is_scheme,
        "statement" => is_statement,
        "pct-encoded" => is_pct_encoded,
        "userinfo" => is_userinfo,
        "IPvFuture" => is_ipv_future,
        "reg-name" => is_reg_name,
        "IPv4address" => is_ipv4_address,
        "IPv6address" => is_ipv6_address,
        "IP-literal" => is_ip_literal,
        "host" => is_host,
        "port" => is_port,
        "authority" => is_authority,
        "segment" | "request-id" => is_segment,
        "segment-nz" => is_segment_nz,
        "query" => is_query,
        "fragment" => is_fragment,
        "URI" | "uri" => is_uri,
        "nonce" => is_nonce,
        _ => return None,
    };
    Some(f(input))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_forms() {
        for ok in [
            "::",
            "::1",
            "1::",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::1:2:3:4:5:6:7",
            "1:2:3:4:5:6:1.2.3.4",
            "::1.2.3.4",
            "1::1.2.3.4",
            "1:2:3:4:5::1.2.3.4",
            "fe80::cafe",
        ] {
            assert!(is_ipv6_address(ok), "{ok}");
        }
        for bad in [
            "",
            ":",
            ":::",
            "1:::2",
            "1::2::3",
            "1:2:3:4:5:6:7",
            "1:2:3:4:5:6:7:8:9",
            "::1:2:3:4:5:6:7:8",
            "1.2.3.4::",
            "1:2:3:4:5:6::1.2.3.4",
            "12345::",
            "g::",
            ":1:2:3:4:5:6:7",
            "1:2:3:4:5:6:7:",
            "::1.2.3.256",
            "::1.2.3",
        ] {
            assert!(!is_ipv6_address(bad), "{bad}");
        }
    }

    #[test]
    fn authorities() {
        assert_eq!(
            parse_authority("u:p@[::1]:80"),
            Some(Authority {
                userinfo: Some("u:p"),
                host: "[::1]",
                port: Some("80")
            })
        );
        assert_eq!(
            parse_authority("example.com"),
            Some(Authority {
                userinfo: None,
                host: "example.com",
                port: None
            })
        );
        for bad in ["a@b@c", "[::1", "[::1]x", "a:b:c", "a:8x", "#x", "a b", "é"] {
            assert!(parse_authority(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn uris() {
        for ok in [
            "uri:",
            "urn:recap:eyJhdHQiOnt9fQ",
            "lit:session:abc",
            "https://example.com/a/b?c=d#e",
            "mailto:user@example.com",
            "did:key:z6Mk",
            "file:///etc/passwd",
            "a+b.c-d:/x",
        ] {
            assert!(is_uri(ok), "{ok}");
        }
        for bad in [
            "",
            ":",
            "sample.org",
            "1a:x",
            "a b:x",
            "https://ex ample.com",
            "a:%zz",
            "a:é",
        ] {
            assert!(!is_uri(bad), "{bad}");
        }
    }

    #[test]
    fn never_panics_on_odd_bytes() {
        for s in [
            "%",
            "%a",
            "[",
            "]",
            "[]",
            "v",
            "v.",
            "vé.x",
            "é:é",
            "x://é",
            "x://[é]:",
        ] {
            for rule in [
                "scheme",
                "userinfo",
                "IPvFuture",
                "reg-name",
                "URI",
                "authority",
            ] {
                let _ = matches_rule(rule, s);
            }
        }
    }
}
