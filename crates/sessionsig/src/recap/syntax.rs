//! Syntax checks shared by the ReCap and Lit modules: ability strings and resource URIs.

/// One character of an ability namespace or name: `[a-zA-Z0-9.*_+-]`.
fn is_ability_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'*' | b'_' | b'+' | b'-')
}

/// `^[a-zA-Z0-9.*_+-]+$`: a valid ability namespace or name on its own.
pub fn is_valid_ability_part(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_ability_char)
}

/// `^[a-zA-Z0-9.*_+-]+/[a-zA-Z0-9.*_+-]+$`: a valid `namespace/name` ability string.
pub fn is_valid_ability(s: &str) -> bool {
    match s.split_once('/') {
        Some((ns, name)) => is_valid_ability_part(ns) && is_valid_ability_part(name),
        None => false,
    }
}

/// A character RFC 3986 allows somewhere in a URI (unreserved, reserved, or `%` of a
/// percent-encoding).
pub(crate) fn is_uri_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            // unreserved
            b'-' | b'.' | b'_' | b'~'
            // gen-delims
            | b':' | b'/' | b'?' | b'#' | b'[' | b']' | b'@'
            // sub-delims
            | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
            // pct-encoded (checked further by the callers)
            | b'%'
        )
}

/// Every `%` is followed by two hex digits.
pub(crate) fn pct_encodings_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            match (b.get(i + 1), b.get(i + 2)) {
                (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => i += 3,
                _ => return false,
            }
        } else {
            i += 1;
        }
    }
    true
}

/// A resource URI as a ReCap `att` key: an RFC 3986 absolute URI, checked at the character
/// level: `scheme ":" rest`, where the scheme is `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`,
/// the rest uses only URI characters, percent-encodings are complete and there is at most one
/// `#`. (The component grammar is not checked further: ReCap resources are opaque strings
/// compared exactly.)
pub fn is_valid_resource_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut sb = scheme.bytes();
    match sb.next() {
        Some(first) if first.is_ascii_alphabetic() => {}
        _ => return false,
    }
    if !sb.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) {
        return false;
    }
    rest.bytes().all(is_uri_char)
        && pct_encodings_ok(rest)
        && rest.bytes().filter(|&b| b == b'#').count() <= 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abilities() {
        for ok in [
            "crud/read",
            "kepler/*",
            "https/put",
            "*/*",
            "Threshold/Decryption",
            "a.b_c+d-e/x",
        ] {
            assert!(is_valid_ability(ok), "{ok}");
        }
        for bad in [
            "crud",
            "crud/read/write",
            "with a/space",
            "with/a space",
            "/read",
            "crud/",
            "",
            "é/x",
            "a/b\n",
        ] {
            assert!(!is_valid_ability(bad), "{bad:?}");
        }
    }

    #[test]
    fn uris() {
        for ok in [
            "https://example.com",
            "my:resource:uri.1",
            "credential:*",
            "kepler:ens:example.eth://default/kv",
            "mailto:username@example.com",
            "lit-pkp://*",
            "lit-accesscontrolcondition://ab/cd",
            "urn:x:%20y",
            "http://[::1]:80/a?b=c#d",
        ] {
            assert!(is_valid_resource_uri(ok), "{ok}");
        }
        for bad in [
            "",
            "example.com",
            ":x",
            "1http://x",
            "ht tp://x",
            "http://x y",
            "http://x\"",
            "http://é",
            "urn:x:%2",
            "urn:x:%zz",
            "a:#b#c",
            "a:\n",
        ] {
            assert!(!is_valid_resource_uri(bad), "{bad:?}");
        }
    }
}
