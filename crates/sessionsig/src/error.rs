//! The one error type of the core crate.
//!
//! Every variant has a stable, machine-readable [`Error::code`] (snake_case) that the CLI prints
//! and the HTTP layer maps to a status. The codes are part of the public contract: never rename
//! one. Messages never contain secret material (wallet keys, session secret keys).

use std::fmt;

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in parsing, signing or verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ---------------------------------------------------------------- SIWE (EIP-4361)
    /// The SIWE text does not follow the EIP-4361 grammar.
    #[error("invalid SIWE message at line {line}: {reason}")]
    SiweSyntax {
        /// 1-based line number where parsing failed.
        line: usize,
        /// What was expected.
        reason: String,
    },
    /// A SIWE field is syntactically present but its value is not allowed.
    #[error("invalid SIWE field `{field}`: {reason}")]
    SiweField {
        /// The field name as in `parsing_positive.json` (`address`, `issuedAt`, …).
        field: &'static str,
        /// Why the value is refused.
        reason: String,
    },
    /// The wallet signature is not a well-formed 65-byte `r||s||v` hex string.
    #[error("malformed wallet signature: {0}")]
    MalformedSignature(String),
    /// The wallet signature is well-formed but does not recover to the message's address.
    #[error("wallet signature was made by {recovered}, not by {expected}")]
    SignerMismatch {
        /// The address the message claims.
        expected: String,
        /// The address the signature recovers to (or a reason when recovery failed).
        recovered: String,
    },
    /// The SIWE message has expired (`now >= expiration + skew`).
    #[error("SIWE message expired at {0}")]
    SiweExpired(String),
    /// The SIWE message is not valid yet (`now < not_before - skew`).
    #[error("SIWE message is not valid before {0}")]
    SiweNotYetValid(String),
    /// The SIWE message was issued in the future (`issued_at > now + skew`).
    #[error("SIWE message issued in the future ({0})")]
    SiweIssuedInFuture(String),
    /// The SIWE domain is not the one the verifier expects.
    #[error("SIWE domain `{found}` is not the expected `{expected}`")]
    SiweDomainMismatch {
        /// What the verifier expected.
        expected: String,
        /// What the message says.
        found: String,
    },
    /// The SIWE nonce is not the one the verifier expects.
    #[error("SIWE nonce does not match the expected nonce")]
    SiweNonceMismatch,

    // ---------------------------------------------------------------- ReCap (ERC-5573)
    /// A `urn:recap:` resource could not be decoded (base64url, JSON or structure).
    #[error("invalid ReCap: {0}")]
    RecapDecode(String),
    /// A capability object breaks an ERC-5573 rule (ability syntax, key order, caveats).
    #[error("invalid ReCap capability: {0}")]
    RecapInvalid(String),
    /// The SIWE statement does not end with the text generated from its ReCap.
    #[error("SIWE statement does not end with the ReCap statement: {0}")]
    RecapStatementMismatch(String),

    // ---------------------------------------------------------------- Lit resources
    /// A Lit resource string (`<prefix>://<id>`) or prefix is not known or malformed.
    #[error("invalid Lit resource: {0}")]
    InvalidResource(String),
    /// A Lit ability name is not known or does not apply to the resource.
    #[error("invalid Lit ability: {0}")]
    InvalidAbility(String),
    /// An access control condition cannot be hashed (unknown shape or missing key).
    #[error("invalid access control condition: {0}")]
    InvalidCondition(String),

    // ---------------------------------------------------------------- keys and JSON
    /// A session key (public or secret) is malformed or inconsistent.
    #[error("invalid session key: {0}")]
    InvalidSessionKey(String),
    /// A wallet key is malformed (the key itself is never echoed).
    #[error("invalid wallet key: {0}")]
    InvalidWalletKey(String),
    /// A timestamp is not a real RFC 3339 instant.
    #[error("invalid timestamp `{value}`: {reason}")]
    InvalidTimestamp {
        /// The text that was refused (timestamps are not secret).
        value: String,
        /// Why.
        reason: String,
    },
    /// Input is not the JSON shape expected.
    #[error("invalid JSON: {0}")]
    Json(String),

    // ---------------------------------------------------------------- AuthSig
    /// An AuthSig is missing a field or has one of the wrong form.
    #[error("malformed AuthSig: {0}")]
    AuthSigMalformed(String),
    /// The AuthSig's `address` field is not the SIWE message's address.
    #[error("AuthSig address {auth_sig} differs from its SIWE address {siwe}")]
    AuthSigAddressMismatch {
        /// The `address` field.
        auth_sig: String,
        /// The address inside `signedMessage`.
        siwe: String,
    },
    /// The AuthSig's `derivedVia` is not one this verifier can check.
    #[error("unsupported AuthSig derivedVia `{0}`")]
    UnsupportedDerivedVia(String),

    // ---------------------------------------------------------------- SessionSig (SPEC §8)
    /// A SessionSig is missing a field or has one of the wrong form (step 1 / 2).
    #[error("malformed SessionSig: {0}")]
    SessionSigMalformed(String),
    /// `algo` is not `ed25519` or `derivedVia` is not `litSessionSignViaNacl` (step 1).
    #[error("unsupported SessionSig algorithm: {0}")]
    UnsupportedAlgorithm(String),
    /// The ed25519 signature does not verify (strictly) over the exact signed bytes (step 1).
    #[error("session signature does not verify")]
    BadSessionSignature,
    /// `signedMessage.sessionKey` differs from the SessionSig's `address` (step 2).
    #[error("signed message session key differs from the signing key")]
    SessionKeyMismatch,
    /// The SessionSig was issued in the future (step 3).
    #[error("session signature issued in the future ({0})")]
    IssuedInFuture(String),
    /// The SessionSig's expiration precedes its issue time (step 3).
    #[error("session signature expires before it is issued")]
    ExpirationBeforeIssuedAt,
    /// The SessionSig has expired (step 3).
    #[error("session signature expired at {0}")]
    Expired(String),
    /// The SessionSig's lifetime exceeds the configured maximum (step 3).
    #[error("session lifetime {actual_secs} s exceeds the maximum {max_secs} s")]
    LifetimeTooLong {
        /// `expiration - issuedAt` in seconds.
        actual_secs: i64,
        /// The configured maximum in seconds.
        max_secs: i64,
    },
    /// The SessionSig names another node (step 4): replay across nodes.
    #[error("session signature is for node `{found}`, this node is `{expected}`")]
    WrongNode {
        /// This node's address.
        expected: String,
        /// The `nodeAddress` in the signed message.
        found: String,
    },
    /// A node URL (this node's, or one to sign for) has no usable `host[:port]`.
    #[error("invalid node URL `{0}`: expected e.g. https://127.0.0.1:7470")]
    InvalidNodeUrl(String),
    /// No AuthSig in `capabilities` delegates to this session key (step 5).
    #[error("no session AuthSig delegates to session key {0}")]
    MissingSessionAuthSig(String),
    /// The session AuthSig delegates to another session key (step 5).
    #[error("the session AuthSig delegates to {found}, not to {expected}")]
    AuthSigWrongSessionKey {
        /// The session key that signed.
        expected: String,
        /// The URI of the AuthSig.
        found: String,
    },
    /// A requested resource/ability is not covered by the granted capabilities (step 6).
    #[error("capability not granted: {0}")]
    CapabilityNotGranted(String),
    /// The operation being performed is not among the SessionSig's requests (step 6).
    #[error("operation not requested by the session signature: {0}")]
    OperationNotRequested(String),

    // ---------------------------------------------------------------- delegation, caveats, revocation (§8 steps 7-8)
    /// A delegation does not name the session's owner in `delegate_to` (step 7).
    #[error("delegation from {delegator} is not for {owner}")]
    NotADelegate {
        /// The delegating wallet.
        delegator: String,
        /// The session owner it was presented for.
        owner: String,
    },
    /// A delegation is outside its own validity window (step 7).
    #[error("delegation from {delegator} is not valid now: {reason}")]
    DelegationNotValid {
        /// The delegating wallet.
        delegator: String,
        /// Expired / not yet valid.
        reason: String,
    },
    /// A child grant is wider than its parent (resource, ability or caveats) (step 7).
    #[error("attenuation violated: {0}")]
    AttenuationViolated(String),
    /// The delegation chain is longer than allowed (step 7).
    #[error("delegation chain longer than the limit of {0}")]
    ChainTooLong(usize),
    /// A caveat of the grant is not satisfied (or not understood) (steps 6-7).
    #[error("caveat not satisfied: {0}")]
    CaveatNotSatisfied(String),
    /// A `uses` caveat has no use left (step 7).
    #[error("no use left on {counter} (limit {limit})")]
    UsesExhausted {
        /// The counter (`delegation:<hash>`).
        counter: String,
        /// The limit from the caveat.
        limit: u64,
    },
    /// Something in the chain is revoked (step 8).
    #[error("revoked: {0}")]
    Revoked(String),
    /// A revocation message is malformed or not signed by the granting wallet.
    #[error("invalid revocation: {0}")]
    InvalidRevocation(String),
    /// A contract wallet (ERC-1271 / ERC-6492) refused the signature, or the signature cannot
    /// be checked on any chain (malformed, too large, a chain nobody serves).
    #[error("contract wallet signature not valid: {0}")]
    ContractWallet(String),
    /// A contract wallet's chain could not be asked right now (endpoint down, timed out,
    /// answering nonsense, too many checks in flight). Fails closed; asking again later may
    /// succeed, so it is not reported as an invalid signature.
    #[error("contract wallet check unavailable: {0}")]
    ContractWalletUnavailable(String),
    /// A revocation or usage store failed (the request is refused, nothing is lost).
    #[error("store unavailable: {0}")]
    Store(String),
    /// An AuthSig carried by a SessionSig has no `Expiration Time`, where the policy requires
    /// every AuthSig of that kind (`session`, `delegation`) to expire.
    #[error("the {0} AuthSig has no Expiration Time; this verifier requires one")]
    AuthSigNoExpiration(&'static str),
    /// An AuthSig lives longer (`Expiration Time - Issued At`) than the policy allows for its
    /// kind (`session`, `delegation`).
    #[error("the {kind} AuthSig lives {actual_secs} s, more than the maximum {max_secs} s")]
    AuthSigLifetimeTooLong {
        /// `session` or `delegation`.
        kind: &'static str,
        /// Its lifetime in seconds.
        actual_secs: i64,
        /// The policy's maximum in seconds.
        max_secs: i64,
    },
    /// An AuthSig's SIWE `domain` (with its `scheme`, if written) is not among those the
    /// verifier accepts: it was signed for another site.
    #[error("SIWE domain `{0}` is not accepted here")]
    SiweDomainNotAccepted(String),
    /// An AuthSig's SIWE `Chain ID` is not among those the verifier accepts.
    #[error("SIWE chain id {0} is not accepted here")]
    SiweChainNotAccepted(u64),
    /// An accepted-domain entry of the policy is not `domain` or `scheme://domain`.
    #[error("invalid accepted domain `{0}`: expected e.g. app.example or https://app.example")]
    InvalidAcceptedDomain(String),
}

impl Error {
    /// The stable machine-readable code of this error (snake_case, never renamed).
    pub fn code(&self) -> &'static str {
        match self {
            Error::SiweSyntax { .. } => "siwe_syntax",
            Error::SiweField { .. } => "siwe_invalid_field",
            Error::MalformedSignature(_) => "malformed_signature",
            Error::SignerMismatch { .. } => "signer_mismatch",
            Error::SiweExpired(_) => "siwe_expired",
            Error::SiweNotYetValid(_) => "siwe_not_yet_valid",
            Error::SiweIssuedInFuture(_) => "siwe_issued_in_future",
            Error::SiweDomainMismatch { .. } => "siwe_domain_mismatch",
            Error::SiweNonceMismatch => "siwe_nonce_mismatch",
            Error::RecapDecode(_) => "recap_decode",
            Error::RecapInvalid(_) => "recap_invalid",
            Error::RecapStatementMismatch(_) => "recap_statement_mismatch",
            Error::InvalidResource(_) => "invalid_resource",
            Error::InvalidAbility(_) => "invalid_ability",
            Error::InvalidCondition(_) => "invalid_condition",
            Error::InvalidSessionKey(_) => "invalid_session_key",
            Error::InvalidWalletKey(_) => "invalid_wallet_key",
            Error::InvalidTimestamp { .. } => "invalid_timestamp",
            Error::Json(_) => "invalid_json",
            Error::AuthSigMalformed(_) => "auth_sig_malformed",
            Error::AuthSigAddressMismatch { .. } => "auth_sig_address_mismatch",
            Error::UnsupportedDerivedVia(_) => "unsupported_derived_via",
            Error::SessionSigMalformed(_) => "session_sig_malformed",
            Error::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            Error::BadSessionSignature => "bad_session_signature",
            Error::SessionKeyMismatch => "session_key_mismatch",
            Error::IssuedInFuture(_) => "issued_in_future",
            Error::ExpirationBeforeIssuedAt => "expiration_before_issued_at",
            Error::Expired(_) => "expired",
            Error::LifetimeTooLong { .. } => "lifetime_too_long",
            Error::WrongNode { .. } => "wrong_node",
            Error::InvalidNodeUrl(_) => "invalid_node_url",
            Error::MissingSessionAuthSig(_) => "missing_session_auth_sig",
            Error::AuthSigWrongSessionKey { .. } => "auth_sig_wrong_session_key",
            Error::CapabilityNotGranted(_) => "capability_not_granted",
            Error::OperationNotRequested(_) => "operation_not_requested",
            Error::NotADelegate { .. } => "not_a_delegate",
            Error::DelegationNotValid { .. } => "delegation_not_valid",
            Error::AttenuationViolated(_) => "attenuation_violated",
            Error::ChainTooLong(_) => "delegation_chain_too_long",
            Error::CaveatNotSatisfied(_) => "caveat_not_satisfied",
            Error::UsesExhausted { .. } => "uses_exhausted",
            Error::Revoked(_) => "revoked",
            Error::InvalidRevocation(_) => "invalid_revocation",
            Error::ContractWallet(_) => "contract_wallet_invalid",
            Error::ContractWalletUnavailable(_) => "contract_wallet_unavailable",
            Error::Store(_) => "store_unavailable",
            Error::AuthSigNoExpiration(_) => "auth_sig_no_expiration",
            Error::AuthSigLifetimeTooLong { .. } => "auth_sig_lifetime_too_long",
            Error::SiweDomainNotAccepted(_) => "siwe_domain_not_accepted",
            Error::SiweChainNotAccepted(_) => "siwe_chain_not_accepted",
            Error::InvalidAcceptedDomain(_) => "invalid_accepted_domain",
        }
    }

    /// Shorthand for a [`Error::SiweField`].
    pub(crate) fn siwe_field(field: &'static str, reason: impl fmt::Display) -> Self {
        Error::SiweField {
            field,
            reason: reason.to_string(),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Json(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case() {
        let samples = [
            Error::SiweSyntax {
                line: 1,
                reason: String::new(),
            },
            Error::siwe_field("address", "x"),
            Error::MalformedSignature(String::new()),
            Error::BadSessionSignature,
            Error::Expired(String::new()),
            Error::WrongNode {
                expected: String::new(),
                found: String::new(),
            },
            Error::CapabilityNotGranted(String::new()),
            Error::OperationNotRequested(String::new()),
        ];
        let mut codes: Vec<&str> = samples.iter().map(Error::code).collect();
        for c in &codes {
            assert!(
                c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'),
                "{c}"
            );
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), samples.len());
    }
}
