//! Making SessionSigs: one ed25519 signature per node over the node's own message.

use super::message::{MessageTemplate, RequestOut, WireFormat};
use super::sig::{SessionSig, SessionSigs, SESSION_ALGO, SESSION_DERIVED_VIA};
use super::SessionKeyPair;
use crate::auth_sig::AuthSig;
use crate::error::{Error, Result};
use crate::lit::ResourceAbilityRequest;
use crate::time::to_iso_string;
use time::OffsetDateTime;

/// What every node's SessionSig says, besides the node.
#[derive(Debug, Clone)]
pub struct SessionSigParams<'a> {
    /// What the session asks for (the same or less than its AuthSig grants).
    pub requests: &'a [ResourceAbilityRequest],
    /// AuthSigs in wire order: other capabilities, then any delegation, then the session
    /// AuthSig last.
    pub capabilities: &'a [AuthSig],
    /// Issue time (written with millisecond precision, as JavaScript does).
    pub issued_at: OffsetDateTime,
    /// Expiration (written with millisecond precision).
    pub expiration: OffsetDateTime,
    /// v7 or v8 wire form.
    pub format: WireFormat,
}

impl SessionKeyPair {
    /// Sign one SessionSig for each node URL; the map is keyed by the node URLs in order.
    pub fn sign_session_sigs<S: AsRef<str>>(
        &self,
        params: &SessionSigParams<'_>,
        nodes: &[S],
    ) -> Result<SessionSigs> {
        if params.expiration < params.issued_at {
            return Err(Error::ExpirationBeforeIssuedAt);
        }
        if params.requests.is_empty() {
            return Err(Error::SessionSigMalformed(
                "a SessionSig needs at least one resource ability request".into(),
            ));
        }
        let requests: Vec<RequestOut<'_>> = params
            .requests
            .iter()
            .map(|r| RequestOut {
                prefix: r.resource.prefix().as_str(),
                id: r.resource.id(),
                ability: r.ability.as_str(),
                data: None,
            })
            .collect();
        let public = self.public_hex();
        let template = MessageTemplate::new(
            &public,
            &requests,
            params.capabilities,
            &to_iso_string(params.issued_at),
            &to_iso_string(params.expiration),
            params.format,
        )?;
        let mut out = SessionSigs::new();
        for node in nodes {
            let node = node.as_ref();
            if node.is_empty() {
                return Err(Error::SessionSigMalformed("empty node URL".into()));
            }
            let signed_message = template.for_node(node)?;
            let sig = self.sign(signed_message.as_bytes());
            out.insert(
                node.to_owned(),
                SessionSig {
                    sig: hex::encode(sig),
                    derived_via: SESSION_DERIVED_VIA.to_owned(),
                    signed_message,
                    address: public.clone(),
                    algo: Some(SESSION_ALGO.to_owned()),
                },
            );
        }
        Ok(out)
    }
}
