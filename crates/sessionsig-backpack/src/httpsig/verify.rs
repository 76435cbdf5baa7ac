//! Verifying request signatures: the RFC check, then the backpack's policy.
//!
//! [`verify_signature`] is plain RFC 9421: rebuild the signature base from the request and
//! the received parameters and check the ed25519 signature (strictly: canonical `s`, no
//! small-order keys or `R`, as the session signatures themselves). It accepts anything the
//! RFC accepts, such as its own Appendix B.2.6 example.
//!
//! [`RequestSignaturePolicy::verify`] is what the route calls. It finds the signature made by
//! the session key (`keyid` = the SessionSig's 64-hex key; other signatures, e.g. a proxy's,
//! are left alone), then requires, each with its own error code so a client can tell what to
//! fix: `alg="ed25519"`; a `created` within ± the window of the node's clock (injected), and
//! an unexpired `expires` if given; a `nonce`; coverage of `@method @authority @path @query`
//! and, when the request has a body, `content-digest`; and finally a valid signature. Only
//! then does it return a [`VerifiedRequestSignature`], which nothing else can construct — the
//! route needs one to proceed, and records its (`keyid`, `nonce`) in the replay table.

use super::base;
use super::component::Component;
use super::fields::{received_signatures, ReceivedSignature};
use super::params::{malformed, SignatureParams};
use super::{RequestView, ALG_ED25519};
use crate::digest::{ContentDigest, CONTENT_DIGEST};
use crate::error::{Error, Result};
use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{HeaderName, Method};
use sessionsig::session::SessionPublicKey;
use time::{Duration, OffsetDateTime};

/// The longest nonce accepted: it is stored in the replay table.
pub const MAX_NONCE_BYTES: usize = 128;

/// Check one received signature against `key`, RFC 9421 only (no policy). Returns the
/// signature's parameters.
fn check_signature(
    request: &impl RequestView,
    received: &ReceivedSignature,
    key: &SessionPublicKey,
) -> Result<()> {
    let signature: &[u8; 64] = received.signature.as_slice().try_into().map_err(|_| {
        Error::BadRequestSignature(format!(
            "an ed25519 signature has 64 bytes, not {}",
            received.signature.len()
        ))
    })?;
    let base = base::build(request, &received.params.components, &received.inner)
        .map_err(Error::BadRequestSignature)?;
    key.verify_strict(base.as_bytes(), signature)
        .map_err(|_| Error::BadRequestSignature("the signature does not match the request".into()))
}

/// Verify the signature labelled `label` on `request` with `key`, by RFC 9421 alone (no
/// window, nonce, keyid or coverage rules). For conformance tests and for callers with their
/// own policy; the backpack route uses [`RequestSignaturePolicy::verify`].
pub fn verify_signature(
    request: &impl RequestView,
    label: &str,
    key: &SessionPublicKey,
) -> Result<SignatureParams> {
    let received =
        received_signatures(request.headers())?.ok_or(Error::RequestSignatureRequired)?;
    let one = received
        .into_iter()
        .find(|r| r.label == label)
        .ok_or_else(|| malformed(format!("no signature labelled `{label}`")))?;
    check_signature(request, &one, key)?;
    Ok(one.params)
}

/// Whether a request carries (or announces) a body, and so must cover `content-digest`:
/// PUT, POST and PATCH always (an empty object is still content), any other method when
/// `Content-Length` is non-zero or `Transfer-Encoding` is present. Decided from the request
/// line and headers, so the caller cannot forget to say.
pub(crate) fn has_body(request: &impl RequestView) -> bool {
    let m = request.method();
    if m == Method::PUT || m == Method::POST || m == Method::PATCH {
        return true;
    }
    let h = request.headers();
    h.contains_key(TRANSFER_ENCODING)
        || h.get_all(CONTENT_LENGTH)
            .iter()
            .any(|v| v.as_bytes().iter().any(|b| *b != b'0'))
}

/// The backpack's rules for request signatures.
#[derive(Debug, Clone)]
pub struct RequestSignaturePolicy {
    /// How far `created` may be from the node's clock, either way (default 60 s). Also how
    /// long the replay table must remember a nonce.
    pub window: Duration,
    /// Components every signature must cover (default `@method @authority @path @query`;
    /// `content-digest` is added for requests with a body).
    pub required: Vec<Component>,
}

impl Default for RequestSignaturePolicy {
    fn default() -> Self {
        RequestSignaturePolicy {
            window: Duration::seconds(60),
            required: vec![
                Component::Method,
                Component::Authority,
                Component::Path,
                Component::Query,
            ],
        }
    }
}

/// A request signature that passed [`RequestSignaturePolicy::verify`]. Only the verifier
/// constructs one, so a handler that takes one cannot have skipped the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRequestSignature {
    label: String,
    keyid: SessionPublicKey,
    nonce: String,
    created: OffsetDateTime,
    replay_until: OffsetDateTime,
    content_digest: Option<ContentDigest>,
    components: Vec<Component>,
}

impl VerifiedRequestSignature {
    /// The session key that signed (the `keyid`), for the replay table.
    pub fn keyid(&self) -> &SessionPublicKey {
        &self.keyid
    }

    /// The signed nonce, for the replay table.
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// The signed `created` instant.
    pub fn created(&self) -> OffsetDateTime {
        self.created
    }

    /// Until when the (`keyid`, `nonce`) pair must be remembered: after `created + window`
    /// the signature is refused as expired anyway, so the replay entry can be dropped.
    pub fn replay_until(&self) -> OffsetDateTime {
        self.replay_until
    }

    /// The signed `Content-Digest` (sha-256), when the signature covers it: the body must be
    /// checked against *this* value, the one the session key committed to.
    pub fn content_digest(&self) -> Option<&ContentDigest> {
        self.content_digest.as_ref()
    }

    /// The label the signature had in the headers.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The components the signature covers.
    pub fn components(&self) -> &[Component] {
        &self.components
    }
}

impl RequestSignaturePolicy {
    /// Verify the request signature made by `key` on `request` at the node's instant `now`.
    pub fn verify(
        &self,
        request: &impl RequestView,
        key: &SessionPublicKey,
        now: OffsetDateTime,
    ) -> Result<VerifiedRequestSignature> {
        let received =
            received_signatures(request.headers())?.ok_or(Error::RequestSignatureRequired)?;
        let keyid = key.to_hex();
        let mut mine = received
            .into_iter()
            .filter(|r| r.params.keyid.as_deref() == Some(keyid.as_str()));
        let Some(sig) = mine.next() else {
            return Err(Error::RequestSignatureWrongKeyid(format!(
                "no signature has keyid=\"{keyid}\""
            )));
        };
        if mine.next().is_some() {
            return Err(malformed("more than one signature by the session key"));
        }
        let p = &sig.params;
        match p.alg.as_deref() {
            Some(ALG_ED25519) => {}
            Some(other) => return Err(Error::RequestSignatureWrongAlg(format!("alg=\"{other}\""))),
            None => return Err(Error::RequestSignatureWrongAlg("no alg parameter".into())),
        }
        let created = p.created.ok_or(Error::RequestSignatureMissingCreated)?;
        let nonce = match p.nonce.as_deref() {
            None | Some("") => return Err(Error::RequestSignatureMissingNonce),
            Some(n) if n.len() > MAX_NONCE_BYTES => {
                return Err(malformed(format!(
                    "nonce longer than {MAX_NONCE_BYTES} bytes"
                )))
            }
            Some(n) => n.to_owned(),
        };
        let mut required = self.required.clone();
        let body = has_body(request);
        let digest_name = HeaderName::from_static(CONTENT_DIGEST);
        if body {
            required.push(Component::Field(digest_name.clone()));
        }
        let missing: Vec<String> = required
            .iter()
            .filter(|c| !p.components.contains(c))
            .map(|c| c.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(Error::RequestSignatureIncomplete(missing.join(" ")));
        }
        let window = self.window.whole_seconds().max(0);
        let now_s = now.unix_timestamp();
        if created > now_s.saturating_add(window) {
            return Err(Error::RequestSignatureFromFuture(format!(
                "created={created} is more than {window} s after the node's clock ({now_s})"
            )));
        }
        if created < now_s.saturating_sub(window) {
            return Err(Error::RequestSignatureExpired(format!(
                "created={created} is more than {window} s before the node's clock ({now_s})"
            )));
        }
        if let Some(expires) = p.expires {
            if now_s >= expires {
                return Err(Error::RequestSignatureExpired(format!(
                    "expires={expires} has passed ({now_s})"
                )));
            }
        }
        check_signature(request, &sig, key)?;
        let content_digest = if p.components.contains(&Component::Field(digest_name)) {
            Some(ContentDigest::from_headers(request.headers())?)
        } else {
            None
        };
        // `created` is within the window of a real clock, so both instants exist.
        let created_at = OffsetDateTime::from_unix_timestamp(created)
            .map_err(|_| malformed("created is out of range"))?;
        let replay_until = OffsetDateTime::from_unix_timestamp(created.saturating_add(window))
            .map_err(|_| malformed("created is out of range"))?;
        Ok(VerifiedRequestSignature {
            label: sig.label.clone(),
            keyid: *key,
            nonce,
            created: created_at,
            replay_until,
            content_digest,
            components: sig.params.components.clone(),
        })
    }
}
