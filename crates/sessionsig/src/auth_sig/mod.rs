//! AuthSigs: a SIWE message signed by a wallet (or, for Lit PKPs, by the network), carried in a
//! SessionSig's `capabilities`.
//!
//! The wire object is `{"sig", "derivedVia", "signedMessage", "address"[, "algo"]}` in exactly
//! that key order. [`AuthSig`] is the unverified wire form; verification yields a
//! [`VerifiedAuthSig`](verify::VerifiedAuthSig).

use serde::{Deserialize, Serialize};

mod contract;
mod create;
mod revocation;
mod verify;

pub use contract::{ContractWalletVerifier, ERC1271_MAGIC, ERC6492_MAGIC};
pub use create::{capacity_delegation_caveat, SiweRecapParams, LIT_DEFAULT_STATEMENT};
pub use revocation::{
    revocation_statement, RevocationParams, RevocationTarget, VerifiedRevocation,
};
pub use verify::{AuthSigPolicy, AuthSigRole, SignatureCheck, VerifiedAuthSig};

/// `derivedVia` of an AuthSig made by an ordinary wallet (EIP-191 `personal_sign`).
pub const DERIVED_VIA_PERSONAL_SIGN: &str = "web3.eth.personal.sign";
/// `derivedVia` of a contract-wallet (ERC-1271) AuthSig.
pub const DERIVED_VIA_EIP1271: &str = "EIP1271";
/// `derivedVia` of an ERC-1271 AuthSig over the SHA-256 of the message.
pub const DERIVED_VIA_EIP1271_SHA256: &str = "EIP1271_SHA256";
/// `derivedVia` of an AuthSig signed by the Lit network's BLS key (PKP sessions).
pub const DERIVED_VIA_LIT_BLS: &str = "lit.bls";
/// SIWE URI prefix of a session AuthSig: `lit:session:<session public key hex>`.
pub const SESSION_URI_PREFIX: &str = "lit:session:";
/// SIWE URI of a delegation AuthSig (one user grants capabilities to others).
pub const DELEGATION_URI: &str = "lit:capability:delegation";
/// SIWE URI prefix of a revocation: `lit:revocation:<target id>`.
pub const REVOCATION_URI_PREFIX: &str = "lit:revocation:";

/// An AuthSig as it travels on the wire. Nothing in it is trusted until verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthSig {
    /// The signature: `0x` + 130 hex for wallets; other encodings for other `derived_via`.
    pub sig: String,
    /// How the signature was made (`web3.eth.personal.sign`, `EIP1271`, `lit.bls`, …).
    #[serde(rename = "derivedVia")]
    pub derived_via: String,
    /// The exact SIWE text that was signed.
    #[serde(rename = "signedMessage")]
    pub signed_message: String,
    /// The signer's address (EIP-55).
    pub address: String,
    /// Signature algorithm tag, absent for wallet signatures (`LIT_BLS` for network ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algo: Option<String>,
}

impl AuthSig {
    /// The compact JSON wire form (key order `sig, derivedVia, signedMessage, address[, algo]`).
    pub fn to_json(&self) -> String {
        // Serializing a struct of strings cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parse the JSON wire form.
    pub fn from_json(text: &str) -> crate::Result<Self> {
        serde_json::from_str(text).map_err(|e| crate::Error::AuthSigMalformed(e.to_string()))
    }
}
