//! Does a capability object grant a Lit resource/ability request? (SPEC §5)

use super::ability::LitAbility;
use super::backpack::BackpackId;
use super::resource::LitResource;
use crate::recap::{Capability, Caveat};

/// The ability key that grants every ability on a resource.
pub const ANY_ABILITY: &str = "*/*";

/// The answer of [`coverage`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Coverage<'a> {
    /// Nothing in the capability grants the request.
    Denied,
    /// Granted by the ability `ability_key` on the resource key `key`, under `caveats` (any one
    /// of them; a list containing `{}` is unrestricted). Never an empty list.
    Granted {
        /// The `att` resource key that grants (the exact key or `<prefix>://*`).
        key: &'a str,
        /// The ability key that grants (the mapped `namespace/name`, or `*/*`).
        ability_key: &'a str,
        /// The caveats of that grant (non-empty).
        caveats: &'a [Caveat],
    },
}

impl<'a> Coverage<'a> {
    /// Whether the request is granted.
    pub fn is_granted(&self) -> bool {
        matches!(self, Coverage::Granted { .. })
    }

    /// The caveats of the grant, `None` when denied.
    pub fn caveats(&self) -> Option<&'a [Caveat]> {
        match self {
            Coverage::Denied => None,
            Coverage::Granted { caveats, .. } => Some(caveats),
        }
    }

    /// Whether the request is granted without restriction (one caveat object is `{}`).
    pub fn is_unrestricted(&self) -> bool {
        self.caveats()
            .is_some_and(|c| c.iter().any(|cav| cav.is_empty()))
    }
}

/// One way a capability grants a request (see [`grants`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grant<'a> {
    /// The `att` resource key that grants (the exact key or `<prefix>://*`).
    pub key: &'a str,
    /// The ability key that grants (the mapped `namespace/name`, or `*/*`).
    pub ability_key: &'a str,
    /// The caveats of that grant (non-empty: `[]` grants nothing and is never listed).
    pub caveats: &'a [Caveat],
}

/// Every way `cap` grants `ability` on `resource`, in this order: exact key with the mapped
/// ability, exact key with `*/*`, wildcard key with the mapped ability, wildcard key with `*/*`.
///
/// SPEC §5: the wildcard key `<prefix>://*` **or** the exact key may grant (the union, not the
/// Lit SDK's quirk of looking only at the wildcard key when it exists); a grant of one id never
/// covers a `*` request; an ability whose caveat list is `[]` grants nothing; an ability that
/// does not apply to the resource's prefix is never granted.
pub fn grants<'a>(
    cap: &'a Capability,
    resource: &LitResource,
    ability: LitAbility,
) -> Vec<Grant<'a>> {
    let mut out = Vec::new();
    if !ability.applies_to(resource.prefix()) {
        return out;
    }
    if let Some(want) = resource.backpack_id() {
        return backpack_grants(cap, &want, ability);
    }
    let wanted = ability.recap_key();
    let wildcard_key = resource.wildcard_key();
    let exact_key = (!resource.is_wildcard()).then(|| resource.key());
    for key in exact_key.as_deref().into_iter().chain([wildcard_key]) {
        let Some((key, abilities)) = cap.att().get_key_value(key) else {
            continue;
        };
        for ability_key in [wanted, ANY_ABILITY] {
            if let Some((ability_key, caveats)) = abilities.get_key_value(ability_key) {
                if !caveats.is_empty() {
                    out.push(Grant {
                        key,
                        ability_key,
                        caveats,
                    });
                }
            }
        }
    }
    out
}

/// Backpack grants: every `backpack://` key whose owner is the resource's and whose path covers
/// it by whole segments, with the ability, `backpack/*` or `*/*`. Keys that are not valid
/// backpack ids grant nothing.
fn backpack_grants<'a>(
    cap: &'a Capability,
    want: &BackpackId,
    ability: LitAbility,
) -> Vec<Grant<'a>> {
    let mut out = Vec::new();
    for (key, abilities) in cap.att() {
        let Some(id) = key.strip_prefix("backpack://") else {
            continue;
        };
        if !BackpackId::parse(id).is_ok_and(|g| g.covers(want)) {
            continue;
        }
        let namespace = ability
            .namespace_wildcard()
            .filter(|w| *w != ability.recap_key());
        for ability_key in [Some(ability.recap_key()), namespace, Some(ANY_ABILITY)]
            .into_iter()
            .flatten()
        {
            if let Some((ability_key, caveats)) = abilities.get_key_value(ability_key) {
                if !caveats.is_empty() {
                    out.push(Grant {
                        key,
                        ability_key,
                        caveats,
                    });
                }
            }
        }
    }
    out
}

/// Whether `cap` grants `ability` on `resource` (rules of [`grants`]).
///
/// When several entries grant, an unrestricted one (its caveats contain `{}`) is preferred;
/// otherwise the first in [`grants`] order. Use [`grants`] to see them all (a request is allowed
/// when the caveats of *any* grant are satisfied).
pub fn coverage<'a>(
    cap: &'a Capability,
    resource: &LitResource,
    ability: LitAbility,
) -> Coverage<'a> {
    let all = grants(cap, resource, ability);
    let pick = all
        .iter()
        .find(|g| g.caveats.iter().any(Caveat::is_empty))
        .or_else(|| all.first());
    match pick {
        Some(g) => Coverage::Granted {
            key: g.key,
            ability_key: g.ability_key,
            caveats: g.caveats,
        },
        None => Coverage::Denied,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lit::LitResourcePrefix as P;
    use serde_json::json;

    const ACC_ID: &str = "14805f09ce08f4ec3c59250addf4098a3132f1f2c5201d849b0850cff389c130/2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    fn cav(v: serde_json::Value) -> Caveat {
        v.as_object().cloned().unwrap()
    }

    fn cap(entries: &[(&str, &str, Vec<Caveat>)]) -> Capability {
        let mut c = Capability::new();
        for (r, a, cv) in entries {
            c.add_ability(r, a, cv.clone()).unwrap();
        }
        c
    }

    fn acc() -> LitResource {
        LitResource::new(P::AccessControlCondition, ACC_ID).unwrap()
    }

    #[test]
    fn wildcard_only() {
        let c = cap(&[(
            "lit-accesscontrolcondition://*",
            "Threshold/Decryption",
            vec![Caveat::new()],
        )]);
        let got = coverage(&c, &acc(), LitAbility::AccessControlConditionDecryption);
        assert_eq!(
            got,
            Coverage::Granted {
                key: "lit-accesscontrolcondition://*",
                ability_key: "Threshold/Decryption",
                caveats: &[Caveat::new()],
            }
        );
        assert!(got.is_unrestricted());
        // The wildcard request too.
        let star = LitResource::wildcard(P::AccessControlCondition);
        assert!(coverage(&c, &star, LitAbility::AccessControlConditionDecryption).is_granted());
        // Another ability on the same prefix is not granted.
        assert!(!coverage(&c, &acc(), LitAbility::AccessControlConditionSigning).is_granted());
    }

    #[test]
    fn exact_only() {
        let key = acc().key();
        let c = cap(&[(&key, "Threshold/Decryption", vec![Caveat::new()])]);
        match coverage(&c, &acc(), LitAbility::AccessControlConditionDecryption) {
            Coverage::Granted { key: k, .. } => assert_eq!(k, key),
            Coverage::Denied => panic!("exact grant refused"),
        }
        // Another id is not covered.
        let other = LitResource::new(P::AccessControlCondition, "00/11").unwrap();
        assert_eq!(
            coverage(&c, &other, LitAbility::AccessControlConditionDecryption),
            Coverage::Denied
        );
        // An id grant never covers a "*" request.
        let star = LitResource::wildcard(P::AccessControlCondition);
        assert_eq!(
            coverage(&c, &star, LitAbility::AccessControlConditionDecryption),
            Coverage::Denied
        );
    }

    #[test]
    fn both_keys_split_across_abilities_is_granted() {
        // SPEC §5: the Lit SDK's verifyCapabilitiesForResource wrongly refuses this.
        let key = acc().key();
        let c = cap(&[
            (
                "lit-accesscontrolcondition://*",
                "Threshold/Signing",
                vec![Caveat::new()],
            ),
            (&key, "Threshold/Decryption", vec![Caveat::new()]),
        ]);
        match coverage(&c, &acc(), LitAbility::AccessControlConditionDecryption) {
            Coverage::Granted {
                key: k,
                ability_key,
                ..
            } => {
                assert_eq!(k, key);
                assert_eq!(ability_key, "Threshold/Decryption");
            }
            Coverage::Denied => panic!("the union rule must grant"),
        }
        match coverage(&c, &acc(), LitAbility::AccessControlConditionSigning) {
            Coverage::Granted { key: k, .. } => assert_eq!(k, "lit-accesscontrolcondition://*"),
            Coverage::Denied => panic!("wildcard signing must grant"),
        }
    }

    #[test]
    fn star_star() {
        let c = cap(&[("lit-pkp://*", "*/*", vec![Caveat::new()])]);
        let pkp = LitResource::pkp("0x1234").unwrap();
        match coverage(&c, &pkp, LitAbility::PkpSigning) {
            Coverage::Granted { ability_key, .. } => assert_eq!(ability_key, "*/*"),
            Coverage::Denied => panic!("*/* must grant"),
        }
        // */* on lit-pkp does not reach other prefixes.
        let action = LitResource::wildcard(P::LitAction);
        assert!(!coverage(&c, &action, LitAbility::LitActionExecution).is_granted());
        // A mapped key of another prefix's ability does not apply.
        let c = cap(&[("lit-pkp://*", "Threshold/Execution", vec![Caveat::new()])]);
        assert!(!coverage(&c, &pkp, LitAbility::PkpSigning).is_granted());
        // Mismatched ability/prefix is denied even with */*.
        let c = cap(&[("lit-pkp://*", "*/*", vec![Caveat::new()])]);
        assert!(!coverage(&c, &pkp, LitAbility::LitActionExecution).is_granted());
    }

    #[test]
    fn empty_caveats_deny() {
        let c = cap(&[("lit-litaction://*", "Threshold/Execution", vec![])]);
        let action = LitResource::wildcard(P::LitAction);
        assert_eq!(
            coverage(&c, &action, LitAbility::LitActionExecution),
            Coverage::Denied
        );
        assert!(grants(&c, &action, LitAbility::LitActionExecution).is_empty());
        // ...but another entry may still grant.
        let c = cap(&[
            ("lit-litaction://*", "Threshold/Execution", vec![]),
            ("lit-litaction://*", "*/*", vec![Caveat::new()]),
        ]);
        assert!(coverage(&c, &action, LitAbility::LitActionExecution).is_granted());
    }

    #[test]
    fn restricted_caveats_returned_and_unrestricted_preferred() {
        let delegation = cav(
            json!({"delegate_to": ["70997970C51812dc3A010C7d01b50e0d17dc79C8"], "nft_id": ["24529"], "uses": "200"}),
        );
        let c = cap(&[(
            "lit-ratelimitincrease://24529",
            "Auth/Auth",
            vec![delegation.clone()],
        )]);
        let r = LitResource::new(P::RateLimitIncrease, "24529").unwrap();
        let got = coverage(&c, &r, LitAbility::RateLimitIncreaseAuth);
        assert_eq!(got.caveats(), Some(&[delegation.clone()][..]));
        assert!(!got.is_unrestricted());
        // Restricted on the exact key, unrestricted on the wildcard: the unrestricted one wins.
        let c = cap(&[
            (
                "lit-ratelimitincrease://24529",
                "Auth/Auth",
                vec![delegation.clone()],
            ),
            (
                "lit-ratelimitincrease://*",
                "Auth/Auth",
                vec![Caveat::new()],
            ),
        ]);
        let got = coverage(&c, &r, LitAbility::RateLimitIncreaseAuth);
        assert!(got.is_unrestricted());
        assert_eq!(grants(&c, &r, LitAbility::RateLimitIncreaseAuth).len(), 2);
        // Payment delegation (v8) uses Auth/Auth on its own prefix only.
        let p = LitResource::wildcard(P::PaymentDelegation);
        assert!(!coverage(&c, &p, LitAbility::PaymentDelegation).is_granted());
    }

    #[test]
    fn pkp_signing_is_not_acc_signing() {
        let c = cap(&[(
            "lit-accesscontrolcondition://*",
            "Threshold/Signing",
            vec![Caveat::new()],
        )]);
        let pkp = LitResource::wildcard(P::Pkp);
        assert!(!coverage(&c, &pkp, LitAbility::PkpSigning).is_granted());
        let acc_star = LitResource::wildcard(P::AccessControlCondition);
        assert!(coverage(&c, &acc_star, LitAbility::AccessControlConditionSigning).is_granted());
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use crate::lit::LitResourcePrefix as P;
    use proptest::prelude::*;

    fn resource() -> impl Strategy<Value = LitResource> {
        let lit = (
            0usize..P::ALL.len() - 1,
            prop_oneof![Just("*".to_string()), "[0-9a-f]{1,3}"],
        )
            .prop_map(|(p, id)| LitResource::new(P::ALL[p], id).expect("valid id"));
        // Backpack resources: two owners, short paths (folders and objects) that overlap.
        let backpack = (0u8..2, "(/[ab]{1,2}){0,3}/?")
            .prop_filter("a path", |(_, p)| !p.is_empty())
            .prop_map(|(o, p)| {
                LitResource::new(P::Backpack, format!("0x{:040x}{p}", 0xa0 + o)).expect("valid id")
            });
        prop_oneof![3 => lit, 1 => backpack]
    }

    fn ability_for(r: &LitResource, pick: usize) -> LitAbility {
        let all = r.prefix().abilities();
        all[pick % all.len()]
    }

    proptest! {
        #[test]
        fn granted_stays_granted_after_merge(
            grants_a in prop::collection::vec((resource(), 0usize..2), 0..6),
            grants_b in prop::collection::vec((resource(), 0usize..2), 0..6),
            probe in prop::collection::vec((resource(), 0usize..2), 1..8),
        ) {
            let build = |gs: &[(LitResource, usize)]| {
                let mut c = Capability::new();
                for (r, pick) in gs {
                    c.add_lit_grant(r, ability_for(r, *pick), Caveat::new()).expect("applies");
                }
                c
            };
            let (a, b) = (build(&grants_a), build(&grants_b));
            let mut m = a.clone();
            m.merge(&b);
            for (r, pick) in grants_a.iter().chain(&grants_b) {
                prop_assert!(coverage(&m, r, ability_for(r, *pick)).is_granted());
            }
            for (r, pick) in &probe {
                let ab = ability_for(r, *pick);
                let before = coverage(&a, r, ab).is_granted() || coverage(&b, r, ab).is_granted();
                // The merge grants exactly the union.
                prop_assert_eq!(coverage(&m, r, ab).is_granted(), before);
                // A wildcard request is granted only by a wildcard key.
                if r.is_wildcard() && coverage(&m, r, ab).is_granted() {
                    let by_wildcard = grants(&m, r, ab).iter().all(|g| g.key == r.wildcard_key());
                    prop_assert!(by_wildcard);
                }
            }
        }
    }
}
