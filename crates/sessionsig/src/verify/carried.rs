//! Caveats of a carried delegation that grants no operation of the session itself (a Lit
//! capacity delegation, `lit-ratelimitincrease://…`, or a v8 payment delegation,
//! `lit-paymentdelegation://*`): the node honours it by counting it or charging against it,
//! so every caveat key in it must be understood here, exactly as for any other grant
//! ([`super::caveats`]): a key nobody understands refuses (a misspelt `Uses` must not mean
//! "unlimited"), an `nft_id` that does not name the delegated token refuses.
//!
//! Payment delegations (made by the Lit v8 SDK's `createPaymentDelegationAuthSig`) carry
//! `max_price` (hex wei, no `0x`) and `scopes` (a subset of `encryption_sign`, `lit_action`,
//! `pkp_sign`, `sign_session_key`: which node endpoints the delegator pays for). A SessionSig
//! using one must say its `maxPrice` and not exceed `max_price`, and each operation it is
//! verified for must fall under a scope: PKP signing under `pkp_sign`, Lit Action execution
//! under `lit_action`, access-control decryption and signing under `encryption_sign`
//! (`sign_session_key` covers the network signing a PKP session key, no operation of a
//! sessionsig node).

use super::caveats::{uses_limit, CaveatContext, CaveatDecision, CaveatHook};
use crate::error::{Error, Result};
use crate::lit::{LitAbility, LitResource, LitResourcePrefix};
use alloy_primitives::Address;
use serde_json::{Map, Value};

/// The v8 payment delegation scopes, as the Lit SDK spells them.
pub const PAYMENT_DELEGATION_SCOPES: [&str; 4] = [
    "encryption_sign",
    "lit_action",
    "pkp_sign",
    "sign_session_key",
];

/// What the checks of one carried delegation's caveat object need to know.
pub(crate) struct CarriedContext<'a> {
    /// The session's owner (the delegatee).
    pub owner: Address,
    /// The delegator.
    pub delegator: Address,
    /// The SessionSig's `maxPrice` (v8), as written.
    pub max_price: Option<&'a str>,
    /// The abilities the session is verified for (its operations, or all it requests).
    pub abilities: &'a [LitAbility],
    /// Service facts for the hook.
    pub operation: Option<&'a Value>,
    /// The service's caveat hook.
    pub hook: &'a dyn CaveatHook,
}

/// The abilities a verification is for: the request's operations, or (for a request of no
/// particular operation) everything the SessionSig asks for.
pub(crate) fn abilities(
    request: &super::Request,
    requests: &[crate::lit::ResourceAbilityRequest],
) -> Vec<LitAbility> {
    if request.operations().is_empty() {
        requests.iter().map(|r| r.ability).collect()
    } else {
        request.operations().iter().map(|o| o.ability).collect()
    }
}

/// Check every key of one caveat object (besides `delegate_to`, which the caller matched)
/// of the grant `resource_key`/`ability_key`; `Ok` with the object's `uses` limit.
pub(crate) fn check_object(
    object: &Map<String, Value>,
    resource_key: &str,
    ability_key: &str,
    cx: &CarriedContext<'_>,
) -> Result<Option<u64>> {
    // Only the keys that depend on the resource need it to be a Lit one.
    let lit = LitResource::parse(resource_key).ok();
    let resource = || {
        lit.as_ref().ok_or_else(|| {
            Error::CaveatNotSatisfied(format!(
                "caveats on `{}` cannot be enforced here",
                super::truncate(resource_key)
            ))
        })
    };
    let payment = lit
        .as_ref()
        .is_some_and(|r| r.prefix() == LitResourcePrefix::PaymentDelegation);
    let backpack = lit
        .as_ref()
        .is_some_and(|r| r.prefix() == LitResourcePrefix::Backpack);
    let mut uses = None;
    for (k, v) in object {
        match k.as_str() {
            "delegate_to" => {}
            "uses" => {
                uses = Some(uses_limit(v).ok_or_else(|| {
                    Error::CaveatNotSatisfied("`uses` is not a decimal count".into())
                })?)
            }
            "nft_id" => nft_names_token(v, resource()?)?,
            "max_price" if payment => price_within(v, cx.max_price)?,
            "scopes" if payment => scopes_cover(v, cx.abilities)?,
            // Traffic and object size: charged and checked where the grant is traced
            // (`chain::Resolver::eval`); here only their form.
            "max_bytes" | "max_object_bytes" if backpack => {
                uses_limit(v).ok_or_else(|| {
                    Error::CaveatNotSatisfied(format!("`{k}` is not a decimal count"))
                })?;
            }
            other => {
                let resource = resource()?;
                let prefix = resource.prefix();
                let ability = LitAbility::from_recap(prefix, ability_key).ok_or_else(|| {
                    Error::CaveatNotSatisfied(format!(
                        "`{other}` is not understood here, so it cannot be enforced"
                    ))
                })?;
                let ctx = CaveatContext {
                    owner: cx.owner,
                    holder: cx.owner,
                    granted_by: cx.delegator,
                    resource,
                    ability,
                    operation: cx.operation,
                };
                match cx.hook.check(other, v, &ctx) {
                    CaveatDecision::Satisfied => {}
                    CaveatDecision::Violated(why) => {
                        return Err(Error::CaveatNotSatisfied(format!("`{other}`: {why}")))
                    }
                    CaveatDecision::Unknown => {
                        return Err(Error::CaveatNotSatisfied(format!(
                            "`{other}` is not understood here, so it cannot be enforced"
                        )))
                    }
                }
            }
        }
    }
    Ok(uses)
}

/// An `nft_id` list on a capacity grant names the delegated token (any listed token for the
/// wildcard grant; an empty list restricts nothing, as the Lit SDK writes it without a token).
fn nft_names_token(v: &Value, resource: &LitResource) -> Result<()> {
    let Some(items) = v.as_array() else {
        return Err(Error::CaveatNotSatisfied("`nft_id` is not a list".into()));
    };
    if resource.prefix() != LitResourcePrefix::RateLimitIncrease {
        return Err(Error::CaveatNotSatisfied(format!(
            "`nft_id` on {} cannot be enforced",
            resource.key()
        )));
    }
    let ids: Vec<String> = items
        .iter()
        .map(|i| match i {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => n.as_u64().map(|n| n.to_string()),
            _ => None,
        })
        .collect::<Option<_>>()
        .ok_or_else(|| Error::CaveatNotSatisfied("`nft_id` holds a non-id".into()))?;
    if ids.is_empty() || resource.is_wildcard() || ids.iter().any(|i| i == resource.id()) {
        Ok(())
    } else {
        Err(Error::CaveatNotSatisfied(format!(
            "the delegated token {} is not among its nft_id",
            resource.key()
        )))
    }
}

/// A hex quantity (`0x` optional) without leading zeros, lower case; `None` if not hex.
fn hex_quantity(s: &str) -> Option<String> {
    let h = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if h.is_empty() || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let t = h.trim_start_matches('0').to_ascii_lowercase();
    Some(if t.is_empty() { "0".into() } else { t })
}

/// The SessionSig's `maxPrice` is at most the delegation's `max_price` (both hex wei; any
/// size, compared without overflow).
fn price_within(v: &Value, session: Option<&str>) -> Result<()> {
    let cap = v
        .as_str()
        .and_then(hex_quantity)
        .ok_or_else(|| Error::CaveatNotSatisfied("`max_price` is not a hex quantity".into()))?;
    let Some(asked) = session else {
        return Err(Error::CaveatNotSatisfied(
            "a payment delegation needs the SessionSig's maxPrice".into(),
        ));
    };
    let asked = hex_quantity(asked).ok_or_else(|| {
        Error::CaveatNotSatisfied("the SessionSig's maxPrice is not a hex quantity".into())
    })?;
    if (asked.len(), asked.as_str()) > (cap.len(), cap.as_str()) {
        return Err(Error::CaveatNotSatisfied(format!(
            "maxPrice 0x{asked} exceeds the delegation's max_price 0x{cap}"
        )));
    }
    Ok(())
}

/// The payment scope an ability's node operation falls under, if it is paid for.
fn scope_of(a: LitAbility) -> Option<&'static str> {
    match a {
        LitAbility::PkpSigning => Some("pkp_sign"),
        LitAbility::LitActionExecution => Some("lit_action"),
        LitAbility::AccessControlConditionDecryption
        | LitAbility::AccessControlConditionSigning => Some("encryption_sign"),
        LitAbility::RateLimitIncreaseAuth | LitAbility::PaymentDelegation => None,
        // The backpack is not a Lit network operation: no Lit payment scope covers it.
        LitAbility::BackpackRead
        | LitAbility::BackpackList
        | LitAbility::BackpackWrite
        | LitAbility::BackpackDelete
        | LitAbility::BackpackAll => None,
    }
}

/// Every paid operation is within `scopes`; unknown scope names refuse.
fn scopes_cover(v: &Value, abilities: &[LitAbility]) -> Result<()> {
    let scopes: Vec<&str> = v
        .as_array()
        .and_then(|a| a.iter().map(Value::as_str).collect::<Option<_>>())
        .ok_or_else(|| Error::CaveatNotSatisfied("`scopes` is not a list of names".into()))?;
    if let Some(bad) = scopes
        .iter()
        .find(|s| !PAYMENT_DELEGATION_SCOPES.contains(s))
    {
        return Err(Error::CaveatNotSatisfied(format!(
            "payment scope `{}` is not understood here",
            super::truncate(bad)
        )));
    }
    for a in abilities {
        if let Some(scope) = scope_of(*a) {
            if !scopes.contains(&scope) {
                return Err(Error::CaveatNotSatisfied(format!(
                    "{} is outside the payment delegation's scopes (needs `{scope}`)",
                    a.as_str()
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prices_compare_as_numbers_of_any_size() {
        let cap = json!("ff");
        assert!(price_within(&cap, Some("0xff")).is_ok());
        assert!(price_within(&cap, Some("0x00fe")).is_ok());
        assert!(price_within(&cap, Some("0x100")).is_err());
        assert!(price_within(&cap, None).is_err());
        assert!(price_within(&json!("zz"), Some("0x1")).is_err());
        let big = json!("1".repeat(70));
        assert!(price_within(&big, Some(&format!("0x{}", "f".repeat(69)))).is_ok());
        assert!(price_within(&big, Some(&format!("0x{}", "1".repeat(71)))).is_err());
    }

    #[test]
    fn scopes_map_operations() {
        let s = json!(["pkp_sign"]);
        assert!(scopes_cover(&s, &[LitAbility::PkpSigning]).is_ok());
        assert!(scopes_cover(&s, &[LitAbility::LitActionExecution]).is_err());
        assert!(scopes_cover(&s, &[LitAbility::AccessControlConditionDecryption]).is_err());
        assert!(scopes_cover(
            &json!(["encryption_sign"]),
            &[LitAbility::AccessControlConditionSigning]
        )
        .is_ok());
        assert!(scopes_cover(&json!(["pkp_sign", "teleport"]), &[]).is_err());
        assert!(scopes_cover(&json!("pkp_sign"), &[]).is_err());
    }
}
