//! Tracing a request from the session key back to the owner of the resource, through the
//! delegations a SessionSig carries (SPEC §8 steps 6–7).
//!
//! A request is granted when the session AuthSig grants it to the session key. Its root is the
//! session's owner, unless carried delegations grant it to the owner (and maybe, in turn, to
//! the delegator, up to the chain limit): then the root is the first delegator of the chain.
//! Each link must be within its parent — resource, ability and time window — and every link's
//! caveats are enforced, so a chain can only narrow what its root granted.

use super::caveats::{
    address_listed, nft_allowed, uses_limit, CaveatContext, CaveatDecision, CaveatHook,
};
use super::charges::{Charges, Limits};
use super::session::{Grant, GrantSource};
use crate::auth_sig::{AuthSigRole, VerifiedAuthSig};
use crate::error::{Error, Result};
use crate::lit::{coverage, BackpackId, Coverage, LitResourcePrefix, ResourceAbilityRequest};
use crate::recap::{Capability, Caveat};
use alloy_primitives::Address;
use serde_json::Value;
use std::sync::Arc;

/// What the resolver works with for one verification.
pub(crate) struct Resolver<'a> {
    pub owner: Address,
    pub session: &'a VerifiedAuthSig,
    pub delegations: &'a [Arc<VerifiedAuthSig>],
    pub hook: &'a dyn CaveatHook,
    pub max_chain: usize,
    pub context: Option<&'a Value>,
    /// The SessionSig's `maxPrice` (v8), for payment delegations.
    pub max_price: Option<&'a str>,
    /// The abilities the session is verified for (payment delegation scopes).
    pub abilities: Vec<crate::lit::LitAbility>,
}

/// One grant found in a capability: the entry that grants and its caveats.
struct Found<'c> {
    key: &'c str,
    ability_key: &'c str,
    caveats: &'c [Caveat],
}

fn find<'c>(cap: Option<&'c Capability>, r: &ResourceAbilityRequest) -> Option<Found<'c>> {
    match coverage(cap?, &r.resource, r.ability) {
        Coverage::Denied => None,
        Coverage::Granted {
            key,
            ability_key,
            caveats,
        } => Some(Found {
            key,
            ability_key,
            caveats,
        }),
    }
}

/// Is the child grant (`key`, `ability_key`) within `parent`? The parent must hold the same
/// key or the child's prefix wildcard (for a backpack: a folder above it by whole segments),
/// with the same ability, its namespace wildcard (`backpack/*`) or `*/*`, usable (non-empty).
fn within(parent: Option<&Capability>, key: &str, ability_key: &str) -> bool {
    let Some(parent) = parent else { return false };
    let usable = |abilities: &std::collections::BTreeMap<String, Vec<Caveat>>| {
        let namespace = ability_key
            .split_once('/')
            .filter(|(ns, _)| *ns == "backpack")
            .map(|_| "backpack/*");
        [Some(ability_key), namespace, Some("*/*")]
            .into_iter()
            .flatten()
            .any(|a| abilities.get(a).is_some_and(|c| !c.is_empty()))
    };
    if let Some(child) = key
        .strip_prefix("backpack://")
        .and_then(|id| BackpackId::parse(id).ok())
    {
        return parent.att().iter().any(|(k, abilities)| {
            k.strip_prefix("backpack://")
                .and_then(|id| BackpackId::parse(id).ok())
                .is_some_and(|p| p.covers(&child))
                && usable(abilities)
        });
    }
    let wildcard = key.split_once("://").map(|(p, _)| format!("{p}://*"));
    [Some(key.to_owned()), wildcard]
        .into_iter()
        .flatten()
        .any(|k| parent.att().get(&k).is_some_and(usable))
}

impl<'a> Resolver<'a> {
    fn ctx<'r>(
        &self,
        r: &'r ResourceAbilityRequest,
        holder: Address,
        granted_by: Address,
    ) -> CaveatContext<'r>
    where
        'a: 'r,
    {
        CaveatContext {
            owner: self.owner,
            holder,
            granted_by,
            resource: &r.resource,
            ability: r.ability,
            operation: self.context,
        }
    }

    /// Choose the first caveat object that holds entirely; returns the limits it sets.
    fn eval(&self, caveats: &[Caveat], ctx: &CaveatContext<'_>) -> Result<Limits> {
        let mut first_err: Option<Error> = None;
        let backpack = ctx.resource.prefix() == LitResourcePrefix::Backpack;
        'objects: for object in caveats {
            let mut limits = Limits::default();
            for (k, v) in object {
                let failure = match k.as_str() {
                    "delegate_to" => match address_listed(v, ctx.holder) {
                        Some(true) => None,
                        Some(false) => Some(Error::NotADelegate {
                            delegator: ctx.granted_by.to_checksum(None),
                            owner: ctx.holder.to_checksum(None),
                        }),
                        None => Some(Error::CaveatNotSatisfied(
                            "`delegate_to` is not a list".into(),
                        )),
                    },
                    "uses" => match uses_limit(v) {
                        Some(n) => {
                            limits.uses = Some(n);
                            None
                        }
                        None => Some(Error::CaveatNotSatisfied(
                            "`uses` is not a decimal count".into(),
                        )),
                    },
                    // Traffic and object size: understood only where bytes move (the backpack);
                    // elsewhere they fall to the hook, and so are refused unless a service
                    // enforces them.
                    "max_bytes" if backpack => match uses_limit(v) {
                        Some(n) => {
                            limits.max_bytes = Some(n);
                            None
                        }
                        None => Some(Error::CaveatNotSatisfied(
                            "`max_bytes` is not a decimal count".into(),
                        )),
                    },
                    "max_object_bytes" if backpack => match uses_limit(v) {
                        Some(n) => {
                            limits.max_object_bytes = Some(n);
                            None
                        }
                        None => Some(Error::CaveatNotSatisfied(
                            "`max_object_bytes` is not a decimal count".into(),
                        )),
                    },
                    "nft_id" => match nft_allowed(v, ctx.resource) {
                        Some(true) => None,
                        Some(false) => Some(Error::CaveatNotSatisfied(format!(
                            "{} is not among the delegated nft_id",
                            ctx.resource.key()
                        ))),
                        None => Some(Error::CaveatNotSatisfied("`nft_id` is not a list".into())),
                    },
                    other => match self.hook.check(other, v, ctx) {
                        CaveatDecision::Satisfied => None,
                        CaveatDecision::Violated(why) => {
                            Some(Error::CaveatNotSatisfied(format!("`{other}`: {why}")))
                        }
                        CaveatDecision::Unknown => Some(Error::CaveatNotSatisfied(format!(
                            "`{other}` is not understood here, so it cannot be enforced"
                        ))),
                    },
                };
                if let Some(e) = failure {
                    first_err.get_or_insert(e);
                    continue 'objects;
                }
            }
            return Ok(limits);
        }
        Err(first_err.unwrap_or_else(|| {
            Error::CapabilityNotGranted("the grant's caveat list is empty".into())
        }))
    }

    /// Every carried delegation must be usable within this chain: addressed to the session's
    /// owner or to the delegator of another carried delegation (a link further down). Each
    /// with a `uses` caveat is charged one use per verified request (as Lit counts capacity
    /// delegations). A delegation the owner signed itself grants the owner nothing new (it
    /// already holds what it delegates), so it is neither required to name the owner nor
    /// charged.
    pub(crate) fn carried_charges(&self) -> Result<Charges> {
        let mut charges = Charges::default();
        for d in self.delegations {
            if d.role != AuthSigRole::Delegation || d.address == self.owner {
                continue;
            }
            let Some(cap) = d.capability.as_ref() else {
                return Err(Error::RecapInvalid(format!(
                    "delegation from {} carries no ReCap",
                    d.address.to_checksum(None)
                )));
            };
            let cx = super::carried::CarriedContext {
                owner: self.owner,
                delegator: d.address,
                max_price: self.max_price,
                abilities: &self.abilities,
                operation: self.context,
                hook: self.hook,
            };
            let mut usable = None;
            let mut first_err = None;
            'entries: for (resource_key, abilities) in cap.att() {
                for (ability_key, caveats) in abilities {
                    for object in caveats {
                        let listed = object.get("delegate_to").map_or(Some(true), |v| {
                            let mut holders = std::iter::once(self.owner).chain(
                                self.delegations
                                    .iter()
                                    .filter(|o| {
                                        o.role == AuthSigRole::Delegation && o.address != d.address
                                    })
                                    .map(|o| o.address),
                            );
                            // `None` when `delegate_to` is not a list at all.
                            address_listed(v, self.owner)
                                .map(|_| holders.any(|h| address_listed(v, h) == Some(true)))
                        });
                        match listed {
                            // Every other key of the object must hold too (any object may).
                            Some(true) => match super::carried::check_object(
                                object,
                                resource_key,
                                ability_key,
                                &cx,
                            ) {
                                Ok(uses) => {
                                    usable = Some(uses);
                                    break 'entries;
                                }
                                Err(e) => {
                                    if first_err
                                        .as_ref()
                                        .is_none_or(|f| matches!(f, Error::NotADelegate { .. }))
                                    {
                                        first_err = Some(e);
                                    }
                                }
                            },
                            Some(false) => {
                                first_err.get_or_insert(Error::NotADelegate {
                                    delegator: d.address.to_checksum(None),
                                    owner: self.owner.to_checksum(None),
                                });
                            }
                            None => {
                                first_err.get_or_insert(Error::CaveatNotSatisfied(
                                    "`delegate_to` is not a list".into(),
                                ));
                            }
                        }
                    }
                }
            }
            match usable {
                None => {
                    return Err(first_err.unwrap_or_else(|| {
                        Error::CapabilityNotGranted(format!(
                            "delegation from {} grants nothing usable",
                            d.address.to_checksum(None)
                        ))
                    }))
                }
                Some(Some(limit)) => charges.add_uses(format!("delegation:{}", d.hash), limit),
                Some(None) => {}
            }
        }
        Ok(charges)
    }

    /// The grant for `r`: the session AuthSig must grant it; then its root is traced. With
    /// `want_root`, the chain must end at that wallet (or it must be the owner itself).
    pub(crate) fn grant(
        &self,
        r: &ResourceAbilityRequest,
        want_root: Option<Address>,
        charges: &mut Charges,
    ) -> Result<Grant> {
        let Some(found) = find(self.session.capability.as_ref(), r) else {
            return Err(Error::CapabilityNotGranted(format!(
                "{} on {}",
                r.ability.as_str(),
                r.resource.key()
            )));
        };
        let limits = self.eval(found.caveats, &self.ctx(r, self.owner, self.owner))?;
        charges.add_limits(&format!("auth-sig:{}", self.session.hash), &limits);
        let mut chain = Vec::new();
        if want_root != Some(self.owner) {
            let mut visited = Vec::new();
            let link = Link {
                holder: self.owner,
                key: found.key,
                ability_key: found.ability_key,
                expires: self.session.expires_at(),
            };
            match self.trace(r, &link, want_root, 1, &mut visited, charges)? {
                Some(c) => chain = c,
                None => {
                    if let Some(root) = want_root {
                        return Err(Error::CapabilityNotGranted(format!(
                            "no delegation from {} grants {} on {}",
                            root.to_checksum(None),
                            r.ability.as_str(),
                            r.resource.key()
                        )));
                    }
                }
            }
        }
        let root = chain
            .last()
            .map_or(self.owner, |d: &&Arc<VerifiedAuthSig>| d.address);
        Ok(Grant {
            resource: r.resource.clone(),
            ability: r.ability,
            granted_resource: found.key.to_owned(),
            granted_ability: found.ability_key.to_owned(),
            caveats: found.caveats.to_vec(),
            granted_by: root,
            source: match chain.first() {
                Some(d) => GrantSource::Delegation { hash: d.hash },
                None => GrantSource::SessionAuthSig {
                    hash: self.session.hash,
                },
            },
            chain: chain.iter().map(|d| d.hash).collect(),
        })
    }

    /// Find delegations granting `r` to `child.holder`, deepest root first. `Ok(None)` when no
    /// carried delegation grants it at all; an error when some do but none is valid.
    fn trace<'s>(
        &'s self,
        r: &ResourceAbilityRequest,
        child: &Link<'_>,
        want_root: Option<Address>,
        depth: usize,
        visited: &mut Vec<usize>,
        charges: &mut Charges,
    ) -> Result<Option<Vec<&'s Arc<VerifiedAuthSig>>>> {
        let mut first_err: Option<Error> = None;
        for (i, d) in self.delegations.iter().enumerate() {
            if d.role != AuthSigRole::Delegation
                || visited.contains(&i)
                || d.address == child.holder
            {
                continue;
            }
            let Some(found) = find(d.capability.as_ref(), r) else {
                continue;
            };
            if depth > self.max_chain {
                return Err(Error::ChainTooLong(self.max_chain));
            }
            let attempt = (|| -> Result<Option<Vec<&'s Arc<VerifiedAuthSig>>>> {
                // The child link must be within this parent: resource, ability, time window.
                if !within(d.capability.as_ref(), child.key, child.ability_key) {
                    return Err(Error::AttenuationViolated(format!(
                        "{} {} is wider than what {} delegated",
                        child.key,
                        child.ability_key,
                        d.address.to_checksum(None)
                    )));
                }
                if let Some(parent_exp) = d.expires_at() {
                    if child.expires.is_none_or(|c| c > parent_exp) {
                        return Err(Error::AttenuationViolated(format!(
                            "a grant from {} outlives the delegation it rests on",
                            child.holder.to_checksum(None)
                        )));
                    }
                }
                let limits = self.eval(found.caveats, &self.ctx(r, child.holder, d.address))?;
                charges.add_limits(&format!("delegation:{}", d.hash), &limits);
                if want_root == Some(d.address) {
                    return Ok(Some(vec![d]));
                }
                visited.push(i);
                let link = Link {
                    holder: d.address,
                    key: found.key,
                    ability_key: found.ability_key,
                    expires: d.expires_at(),
                };
                let deeper = self.trace(r, &link, want_root, depth + 1, visited, charges);
                visited.pop();
                match deeper? {
                    Some(mut rest) => {
                        rest.insert(0, d);
                        Ok(Some(rest))
                    }
                    None if want_root.is_none() => Ok(Some(vec![d])),
                    None => Ok(None),
                }
            })();
            match attempt {
                Ok(Some(chain)) => return Ok(Some(chain)),
                Ok(None) => {}
                Err(e @ Error::ChainTooLong(_)) => return Err(e),
                // A link addressed to someone else says less than a link that was for this
                // holder and failed for a reason of its own.
                Err(e) => {
                    if first_err
                        .as_ref()
                        .is_none_or(|f| matches!(f, Error::NotADelegate { .. }))
                    {
                        first_err = Some(e);
                    }
                }
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(None),
        }
    }
}

/// The grant one level down the chain, which its parent must contain.
struct Link<'k> {
    holder: Address,
    key: &'k str,
    ability_key: &'k str,
    expires: Option<time::OffsetDateTime>,
}
