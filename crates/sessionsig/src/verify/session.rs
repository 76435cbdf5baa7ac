//! The result of a successful verification.

use crate::auth_sig::{AuthSigRole, SignatureCheck, VerifiedAuthSig};
use crate::lit::{LitAbility, LitResource, ResourceAbilityRequest};
use crate::recap::{Capability, Caveat};
use crate::session::SessionPublicKey;
use crate::time::to_iso_string;
use alloy_primitives::{Address, B256};
use serde_json::{json, Value};
use time::OffsetDateTime;

/// Where a grant came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantSource {
    /// The session AuthSig signed by the session's owner.
    SessionAuthSig {
        /// Identity of that AuthSig.
        hash: B256,
    },
    /// A delegation AuthSig signed by another user.
    Delegation {
        /// Identity of the delegation AuthSig.
        hash: B256,
    },
}

/// One granted request: what was asked, which ReCap entry grants it, under which caveats.
/// Only the verifier makes one (fields private to this crate, read through the getters).
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    /// The resource asked for.
    pub(crate) resource: LitResource,
    /// The ability asked for.
    pub(crate) ability: LitAbility,
    /// The ReCap resource key that grants it (exact or `<prefix>://*`).
    pub(crate) granted_resource: String,
    /// The ReCap ability key that grants it (`Threshold/Signing` or `*/*`).
    pub(crate) granted_ability: String,
    /// Restrictions (`[{}]` unrestricted is reported as one empty object).
    pub(crate) caveats: Vec<Caveat>,
    /// The root of the grant: the session's owner, or the first delegator of the chain.
    pub(crate) granted_by: Address,
    /// Through which AuthSig the session's owner holds it.
    pub(crate) source: GrantSource,
    /// The delegations from the owner up to the root (empty when the owner is the root).
    pub(crate) chain: Vec<B256>,
}

/// A delegation (or other extra) AuthSig that verified alongside the session. Only the
/// verifier makes one (fields private to this crate, read through the getters).
#[derive(Debug, Clone)]
pub struct VerifiedDelegation {
    /// The delegating wallet.
    pub(crate) delegator: Address,
    /// Identity of the AuthSig.
    pub(crate) hash: B256,
    /// The SIWE URI (`lit:capability:delegation` for delegations).
    pub(crate) uri: String,
    /// What it grants.
    pub(crate) capability: Option<Capability>,
    /// End of its validity window.
    pub(crate) expires_at: Option<OffsetDateTime>,
    /// How its signature was established.
    pub(crate) check: SignatureCheck,
}

impl Grant {
    /// The resource asked for.
    pub fn resource(&self) -> &LitResource {
        &self.resource
    }
    /// The ability asked for.
    pub fn ability(&self) -> LitAbility {
        self.ability
    }
    /// The ReCap resource key that grants it (exact or `<prefix>://*`).
    pub fn granted_resource(&self) -> &str {
        &self.granted_resource
    }
    /// The ReCap ability key that grants it (`Threshold/Signing` or `*/*`).
    pub fn granted_ability(&self) -> &str {
        &self.granted_ability
    }
    /// Restrictions (`[{}]` unrestricted is reported as one empty object).
    pub fn caveats(&self) -> &[Caveat] {
        &self.caveats
    }
    /// The root of the grant: the session's owner, or the first delegator of the chain.
    pub fn granted_by(&self) -> Address {
        self.granted_by
    }
    /// Through which AuthSig the session's owner holds it.
    pub fn source(&self) -> &GrantSource {
        &self.source
    }
    /// The delegations from the owner up to the root (empty when the owner is the root).
    pub fn chain(&self) -> &[B256] {
        &self.chain
    }
}

impl VerifiedDelegation {
    /// The delegating wallet.
    pub fn delegator(&self) -> Address {
        self.delegator
    }
    /// Identity of the AuthSig.
    pub fn hash(&self) -> B256 {
        self.hash
    }
    /// The SIWE URI (`lit:capability:delegation` for delegations).
    pub fn uri(&self) -> &str {
        &self.uri
    }
    /// What it grants.
    pub fn capability(&self) -> Option<&Capability> {
        self.capability.as_ref()
    }
    /// End of its validity window.
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        self.expires_at
    }
    /// How its signature was established.
    pub fn check(&self) -> SignatureCheck {
        self.check
    }

    pub(crate) fn from_auth_sig(v: &VerifiedAuthSig) -> Self {
        VerifiedDelegation {
            delegator: v.address,
            hash: v.hash,
            uri: match &v.role {
                AuthSigRole::Session(k) => format!("lit:session:{k}"),
                AuthSigRole::Delegation => crate::auth_sig::DELEGATION_URI.to_owned(),
                AuthSigRole::Revocation(t) => {
                    format!("{}{t}", crate::auth_sig::REVOCATION_URI_PREFIX)
                }
                AuthSigRole::Other(u) => u.clone(),
            },
            capability: v.capability.clone(),
            expires_at: v.expires_at(),
            check: v.check,
        }
    }
}

/// A SessionSig whose whole chain verified for this node. Only the verifier makes one.
#[derive(Debug, Clone)]
pub struct VerifiedSession {
    owner: Address,
    /// `owner` in EIP-55 spelling, from the session AuthSig's SIWE text.
    owner_eip55: [u8; 42],
    session_key: SessionPublicKey,
    node_address: String,
    issued_at: OffsetDateTime,
    expires_at: OffsetDateTime,
    requests: Vec<ResourceAbilityRequest>,
    grants: Vec<Grant>,
    auth_sig_hash: B256,
    auth_sig_check: SignatureCheck,
    delegations: Vec<VerifiedDelegation>,
}

impl VerifiedSession {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        owner: (Address, [u8; 42]),
        session_key: SessionPublicKey,
        node_address: String,
        issued_at: OffsetDateTime,
        expires_at: OffsetDateTime,
        requests: Vec<ResourceAbilityRequest>,
        grants: Vec<Grant>,
        auth_sig_hash: B256,
        auth_sig_check: SignatureCheck,
        delegations: Vec<VerifiedDelegation>,
    ) -> Self {
        VerifiedSession {
            owner: owner.0,
            owner_eip55: owner.1,
            session_key,
            node_address,
            issued_at,
            expires_at,
            requests,
            grants,
            auth_sig_hash,
            auth_sig_check,
            delegations,
        }
    }

    /// The wallet that owns the session (signed the session AuthSig).
    pub fn owner(&self) -> Address {
        self.owner
    }
    /// The owner in EIP-55 checksum spelling (`owner().to_checksum(None)`), as its SIWE
    /// message wrote it: results name the owner without hashing its address again.
    pub fn owner_checksummed(&self) -> &str {
        // Copied from a checked SIWE line or from `to_checksum_buffer`: ASCII.
        std::str::from_utf8(&self.owner_eip55).unwrap_or_default()
    }
    /// The session key that signed.
    pub fn session_key(&self) -> &SessionPublicKey {
        &self.session_key
    }
    /// The node the signature was made for (as written).
    pub fn node_address(&self) -> &str {
        &self.node_address
    }
    /// When the session key signed.
    pub fn issued_at(&self) -> OffsetDateTime {
        self.issued_at
    }
    /// The earliest of the SessionSig's and its AuthSig's expirations.
    pub fn expires_at(&self) -> OffsetDateTime {
        self.expires_at
    }
    /// What the session asked for.
    pub fn requests(&self) -> &[ResourceAbilityRequest] {
        &self.requests
    }
    /// One grant per request.
    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }
    /// Identity of the session AuthSig.
    pub fn auth_sig_hash(&self) -> B256 {
        self.auth_sig_hash
    }
    /// How the session AuthSig's signature was established.
    pub fn auth_sig_check(&self) -> SignatureCheck {
        self.auth_sig_check
    }
    /// Delegations and other AuthSigs that verified alongside.
    pub fn delegations(&self) -> &[VerifiedDelegation] {
        &self.delegations
    }

    /// `a` in EIP-55 spelling, without a hash when it is the owner.
    fn checksummed(&self, a: Address) -> String {
        match a == self.owner {
            true => self.owner_checksummed().to_owned(),
            false => a.to_checksum(None),
        }
    }

    /// A JSON summary: owner, session key, granted capabilities, expiration, delegations.
    pub fn to_json(&self) -> Value {
        let capabilities: Vec<Value> = self
            .grants
            .iter()
            .map(|g| {
                json!({
                    "resource": g.resource.key(),
                    "ability": g.ability.as_str(),
                    "grantedResource": g.granted_resource,
                    "grantedAbility": g.granted_ability,
                    "caveats": g.caveats,
                    "grantedBy": self.checksummed(g.granted_by),
                    "via": match g.source {
                        GrantSource::SessionAuthSig { .. } => "session",
                        GrantSource::Delegation { .. } => "delegation",
                    },
                    "chain": g.chain.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
                })
            })
            .collect();
        let delegations: Vec<Value> = self
            .delegations
            .iter()
            .map(|d| {
                json!({
                    "delegator": d.delegator.to_checksum(None),
                    "uri": d.uri,
                    "hash": d.hash.to_string(),
                    "capability": d.capability.as_ref().map(|c| serde_json::from_str::<Value>(&c.to_jcs()).unwrap_or(Value::Null)),
                    "expiration": d.expires_at.map(to_iso_string),
                    "signature": check_name(d.check),
                })
            })
            .collect();
        json!({
            "owner": self.owner_checksummed(),
            "sessionKey": self.session_key.to_hex(),
            "nodeAddress": self.node_address,
            "issuedAt": to_iso_string(self.issued_at),
            "expiration": to_iso_string(self.expires_at),
            "capabilities": capabilities,
            "authSig": { "hash": self.auth_sig_hash.to_string(), "signature": check_name(self.auth_sig_check) },
            "delegations": delegations,
        })
    }
}

fn check_name(c: SignatureCheck) -> &'static str {
    match c {
        SignatureCheck::Wallet => "wallet",
        SignatureCheck::ContractWallet => "contract-wallet",
        SignatureCheck::TrustedNetwork => "trusted-network-unchecked",
    }
}
