//! Lit resource prefixes and abilities, and their ReCap mapping (SPEC §5).

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// The kind of a Lit resource: the scheme of its key `<prefix>://<id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LitResourcePrefix {
    /// `lit-accesscontrolcondition`: data encrypted under access control conditions.
    AccessControlCondition,
    /// `lit-pkp`: a programmable key pair (id = 64 hex characters of its token id).
    Pkp,
    /// `lit-ratelimitincrease` (v7): a capacity credit NFT.
    RateLimitIncrease,
    /// `lit-paymentdelegation` (v8): payment delegation.
    PaymentDelegation,
    /// `lit-litaction`: a Lit Action (id = its IPFS CID).
    LitAction,
    /// `backpack`: files in a wallet's data backpack (id = `<owner><path>`, see
    /// [`BackpackId`](super::BackpackId)). Not a Lit prefix: sessionsig's own service.
    Backpack,
}

impl LitResourcePrefix {
    /// Every prefix.
    pub const ALL: [LitResourcePrefix; 6] = [
        LitResourcePrefix::AccessControlCondition,
        LitResourcePrefix::Pkp,
        LitResourcePrefix::RateLimitIncrease,
        LitResourcePrefix::PaymentDelegation,
        LitResourcePrefix::LitAction,
        LitResourcePrefix::Backpack,
    ];

    /// The ReCap key of every resource of this prefix, `<prefix>://*`.
    pub fn wildcard_key(self) -> &'static str {
        match self {
            LitResourcePrefix::AccessControlCondition => "lit-accesscontrolcondition://*",
            LitResourcePrefix::Pkp => "lit-pkp://*",
            LitResourcePrefix::RateLimitIncrease => "lit-ratelimitincrease://*",
            LitResourcePrefix::PaymentDelegation => "lit-paymentdelegation://*",
            LitResourcePrefix::LitAction => "lit-litaction://*",
            // Never a valid backpack id, so it grants nothing (a backpack grant names its owner).
            LitResourcePrefix::Backpack => "backpack://*",
        }
    }

    /// The wire name (`lit-pkp`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            LitResourcePrefix::AccessControlCondition => "lit-accesscontrolcondition",
            LitResourcePrefix::Pkp => "lit-pkp",
            LitResourcePrefix::RateLimitIncrease => "lit-ratelimitincrease",
            LitResourcePrefix::PaymentDelegation => "lit-paymentdelegation",
            LitResourcePrefix::LitAction => "lit-litaction",
            LitResourcePrefix::Backpack => "backpack",
        }
    }

    /// The abilities that apply to resources of this prefix.
    pub fn abilities(self) -> &'static [LitAbility] {
        match self {
            LitResourcePrefix::AccessControlCondition => &[
                LitAbility::AccessControlConditionDecryption,
                LitAbility::AccessControlConditionSigning,
            ],
            LitResourcePrefix::Pkp => &[LitAbility::PkpSigning],
            LitResourcePrefix::RateLimitIncrease => &[LitAbility::RateLimitIncreaseAuth],
            LitResourcePrefix::PaymentDelegation => &[LitAbility::PaymentDelegation],
            LitResourcePrefix::LitAction => &[LitAbility::LitActionExecution],
            LitResourcePrefix::Backpack => &[
                LitAbility::BackpackRead,
                LitAbility::BackpackList,
                LitAbility::BackpackWrite,
                LitAbility::BackpackDelete,
                LitAbility::BackpackAll,
            ],
        }
    }
}

impl fmt::Display for LitResourcePrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LitResourcePrefix {
    type Err = Error;

    /// Parse a wire name (exact, case-sensitive).
    fn from_str(s: &str) -> Result<Self> {
        LitResourcePrefix::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| Error::InvalidResource(format!("unknown resource prefix {s:?}")))
    }
}

impl serde::Serialize for LitResourcePrefix {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for LitResourcePrefix {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What a session may do with a Lit resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LitAbility {
    /// `access-control-condition-decryption` → `Threshold/Decryption`.
    AccessControlConditionDecryption,
    /// `access-control-condition-signing` → `Threshold/Signing`.
    AccessControlConditionSigning,
    /// `pkp-signing` → `Threshold/Signing`.
    PkpSigning,
    /// `rate-limit-increase-auth` (v7) → `Auth/Auth`.
    RateLimitIncreaseAuth,
    /// `lit-payment-delegation` (v8) → `Auth/Auth`.
    PaymentDelegation,
    /// `lit-action-execution` → `Threshold/Execution`.
    LitActionExecution,
    /// `backpack/read`: GET and HEAD an object.
    BackpackRead,
    /// `backpack/list`: list a folder.
    BackpackList,
    /// `backpack/write`: PUT an object.
    BackpackWrite,
    /// `backpack/delete`: DELETE an object.
    BackpackDelete,
    /// `backpack/*`: every backpack ability.
    BackpackAll,
}

impl LitAbility {
    /// Every ability.
    pub const ALL: [LitAbility; 11] = [
        LitAbility::AccessControlConditionDecryption,
        LitAbility::AccessControlConditionSigning,
        LitAbility::PkpSigning,
        LitAbility::RateLimitIncreaseAuth,
        LitAbility::PaymentDelegation,
        LitAbility::LitActionExecution,
        LitAbility::BackpackRead,
        LitAbility::BackpackList,
        LitAbility::BackpackWrite,
        LitAbility::BackpackDelete,
        LitAbility::BackpackAll,
    ];

    /// The wire name (`pkp-signing`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            LitAbility::AccessControlConditionDecryption => "access-control-condition-decryption",
            LitAbility::AccessControlConditionSigning => "access-control-condition-signing",
            LitAbility::PkpSigning => "pkp-signing",
            LitAbility::RateLimitIncreaseAuth => "rate-limit-increase-auth",
            LitAbility::PaymentDelegation => "lit-payment-delegation",
            LitAbility::LitActionExecution => "lit-action-execution",
            other => other.recap_key(),
        }
    }

    /// The ReCap `(namespace, name)` this ability is granted under, e.g.
    /// `("Threshold", "Decryption")`.
    pub fn recap(self) -> (&'static str, &'static str) {
        match self {
            LitAbility::AccessControlConditionDecryption => ("Threshold", "Decryption"),
            LitAbility::AccessControlConditionSigning | LitAbility::PkpSigning => {
                ("Threshold", "Signing")
            }
            LitAbility::RateLimitIncreaseAuth | LitAbility::PaymentDelegation => ("Auth", "Auth"),
            LitAbility::LitActionExecution => ("Threshold", "Execution"),
            LitAbility::BackpackRead => ("backpack", "read"),
            LitAbility::BackpackList => ("backpack", "list"),
            LitAbility::BackpackWrite => ("backpack", "write"),
            LitAbility::BackpackDelete => ("backpack", "delete"),
            LitAbility::BackpackAll => ("backpack", "*"),
        }
    }

    /// The ReCap ability key, `namespace/name` (e.g. `Threshold/Decryption`).
    pub fn recap_key(self) -> &'static str {
        match self {
            LitAbility::AccessControlConditionDecryption => "Threshold/Decryption",
            LitAbility::AccessControlConditionSigning | LitAbility::PkpSigning => {
                "Threshold/Signing"
            }
            LitAbility::RateLimitIncreaseAuth | LitAbility::PaymentDelegation => "Auth/Auth",
            LitAbility::LitActionExecution => "Threshold/Execution",
            LitAbility::BackpackRead => "backpack/read",
            LitAbility::BackpackList => "backpack/list",
            LitAbility::BackpackWrite => "backpack/write",
            LitAbility::BackpackDelete => "backpack/delete",
            LitAbility::BackpackAll => "backpack/*",
        }
    }

    /// The one resource prefix this ability applies to.
    pub fn prefix(self) -> LitResourcePrefix {
        match self {
            LitAbility::AccessControlConditionDecryption
            | LitAbility::AccessControlConditionSigning => {
                LitResourcePrefix::AccessControlCondition
            }
            LitAbility::PkpSigning => LitResourcePrefix::Pkp,
            LitAbility::RateLimitIncreaseAuth => LitResourcePrefix::RateLimitIncrease,
            LitAbility::PaymentDelegation => LitResourcePrefix::PaymentDelegation,
            LitAbility::LitActionExecution => LitResourcePrefix::LitAction,
            LitAbility::BackpackRead
            | LitAbility::BackpackList
            | LitAbility::BackpackWrite
            | LitAbility::BackpackDelete
            | LitAbility::BackpackAll => LitResourcePrefix::Backpack,
        }
    }

    /// Whether asking for (or holding) `self` includes `other`: the same ability, or
    /// `backpack/*` for every backpack ability.
    pub fn covers(self, other: LitAbility) -> bool {
        self == other
            || (self == LitAbility::BackpackAll && other.prefix() == LitResourcePrefix::Backpack)
    }

    /// The namespace wildcard key that also grants this ability (`backpack/*`), if any.
    pub fn namespace_wildcard(self) -> Option<&'static str> {
        (self.prefix() == LitResourcePrefix::Backpack).then_some("backpack/*")
    }

    /// Whether this ability applies to resources of `prefix` (SPEC §5 table).
    pub fn applies_to(self, prefix: LitResourcePrefix) -> bool {
        self.prefix() == prefix
    }

    /// The Lit ability a ReCap ability key means on a resource of `prefix`
    /// (`Threshold/Signing` on `lit-pkp` → [`LitAbility::PkpSigning`]); `None` when the key means
    /// nothing there (including `*/*`, which means every ability of the prefix).
    pub fn from_recap(prefix: LitResourcePrefix, key: &str) -> Option<LitAbility> {
        prefix
            .abilities()
            .iter()
            .copied()
            .find(|a| a.recap_key() == key)
    }
}

impl fmt::Display for LitAbility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LitAbility {
    type Err = Error;

    /// Parse a wire name (exact, case-sensitive).
    fn from_str(s: &str) -> Result<Self> {
        LitAbility::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| Error::InvalidAbility(format!("unknown Lit ability {s:?}")))
    }
}

impl serde::Serialize for LitAbility {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for LitAbility {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in LitResourcePrefix::ALL {
            assert_eq!(p.as_str().parse::<LitResourcePrefix>().unwrap(), p);
            assert_eq!(p.to_string(), p.as_str());
        }
        for a in LitAbility::ALL {
            assert_eq!(a.as_str().parse::<LitAbility>().unwrap(), a);
            assert!(a.applies_to(a.prefix()));
            assert!(a.prefix().abilities().contains(&a));
            assert_eq!(LitAbility::from_recap(a.prefix(), a.recap_key()), Some(a));
        }
        assert_eq!(
            "LIT-PKP".parse::<LitResourcePrefix>().unwrap_err().code(),
            "invalid_resource"
        );
        assert_eq!(
            "signing".parse::<LitAbility>().unwrap_err().code(),
            "invalid_ability"
        );
    }

    #[test]
    fn spec_table() {
        use LitAbility as A;
        use LitResourcePrefix as P;
        let table = [
            (
                P::AccessControlCondition,
                A::AccessControlConditionDecryption,
                "Threshold/Decryption",
            ),
            (
                P::AccessControlCondition,
                A::AccessControlConditionSigning,
                "Threshold/Signing",
            ),
            (P::Pkp, A::PkpSigning, "Threshold/Signing"),
            (P::RateLimitIncrease, A::RateLimitIncreaseAuth, "Auth/Auth"),
            (P::PaymentDelegation, A::PaymentDelegation, "Auth/Auth"),
            (P::LitAction, A::LitActionExecution, "Threshold/Execution"),
        ];
        for p in LitResourcePrefix::ALL {
            assert_eq!(p.wildcard_key(), format!("{}://*", p.as_str()));
        }
        for a in P::Backpack.abilities() {
            assert!(A::BackpackAll.covers(*a));
            assert_eq!(a.as_str(), a.recap_key());
        }
        assert!(!A::BackpackRead.covers(A::BackpackWrite));
        for (p, a, key) in table {
            assert_eq!(a.recap_key(), key);
            assert_eq!(a.recap_key(), format!("{}/{}", a.recap().0, a.recap().1));
            for q in P::ALL {
                assert_eq!(a.applies_to(q), q == p, "{a} on {q}");
                let expect = (q == p).then_some(a);
                if q == p {
                    assert_eq!(A::from_recap(q, key), expect);
                }
            }
        }
        assert_eq!(A::from_recap(P::Pkp, "Threshold/Decryption"), None);
        assert_eq!(A::from_recap(P::Pkp, "*/*"), None);
        assert_eq!(A::from_recap(P::LitAction, "Threshold/Signing"), None);
        assert_eq!(
            serde_json::to_string(&A::PkpSigning).unwrap(),
            "\"pkp-signing\""
        );
        assert_eq!(
            serde_json::from_str::<P>("\"lit-litaction\"").unwrap(),
            P::LitAction
        );
        assert!(serde_json::from_str::<P>("\"lit-x\"").is_err());
    }
}
