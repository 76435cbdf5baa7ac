//! `GET /openapi.json`: an OpenAPI 3.1 document of the node's whole API, so that clients in
//! any language can be generated from it and tools (schemathesis in `scripts/schemathesis`)
//! can check the live node against it.
//!
//! The document is built with `utoipa` from the wire types below and one path item per route.
//! The handlers in [`crate::routes`] and `sessionsig_backpack::routes` build their JSON with
//! `json!`, so the types here are the wire contract written down once: the node's own tests
//! decode real answers into them (`deny_unknown_fields` where the node never adds fields) and
//! schemathesis checks a live node's answers against the document (a drift between a handler
//! and its type here is caught by those tests, not by the compiler).
//!
//! Every refusal everywhere is `{"code","error"}` ([`ErrorBody`]); `ErrorBodies` attaches it
//! to every 4xx/5xx response of the document, except on `HEAD` (no body). The credential is
//! the `SessionSig` security scheme (`Authorization: SessionSig <base64url(JSON)>`); the
//! RFC 9421 request signature of backpack changes (`Signature-Input`, `Signature`, and
//! `Content-Digest` for a body) are header parameters of those operations.
//!
//! A backpack path (`/v1/backpack/<owner><path>`) may hold `/`; OpenAPI path parameters
//! cannot, so the document names objects `/v1/backpack/{owner}/{path}` (one segment, as
//! generators and fuzzers will send it) and folders `/v1/backpack/{owner}/` and
//! `/v1/backpack/{owner}/{folder}/`; deeper paths are served the same way.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use std::sync::OnceLock;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{Content, RefOr};
use utoipa::{Modify, OpenApi, ToSchema};

/// Where the document is served.
pub const PATH: &str = "/openapi.json";

/// The node's API as an OpenAPI 3.1 document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// `GET /openapi.json`: the document, serialized once per process (it never changes while the
/// node runs).
pub async fn serve() -> Response {
    static JSON: OnceLock<Result<String, String>> = OnceLock::new();
    let json = JSON.get_or_init(|| document().to_json().map_err(|e| e.to_string()));
    match json {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            text.clone(),
        )
            .into_response(),
        Err(e) => {
            crate::error::NodeError::Internal(format!("openapi document: {e}")).into_response()
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sessionsig node",
        description = "Verifies Lit-compatible SessionSigs over HTTP, keeps shared revocations \
                       and use counters, and serves the data backpack (wallet-rooted file \
                       storage). Every refusal is `{\"code\",\"error\"}` with a stable code."
    ),
    paths(
        ops::handshake,
        ops::authorize,
        ops::session,
        ops::post_revocation,
        ops::get_revocation,
        ops::healthz,
        ops::metrics,
        ops::openapi,
        ops::backpack_get,
        ops::backpack_head,
        ops::backpack_put,
        ops::backpack_delete,
        ops::backpack_list_root,
        ops::backpack_list,
    ),
    components(schemas(
        ErrorBody,
        Handshake,
        SessionSigWire,
        AuthSigWire,
        AuthorizeRequest,
        AuthorizeAnswer,
        VerifiedSession,
        UnverifiedSession,
        GrantJson,
        AuthSigCheck,
        DelegationJson,
        RevocationReceipt,
        RevocationLookup,
        RevocationEntry,
        Health,
        ObjectMetaJson,
        ListEntry,
        Listing,
    )),
    modifiers(&SessionSigScheme, &ErrorBodies, &WireForms),
    tags(
        (name = "verify", description = "SessionSig verification and the handshake"),
        (name = "revocations", description = "Signed revocations, shared by every node of the network"),
        (name = "backpack", description = "Wallet-rooted file storage (docs/BACKPACK.md)"),
        (name = "operations", description = "Health, metrics and this document"),
    )
)]
struct ApiDoc;

/// The name of the security scheme of the `Authorization: SessionSig …` header.
pub const SESSION_SIG_SCHEME: &str = "SessionSig";

/// Adds the `SessionSig` security scheme (an API key in the `Authorization` header: OpenAPI
/// has no type for a signed-session credential, and this is how clients send it).
struct SessionSigScheme;

impl Modify for SessionSigScheme {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SESSION_SIG_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`SessionSig <base64url of the SessionSig JSON made for this node>`",
            ))),
        );
    }
}

/// The operations of a path item (every method this document uses), `HEAD` only if asked.
fn operations_mut(item: &mut PathItem, with_head: bool) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.head.as_mut().filter(|_| with_head),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
        item.options.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// Gives every 4xx/5xx response the `{"code","error"}` body it has on the wire (but not on
/// `HEAD`, whose answers have no body), so the path items list statuses only.
struct ErrorBodies;

impl Modify for ErrorBodies {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        for item in doc.paths.paths.values_mut() {
            for op in operations_mut(item, false) {
                for (status, resp) in op.responses.responses.iter_mut() {
                    let is_error = status.starts_with('4') || status.starts_with('5');
                    if let (true, RefOr::T(r)) = (is_error, resp) {
                        if r.content.is_empty() {
                            r.content.insert(
                                "application/json".into(),
                                RefOr::T(Content::new(Some(RefOr::Ref(
                                    utoipa::openapi::Ref::from_schema_name("ErrorBody"),
                                )))),
                            );
                        }
                    }
                }
            }
        }
    }
}

/// Says on the wire what the derive cannot: object bytes are a binary string (not a JSON
/// array of numbers), and an optional header is absent, never `null`.
struct WireForms;

impl Modify for WireForms {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        for item in doc.paths.paths.values_mut() {
            for op in operations_mut(item, true) {
                for p in op.parameters.iter_mut().flatten() {
                    if let RefOr::T(p) = p {
                        if let (ParameterIn::Header, Some(RefOr::T(Schema::Object(o)))) =
                            (&p.parameter_in, &mut p.schema)
                        {
                            o.schema_type = SchemaType::Type(Type::String);
                        }
                    }
                }
                if let Some(RefOr::T(body)) = &mut op.request_body {
                    binary(body.content.iter_mut());
                }
                for r in op.responses.responses.values_mut() {
                    if let RefOr::T(r) = r {
                        binary(r.content.iter_mut());
                    }
                }
            }
        }
    }
}

/// `application/octet-stream` and `*/*` contents: any bytes.
fn binary<'a>(contents: impl Iterator<Item = (&'a String, &'a mut RefOr<Content>)>) {
    for (media, content) in contents {
        if let ("application/octet-stream" | "*/*", RefOr::T(c)) = (media.as_str(), content) {
            c.schema = Some(RefOr::T(Schema::Object(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                    .build(),
            )));
        }
    }
}

/// Every refusal of the node: a stable machine-readable code and a human message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// Stable snake_case code (`missing_authorization`, `invalid_path`, `quota_exhausted`, …).
    pub code: String,
    /// What went wrong, for people; never secret material.
    pub error: String,
}

/// `GET /v1/handshake`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Handshake {
    /// This node's public URL (the `nodeAddress` its SessionSigs must name).
    pub node_url: String,
    /// The node software version.
    pub node_version: String,
    /// Every node of the network (public URLs).
    pub nodes: Vec<String>,
    /// A fresh stateless nonce to put in a SIWE message.
    pub nonce: String,
    /// When the nonce stops being accepted (RFC 3339).
    #[schema(format = DateTime)]
    pub nonce_expires_at: String,
    /// Whether session AuthSigs must carry a nonce of this network.
    pub require_network_nonce: bool,
    /// With `requireNetworkNonce`: the oldest (seconds since it was handed out) a session
    /// AuthSig's nonce may be when a SessionSig is used. Absent otherwise.
    #[serde(default)]
    pub nonce_max_age_secs: Option<u64>,
}

/// A SessionSig as Lit and sessionsig send it: signed by the session key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionSigWire {
    /// The ed25519 signature (hex).
    pub sig: String,
    /// `litSessionSignViaNacl`.
    pub derived_via: String,
    /// The signed JSON: session key, node, requests, capabilities, times.
    pub signed_message: String,
    /// The session public key (64 hex).
    pub address: String,
    /// `ed25519`.
    pub algo: Option<String>,
}

/// An AuthSig (a wallet's SIWE signature): a session grant, a delegation or a revocation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthSigWire {
    /// The signature (`0x` + 130 hex for wallets).
    pub sig: String,
    /// How it was made (`web3.eth.personal.sign`, `EIP1271`, …).
    pub derived_via: String,
    /// The exact SIWE text that was signed.
    pub signed_message: String,
    /// The signer's address.
    pub address: String,
    /// Signature algorithm tag, absent for wallet signatures.
    pub algo: Option<String>,
}

/// `POST /v1/authorize` body: a SessionSig and, optionally, the operation to check it for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuthorizeRequest {
    /// The SessionSig made for this node.
    pub session_sig: SessionSigWire,
    /// With `ability`: the resource of the operation (`lit-pkp://*`, `backpack://0x…/photos/`).
    pub resource: Option<String>,
    /// With `resource`: the ability of the operation (`pkp-signing`, `backpack/read`).
    pub ability: Option<String>,
}

/// `POST /v1/authorize` answer: the verified session, or (on a node started with
/// `--insecure-no-verify` for load comparisons) the unverified session key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum AuthorizeAnswer {
    /// The SessionSig verified.
    Verified(VerifiedSession),
    /// Verification is off on this node.
    Unverified(UnverifiedSession),
}

/// A verified session: who granted what to which session key, until when.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VerifiedSession {
    /// The wallet at the root of the session (EIP-55).
    pub owner: String,
    /// The session public key (64 hex).
    pub session_key: String,
    /// The node the SessionSig was made for.
    pub node_address: String,
    /// When the SessionSig was signed (RFC 3339).
    #[schema(format = DateTime)]
    pub issued_at: String,
    /// When it expires (RFC 3339).
    #[schema(format = DateTime)]
    pub expiration: String,
    /// One grant per request of the SessionSig.
    pub capabilities: Vec<GrantJson>,
    /// The session AuthSig.
    pub auth_sig: AuthSigCheck,
    /// Delegations that verified alongside.
    pub delegations: Vec<DelegationJson>,
}

/// What a node with verification off answers.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UnverifiedSession {
    /// Always `false`.
    pub verified: bool,
    /// Always `true`.
    pub insecure_no_verify: bool,
    /// The session key the SessionSig claims.
    pub session_key: String,
}

/// One granted request of a verified session.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GrantJson {
    /// The requested resource.
    pub resource: String,
    /// The requested ability.
    pub ability: String,
    /// The ReCap resource key that grants it.
    pub granted_resource: String,
    /// The ReCap ability key that grants it.
    pub granted_ability: String,
    /// Its caveats (`[{}]` when unrestricted).
    pub caveats: Vec<Value>,
    /// The wallet that signed the grant.
    pub granted_by: String,
    /// `session` (the session AuthSig) or `delegation`.
    pub via: String,
    /// Hashes of the delegations from the owner up to the root.
    pub chain: Vec<String>,
}

/// The session AuthSig of a verified session.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthSigCheck {
    /// Its hash (`0x` + 64 hex).
    pub hash: String,
    /// How its signature was established (`wallet`, `contract-wallet`, …).
    pub signature: String,
}

/// A delegation that verified with a session.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DelegationJson {
    /// The delegating wallet.
    pub delegator: String,
    /// The SIWE URI of the delegation.
    pub uri: String,
    /// Its hash.
    pub hash: String,
    /// Its ReCap capability, when it has one.
    pub capability: Option<Value>,
    /// When it expires (RFC 3339), if ever.
    pub expiration: Option<String>,
    /// How its signature was established.
    pub signature: String,
}

/// `POST /v1/revocations` answer (201 new, 200 known).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RevocationReceipt {
    /// `session-key:<hex>` or `auth-sig:0x<hash>`.
    pub id: String,
    /// The revoking wallet (EIP-55).
    pub issuer: String,
    /// When the revocation was first recorded (RFC 3339).
    #[schema(format = DateTime)]
    pub revoked_at: String,
    /// The revocation's own hash.
    pub hash: String,
}

/// `GET /v1/revocations/{id}` answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RevocationLookup {
    /// The target.
    pub id: String,
    /// That a revocation takes effect only on grants its issuer signed.
    pub note: String,
    /// Every recorded revocation of the target.
    pub revocations: Vec<RevocationEntry>,
    /// With `?grantedBy=`: that wallet (EIP-55).
    pub granted_by: Option<String>,
    /// With `?grantedBy=`: whether that wallet's grant of the target is revoked.
    pub revoked: Option<bool>,
}

/// One recorded revocation of a target.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RevocationEntry {
    /// The revoking wallet (EIP-55).
    pub issuer: String,
    /// When it was recorded (RFC 3339).
    #[schema(format = DateTime)]
    pub revoked_at: String,
    /// The signed revocation, when kept.
    pub revocation: Option<AuthSigWire>,
    /// Whose grants it refuses.
    pub takes_effect_on: String,
    /// With `?grantedBy=`: whether it refuses that wallet's grant.
    pub effective: Option<bool>,
}

/// `GET /healthz` answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// The node software version.
    pub node_version: String,
}

/// A backpack object's metadata, as a PUT answers it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ObjectMetaJson {
    /// The object's path in its owner's backpack (starts with `/`).
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its `Content-Type`, as written.
    pub content_type: String,
    /// `sha-256=:<base64>:` (RFC 9530).
    pub digest: String,
    /// Its entity tag (quoted).
    pub etag: String,
    /// When it was written (RFC 3339).
    #[schema(format = DateTime)]
    pub modified: String,
}

/// One object of a folder listing.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ListEntry {
    /// The object's path.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its `Content-Type`.
    pub content_type: String,
    /// `sha-256=:<base64>:`.
    pub digest: String,
    /// When it was written (RFC 3339).
    #[schema(format = DateTime)]
    pub modified: String,
}

/// `GET` of a folder: one page of its objects and subfolders.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Listing {
    /// The objects directly in the folder.
    pub entries: Vec<ListEntry>,
    /// The subfolders (paths ending in `/`).
    pub folders: Vec<String>,
    /// The `cursor` of the next page; `null` on the last.
    #[schema(required = true)]
    pub next: Option<String>,
}

/// Path items only: the handlers live in `routes.rs` and the backpack crate; these functions
/// are never called, they carry the `#[utoipa::path]` descriptions the document is built from.
#[allow(dead_code)]
mod ops {
    use super::*;

    #[utoipa::path(
        get, path = "/v1/handshake", tag = "verify",
        description = "This node, the network and a fresh stateless nonce for a SIWE message.",
        responses(
            (status = 200, description = "The handshake", body = Handshake),
            (status = 408, description = "`request_timeout`"),
            (status = 429, description = "`client_overloaded` (with `Retry-After`)"),
            (status = 503, description = "`overloaded` (with `Retry-After`)"),
        )
    )]
    fn handshake() {}

    #[utoipa::path(
        post, path = "/v1/authorize", tag = "verify",
        description = "Verify a SessionSig, as a whole or for one operation (`resource` and \
                       `ability` go together). Spends a use of each `uses` caveat.",
        request_body(content = AuthorizeRequest, content_type = "application/json"),
        responses(
            (status = 200, description = "The verified session", body = AuthorizeAnswer),
            (status = 400, description = "`invalid_request`, `json_too_deep`, …"),
            (status = 401, description = "Who signed could not be established (`session_sig_malformed`, `expired`, `wrong_node`, …)"),
            (status = 403, description = "Not granted, revoked, out of uses"),
            (status = 408, description = "`request_timeout`"),
            (status = 413, description = "`payload_too_large`"),
            (status = 415, description = "`unsupported_media_type`: the body must be JSON"),
            (status = 429, description = "`client_overloaded`, `quota_exhausted`"),
            (status = 503, description = "`store_unavailable`, `contract_wallet_unavailable`, `overloaded`"),
        )
    )]
    fn authorize() {}

    #[utoipa::path(
        get, path = "/v1/session", tag = "verify",
        description = "The verified session of the `Authorization: SessionSig …` header (spends nothing).",
        security(("SessionSig" = [])),
        responses(
            (status = 200, description = "The verified session", body = VerifiedSession),
            (status = 400, description = "`json_too_deep`, …"),
            (status = 401, description = "`missing_authorization`, `malformed_authorization`, or the SessionSig did not verify"),
            (status = 403, description = "Not granted or revoked"),
            (status = 408, description = "`request_timeout`"),
            (status = 429, description = "`client_overloaded`"),
            (status = 503, description = "`store_unavailable`, `overloaded`"),
        )
    )]
    fn session() {}

    #[utoipa::path(
        post, path = "/v1/revocations", tag = "revocations",
        description = "Record a signed revocation (an AuthSig whose SIWE URI is \
                       `lit:revocation:<target>`); it stops the target at every node at the next request.",
        request_body(content = AuthSigWire, content_type = "application/json"),
        responses(
            (status = 201, description = "Recorded", body = RevocationReceipt,
                headers(("Location" = String, description = "`/v1/revocations/<id>`"))),
            (status = 200, description = "Already known", body = RevocationReceipt,
                headers(("Location" = String, description = "`/v1/revocations/<id>`"))),
            (status = 400, description = "`invalid_revocation`, `json_too_deep`, …"),
            (status = 401, description = "The signature or SIWE message did not verify"),
            (status = 403, description = "Refused by policy"),
            (status = 408, description = "`request_timeout`"),
            (status = 413, description = "`payload_too_large`"),
            (status = 415, description = "`unsupported_media_type`"),
            (status = 429, description = "`rate_limited` (with `Retry-After`), `client_overloaded`"),
            (status = 503, description = "`store_unavailable`, `overloaded`"),
        )
    )]
    fn post_revocation() {}

    #[utoipa::path(
        get, path = "/v1/revocations/{id}", tag = "revocations",
        description = "Who revoked `id`, and on whose grants each revocation takes effect.",
        params(
            ("id" = String, Path,
                pattern = "^(session-key:[0-9a-f]{64}|auth-sig:0x[0-9a-fA-F]{64})$",
                description = "`session-key:<64 lowercase hex>` (an ed25519 point) or `auth-sig:0x<64 hex>`"),
            ("grantedBy" = Option<String>, Query,
                description = "The wallet that granted the target: the answer says whether its grant is revoked (200 either way)"),
        ),
        responses(
            (status = 200, description = "The revocations of the target", body = RevocationLookup),
            (status = 400, description = "`invalid_request`: not a revocation id, or a bad query"),
            (status = 404, description = "`not_found`: nobody revoked it (without `grantedBy`)"),
            (status = 408, description = "`request_timeout`"),
            (status = 429, description = "`client_overloaded`"),
            (status = 503, description = "`store_unavailable`, `overloaded`"),
        )
    )]
    fn get_revocation() {}

    #[utoipa::path(
        get, path = "/healthz", tag = "operations",
        description = "200 when the store answers; nothing about the configuration.",
        responses(
            (status = 200, description = "Healthy", body = Health),
            (status = 503, description = "`store_unavailable`"),
        )
    )]
    fn healthz() {}

    #[utoipa::path(
        get, path = "/metrics", tag = "operations",
        description = "Prometheus text exposition.",
        responses(
            (status = 200, description = "Metrics", body = String,
                content_type = "text/plain; version=0.0.4; charset=utf-8"),
        )
    )]
    fn metrics() {}

    #[utoipa::path(
        get, path = "/openapi.json", tag = "operations",
        description = "This document (OpenAPI 3.1).",
        responses(
            (status = 200, description = "The OpenAPI document", body = Value,
                content_type = "application/json"),
        )
    )]
    fn openapi() {}

    #[utoipa::path(
        get, path = "/v1/backpack/{owner}/{path}", tag = "backpack",
        description = "Read an object (`backpack/read`). Deeper paths (`/v1/backpack/<owner>/a/b.jpg`) \
                       are served the same way.",
        security(("SessionSig" = [])),
        params(
            ("owner" = String, Path, pattern = "^0x[0-9a-f]{40}$",
                description = "The owning wallet, lowercase `0x` + 40 hex"),
            ("path" = String, Path, description = "The object's path below the owner"),
            ("Range" = Option<String>, Header, description = "`bytes=a-b`, `bytes=a-`, `bytes=-n`"),
            ("If-None-Match" = Option<String>, Header, description = "Entity tags: 304 when one matches"),
            ("Signature-Input" = Option<String>, Header, description = "RFC 9421, when the node requires signed reads"),
            ("Signature" = Option<String>, Header, description = "RFC 9421, when the node requires signed reads"),
        ),
        responses(
            (status = 200, description = "The bytes", body = [u8], content_type = "*/*",
                headers(("ETag" = String), ("Last-Modified" = String), ("Content-Digest" = String),
                        ("Accept-Ranges" = String))),
            (status = 206, description = "The requested range", body = [u8], content_type = "*/*",
                headers(("Content-Range" = String), ("ETag" = String))),
            (status = 304, description = "Not modified (`If-None-Match`)"),
            (status = 400, description = "`invalid_path`, `invalid_request`, `malformed_request_signature`"),
            (status = 401, description = "No or a bad SessionSig (or request signature, when required)"),
            (status = 403, description = "Not granted (scope, ability), revoked, out of uses"),
            (status = 404, description = "`not_found`"),
            (status = 416, description = "`range_not_satisfiable` (with `Content-Range: bytes */<size>`)"),
            (status = 429, description = "`quota_exhausted` (a `max_bytes` traffic cap)"),
            (status = 503, description = "`store_unavailable`"),
        )
    )]
    fn backpack_get() {}

    #[utoipa::path(
        head, path = "/v1/backpack/{owner}/{path}", tag = "backpack",
        description = "The headers of a read, no body (`backpack/read`).",
        security(("SessionSig" = [])),
        params(
            ("owner" = String, Path, pattern = "^0x[0-9a-f]{40}$",
                description = "The owning wallet, lowercase `0x` + 40 hex"),
            ("path" = String, Path, description = "The object's path below the owner"),
        ),
        responses(
            (status = 200, description = "The object's headers",
                headers(("ETag" = String), ("Content-Length" = String), ("Last-Modified" = String),
                        ("Content-Digest" = String))),
            (status = 304, description = "Not modified (`If-None-Match`)"),
            (status = 400, description = "`invalid_path`"),
            (status = 401, description = "No or a bad SessionSig"),
            (status = 403, description = "Not granted"),
            (status = 404, description = "`not_found`"),
            (status = 429, description = "`quota_exhausted`"),
            (status = 503, description = "`store_unavailable`"),
        )
    )]
    fn backpack_head() {}

    #[utoipa::path(
        put, path = "/v1/backpack/{owner}/{path}", tag = "backpack",
        description = "Write an object (`backpack/write`), signed by the session key (RFC 9421). \
                       The digest is checked before anything becomes visible.",
        security(("SessionSig" = [])),
        params(
            ("owner" = String, Path, pattern = "^0x[0-9a-f]{40}$",
                description = "The owning wallet, lowercase `0x` + 40 hex"),
            ("path" = String, Path, description = "The object's path below the owner"),
            ("Content-Digest" = String, Header, description = "`sha-256=:<base64>:` (RFC 9530) of the body"),
            ("Signature-Input" = String, Header,
                description = "RFC 9421: `alg=\"ed25519\"`, `keyid` = session key, `created`, `nonce`; covers `@method @authority @path @query content-digest`"),
            ("Signature" = String, Header, description = "RFC 9421 signature by the session key"),
            ("If-Match" = Option<String>, Header, description = "Entity tags or `*`: 412 unless one matches"),
            ("If-None-Match" = Option<String>, Header, description = "`*`: 412 when the object exists"),
        ),
        request_body(content = [u8], content_type = "application/octet-stream",
            description = "The object's bytes (any `Content-Type`, kept)"),
        responses(
            (status = 201, description = "Created", body = ObjectMetaJson, headers(("ETag" = String))),
            (status = 200, description = "Replaced", body = ObjectMetaJson, headers(("ETag" = String))),
            (status = 400, description = "`invalid_path`, `digest_mismatch`, `invalid_request`, `malformed_request_signature`, …"),
            (status = 401, description = "No or a bad SessionSig, request signature missing or bad, `replayed`"),
            (status = 403, description = "Not granted (scope, ability), revoked, out of uses"),
            (status = 411, description = "`length_required`: a traffic cap needs `Content-Length`"),
            (status = 412, description = "`precondition_failed`"),
            (status = 413, description = "`too_large`"),
            (status = 429, description = "`quota_exhausted`"),
            (status = 503, description = "`store_unavailable`"),
            (status = 507, description = "`storage_full`: the owner's quota"),
        )
    )]
    fn backpack_put() {}

    #[utoipa::path(
        delete, path = "/v1/backpack/{owner}/{path}", tag = "backpack",
        description = "Delete an object (`backpack/delete`), signed by the session key (RFC 9421).",
        security(("SessionSig" = [])),
        params(
            ("owner" = String, Path, pattern = "^0x[0-9a-f]{40}$",
                description = "The owning wallet, lowercase `0x` + 40 hex"),
            ("path" = String, Path, description = "The object's path below the owner"),
            ("Signature-Input" = String, Header,
                description = "RFC 9421: `alg=\"ed25519\"`, `keyid` = session key, `created`, `nonce`; covers `@method @authority @path @query`"),
            ("Signature" = String, Header, description = "RFC 9421 signature by the session key"),
            ("If-Match" = Option<String>, Header, description = "Entity tags or `*`: 412 unless one matches"),
        ),
        responses(
            (status = 204, description = "Deleted"),
            (status = 400, description = "`invalid_path`, `malformed_request_signature`, …"),
            (status = 401, description = "No or a bad SessionSig, request signature missing or bad, `replayed`"),
            (status = 403, description = "Not granted, revoked, out of uses"),
            (status = 404, description = "`not_found`"),
            (status = 412, description = "`precondition_failed`"),
            (status = 429, description = "`quota_exhausted`"),
            (status = 503, description = "`store_unavailable`"),
        )
    )]
    fn backpack_delete() {}

    #[utoipa::path(
        get, path = "/v1/backpack/{owner}/", tag = "backpack",
        description = "List the whole backpack's top folder (`backpack/list`).",
        security(("SessionSig" = [])),
        params(
            ("owner" = String, Path, pattern = "^0x[0-9a-f]{40}$",
                description = "The owning wallet, lowercase `0x` + 40 hex"),
            ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size (default 100)"),
            ("cursor" = Option<String>, Query, description = "`next` of the previous page"),
        ),
        responses(
            (status = 200, description = "One page", body = Listing),
            (status = 400, description = "`invalid_path`, `invalid_request` (limit), `invalid_cursor`"),
            (status = 401, description = "No or a bad SessionSig"),
            (status = 403, description = "Not granted"),
            (status = 429, description = "`quota_exhausted`"),
            (status = 503, description = "`store_unavailable`"),
        )
    )]
    fn backpack_list_root() {}

    #[utoipa::path(
        get, path = "/v1/backpack/{owner}/{folder}/", tag = "backpack",
        description = "List a folder (`backpack/list`); deeper folders are served the same way.",
        security(("SessionSig" = [])),
        params(
            ("owner" = String, Path, pattern = "^0x[0-9a-f]{40}$",
                description = "The owning wallet, lowercase `0x` + 40 hex"),
            ("folder" = String, Path, description = "The folder below the owner"),
            ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size (default 100)"),
            ("cursor" = Option<String>, Query, description = "`next` of the previous page"),
        ),
        responses(
            (status = 200, description = "One page", body = Listing),
            (status = 400, description = "`invalid_path`, `invalid_request` (limit), `invalid_cursor`"),
            (status = 401, description = "No or a bad SessionSig"),
            (status = 403, description = "Not granted"),
            (status = 429, description = "`quota_exhausted`"),
            (status = 503, description = "`store_unavailable`"),
        )
    )]
    fn backpack_list() {}
}
