//! Verification of one AuthSig: signature over the exact received bytes, SIWE time window,
//! address agreement and the ReCap statement rule.

use super::{
    AuthSig, DELEGATION_URI, DERIVED_VIA_LIT_BLS, DERIVED_VIA_PERSONAL_SIGN, SESSION_URI_PREFIX,
};
use crate::error::{Error, Result};
use crate::recap::{check_statement, Capability};
use crate::siwe::{verify_signature, SiweMessage};
use alloy_primitives::{Address, B256};
use time::{Duration, OffsetDateTime};

/// What an AuthSig is for, read from its SIWE `URI`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthSigRole {
    /// Delegates to the session key with this public key hex (`lit:session:<key>`).
    Session(String),
    /// Grants capabilities to other users (`lit:capability:delegation`).
    Delegation,
    /// Any other URI.
    Other(String),
}

/// How the AuthSig's signature was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureCheck {
    /// An EIP-191 wallet signature, recovered and compared with the address.
    Wallet,
    /// A Lit network (`lit.bls`) signature accepted on the verifier's explicit trust policy,
    /// without a cryptographic check (the network's BLS key is not known here).
    TrustedNetwork,
}

/// Options for AuthSig verification.
#[derive(Debug, Clone, Copy)]
pub struct AuthSigPolicy {
    /// Allowed clock skew on each side of the SIWE time window.
    pub skew: Duration,
    /// Accept `lit.bls` AuthSigs (signed by the Lit network) without checking the BLS
    /// signature. Off by default: turn on only for a node that trusts the Lit network.
    pub trust_lit_bls: bool,
}

impl Default for AuthSigPolicy {
    fn default() -> Self {
        AuthSigPolicy {
            skew: Duration::seconds(60),
            trust_lit_bls: false,
        }
    }
}

/// An AuthSig whose signature, time window and statement rule have been checked.
#[derive(Debug, Clone)]
pub struct VerifiedAuthSig {
    /// The signer (the SIWE address).
    pub address: Address,
    /// The parsed SIWE message.
    pub siwe: SiweMessage,
    /// The ReCap capability (the last `urn:recap:` resource), if any.
    pub capability: Option<Capability>,
    /// What the AuthSig is for.
    pub role: AuthSigRole,
    /// How its signature was established.
    pub check: SignatureCheck,
    /// keccak256 of the signed bytes followed by the signature text: a stable identity for
    /// caching and revocation.
    pub hash: B256,
}

impl VerifiedAuthSig {
    /// The end of the SIWE validity window, if it has one.
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        self.siwe.expiration_time.as_ref().map(|t| t.instant())
    }
}

impl AuthSig {
    /// The identity of this AuthSig: keccak256(signedMessage bytes ‖ sig bytes).
    pub fn hash(&self) -> B256 {
        let mut buf = Vec::with_capacity(self.signed_message.len() + self.sig.len());
        buf.extend_from_slice(self.signed_message.as_bytes());
        buf.extend_from_slice(self.sig.as_bytes());
        alloy_primitives::keccak256(&buf)
    }

    /// Parse the SIWE message and read the role, without checking anything else.
    pub fn parse_siwe(&self) -> Result<(SiweMessage, AuthSigRole)> {
        let siwe = SiweMessage::parse(&self.signed_message)?;
        let role = role_of(&siwe.uri);
        Ok((siwe, role))
    }

    /// Verify this AuthSig at `now`.
    pub fn verify(&self, now: OffsetDateTime, policy: &AuthSigPolicy) -> Result<VerifiedAuthSig> {
        let (siwe, role) = self.parse_siwe()?;
        self.verify_parsed(siwe, role, now, policy)
    }

    /// Verify with an already parsed SIWE message (it must be `parse(self.signed_message)`).
    pub(crate) fn verify_parsed(
        &self,
        siwe: SiweMessage,
        role: AuthSigRole,
        now: OffsetDateTime,
        policy: &AuthSigPolicy,
    ) -> Result<VerifiedAuthSig> {
        let claimed: Address = self.address.parse().map_err(|_| {
            Error::AuthSigMalformed(format!(
                "address `{}` is not an Ethereum address",
                self.address
            ))
        })?;
        if claimed != siwe.address {
            return Err(Error::AuthSigAddressMismatch {
                auth_sig: self.address.clone(),
                siwe: siwe.address.to_checksum(None),
            });
        }
        let check = match self.derived_via.as_str() {
            DERIVED_VIA_PERSONAL_SIGN => {
                if self.algo.as_deref().is_some_and(|a| !a.is_empty()) {
                    return Err(Error::AuthSigMalformed(
                        "a wallet AuthSig carries no `algo`".into(),
                    ));
                }
                verify_signature(self.signed_message.as_bytes(), &self.sig, siwe.address)?;
                SignatureCheck::Wallet
            }
            DERIVED_VIA_LIT_BLS if policy.trust_lit_bls => SignatureCheck::TrustedNetwork,
            other => return Err(Error::UnsupportedDerivedVia(other.to_owned())),
        };
        siwe.check_time(now, policy.skew)?;
        let capability = Capability::from_siwe_resources(siwe.resources.as_deref())?;
        if let Some(cap) = &capability {
            check_statement(siwe.statement.as_deref(), cap)?;
        }
        Ok(VerifiedAuthSig {
            address: siwe.address,
            capability,
            role,
            check,
            hash: self.hash(),
            siwe,
        })
    }
}

fn role_of(uri: &str) -> AuthSigRole {
    if let Some(key) = uri.strip_prefix(SESSION_URI_PREFIX) {
        AuthSigRole::Session(key.to_owned())
    } else if uri == DELEGATION_URI {
        AuthSigRole::Delegation
    } else {
        AuthSigRole::Other(uri.to_owned())
    }
}
