//! HTTP Message Signatures (RFC 9421) with ed25519, as the backpack profiles them.
//!
//! A SessionSig in an `Authorization` header is a bearer token: whoever captures it (a log, a
//! proxy, a browser extension) can replay it until it expires. For requests that change data
//! the backpack therefore also asks for a signature over the request itself, made by the
//! session key: it binds the method, the authority, the path and the query, and — through
//! `Content-Digest` — the body; it carries `created` (checked against the node's clock within
//! a window) and a `nonce` (the route records `(keyid, nonce)` so the same signed request is
//! refused a second time at every node sharing the store).
//!
//! * [`component`]: which components a signature may cover, and their values;
//! * [`params`]: the signature parameters and their `@signature-params` serialization;
//! * [`base`]: the signature base (RFC 9421 §2.5);
//! * [`fields`]: the `Signature-Input` and `Signature` headers;
//! * [`sign`]: signing, for clients and tests;
//! * [`verify`]: the RFC check, and the backpack's policy on top of it, which alone makes a
//!   [`VerifiedRequestSignature`].
//!
//! Structured fields (RFC 8941) are parsed and serialized with the `sfv` crate rather than by
//! hand: `Signature-Input` is a dictionary of inner lists with typed parameters, and its
//! *canonical re-serialization* is part of what is signed, so the parser and the serializer
//! must agree with every other implementation to the byte. `sfv` is maintained, implements
//! RFC 8941/9651 completely and is tested against the official structured-field test suite.
//! No RFC 9421 crate is used: the ones looked at bring their own key types and crypto
//! backend (`actpub-httpsig` is built on aws-lc-rs; `httpsig` has its own key handling), while
//! the node already verifies ed25519 through the core's strict `SessionPublicKey`, and none of
//! them carries the policy the backpack needs (created window, nonce, keyid = session key,
//! required coverage). What remains — the signature base — is small, and is pinned down byte
//! for byte by the RFC's own ed25519 example (Appendix B.2.6) and checked in both directions
//! against an independent implementation (the `http-message-signatures` package from PyPI,
//! `tests/httpsig_python.rs`).

pub mod base;
pub mod component;
pub mod fields;
pub mod params;
pub mod sign;
pub mod verify;

pub use component::Component;
pub use params::SignatureParams;
pub use sign::{new_nonce, sign_backpack_request, sign_request, RequestSigningKey};
pub use verify::{verify_signature, RequestSignaturePolicy, VerifiedRequestSignature};

use http::{HeaderMap, Method, Uri};

/// The `alg` the backpack requires.
pub const ALG_ED25519: &str = "ed25519";
/// The label our signer uses (verifiers find the signature by `keyid`, not by label).
pub const DEFAULT_LABEL: &str = "backpack";

/// What signing and verification read from a request: `http::Request<B>` and
/// `http::request::Parts` both provide it, so axum handlers and clients can call in without
/// taking the body apart.
pub trait RequestView {
    /// The request method.
    fn method(&self) -> &Method;
    /// The request target.
    fn uri(&self) -> &Uri;
    /// The header fields.
    fn headers(&self) -> &HeaderMap;
}

/// A request whose headers the signer can set.
pub trait RequestViewMut: RequestView {
    /// The header fields, to add `Signature-Input` and `Signature`.
    fn headers_mut(&mut self) -> &mut HeaderMap;
}

impl RequestView for http::request::Parts {
    fn method(&self) -> &Method {
        &self.method
    }
    fn uri(&self) -> &Uri {
        &self.uri
    }
    fn headers(&self) -> &HeaderMap {
        &self.headers
    }
}

impl RequestViewMut for http::request::Parts {
    fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }
}

impl<B> RequestView for http::Request<B> {
    fn method(&self) -> &Method {
        self.method()
    }
    fn uri(&self) -> &Uri {
        self.uri()
    }
    fn headers(&self) -> &HeaderMap {
        self.headers()
    }
}

impl<B> RequestViewMut for http::Request<B> {
    fn headers_mut(&mut self) -> &mut HeaderMap {
        self.headers_mut()
    }
}
