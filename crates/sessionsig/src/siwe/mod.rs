//! Sign-In with Ethereum (EIP-4361) messages: exact-bytes parser, formatter, field rules, time
//! window, and EIP-191 signature verification with libsecp256k1.
//!
//! ```text
//! [scheme://]<domain> wants you to sign in with your Ethereum account:
//! <EIP-55 address>
//!
//! [<statement>
//! ]
//! URI: <uri>
//! Version: 1
//! Chain ID: <digits>
//! Nonce: <at least 8 ASCII alphanumerics>
//! Issued At: <RFC 3339>
//! [Expiration Time: <RFC 3339>]
//! [Not Before: <RFC 3339>]
//! [Request ID: <pchar*>]
//! [Resources:
//! - <URI>…]
//! ```
//!
//! * [`SiweMessage::parse`] accepts exactly the EIP-4361 ABNF (LF line endings, no trailing
//!   newline) plus the field rules (EIP-55 address, RFC 3986 URIs, real calendar instants).
//!   Whatever it accepts, [`SiweMessage::to_message`] writes back byte for byte.
//! * [`verify`] checks a signature over the **exact bytes received**, never over a
//!   re-serialisation, then the time window, then the optional domain and nonce bindings.
//! * The grammar rules borrowed from RFC 3986 live in [`abnf`] and are usable on their own.
//!
//! Two choices stricter than the bare ABNF: the domain's host may not be empty, and a chain ID
//! may not have leading zeros (both keep `parse` ⇒ `to_message` an identity on bytes).

pub mod abnf;
mod eip191;
mod parse;

pub use eip191::{
    eip191_hash, parse_signature, recover_address, verify_signature, verify_signature_digest,
};

use crate::error::{Error, Result};
use crate::time::Timestamp;
use alloy_primitives::Address;
use parse::{quote, HEADER_SUFFIX};
use serde_json::{Map, Value};
use std::fmt;
use time::{Duration, OffsetDateTime};

/// One EIP-4361 message, field by field.
///
/// Build one by hand (then call [`SiweMessage::validate`]), parse one from text with
/// [`SiweMessage::parse`], or read one from a JSON field object with [`SiweMessage::from_json`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiweMessage {
    /// Optional URI scheme written before the domain (`https` in `https://example.com wants…`).
    pub scheme: Option<String>,
    /// The RFC 3986 authority requesting the sign-in (`example.com`, `user@host:8080`, `[::1]`).
    pub domain: String,
    /// The signing account; written in EIP-55 checksum form.
    pub address: Address,
    /// The human-readable statement. `None`: no statement line; `Some("")`: an empty line.
    pub statement: Option<String>,
    /// The RFC 3986 URI the sign-in is for (Lit: `lit:session:<session key>`).
    pub uri: String,
    /// The message version; only `"1"` is valid.
    pub version: String,
    /// The EIP-155 chain ID.
    pub chain_id: u64,
    /// At least 8 ASCII letters or digits.
    pub nonce: String,
    /// When the message was issued.
    pub issued_at: Timestamp,
    /// When the message stops being valid, if ever.
    pub expiration_time: Option<Timestamp>,
    /// When the message starts being valid, if not at once.
    pub not_before: Option<Timestamp>,
    /// Optional request identifier (`*pchar`; `Some("")` is a `Request ID: ` line).
    pub request_id: Option<String>,
    /// `None`: no `Resources:` line; `Some(vec![])`: `Resources:` with no items.
    pub resources: Option<Vec<String>>,
}

/// The keys of the JSON field object ([`SiweMessage::to_json`] / [`SiweMessage::from_json`]).
const JSON_KEYS: [&str; 13] = [
    "scheme",
    "domain",
    "address",
    "statement",
    "uri",
    "version",
    "chainId",
    "nonce",
    "issuedAt",
    "expirationTime",
    "notBefore",
    "requestId",
    "resources",
];

impl SiweMessage {
    /// Parse the whole `text` exactly as the EIP-4361 grammar allows (LF line endings, no
    /// trailing newline), enforcing every field rule. Errors are [`Error::SiweSyntax`] with the
    /// 1-based line number and a reason. Never panics, whatever the input.
    pub fn parse(text: &str) -> Result<SiweMessage> {
        // The parser enforces every field rule with line numbers; `validate` is for messages
        // built from fields. (The unit tests check that whatever parses also validates.)
        let msg = parse::parse(text)?;
        debug_assert!(msg.validate().is_ok());
        Ok(msg)
    }

    /// Check every field rule ([`Error::SiweField`] naming the field on failure): scheme and
    /// domain (RFC 3986 authority with a non-empty host), statement characters, URI, version
    /// `1`, nonce, timestamps that are real RFC 3339 instants, request ID, resource URIs.
    pub fn validate(&self) -> Result<()> {
        if let Some(scheme) = &self.scheme {
            if !abnf::is_scheme(scheme) {
                return Err(Error::siwe_field(
                    "scheme",
                    format!("`{}` is not a valid URI scheme", quote(scheme)),
                ));
            }
        }
        parse::check_domain(&self.domain).map_err(|r| Error::siwe_field("domain", r))?;
        if let Some(statement) = &self.statement {
            if !abnf::is_statement(statement) {
                return Err(Error::siwe_field(
                    "statement",
                    "only RFC 3986 reserved and unreserved characters and spaces are allowed",
                ));
            }
        }
        if !abnf::is_uri(&self.uri) {
            return Err(Error::siwe_field(
                "uri",
                format!("`{}` is not an RFC 3986 URI", quote(&self.uri)),
            ));
        }
        if self.version != "1" {
            return Err(Error::siwe_field(
                "version",
                format!("must be `1`, found `{}`", quote(&self.version)),
            ));
        }
        if !abnf::is_nonce(&self.nonce) {
            return Err(Error::siwe_field(
                "nonce",
                "must be at least 8 ASCII letters or digits",
            ));
        }
        check_timestamp("issuedAt", &self.issued_at)?;
        if let Some(t) = &self.expiration_time {
            check_timestamp("expirationTime", t)?;
        }
        if let Some(t) = &self.not_before {
            check_timestamp("notBefore", t)?;
        }
        if let Some(id) = &self.request_id {
            if !abnf::is_segment(id) {
                return Err(Error::siwe_field(
                    "requestId",
                    format!("`{}` is not a sequence of RFC 3986 pchar", quote(id)),
                ));
            }
        }
        for r in self.resources.iter().flatten() {
            if !abnf::is_uri(r) {
                return Err(Error::siwe_field(
                    "resources",
                    format!("`{}` is not an RFC 3986 URI", quote(r)),
                ));
            }
        }
        Ok(())
    }

    /// The message text in the exact EIP-4361 layout (LF line endings, no trailing newline).
    /// This is what a wallet signs; for a parsed message it is the parsed text, byte for byte.
    pub fn to_message(&self) -> String {
        let mut s = String::with_capacity(256);
        if let Some(scheme) = &self.scheme {
            s.push_str(scheme);
            s.push_str("://");
        }
        s.push_str(&self.domain);
        s.push_str(HEADER_SUFFIX);
        s.push('\n');
        s.push_str(&self.address.to_checksum(None));
        s.push_str("\n\n");
        if let Some(statement) = &self.statement {
            s.push_str(statement);
            s.push('\n');
        }
        s.push_str("\nURI: ");
        s.push_str(&self.uri);
        s.push_str("\nVersion: ");
        s.push_str(&self.version);
        s.push_str("\nChain ID: ");
        s.push_str(&self.chain_id.to_string());
        s.push_str("\nNonce: ");
        s.push_str(&self.nonce);
        s.push_str("\nIssued At: ");
        s.push_str(self.issued_at.as_str());
        if let Some(t) = &self.expiration_time {
            s.push_str("\nExpiration Time: ");
            s.push_str(t.as_str());
        }
        if let Some(t) = &self.not_before {
            s.push_str("\nNot Before: ");
            s.push_str(t.as_str());
        }
        if let Some(id) = &self.request_id {
            s.push_str("\nRequest ID: ");
            s.push_str(id);
        }
        if let Some(resources) = &self.resources {
            s.push_str("\nResources:");
            for r in resources {
                s.push_str("\n- ");
                s.push_str(r);
            }
        }
        s
    }

    /// Check the validity window at `now`: valid iff `not_before - skew <= now <
    /// expiration_time + skew` and `issued_at <= now + skew`.
    ///
    /// Errors: [`Error::SiweExpired`], [`Error::SiweNotYetValid`], [`Error::SiweIssuedInFuture`]
    /// (checked in that order). Arithmetic never overflows: a bound pushed beyond the
    /// representable range by `skew` is treated as unbounded on that side.
    pub fn check_time(&self, now: OffsetDateTime, skew: Duration) -> Result<()> {
        if let Some(exp) = &self.expiration_time {
            if let Some(limit) = exp.instant().checked_add(skew) {
                if now >= limit {
                    return Err(Error::SiweExpired(exp.as_str().to_owned()));
                }
            }
        }
        if let Some(nb) = &self.not_before {
            if let Some(limit) = nb.instant().checked_sub(skew) {
                if now < limit {
                    return Err(Error::SiweNotYetValid(nb.as_str().to_owned()));
                }
            }
        }
        if let Some(limit) = now.checked_add(skew) {
            if self.issued_at.instant() > limit {
                return Err(Error::SiweIssuedInFuture(
                    self.issued_at.as_str().to_owned(),
                ));
            }
        }
        Ok(())
    }

    /// The JSON field object (the shape of `vectors/siwe/parsing_positive.json`): `scheme`,
    /// `domain`, `address`, `statement`, `uri`, `version`, `chainId` (a number), `nonce`,
    /// `issuedAt`, `expirationTime`, `notBefore`, `requestId`, `resources`; absent fields are
    /// left out.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_owned(), v);
        };
        if let Some(s) = &self.scheme {
            put("scheme", Value::from(s.as_str()));
        }
        put("domain", Value::from(self.domain.as_str()));
        put("address", Value::from(self.address.to_checksum(None)));
        if let Some(s) = &self.statement {
            put("statement", Value::from(s.as_str()));
        }
        put("uri", Value::from(self.uri.as_str()));
        put("version", Value::from(self.version.as_str()));
        put("chainId", Value::from(self.chain_id));
        put("nonce", Value::from(self.nonce.as_str()));
        put("issuedAt", Value::from(self.issued_at.as_str()));
        if let Some(t) = &self.expiration_time {
            put("expirationTime", Value::from(t.as_str()));
        }
        if let Some(t) = &self.not_before {
            put("notBefore", Value::from(t.as_str()));
        }
        if let Some(id) = &self.request_id {
            put("requestId", Value::from(id.as_str()));
        }
        if let Some(rs) = &self.resources {
            put(
                "resources",
                Value::Array(rs.iter().map(|r| Value::from(r.as_str())).collect()),
            );
        }
        Value::Object(m)
    }

    /// Read a JSON field object (as written by [`SiweMessage::to_json`]) and validate it.
    ///
    /// `null` counts as absent for optional fields. Unknown keys are refused ([`Error::Json`]),
    /// so a misspelt field cannot be silently dropped. `chainId` must be a JSON integer and
    /// `address` must be in exact EIP-55 form.
    pub fn from_json(v: &Value) -> Result<SiweMessage> {
        let obj = v
            .as_object()
            .ok_or_else(|| Error::Json("a SIWE message must be a JSON object".to_owned()))?;
        if let Some(k) = obj.keys().find(|k| !JSON_KEYS.contains(&k.as_str())) {
            return Err(Error::Json(format!("unknown SIWE field `{}`", quote(k))));
        }
        let address = parse::address(required_str(obj, "address")?)
            .map_err(|r| Error::siwe_field("address", r))?;
        let chain_id = match obj.get("chainId") {
            None | Some(Value::Null) => return Err(Error::siwe_field("chainId", "missing")),
            Some(n) => n.as_u64().ok_or_else(|| {
                Error::siwe_field("chainId", "must be a non-negative integer below 2^64")
            })?,
        };
        let resources = match obj.get("resources") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|i| {
                        i.as_str().map(str::to_owned).ok_or_else(|| {
                            Error::siwe_field("resources", "every resource must be a string")
                        })
                    })
                    .collect::<Result<Vec<_>>>()?,
            ),
            Some(_) => {
                return Err(Error::siwe_field(
                    "resources",
                    "must be an array of strings",
                ))
            }
        };
        let msg = SiweMessage {
            scheme: optional_str(obj, "scheme")?.map(str::to_owned),
            domain: required_str(obj, "domain")?.to_owned(),
            address,
            statement: optional_str(obj, "statement")?.map(str::to_owned),
            uri: required_str(obj, "uri")?.to_owned(),
            version: required_str(obj, "version")?.to_owned(),
            chain_id,
            nonce: required_str(obj, "nonce")?.to_owned(),
            issued_at: json_timestamp("issuedAt", Some(required_str(obj, "issuedAt")?))?
                .ok_or_else(|| Error::siwe_field("issuedAt", "missing"))?,
            expiration_time: json_timestamp(
                "expirationTime",
                optional_str(obj, "expirationTime")?,
            )?,
            not_before: json_timestamp("notBefore", optional_str(obj, "notBefore")?)?,
            request_id: optional_str(obj, "requestId")?.map(str::to_owned),
            resources,
        };
        msg.validate()?;
        Ok(msg)
    }
}

impl fmt::Display for SiweMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_message())
    }
}

impl std::str::FromStr for SiweMessage {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        SiweMessage::parse(s)
    }
}

/// A timestamp's text must still be a real RFC 3339 instant (a [`Timestamp::from_instant`] of a
/// year outside 0000–9999 is not).
fn check_timestamp(field: &'static str, t: &Timestamp) -> Result<()> {
    crate::time::parse_rfc3339(t.as_str())
        .map(|_| ())
        .map_err(|e| Error::siwe_field(field, timestamp_reason(e)))
}

fn timestamp_reason(e: Error) -> String {
    match e {
        Error::InvalidTimestamp { value, reason } => {
            format!("`{value}` is not an RFC 3339 date-time: {reason}")
        }
        other => other.to_string(),
    }
}

fn json_timestamp(field: &'static str, text: Option<&str>) -> Result<Option<Timestamp>> {
    text.map(|t| Timestamp::parse(t).map_err(|e| Error::siwe_field(field, timestamp_reason(e))))
        .transpose()
}

fn required_str<'a>(obj: &'a Map<String, Value>, field: &'static str) -> Result<&'a str> {
    optional_str(obj, field)?.ok_or_else(|| Error::siwe_field(field, "missing"))
}

fn optional_str<'a>(obj: &'a Map<String, Value>, field: &'static str) -> Result<Option<&'a str>> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::siwe_field(field, "must be a string")),
    }
}

/// What [`verify`] checks besides the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The instant to verify at.
    pub now: OffsetDateTime,
    /// Clock skew tolerated on each side of the validity window.
    pub skew: Duration,
    /// When set, the message's domain must equal it (exact, case-sensitive comparison). A value
    /// containing `://` is compared with `<scheme>://<domain>` instead, so it also pins the scheme.
    pub domain: Option<String>,
    /// When set, the message's nonce must equal it.
    pub nonce: Option<String>,
}

impl VerifyOptions {
    /// Verify at `now`, with no skew and no domain or nonce binding.
    pub fn at(now: OffsetDateTime) -> Self {
        VerifyOptions {
            now,
            skew: Duration::ZERO,
            domain: None,
            nonce: None,
        }
    }
}

/// Parse `text`, check that `signature` is the message address's EIP-191 signature over exactly
/// the bytes of `text` (never a re-serialisation), then the time window
/// ([`SiweMessage::check_time`]), then the domain and nonce bindings when `opts` sets them.
///
/// Returns the parsed message. Errors: [`Error::SiweSyntax`] / [`Error::SiweField`],
/// [`Error::MalformedSignature`], [`Error::SignerMismatch`], the time errors,
/// [`Error::SiweDomainMismatch`], [`Error::SiweNonceMismatch`].
pub fn verify(text: &str, signature: &str, opts: &VerifyOptions) -> Result<SiweMessage> {
    let msg = SiweMessage::parse(text)?;
    verify_signature(text.as_bytes(), signature, msg.address)?;
    msg.check_time(opts.now, opts.skew)?;
    if let Some(expected) = &opts.domain {
        let matches = if expected.contains("://") {
            msg.scheme.as_deref().is_some_and(|s| {
                expected.strip_prefix(s).and_then(|r| r.strip_prefix("://"))
                    == Some(msg.domain.as_str())
            })
        } else {
            *expected == msg.domain
        };
        if !matches {
            return Err(Error::SiweDomainMismatch {
                expected: expected.clone(),
                found: match &msg.scheme {
                    Some(s) if expected.contains("://") => format!("{s}://{}", msg.domain),
                    _ => msg.domain.clone(),
                },
            });
        }
    }
    if let Some(expected) = &opts.nonce {
        if *expected != msg.nonce {
            return Err(Error::SiweNonceMismatch);
        }
    }
    Ok(msg)
}

#[cfg(test)]
mod tests;
