//! Node identity: which `nodeAddress` values name this node.

use crate::error::{Error, Result};

/// The identity a node compares `nodeAddress` against: scheme-less `host:port`, host in lower
/// case, `localhost` read as `127.0.0.1`, a missing port filled from the scheme (80 / 443).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeIdentity {
    url: String,
    host: String,
    port: u16,
    host_port: String,
}

impl NodeIdentity {
    /// The identity of the node whose public URL is `url` (e.g. `https://127.0.0.1:7470`).
    pub fn new(url: &str) -> Result<Self> {
        let (host, port) =
            split(url).ok_or_else(|| Error::InvalidNodeUrl(url.chars().take(200).collect()))?;
        let host = canonical_host(host).to_ascii_lowercase();
        Ok(NodeIdentity {
            url: url.to_owned(),
            host_port: format!("{host}:{port}"),
            host,
            port,
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
        split(node_address).is_some_and(|(host, port)| {
            port == self.port && canonical_host(host).eq_ignore_ascii_case(&self.host)
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

/// `scheme://host[:port][/path]` or `host[:port]` → `(host, port)`. `None` when there is no host
/// or no port (neither written nor implied by an `http`/`https`/`ws`/`wss` scheme).
fn split(url: &str) -> Option<(&str, u16)> {
    let (scheme, rest) = match url.find("://") {
        Some(i) => (Some(&url[..i]), &url[i + 3..]),
        None => (None, url),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    if authority.is_empty() {
        return None;
    }
    let (host, port) = if let Some(stripped) = authority.strip_prefix('[') {
        let end = stripped.find(']')?;
        let host = &authority[..end + 2];
        let after = &stripped[end + 1..];
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
        _ => match scheme {
            Some(s) if s.eq_ignore_ascii_case("https") || s.eq_ignore_ascii_case("wss") => 443,
            Some(s) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("ws") => 80,
            _ => return None,
        },
    };
    Some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_node_in_several_spellings() {
        let n = NodeIdentity::new("https://127.0.0.1:7470").unwrap();
        assert!(n.matches("https://127.0.0.1:7470"));
        assert!(n.matches("http://localhost:7470/"));
        assert!(n.matches("127.0.0.1:7470"));
        assert!(!n.matches("https://127.0.0.1:7471"));
        assert!(!n.matches("https://127.0.0.2:7470"));
        assert!(!n.matches(""));
        let d = NodeIdentity::new("https://51.255.59.58").unwrap();
        assert!(d.matches("https://51.255.59.58:443"));
        assert!(!d.matches("http://51.255.59.58"));
        let v6 = NodeIdentity::new("http://[::1]:8080").unwrap();
        assert!(v6.matches("http://[::1]:8080/x"));
        assert!(NodeIdentity::new("https://").is_err());
        assert!(NodeIdentity::new("https://h:99999").is_err());
        // Case-insensitive host and scheme, `localhost` in any case, leading zeros in the port.
        let m = NodeIdentity::new("HTTPS://Node.Example:8443").unwrap();
        assert_eq!(m.host_port(), "node.example:8443");
        assert!(m.matches("https://NODE.example:08443/x"));
        assert!(!m.matches("https://node.example"));
        assert!(n.matches("http://LocalHost:7470"));
        assert!(!n.matches("ftp://127.0.0.1"));
    }
}
