//! The exact-bytes EIP-4361 parser: one pass over the lines, every rule checked where it applies,
//! every error tagged with its 1-based line number.

use super::abnf;
use super::SiweMessage;
use crate::error::{Error, Result};
use crate::time::Timestamp;
use alloy_primitives::Address;

/// The fixed end of the first line.
pub(crate) const HEADER_SUFFIX: &str = " wants you to sign in with your Ethereum account:";

/// The longest excerpt of offending input quoted in an error.
const QUOTE_MAX: usize = 80;

fn syntax(line: usize, reason: impl Into<String>) -> Error {
    Error::SiweSyntax {
        line,
        reason: reason.into(),
    }
}

/// A short, printable excerpt of `s` for an error message (never slices inside a character).
pub(crate) fn quote(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(QUOTE_MAX)
        .flat_map(char::escape_debug)
        .collect();
    if s.chars().nth(QUOTE_MAX).is_some() {
        out.push('…');
    }
    out
}

/// The lines of the message with a cursor.
struct Lines<'a> {
    lines: Vec<&'a str>,
    next: usize,
}

impl<'a> Lines<'a> {
    /// The 1-based number of the next line.
    fn number(&self) -> usize {
        self.next + 1
    }

    fn peek(&self) -> Option<&'a str> {
        self.lines.get(self.next).copied()
    }

    /// Take the next line, or fail saying what was expected there.
    fn take(&mut self, expected: &str) -> Result<(usize, &'a str)> {
        let n = self.number();
        match self.peek() {
            Some(l) => {
                self.next += 1;
                Ok((n, l))
            }
            None => Err(syntax(
                n,
                format!("unexpected end of message, expected {expected}"),
            )),
        }
    }

    /// Take a `<prefix><value>` line and return `(line number, value)`.
    fn field(&mut self, prefix: &str) -> Result<(usize, &'a str)> {
        let n = self.number();
        let Some(line) = self.peek() else {
            return Err(syntax(
                n,
                format!("unexpected end of message, expected `{prefix}…`"),
            ));
        };
        self.next += 1;
        match line.strip_prefix(prefix) {
            Some(v) => Ok((n, v)),
            None => Err(syntax(
                n,
                format!("expected `{prefix}…`, found `{}`", quote(line)),
            )),
        }
    }

    /// Take the next line if it starts with `prefix`.
    fn optional_field(&mut self, prefix: &str) -> Option<(usize, &'a str)> {
        let n = self.number();
        let v = self.peek()?.strip_prefix(prefix)?;
        self.next += 1;
        Some((n, v))
    }

    /// Take an empty line.
    fn blank(&mut self, what: &str) -> Result<()> {
        let (n, line) = self.take(what)?;
        if line.is_empty() {
            Ok(())
        } else {
            Err(syntax(
                n,
                format!("expected {what}, found `{}`", quote(line)),
            ))
        }
    }
}

fn timestamp(n: usize, name: &str, value: &str) -> Result<Timestamp> {
    Timestamp::parse(value).map_err(|e| {
        let why = match e {
            Error::InvalidTimestamp { reason, .. } => reason,
            other => other.to_string(),
        };
        syntax(
            n,
            format!(
                "`{name}` is not an RFC 3339 date-time (`{}`): {why}",
                quote(value)
            ),
        )
    })
}

/// Parse the address line: `0x` + 40 hex digits in exact EIP-55 checksum form.
pub(crate) fn address(value: &str) -> std::result::Result<Address, String> {
    let hex = value
        .strip_prefix("0x")
        .filter(|h| h.len() == 40 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| {
            format!(
                "expected an address (`0x` and 40 hex digits), found `{}`",
                quote(value)
            )
        })?;
    let mut bytes = [0u8; 20];
    alloy_primitives::hex::decode_to_slice(hex, &mut bytes).map_err(|e| e.to_string())?;
    let addr = Address::from(bytes);
    let checksummed = addr.to_checksum_buffer(None);
    if checksummed.as_str() != value {
        return Err(format!(
            "address `{value}` is not in EIP-55 checksum form (`{checksummed}`)"
        ));
    }
    Ok(addr)
}

/// Parse `[scheme "://"] domain` (the first line before its fixed suffix).
pub(crate) fn scheme_and_domain(
    prefix: &str,
) -> std::result::Result<(Option<String>, String), String> {
    let (scheme, domain) = match prefix.split_once("://") {
        Some((s, d)) => {
            if !abnf::is_scheme(s) {
                return Err(format!("`{}` is not a valid URI scheme", quote(s)));
            }
            (Some(s.to_owned()), d)
        }
        None => (None, prefix),
    };
    check_domain(domain)?;
    Ok((scheme, domain.to_owned()))
}

/// The domain is an RFC 3986 authority with a non-empty host.
pub(crate) fn check_domain(domain: &str) -> std::result::Result<(), String> {
    if domain.is_empty() {
        return Err("the domain is missing".to_owned());
    }
    match abnf::parse_authority(domain) {
        Some(a) if !a.host.is_empty() => Ok(()),
        Some(_) => Err("the domain has an empty host".to_owned()),
        None => Err(format!(
            "domain `{}` is not an RFC 3986 authority",
            quote(domain)
        )),
    }
}

/// Decimal chain ID without leading zeros (so a parsed message re-formats to the same bytes).
pub(crate) fn chain_id(value: &str) -> std::result::Result<u64, String> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "chain ID must be decimal digits, found `{}`",
            quote(value)
        ));
    }
    if value.len() > 1 && value.starts_with('0') {
        return Err(format!("chain ID `{value}` has a leading zero"));
    }
    value
        .parse::<u64>()
        .map_err(|_| format!("chain ID `{}` does not fit in 64 bits", quote(value)))
}

/// Parse the whole text. All field rules are enforced here, with line numbers.
pub(crate) fn parse(text: &str) -> Result<SiweMessage> {
    let mut lines = Lines {
        lines: text.split('\n').collect(),
        next: 0,
    };

    // 1: [scheme "://"] domain " wants you to sign in with your Ethereum account:"
    let (n, header) = lines.take("the header line")?;
    let prefix = header.strip_suffix(HEADER_SUFFIX).ok_or_else(|| {
        syntax(
            n,
            format!(
                "expected `<domain>{HEADER_SUFFIX}`, found `{}`",
                quote(header)
            ),
        )
    })?;
    let (scheme, domain) = scheme_and_domain(prefix).map_err(|r| syntax(n, r))?;

    // 2: address
    let (n, addr) = lines.take("the address")?;
    let address = address(addr).map_err(|r| syntax(n, r))?;

    // 3: empty; then either "" + URI (no statement) or statement + "" (statement, maybe empty).
    lines.blank("an empty line after the address")?;
    let (n, candidate) = lines.take("a statement or an empty line")?;
    let statement = if candidate.is_empty() && lines.peek().is_some_and(|l| !l.is_empty()) {
        None
    } else {
        if !abnf::is_statement(candidate) {
            return Err(syntax(
                n,
                "the statement may contain only RFC 3986 reserved and unreserved characters and spaces",
            ));
        }
        lines.blank(
            "an empty line after the statement (without a statement, the address is followed by exactly two empty lines)",
        )?;
        Some(candidate.to_owned())
    };

    let (n, uri) = lines.field("URI: ")?;
    if !abnf::is_uri(uri) {
        return Err(syntax(
            n,
            format!("URI `{}` is not an RFC 3986 URI", quote(uri)),
        ));
    }
    let (n, version) = lines.field("Version: ")?;
    if version != "1" {
        return Err(syntax(
            n,
            format!("version must be `1`, found `{}`", quote(version)),
        ));
    }
    let (n, chain) = lines.field("Chain ID: ")?;
    let chain_id = chain_id(chain).map_err(|r| syntax(n, r))?;
    let (n, nonce) = lines.field("Nonce: ")?;
    if !abnf::is_nonce(nonce) {
        return Err(syntax(
            n,
            "the nonce must be at least 8 ASCII letters or digits",
        ));
    }
    let (n, issued) = lines.field("Issued At: ")?;
    let issued_at = timestamp(n, "Issued At", issued)?;

    let expiration_time = match lines.optional_field("Expiration Time: ") {
        Some((n, v)) => Some(timestamp(n, "Expiration Time", v)?),
        None => None,
    };
    let not_before = match lines.optional_field("Not Before: ") {
        Some((n, v)) => Some(timestamp(n, "Not Before", v)?),
        None => None,
    };
    let request_id = match lines.optional_field("Request ID: ") {
        Some((n, v)) => {
            if !abnf::is_segment(v) {
                return Err(syntax(
                    n,
                    format!(
                        "request ID `{}` is not a sequence of RFC 3986 pchar",
                        quote(v)
                    ),
                ));
            }
            Some(v.to_owned())
        }
        None => None,
    };
    let resources = if lines.peek() == Some("Resources:") {
        lines.next += 1;
        let mut items = Vec::new();
        while let Some(line) = lines.peek() {
            let n = lines.number();
            let item = line.strip_prefix("- ").ok_or_else(|| {
                syntax(
                    n,
                    format!(
                        "expected a `- <URI>` resource line, found `{}`",
                        quote(line)
                    ),
                )
            })?;
            if !abnf::is_uri(item) {
                return Err(syntax(
                    n,
                    format!("resource `{}` is not an RFC 3986 URI", quote(item)),
                ));
            }
            items.push(item.to_owned());
            lines.next += 1;
        }
        Some(items)
    } else {
        None
    };

    if let Some(line) = lines.peek() {
        return Err(syntax(
            lines.number(),
            format!(
                "unexpected line `{}`: after `Issued At` only `Expiration Time`, `Not Before`, \
                 `Request ID` and `Resources` may follow, once each and in that order, and the \
                 message has no trailing newline",
                quote(line)
            ),
        ));
    }

    Ok(SiweMessage {
        scheme,
        domain,
        address,
        statement,
        uri: uri.to_owned(),
        version: version.to_owned(),
        chain_id,
        nonce: nonce.to_owned(),
        issued_at,
        expiration_time,
        not_before,
        request_id,
        resources,
    })
}
