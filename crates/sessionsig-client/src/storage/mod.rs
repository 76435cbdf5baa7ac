//! Where session keys and AuthSigs live between requests and between process runs.
//!
//! [`Storage`] is the `localStorage` interface the Lit SDK uses (string keys, string values);
//! [`MemoryStore`] keeps them in the process, [`FileStore`] in a directory, one file per key,
//! the way `node-localstorage` does, but written atomically and owner-only.
//!
//! [`KeyLayout`] decides the key names:
//!
//! | layout | session key | AuthSig |
//! |---|---|---|
//! | [`KeyLayout::Lit`] | `lit-session-key` | `lit-wallet-sig` |
//! | [`KeyLayout::App`]`("myapp")` | `lit-session-key:myapp:0x<address>` | `lit-wallet-sig:myapp:0x<address>` |
//!
//! `Lit` is exactly what the Lit JS SDK 7.x reads and writes (`LOCAL_STORAGE_KEYS.SESSION_KEY`
//! and `.WALLET_SIGNATURE`), so a directory can be shared with a Lit SDK process using
//! `node-localstorage`: one application, one wallet at a time (a switched account re-signs and
//! replaces the AuthSig). `App` gives every (application, wallet) pair its own session key and
//! AuthSig, so several wallets and applications share one directory without disturbing each
//! other; the address is written in lowercase hex (case-insensitive file systems).
//!
//! Values are the JSON strings the Lit SDK stores: the session key as
//! `{"publicKey":"<64 hex>","secretKey":"<128 hex>"}` (`JSON.stringify(generateSessionKeyPair())`)
//! and the AuthSig as `{"sig","derivedVia","signedMessage","address"}` (`JSON.stringify(authSig)`).

mod file;

pub use file::{default_store_dir, FileStore};

use crate::error::{ClientError, Result};
use alloy_primitives::Address;
use std::collections::BTreeMap;
use std::sync::Mutex;
use zeroize::Zeroizing;

/// The Lit SDK's storage key for the session key (`LOCAL_STORAGE_KEYS.SESSION_KEY`).
pub const LIT_SESSION_KEY: &str = "lit-session-key";
/// The Lit SDK's storage key for the wallet AuthSig (`LOCAL_STORAGE_KEYS.WALLET_SIGNATURE`).
pub const LIT_WALLET_SIG: &str = "lit-wallet-sig";

/// A key-value store of strings, like the browser's `localStorage`.
///
/// Implementations must be safe to share between threads. Calls are synchronous and short
/// (the session manager calls them only when it loads a session or re-signs, never on the
/// per-request path). Values may be secret (session keys): implementations must not log them.
pub trait Storage: Send + Sync {
    /// The value stored under `key`, if any.
    fn get(&self, key: &str) -> Result<Option<Zeroizing<String>>>;
    /// Store `value` under `key`, replacing any previous value. When this returns `Ok`, the
    /// value is durable (for stores that persist).
    fn set(&self, key: &str, value: &str) -> Result<()>;
    /// Remove `key`; removing a missing key is not an error.
    fn remove(&self, key: &str) -> Result<()>;
    /// Every key present, in no particular order.
    fn keys(&self) -> Result<Vec<String>>;
}

impl<T: Storage + ?Sized> Storage for std::sync::Arc<T> {
    fn get(&self, key: &str) -> Result<Option<Zeroizing<String>>> {
        (**self).get(key)
    }
    fn set(&self, key: &str, value: &str) -> Result<()> {
        (**self).set(key, value)
    }
    fn remove(&self, key: &str) -> Result<()> {
        (**self).remove(key)
    }
    fn keys(&self) -> Result<Vec<String>> {
        (**self).keys()
    }
}

/// The names under which a session is stored. See the [module documentation](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLayout {
    /// The Lit SDK's two global keys (`lit-session-key`, `lit-wallet-sig`).
    Lit,
    /// Keys of one application, one slot per wallet address.
    App(String),
}

impl KeyLayout {
    /// An application namespace. The name is 1 to 64 characters from `A-Z a-z 0-9 . _ -`.
    ///
    /// Errors: [`ClientError::InvalidStorageKey`] for any other name.
    pub fn app(name: &str) -> Result<Self> {
        let ok = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !ok {
            return Err(ClientError::InvalidStorageKey(format!(
                "application name {name:?}: use 1 to 64 characters from A-Z a-z 0-9 . _ -"
            )));
        }
        Ok(KeyLayout::App(name.to_owned()))
    }

    /// The key of `address`'s session key.
    pub fn session_key(&self, address: Address) -> String {
        match self {
            KeyLayout::Lit => LIT_SESSION_KEY.to_owned(),
            KeyLayout::App(app) => format!("{LIT_SESSION_KEY}:{app}:{}", lower(address)),
        }
    }

    /// The key of `address`'s AuthSig.
    pub fn wallet_sig(&self, address: Address) -> String {
        match self {
            KeyLayout::Lit => LIT_WALLET_SIG.to_owned(),
            KeyLayout::App(app) => format!("{LIT_WALLET_SIG}:{app}:{}", lower(address)),
        }
    }

    /// For a key of this layout naming an AuthSig slot, the wallet address it belongs to
    /// (`None` inside: the `Lit` layout's slot, whose owner is read from the AuthSig itself).
    pub fn parse_wallet_sig_key(&self, key: &str) -> Option<Option<Address>> {
        match self {
            KeyLayout::Lit => (key == LIT_WALLET_SIG).then_some(None),
            KeyLayout::App(app) => {
                let rest = key.strip_prefix(LIT_WALLET_SIG)?.strip_prefix(':')?;
                let addr = rest.strip_prefix(app.as_str())?.strip_prefix(':')?;
                addr.parse::<Address>().ok().map(Some)
            }
        }
    }
}

fn lower(address: Address) -> String {
    format!("0x{}", hex::encode(address.as_slice()))
}

/// A store kept in memory: for tests, browsers-like single processes, and sessions that must
/// not outlive the process. Values are wiped from memory when replaced, removed or dropped.
#[derive(Default)]
pub struct MemoryStore {
    map: Mutex<BTreeMap<String, Zeroizing<String>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Zeroizing<String>>> {
        // A panic while holding the lock cannot leave the map half-updated (each operation is
        // one map call), so a poisoned lock is safe to keep using.
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<String> = self.lock().keys().cloned().collect();
        f.debug_struct("MemoryStore").field("keys", &keys).finish()
    }
}

impl Storage for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<Zeroizing<String>>> {
        Ok(self.lock().get(key).cloned())
    }

    fn set(&self, key: &str, value: &str) -> Result<()> {
        self.lock()
            .insert(key.to_owned(), Zeroizing::new(value.to_owned()));
        Ok(())
    }

    fn remove(&self, key: &str) -> Result<()> {
        self.lock().remove(key);
        Ok(())
    }

    fn keys(&self) -> Result<Vec<String>> {
        Ok(self.lock().keys().cloned().collect())
    }
}

/// JavaScript's `encodeURIComponent`: every byte of the UTF-8 form except
/// `A-Z a-z 0-9 - _ . ! ~ * ' ( )` becomes `%XX` (uppercase hex). `node-localstorage` names
/// each key's file this way.
pub fn encode_uri_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
        }
    }
    out
}

/// JavaScript's `decodeURIComponent`; `None` where it would throw (a bad `%` escape or a
/// result that is not UTF-8).
pub fn decode_uri_component(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hi = char::from(*b.get(i + 1)?).to_digit(16)?;
            let lo = char::from(*b.get(i + 2)?).to_digit(16)?;
            out.push(u8::try_from(hi * 16 + lo).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_component_round_trip() {
        assert_eq!(encode_uri_component("lit-session-key"), "lit-session-key");
        assert_eq!(
            encode_uri_component("lit-wallet-sig:app:0xab"),
            "lit-wallet-sig%3Aapp%3A0xab"
        );
        assert_eq!(encode_uri_component("a b/é"), "a%20b%2F%C3%A9");
        for s in ["lit-wallet-sig:x:0x00", "a b/é", "!~*'()", ""] {
            assert_eq!(
                decode_uri_component(&encode_uri_component(s)).as_deref(),
                Some(s)
            );
        }
        assert_eq!(decode_uri_component("%zz"), None);
        assert_eq!(decode_uri_component("%C3"), None);
        assert_eq!(decode_uri_component("%4"), None);
    }

    #[test]
    fn layouts() {
        let a: Address = "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"
            .parse()
            .unwrap();
        assert_eq!(KeyLayout::Lit.session_key(a), "lit-session-key");
        assert_eq!(KeyLayout::Lit.wallet_sig(a), "lit-wallet-sig");
        let app = KeyLayout::app("my-app.v1").unwrap();
        let k = app.wallet_sig(a);
        assert_eq!(
            k,
            "lit-wallet-sig:my-app.v1:0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a"
        );
        assert_eq!(app.parse_wallet_sig_key(&k), Some(Some(a)));
        assert_eq!(app.parse_wallet_sig_key(&app.session_key(a)), None);
        assert_eq!(
            KeyLayout::app("other").unwrap().parse_wallet_sig_key(&k),
            None
        );
        assert_eq!(
            KeyLayout::Lit.parse_wallet_sig_key("lit-wallet-sig"),
            Some(None)
        );
        for bad in ["", "a:b", "a b", &"x".repeat(65)] {
            assert_eq!(
                KeyLayout::app(bad).unwrap_err().code(),
                "invalid_storage_key"
            );
        }
    }

    #[test]
    fn memory_store() {
        let s = MemoryStore::new();
        assert!(s.get("k").unwrap().is_none());
        s.set("k", "v1").unwrap();
        s.set("k", "v2").unwrap();
        assert_eq!(s.get("k").unwrap().unwrap().as_str(), "v2");
        assert_eq!(s.keys().unwrap(), vec!["k".to_owned()]);
        s.remove("k").unwrap();
        s.remove("k").unwrap();
        assert!(s.keys().unwrap().is_empty());
        assert!(!format!("{s:?}").contains("v2"));
    }
}
