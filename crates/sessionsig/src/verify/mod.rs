//! The node-side verifier: [`UnverifiedSessionSig`] → [`VerifiedSession`], SPEC §8 steps 1–6.
//!
//! ```text
//! bytes ──parse──▶ UnverifiedSessionSig ──Verifier::verify(&Request)──▶ VerifiedSession
//! ```
//! Only this module can build a [`VerifiedSession`]; a handler that takes one cannot forget
//! to verify. Checks run in the order of SPEC §8 and stop at the first failure, each failure
//! with its own [`Error::code`](crate::Error::code).

mod node;
mod session;

pub use node::NodeIdentity;
pub use session::{Grant, GrantSource, VerifiedDelegation, VerifiedSession};

use crate::auth_sig::{AuthSig, AuthSigPolicy, AuthSigRole, VerifiedAuthSig};
use crate::error::{Error, Result};
use crate::lit::{
    coverage, Coverage, LitAbility, LitResource, LitResourcePrefix, ResourceAbilityRequest,
};
use crate::session::{
    SessionPublicKey, SessionSig, SessionSigMessage, WireRequest, SESSION_ALGO, SESSION_DERIVED_VIA,
};
use crate::time::{parse_iso, Clock};
use std::str::FromStr;
use time::{Duration, OffsetDateTime};

/// Verification settings. `Policy::default()` is what a Lit node enforces, made stricter.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Allowed clock skew on each side of every time window (default 60 s).
    pub skew: Duration,
    /// Longest allowed `expiration - issuedAt` of a SessionSig (default 30 days, as Lit).
    pub max_lifetime: Duration,
    /// Most AuthSigs a SessionSig may carry in `capabilities` (default 8).
    pub max_capabilities: usize,
    /// Most resource ability requests a SessionSig may carry (default 64).
    pub max_requests: usize,
    /// Accept `lit.bls` AuthSigs (Lit network-signed PKP sessions) without a BLS check.
    /// Off by default.
    pub trust_lit_bls: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            skew: Duration::seconds(60),
            max_lifetime: Duration::days(30),
            max_capabilities: 8,
            max_requests: 64,
            trust_lit_bls: false,
        }
    }
}

/// The operation a request performs: every entry must be among the SessionSig's requests.
/// An empty request checks the SessionSig alone (everything it asks for must be granted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    operations: Vec<(LitResource, LitAbility)>,
}

impl Request {
    /// No particular operation: verify the SessionSig and all it asks for.
    pub fn any() -> Self {
        Request::default()
    }

    /// One operation: `ability` on `resource`.
    pub fn operation(resource: LitResource, ability: LitAbility) -> Self {
        Request {
            operations: vec![(resource, ability)],
        }
    }

    /// Add an operation.
    pub fn and(mut self, resource: LitResource, ability: LitAbility) -> Self {
        self.operations.push((resource, ability));
        self
    }

    /// The operations.
    pub fn operations(&self) -> &[(LitResource, LitAbility)] {
        &self.operations
    }
}

/// A SessionSig received from somewhere. Nothing about it is trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnverifiedSessionSig {
    wire: SessionSig,
}

impl UnverifiedSessionSig {
    /// Parse the JSON of one SessionSig object.
    pub fn parse(json: &str) -> Result<Self> {
        let wire: SessionSig =
            serde_json::from_str(json).map_err(|e| Error::SessionSigMalformed(e.to_string()))?;
        Ok(UnverifiedSessionSig { wire })
    }

    /// Take an already-deserialized JSON value.
    pub fn from_value(value: serde_json::Value) -> Result<Self> {
        let wire: SessionSig =
            serde_json::from_value(value).map_err(|e| Error::SessionSigMalformed(e.to_string()))?;
        Ok(UnverifiedSessionSig { wire })
    }

    /// The wire object.
    pub fn wire(&self) -> &SessionSig {
        &self.wire
    }
}

impl From<SessionSig> for UnverifiedSessionSig {
    fn from(wire: SessionSig) -> Self {
        UnverifiedSessionSig { wire }
    }
}

/// Verifies SessionSigs for one node.
#[derive(Debug, Clone)]
pub struct Verifier<C> {
    node: NodeIdentity,
    policy: Policy,
    clock: C,
}

impl<C: Clock> Verifier<C> {
    /// A verifier for the node whose public URL is `node_url`.
    pub fn new(node_url: &str, policy: Policy, clock: C) -> Result<Self> {
        Ok(Verifier {
            node: NodeIdentity::new(node_url)?,
            policy,
            clock,
        })
    }

    /// This node's identity.
    pub fn node(&self) -> &NodeIdentity {
        &self.node
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Verify at the clock's current time.
    pub fn verify(&self, sig: &UnverifiedSessionSig, request: &Request) -> Result<VerifiedSession> {
        self.verify_at(sig, request, self.clock.now())
    }

    /// Verify as of `now`.
    pub fn verify_at(
        &self,
        sig: &UnverifiedSessionSig,
        request: &Request,
        now: OffsetDateTime,
    ) -> Result<VerifiedSession> {
        let wire = &sig.wire;
        // Step 1: algorithm, shape, strict ed25519 over the exact bytes.
        if wire.algo.as_deref() != Some(SESSION_ALGO) {
            return Err(Error::UnsupportedAlgorithm(format!(
                "algo must be `{SESSION_ALGO}`, found {:?}",
                wire.algo.as_deref().unwrap_or("<absent>")
            )));
        }
        if wire.derived_via != SESSION_DERIVED_VIA {
            return Err(Error::UnsupportedAlgorithm(format!(
                "derivedVia must be `{SESSION_DERIVED_VIA}`, found `{}`",
                truncate(&wire.derived_via)
            )));
        }
        let sig_bytes = decode_sig(&wire.sig)?;
        let key = SessionPublicKey::parse_hex(&wire.address)?;
        key.verify_strict(wire.signed_message.as_bytes(), &sig_bytes)?;

        // Step 2: the signed message parses and names the signing key.
        let msg = SessionSigMessage::parse(&wire.signed_message)?;
        if msg.session_key != wire.address {
            return Err(Error::SessionKeyMismatch);
        }
        if msg.capabilities.len() > self.policy.max_capabilities {
            return Err(Error::SessionSigMalformed(format!(
                "{} capabilities exceed the limit of {}",
                msg.capabilities.len(),
                self.policy.max_capabilities
            )));
        }
        if msg.resource_ability_requests.len() > self.policy.max_requests {
            return Err(Error::SessionSigMalformed(format!(
                "{} resource ability requests exceed the limit of {}",
                msg.resource_ability_requests.len(),
                self.policy.max_requests
            )));
        }

        // Step 3: times.
        let skew = self.policy.skew;
        let issued_at = parse_iso(&msg.issued_at)?;
        let expiration = parse_iso(&msg.expiration)?;
        if issued_at > now + skew {
            return Err(Error::IssuedInFuture(msg.issued_at.clone()));
        }
        if expiration < issued_at {
            return Err(Error::ExpirationBeforeIssuedAt);
        }
        if now >= expiration + skew {
            return Err(Error::Expired(msg.expiration.clone()));
        }
        let lifetime = expiration - issued_at;
        if lifetime > self.policy.max_lifetime {
            return Err(Error::LifetimeTooLong {
                actual_secs: lifetime.whole_seconds(),
                max_secs: self.policy.max_lifetime.whole_seconds(),
            });
        }

        // Step 4: this node.
        if !self.node.matches(&msg.node_address) {
            return Err(Error::WrongNode {
                expected: self.node.url().to_owned(),
                found: truncate(&msg.node_address),
            });
        }

        // Step 5: the session AuthSig (last capability) delegates to this key and verifies.
        let auth_policy = AuthSigPolicy {
            skew,
            trust_lit_bls: self.policy.trust_lit_bls,
        };
        let (session_auth, others) = match msg.capabilities.split_last() {
            Some(split) => split,
            None => return Err(Error::MissingSessionAuthSig(wire.address.clone())),
        };
        let (siwe, role) = session_auth.parse_siwe()?;
        match &role {
            AuthSigRole::Session(k) if *k == wire.address => {}
            AuthSigRole::Session(k) => {
                return Err(Error::AuthSigWrongSessionKey {
                    expected: wire.address.clone(),
                    found: truncate(k),
                })
            }
            _ => return Err(Error::MissingSessionAuthSig(wire.address.clone())),
        }
        let session_auth = session_auth.verify_parsed(siwe, role, now, &auth_policy)?;

        // Step 6: every request is granted; the operation is among the requests.
        let requests = typed_requests(&msg.resource_ability_requests)?;
        let grants = grants_for(&requests, &session_auth)?;
        for (resource, ability) in request.operations() {
            let asked = requests.iter().any(|r| {
                r.ability == *ability
                    && r.resource.prefix() == resource.prefix()
                    && (r.resource.is_wildcard() || r.resource.id() == resource.id())
            });
            if !asked {
                return Err(Error::OperationNotRequested(format!(
                    "{} on {}",
                    ability.as_str(),
                    resource.key()
                )));
            }
        }

        // Other AuthSigs (delegations, extra capabilities) must verify too.
        let mut delegations = Vec::with_capacity(others.len());
        for other in others {
            let v: VerifiedAuthSig = other.verify(now, &auth_policy)?;
            delegations.push(VerifiedDelegation::from_auth_sig(&v));
        }

        let mut expires_at = expiration;
        if let Some(e) = session_auth.expires_at() {
            expires_at = expires_at.min(e);
        }
        Ok(VerifiedSession::new(
            session_auth.address,
            key,
            msg.node_address,
            issued_at,
            expires_at,
            requests,
            grants,
            session_auth.hash,
            session_auth.check,
            delegations,
        ))
    }
}

/// Map wire requests to typed Lit requests, refusing unknown prefixes and abilities.
fn typed_requests(wire: &[WireRequest]) -> Result<Vec<ResourceAbilityRequest>> {
    wire.iter()
        .map(|r| {
            let prefix = LitResourcePrefix::from_str(&r.resource.resource_prefix)?;
            let resource = LitResource::new(prefix, r.resource.resource.clone())?;
            let ability = LitAbility::from_str(&r.ability)?;
            if !ability.applies_to(prefix) {
                return Err(Error::InvalidAbility(format!(
                    "`{}` does not apply to `{}` resources",
                    ability.as_str(),
                    prefix.as_str()
                )));
            }
            Ok(ResourceAbilityRequest { resource, ability })
        })
        .collect()
}

fn grants_for(requests: &[ResourceAbilityRequest], auth: &VerifiedAuthSig) -> Result<Vec<Grant>> {
    let Some(cap) = auth.capability.as_ref() else {
        return Err(Error::CapabilityNotGranted(
            "the session AuthSig carries no ReCap capability".into(),
        ));
    };
    requests
        .iter()
        .map(|r| match coverage(cap, &r.resource, r.ability) {
            Coverage::Denied => Err(Error::CapabilityNotGranted(format!(
                "{} on {}",
                r.ability.as_str(),
                r.resource.key()
            ))),
            Coverage::Granted {
                key,
                ability_key,
                caveats,
            } => Ok(Grant {
                resource: r.resource.clone(),
                ability: r.ability,
                granted_resource: key.to_owned(),
                granted_ability: ability_key.to_owned(),
                caveats: caveats.to_vec(),
                granted_by: auth.address,
                source: GrantSource::SessionAuthSig { hash: auth.hash },
            }),
        })
        .collect()
}

fn decode_sig(sig: &str) -> Result<[u8; 64]> {
    if sig.len() != 128 {
        return Err(Error::SessionSigMalformed(format!(
            "sig must be 128 hex characters, found {}",
            sig.len()
        )));
    }
    let mut out = [0u8; 64];
    hex::decode_to_slice(sig, &mut out)
        .map_err(|_| Error::SessionSigMalformed("sig is not hexadecimal".into()))?;
    Ok(out)
}

fn truncate(s: &str) -> String {
    s.chars().take(200).collect()
}

/// Verify any AuthSig on its own (used by the CLI for single AuthSigs).
pub fn verify_auth_sig(
    auth: &AuthSig,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<VerifiedAuthSig> {
    auth.verify(
        now,
        &AuthSigPolicy {
            skew: policy.skew,
            trust_lit_bls: policy.trust_lit_bls,
        },
    )
}
