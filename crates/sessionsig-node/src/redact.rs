//! One rule for printing a URL that may hold a secret: store URLs (a database password in the
//! user information or in `?password=`), JSON-RPC endpoints (an API key in the path or query).
//!
//! [`redact_url`] is the only function that turns a configured URL into text for a log line,
//! an error message, `Debug` output or a response; nothing else formats one.

/// A URL fit to print.
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
