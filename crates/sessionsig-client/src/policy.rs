//! The re-sign rules: when a stored AuthSig can be reused and when the wallet must sign again.
//!
//! [`decide`] is a pure function of the stored AuthSig (already checked once by
//! [`CheckedAuthSig::check`]), the session key, the wallet's current address, the request and
//! the clock. It answers `None` (reuse) or the first [`ResignReason`] that applies, in this
//! order:
//!
//! 1. [`Missing`](ResignReason::Missing): nothing stored.
//! 2. [`Invalid`](ResignReason::Invalid): unparsable, not a wallet (`personal_sign`) AuthSig,
//!    bad signature, address field differing from the SIWE address, ReCap statement rule
//!    broken, not yet valid, issued in the future.
//! 3. [`OtherWallet`](ResignReason::OtherWallet): signed by another address than the wallet's
//!    current account.
//! 4. [`OtherSessionKey`](ResignReason::OtherSessionKey): delegates to another session key
//!    (SIWE URI is not `lit:session:<our key>`).
//! 5. [`Expired`](ResignReason::Expired), then [`ExpiringSoon`](ResignReason::ExpiringSoon):
//!    `now + margin >= expiration`.
//! 6. [`NetworkNonce`](ResignReason::NetworkNonce): the network requires its own nonce
//!    ([`NonceRule`]) and the AuthSig's SIWE nonce is not one, or will be older than the
//!    network allows within the margin.
//! 7. [`NotCovered`](ResignReason::NotCovered): its ReCap does not grant every requested
//!    resource and ability (the core's [`coverage`] rule: the exact key or the prefix wildcard
//!    holds the ability or `*/*`).
//! 8. [`ShorterThanRequested`](ResignReason::ShorterThanRequested): the caller asked a
//!    SessionSig expiration past the AuthSig's expiration.

use crate::nodes::NonceRule;
use crate::storage::KeyLayout;
use alloy_primitives::Address;
use sessionsig::auth_sig::{AuthSig, AuthSigRole, DERIVED_VIA_PERSONAL_SIGN};
use sessionsig::lit::{coverage, LitResource, ResourceAbilityRequest};
use sessionsig::recap::{check_statement, Capability, Caveat};
use sessionsig::siwe::{verify_signature, SiweMessage};
use sessionsig::time::{to_iso_string, Duration, OffsetDateTime};
use std::fmt;

/// Why the wallet must sign again. See the [module documentation](self) for the order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResignReason {
    /// No AuthSig is stored for this wallet.
    Missing,
    /// The stored AuthSig does not verify or cannot be used; `code` is the core error code.
    Invalid {
        /// The core's error code (`signer_mismatch`, `siwe_syntax`, …).
        code: String,
    },
    /// The stored AuthSig was signed by another account.
    OtherWallet {
        /// Its signer.
        stored: Address,
        /// The wallet's current account.
        current: Address,
    },
    /// The stored AuthSig delegates to another session key.
    OtherSessionKey,
    /// The stored AuthSig has expired.
    Expired,
    /// The stored AuthSig expires within the re-sign margin.
    ExpiringSoon,
    /// The network requires its own nonce in session AuthSigs and the stored AuthSig's nonce
    /// is not one, or becomes too old within the re-sign margin.
    NetworkNonce,
    /// A requested resource/ability is not granted by the stored AuthSig.
    NotCovered {
        /// The first request not covered, `<ability> on <resource>`.
        request: String,
    },
    /// The caller asked for a SessionSig that would outlive the stored AuthSig.
    ShorterThanRequested {
        /// The AuthSig's expiration.
        auth_sig_expiration: String,
        /// The asked expiration.
        asked: String,
    },
    /// The user asked for a new sign-in (e.g. to narrow the session to a scope).
    Requested,
    /// Not a session at all: the wallet signs a grant to someone else (a share) or a
    /// revocation; `what` says which, in words.
    Grant {
        /// What is being signed, e.g. `a share of /photos/ with 0x…`.
        what: String,
    },
}

impl ResignReason {
    /// A stable snake_case code for this reason.
    pub fn code(&self) -> &'static str {
        match self {
            ResignReason::Missing => "missing",
            ResignReason::Invalid { .. } => "invalid",
            ResignReason::OtherWallet { .. } => "other_wallet",
            ResignReason::OtherSessionKey => "other_session_key",
            ResignReason::Expired => "expired",
            ResignReason::ExpiringSoon => "expiring_soon",
            ResignReason::NetworkNonce => "network_nonce",
            ResignReason::NotCovered { .. } => "not_covered",
            ResignReason::ShorterThanRequested { .. } => "shorter_than_requested",
            ResignReason::Requested => "requested",
            ResignReason::Grant { .. } => "grant",
        }
    }
}

impl fmt::Display for ResignReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResignReason::Missing => f.write_str("no AuthSig is stored"),
            ResignReason::Invalid { code } => write!(f, "the stored AuthSig is invalid ({code})"),
            ResignReason::OtherWallet { stored, current } => write!(
                f,
                "the stored AuthSig is from {}, the wallet is now {}",
                stored.to_checksum(None),
                current.to_checksum(None)
            ),
            ResignReason::OtherSessionKey => {
                f.write_str("the stored AuthSig delegates to another session key")
            }
            ResignReason::Expired => f.write_str("the stored AuthSig has expired"),
            ResignReason::ExpiringSoon => f.write_str("the stored AuthSig is about to expire"),
            ResignReason::NetworkNonce => f.write_str(
                "the network requires a recent nonce of its own and the stored AuthSig lacks one",
            ),
            ResignReason::NotCovered { request } => {
                write!(f, "the stored AuthSig does not grant {request}")
            }
            ResignReason::ShorterThanRequested {
                auth_sig_expiration,
                asked,
            } => write!(
                f,
                "the stored AuthSig expires at {auth_sig_expiration}, before the asked {asked}"
            ),
            ResignReason::Requested => f.write_str("a new sign-in was asked for"),
            ResignReason::Grant { what } => write!(f, "signing {what}"),
        }
    }
}

/// What the wallet grants when it signs a new AuthSig.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GrantScope {
    /// Exactly the requested resources and abilities (least privilege; a request for a new
    /// resource later needs a new signature).
    #[default]
    Requested,
    /// The requested abilities on every resource of each requested prefix
    /// (`lit-pkp://*` for a request on one PKP) — closer to what the Lit SDK grants, fewer
    /// prompts.
    PrefixWildcard,
}

/// Settings of a [`SessionManager`](crate::SessionManager).
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Storage key names (default: the Lit SDK's, [`KeyLayout::Lit`]).
    pub layout: KeyLayout,
    /// SIWE domain of new AuthSigs (default `localhost`, as the Lit SDK).
    pub domain: String,
    /// The user statement of new AuthSigs, before the ReCap text (default none).
    pub statement: Option<String>,
    /// SIWE chain ID (default 1).
    pub chain_id: u64,
    /// Lifetime of a new AuthSig (default 24 h, as the Lit v7 SDK). A caller asking a longer
    /// SessionSig gets an AuthSig lasting exactly that long.
    pub auth_sig_ttl: Duration,
    /// The longest AuthSig the manager asks a wallet for (default 30 days, the nodes' maximum
    /// session lifetime). A request past `now +` this is refused with
    /// [`ClientError::ExpirationTooFar`](crate::ClientError::ExpirationTooFar).
    pub max_auth_sig_ttl: Duration,
    /// SessionSig lifetime when the caller gives no expiration (default 5 min, as the Lit SDK).
    pub session_sig_ttl: Duration,
    /// Re-sign when the AuthSig expires within this margin (default 5 min).
    pub resign_margin: Duration,
    /// What a new AuthSig grants (default [`GrantScope::Requested`]).
    pub grant: GrantScope,
    /// When re-signing for the same wallet, keep what the previous AuthSig granted (so
    /// alternating between two resources prompts once, not every time). Default true.
    pub keep_previous_grants: bool,
    /// Give up on a wallet prompt after this long (default: wait for ever).
    pub wallet_timeout: Option<std::time::Duration>,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            layout: KeyLayout::Lit,
            domain: "localhost".to_owned(),
            statement: None,
            chain_id: 1,
            auth_sig_ttl: Duration::hours(24),
            max_auth_sig_ttl: Duration::days(30),
            session_sig_ttl: Duration::minutes(5),
            resign_margin: Duration::minutes(5),
            grant: GrantScope::Requested,
            keep_previous_grants: true,
            wallet_timeout: None,
        }
    }
}

impl SessionConfig {
    /// Check the durations make sense together.
    ///
    /// Errors: [`ClientError::InvalidConfig`](crate::ClientError::InvalidConfig).
    pub fn validate(&self) -> crate::Result<()> {
        let bad = |m: &str| Err(crate::ClientError::InvalidConfig(m.to_owned()));
        if !self.auth_sig_ttl.is_positive() || !self.session_sig_ttl.is_positive() {
            return bad("auth_sig_ttl and session_sig_ttl must be positive");
        }
        if self.resign_margin.is_negative() {
            return bad("resign_margin must not be negative");
        }
        if self.auth_sig_ttl > self.max_auth_sig_ttl {
            return bad("auth_sig_ttl must not exceed max_auth_sig_ttl");
        }
        if self.resign_margin >= self.auth_sig_ttl {
            return bad("resign_margin must be shorter than auth_sig_ttl");
        }
        if self.session_sig_ttl > self.max_auth_sig_ttl {
            return bad("session_sig_ttl must not exceed max_auth_sig_ttl");
        }
        Ok(())
    }
}

/// A stored AuthSig whose time-independent parts have been checked once: wallet signature
/// over the exact text, address agreement, ReCap decoding and the statement rule.
#[derive(Debug, Clone)]
pub struct CheckedAuthSig {
    /// The AuthSig as stored.
    pub auth_sig: AuthSig,
    /// Its parsed SIWE message.
    pub siwe: SiweMessage,
    /// Its ReCap capability, if it carries one.
    pub capability: Option<Capability>,
    /// The session key it delegates to (`lit:session:<key>`), if it is a session AuthSig.
    pub session_key: Option<String>,
}

impl CheckedAuthSig {
    /// Check everything about `auth_sig` that does not depend on the time.
    ///
    /// Errors: the core's errors (`auth_sig_malformed`, `unsupported_derived_via`,
    /// `signer_mismatch`, `recap_statement_mismatch`, …).
    pub fn check(auth_sig: AuthSig) -> sessionsig::Result<Self> {
        if auth_sig.derived_via != DERIVED_VIA_PERSONAL_SIGN {
            return Err(sessionsig::Error::UnsupportedDerivedVia(
                auth_sig.derived_via.clone(),
            ));
        }
        if auth_sig.algo.as_deref().is_some_and(|a| !a.is_empty()) {
            return Err(sessionsig::Error::AuthSigMalformed(
                "a wallet AuthSig carries no `algo`".into(),
            ));
        }
        let (siwe, role) = auth_sig.parse_siwe()?;
        let claimed: Address = auth_sig.address.parse().map_err(|_| {
            sessionsig::Error::AuthSigMalformed("`address` is not an Ethereum address".into())
        })?;
        if claimed != siwe.address {
            return Err(sessionsig::Error::AuthSigAddressMismatch {
                auth_sig: auth_sig.address.clone(),
                siwe: siwe.address.to_checksum(None),
            });
        }
        verify_signature(
            auth_sig.signed_message.as_bytes(),
            &auth_sig.sig,
            siwe.address,
        )?;
        let capability = Capability::from_siwe_resources(siwe.resources.as_deref())?;
        if let Some(cap) = &capability {
            check_statement(siwe.statement.as_deref(), cap)?;
        }
        let session_key = match role {
            AuthSigRole::Session(k) => Some(k),
            _ => None,
        };
        Ok(CheckedAuthSig {
            auth_sig,
            siwe,
            capability,
            session_key,
        })
    }

    /// The signer.
    pub fn address(&self) -> Address {
        self.siwe.address
    }

    /// The end of its validity, if it has one.
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        self.siwe.expiration_time.as_ref().map(|t| t.instant())
    }

    /// Whether it grants `request` (the core's coverage rule).
    pub fn covers(&self, request: &ResourceAbilityRequest) -> bool {
        self.capability
            .as_ref()
            .is_some_and(|cap| coverage(cap, &request.resource, request.ability).is_granted())
    }
}

/// The request side of a re-sign decision.
#[derive(Debug, Clone, Copy)]
pub struct ResignCheck<'a> {
    /// The current instant.
    pub now: OffsetDateTime,
    /// Re-sign when the AuthSig expires within this margin of `now`.
    pub margin: Duration,
    /// The wallet's current account.
    pub address: Address,
    /// Our session public key (64 hex).
    pub session_key: &'a str,
    /// What the caller asks for.
    pub requests: &'a [ResourceAbilityRequest],
    /// Until when the caller needs the delegation (the SessionSig expiration it asked).
    pub until: OffsetDateTime,
    /// The network's nonce rule, when it requires its own nonce in session AuthSigs.
    pub nonce_rule: Option<NonceRule>,
}

/// Allowed clock skew when judging whether a stored AuthSig was issued in the future.
const ISSUE_SKEW: Duration = Duration::seconds(60);

/// What is stored in an AuthSig slot, as [`decide`] sees it.
#[derive(Debug, Clone, Copy)]
pub enum Stored<'a> {
    /// Nothing.
    Missing,
    /// Something that failed [`CheckedAuthSig::check`] or could not be parsed; the core error
    /// code.
    Unusable(&'a str),
    /// A checked AuthSig.
    Checked(&'a CheckedAuthSig),
}

/// Decide whether the stored AuthSig can be reused for `check` (`None`) or why the wallet
/// must sign again.
pub fn decide(stored: Stored<'_>, check: &ResignCheck<'_>) -> Option<ResignReason> {
    let auth = match stored {
        Stored::Missing => return Some(ResignReason::Missing),
        Stored::Unusable(code) => {
            return Some(ResignReason::Invalid {
                code: code.to_owned(),
            })
        }
        Stored::Checked(a) => a,
    };
    if let Some(nb) = &auth.siwe.not_before {
        if check.now < nb.instant() {
            return Some(ResignReason::Invalid {
                code: "siwe_not_yet_valid".into(),
            });
        }
    }
    if auth.siwe.issued_at.instant() > check.now + ISSUE_SKEW {
        return Some(ResignReason::Invalid {
            code: "siwe_issued_in_future".into(),
        });
    }
    if auth.address() != check.address {
        return Some(ResignReason::OtherWallet {
            stored: auth.address(),
            current: check.address,
        });
    }
    if auth.session_key.as_deref() != Some(check.session_key) {
        return Some(ResignReason::OtherSessionKey);
    }
    let expires = auth.expires_at();
    if let Some(exp) = expires {
        if check.now >= exp {
            return Some(ResignReason::Expired);
        }
        if check.now + check.margin >= exp {
            return Some(ResignReason::ExpiringSoon);
        }
    }
    if let Some(rule) = check.nonce_rule {
        if !rule.accepts(&auth.siwe.nonce, check.now + check.margin) {
            return Some(ResignReason::NetworkNonce);
        }
    }
    if let Some(r) = check.requests.iter().find(|r| !auth.covers(r)) {
        return Some(ResignReason::NotCovered {
            request: format!("{} on {}", r.ability, r.resource),
        });
    }
    if let Some(exp) = expires {
        if check.until > exp {
            return Some(ResignReason::ShorterThanRequested {
                auth_sig_expiration: to_iso_string(exp),
                asked: to_iso_string(check.until),
            });
        }
    }
    None
}

/// The capability a new AuthSig grants for `requests` under `scope`, on top of `base` (what a
/// previous AuthSig of the same wallet granted, when it is kept): a request `base` already
/// covers adds nothing, so re-signing never duplicates a grant.
pub fn grant_for(
    requests: &[ResourceAbilityRequest],
    scope: GrantScope,
    base: Option<&Capability>,
) -> sessionsig::Result<Capability> {
    let mut cap = base.cloned().unwrap_or_default();
    for r in requests {
        if coverage(&cap, &r.resource, r.ability).is_granted() {
            continue;
        }
        let resource = match scope {
            GrantScope::Requested => r.resource.clone(),
            GrantScope::PrefixWildcard => LitResource::wildcard(r.resource.prefix()),
        };
        cap.add_lit_grant(&resource, r.ability, Caveat::new())?;
    }
    Ok(cap)
}
