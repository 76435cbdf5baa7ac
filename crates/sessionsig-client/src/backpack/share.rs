//! Sharing a folder: a delegation AuthSig the owner's wallet signs for another wallet, and
//! revocations.
//!
//! A share is exactly what the verifier reads: a SIWE message with the URI
//! `lit:capability:delegation` whose ReCap grants `backpack://<owner><folder>` with the shared
//! abilities, each under the caveat `{"delegate_to":["<recipient hex, no 0x>"],
//! "max_bytes":"<n>"}`. The recipient's session carries it before its own session AuthSig, and
//! that session AuthSig must itself grant the same folder to the session key. The share file a
//! person hands over is the delegation's JSON and nothing else: everything [`Share`] shows is
//! read back from the signed text, so a share cannot claim more than it grants.

use super::error::{BackpackError, BackpackResult};
use super::remote::Remote;
use crate::policy::ResignReason;
use crate::wallet::{SignRequest, WalletProvider};
use alloy_primitives::Address;
use sessionsig::auth_sig::{
    revocation_statement, AuthSig, RevocationTarget, SiweRecapParams, DELEGATION_URI,
    DERIVED_VIA_PERSONAL_SIGN, REVOCATION_URI_PREFIX,
};
use sessionsig::lit::LitAbility;
use sessionsig::recap::{Capability, Caveat};
use sessionsig::siwe::SiweMessage;
use sessionsig::time::{OffsetDateTime, Timestamp};
use std::str::FromStr;

/// What the owner decides when sharing.
#[derive(Debug, Clone)]
pub struct ShareSpec {
    /// The shared folder (of the signing wallet's backpack).
    pub folder: Remote,
    /// Who may use it.
    pub with: Address,
    /// What they may do (`backpack/read`, `backpack/list`, …).
    pub abilities: Vec<LitAbility>,
    /// Traffic cap through the share, bytes read plus written.
    pub max_bytes: Option<u64>,
    /// When the share ends.
    pub expires: OffsetDateTime,
    /// SIWE domain (default `localhost`).
    pub domain: String,
    /// The SIWE nonce: a fresh nonce of the network
    /// ([`SessionManager::nonce_for_signing`](crate::SessionManager::nonce_for_signing)),
    /// which a network with `network_nonce_for_delegations` requires of every delegation;
    /// `None`: 32 random hex characters, which any other network accepts.
    pub nonce: Option<String>,
}

/// A share as signed: the delegation and what it grants, read back from it.
#[derive(Debug, Clone)]
pub struct Share {
    /// The delegation AuthSig (the share file's content).
    pub delegation: AuthSig,
    /// The shared folder (its owner is the signer).
    pub folder: Remote,
    /// Who may use it.
    pub with: Address,
    /// The shared abilities.
    pub abilities: Vec<LitAbility>,
    /// The traffic cap, if any.
    pub max_bytes: Option<u64>,
    /// When it ends.
    pub expires: Option<OffsetDateTime>,
}

impl Share {
    /// The id to revoke it by: `auth-sig:0x<keccak256 of its message>`.
    pub fn id(&self) -> String {
        RevocationTarget::AuthSig(self.delegation.hash()).id()
    }

    /// The revocation target of this share.
    pub fn target(&self) -> RevocationTarget {
        RevocationTarget::AuthSig(self.delegation.hash())
    }

    /// Read a share back from its delegation: the signature must verify, the URI be a
    /// delegation, and the ReCap grant exactly one backpack folder to exactly one wallet.
    ///
    /// Errors: `invalid_share` saying what is wrong.
    pub fn from_delegation(delegation: AuthSig) -> BackpackResult<Self> {
        let bad = |m: String| BackpackError::invalid("invalid_share", m);
        let checked = crate::policy::CheckedAuthSig::check(delegation.clone())
            .map_err(|e| bad(format!("the share's signature does not check: {e}")))?;
        if checked.siwe.uri != DELEGATION_URI {
            return Err(bad(
                "this is not a delegation (its URI is not lit:capability:delegation)".into(),
            ));
        }
        let cap = checked
            .capability
            .as_ref()
            .ok_or_else(|| bad("the delegation grants nothing".into()))?;
        let mut found: Option<(Remote, Vec<LitAbility>, Address, Option<u64>)> = None;
        for (key, abilities) in cap.att() {
            let Some(id) = key.strip_prefix("backpack://") else {
                return Err(bad(format!("{key} is not a backpack resource")));
            };
            let id = sessionsig::lit::BackpackId::parse(id)?;
            if id.owner != checked.address() {
                return Err(bad("the folder is not the signer's".into()));
            }
            let folder = Remote::new(id.owner, id.path.as_str())?;
            if found.as_ref().is_some_and(|f| f.0 != folder) {
                return Err(bad("the delegation names more than one folder".into()));
            }
            let mut list = Vec::new();
            let mut with = None;
            let mut max_bytes = None;
            for (ability, caveats) in abilities {
                list.push(
                    LitAbility::from_str(ability)
                        .map_err(|_| bad(format!("{ability} is not a backpack ability")))?,
                );
                for c in caveats {
                    if let Some(to) = c.get("delegate_to").and_then(|v| v.as_array()) {
                        for t in to {
                            let s = t.as_str().unwrap_or("");
                            let a: Address = format!("0x{}", s.trim_start_matches("0x"))
                                .parse()
                                .map_err(|_| bad(format!("delegate_to {s:?} is not an address")))?;
                            with = Some(a);
                        }
                    }
                    if let Some(m) = c.get("max_bytes") {
                        max_bytes = m
                            .as_str()
                            .and_then(|s| s.parse().ok())
                            .or_else(|| m.as_u64());
                    }
                }
            }
            let with =
                with.ok_or_else(|| bad("the delegation names no recipient (delegate_to)".into()))?;
            found = Some((folder, list, with, max_bytes));
        }
        let (folder, abilities, with, max_bytes) =
            found.ok_or_else(|| bad("the delegation grants no backpack folder".into()))?;
        Ok(Share {
            expires: checked.expires_at(),
            delegation,
            folder,
            with,
            abilities,
            max_bytes,
        })
    }

    /// Parse a share file (the delegation JSON).
    ///
    /// Errors: `invalid_share`.
    pub fn from_json(text: &str) -> BackpackResult<Self> {
        let d = AuthSig::from_json(text.trim()).map_err(|e| {
            BackpackError::invalid("invalid_share", format!("not a share file: {e}"))
        })?;
        Self::from_delegation(d)
    }
}

/// Ask `wallet` to sign the share `spec` (one wallet prompt) and read it back.
///
/// Errors: `invalid_share` (a folder not of this wallet, no ability, not a folder), the
/// wallet's errors.
pub async fn create_share(
    wallet: &dyn WalletProvider,
    spec: &ShareSpec,
    now: OffsetDateTime,
) -> BackpackResult<Share> {
    let owner = wallet.address();
    if spec.folder.owner() != owner {
        return Err(BackpackError::invalid(
            "invalid_share",
            "only the owner's wallet can share a folder of their backpack",
        ));
    }
    if !spec.folder.is_folder() {
        return Err(BackpackError::invalid(
            "invalid_share",
            format!(
                "{} is not a folder (a folder path ends with /)",
                spec.folder.path()
            ),
        ));
    }
    if spec.abilities.is_empty() {
        return Err(BackpackError::invalid(
            "invalid_share",
            "a share grants at least one ability",
        ));
    }
    let mut caveat = Caveat::new();
    caveat.insert(
        "delegate_to".into(),
        serde_json::json!([hex::encode(spec.with.as_slice())]),
    );
    if let Some(m) = spec.max_bytes {
        caveat.insert("max_bytes".into(), serde_json::json!(m.to_string()));
    }
    let mut cap = Capability::new();
    let resource = spec.folder.resource()?;
    for a in &spec.abilities {
        cap.add_lit_grant(&resource, *a, caveat.clone())?;
    }
    let msg = SiweRecapParams {
        domain: spec.domain.clone(),
        uri: DELEGATION_URI.into(),
        statement: None,
        nonce: spec.nonce.clone().unwrap_or_else(random_nonce),
        chain_id: 1,
        issued_at: Timestamp::from_instant(now),
        expiration: Some(Timestamp::from_instant(spec.expires)),
        not_before: None,
        capability: cap,
    }
    .to_siwe(owner)?;
    let what = format!(
        "a share of {} with {}",
        spec.folder.path(),
        spec.with.to_checksum(None)
    );
    let delegation = sign(wallet, &msg, what).await?;
    Share::from_delegation(delegation)
}

/// Ask `wallet` to sign a revocation of `target` (one wallet prompt), for
/// `POST /v1/revocations`. `nonce` as for [`ShareSpec::nonce`]: a network that wants its own
/// nonce on delegations wants it on revocations too.
///
/// Errors: the wallet's errors.
pub async fn sign_revocation(
    wallet: &dyn WalletProvider,
    target: &RevocationTarget,
    now: OffsetDateTime,
    nonce: Option<&str>,
) -> BackpackResult<AuthSig> {
    let msg = SiweMessage {
        scheme: None,
        domain: "localhost".into(),
        address: wallet.address(),
        statement: Some(revocation_statement(target)),
        uri: format!("{REVOCATION_URI_PREFIX}{}", target.id()),
        version: "1".into(),
        chain_id: 1,
        nonce: nonce.map_or_else(random_nonce, str::to_owned),
        issued_at: Timestamp::from_instant(now),
        expiration_time: None,
        not_before: None,
        request_id: None,
        resources: None,
    };
    sign(wallet, &msg, format!("a revocation of {}", target.id())).await
}

async fn sign(
    wallet: &dyn WalletProvider,
    msg: &SiweMessage,
    what: String,
) -> BackpackResult<AuthSig> {
    msg.validate()?;
    let request = SignRequest {
        address: msg.address,
        message: msg.to_message(),
        reason: ResignReason::Grant { what },
    };
    let sig = wallet.sign_siwe(&request).await?;
    let auth = AuthSig {
        sig: crate::manager::normalize_signature(&sig)?,
        derived_via: DERIVED_VIA_PERSONAL_SIGN.to_owned(),
        signed_message: request.message,
        address: msg.address.to_checksum(None),
        algo: None,
    };
    crate::policy::CheckedAuthSig::check(auth.clone()).map_err(|e| {
        BackpackError::Client(crate::ClientError::WalletBadSignature(e.to_string()))
    })?;
    Ok(auth)
}

fn random_nonce() -> String {
    let mut b = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
    hex::encode(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sessionsig::time::Duration;
    use sessionsig::wallet::{LocalWallet, WalletSigner};

    #[test]
    fn a_share_reads_back_what_it_grants() {
        let alice = LocalWallet::from_bytes(&[0xa1; 32]).unwrap();
        let bob = LocalWallet::from_bytes(&[0xb0; 32]).unwrap();
        let now = OffsetDateTime::now_utc();
        let spec = ShareSpec {
            folder: Remote::new(WalletSigner::address(&alice), "/photos/").unwrap(),
            with: WalletSigner::address(&bob),
            abilities: vec![LitAbility::BackpackRead, LitAbility::BackpackList],
            max_bytes: Some(10_000_000),
            expires: now + Duration::days(7),
            domain: "localhost".into(),
            nonce: None,
        };
        let share = crate::block_on(create_share(&alice, &spec, now))
            .unwrap()
            .unwrap();
        assert_eq!(share.with, WalletSigner::address(&bob));
        assert_eq!(share.max_bytes, Some(10_000_000));
        assert_eq!(share.folder.path(), "/photos/");
        assert_eq!(share.abilities.len(), 2);
        let again = Share::from_json(&share.delegation.to_json()).unwrap();
        assert_eq!(again.id(), share.id());
        // Sharing someone else's folder, or an object, is refused before any prompt.
        let mut other = spec.clone();
        other.folder = Remote::new(WalletSigner::address(&bob), "/photos/").unwrap();
        let e = crate::block_on(create_share(&alice, &other, now))
            .unwrap()
            .unwrap_err();
        assert_eq!(e.code(), "invalid_share");
        let mut object = spec;
        object.folder = Remote::new(WalletSigner::address(&alice), "/photos/a.jpg").unwrap();
        assert!(crate::block_on(create_share(&alice, &object, now))
            .unwrap()
            .is_err());
        // A tampered share does not check.
        let mut t = share.delegation.clone();
        t.signed_message = t.signed_message.replace("localhost", "evil.example");
        assert_eq!(
            Share::from_delegation(t).unwrap_err().code(),
            "invalid_share"
        );
    }
}
