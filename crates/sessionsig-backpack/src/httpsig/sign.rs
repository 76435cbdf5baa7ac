//! Signing requests: what a backpack client does before a PUT or DELETE.
//!
//! The node never signs; this is here so that the Rust client, the CLI and the tests sign
//! exactly what the verifier checks, and so the RFC's own example can be reproduced.

use super::base;
use super::component::Component;
use super::fields::{SIGNATURE, SIGNATURE_INPUT};
use super::params::{malformed, serialize_inner_list, SignatureParams};
use super::{RequestViewMut, ALG_ED25519, DEFAULT_LABEL};
use crate::digest::CONTENT_DIGEST;
use crate::error::{Error, Result};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::HeaderValue;
use rand_core::{OsRng, RngCore};
use sessionsig::session::SessionKeyPair;
use time::OffsetDateTime;

/// An ed25519 key that can sign a request: a raw dalek key, or the session key pair that
/// the rest of sessionsig uses (its secret stays inside it).
pub trait RequestSigningKey {
    /// The 32-byte public key (its lowercase hex is the backpack `keyid`).
    fn public_key_bytes(&self) -> [u8; 32];
    /// The ed25519 signature of `message`.
    fn sign_message(&self, message: &[u8]) -> [u8; 64];
}

impl RequestSigningKey for ed25519_dalek::SigningKey {
    fn public_key_bytes(&self) -> [u8; 32] {
        self.verifying_key().to_bytes()
    }
    fn sign_message(&self, message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer as _;
        self.sign(message).to_bytes()
    }
}

impl RequestSigningKey for SessionKeyPair {
    fn public_key_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        // `public_hex` is always 64 hex digits of a 32-byte key.
        let _ = hex::decode_to_slice(self.public_hex(), &mut out);
        out
    }
    fn sign_message(&self, message: &[u8]) -> [u8; 64] {
        self.sign(message)
    }
}

/// Sign `request` under `label` with `params` and set `Signature-Input` and `Signature`
/// (replacing any there). Any parameters may be given: this is the general RFC 9421 signer.
pub fn sign_request(
    request: &mut impl RequestViewMut,
    label: &str,
    params: &SignatureParams,
    key: &impl RequestSigningKey,
) -> Result<()> {
    let label_key = sfv::KeyRef::from_str(label).map_err(|e| malformed(format!("label: {e}")))?;
    let inner = params.to_inner_list()?;
    let signature_base = base::build(&*request, &params.components, &inner).map_err(malformed)?;
    let signature = key.sign_message(signature_base.as_bytes());
    let input_value = format!("{}={}", label_key.as_str(), serialize_inner_list(&inner));
    let signature_value = format!("{}=:{}:", label_key.as_str(), STANDARD.encode(signature));
    let headers = request.headers_mut();
    headers.insert(
        SIGNATURE_INPUT,
        HeaderValue::from_str(&input_value).map_err(|e| malformed(e.to_string()))?,
    );
    headers.insert(
        SIGNATURE,
        HeaderValue::from_str(&signature_value).map_err(|e| malformed(e.to_string()))?,
    );
    Ok(())
}

/// Sign a backpack request the way the node's policy wants it: `@method`, `@authority`,
/// `@path`, `@query`, plus `content-digest` and `content-type` when present; `created` =
/// `now`, the given `nonce`, `keyid` = the session public key in hex, `alg="ed25519"`.
/// A PUT without a `Content-Digest` header, or an empty or overlong nonce, is refused here,
/// before anything is sent.
pub fn sign_backpack_request(
    request: &mut impl RequestViewMut,
    key: &impl RequestSigningKey,
    now: OffsetDateTime,
    nonce: &str,
) -> Result<()> {
    // The verifier refuses these; refuse them here so a client learns before sending.
    if nonce.is_empty() || nonce.len() > super::verify::MAX_NONCE_BYTES {
        return Err(malformed(format!(
            "a nonce has 1 to {} bytes",
            super::verify::MAX_NONCE_BYTES
        )));
    }
    let mut components = vec![
        Component::Method,
        Component::Authority,
        Component::Path,
        Component::Query,
    ];
    let headers = request.headers();
    if headers.contains_key(CONTENT_DIGEST) {
        components.push(Component::Field(http::header::HeaderName::from_static(
            CONTENT_DIGEST,
        )));
    } else if super::verify::has_body(&*request) {
        return Err(Error::ContentDigestRequired);
    }
    if headers.contains_key(http::header::CONTENT_TYPE) {
        components.push(Component::Field(http::header::CONTENT_TYPE));
    }
    let params = SignatureParams {
        components,
        created: Some(now.unix_timestamp()),
        expires: None,
        keyid: Some(hex::encode(key.public_key_bytes())),
        nonce: Some(nonce.to_owned()),
        alg: Some(ALG_ED25519.to_owned()),
        tag: None,
    };
    sign_request(request, DEFAULT_LABEL, &params, key)
}

/// A fresh nonce: 128 random bits from the OS, base64url without padding (22 characters).
pub fn new_nonce() -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}
