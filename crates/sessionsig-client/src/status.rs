//! What a store holds: session keys, AuthSigs, what they grant and until when.

use crate::error::Result;
use crate::policy::CheckedAuthSig;
use crate::storage::{KeyLayout, Storage, LIT_SESSION_KEY};
use alloy_primitives::Address;
use serde::Serialize;
use sessionsig::auth_sig::AuthSig;
use sessionsig::lit::{LitAbility, LitResource};
use sessionsig::recap::Caveat;
use sessionsig::session::SessionKeyPair;
use sessionsig::time::{to_iso_string, OffsetDateTime};
use std::collections::BTreeSet;

/// One stored session: a session key slot and an AuthSig slot.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionStatus {
    /// The wallet (EIP-55), from the slot name or the AuthSig.
    pub wallet: Option<String>,
    /// The storage key of the session key.
    pub session_key_storage_key: String,
    /// The stored session public key (64 hex), if one is stored and readable.
    pub session_public_key: Option<String>,
    /// The storage key of the AuthSig.
    pub wallet_sig_storage_key: String,
    /// The stored AuthSig, if any.
    pub auth_sig: Option<AuthSigStatus>,
}

/// A stored AuthSig, explained.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthSigStatus {
    /// Whether its signature, address and ReCap statement check out (time aside).
    pub valid: bool,
    /// The core error code when it does not.
    pub error: Option<String>,
    /// Its signer (EIP-55).
    pub address: Option<String>,
    /// The session key it delegates to.
    pub delegates_to: Option<String>,
    /// Whether that is the stored session key.
    pub matches_session_key: bool,
    /// SIWE `Issued At`.
    pub issued_at: Option<String>,
    /// SIWE `Expiration Time` (ISO form), if any.
    pub expiration: Option<String>,
    /// Whether it has expired.
    pub expired: bool,
    /// Seconds until it expires (negative once expired).
    pub seconds_left: Option<i64>,
    /// What it grants.
    pub grants: Vec<GrantStatus>,
}

/// One grant of a ReCap.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantStatus {
    /// The resource (`lit-pkp://*`).
    pub resource: String,
    /// The ReCap ability (`Threshold/Signing`, `*/*`).
    pub recap_ability: String,
    /// The Lit abilities it means on that resource (empty for non-Lit resources).
    pub lit_abilities: Vec<String>,
    /// Its caveats (`[{}]` = unrestricted).
    pub caveats: Vec<Caveat>,
}

/// The status of the slots of `address` (for [`KeyLayout::Lit`], of the one global slot; the
/// address is then only used to name the wallet when nothing is stored).
pub fn status_for(
    storage: &dyn Storage,
    layout: &KeyLayout,
    address: Option<Address>,
    now: OffsetDateTime,
) -> Result<SessionStatus> {
    let a = address.unwrap_or(Address::ZERO);
    let session_key_storage_key = layout.session_key(a);
    let wallet_sig_storage_key = layout.wallet_sig(a);
    let session_public_key = storage
        .get(&session_key_storage_key)?
        .and_then(|v| SessionKeyPair::from_json(&v).ok())
        .map(|k| k.public_hex());
    let auth_sig = storage
        .get(&wallet_sig_storage_key)?
        .filter(|v| !v.trim().is_empty())
        .map(|v| explain(&v, session_public_key.as_deref(), now));
    let wallet = match (&auth_sig, address) {
        (_, Some(a)) if matches!(layout, KeyLayout::App(_)) => Some(a.to_checksum(None)),
        (Some(s), _) if s.address.is_some() => s.address.clone(),
        (_, a) => a.map(|a| a.to_checksum(None)),
    };
    Ok(SessionStatus {
        wallet,
        session_key_storage_key,
        session_public_key,
        wallet_sig_storage_key,
        auth_sig,
    })
}

/// Every session stored under `layout`.
pub fn inspect(
    storage: &dyn Storage,
    layout: &KeyLayout,
    now: OffsetDateTime,
) -> Result<Vec<SessionStatus>> {
    match layout {
        KeyLayout::Lit => {
            let keys = storage.keys()?;
            if keys
                .iter()
                .any(|k| k == LIT_SESSION_KEY || layout.parse_wallet_sig_key(k).is_some())
            {
                Ok(vec![status_for(storage, layout, None, now)?])
            } else {
                Ok(Vec::new())
            }
        }
        KeyLayout::App(_) => stored_wallets(storage, layout)?
            .into_iter()
            .map(|a| status_for(storage, layout, Some(a), now))
            .collect(),
    }
}

/// The wallets with something stored under `layout`: for [`KeyLayout::App`], every address
/// with a session key or an AuthSig slot; for [`KeyLayout::Lit`], the signer of the stored
/// AuthSig, if readable.
pub fn stored_wallets(storage: &dyn Storage, layout: &KeyLayout) -> Result<Vec<Address>> {
    let mut out = BTreeSet::new();
    match layout {
        KeyLayout::Lit => {
            if let Some(v) = storage.get(&layout.wallet_sig(Address::ZERO))? {
                if let Ok(a) = AuthSig::from_json(&v).and_then(|a| a.parse_siwe()) {
                    out.insert(a.0.address);
                }
            }
        }
        KeyLayout::App(app) => {
            let session_prefix = format!("{LIT_SESSION_KEY}:{app}:");
            for k in storage.keys()? {
                if let Some(Some(a)) = layout.parse_wallet_sig_key(&k) {
                    out.insert(a);
                } else if let Some(a) = k
                    .strip_prefix(&session_prefix)
                    .and_then(|a| a.parse::<Address>().ok())
                {
                    out.insert(a);
                }
            }
        }
    }
    Ok(out.into_iter().collect())
}

/// Remove every AuthSig stored under `layout` (and every session key too when
/// `forget_session_keys`). Returns how many entries were removed.
pub fn clear_all(
    storage: &dyn Storage,
    layout: &KeyLayout,
    forget_session_keys: bool,
) -> Result<usize> {
    let mut removed = 0;
    let wallets = match layout {
        KeyLayout::Lit => vec![Address::ZERO],
        KeyLayout::App(_) => stored_wallets(storage, layout)?,
    };
    for a in wallets {
        let mut names = vec![layout.wallet_sig(a)];
        if forget_session_keys {
            names.push(layout.session_key(a));
        }
        for n in names {
            if storage.get(&n)?.is_some() {
                storage.remove(&n)?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

fn explain(value: &str, session_key: Option<&str>, now: OffsetDateTime) -> AuthSigStatus {
    let parsed = AuthSig::from_json(value);
    let raw_siwe = parsed.as_ref().ok().and_then(|a| a.parse_siwe().ok());
    let checked = parsed.and_then(CheckedAuthSig::check);
    let (valid, error) = match &checked {
        Ok(_) => (true, None),
        Err(e) => (false, Some(e.code().to_owned())),
    };
    let Some((siwe, role)) = raw_siwe else {
        return AuthSigStatus {
            valid,
            error,
            address: None,
            delegates_to: None,
            matches_session_key: false,
            issued_at: None,
            expiration: None,
            expired: false,
            seconds_left: None,
            grants: Vec::new(),
        };
    };
    let delegates_to = match role {
        sessionsig::auth_sig::AuthSigRole::Session(k) => Some(k),
        _ => None,
    };
    let exp = siwe.expiration_time.as_ref().map(|t| t.instant());
    let grants = checked
        .as_ref()
        .ok()
        .and_then(|c| c.capability.as_ref())
        .map(|cap| {
            cap.att()
                .iter()
                .flat_map(|(resource, abilities)| {
                    abilities.iter().map(move |(ability, caveats)| GrantStatus {
                        resource: resource.clone(),
                        recap_ability: ability.clone(),
                        lit_abilities: lit_abilities(resource, ability),
                        caveats: caveats.clone(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    AuthSigStatus {
        valid,
        error,
        address: Some(siwe.address.to_checksum(None)),
        matches_session_key: delegates_to.is_some() && delegates_to.as_deref() == session_key,
        delegates_to,
        issued_at: Some(siwe.issued_at.as_str().to_owned()),
        expiration: exp.map(to_iso_string),
        expired: exp.is_some_and(|e| now >= e),
        seconds_left: exp.map(|e| (e - now).whole_seconds()),
        grants,
    }
}

fn lit_abilities(resource: &str, recap_ability: &str) -> Vec<String> {
    let Ok(r) = LitResource::parse(resource) else {
        return Vec::new();
    };
    if recap_ability == "*/*" {
        return r
            .prefix()
            .abilities()
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect();
    }
    LitAbility::from_recap(r.prefix(), recap_ability)
        .map(|a| vec![a.as_str().to_owned()])
        .unwrap_or_default()
}
