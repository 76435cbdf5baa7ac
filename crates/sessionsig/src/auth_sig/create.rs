//! Making AuthSigs: a SIWE message carrying a ReCap, signed by a wallet.

use super::{AuthSig, DELEGATION_URI, DERIVED_VIA_PERSONAL_SIGN, SESSION_URI_PREFIX};
use crate::error::{Error, Result};
use crate::recap::{statement_with_recap, Capability, Caveat};
use crate::siwe::SiweMessage;
use crate::time::Timestamp;
use crate::wallet::WalletSigner;

/// The statement the Lit v7 SDK puts before the ReCap text when the caller gives none.
pub const LIT_DEFAULT_STATEMENT: &str =
    "This is a test statement.  You can put anything you want here.";

/// Everything a delegating SIWE message says besides the signer's address.
#[derive(Debug, Clone)]
pub struct SiweRecapParams {
    /// The requesting origin's authority (Lit default `localhost`).
    pub domain: String,
    /// `lit:session:<key>`, `lit:capability:delegation`, or any RFC 3986 URI.
    pub uri: String,
    /// The user's own statement; the ReCap text is appended after one space.
    /// `None` gives the ReCap text alone.
    pub statement: Option<String>,
    /// SIWE nonce (Lit uses a recent block hash).
    pub nonce: String,
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// When the message is issued.
    pub issued_at: Timestamp,
    /// When the delegation stops.
    pub expiration: Option<Timestamp>,
    /// When the delegation starts, if later than issue.
    pub not_before: Option<Timestamp>,
    /// What is delegated.
    pub capability: Capability,
}

impl SiweRecapParams {
    /// URI for a session AuthSig delegating to the session key `public_hex`.
    pub fn session_uri(public_hex: &str) -> String {
        format!("{SESSION_URI_PREFIX}{public_hex}")
    }

    /// URI for a delegation to other users.
    pub fn delegation_uri() -> String {
        DELEGATION_URI.to_owned()
    }

    /// The SIWE message for `address`: statement with the ReCap text, the ReCap URN as the
    /// last (only) resource. The message is validated.
    pub fn to_siwe(&self, address: alloy_primitives::Address) -> Result<SiweMessage> {
        let msg = SiweMessage {
            scheme: None,
            domain: self.domain.clone(),
            address,
            statement: Some(statement_with_recap(
                self.statement.as_deref(),
                &self.capability,
            )),
            uri: self.uri.clone(),
            version: "1".to_owned(),
            chain_id: self.chain_id,
            nonce: self.nonce.clone(),
            issued_at: self.issued_at.clone(),
            expiration_time: self.expiration.clone(),
            not_before: self.not_before.clone(),
            request_id: None,
            resources: Some(vec![self.capability.encode()]),
        };
        msg.validate()?;
        Ok(msg)
    }
}

impl AuthSig {
    /// Sign `message` with `wallet` (EIP-191 over the exact formatted text).
    ///
    /// The message's address must be the wallet's.
    pub fn sign(wallet: &dyn WalletSigner, message: &SiweMessage) -> Result<AuthSig> {
        if message.address != wallet.address() {
            return Err(Error::AuthSigAddressMismatch {
                auth_sig: wallet.address().to_checksum(None),
                siwe: message.address.to_checksum(None),
            });
        }
        message.validate()?;
        let text = message.to_message();
        let sig = wallet.sign_message(text.as_bytes())?;
        Ok(AuthSig {
            sig: format!("0x{}", hex::encode(sig)),
            derived_via: DERIVED_VIA_PERSONAL_SIGN.to_owned(),
            signed_message: text,
            address: message.address.to_checksum(None),
            algo: None,
        })
    }

    /// Build the SIWE message from `params` for the wallet's address and sign it.
    pub fn create(wallet: &dyn WalletSigner, params: &SiweRecapParams) -> Result<AuthSig> {
        let msg = params.to_siwe(wallet.address())?;
        Self::sign(wallet, &msg)
    }
}

/// The caveat object of a Lit capacity delegation (`Auth/Auth` on `lit-ratelimitincrease://…`):
/// `nft_id: ["<id>"]`, `delegate_to: ["<address without 0x>"]`, `uses: "<n>"`, each only when
/// given — the shape the Lit SDK writes.
pub fn capacity_delegation_caveat(
    nft_id: Option<&str>,
    delegate_to: &[String],
    uses: Option<u64>,
) -> Caveat {
    let mut c = Caveat::new();
    if let Some(id) = nft_id {
        c.insert("nft_id".into(), serde_json::json!([id]));
    }
    if !delegate_to.is_empty() {
        let list: Vec<String> = delegate_to
            .iter()
            .map(|a| {
                a.strip_prefix("0x")
                    .or_else(|| a.strip_prefix("0X"))
                    .unwrap_or(a)
                    .to_owned()
            })
            .collect();
        c.insert("delegate_to".into(), serde_json::json!(list));
    }
    if let Some(n) = uses {
        c.insert("uses".into(), serde_json::Value::String(n.to_string()));
    }
    c
}
