//! Verification of one AuthSig: signature over the exact received bytes, SIWE time window,
//! address agreement and the ReCap statement rule.

use super::contract::ContractWalletVerifier;
use super::{
    AuthSig, DELEGATION_URI, DERIVED_VIA_EIP1271, DERIVED_VIA_EIP1271_SHA256, DERIVED_VIA_LIT_BLS,
    DERIVED_VIA_PERSONAL_SIGN, SESSION_URI_PREFIX,
};
use crate::error::{Error, Result};
use crate::recap::{check_statement, Capability};
use crate::siwe::{eip191_hash, verify_signature_digest, SiweMessage};
use alloy_primitives::{Address, B256};
use time::{Duration, OffsetDateTime};

/// What an AuthSig is for, read from its SIWE `URI`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthSigRole {
    /// Delegates to the session key with this public key hex (`lit:session:<key>`).
    Session(String),
    /// Grants capabilities to other users (`lit:capability:delegation`).
    Delegation,
    /// Revokes something (`lit:revocation:<target id>`).
    Revocation(String),
    /// Any other URI.
    Other(String),
}

/// How the AuthSig's signature was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureCheck {
    /// An EIP-191 wallet signature, recovered and compared with the address.
    Wallet,
    /// A contract wallet's ERC-1271 answer (through a [`ContractWalletVerifier`]).
    ContractWallet,
    /// A Lit network (`lit.bls`) signature accepted on the verifier's explicit trust policy,
    /// without a cryptographic check (the network's BLS key is not known here).
    TrustedNetwork,
}

/// Options for AuthSig verification.
#[derive(Clone, Copy)]
pub struct AuthSigPolicy<'a> {
    /// Allowed clock skew on each side of the SIWE time window.
    pub skew: Duration,
    /// Accept `lit.bls` AuthSigs (signed by the Lit network) without checking the BLS
    /// signature. Off by default: turn on only for a node that trusts the Lit network.
    pub trust_lit_bls: bool,
    /// Checks `EIP1271` AuthSigs against the chain; without one they are refused.
    pub contract_wallets: Option<&'a dyn ContractWalletVerifier>,
}

impl Default for AuthSigPolicy<'_> {
    fn default() -> Self {
        AuthSigPolicy {
            skew: Duration::seconds(60),
            trust_lit_bls: false,
            contract_wallets: None,
        }
    }
}

impl std::fmt::Debug for AuthSigPolicy<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSigPolicy")
            .field("skew", &self.skew)
            .field("trust_lit_bls", &self.trust_lit_bls)
            .field("contract_wallets", &self.contract_wallets.is_some())
            .finish()
    }
}

/// An AuthSig whose signature, time window and statement rule have been checked. Only
/// verification makes one ([`AuthSig::verify`], the verifier): its fields are private to this crate, so
/// holding one proves the checks ran on exactly these values.
#[derive(Debug, Clone)]
pub struct VerifiedAuthSig {
    /// The signer (the SIWE address).
    pub(crate) address: Address,
    /// The parsed SIWE message.
    pub(crate) siwe: SiweMessage,
    /// The ReCap capability (the last `urn:recap:` resource), if any.
    pub(crate) capability: Option<Capability>,
    /// What the AuthSig is for.
    pub(crate) role: AuthSigRole,
    /// How its signature was established.
    pub(crate) check: SignatureCheck,
    /// The EIP-191 digest of the signed message (see [`AuthSig::hash`]): the identity
    /// revocations and use counters name.
    pub(crate) hash: B256,
    /// The signer in EIP-55 spelling, as the SIWE text wrote it (the parser accepts only that
    /// spelling), so a result naming the signer needs no second Keccak hash of the address.
    pub(crate) address_eip55: [u8; 42],
}

impl VerifiedAuthSig {
    /// The signer (the SIWE address).
    pub fn address(&self) -> Address {
        self.address
    }

    /// The signer in EIP-55 checksum spelling (`Address::to_checksum(None)`), kept from the
    /// SIWE text rather than hashed again.
    pub fn address_checksummed(&self) -> &str {
        // Built only from a checked SIWE line or from `to_checksum_buffer`: ASCII.
        std::str::from_utf8(&self.address_eip55).unwrap_or_default()
    }

    /// The parsed SIWE message.
    pub fn siwe(&self) -> &SiweMessage {
        &self.siwe
    }

    /// The ReCap capability (the last `urn:recap:` resource), if any.
    pub fn capability(&self) -> Option<&Capability> {
        self.capability.as_ref()
    }

    /// What the AuthSig is for.
    pub fn role(&self) -> &AuthSigRole {
        &self.role
    }

    /// How its signature was established.
    pub fn check(&self) -> SignatureCheck {
        self.check
    }

    /// The EIP-191 digest of the signed message (see [`AuthSig::hash`]): the identity
    /// revocations and use counters name.
    pub fn hash(&self) -> B256 {
        self.hash
    }

    /// The end of the SIWE validity window, if it has one.
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        self.siwe.expiration_time.as_ref().map(|t| t.instant())
    }

    /// The start of the SIWE validity window, if it has one.
    pub fn not_before(&self) -> Option<OffsetDateTime> {
        self.siwe.not_before.as_ref().map(|t| t.instant())
    }

    /// Is the SIWE time window open at `now` (with `skew` on each side)?
    pub fn check_time(&self, now: OffsetDateTime, skew: Duration) -> Result<()> {
        self.siwe.check_time(now, skew)
    }
}

impl AuthSig {
    /// The identity of this AuthSig: the EIP-191 digest of its signed message
    /// (`keccak256("\x19Ethereum Signed Message:\n" + len + message)`), the very hash the wallet
    /// signed. It names the message, not the signature's encoding (which secp256k1
    /// malleability could vary), and verification computes it anyway.
    pub fn hash(&self) -> B256 {
        eip191_hash(self.signed_message.as_bytes())
    }

    /// Parse the SIWE message and read the role, without checking anything else.
    pub fn parse_siwe(&self) -> Result<(SiweMessage, AuthSigRole)> {
        let siwe = SiweMessage::parse(&self.signed_message)?;
        let role = role_of(&siwe.uri);
        Ok((siwe, role))
    }

    /// Verify this AuthSig at `now`: signature, time window, address, statement rule.
    pub fn verify(
        &self,
        now: OffsetDateTime,
        policy: &AuthSigPolicy<'_>,
    ) -> Result<VerifiedAuthSig> {
        let (siwe, role) = self.parse_siwe()?;
        let v = self.verify_timeless(siwe, role, policy)?;
        v.check_time(now, policy.skew)?;
        Ok(v)
    }

    /// Everything but the time window (what stays true for the AuthSig's whole life, so it can
    /// be cached). `siwe` must be `parse(self.signed_message)`.
    pub(crate) fn verify_timeless(
        &self,
        siwe: SiweMessage,
        role: AuthSigRole,
        policy: &AuthSigPolicy<'_>,
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
        let digest = eip191_hash(self.signed_message.as_bytes());
        let check = match self.derived_via.as_str() {
            DERIVED_VIA_PERSONAL_SIGN => {
                if self.algo.as_deref().is_some_and(|a| !a.is_empty()) {
                    return Err(Error::AuthSigMalformed(
                        "a wallet AuthSig carries no `algo`".into(),
                    ));
                }
                verify_signature_digest(digest, &self.sig, siwe.address)?;
                SignatureCheck::Wallet
            }
            DERIVED_VIA_EIP1271 | DERIVED_VIA_EIP1271_SHA256 => {
                let Some(chain) = policy.contract_wallets else {
                    return Err(Error::UnsupportedDerivedVia(format!(
                        "{} (no contract wallet verifier configured)",
                        self.derived_via
                    )));
                };
                let digest = if self.derived_via == DERIVED_VIA_EIP1271 {
                    digest
                } else {
                    use sha2::Digest;
                    B256::from_slice(&sha2::Sha256::digest(self.signed_message.as_bytes()))
                };
                let hex_sig = self.sig.strip_prefix("0x").unwrap_or(&self.sig);
                let sig = hex::decode(hex_sig).map_err(|_| {
                    Error::MalformedSignature("contract wallet signature is not hex".into())
                })?;
                if !chain.is_valid_signature(siwe.chain_id, siwe.address, digest, &sig)? {
                    return Err(Error::ContractWallet(format!(
                        "{} did not accept the signature",
                        siwe.address.to_checksum(None)
                    )));
                }
                SignatureCheck::ContractWallet
            }
            DERIVED_VIA_LIT_BLS if policy.trust_lit_bls => SignatureCheck::TrustedNetwork,
            other => {
                return Err(Error::UnsupportedDerivedVia(
                    other.chars().take(64).collect(),
                ))
            }
        };
        let capability = Capability::from_siwe_resources(siwe.resources.as_deref())?;
        if let Some(cap) = &capability {
            check_statement(siwe.statement.as_deref(), cap)?;
        }
        Ok(VerifiedAuthSig {
            address_eip55: eip55_spelling(&self.signed_message, siwe.address),
            address: siwe.address,
            capability,
            role,
            check,
            hash: digest,
            siwe,
        })
    }
}

/// `address` in EIP-55 spelling: the SIWE text's own address line (its second line) when it
/// is that address, otherwise computed. `siwe_text` must be a text the SIWE parser accepted
/// (as `verify_timeless` requires): the parser takes an address line only in exactly its
/// EIP-55 spelling, so the line is that spelling without a second Keccak hash (checked in
/// debug builds).
fn eip55_spelling(siwe_text: &str, address: Address) -> [u8; 42] {
    let written = siwe_text
        .split('\n')
        .nth(1)
        .map(str::as_bytes)
        .filter(|line| line.len() == 42 && line.starts_with(b"0x"));
    let mut decoded = [0u8; 20];
    match written {
        Some(line)
            if alloy_primitives::hex::decode_to_slice(&line[2..], &mut decoded).is_ok()
                && decoded == address.0 .0 =>
        {
            let mut out = [0u8; 42];
            out.copy_from_slice(line);
            debug_assert_eq!(&out, address.to_checksum_buffer(None).as_str().as_bytes());
            out
        }
        _ => {
            let mut out = [0u8; 42];
            out.copy_from_slice(address.to_checksum_buffer(None).as_str().as_bytes());
            out
        }
    }
}

fn role_of(uri: &str) -> AuthSigRole {
    if let Some(key) = uri.strip_prefix(SESSION_URI_PREFIX) {
        AuthSigRole::Session(key.to_owned())
    } else if uri == DELEGATION_URI {
        AuthSigRole::Delegation
    } else if let Some(target) = uri.strip_prefix(super::REVOCATION_URI_PREFIX) {
        AuthSigRole::Revocation(target.to_owned())
    } else {
        AuthSigRole::Other(uri.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::eip55_spelling;
    use alloy_primitives::Address;

    /// Whether it is copied from the SIWE line (this address, as the parser accepts it) or
    /// computed (another address on the line, no such line), the spelling is `to_checksum`'s.
    /// (Which of the two it took cannot be seen from outside: the copy is checked against the
    /// computed spelling in debug builds, so every verifying test also checks the copy.)
    #[test]
    fn the_eip55_spelling_is_the_siwe_line_or_computed() {
        let a: Address = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
            .parse()
            .unwrap();
        let want = a.to_checksum(None);
        let text = format!(
            "example.com wants you to sign in with your Ethereum account:\n{want}\n\nURI: x"
        );
        assert_eq!(eip55_spelling(&text, a), want.as_bytes());
        // Another address on the line, or no such line: computed.
        let other = format!("x:\n0x{}\n", "11".repeat(20));
        assert_eq!(eip55_spelling(&other, a), want.as_bytes());
        assert_eq!(eip55_spelling("no lines", a), want.as_bytes());
    }
}
