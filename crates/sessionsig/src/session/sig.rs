//! The SessionSig object and the SessionSigs map (node URL → SessionSig).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// `derivedVia` of every SessionSig.
pub const SESSION_DERIVED_VIA: &str = "litSessionSignViaNacl";
/// `algo` of every SessionSig.
pub const SESSION_ALGO: &str = "ed25519";

/// A SessionSig as it travels on the wire:
/// `{"sig","derivedVia","signedMessage","address","algo"}`. Nothing in it is trusted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSig {
    /// 128 lowercase hex: the ed25519 signature over `signed_message`'s UTF-8 bytes.
    pub sig: String,
    /// Always `litSessionSignViaNacl`.
    #[serde(rename = "derivedVia")]
    pub derived_via: String,
    /// The exact JSON string that was signed.
    #[serde(rename = "signedMessage")]
    pub signed_message: String,
    /// The session public key, 64 lowercase hex.
    pub address: String,
    /// Always `ed25519`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algo: Option<String>,
}

impl SessionSig {
    /// Compact JSON of this SessionSig.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A SessionSigs map: one SessionSig per node, keyed by the node URL, in insertion order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionSigs {
    entries: Vec<(String, SessionSig)>,
}

impl SessionSigs {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add (or replace) the SessionSig for a node.
    pub fn insert(&mut self, node: String, sig: SessionSig) {
        if let Some(slot) = self.entries.iter_mut().find(|(n, _)| *n == node) {
            slot.1 = sig;
        } else {
            self.entries.push((node, sig));
        }
    }

    /// The SessionSig for `node` (exact key).
    pub fn get(&self, node: &str) -> Option<&SessionSig> {
        self.entries.iter().find(|(n, _)| n == node).map(|(_, s)| s)
    }

    /// All entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &SessionSig)> {
        self.entries.iter().map(|(n, s)| (n.as_str(), s))
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Compact JSON object `{"<node>": <SessionSig>, …}` in insertion order.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parse a SessionSigs JSON object.
    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| Error::SessionSigMalformed(e.to_string()))
    }
}

impl Serialize for SessionSigs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for SessionSigs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = SessionSigs;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of node URL to SessionSig")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<SessionSigs, A::Error> {
                let mut out = SessionSigs::new();
                while let Some((k, v)) = map.next_entry::<String, SessionSig>()? {
                    if out.get(&k).is_some() {
                        return Err(serde::de::Error::custom(format!("duplicate node {k}")));
                    }
                    out.entries.push((k, v));
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}
