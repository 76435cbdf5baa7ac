//! Revocations: a wallet withdraws a session key or one AuthSig it signed, with a signed SIWE
//! message whose URI is `lit:revocation:<target id>` and whose statement says so in words.
//!
//! ```text
//! localhost wants you to sign in with your Ethereum account:
//! 0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A
//!
//! I revoke session-key:a09aa5f47a6759802ff955f8dc2d2a14a5c99d23be97f864127ff9383455a4f0.
//!
//! URI: lit:revocation:session-key:a09aa5f47a6759802ff955f8dc2d2a14a5c99d23be97f864127ff9383455a4f0
//! Version: 1
//! Chain ID: 1
//! Nonce: …
//! Issued At: …
//! ```
//! It is an ordinary wallet-signed AuthSig, so it carries the same proof of authorship; the
//! stores key revocations by (target, signer), so only the wallet that granted can revoke.

use super::{AuthSig, AuthSigPolicy, AuthSigRole, REVOCATION_URI_PREFIX};
use crate::error::{Error, Result};
use crate::siwe::SiweMessage;
use crate::time::Timestamp;
use crate::wallet::WalletSigner;
use alloy_primitives::{Address, B256};
use time::OffsetDateTime;

/// What a revocation names. Each is revocable only by the wallet that granted it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RevocationTarget {
    /// Every delegation from the issuing wallet to this session key (64 hex).
    SessionKey(String),
    /// One AuthSig (session AuthSig or delegation), by the keccak256 of its signed message.
    AuthSig(alloy_primitives::B256),
}

impl RevocationTarget {
    /// The stable text id: `session-key:<hex>` or `auth-sig:0x<64 hex>`.
    pub fn id(&self) -> String {
        match self {
            RevocationTarget::SessionKey(k) => format!("session-key:{k}"),
            RevocationTarget::AuthSig(h) => format!("auth-sig:{h}"),
        }
    }

    /// Parse a text id.
    pub fn parse(id: &str) -> Result<Self> {
        if let Some(k) = id.strip_prefix("session-key:") {
            crate::session::SessionPublicKey::parse_hex(k)?;
            return Ok(RevocationTarget::SessionKey(k.to_owned()));
        }
        if let Some(h) = id.strip_prefix("auth-sig:") {
            let hash = h
                .parse()
                .map_err(|_| Error::InvalidRevocation(format!("`{h}` is not a 32-byte hash")))?;
            if !h.starts_with("0x") || h.len() != 66 {
                return Err(Error::InvalidRevocation("hash must be 0x + 64 hex".into()));
            }
            return Ok(RevocationTarget::AuthSig(hash));
        }
        Err(Error::InvalidRevocation(format!(
            "unknown revocation target `{}`",
            id.chars().take(80).collect::<String>()
        )))
    }
}

/// The statement a revocation must carry: `I revoke <target id>.`
pub fn revocation_statement(target: &RevocationTarget) -> String {
    format!("I revoke {}.", target.id())
}

/// The SIWE fields of a revocation besides the target and the signer.
#[derive(Debug, Clone)]
pub struct RevocationParams {
    /// SIWE domain.
    pub domain: String,
    /// SIWE nonce.
    pub nonce: String,
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// Issue time.
    pub issued_at: Timestamp,
}

/// A revocation whose signature checked out. Only verification makes one
/// ([`AuthSig::verify_revocation`],
/// [`Verifier::verify_revocation`](crate::verify::Verifier::verify_revocation)): its fields are
/// private to this crate, so a store that records one records a checked revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRevocation {
    /// The wallet that signed it.
    pub(crate) issuer: Address,
    /// What it revokes.
    pub(crate) target: RevocationTarget,
    /// keccak256 of the revocation's own signed message.
    pub(crate) hash: B256,
}

impl VerifiedRevocation {
    /// The wallet that signed it (only grants it signed are affected).
    pub fn issuer(&self) -> Address {
        self.issuer
    }

    /// What it revokes.
    pub fn target(&self) -> &RevocationTarget {
        &self.target
    }

    /// keccak256 of the revocation's own signed message.
    pub fn hash(&self) -> B256 {
        self.hash
    }
}

impl AuthSig {
    /// Sign a revocation of `target` with `wallet`.
    pub fn revoke(
        wallet: &dyn WalletSigner,
        target: &RevocationTarget,
        params: &RevocationParams,
    ) -> Result<AuthSig> {
        let msg = SiweMessage {
            scheme: None,
            domain: params.domain.clone(),
            address: wallet.address(),
            statement: Some(revocation_statement(target)),
            uri: format!("{REVOCATION_URI_PREFIX}{}", target.id()),
            version: "1".into(),
            chain_id: params.chain_id,
            nonce: params.nonce.clone(),
            issued_at: params.issued_at.clone(),
            expiration_time: None,
            not_before: None,
            request_id: None,
            resources: None,
        };
        AuthSig::sign(wallet, &msg)
    }

    /// Verify a revocation: a valid signature by its address, issued no later than
    /// `now + skew`, URI `lit:revocation:<target>`, statement `I revoke <target>.`.
    pub fn verify_revocation(
        &self,
        now: OffsetDateTime,
        policy: &AuthSigPolicy<'_>,
    ) -> Result<VerifiedRevocation> {
        let (siwe, role) = self.parse_siwe()?;
        let AuthSigRole::Revocation(id) = &role else {
            return Err(Error::InvalidRevocation(format!(
                "URI must start with `{REVOCATION_URI_PREFIX}`"
            )));
        };
        let target = RevocationTarget::parse(id)?;
        if siwe.statement.as_deref() != Some(revocation_statement(&target).as_str()) {
            return Err(Error::InvalidRevocation(format!(
                "statement must be `{}`",
                revocation_statement(&target)
            )));
        }
        let v = self.verify_timeless(siwe, role, policy)?;
        v.check_time(now, policy.skew)?;
        Ok(VerifiedRevocation {
            issuer: v.address,
            target,
            hash: v.hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wallet::LocalWallet;

    fn params() -> RevocationParams {
        RevocationParams {
            domain: "localhost".into(),
            nonce: "abcdefgh1234".into(),
            chain_id: 1,
            issued_at: Timestamp::parse("2025-01-01T00:00:00.000Z").unwrap(),
        }
    }

    #[test]
    fn sign_and_verify_a_revocation() {
        let w = LocalWallet::from_bytes(&[0x11; 32]).unwrap();
        let key = "a09aa5f47a6759802ff955f8dc2d2a14a5c99d23be97f864127ff9383455a4f0";
        let target = RevocationTarget::SessionKey(key.into());
        let r = AuthSig::revoke(&w, &target, &params()).unwrap();
        let now = crate::time::parse_rfc3339("2025-01-01T00:00:30Z").unwrap();
        let v = r.verify_revocation(now, &AuthSigPolicy::default()).unwrap();
        assert_eq!(v.issuer, w.address());
        assert_eq!(v.target, target);
        // Issued in the future: refused.
        let before = crate::time::parse_rfc3339("2024-12-31T00:00:00Z").unwrap();
        assert_eq!(
            r.verify_revocation(before, &AuthSigPolicy::default())
                .unwrap_err()
                .code(),
            "siwe_issued_in_future"
        );
        // Any edit breaks the signature; a session AuthSig is not a revocation.
        let mut t = r.clone();
        t.signed_message = t.signed_message.replace("I revoke", "I revokE");
        assert!(t.verify_revocation(now, &AuthSigPolicy::default()).is_err());
    }
}
