//! The JSON document a session key signs for one node (`signedMessage` of a SessionSig).
//!
//! Lit v7 writes `{"sessionKey","resourceAbilityRequests","capabilities","issuedAt","expiration","nodeAddress"}`
//! with each resource as `{"resource","resourcePrefix"}`; v8 writes each resource prefix-first
//! and appends `"maxPrice"`. Both are produced byte for byte here and both are parsed.

use crate::auth_sig::AuthSig;
use crate::error::{Error, Result};
use serde::Deserialize;

/// The wire form a SessionSig message is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireFormat {
    /// Lit v7 ("Datil"): no `maxPrice`, resources written `{"resource","resourcePrefix"}`.
    V7,
    /// Lit v8 ("Naga"): `maxPrice` (wei) appended last, resources written prefix first.
    V8 {
        /// The most the user agrees to pay for the request, in wei.
        max_price: u128,
    },
}

/// A resource as written inside a request element.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WireResource {
    /// The id part (`*`, a PKP id, a conditions hash, …).
    pub resource: String,
    /// The prefix (`lit-pkp`, …).
    #[serde(rename = "resourcePrefix")]
    pub resource_prefix: String,
}

/// One element of `resourceAbilityRequests`, exactly as received.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WireRequest {
    /// The resource asked for.
    pub resource: WireResource,
    /// The Lit ability name asked for.
    pub ability: String,
    /// Optional request data carried after `ability`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
}

impl WireRequest {
    /// The resource key `<prefix>://<id>`.
    pub fn resource_key(&self) -> String {
        format!(
            "{}://{}",
            self.resource.resource_prefix, self.resource.resource
        )
    }
}

/// The parsed `signedMessage` of a SessionSig. Parsing trusts nothing: it only reads.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SessionSigMessage {
    /// The session public key (hex) that signed.
    #[serde(rename = "sessionKey")]
    pub session_key: String,
    /// What the session asks this node for.
    #[serde(rename = "resourceAbilityRequests")]
    pub resource_ability_requests: Vec<WireRequest>,
    /// AuthSigs: other capabilities, then any delegation, then the session AuthSig last.
    pub capabilities: Vec<AuthSig>,
    /// When the session key signed (JavaScript ISO form).
    #[serde(rename = "issuedAt")]
    pub issued_at: String,
    /// When this signature stops being valid.
    pub expiration: String,
    /// The node this signature is for (full URL).
    #[serde(rename = "nodeAddress")]
    pub node_address: String,
    /// v8 only: the maximum price, `0x` + hex wei.
    #[serde(rename = "maxPrice", default)]
    pub max_price: Option<String>,
}

impl SessionSigMessage {
    /// Parse a `signedMessage` string.
    pub fn parse(text: &str) -> Result<Self> {
        serde_json::from_str(text)
            .map_err(|e| Error::SessionSigMalformed(format!("signedMessage: {e}")))
    }
}

/// The parts of a message common to every node, serialized once: the bytes before and after
/// the node URL. Signing for N nodes then costs N string joins and N signatures.
#[derive(Debug, Clone)]
pub(crate) struct MessageTemplate {
    head: String,
    tail: String,
}

/// One request to write: resource prefix, resource id, ability, optional data.
pub(crate) struct RequestOut<'a> {
    pub prefix: &'a str,
    pub id: &'a str,
    pub ability: &'a str,
    pub data: Option<&'a serde_json::Value>,
}

impl MessageTemplate {
    /// Serialize everything but `nodeAddress`.
    pub(crate) fn new(
        session_key: &str,
        requests: &[RequestOut<'_>],
        capabilities: &[AuthSig],
        issued_at: &str,
        expiration: &str,
        format: WireFormat,
    ) -> Result<Self> {
        let s = |v: &str| serde_json::to_string(v).map_err(Error::from);
        let mut head = String::with_capacity(1024);
        head.push_str("{\"sessionKey\":");
        head.push_str(&s(session_key)?);
        head.push_str(",\"resourceAbilityRequests\":[");
        for (i, r) in requests.iter().enumerate() {
            if i > 0 {
                head.push(',');
            }
            match format {
                WireFormat::V7 => {
                    head.push_str("{\"resource\":{\"resource\":");
                    head.push_str(&s(r.id)?);
                    head.push_str(",\"resourcePrefix\":");
                    head.push_str(&s(r.prefix)?);
                }
                WireFormat::V8 { .. } => {
                    head.push_str("{\"resource\":{\"resourcePrefix\":");
                    head.push_str(&s(r.prefix)?);
                    head.push_str(",\"resource\":");
                    head.push_str(&s(r.id)?);
                }
            }
            head.push_str("},\"ability\":");
            head.push_str(&s(r.ability)?);
            if let Some(d) = r.data {
                head.push_str(",\"data\":");
                head.push_str(&serde_json::to_string(d)?);
            }
            head.push('}');
        }
        head.push_str("],\"capabilities\":");
        head.push_str(&serde_json::to_string(capabilities)?);
        head.push_str(",\"issuedAt\":");
        head.push_str(&s(issued_at)?);
        head.push_str(",\"expiration\":");
        head.push_str(&s(expiration)?);
        head.push_str(",\"nodeAddress\":");
        let tail = match format {
            WireFormat::V7 => "}".to_owned(),
            WireFormat::V8 { max_price } => format!(",\"maxPrice\":\"0x{max_price:x}\"}}"),
        };
        Ok(MessageTemplate { head, tail })
    }

    /// The full message for one node.
    pub(crate) fn for_node(&self, node: &str) -> Result<String> {
        let node = serde_json::to_string(node)?;
        let mut out = String::with_capacity(self.head.len() + node.len() + self.tail.len());
        out.push_str(&self.head);
        out.push_str(&node);
        out.push_str(&self.tail);
        Ok(out)
    }
}
