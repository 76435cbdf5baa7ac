//! The `Signature-Input` and `Signature` header fields (RFC 9421 §4).
//!
//! Both are RFC 8941 dictionaries keyed by label: `Signature-Input` maps each label to the
//! inner list of covered components with its parameters, `Signature` maps it to the
//! signature bytes. Several field lines are combined as HTTP combines them (`, `). Sizes and
//! counts are bounded before any signature work.

use super::params::{malformed, SignatureParams};
use crate::error::Result;
use http::HeaderMap;

/// The `Signature-Input` header name.
pub const SIGNATURE_INPUT: &str = "signature-input";
/// The `Signature` header name.
pub const SIGNATURE: &str = "signature";
/// The longest combined value of either header that is parsed.
pub const MAX_FIELD_BYTES: usize = 8192;
/// The most signatures one request may carry.
pub const MAX_SIGNATURES: usize = 8;

/// One signature as received: its label, its parameters (raw, for the signature base, and
/// typed), and the signature bytes.
#[derive(Debug, Clone)]
pub struct ReceivedSignature {
    /// The dictionary key shared by both headers.
    pub label: String,
    /// The inner list exactly as parsed (re-serialized canonically into the base).
    pub(crate) inner: sfv::InnerList,
    /// The typed view of `inner`.
    pub params: SignatureParams,
    /// The signature bytes.
    pub signature: Vec<u8>,
}

/// Every field line of `name`, combined with `, `; `None` when there is none.
fn combined(headers: &HeaderMap, name: &str) -> Result<Option<Vec<u8>>> {
    let mut lines = headers.get_all(name).iter().peekable();
    if lines.peek().is_none() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for (i, line) in lines.enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        out.extend_from_slice(line.as_bytes());
        if out.len() > MAX_FIELD_BYTES {
            return Err(malformed(format!(
                "`{name}` is longer than {MAX_FIELD_BYTES} bytes"
            )));
        }
    }
    Ok(Some(out))
}

/// A duplicate dictionary key, found by [`DuplicateKeys`].
#[derive(Debug)]
struct DuplicateKey(String);

impl std::fmt::Display for DuplicateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "key `{}` appears more than once", self.0)
    }
}

impl std::error::Error for DuplicateKey {}

/// A dictionary visitor that only looks at keys and fails on the second occurrence of one.
#[derive(Default)]
struct DuplicateKeys(Vec<String>);

impl<'de> sfv::visitor::DictionaryVisitor<'de> for DuplicateKeys {
    type Out = ();
    type Error = DuplicateKey;

    fn entry(
        &mut self,
        key: &'de sfv::KeyRef,
    ) -> std::result::Result<impl sfv::visitor::EntryVisitor<'de>, Self::Error> {
        if self.0.iter().any(|k| k == key.as_str()) {
            return Err(DuplicateKey(key.as_str().to_owned()));
        }
        self.0.push(key.as_str().to_owned());
        Ok(sfv::visitor::Ignored)
    }

    fn finish(self) -> std::result::Result<(), Self::Error> {
        Ok(())
    }
}

/// Parse an RFC 8941 dictionary, refusing duplicate keys. RFC 8941 says the last one wins,
/// but two members under one label (or two `sha-256` digests) mean two parties may read two
/// different values; the backpack refuses instead of picking, as the Python implementation
/// it is tested against does.
pub(crate) fn parse_unique_dictionary(
    value: &[u8],
) -> std::result::Result<sfv::Dictionary, String> {
    sfv::Parser::new(value)
        .with_version(sfv::Version::Rfc8941)
        .parse_dictionary_with_visitor(DuplicateKeys::default())
        .map_err(|e| e.to_string())?;
    sfv::Parser::new(value)
        .with_version(sfv::Version::Rfc8941)
        .parse()
        .map_err(|e| e.to_string())
}

fn dictionary(name: &str, value: &[u8]) -> Result<sfv::Dictionary> {
    let dict = parse_unique_dictionary(value).map_err(|e| {
        malformed(format!(
            "`{name}` is not a valid structured dictionary: {e}"
        ))
    })?;
    if dict.len() > MAX_SIGNATURES {
        return Err(malformed(format!(
            "`{name}` has more than {MAX_SIGNATURES} members"
        )));
    }
    Ok(dict)
}

/// The signatures a request carries, in `Signature-Input` order. `Ok(None)` when it carries
/// neither header; one without the other, or a label in `Signature-Input` without a
/// signature, is malformed.
pub fn received_signatures(headers: &HeaderMap) -> Result<Option<Vec<ReceivedSignature>>> {
    let input = combined(headers, SIGNATURE_INPUT)?;
    let signature = combined(headers, SIGNATURE)?;
    let (input, signature) = match (input, signature) {
        (None, None) => return Ok(None),
        (Some(i), Some(s)) => (i, s),
        (Some(_), None) => return Err(malformed("`Signature-Input` without `Signature`")),
        (None, Some(_)) => return Err(malformed("`Signature` without `Signature-Input`")),
    };
    let inputs = dictionary("Signature-Input", &input)?;
    let signatures = dictionary("Signature", &signature)?;
    let mut out = Vec::with_capacity(inputs.len());
    for (label, entry) in &inputs {
        let sfv::ListEntry::InnerList(inner) = entry else {
            return Err(malformed(format!(
                "`Signature-Input` member `{}` is not an inner list",
                label.as_str()
            )));
        };
        let sig = match signatures.get(label.as_str()) {
            Some(sfv::ListEntry::Item(item)) => item.bare_item.as_byte_sequence(),
            _ => None,
        }
        .ok_or_else(|| {
            malformed(format!(
                "no `Signature` byte sequence for label `{}`",
                label.as_str()
            ))
        })?;
        out.push(ReceivedSignature {
            label: label.as_str().to_owned(),
            params: SignatureParams::from_inner_list(inner)?,
            inner: inner.clone(),
            signature: sig.to_vec(),
        });
    }
    Ok(Some(out))
}
