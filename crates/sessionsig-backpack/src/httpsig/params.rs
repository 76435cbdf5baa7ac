//! Signature parameters (RFC 9421 §2.3) and the `@signature-params` value.
//!
//! A received `Signature-Input` member is kept as the parsed structured-field inner list and
//! re-serialized canonically for the signature base — parameter order and parameters the
//! backpack does not use included — exactly as RFC 9421 §2.3 asks, so a signature made by any
//! conforming signer verifies. The typed [`SignatureParams`] is a view of it for the policy
//! checks; it is also what our signer builds from.

use super::component::Component;
use crate::error::{Error, Result};

/// The parameters of one signature, typed. Every field is optional in RFC 9421; the
/// backpack's policy (`verify.rs`) decides which are required.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SignatureParams {
    /// The covered components, in order.
    pub components: Vec<Component>,
    /// `created`: when the signature was made (UNIX seconds).
    pub created: Option<i64>,
    /// `expires`: when the signer wants it to stop being accepted (UNIX seconds).
    pub expires: Option<i64>,
    /// `keyid`: which key made it (for the backpack: the session public key, 64 hex).
    pub keyid: Option<String>,
    /// `nonce`: unique per request, so a captured request cannot be replayed.
    pub nonce: Option<String>,
    /// `alg`: the signature algorithm (`ed25519`).
    pub alg: Option<String>,
    /// `tag`: an application tag that scopes the signature to one use.
    pub tag: Option<String>,
}

/// At most this many covered components: a bound on the work a hostile header can cause.
pub const MAX_COMPONENTS: usize = 32;

/// Shorthand for a malformed-signature error.
pub(crate) fn malformed(reason: impl Into<String>) -> Error {
    Error::MalformedRequestSignature(reason.into())
}

impl SignatureParams {
    /// The typed view of a received inner list; refuses wrong parameter types, duplicate or
    /// unsupported components.
    pub(crate) fn from_inner_list(list: &sfv::InnerList) -> Result<Self> {
        if list.items.len() > MAX_COMPONENTS {
            return Err(malformed(format!(
                "more than {MAX_COMPONENTS} covered components"
            )));
        }
        let mut components = Vec::with_capacity(list.items.len());
        for item in &list.items {
            let c = Component::from_item(item).map_err(malformed)?;
            if components.contains(&c) {
                return Err(malformed(format!("component {c} is covered twice")));
            }
            components.push(c);
        }
        let mut params = SignatureParams {
            components,
            ..SignatureParams::default()
        };
        for (key, value) in &list.params {
            let integer = || {
                value.as_integer().map(i64::from).ok_or_else(|| {
                    malformed(format!("parameter `{}` must be an integer", key.as_str()))
                })
            };
            let string = || {
                value
                    .as_string()
                    .map(|s| s.as_str().to_owned())
                    .ok_or_else(|| {
                        malformed(format!("parameter `{}` must be a string", key.as_str()))
                    })
            };
            match key.as_str() {
                "created" => params.created = Some(integer()?),
                "expires" => params.expires = Some(integer()?),
                "keyid" => params.keyid = Some(string()?),
                "nonce" => params.nonce = Some(string()?),
                "alg" => params.alg = Some(string()?),
                "tag" => params.tag = Some(string()?),
                // Unknown parameters stay in the signature base (they were signed) but mean
                // nothing to the backpack.
                _ => {}
            }
        }
        Ok(params)
    }

    /// The inner list our signer sends: components, then `created`, `expires`, `keyid`,
    /// `nonce`, `alg`, `tag` (those present), in that order.
    pub(crate) fn to_inner_list(&self) -> Result<sfv::InnerList> {
        let mut items = Vec::with_capacity(self.components.len());
        for c in &self.components {
            let name = sfv::String::from_string(c.name().to_owned())
                .map_err(|(e, _)| malformed(format!("component name: {e}")))?;
            items.push(sfv::Item::new(name));
        }
        let mut params = sfv::Parameters::new();
        let mut put = |key: &str, value: sfv::BareItem| -> Result<()> {
            let key = sfv::Key::from_string(key.to_owned())
                .map_err(|(e, _)| malformed(format!("parameter name: {e}")))?;
            params.insert(key, value);
            Ok(())
        };
        let int = |v: i64| {
            sfv::Integer::try_from(v)
                .map(sfv::BareItem::from)
                .map_err(|e| malformed(format!("integer parameter out of range: {e}")))
        };
        let string = |v: &str| {
            sfv::String::from_string(v.to_owned())
                .map(sfv::BareItem::from)
                .map_err(|(e, _)| malformed(format!("string parameter: {e}")))
        };
        if let Some(v) = self.created {
            put("created", int(v)?)?;
        }
        if let Some(v) = self.expires {
            put("expires", int(v)?)?;
        }
        if let Some(v) = &self.keyid {
            put("keyid", string(v)?)?;
        }
        if let Some(v) = &self.nonce {
            put("nonce", string(v)?)?;
        }
        if let Some(v) = &self.alg {
            put("alg", string(v)?)?;
        }
        if let Some(v) = &self.tag {
            put("tag", string(v)?)?;
        }
        Ok(sfv::InnerList::with_params(items, params))
    }
}

/// The canonical serialization of an inner list with its parameters (the value of
/// `@signature-params`, and of a `Signature-Input` member).
pub(crate) fn serialize_inner_list(list: &sfv::InnerList) -> String {
    let mut ser = sfv::ListSerializer::new();
    ser.members([&sfv::ListEntry::InnerList(list.clone())]);
    // A list with one member always serializes to something.
    ser.finish().unwrap_or_default()
}
