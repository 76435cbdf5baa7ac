//! Node identity: which `nodeAddress` values name this node.

use crate::error::{Error, Result};

/// The identity a node compares `nodeAddress` against: scheme-less `host:port`, host in lower
/// case, `localhost` read as `127.0.0.1`, a missing port filled from the scheme (80 / 443).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeIdentity {
    url: String,
    host_port: String,
}

impl NodeIdentity {
    /// The identity of the node whose public URL is `url` (e.g. `https://127.0.0.1:7470`).
    pub fn new(url: &str) -> Result<Self> {
        let host_port =
            normalize(url).ok_or_else(|| Error::InvalidNodeUrl(url.chars().take(200).collect()))?;
        Ok(NodeIdentity {
            url: url.to_owned(),
            host_port,
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

    /// Does `node_address` (from a signed message) name this node?
    pub fn matches(&self, node_address: &str) -> bool {
        normalize(node_address).is_some_and(|hp| hp == self.host_port)
    }
}

/// `scheme://host[:port][/path]` or `host[:port]` → `host:port`. `None` when there is no host.
fn normalize(url: &str) -> Option<String> {
    let (scheme, rest) = match url.find("://") {
        Some(i) => (Some(url[..i].to_ascii_lowercase()), &url[i + 3..]),
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
            p.parse::<u16>().ok()?.to_string()
        }
        _ => match scheme.as_deref() {
            Some("https") | Some("wss") => "443".to_owned(),
            Some("http") | Some("ws") => "80".to_owned(),
            _ => return None,
        },
    };
    let mut host = host.to_ascii_lowercase();
    if host == "localhost" {
        host = "127.0.0.1".to_owned();
    }
    Some(format!("{host}:{port}"))
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
    }
}
