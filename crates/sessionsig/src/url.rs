//! The one URL type: every configured or exchanged URL (node identities, node lists, store and
//! JSON-RPC endpoints) is parsed once, here, by the WHATWG parser of the `url` crate, and
//! printed only through one redaction rule.
//!
//! Two shapes:
//! * [`NodeUrl`] — a node's public URL (`http`, `https`, `ws`, `wss`; a host; no user
//!   information, query or fragment). It holds no secret, so it prints whole.
//! * [`EndpointUrl`] — an `http`/`https` endpoint the operator configured, e.g. a JSON-RPC
//!   provider whose API key is in the path, the query or the user information. Its `Debug`
//!   and `Display` are [`redact_url`]'s; [`EndpointUrl::expose`] gives the whole URL to the
//!   one place that sends a request to it.
//!
//! What the WHATWG parser would silently repair is refused first, so a URL never means more
//! than was written: white space and control characters anywhere (the parser drops tabs and
//! newlines inside a URL), a backslash (read as `/` in `http` URLs), `https:///host` (read as
//! `https://host/`), characters no URL holds unescaped (`"`, `<`, `>`, `^`, `` ` ``, `{`, `|`,
//! `}`; non-ASCII: write a host in its `xn--` form), and more than [`MAX_URL_BYTES`].

use crate::error::{Error, Result};

/// The longest URL accepted, in bytes (as most HTTP servers' request-line limits).
pub const MAX_URL_BYTES: usize = 2048;

/// A node's public URL: what `nodeAddress` names and what a client sends requests to.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NodeUrl {
    url: url::Url,
}

impl NodeUrl {
    /// Parse `text` as a node URL (`https://127.0.0.1:7470`, `http://node.example/lit`).
    pub fn parse(text: &str) -> Result<Self> {
        let url = parse_checked(text, &["http", "https", "ws", "wss"])
            .map_err(|_| Error::InvalidNodeUrl(redact_url(text)))?;
        if !url.username().is_empty()
            || url.password().is_some()
            || url.query().is_some()
            || url.fragment().is_some()
            || url.port_or_known_default().is_none()
        {
            return Err(Error::InvalidNodeUrl(redact_url(text)));
        }
        Ok(NodeUrl { url })
    }

    /// Parse `text` as the URL of a node a client can send HTTP requests to: [`NodeUrl::parse`]
    /// with the scheme `http` or `https` (not `ws`/`wss`).
    pub fn parse_http(text: &str) -> Result<Self> {
        let url = NodeUrl::parse(text)?;
        if matches!(url.scheme(), "http" | "https") {
            Ok(url)
        } else {
            Err(Error::InvalidNodeUrl(redact_url(text)))
        }
    }

    /// The URL in its normalised form (lower-case scheme and host, no default port; the root
    /// path is `/`).
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// The scheme, lower case.
    pub fn scheme(&self) -> &str {
        self.url.scheme()
    }

    /// The host as written in a URL (an IPv6 address in brackets), lower case.
    pub fn host(&self) -> &str {
        self.url.host_str().unwrap_or("")
    }

    /// The port, written or implied by the scheme.
    pub fn port(&self) -> u16 {
        self.url.port_or_known_default().unwrap_or(0)
    }

    /// The path without its trailing `/` (`""` for the root).
    pub fn path_trimmed(&self) -> &str {
        let p = self.url.path();
        p.strip_suffix('/').unwrap_or(p)
    }

    /// The origin, `scheme://host[:port]` (the port only when not the scheme's default), as a
    /// browser's Content-Security-Policy names it.
    pub fn origin(&self) -> String {
        self.url.origin().ascii_serialization()
    }

    /// `host:port`, the port always written.
    pub fn host_port(&self) -> String {
        format!("{}:{}", self.host(), self.port())
    }

    /// This URL and `path` joined with exactly one `/` (`https://n/lit` + `v1/x` →
    /// `https://n/lit/v1/x`).
    pub fn join(&self, path: &str) -> String {
        format!(
            "{}/{}",
            self.url.as_str().trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    }
}

impl std::fmt::Debug for NodeUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NodeUrl({})", self.url.as_str())
    }
}

impl std::fmt::Display for NodeUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.url.as_str())
    }
}

impl std::str::FromStr for NodeUrl {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        NodeUrl::parse(s)
    }
}

/// An `http`/`https` endpoint that may carry a secret (user information, an API key in the
/// path or query). Printing it shows [`redact_url`]'s form only.
#[derive(Clone, PartialEq, Eq)]
pub struct EndpointUrl {
    url: url::Url,
}

impl EndpointUrl {
    /// Parse `text` as an endpoint URL; the error shows it redacted.
    pub fn parse(text: &str) -> Result<Self> {
        parse_checked(text, &["http", "https"])
            .map(|url| EndpointUrl { url })
            .map_err(|reason| Error::InvalidUrl {
                url: redact_url(text),
                reason,
            })
    }

    /// The whole URL, secrets included: only for sending a request to it.
    pub fn expose(&self) -> &str {
        self.url.as_str()
    }

    /// The URL fit to print.
    pub fn redacted(&self) -> String {
        redact_url(self.url.as_str())
    }
}

impl std::fmt::Debug for EndpointUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EndpointUrl({})", self.redacted())
    }
}

impl std::fmt::Display for EndpointUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Parse with the checks the WHATWG parser does not make: a known scheme, a non-empty host,
/// nothing it would silently repair.
fn parse_checked(text: &str, schemes: &[&str]) -> std::result::Result<url::Url, &'static str> {
    if text.len() > MAX_URL_BYTES {
        return Err("longer than 2048 bytes");
    }
    if !text
        .bytes()
        .all(|b| b.is_ascii_graphic() && !b"\"<>\\^`{|}".contains(&b))
    {
        return Err(
            "a character a URL may not hold (white space, control, non-ASCII, \" < > \\ ^ ` { | })",
        );
    }
    let (scheme, rest) = text.split_once("://").ok_or("not an absolute URL")?;
    if !schemes.iter().any(|s| s.eq_ignore_ascii_case(scheme)) {
        return Err("the scheme must be http or https");
    }
    // `https:///x` would be read as `https://x/`.
    if rest.starts_with('/') {
        return Err("no host");
    }
    let url = url::Url::parse(text).map_err(|_| "not a URL")?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err("no host");
    }
    Ok(url)
}

/// The one rule for printing a URL that may hold a secret (store URLs with a password in the
/// user information or in `?password=`; JSON-RPC endpoints with an API key in the path or
/// query). It works on text that does not parse too, since error messages show what was
/// written:
///
/// * user information (`user:password@`) becomes `***@` — also in a malformed URL whose
///   password holds a `/` or an `@`: better a wrong host than a leaked secret;
/// * the query and fragment are dropped (`?…`);
/// * store URLs (`postgres`, `postgresql`, `sqlite`, `file`) keep their path (a database name,
///   a file); any other scheme (a JSON-RPC endpoint, whose API key often is the path) shows
///   `/…` for any path but `/`;
/// * white space and control characters become spaces; at most 200 characters.
///
/// `https://user:secret@eth.example/v3/KEY` → `https://***@eth.example/…`;
/// `postgres://u:pw@db:5432/test?password=pw2` → `postgres://***@db:5432/test?…`.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let query = rest.find(['?', '#']).unwrap_or(rest.len());
    let (masked, rest) = match rest[..query].rfind('@') {
        Some(at) => (true, &rest[at + 1..]),
        None => (false, rest),
    };
    let query = rest.find(['?', '#']).unwrap_or(rest.len());
    let (before_query, after) = rest.split_at(query);
    let authority_end = before_query.find('/').unwrap_or(before_query.len());
    let (authority, path) = before_query.split_at(authority_end);
    let keeps_path = scheme.is_some_and(|s| {
        ["postgres", "postgresql", "sqlite", "file"]
            .iter()
            .any(|w| s.eq_ignore_ascii_case(w))
    });
    let mut out = String::new();
    if let Some(scheme) = scheme {
        out.push_str(scheme);
        out.push_str("://");
    }
    if masked {
        out.push_str("***@");
    }
    out.push_str(authority);
    if keeps_path {
        out.push_str(path);
        if !after.is_empty() {
            out.push_str("?…");
        }
    } else if !after.is_empty() || (!path.is_empty() && path != "/") {
        out.push_str("/…");
    } else {
        out.push_str(path);
    }
    out.chars()
        .take(200)
        .map(|c| {
            if c.is_whitespace() || c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_urls_parse_once_and_normalise() {
        let u = NodeUrl::parse("HTTPS://Node.Example:443/lit/").expect("url");
        assert_eq!(u.scheme(), "https");
        assert_eq!(u.host(), "node.example");
        assert_eq!(u.port(), 443);
        assert_eq!(u.path_trimmed(), "/lit");
        assert_eq!(u.host_port(), "node.example:443");
        assert_eq!(u.origin(), "https://node.example");
        assert_eq!(
            u.join("/v1/handshake"),
            "https://node.example/lit/v1/handshake"
        );
        let v6 = NodeUrl::parse("http://[::1]:7470").expect("v6");
        assert_eq!(v6.host_port(), "[::1]:7470");
        assert_eq!(v6.join("v1/x"), "http://[::1]:7470/v1/x");
        for ok in [
            "http://127.0.0.1:7470",
            "https://127.0.0.1:7470/",
            "wss://node.example",
            "http://localhost:1",
        ] {
            assert!(NodeUrl::parse(ok).is_ok(), "{ok}");
        }
        assert!(NodeUrl::parse_http("https://node.example").is_ok());
        let e = NodeUrl::parse_http("wss://node.example").expect_err("ws is not http");
        assert_eq!(e.code(), "invalid_node_url");
    }

    #[test]
    fn node_urls_refuse_what_names_no_single_node() {
        for bad in [
            "",
            "127.0.0.1:7470",
            "ftp://h",
            "http://",
            "http://:7470",
            "http://u:p@h:1",
            "http://u@h:1",
            "http://h:1/?q=1",
            "http://h:1/#f",
            "http://h:99999",
            "http://h:1/a b",
            "http://h\t:1",
            "http://h:1/\n",
            "http:\\\\h:1",
            "http:///h:1",
            "http://h\\x:1",
            "http://x\":1",
            "http://bücher.example",
            "mailto:a@b",
        ] {
            let e = NodeUrl::parse(bad).expect_err(bad);
            assert_eq!(e.code(), "invalid_node_url", "{bad}");
        }
        let long = format!("http://h/{}", "a".repeat(MAX_URL_BYTES));
        assert!(NodeUrl::parse(&long).is_err());
    }

    #[test]
    fn endpoints_keep_their_secrets_out_of_every_printed_form() {
        let u = EndpointUrl::parse("https://user:pw1@rpc.example/v3/KEY2?apikey=k3#f4")
            .expect("endpoint");
        assert_eq!(
            u.expose(),
            "https://user:pw1@rpc.example/v3/KEY2?apikey=k3#f4"
        );
        for printed in [format!("{u}"), format!("{u:?}"), u.redacted()] {
            for secret in ["pw1", "KEY2", "k3", "f4", "user"] {
                assert!(!printed.contains(secret), "{printed} shows {secret}");
            }
            assert!(printed.contains("rpc.example"), "{printed}");
        }
        let e = EndpointUrl::parse("ftp://user:pw9@h/x").expect_err("scheme");
        assert_eq!(e.code(), "invalid_url");
        assert!(!e.to_string().contains("pw9"), "{e}");
        assert!(EndpointUrl::parse("https://h/a\tb").is_err());
        assert!(EndpointUrl::parse("https:///x").is_err());
    }

    #[test]
    fn the_redaction_rule() {
        for (given, shown) in [
            (
                "https://user:secret@eth.example/v3/KEY",
                "https://***@eth.example/…",
            ),
            (
                "postgres://u:pw@db:5432/test?password=pw2",
                "postgres://***@db:5432/test?…",
            ),
            ("http://h:1/", "http://h:1/"),
            ("http://h:1", "http://h:1"),
            ("sqlite:///var/x.db", "sqlite:///var/x.db"),
            ("https://u:p/w@d@h/x?k", "https://***@h/…"),
            ("no scheme?k=v", "no scheme/…"),
        ] {
            assert_eq!(redact_url(given), shown, "{given}");
        }
    }

    #[test]
    fn secrets_never_survive() {
        for (url, shown) in [
            ("http://127.0.0.1:8545", "http://127.0.0.1:8545"),
            ("http://127.0.0.1:8545/", "http://127.0.0.1:8545/"),
            ("https://eth.example/v3/KEY", "https://eth.example/…"),
            ("https://eth.example?key=KEY", "https://eth.example/…"),
            (
                "https://u:KEY@eth.example:8545/",
                "https://***@eth.example:8545/",
            ),
            ("https://KEY@eth.example", "https://***@eth.example"),
            (
                "https://u:KEY/KEY@eth.example/x",
                "https://***@eth.example/…",
            ),
            ("https://u:K@EY@eth.example", "https://***@eth.example"),
            ("u:KEY@eth.example", "***@eth.example"),
            ("http://a\nb", "http://a b"),
            ("ftp://u:pw@x/KEY", "ftp://***@x/…"),
            (
                "postgres://postgres:pw1@127.0.0.1:5432/test?password=pw2",
                "postgres://***@127.0.0.1:5432/test?…",
            ),
            ("postgres://u@h/db", "postgres://***@h/db"),
            ("postgres://a:b@c@d/x", "postgres://***@d/x"),
            ("sqlite:///var/x.db", "sqlite:///var/x.db"),
            ("sqlite:///var/x.db#KEY", "sqlite:///var/x.db?…"),
            ("memory:", "memory:"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
            for secret in ["KEY", "pw1", "pw2"] {
                assert!(!redact_url(url).contains(secret), "{url}");
            }
        }
        assert_eq!(redact_url(&"h".repeat(500)).chars().count(), 200);
    }
}
