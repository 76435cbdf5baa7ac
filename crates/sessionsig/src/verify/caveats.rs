//! Caveats: the restrictions a grant carries (`[{...}]`), and the hook a service uses to
//! enforce its own (bytes of traffic, a folder, …).
//!
//! A caveat list grants when ANY one of its objects is satisfied; an object is satisfied when
//! EVERY key in it is. The core understands `delegate_to`, `uses` and `nft_id`; every other key
//! goes to the [`CaveatHook`]; a key nobody understands is not satisfied (a node must not
//! allow what it cannot enforce).

use crate::lit::{LitAbility, LitResource, LitResourcePrefix};
use alloy_primitives::Address;
use serde_json::Value;

/// What a caveat is checked against.
#[derive(Debug, Clone, Copy)]
pub struct CaveatContext<'a> {
    /// The session's owner (the wallet that signed the session AuthSig).
    pub owner: Address,
    /// The wallet holding the grant being checked (the delegate, for a delegation).
    pub holder: Address,
    /// The wallet that made the grant.
    pub granted_by: Address,
    /// The resource asked for.
    pub resource: &'a LitResource,
    /// The ability asked for.
    pub ability: LitAbility,
    /// Service-specific facts about the operation (e.g. `{"bytes": 1024, "path": "/a/b"}`).
    pub operation: Option<&'a Value>,
}

/// A service's verdict on one caveat key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaveatDecision {
    /// The caveat holds for this operation.
    Satisfied,
    /// The caveat is understood and does not hold.
    Violated(String),
    /// This hook does not know the key.
    Unknown,
}

/// A service-specific caveat checker.
pub trait CaveatHook: Send + Sync {
    /// Decide on `key: value` for this operation.
    fn check(&self, key: &str, value: &Value, ctx: &CaveatContext<'_>) -> CaveatDecision;
}

/// A hook that knows no key.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoCaveatHook;

impl CaveatHook for NoCaveatHook {
    fn check(&self, _: &str, _: &Value, _: &CaveatContext<'_>) -> CaveatDecision {
        CaveatDecision::Unknown
    }
}

/// An address in a `delegate_to` list matches `who`: case-insensitive, with or without `0x`.
pub(crate) fn address_listed(list: &Value, who: Address) -> Option<bool> {
    let items = list.as_array()?;
    if items.is_empty() {
        return Some(true);
    }
    let want = hex::encode(who.as_slice());
    Some(items.iter().any(|a| {
        a.as_str().is_some_and(|s| {
            let s = s
                .strip_prefix("0x")
                .or_else(|| s.strip_prefix("0X"))
                .unwrap_or(s);
            s.eq_ignore_ascii_case(&want)
        })
    }))
}

/// The `uses` limit of a caveat value: a decimal string (as Lit writes it) or a number.
pub(crate) fn uses_limit(v: &Value) -> Option<u64> {
    match v {
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// Does an `nft_id` list allow this request? Only capacity (rate limit) resources carry one.
pub(crate) fn nft_allowed(list: &Value, resource: &LitResource) -> Option<bool> {
    let items = list.as_array()?;
    if resource.prefix() != LitResourcePrefix::RateLimitIncrease {
        return Some(true);
    }
    Some(items.is_empty() || items.iter().any(|i| i.as_str() == Some(resource.id())))
}
