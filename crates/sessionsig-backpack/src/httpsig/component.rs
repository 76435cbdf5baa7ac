//! Covered components (RFC 9421 §2): what a signature commits to, and their values.
//!
//! Only the components the backpack profile needs are understood: the derived `@method`,
//! `@authority`, `@path`, `@query` and ordinary header fields, all without component
//! parameters (`;sf`, `;key`, `;bs`, `;req`, `;tr`). Anything else is refused as malformed
//! rather than skipped: a verifier that silently drops a covered component it cannot compute
//! would accept a signature over less than the signer meant.

use super::RequestView;
use http::header::{HeaderName, HOST};
use std::fmt;

/// One covered component of an HTTP message signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Component {
    /// `"@method"`: the request method, as sent (case-sensitive).
    Method,
    /// `"@authority"`: host and port of the target, lowercased.
    Authority,
    /// `"@path"`: the target's absolute path, still percent-encoded.
    Path,
    /// `"@query"`: `?` and the query, or `?` alone when there is none.
    Query,
    /// A header field, by its lowercase name (`"content-digest"`, `"content-type"`, …).
    Field(HeaderName),
}

impl Component {
    /// The component name as written in `Signature-Input` (`@method`, `content-digest`).
    pub fn name(&self) -> &str {
        match self {
            Component::Method => "@method",
            Component::Authority => "@authority",
            Component::Path => "@path",
            Component::Query => "@query",
            Component::Field(name) => name.as_str(),
        }
    }

    /// A component from its name. Derived names must be one of the four above; field names
    /// must be valid lowercase header names (RFC 9421 §2.1 requires lowercase).
    pub fn parse(name: &str) -> Result<Self, String> {
        match name {
            "@method" => Ok(Component::Method),
            "@authority" => Ok(Component::Authority),
            "@path" => Ok(Component::Path),
            "@query" => Ok(Component::Query),
            n if n.starts_with('@') => Err(format!("derived component `{n}` is not supported")),
            n => HeaderName::from_lowercase(n.as_bytes())
                .map(Component::Field)
                .map_err(|_| format!("`{n}` is not a lowercase header field name")),
        }
    }

    /// A component from one item of a `Signature-Input` inner list.
    pub(crate) fn from_item(item: &sfv::Item) -> Result<Self, String> {
        let name = item
            .bare_item
            .as_string()
            .ok_or_else(|| "a covered component is not a string".to_owned())?;
        if !item.params.is_empty() {
            return Err(format!(
                "component parameters (on `{}`) are not supported",
                name.as_str()
            ));
        }
        Self::parse(name.as_str())
    }

    /// The component's value in `request`, as it goes into the signature base; the error says
    /// what is missing.
    pub(crate) fn value(&self, request: &impl RequestView) -> Result<String, String> {
        let uri = request.uri();
        match self {
            Component::Method => Ok(request.method().as_str().to_owned()),
            Component::Authority => authority(request),
            Component::Path => Ok(match uri.path() {
                "" => "/".to_owned(),
                p => p.to_owned(),
            }),
            Component::Query => Ok(format!("?{}", uri.query().unwrap_or(""))),
            Component::Field(name) => field_value(request, name),
        }
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.name())
    }
}

/// `@authority`: the URI's authority (HTTP/2 `:authority`, absolute-form targets), else the
/// single `Host` header; lowercased, userinfo dropped (RFC 9421 §2.2.3).
fn authority(request: &impl RequestView) -> Result<String, String> {
    if let Some(a) = request.uri().authority() {
        let host = a.host().to_ascii_lowercase();
        return Ok(match a.port_u16() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        });
    }
    let mut hosts = request.headers().get_all(HOST).iter();
    let host = hosts
        .next()
        .ok_or_else(|| "the request has no authority (no Host header)".to_owned())?;
    if hosts.next().is_some() {
        return Err("the request has more than one Host header".into());
    }
    let host = host
        .to_str()
        .map_err(|_| "the Host header is not visible ASCII".to_owned())?;
    Ok(host.trim().to_ascii_lowercase())
}

/// A header field's value: every field line, trimmed, joined with `, ` (RFC 9421 §2.1).
fn field_value(request: &impl RequestView, name: &HeaderName) -> Result<String, String> {
    let mut out = String::new();
    let mut any = false;
    for (i, line) in request.headers().get_all(name).iter().enumerate() {
        let line = line
            .to_str()
            .map_err(|_| format!("header `{name}` is not visible ASCII"))?;
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(line.trim_matches([' ', '\t']));
        any = true;
    }
    if any {
        Ok(out)
    } else {
        Err(format!(
            "covered header `{name}` is absent from the request"
        ))
    }
}
