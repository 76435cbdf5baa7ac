//! ERC-5573 ("ReCap") capability objects.
//!
//! A capability object is the JSON `{"att": {<resource URI>: {"<namespace>/<name>": [<caveat>,
//! …]}}, "prf": [<CID>, …]}`. It travels as the last SIWE resource, `urn:recap:` followed by the
//! unpadded base64url of its RFC 8785 canonical JSON ([`Capability::encode`],
//! [`Capability::decode`]), and the SIWE statement must end with the text generated from it
//! ([`Capability::statement`], [`check_statement`]).
//!
//! Caveats: `[{}]` = allowed without restriction; `[]` = there is no valid way to use it;
//! `[{…}, …]` = allowed under any one of the listed restriction objects. Interpreting caveats is
//! up to the caller (see [`crate::lit::coverage`] for Lit resources).

pub mod jcs;
mod statement;
mod strict;
mod syntax;

pub use statement::{check_statement, statement_with_recap, STATEMENT_PREFIX};
pub(crate) use syntax::{is_uri_char, pct_encodings_ok};
pub use syntax::{is_valid_ability, is_valid_ability_part, is_valid_resource_uri};

use crate::error::{Error, Result};
use base64::Engine as _;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The scheme and namespace that start every encoded ReCap.
pub const URN_PREFIX: &str = "urn:recap:";

/// Longest `urn:recap:` string [`Capability::decode`] accepts (1 MiB).
pub const MAX_URN_LEN: usize = 1 << 20;

/// One caveat ("nota bene") object restricting an ability.
pub type Caveat = Map<String, Value>;

/// `resource URI → ("namespace/name" → caveats)`.
pub type Attenuations = BTreeMap<String, BTreeMap<String, Vec<Caveat>>>;

/// An ERC-5573 capability object.
///
/// Every resource key is a URI ([`is_valid_resource_uri`], so ASCII) and every ability key
/// matches `^[a-zA-Z0-9.*_+-]+/[a-zA-Z0-9.*_+-]+$`; the constructors and [`Capability::decode`]
/// guarantee it. Caveats hold their numbers in JavaScript's form and nest at most
/// [`MAX_CAVEAT_NESTING`] levels, so `Capability::decode(&c.encode()) == Ok(c)` for every `c`
/// whose encoding fits in [`MAX_URN_LEN`]. Equality ignores the order of keys inside caveat
/// objects.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Capability {
    att: Attenuations,
    prf: Vec<String>,
}

impl Capability {
    /// An empty capability object (`{"att":{},"prf":[]}`).
    pub fn new() -> Self {
        Self::default()
    }

    /// The attenuations: resource URI → ability → caveat list.
    pub fn att(&self) -> &Attenuations {
        &self.att
    }

    /// The proofs (CID strings), in order.
    pub fn prf(&self) -> &[String] {
        &self.prf
    }

    /// `true` when no resource is attenuated and there is no proof.
    pub fn is_empty(&self) -> bool {
        self.att.is_empty() && self.prf.is_empty()
    }

    /// The caveat list of `ability` on `resource`, if that ability is present (it may be the
    /// empty list, which grants nothing).
    pub fn caveats(&self, resource: &str, ability: &str) -> Option<&[Caveat]> {
        self.att
            .get(resource)
            .and_then(|abilities| abilities.get(ability))
            .map(Vec::as_slice)
    }

    /// Add `caveats` to `ability` (`namespace/name`) on `resource`, creating either as needed; an
    /// existing caveat list is extended. Adding an empty list to an absent ability records it
    /// with `[]` ("no valid way to use it").
    ///
    /// Numbers inside the caveats are stored as JavaScript would hold them (`1.0` becomes `1`,
    /// integers beyond 2^53 are rounded to the nearest double), so that what is stored is what
    /// [`Capability::encode`] writes and [`Capability::decode`] reads back.
    ///
    /// Errors: [`Error::RecapInvalid`] when the ability or the resource URI is malformed, or a
    /// caveat nests more than [`MAX_CAVEAT_NESTING`] levels of arrays and objects.
    pub fn add_ability(
        &mut self,
        resource: &str,
        ability: &str,
        caveats: Vec<Caveat>,
    ) -> Result<()> {
        check_resource(resource)?;
        check_ability(ability)?;
        let mut caveats = caveats;
        for caveat in &mut caveats {
            normalize_caveat(caveat)?;
        }
        self.att
            .entry(resource.to_owned())
            .or_default()
            .entry(ability.to_owned())
            .or_default()
            .extend(caveats);
        Ok(())
    }

    /// Append a proof (a CID string).
    pub fn add_proof(&mut self, cid: impl Into<String>) {
        self.prf.push(cid.into());
    }

    /// Merge `other` into `self` (ERC-5573): the union of resources and abilities, caveat lists
    /// of an ability present in both concatenated (`self`'s first), `prf` concatenated.
    ///
    /// Every grant of either side survives: a caveat list is read as "any one of", so
    /// concatenation never narrows. (The TypeScript reference package instead *replaces* an
    /// unrestricted `[{}]` by the other side's restricted list, which can lose a grant.)
    pub fn merge(&mut self, other: &Capability) {
        for (resource, abilities) in &other.att {
            let mine = self.att.entry(resource.clone()).or_default();
            for (ability, caveats) in abilities {
                mine.entry(ability.clone())
                    .or_default()
                    .extend(caveats.iter().cloned());
            }
        }
        self.prf.extend(other.prf.iter().cloned());
    }

    /// The RFC 8785 canonical JSON of `{"att": …, "prf": […]}`: what [`Capability::encode`]
    /// base64url-encodes.
    pub fn to_jcs(&self) -> String {
        let mut out = String::from("{\"att\":{");
        // Resource and ability keys are ASCII (validated on every way in), so the BTreeMap's
        // byte order is the UTF-16 order RFC 8785 asks for.
        for (i, (resource, abilities)) in self.att.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            jcs::write_string(&mut out, resource);
            out.push_str(":{");
            for (j, (ability, caveats)) in abilities.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                jcs::write_string(&mut out, ability);
                out.push_str(":[");
                for (k, caveat) in caveats.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    jcs::write_canonical_object(&mut out, caveat);
                }
                out.push(']');
            }
            out.push('}');
        }
        out.push_str("},\"prf\":[");
        for (i, cid) in self.prf.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            jcs::write_string(&mut out, cid);
        }
        out.push_str("]}");
        out
    }

    /// The capability as a JSON value (`{"att": …, "prf": […]}`).
    pub fn to_json_value(&self) -> Value {
        let att: Map<String, Value> = self
            .att
            .iter()
            .map(|(resource, abilities)| {
                let abilities: Map<String, Value> = abilities
                    .iter()
                    .map(|(ability, caveats)| {
                        let list = caveats.iter().cloned().map(Value::Object).collect();
                        (ability.clone(), Value::Array(list))
                    })
                    .collect();
                (resource.clone(), Value::Object(abilities))
            })
            .collect();
        let prf = self.prf.iter().cloned().map(Value::String).collect();
        let mut top = Map::new();
        top.insert("att".into(), Value::Object(att));
        top.insert("prf".into(), Value::Array(prf));
        Value::Object(top)
    }

    /// Build a capability from its JSON form, checking the shape (an object with exactly `att`
    /// and `prf`; `att` maps resource URIs to objects mapping abilities to arrays of objects;
    /// `prf` is an array of strings), the ability syntax and the resource URIs. Key order is not
    /// checked here (see [`Capability::decode`]).
    ///
    /// Caveat numbers are normalised as in [`Capability::add_ability`].
    ///
    /// Errors: [`Error::RecapDecode`] for a wrong shape, [`Error::RecapInvalid`] for a bad
    /// ability, resource URI or caveat (not an object, nested too deep).
    pub fn from_json_value(value: &Value) -> Result<Capability> {
        Self::from_json_owned(value.clone())
    }

    /// [`Capability::from_json_value`] taking the value, so its strings and caveat objects
    /// move into the capability instead of being copied.
    fn from_json_owned(value: Value) -> Result<Capability> {
        let Value::Object(mut top) = value else {
            return Err(shape("the capability is not a JSON object"));
        };
        if let Some(key) = top.keys().find(|k| *k != "att" && *k != "prf") {
            return Err(shape(format!("unexpected top-level key {key:?}")));
        }
        let att_v = top.remove("att").ok_or_else(|| shape("missing \"att\""))?;
        let prf_v = top.remove("prf").ok_or_else(|| shape("missing \"prf\""))?;
        let Value::Object(att_o) = att_v else {
            return Err(shape("\"att\" is not an object"));
        };
        let mut att = Attenuations::new();
        for (resource, abilities_v) in att_o {
            check_resource(&resource)?;
            let Value::Object(abilities_o) = abilities_v else {
                return Err(shape(format!(
                    "the abilities of {resource:?} are not an object"
                )));
            };
            let mut abilities = BTreeMap::new();
            for (ability, caveats_v) in abilities_o {
                check_ability(&ability)?;
                let Value::Array(list) = caveats_v else {
                    return Err(Error::RecapInvalid(format!(
                        "the caveats of {ability:?} on {resource:?} are not an array"
                    )));
                };
                let mut caveats = Vec::with_capacity(list.len());
                for c in list {
                    let Value::Object(mut caveat) = c else {
                        return Err(Error::RecapInvalid(format!(
                            "a caveat of {ability:?} on {resource:?} is not an object"
                        )));
                    };
                    normalize_caveat(&mut caveat)?;
                    caveats.push(caveat);
                }
                abilities.insert(ability, caveats);
            }
            att.insert(resource, abilities);
        }
        let Value::Array(prf_a) = prf_v else {
            return Err(shape("\"prf\" is not an array"));
        };
        let mut prf = Vec::with_capacity(prf_a.len());
        for p in prf_a {
            let Value::String(s) = p else {
                return Err(shape("a \"prf\" entry is not a string"));
            };
            prf.push(s);
        }
        Ok(Capability { att, prf })
    }

    /// Parse a capability from JSON text (any key order, whitespace allowed); see
    /// [`Capability::from_json_value`].
    pub fn from_json(json: &str) -> Result<Capability> {
        let value: Value =
            serde_json::from_str(json).map_err(|e| Error::RecapDecode(format!("JSON: {e}")))?;
        Self::from_json_owned(value)
    }

    /// `urn:recap:` + unpadded base64url of [`Capability::to_jcs`].
    pub fn encode(&self) -> String {
        let jcs = self.to_jcs();
        let mut out = String::with_capacity(URN_PREFIX.len() + jcs.len().div_ceil(3) * 4);
        out.push_str(URN_PREFIX);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(jcs.as_bytes(), &mut out);
        out
    }

    /// Decode a `urn:recap:` string.
    ///
    /// Accepts base64url with or without padding (not the standard `+`/`/` alphabet, not
    /// non-zero trailing bits). The JSON must be one value with no trailing data and every
    /// object's keys strictly sorted in RFC 8785 order (so no duplicates), at most 32 levels
    /// deep; whitespace is tolerated. Then [`Capability::from_json_value`] applies.
    ///
    /// Errors: [`Error::RecapDecode`] (prefix, length, base64url, JSON, shape) or
    /// [`Error::RecapInvalid`] (unsorted or duplicate keys, bad ability or resource, caveat not
    /// an object).
    pub fn decode(urn: &str) -> Result<Capability> {
        if urn.len() > MAX_URN_LEN {
            return Err(Error::RecapDecode(format!(
                "longer than {MAX_URN_LEN} bytes"
            )));
        }
        let b64 = urn
            .strip_prefix(URN_PREFIX)
            .ok_or_else(|| Error::RecapDecode("does not start with urn:recap:".into()))?;
        let unpadded = b64.trim_end_matches('=');
        let pad = b64.len() - unpadded.len();
        if pad > 2 || (pad > 0 && b64.len() % 4 != 0) {
            return Err(Error::RecapDecode("bad base64url padding".into()));
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(unpadded)
            .map_err(|e| Error::RecapDecode(format!("base64url: {e}")))?;
        let value = strict::parse_sorted(&bytes)?;
        Self::from_json_owned(value)
    }

    /// The ReCap of a SIWE message, given its `Resources`: only the **last** entry counts. `None`
    /// when there are no resources or the last one is not a `urn:recap:`.
    ///
    /// Errors: those of [`Capability::decode`] when the last entry is a malformed ReCap.
    pub fn from_siwe_resources(resources: Option<&[String]>) -> Result<Option<Capability>> {
        match resources.and_then(|r| r.last()) {
            Some(last) if last.starts_with(URN_PREFIX) => Self::decode(last).map(Some),
            _ => Ok(None),
        }
    }
}

/// How many levels of arrays and objects may nest inside a caveat object (the capability
/// around it uses five: top, `att`, resource, ability list, the caveat itself).
pub const MAX_CAVEAT_NESTING: usize = strict::MAX_DEPTH - 5;

/// Bring a caveat to the form it has after an encode/decode round trip (numbers as JavaScript
/// holds them) and check its nesting.
fn normalize_caveat(caveat: &mut Caveat) -> Result<()> {
    for value in caveat.values_mut() {
        normalize_value(value, MAX_CAVEAT_NESTING)?;
    }
    Ok(())
}

fn normalize_value(value: &mut Value, levels_left: usize) -> Result<()> {
    match value {
        Value::Number(n) => {
            if let Some(normal) = jcs::normalize_number(n) {
                *n = normal;
            }
        }
        Value::Array(items) => {
            let left = levels_left.checked_sub(1).ok_or_else(too_deep)?;
            for item in items {
                normalize_value(item, left)?;
            }
        }
        Value::Object(map) => {
            let left = levels_left.checked_sub(1).ok_or_else(too_deep)?;
            for item in map.values_mut() {
                normalize_value(item, left)?;
            }
        }
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
    Ok(())
}

fn too_deep() -> Error {
    Error::RecapInvalid(format!(
        "a caveat nests more than {MAX_CAVEAT_NESTING} levels of arrays and objects"
    ))
}

fn shape(msg: impl Into<String>) -> Error {
    Error::RecapDecode(msg.into())
}

fn check_resource(resource: &str) -> Result<()> {
    if is_valid_resource_uri(resource) {
        Ok(())
    } else {
        Err(Error::RecapInvalid(format!(
            "resource {resource:?} is not a URI"
        )))
    }
}

fn check_ability(ability: &str) -> Result<()> {
    if is_valid_ability(ability) {
        Ok(())
    } else {
        Err(Error::RecapInvalid(format!(
            "ability {ability:?} is not namespace/name"
        )))
    }
}

#[cfg(test)]
mod tests;
