//! The one error type of the core crate.
//!
//! Every variant has a stable, machine-readable [`Error::code`] (snake_case) that the CLI prints
//! and the HTTP layer maps to a status. The codes are part of the public contract: never rename
//! one. Messages never contain secret material (wallet keys, session secret keys).

use std::fmt;

/// The kind of an [`Error`]: what the caller should do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Who is asking could not be established: the credential is malformed, forged, stale or
    /// for someone or somewhere else (HTTP 401).
    Unauthenticated,
    /// Who is asking is known, and this is not allowed: not granted, revoked, out of uses
    /// (HTTP 403).
    Forbidden,
    /// A byte budget (`max_bytes`) cannot take this transfer (HTTP 429).
    LimitReached,
    /// The input is well-formed as a credential but names something invalid (HTTP 400).
    InvalidInput,
    /// A store or chain could not be asked; the same request may succeed later (HTTP 503).
    Unavailable,
    /// The verifier itself is misconfigured (HTTP 500).
    Config,
}

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
    /// A backpack path that could mean another path (`..`, bad escapes, …): refused, never
    /// normalised.
    #[error("invalid path: {0}")]
    InvalidPath(String),
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
    /// A configured endpoint URL (e.g. a JSON-RPC provider) is not an absolute `http`/`https`
    /// URL with a host; `url` is shown redacted.
    #[error("invalid URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as written, redacted.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
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
    /// A `max_bytes` caveat cannot take the bytes a transfer asks for.
    #[error("{counter} allows {limit} bytes of traffic; {requested} more would pass it")]
    QuotaExhausted {
        /// The counter (`auth-sig:<hash>` or `delegation:<hash>`).
        counter: String,
        /// The limit from the caveat, in bytes.
        limit: u64,
        /// The bytes the refused transfer asked for.
        requested: u64,
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
            Error::InvalidPath(_) => "invalid_path",
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
            Error::InvalidUrl { .. } => "invalid_url",
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
            Error::QuotaExhausted { .. } => "quota_exhausted",
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
    /// What kind of refusal this is, from which a server derives its answer (HTTP status).
    /// An exhaustive match: a new variant cannot compile until its kind is chosen.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::SiweSyntax { .. } => ErrorKind::Unauthenticated,
            Error::SiweField { .. } => ErrorKind::Unauthenticated,
            Error::MalformedSignature(_) => ErrorKind::Unauthenticated,
            Error::SignerMismatch { .. } => ErrorKind::Unauthenticated,
            Error::SiweExpired(_) => ErrorKind::Unauthenticated,
            Error::SiweNotYetValid(_) => ErrorKind::Unauthenticated,
            Error::SiweIssuedInFuture(_) => ErrorKind::Unauthenticated,
            Error::SiweDomainMismatch { .. } => ErrorKind::Unauthenticated,
            Error::SiweNonceMismatch => ErrorKind::Unauthenticated,
            Error::RecapDecode(_) => ErrorKind::Unauthenticated,
            Error::RecapInvalid(_) => ErrorKind::Unauthenticated,
            Error::RecapStatementMismatch(_) => ErrorKind::Unauthenticated,
            Error::InvalidResource(_) => ErrorKind::Unauthenticated,
            Error::InvalidPath(_) => ErrorKind::InvalidInput,
            Error::InvalidAbility(_) => ErrorKind::Unauthenticated,
            Error::InvalidCondition(_) => ErrorKind::Unauthenticated,
            Error::InvalidSessionKey(_) => ErrorKind::Unauthenticated,
            Error::InvalidWalletKey(_) => ErrorKind::Unauthenticated,
            Error::InvalidTimestamp { .. } => ErrorKind::Unauthenticated,
            Error::Json(_) => ErrorKind::Unauthenticated,
            Error::AuthSigMalformed(_) => ErrorKind::Unauthenticated,
            Error::AuthSigAddressMismatch { .. } => ErrorKind::Unauthenticated,
            Error::UnsupportedDerivedVia(_) => ErrorKind::Unauthenticated,
            Error::SessionSigMalformed(_) => ErrorKind::Unauthenticated,
            Error::UnsupportedAlgorithm(_) => ErrorKind::Unauthenticated,
            Error::BadSessionSignature => ErrorKind::Unauthenticated,
            Error::SessionKeyMismatch => ErrorKind::Unauthenticated,
            Error::IssuedInFuture(_) => ErrorKind::Unauthenticated,
            Error::ExpirationBeforeIssuedAt => ErrorKind::Unauthenticated,
            Error::Expired(_) => ErrorKind::Unauthenticated,
            Error::LifetimeTooLong { .. } => ErrorKind::Unauthenticated,
            Error::WrongNode { .. } => ErrorKind::Unauthenticated,
            Error::InvalidNodeUrl(_) => ErrorKind::Config,
            Error::InvalidUrl { .. } => ErrorKind::Config,
            Error::MissingSessionAuthSig(_) => ErrorKind::Unauthenticated,
            Error::AuthSigWrongSessionKey { .. } => ErrorKind::Unauthenticated,
            Error::CapabilityNotGranted(_) => ErrorKind::Forbidden,
            Error::OperationNotRequested(_) => ErrorKind::Forbidden,
            Error::NotADelegate { .. } => ErrorKind::Forbidden,
            Error::DelegationNotValid { .. } => ErrorKind::Forbidden,
            Error::AttenuationViolated(_) => ErrorKind::Forbidden,
            Error::ChainTooLong(_) => ErrorKind::Forbidden,
            Error::CaveatNotSatisfied(_) => ErrorKind::Forbidden,
            Error::UsesExhausted { .. } => ErrorKind::Forbidden,
            Error::QuotaExhausted { .. } => ErrorKind::LimitReached,
            Error::AuthSigNoExpiration(_) => ErrorKind::Unauthenticated,
            Error::AuthSigLifetimeTooLong { .. } => ErrorKind::Unauthenticated,
            Error::SiweDomainNotAccepted(_) => ErrorKind::Unauthenticated,
            Error::SiweChainNotAccepted(_) => ErrorKind::Unauthenticated,
            Error::InvalidAcceptedDomain(_) => ErrorKind::Config,
            Error::Revoked(_) => ErrorKind::Forbidden,
            Error::InvalidRevocation(_) => ErrorKind::InvalidInput,
            Error::ContractWallet(_) => ErrorKind::Unauthenticated,
            Error::ContractWalletUnavailable(_) => ErrorKind::Unavailable,
            Error::Store(_) => ErrorKind::Unavailable,
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

    /// Every variant, one sample each; the exhaustive match below stops a new variant from
    /// compiling until it is sampled here and its kind is listed in the table.
    fn every_variant() -> Vec<Error> {
        vec![
            Error::SiweSyntax {
                line: 0,
                reason: String::new(),
            },
            Error::SiweField {
                field: "",
                reason: String::new(),
            },
            Error::MalformedSignature(String::new()),
            Error::SignerMismatch {
                expected: String::new(),
                recovered: String::new(),
            },
            Error::SiweExpired(String::new()),
            Error::SiweNotYetValid(String::new()),
            Error::SiweIssuedInFuture(String::new()),
            Error::SiweDomainMismatch {
                expected: String::new(),
                found: String::new(),
            },
            Error::SiweNonceMismatch,
            Error::RecapDecode(String::new()),
            Error::RecapInvalid(String::new()),
            Error::RecapStatementMismatch(String::new()),
            Error::InvalidResource(String::new()),
            Error::InvalidPath(String::new()),
            Error::InvalidAbility(String::new()),
            Error::InvalidCondition(String::new()),
            Error::InvalidSessionKey(String::new()),
            Error::InvalidWalletKey(String::new()),
            Error::InvalidTimestamp {
                value: String::new(),
                reason: String::new(),
            },
            Error::Json(String::new()),
            Error::AuthSigMalformed(String::new()),
            Error::AuthSigAddressMismatch {
                auth_sig: String::new(),
                siwe: String::new(),
            },
            Error::UnsupportedDerivedVia(String::new()),
            Error::SessionSigMalformed(String::new()),
            Error::UnsupportedAlgorithm(String::new()),
            Error::BadSessionSignature,
            Error::SessionKeyMismatch,
            Error::IssuedInFuture(String::new()),
            Error::ExpirationBeforeIssuedAt,
            Error::Expired(String::new()),
            Error::LifetimeTooLong {
                actual_secs: 0,
                max_secs: 0,
            },
            Error::WrongNode {
                expected: String::new(),
                found: String::new(),
            },
            Error::InvalidNodeUrl(String::new()),
            Error::MissingSessionAuthSig(String::new()),
            Error::AuthSigWrongSessionKey {
                expected: String::new(),
                found: String::new(),
            },
            Error::CapabilityNotGranted(String::new()),
            Error::OperationNotRequested(String::new()),
            Error::NotADelegate {
                delegator: String::new(),
                owner: String::new(),
            },
            Error::DelegationNotValid {
                delegator: String::new(),
                reason: String::new(),
            },
            Error::AttenuationViolated(String::new()),
            Error::ChainTooLong(0),
            Error::CaveatNotSatisfied(String::new()),
            Error::UsesExhausted {
                counter: String::new(),
                limit: 0,
            },
            Error::QuotaExhausted {
                counter: String::new(),
                limit: 0,
                requested: 0,
            },
            Error::Revoked(String::new()),
            Error::InvalidRevocation(String::new()),
            Error::ContractWallet(String::new()),
            Error::ContractWalletUnavailable(String::new()),
            Error::Store(String::new()),
            Error::AuthSigNoExpiration(""),
            Error::AuthSigLifetimeTooLong {
                kind: "",
                actual_secs: 0,
                max_secs: 0,
            },
            Error::SiweDomainNotAccepted(String::new()),
            Error::SiweChainNotAccepted(0),
            Error::InvalidAcceptedDomain(String::new()),
            Error::InvalidUrl {
                url: String::new(),
                reason: "",
            },
        ]
    }

    fn index(e: &Error) -> usize {
        match e {
            Error::SiweSyntax { .. } => 0,
            Error::SiweField { .. } => 1,
            Error::MalformedSignature(_) => 2,
            Error::SignerMismatch { .. } => 3,
            Error::SiweExpired(_) => 4,
            Error::SiweNotYetValid(_) => 5,
            Error::SiweIssuedInFuture(_) => 6,
            Error::SiweDomainMismatch { .. } => 7,
            Error::SiweNonceMismatch => 8,
            Error::RecapDecode(_) => 9,
            Error::RecapInvalid(_) => 10,
            Error::RecapStatementMismatch(_) => 11,
            Error::InvalidResource(_) => 12,
            Error::InvalidPath(_) => 13,
            Error::InvalidAbility(_) => 14,
            Error::InvalidCondition(_) => 15,
            Error::InvalidSessionKey(_) => 16,
            Error::InvalidWalletKey(_) => 17,
            Error::InvalidTimestamp { .. } => 18,
            Error::Json(_) => 19,
            Error::AuthSigMalformed(_) => 20,
            Error::AuthSigAddressMismatch { .. } => 21,
            Error::UnsupportedDerivedVia(_) => 22,
            Error::SessionSigMalformed(_) => 23,
            Error::UnsupportedAlgorithm(_) => 24,
            Error::BadSessionSignature => 25,
            Error::SessionKeyMismatch => 26,
            Error::IssuedInFuture(_) => 27,
            Error::ExpirationBeforeIssuedAt => 28,
            Error::Expired(_) => 29,
            Error::LifetimeTooLong { .. } => 30,
            Error::WrongNode { .. } => 31,
            Error::InvalidNodeUrl(_) => 32,
            Error::MissingSessionAuthSig(_) => 33,
            Error::AuthSigWrongSessionKey { .. } => 34,
            Error::CapabilityNotGranted(_) => 35,
            Error::OperationNotRequested(_) => 36,
            Error::NotADelegate { .. } => 37,
            Error::DelegationNotValid { .. } => 38,
            Error::AttenuationViolated(_) => 39,
            Error::ChainTooLong(_) => 40,
            Error::CaveatNotSatisfied(_) => 41,
            Error::UsesExhausted { .. } => 42,
            Error::QuotaExhausted { .. } => 43,
            Error::Revoked(_) => 44,
            Error::InvalidRevocation(_) => 45,
            Error::ContractWallet(_) => 46,
            Error::ContractWalletUnavailable(_) => 47,
            Error::Store(_) => 48,
            Error::AuthSigNoExpiration(_) => 49,
            Error::AuthSigLifetimeTooLong { .. } => 50,
            Error::SiweDomainNotAccepted(_) => 51,
            Error::SiweChainNotAccepted(_) => 52,
            Error::InvalidAcceptedDomain(_) => 53,
            Error::InvalidUrl { .. } => 54,
        }
    }

    #[test]
    fn every_code_has_its_kind() {
        let table = [
            ("siwe_syntax", ErrorKind::Unauthenticated),
            ("siwe_invalid_field", ErrorKind::Unauthenticated),
            ("malformed_signature", ErrorKind::Unauthenticated),
            ("signer_mismatch", ErrorKind::Unauthenticated),
            ("siwe_expired", ErrorKind::Unauthenticated),
            ("siwe_not_yet_valid", ErrorKind::Unauthenticated),
            ("siwe_issued_in_future", ErrorKind::Unauthenticated),
            ("siwe_domain_mismatch", ErrorKind::Unauthenticated),
            ("siwe_nonce_mismatch", ErrorKind::Unauthenticated),
            ("recap_decode", ErrorKind::Unauthenticated),
            ("recap_invalid", ErrorKind::Unauthenticated),
            ("recap_statement_mismatch", ErrorKind::Unauthenticated),
            ("invalid_resource", ErrorKind::Unauthenticated),
            ("invalid_path", ErrorKind::InvalidInput),
            ("invalid_ability", ErrorKind::Unauthenticated),
            ("invalid_condition", ErrorKind::Unauthenticated),
            ("invalid_session_key", ErrorKind::Unauthenticated),
            ("invalid_wallet_key", ErrorKind::Unauthenticated),
            ("invalid_timestamp", ErrorKind::Unauthenticated),
            ("invalid_json", ErrorKind::Unauthenticated),
            ("auth_sig_malformed", ErrorKind::Unauthenticated),
            ("auth_sig_address_mismatch", ErrorKind::Unauthenticated),
            ("unsupported_derived_via", ErrorKind::Unauthenticated),
            ("session_sig_malformed", ErrorKind::Unauthenticated),
            ("unsupported_algorithm", ErrorKind::Unauthenticated),
            ("bad_session_signature", ErrorKind::Unauthenticated),
            ("session_key_mismatch", ErrorKind::Unauthenticated),
            ("issued_in_future", ErrorKind::Unauthenticated),
            ("expiration_before_issued_at", ErrorKind::Unauthenticated),
            ("expired", ErrorKind::Unauthenticated),
            ("lifetime_too_long", ErrorKind::Unauthenticated),
            ("wrong_node", ErrorKind::Unauthenticated),
            ("invalid_node_url", ErrorKind::Config),
            ("missing_session_auth_sig", ErrorKind::Unauthenticated),
            ("auth_sig_wrong_session_key", ErrorKind::Unauthenticated),
            ("capability_not_granted", ErrorKind::Forbidden),
            ("operation_not_requested", ErrorKind::Forbidden),
            ("not_a_delegate", ErrorKind::Forbidden),
            ("delegation_not_valid", ErrorKind::Forbidden),
            ("attenuation_violated", ErrorKind::Forbidden),
            ("delegation_chain_too_long", ErrorKind::Forbidden),
            ("caveat_not_satisfied", ErrorKind::Forbidden),
            ("uses_exhausted", ErrorKind::Forbidden),
            ("quota_exhausted", ErrorKind::LimitReached),
            ("revoked", ErrorKind::Forbidden),
            ("invalid_revocation", ErrorKind::InvalidInput),
            ("contract_wallet_invalid", ErrorKind::Unauthenticated),
            ("contract_wallet_unavailable", ErrorKind::Unavailable),
            ("store_unavailable", ErrorKind::Unavailable),
            ("auth_sig_no_expiration", ErrorKind::Unauthenticated),
            ("auth_sig_lifetime_too_long", ErrorKind::Unauthenticated),
            ("siwe_domain_not_accepted", ErrorKind::Unauthenticated),
            ("siwe_chain_not_accepted", ErrorKind::Unauthenticated),
            ("invalid_accepted_domain", ErrorKind::Config),
            ("invalid_url", ErrorKind::Config),
        ];
        let all = every_variant();
        assert_eq!(all.len(), table.len());
        for (i, e) in all.iter().enumerate() {
            assert_eq!(index(e), i, "sample {i} is another variant");
            let (code, kind) = table[i];
            assert_eq!(e.code(), code);
            assert_eq!(e.kind(), kind, "{code}");
        }
        let mut codes: Vec<&str> = table.iter().map(|(c, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), table.len(), "codes are distinct");
    }
}
