//! Node identity: which `nodeAddress` values name this node.
//!
//! The whole URL is compared, normalised: scheme (case-insensitive), host (case-insensitive,
//! `localhost` read as `127.0.0.1`), port (filled from the scheme when missing, leading zeros
//! ignored) and path (an empty path is `/`, one trailing `/` ignored). A `nodeAddress` with
//! another scheme (`ws://` for an `http://` node), a path this node does not serve, a query,
//! a fragment or user information does not name this node: a SessionSig is bound to one
//! node endpoint, as the Lit SDK writes it (`https://host:port`, the node's URL itself).
//!
//! The node's own URL is parsed once, as a [`NodeUrl`] (the one URL type). The `nodeAddress`
//! of each signed message is compared against it by [`NodeIdentity::matches`] without
//! parsing it into a URL: that runs on every verification and allocates nothing, and it only
//! has to decide "is this exactly our endpoint", for which anything unusual is a "no".

use crate::error::Result;
use crate::url::NodeUrl;

/// The identity a node compares `nodeAddress` against: its public URL, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeIdentity {
    url: String,
    scheme: String,
    host: String,
    port: u16,
    path: String,
    host_port: String,
}

impl NodeIdentity {
    /// The identity of the node whose public URL is `url` (e.g. `https://127.0.0.1:7470`):
    /// an `http`, `https`, `ws` or `wss` URL with a host, without query or fragment.
    pub fn new(url: &str) -> Result<Self> {
        let parsed = NodeUrl::parse(url)?;
        let host = canonical_host(parsed.host()).to_ascii_lowercase();
        Ok(NodeIdentity {
            url: url.to_owned(),
            scheme: parsed.scheme().to_owned(),
            host_port: format!("{host}:{}", parsed.port()),
            host,
            port: parsed.port(),
            path: parsed.path_trimmed().to_owned(),
        })
    }

    /// The URL the node was configured with.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The normalized `host:port`.
    pub fn host_port(&self) -> &str {
        &self.host_port
    }

    /// Does `node_address` (from a signed message) name this node? (No allocation: this runs
    /// on every verification.)
    pub fn matches(&self, node_address: &str) -> bool {
        split(node_address).is_some_and(|p| {
            p.port == self.port
                && p.scheme.eq_ignore_ascii_case(&self.scheme)
                && canonical_host(p.host).eq_ignore_ascii_case(&self.host)
                && p.path == self.path
        })
    }
}

/// `localhost` (any case) is `127.0.0.1`; any other host as written.
fn canonical_host(host: &str) -> &str {
    if host.eq_ignore_ascii_case("localhost") {
        "127.0.0.1"
    } else {
        host
    }
}

/// The parts of a node URL that are compared.
struct Parts<'a> {
    scheme: &'a str,
    host: &'a str,
    port: u16,
    /// Without its trailing `/` (so `""` for the root).
    path: &'a str,
}

/// `scheme://host[:port][/path]` → its parts. `None` when there is no scheme, no host, user
/// information, a query or fragment, or no port (neither written nor implied by an
/// `http`/`https`/`ws`/`wss` scheme).
fn split(url: &str) -> Option<Parts<'_>> {
    let (scheme, rest) = url.split_once("://")?;
    let default_port = if scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("wss")
    {
        443
    } else if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("ws") {
        80
    } else {
        return None;
    };
    if rest.contains(['?', '#', '@']) || rest.contains(char::is_whitespace) {
        return None;
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let path = path.strip_suffix('/').unwrap_or(path);
    if authority.is_empty() {
        return None;
    }
    let (host, port) = if let Some(stripped) = authority.strip_prefix('[') {
        let end = stripped.find(']')?;
        let host = &authority[..end + 2];
        let after = &stripped[end + 1..];
        if !after.is_empty() && !after.starts_with(':') {
            return None;
        }
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    let port = match port {
        Some(p) if !p.is_empty() => {
            if !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            p.parse::<u16>().ok()?
        }
        _ => default_port,
    };
    Some(Parts {
        scheme,
        host,
        port,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_node_in_several_spellings() {
        let n = NodeIdentity::new("https://127.0.0.1:7470").unwrap();
        assert!(n.matches("https://127.0.0.1:7470"));
        assert!(!n.matches("http://localhost:7470/"));
        assert!(n.matches("https://localhost:7470/"));
        // Scheme-less `host:port` is not a node URL (the Lit SDK always writes the scheme).
        assert!(!n.matches("127.0.0.1:7470"));
        assert!(!n.matches("https://127.0.0.1:7471"));
        assert!(!n.matches("https://127.0.0.2:7470"));
        assert!(!n.matches(""));
        let d = NodeIdentity::new("https://51.255.59.58").unwrap();
        assert!(d.matches("https://51.255.59.58:443"));
        assert!(!d.matches("http://51.255.59.58"));
        let v6 = NodeIdentity::new("http://[::1]:8080").unwrap();
        assert!(v6.matches("http://[::1]:8080/"));
        assert!(!v6.matches("http://[::1]:8080/x"));
        assert!(NodeIdentity::new("https://").is_err());
        assert!(NodeIdentity::new("https://h:99999").is_err());
        // Case-insensitive host and scheme, `localhost` in any case, leading zeros in the port.
        let m = NodeIdentity::new("HTTPS://Node.Example:8443").unwrap();
        assert_eq!(m.host_port(), "node.example:8443");
        assert!(m.matches("https://NODE.example:08443"));
        assert!(!m.matches("https://NODE.example:08443/x"));
        assert!(!m.matches("https://node.example"));
        assert!(n.matches("HTTPS://LocalHost:7470"));
        assert!(!n.matches("ftp://127.0.0.1"));
    }

    #[test]
    fn scheme_path_query_and_userinfo_are_compared() {
        let n = NodeIdentity::new("http://127.0.0.1:7470").unwrap();
        assert!(n.matches("http://127.0.0.1:7470"));
        for other in [
            "https://127.0.0.1:7470",
            "ws://127.0.0.1:7470",
            "http://127.0.0.1:7470/other",
            "http://127.0.0.1:7470/?x=1",
            "http://127.0.0.1:7470#f",
            "http://u@127.0.0.1:7470",
            "127.0.0.1:7470",
        ] {
            assert!(!n.matches(other), "{other}");
        }
        let p = NodeIdentity::new("https://gw.example/lit/node1").unwrap();
        assert!(p.matches("https://GW.example:443/lit/node1/"));
        assert!(!p.matches("https://gw.example/lit/node2"));
        assert!(!p.matches("https://gw.example"));
    }
}
