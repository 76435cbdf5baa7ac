//! What `sessionsig backpack login` remembers between commands: the wallet that signed in,
//! the nodes, the shares received (delegations the session carries) and the shares given
//! (to list and revoke them). Kept as one JSON value in the session store, written
//! atomically and owner-only like the session key beside it.

use crate::cmd_backpack::{usage, BpResult, Common, Fail};
use serde::{Deserialize, Serialize};
use sessionsig_client::alloy_primitives::Address;
use sessionsig_client::backpack::Share;
use sessionsig_client::storage::default_store_dir;
use sessionsig_client::{FileStore, KeyLayout, Storage};
use std::sync::Arc;

/// A share this wallet gave.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Given {
    /// Its revocation id (`auth-sig:0x…`).
    pub id: String,
    /// The shared folder.
    pub folder: String,
    /// The recipient.
    pub with: String,
    /// The abilities shared.
    pub abilities: Vec<String>,
    /// Traffic cap, bytes.
    pub max_bytes: Option<u64>,
    /// When it ends (RFC 3339).
    pub expires: Option<String>,
    /// Whether it was revoked from here.
    #[serde(default)]
    pub revoked: bool,
}

/// The remembered state.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// The wallet that signed in.
    #[serde(with = "address_text")]
    pub wallet: Address,
    /// The nodes, in order.
    pub nodes: Vec<String>,
    /// Shares received: their delegation JSON.
    #[serde(default)]
    pub received: Vec<String>,
    /// Shares given.
    #[serde(default)]
    pub given: Vec<Given>,
}

impl Profile {
    /// The received shares, parsed and checked again.
    pub fn received(&self) -> BpResult<Vec<Share>> {
        self.received
            .iter()
            .map(|j| Share::from_json(j).map_err(Fail::Backpack))
            .collect()
    }
}

/// The session store with its layout and the profile's key.
pub struct ProfileStore {
    store: Arc<FileStore>,
    layout: KeyLayout,
    key: String,
}

impl ProfileStore {
    /// Open the store of `common` (creating the directory owner-only).
    pub fn open(common: &Common) -> BpResult<Self> {
        let dir = match &common.store {
            Some(d) => d.clone(),
            None => default_store_dir()
                .map(|d| d.join("store"))
                .ok_or_else(|| usage("no home directory: give --store DIR"))?,
        };
        let layout = KeyLayout::app(&common.app)?;
        let store = FileStore::open(&dir)?;
        for warning in store.take_warnings() {
            eprintln!("warning: {warning}");
        }
        Ok(ProfileStore {
            store: Arc::new(store),
            key: format!("sessionsig-backpack-profile:{}", common.app),
            layout,
        })
    }

    /// The storage, for a session manager.
    pub fn storage(&self) -> Arc<FileStore> {
        self.store.clone()
    }

    /// The key layout.
    pub fn layout(&self) -> &KeyLayout {
        &self.layout
    }

    /// The profile, if someone signed in.
    pub fn load(&self) -> BpResult<Option<Profile>> {
        let Some(text) = self.store.get(&self.key)? else {
            return Ok(None);
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            usage(format!(
                "the stored backpack profile is unreadable ({e}); run `sessionsig backpack login` again"
            ))
        })
    }

    /// Store the profile.
    pub fn save(&self, p: &Profile) -> BpResult {
        let text = serde_json::to_string(p)
            .map_err(|e| usage(format!("cannot encode the profile: {e}")))?;
        self.store.set(&self.key, &text)?;
        Ok(())
    }
}

/// An address as its EIP-55 text.
mod address_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use sessionsig_client::alloy_primitives::Address;

    pub fn serialize<S: Serializer>(a: &Address, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&a.to_checksum(None))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Address, D::Error> {
        let t = String::deserialize(d)?;
        t.parse().map_err(serde::de::Error::custom)
    }
}
