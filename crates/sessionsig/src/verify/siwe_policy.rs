//! What each AuthSig a SessionSig carries was signed for, and for how long.
//!
//! The SessionSig's own lifetime is capped by [`Policy::max_lifetime`]; without these rules
//! the AuthSigs under it could live forever (no `Expiration Time`, or one a century away), and
//! a SIWE message signed on one site for another (EIP-4361's phishing case) or for another
//! chain would be accepted as if signed here. The rules run on every verification, cached
//! AuthSigs included, since the policy may differ between verifiers sharing a cache.

use super::Policy;
use crate::auth_sig::{AuthSigRole, VerifiedAuthSig};
use crate::error::{Error, Result};
use time::Duration;

/// Which lifetime cap applies to an AuthSig: a session AuthSig delegates to a session key;
/// everything else carried (capacity and payment delegations, other grants) is a delegation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthSigKind {
    /// `lit:session:<key>`: the wallet's grant to one session key.
    Session,
    /// Any other carried AuthSig (a delegation to other wallets).
    Delegation,
}

impl AuthSigKind {
    /// The kind of an AuthSig by its role.
    pub fn of(role: &AuthSigRole) -> Self {
        match role {
            AuthSigRole::Session(_) => AuthSigKind::Session,
            _ => AuthSigKind::Delegation,
        }
    }

    /// `session` or `delegation` (in error messages).
    pub fn as_str(self) -> &'static str {
        match self {
            AuthSigKind::Session => "session",
            AuthSigKind::Delegation => "delegation",
        }
    }
}

/// Which SIWE `domain` (and optional `scheme`) values a verifier accepts. One entry is a
/// domain (`app.example`, matched case-insensitively, any scheme or none) or a scheme and a
/// domain (`https://app.example`: that scheme only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedDomain {
    scheme: Option<String>,
    domain: String,
}

impl AcceptedDomain {
    /// Parse `domain` or `scheme://domain`. Refuses empty parts, white space, paths.
    pub fn parse(entry: &str) -> Result<Self> {
        let bad = || Error::InvalidAcceptedDomain(entry.chars().take(120).collect());
        let (scheme, domain) = match entry.split_once("://") {
            Some((s, d)) => (Some(s), d),
            None => (None, entry),
        };
        let ok_scheme = scheme.is_none_or(|s| {
            s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        });
        let ok_domain = !domain.is_empty()
            && !domain
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "/?#".contains(c));
        if !ok_scheme || !ok_domain {
            return Err(bad());
        }
        Ok(AcceptedDomain {
            scheme: scheme.map(|s| s.to_ascii_lowercase()),
            domain: domain.to_ascii_lowercase(),
        })
    }

    fn accepts(&self, scheme: Option<&str>, domain: &str) -> bool {
        domain.eq_ignore_ascii_case(&self.domain)
            && self
                .scheme
                .as_deref()
                .is_none_or(|s| scheme.is_some_and(|m| m.eq_ignore_ascii_case(s)))
    }
}

impl std::fmt::Display for AcceptedDomain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.scheme {
            Some(s) => write!(f, "{s}://{}", self.domain),
            None => f.write_str(&self.domain),
        }
    }
}

/// Apply the policy's domain, chain and lifetime rules to one verified AuthSig of `kind`.
pub(crate) fn check(policy: &Policy, v: &VerifiedAuthSig, kind: AuthSigKind) -> Result<()> {
    let siwe = &v.siwe;
    if let Some(domains) = &policy.accepted_domains {
        if !domains
            .iter()
            .any(|d| d.accepts(siwe.scheme.as_deref(), &siwe.domain))
        {
            let found = match &siwe.scheme {
                Some(s) => format!("{s}://{}", siwe.domain),
                None => siwe.domain.clone(),
            };
            return Err(Error::SiweDomainNotAccepted(super::truncate(&found)));
        }
    }
    if let Some(chains) = &policy.accepted_chain_ids {
        if !chains.contains(&siwe.chain_id) {
            return Err(Error::SiweChainNotAccepted(siwe.chain_id));
        }
    }
    let max = match kind {
        AuthSigKind::Session => policy.max_session_auth_sig_lifetime,
        AuthSigKind::Delegation => policy.max_delegation_lifetime,
    };
    let Some(max) = max else { return Ok(()) };
    let Some(expires) = v.expires_at() else {
        return Err(Error::AuthSigNoExpiration(kind.as_str()));
    };
    let lifetime: Duration = expires - siwe.issued_at.instant();
    if lifetime > max {
        return Err(Error::AuthSigLifetimeTooLong {
            kind: kind.as_str(),
            actual_secs: lifetime.whole_seconds(),
            max_secs: max.whole_seconds(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_entries_parse_and_match() {
        let d = AcceptedDomain::parse("App.Example").unwrap();
        assert!(d.accepts(None, "app.example"));
        assert!(d.accepts(Some("https"), "APP.example"));
        assert!(!d.accepts(None, "evil.example"));
        let s = AcceptedDomain::parse("https://app.example:8443").unwrap();
        assert!(s.accepts(Some("HTTPS"), "app.example:8443"));
        assert!(!s.accepts(None, "app.example:8443"));
        assert!(!s.accepts(Some("http"), "app.example:8443"));
        assert_eq!(s.to_string(), "https://app.example:8443");
        for bad in ["", "https://", "a b", "x/y", "1x://a", "://a"] {
            assert_eq!(
                AcceptedDomain::parse(bad).unwrap_err().code(),
                "invalid_accepted_domain",
                "{bad}"
            );
        }
    }
}
