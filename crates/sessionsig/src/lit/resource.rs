//! Lit resources (`<prefix>://<id>`) and resource/ability requests.

use super::ability::{LitAbility, LitResourcePrefix};
use super::backpack::BackpackId;
use crate::error::{Error, Result};
use crate::recap::{is_uri_char, pct_encodings_ok, Capability, Caveat};
use std::fmt;

/// The id that names every resource of a prefix.
pub const WILDCARD: &str = "*";

/// Longest resource id accepted (bytes).
pub const MAX_ID_LEN: usize = 1024;

/// A Lit resource: a prefix and an id (`*` = every resource of that prefix).
///
/// The id is non-empty, at most [`MAX_ID_LEN`] bytes, and made only of characters a URI may
/// contain (so no whitespace, control or non-ASCII characters), so that [`LitResource::key`] is
/// always a valid ReCap resource URI.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LitResource {
    prefix: LitResourcePrefix,
    id: String,
}

impl LitResource {
    /// A resource of `prefix` named `id`, taken verbatim (see [`LitResource::pkp`] for the PKP
    /// id normalisation).
    ///
    /// Errors: [`Error::InvalidResource`] when the id is empty, too long or has a character a
    /// URI may not contain.
    pub fn new(prefix: LitResourcePrefix, id: impl Into<String>) -> Result<Self> {
        let id = id.into();
        check_id(&id)?;
        if prefix == LitResourcePrefix::Backpack {
            BackpackId::parse(&id)?;
        }
        Ok(LitResource { prefix, id })
    }

    /// A backpack resource, `backpack://<owner><path>`.
    pub fn backpack(id: &BackpackId) -> Self {
        LitResource {
            prefix: LitResourcePrefix::Backpack,
            id: id.to_id(),
        }
    }

    /// The backpack id of a `backpack://` resource (`None` for other prefixes).
    pub fn backpack_id(&self) -> Option<BackpackId> {
        (self.prefix == LitResourcePrefix::Backpack)
            .then(|| BackpackId::parse(&self.id).ok())
            .flatten()
    }

    /// Whether a request for `self` includes `other`: the same resource, the prefix wildcard,
    /// or (backpack) a folder above it by whole segments.
    pub fn covers(&self, other: &LitResource) -> bool {
        if self.prefix != other.prefix {
            return false;
        }
        if self.prefix == LitResourcePrefix::Backpack {
            return match (self.backpack_id(), other.backpack_id()) {
                (Some(a), Some(b)) => a.covers(&b),
                _ => false,
            };
        }
        self.is_wildcard() || self.id == other.id
    }

    /// The wildcard resource `<prefix>://*`.
    pub fn wildcard(prefix: LitResourcePrefix) -> Self {
        LitResource {
            prefix,
            id: WILDCARD.to_owned(),
        }
    }

    /// Parse a resource key, `<prefix>://<id>` (e.g. `lit-pkp://*`).
    ///
    /// Errors: [`Error::InvalidResource`] for a missing `://`, an unknown prefix or a bad id.
    pub fn parse(key: &str) -> Result<Self> {
        let (prefix, id) = key
            .split_once("://")
            .ok_or_else(|| Error::InvalidResource(format!("{key:?} is not <prefix>://<id>")))?;
        LitResource::new(prefix.parse()?, id)
    }

    /// A PKP resource from a token id in hex: `0x` stripped, left-padded with `0` to 64
    /// characters (case kept). `*` gives the wildcard.
    ///
    /// Errors: [`Error::InvalidResource`] when the id is empty, not hex or longer than 64.
    pub fn pkp(token_id: &str) -> Result<Self> {
        if token_id == WILDCARD {
            return Ok(Self::wildcard(LitResourcePrefix::Pkp));
        }
        let hex = token_id
            .strip_prefix("0x")
            .or_else(|| token_id.strip_prefix("0X"))
            .unwrap_or(token_id);
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::InvalidResource(format!(
                "PKP token id {token_id:?} is not hex"
            )));
        }
        if hex.len() > 64 {
            return Err(Error::InvalidResource(format!(
                "PKP token id {token_id:?} is longer than 32 bytes"
            )));
        }
        Ok(LitResource {
            prefix: LitResourcePrefix::Pkp,
            id: format!("{hex:0>64}"),
        })
    }

    /// The prefix.
    pub fn prefix(&self) -> LitResourcePrefix {
        self.prefix
    }

    /// The id (`*` for the wildcard).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The resource key `<prefix>://<id>`, as used in ReCap `att`.
    pub fn key(&self) -> String {
        format!("{}://{}", self.prefix.as_str(), self.id)
    }

    /// The wildcard key of this resource's prefix, `<prefix>://*`.
    pub fn wildcard_key(&self) -> &'static str {
        self.prefix.wildcard_key()
    }

    /// Whether this is the wildcard `<prefix>://*` (never for a backpack resource).
    pub fn is_wildcard(&self) -> bool {
        self.id == WILDCARD
    }
}

impl fmt::Display for LitResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.prefix.as_str(), self.id)
    }
}

impl std::str::FromStr for LitResource {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        LitResource::parse(s)
    }
}

fn check_id(id: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::InvalidResource("empty resource id".into()));
    }
    if id.len() > MAX_ID_LEN {
        return Err(Error::InvalidResource(format!(
            "resource id longer than {MAX_ID_LEN} bytes"
        )));
    }
    if !id.bytes().all(is_uri_char) || !pct_encodings_ok(id) || id.contains('#') {
        return Err(Error::InvalidResource(format!(
            "resource id {id:?} has a character a URI may not contain"
        )));
    }
    Ok(())
}

/// One entry of a SessionSig's `resourceAbilityRequests`: a resource and what to do with it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourceAbilityRequest {
    /// The resource.
    pub resource: LitResource,
    /// The ability asked for.
    pub ability: LitAbility,
}

impl ResourceAbilityRequest {
    /// A request, checking that the ability applies to the resource's prefix.
    ///
    /// Errors: [`Error::InvalidAbility`] when it does not (e.g. `pkp-signing` on a Lit Action).
    pub fn new(resource: LitResource, ability: LitAbility) -> Result<Self> {
        if !ability.applies_to(resource.prefix()) {
            return Err(Error::InvalidAbility(format!(
                "{ability} does not apply to {}",
                resource.prefix()
            )));
        }
        Ok(ResourceAbilityRequest { resource, ability })
    }
}

impl Capability {
    /// Grant the Lit `ability` on `resource` under one caveat object (`Caveat::new()` =
    /// unrestricted), as the Lit SDK's `addCapabilityForResource` does: the ReCap key is
    /// `ability.recap_key()` on `resource.key()`.
    ///
    /// Errors: [`Error::InvalidAbility`] when the ability does not apply to the resource.
    pub fn add_lit_grant(
        &mut self,
        resource: &LitResource,
        ability: LitAbility,
        caveat: Caveat,
    ) -> Result<()> {
        if !ability.applies_to(resource.prefix()) {
            return Err(Error::InvalidAbility(format!(
                "{ability} does not apply to {}",
                resource.prefix()
            )));
        }
        self.add_ability(&resource.key(), ability.recap_key(), vec![caveat])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_key() {
        let r = LitResource::parse("lit-pkp://*").unwrap();
        assert!(r.is_wildcard());
        assert_eq!(r.prefix(), LitResourcePrefix::Pkp);
        assert_eq!(r.key(), "lit-pkp://*");
        assert_eq!(r.wildcard_key(), "lit-pkp://*");
        let r = LitResource::parse("lit-accesscontrolcondition://ab/cd").unwrap();
        assert_eq!(r.id(), "ab/cd");
        assert!(!r.is_wildcard());
        assert_eq!(r.to_string(), "lit-accesscontrolcondition://ab/cd");
        assert_eq!(r.wildcard_key(), "lit-accesscontrolcondition://*");
        for bad in [
            "lit-pkp:*",
            "lit-pkp://",
            "lit-unknown://x",
            "LIT-PKP://x",
            "lit-pkp://a b",
            "lit-pkp://a\n",
            "lit-pkp://é",
            "lit-pkp://a\"b",
            "lit-pkp://%zz",
            "",
        ] {
            assert_eq!(
                LitResource::parse(bad).unwrap_err().code(),
                "invalid_resource",
                "{bad:?}"
            );
        }
        assert!(
            LitResource::new(LitResourcePrefix::LitAction, "x".repeat(MAX_ID_LEN + 1)).is_err()
        );
    }

    #[test]
    fn pkp_ids() {
        assert_eq!(
            LitResource::pkp("0x1234").unwrap().key(),
            "lit-pkp://0000000000000000000000000000000000000000000000000000000000001234"
        );
        assert_eq!(
            LitResource::pkp("1234").unwrap(),
            LitResource::pkp("0x1234").unwrap()
        );
        let full = "ab".repeat(32);
        assert_eq!(LitResource::pkp(&full).unwrap().id(), full);
        assert_eq!(
            LitResource::pkp("0xABcd").unwrap().id(),
            format!("{:0>64}", "ABcd")
        );
        assert!(LitResource::pkp("*").unwrap().is_wildcard());
        for bad in ["", "0x", "0xg1", "12 34", &"1".repeat(65)] {
            assert_eq!(
                LitResource::pkp(bad).unwrap_err().code(),
                "invalid_resource",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn requests_and_grants() {
        let pkp = LitResource::wildcard(LitResourcePrefix::Pkp);
        assert!(ResourceAbilityRequest::new(pkp.clone(), LitAbility::PkpSigning).is_ok());
        assert_eq!(
            ResourceAbilityRequest::new(pkp.clone(), LitAbility::LitActionExecution)
                .unwrap_err()
                .code(),
            "invalid_ability"
        );
        let mut cap = Capability::new();
        cap.add_lit_grant(&pkp, LitAbility::PkpSigning, Caveat::new())
            .unwrap();
        assert!(cap
            .add_lit_grant(
                &pkp,
                LitAbility::AccessControlConditionDecryption,
                Caveat::new()
            )
            .is_err());
        assert_eq!(
            cap.to_jcs(),
            r#"{"att":{"lit-pkp://*":{"Threshold/Signing":[{}]}},"prf":[]}"#
        );
    }
}
